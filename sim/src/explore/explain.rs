//! Explanations: what a schedule did differently from CPython, in words.
//!
//! [`Explaining`] wraps any scheduler and notes every choice that deviates from CPython's
//! order; after the run, [`Explanation::render`] names the tasks and futures involved:
//! "at t=5 (iteration 7) the ready batch ran task b before task a (FIFO runs task a first)".

use std::cell::RefCell;
use std::rc::Rc;

use aiosim::{Candidate, Injection, Lane, Level, Scheduler, SetSite};

use crate::interp::RuntimeNames;

/// One deviation from CPython's order, as observed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Deviation {
    /// A batch entry ran before the one CPython runs next.
    Pick {
        /// Virtual time.
        now: u64,
        /// Loop iteration.
        iteration: u64,
        /// What ran.
        ran: Candidate,
        /// What CPython would have run.
        fifo: Candidate,
    },
    /// A set was iterated in another order than the pinned one.
    Set {
        /// Where.
        site: SetSite,
        /// The order taken (indices into the pinned order).
        order: Vec<usize>,
    },
    /// Some due timers were deferred.
    Deferred {
        /// Virtual time.
        now: u64,
        /// Timers that entered the iteration.
        taken: usize,
        /// Timers that were due.
        due: usize,
    },
    /// The clock moved on while work was queued.
    Early {
        /// Time before.
        now: u64,
        /// Time after.
        next: u64,
    },
    /// A cancellation was injected.
    Injected {
        /// Virtual time.
        now: u64,
        /// The task (runtime index).
        task: u32,
    },
}

/// The deviations of one run.
#[derive(Clone, Debug, Default)]
pub struct Explanation(pub Vec<Deviation>);

impl Explanation {
    /// One sentence per deviation, with scenario names.
    pub fn render(&self, names: &RuntimeNames) -> Vec<String> {
        self.0.iter().map(|d| sentence(d, names)).collect()
    }
}

fn entry(c: Candidate, names: &RuntimeNames) -> String {
    match (c.lane, c.task) {
        (Lane::Task(t), _) => format!("task {}", names.task(t)),
        (Lane::Future(f), _) => format!("a done-callback of {}", names.future(f)),
        (Lane::Soon, _) => "a call_soon callback".to_string(),
        (Lane::Timer(when), Some(t)) => {
            format!(
                "the timer of task {}'s sleep (due at t={when})",
                names.task(t)
            )
        }
        (Lane::Timer(when), None) => format!("a timer due at t={when}"),
    }
}

fn sentence(d: &Deviation, names: &RuntimeNames) -> String {
    match d {
        Deviation::Pick {
            now,
            iteration,
            ran,
            fifo,
        } => format!(
            "at t={now} (iteration {iteration}) the ready batch ran {} before {} (FIFO runs {} first)",
            entry(*ran, names),
            entry(*fifo, names),
            entry(*fifo, names)
        ),
        Deviation::Set { site, order } => format!(
            "{} went in the order {order:?} of the pinned order",
            match site {
                SetSite::GroupAbort => "a TaskGroup's abort cancelled its children",
                SetSite::ShutdownCancel => "the shutdown cancelled the leftover tasks",
                SetSite::AsCompletedRegistration => "as_completed registered on its inputs",
                SetSite::DeferredTimers =>
                    "equal-deadline due timers were ordered before deferring some",
            }
        ),
        Deviation::Deferred { now, taken, due } => format!(
            "at t={now} only {taken} of {due} due timers ran; the others were deferred to a later iteration"
        ),
        Deviation::Early { now, next } => {
            format!("at t={now} the clock moved on to t={next} while work was still queued")
        }
        Deviation::Injected { now, task } => format!(
            "at t={now} task {} was cancelled by an injected fault",
            names.task(*task)
        ),
    }
}

/// A scheduler decorator that records the deviations of the scheduler it wraps.
pub struct Explaining {
    inner: Box<dyn Scheduler>,
    log: Rc<RefCell<Explanation>>,
}

impl Explaining {
    /// Wraps `inner`; the returned handle reads the deviations after the run.
    pub fn new(inner: Box<dyn Scheduler>) -> (Explaining, Rc<RefCell<Explanation>>) {
        let log = Rc::new(RefCell::new(Explanation::default()));
        (
            Explaining {
                inner,
                log: log.clone(),
            },
            log,
        )
    }

    fn note(&self, d: Deviation) {
        self.log.borrow_mut().0.push(d);
    }
}

impl Scheduler for Explaining {
    fn level(&self) -> Level {
        self.inner.level()
    }

    fn injects(&self) -> bool {
        self.inner.injects()
    }

    fn reads_tasks(&self) -> bool {
        true
    }

    fn pick(&mut self, iteration: u64, now: u64, eligible: &[Candidate]) -> usize {
        let i = self.inner.pick(iteration, now, eligible);
        if i != 0 && i < eligible.len() {
            self.note(Deviation::Pick {
                now,
                iteration,
                ran: eligible[i],
                fifo: eligible[0],
            });
        }
        i
    }

    fn order_set(&mut self, site: SetSite, len: usize) -> Vec<usize> {
        let order = self.inner.order_set(site, len);
        if order.iter().enumerate().any(|(i, &x)| i != x) {
            self.note(Deviation::Set {
                site,
                order: order.clone(),
            });
        }
        order
    }

    fn take_due(&mut self, now: u64, due: usize, ready: usize) -> usize {
        let taken = self.inner.take_due(now, due, ready);
        if taken < due {
            self.note(Deviation::Deferred { now, taken, due });
        }
        taken
    }

    fn advance_early(&mut self, now: u64, next: u64, ready: usize) -> bool {
        let early = self.inner.advance_early(now, next, ready);
        if early {
            self.note(Deviation::Early { now, next });
        }
        early
    }

    fn inject(&mut self, iteration: u64, now: u64, pending: &[u32]) -> Option<Injection> {
        let injection = self.inner.inject(iteration, now, pending);
        if let Some(inj) = &injection {
            self.note(Deviation::Injected {
                now,
                task: inj.task,
            });
        }
        injection
    }
}
