//! The networks the boards run, with their priors in flash (and, for the sinusoid ones, their
//! seeded starts).
//!
//! - `hidden40`: the sinusoid benchmark's 1-40-40-1 (P = 1,761), for Cortex-M4F boards.
//! - `hidden16`: 1-16-16-1 (P = 321), for the 16 KB Cortex-M0: a full CML meta-step needs
//!   6P values (θ in RAM, a four-buffer workspace) = 7.5 KB, leaving room for the stack.
//! - [`dual40`]: the 1-40-40-1 tanh **dual system** (body 1,720 values, fast state 201): its
//!   body and initial fast state stay in flash, and adapting needs only `2 · 201` values of
//!   RAM, so it runs on the 16 KB Cortex-M0 too.
//! - [`digits`]: the 64-32-32-5 few-shot digits classifier (P = 3,301, softmax
//!   cross-entropy), adapted on the device but not meta-learned there; with it, the images
//!   of digits 5–9 its held-out tasks are drawn from.
//!
//! `build.rs` decodes `priors/*.tcml` with `tinycml::store::decode` (CRC, version and shape
//! checked on the build host) into raw Q8.24 bits; [`ComplexSynapse::from_bits`] turns them
//! into θ in a `const` context, so `PRIOR` is a `static` in flash and costs no RAM.

use tinycml::{ComplexSynapse, Q16_16};

mod generated {
    include!(concat!(env!("OUT_DIR"), "/priors.rs"));
}

/// λ = 1 in Q8.24 bits: the starting consolidation strength of on-device meta-learning.
const ONE: i32 = 1 << 24;

/// θ from bits, at compile time; invalid bits stop the build.
const fn theta<const P: usize>(omega: &[i32; P], lambda: &[i32; P]) -> ComplexSynapse<Q16_16, P> {
    match ComplexSynapse::from_bits(omega, lambda) {
        Ok(theta) => theta,
        Err(_) => panic!("the prior export holds an invalid θ"),
    }
}

macro_rules! network {
    ($module:ident, $h:literal, $doc:literal) => {
        #[doc = $doc]
        pub mod $module {
            use tinycml::{ComplexSynapse, Mlp, Q16_16};

            pub use super::generated::$module::*;

            /// The network type.
            pub type Net = Mlp<1, $h, $h>;

            /// The meta-learned prior, in flash.
            pub static PRIOR: ComplexSynapse<Q16_16, P> = super::theta(&PRIOR_OMEGA, &PRIOR_LAMBDA);

            /// Starting θ of on-device meta-learning (copy it into a RAM `static`).
            pub const START: ComplexSynapse<Q16_16, P> =
                super::theta(&INIT_OMEGA, &[super::ONE; P]);
        }
    };
}

network!(
    hidden40,
    40,
    "1-40-40-1 ReLU: the sinusoid benchmark network."
);
network!(hidden16, 16, "1-16-16-1 ReLU: the Cortex-M0 network.");

/// θ of a dual system from bits, at compile time; invalid bits stop the build.
const fn dual_state<const BODY: usize, const FAST: usize>(
    body: &[i32; BODY],
    init: &[i32; FAST],
) -> tinycml::dual::DualState<Q16_16, BODY, FAST> {
    match tinycml::dual::DualState::from_bits(body, init) {
        Ok(theta) => theta,
        Err(_) => panic!("the dual prior export holds an invalid θ"),
    }
}

/// The 1-40-40-1 tanh dual system (squared error): a slow body `{W_l, c_l}` modulated per
/// hidden unit by fast gains and shifts, with a fast linear read-out. Its prior comes from
/// `priors/sinusoid-dual.tcml` (store format version 4).
pub mod dual40 {
    use tinycml::dual::{DualCml, DualState, DualSystem};
    use tinycml::{Layer, Q16_16};

    pub use super::generated::dual40::*;

    /// The system type: two modulated hidden layers of 40 tanh units, a 40-1 read-out.
    pub type System = DualSystem<1, Layer<40, Layer<40, Layer<1>>>>;

    /// The rule in the device format.
    pub type Rule = DualCml<Q16_16, System, BODY, FAST>;

    /// The prior, as a constant: copy it into a RAM `static` to meta-learn from it.
    pub const START: DualState<Q16_16, BODY, FAST> = super::dual_state(&PRIOR_BODY, &PRIOR_INIT);

    /// The meta-learned prior (body and initial fast state), in flash.
    pub static PRIOR: DualState<Q16_16, BODY, FAST> = START;
}

/// A 1-16-16-1 tanh dual system with a seeded (not meta-learned) body: only for counting
/// instructions against the complex synapse's 1-16-16-1 (`bench-dual`).
pub mod dual16 {
    use tinycml::dual::{DualState, DualSystem};
    use tinycml::{Error, Layer, Precision, Scalar, SplitMix64, Q16_16};

    /// The system type.
    pub type System = DualSystem<1, Layer<16, Layer<16, Layer<1>>>>;
    /// Body values: 16·2 + 16·17 = 304.
    pub const BODY: usize = System::BODY;
    /// Fast-state values: 4·16 + 17 = 81.
    pub const FAST: usize = System::FAST;
    /// Seed of the body.
    pub const SEED: u64 = 16;

    /// Writes θ with a body drawn in ±0.5 from [`SEED`] and the authors' initial fast state
    /// into `slot` and returns it (not inlined, and written in place: its temporaries stay
    /// out of the caller's stack frame).
    #[inline(never)]
    pub fn seed<'a>(
        system: &System,
        slot: &'a mut Option<DualState<Q16_16, BODY, FAST>>,
    ) -> Result<&'a mut DualState<Q16_16, BODY, FAST>, Error> {
        let mut rng = SplitMix64::new(SEED);
        let body = core::array::from_fn(|_| {
            <Q16_16 as Precision>::Param::from_f64_saturating(rng.uniform(-0.5, 0.5))
        });
        Ok(slot.insert(DualState::with_initial_fast(system, body)?))
    }
}

/// The 64-32-32-5 ReLU digits classifier (softmax cross-entropy), meta-trained on the host by
/// the library's `digits` example on digits 0–4, and the images of digits 5–9 to adapt it to.
pub mod digits {
    use tinycml::{ComplexSynapse, Layer, Network, Q16_16};

    pub use super::generated::digits::*;

    /// The network type: 64 pixels in, two hidden layers of 32 ReLU units, 5 logits out.
    pub type Net = Network<
        { tinycml::digits::PIXELS },
        Layer<32, Layer<32, Layer<{ tinycml::digits::HELDOUT_WAYS }>>>,
    >;

    /// The meta-learned prior, in flash.
    pub static PRIOR: ComplexSynapse<Q16_16, P> = super::theta(&PRIOR_OMEGA, &PRIOR_LAMBDA);

    /// The images of digits 5–9 (the meta-test classes), in the library's digits file format
    /// and in the bundled file's order: 896 images, 58,248 bytes of flash instead of the
    /// bundled file's 116,813. Read it with [`tinycml::digits::Digits::parse`].
    pub static DATA: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/digits-5-9.bin"));
}
