//! The export format: a meta-learned θ and the settings needed to use it, in one checksummed,
//! versioned byte string that the `no_std` library reads (a board embeds it in flash).
//!
//! Layout, version 2, all integers and floats little-endian:
//!
//! | offset | type | field |
//! |---|---|---|
//! | 0 | `[u8; 4]` | magic `b"TCML"` |
//! | 4 | `u16` | format version (2) |
//! | 6 | `u16` | header length in bytes (80) |
//! | 8 | `u32` | parameter count `P` |
//! | 12 | `u8` | model kind: 0 linear, 1 MLP |
//! | 13 | `u8` | activation: 0 ReLU, 1 tanh (0 for linear) |
//! | 14 | `u16` | reserved (0) |
//! | 16 | `[u16; 4]` | widths: inputs, hidden 1, hidden 2, outputs (linear: `D, 0, 0, 1`) |
//! | 24 | `u32`, `u32` | free steps, nudged steps |
//! | 32 | `[f64; 5]` | free lr, nudged lr, β, λ_min, λ_max |
//! | 72 | `u8`, `u8` | estimator (0 standard, 1 symmetric), learned (0 both, 1 ω, 2 λ) |
//! | 74 | `[u8; 6]` | reserved (0) |
//! | 80 | `[f64; P]` | ω |
//! | 80 + 8P | `[f64; P]` | λ |
//! | 80 + 16P | `u32` | CRC-32 (ISO-HDLC, as zip and PNG) of every byte before it |
//!
//! ω and λ are in the model's flat parameter order, each layer's weights column-major (see
//! [`crate::nn::dense`]). Version 1 stored them row-major; [`decode`] refuses it with
//! [`Error::UnsupportedVersion`] rather than read a scrambled network.
//!
//! Values are stored as `f64`, which holds `f32` and every `i32`-backed fixed format exactly,
//! so one file serves a learner in any [`Precision`]: the reader converts and refuses values
//! its format cannot hold.

use crate::cml::{Cml, Config, Estimator, Learn};
use crate::nn::{Activation, Model, Shape};
use crate::num::{Precision, Scalar};
use crate::synapse::ComplexSynapse;
use crate::Error;

/// First four bytes of every export.
pub const MAGIC: [u8; 4] = *b"TCML";
/// The format version this library writes and reads.
pub const VERSION: u16 = 2;
/// Bytes before the values.
pub const HEADER_LEN: usize = 80;

/// Size of the export of a model with `params` parameters.
pub const fn encoded_len(params: usize) -> usize {
    HEADER_LEN + 16 * params + 4
}

const CRC: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC);

fn shape_fields(shape: Shape) -> (u8, u8, [u16; 4]) {
    match shape {
        Shape::Linear { inputs } => (0, 0, [inputs, 0, 0, 1]),
        Shape::Mlp {
            inputs,
            hidden1,
            hidden2,
            activation,
        } => (
            1,
            match activation {
                Activation::Relu => 0,
                Activation::Tanh => 1,
            },
            [inputs, hidden1, hidden2, 1],
        ),
    }
}

/// A little-endian writer over a byte slice whose length was checked up front.
struct Writer<'a> {
    out: &'a mut [u8],
    at: usize,
}

impl Writer<'_> {
    fn put(&mut self, bytes: &[u8]) {
        self.out[self.at..self.at + bytes.len()].copy_from_slice(bytes);
        self.at += bytes.len();
    }
}

/// A little-endian reader; every read is bounds-checked and fails as [`Error::CorruptState`].
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take<const K: usize>(&mut self) -> Result<[u8; K], Error> {
        let slice = self
            .bytes
            .get(self.at..self.at + K)
            .ok_or(Error::CorruptState)?;
        self.at += K;
        let mut out = [0u8; K];
        out.copy_from_slice(slice);
        Ok(out)
    }
    fn u8(&mut self) -> Result<u8, Error> {
        Ok(self.take::<1>()?[0])
    }
    fn u16(&mut self) -> Result<u16, Error> {
        Ok(u16::from_le_bytes(self.take()?))
    }
    fn u32(&mut self) -> Result<u32, Error> {
        Ok(u32::from_le_bytes(self.take()?))
    }
    fn f64(&mut self) -> Result<f64, Error> {
        Ok(f64::from_le_bytes(self.take()?))
    }
}

/// Writes θ and the rule's configuration into `out`; returns the bytes written
/// ([`encoded_len`]`(P)`), or [`Error::BufferTooSmall`].
pub fn encode<N: Precision, M: Model<N>, const P: usize>(
    cml: &Cml<N, M, P>,
    theta: &ComplexSynapse<N, P>,
    out: &mut [u8],
) -> Result<usize, Error> {
    let needed = encoded_len(P);
    if out.len() < needed {
        return Err(Error::BufferTooSmall { needed });
    }
    let config = cml.config();
    let (kind, activation, widths) = shape_fields(cml.model().shape());
    let mut w = Writer { out, at: 0 };
    w.put(&MAGIC);
    w.put(&VERSION.to_le_bytes());
    w.put(&(HEADER_LEN as u16).to_le_bytes());
    w.put(&(P as u32).to_le_bytes());
    w.put(&[kind, activation, 0, 0]);
    for width in widths {
        w.put(&width.to_le_bytes());
    }
    w.put(&config.free_steps.to_le_bytes());
    w.put(&config.nudged_steps.to_le_bytes());
    for value in [
        config.free_lr,
        config.nudged_lr,
        config.beta,
        config.lambda_min,
        config.lambda_max,
    ] {
        w.put(&value.to_le_bytes());
    }
    let estimator = match config.estimator {
        Estimator::Standard => 0,
        Estimator::Symmetric => 1,
    };
    let learn = match config.learn {
        Learn::Both => 0,
        Learn::Omega => 1,
        Learn::Lambda => 2,
    };
    w.put(&[estimator, learn, 0, 0, 0, 0, 0, 0]);
    for value in theta.omega().iter().chain(theta.lambda()) {
        w.put(&value.to_f64().to_le_bytes());
    }
    let checksum = CRC.checksum(&w.out[..w.at]);
    w.put(&checksum.to_le_bytes());
    Ok(w.at)
}

/// Reads an export made for `model`, in any precision `N`.
///
/// [`Error::CorruptState`] for a wrong magic, length, checksum, model shape or parameter
/// count; [`Error::UnsupportedVersion`] for an intact export of another format version; [`Error::OutOfRange`] when a value does not fit `N` or a λ is not positive;
/// [`Error::InvalidConfig`] when the stored settings are not valid for `N`.
pub fn decode<N: Precision, M: Model<N> + Copy, const P: usize>(
    model: &M,
    bytes: &[u8],
) -> Result<(Cml<N, M, P>, ComplexSynapse<N, P>), Error> {
    let total = encoded_len(P);
    if bytes.len() != total {
        return Err(Error::CorruptState);
    }
    let (body, stored_crc) = bytes.split_at(total - 4);
    if CRC.checksum(body).to_le_bytes() != stored_crc {
        return Err(Error::CorruptState);
    }
    let mut r = Reader { bytes: body, at: 0 };
    if r.take::<4>()? != MAGIC {
        return Err(Error::CorruptState);
    }
    match r.u16()? {
        VERSION => {}
        found => return Err(Error::UnsupportedVersion { found }),
    }
    if r.u16()? as usize != HEADER_LEN {
        return Err(Error::CorruptState);
    }
    if r.u32()? as usize != P {
        return Err(Error::CorruptState);
    }
    let (kind, activation) = (r.u8()?, r.u8()?);
    r.u16()?;
    let widths = [r.u16()?, r.u16()?, r.u16()?, r.u16()?];
    if (kind, activation, widths) != shape_fields(model.shape()) {
        return Err(Error::CorruptState);
    }
    let free_steps = r.u32()?;
    let nudged_steps = r.u32()?;
    let (free_lr, nudged_lr, beta) = (r.f64()?, r.f64()?, r.f64()?);
    let (lambda_min, lambda_max) = (r.f64()?, r.f64()?);
    let estimator = match r.u8()? {
        0 => Estimator::Standard,
        1 => Estimator::Symmetric,
        _ => return Err(Error::CorruptState),
    };
    let learn = match r.u8()? {
        0 => Learn::Both,
        1 => Learn::Omega,
        2 => Learn::Lambda,
        _ => return Err(Error::CorruptState),
    };
    r.take::<6>()?;
    let config = Config {
        free_steps,
        free_lr,
        nudged_steps,
        nudged_lr,
        beta,
        estimator,
        learn,
        lambda_min,
        lambda_max,
    };
    let cml = Cml::new(*model, config)?;
    let mut omega = [N::Param::ZERO; P];
    let mut lambda = [N::Param::ZERO; P];
    for slot in omega.iter_mut().chain(lambda.iter_mut()) {
        *slot = N::Param::from_f64(r.f64()?).ok_or(Error::OutOfRange)?;
    }
    let theta = ComplexSynapse::new(omega, lambda)?;
    Ok((cml, theta))
}
