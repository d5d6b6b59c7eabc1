//! The figure, as a hand-written SVG (no plotting dependency), in two parts:
//!
//! - top: mean query accuracy on the first [`CURVE_TASKS`] tasks of each held-out set
//!   against the number of adaptation steps, for every method that adapts by gradient steps
//!   (CML in q16.16 and f32, no meta-learning, Reptile, MAML), each at its own rate; the
//!   other methods' held-out means as dashed levels;
//! - bottom: a few held-out tasks: each class's support images (8×8, grey), then some of its
//!   query images with the label the adapted learner gives them (green right, red wrong).

use crate::baselines;
use crate::evaluation::{par_map, Sets};
use crate::frame::Frame;
use crate::learners::Learner;
use crate::net::{DigitTask, Rule, P};
use crate::report::Row;
use std::fmt::Write;
use tinycml::digits::{self, Digits, HELDOUT_SHOTS, HELDOUT_WAYS, PIXELS, SIDE};
use tinycml::inner::{descend, PhaseSpec};
use tinycml::*;

/// Held-out tasks per set the curves average over (the first ones).
pub const CURVE_TASKS: usize = 100;
/// Adaptation steps at which accuracy is measured.
pub const CHECKPOINTS: [u32; 14] = [0, 1, 2, 3, 5, 7, 10, 15, 20, 30, 40, 60, 80, 100];
/// Query images shown per class in a task panel.
const QUERY_SHOWN: usize = 2;

const WIDTH: f64 = 980.0;
const COLORS: [&str; 10] = [
    "#d62728", "#ff7f0e", "#1f77b4", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
    "#bcbd22", "#17becf",
];

/// Mean query accuracy (%) over `tasks` after each of [`CHECKPOINTS`] steps of the rule's
/// adaptation from θ, continuing one run per task. A task that diverges keeps ω's accuracy
/// from then on (as `train::evaluate` counts it).
pub fn curve<N: Precision>(
    rule: &Rule<N>,
    theta: &ComplexSynapse<N, P>,
    tasks: &[DigitTask<N::Act>],
    threads: usize,
) -> Vec<f64> {
    let lr = N::Param::from_f64(rule.config().free_lr).unwrap_or(N::Param::ZERO);
    let per_task = par_map(tasks, threads, |task| {
        let mut phi = Box::new(*theta.omega());
        let mut grad = Box::new([N::Param::ZERO; P]);
        let mut sat = Saturations::default();
        let at_omega = rule.query_accuracy(theta.omega(), task).unwrap_or(0.0);
        let mut done = 0;
        let mut diverged = false;
        CHECKPOINTS
            .iter()
            .map(|&steps| {
                if !diverged && steps > done {
                    let spec = PhaseSpec {
                        phase: Phase::Free,
                        steps: steps - done,
                        lr,
                        nudge: N::Param::ZERO,
                    };
                    diverged = descend(
                        rule.model(),
                        rule.loss(),
                        theta.anchor(),
                        task.support(),
                        &[],
                        &spec,
                        &mut phi,
                        &mut grad,
                        &mut sat,
                    )
                    .is_err();
                    done = steps;
                }
                if diverged {
                    at_omega
                } else {
                    rule.query_accuracy(&phi, task).unwrap_or(0.0)
                }
            })
            .collect::<Vec<f64>>()
    });
    (0..CHECKPOINTS.len())
        .map(|c| 100.0 * per_task.iter().map(|a| a[c]).sum::<f64>() / per_task.len().max(1) as f64)
        .collect()
}

/// One line of the accuracy panels.
struct Line {
    label: String,
    /// Per set (1-shot, 5-shot), accuracy at each checkpoint; or a level (one value).
    values: [Vec<f64>; 2],
    dashed: bool,
}

/// The lines of the methods that adapt by gradient steps, and levels for the others.
fn lines(learners: &[Learner], rows: &[Row], sets: &[Sets; 2], threads: usize) -> Vec<Line> {
    let first = |set: &Sets| Sets {
        q: set.q[..set.q.len().min(CURVE_TASKS)].to_vec(),
        f: set.f[..set.f.len().min(CURVE_TASKS)].to_vec(),
        d: Vec::new(),
    };
    let subsets = sets.each_ref().map(first);
    // The same tasks for the learners that adapt on the support and its shifts.
    let mut out = Vec::new();
    for learner in learners {
        let shifted;
        let subsets: [&Sets; 2] = if learner.shift().is_on() {
            shifted = match subsets.each_ref().map(|s| s.shifted(learner.shift())) {
                [Ok(one), Ok(five)] => [one, five],
                _ => continue,
            };
            shifted.each_ref()
        } else {
            subsets.each_ref()
        };
        match learner {
            Learner::Cml {
                q,
                theta_q,
                f,
                theta_f,
                ..
            } => {
                out.push(Line {
                    label: "CML, q16.16".into(),
                    values: subsets.map(|s| curve(q, theta_q, &s.q, threads)),
                    dashed: false,
                });
                out.push(Line {
                    label: "CML, f32".into(),
                    values: subsets.map(|s| curve(f, theta_f, &s.f, threads)),
                    dashed: true,
                });
            }
            Learner::Plain {
                name, rule, theta, ..
            } => out.push(Line {
                label: format!("{name} (lr {})", rule.config().free_lr),
                values: subsets.map(|s| curve(rule, theta, &s.f, threads)),
                dashed: false,
            }),
            Learner::Ncm { .. } | Learner::Transfer(_) | Learner::Dual { .. } => {}
        }
    }
    // Methods without a step count: their held-out mean (all tasks evaluated) as a level.
    for row in rows {
        if row.key.starts_with("nearest_class_mean") || row.key.starts_with("transfer") {
            out.push(Line {
                label: format!("{} (all tasks)", row.name),
                values: row.sets.map(|s| vec![s.mean]),
                dashed: true,
            });
        }
    }
    out
}

fn accuracy_panel(svg: &mut String, frame: &Frame, title: &str, lines: &[Line], set: usize) {
    frame.border(svg, title);
    for level in (0..=100).step_by(20) {
        let y = frame.py(level as f64);
        let _ = writeln!(
            svg,
            r##"<line x1="{:.1}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#eee"/><text x="{:.1}" y="{:.1}" font-size="10" text-anchor="end">{level}%</text>"##,
            frame.left,
            frame.left + frame.width,
            frame.left - 4.0,
            y + 3.0
        );
    }
    for &steps in &CHECKPOINTS {
        if [0, 10, 20, 40, 60, 80, 100].contains(&steps) {
            let _ = writeln!(
                svg,
                r#"<text x="{:.1}" y="{:.1}" font-size="10" text-anchor="middle">{steps}</text>"#,
                frame.px(steps as f64),
                frame.top + frame.height + 13.0
            );
        }
    }
    let _ = writeln!(
        svg,
        r#"<text x="{:.1}" y="{:.1}" font-size="11" text-anchor="middle">adaptation steps</text>"#,
        frame.left + frame.width / 2.0,
        frame.top + frame.height + 27.0
    );
    for (i, line) in lines.iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        let dash = if line.dashed {
            r#" stroke-dasharray="6,4""#
        } else {
            ""
        };
        let values = &line.values[set];
        let steps: Vec<f64> = CHECKPOINTS.iter().map(|&s| f64::from(s)).collect();
        // A method measured once (no steps to count) is a level across the panel.
        let (xs, ys) = if values.len() == 1 {
            (vec![steps[0], steps[steps.len() - 1]], vec![values[0]; 2])
        } else {
            (steps, values.clone())
        };
        let style = format!(r#"stroke="{color}" stroke-width="2"{dash}"#);
        frame.polyline(svg, &xs, &ys, &style);
    }
}

/// An 8×8 image at (`x`, `y`), `scale` pixels a pixel, ink dark on white, in a border.
fn image(svg: &mut String, pixels: &[f64; PIXELS], x: f64, y: f64, scale: f64, border: &str) {
    let side = SIDE as f64 * scale;
    let _ = writeln!(
        svg,
        r#"<rect x="{x:.1}" y="{y:.1}" width="{side:.1}" height="{side:.1}" fill="white" stroke="{border}" stroke-width="2"/>"#
    );
    for (i, &v) in pixels.iter().enumerate() {
        if v <= 0.0 {
            continue;
        }
        let grey = (255.0 * (1.0 - v.clamp(0.0, 1.0))).round() as u8;
        let _ = write!(
            svg,
            r#"<rect x="{:.1}" y="{:.1}" width="{scale:.1}" height="{scale:.1}" fill="rgb({grey},{grey},{grey})"/>"#,
            x + (i % SIDE) as f64 * scale,
            y + (i / SIDE) as f64 * scale
        );
    }
    svg.push('\n');
}

/// The labels weights adapted to `task`'s support give its query images.
fn adapted<N: Precision>(
    rule: &Rule<N>,
    theta: &ComplexSynapse<N, P>,
    task: &DigitTask<f32>,
) -> Option<Vec<usize>> {
    let task = task.convert::<N::Act>().ok()?;
    let mut phi = Box::new([N::Param::ZERO; P]);
    let mut grad = Box::new([N::Param::ZERO; P]);
    let weights = match rule.adapt(theta, &task, None, &mut phi, &mut grad) {
        Ok(_) => &*phi,
        Err(_) => theta.omega(),
    };
    task.query()
        .iter()
        .map(|s| {
            let outputs = rule.predict_act(weights, &s.x);
            Some(loss::argmax(outputs.as_ref()))
        })
        .collect()
}

/// The labels a learner gives a task's query images after adapting to it: the first learner
/// of the run (CML in q16.16 when it ran).
fn predictions(learners: &[Learner], task: &DigitTask<f32>) -> Option<(String, Vec<usize>)> {
    learners.iter().find_map(|learner| {
        let task = learner.shift().apply(task.clone()).ok()?;
        predicted_by(learner, &task)
    })
}

/// The labels `learner` gives `task`'s query images after adapting to its support as given.
fn predicted_by(learner: &Learner, task: &DigitTask<f32>) -> Option<(String, Vec<usize>)> {
    match learner {
        Learner::Cml { q, theta_q, .. } => {
            Some(("CML, q16.16".to_string(), adapted(q, theta_q, task)?))
        }
        Learner::Plain {
            name, rule, theta, ..
        } => Some((name.to_string(), adapted(rule, theta, task)?)),
        Learner::Transfer(t) => Some(("transfer, new head".to_string(), t.head_labels(task)?)),
        Learner::Dual { .. } => None,
        Learner::Ncm { .. } => Some((
            "nearest class mean".to_string(),
            baselines::nearest_class_mean_labels(&task.convert().ok()?),
        )),
    }
}

/// The SVG figure of a run.
pub fn figure(
    data: &Digits,
    learners: &[Learner],
    rows: &[Row],
    sets: &[Sets; 2],
    threads: usize,
) -> Result<String, Error> {
    let lines = lines(learners, rows, sets, threads);
    let curve_tasks = sets[0].len().min(CURVE_TASKS);
    // Task panels: the first task of each held-out set and the second 5-shot task.
    let shown: [(usize, usize); 3] = [(0, 0), (1, 0), (1, 1)];
    let scale = 3.0;
    let cell = SIDE as f64 * scale + 6.0;
    let panel_height = 40.0 + HELDOUT_WAYS as f64 * cell;
    let top_height = 340.0 + 18.0 * lines.len().div_ceil(2) as f64;
    let height = top_height + panel_height + 30.0;

    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height:.0}" font-family="sans-serif">"#
    );
    let _ = writeln!(svg, r#"<rect width="100%" height="100%" fill="white"/>"#);
    for (set, shots) in HELDOUT_SHOTS.iter().enumerate() {
        let frame = Frame {
            left: 60.0 + set as f64 * 470.0,
            top: 40.0,
            width: 400.0,
            height: 240.0,
            x: (0.0, CHECKPOINTS[CHECKPOINTS.len() - 1] as f64),
            y: (0.0, 100.0),
        };
        let title = format!(
            "5-way {shots}-shot, digits 5–9: mean accuracy, first {curve_tasks} held-out tasks"
        );
        accuracy_panel(&mut svg, &frame, &title, &lines, set);
    }
    for (i, line) in lines.iter().enumerate() {
        let (x, y) = (60.0 + (i % 2) as f64 * 470.0, 330.0 + (i / 2) as f64 * 18.0);
        let dash = if line.dashed {
            r#" stroke-dasharray="6,4""#
        } else {
            ""
        };
        let _ = writeln!(
            svg,
            r#"<line x1="{x}" y1="{y}" x2="{}" y2="{y}" stroke="{}" stroke-width="2"{dash}/><text x="{}" y="{}" font-size="12">{}</text>"#,
            x + 24.0,
            COLORS[i % COLORS.len()],
            x + 30.0,
            y + 4.0,
            line.label
        );
    }

    let panel_width = (WIDTH - 40.0) / shown.len() as f64;
    for (p, &(set, index)) in shown.iter().enumerate() {
        let shots = HELDOUT_SHOTS[set];
        let Some(task) = sets[set].f.get(index) else {
            continue;
        };
        let Some(Ok((drawn, _))) =
            digits::heldout::<f32, { crate::net::S }, { crate::net::Q }>(data, shots).nth(index)
        else {
            continue;
        };
        let Some((by, predicted)) = predictions(learners, task) else {
            continue;
        };
        let (left, top) = (20.0 + p as f64 * panel_width, top_height);
        let _ = writeln!(
            svg,
            r#"<text x="{left:.1}" y="{:.1}" font-size="11">{shots}-shot task {index}: support | query → {by}</text>"#,
            top + 14.0
        );
        let queries = task.query().len() / HELDOUT_WAYS;
        for label in 0..HELDOUT_WAYS {
            let y = top + 28.0 + label as f64 * cell;
            let class = drawn.classes[label];
            let _ = writeln!(
                svg,
                r#"<text x="{left:.1}" y="{:.1}" font-size="10">{label}: {}↺{}°</text>"#,
                y + 15.0,
                class.digit(),
                class.degrees()
            );
            let mut x = left + 52.0;
            for shot in &task.support()[label * shots..(label + 1) * shots] {
                image(&mut svg, &shot.x.map(f64::from), x, y, scale, "#bbb");
                x += cell;
            }
            x += 10.0;
            let first = label * queries;
            let shown = first..first + QUERY_SHOWN.min(queries);
            for (shot, &guess) in task.query()[shown.clone()].iter().zip(&predicted[shown]) {
                let right = guess == shot.y.0 as usize;
                let color = if right { "#2ca02c" } else { "#d62728" };
                image(&mut svg, &shot.x.map(f64::from), x, y, scale, color);
                let _ = writeln!(
                    svg,
                    r#"<text x="{:.1}" y="{:.1}" font-size="11" fill="{color}">{guess}</text>"#,
                    x + cell - 4.0,
                    y + 15.0
                );
                x += cell + 10.0;
            }
        }
    }
    svg.push_str("</svg>\n");
    Ok(svg)
}
