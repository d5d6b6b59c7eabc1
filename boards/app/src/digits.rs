//! Few-shot classification of handwriting on the device: the digits classifier's prior, in
//! flash, adapts in fixed point to held-out 5-way 5-shot tasks of digits it never saw.
//!
//! The prior (θ = ω, λ of the 64-32-32-5 ReLU network, softmax cross-entropy) was
//! meta-trained on the host on digits 0–4 at four rotations (the library's `digits` example);
//! the tasks are the library's **held-out 5-shot set** (digits 5–9, seed 20240601), task 0,
//! 1, 2, … in order, so each task's accuracy here is the host's for the same task, bit for
//! bit.
//!
//! ## What a device with 64 KB of RAM keeps where
//!
//! | what | where | bytes |
//! |---|---|---|
//! | θ (ω and λ, 2 × 3,301 Q8.24 values) | flash | 26,408 |
//! | images of digits 5–9 (896 × 65, u8 pixels 0–16 and the label) | flash | 58,248 |
//! | φ, the adapted weights | RAM | 13,204 |
//! | the gradient (scratch of every step) | RAM | 13,204 |
//! | the 25 support shots, converted to Q16.16 | RAM | 6,508 |
//! | one query image, converted when it is classified | stack | 256 |
//!
//! The library's [`Task`] holds every shot converted (256 bytes of Q16.16 inputs a shot), so
//! a whole held-out task — 25 support and 75 query shots — would take 25.6 KB. Adaptation
//! only reads the support shots, and a deployed classifier sees its inputs one at a time, so
//! the support shots are the only ones kept: [`Digits::draw`] picks the task's classes and
//! images with the same draws as the library's `heldout` sampler, the 25 support images are
//! converted into a [`Support`] buffer, and each query image is converted, classified
//! ([`Cml::classify`]) and forgotten. Static RAM is then 2P values plus the support shots:
//! 32.9 KB.
//!
//! ## The check
//!
//! Before adapting, ω itself classifies the query images (the labels 0–4 are the order in
//! which the task drew its classes, so ω is at chance, 20 %, on average); after the free
//! phase (the prior's settings) φ does. The run passes when the prior's bits match the build
//! host's, every task adapts without error, and the accuracy summed over the tasks is higher
//! after adaptation than before. The fingerprint is FNV-1a over every task's adapted φ (its
//! exact values, as [`tinycml::synapse::fingerprint`]) and every predicted label.

use crate::console::{format, Console};
use crate::demo::{finish, Prior, Verdict};
use crate::networks::digits::{Net, P};
use crate::pins::Led;
use crate::source::Act;
use embedded_hal::digital::OutputPin;
use tinycml::digits::{
    ClassId, Digits, Drawn, Split, HELDOUT_SEED, HELDOUT_WAYS, PIXELS, QUERY_PER_CLASS,
};
use tinycml::{
    Activation, Class, Cml, Error, Model, Precision, Saturations, Scalar, Shot,
    SoftmaxCrossEntropy, SplitMix64, Task, Q16_16,
};

/// Support images per class (the held-out 5-shot set).
pub const SHOTS: usize = 5;
/// Support shots per task: 5 ways × 5 shots.
pub const SUPPORT: usize = HELDOUT_WAYS * SHOTS;
/// Query images per task: 5 ways × 15.
pub const QUERY: usize = HELDOUT_WAYS * QUERY_PER_CLASS;

/// The support shots of one task, converted (no room for query shots: they are classified
/// one at a time).
pub type Support = Task<Act, PIXELS, SUPPORT, 0, Class>;

/// A parameter-sized buffer in the device format (Q8.24).
pub type Params = [<Q16_16 as Precision>::Param; P];

/// The rule as the digits prior runs it.
type Rule = Cml<Q16_16, Net, P, SoftmaxCrossEntropy>;

/// How much a board runs.
#[derive(Clone, Copy, Debug)]
pub struct Plan {
    /// Board name printed in the header.
    pub board: &'static str,
    /// Held-out tasks adapted to: tasks `0..tasks` of the 5-shot set.
    pub tasks: usize,
}

/// The buffers the firmware lends (its `static`s), so the RAM it needs is in its own source.
pub struct Buffers<'a> {
    /// The adapted weights.
    pub phi: &'a mut Params,
    /// Scratch gradient.
    pub grad: &'a mut Params,
    /// The support shots of the task being adapted to.
    pub support: &'a mut Support,
}

/// FNV-1a (64-bit) over bytes, the same hash as [`tinycml::synapse::fingerprint`] (the dual
/// firmware uses it too).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Fnv1a(pub(crate) u64);

impl Fnv1a {
    pub(crate) const fn new() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }

    pub(crate) fn bytes(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = (self.0 ^ byte as u64).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

/// `correct` of `total` as a percentage with one decimal, by integer arithmetic only.
struct Percent {
    correct: u32,
    total: u32,
}

impl core::fmt::Display for Percent {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let total = self.total.max(1) as u64;
        let tenths = (self.correct as u64 * 1000 + total / 2) / total;
        write!(f, "{}.{}%", tenths / 10, tenths % 10)
    }
}

/// A task's classes in label order, each as `digit@degrees` (counter-clockwise rotation).
struct Classes<'a>(&'a [ClassId]);

impl core::fmt::Display for Classes<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        for (i, class) in self.0.iter().enumerate() {
            let gap = if i == 0 { "" } else { " " };
            write!(f, "{gap}{}@{}", class.digit(), class.degrees())?;
        }
        Ok(())
    }
}

/// Draws held-out 5-shot task after task from `data`: the library's `heldout` sampler
/// (`tinycml::digits::heldout`, 5 shots), without building the tasks.
pub struct HeldOut<'d> {
    data: &'d Digits<'d>,
    rng: SplitMix64,
}

impl<'d> HeldOut<'d> {
    /// Task 0 next.
    pub fn new(data: &'d Digits<'d>) -> Self {
        Self {
            data,
            rng: SplitMix64::new(HELDOUT_SEED),
        }
    }

    /// The classes and images of the next task.
    pub fn next_task(&mut self) -> Result<Drawn<SUPPORT, QUERY>, Error> {
        self.data.draw(
            &mut self.rng,
            Split::MetaTest.classes(),
            HELDOUT_WAYS,
            SHOTS,
            QUERY_PER_CLASS,
        )
    }
}

/// The label of the `i`-th shot of a list drawn `per_class` at a time.
fn label(i: usize, per_class: usize) -> usize {
    i / per_class
}

/// The input of `image` shown as class `label` of `drawn`, converted like the library's
/// sampler converts it (pixels / 16 in `f64`, then the format).
fn input(
    data: &Digits<'_>,
    drawn: &Drawn<SUPPORT, QUERY>,
    image: u16,
    label: usize,
) -> Result<[f64; PIXELS], Error> {
    let class = drawn
        .classes
        .get(label)
        .ok_or(Error::InvalidConfig("a shot's label has no class"))?;
    data.input(image as usize, *class)
        .ok_or(Error::InvalidConfig("image index beyond the file"))
}

/// Converts the task's support images into `support` (cleared first).
pub fn fill_support(
    data: &Digits<'_>,
    drawn: &Drawn<SUPPORT, QUERY>,
    support: &mut Support,
) -> Result<(), Error> {
    support.truncate_support(0);
    for (i, &image) in drawn.support_images.iter().enumerate() {
        let label = label(i, SHOTS);
        let x = input(data, drawn, image, label)?;
        support.push_support(Shot::new(&x, Class(label as u16))?)?;
    }
    Ok(())
}

/// Classifies every query image of the task with weights `phi`; the number right, and every
/// predicted label fed to `hash`.
fn classify_queries(
    cml: &Rule,
    data: &Digits<'_>,
    drawn: &Drawn<SUPPORT, QUERY>,
    phi: &Params,
    hash: &mut Fnv1a,
) -> Result<u32, Error> {
    let mut correct = 0;
    for (i, &image) in drawn.query_images.iter().enumerate() {
        let label = label(i, QUERY_PER_CLASS);
        let predicted = cml.classify(phi, &input(data, drawn, image, label)?)?;
        hash.bytes(&[predicted as u8]);
        correct += (predicted == label) as u32;
    }
    Ok(correct)
}

/// One task: `(correct from ω, correct after adaptation)` of its query images.
fn one_task(
    cml: &Rule,
    prior: &Prior<'_, P>,
    data: &Digits<'_>,
    drawn: &Drawn<SUPPORT, QUERY>,
    buffers: &mut Buffers<'_>,
    hash: &mut Fnv1a,
    sat: &mut Saturations,
) -> Result<(u32, u32), Error> {
    let before = classify_queries(cml, data, drawn, prior.theta.omega(), hash)?;
    fill_support(data, drawn, buffers.support)?;
    let adapt_sat = cml.adapt(
        prior.theta,
        buffers.support,
        None,
        buffers.phi,
        buffers.grad,
    )?;
    sat.0 = sat.0.saturating_add(adapt_sat.0);
    hash.bytes(&tinycml::synapse::fingerprint(buffers.phi.iter().copied()).to_le_bytes());
    let after = classify_queries(cml, data, drawn, buffers.phi, hash)?;
    Ok((before, after))
}

/// Runs the digits firmware: checks the prior and the data, adapts to `plan.tasks` held-out
/// tasks and prints each one's query accuracy before and after, then the fingerprint and the
/// verdict. `data` is a digits file holding (at least) every image of digits 5–9.
pub fn run(
    plan: &Plan,
    prior: &Prior<'_, P>,
    data: &[u8],
    mut buffers: Buffers<'_>,
    console: &mut impl Console,
    pin: impl OutputPin,
) -> Verdict {
    let mut led = Led::new(pin);
    let model = Net::new(Activation::Relu);
    console.line(&format(format_args!(
        "tinycml digits on {}: {} ReLU, softmax cross-entropy, P = {P}",
        plan.board,
        Model::<Q16_16>::shape(&model),
    )));
    let on_device = prior.theta.fingerprint();
    let same = on_device == prior.fingerprint;
    console.line(&format(format_args!(
        "prior: θ from a {}-byte export, in flash, fingerprint {on_device:#018x} ({})",
        prior.export_len,
        if same {
            "matches the build host"
        } else {
            "DIFFERS from the build host"
        }
    )));
    let setup = Digits::parse(data)
        .map_err(|_| Error::InvalidConfig("the digits data in flash is damaged"))
        .and_then(|digits| {
            Ok((
                digits,
                Rule::with_loss(model, SoftmaxCrossEntropy, prior.config)?,
            ))
        });
    let (digits, cml) = match setup {
        Ok(setup) => setup,
        Err(e) => {
            console.error("digits", e);
            return finish(0, false, console, &mut led);
        }
    };
    let counts = digits.counts();
    console.line(&format(format_args!(
        "data: {} images in flash ({} bytes), digits 5-9: {} {} {} {} {}",
        digits.len(),
        data.len(),
        counts[5],
        counts[6],
        counts[7],
        counts[8],
        counts[9],
    )));
    let config = cml.config();
    console.line(&format(format_args!(
        "tasks: held-out 5-way {SHOTS}-shot (digits 5-9, seed {HELDOUT_SEED}), {SUPPORT} support and {QUERY} query images"
    )));
    console.line(&format(format_args!(
        "adapt: {} steps at lr {}, Q16.16 data, Q8.24 weights",
        config.free_steps,
        crate::Dec::q16(Act::from_f64_saturating(config.free_lr)),
    )));

    let mut tasks = HeldOut::new(&digits);
    let mut hash = Fnv1a::new();
    let mut sat = Saturations::default();
    let (mut before, mut after, mut adapted) = (0u32, 0u32, 0u32);
    let mut passed = same;
    for index in 0..plan.tasks {
        // A failed draw leaves the stream where it cannot be trusted: stop there.
        let drawn = match tasks.next_task() {
            Ok(drawn) => drawn,
            Err(e) => {
                console.error("  draw", e);
                passed = false;
                break;
            }
        };
        match one_task(
            &cml,
            prior,
            &digits,
            &drawn,
            &mut buffers,
            &mut hash,
            &mut sat,
        ) {
            Ok((b, a)) => {
                before += b;
                after += a;
                adapted += 1;
                console.line(&format(format_args!(
                    "  task {index}: {}, query {b}/{QUERY} from ω -> {a}/{QUERY} adapted",
                    Classes(&drawn.classes)
                )));
            }
            Err(e) => {
                console.error("  task", e);
                passed = false;
            }
        }
        led.beat();
    }
    let total = adapted * QUERY as u32;
    let higher = after > before;
    console.line(&format(format_args!(
        "mean query accuracy over {adapted} tasks: {} from ω -> {} adapted {}",
        Percent {
            correct: before,
            total
        },
        Percent {
            correct: after,
            total
        },
        if higher { "higher" } else { "NOT HIGHER" }
    )));
    console.saturations("saturations", sat);
    finish(
        hash.0,
        passed && higher && adapted as usize == plan.tasks,
        console,
        &mut led,
    )
}

/// Instruction counts of the digits firmware's work on held-out task 0, for `measure.sh`:
/// printed as `bench q16.16 64-32-32-5 SPAN COUNT` lines, like [`crate::bench`]'s.
///
/// - `inner-step`: one step of gradient descent on the 25 support shots from φ = ω (forward,
///   backward and update; [`tinycml::inner::descend`]), and `macs-per-step`, its
///   multiply-accumulates counted from the widths ([`crate::bench::macs_per_step`]);
/// - `adaptation-S-steps`: [`Cml::adapt`] with the prior's free phase;
/// - `draw`: drawing the task's classes and images ([`Digits::draw`], from flash);
/// - `task`: everything the firmware does for a drawn task — classify the 75 query images
///   from ω, convert the support shots, adapt, fingerprint φ, classify the 75 again.
///
/// True when every span ran.
pub fn bench(
    meter: &mut impl crate::bench::Meter,
    console: &mut impl Console,
    prior: &Prior<'_, P>,
    data: &[u8],
    buffers: &mut Buffers<'_>,
) -> bool {
    let result = (|| -> Result<(), Error> {
        let digits =
            Digits::parse(data).map_err(|_| Error::InvalidConfig("the digits data is damaged"))?;
        let model = Net::new(Activation::Relu);
        let cml = Rule::with_loss(model, SoftmaxCrossEntropy, prior.config)?;
        let shape = Model::<Q16_16>::shape(&model);
        let mut report = |span: &str, count: u64| {
            console.line(&format(format_args!("bench q16.16 {shape} {span} {count}")));
        };

        let mut tasks = HeldOut::new(&digits);
        let mut drawn = Err(Error::NoShots);
        let count = meter.count(&mut || drawn = tasks.next_task());
        let drawn = drawn?;
        report("draw", count);
        fill_support(&digits, &drawn, buffers.support)?;

        let spec = tinycml::inner::PhaseSpec::<Q16_16> {
            phase: tinycml::Phase::Free,
            steps: 1,
            lr: <Q16_16 as Precision>::Param::from_f64(prior.config.free_lr)
                .ok_or(Error::InvalidConfig("free_lr"))?,
            nudge: <Q16_16 as Precision>::Param::ZERO,
        };
        buffers.phi.copy_from_slice(prior.theta.omega());
        let mut sat = Saturations::default();
        let mut stepped = Ok(());
        let count = meter.count(&mut || {
            stepped = tinycml::inner::descend(
                &model,
                &SoftmaxCrossEntropy,
                prior.theta.anchor(),
                buffers.support.support(),
                &[],
                &spec,
                buffers.phi,
                buffers.grad,
                &mut sat,
            );
        });
        stepped?;
        report("inner-step", count);
        if let Some(macs) = crate::bench::macs_per_step(shape, P, SUPPORT) {
            report("macs-per-step", macs);
        }

        let mut adapted = Ok(Saturations::default());
        let count = meter.count(&mut || {
            adapted = cml.adapt(
                prior.theta,
                buffers.support,
                None,
                buffers.phi,
                buffers.grad,
            );
        });
        adapted?;
        report(
            &format(format_args!("adaptation-{}-steps", prior.config.free_steps)),
            count,
        );

        let mut whole = Ok((0, 0));
        let mut hash = Fnv1a::new();
        let count = meter.count(&mut || {
            whole = one_task(&cml, prior, &digits, &drawn, buffers, &mut hash, &mut sat);
        });
        whole?;
        report("task", count);
        Ok(())
    })();
    match result {
        Ok(()) => true,
        Err(e) => {
            console.error("bench digits", e);
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_rounds_to_one_decimal() {
        let show = |correct, total| format(format_args!("{}", Percent { correct, total }));
        assert_eq!(show(61, 75).as_str(), "81.3%");
        assert_eq!(show(15, 75).as_str(), "20.0%");
        assert_eq!(show(75, 75).as_str(), "100.0%");
        assert_eq!(show(0, 0).as_str(), "0.0%");
    }

    #[test]
    fn fnv1a_matches_the_library_hash() {
        // The library hashes each value's f64 bits, little-endian: hash the same bytes here.
        let values = [Act::from_num(0.5), Act::from_num(-3)];
        let mut hash = Fnv1a::new();
        for v in values {
            hash.bytes(&v.to_num::<f64>().to_bits().to_le_bytes());
        }
        assert_eq!(hash.0, tinycml::synapse::fingerprint(values.into_iter()));
    }
}
