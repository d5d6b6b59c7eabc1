//! The shared held-out sinusoid set (ALGORITHM.md §6) is reproduced exactly: the check values
//! published with the learn2learn anchors, so results here compare with other libraries on
//! the very same 500 tasks.

use tinycml::sinusoid::{
    draw_task, Sinusoid, HELDOUT_QUERY, HELDOUT_SEED, HELDOUT_SUPPORT, HELDOUT_TASKS,
};
use tinycml::SplitMix64;

#[test]
fn task_zero_matches_the_published_check_values() {
    let mut rng = SplitMix64::new(HELDOUT_SEED);
    let (sinusoid, task) =
        draw_task::<f64, 10, 100>(&mut rng, HELDOUT_SUPPORT, HELDOUT_QUERY).unwrap();
    assert_eq!(sinusoid.amplitude, 0.22496707247989106);
    assert_eq!(sinusoid.phase, 1.9920476084880647);
    assert_eq!(task.support()[0].x[0], -4.916925430297852);
    assert_eq!(task.support().len(), 10);
    assert_eq!(task.query().len(), 100);
}

#[test]
fn the_500_amplitudes_sum_to_the_published_value() {
    let mut rng = SplitMix64::new(HELDOUT_SEED);
    let mut sum = 0.0;
    for _ in 0..HELDOUT_TASKS {
        let (sinusoid, _) =
            draw_task::<f64, 10, 100>(&mut rng, HELDOUT_SUPPORT, HELDOUT_QUERY).unwrap();
        sum += sinusoid.amplitude;
    }
    // The published sum may have been added in another order: allow a few ulps.
    assert!((sum - 1250.3789306843614).abs() < 1e-9, "{sum}");
}

#[test]
fn targets_are_computed_in_f64_then_rounded_to_f32() {
    let mut rng = SplitMix64::new(HELDOUT_SEED);
    let (sinusoid, task) =
        draw_task::<f64, 10, 100>(&mut rng, HELDOUT_SUPPORT, HELDOUT_QUERY).unwrap();
    // Replay the draws: amplitude, phase, then the inputs in order.
    let mut replay = SplitMix64::new(HELDOUT_SEED);
    let again = Sinusoid::draw(&mut replay);
    assert_eq!(again, sinusoid);
    for shot in task.support().iter().chain(task.query()) {
        let x = replay.uniform(-5.0, 5.0);
        assert_eq!(shot.x[0], x as f32 as f64);
        assert_eq!(shot.y, sinusoid.at(x) as f32 as f64);
    }
}

#[test]
fn k5_is_the_first_five_support_shots() {
    let mut rng = SplitMix64::new(HELDOUT_SEED);
    let (_, task) = draw_task::<f64, 10, 100>(&mut rng, HELDOUT_SUPPORT, HELDOUT_QUERY).unwrap();
    let mut k5 = task.clone();
    k5.truncate_support(5);
    assert_eq!(k5.support(), &task.support()[..5]);
    assert_eq!(k5.query(), task.query());
}
