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
mod stall;

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;

use aiosim::{EventLoop, Exception, HandleKind, Observer, RunError, Scheduler};

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
    /// Stop after this many loop iterations (reported as [`RunEnd::BudgetExhausted`]).
    pub iteration_budget: Option<u64>,
    /// An extra observer of the loop's events (for example runtime sanity checks).
    pub observer: Option<Box<dyn Observer>>,
}

/// How a run ended, beside its trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RunEnd {
    /// The run completed (the `finish` line has `"deadlock":false`).
    Completed,
    /// Nothing could ever run again (`"deadlock":true`).
    Deadlock,
    /// The iteration budget ran out; the trace has no `finish` line (where the tasks stood
    /// is in [`RunReport::stalled`]).
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
    /// Ready-queue entries run (skipped cancelled handles included).
    pub handles: u64,
    /// Names of the runtime's objects, for explanations.
    pub names: RuntimeNames,
    /// The loop iteration in which each event of `trace` was emitted (same length).
    pub event_iterations: Vec<u64>,
    /// Every op that started, in order, with when it started (the trace only shows when
    /// control left it).
    pub op_starts: Vec<OpStart>,
    /// The final state of every spawned task and created future, by scenario name.
    pub finals: Vec<FinalState>,
    /// Every cancel request that reached a pending scenario task, in the order they were
    /// made: `cancel` ops, requests forwarded by combinators, task-group aborts, timeouts,
    /// injected cancellations and the shutdown's.
    pub cancel_requests: Vec<CancelRequest>,
    /// When the run stopped without finishing (a deadlock, or the budget ran out): each task
    /// still pending with what it was suspended on, in creation order
    /// (`transfer_ab (waits for future bob)`, `spinner (ready)`), then the await cycle if
    /// there is one. Empty for a run that finished.
    pub stalled: Vec<Arc<str>>,
}

/// A `Task.cancel()` call on a pending task (one that returned true).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CancelRequest {
    /// The scenario name of the task.
    pub task: Arc<str>,
    /// The message passed to `cancel`.
    pub msg: Option<Arc<str>>,
    /// How many trace events had been emitted when it was made.
    pub events_before: usize,
    /// The loop iteration in progress (or the last one run, between two runs of the loop).
    pub iteration: u64,
    /// Made by `asyncio.run`'s shutdown cancelling the leftover tasks (outside any loop
    /// iteration), directly or forwarded from a task it cancelled.
    pub by_shutdown: bool,
}

/// The state of a task or future when the run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FinalState {
    /// The scenario name.
    pub name: Arc<str>,
    /// Whether it is a task (else a future).
    pub is_task: bool,
    /// Its state.
    pub state: aiosim::State,
    /// For tasks: `cancelling()` at the end.
    pub cancelling: u32,
}

/// The start of an op: which task, which op (its path), at what time and iteration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpStart {
    /// The task running the op.
    pub task: Arc<str>,
    /// The op's path in its task definition.
    pub at: Arc<str>,
    /// Virtual time when it started.
    pub t: u64,
    /// Loop iteration in which it started.
    pub iteration: u64,
}

/// The scenario names of the runtime's tasks and futures, by their runtime index.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RuntimeNames {
    /// Task name by runtime task index.
    pub tasks: Vec<Option<Arc<str>>>,
    /// Name by runtime future index (a task's future bears the task's name).
    pub futures: Vec<Option<Arc<str>>>,
}

impl RuntimeNames {
    /// The name of runtime task `index`, or `task#index`.
    pub fn task(&self, index: u32) -> String {
        name_or(&self.tasks, index, "task")
    }

    /// The name of runtime future `index`, or `future#index`.
    pub fn future(&self, index: u32) -> String {
        name_or(&self.futures, index, "future")
    }
}

fn name_or(names: &[Option<Arc<str>>], index: u32, what: &str) -> String {
    match names.get(index as usize) {
        Some(Some(n)) => n.to_string(),
        _ => format!("{what}#{index}"),
    }
}

/// Records `name` at `index`, growing the table as needed.
pub(crate) fn set_name(table: &RefCell<Vec<Option<Arc<str>>>>, index: usize, name: Arc<str>) {
    let mut t = table.borrow_mut();
    if t.len() <= index {
        t.resize(index + 1, None);
    }
    t[index] = Some(name);
}

/// State shared by the task bodies of one run.
pub(crate) struct Run {
    pub graph: Arc<Graph>,
    pub events: RefCell<Vec<Event>>,
    /// The runtime task of each task definition, once spawned.
    pub tasks: RefCell<Vec<Option<aiosim::Task<Value>>>>,
    /// Graph task index of each runtime task (by runtime task index).
    pub by_runtime: RefCell<Vec<Option<usize>>>,
    /// Scenario names by runtime future index.
    pub future_names: RefCell<Vec<Option<Arc<str>>>>,
    /// Ready-queue entries run so far.
    pub handles: Cell<u64>,
    /// The runtime future of each future name, once created.
    pub futures: RefCell<Vec<Option<aiosim::Future<Value>>>>,
    /// Virtual time as of the current iteration (for events emitted by the observer).
    pub now: Cell<u64>,
    /// The loop iteration in progress.
    pub iteration: Cell<u64>,
    /// The iteration in which each event was emitted.
    pub event_iterations: RefCell<Vec<u64>>,
    /// When each executed op started.
    pub op_starts: RefCell<Vec<OpStart>>,
    /// Cancel requests made so far.
    pub cancel_requests: RefCell<Vec<CancelRequest>>,
    /// Set while the shutdown cancels the leftover tasks, before its first iteration.
    pub shutting_down: Cell<bool>,
}

impl Run {
    pub(crate) fn emit(&self, e: Event) {
        self.events.borrow_mut().push(e);
        self.event_iterations
            .borrow_mut()
            .push(self.iteration.get());
    }

    pub(crate) fn task_name(&self, index: usize) -> Arc<str> {
        self.graph.tasks[index].name.clone()
    }

    /// The task definition index of runtime task `task`, if it is a scenario task.
    fn graph_task(&self, task: u32) -> Option<usize> {
        self.by_runtime
            .borrow()
            .get(task as usize)
            .copied()
            .flatten()
    }
}

/// Emits the `end` event of a task cancelled before its first step (graph-format 3.2), and
/// passes every event on to the run's extra observer.
struct SkippedBodies(Rc<Run>, Option<Box<dyn Observer>>);

impl Observer for SkippedBodies {
    fn iteration(&mut self, iteration: u64, now: u64, batch: usize) {
        self.0.now.set(now);
        self.0.iteration.set(iteration);
        self.0.shutting_down.set(false);
        if let Some(o) = self.1.as_mut() {
            o.iteration(iteration, now, batch);
        }
    }

    fn handle_run(&mut self, kind: HandleKind) {
        self.0.handles.set(self.0.handles.get() + 1);
        if let Some(o) = self.1.as_mut() {
            o.handle_run(kind);
        }
    }

    fn task_created(&mut self, task: u32, future: u32) {
        if let Some(o) = self.1.as_mut() {
            o.task_created(task, future);
        }
    }

    fn task_step(&mut self, task: u32, throw: Option<&Exception>) {
        if let Some(o) = self.1.as_mut() {
            o.task_step(task, throw);
        }
    }

    fn cancel_requested(&mut self, task: u32, msg: Option<&str>) {
        if let Some(o) = self.1.as_mut() {
            o.cancel_requested(task, msg);
        }
        let Some(index) = self.0.graph_task(task) else {
            return;
        };
        let request = CancelRequest {
            task: self.0.task_name(index),
            msg: msg.map(Arc::from),
            events_before: self.0.events.borrow().len(),
            iteration: self.0.iteration.get(),
            by_shutdown: self.0.shutting_down.get(),
        };
        self.0.cancel_requests.borrow_mut().push(request);
    }

    fn future_done(&mut self, future: u32, cancelled: bool) {
        if let Some(o) = self.1.as_mut() {
            o.future_done(future, cancelled);
        }
    }

    fn future_released(&mut self, future: u32) {
        if let Some(o) = self.1.as_mut() {
            o.future_released(future);
        }
    }

    fn body_skipped(&mut self, task: u32, exc: &Exception) {
        if let Some(o) = self.1.as_mut() {
            o.body_skipped(task, exc);
        }
        if let Some(index) = self.0.graph_task(task) {
            self.0.emit(Event::End {
                t: self.0.now.get(),
                task: self.0.task_name(index),
                out: exception_outcome(exc),
            });
        }
    }
}

thread_local! {
    /// How many events the last trace made on this thread had: the next trace's first
    /// capacity.
    static LAST_TRACE_LEN: Cell<usize> = const { Cell::new(0) };
}

/// Runs a validated scenario in the faithful schedule (or under `options.scheduler`) and
/// returns its canonical trace (graph-format 4.1).
pub fn run_graph(graph: Arc<Graph>, options: RunOptions) -> RunReport {
    // The trace leaves with the report, so its buffer cannot be reused; sizing it like the
    // thread's previous trace spares most of the regrowth when a scenario runs many times.
    let expected_events = LAST_TRACE_LEN.with(Cell::get);
    let run = Rc::new(Run {
        events: RefCell::new(Vec::with_capacity(expected_events)),
        tasks: RefCell::new(vec![None; graph.tasks.len()]),
        by_runtime: RefCell::new(Vec::new()),
        future_names: RefCell::new(Vec::new()),
        handles: Cell::new(0),
        futures: RefCell::new(vec![None; graph.futures.len()]),
        now: Cell::new(0),
        iteration: Cell::new(0),
        event_iterations: RefCell::new(Vec::with_capacity(expected_events)),
        op_starts: RefCell::new(Vec::new()),
        cancel_requests: RefCell::new(Vec::new()),
        shutting_down: Cell::new(false),
        graph,
    });
    let event_loop = EventLoop::new();
    if let Some(s) = options.scheduler {
        event_loop.set_scheduler(s);
    }
    event_loop.set_iteration_budget(options.iteration_budget);
    event_loop.set_observer(Some(Box::new(SkippedBodies(run.clone(), options.observer))));

    let main = exec::spawn_task(&run, run.graph.main, None).expect("the main task spawns");
    let outcome = event_loop.run_until_done(main);
    let (end, stall) = match &outcome {
        Err(RunError::Deadlock(s)) => (RunEnd::Deadlock, Some(s.clone())),
        Err(RunError::BudgetExhausted(s)) => (budget_end(s), Some(s.clone())),
        _ => shut_down(&run, &event_loop),
    };
    let stalled = stall.map_or_else(Vec::new, |s| stall::describe(&run, &s));
    let iterations = event_loop.iteration();
    let finals = final_states(&run);
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
    LAST_TRACE_LEN.with(|n| n.set(events.len()));
    let names = RuntimeNames {
        tasks: run
            .by_runtime
            .borrow()
            .iter()
            .map(|i| i.map(|i| run.task_name(i)))
            .collect(),
        futures: run.future_names.take(),
    };
    RunReport {
        trace: Trace { events },
        end,
        iterations,
        handles: run.handles.get(),
        names,
        event_iterations: run.event_iterations.take(),
        op_starts: run.op_starts.take(),
        finals,
        cancel_requests: run.cancel_requests.take(),
        stalled,
    }
}

/// `asyncio.run`'s shutdown after the main task finished; how the run ended, and where it
/// stalled if it did.
fn shut_down(run: &Run, event_loop: &EventLoop) -> (RunEnd, Option<aiosim::Stall>) {
    run.shutting_down.set(true);
    match aiosim::runner::shutdown(event_loop) {
        Ok(()) => (RunEnd::Completed, None),
        Err(RunError::BudgetExhausted(s)) => (budget_end(&s), Some(s)),
        Err(RunError::Deadlock(s)) => (RunEnd::Deadlock, Some(s)),
        Err(RunError::Raised(_)) => (RunEnd::Deadlock, None),
    }
}

fn final_states(run: &Run) -> Vec<FinalState> {
    let tasks = run.tasks.borrow();
    let futures = run.futures.borrow();
    let task_states = tasks.iter().enumerate().filter_map(|(i, t)| {
        t.map(|t| FinalState {
            name: run.task_name(i),
            is_task: true,
            state: t.as_ref().state(),
            cancelling: t.cancelling(),
        })
    });
    let future_states = futures.iter().enumerate().filter_map(|(i, f)| {
        f.map(|f| FinalState {
            name: run.graph.futures[i].clone(),
            is_task: false,
            state: f.as_ref().state(),
            cancelling: 0,
        })
    });
    task_states.chain(future_states).collect()
}

fn budget_end(s: &aiosim::Stall) -> RunEnd {
    RunEnd::BudgetExhausted {
        iterations: s.iteration,
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
