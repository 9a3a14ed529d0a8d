//! The scheduler hook: which ready entry of the current iteration runs next.
//!
//! CPython runs an iteration's snapshot front to back ([`Fifo`]). Exploring policies may run it
//! in another order, within the constraints of semantics section 4: entries of one *lane* keep
//! their relative order (P3: user `call_soon`s; P4: one future's non-task callbacks), and only
//! the entries of one iteration are permuted, so iteration-level latencies are kept. The loop
//! asks the scheduler only when a batch offers a real choice, so [`Fifo`] costs nothing.

/// The ordering lane of a ready entry: entries of one lane must run in queue order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Lane {
    /// A task's step or wakeup (a task has at most one queued, TASK-18).
    Task(u32),
    /// The non-task done-callbacks of one future (P4).
    Future(u32),
    /// User `call_soon` handles (P3).
    Soon,
    /// Timers due in this iteration with this deadline (equal deadlines may be permuted at
    /// level 1; different deadlines keep deadline order, P6).
    Timer(u64),
}

/// One entry of the batch being run, as a scheduler sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// The entry's lane.
    pub lane: Lane,
    /// Position in the FIFO order of the batch (0 = what CPython runs next).
    pub fifo_index: usize,
}

/// Chooses the order of each iteration's batch.
pub trait Scheduler {
    /// True if the scheduler always takes the FIFO order; the loop then never builds
    /// candidate lists.
    fn is_fifo(&self) -> bool {
        false
    }

    /// Picks the next entry to run among `eligible` (the first entry of each lane still in
    /// the batch, in FIFO order; at least two). Returns an index into `eligible`.
    fn pick(&mut self, iteration: u64, now: u64, eligible: &[Candidate]) -> usize;
}

/// CPython's order: front to back.
#[derive(Clone, Copy, Debug, Default)]
pub struct Fifo;

impl Scheduler for Fifo {
    fn is_fifo(&self) -> bool {
        true
    }

    fn pick(&mut self, _iteration: u64, _now: u64, _eligible: &[Candidate]) -> usize {
        0
    }
}
