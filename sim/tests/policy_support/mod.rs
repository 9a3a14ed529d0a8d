//! Helpers shared by the `policy_*` tests: the example scenarios, small scenarios with real
//! choices, and one run under a schedule.

#![allow(dead_code)] // each test file uses its own subset

#[path = "../../../tests/support/example_graphs.rs"]
mod example_graphs;

use std::sync::Arc;

use aiosim::Level;
use aiosim_sim::graph::{Graph, parse_graph};
use aiosim_sim::interp::{RunEnd, RunOptions, RunReport, run_graph};
use aiosim_sim::policy::{DecisionLogHandle, Schedule, scheduler_for};
use example_graphs::example_and_reference_graphs;

/// The exploring levels.
pub const LEVELS: [Level; 3] = [Level::Ties, Level::Interleave, Level::Timing];

/// Enough iterations for every scenario here; a run that needs more is a bug.
const ITERATION_BUDGET: u64 = 100_000;

/// Every `*.json` scenario of `tests/examples/` and `tests/reference/cases/`, by file name.
pub fn example_graphs() -> Vec<(String, Arc<Graph>)> {
    let found: Vec<(String, Arc<Graph>)> = example_and_reference_graphs()
        .into_iter()
        .map(|(path, graph)| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, graph)
        })
        .collect();
    assert!(found.len() >= 20, "the example scenarios are there");
    found
}

/// Parses a scenario written in a test.
pub fn graph(json: &str) -> Arc<Graph> {
    Arc::new(parse_graph(json.as_bytes()).expect("a valid scenario"))
}

/// `n` tasks that sleep the same time, then race to set one shared future; `main` returns
/// the winner.
pub fn sleepers(n: usize) -> Arc<Graph> {
    let names: Vec<String> = (1..=n).map(|i| format!("s{i}")).collect();
    let spawns: Vec<String> = names
        .iter()
        .map(|s| format!(r#"{{"spawn": "{s}"}}"#))
        .collect();
    let bodies: Vec<String> = names
        .iter()
        .map(|s| {
            format!(
                r#""{s}": [{{"sleep": 3}}, {{"try": [{{"set_result": "f", "value": "{s}"}}],
                   "except": [{{"type": "InvalidStateError", "do": []}}]}}]"#
            )
        })
        .collect();
    graph(&format!(
        r#"{{"format": "aiosim-graph/1", "name": "sleepers", "main": "main", "tasks": {{
            "main": [{{"future": "f"}}, {}, {{"await": "f"}}, {{"return": "done"}}],
            {}}}}}"#,
        spawns.join(", "),
        bodies.join(",\n")
    ))
}

/// Runs `graph` under `schedule`; returns the report and the run's decision log.
pub fn run(graph: &Arc<Graph>, schedule: &Schedule) -> (RunReport, DecisionLogHandle) {
    let (scheduler, log) = scheduler_for(schedule);
    let mut options = RunOptions::default();
    options.scheduler = Some(scheduler);
    options.iteration_budget = Some(ITERATION_BUDGET);
    let report = run_graph(graph.clone(), options);
    assert!(
        !matches!(report.end, RunEnd::BudgetExhausted { .. }),
        "the run ends within {ITERATION_BUDGET} iterations"
    );
    (report, log)
}

/// The canonical trace text of a report.
pub fn text(report: &RunReport) -> String {
    String::from_utf8(report.trace.to_jsonl()).expect("traces are UTF-8")
}
