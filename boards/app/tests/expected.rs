//! The bit-exactness test: each QEMU board's demo is replayed on the host (x86_64) with the
//! board's own plan, network and buffers, and must print exactly the board's checked-in
//! output — every MSE (every accuracy, for the digits firmware) and the fingerprint of the
//! final fixed-point θ (of every adapted φ and predicted label). CI diffs the same files
//! against what the Cortex-M4F, Cortex-M0 and RISC-V (rv32imac) firmware print under QEMU, so
//! one seed gives the same bits on all four.

use tinycml::dual::{DualMetaGradient, DualWorkspace};
use tinycml::persist::Store;
use tinycml::{Activation, Workspace};
use tinycml_app::digits::{Buffers, Support};
use tinycml_app::networks::{digits, dual40, hidden16, hidden40};
use tinycml_app::persist::{self, Boot, SimulatedFlash, QEMU_M4F, REGION, SLOT};
use tinycml_app::{demo, dual, pins::NoPin, plans, Console};

/// Collects the demo's lines.
#[derive(Default)]
struct Text(String);

impl Console for Text {
    fn line(&mut self, text: &str) {
        self.0.push_str(text);
        self.0.push('\n');
    }
}

fn assert_same(board_file: &str, expected: &str, got: &str) {
    // The console cuts lines at 120 bytes; a line that long was probably cut.
    for line in got.lines() {
        assert!(line.len() < 120, "a line may have been cut: {line}");
    }
    assert!(
        got == expected,
        "host replay differs from {board_file}\n--- expected\n{expected}\n--- host\n{got}"
    );
}

macro_rules! prior {
    ($net:ident) => {
        demo::Prior {
            theta: &$net::PRIOR,
            config: $net::PRIOR_CONFIG,
            fingerprint: $net::PRIOR_FINGERPRINT,
            export_len: $net::EXPORT_LEN,
        }
    };
}

#[test]
fn m4f_demo_is_bit_exact_on_the_host() {
    let mut theta = Box::new(hidden40::START);
    let mut ws = Box::new(Workspace::new());
    let mut out = Text::default();
    let model = hidden40::Net::new(Activation::Relu);
    let verdict = demo::run(
        model,
        &plans::QEMU_M4F,
        &prior!(hidden40),
        &mut theta,
        &mut ws,
        &mut out,
        NoPin,
    );
    assert!(verdict.passed);
    assert_same(
        "qemu-m4f/expected-demo.txt",
        include_str!("../../qemu-m4f/expected-demo.txt"),
        &out.0,
    );
}

#[test]
fn m4f_deploy_is_bit_exact_on_the_host() {
    let mut phi = Box::new([Default::default(); hidden40::P]);
    let mut grad = Box::new([Default::default(); hidden40::P]);
    let mut out = Text::default();
    let model = hidden40::Net::new(Activation::Relu);
    let plan = &plans::QEMU_M4F_DEPLOY;
    let verdict = demo::run_deploy(
        model,
        plan,
        &prior!(hidden40),
        &mut phi,
        &mut grad,
        &mut out,
        NoPin,
    );
    assert!(verdict.passed);
    assert_same(
        "qemu-m4f/expected-deploy.txt",
        include_str!("../../qemu-m4f/expected-deploy.txt"),
        &out.0,
    );
}

#[test]
fn m0_demo_is_bit_exact_on_the_host() {
    let mut theta = Box::new(hidden16::START);
    let mut ws = Box::new(Workspace::new());
    let mut out = Text::default();
    let model = hidden16::Net::new(Activation::Relu);
    let verdict = demo::run(
        model,
        &plans::QEMU_M0,
        &prior!(hidden16),
        &mut theta,
        &mut ws,
        &mut out,
        NoPin,
    );
    assert!(verdict.passed);
    assert_same(
        "qemu-m0/expected-demo.txt",
        include_str!("../../qemu-m0/expected-demo.txt"),
        &out.0,
    );
}

#[test]
fn riscv_demo_is_bit_exact_on_the_host() {
    let mut theta = Box::new(hidden16::START);
    let mut ws = Box::new(Workspace::new());
    let mut out = Text::default();
    let model = hidden16::Net::new(Activation::Relu);
    let verdict = demo::run(
        model,
        &plans::QEMU_RISCV,
        &prior!(hidden16),
        &mut theta,
        &mut ws,
        &mut out,
        NoPin,
    );
    assert!(verdict.passed);
    assert_same(
        "qemu-riscv/expected-demo.txt",
        include_str!("../../qemu-riscv/expected-demo.txt"),
        &out.0,
    );
}

#[test]
fn m4f_digits_is_bit_exact_on_the_host() {
    let mut phi = Box::new([Default::default(); digits::P]);
    let mut grad = Box::new([Default::default(); digits::P]);
    let mut support = Box::new(Support::new());
    let mut out = Text::default();
    let buffers = Buffers {
        phi: &mut phi,
        grad: &mut grad,
        support: &mut support,
    };
    let verdict = tinycml_app::digits::run(
        &plans::QEMU_M4F_DIGITS,
        &prior!(digits),
        digits::DATA,
        buffers,
        &mut out,
        NoPin,
    );
    assert!(verdict.passed);
    assert_same(
        "qemu-m4f/expected-digits.txt",
        include_str!("../../qemu-m4f/expected-digits.txt"),
        &out.0,
    );
}

fn dual_prior() -> dual::Prior<'static, { dual40::BODY }, { dual40::FAST }> {
    dual::Prior {
        theta: &dual40::PRIOR,
        config: dual40::PRIOR_CONFIG,
        mu: dual40::PRIOR_MU,
        fingerprint: dual40::PRIOR_FINGERPRINT,
        export_len: dual40::EXPORT_LEN,
    }
}

fn dual_adapt_replay(plan: &dual::Plan) -> (tinycml_app::Verdict, String) {
    let mut phi = [Default::default(); dual40::FAST];
    let mut grad = [Default::default(); dual40::FAST];
    let mut out = Text::default();
    let system = dual40::System::new(Activation::Tanh);
    let verdict = dual::run_adapt(
        system,
        plan,
        &dual_prior(),
        &mut phi,
        &mut grad,
        &mut out,
        NoPin,
    );
    (verdict, out.0)
}

#[test]
fn m4f_dual_is_bit_exact_on_the_host() {
    let (verdict, out) = dual_adapt_replay(&plans::QEMU_M4F_DUAL);
    assert!(verdict.passed);
    assert_same(
        "qemu-m4f/expected-dual.txt",
        include_str!("../../qemu-m4f/expected-dual.txt"),
        &out,
    );
}

#[test]
fn m0_dual_is_bit_exact_on_the_host() {
    let (verdict, out) = dual_adapt_replay(&plans::QEMU_M0_DUAL);
    assert!(verdict.passed);
    assert_same(
        "qemu-m0/expected-dual.txt",
        include_str!("../../qemu-m0/expected-dual.txt"),
        &out,
    );
}

#[test]
fn riscv_dual_is_bit_exact_on_the_host() {
    let (verdict, out) = dual_adapt_replay(&plans::QEMU_RISCV_DUAL);
    assert!(verdict.passed);
    assert_same(
        "qemu-riscv/expected-dual.txt",
        include_str!("../../qemu-riscv/expected-dual.txt"),
        &out,
    );
}

#[test]
fn m4f_dual_meta_is_bit_exact_on_the_host() {
    let mut theta = Box::new(dual40::START);
    let mut ws = Box::new(DualWorkspace::new());
    let mut batch = Box::new(DualMetaGradient::new());
    let mut out = Text::default();
    let buffers = dual::MetaBuffers {
        theta: &mut theta,
        ws: &mut ws,
        batch: &mut batch,
    };
    let system = dual40::System::new(Activation::Tanh);
    let verdict = dual::run_meta(
        system,
        &plans::QEMU_M4F_DUAL_META,
        &dual_prior(),
        buffers,
        &mut out,
        NoPin,
    );
    assert!(verdict.passed);
    assert_eq!(verdict.fingerprint, theta.fingerprint());
    assert_ne!(verdict.fingerprint, dual40::PRIOR_FINGERPRINT);
    assert_same(
        "qemu-m4f/expected-dual-meta.txt",
        include_str!("../../qemu-m4f/expected-dual-meta.txt"),
        &out.0,
    );
}

#[test]
fn m4f_persist_is_bit_exact_on_the_host() {
    // The board's flash stand-in starts as QEMU's RAM does: zeros, no saved state.
    let mut memory = vec![0u8; REGION];
    let mut out = Text::default();
    let model = hidden40::Net::new(Activation::Relu);
    let boot = |memory: &mut Vec<u8>, out: &mut Text| {
        let mut phi = Box::new([Default::default(); hidden40::P]);
        let mut grad = Box::new([Default::default(); hidden40::P]);
        let mut store = Store::new(SimulatedFlash::new(memory), 0, SLOT).unwrap();
        let prior = prior!(hidden40);
        persist::run(
            model, QEMU_M4F, &prior, &mut store, &mut phi, &mut grad, out,
        )
    };
    assert_eq!(boot(&mut memory, &mut out), Boot::Saved(true));
    // The reset: only the flash's contents carry over.
    assert_eq!(boot(&mut memory, &mut out), Boot::Loaded(true));
    assert_same(
        "qemu-m4f/expected-persist.txt",
        include_str!("../../qemu-m4f/expected-persist.txt"),
        &out.0,
    );
}
