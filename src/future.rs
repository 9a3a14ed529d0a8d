//! `asyncio.Future`: a one-shot result slot with done-callbacks.
//!
//! States and transitions (FUT-1): a future starts `PENDING` and moves once, to `FINISHED`
//! (holding a result or an exception) or to `CANCELLED` (holding a message). Completion never
//! runs a callback inline: it takes the callback list, clears it, and queues every callback with
//! `call_soon` in registration order (FUT-7). Registering on a done future queues at once (FUT-8).
//!
//! [`Future<T>`] is a `Copy` handle into the loop's arena. Awaiting it (`fut.await`) gives
//! `Result<T, Exception>`: a done future answers at once without suspending; a pending one
//! suspends the task exactly once (FUT-11).

use std::any::Any;
use std::marker::PhantomData;
use std::rc::Rc;

use crate::await_point::Awaiting;
use crate::core::{
    CallbackObj, Core, DoneCb, Entry, FutExtra, FutId, FutKind, FutSlot, FutState, Internal,
    Outcome, UserDoneFn, set_without_drop, with_core, with_loop,
};
use crate::exception::Exception;
use crate::queued::Queued;
use crate::results::{Reader, Stored};

/// CPython's message for completing a future that is already done (FUT-3).
pub(crate) const INVALID_STATE: &str = "invalid state";

impl Core {
    /// `loop.create_future()` for a future of the given kind.
    #[inline(always)]
    pub(crate) fn new_future(&mut self, kind: FutKind) -> FutId {
        let id = match self.free_futs.pop() {
            Some(id) => {
                self.futs[id as usize].renew();
                id
            }
            None => {
                // Constants first, then the one varying field in place (see `FutSlot::NEW`).
                self.futs.push(FutSlot::NEW);
                self.fut_extras.push(FutExtra::PLAIN);
                self.futs.len() as FutId - 1
            }
        };
        // The slot's extra is plain (just pushed, or released plain): only another kind is
        // written, and the plain kind it replaces owns nothing to drop.
        if !matches!(kind, FutKind::Plain) {
            set_without_drop(&mut self.fut_extras[id as usize].kind, kind);
        }
        id
    }

    /// Gives the slot of a done internal plain future back for reuse. Only for a future that
    /// no handle, ready entry or callback can reach any more and that holds no exception (a
    /// `sleep`'s, once it resumed): keeping the arena as small as the set of live futures
    /// keeps the loop's working set in cache.
    #[inline(always)]
    pub(crate) fn release_future(&mut self, f: FutId) {
        debug_assert!(self.is_done(f), "only a done future is released");
        let slot = self.fut_mut(f);
        // Only a cancel records a message on a plain future.
        let cancelled = slot.state == FutState::Cancelled;
        slot.empty();
        if cancelled {
            self.extra_mut(f).cancel_msg = None;
        }
        debug_assert!(self.extra(f).is_plain(), "only a plain future is released");
        self.free_futs.push(f);
        if let Some(obs) = self.observer.as_mut() {
            std::hint::cold_path();
            obs.future_released(f);
        }
    }

    /// The kind and cancellation record of `f`.
    #[inline]
    pub(crate) fn extra(&self, f: FutId) -> &FutExtra {
        &self.fut_extras[f as usize]
    }

    /// The kind and cancellation record of `f`, to change.
    #[inline]
    pub(crate) fn extra_mut(&mut self, f: FutId) -> &mut FutExtra {
        &mut self.fut_extras[f as usize]
    }

    #[inline]
    pub(crate) fn fut(&self, f: FutId) -> &FutSlot {
        &self.futs[f as usize]
    }

    #[inline]
    pub(crate) fn fut_mut(&mut self, f: FutId) -> &mut FutSlot {
        &mut self.futs[f as usize]
    }

    #[inline]
    pub(crate) fn is_done(&self, f: FutId) -> bool {
        self.fut(f).state != FutState::Pending
    }

    /// Queues every callback of `f` in registration order and clears the list (FUT-7).
    #[inline(always)]
    fn schedule_callbacks(&mut self, f: FutId) {
        let callbacks = std::mem::take(&mut self.fut_mut(f).callbacks);
        let ready = &mut self.ready;
        callbacks.drain(|cb| ready.push_back(Queued::pack(Entry::Done(f, cb))));
    }

    /// `Future.set_result` (FUT-3: `InvalidStateError` when done).
    pub(crate) fn set_result<T: 'static>(&mut self, f: FutId, value: T) -> Result<(), Exception> {
        if self.is_done(f) {
            return Err(Exception::invalid_state(INVALID_STATE));
        }
        let at = self.results.put(value);
        self.finish(f, Outcome::Value(at))
    }

    /// `set_result` with a value already in the result store (a task's body's result).
    pub(crate) fn set_stored_result(&mut self, f: FutId, at: Stored) -> Result<(), Exception> {
        self.finish(f, Outcome::Value(at))
    }

    /// `set_result(None)` for a future whose result is `()`.
    #[inline(always)]
    pub(crate) fn set_unit_result(&mut self, f: FutId) -> Result<(), Exception> {
        self.finish(f, Outcome::Unit)
    }

    #[inline(always)]
    fn finish(&mut self, f: FutId, outcome: Outcome) -> Result<(), Exception> {
        let slot = self.fut_mut(f);
        if slot.state != FutState::Pending {
            return Err(Exception::invalid_state(INVALID_STATE));
        }
        slot.state = FutState::Finished;
        // Rebuilt variant by variant: the fields are read as they were written. Copied as a
        // whole, the outcome is read back with loads wider than the stores that built it,
        // which the processor cannot forward (a stall on every completion). A pending future
        // has no outcome yet, so there is nothing to drop.
        debug_assert!(
            matches!(slot.outcome, Outcome::None),
            "a pending future has no outcome"
        );
        set_without_drop(
            &mut slot.outcome,
            match outcome {
                Outcome::Value(at) => Outcome::Value(at),
                Outcome::Unit => Outcome::Unit,
                Outcome::Exc(e) => Outcome::Exc(e),
                Outcome::None => Outcome::None,
            },
        );
        self.after_completion(f);
        Ok(())
    }

    /// `Future.set_exception` (FUT-3; a `CancelledError` is stored as an exception, FUT-2).
    pub(crate) fn set_exception(&mut self, f: FutId, exc: Exception) -> Result<(), Exception> {
        self.finish(f, Outcome::Exc(exc))?;
        self.exceptions_set += 1;
        Ok(())
    }

    /// `Future.cancel` of the plain-future class (FUT-5), whatever the slot's kind.
    pub(crate) fn plain_cancel(&mut self, f: FutId, msg: Option<Rc<str>>) -> bool {
        let slot = self.fut_mut(f);
        if slot.state != FutState::Pending {
            // Even a refused cancel counts as looking at the exception: it is not reported
            // as never retrieved (CPython clears `__log_traceback` first).
            slot.retrieved = true;
            return false;
        }
        slot.state = FutState::Cancelled;
        self.owning_slots |= msg.is_some();
        self.extra_mut(f).cancel_msg = msg;
        self.after_completion(f);
        true
    }

    #[inline(always)]
    fn after_completion(&mut self, f: FutId) {
        self.schedule_callbacks(f);
        if let Some(obs) = self.observer.as_mut() {
            std::hint::cold_path();
            obs.future_done(f, self.futs[f as usize].state == FutState::Cancelled);
        }
    }

    /// `cancel()` dispatched on the object's class: plain future, task or gather.
    pub(crate) fn cancel(&mut self, f: FutId, msg: Option<Rc<str>>) -> bool {
        match self.extra(f).kind {
            FutKind::Plain => self.plain_cancel(f, msg),
            FutKind::Task(t) => self.task_cancel(t, msg),
            FutKind::Gather(g) => crate::gather::cancel(self, g, msg),
        }
    }

    /// `add_done_callback`: appended, or queued at once if the future is done (FUT-8).
    #[inline(always)]
    pub(crate) fn add_done_callback(&mut self, f: FutId, cb: DoneCb) {
        if self.is_done(f) {
            self.push_ready(Entry::Done(f, cb));
        } else {
            if self.fut_mut(f).callbacks.push(cb) {
                self.owning_slots = true;
            }
        }
    }

    /// `add_done_callback` of a callback object: it goes to the callback arena, and the
    /// future's list gets the registration that names it.
    pub(crate) fn add_callback_object(&mut self, f: FutId, obj: CallbackObj) {
        let id = self.callback_objs.store(obj);
        // A ready entry carries the id in its 29-bit field (`crate::queued`).
        assert!(
            id <= crate::queued::MAX_SECOND_ID,
            "aiosim: more than 2^29 done-callbacks pending in one loop"
        );
        self.add_done_callback(f, DoneCb::Object(id));
    }

    /// `add_done_callback` of a combinator's bookkeeping object.
    pub(crate) fn add_internal_callback(&mut self, f: FutId, cb: Rc<dyn Internal>) {
        self.add_callback_object(f, CallbackObj::Internal(cb));
    }

    /// `remove_done_callback`: removes every registration matching `is_it` (which sees the
    /// registration and, for one that names a callback object, that object) and returns how
    /// many (FUT-9). Callbacks already queued by completion are not affected.
    pub(crate) fn remove_done_callback(
        &mut self,
        f: FutId,
        is_it: impl Fn(DoneCb, Option<&CallbackObj>) -> bool,
    ) -> usize {
        let Core {
            futs,
            callback_objs,
            ..
        } = self;
        futs[f as usize].callbacks.remove(|cb| match cb {
            DoneCb::Object(id) => {
                let hit = is_it(cb, Some(callback_objs.get(id)));
                if hit {
                    drop(callback_objs.take(id));
                }
                hit
            }
            _ => is_it(cb, None),
        })
    }

    /// `_make_cancelled_error`: the saved `CancelledError` once, then fresh ones built from the
    /// recorded message (TASK-14c, FUT-10).
    pub(crate) fn make_cancelled_error(&mut self, f: FutId) -> Exception {
        let extra = self.extra_mut(f);
        match extra.saved_cancel.take() {
            Some(exc) => exc,
            None => Exception::cancelled(extra.cancel_msg.clone()),
        }
    }

    /// The outcome as `result()` reports it, with the value left in place: `Ok(())` when
    /// finished normally, the exception otherwise (FUT-4). Consumes a saved cancellation and
    /// marks an exception as retrieved.
    #[inline(always)]
    pub(crate) fn outcome(&mut self, f: FutId) -> Result<(), Exception> {
        match self.fut(f).state {
            FutState::Pending => Err(Exception::invalid_state("Result is not set.")),
            FutState::Cancelled => Err(self.make_cancelled_error(f)),
            FutState::Finished => match self.retrieve_exception(f) {
                Some(exc) => Err(exc),
                None => Ok(()),
            },
        }
    }

    /// `result()` for a typed future.
    pub(crate) fn result_of<T: Clone + 'static>(&mut self, f: FutId) -> Result<T, Exception> {
        self.outcome(f)?;
        Ok(self.value_of::<T>(f))
    }

    /// The value of a future that finished normally.
    pub(crate) fn value_of<T: Clone + 'static>(&self, f: FutId) -> T {
        self.read_value(&mut Reader::new(&self.results), f)
    }

    /// The results of the finished futures `futs`, in order, each as [`Core::value_of`] reads
    /// it; the results' column is looked up once for all of them.
    pub(crate) fn values_of<T: Clone + 'static>(&self, futs: &[FutId]) -> Vec<T> {
        let mut reader = Reader::new(&self.results);
        futs.iter()
            .map(|&f| self.read_value(&mut reader, f))
            .collect()
    }

    /// The result of the finished future `f`, read through `reader`.
    fn read_value<'a, T: Clone + 'static>(&'a self, reader: &mut Reader<'a, T>, f: FutId) -> T {
        let value: Option<&T> = match self.fut(f).outcome {
            Outcome::Unit => (&() as &dyn Any).downcast_ref::<T>(),
            Outcome::Value(at) => reader.get(at),
            _ => None,
        };
        value
            .expect("aiosim: future result has another type than its handle")
            .clone()
    }

    /// The exception of the finished future `f`, marked as retrieved (as `exception()` marks
    /// it); `None` for a result or a cancellation.
    pub(crate) fn retrieve_exception(&mut self, f: FutId) -> Option<Exception> {
        let slot = self.fut_mut(f);
        let exc = slot.outcome.exception()?.clone();
        slot.retrieved = true;
        Some(exc)
    }

    /// `exception()` (FUT-4): `Ok(None)` for a result, `Ok(Some(e))` for an exception, `Err`
    /// when pending (`InvalidStateError`) or cancelled (`CancelledError`).
    pub(crate) fn exception_of(&mut self, f: FutId) -> Result<Option<Exception>, Exception> {
        if !self.is_done(f) {
            return Err(Exception::invalid_state("Exception is not set."));
        }
        match self.outcome(f) {
            Ok(()) => Ok(None),
            Err(e) if self.fut(f).state == FutState::Finished => Ok(Some(e)),
            Err(e) => Err(e),
        }
    }
}

/// The state of a future as seen from outside (FUT-1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Not done yet.
    Pending,
    /// Done with a result or an exception.
    Finished,
    /// Done by cancellation.
    Cancelled,
}

impl From<FutState> for State {
    fn from(s: FutState) -> State {
        match s {
            FutState::Pending => State::Pending,
            FutState::Finished => State::Finished,
            FutState::Cancelled => State::Cancelled,
        }
    }
}

/// An untyped handle to a future or task: what a done-callback receives and what the
/// combinators take. Every method honours the FUT-* invariants named on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FutureRef {
    pub(crate) id: FutId,
    pub(crate) loop_id: u32,
}

impl FutureRef {
    pub(crate) fn with<R>(self, f: impl FnOnce(&mut Core, FutId) -> R) -> R {
        with_loop(self.loop_id, |core| f(core, self.id))
    }

    /// The future's index in its loop, in creation order (stable for a given run).
    pub fn index(self) -> u32 {
        self.id
    }

    /// The state (FUT-1).
    pub fn state(self) -> State {
        self.with(|c, f| c.fut(f).state.into())
    }

    /// `done()`: finished or cancelled (FUT-1).
    pub fn done(self) -> bool {
        self.with(|c, f| c.is_done(f))
    }

    /// `cancelled()`: true only in the cancelled state (FUT-1, FUT-2).
    pub fn cancelled(self) -> bool {
        self.with(|c, f| c.fut(f).state == FutState::Cancelled)
    }

    /// `cancel()`: the object's own `cancel` (a task's, a gather's or a plain future's;
    /// FUT-5, TASK-3, GATHER-7).
    pub fn cancel(self) -> bool {
        self.with(|c, f| c.cancel(f, None))
    }

    /// `cancel(msg)`.
    pub fn cancel_with(self, msg: &str) -> bool {
        self.with(|c, f| c.cancel(f, Some(Rc::from(msg))))
    }

    /// `exception()` (FUT-4).
    pub fn exception(self) -> Result<Option<Exception>, Exception> {
        self.with(|c, f| c.exception_of(f))
    }

    /// `result()` without the value: `Ok(())` if it finished normally (FUT-4, FUT-10).
    pub fn outcome(self) -> Result<(), Exception> {
        self.with(|c, f| c.outcome(f))
    }

    /// The recorded cancel message of a cancelled object, without consuming anything
    /// (`_cancel_message`; graph-format quirk 1).
    pub fn cancel_message(self) -> Option<Rc<str>> {
        self.with(|c, f| c.extra(f).cancel_msg.clone())
    }

    /// The exception stored on a finished future, without marking it retrieved.
    pub fn peek_exception(self) -> Option<Exception> {
        self.with(|c, f| c.fut(f).outcome.exception().cloned())
    }

    /// `add_done_callback(cb)`: `cb` is queued with `call_soon` when the future completes, or
    /// at once if it is done (FUT-7, FUT-8); it never runs inline.
    pub fn add_done_callback(self, cb: &DoneCallback) {
        self.with(|c, f| c.add_callback_object(f, CallbackObj::User(cb.0.clone())));
    }

    /// `remove_done_callback(cb)`: removes every registration of `cb`, returns the count (FUT-9).
    pub fn remove_done_callback(self, cb: &DoneCallback) -> usize {
        self.with(|c, f| {
            c.remove_done_callback(
                f,
                |_, obj| matches!(obj, Some(CallbackObj::User(u)) if Rc::ptr_eq(u, &cb.0)),
            )
        })
    }

    /// The task behind this future, if it is one.
    pub fn as_task(self) -> Option<crate::task::TaskRef> {
        self.with(|c, f| match c.extra(f).kind {
            FutKind::Task(t) => Some(crate::task::TaskRef {
                id: t,
                loop_id: self.loop_id,
            }),
            _ => None,
        })
    }
}

/// A done-callback. Clones are the same callback, so registering one twice and removing it
/// once removes both registrations (FUT-9).
#[derive(Clone)]
pub struct DoneCallback(UserDoneFn);

impl DoneCallback {
    /// Wraps a closure that receives the completed future.
    pub fn new(f: impl Fn(FutureRef) + 'static) -> DoneCallback {
        DoneCallback(Rc::new(f))
    }
}

/// A typed `asyncio.Future`. `Copy`: every copy designates the same future.
pub struct Future<T> {
    pub(crate) raw: FutureRef,
    _t: PhantomData<fn() -> T>,
}

impl<T> Clone for Future<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Future<T> {}

impl<T> std::fmt::Debug for Future<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Future#{}", self.raw.id)
    }
}

/// A future handle is also its untyped handle: `done()`, `cancelled()`, `cancel()`,
/// `cancel_with()`, `exception()`, `add_done_callback()`, `remove_done_callback()` and
/// `state()` come from [`FutureRef`].
impl<T> std::ops::Deref for Future<T> {
    type Target = FutureRef;
    fn deref(&self) -> &FutureRef {
        &self.raw
    }
}

impl<T> Future<T> {
    pub(crate) fn from_raw(loop_id: u32, id: FutId) -> Future<T> {
        Future {
            raw: FutureRef { id, loop_id },
            _t: PhantomData,
        }
    }
}

impl<T: Clone + 'static> Future<T> {
    /// `loop.create_future()` on the open loop of this thread.
    pub fn new() -> Future<T> {
        with_core(|c| Future::from_raw(c.loop_id, c.new_future(FutKind::Plain)))
    }

    /// The untyped handle.
    pub fn as_ref(&self) -> FutureRef {
        self.raw
    }

    /// `set_result(v)`; `InvalidStateError` if already done (FUT-3).
    pub fn set_result(&self, value: T) -> Result<(), Exception> {
        self.raw.with(|c, f| c.set_result(f, value))
    }

    /// `set_exception(e)`; `InvalidStateError` if already done (FUT-3). A `CancelledError`
    /// is stored as an exception: the future is not `cancelled()` (FUT-2).
    pub fn set_exception(&self, exc: Exception) -> Result<(), Exception> {
        self.raw.with(|c, f| c.set_exception(f, exc))
    }

    /// `result()` (FUT-4, FUT-10).
    pub fn result(&self) -> Result<T, Exception> {
        self.raw.with(|c, f| c.result_of::<T>(f))
    }
}

impl<T: Clone + 'static> Default for Future<T> {
    fn default() -> Self {
        Future::new()
    }
}

impl<T: Clone + 'static> std::future::IntoFuture for Future<T> {
    type Output = Result<T, Exception>;
    type IntoFuture = Awaiting<T>;
    fn into_future(self) -> Awaiting<T> {
        Awaiting::new(self.raw)
    }
}

/// Something a combinator can wait on: a [`Future<T>`] or a [`crate::Task<T>`] whose result
/// is a `T`. (Coroutines are turned into tasks by the caller, in argument order, GATHER-2.)
pub trait Awaitable<T> {
    /// The untyped future behind it.
    fn future_ref(&self) -> FutureRef;
}

impl<T> Awaitable<T> for Future<T> {
    fn future_ref(&self) -> FutureRef {
        self.raw
    }
}

impl<T: Clone + 'static> Awaitable<T> for crate::task::Task<T> {
    fn future_ref(&self) -> FutureRef {
        self.as_future()
    }
}

impl Core {
    /// Removes every registration of the internal callback `cb` from `f` (FUT-9).
    pub(crate) fn remove_internal(
        &mut self,
        f: FutId,
        cb: &Rc<dyn crate::core::Internal>,
    ) -> usize {
        self.remove_done_callback(f, |_, obj| {
            matches!(
                obj,
                Some(CallbackObj::Internal(x)) if std::ptr::addr_eq(Rc::as_ptr(x), Rc::as_ptr(cb))
            )
        })
    }
}
