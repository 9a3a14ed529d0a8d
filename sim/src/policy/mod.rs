//! Scheduling policies: who makes the choices the runtime leaves open (see
//! [`aiosim::Scheduler`] and semantics section 4), and how a run's choices are recorded so that
//! the run can be replayed exactly.
//!
//! ```text
//!   aiosim loop ──pick / order_set / take_due / advance_early / inject──► Recording
//!                                                                           │ one Point per
//!                                                                           │ choice with ≥ 2
//!                                                                           ▼ options
//!   decision log ◄─ Decision {kind, options, chosen} ──────────────── Policy::choose
//!                                                        (Fifo, Random, Pct, Pos, Replay,
//!                                                         optionally under InjectCancels)
//! ```
//!
//! Every choice the runtime offers becomes one or more [`Point`]s: a kind, a number of options
//! and the context a policy may use. Option 0 is always what CPython does, so a decision list
//! of zeros is the faithful schedule and [`deviations`] counts how far a schedule is from it.
//! A policy is one small trait, [`Policy`]; [`Recording`] turns it into an
//! [`aiosim::Scheduler`], appends every [`Decision`] to the run's log (read through a
//! [`DecisionLogHandle`]), and keeps the bounds that every policy shares (how long a due timer
//! may be deferred). A [`Schedule`]
//! (policy, seed, level, options and the decision list) is what a failure report carries;
//! [`PolicyKind::Replay`] reproduces it choice for choice, and [`explore`] enumerates every
//! decision list of a small scenario.
//!
//! Typical use, with the interpreter:
//!
//! ```
//! use std::sync::Arc;
//! use aiosim::Level;
//! use aiosim_sim::interp::{RunOptions, run_graph};
//! use aiosim_sim::policy::{PolicyKind, Schedule, scheduler_for};
//!
//! let graph = aiosim_sim::graph::parse_graph(br#"{"format": "aiosim-graph/1", "name": "two",
//!     "main": "main", "tasks": {"main": [{"spawn": "a"}, {"spawn": "b"}, {"sleep": 1}],
//!     "a": [{"sleep": 0}], "b": [{"sleep": 0}]}}"#).unwrap();
//! let graph = Arc::new(graph);
//!
//! let schedule = Schedule::new(PolicyKind::Random, 7, Level::Interleave);
//! let (scheduler, log) = scheduler_for(&schedule);
//! let mut options = RunOptions::default();
//! options.scheduler = Some(scheduler);
//! let first = run_graph(graph.clone(), options);
//!
//! // The recorded decisions replay the run exactly.
//! let replay = schedule.replaying(log.decisions());
//! let (scheduler, replay_log) = scheduler_for(&replay);
//! let mut options = RunOptions::default();
//! options.scheduler = Some(scheduler);
//! let second = run_graph(graph, options);
//! assert_eq!(first.trace, second.trace);
//! assert!(replay_log.divergence().is_none());
//! ```

mod exhaustive;
mod fifo;
mod fuzzed;
mod inject;
mod pct;
mod pos;
mod random;
mod record;
mod replay;
mod schedule;
mod spare;

use aiosim::{Candidate, Level, Scheduler, SetSite};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

pub use exhaustive::{Coverage, explore};
pub use fifo::Fifo;
pub use fuzzed::Fuzzed;
pub use inject::{INJECTED_MESSAGE, InjectCancels, MAX_INJECT_CANCELS};
pub use pct::Pct;
pub use pos::Pos;
pub use random::Random;
pub use record::{DecisionLogHandle, Divergence, MAX_DEFERRALS, Recording};
pub use replay::Replay;
pub(crate) use schedule::whole;
pub use schedule::{PolicyKind, Schedule, decode_decisions, encode_decisions};

/// Makes the choices of one run, one [`Point`] at a time.
pub trait Policy {
    /// Chooses one of `point.options()` options (always at least two); 0 is CPython's choice.
    fn choose(&mut self, point: &Point<'_>) -> u32;

    /// Whether [`Policy::choose`] looks at the candidates of a [`Point::Pick`]. When false,
    /// [`Recording`] asks the loop only for their number and gives an empty `eligible`.
    fn reads_candidates(&self) -> bool {
        true
    }

    /// For a policy whose every choice of a [`Point::Pick`] without candidates is one uniform
    /// draw from one generator (as [`Random`] draws), and which changes no other state when it
    /// makes one: that generator. [`Recording`] then makes a free batch's picks ahead with it
    /// (see [`aiosim::Scheduler::pick_ahead`]), and winds it back to where the picks taken
    /// left it. `None` (the default) for every other policy.
    fn uniform_picks(&mut self) -> Option<&mut ChaCha8Rng> {
        None
    }
}

impl<P: Policy + ?Sized> Policy for Box<P> {
    fn choose(&mut self, point: &Point<'_>) -> u32 {
        (**self).choose(point)
    }

    fn reads_candidates(&self) -> bool {
        (**self).reads_candidates()
    }

    fn uniform_picks(&mut self) -> Option<&mut ChaCha8Rng> {
        (**self).uniform_picks()
    }
}

/// A choice point: what is being decided, with the context a policy may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Point<'a> {
    /// Which eligible ready entry runs next; option `i` is the `i`-th eligible entry in FIFO
    /// order (`eligible[i]` when the candidates are given).
    Pick {
        /// The loop iteration.
        iteration: u64,
        /// Virtual time.
        now: u64,
        /// How many entries may run next.
        count: u32,
        /// The entries that may run next (index 0 is CPython's): `count` of them, or none when
        /// the policy does not read them ([`Policy::reads_candidates`]).
        eligible: &'a [Candidate],
    },
    /// One step of a set iteration's order: which of the `remaining` items, in their pinned
    /// order, comes next (a whole order of `n` items is `n - 1` such points).
    Set {
        /// Where the set is iterated.
        site: SetSite,
        /// Items not placed yet.
        remaining: u32,
    },
    /// How many due timers to leave in the heap for a later iteration: option `i` defers the
    /// last `i` of the `due` timers in heap order.
    Due {
        /// Virtual time.
        now: u64,
        /// Timers due now.
        due: u32,
        /// Entries already queued; when 0, at least one timer must enter.
        ready: u32,
    },
    /// Whether the clock moves on to `next` although work is queued (option 1).
    Early {
        /// Virtual time.
        now: u64,
        /// The head timer's deadline.
        next: u64,
        /// Entries queued.
        ready: u32,
    },
    /// Before handle number `step`: option 0 injects nothing, option `i` cancels
    /// `pending[i - 1]`.
    Inject {
        /// How many handles ran before this one (counting those with a pending task).
        step: u64,
        /// The tasks not done yet, by runtime index.
        pending: &'a [u32],
    },
}

impl Point<'_> {
    /// The kind of choice.
    pub fn kind(&self) -> ChoiceKind {
        match self {
            Point::Pick { .. } => ChoiceKind::Pick,
            Point::Set { .. } => ChoiceKind::Set,
            Point::Due { .. } => ChoiceKind::Due,
            Point::Early { .. } => ChoiceKind::Early,
            Point::Inject { .. } => ChoiceKind::Inject,
        }
    }

    /// How many options there are.
    pub fn options(&self) -> u32 {
        match *self {
            Point::Pick { count, .. } => count,
            Point::Set { remaining, .. } => remaining,
            Point::Due { due, ready, .. } => due + u32::from(ready > 0),
            Point::Early { .. } => 2,
            Point::Inject { pending, .. } => count(pending.len()) + 1,
        }
    }

    /// The kind and option count, as a [`Decision`] records them.
    pub fn shape(&self) -> ChoicePoint {
        ChoicePoint {
            kind: self.kind(),
            options: self.options(),
        }
    }
}

/// What kind of choice a decision made. Each has a one-letter code in the compact encoding
/// of [`Schedule::decisions`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChoiceKind {
    /// `p`: which eligible ready entry runs next ([`aiosim::Scheduler::pick`]).
    Pick,
    /// `s`: one step of a set iteration's order ([`aiosim::Scheduler::order_set`]).
    Set,
    /// `d`: how many due timers to defer ([`aiosim::Scheduler::take_due`], level 3).
    Due,
    /// `e`: whether time moves on early ([`aiosim::Scheduler::advance_early`], level 3).
    Early,
    /// `i`: whether to cancel a pending task before a handle ([`aiosim::Scheduler::inject`]).
    Inject,
}

impl ChoiceKind {
    /// The kind's letter in the compact encoding.
    pub const fn code(self) -> char {
        match self {
            ChoiceKind::Pick => 'p',
            ChoiceKind::Set => 's',
            ChoiceKind::Due => 'd',
            ChoiceKind::Early => 'e',
            ChoiceKind::Inject => 'i',
        }
    }

    /// The kind written as `code`, if any.
    pub fn from_code(code: char) -> Option<ChoiceKind> {
        [
            ChoiceKind::Pick,
            ChoiceKind::Set,
            ChoiceKind::Due,
            ChoiceKind::Early,
            ChoiceKind::Inject,
        ]
        .into_iter()
        .find(|k| k.code() == code)
    }
}

/// The shape of a choice point: its kind and how many options it had.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ChoicePoint {
    /// The kind of choice.
    pub kind: ChoiceKind,
    /// How many options there were (at least two).
    pub options: u32,
}

impl std::fmt::Display for ChoicePoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}{}", self.kind.code(), self.options)
    }
}

/// One choice made during a run.
///
/// Invariant: `chosen < options`, and `options >= 2` (points with one option are not
/// recorded).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Decision {
    /// The kind of choice point.
    pub kind: ChoiceKind,
    /// How many options there were.
    pub options: u32,
    /// The option taken (0 = what CPython does).
    pub chosen: u32,
}

impl Decision {
    /// The choice point this decision was made at.
    pub fn point(&self) -> ChoicePoint {
        ChoicePoint {
            kind: self.kind,
            options: self.options,
        }
    }
}

/// `p3=1` for "pick among 3, took option 1"; the `=0` of CPython's choice is left out (`p3`).
impl std::fmt::Display for Decision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.point())?;
        if self.chosen != 0 {
            write!(f, "={}", self.chosen)?;
        }
        Ok(())
    }
}

/// How many decisions deviate from CPython's order (`chosen != 0`): what the shrinker
/// minimises.
pub fn deviations(decisions: &[Decision]) -> usize {
    decisions.iter().filter(|d| d.chosen != 0).count()
}

/// Builds the scheduler a schedule describes, recording into a fresh log that the caller
/// keeps while the scheduler is installed in the loop.
///
/// `Fifo` runs at level 0 whatever `schedule.level` says. `Replay` and `Exhaustive` follow
/// `schedule.decisions` and then take option 0; they inject iff the decisions contain an
/// inject point (`Replay`) or `inject_cancels > 0` (`Exhaustive`, which enumerates the
/// injections itself). The seeded policies are wrapped in [`InjectCancels`] when
/// `inject_cancels > 0`.
pub fn scheduler_for(schedule: &Schedule) -> (Box<dyn Scheduler>, DecisionLogHandle) {
    let log = DecisionLogHandle::default();
    let seed = schedule.seed;
    let scheduler = match schedule.policy {
        PolicyKind::Replay | PolicyKind::Exhaustive => {
            log.expect(schedule.decisions.clone());
            let injects = match schedule.policy {
                PolicyKind::Replay => schedule
                    .decisions
                    .iter()
                    .any(|d| d.kind == ChoiceKind::Inject),
                _ => schedule.inject_cancels > 0,
            };
            recording(Replay::new(log.clone()), schedule.level, injects, &log)
        }
        PolicyKind::Random => seeded(Random::new(seed), schedule, &log),
        PolicyKind::Pct => seeded(
            Pct::new(seed, schedule.depth, schedule.steps_hint),
            schedule,
            &log,
        ),
        PolicyKind::Pos => seeded(Pos::new(seed), schedule, &log),
        PolicyKind::Fifo => seeded(Fifo, schedule, &log),
    };
    (scheduler, log)
}

/// The scheduler of a seeded policy: wrapped in [`InjectCancels`] when the schedule injects.
fn seeded<P: Policy + 'static>(
    policy: P,
    schedule: &Schedule,
    log: &DecisionLogHandle,
) -> Box<dyn Scheduler> {
    let level = schedule.run_level();
    match schedule.inject_cancels {
        0 => recording(policy, level, false, log),
        k => {
            let injecting = InjectCancels::new(policy, schedule.seed, k, schedule.steps_hint);
            recording(injecting, level, true, log)
        }
    }
}

/// `policy` recording into `log`, as a boxed scheduler (the policy's type is kept, so that its
/// calls are direct).
fn recording<P: Policy + 'static>(
    policy: P,
    level: Level,
    injects: bool,
    log: &DecisionLogHandle,
) -> Box<dyn Scheduler> {
    Box::new(Recording::new(policy, level, injects, log.clone()))
}

/// The generator of one seeded stream: stream 0 is the policy's, stream 1 the injector's, so
/// turning injection on does not change the draws a policy makes for the same choice points.
fn rng(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    rng
}

/// A length as an option count (choice points never come near `u32::MAX` options).
fn count(len: usize) -> u32 {
    u32::try_from(len).expect("fewer than 2^32 options")
}
