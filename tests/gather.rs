//! GATHER-*: `gather` (asyncio-semantics 1.5, 2.8). Expected messages and orders were
//! checked on CPython 3.12.1.

mod common;

use std::rc::Rc;

use aiosim::{
    EventLoop, Exception, Future, HandleKind, Task, create_task, gather, gather_return_exceptions,
    sleep, time,
};
use common::{ErrorReports, Events, exc, failing, msg_of, run_loop, run_one, sleeper};

#[test]
fn gather_1_results_in_argument_order_not_completion_order() {
    let (out, _r, _l) = run_loop(async {
        let ts = [sleeper(3, 30), sleeper(1, 10), sleeper(2, 20)];
        gather(&ts).await
    });
    assert_eq!(out.unwrap(), vec![30, 10, 20]);
}

/// GATHER-2, nearest Rust equivalent: `gather` takes tasks and futures; coroutine arguments
/// are made tasks by the caller in argument order, and their first steps then run in that
/// order (one iteration after the call).
#[test]
fn gather_2_children_made_in_argument_order_start_in_that_order() {
    let ev = Events::default();
    let e = ev.clone();
    let (out, rec, _l) = run_loop(async move {
        let mk = |name: &'static str| {
            let e = e.clone();
            create_task(async move {
                e.push(name);
                Ok(0)
            })
        };
        let ts = [mk("c0"), mk("c1"), mk("c2")];
        gather(&ts).await
    });
    out.unwrap();
    assert_eq!(ev.get(), vec!["c0", "c1", "c2"]);
    let log = rec.0.borrow();
    assert!(matches!(
        log.iterations[1].handles[..],
        [
            HandleKind::Step { task: 1 },
            HandleKind::Step { task: 2 },
            HandleKind::Step { task: 3 }
        ]
    ));
}

#[test]
fn gather_3_first_failure_decides_and_siblings_keep_running() {
    let boom = exc("Boom");
    let b = boom.clone();
    let (out, _r, _l) = run_loop(async move {
        let slow = sleeper(5, 5);
        let bad = failing(1, b);
        let later_bad = failing(2, exc("Later"));
        let g = gather(&[slow, bad, later_bad]);
        let r = g.await;
        let resumed_at = time();
        // The siblings were not cancelled and keep running.
        assert_eq!(slow.cancelling(), 0);
        assert!(!slow.done());
        let v = slow.await?;
        Ok((r.unwrap_err(), resumed_at, v, later_bad.cancelled()))
    });
    let (e, at, v, later_cancelled) = out.unwrap();
    assert!(e.is_same(&boom));
    assert_eq!(at, 1, "the awaiter resumes with the first failure at once");
    assert_eq!(v, 5);
    assert!(!later_cancelled);
}

#[test]
fn gather_4_later_outcomes_are_ignored_retrieved_and_cancel_is_refused() {
    let l = EventLoop::new();
    let reports = ErrorReports::install(&l);
    let out = l.run_until_complete(async {
        let first = failing(1, exc("First"));
        let second = failing(2, exc("Second"));
        let slow = sleeper(3, 3);
        let g = gather(&[first, second, slow]);
        let e = g.await.unwrap_err();
        assert_eq!(e.type_name(), "First");
        // Outer done: cancel() returns False and cancels nothing.
        assert!(!g.cancel());
        assert_eq!(slow.cancelling(), 0);
        sleep(5).await?;
        assert!(second.done() && slow.done());
        slow.result()
    });
    assert_eq!(out.unwrap(), 3);
    l.close();
    // "Second" was seen by gather's callback after the outer was done: marked retrieved, so
    // nothing is reported when the loop closes.
    assert!(
        reports.messages().is_empty(),
        "unexpected reports: {:?}",
        reports.messages()
    );
    drop(l);

    // Control: the same failure outside a gather is reported.
    let l = EventLoop::new();
    let reports = ErrorReports::install(&l);
    l.run_until_complete(async {
        let _lonely = failing(1, exc("Lonely"));
        sleep(2).await
    })
    .unwrap();
    l.close();
    assert_eq!(reports.messages().len(), 1);
}

#[test]
fn gather_5_return_exceptions_fills_slots_with_recorded_cancel_messages() {
    let boom = exc("Boom");
    let b = boom.clone();
    let (out, _r, _l) = run_loop(async move {
        let ok = sleeper(1, 1);
        let bad = failing(1, b);
        let cancelled_task = sleeper(9, 0);
        let plain: Future<i32> = Future::new();
        let plain2 = plain;
        aiosim::call_later(1, move || {
            cancelled_task.cancel_with("task-msg");
            plain2.cancel_with("m");
        });
        let r = gather_return_exceptions(&[ok, bad, cancelled_task]).await?;
        let rp = gather_return_exceptions(&[plain]).await?;
        Ok((r, rp))
    });
    let (r, rp) = out.unwrap();
    assert_eq!(r[0].as_ref().unwrap(), &1);
    assert!(r[1].as_ref().unwrap_err().is_same(&boom));
    // A task that ended by raising has no recorded message: CancelledError('').
    let c = r[2].as_ref().unwrap_err();
    assert!(c.is_cancelled());
    assert_eq!(msg_of(c).as_deref(), Some(""));
    // A plain future cancelled with "m": CancelledError('m').
    let p = rp[0].as_ref().unwrap_err();
    assert!(p.is_cancelled());
    assert_eq!(msg_of(p).as_deref(), Some("m"));
}

#[test]
fn gather_6_cancelled_child_fails_the_outer_with_cancelled_error_as_exception() {
    let (out, _r, _l) = run_loop(async {
        let victim = sleeper(5, 0);
        let sibling = sleeper(3, 3);
        let g = gather(&[victim, sibling]);
        aiosim::call_later(1, move || {
            victim.cancel_with("child-msg");
        });
        let e = g.await.unwrap_err();
        // The outer finished with the error as its exception: not cancelled().
        assert!(!g.cancelled());
        assert!(g.done());
        let held = g.exception().unwrap().unwrap();
        assert!(held.is_same(&e));
        assert_eq!(sibling.cancelling(), 0);
        let s = sibling.await?;
        Ok((e, s))
    });
    let (e, s) = out.unwrap();
    assert!(e.is_cancelled());
    // The outer was the child's first consumer: the child's message.
    assert_eq!(msg_of(&e).as_deref(), Some("child-msg"));
    assert_eq!(s, 3);
}

#[test]
fn gather_7_outer_cancel_cancels_every_entry_and_outer_stays_pending() {
    let (out, _r, _l) = run_loop(async {
        let t = sleeper(10, 1);
        let u = sleeper(10, 2);
        let g = gather(&[t, t, u]);
        sleep(0).await?;
        assert!(g.cancel_with("gm"));
        // Duplicates included: t was cancelled twice.
        assert_eq!(t.cancelling(), 2);
        assert_eq!(u.cancelling(), 1);
        assert!(!g.done(), "the outer stays pending");
        let e = g.await.unwrap_err();
        Ok((e, g.cancelled()))
    });
    let (e, outer_cancelled) = out.unwrap();
    assert!(e.is_cancelled());
    assert!(!outer_cancelled);
    assert_eq!(msg_of(&e).as_deref(), Some("gm"));
}

#[test]
fn gather_7_outer_raises_cancelled_even_if_every_child_swallowed_it() {
    for return_exceptions in [false, true] {
        let (out, _r, _l) = run_loop(async move {
            let mk = || {
                create_task(async {
                    match sleep(10).await {
                        Err(e) if e.is_cancelled() => Ok(5),
                        _ => Ok(0),
                    }
                })
            };
            let (a, b) = (mk(), mk());
            let r: Result<(), Exception> = if return_exceptions {
                let g = gather_return_exceptions(&[a, b]);
                sleep(0).await?;
                assert!(g.cancel());
                g.await.map(|_| ())
            } else {
                let g = gather(&[a, b]);
                sleep(0).await?;
                assert!(g.cancel());
                g.await.map(|_| ())
            };
            Ok((r, a.result()?, b.result()?))
        });
        let (r, a, b) = out.unwrap();
        let e = r.unwrap_err();
        assert!(e.is_cancelled(), "return_exceptions={return_exceptions}");
        assert_eq!(e.msg(), None);
        assert_eq!((a, b), (5, 5));
    }
    // No child accepts: cancel() returns False.
    let (out, _r, _l) = run_loop(async {
        let t = sleeper(0, 1);
        let g = gather(&[t]);
        t.await?;
        // The child is done; its _done_callback has not run yet, so the outer is pending.
        Ok((g.cancel(), g.await?))
    });
    assert_eq!(out.unwrap(), (false, vec![1]));
}

#[test]
fn gather_8_outer_cancel_completion_differs_by_return_exceptions() {
    let ev = Events::default();
    let e = ev.clone();
    let (out, _r, _l) = run_loop(async move {
        let mut results = Vec::new();
        for return_exceptions in [false, true] {
            let e = e.clone();
            let tag = if return_exceptions { "T" } else { "F" };
            let a = create_task(async { sleep(10).await });
            let b = create_task(async move {
                match sleep(10).await {
                    Err(c) if c.is_cancelled() => {
                        e.push(format!("{tag} cleanup start {}", time()));
                        sleep(3).await?;
                        e.push(format!("{tag} cleanup end {}", time()));
                        Err(Exception::cancelled(Some(Rc::from(format!("{tag}-own")))))
                    }
                    other => other,
                }
            });
            sleep(1).await?;
            let r = if return_exceptions {
                let g = gather_return_exceptions(&[a, b]);
                assert!(g.cancel_with("gm"));
                g.await.map(|_| ())
            } else {
                let g = gather(&[a, b]);
                assert!(g.cancel_with("gm"));
                g.await.map(|_| ())
            };
            results.push((r.unwrap_err(), time(), b.done()));
            sleep(5).await?;
        }
        Ok(results)
    });
    let results = out.unwrap();
    // False: completes with the first cancelled child while b is still cleaning up.
    assert_eq!(msg_of(&results[0].0).as_deref(), Some("gm"));
    assert_eq!(results[0].1, 1);
    assert!(!results[0].2);
    // True: waits for all, then the last child's cancellation error.
    assert_eq!(msg_of(&results[1].0).as_deref(), Some("T-own"));
    assert_eq!(results[1].1, 10);
    assert!(results[1].2);
    assert_eq!(
        ev.get(),
        vec![
            "F cleanup start 1",
            "F cleanup end 4",
            "T cleanup start 7",
            "T cleanup end 10"
        ]
    );
}

#[test]
fn gather_9_cancelling_the_awaiting_task_cancels_the_children() {
    let l = EventLoop::new();
    let a = sleeper(10, 1);
    let b = sleeper(10, 2);
    let t = create_task(async move { gather(&[a, b]).await });
    run_one(&l);
    run_one(&l);
    assert!(t.cancel());
    assert_eq!(a.cancelling(), 1);
    assert_eq!(b.cancelling(), 1);
    let r = l.run_until_done(t);
    assert!(r.unwrap_err().exception().unwrap().is_cancelled());
    assert!(a.cancelled() && b.cancelled() && t.cancelled());
}

#[test]
fn gather_10_no_arguments_is_already_done_and_does_not_suspend() {
    let (out, rec, _l) = run_loop(async {
        let none: [Task<i32>; 0] = [];
        let g = gather(&none);
        assert!(g.done());
        let v = g.await?;
        let w = gather_return_exceptions(&none).await?;
        Ok((v.len(), w.len()))
    });
    assert_eq!(out.unwrap(), (0, 0));
    assert_eq!(rec.steps_of(0), 1);
}

#[test]
fn gather_11_the_same_awaitable_twice_is_one_child() {
    let (out, rec, _l) = run_loop(async {
        let t = sleeper(1, 7);
        let u = sleeper(2, 8);
        gather(&[t, u, t]).await
    });
    assert_eq!(out.unwrap(), vec![7, 8, 7]);
    // One _done_callback per distinct child.
    let n = rec
        .0
        .borrow()
        .iterations
        .iter()
        .flat_map(|i| i.handles.iter())
        .filter(|h| {
            matches!(
                h,
                HandleKind::Internal {
                    name: "_done_callback",
                    ..
                }
            )
        })
        .count();
    assert_eq!(n, 2);
}

#[test]
fn gather_12_already_done_children_are_processed_inside_the_call() {
    let (out, rec, _l) = run_loop(async {
        let a: Future<i32> = Future::new();
        let b: Future<i32> = Future::new();
        a.set_result(1).unwrap();
        b.set_result(2).unwrap();
        let g = gather(&[a, b]);
        assert!(g.done(), "processed synchronously (3.12)");
        g.await
    });
    assert_eq!(out.unwrap(), vec![1, 2]);
    // 0 iterations: main ran in one step.
    assert_eq!(rec.steps_of(0), 1);

    drop(_l);

    let boom = exc("Boom");
    let b2 = boom.clone();
    let (out, _rec, _l) = run_loop(async move {
        let failed: Future<i32> = Future::new();
        failed.set_exception(b2).unwrap();
        let running: Future<i32> = Future::new();
        aiosim::call_later(2, move || running.set_result(2).unwrap());
        let g = gather(&[running, failed]);
        assert!(g.done(), "fails right away");
        let e = g.await.unwrap_err();
        // The other child keeps running: not cancelled, and it completes later.
        assert!(!running.done());
        Ok((e, running.await?))
    });
    let (e, v) = out.unwrap();
    assert!(e.is_same(&boom));
    assert_eq!(v, 2);
}

/// GATHER-13: child finishes at k, `_done_callback` at k+1 completes the outer, the awaiter
/// resumes at k+2.
#[test]
fn gather_13_latency_is_two_iterations() {
    let (out, rec, _l) = run_loop(async {
        let c = sleeper(1, 1);
        gather(&[c]).await
    });
    assert_eq!(out.unwrap(), vec![1]);
    let k = rec.finished_in(1);
    assert_eq!(rec.first_internal("_done_callback"), Some(k + 1));
    assert_eq!(*rec.runs_of(0).last().unwrap(), k + 2);
}

/// GATHER-8 (CPython 3.12.1): a child cancelled with "A" before `outer.cancel("G")`; with
/// `return_exceptions=True` the outer raises the last child's error, which carries "G".
#[test]
fn gather_8_last_child_error_decides_with_return_exceptions() {
    let (out, _r, _l) = run_loop(async {
        let a = create_task(sleep(10));
        let b = create_task(sleep(10));
        let g = gather_return_exceptions(&[a, b]);
        sleep(0).await?;
        a.cancel_with("A");
        assert!(g.cancel_with("G"));
        Ok(g.await.unwrap_err())
    });
    let e = out.unwrap();
    assert!(e.is_cancelled());
    assert_eq!(msg_of(&e).as_deref(), Some("G"));
}
