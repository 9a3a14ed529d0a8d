//! Exploration: seeds really explore different orders, exhaustive enumeration covers a small
//! space exactly, and PCT's priorities change no more often than its depth allows.

mod policy_support;

use std::collections::BTreeSet;

use aiosim::{Candidate, Lane, Level, SetSite};
use aiosim_sim::policy::{
    ChoiceKind, Pct, Point, Policy, PolicyKind, Pos, Random, Schedule, explore,
};
use policy_support::{LEVELS, graph, run, sleepers, text};

#[test]
fn ten_seeds_give_several_different_runs() {
    let graph = sleepers(6);
    for policy in [PolicyKind::Random, PolicyKind::Pct, PolicyKind::Pos] {
        for level in LEVELS {
            let traces: BTreeSet<String> = (0..10)
                .map(|seed| text(&run(&graph, &Schedule::new(policy, seed, level)).0))
                .collect();
            assert!(
                traces.len() >= 4,
                "{policy:?} at {level:?}: {} distinct traces",
                traces.len()
            );
        }
    }
}

/// Three tasks that sleep the same time while `main` sleeps longer.
fn three_sleepers() -> std::sync::Arc<aiosim_sim::graph::Graph> {
    graph(
        r#"{"format": "aiosim-graph/1", "name": "three", "main": "main", "tasks": {
            "main": [{"spawn": "a"}, {"spawn": "b"}, {"spawn": "c"}, {"sleep": 5}],
            "a": [{"sleep": 1}], "b": [{"sleep": 1}], "c": [{"sleep": 1}]}}"#,
    )
}

/// Explores `graph` completely at `level`; returns the number of runs and distinct traces.
fn exhaust(level: Level) -> (usize, usize) {
    let graph = three_sleepers();
    let mut traces = BTreeSet::new();
    let mut lists = BTreeSet::new();
    let base = Schedule::new(PolicyKind::Exhaustive, 0, level);
    let coverage = explore(&base, 10_000, |schedule| {
        let (report, log) = run(&graph, schedule);
        assert_eq!(log.divergence(), None);
        traces.insert(text(&report));
        lists.insert(log.decisions());
        Some(log.decisions())
    });
    assert!(coverage.complete && coverage.resume.is_none());
    assert_eq!(
        lists.len(),
        coverage.schedules,
        "every run followed its own list"
    );
    (coverage.schedules, traces.len())
}

#[test]
fn exhaustive_covers_three_equal_sleeps() {
    // Level 1: the only freedom is the order of the three timers due at t=1 (equal
    // deadlines): 3 · 2 = 6 lists. Each wakes the tasks in its own order and the wakeups run
    // in FIFO order, so each list has its own trace: 6 traces.
    assert_eq!(exhaust(Level::Ties), (6, 6));

    // Level 2: three batches of three entries of different lanes, each in any order:
    //   t=0  the first steps of a, b, c (each starts and pushes its timer),
    //   t=1  the three timers (set the sleep futures, queue the wakeups),
    //   t=1  the three wakeups (each ends its task).
    // 3! · 3! · 3! = 216 lists. The timers' order is not visible in the trace (it only orders
    // the wakeups' queue, and the next batch is permuted freely), so the trace shows the
    // start order and the end order: 3! · 3! = 36 traces.
    assert_eq!(exhaust(Level::Interleave), (216, 36));
}

#[test]
fn exhaustive_stops_at_its_budget_and_resumes() {
    let graph = three_sleepers();
    let base = Schedule::new(PolicyKind::Exhaustive, 0, Level::Interleave);
    let mut runner = |schedule: &Schedule| Some(run(&graph, schedule).1.decisions());
    let first = explore(&base, 100, &mut runner);
    assert!(!first.complete);
    assert_eq!(first.schedules, 100);
    let mut rest = base.clone();
    rest.decisions = first.resume.expect("where to go on");
    let second = explore(&rest, 1000, &mut runner);
    assert!(second.complete);
    assert_eq!(first.schedules + second.schedules, 216);
}

#[test]
fn exhaustive_stops_where_its_runner_says_so() {
    let graph = three_sleepers();
    let base = Schedule::new(PolicyKind::Exhaustive, 0, Level::Interleave);
    let mut runs = 0;
    let coverage = explore(&base, 1000, |schedule| {
        runs += 1;
        let decisions = run(&graph, schedule).1.decisions();
        (runs < 7).then_some(decisions)
    });
    assert_eq!(runs, 7, "the seventh run was the last");
    assert_eq!(coverage.schedules, 7);
    assert!(!coverage.complete && coverage.resume.is_none());
}

#[test]
fn exhaustive_with_injection_tries_each_cancellation_once() {
    // No ties, so with one injection allowed the space is: no injection, or one cancellation
    // of one pending task before one handle of the run that FIFO would make.
    let graph = graph(
        r#"{"format": "aiosim-graph/1", "name": "pair", "main": "main", "tasks": {
            "main": [{"spawn": "w"}, {"sleep": 2}, {"await": "w"}],
            "w": [{"sleep": 1}, {"return": 1}]}}"#,
    );
    let mut base = Schedule::new(PolicyKind::Exhaustive, 0, Level::Ties);
    base.inject_cancels = 1;
    let (_, fifo) = run(&graph, &base);
    let inject_points = fifo.decisions();
    assert!(inject_points.iter().all(|d| d.kind == ChoiceKind::Inject));
    let expected = 1 + inject_points
        .iter()
        .map(|d| d.options as usize - 1)
        .sum::<usize>();
    let mut endings = BTreeSet::new();
    let coverage = explore(&base, 1000, |schedule| {
        let (report, log) = run(&graph, schedule);
        let injected = log.decisions().iter().filter(|d| d.chosen != 0).count();
        assert!(injected <= 1);
        endings.insert(format!("{:?}", report.trace.end_of("w")));
        Some(log.decisions())
    });
    assert!(coverage.complete);
    assert_eq!(coverage.schedules, expected);
    assert!(endings.len() >= 2, "some runs cancel w: {endings:?}");
}

fn candidates(lanes: &[Lane]) -> Vec<Candidate> {
    lanes
        .iter()
        .enumerate()
        .map(|(fifo_index, &lane)| Candidate {
            lane,
            fifo_index,
            task: None,
        })
        .collect()
}

/// Picks `steps` times between the same lanes; returns the lanes chosen.
fn picks(policy: &mut dyn Policy, lanes: &[Lane], steps: u64) -> Vec<Lane> {
    let eligible = candidates(lanes);
    (0..steps)
        .map(|iteration| {
            let point = Point::Pick {
                iteration,
                now: 0,
                count: eligible.len() as u32,
                eligible: &eligible,
            };
            eligible[policy.choose(&point) as usize].lane
        })
        .collect()
}

#[test]
fn pct_changes_priorities_at_most_depth_minus_one_times() {
    let lanes = [Lane::Task(0), Lane::Task(1), Lane::Future(3)];
    let steps = 50;
    for depth in 1..=4 {
        let mut most = 0;
        for seed in 0..200 {
            let chosen = picks(&mut Pct::new(seed, depth, steps), &lanes, steps);
            let switches = chosen.windows(2).filter(|w| w[0] != w[1]).count();
            assert!(
                switches < depth as usize,
                "depth {depth} seed {seed}: {switches}"
            );
            most = most.max(switches);
        }
        assert_eq!(
            most,
            depth as usize - 1,
            "depth {depth} uses all its change points"
        );
    }
    // Each lane wins first for some seed: the initial priorities are random.
    let firsts: BTreeSet<Lane> = (0..50)
        .map(|seed| picks(&mut Pct::new(seed, 1, steps), &lanes, 1)[0])
        .collect();
    assert_eq!(firsts.len(), lanes.len());
}

#[test]
fn seeded_policies_choose_among_tied_timers() {
    let lanes = [Lane::Timer(7); 3];
    for mut policy in [
        Box::new(Pct::new(1, 2, 10)) as Box<dyn Policy>,
        Box::new(Pos::new(1)),
        Box::new(Random::new(1)),
    ] {
        let chosen: BTreeSet<u32> = (0..60)
            .map(|iteration| {
                let eligible = candidates(&lanes);
                let point = Point::Pick {
                    iteration,
                    now: 0,
                    count: eligible.len() as u32,
                    eligible: &eligible,
                };
                policy.choose(&point)
            })
            .collect();
        assert_eq!(chosen.len(), 3);
    }
}

/// Runs one batch of entries (by lane, in queue order) under `policy` as the level-2 loop
/// would; returns the lanes in the order they ran.
fn run_batch(policy: &mut dyn Policy, batch: &[Lane]) -> Vec<Lane> {
    let mut left = batch.to_vec();
    let mut order = Vec::new();
    while !left.is_empty() {
        let mut eligible: Vec<Candidate> = Vec::new();
        for (fifo_index, &lane) in left.iter().enumerate() {
            if !eligible.iter().any(|c| c.lane == lane) {
                eligible.push(Candidate {
                    lane,
                    fifo_index,
                    task: None,
                });
            }
        }
        let index = match eligible.len() {
            1 => 0,
            _ => {
                let point = Point::Pick {
                    iteration: 1,
                    now: 0,
                    count: eligible.len() as u32,
                    eligible: &eligible,
                };
                eligible[policy.choose(&point) as usize].fifo_index
            }
        };
        order.push(left.remove(index));
    }
    order
}

#[test]
fn pos_samples_interleavings_more_evenly_than_a_random_walk() {
    // One task wakeup against three callbacks of one future: 4 interleavings, the task last
    // in one of them. POS gives each entry a priority, so the task runs last with probability
    // 1/4 (its priority is the lowest of four); a random walk flips a coin at each of the
    // three points, 1/8.
    let batch = [
        Lane::Future(1),
        Lane::Task(0),
        Lane::Future(1),
        Lane::Future(1),
    ];
    let last = |policy: &mut dyn Policy| run_batch(policy, &batch)[3] == Lane::Task(0);
    let runs = 4000;
    let pos = (0..runs).filter(|&s| last(&mut Pos::new(s))).count() as f64 / runs as f64;
    let walk = (0..runs).filter(|&s| last(&mut Random::new(s))).count() as f64 / runs as f64;
    assert!((0.21..0.29).contains(&pos), "POS: {pos}");
    assert!((0.10..0.15).contains(&walk), "random walk: {walk}");
}

#[test]
fn set_orders_are_uniform_permutations() {
    // An order of three items is two points (3 options, then 2): all six permutations occur.
    let mut orders = BTreeSet::new();
    for seed in 0..100 {
        let mut random = Random::new(seed);
        let mut items = vec![0, 1, 2];
        let mut order = Vec::new();
        while items.len() > 1 {
            let point = Point::Set {
                site: SetSite::GroupAbort,
                remaining: items.len() as u32,
            };
            order.push(items.remove(random.choose(&point) as usize));
        }
        order.append(&mut items);
        orders.insert(order);
    }
    assert_eq!(orders.len(), 6);
}
