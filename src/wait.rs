//! `asyncio.wait` (WAIT-1..WAIT-7) and `asyncio.wait_for` (WAITFOR-1..WAITFOR-10), 3.12 forms.
//!
//! `wait` registers `_on_completion` on every distinct input and suspends on a private waiter
//! future, which a deciding completion (or the timeout timer) resolves: two hops from the
//! deciding completion to the awaiter, even when every input is already done (WAIT-7).
//! `wait_for` with a positive timeout is a plain await inside [`crate::timeout()`]; with a
//! timeout `<= 0` it cancels the object and waits for it through `_cancel_and_wait`.

use std::cell::Cell;
use std::future::Future as StdFuture;
use std::rc::Rc;

use crate::await_point::AwaitOutcome;
use crate::core::{Core, FutId, FutKind, FutState, HandleObj, Internal, TimerId, with_core};
use crate::exception::{ExcType, Exception};
use crate::future::{Awaitable, FutureRef};
use crate::mutation::{self, Mutation};
use crate::task::spawn;
use crate::timeout::timeout;

/// When `wait` returns (WAIT-2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReturnWhen {
    /// When every input is done.
    AllCompleted,
    /// When at least one input is done.
    FirstCompleted,
    /// When an input finishes with an exception (not a cancellation), or all are done.
    FirstException,
}

/// The outcome of `wait`: the inputs split by `done()` when it returned, each in order of
/// first occurrence in the input (CPython returns sets, WAIT-1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WaitResult {
    /// Inputs that were done.
    pub done: Vec<FutureRef>,
    /// Inputs that were not.
    pub pending: Vec<FutureRef>,
}

/// `_release_waiter`: resolve the waiter unless it is already done.
struct ReleaseWaiter {
    waiter: FutId,
}

impl Internal for ReleaseWaiter {
    fn run(self: Rc<Self>, core: &mut Core, _fut: FutId) {
        if !core.is_done(self.waiter) {
            let _ = core.set_unit_result(self.waiter);
        }
    }

    fn name(&self) -> &'static str {
        "_release_waiter"
    }
}

/// `_on_completion` of one `wait`.
struct OnCompletion {
    waiter: FutId,
    counter: Cell<usize>,
    return_when: ReturnWhen,
    timer: Cell<Option<TimerId>>,
}

impl Internal for OnCompletion {
    fn run(self: Rc<Self>, core: &mut Core, f: FutId) {
        self.counter.set(self.counter.get().saturating_sub(1));
        let decides = self.counter.get() == 0
            || self.return_when == ReturnWhen::FirstCompleted
            || (self.return_when == ReturnWhen::FirstException
                && core.fut(f).state != FutState::Cancelled
                && matches!(core.exception_of(f), Ok(Some(_))));
        if decides {
            if let Some(t) = self.timer.get() {
                core.cancel_timer(t);
            }
            if !core.is_done(self.waiter) {
                let _ = core.set_unit_result(self.waiter);
            }
        }
    }

    fn name(&self) -> &'static str {
        "_on_completion"
    }
}

/// `await asyncio.wait(fs, timeout=..., return_when=...)`. Duplicates collapse (WAIT-6); an
/// empty input is a `ValueError` (WAIT-5); a timeout returns without raising (WAIT-3); the
/// inputs are never cancelled (WAIT-4).
pub async fn wait(
    fs: &[FutureRef],
    timeout: Option<u64>,
    return_when: ReturnWhen,
) -> Result<WaitResult, Exception> {
    if fs.is_empty() {
        return Err(Exception::new(
            ExcType::Value,
            Some("Set of Tasks/Futures is empty."),
        ));
    }
    let distinct = crate::distinct::distinct_in_order(fs);
    let (waiter, on_completion) = with_core(|core| {
        let waiter = core.new_future(FutKind::Plain);
        let cb = Rc::new(OnCompletion {
            waiter,
            counter: Cell::new(distinct.len()),
            return_when,
            timer: Cell::new(None),
        });
        if let Some(t) = timeout {
            let when = core.now.saturating_add(t);
            let release = core.handle_cb(HandleObj::Internal(Rc::new(ReleaseWaiter { waiter })));
            cb.timer.set(Some(core.call_at_cb(when, release)));
        }
        for f in distinct.iter() {
            core.add_internal_callback(f.id, cb.clone());
        }
        (
            FutureRef {
                id: waiter,
                loop_id: core.loop_id,
            },
            cb,
        )
    });
    let waited = AwaitOutcome::new(waiter).await;
    let result = with_core(|core| {
        if let Some(t) = on_completion.timer.get() {
            core.cancel_timer(t);
        }
        let mine: Rc<dyn Internal> = on_completion.clone();
        for f in distinct.iter() {
            core.remove_internal(f.id, &mine);
        }
        let (done, pending) = distinct.iter().partition(|f| core.is_done(f.id));
        WaitResult { done, pending }
    });
    waited.map(|()| result)
}

/// `await asyncio.wait_for(x, timeout)` for a future or task (WAITFOR-1..WAITFOR-10).
///
/// `None` is a plain await (WAITFOR-5). A positive timeout is `timeout(t)` around the await:
/// on expiry `x` is cancelled and awaited to its end, then `TimeoutError` is raised unless it
/// returned a value (WAITFOR-2, WAITFOR-3, WAITFOR-8). `Some(0)` takes the immediate path:
/// return if done, else cancel, wait and convert (WAITFOR-6).
pub async fn wait_for<T: Clone + 'static, A: Awaitable<T>>(
    x: &A,
    timeout_ticks: Option<u64>,
) -> Result<T, Exception> {
    let fut = x.future_ref();
    match timeout_ticks {
        Some(0) => cancel_and_wait_result::<T>(fut).await,
        Some(t) if mutation::active(Mutation::WaitForEarlyReturn) => {
            let r = wait(&[fut], Some(t), ReturnWhen::FirstCompleted).await?;
            if r.done.is_empty() {
                return Err(Exception::timeout_from(None));
            }
            with_core(|c| c.result_of::<T>(fut.id))
        }
        _ => {
            timeout(timeout_ticks, |_| async move {
                AwaitOutcome::new(fut).await?;
                Ok(value(fut))
            })
            .await
        }
    }
}

/// `await asyncio.wait_for(coro, timeout)` for a body not yet running: with a positive or no
/// timeout it runs *inline* in the calling task (WAITFOR-7); with `Some(0)` it is wrapped in a
/// task that is cancelled before it starts, so the body never runs (WAITFOR-6).
pub async fn wait_for_body<T, F>(body: F, timeout_ticks: Option<u64>) -> Result<T, Exception>
where
    T: Clone + 'static,
    F: StdFuture<Output = Result<T, Exception>> + 'static,
{
    match timeout_ticks {
        Some(0) => {
            let task = spawn(body, None);
            cancel_and_wait_result::<T>(task.as_future()).await
        }
        _ => timeout(timeout_ticks, |_| body).await,
    }
}

fn value<T: Clone + 'static>(fut: FutureRef) -> T {
    with_core(|c| c.value_of::<T>(fut.id))
}

/// The `timeout <= 0` path of `wait_for`.
async fn cancel_and_wait_result<T: Clone + 'static>(fut: FutureRef) -> Result<T, Exception> {
    if fut.done() {
        return with_core(|c| c.result_of::<T>(fut.id));
    }
    cancel_and_wait(fut).await?;
    match with_core(|c| c.result_of::<T>(fut.id)) {
        Err(e) if e.is_cancelled() => Err(Exception::timeout_from(Some(e))),
        other => other,
    }
}

/// `_cancel_and_wait`: cancel `fut` and wait on a private waiter until it is done.
async fn cancel_and_wait(fut: FutureRef) -> Result<(), Exception> {
    let (waiter, release) = with_core(|core| {
        let waiter = core.new_future(FutKind::Plain);
        let release: Rc<dyn Internal> = Rc::new(ReleaseWaiter { waiter });
        core.add_internal_callback(fut.id, release.clone());
        core.cancel(fut.id, None);
        (
            FutureRef {
                id: waiter,
                loop_id: core.loop_id,
            },
            release,
        )
    });
    let waited = AwaitOutcome::new(waiter).await;
    with_core(|core| core.remove_internal(fut.id, &release));
    waited
}
