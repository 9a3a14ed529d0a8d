//! `asyncio.gather` (GATHER-1..GATHER-13), wired as CPython 3.12 wires it.
//!
//! The outer future is a special future whose `cancel` forwards to every child (GATHER-7).
//! Each distinct child gets one `_done_callback`, registered in argument order; children that
//! are already done are processed inside the call, after the outer future exists (GATHER-12).
//! So a completing child reaches the awaiter in two hops: child → `_done_callback` → outer →
//! wakeup (GATHER-13). The loop keeps each gather's shared state and its one `_done_callback`
//! in a list (`Core::gathers`); the outer future and every child's registration name the
//! gather by its index there.

use std::cell::Cell;
use std::rc::Rc;

use crate::core::{
    Core, DoneCb, FutId, FutKind, FutState, GatherEntry, GatherId, Internal, with_core,
};
use crate::exception::Exception;
use crate::future::{Awaitable, Future, FutureRef};
use crate::mutation::{self, Mutation};

/// The shared state of a gather: its children (duplicates included, in argument order) and
/// its outer future.
pub(crate) struct GatherOuter {
    outer: Cell<FutId>,
    children: Vec<FutId>,
    cancel_requested: Cell<bool>,
}

impl GatherOuter {
    /// `_GatheringFuture.cancel`: cancel every child entry in order, duplicates included;
    /// remember the request if any child accepted. The outer stays pending (GATHER-7).
    pub(crate) fn cancel(&self, core: &mut Core, msg: Option<Rc<str>>) -> bool {
        if core.is_done(self.outer.get()) {
            return false;
        }
        let mut accepted = false;
        for &child in &self.children {
            if core.cancel(child, msg.clone()) {
                accepted = true;
            }
        }
        if accepted {
            self.cancel_requested.set(true);
        }
        accepted
    }
}

/// Reads the results of finished children, in order, all of them of the gather's type
/// (children of an untyped gather all read as `()`).
type ReadValues<T> = fn(&Core, &[FutId]) -> Vec<T>;

/// `_done_callback` of one gather.
struct DoneCallback<T> {
    shared: Rc<GatherOuter>,
    read: ReadValues<T>,
    distinct: usize,
    finished: Cell<usize>,
    /// Children in the order their callbacks ran: kept only under a deliberate defect, which
    /// lists the results in that order.
    completion_order: std::cell::RefCell<Vec<FutId>>,
    return_exceptions: bool,
    _t: std::marker::PhantomData<fn() -> T>,
}

impl<T: Clone + 'static> DoneCallback<T> {
    /// The exception of a finished child's list entry, `None` for a result (GATHER-5: a
    /// cancelled child contributes a `CancelledError` built from its recorded message, `""`
    /// when it has none).
    fn exception(core: &mut Core, child: FutId) -> Option<Exception> {
        match core.fut(child).state {
            FutState::Cancelled => {
                let msg = core
                    .extra(child)
                    .cancel_msg
                    .clone()
                    .unwrap_or_else(|| Rc::from(""));
                Some(Exception::cancelled(Some(msg)))
            }
            _ => match core.exception_of(child) {
                Ok(Some(exc)) | Err(exc) => Some(exc),
                Ok(None) => None,
            },
        }
    }

    /// The last child finished: the outer future gets the list of entries.
    fn complete(&self, core: &mut Core, outer: FutId) {
        let completion_order;
        let order: &[FutId] = if mutation::active(Mutation::GatherCompletionOrder) {
            completion_order = self.completion_order.borrow().clone();
            &completion_order
        } else {
            &self.shared.children
        };
        if !self.return_exceptions {
            // Every child has a result: the first failure or cancellation would have decided
            // the outer future already (GATHER-3, GATHER-6), so there is no exception to read.
            let values = (self.read)(core, order);
            self.settle(core, outer, values);
            return;
        }
        let exceptions: Vec<Option<Exception>> =
            order.iter().map(|&c| Self::exception(core, c)).collect();
        let with_results: Vec<FutId> = order
            .iter()
            .zip(&exceptions)
            .filter(|(_, exc)| exc.is_none())
            .map(|(&c, _)| c)
            .collect();
        let mut values = (self.read)(core, &with_results).into_iter();
        let entries: Vec<Result<T, Exception>> = exceptions
            .into_iter()
            .map(|exc| match exc {
                Some(exc) => Err(exc),
                None => Ok(values.next().expect("a value for each child with a result")),
            })
            .collect();
        self.settle(core, outer, entries);
    }

    /// Finishes the outer future with the list `entries`, or with a `CancelledError` when the
    /// gather was cancelled (GATHER-7/8: the cancellation error of the *last* child,
    /// graph-format quirk 3).
    fn settle<V: 'static>(&self, core: &mut Core, outer: FutId, entries: Vec<V>) {
        if self.shared.cancel_requested.get() {
            let last = *self.shared.children.last().expect("gather has children");
            let exc = core.make_cancelled_error(last);
            let _ = core.set_exception(outer, exc);
        } else {
            let _ = core.set_result(outer, entries);
        }
    }
}

impl<T: Clone + 'static> Internal for DoneCallback<T> {
    fn run(self: Rc<Self>, core: &mut Core, fut: FutId) {
        self.finished.set(self.finished.get() + 1);
        if mutation::active(Mutation::GatherCompletionOrder) {
            self.completion_order.borrow_mut().push(fut);
        }
        let outer = self.shared.outer.get();
        if core.is_done(outer) {
            // GATHER-4: ignored, but its exception counts as retrieved.
            if core.fut(fut).state != FutState::Cancelled {
                let _ = core.exception_of(fut);
            }
            return;
        }
        if !self.return_exceptions {
            // GATHER-3, GATHER-6: the first failure or cancellation decides at once.
            if core.fut(fut).state == FutState::Cancelled {
                let exc = core.make_cancelled_error(fut);
                let _ = core.set_exception(outer, exc);
                return;
            }
            if let Ok(Some(exc)) = core.exception_of(fut) {
                let _ = core.set_exception(outer, exc);
                return;
            }
        }
        if self.finished.get() == self.distinct {
            self.complete(core, outer);
        }
    }

    fn name(&self) -> &'static str {
        "_done_callback"
    }
}

/// Builds the gather of `children` (not empty) and returns its outer future.
fn gather_ids<T: Clone + 'static>(
    core: &mut Core,
    children: Vec<FutId>,
    return_exceptions: bool,
    read: ReadValues<T>,
) -> FutId {
    let distinct = crate::distinct::distinct_in_order(&children);
    let shared = Rc::new(GatherOuter {
        outer: Cell::new(FutId::MAX),
        children,
        cancel_requested: Cell::new(false),
    });
    let callback = Rc::new(DoneCallback::<T> {
        shared: shared.clone(),
        read,
        distinct: distinct.len(),
        finished: Cell::new(0),
        completion_order: std::cell::RefCell::new(Vec::new()),
        return_exceptions,
        _t: std::marker::PhantomData,
    });
    // A ready entry carries the gather in its 29-bit field (`crate::queued`).
    let g = GatherId::try_from(core.gathers.len())
        .ok()
        .filter(|&g| g <= crate::queued::MAX_SECOND_ID)
        .expect("aiosim: more than 2^29 gathers in one loop");
    core.gathers.push(GatherEntry {
        outer: shared.clone(),
        done_callback: callback.clone(),
    });
    let mut already_done = Vec::new();
    for &c in &distinct {
        if core.is_done(c) {
            already_done.push(c);
        } else {
            core.add_done_callback(c, DoneCb::Gather(g));
        }
    }
    let outer = core.new_future(FutKind::Gather(g));
    shared.outer.set(outer);
    // GATHER-12: children already done are processed inside the call.
    for c in already_done {
        callback.clone().run(core, c);
    }
    outer
}

/// The gather future for `children`, or an already-finished one holding an empty list
/// (GATHER-10).
fn gather_future<T: Clone + 'static, R: 'static>(
    children: Vec<FutId>,
    return_exceptions: bool,
    read: ReadValues<T>,
) -> Future<Vec<R>> {
    with_core(|core| {
        let outer = if children.is_empty() {
            let outer = core.new_future(FutKind::Plain);
            let empty: Vec<R> = Vec::new();
            let _ = core.set_result(outer, empty);
            outer
        } else {
            gather_ids::<T>(core, children, return_exceptions, read)
        };
        Future::from_raw(core.loop_id, outer)
    })
}

/// `asyncio.gather(*children)`: a future of the results in argument order (GATHER-1). The first
/// child to fail or be cancelled decides the outcome at once and the others keep running
/// (GATHER-3, GATHER-6). Duplicates are one child whose result appears at each position
/// (GATHER-11). Cancelling the returned future cancels every child (GATHER-7, GATHER-9).
pub fn gather<T: Clone + 'static, A: Awaitable<T>>(children: &[A]) -> Future<Vec<T>> {
    gather_future::<T, T>(ids(children), false, Core::values_of::<T>)
}

/// `asyncio.gather(*children, return_exceptions=True)`: every child's result or exception in
/// argument order (GATHER-5); waits for all of them (GATHER-8).
pub fn gather_return_exceptions<T: Clone + 'static, A: Awaitable<T>>(
    children: &[A],
) -> Future<Vec<Result<T, Exception>>> {
    gather_future::<T, Result<T, Exception>>(ids(children), true, Core::values_of::<T>)
}

/// `gather(*children, return_exceptions=True)` over objects of any result types, for waiting
/// only: each list entry tells whether that child finished normally.
pub fn gather_outcomes(children: &[FutureRef]) -> Future<Vec<Result<(), Exception>>> {
    gather_future::<(), Result<(), Exception>>(
        children.iter().map(|c| c.id).collect(),
        true,
        |_, children| vec![(); children.len()],
    )
}

/// The ids of `children`'s futures, in order.
pub(crate) fn ids<T, A: Awaitable<T>>(children: &[A]) -> Vec<FutId> {
    children.iter().map(|c| c.future_ref().id).collect()
}
