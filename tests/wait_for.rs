//! WAITFOR-*: `asyncio.wait_for`, 3.12 form (asyncio-semantics 1.7, 2.8). Expected values
//! were checked on CPython 3.12.1.

mod common;

use std::cell::Cell;
use std::rc::Rc;

use aiosim::{
    ExcType, Exception, Future, RunError, Task, call_at, call_soon, create_task, current_task,
    sleep, sleep_with, time, wait_for, wait_for_body,
};
use common::{exc, failing, run_loop, sleeper};

/// An inner task that, when cancelled, cleans up for `cleanup` ticks and then re-raises.
fn slow_to_cancel(cleanup: u64) -> Task<i32> {
    create_task(async move {
        match sleep(100).await {
            Err(e) if e.is_cancelled() => {
                sleep(cleanup).await?;
                Err(e)
            }
            _ => Ok(1),
        }
    })
}

#[test]
fn waitfor_1_result_and_exception_pass_through() {
    let boom = exc("Boom");
    let b = boom.clone();
    let (out, _r, _l) = run_loop(async move {
        let ok = sleeper(1, 5);
        let v = wait_for(&ok, Some(10)).await?;
        let bad = failing(1, b);
        let e = wait_for(&bad, Some(10)).await.unwrap_err();
        let body = wait_for_body(async { sleep_with(2, 6).await }, Some(10)).await?;
        Ok((v, e, body))
    });
    let (v, e, body) = out.unwrap();
    assert_eq!(v, 5);
    assert!(e.is_same(&boom));
    assert_eq!(body, 6);
}

#[test]
fn waitfor_2_timeout_cancels_and_waits_for_the_inner_to_finish() {
    let (out, _r, _l) = run_loop(async {
        let inner = slow_to_cancel(3);
        let start = time();
        let e = wait_for(&inner, Some(2)).await.unwrap_err();
        Ok((
            e,
            time() - start,
            current_task().unwrap().cancelling(),
            inner.cancelled(),
        ))
    });
    let (e, elapsed, cancelling, inner_cancelled) = out.unwrap();
    assert_eq!(e.ty(), &ExcType::Timeout);
    // Chained from the CancelledError.
    assert!(e.cause().unwrap().is_cancelled());
    // It waited for the 3-tick cleanup after the 2-tick timeout.
    assert_eq!(elapsed, 5);
    assert_eq!(cancelling, 0);
    assert!(inner_cancelled);
}

#[test]
fn waitfor_2_timeout_of_an_inline_body_with_cleanup() {
    let (out, _r, _l) = run_loop(async {
        let e = wait_for_body(
            async {
                match sleep(100).await {
                    Err(e) if e.is_cancelled() => {
                        sleep(3).await?;
                        Err(e)
                    }
                    _ => Ok(1),
                }
            },
            Some(2),
        )
        .await
        .unwrap_err();
        Ok((e, time(), current_task().unwrap().cancelling()))
    });
    let (e, t, c) = out.unwrap();
    assert_eq!(e.ty(), &ExcType::Timeout);
    assert!(e.cause().unwrap().is_cancelled());
    assert_eq!((t, c), (5, 0));
}

#[test]
fn waitfor_3_inner_that_swallows_returns_its_value_or_raises_its_own_error() {
    let other = exc("Other");
    let o = other.clone();
    let (out, _r, _l) = run_loop(async move {
        let swallow = create_task(async {
            match sleep(100).await {
                Err(e) if e.is_cancelled() => Ok(7),
                _ => Ok(0),
            }
        });
        let v = wait_for(&swallow, Some(2)).await;
        let raising: Task<i32> = create_task(async move {
            match sleep(100).await {
                Err(e) if e.is_cancelled() => Err(o),
                _ => Ok(0),
            }
        });
        let e = wait_for(&raising, Some(2)).await;
        Ok((v, e))
    });
    let (v, e) = out.unwrap();
    assert_eq!(v.unwrap(), 7, "no TimeoutError");
    assert!(e.unwrap_err().is_same(&other));
}

#[test]
fn waitfor_4_cancelling_the_caller_cancels_and_waits_for_the_inner() {
    let (out, _r, _l) = run_loop(async {
        let inner = slow_to_cancel(3);
        let caller = create_task(async move { wait_for(&inner, Some(50)).await });
        sleep(1).await?;
        assert!(caller.cancel());
        let e = caller.await.unwrap_err();
        Ok((
            e.is_cancelled(),
            time(),
            inner.cancelled(),
            caller.cancelled(),
            caller.cancelling(),
        ))
    });
    // The inner's cleanup (3 ticks) finished before the caller ended.
    assert_eq!(out.unwrap(), (true, 4, true, true, 1));
    drop(_l);

    // If the inner swallows it, TASK-12: the caller returns the value.
    let (out, _r, _l) = run_loop(async {
        let inner = create_task(async {
            match sleep(100).await {
                Err(e) if e.is_cancelled() => Ok(9),
                _ => Ok(0),
            }
        });
        let caller = create_task(async move { wait_for(&inner, Some(50)).await });
        sleep(1).await?;
        caller.cancel();
        Ok((caller.await?, caller.cancelled(), caller.cancelling()))
    });
    assert_eq!(out.unwrap(), (9, false, 1));
}

#[test]
fn waitfor_5_no_timeout_is_a_plain_await_without_timer() {
    let (out, rec, _l) = run_loop(async {
        let f: Future<i32> = Future::new();
        call_soon(move || f.set_result(4).unwrap());
        let v = wait_for(&f, None).await?;
        let w = wait_for_body(async { Ok(5) }, None).await?;
        Ok((v, w))
    });
    assert_eq!(out.unwrap(), (4, 5));
    assert!(
        rec.first_iteration(|h| matches!(h, aiosim::HandleKind::Timer { .. }))
            .is_none()
    );
    drop(_l);
    // With nothing to complete it, the loop deadlocks at t=0: no timer was armed.
    let (out, _rec, _l) = run_loop(async {
        let f: Future<i32> = Future::new();
        wait_for(&f, None).await
    });
    match out {
        Err(RunError::Deadlock(s)) => assert_eq!(s.now, 0),
        other => panic!("expected a deadlock, got {other:?}"),
    }
}

#[test]
fn waitfor_6_zero_timeout_never_starts_a_coroutine_and_takes_three_iterations() {
    let ran = Rc::new(Cell::new(false));
    let r = ran.clone();
    let (out, rec, _l) = run_loop(async move {
        let e = wait_for_body(
            async move {
                r.set(true);
                Ok(3)
            },
            Some(0),
        )
        .await
        .unwrap_err();
        Ok(e)
    });
    let e = out.unwrap();
    assert_eq!(e.ty(), &ExcType::Timeout);
    assert!(e.cause().unwrap().is_cancelled());
    assert!(!ran.get(), "the coroutine never starts");
    // It was wrapped in a task (task 1), which ended cancelled without running its body.
    assert_eq!(rec.0.borrow().skipped, vec![1]);
    let runs = rec.runs_of(0);
    assert_eq!(runs[1] - runs[0], 3);
}

#[test]
fn waitfor_6_zero_timeout_with_done_or_swallowing_inputs() {
    let (out, rec, _l) = run_loop(async {
        let d: Future<i32> = Future::new();
        d.set_result(9).unwrap();
        let v = wait_for(&d, Some(0)).await?;
        let failed: Future<i32> = Future::new();
        failed.set_exception(exc("Failed")).unwrap();
        let e = wait_for(&failed, Some(0)).await.unwrap_err();
        Ok((v, e.type_name().to_string()))
    });
    assert_eq!(out.unwrap(), (9, "Failed".to_string()));
    assert_eq!(
        rec.steps_of(0),
        1,
        "already done: returned without suspending"
    );
    drop(_l);

    let (out, rec, _l) = run_loop(async {
        let st = create_task(async {
            match sleep(100).await {
                Err(e) if e.is_cancelled() => Ok("sw"),
                _ => Ok("slept"),
            }
        });
        sleep(0).await?;
        let pending: Future<i32> = Future::new();
        let e = wait_for(&pending, Some(0)).await.unwrap_err();
        assert!(pending.cancelled());
        assert_eq!(e.ty(), &ExcType::Timeout);
        wait_for(&st, Some(0)).await
    });
    assert_eq!(out.unwrap(), "sw");
    let runs = rec.runs_of(0);
    // The swallowing task: cancelled at the step before last, 3 iterations.
    assert_eq!(runs[runs.len() - 1] - runs[runs.len() - 2], 3);
}

#[test]
fn waitfor_7_positive_timeout_runs_a_body_inline_in_the_caller() {
    let (out, rec, _l) = run_loop(async {
        let me = current_task().unwrap();
        let inside = wait_for_body(
            async {
                sleep(1).await?;
                Ok(current_task().unwrap())
            },
            Some(5),
        )
        .await?;
        Ok((me, inside))
    });
    let (me, inside) = out.unwrap();
    assert_eq!(me, inside);
    assert_eq!(rec.0.borrow().tasks.len(), 1, "no task was created");
}

/// WAITFOR-8: the timer that sets the inner's result was pushed first, so it runs first in
/// the deadline's iteration, but the timeout handler runs before the caller resumes: the
/// timeout wins and the result is discarded.
#[test]
fn waitfor_8_race_is_decided_by_handle_order() {
    let (out, _r, _l) = run_loop(async {
        let f: Future<&str> = Future::new();
        call_at(5, move || f.set_result("v").unwrap());
        let r = wait_for(&f, Some(5)).await;
        Ok((r, f.result()))
    });
    let (r, stored) = out.unwrap();
    let e = r.unwrap_err();
    assert_eq!(e.ty(), &ExcType::Timeout);
    assert!(e.cause().unwrap().is_cancelled());
    assert_eq!(stored.unwrap(), "v");
    drop(_l);

    // Reverse handle order: the timeout runs first and cancels the future, so the setter
    // finds it done.
    let (out, _r, _l) = run_loop(async {
        let f: Future<&str> = Future::new();
        let w = create_task(async move { wait_for(&f, Some(5)).await });
        sleep(0).await?; // w has armed its timeout
        let refused = Rc::new(Cell::new(false));
        let rf = refused.clone();
        call_at(5, move || rf.set(f.set_result("late").is_err()));
        let r = w.await;
        sleep(1).await?;
        Ok((r, f.cancelled(), refused.get()))
    });
    let (r, cancelled, refused) = out.unwrap();
    assert_eq!(r.unwrap_err().ty(), &ExcType::Timeout);
    assert!(cancelled && refused);
    drop(_l);

    // The result set an iteration earlier wins.
    let (out, _r, _l) = run_loop(async {
        let f: Future<&str> = Future::new();
        call_at(4, move || f.set_result("early").unwrap());
        wait_for(&f, Some(5)).await
    });
    assert_eq!(out.unwrap(), "early");
}

#[test]
fn waitfor_9_a_plain_future_is_cancelled_on_timeout() {
    let (out, _r, _l) = run_loop(async {
        let f: Future<i32> = Future::new();
        let e = wait_for(&f, Some(3)).await.unwrap_err();
        Ok((e.ty().clone(), f.cancelled(), time()))
    });
    assert_eq!(out.unwrap(), (ExcType::Timeout, true, 3));
}

#[test]
fn waitfor_10_latency_zero_for_a_body_one_for_a_task_or_future() {
    let (out, rec, _l) = run_loop(async {
        let v = wait_for_body(async { Ok(1) }, Some(5)).await?;
        Ok(v)
    });
    assert_eq!(out.unwrap(), 1);
    assert_eq!(rec.steps_of(0), 1, "a body adds no iteration");
    drop(_l);

    let (out, rec, _l) = run_loop(async {
        let f: Future<i32> = Future::new();
        call_soon(move || f.set_result(2).unwrap());
        let v = wait_for(&f, Some(5)).await?;
        let t = create_task(async { Ok(3) });
        let w = wait_for(&t, Some(5)).await?;
        Ok(v + w)
    });
    assert_eq!(out.unwrap(), 5);
    // main: 1 | set_result at 2, main resumes at 3 | task step at 4, main resumes at 5.
    assert_eq!(rec.runs_of(0), vec![1, 3, 5]);
    assert_eq!(rec.done_iteration(rec.fut_of(1)), Some(4));
    let _ = Exception::runtime("unused");
}

/// WAITFOR-4 on the zero-timeout path (CPython 3.12.1): the caller, cancelled while it
/// waits for the inner task's cleanup, raises `CancelledError` at once; the inner goes on.
#[test]
fn waitfor_4_caller_cancelled_during_a_zero_timeout_wait() {
    let (out, _r, _l) = run_loop(async {
        let t = create_task(async {
            match sleep(100).await {
                Err(_) => {
                    sleep(3).await?;
                    Ok("cleaned")
                }
                Ok(()) => Ok("slept"),
            }
        });
        sleep(0).await?;
        let c = create_task(async move { wait_for(&t, Some(0)).await });
        sleep(1).await?;
        c.cancel();
        let r = c.await;
        let at = (time(), t.done(), c.cancelling());
        Ok((r.unwrap_err().is_cancelled(), at, t.await?))
    });
    assert_eq!(out.unwrap(), (true, (1, false, 1), "cleaned"));
}
