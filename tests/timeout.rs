//! TMO-*: `asyncio.timeout` / `timeout_at` (asyncio-semantics 1.10, 2.8). Expected outcomes
//! were checked on CPython 3.12.1.

mod common;

use std::cell::RefCell;
use std::pin::pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use aiosim::{
    ExcType, HandleKind, Timeout, call_at, call_soon, current_task, sleep, time, timeout,
    timeout_at, wait_for, wait_for_body,
};
use common::{Rec, exc, run_loop, run_one};

type Slot = Rc<RefCell<Option<Timeout>>>;

fn keep(slot: &Slot, cm: &Timeout) {
    *slot.borrow_mut() = Some(cm.clone());
}

#[test]
fn tmo_1_expiry_cancels_the_task_once_and_converts_to_timeout_error() {
    let slot: Slot = Rc::default();
    let s = slot.clone();
    let (out, rec, _l) = run_loop(async move {
        let r = timeout(Some(3), |cm| async move {
            keep(&s, &cm);
            sleep(10).await?;
            Ok(())
        })
        .await;
        Ok((r, time(), current_task().unwrap().cancelling()))
    });
    let (r, t, cancelling) = out.unwrap();
    let e = r.unwrap_err();
    assert_eq!(e.ty(), &ExcType::Timeout);
    assert!(e.cause().unwrap().is_cancelled());
    assert_eq!(t, 3);
    assert_eq!(cancelling, 0);
    assert!(slot.borrow().as_ref().unwrap().expired());
    // Exactly one cancel request on the main task.
    assert_eq!(rec.cancel_order(), vec![0]);
}

/// TMO-1: a handler that runs while the task is scheduled (not waiting) delivers the error
/// at the next suspension point, through must-cancel.
#[test]
fn tmo_1_error_reaches_the_body_at_its_next_suspension_point() {
    let (out, _rec, _l) = run_loop(async {
        let r = timeout_at(Some(time()), |_| async {
            let mut spins = 0;
            loop {
                match sleep(0).await {
                    Err(e) => return Ok((spins, e.is_cancelled())),
                    Ok(()) => spins += 1,
                }
            }
        })
        .await?;
        Ok(r)
    });
    // Armed with call_soon at k; the handler runs at k+1 just before the queued step, whose
    // bare yield raises. The body caught it, so nothing is raised (TMO-4).
    assert_eq!(out.unwrap(), (0, true));
}

#[test]
fn tmo_2_past_deadline_is_armed_with_call_soon() {
    let slot: Slot = Rc::default();
    let s = slot.clone();
    let (out, rec, _l) = run_loop(async move {
        sleep(5).await?;
        let r = timeout_at(Some(2), |cm| async move {
            keep(&s, &cm);
            sleep(10).await
        })
        .await;
        Ok((r, time()))
    });
    let (r, t) = out.unwrap();
    assert_eq!(r.unwrap_err().ty(), &ExcType::Timeout);
    assert_eq!(t, 5);
    // main resumed at k (t=5) and armed a call_soon, which ran at k+1; main resumed at k+2.
    let soon = rec
        .first_iteration(|h| matches!(h, HandleKind::Soon { .. }))
        .unwrap();
    let runs = rec.runs_of(0);
    assert_eq!(runs[runs.len() - 2], soon - 1);
    assert_eq!(runs[runs.len() - 1], soon + 1);
    assert!(slot.borrow().as_ref().unwrap().expired());
}

#[test]
fn tmo_2_body_that_never_suspends_leaves_before_the_handler_runs() {
    let slot: Slot = Rc::default();
    let s = slot.clone();
    let (out, _rec, _l) = run_loop(async move {
        let r = timeout(Some(0), |cm| async move {
            keep(&s, &cm);
            Ok(7)
        })
        .await;
        // The handler was disarmed; a later suspension is not cancelled.
        sleep(1).await?;
        Ok(r)
    });
    assert_eq!(out.unwrap().unwrap(), 7);
    assert!(!slot.borrow().as_ref().unwrap().expired());
}

#[test]
fn tmo_2_reschedule_to_the_past_fires_next_iteration() {
    let slot: Slot = Rc::default();
    let s = slot.clone();
    let (out, rec, _l) = run_loop(async move {
        sleep(7).await?;
        let rec_it = Rc::new(RefCell::new((0, 0)));
        let ri = rec_it.clone();
        let r = timeout(None, |cm| async move {
            keep(&s, &cm);
            cm.reschedule(Some(time()))?;
            let e = sleep(10).await.unwrap_err();
            *ri.borrow_mut() = (time(), 0);
            Ok(e.is_cancelled())
        })
        .await?;
        Ok((r, rec_it.borrow().0))
    });
    // The body caught the error: nothing raised (TMO-4), and the clock did not move.
    assert_eq!(out.unwrap(), (true, 7));
    let runs = rec.runs_of(0);
    assert_eq!(runs[runs.len() - 1] - runs[runs.len() - 2], 2);
    assert!(slot.borrow().as_ref().unwrap().expired());
}

#[test]
fn tmo_3_none_never_expires_reschedule_and_when() {
    let slot: Slot = Rc::default();
    let s = slot.clone();
    let (out, _rec, _l) = run_loop(async move {
        let r = timeout(None, |cm| async move {
            keep(&s, &cm);
            assert_eq!(cm.when(), None);
            sleep(100).await?;
            assert!(!cm.expired());
            // Move the deadline while active.
            cm.reschedule(Some(time() + 5))?;
            assert_eq!(cm.when(), Some(105));
            cm.reschedule(Some(time() + 2))?;
            let e = sleep(50).await.unwrap_err();
            assert!(cm.expired());
            Err::<(), _>(e)
        })
        .await;
        Ok((r, time()))
    });
    let (r, t) = out.unwrap();
    assert_eq!(r.unwrap_err().ty(), &ExcType::Timeout);
    assert_eq!(t, 102, "the last reschedule decided");
    // After exit: RuntimeError.
    let cm = slot.borrow().clone().unwrap();
    let _l2 = _l;
    let e = cm.reschedule(Some(500)).unwrap_err();
    assert_eq!(e.ty(), &ExcType::Runtime);
    assert!(e.message().contains("expired"));
}

#[test]
fn tmo_3_reschedule_after_a_normal_exit_is_runtime_error() {
    let slot: Slot = Rc::default();
    let s = slot.clone();
    let (out, _rec, l) = run_loop(async move {
        timeout(Some(10), |cm| async move {
            keep(&s, &cm);
            sleep(1).await
        })
        .await
    });
    out.unwrap();
    let cm = slot.borrow().clone().unwrap();
    assert!(!cm.expired());
    assert_eq!(cm.reschedule(None).unwrap_err().ty(), &ExcType::Runtime);
    drop(l);
}

#[test]
fn tmo_3_outside_a_task_is_runtime_error() {
    let l = aiosim::EventLoop::new();
    let got = Rc::new(RefCell::new(None));
    let g = got.clone();
    call_soon(move || {
        // Poll the context manager from a plain callback: no current task.
        let fut = pin!(timeout(Some(5), |_| async { Ok(()) }));
        let mut cx = Context::from_waker(Waker::noop());
        if let Poll::Ready(r) = fut.poll(&mut cx) {
            *g.borrow_mut() = Some(r);
        }
    });
    run_one(&l);
    let r = got.borrow_mut().take().expect("ready at once");
    assert_eq!(r.unwrap_err().ty(), &ExcType::Runtime);
}

#[test]
fn tmo_4_body_catching_the_cancellation_raises_nothing() {
    let slot: Slot = Rc::default();
    let s = slot.clone();
    let (out, _rec, _l) = run_loop(async move {
        let r = timeout(Some(2), |cm| async move {
            keep(&s, &cm);
            match sleep(10).await {
                Err(e) if e.is_cancelled() => Ok("caught"),
                _ => Ok("slept"),
            }
        })
        .await;
        Ok((r?, current_task().unwrap().cancelling()))
    });
    assert_eq!(out.unwrap(), ("caught", 0));
    assert!(slot.borrow().as_ref().unwrap().expired());
}

#[test]
fn tmo_5_an_external_cancel_wins_over_the_timeout() {
    let slot: Slot = Rc::default();
    let s = slot.clone();
    let (out, _rec, _l) = run_loop(async move {
        let me = current_task().unwrap();
        let r = timeout(Some(2), |cm| async move {
            keep(&s, &cm);
            call_at(2, move || {
                me.cancel();
            });
            sleep(10).await
        })
        .await;
        Ok((r, me.cancelling()))
    });
    let (r, cancelling) = out.unwrap();
    let e = r.unwrap_err();
    assert!(e.is_cancelled(), "CancelledError, not TimeoutError: {e:?}");
    assert_eq!(cancelling, 1);
    assert!(slot.borrow().as_ref().unwrap().expired());
}

#[test]
fn tmo_6_nested_contexts_the_expired_one_converts() {
    let outer_slot: Slot = Rc::default();
    let inner_slot: Slot = Rc::default();
    let (os, is) = (outer_slot.clone(), inner_slot.clone());
    let (out, _rec, _l) = run_loop(async move {
        // The outer one expires first.
        let r = timeout(Some(2), |ocm| async move {
            keep(&os, &ocm);
            let inner = timeout(Some(5), |icm| async move {
                keep(&is, &icm);
                sleep(10).await
            })
            .await;
            // It passed through the inner context as a plain CancelledError.
            let e = inner.unwrap_err();
            assert!(e.is_cancelled());
            Err::<(), _>(e)
        })
        .await;
        Ok((r, current_task().unwrap().cancelling()))
    });
    let (r, c) = out.unwrap();
    assert_eq!(r.unwrap_err().ty(), &ExcType::Timeout);
    assert_eq!(c, 0);
    assert!(outer_slot.borrow().as_ref().unwrap().expired());
    assert!(!inner_slot.borrow().as_ref().unwrap().expired());
    drop(_l);

    // The inner one expires first: it converts, the outer sees a TimeoutError only if the
    // body lets it through; here the body handles it.
    let (out, _rec, _l) = run_loop(async {
        timeout(Some(5), |ocm| async move {
            let r = timeout(Some(2), |_| async { sleep(10).await }).await;
            Ok((r.unwrap_err().ty().clone(), ocm.expired()))
        })
        .await
    });
    assert_eq!(out.unwrap(), (ExcType::Timeout, false));
}

#[test]
fn tmo_7_another_exception_after_expiry_propagates_unchanged() {
    let other = exc("Other");
    let o = other.clone();
    let (out, _rec, _l) = run_loop(async move {
        let r = timeout(Some(1), |_| async move {
            match sleep(10).await {
                Err(e) if e.is_cancelled() => Err::<(), _>(o),
                _ => Ok(()),
            }
        })
        .await;
        Ok((r, current_task().unwrap().cancelling()))
    });
    let (r, c) = out.unwrap();
    let e = r.unwrap_err();
    assert!(e.is_same(&other));
    assert!(e.cause().is_none());
    assert_eq!(c, 0);
}

#[test]
fn tmo_8_entering_and_leaving_never_suspend() {
    let (out, rec, _l) = run_loop(async {
        let a = timeout(Some(5), |_| async { Ok(1) }).await?;
        let b = timeout(None, |_| async { Ok(2) }).await?;
        let c = timeout_at(Some(0), |_| async { Ok(3) }).await?;
        Ok(a + b + c)
    });
    assert_eq!(out.unwrap(), 6);
    assert_eq!(rec.steps_of(0), 1);
    drop(_l);

    // Around a suspending body it adds no iteration either.
    let count = |with: bool| {
        let (out, rec, l) = run_loop(async move {
            if with {
                timeout(Some(50), |_| async { sleep(3).await }).await
            } else {
                sleep(3).await
            }
        });
        out.unwrap();
        drop(l);
        (rec.runs_of(0), rec.iterations())
    };
    assert_eq!(count(true), count(false));
}

/// TMO-9: `wait_for` with a positive timeout is the context around a plain await: the
/// timeout handler runs at k, the caller resumes at k+1 and raises `TimeoutError` in that
/// step (TMO-1); an external cancel wins (TMO-5); a swallowed cancel returns (TMO-4).
#[test]
fn tmo_9_wait_for_is_the_timeout_context() {
    let l = aiosim::EventLoop::new();
    let rec = Rec::install(&l);
    let rec2 = rec.clone();
    let out = l.run_until_complete(async move {
        let f: aiosim::Future<i32> = aiosim::Future::new();
        let e = wait_for(&f, Some(3)).await.unwrap_err();
        let resumed = rec2.it();
        let me = current_task().unwrap();
        call_at(time() + 2, move || {
            me.cancel();
        });
        let g: aiosim::Future<i32> = aiosim::Future::new();
        let e2 = wait_for(&g, Some(2)).await.unwrap_err();
        me.uncancel();
        let v = wait_for_body(
            async {
                match sleep(10).await {
                    Err(e) if e.is_cancelled() => Ok(4),
                    _ => Ok(0),
                }
            },
            Some(1),
        )
        .await?;
        Ok((e, resumed, e2, v))
    });
    let (e, resumed, e2, v) = out.unwrap();
    assert_eq!(e.ty(), &ExcType::Timeout);
    let handler = rec
        .first_iteration(|h| matches!(h, HandleKind::Timer { .. }))
        .unwrap();
    assert_eq!(resumed, handler + 1);
    assert!(e2.is_cancelled(), "external cancel wins: {e2:?}");
    assert_eq!(v, 4);
}

/// TMO-1 around a TaskGroup (CPython 3.12.1): the timeout timer was armed before the
/// child's sleep timer, so at t=2 the parent is cancelled first, the group aborts the child
/// (whose result is discarded, TASK-5), no error is collected, and the context converts the
/// `CancelledError` that leaves the group.
#[test]
fn tmo_1_expiry_through_a_task_group_converts_the_cancellation() {
    let (out, _rec, _l) = run_loop(async {
        let r = timeout(Some(2), |_| async {
            aiosim::task_group(|tg| async move {
                tg.create_task(async {
                    sleep(2).await?;
                    Err::<(), _>(exc("V"))
                })?;
                sleep(10).await
            })
            .await
        })
        .await;
        Ok((r, time(), current_task().unwrap().cancelling()))
    });
    let (r, t, c) = out.unwrap();
    assert_eq!(r.unwrap_err().ty(), &ExcType::Timeout);
    assert_eq!((t, c), (2, 0));
}

/// TMO-1 inside a TaskGroup (CPython 3.12.1): the child fails first and the group cancels
/// the parent, but the context had expired too: the body's `TimeoutError` joins the
/// group's errors after the child's (TG-3).
#[test]
fn tmo_1_expiry_inside_a_failing_task_group() {
    let (out, _rec, _l) = run_loop(async {
        let r = aiosim::task_group(|tg| async move {
            tg.create_task(async {
                sleep(2).await?;
                Err::<(), _>(exc("V"))
            })?;
            sleep(0).await?;
            timeout(Some(2), |_| sleep(10)).await
        })
        .await;
        Ok((r, time(), current_task().unwrap().cancelling()))
    });
    let (r, t, c) = out.unwrap();
    let e = r.unwrap_err();
    let names: Vec<&str> = e.members().iter().map(|m| m.type_name()).collect();
    assert_eq!(names, vec!["V", "TimeoutError"]);
    assert_eq!((t, c), (2, 0));
}

/// TMO-3: `reschedule` while the context is expiring (the handler ran, the body has not
/// left yet) is a `RuntimeError` too.
#[test]
fn tmo_3_reschedule_while_expiring_is_runtime_error() {
    let (out, _rec, _l) = run_loop(async {
        timeout(Some(1), |cm| async move {
            let e = sleep(10).await.unwrap_err();
            assert!(e.is_cancelled());
            Ok(cm.reschedule(Some(time() + 5)).unwrap_err())
        })
        .await
    });
    let e = out.unwrap();
    assert_eq!(e.ty(), &ExcType::Runtime);
    assert_eq!(e.message(), "Cannot change state of expiring Timeout");
}

/// TMO-4: after catching the expiry the body may suspend again; it is not cancelled again
/// and the context raises nothing (CPython 3.12.1).
#[test]
fn tmo_4_body_may_go_on_suspending_after_catching_the_expiry() {
    let (out, _rec, _l) = run_loop(async {
        let r = timeout(Some(1), |_| async {
            let _ = sleep(10).await;
            sleep(1).await?;
            Ok("body done")
        })
        .await?;
        Ok((r, time(), current_task().unwrap().cancelling()))
    });
    assert_eq!(out.unwrap(), ("body done", 2, 0));
}
