//! `asyncio.sleep` (SLEEP-1..SLEEP-4), built as CPython builds it: `sleep(0)` is one bare yield;
//! `sleep(d)` is a future plus a timer that sets its result unless it was cancelled, and the
//! timer is cancelled on the way out (so a cancelled sleep leaves a cancelled timer in the heap).
//! Neither is reachable from outside, so once the sleep resumes the future's slot, and the
//! timer's if it has run, are given back to the loop for the next ones.

use std::future::Future as StdFuture;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::core::{FutId, FutKind, FutState, HandleCb, TimerId, with_core};
use crate::exception::Exception;
use crate::mutation::{self, Mutation};

enum Phase {
    Start(u64),
    Waiting { fut: FutId, timer: TimerId },
    Yielded,
    Done,
}

/// The future returned by [`sleep`] and [`sleep_with`].
pub struct Sleep<T> {
    phase: Phase,
    result: Option<T>,
}

/// `await asyncio.sleep(delay)`: resumes no earlier than `delay` ticks from now (SLEEP-1);
/// `delay == 0` yields once to the back of the ready queue (SLEEP-2).
pub fn sleep(delay: u64) -> Sleep<()> {
    sleep_with(delay, ())
}

/// `await asyncio.sleep(delay, result)`: returns `result` (SLEEP-3).
pub fn sleep_with<T>(delay: u64, result: T) -> Sleep<T> {
    Sleep {
        phase: Phase::Start(delay),
        result: Some(result),
    }
}

impl<T> Unpin for Sleep<T> {}

impl<T> StdFuture for Sleep<T> {
    type Output = Result<T, Exception>;

    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let outcome = with_core(|core| match this.phase {
            Phase::Start(0) if mutation::active(Mutation::SleepZeroNoYield) => Some(Ok(())),
            Phase::Start(0) => {
                core.bare_yield();
                this.phase = Phase::Yielded;
                None
            }
            Phase::Start(delay) => {
                let fut = core.new_future(FutKind::Plain);
                let when = core.now.saturating_add(delay);
                let timer = core.call_at_cb(when, HandleCb::SleepWake(fut));
                core.suspend_on(fut);
                this.phase = Phase::Waiting { fut, timer };
                None
            }
            Phase::Waiting { fut, timer } => {
                let r = core.resume(fut);
                if core.fut(fut).state == FutState::Finished {
                    // Only the timer finishes the future: it has run.
                    core.release_timer(timer);
                } else {
                    core.cancel_timer(timer);
                }
                core.release_future(fut);
                Some(r)
            }
            Phase::Yielded => Some(core.take_throw().map_or(Ok(()), Err)),
            Phase::Done => panic!("aiosim: sleep polled after it completed"),
        });
        match outcome {
            None => Poll::Pending,
            Some(r) => {
                this.phase = Phase::Done;
                Poll::Ready(r.map(|()| this.result.take().expect("result taken once")))
            }
        }
    }
}
