//! Replay: follows a recorded decision list. Level: the recorded run's (1–3), which the
//! [`super::Schedule`] carries.
//!
//! At choice point `i` the record's decision `i` is taken if it was made at a point of the same
//! kind with the same number of options. Otherwise the run has left the recorded one (the
//! scenario or the runtime changed): the first such point is logged as a [`Divergence`] and
//! every later point takes option 0, CPython's choice, since the record no longer says
//! anything about them. Points past the end of the record also take option 0, so a prefix of
//! a decision list is a schedule too (this is how [`super::explore`] runs each prefix).

use super::record::{DecisionLogHandle, Divergence};
use super::{Point, Policy};

/// Follows the decisions a [`DecisionLogHandle`] was told to expect.
#[derive(Debug)]
pub struct Replay {
    log: DecisionLogHandle,
    /// Index of the next recorded decision.
    next: usize,
    /// Whether the run has left the record.
    off_record: bool,
}

impl Replay {
    /// Replays the decisions `log` expects, logging a divergence there.
    pub fn new(log: DecisionLogHandle) -> Replay {
        Replay {
            log,
            next: 0,
            off_record: false,
        }
    }
}

impl Policy for Replay {
    fn choose(&mut self, point: &Point<'_>) -> u32 {
        if self.off_record {
            return 0;
        }
        let index = self.next;
        self.next += 1;
        let Some(recorded) = self.log.expected(index) else {
            return 0;
        };
        let found = point.shape();
        if recorded.point() == found && recorded.chosen < found.options {
            return recorded.chosen;
        }
        self.off_record = true;
        self.log.diverge(Divergence {
            index,
            expected: recorded.point(),
            found: Some(found),
        });
        0
    }

    fn reads_candidates(&self) -> bool {
        false
    }
}
