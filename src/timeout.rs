//! `asyncio.timeout` / `timeout_at` (TMO-1..TMO-9), 3.12 form.
//!
//! Entering records the task's `cancelling()` count and arms the deadline: a timer, or a
//! `call_soon` when the deadline is not in the future (TMO-2). On expiry the handler cancels
//! the task once and marks the context as expiring. Leaving disarms; after an expiry the
//! context calls `uncancel()` and turns the `CancelledError` that reached it into
//! `TimeoutError` only if no other cancel request is outstanding (TMO-1, TMO-5). Entering and
//! leaving never suspend (TMO-8).

use std::cell::Cell;
use std::future::Future as StdFuture;
use std::rc::Rc;

use crate::core::{Core, FutId, HandleObj, Internal, SoonId, TaskId, TimerId, with_core};
use crate::exception::Exception;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Created,
    Entered,
    Expiring,
    Expired,
    Exited,
}

impl Phase {
    fn word(self) -> &'static str {
        match self {
            Phase::Created => "created",
            Phase::Entered => "active",
            Phase::Expiring => "expiring",
            Phase::Expired => "expired",
            Phase::Exited => "finished",
        }
    }
}

#[derive(Clone, Copy)]
enum Armed {
    Timer(TimerId),
    Soon(SoonId),
}

struct State {
    phase: Cell<Phase>,
    when: Cell<Option<u64>>,
    armed: Cell<Option<Armed>>,
    task: Cell<TaskId>,
    cancelling: Cell<u32>,
}

impl Internal for State {
    /// `_on_timeout`.
    fn run(self: Rc<Self>, core: &mut Core, _fut: FutId) {
        core.task_cancel(self.task.get(), None);
        self.phase.set(Phase::Expiring);
        self.armed.set(None);
    }

    fn name(&self) -> &'static str {
        "_on_timeout"
    }
}

impl State {
    fn disarm(&self, core: &mut Core) {
        match self.armed.take() {
            Some(Armed::Timer(id)) => core.cancel_timer(id),
            Some(Armed::Soon(id)) => core.cancel_soon(id),
            None => {}
        }
    }

    fn reschedule(self: &Rc<Self>, core: &mut Core, when: Option<u64>) -> Result<(), Exception> {
        match self.phase.get() {
            Phase::Entered => {}
            Phase::Created => return Err(Exception::runtime("Timeout has not been entered")),
            other => {
                return Err(Exception::runtime(&format!(
                    "Cannot change state of {} Timeout",
                    other.word()
                )));
            }
        }
        self.when.set(when);
        self.disarm(core);
        if let Some(when) = when {
            let me = core.handle_cb(HandleObj::Internal(self.clone()));
            self.armed.set(Some(if when <= core.now {
                Armed::Soon(core.call_soon_cb(me))
            } else {
                Armed::Timer(core.call_at_cb(when, me))
            }));
        }
        Ok(())
    }
}

/// An active `asyncio.Timeout` context, handed to the body of [`timeout`] / [`timeout_at`].
#[derive(Clone)]
pub struct Timeout(Rc<State>);

impl Timeout {
    /// `when()`: the deadline in ticks, or `None` for no deadline.
    pub fn when(&self) -> Option<u64> {
        self.0.when.get()
    }

    /// `reschedule(when)`: moves the deadline; a deadline not in the future fires in the next
    /// iteration (TMO-2). `RuntimeError` once the context has expired or exited (TMO-3).
    pub fn reschedule(&self, when: Option<u64>) -> Result<(), Exception> {
        with_core(|core| self.0.reschedule(core, when))
    }

    /// `expired()`: true once the handler has run (TMO-3).
    pub fn expired(&self) -> bool {
        matches!(self.0.phase.get(), Phase::Expiring | Phase::Expired)
    }

    fn enter(when: Option<u64>) -> Result<Timeout, Exception> {
        let state = Rc::new(State {
            phase: Cell::new(Phase::Created),
            when: Cell::new(when),
            armed: Cell::new(None),
            task: Cell::new(0),
            cancelling: Cell::new(0),
        });
        with_core(|core| {
            let task = core
                .current
                .ok_or_else(|| Exception::runtime("Timeout should be used inside a task"))?;
            state.phase.set(Phase::Entered);
            state.task.set(task);
            state.cancelling.set(core.task(task).num_cancels);
            state.reschedule(core, when)
        })?;
        Ok(Timeout(state))
    }

    /// `__aexit__`: disarm; after an expiry, `uncancel()` and convert (TMO-1, TMO-4..TMO-6).
    fn exit<T>(self, outcome: Result<T, Exception>) -> Result<T, Exception> {
        let state = &self.0;
        let converted = with_core(|core| {
            state.disarm(core);
            match state.phase.get() {
                Phase::Expiring => {
                    state.phase.set(Phase::Expired);
                    let left = core.task_uncancel(state.task.get());
                    match &outcome {
                        Err(e) if e.is_cancelled() && left <= state.cancelling.get() => {
                            Some(Exception::timeout_from(Some(e.clone())))
                        }
                        _ => None,
                    }
                }
                _ => {
                    state.phase.set(Phase::Exited);
                    None
                }
            }
        });
        match converted {
            Some(timeout_error) => Err(timeout_error),
            None => outcome,
        }
    }
}

/// `async with asyncio.timeout(delay): body` — `None` never expires (TMO-3).
pub async fn timeout<T, F, Fut>(delay: Option<u64>, body: F) -> Result<T, Exception>
where
    F: FnOnce(Timeout) -> Fut,
    Fut: StdFuture<Output = Result<T, Exception>>,
{
    let when = delay.map(|d| with_core(|c| c.now.saturating_add(d)));
    timeout_at(when, body).await
}

/// `async with asyncio.timeout_at(when): body`.
pub async fn timeout_at<T, F, Fut>(when: Option<u64>, body: F) -> Result<T, Exception>
where
    F: FnOnce(Timeout) -> Fut,
    Fut: StdFuture<Output = Result<T, Exception>>,
{
    let cm = Timeout::enter(when)?;
    let outcome = body(cm.clone()).await;
    cm.exit(outcome)
}
