//! The observer hook: structured events about what the loop does.
//!
//! An [`Observer`] installed on a loop (see [`crate::EventLoop::set_observer`]) is told about
//! every handle run, task step, completion and cancel request, with the loop's ids. It runs
//! with the loop borrowed, so it must only record: it cannot call back into the runtime. When
//! no observer is installed each hook costs one branch, and the calls to an installed one are
//! marked as the cold path (`std::hint::cold_path`), so that the loop's code is laid out for
//! running without one. The same points also emit `tracing` events at `TRACE` level under the
//! target `aiosim`.

use crate::exception::Exception;

/// What kind of ready entry ran, for [`Observer::handle_run`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HandleKind {
    /// A task step queued by `create_task`, a bare yield, or a self-await error.
    Step {
        /// Task index.
        task: u32,
    },
    /// A task's wakeup: a done-callback of the future it waited on.
    Wakeup {
        /// Task index.
        task: u32,
        /// Index of the future that completed.
        future: u32,
    },
    /// `run_until_complete`'s stop callback.
    Stop,
    /// A combinator's done-callback (CPython's name, e.g. `_done_callback`).
    Internal {
        /// The callback's CPython name.
        name: &'static str,
        /// Index of the future that completed.
        future: u32,
    },
    /// A user done-callback.
    UserDone {
        /// Index of the future that completed.
        future: u32,
    },
    /// A timer handle (`sleep`'s timer, a timeout handler, a user `call_later`).
    Timer {
        /// Timer index.
        timer: u32,
        /// Its deadline.
        when: u64,
        /// Whether it was cancelled (then it is skipped, LOOP-3).
        cancelled: bool,
    },
    /// A `call_soon` handle.
    Soon {
        /// Handle index.
        handle: u32,
        /// Whether it was cancelled (then it is skipped, LOOP-3).
        cancelled: bool,
    },
}

/// Receives the loop's structured events. Every method has an empty default.
pub trait Observer {
    /// An iteration starts at virtual time `now` with `batch` ready entries.
    fn iteration(&mut self, _iteration: u64, _now: u64, _batch: usize) {}
    /// A ready entry is about to run.
    fn handle_run(&mut self, _kind: HandleKind) {}
    /// A task was created (task index, index of its future).
    fn task_created(&mut self, _task: u32, _future: u32) {}
    /// A task step begins; `throw` is the exception it delivers, if any.
    fn task_step(&mut self, _task: u32, _throw: Option<&Exception>) {}
    /// A task cancelled before its first step ends without running its body (TASK-8).
    fn body_skipped(&mut self, _task: u32, _exc: &Exception) {}
    /// `cancel()` was requested on a pending task.
    fn cancel_requested(&mut self, _task: u32, _msg: Option<&str>) {}
    /// A future (or task) completed; `cancelled` tells whether by cancellation.
    fn future_done(&mut self, _future: u32, _cancelled: bool) {}
    /// A finished internal future (a `sleep`'s) can no longer be reached: its index will be
    /// given to the next future created. Events about that index after this one concern the
    /// new future.
    fn future_released(&mut self, _future: u32) {}
}
