//! `asyncio.run` (RUN-1..RUN-7): a fresh loop, the main task, then the shutdown CPython
//! performs: cancel every task still pending (in creation order, the order the graph format
//! pins, RUN-6) and wait for them as one `gather(..., return_exceptions=True)`, then the two
//! `run_until_complete` calls for async generators and the default executor, then `close()`.

use std::future::Future as StdFuture;

use crate::event_loop::{EventLoop, RunError};
use crate::exception::Exception;
use crate::future::FutureRef;
use crate::gather::gather_outcomes;
use crate::schedule::SetSite;
use crate::task::{TaskRef, all_tasks_in, spawn_internal};

/// `asyncio.run(main)`: runs `main` as a task on a new loop and shuts the loop down.
///
/// The main task's result is read before the shutdown (as `Runner.run` does) and returned
/// after it; a deadlock or an exhausted budget is returned as such, without shutdown.
pub fn run<T, F>(main: F) -> Result<T, RunError>
where
    T: Clone + 'static,
    F: StdFuture<Output = Result<T, Exception>> + 'static,
{
    let event_loop = EventLoop::new();
    let outcome = event_loop.run_until_complete(main);
    if matches!(
        outcome,
        Err(RunError::Deadlock(_) | RunError::BudgetExhausted(_))
    ) {
        event_loop.close();
        return outcome;
    }
    shutdown(&event_loop)?;
    outcome
}

/// The shutdown half of `asyncio.run` on a loop whose main task is done: cancel leftovers,
/// wait for them, run the two shutdown steps, close (RUN-3, RUN-5, RUN-7).
///
/// The loop is closed even when a step fails (a `stop()` during the shutdown, for instance),
/// as `Runner.close` closes it in a `finally`; the step's error is then returned.
pub fn shutdown(event_loop: &EventLoop) -> Result<(), RunError> {
    let steps = shutdown_steps(event_loop);
    event_loop.close();
    steps
}

/// The steps of [`shutdown`] before the loop is closed.
fn shutdown_steps(event_loop: &EventLoop) -> Result<(), RunError> {
    cancel_leftovers(event_loop)?;
    for _step in ["shutdown_asyncgens", "shutdown_default_executor"] {
        // Each is a coroutine that returns at once, run as a task: two iterations (RUN-7).
        let task = spawn_internal(async { Ok(()) });
        event_loop.run_until_future_done(task.as_future())?;
    }
    Ok(())
}

/// `_cancel_all_tasks`: the task list is taken once; tasks spawned later are neither
/// cancelled nor awaited (RUN-5). Errors other than cancellation go to the exception handler
/// (RUN-4), at once, before the next shutdown step runs.
fn cancel_leftovers(event_loop: &EventLoop) -> Result<(), RunError> {
    let leftovers: Vec<TaskRef> =
        crate::core::with_core(|c| c.set_order(SetSite::ShutdownCancel, &all_tasks_in(c)));
    if leftovers.is_empty() {
        return Ok(());
    }
    for t in &leftovers {
        t.cancel();
    }
    let futures: Vec<FutureRef> = leftovers.iter().map(|t| t.as_future()).collect();
    let all = gather_outcomes(&futures);
    event_loop.run_until_future_done(all.as_ref())?;
    for t in &leftovers {
        if t.cancelled() {
            continue;
        }
        if let Ok(Some(exc)) = t.as_future().exception() {
            crate::core::with_core(|c| {
                c.report(
                    "unhandled exception during asyncio.run() shutdown".into(),
                    Some(exc),
                    Some(t.id),
                )
            });
        }
    }
    event_loop.deliver_reports();
    Ok(())
}
