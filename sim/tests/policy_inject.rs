//! Cancellation injection and the level-3 deferral bound: injected cancellations really
//! cancel, are recorded, and replay; due timers are never deferred for long.

mod policy_support;

use aiosim::{Level, Scheduler};
use aiosim_sim::policy::{
    ChoiceKind, DecisionLogHandle, INJECTED_MESSAGE, MAX_DEFERRALS, PolicyKind, Random, Recording,
    Schedule, deviations,
};
use aiosim_sim::trace::Outcome;
use aiosim_sim::value::Value;
use policy_support::{graph, run, text};

/// `w` finishes normally in the faithful schedule; `main` waits for it.
fn worker() -> std::sync::Arc<aiosim_sim::graph::Graph> {
    graph(
        r#"{"format": "aiosim-graph/1", "name": "worker", "main": "main", "tasks": {
            "main": [{"spawn": "w"}, {"sleep": 2},
                     {"try": [{"await": "w"}],
                      "except": [{"type": "CancelledError", "do": [{"return": "w cancelled"}]}]},
                     {"return": "w done"}],
            "w": [{"sleep": 10}, {"return": 1}]}}"#,
    )
}

#[test]
fn injection_cancels_a_task_and_replay_reproduces_it() {
    let graph = worker();
    let (faithful, _) = run(&graph, &Schedule::new(PolicyKind::Fifo, 0, Level::Fifo));
    assert_eq!(
        faithful.trace.end_of("w"),
        Some(&Outcome::ok(Value::Int(1)))
    );

    let cancelled = Outcome::Cancelled(Some(INJECTED_MESSAGE.into()));
    let mut hits = 0;
    for policy in [PolicyKind::Fifo, PolicyKind::Random, PolicyKind::Pct] {
        for seed in 0..40 {
            let mut schedule = Schedule::new(policy, seed, Level::Interleave);
            schedule.inject_cancels = 1;
            schedule.steps_hint = 6;
            let (report, log) = run(&graph, &schedule);
            let decisions = log.decisions();
            let injected = decisions
                .iter()
                .filter(|d| d.kind == ChoiceKind::Inject && d.chosen != 0)
                .count();
            assert!(injected <= 1, "at most inject_cancels injections");
            if report.trace.end_of("w") != Some(&cancelled) {
                continue;
            }
            hits += 1;
            assert_eq!(injected, 1);
            assert!(deviations(&decisions) >= 1);
            let (replayed, replay_log) = run(&graph, &schedule.replaying(decisions.clone()));
            assert_eq!(replayed.trace.end_of("w"), Some(&cancelled));
            assert_eq!(text(&replayed), text(&report));
            assert_eq!(replay_log.decisions(), decisions);
        }
    }
    assert!(hits >= 5, "injection cancelled w in {hits} runs");
}

#[test]
fn injection_is_off_by_default_and_seeded() {
    let graph = worker();
    let schedule = Schedule::new(PolicyKind::Random, 3, Level::Timing);
    assert_eq!(schedule.inject_cancels, 0);
    let (_, log) = run(&graph, &schedule);
    assert!(log.decisions().iter().all(|d| d.kind != ChoiceKind::Inject));

    // Injection draws from a stream of its own: the same seed with and without injection
    // makes the same first pick.
    let mut injecting = schedule.clone();
    injecting.inject_cancels = 1;
    injecting.steps_hint = 1000;
    let (_, with) = run(&graph, &injecting);
    let first_pick = |log: &DecisionLogHandle| {
        log.decisions()
            .into_iter()
            .find(|d| d.kind != ChoiceKind::Inject)
    };
    assert_eq!(first_pick(&log), first_pick(&with));
}

#[test]
fn due_timers_are_deferred_a_bounded_number_of_iterations() {
    for seed in 0..200 {
        let log = DecisionLogHandle::default();
        let policy = Box::new(Random::new(seed));
        let mut recording = Recording::new(policy, Level::Timing, false, log.clone());
        let mut streak = 0;
        for iteration in 0..100 {
            let ready = iteration % 3;
            let taken = recording.take_due(5, 2, ready);
            assert!(taken <= 2);
            assert!(ready > 0 || taken > 0, "an idle iteration takes a timer");
            streak = if taken < 2 { streak + 1 } else { 0 };
            assert!(
                streak <= MAX_DEFERRALS,
                "seed {seed}: {streak} deferrals in a row"
            );
        }
        assert!(log.decisions().iter().all(|d| d.kind == ChoiceKind::Due));
    }
}

#[test]
fn level_three_runs_defer_timers_and_move_time_early() {
    let graph = worker();
    let mut kinds = std::collections::BTreeSet::new();
    for seed in 0..30 {
        let (report, log) = run(
            &graph,
            &Schedule::new(PolicyKind::Random, seed, Level::Timing),
        );
        assert!(report.trace.finish().is_some());
        kinds.extend(
            log.decisions()
                .iter()
                .filter(|d| d.chosen != 0)
                .map(|d| d.kind),
        );
    }
    assert!(kinds.contains(&ChoiceKind::Early), "{kinds:?}");
}
