//! "Every interleaving", literally: small generated graphs are explored exhaustively (every
//! decision list of their level, 1 to 3, with 0 or 1 injected cancellation) and no check
//! fires on any run.
//!
//! A graph is small enough when its whole decision tree has at most [`LIMIT`] leaves; that is
//! counted first with bare runs (no checks), and bigger graphs are rejected (`prop_assume`).
//! For the others the exploration with every check must be complete.
//!
//! Cases: `PROPTEST_CASES` (default 256; the rejected ones not counted).

use aiosim_properties::strategy::harness::{exhaustive, explorer, property, schedule_count};
use aiosim_properties::strategy::{Shape, graphs, levels};
use aiosim_sim::policy::{PolicyKind, Schedule};
use proptest::prelude::*;
use std::sync::atomic::Ordering;

/// Most schedules of a graph explored exhaustively.
const LIMIT: usize = 48;

#[test]
fn small_graphs_pass_every_check_in_every_schedule() {
    let strategy = (graphs(Shape::small()), levels(), 0u32..=1);
    property(
        "exhaustive",
        "proptest-regressions/properties_exhaustive.txt",
        strategy,
        |(spec, level, inject), runs| {
            let explorer = explorer(spec.graph());
            let mut base = Schedule::new(PolicyKind::Exhaustive, 0, level);
            base.inject_cancels = inject;
            let count = schedule_count(&explorer.graph, &base, LIMIT);
            prop_assume!(count.is_some());
            let found = exhaustive(&explorer, &base, LIMIT);
            runs.fetch_add(found.runs as u64, Ordering::Relaxed);
            if let Some(failure) = found.failure {
                return Err(TestCaseError::fail(
                    aiosim_properties::strategy::harness::describe(&failure),
                ));
            }
            prop_assert!(
                found.coverage.complete,
                "exploration incomplete after {} schedules",
                found.coverage.schedules
            );
            prop_assert_eq!(Some(found.runs), count);
            Ok(())
        },
    );
}
