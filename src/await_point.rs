//! Suspension points: how an aiosim awaitable gives control back to the loop.
//!
//! A task polls its body with a no-op waker. An awaitable that must suspend does not rely on
//! the waker: it tells the core what it waits for ([`Core::suspend_on`] or a bare yield), and
//! returns `Pending`. The task's step then registers its wakeup on that future (semantics 2.6).
//! When the task resumes, the same awaitable is polled again and asks [`Core::resume`] for
//! its outcome: the exception the step throws in (a cancellation, TASK-5) wins over the
//! future's own outcome. An awaitable that finds its future done never suspends (FUT-11).

use std::future::Future as StdFuture;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::core::{Core, FutId, Yield, with_loop};
use crate::exception::Exception;
use crate::future::FutureRef;

impl Core {
    /// Records that the polled body suspends on the pending future `f`.
    pub(crate) fn suspend_on(&mut self, f: FutId) {
        self.note_yield(Yield::Future(f));
    }

    /// Records that the polled body suspends in a `sleep` on its pending future `f`.
    pub(crate) fn suspend_in_sleep(&mut self, f: FutId) {
        self.note_yield(Yield::Sleep(f));
    }

    /// Records a bare yield (`sleep(0)`, SLEEP-2).
    pub(crate) fn bare_yield(&mut self) {
        self.note_yield(Yield::Bare);
    }

    #[inline(always)]
    fn note_yield(&mut self, y: Yield) {
        assert!(
            self.current.is_some(),
            "aiosim: an aiosim awaitable was awaited outside of an aiosim task"
        );
        self.yielded = if self.yielded == Yield::Nothing {
            y
        } else {
            Yield::Twice
        };
    }

    /// The exception the current step throws in at the suspended await point, if any.
    #[inline(always)]
    pub(crate) fn take_throw(&mut self) -> Option<Exception> {
        let t = self
            .current
            .expect("aiosim: an aiosim awaitable was resumed outside of an aiosim task");
        self.tasks[t as usize].throw.take()
    }

    /// The outcome of an await that suspended on `f`, when the task resumes: the thrown-in
    /// exception if the step has one, else the future's outcome.
    #[inline(always)]
    pub(crate) fn resume(&mut self, f: FutId) -> Result<(), Exception> {
        if let Some(exc) = self.take_throw() {
            return Err(exc);
        }
        if !self.is_done(f) {
            return Err(Exception::runtime(
                "aiosim: task resumed before the future it awaited was done",
            ));
        }
        self.outcome(f)
    }
}

/// The future returned by `fut.await` / `task.await`: resolves to the awaited object's result
/// or exception (FUT-11, TASK-16).
pub struct Awaiting<T> {
    fut: FutureRef,
    suspended: bool,
    _t: PhantomData<fn() -> T>,
}

impl<T> Awaiting<T> {
    pub(crate) fn new(fut: FutureRef) -> Awaiting<T> {
        Awaiting {
            fut,
            suspended: false,
            _t: PhantomData,
        }
    }
}

impl<T: Clone + 'static> StdFuture for Awaiting<T> {
    type Output = Result<T, Exception>;

    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let f = this.fut.id;
        with_loop(this.fut.loop_id, |core| {
            if this.suspended {
                Poll::Ready(core.resume(f).map(|()| core.value_of::<T>(f)))
            } else if core.is_done(f) {
                Poll::Ready(core.result_of::<T>(f))
            } else {
                core.suspend_on(f);
                this.suspended = true;
                Poll::Pending
            }
        })
    }
}

/// Awaits any future or task without reading its value: `Ok(())` if it finished normally.
/// Used by combinators that only need the outcome.
pub(crate) struct AwaitOutcome {
    fut: FutureRef,
    suspended: bool,
}

impl AwaitOutcome {
    pub(crate) fn new(fut: FutureRef) -> AwaitOutcome {
        AwaitOutcome {
            fut,
            suspended: false,
        }
    }
}

impl StdFuture for AwaitOutcome {
    type Output = Result<(), Exception>;

    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let f = this.fut.id;
        with_loop(this.fut.loop_id, |core| {
            if this.suspended {
                Poll::Ready(core.resume(f))
            } else if core.is_done(f) {
                Poll::Ready(core.outcome(f))
            } else {
                core.suspend_on(f);
                this.suspended = true;
                Poll::Pending
            }
        })
    }
}
