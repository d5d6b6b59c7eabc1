//! The two outputs of a run: a table for people and one JSON line for scripts (the last line
//! of stdout, in the shape issue 3 fixes).

use crate::evaluation::Stats;
use serde_json::{json, Map, Value};

/// One method's results.
pub struct Row {
    /// JSON key (`cml`, `maml`, …).
    pub key: &'static str,
    /// What the table calls it.
    pub label: String,
    /// Adaptation steps at test time.
    pub steps: u32,
    /// K = 5 held-out results.
    pub k5: Stats,
    /// K = 10 held-out results.
    pub k10: Stats,
    /// Meta-training wall time in seconds (0 when untrained).
    pub train_seconds: f64,
    /// Meta-iterations done.
    pub iterations: u64,
    /// Per-task memory while meta-training, bytes.
    pub memory: usize,
}

fn cell(s: &Stats) -> String {
    let flag = if s.diverged > 0 {
        format!(" [{} diverged]", s.diverged)
    } else {
        String::new()
    };
    format!(
        "{:.4} ± {:.4} (median {:.4}){}",
        s.mean, s.ci95, s.median, flag
    )
}

/// Prints the results table.
pub fn table(rows: &[Row], tasks: usize) {
    println!();
    println!("held-out sinusoid tasks: {tasks} (seed 20240601), query MSE mean ± 95% CI (median)");
    println!(
        "{:<36} {:>5}  {:<40} {:<40} {:>8} {:>7} {:>9}",
        "method", "steps", "K = 5", "K = 10", "train s", "iters", "mem/task"
    );
    for r in rows {
        println!(
            "{:<36} {:>5}  {:<40} {:<40} {:>8.1} {:>7} {:>7} KB",
            r.label,
            r.steps,
            cell(&r.k5),
            cell(&r.k10),
            r.train_seconds,
            r.iterations,
            r.memory / 1024
        );
    }
    println!();
}

/// The JSON object of issue 3, plus per-method wall time and memory.
pub fn json_line(rows: &[Row], header: Map<String, Value>, extra: Map<String, Value>) -> String {
    let by = |f: &dyn Fn(&Stats) -> Value| {
        let mut k5 = Map::new();
        let mut k10 = Map::new();
        for r in rows {
            k5.insert(r.key.into(), f(&r.k5));
            k10.insert(r.key.into(), f(&r.k10));
        }
        json!({"k5": k5, "k10": k10})
    };
    let number = |v: f64| if v.is_finite() { json!(v) } else { Value::Null };
    let mut out = header;
    out.insert("mse".into(), by(&|s| number(s.mean)));
    out.insert("median".into(), by(&|s| number(s.median)));
    out.insert("ci95".into(), by(&|s| number(s.ci95)));
    out.insert("diverged".into(), by(&|s| json!(s.diverged)));
    let mut seconds = Map::new();
    let mut memory = Map::new();
    for r in rows {
        seconds.insert(r.key.into(), number(r.train_seconds));
        memory.insert(r.key.into(), json!(r.memory));
    }
    out.insert("train_seconds".into(), Value::Object(seconds));
    out.insert("memory_bytes_per_task".into(), Value::Object(memory));
    out.extend(extra);
    Value::Object(out).to_string()
}
