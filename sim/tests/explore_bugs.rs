//! The bug graphs of `examples/graphs/bugs/`: each one passes in CPython's order, is found by
//! its policy within a fixed number of runs, and every failure found replays byte for byte and
//! shrinks. Graph by graph, the level at which the bug first exists is checked too.

#[path = "explore_support.rs"]
mod support;

use aiosim::Level;
use aiosim_sim::explore::{Explorer, shrink};
use aiosim_sim::policy::{ChoiceKind, PolicyKind, Schedule, deviations};
use support::{
    BUGS, Bug, bug_config, config, fifo, load, quiet_sweep, runs_to_first_failure, text,
};

/// At most this many failures of one sweep are shrunk (shrinking costs a few runs each).
const SHRUNK_PER_GRAPH: usize = 8;

#[test]
fn every_bug_graph_passes_in_cpython_order() {
    for bug in BUGS {
        let explorer = Explorer::new(load(bug.file));
        let result = explorer.run(&fifo());
        assert!(
            result.passed(),
            "{}: the FIFO run fails {:?}",
            bug.file,
            result.violations
        );
        assert!(
            result.schedule.decisions.is_empty(),
            "FIFO makes no choices"
        );
        // `aiosim run` is the same faithful run.
        let plain = aiosim_sim::interp::run_graph(load(bug.file), Default::default());
        assert_eq!(
            plain.trace.to_jsonl(),
            result.report.trace.to_jsonl(),
            "{}",
            bug.file
        );
    }
}

/// Sweeps `bug`'s seeds `0..bound`; asserts a failure is among them, that each failure replays
/// to the same trace, and that shrinking keeps its check with no more deviations.
fn found_replayed_and_shrunk(bug: &Bug) {
    let explorer = Explorer::new(load(bug.file));
    let outcome = quiet_sweep(&explorer, &bug_config(bug, bug.bound));
    assert!(
        !outcome.failures.is_empty(),
        "{}: {:?} at {:?} found nothing in {} runs",
        bug.file,
        bug.policy,
        bug.level,
        bug.bound
    );
    for (i, failure) in outcome.failures.iter().enumerate() {
        let schedule = &failure.schedule;
        let replayed = explorer.run(&schedule.replaying(schedule.decisions.clone()));
        assert_eq!(
            replayed.divergence, None,
            "{} seed {}",
            bug.file, schedule.seed
        );
        assert_eq!(
            text(&replayed),
            text(failure),
            "{} seed {}: the replay differs",
            bug.file,
            schedule.seed
        );
        assert_eq!(replayed.violations, failure.violations);
        if i >= SHRUNK_PER_GRAPH {
            continue;
        }
        let check = &failure.violations[0].check;
        let shrunk = shrink(&explorer, schedule, check)
            .unwrap_or_else(|| panic!("{} seed {}: does not reproduce", bug.file, schedule.seed));
        assert!(
            shrunk.deviations >= 1 && shrunk.deviations <= deviations(&schedule.decisions),
            "{} seed {}: {} deviations after shrinking, {} before",
            bug.file,
            schedule.seed,
            shrunk.deviations,
            deviations(&schedule.decisions)
        );
        assert!(shrunk.result.violations.iter().any(|v| &v.check == check));
        // The minimal schedule replays to the minimal run.
        let minimal = &shrunk.result.schedule;
        let again = explorer.run(&minimal.replaying(minimal.decisions.clone()));
        assert_eq!(text(&again), text(&shrunk.result), "{}", bug.file);
    }
}

#[test]
fn hedged_request_is_found_replayed_and_shrunk() {
    found_replayed_and_shrunk(&BUGS[0]);
}

#[test]
fn deadline_watchdog_is_found_replayed_and_shrunk() {
    found_replayed_and_shrunk(&BUGS[1]);
}

#[test]
fn transfer_deadlock_is_found_replayed_and_shrunk() {
    found_replayed_and_shrunk(&BUGS[2]);
}

#[test]
fn taskgroup_orphan_upload_is_found_replayed_and_shrunk() {
    found_replayed_and_shrunk(&BUGS[3]);
}

#[test]
fn wait_for_double_charge_is_found_replayed_and_shrunk() {
    found_replayed_and_shrunk(&BUGS[4]);
}

#[test]
fn heartbeat_false_alarm_is_found_replayed_and_shrunk() {
    found_replayed_and_shrunk(&BUGS[5]);
}

#[test]
fn pool_slot_leak_is_found_replayed_and_shrunk() {
    found_replayed_and_shrunk(&BUGS[6]);
}

/// Graph (a) in detail: random at level 2 finds it within 100 runs, the failing schedule
/// replays byte for byte, shrinks to exactly one deviation, and the explanation names both
/// replicas.
#[test]
fn hedged_request_in_detail() {
    let explorer = Explorer::new(load("hedged_request.json"));
    let steps = explorer.fifo_handles();
    let sweep = config(PolicyKind::Random, Level::Interleave, 0, 0, 100);
    let (runs, failure) =
        runs_to_first_failure(&explorer, &sweep, steps, 100).expect("found within 100 runs");
    assert!(runs <= 100);
    assert_eq!(&*failure.violations[0].check, "expect[1]");
    assert!(failure.violations[0].message.contains("InvalidStateError"));

    let schedule = &failure.schedule;
    assert_eq!(schedule.policy, PolicyKind::Random);
    let replay = schedule.replaying(schedule.decisions.clone());
    let replayed = explorer.run(&replay);
    assert_eq!(
        replayed.report.trace.to_jsonl(),
        failure.report.trace.to_jsonl()
    );
    assert_eq!(replayed.divergence, None);
    assert_eq!(replayed.violations, failure.violations);

    let shrunk = shrink(&explorer, schedule, "expect[1]").expect("it reproduces");
    assert_eq!(
        shrunk.deviations, 1,
        "{:?}",
        shrunk.result.schedule.decisions
    );
    assert_eq!(deviations(&shrunk.result.schedule.decisions), 1);

    let (explained, sentences) = explorer.run_explained(&shrunk.result.schedule);
    assert_eq!(text(&explained), text(&shrunk.result));
    assert_eq!(sentences.len(), 1, "{sentences:?}");
    assert!(
        sentences[0].contains("primary") && sentences[0].contains("backup"),
        "{sentences:?}"
    );
}

/// A bug that exists from level `lowest` on: every level below it is explored completely
/// without a failure.
fn absent_below(file: &str, lowest: Level, inject_cancels: u32) {
    let explorer = Explorer::new(load(file));
    for level in [Level::Ties, Level::Interleave, Level::Timing] {
        if level >= lowest {
            break;
        }
        let outcome = quiet_sweep(
            &explorer,
            &config(PolicyKind::Exhaustive, level, inject_cancels, 0, 100_000),
        );
        let coverage = outcome.coverage.expect("exhaustive reports coverage");
        assert!(coverage.complete, "{file} at {level:?}: {coverage:?}");
        assert!(
            outcome.failures.is_empty(),
            "{file}: a failure at {level:?}, below {lowest:?}"
        );
    }
}

#[test]
fn each_bug_first_exists_at_its_level() {
    for bug in BUGS {
        if bug.inject_cancels == 0 && bug.file != "heartbeat_false_alarm.json" {
            absent_below(bug.file, bug.level, 0);
        }
    }
    // Eight tasks at level 1 have no choice at all (no timers, no sets).
    absent_below("heartbeat_false_alarm.json", Level::Interleave, 0);
}

/// Graph (e): the timeout against a task finishing at the same tick is decided the same way
/// at levels 1 and 2 (complete exploration, no failure), and at level 3 only a deferred timer
/// shows the double charge.
#[test]
fn wait_for_race_needs_timing_freedom() {
    let explorer = Explorer::new(load("wait_for_double_charge.json"));
    absent_below("wait_for_double_charge.json", Level::Timing, 0);
    let outcome = quiet_sweep(
        &explorer,
        &config(PolicyKind::Random, Level::Timing, 0, 0, 100),
    );
    let failure = outcome.failures.first().expect("level 3 finds it");
    assert!(
        failure.violations[0]
            .message
            .contains("already created: ledger_entry")
    );
    let shrunk = shrink(&explorer, &failure.schedule, "expect[0]").expect("it reproduces");
    assert_eq!(shrunk.deviations, 1);
    let kinds: Vec<ChoiceKind> = shrunk
        .result
        .schedule
        .decisions
        .iter()
        .filter(|d| d.chosen != 0)
        .map(|d| d.kind)
        .collect();
    assert_eq!(kinds, [ChoiceKind::Due], "a deferred timer, nothing else");
}

/// Graph (g): no order of the scenario's own events leaks the slot, even at level 3; one
/// injected cancellation does.
#[test]
fn pool_slot_leak_needs_an_injected_cancellation() {
    absent_below("pool_slot_leak.json", Level::Timing, 0);
    let explorer = Explorer::new(load("pool_slot_leak.json"));
    let outcome = quiet_sweep(
        &explorer,
        &config(PolicyKind::Exhaustive, Level::Timing, 0, 0, 100_000),
    );
    assert!(outcome.coverage.expect("coverage").complete);
    assert!(outcome.failures.is_empty());
    let injected = quiet_sweep(
        &explorer,
        &config(PolicyKind::Random, Level::Interleave, 1, 0, 100),
    );
    let failure = injected
        .failures
        .first()
        .expect("an injected cancel finds it");
    let shrunk = shrink(&explorer, &failure.schedule, "expect[0]").expect("reproduces");
    let (_, sentences) = explorer.run_explained(&shrunk.result.schedule);
    assert!(
        sentences
            .iter()
            .any(|s| s.contains("job_a") && s.contains("injected")),
        "{sentences:?}"
    );
}

/// Graph (f): three ordering constraints that line up with one persistent priority order.
/// PCT (depth 3) finds the false alarm far more often than a random walk over the same seeds.
#[test]
fn heartbeat_false_alarm_favours_pct() {
    let explorer = Explorer::new(load("heartbeat_false_alarm.json"));
    let runs = 600;
    let found = |policy| {
        quiet_sweep(&explorer, &config(policy, Level::Interleave, 0, 0, runs))
            .failures
            .len()
    };
    let (pct, random) = (found(PolicyKind::Pct), found(PolicyKind::Random));
    assert!(pct >= 30, "pct found {pct} in {runs}");
    assert!(
        pct >= 10 * random.max(1),
        "pct {pct}, random {random} in {runs}"
    );
    // The first PCT failure comes early.
    let steps = explorer.fifo_handles();
    let sweep = config(PolicyKind::Pct, Level::Interleave, 0, 0, runs);
    let (n, _) = runs_to_first_failure(&explorer, &sweep, steps, 60).expect("within 60 runs");
    assert!(n <= 60);
}

/// A failure found by one policy reports the same schedule whichever way it is replayed:
/// through `Schedule` JSON, as the failures file stores it.
#[test]
fn failing_schedules_survive_json() {
    for bug in BUGS {
        let explorer = Explorer::new(load(bug.file));
        let outcome = quiet_sweep(&explorer, &bug_config(&bug, bug.bound));
        let failure = &outcome.failures[0];
        let json = serde_json::to_string(&failure.schedule).expect("a schedule serializes");
        let back: Schedule = serde_json::from_str(&json).expect("and reads back");
        assert_eq!(back, failure.schedule);
        let replayed = explorer.run(&back.replaying(back.decisions.clone()));
        assert_eq!(text(&replayed), text(failure), "{}", bug.file);
    }
}

/// Graph (f) needs one deviation only: run the detector first in the first round, and
/// CPython's FIFO queue keeps it first in the next two. The shrinker, which only lowers
/// options, may stop at two smaller deviations; it never ends above two.
#[test]
fn heartbeat_false_alarm_needs_one_deviation() {
    use aiosim_sim::policy::Decision;
    let explorer = Explorer::new(load("heartbeat_false_alarm.json"));
    let one = vec![Decision {
        kind: ChoiceKind::Pick,
        options: 8,
        chosen: 7,
    }];
    let base = Schedule::new(PolicyKind::Random, 0, Level::Interleave);
    let result = explorer.run(&base.replaying(one));
    assert_eq!(result.divergence, None);
    assert!(!result.passed(), "the detector first in round 1 is enough");
    let (_, sentences) = explorer.run_explained(&result.schedule);
    assert_eq!(sentences.len(), 1, "{sentences:?}");
    assert!(
        sentences[0].contains("task detector before task replica1"),
        "{sentences:?}"
    );

    let outcome = quiet_sweep(
        &explorer,
        &config(PolicyKind::Pct, Level::Interleave, 0, 0, 60),
    );
    for failure in outcome.failures.iter().take(5) {
        let shrunk = shrink(&explorer, &failure.schedule, "expect[0]").expect("reproduces");
        assert_eq!(
            shrunk.deviations, 1,
            "the shrinker finds the single deviation"
        );
    }
}

/// Graph (e) as it is usually written: `wait_for` right after `create_task`, so the timeout's
/// timer is pushed before the task's sleep timer and pops first among the equal deadlines.
/// The legal schedule that shows the double charge defers the timeout while the sleep timer
/// runs: level 3 chooses which of the equal-deadline due timers at the cut are deferred.
#[test]
fn wait_for_race_without_a_yield_is_found_at_level_3() {
    let graph = support::graph(
        r#"{"format": "aiosim-graph/1", "name": "wait_for_double_charge_direct",
          "main": "checkout", "tasks": {
          "checkout": [{"spawn": "charge"},
            {"try": [{"wait_for": "charge", "timeout": 10}, {"return": "charged"}],
             "except": [{"type": "TimeoutError", "do": [{"spawn": "retry"}, {"await": "retry"},
                        {"return": "charged on retry"}]}]}],
          "charge": [{"sleep": 10}, {"future": "ledger_entry"}, {"return": "receipt"}],
          "retry": [{"sleep": 3}, {"future": "ledger_entry"}, {"return": "receipt"}]},
          "expect": [{"run_in": [{"ok": "charged"}, {"ok": "charged on retry"}]}]}"#,
    );
    let explorer = Explorer::new(graph);
    assert!(explorer.run(&fifo()).passed());
    let outcome = quiet_sweep(
        &explorer,
        &config(PolicyKind::Exhaustive, Level::Timing, 0, 0, 100_000),
    );
    assert!(outcome.coverage.expect("coverage").complete);
    assert!(
        !outcome.failures.is_empty(),
        "level 3 misses the double charge"
    );
}
