//! The digits held-out sets as JSON, and back: what `--dump-heldout PATH` writes, so that
//! other libraries can be measured on exactly the same tasks. `tests/digits.rs` includes this
//! file and checks that a dump reloads bit for bit.
//!
//! The document: `format`, `seed`, `ways`, `query_per_class`, `input` (how an input is
//! made), `classes` (how a class id is made), then `sets`: one per shot count (1, then 5),
//! each with `shots` and `tasks`. A task has `index`, `classes` (per label, in label order:
//! `label`, `id`, `digit`, `rotation_degrees`), and `support` and `query`, each with
//! `images` (indices in `data/digits/digits.bin`, i.e. in scikit-learn's `load_digits()`),
//! `labels` and `inputs` (64 floats per shot).

use serde::{Deserialize, Serialize};
use tinycml::digits::{
    self, ClassId, Digits, Drawn, HELDOUT_SEED, HELDOUT_SHOTS, HELDOUT_WAYS, PIXELS,
    QUERY_PER_CLASS,
};
use tinycml::{Class, Error, Task};

/// Support capacity: 5-way 5-shot.
pub const S: usize = HELDOUT_WAYS * 5;
/// Query capacity: 5 ways × 15.
pub const Q: usize = HELDOUT_WAYS * QUERY_PER_CLASS;

/// One held-out task in f64, as the library draws it.
pub type HeldoutTask = Task<f64, PIXELS, S, Q, Class>;

#[derive(Serialize, Deserialize, Debug, PartialEq)]
pub struct Document {
    pub format: String,
    pub seed: u64,
    pub ways: usize,
    pub query_per_class: usize,
    pub input: String,
    pub classes: String,
    pub sets: Vec<Set>,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
pub struct Set {
    pub shots: usize,
    pub tasks: Vec<JsonTask>,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
pub struct JsonTask {
    pub index: usize,
    pub classes: Vec<JsonClass>,
    pub support: Shots,
    pub query: Shots,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
pub struct JsonClass {
    pub label: u16,
    pub id: u8,
    pub digit: u8,
    pub rotation_degrees: u16,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
pub struct Shots {
    pub images: Vec<u16>,
    pub labels: Vec<u16>,
    pub inputs: Vec<Vec<f64>>,
}

fn shots(images: &[u16], shots: &[tinycml::Shot<f64, PIXELS, Class>]) -> Shots {
    Shots {
        images: images.to_vec(),
        labels: shots.iter().map(|s| s.y.0).collect(),
        inputs: shots.iter().map(|s| s.x.to_vec()).collect(),
    }
}

fn class(label: usize, class: ClassId) -> JsonClass {
    JsonClass {
        label: label as u16,
        id: class.id(),
        digit: class.digit(),
        rotation_degrees: class.degrees(),
    }
}

/// One held-out set: its shot count and its 500 tasks with what was drawn for each.
pub type HeldoutSet = (usize, Vec<(Drawn<S, Q>, HeldoutTask)>);

/// Both held-out sets, drawn by the library.
pub fn sets(data: &Digits) -> Result<Vec<HeldoutSet>, Error> {
    HELDOUT_SHOTS
        .iter()
        .map(|&k| Ok((k, digits::heldout(data, k).collect::<Result<_, _>>()?)))
        .collect()
}

/// The JSON document of both held-out sets.
pub fn document(data: &Digits) -> Result<Document, Error> {
    let sets = sets(data)?
        .into_iter()
        .map(|(k, tasks)| Set {
            shots: k,
            tasks: tasks
                .iter()
                .enumerate()
                .map(|(index, (drawn, task))| JsonTask {
                    index,
                    classes: drawn
                        .classes
                        .iter()
                        .enumerate()
                        .map(|(label, &c)| class(label, c))
                        .collect(),
                    support: shots(&drawn.support_images, task.support()),
                    query: shots(&drawn.query_images, task.query()),
                })
                .collect(),
        })
        .collect();
    Ok(Document {
        format: "tinycml digits held-out v1".into(),
        seed: HELDOUT_SEED,
        ways: HELDOUT_WAYS,
        query_per_class: QUERY_PER_CLASS,
        input: "the image rotated counter-clockwise by rotation_degrees (numpy.rot90), \
                64 pixels row-major from the top-left, each pixel / 16"
            .into(),
        classes: "id = 4 * digit + rotation_degrees / 90; labels 0..ways in the order the \
                  classes were drawn"
            .into(),
        sets,
    })
}

/// Writes the document to `path` (one line of JSON).
pub fn dump(data: &Digits, path: &str) -> Result<usize, String> {
    let document = document(data).map_err(|e| e.to_string())?;
    let text = serde_json::to_string(&document).map_err(|e| e.to_string())?;
    std::fs::write(path, &text).map_err(|e| format!("{path}: {e}"))?;
    Ok(text.len())
}

/// Reads a document written by [`dump`].
#[allow(dead_code)] // used by tests/digits.rs
pub fn load(path: &str) -> Result<Document, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    serde_json::from_str(&text).map_err(|e| format!("{path}: {e}"))
}
