//! The real-time loop: the same runtime waiting in a `mio` poller instead of jumping the
//! clock. No test asserts durations (a loaded machine may be arbitrarily late); they assert
//! order, "not before" (LOOP-4), wake-ups from other threads, and deadlock detection.

use std::time::Duration;

use aiosim::{EventLoop, Future, RunError, create_task, sleep, time};

#[test]
fn loop_4_a_real_sleep_never_resumes_before_its_deadline() {
    let event_loop = EventLoop::real_time(Duration::from_millis(1)).expect("a poller");
    let (before, after) = event_loop
        .run_until_complete(async {
            let before = time();
            sleep(5).await?;
            Ok((before, time()))
        })
        .expect("the sleep completes");
    assert!(
        after >= before + 5,
        "resumed at tick {after}, slept at {before}"
    );
}

#[test]
fn loop_6_equal_sleeps_on_the_real_clock_resume_in_heap_order() {
    let event_loop = EventLoop::real_time(Duration::from_millis(1)).expect("a poller");
    let order = event_loop
        .run_until_complete(async {
            let log = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
            let tasks: Vec<_> = (0..4)
                .map(|i| {
                    let log = log.clone();
                    create_task(async move {
                        sleep(3).await?;
                        log.borrow_mut().push(i);
                        Ok(())
                    })
                })
                .collect();
            for t in tasks {
                t.await?;
            }
            let order = log.borrow().clone();
            Ok(order)
        })
        .expect("all tasks finish");
    // Four equal deadlines pushed in one iteration pop in heap order (LOOP-6), on the real
    // clock as on the virtual one.
    assert_eq!(order, vec![0, 2, 1, 3]);
}

#[test]
fn call_soon_threadsafe_wakes_a_loop_blocked_in_its_poller() {
    let event_loop = EventLoop::real_time(Duration::from_millis(1)).expect("a poller");
    let handle = event_loop.handle().expect("real-time loops have handles");
    // No timer and nothing ready: the loop blocks in the poller until the other thread's
    // callback arrives; the callback runs on the loop's thread and resolves the future.
    let fut: Future<u32> = event_loop.create_future();
    let sender = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(5));
        handle
            .call_soon_threadsafe(move || fut.set_result(7).expect("pending"))
            .expect("wake the loop");
    });
    let value = event_loop
        .run_until_future(fut)
        .expect("resolved from the other thread");
    sender.join().expect("the sender finishes");
    assert_eq!(value, 7);
}

#[test]
fn a_real_time_loop_nobody_can_wake_reports_a_deadlock() {
    let event_loop = EventLoop::real_time(Duration::from_millis(1)).expect("a poller");
    let result = event_loop.run_until_complete(async {
        let never: Future<()> = Future::new();
        never.await
    });
    assert!(matches!(result, Err(RunError::Deadlock(_))), "{result:?}");
}
