//! One-pixel shifts of an 8×8 image: support shots a device can make for itself.
//!
//! A 1-shot task gives a learner one image per class. Its four one-pixel shifts (up, down,
//! left, right) are images of the same class that a writer could as well have drawn, and
//! they cost a device nothing but a copy: with them, every support image enters the inner
//! loop as [`VARIANTS`] images, and a 1-shot task adapts on five images per class.
//!
//! The loss of the inner loop is the mean over the support shots, so the copies change what
//! the support says, not how strongly it pulls against the consolidation penalty. A θ
//! meta-learned for this adaptation must see it during meta-training too: the meta-training
//! tasks' support goes through [`with_shifted_support`] as well.
//!
//! Pixels shifted in from outside the image are `fill` (zero for the digits, whose
//! background is blank); the row or column shifted out is dropped.

use super::{PIXELS, SIDE};
use crate::task::Task;
use crate::Error;

/// The four one-pixel shifts as (rows down, columns right): up, down, left, right.
pub const ONE_PIXEL: [(i8, i8); 4] = [(-1, 0), (1, 0), (0, -1), (0, 1)];

/// Support shots each image becomes: itself and its [`ONE_PIXEL`] shifts.
pub const VARIANTS: usize = 1 + ONE_PIXEL.len();

/// `image` (row-major, row 0 at the top) moved `down` rows down and `right` columns right
/// (negative: up, left): `out[r][c] = image[r − down][c − right]`, or `fill` where that
/// pixel lies outside the image. A shift of 8 or more in either direction gives all `fill`.
pub fn shifted<T: Copy>(image: &[T; PIXELS], down: i8, right: i8, fill: T) -> [T; PIXELS] {
    let mut out = [fill; PIXELS];
    let side = SIDE as i32;
    for r in 0..side {
        for c in 0..side {
            let (from_r, from_c) = (r - i32::from(down), c - i32::from(right));
            if (0..side).contains(&from_r) && (0..side).contains(&from_c) {
                out[(side * r + c) as usize] = image[(side * from_r + from_c) as usize];
            }
        }
    }
    out
}

/// Writes the four [`ONE_PIXEL`] shifts of `image`, in that order, into the caller's `out`.
pub fn write_shifts<T: Copy>(image: &[T; PIXELS], fill: T, out: &mut [[T; PIXELS]; 4]) {
    for (slot, &(down, right)) in out.iter_mut().zip(&ONE_PIXEL) {
        *slot = shifted(image, down, right, fill);
    }
}

/// `task` with every support shot followed by its four [`ONE_PIXEL`] shifts (same target;
/// pixels shifted in are `fill`), and the same query shots, in a task of support capacity
/// `S2` (at least [`VARIANTS`] × the support shots).
///
/// Fails with [`Error::TooManyShots`] when the shifted support or the query does not fit.
///
/// ```
/// use tinycml::digits::shift::{with_shifted_support, VARIANTS};
/// use tinycml::{Class, Shot, Task};
///
/// let mut image = [0.0f32; 64];
/// image[9] = 1.0; // row 1, column 1
/// let task = Task::<f32, 64, 1, 1, Class>::from_shots(
///     &[Shot::new(&image, Class(0))?],
///     &[Shot::new(&image, Class(0))?],
/// )?;
/// let shifted: Task<f32, 64, VARIANTS, 1, Class> = with_shifted_support(&task, 0.0)?;
/// let lit: Vec<usize> = shifted.support().iter()
///     .map(|shot| shot.x.iter().position(|&p| p == 1.0).unwrap())
///     .collect();
/// assert_eq!(lit, [9, 1, 17, 8, 10]); // itself, up, down, left, right
/// # Ok::<(), tinycml::Error>(())
/// ```
pub fn with_shifted_support<A, T, const S: usize, const S2: usize, const Q: usize>(
    task: &Task<A, PIXELS, S, Q, T>,
    fill: A,
) -> Result<Task<A, PIXELS, S2, Q, T>, Error>
where
    A: Copy,
    T: Copy,
{
    let mut out = Task::new();
    if task.support().len().saturating_mul(VARIANTS) > S2 {
        return Err(Error::TooManyShots { capacity: S2 });
    }
    let mut shifts = [[fill; PIXELS]; 4];
    for shot in task.support() {
        out.push_support(*shot)?;
        write_shifts(&shot.x, fill, &mut shifts);
        for x in shifts {
            out.push_support(crate::task::Shot { x, y: shot.y })?;
        }
    }
    for shot in task.query() {
        out.push_query(*shot)?;
    }
    Ok(out)
}
