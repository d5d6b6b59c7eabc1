//! The digits firmware's tasks and numbers are the library's: the tasks it draws from the
//! digits 5–9 file in flash are the library's held-out 5-shot tasks (all 500, shot for shot),
//! and each task's accuracy it prints is what the library's own path — decode the export,
//! `Cml::adapt` on the full task, `Cml::query_accuracy` — gives on the host, the path the
//! `digits` example's table takes. `expected.rs` then ties the printed text to the firmware.

use tinycml::digits::{self as family, Digits, HELDOUT_TASKS, QUERY_PER_CLASS};
use tinycml::{store, Activation, Class, Precision, SoftmaxCrossEntropy, Task, Q16_16};
use tinycml_app::digits::{fill_support, HeldOut, Support, QUERY, SUPPORT};
use tinycml_app::networks::digits::{self as net, Net, P};
use tinycml_app::plans;

type Act = <Q16_16 as Precision>::Act;
type FullTask = Task<Act, { family::PIXELS }, SUPPORT, QUERY, Class>;

#[test]
fn the_flash_file_holds_every_image_of_digits_five_to_nine() {
    let subset = Digits::parse(net::DATA).unwrap();
    let all = Digits::bundled();
    assert_eq!(subset.len(), net::DATA_IMAGES);
    assert_eq!(subset.counts()[..5], [0; 5]);
    assert_eq!(subset.counts()[5..], all.counts()[5..]);
    let kept: Vec<_> = (0..all.len())
        .filter_map(|i| all.image(i))
        .filter(|&(_, label)| label >= 5)
        .collect();
    let read: Vec<_> = (0..subset.len()).filter_map(|i| subset.image(i)).collect();
    assert!(kept == read, "digits 5–9 in the bundled file's order");
}

#[test]
fn the_buffers_are_the_sizes_the_docs_give() {
    use core::mem::{align_of, size_of};
    // φ and the gradient: 3,301 Q8.24 values each.
    assert_eq!(size_of::<tinycml_app::digits::Params>(), 13_204);
    // The support shots: 25 × (64 × 4 B + a 2-byte label, padded to 260 B) and two lengths,
    // 6,508 B on the 32-bit device (its `.bss` shows the same).
    assert_eq!(
        size_of::<tinycml::Shot<Act, { family::PIXELS }, Class>>(),
        260
    );
    let raw = 25 * 260 + 2 * size_of::<usize>();
    assert_eq!(
        size_of::<Support>(),
        raw.next_multiple_of(align_of::<Support>())
    );
}

#[test]
fn the_device_draws_the_library_heldout_tasks() {
    let subset = Digits::parse(net::DATA).unwrap();
    let all = Digits::bundled();
    let mut device = HeldOut::new(&subset);
    let mut support = Box::new(Support::new());
    let mut library = family::heldout::<Act, SUPPORT, QUERY>(&all, 5);
    for index in 0..HELDOUT_TASKS {
        let drawn = device.next_task().unwrap();
        let (expected_drawn, expected) = library.next().unwrap().unwrap();
        assert_eq!(drawn.classes, expected_drawn.classes, "task {index}");
        fill_support(&subset, &drawn, &mut support).unwrap();
        assert_eq!(support.support(), expected.support(), "task {index}");
        // Query images: the same pixels, shown as the same class.
        for (i, (&image, shot)) in drawn.query_images.iter().zip(expected.query()).enumerate() {
            let class = drawn.classes[i / QUERY_PER_CLASS];
            let x = subset.input(image as usize, class).unwrap();
            assert_eq!(x.map(Act::from_num), shot.x, "task {index}, query {i}");
            assert_eq!(shot.y, Class((i / QUERY_PER_CLASS) as u16));
        }
    }
    assert!(library.next().is_none());
}

#[test]
fn each_printed_accuracy_is_the_library_one() {
    let bytes = include_bytes!("../priors/digits.tcml");
    let model = Net::new(Activation::Relu);
    let (cml, theta) =
        store::decode_with_loss::<Q16_16, _, _, P>(&model, SoftmaxCrossEntropy, bytes).unwrap();
    assert_eq!(theta.fingerprint(), net::PRIOR_FINGERPRINT);
    let printed = include_str!("../../qemu-m4f/expected-digits.txt");
    let counts: Vec<(usize, usize)> = printed
        .lines()
        .filter(|l| l.starts_with("  task "))
        .map(|l| {
            let n = |s: &str| s.split('/').next().unwrap().parse::<usize>().unwrap();
            let words: Vec<&str> = l.split_whitespace().collect();
            let at = words.iter().position(|&w| w == "query").unwrap();
            (n(words[at + 1]), n(words[at + 5]))
        })
        .collect();
    assert_eq!(counts.len(), plans::QEMU_M4F_DIGITS.tasks);
    let all = Digits::bundled();
    let tasks = family::heldout::<Act, SUPPORT, QUERY>(&all, 5);
    let mut phi = Box::new([Default::default(); P]);
    let mut grad = Box::new([Default::default(); P]);
    for (index, ((_, task), (before, after))) in tasks.map(Result::unwrap).zip(counts).enumerate() {
        let task: FullTask = task;
        let right = |acc: Option<f64>| (acc.unwrap() * QUERY as f64).round() as usize;
        assert_eq!(
            right(cml.query_accuracy(theta.omega(), &task)),
            before,
            "task {index}"
        );
        cml.adapt(&theta, &task, None, &mut phi, &mut grad).unwrap();
        assert_eq!(
            right(cml.query_accuracy(&phi, &task)),
            after,
            "task {index}"
        );
    }
}
