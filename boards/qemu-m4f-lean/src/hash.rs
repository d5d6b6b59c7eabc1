//! The adapted φ's hash, the same on the build host (build.rs) and the firmware. Not the
//! library's `fingerprint`, which hashes each value's `f64` and would bring double-precision
//! conversion code into a firmware whose flash this measures.

/// FNV-1a (64-bit) over the little-endian bytes of `words`.
pub fn fnv1a(words: impl Iterator<Item = i32>) -> u64 {
    words.fold(0xcbf2_9ce4_8422_2325, |hash, word| {
        word.to_le_bytes().iter().fold(hash, |h, &byte| {
            (h ^ byte as u64).wrapping_mul(0x0000_0100_0000_01b3)
        })
    })
}
