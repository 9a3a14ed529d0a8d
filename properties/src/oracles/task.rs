//! Oracles of the Task area (TASK-*): start, states, cancellation requests, delivery,
//! messages, counts, atomic steps.

use aiosim_sim::graph::{Op, Ref};

use crate::context::{Judged, OpExec, oracle};
use crate::oracle::Oracle;

pub(crate) mod counts;
mod delivery;
mod lifecycle;
mod propagation;
mod results;

pub(crate) use propagation::{consumers, first_consumer};

/// IDs of this area without an oracle: (ID, reason and where it is tested).
pub const NOT_JUDGED: &[(&str, &str)] = &[
    (
        "TASK-10",
        "a task awaiting itself is invalid in the graph format (static rule 2.6.3); tested in \
         tests/task.rs (task_10_...)",
    ),
    (
        "TASK-17",
        "no graph op sets a task's result or builds a task from a non-coroutine, and the Rust \
         API does not compile such calls (tests/README.md, TASK-17)",
    ),
    (
        "TASK-19",
        "KeyboardInterrupt/SystemExit are ordinary Exception subclasses in the graph format \
         (2.5), and the runtime has no BaseException split; a panic is Rust's abort, tested in \
         tests/task.rs (task_19_...)",
    ),
    (
        "TASK-20",
        "the trace names tasks by their scenario names, never by default Task-<n> names; \
         tested in tests/task.rs (task_20_...)",
    ),
];

/// This area's oracles.
pub fn oracles() -> Vec<Box<dyn Oracle>> {
    vec![
        oracle("TASK-1", false, lifecycle::task_1),
        oracle("TASK-2", false, lifecycle::task_2),
        oracle("TASK-3", false, lifecycle::task_3),
        oracle("TASK-4", false, lifecycle::task_4),
        oracle("TASK-5", false, delivery::task_5),
        oracle("TASK-6", false, delivery::task_6),
        oracle("TASK-7", false, delivery::task_7),
        oracle("TASK-8", false, delivery::task_8),
        oracle("TASK-9", false, delivery::task_9),
        oracle("TASK-11", false, delivery::task_11),
        oracle("TASK-12", false, propagation::task_12),
        oracle("TASK-13", false, propagation::task_13),
        oracle("TASK-14", false, propagation::task_14),
        oracle("TASK-15", false, results::task_15),
        oracle("TASK-16", false, results::task_16),
        oracle("TASK-18", false, results::task_18),
    ]
}

/// Whether the op suspended (returned in a later iteration than it started, or never).
pub(crate) fn suspended(j: &Judged<'_>, x: &OpExec) -> bool {
    x.event.is_none_or(|e| j.iteration(e) != x.start_iteration)
}

/// Whether `op` is a leaf op that, once suspended with a cancellation requested, surely
/// raises `CancelledError` when it resumes, in the next iteration: a sleep, an await of a
/// plain future, a shield, a wait, an `as_completed` (each waits on a plain future that the
/// request cancels, or that is already done).
pub(crate) fn delivers_cancel(op: &Op) -> bool {
    matches!(
        op,
        Op::Sleep(_)
            | Op::Await(Ref::Future(_))
            | Op::Shield(_)
            | Op::Wait { .. }
            | Op::AsCompleted { .. }
    )
}

/// Whether `op` holds a block (`try`, `timeout`, `taskgroup`).
pub(crate) fn is_block(op: &Op) -> bool {
    matches!(op, Op::Try { .. } | Op::Timeout { .. } | Op::TaskGroup(_))
}
