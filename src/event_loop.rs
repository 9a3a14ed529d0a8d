//! The event loop: one iteration is CPython's `_run_once` (semantics 2.2).
//!
//! ```text
//!  run_once:  purge cancelled timers ─► maybe advance the virtual clock ─► move due timers
//!             to the back of the ready queue ─► run exactly the entries queued now
//! ```
//!
//! The clock is virtual: it jumps to the head timer's deadline when nothing is ready (LOOP-9,
//! semantics 2.4). An iteration that starts with nothing ready, not stopping and no live timer
//! would block forever; the loop reports a deadlock instead (graph-format 4.8).

use std::cell::{Cell, RefCell};
use std::marker::PhantomData;
use std::rc::Rc;
use std::task::{Context, Waker};
use std::time::Duration;

use crate::core::{
    Body, CallbackObj, Core, DoneCb, Entry, ErrorReport, FutId, HandleCb, HandleObj, SettleOnPanic,
    TaskId, UserDoneFn, with_core, with_slot,
};
use crate::due_timers::early_by;
use crate::exception::Exception;
use crate::future::{Future, FutureRef};
use crate::handle::{Handle, TimerHandle};
use crate::observe::{HandleKind, Observer};
use crate::queued::{Kind, Queued};
use crate::real_time::{LoopHandle, RealClock, Waited};
use crate::schedule::{Level, Scheduler};
use crate::stall::Stall;
use crate::task::Task;

/// How `run_until_complete` can fail.
#[derive(Clone, Debug)]
pub enum RunError {
    /// The awaited object raised (or was cancelled: a `CancelledError`).
    Raised(Exception),
    /// Nothing was ready, the loop was not stopping and no live timer remained: CPython would
    /// block forever (graph-format 4.8).
    Deadlock(Stall),
    /// The iteration budget ran out (a task that never stops yielding, for instance).
    BudgetExhausted(Stall),
}

impl RunError {
    /// The exception, if the run ended by one.
    pub fn exception(&self) -> Option<&Exception> {
        match self {
            RunError::Raised(e) => Some(e),
            _ => None,
        }
    }
}

impl From<Exception> for RunError {
    fn from(e: Exception) -> RunError {
        RunError::Raised(e)
    }
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunError::Raised(e) => write!(f, "{e}"),
            RunError::Deadlock(s) => {
                write!(f, "deadlock: nothing is ready and no timer is left, at {s}")
            }
            RunError::BudgetExhausted(s) => write!(f, "iteration budget exhausted at {s}"),
        }
    }
}

impl std::error::Error for RunError {}

/// What the loop must do with the borrow released after an entry's bookkeeping.
enum Action {
    /// Hand the waiting reports to the exception handler (no entry was taken).
    Reports,
    Nothing,
    /// Empty the body of a task that ended without being polled, and keep it for reuse.
    Discard(Body),
    Poll(TaskId, Body),
    User(Box<dyn FnOnce()>),
    UserDone(UserDoneFn, FutureRef),
}

/// The loop's exception handler.
type ExceptionHandler = Box<dyn FnMut(&ErrorReport)>;

thread_local! {
    static NEXT_LOOP_ID: Cell<u32> = const { Cell::new(1) };
}

/// An asyncio event loop with a virtual clock, bound to the current thread (`!Send`).
///
/// One loop can be open per thread at a time; its tables are reused by the next loop opened
/// on the thread, so creating a loop per execution is cheap.
pub struct EventLoop {
    id: u32,
    handler: RefCell<Option<ExceptionHandler>>,
    _not_send: PhantomData<Rc<()>>,
}

impl EventLoop {
    /// Opens a loop with the FIFO (CPython) scheduler at virtual time 0.
    ///
    /// # Panics
    /// If another loop is open in this thread.
    pub fn new() -> EventLoop {
        let id = NEXT_LOOP_ID.with(|n| {
            let id = n.get();
            n.set(id.wrapping_add(1).max(1));
            id
        });
        crate::core::free_core_at_thread_exit();
        with_slot(|c| {
            assert!(
                !c.open,
                "aiosim: another event loop is open in this thread; close it first"
            );
            c.reset(id);
        });
        EventLoop {
            id,
            handler: RefCell::new(None),
            _not_send: PhantomData,
        }
    }

    /// Opens a loop on the real clock: one tick lasts `tick`, and waiting happens in a `mio`
    /// poller that other threads can wake through [`EventLoop::handle`].
    ///
    /// # Panics
    /// If another loop is open in this thread.
    pub fn real_time(tick: Duration) -> std::io::Result<EventLoop> {
        let clock = RealClock::new(tick)?;
        let event_loop = EventLoop::new();
        event_loop.with(|c| c.clock = Some(Box::new(clock)));
        Ok(event_loop)
    }

    /// A handle for `call_soon_threadsafe` from other threads (real-time loops only).
    pub fn handle(&self) -> Option<LoopHandle> {
        self.with(|c| c.clock.as_ref().map(|clock| clock.handle()))
    }

    fn with<R>(&self, f: impl FnOnce(&mut Core) -> R) -> R {
        with_core(|c| {
            assert!(c.loop_id == self.id, "aiosim: this event loop is closed");
            f(c)
        })
    }

    /// Replaces the scheduling policy (default: [`crate::schedule::Fifo`]).
    pub fn set_scheduler(&self, scheduler: Box<dyn Scheduler>) {
        self.with(|c| c.set_scheduler(scheduler));
    }

    /// Installs (or removes) the observer.
    pub fn set_observer(&self, observer: Option<Box<dyn Observer>>) {
        self.with(|c| {
            c.observer = observer;
            c.refresh_attention();
        });
    }

    /// Takes the observer back out of the loop.
    pub fn take_observer(&self) -> Option<Box<dyn Observer>> {
        self.with(|c| {
            let observer = c.observer.take();
            c.refresh_attention();
            observer
        })
    }

    /// Sets the exception handler: it receives every report (unretrieved exceptions, tasks
    /// destroyed while pending, errors during shutdown, misused awaits). Without one, reports
    /// are logged through `tracing` and kept for [`EventLoop::take_reports`].
    ///
    /// While the loop runs, the handler is called as soon as the handle that made a report
    /// has run (CPython calls it inside that handle, where the loop cannot lend itself out).
    pub fn set_exception_handler(&self, handler: impl FnMut(&ErrorReport) + 'static) {
        *self.handler.borrow_mut() = Some(Box::new(handler));
        self.with(|c| {
            c.handled = true;
            c.refresh_attention();
        });
    }

    /// Reports not delivered to a handler yet.
    pub fn take_reports(&self) -> Vec<ErrorReport> {
        self.with(|c| {
            let reports = std::mem::take(&mut c.reports);
            c.refresh_attention();
            reports
        })
    }

    /// Hands the waiting reports to the exception handler, if one is installed.
    pub(crate) fn deliver_reports(&self) {
        let mut handler = self.handler.borrow_mut();
        if let Some(h) = handler.as_mut() {
            for r in self.take_reports() {
                h(&r);
            }
        }
    }

    /// `loop.time()`: the virtual clock in ticks.
    pub fn time(&self) -> u64 {
        self.with(|c| c.now)
    }

    /// Iterations run so far.
    pub fn iteration(&self) -> u64 {
        self.with(|c| c.iteration)
    }

    /// Limits the number of iterations (`None`: unlimited, the default).
    pub fn set_iteration_budget(&self, budget: Option<u64>) {
        self.with(|c| c.budget = budget);
    }

    /// `call_soon(f)` (LOOP-1).
    pub fn call_soon(&self, f: impl FnOnce() + 'static) -> Handle {
        call_soon(f)
    }

    /// `call_later(delay, f)` (LOOP-4).
    pub fn call_later(&self, delay: u64, f: impl FnOnce() + 'static) -> TimerHandle {
        call_later(delay, f)
    }

    /// `call_at(when, f)` (LOOP-4).
    pub fn call_at(&self, when: u64, f: impl FnOnce() + 'static) -> TimerHandle {
        call_at(when, f)
    }

    /// `loop.create_task(body)` (TASK-1).
    pub fn create_task<T, F>(&self, body: F) -> Task<T>
    where
        T: Clone + 'static,
        F: std::future::Future<Output = Result<T, Exception>> + 'static,
    {
        crate::task::create_task(body)
    }

    /// `loop.create_future()`.
    pub fn create_future<T: Clone + 'static>(&self) -> Future<T> {
        Future::new()
    }

    /// `is_running()`.
    pub fn is_running(&self) -> bool {
        self.with(|c| c.running)
    }

    /// `is_closed()`.
    pub fn is_closed(&self) -> bool {
        with_slot(|c| c.loop_id != self.id || c.closed)
    }

    /// `stop()`: the current iteration finishes, then `run_forever` returns (LOOP-8).
    pub fn stop(&self) {
        self.with(|c| c.stopping = true);
    }

    /// `run_until_complete(body)`: wraps the body in a task and runs until it is done.
    pub fn run_until_complete<T, F>(&self, body: F) -> Result<T, RunError>
    where
        T: Clone + 'static,
        F: std::future::Future<Output = Result<T, Exception>> + 'static,
    {
        let task = self.create_task(body);
        // The caller never sees this task, so it is not reported if left pending.
        self.with(|c| c.task_mut(task.as_ref().id).log_destroy_pending = false);
        self.run_until_done(task)
    }

    /// `run_until_complete(task)`.
    pub fn run_until_done<T: Clone + 'static>(&self, task: Task<T>) -> Result<T, RunError> {
        let fut = task.as_future();
        self.run_until_future_done(fut)?;
        Ok(task.result()?)
    }

    /// `run_until_complete(fut)` for a plain future.
    pub fn run_until_future<T: Clone + 'static>(&self, fut: Future<T>) -> Result<T, RunError> {
        self.run_until_future_done(fut.as_ref())?;
        Ok(fut.result()?)
    }

    /// Runs until `fut` is done (its stop callback ran), without reading its outcome.
    pub fn run_until_future_done(&self, fut: FutureRef) -> Result<(), RunError> {
        self.with(|c| c.add_done_callback(fut.id, DoneCb::Stop));
        let r = self.run_forever();
        self.with(|c| c.remove_done_callback(fut.id, |cb, _| cb == DoneCb::Stop));
        r?;
        if !fut.done() {
            return Err(RunError::Raised(Exception::runtime(
                "Event loop stopped before Future completed.",
            )));
        }
        Ok(())
    }

    /// `run_forever()`: runs iterations until `stop()` (LOOP-8).
    pub fn run_forever(&self) -> Result<(), RunError> {
        self.with(|c| {
            assert!(!c.running, "aiosim: this event loop is already running");
            assert!(!c.closed, "aiosim: this event loop is closed");
            c.running = true;
        });
        let result = loop {
            match self.run_once() {
                Err(e) => break Err(e),
                Ok(true) => break Ok(()),
                Ok(false) => {}
            }
        };
        self.with(|c| {
            c.stopping = false;
            c.running = false;
        });
        self.deliver_reports();
        result
    }

    /// `close()`: discards whatever is still queued (LOOP-8) and reports unretrieved
    /// exceptions and pending tasks to the exception handler.
    pub fn close(&self) {
        let (bodies, callbacks) = self.with(|c| {
            assert!(!c.running, "aiosim: cannot close a running event loop");
            if c.closed {
                return (Vec::new(), Vec::new());
            }
            c.closed = true;
            let callbacks = c.discard_ready();
            c.heap.clear();
            c.report_leftovers();
            (c.take_bodies(), callbacks)
        });
        drop(bodies);
        drop(callbacks);
        self.deliver_reports();
    }
}

impl Default for EventLoop {
    fn default() -> Self {
        EventLoop::new()
    }
}

impl Drop for EventLoop {
    fn drop(&mut self) {
        let bodies: Vec<Body> = with_slot(|c| {
            if c.loop_id != self.id || !c.open {
                return Vec::new();
            }
            c.open = false;
            c.take_bodies()
        });
        drop(bodies);
    }
}

impl Core {
    /// Steps (1)–(5) of `_run_once`; returns the number of entries to run.
    fn prepare_iteration(&mut self) -> Result<usize, RunError> {
        if self.budget.is_some_and(|b| self.iteration >= b) {
            return Err(RunError::BudgetExhausted(self.stall()));
        }
        self.purge_cancelled_timers();
        self.ready.compact();
        if self.clock.is_some() {
            self.wait_real_time()?;
        } else if !self.stopping {
            match self.heap.peek() {
                None if self.ready.is_empty() => return Err(RunError::Deadlock(self.stall())),
                None => {}
                Some(head) if self.ready.is_empty() => {
                    self.now = self.now.max(head.when.saturating_sub(early_by()))
                }
                Some(head) if self.level == Level::Timing && head.when > self.now => {
                    let (now, ready) = (self.now, self.ready.len());
                    if self.scheduler().advance_early(now, head.when, ready) {
                        self.now = head.when;
                    }
                }
                Some(_) => {}
            }
        }
        self.move_due_timers();
        self.iteration += 1;
        let batch = self.ready.len();
        tracing::trace!(target: "aiosim", iteration = self.iteration, now = self.now, batch, "iteration");
        if let Some(obs) = self.observer.as_mut() {
            std::hint::cold_path();
            obs.iteration(self.iteration, self.now, batch);
        }
        Ok::<usize, RunError>(batch)
    }

    /// Steps (2)–(4) on the real clock: wait in the poller until the next deadline (or only
    /// collect what other threads sent, when work is ready), then queue what arrived.
    fn wait_real_time(&mut self) -> Result<(), RunError> {
        let block = self.ready.is_empty() && !self.stopping;
        let deadline = self.heap.peek().map(|h| h.when);
        let clock = self.clock.as_mut().expect("a real-time loop");
        match clock.wait(deadline, block) {
            Ok(Waited::Woke(now, arrived)) => {
                self.now = self.now.max(now);
                for f in arrived {
                    let cb = self.handle_cb(HandleObj::User(f));
                    self.call_soon_cb(cb);
                }
                Ok(())
            }
            Ok(Waited::Never) => Err(RunError::Deadlock(self.stall())),
            Err(e) => Err(RunError::Raised(Exception::runtime(&format!(
                "the real-time loop's poller failed: {e}"
            )))),
        }
    }

    /// Cancels a task chosen by the scheduler, if it injects one before this handle.
    fn maybe_inject(&mut self) {
        let mut pending = std::mem::take(&mut self.inject_buf);
        pending.clear();
        pending.extend(self.pending_tasks().filter(|&t| !self.task(t).internal));
        self.inject_pending(&pending);
        self.inject_buf = pending;
    }

    fn inject_pending(&mut self, pending: &[u32]) {
        if pending.is_empty() {
            return;
        }
        let (iteration, now) = (self.iteration, self.now);
        if let Some(inj) = self.scheduler().inject(iteration, now, pending)
            && pending.contains(&inj.task)
        {
            tracing::debug!(target: "aiosim", task = inj.task, msg = inj.msg.as_deref(), "injected cancel");
            self.task_cancel(inj.task, inj.msg);
        }
    }

    /// Runs an entry's bookkeeping and says what to run with the borrow released.
    #[inline]
    fn dispatch(&mut self, queued: Queued) -> Action {
        let (first, second) = (queued.first(), queued.second());
        match queued.kind() {
            Kind::Step => self.step_action(first, None),
            Kind::StepThrow => {
                let exc = self.task_mut(first).throw.take();
                if self.task(first).stuck {
                    return match self.end_stuck_step(first, exc) {
                        Some(body) => Action::Discard(body),
                        None => Action::Nothing,
                    };
                }
                self.step_action(first, exc)
            }
            Kind::Wakeup => {
                let exc = self.wakeup_exception(first);
                self.step_action(second, exc)
            }
            Kind::Stop => {
                self.stopping = true;
                Action::Nothing
            }
            Kind::Gather => {
                crate::gather::done_callback(self, second, first);
                Action::Nothing
            }
            Kind::Object => match self.callback_objs.take(second) {
                CallbackObj::Internal(cb) => {
                    cb.run(self, first);
                    Action::Nothing
                }
                CallbackObj::User(cb) => Action::UserDone(
                    cb,
                    FutureRef {
                        id: first,
                        loop_id: self.loop_id,
                    },
                ),
            },
            Kind::Timer => {
                let slot = &mut self.timers[first as usize];
                match slot.cb.take() {
                    Some(cb) if !slot.cancelled => self.handle_action(cb),
                    _ => Action::Nothing,
                }
            }
            Kind::Soon => {
                let slot = &mut self.soons[first as usize];
                match slot.cb.take() {
                    Some(cb) if !slot.cancelled => self.handle_action(cb),
                    _ => Action::Nothing,
                }
            }
        }
    }

    #[inline]
    fn step_action(&mut self, t: TaskId, exc: Option<Exception>) -> Action {
        match self.begin_step(t, exc) {
            Some(body) => Action::Poll(t, body),
            None => Action::Nothing,
        }
    }

    #[inline]
    fn handle_action(&mut self, cb: HandleCb) -> Action {
        match cb {
            HandleCb::SleepWake(f) => {
                if !self.is_done(f) {
                    let _ = self.set_unit_result(f);
                }
                Action::Nothing
            }
            HandleCb::Object(id) => match self.handle_objs.take(id) {
                HandleObj::Internal(cb) => {
                    cb.run(self, FutId::MAX);
                    Action::Nothing
                }
                HandleObj::User(f) => Action::User(f),
            },
        }
    }

    fn handle_kind(&self, e: &Entry) -> HandleKind {
        match e {
            Entry::Step(t) | Entry::StepThrow(t) => HandleKind::Step { task: *t },
            Entry::Done(f, DoneCb::Wakeup(t)) => HandleKind::Wakeup {
                task: *t,
                future: *f,
            },
            Entry::Done(_, DoneCb::Stop) => HandleKind::Stop,
            Entry::Done(f, DoneCb::Gather(_)) => HandleKind::Internal {
                name: crate::gather::DONE_CALLBACK,
                future: *f,
            },
            Entry::Done(f, DoneCb::Object(id)) => match self.callback_objs.get(*id) {
                CallbackObj::Internal(cb) => HandleKind::Internal {
                    name: cb.name(),
                    future: *f,
                },
                CallbackObj::User(_) => HandleKind::UserDone { future: *f },
            },
            Entry::Timer(id) => HandleKind::Timer {
                timer: *id,
                when: self.timers[*id as usize].when,
                cancelled: self.timers[*id as usize].cancelled,
            },
            Entry::Soon(id) => HandleKind::Soon {
                handle: *id,
                cancelled: self.soons[*id as usize].cancelled,
            },
        }
    }
}

impl EventLoop {
    /// One loop iteration (`_run_once`); returns whether the loop is stopping afterwards.
    fn run_once(&self) -> Result<bool, RunError> {
        let (batch, reordered) = with_slot(|c| {
            let batch = c.prepare_iteration()?;
            let reordered = c.level > Level::Fifo && batch > 1;
            if reordered {
                c.begin_batch(batch);
            }
            Ok::<_, RunError>((batch, reordered))
        })?;
        // Only a reordered batch can have picks made ahead to settle if a handle panics.
        let _settle = reordered.then_some(SettleOnPanic);
        // Bodies are polled with a waker that does nothing: the loop wakes tasks itself.
        let mut cx = Context::from_waker(Waker::noop());
        let mut left = batch;
        while left > 0 {
            match with_slot(Core::next_action) {
                Action::Reports => {
                    self.deliver_reports();
                    continue;
                }
                Action::Nothing => {}
                Action::Poll(t, mut body) => {
                    body.as_mut().poll_erased(&mut cx);
                    if let Some(finished) = with_slot(|c| c.end_step(t, body)) {
                        discard(finished);
                    }
                }
                Action::Discard(body) => discard(body),
                Action::User(f) => f(),
                Action::UserDone(cb, fut) => cb(fut),
            }
            left -= 1;
        }
        let (stopping, reports) = with_slot(|c| (c.stopping, c.reports_waiting()));
        if reports {
            self.deliver_reports();
        }
        Ok(stopping)
    }
}

/// Empties the body of a finished task with the core released (its future's destructors may
/// call back into the loop) and gives it back to the body pool.
fn discard(mut body: Body) {
    body.as_mut().empty();
    with_slot(|c| c.bodies.give(body));
}

impl Core {
    /// What to do next in the iteration's batch: take the next entry and run its
    /// bookkeeping, unless the loop has something to do around it first.
    #[inline(always)]
    fn next_action(&mut self) -> Action {
        let queued = if self.attention {
            std::hint::cold_path();
            match self.next_entry_attended() {
                Some(queued) => queued,
                None => return Action::Reports,
            }
        } else {
            self.next_entry()
        };
        self.dispatch(queued)
    }

    /// The next entry when the loop needs attention: `None` if waiting reports go to the
    /// handler first; otherwise the entry, taken after any injected cancellation, with the
    /// observer told which handle it is.
    #[inline(never)]
    fn next_entry_attended(&mut self) -> Option<Queued> {
        if self.reports_waiting() {
            return None;
        }
        if self.injecting {
            self.maybe_inject();
        }
        let queued = self.next_entry();
        if self.observer.is_some() {
            let kind = self.handle_kind(&queued.entry());
            if let Some(obs) = self.observer.as_mut() {
                obs.handle_run(kind);
            }
        }
        Some(queued)
    }

    /// The next entry of the iteration's batch, in the scheduler's order.
    #[inline(always)]
    fn next_entry(&mut self) -> Queued {
        if self.batch.is_active() {
            self.next_batch_entry()
        } else {
            self.ready.pop_front().expect("the batch is queued")
        }
    }
}

/// `loop.call_soon(f)` on the loop of this thread (LOOP-1).
pub fn call_soon(f: impl FnOnce() + 'static) -> Handle {
    with_core(|c| {
        let cb = c.handle_cb(HandleObj::User(Box::new(f)));
        Handle {
            id: c.call_soon_cb(cb),
            loop_id: c.loop_id,
        }
    })
}

/// `loop.call_later(delay, f)`: `call_at(time() + delay, f)` (LOOP-4).
pub fn call_later(delay: u64, f: impl FnOnce() + 'static) -> TimerHandle {
    let now = time();
    call_at(now.saturating_add(delay), f)
}

/// `loop.call_at(when, f)` (LOOP-4): never runs before `when`; a deadline at or before now
/// runs in the next iteration.
pub fn call_at(when: u64, f: impl FnOnce() + 'static) -> TimerHandle {
    with_core(|c| {
        let cb = c.handle_cb(HandleObj::User(Box::new(f)));
        TimerHandle {
            id: c.call_at_cb(when, cb),
            loop_id: c.loop_id,
        }
    })
}

/// `loop.time()` of the loop of this thread.
pub fn time() -> u64 {
    with_core(|c| c.now)
}
