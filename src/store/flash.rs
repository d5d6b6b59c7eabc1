//! θ in flash: an export file decoded **at compile time** into a `static`, so a firmware keeps
//! its meta-learned prior in flash, costs no RAM for it, and needs no build script.
//!
//! Adaptation only reads θ, so a deployed device does not need θ in RAM. Decoding the file at
//! run time would need `2P` values of RAM for the result; decoding it in a build script means
//! every firmware carries code that generates code. Here the file is included with
//! `include_bytes!` and read by `const fn`s: the checksum, format version, model kind, value
//! type, value count, shape and loss name are all checked by the compiler, and a failed check
//! is a compile error that names it. Nothing of the file itself reaches the binary: only the
//! `static` θ, in the device's format.
//!
//! The values become the raw Q8.24 bits of [`Q16_16`]'s parameters exactly as the run-time
//! decoder makes them ([`super::decode`] in [`Q16_16`]): an `f64` export (versions 2 to 4,
//! or 5 with `f64` values) is rounded to nearest; a version-5 export is converted only when
//! exact, so the device's own format — what
//! [`super::encode_as`]`(…, ValueType::of::<Q16_16>(), …)` writes, half the size of `f64` —
//! is copied bit for bit, and an `f32` value between two Q8.24 steps is refused.
//!
//! ```
//! use tinycml::nn::{Activation, Shape};
//! use tinycml::store::flash::Prior;
//! use tinycml::{ComplexSynapse, Mlp, Q16_16};
//!
//! type Net = Mlp<1, 8, 8>;
//! const P: usize = Net::PARAMS;
//! /// What the file must hold: 1-8-8-1, ReLU hidden layers, a linear output.
//! const SHAPE: Shape = Shape::new(1)
//!     .with_layer(8, Activation::Relu)
//!     .with_layer(8, Activation::Relu)
//!     .with_layer(1, Activation::Identity);
//!
//! // In a firmware: `include_bytes!("../prior.tcml")`.
//! # const FILE: &[u8] = include_bytes!("../../tests/data/flash-1-8-8-1.tcml");
//! const EXPORT: Prior<ComplexSynapse<Q16_16, P>> =
//!     tinycml::embed_complex_synapse!(FILE, SHAPE, "squared_error");
//!
//! /// The prior, in flash.
//! static PRIOR: ComplexSynapse<Q16_16, P> = EXPORT.theta;
//!
//! // The settings stored with it, for `Cml::new(Net::new(Activation::Relu), EXPORT.config)`.
//! assert_eq!(EXPORT.config.free_steps, 100);
//! // The compiler's fingerprint of θ, to compare with the device's at run time.
//! assert_eq!(PRIOR.fingerprint(), EXPORT.fingerprint);
//! ```
//!
//! A file of another shape does not compile:
//!
//! ```compile_fail
//! # use tinycml::nn::{Activation, Shape};
//! # use tinycml::{store::flash::Prior, ComplexSynapse, Mlp, Q16_16};
//! # const P: usize = Mlp::<1, 8, 8>::PARAMS;
//! const TANH: Shape = Shape::new(1)
//!     .with_layer(8, Activation::Tanh)
//!     .with_layer(8, Activation::Tanh)
//!     .with_layer(1, Activation::Identity);
//! const FILE: &[u8] = include_bytes!("../../tests/data/flash-1-8-8-1.tcml");
//! const EXPORT: Prior<ComplexSynapse<Q16_16, P>> =
//!     tinycml::embed_complex_synapse!(FILE, TANH, "squared_error"); // error: its shape
//! ```
//!
//! [`complex_synapse`] and [`dual_state`] are the `const fn`s; the macros
//! [`crate::embed_complex_synapse`] and [`crate::embed_dual_state`] turn their refusal into
//! the compile error.

use super::value::Conversion;
use super::{activation_code, ModelKind, ValueType, CRC, MAGIC, MU_AT, MU_GIVEN_AT};
use super::{HEADER_LEN, HEADER_LEN_2, HEADER_LEN_4, HEADER_LEN_5, VALUE_TYPE_AT};
use super::{VERSION, VERSION_2, VERSION_4, VERSION_5};
use crate::cml::{Config, Estimator, Learn};
use crate::dual::DualState;
use crate::nn::Shape;
use crate::num::Q16_16;
use crate::synapse::ComplexSynapse;
use crate::Error;

/// A prior decoded at compile time: θ and the settings stored with it.
#[derive(Clone, Debug, PartialEq)]
pub struct Prior<T> {
    /// θ ([`ComplexSynapse`] or [`DualState`] in [`Q16_16`]); put it in a `static`.
    pub theta: T,
    /// The rule's settings stored with θ.
    pub config: Config,
    /// μ, a dual system's pull to the initial fast state (`None` for a complex synapse, and
    /// for a dual system exported without one).
    pub mu: Option<f64>,
    /// θ's fingerprint (as [`ComplexSynapse::fingerprint`]) computed by the compiler: a
    /// device that computes the same one at run time holds the file's bits.
    pub fingerprint: u64,
    /// Bytes of the export file.
    pub len: usize,
}

/// Why an export cannot be embedded: the typed error, and the reason a compile error shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// The error the run-time decoder gives for the same file, or [`Error::InexactValue`] for
    /// an intact export in another value type.
    pub error: Error,
    /// What is wrong, in words.
    pub reason: &'static str,
}

impl core::fmt::Display for Refusal {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.reason)
    }
}

const fn refuse(error: Error, reason: &'static str) -> Refusal {
    Refusal { error, reason }
}

/// Fraction bits of [`Q16_16`]'s parameters (Q8.24).
const FRAC_BITS: u32 = 24;

/// What [`check`] found: the settings, and where and how the values are stored.
struct Layout {
    config: Config,
    header_len: usize,
    value_type: ValueType,
    conversion: Conversion,
}

impl Layout {
    /// Value `index` as Q8.24 bits, converted as [`super::decode`] converts it.
    const fn bits(&self, bytes: &[u8], index: usize) -> Result<i32, Refusal> {
        let at = self.header_len + index * self.value_type.size();
        let value = match self.value_type {
            ValueType::F64 => f64_at(bytes, at),
            ValueType::F32 => f32::from_bits(u32_at(bytes, at)) as f64,
            ValueType::Fixed { frac_bits } => {
                if frac_bits as u32 == FRAC_BITS {
                    return Ok(i32_at(bytes, at));
                }
                i32_at(bytes, at) as f64 / (1u64 << frac_bits) as f64
            }
        };
        let Some((bits, exact)) = round_to_i32(value * (1u64 << FRAC_BITS) as f64) else {
            return Err(refuse(
                Error::OutOfRange,
                "a value of the export does not fit Q8.24 (±128)",
            ));
        };
        if matches!(self.conversion, Conversion::Exact) && !exact {
            return Err(refuse(
                Error::InexactValue {
                    stored: self.value_type,
                },
                "a version-5 value is not a Q8.24 value: re-export θ with store::encode_as",
            ));
        }
        Ok(bits)
    }
}

/// `x` rounded to nearest, halves away from zero, when the result fits `i32`, and whether
/// `x` was already an integer: what `Scalar::from_f64` of a fixed-point type does with the
/// scaled value (`libm::round` and a range check), in a `const` context.
const fn round_to_i32(x: f64) -> Option<(i32, bool)> {
    // Also false for NaN. Inside these bounds the truncation and the difference are exact.
    if !(x > i32::MIN as f64 - 1.0 && x < i32::MAX as f64 + 1.0) {
        return None;
    }
    let truncated = x as i64;
    let fraction = x - truncated as f64;
    let rounded = if fraction >= 0.5 {
        truncated + 1
    } else if fraction <= -0.5 {
        truncated - 1
    } else {
        truncated
    };
    if rounded < i32::MIN as i64 || rounded > i32::MAX as i64 {
        return None;
    }
    Some((rounded as i32, fraction == 0.0))
}

/// Reads a complex synapse's export (version 2 or 3, or 4 and 5 of kind 0) of `P`
/// parameters, made for a network of `shape` and the loss named `loss` (e.g.
/// `"squared_error"`), in a `const` context.
///
/// Use it through [`crate::embed_complex_synapse`], which makes a refusal a compile error.
pub const fn complex_synapse<const P: usize>(
    bytes: &[u8],
    shape: &Shape,
    loss: &str,
) -> Result<Prior<ComplexSynapse<Q16_16, P>>, Refusal> {
    if shape_params(shape) != P {
        return Err(refuse(
            Error::CorruptState,
            "the expected shape does not have P parameters",
        ));
    }
    let layout = match check(bytes, ModelKind::ComplexSynapse, P, 0, shape, loss) {
        Ok(layout) => layout,
        Err(refusal) => return Err(refusal),
    };
    let mut omega = [0i32; P];
    let mut lambda = [0i32; P];
    let mut i = 0;
    while i < P {
        omega[i] = match layout.bits(bytes, i) {
            Ok(bits) => bits,
            Err(refusal) => return Err(refusal),
        };
        lambda[i] = match layout.bits(bytes, P + i) {
            Ok(bits) => bits,
            Err(refusal) => return Err(refusal),
        };
        i += 1;
    }
    let theta = match ComplexSynapse::from_bits(&omega, &lambda) {
        Ok(theta) => theta,
        Err(error) => {
            return Err(refuse(
                error,
                "the export's θ is not valid: a value at the rails of Q8.24, or a λ ≤ 0",
            ))
        }
    };
    Ok(Prior {
        theta,
        config: layout.config,
        mu: None,
        fingerprint: fingerprint(&omega, &lambda),
        len: bytes.len(),
    })
}

/// Reads a dual system's export (version 4 or 5, kind 1; body of `BODY` values, initial fast
/// state of `FAST`), made for a system of `shape` (its equivalent network's layers) and the
/// loss named `loss`, in a `const` context.
///
/// Use it through [`crate::embed_dual_state`], which makes a refusal a compile error.
pub const fn dual_state<const BODY: usize, const FAST: usize>(
    bytes: &[u8],
    shape: &Shape,
    loss: &str,
) -> Result<Prior<DualState<Q16_16, BODY, FAST>>, Refusal> {
    let layout = match check(bytes, ModelKind::DualSystem, BODY, FAST, shape, loss) {
        Ok(layout) => layout,
        Err(refusal) => return Err(refusal),
    };
    let mut body = [0i32; BODY];
    let mut init = [0i32; FAST];
    let mut i = 0;
    while i < BODY + FAST {
        let bits = match layout.bits(bytes, i) {
            Ok(bits) => bits,
            Err(refusal) => return Err(refusal),
        };
        if i < BODY {
            body[i] = bits;
        } else {
            init[i - BODY] = bits;
        }
        i += 1;
    }
    let theta = match DualState::from_bits(&body, &init) {
        Ok(theta) => theta,
        Err(error) => {
            return Err(refuse(
                error,
                "the export's θ is not valid: a value at the rails of Q8.24",
            ))
        }
    };
    let mu = match bytes[MU_GIVEN_AT] {
        1 => Some(f64_at(bytes, MU_AT)),
        _ => None,
    };
    Ok(Prior {
        theta,
        config: layout.config,
        mu,
        fingerprint: fingerprint(&body, &init),
        len: bytes.len(),
    })
}

/// Checks everything but θ's values, as [`super::decode`] and [`super::decode_dual`] do.
const fn check(
    bytes: &[u8],
    kind: ModelKind,
    count: usize,
    fast: usize,
    shape: &Shape,
    loss: &str,
) -> Result<Layout, Refusal> {
    if bytes.len() < HEADER_LEN_2 + 4 {
        return Err(refuse(Error::CorruptState, "the export is too short"));
    }
    if !equal(bytes, 0, &MAGIC) {
        return Err(refuse(Error::CorruptState, "not a tinycml export (magic)"));
    }
    let version = u16_at(bytes, 4);
    let header_len = match version {
        VERSION_2 => HEADER_LEN_2,
        VERSION => HEADER_LEN,
        VERSION_4 => HEADER_LEN_4,
        VERSION_5 => HEADER_LEN_5,
        found => {
            return Err(refuse(
                Error::UnsupportedVersion { found },
                "not an export of format version 2 to 5: re-export θ with this library",
            ))
        }
    };
    if u16_at(bytes, 6) as usize != header_len || bytes.len() < header_len + 4 {
        return Err(refuse(Error::CorruptState, "wrong header length"));
    }
    // Versions 2 and 3 have no model kind, fast-state length or μ: a complex synapse.
    let (stored_kind, stored_fast, mu_given) = if version <= VERSION {
        (ModelKind::ComplexSynapse, 0, 0)
    } else {
        let stored_kind = match bytes[15] {
            0 => ModelKind::ComplexSynapse,
            1 => ModelKind::DualSystem,
            _ => return Err(refuse(Error::CorruptState, "unknown model kind")),
        };
        (stored_kind, u32_at(bytes, 68) as usize, bytes[MU_GIVEN_AT])
    };
    if stored_kind.code() != kind.code() {
        return Err(refuse(
            Error::WrongModelKind {
                stored: stored_kind,
            },
            "the export holds the other model (complex synapse / dual system)",
        ));
    }
    if !super::reserved_bytes_clean(bytes, version, mu_given == 1) {
        return Err(refuse(
            Error::CorruptState,
            "reserved header bytes are not 0",
        ));
    }
    let (value_type, conversion) = if version == VERSION_5 {
        if !equal(bytes, VALUE_TYPE_AT + 2, &[0; 6]) {
            return Err(refuse(
                Error::CorruptState,
                "reserved header bytes are not 0",
            ));
        }
        match ValueType::from_code([bytes[VALUE_TYPE_AT], bytes[VALUE_TYPE_AT + 1]]) {
            Some(value_type) => (value_type, Conversion::Exact),
            None => return Err(refuse(Error::CorruptState, "unknown value type")),
        }
    } else {
        (ValueType::F64, Conversion::Round)
    };
    let mu_allowed = match kind {
        ModelKind::ComplexSynapse => 0,
        ModelKind::DualSystem => 1,
    };
    if u32_at(bytes, 8) as usize != count || stored_fast != fast || mu_given > mu_allowed {
        return Err(refuse(
            Error::CorruptState,
            "the export holds another number of values",
        ));
    }
    let values = match kind {
        ModelKind::ComplexSynapse => 2 * count,
        ModelKind::DualSystem => count + fast,
    };
    if bytes.len() != header_len + value_type.size() * values + 4 {
        return Err(refuse(Error::CorruptState, "wrong length"));
    }
    let (body, stored_crc) = bytes.split_at(bytes.len() - 4);
    if CRC.checksum(body) != u32_at(stored_crc, 0) {
        return Err(refuse(Error::CorruptState, "checksum mismatch"));
    }
    let same_shape = if version == VERSION_2 {
        shape_matches_2(bytes, shape)
    } else {
        shape_matches(bytes, shape)
    };
    if !same_shape {
        return Err(refuse(
            Error::CorruptState,
            "the export is of another shape (inputs, widths or activations)",
        ));
    }
    // Version 2 stored no loss name: it was squared error.
    let same_loss = if version == VERSION_2 {
        equal(loss.as_bytes(), 0, b"squared_error") && loss.len() == 13
    } else {
        loss_matches(bytes, loss)
    };
    if !same_loss {
        return Err(refuse(
            Error::CorruptState,
            "the export is for another loss",
        ));
    }
    match settings(bytes, if version == VERSION_2 { 24 } else { 16 }) {
        Ok(config) => Ok(Layout {
            config,
            header_len,
            value_type,
            conversion,
        }),
        Err(refusal) => Err(refusal),
    }
}

/// The settings from offset `at` (16 from version 3 on, 24 in version 2), as the run-time
/// decoder reads them: two step counts, five rates, estimator, learned half.
const fn settings(bytes: &[u8], at: usize) -> Result<Config, Refusal> {
    let estimator = match bytes[at + 48] {
        0 => Estimator::Standard,
        1 => Estimator::Symmetric,
        _ => return Err(refuse(Error::CorruptState, "unknown estimator")),
    };
    let learn = match bytes[at + 49] {
        0 => Learn::Both,
        1 => Learn::Omega,
        2 => Learn::Lambda,
        _ => return Err(refuse(Error::CorruptState, "unknown learned half")),
    };
    Ok(Config {
        free_steps: u32_at(bytes, at),
        nudged_steps: u32_at(bytes, at + 4),
        free_lr: f64_at(bytes, at + 8),
        nudged_lr: f64_at(bytes, at + 16),
        beta: f64_at(bytes, at + 24),
        lambda_min: f64_at(bytes, at + 32),
        lambda_max: f64_at(bytes, at + 40),
        estimator,
        learn,
    })
}

/// A version-2 header describes `shape`: kind 0 (linear, widths `[inputs, 0, 0, 1]`) or 1
/// (MLP, widths `[inputs, h1, h2, 1]`, one hidden activation), a linear output of 1.
const fn shape_matches_2(bytes: &[u8], shape: &Shape) -> bool {
    let (kind, activation) = (bytes[12], bytes[13]);
    let widths = [
        u16_at(bytes, 16),
        u16_at(bytes, 18),
        u16_at(bytes, 20),
        u16_at(bytes, 22),
    ];
    let output = (1, 2);
    let mut expected = [(0u16, 0u8); 3];
    let depth = match (kind, activation) {
        (0, _) if widths[1] == 0 && widths[2] == 0 => {
            expected[0] = output;
            1
        }
        (1, 0..=1) => {
            expected = [(widths[1], activation), (widths[2], activation), output];
            3
        }
        _ => return false,
    };
    if widths[3] != 1 || widths[0] != shape.inputs || shape.depth() != depth {
        return false;
    }
    let mut i = 0;
    while i < depth {
        match shape.layer_at(i) {
            Some(layer) => {
                if layer.outputs != expected[i].0
                    || activation_code(layer.activation) != expected[i].1
                {
                    return false;
                }
            }
            None => return false,
        }
        i += 1;
    }
    true
}

/// Inputs, depth and each layer's width and activation equal `shape`'s.
const fn shape_matches(bytes: &[u8], shape: &Shape) -> bool {
    if u16_at(bytes, 12) != shape.inputs || bytes[14] as usize != shape.depth() {
        return false;
    }
    let mut i = 0;
    while i < shape.depth() {
        let at = 96 + 4 * i;
        match shape.layer_at(i) {
            Some(layer) => {
                if u16_at(bytes, at) != layer.outputs
                    || bytes[at + 2] != activation_code(layer.activation)
                {
                    return false;
                }
            }
            None => return false,
        }
        i += 1;
    }
    true
}

/// The zero-padded 24-byte loss name at offset 72 is `loss` (cut to 24 bytes, as written).
const fn loss_matches(bytes: &[u8], loss: &str) -> bool {
    let name = loss.as_bytes();
    let mut i = 0;
    while i < 24 {
        let expected = if i < name.len() { name[i] } else { 0 };
        if bytes[72 + i] != expected {
            return false;
        }
        i += 1;
    }
    true
}

/// `Σ outputs · (inputs + 1)` over the layers of `shape`.
const fn shape_params(shape: &Shape) -> usize {
    let mut inputs = shape.inputs as usize;
    let mut total = 0;
    let mut i = 0;
    while i < shape.depth() {
        if let Some(layer) = shape.layer_at(i) {
            total += layer.outputs as usize * (inputs + 1);
            inputs = layer.outputs as usize;
        }
        i += 1;
    }
    total
}

/// FNV-1a over the exact `f64` values of the Q8.24 bits in `first` then `second`: the same
/// hash as [`ComplexSynapse::fingerprint`] and [`DualState::fingerprint`].
const fn fingerprint(first: &[i32], second: &[i32]) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    const SCALE: f64 = (1u64 << 24) as f64;
    let mut hash = OFFSET;
    let mut i = 0;
    while i < first.len() + second.len() {
        let bits = if i < first.len() {
            first[i]
        } else {
            second[i - first.len()]
        };
        let bytes = (bits as f64 / SCALE).to_bits().to_le_bytes();
        let mut b = 0;
        while b < 8 {
            hash = (hash ^ bytes[b] as u64).wrapping_mul(PRIME);
            b += 1;
        }
        i += 1;
    }
    hash
}

const fn equal(bytes: &[u8], at: usize, expected: &[u8]) -> bool {
    let mut i = 0;
    while i < expected.len() {
        if bytes[at + i] != expected[i] {
            return false;
        }
        i += 1;
    }
    true
}

const fn u16_at(bytes: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([bytes[at], bytes[at + 1]])
}

const fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

const fn i32_at(bytes: &[u8], at: usize) -> i32 {
    u32_at(bytes, at) as i32
}

const fn f64_at(bytes: &[u8], at: usize) -> f64 {
    let low = u32_at(bytes, at) as u64;
    let high = u32_at(bytes, at + 4) as u64;
    f64::from_bits(low | (high << 32))
}

/// Embeds a complex synapse's export in flash: `embed_complex_synapse!(BYTES, SHAPE, LOSS)`
/// is a [`store::flash::Prior`](crate::store::flash::Prior)`<ComplexSynapse<Q16_16, P>>`
/// read by [`store::flash::complex_synapse`](crate::store::flash::complex_synapse) at compile
/// time, `P` taken from the type it is assigned to. Any check that fails is a compile error
/// that says why. See [`crate::store::flash`].
#[macro_export]
macro_rules! embed_complex_synapse {
    ($bytes:expr, $shape:expr, $loss:expr $(,)?) => {
        match $crate::store::flash::complex_synapse($bytes, &$shape, $loss) {
            Ok(prior) => prior,
            Err(refusal) => panic!("{}", refusal.reason),
        }
    };
}

/// Embeds a dual system's export in flash: `embed_dual_state!(BYTES, SHAPE, LOSS)` is a
/// [`store::flash::Prior`](crate::store::flash::Prior)`<DualState<Q16_16, BODY, FAST>>` read
/// by [`store::flash::dual_state`](crate::store::flash::dual_state) at compile time. See
/// [`crate::store::flash`].
#[macro_export]
macro_rules! embed_dual_state {
    ($bytes:expr, $shape:expr, $loss:expr $(,)?) => {
        match $crate::store::flash::dual_state($bytes, &$shape, $loss) {
            Ok(prior) => prior,
            Err(refusal) => panic!("{}", refusal.reason),
        }
    };
}
