//! The export format: a meta-learned θ and the settings needed to use it, in one checksummed,
//! versioned byte string that the `no_std` library reads (a board embeds it in flash).
//!
//! Two models are stored: the complex synapse (θ = ω, λ; [`encode`], [`decode`],
//! [`decode_with_loss`]) and the dual system (θ = body, initial fast state, and μ;
//! [`encode_dual`], [`decode_dual`]). [`model_kind`] says which one an export holds. Each
//! decoder refuses the other model's export with [`Error::WrongModelKind`].
//!
//! | version | written by | values |
//! |---|---|---|
//! | 3 | [`encode`] (complex synapse) | `f64` |
//! | 4 | [`encode_dual`] (dual system) | `f64` |
//! | 5 | [`encode_as`], [`encode_dual_as`] (either) | a declared [`ValueType`]: `f64`, `f32`, or the raw `i32` bits of a fixed-point format |
//!
//! Every byte marked reserved or unused must be 0: the decoders refuse any other value as
//! [`Error::CorruptState`], as they refuse a wrong checksum.
//!
//! Versions 3 and 4 store `f64`, which holds `f32` and every `i32`-backed fixed format
//! exactly, so one file serves a learner in any [`Precision`]: the reader rounds each value to
//! its format and refuses values it cannot hold. Version 5 stores the device's own number
//! format (for [`crate::Q16_16`], Q8.24 bits: half the size), and a reader converts its
//! values only when exact ([`Error::InexactValue`] otherwise); [`flash`] reads such a file at
//! compile time into a `static` θ in flash. A complex synapse's version-3 export is the same
//! bytes as before versions 4 and 5 existed, so its checksum, fingerprint and file hash do
//! not move. Version 2 (80-byte header; a linear model or a two-hidden-layer MLP with one
//! output, squared error) is still read; version 1 stored the weights row-major, and
//! [`decode`] refuses it with [`Error::UnsupportedVersion`] rather than read a scrambled
//! network.
//!
//! **The byte-by-byte layout of every version, and the flat parameter layout (each layer's
//! weights column-major: PyTorch's `weight.T.ravel()`, then the bias), are in `docs/FORMAT.md`
//! in the repository**; `python/tinycml_format.py` writes and reads the format from numpy.
//! ω and λ are in the model's flat parameter order (see [`crate::nn::network`]); the body and
//! fast state are in the layouts of [`crate::dual::system`]. [`decode`] also reads a
//! version-4 export of a complex synapse (kind 0), though this library writes those as
//! version 3.

use crate::cml::{Cml, Config, Estimator, Learn};
use crate::dual::{DualCml, DualModel, DualState};
use crate::loss::{LossName, SquaredError};
use crate::nn::{Activation, LayerShape, Model, Shape, MAX_LAYERS};
use crate::num::{Precision, Scalar};
use crate::synapse::ComplexSynapse;
use crate::Error;
use value::{read_param, Conversion};

pub mod flash;
mod value;
pub use value::{StoredValue, ValueType};

/// First four bytes of every export.
pub const MAGIC: [u8; 4] = *b"TCML";
/// The format version [`encode`] writes for a complex synapse (the decoders also read
/// [`VERSION_2`] and [`VERSION_4`]).
pub const VERSION: u16 = 3;
/// Bytes before the values in version 3.
pub const HEADER_LEN: usize = 128;
/// The version [`encode_dual`] writes: version 3 plus the model kind, the fast-state length
/// and μ.
pub const VERSION_4: u16 = 4;
/// Bytes before the values in version 4.
pub const HEADER_LEN_4: usize = 136;
/// The previous version, still read: a linear model or an `IN-H1-H2-1` MLP, squared error.
pub const VERSION_2: u16 = 2;
/// Bytes before the values in version 2.
const HEADER_LEN_2: usize = 80;
/// The version [`encode_as`] and [`encode_dual_as`] write: version 4 plus the values' type
/// ([`ValueType`]), so a device reads its own number format at half the size of `f64`.
pub const VERSION_5: u16 = 5;
/// Bytes before the values in version 5.
pub const HEADER_LEN_5: usize = 144;
/// Offset of the version-5 value type (type code, then fraction bits, then 6 reserved bytes).
const VALUE_TYPE_AT: usize = 136;
const LOSS_NAME_LEN: usize = 24;
/// Offsets of the version-4 fields.
const KIND_AT: usize = 15;
const MU_GIVEN_AT: usize = 66;
const FAST_AT: usize = 68;
const MU_AT: usize = 128;

/// Which model an export holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum ModelKind {
    /// A [`crate::Network`] with θ = (ω, λ): [`decode`], [`decode_with_loss`].
    ComplexSynapse,
    /// A [`crate::dual::DualSystem`] with θ = (body, initial fast state): [`decode_dual`].
    DualSystem,
}

impl ModelKind {
    const fn code(self) -> u8 {
        match self {
            ModelKind::ComplexSynapse => 0,
            ModelKind::DualSystem => 1,
        }
    }
}

/// Size of the export of a complex synapse with `params` parameters (version 3).
pub const fn encoded_len(params: usize) -> usize {
    HEADER_LEN + 16 * params + 4
}

/// Size of the export of a dual system with a body of `body` values and a fast state of
/// `fast` values (version 4).
pub const fn encoded_dual_len(body: usize, fast: usize) -> usize {
    HEADER_LEN_4 + 8 * (body + fast) + 4
}

/// Size of the version-5 export of a complex synapse with `params` parameters stored as
/// `value_type` ([`encode_as`]).
pub const fn encoded_len_as(params: usize, value_type: ValueType) -> usize {
    HEADER_LEN_5 + 2 * params * value_type.size() + 4
}

/// Size of the version-5 export of a dual system stored as `value_type` ([`encode_dual_as`]).
pub const fn encoded_dual_len_as(body: usize, fast: usize, value_type: ValueType) -> usize {
    HEADER_LEN_5 + (body + fast) * value_type.size() + 4
}

const CRC: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC);

const fn activation_code(activation: Activation) -> u8 {
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

    /// Appends the CRC of everything written so far; returns the total length.
    fn finish(mut self) -> usize {
        let checksum = CRC.checksum(&self.out[..self.at]);
        self.put(&checksum.to_le_bytes());
        self.at
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

/// What the header holds beyond the shape and settings, in the fields version 3 reserved.
struct Extra {
    version: u16,
    header_len: usize,
    kind: ModelKind,
    count: usize,
    fast: usize,
    mu: Option<f64>,
    /// How the values are stored (`f64` before version 5).
    value_type: ValueType,
}

/// Writes the header (version 3 when `extra.version` is 3: the version-4 fields stay 0;
/// version 5 adds the value type).
fn write_header(
    w: &mut Writer<'_>,
    extra: &Extra,
    shape: &Shape,
    config: &Config,
    loss_name: &str,
) -> Result<(), Error> {
    if !shape.is_complete() {
        return Err(Error::InvalidConfig("an export holds at most 8 layers"));
    }
    let count = u32::try_from(extra.count)
        .map_err(|_| Error::InvalidConfig("an export holds at most 2³² − 1 values"))?;
    let fast = u32::try_from(extra.fast)
        .map_err(|_| Error::InvalidConfig("an export holds at most 2³² − 1 values"))?;
    w.put(&MAGIC);
    w.put(&extra.version.to_le_bytes());
    w.put(&(extra.header_len as u16).to_le_bytes());
    w.put(&count.to_le_bytes());
    w.put(&shape.inputs.to_le_bytes());
    w.put(&[shape.layers().len() as u8, extra.kind.code()]);
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
    w.put(&[estimator, learn, u8::from(extra.mu.is_some()), 0]);
    w.put(&fast.to_le_bytes());
    w.put(&loss_field(loss_name));
    for slot in 0..MAX_LAYERS {
        let layer = shape.layers().get(slot).map_or([0; 4], |layer| {
            let [lo, hi] = layer.outputs.to_le_bytes();
            [lo, hi, activation_code(layer.activation), 0]
        });
        w.put(&layer);
    }
    if extra.version >= VERSION_4 {
        w.put(&extra.mu.unwrap_or(0.0).to_le_bytes());
    }
    if extra.version >= VERSION_5 {
        w.put(&extra.value_type.code());
        w.put(&[0; 6]);
    }
    Ok(())
}

/// Writes a complex synapse's θ and the rule's configuration into `out` (format version 3);
/// returns the bytes written ([`encoded_len`]`(P)`), or [`Error::BufferTooSmall`].
pub fn encode<N: Precision, M: Model<N>, L: LossName, const P: usize>(
    cml: &Cml<N, M, P, L>,
    theta: &ComplexSynapse<N, P>,
    out: &mut [u8],
) -> Result<usize, Error> {
    let needed = encoded_len(P);
    if out.len() < needed {
        return Err(Error::BufferTooSmall { needed });
    }
    let extra = Extra {
        version: VERSION,
        header_len: HEADER_LEN,
        kind: ModelKind::ComplexSynapse,
        count: P,
        fast: 0,
        mu: None,
        value_type: ValueType::F64,
    };
    write_complex_synapse(cml, theta, &extra, out)
}

/// Writes a complex synapse's θ and the rule's configuration into `out` in format version
/// 5, each value stored as `value_type`; returns the bytes written
/// ([`encoded_len_as`]`(P, value_type)`).
///
/// Use it to export for a device: `ValueType::of::<Q16_16>()` stores the raw Q8.24 bits a
/// [`crate::Q16_16`] reader would have rounded the values to (half the size of `f64`), and
/// [`flash`] embeds such a file in a firmware's flash at compile time. Each value is rounded
/// once, to nearest, as [`Scalar::from_f64`] rounds. [`Error::BufferTooSmall`];
/// [`Error::OutOfRange`] when a value does not fit `value_type`.
///
/// ```
/// use tinycml::{store, store::ValueType, Activation, Cml, ComplexSynapse, Config, Mlp, Q16_16};
///
/// type Net = Mlp<1, 8, 8>;
/// const P: usize = Net::PARAMS;
/// let cml = Cml::<f64, _, P>::new(Net::new(Activation::Relu), Config::default())?;
/// let theta = ComplexSynapse::<f64, P>::with_uniform_lambda([1.3; P], 1.0)?;
///
/// let device = ValueType::of::<Q16_16>();
/// let mut bytes = vec![0u8; store::encoded_len_as(P, device)];
/// store::encode_as(&cml, &theta, device, &mut bytes)?;
/// assert!(bytes.len() < store::encoded_len(P) / 2 + 100);
///
/// // The device reads its own format: 1.3 rounded once to Q8.24. An f32 reader would have
/// // to round again (these bits need 25 significant bits), so it refuses.
/// let (_, on_device): store::Decoded<Q16_16, _, P> = store::decode(cml.model(), &bytes)?;
/// assert_eq!(on_device.omega()[0].to_bits(), 21_810_381);
/// assert!(store::decode::<f32, _, P>(cml.model(), &bytes).is_err());
/// # Ok::<(), tinycml::Error>(())
/// ```
pub fn encode_as<N: Precision, M: Model<N>, L: LossName, const P: usize>(
    cml: &Cml<N, M, P, L>,
    theta: &ComplexSynapse<N, P>,
    value_type: ValueType,
    out: &mut [u8],
) -> Result<usize, Error> {
    let needed = encoded_len_as(P, value_type);
    if out.len() < needed {
        return Err(Error::BufferTooSmall { needed });
    }
    let extra = Extra {
        version: VERSION_5,
        header_len: HEADER_LEN_5,
        kind: ModelKind::ComplexSynapse,
        count: P,
        fast: 0,
        mu: None,
        value_type,
    };
    write_complex_synapse(cml, theta, &extra, out)
}

/// Header, ω then λ in `extra.value_type`, checksum (`out` is long enough).
fn write_complex_synapse<N: Precision, M: Model<N>, L: LossName, const P: usize>(
    cml: &Cml<N, M, P, L>,
    theta: &ComplexSynapse<N, P>,
    extra: &Extra,
    out: &mut [u8],
) -> Result<usize, Error> {
    let mut w = Writer { out, at: 0 };
    let shape = cml.model().shape();
    write_header(&mut w, extra, &shape, cml.config(), cml.loss().name())?;
    for value in theta.omega().iter().chain(theta.lambda()) {
        extra.value_type.put(&mut w, value.to_f64())?;
    }
    Ok(w.finish())
}

/// Writes a dual system's θ (body and initial fast state), μ and the rule's configuration
/// into `out` (format version 4); returns the bytes written
/// ([`encoded_dual_len`]`(BODY, FAST)`), or [`Error::BufferTooSmall`].
pub fn encode_dual<N, S, L, const BODY: usize, const FAST: usize>(
    cml: &DualCml<N, S, BODY, FAST, L>,
    theta: &DualState<N, BODY, FAST>,
    out: &mut [u8],
) -> Result<usize, Error>
where
    N: Precision,
    S: DualModel<N>,
    L: LossName,
{
    let needed = encoded_dual_len(BODY, FAST);
    if out.len() < needed {
        return Err(Error::BufferTooSmall { needed });
    }
    let extra = Extra {
        version: VERSION_4,
        header_len: HEADER_LEN_4,
        kind: ModelKind::DualSystem,
        count: BODY,
        fast: FAST,
        mu: cml.mu().map(Scalar::to_f64),
        value_type: ValueType::F64,
    };
    write_dual(cml, theta, &extra, out)
}

/// Writes a dual system's θ, μ and the rule's configuration into `out` in format version 5,
/// each value of the body and initial fast state stored as `value_type` (μ stays `f64`, as
/// the other settings); returns the bytes written
/// ([`encoded_dual_len_as`]`(BODY, FAST, value_type)`). See [`encode_as`].
pub fn encode_dual_as<N, S, L, const BODY: usize, const FAST: usize>(
    cml: &DualCml<N, S, BODY, FAST, L>,
    theta: &DualState<N, BODY, FAST>,
    value_type: ValueType,
    out: &mut [u8],
) -> Result<usize, Error>
where
    N: Precision,
    S: DualModel<N>,
    L: LossName,
{
    let needed = encoded_dual_len_as(BODY, FAST, value_type);
    if out.len() < needed {
        return Err(Error::BufferTooSmall { needed });
    }
    let extra = Extra {
        version: VERSION_5,
        header_len: HEADER_LEN_5,
        kind: ModelKind::DualSystem,
        count: BODY,
        fast: FAST,
        mu: cml.mu().map(Scalar::to_f64),
        value_type,
    };
    write_dual(cml, theta, &extra, out)
}

/// Header, body then initial fast state in `extra.value_type`, checksum.
fn write_dual<N, S, L, const BODY: usize, const FAST: usize>(
    cml: &DualCml<N, S, BODY, FAST, L>,
    theta: &DualState<N, BODY, FAST>,
    extra: &Extra,
    out: &mut [u8],
) -> Result<usize, Error>
where
    N: Precision,
    S: DualModel<N>,
    L: LossName,
{
    let mut w = Writer { out, at: 0 };
    let shape = cml.system().shape();
    write_header(&mut w, extra, &shape, cml.config(), cml.loss().name())?;
    for value in theta.body().iter().chain(theta.init()) {
        extra.value_type.put(&mut w, value.to_f64())?;
    }
    Ok(w.finish())
}

/// An intact export: magic, version, length and checksum checked; `header` is its header
/// and values, without the checksum.
struct Frame<'a> {
    extra: Extra,
    header: &'a [u8],
}

impl<'a> Frame<'a> {
    /// Checks magic, version, length (from the value counts the header declares) and CRC.
    fn check(bytes: &'a [u8]) -> Result<Self, Error> {
        let mut r = Reader { bytes, at: 0 };
        if r.take::<4>()? != MAGIC {
            return Err(Error::CorruptState);
        }
        let version = r.u16()?;
        let header_len = match version {
            VERSION_5 => HEADER_LEN_5,
            VERSION_4 => HEADER_LEN_4,
            VERSION => HEADER_LEN,
            VERSION_2 => HEADER_LEN_2,
            found => return Err(Error::UnsupportedVersion { found }),
        };
        if r.u16()? as usize != header_len {
            return Err(Error::CorruptState);
        }
        let count = r.u32()? as usize;
        let (kind, fast, mu_given) = if version >= VERSION_4 {
            let kind = match (Reader { bytes, at: KIND_AT }).u8()? {
                0 => ModelKind::ComplexSynapse,
                1 => ModelKind::DualSystem,
                _ => return Err(Error::CorruptState),
            };
            let mu_given = (Reader {
                bytes,
                at: MU_GIVEN_AT,
            })
            .u8()?;
            let fast = (Reader { bytes, at: FAST_AT }).u32()? as usize;
            (kind, fast, mu_given)
        } else {
            (ModelKind::ComplexSynapse, 0, 0)
        };
        let value_type = match version {
            VERSION_5 => value_type_at(bytes)?,
            _ => ValueType::F64,
        };
        let values = match kind {
            ModelKind::ComplexSynapse if fast == 0 && mu_given == 0 => count.checked_mul(2),
            ModelKind::DualSystem if mu_given <= 1 => count.checked_add(fast),
            _ => None,
        };
        let total = values
            .and_then(|v| v.checked_mul(value_type.size()))
            .and_then(|v| v.checked_add(header_len + 4))
            .ok_or(Error::CorruptState)?;
        if bytes.len() != total {
            return Err(Error::CorruptState);
        }
        let (header, stored_crc) = bytes.split_at(total - 4);
        if CRC.checksum(header).to_le_bytes() != stored_crc {
            return Err(Error::CorruptState);
        }
        check_reserved(header, version, mu_given == 1)?;
        let mu = match mu_given {
            1 => Some((Reader { bytes, at: MU_AT }).f64()?),
            _ => None,
        };
        Ok(Frame {
            extra: Extra {
                version,
                header_len,
                kind,
                count,
                fast,
                mu,
                value_type,
            },
            header,
        })
    }

    /// Settings, shape and loss name, whichever version; refuses another model kind.
    fn settings(
        &self,
        kind: ModelKind,
    ) -> Result<(Config, Shape, [u8; LOSS_NAME_LEN], Reader<'a>), Error> {
        if self.extra.kind != kind {
            return Err(Error::WrongModelKind {
                stored: self.extra.kind,
            });
        }
        let mut r = Reader {
            bytes: self.header,
            at: 12,
        };
        let (config, shape, loss_name) = match self.extra.version {
            VERSION_2 => read_header_2(&mut r)?,
            _ => read_header_3(&mut r)?,
        };
        r.at = self.extra.header_len;
        Ok((config, shape, loss_name, r))
    }
}

/// A version-5 header's value type; its reserved bytes must be 0.
fn value_type_at(bytes: &[u8]) -> Result<ValueType, Error> {
    let mut r = Reader {
        bytes,
        at: VALUE_TYPE_AT,
    };
    let code = r.take::<2>()?;
    if r.take::<6>()? != [0; 6] {
        return Err(Error::CorruptState);
    }
    ValueType::from_code(code).ok_or(Error::CorruptState)
}

impl Frame<'_> {
    /// How the values are stored and how a reader converts them: version 5 exactly, the
    /// `f64` versions by rounding (as they always have).
    fn conversion(&self) -> (ValueType, Conversion) {
        match self.extra.version {
            VERSION_5 => (self.extra.value_type, Conversion::Exact),
            _ => (ValueType::F64, Conversion::Round),
        }
    }
}

/// [`Error::CorruptState`] unless every byte the layout reserves (or leaves unused) in the
/// header of `version` is 0: a non-zero one was written by no encoder, so the file is damaged
/// or forged, and a later version may give those bytes a meaning this one would ignore.
/// `header` is at least the header long (checked by [`Frame::check`]).
fn check_reserved(header: &[u8], version: u16, mu_given: bool) -> Result<(), Error> {
    if reserved_bytes_clean(header, version, mu_given) {
        Ok(())
    } else {
        Err(Error::CorruptState)
    }
}

/// Whether every reserved or unused byte of a `version` header is 0; a `const fn` so that the
/// compile-time reader ([`flash`]) refuses exactly what the run-time decoders refuse.
/// `header` is at least the header long.
pub(crate) const fn reserved_bytes_clean(header: &[u8], version: u16, mu_given: bool) -> bool {
    const LAYERS_AT: usize = 96;
    if version == VERSION_2 {
        return all_zero(header, 14, 16) && all_zero(header, 74, HEADER_LEN_2);
    }
    let depth = header[14] as usize;
    let mut slot = 0;
    while slot < MAX_LAYERS {
        let at = LAYERS_AT + 4 * slot;
        let clean = if slot < depth {
            header[at + 3] == 0
        } else {
            all_zero(header, at, at + 4)
        };
        if !clean {
            return false;
        }
        slot += 1;
    }
    if version >= VERSION_4 {
        header[MU_GIVEN_AT + 1] == 0 && (mu_given || all_zero(header, MU_AT, HEADER_LEN_4))
    } else {
        all_zero(header, KIND_AT, KIND_AT + 1) && all_zero(header, MU_GIVEN_AT, FAST_AT + 4)
    }
}

/// Whether `bytes[from..to]` are all 0.
const fn all_zero(bytes: &[u8], from: usize, to: usize) -> bool {
    let mut i = from;
    while i < to {
        if bytes[i] != 0 {
            return false;
        }
        i += 1;
    }
    true
}

/// Which model an intact export holds (version 2 and 3 exports hold complex synapses).
///
/// [`Error::CorruptState`] or [`Error::UnsupportedVersion`] as the decoders, for an export
/// they would refuse whatever its model.
pub fn model_kind(bytes: &[u8]) -> Result<ModelKind, Error> {
    Ok(Frame::check(bytes)?.extra.kind)
}

/// What an export decodes to: the rule with its settings, and θ.
pub type Decoded<N, M, const P: usize, L = SquaredError> = (Cml<N, M, P, L>, ComplexSynapse<N, P>);

/// What a dual system's export decodes to: the rule with its settings and μ, and θ.
pub type DecodedDual<N, S, const BODY: usize, const FAST: usize, L = SquaredError> =
    (DualCml<N, S, BODY, FAST, L>, DualState<N, BODY, FAST>);

/// Reads an export made for `model` with the squared-error loss, in any precision `N`; see
/// [`decode_with_loss`].
pub fn decode<N: Precision, M: Model<N> + Copy, const P: usize>(
    model: &M,
    bytes: &[u8],
) -> Result<Decoded<N, M, P>, Error> {
    decode_with_loss(model, SquaredError, bytes)
}

/// Reads a complex synapse's export (version 2, 3, or 4 and 5 of kind 0) made for `model`
/// and `loss`, in any precision `N`.
///
/// [`Error::CorruptState`] for a wrong magic, length, checksum, model shape, loss or parameter
/// count; [`Error::UnsupportedVersion`] for an intact export of a format version this library
/// does not read; [`Error::WrongModelKind`] for an intact export of a dual system (read it
/// with [`decode_dual`]); [`Error::OutOfRange`] when a value does not fit `N`;
/// [`Error::LambdaNotPositive`] when a λ is not positive; [`Error::InexactValue`] when a
/// version-5 value is not exactly a value of `N`; [`Error::InvalidConfig`] or
/// [`Error::TooManySteps`] when the stored settings are not valid for `N`.
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
    let frame = Frame::check(bytes)?;
    let (config, shape, loss_name, mut r) = frame.settings(ModelKind::ComplexSynapse)?;
    if frame.extra.count != P || shape != model.shape() || loss_name != loss_field(loss.name()) {
        return Err(Error::CorruptState);
    }
    let cml = Cml::with_loss(*model, loss, config)?;
    let (stored, conversion) = frame.conversion();
    let mut omega = [N::Param::ZERO; P];
    let mut lambda = [N::Param::ZERO; P];
    for slot in omega.iter_mut().chain(lambda.iter_mut()) {
        *slot = read_param(&mut r, stored, conversion)?;
    }
    let theta = ComplexSynapse::new(omega, lambda)?;
    Ok((cml, theta))
}

/// Reads a dual system's export (version 4 or 5, kind 1) made for `system` and `loss`, in any
/// precision `N`: the rule with its settings and μ, and θ (body and initial fast state).
///
/// [`Error::CorruptState`] for a wrong magic, length, checksum, shape, loss, body or
/// fast-state length; [`Error::UnsupportedVersion`] for an intact export of a format version
/// this library does not read; [`Error::WrongModelKind`] for an intact export of a complex
/// synapse (read it with [`decode`]); [`Error::OutOfRange`] when a value does not fit `N`;
/// [`Error::InexactValue`] when a version-5 value is not exactly a value of `N`;
/// [`Error::NotFinite`] for a fixed-point value at the rails of its format;
/// [`Error::InvalidConfig`] when the stored settings or μ are not valid for `N`.
pub fn decode_dual<N, S, const BODY: usize, const FAST: usize, L>(
    system: &S,
    loss: L,
    bytes: &[u8],
) -> Result<DecodedDual<N, S, BODY, FAST, L>, Error>
where
    N: Precision,
    S: DualModel<N>,
    L: LossName,
{
    let frame = Frame::check(bytes)?;
    let (config, shape, loss_name, mut r) = frame.settings(ModelKind::DualSystem)?;
    if frame.extra.count != BODY
        || frame.extra.fast != FAST
        || shape != system.shape()
        || loss_name != loss_field(loss.name())
    {
        return Err(Error::CorruptState);
    }
    let cml = DualCml::with_loss(*system, loss, config, frame.extra.mu)?;
    let (stored, conversion) = frame.conversion();
    let mut body = [N::Param::ZERO; BODY];
    let mut init = [N::Param::ZERO; FAST];
    for slot in body.iter_mut().chain(init.iter_mut()) {
        *slot = read_param(&mut r, stored, conversion)?;
    }
    let theta = DualState::new(body, init)?;
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

/// The rest of a version-3 or version-4 header, from offset 12 to 128 (the version-4 fields
/// were read by [`Frame::check`]).
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
