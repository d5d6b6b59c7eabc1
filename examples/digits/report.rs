//! The two outputs of a run: a table for people and the per-method part of the JSON line.

use serde_json::json;

/// One method's held-out results: per shot set (1, 5), mean accuracy and 95% half-interval
/// in percent, and tasks that diverged.
pub struct Row {
    /// What the table calls it.
    pub name: &'static str,
    /// Its JSON key.
    pub key: &'static str,
    /// `[1-shot, 5-shot]` = (mean, ci95, diverged).
    pub sets: [(f64, f64, usize); 2],
}

/// Prints the results table.
pub fn table(rows: &[Row], count: usize) {
    println!(
        "digits: 5-way held-out tasks of digits 5–9, {count} per set, mean query accuracy ± 95%"
    );
    println!("| method | 1-shot | 5-shot | diverged |");
    println!("|---|---|---|---|");
    for row in rows {
        let r = &row.sets;
        println!(
            "| {} | {:.1} ± {:.1} | {:.1} ± {:.1} | {} |",
            row.name,
            r[0].0,
            r[0].1,
            r[1].0,
            r[1].1,
            r[0].2 + r[1].2
        );
    }
}

/// The `methods` object of the JSON line: per method, accuracy, ci95 and diverged per set.
pub fn methods(rows: &[Row]) -> serde_json::Value {
    let mut methods = serde_json::Map::new();
    for row in rows {
        let r = &row.sets;
        methods.insert(
            row.key.into(),
            json!({"accuracy": {"shot1": r[0].0, "shot5": r[1].0},
                "ci95": {"shot1": r[0].1, "shot5": r[1].1},
                "diverged": {"shot1": r[0].2, "shot5": r[1].2}}),
        );
    }
    serde_json::Value::Object(methods)
}
