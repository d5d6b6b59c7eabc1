//! Streaming a state to and from flash through one small stack buffer.
//!
//! A saved state is tens of kilobytes (θ and Adam moments of a 3,301-parameter network are
//! 79 KB), more than a device has RAM to spare, so it is never assembled in memory: a
//! [`Save`](super::Save) writes its bytes into a [`Chunks`] sink, which programs (or, on the
//! verification pass, compares) them one [`CHUNK`] at a time and keeps a running CRC.

use super::part::{Sink, Source};
use crate::Error;
use embedded_storage::nor_flash::{NorFlash, ReadNorFlash};

/// Bytes buffered between flash operations. A flash's write and read sizes must divide it.
pub(crate) const CHUNK: usize = 256;

/// The CRC's lookup tables: slice-by-16 (16 KB, several times faster) on the host, where a
/// test checks thousands of saves; one 1 KB byte table on a device, where flash is scarce.
/// Both compute the same CRC.
#[cfg(feature = "std")]
type CrcTable = crc::Table<16>;
#[cfg(not(feature = "std"))]
type CrcTable = crc::Table<1>;

/// CRC-32 (ISO-HDLC, as zip and PNG) of a payload.
pub(crate) const CRC: crc::Crc<u32, CrcTable> =
    crc::Crc::<u32, CrcTable>::new(&crc::CRC_32_ISO_HDLC);

/// `value` rounded up to a multiple of `unit` (> 0).
pub(crate) const fn align_up(value: usize, unit: usize) -> usize {
    value.div_ceil(unit) * unit
}

/// Counts a state's bytes without writing them.
#[derive(Default)]
pub(crate) struct Counter(pub usize);

impl Sink for Counter {
    fn put(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.0 = self.0.saturating_add(bytes.len());
        Ok(())
    }
}

/// What [`Chunks`] does with each full buffer.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Program it into the flash.
    Program,
    /// Read the flash back and compare: [`Error::FlashWornOut`] on a difference.
    Verify,
}

/// A [`Sink`] that programs or verifies a stream at consecutive flash offsets, `CHUNK` bytes
/// at a time, from `offset` up to `end`.
pub(crate) struct Chunks<'a, F> {
    flash: &'a mut F,
    mode: Mode,
    offset: u32,
    end: u32,
    unit: usize,
    buffer: [u8; CHUNK],
    filled: usize,
    crc: crc::Digest<'static, u32, CrcTable>,
}

impl<'a, F: NorFlash> Chunks<'a, F> {
    /// A stream starting at `offset` (a multiple of `unit`) that must end by `end`.
    pub(crate) fn new(flash: &'a mut F, mode: Mode, offset: u32, end: u32, unit: usize) -> Self {
        Self {
            flash,
            mode,
            offset,
            end,
            unit,
            buffer: [0xFF; CHUNK],
            filled: 0,
            crc: CRC.digest(),
        }
    }

    /// Programs or verifies the first `len` bytes of the buffer (a multiple of `unit`).
    fn flush(&mut self, len: usize) -> Result<(), Error> {
        if u64::from(self.offset) + len as u64 > u64::from(self.end) {
            return Err(Error::StateTooLarge {
                needed: len,
                available: self.end.saturating_sub(self.offset) as usize,
            });
        }
        let data = head(&self.buffer, len)?;
        match self.mode {
            Mode::Program => {
                self.flash
                    .write(self.offset, data)
                    .map_err(|_| Error::FlashWornOut)?;
            }
            Mode::Verify => {
                let mut stored = [0u8; CHUNK];
                let stored = head_mut(&mut stored, len)?;
                self.flash
                    .read(self.offset, stored)
                    .map_err(|_| Error::FlashRead)?;
                if stored != data {
                    return Err(Error::FlashWornOut);
                }
            }
        }
        self.offset += len as u32;
        self.buffer = [0xFF; CHUNK];
        self.filled = 0;
        Ok(())
    }

    /// Writes out the last, partial buffer (padded with erased bytes to the write size) and
    /// returns the CRC of everything put.
    pub(crate) fn finish(mut self) -> Result<u32, Error> {
        let len = align_up(self.filled, self.unit);
        if len > 0 {
            self.flush(len)?;
        }
        Ok(self.crc.finalize())
    }
}

impl<F: NorFlash> Sink for Chunks<'_, F> {
    fn put(&mut self, mut bytes: &[u8]) -> Result<(), Error> {
        self.crc.update(bytes);
        while !bytes.is_empty() {
            let room = self.buffer.get_mut(self.filled..).unwrap_or_default();
            let take = room.len().min(bytes.len());
            room.iter_mut().zip(bytes).for_each(|(slot, &b)| *slot = b);
            self.filled += take;
            bytes = bytes.get(take..).unwrap_or_default();
            if self.filled >= CHUNK {
                self.flush(CHUNK)?;
            }
        }
        Ok(())
    }
}

/// The error for a chunk longer than the buffer, which [`super::Store::new`] rules out by
/// requiring write and read sizes that divide it.
const TOO_COARSE: Error =
    Error::InvalidConfig("persist: the flash's write and read sizes must divide 256");

/// The first `len` bytes of a chunk buffer.
pub(crate) fn head(buffer: &[u8; CHUNK], len: usize) -> Result<&[u8], Error> {
    buffer.get(..len).ok_or(TOO_COARSE)
}

/// The first `len` bytes of a chunk buffer, to fill.
pub(crate) fn head_mut(buffer: &mut [u8; CHUNK], len: usize) -> Result<&mut [u8], Error> {
    buffer.get_mut(..len).ok_or(TOO_COARSE)
}

/// A [`Source`] over `len` bytes of flash from `offset`, read `CHUNK` bytes at a time.
pub(crate) struct Reader<'a, F> {
    flash: &'a mut F,
    offset: u32,
    remaining: usize,
    unit: usize,
    buffer: [u8; CHUNK],
    start: usize,
    filled: usize,
}

impl<'a, F: ReadNorFlash> Reader<'a, F> {
    /// Reads `len` bytes from `offset` (a multiple of `unit`, the read size dividing it).
    pub(crate) fn new(flash: &'a mut F, offset: u32, len: usize, unit: usize) -> Self {
        Self {
            flash,
            offset,
            remaining: len,
            unit,
            buffer: [0; CHUNK],
            start: 0,
            filled: 0,
        }
    }

    /// Bytes of the stream not taken yet.
    pub(crate) fn remaining(&self) -> usize {
        self.remaining + self.unread().len()
    }

    /// Reads the next chunk; false when the stream is over.
    fn refill(&mut self) -> Result<bool, Error> {
        if self.remaining == 0 {
            return Ok(false);
        }
        let len = self.remaining.min(CHUNK);
        let read_len = align_up(len, self.unit);
        self.flash
            .read(self.offset, head_mut(&mut self.buffer, read_len)?)
            .map_err(|_| Error::FlashRead)?;
        self.offset += read_len as u32;
        self.remaining -= len;
        self.start = 0;
        self.filled = len;
        Ok(true)
    }

    /// The bytes read but not taken yet.
    fn unread(&self) -> &[u8] {
        self.buffer.get(self.start..self.filled).unwrap_or_default()
    }

    /// The CRC of the rest of the stream (consumes it).
    pub(crate) fn crc(mut self) -> Result<u32, Error> {
        let mut digest = CRC.digest();
        loop {
            digest.update(self.unread());
            self.start = self.filled;
            if !self.refill()? {
                return Ok(digest.finalize());
            }
        }
    }
}

impl<F: ReadNorFlash> Source for Reader<'_, F> {
    fn take(&mut self, mut bytes: &mut [u8]) -> Result<(), Error> {
        while !bytes.is_empty() {
            if self.start >= self.filled && !self.refill()? {
                return Err(Error::WrongShape);
            }
            let unread = self.unread();
            let take = unread.len().min(bytes.len());
            bytes
                .iter_mut()
                .zip(unread)
                .for_each(|(slot, &b)| *slot = b);
            self.start += take;
            bytes = core::mem::take(&mut bytes)
                .get_mut(take..)
                .unwrap_or_default();
        }
        Ok(())
    }
}
