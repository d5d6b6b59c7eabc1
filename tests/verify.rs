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
        (
            edit(&|p| p["inner"]["free_steps"] = u32::MAX.into()),
            "inner.free_steps = 4294967295 is more than",
        ),
        (
            edit(&|p| p["inner"]["nudged_steps"] = 100_001.into()),
            "inner.nudged_steps = 100001 is more than",
        ),
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

// ---------------------------------------------------------------------------------------------
// The dual system (`"kind": "dual"`).

use tinycml::dual::DualSystem;
use tinycml::reference::norm;
use tinycml::Layer;

type DualSmall = DualSystem<1, Layer<8, Layer<8, Layer<1>>>>;
type DualSinusoid = DualSystem<1, Layer<40, Layer<40, Layer<1>>>>;
type DualWide = DualSystem<2, Layer<8, Layer<8, Layer<3>>>>;

/// Runs a dual problem and checks the output's shape; returns the output, `cml` and `exact`
/// (body then init; `None` when `exact` is null) and the warning.
fn run_dual(
    text: &str,
    body: usize,
    fast: usize,
) -> (Value, Vec<f64>, Option<Vec<f64>>, Option<String>) {
    let report = app::run(text).unwrap_or_else(|e| panic!("verify failed: {e}"));
    assert!(!report.json.contains('\n'), "one JSON object on one line");
    let out: Value = serde_json::from_str(&report.json).expect("the output parses");
    let mut keys: Vec<&str> = out
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.as_str())
        .collect();
    // serde_json's map sorts its keys: order them as they stand in the printed line.
    keys.sort_by_key(|k| report.json.find(&format!("\"{k}\":")));
    assert_eq!(
        keys,
        ["cml", "exact", "phi_free", "outer_loss", "saturations"],
        "the documented fields, in the documented order"
    );
    let theta = |side: &Value| -> Vec<f64> {
        let (b, i) = (numbers(&side["body"]), numbers(&side["init"]));
        assert_eq!((b.len(), i.len()), (body, fast));
        b.into_iter().chain(i).collect()
    };
    let cml = theta(&out["cml"]);
    let exact = (!out["exact"].is_null()).then(|| theta(&out["exact"]));
    assert_eq!(numbers(&out["phi_free"]).len(), fast);
    assert!(out["outer_loss"].as_f64().unwrap() >= 0.0);
    assert!(out["saturations"].as_u64().is_some());
    (out, cml, exact, report.warning)
}

#[test]
fn shipped_dual_problem_agrees_with_the_exact_implicit_gradient() {
    // 1-8-8-1 tanh, μ = 0.5, symmetric β = 0.05, 3,000 + 3,000 steps at lr 0.05, q16.16.
    // Measured when written: cosine 0.9999996 in q16.16 (norm ratio 1.0006), 0.9999997 in
    // f64; no saturation.
    let text = shipped("dual_tanh_q16.json");
    let (out, cml, exact, warning) = run_dual(&text, DualSmall::BODY, DualSmall::FAST);
    assert_eq!((DualSmall::BODY, DualSmall::FAST), (88, 41));
    assert_eq!(warning, None, "the reference converged");
    assert_eq!(out["saturations"], 0);
    let exact = exact.expect("with μ there is an exact gradient");
    let cos = cosine(&cml, &exact);
    let ratio = norm(&cml) / norm(&exact);
    eprintln!("q16.16: cosine {cos:.7}, norm ratio {ratio:.4}");
    assert!(cos >= 0.99, "q16.16 cosine {cos}");
    assert!((0.9..1.1).contains(&ratio), "q16.16 norm ratio {ratio}");
    assert!(norm(&exact) > 1e-3, "a vanishing gradient proves nothing");
    // Both parts carry weight: the body's and the initial state's estimates each agree.
    let (b, f) = (DualSmall::BODY, DualSmall::FAST);
    let body_cos = cosine(&cml[..b], &exact[..b]);
    let init_cos = cosine(&cml[b..], &exact[b..]);
    assert!(
        body_cos >= 0.99 && init_cos >= 0.99,
        "{body_cos} {init_cos}"
    );
    assert!(norm(&exact[b..b + f]) > 1e-3);

    let mut in_f64: Value = serde_json::from_str(&text).unwrap();
    in_f64["scalar"] = "f64".into();
    let (_, cml, exact, _) = run_dual(&in_f64.to_string(), b, f);
    let cos = cosine(&cml, &exact.unwrap());
    eprintln!("f64: cosine {cos:.7}");
    assert!(cos >= 0.999, "f64 cosine {cos}");
}

/// `W x + c` for a column-major `W` (`W[i][j]` at `j · outputs + i`).
fn dense(w: &[f64], c: &[f64], x: &[f64]) -> Vec<f64> {
    // Column-major: W[i][j] at j · outputs + i.
    let outputs = c.len();
    (0..outputs)
        .map(|i| {
            c[i] + x
                .iter()
                .enumerate()
                .map(|(j, xj)| w[j * outputs + i] * xj)
                .sum::<f64>()
        })
        .collect()
}

/// The dual system's outputs, written out from the layout `verify` documents (not through the
/// library): per hidden layer `W_l` column-major then `c_l` in the body; per hidden layer
/// gains then shifts, then `W_o` column-major and `b_o`, in the fast state.
fn dual_forward(widths: &[usize], body: &[f64], fast: &[f64], x: &[f64]) -> Vec<f64> {
    let (mut b, mut f) = (0, 0);
    let mut h = x.to_vec();
    for w in widths[..widths.len() - 1].windows(2) {
        let (inputs, units) = (w[0], w[1]);
        let weights = &body[b..b + inputs * units];
        let biases = &body[b + inputs * units..b + units * (inputs + 1)];
        b += units * (inputs + 1);
        let (gains, shifts) = (&fast[f..f + units], &fast[f + units..f + 2 * units]);
        f += 2 * units;
        h = dense(weights, biases, &h)
            .iter()
            .enumerate()
            .map(|(i, a)| (gains[i] * a + shifts[i]).tanh())
            .collect();
    }
    let (inputs, outputs) = (widths[widths.len() - 2], widths[widths.len() - 1]);
    assert_eq!(b, body.len(), "the body is used up");
    assert_eq!(
        f + outputs * (inputs + 1),
        fast.len(),
        "the fast state is used up"
    );
    dense(
        &fast[f..f + inputs * outputs],
        &fast[f + inputs * outputs..],
        &h,
    )
}

/// A 2-8-8-3 problem with softmax targets (or the loss and targets given).
fn wide_problem(loss: &str, ys: Vec<Value>) -> Value {
    let mut rng = tinycml::SplitMix64::new(5);
    let xs: Vec<Value> = (0..12)
        .map(|_| serde_json::json!([rng.uniform(-1.0, 1.0), rng.uniform(-1.0, 1.0)]))
        .collect();
    let body: Vec<f64> = (0..DualWide::BODY)
        .map(|_| rng.uniform(-1.0, 1.0))
        .collect();
    let init: Vec<f64> = (0..DualWide::FAST)
        .map(|_| rng.uniform(-0.5, 1.2))
        .collect();
    let query_x: Vec<Value> = xs.iter().rev().cloned().collect();
    serde_json::json!({
        "model": {"kind": "dual", "widths": [2, 8, 8, 3], "activation": "tanh"},
        "loss": loss,
        "support": {"x": xs, "y": ys},
        "query": {"x": query_x, "y": ys},
        "body": body, "init": init, "mu": 1.0,
        "beta": 0.01, "estimator": "symmetric",
        "inner": {"free_steps": 2000, "nudged_steps": 2000, "lr": 0.1},
        "scalar": "f64"
    })
}

#[test]
fn the_documented_dual_layout_is_the_one_verify_reads() {
    // The printed L_out(φ⁰) recomputed from the problem's body and the printed φ⁰ through a
    // forward pass written from the module docs' layout: one output with squared error, and
    // three outputs with softmax cross-entropy (where W_o's column-major order matters).
    let problem: Value = serde_json::from_str(&shipped("dual_tanh_q16.json")).unwrap();
    let (out, _, _, _) = run_dual(&problem.to_string(), DualSmall::BODY, DualSmall::FAST);
    let (body, phi) = (numbers(&problem["body"]), numbers(&out["phi_free"]));
    let xs = problem["query"]["x"].as_array().unwrap();
    let ys = numbers(&problem["query"]["y"]);
    let loss = xs
        .iter()
        .zip(&ys)
        .map(|(x, y)| {
            let e = dual_forward(&[1, 8, 8, 1], &body, &phi, &numbers(x))[0] - y;
            0.5 * e * e
        })
        .sum::<f64>()
        / ys.len() as f64;
    let printed = out["outer_loss"].as_f64().unwrap();
    assert!(
        (loss - printed).abs() <= 1e-12 * loss.max(1.0),
        "{loss} vs {printed}"
    );

    let classes: Vec<Value> = (0..12).map(|i| (i % 3).into()).collect();
    let problem = wide_problem("softmax_cross_entropy", classes);
    let (out, _, _, _) = run_dual(&problem.to_string(), DualWide::BODY, DualWide::FAST);
    let (body, phi) = (numbers(&problem["body"]), numbers(&out["phi_free"]));
    let xs = problem["query"]["x"].as_array().unwrap();
    let ys = numbers(&problem["query"]["y"]);
    let loss = xs
        .iter()
        .zip(&ys)
        .map(|(x, &y)| {
            let z = dual_forward(&[2, 8, 8, 3], &body, &phi, &numbers(x));
            let log_sum = z.iter().map(|z| z.exp()).sum::<f64>().ln();
            log_sum - z[y as usize]
        })
        .sum::<f64>()
        / ys.len() as f64;
    let printed = out["outer_loss"].as_f64().unwrap();
    assert!(
        (loss - printed).abs() <= 1e-9 * loss.max(1.0),
        "{loss} vs {printed}"
    );
    assert!(loss > 0.1, "a loss near zero would hide the layout");
}

#[test]
fn the_exact_gradient_is_the_slope_of_the_printed_outer_loss() {
    // Through verify's interface alone: move the body (then the initial fast state) along
    // the printed exact gradient, re-run in f64, and difference the printed L_out(φ⁰). The
    // free phase runs to convergence, so L_out(φ⁰) is the outer loss at the minimiser.
    let mut problem: Value = serde_json::from_str(&shipped("dual_tanh_q16.json")).unwrap();
    problem["scalar"] = "f64".into();
    let (_, _, exact, _) = run_dual(&problem.to_string(), DualSmall::BODY, DualSmall::FAST);
    let exact = exact.unwrap();
    let (exact_body, exact_init) = exact.split_at(DualSmall::BODY);
    let h = 1e-4;
    for (field, slope) in [("body", exact_body), ("init", exact_init)] {
        let direction: Vec<f64> = slope.iter().map(|g| g / norm(slope)).collect();
        let at = |step: f64| {
            let mut p = problem.clone();
            let moved: Vec<f64> = numbers(&problem[field])
                .iter()
                .zip(&direction)
                .map(|(v, d)| v + step * d)
                .collect();
            p[field] = serde_json::json!(moved);
            let (out, _, _, _) = run_dual(&p.to_string(), DualSmall::BODY, DualSmall::FAST);
            out["outer_loss"].as_f64().unwrap()
        };
        let measured = (at(h) - at(-h)) / (2.0 * h);
        let predicted = norm(slope);
        eprintln!("{field}: slope {measured:.9} against |exact| {predicted:.9}");
        assert!(
            (measured - predicted).abs() <= 1e-6 * predicted,
            "{field}: slope {measured} against {predicted}"
        );
    }
}

#[test]
fn without_mu_exact_is_null_with_a_warning_and_the_initial_state_is_not_learned() {
    let mut problem: Value = serde_json::from_str(&shipped("dual_tanh_q16.json")).unwrap();
    problem.as_object_mut().unwrap().remove("mu");
    let (out, cml, exact, warning) =
        run_dual(&problem.to_string(), DualSmall::BODY, DualSmall::FAST);
    assert!(exact.is_none() && out["exact"].is_null());
    let warning = warning.expect("a warning says why exact is null");
    assert!(warning.starts_with("warning: ") && !warning.contains('\n'));
    assert!(
        warning.contains("mu") && warning.contains("need not be unique"),
        "{warning}"
    );
    let (body, init) = cml.split_at(DualSmall::BODY);
    assert!(norm(body) > 1e-3, "the body still gets a meta-gradient");
    assert!(
        init.iter().all(|&g| g == 0.0),
        "no μ, no learned initial state"
    );
    // `"mu": null` is the same as leaving it out.
    problem["mu"] = Value::Null;
    let (again, _, _, _) = run_dual(&problem.to_string(), DualSmall::BODY, DualSmall::FAST);
    assert_eq!(again, out);
}

#[test]
fn without_init_the_fast_state_starts_at_the_authors_gains_1_shifts_0_zero_read_out() {
    let mut problem: Value = serde_json::from_str(&shipped("dual_tanh_q16.json")).unwrap();
    problem.as_object_mut().unwrap().remove("init");
    let absent = app::run(&problem.to_string()).unwrap().json;
    let authors: Vec<f64> = [vec![1.0; 8], vec![0.0; 8], vec![1.0; 8], vec![0.0; 8]]
        .concat()
        .into_iter()
        .chain([0.0; 9])
        .collect();
    problem["init"] = serde_json::json!(authors);
    let explicit = app::run(&problem.to_string()).unwrap().json;
    assert_eq!(absent, explicit);
    let shipped_init = app::run(&shipped("dual_tanh_q16.json")).unwrap().json;
    assert_ne!(absent, shipped_init, "init matters");
}

#[test]
fn every_compiled_dual_shape_runs_and_agrees_with_the_exact_gradient() {
    // 2-8-8-3 with each loss for several outputs, and the sinusoid network 1-40-40-1 from the
    // authors' initial state. Measured when written: cosines 0.9999996 to 1.0000000.
    let squared: Vec<Value> = (0..12)
        .map(|i| serde_json::json!([0.1 * i as f64, 1.0, -0.5]))
        .collect();
    let masked: Vec<Value> = (0..12)
        .map(|i| serde_json::json!({"output": i % 3, "value": 0.5}))
        .collect();
    let classes: Vec<Value> = (0..12).map(|i| (i % 3).into()).collect();
    for (loss, ys) in [
        ("squared_error", squared),
        ("masked_squared_error", masked),
        ("softmax_cross_entropy", classes),
    ] {
        let problem = wide_problem(loss, ys);
        let (_, cml, exact, warning) =
            run_dual(&problem.to_string(), DualWide::BODY, DualWide::FAST);
        assert_eq!(warning, None, "{loss}");
        let cos = cosine(&cml, &exact.unwrap());
        eprintln!("2-8-8-3 {loss}: cosine {cos:.7}");
        assert!(cos >= 0.999, "{loss}: cosine {cos}");
    }

    let mut problem: Value = serde_json::from_str(&shipped("dual_tanh_q16.json")).unwrap();
    let mut rng = tinycml::SplitMix64::new(9);
    let body: Vec<f64> = (0..DualSinusoid::BODY)
        .map(|i| {
            let bound = if i < 80 { 1.0 } else { 40f64.powf(-0.5) };
            rng.uniform(-bound, bound)
        })
        .collect();
    problem["model"]["widths"] = serde_json::json!([1, 40, 40, 1]);
    problem["body"] = serde_json::json!(body);
    problem.as_object_mut().unwrap().remove("init");
    problem["inner"] = serde_json::json!({"free_steps": 1000, "nudged_steps": 1000, "lr": 0.05});
    let (out, cml, exact, _) =
        run_dual(&problem.to_string(), DualSinusoid::BODY, DualSinusoid::FAST);
    assert_eq!((DualSinusoid::BODY, DualSinusoid::FAST), (1720, 201));
    assert_eq!(out["saturations"], 0);
    let cos = cosine(&cml, &exact.unwrap());
    eprintln!("1-40-40-1 q16.16: cosine {cos:.7}");
    assert!(cos >= 0.99, "1-40-40-1 q16.16: cosine {cos}");
}

#[test]
fn bad_dual_input_is_one_line_of_error_and_never_a_panic() {
    let base: Value = serde_json::from_str(&shipped("dual_tanh_q16.json")).unwrap();
    let edit = |f: &dyn Fn(&mut Value)| {
        let mut p = base.clone();
        f(&mut p);
        p.to_string()
    };
    let body_with_nan = {
        let mut p = base.clone();
        p["body"][3] = 12345.5.into();
        p.to_string().replace("12345.5", "NaN")
    };
    let cases = [
        (edit(&|p| p["mu"] = 0.0.into()), "mu = 0 must be"),
        (edit(&|p| p["mu"] = (-0.5).into()), "mu = -0.5 must be"),
        (
            edit(&|p| p["mu"] = 1e9.into()),
            "mu must be > 0 and representable",
        ),
        (
            edit(&|p| p["body"] = serde_json::json!(vec![0.1; 87])),
            "body has 87 values, the dual model [1, 8, 8, 1] has 88",
        ),
        (
            edit(&|p| p["init"] = serde_json::json!(vec![1.0; 42])),
            "init has 42 values",
        ),
        (body_with_nan, "invalid problem file"),
        (
            edit(&|p| p["body"][5] = 1e6.into()),
            "body[5] = 1000000 does not fit",
        ),
        (
            edit(&|p| p["model"]["widths"] = serde_json::json!([1, 3, 1])),
            "dual widths [1, 3, 1] are not compiled into verify; supported: [[1, 8, 8, 1], \
             [1, 40, 40, 1], [2, 8, 8, 3]]",
        ),
        (
            edit(&|p| p["model"]["widths"] = serde_json::json!([2, 8, 8, 3])),
            "dual widths start with 2 inputs but the shots have 1",
        ),
        (
            edit(&|p| p["model"]["activation"] = "sigmoid".into()),
            "unknown activation",
        ),
        (
            edit(&|p| {
                p.as_object_mut().unwrap().remove("body");
            }),
            "a dual model needs \"body\" (88 values",
        ),
        (
            edit(&|p| p["omega"] = serde_json::json!([0.0])),
            "not omega",
        ),
        (
            edit(&|p| p["loss"] = "softmax_cross_entropy".into()),
            "needs a model with several outputs",
        ),
        (edit(&|p| p["inner"]["lr"] = 50.0.into()), "diverged"),
    ];
    for (text, expected) in cases {
        let result = std::panic::catch_unwind(|| app::run(&text));
        match result {
            Err(_) => panic!("verify panicked (expected {expected:?})"),
            Ok(Ok(_)) => panic!("accepted bad input (expected {expected:?})"),
            Ok(Err(message)) => {
                assert!(message.contains(expected), "{message:?} lacks {expected:?}");
                assert!(!message.contains('\n'), "{message:?}");
            }
        }
    }
    // And the other way round: a dual model's fields on a complex synapse.
    let mut mlp: Value = serde_json::from_str(&shipped("mlp_tanh_q16.json")).unwrap();
    mlp["mu"] = 0.5.into();
    let message = app::run(&mlp.to_string()).err().expect("refused");
    assert!(message.contains("belong to a dual model"), "{message}");
}

/// Runs the command as `main` does on a problem written to a file; returns the exit status,
/// stdout and stderr.
fn command(name: &str, text: &str) -> (u8, String, String) {
    let path = format!("{}/{name}.json", env!("CARGO_TARGET_TMPDIR"));
    std::fs::write(&path, text).unwrap();
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let status = std::panic::catch_unwind(move || {
        let status = app::cli(&[path], &mut out, &mut err);
        (status, out, err)
    });
    let (status, out, err) = status.unwrap_or_else(|_| panic!("{name}: verify panicked"));
    (
        status,
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}

#[test]
fn the_command_exits_1_with_one_stderr_line_on_bad_dual_input() {
    let base: Value = serde_json::from_str(&shipped("dual_tanh_q16.json")).unwrap();
    let mut cases = Vec::new();
    for (name, field, value) in [
        ("mu-zero", "mu", serde_json::json!(0.0)),
        ("mu-negative", "mu", serde_json::json!(-1.0)),
        ("short-body", "body", serde_json::json!(vec![0.5; 10])),
        ("long-init", "init", serde_json::json!(vec![1.0; 50])),
        (
            "unknown-shape",
            "model",
            serde_json::json!({"kind": "dual", "widths": [1, 16, 16, 1], "activation": "tanh"}),
        ),
    ] {
        let mut p = base.clone();
        p[field] = value;
        cases.push((name, p.to_string()));
    }
    cases.push(("nan", base.to_string().replace("\"mu\":0.5", "\"mu\":NaN")));
    for (name, text) in cases {
        let (status, out, err) = command(name, &text);
        assert_eq!(status, 1, "{name}: {err}");
        assert_eq!(out, "", "{name}: nothing on stdout");
        assert!(
            err.starts_with("error: ") && err.ends_with('\n'),
            "{name}: {err:?}"
        );
        assert_eq!(err.lines().count(), 1, "{name}: {err:?}");
    }
    // A good problem: status 0, one JSON line, nothing on stderr; without μ, one warning line.
    let (status, out, err) = command("good", &base.to_string());
    assert_eq!((status, err.as_str(), out.lines().count()), (0, "", 1));
    let mut no_mu = base.clone();
    no_mu.as_object_mut().unwrap().remove("mu");
    let (status, out, err) = command("no-mu", &no_mu.to_string());
    assert_eq!(
        (status, out.lines().count(), err.lines().count()),
        (0, 1, 1)
    );
    assert!(err.starts_with("warning: "), "{err}");
    // A missing file and a usage error.
    let (mut out, mut err) = (Vec::new(), Vec::new());
    assert_eq!(
        app::cli(&["/nonexistent/p.json".into()], &mut out, &mut err),
        1
    );
    assert_eq!(String::from_utf8(err).unwrap().lines().count(), 1);
    let mut err = Vec::new();
    assert_eq!(app::cli(&[], &mut out, &mut err), 2);
}

/// A writer whose reader has gone, as stdout is after `verify … | head -c 10` stops reading.
struct ClosedPipe;

impl std::io::Write for ClosedPipe {
    fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
        Err(std::io::ErrorKind::BrokenPipe.into())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Err(std::io::ErrorKind::BrokenPipe.into())
    }
}

#[test]
fn a_closed_output_pipe_is_one_line_of_error_and_exit_status_1() {
    let path = format!(
        "{}/examples/problems/ridge.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut err = Vec::new();
    assert_eq!(app::cli(&[path], &mut ClosedPipe, &mut err), 1);
    let err = String::from_utf8(err).unwrap();
    assert!(err.starts_with("error: cannot write the result"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}
