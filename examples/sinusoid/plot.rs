//! The figure, as a hand-written SVG (no plotting dependency): for a few held-out tasks the
//! true curve, the K shots, the prediction before adaptation (ω) and after; below, the
//! meta-validation MSE over meta-training on a log scale.

use crate::frame::Frame;
use std::fmt::Write;
use tinycml::train::ValidationPoint;

/// One task panel: curves sampled on `xs`, and the shots.
pub struct Panel {
    /// Title.
    pub title: String,
    /// Sample inputs.
    pub xs: Vec<f64>,
    /// True function.
    pub truth: Vec<f64>,
    /// Prediction before adaptation.
    pub before: Vec<f64>,
    /// Prediction after adaptation.
    pub after: Vec<f64>,
    /// Support shots `(x, y)`.
    pub shots: Vec<(f64, f64)>,
}

const WIDTH: f64 = 960.0;
const HEIGHT: f64 = 640.0;

/// Writes the figure as SVG text.
pub fn svg(panels: &[Panel], curve: &[ValidationPoint], curve_label: &str) -> String {
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" font-family="sans-serif">"#
    );
    let _ = writeln!(svg, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let n = panels.len().max(1) as f64;
    let panel_width = (WIDTH - 40.0) / n - 20.0;
    for (i, p) in panels.iter().enumerate() {
        let span = p
            .truth
            .iter()
            .chain(p.shots.iter().map(|(_, y)| y))
            .fold(1.0f64, |m, v| m.max(v.abs()))
            * 1.3;
        let frame = Frame {
            left: 30.0 + i as f64 * (panel_width + 20.0),
            top: 30.0,
            width: panel_width,
            height: 300.0,
            x: (-5.0, 5.0),
            y: (-span, span),
        };
        frame.border(&mut svg, &p.title);
        frame.polyline(
            &mut svg,
            &p.xs,
            &p.truth,
            r##"stroke="#222" stroke-width="2""##,
        );
        frame.polyline(
            &mut svg,
            &p.xs,
            &p.before,
            r##"stroke="#999" stroke-width="1.5" stroke-dasharray="5,4""##,
        );
        frame.polyline(
            &mut svg,
            &p.xs,
            &p.after,
            r##"stroke="#d62728" stroke-width="2""##,
        );
        for &(x, y) in &p.shots {
            let _ = writeln!(
                svg,
                r##"<circle cx="{:.1}" cy="{:.1}" r="4" fill="#1f77b4"/>"##,
                frame.px(x),
                frame.py(y)
            );
        }
    }
    let legend = [
        ("#222", "true curve"),
        ("#999", "before adaptation (ω)"),
        ("#d62728", "after adaptation"),
        ("#1f77b4", "K shots"),
    ];
    for (i, (color, text)) in legend.iter().enumerate() {
        let x = 40.0 + i as f64 * 200.0;
        let _ = writeln!(
            svg,
            r#"<rect x="{x}" y="348" width="14" height="4" fill="{color}"/><text x="{}" y="354" font-size="12">{text}</text>"#,
            x + 20.0
        );
    }
    if !curve.is_empty() {
        let lo = curve
            .iter()
            .map(|c| c.loss)
            .fold(f64::MAX, f64::min)
            .max(1e-6);
        let hi = curve
            .iter()
            .map(|c| c.loss)
            .fold(0.0, f64::max)
            .max(lo * 10.0);
        let (lo, hi) = (lo.log10().floor(), hi.log10().ceil());
        let last = curve.last().map_or(1.0, |c| c.iteration.max(1) as f64);
        let frame = Frame {
            left: 60.0,
            top: 400.0,
            width: WIDTH - 100.0,
            height: 200.0,
            x: (0.0, last),
            y: (lo, hi),
        };
        frame.border(&mut svg, curve_label);
        let xs: Vec<f64> = curve.iter().map(|c| c.iteration as f64).collect();
        let ys: Vec<f64> = curve.iter().map(|c| c.loss.max(1e-6).log10()).collect();
        frame.polyline(&mut svg, &xs, &ys, r##"stroke="#d62728" stroke-width="2""##);
        let mut decade = lo;
        while decade <= hi {
            let _ = writeln!(
                svg,
                r#"<text x="55" y="{:.1}" font-size="11" text-anchor="end">1e{}</text>"#,
                frame.py(decade) + 4.0,
                decade as i32
            );
            decade += 1.0;
        }
        let _ = writeln!(
            svg,
            r#"<text x="{:.1}" y="625" font-size="12" text-anchor="middle">meta-iteration (0 … {})</text>"#,
            frame.left + frame.width / 2.0,
            last as u64
        );
    }
    svg.push_str("</svg>\n");
    svg
}
