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
//! A batch is run one of two ways, with the same choices:
//!
//! - **Free** (level ≥ 2, a scheduler that reads only how many entries are eligible): when no
//!   chain lane holds two of the batch's entries and its timers share one deadline, every
//!   untaken entry is eligible until the batch ends: the `k`-th eligible entry is the `k`-th
//!   untaken one in queue order, and nothing else is kept.
//! - **Tracked** (any other batch, [`tracked`]): the entries leave the ready queue and the
//!   eligible ones are kept up to date as entries are taken.
//!
//! Entries queued while a batch runs wait for the next iteration either way (LOOP-2).

mod tracked;

use std::collections::VecDeque;

use crate::core::{Core, DoneCb, Entry, TimerSlot};
use crate::schedule::{Lane, Level};

/// The batch in progress. Buffers are kept across iterations and loops.
pub(crate) struct Batch {
    /// Untaken entries of the batch in progress (0: no batch).
    left: usize,
    /// Whether the batch in progress is free (see the module documentation).
    free: bool,
    /// The chain lanes of a batch being checked for freedom (scratch).
    chains: Vec<Lane>,
    /// A free batch's entries in queue order, `None` once taken.
    entries: Vec<Option<Entry>>,
    /// A free batch's untaken entries (indices into `entries`), in queue order.
    untaken: Vec<u32>,
    /// The state of a tracked batch.
    tracked: tracked::Tracked,
}

impl Batch {
    /// An empty batch (usable in constant initialisers).
    pub(crate) const fn new() -> Batch {
        Batch {
            left: 0,
            free: false,
            chains: Vec::new(),
            entries: Vec::new(),
            untaken: Vec::new(),
            tracked: tracked::Tracked::new(),
        }
    }

    /// Forgets any batch in progress, keeping the buffers' capacity.
    pub(crate) fn clear(&mut self) {
        self.left = 0;
        self.free = false;
        self.chains.clear();
        self.entries.clear();
        self.untaken.clear();
        self.tracked.clear();
    }

    /// Whether a batch is in progress.
    #[inline]
    pub(crate) fn is_active(&self) -> bool {
        self.left > 0
    }
}

impl Core {
    /// Starts a batch of the first `len` ready entries.
    pub(crate) fn begin_batch(&mut self, len: usize) {
        let counts_only = !self.reads_tasks
            && self
                .scheduler
                .as_ref()
                .is_some_and(|s| !s.reads_candidates());
        // Entry indices are u32, and the tracked batch reserves u32::MAX.
        assert!(
            len < u32::MAX as usize,
            "a batch has fewer than 2^32 - 1 entries"
        );
        let b = &mut self.batch;
        b.left = len;
        b.free = counts_only
            && self.level >= Level::Interleave
            && is_free(&self.ready, len, &self.timers, &mut b.chains);
        if b.free {
            b.entries.clear();
            b.entries.extend(self.ready.drain(..len).map(Some));
            b.untaken.clear();
            b.untaken.extend(0..len as u32);
        } else {
            self.begin_tracked(len, !counts_only);
        }
    }

    /// Takes the next entry of the batch: the scheduler's pick when there is a choice.
    pub(crate) fn next_batch_entry(&mut self) -> Entry {
        let count = self.batch.left;
        self.batch.left -= 1;
        if !self.batch.free {
            return self.next_tracked();
        }
        let choice = if count > 1 {
            let (iteration, now) = (self.iteration, self.now);
            self.scheduler
                .as_mut()
                .expect("a reordering level has a scheduler")
                .pick_among(iteration, now, count)
                .min(count - 1)
        } else {
            0
        };
        let b = &mut self.batch;
        let i = b.untaken.remove(choice) as usize;
        b.entries[i].take().expect("an untaken entry")
    }
}

/// Whether the first `len` entries of `ready` form a free batch: no chain lane holds two of
/// them and their timers share one deadline. `chains` is scratch space.
fn is_free(
    ready: &VecDeque<Entry>,
    len: usize,
    timers: &[TimerSlot],
    chains: &mut Vec<Lane>,
) -> bool {
    chains.clear();
    let mut deadline = None;
    for entry in ready.range(..len) {
        match lane_of(timers, entry) {
            Lane::Task(_) => {}
            Lane::Timer(when) => match deadline {
                None => deadline = Some(when),
                Some(d) if d == when => {}
                Some(_) => return false,
            },
            lane => chains.push(lane),
        }
    }
    chains.sort_unstable();
    chains.windows(2).all(|w| w[0] != w[1])
}

/// The ordering lane of a ready entry.
fn lane_of(timers: &[TimerSlot], e: &Entry) -> Lane {
    match e {
        Entry::Step(t) | Entry::StepThrow(t, _) | Entry::Done(_, DoneCb::Wakeup(t)) => {
            Lane::Task(*t)
        }
        Entry::Done(f, _) => Lane::Future(*f),
        Entry::Timer(id) => Lane::Timer(timers[*id as usize].when),
        Entry::Soon(_) => Lane::Soon,
    }
}
