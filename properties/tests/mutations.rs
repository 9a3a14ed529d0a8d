//! Mutation testing of the oracles: for every deliberate defect of
//! [`aiosim::mutation::Mutation::ALL`], some invariant oracle (an ID of `Oracles::all()`, not
//! the graph's `expect`, not runtime sanity) fires on some graph under FIFO or an explored
//! schedule, while the same graph and schedule pass every oracle without the defect.
//!
//! Each mutation is first hunted with generated graphs (the property tests' strategy, from a
//! fixed seed, under FIFO and one random level-2 schedule); the hand-written graphs below are
//! the fallback, one or more per defect, written for the behaviour it breaks. The test prints
//! which oracle caught each mutation on which graph, then `N mutations, N caught`.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use aiosim::Level;
use aiosim::mutation::{Mutation, set_mutation};
use aiosim_properties::Oracles;
use aiosim_properties::strategy::harness::{self, BUDGET};
use aiosim_properties::strategy::{Shape, graphs};
use aiosim_sim::explore::{Explorer, RunResult};
use aiosim_sim::graph::{Graph, parse_graph};
use aiosim_sim::policy::{PolicyKind, Schedule};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

/// Generated graphs tried per mutation before the hand-written ones.
const GENERATED: usize = 60;

/// Hand-written graphs: (name, the mutation it targets, document). Each shows one behaviour
/// that its mutation breaks.
const HAND_WRITTEN: &[(&str, Mutation, &str)] = &[
    (
        // GATHER-1: results in argument order although `b` finishes first.
        "gather_order",
        Mutation::GatherCompletionOrder,
        r#"{"format":"aiosim-graph/1","name":"gather_order","main":"main","tasks":{
            "main":[{"spawn":"a"},{"spawn":"b"},{"gather":["a","b"]}],
            "a":[{"sleep":2},{"return":1}],
            "b":[{"sleep":1},{"return":2}]}}"#,
    ),
    (
        // SHIELD-2, on a future: the shielded future is not cancelled with the awaiter.
        "shield_future_cancel",
        Mutation::ShieldForwardsCancel,
        r#"{"format":"aiosim-graph/1","name":"shield_future_cancel","main":"main","tasks":{
            "main":[{"future":"f"},{"spawn":"w"},{"sleep":1},{"cancel":"w"},
                    {"try":[{"await":"w"}],"except":[{"type":"CancelledError","do":[]}]},
                    {"set_result":"f","value":7},{"await":"f"}],
            "w":[{"shield":"f"}]}}"#,
    ),
    (
        // TASK-5: a cancel that arrives after the waiter got its result but before the task
        // resumed discards the result.
        "late_cancel",
        Mutation::LateCancelKeepsResult,
        r#"{"format":"aiosim-graph/1","name":"late_cancel","main":"main","tasks":{
            "main":[{"future":"f"},{"spawn":"w"},{"sleep":0},{"set_result":"f","value":1},
                    {"cancel":"w","msg":"late"},
                    {"try":[{"await":"w"}],"except":[{"type":"CancelledError","do":[]}]}],
            "w":[{"await":"f"},{"return":"kept"}]}}"#,
    ),
    (
        // FUT-7: done callbacks run in registration order.
        "callback_order",
        Mutation::CallbacksReversed,
        r#"{"format":"aiosim-graph/1","name":"callback_order","main":"main","tasks":{
            "main":[{"future":"f"},{"add_done_callback":"f","label":"first"},
                    {"add_done_callback":"f","label":"second"},
                    {"add_done_callback":"f","label":"third"},
                    {"set_result":"f","value":1},{"sleep":1}]}}"#,
    ),
    (
        // WAITFOR-2: on timeout, wait_for waits for the inner task's cleanup to finish.
        "wait_for_cleanup",
        Mutation::WaitForEarlyReturn,
        r#"{"format":"aiosim-graph/1","name":"wait_for_cleanup","main":"main","tasks":{
            "main":[{"spawn":"inner"},
                    {"try":[{"wait_for":"inner","timeout":1}],
                     "except":[{"type":"TimeoutError","do":[{"done":"inner"}]}]}],
            "inner":[{"try":[{"sleep":5}],
                      "except":[{"type":"CancelledError","do":[{"sleep":2},{"raise":null}]}]}]}}"#,
    ),
    (
        // TG-2: a failing child makes the group cancel its siblings.
        "group_abort",
        Mutation::TaskGroupSparesSiblings,
        r#"{"format":"aiosim-graph/1","name":"group_abort","main":"main","tasks":{
            "main":[{"taskgroup":[{"spawn":"bad"},{"spawn":"sib"},{"sleep":10}]}],
            "bad":[{"sleep":1},{"raise":{"type":"Boom","msg":"b"}}],
            "sib":[{"sleep":5},{"return":1}]}}"#,
    ),
    (
        // SLEEP-1 / LOOP-4: timers never fire before their deadline.
        "sleep_deadline",
        Mutation::TimerOneTickEarly,
        r#"{"format":"aiosim-graph/1","name":"sleep_deadline","main":"main","tasks":{
            "main":[{"spawn":"a"},{"sleep":3},{"await":"a"}],
            "a":[{"sleep":2},{"sleep":1}]}}"#,
    ),
    (
        // TASK-11 / TASK-8: uncancel does not withdraw a must-cancel recorded before the first
        // step; the body never runs.
        "uncancel_unstarted",
        Mutation::UncancelClearsMustCancel,
        r#"{"format":"aiosim-graph/1","name":"uncancel_unstarted","main":"main","tasks":{
            "main":[{"spawn":"t"},{"cancel":"t","msg":"x"},{"uncancel":"t"},
                    {"try":[{"await":"t"}],"except":[{"type":"CancelledError","do":[]}]}],
            "t":[{"return":1}]}}"#,
    ),
    (
        // SLEEP-2: sleep(0) yields; two tasks looping on it alternate.
        "sleep_zero",
        Mutation::SleepZeroNoYield,
        r#"{"format":"aiosim-graph/1","name":"sleep_zero","main":"main","tasks":{
            "main":[{"spawn":"a"},{"spawn":"b"},{"gather":["a","b"]}],
            "a":[{"sleep":0},{"sleep":0},{"sleep":0}],
            "b":[{"sleep":0},{"sleep":0},{"sleep":0}]}}"#,
    ),
    (
        // TASK-14: the first consumer of a cancelled task gets its message.
        "cancel_message",
        Mutation::CancelMessageLost,
        r#"{"format":"aiosim-graph/1","name":"cancel_message","main":"main","tasks":{
            "main":[{"spawn":"t"},{"sleep":0},{"cancel":"t","msg":"m"},
                    {"try":[{"await":"t"}],"except":[{"type":"CancelledError","do":[]}]}],
            "t":[{"sleep":5}]}}"#,
    ),
];

/// The schedules each graph is run under: FIFO, then (hand-written graphs) random
/// schedules at levels 1–3.
fn schedules(steps: u64, explored: usize) -> Vec<Schedule> {
    let mut out = vec![Schedule::default()];
    for seed in 0..explored as u64 {
        let level = [Level::Interleave, Level::Ties, Level::Timing][seed as usize % 3];
        let mut s = Schedule::new(PolicyKind::Random, seed, level);
        s.steps_hint = steps.max(1);
        out.push(s);
    }
    out
}

/// A catch: the oracle that fired, the schedule and the message.
struct Catch {
    graph: String,
    oracle: String,
    schedule: String,
    message: String,
}

/// Runs `schedule` with or without `mutation`; `None` if the runtime panicked.
fn run(explorer: &Explorer, schedule: &Schedule, mutation: Option<Mutation>) -> Option<RunResult> {
    set_mutation(mutation);
    let result = catch_unwind(AssertUnwindSafe(|| explorer.run(schedule)));
    set_mutation(None);
    result.ok()
}

/// The first oracle violation that `mutation` causes on `graph` under one of `schedules`
/// and that the same run without the mutation does not show.
fn hunt(
    name: &str,
    graph: &Arc<Graph>,
    mutation: Mutation,
    explored: usize,
    ids: &[&str],
    notes: &mut Vec<String>,
) -> Option<Catch> {
    let mut explorer = harness::explorer((**graph).clone());
    explorer.budget = BUDGET;
    let steps = explorer.fifo_handles();
    for schedule in schedules(steps, explored) {
        let Some(mutated) = run(&explorer, &schedule, Some(mutation)) else {
            notes.push(format!("{mutation:?}: the runtime panicked on {name}"));
            continue;
        };
        let Some(v) = mutated
            .violations
            .iter()
            .find(|v| harness::is_oracle(v, ids))
        else {
            continue;
        };
        // The same decisions without the defect: the graph and schedule must be clean.
        let replay = mutated
            .schedule
            .replaying(mutated.schedule.decisions.clone());
        let baseline = run(&explorer, &schedule, None).expect("the runtime runs unmutated");
        let replayed = run(&explorer, &replay, None).expect("the runtime runs unmutated");
        let dirty: Vec<_> = baseline
            .violations
            .iter()
            .chain(
                replayed
                    .violations
                    .iter()
                    .filter(|_| replayed.divergence.is_none()),
            )
            .filter(|v| harness::is_oracle(v, ids))
            .collect();
        if !dirty.is_empty() {
            notes.push(format!(
                "{mutation:?}: {name} fires {} without the mutation too; not counted",
                dirty[0].check
            ));
            continue;
        }
        return Some(Catch {
            graph: name.to_owned(),
            oracle: v.check.to_string(),
            schedule: match schedule.policy {
                PolicyKind::Fifo => "FIFO".to_owned(),
                p => format!(
                    "{p:?} seed {} level {}",
                    schedule.seed, schedule.level as u8
                ),
            },
            message: v.message.clone(),
        });
    }
    None
}

#[test]
fn every_mutation_is_caught_by_an_oracle() {
    let ids = Oracles::all().ids();
    let hand = hand_written();
    // A fixed stream of generated graphs, the same in every run of this test.
    let config = Config::default();
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]);
    let mut runner = TestRunner::new_with_rng(config, rng);
    let strategy = graphs(Shape::default());
    let generated: Vec<(String, Arc<Graph>, String)> = (0..GENERATED)
        .map(|k| {
            let spec = strategy.new_tree(&mut runner).expect("a graph").current();
            (
                format!("generated#{k}"),
                Arc::new(spec.graph()),
                spec.to_json(),
            )
        })
        .collect();

    let mut caught = 0;
    let mut notes = Vec::new();
    let mut missed = Vec::new();
    for mutation in Mutation::ALL {
        let mut found = None;
        for (name, graph, json) in &generated {
            if let Some(mut c) = hunt(name, graph, mutation, 1, &ids, &mut notes) {
                if json.len() <= 600 {
                    c.graph = format!("{name}:\n{json}");
                }
                found = Some(c);
                break;
            }
        }
        if found.is_none() {
            for (name, _, graph) in &hand {
                if let Some(c) = hunt(name, graph, mutation, 6, &ids, &mut notes) {
                    found = Some(c);
                    break;
                }
            }
        }
        match found {
            Some(c) => {
                caught += 1;
                println!(
                    "{mutation:?}: caught by {} on {} ({})\n    {}",
                    c.oracle, c.graph, c.schedule, c.message
                );
            }
            None => {
                println!("{mutation:?}: NOT CAUGHT");
                missed.push(mutation);
            }
        }
    }
    for n in &notes {
        println!("note: {n}");
    }
    println!("{} mutations, {caught} caught", Mutation::ALL.len());
    assert!(missed.is_empty(), "mutations no oracle caught: {missed:?}");
}

fn hand_written() -> Vec<(&'static str, Mutation, Arc<Graph>)> {
    HAND_WRITTEN
        .iter()
        .map(|&(name, mutation, json)| {
            let g = parse_graph(json.as_bytes()).unwrap_or_else(|e| panic!("{name}: {e}"));
            (name, mutation, Arc::new(g))
        })
        .collect()
}

/// Each hand-written graph, on its own, exposes the mutation it was written for, and passes
/// every oracle without it.
#[test]
fn each_hand_written_graph_catches_its_mutation() {
    let ids = Oracles::all().ids();
    let mut notes = Vec::new();
    let mut missed = Vec::new();
    for (name, mutation, graph) in hand_written() {
        match hunt(name, &graph, mutation, 6, &ids, &mut notes) {
            Some(c) => println!(
                "{name}: {mutation:?} caught by {} ({})",
                c.oracle, c.schedule
            ),
            None => missed.push(format!("{name} ({mutation:?})")),
        }
    }
    for n in &notes {
        println!("note: {n}");
    }
    assert!(
        missed.is_empty(),
        "hand-written graphs that miss their mutation: {missed:?}"
    );
}
