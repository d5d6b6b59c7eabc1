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
//! Each prior is an export file in `priors/`, embedded with the library's
//! [`tinycml::embed_complex_synapse`] / [`tinycml::embed_dual_state`]: the compiler checks
//! its checksum, format version, model kind, sizes, shape and loss and decodes it into Q8.24
//! bits (a failed check is a compile error), so `PRIOR` is a `static` in flash, costs no
//! RAM, and the stored settings are constants. `build.rs` only draws the seeded starting θ
//! and cuts the digits file.

use tinycml::nn::{Activation, Shape};
use tinycml::{ComplexSynapse, Q16_16};

mod generated {
    include!(concat!(env!("OUT_DIR"), "/generated.rs"));
}

/// The shape `1-H-H-1` with `hidden` on both hidden layers and a linear output.
const fn sinusoid_shape(h: u16, hidden: Activation) -> Shape {
    Shape::new(1)
        .with_layer(h, hidden)
        .with_layer(h, hidden)
        .with_layer(1, Activation::Identity)
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
    ($module:ident, $h:literal, $file:literal, $doc:literal) => {
        #[doc = $doc]
        pub mod $module {
            use tinycml::store::flash::Prior;
            use tinycml::{Activation, ComplexSynapse, Mlp, Q16_16};

            pub use super::generated::$module::*;

            /// The network type.
            pub type Net = Mlp<1, $h, $h>;

            /// The export, decoded at compile time.
            const EXPORT: Prior<ComplexSynapse<Q16_16, P>> = tinycml::embed_complex_synapse!(
                include_bytes!($file),
                super::sinusoid_shape($h, Activation::Relu),
                "squared_error"
            );

            /// The meta-learned prior, in flash.
            pub static PRIOR: ComplexSynapse<Q16_16, P> = EXPORT.theta;
            /// Settings stored with the prior.
            pub const PRIOR_CONFIG: tinycml::Config = EXPORT.config;
            /// Fingerprint of the prior, computed by the compiler from the export.
            pub const PRIOR_FINGERPRINT: u64 = EXPORT.fingerprint;
            /// Bytes of the export file.
            pub const EXPORT_LEN: usize = EXPORT.len;

            /// Starting θ of on-device meta-learning (copy it into a RAM `static`).
            pub const START: ComplexSynapse<Q16_16, P> =
                super::theta(&INIT_OMEGA, &[super::ONE; P]);
        }
    };
}

network!(
    hidden40,
    40,
    "../priors/sinusoid-1-40-40-1.tcml",
    "1-40-40-1 ReLU: the sinusoid benchmark network."
);
network!(
    hidden16,
    16,
    "../priors/sinusoid-1-16-16-1.tcml",
    "1-16-16-1 ReLU: the Cortex-M0 network."
);

/// The 1-40-40-1 tanh dual system (squared error): a slow body `{W_l, c_l}` modulated per
/// hidden unit by fast gains and shifts, with a fast linear read-out. Its prior comes from
/// `priors/sinusoid-dual.tcml` (store format version 4).
pub mod dual40 {
    use tinycml::dual::{DualCml, DualState, DualSystem};
    use tinycml::store::flash::Prior;
    use tinycml::{Activation, Layer, Q16_16};

    /// The system type: two modulated hidden layers of 40 tanh units, a 40-1 read-out.
    pub type System = DualSystem<1, Layer<40, Layer<40, Layer<1>>>>;
    /// Body values: 40·2 + 40·41 = 1,720.
    pub const BODY: usize = System::BODY;
    /// Fast-state values: 4·40 + 41 = 201.
    pub const FAST: usize = System::FAST;

    /// The rule in the device format.
    pub type Rule = DualCml<Q16_16, System, BODY, FAST>;

    /// The export, decoded at compile time.
    const EXPORT: Prior<DualState<Q16_16, BODY, FAST>> = tinycml::embed_dual_state!(
        include_bytes!("../priors/sinusoid-dual.tcml"),
        super::sinusoid_shape(40, Activation::Tanh),
        "squared_error"
    );

    /// The prior, as a constant: copy it into a RAM `static` to meta-learn from it.
    pub const START: DualState<Q16_16, BODY, FAST> = EXPORT.theta;

    /// The meta-learned prior (body and initial fast state), in flash.
    pub static PRIOR: DualState<Q16_16, BODY, FAST> = START;
    /// Settings stored with the prior.
    pub const PRIOR_CONFIG: tinycml::Config = EXPORT.config;
    /// μ stored with the prior (`None`: no pull to the initial fast state).
    pub const PRIOR_MU: Option<f64> = EXPORT.mu;
    /// Fingerprint of the prior, computed by the compiler from the export.
    pub const PRIOR_FINGERPRINT: u64 = EXPORT.fingerprint;
    /// Bytes of the export file.
    pub const EXPORT_LEN: usize = EXPORT.len;
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
    use tinycml::nn::{Activation, Shape};
    use tinycml::store::flash::Prior;
    use tinycml::{ComplexSynapse, Layer, Network, Q16_16};

    pub use super::generated::digits::*;

    /// The network type: 64 pixels in, two hidden layers of 32 ReLU units, 5 logits out.
    pub type Net = Network<
        { tinycml::digits::PIXELS },
        Layer<32, Layer<32, Layer<{ tinycml::digits::HELDOUT_WAYS }>>>,
    >;
    /// Parameters: 64·32 + 32 + 32·32 + 32 + 32·5 + 5 = 3,301.
    pub const P: usize = Net::PARAMS;

    /// The export, decoded at compile time.
    const EXPORT: Prior<ComplexSynapse<Q16_16, P>> = tinycml::embed_complex_synapse!(
        include_bytes!("../priors/digits.tcml"),
        Shape::new(tinycml::digits::PIXELS as u16)
            .with_layer(32, Activation::Relu)
            .with_layer(32, Activation::Relu)
            .with_layer(tinycml::digits::HELDOUT_WAYS as u16, Activation::Identity),
        "softmax_cross_entropy"
    );

    /// The meta-learned prior, in flash.
    pub static PRIOR: ComplexSynapse<Q16_16, P> = EXPORT.theta;
    /// Settings stored with the prior.
    pub const PRIOR_CONFIG: tinycml::Config = EXPORT.config;
    /// Fingerprint of the prior, computed by the compiler from the export.
    pub const PRIOR_FINGERPRINT: u64 = EXPORT.fingerprint;
    /// Bytes of the export file.
    pub const EXPORT_LEN: usize = EXPORT.len;

    /// The images of digits 5–9 (the meta-test classes), in the library's digits file format
    /// and in the bundled file's order: 896 images, 58,248 bytes of flash instead of the
    /// bundled file's 116,813. Read it with [`tinycml::digits::Digits::parse`].
    pub static DATA: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/digits-5-9.bin"));
}
