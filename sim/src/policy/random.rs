//! Random walk: every choice uniformly at random from a seeded ChaCha8 generator. Level: the
//! schedule's (1–3); it answers every kind of point the level brings.
//!
//! Randomness is drawn only at points with at least two options (the recorder never asks
//! about the others), so a run's draws depend only on its sequence of real choices. An order
//! of `n` set items is `n - 1` uniform choices of the next item, which makes every
//! permutation equally likely.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use super::{Point, Policy};

/// Uniform choices from a seeded generator.
#[derive(Clone, Debug)]
pub struct Random {
    rng: ChaCha8Rng,
}

impl Random {
    /// A random walk from `seed`.
    pub fn new(seed: u64) -> Random {
        Random {
            rng: super::rng(seed, 0),
        }
    }
}

impl Policy for Random {
    #[inline(always)]
    fn choose(&mut self, point: &Point<'_>) -> u32 {
        uniform(&mut self.rng, point.options())
    }

    fn reads_candidates(&self) -> bool {
        false
    }

    fn uniform_picks(&mut self) -> Option<&mut ChaCha8Rng> {
        Some(&mut self.rng)
    }
}

/// One of `options` options, uniformly (the other policies use it for the points they have
/// no opinion on).
#[inline]
pub(crate) fn uniform(rng: &mut ChaCha8Rng, options: u32) -> u32 {
    debug_assert!(options >= 2, "a choice needs two options");
    rng.random_range(0..options)
}
