//! [`RamFlash`]: a NOR flash simulated in a byte buffer, with the semantics that make
//! power-loss safety hard, and a switch to cut its power at any operation.
//!
//! It lives in the library, not in the tests, because it is useful beyond them: it needs no
//! allocation (any `AsMut<[u8]>` is its memory: an array, a `Vec`, a `&'static mut [u8]`), so
//! a firmware can give [`crate::persist::Store`] a RAM region that survives a reset (as the
//! QEMU board demo does), and a user can test their own save schedule against power cuts on
//! the host.
//!
//! # The model
//!
//! - **Erase** works on whole sectors of `ERASE` bytes and sets every byte to `0xFF`.
//! - **Program** works on whole, aligned words of `WRITE` bytes and can only clear bits: the
//!   stored byte becomes `old & new`, so programming a word twice without an erase ANDs the
//!   two values, as on real NOR flash.
//! - Every word programmed and every sector erased is one **operation**, counted from
//!   creation ([`RamFlash::operations`]). [`RamFlash::cut_power_after`] cuts the power during
//!   a chosen operation:
//!   - a cut **program** leaves the word half-programmed: of the bits it should clear, only
//!     those at even positions (bits 0, 2, 4, 6 of each byte) are cleared;
//!   - a cut **erase** leaves the sector half-erased: its even-numbered words are `0xFF`, its
//!     odd-numbered words keep their old contents.
//!
//!   After a cut every operation, reads included, fails with [`RamFlashError::PowerLost`]
//!   until [`RamFlash::restore_power`] (the reboot).
//! - **Wear**: [`RamFlash::wear_out_after`] makes every erase fail after a number of erases
//!   (a driver that reports the failure); [`RamFlash::wear_out_cells`] makes programs in a
//!   range silently leave their bits at 1 (worn cells the driver does not notice, found only
//!   by reading back).
//!
//! Real NOR flash can also leave interrupted cells reading differently from one read to the
//! next; this model is deterministic, so a test can enumerate every cut and reproduce any.

use embedded_storage::nor_flash::{
    check_erase, check_read, check_write, ErrorType, NorFlash, NorFlashError, NorFlashErrorKind,
    ReadNorFlash,
};

/// What a [`RamFlash`] operation can fail with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RamFlashError {
    /// The offset or length is not a multiple of the read, write or erase size.
    NotAligned,
    /// The range reaches past the end of the memory.
    OutOfBounds,
    /// The power was cut (see [`RamFlash::cut_power_after`]).
    PowerLost,
    /// The sector is worn out (see [`RamFlash::wear_out_after`]).
    WornOut,
}

impl NorFlashError for RamFlashError {
    fn kind(&self) -> NorFlashErrorKind {
        match self {
            RamFlashError::NotAligned => NorFlashErrorKind::NotAligned,
            RamFlashError::OutOfBounds => NorFlashErrorKind::OutOfBounds,
            RamFlashError::PowerLost | RamFlashError::WornOut => NorFlashErrorKind::Other,
        }
    }
}

impl From<NorFlashErrorKind> for RamFlashError {
    fn from(kind: NorFlashErrorKind) -> Self {
        match kind {
            NorFlashErrorKind::NotAligned => RamFlashError::NotAligned,
            _ => RamFlashError::OutOfBounds,
        }
    }
}

/// A simulated NOR flash over `memory`, programmed in words of `WRITE` bytes and erased in
/// sectors of `ERASE` bytes (see the module docs for the model).
#[derive(Debug)]
pub struct RamFlash<S, const WRITE: usize, const ERASE: usize> {
    memory: S,
    operations: u64,
    cut_at: Option<u64>,
    powered: bool,
    erases_left: Option<u64>,
    worn_cells: Option<(usize, usize)>,
}

impl<S: AsRef<[u8]> + AsMut<[u8]>, const WRITE: usize, const ERASE: usize>
    RamFlash<S, WRITE, ERASE>
{
    /// A powered flash over `memory`, its contents as they are (fill it with `0xFF` for a
    /// blank part).
    pub fn new(memory: S) -> Self {
        const {
            assert!(
                WRITE > 0 && ERASE > 0 && ERASE.is_multiple_of(WRITE),
                "a sector must be a whole number of words"
            )
        };
        Self {
            memory,
            operations: 0,
            cut_at: None,
            powered: true,
            erases_left: None,
            worn_cells: None,
        }
    }

    /// The memory, as a reader of the flash would see it.
    pub fn memory(&self) -> &[u8] {
        self.memory.as_ref()
    }

    /// The memory, to corrupt it on purpose in a test.
    pub fn memory_mut(&mut self) -> &mut [u8] {
        self.memory.as_mut()
    }

    /// Program words and erase sectors started since creation (a cut one included).
    pub fn operations(&self) -> u64 {
        self.operations
    }

    /// Lets `operations` more operations complete and cuts the power during the next one.
    pub fn cut_power_after(&mut self, operations: u64) {
        self.cut_at = Some(self.operations.saturating_add(operations));
    }

    /// Whether the power is on (false after a cut, until [`RamFlash::restore_power`]).
    pub fn is_powered(&self) -> bool {
        self.powered
    }

    /// The reboot: power on, no cut pending. The memory keeps whatever the cut left.
    pub fn restore_power(&mut self) {
        self.powered = true;
        self.cut_at = None;
    }

    /// Makes every erase fail with [`RamFlashError::WornOut`] after `erases` more sector
    /// erases.
    pub fn wear_out_after(&mut self, erases: u64) {
        self.erases_left = Some(erases);
    }

    /// Makes programs in `[from, to)` silently leave their bits at 1 (worn cells).
    pub fn wear_out_cells(&mut self, from: usize, to: usize) {
        self.worn_cells = Some((from, to));
    }

    /// Starts one operation: `Ok(false)` to run it, `Ok(true)` if the power is cut during it.
    fn begin(&mut self) -> Result<bool, RamFlashError> {
        if !self.powered {
            return Err(RamFlashError::PowerLost);
        }
        let cut = self.cut_at == Some(self.operations);
        self.operations += 1;
        if cut {
            self.powered = false;
        }
        Ok(cut)
    }

    fn erase_sector(&mut self, at: usize) -> Result<(), RamFlashError> {
        let cut = self.begin()?;
        if !cut {
            if let Some(left) = self.erases_left.as_mut() {
                if *left == 0 {
                    return Err(RamFlashError::WornOut);
                }
                *left -= 1;
            }
        }
        let sector = self
            .memory
            .as_mut()
            .get_mut(at..at + ERASE)
            .ok_or(RamFlashError::OutOfBounds)?;
        for (i, word) in sector.chunks_mut(WRITE).enumerate() {
            if !cut || i % 2 == 0 {
                word.fill(0xFF);
            }
        }
        if cut {
            Err(RamFlashError::PowerLost)
        } else {
            Ok(())
        }
    }

    fn program_word(&mut self, at: usize, word: &[u8]) -> Result<(), RamFlashError> {
        let cut = self.begin()?;
        let worn = self
            .worn_cells
            .is_some_and(|(from, to)| at < to && at + WRITE > from);
        let cells = self
            .memory
            .as_mut()
            .get_mut(at..at + WRITE)
            .ok_or(RamFlashError::OutOfBounds)?;
        for (cell, &value) in cells.iter_mut().zip(word) {
            if worn {
                continue;
            }
            let value = if cut { value | 0xAA } else { value };
            *cell &= value;
        }
        if cut {
            Err(RamFlashError::PowerLost)
        } else {
            Ok(())
        }
    }
}

impl<S, const WRITE: usize, const ERASE: usize> ErrorType for RamFlash<S, WRITE, ERASE> {
    type Error = RamFlashError;
}

impl<S: AsRef<[u8]> + AsMut<[u8]>, const WRITE: usize, const ERASE: usize> ReadNorFlash
    for RamFlash<S, WRITE, ERASE>
{
    const READ_SIZE: usize = 1;

    fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), Self::Error> {
        if !self.powered {
            return Err(RamFlashError::PowerLost);
        }
        check_read(self, offset, bytes.len())?;
        let at = offset as usize;
        let stored = self
            .memory
            .as_ref()
            .get(at..at + bytes.len())
            .ok_or(RamFlashError::OutOfBounds)?;
        bytes.iter_mut().zip(stored).for_each(|(b, &s)| *b = s);
        Ok(())
    }

    fn capacity(&self) -> usize {
        self.memory.as_ref().len()
    }
}

impl<S: AsRef<[u8]> + AsMut<[u8]>, const WRITE: usize, const ERASE: usize> NorFlash
    for RamFlash<S, WRITE, ERASE>
{
    const WRITE_SIZE: usize = WRITE;
    const ERASE_SIZE: usize = ERASE;

    fn erase(&mut self, from: u32, to: u32) -> Result<(), Self::Error> {
        check_erase(self, from, to)?;
        for at in (from as usize..to as usize).step_by(ERASE) {
            self.erase_sector(at)?;
        }
        Ok(())
    }

    fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), Self::Error> {
        check_write(self, offset, bytes.len())?;
        for (i, word) in bytes.chunks(WRITE).enumerate() {
            self.program_word(offset as usize + i * WRITE, word)?;
        }
        Ok(())
    }
}
