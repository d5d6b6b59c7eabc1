//! A device of the federated fleet (`fleet/` in the repository), emulated: reads θ (a
//! format-5 export) and its round's arguments from the host by semihosting, runs the round's
//! CML meta-steps in Q16.16, and prints the updated θ's export as hex on the host's standard
//! output, for the fleet's Python bridge (`fleet/tinycml_fleet/qemu.py`) to hand to Flower.
//!
//! The round is the library tool's own code (`examples/fleet_device/device.rs`, included
//! below), so an emulated device and a simulated one make the same calls on the same tasks
//! and must produce the same bits; `fleet/test_qemu_device.py` checks that they do.
//!
//! Host files, in QEMU's working directory: `theta.tcml` (the export) and `args.txt`
//! (`DEVICE ROUND SEED STEPS META_LR AMPLITUDE_LO AMPLITUDE_HI`, as the tool's flags).
//! Output lines: `fleet-report: tasks N dropped N`, then `fleet-theta: HEX` lines (the export,
//! 48 bytes a line). Static RAM: the export (2.7 KB) and a workspace (4P = 5.1 KB).

#![no_std]
#![no_main]

#[path = "../../../../examples/fleet_device/device.rs"]
mod device;

use core::fmt;
use cortex_m_rt::entry;
use device::{network, Stream, P};
use tinycml::store::{self, ValueType};
use tinycml::{Workspace, Q16_16};
use tinycml_app::console::{format, Console};
use tinycml_qemu::{exit, read_file, Semihosting};

const DEVICE_VALUES: ValueType = ValueType::of::<Q16_16>();
const EXPORT_LEN: usize = store::encoded_len_as(P, DEVICE_VALUES);

/// Why a round did not run.
enum Failure {
    /// A host file could not be read.
    File(&'static str),
    /// `args.txt` is not seven numbers in the tool's order.
    Arguments,
    /// The library refused the export, the settings or a computation.
    Library(tinycml::Error),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::File(name) => write!(f, "cannot read {name}"),
            Failure::Arguments => {
                f.write_str("args.txt: want DEVICE ROUND SEED STEPS META_LR LO HI")
            }
            Failure::Library(error) => write!(f, "{error}"),
        }
    }
}

impl From<tinycml::Error> for Failure {
    fn from(error: tinycml::Error) -> Self {
        Failure::Library(error)
    }
}

/// The round's arguments: the stream, the number of meta-steps and the meta rate.
fn parse_arguments(text: &[u8]) -> Result<(Stream, u32, f64), Failure> {
    let text = core::str::from_utf8(text).map_err(|_| Failure::Arguments)?;
    let mut fields = text.split_ascii_whitespace();
    let mut next = || fields.next().ok_or(Failure::Arguments);
    let device = next()?.parse().map_err(|_| Failure::Arguments)?;
    let round = next()?.parse().map_err(|_| Failure::Arguments)?;
    let seed = next()?.parse().map_err(|_| Failure::Arguments)?;
    let steps = next()?.parse().map_err(|_| Failure::Arguments)?;
    let meta_lr = next()?.parse().map_err(|_| Failure::Arguments)?;
    let lo = next()?.parse().map_err(|_| Failure::Arguments)?;
    let hi = next()?.parse().map_err(|_| Failure::Arguments)?;
    let stream = Stream {
        seed,
        device,
        round,
        amplitude: (lo, hi),
    };
    Ok((stream, steps, meta_lr))
}

fn round(
    export: &mut [u8; EXPORT_LEN],
    args: &mut [u8; 160],
    ws: &mut Workspace<Q16_16, P>,
    console: &mut impl Console,
) -> Result<(), Failure> {
    let len = read_file("theta.tcml\0", export).map_err(|_| Failure::File("theta.tcml"))?;
    let given = read_file("args.txt\0", args).map_err(|_| Failure::File("args.txt"))?;
    let text = args.get(..given).ok_or(Failure::Arguments)?;
    let (stream, steps, meta_lr) = parse_arguments(text)?;
    let bytes = export.get(..len).ok_or(Failure::File("theta.tcml"))?;
    let (cml, mut theta) = store::decode::<Q16_16, _, P>(&network(), bytes)?;
    let report = device::local_round(&cml, &mut theta, ws, &stream, steps, meta_lr)?;
    let written = store::encode_as(&cml, &theta, DEVICE_VALUES, export)?;
    console.line(&format(format_args!(
        "fleet-report: tasks {} dropped {}",
        report.used, report.dropped
    )));
    let written = export
        .get(..written)
        .ok_or(Failure::Library(tinycml::Error::CorruptState))?;
    for chunk in written.chunks(48) {
        let mut line = format(format_args!("fleet-theta: "));
        for byte in chunk {
            let _ = fmt::Write::write_fmt(&mut line, format_args!("{byte:02x}"));
        }
        console.line(&line);
    }
    Ok(())
}

#[entry]
fn main() -> ! {
    // cortex-m-rt turns these into `&'static mut` references, safely: `main` runs once.
    static mut EXPORT: [u8; EXPORT_LEN] = [0; EXPORT_LEN];
    static mut ARGS: [u8; 160] = [0; 160];
    static mut WS: Workspace<Q16_16, P> = Workspace::new();
    let mut console = Semihosting::new();
    let passed = match round(EXPORT, ARGS, WS, &mut console) {
        Ok(()) => true,
        Err(failure) => {
            console.line(&format(format_args!("fleet: error: {failure}")));
            false
        }
    };
    exit(passed)
}
