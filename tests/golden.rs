//! The golden traces of asyncio-semantics 2.10, iteration by iteration, tails included
//! (the stop callback, then the two shutdown tasks of `asyncio.run`). The full expected
//! lines were produced by CPython 3.12.1 on the virtual-clock harness of semantics 2.12
//! (0.1 s = 1 tick). Timer handles (sleep timers, a user `call_later`, the timeout
//! handler) print as `timer`, a `call_soon` handle as `soon`.

mod common;

use aiosim::{
    ExcType, Exception, Task, call_later, call_soon, create_task, create_task_named, gather,
    shield, sleep, sleep_with, task_group, timeout,
};
use common::{exc, raised, run_traced};

fn assert_trace(got: Vec<String>, expected: &[&str]) {
    let got: Vec<&str> = got.iter().map(String::as_str).collect();
    assert_eq!(got, expected, "\ngot:\n{}\n", got.join("\n"));
}

#[test]
fn golden_await_a_child_task_sleeping() {
    let (out, rec) = run_traced(async {
        let c1 = create_task(sleep_with(1, 1));
        c1.await
    });
    assert_eq!(out.unwrap(), 1);
    assert_trace(
        rec.trace(&["main", "C1"]),
        &[
            "1 (0): main.step",
            "2 (0): C1.step",
            "3 (1): timer",
            "4 (1): C1.wakeup",
            "5 (1): main.wakeup",
            "6 (1): stop",
            "7 (1): Task-3.step",
            "8 (1): stop",
            "9 (1): Task-4.step",
            "10 (1): stop",
        ],
    );
}

#[test]
fn golden_gather_of_two_sleeping_children() {
    let (out, rec) = run_traced(async {
        let c1 = create_task(sleep_with(1, 1));
        let c2 = create_task(sleep_with(2, 2));
        gather(&[c1, c2]).await
    });
    assert_eq!(out.unwrap(), vec![1, 2]);
    assert_trace(
        rec.trace(&["main", "C1", "C2"]),
        &[
            "1 (0): main.step",
            "2 (0): C1.step; C2.step",
            "3 (1): timer",
            "4 (1): C1.wakeup",
            "5 (1): _done_callback",
            "6 (2): timer",
            "7 (2): C2.wakeup",
            "8 (2): _done_callback",
            "9 (2): main.wakeup",
            "10 (2): stop",
            "11 (2): Task-4.step",
            "12 (2): stop",
            "13 (2): Task-5.step",
            "14 (2): stop",
        ],
    );
}

#[test]
fn golden_shield_of_a_sleeping_child() {
    let (out, rec) = run_traced(async {
        let c1 = create_task(sleep_with(1, 1));
        shield(&c1).await
    });
    assert_eq!(out.unwrap(), 1);
    assert_trace(
        rec.trace(&["main", "C1"]),
        &[
            "1 (0): main.step",
            "2 (0): C1.step",
            "3 (1): timer",
            "4 (1): C1.wakeup",
            "5 (1): _inner_done_callback",
            "6 (1): _outer_done_callback; main.wakeup",
            "7 (1): stop",
            "8 (1): Task-3.step",
            "9 (1): stop",
            "10 (1): Task-4.step",
            "11 (1): stop",
        ],
    );
}

#[test]
fn golden_task_group_with_a_failing_child() {
    let (out, rec) = run_traced(async {
        task_group(|tg| async move {
            tg.create_task_named("Bad", async {
                sleep(10).await?;
                Err::<(), _>(exc("Bad"))
            })?;
            tg.create_task_named("Sib", sleep(50))?;
            sleep(50).await
        })
        .await
    });
    let e = raised(out);
    assert_eq!(e.ty(), &ExcType::Group);
    assert_eq!(e.members().len(), 1);
    assert_eq!(e.members()[0].type_name(), "Bad");
    assert_trace(
        rec.trace(&["main", "Bad", "Sib"]),
        &[
            "1 (0): main.step",
            "2 (0): Bad.step; Sib.step",
            "3 (10): timer",
            "4 (10): Bad.wakeup",
            "5 (10): _on_task_done",
            "6 (10): Sib.wakeup; main.wakeup",
            "7 (10): _on_task_done",
            "8 (10): main.wakeup",
            "9 (10): stop",
            "10 (10): Task-4.step",
            "11 (10): stop",
            "12 (10): Task-5.step",
            "13 (10): stop",
        ],
    );
}

#[test]
fn golden_gather_cancelled_by_a_timer() {
    let (out, rec) = run_traced(async {
        let c1 = create_task(sleep(5));
        let c2 = create_task(sleep(5));
        let g = gather(&[c1, c2]);
        call_later(1, move || {
            g.cancel();
        });
        g.await
    });
    let e = raised(out);
    assert!(e.is_cancelled());
    assert_trace(
        rec.trace(&["main", "C1", "C2"]),
        &[
            "1 (0): main.step",
            "2 (0): C1.step; C2.step",
            "3 (1): timer",
            "4 (1): C1.wakeup; C2.wakeup",
            "5 (1): _done_callback; _done_callback",
            "6 (1): main.wakeup",
            "7 (1): stop",
            "8 (1): Task-4.step",
            "9 (1): stop",
            "10 (1): Task-5.step",
            "11 (1): stop",
        ],
    );
}

#[test]
fn golden_spinner_cancelled_by_a_callback() {
    let (out, rec) = run_traced(async {
        let b: Task<()> = create_task_named("B", async {
            loop {
                sleep(0).await?;
            }
        });
        sleep(0).await?;
        call_soon(move || {
            b.cancel();
        });
        match b.await {
            Err(e) if e.is_cancelled() => Ok("b cancelled"),
            other => other.map(|()| "b finished"),
        }
    });
    assert_eq!(out.unwrap(), "b cancelled");
    assert_trace(
        rec.trace(&["main", "B"]),
        &[
            "1 (0): main.step",
            "2 (0): B.step; main.step",
            "3 (0): B.step; soon",
            "4 (0): B.step",
            "5 (0): main.wakeup",
            "6 (0): stop",
            "7 (0): Task-3.step",
            "8 (0): stop",
            "9 (0): Task-4.step",
            "10 (0): stop",
        ],
    );
}

#[test]
fn golden_timeout_around_a_long_sleep() {
    let (out, rec) = run_traced(async { timeout(Some(10), |_| sleep(50)).await });
    let e: Exception = raised(out);
    assert_eq!(e.ty(), &ExcType::Timeout);
    assert_trace(
        rec.trace(&["main"]),
        &[
            "1 (0): main.step",
            "2 (10): timer",
            "3 (10): main.wakeup",
            "4 (10): stop",
            "5 (10): Task-2.step",
            "6 (10): stop",
            "7 (10): Task-3.step",
            "8 (10): stop",
        ],
    );
}
