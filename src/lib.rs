//! # aiosim: asyncio's Futures and Tasks, faithful to CPython 3.12, on a virtual clock
//!
//! aiosim re-implements the semantics of Python's asyncio Futures and Tasks in Rust: a
//! single-threaded event loop whose clock is virtual, futures with done-callbacks, tasks that
//! drive Rust `async` bodies, cooperative and catchable cancellation, and the combinators
//! (`sleep`, `gather`, `wait`, `wait_for`, `shield`, `as_completed`, `timeout`, `TaskGroup`,
//! `run`). In its default FIFO mode the loop runs callbacks in exactly CPython's order, so
//! the same program produces the same sequence of events as on CPython 3.12; a pluggable
//! [`Scheduler`] lets exploration tools run other legal orders.
//!
//! Every awaitable yields `Result<T, Exception>`: a cancellation arrives as
//! `Err(CancelledError)` at the `.await` where the task is suspended, and the body may handle
//! it like Python code handles `except CancelledError`.
//!
//! ```
//! use aiosim::{run, create_task, sleep, time, Exception};
//!
//! let out = run(async {
//!     let child = create_task(async {
//!         sleep(5).await?;
//!         Ok(42)
//!     });
//!     sleep(2).await?;
//!     let v = child.await?;
//!     Ok((v, time()))
//! });
//! assert_eq!(out.unwrap(), (42, 5));
//! ```
//!
//! Invariant IDs in the documentation (FUT-7, TASK-5, ...) refer to the catalogue of asyncio
//! semantics that the test-suite checks.

pub mod as_completed;
mod await_point;
mod batch;
mod body_pool;
mod callbacks;
mod closing;
mod core;
mod distinct;
mod due_timers;
pub mod event_loop;
pub mod exception;
pub mod future;
pub mod gather;
pub mod handle;
pub mod heap;
pub mod mutation;
pub mod observe;
mod queued;
mod ready;
pub mod real_time;
mod repr;
mod results;
pub mod runner;
pub mod schedule;
pub mod shield;
pub mod sleep;
mod slots;
pub mod stall;
pub mod task;
pub mod task_group;
pub mod timeout;
pub mod wait;

pub use crate::as_completed::{AsCompleted, as_completed};
pub use crate::await_point::Awaiting;
pub use crate::core::ErrorReport;
pub use crate::event_loop::{EventLoop, RunError, call_at, call_later, call_soon, time};
pub use crate::exception::{ExcType, Exception};
pub use crate::future::{Awaitable, DoneCallback, Future, FutureRef, State};
pub use crate::gather::{gather, gather_outcomes, gather_return_exceptions};
pub use crate::handle::{Handle, TimerHandle};
pub use crate::observe::{HandleKind, Observer};
pub use crate::real_time::LoopHandle;
pub use crate::runner::run;
pub use crate::schedule::{Candidate, Fifo, Injection, Lane, Level, Scheduler, SetSite};
pub use crate::shield::shield;
pub use crate::sleep::{Sleep, sleep, sleep_with};
pub use crate::stall::{Awaited, PendingTask, Stall};
pub use crate::task::{Task, TaskRef, all_tasks, create_task, create_task_named, current_task};
pub use crate::task_group::{TaskGroup, task_group};
pub use crate::timeout::{Timeout, timeout, timeout_at};
pub use crate::wait::{ReturnWhen, WaitResult, wait, wait_for, wait_for_body};

/// The README's Rust examples, compiled and run as doc-tests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
