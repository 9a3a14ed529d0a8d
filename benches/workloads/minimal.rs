//! The "minimal" peer of `shared/research/WORKLOADS.md` and `anchors.md`: a hand-written
//! single-threaded executor with nothing but what W1 and W2 need, as the practical limit of a
//! seeded, virtual-time async runtime.
//!
//! - Tasks are boxed futures (`Pin<Box<dyn Future<Output = ()>>>`) in a slab indexed by task id,
//!   each with its own [`Waker`] (an `Arc` holding the id, made once at spawn).
//! - A `VecDeque` of ready task ids; a task is queued at most once (`queued` flag).
//! - Each step a seeded [`ChaCha8Rng`] picks uniformly among the ready tasks (a draw only when
//!   there are at least two: such a pick is a *decision*), and the picked task is polled once
//!   (a *step*).
//! - Virtual time is a `u64` clock with a `BinaryHeap` of timers `(deadline, timer id, task)`.
//!   When no task is ready the clock jumps to the earliest live deadline and every timer due at
//!   that instant wakes its task, so tasks whose timers tie become ready together.
//! - [`sleep`] registers a timer on its first poll and returns `Ok(())` once the clock has
//!   reached its deadline. Wakers and timers both wake a task by pushing its id to the ready
//!   queue.
//! - Cancellation is asyncio-style and native: [`JoinHandle::cancel`] marks the task and wakes
//!   it; its pending `sleep` then returns `Err(Cancelled)`, which the task may handle. The timer
//!   of the abandoned sleep stays in the heap and is skipped when popped (a task remembers the
//!   id of its one live timer).
//!
//! A fresh executor is installed in a thread-local for every execution ([`block_on`]) and
//! dropped after it; nothing is reused across executions.

use std::cell::{Cell, RefCell};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

type BoxedTask = Pin<Box<dyn Future<Output = ()>>>;

/// A task's timer id when it has no live timer.
const NO_TIMER: u64 = u64::MAX;

/// The error a cancelled task's pending [`sleep`] returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cancelled;

/// What an execution did, for the report.
#[derive(Clone, Copy, Debug, Default)]
pub struct Stats {
    /// Polls of a task's top-level future.
    pub steps: u64,
    /// Picks among at least two ready tasks (one RNG draw each).
    pub decisions: u64,
}

/// Per-task bookkeeping (the future itself is in [`State::tasks`]).
struct Meta {
    /// In the ready queue.
    queued: bool,
    /// Finished; wakes are ignored.
    done: bool,
    /// Cancellation requested and not yet delivered.
    cancel: bool,
    /// The task's live timer, or [`NO_TIMER`]; popped timers with another id are stale.
    timer: u64,
}

struct State {
    now: u64,
    ready: VecDeque<usize>,
    /// `(deadline, timer id, task)`, earliest first.
    timers: BinaryHeap<Reverse<(u64, u64, usize)>>,
    next_timer: u64,
    meta: Vec<Meta>,
    /// Each task's future and waker; `None` while it is being polled or once it finished.
    tasks: Vec<Option<(BoxedTask, Waker)>>,
    rng: ChaCha8Rng,
    /// The task being polled.
    current: usize,
    stats: Stats,
}

impl State {
    fn new(seed: u64) -> State {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        // Not the stream W1's durations are drawn from (the same seed, stream 0).
        rng.set_stream(1);
        State {
            now: 0,
            ready: VecDeque::new(),
            timers: BinaryHeap::new(),
            next_timer: 0,
            meta: Vec::new(),
            tasks: Vec::new(),
            rng,
            current: 0,
            stats: Stats::default(),
        }
    }

    fn wake(&mut self, task: usize) {
        let m = &mut self.meta[task];
        if !m.queued && !m.done {
            m.queued = true;
            self.ready.push_back(task);
        }
    }

    /// Moves the clock to the earliest live timer and wakes every task whose timer is due
    /// then; stale timers are dropped on the way.
    fn advance(&mut self) {
        while let Some(&Reverse((deadline, timer, task))) = self.timers.peek() {
            if deadline > self.now && !self.ready.is_empty() {
                break;
            }
            self.timers.pop();
            if self.meta[task].timer != timer {
                continue;
            }
            self.now = deadline;
            self.meta[task].timer = NO_TIMER;
            self.wake(task);
        }
    }

    /// Picks the next task to poll and takes its future out of the slab.
    fn next(&mut self) -> Option<(usize, BoxedTask, Waker)> {
        if self.ready.is_empty() {
            self.advance();
        }
        let n = self.ready.len();
        let i = match n {
            0 => return None,
            1 => 0,
            _ => {
                self.stats.decisions += 1;
                self.rng.random_range(0..n)
            }
        };
        let task = self
            .ready
            .swap_remove_back(i)
            .expect("index below the length");
        self.meta[task].queued = false;
        self.current = task;
        self.stats.steps += 1;
        let (future, waker) = self.tasks[task].take().expect("a queued task is not done");
        Some((task, future, waker))
    }
}

thread_local! {
    static STATE: RefCell<State> = RefCell::new(State::new(0));
}

fn with<R>(f: impl FnOnce(&mut State) -> R) -> R {
    STATE.with(|s| f(&mut s.borrow_mut()))
}

/// A task's waker: pushes the task id to the ready queue of this thread's executor.
struct TaskWaker(usize);

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        with(|s| s.wake(self.0));
    }
}

/// Where a task leaves its result for its [`JoinHandle`].
struct JoinSlot<T> {
    value: Cell<Option<T>>,
    waiter: Cell<Option<Waker>>,
}

/// A spawned task: await it for its result, or cancel it.
pub struct JoinHandle<T> {
    task: usize,
    slot: Rc<JoinSlot<T>>,
}

impl<T> JoinHandle<T> {
    /// asyncio's `Task.cancel()`: marks the task and wakes it; its pending [`sleep`] returns
    /// `Err(Cancelled)`. No effect on a finished task.
    pub fn cancel(&self) {
        with(|s| {
            if !s.meta[self.task].done {
                s.meta[self.task].cancel = true;
                s.wake(self.task);
            }
        });
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        match self.slot.value.take() {
            Some(v) => Poll::Ready(v),
            None => {
                self.slot.waiter.set(Some(cx.waker().clone()));
                Poll::Pending
            }
        }
    }
}

/// Spawns `future` as a task, ready at once.
pub fn spawn<T: 'static>(future: impl Future<Output = T> + 'static) -> JoinHandle<T> {
    let slot = Rc::new(JoinSlot {
        value: Cell::new(None),
        waiter: Cell::new(None),
    });
    let out = slot.clone();
    let body: BoxedTask = Box::pin(async move {
        let v = future.await;
        out.value.set(Some(v));
        if let Some(w) = out.waiter.take() {
            w.wake();
        }
    });
    let task = with(|s| {
        let task = s.tasks.len();
        let waker = Waker::from(Arc::new(TaskWaker(task)));
        s.tasks.push(Some((body, waker)));
        s.meta.push(Meta {
            queued: false,
            done: false,
            cancel: false,
            timer: NO_TIMER,
        });
        s.wake(task);
        task
    });
    JoinHandle { task, slot }
}

/// The virtual time.
pub fn now() -> u64 {
    with(|s| s.now)
}

/// Sleeps `ticks` of virtual time; `Err(Cancelled)` if the task is cancelled meanwhile.
pub fn sleep(ticks: u64) -> Sleep {
    Sleep {
        ticks,
        deadline: None,
    }
}

/// The future of [`sleep`].
pub struct Sleep {
    ticks: u64,
    /// Set when the timer is registered (first poll).
    deadline: Option<u64>,
}

impl Future for Sleep {
    type Output = Result<(), Cancelled>;

    fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Self::Output> {
        with(|s| {
            let task = s.current;
            if s.meta[task].cancel {
                s.meta[task].cancel = false;
                s.meta[task].timer = NO_TIMER;
                return Poll::Ready(Err(Cancelled));
            }
            match self.deadline {
                Some(deadline) if s.now >= deadline => Poll::Ready(Ok(())),
                Some(_) => Poll::Pending,
                None if self.ticks == 0 => Poll::Ready(Ok(())),
                None => {
                    let deadline = s.now + self.ticks;
                    let timer = s.next_timer;
                    s.next_timer += 1;
                    s.timers.push(Reverse((deadline, timer, task)));
                    s.meta[task].timer = timer;
                    self.deadline = Some(deadline);
                    Poll::Pending
                }
            }
        })
    }
}

/// Runs `main` as the first task on a fresh executor seeded with `seed` until no task is
/// ready and no live timer is left; returns `main`'s result. (The executor is dropped when the
/// next execution of the thread installs its own.)
pub fn block_on<T: 'static>(seed: u64, main: impl Future<Output = T> + 'static) -> (T, Stats) {
    let old = STATE.with(|s| s.replace(State::new(seed)));
    drop(old);
    let handle = spawn(main);
    while let Some((task, mut future, waker)) = with(State::next) {
        let mut cx = Context::from_waker(&waker);
        match future.as_mut().poll(&mut cx) {
            Poll::Pending => with(|s| s.tasks[task] = Some((future, waker))),
            Poll::Ready(()) => {
                with(|s| s.meta[task].done = true);
                // Dropped outside the borrow: a future's drop may use the executor.
                drop(future);
            }
        }
    }
    let stats = with(|s| s.stats);
    let value = handle.slot.value.take().expect("main finished");
    (value, stats)
}
