//! What a state is made of: [`Save`] and [`Load`], the byte streams they use ([`Sink`],
//! [`Source`]), and their implementations for the library's state types.
//!
//! A saved state is a sequence of *parts*: θ, an optimiser, the settings, a counter, a fast
//! state. Each part starts with an 8-byte tag, `[kind, 0, type, fraction bits, count: u32 LE]`:
//! what the part is ([`Kind`]), the number format of its values (the export format's type
//! code of [`crate::store::ValueType`]: 0 `f64`, 1 `f32`, 2 fixed point, with its fraction
//! bits; `[0xFF, 0]` for an integer counter) and how many values it holds. A load compares the tag with the part it is loading into and refuses another kind,
//! format or size with [`Error::WrongShape`], so bits are never read into the wrong place.
//!
//! A tuple of parts is a part: `(&theta, &adam, &config)` saves three of them in that order,
//! and `(&mut theta, &mut adam, &mut config)` loads them back.
//!
//! Loading runs twice over the same bytes ([`Pass`]): first every value is read and checked
//! without writing anything, then, only if all of it was valid, read again and written. So a
//! failed load leaves the caller's state exactly as it was.

use super::bits::RawBits;
use crate::cml::{Config, Estimator, Learn};
use crate::dual::DualState;
use crate::num::{Precision, Scalar};
use crate::optim::{Adam, Sgd};
use crate::synapse::ComplexSynapse;
use crate::Error;

/// Where a save's bytes go (the flash, a verifier reading them back, or a byte counter).
pub trait Sink {
    /// Appends `bytes`.
    fn put(&mut self, bytes: &[u8]) -> Result<(), Error>;

    /// Appends a `u32`, little-endian.
    fn put_u32(&mut self, value: u32) -> Result<(), Error> {
        self.put(&value.to_le_bytes())
    }

    /// Appends a value's raw bits, little-endian, in its own width.
    fn put_value<T: RawBits>(&mut self, value: T) -> Result<(), Error> {
        let bytes = value.to_raw().to_le_bytes();
        self.put(&bytes[..T::BYTES])
    }

    /// Appends a part's tag: its kind, the code of its number format and its value count.
    fn put_tag(&mut self, kind: Kind, code: [u8; 2], count: usize) -> Result<(), Error> {
        self.put(&[kind as u8, 0, code[0], code[1]])?;
        // A part is an array in memory, so its count fits any flash's 32-bit offsets.
        self.put_u32(count as u32)
    }
}

/// Where a load's bytes come from: the payload of a saved state, checked by its CRC.
pub trait Source {
    /// Fills `bytes` with the next bytes; [`Error::WrongShape`] past the end of the state.
    fn take(&mut self, bytes: &mut [u8]) -> Result<(), Error>;

    /// The next `u32`, little-endian.
    fn take_u32(&mut self) -> Result<u32, Error> {
        let mut bytes = [0; 4];
        self.take(&mut bytes)?;
        Ok(u32::from_le_bytes(bytes))
    }

    /// The next value of type `T` from its raw bits.
    fn take_value<T: RawBits>(&mut self) -> Result<T, Error> {
        let mut bytes = [0; 8];
        self.take(&mut bytes[..T::BYTES])?;
        Ok(T::from_raw(u64::from_le_bytes(bytes)))
    }

    /// Reads a part's tag and refuses it with [`Error::WrongShape`] unless it is `kind`, in
    /// the format `code`, with `count` values.
    fn expect_tag(&mut self, kind: Kind, code: [u8; 2], count: usize) -> Result<(), Error> {
        let mut head = [0; 4];
        self.take(&mut head)?;
        let stored = self.take_u32()?;
        if head != [kind as u8, 0, code[0], code[1]] || stored as usize != count {
            return Err(Error::WrongShape);
        }
        Ok(())
    }
}

/// The kinds of part, as stored in a part's tag.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Kind {
    /// θ = (ω, λ) of a complex synapse.
    ComplexSynapse = 1,
    /// A fast state φ, or any plain vector of values.
    Vector = 2,
    /// The dual system's θ (body, initial fast state).
    DualState = 3,
    /// An [`Sgd`] optimiser (its learning rate).
    Sgd = 4,
    /// An [`Adam`] optimiser (settings, step count, moments).
    Adam = 5,
    /// The rule's settings ([`Config`]).
    Config = 6,
    /// A counter, e.g. meta-steps taken.
    Counter = 7,
}

/// The type code of `T`'s values in a part's tag.
fn code<T: RawBits>() -> [u8; 2] {
    T::VALUE_TYPE.code()
}

/// The type code of an integer counter (no [`crate::store::ValueType`]).
const INTEGER: [u8; 2] = [0xFF, 0];

/// Which of the two passes of a load is running (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pass {
    /// Read and validate every value; write nothing.
    Check,
    /// Read again and write every value (only after a [`Pass::Check`] passed).
    Apply,
}

/// A state that can be saved: it writes its parts to a [`Sink`].
pub trait Save {
    /// Writes every part, in order.
    fn save<S: Sink>(&self, out: &mut S) -> Result<(), Error>;
}

/// A state that can be loaded: it reads back what its [`Save`] wrote.
pub trait Load {
    /// Reads every part in order. In [`Pass::Check`] it only validates (tags, and every value
    /// usable as its type requires) and leaves `self` unchanged; in [`Pass::Apply`] it writes.
    fn load<S: Source>(&mut self, input: &mut S, pass: Pass) -> Result<(), Error>;
}

impl<T: Save + ?Sized> Save for &T {
    fn save<S: Sink>(&self, out: &mut S) -> Result<(), Error> {
        (**self).save(out)
    }
}

impl<T: Save + ?Sized> Save for &mut T {
    fn save<S: Sink>(&self, out: &mut S) -> Result<(), Error> {
        (**self).save(out)
    }
}

impl<T: Load + ?Sized> Load for &mut T {
    fn load<S: Source>(&mut self, input: &mut S, pass: Pass) -> Result<(), Error> {
        (**self).load(input, pass)
    }
}

macro_rules! tuple_parts {
    ($($name:ident),+) => {
        impl<$($name: Save),+> Save for ($($name,)+) {
            #[allow(non_snake_case)]
            fn save<S: Sink>(&self, out: &mut S) -> Result<(), Error> {
                let ($($name,)+) = self;
                $($name.save(out)?;)+
                Ok(())
            }
        }
        impl<$($name: Load),+> Load for ($($name,)+) {
            #[allow(non_snake_case)]
            fn load<S: Source>(&mut self, input: &mut S, pass: Pass) -> Result<(), Error> {
                let ($($name,)+) = self;
                $($name.load(input, pass)?;)+
                Ok(())
            }
        }
    };
}

tuple_parts!(A);
tuple_parts!(A, B);
tuple_parts!(A, B, C);
tuple_parts!(A, B, C, D);
tuple_parts!(A, B, C, D, E);
tuple_parts!(A, B, C, D, E, F);

/// Writes the values of a slice.
fn put_values<S: Sink, T: RawBits>(out: &mut S, values: &[T]) -> Result<(), Error> {
    values.iter().try_for_each(|&v| out.put_value(v))
}

/// Reads `values.len()` values, each refused by `valid` with [`Error::CorruptState`], and
/// writes them in [`Pass::Apply`].
fn take_values<S: Source, T: RawBits>(
    input: &mut S,
    values: &mut [T],
    pass: Pass,
    valid: impl Fn(T) -> bool,
) -> Result<(), Error> {
    for slot in values {
        let value = input.take_value::<T>()?;
        if !valid(value) {
            return Err(Error::CorruptState);
        }
        if pass == Pass::Apply {
            *slot = value;
        }
    }
    Ok(())
}

/// A fast state φ (or any vector of values): all values usable.
impl<T: RawBits, const P: usize> Save for [T; P] {
    fn save<S: Sink>(&self, out: &mut S) -> Result<(), Error> {
        out.put_tag(Kind::Vector, code::<T>(), P)?;
        put_values(out, self)
    }
}

impl<T: RawBits, const P: usize> Load for [T; P] {
    fn load<S: Source>(&mut self, input: &mut S, pass: Pass) -> Result<(), Error> {
        input.expect_tag(Kind::Vector, code::<T>(), P)?;
        take_values(input, self, pass, T::is_usable)
    }
}

/// θ = (ω, λ): ω then λ, with the checks of [`ComplexSynapse::new`] (usable, λ > 0).
impl<N: Precision, const P: usize> Save for ComplexSynapse<N, P>
where
    N::Param: RawBits,
{
    fn save<S: Sink>(&self, out: &mut S) -> Result<(), Error> {
        out.put_tag(Kind::ComplexSynapse, code::<N::Param>(), P)?;
        put_values(out, self.omega())?;
        put_values(out, self.lambda())
    }
}

impl<N: Precision, const P: usize> Load for ComplexSynapse<N, P>
where
    N::Param: RawBits,
{
    fn load<S: Source>(&mut self, input: &mut S, pass: Pass) -> Result<(), Error> {
        input.expect_tag(Kind::ComplexSynapse, code::<N::Param>(), P)?;
        let (omega, lambda) = self.parts_mut();
        take_values(input, omega, pass, Scalar::is_usable)?;
        take_values(input, lambda, pass, |l| l.is_usable() && l > N::Param::ZERO)
    }
}

/// The dual system's θ: the body, then the initial fast state, all values usable.
impl<N: Precision, const BODY: usize, const FAST: usize> Save for DualState<N, BODY, FAST>
where
    N::Param: RawBits,
{
    fn save<S: Sink>(&self, out: &mut S) -> Result<(), Error> {
        out.put_tag(Kind::DualState, code::<N::Param>(), BODY)?;
        out.put_u32(FAST as u32)?;
        put_values(out, self.body())?;
        put_values(out, self.init())
    }
}

impl<N: Precision, const BODY: usize, const FAST: usize> Load for DualState<N, BODY, FAST>
where
    N::Param: RawBits,
{
    fn load<S: Source>(&mut self, input: &mut S, pass: Pass) -> Result<(), Error> {
        input.expect_tag(Kind::DualState, code::<N::Param>(), BODY)?;
        if input.take_u32()? as usize != FAST {
            return Err(Error::WrongShape);
        }
        let (body, init) = self.parts_mut();
        take_values(input, body, pass, Scalar::is_usable)?;
        take_values(input, init, pass, Scalar::is_usable)
    }
}

/// SGD's only state is its learning rate.
impl<N: Precision> Save for Sgd<N>
where
    N::Param: RawBits,
{
    fn save<S: Sink>(&self, out: &mut S) -> Result<(), Error> {
        out.put_tag(Kind::Sgd, code::<N::Param>(), 1)?;
        out.put_value(self.lr)
    }
}

impl<N: Precision> Load for Sgd<N>
where
    N::Param: RawBits,
{
    fn load<S: Source>(&mut self, input: &mut S, pass: Pass) -> Result<(), Error> {
        input.expect_tag(Kind::Sgd, code::<N::Param>(), 1)?;
        take_values(input, core::slice::from_mut(&mut self.lr), pass, |lr| {
            lr.is_usable() && lr > N::Param::ZERO
        })
    }
}

/// Adam: its settings (lr, β₁, β₂, ε as `f64`, the `log_lambda` flag), its step count, then
/// the four moment arrays in the moments' own format `M`.
impl<N: Precision, const P: usize, M: RawBits> Save for Adam<N, P, M> {
    fn save<S: Sink>(&self, out: &mut S) -> Result<(), Error> {
        out.put_tag(Kind::Adam, code::<M>(), P)?;
        for setting in [self.lr, self.beta1, self.beta2, self.epsilon] {
            out.put_value(setting)?;
        }
        out.put_u32(u32::from(self.log_lambda))?;
        out.put_u32(self.steps as u32)?;
        for moments in [&self.m_omega, &self.v_omega, &self.m_lambda, &self.v_lambda] {
            put_values(out, moments)?;
        }
        Ok(())
    }
}

impl<N: Precision, const P: usize, M: RawBits> Load for Adam<N, P, M> {
    fn load<S: Source>(&mut self, input: &mut S, pass: Pass) -> Result<(), Error> {
        input.expect_tag(Kind::Adam, code::<M>(), P)?;
        let mut settings = [0.0f64; 4];
        take_values(input, &mut settings, Pass::Apply, f64::is_finite)?;
        // What `Adam::new` allows: lr > 0, β₁ and β₂ in [0, 1), ε > 0.
        let [lr, beta1, beta2, epsilon] = settings;
        let rate = |b: f64| (0.0..1.0).contains(&b);
        if !(lr > 0.0 && rate(beta1) && rate(beta2) && epsilon > 0.0) {
            return Err(Error::CorruptState);
        }
        let log_lambda = match input.take_u32()? {
            0 => false,
            1 => true,
            _ => return Err(Error::CorruptState),
        };
        let steps = input.take_u32()? as i32;
        if steps < 0 {
            return Err(Error::CorruptState);
        }
        for moments in [
            &mut self.m_omega,
            &mut self.v_omega,
            &mut self.m_lambda,
            &mut self.v_lambda,
        ] {
            take_values(input, moments, pass, Scalar::is_usable)?;
        }
        if pass == Pass::Apply {
            [self.lr, self.beta1, self.beta2, self.epsilon] = settings;
            self.log_lambda = log_lambda;
            self.steps = steps;
        }
        Ok(())
    }
}

/// The rule's settings: step counts, then the `f64` rates and bounds, then the estimator and
/// what is learned. Loaded as saved; [`crate::Cml::new`] validates them as always.
impl Save for Config {
    fn save<S: Sink>(&self, out: &mut S) -> Result<(), Error> {
        out.put_tag(Kind::Config, code::<f64>(), 5)?;
        out.put_u32(self.free_steps)?;
        out.put_u32(self.nudged_steps)?;
        let rates = [
            self.free_lr,
            self.nudged_lr,
            self.beta,
            self.lambda_min,
            self.lambda_max,
        ];
        put_values(out, &rates)?;
        let estimator = match self.estimator {
            Estimator::Standard => 0,
            Estimator::Symmetric => 1,
        };
        let learn = match self.learn {
            Learn::Both => 0,
            Learn::Omega => 1,
            Learn::Lambda => 2,
        };
        out.put(&[estimator, learn, 0, 0])
    }
}

impl Load for Config {
    fn load<S: Source>(&mut self, input: &mut S, pass: Pass) -> Result<(), Error> {
        input.expect_tag(Kind::Config, code::<f64>(), 5)?;
        let free_steps = input.take_u32()?;
        let nudged_steps = input.take_u32()?;
        let mut rates = [0.0f64; 5];
        take_values(input, &mut rates, Pass::Apply, f64::is_finite)?;
        let mut codes = [0u8; 4];
        input.take(&mut codes)?;
        let estimator = match codes[0] {
            0 => Estimator::Standard,
            1 => Estimator::Symmetric,
            _ => return Err(Error::CorruptState),
        };
        let learn = match codes[1] {
            0 => Learn::Both,
            1 => Learn::Omega,
            2 => Learn::Lambda,
            _ => return Err(Error::CorruptState),
        };
        if codes[2..] != [0, 0] {
            return Err(Error::CorruptState);
        }
        if pass == Pass::Apply {
            let [free_lr, nudged_lr, beta, lambda_min, lambda_max] = rates;
            *self = Config {
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
        }
        Ok(())
    }
}

/// A counter (meta-steps taken, tasks seen, …), saved as a `u64`.
impl Save for u64 {
    fn save<S: Sink>(&self, out: &mut S) -> Result<(), Error> {
        out.put_tag(Kind::Counter, INTEGER, 1)?;
        out.put(&self.to_le_bytes())
    }
}

impl Load for u64 {
    fn load<S: Source>(&mut self, input: &mut S, pass: Pass) -> Result<(), Error> {
        input.expect_tag(Kind::Counter, INTEGER, 1)?;
        let mut bytes = [0; 8];
        input.take(&mut bytes)?;
        if pass == Pass::Apply {
            *self = u64::from_le_bytes(bytes);
        }
        Ok(())
    }
}
