//! Cancellation of tasks: TASK-5, 6, 9, 11, 12, 13, 14 and the latencies of
//! asyncio-semantics 2.9.

mod common;

use std::cell::Cell;
use std::rc::Rc;

use aiosim::{
    EventLoop, Exception, Future, Task, create_task, current_task, gather,
    gather_return_exceptions, sleep,
};
use common::{Events, Rec, failing, msg_of, run_loop, run_one};

/// Cancels `t` with message "a", then with "b", runs it to its end and returns the message
/// of the `CancelledError` it ends with: the message that won.
fn winning_cancel_message(l: &EventLoop, t: Task<()>) -> Option<String> {
    t.cancel_with("a");
    t.cancel_with("b");
    let e = l.run_until_done(t).unwrap_err();
    msg_of(e.exception().unwrap())
}

#[test]
fn task_5_cancel_forwards_to_the_waiter_and_error_comes_out_next_iteration() {
    let l = EventLoop::new();
    let rec = Rec::install(&l);
    let f: Future<i32> = Future::new();
    let rec2 = rec.clone();
    let t = create_task(async move {
        let e = f.await.unwrap_err();
        Ok((msg_of(&e), rec2.it()))
    });
    run_one(&l);
    assert!(t.cancel_with("m"));
    // Forwarded: the waiter is cancelled at once, with the message.
    assert!(f.cancelled());
    assert_eq!(f.as_ref().cancel_message().as_deref(), Some("m"));
    let cancelled_in = rec.it();
    let (m, resumed) = l.run_until_done(t).unwrap();
    assert_eq!(m.as_deref(), Some("m"));
    // [F] next iteration.
    assert_eq!(resumed, cancelled_in + 1);
}

#[test]
fn task_5_must_cancel_discards_a_result_already_set_on_the_waiter() {
    let l = EventLoop::new();
    let f: Future<i32> = Future::new();
    let t = create_task(async move { Ok(f.await) });
    run_one(&l);
    f.set_result(42).unwrap();
    // The waiter is done but the task has not resumed: must-cancel.
    assert!(t.cancel_with("late"));
    assert!(!f.cancelled());
    let r = l.run_until_done(t).unwrap();
    let e = r.unwrap_err();
    assert!(e.is_cancelled(), "the result 42 must be discarded");
    assert_eq!(msg_of(&e).as_deref(), Some("late"));
    assert_eq!(f.result().unwrap(), 42);
}

#[test]
fn task_5_scheduled_task_gets_cancelled_error_at_its_queued_step_with_no_extra_iteration() {
    let l = EventLoop::new();
    let rec = Rec::install(&l);
    let rec2 = rec.clone();
    let t = create_task(async move {
        let r = sleep(0).await;
        Ok((r.unwrap_err().is_cancelled(), rec2.it()))
    });
    run_one(&l); // first step: bare yield, next step queued for iteration 2
    assert!(t.cancel());
    let (was_cancelled, at) = l.run_until_done(t).unwrap();
    assert!(was_cancelled);
    assert_eq!(at, 2, "2.9: must-cancel costs 0 extra iterations");
    assert_eq!(rec.steps_of(0), 2);
}

/// 2.9: chain T → U → F; `T.cancel()` cancels U and F synchronously; U resumes at k+1 and
/// ends cancelled; T resumes at k+2.
#[test]
fn task_5_cancel_travels_down_a_chain_one_iteration_per_level() {
    let l = EventLoop::new();
    let rec = Rec::install(&l);
    let f: Future<i32> = Future::new();
    let u = create_task(async move { f.await });
    let rec2 = rec.clone();
    let t = create_task(async move {
        let r = u.await;
        Ok((r.unwrap_err().is_cancelled(), rec2.it()))
    });
    run_one(&l);
    run_one(&l);
    let k = rec.it() + 1; // the canceller runs in the next iteration
    let rec3 = rec.clone();
    let at_cancel = Rc::new(Cell::new(0));
    let a2 = at_cancel.clone();
    l.call_soon(move || {
        a2.set(rec3.it());
        assert!(t.cancel());
        assert!(u.as_ref().cancelling() == 1);
        assert!(f.cancelled(), "cancelled synchronously along the chain");
        assert!(!u.done());
    });
    let (cancelled, t_resumed) = l.run_until_done(t).unwrap();
    assert_eq!(at_cancel.get(), k);
    assert!(cancelled);
    assert_eq!(rec.runs_of(u.as_ref().index()).last(), Some(&(k + 1)));
    assert!(u.cancelled());
    assert_eq!(t_resumed, k + 2);
    assert!(!t.cancelled(), "T caught the error and returned");
}

#[test]
fn task_6_pending_cancel_is_not_delivered_by_non_suspending_awaits() {
    let ev = Events::default();
    let e = ev.clone();
    let (out, _rec, _l) = run_loop(async move {
        current_task().unwrap().cancel();
        let done: Future<i32> = Future::new();
        done.set_result(1).unwrap();
        e.push(format!("done future: {:?}", done.await.is_ok()));
        async fn no_suspend() -> Result<i32, Exception> {
            Ok(2)
        }
        e.push(format!("coroutine: {:?}", no_suspend().await.is_ok()));
        let empty: Vec<Task<i32>> = Vec::new();
        e.push(format!("gather(): {:?}", gather(&empty).await.is_ok()));
        // The first real suspension delivers it.
        let r = sleep(0).await;
        e.push(format!(
            "sleep(0) cancelled: {}",
            r.unwrap_err().is_cancelled()
        ));
        Ok(())
    });
    out.unwrap();
    assert_eq!(
        ev.get(),
        vec![
            "done future: true",
            "coroutine: true",
            "gather(): true",
            "sleep(0) cancelled: true",
        ]
    );
}

#[test]
fn task_9_self_cancel_then_return_ends_cancelled_and_drops_the_value() {
    let l = EventLoop::new();
    let t = create_task(async {
        current_task().unwrap().cancel_with("self");
        Ok(99)
    });
    let e = l.run_until_done(t).unwrap_err();
    assert!(t.cancelled());
    assert!(e.exception().unwrap().is_cancelled());
    assert_eq!(msg_of(e.exception().unwrap()).as_deref(), Some("self"));
}

#[test]
fn task_9_self_cancel_then_suspend_cancels_the_future_at_once() {
    let l = EventLoop::new();
    let rec = Rec::install(&l);
    let f: Future<i32> = Future::new();
    let rec2 = rec.clone();
    let t = create_task(async move {
        current_task().unwrap().cancel();
        let at = rec2.it();
        let r = f.await;
        Ok((r.unwrap_err().is_cancelled(), at, rec2.it()))
    });
    run_one(&l);
    // Right after the step that suspended: the future is already cancelled.
    assert!(f.cancelled());
    let (cancelled, at, resumed) = l.run_until_done(t).unwrap();
    assert!(cancelled);
    assert_eq!(resumed, at + 1);
    assert!(!t.cancelled(), "it caught the error and returned");
}

#[test]
fn task_11_uncancel_never_goes_below_zero_and_returns_the_count() {
    let l = EventLoop::new();
    let t = create_task(async {
        let first = sleep(5).await;
        let second = sleep(5).await;
        Ok((first.is_err(), second.is_err()))
    });
    run_one(&l);
    assert_eq!(t.uncancel(), 0);
    t.cancel();
    t.cancel();
    assert_eq!(t.cancelling(), 2);
    assert_eq!(t.uncancel(), 1);
    assert_eq!(t.uncancel(), 0);
    assert_eq!(t.uncancel(), 0);
    assert_eq!(t.cancelling(), 0);
    // A cancellation already forwarded to the waiter cannot be withdrawn: the sleep raised.
    assert_eq!(l.run_until_done(t).unwrap(), (true, false));
}

#[test]
fn task_11_uncancel_does_not_withdraw_must_cancel_in_3_12() {
    let l = EventLoop::new();
    let ran = Rc::new(Cell::new(false));
    let r = ran.clone();
    let t = create_task(async move {
        r.set(true);
        Ok(())
    });
    t.cancel();
    assert_eq!(t.uncancel(), 0);
    let e = l.run_until_done(t).unwrap_err();
    assert!(e.exception().unwrap().is_cancelled());
    assert!(
        t.cancelled(),
        "still doomed after uncancel() brought the count to 0"
    );
    assert!(!ran.get());
    assert_eq!(t.cancelling(), 0);
}

#[test]
fn task_11_forwarded_cancel_cannot_be_withdrawn_and_count_survives_the_end() {
    let l = EventLoop::new();
    let f: Future<i32> = Future::new();
    let t = create_task(async move { f.await });
    run_one(&l);
    t.cancel();
    assert!(f.cancelled());
    assert_eq!(t.uncancel(), 0);
    assert!(l.run_until_done(t).is_err());
    assert!(t.cancelled());
    // The count is not reset when the task ends.
    let u = create_task(async { sleep(1).await });
    run_one(&l);
    u.cancel();
    u.cancel();
    assert!(l.run_until_done(u).is_err());
    assert_eq!(u.cancelling(), 2);
}

#[test]
fn task_12_cancellation_is_lost_when_the_awaited_task_swallows_it() {
    let l = EventLoop::new();
    let u = create_task(async {
        match sleep(10).await {
            Err(e) if e.is_cancelled() => Ok("swallowed"),
            _ => Ok("slept"),
        }
    });
    let t = create_task(async move { u.await });
    run_one(&l);
    run_one(&l);
    assert!(t.cancel());
    assert_eq!(u.cancelling(), 1, "T.cancel() cancelled U");
    assert_eq!(l.run_until_done(t).unwrap(), "swallowed");
    assert!(!t.cancelled());
    assert_eq!(t.cancelling(), 1);
}

#[test]
fn task_13_cancelling_one_awaiter_of_a_shared_task_cancels_the_other_too() {
    let l = EventLoop::new();
    let x = create_task(async { sleep(10).await });
    let t1 = create_task(async move { x.await });
    let t2 = create_task(async move { Ok(x.await) });
    run_one(&l);
    run_one(&l);
    assert!(t1.cancel());
    let r2 = l.run_until_done(t2).unwrap();
    assert!(r2.unwrap_err().is_cancelled());
    assert_eq!(t2.cancelling(), 0);
    assert!(x.cancelled());
    assert!(t1.cancelled());

    // Same with a shared plain future.
    let f: Future<i32> = Future::new();
    let a = create_task(async move { f.await });
    let b = create_task(async move { Ok(f.await) });
    run_one(&l);
    a.cancel();
    assert!(l.run_until_done(b).unwrap().unwrap_err().is_cancelled());
    assert_eq!(b.cancelling(), 0);
}

#[test]
fn task_14a_waiting_task_first_message_wins() {
    let l = EventLoop::new();
    let t = create_task(async { sleep(10).await });
    run_one(&l);
    assert_eq!(winning_cancel_message(&l, t).as_deref(), Some("a"));
}

#[test]
fn task_14b_not_started_or_scheduled_last_message_wins() {
    let l = EventLoop::new();
    let t = create_task(async { sleep(10).await });
    assert_eq!(winning_cancel_message(&l, t).as_deref(), Some("b"));

    // A later cancel() without a message erases the earlier one.
    let u = create_task(async { sleep(10).await });
    u.cancel_with("a");
    u.cancel();
    let e = l.run_until_done(u).unwrap_err();
    assert_eq!(msg_of(e.exception().unwrap()), None);

    // Scheduled (after a bare yield): also the last one.
    let w = create_task(async {
        sleep(0).await?;
        sleep(10).await
    });
    run_one(&l);
    assert_eq!(winning_cancel_message(&l, w).as_deref(), Some("b"));
}

#[test]
fn task_14c_first_consumer_gets_the_error_itself_later_ones_a_fresh_one() {
    let l = EventLoop::new();
    let mine = Exception::cancelled(Some(Rc::from("mine")));
    let t = failing(1, mine.clone());
    let awaiter = create_task(async move { Ok(t.await.unwrap_err()) });
    let first = l.run_until_done(awaiter).unwrap();
    assert!(t.cancelled());
    // The task's own recorded message is "none".
    assert_eq!(t.as_future().cancel_message(), None);
    assert!(first.is_same(&mine));
    assert_eq!(msg_of(&first).as_deref(), Some("mine"));
    let later = t.result().unwrap_err();
    assert!(later.is_cancelled());
    assert!(!later.is_same(&mine));
    assert_eq!(later.msg(), None);
    let later2 = t.exception().unwrap_err();
    assert_eq!(later2.msg(), None);
}

#[test]
fn task_14c_reading_the_recorded_message_consumes_nothing() {
    let l = EventLoop::new();
    let mine = Exception::cancelled(Some(Rc::from("mine")));
    let t = failing(1, mine.clone());
    let out = l
        .run_until_complete(async move {
            let entries = gather_return_exceptions(&[t]).await?;
            let entry = entries[0].clone().unwrap_err();
            let awaited = t.await.unwrap_err();
            Ok((entry, awaited))
        })
        .unwrap();
    // GATHER-5 reads the recorded message (none): CancelledError('').
    assert!(out.0.is_cancelled());
    assert_eq!(msg_of(&out.0).as_deref(), Some(""));
    // The awaiter after it is still the first consumer.
    assert!(out.1.is_same(&mine));
}
