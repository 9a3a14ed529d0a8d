//! Helpers shared by the `explore_*` tests (included with `#[path]`): the bug graphs of
//! `examples/graphs/bugs/`, how each one is found, and small sweep utilities.
//!
//! Built on its own it is an empty test target.

#![allow(dead_code)] // each test file uses its own subset

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use aiosim::Level;
use aiosim_sim::explore::{
    Explorer, Limits, RunResult, Schedules, Shard, SweepConfig, SweepOutcome, sweep,
};
use aiosim_sim::graph::{Graph, parse_graph};
use aiosim_sim::policy::{PolicyKind, Schedule};

/// How a bug graph is expected to be found: the policy, level and injection that find it,
/// and the number of runs (seeds `0..bound`) within which the first failure must appear.
#[derive(Clone, Copy, Debug)]
pub struct Bug {
    /// File name in `examples/graphs/bugs/`.
    pub file: &'static str,
    /// The policy that finds it.
    pub policy: PolicyKind,
    /// The lowest level at which it exists.
    pub level: Level,
    /// Cancellations to inject (0: a pure ordering bug).
    pub inject_cancels: u32,
    /// Seeds `0..bound` contain at least one failure.
    pub bound: u64,
}

/// Every bug graph and how it is found. The bounds are deterministic (the seeds are fixed);
/// each leaves a margin of several times the measured runs-to-first-failure.
pub const BUGS: [Bug; 7] = [
    Bug {
        file: "hedged_request.json",
        policy: PolicyKind::Random,
        level: Level::Ties,
        inject_cancels: 0,
        bound: 20,
    },
    Bug {
        file: "deadline_watchdog.json",
        policy: PolicyKind::Random,
        level: Level::Ties,
        inject_cancels: 0,
        bound: 20,
    },
    Bug {
        file: "transfer_deadlock.json",
        policy: PolicyKind::Random,
        level: Level::Interleave,
        inject_cancels: 0,
        bound: 20,
    },
    Bug {
        file: "taskgroup_orphan_upload.json",
        policy: PolicyKind::Random,
        level: Level::Ties,
        inject_cancels: 0,
        bound: 20,
    },
    Bug {
        file: "wait_for_double_charge.json",
        policy: PolicyKind::Random,
        level: Level::Timing,
        inject_cancels: 0,
        bound: 100,
    },
    Bug {
        file: "heartbeat_false_alarm.json",
        policy: PolicyKind::Pct,
        level: Level::Interleave,
        inject_cancels: 0,
        bound: 60,
    },
    Bug {
        file: "pool_slot_leak.json",
        policy: PolicyKind::Random,
        level: Level::Interleave,
        inject_cancels: 1,
        bound: 100,
    },
];

/// The workspace root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The path of a bug graph.
pub fn bug_path(file: &str) -> PathBuf {
    workspace().join("examples/graphs/bugs").join(file)
}

/// Parses a bug graph.
pub fn load(file: &str) -> Arc<Graph> {
    let path = bug_path(file);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Arc::new(parse_graph(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
}

/// Parses a scenario written in a test.
pub fn graph(json: &str) -> Arc<Graph> {
    Arc::new(parse_graph(json.as_bytes()).expect("a valid scenario"))
}

/// A sweep of `runs` seeds from `seed`, on one thread, unsharded.
pub fn config(
    policy: PolicyKind,
    level: Level,
    inject_cancels: u32,
    seed: u64,
    runs: u64,
) -> SweepConfig {
    SweepConfig {
        schedules: Schedules {
            policy,
            runs,
            seed,
            level,
            depth: 3,
            inject_cancels,
        },
        jobs: 1,
        shard: Shard::ALL,
        limits: Limits::default(),
    }
}

/// The sweep configuration a bug is found with, over seeds `0..runs`.
pub fn bug_config(bug: &Bug, runs: u64) -> SweepConfig {
    config(bug.policy, bug.level, bug.inject_cancels, 0, runs)
}

/// Runs a sweep without callbacks.
pub fn quiet_sweep(explorer: &Explorer, config: &SweepConfig) -> SweepOutcome {
    sweep(explorer, config, &|_| Ok(()), &|| {}).expect("the sweep runs")
}

/// The failing seeds of a sweep, sorted.
pub fn failing_seeds(outcome: &SweepOutcome) -> Vec<u64> {
    let mut seeds: Vec<u64> = outcome.failures.iter().map(|r| r.schedule.seed).collect();
    seeds.sort_unstable();
    seeds
}

/// Runs seeds `seed, seed + 1, ...` one by one until a run fails; returns how many runs that
/// took (the failing run included) and the failure, or `None` after `limit` runs.
pub fn runs_to_first_failure(
    explorer: &Explorer,
    config: &SweepConfig,
    steps_hint: u64,
    limit: u64,
) -> Option<(u64, RunResult)> {
    (0..limit).find_map(|k| {
        let result =
            explorer.run(&config.schedule(config.schedules.seed.wrapping_add(k), steps_hint));
        (!result.passed()).then_some((k + 1, result))
    })
}

/// A fresh directory under cargo's per-target temporary directory.
pub fn scratch_dir(name: &str) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("explore-{name}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("the scratch directory can be created");
    dir
}

/// The canonical trace of a run, as text.
pub fn text(result: &RunResult) -> String {
    String::from_utf8(result.report.trace.to_jsonl()).expect("traces are UTF-8")
}

/// The faithful (CPython) schedule.
pub fn fifo() -> Schedule {
    Schedule::new(PolicyKind::Fifo, 0, Level::Interleave)
}
