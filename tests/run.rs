//! RUN-*: `asyncio.run` and its shutdown (asyncio-semantics 1.12, 2.10).

mod common;

use std::cell::Cell;
use std::panic::AssertUnwindSafe;
use std::rc::Rc;

use aiosim::{EventLoop, HandleKind, RunError, create_task, current_task, run, sleep, time};
use common::{ErrorReports, Events, exc, run_traced};

#[test]
fn run_1_main_runs_as_task_1_and_its_result_is_returned() {
    let out = run(async {
        let me = current_task().unwrap();
        Ok((me.name().to_string(), me.index()))
    });
    assert_eq!(out.unwrap(), ("Task-1".to_string(), 0));
}

#[test]
fn run_1_main_exception_is_raised_after_shutdown() {
    let ev = Events::default();
    let e = ev.clone();
    let boom = exc("Boom");
    let b = boom.clone();
    let out: Result<(), RunError> = run(async move {
        let e2 = e.clone();
        create_task(async move {
            if sleep(100).await.is_err() {
                e2.push("leftover cleaned up");
            }
            Ok(())
        });
        sleep(1).await?;
        Err(b)
    });
    let e = common::raised(out);
    assert!(e.is_same(&boom));
    assert_eq!(ev.get(), vec!["leftover cleaned up"]);
}

/// RUN-1, nearest Rust equivalent: `asyncio.run` inside a running loop is a `RuntimeError`;
/// here opening a second loop on the thread panics, and the running loop is unharmed.
#[test]
fn run_1_run_inside_a_running_loop_is_refused() {
    let out = run(async {
        let nested = std::panic::catch_unwind(AssertUnwindSafe(|| run(async { Ok(1) })));
        assert!(nested.is_err());
        sleep(1).await?;
        Ok(time())
    });
    assert_eq!(out.unwrap(), 1);
}

#[test]
fn run_2_a_task_spawned_just_before_main_returns_gets_its_first_step() {
    let started = Rc::new(Cell::new(false));
    let s = started.clone();
    let (out, rec) = run_traced(async move {
        sleep(1).await?;
        create_task(async move {
            s.set(true);
            sleep(100).await
        });
        Ok(())
    });
    out.unwrap();
    assert!(started.get());
    // main's last step at k; at k+1 the child's first step runs, then the stop callback.
    let k = *rec.runs_of(0).last().unwrap();
    let log = rec.0.borrow();
    let it = &log.iterations[k as usize];
    assert!(matches!(
        it.handles[..],
        [HandleKind::Step { task: 1 }, HandleKind::Stop]
    ));
}

#[test]
fn run_3_leftovers_are_cancelled_once_and_awaited_with_time_moving_on() {
    let ev = Events::default();
    let e = ev.clone();
    let (out, rec) = run_traced(async move {
        for name in ["a", "b"] {
            let e = e.clone();
            create_task(async move {
                if let Err(c) = sleep(100).await {
                    // Cleanup that awaits: virtual time moves on during shutdown.
                    sleep(5).await?;
                    e.push(format!("{name} cleaned at {} msg={:?}", time(), c.msg()));
                    let me = current_task().unwrap();
                    e.push(format!("{name} cancelling={}", me.cancelling()));
                    return Err(c);
                }
                Ok(())
            });
        }
        sleep(1).await?;
        Ok(())
    });
    out.unwrap();
    assert_eq!(
        ev.get(),
        vec![
            "a cleaned at 6 msg=None",
            "a cancelling=1",
            "b cleaned at 6 msg=None",
            "b cancelling=1",
        ]
    );
    assert_eq!(rec.cancel_order(), vec![1, 2]);
}

#[test]
fn run_3_leftovers_are_cancelled_also_when_main_raised() {
    let cleaned = Rc::new(Cell::new(false));
    let c = cleaned.clone();
    let out: Result<(), RunError> = run(async move {
        create_task(async move {
            let r = sleep(100).await;
            c.set(r.is_err());
            r
        });
        sleep(1).await?;
        Err(exc("MainFailed"))
    });
    assert_eq!(common::raised(out).type_name(), "MainFailed");
    assert!(cleaned.get());
}

#[test]
fn run_4_leftover_errors_go_to_the_exception_handler_not_the_caller() {
    // Through `run`: the caller gets main's result.
    let out = run(async {
        create_task(async {
            sleep(100).await?;
            Ok(())
        });
        create_task(async {
            match sleep(100).await {
                Err(_) => Err::<(), _>(exc("DuringShutdown")),
                Ok(()) => Ok(()),
            }
        });
        sleep(1).await?;
        Ok("main")
    });
    assert_eq!(out.unwrap(), "main");

    // The same shutdown on a loop with a handler: the error is reported there.
    let l = EventLoop::new();
    let reports = ErrorReports::install(&l);
    l.run_until_complete(async {
        create_task(async {
            match sleep(100).await {
                Err(_) => Err::<(), _>(exc("DuringShutdown")),
                Ok(()) => Ok(()),
            }
        });
        sleep(1).await
    })
    .unwrap();
    aiosim::runner::shutdown(&l).unwrap();
    let reports = reports.all();
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert_eq!(
        reports[0].exception.as_ref().unwrap().type_name(),
        "DuringShutdown"
    );
}

#[test]
fn run_5_tasks_created_during_shutdown_are_not_cancelled_and_are_discarded() {
    let l = EventLoop::new();
    let reports = ErrorReports::install(&l);
    let finished = Rc::new(Cell::new(false));
    let cancelled = Rc::new(Cell::new(false));
    let (f, c) = (finished.clone(), cancelled.clone());
    l.run_until_complete(async move {
        create_task(async move {
            let r = sleep(100).await;
            // Spawned during shutdown: neither cancelled nor awaited.
            create_task(async move {
                let s = sleep(50).await;
                c.set(s.is_err());
                f.set(true);
                s
            });
            r
        });
        sleep(1).await
    })
    .unwrap();
    aiosim::runner::shutdown(&l).unwrap();
    assert!(
        !finished.get(),
        "its body was discarded, not run to the end"
    );
    assert!(!cancelled.get());
    assert_eq!(
        reports.messages(),
        vec!["Task was destroyed but it is pending!"]
    );
}

/// RUN-6: CPython cancels leftovers in set order; aiosim pins spawn order (graph-format 4.9).
#[test]
fn run_6_leftovers_are_cancelled_in_spawn_order() {
    let (out, rec) = run_traced(async {
        let ts: Vec<_> = (0..4).map(|_| create_task(sleep(100))).collect();
        // Spawn order is not completion or sleep order.
        ts[2].cancel();
        sleep(1).await
    });
    out.unwrap();
    assert_eq!(rec.cancel_order(), vec![3, 1, 2, 4]);
}

#[test]
fn run_7_two_more_run_until_complete_calls_of_two_iterations_each() {
    let (out, rec) = run_traced(async { Ok(()) });
    out.unwrap();
    assert_eq!(
        rec.trace(&["main"]),
        vec![
            "1 (0): main.step",
            "2 (0): stop",
            "3 (0): Task-2.step",
            "4 (0): stop",
            "5 (0): Task-3.step",
            "6 (0): stop",
        ]
    );
}
