//! TASK-*: task life cycle, results, names, misuse (asyncio-semantics 1.2). Cancellation
//! proper (TASK-5, 6, 9, 11..14) is in `cancel.rs`.

mod common;

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use aiosim::{
    EventLoop, ExcType, Exception, Future, RunError, State, Task, create_task, create_task_named,
    current_task, sleep,
};
use common::{Events, Rec, exc, run_loop, run_one};

#[test]
fn task_1_create_task_does_not_start_the_body_before_the_next_iteration() {
    let ev = Events::default();
    let e = ev.clone();
    let (out, rec, _l) = run_loop(async move {
        let e2 = e.clone();
        let child = create_task(async move {
            e2.push("child runs");
            Ok(())
        });
        e.push("created");
        // Awaiting done things does not suspend, so the child still has not run.
        let done: Future<()> = Future::new();
        done.set_result(()).unwrap();
        done.await?;
        e.push("still main");
        child.await?;
        Ok(child)
    });
    let child = out.unwrap();
    assert_eq!(ev.get(), vec!["created", "still main", "child runs"]);
    // The child's first step runs in the iteration after main's first step.
    assert_eq!(rec.runs_of(0)[0], 1);
    assert_eq!(rec.runs_of(child.as_ref().index())[0], 2);
}

#[test]
fn task_1_task_created_before_the_loop_runs_starts_in_the_first_iteration() {
    let l = EventLoop::new();
    let rec = Rec::install(&l);
    let ran = Rc::new(Cell::new(false));
    let r = ran.clone();
    let t = l.create_task(async move {
        r.set(true);
        Ok(1)
    });
    assert!(!ran.get());
    assert_eq!(l.run_until_done(t).unwrap(), 1);
    assert_eq!(rec.runs_of(0), vec![1]);
}

#[test]
fn task_2_outcomes_return_raise_and_cancelled_error_without_cancel() {
    let l = EventLoop::new();
    let ok = create_task(async { Ok(5) });
    let boom = exc("Boom");
    let b2 = boom.clone();
    let bad: Task<i32> = create_task(async move { Err(b2) });
    let selfcancel: Task<i32> =
        create_task(async { Err(Exception::cancelled(Some(Rc::from("own")))) });
    let sleeper = create_task(async {
        sleep(10).await?;
        Ok(0)
    });
    l.run_until_done(create_task(async move {
        sleep(1).await?;
        Ok(())
    }))
    .unwrap();

    assert_eq!(ok.as_ref().state(), State::Finished);
    assert!(!ok.cancelled());
    assert_eq!(ok.result().unwrap(), 5);

    assert_eq!(bad.as_ref().state(), State::Finished);
    assert!(!bad.cancelled());
    assert!(bad.exception().unwrap().unwrap().is_same(&boom));

    // TASK-2: raising CancelledError ends CANCELLED though nobody called cancel().
    assert_eq!(selfcancel.as_ref().state(), State::Cancelled);
    assert!(selfcancel.cancelled());
    assert_eq!(selfcancel.cancelling(), 0);

    assert!(!sleeper.done());
    assert!(!sleeper.cancelled());
}

#[test]
fn task_3_cancel_counts_on_pending_and_is_refused_when_done() {
    let l = EventLoop::new();
    let t = create_task(async {
        loop {
            if sleep(5).await.is_err() {
                return Ok(1);
            }
        }
    });
    run_one(&l);
    assert!(t.cancel());
    assert_eq!(t.cancelling(), 1);
    assert!(t.cancel());
    assert!(t.cancel_with("m"));
    assert_eq!(t.cancelling(), 3);
    assert_eq!(l.run_until_done(t).unwrap(), 1);
    // Done: False, count unchanged.
    assert!(!t.cancel());
    assert_eq!(t.cancelling(), 3);
}

#[test]
fn task_4_cancel_only_requests() {
    let l = EventLoop::new();
    let t = create_task(async {
        sleep(5).await?;
        Ok(())
    });
    l.run_until_done(create_task(async { Ok(()) })).unwrap();
    assert!(t.cancel());
    assert!(!t.cancelled());
    assert!(!t.done());
    assert_eq!(t.as_ref().state(), State::Pending);
    assert!(
        l.run_until_done(t)
            .unwrap_err()
            .exception()
            .unwrap()
            .is_cancelled()
    );
    assert!(t.cancelled());
}

#[test]
fn task_7_body_catches_cancellation_and_returns_a_value() {
    let l = EventLoop::new();
    let t = create_task(async {
        let r = sleep(5).await;
        assert!(r.unwrap_err().is_cancelled());
        // It keeps going: suspends again and then returns normally.
        sleep(1).await?;
        Ok("recovered")
    });
    let canceller = create_task(async move {
        sleep(1).await?;
        t.cancel();
        Ok(())
    });
    l.run_until_done(canceller).unwrap();
    assert_eq!(l.run_until_done(t).unwrap(), "recovered");
    assert_eq!(t.as_ref().state(), State::Finished);
    assert!(!t.cancelled());
    // TASK-7: the count is kept after the catch.
    assert_eq!(t.cancelling(), 1);

    // Or it raises something else.
    let other = exc("Other");
    let o2 = other.clone();
    let u: Task<()> = create_task(async move {
        match sleep(5).await {
            Err(e) if e.is_cancelled() => Err(o2),
            r => r,
        }
    });
    l.run_until_done(create_task(async { Ok(()) })).unwrap();
    u.cancel();
    let e = l.run_until_done(u).unwrap_err();
    assert!(e.exception().unwrap().is_same(&other));
    assert!(!u.cancelled());
}

#[test]
fn task_8_cancelled_before_first_step_never_runs_its_body() {
    let l = EventLoop::new();
    let rec = Rec::install(&l);
    let ran = Rc::new(Cell::new(false));
    let r = ran.clone();
    let caught = Rc::new(Cell::new(false));
    let c = caught.clone();
    let t = create_task(async move {
        r.set(true);
        if sleep(0).await.is_err() {
            c.set(true);
        }
        Ok(1)
    });
    assert!(t.cancel());
    let e = l.run_until_done(t).unwrap_err();
    assert!(e.exception().unwrap().is_cancelled());
    assert!(!ran.get(), "the body must never run");
    assert!(!caught.get());
    assert_eq!(rec.0.borrow().skipped, vec![0]);
    assert!(t.cancelled());
    // It ends at what would have been its first step: iteration 1, one step.
    assert_eq!(rec.runs_of(0), vec![1]);
    assert_eq!(rec.done_iteration(rec.fut_of(0)), Some(1));
}

#[test]
fn task_10_a_task_awaiting_itself_gets_runtime_error_next_iteration() {
    let l = EventLoop::new();
    let rec = Rec::install(&l);
    type Out = (Exception, u64, u64);
    let me: Rc<Cell<Option<Task<Out>>>> = Rc::new(Cell::new(None));
    let m = me.clone();
    let rec2 = rec.clone();
    let t = create_task(async move {
        let own = m.get().unwrap();
        let at = rec2.it();
        let r = own.await;
        Ok((r.unwrap_err(), at, rec2.it()))
    });
    me.set(Some(t));
    let (e, before, after) = l.run_until_done(t).unwrap();
    assert_eq!(e.ty(), &ExcType::Runtime);
    assert_eq!(
        e.message(),
        format!(
            "Task cannot await on itself: <Task pending name='{}'>",
            t.name()
        )
    );
    assert_eq!(after, before + 1);
    assert_eq!(rec.steps_of(0), 2);
}

#[test]
fn task_15_task_awaiting_a_future_whose_exception_is_cancelled_error_ends_cancelled() {
    let l = EventLoop::new();
    let f: Future<i32> = Future::new();
    let ce = Exception::cancelled(Some(Rc::from("inner")));
    let c2 = ce.clone();
    l.call_later(1, move || f.set_exception(c2).unwrap());
    let got = Rc::new(RefCell::new(None));
    let g2 = got.clone();
    let t = create_task(async move {
        let r = f.await;
        *g2.borrow_mut() = r.clone().err();
        r
    });
    let e = l.run_until_done(t).unwrap_err();
    assert!(got.borrow().as_ref().unwrap().is_same(&ce));
    assert!(e.exception().unwrap().is_cancelled());
    assert!(t.cancelled());
    assert!(!f.cancelled());
    assert_eq!(t.cancelling(), 0);
}

#[test]
fn task_16_every_awaiter_gets_the_same_exception_object() {
    let l = EventLoop::new();
    let boom = exc("Boom");
    let failing = common::failing(1, boom.clone());
    let a1 = create_task(async move { Ok(failing.await.unwrap_err()) });
    let a2 = create_task(async move { Ok(failing.await.unwrap_err()) });
    let e1 = l.run_until_done(a1).unwrap();
    let e2 = l.run_until_done(a2).unwrap();
    assert!(e1.is_same(&boom));
    assert!(e2.is_same(&boom));
    assert!(failing.result().unwrap_err().is_same(&boom));
    assert!(failing.exception().unwrap().unwrap().is_same(&boom));
}

/// TASK-18: a task never has two steps queued, even when completion of its waiter, a
/// forwarded cancel and must-cancel requests all happen in one iteration.
#[test]
fn task_18_at_most_one_step_queued_through_wakeup_and_cancel_races() {
    let l = EventLoop::new();
    let rec = Rec::install(&l);
    let f: Future<i32> = Future::new();
    let g: Future<i32> = Future::new();
    let t = create_task(async move {
        // Round 1: the waiter completes, then two cancels arrive before the wakeup runs.
        let r1 = f.await;
        // Round 2: a forwarded cancel, then a second cancel that falls through to
        // must-cancel.
        let r2 = g.await;
        // Round 3: a bare yield with a cancel while the step is queued.
        let r3 = sleep(0).await;
        Ok((r1.is_err(), r2.is_err(), r3.is_err()))
    });
    run_one(&l);
    f.set_result(1).unwrap();
    assert!(t.cancel());
    assert!(t.cancel());
    run_one(&l);
    assert!(t.cancel());
    assert!(g.cancelled());
    assert!(t.cancel());
    run_one(&l);
    assert!(t.cancel());
    run_one(&l);
    assert!(t.done());
    assert_eq!(t.result().unwrap(), (true, true, true));
    // 4 steps: start, wake after f, wake after g, after the bare yield.
    assert_eq!(rec.steps_of(0), 4);
    // Never two entries of the task in one iteration.
    for it in rec.0.borrow().iterations.iter() {
        let n = it
            .handles
            .iter()
            .filter(|h| {
                matches!(
                    h,
                    aiosim::HandleKind::Step { task: 0 }
                        | aiosim::HandleKind::Wakeup { task: 0, .. }
                )
            })
            .count();
        assert!(n <= 1, "iteration {} ran task 0 {n} times", it.n);
    }
    assert_eq!(t.cancelling(), 5);
}

/// TASK-19, nearest Rust equivalent: there is no `KeyboardInterrupt`; a panic in a body is
/// the "abort the run" the catalogue allows. It escapes `run_until_complete` at once, and
/// the thread can open a new loop afterwards.
#[test]
fn task_19_a_panicking_body_aborts_the_run() {
    let r = std::panic::catch_unwind(|| {
        let l = EventLoop::new();
        let _ = l.run_until_complete(async {
            sleep(1).await?;
            if time_is_one() {
                panic!("interrupt");
            }
            Ok(())
        });
    });
    assert!(r.is_err());
    let l = EventLoop::new();
    assert_eq!(l.run_until_complete(async { Ok(3) }).unwrap(), 3);
}

fn time_is_one() -> bool {
    aiosim::time() == 1
}

#[test]
fn task_20_default_names_count_every_task_of_the_loop() {
    let l = EventLoop::new();
    let names = l
        .run_until_complete(async {
            let main = current_task().unwrap().name();
            let a = create_task(async { Ok(()) });
            // A named task also takes a number (CPython 3.12 does the same).
            let b = create_task_named("worker", async { Ok(()) });
            let c = create_task(async { Ok(()) });
            c.as_ref().set_name("renamed");
            let d = create_task(async { Ok(()) });
            Ok(vec![main, a.name(), b.name(), c.name(), d.name()])
        })
        .unwrap();
    let names: Vec<&str> = names.iter().map(|s| &**s).collect();
    assert_eq!(
        names,
        vec!["Task-1", "Task-2", "worker", "renamed", "Task-5"]
    );
    // Runner-internal tasks take numbers too: the next run_until_complete is Task-6.
    let next = l
        .run_until_complete(async { Ok(current_task().unwrap().name()) })
        .unwrap();
    assert_eq!(&*next, "Task-6");
}

#[test]
fn task_2_run_until_complete_reports_a_cancelled_task_as_cancelled_error() {
    let l = EventLoop::new();
    let t: Task<()> = create_task(async {
        sleep(3).await?;
        Ok(())
    });
    t.cancel();
    match l.run_until_done(t) {
        Err(RunError::Raised(e)) => assert!(e.is_cancelled()),
        other => panic!("{other:?}"),
    }
}

/// A guard that logs when it is dropped.
struct DropLog(Events, &'static str);

impl Drop for DropLog {
    fn drop(&mut self) {
        self.0.push(self.1);
    }
}

/// A body that finishes at its first step and keeps its guard until the body itself is
/// dropped (an `async` block would drop it on returning).
struct Finishing {
    value: u32,
    _guard: DropLog,
}

impl std::future::Future for Finishing {
    type Output = Result<u32, Exception>;

    fn poll(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        std::task::Poll::Ready(Ok(self.value))
    }
}

/// A finished task's body is dropped as its step ends, before its done-callbacks run (they
/// are queued for the next iteration), also when later tasks reuse the body's storage; each
/// of those starts from its own state.
#[test]
fn task_2_a_finished_body_is_dropped_when_its_task_finishes() {
    let ev = Events::default();
    let l = EventLoop::new();
    let mut results = Vec::new();
    for (value, label) in [
        (1, "first dropped"),
        (2, "second dropped"),
        (3, "third dropped"),
    ] {
        let t = create_task(Finishing {
            value,
            _guard: DropLog(ev.clone(), label),
        });
        let e = ev.clone();
        t.as_future()
            .add_done_callback(&aiosim::DoneCallback::new(move |_| e.push("callback")));
        results.push(l.run_until_done(t).unwrap());
    }
    assert_eq!(results, vec![1, 2, 3]);
    assert_eq!(
        ev.get(),
        vec![
            "first dropped",
            "callback",
            "second dropped",
            "callback",
            "third dropped",
            "callback"
        ]
    );
}
