//! The oracle trait and the check that runs a selection of oracles after every explored run.

use std::sync::Arc;

use aiosim::Level;
use aiosim_sim::explore::{Check, RunView, Violation};

use crate::context::{Judged, TraceIndex};

/// A violated invariant: the events that show it and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// Indices into the trace's events that prove the violation.
    pub events: Vec<usize>,
    /// One sentence: what should have happened and what did.
    pub explanation: String,
}

/// Judges one invariant of the catalogue over a finished run.
pub trait Oracle: Send + Sync {
    /// The invariant ID (`"GATHER-1"`).
    fn id(&self) -> &'static str;

    /// Whether the invariant holds only in CPython's order (tag `[F]`). Such an oracle is
    /// not run on explored schedules unless it adapts itself (see [`Judged::level`]).
    fn faithful_only(&self) -> bool {
        false
    }

    /// The findings for this run (empty when the invariant holds).
    fn judge(&self, run: &Judged<'_>) -> Vec<Finding>;
}

/// A selection of oracles, run as one exploration [`Check`].
pub struct Oracles {
    list: Vec<Box<dyn Oracle>>,
}

impl Oracles {
    /// Every oracle of the catalogue.
    pub fn all() -> Oracles {
        Oracles {
            list: crate::oracles::all(),
        }
    }

    /// Only the oracles whose ID `keep` accepts.
    pub fn filtered(keep: impl Fn(&str) -> bool) -> Oracles {
        let mut all = Oracles::all();
        all.list.retain(|o| keep(o.id()));
        all
    }

    /// The IDs of the selected oracles.
    pub fn ids(&self) -> Vec<&'static str> {
        self.list.iter().map(|o| o.id()).collect()
    }

    /// Judges a run with every selected oracle that applies at the run's level.
    pub fn judge(&self, run: &Judged<'_>) -> Vec<(&'static str, Finding)> {
        self.list
            .iter()
            .filter(|o| run.level == Level::Fifo || !o.faithful_only())
            .flat_map(|o| o.judge(run).into_iter().map(move |f| (o.id(), f)))
            .collect()
    }
}

impl Check for Oracles {
    fn name(&self) -> &str {
        "oracles"
    }

    fn check(&self, run: &RunView<'_>) -> Vec<Violation> {
        let index = TraceIndex::new(run.report);
        let judged = Judged {
            graph: run.graph,
            report: run.report,
            index: &index,
            level: run.level,
        };
        self.judge(&judged)
            .into_iter()
            .map(|(id, f)| Violation {
                check: Arc::from(id),
                message: format!("{} (events {:?})", f.explanation, f.events),
            })
            .collect()
    }
}
