//! The persistence demo: a device adapts to a task, saves what it learned to flash, resets,
//! and at the next boot loads it back, bit for bit.
//!
//! [`run`] is one boot. On the first (no saved state) it adapts the prior to held-out task 0,
//! saves the adapted fast state φ and the task's index through [`tinycml::persist::Store`],
//! and returns [`Boot::Saved`]: the firmware then resets the machine. On the next boot it finds
//! the state, loads it, measures the task's query MSE with the loaded φ, adapts again from the
//! prior and checks that the loaded φ is bit-identical to the one adaptation gives (equal
//! fingerprints), and returns [`Boot::Loaded`] with the verdict.
//!
//! The store is whatever flash the board gives it: the QEMU board a RAM region that survives
//! its reset (QEMU's flash is read-only), a real board its HAL's flash driver. The host replays
//! both boots over a simulated flash and must print the board's checked-in output.

use crate::console::{format, Console, Dec};
use crate::demo::{Params, Prior, HELDOUT_QUERY, SHOTS};
use crate::source::{Sinusoids, TaskSource};
use tinycml::persist::{saved_len, NorFlash, RamFlash, Store};
use tinycml::synapse::fingerprint;
use tinycml::{Cml, Error, Model, Saturations, Q16_16};

/// The held-out task the demo adapts to.
const TASK: u64 = 0;

/// The QEMU Cortex-M4F board, as its output names it.
pub const QEMU_M4F: &str = "qemu-m4f (mps2-an386, Cortex-M4F)";
/// The simulated flash of the QEMU board (and of its host replay): 4-byte words and 4 KB
/// sectors, as an nRF52840's.
pub type SimulatedFlash<S> = RamFlash<S, 4, 4096>;
/// A slot of two 4 KB sectors: φ of the 1-40-40-1 network (1,761 Q8.24 values) and the task's
/// index take 7,068 bytes.
pub const SLOT: u32 = 2 * 4096;
/// The two slots.
pub const REGION: usize = 2 * SLOT as usize;

/// What a boot did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Boot {
    /// No state was saved: it adapted and saved one (reset the board now). False if that
    /// failed.
    Saved(bool),
    /// It loaded the saved state; true when it is bit-identical to a fresh adaptation.
    Loaded(bool),
}

/// One boot of the demo (see the module docs). `phi` and `grad` are the adaptation buffers.
pub fn run<M: Model<Q16_16> + Copy, F: NorFlash, const P: usize>(
    model: M,
    board: &str,
    prior: &Prior<'_, P>,
    store: &mut Store<F>,
    phi: &mut Params<P>,
    grad: &mut Params<P>,
    console: &mut impl Console,
) -> Boot {
    console.line(&format(format_args!(
        "tinycml persistence demo on {board}: {} ReLU, P = {P}",
        model.shape()
    )));
    console.line(&format(format_args!(
        "flash: NOR, {}-byte words, {}-byte sectors, two slots of {} payload bytes",
        F::WRITE_SIZE,
        F::ERASE_SIZE,
        store.capacity()
    )));
    let mut task_index = u64::MAX;
    match store.load(&mut (&mut *phi, &mut task_index)) {
        Err(Error::NoSavedState) => {
            Boot::Saved(first_boot(model, prior, store, phi, grad, console))
        }
        Ok(sequence) => Boot::Loaded(next_boot(
            model, prior, sequence, task_index, phi, grad, console,
        )),
        Err(e) => {
            console.error("load", e);
            Boot::Loaded(false)
        }
    }
}

/// Adapts to the task, saves φ; true if the save succeeded.
fn first_boot<M: Model<Q16_16> + Copy, F: NorFlash, const P: usize>(
    model: M,
    prior: &Prior<'_, P>,
    store: &mut Store<F>,
    phi: &mut Params<P>,
    grad: &mut Params<P>,
    console: &mut impl Console,
) -> bool {
    console.line("boot 1: no saved state");
    let Some((before, after)) = adapt(model, prior, phi, grad, console) else {
        return false;
    };
    console.line(&format(format_args!(
        "boot 1: adapted to held-out task {TASK}: query MSE {} -> {}",
        Dec::q16(before),
        Dec::q16(after)
    )));
    let state = (&*phi, &TASK);
    match store.save(&state) {
        Ok(sequence) => {
            console.line(&format(format_args!(
                "boot 1: saved φ as state {sequence} ({} bytes), fingerprint {:#018x}; resetting",
                saved_len(&state),
                fingerprint(phi.iter().copied())
            )));
            true
        }
        Err(e) => {
            console.error("save", e);
            false
        }
    }
}

/// Checks the loaded φ against a fresh adaptation.
fn next_boot<M: Model<Q16_16> + Copy, const P: usize>(
    model: M,
    prior: &Prior<'_, P>,
    sequence: u32,
    task_index: u64,
    phi: &mut Params<P>,
    grad: &mut Params<P>,
    console: &mut impl Console,
) -> bool {
    let loaded = fingerprint(phi.iter().copied());
    console.line(&format(format_args!(
        "boot 2: loaded state {sequence}: φ of held-out task {task_index}, fingerprint {loaded:#018x}"
    )));
    let Some(task) = heldout_task(console) else {
        return false;
    };
    let Ok(cml) = Cml::<Q16_16, M, P>::new(model, prior.config) else {
        return false;
    };
    let with_loaded = cml.query_loss(phi, &task, &mut Saturations::default());
    let Some((_, after)) = adapt(model, prior, phi, grad, console) else {
        return false;
    };
    let adapted = fingerprint(phi.iter().copied());
    let same = loaded == adapted && with_loaded == after && task_index == TASK;
    console.line(&format(format_args!(
        "boot 2: query MSE with the loaded φ {}, adapted again {} ({})",
        Dec::q16(with_loaded),
        Dec::q16(after),
        if same { "bit-identical" } else { "DIFFERENT" }
    )));
    console.line(&format(format_args!("fingerprint: {adapted:#018x}")));
    console.line(if same { "result: PASS" } else { "result: FAIL" });
    same
}

/// Held-out task [`TASK`] of the sinusoid family.
fn heldout_task(
    console: &mut impl Console,
) -> Option<tinycml::Task<crate::source::Act, 1, SHOTS, HELDOUT_QUERY>> {
    let mut tasks = Sinusoids::heldout();
    match TaskSource::<SHOTS, HELDOUT_QUERY>::next_task(&mut tasks) {
        Ok(task) => Some(task),
        Err(e) => {
            console.error("task", e);
            None
        }
    }
}

/// Adapts the prior to the task into `phi`: the query MSE before and after.
fn adapt<M: Model<Q16_16> + Copy, const P: usize>(
    model: M,
    prior: &Prior<'_, P>,
    phi: &mut Params<P>,
    grad: &mut Params<P>,
    console: &mut impl Console,
) -> Option<(crate::source::Act, crate::source::Act)> {
    let task = heldout_task(console)?;
    let cml = match Cml::<Q16_16, M, P>::new(model, prior.config) {
        Ok(cml) => cml,
        Err(e) => {
            console.error("adapt", e);
            return None;
        }
    };
    let mut sat = Saturations::default();
    let before = cml.query_loss(prior.theta.omega(), &task, &mut sat);
    if let Err(e) = cml.adapt(prior.theta, &task, None, phi, grad) {
        console.error("adapt", e);
        return None;
    }
    Some((before, cml.query_loss(phi, &task, &mut sat)))
}
