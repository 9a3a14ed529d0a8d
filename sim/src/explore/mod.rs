//! Exploration: run a scenario under many legal schedules, check every run, keep what failed,
//! and shrink a failing schedule to the fewest deviations from CPython's order.

pub mod api;
pub mod check;
pub mod explain;
pub mod failure;
pub mod run;
pub mod sanity;
pub mod shrink;
pub mod sweep;
mod tally;

pub use api::{Config, explore};
pub use check::{Check, Expectations, RunView, Sanity, Violation};
pub use failure::{ExploreOptions, FailureFile, FailureRecord, read_failure, read_failures};
pub use run::{DEFAULT_BUDGET, Explorer, RunResult};
pub use shrink::{Shrunk, shrink};
pub use sweep::{Limits, MAX_JOBS, Schedules, Shard, SweepConfig, SweepError, SweepOutcome, sweep};
