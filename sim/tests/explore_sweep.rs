//! Sweeps: the outcome of a seed does not depend on the thread count or the shard it runs in,
//! every failure reaches the failures file, and one schedule always gives one trace.

#[path = "explore_support.rs"]
mod support;

use std::collections::BTreeSet;
use std::sync::Mutex;

use aiosim::Level;
use aiosim_sim::explore::{
    ExploreOptions, Explorer, FailureFile, FailureRecord, Shard, SweepConfig, read_failures, sweep,
};
use aiosim_sim::policy::{PolicyKind, Schedule};
use aiosim_sim::trace::Fnv1a;
use support::{
    BUGS, bug_config, bug_path, config, failing_seeds, graph, load, quiet_sweep, scratch_dir, text,
};

/// A sweep of every bug graph at its policy and level with `jobs` threads.
fn failing_seeds_with(jobs: usize, runs: u64) -> Vec<(String, Vec<u64>)> {
    BUGS.iter()
        .map(|bug| {
            let explorer = Explorer::new(load(bug.file));
            let mut sweep = bug_config(bug, runs);
            sweep.jobs = jobs;
            let outcome = quiet_sweep(&explorer, &sweep);
            assert_eq!(outcome.runs, runs);
            (bug.file.to_string(), failing_seeds(&outcome))
        })
        .collect()
}

#[test]
fn one_and_two_threads_find_the_same_failing_seeds() {
    let one = failing_seeds_with(1, 150);
    let two = failing_seeds_with(2, 150);
    assert_eq!(one, two);
    assert!(one.iter().all(|(_, seeds)| !seeds.is_empty()), "{one:?}");
}

/// Every run fails (the expectation cannot hold), so the failing seeds are the seeds run.
fn always_failing() -> std::sync::Arc<aiosim_sim::graph::Graph> {
    graph(
        r#"{"format": "aiosim-graph/1", "name": "always", "main": "main", "tasks": {
            "main": [{"spawn": "a"}, {"spawn": "b"}, {"sleep": 2}],
            "a": [{"sleep": 1}], "b": [{"sleep": 1}]},
            "expect": [{"run": {"ok": "never"}}]}"#,
    )
}

#[test]
fn shards_cover_the_seed_range_exactly_once() {
    let explorer = Explorer::new(always_failing());
    let whole = config(PolicyKind::Random, Level::Interleave, 0, 1_000, 101);
    let all = failing_seeds(&quiet_sweep(&explorer, &whole));
    assert_eq!(
        all,
        (1_000..1_101).collect::<Vec<u64>>(),
        "every seed ran once"
    );
    for count in [2, 3] {
        let mut union = Vec::new();
        let mut runs = 0;
        for index in 0..count {
            let shard = Shard::parse(&format!("{index}/{count}")).expect("a shard");
            let part = SweepConfig {
                shard,
                jobs: 2,
                ..whole.clone()
            };
            let outcome = quiet_sweep(&explorer, &part);
            runs += outcome.runs;
            let seeds = failing_seeds(&outcome);
            assert_eq!(seeds, part.seeds().collect::<Vec<u64>>());
            union.extend(seeds);
        }
        assert_eq!(runs, 101, "{count} shards");
        union.sort_unstable();
        assert_eq!(union, all, "{count} shards cover 0/1 exactly once");
    }
    // A bug graph: the failures of 0/2 and 1/2 together are those of 0/1.
    let bug = &BUGS[5];
    let explorer = Explorer::new(load(bug.file));
    let whole = bug_config(bug, 120);
    let expected = failing_seeds(&quiet_sweep(&explorer, &whole));
    let mut union: Vec<u64> = (0..2)
        .flat_map(|index| {
            let part = SweepConfig {
                shard: Shard { index, count: 2 },
                ..whole.clone()
            };
            failing_seeds(&quiet_sweep(&explorer, &part))
        })
        .collect();
    union.sort_unstable();
    assert_eq!(union, expected);
    assert!(!expected.is_empty());
}

#[test]
fn shard_parsing_rejects_bad_shards() {
    for bad in ["", "1", "2/2", "0/0", "a/2", "1/b", "-1/2"] {
        assert!(Shard::parse(bad).is_err(), "{bad:?}");
    }
    assert_eq!(Shard::parse("3/4"), Ok(Shard { index: 3, count: 4 }));
}

#[test]
fn every_reported_failure_is_in_the_failures_file() {
    let dir = scratch_dir("failures-file");
    for (i, bug) in BUGS.iter().enumerate() {
        let path = dir.join(format!("{i}.jsonl"));
        let bytes = std::fs::read(bug_path(bug.file)).expect("readable");
        let hash = Fnv1a::hash(&bytes);
        let file = FailureFile::append(&path).expect("the file opens");
        let reported = Mutex::new(Vec::new());
        let explorer = Explorer::new(load(bug.file));
        let mut sweep_config = bug_config(bug, 100);
        sweep_config.jobs = 2;
        let outcome = sweep(
            &explorer,
            &sweep_config,
            &|r| {
                let record = FailureRecord::new(bug.file, hash, &ExploreOptions::default(), r);
                let index = file.write(&record)?;
                reported.lock().unwrap().push((index, record));
                Ok(())
            },
            &|| {},
        )
        .expect("the sweep runs");
        let records = read_failures(&path).expect("the file reads back");
        let reported = reported.into_inner().unwrap();
        assert_eq!(records.len() as u64, outcome.failed, "{}", bug.file);
        assert_eq!(records.len(), reported.len());
        for (index, record) in &reported {
            assert_eq!(
                &records[*index], record,
                "line {index} is the record reported"
            );
        }
        let mut seeds: Vec<u64> = records.iter().map(|r| r.seed).collect();
        seeds.sort_unstable();
        assert_eq!(seeds, failing_seeds(&outcome));
        for record in &records {
            assert_eq!(record.graph_hash, aiosim_sim::explore::failure::hex(hash));
            assert!(!record.violations.is_empty());
            assert_eq!(record.check, record.violations[0].check);
            let s = &record.schedule;
            let replayed = explorer.run(&s.replaying(s.decisions.clone()));
            assert_eq!(
                aiosim_sim::explore::failure::hex(replayed.report.trace.canonical_hash()),
                record.trace_hash,
                "{} seed {}: the replay reproduces the recorded trace",
                bug.file,
                record.seed
            );
            assert!(
                replayed
                    .violations
                    .iter()
                    .any(|v| *v.check == *record.check)
            );
        }
        // Appending again keeps the earlier records and numbers the new ones after them.
        let again = FailureFile::append(&path).expect("reopens");
        let next = again.write(&records[0]).expect("writes");
        assert_eq!(next, records.len());
        assert_eq!(
            read_failures(&path).expect("reads").len(),
            records.len() + 1
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn one_schedule_always_gives_one_trace() {
    for bug in BUGS {
        let explorer = Explorer::new(load(bug.file));
        let steps = explorer.fifo_handles();
        for policy in [PolicyKind::Random, PolicyKind::Pct, PolicyKind::Pos] {
            for level in [Level::Ties, Level::Interleave, Level::Timing] {
                for seed in 0..5 {
                    let mut schedule = Schedule::new(policy, seed, level);
                    schedule.steps_hint = steps;
                    schedule.inject_cancels = bug.inject_cancels;
                    let first = explorer.run(&schedule);
                    let second = explorer.run(&schedule);
                    assert_eq!(text(&first), text(&second), "{} {schedule:?}", bug.file);
                    assert_eq!(first.schedule, second.schedule);
                    assert_eq!(first.violations, second.violations);
                }
            }
        }
    }
}

#[test]
fn the_determinism_self_check_passes_on_every_bug_graph() {
    for bug in BUGS {
        let mut explorer = Explorer::new(load(bug.file));
        explorer.check_determinism = true;
        let outcome = quiet_sweep(&explorer, &bug_config(&bug, 40));
        for failure in &outcome.failures {
            assert!(
                failure
                    .violations
                    .iter()
                    .all(|v| &*v.check != "determinism"),
                "{}: {:?}",
                bug.file,
                failure.violations
            );
        }
    }
}

/// The sweep tells traces apart by a key of their events; it counts exactly the distinct
/// canonical texts, on graphs whose runs repeat a few traces and on one where every run
/// differs.
#[test]
fn the_sweep_counts_distinct_canonical_texts() {
    for (file, at_least) in [
        ("taskgroup_orphan_upload.json", 4),
        ("deadline_watchdog.json", 2),
        ("heartbeat_false_alarm.json", 150),
    ] {
        let explorer = Explorer::new(load(file));
        let steps = explorer.fifo_handles();
        let sweep = config(PolicyKind::Random, Level::Interleave, 0, 0, 200);
        let texts: BTreeSet<String> = sweep
            .seeds()
            .map(|seed| text(&explorer.run(&sweep.schedule(seed, steps))))
            .collect();
        assert!(texts.len() >= at_least, "{file}: {} distinct", texts.len());
        assert_eq!(
            quiet_sweep(&explorer, &sweep).distinct_traces,
            texts.len(),
            "{file}"
        );
    }
}

#[test]
fn ten_seeds_give_several_distinct_traces() {
    let explorer = Explorer::new(load("heartbeat_false_alarm.json"));
    let steps = explorer.fifo_handles();
    for policy in [PolicyKind::Random, PolicyKind::Pct, PolicyKind::Pos] {
        let sweep = config(policy, Level::Interleave, 0, 0, 10);
        let traces: BTreeSet<String> = sweep
            .seeds()
            .map(|seed| text(&explorer.run(&sweep.schedule(seed, steps))))
            .collect();
        assert!(traces.len() >= 8, "{policy:?}: {} distinct", traces.len());
        // The sweep counts the same distinct traces.
        assert_eq!(quiet_sweep(&explorer, &sweep).distinct_traces, traces.len());
    }
    // FIFO makes no choice: ten seeds, one trace.
    let fifo = config(PolicyKind::Fifo, Level::Interleave, 0, 0, 10);
    assert_eq!(quiet_sweep(&explorer, &fifo).distinct_traces, 1);
}
