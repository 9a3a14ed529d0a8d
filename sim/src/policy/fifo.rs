//! FIFO: CPython's order. Level 0: [`super::scheduler_for`] installs it at
//! [`aiosim::Level::Fifo`], so the loop offers no choices and the run is the faithful one. The
//! only points it can meet are injected cancellations, which [`super::InjectCancels`] answers
//! when it wraps this policy.

use super::{Point, Policy};

/// Always takes option 0.
#[derive(Clone, Copy, Debug, Default)]
pub struct Fifo;

impl Policy for Fifo {
    fn choose(&mut self, _point: &Point<'_>) -> u32 {
        0
    }

    fn reads_candidates(&self) -> bool {
        false
    }
}
