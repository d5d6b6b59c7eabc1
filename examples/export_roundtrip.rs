//! The Rust half of the export format's round trip with Python (`python/test_roundtrip.py`
//! drives it): what this library writes, `python/tinycml_format.py` must read as the same
//! values, and what that module writes, this library must decode to the same bits.
//!
//! - `export_roundtrip write DIR`: writes exports of seeded θs in every version and value
//!   type the library writes (`rust-*.tcml`), each with `NAME.json`: the settings, μ and the
//!   exact values (as the bits of their `f64`), for the Python side to compare.
//! - `export_roundtrip dump FILE [X…]`: decodes FILE (a 1-8-8-1 ReLU or 1-40-40-1 ReLU complex
//!   synapse, or a 1-8-8-1 tanh dual system, squared error) and prints one JSON line: its
//!   version, settings, μ, its values decoded in `f64` (bits), the raw Q8.24 bits a `Q16_16`
//!   device decodes (or the error it refuses with), the same from the compile-time reader
//!   (`store::flash`), and for a complex synapse the network's outputs at ω for each input X
//!   (how the PyTorch example checks the parameter layout).
use serde_json::{json, Value};
use tinycml::dual::{DualCml, DualModel, DualState, DualSystem};
use tinycml::nn::Shape;
use tinycml::store::{self, flash, ModelKind, ValueType};
use tinycml::*;

type Small = Mlp<1, 8, 8>;
const SP: usize = Small::PARAMS;
const LP: usize = SinusoidMlp::PARAMS;
type Dual = DualSystem<1, Layer<8, Layer<8, Layer<1>>>>;
const B: usize = Dual::BODY;
const F: usize = Dual::FAST;
const Q8_24: ValueType = ValueType::of::<Q16_16>();

fn config_json(c: &Config) -> Value {
    let estimator = match c.estimator {
        Estimator::Standard => "standard",
        Estimator::Symmetric => "symmetric",
        // A variant added after this example: the Python side refuses the name.
        _ => "unknown",
    };
    let learn = match c.learn {
        Learn::Both => "both",
        Learn::Omega => "omega",
        Learn::Lambda => "lambda",
        _ => "unknown",
    };
    json!({
        "free_steps": c.free_steps, "free_lr": c.free_lr.to_bits(),
        "nudged_steps": c.nudged_steps, "nudged_lr": c.nudged_lr.to_bits(),
        "beta": c.beta.to_bits(), "estimator": estimator, "learn": learn,
        "lambda_min": c.lambda_min.to_bits(), "lambda_max": c.lambda_max.to_bits(),
    })
}

fn bits<S: Scalar>(values: impl IntoIterator<Item = S>) -> Vec<u64> {
    values.into_iter().map(|v| v.to_f64().to_bits()).collect()
}

/// Settings with a value other than the default in every field.
fn settings() -> Config {
    Config::new()
        .with_free_steps(37)
        .with_free_lr(0.03)
        .with_nudged_steps(11)
        .with_nudged_lr(0.021)
        .with_beta(0.07)
        .with_estimator(Estimator::Standard)
        .with_learn(Learn::Omega)
        .with_lambda_min(0.002)
        .with_lambda_max(30.0)
}

fn write(dir: &str) -> Result<(), Box<dyn std::error::Error>> {
    let mut rng = SplitMix64::new(2024);
    let cml = Cml::<f64, _, SP>::new(Small::new(Activation::Relu), settings())?;
    let omega = std::array::from_fn(|_| rng.uniform(-3.0, 3.0));
    let lambda = std::array::from_fn(|_| rng.uniform(0.01, 20.0));
    let theta = ComplexSynapse::<f64, SP>::new(omega, lambda)?;
    let system = Dual::new(Activation::Tanh);
    let dual = DualCml::<f64, _, B, F>::new(system, settings(), Some(0.25))?;
    let body = std::array::from_fn(|_| rng.uniform(-1.0, 1.0));
    let dual_theta = DualState::<f64, B, F>::with_initial_fast(&system, body)?;

    let save = |name: &str, bytes: &[u8], config: &Config, mu: Option<f64>, values: Vec<u64>| {
        std::fs::write(format!("{dir}/{name}.tcml"), bytes)?;
        let expected = json!({
            "config": config_json(config), "mu": mu.map(f64::to_bits), "values": values,
        });
        std::fs::write(format!("{dir}/{name}.json"), expected.to_string())
    };
    // The values a reader must see: θ as the stored type holds it (what a reader in that
    // type's own precision decodes).
    let mut v3 = vec![0; store::encoded_len(SP)];
    store::encode(&cml, &theta, &mut v3)?;
    save(
        "rust-v3",
        &v3,
        cml.config(),
        None,
        bits(theta.omega().iter().chain(theta.lambda()).copied()),
    )?;
    for (name, value_type) in [
        ("f64", ValueType::F64),
        ("f32", ValueType::F32),
        ("q8.24", Q8_24),
    ] {
        let mut v5 = vec![0; store::encoded_len_as(SP, value_type)];
        store::encode_as(&cml, &theta, value_type, &mut v5)?;
        let values = match value_type {
            ValueType::F32 => bits(
                store::decode::<f32, _, SP>(cml.model(), &v5)?
                    .1
                    .omega()
                    .iter()
                    .chain(theta.lambda().map(|l| l as f32).iter())
                    .copied(),
            ),
            ValueType::F64 => bits(
                store::decode::<f64, _, SP>(cml.model(), &v5)?
                    .1
                    .omega()
                    .iter()
                    .chain(theta.lambda())
                    .copied(),
            ),
            _ => {
                let (_, device) = store::decode::<Q16_16, _, SP>(cml.model(), &v5)?;
                bits(device.omega().iter().chain(device.lambda()).copied())
            }
        };
        save(&format!("rust-v5-{name}"), &v5, cml.config(), None, values)?;
    }
    let mut v4 = vec![0; store::encoded_dual_len(B, F)];
    store::encode_dual(&dual, &dual_theta, &mut v4)?;
    let dual_values = bits(dual_theta.body().iter().chain(dual_theta.init()).copied());
    save("rust-dual-v4", &v4, dual.config(), Some(0.25), dual_values)?;
    let mut v5 = vec![0; store::encoded_dual_len_as(B, F, Q8_24)];
    store::encode_dual_as(&dual, &dual_theta, Q8_24, &mut v5)?;
    let (_, device) = store::decode_dual::<Q16_16, _, B, F, _>(&system, SquaredError, &v5)?;
    let device_values = bits(device.body().iter().chain(device.init()).copied());
    save(
        "rust-dual-v5-q8.24",
        &v5,
        dual.config(),
        Some(0.25),
        device_values,
    )?;
    Ok(())
}

fn error_text(error: Error) -> Value {
    json!(format!("{error:?}"))
}

/// A complex synapse of `P` parameters: f64 values, device bits, compile-time reader's bits,
/// outputs at ω.
fn dump_network<M, const P: usize>(
    model: M,
    shape: Shape,
    bytes: &[u8],
    xs: &[f64],
) -> Result<Value, Error>
where
    M: Model<f64> + Model<Q16_16> + Copy,
{
    let (cml, theta) = store::decode::<f64, _, P>(&model, bytes)?;
    let device = match store::decode::<Q16_16, _, P>(&model, bytes) {
        Ok((_, device)) => json!(device
            .omega()
            .iter()
            .chain(device.lambda())
            .map(|v| v.to_bits())
            .collect::<Vec<_>>()),
        Err(error) => json!({ "error": error_text(error) }),
    };
    let embedded = match flash::complex_synapse::<P>(bytes, &shape, "squared_error") {
        Ok(prior) => json!(prior
            .theta
            .omega()
            .iter()
            .chain(prior.theta.lambda())
            .map(|v| v.to_bits())
            .collect::<Vec<_>>()),
        Err(refusal) => json!({ "error": error_text(refusal.error) }),
    };
    let outputs: Vec<f64> = xs
        .iter()
        .map(|&x| {
            let mut buffers = Default::default();
            let mut sat = Saturations::default();
            let y = Model::<f64>::forward(&model, theta.omega(), &[x], &mut buffers, &mut sat);
            y.as_ref()[0]
        })
        .collect();
    Ok(json!({
        "kind": "complex_synapse", "config": config_json(cml.config()), "mu": null,
        "values": bits(theta.omega().iter().chain(theta.lambda()).copied()),
        "device": device, "embedded": embedded, "outputs": outputs,
    }))
}

fn dump(path: &str, xs: &[f64]) -> Result<Value, Box<dyn std::error::Error>> {
    let bytes = std::fs::read(path)?;
    let version = u16::from_le_bytes([bytes[4], bytes[5]]);
    let relu = |h: u16| {
        Shape::new(1)
            .with_layer(h, Activation::Relu)
            .with_layer(h, Activation::Relu)
            .with_layer(1, Activation::Identity)
    };
    let mut out = match store::model_kind(&bytes)? {
        ModelKind::ComplexSynapse => {
            match dump_network::<_, SP>(Small::new(Activation::Relu), relu(8), &bytes, xs) {
                Err(Error::CorruptState) => {
                    dump_network::<_, LP>(SinusoidMlp::new(Activation::Relu), relu(40), &bytes, xs)?
                }
                other => other?,
            }
        }
        ModelKind::DualSystem => {
            let system = Dual::new(Activation::Tanh);
            let (cml, theta) =
                store::decode_dual::<f64, _, B, F, _>(&system, SquaredError, &bytes)?;
            let device =
                match store::decode_dual::<Q16_16, _, B, F, _>(&system, SquaredError, &bytes) {
                    Ok((_, device)) => json!(device
                        .body()
                        .iter()
                        .chain(device.init())
                        .map(|v| v.to_bits())
                        .collect::<Vec<_>>()),
                    Err(error) => json!({ "error": error_text(error) }),
                };
            let shape = DualModel::<f64>::shape(&system);
            let embedded = match flash::dual_state::<B, F>(&bytes, &shape, "squared_error") {
                Ok(prior) => json!(prior
                    .theta
                    .body()
                    .iter()
                    .chain(prior.theta.init())
                    .map(|v| v.to_bits())
                    .collect::<Vec<_>>()),
                Err(refusal) => json!({ "error": error_text(refusal.error) }),
            };
            json!({
                "kind": "dual_system", "config": config_json(cml.config()),
                "mu": cml.mu().map(f64::to_bits),
                "values": bits(theta.body().iter().chain(theta.init()).copied()),
                "device": device, "embedded": embedded,
            })
        }
        _ => return Err(format!("{path}: a model kind this example does not know").into()),
    };
    out["version"] = json!(version);
    Ok(out)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("write") if args.len() == 2 => write(&args[1]),
        Some("dump") if args.len() >= 2 => {
            let xs = args[2..]
                .iter()
                .map(|x| x.parse())
                .collect::<Result<Vec<f64>, _>>()?;
            println!("{}", dump(&args[1], &xs)?);
            Ok(())
        }
        _ => Err("usage: export_roundtrip write DIR | dump FILE [X…]".into()),
    }
}
