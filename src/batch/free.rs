//! Whether a batch is free: no chain lane holds two of its entries and its timers share one
//! deadline (see the parent module). Found entry by entry as the batch leaves the ready
//! queue, at a constant cost per entry, except for the timers: only the due timers of the
//! iteration are queued as timers, last and in deadline order, so the first and the last of
//! them tell whether they share a deadline.

use crate::core::TimerSlot;
use crate::queued::{Kind, Queued};

/// Finds out, entry by entry, whether a batch is free.
pub(super) struct FreeCheck {
    /// Per future id: the number of the last batch in which one of the future's callbacks was
    /// met (0: none).
    marks: Vec<u32>,
    /// The number of the batch being checked (never 0).
    batch: u32,
    /// Whether a `call_soon` handle was met.
    soon: bool,
    /// Whether some lane orders two of the entries met.
    ordered: bool,
}

impl FreeCheck {
    /// A check with nothing met (usable in constant initialisers).
    pub(super) const fn new() -> FreeCheck {
        FreeCheck {
            marks: Vec::new(),
            batch: 0,
            soon: false,
            ordered: false,
        }
    }

    /// Whether the batch of `entries` (in queue order) is free.
    pub(super) fn is_free(&mut self, timers: &[TimerSlot], entries: &[Queued]) -> bool {
        self.start();
        let due = entries
            .iter()
            .rev()
            .take_while(|q| q.kind() == Kind::Timer)
            .count();
        let (others, due) = entries.split_at(entries.len() - due);
        for queued in others {
            self.admit(*queued);
        }
        let when = |q: &Queued| timers[q.first() as usize].when;
        let one_deadline = match (due.first(), due.last()) {
            (Some(first), Some(last)) => when(first) == when(last),
            _ => true,
        };
        !self.ordered && one_deadline
    }

    /// Starts checking a new batch.
    fn start(&mut self) {
        self.batch = self.batch.wrapping_add(1);
        if self.batch == 0 {
            self.marks.fill(0);
            self.batch = 1;
        }
        self.soon = false;
        self.ordered = false;
    }

    /// Meets the batch's next entry before its timers (its lane is the one `lane_of` gives).
    #[inline]
    fn admit(&mut self, queued: Queued) {
        match queued.kind() {
            Kind::Step | Kind::StepThrow | Kind::Wakeup => {}
            Kind::Stop | Kind::Object | Kind::Gather => {
                let f = queued.first() as usize;
                if f >= self.marks.len() {
                    self.marks.resize(f + 1, 0);
                }
                self.ordered |= self.marks[f] == self.batch;
                self.marks[f] = self.batch;
            }
            // The trailing timers are not admitted. A timer entry before a non-timer one (left
            // queued by an iteration that a panic cut short) goes to a tracked batch.
            Kind::Timer => self.ordered = true,
            Kind::Soon => {
                self.ordered |= self.soon;
                self.soon = true;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::{DoneCb, Entry};

    fn timer(when: u64) -> TimerSlot {
        TimerSlot {
            when,
            cancelled: false,
            scheduled: false,
            cb: None,
        }
    }

    /// Whether the last of `batches` is free, checked after the others.
    fn free(timers: &[TimerSlot], batches: &[&[Entry]]) -> bool {
        let mut check = FreeCheck::new();
        let mut free = false;
        for batch in batches {
            let queued: Vec<Queued> = batch.iter().map(|&e| Queued::pack(e)).collect();
            free = check.is_free(timers, &queued);
        }
        free
    }

    #[test]
    fn tasks_and_one_deadline_are_free() {
        let timers = [timer(5), timer(5), timer(7)];
        let entries = [
            Entry::Step(0),
            Entry::Step(1),
            Entry::Done(3, DoneCb::Wakeup(2)),
            Entry::Done(3, DoneCb::Wakeup(4)),
            Entry::Done(4, DoneCb::Stop),
            Entry::Soon(0),
            Entry::Timer(0),
            Entry::Timer(1),
        ];
        assert!(free(&timers, &[&entries]));
    }

    #[test]
    fn a_shared_chain_lane_or_two_deadlines_order_the_batch() {
        let timers = [timer(5), timer(7)];
        let two_callbacks = [Entry::Done(4, DoneCb::Stop), Entry::Done(4, DoneCb::Stop)];
        assert!(!free(&timers, &[&two_callbacks]));
        assert!(!free(&timers, &[&[Entry::Soon(0), Entry::Soon(1)]]));
        assert!(!free(&timers, &[&[Entry::Timer(0), Entry::Timer(1)]]));
    }

    #[test]
    fn a_timer_queued_before_the_due_ones_orders_the_batch() {
        let timers = [timer(5), timer(5)];
        let mut check = FreeCheck::new();
        let entries = [Entry::Timer(0), Entry::Step(1), Entry::Timer(1)].map(Queued::pack);
        assert!(!check.is_free(&timers, &entries));
        assert!(check.is_free(&timers, &entries[1..]));
    }

    #[test]
    fn marks_of_earlier_batches_do_not_count() {
        let one_callback: &[Entry] = &[Entry::Done(4, DoneCb::Stop)];
        assert!(free(&[], &[one_callback, one_callback, one_callback]));
    }
}
