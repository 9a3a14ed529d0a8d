//! LOOP-*: `call_soon`, timers, the timer heap, iterations, stop and close
//! (asyncio-semantics 1.3, 2.2, 2.3). Expected tie orders were produced by CPython 3.12.1's
//! own `BaseEventLoop` on the virtual-clock harness of semantics 2.12.

mod common;

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use aiosim::{EventLoop, HandleKind, RunError, TimerHandle, call_at, call_later, call_soon, time};
use common::{Events, Rec, run_one};

/// Runs the loop until nothing is ready and no timer is left (CPython would block forever).
fn drain(l: &EventLoop) {
    match l.run_forever() {
        Err(RunError::Deadlock(_)) => {}
        other => panic!("expected the loop to run dry, got {other:?}"),
    }
}

fn labels<T: ToString>(xs: &[T]) -> Vec<String> {
    xs.iter().map(ToString::to_string).collect()
}

fn push_at(ev: &Events, when: u64, label: impl ToString) -> TimerHandle {
    let ev = ev.clone();
    let label = label.to_string();
    call_at(when, move || ev.push(label))
}

#[test]
fn loop_1_call_soon_runs_in_registration_order_once_and_never_inline() {
    let l = EventLoop::new();
    let ev = Events::default();
    for i in 0..5 {
        let e = ev.clone();
        call_soon(move || {
            e.push(format!("cb{i}"));
            // Scheduled from inside a callback: still not inline.
            let e2 = e.clone();
            call_soon(move || e2.push(format!("nested{i}")));
            assert!(!e.get().contains(&format!("nested{i}")));
        });
    }
    assert!(ev.get().is_empty(), "never before call_soon returns");
    drain(&l);
    assert_eq!(
        ev.get(),
        labels(&[
            "cb0", "cb1", "cb2", "cb3", "cb4", "nested0", "nested1", "nested2", "nested3",
            "nested4"
        ])
    );
}

#[test]
fn loop_2_handles_scheduled_in_iteration_k_run_in_k_plus_1_and_due_timers_join_the_batch() {
    let l = EventLoop::new();
    let rec = Rec::install(&l);
    let ev = Events::default();
    let (e, r) = (ev.clone(), rec.clone());
    call_soon(move || {
        e.push(format!("a@{}", r.it()));
        let (e2, r2) = (e.clone(), r.clone());
        call_soon(move || {
            e2.push(format!("b@{}", r2.it()));
            let (e3, r3) = (e2.clone(), r2.clone());
            call_soon(move || e3.push(format!("c@{}", r3.it())));
        });
    });
    // A timer due at once is part of the first batch.
    let (e, r) = (ev.clone(), rec.clone());
    call_at(0, move || e.push(format!("t@{}", r.it())));
    drain(&l);
    assert_eq!(ev.get(), labels(&["a@1", "t@1", "b@2", "c@3"]));
    let log = rec.0.borrow();
    let batches: Vec<usize> = log.iterations.iter().map(|i| i.batch).collect();
    assert_eq!(batches, vec![2, 1, 1]);
}

#[test]
fn loop_3_cancelled_handle_is_skipped_but_counts_in_the_batch() {
    let l = EventLoop::new();
    let rec = Rec::install(&l);
    let ev = Events::default();
    let e = ev.clone();
    let victim = Rc::new(Cell::new(None));
    let v = victim.clone();
    call_soon(move || {
        e.push("first");
        // Cancelling a handle queued in the same batch, before it runs.
        let h: aiosim::Handle = v.get().unwrap();
        h.cancel();
    });
    let e = ev.clone();
    victim.set(Some(call_soon(move || e.push("victim"))));
    let e = ev.clone();
    let cancelled_early = call_soon(move || e.push("never"));
    cancelled_early.cancel();
    let e = ev.clone();
    let ran = call_soon(move || e.push("ran"));
    let e = ev.clone();
    let timer = call_later(3, move || e.push("timer"));
    timer.cancel();
    drain(&l);
    assert_eq!(ev.get(), labels(&["first", "ran"]));
    let log = rec.0.borrow();
    assert_eq!(
        log.iterations[0].batch, 4,
        "the skipped entries count in the batch"
    );
    let skipped = log.iterations[0]
        .handles
        .iter()
        .filter(|h| {
            matches!(
                h,
                HandleKind::Soon {
                    cancelled: true,
                    ..
                }
            )
        })
        .count();
    assert_eq!(skipped, 2);
    drop(log);
    // Cancelling after it has run has no effect.
    ran.cancel();
    assert!(ran.cancelled());
    drain(&l);
    assert_eq!(ev.get(), labels(&["first", "ran"]));
    assert!(timer.cancelled());
}

#[test]
fn loop_4_call_later_is_call_at_now_plus_delay_and_never_early() {
    let l = EventLoop::new();
    let rec = Rec::install(&l);
    let ev = Events::default();
    let e = ev.clone();
    call_at(5, move || {
        assert_eq!(time(), 5);
        let h = call_later(3, || {});
        assert_eq!(h.when(), 8);
        h.cancel();
        let e2 = e.clone();
        let later = call_later(2, move || e2.push(format!("later@{}", time())));
        assert_eq!(later.when(), time() + 2);
        // A deadline in the past runs in the next iteration, and the clock stays.
        let e3 = e.clone();
        let past = call_at(1, move || e3.push(format!("past@{}", time())));
        assert_eq!(past.when(), 1);
    });
    drain(&l);
    assert_eq!(ev.get(), labels(&["past@5", "later@7"]));
    let log = rec.0.borrow();
    let when: Vec<(u64, u64)> = log.iterations.iter().map(|i| (i.n, i.now)).collect();
    assert_eq!(when, vec![(1, 5), (2, 5), (3, 7)]);
}

#[test]
fn loop_5_queued_handles_first_then_due_timers_by_deadline() {
    let l = EventLoop::new();
    let ev = Events::default();
    // call_later(0, a) then call_soon(b): b runs first.
    let e = ev.clone();
    call_later(0, move || e.push("a"));
    let e = ev.clone();
    call_soon(move || e.push("b"));
    drain(&l);
    assert_eq!(ev.get(), labels(&["b", "a"]));

    // Several deadlines due in one iteration: the queued handle, then by deadline.
    let l2 = ev.clone();
    call_at(10, move || {
        push_at(&l2, 9, "t9");
        push_at(&l2, 3, "t3");
        push_at(&l2, 10, "t10");
        push_at(&l2, 6, "t6");
        let e = l2.clone();
        call_soon(move || e.push("soon"));
    });
    drain(&l);
    assert_eq!(
        ev.get(),
        labels(&["b", "a", "soon", "t3", "t6", "t9", "t10"])
    );
}

#[test]
fn loop_6_eight_equal_deadlines_pop_in_heap_order() {
    let l = EventLoop::new();
    let ev = Events::default();
    for c in ["A", "B", "C", "D", "E", "F", "G", "H"] {
        push_at(&ev, 5, c);
    }
    drain(&l);
    assert_eq!(ev.get(), labels(&["A", "C", "G", "F", "H", "E", "B", "D"]));
}

#[test]
fn loop_6_a_later_timer_changes_the_tie_order() {
    let l = EventLoop::new();
    let ev = Events::default();
    for c in ["A", "B", "C", "D", "E", "F", "G", "H"] {
        push_at(&ev, 5, c);
    }
    push_at(&ev, 9, "I");
    drain(&l);
    assert_eq!(
        ev.get(),
        labels(&["A", "C", "G", "F", "H", "B", "D", "E", "I"])
    );
}

#[test]
fn loop_6_cancelled_timers_stay_in_the_heap_and_shape_the_order() {
    let l = EventLoop::new();
    let ev = Events::default();
    let hs: Vec<TimerHandle> = (0..8).map(|i| push_at(&ev, 5, i)).collect();
    hs[1].cancel();
    hs[3].cancel();
    drain(&l);
    // CPython 3.12.1: [0, 2, 6, 5, 7, 4] (not insertion order 0 2 4 5 6 7).
    assert_eq!(ev.get(), labels(&[0, 2, 6, 5, 7, 4]));
}

/// The head of the heap is purged while cancelled; 51 of 102 cancelled is not more than
/// half, so no rebuild.
#[test]
fn loop_6_head_purge_of_cancelled_timers() {
    let l = EventLoop::new();
    let ev = Events::default();
    let hs: Vec<TimerHandle> = (0..102).map(|i| push_at(&ev, 10, i)).collect();
    for (i, h) in hs.iter().enumerate() {
        if i % 2 == 0 {
            h.cancel();
        }
    }
    drain(&l);
    const CPYTHON: [u32; 51] = [
        101, 99, 97, 95, 93, 91, 89, 87, 85, 83, 81, 79, 77, 75, 73, 71, 69, 67, 65, 61, 63, 59,
        57, 55, 53, 51, 49, 47, 45, 43, 41, 39, 37, 35, 33, 29, 31, 27, 25, 23, 21, 19, 17, 13, 15,
        11, 9, 5, 7, 1, 3,
    ];
    assert_eq!(ev.get(), labels(&CPYTHON));
}

/// More than 100 timers and more than half cancelled: the heap is rebuilt (kept entries in
/// array order, then heapified), which changes the tie order.
#[test]
fn loop_6_rebuild_over_100_timers_more_than_half_cancelled() {
    let run = |cancel: &dyn Fn(usize) -> bool| {
        let l = EventLoop::new();
        let ev = Events::default();
        let hs: Vec<TimerHandle> = (0..120).map(|i| push_at(&ev, 10, i)).collect();
        for (i, h) in hs.iter().enumerate() {
            if cancel(i) {
                h.cancel();
            }
        }
        drain(&l);
        drop(l);
        ev.get()
    };
    // 61 of 120 cancelled: rebuild.
    const REBUILT: [u32; 59] = [
        62, 30, 14, 6, 2, 28, 116, 56, 112, 12, 108, 52, 104, 24, 100, 48, 96, 4, 92, 44, 88, 20,
        84, 40, 80, 8, 76, 36, 72, 16, 68, 32, 60, 64, 58, 114, 26, 106, 50, 98, 10, 90, 42, 82,
        18, 74, 34, 118, 66, 54, 102, 22, 86, 38, 110, 70, 46, 94, 78,
    ];
    assert_eq!(run(&|i| i % 2 == 1 || i == 0), labels(&REBUILT));
    // 60 of 120: exactly half, no rebuild.
    const NOT_REBUILT: [u32; 60] = [
        0, 2, 6, 14, 30, 62, 118, 116, 114, 112, 110, 108, 106, 104, 102, 100, 98, 96, 94, 92, 90,
        88, 86, 84, 82, 80, 78, 76, 74, 72, 70, 68, 66, 64, 60, 58, 56, 54, 52, 50, 48, 46, 44, 42,
        40, 38, 36, 34, 32, 28, 26, 24, 22, 20, 18, 16, 12, 10, 8, 4,
    ];
    assert_eq!(run(&|i| i % 2 == 1), labels(&NOT_REBUILT));
}

/// Count drift (semantics 2.2): cancelled timers that leave through the due step are not
/// subtracted, so a later heap of 101 live timers is rebuilt anyway.
#[test]
fn loop_6_cancelled_count_drift_triggers_an_early_rebuild() {
    let run = |with_cancelled: bool| {
        let l = EventLoop::new();
        let ev = Events::default();
        let e = ev.clone();
        call_at(1, move || {
            e.push("K");
            for i in 0..101 {
                push_at(&e, 5, i);
            }
        });
        if with_cancelled {
            for _ in 0..60 {
                push_at(&ev, 1, "x").cancel();
            }
        }
        drain(&l);
        drop(l);
        ev.get()
    };
    const DRIFTED: [u32; 101] = [
        62, 30, 14, 6, 2, 0, 49, 99, 23, 97, 47, 95, 1, 93, 45, 91, 21, 89, 43, 87, 9, 85, 41, 83,
        19, 81, 39, 79, 3, 77, 37, 75, 17, 73, 35, 71, 7, 69, 33, 67, 15, 65, 31, 61, 63, 29, 59,
        13, 57, 27, 55, 5, 53, 25, 51, 11, 100, 48, 96, 4, 92, 44, 88, 20, 84, 40, 80, 8, 76, 36,
        72, 16, 68, 32, 60, 64, 28, 56, 12, 52, 24, 98, 10, 90, 42, 82, 18, 74, 34, 58, 66, 26, 50,
        22, 86, 38, 54, 70, 46, 94, 78,
    ];
    const PLAIN: [u32; 101] = [
        0, 2, 6, 14, 30, 62, 100, 99, 98, 97, 96, 95, 94, 93, 92, 91, 90, 89, 88, 87, 86, 85, 84,
        83, 82, 81, 80, 79, 78, 77, 76, 75, 74, 73, 72, 71, 70, 69, 68, 67, 66, 65, 64, 61, 63, 60,
        59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 49, 48, 47, 46, 45, 44, 43, 42, 41, 40, 39, 38, 37,
        36, 35, 34, 33, 32, 29, 31, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 13, 15, 12,
        11, 10, 9, 8, 5, 7, 4, 1, 3,
    ];
    let mut drifted = labels(&["K"]);
    drifted.extend(labels(&DRIFTED));
    let mut plain = labels(&["K"]);
    plain.extend(labels(&PLAIN));
    assert_eq!(run(true), drifted);
    assert_eq!(run(false), plain);
}

/// The head purge subtracts from the count: 55 of 110 cancelled (no rebuild), six cancelled
/// heads purged (count 49), one more cancel (50 of 104): still no rebuild. Without the
/// subtraction the loop would rebuild and pop in another order.
#[test]
fn loop_6_head_purge_decrements_the_cancelled_count() {
    let l = EventLoop::new();
    let ev = Events::default();
    let hs: Rc<RefCell<Vec<TimerHandle>>> = Rc::new(RefCell::new(
        (0..110).map(|i| push_at(&ev, 10, i)).collect(),
    ));
    for (i, h) in hs.borrow().iter().enumerate() {
        if i % 2 == 0 {
            h.cancel();
        }
    }
    let (e, h) = (ev.clone(), hs.clone());
    call_soon(move || {
        e.push("late");
        h.borrow()[1].cancel();
    });
    drain(&l);
    const CPYTHON: [u32; 54] = [
        109, 107, 105, 103, 101, 99, 97, 95, 93, 91, 89, 87, 85, 83, 81, 79, 77, 75, 73, 71, 69,
        67, 65, 61, 63, 59, 57, 55, 53, 51, 49, 47, 45, 43, 41, 39, 37, 35, 33, 29, 31, 27, 25, 23,
        21, 19, 17, 13, 15, 11, 9, 5, 7, 3,
    ];
    let mut expected = labels(&["late"]);
    expected.extend(labels(&CPYTHON));
    assert_eq!(ev.get(), expected);
}

#[test]
fn loop_7_integer_ticks_due_means_when_at_most_now() {
    let l = EventLoop::new();
    let rec = Rec::install(&l);
    let ev = Events::default();
    let e = ev.clone();
    call_at(3, move || e.push(format!("a@{}", time())));
    let e = ev.clone();
    call_at(3, move || e.push(format!("b@{}", time())));
    let e = ev.clone();
    call_at(4, move || e.push(format!("c@{}", time())));
    drain(&l);
    assert_eq!(ev.get(), labels(&["a@3", "b@3", "c@4"]));
    let log = rec.0.borrow();
    // The two timers at 3 share an iteration; the one at 4 does not run at 3.
    assert_eq!(log.iterations.len(), 2);
    assert_eq!(log.iterations[0].now, 3);
    assert_eq!(log.iterations[0].batch, 2);
}

#[test]
fn loop_8_stop_finishes_the_iteration_and_leftovers_run_on_the_next_run() {
    let l = Rc::new(EventLoop::new());
    let rec = Rec::install(&l);
    let ev = Events::default();
    let (e, l2) = (ev.clone(), l.clone());
    call_soon(move || {
        e.push("a");
        l2.stop();
        let e2 = e.clone();
        call_soon(move || e2.push("c"));
    });
    let e = ev.clone();
    call_soon(move || e.push("b"));
    l.run_forever().unwrap();
    // The iteration finished (b ran), c stays queued.
    assert_eq!(ev.get(), labels(&["a", "b"]));
    assert_eq!(rec.iterations(), 1);
    let e = ev.clone();
    call_soon(move || e.push("d"));
    run_one(&l);
    assert_eq!(ev.get(), labels(&["a", "b", "c", "d"]));
}

/// A loop never closed nor dropped (leaked) still lets go of what it holds when its thread
/// exits: task bodies, queued callbacks and timers.
#[test]
fn a_thread_exiting_with_its_loop_open_frees_what_the_loop_held() {
    let held = std::sync::Arc::new(());
    let (body, soon, timer) = (held.clone(), held.clone(), held.clone());
    std::thread::spawn(move || {
        let l = EventLoop::new();
        let _task = aiosim::create_task(async move {
            let _body = body;
            aiosim::sleep(1).await
        });
        call_soon(move || drop(soon));
        call_later(5, move || drop(timer));
        std::mem::forget(l);
    })
    .join()
    .expect("the thread exits normally");
    assert_eq!(std::sync::Arc::strong_count(&held), 1);
}

#[test]
fn loop_8_close_discards_what_is_still_queued() {
    let l = EventLoop::new();
    let ev = Events::default();
    let e = ev.clone();
    call_soon(move || e.push("queued"));
    let e = ev.clone();
    call_later(5, move || e.push("timer"));
    l.close();
    assert!(l.is_closed());
    assert!(ev.get().is_empty());
}

#[test]
fn loop_9_time_never_decreases_and_is_constant_during_a_handle() {
    let l = EventLoop::new();
    let rec = Rec::install(&l);
    let ok = Rc::new(Cell::new(true));
    for when in [7u64, 2, 9, 2, 0, 5] {
        let ok = ok.clone();
        let r = rec.clone();
        call_at(when, move || {
            let t0 = time();
            // Work inside the handle does not move the clock.
            call_at(0, || {});
            call_later(1, || {});
            let it_now = r.0.borrow().iterations.last().unwrap().now;
            if time() != t0 || t0 != it_now || t0 < when {
                ok.set(false);
            }
        });
    }
    drain(&l);
    assert!(ok.get());
    let log = rec.0.borrow();
    let times: Vec<u64> = log.iterations.iter().map(|i| i.now).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    assert_eq!(times.last(), Some(&10));
}
