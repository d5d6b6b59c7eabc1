//! Every loss's gradient and a deep network's back-propagation against central finite
//! differences, with the loss written out here in plain `f64` and the network evaluated by a
//! plain loop over the documented flat layout. Nothing on the checking side goes through the
//! library's `add_loss_gradient`, its losses or its layer kernels, so a back-propagation bug
//! that the float reference would share (it differentiates the same code) fails here.
//!
//! The network is `3-7-6-5-O`: three tanh hidden layers and a linear output layer of O = 4
//! (one for binary cross-entropy), 135 parameters. Central differences with step 1e-6 have
//! an error of order h² · f''' ≈ 1e-12 plus rounding ≈ 1e-16 / 1e-6 = 1e-10; the tolerance
//! is 1e-7 relative to the largest gradient component.

use tinycml::loss::add_loss_gradient;
use tinycml::*;

type Deep<L> = Network<3, Layer<7, Layer<6, Layer<5, L>>>>;
type Four = Deep<Layer<4>>;
type One = Deep<Layer<1>>;
const WIDTHS4: [usize; 5] = [3, 7, 6, 5, 4];
const WIDTHS1: [usize; 5] = [3, 7, 6, 5, 1];

/// The network's outputs by a plain loop: layer by layer, `W[i][j]` at `j·outputs + i`.
fn plain_forward(widths: &[usize], params: &[f64], x: &[f64]) -> Vec<f64> {
    let mut h = x.to_vec();
    let mut at = 0;
    for (layer, pair) in widths.windows(2).enumerate() {
        let (inputs, outputs) = (pair[0], pair[1]);
        let bias = at + inputs * outputs;
        let z: Vec<f64> = (0..outputs)
            .map(|i| {
                params[bias + i]
                    + (0..inputs)
                        .map(|j| params[at + j * outputs + i] * h[j])
                        .sum::<f64>()
            })
            .collect();
        at = bias + outputs;
        let last = layer + 2 == widths.len();
        h = if last {
            z
        } else {
            z.iter().map(|v| v.tanh()).collect()
        };
    }
    assert_eq!(at, params.len(), "the layout covers every parameter once");
    h
}

fn softplus(z: f64) -> f64 {
    z.max(0.0) + (-z.abs()).exp().ln_1p()
}

/// The mean loss over shots, in plain f64, from `plain_forward`.
fn plain_loss<T>(
    widths: &[usize],
    params: &[f64],
    shots: &[Shot<f64, 3, T>],
    loss: impl Fn(&[f64], &T) -> f64,
) -> f64 {
    shots
        .iter()
        .map(|s| loss(&plain_forward(widths, params, &s.x), &s.y))
        .sum::<f64>()
        / shots.len() as f64
}

fn random_params(seed: u64, count: usize) -> Vec<f64> {
    let mut rng = SplitMix64::new(seed);
    (0..count).map(|_| rng.uniform(-0.8, 0.8)).collect()
}

fn random_x(rng: &mut SplitMix64) -> [f64; 3] {
    [
        rng.uniform(-2.0, 2.0),
        rng.uniform(-2.0, 2.0),
        rng.uniform(-2.0, 2.0),
    ]
}

/// The library's gradient against central differences of `plain_loss`.
fn check<M, L, T>(
    model: M,
    loss: L,
    widths: &[usize],
    shots: &[Shot<f64, 3, T>],
    plain: impl Fn(&[f64], &T) -> f64 + Copy,
) where
    M: Model<f64>,
    L: Loss<f64, T>,
{
    for seed in 0..3 {
        let params = random_params(seed, M::PARAMS);
        let mut sat = Saturations::default();
        // Forward: the library against the plain loop.
        let mut buffers = M::Buffers::default();
        for shot in shots {
            let ours = model.forward(&params, &shot.x, &mut buffers, &mut sat);
            let plain_out = plain_forward(widths, &params, &shot.x);
            for (a, b) in ours.as_ref().iter().zip(&plain_out) {
                assert!(
                    (a - b).abs() <= 1e-12,
                    "{}: forward {a} vs {b}",
                    loss.name()
                );
            }
        }
        // Backward: the library's gradient against central differences.
        let mut grad = vec![0.0; M::PARAMS];
        add_loss_gradient(&model, &loss, &params, shots, 1.0, &mut grad, &mut sat);
        let h = 1e-6;
        let numeric: Vec<f64> = (0..M::PARAMS)
            .map(|k| {
                let mut up = params.clone();
                let mut down = params.clone();
                up[k] += h;
                down[k] -= h;
                (plain_loss(widths, &up, shots, plain) - plain_loss(widths, &down, shots, plain))
                    / (2.0 * h)
            })
            .collect();
        let scale = numeric.iter().fold(0.0f64, |m, g| m.max(g.abs()));
        assert!(
            scale > 1e-3,
            "{}: a gradient this small tests nothing",
            loss.name()
        );
        for (k, (a, b)) in grad.iter().zip(&numeric).enumerate() {
            assert!(
                (a - b).abs() <= 1e-7 * scale,
                "{} seed {seed}: ∂/∂φ[{k}] library {a:e}, finite differences {b:e}",
                loss.name()
            );
        }
        // The reported loss agrees with the plain one (the squared errors report 2ℓ).
        let reported = loss::mean_loss(&model, &loss, &params, shots, &mut sat);
        let objective = plain_loss(widths, &params, shots, plain);
        let divisor = loss.objective_divisor() as f64;
        assert!(
            (reported / divisor - objective).abs() <= 1e-12 * objective.max(1.0),
            "{}",
            loss.name()
        );
    }
}

fn shots<T>(seed: u64, target: impl Fn(&mut SplitMix64) -> T) -> Vec<Shot<f64, 3, T>> {
    let mut rng = SplitMix64::new(seed);
    (0..6)
        .map(|_| {
            let x = random_x(&mut rng);
            Shot {
                x,
                y: target(&mut rng),
            }
        })
        .collect()
}

#[test]
fn squared_error_on_four_outputs() {
    let shots = shots(1, |rng| [(); 4].map(|_| rng.uniform(-1.0, 1.0)));
    check(
        Four::new(Activation::Tanh),
        SquaredError,
        &WIDTHS4,
        &shots,
        |out, y: &[f64; 4]| {
            out.iter()
                .zip(y)
                .map(|(o, y)| 0.5 * (o - y) * (o - y))
                .sum()
        },
    );
}

#[test]
fn masked_squared_error_judges_one_output() {
    let shots = shots(2, |rng| Masked {
        output: (rng.next_u64() % 4) as u16,
        value: rng.uniform(-1.0, 1.0),
    });
    check(
        Four::new(Activation::Tanh),
        MaskedSquaredError,
        &WIDTHS4,
        &shots,
        |out, y: &Masked<f64>| {
            let e = out[y.output as usize] - y.value;
            0.5 * e * e
        },
    );
}

#[test]
fn softmax_cross_entropy_over_four_classes() {
    let shots = shots(3, |rng| Class((rng.next_u64() % 4) as u16));
    check(
        Four::new(Activation::Tanh),
        SoftmaxCrossEntropy,
        &WIDTHS4,
        &shots,
        |out, c: &Class| {
            let total: f64 = out.iter().map(|z| z.exp()).sum();
            total.ln() - out[c.0 as usize]
        },
    );
}

#[test]
fn binary_cross_entropy_on_one_logit() {
    let shots = shots(4, |rng| {
        if rng.uniform(0.0, 1.0) < 0.5 {
            0.0
        } else {
            1.0
        }
    });
    check(
        One::new(Activation::Tanh),
        BinaryCrossEntropy,
        &WIDTHS1,
        &shots,
        |out, y: &f64| softplus(out[0]) - y * out[0],
    );
}

#[test]
fn relu_layers_backpropagate_away_from_their_kinks() {
    // ReLU is not differentiable at 0; with random inputs no pre-activation sits within the
    // difference step of a kink (checked by the forward comparison being smooth enough).
    type Relu = Network<3, Layer<7, Layer<4>>>;
    let shots = shots(5, |rng| [(); 4].map(|_| rng.uniform(-1.0, 1.0)));
    let relu_forward = |params: &[f64], x: &[f64]| -> Vec<f64> {
        let hidden: Vec<f64> = (0..7)
            .map(|i| {
                (params[21 + i] + (0..3).map(|j| params[j * 7 + i] * x[j]).sum::<f64>()).max(0.0)
            })
            .collect();
        (0..4)
            .map(|i| {
                params[28 + 28 + i]
                    + (0..7)
                        .map(|j| params[28 + j * 4 + i] * hidden[j])
                        .sum::<f64>()
            })
            .collect()
    };
    let model = Relu::new(Activation::Relu);
    let params = random_params(9, Relu::PARAMS);
    assert_eq!(Relu::PARAMS, 28 + 32);
    let mut sat = Saturations::default();
    let mut grad = vec![0.0; Relu::PARAMS];
    add_loss_gradient::<f64, _, _, _, 3>(
        &model,
        &SquaredError,
        &params,
        &shots,
        1.0,
        &mut grad,
        &mut sat,
    );
    let loss = |p: &[f64]| {
        shots
            .iter()
            .map(|s| {
                relu_forward(p, &s.x)
                    .iter()
                    .zip(&s.y)
                    .map(|(o, y)| 0.5 * (o - y) * (o - y))
                    .sum::<f64>()
            })
            .sum::<f64>()
            / shots.len() as f64
    };
    let h = 1e-7;
    for k in 0..Relu::PARAMS {
        let (mut up, mut down) = (params.clone(), params.clone());
        up[k] += h;
        down[k] -= h;
        let numeric = (loss(&up) - loss(&down)) / (2.0 * h);
        assert!(
            (grad[k] - numeric).abs() <= 1e-6,
            "∂/∂φ[{k}]: {} vs {numeric}",
            grad[k]
        );
    }
}
