//! The `verify` example: its logic (`examples/verify/`) on the shipped problems and on bad input.
//!
//! The example's `main` only reads the file and prints; everything else is the module tested
//! here, so these tests run exactly what the command runs.

#[path = "../examples/verify/mod.rs"]
#[allow(dead_code)]
mod app;

use serde_json::Value;
use tinycml::reference::{cosine, relative_error};

fn shipped(name: &str) -> String {
    let path = format!("{}/examples/problems/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn numbers(value: &Value) -> Vec<f64> {
    value
        .as_array()
        .expect("an array")
        .iter()
        .map(|v| v.as_f64().expect("a number"))
        .collect()
}

/// Runs a problem and checks the output's shape; returns `(cml, exact)` as θ-vectors.
fn run_and_parse(text: &str, params: usize) -> (Value, Vec<f64>, Vec<f64>) {
    let report = app::run(text).unwrap_or_else(|e| panic!("verify failed: {e}"));
    assert!(!report.json.contains('\n'), "one JSON object on one line");
    let out: Value = serde_json::from_str(&report.json).expect("the output parses");
    let object = out.as_object().unwrap();
    let mut keys: Vec<&str> = object.keys().map(|k| k.as_str()).collect();
    keys.sort();
    assert_eq!(
        keys,
        ["cml", "exact", "outer_loss", "phi_free", "saturations"]
    );
    let theta = |side: &str| -> Vec<f64> {
        let omega = numbers(&out[side]["omega"]);
        let lambda = numbers(&out[side]["lambda"]);
        assert_eq!((omega.len(), lambda.len()), (params, params), "{side}");
        omega.into_iter().chain(lambda).collect()
    };
    let (cml, exact) = (theta("cml"), theta("exact"));
    assert_eq!(numbers(&out["phi_free"]).len(), params);
    assert!(out["outer_loss"].as_f64().unwrap() >= 0.0);
    assert!(out["saturations"].as_u64().is_some());
    (out, cml, exact)
}

#[test]
fn ridge_problem_runs_and_the_estimate_matches_the_closed_form() {
    let (out, cml, exact) = run_and_parse(&shipped("ridge.json"), 3);
    let err = relative_error(&cml, &exact);
    assert!(
        err < 1e-6,
        "symmetric β = 1e-3 in f64: relative error {err:e}"
    );
    assert_eq!(out["saturations"], 0);
}

#[test]
fn small_mlp_problem_runs_in_fixed_point_and_agrees_with_the_reference() {
    let (_, cml, exact) = run_and_parse(&shipped("mlp_tanh_q16.json"), 97);
    let cos = cosine(&cml, &exact);
    assert!(cos > 0.99, "q16.16 cosine {cos}");
}

#[test]
fn every_scalar_name_runs_and_outer_loss_is_the_half_mse_at_phi_free() {
    let base: Value = serde_json::from_str(&shipped("ridge.json")).unwrap();
    for scalar in app::SCALARS {
        let mut problem = base.clone();
        problem["scalar"] = scalar.into();
        let (out, cml, exact) = run_and_parse(&problem.to_string(), 3);
        assert!(cosine(&cml, &exact) > 0.99, "{scalar}");
        // L_out(φ⁰) recomputed from the printed φ⁰: mean of ½(w·x + b − y)².
        let phi = numbers(&out["phi_free"]);
        let xs = base["query"]["x"].as_array().unwrap();
        let ys = numbers(&base["query"]["y"]);
        let loss: f64 = xs
            .iter()
            .zip(&ys)
            .map(|(x, y)| {
                let x = numbers(x);
                let e = phi[0] * x[0] + phi[1] * x[1] + phi[2] - y;
                0.5 * e * e
            })
            .sum::<f64>()
            / ys.len() as f64;
        let printed = out["outer_loss"].as_f64().unwrap();
        assert!((loss - printed).abs() <= 1e-12 * loss.max(1.0), "{scalar}");
    }
}

#[test]
fn bad_input_is_one_line_of_error_and_never_a_panic() {
    let base: Value = serde_json::from_str(&shipped("ridge.json")).unwrap();
    let edit = |f: &dyn Fn(&mut Value)| {
        let mut p = base.clone();
        f(&mut p);
        p.to_string()
    };
    let cases = [
        ("not json".to_string(), "invalid problem file"),
        ("{}".to_string(), "missing field"),
        (
            edit(&|p| p["omega"] = serde_json::json!([1.0])),
            "omega has 1",
        ),
        (
            edit(&|p| p["lambda"] = serde_json::json!([1.0, 2.0])),
            "lambda has 2",
        ),
        (edit(&|p| p["lambda"] = 0.0.into()), "lambda[0]"),
        (edit(&|p| p["beta"] = (-1.0).into()), "beta"),
        (edit(&|p| p["scalar"] = "q4.4".into()), "unknown scalar"),
        (
            edit(&|p| p["estimator"] = "central".into()),
            "unknown estimator",
        ),
        (
            edit(&|p| p["model"]["kind"] = "cnn".into()),
            "unknown model kind",
        ),
        (
            edit(&|p| {
                p["model"] =
                    serde_json::json!({"kind": "mlp", "widths": [1, 3, 3, 1], "activation": "relu"})
            }),
            "not compiled",
        ),
        (
            edit(
                &|p| p["model"] = serde_json::json!({"kind": "mlp", "widths": [2, 16, 16, 1], "activation": "sigmoid"}),
            ),
            "unknown activation",
        ),
        (
            edit(&|p| p["support"]["x"][1] = serde_json::json!([1.0])),
            "support.x[1]",
        ),
        (
            edit(&|p| p["query"]["y"] = serde_json::json!([1.0])),
            "query: 8 inputs but 1 targets",
        ),
        (
            edit(&|p| p["support"] = serde_json::json!({"x": [], "y": []})),
            "no shots",
        ),
        (edit(&|p| p["inner"]["free_steps"] = 0.into()), "at least 1"),
        (edit(&|p| p["inner"]["lr"] = 50.0.into()), "diverged"),
        (
            edit(&|p| {
                p["scalar"] = "q16.16".into();
                p["support"]["y"][0] = 1e6.into();
            }),
            "outside the range",
        ),
        (
            edit(&|p| {
                let x = serde_json::json!(vec![vec![1.0; 9]; 8]);
                p["support"]["x"] = x.clone();
                p["query"]["x"] = x;
            }),
            "9 inputs",
        ),
        (
            "{\"model\": {\"kind\": \"linear\"}, \"omega\": NaN}".to_string(),
            "invalid problem file",
        ),
    ];
    for (text, expected) in cases {
        match app::run(&text) {
            Ok(_) => panic!("accepted bad input (expected {expected:?}): {text}"),
            Err(message) => {
                assert!(message.contains(expected), "{message:?} lacks {expected:?}");
                assert!(!message.contains('\n'), "{message:?}");
            }
        }
    }
}

#[test]
fn deep_softmax_classifier_agrees_with_the_exact_implicit_gradient() {
    // 2-8-8-8-3 tanh, softmax cross-entropy, q16.16 (measured when written: cosine 0.999999).
    let (_, cml, exact) = run_and_parse(&shipped("deep_softmax_q16.json"), 195);
    let cos = cosine(&cml, &exact);
    assert!(cos > 0.99, "q16.16 cosine {cos}");
    let base: Value = serde_json::from_str(&shipped("deep_softmax_q16.json")).unwrap();
    let mut in_f64 = base.clone();
    in_f64["scalar"] = "f64".into();
    let (_, cml, exact) = run_and_parse(&in_f64.to_string(), 195);
    let cos = cosine(&cml, &exact);
    assert!(cos > 0.999, "f64 cosine {cos}");
}

#[test]
fn every_loss_runs_on_a_network_with_several_outputs() {
    // 3-16-2: squared error on two outputs, the masked loss on one of them, softmax over both.
    let base: Value = serde_json::from_str(&shipped("ridge.json")).unwrap();
    let xs: Vec<Value> = (0..8)
        .map(|i| serde_json::json!([0.1 * i as f64, -0.2 + 0.05 * i as f64, 0.3]))
        .collect();
    let params = 16 * 4 + 2 * 17;
    let mut rng = tinycml::SplitMix64::new(3);
    let omega: Vec<f64> = (0..params).map(|_| rng.uniform(-0.5, 0.5)).collect();
    let targets = [
        (
            "squared_error",
            (0..8)
                .map(|i| serde_json::json!([0.1 * i as f64, 1.0]))
                .collect::<Vec<_>>(),
        ),
        (
            "masked_squared_error",
            (0..8)
                .map(|i| serde_json::json!({"output": i % 2, "value": 0.5}))
                .collect(),
        ),
        (
            "softmax_cross_entropy",
            (0..8).map(|i| serde_json::json!(i % 2)).collect(),
        ),
    ];
    for (loss, ys) in targets {
        let mut p = base.clone();
        p["model"] = serde_json::json!({"kind": "mlp", "widths": [3, 16, 2], "activation": "tanh"});
        p["loss"] = loss.into();
        p["omega"] = serde_json::json!(omega);
        p["lambda"] = 1.0.into();
        p["beta"] = 0.01.into();
        p["inner"] = serde_json::json!({"free_steps": 1000, "nudged_steps": 1000, "lr": 0.1});
        for set in ["support", "query"] {
            p[set] = serde_json::json!({"x": xs, "y": ys});
        }
        let (_, cml, exact) = run_and_parse(&p.to_string(), params);
        let cos = cosine(&cml, &exact);
        assert!(cos > 0.999, "{loss}: cosine {cos}");
    }
}

#[test]
fn bad_targets_and_losses_are_one_line_of_error() {
    let base: Value = serde_json::from_str(&shipped("deep_softmax_q16.json")).unwrap();
    let edit = |f: &dyn Fn(&mut Value)| {
        let mut p = base.clone();
        f(&mut p);
        p.to_string()
    };
    let cases = [
        (
            edit(&|p| p["support"]["y"][0] = 3.into()),
            "class label must be below",
        ),
        (edit(&|p| p["support"]["y"][0] = 1.5.into()), "class index"),
        (edit(&|p| p["loss"] = "hinge".into()), "unknown loss"),
        (
            edit(&|p| p["loss"] = "binary_cross_entropy".into()),
            "needs a model with one output",
        ),
        (
            edit(&|p| p["query"]["y"][2] = serde_json::json!([1.0, 2.0])),
            "class index",
        ),
    ];
    for (text, expected) in cases {
        match app::run(&text) {
            Ok(_) => panic!("accepted bad input (expected {expected:?})"),
            Err(message) => {
                assert!(message.contains(expected), "{message:?} lacks {expected:?}");
                assert!(!message.contains('\n'), "{message:?}");
            }
        }
    }
}
