//! Runtime sanity under any schedule (semantics 4.1, P1–P7), checked from the loop's own
//! structured events.
//!
//! | rule | how it is checked |
//! |---|---|
//! | P1 one thing at a time | structural: one thread runs handles to completion; a step never starts for a task that is done (TASK-18) |
//! | P2 no synchronous callbacks | a done-callback or wakeup runs in a later iteration than the completion that queued it |
//! | P3/P4 lane order | structural: the loop only offers the first entry of each lane |
//! | P5 causality | a wakeup runs only once its future is done |
//! | P6 time | the clock never goes back; a timer never runs before its deadline |
//! | P7 progress | the run's iteration budget (a spinning task is reported, not hung on) |

use std::cell::RefCell;
use std::rc::Rc;

use aiosim::{Exception, HandleKind, Observer};

/// A broken rule: which one, and what happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SanityViolation {
    /// The rule (`"P2"`, `"P5"`, `"P6"`, `"TASK-18"`).
    pub rule: &'static str,
    /// What was observed.
    pub detail: String,
}

#[derive(Default)]
struct State {
    iteration: u64,
    now: u64,
    /// Iteration in which each future completed (by future index).
    completed_at: Vec<Option<u64>>,
    /// Future index of each task (by task index).
    task_future: Vec<u32>,
    violations: Vec<SanityViolation>,
}

impl State {
    fn completion(&self, future: u32) -> Option<u64> {
        self.completed_at.get(future as usize).copied().flatten()
    }

    fn flag(&mut self, rule: &'static str, detail: String) {
        self.violations.push(SanityViolation { rule, detail });
    }

    fn callback_ran(&mut self, what: &str, future: u32) {
        match self.completion(future) {
            None => self.flag(
                "P5",
                format!(
                    "{what} of future {future} ran at t={} before it completed",
                    self.now
                ),
            ),
            Some(at) if at >= self.iteration => self.flag(
                "P2",
                format!(
                    "{what} of future {future} ran in iteration {}, the iteration it completed in",
                    self.iteration
                ),
            ),
            Some(_) => {}
        }
    }
}

/// An [`Observer`] that checks the rules as the run goes; read the result with
/// [`SanityLog::violations`].
#[derive(Clone, Default)]
pub struct SanityLog(Rc<RefCell<State>>);

impl SanityLog {
    /// A new, empty log.
    pub fn new() -> SanityLog {
        SanityLog::default()
    }

    /// An observer feeding this log.
    pub fn observer(&self) -> Box<dyn Observer> {
        Box::new(self.clone())
    }

    /// The violations seen so far.
    pub fn violations(&self) -> Vec<SanityViolation> {
        self.0.borrow().violations.clone()
    }
}

impl Observer for SanityLog {
    fn iteration(&mut self, iteration: u64, now: u64, _batch: usize) {
        let mut s = self.0.borrow_mut();
        if now < s.now {
            let before = s.now;
            s.flag("P6", format!("the clock went back from {before} to {now}"));
        }
        s.iteration = iteration;
        s.now = now;
    }

    fn handle_run(&mut self, kind: HandleKind) {
        let mut s = self.0.borrow_mut();
        match kind {
            HandleKind::Timer {
                timer,
                when,
                cancelled: false,
            } if when > s.now => {
                let now = s.now;
                s.flag(
                    "P6",
                    format!("timer {timer} due at {when} ran early, at {now}"),
                );
            }
            HandleKind::Wakeup { task, future } => {
                s.callback_ran(&format!("the wakeup of task {task}"), future)
            }
            HandleKind::Internal { name, future } => s.callback_ran(name, future),
            HandleKind::UserDone { future } => s.callback_ran("a user callback", future),
            _ => {}
        }
    }

    fn task_created(&mut self, task: u32, future: u32) {
        let mut s = self.0.borrow_mut();
        if s.task_future.len() <= task as usize {
            s.task_future.resize(task as usize + 1, u32::MAX);
        }
        s.task_future[task as usize] = future;
    }

    fn task_step(&mut self, task: u32, _throw: Option<&Exception>) {
        let mut s = self.0.borrow_mut();
        let future = s
            .task_future
            .get(task as usize)
            .copied()
            .unwrap_or(u32::MAX);
        if s.completion(future).is_some() {
            s.flag("TASK-18", format!("task {task} stepped after it was done"));
        }
    }

    fn future_done(&mut self, future: u32, _cancelled: bool) {
        let mut s = self.0.borrow_mut();
        let i = future as usize;
        if s.completed_at.len() <= i {
            s.completed_at.resize(i + 1, None);
        }
        if s.completed_at[i].is_some() {
            s.flag("FUT-1", format!("future {future} completed twice"));
        }
        s.completed_at[i] = Some(s.iteration);
    }

    fn future_released(&mut self, future: u32) {
        let mut s = self.0.borrow_mut();
        if let Some(at) = s.completed_at.get_mut(future as usize) {
            *at = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(log: &SanityLog) -> Vec<&'static str> {
        log.violations().iter().map(|v| v.rule).collect()
    }

    #[test]
    fn a_clean_sequence_passes() {
        let mut log = SanityLog::new();
        log.iteration(1, 0, 1);
        log.task_created(0, 0);
        log.task_step(0, None);
        log.future_done(1, false);
        log.iteration(2, 5, 1);
        log.handle_run(HandleKind::Wakeup { task: 0, future: 1 });
        assert!(rules(&log).is_empty());
    }

    #[test]
    fn p6_time_going_back_and_early_timers_are_flagged() {
        let mut log = SanityLog::new();
        log.iteration(1, 5, 1);
        log.handle_run(HandleKind::Timer {
            timer: 0,
            when: 9,
            cancelled: false,
        });
        log.iteration(2, 3, 0);
        assert_eq!(rules(&log), vec!["P6", "P6"]);
    }

    #[test]
    fn p5_and_p2_callbacks_before_or_with_their_completion_are_flagged() {
        let mut log = SanityLog::new();
        log.iteration(1, 0, 2);
        log.handle_run(HandleKind::Wakeup { task: 0, future: 4 });
        log.future_done(4, false);
        log.handle_run(HandleKind::UserDone { future: 4 });
        assert_eq!(rules(&log), vec!["P5", "P2"]);
    }

    #[test]
    fn task_18_a_step_after_the_end_is_flagged() {
        let mut log = SanityLog::new();
        log.iteration(1, 0, 1);
        log.task_created(0, 0);
        log.future_done(0, false);
        log.iteration(2, 0, 1);
        log.task_step(0, None);
        assert_eq!(rules(&log), vec!["TASK-18"]);
    }
}
