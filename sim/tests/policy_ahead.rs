//! Picks made ahead (`Scheduler::pick_ahead`) change nothing about a run: the random policy,
//! which draws a free batch's picks at once, records the same decisions and produces the same
//! trace as the same policy asked entry by entry, also when a set order, a deferral or a
//! panic cuts a batch short.

mod policy_support;

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;
use std::sync::Arc;

use aiosim::{EventLoop, Exception, Level, Scheduler, create_task, sleep};
use aiosim_sim::generator::{GenConfig, generate_graph};
use aiosim_sim::graph::Graph;
use aiosim_sim::interp::{RunOptions, RunReport, run_graph};
use aiosim_sim::policy::{
    ChoiceKind, Decision, DecisionLogHandle, Point, Policy, PolicyKind, Random, Recording,
    Schedule, scheduler_for,
};
use policy_support::{LEVELS, example_graphs, text};

/// The random policy without its generator for picks: the recorder asks it entry by entry.
struct OneAtATime(Random);

impl Policy for OneAtATime {
    fn choose(&mut self, point: &Point<'_>) -> u32 {
        self.0.choose(point)
    }

    fn reads_candidates(&self) -> bool {
        false
    }
}

/// Runs `graph` under `scheduler`.
fn run_with(graph: &Arc<Graph>, scheduler: Box<dyn Scheduler>) -> RunReport {
    let mut options = RunOptions::default();
    options.scheduler = Some(scheduler);
    options.iteration_budget = Some(100_000);
    run_graph(graph.clone(), options)
}

/// The run of `graph` under the random policy with `seed` at `level`, asked entry by entry.
fn one_at_a_time(graph: &Arc<Graph>, seed: u64, level: Level) -> (RunReport, Vec<Decision>) {
    let log = DecisionLogHandle::default();
    let policy = OneAtATime(Random::new(seed));
    let report = run_with(
        graph,
        Box::new(Recording::new(policy, level, false, log.clone())),
    );
    (report, log.decisions())
}

/// The same graph, seed and level give the same decisions and trace both ways.
fn assert_same(name: &str, graph: &Arc<Graph>, seed: u64, level: Level) -> usize {
    let (scheduler, log) = scheduler_for(&Schedule::new(PolicyKind::Random, seed, level));
    let ahead = run_with(graph, scheduler);
    let (each, decisions) = one_at_a_time(graph, seed, level);
    assert_eq!(log.decisions(), decisions, "{name} seed {seed} {level:?}");
    assert_eq!(text(&ahead), text(&each), "{name} seed {seed} {level:?}");
    decisions.len()
}

#[test]
fn example_scenarios_run_the_same_with_picks_made_ahead() {
    let mut decisions = 0;
    for (name, graph) in example_graphs() {
        for level in LEVELS {
            for seed in 0..8 {
                decisions += assert_same(&name, &graph, seed, level);
            }
        }
    }
    assert!(decisions > 1000, "the scenarios have choices: {decisions}");
}

/// Generated scenarios use every op, TaskGroup aborts and `as_completed` among them, whose
/// set orders are decided in the middle of a batch.
#[test]
fn generated_scenarios_run_the_same_with_picks_made_ahead() {
    let config = GenConfig::default();
    let mut sets_inside_runs = 0;
    for seed in 0..300 {
        let graph = Arc::new(generate_graph(seed, &config));
        for level in LEVELS {
            assert_same(&format!("generated {seed}"), &graph, seed, level);
        }
        let (_, decisions) = one_at_a_time(&graph, seed, Level::Interleave);
        sets_inside_runs += decisions
            .windows(2)
            .filter(|w| w[0].kind == ChoiceKind::Pick && w[1].kind == ChoiceKind::Set)
            .count();
    }
    assert!(
        sets_inside_runs > 0,
        "some set order follows a pick, so some batch was settled early"
    );
}

/// A batch of more entries than the recorder draws at once (64) takes several rounds of
/// picks made ahead: 150 tasks, each running twice around a bare yield.
#[test]
fn a_long_batch_takes_several_rounds_of_picks() {
    /// The order in which the tasks ran, and the record.
    fn run_wide(
        scheduler: Box<dyn Scheduler>,
        log: &DecisionLogHandle,
    ) -> (Vec<u32>, Vec<Decision>) {
        let order = Rc::new(std::cell::RefCell::new(Vec::new()));
        let seen = order.clone();
        let event_loop = EventLoop::new();
        event_loop.set_scheduler(scheduler);
        event_loop
            .run_until_complete(async move {
                let tasks: Vec<_> = (0..150)
                    .map(|i| {
                        let seen = seen.clone();
                        create_task(async move {
                            seen.borrow_mut().push(i);
                            sleep(0).await?;
                            seen.borrow_mut().push(i);
                            Ok::<(), Exception>(())
                        })
                    })
                    .collect();
                for t in tasks {
                    t.await?;
                }
                Ok::<(), Exception>(())
            })
            .expect("the tasks finish");
        event_loop.close();
        let order = order.borrow().clone();
        (order, log.decisions())
    }

    for seed in 0..20 {
        let (scheduler, log) =
            scheduler_for(&Schedule::new(PolicyKind::Random, seed, Level::Interleave));
        let ahead = run_wide(scheduler, &log);
        let log = DecisionLogHandle::default();
        let policy = OneAtATime(Random::new(seed));
        let each = run_wide(
            Box::new(Recording::new(
                policy,
                Level::Interleave,
                false,
                log.clone(),
            )),
            &log,
        );
        assert_eq!(ahead, each, "seed {seed}");
        assert!(
            ahead.1.len() >= 2 * 149,
            "two batches of 150: {}",
            ahead.1.len()
        );
    }
}

/// Ten tasks start in one batch; the one that runs third panics. The record holds the picks
/// up to the panic, and replaying it makes the same task panic at the same point.
#[test]
fn a_panic_inside_a_batch_leaves_the_picks_taken_in_the_record() {
    /// Runs the ten tasks under `schedule`; returns which task panicked and the record.
    fn run_until_panic(schedule: &Schedule) -> (usize, Vec<Decision>) {
        let (scheduler, log) = scheduler_for(schedule);
        let started = Rc::new(Cell::new(0));
        let panicked = Rc::new(Cell::new(usize::MAX));
        let (s, p) = (started.clone(), panicked.clone());
        let outcome = catch_unwind(AssertUnwindSafe(move || {
            let event_loop = EventLoop::new();
            event_loop.set_scheduler(scheduler);
            let _ = event_loop.run_until_complete(async move {
                let tasks: Vec<_> = (0..10)
                    .map(|i| {
                        let (s, p) = (s.clone(), p.clone());
                        create_task(async move {
                            s.set(s.get() + 1);
                            if s.get() == 3 {
                                p.set(i);
                                panic!("the third task to run");
                            }
                            sleep(1).await
                        })
                    })
                    .collect();
                for t in tasks {
                    t.await?;
                }
                Ok::<(), Exception>(())
            });
        }));
        assert!(outcome.is_err(), "the third task panics");
        (panicked.get(), log.decisions())
    }

    let mut orders = std::collections::BTreeSet::new();
    for seed in 0..30 {
        let schedule = Schedule::new(PolicyKind::Random, seed, Level::Interleave);
        let (who, decisions) = run_until_panic(&schedule);
        // main's first step is alone in its batch; the ten steps are the next batch, and its
        // first three entries took one pick each.
        assert_eq!(
            decisions.iter().map(|d| d.options).collect::<Vec<_>>(),
            [10, 9, 8],
            "seed {seed}: the record ends with the pick of the task that panicked"
        );
        let (again, replayed) = run_until_panic(&schedule.replaying(decisions.clone()));
        assert_eq!((again, &replayed), (who, &decisions), "seed {seed}");
        orders.insert(who);
    }
    assert!(orders.len() > 3, "different seeds pick different tasks");
}
