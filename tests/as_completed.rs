//! ASC-*: `asyncio.as_completed`, 3.12 form (asyncio-semantics 1.9, 2.8).

mod common;

use aiosim::{ExcType, Exception, Future, HandleKind, RunError, Task, as_completed, sleep, time};
use common::{exc, failing, run_loop, sleeper};

#[test]
fn asc_1_one_awaitable_per_distinct_input_in_completion_order() {
    let boom = exc("Boom");
    let b = boom.clone();
    let (out, _r, _l) = run_loop(async move {
        let a = sleeper(3, 30);
        let c = sleeper(1, 10);
        let bad = failing(2, b);
        let it = as_completed(&[a, c, bad, a], None);
        let mut results = Vec::new();
        for aw in it {
            results.push(aw.await);
        }
        Ok(results)
    });
    let results = out.unwrap();
    assert_eq!(results.len(), 3, "duplicates are one input");
    assert_eq!(results[0].as_ref().unwrap(), &10);
    assert!(results[1].as_ref().unwrap_err().is_same(&boom));
    assert_eq!(results[2].as_ref().unwrap(), &30);
}

/// ASC-2: CPython registers in set order; aiosim pins first-occurrence order (graph-format
/// 4.9). Inputs already done are queued in that order, so they come out in it.
#[test]
fn asc_2_registration_follows_first_occurrence_order() {
    let (out, _r, _l) = run_loop(async {
        let fs: Vec<Future<i32>> = (0..4).map(|_| Future::new()).collect();
        for (i, f) in fs.iter().enumerate() {
            f.set_result(i as i32).unwrap();
        }
        let order = [fs[2], fs[0], fs[3], fs[2], fs[1]];
        let mut got = Vec::new();
        for aw in as_completed(&order, None) {
            got.push(aw.await?);
        }
        Ok(got)
    });
    assert_eq!(out.unwrap(), vec![2, 0, 3, 1]);
}

#[test]
fn asc_3_after_the_timeout_every_remaining_await_raises_timeout_error() {
    let l = aiosim::EventLoop::new();
    let rec = common::Rec::install(&l);
    let rec2 = rec.clone();
    let out = l.run_until_complete(async move {
        let fast = sleeper(1, 1);
        let slow1 = sleeper(10, 2);
        let slow2 = sleeper(10, 3);
        let mut it = as_completed(&[fast, slow1, slow2], Some(4));
        let first = it.next().unwrap().await?;
        let mut rest: Vec<Result<i32, Exception>> = Vec::new();
        let mut when = Vec::new();
        for aw in it {
            rest.push(aw.await);
            when.push((time(), rec2.it()));
        }
        // The inputs were not cancelled.
        assert_eq!(slow1.cancelling() + slow2.cancelling(), 0);
        assert!(!slow1.done() && !slow2.done());
        Ok((first, rest, when, slow1.await? + slow2.await?))
    });
    let (first, rest, when, sum) = out.unwrap();
    assert_eq!(first, 1);
    assert_eq!(rest.len(), 2);
    assert!(
        rest.iter()
            .all(|r| r.as_ref().unwrap_err().ty() == &ExcType::Timeout)
    );
    assert_eq!(sum, 5);
    // The timer fired at k (t=4); the first timed-out await resumed at k+1 and the second
    // one raised in that same step, without suspending.
    let k = rec
        .0
        .borrow()
        .iterations
        .iter()
        .find(|i| {
            i.now == 4
                && i.handles
                    .iter()
                    .any(|h| matches!(h, HandleKind::Timer { .. }))
        })
        .unwrap()
        .n;
    assert_eq!(when, vec![(4, k + 1), (4, k + 1)]);
}

#[test]
fn asc_4_latency_two_iterations_and_queued_results_without_suspending() {
    let (out, rec, _l) = run_loop(async {
        let c = sleeper(1, 1);
        let d = sleeper(1, 2);
        let mut it = as_completed(&[c, d], None);
        let a = it.next().unwrap().await?;
        let before = time();
        let b = it.next().unwrap().await?;
        Ok((a, b, before, time()))
    });
    assert_eq!(out.unwrap(), (1, 2, 1, 1));
    let k = rec.finished_in(1);
    assert_eq!(rec.first_internal("_on_completion"), Some(k + 1));
    let main_runs = rec.runs_of(0);
    // main: first step, then one wakeup 2 iterations after c finished; the second result
    // was already queued: no further step.
    assert_eq!(main_runs, vec![1, k + 2]);
}

#[test]
fn asc_5_empty_input_yields_nothing_and_arms_no_timer() {
    let (out, _r, _l) = run_loop(async {
        let none: [Task<i32>; 0] = [];
        let n = as_completed(&none, Some(5)).count();
        let f: Future<i32> = Future::new();
        // With nothing else to do, the loop deadlocks at t=0: no timer was armed.
        f.await?;
        Ok(n)
    });
    match out {
        Err(RunError::Deadlock(s)) => assert_eq!(s.now, 0),
        other => panic!("expected a deadlock, got {other:?}"),
    }
    let (out, _r, _l2) = {
        drop(_l);
        run_loop(async {
            let none: [Task<i32>; 0] = [];
            Ok(as_completed(&none, None).count())
        })
    };
    assert_eq!(out.unwrap(), 0);
}

/// ASC-1: CPython 3.12's `as_completed` is a generator: it registers its callbacks and arms
/// its timer at the first `next()`, not when it is called. (CPython 3.12.1: an iterator
/// made at t=0 with `timeout=2` and first advanced at t=1 times out at t=3.)
#[test]
fn asc_1_nothing_is_armed_before_the_first_next() {
    let (out, _r, _l) = run_loop(async {
        let a = sleeper(10, 1);
        let mut it = as_completed(&[a], Some(2));
        sleep(1).await?;
        let first = it.next().unwrap();
        let r = first.await;
        Ok((r.unwrap_err().ty().clone(), time()))
    });
    assert_eq!(out.unwrap(), (ExcType::Timeout, 3));
}

/// ASC-4: an input that completed before the first `next()` is registered then, on a done
/// future, so its callback goes through `call_soon`: 2 iterations.
#[test]
fn asc_4_input_done_before_the_first_next_takes_two_iterations() {
    let l = aiosim::EventLoop::new();
    let rec = common::Rec::install(&l);
    let rec2 = rec.clone();
    let out = l.run_until_complete(async move {
        let f: Future<i32> = Future::new();
        let mut it = as_completed(&[f], None);
        f.set_result(5).unwrap();
        let before = rec2.it();
        let v = it.next().unwrap().await?;
        Ok((v, rec2.it() - before))
    });
    assert_eq!(out.unwrap(), (5, 2));
}
