//! Two inner loops of [`super::kernels`] in Armv7E-M assembly (feature `asm`, Cortex-M4 and
//! Cortex-M7 targets `thumbv7em-*` only).
//!
//! Why: the compiler keeps these loops at five instructions per weight-gradient product and
//! three per input-error product, because it loads and stores one word at a time. Written by
//! hand, four words move in one `LDM`/`STM`, and the products are the same instructions it
//! emits (`SMMULR`, `QADD`, `SMLAL`): the same bits by construction, at about 3.5 and 2.25.
//!
//! Each function here has a portable twin, the loop it replaces, and returns the same values:
//! [`add_rounded_products`] is `g_i ← sat(g_i + ((v_i·c + 2^31) >> 32))`, [`dot`] is the
//! wrapping `i64` sum of `w_i·d_i`. Only the whole blocks of four run in assembly; the rest of
//! a slice runs through the portable code. The board firmware `asm-check` (boards/qemu-m4f)
//! compares both on random inputs, rails included, under QEMU.
//!
//! This is the crate's only `unsafe` code: each block reads (and for the gradient writes)
//! exactly the `4·blocks` words of slices it was handed, with `blocks ≥ 1` checked first.
#![allow(unsafe_code)]

use core::arch::asm;
use fixed::FixedI32;

/// `g_i ← sat(g_i + ((v_i·c + 2^31) >> 32))` for `i < min(|g|, |v|)`: one `SMMULR` and one
/// `QADD` per entry, four entries per `LDM`/`STM`.
#[inline(always)]
pub(crate) fn add_rounded_products<FP>(gradient: &mut [FixedI32<FP>], values: &[i32], c: i32) {
    let (g_blocks, g_rest) = gradient.as_chunks_mut::<4>();
    let (v_blocks, v_rest) = values.as_chunks::<4>();
    let blocks = g_blocks.len().min(v_blocks.len());
    if blocks > 0 {
        // SAFETY: `FixedI32` is `repr(transparent)` over `i32`, so both pointers address
        // `blocks` blocks of four aligned `i32`; the loop reads and writes exactly those
        // (the counter starts at `blocks ≥ 1`) and touches no other memory or the stack.
        unsafe {
            asm!(
                "2:",
                "ldm {g}, {{r2, r3, r4, r5}}",
                "ldrd {d0}, {d1}, [{v}], #8",
                "smmulr {d0}, {d0}, {c}",
                "smmulr {d1}, {d1}, {c}",
                "qadd r2, r2, {d0}",
                "qadd r3, r3, {d1}",
                "ldrd {d0}, {d1}, [{v}], #8",
                "smmulr {d0}, {d0}, {c}",
                "smmulr {d1}, {d1}, {c}",
                "qadd r4, r4, {d0}",
                "qadd r5, r5, {d1}",
                "stm {g}!, {{r2, r3, r4, r5}}",
                "subs {n}, {n}, #1",
                "bne 2b",
                g = inout(reg) g_blocks.as_mut_ptr().cast::<i32>() => _,
                v = inout(reg) v_blocks.as_ptr().cast::<i32>() => _,
                n = inout(reg) blocks => _,
                c = in(reg) c,
                d0 = out(reg) _,
                d1 = out(reg) _,
                out("r2") _,
                out("r3") _,
                out("r4") _,
                out("r5") _,
                options(nostack),
            );
        }
    }
    let done = 4 * blocks;
    let g_tail = g_blocks
        .as_flattened_mut()
        .iter_mut()
        .skip(done)
        .chain(g_rest);
    let v_tail = v_blocks.as_flattened().iter().skip(done).chain(v_rest);
    for (g, &v) in g_tail.zip(v_tail) {
        let product = ((v as i64 * c as i64 + (1i64 << 31)) >> 32) as i32;
        *g = FixedI32::from_bits(g.to_bits().saturating_add(product));
    }
}

/// `Σ w_i·d_i` over `i < min(|w|, |d|)`, wrapping in `i64`: one `SMLAL` per product, four
/// weights per `LDM`.
#[inline(always)]
pub(crate) fn dot<FW, FD>(w: &[FixedI32<FW>], d: &[FixedI32<FD>]) -> i64 {
    let (w_blocks, w_rest) = w.as_chunks::<4>();
    let (d_blocks, d_rest) = d.as_chunks::<4>();
    let blocks = w_blocks.len().min(d_blocks.len());
    let (mut low, mut high) = (0u32, 0i32);
    if blocks > 0 {
        // SAFETY: `FixedI32` is `repr(transparent)` over `i32`, so both pointers address
        // `blocks` blocks of four aligned `i32`; the loop reads exactly those (the counter
        // starts at `blocks ≥ 1`) and writes no memory.
        unsafe {
            asm!(
                "2:",
                "ldm {w}!, {{r2, r3, r4, r5}}",
                "ldrd {d0}, {d1}, [{d}], #8",
                "smlal {low}, {high}, r2, {d0}",
                "smlal {low}, {high}, r3, {d1}",
                "ldrd {d0}, {d1}, [{d}], #8",
                "smlal {low}, {high}, r4, {d0}",
                "smlal {low}, {high}, r5, {d1}",
                "subs {n}, {n}, #1",
                "bne 2b",
                w = inout(reg) w_blocks.as_ptr().cast::<i32>() => _,
                d = inout(reg) d_blocks.as_ptr().cast::<i32>() => _,
                n = inout(reg) blocks => _,
                low = inout(reg) low,
                high = inout(reg) high,
                d0 = out(reg) _,
                d1 = out(reg) _,
                out("r2") _,
                out("r3") _,
                out("r4") _,
                out("r5") _,
                options(nostack, readonly),
            );
        }
    }
    let mut sum = ((high as i64) << 32) | low as i64;
    let done = 4 * blocks;
    let w_tail = w_blocks.as_flattened().iter().skip(done).chain(w_rest);
    let d_tail = d_blocks.as_flattened().iter().skip(done).chain(d_rest);
    for (&w_i, &d_i) in w_tail.zip(d_tail) {
        sum = sum.wrapping_add(w_i.to_bits() as i64 * d_i.to_bits() as i64);
    }
    sum
}
