//! The oracles, one module per area of the catalogue. Each module lists its oracles and the
//! IDs of its area that cannot be judged from a run, with the reason.

mod as_completed;
mod fut;
pub(crate) mod gather;
mod loop_;
mod run;
mod shield;
mod sleep;
pub(crate) mod task;
mod task_group;
mod timeout;
mod wait;
mod wait_for;

use crate::oracle::Oracle;

/// Every oracle, in catalogue order.
pub fn all() -> Vec<Box<dyn Oracle>> {
    [
        fut::oracles(),
        task::oracles(),
        loop_::oracles(),
        sleep::oracles(),
        gather::oracles(),
        wait::oracles(),
        wait_for::oracles(),
        shield::oracles(),
        as_completed::oracles(),
        timeout::oracles(),
        task_group::oracles(),
        run::oracles(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// Every ID that has no oracle, with the reason and where it is tested instead.
pub fn not_judged() -> Vec<(&'static str, &'static str)> {
    [
        fut::NOT_JUDGED,
        task::NOT_JUDGED,
        loop_::NOT_JUDGED,
        sleep::NOT_JUDGED,
        gather::NOT_JUDGED,
        wait::NOT_JUDGED,
        wait_for::NOT_JUDGED,
        shield::NOT_JUDGED,
        as_completed::NOT_JUDGED,
        timeout::NOT_JUDGED,
        task_group::NOT_JUDGED,
        run::NOT_JUDGED,
        EAGER_NOT_JUDGED,
    ]
    .concat()
}

/// The EAGER area: aiosim has no eager task factory, so no run can show an eager start.
const EAGER_NOT_JUDGED: &[(&str, &str)] = &[
    (
        "EAGER-1",
        "aiosim has no eager task factory (spawn is always create_task's lazy start, TASK-1), \
         so no run starts a task eagerly; listed as not applicable in tests/README.md",
    ),
    (
        "EAGER-2",
        "aiosim has no eager task factory; the freedom it demonstrates (task start order is not \
         guaranteed) is what the explored schedules of levels 1-2 permute (semantics 4.2); \
         listed as not applicable in tests/README.md",
    ),
];
