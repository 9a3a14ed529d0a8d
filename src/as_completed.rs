//! `asyncio.as_completed` (ASC-1..ASC-5), 3.12 form: a plain iterator of awaitables.
//!
//! Completed inputs go through a queue: `_on_completion` puts the input, which wakes the
//! getter, which wakes the awaiting task (two hops, ASC-4); inputs already queued come back
//! without suspending. The optional timeout puts one `None` per outstanding input, so every
//! remaining await raises `TimeoutError` (ASC-3). Callbacks are registered in order of first
//! occurrence in the input (the order graph-format 4.9 pins for CPython's set iteration).

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::marker::PhantomData;
use std::rc::Rc;

use crate::await_point::AwaitOutcome;
use crate::core::{Core, FutId, FutKind, HandleObj, Internal, TimerId, with_core};
use crate::exception::{ExcType, Exception};
use crate::future::{Awaitable, FutureRef};
use crate::schedule::SetSite;

/// The `asyncio.Queue` of completed inputs and the bookkeeping of one `as_completed`.
struct Shared {
    /// Completed inputs, or `None` for a timeout sentinel.
    queue: RefCell<VecDeque<Option<FutId>>>,
    /// Futures of `get()` calls waiting for an item, oldest first.
    getters: RefCell<VecDeque<FutId>>,
    /// Inputs not completed yet.
    todo: RefCell<Vec<FutId>>,
    timer: Cell<Option<TimerId>>,
}

impl Shared {
    /// `Queue.put_nowait` followed by `_wakeup_next(getters)`.
    fn put(&self, core: &mut Core, item: Option<FutId>) {
        self.queue.borrow_mut().push_back(item);
        self.wake_next_getter(core);
    }

    fn wake_next_getter(&self, core: &mut Core) {
        loop {
            let next = self.getters.borrow_mut().pop_front();
            match next {
                Some(g) if !core.is_done(g) => {
                    let _ = core.set_unit_result(g);
                    return;
                }
                Some(_) => continue,
                None => return,
            }
        }
    }
}

/// `_on_completion` (a done-callback) and `_on_timeout` (the timer) share this object. Only the
/// registrations hold it, so it goes (and lets go of the shared state) with the last of them.
struct Callbacks(Rc<Shared>);

impl Internal for Callbacks {
    fn run(self: Rc<Self>, core: &mut Core, fut: FutId) {
        let s = &self.0;
        if fut == FutId::MAX {
            // `_on_timeout`: unregister from every outstanding input, one sentinel each.
            let todo = std::mem::take(&mut *s.todo.borrow_mut());
            let me: Rc<dyn Internal> = self.clone();
            for f in todo {
                core.remove_internal(f, &me);
                s.put(core, None);
            }
            return;
        }
        if s.todo.borrow().is_empty() {
            return; // the timeout came first
        }
        s.todo.borrow_mut().retain(|&f| f != fut);
        s.put(core, Some(fut));
        if s.todo.borrow().is_empty()
            && let Some(t) = s.timer.get()
        {
            core.cancel_timer(t);
        }
    }

    fn name(&self) -> &'static str {
        "_on_completion"
    }
}

/// The iterator returned by [`as_completed`]: yields one awaitable per distinct input
/// (ASC-1); the i-th one resolves to the outcome of the i-th input to complete.
pub struct AsCompleted<T> {
    shared: Rc<Shared>,
    /// The distinct inputs and the timeout, registered at the first `next()`: CPython 3.12's
    /// `as_completed` is a generator, so nothing happens before it is first advanced.
    unstarted: Option<(Vec<FutId>, Option<u64>)>,
    remaining: usize,
    loop_id: u32,
    _t: PhantomData<fn() -> T>,
}

impl<T: Clone + 'static> Iterator for AsCompleted<T> {
    type Item = std::pin::Pin<Box<dyn std::future::Future<Output = Result<T, Exception>>>>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some((todo, timeout)) = self.unstarted.take() {
            register(&self.shared, &todo, timeout);
        }
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        let shared = self.shared.clone();
        let loop_id = self.loop_id;
        Some(Box::pin(async move {
            match get(&shared, loop_id).await? {
                None => Err(Exception::new(ExcType::Timeout, None)),
                Some(f) => with_core(|c| c.result_of::<T>(f)),
            }
        }))
    }
}

/// `Queue.get()`: waits on a fresh getter future while the queue is empty.
async fn get(shared: &Rc<Shared>, loop_id: u32) -> Result<Option<FutId>, Exception> {
    loop {
        if let Some(item) = shared.queue.borrow_mut().pop_front() {
            return Ok(item);
        }
        let getter = with_core(|core| {
            let g = core.new_future(FutKind::Plain);
            shared.getters.borrow_mut().push_back(g);
            g
        });
        if let Err(exc) = AwaitOutcome::new(FutureRef {
            id: getter,
            loop_id,
        })
        .await
        {
            with_core(|core| {
                core.plain_cancel(getter, None);
                shared.getters.borrow_mut().retain(|&g| g != getter);
                let cancelled = core.fut(getter).state == crate::core::FutState::Cancelled;
                if !shared.queue.borrow().is_empty() && !cancelled {
                    shared.wake_next_getter(core);
                }
            });
            return Err(exc);
        }
    }
}

/// `asyncio.as_completed(fs, timeout=...)`. Like CPython 3.12's generator, it registers on
/// the inputs and arms the timeout (only for a non-empty input, ASC-5) at the first `next()`,
/// not here. An abandoned iterator keeps its callbacks and its timer (graph-format 4.3).
pub fn as_completed<T: Clone + 'static, A: Awaitable<T>>(
    fs: &[A],
    timeout: Option<u64>,
) -> AsCompleted<T> {
    let todo = crate::distinct::distinct_in_order(&crate::gather::ids(fs)).into_owned();
    let remaining = todo.len();
    let shared = Rc::new(Shared {
        queue: RefCell::new(VecDeque::new()),
        getters: RefCell::new(VecDeque::new()),
        todo: RefCell::new(todo.clone()),
        timer: Cell::new(None),
    });
    let loop_id = with_core(|core| core.loop_id);
    AsCompleted {
        shared,
        unstarted: Some((todo, timeout)),
        remaining,
        loop_id,
        _t: PhantomData,
    }
}

/// The start of CPython's generator: `_on_completion` on every distinct input, in order of
/// first occurrence, then the timeout timer.
fn register(shared: &Rc<Shared>, todo: &[FutId], timeout: Option<u64>) {
    let callbacks: Rc<dyn Internal> = Rc::new(Callbacks(shared.clone()));
    with_core(|core| {
        for f in core.set_order(SetSite::AsCompletedRegistration, todo) {
            core.add_internal_callback(f, callbacks.clone());
        }
        if !todo.is_empty()
            && let Some(t) = timeout
        {
            let when = core.now.saturating_add(t);
            let on_timeout = core.handle_cb(HandleObj::Internal(callbacks));
            shared.timer.set(Some(core.call_at_cb(when, on_timeout)));
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{EventLoop, create_task, sleep};

    /// The iterator's state is shared with its callbacks only while they are registered: once
    /// they have run and the loop's tables are reset, nothing but the iterator's own handles
    /// refers to it (no reference cycle keeps it alive).
    #[test]
    fn the_shared_state_outlives_its_callbacks_only_through_the_iterator() {
        let event_loop = EventLoop::new();
        let shared = event_loop
            .run_until_complete(async {
                let a = create_task(async { sleep(1).await });
                let b = create_task(async { sleep(2).await });
                let mut it = as_completed::<(), _>(&[a, b], Some(5));
                for next in it.by_ref() {
                    next.await?;
                }
                Ok(it.shared.clone())
            })
            .expect("the body runs");
        drop(event_loop);
        let _fresh = EventLoop::new();
        assert_eq!(Rc::strong_count(&shared), 1);
    }
}
