//! Persistence through power loss: save a learner's state to NOR flash and load it at the
//! next boot, so that what a device has learned survives a reset or a pulled battery.
//!
//! # Using it
//!
//! Give a [`Store`] your HAL's flash driver (anything that implements `embedded-storage`'s
//! [`NorFlash`]), the offset of a region of two equal *slots*, and the slot size. Then save
//! and load any state made of the library's parts, alone or as a tuple:
//!
//! ```
//! use tinycml::persist::{RamFlash, Store};
//! use tinycml::{Adam, ComplexSynapse, Config, Q16_16, I8F24};
//!
//! const P: usize = 65;
//! # fn main() -> Result<(), tinycml::Error> {
//! // On a board this is the HAL's flash driver; here a simulated 4 KB-sector flash.
//! let flash = RamFlash::<_, 4, 4096>::new(vec![0xFF; 4 * 4096]);
//! let mut store = Store::new(flash, 0, 2 * 4096)?; // two slots of 8 KB from offset 0
//!
//! let theta = ComplexSynapse::<Q16_16, P>::with_uniform_lambda([I8F24::ZERO; P], 1.0)?;
//! let adam = Adam::<Q16_16, P>::new(0.001)?;
//! let (config, meta_steps) = (Config::default(), 42u64);
//! store.save(&(&theta, &adam, &config, &meta_steps))?;
//!
//! // … reset …
//! let mut loaded = ComplexSynapse::<Q16_16, P>::with_uniform_lambda([I8F24::ZERO; P], 0.5)?;
//! let (mut adam2, mut config2, mut steps2) = (Adam::<Q16_16, P>::new(0.1)?, Config::default(), 0u64);
//! store.load(&mut (&mut loaded, &mut adam2, &mut config2, &mut steps2))?;
//! assert_eq!(loaded.fingerprint(), theta.fingerprint());
//! assert_eq!((adam2, steps2), (adam, meta_steps));
//! # Ok(()) }
//! ```
//!
//! The parts ([`Save`], [`Load`]): [`crate::ComplexSynapse`] (θ = ω, λ), [`crate::Sgd`] and
//! [`crate::Adam`] (settings, step count, moments), [`crate::Config`], a `u64` counter (e.g.
//! meta-steps taken), an adapted fast state φ (`[N::Param; P]`, any array of values) and the
//! dual system's [`crate::dual::DualState`]. Values are saved as the raw bits of the device's
//! own number format ([`RawBits`]): a Q8.24 weight is 4 bytes, as in RAM, and comes back bit
//! for bit. A load into a part of another kind, format or size fails with
//! [`Error::WrongShape`]. Keep θ and φ in one store (one tuple) or in two stores over two
//! regions: each store holds one state, and a save replaces it.
//!
//! # Why not a key-value crate
//!
//! `sequential-storage` (the well-kept choice for small records in NOR flash) keeps each item
//! inside one flash page, at most 64 KB, and needs a RAM buffer as large as the item. The
//! state of a 3,301-parameter network with Adam is 79 KB: larger than a page and than the RAM
//! to spare. So this module streams the state through a 256-byte stack buffer into one of
//! two slots, each as large as the state.
//!
//! # On-flash layout
//!
//! `W` is the flash's write size (or its read size, if larger), 256 at most. Each slot spans
//! whole erase sectors and is laid out as
//!
//! | offset | bytes | field |
//! |---|---|---|
//! | 0 | 4 | magic `b"TCMS"` |
//! | 4 | 2 | layout version (1), little-endian like every integer here |
//! | 6 | 2 | reserved (0) |
//! | 8 | 4 | sequence number: 1 for the first save, +1 for each save after it |
//! | 12 | 4 | payload length `L` in bytes |
//! | 16 | 4 | CRC-32 (ISO-HDLC) of the payload |
//! | 20 | 8 | reserved (0) |
//! | 28 | 4 | CRC-32 of bytes 0–27 |
//! | `C` = ⌈32⌉_W | 4 | commit marker `b"DONE"` (padded with `0xFF` to `W`) |
//! | `D` = `C` + ⌈4⌉_W | `L` | payload: the parts in order, each an 8-byte tag and its values (see [`part`]) |
//!
//! A save goes to the slot that does *not* hold the newest valid state, in this order:
//!
//! 1. erase the slot's first sector (the header), then the rest of the slot;
//! 2. program the payload, one 256-byte chunk after the other, computing its CRC as it goes;
//! 3. read the payload back and compare it with a second serialisation of the state;
//! 4. program the header (sequence = newest + 1, length, CRCs) and read it back;
//! 5. program the commit marker and read it back.
//!
//! A load reads both slots and takes the valid one with the higher sequence number (compared
//! modulo 2³², so the count may wrap). A slot is valid when its magic, header CRC and commit
//! marker are intact and its payload matches the header's CRC.
//!
//! Why this survives a power cut at any moment: until step 5 completes, the slot being
//! written has no commit marker (erased, or a partial program, which on NOR flash only clears
//! some of the marker's zero bits and so never equals the marker), and the other slot, never
//! touched by this save, still holds the previous state. Once the marker is complete, the
//! header and payload under it were programmed and read back before it, and the new sequence
//! number wins. Erasing the header sector first means an interrupted erase cannot leave an old
//! header above a half-erased payload (and if it did, the payload CRC would refuse it). A
//! failed save (worn flash, state too large) likewise leaves the previous state loadable.
//!
//! A load reads the chosen payload twice: first to check every part's tag and every value
//! (usable numbers, λ > 0), then to write them into the caller's state. If anything is wrong,
//! the caller's state is unchanged. (The second pass can only fail if the flash *read* itself
//! fails between the passes, which a NOR flash does not do unless its driver or bus fails.)
//!
//! # Cost
//!
//! Stack: two 256-byte buffers during a save's verification, one during a load; no heap and
//! no RAM copy of the state. Flash: two slots, each at least `D + L` bytes rounded up to whole
//! sectors ([`Store::capacity`]; [`saved_len`] gives `L`). Every save erases one slot, so the
//! two slots wear evenly.

mod bits;
pub mod part;
mod ram_flash;
mod stream;

pub use bits::RawBits;
pub use part::{Load, Pass, Save, Sink, Source};
pub use ram_flash::{RamFlash, RamFlashError};

/// The flash traits a [`Store`] works through, re-exported so that a user need not name the
/// crate.
pub use embedded_storage::nor_flash::{NorFlash, ReadNorFlash};

use crate::Error;
use stream::{align_up, Chunks, Counter, Mode, Reader, CHUNK};

const MAGIC: [u8; 4] = *b"TCMS";
const LAYOUT_VERSION: u16 = 1;
const HEADER_LEN: usize = 32;
const COMMIT: [u8; 4] = *b"DONE";

/// The bytes a state's payload takes in a slot (without the slot's header).
pub fn saved_len<T: Save + ?Sized>(state: &T) -> usize {
    let mut counter = Counter::default();
    // Counting never fails: the only error a part returns is its sink's.
    let _ = state.save(&mut counter);
    counter.0
}

/// The header of a committed slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Header {
    sequence: u32,
    len: u32,
    crc: u32,
}

impl Header {
    fn encode(&self) -> [u8; HEADER_LEN] {
        let mut bytes = [0u8; HEADER_LEN];
        bytes[0..4].copy_from_slice(&MAGIC);
        bytes[4..6].copy_from_slice(&LAYOUT_VERSION.to_le_bytes());
        bytes[8..12].copy_from_slice(&self.sequence.to_le_bytes());
        bytes[12..16].copy_from_slice(&self.len.to_le_bytes());
        bytes[16..20].copy_from_slice(&self.crc.to_le_bytes());
        let check = stream::CRC.checksum(&bytes[..28]);
        bytes[28..32].copy_from_slice(&check.to_le_bytes());
        bytes
    }

    /// The header these bytes hold, if they are an intact header of this layout.
    fn decode(bytes: &[u8]) -> Option<Self> {
        let word = |at: usize| -> Option<u32> {
            let field: [u8; 4] = bytes.get(at..at + 4)?.try_into().ok()?;
            Some(u32::from_le_bytes(field))
        };
        let header = Self {
            sequence: word(8)?,
            len: word(12)?,
            crc: word(16)?,
        };
        (bytes.get(..HEADER_LEN)? == header.encode()).then_some(header)
    }

    /// Whether this header is newer than `other` (sequence numbers compared modulo 2³²).
    fn is_newer_than(&self, other: &Header) -> bool {
        (self.sequence.wrapping_sub(other.sequence) as i32) > 0
    }
}

/// A state's home in NOR flash: two slots that a save alternates between, so that a power
/// cut at any point leaves the last completely saved state loadable. See the module docs for
/// the layout and the order of writes.
#[derive(Debug)]
pub struct Store<F> {
    flash: F,
    start: u32,
    slot_len: u32,
}

impl<F: NorFlash> Store<F> {
    /// A store over two slots of `slot_len` bytes from offset `start` of `flash`.
    ///
    /// [`Error::InvalidConfig`] unless `start` and `slot_len` are whole erase sectors, the two
    /// slots lie inside the flash, a slot holds more than its header, and the flash's write and
    /// read sizes divide 256.
    pub fn new(flash: F, start: u32, slot_len: u32) -> Result<Self, Error> {
        let (write, read, erase) = (F::WRITE_SIZE, F::READ_SIZE, F::ERASE_SIZE);
        let unit = write.max(read);
        let divides = |part: usize, whole: usize| part > 0 && whole.is_multiple_of(part);
        if !(divides(write, unit) && divides(read, unit) && divides(unit, CHUNK)) {
            return Err(Error::InvalidConfig(
                "persist: the flash's write and read sizes must divide 256",
            ));
        }
        if !divides(unit, erase) {
            return Err(Error::InvalidConfig(
                "persist: the flash's erase size must be a multiple of its write size",
            ));
        }
        if !(start as usize).is_multiple_of(erase) || !(slot_len as usize).is_multiple_of(erase) {
            return Err(Error::InvalidConfig(
                "persist: the region's start and slot size must be whole erase sectors",
            ));
        }
        let end = u64::from(start) + 2 * u64::from(slot_len);
        if end > flash.capacity() as u64 || end > u64::from(u32::MAX) {
            return Err(Error::InvalidConfig(
                "persist: the two slots reach past the end of the flash",
            ));
        }
        let store = Self {
            flash,
            start,
            slot_len,
        };
        if slot_len as usize <= store.payload_at() {
            return Err(Error::InvalidConfig(
                "persist: a slot must be larger than its header",
            ));
        }
        Ok(store)
    }

    /// Payload bytes a slot holds: the largest [`saved_len`] a save accepts.
    pub fn capacity(&self) -> usize {
        self.slot_len as usize - self.payload_at()
    }

    /// The flash driver (e.g. to cut a simulated flash's power in a test).
    pub fn flash_mut(&mut self) -> &mut F {
        &mut self.flash
    }

    /// Gives the flash driver back.
    pub fn into_inner(self) -> F {
        self.flash
    }

    /// Saves `state` as the newest state and returns its sequence number.
    ///
    /// Errors: [`Error::StateTooLarge`] if it does not fit a slot, [`Error::FlashWornOut`] if
    /// an erase or program fails or the flash reads back other bytes, [`Error::FlashRead`] if
    /// a read fails. On any error the previously saved state is still the one a load returns.
    pub fn save<T: Save + ?Sized>(&mut self, state: &T) -> Result<u32, Error> {
        let len = saved_len(state);
        if len > self.capacity() {
            return Err(Error::StateTooLarge {
                needed: len,
                available: self.capacity(),
            });
        }
        let newest = self.newest()?;
        let (slot, sequence) = match newest {
            Some((slot, header)) => (1 - slot, header.sequence.wrapping_add(1)),
            None => (0, 1),
        };
        let base = self.slot_start(slot);
        let (first_sector_end, end) = (base + F::ERASE_SIZE as u32, base + self.slot_len);
        self.erase(base, first_sector_end)?;
        if first_sector_end < end {
            self.erase(first_sector_end, end)?;
        }
        let payload = base + self.payload_at() as u32;
        let unit = Self::unit();
        let mut writer = Chunks::new(&mut self.flash, Mode::Program, payload, end, unit);
        state.save(&mut writer)?;
        let crc = writer.finish()?;
        let mut verifier = Chunks::new(&mut self.flash, Mode::Verify, payload, end, unit);
        state.save(&mut verifier)?;
        if verifier.finish()? != crc {
            return Err(Error::FlashWornOut);
        }
        let header = Header {
            sequence,
            len: len as u32,
            crc,
        };
        self.program_block(base, &header.encode())?;
        self.program_block(base + self.commit_at() as u32, &COMMIT)?;
        Ok(sequence)
    }

    /// Loads the newest completely saved state into `state` and returns its sequence number.
    ///
    /// Errors: [`Error::NoSavedState`] if neither slot holds a complete state,
    /// [`Error::WrongShape`] if the saved state has other parts, formats or sizes than
    /// `state`, [`Error::CorruptState`] if a value is not valid for its part (e.g. λ ≤ 0),
    /// [`Error::FlashRead`] if the flash cannot be read. On any error `state` is unchanged.
    pub fn load<T: Load + ?Sized>(&mut self, state: &mut T) -> Result<u32, Error> {
        let (slot, header) = self.newest()?.ok_or(Error::NoSavedState)?;
        let payload = self.slot_start(slot) + self.payload_at() as u32;
        for pass in [part::Pass::Check, part::Pass::Apply] {
            let mut reader =
                Reader::new(&mut self.flash, payload, header.len as usize, Self::unit());
            state.load(&mut reader, pass)?;
            if reader.remaining() != 0 {
                return Err(Error::WrongShape);
            }
        }
        Ok(header.sequence)
    }

    /// The sequence number of the newest complete state, or `None` if there is none.
    pub fn latest(&mut self) -> Result<Option<u32>, Error> {
        Ok(self.newest()?.map(|(_, header)| header.sequence))
    }

    /// The slot (0 or 1) holding the newest valid state, and its header.
    fn newest(&mut self) -> Result<Option<(usize, Header)>, Error> {
        let first = self.valid_header(0)?;
        let second = self.valid_header(1)?;
        Ok(match (first, second) {
            (Some(a), Some(b)) if b.is_newer_than(&a) => Some((1, b)),
            (Some(a), _) => Some((0, a)),
            (None, Some(b)) => Some((1, b)),
            (None, None) => None,
        })
    }

    /// The header of `slot` if the slot holds a complete, intact state.
    fn valid_header(&mut self, slot: usize) -> Result<Option<Header>, Error> {
        let base = self.slot_start(slot);
        let mut block = [0u8; CHUNK];
        let header_block = stream::head_mut(&mut block, self.commit_at())?;
        self.flash
            .read(base, header_block)
            .map_err(|_| Error::FlashRead)?;
        let Some(header) = Header::decode(header_block) else {
            return Ok(None);
        };
        let marker = stream::head_mut(&mut block, align_up(COMMIT.len(), Self::unit()))?;
        self.flash
            .read(base + self.commit_at() as u32, marker)
            .map_err(|_| Error::FlashRead)?;
        if !marker.starts_with(&COMMIT) || header.len as usize > self.capacity() {
            return Ok(None);
        }
        let payload = base + self.payload_at() as u32;
        let crc = Reader::new(&mut self.flash, payload, header.len as usize, Self::unit()).crc()?;
        Ok((crc == header.crc).then_some(header))
    }

    /// Erases `[from, to)`.
    fn erase(&mut self, from: u32, to: u32) -> Result<(), Error> {
        self.flash.erase(from, to).map_err(|_| Error::FlashWornOut)
    }

    /// Programs `bytes` (padded with `0xFF` to whole write units, 256 bytes at most) at
    /// `offset` and reads them back.
    fn program_block(&mut self, offset: u32, bytes: &[u8]) -> Result<(), Error> {
        let len = align_up(bytes.len(), Self::unit());
        let mut block = [0xFF; CHUNK];
        block.iter_mut().zip(bytes).for_each(|(slot, &b)| *slot = b);
        let block = stream::head(&block, len)?;
        self.flash
            .write(offset, block)
            .map_err(|_| Error::FlashWornOut)?;
        let mut stored = [0u8; CHUNK];
        let stored = stream::head_mut(&mut stored, len)?;
        self.flash
            .read(offset, stored)
            .map_err(|_| Error::FlashRead)?;
        if stored != block {
            return Err(Error::FlashWornOut);
        }
        Ok(())
    }

    /// Write and read granularity: every offset in a slot is a multiple of it.
    fn unit() -> usize {
        F::WRITE_SIZE.max(F::READ_SIZE)
    }

    /// Offset of the commit marker in a slot (`C` in the module docs).
    fn commit_at(&self) -> usize {
        align_up(HEADER_LEN, Self::unit())
    }

    /// Offset of the payload in a slot (`D` in the module docs).
    fn payload_at(&self) -> usize {
        self.commit_at() + align_up(COMMIT.len(), Self::unit())
    }

    fn slot_start(&self, slot: usize) -> u32 {
        self.start + slot as u32 * self.slot_len
    }
}
