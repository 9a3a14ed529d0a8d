//! Proptest strategies for valid, terminating task graphs and for schedules.
//!
//! A generated graph is a [`GraphSpec`]: one tree of ops per task (built with proptest
//! combinators: [`ops::op_trees`] is a `prop_recursive` over the 19 leaf kinds and the three
//! block kinds, `try`/`timeout`/`taskgroup`), plus a small plan of who spawns each task and who
//! creates and sets each future. References are selectors that rendering resolves against the
//! names the static rules allow at that place ([`spec`] lists how each rule is kept), so every
//! value proptest draws *or shrinks to* is a valid document, and a failing case shrinks op by
//! op to a handful of ops. Every graph terminates: the format has no loops, so a run ends by
//! finishing or by deadlock.
//!
//! ```
//! use aiosim_properties::strategy::{Shape, graphs};
//! use proptest::strategy::{Strategy, ValueTree};
//! use proptest::test_runner::TestRunner;
//!
//! let mut runner = TestRunner::deterministic();
//! let spec = graphs(Shape::default()).new_tree(&mut runner).unwrap().current();
//! let graph = spec.graph(); // parses: panics otherwise
//! assert_eq!(&*graph.tasks[graph.main].name, "main");
//! ```
//!
//! Schedules come from [`schedules`] (policy among `fifo`, `random`, `pct`, `pos`, a seed, a
//! level 1–3, PCT's depth 1–4, 0–2 injected cancellations) or [`schedules_of`] one policy.
//! [`harness`] runs a graph under them with every check.

pub mod harness;
pub mod ops;
pub mod schedule;
pub mod spec;

pub use ops::{Shape, graphs, leaf_ops, op_trees};
pub use schedule::{LEVELS, POLICIES, ScheduleSpec, levels, schedules, schedules_of};
pub use spec::{
    ExcSpec, FutureSpec, GraphSpec, HandlerSpec, OpSpec, Pick, ReturnWhenSpec, SetSpec, TaskSpec,
    ValueSpec,
};

use proptest::test_runner::{Config, FileFailurePersistence};

/// The proptest configuration of the property tests: [`Config::default`] (so
/// `PROPTEST_CASES` sets the number of cases), with failures persisted in `persist` (a path
/// relative to this crate, under `proptest-regressions/`), and as many rejected cases allowed
/// as there are cases (at least proptest's default 1,024), so that long runs of tests that
/// reject some inputs do not abort.
pub fn config(persist: &'static str) -> Config {
    let default = Config::default();
    Config {
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(persist))),
        max_global_rejects: default.max_global_rejects.max(default.cases),
        ..default
    }
}
