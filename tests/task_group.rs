//! TG-*: `asyncio.TaskGroup`, 3.12.1 form (asyncio-semantics 1.11, 2.8, 2.9). Expected
//! outcomes were checked on CPython 3.12.1 (with spawn-order sets, graph-format 4.9).

mod common;

use std::cell::RefCell;
use std::rc::Rc;

use aiosim::{
    EventLoop, ExcType, Exception, HandleKind, Task, TaskGroup, create_task, current_task, sleep,
    task_group, time,
};
use common::{Rec, exc, run_loop};

async fn fail_after(d: u64, name: &'static str) -> Result<(), Exception> {
    sleep(d).await?;
    Err(exc(name))
}

/// Sleeps long; raises `name` when cancelled.
async fn fail_on_cancel(name: &'static str) -> Result<(), Exception> {
    match sleep(100).await {
        Err(e) if e.is_cancelled() => Err(exc(name)),
        other => other,
    }
}

fn names(e: &Exception) -> Vec<String> {
    e.members()
        .iter()
        .map(|m| m.type_name().to_string())
        .collect()
}

#[test]
fn tg_1_exit_waits_for_every_child_including_ones_created_while_waiting() {
    let (out, _rec, _l) = run_loop(async {
        let late: Rc<RefCell<Option<Task<()>>>> = Rc::default();
        let l2 = late.clone();
        task_group(|tg| async move {
            let tg2 = tg.clone();
            tg.create_task(async move {
                sleep(1).await?;
                *l2.borrow_mut() = Some(tg2.create_task(async { sleep(3).await })?);
                Ok(())
            })?;
            Ok(())
        })
        .await?;
        let late = late.borrow().unwrap();
        Ok((time(), late.done()))
    });
    assert_eq!(out.unwrap(), (4, true));
}

#[test]
fn tg_2_child_failure_cancels_siblings_then_the_parent_once() {
    let (out, rec, _l) = run_loop(async {
        let r = task_group(|tg| async move {
            tg.create_task(fail_after(1, "Bad"))?;
            tg.create_task(async { sleep(5).await })?;
            let e = sleep(5).await.unwrap_err();
            assert!(
                e.is_cancelled(),
                "the body's current await raises CancelledError"
            );
            Err::<(), _>(e)
        })
        .await;
        Ok(r)
    });
    let e = out.unwrap().unwrap_err();
    assert_eq!(names(&e), vec!["Bad"]);
    // The sibling (task 2) is cancelled before the parent (task 0), each once.
    assert_eq!(rec.cancel_order(), vec![2, 0]);
    // [F] The siblings' wakeups are queued before the parent's.
    let it = rec
        .first_iteration(|h| matches!(h, HandleKind::Wakeup { task: 2, .. }))
        .unwrap();
    assert!(matches!(
        rec.handles_in(it)[..],
        [
            HandleKind::Wakeup { task: 2, .. },
            HandleKind::Wakeup { task: 0, .. }
        ]
    ));
}

#[test]
fn tg_3_errors_in_completion_order_then_the_body_exception() {
    let (out, _rec, _l) = run_loop(async {
        let r = task_group(|tg| async move {
            tg.create_task(fail_after(2, "B"))?;
            tg.create_task(fail_after(1, "A"))?;
            tg.create_task(fail_on_cancel("C"))?;
            sleep(0).await?;
            Err::<(), _>(exc("Body"))
        })
        .await;
        Ok((r, current_task().unwrap().cancelling()))
    });
    let (r, c) = out.unwrap();
    let e = r.unwrap_err();
    assert_eq!(e.ty(), &ExcType::Group);
    assert_eq!(e.message(), "unhandled errors in a TaskGroup");
    // A and B were cancelled in their sleeps (TG-4: not errors); C raised while cancelling.
    assert_eq!(names(&e), vec!["C", "Body"]);
    assert_eq!(c, 0);
    drop(_l);

    let (out, _rec, _l) = run_loop(async {
        task_group(|tg| async move {
            tg.create_task(fail_after(2, "Second"))?;
            tg.create_task(fail_after(1, "First"))?;
            tg.create_task(fail_on_cancel("Third"))?;
            sleep(50).await
        })
        .await
    });
    let e = common::raised(out);
    assert_eq!(names(&e), vec!["First", "Third"]);
}

#[test]
fn tg_4_a_cancelled_child_is_not_an_error() {
    let (out, _rec, _l) = run_loop(async {
        let sib: Rc<RefCell<Option<Task<i32>>>> = Rc::default();
        let s = sib.clone();
        let v = task_group(|tg| async move {
            let victim = tg.create_task(async { sleep(10).await })?;
            tg.create_task(async { Err::<(), _>(Exception::cancelled(None)) })?;
            *s.borrow_mut() = Some(tg.create_task(async {
                sleep(3).await?;
                Ok(3)
            })?);
            sleep(1).await?;
            victim.cancel();
            Ok("body")
        })
        .await?;
        let sib = sib.borrow().unwrap();
        Ok((v, sib.result()?, sib.cancelling()))
    });
    assert_eq!(out.unwrap(), ("body", 3, 0));
}

#[test]
fn tg_5_the_parent_cancellation_is_absorbed_and_replaced_by_the_group() {
    let (out, _rec, _l) = run_loop(async {
        let r = task_group(|tg| async move {
            tg.create_task(fail_after(1, "Bad"))?;
            sleep(5).await
        })
        .await;
        let me = current_task().unwrap();
        // Nothing is left of the group's own cancel request.
        let c = me.cancelling();
        sleep(1).await?;
        Ok((r, c))
    });
    let (r, c) = out.unwrap();
    let e = r.unwrap_err();
    assert!(e.is_group());
    assert_eq!(c, 0);
    drop(_l);

    // No error: nothing is raised, the body's value comes out.
    let (out, _rec, _l) = run_loop(async {
        task_group(|tg| async move {
            tg.create_task(async { sleep(1).await })?;
            Ok(5)
        })
        .await
    });
    assert_eq!(out.unwrap(), 5);
}

#[test]
fn tg_6_external_cancel_cancels_children_and_propagates() {
    let l = EventLoop::new();
    let kids: Rc<RefCell<Vec<Task<()>>>> = Rc::default();
    let k = kids.clone();
    let t: Task<()> = create_task(async move {
        task_group(|tg| async move {
            k.borrow_mut()
                .push(tg.create_task(async { sleep(100).await })?);
            k.borrow_mut().push(tg.create_task(async {
                // Slow cleanup: the group waits for it.
                if sleep(100).await.is_err() {
                    sleep(3).await?;
                }
                Ok(())
            })?);
            sleep(100).await
        })
        .await
    });
    let out = l.run_until_complete(async move {
        sleep(1).await?;
        t.cancel();
        let r = t.await;
        Ok((r, time()))
    });
    let (r, at) = out.unwrap();
    assert!(r.unwrap_err().is_cancelled());
    assert_eq!(at, 4, "it waited for the cleanup");
    assert!(t.cancelled());
    assert_eq!(t.cancelling(), 1);
    assert!(kids.borrow()[0].cancelled());
    assert!(kids.borrow()[1].done());
}

#[test]
fn tg_6_a_real_child_error_during_external_cancel_wins() {
    let l = EventLoop::new();
    let t: Task<()> = create_task(async {
        task_group(|tg| async move {
            tg.create_task(fail_on_cancel("C6"))?;
            sleep(100).await
        })
        .await
    });
    let out = l.run_until_complete(async move {
        sleep(1).await?;
        t.cancel();
        Ok(t.await)
    });
    let e = out.unwrap().unwrap_err();
    assert!(e.is_group());
    assert_eq!(names(&e), vec!["C6"]);
    assert!(!t.cancelled());
    assert_eq!(t.cancelling(), 1);
}

#[test]
fn tg_8_create_task_refused_after_finish_and_while_aborting() {
    let (out, _rec, _l) = run_loop(async {
        let kept: Rc<RefCell<Option<TaskGroup>>> = Rc::default();
        let k = kept.clone();
        let aborting_err: Rc<RefCell<Option<Exception>>> = Rc::default();
        let a = aborting_err.clone();
        task_group(|tg| async move {
            *k.borrow_mut() = Some(tg);
            Ok(())
        })
        .await?;
        let after = kept
            .borrow()
            .as_ref()
            .unwrap()
            .create_task(async { Ok(()) })
            .unwrap_err();
        let r = task_group(|tg| async move {
            tg.create_task(fail_after(0, "X"))?;
            match sleep(10).await {
                Err(e) if e.is_cancelled() => {
                    *a.borrow_mut() = tg.create_task(async { Ok(()) }).err();
                    Err(e)
                }
                other => other,
            }
        })
        .await;
        let during = aborting_err.borrow().clone().unwrap();
        Ok((after, during, r))
    });
    let (after, during, r) = out.unwrap();
    assert_eq!(after.ty(), &ExcType::Runtime);
    assert!(after.message().contains("is finished"), "{after:?}");
    assert_eq!(during.ty(), &ExcType::Runtime);
    assert!(during.message().contains("is shutting down"), "{during:?}");
    assert_eq!(names(&r.unwrap_err()), vec!["X"]);
}

/// TG-9: CPython aborts in set order; aiosim pins spawn order (graph-format 4.9), and the
/// errors raised by siblings during cancellation follow it.
#[test]
fn tg_9_abort_cancels_siblings_in_spawn_order() {
    let (out, rec, _l) = run_loop(async {
        task_group(|tg| async move {
            tg.create_task(fail_on_cancel("S1"))?;
            tg.create_task(fail_on_cancel("S2"))?;
            tg.create_task(fail_after(1, "Bad"))?;
            tg.create_task(fail_on_cancel("S4"))?;
            sleep(10).await
        })
        .await
    });
    let e = common::raised(out);
    assert_eq!(names(&e), vec!["Bad", "S1", "S2", "S4"]);
    assert_eq!(rec.cancel_order(), vec![1, 2, 4, 0]);
}

#[test]
fn tg_10_child_failing_after_the_body_leaks_a_cancel_request_3_12_1() {
    let (out, _rec, _l) = run_loop(async {
        let r = task_group(|tg| async move {
            tg.create_task(fail_after(1, "Late"))?;
            Ok(())
        })
        .await;
        Ok((r, current_task().unwrap().cancelling()))
    });
    let (r, c) = out.unwrap();
    assert_eq!(names(&r.unwrap_err()), vec!["Late"]);
    assert_eq!(c, 1, "3.12.1 leaks the count (fixed in 3.13)");
}

#[test]
fn tg_11_latency_from_the_last_child_is_two_iterations() {
    let l = EventLoop::new();
    let rec = Rec::install(&l);
    let rec2 = rec.clone();
    let out = l.run_until_complete(async move {
        task_group(|tg| async move {
            tg.create_task(async { sleep(1).await })?;
            Ok(())
        })
        .await?;
        Ok(rec2.it())
    });
    let after = out.unwrap();
    let k = rec.finished_in(1);
    assert_eq!(rec.first_internal("_on_task_done"), Some(k + 1));
    assert_eq!(after, k + 2);
}

/// TG-6 (CPython 3.12.1): a child already failed and the group is aborting when the parent
/// is cancelled from outside; the group still waits for a slow cleanup and raises the
/// `ExceptionGroup`; the parent is not cancelled and `cancelling()` stays 1.
#[test]
fn tg_6_external_cancel_while_already_aborting() {
    let l = EventLoop::new();
    let t: Task<()> = create_task(async {
        task_group(|tg| async move {
            tg.create_task(fail_after(1, "V"))?;
            tg.create_task(async {
                if let Err(e) = sleep(100).await {
                    sleep(3).await?;
                    return Err(e);
                }
                Ok(())
            })?;
            sleep(100).await
        })
        .await
    });
    let out = l.run_until_complete(async move {
        sleep(2).await?;
        t.cancel();
        Ok((t.await, time()))
    });
    let (r, at) = out.unwrap();
    assert_eq!(names(&r.unwrap_err()), vec!["V"]);
    assert_eq!(at, 4);
    assert!(!t.cancelled());
    assert_eq!(t.cancelling(), 1);
}

/// TG-2: only the first failure aborts; a second failing child does not cancel the parent
/// again.
#[test]
fn tg_2_a_second_failure_does_not_cancel_the_parent_again() {
    let (out, rec, _l) = run_loop(async {
        task_group(|tg| async move {
            tg.create_task(fail_after(1, "A"))?;
            tg.create_task(fail_after(1, "B"))?;
            sleep(10).await
        })
        .await
    });
    let e = common::raised(out);
    assert_eq!(names(&e), vec!["A", "B"]);
    // B was already finished when A's failure aborted: only the parent is cancelled, once.
    assert_eq!(rec.cancel_order(), vec![0]);
}
