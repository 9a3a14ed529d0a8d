//! SLEEP-*: `sleep` (asyncio-semantics 1.4).

mod common;

use aiosim::{EventLoop, HandleKind, Task, call_at, create_task, sleep, sleep_with, time};
use common::{Events, Rec, run_loop, run_one};

#[test]
fn sleep_1_resumes_the_iteration_after_its_timer_and_never_early() {
    let (out, rec, _l) = run_loop(async {
        sleep(7).await?;
        Ok(time())
    });
    assert_eq!(out.unwrap(), 7);
    let log = rec.0.borrow();
    // 1: main.step (sets the timer) | 2 (7): timer | 3 (7): main.wakeup | 4: stop
    assert_eq!(log.iterations.len(), 4);
    assert!(matches!(
        log.iterations[1].handles[..],
        [HandleKind::Timer {
            cancelled: false,
            ..
        }]
    ));
    assert_eq!(log.iterations[1].now, 7);
    assert!(matches!(
        log.iterations[2].handles[..],
        [HandleKind::Wakeup { task: 0, .. }]
    ));
    assert!(matches!(log.iterations[3].handles[..], [HandleKind::Stop]));
}

#[test]
fn sleep_1_timer_does_not_set_the_result_of_a_cancelled_sleep() {
    let ev = Events::default();
    let e = ev.clone();
    let (out, _rec, _l) = run_loop(async move {
        // The canceller's timer is pushed first, so it runs first at t=5, before the sleep's.
        let s: std::rc::Rc<std::cell::Cell<Option<Task<()>>>> = Default::default();
        let s2 = s.clone();
        call_at(5, move || {
            s2.get().unwrap().cancel();
        });
        let sleeper = create_task(async move {
            let r = sleep(5).await;
            e.push(format!("sleeper: cancelled={} t={}", r.is_err(), time()));
            r
        });
        s.set(Some(sleeper));
        Ok(sleeper.await.unwrap_err().is_cancelled())
    });
    assert!(out.unwrap());
    assert_eq!(ev.get(), vec!["sleeper: cancelled=true t=5"]);
}

#[test]
fn sleep_2_sleep_zero_is_one_bare_yield_without_timer_or_future() {
    let (out, rec, _l) = run_loop(async {
        sleep(0).await?;
        sleep(0).await?;
        Ok(time())
    });
    assert_eq!(out.unwrap(), 0);
    let log = rec.0.borrow();
    // Three steps in three iterations, then the stop callback.
    assert_eq!(log.iterations.len(), 4);
    assert!(log.iterations[..3].iter().all(|i| {
        i.handles
            .iter()
            .all(|h| matches!(h, HandleKind::Step { task: 0 }))
    }));
    // No future was created and completed for the yields: only the main task's own.
    assert_eq!(log.done.len(), 1);
}

#[test]
fn sleep_2_resumes_after_everything_queued_before_and_two_spinners_alternate() {
    let ev = Events::default();
    let e = ev.clone();
    let (out, rec, _l) = run_loop(async move {
        let mk = |name: &'static str, e: Events| async move {
            for i in 0..3 {
                e.push(format!("{name}{i}"));
                sleep(0).await?;
            }
            Ok(())
        };
        let a = create_task(mk("A", e.clone()));
        let b = create_task(mk("B", e.clone()));
        let e2 = e.clone();
        aiosim::call_soon(move || e2.push("soon"));
        a.await?;
        b.await
    });
    out.unwrap();
    assert_eq!(ev.get(), vec!["A0", "B0", "soon", "A1", "B1", "A2", "B2"]);
    // A's steps are in iterations 2, 3, 4, 5 and B's in the same ones: strict alternation.
    assert_eq!(rec.runs_of(1), vec![2, 3, 4, 5]);
    assert_eq!(rec.runs_of(2), vec![2, 3, 4, 5]);
}

#[test]
fn sleep_3_sleep_returns_its_result() {
    let (out, _rec, _l) = run_loop(async {
        let a = sleep_with(3, "three").await?;
        let b = sleep_with(0, 7).await?;
        Ok((a, b, time()))
    });
    assert_eq!(out.unwrap(), ("three", 7, 3));
}

/// SLEEP-4: the cancelled sleep's timer stays in the heap and shapes the tie order of other
/// timers with the same deadline. CPython 3.12.1 pops A B F E G C D with the cancelled sleep
/// timer in the heap and A C G F B D E without it.
#[test]
fn sleep_4_cancelled_sleep_leaves_its_timer_in_the_heap() {
    let scenario = |with_sleeper: bool| {
        let ev = Events::default();
        let e = ev.clone();
        let (out, rec, _l) = run_loop(async move {
            let push = |c: &'static str| {
                let e = e.clone();
                call_at(5, move || e.push(c));
            };
            push("A");
            let s = with_sleeper.then(|| create_task(sleep(5)));
            sleep(0).await?;
            for c in ["B", "C", "D", "E", "F", "G"] {
                push(c);
            }
            if let Some(s) = s {
                assert!(s.cancel());
            }
            sleep(10).await?;
            Ok(())
        });
        out.unwrap();
        let timers_at_5: usize = rec
            .0
            .borrow()
            .iterations
            .iter()
            .filter(|i| i.now == 5)
            .map(|i| i.handles.len())
            .sum();
        (ev.get(), timers_at_5)
    };
    let (with, n_with) = scenario(true);
    assert_eq!(with, vec!["A", "B", "F", "E", "G", "C", "D"]);
    // The sleeper's cancelled timer is still popped at t=5 (skipped, but in the batch).
    assert_eq!(n_with, 8);
    let (without, n_without) = scenario(false);
    assert_eq!(without, vec!["A", "C", "G", "F", "B", "D", "E"]);
    assert_eq!(n_without, 7);
}

#[test]
fn sleep_4_cancelling_a_sleeping_task_cancels_the_sleep_future_at_once() {
    let l = EventLoop::new();
    let rec = Rec::install(&l);
    let t = create_task(async { sleep(5).await });
    run_one(&l);
    assert!(t.cancel());
    // The sleep's future (the task's waiter) was cancelled synchronously.
    let cancelled_futures: Vec<u32> = rec
        .0
        .borrow()
        .done
        .iter()
        .filter(|d| d.1)
        .map(|d| d.0)
        .collect();
    assert_eq!(cancelled_futures.len(), 1);
    assert_ne!(cancelled_futures[0], rec.fut_of(0));
    assert!(l.run_until_done(t).is_err());
    assert!(t.cancelled());
    assert_eq!(
        time_of(&l),
        0,
        "the cancelled timer did not advance the clock"
    );
}

fn time_of(l: &EventLoop) -> u64 {
    l.time()
}

#[test]
fn a_finished_sleep_gives_its_future_slot_to_the_next_future() {
    // A sleep's future is internal: once the sleep has resumed nothing can reach it, so its
    // index goes to a later future and the loop's arena stays as small as the set of live
    // futures. The step that resumes a sleep gives its slot back when it ends, after the next
    // sleep of the same step took another one, so consecutive sleeps take turns between two
    // indices. Completion events name the index, so they repeat.
    let (out, rec, _l) = run_loop(async {
        for _ in 0..4 {
            sleep(1).await?;
        }
        Ok(time())
    });
    assert_eq!(out.unwrap(), 4);
    let log = rec.0.borrow();
    let main_future = log.tasks[0].1;
    let sleeps: Vec<u32> = log
        .done
        .iter()
        .map(|&(f, _, _)| f)
        .filter(|&f| f != main_future)
        .collect();
    assert_eq!(sleeps.len(), 4);
    assert_ne!(
        sleeps[0], sleeps[1],
        "the second sleep starts before the first is given back"
    );
    assert_eq!(
        (sleeps[2], sleeps[3]),
        (sleeps[0], sleeps[1]),
        "later sleeps reuse the first two slots: {sleeps:?}"
    );
}

#[test]
fn a_reused_slot_starts_pending_without_the_message_of_a_cancelled_sleep() {
    // The first sleep is cancelled with a message; the second sleep reuses its slot and must
    // finish normally, as a fresh future.
    let (out, _rec, _l) = run_loop(async {
        let sleeper = create_task(async {
            match sleep(10).await {
                Err(e) if e.is_cancelled() => {}
                other => return Ok(format!("first sleep: {other:?}")),
            }
            sleep(1).await?;
            Ok(format!("second sleep finished at {}", time()))
        });
        sleep(2).await?;
        sleeper.cancel_with("stop");
        sleeper.await
    });
    assert_eq!(out.unwrap(), "second sleep finished at 3");
}

/// A body that juggles two sleeps by hand: woken by the first one's timer, it starts a second
/// sleep without polling the first, and polls the first only once the second is over. The
/// step that the first timer woke leaves that sleep whole (its slots stay taken, so the
/// second sleep cannot be given them), and the first sleep still returns, a step late.
#[test]
fn a_sleep_polled_a_step_after_its_wakeup_still_returns() {
    use std::future::Future as StdFuture;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    use aiosim::Exception;
    use aiosim::sleep::Sleep;

    struct Juggle {
        first: Pin<Box<Sleep<()>>>,
        second: Option<Pin<Box<Sleep<&'static str>>>>,
        polls: u32,
    }

    impl StdFuture for Juggle {
        type Output = Result<(u64, &'static str), Exception>;

        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
            self.polls += 1;
            match self.polls {
                1 => {
                    assert!(self.first.as_mut().poll(cx).is_pending());
                    Poll::Pending
                }
                2 => {
                    assert_eq!(time(), 1, "woken by the first sleep's timer");
                    let mut second = Box::pin(sleep_with(2, "second"));
                    assert!(second.as_mut().poll(cx).is_pending());
                    self.second = Some(second);
                    Poll::Pending
                }
                3 => {
                    assert_eq!(time(), 3, "woken by the second sleep's timer");
                    let first = self.first.as_mut().poll(cx);
                    assert!(matches!(first, Poll::Ready(Ok(()))), "{first:?}");
                    let second = self.second.as_mut().expect("started").as_mut().poll(cx);
                    match second {
                        Poll::Ready(Ok(value)) => Poll::Ready(Ok((time(), value))),
                        other => panic!("the second sleep is over: {other:?}"),
                    }
                }
                n => panic!("polled {n} times"),
            }
        }
    }

    for _ in 0..2 {
        let out = aiosim::run(async {
            let juggled = Juggle {
                first: Box::pin(sleep(1)),
                second: None,
                polls: 0,
            }
            .await?;
            // Every slot was given back once: two sleeps side by side keep apart.
            let short = create_task(sleep_with(1, 'a'));
            let long = create_task(sleep_with(2, 'b'));
            let first_done = short.await?;
            let at = time();
            Ok((juggled, first_done, at, long.await?, time()))
        });
        assert_eq!(out.unwrap(), ((3, "second"), 'a', 4, 'b', 5));
    }
}
