//! What closing a loop does with what is left in it: queued entries that will never run,
//! bodies of unfinished tasks (dropped with the core released), and the reports CPython's
//! garbage collector would make for futures and tasks left behind.

use crate::core::{
    Body, CallbackObj, Core, DoneCb, Entry, FutExtra, FutId, FutKind, FutSlot, FutState,
};

impl Core {
    /// Empties the ready queue, returning the callback objects that its entries owned (to
    /// drop with the core released): what was queued never runs.
    pub(crate) fn discard_ready(&mut self) -> Vec<CallbackObj> {
        let Core {
            ready,
            callback_objs,
            ..
        } = self;
        ready
            .drain()
            .filter_map(|queued| match queued.entry() {
                Entry::Done(_, DoneCb::Object(id)) => Some(callback_objs.take(id)),
                _ => None,
            })
            .collect()
    }

    /// The bodies of unfinished tasks, to drop with the core released (no allocation when
    /// every task finished).
    pub(crate) fn take_bodies(&mut self) -> Vec<Body> {
        // A done task's body was emptied when it finished.
        if self.unfinished_tasks == 0 || self.tasks.iter().all(|t| t.body.is_none()) {
            return Vec::new();
        }
        self.tasks
            .iter_mut()
            .filter_map(|t| t.body.take())
            .collect()
    }

    /// Reports what CPython's garbage collector would report for the objects of this loop:
    /// exceptions never retrieved and tasks destroyed while pending.
    pub(crate) fn report_leftovers(&mut self) {
        if self.unfinished_tasks == 0 && self.exceptions_set == 0 {
            // No task is pending and no future ever held an exception.
            return;
        }
        for f in 0..self.futs.len() {
            if is_leftover(&self.futs[f], &self.fut_extras[f]) {
                self.report_leftover(f as FutId);
            }
        }
    }

    /// The report for one future that [`is_leftover`]. A pending task that
    /// `run_until_complete` created for a body is not reported: its caller already got
    /// "Event loop stopped before Future completed." (`_log_destroy_pending` is off).
    fn report_leftover(&mut self, f: FutId) {
        let (task, class) = match self.extra(f).kind {
            FutKind::Task(t) => (Some(t), "Task"),
            FutKind::Gather(_) => (None, "_GatheringFuture"),
            FutKind::Plain => (None, "Future"),
        };
        let slot = self.fut(f);
        if slot.state == FutState::Pending {
            if task.is_some_and(|t| self.task(t).log_destroy_pending) {
                self.report("Task was destroyed but it is pending!".into(), None, task);
            }
        } else {
            let exc = slot.outcome.exception().cloned();
            self.report(format!("{class} exception was never retrieved"), exc, task);
        }
    }
}

/// Whether the garbage collector would report this future when the loop goes away: a task
/// still pending, or an exception nobody retrieved.
fn is_leftover(slot: &FutSlot, extra: &FutExtra) -> bool {
    match slot.state {
        FutState::Pending => matches!(extra.kind, FutKind::Task(_)),
        _ => !slot.retrieved && slot.outcome.exception().is_some(),
    }
}
