//! Host files through semihosting: how the fleet firmware receives θ and its round's
//! arguments from the Python bridge that runs it (QEMU opens paths relative to its own
//! working directory).

use cortex_m_semihosting::{nr, syscall};

/// The host could not open or read a file, or it is longer than the buffer given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HostFileError;

/// Reads the host file `name` (a NUL-terminated path) into `buffer`; the bytes read, or
/// [`HostFileError`].
pub fn read_file(name: &str, buffer: &mut [u8]) -> Result<usize, HostFileError> {
    if !name.ends_with('\0') {
        return Err(HostFileError);
    }
    // SAFETY: OPEN reads `name.len() - 1` bytes from a live string that ends in NUL.
    let fd = unsafe { syscall!(OPEN, name.as_ptr(), nr::open::R_BINARY, name.len() - 1) };
    if fd as isize == -1 {
        return Err(HostFileError);
    }
    // SAFETY: FLEN only queries the open handle.
    let len = unsafe { syscall!(FLEN, fd) } as isize;
    let result = if len < 0 || len as usize > buffer.len() {
        Err(HostFileError)
    } else {
        // SAFETY: READ writes at most `len` ≤ `buffer.len()` bytes into `buffer`, which is
        // borrowed mutably for the call; it returns the count it could not read.
        let missed = unsafe { syscall!(READ, fd, buffer.as_mut_ptr(), len as usize) };
        if missed == 0 {
            Ok(len as usize)
        } else {
            Err(HostFileError)
        }
    };
    // SAFETY: CLOSE releases the handle opened above; nothing uses it afterwards.
    unsafe { syscall!(CLOSE, fd) };
    result
}
