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
//! The file must be a format-version-5 export in the device's own number format, the raw
//! Q8.24 bits of [`Q16_16`]'s parameters, which is what
//! [`super::encode_as`]`(…, ValueType::of::<Q16_16>(), …)` writes: the compiler then copies
//! bits and never rounds. An `f64` export (versions 3 and 4) is refused; re-export it once on
//! the host (decode it in [`Q16_16`], `encode_as` for [`Q16_16`]: the bits a run-time decode
//! would have made).
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

use super::{activation_code, ModelKind, CRC, HEADER_LEN_5, MAGIC, VERSION_5};
use super::{MU_AT, MU_GIVEN_AT, VALUE_TYPE_AT};
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

/// Fixed-point value type code and fraction bits of [`Q16_16`]'s parameters (Q8.24).
const Q8_24_CODE: [u8; 2] = [2, 24];

/// Reads a complex synapse's version-5 Q8.24 export of `P` parameters, made for a network of
/// `shape` and the loss named `loss` (e.g. `"squared_error"`), in a `const` context.
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
    let config = match check(bytes, ModelKind::ComplexSynapse, P, 0, shape, loss) {
        Ok(config) => config,
        Err(refusal) => return Err(refusal),
    };
    let mut omega = [0i32; P];
    let mut lambda = [0i32; P];
    let mut i = 0;
    while i < P {
        omega[i] = i32_at(bytes, HEADER_LEN_5 + 4 * i);
        lambda[i] = i32_at(bytes, HEADER_LEN_5 + 4 * (P + i));
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
        config,
        mu: None,
        fingerprint: fingerprint(&omega, &lambda),
        len: bytes.len(),
    })
}

/// Reads a dual system's version-5 Q8.24 export (body of `BODY` values, initial fast state of
/// `FAST`), made for a system of `shape` (its equivalent network's layers) and the loss named
/// `loss`, in a `const` context.
///
/// Use it through [`crate::embed_dual_state`], which makes a refusal a compile error.
pub const fn dual_state<const BODY: usize, const FAST: usize>(
    bytes: &[u8],
    shape: &Shape,
    loss: &str,
) -> Result<Prior<DualState<Q16_16, BODY, FAST>>, Refusal> {
    let config = match check(bytes, ModelKind::DualSystem, BODY, FAST, shape, loss) {
        Ok(config) => config,
        Err(refusal) => return Err(refusal),
    };
    let mut body = [0i32; BODY];
    let mut init = [0i32; FAST];
    let mut i = 0;
    while i < BODY {
        body[i] = i32_at(bytes, HEADER_LEN_5 + 4 * i);
        i += 1;
    }
    let mut i = 0;
    while i < FAST {
        init[i] = i32_at(bytes, HEADER_LEN_5 + 4 * (BODY + i));
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
        config,
        mu,
        fingerprint: fingerprint(&body, &init),
        len: bytes.len(),
    })
}

/// Checks everything but θ's values and returns the stored settings.
const fn check(
    bytes: &[u8],
    kind: ModelKind,
    count: usize,
    fast: usize,
    shape: &Shape,
    loss: &str,
) -> Result<Config, Refusal> {
    if bytes.len() < HEADER_LEN_5 + 4 {
        return Err(refuse(Error::CorruptState, "the export is too short"));
    }
    if !equal(bytes, 0, &MAGIC) {
        return Err(refuse(Error::CorruptState, "not a tinycml export (magic)"));
    }
    let version = u16_at(bytes, 4);
    if version != VERSION_5 {
        return Err(refuse(
            Error::UnsupportedVersion { found: version },
            "not a format-version-5 export: re-export θ with store::encode_as for Q16_16",
        ));
    }
    if u16_at(bytes, 6) as usize != HEADER_LEN_5 {
        return Err(refuse(Error::CorruptState, "wrong header length"));
    }
    let stored_kind = match bytes[15] {
        0 => ModelKind::ComplexSynapse,
        1 => ModelKind::DualSystem,
        _ => return Err(refuse(Error::CorruptState, "unknown model kind")),
    };
    if stored_kind.code() != kind.code() {
        return Err(refuse(
            Error::WrongModelKind {
                stored: stored_kind,
            },
            "the export holds the other model (complex synapse / dual system)",
        ));
    }
    let value_type = [bytes[VALUE_TYPE_AT], bytes[VALUE_TYPE_AT + 1]];
    if !equal(bytes, VALUE_TYPE_AT + 2, &[0; 6]) {
        return Err(refuse(
            Error::CorruptState,
            "reserved header bytes are not 0",
        ));
    }
    if value_type[0] != Q8_24_CODE[0] || value_type[1] != Q8_24_CODE[1] {
        return Err(refuse(
            Error::InexactValue {
                stored: match super::ValueType::from_code(value_type) {
                    Some(stored) => stored,
                    None => return Err(refuse(Error::CorruptState, "unknown value type")),
                },
            },
            "the export does not store Q8.24 bits: re-export θ with store::encode_as for Q16_16",
        ));
    }
    if u32_at(bytes, 8) as usize != count || u32_at(bytes, 68) as usize != fast {
        return Err(refuse(
            Error::CorruptState,
            "the export holds another number of values",
        ));
    }
    let mu_given = bytes[MU_GIVEN_AT];
    let mu_allowed = match kind {
        ModelKind::ComplexSynapse => 0,
        ModelKind::DualSystem => 1,
    };
    if mu_given > mu_allowed {
        return Err(refuse(Error::CorruptState, "invalid μ flag"));
    }
    let values = match kind {
        ModelKind::ComplexSynapse => 2 * count,
        ModelKind::DualSystem => count + fast,
    };
    if bytes.len() != HEADER_LEN_5 + 4 * values + 4 {
        return Err(refuse(Error::CorruptState, "wrong length"));
    }
    let (body, stored_crc) = bytes.split_at(bytes.len() - 4);
    if CRC.checksum(body) != u32_at(stored_crc, 0) {
        return Err(refuse(Error::CorruptState, "checksum mismatch"));
    }
    if !shape_matches(bytes, shape) {
        return Err(refuse(
            Error::CorruptState,
            "the export is of another shape (inputs, widths or activations)",
        ));
    }
    if !loss_matches(bytes, loss) {
        return Err(refuse(
            Error::CorruptState,
            "the export is for another loss",
        ));
    }
    settings(bytes)
}

/// The settings at offsets 16 to 66, as the run-time decoder reads them.
const fn settings(bytes: &[u8]) -> Result<Config, Refusal> {
    let estimator = match bytes[64] {
        0 => Estimator::Standard,
        1 => Estimator::Symmetric,
        _ => return Err(refuse(Error::CorruptState, "unknown estimator")),
    };
    let learn = match bytes[65] {
        0 => Learn::Both,
        1 => Learn::Omega,
        2 => Learn::Lambda,
        _ => return Err(refuse(Error::CorruptState, "unknown learned half")),
    };
    Ok(Config {
        free_steps: u32_at(bytes, 16),
        nudged_steps: u32_at(bytes, 20),
        free_lr: f64_at(bytes, 24),
        nudged_lr: f64_at(bytes, 32),
        beta: f64_at(bytes, 40),
        lambda_min: f64_at(bytes, 48),
        lambda_max: f64_at(bytes, 56),
        estimator,
        learn,
    })
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
