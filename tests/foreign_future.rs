//! A task body that awaits something the loop cannot resume (a non-aiosim future, or two
//! aiosim awaitables in one poll) fails with `RuntimeError` instead of hanging: CPython's
//! "Task got bad yield" (semantics 2.6, `Yielded(other)`).

mod common;

use std::future::Future as StdFuture;
use std::pin::Pin;
use std::task::{Context, Poll};

use aiosim::{EventLoop, ExcType, Exception, Future, RunError, Task, create_task, sleep};
use common::ErrorReports;

#[test]
fn foreign_pending_future_fails_the_task_with_runtime_error() {
    let l = EventLoop::new();
    let reports = ErrorReports::install(&l);
    let bad: Task<i32> = create_task(async {
        std::future::pending::<()>().await;
        Ok(1)
    });
    let out = l.run_until_complete(async move {
        let e = bad.await.unwrap_err();
        sleep(1).await?;
        Ok(e)
    });
    let e = out.unwrap();
    assert_eq!(e.ty(), &ExcType::Runtime);
    assert!(e.message().contains("not an aiosim awaitable"), "{e:?}");
    assert!(bad.done() && !bad.cancelled());
    let reports = reports.all();
    assert_eq!(reports.len(), 1);
    assert_eq!(
        reports[0].exception.as_ref().unwrap().ty(),
        &ExcType::Runtime
    );
    assert_eq!(reports[0].task.as_deref(), Some("Task-1"));
}

#[test]
fn foreign_pending_in_the_main_task_ends_the_run_instead_of_hanging() {
    let l = EventLoop::new();
    let out: Result<(), RunError> = l.run_until_complete(async {
        sleep(1).await?;
        std::future::pending::<()>().await;
        Ok(())
    });
    match out {
        Err(RunError::Raised(e)) => assert_eq!(e.ty(), &ExcType::Runtime),
        other => panic!("expected RuntimeError, got {other:?}"),
    }
}

#[test]
fn foreign_future_that_is_ready_at_once_is_fine() {
    let l = EventLoop::new();
    let out = l.run_until_complete(async {
        let v = std::future::ready(4).await;
        sleep(1).await?;
        Ok(v)
    });
    assert_eq!(out.unwrap(), 4);
}

/// Polls two futures in one poll, like a foreign `join!`.
struct Join2<A: StdFuture, B: StdFuture> {
    a: Pin<Box<A>>,
    b: Pin<Box<B>>,
    ra: Option<A::Output>,
    rb: Option<B::Output>,
}

impl<A: StdFuture, B: StdFuture> StdFuture for Join2<A, B>
where
    A::Output: Unpin,
    B::Output: Unpin,
{
    type Output = (A::Output, B::Output);
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if this.ra.is_none()
            && let Poll::Ready(v) = this.a.as_mut().poll(cx)
        {
            this.ra = Some(v);
        }
        if this.rb.is_none()
            && let Poll::Ready(v) = this.b.as_mut().poll(cx)
        {
            this.rb = Some(v);
        }
        if this.ra.is_some() && this.rb.is_some() {
            Poll::Ready((this.ra.take().unwrap(), this.rb.take().unwrap()))
        } else {
            Poll::Pending
        }
    }
}

#[test]
fn two_aiosim_awaitables_in_one_poll_fail_with_runtime_error() {
    let l = EventLoop::new();
    let reports = ErrorReports::install(&l);
    let f: Future<i32> = Future::new();
    let g: Future<i32> = Future::new();
    let t: Task<i32> = create_task(async move {
        let (a, b) = Join2 {
            a: Box::pin(f.into_future_typed()),
            b: Box::pin(g.into_future_typed()),
            ra: None,
            rb: None,
        }
        .await;
        Ok(a? + b?)
    });
    let e = match l.run_until_done(t) {
        Err(RunError::Raised(e)) => e,
        other => panic!("expected RuntimeError, got {other:?}"),
    };
    assert_eq!(e.ty(), &ExcType::Runtime);
    assert!(e.message().contains("two aiosim awaitables"), "{e:?}");
    assert_eq!(reports.all().len(), 1);
}

trait IntoFutureTyped<T> {
    fn into_future_typed(self) -> Pin<Box<dyn StdFuture<Output = Result<T, Exception>>>>;
}

impl<T: Clone + 'static> IntoFutureTyped<T> for Future<T> {
    fn into_future_typed(self) -> Pin<Box<dyn StdFuture<Output = Result<T, Exception>>>> {
        Box::pin(async move { self.await })
    }
}

/// CPython queues a bad yield's `RuntimeError` for the task's next step: the task ends one
/// iteration after the step that awaited the foreign future, and a cancel requested in
/// between wins, as it would be thrown in instead.
#[test]
fn the_task_ends_at_its_next_step_and_a_cancel_in_between_wins() {
    let l = EventLoop::new();
    let stuck = || {
        create_task(async {
            std::future::pending::<()>().await;
            Ok(1)
        })
    };
    let out = l.run_until_complete(async move {
        let (failing, cancelled): (Task<i32>, Task<i32>) = (stuck(), stuck());
        // The tasks' first steps run before this task's next one: look right after them.
        sleep(0).await?;
        let seen = (failing.done(), cancelled.done());
        cancelled.cancel_with("stop");
        sleep(0).await?;
        Ok((seen, failing, cancelled))
    });
    let (seen, failing, cancelled) = out.unwrap();
    assert_eq!(seen, (false, false));
    assert_eq!(failing.result().unwrap_err().ty(), &ExcType::Runtime);
    assert!(cancelled.cancelled());
    let e = cancelled.result().unwrap_err();
    assert_eq!(e.message(), "stop");
}
