//! The fixed-point kernels (guarded wrapping sums, products without clamps) against the
//! generic ones they replace, bit for bit and saturation count for saturation count.
//!
//! `GenericKernels<N>` is the precision `N` with every kernel left at its generic default (the
//! code before the fast kernels existed). Random layers of several shapes run through both, with
//! values drawn at every scale — from a few steps to the rails of `i32` — so that each kernel's
//! guard both holds and fails, and with about 40 % exact zeros among the inputs, as after a
//! ReLU.

use tinycml::inner::{Anchor, Strength};
use tinycml::nn::dense::{self, dense_params, InputErrors};
use tinycml::*;

/// Random `i32` bits: a scale per call site (vector), then values within it, sometimes the
/// rails themselves.
struct Bits(SplitMix64);

impl Bits {
    /// A scale: the largest magnitude's bit length, 0 to 31.
    fn scale(&mut self) -> u32 {
        const SCALES: [u32; 10] = [4, 12, 16, 20, 22, 24, 26, 28, 30, 31];
        SCALES[(self.0.next_u64() % SCALES.len() as u64) as usize]
    }
    fn value(&mut self, scale: u32, zeros: bool) -> i32 {
        let r = self.0.next_u64();
        if zeros && r % 10 < 4 {
            return 0;
        }
        if scale == 31 && r.is_multiple_of(7) {
            return [i32::MIN, i32::MAX, i32::MIN + 1, i32::MAX - 1][(r >> 8) as usize % 4];
        }
        let magnitude = (r >> 32) & ((1u64 << scale) - 1);
        let v = magnitude as i64;
        (if r & 0x100 != 0 { -v } else { v }).clamp(i32::MIN as i64, i32::MAX as i64) as i32
    }
    fn vector<F: Copy, const L: usize>(&mut self, zeros: bool, from: impl Fn(i32) -> F) -> [F; L] {
        let scale = self.scale();
        core::array::from_fn(|_| from(self.value(scale, zeros)))
    }
}

trait Bitwise: Copy + PartialEq + core::fmt::Debug {
    fn of(bits: i32) -> Self;
}
impl<Frac: fixed::types::extra::LeEqU32> Bitwise for fixed::FixedI32<Frac> {
    fn of(bits: i32) -> Self {
        Self::from_bits(bits)
    }
}

fn check_layer<N, const I: usize, const O: usize>(seed: u64, rounds: usize)
where
    N: Precision,
    N::Act: Bitwise,
    N::Param: Bitwise,
{
    let mut bits = Bits(SplitMix64::new(seed));
    for round in 0..rounds {
        let params: Vec<N::Param> = {
            let columns: [[N::Param; O]; I] = core::array::from_fn(|_| {
                let scale = bits.scale();
                core::array::from_fn(|_| N::Param::of(bits.value(scale, false)))
            });
            let biases: [N::Param; O] = bits.vector(false, N::Param::of);
            columns.iter().flatten().chain(&biases).copied().collect()
        };
        assert_eq!(params.len(), dense_params(I, O));
        let (columns, biases, _) = dense::split_layer::<_, I, O>(&params).unwrap();
        let x: [N::Act; I] = bits.vector(true, N::Act::of);
        let delta: [N::Param; O] = bits.vector(false, N::Param::of);
        let what = format!("{} {I}-{O} round {round}", N::name());

        // Forward.
        let (mut z_fast, mut z_slow) = ([N::Act::ZERO; O], [N::Act::ZERO; O]);
        let (mut sat_fast, mut sat_slow) = (Saturations::default(), Saturations::default());
        dense::forward::<N, I, O>(columns, biases, &x, &mut z_fast, &mut sat_fast);
        dense::forward::<GenericKernels<N>, I, O>(columns, biases, &x, &mut z_slow, &mut sat_slow);
        assert_eq!(z_fast, z_slow, "forward, {what}");
        assert_eq!(sat_fast, sat_slow, "forward saturations, {what}");

        // Backward: weight and bias gradients added to a gradient already holding values (at
        // the rails too), and the errors at the inputs through each activation.
        let start: Vec<N::Param> = (0..params.len())
            .map(|_| {
                let shift = bits.0.next_u64() % 32;
                N::Param::of(bits.value(31, false) >> shift)
            })
            .collect();
        for activation in [Activation::Relu, Activation::Tanh, Activation::Identity] {
            let (mut g_fast, mut g_slow) = (start.clone(), start.clone());
            let (mut e_fast, mut e_slow) = ([N::Param::ZERO; I], [N::Param::ZERO; I]);
            let (mut sat_fast, mut sat_slow) = (Saturations::default(), Saturations::default());
            {
                let (gc, gb, _) = dense::split_layer_mut::<_, I, O>(&mut g_fast).unwrap();
                let errors = InputErrors {
                    errors: &mut e_fast,
                    activation,
                };
                dense::backward::<N, I, O>(
                    columns,
                    &x,
                    &delta,
                    gc,
                    gb,
                    Some(errors),
                    &mut sat_fast,
                );
                let (gc, gb, _) = dense::split_layer_mut::<_, I, O>(&mut g_slow).unwrap();
                let errors = InputErrors {
                    errors: &mut e_slow,
                    activation,
                };
                dense::backward::<GenericKernels<N>, I, O>(
                    columns,
                    &x,
                    &delta,
                    gc,
                    gb,
                    Some(errors),
                    &mut sat_slow,
                );
            }
            assert_eq!(g_fast, g_slow, "gradient, {what}, {activation:?}");
            assert_eq!(e_fast, e_slow, "input errors, {what}, {activation:?}");
            assert_eq!(sat_fast, sat_slow, "backward saturations, {what}");
        }
    }
}

fn check_update<N, const P: usize>(seed: u64, rounds: usize)
where
    N: Precision,
    N::Param: Bitwise,
{
    let mut bits = Bits(SplitMix64::new(seed));
    for round in 0..rounds {
        let phi: [N::Param; P] = bits.vector(false, N::Param::of);
        let grad: [N::Param; P] = bits.vector(false, N::Param::of);
        let omega: [N::Param; P] = bits.vector(false, N::Param::of);
        let lambda: [N::Param; P] = bits.vector(false, N::Param::of);
        let (lr_scale, mu_scale) = (bits.scale(), bits.scale());
        let lr = N::Param::of(bits.value(lr_scale, false));
        let mu = N::Param::of(bits.value(mu_scale, false));
        for strength in [Strength::PerWeight(&lambda), Strength::Uniform(mu)] {
            let (mut p_fast, mut p_slow) = (phi, phi);
            let fast = N::descent_update(
                &mut p_fast,
                &grad,
                &Anchor {
                    start: &omega,
                    strength,
                },
                lr,
            );
            let strength_slow = match strength {
                Strength::PerWeight(l) => Strength::PerWeight(l),
                Strength::Uniform(m) => Strength::Uniform(m),
            };
            let slow = GenericKernels::<N>::descent_update(
                &mut p_slow,
                &grad,
                &Anchor {
                    start: &omega,
                    strength: strength_slow,
                },
                lr,
            );
            assert_eq!(p_fast, p_slow, "update, {} round {round}", N::name());
            assert_eq!(fast, slow, "usable, {} round {round}", N::name());
        }
    }
}

macro_rules! layer_tests {
    ($name:ident, $n:ty) => {
        #[test]
        fn $name() {
            check_layer::<$n, 1, 40>(1, 400);
            check_layer::<$n, 40, 40>(2, 300);
            check_layer::<$n, 40, 1>(3, 400);
            check_layer::<$n, 13, 10>(4, 400);
            check_layer::<$n, 64, 32>(5, 60);
            check_layer::<$n, 32, 5>(6, 300);
            check_layer::<$n, 16, 16>(7, 300);
            check_layer::<$n, 3, 1>(8, 400);
            check_layer::<$n, 7, 6>(9, 400);
            check_update::<$n, 1761>(10, 200);
            check_update::<$n, 5>(11, 2000);
        }
    };
}

layer_tests!(q16_16_kernels_match_the_generic_ones, Q16_16);
layer_tests!(q16_16_uniform_kernels_match_the_generic_ones, Q16_16Uniform);
layer_tests!(q8_24_kernels_match_the_generic_ones, Q8_24);
