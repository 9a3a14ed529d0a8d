//! SHIELD-*: `asyncio.shield` (asyncio-semantics 1.8, 2.8).

mod common;

use aiosim::{EventLoop, Future, HandleKind, Task, create_task, shield, sleep, sleep_with};
use common::{ErrorReports, Rec, exc, failing, run_loop, run_one, sleeper};

/// Asserts that iteration `n` ran exactly the outer future's `_outer_done_callback`, then the
/// wakeup of task `awaiter`: the outer's bookkeeping comes before the awaiter resumes.
fn assert_bookkeeping_then_wakeup(rec: &Rec, n: u64, awaiter: u32) {
    assert!(matches!(
        rec.handles_in(n)[..],
        [
            HandleKind::Internal {
                name: "_outer_done_callback",
                ..
            },
            HandleKind::Wakeup { task, .. }
        ] if task == awaiter
    ));
}

#[test]
fn shield_1_result_and_exception_pass_through() {
    let boom = exc("Boom");
    let b = boom.clone();
    let (out, _r, _l) = run_loop(async move {
        let ok = sleeper(1, 5);
        let v = shield(&ok).await?;
        let bad = failing(1, b);
        let e = shield(&bad).await.unwrap_err();
        Ok((v, e))
    });
    let (v, e) = out.unwrap();
    assert_eq!(v, 5);
    assert!(e.is_same(&boom));
}

#[test]
fn shield_2_cancelling_the_awaiter_leaves_the_inner_running() {
    let l = EventLoop::new();
    let rec = common::Rec::install(&l);
    let reports = ErrorReports::install(&l);
    let out = l.run_until_complete(async move {
        let inner: Task<i32> = create_task(async {
            sleep(5).await?;
            Err(exc("DroppedError"))
        });
        let rec2 = rec.clone();
        let awaiter = create_task(async move {
            let r = shield(&inner).await;
            Ok((r.unwrap_err(), rec2.it()))
        });
        sleep(1).await?;
        let at = rec.it();
        assert!(awaiter.cancel());
        let (e, resumed) = awaiter.await?;
        assert!(e.is_cancelled());
        // The awaiter got CancelledError in the next iteration, the inner still runs.
        assert_eq!(resumed, at + 1);
        assert!(!inner.done());
        assert_eq!(inner.cancelling(), 0);
        sleep(10).await?;
        assert!(inner.done() && !inner.cancelled());
        Ok(())
    });
    out.unwrap();
    l.close();
    // `_outer_done_callback` unregistered the inner callback while the inner was pending,
    // so nobody reads the inner's exception: CPython 3.12.1 logs it too.
    assert_eq!(
        reports.messages(),
        vec!["Task exception was never retrieved"]
    );
}

/// SHIELD-2: when the inner completes while the outer is already cancelled (and the inner
/// callback still registered), its outcome is dropped and its exception marked retrieved.
/// CPython 3.12.1 reports nothing here, and reports the same unshielded future.
#[test]
fn shield_2_inner_outcome_dropped_after_outer_cancel_is_marked_retrieved() {
    for use_shield in [true, false] {
        let l = EventLoop::new();
        let reports = ErrorReports::install(&l);
        let inner: Future<i32> = Future::new();
        let outer = use_shield.then(|| shield(&inner));
        aiosim::call_soon(move || {
            inner.set_exception(exc("X")).unwrap();
            if let Some(o) = outer {
                assert!(o.cancel());
            }
        });
        l.run_until_complete(sleep(1)).unwrap();
        if let Some(o) = outer {
            assert!(o.cancelled());
        }
        l.close();
        let expected: Vec<String> = if use_shield {
            vec![]
        } else {
            vec!["Future exception was never retrieved".into()]
        };
        assert_eq!(reports.messages(), expected, "shield={use_shield}");
    }
}

#[test]
fn shield_2_cancelling_the_outer_future_directly() {
    let (out, _r, _l) = run_loop(async {
        let inner = create_task(sleep_with(5, 8));
        let outer = shield(&inner);
        sleep(1).await?;
        assert!(outer.cancel());
        assert!(outer.cancelled());
        assert!(outer.await.unwrap_err().is_cancelled());
        assert!(!inner.done());
        inner.await
    });
    assert_eq!(out.unwrap(), 8);
}

#[test]
fn shield_3_inner_cancelled_by_someone_else_cancels_the_outer() {
    let (out, _r, _l) = run_loop(async {
        let inner = create_task(sleep_with(5, 8));
        let outer = shield(&inner);
        sleep(1).await?;
        inner.cancel_with("elsewhere");
        let e = outer.await.unwrap_err();
        Ok((
            e.is_cancelled(),
            outer.cancelled(),
            outer.as_ref().cancel_message(),
        ))
    });
    let (is_cancelled, outer_cancelled, msg) = out.unwrap();
    assert!(is_cancelled && outer_cancelled);
    // The outer is cancelled without a message.
    assert_eq!(msg, None);
}

#[test]
fn shield_4_already_done_returns_the_object_itself() {
    let (out, rec, _l) = run_loop(async {
        let f: Future<i32> = Future::new();
        f.set_result(3).unwrap();
        let s = shield(&f);
        assert_eq!(s.as_ref(), f.as_ref());
        s.await
    });
    assert_eq!(out.unwrap(), 3);
    assert_eq!(rec.steps_of(0), 1, "awaiting it does not suspend");
}

/// SHIELD-5, nearest Rust equivalent: the caller makes the coroutine a task; `shield` then
/// returns a plain future, not that task.
#[test]
fn shield_5_returns_a_plain_future_not_a_task() {
    let (out, _r, _l) = run_loop(async {
        let inner = create_task(sleep_with(1, 2));
        let outer = shield(&inner);
        assert!(outer.as_ref().as_task().is_none());
        assert_ne!(outer.as_ref(), inner.as_future());
        assert!(inner.as_future().as_task().is_some());
        outer.await
    });
    assert_eq!(out.unwrap(), 2);
}

#[test]
fn shield_6_latency_is_two_iterations() {
    let (out, rec, _l) = run_loop(async {
        let inner = create_task(sleep_with(1, 1));
        shield(&inner).await
    });
    assert_eq!(out.unwrap(), 1);
    let k = rec.finished_in(1);
    assert_eq!(rec.first_internal("_inner_done_callback"), Some(k + 1));
    assert_eq!(*rec.runs_of(0).last().unwrap(), k + 2);
    // The outer's bookkeeping runs before the awaiter's wakeup, in the same iteration.
    assert_bookkeeping_then_wakeup(&rec, k + 2, 0);
}

#[test]
fn shield_6_outer_cancelled_bookkeeping_runs_before_the_awaiter() {
    let l = EventLoop::new();
    let rec = common::Rec::install(&l);
    let inner = create_task(sleep_with(10, 1));
    let awaiter = create_task(async move { Ok(shield(&inner).await.is_err()) });
    run_one(&l);
    run_one(&l);
    let at = rec.it();
    assert!(awaiter.cancel());
    assert!(l.run_until_done(awaiter).unwrap());
    assert_bookkeeping_then_wakeup(&rec, at + 1, 1);
}

/// SHIELD-2/SHIELD-3 in one iteration (CPython 3.12.1): the inner is cancelled by someone
/// else and the awaiter is cancelled right after; the awaiter's own message wins.
#[test]
fn shield_2_awaiter_and_inner_cancelled_in_the_same_callback() {
    let (out, _r, _l) = run_loop(async {
        let inner = create_task(sleep_with(5, 1));
        let t = create_task(async move { Ok(shield(&inner).await) });
        sleep(0).await?;
        aiosim::call_soon(move || {
            inner.cancel_with("I");
            t.cancel_with("T");
        });
        let r = t.await?;
        Ok((
            r.unwrap_err().msg().map(|m| m.to_string()),
            inner.cancelled(),
        ))
    });
    assert_eq!(out.unwrap(), (Some("T".to_string()), true));
}
