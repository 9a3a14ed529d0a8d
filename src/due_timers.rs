//! Steps (1) and (5) of `_run_once` on the timer heap: purge cancelled timers (or rebuild the
//! heap when most are cancelled), then move the due ones to the ready queue, in heap order,
//! or, at level 3, only the prefix the scheduler keeps for this iteration.

use crate::core::{Core, Entry};
use crate::heap::HeapEntry;
use crate::schedule::{Level, SetSite};

impl Core {
    /// Step (5): due timers, in heap order, to the back of the ready queue.
    pub(crate) fn move_due_timers(&mut self) {
        if self.level == Level::Timing {
            return self.move_due_timers_late();
        }
        while let Some(head) = self.heap.peek()
            && head.when <= self.now + early_by()
        {
            self.heap.pop();
            self.timers[head.timer as usize].scheduled = false;
            self.push_ready(Entry::Timer(head.timer));
        }
    }

    /// Step (5) at level 3: the due timers leave the heap in heap order; the scheduler keeps
    /// a prefix for this iteration (choosing which of the equal-deadline timers at the cut go
    /// first, since their order is free) and the rest go back on the heap for a later
    /// iteration. Different deadlines still run in deadline order (P6).
    fn move_due_timers_late(&mut self) {
        let mut due = Vec::new();
        while let Some(head) = self.heap.peek()
            && head.when <= self.now + early_by()
        {
            self.heap.pop();
            due.push(head);
        }
        if due.is_empty() {
            return;
        }
        let (now, ready) = (self.now, self.ready.len());
        let mut take = self
            .scheduler()
            .take_due(now, due.len(), ready)
            .min(due.len());
        if ready == 0 {
            take = take.max(1);
        }
        if take > 0 && take < due.len() && due[take - 1].when == due[take].when {
            let when = due[take].when;
            let start = due.iter().position(|e| e.when == when).unwrap_or(0);
            let end = due
                .iter()
                .rposition(|e| e.when == when)
                .map_or(due.len(), |i| i + 1);
            let order = self
                .scheduler()
                .order_set(SetSite::DeferredTimers, end - start);
            let tied: Vec<HeapEntry> = order.iter().map(|&i| due[start + i]).collect();
            due[start..end].copy_from_slice(&tied);
        }
        for e in &due[..take] {
            self.timers[e.timer as usize].scheduled = false;
            self.push_ready(Entry::Timer(e.timer));
        }
        for e in &due[take..] {
            self.heap.push(*e);
        }
    }

    /// Step (1): rebuild when more than half of over 100 timers are cancelled, else pop
    /// cancelled timers off the head. The count is not corrected for cancelled timers that
    /// left through the due step, as in CPython.
    pub(crate) fn purge_cancelled_timers(&mut self) {
        let n = self.heap.len();
        if n > 100 && self.cancelled_count * 2 > n {
            let timers = &mut self.timers;
            self.heap.rebuild(|e| {
                let slot = &mut timers[e.timer as usize];
                if slot.cancelled {
                    slot.scheduled = false;
                }
                !slot.cancelled
            });
            self.cancelled_count = 0;
        } else {
            while let Some(head) = self.heap.peek() {
                let slot = &mut self.timers[head.timer as usize];
                if !slot.cancelled {
                    break;
                }
                slot.scheduled = false;
                self.heap.pop();
                self.cancelled_count = self.cancelled_count.saturating_sub(1);
            }
        }
    }
}

/// How many ticks early timers fire: 0, or 1 under a deliberate defect.
pub(crate) fn early_by() -> u64 {
    u64::from(crate::mutation::active(
        crate::mutation::Mutation::TimerOneTickEarly,
    ))
}
