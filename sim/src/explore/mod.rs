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

pub use check::{Check, Expectations, RunView, Sanity, Violation};
pub use failure::{read_failures, FailureFile, FailureRecord};
pub use run::{Explorer, RunResult, DEFAULT_BUDGET};
pub use sweep::{sweep, Shard, SweepConfig, SweepOutcome};
pub use shrink::{shrink, Shrunk};
pub use api::{explore, Config};
