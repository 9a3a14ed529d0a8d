//! Deliberate defects, for proving that the invariant oracles can fail (mutation testing).
//!
//! With the cargo feature `mutations`, `set_mutation` switches on one defect for the current
//! thread; every other build compiles the checks away (`active` is a constant `false`). Each
//! defect breaks one documented behaviour, named by the invariants it violates.

/// One deliberate defect.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mutation {
    /// `gather` lists results in completion order instead of argument order (GATHER-1).
    GatherCompletionOrder,
    /// `shield` forwards the outer cancellation to the inner awaitable (SHIELD-2).
    ShieldForwardsCancel,
    /// A task woken with a result keeps it although a cancel arrived meanwhile (TASK-5).
    LateCancelKeepsResult,
    /// A future's done-callbacks run in reverse registration order (FUT-7, P4).
    CallbacksReversed,
    /// `wait_for` raises `TimeoutError` without cancelling and waiting for the inner task
    /// (WAITFOR-2).
    WaitForEarlyReturn,
    /// A failing `TaskGroup` child does not cancel its siblings (TG-2).
    TaskGroupSparesSiblings,
    /// Timers fire one tick before their deadline (LOOP-4, SLEEP-1, P6).
    TimerOneTickEarly,
    /// `uncancel()` reaching zero withdraws a pending cancellation (3.13, not 3.12: TASK-11).
    UncancelClearsMustCancel,
    /// `sleep(0)` returns without yielding to the loop (SLEEP-2).
    SleepZeroNoYield,
    /// A cancelled task's `CancelledError` message is dropped before its first consumer
    /// (TASK-14).
    CancelMessageLost,
}

impl Mutation {
    /// Every mutation.
    pub const ALL: [Mutation; 10] = [
        Mutation::GatherCompletionOrder,
        Mutation::ShieldForwardsCancel,
        Mutation::LateCancelKeepsResult,
        Mutation::CallbacksReversed,
        Mutation::WaitForEarlyReturn,
        Mutation::TaskGroupSparesSiblings,
        Mutation::TimerOneTickEarly,
        Mutation::UncancelClearsMustCancel,
        Mutation::SleepZeroNoYield,
        Mutation::CancelMessageLost,
    ];
}

#[cfg(feature = "mutations")]
thread_local! {
    static ACTIVE: std::cell::Cell<Option<Mutation>> = const { std::cell::Cell::new(None) };
}

/// Switches on `mutation` (or none) for loops on the current thread.
#[cfg(feature = "mutations")]
pub fn set_mutation(mutation: Option<Mutation>) {
    ACTIVE.with(|a| a.set(mutation));
}

/// Whether `m` is switched on; always `false` without the `mutations` feature.
#[inline(always)]
pub(crate) fn active(m: Mutation) -> bool {
    #[cfg(feature = "mutations")]
    {
        ACTIVE.with(|a| a.get() == Some(m))
    }
    #[cfg(not(feature = "mutations"))]
    {
        let _ = m;
        false
    }
}
