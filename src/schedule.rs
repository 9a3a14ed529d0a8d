//! The scheduler hook: the choices CPython's loop leaves open, and who makes them.
//!
//! CPython runs each iteration's snapshot front to back ([`Fifo`]). An exploring policy may
//! make other choices, each within a *level* of semantics section 4:
//!
//! ```text
//!  level 1 (Ties)        equal-deadline timers in any order; set-iteration orders (TaskGroup
//!                        abort, shutdown cancels, as_completed registration)
//!  level 2 (Interleave)  + any order of one iteration's batch, keeping each lane in order:
//!                        a task's entries, one future's callbacks (P4), user call_soon (P3)
//!  level 3 (Timing)      + due timers deferred or split across iterations, and time moved on
//!                        to the next deadline while work is still queued (never early, P6)
//! ```
//!
//! Independently of the level, a scheduler may inject cancellations: cancel a pending task
//! between two handles, as a fault nobody wrote. The loop asks only when a choice exists, so
//! [`Fifo`] costs nothing.

use std::rc::Rc;

/// How much of CPython's order a scheduler may change (semantics 4.2–4.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// CPython's order exactly.
    Fifo = 0,
    /// Level 1: what CPython itself leaves open.
    Ties = 1,
    /// Level 2: interleaving of one iteration's ready entries.
    Interleave = 2,
    /// Level 3: timing freedom.
    Timing = 3,
}

/// The ordering lane of a ready entry: entries of one lane always run in queue order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Lane {
    /// A task's step or wakeup (a task has at most one queued, TASK-18).
    Task(u32),
    /// The non-task done-callbacks of one future (P4).
    Future(u32),
    /// `call_soon` handles (P3).
    Soon,
    /// A due timer (its deadline): timers with different deadlines keep deadline order (P6),
    /// equal deadlines are free.
    Timer(u64),
}

/// One entry that may run next, as a scheduler sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// The entry's lane.
    pub lane: Lane,
    /// Position in the FIFO order of the remaining batch (0 = what CPython runs next).
    pub fifo_index: usize,
    /// The task the entry runs or wakes, when there is one: a step or wakeup's task, or the
    /// task sleeping on a `sleep` timer. Filled only for schedulers whose
    /// [`Scheduler::reads_tasks`] is true (explanations); `None` otherwise.
    pub task: Option<u32>,
}

/// A place where CPython iterates a set, so its order is arbitrary (semantics 2.11).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SetSite {
    /// `TaskGroup._abort` cancelling the unfinished children (TG-9).
    GroupAbort,
    /// `asyncio.run`'s shutdown cancelling the leftover tasks (RUN-6).
    ShutdownCancel,
    /// `as_completed` registering its callbacks (ASC-2).
    AsCompletedRegistration,
    /// Level 3: which of the equal-deadline due timers at the cut run now, and which are
    /// deferred (their order is free, LOOP-6).
    DeferredTimers,
}

/// An injected cancellation: cancel this task (by index) with this message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Injection {
    /// The task's index in its loop.
    pub task: u32,
    /// The cancel message.
    pub msg: Option<Rc<str>>,
}

/// Makes the choices of one run. Methods other than [`Scheduler::level`] are called only
/// when their choice exists at the scheduler's level.
pub trait Scheduler {
    /// The scheduler's level; the loop reads it once when the scheduler is installed.
    fn level(&self) -> Level;

    /// Whether [`Scheduler::inject`] should be asked before each handle.
    fn injects(&self) -> bool {
        false
    }

    /// Whether the scheduler reads [`Candidate::task`]; when false the loop leaves it `None`
    /// and saves the lookup (read once, when the scheduler is installed).
    fn reads_tasks(&self) -> bool {
        false
    }

    /// Whether [`Scheduler::pick`] looks at its candidates rather than only at their number
    /// (read at the start of each batch). When false, and [`Scheduler::reads_tasks`] is false
    /// too, the loop keeps no candidate list and asks [`Scheduler::pick_among`] instead.
    fn reads_candidates(&self) -> bool {
        true
    }

    /// Picks the next entry among `eligible` (at least two). Returns an index into `eligible`.
    fn pick(&mut self, iteration: u64, now: u64, eligible: &[Candidate]) -> usize;

    /// Picks the next entry among `count` eligible ones (at least two), for a scheduler that
    /// reads neither candidates nor tasks. Returns an index in the eligible entries' FIFO
    /// order, as [`Scheduler::pick`] would. The default takes CPython's entry.
    fn pick_among(&mut self, _iteration: u64, _now: u64, _count: usize) -> usize {
        0
    }

    /// Picks for several entries of a free batch at once (see [`Scheduler::pick_among`]):
    /// appends to `picks` the choices for the batch's next entries in turn, the `i`-th an
    /// index among `count - i` eligible entries, at most `count - 1` of them. Appending
    /// nothing (the default) leaves the loop asking [`Scheduler::pick_among`] entry by entry.
    ///
    /// The loop takes the picks in order, one per entry, and reports how many it took through
    /// [`Scheduler::picks_taken`] before it calls any other method of the scheduler (and once
    /// the picks are used up, or the batch ends, or a panic leaves the iteration). The picks
    /// not taken are void: a scheduler that answers here must then be in the state it would be
    /// in had it been asked [`Scheduler::pick_among`] for exactly the picks taken, so that
    /// asking ahead changes nothing about a run.
    fn pick_ahead(&mut self, _iteration: u64, _now: u64, _count: usize, _picks: &mut Vec<u32>) {}

    /// The loop took `taken`, a prefix of the picks of the last [`Scheduler::pick_ahead`];
    /// the rest are void.
    fn picks_taken(&mut self, _taken: &[u32]) {}

    /// The order in which a set of `len` items is iterated at `site` (level ≥ 1): a
    /// permutation of `0..len`. The default keeps the pinned order.
    fn order_set(&mut self, _site: SetSite, len: usize) -> Vec<usize> {
        (0..len).collect()
    }

    /// Level 3: of the `due` timers (in heap order), how many enter this iteration; the others
    /// stay in the heap for a later one. When `ready` is 0 the answer is at least 1.
    fn take_due(&mut self, _now: u64, due: usize, _ready: usize) -> usize {
        due
    }

    /// Level 3: whether the clock moves on to the head timer's deadline `next` although
    /// `ready` entries are queued (they then run late).
    fn advance_early(&mut self, _now: u64, _next: u64, _ready: usize) -> bool {
        false
    }

    /// Before a handle runs: a cancellation to inject, chosen among the `pending` tasks.
    fn inject(&mut self, _iteration: u64, _now: u64, _pending: &[u32]) -> Option<Injection> {
        None
    }
}

/// CPython's order.
#[derive(Clone, Copy, Debug, Default)]
pub struct Fifo;

impl Scheduler for Fifo {
    fn level(&self) -> Level {
        Level::Fifo
    }

    fn pick(&mut self, _iteration: u64, _now: u64, _eligible: &[Candidate]) -> usize {
        0
    }
}
