//! What an oracle sees of a run, and lookups over its trace.

use std::collections::BTreeMap;
use std::sync::Arc;

use aiosim::Level;
use aiosim_sim::graph::Graph;
use aiosim_sim::interp::RunReport;
use aiosim_sim::trace::{Event, Outcome};

/// A finished run as the oracles see it.
pub struct Judged<'a> {
    /// The scenario.
    pub graph: &'a Graph,
    /// The trace, the iteration of each event, op starts and final states.
    pub report: &'a RunReport,
    /// Lookups over the trace.
    pub index: &'a TraceIndex,
    /// The level the run was scheduled at (`Fifo` = CPython's order).
    pub level: Level,
}

/// Precomputed lookups over a trace, shared by all oracles of one run.
#[derive(Debug, Default)]
pub struct TraceIndex {
    /// The index of each task's `start` event.
    pub start: BTreeMap<Arc<str>, usize>,
    /// The index of each task's `end` event.
    pub end: BTreeMap<Arc<str>, usize>,
    /// The `op` events of each (task, path), in order (an op runs at most once per task
    /// body, so at most one each).
    pub op: BTreeMap<(Arc<str>, Arc<str>), usize>,
    /// The index of the `finish` event.
    pub finish: Option<usize>,
}

impl TraceIndex {
    /// Indexes a run's trace.
    pub fn new(report: &RunReport) -> TraceIndex {
        let mut index = TraceIndex::default();
        for (i, e) in report.trace.events.iter().enumerate() {
            match e {
                Event::Start { task, .. } => {
                    index.start.insert(task.clone(), i);
                }
                Event::End { task, .. } => {
                    index.end.insert(task.clone(), i);
                }
                Event::Op { task, at, .. } => {
                    index.op.insert((task.clone(), at.clone()), i);
                }
                Event::Finish { .. } => index.finish = Some(i),
                _ => {}
            }
        }
        index
    }

    /// The `out` of a task's `end` event.
    pub fn end_outcome<'r>(&self, report: &'r RunReport, task: &str) -> Option<&'r Outcome> {
        match &report.trace.events[*self.end.get(task)?] {
            Event::End { out, .. } => Some(out),
            _ => None,
        }
    }
}
