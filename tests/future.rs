//! FUT-*: plain futures (asyncio-semantics 1.1).

mod common;

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use aiosim::{
    DoneCallback, EventLoop, ExcType, Exception, Future, FutureRef, HandleKind, State, create_task,
};
use common::{ErrorReports, Events, Rec, exc, run_one};

fn counting_cb(events: &Events, label: &'static str) -> DoneCallback {
    let events = events.clone();
    DoneCallback::new(move |_| events.push(label))
}

#[test]
fn fut_1_starts_pending_and_changes_state_at_most_once() {
    let l = EventLoop::new();
    let f: Future<i32> = l.create_future();
    assert_eq!(f.as_ref().state(), State::Pending);
    assert!(!f.done());
    assert!(!f.cancelled());

    f.set_result(1).unwrap();
    assert_eq!(f.as_ref().state(), State::Finished);
    assert!(f.done());
    assert!(!f.cancelled());
    // FUT-1: no second transition, neither to another result nor to CANCELLED.
    assert!(f.set_result(2).is_err());
    assert!(!f.cancel());
    assert_eq!(f.as_ref().state(), State::Finished);
    assert_eq!(f.result().unwrap(), 1);

    let g: Future<i32> = l.create_future();
    assert!(g.cancel());
    assert_eq!(g.as_ref().state(), State::Cancelled);
    assert!(g.done());
    assert!(g.cancelled());
    assert!(g.set_result(3).is_err());
    assert_eq!(g.as_ref().state(), State::Cancelled);

    let h: Future<i32> = l.create_future();
    h.set_exception(exc("Boom")).unwrap();
    assert_eq!(h.as_ref().state(), State::Finished);
    assert!(h.done());
    assert!(!h.cancelled());
    assert!(!h.cancel());
    assert_eq!(h.as_ref().state(), State::Finished);
}

#[test]
fn fut_2_cancelled_error_as_exception_is_not_cancelled() {
    let l = EventLoop::new();
    let f: Future<i32> = l.create_future();
    let ce = Exception::cancelled(Some(Rc::from("as-exception")));
    f.set_exception(ce.clone()).unwrap();
    // FUT-2: FINISHED holding a CancelledError: not cancelled(), exception() returns it.
    assert_eq!(f.as_ref().state(), State::Finished);
    assert!(!f.cancelled());
    let got = f.exception().unwrap().expect("an exception");
    assert!(got.is_same(&ce));
    assert!(f.result().unwrap_err().is_same(&ce));

    // FUT-2 / TASK-15: awaiting it raises that very error, and a task letting it escape ends
    // CANCELLED.
    let seen = Rc::new(RefCell::new(None));
    let seen2 = seen.clone();
    let t = create_task(async move {
        let r = f.await;
        *seen2.borrow_mut() = Some(r.clone());
        r
    });
    let out = l.run_until_done(t);
    let awaited = seen.borrow().clone().unwrap().unwrap_err();
    assert!(awaited.is_same(&ce));
    assert!(out.is_err());
    assert!(t.cancelled());
    assert_eq!(t.as_ref().state(), State::Cancelled);
}

#[test]
fn fut_3_completing_a_done_future_is_invalid_state_and_changes_nothing() {
    let l = EventLoop::new();
    let ev = Events::default();
    let f: Future<i32> = l.create_future();
    f.add_done_callback(&counting_cb(&ev, "cb"));
    f.set_result(7).unwrap();
    let e1 = f.set_result(8).unwrap_err();
    assert_eq!(e1.ty(), &ExcType::InvalidState);
    let e2 = f.set_exception(exc("Late")).unwrap_err();
    assert_eq!(e2.ty(), &ExcType::InvalidState);
    assert_eq!(f.result().unwrap(), 7);
    assert!(f.exception().unwrap().is_none());
    run_one(&l);
    run_one(&l);
    // Nothing was scheduled twice.
    assert_eq!(ev.get(), vec!["cb"]);

    let c: Future<i32> = l.create_future();
    c.cancel_with("first");
    assert_eq!(c.set_result(1).unwrap_err().ty(), &ExcType::InvalidState);
    assert_eq!(
        c.set_exception(exc("X")).unwrap_err().ty(),
        &ExcType::InvalidState
    );
    assert!(c.cancelled());
    assert_eq!(c.as_ref().cancel_message().as_deref(), Some("first"));

    let x: Future<i32> = l.create_future();
    let boom = exc("Boom");
    x.set_exception(boom.clone()).unwrap();
    assert_eq!(x.set_result(1).unwrap_err().ty(), &ExcType::InvalidState);
    assert!(x.exception().unwrap().unwrap().is_same(&boom));
}

#[test]
fn fut_4_result_and_exception_in_every_state() {
    let l = EventLoop::new();
    let f: Future<i32> = l.create_future();
    // Pending: InvalidStateError from both.
    assert_eq!(f.result().unwrap_err().ty(), &ExcType::InvalidState);
    assert_eq!(f.exception().unwrap_err().ty(), &ExcType::InvalidState);

    f.set_result(5).unwrap();
    assert_eq!(f.result().unwrap(), 5);
    assert!(f.exception().unwrap().is_none());

    // An exception: the same object every time.
    let g: Future<i32> = l.create_future();
    let boom = exc("Boom");
    g.set_exception(boom.clone()).unwrap();
    for _ in 0..3 {
        assert!(g.result().unwrap_err().is_same(&boom));
        assert!(g.exception().unwrap().unwrap().is_same(&boom));
    }

    // Cancelled: CancelledError from both.
    let h: Future<i32> = l.create_future();
    h.cancel();
    assert!(h.result().unwrap_err().is_cancelled());
    assert!(h.exception().unwrap_err().is_cancelled());
}

#[test]
fn fut_5_cancel_pending_records_message_and_schedules_callbacks() {
    let l = EventLoop::new();
    let ev = Events::default();
    let f: Future<i32> = l.create_future();
    f.add_done_callback(&counting_cb(&ev, "cb"));
    assert!(f.cancel_with("why"));
    assert!(f.cancelled());
    assert_eq!(f.as_ref().cancel_message().as_deref(), Some("why"));
    assert!(ev.get().is_empty(), "scheduled, not run inline");
    run_one(&l);
    assert_eq!(ev.get(), vec!["cb"]);

    // On a done future: False, and nothing happens (message kept, no callback rescheduled).
    assert!(!f.cancel_with("again"));
    assert_eq!(f.as_ref().cancel_message().as_deref(), Some("why"));
    let g: Future<i32> = l.create_future();
    g.set_result(1).unwrap();
    g.add_done_callback(&counting_cb(&ev, "g"));
    run_one(&l);
    assert!(!g.cancel());
    run_one(&l);
    assert_eq!(g.result().unwrap(), 1);
    assert_eq!(ev.get(), vec!["cb", "g"]);
}

#[test]
fn fut_7_completion_queues_each_callback_once_in_registration_order() {
    for how in ["result", "exception", "cancel"] {
        let l = EventLoop::new();
        let rec = Rec::install(&l);
        let ev = Events::default();
        let f: Future<i32> = l.create_future();
        let received = Rc::new(RefCell::new(Vec::<FutureRef>::new()));
        for label in ["a", "b", "c"] {
            let ev = ev.clone();
            let received = received.clone();
            f.add_done_callback(&DoneCallback::new(move |fr| {
                received.borrow_mut().push(fr);
                ev.push(label);
            }));
        }
        match how {
            "result" => f.set_result(1).unwrap(),
            "exception" => f.set_exception(exc("E")).unwrap(),
            _ => assert!(f.cancel()),
        }
        // FUT-7: never synchronously.
        assert!(ev.get().is_empty());
        run_one(&l);
        assert_eq!(ev.get(), vec!["a", "b", "c"], "{how}");
        assert!(received.borrow().iter().all(|r| *r == f.as_ref()));
        // Exactly three ready entries, one per callback, all in the first iteration.
        let log = rec.0.borrow();
        assert_eq!(log.iterations.len(), 1);
        assert_eq!(log.iterations[0].batch, 3);
        assert!(
            log.iterations[0]
                .handles
                .iter()
                .all(|h| matches!(h, HandleKind::UserDone { .. }))
        );
        drop(log);
        run_one(&l);
        assert_eq!(ev.get().len(), 3, "each callback runs exactly once");
    }
}

#[test]
fn fut_8_callback_on_done_future_is_queued_behind_queued_work() {
    let l = EventLoop::new();
    let ev = Events::default();
    let f: Future<i32> = l.create_future();
    f.set_result(1).unwrap();
    let e = ev.clone();
    l.call_soon(move || e.push("soon"));
    f.add_done_callback(&counting_cb(&ev, "cb"));
    // FUT-8: not inline.
    assert!(ev.get().is_empty());
    run_one(&l);
    assert_eq!(ev.get(), vec!["soon", "cb"]);
}

#[test]
fn fut_9_remove_done_callback_removes_every_registration() {
    let l = EventLoop::new();
    let ev = Events::default();
    let f: Future<i32> = l.create_future();
    let cb = counting_cb(&ev, "dup");
    let other = counting_cb(&ev, "other");
    f.add_done_callback(&cb);
    f.add_done_callback(&other);
    f.add_done_callback(&cb.clone());
    assert_eq!(f.remove_done_callback(&cb), 2);
    assert_eq!(f.remove_done_callback(&cb), 0);
    f.set_result(1).unwrap();
    run_one(&l);
    assert_eq!(ev.get(), vec!["other"]);

    // On a done future: 0, and the callbacks completion already scheduled still run.
    let g: Future<i32> = l.create_future();
    let late = counting_cb(&ev, "late");
    g.add_done_callback(&late);
    g.set_result(1).unwrap();
    assert_eq!(g.remove_done_callback(&late), 0);
    run_one(&l);
    assert_eq!(ev.get(), vec!["other", "late"]);
}

/// FUT-9: a removed registration lets go of its callback at once.
#[test]
fn fut_9_a_removed_callback_is_released() {
    let l = EventLoop::new();
    let token = Rc::new(());
    let held = token.clone();
    let cb = DoneCallback::new(move |_| {
        let _ = &held;
    });
    let f: Future<i32> = l.create_future();
    f.add_done_callback(&cb);
    f.add_done_callback(&cb);
    assert_eq!(f.remove_done_callback(&cb), 2);
    drop(cb);
    assert_eq!(
        Rc::strong_count(&token),
        1,
        "nothing keeps the removed callback"
    );
    l.close();
}

/// LOOP-8: closing the loop drops what was queued; the callbacks it never ran are released
/// then, not later.
#[test]
fn closing_the_loop_releases_the_callbacks_it_never_ran() {
    let l = EventLoop::new();
    let token = Rc::new(());
    let held = token.clone();
    let f: Future<i32> = l.create_future();
    f.add_done_callback(&DoneCallback::new(move |_| {
        let _ = &held;
    }));
    f.set_result(1).unwrap();
    assert_eq!(
        Rc::strong_count(&token),
        2,
        "the queued callback keeps its closure"
    );
    l.close();
    assert_eq!(Rc::strong_count(&token), 1, "closing released it");
}

#[test]
fn fut_10_cancelled_plain_future_raises_its_message_on_every_call() {
    let l = EventLoop::new();
    let f: Future<i32> = l.create_future();
    f.cancel_with("m");
    for _ in 0..3 {
        let r = f.result().unwrap_err();
        assert!(r.is_cancelled());
        assert_eq!(r.msg().map(|m| &**m), Some("m"));
        let e = f.exception().unwrap_err();
        assert!(e.is_cancelled());
        assert_eq!(e.msg().map(|m| &**m), Some("m"));
    }
    // No message: CancelledError() with no argument, every time.
    let g: Future<i32> = l.create_future();
    g.cancel();
    for _ in 0..2 {
        let r = g.result().unwrap_err();
        assert!(r.is_cancelled());
        assert_eq!(r.msg(), None);
    }
}

#[test]
fn fut_11_awaiting_done_future_does_not_suspend_pending_suspends_once() {
    let l = EventLoop::new();
    let rec = Rec::install(&l);
    let done: Future<i32> = l.create_future();
    done.set_result(3).unwrap();
    let t = create_task(async move {
        let a = done.await?;
        let b = done.await?;
        Ok(a + b)
    });
    assert_eq!(l.run_until_done(t).unwrap(), 6);
    // FUT-11: one step only, the whole body ran without suspending.
    assert_eq!(rec.steps_of(0), 1);

    let pending: Future<i32> = l.create_future();
    let done_on_resume = Rc::new(Cell::new(false));
    let d2 = done_on_resume.clone();
    let rec2 = rec.clone();
    let t2 = create_task(async move {
        let v = pending.await?;
        d2.set(pending.done());
        Ok((v, rec2.it()))
    });
    let set_at = Rc::new(Cell::new(0));
    let s2 = set_at.clone();
    let rec3 = rec.clone();
    l.call_later(4, move || {
        s2.set(rec3.it());
        pending.set_result(10).unwrap();
    });
    let (v, resumed_at) = l.run_until_done(t2).unwrap();
    assert_eq!(v, 10);
    assert!(done_on_resume.get());
    // Suspended exactly once: two steps, the second in the iteration after set_result.
    assert_eq!(rec.steps_of(t2.as_ref().index()), 2);
    assert_eq!(resumed_at, set_at.get() + 1);
}

/// FUT-12, nearest Rust equivalent. Rust callbacks return `()`, so they cannot raise; the
/// error a handle can hit is a task step failing on misuse (a foreign await). That error goes
/// to the loop's exception handler, and the remaining handles of the iteration still run.
#[test]
fn fut_12_error_in_a_handle_goes_to_the_handler_and_the_iteration_goes_on() {
    let l = EventLoop::new();
    let reports = ErrorReports::install(&l);
    let ev = Events::default();
    let e1 = ev.clone();
    let bad = create_task(async move {
        std::future::pending::<()>().await;
        Ok(())
    });
    l.call_soon(move || e1.push("after-bad"));
    let e2 = ev.clone();
    let f: Future<i32> = l.create_future();
    f.set_result(1).unwrap();
    f.add_done_callback(&DoneCallback::new(move |_| e2.push("done-cb")));
    run_one(&l);
    assert_eq!(ev.get(), vec!["after-bad", "done-cb"]);
    // As with CPython's bad yield, the error ends the task at its next step.
    assert!(!bad.done());
    run_one(&l);
    assert!(bad.done());
    let reports = reports.all();
    assert_eq!(reports.len(), 1);
    assert_eq!(
        reports[0].exception.as_ref().unwrap().ty(),
        &ExcType::Runtime
    );
}
