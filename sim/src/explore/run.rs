//! One explored run: build the scheduler a [`Schedule`] describes, run the scenario under it
//! with runtime sanity checks, record the decisions, and judge the run.

use std::sync::Arc;

use crate::graph::Graph;
use crate::interp::{RunOptions, RunReport, run_graph};
use crate::policy::{Divergence, Schedule, scheduler_for};

use aiosim::Scheduler;

use super::check::{Check, Expectations, RunView, Sanity, Violation};
use super::explain::Explaining;
use super::sanity::SanityLog;

/// The default iteration budget of one run: far above what any valid scenario needs (2,048
/// ops), low enough that a task which never stops yielding is reported within seconds.
pub const DEFAULT_BUDGET: u64 = 1_000_000;

/// Everything one explored run produced.
#[derive(Clone, Debug)]
pub struct RunResult {
    /// The schedule as run, with the decisions it made: replaying it reproduces the run.
    pub schedule: Schedule,
    /// The trace and how the run ended.
    pub report: RunReport,
    /// The checks that failed.
    pub violations: Vec<Violation>,
    /// For a replayed schedule: where the run stopped following it, if it did.
    pub divergence: Option<Divergence>,
}

impl RunResult {
    /// True when no check failed.
    pub fn passed(&self) -> bool {
        self.violations.is_empty()
    }
}

/// Runs one scenario under schedules and judges each run.
pub struct Explorer {
    /// The scenario.
    pub graph: Arc<Graph>,
    /// The checks run after every run (by default the graph's `expect` and runtime sanity).
    pub checks: Vec<Box<dyn Check>>,
    /// The iteration budget of one run.
    pub budget: u64,
    /// Run every schedule twice and report the first event where the two runs differ.
    pub check_determinism: bool,
}

impl Explorer {
    /// An explorer with the default checks and budget.
    pub fn new(graph: Arc<Graph>) -> Explorer {
        Explorer {
            graph,
            checks: vec![Box::new(Expectations), Box::new(Sanity)],
            budget: DEFAULT_BUDGET,
            check_determinism: false,
        }
    }

    /// Runs `schedule` and checks the run (twice, with `check_determinism`).
    pub fn run(&self, schedule: &Schedule) -> RunResult {
        self.run_on(&self.graph, schedule)
    }

    /// Like [`Explorer::run`], but on `graph`, which must equal the explorer's graph: a
    /// thread of a sweep passes its own copy of it ([`Graph::unshared`]), so that the runs of
    /// different threads share no reference count.
    pub(crate) fn run_on(&self, graph: &Arc<Graph>, schedule: &Schedule) -> RunResult {
        let mut result = self.execute(graph, schedule, |s| s);
        if self.check_determinism {
            let again = self.execute(graph, schedule, |s| s);
            if let Some(v) = first_difference(&result, &again) {
                result.violations.push(v);
            }
        }
        result
    }

    /// Runs `schedule` and also returns, in words, how it deviated from CPython's order.
    pub fn run_explained(&self, schedule: &Schedule) -> (RunResult, Vec<String>) {
        let mut log = None;
        let result = self.execute(&self.graph, schedule, |s| {
            let (explaining, handle) = Explaining::new(s);
            log = Some(handle);
            Box::new(explaining)
        });
        let sentences = log
            .map(|l| l.borrow().render(&result.report.names))
            .unwrap_or_default();
        (result, sentences)
    }

    fn execute(
        &self,
        graph: &Arc<Graph>,
        schedule: &Schedule,
        wrap: impl FnOnce(Box<dyn Scheduler>) -> Box<dyn Scheduler>,
    ) -> RunResult {
        let (scheduler, log) = scheduler_for(schedule);
        let sanity = SanityLog::new();
        let options = RunOptions {
            scheduler: Some(wrap(scheduler)),
            iteration_budget: Some(self.budget),
            observer: Some(sanity.observer()),
        };
        let report = run_graph(graph.clone(), options);
        let found = sanity.violations();
        let level = match schedule.policy {
            crate::policy::PolicyKind::Fifo => aiosim::Level::Fifo,
            _ => schedule.level,
        };
        let view = RunView {
            graph,
            report: &report,
            sanity: &found,
            level,
        };
        let violations = self.checks.iter().flat_map(|c| c.check(&view)).collect();
        let mut recorded = schedule.clone();
        recorded.decisions = log.decisions();
        RunResult {
            schedule: recorded,
            report,
            violations,
            divergence: log.divergence(),
        }
    }

    /// The number of loop handles of the faithful run: the step estimate that PCT and
    /// cancellation injection spread their choices over.
    pub fn fifo_handles(&self) -> u64 {
        let options = RunOptions {
            iteration_budget: Some(self.budget),
            ..RunOptions::default()
        };
        run_graph(self.graph.clone(), options).handles
    }
}

/// The first event at which two runs of one schedule differ, as a `determinism` violation.
fn first_difference(a: &RunResult, b: &RunResult) -> Option<Violation> {
    let (x, y) = (&a.report.trace.events, &b.report.trace.events);
    let line =
        |e: Option<&crate::trace::Event>| e.map_or("(no event)".to_string(), |e| e.to_string());
    let i = (0..x.len().max(y.len())).find(|&i| x.get(i) != y.get(i))?;
    let context =
        |events: &[crate::trace::Event]| line(i.checked_sub(1).and_then(|j| events.get(j)));
    Some(Violation {
        check: Arc::from("determinism"),
        message: format!(
            "two runs of one schedule differ at event {i}: first run {}, second run {} (both after {})",
            line(x.get(i)),
            line(y.get(i)),
            context(x)
        ),
    })
}
