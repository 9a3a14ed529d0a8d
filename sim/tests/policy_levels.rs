//! Every policy at every level runs every example scenario to its end, offers only the choices
//! of its level, and FIFO stays the faithful schedule.

mod policy_support;

use aiosim::Level;
use aiosim_sim::interp::{RunOptions, run_graph};
use aiosim_sim::policy::{ChoiceKind, Decision, PolicyKind, Schedule, explore};
use policy_support::{LEVELS, example_graphs, run, text};

/// The kinds of choice a run at `level` may record (injection aside).
fn allowed(level: Level, kind: ChoiceKind) -> bool {
    match kind {
        ChoiceKind::Inject => true,
        ChoiceKind::Pick | ChoiceKind::Set => level >= Level::Ties,
        ChoiceKind::Due | ChoiceKind::Early => level >= Level::Timing,
    }
}

fn check_level(name: &str, schedule: &Schedule, decisions: &[Decision]) {
    let level = match schedule.policy {
        PolicyKind::Fifo => Level::Fifo,
        _ => schedule.level,
    };
    for d in decisions {
        assert!(
            allowed(level, d.kind),
            "{name}: {:?} at level {level:?} made {d}",
            schedule.policy
        );
        assert!(d.options >= 2 && d.chosen < d.options, "{name}: {d}");
    }
    if schedule.inject_cancels == 0 {
        assert!(decisions.iter().all(|d| d.kind != ChoiceKind::Inject));
    }
}

#[test]
fn seeded_policies_run_every_example_at_every_level() {
    let graphs = example_graphs();
    let policies = [
        PolicyKind::Fifo,
        PolicyKind::Random,
        PolicyKind::Pct,
        PolicyKind::Pos,
    ];
    for (name, graph) in &graphs {
        for level in LEVELS {
            for policy in policies {
                for inject_cancels in [0, 2] {
                    for seed in 0..3 {
                        let mut schedule = Schedule::new(policy, seed, level);
                        schedule.inject_cancels = inject_cancels;
                        schedule.steps_hint = 40;
                        let (report, log) = run(graph, &schedule);
                        assert!(report.trace.finish().is_some(), "{name}: {schedule:?}");
                        check_level(name, &schedule, &log.decisions());
                    }
                }
            }
        }
    }
}

#[test]
fn replay_and_exhaustive_run_every_example_at_every_level() {
    for (name, graph) in &example_graphs() {
        for level in LEVELS {
            let mut schedule = Schedule::new(PolicyKind::Random, 11, level);
            schedule.inject_cancels = 1;
            let (_, log) = run(graph, &schedule);
            let replay = schedule.replaying(log.decisions());
            let (report, replay_log) = run(graph, &replay);
            assert!(report.trace.finish().is_some(), "{name}");
            check_level(name, &replay, &replay_log.decisions());

            let base = Schedule::new(PolicyKind::Exhaustive, 0, level);
            let coverage = explore(&base, 4, |schedule| {
                let (report, log) = run(graph, schedule);
                assert!(report.trace.finish().is_some(), "{name}");
                check_level(name, schedule, &log.decisions());
                Some(log.decisions())
            });
            assert!(coverage.schedules >= 1, "{name}");
        }
    }
}

#[test]
fn fifo_is_the_faithful_schedule_even_when_recorded() {
    for (name, graph) in &example_graphs() {
        let faithful = run_graph(graph.clone(), RunOptions::default());
        for level in LEVELS {
            let (report, log) = run(graph, &Schedule::new(PolicyKind::Fifo, 5, level));
            assert_eq!(text(&report), text(&faithful), "{name}");
            assert!(log.decisions().is_empty(), "{name}: FIFO runs at level 0");
            // An empty decision list at any level is CPython's order too.
            let replay = Schedule::new(PolicyKind::Replay, 0, level);
            let (report, log) = run(graph, &replay);
            assert_eq!(text(&report), text(&faithful), "{name} at {level:?}");
            assert!(log.decisions().iter().all(|d| d.chosen == 0));
            assert!(log.divergence().is_none());
        }
    }
}
