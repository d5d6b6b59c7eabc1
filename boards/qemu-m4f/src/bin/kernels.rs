//! The fixed-point layer kernels on the device against the generic ones they replace, bit for
//! bit and saturation count for saturation count (the host's `tests/kernels.rs`, run by the
//! Cortex-M4F itself). Built with `--features asm` it checks the library's Armv7E-M assembly
//! loops, which only this core runs; without, the portable kernels as this core compiles them.
//!
//! Random layers of several shapes, lengths that are and are not multiples of four, values at
//! every scale from a few steps to the rails of `i32`, about 40 % zero inputs as after a ReLU,
//! and gradients that already hold values, the rails included. Prints how many layers and
//! values it compared and exits with failure at the first difference.

#![no_std]
#![no_main]

use cortex_m_rt::entry;
use tinycml::nn::dense::{self, dense_params, InputErrors};
use tinycml::{Activation, GenericKernels, Precision, Saturations, SplitMix64, Q16_16};
use tinycml_app::console::format;
use tinycml_app::Console;
use tinycml_qemu::{exit, Semihosting};

type Fast = Q16_16;
type Slow = GenericKernels<Q16_16>;
type Act = <Fast as Precision>::Act;
type Param = <Fast as Precision>::Param;

/// Random `i32` bits: a scale (largest bit length) per vector, values within it, and now and
/// then the rails themselves.
struct Bits(SplitMix64);

impl Bits {
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
        let magnitude = ((r >> 32) & ((1u64 << scale) - 1)) as i64;
        (if r & 0x100 != 0 {
            -magnitude
        } else {
            magnitude
        }) as i32
    }
    /// A vector at one scale (a scale per vector keeps some guards holding).
    fn fill(&mut self, values: &mut [i32], zeros: bool) {
        let scale = self.scale();
        for v in values {
            *v = self.value(scale, zeros);
        }
    }
}

/// What the checks compared.
#[derive(Default)]
struct Tally {
    layers: u32,
    values: u32,
}

/// One layer shape, `rounds` random layers: forward, and backward through each activation
/// into a gradient that already holds values. `P` is `dense_params(I, O)`.
fn check_layer<const I: usize, const O: usize, const P: usize>(
    bits: &mut Bits,
    rounds: u32,
    tally: &mut Tally,
) -> Result<(), &'static str> {
    assert!(P == dense_params(I, O));
    let mut raw = [0i32; P];
    for round in 0..rounds {
        // Weights at one scale per column, biases at one scale.
        for column in raw.chunks_mut(O) {
            bits.fill(column, false);
        }
        let params: [Param; P] = raw.map(Param::from_bits);
        let (columns, biases, _) = dense::split_layer::<_, I, O>(&params).ok_or("split")?;
        let mut x_raw = [0i32; I];
        bits.fill(&mut x_raw, true);
        let x: [Act; I] = x_raw.map(Act::from_bits);
        let mut delta_raw = [0i32; O];
        bits.fill(&mut delta_raw, round % 3 == 0);
        let delta: [Param; O] = delta_raw.map(Param::from_bits);

        let (mut z_fast, mut z_slow) = ([Act::ZERO; O], [Act::ZERO; O]);
        let (mut sat_fast, mut sat_slow) = (Saturations::default(), Saturations::default());
        dense::forward::<Fast, I, O>(columns, biases, &x, &mut z_fast, &mut sat_fast);
        dense::forward::<Slow, I, O>(columns, biases, &x, &mut z_slow, &mut sat_slow);
        if z_fast != z_slow || sat_fast != sat_slow {
            return Err("forward");
        }

        let mut start = [0i32; P];
        for v in start.iter_mut() {
            let shift = (bits.0.next_u64() % 32) as u32;
            *v = bits.value(31, false) >> shift;
        }
        for activation in [Activation::Relu, Activation::Tanh, Activation::Identity] {
            let (mut g_fast, mut g_slow) =
                (start.map(Param::from_bits), start.map(Param::from_bits));
            let (mut e_fast, mut e_slow) = ([Param::ZERO; I], [Param::ZERO; I]);
            let (mut sat_fast, mut sat_slow) = (Saturations::default(), Saturations::default());
            let (gc, gb, _) = dense::split_layer_mut::<_, I, O>(&mut g_fast).ok_or("split")?;
            let errors = InputErrors {
                errors: &mut e_fast,
                activation,
            };
            dense::backward::<Fast, I, O>(columns, &x, &delta, gc, gb, Some(errors), &mut sat_fast);
            let (gc, gb, _) = dense::split_layer_mut::<_, I, O>(&mut g_slow).ok_or("split")?;
            let errors = InputErrors {
                errors: &mut e_slow,
                activation,
            };
            dense::backward::<Slow, I, O>(columns, &x, &delta, gc, gb, Some(errors), &mut sat_slow);
            if g_fast != g_slow {
                return Err("weight and bias gradients");
            }
            if e_fast != e_slow {
                return Err("input errors");
            }
            if sat_fast != sat_slow {
                return Err("backward saturations");
            }
            tally.values += (P + I) as u32;
        }
        tally.layers += 1;
        tally.values += O as u32;
    }
    Ok(())
}

fn check_all(bits: &mut Bits, tally: &mut Tally) -> Result<(), (&'static str, &'static str)> {
    let shape = |name| move |what| (name, what);
    check_layer::<40, 40, { dense_params(40, 40) }>(bits, 60, tally).map_err(shape("40-40"))?;
    check_layer::<16, 16, { dense_params(16, 16) }>(bits, 100, tally).map_err(shape("16-16"))?;
    check_layer::<13, 7, { dense_params(13, 7) }>(bits, 150, tally).map_err(shape("13-7"))?;
    check_layer::<5, 22, { dense_params(5, 22) }>(bits, 150, tally).map_err(shape("5-22"))?;
    check_layer::<9, 37, { dense_params(9, 37) }>(bits, 100, tally).map_err(shape("9-37"))?;
    check_layer::<32, 5, { dense_params(32, 5) }>(bits, 100, tally).map_err(shape("32-5"))?;
    check_layer::<1, 40, { dense_params(1, 40) }>(bits, 150, tally).map_err(shape("1-40"))?;
    check_layer::<40, 1, { dense_params(40, 1) }>(bits, 150, tally).map_err(shape("40-1"))?;
    Ok(())
}

#[entry]
fn main() -> ! {
    let mut out = Semihosting::new();
    let mut bits = Bits(SplitMix64::new(11));
    let mut tally = Tally::default();
    let assembly = if cfg!(feature = "asm") {
        "with the asm feature"
    } else {
        "portable"
    };
    match check_all(&mut bits, &mut tally) {
        Ok(()) => {
            out.line(&format(format_args!(
                "kernels ({assembly}): {} random layers, {} values, all equal to the generic kernels",
                tally.layers, tally.values
            )));
            exit(true)
        }
        Err((shape, what)) => {
            out.line(&format(format_args!(
                "kernels ({assembly}): {shape} layer {}: {what} differ from the generic kernels",
                tally.layers
            )));
            exit(false)
        }
    }
}
