//! The interpreter: runs an `aiosim-graph/1` scenario on the aiosim runtime, exactly as
//! graph-format section 4 maps it onto CPython 3.12's asyncio, and records its canonical
//! trace.
//!
//! Every op is carried out by the runtime call that its CPython counterpart makes (4.3), so the
//! interpreter adds no scheduling point of its own (4.4): a task suspends only inside
//! `sleep`, `await`, `gather`, `wait`, `wait_for`, `shield`, `as_completed`, and when leaving
//! a `timeout` or `taskgroup` block.

mod exec;
mod render;

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;

use aiosim::{EventLoop, Exception, Observer, RunError, Scheduler};

use crate::graph::Graph;
use crate::trace::{Event, NameSet, Outcome, Trace};
use crate::value::Value;

pub use render::exception_outcome;

/// Options of one run.
#[derive(Default)]
#[non_exhaustive]
pub struct RunOptions {
    /// The scheduling policy; `None` runs CPython's FIFO order.
    pub scheduler: Option<Box<dyn Scheduler>>,
    /// Stop after this many loop iterations (reported as a deadlock-free budget stop).
    pub iteration_budget: Option<u64>,
}

/// How a run ended, beside its trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RunEnd {
    /// The run completed (the `finish` line has `"deadlock":false`).
    Completed,
    /// Nothing could ever run again (`"deadlock":true`).
    Deadlock,
    /// The iteration budget ran out; the trace has no `finish` line.
    BudgetExhausted {
        /// Iterations run.
        iterations: u64,
    },
}

/// The result of running a scenario.
#[derive(Clone, Debug)]
pub struct RunReport {
    /// The canonical trace.
    pub trace: Trace,
    /// How the run ended.
    pub end: RunEnd,
    /// Loop iterations run.
    pub iterations: u64,
}

/// State shared by the task bodies of one run.
pub(crate) struct Run {
    pub graph: Arc<Graph>,
    pub events: RefCell<Vec<Event>>,
    /// The runtime task of each task definition, once spawned.
    pub tasks: RefCell<Vec<Option<aiosim::Task<Value>>>>,
    /// Graph task index of each runtime task (by runtime task index).
    pub by_runtime: RefCell<Vec<Option<usize>>>,
    /// The runtime future of each future name, once created.
    pub futures: RefCell<Vec<Option<aiosim::Future<Value>>>>,
    /// Virtual time as of the current iteration (for events emitted by the observer).
    pub now: Cell<u64>,
}

impl Run {
    pub(crate) fn emit(&self, e: Event) {
        self.events.borrow_mut().push(e);
    }

    pub(crate) fn task_name(&self, index: usize) -> Arc<str> {
        self.graph.tasks[index].name.clone()
    }
}

/// Emits the `end` event of a task cancelled before its first step (graph-format 3.2).
struct SkippedBodies(Rc<Run>);

impl Observer for SkippedBodies {
    fn iteration(&mut self, _iteration: u64, now: u64, _batch: usize) {
        self.0.now.set(now);
    }

    fn body_skipped(&mut self, task: u32, exc: &Exception) {
        let index = self.0.by_runtime.borrow()[task as usize];
        if let Some(index) = index {
            self.0.emit(Event::End {
                t: self.0.now.get(),
                task: self.0.task_name(index),
                out: exception_outcome(exc),
            });
        }
    }
}

/// Runs a validated scenario in the faithful schedule (or under `options.scheduler`) and
/// returns its canonical trace (graph-format 4.1).
pub fn run_graph(graph: Arc<Graph>, options: RunOptions) -> RunReport {
    let run = Rc::new(Run {
        events: RefCell::new(Vec::new()),
        tasks: RefCell::new(vec![None; graph.tasks.len()]),
        by_runtime: RefCell::new(Vec::new()),
        futures: RefCell::new(vec![None; graph.futures.len()]),
        now: Cell::new(0),
        graph,
    });
    let event_loop = EventLoop::new();
    if let Some(s) = options.scheduler {
        event_loop.set_scheduler(s);
    }
    event_loop.set_iteration_budget(options.iteration_budget);
    event_loop.set_observer(Some(Box::new(SkippedBodies(run.clone()))));

    let main = exec::spawn_task(&run, run.graph.main, None).expect("the main task spawns");
    let outcome = event_loop.run_until_done(main);
    let end = match &outcome {
        Err(RunError::Deadlock(_)) => RunEnd::Deadlock,
        Err(RunError::BudgetExhausted(s)) => RunEnd::BudgetExhausted {
            iterations: s.iteration,
        },
        _ => match aiosim::runner::shutdown(&event_loop) {
            Ok(()) => RunEnd::Completed,
            Err(RunError::BudgetExhausted(s)) => RunEnd::BudgetExhausted {
                iterations: s.iteration,
            },
            Err(_) => RunEnd::Deadlock,
        },
    };
    let iterations = event_loop.iteration();
    if !matches!(end, RunEnd::BudgetExhausted { .. }) {
        let run_outcome = match outcome {
            Ok(v) => Some(Outcome::ok(v)),
            Err(RunError::Raised(e)) => Some(exception_outcome(&e)),
            Err(_) => None,
        };
        let finish = Event::Finish {
            t: event_loop.time(),
            run: run_outcome,
            deadlock: end == RunEnd::Deadlock,
            tasks_pending: pending_tasks(&run),
            futures_pending: pending_futures(&run),
        };
        run.emit(finish);
    }
    drop(event_loop);
    let events = std::mem::take(&mut *run.events.borrow_mut());
    RunReport {
        trace: Trace { events },
        end,
        iterations,
    }
}

fn pending_tasks(run: &Run) -> NameSet {
    run.tasks
        .borrow()
        .iter()
        .enumerate()
        .filter(|(_, t)| t.is_some_and(|t| !t.done()))
        .map(|(i, _)| run.task_name(i))
        .collect()
}

fn pending_futures(run: &Run) -> NameSet {
    run.futures
        .borrow()
        .iter()
        .enumerate()
        .filter(|(_, f)| f.is_some_and(|f| !f.done()))
        .map(|(i, _)| run.graph.futures[i].clone())
        .collect()
}
