//! A run that stalls says where each pending task stands: a deadlock names what each task
//! waits for, with the scenario's future names, and a run out of budget does the same, so
//! that the ready task (the one that keeps the loop busy) stands out.

#[path = "explore_support.rs"]
mod support;

use aiosim::Level;
use aiosim_sim::explore::Explorer;
use aiosim_sim::policy::{PolicyKind, Schedule};
use support::{config, graph, load, quiet_sweep};

#[test]
fn a_deadlock_names_the_future_each_task_waits_for() {
    let explorer = Explorer::new(load("transfer_deadlock.json"));
    let sweep = config(PolicyKind::Random, Level::Interleave, 0, 0, 50);
    let outcome = quiet_sweep(&explorer, &sweep);
    let failure = outcome.failures.first().expect("the deadlock is found");
    assert_eq!(
        failure.violations[0].message,
        "expected deadlock false, the run ended with deadlock true: bank (waits for a gather), \
         transfer_ab (waits for future bob), transfer_ba (waits for future alice)"
    );
    assert_eq!(failure.report.stalled.len(), 3);
}

#[test]
fn a_run_out_of_budget_shows_which_task_is_ready() {
    let mut explorer = Explorer::new(graph(
        r#"{"format": "aiosim-graph/1", "name": "slow", "main": "main",
            "tasks": {"main": [{"spawn": "a"}, {"await": "a"}],
                      "a": [{"sleep": 5}, {"return": 1}]}}"#,
    ));
    let fifo = Schedule::new(PolicyKind::Fifo, 0, Level::Fifo);
    for (budget, a) in [
        (1, "a (ready)"),
        (2, "a (waits for a future of its current op)"),
    ] {
        explorer.budget = budget;
        let result = explorer.run(&fifo);
        let budget_check = result
            .violations
            .iter()
            .find(|v| &*v.check == "budget")
            .expect("the budget runs out");
        assert_eq!(
            budget_check.message,
            format!(
                "the run did not finish within {budget} iterations; tasks still running: \
                 main (waits for task a), {a}"
            )
        );
    }
    explorer.budget = 100;
    assert!(explorer.run(&fifo).report.stalled.is_empty());
}
