//! Exploration for aiosim: the `aiosim-graph/1` task-graph format, its interpreter on the
//! aiosim runtime, the canonical trace, and (later) scheduling policies, replay and shrinking.

pub mod graph;
pub mod interp;
pub mod trace;
pub mod value;
