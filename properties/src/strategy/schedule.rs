//! The strategy of schedules: a policy among `fifo`, `random`, `pct` and `pos`, a seed, a level
//! from 1 to 3, PCT's depth, and 0 to 2 injected cancellations.

use aiosim::Level;
use aiosim_sim::policy::{PolicyKind, Schedule};
use proptest::prelude::*;

/// The explored (seeded) policies, and `fifo`.
pub const POLICIES: [PolicyKind; 4] = [
    PolicyKind::Fifo,
    PolicyKind::Random,
    PolicyKind::Pct,
    PolicyKind::Pos,
];

/// The levels of explored schedules (semantics 4.2–4.4).
pub const LEVELS: [Level; 3] = [Level::Ties, Level::Interleave, Level::Timing];

/// A schedule before it meets its graph: [`ScheduleSpec::schedule`] adds the graph's step
/// estimate (the number of handles of its faithful run).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScheduleSpec {
    /// The policy.
    pub policy: PolicyKind,
    /// Its seed (also the injector's).
    pub seed: u64,
    /// The level (ignored by `fifo`).
    pub level: Level,
    /// PCT's bug depth, 1 to 4.
    pub depth: u32,
    /// Cancellations to inject, 0 to 2.
    pub inject_cancels: u32,
}

impl ScheduleSpec {
    /// The schedule, with `steps_hint` (for PCT and injection) set to `steps`.
    pub fn schedule(&self, steps: u64) -> Schedule {
        let mut s = Schedule::new(self.policy, self.seed, self.level);
        s.depth = self.depth;
        s.inject_cancels = self.inject_cancels;
        s.steps_hint = steps.max(1);
        s
    }
}

/// A level from 1 to 3.
pub fn levels() -> impl Strategy<Value = Level> + Clone {
    prop::sample::select(&LEVELS[..])
}

/// Schedules of `policy`.
pub fn schedules_of(policy: PolicyKind) -> impl Strategy<Value = ScheduleSpec> + Clone {
    (any::<u64>(), levels(), 1u32..=4, 0u32..=2).prop_map(
        move |(seed, level, depth, inject_cancels)| ScheduleSpec {
            policy,
            seed,
            level,
            depth,
            inject_cancels,
        },
    )
}

/// Schedules of any of [`POLICIES`].
pub fn schedules() -> impl Strategy<Value = ScheduleSpec> + Clone {
    prop::sample::select(&POLICIES[..]).prop_flat_map(schedules_of)
}
