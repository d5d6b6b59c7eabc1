//! Few-shot classification on real handwriting: the 8×8 digits family.
//!
//! The data are the 1,797 8×8 handwritten digits of the UCI "Optical Recognition of
//! Handwritten Digits" test set (CC BY 4.0), as scikit-learn ships them, converted once into
//! `data/digits/digits.bin` (format, provenance and SHA-256 in `data/digits/README.md`) and
//! embedded as [`BUNDLED`]. Unused, it costs a device image nothing: the linker drops it.
//!
//! ## Classes
//!
//! Each digit at each rotation is its own class, as Omniglot is usually augmented: 40
//! [`ClassId`]s, `id = 4·digit + r` for a rotation of `r` quarter turns **counter-clockwise**
//! (`r` = 0, 1, 2, 3 for 0°, 90°, 180°, 270°; [`rotate`], the same as `numpy.rot90(image, r)`
//! on the image with row 0 at the top). Meta-training uses digits 0–4 (ids 0..20,
//! [`Split::MetaTrain`]); meta-testing digits 5–9 (ids 20..40, [`Split::MetaTest`]), never
//! seen in meta-training. A shot's input is the rotated image's 64 pixels, row-major, each
//! divided by 16 (in `[0, 1]`, computed in `f64`).
//!
//! ## The sampler
//!
//! [`Digits::sample`] draws an N-way task with K support and Q query images per class from a
//! pool of classes, with [`SplitMix64`]. Every integer draw is `below(n) = next_u64() % n`.
//! In this order:
//!
//! 1. **Classes**, without replacement, by a partial Fisher–Yates shuffle of the pool (in the
//!    order given; [`Split::classes`] is increasing id): for `i` in `0..N`,
//!    `j = i + below(len − i)`, swap `pool[i]` and `pool[j]`; the class of label `i` is
//!    `pool[i]`. Labels are `0..N` in the order the classes were drawn.
//! 2. **Images**, for each label `0..N` in turn: K + Q distinct images of the class's digit,
//!    by a partial Fisher–Yates shuffle of *that digit's images in file order* (a fresh list
//!    for every class): for `i` in `0..K+Q`, `j = i + below(count − i)`, swap entries `i` and
//!    `j`, take entry `i`. The first K are the class's support images, the next Q its query
//!    images. Two classes of the same digit (two rotations) draw independently, so one image
//!    may appear in both, rotated differently.
//! 3. **The task**: support shots label by label (label 0's K images in the order drawn, then
//!    label 1's, …), then query shots the same way. Target: [`Class`]`(label)`.
//!
//! Nothing else is drawn. A 180° six looks like a nine: that is part of this benchmark.
//!
//! ## Shifted support
//!
//! [`shift`] makes the four one-pixel shifts of an image in a caller's buffer, and a task
//! whose every support image is followed by them: more shots per class that a device makes
//! for itself, for a learner meta-trained to adapt on them.
//!
//! ## The held-out sets
//!
//! [`heldout`]: 500 tasks of 5-way 1-shot and 500 of 5-way 5-shot, 15 query images per class,
//! from the meta-test classes. **Each kind has its own generator**, `SplitMix64::new(20240601)`
//! ([`HELDOUT_SEED`]), and draws its 500 tasks one after the other from it; so task 0 of both
//! kinds has the same classes, and the streams part after it.
//!
//! ```
//! use tinycml::digits::{self, ClassId, Digits, Split};
//! use tinycml::{Class, SplitMix64};
//!
//! let data = Digits::bundled();
//! let mut rng = SplitMix64::new(7);
//! // A 5-way 1-shot meta-training task in f32, 15 query images per class.
//! let (drawn, task) = data.sample::<f32, 5, 75>(&mut rng, Split::MetaTrain.classes(), 5, 1, 15)?;
//! assert_eq!((task.support().len(), task.query().len()), (5, 75));
//! assert_eq!(task.support()[2].y, Class(2));
//! assert!(drawn.classes.iter().all(|c| c.digit() <= 4));
//! # Ok::<(), tinycml::Error>(())
//! ```

use crate::num::Scalar;
use crate::rng::SplitMix64;
use crate::task::{Class, Shot, Task};
use crate::Error;
use core::fmt;
use heapless::Vec;

pub mod shift;

/// The digits file, `data/digits/digits.bin`, embedded in the library.
pub static BUNDLED: [u8; 116_813] = *include_bytes!("../data/digits/digits.bin");

/// The file's first four bytes.
pub const MAGIC: [u8; 4] = *b"TCD8";
/// The format version this module reads.
pub const VERSION: u16 = 1;
/// Bytes before the first image: magic, version, count.
pub const HEADER: usize = 8;
/// Image side, in pixels.
pub const SIDE: usize = 8;
/// Pixels per image (and inputs per shot).
pub const PIXELS: usize = SIDE * SIDE;
/// Bytes per image: the pixels, then the label.
pub const RECORD: usize = PIXELS + 1;
/// The largest pixel value.
pub const MAX_PIXEL: u8 = 16;
/// Digits 0–9 times 4 rotations.
pub const CLASSES: usize = 40;
/// Images in [`BUNDLED`].
pub const BUNDLED_IMAGES: usize = 1797;
/// Images per digit in [`BUNDLED`].
pub const BUNDLED_COUNTS: [u16; 10] = [178, 182, 177, 183, 181, 182, 181, 179, 174, 180];
/// The most support plus query images [`Digits::sample`] draws per class.
pub const MAX_PER_CLASS: usize = 64;

/// Seed of the held-out sets (the same as the sinusoid one); each kind has its own generator.
pub const HELDOUT_SEED: u64 = 20240601;
/// Tasks in each held-out set.
pub const HELDOUT_TASKS: usize = 500;
/// Classes per held-out task.
pub const HELDOUT_WAYS: usize = 5;
/// Query images per class, in the held-out sets and as the issue defines tasks.
pub const QUERY_PER_CLASS: usize = 15;
/// The two held-out kinds: support images per class.
pub const HELDOUT_SHOTS: [usize; 2] = [1, 5];

/// What is wrong with a digits file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum FormatError {
    /// Shorter than the header.
    Truncated,
    /// The first four bytes are not [`MAGIC`].
    BadMagic,
    /// A version this module does not read.
    UnsupportedVersion {
        /// The version the file declares.
        found: u16,
    },
    /// The length is not `HEADER + RECORD × count`.
    WrongLength {
        /// What the header's count implies.
        expected: usize,
        /// The actual length.
        found: usize,
    },
    /// A pixel above [`MAX_PIXEL`].
    BadPixel {
        /// The image.
        image: u16,
        /// The value found.
        value: u8,
    },
    /// A label above 9.
    BadLabel {
        /// The image.
        image: u16,
        /// The value found.
        value: u8,
    },
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FormatError::Truncated => write!(f, "the digits file is shorter than its header"),
            FormatError::BadMagic => write!(f, "not a digits file (wrong magic)"),
            FormatError::UnsupportedVersion { found } => write!(
                f,
                "digits file version {found}, this library reads version {VERSION}"
            ),
            FormatError::WrongLength { expected, found } => write!(
                f,
                "the digits file is {found} bytes, its header says {expected}; it is damaged"
            ),
            FormatError::BadPixel { image, value } => {
                write!(
                    f,
                    "image {image} has a pixel of {value}, above 16; damaged file"
                )
            }
            FormatError::BadLabel { image, value } => {
                write!(
                    f,
                    "image {image} has label {value}, not a digit; damaged file"
                )
            }
        }
    }
}

impl core::error::Error for FormatError {}

/// One of the 40 classes: a digit at a rotation, `id = 4·digit + quarter_turns`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ClassId(u8);

impl ClassId {
    /// The class of `digit` (0–9) rotated `quarter_turns` (0–3) × 90° counter-clockwise;
    /// `None` outside those ranges.
    pub const fn new(digit: u8, quarter_turns: u8) -> Option<Self> {
        if digit <= 9 && quarter_turns <= 3 {
            Some(Self(4 * digit + quarter_turns))
        } else {
            None
        }
    }

    /// The class with this id (0..40); `None` beyond.
    pub const fn from_id(id: u8) -> Option<Self> {
        if (id as usize) < CLASSES {
            Some(Self(id))
        } else {
            None
        }
    }

    /// `4·digit + quarter_turns`, in `0..40`.
    pub const fn id(self) -> u8 {
        self.0
    }

    /// The digit, 0–9.
    pub const fn digit(self) -> u8 {
        self.0 / 4
    }

    /// Counter-clockwise quarter turns, 0–3.
    pub const fn quarter_turns(self) -> u8 {
        self.0 % 4
    }

    /// The rotation in degrees, counter-clockwise: 0, 90, 180 or 270.
    pub const fn degrees(self) -> u16 {
        90 * self.quarter_turns() as u16
    }
}

const fn class_range<const N: usize>(first: u8) -> [ClassId; N] {
    let mut out = [ClassId(0); N];
    let mut i = 0;
    while i < N {
        out[i] = ClassId(first + i as u8);
        i += 1;
    }
    out
}

static META_TRAIN: [ClassId; 20] = class_range(0);
static META_TEST: [ClassId; 20] = class_range(20);

/// Which classes a task may draw from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Split {
    /// Digits 0–4 at every rotation: ids 0..20.
    MetaTrain,
    /// Digits 5–9 at every rotation: ids 20..40, never used before evaluation.
    MetaTest,
}

impl Split {
    /// The split's 20 classes, in increasing id (the pool order the sampler starts from).
    pub fn classes(self) -> &'static [ClassId] {
        match self {
            Split::MetaTrain => &META_TRAIN,
            Split::MetaTest => &META_TEST,
        }
    }
}

/// `image` (row-major, row 0 at the top) rotated `quarter_turns` × 90° counter-clockwise.
/// One quarter turn is `out[8r + c] = in[8c + 7 − r]`, as `numpy.rot90(image, 1)`: the top
/// row becomes the left column, read bottom to top. Four quarter turns give the image back.
pub fn rotate<T: Copy>(image: &[T; PIXELS], quarter_turns: u8) -> [T; PIXELS] {
    let mut out = *image;
    for _ in 0..quarter_turns % 4 {
        let before = out;
        for r in 0..SIDE {
            for c in 0..SIDE {
                out[SIDE * r + c] = before[SIDE * c + SIDE - 1 - r];
            }
        }
    }
    out
}

/// A validated digits file.
#[derive(Clone, Copy, Debug)]
pub struct Digits<'a> {
    records: &'a [u8],
    counts: [u16; 10],
}

/// What [`Digits::sample`] drew, besides the task: the class of each label and the file
/// index of each image, support and query in the task's order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Drawn<const S: usize, const Q: usize> {
    /// `classes[label]`.
    pub classes: Vec<ClassId, CLASSES>,
    /// The image (index in the file) of each support shot.
    pub support_images: Vec<u16, S>,
    /// The image (index in the file) of each query shot.
    pub query_images: Vec<u16, Q>,
}

impl Digits<'static> {
    /// The embedded file, [`BUNDLED`]. It is checked by the tests, so this cannot fail.
    pub fn bundled() -> Self {
        match Self::parse(&BUNDLED) {
            Ok(digits) => digits,
            // The bundled bytes are fixed and tested; this arm is never taken.
            Err(_) => Self {
                records: &[],
                counts: [0; 10],
            },
        }
    }
}

impl<'a> Digits<'a> {
    /// Checks a digits file: magic, version, length, every pixel ≤ 16 and every label ≤ 9.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, FormatError> {
        if bytes.len() < HEADER {
            return Err(FormatError::Truncated);
        }
        if bytes[..4] != MAGIC {
            return Err(FormatError::BadMagic);
        }
        let version = u16::from_le_bytes([bytes[4], bytes[5]]);
        if version != VERSION {
            return Err(FormatError::UnsupportedVersion { found: version });
        }
        let count = u16::from_le_bytes([bytes[6], bytes[7]]);
        let expected = HEADER + RECORD * count as usize;
        if bytes.len() != expected {
            return Err(FormatError::WrongLength {
                expected,
                found: bytes.len(),
            });
        }
        let records = &bytes[HEADER..];
        let mut counts = [0u16; 10];
        for (image, record) in (0u16..).zip(records.chunks_exact(RECORD)) {
            if let Some(&value) = record[..PIXELS].iter().find(|&&p| p > MAX_PIXEL) {
                return Err(FormatError::BadPixel { image, value });
            }
            let label = record[PIXELS];
            match counts.get_mut(label as usize) {
                Some(n) => *n += 1,
                None => {
                    return Err(FormatError::BadLabel {
                        image,
                        value: label,
                    })
                }
            }
        }
        Ok(Self { records, counts })
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.records.len() / RECORD
    }

    /// Whether the file holds no image.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Images per digit.
    pub fn counts(&self) -> [u16; 10] {
        self.counts
    }

    /// Image `index` as stored (pixels 0–16, unrotated) and its label; `None` beyond the end.
    pub fn image(&self, index: usize) -> Option<([u8; PIXELS], u8)> {
        let record = self.records.get(RECORD * index..RECORD * (index + 1))?;
        let mut pixels = [0; PIXELS];
        pixels.copy_from_slice(&record[..PIXELS]);
        Some((pixels, record[PIXELS]))
    }

    /// The input of image `index` shown as `class`: rotated, then every pixel / 16.
    pub fn input(&self, index: usize, class: ClassId) -> Option<[f64; PIXELS]> {
        let (pixels, _) = self.image(index)?;
        Some(rotate(&pixels, class.quarter_turns()).map(|p| p as f64 / MAX_PIXEL as f64))
    }

    /// Images of `class`'s digit, by a checked read (a digit is at most 9 by construction, but
    /// the compiler cannot see that: an index would leave a bounds-check panic in firmware).
    fn count_of(&self, class: ClassId) -> usize {
        self.counts
            .get(class.digit() as usize)
            .map_or(0, |&n| n as usize)
    }

    /// The file index of the `n`-th image (0-based, file order) of `digit`.
    fn nth_of_digit(&self, digit: u8, n: u16) -> Option<u16> {
        let labels = self.records.chunks_exact(RECORD).map(|r| r[PIXELS]);
        (0u16..)
            .zip(labels)
            .filter(|&(_, label)| label == digit)
            .nth(n as usize)
            .map(|(index, _)| index)
    }

    /// Draws an N-way task (`ways` classes from `pool`) with `shots` support and `queries`
    /// query images per class, exactly as the [module documentation](self) specifies.
    ///
    /// Checked before anything is drawn: [`Error::InvalidConfig`] for no ways, more ways than
    /// the pool holds, a pool with a repeated class, no shots, or more images per class than
    /// [`MAX_PER_CLASS`] or than a pooled digit has; [`Error::TooManyShots`] when `S` or `Q`
    /// cannot hold `ways × shots` or `ways × queries`.
    pub fn sample<A: Scalar, const S: usize, const Q: usize>(
        &self,
        rng: &mut SplitMix64,
        pool: &[ClassId],
        ways: usize,
        shots: usize,
        queries: usize,
    ) -> Result<(Drawn<S, Q>, Task<A, PIXELS, S, Q, Class>), Error> {
        let drawn = self.draw::<S, Q>(rng, pool, ways, shots, queries)?;

        // 3. The task.
        let mut task = Task::new();
        for (i, &image) in drawn.support_images.iter().enumerate() {
            let label = i / shots;
            task.push_support(self.shot(image, drawn.classes[label], label)?)?;
        }
        for (i, &image) in drawn.query_images.iter().enumerate() {
            let label = i / queries.max(1);
            task.push_query(self.shot(image, drawn.classes[label], label)?)?;
        }
        Ok((drawn, task))
    }

    /// What [`Digits::sample`] draws, without building the task: the classes and the images,
    /// from the same draws of `rng` (so a stream of `draw`s and a stream of `sample`s with
    /// the same arguments pick the same tasks), with the same checks and errors.
    ///
    /// Why: a task of `S + Q` shots holds every input converted, 256 bytes a shot in
    /// Q16.16 (25.6 KB for a 5-way 5-shot task with 75 query images). A device that keeps
    /// the images in flash can draw the indices here, convert only the support shots it
    /// learns from ([`Digits::input`]) and classify the query images one at a time.
    ///
    /// ```
    /// use tinycml::digits::{Digits, Split};
    /// use tinycml::SplitMix64;
    ///
    /// let data = Digits::bundled();
    /// let (mut a, mut b) = (SplitMix64::new(3), SplitMix64::new(3));
    /// for _ in 0..3 {
    ///     let drawn = data.draw::<25, 75>(&mut a, Split::MetaTest.classes(), 5, 5, 15)?;
    ///     let (sampled, _) = data.sample::<f32, 25, 75>(&mut b, Split::MetaTest.classes(), 5, 5, 15)?;
    ///     assert_eq!(drawn, sampled);
    /// }
    /// # Ok::<(), tinycml::Error>(())
    /// ```
    pub fn draw<const S: usize, const Q: usize>(
        &self,
        rng: &mut SplitMix64,
        pool: &[ClassId],
        ways: usize,
        shots: usize,
        queries: usize,
    ) -> Result<Drawn<S, Q>, Error> {
        if ways == 0 || ways > pool.len() {
            return Err(Error::InvalidConfig(
                "ways must be in 1..=the pool's classes",
            ));
        }
        if shots == 0 {
            return Err(Error::InvalidConfig(
                "a task needs at least one shot per class",
            ));
        }
        let per_class = shots + queries;
        if per_class > MAX_PER_CLASS {
            return Err(Error::InvalidConfig("more than 64 images per class"));
        }
        if ways * shots > S {
            return Err(Error::TooManyShots { capacity: S });
        }
        if ways * queries > Q {
            return Err(Error::TooManyShots { capacity: Q });
        }
        let mut classes: Vec<ClassId, CLASSES> = Vec::new();
        for &class in pool {
            if classes.contains(&class) || classes.push(class).is_err() {
                return Err(Error::InvalidConfig("the pool repeats a class"));
            }
            if self.count_of(class) < per_class {
                return Err(Error::InvalidConfig(
                    "a pooled digit has fewer images than shots + queries",
                ));
            }
        }

        // 1. Classes: partial Fisher–Yates over the pool.
        for i in 0..ways {
            let j = i + below(rng, classes.len() - i);
            classes.swap(i, j);
        }
        classes.truncate(ways);

        // 2. Images: per label, a partial Fisher–Yates over the digit's images in file order.
        let mut drawn = Drawn {
            classes,
            support_images: Vec::new(),
            query_images: Vec::new(),
        };
        for &class in &drawn.classes {
            let count = self.count_of(class);
            // Entries of the virtual list that differ from their position: (position, entry).
            let mut moved: Vec<(u16, u16), MAX_PER_CLASS> = Vec::new();
            for i in 0..per_class {
                let j = i + below(rng, count - i);
                let entry = |p: usize| {
                    moved
                        .iter()
                        .find(|&&(q, _)| q as usize == p)
                        .map_or(p as u16, |&(_, e)| e)
                };
                let (at_i, at_j) = (entry(i), entry(j));
                // Entry i is taken now and position i never read again: only j needs storing.
                match moved.iter_mut().find(|(q, _)| *q as usize == j) {
                    Some(slot) => slot.1 = at_i,
                    None => moved
                        .push((j as u16, at_i))
                        .map_err(|_| Error::InvalidConfig("more than 64 images per class"))?,
                }
                let index = self
                    .nth_of_digit(class.digit(), at_j)
                    .ok_or(Error::InvalidConfig("digit counts disagree with the file"))?;
                let list = if i < shots {
                    drawn.support_images.push(index)
                } else {
                    drawn.query_images.push(index)
                };
                // Capacities were checked above.
                list.map_err(|_| Error::TooManyShots { capacity: S.max(Q) })?;
            }
        }
        // Draws are label by label, so both lists are already in the task's order.
        Ok(drawn)
    }

    fn shot<A: Scalar>(
        &self,
        image: u16,
        class: ClassId,
        label: usize,
    ) -> Result<Shot<A, PIXELS, Class>, Error> {
        let x = self
            .input(image as usize, class)
            .ok_or(Error::InvalidConfig("image index beyond the file"))?;
        Shot::new(&x, Class(label as u16))
    }
}

/// `next_u64() % n`, for `n ≥ 1`.
fn below(rng: &mut SplitMix64, n: usize) -> usize {
    (rng.next_u64() % n as u64) as usize
}

/// The held-out set of `shots`-shot tasks (1 or 5; any `shots` gives a set drawn the same
/// way): [`HELDOUT_TASKS`] 5-way tasks with [`QUERY_PER_CLASS`] query images per class from
/// [`Split::MetaTest`], drawn one after the other from `SplitMix64::new(HELDOUT_SEED)`.
///
/// ```
/// use tinycml::digits::{heldout, Digits};
///
/// let data = Digits::bundled();
/// let mut tasks = heldout::<f64, 25, 75>(&data, 5);
/// let (drawn, task) = tasks.next().unwrap()?;
/// assert_eq!(task.support().len(), 25);
/// assert!(drawn.classes.iter().all(|c| c.digit() >= 5));
/// assert_eq!(tasks.count(), 499);
/// # Ok::<(), tinycml::Error>(())
/// ```
pub fn heldout<'d, A: Scalar, const S: usize, const Q: usize>(
    digits: &'d Digits<'d>,
    shots: usize,
) -> impl Iterator<Item = Result<(Drawn<S, Q>, Task<A, PIXELS, S, Q, Class>), Error>> + 'd {
    let mut rng = SplitMix64::new(HELDOUT_SEED);
    (0..HELDOUT_TASKS).map(move |_| {
        digits.sample(
            &mut rng,
            Split::MetaTest.classes(),
            HELDOUT_WAYS,
            shots,
            QUERY_PER_CLASS,
        )
    })
}
