//! Meta-optimisers: turn averaged CML estimates into a new θ, all or nothing.
//!
//! A step first computes every new value (and new optimiser moment) and checks that each one is
//! usable; only then does a second pass write them. A step that would produce NaN, an infinity
//! or a saturated value returns [`Error::MetaUpdateRejected`] and changes nothing. A learned λ
//! is projected into `[λ_min, λ_max]`, which keeps it positive and keeps plain gradient
//! descent stable (it diverges once `λ > 2/lr`; [`crate::Cml::new`] checks `λ_max · lr < 2`).
//! A λ that is not learned ([`Learn::Omega`]) is never touched.

use crate::cml::{Learn, Workspace};
use crate::num::{Precision, Scalar};
use crate::synapse::ComplexSynapse;
use crate::Error;

/// What a meta-step may change, taken from the rule's configuration ([`crate::Cml::bounds`]).
#[derive(Clone, Copy, Debug)]
pub struct Bounds<N: Precision> {
    /// Smallest allowed λ.
    pub lambda_min: N::Param,
    /// Largest allowed λ.
    pub lambda_max: N::Param,
    /// Which halves of θ move.
    pub learn: Learn,
}

/// Sum of per-task estimates over a meta-batch (host or any device with `2P` spare values).
///
/// The sums are kept in the weight format, so in Q8.24 they must stay within ±128: a batch
/// whose sum overflows is refused by the optimisers ([`Error::MetaUpdateRejected`], θ
/// unchanged). The mean itself is formed for any number of tasks.
#[derive(Clone, Debug)]
pub struct MetaGradient<N: Precision, const P: usize> {
    omega: [N::Param; P],
    lambda: [N::Param; P],
    tasks: u32,
}

impl<N: Precision, const P: usize> Default for MetaGradient<N, P> {
    fn default() -> Self {
        Self::new()
    }
}

impl<N: Precision, const P: usize> MetaGradient<N, P> {
    /// An empty batch.
    pub const fn new() -> Self {
        Self {
            omega: [N::Param::ZERO; P],
            lambda: [N::Param::ZERO; P],
            tasks: 0,
        }
    }

    /// Adds the estimate left in `ws` by a successful [`crate::Cml::estimate`].
    pub fn add(&mut self, ws: &Workspace<N, P>) {
        let (g_omega, g_lambda) = ws.meta_gradient();
        for (sum, &g) in self.omega.iter_mut().zip(g_omega) {
            *sum = sum.add(g);
        }
        for (sum, &g) in self.lambda.iter_mut().zip(g_lambda) {
            *sum = sum.add(g);
        }
        self.tasks += 1;
    }

    /// Forgets the batch.
    pub fn clear(&mut self) {
        *self = Self::new();
    }

    /// Tasks added since the last clear.
    pub fn tasks(&self) -> u32 {
        self.tasks
    }

    /// Summed `(ĝ_ω, ĝ_λ)`.
    pub fn sums(&self) -> (&[N::Param; P], &[N::Param; P]) {
        (&self.omega, &self.lambda)
    }
}

/// A meta-optimiser over θ = (ω, λ).
pub trait MetaOptimizer<N: Precision, const P: usize> {
    /// Moves θ along the mean estimate `sum / tasks`, or returns an error and leaves θ (and the
    /// optimiser's own state) untouched.
    fn step(
        &mut self,
        theta: &mut ComplexSynapse<N, P>,
        sum_omega: &[N::Param; P],
        sum_lambda: &[N::Param; P],
        tasks: u32,
        bounds: &Bounds<N>,
    ) -> Result<(), Error>;

    /// Sets the learning rate (for schedules).
    fn set_lr(&mut self, lr: f64) -> Result<(), Error>;
}

fn checked_lr<S: Scalar>(lr: f64) -> Result<S, Error> {
    match S::from_f64(lr) {
        Some(v) if lr > 0.0 && v > S::ZERO => Ok(v),
        _ => Err(Error::InvalidConfig(
            "meta learning rate must be > 0 and representable",
        )),
    }
}

/// Keeps a learned λ in bounds; `None` when a proposal is not usable. A λ that is not learned
/// ([`Learn::Omega`]) is returned as it is, bit for bit: the bounds apply to what the
/// optimiser moves, and a fixed λ outside them is the user's choice.
fn project<N: Precision>(
    omega: N::Param,
    lambda: N::Param,
    bounds: &Bounds<N>,
) -> Option<(N::Param, N::Param)> {
    let lambda = match bounds.learn {
        Learn::Omega => lambda,
        _ => lambda.max(bounds.lambda_min).min(bounds.lambda_max),
    };
    (omega.is_usable() && lambda.is_usable()).then_some((omega, lambda))
}

/// Plain stochastic gradient descent: `θ ← θ − lr · ĝ`. Needs no state: the on-device choice.
#[derive(Clone, Copy, Debug)]
pub struct Sgd<N: Precision> {
    pub(crate) lr: N::Param,
}

impl<N: Precision> Sgd<N> {
    /// SGD with learning rate `lr` > 0.
    pub fn new(lr: f64) -> Result<Self, Error> {
        Ok(Self {
            lr: checked_lr(lr)?,
        })
    }
}

impl<N: Precision, const P: usize> MetaOptimizer<N, P> for Sgd<N> {
    fn step(
        &mut self,
        theta: &mut ComplexSynapse<N, P>,
        sum_omega: &[N::Param; P],
        sum_lambda: &[N::Param; P],
        tasks: u32,
        bounds: &Bounds<N>,
    ) -> Result<(), Error> {
        if tasks == 0 {
            return Err(Error::EmptyMetaBatch);
        }
        let lr = self.lr;
        let descend = |value: N::Param, sum: N::Param, learned: bool| {
            if learned {
                value.sub(lr.mul_div_count(sum, tasks))
            } else {
                value
            }
        };
        // A sum pinned at the rails overflowed the weight format: refuse the batch (as Adam
        // does) rather than step along a clipped mean.
        let propose = |w: N::Param, l: N::Param, gw: N::Param, gl: N::Param| {
            if !(gw.is_usable() && gl.is_usable()) {
                return None;
            }
            project(
                descend(w, gw, bounds.learn != Learn::Lambda),
                descend(l, gl, bounds.learn != Learn::Omega),
                bounds,
            )
        };
        let (omega, lambda) = theta.parts_mut();
        for i in 0..P {
            propose(omega[i], lambda[i], sum_omega[i], sum_lambda[i])
                .ok_or(Error::MetaUpdateRejected)?;
        }
        for i in 0..P {
            if let Some((w, l)) = propose(omega[i], lambda[i], sum_omega[i], sum_lambda[i]) {
                omega[i] = w;
                lambda[i] = l;
            }
        }
        Ok(())
    }

    fn set_lr(&mut self, lr: f64) -> Result<(), Error> {
        self.lr = checked_lr(lr)?;
        Ok(())
    }
}

/// Adam (Kingma and Ba, 2015) on θ, with bias correction.
///
/// By default Adam moves λ itself. [`Adam::log_lambda`] makes it move `ρ = ln λ` instead
/// (`ĝ_ρ = λ ĝ_λ`, then `λ = e^ρ`), the parametrisation the sinusoid recipe uses: steps on λ
/// become relative, so strengths spread over orders of magnitude (1e-4 … 1/lr) without a
/// step ever driving one below zero; the projection into `[λ_min, λ_max]` still applies.
///
/// Its moments are kept in `M` (default `f32`) whatever the learner's format: the second
/// moment `g²` of a typical meta-gradient (~1e-3) is ~1e-6, below what fixed point resolves
/// after the `(1 − β₂)` factor. State: four `P`-sized arrays of `M`.
#[derive(Clone, Debug, PartialEq)]
pub struct Adam<N: Precision, const P: usize, M: Scalar = f32> {
    pub(crate) lr: f64,
    pub(crate) beta1: f64,
    pub(crate) beta2: f64,
    pub(crate) epsilon: f64,
    pub(crate) steps: i32,
    pub(crate) log_lambda: bool,
    pub(crate) m_omega: [M; P],
    pub(crate) v_omega: [M; P],
    pub(crate) m_lambda: [M; P],
    pub(crate) v_lambda: [M; P],
    _format: core::marker::PhantomData<N>,
}

impl<N: Precision, const P: usize, M: Scalar> Adam<N, P, M> {
    /// Adam with learning rate `lr` and the usual β₁ = 0.9, β₂ = 0.999, ε = 1e-8.
    pub fn new(lr: f64) -> Result<Self, Error> {
        checked_lr::<N::Param>(lr)?;
        Ok(Self {
            lr,
            beta1: 0.9,
            beta2: 0.999,
            epsilon: 1e-8,
            steps: 0,
            log_lambda: false,
            m_omega: [M::ZERO; P],
            v_omega: [M::ZERO; P],
            m_lambda: [M::ZERO; P],
            v_lambda: [M::ZERO; P],
            _format: core::marker::PhantomData,
        })
    }

    /// Meta-steps taken so far.
    pub fn steps(&self) -> i32 {
        self.steps
    }

    /// Moves `ρ = ln λ` instead of λ when `on` (see the type's docs). Set it before the first
    /// step: the λ moments are then moments of `ĝ_ρ`.
    pub fn log_lambda(mut self, on: bool) -> Self {
        self.log_lambda = on;
        self
    }
}

impl<N: Precision, const P: usize, M: Scalar> Adam<N, P, M> {
    /// The constants of step `t` (1-based), bias correction included.
    fn constants(&self, t: i32) -> Result<AdamStep<M>, Error> {
        let correction = libm::sqrt(1.0 - libm::pow(self.beta2, t as f64))
            / (1.0 - libm::pow(self.beta1, t as f64));
        let constant = |v: f64| M::from_f64(v).ok_or(Error::MetaUpdateRejected);
        Ok(AdamStep {
            beta1: constant(self.beta1)?,
            beta2: constant(self.beta2)?,
            one_minus_beta1: constant(1.0 - self.beta1)?,
            one_minus_beta2: constant(1.0 - self.beta2)?,
            step_size: constant(self.lr * correction)?,
            epsilon: M::from_f64(self.epsilon)
                .unwrap_or(M::MIN_POSITIVE)
                .max(M::MIN_POSITIVE),
        })
    }
}

/// One Adam element update: new `(value, m, v)`, or `None` if anything is not usable.
#[derive(Clone, Copy)]
struct AdamStep<M> {
    beta1: M,
    beta2: M,
    one_minus_beta1: M,
    one_minus_beta2: M,
    step_size: M,
    epsilon: M,
}

impl<M: Scalar> AdamStep<M> {
    fn apply(&self, value: f64, m: M, v: M, g: M) -> Option<(f64, M, M)> {
        let m = self.beta1.mul(m).add(self.one_minus_beta1.mul(g));
        let v = self.beta2.mul(v).add(self.one_minus_beta2.mul(g.mul(g)));
        let update = self.step_size.mul(m).div(v.sqrt().add(self.epsilon));
        let value = value - update.to_f64();
        (m.is_usable() && v.is_usable() && update.is_usable()).then_some((value, m, v))
    }
}

impl<N: Precision, const P: usize, M: Scalar> MetaOptimizer<N, P> for Adam<N, P, M> {
    fn step(
        &mut self,
        theta: &mut ComplexSynapse<N, P>,
        sum_omega: &[N::Param; P],
        sum_lambda: &[N::Param; P],
        tasks: u32,
        bounds: &Bounds<N>,
    ) -> Result<(), Error> {
        if tasks == 0 {
            return Err(Error::EmptyMetaBatch);
        }
        let n = tasks as f64;
        let t = self.steps.saturating_add(1);
        let adam = self.constants(t)?;
        // A saturated sum means the batch overflowed: refuse it rather than normalise it away.
        let mean = |sum: N::Param| {
            sum.is_usable()
                .then(|| M::from_f64(sum.to_f64() / n))
                .flatten()
        };
        let learn_omega = bounds.learn != Learn::Lambda;
        let learn_lambda = bounds.learn != Learn::Omega;
        // Proposes element i: new ω, λ (in N::Param) and the four moments.
        let propose = |i: usize, state: &Self, w: N::Param, l: N::Param| {
            let (w_new, mw, vw) = if learn_omega {
                adam.apply(
                    w.to_f64(),
                    state.m_omega[i],
                    state.v_omega[i],
                    mean(sum_omega[i])?,
                )?
            } else {
                (w.to_f64(), M::ZERO, M::ZERO)
            };
            let (l_new, ml, vl) = if learn_lambda && state.log_lambda {
                // ρ = ln λ, ĝ_ρ = λ ĝ_λ; λ > 0 always holds for a valid θ.
                let lambda = l.to_f64();
                let g_rho = M::from_f64(lambda * sum_lambda[i].to_f64() / n)?;
                let (rho, ml, vl) = adam.apply(
                    libm::log(lambda),
                    state.m_lambda[i],
                    state.v_lambda[i],
                    g_rho,
                )?;
                (libm::exp(rho), ml, vl)
            } else if learn_lambda {
                adam.apply(
                    l.to_f64(),
                    state.m_lambda[i],
                    state.v_lambda[i],
                    mean(sum_lambda[i])?,
                )?
            } else {
                (l.to_f64(), M::ZERO, M::ZERO)
            };
            let (w_new, l_new) = project(
                N::Param::from_f64(w_new)?,
                N::Param::from_f64(l_new)?,
                bounds,
            )?;
            Some((w_new, l_new, mw, vw, ml, vl))
        };
        for i in 0..P {
            propose(i, self, theta.omega()[i], theta.lambda()[i])
                .ok_or(Error::MetaUpdateRejected)?;
        }
        for i in 0..P {
            if let Some((w, l, mw, vw, ml, vl)) =
                propose(i, self, theta.omega()[i], theta.lambda()[i])
            {
                let (omega, lambda) = theta.parts_mut();
                omega[i] = w;
                lambda[i] = l;
                self.m_omega[i] = mw;
                self.v_omega[i] = vw;
                self.m_lambda[i] = ml;
                self.v_lambda[i] = vl;
            }
        }
        self.steps = t;
        Ok(())
    }

    fn set_lr(&mut self, lr: f64) -> Result<(), Error> {
        checked_lr::<N::Param>(lr)?;
        self.lr = lr;
        Ok(())
    }
}

/// A meta-optimiser over a plain vector of meta-parameters with no bounds: the dual system's
/// body and initial fast state ([`crate::dual`]).
///
/// All or nothing, as [`MetaOptimizer`]: [`VectorOptimizer::check`] proposes every new value
/// without writing, and [`VectorOptimizer::step_vector`] writes only after the same check
/// passed, so a rule that steps two vectors can check both before changing either.
pub trait VectorOptimizer<N: Precision, const P: usize> {
    /// Whether a step of `values` along the mean `sums / tasks` gives usable values;
    /// [`Error::MetaUpdateRejected`] (or [`Error::EmptyMetaBatch`] for no tasks) if not. Changes
    /// nothing.
    fn check(&self, values: &[N::Param; P], sums: &[N::Param; P], tasks: u32) -> Result<(), Error>;

    /// Moves `values` along the mean `sums / tasks`, or returns the error of
    /// [`VectorOptimizer::check`] and changes nothing.
    fn step_vector(
        &mut self,
        values: &mut [N::Param; P],
        sums: &[N::Param; P],
        tasks: u32,
    ) -> Result<(), Error>;

    /// Sets the learning rate (for schedules).
    fn set_vector_lr(&mut self, lr: f64) -> Result<(), Error>;
}

impl<N: Precision> Sgd<N> {
    fn propose(&self, value: N::Param, sum: N::Param, tasks: u32) -> Option<N::Param> {
        let new = value.sub(self.lr.mul_div_count(sum, tasks));
        (sum.is_usable() && new.is_usable()).then_some(new)
    }
}

impl<N: Precision, const P: usize> VectorOptimizer<N, P> for Sgd<N> {
    fn check(&self, values: &[N::Param; P], sums: &[N::Param; P], tasks: u32) -> Result<(), Error> {
        if tasks == 0 {
            return Err(Error::EmptyMetaBatch);
        }
        values
            .iter()
            .zip(sums)
            .try_for_each(|(&v, &g)| self.propose(v, g, tasks).map(|_| ()))
            .ok_or(Error::MetaUpdateRejected)
    }

    fn step_vector(
        &mut self,
        values: &mut [N::Param; P],
        sums: &[N::Param; P],
        tasks: u32,
    ) -> Result<(), Error> {
        VectorOptimizer::check(self, values, sums, tasks)?;
        for (v, &g) in values.iter_mut().zip(sums) {
            if let Some(new) = self.propose(*v, g, tasks) {
                *v = new;
            }
        }
        Ok(())
    }

    fn set_vector_lr(&mut self, lr: f64) -> Result<(), Error> {
        MetaOptimizer::<N, P>::set_lr(self, lr)
    }
}

impl<N: Precision, const P: usize, M: Scalar> Adam<N, P, M> {
    /// Element `i` of a vector step: new value and moments, `None` if anything is unusable.
    fn propose_element(
        &self,
        adam: &AdamStep<M>,
        i: usize,
        value: N::Param,
        sum: N::Param,
        tasks: u32,
    ) -> Option<(N::Param, M, M)> {
        let mean = sum
            .is_usable()
            .then(|| M::from_f64(sum.to_f64() / tasks as f64))
            .flatten()?;
        let (new, m, v) = adam.apply(value.to_f64(), self.m_omega[i], self.v_omega[i], mean)?;
        Some((N::Param::from_f64(new)?, m, v))
    }
}

/// Adam on a plain vector keeps its moments in the ω half of its state (the λ half is unused).
impl<N: Precision, const P: usize, M: Scalar> VectorOptimizer<N, P> for Adam<N, P, M> {
    fn check(&self, values: &[N::Param; P], sums: &[N::Param; P], tasks: u32) -> Result<(), Error> {
        if tasks == 0 {
            return Err(Error::EmptyMetaBatch);
        }
        let adam = self.constants(self.steps.saturating_add(1))?;
        for (i, (&v, &g)) in values.iter().zip(sums).enumerate() {
            self.propose_element(&adam, i, v, g, tasks)
                .ok_or(Error::MetaUpdateRejected)?;
        }
        Ok(())
    }

    fn step_vector(
        &mut self,
        values: &mut [N::Param; P],
        sums: &[N::Param; P],
        tasks: u32,
    ) -> Result<(), Error> {
        VectorOptimizer::check(self, values, sums, tasks)?;
        let t = self.steps.saturating_add(1);
        let adam = self.constants(t)?;
        for (i, (v, &g)) in values.iter_mut().zip(sums).enumerate() {
            if let Some((new, m, second)) = self.propose_element(&adam, i, *v, g, tasks) {
                *v = new;
                self.m_omega[i] = m;
                self.v_omega[i] = second;
            }
        }
        self.steps = t;
        Ok(())
    }

    fn set_vector_lr(&mut self, lr: f64) -> Result<(), Error> {
        MetaOptimizer::<N, P>::set_lr(self, lr)
    }
}
