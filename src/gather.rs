//! `asyncio.gather` (GATHER-1..GATHER-13), wired as CPython 3.12 wires it.
//!
//! The outer future is a special future whose `cancel` forwards to every child (GATHER-7).
//! Each distinct child gets one `_done_callback`, registered in argument order; children that
//! are already done are processed inside the call, after the outer future exists (GATHER-12).
//! So a completing child reaches the awaiter in two hops: child → `_done_callback` → outer →
//! wakeup (GATHER-13). The loop keeps each gather as plain data in a list (`Core::gathers`);
//! the outer future and every child's registration name the gather by its index there, and
//! the callback is a function of that index. Only the last step, building the list of
//! results, knows the results' type: the gather keeps it as a function pointer.

use std::marker::PhantomData;
use std::rc::Rc;

use crate::core::{Core, DoneCb, FutId, FutKind, FutState, GatherId, with_core};
use crate::exception::Exception;
use crate::future::{Awaitable, Future, FutureRef};
use crate::mutation::{self, Mutation};

/// The name of a gather's callback, as its handles are reported.
pub(crate) const DONE_CALLBACK: &str = "_done_callback";

/// A gather as the loop keeps it: its children, its outer future, and the count its
/// `_done_callback` keeps.
pub(crate) struct GatherEntry {
    outer: FutId,
    /// Every child in argument order, duplicates included.
    children: Vec<FutId>,
    /// How many distinct children there are, and how many of them have finished.
    distinct: usize,
    finished: usize,
    return_exceptions: bool,
    /// Whether a `cancel` of the outer future was accepted by a child (GATHER-7).
    cancel_requested: bool,
    /// Builds the outer future's list once the last child finished: it knows the list's type.
    complete: fn(&mut Core, GatherId),
    /// Children in the order their callbacks ran: kept only under a deliberate defect, which
    /// lists the results in that order.
    completion_order: Vec<FutId>,
}

/// `_GatheringFuture.cancel` on the gather `g`: cancel every child entry in order, duplicates
/// included; remember the request if any child accepted. The outer stays pending (GATHER-7).
pub(crate) fn cancel(core: &mut Core, g: GatherId, msg: Option<Rc<str>>) -> bool {
    if core.is_done(core.gathers[g as usize].outer) {
        return false;
    }
    let mut accepted = false;
    // By position, reading the entry afresh: a child's cancel works on the loop (and may reach
    // other gathers), but nothing it does changes this gather's children.
    for i in 0..core.gathers[g as usize].children.len() {
        let child = core.gathers[g as usize].children[i];
        if core.cancel(child, msg.clone()) {
            accepted = true;
        }
    }
    if accepted {
        core.gathers[g as usize].cancel_requested = true;
    }
    accepted
}

/// `_done_callback` of the gather `g`, run for its finished child `child`.
pub(crate) fn done_callback(core: &mut Core, g: GatherId, child: FutId) {
    let gather = &mut core.gathers[g as usize];
    gather.finished += 1;
    if mutation::active(Mutation::GatherCompletionOrder) {
        gather.completion_order.push(child);
    }
    let (outer, last) = (gather.outer, gather.finished == gather.distinct);
    let (return_exceptions, complete) = (gather.return_exceptions, gather.complete);
    if core.is_done(outer) {
        // GATHER-4: ignored, but its exception counts as retrieved.
        let _ = core.retrieve_exception(child);
        return;
    }
    if !return_exceptions {
        // GATHER-3, GATHER-6: the first failure or cancellation decides at once.
        let failure = match core.fut(child).state {
            FutState::Cancelled => Some(core.make_cancelled_error(child)),
            _ => core.retrieve_exception(child),
        };
        if let Some(exc) = failure {
            let _ = core.set_exception(outer, exc);
            return;
        }
    }
    if last {
        complete(core, g);
    }
}

/// How a gather reads the results of its children: all of one type.
trait ReadValues: 'static {
    /// The type of each result.
    type Value: 'static;

    /// The results of the finished `children`, in order.
    fn read(core: &Core, children: &[FutId]) -> Vec<Self::Value>;
}

/// Children whose results are of type `T`.
struct Values<T>(PhantomData<fn() -> T>);

impl<T: Clone + 'static> ReadValues for Values<T> {
    type Value = T;

    fn read(core: &Core, children: &[FutId]) -> Vec<T> {
        core.values_of::<T>(children)
    }
}

/// Children of any result types, each read as `()`: for waiting only.
struct Units;

impl ReadValues for Units {
    type Value = ();

    fn read(_: &Core, children: &[FutId]) -> Vec<()> {
        vec![(); children.len()]
    }
}

/// The last child of the gather `g` finished: the outer future gets the list of entries.
fn complete<R: ReadValues>(core: &mut Core, g: GatherId) {
    let gather = &mut core.gathers[g as usize];
    let (outer, return_exceptions) = (gather.outer, gather.return_exceptions);
    // GATHER-7/8: a cancelled gather ends with the cancellation error of its *last* child
    // (graph-format quirk 3).
    let cancelled_by = gather
        .cancel_requested
        .then(|| *gather.children.last().expect("gather has children"));
    let order = if mutation::active(Mutation::GatherCompletionOrder) {
        std::mem::take(&mut gather.completion_order)
    } else {
        // Nothing reads the children of a finished gather: `cancel` stops at its done outer.
        std::mem::take(&mut gather.children)
    };
    if !return_exceptions {
        // Every child has a result: the first failure or cancellation would have decided
        // the outer future already (GATHER-3, GATHER-6), so there is no exception to read.
        let values = R::read(core, &order);
        settle(core, outer, cancelled_by, values);
        return;
    }
    let exceptions: Vec<Option<Exception>> =
        order.iter().map(|&c| list_exception(core, c)).collect();
    let with_results: Vec<FutId> = order
        .iter()
        .zip(&exceptions)
        .filter(|(_, exc)| exc.is_none())
        .map(|(&c, _)| c)
        .collect();
    let mut values = R::read(core, &with_results).into_iter();
    let entries: Vec<Result<R::Value, Exception>> = exceptions
        .into_iter()
        .map(|exc| match exc {
            Some(exc) => Err(exc),
            None => Ok(values.next().expect("a value for each child with a result")),
        })
        .collect();
    settle(core, outer, cancelled_by, entries);
}

/// The exception of a finished child's list entry, `None` for a result (GATHER-5: a cancelled
/// child contributes a `CancelledError` built from its recorded message, `""` when it has
/// none).
fn list_exception(core: &mut Core, child: FutId) -> Option<Exception> {
    match core.fut(child).state {
        FutState::Cancelled => {
            let msg = core
                .extra(child)
                .cancel_msg
                .clone()
                .unwrap_or_else(|| Rc::from(""));
            Some(Exception::cancelled(Some(msg)))
        }
        _ => core.retrieve_exception(child),
    }
}

/// Finishes the outer future with the list `entries`, or, when the gather was cancelled, with
/// the cancellation error of the child `cancelled_by`.
fn settle<V: 'static>(core: &mut Core, outer: FutId, cancelled_by: Option<FutId>, entries: Vec<V>) {
    match cancelled_by {
        Some(child) => {
            let exc = core.make_cancelled_error(child);
            let _ = core.set_exception(outer, exc);
        }
        None => {
            let _ = core.set_result(outer, entries);
        }
    }
}

/// Builds the gather of `children` (not empty) and returns its outer future.
fn gather_ids<R: ReadValues>(
    core: &mut Core,
    children: Vec<FutId>,
    return_exceptions: bool,
) -> FutId {
    // A ready entry carries the gather in its 29-bit field (`crate::queued`).
    let g = GatherId::try_from(core.gathers.len())
        .ok()
        .filter(|&g| g <= crate::queued::MAX_SECOND_ID)
        .expect("aiosim: more than 2^29 gathers in one loop");
    let mut already_done = Vec::new();
    let distinct = crate::distinct::distinct_in_order(&children);
    for &c in distinct.iter() {
        if core.is_done(c) {
            already_done.push(c);
        } else {
            core.add_done_callback(c, DoneCb::Gather(g));
        }
    }
    let distinct_count = distinct.len();
    core.gathers.push(GatherEntry {
        outer: FutId::MAX,
        children,
        distinct: distinct_count,
        finished: 0,
        return_exceptions,
        cancel_requested: false,
        complete: complete::<R>,
        completion_order: Vec::new(),
    });
    let outer = core.new_future(FutKind::Gather(g));
    core.gathers[g as usize].outer = outer;
    // GATHER-12: children already done are processed inside the call.
    for c in already_done {
        done_callback(core, g, c);
    }
    outer
}

/// The gather future for `children`, or an already-finished one holding an empty list
/// (GATHER-10).
fn gather_future<R: ReadValues, V: 'static>(
    children: Vec<FutId>,
    return_exceptions: bool,
) -> Future<Vec<V>> {
    with_core(|core| {
        let outer = if children.is_empty() {
            let outer = core.new_future(FutKind::Plain);
            let empty: Vec<V> = Vec::new();
            let _ = core.set_result(outer, empty);
            outer
        } else {
            gather_ids::<R>(core, children, return_exceptions)
        };
        Future::from_raw(core.loop_id, outer)
    })
}

/// `asyncio.gather(*children)`: a future of the results in argument order (GATHER-1). The first
/// child to fail or be cancelled decides the outcome at once and the others keep running
/// (GATHER-3, GATHER-6). Duplicates are one child whose result appears at each position
/// (GATHER-11). Cancelling the returned future cancels every child (GATHER-7, GATHER-9).
pub fn gather<T: Clone + 'static, A: Awaitable<T>>(children: &[A]) -> Future<Vec<T>> {
    gather_future::<Values<T>, T>(ids(children), false)
}

/// `asyncio.gather(*children, return_exceptions=True)`: every child's result or exception in
/// argument order (GATHER-5); waits for all of them (GATHER-8).
pub fn gather_return_exceptions<T: Clone + 'static, A: Awaitable<T>>(
    children: &[A],
) -> Future<Vec<Result<T, Exception>>> {
    gather_future::<Values<T>, Result<T, Exception>>(ids(children), true)
}

/// `gather(*children, return_exceptions=True)` over objects of any result types, for waiting
/// only: each list entry tells whether that child finished normally.
pub fn gather_outcomes(children: &[FutureRef]) -> Future<Vec<Result<(), Exception>>> {
    gather_future::<Units, Result<(), Exception>>(children.iter().map(|c| c.id).collect(), true)
}

/// The ids of `children`'s futures, in order.
pub(crate) fn ids<T, A: Awaitable<T>>(children: &[A]) -> Vec<FutId> {
    children.iter().map(|c| c.future_ref().id).collect()
}
