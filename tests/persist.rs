//! Persistence through power loss: a save cut at any program or erase operation leaves the
//! previous state loadable, bit for bit; worn, full and corrupted flash give typed errors; a
//! failed load changes nothing.
//!
//! The state is what a device learning the few-shot digits task keeps: θ of the 64-32-32-5
//! network (P = 3,301, Q8.24), Adam's settings, step count and four moment arrays (`f32`),
//! the rule's settings, a meta-step counter and an adapted fast state φ: 92.6 KB.

use tinycml::dual::DualState;
use tinycml::persist::{saved_len, Load, NorFlash, Pass, RamFlash, Save, Sink, Store};
use tinycml::*;

type N = Q16_16;
type W = I8F24;
/// The digits classifier's parameter count (64-32-32-5).
const DIGITS: usize = 64 * 32 + 32 + 32 * 32 + 32 + 32 * 5 + 5;
/// A 1-16-16-1 network's.
const SMALL: usize = 16 + 16 + 16 * 16 + 16 + 16 + 1;
/// 4-byte words, 4 KB sectors (an nRF52840's NVMC).
const WORD: usize = 4;
const SECTOR: usize = 4096;
/// Slots of 23 sectors (94,208 bytes) hold the 92.6 KB state.
const SLOT: u32 = 23 * SECTOR as u32;

type Flash = RamFlash<Vec<u8>, WORD, SECTOR>;

/// Everything a device keeps across a reset, for a network of `P` parameters.
#[derive(Clone)]
struct Learner<const P: usize> {
    theta: ComplexSynapse<N, P>,
    adam: Adam<N, P>,
    config: Config,
    meta_steps: u64,
    phi: [W; P],
}

/// The digits learner.
type Digits = Learner<DIGITS>;

impl<const P: usize> Learner<P> {
    /// A distinct learner for each seed: random θ and φ, Adam after `seed % 3 + 1` steps.
    fn seeded(seed: u64) -> Box<Self> {
        let mut rng = SplitMix64::new(seed);
        let mut value = |lo: f64, hi: f64| W::from_num(rng.uniform(lo, hi));
        let omega: [W; P] = core::array::from_fn(|_| value(-1.0, 1.0));
        let lambda: [W; P] = core::array::from_fn(|_| value(0.01, 5.0));
        let phi: [W; P] = core::array::from_fn(|_| value(-2.0, 2.0));
        let sums: [W; P] = core::array::from_fn(|_| value(-0.1, 0.1));
        let mut theta = ComplexSynapse::new(omega, lambda).unwrap();
        let mut adam = Adam::new(0.001).unwrap();
        let bounds = Bounds {
            lambda_min: W::from_num(1e-4),
            lambda_max: W::from_num(100),
            learn: Learn::Both,
        };
        for _ in 0..seed % 3 + 1 {
            adam.step(&mut theta, &sums, &sums, 2, &bounds).unwrap();
        }
        let config = Config::default().with_free_steps(40 + seed as u32);
        Box::new(Self {
            theta,
            adam,
            config,
            meta_steps: seed * 1000,
            phi,
        })
    }

    fn parts(&self) -> impl Save + '_ {
        (
            &self.theta,
            &self.adam,
            &self.config,
            &self.meta_steps,
            &self.phi,
        )
    }

    fn parts_mut(&mut self) -> impl Load + '_ {
        (
            &mut self.theta,
            &mut self.adam,
            &mut self.config,
            &mut self.meta_steps,
            &mut self.phi,
        )
    }

    /// The learner's exact bits, as a save writes them.
    fn bits(&self) -> Vec<u8> {
        let mut bytes = Bytes(Vec::new());
        self.parts().save(&mut bytes).unwrap();
        bytes.0
    }
}

/// A [`Sink`] that collects the bytes.
struct Bytes(Vec<u8>);

impl Sink for Bytes {
    fn put(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.0.extend_from_slice(bytes);
        Ok(())
    }
}

fn blank_flash(slots: u32) -> Flash {
    RamFlash::new(vec![0xFF; (slots * SLOT) as usize])
}

fn store(flash: Flash) -> Store<Flash> {
    Store::new(flash, 0, SLOT).unwrap()
}

/// Loads into a fresh learner (seed 999, different from every saved one).
fn load<F: NorFlash>(store: &mut Store<F>) -> Result<Box<Digits>, Error> {
    let mut into = Digits::seeded(999);
    store.load(&mut into.parts_mut())?;
    Ok(into)
}

/// Cuts the power at every operation of a save of `new` over a flash of `WORD`-byte words
/// and `SECTOR`-byte sectors holding `previous` (and, before it, `older` when given), reboots
/// and loads. Returns the cut points tried.
fn cut_everywhere<const WORD: usize, const SECTOR: usize, const P: usize>(
    older: Option<&Learner<P>>,
    previous: &Learner<P>,
    new: &Learner<P>,
) -> u64 {
    let fresh = Learner::<P>::seeded(999);
    let load = |store: &mut Store<_>| -> Result<Box<Learner<P>>, Error> {
        let mut into = Box::new(fresh.as_ref().clone());
        store.load(&mut into.parts_mut())?;
        Ok(into)
    };
    let sectors = (36 + new.bits().len()).div_ceil(SECTOR);
    let slot = (sectors * SECTOR) as u32;
    let store =
        |memory: Vec<u8>| Store::new(RamFlash::<_, WORD, SECTOR>::new(memory), 0, slot).unwrap();
    let mut base = store(vec![0xFF; 2 * slot as usize]);
    if let Some(older) = older {
        base.save(&older.parts()).unwrap();
    }
    let previous_sequence = base.save(&previous.parts()).unwrap();
    let before = base.into_inner();

    // How many operations a whole save takes: one per sector erased and word programmed.
    let mut probe = store(before.memory().to_vec());
    let start = probe.flash_mut().operations();
    assert_eq!(probe.save(&new.parts()), Ok(previous_sequence + 1));
    let operations = probe.flash_mut().operations() - start;
    let words = (36 + new.bits().len()).div_ceil(WORD);
    assert_eq!(operations, (sectors + words) as u64);
    assert_eq!(load(&mut probe).unwrap().bits(), new.bits());

    let (previous_bits, new_bits) = (previous.bits(), new.bits());
    let (mut kept_previous, mut lost_or_mixed) = (0u64, 0u64);
    for cut in 0..operations {
        let mut store = store(before.memory().to_vec());
        store.flash_mut().cut_power_after(cut);
        assert!(
            store.save(&new.parts()).is_err(),
            "cut {cut}: the save reported success"
        );
        assert!(!store.flash_mut().is_powered());
        store.flash_mut().restore_power(); // the reboot
        match load(&mut store) {
            Ok(loaded) if loaded.bits() == previous_bits => kept_previous += 1,
            Ok(loaded) if loaded.bits() == new_bits => {
                panic!("cut {cut}: an unfinished save loaded")
            }
            _ => lost_or_mixed += 1,
        }
        // The device carries on: the next save completes and wins.
        if cut % 97 == 0 {
            assert_eq!(store.save(&new.parts()), Ok(previous_sequence + 1));
            assert_eq!(load(&mut store).unwrap().bits(), new_bits);
        }
    }
    println!(
        "{WORD}-byte words, {SECTOR}-byte sectors, {} bytes saved: {operations} cut points \
         ({sectors} sector erases, {words} word programs), {kept_previous} kept the previous \
         state, {lost_or_mixed} lost or mixed",
        new.bits().len()
    );
    assert_eq!(lost_or_mixed, 0);
    assert_eq!(kept_previous, operations);
    operations
}

#[test]
fn a_power_cut_anywhere_in_a_save_keeps_the_previous_state() {
    let (first, second) = (Digits::seeded(1), Digits::seeded(2));
    assert_eq!(saved_len(&first.parts()), first.bits().len());
    assert!(
        first.bits().len() > 90_000,
        "the digits state is tens of KB"
    );
    // 4-byte words, 4 KB sectors: an nRF52840's NVMC.
    cut_everywhere::<4, 4096, DIGITS>(None, &first, &second);
}

#[test]
fn a_power_cut_anywhere_in_a_save_over_the_older_slot_keeps_the_previous_state() {
    let [older, previous, new] = [1, 2, 3].map(Learner::<SMALL>::seeded);
    // 8-byte words, 2 KB pages: an STM32L4's flash.
    cut_everywhere::<8, 2048, SMALL>(Some(&older), &previous, &new);
}

#[test]
fn loads_the_newest_of_many_saves() {
    let mut store = store(blank_flash(2));
    for seed in 1..=5 {
        assert_eq!(store.save(&Digits::seeded(seed).parts()), Ok(seed as u32));
    }
    assert_eq!(load(&mut store).unwrap().bits(), Digits::seeded(5).bits());
    assert_eq!(store.latest(), Ok(Some(5)));
}

#[test]
fn a_blank_flash_has_no_saved_state_and_the_learner_is_unchanged() {
    let mut store = store(blank_flash(2));
    let mut learner = Digits::seeded(7);
    assert_eq!(
        store.load(&mut learner.parts_mut()),
        Err(Error::NoSavedState)
    );
    assert_eq!(learner.bits(), Digits::seeded(7).bits());
    assert_eq!(store.latest(), Ok(None));
}

#[test]
fn a_corrupted_byte_in_the_newest_slot_falls_back_to_the_older_state() {
    let mut store = store(blank_flash(2));
    store.save(&Digits::seeded(1).parts()).unwrap(); // slot 0, sequence 1
    store.save(&Digits::seeded(2).parts()).unwrap(); // slot 1, sequence 2
    for at in [SLOT as usize + 10, SLOT as usize + 32, SLOT as usize + 5000] {
        let mut damaged =
            Store::new(Flash::new(store.flash_mut().memory().to_vec()), 0, SLOT).unwrap();
        damaged.flash_mut().memory_mut()[at] ^= 0x10;
        assert_eq!(damaged.latest(), Ok(Some(1)), "byte {at}");
        assert_eq!(load(&mut damaged).unwrap().bits(), Digits::seeded(1).bits());
        // The next save goes over the damaged slot and wins again.
        assert_eq!(damaged.save(&Digits::seeded(3).parts()), Ok(2));
        assert_eq!(load(&mut damaged).unwrap().bits(), Digits::seeded(3).bits());
    }
}

#[test]
fn a_state_larger_than_a_slot_is_refused_and_the_previous_one_stays() {
    // θ alone fits; the whole learner does not.
    let slot = saved_len(&Digits::seeded(1).theta).div_ceil(SECTOR) as u32 * SECTOR as u32;
    let mut store = Store::new(
        RamFlash::<_, WORD, SECTOR>::new(vec![0xFF; 2 * slot as usize]),
        0,
        slot,
    )
    .unwrap();
    let learner = Digits::seeded(1);
    store.save(&learner.theta).unwrap();
    let needed = saved_len(&learner.parts());
    assert_eq!(
        store.save(&learner.parts()),
        Err(Error::StateTooLarge {
            needed,
            available: store.capacity()
        })
    );
    let mut theta = Digits::seeded(2).theta;
    store.load(&mut theta).unwrap();
    assert_eq!(theta, learner.theta);
}

#[test]
fn a_worn_out_flash_is_reported_and_the_previous_state_stays() {
    let mut store = store(blank_flash(2));
    store.save(&Digits::seeded(1).parts()).unwrap();
    // Erases fail (the driver reports it).
    store.flash_mut().wear_out_after(3);
    assert_eq!(
        store.save(&Digits::seeded(2).parts()),
        Err(Error::FlashWornOut)
    );
    assert_eq!(load(&mut store).unwrap().bits(), Digits::seeded(1).bits());

    // Worn cells that silently keep their bits: the read-back finds them.
    let mut store = crate::store(blank_flash(2));
    store.save(&Digits::seeded(1).parts()).unwrap();
    store
        .flash_mut()
        .wear_out_cells(SLOT as usize + 20_000, SLOT as usize + 20_004);
    assert_eq!(
        store.save(&Digits::seeded(2).parts()),
        Err(Error::FlashWornOut)
    );
    assert_eq!(load(&mut store).unwrap().bits(), Digits::seeded(1).bits());
}

#[test]
fn a_state_of_another_shape_is_refused_and_the_target_unchanged() {
    let mut store = store(blank_flash(2));
    let learner = Digits::seeded(1);
    store.save(&learner.parts()).unwrap();

    // Another part order, another size, another number format.
    let mut other = Digits::seeded(2);
    let mut reordered = (&mut other.adam, &mut other.theta);
    assert_eq!(store.load(&mut reordered), Err(Error::WrongShape));
    let mut smaller = (ComplexSynapse::<N, 65>::with_uniform_lambda([W::ZERO; 65], 1.0).unwrap(),);
    assert_eq!(store.load(&mut smaller), Err(Error::WrongShape));
    let mut float = ComplexSynapse::<f32, DIGITS>::with_uniform_lambda([0.0; DIGITS], 1.0).unwrap();
    assert_eq!(store.load(&mut float), Err(Error::WrongShape));
    // A prefix of the saved parts: the rest is left over.
    assert_eq!(store.load(&mut &mut other.theta), Err(Error::WrongShape));
    assert_eq!(other.bits(), Digits::seeded(2).bits());
}

/// Writes a θ tag and values the way `ComplexSynapse` does, but with λ = 0 at the end.
struct BadLambda;

impl Save for BadLambda {
    fn save<S: Sink>(&self, out: &mut S) -> Result<(), Error> {
        let theta = ComplexSynapse::<N, 2>::with_uniform_lambda([W::ONE; 2], 1.0)?;
        let mut bytes = Bytes(Vec::new());
        theta.save(&mut bytes)?;
        let end = bytes.0.len();
        bytes.0[end - 4..].copy_from_slice(&0i32.to_le_bytes());
        out.put(&bytes.0)
    }
}

#[test]
fn an_invalid_value_is_refused_before_anything_is_written() {
    let mut store = store(blank_flash(2));
    store.save(&BadLambda).unwrap();
    let mut theta = ComplexSynapse::<N, 2>::with_uniform_lambda([W::ZERO; 2], 0.5).unwrap();
    let before = theta.clone();
    assert_eq!(store.load(&mut theta), Err(Error::CorruptState));
    assert_eq!(theta, before);
}

#[test]
fn the_check_pass_writes_nothing() {
    let mut store = store(blank_flash(2));
    store.save(&Digits::seeded(1).parts()).unwrap();
    let mut learner = Digits::seeded(2);
    // A load is a check pass then an apply pass; run the check pass alone.
    struct CheckOnly<'a>(&'a mut Digits);
    impl Load for CheckOnly<'_> {
        fn load<S: tinycml::persist::Source>(
            &mut self,
            input: &mut S,
            _: Pass,
        ) -> Result<(), Error> {
            self.0.parts_mut().load(input, Pass::Check)
        }
    }
    store.load(&mut CheckOnly(&mut learner)).unwrap();
    assert_eq!(learner.bits(), Digits::seeded(2).bits());
}

#[test]
fn the_dual_systems_state_and_sgd_round_trip() {
    let mut rng = SplitMix64::new(4);
    let body: [W; 300] = core::array::from_fn(|_| W::from_num(rng.uniform(-1.0, 1.0)));
    let init: [W; 40] = core::array::from_fn(|_| W::from_num(rng.uniform(-1.0, 1.0)));
    let theta = DualState::<N, 300, 40>::new(body, init).unwrap();
    let sgd = Sgd::<N>::new(0.05).unwrap();
    let mut store = Store::new(
        RamFlash::<_, 8, 2048>::new(vec![0xFF; 4 * 2048]),
        0,
        2 * 2048,
    )
    .unwrap();
    store.save(&(&theta, &sgd, &3u64)).unwrap();
    let mut loaded = DualState::<N, 300, 40>::new([W::ZERO; 300], [W::ZERO; 40]).unwrap();
    let mut sgd_loaded = Sgd::<N>::new(0.5).unwrap();
    let mut steps = 0u64;
    store
        .load(&mut (&mut loaded, &mut sgd_loaded, &mut steps))
        .unwrap();
    assert_eq!(loaded.fingerprint(), theta.fingerprint());
    assert_eq!(steps, 3);
    let (mut a, mut b) = (Bytes(Vec::new()), Bytes(Vec::new()));
    sgd.save(&mut a).unwrap();
    sgd_loaded.save(&mut b).unwrap();
    assert_eq!(a.0, b.0);
}

#[test]
fn a_region_that_does_not_fit_the_flash_is_refused() {
    let flash = || RamFlash::<_, WORD, SECTOR>::new(vec![0xFF; 4 * SECTOR]);
    fn invalid<F>(store: Result<Store<F>, Error>) -> bool {
        matches!(store, Err(Error::InvalidConfig(_)))
    }
    assert!(invalid(Store::new(flash(), 100, SECTOR as u32)));
    assert!(invalid(Store::new(flash(), 0, 1000)));
    assert!(invalid(Store::new(flash(), 0, 3 * SECTOR as u32)));
    assert!(invalid(Store::new(
        flash(),
        2 * SECTOR as u32,
        2 * SECTOR as u32
    )));
    assert!(Store::new(flash(), 2 * SECTOR as u32, SECTOR as u32).is_ok());
    // A write size that does not divide the 256-byte buffer.
    assert!(invalid(Store::new(
        RamFlash::<_, 512, 4096>::new(vec![0xFF; 4 * 4096]),
        0,
        4096
    )));
}

#[test]
fn the_simulated_flash_behaves_like_nor_flash() {
    use tinycml::persist::{RamFlashError, ReadNorFlash};
    let mut flash = RamFlash::<_, 4, 64>::new(vec![0x00; 128]);
    let mut word = [0u8; 4];
    // Erase sets whole sectors to 0xFF; programs only clear bits (AND).
    flash.erase(0, 64).unwrap();
    assert!(flash.memory()[..64].iter().all(|&b| b == 0xFF));
    assert!(flash.memory()[64..].iter().all(|&b| b == 0x00));
    flash.write(4, &[0xF0, 0x0F, 0xFF, 0x00]).unwrap();
    flash.write(4, &[0x3C, 0x3C, 0x3C, 0x3C]).unwrap();
    flash.read(4, &mut word).unwrap();
    assert_eq!(word, [0x30, 0x0C, 0x3C, 0x00]);
    // Whole, aligned words and sectors only, inside the memory.
    assert_eq!(flash.write(2, &[0; 4]), Err(RamFlashError::NotAligned));
    assert_eq!(flash.write(0, &[0; 3]), Err(RamFlashError::NotAligned));
    assert_eq!(flash.erase(32, 64), Err(RamFlashError::NotAligned));
    assert_eq!(flash.write(128, &[0; 4]), Err(RamFlashError::OutOfBounds));
    assert_eq!(flash.erase(64, 192), Err(RamFlashError::OutOfBounds));
    assert_eq!(flash.read(126, &mut word), Err(RamFlashError::OutOfBounds));
    // Each word programmed and each sector erased is one operation.
    let start = flash.operations();
    flash.write(8, &[0; 12]).unwrap();
    flash.erase(0, 128).unwrap();
    assert_eq!(flash.operations() - start, 3 + 2);
    // A cut program clears only the even bits it should clear; then everything fails.
    flash.cut_power_after(1);
    assert_eq!(flash.write(0, &[0x00; 8]), Err(RamFlashError::PowerLost));
    assert_eq!(
        &flash.memory()[..8],
        &[0x00, 0x00, 0x00, 0x00, 0xAA, 0xAA, 0xAA, 0xAA]
    );
    assert_eq!(flash.read(0, &mut word), Err(RamFlashError::PowerLost));
    assert_eq!(flash.erase(0, 64), Err(RamFlashError::PowerLost));
    flash.restore_power();
    // A cut erase leaves the sector's even words erased and its odd words as they were.
    flash.cut_power_after(0);
    assert_eq!(flash.erase(0, 64), Err(RamFlashError::PowerLost));
    assert_eq!(
        &flash.memory()[..8],
        &[0xFF, 0xFF, 0xFF, 0xFF, 0xAA, 0xAA, 0xAA, 0xAA]
    );
    flash.restore_power();
    // Wear: erases fail after the budget.
    flash.wear_out_after(1);
    flash.erase(0, 64).unwrap();
    assert_eq!(flash.erase(0, 64), Err(RamFlashError::WornOut));
}
