//! The transfer baseline: train one 20-way classifier (64-32-32-20, ReLU, softmax
//! cross-entropy, f32) on every image of the meta-training classes (digits 0–4 at four
//! rotations; never digits 5–9) by minibatch Adam with a cosine-decayed rate, for the same
//! budget as a meta-learner; keep the body (64-32-32) that validates best. Then, per task:
//!
//! - **new head**: the body frozen, a new 5-way linear head fitted by gradient descent on
//!   the support images' features (multinomial logistic regression from zero weights, an L2
//!   pull to zero of strength `head.decay`; features as they are, each of unit length, or
//!   all of a task scaled by one factor: `head.normalize` 0, 1, 2);
//! - **fine-tune all**: the 64-32-32-5 network made of the body and a head fitted the same
//!   way on features scaled by one factor per task (folded into the head's weights, so the
//!   network starts as exactly that classifier), every weight trained by plain gradient
//!   descent on the support images.
//!
//! Validation, as for the meta-learners: the driver's validation tasks (training classes,
//! their own seed), at evenly spread points of the budget; the criterion is the mean query
//! loss of the new head (frozen body). Every forward and backward pass is the library's.

use crate::args::{Budget, Hyper};
use crate::baselines::{plain_rule, NO_LAMBDA};
use crate::evaluation::par_map;
use crate::net::{DigitTask, Rule, P, Q, S};
use std::time::Instant;
use tinycml::digits::{ClassId, Digits, HELDOUT_WAYS, PIXELS};
use tinycml::loss::add_loss_gradient;
use tinycml::train::{self, ValidationPoint};
use tinycml::*;

/// Features the body gives a head.
pub const FEATURES: usize = 32;
/// Outputs of the pre-trained classifier: one per meta-training class.
pub const WIDE_WAYS: usize = 20;
/// The pre-trained classifier.
pub type Wide = Network<PIXELS, Layer<32, Layer<FEATURES, Layer<WIDE_WAYS>>>>;
pub const WIDE_P: usize = Wide::PARAMS;
/// Its first two layers, ReLU on both: the features.
pub type Body = Network<PIXELS, Layer<32, Layer<FEATURES>>>;
pub const BODY_P: usize = Body::PARAMS;
/// A new 5-way head on the features.
pub type Head = Network<FEATURES, Layer<HELDOUT_WAYS>>;
pub const HEAD_P: usize = Head::PARAMS;
pub type HeadRule = Cml<f32, Head, HEAD_P, SoftmaxCrossEntropy>;
pub type FeatureTask = Task<f32, FEATURES, S, Q, Class>;

const _LAYOUT: () = assert!(BODY_P + HEAD_P == P && BODY_P < WIDE_P);

fn body_model() -> Body {
    Body::from_layers(Layer::new(
        Activation::Relu,
        Layer::new(Activation::Relu, End),
    ))
}

/// The body's features of one image (ReLU outputs of its second layer).
pub fn features(body: &[f32], x: &[f32; PIXELS]) -> [f32; FEATURES] {
    let mut buffers = Default::default();
    let mut sat = Saturations::default();
    <Body as Model<f32>>::forward(&body_model(), body, x, &mut buffers, &mut sat)
}

fn length(h: &[f32; FEATURES]) -> f32 {
    h.iter().map(|v| v * v).sum::<f32>().sqrt()
}

/// How a head sees the features.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Scaling {
    /// As they are.
    Raw,
    /// Each image's features to unit length.
    PerImage,
    /// Every image's features times one factor (1 / the mean length of the support
    /// features): a linear map, so the fitted head folds into the network exactly.
    PerTask,
}

impl Scaling {
    /// From `head.normalize`: 0, 1 or 2.
    pub fn from_setting(value: u8) -> Self {
        match value {
            1 => Scaling::PerImage,
            2 => Scaling::PerTask,
            _ => Scaling::Raw,
        }
    }
}

/// A new head fitted per task on a frozen body; and fine-tuning of everything.
pub struct Transfer {
    body: Vec<f32>,
    head: HeadRule,
    head_decay: f64,
    scaling: Scaling,
    finetune: Rule<f32>,
}

/// What one task gives.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Outcome {
    /// Query accuracy of the new head on the frozen body.
    pub head: f64,
    /// Its mean query cross-entropy.
    pub head_loss: f64,
    /// Query accuracy after fine-tuning every weight (the head's if it diverged).
    pub finetuned: f64,
    /// Whether fitting the head or fine-tuning diverged.
    pub diverged: bool,
}

impl Transfer {
    /// The adapter of a body (its `BODY_P` weights) with the settings of `hyper`.
    pub fn new(body: &[f32], hyper: &Hyper) -> Result<Self, Error> {
        if body.len() != BODY_P {
            return Err(Error::InvalidConfig(
                "the body has the wrong parameter count",
            ));
        }
        let config = Config::default()
            .with_free_steps(hyper.head_steps)
            .with_free_lr(hyper.head_lr)
            .with_nudged_steps(1)
            .with_nudged_lr(hyper.head_lr)
            .with_learn(Learn::Omega)
            .with_lambda_min(NO_LAMBDA / 2.0)
            .with_lambda_max(1e3);
        Ok(Self {
            body: body.to_vec(),
            head: HeadRule::with_loss(Head::new(Activation::Relu), SoftmaxCrossEntropy, config)?,
            head_decay: hyper.head_decay.max(NO_LAMBDA),
            scaling: Scaling::from_setting(hyper.head_normalize),
            finetune: plain_rule(hyper.finetune_steps, hyper.finetune_lr)?,
        })
    }

    /// The task with each image replaced by its features, scaled as `scaling` says; and
    /// the factor a per-task scaling used (1 otherwise).
    pub fn feature_task(
        &self,
        task: &DigitTask<f32>,
        scaling: Scaling,
    ) -> Result<(FeatureTask, f32), Error> {
        let of = |shots: &[Shot<f32, PIXELS, Class>]| -> Vec<([f32; FEATURES], Class)> {
            shots
                .iter()
                .map(|s| (features(&self.body, &s.x), s.y))
                .collect()
        };
        let (mut support, mut query) = (of(task.support()), of(task.query()));
        let mut factor = 1.0;
        match scaling {
            Scaling::Raw => {}
            Scaling::PerImage => {
                for (h, _) in support.iter_mut().chain(query.iter_mut()) {
                    let n = length(h);
                    if n > 0.0 {
                        h.iter_mut().for_each(|v| *v /= n);
                    }
                }
            }
            Scaling::PerTask => {
                let mean = support.iter().map(|(h, _)| length(h)).sum::<f32>()
                    / support.len().max(1) as f32;
                if mean > 0.0 {
                    factor = 1.0 / mean;
                }
                for (h, _) in support.iter_mut().chain(query.iter_mut()) {
                    h.iter_mut().for_each(|v| *v *= factor);
                }
            }
        }
        let shots = |all: Vec<([f32; FEATURES], Class)>| {
            all.into_iter()
                .map(|(h, y)| Shot::new(&h, y))
                .collect::<Result<Vec<_>, _>>()
        };
        Ok((Task::from_shots(&shots(support)?, &shots(query)?)?, factor))
    }

    /// Logistic regression on the support shots of a feature task: gradient descent from
    /// zero weights with an L2 pull to zero (the complex synapse with ω = 0, λ = decay).
    pub fn fit_head(&self, task: &FeatureTask) -> Result<Box<[f32; HEAD_P]>, Error> {
        let theta =
            ComplexSynapse::<f32, HEAD_P>::with_uniform_lambda([0.0; HEAD_P], self.head_decay)?;
        let mut phi = Box::new([0.0f32; HEAD_P]);
        let mut grad = Box::new([0.0f32; HEAD_P]);
        self.head.adapt(&theta, task, None, &mut phi, &mut grad)?;
        Ok(phi)
    }

    /// The labels the new head (frozen body) gives a task's query images; `None` if
    /// fitting it failed.
    pub fn head_labels(&self, task: &DigitTask<f32>) -> Option<Vec<usize>> {
        let (t, _) = self.feature_task(task, self.scaling).ok()?;
        let phi = self.fit_head(&t).ok()?;
        Some(
            t.query()
                .iter()
                .map(|s| loss::argmax(self.head.predict_act(&phi, &s.x).as_ref()))
                .collect(),
        )
    }

    /// The new head's query accuracy and loss on a task (a head that diverged: 0 weights).
    fn head_only(&self, task: &DigitTask<f32>) -> (f64, f64, bool) {
        let fitted = self
            .feature_task(task, self.scaling)
            .and_then(|(t, _)| Ok((self.fit_head(&t)?, t)));
        match fitted {
            Ok((phi, t)) => {
                let mut sat = Saturations::default();
                let accuracy = self.head.query_accuracy(&phi, &t).unwrap_or(0.0);
                let loss = self.head.query_loss(&phi, &t, &mut sat) as f64;
                (accuracy, loss, false)
            }
            Err(_) => (1.0 / HELDOUT_WAYS as f64, (HELDOUT_WAYS as f64).ln(), true),
        }
    }

    /// Both variants on one task.
    pub fn evaluate(&self, task: &DigitTask<f32>) -> Outcome {
        let (head, head_loss, mut diverged) = self.head_only(task);
        // Fine-tuning starts from a head fitted on features scaled per task, the factor
        // folded into its weights: exactly the same classifier, as a 64-32-32-5 network.
        let start = self
            .feature_task(task, Scaling::PerTask)
            .and_then(|(t, factor)| Ok((self.fit_head(&t)?, factor)))
            .and_then(|(h, factor)| {
                let mut omega = Box::new([0.0f32; P]);
                omega[..BODY_P].copy_from_slice(&self.body);
                omega[BODY_P..].copy_from_slice(&h[..]);
                // The head's weights (column-major, then its biases) take the factor.
                omega[BODY_P..BODY_P + FEATURES * HELDOUT_WAYS]
                    .iter_mut()
                    .for_each(|w| *w *= factor);
                ComplexSynapse::<f32, P>::with_uniform_lambda(*omega, NO_LAMBDA)
            });
        let mut phi = Box::new([0.0f32; P]);
        let mut grad = Box::new([0.0f32; P]);
        let finetuned = match start {
            Ok(theta) => match self.finetune.adapt(&theta, task, None, &mut phi, &mut grad) {
                Ok(_) => self.finetune.query_accuracy(&phi, task),
                Err(_) => {
                    diverged = true;
                    self.finetune.query_accuracy(theta.omega(), task)
                }
            },
            Err(_) => {
                diverged = true;
                None
            }
        };
        Outcome {
            head,
            head_loss,
            finetuned: finetuned.unwrap_or(head),
            diverged,
        }
    }
}

/// What pre-training produced.
pub struct Pretrained {
    /// The body that validated best.
    pub body: Vec<f32>,
    /// Every validation (mean query loss of a new head on the validation tasks).
    pub curve: Vec<ValidationPoint>,
    pub initial_validation_loss: f64,
    pub best_validation_loss: f64,
    /// Minibatch steps.
    pub iterations: u64,
    pub seconds: f64,
    /// Training images (every image of the pooled classes, each class at its rotation).
    pub images: usize,
}

/// Every image of the pooled classes, labelled by the class's index in the pool.
pub fn training_images(
    data: &Digits,
    pool: &[ClassId],
) -> Result<Vec<Shot<f32, PIXELS, Class>>, Error> {
    let mut shots = Vec::new();
    for index in 0..data.len() {
        let Some((_, digit)) = data.image(index) else {
            continue;
        };
        for (label, &class) in pool.iter().enumerate() {
            if class.digit() == digit {
                let x = data
                    .input(index, class)
                    .ok_or(Error::InvalidConfig("image index beyond the file"))?;
                shots.push(Shot::new(&x, Class(label as u16))?);
            }
        }
    }
    Ok(shots)
}

/// Pre-trains the 20-way classifier on the images of `pool` (at most 20 classes) for
/// `budget`, validating a new head on `validation` at `points` evenly spread points.
#[allow(clippy::too_many_arguments)]
pub fn pretrain(
    data: &Digits,
    pool: &[ClassId],
    validation: &[DigitTask<f32>],
    hyper: &Hyper,
    seed: u64,
    budget: Budget,
    threads: usize,
    points: u32,
) -> Result<Pretrained, Error> {
    if pool.len() > WIDE_WAYS {
        return Err(Error::InvalidConfig("more than 20 pre-training classes"));
    }
    let images = training_images(data, pool)?;
    let wide = Wide::new(Activation::Relu);
    let mut params: Vec<f32> =
        train::initial_theta::<f32, Wide, WIDE_P>(&wide, &mut SplitMix64::new(seed), 1.0)?
            .omega()
            .to_vec();
    let (mut m, mut v) = (vec![0.0f64; WIDE_P], vec![0.0f64; WIDE_P]);
    let (beta1, beta2) = (0.9f64, 0.999f64);
    let mut rng = SplitMix64::new(seed ^ 0x7472_616E_7366_6572);
    let mut order: Vec<usize> = (0..images.len()).collect();
    let mut at = order.len();
    let batch_size = hyper.transfer_batch.min(images.len()).max(1);
    let mut batch: Vec<Shot<f32, PIXELS, Class>> = Vec::with_capacity(batch_size);

    let validate = |body: &[f32]| -> Result<f64, Error> {
        let transfer = Transfer::new(body, hyper)?;
        let losses = par_map(validation, threads, |task| transfer.head_only(task).1);
        Ok(losses.iter().sum::<f64>() / losses.len().max(1) as f64)
    };
    let start = Instant::now();
    let used = |seconds: f64, steps: u64| {
        let by_time = budget.seconds.map_or(0.0, |b| seconds / b);
        let by_count = budget.iterations.map_or(0.0, |b| steps as f64 / b as f64);
        by_time.max(by_count)
    };
    let interval = 1.0 / points.max(1) as f64;
    let mut next_validation = 0.0;
    let mut curve = Vec::new();
    let mut best = (f64::INFINITY, params[..BODY_P].to_vec());
    let mut step = 0u64;
    loop {
        let elapsed = start.elapsed().as_secs_f64();
        let progress = used(elapsed, step);
        let done = progress >= 1.0;
        if done || progress >= next_validation {
            let loss = validate(&params[..BODY_P])?;
            curve.push(ValidationPoint {
                seconds: elapsed,
                iteration: step,
                loss,
                diverged: 0,
            });
            if loss < best.0 {
                best = (loss, params[..BODY_P].to_vec());
            }
            eprintln!(
                "[{:<11}] {elapsed:>7.1} s  iteration {step:>6}  validation loss {loss:.4}",
                "transfer"
            );
            next_validation += interval;
        }
        if done {
            break;
        }
        // A minibatch without replacement, reshuffled every epoch.
        batch.clear();
        while batch.len() < batch_size {
            if at == order.len() {
                for i in 0..order.len() {
                    let j = i + (rng.next_u64() % (order.len() - i) as u64) as usize;
                    order.swap(i, j);
                }
                at = 0;
            }
            batch.push(images[order[at]]);
            at += 1;
        }
        let per_thread = batch.len().div_ceil(threads.max(1));
        let partial = |shots: &[Shot<f32, PIXELS, Class>]| {
            let mut grad = vec![0.0f32; WIDE_P];
            let mut sat = Saturations::default();
            let weight = shots.len() as f32 / batch.len() as f32;
            add_loss_gradient::<f32, _, _, _, PIXELS>(
                &wide,
                &SoftmaxCrossEntropy,
                &params,
                shots,
                weight,
                &mut grad,
                &mut sat,
            );
            grad
        };
        let grads: Vec<Vec<f32>> = if threads <= 1 {
            vec![partial(&batch)]
        } else {
            std::thread::scope(|scope| {
                let handles: Vec<_> = batch
                    .chunks(per_thread)
                    .map(|chunk| scope.spawn(move || partial(chunk)))
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                    .collect()
            })
        };
        let lr = train::Schedule::Cosine.rate(hyper.transfer_lr, progress);
        step += 1;
        let (c1, c2) = (1.0 - beta1.powi(step as i32), 1.0 - beta2.powi(step as i32));
        for i in 0..WIDE_P {
            let g = grads.iter().map(|g| g[i] as f64).sum::<f64>()
                + hyper.transfer_decay * params[i] as f64;
            m[i] = beta1 * m[i] + (1.0 - beta1) * g;
            v[i] = beta2 * v[i] + (1.0 - beta2) * g * g;
            params[i] -= (lr * (m[i] / c1) / ((v[i] / c2).sqrt() + 1e-8)) as f32;
        }
    }
    Ok(Pretrained {
        initial_validation_loss: curve.first().map_or(f64::NAN, |c| c.loss),
        best_validation_loss: best.0,
        body: best.1,
        curve,
        iterations: step,
        seconds: start.elapsed().as_secs_f64(),
        images: images.len(),
    })
}

/// Per task of `tasks`: both variants, spread over `threads` threads.
pub fn evaluate(transfer: &Transfer, tasks: &[DigitTask<f32>], threads: usize) -> Vec<Outcome> {
    par_map(tasks, threads, |task| transfer.evaluate(task))
}
