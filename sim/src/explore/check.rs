//! Checks run after every explored run: the graph's own `expect` entries (graph-format 2.7),
//! runtime sanity (semantics 4.1) and the run budget. More checks (the invariant oracles) plug
//! in through [`Check`].

use std::sync::Arc;

use crate::graph::{Expectation, ExpectedOutcome, Graph};
use crate::interp::{RunEnd, RunReport};
use crate::trace::{Outcome, Res};

use super::sanity::SanityViolation;

/// A failed check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// Which check: `expect[3]`, `P6`, `budget`, or an oracle's invariant ID.
    pub check: Arc<str>,
    /// What went wrong, in a sentence.
    pub message: String,
}

/// What a check sees of one run.
pub struct RunView<'a> {
    /// The scenario, as shared by the runs of one exploration (checks that derive something
    /// from the scenario alone can keep it for the next run of the same one).
    pub graph: &'a Arc<Graph>,
    /// The run's trace and how it ended.
    pub report: &'a RunReport,
    /// The runtime sanity violations recorded during the run.
    pub sanity: &'a [SanityViolation],
    /// The permutation level the run was scheduled at (`Fifo` for CPython's order): checks
    /// of exact orders and latencies apply only at `Fifo`, timing checks weaken to "not
    /// before" from level 3 on (semantics 4.4).
    pub level: aiosim::Level,
}

/// A check over one run.
pub trait Check: Send + Sync {
    /// A short name for reports.
    fn name(&self) -> &str;
    /// The violations found in `run` (empty when it passes).
    fn check(&self, run: &RunView<'_>) -> Vec<Violation>;
}

/// The graph's `expect` entries.
pub struct Expectations;

/// Runtime sanity (P1–P7) and the run budget.
pub struct Sanity;

/// The outcome an expectation names, in the trace's model.
pub fn expected(e: &ExpectedOutcome) -> Outcome {
    match e {
        ExpectedOutcome::Ok(v) => Outcome::Ok(Res::Value(v.clone())),
        ExpectedOutcome::Cancelled(m) => Outcome::Cancelled(m.clone()),
        ExpectedOutcome::Err { ty, msg, excs } => Outcome::Err {
            ty: ty.clone(),
            msg: msg.clone(),
            excs: excs.as_ref().map(|xs| xs.iter().map(expected).collect()),
        },
    }
}

fn one_of(actual: &Outcome, wanted: &[ExpectedOutcome]) -> bool {
    wanted.iter().any(|w| expected(w) == *actual)
}

fn describe(wanted: &[ExpectedOutcome]) -> String {
    let all: Vec<String> = wanted.iter().map(|w| expected(w).to_string()).collect();
    all.join(" or ")
}

impl Check for Expectations {
    fn name(&self) -> &str {
        "expect"
    }

    fn check(&self, run: &RunView<'_>) -> Vec<Violation> {
        let trace = &run.report.trace;
        let finish = trace.finish();
        let mut out = Vec::new();
        for (i, e) in run.graph.expect.iter().enumerate() {
            let found = match e {
                Expectation::End { task, outcome } => problem(
                    &format!("task {}", task.name),
                    trace.end_of(&task.name),
                    std::slice::from_ref(outcome),
                ),
                Expectation::EndIn { task, outcomes } => problem(
                    &format!("task {}", task.name),
                    trace.end_of(&task.name),
                    outcomes,
                ),
                Expectation::Run(o) => problem(
                    "the run",
                    finish.as_ref().and_then(|f| f.run),
                    std::slice::from_ref(o),
                ),
                Expectation::RunIn(os) => {
                    problem("the run", finish.as_ref().and_then(|f| f.run), os)
                }
                Expectation::Deadlock(b) => match &finish {
                    Some(f) if f.deadlock != *b => {
                        let mut message = format!(
                            "expected deadlock {b}, the run ended with deadlock {}",
                            f.deadlock
                        );
                        if f.deadlock && !run.report.stalled.is_empty() {
                            message += &format!(": {}", run.report.stalled.join(", "));
                        }
                        Some(message)
                    }
                    _ => None,
                },
            };
            if let Some(message) = found {
                out.push(Violation {
                    check: Arc::from(format!("expect[{i}]")),
                    message,
                });
            }
        }
        out
    }
}

/// What is wrong with `actual` (the outcome of `what`), if it is none of `wanted`.
fn problem(what: &str, actual: Option<&Outcome>, wanted: &[ExpectedOutcome]) -> Option<String> {
    match actual {
        None => Some(format!(
            "{what} has no outcome (expected {})",
            describe(wanted)
        )),
        Some(a) if !one_of(a, wanted) => Some(format!(
            "{what} ended with {a}, expected {}",
            describe(wanted)
        )),
        Some(_) => None,
    }
}

impl Check for Sanity {
    fn name(&self) -> &str {
        "sanity"
    }

    fn check(&self, run: &RunView<'_>) -> Vec<Violation> {
        let mut out: Vec<Violation> = run
            .sanity
            .iter()
            .map(|v| Violation {
                check: Arc::from(v.rule),
                message: v.detail.clone(),
            })
            .collect();
        if let RunEnd::BudgetExhausted { iterations, .. } = &run.report.end {
            out.push(Violation {
                check: Arc::from("budget"),
                message: format!(
                    "the run did not finish within {iterations} iterations; tasks still running: {}",
                    run.report.stalled.join(", ")
                ),
            });
        }
        out
    }
}
