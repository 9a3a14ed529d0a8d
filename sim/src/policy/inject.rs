//! Cancellation injection, a decorator over any seeded policy: cancels up to `K` pending tasks
//! at steps drawn from the seed, as faults nobody wrote. Level: independent of the level (the
//! loop asks before every handle whenever the scheduler injects, even at level 0).
//!
//! The `K` steps are drawn up front, uniformly in `0..steps_hint` (a step is a handle run while
//! some task is pending; equal draws merge, hence "up to"). At each of them a pending task is
//! chosen uniformly and cancelled with the message [`INJECTED_MESSAGE`]. Every handle is an
//! inject point of the log (option 0: no cancellation), so the injections are part of the
//! decision list and a replay reproduces them without the seed.

use std::collections::BTreeSet;

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use super::{Point, Policy};

/// The message of an injected cancellation.
pub const INJECTED_MESSAGE: &str = "injected";

/// The most cancellations a sweep injects per run. Each one is a draw made before the run
/// starts, so this bounds that work (equal draws merge: a run never injects at more steps
/// than it has).
pub const MAX_INJECT_CANCELS: u32 = 65_536;

/// Injects cancellations into the run of the policy it wraps.
#[derive(Clone, Debug)]
pub struct InjectCancels<P> {
    inner: P,
    /// Draws the victims; a stream of its own, so the inner policy's draws do not move.
    rng: ChaCha8Rng,
    /// The steps at which a pending task is cancelled.
    steps: BTreeSet<u64>,
}

impl<P: Policy> InjectCancels<P> {
    /// Wraps `inner`, injecting up to `cancels` cancellations among the first `steps_hint`
    /// steps. The steps are kept as drawn, one at a time: their set holds at most
    /// `steps_hint` of them, whatever `cancels` is.
    pub fn new(inner: P, seed: u64, cancels: u32, steps_hint: u64) -> InjectCancels<P> {
        let mut rng = super::rng(seed, 1);
        let mut steps = BTreeSet::new();
        if steps_hint > 0 {
            for _ in 0..cancels {
                steps.insert(rng.random_range(0..steps_hint));
            }
        }
        InjectCancels { inner, rng, steps }
    }
}

impl<P: Policy> Policy for InjectCancels<P> {
    fn choose(&mut self, point: &Point<'_>) -> u32 {
        match *point {
            Point::Inject { step, .. } if self.steps.contains(&step) => match point.options() {
                2 => 1,
                n => self.rng.random_range(1..n),
            },
            Point::Inject { .. } => 0,
            _ => self.inner.choose(point),
        }
    }

    fn reads_candidates(&self) -> bool {
        self.inner.reads_candidates()
    }
}
