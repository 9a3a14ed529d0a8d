//! `asyncio.Task`: a future driven by a Rust `async` body, one step per ready entry.
//!
//! Central invariant (TASK-18): a task either waits on a pending future with no step queued, or
//! has exactly one step queued, or is running. A step polls the body once. What the body awaited
//! decides what follows: a pending aiosim future gets the task's wakeup appended to its callback
//! list; a bare yield queues the next step; a finished body completes the task's future.
//!
//! Cancellation is cooperative (TASK-4, TASK-5): `cancel()` forwards to the future the task
//! waits on, or records "must cancel" so that the next step throws `CancelledError` in at the
//! await point where the body is suspended. The body sees it as `Err(e)` from that `.await` and
//! may catch it (TASK-7). A body cancelled before its first step never runs (TASK-8).

use std::future::Future as StdFuture;
use std::marker::PhantomData;
use std::rc::Rc;

use crate::await_point::Awaiting;
use crate::callbacks::CallbackList;
use crate::core::{
    Body, Core, DoneCb, Entry, FutId, FutKind, FutState, TaskId, TaskName, TaskSlot, Yield,
    set_without_drop, with_core, with_loop,
};
use crate::exception::Exception;
use crate::future::{FutureRef, State};
use crate::mutation::{self, Mutation};
use crate::results::Stored;
use crate::sleep;

impl Core {
    /// Creates a task for the future in `fresh` (taken out of it) and queues its first step
    /// (TASK-1).
    ///
    /// The future is read only after the task's bookkeeping. The caller has just built it,
    /// field by field: read at once, it would be loaded with wider loads than the stores that
    /// wrote it, which the processor cannot forward (a stall on every task created).
    fn new_task<T, F>(
        &mut self,
        fresh: &mut Option<F>,
        name: Option<Rc<str>>,
        internal: bool,
    ) -> TaskId
    where
        T: 'static,
        F: StdFuture<Output = Result<T, Exception>> + 'static,
    {
        let t = self.new_task_slot(name, internal);
        let body = self.bodies.body(fresh);
        self.store_body(t, body);
        t
    }

    /// Stores the body of task `t`, whose slot holds none (a new task, or a task whose body
    /// [`Core::begin_step`] handed out).
    #[inline(always)]
    fn store_body(&mut self, t: TaskId, body: Body) {
        self.task_mut(t).hold_body(body);
    }

    /// A task without its body yet, its first step queued.
    fn new_task_slot(&mut self, name: Option<Rc<str>>, internal: bool) -> TaskId {
        let t = self.tasks.len() as TaskId;
        // A wakeup entry carries the task in its 29-bit field (`crate::queued`).
        assert!(
            t <= crate::queued::MAX_SECOND_ID,
            "aiosim: more than 2^29 tasks in one loop"
        );
        let fut = self.new_future(FutKind::Task(t));
        self.task_counter += 1;
        self.unfinished_tasks += 1;
        let name = match name {
            Some(n) => {
                self.owning_slots = true;
                TaskName::Named(n)
            }
            None => TaskName::Numbered(self.task_counter),
        };
        // Constants first, then the varying fields in place (see `FutSlot::NEW`).
        self.tasks.push(TaskSlot::NEW);
        let slot = &mut self.tasks[t as usize];
        slot.fut = fut;
        slot.internal = internal;
        // The runtime's own tasks are wrapped around coroutines by `run_until_complete`.
        slot.log_destroy_pending = !internal;
        // The name too: pushing it directly copies it through the stack around the growth
        // check (measured 2–3% slower on W2 than a constant push and an assignment).
        self.task_names.push(TaskName::Numbered(0));
        set_without_drop(&mut self.task_names[t as usize], name);
        self.push_ready(Entry::Step(t));
        if let Some(obs) = self.observer.as_mut() {
            std::hint::cold_path();
            obs.task_created(t, fut);
        }
        t
    }

    #[inline]
    pub(crate) fn task(&self, t: TaskId) -> &TaskSlot {
        &self.tasks[t as usize]
    }

    #[inline]
    pub(crate) fn task_mut(&mut self, t: TaskId) -> &mut TaskSlot {
        &mut self.tasks[t as usize]
    }

    /// The tasks that are not done, in creation order.
    pub(crate) fn pending_tasks(&self) -> impl Iterator<Item = TaskId> + '_ {
        let created = if self.unfinished_tasks == 0 {
            0
        } else {
            self.tasks.len() as TaskId
        };
        (0..created).filter(|&t| !self.is_done(self.task(t).fut))
    }

    /// `Task.cancel(msg)` (TASK-3, TASK-5, TASK-14): forward to the waiter, else must-cancel.
    pub(crate) fn task_cancel(&mut self, t: TaskId, msg: Option<Rc<str>>) -> bool {
        let fut = self.task(t).fut;
        if self.is_done(fut) {
            // As for a plain future, a refused cancel still marks the exception retrieved.
            self.fut_mut(fut).retrieved = true;
            return false;
        }
        self.task_mut(t).num_cancels += 1;
        if let Some(obs) = self.observer.as_mut() {
            std::hint::cold_path();
            obs.cancel_requested(t, msg.as_deref());
        }
        if let Some(w) = self.task(t).waiter
            && self.cancel(w, msg.clone())
        {
            return true;
        }
        self.task_mut(t).must_cancel = true;
        self.owning_slots |= msg.is_some();
        self.extra_mut(fut).cancel_msg = msg;
        true
    }

    /// `Task.uncancel()` (TASK-11): never below zero; never withdraws must-cancel (3.12).
    pub(crate) fn task_uncancel(&mut self, t: TaskId) -> u32 {
        let slot = self.task_mut(t);
        slot.num_cancels = slot.num_cancels.saturating_sub(1);
        if slot.num_cancels == 0 && mutation::active(Mutation::UncancelClearsMustCancel) {
            slot.must_cancel = false;
        }
        slot.num_cancels
    }

    /// The first half of a step: deliver must-cancel, settle the sleep the task resumes from
    /// if its timer ended it, set the current task, tell the observer, and hand out the body
    /// to poll. Returns `None` when the step ends without polling (TASK-8).
    #[inline(always)]
    pub(crate) fn begin_step(&mut self, t: TaskId, exc: Option<Exception>) -> Option<Body> {
        debug_assert!(
            !self.is_done(self.task(t).fut),
            "a step of a finished task was queued"
        );
        let mut slot = &mut self.tasks[t as usize];
        let exc = if slot.must_cancel {
            let exc = self.step_exception(t, exc);
            slot = &mut self.tasks[t as usize];
            exc
        } else {
            exc
        };
        let waiter = slot.waiter.take();
        let first = !slot.started;
        slot.started = true;
        if first && let Some(exc) = exc {
            // Thrown into a coroutine that never started: the body does not run (TASK-8).
            slot.body = None;
            if let Some(obs) = self.observer.as_mut() {
                std::hint::cold_path();
                obs.task_step(t, Some(&exc));
                obs.body_skipped(t, &exc);
            }
            self.finish_task(t, Err(exc));
            return None;
        }
        // The previous step's end cleared it, and a thrown-in exception was taken to get here.
        debug_assert!(
            slot.throw.is_none(),
            "a step begins with nothing to throw in"
        );
        let settle = exc.is_none() && slot.in_sleep;
        set_without_drop(&mut slot.throw, exc);
        let body = slot.body.take();
        if settle {
            self.settle_sleep(waiter);
        }
        self.current = Some(t);
        self.yielded = Yield::Nothing;
        // Told last, when nothing else of the step's start is left to do.
        if let Some(obs) = self.observer.as_mut() {
            std::hint::cold_path();
            obs.task_step(t, self.tasks[t as usize].throw.as_ref());
        }
        body
    }

    /// The start of a step that resumes a task from a `sleep` on `waiter` with nothing to
    /// throw in. Only the wakeup of the sleep's future resumes such a task (no other step is
    /// queued while it waits, TASK-18), and a wakeup throws nothing in only when that future
    /// finished normally (a cancelled one throws `CancelledError` in, and so does a pending
    /// cancellation): the sleep's timer ended it. The sleep is told so ([`sleep::settle`])
    /// rather than reaching the core to find out, and the step's end gives its slots back
    /// ([`Core::end_settled_sleep`]).
    #[inline(always)]
    fn settle_sleep(&self, waiter: Option<FutId>) {
        let fut = waiter.expect("a task in a sleep waits on the sleep's future");
        debug_assert!(
            self.fut(fut).state == FutState::Finished,
            "a task resumed from a sleep with nothing thrown in finds the sleep finished"
        );
        sleep::settle(fut);
    }

    /// The end of a step that may have settled a sleep: if the sleep returned, its timer and
    /// future are given back, as it would have done itself. A body that did not poll it in
    /// this step keeps it whole, to resume it later.
    #[inline(always)]
    fn end_settled_sleep(&mut self) {
        if let Some((fut, timer)) = sleep::returned() {
            self.release_timer(timer);
            self.release_future(fut);
        }
    }

    /// The exception a step of `t` throws in: a requested cancellation replaces `exc` unless
    /// `exc` already is one (`_must_cancel`, TASK-5).
    #[inline(always)]
    fn step_exception(&mut self, t: TaskId, mut exc: Option<Exception>) -> Option<Exception> {
        let keep_result = exc.is_none() && mutation::active(Mutation::LateCancelKeepsResult);
        if self.task(t).must_cancel && !keep_result {
            if !exc.as_ref().is_some_and(Exception::is_cancelled) {
                exc = Some(self.make_cancelled_error(self.task(t).fut));
            }
            self.task_mut(t).must_cancel = false;
        }
        exc
    }

    /// The second half of a step, after the poll. Returns the body of a task that finished,
    /// for the caller to empty outside the core borrow (its future's destructors may call
    /// back into the loop) and give back to the body pool.
    #[inline(always)]
    pub(crate) fn end_step(&mut self, t: TaskId, body: Body) -> Option<Body> {
        self.current = None;
        let slot = self.task_mut(t);
        slot.throw = None;
        if std::mem::take(&mut slot.in_sleep) {
            self.end_settled_sleep();
        }
        let misuse = match self.step_outcome.take() {
            Some(outcome) => {
                self.finish_task(t, outcome);
                return Some(body);
            }
            None => match std::mem::replace(&mut self.yielded, Yield::Nothing) {
                Yield::Future(w) => {
                    self.suspend_task(t, w, body);
                    return None;
                }
                Yield::Sleep(w) => {
                    self.suspend_task_in_sleep(t, w, body);
                    return None;
                }
                Yield::Bare => {
                    self.store_body(t, body);
                    self.push_ready(Entry::Step(t));
                    return None;
                }
                Yield::Nothing => {
                    "Task got bad yield: the body awaited a future that is not an aiosim awaitable"
                }
                Yield::Twice => {
                    "Task got bad yield: the body awaited two aiosim awaitables in one step"
                }
            },
        };
        self.stick(t, body, misuse);
        None
    }

    /// A step that left the body where this loop cannot resume it (a foreign future). As
    /// CPython does with a bad yield, the error goes to the task's next step, queued now;
    /// since a Rust body cannot take an error thrown into a foreign future, that step ends the
    /// task without polling ([`Core::end_stuck_step`]). The handler is told at once: the body
    /// cannot catch the error.
    fn stick(&mut self, t: TaskId, body: Body, misuse: &str) {
        let exc = Exception::runtime(misuse);
        self.report(misuse.to_string(), Some(exc.clone()), Some(t));
        self.store_body(t, body);
        let slot = self.task_mut(t);
        slot.stuck = true;
        slot.throw = Some(exc);
        self.push_ready(Entry::StepThrow(t));
    }

    /// The step of a task whose body is stuck in a foreign future: it ends the task with the
    /// thrown-in exception (or the cancellation requested meanwhile, as [`Core::begin_step`]
    /// would deliver it) and returns the body, to be emptied with the core released.
    #[cold]
    #[inline(never)]
    pub(crate) fn end_stuck_step(&mut self, t: TaskId, exc: Option<Exception>) -> Option<Body> {
        let exc = self
            .step_exception(t, exc)
            .expect("a stuck task's step throws its error in");
        if let Some(obs) = self.observer.as_mut() {
            std::hint::cold_path();
            obs.task_step(t, Some(&exc));
        }
        let slot = self.task_mut(t);
        slot.stuck = false;
        let body = slot.body.take();
        self.finish_task(t, Err(exc));
        body
    }

    /// Stores the body back and registers the task's wakeup on `w` (semantics 2.6,
    /// `Yielded(future)`). The task's slot is looked up once for all of it; the step's end
    /// has already cleared its `in_sleep`.
    #[inline(always)]
    fn suspend_task(&mut self, t: TaskId, w: FutId, body: Body) {
        let slot = &mut self.tasks[t as usize];
        slot.hold_body(body);
        if w == slot.fut {
            let exc = Exception::runtime(&format!(
                "Task cannot await on itself: {}",
                self.task_repr(t)
            ));
            self.task_mut(t).throw = Some(exc);
            self.push_ready(Entry::StepThrow(t));
            return;
        }
        slot.waiter = Some(w);
        let must_cancel = slot.must_cancel;
        self.add_done_callback(w, DoneCb::Wakeup(t));
        self.cancel_waiter_if_requested(t, w, must_cancel);
    }

    /// [`Core::suspend_task`] on the future `w` of a `sleep` that started in this step: that
    /// future is pending, has no callback yet and is not the task's own, so the wakeup is
    /// its one registration.
    #[inline(always)]
    fn suspend_task_in_sleep(&mut self, t: TaskId, w: FutId, body: Body) {
        let slot = &mut self.tasks[t as usize];
        slot.hold_body(body);
        slot.waiter = Some(w);
        slot.in_sleep = true;
        let must_cancel = slot.must_cancel;
        let callbacks = &mut self.futs[w as usize].callbacks;
        debug_assert!(
            matches!(callbacks, CallbackList::Empty),
            "a sleep's new future has no callback"
        );
        set_without_drop(callbacks, CallbackList::One(DoneCb::Wakeup(t)));
        self.cancel_waiter_if_requested(t, w, must_cancel);
    }

    /// After `t` suspended on `w`: a cancellation requested while the step ran (the task's
    /// own `cancel()`, `must_cancel`) goes on to `w` at once, with its message (TASK-5).
    #[inline(always)]
    fn cancel_waiter_if_requested(&mut self, t: TaskId, w: FutId, must_cancel: bool) {
        if must_cancel {
            let msg = self.extra(self.task(t).fut).cancel_msg.clone();
            if self.cancel(w, msg) {
                self.task_mut(t).must_cancel = false;
            }
        }
    }

    /// Completes the task's future from the body's outcome (TASK-2, TASK-9, TASK-14c).
    fn finish_task(&mut self, t: TaskId, outcome: Result<Stored, Exception>) {
        self.unfinished_tasks -= 1;
        let fut = self.task(t).fut;
        let done = match outcome {
            Ok(value) if self.task(t).must_cancel => {
                self.task_mut(t).must_cancel = false;
                let msg = self.extra(fut).cancel_msg.clone();
                self.results.discard(value);
                self.plain_cancel(fut, msg)
            }
            Ok(value) => self.set_stored_result(fut, value).is_ok(),
            Err(exc) if exc.is_cancelled() => {
                let exc = if mutation::active(Mutation::CancelMessageLost) {
                    Exception::cancelled(None)
                } else {
                    exc
                };
                self.owning_slots = true;
                self.extra_mut(fut).saved_cancel = Some(exc);
                self.plain_cancel(fut, None)
            }
            Err(exc) => self.set_exception(fut, exc).is_ok(),
        };
        debug_assert!(done, "a task's future was completed twice");
    }

    /// The exception a wakeup passes to the step: `future.result()` raised (semantics 2.6).
    #[inline]
    pub(crate) fn wakeup_exception(&mut self, f: FutId) -> Option<Exception> {
        self.outcome(f).err()
    }
}

impl TaskSlot {
    /// Stores the body of this task, whose slot holds none (a new task, or a task whose body
    /// [`Core::begin_step`] handed out).
    #[inline(always)]
    fn hold_body(&mut self, body: Body) {
        debug_assert!(self.body.is_none(), "a task holds one body");
        set_without_drop(&mut self.body, Some(body));
    }
}

/// An untyped handle to a task.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TaskRef {
    pub(crate) id: TaskId,
    pub(crate) loop_id: u32,
}

impl TaskRef {
    fn with<R>(self, f: impl FnOnce(&mut Core, TaskId) -> R) -> R {
        with_loop(self.loop_id, |core| f(core, self.id))
    }

    /// The task's index in its loop, in creation order (stable for a given run).
    pub fn index(self) -> u32 {
        self.id
    }

    /// The task's future, as an untyped handle.
    pub fn as_future(self) -> FutureRef {
        self.with(|c, t| FutureRef {
            id: c.task(t).fut,
            loop_id: self.loop_id,
        })
    }

    /// `get_name()`: the given name or `Task-<n>` (TASK-20).
    pub fn name(self) -> Rc<str> {
        self.with(|c, t| c.task_names[t as usize].render())
    }

    /// `set_name(name)`.
    pub fn set_name(self, name: &str) {
        self.with(|c, t| {
            c.owning_slots = true;
            c.task_names[t as usize] = TaskName::Named(Rc::from(name));
        });
    }

    /// `cancel()` (TASK-3, TASK-4, TASK-5).
    pub fn cancel(self) -> bool {
        self.with(|c, t| c.task_cancel(t, None))
    }

    /// `cancel(msg)` (TASK-14).
    pub fn cancel_with(self, msg: &str) -> bool {
        self.with(|c, t| c.task_cancel(t, Some(Rc::from(msg))))
    }

    /// `cancelling()`: pending cancel requests (TASK-3, TASK-11).
    pub fn cancelling(self) -> u32 {
        self.with(|c, t| c.task(t).num_cancels)
    }

    /// `uncancel()` (TASK-11).
    pub fn uncancel(self) -> u32 {
        self.with(|c, t| c.task_uncancel(t))
    }

    /// `done()` (FUT-1).
    pub fn done(self) -> bool {
        self.as_future().done()
    }

    /// `cancelled()` (TASK-2, TASK-4).
    pub fn cancelled(self) -> bool {
        self.as_future().cancelled()
    }

    /// The state of the task's future.
    pub fn state(self) -> State {
        self.as_future().state()
    }

    /// Whether the body has started (its first step ran).
    pub fn started(self) -> bool {
        self.with(|c, t| c.task(t).started)
    }
}

/// A typed task handle (`Copy`). Awaiting it yields the body's result, or raises its exception
/// (the same object for every awaiter, TASK-16); a cancelled task raises `CancelledError`.
pub struct Task<T> {
    raw: TaskRef,
    fut: FutureRef,
    _t: PhantomData<fn() -> T>,
}

impl<T> Clone for Task<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Task<T> {}

impl<T> std::fmt::Debug for Task<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Task#{}", self.raw.id)
    }
}

impl<T: Clone + 'static> Task<T> {
    /// The untyped handle.
    pub fn as_ref(&self) -> TaskRef {
        self.raw
    }

    /// The task's future as an untyped handle.
    pub fn as_future(&self) -> FutureRef {
        self.fut
    }

    /// `result()` (FUT-4; a cancelled task hands out its saved error once, TASK-14c).
    pub fn result(&self) -> Result<T, Exception> {
        self.fut.with(|c, id| c.result_of::<T>(id))
    }

    /// `cancelling()` (TASK-3).
    pub fn cancelling(&self) -> u32 {
        self.raw.cancelling()
    }

    /// `uncancel()` (TASK-11).
    pub fn uncancel(&self) -> u32 {
        self.raw.uncancel()
    }

    /// `get_name()` (TASK-20).
    pub fn name(&self) -> Rc<str> {
        self.raw.name()
    }
}

/// A task handle is also its future's untyped handle: `done()`, `cancelled()`, `cancel()`,
/// `cancel_with()` (the task's own `cancel`, TASK-3..TASK-5), `exception()`,
/// `add_done_callback()`, `remove_done_callback()` and `state()` come from [`FutureRef`].
impl<T> std::ops::Deref for Task<T> {
    type Target = FutureRef;
    fn deref(&self) -> &FutureRef {
        &self.fut
    }
}

impl<T: Clone + 'static> std::future::IntoFuture for Task<T> {
    type Output = Result<T, Exception>;
    type IntoFuture = Awaiting<T>;
    fn into_future(self) -> Awaiting<T> {
        Awaiting::new(self.fut)
    }
}

/// `asyncio.create_task(body)` on the loop of this thread: the first step is queued with
/// `call_soon`, so the body starts in the next iteration at the earliest (TASK-1).
pub fn create_task<T, F>(body: F) -> Task<T>
where
    T: Clone + 'static,
    F: StdFuture<Output = Result<T, Exception>> + 'static,
{
    spawn(body, None)
}

/// `asyncio.create_task(body, name=name)` (TASK-20).
pub fn create_task_named<T, F>(name: &str, body: F) -> Task<T>
where
    T: Clone + 'static,
    F: StdFuture<Output = Result<T, Exception>> + 'static,
{
    spawn(body, Some(Rc::from(name)))
}

pub(crate) fn spawn<T, F>(body: F, name: Option<Rc<str>>) -> Task<T>
where
    T: Clone + 'static,
    F: StdFuture<Output = Result<T, Exception>> + 'static,
{
    let mut fresh = Some(body);
    with_core(|c| {
        let id = c.new_task(&mut fresh, name, false);
        Task {
            raw: TaskRef {
                id,
                loop_id: c.loop_id,
            },
            fut: FutureRef {
                id: c.task(id).fut,
                loop_id: c.loop_id,
            },
            _t: PhantomData,
        }
    })
}

/// A task the runtime creates for its own bookkeeping (never a target of fault injection).
pub(crate) fn spawn_internal<F>(body: F) -> TaskRef
where
    F: StdFuture<Output = Result<(), Exception>> + 'static,
{
    let mut fresh = Some(body);
    with_core(|c| TaskRef {
        id: c.new_task(&mut fresh, None, true),
        loop_id: c.loop_id,
    })
}

/// `asyncio.current_task()`: the task whose step is running, if any.
pub fn current_task() -> Option<TaskRef> {
    with_core(|c| {
        c.current.map(|id| TaskRef {
            id,
            loop_id: c.loop_id,
        })
    })
}

/// `asyncio.all_tasks()`: the tasks of the loop that are not done, in creation order.
pub fn all_tasks() -> Vec<TaskRef> {
    with_core(|c| all_tasks_in(c))
}

pub(crate) fn all_tasks_in(c: &Core) -> Vec<TaskRef> {
    c.pending_tasks()
        .map(|id| TaskRef {
            id,
            loop_id: c.loop_id,
        })
        .collect()
}
