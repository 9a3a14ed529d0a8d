//! Helpers shared by the `oracles_*` tests: scenarios written in a test, runs under a
//! schedule, judging a finished run, reading a run back for a failure message, tampering
//! with a run's final states, and numbers from the environment.

use std::str::FromStr;
use std::sync::Arc;

use aiosim::{Level, State};
use aiosim_properties::{Judged, TraceIndex};
use aiosim_sim::graph::{Graph, parse_graph};
use aiosim_sim::interp::{FinalState, RunOptions, RunReport, run_graph};
use aiosim_sim::policy::{DecisionLogHandle, Schedule, scheduler_for};

/// Enough loop iterations for every scenario of these tests; the runs that need more stop
/// there instead of hanging.
pub const ITERATION_BUDGET: u64 = 100_000;

/// Parses a scenario written in a test; panics with the document if it is invalid.
pub fn graph(json: &str) -> Arc<Graph> {
    Arc::new(parse_graph(json.as_bytes()).unwrap_or_else(|e| panic!("bad graph: {e}\n{json}")))
}

/// Runs `g` under `schedule`, within [`ITERATION_BUDGET`]; returns the report and the run's
/// decision log.
pub fn run_under(g: &Arc<Graph>, schedule: &Schedule) -> (RunReport, DecisionLogHandle) {
    let (scheduler, log) = scheduler_for(schedule);
    let mut options = RunOptions::default();
    options.scheduler = Some(scheduler);
    options.iteration_budget = Some(ITERATION_BUDGET);
    (run_graph(g.clone(), options), log)
}

/// Gives `judge` the finished run `report` of `g`, scheduled at `level`, as the oracles see
/// it, and returns what it finds.
pub fn judge_run<T>(
    g: &Arc<Graph>,
    report: &RunReport,
    level: Level,
    judge: impl FnOnce(&Judged<'_>) -> T,
) -> T {
    let index = TraceIndex::new(report);
    judge(&Judged {
        graph: g,
        report,
        index: &index,
        level,
    })
}

/// A run for a failure message: every event with its index and loop iteration, then the
/// final states.
pub fn dump(report: &RunReport) -> String {
    let mut s = String::new();
    for (i, e) in report.trace.events.iter().enumerate() {
        s += &format!("{i:3} it{:3} {e}\n", report.event_iterations[i]);
    }
    for f in &report.finals {
        s += &format!("{f:?}\n");
    }
    s
}

/// The final state of the task or future `name` of a run, to tamper with.
pub fn final_state<'r>(r: &'r mut RunReport, name: &str) -> &'r mut FinalState {
    r.finals
        .iter_mut()
        .find(|f| &*f.name == name)
        .expect("a final state")
}

/// Makes a run end with `name` in `state`.
pub fn set_final_state(r: &mut RunReport, name: &str, state: State) {
    final_state(r, name).state = state;
}

/// The number in environment variable `name`, or `default` when it is unset or not a number.
pub fn env_number<T: FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}
