//! `asyncio.sleep` (SLEEP-1..SLEEP-4), built as CPython builds it: `sleep(0)` is one bare yield;
//! `sleep(d)` is a future plus a timer that sets its result unless it was cancelled, and the
//! timer is cancelled on the way out (so a cancelled sleep leaves a cancelled timer in the heap).
//! Neither is reachable from outside, so once the sleep resumes the future's slot, and the
//! timer's if it has run, are given back to the loop for the next ones.
//!
//! A sleep that ends because its timer ran is settled by the step that resumes its task,
//! which holds the loop already: the step leaves a word in `SETTLED`, the sleep returns on that
//! word without reaching the loop, and the step's end gives both slots back. A sleep cut
//! short (its future cancelled, or an exception thrown in) finds out for itself.

use std::cell::Cell;
use std::future::Future as StdFuture;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::core::{FutId, FutKind, FutState, HandleCb, TimerId, with_core};
use crate::exception::Exception;
use crate::mutation::{self, Mutation};

/// The word about the sleep a step settled: its future in the low half; in the high half
/// [`NOT_RETURNED`] until the sleep returns on it, then its timer. Ids are table indices, and
/// a table with an entry at `u32::MAX` (2^32 slots of 24 bytes or more) is out of reach, so
/// neither half is ambiguous.
const NOT_RETURNED: u64 = (u32::MAX as u64) << 32;

/// No word: no future has the id `u32::MAX`.
const NO_WORD: u64 = u64::MAX;

thread_local! {
    /// The word about the sleep that the step in progress settled, or [`NO_WORD`].
    static SETTLED: Cell<u64> = const { Cell::new(NO_WORD) };
}

/// Tells the sleep on `fut` that it is over: its timer ran and nothing is thrown in.
#[inline(always)]
pub(crate) fn settle(fut: FutId) {
    SETTLED.set(NOT_RETURNED | u64::from(fut));
}

/// At the end of a step: the future and timer of the sleep settled in it, if it returned
/// (their slots can be given back). The word is cleared either way.
#[inline(always)]
pub(crate) fn returned() -> Option<(FutId, TimerId)> {
    let word = SETTLED.replace(NO_WORD);
    let (fut, timer) = (word as FutId, (word >> 32) as TimerId);
    (timer != u32::MAX).then_some((fut, timer))
}

/// Clears the word when a loop opens: a step that panicked never reached its end.
pub(crate) fn forget_settled() {
    SETTLED.set(NO_WORD);
}

/// Whether the step in progress settled the sleep on `fut`; if so it returns now, leaving
/// its timer in the word for the step's end.
#[inline(always)]
fn take_settled(fut: FutId, timer: TimerId) -> bool {
    let settled = SETTLED.get() == NOT_RETURNED | u64::from(fut);
    if settled {
        SETTLED.set(u64::from(timer) << 32 | u64::from(fut));
    }
    settled
}

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

    #[inline(always)]
    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let outcome = match this.phase {
            Phase::Waiting { fut, timer } => {
                if take_settled(fut, timer) {
                    Ok(())
                } else {
                    wake(fut, timer)
                }
            }
            Phase::Start(delay) => match start(&mut this.phase, delay) {
                None => return Poll::Pending,
                Some(done) => done,
            },
            Phase::Yielded => with_core(|core| core.take_throw().map_or(Ok(()), Err)),
            Phase::Done => panic!("aiosim: sleep polled after it completed"),
        };
        this.phase = Phase::Done;
        Poll::Ready(outcome.map(|()| this.result.take().expect("result taken once")))
    }
}

/// The first poll of a sleep: suspends the task and writes the phase to wait in (`None`), or
/// under a deliberate defect finishes at once. The phase is written in place rather than
/// returned: a returned phase goes through a stack copy that is read back wider than it was
/// written, a stall on every sleep.
#[inline]
fn start(phase: &mut Phase, delay: u64) -> Option<Result<(), Exception>> {
    with_core(|core| {
        if delay == 0 {
            if mutation::active(Mutation::SleepZeroNoYield) {
                return Some(Ok(()));
            }
            core.bare_yield();
            *phase = Phase::Yielded;
            return None;
        }
        let fut = core.new_future(FutKind::Plain);
        let when = core.now.saturating_add(delay);
        let timer = core.call_at_cb(when, HandleCb::SleepWake(fut));
        core.suspend_in_sleep(fut);
        *phase = Phase::Waiting { fut, timer };
        None
    })
}

/// The poll after the task woke, when the step did not settle the sleep: the sleep's
/// outcome. The timer is cancelled on the way out (it has run unless the sleep was
/// cancelled) and both slots are given back.
#[inline]
fn wake(fut: FutId, timer: TimerId) -> Result<(), Exception> {
    with_core(|core| {
        let r = core.resume(fut);
        if core.fut(fut).state == FutState::Finished {
            // Only the timer finishes the future: it has run.
            core.release_timer(timer);
        } else {
            core.cancel_timer(timer);
        }
        core.release_future(fut);
        r
    })
}
