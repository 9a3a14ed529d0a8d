//! Exploration for aiosim: the `aiosim-graph/1` task-graph format, its interpreter on the
//! aiosim runtime, the canonical trace, and (later) scheduling policies, replay and shrinking.

pub mod explore;
pub mod generator;
pub mod graph;
pub mod interp;
pub mod policy;
pub mod trace;
pub mod value;
pub use explore::api::explore;
