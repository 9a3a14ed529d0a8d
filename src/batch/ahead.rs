//! Picks a scheduler made ahead for a free batch ([`Scheduler::pick_ahead`]).
//!
//! A free batch of `n` entries asks for `n - 1` picks, one per entry but the last. A scheduler
//! that can answer several at once saves the loop a call per entry: the loop keeps its picks
//! here, takes them in order, and tells the scheduler how many it took
//! ([`Scheduler::picks_taken`]) before it asks the scheduler anything else, so that the
//! scheduler sees its choices in the order the run makes them.
//!
//! [`Scheduler::pick_ahead`]: crate::Scheduler::pick_ahead
//! [`Scheduler::picks_taken`]: crate::Scheduler::picks_taken

use crate::core::Core;

/// The picks made ahead for the free batch in progress.
pub(super) struct Ahead {
    /// The picks of the last `pick_ahead` (empty: none outstanding).
    picks: Vec<u32>,
    /// How many of them were taken.
    taken: usize,
    /// Whether the scheduler made no picks ahead in this batch (it is asked entry by entry).
    off: bool,
}

impl Ahead {
    /// No picks (usable in constant initialisers).
    pub(super) const fn new() -> Ahead {
        Ahead {
            picks: Vec::new(),
            taken: 0,
            off: false,
        }
    }

    /// Forgets the picks and asks ahead again in the next batch. Only for a batch that ends
    /// without its scheduler (a loop being reset): otherwise the picks are settled first.
    pub(super) fn clear(&mut self) {
        self.picks.clear();
        self.taken = 0;
        self.off = false;
    }

    /// A new batch: its scheduler is asked ahead again.
    pub(super) fn begin(&mut self) {
        debug_assert!(self.picks.is_empty(), "the last batch's picks were settled");
        self.off = false;
    }

    /// The next pick made ahead, if one is left.
    #[inline(always)]
    pub(super) fn next(&mut self) -> Option<u32> {
        let pick = *self.picks.get(self.taken)?;
        self.taken += 1;
        Some(pick)
    }
}

impl Core {
    /// The scheduler's pick among the `count` (at least two) eligible entries of a free batch
    /// when no pick made ahead is left: picks ahead if the scheduler makes them, else one.
    #[inline(never)]
    pub(super) fn pick_free(&mut self, count: usize) -> usize {
        self.settle_picks();
        let Core {
            batch,
            scheduler,
            iteration,
            now,
            ..
        } = self;
        let scheduler = scheduler
            .as_mut()
            .expect("a reordering level has a scheduler");
        let ahead = &mut batch.ahead;
        if !ahead.off {
            scheduler.pick_ahead(*iteration, *now, count, &mut ahead.picks);
            ahead.picks.truncate(count - 1);
            match ahead.next() {
                Some(pick) => return pick as usize,
                None => ahead.off = true,
            }
        }
        scheduler.pick_among(*iteration, *now, count)
    }

    /// Tells the scheduler how many of its picks made ahead were taken, if any are
    /// outstanding. Called before the scheduler is asked anything else, when the picks are
    /// used up or the batch ends, and when a panic leaves the iteration.
    pub(crate) fn settle_picks(&mut self) {
        let Core {
            batch, scheduler, ..
        } = self;
        let ahead = &mut batch.ahead;
        if ahead.picks.is_empty() {
            return;
        }
        if let Some(scheduler) = scheduler.as_mut() {
            scheduler.picks_taken(&ahead.picks[..ahead.taken]);
        }
        ahead.picks.clear();
        ahead.taken = 0;
    }
}
