//! The two outputs of a run: a table for people and one JSON line for scripts (the last line
//! of stdout).

use crate::evaluation::Stats;
use serde_json::{json, Map, Value};
use tinycml::train::ValidationPoint;

/// One row of the table: a method (or a variant of one) on both held-out sets.
pub struct Row {
    /// JSON key (`cml_q16_16`, `no_meta_f32`, …).
    pub key: &'static str,
    /// What the table calls it.
    pub name: String,
    /// How it adapts to a task at test time.
    pub adaptation: String,
    /// `[1-shot, 5-shot]` held-out results.
    pub sets: [Stats; 2],
    /// Mean accuracy on validation tasks of the training classes, `[1-shot, 5-shot]`.
    pub validation: [f64; 2],
}

/// What training one method did.
pub struct Training {
    /// The method's name (`cml`, `transfer`, `reptile`, `maml`).
    pub method: &'static str,
    /// Meta-iterations (transfer: minibatch steps).
    pub iterations: u64,
    /// Wall-clock seconds, validation included.
    pub seconds: f64,
    /// Every validation: the mean query loss of the adapted learner on the validation tasks.
    pub curve: Vec<ValidationPoint>,
    pub initial_validation_loss: f64,
    pub best_validation_loss: f64,
    /// The method's settings.
    pub settings: Value,
}

fn number(v: f64) -> Value {
    if v.is_finite() {
        json!(v)
    } else {
        Value::Null
    }
}

/// Prints the results table.
pub fn table(rows: &[Row], count: usize) {
    println!(
        "digits: 5-way held-out tasks of digits 5–9, {count} per set, mean query accuracy ± 95% (median)"
    );
    println!("| method | adaptation | 1-shot | 5-shot | diverged |");
    println!("|---|---|---|---|---|");
    for row in rows {
        let cell = |s: &Stats| format!("{:.1} ± {:.1} ({:.1})", s.mean, s.ci95, s.median);
        println!(
            "| {} | {} | {} | {} | {} |",
            row.name,
            row.adaptation,
            cell(&row.sets[0]),
            cell(&row.sets[1]),
            row.sets[0].diverged + row.sets[1].diverged
        );
    }
}

/// Prints what each trained method did: budget used and validation loss before and after.
pub fn trainings(trainings: &[Training]) {
    for t in trainings {
        println!(
            "{}: {} iterations in {:.1} s; validation loss {:.4} → {:.4} (best kept)",
            t.method, t.iterations, t.seconds, t.initial_validation_loss, t.best_validation_loss
        );
    }
}

/// Per row, `{shot1, shot5}` of one statistic.
fn by_row(rows: &[Row], f: impl Fn(&Stats) -> Value) -> Value {
    let mut out = Map::new();
    for row in rows {
        out.insert(
            row.key.into(),
            json!({"shot1": f(&row.sets[0]), "shot5": f(&row.sets[1])}),
        );
    }
    Value::Object(out)
}

/// Adds the held-out results to the JSON report: `accuracy`, `ci95` and `median` per row as
/// `{row: {shot1, shot5}}`; `methods` (everything about each row, diverged tasks per set
/// included: the shape `.ci/check_digits.py` reads); `diverged`, the total over rows.
pub fn results(report: &mut Map<String, Value>, rows: &[Row]) {
    report.insert("accuracy".into(), by_row(rows, |s| number(s.mean)));
    report.insert("ci95".into(), by_row(rows, |s| number(s.ci95)));
    report.insert("median".into(), by_row(rows, |s| number(s.median)));
    let mut methods = Map::new();
    for row in rows {
        let [one, five] = &row.sets;
        methods.insert(
            row.key.into(),
            json!({"accuracy": {"shot1": number(one.mean), "shot5": number(five.mean)},
                "ci95": {"shot1": number(one.ci95), "shot5": number(five.ci95)},
                "median": {"shot1": number(one.median), "shot5": number(five.median)},
                "diverged": {"shot1": one.diverged, "shot5": five.diverged},
                "adaptation": row.adaptation}),
        );
    }
    report.insert("methods".into(), Value::Object(methods));
    report.insert(
        "diverged".into(),
        json!(rows
            .iter()
            .map(|r| r.sets[0].diverged + r.sets[1].diverged)
            .sum::<usize>()),
    );
}

/// Adds the validation accuracies (training classes) per row.
pub fn validation(report: &mut Map<String, Value>, rows: &[Row]) {
    let mut out = Map::new();
    for row in rows {
        out.insert(
            row.key.into(),
            json!({"shot1": number(row.validation[0]), "shot5": number(row.validation[1])}),
        );
    }
    report.insert("validation_accuracy".into(), Value::Object(out));
}

/// Adds `meta_iterations` and `train_seconds` per trained method, and `training` with each
/// one's settings and validation curve.
pub fn training(report: &mut Map<String, Value>, trainings: &[Training]) {
    let mut iterations = Map::new();
    let mut seconds = Map::new();
    let mut detail = Map::new();
    for t in trainings {
        iterations.insert(t.method.into(), json!(t.iterations));
        seconds.insert(t.method.into(), number(t.seconds));
        let curve: Vec<Value> = t
            .curve
            .iter()
            .map(
                |c| json!({"iteration": c.iteration, "seconds": c.seconds, "loss": number(c.loss)}),
            )
            .collect();
        detail.insert(
            t.method.into(),
            json!({"settings": t.settings,
                "initial_validation_loss": number(t.initial_validation_loss),
                "best_validation_loss": number(t.best_validation_loss),
                "validation": curve}),
        );
    }
    report.insert("meta_iterations".into(), Value::Object(iterations));
    report.insert("train_seconds".into(), Value::Object(seconds));
    report.insert("training".into(), Value::Object(detail));
}
