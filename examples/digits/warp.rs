//! New training classes from old ones: a random affine warp per class of a training task.
//!
//! Twenty training classes are too few: a network meta-trained on them learns features of
//! digits 0–4 and fails on new digits (it reaches 99% on held-back tasks of the training
//! classes while falling behind nearest class mean on unseen ones). Every training task
//! therefore gives each of its classes its own random map of the image plane — a rotation,
//! an anisotropic scale, a shear, a shift and a left–right mirror — so that "a 3 turned 12°,
//! sheared and mirrored" is a class of its own, and the supply of classes is unlimited. Each
//! image is then jittered by its own small map (the spread of handwriting within a class).
//!
//! The warps touch training tasks only; validation and held-out tasks are never warped, and
//! nothing here ever sees digits 5–9.

use tinycml::digits::{PIXELS, SIDE};
use tinycml::SplitMix64;

/// How far the random maps go; every range scales with these.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WarpStrength {
    /// Per class: at 1, rotation ±20°, scale ×0.8–1.2 per axis, shear ±0.3, shift ±1 px.
    /// 0 turns the class warps (and the mirror) off.
    pub class: f64,
    /// Per image: at 1, rotation ±10°, scale ×0.9–1.1, shift ±0.5 px.
    pub image: f64,
}

/// An affine map `p ↦ m·p + t` of pixel coordinates about the image centre.
#[derive(Clone, Copy, Debug)]
pub struct Warp {
    m: [[f64; 2]; 2],
    t: [f64; 2],
}

fn product(a: [[f64; 2]; 2], b: [[f64; 2]; 2]) -> [[f64; 2]; 2] {
    std::array::from_fn(|r| std::array::from_fn(|c| a[r][0] * b[0][c] + a[r][1] * b[1][c]))
}

fn rotation(angle: f64) -> [[f64; 2]; 2] {
    let (s, c) = angle.sin_cos();
    [[c, -s], [s, c]]
}

impl Warp {
    /// The identity.
    pub const IDENTITY: Warp = Warp {
        m: [[1.0, 0.0], [0.0, 1.0]],
        t: [0.0, 0.0],
    };

    /// A class's map: rotation · shear · scale · mirror, then a shift.
    pub fn class(rng: &mut SplitMix64, strength: f64) -> Self {
        if strength <= 0.0 {
            return Self::IDENTITY;
        }
        let angle = rng.uniform(-1.0, 1.0) * strength * 20f64.to_radians();
        let sx = 1.0 + rng.uniform(-0.2, 0.2) * strength;
        let sy = 1.0 + rng.uniform(-0.2, 0.2) * strength;
        let shear = rng.uniform(-0.3, 0.3) * strength;
        let mirror = if rng.next_u64().is_multiple_of(2) {
            -1.0
        } else {
            1.0
        };
        let m = product(rotation(angle), [[sx * mirror, shear * sy], [0.0, sy]]);
        let t = [
            rng.uniform(-1.0, 1.0) * strength,
            rng.uniform(-1.0, 1.0) * strength,
        ];
        Self { m, t }
    }

    /// An image's jitter: a small rotation and scale, then a sub-pixel shift.
    pub fn image(rng: &mut SplitMix64, strength: f64) -> Self {
        if strength <= 0.0 {
            return Self::IDENTITY;
        }
        let angle = rng.uniform(-1.0, 1.0) * strength * 10f64.to_radians();
        let scale = 1.0 + rng.uniform(-0.1, 0.1) * strength;
        let r = rotation(angle);
        Self {
            m: r.map(|row| row.map(|v| v * scale)),
            t: [
                rng.uniform(-0.5, 0.5) * strength,
                rng.uniform(-0.5, 0.5) * strength,
            ],
        }
    }

    /// `self` after `first`.
    pub fn after(&self, first: &Warp) -> Warp {
        let m = product(self.m, first.m);
        let moved = [
            self.m[0][0] * first.t[0] + self.m[0][1] * first.t[1],
            self.m[1][0] * first.t[0] + self.m[1][1] * first.t[1],
        ];
        Warp {
            m,
            t: [moved[0] + self.t[0], moved[1] + self.t[1]],
        }
    }

    /// The image seen through the map: each output pixel samples the input bilinearly at the
    /// inverse-mapped position (zeros outside the image), clamped to `[0, 1]`.
    pub fn apply(&self, x: &[f32; PIXELS]) -> [f32; PIXELS] {
        let centre = (SIDE as f64 - 1.0) / 2.0;
        let [[a, b], [c, d]] = self.m;
        let det = a * d - b * c;
        if det.abs() < 1e-9 {
            return *x;
        }
        let inverse = [[d / det, -b / det], [-c / det, a / det]];
        let side = SIDE as isize;
        let pixel = |row: isize, col: isize| -> f64 {
            if (0..side).contains(&row) && (0..side).contains(&col) {
                f64::from(x[row as usize * SIDE + col as usize])
            } else {
                0.0
            }
        };
        std::array::from_fn(|i| {
            // (u, v) = (column, row) of the output pixel, about the centre, minus the shift.
            let u = (i % SIDE) as f64 - centre - self.t[0];
            let v = (i / SIDE) as f64 - centre - self.t[1];
            let col = inverse[0][0] * u + inverse[0][1] * v + centre;
            let row = inverse[1][0] * u + inverse[1][1] * v + centre;
            let (r0, c0) = (row.floor(), col.floor());
            let (fr, fc) = (row - r0, col - c0);
            let (r0, c0) = (r0 as isize, c0 as isize);
            let value = pixel(r0, c0) * (1.0 - fr) * (1.0 - fc)
                + pixel(r0, c0 + 1) * (1.0 - fr) * fc
                + pixel(r0 + 1, c0) * fr * (1.0 - fc)
                + pixel(r0 + 1, c0 + 1) * fr * fc;
            value.clamp(0.0, 1.0) as f32
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image() -> [f32; PIXELS] {
        std::array::from_fn(|i| ((i * 7) % 17) as f32 / 16.0)
    }

    #[test]
    fn identity_keeps_the_image() {
        assert_eq!(Warp::IDENTITY.apply(&image()), image());
        assert_eq!(
            Warp::class(&mut SplitMix64::new(1), 0.0).apply(&image()),
            image()
        );
    }

    #[test]
    fn a_whole_pixel_shift_moves_every_pixel() {
        let shift = Warp {
            m: [[1.0, 0.0], [0.0, 1.0]],
            t: [1.0, 0.0],
        };
        let (x, y) = (image(), shift.apply(&image()));
        for row in 0..SIDE {
            assert_eq!(y[row * SIDE], 0.0);
            for col in 1..SIDE {
                assert_eq!(y[row * SIDE + col], x[row * SIDE + col - 1]);
            }
        }
    }

    #[test]
    fn a_map_after_its_inverse_rotation_is_the_identity() {
        let turn = |angle| Warp {
            m: rotation(angle),
            t: [0.0, 0.0],
        };
        let both = turn(0.3).after(&turn(-0.3));
        let y = both.apply(&image());
        for (a, b) in y.iter().zip(&image()) {
            assert!((a - b).abs() < 1e-5);
        }
    }
}
