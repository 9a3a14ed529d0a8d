//! Oracles given by a judging function, and how a finding is built.

use crate::oracle::{Finding, Oracle};
use crate::oracles::gather::model::Model as CombinatorModel;

use super::Judged;

/// A judging function, by what it looks at.
#[derive(Clone, Copy)]
pub(crate) enum Judge {
    /// The run and its [`RunModel`].
    Run(fn(&Judged<'_>) -> Vec<Finding>),
    /// The combinator oracles' model of the run.
    Combinators(fn(&CombinatorModel<'_>) -> Vec<Finding>),
}

/// An oracle given by a judging function.
pub(crate) struct FnOracle {
    /// The invariant ID.
    pub id: &'static str,
    /// Whether it runs only on runs in CPython's order.
    pub faithful_only: bool,
    /// The judge.
    pub judge: Judge,
}

impl Oracle for FnOracle {
    fn id(&self) -> &'static str {
        self.id
    }

    fn faithful_only(&self) -> bool {
        self.faithful_only
    }

    fn judge(&self, run: &Judged<'_>) -> Vec<Finding> {
        match self.judge {
            Judge::Run(judge) => judge(run),
            Judge::Combinators(judge) => judge(run.combinators()),
        }
    }
}

/// A boxed [`FnOracle`] that judges the run.
pub(crate) fn oracle(
    id: &'static str,
    faithful_only: bool,
    judge: fn(&Judged<'_>) -> Vec<Finding>,
) -> Box<dyn Oracle> {
    Box::new(FnOracle {
        id,
        faithful_only,
        judge: Judge::Run(judge),
    })
}

/// A boxed [`FnOracle`] that judges the combinator oracles' model of the run.
pub(crate) fn combinator_oracle(
    id: &'static str,
    faithful_only: bool,
    judge: fn(&CombinatorModel<'_>) -> Vec<Finding>,
) -> Box<dyn Oracle> {
    Box::new(FnOracle {
        id,
        faithful_only,
        judge: Judge::Combinators(judge),
    })
}

/// A finding; the events are sorted and deduplicated.
pub fn finding(events: impl IntoIterator<Item = usize>, explanation: impl Into<String>) -> Finding {
    let mut events: Vec<usize> = events.into_iter().collect();
    events.sort_unstable();
    events.dedup();
    Finding {
        events,
        explanation: explanation.into(),
    }
}
