//! What a stalled loop reports: each pending task with what it is suspended on, and the ring
//! of tasks awaiting each other when there is one (graph-format 4.8 for the deadlock itself).

use std::cell::Cell;
use std::rc::Rc;

use aiosim::{
    Awaited, EventLoop, Exception, RunError, Stall, Task, create_task_named, gather, sleep,
};

/// A slot for a task created later, so that tasks can await each other.
type Slot = Rc<Cell<Option<Task<u32>>>>;

/// A task named `name` that awaits the task put in `slot` before the loop runs.
fn awaiting(name: &str, slot: &Slot) -> Task<u32> {
    let slot = slot.clone();
    create_task_named(name, async move {
        let other = slot.get().expect("the slot is filled before the loop runs");
        other.await
    })
}

fn deadlock(l: &EventLoop, main: Task<u32>) -> Stall {
    match l.run_until_done(main) {
        Err(RunError::Deadlock(s)) => s,
        other => panic!("expected a deadlock, got {other:?}"),
    }
}

fn awaited(stall: &Stall) -> Vec<(String, Option<Awaited>)> {
    stall
        .pending_tasks
        .iter()
        .map(|t| (t.name.to_string(), t.awaiting.clone()))
        .collect()
}

#[test]
fn two_tasks_awaiting_each_other_are_named_as_a_cycle() {
    let l = EventLoop::new();
    let (to_a, to_b): (Slot, Slot) = Default::default();
    let main = awaiting("main", &to_a);
    let a = awaiting("a", &to_b);
    let b = awaiting("b", &to_a);
    to_a.set(Some(a));
    to_b.set(Some(b));
    let stall = deadlock(&l, main);
    let task = |n: &str| Some(Awaited::Task(Rc::from(n)));
    assert_eq!(
        awaited(&stall),
        [
            ("main".into(), task("a")),
            ("a".into(), task("b")),
            ("b".into(), task("a")),
        ]
    );
    assert_eq!(stall.await_cycle, [Rc::from("a"), Rc::from("b")]);
    assert_eq!(
        RunError::Deadlock(stall).to_string(),
        "deadlock: nothing is ready and no timer is left, at t=0 (iteration 1); pending tasks: \
         main (waits for task a), a (waits for task b), b (waits for task a); \
         await cycle: a -> b -> a"
    );
}

#[test]
fn a_ring_entered_from_outside_starts_at_its_earliest_task() {
    // x waits for z, y for z, z for y: the ring of y and z is reached through x at z.
    let l = EventLoop::new();
    let (to_x, to_y, to_z): (Slot, Slot, Slot) = Default::default();
    let main = awaiting("main", &to_x);
    to_x.set(Some(awaiting("x", &to_z)));
    to_y.set(Some(awaiting("y", &to_z)));
    to_z.set(Some(awaiting("z", &to_y)));
    let stall = deadlock(&l, main);
    assert_eq!(stall.await_cycle, [Rc::from("y"), Rc::from("z")]);
    assert!(
        stall.to_string().ends_with("; await cycle: y -> z -> y"),
        "{stall}"
    );
}

#[test]
fn tasks_stuck_on_futures_form_no_cycle() {
    let l = EventLoop::new();
    let never = l.create_future::<u32>();
    let stuck = create_task_named("stuck", async move { never.await });
    let main = create_task_named("main", async move {
        let both = gather(&[stuck]).await?;
        Ok::<u32, Exception>(both[0])
    });
    let stall = deadlock(&l, main);
    let kinds: Vec<String> = stall.pending_tasks.iter().map(|t| t.to_string()).collect();
    assert_eq!(
        kinds,
        ["stuck (waits for a future)", "main (waits for a gather)"]
    );
    assert!(matches!(
        &stall.pending_tasks[0].awaiting,
        Some(Awaited::Future(f)) if *f == never.as_ref()
    ));
    assert!(stall.await_cycle.is_empty());
    assert!(!stall.to_string().contains("cycle"), "{stall}");
}

#[test]
fn the_task_that_never_stops_yielding_is_the_ready_one() {
    let l = EventLoop::new();
    let never = l.create_future::<u32>();
    let spins = Rc::new(Cell::new(0u64));
    let count = spins.clone();
    let waiter = create_task_named("waiter", async move { never.await });
    let spinner = create_task_named("spinner", async move {
        loop {
            count.set(count.get() + 1);
            sleep(0).await?;
        }
    });
    l.set_iteration_budget(Some(50));
    let main = create_task_named("main", async move {
        spinner.await?;
        waiter.await
    });
    let stall = match l.run_until_done(main) {
        Err(RunError::BudgetExhausted(s)) => s,
        other => panic!("expected the budget to run out, got {other:?}"),
    };
    assert!(spins.get() >= 40);
    let kinds: Vec<String> = stall.pending_tasks.iter().map(|t| t.to_string()).collect();
    assert_eq!(
        kinds,
        [
            "waiter (waits for a future)",
            "spinner (ready)",
            "main (waits for task spinner)"
        ]
    );
    assert_eq!(
        RunError::BudgetExhausted(stall).to_string(),
        "iteration budget exhausted at t=0 (iteration 50); pending tasks: waiter (waits for a \
         future), spinner (ready), main (waits for task spinner)"
    );
}
