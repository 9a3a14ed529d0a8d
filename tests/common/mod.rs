//! Shared helpers of the integration tests: a recorder installed as the loop's [`Observer`]
//! that keeps every iteration and the handles it ran, so tests can assert iteration counts
//! and golden traces exactly (asyncio-semantics 2.10); a recorder of the reports that reach
//! the loop's exception handler; and small tasks and loop drivers many tests use.
#![allow(dead_code)]

use std::cell::RefCell;
use std::rc::Rc;

use aiosim::{
    ErrorReport, EventLoop, Exception, HandleKind, Observer, RunError, Task, create_task, sleep,
    sleep_with,
};

/// One loop iteration as the observer saw it.
#[derive(Clone, Debug)]
pub struct Iteration {
    /// Iteration number (1-based, as `EventLoop::iteration`).
    pub n: u64,
    /// Virtual time during the iteration.
    pub now: u64,
    /// Size of the snapshot (cancelled entries included).
    pub batch: usize,
    /// The entries run, in order (cancelled ones included, flagged).
    pub handles: Vec<HandleKind>,
}

/// Everything the recorder saw.
#[derive(Default, Debug)]
pub struct Log {
    pub iterations: Vec<Iteration>,
    /// `(task, its future)` in creation order.
    pub tasks: Vec<(u32, u32)>,
    /// `(task, iteration, type name of the exception thrown in)` for every step.
    pub steps: Vec<(u32, u64, Option<String>)>,
    /// Tasks whose body was dropped unpolled (TASK-8).
    pub skipped: Vec<u32>,
    /// `(task, message)` of every cancel request on a pending task.
    pub cancels: Vec<(u32, Option<String>)>,
    /// `(future, cancelled, iteration)` of every completion.
    pub done: Vec<(u32, bool, u64)>,
}

impl Log {
    fn current(&self) -> u64 {
        self.iterations.last().map_or(0, |i| i.n)
    }
}

struct Obs(Rc<RefCell<Log>>);

impl Observer for Obs {
    fn iteration(&mut self, iteration: u64, now: u64, batch: usize) {
        self.0.borrow_mut().iterations.push(Iteration {
            n: iteration,
            now,
            batch,
            handles: Vec::new(),
        });
    }
    fn handle_run(&mut self, kind: HandleKind) {
        if let Some(it) = self.0.borrow_mut().iterations.last_mut() {
            it.handles.push(kind);
        }
    }
    fn task_created(&mut self, task: u32, future: u32) {
        self.0.borrow_mut().tasks.push((task, future));
    }
    fn task_step(&mut self, task: u32, throw: Option<&Exception>) {
        let mut log = self.0.borrow_mut();
        let it = log.current();
        log.steps
            .push((task, it, throw.map(|e| e.type_name().to_string())));
    }
    fn body_skipped(&mut self, task: u32, _exc: &Exception) {
        self.0.borrow_mut().skipped.push(task);
    }
    fn cancel_requested(&mut self, task: u32, msg: Option<&str>) {
        self.0
            .borrow_mut()
            .cancels
            .push((task, msg.map(str::to_string)));
    }
    fn future_done(&mut self, future: u32, cancelled: bool) {
        let mut log = self.0.borrow_mut();
        let it = log.current();
        log.done.push((future, cancelled, it));
    }
}

/// A recorder: a cheap handle on the log the installed observer writes.
#[derive(Clone)]
pub struct Rec(pub Rc<RefCell<Log>>);

impl Rec {
    /// Installs a fresh recorder on `event_loop`.
    pub fn install(event_loop: &EventLoop) -> Rec {
        let log = Rc::new(RefCell::new(Log::default()));
        event_loop.set_observer(Some(Box::new(Obs(log.clone()))));
        Rec(log)
    }

    /// The iteration running now (0 before the first), readable from a task body or callback.
    pub fn it(&self) -> u64 {
        self.0.borrow().current()
    }

    /// Number of iterations recorded.
    pub fn iterations(&self) -> u64 {
        self.0.borrow().iterations.len() as u64
    }

    /// Iterations in which a step or wakeup of `task` ran.
    pub fn runs_of(&self, task: u32) -> Vec<u64> {
        self.0
            .borrow()
            .iterations
            .iter()
            .flat_map(|it| {
                it.handles.iter().filter_map(move |h| match *h {
                    HandleKind::Step { task: t } | HandleKind::Wakeup { task: t, .. }
                        if t == task =>
                    {
                        Some(it.n)
                    }
                    _ => None,
                })
            })
            .collect()
    }

    /// Number of task steps (step or wakeup entries) of `task`.
    pub fn steps_of(&self, task: u32) -> usize {
        self.runs_of(task).len()
    }

    /// The iteration in which a handle matching `pred` ran first.
    pub fn first_iteration(&self, pred: impl Fn(&HandleKind) -> bool) -> Option<u64> {
        self.0
            .borrow()
            .iterations
            .iter()
            .find(|it| it.handles.iter().any(&pred))
            .map(|it| it.n)
    }

    /// The iteration in which the combinator callback called `name` (CPython's name, such as
    /// `_done_callback`) ran first.
    pub fn first_internal(&self, name: &str) -> Option<u64> {
        self.first_iteration(|h| matches!(h, HandleKind::Internal { name: n, .. } if *n == name))
    }

    /// The entries iteration `n` ran, in order.
    pub fn handles_in(&self, n: u64) -> Vec<HandleKind> {
        self.0
            .borrow()
            .iterations
            .iter()
            .find(|it| it.n == n)
            .map(|it| it.handles.clone())
            .unwrap_or_else(|| panic!("no iteration {n} was recorded"))
    }

    /// The index of the future of task `task`.
    pub fn fut_of(&self, task: u32) -> u32 {
        self.0
            .borrow()
            .tasks
            .iter()
            .find(|t| t.0 == task)
            .map(|t| t.1)
            .expect("task created under the recorder")
    }

    /// The iteration in which future `fut` completed.
    pub fn done_iteration(&self, fut: u32) -> Option<u64> {
        self.0
            .borrow()
            .done
            .iter()
            .find(|d| d.0 == fut)
            .map(|d| d.2)
    }

    /// The iteration of the last step of `task`, which must also be the iteration its future
    /// completed in: the `k` the latency invariants count from.
    pub fn finished_in(&self, task: u32) -> u64 {
        let k = *self.runs_of(task).last().expect("the task ran");
        assert_eq!(self.done_iteration(self.fut_of(task)), Some(k));
        k
    }

    /// Tasks for which a cancel was requested, in request order.
    pub fn cancel_order(&self) -> Vec<u32> {
        self.0.borrow().cancels.iter().map(|c| c.0).collect()
    }

    /// The trace, one line per iteration: `it (now): h1; h2`. Task `i` is called `names[i]`
    /// when given, else `Task-<i+1>` (the default name of the i-th task of a fresh loop).
    pub fn trace(&self, names: &[&str]) -> Vec<String> {
        let name = |t: u32| -> String {
            names
                .get(t as usize)
                .map_or_else(|| format!("Task-{}", t + 1), |n| n.to_string())
        };
        self.0
            .borrow()
            .iterations
            .iter()
            .map(|it| {
                let hs: Vec<String> = it
                    .handles
                    .iter()
                    .map(|h| match *h {
                        HandleKind::Step { task } => format!("{}.step", name(task)),
                        HandleKind::Wakeup { task, .. } => format!("{}.wakeup", name(task)),
                        HandleKind::Stop => "stop".to_string(),
                        HandleKind::Internal { name, .. } => name.to_string(),
                        HandleKind::UserDone { .. } => "done_cb".to_string(),
                        HandleKind::Timer { cancelled, .. } => if cancelled {
                            "timer(cancelled)"
                        } else {
                            "timer"
                        }
                        .to_string(),
                        HandleKind::Soon { cancelled, .. } => {
                            if cancelled { "soon(cancelled)" } else { "soon" }.to_string()
                        }
                    })
                    .collect();
                format!("{} ({}): {}", it.n, it.now, hs.join("; "))
            })
            .collect()
    }

    /// Prints the trace (for failing tests).
    pub fn dump(&self, names: &[&str]) -> String {
        self.trace(names).join("\n")
    }
}

/// `asyncio.run(main)` with a recorder installed: a fresh loop, `run_until_complete(main)`,
/// then the runner's shutdown (unless the run deadlocked or ran out of budget).
pub fn run_traced<T, F>(main: F) -> (Result<T, RunError>, Rec)
where
    T: Clone + 'static,
    F: std::future::Future<Output = Result<T, Exception>> + 'static,
{
    let (out, rec, event_loop) = run_loop(main);
    if !matches!(
        out,
        Err(RunError::Deadlock(_) | RunError::BudgetExhausted(_))
    ) {
        aiosim::runner::shutdown(&event_loop).expect("shutdown");
    }
    (out, rec)
}

/// Runs `main` on a fresh loop with a recorder, without the shutdown of `asyncio.run`.
pub fn run_loop<T, F>(main: F) -> (Result<T, RunError>, Rec, EventLoop)
where
    T: Clone + 'static,
    F: std::future::Future<Output = Result<T, Exception>> + 'static,
{
    let event_loop = EventLoop::new();
    let rec = Rec::install(&event_loop);
    let out = event_loop.run_until_complete(main);
    (out, rec, event_loop)
}

/// Runs exactly one loop iteration (`loop.stop(); loop.run_forever()`).
pub fn run_one(l: &EventLoop) {
    l.stop();
    l.run_forever().unwrap();
}

/// A task that sleeps `d` ticks, then returns `v`.
pub fn sleeper(d: u64, v: i32) -> Task<i32> {
    create_task(sleep_with(d, v))
}

/// A task that sleeps `d` ticks, then raises `e`.
pub fn failing(d: u64, e: Exception) -> Task<i32> {
    create_task(async move {
        sleep(d).await?;
        Err(e)
    })
}

/// A user exception `name(msg)`.
pub fn exc(name: &str) -> Exception {
    Exception::custom(name, Some(name))
}

/// The message of an exception, as an owned string.
pub fn msg_of(e: &Exception) -> Option<String> {
    e.msg().map(|m| m.to_string())
}

/// The exception of a run that raised.
pub fn raised<T: std::fmt::Debug>(r: Result<T, RunError>) -> Exception {
    match r {
        Err(RunError::Raised(e)) => e,
        other => panic!("expected the run to raise, got {other:?}"),
    }
}

/// Shared mutable log of labels, for ordering assertions.
#[derive(Clone, Default)]
pub struct Events(pub Rc<RefCell<Vec<String>>>);

impl Events {
    pub fn push(&self, s: impl Into<String>) {
        self.0.borrow_mut().push(s.into());
    }
    pub fn get(&self) -> Vec<String> {
        self.0.borrow().clone()
    }
}

/// The reports that reached a loop's exception handler, in order.
#[derive(Clone, Default)]
pub struct ErrorReports(Rc<RefCell<Vec<ErrorReport>>>);

impl ErrorReports {
    /// Installs an exception handler on `event_loop` that keeps every report it gets.
    pub fn install(event_loop: &EventLoop) -> ErrorReports {
        let reports = ErrorReports::default();
        let kept = reports.clone();
        event_loop.set_exception_handler(move |r| kept.0.borrow_mut().push(r.clone()));
        reports
    }

    /// Every report so far.
    pub fn all(&self) -> Vec<ErrorReport> {
        self.0.borrow().clone()
    }

    /// The message of every report so far.
    pub fn messages(&self) -> Vec<String> {
        self.0.borrow().iter().map(|r| r.message.clone()).collect()
    }
}
