//! Running a graph under schedules with every check: the graph's `expect`, runtime sanity
//! (P1–P7 and the iteration budget) and every oracle of [`Oracles::all`].

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use proptest::strategy::Strategy;
use proptest::test_runner::{TestCaseError, TestError, TestRunner};

use aiosim_sim::explore::{Explorer, RunResult, Violation};
use aiosim_sim::graph::Graph;
use aiosim_sim::policy::{Coverage, Schedule, explore};

use crate::oracle::Oracles;

use super::schedule::ScheduleSpec;

/// The iteration budget of one run in the property tests. The generated graphs are small
/// (a few hundred handles at most), so a run that needs more is a runaway, not a big graph.
pub const BUDGET: u64 = 100_000;

/// The environment variable naming oracles to leave out (IDs separated by commas or
/// spaces), to hunt on past a known oracle problem. Unset: every oracle runs.
pub const SKIP_ORACLES: &str = "AIOSIM_SKIP_ORACLES";

/// The oracles the tests run: every one, minus those named by [`SKIP_ORACLES`].
pub fn oracles() -> Oracles {
    match std::env::var(SKIP_ORACLES) {
        Ok(skip) => {
            let skip: Vec<String> = skip
                .split([',', ' '])
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect();
            Oracles::filtered(|id| !skip.iter().any(|s| s == id))
        }
        Err(_) => Oracles::all(),
    }
}

/// An explorer over `graph` with the default checks, the oracles of [`oracles`] and the
/// test budget.
pub fn explorer(graph: Graph) -> Explorer {
    let mut explorer = Explorer::new(Arc::new(graph));
    explorer.checks.push(Box::new(oracles()));
    explorer.budget = BUDGET;
    explorer
}

/// The graph's faithful (FIFO) run: its result, and the number of handles, the step
/// estimate of PCT and injection.
pub fn faithful(explorer: &Explorer) -> (RunResult, u64) {
    let result = explorer.run(&Schedule::default());
    let handles = result.report.handles;
    (result, handles)
}

/// Runs `spec` (with the step estimate `steps`).
pub fn run(explorer: &Explorer, spec: &ScheduleSpec, steps: u64) -> RunResult {
    explorer.run(&spec.schedule(steps))
}

/// A failed run, in words: the schedule (replayable: its decisions are recorded), the
/// violations, and the trace.
pub fn describe(result: &RunResult) -> String {
    let schedule = aiosim_sim::policy::encode_decisions(&result.schedule.decisions);
    let mut out = format!(
        "schedule {:?} seed {} level {} depth {} inject {} decisions \"{schedule}\"\n",
        result.schedule.policy,
        result.schedule.seed,
        result.schedule.level as u8,
        result.schedule.depth,
        result.schedule.inject_cancels,
    );
    for v in &result.violations {
        out.push_str(&format!("  [{}] {}\n", v.check, v.message));
    }
    out.push_str("trace:\n");
    for (i, e) in result.report.trace.events.iter().enumerate() {
        let it = result.report.event_iterations.get(i).copied().unwrap_or(0);
        out.push_str(&format!("  {i:3} it{it:<4} {e}\n"));
    }
    out
}

/// Whether a violation comes from an invariant oracle (its check is a catalogue ID), not from
/// the graph's `expect`, runtime sanity or the budget.
pub fn is_oracle(v: &Violation, oracle_ids: &[&str]) -> bool {
    oracle_ids.contains(&&*v.check)
}

/// What an exhaustive exploration found.
#[derive(Debug)]
pub struct Exhaustive {
    /// Coverage of the decision tree.
    pub coverage: Coverage,
    /// The first failing run, if any.
    pub failure: Option<RunResult>,
    /// How many runs were made (after a failure, the rest of the tree is skipped).
    pub runs: usize,
}

/// Runs every decision list of `graph` at `base`'s level (at most `run_budget` runs), judging
/// each run; stops at the first failing run.
pub fn exhaustive(explorer: &Explorer, base: &Schedule, run_budget: usize) -> Exhaustive {
    let mut failure = None;
    let mut runs = 0;
    let coverage = explore(base, run_budget, |schedule| {
        runs += 1;
        let result = explorer.run(schedule);
        if result.passed() {
            return Some(result.schedule.decisions);
        }
        failure = Some(result);
        None
    });
    Exhaustive {
        coverage,
        failure,
        runs,
    }
}

/// Runs `schedule` on `explorer`'s graph and fails the test case, with the schedule, the
/// violations and the trace, if any check fails.
pub fn clean(explorer: &Explorer, schedule: &Schedule) -> Result<RunResult, TestCaseError> {
    let result = explorer.run(schedule);
    if result.passed() {
        Ok(result)
    } else {
        Err(TestCaseError::fail(describe(&result)))
    }
}

/// Runs the property `test` over `strategy` with [`super::config`] (`PROPTEST_CASES` cases,
/// failures persisted in `persist`), then prints how many cases passed and how many runs
/// (graph × schedule) they made, as counted by `test` in its counter; panics with the
/// shrunk input on failure. Returns the number of runs.
pub fn property<S>(
    name: &str,
    persist: &'static str,
    strategy: S,
    test: impl Fn(S::Value, &AtomicU64) -> Result<(), TestCaseError>,
) -> u64
where
    S: Strategy,
    S::Value: std::fmt::Debug,
{
    let runs = AtomicU64::new(0);
    let cases = AtomicU64::new(0);
    let start = Instant::now();
    let mut runner = TestRunner::new(super::config(persist));
    let outcome = runner.run(&strategy, |value| {
        cases.fetch_add(1, Ordering::Relaxed);
        test(value, &runs)
    });
    let runs = runs.load(Ordering::Relaxed);
    eprintln!(
        "{name}: {} cases (shrinking included), {runs} graph x schedule runs, {:.1?}",
        cases.load(Ordering::Relaxed),
        start.elapsed()
    );
    match outcome {
        Ok(()) => runs,
        Err(TestError::Fail(reason, value)) => {
            panic!("{name} failed: {reason}\nminimal failing input: {value:#?}")
        }
        Err(TestError::Abort(reason)) => panic!("{name} aborted: {reason}"),
    }
}

/// The number of decision lists of `graph` at `base`'s level, if it is at most `limit`:
/// counted by running them without any check (a run alone is cheap; the oracles are not).
pub fn schedule_count(graph: &Arc<Graph>, base: &Schedule, limit: usize) -> Option<usize> {
    let mut bare = Explorer::new(graph.clone());
    bare.checks.clear();
    bare.budget = BUDGET;
    let coverage = explore(base, limit, |s| Some(bare.run(s).schedule.decisions));
    coverage.complete.then_some(coverage.schedules)
}
