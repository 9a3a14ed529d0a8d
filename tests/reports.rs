//! What reaches the loop's exception handler, when, and in which words: the reports CPython
//! makes through `call_exception_handler` (FUT-12, RUN-4) and the ones its garbage collector
//! makes for never-retrieved exceptions and tasks destroyed while pending.

mod common;

use std::cell::Cell;
use std::rc::Rc;

use aiosim::{
    EventLoop, Future, RunError, create_task, create_task_named, gather, sleep, task_group,
};
use common::{ErrorReports, Events, exc, run_one};

/// FUT-5: `cancel()` on a done future returns false and changes nothing else visible, but, as
/// in CPython (which clears the never-retrieved flag before it checks the state), the
/// exception no longer counts as never retrieved. The same holds for a task.
#[test]
fn fut_5_a_refused_cancel_marks_the_exception_retrieved() {
    let l = EventLoop::new();
    let reports = ErrorReports::install(&l);
    let cancelled: Future<i32> = l.create_future();
    cancelled.set_exception(exc("KeyError")).unwrap();
    assert!(!cancelled.as_ref().cancel());
    let ignored: Future<i32> = l.create_future();
    ignored.set_exception(exc("Unseen")).unwrap();
    let failed = create_task(async { Err::<i32, _>(exc("ValueError")) });
    let unread = create_task(async { Err::<i32, _>(exc("IndexError")) });
    run_one(&l);
    assert!(failed.done() && unread.done());
    assert!(!failed.cancel());
    l.close();
    let kept: Vec<(String, String)> = reports
        .all()
        .iter()
        .map(|r| {
            let ty = r.exception.as_ref().map(|e| e.type_name().to_string());
            (r.message.clone(), ty.unwrap_or_default())
        })
        .collect();
    assert_eq!(
        kept,
        vec![
            (
                "Future exception was never retrieved".to_string(),
                "Unseen".to_string()
            ),
            (
                "Task exception was never retrieved".to_string(),
                "IndexError".to_string()
            ),
        ]
    );
}

/// The outer future of `gather` reports under its CPython class name.
#[test]
fn an_unretrieved_gather_reports_as_gathering_future() {
    let l = EventLoop::new();
    let reports = ErrorReports::install(&l);
    let child = create_task(async { Err::<i32, _>(exc("ValueError")) });
    let outer = gather(&[child]);
    run_one(&l);
    run_one(&l);
    assert!(outer.as_ref().done());
    l.close();
    assert_eq!(
        reports.messages(),
        vec!["_GatheringFuture exception was never retrieved"]
    );
}

/// FUT-4: the `InvalidStateError` messages of CPython's default (C) futures.
#[test]
fn fut_4_pending_result_and_exception_name_what_is_not_set() {
    let l = EventLoop::new();
    let f: Future<i32> = l.create_future();
    let result = f.result().unwrap_err();
    assert_eq!(result.type_name(), "InvalidStateError");
    assert_eq!(result.msg().map(|m| &**m), Some("Result is not set."));
    let exception = f.as_ref().exception().unwrap_err();
    assert_eq!(exception.type_name(), "InvalidStateError");
    assert_eq!(exception.msg().map(|m| &**m), Some("Exception is not set."));
}

/// `run_until_complete(body)` wraps the body in a task that the caller never sees; CPython
/// turns off its destroyed-while-pending report, since the caller already got "Event loop
/// stopped before Future completed.". A task the caller created is still reported.
#[test]
fn the_task_run_until_complete_creates_is_not_reported_as_destroyed() {
    let l = Rc::new(EventLoop::new());
    let reports = ErrorReports::install(&l);
    let own = create_task(sleep(10));
    let stopper = Rc::downgrade(&l);
    l.call_soon(move || stopper.upgrade().unwrap().stop());
    let r = l.run_until_complete(async {
        sleep(5).await?;
        Ok(())
    });
    match r {
        Err(RunError::Raised(e)) => assert_eq!(
            e.msg().map(|m| &**m),
            Some("Event loop stopped before Future completed.")
        ),
        other => panic!("expected the early stop, got {other:?}"),
    }
    l.close();
    let reports = reports.all();
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert_eq!(reports[0].message, "Task was destroyed but it is pending!");
    assert_eq!(reports[0].task.as_deref(), Some(&*own.name()));
}

/// RUN-4 and `Runner.close`: the shutdown closes the loop even when a step fails (here a
/// leftover's cleanup stops the loop before the leftovers are done), so what is left pending
/// is reported.
#[test]
fn run_3_shutdown_closes_the_loop_when_a_step_fails() {
    let l = Rc::new(EventLoop::new());
    let reports = ErrorReports::install(&l);
    let stopper = Rc::downgrade(&l);
    l.run_until_complete(async move {
        create_task(async move {
            if sleep(100).await.is_err() {
                stopper.upgrade().unwrap().stop();
                sleep(1).await?;
            }
            Ok(())
        });
        sleep(1).await
    })
    .unwrap();
    let r = aiosim::runner::shutdown(&l);
    assert!(r.is_err(), "the stopped gather is an error: {r:?}");
    assert!(l.is_closed());
    assert_eq!(
        reports.messages(),
        vec!["Task was destroyed but it is pending!"]
    );
}

/// RUN-4: a leftover's error reaches the handler before the next shutdown step runs (CPython
/// calls the handler inside `_cancel_all_tasks`).
#[test]
fn run_4_a_leftover_error_is_handed_over_before_the_next_shutdown_step() {
    let l = Rc::new(EventLoop::new());
    let seen_at = Rc::new(Cell::new(None));
    let (at, observed) = (seen_at.clone(), Rc::downgrade(&l));
    l.set_exception_handler(move |_| at.set(Some(observed.upgrade().unwrap().iteration())));
    l.run_until_complete(async {
        create_task(async {
            match sleep(100).await {
                Err(_) => Err::<(), _>(exc("Late")),
                Ok(()) => Ok(()),
            }
        });
        sleep(1).await
    })
    .unwrap();
    let before = l.iteration();
    aiosim::runner::shutdown(&l).unwrap();
    // The leftovers are done in three iterations (the leftover's step, the gather's callback,
    // the stop); the two shutdown steps come after the handler, two iterations each.
    assert_eq!(seen_at.get(), Some(before + 3));
    assert_eq!(l.iteration(), before + 7);
}

/// FUT-12: while the loop runs, a report reaches the handler right after the handle that made
/// it, before the next handle of the same iteration.
#[test]
fn fut_12_a_report_is_handed_over_after_its_handle() {
    let l = EventLoop::new();
    let ev = Events::default();
    let e = ev.clone();
    l.set_exception_handler(move |r| e.push(format!("handler: {}", r.message)));
    create_task(async {
        std::future::pending::<()>().await;
        Ok(())
    });
    let e = ev.clone();
    l.call_soon(move || e.push("next handle"));
    run_one(&l);
    let got = ev.get();
    assert_eq!(got.len(), 2, "{got:?}");
    assert!(got[0].starts_with("handler: Task got bad yield"), "{got:?}");
    assert_eq!(got[1], "next handle");
}

/// TG-2, when there is no parent left to cancel: a child that fails after its group's parent
/// task finished (the group was left without being exited) is reported instead, naming both
/// tasks where CPython prints their reprs.
#[test]
fn tg_2_a_child_failing_after_its_parent_finished_is_reported_with_both_names() {
    let l = EventLoop::new();
    let reports = ErrorReports::install(&l);
    let parent = create_task_named("parent-1", async {
        let mut group = Box::pin(task_group(|tg| async move {
            tg.create_task(async {
                sleep(1).await?;
                Err::<(), _>(exc("Orphan"))
            })?;
            std::future::pending::<()>().await;
            Ok(())
        }));
        // Enter the group (its body spawns the child), then leave it without exiting it.
        std::future::poll_fn(|cx| {
            let _ = group.as_mut().poll(cx);
            std::task::Poll::Ready(())
        })
        .await;
        Ok("done")
    });
    l.run_until_complete(async {
        sleep(3).await?;
        Ok(())
    })
    .unwrap();
    assert_eq!(parent.result().unwrap(), "done");
    let reports = reports.all();
    assert_eq!(reports.len(), 1, "{reports:?}");
    let child = reports[0].task.clone().expect("the child is named");
    assert_eq!(
        reports[0].message,
        format!(
            "Task <Task finished name='{child}' exception=Orphan('Orphan')> has errored out but \
             its parent task <Task finished name='parent-1'> is already completed"
        )
    );
    assert_eq!(reports[0].exception.as_ref().unwrap().type_name(), "Orphan");
}
