//! The export format: a meta-learned θ and the settings needed to use it, in one checksummed,
//! versioned byte string that the `no_std` library reads (a board embeds it in flash).
//!
//! Layout, version 3, all integers and floats little-endian:
//!
//! | offset | type | field |
//! |---|---|---|
//! | 0 | `[u8; 4]` | magic `b"TCML"` |
//! | 4 | `u16` | format version (3) |
//! | 6 | `u16` | header length in bytes (128) |
//! | 8 | `u32` | parameter count `P` |
//! | 12 | `u16` | inputs |
//! | 14 | `u8` | layers `L` (1 to 8) |
//! | 15 | `u8` | reserved (0) |
//! | 16 | `u32`, `u32` | free steps, nudged steps |
//! | 24 | `[f64; 5]` | free lr, nudged lr, β, λ_min, λ_max |
//! | 64 | `u8`, `u8` | estimator (0 standard, 1 symmetric), learned (0 both, 1 ω, 2 λ) |
//! | 66 | `[u8; 6]` | reserved (0) |
//! | 72 | `[u8; 24]` | the loss's name (ASCII, zero-padded), e.g. `squared_error` |
//! | 96 | `[u16, u8, u8; 8]` | per layer: outputs, activation (0 ReLU, 1 tanh, 2 identity), reserved; unused layers 0 |
//! | 128 | `[f64; P]` | ω |
//! | 128 + 8P | `[f64; P]` | λ |
//! | 128 + 16P | `u32` | CRC-32 (ISO-HDLC, as zip and PNG) of every byte before it |
//!
//! ω and λ are in the model's flat parameter order, each layer's weights column-major (see
//! [`crate::nn::network`]). Version 2 (80-byte header; a linear model or a two-hidden-layer
//! MLP with one output, squared error) is still read; version 1 stored the weights row-major,
//! and [`decode`] refuses it with [`Error::UnsupportedVersion`] rather than read a scrambled
//! network.
//!
//! Values are stored as `f64`, which holds `f32` and every `i32`-backed fixed format exactly,
//! so one file serves a learner in any [`Precision`]: the reader converts and refuses values
//! its format cannot hold.

use crate::cml::{Cml, Config, Estimator, Learn};
use crate::loss::{LossName, SquaredError};
use crate::nn::{Activation, LayerShape, Model, Shape, MAX_LAYERS};
use crate::num::{Precision, Scalar};
use crate::synapse::ComplexSynapse;
use crate::Error;

/// First four bytes of every export.
pub const MAGIC: [u8; 4] = *b"TCML";
/// The format version this library writes (it also reads [`VERSION_2`]).
pub const VERSION: u16 = 3;
/// Bytes before the values.
pub const HEADER_LEN: usize = 128;
/// The previous version, still read: a linear model or an `IN-H1-H2-1` MLP, squared error.
pub const VERSION_2: u16 = 2;
const HEADER_LEN_2: usize = 80;
const LOSS_NAME_LEN: usize = 24;

/// Size of the export of a model with `params` parameters.
pub const fn encoded_len(params: usize) -> usize {
    HEADER_LEN + 16 * params + 4
}

const CRC: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC);

fn activation_code(activation: Activation) -> u8 {
    match activation {
        Activation::Relu => 0,
        Activation::Tanh => 1,
        Activation::Identity => 2,
    }
}

fn activation_from(code: u8) -> Result<Activation, Error> {
    match code {
        0 => Ok(Activation::Relu),
        1 => Ok(Activation::Tanh),
        2 => Ok(Activation::Identity),
        _ => Err(Error::CorruptState),
    }
}

/// The loss name as stored: ASCII, zero-padded (a longer name is cut).
fn loss_field(name: &str) -> [u8; LOSS_NAME_LEN] {
    let mut field = [0u8; LOSS_NAME_LEN];
    for (slot, &byte) in field.iter_mut().zip(name.as_bytes()) {
        *slot = byte;
    }
    field
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
pub fn encode<N: Precision, M: Model<N>, L: LossName, const P: usize>(
    cml: &Cml<N, M, P, L>,
    theta: &ComplexSynapse<N, P>,
    out: &mut [u8],
) -> Result<usize, Error> {
    let needed = encoded_len(P);
    if out.len() < needed {
        return Err(Error::BufferTooSmall { needed });
    }
    let config = cml.config();
    let shape = cml.model().shape();
    if !shape.is_complete() {
        return Err(Error::InvalidConfig("an export holds at most 8 layers"));
    }
    let mut w = Writer { out, at: 0 };
    w.put(&MAGIC);
    w.put(&VERSION.to_le_bytes());
    w.put(&(HEADER_LEN as u16).to_le_bytes());
    w.put(&(P as u32).to_le_bytes());
    w.put(&shape.inputs.to_le_bytes());
    w.put(&[shape.layers().len() as u8, 0]);
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
    w.put(&loss_field(cml.loss().name()));
    for slot in 0..MAX_LAYERS {
        let layer = shape.layers().get(slot).map_or([0; 4], |layer| {
            let [lo, hi] = layer.outputs.to_le_bytes();
            [lo, hi, activation_code(layer.activation), 0]
        });
        w.put(&layer);
    }
    for value in theta.omega().iter().chain(theta.lambda()) {
        w.put(&value.to_f64().to_le_bytes());
    }
    let checksum = CRC.checksum(&w.out[..w.at]);
    w.put(&checksum.to_le_bytes());
    Ok(w.at)
}

/// What an export decodes to: the rule with its settings, and θ.
pub type Decoded<N, M, const P: usize, L = SquaredError> = (Cml<N, M, P, L>, ComplexSynapse<N, P>);

/// Reads an export made for `model` with the squared-error loss, in any precision `N`; see
/// [`decode_with_loss`].
pub fn decode<N: Precision, M: Model<N> + Copy, const P: usize>(
    model: &M,
    bytes: &[u8],
) -> Result<Decoded<N, M, P>, Error> {
    decode_with_loss(model, SquaredError, bytes)
}

/// Reads an export made for `model` and `loss`, in any precision `N`.
///
/// [`Error::CorruptState`] for a wrong magic, length, checksum, model shape, loss or parameter
/// count; [`Error::UnsupportedVersion`] for an intact export of a format version this library
/// does not read; [`Error::OutOfRange`] when a value does not fit `N` or a λ is not positive;
/// [`Error::InvalidConfig`] when the stored settings are not valid for `N`.
pub fn decode_with_loss<N, M, L, const P: usize>(
    model: &M,
    loss: L,
    bytes: &[u8],
) -> Result<Decoded<N, M, P, L>, Error>
where
    N: Precision,
    M: Model<N> + Copy,
    L: LossName,
{
    let mut r = Reader { bytes, at: 0 };
    if r.take::<4>()? != MAGIC {
        return Err(Error::CorruptState);
    }
    let (version, header_len) = match r.u16()? {
        VERSION => (VERSION, HEADER_LEN),
        VERSION_2 => (VERSION_2, HEADER_LEN_2),
        found => return Err(Error::UnsupportedVersion { found }),
    };
    let total = header_len + 16 * P + 4;
    if bytes.len() != total {
        return Err(Error::CorruptState);
    }
    let (body, stored_crc) = bytes.split_at(total - 4);
    if CRC.checksum(body).to_le_bytes() != stored_crc {
        return Err(Error::CorruptState);
    }
    let mut r = Reader { bytes: body, at: 6 };
    if r.u16()? as usize != header_len || r.u32()? as usize != P {
        return Err(Error::CorruptState);
    }
    let (config, shape, loss_name) = match version {
        VERSION => read_header_3(&mut r)?,
        _ => read_header_2(&mut r)?,
    };
    if shape != model.shape() || loss_name != loss_field(loss.name()) {
        return Err(Error::CorruptState);
    }
    let cml = Cml::with_loss(*model, loss, config)?;
    let mut omega = [N::Param::ZERO; P];
    let mut lambda = [N::Param::ZERO; P];
    for slot in omega.iter_mut().chain(lambda.iter_mut()) {
        *slot = N::Param::from_f64(r.f64()?).ok_or(Error::OutOfRange)?;
    }
    let theta = ComplexSynapse::new(omega, lambda)?;
    Ok((cml, theta))
}

/// Free and nudged steps, five rates, estimator and learned halves: the settings both
/// versions store in the same order.
fn read_settings(r: &mut Reader<'_>) -> Result<Config, Error> {
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
    Ok(Config {
        free_steps,
        free_lr,
        nudged_steps,
        nudged_lr,
        beta,
        estimator,
        learn,
        lambda_min,
        lambda_max,
    })
}

/// The rest of a version-3 header, from offset 12.
fn read_header_3(r: &mut Reader<'_>) -> Result<(Config, Shape, [u8; LOSS_NAME_LEN]), Error> {
    let mut shape = Shape::new(r.u16()?);
    let depth = r.u8()? as usize;
    r.u8()?;
    let config = read_settings(r)?;
    let loss_name = r.take::<LOSS_NAME_LEN>()?;
    for slot in 0..MAX_LAYERS {
        let outputs = r.u16()?;
        let activation = r.u8()?;
        r.u8()?;
        if slot < depth {
            shape.push(LayerShape {
                outputs,
                activation: activation_from(activation)?,
            });
        }
    }
    Ok((config, shape, loss_name))
}

/// The rest of a version-2 header, from offset 12: model kind 0 (linear) or 1 (MLP), one
/// hidden activation, widths `[inputs, hidden 1, hidden 2, 1]`; the loss was squared error.
fn read_header_2(r: &mut Reader<'_>) -> Result<(Config, Shape, [u8; LOSS_NAME_LEN]), Error> {
    let (kind, activation) = (r.u8()?, r.u8()?);
    r.u16()?;
    let widths = [r.u16()?, r.u16()?, r.u16()?, r.u16()?];
    let config = read_settings(r)?;
    let output = LayerShape {
        outputs: 1,
        activation: Activation::Identity,
    };
    let mut shape = Shape::new(widths[0]);
    match (kind, widths) {
        (0, [_, 0, 0, 1]) => shape.push(output),
        (1, [_, hidden1, hidden2, 1]) => {
            let activation = match activation {
                0 => Activation::Relu,
                1 => Activation::Tanh,
                _ => return Err(Error::CorruptState),
            };
            for outputs in [hidden1, hidden2] {
                shape.push(LayerShape {
                    outputs,
                    activation,
                });
            }
            shape.push(output);
        }
        _ => return Err(Error::CorruptState),
    }
    Ok((config, shape, loss_field(SquaredError.name())))
}
