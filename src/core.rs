//! The loop's state and the thread slot that holds it.
//!
//! Everything a loop owns lives in one [`Core`]: the ready queue, the timer heap, and arenas of
//! futures, tasks, timers and `call_soon` handles, named by `u32` ids. Nothing is allocated per
//! ready entry, per done-callback of a task, or per timer: a ready entry is a small enum, and
//! the arenas keep their capacity when a loop is reused (see [`crate::EventLoop`]).
//!
//! The core of the open loop sits in a thread-local slot, so that futures, tasks and the
//! combinators reach it the way asyncio code reaches the running loop. Internal bookkeeping
//! runs with the core borrowed (`&mut Core`); user code (task bodies, user callbacks) always
//! runs with the borrow released, so it may call back into the runtime.

use std::any::{Any, TypeId};
use std::cell::RefCell;
use std::future::Future as StdFuture;
use std::mem::ManuallyDrop;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use crate::exception::Exception;
use crate::heap::TimerHeap;
use crate::observe::Observer;
use crate::queued::Queued;
use crate::results::{Results, Stored};
use crate::schedule::{Fifo, Level, Scheduler, SetSite};
use crate::slots::Slots;

/// Index of a future in the loop's arena (tasks have one too).
pub(crate) type FutId = u32;
/// Index of a task in the loop's arena.
pub(crate) type TaskId = u32;
/// Index of a timer handle.
pub(crate) type TimerId = u32;
/// Index of a `call_soon` handle.
pub(crate) type SoonId = u32;

/// A task body with its result type erased. The result goes to the loop's result store when
/// the body returns.
pub(crate) type Body = Pin<Box<dyn ErasedBody>>;

/// A task body polled through its result-erasing view: the body's own future, with no
/// wrapper future around it (one state machine per poll, not two). The box holds an `Option`
/// of the future so that, once the task is done, the box can be emptied and reused for
/// another body of the same type ([`crate::body_pool`]).
pub(crate) trait ErasedBody {
    /// Polls the body. A finished body leaves its outcome in [`Core::step_outcome`] (a result
    /// goes into the result store of the open loop first) rather than returning it: a
    /// returned outcome would travel through a stack copy read back wider than it was written.
    fn poll_erased(self: Pin<&mut Self>, cx: &mut Context<'_>);
    /// Drops the future in place, leaving an empty box (a shell).
    fn empty(self: Pin<&mut Self>);
    /// Whether this is an empty shell.
    fn is_empty(&self) -> bool;
    /// Moves the future out of `fresh` into this shell when `fresh` is an `Option` of this
    /// shell's future type; leaves `fresh` alone otherwise.
    fn refill(self: Pin<&mut Self>, fresh: &mut dyn Any);
    /// The type of the future this box holds or held.
    fn future_type(&self) -> TypeId;
}

impl<T: 'static, F: StdFuture<Output = Result<T, Exception>> + 'static> ErasedBody for Option<F> {
    #[inline]
    fn poll_erased(self: Pin<&mut Self>, cx: &mut Context<'_>) {
        let future = self
            .as_pin_mut()
            .expect("a task body is polled only while it holds its future");
        if let Poll::Ready(r) = future.poll(cx) {
            with_core(|c| c.step_outcome = Some(r.map(|v| c.results.put(v))));
        }
    }

    fn empty(mut self: Pin<&mut Self>) {
        self.set(None);
    }

    fn is_empty(&self) -> bool {
        self.is_none()
    }

    fn refill(mut self: Pin<&mut Self>, fresh: &mut dyn Any) {
        if let Some(fresh) = fresh.downcast_mut::<Option<F>>() {
            self.set(fresh.take());
        }
    }

    fn future_type(&self) -> TypeId {
        TypeId::of::<F>()
    }
}

/// Bookkeeping callback of a combinator, run with the core borrowed.
pub(crate) trait Internal {
    /// Runs the callback. `fut` is the future it was registered on (for done-callbacks) or
    /// `u32::MAX` (for timers and `call_soon` handles).
    fn run(self: Rc<Self>, core: &mut Core, fut: FutId);
    /// CPython's name for this callback, for traces and tracing output.
    fn name(&self) -> &'static str;
}

/// A user-supplied done-callback. Identity (for `remove_done_callback`) is the shared closure.
pub(crate) type UserDoneFn = Rc<dyn Fn(crate::future::FutureRef)>;

/// Index of a callback object in the loop's [`CallbackArena`](crate::callbacks::CallbackArena).
pub(crate) type CbId = u32;

/// One registration in a future's callback list. It is small and `Copy` (so are the ready
/// entries that carry it): a callback object lives in the loop's callback arena, and a
/// registration names it by index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DoneCb {
    /// A task waiting on the future: runs its next step (semantics 0, "Wakeup").
    Wakeup(TaskId),
    /// `run_until_complete`'s stop callback.
    Stop,
    /// A combinator's bookkeeping (`_done_callback`, `_on_completion`, ...) or a callback
    /// registered through the public API: the object at this index of the callback arena,
    /// owned by this one registration.
    Object(CbId),
    /// The `_done_callback` of the gather at this index of [`Core::gathers`], registered on
    /// each of its children.
    Gather(GatherId),
}

/// A callback object in the callback arena.
pub(crate) enum CallbackObj {
    /// A combinator's bookkeeping.
    Internal(Rc<dyn Internal>),
    /// A callback registered through the public API.
    User(UserDoneFn),
}

/// What a timer or `call_soon` handle runs. Small and `Copy`, like [`DoneCb`]: a callback
/// object lives in the loop's handle arena (`Core::handle_objs`), and the handle names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum HandleCb {
    /// `futures._set_result_unless_cancelled(fut, None)`: the timer of `sleep`.
    SleepWake(FutId),
    /// The object at this index of the handle arena, owned by this one handle.
    Object(CbId),
}

/// A callback object of a timer or `call_soon` handle.
pub(crate) enum HandleObj {
    /// Combinator bookkeeping (a timeout handler, `wait`'s timeout, ...).
    Internal(Rc<dyn Internal>),
    /// A user callback.
    User(Box<dyn FnOnce()>),
}

/// One entry of the ready queue (kept there packed, as a [`Queued`](crate::queued::Queued)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Entry {
    /// A task step with nothing to throw in (first step, after a bare yield).
    Step(TaskId),
    /// A task step that throws the exception held in the task's `throw` into the body (a task
    /// awaiting itself, TASK-10).
    StepThrow(TaskId),
    /// A done-callback of a future, queued when the future completed.
    Done(FutId, DoneCb),
    /// A timer handle that became due.
    Timer(TimerId),
    /// A `call_soon` handle.
    Soon(SoonId),
}

/// The three states of a future (FUT-1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FutState {
    Pending,
    Finished,
    Cancelled,
}

/// What a finished future holds.
pub(crate) enum Outcome {
    /// Nothing yet (pending or cancelled).
    None,
    /// The unit result `()` (a `sleep`'s future, most internal waiters): nothing to box.
    Unit,
    /// Any other result, kept in the loop's result store.
    Value(Stored),
    /// An exception.
    Exc(Exception),
}

impl Outcome {
    /// The stored exception, if any.
    pub(crate) fn exception(&self) -> Option<&Exception> {
        match self {
            Outcome::Exc(e) => Some(e),
            _ => None,
        }
    }
}

/// Index of a gather in the loop's list of them ([`Core::gathers`]).
pub(crate) type GatherId = u32;

/// What kind of object a future slot is: its `cancel` behaves differently per kind.
#[derive(Clone, Copy)]
pub(crate) enum FutKind {
    /// `loop.create_future()` (also internal waiters and the outer future of `shield`).
    Plain,
    /// The future part of a task.
    Task(TaskId),
    /// The outer future of `gather`, whose `cancel` forwards to the children (GATHER-7).
    Gather(GatherId),
}

/// The parts of a future that every completion and every await touch. The rest, read only
/// by cancellation and reports, lives in [`FutExtra`], so that the slots a busy loop cycles
/// through stay small.
pub(crate) struct FutSlot {
    pub state: FutState,
    /// Whether the exception has been retrieved (else it is reported when the loop closes).
    pub retrieved: bool,
    /// The result or exception once finished.
    pub outcome: Outcome,
    /// Done-callbacks in registration order; emptied when the future completes (FUT-7).
    pub callbacks: crate::callbacks::CallbackList,
}

impl FutSlot {
    /// A pending future with no callbacks. A constant, so that pushing it stores constants
    /// straight into the table (a value assembled on the stack first is copied with loads
    /// wider than the stores that built it, and the processor stalls on them).
    pub(crate) const NEW: FutSlot = FutSlot {
        state: FutState::Pending,
        retrieved: false,
        outcome: Outcome::None,
        callbacks: crate::callbacks::CallbackList::Empty,
    };

    /// Clears the outcome of a released slot, which holds no exception (only a sleep's
    /// future is released: it is finished by its timer or cancelled), so that
    /// [`FutSlot::renew`] finds nothing to drop.
    pub(crate) fn empty(&mut self) {
        debug_assert!(matches!(
            self.callbacks,
            crate::callbacks::CallbackList::Empty
        ));
        debug_assert!(!matches!(self.outcome, Outcome::Exc(_)));
        set_without_drop(&mut self.outcome, Outcome::None);
    }

    /// Makes an emptied slot a new pending future, writing only the fields that
    /// [`FutSlot::empty`] left set.
    pub(crate) fn renew(&mut self) {
        debug_assert!(self.owns_nothing(), "a reused slot was emptied");
        self.state = FutState::Pending;
        self.retrieved = false;
    }

    /// Whether the slot holds nothing, as [`FutSlot::empty`] leaves it: no exception and no
    /// callback registration.
    fn owns_nothing(&self) -> bool {
        self.drops_nothing() && matches!(self.callbacks, crate::callbacks::CallbackList::Empty)
    }

    /// Whether dropping the slot would free nothing: no exception and at most one callback
    /// registration (a single one is held inline). Every field is named, so a new field must
    /// be considered here.
    pub(crate) fn drops_nothing(&self) -> bool {
        let FutSlot {
            state: _,
            retrieved: _,
            outcome,
            callbacks,
        } = self;
        !matches!(outcome, Outcome::Exc(_))
            && !matches!(callbacks, crate::callbacks::CallbackList::Many(_))
    }
}

/// What a future slot keeps beside [`FutSlot`]: its kind and its cancellation record. A
/// released slot's extra is always [`FutExtra::plain`] again.
pub(crate) struct FutExtra {
    pub kind: FutKind,
    /// The recorded cancel message (`_cancel_message`).
    pub cancel_msg: Option<Rc<str>>,
    /// Tasks only: the `CancelledError` the body ended with, handed to the first consumer
    /// and then forgotten (TASK-14c).
    pub saved_cancel: Option<Exception>,
}

impl FutExtra {
    /// The extra of a plain future that was never cancelled.
    pub(crate) const PLAIN: FutExtra = FutExtra {
        kind: FutKind::Plain,
        cancel_msg: None,
        saved_cancel: None,
    };

    /// Whether this is [`FutExtra::PLAIN`].
    pub(crate) fn is_plain(&self) -> bool {
        matches!(self.kind, FutKind::Plain) && self.drops_nothing()
    }

    /// Whether dropping the record would free nothing: no message and no saved
    /// `CancelledError`.
    pub(crate) fn drops_nothing(&self) -> bool {
        self.cancel_msg.is_none() && self.saved_cancel.is_none()
    }
}

/// A task's own state beside its future. Invariant (TASK-18): either `waiter` is a pending
/// future and no step is queued, or exactly one step is queued, or the task is running.
pub(crate) struct TaskSlot {
    pub fut: FutId,
    /// The body; `None` while it is being polled and after it finished.
    pub body: Option<Body>,
    /// Whether the first step has run (a body cancelled before it never runs, TASK-8).
    pub started: bool,
    /// `_must_cancel`: the next step throws `CancelledError` (message in the future's
    /// `cancel_msg`).
    pub must_cancel: bool,
    /// `cancelling()`: the number of cancel requests not withdrawn by `uncancel()`.
    pub num_cancels: u32,
    /// `_fut_waiter`: the future the task is suspended on, if any.
    pub waiter: Option<FutId>,
    /// The exception the current step throws in at the suspended await point.
    pub throw: Option<Exception>,
    /// The waiter is a `sleep`'s future: the step that resumes the task may settle the sleep
    /// ([`crate::sleep`]); set until that step ends.
    pub in_sleep: bool,
    /// Created by the runtime itself (the shutdown steps of `run`): never a target of an
    /// injected cancellation.
    pub internal: bool,
    /// `_log_destroy_pending`: whether the task is reported if the loop goes away while it is
    /// pending. Off for the tasks `run_until_complete` wraps around a body.
    pub log_destroy_pending: bool,
    /// The body is suspended where this loop cannot resume it (a foreign future): its next
    /// step ends the task with the exception thrown in, without polling.
    pub stuck: bool,
}

impl TaskSlot {
    /// A slot before its task's fields are written: a constant (see [`FutSlot::NEW`]).
    pub(crate) const NEW: TaskSlot = TaskSlot {
        fut: 0,
        body: None,
        started: false,
        must_cancel: false,
        num_cancels: 0,
        waiter: None,
        throw: None,
        in_sleep: false,
        internal: false,
        log_destroy_pending: true,
        stuck: false,
    };

    /// Whether dropping the slot would free nothing: no body and no exception to throw in.
    pub(crate) fn drops_nothing(&self) -> bool {
        self.body.is_none() && self.throw.is_none()
    }
}

/// A task's name: explicit, or `Task-<n>` (TASK-20), formatted only when asked for.
#[derive(Clone, Debug)]
pub(crate) enum TaskName {
    Numbered(u64),
    Named(Rc<str>),
}

impl TaskName {
    pub(crate) fn render(&self) -> Rc<str> {
        match self {
            TaskName::Numbered(n) => Rc::from(format!("Task-{n}")),
            TaskName::Named(s) => s.clone(),
        }
    }
}

pub(crate) struct TimerSlot {
    pub when: u64,
    pub cancelled: bool,
    /// Whether the timer is still in the heap (`_scheduled`).
    pub scheduled: bool,
    pub cb: Option<HandleCb>,
}

impl TimerSlot {
    /// A slot that holds no timer: what a new slot starts as before its fields are written.
    pub(crate) const RELEASED: TimerSlot = TimerSlot {
        when: 0,
        cancelled: false,
        scheduled: false,
        cb: None,
    };
}

pub(crate) struct SoonSlot {
    pub cancelled: bool,
    pub cb: Option<HandleCb>,
}

/// What an aiosim awaitable reported when it suspended the polled body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Yield {
    /// Nothing: if the body is pending, it awaited something that is not an aiosim awaitable.
    Nothing,
    /// Suspended on a pending future.
    Future(FutId),
    /// Suspended in a `sleep` on its pending future.
    Sleep(FutId),
    /// A bare yield (`sleep(0)`).
    Bare,
    /// Two awaitables suspended in one poll (e.g. a foreign `join!` of two aiosim futures).
    Twice,
}

/// A report for the loop's exception handler.
#[derive(Clone, Debug)]
pub struct ErrorReport {
    /// What happened, in CPython's words where it has them.
    pub message: String,
    /// The exception involved, if any.
    pub exception: Option<Exception>,
    /// The task involved, by name, if any.
    pub task: Option<Rc<str>>,
}

/// The state of one event loop.
pub(crate) struct Core {
    /// Identity of the open loop; handles carry it to catch use with another loop.
    pub loop_id: u32,
    pub open: bool,
    pub now: u64,
    pub ready: crate::ready::ReadyQueue,
    pub heap: TimerHeap,
    pub timers: Vec<TimerSlot>,
    /// Slots of timers that ran and can no longer be reached, reused by the next timers.
    pub free_timers: Vec<TimerId>,
    pub soons: Vec<SoonSlot>,
    pub futs: Slots<FutSlot>,
    /// The callback objects that registrations in `futs` and entries in `ready` name.
    pub callback_objs: crate::callbacks::CallbackArena<CallbackObj>,
    /// The callback objects that timer and `call_soon` handles name.
    pub handle_objs: crate::callbacks::CallbackArena<HandleObj>,
    /// The kind and cancellation record of each future in `futs`, at the same index.
    pub fut_extras: Slots<FutExtra>,
    /// The results of the futures in `futs`.
    pub results: Results,
    /// Released future slots, reused (last released first) by the next futures created.
    pub free_futs: Vec<FutId>,
    pub tasks: Slots<TaskSlot>,
    /// The name of each task in `tasks`, at the same index (read only for reports).
    pub task_names: Slots<TaskName>,
    /// `_timer_cancelled_count`, including CPython's drift (semantics 2.2).
    pub cancelled_count: usize,
    pub stopping: bool,
    pub running: bool,
    pub closed: bool,
    pub current: Option<TaskId>,
    pub yielded: Yield,
    /// The outcome of the body that the step in progress finished, put there by its poll.
    pub step_outcome: Option<Result<Stored, Exception>>,
    pub task_counter: u64,
    /// Tasks created and not done yet: while none is, no scan of the tables looks for one.
    pub unfinished_tasks: usize,
    /// Futures that were ever finished with an exception in this loop (retrieved or not):
    /// while there were none, closing the loop has no exception to report.
    pub exceptions_set: usize,
    /// Whether a slot of the future, task or name tables may have come to own something that
    /// `unfinished_tasks` and `exceptions_set` do not account for: a list of several
    /// callbacks, a cancel message, a saved `CancelledError` or a given name. When none did, a
    /// new loop empties those tables without visiting their slots.
    pub owning_slots: bool,
    pub iteration: u64,
    /// Maximum number of iterations, if limited.
    pub budget: Option<u64>,
    /// The scheduler; `None` is CPython's order (what [`Fifo`] does).
    pub scheduler: Option<Box<dyn Scheduler>>,
    /// The installed scheduler's level, read once (the FIFO fast path tests only this).
    pub level: Level,
    /// Whether the scheduler injects cancellations.
    pub injecting: bool,
    /// Whether an exception handler is installed: reports are then handed to it as soon as
    /// the handle that made them has run.
    pub handled: bool,
    /// Whether the loop has something to do around the next handle: ask the scheduler for an
    /// injection, hand waiting reports to the handler, or tell the observer which handle runs
    /// ([`Core::refresh_attention`]).
    pub attention: bool,
    /// Whether the scheduler reads the task of each candidate.
    pub reads_tasks: bool,
    pub observer: Option<Box<dyn Observer>>,
    pub reports: Vec<ErrorReport>,
    /// The real-time clock, or `None` for the virtual clock.
    pub clock: Option<Box<crate::real_time::RealClock>>,
    /// The batch in progress when the scheduler may reorder it.
    pub batch: crate::batch::Batch,
    /// Reused list of pending tasks offered to an injecting scheduler.
    pub inject_buf: Vec<u32>,
    /// Emptied task bodies for reuse; kept across loops.
    pub bodies: crate::body_pool::BodyPool,
    /// Each gather of this loop, in creation order: its outer future ([`FutKind::Gather`])
    /// and its children's registrations ([`DoneCb::Gather`]) name it by index.
    pub gathers: Vec<crate::gather::GatherEntry>,
}

impl Core {
    const fn new() -> Core {
        Core {
            loop_id: 0,
            open: false,
            now: 0,
            ready: crate::ready::ReadyQueue::new(),
            heap: TimerHeap::new(),
            timers: Vec::new(),
            free_timers: Vec::new(),
            soons: Vec::new(),
            futs: Slots::new(),
            callback_objs: crate::callbacks::CallbackArena::new(),
            handle_objs: crate::callbacks::CallbackArena::new(),
            fut_extras: Slots::new(),
            results: Results::new(),
            free_futs: Vec::new(),
            tasks: Slots::new(),
            task_names: Slots::new(),
            cancelled_count: 0,
            stopping: false,
            running: false,
            closed: false,
            current: None,
            yielded: Yield::Nothing,
            step_outcome: None,
            task_counter: 0,
            unfinished_tasks: 0,
            exceptions_set: 0,
            owning_slots: false,
            iteration: 0,
            budget: None,
            scheduler: None,
            level: Level::Fifo,
            injecting: false,
            handled: false,
            attention: false,
            reads_tasks: false,
            observer: None,
            reports: Vec::new(),
            clock: None,
            batch: crate::batch::Batch::new(),
            inject_buf: Vec::new(),
            bodies: crate::body_pool::BodyPool::new(),
            gathers: Vec::new(),
        }
    }

    /// Empties every table (keeping capacity) for a new loop with identity `loop_id`.
    pub(crate) fn reset(&mut self, loop_id: u32) {
        self.loop_id = loop_id;
        self.open = true;
        self.now = 0;
        self.ready.clear();
        self.heap.clear();
        self.timers.clear();
        self.free_timers.clear();
        self.soons.clear();
        self.clear_slots();
        self.callback_objs.clear();
        self.handle_objs.clear();
        self.results.clear();
        self.gathers.clear();
        self.free_futs.clear();
        self.cancelled_count = 0;
        self.stopping = false;
        self.running = false;
        self.closed = false;
        self.current = None;
        self.yielded = Yield::Nothing;
        crate::sleep::forget_settled();
        self.step_outcome = None;
        self.task_counter = 0;
        self.unfinished_tasks = 0;
        self.exceptions_set = 0;
        self.owning_slots = false;
        self.iteration = 0;
        self.budget = None;
        self.scheduler = None;
        self.level = Level::Fifo;
        self.injecting = false;
        self.handled = false;
        self.attention = false;
        self.reads_tasks = false;
        self.observer = None;
        self.reports.clear();
        self.clock = None;
        self.batch.clear();
    }

    /// Empties the future, task and name tables, keeping their capacity. Their slots are
    /// dropped one by one only if one of them may own something: every task finished (so
    /// holds no body), no future was given an exception, and nothing noted in
    /// [`Core::owning_slots`] happened.
    fn clear_slots(&mut self) {
        if self.unfinished_tasks == 0 && self.exceptions_set == 0 && !self.owning_slots {
            self.futs.forget_all(FutSlot::drops_nothing);
            self.fut_extras.forget_all(FutExtra::drops_nothing);
            self.tasks.forget_all(TaskSlot::drops_nothing);
            self.task_names
                .forget_all(|name| matches!(name, TaskName::Numbered(_)));
        } else {
            self.futs.clear();
            self.fut_extras.clear();
            self.tasks.clear();
            self.task_names.clear();
        }
    }

    /// Installs a scheduler.
    pub(crate) fn set_scheduler(&mut self, scheduler: Box<dyn Scheduler>) {
        self.settle_picks();
        self.level = scheduler.level();
        self.injecting = scheduler.injects();
        self.refresh_attention();
        self.reads_tasks = scheduler.reads_tasks();
        self.scheduler = Some(scheduler);
    }

    /// Whether reports wait for the installed exception handler.
    pub(crate) fn reports_waiting(&self) -> bool {
        self.handled && !self.reports.is_empty()
    }

    /// Recomputes [`Core::attention`] after what it depends on changed.
    pub(crate) fn refresh_attention(&mut self) {
        self.attention = self.injecting || self.reports_waiting() || self.observer.is_some();
    }

    /// The installed scheduler (only asked from level 1 on, so one is installed), told first
    /// which of its picks made ahead were taken.
    pub(crate) fn scheduler(&mut self) -> &mut dyn Scheduler {
        self.settle_picks();
        self.scheduler
            .get_or_insert_with(|| Box::new(Fifo))
            .as_mut()
    }

    /// The order in which to iterate `items` at a set-iteration `site` (semantics 2.11): the
    /// pinned order, or the scheduler's permutation from level 1 on.
    pub(crate) fn set_order<T: Copy>(&mut self, site: SetSite, items: &[T]) -> Vec<T> {
        if self.level < Level::Ties || items.len() < 2 {
            return items.to_vec();
        }
        let order = self.scheduler().order_set(site, items.len());
        debug_assert_eq!(order.len(), items.len(), "order_set returns a permutation");
        order.into_iter().map(|i| items[i]).collect()
    }

    /// `call_soon` of an internal entry.
    #[inline]
    pub(crate) fn push_ready(&mut self, entry: Entry) {
        self.ready.push_back(Queued::pack(entry));
    }

    /// Reports an error to the loop's exception handler and to `tracing`. The handler gets it
    /// once the core is released: right after the running handle, or when the caller of a
    /// loop method that reported regains control.
    pub(crate) fn report(
        &mut self,
        message: String,
        exception: Option<Exception>,
        task: Option<TaskId>,
    ) {
        let task = task.map(|t| self.task_names[t as usize].render());
        tracing::warn!(target: "aiosim", task = task.as_deref(), exception = ?exception, "{message}");
        self.reports.push(ErrorReport {
            message,
            exception,
            task,
        });
        self.attention |= self.handled;
    }
}

/// Writes `value` over a place known to own nothing (a constant just written, or a variant
/// without resources), without dropping what was there. An assignment would read the old
/// value back to decide whether to drop it, right after it was written.
#[inline(always)]
pub(crate) fn set_without_drop<T>(place: &mut T, value: T) {
    std::mem::forget(std::mem::replace(place, value));
}

thread_local! {
    /// The core of this thread. It has no destructor of its own, so that reaching it costs no
    /// check of whether the thread is exiting (every handle and every API call reaches it);
    /// [`CoreCleanup`] frees its tables instead.
    static CORE: ManuallyDrop<RefCell<Core>> =
        const { ManuallyDrop::new(RefCell::new(Core::new())) };
    static CLEANUP: CoreCleanup = const { CoreCleanup };
}

/// Frees this thread's core when the thread exits.
struct CoreCleanup;

impl Drop for CoreCleanup {
    fn drop(&mut self) {
        let core = CORE.with(|cell| {
            cell.try_borrow_mut()
                .map(|mut core| std::mem::replace(&mut *core, Core::new()))
        });
        // Dropped with the slot released: task bodies may call back into it as they go.
        drop(core);
    }
}

/// While a panic unwinds out of an iteration: tells the scheduler which of its picks made
/// ahead were taken, so that the run's record holds every choice it made up to the panic.
pub(crate) struct SettleOnPanic;

impl Drop for SettleOnPanic {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let _ = CORE.try_with(|cell| {
                if let Ok(mut core) = cell.try_borrow_mut() {
                    core.settle_picks();
                }
            });
        }
    }
}

/// Makes sure this thread's core is freed when the thread exits (called by each new loop; a
/// loop opened while the thread's destructors run, if any, leaves its tables to the system).
pub(crate) fn free_core_at_thread_exit() {
    let _ = CLEANUP.try_with(|_| {});
}

/// Runs `f` on the open loop of this thread.
///
/// # Panics
/// If no loop is open in this thread, or if the handle's `loop_id` belongs to another loop.
#[inline(always)]
pub(crate) fn with_core<R>(f: impl FnOnce(&mut Core) -> R) -> R {
    with_cell(|cell| {
        let mut core = cell.borrow_mut();
        assert!(core.open, "aiosim: no event loop is open in this thread");
        f(&mut core)
    })
}

/// Like [`with_core`], checking that a handle created under `loop_id` is used with that loop.
#[inline]
pub(crate) fn with_loop<R>(loop_id: u32, f: impl FnOnce(&mut Core) -> R) -> R {
    with_core(|core| {
        assert!(
            core.loop_id == loop_id,
            "aiosim: a future or task was used with an event loop other than its own"
        );
        f(core)
    })
}

/// Runs `f` on this thread's core without checking that a loop is open: for opening and
/// closing, and for the loop's own iterations (they run only while the loop is open and
/// running, and an open loop is neither closed nor dropped while it runs).
#[inline(always)]
pub(crate) fn with_slot<R>(f: impl FnOnce(&mut Core) -> R) -> R {
    with_cell(|cell| f(&mut cell.borrow_mut()))
}

/// Runs `f` on the cell of this thread's core, through `LocalKey::try_with`, which carries an
/// inlining hint (`LocalKey::with` does not): the loop's code came out laid out better with it
/// (W2 2% faster at the same instruction count). The core has no destructor, so the access
/// cannot fail.
#[inline(always)]
fn with_cell<R>(f: impl FnOnce(&RefCell<Core>) -> R) -> R {
    match CORE.try_with(|cell| f(cell)) {
        Ok(r) => r,
        Err(_) => core_unreachable(),
    }
}

/// The failure [`with_cell`] cannot meet: the core's slot gone while the thread runs.
#[cold]
#[inline(never)]
fn core_unreachable() -> ! {
    panic!("aiosim: this thread's event loop tables cannot be reached")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `scenario` in a new loop, then says whether the loop noted a slot that may own
    /// something (the next loop then drops every slot instead of forgetting them).
    fn notes_an_owning_slot(scenario: impl FnOnce(&crate::EventLoop)) -> bool {
        let event_loop = crate::EventLoop::new();
        scenario(&event_loop);
        let noted = with_slot(|c| c.owning_slots);
        event_loop.close();
        noted
    }

    /// Every way a slot comes to own something that the unfinished-task and exception counts
    /// do not cover is noted, and a loop of plain tasks and sleeps notes none. Opening each
    /// next loop empties the tables of the one before (in debug builds, a slot forgotten
    /// while owning something panics there).
    #[test]
    fn a_loop_notes_every_slot_that_comes_to_own_something() {
        use crate::{Future, create_task, create_task_named, gather, sleep};
        async fn nap() -> Result<(), Exception> {
            sleep(1).await
        }
        let run = |el: &crate::EventLoop| {
            el.run_until_complete(async {
                let task = create_task(nap());
                task.await
            })
        };
        assert!(!notes_an_owning_slot(|el| run(el).expect("runs")));
        assert!(notes_an_owning_slot(|el| {
            el.run_until_complete(async { create_task_named("n", nap()).await })
                .expect("runs");
        }));
        assert!(notes_an_owning_slot(|el| {
            el.run_until_complete(async {
                create_task(nap()).as_ref().set_name("renamed");
                Ok(())
            })
            .expect("runs");
        }));
        assert!(notes_an_owning_slot(|_| {
            let fut = Future::<()>::new();
            let cb = crate::future::DoneCallback::new(|_| {});
            fut.as_ref().add_done_callback(&cb);
            fut.as_ref().add_done_callback(&cb);
        }));
        // A gather's shared state lives in the loop's list of gathers, not in a slot.
        assert!(!notes_an_owning_slot(|el| {
            el.run_until_complete(async { gather(&[create_task(nap())]).await })
                .expect("runs");
        }));
        assert!(notes_an_owning_slot(|_| {
            Future::<()>::new().as_ref().cancel_with("plain");
        }));
        // Cancelled with a message while it waits in no future, and catching it: only the
        // message is left.
        assert!(notes_an_owning_slot(|el| {
            el.run_until_complete(async {
                let task = create_task(async {
                    let _caught = sleep(0).await;
                    Ok(())
                });
                sleep(0).await?;
                task.as_ref().cancel_with("task");
                task.await
            })
            .expect("runs");
        }));
        assert!(notes_an_owning_slot(|el| {
            el.run_until_complete(async {
                let task = create_task(nap());
                task.as_ref().cancel();
                let _ = task.await;
                Ok(())
            })
            .expect("runs");
        }));
        assert!(!notes_an_owning_slot(|el| run(el).expect("runs")));
    }

    /// The ready queue and the future arena are what a busy loop cycles through: their
    /// elements stay small (a registration names its callback object by index).
    #[test]
    fn hot_tables_have_small_elements() {
        assert_eq!(std::mem::size_of::<DoneCb>(), 8);
        assert_eq!(std::mem::size_of::<crate::queued::Queued>(), 8);
        assert_eq!(std::mem::size_of::<crate::callbacks::CallbackList>(), 16);
        assert_eq!(std::mem::size_of::<FutSlot>(), 40);
        assert_eq!(std::mem::size_of::<TaskSlot>(), 48);
        assert_eq!(std::mem::size_of::<TimerSlot>(), 24);
    }
}
