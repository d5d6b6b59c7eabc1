//! A box of an SVG picture that data coordinates map into: the one piece of plotting the
//! sinusoid and digits figures share (both write SVG by hand, with no plotting dependency).

use std::fmt::Write;

/// Maps data coordinates into a box of the picture.
pub struct Frame {
    /// Left edge of the box, in picture pixels.
    pub left: f64,
    /// Top edge.
    pub top: f64,
    /// Width.
    pub width: f64,
    /// Height.
    pub height: f64,
    /// Data range along x.
    pub x: (f64, f64),
    /// Data range along y (values outside are clamped).
    pub y: (f64, f64),
}

impl Frame {
    /// Picture x of data x.
    pub fn px(&self, x: f64) -> f64 {
        self.left + (x - self.x.0) / (self.x.1 - self.x.0) * self.width
    }
    /// Picture y of data y, clamped to the box.
    pub fn py(&self, y: f64) -> f64 {
        let y = y.clamp(self.y.0, self.y.1);
        self.top + (1.0 - (y - self.y.0) / (self.y.1 - self.y.0)) * self.height
    }
    /// A line through the data points `(xs, ys)`; `style` is SVG attributes.
    pub fn polyline(&self, svg: &mut String, xs: &[f64], ys: &[f64], style: &str) {
        let points: Vec<String> = xs
            .iter()
            .zip(ys)
            .map(|(&x, &y)| format!("{:.1},{:.1}", self.px(x), self.py(y)))
            .collect();
        let _ = writeln!(
            svg,
            r#"<polyline fill="none" {style} points="{}"/>"#,
            points.join(" ")
        );
    }
    /// The box's border and its title above it.
    pub fn border(&self, svg: &mut String, title: &str) {
        let _ = writeln!(
            svg,
            r##"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="none" stroke="#888"/>"##,
            self.left, self.top, self.width, self.height
        );
        let _ = writeln!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" font-size="13" text-anchor="middle">{title}</text>"#,
            self.left + self.width / 2.0,
            self.top - 6.0
        );
    }
}
