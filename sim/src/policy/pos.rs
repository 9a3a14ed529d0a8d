//! POS, partial-order sampling (Yuan, Yang, Gu: "Partial Order Aware Concurrency Sampling",
//! CAV 2018). Level: the schedule's (1–3); its priorities order picks, other points are
//! uniform.
//!
//! The paper gives every enabled event a random priority, always runs the event with the
//! highest one, and after running an event re-samples the priorities of the pending events that
//! race with it. A plain random walk favours schedules in which a lane with many entries runs
//! late; priorities per event make the sampled orders of independent events close to uniform.
//!
//! Here an event is an entry of the iteration's batch. It gets its priority the first time it
//! is eligible and keeps it until it runs; every entry of a batch runs within the iteration,
//! so priorities are dropped when a new iteration starts. Two entries race when they share a
//! task lane or a future lane (asyncio's exact dependence: one task's steps, one future's
//! callbacks). Such entries are never eligible together, since only a lane's first entry is;
//! the entry that follows the one that ran therefore gets a fresh priority when it surfaces,
//! which is the paper's re-sampling. Equal-deadline timers are all eligible together and do not
//! race, so they keep their priorities, tracked by their rank among their lane's eligible
//! entries.
//!
//! Departure from the paper: dependence is the lane relation, not shared memory. Entries of
//! different lanes that touch the same state (two tasks setting one future) count as
//! independent and keep their priorities, where the paper would re-sample them.

use aiosim::Lane;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use rustc_hash::FxHashMap;

use super::random::uniform;
use super::{Point, Policy, count};

/// Partial-order sampling.
#[derive(Clone, Debug)]
pub struct Pos {
    rng: ChaCha8Rng,
    /// The iteration the priorities belong to.
    iteration: u64,
    /// Priority of each entry of the batch seen so far, keyed by its lane and its rank among
    /// that lane's eligible entries (rank > 0 only for equal-deadline timers).
    priority: FxHashMap<(Lane, u32), u64>,
}

impl Pos {
    /// Partial-order sampling from `seed`.
    pub fn new(seed: u64) -> Pos {
        Pos {
            rng: super::rng(seed, 0),
            iteration: 0,
            priority: FxHashMap::default(),
        }
    }

    /// The entry at `rank` in `lane` runs: it leaves, and the lane's later eligible entries
    /// move up one rank.
    fn ran(&mut self, lane: Lane, rank: u32) {
        let mut later: Vec<(u32, u64)> = self
            .priority
            .iter()
            .filter(|&(&(l, r), _)| l == lane && r >= rank)
            .map(|(&(_, r), &p)| (r, p))
            .collect();
        later.sort_unstable();
        for &(r, _) in &later {
            self.priority.remove(&(lane, r));
        }
        debug_assert!(
            later.len() <= 1 || matches!(lane, Lane::Timer(_)),
            "only timers share a lane among eligible entries"
        );
        for (r, p) in later.into_iter().skip(1) {
            self.priority.insert((lane, r - 1), p);
        }
    }
}

impl Policy for Pos {
    fn choose(&mut self, point: &Point<'_>) -> u32 {
        let Point::Pick {
            iteration,
            eligible,
            ..
        } = *point
        else {
            return uniform(&mut self.rng, point.options());
        };
        if iteration != self.iteration {
            self.iteration = iteration;
            self.priority.clear();
        }
        // The highest priority, the entry that has it, and that entry's (lane, rank).
        let mut best: Option<(u64, usize, (Lane, u32))> = None;
        for (i, candidate) in eligible.iter().enumerate() {
            let lane = candidate.lane;
            let rank = count(eligible[..i].iter().filter(|c| c.lane == lane).count());
            let rng = &mut self.rng;
            let p = *self
                .priority
                .entry((lane, rank))
                .or_insert_with(|| rng.random());
            if best.is_none_or(|(top, ..)| p > top) {
                best = Some((p, i, (lane, rank)));
            }
        }
        let (_, chosen, (lane, rank)) = best.expect("at least two eligible entries");
        self.ran(lane, rank);
        count(chosen)
    }
}
