//! `asyncio.shield` (SHIELD-1..SHIELD-6).
//!
//! The outer future copies the inner outcome through `_inner_done_callback`; cancelling the
//! outer (or the task awaiting it) leaves the inner running, and `_outer_done_callback` then
//! unregisters the inner callback. The outer's callback is registered before any awaiter's
//! wakeup, so its bookkeeping runs first (SHIELD-6).

use std::marker::PhantomData;
use std::rc::Rc;

use crate::core::{Core, FutId, FutKind, FutState, Internal, with_core};
use crate::future::{Awaitable, Future};
use crate::mutation::{self, Mutation};

/// `_inner_done_callback`.
struct InnerDone<T> {
    outer: FutId,
    _t: PhantomData<fn() -> T>,
}

impl<T: Clone + 'static> Internal for InnerDone<T> {
    fn run(self: Rc<Self>, core: &mut Core, inner: FutId) {
        if core.fut(self.outer).state == FutState::Cancelled {
            // SHIELD-2: the inner outcome is dropped, its exception marked retrieved.
            if core.fut(inner).state != FutState::Cancelled {
                let _ = core.exception_of(inner);
            }
            return;
        }
        match core.fut(inner).state {
            // SHIELD-3: cancelled by something else: the outer is cancelled, without a message.
            FutState::Cancelled => {
                core.plain_cancel(self.outer, None);
            }
            _ => match core.exception_of(inner) {
                Ok(Some(exc)) | Err(exc) => {
                    let _ = core.set_exception(self.outer, exc);
                }
                Ok(None) => {
                    let value = core.value_of::<T>(inner);
                    let _ = core.set_result(self.outer, value);
                }
            },
        }
    }

    fn name(&self) -> &'static str {
        "_inner_done_callback"
    }
}

/// `_outer_done_callback`: unregister from the inner if it is still pending.
struct OuterDone {
    inner: FutId,
    inner_cb: Rc<dyn Internal>,
}

impl Internal for OuterDone {
    fn run(self: Rc<Self>, core: &mut Core, outer: FutId) {
        if mutation::active(Mutation::ShieldForwardsCancel)
            && core.fut(outer).state == FutState::Cancelled
        {
            core.cancel(self.inner, None);
        }
        if !core.is_done(self.inner) {
            core.remove_internal(self.inner, &self.inner_cb);
        }
    }

    fn name(&self) -> &'static str {
        "_outer_done_callback"
    }
}

/// `asyncio.shield(x)`: a future that reports `x`'s outcome but whose cancellation does not
/// reach `x` (SHIELD-1, SHIELD-2). If `x` is already done, `x` itself is returned (SHIELD-4).
/// A coroutine must be made a task first (SHIELD-5: `shield(coro)` creates one).
pub fn shield<T: Clone + 'static, A: Awaitable<T>>(x: &A) -> Future<T> {
    let inner = x.future_ref();
    with_core(|core| {
        if core.is_done(inner.id) {
            return Future::from_raw(core.loop_id, inner.id);
        }
        let outer = core.new_future(FutKind::Plain);
        let inner_cb: Rc<dyn Internal> = Rc::new(InnerDone::<T> {
            outer,
            _t: PhantomData,
        });
        core.add_internal_callback(inner.id, inner_cb.clone());
        let outer_cb = Rc::new(OuterDone {
            inner: inner.id,
            inner_cb,
        });
        core.add_internal_callback(outer, outer_cb);
        Future::from_raw(core.loop_id, outer)
    })
}
