//! No check fires on generated graphs: every oracle, runtime sanity (P1–P7), the iteration
//! budget and (absent here: generated graphs carry none) the graph's `expect`, under the
//! faithful schedule and under the `random`, `pct` and `pos` policies at each of the levels
//! 1, 2 and 3, with 0 to 2 injected cancellations.
//!
//! Case counts follow `PROPTEST_CASES` (default 256). Each case is one graph run under several
//! schedules; every test prints its count of graph × schedule runs. Failures are shrunk to a
//! minimal graph (printed as its JSON document) and persisted in `proptest-regressions/`.

use aiosim_properties::strategy::harness::{clean, explorer, property};
use aiosim_properties::strategy::{LEVELS, ScheduleSpec, Shape, graphs, schedules, schedules_of};
use aiosim_sim::policy::{PolicyKind, Schedule};
use proptest::collection::vec;
use std::sync::atomic::Ordering;

/// Graphs under CPython's order: one run per case.
#[test]
fn fifo_runs_pass_every_check() {
    property(
        "fifo",
        "proptest-regressions/properties_policies-fifo.txt",
        graphs(Shape::default()),
        |spec, runs| {
            let explorer = explorer(spec.graph());
            clean(&explorer, &Schedule::default())?;
            runs.fetch_add(1, Ordering::Relaxed);
            Ok(())
        },
    );
}

/// One graph under `policy` at levels 1, 2 and 3 (three runs per case; seeds, PCT depth and
/// injected cancellations drawn per run).
fn policy_at_every_level(policy: PolicyKind, name: &str, persist: &'static str) {
    let strategy = (graphs(Shape::default()), vec(schedules_of(policy), 3));
    property(name, persist, strategy, |(spec, schedules), runs| {
        let explorer = explorer(spec.graph());
        let steps = explorer.fifo_handles();
        for (spec, level) in schedules.iter().zip(LEVELS) {
            let spec = ScheduleSpec { level, ..*spec };
            clean(&explorer, &spec.schedule(steps))?;
            runs.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    });
}

#[test]
fn random_runs_pass_every_check() {
    policy_at_every_level(
        PolicyKind::Random,
        "random",
        "proptest-regressions/properties_policies-random.txt",
    );
}

#[test]
fn pct_runs_pass_every_check() {
    policy_at_every_level(
        PolicyKind::Pct,
        "pct",
        "proptest-regressions/properties_policies-pct.txt",
    );
}

#[test]
fn pos_runs_pass_every_check() {
    policy_at_every_level(
        PolicyKind::Pos,
        "pos",
        "proptest-regressions/properties_policies-pos.txt",
    );
}

/// Graphs under two schedules drawn from the whole schedule strategy (any policy, level,
/// depth and injection).
#[test]
fn mixed_schedules_pass_every_check() {
    let strategy = (graphs(Shape::default()), vec(schedules(), 2));
    property(
        "mixed",
        "proptest-regressions/properties_policies-mixed.txt",
        strategy,
        |(spec, schedules), runs| {
            let explorer = explorer(spec.graph());
            let steps = explorer.fifo_handles();
            for s in &schedules {
                clean(&explorer, &s.schedule(steps))?;
                runs.fetch_add(1, Ordering::Relaxed);
            }
            Ok(())
        },
    );
}
