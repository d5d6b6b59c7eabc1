//! The layer kernel against a plain one: every product in index order, no input skipped, no
//! partial sums, weights read as `W[i][j]` at `j·outputs + i`. In fixed point the two must
//! agree bit for bit (integer sums do not depend on order or on skipped zeros); in f64 to
//! rounding. Inputs are about half exact zeros, as after a ReLU, and both activations run.

use tinycml::nn::dense::{self, dense_params, InputErrors};
use tinycml::*;

const INPUTS: usize = 13;
const OUTPUTS: usize = 10;
const PARAMS: usize = dense_params(INPUTS, OUTPUTS);

struct Case<N: Precision> {
    params: [N::Param; PARAMS],
    x: [N::Act; INPUTS],
    delta: [N::Param; OUTPUTS],
}

fn case<N: Precision>(seed: u64) -> Case<N> {
    let mut rng = SplitMix64::new(seed);
    let mut param = || Scalar::from_f64(rng.uniform(-0.5, 0.5)).unwrap();
    let params = core::array::from_fn(|_| param());
    let delta = core::array::from_fn(|_| param());
    let x = core::array::from_fn(|_| {
        let v = rng.uniform(-1.0, 1.0);
        Scalar::from_f64(if v < 0.0 { 0.0 } else { 2.0 * v }).unwrap()
    });
    Case { params, x, delta }
}

fn weight<T: Copy>(params: &[T], i: usize, j: usize) -> T {
    params[j * OUTPUTS + i]
}

/// The plain forward pass, one wide sum per output.
fn plain_forward<N: Precision>(c: &Case<N>, sat: &mut Saturations) -> [N::Act; OUTPUTS] {
    core::array::from_fn(|i| {
        let bias = c.params[INPUTS * OUTPUTS + i];
        let sum = (0..INPUTS).fold(N::acc_from(bias), |acc, j| {
            N::mac(acc, weight(&c.params, i, j), c.x[j])
        });
        N::acc_to_act(sum, sat)
    })
}

/// The plain backward pass: weight and bias gradients, and the errors at the inputs.
fn plain_backward<N: Precision>(
    c: &Case<N>,
    activation: Activation,
    sat: &mut Saturations,
) -> ([N::Param; PARAMS], [N::Param; INPUTS]) {
    let mut grad = [N::Param::ZERO; PARAMS];
    for j in 0..INPUTS {
        for i in 0..OUTPUTS {
            grad[j * OUTPUTS + i] = N::mul_param_act(c.delta[i], c.x[j], sat);
        }
    }
    grad[INPUTS * OUTPUTS..].copy_from_slice(&c.delta);
    let errors = core::array::from_fn(|j| {
        let sum = (0..OUTPUTS).fold(N::Param::wide_zero(), |acc, i| {
            N::Param::wide_mac(acc, weight(&c.params, i, j), c.delta[i])
        });
        activation.backprop::<N>(N::Param::from_wide(sum, sat), c.x[j], sat)
    });
    (grad, errors)
}

/// What the kernel computes: the outputs, the parameter gradient and the input errors.
type Outcome<N> = (
    [<N as Precision>::Act; OUTPUTS],
    [<N as Precision>::Param; PARAMS],
    [<N as Precision>::Param; INPUTS],
);

fn kernel<N: Precision>(c: &Case<N>, activation: Activation) -> Outcome<N> {
    let mut sat = Saturations::default();
    let mut z = [N::Act::ZERO; OUTPUTS];
    let (columns, biases, _) = dense::split_layer::<_, INPUTS, OUTPUTS>(&c.params).unwrap();
    dense::forward::<N, INPUTS, OUTPUTS>(columns, biases, &c.x, &mut z, &mut sat);
    let mut grad = [N::Param::ZERO; PARAMS];
    let mut errors = [N::Param::ZERO; INPUTS];
    let into_inputs = InputErrors {
        errors: &mut errors,
        activation,
    };
    let (grad_columns, grad_biases, _) =
        dense::split_layer_mut::<_, INPUTS, OUTPUTS>(&mut grad).unwrap();
    dense::backward::<N, INPUTS, OUTPUTS>(
        columns,
        &c.x,
        &c.delta,
        grad_columns,
        grad_biases,
        Some(into_inputs),
        &mut sat,
    );
    (z, grad, errors)
}

#[test]
fn fixed_point_layer_is_bit_identical_to_the_plain_sums() {
    for seed in 0..20 {
        for activation in [Activation::Relu, Activation::Tanh] {
            let c = case::<Q16_16>(seed);
            let mut sat = Saturations::default();
            let (z, grad, errors) = kernel(&c, activation);
            assert_eq!(z, plain_forward(&c, &mut sat), "forward, seed {seed}");
            let (plain_grad, plain_errors) = plain_backward(&c, activation, &mut sat);
            assert_eq!(grad, plain_grad, "gradient, seed {seed}");
            assert_eq!(
                errors, plain_errors,
                "input errors, {activation:?}, seed {seed}"
            );
        }
    }
}

#[test]
fn float_layer_matches_the_plain_sums_to_rounding() {
    for seed in 0..20 {
        for activation in [Activation::Relu, Activation::Tanh] {
            let c = case::<f64>(seed);
            let mut sat = Saturations::default();
            let (z, grad, errors) = kernel(&c, activation);
            let (plain_grad, plain_errors) = plain_backward(&c, activation, &mut sat);
            let close = |a: f64, b: f64| (a - b).abs() <= 1e-14 * (1.0 + b.abs());
            assert!(z
                .iter()
                .zip(plain_forward(&c, &mut sat))
                .all(|(&a, b)| close(a, b)));
            assert!(grad.iter().zip(plain_grad).all(|(&a, b)| close(a, b)));
            assert!(errors.iter().zip(plain_errors).all(|(&a, b)| close(a, b)));
        }
    }
}

#[test]
fn a_single_output_layer_takes_its_row_path_with_the_same_bits() {
    let c = case::<Q16_16>(3);
    let row = &c.params[..INPUTS];
    let bias = c.params[INPUTS];
    let mut params = [<Q16_16 as Precision>::Param::ZERO; INPUTS + 1];
    params[..INPUTS].copy_from_slice(row);
    params[INPUTS] = bias;
    let mut sat = Saturations::default();
    let mut z = [<Q16_16 as Precision>::Act::ZERO; 1];
    let (columns, biases, _) = dense::split_layer::<_, INPUTS, 1>(&params).unwrap();
    dense::forward::<Q16_16, INPUTS, 1>(columns, biases, &c.x, &mut z, &mut sat);
    let plain = row
        .iter()
        .zip(&c.x)
        .fold(Q16_16::acc_from(bias), |acc, (&w, &x)| {
            Q16_16::mac(acc, w, x)
        });
    assert_eq!(z[0], Q16_16::acc_to_act(plain, &mut sat));
}
