//! The ready batch of one iteration, when a scheduler may reorder it (level ≥ 1).
//!
//! Which entries may run next is decided by their lanes ([`Lane`]):
//!
//! ```text
//!   chain lanes  (a future's callbacks P4, call_soon P3): only the oldest untaken entry
//!   task lanes   (a task has at most one queued entry, TASK-18): always eligible
//!   timers       (a sorted suffix of the batch): the group with the earliest deadline
//!                (different deadlines keep deadline order, P6)
//!   level 1      every non-timer entry is one chain ahead of the timers, so the only
//!                choice is among equal-deadline timers
//! ```
//!
//! At the start of a batch its entries, the whole ready queue, leave the queue (entries queued
//! while it runs wait for the next iteration, LOOP-2). It is then run one of two ways, with
//! the same choices:
//!
//! - **Free** (level ≥ 2, a scheduler that reads neither candidates nor tasks, so is asked
//!   `Scheduler::pick_among`): when no chain lane holds two of the batch's entries and its
//!   timers share one deadline ([`free`]), every untaken entry is eligible until the batch
//!   ends. The `k`-th eligible entry is then the `k`-th untaken one in queue order
//!   ([`untaken`]), and nothing else is kept.
//! - **Tracked** (any other batch, [`tracked`]): the eligible entries are kept up to date as
//!   entries are taken.
//!
//! A free batch's picks may come several at a time, made ahead by the scheduler ([`ahead`]).

mod ahead;
mod free;
mod tracked;
mod untaken;

use crate::core::{Core, DoneCb, Entry, TimerSlot};
use crate::queued::Queued;
use crate::schedule::{Lane, Level};

/// The batch in progress. Buffers are kept across iterations and loops.
pub(crate) struct Batch {
    /// Untaken entries of the batch in progress (0: no batch).
    left: usize,
    /// Whether the batch in progress is free (see the module documentation).
    free: bool,
    /// Finds out whether a batch being started is free.
    free_check: free::FreeCheck,
    /// A tracked batch's entries in queue order, `None` once taken.
    entries: Vec<Option<Entry>>,
    /// A free batch's untaken entries.
    untaken: untaken::Untaken,
    /// The state of a tracked batch.
    tracked: tracked::Tracked,
    /// A free batch's picks made ahead.
    ahead: ahead::Ahead,
}

impl Batch {
    /// An empty batch (usable in constant initialisers).
    pub(crate) const fn new() -> Batch {
        Batch {
            left: 0,
            free: false,
            free_check: free::FreeCheck::new(),
            entries: Vec::new(),
            untaken: untaken::Untaken::new(),
            tracked: tracked::Tracked::new(),
            ahead: ahead::Ahead::new(),
        }
    }

    /// Forgets any batch in progress, keeping the buffers' capacity.
    pub(crate) fn clear(&mut self) {
        self.left = 0;
        self.free = false;
        self.entries.clear();
        self.untaken.clear();
        self.tracked.clear();
        self.ahead.clear();
    }

    /// Whether a batch is in progress.
    #[inline]
    pub(crate) fn is_active(&self) -> bool {
        self.left > 0
    }
}

impl Core {
    /// Starts a batch of the `len` ready entries (the whole queue): they leave the queue.
    pub(crate) fn begin_batch(&mut self, len: usize) {
        // Entries queued while the batch runs wait for the next one, so it starts with all.
        assert_eq!(len, self.ready.len(), "a batch is the whole ready queue");
        // Entry indices are u32, and the tracked batch reserves u32::MAX.
        assert!(
            len < u32::MAX as usize,
            "a batch has fewer than 2^32 - 1 entries"
        );
        let counts_only = !self.reads_tasks
            && self
                .scheduler
                .as_ref()
                .is_some_and(|s| !s.reads_candidates());
        let Core {
            batch: b,
            ready,
            timers,
            level,
            ..
        } = self;
        b.left = len;
        b.free = counts_only
            && *level >= Level::Interleave
            && len <= untaken::MAX_LEN
            && b.free_check.is_free(timers, ready.as_slice());
        if b.free {
            b.untaken.fill(ready);
            b.ahead.begin();
        } else {
            b.entries.clear();
            b.entries.extend(ready.drain().map(|q| Some(q.entry())));
            self.begin_tracked(!counts_only);
        }
    }

    /// Takes the next entry of the batch: the scheduler's pick when there is a choice.
    pub(crate) fn next_batch_entry(&mut self) -> Queued {
        let count = self.batch.left;
        self.batch.left -= 1;
        if !self.batch.free {
            return Queued::pack(self.next_tracked());
        }
        let choice = if count > 1 {
            let pick = match self.batch.ahead.next() {
                Some(pick) => pick as usize,
                None => self.pick_free(count),
            };
            pick.min(count - 1)
        } else {
            0
        };
        let queued = self.batch.untaken.take(choice);
        if count == 1 {
            self.settle_picks();
        }
        queued
    }
}

/// The ordering lane of a ready entry.
fn lane_of(timers: &[TimerSlot], e: &Entry) -> Lane {
    match e {
        Entry::Step(t) | Entry::StepThrow(t) | Entry::Done(_, DoneCb::Wakeup(t)) => Lane::Task(*t),
        Entry::Done(f, _) => Lane::Future(*f),
        Entry::Timer(id) => Lane::Timer(timers[*id as usize].when),
        Entry::Soon(_) => Lane::Soon,
    }
}
