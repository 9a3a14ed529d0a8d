//! PCT, probabilistic concurrency testing (Burckhardt, Kothari, Musuvathi, Nagarakatte: "A
//! Randomized Scheduler with Probabilistic Guarantees of Finding Bugs", ASPLOS 2010). Level:
//! the schedule's (1–3); its priorities order picks, other points are uniform.
//!
//! The paper runs `n` threads for `k` steps with bug depth `d`: every thread gets a distinct
//! random priority from `d..d+n`, `d − 1` change points are drawn among the `k` steps, the
//! highest-priority enabled thread always runs, and at the `i`-th change point the running
//! thread's priority drops to `i`, below every initial one. How that maps onto the batch model:
//!
//! - A thread is a [`Lane`]: a task (its steps and wakeups), a future's callbacks, the user
//!   `call_soon` queue, or the timers of one deadline. A lane gets a random priority the first
//!   time it is eligible, above every lowered lane (the paper's threads exist from the start;
//!   ours appear as tasks are spawned, as shuttle's PCT handles spawned threads).
//! - A step is a pick: a point where at least two entries are eligible. `k` is
//!   [`super::Schedule::steps_hint`], an estimate of the run's number of picks; steps that
//!   offer no choice are not counted, since no priority can change what they run.
//! - "Enabled" is "eligible in this iteration's batch": a low-priority lane is not starved
//!   until the others block, as in the paper, but runs last within each batch it is part of,
//!   because the runtime keeps CPython's batch boundaries (P7).
//! - At a change point the lane that would run is lowered below *every* other lane, including
//!   those lowered before (the paper gives the `i`-th lowered thread priority `i`, above the
//!   earlier ones); either way the lowered lane runs after every lane that was not lowered.
//! - The timers of one deadline share a lane, so when the top lane has several eligible
//!   entries (equal-deadline timers), one of them is chosen uniformly.
//!
//! The paper's bound (a depth-`d` bug is found with probability at least `1/(n k^(d−1))`)
//! assumes its model; for us it is a guide to choosing `depth` and `steps_hint`, not a promise.

use std::collections::BTreeSet;

use aiosim::Lane;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use rustc_hash::FxHashMap;

use super::random::uniform;
use super::{Point, Policy};

/// Fresh priorities are drawn from `FRESH..=u64::MAX`; lowered lanes get values below it.
const FRESH: u64 = 1 << 32;

/// PCT with a bug depth and an estimate of the run's length in picks.
#[derive(Clone, Debug)]
pub struct Pct {
    rng: ChaCha8Rng,
    /// Every lane seen so far and its priority (larger runs first; ties, which are
    /// improbable, go to the smaller lane).
    priority: FxHashMap<Lane, u64>,
    /// The picks (counted from 0) at which the running lane is lowered: `depth − 1` distinct
    /// values in `0..steps_hint` (fewer if `steps_hint` is smaller).
    change_points: BTreeSet<u64>,
    /// Picks made so far.
    picks: u64,
    /// The next lowered priority; decreases, so each lowered lane is below all others.
    next_low: u64,
}

impl Pct {
    /// PCT for bugs of depth `depth` (at least 1) in runs of about `steps_hint` picks.
    pub fn new(seed: u64, depth: u32, steps_hint: u64) -> Pct {
        let mut rng = super::rng(seed, 0);
        let wanted = u64::from(depth.saturating_sub(1)).min(steps_hint);
        let mut change_points = BTreeSet::new();
        while (change_points.len() as u64) < wanted {
            change_points.insert(rng.random_range(0..steps_hint));
        }
        Pct {
            rng,
            priority: FxHashMap::default(),
            change_points,
            picks: 0,
            next_low: FRESH - 1,
        }
    }

    /// The eligible lane with the highest priority.
    fn top(&self, lanes: impl Iterator<Item = Lane>) -> Lane {
        lanes
            .max_by_key(|lane| (self.priority[lane], std::cmp::Reverse(*lane)))
            .expect("at least two eligible entries")
    }
}

impl Policy for Pct {
    fn choose(&mut self, point: &Point<'_>) -> u32 {
        let Point::Pick { eligible, .. } = *point else {
            return uniform(&mut self.rng, point.options());
        };
        for candidate in eligible {
            let rng = &mut self.rng;
            self.priority
                .entry(candidate.lane)
                .or_insert_with(|| rng.random_range(FRESH..=u64::MAX));
        }
        let lanes = || eligible.iter().map(|c| c.lane);
        let mut top = self.top(lanes());
        if self.change_points.contains(&self.picks) {
            self.priority.insert(top, self.next_low);
            self.next_low -= 1;
            top = self.top(lanes());
        }
        self.picks += 1;
        // The entries of the top lane (several only for timers of one deadline): one of them.
        let of_top = || (0..eligible.len()).filter(|&i| eligible[i].lane == top);
        let k = match of_top().count() {
            1 => 0,
            n => uniform(&mut self.rng, super::count(n)) as usize,
        };
        super::count(of_top().nth(k).expect("k is below the top lane's count"))
    }
}
