//! WAIT-*: `asyncio.wait` (asyncio-semantics 1.6, 2.8).

mod common;

use aiosim::{
    EventLoop, ExcType, Future, FutureRef, HandleKind, ReturnWhen, Task, create_task, sleep, time,
    wait,
};
use common::{exc, failing, run_loop, sleeper};

fn refs(ts: &[Task<i32>]) -> Vec<FutureRef> {
    ts.iter().map(|t| t.as_future()).collect()
}

fn sorted(mut v: Vec<FutureRef>) -> Vec<FutureRef> {
    v.sort_by_key(|f| format!("{f:?}"));
    v
}

#[test]
fn wait_1_splits_the_distinct_inputs_by_done_when_it_returns() {
    let (out, _r, _l) = run_loop(async {
        let a = sleeper(1, 1);
        let b = sleeper(5, 2);
        let c = sleeper(1, 3);
        let fs = refs(&[a, b, c]);
        let r = wait(&fs, Some(2), ReturnWhen::AllCompleted).await?;
        // Split by done() at the moment it returned.
        assert!(r.done.iter().all(|f| f.done()));
        assert!(r.pending.iter().all(|f| !f.done()));
        Ok((r, fs))
    });
    let (r, fs) = out.unwrap();
    assert_eq!(sorted(r.done.clone()), sorted(vec![fs[0], fs[2]]));
    assert_eq!(r.pending, vec![fs[1]]);
    assert_eq!(r.done.len() + r.pending.len(), 3);
}

#[test]
fn wait_2_all_completed_waits_for_every_input() {
    let (out, _r, _l) = run_loop(async {
        let ts = [sleeper(1, 1), sleeper(3, 2), failing(2, exc("E"))];
        let r = wait(&refs(&ts), None, ReturnWhen::AllCompleted).await?;
        Ok((r, time()))
    });
    let (r, t) = out.unwrap();
    assert_eq!(t, 3);
    assert_eq!(r.done.len(), 3);
    assert!(r.pending.is_empty());
}

#[test]
fn wait_2_first_completed_may_return_several_done_in_one_iteration() {
    let (out, _r, _l) = run_loop(async {
        let ts = [sleeper(2, 1), sleeper(2, 2), sleeper(5, 3)];
        let r = wait(&refs(&ts), None, ReturnWhen::FirstCompleted).await?;
        Ok((r, time(), refs(&ts)))
    });
    let (r, t, fs) = out.unwrap();
    assert_eq!(t, 2);
    assert_eq!(sorted(r.done), sorted(vec![fs[0], fs[1]]));
    assert_eq!(r.pending, vec![fs[2]]);
}

#[test]
fn wait_2_first_exception_ignores_cancellation_and_returns_on_an_error() {
    let (out, _r, _l) = run_loop(async {
        let victim = sleeper(9, 0);
        let ok = sleeper(1, 1);
        let bad = failing(3, exc("E"));
        let slow = sleeper(9, 2);
        aiosim::call_later(2, move || {
            victim.cancel();
        });
        let r = wait(
            &refs(&[victim, ok, bad, slow]),
            None,
            ReturnWhen::FirstException,
        )
        .await?;
        // Returned at t=3 (the error), not at t=2 (the cancellation) nor t=1.
        Ok((r.done.len(), r.pending.len(), time(), victim.cancelled()))
    });
    assert_eq!(out.unwrap(), (3, 1, 3, true));
    drop(_l);

    // No exception: it returns when all are done.
    let (out, _r, _l) = run_loop(async {
        let ts = [sleeper(1, 1), sleeper(4, 2)];
        let r = wait(&refs(&ts), None, ReturnWhen::FirstException).await?;
        Ok((r.done.len(), time()))
    });
    assert_eq!(out.unwrap(), (2, 4));
}

#[test]
fn wait_3_timeout_returns_without_raising_and_zero_timeout_takes_two_iterations() {
    let (out, _r, _l) = run_loop(async {
        let t = sleeper(10, 1);
        let r = wait(&refs(&[t]), Some(4), ReturnWhen::AllCompleted).await?;
        Ok((r.done.len(), r.pending.len(), time()))
    });
    assert_eq!(out.unwrap(), (0, 1, 4));
    drop(_l);

    let (out, rec, _l) = run_loop(async {
        let f: Future<i32> = Future::new();
        let r = wait(&[f.as_ref()], Some(0), ReturnWhen::AllCompleted).await?;
        Ok((r.pending.len(), time()))
    });
    assert_eq!(out.unwrap(), (1, 0));
    // [F] main.step at 1 | the 0-delay timer at 2 | main.wakeup at 3.
    assert_eq!(rec.runs_of(0), vec![1, 3]);
    let timer = rec.first_iteration(|h| {
        matches!(
            h,
            HandleKind::Timer {
                cancelled: false,
                ..
            }
        )
    });
    assert_eq!(timer, Some(2));
}

#[test]
fn wait_4_never_cancels_its_inputs() {
    let (out, _r, _l) = run_loop(async {
        let t = sleeper(10, 1);
        let f: Future<i32> = Future::new();
        let r = wait(
            &[t.as_future(), f.as_ref()],
            Some(2),
            ReturnWhen::AllCompleted,
        )
        .await?;
        assert_eq!(r.pending.len(), 2);
        assert_eq!(t.cancelling(), 0);
        assert!(!f.cancelled());
        // Cancelling the waiting task does not reach the inputs either.
        let waiter = create_task(async move {
            wait(&[t.as_future(), f.as_ref()], None, ReturnWhen::AllCompleted).await
        });
        sleep(1).await?;
        assert!(waiter.cancel());
        let e = waiter.await.unwrap_err();
        assert!(e.is_cancelled());
        assert_eq!(t.cancelling(), 0);
        assert!(!t.done());
        assert!(!f.cancelled());
        t.await
    });
    assert_eq!(out.unwrap(), 1);
}

/// WAIT-5: the empty input is a `ValueError`. (The `TypeError` cases and an invalid
/// `return_when` cannot be written against the typed API; see `tests/README.md`.)
#[test]
fn wait_5_empty_input_is_value_error() {
    let (out, _r, _l) = run_loop(async {
        let e = wait(&[], None, ReturnWhen::AllCompleted).await.unwrap_err();
        Ok(e)
    });
    let e = out.unwrap();
    assert_eq!(e.ty(), &ExcType::Value);
}

#[test]
fn wait_6_duplicate_inputs_collapse() {
    let (out, _r, _l) = run_loop(async {
        let a = sleeper(1, 1);
        let b = sleeper(2, 2);
        let fs = [a.as_future(), a.as_future(), b.as_future(), a.as_future()];
        let r = wait(&fs, None, ReturnWhen::AllCompleted).await?;
        Ok((r.done.len(), r.pending.len()))
    });
    assert_eq!(out.unwrap(), (2, 0));
}

#[test]
fn wait_7_suspends_even_when_all_inputs_are_done_two_iterations() {
    let l = EventLoop::new();
    let rec = common::Rec::install(&l);
    let out = l.run_until_complete(async {
        let a: Future<i32> = Future::new();
        let b: Future<i32> = Future::new();
        a.set_result(1).unwrap();
        b.set_result(2).unwrap();
        let r = wait(&[a.as_ref(), b.as_ref()], None, ReturnWhen::AllCompleted).await?;
        Ok(r.done.len())
    });
    assert_eq!(out.unwrap(), 2);
    // main.step at 1 | two _on_completion at 2 | main.wakeup at 3.
    assert_eq!(rec.runs_of(0), vec![1, 3]);
    let log = rec.0.borrow();
    assert!(log.iterations[1].handles.iter().all(|h| matches!(
        h,
        HandleKind::Internal {
            name: "_on_completion",
            ..
        }
    )));
    assert_eq!(log.iterations[1].handles.len(), 2);
}

#[test]
fn wait_7_latency_from_the_deciding_completion_is_two_iterations() {
    let (out, rec, _l) = run_loop(async {
        let c = sleeper(1, 1);
        wait(&[c.as_future()], None, ReturnWhen::FirstCompleted).await?;
        Ok(())
    });
    out.unwrap();
    let k = rec.finished_in(1);
    assert_eq!(*rec.runs_of(0).last().unwrap(), k + 2);
}
