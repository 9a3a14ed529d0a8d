//! The oracles of FUT, TASK, LOOP, SLEEP and RUN: silent on every example and reference
//! graph (FIFO, levels 1–3), and each able to fire.

#[path = "../../tests/support/example_graphs.rs"]
mod example_graphs;
mod oracle_support;

use std::sync::Arc;

use aiosim::Level;
use aiosim_properties::oracles;
use aiosim_properties::{Finding, Oracle};
use aiosim_sim::graph::Graph;
use aiosim_sim::interp::{RunOptions, RunReport, run_graph};
use aiosim_sim::policy::{PolicyKind, Schedule};
use example_graphs::example_and_reference_graphs;
use oracle_support::{
    ITERATION_BUDGET, dump, env_number, graph, judge_run, run_under, set_final_state,
};

const AREAS: [&str; 5] = ["FUT-", "TASK-", "LOOP-", "SLEEP-", "RUN-"];

fn mine() -> Vec<Box<dyn Oracle>> {
    oracles::all()
        .into_iter()
        .filter(|o| AREAS.iter().any(|a| o.id().starts_with(a)))
        .collect()
}

fn dir(rel: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// The example and reference scenarios, by file stem.
fn example_graphs() -> Vec<(String, Arc<Graph>)> {
    example_and_reference_graphs()
        .into_iter()
        .map(|(path, g)| (path.file_stem().unwrap().to_string_lossy().into_owned(), g))
        .collect()
}

/// Runs `g` in CPython's order (`Level::Fifo`) or under a random schedule from `seed` at
/// `level`.
fn run(g: &Arc<Graph>, level: Level, seed: u64) -> RunReport {
    if level == Level::Fifo {
        let mut options = RunOptions::default();
        options.iteration_budget = Some(ITERATION_BUDGET);
        run_graph(g.clone(), options)
    } else {
        run_under(g, &Schedule::new(PolicyKind::Random, seed, level)).0
    }
}

/// The findings of oracle `o` on run `r` of `g`, none if `o` does not apply at `level`.
fn judge_with(o: &dyn Oracle, g: &Arc<Graph>, r: &RunReport, level: Level) -> Vec<Finding> {
    if level != Level::Fifo && o.faithful_only() {
        return Vec::new();
    }
    judge_run(g, r, level, |judged| o.judge(judged))
}

/// Every finding of `oracles` on run `r` of `g` at `level`, described as
/// `ID [events]: explanation` followed by the run.
fn describe_findings(
    oracles: &[Box<dyn Oracle>],
    g: &Arc<Graph>,
    r: &RunReport,
    level: Level,
) -> Vec<String> {
    let mut described = Vec::new();
    for o in oracles {
        for f in judge_with(o.as_ref(), g, r, level) {
            described.push(format!(
                "{} {:?}: {}\n{}",
                o.id(),
                f.events,
                f.explanation,
                dump(r)
            ));
        }
    }
    described
}

#[test]
fn silent_on_examples() {
    let oracles = mine();
    let mut failures = Vec::new();
    let mut runs = 0;
    for (name, g) in example_graphs() {
        let mut cases = vec![(Level::Fifo, 0)];
        for seed in 0..4 {
            cases.push((Level::Ties, seed));
            cases.push((Level::Interleave, seed));
            cases.push((Level::Timing, seed));
        }
        for (level, seed) in cases {
            let r = run(&g, level, seed);
            runs += 1;
            for finding in describe_findings(&oracles, &g, &r, level) {
                failures.push(format!("{name} {level:?} seed {seed}: {finding}"));
            }
        }
    }
    assert!(runs > 100);
    if !failures.is_empty() {
        let n = failures.len();
        failures.truncate(6);
        panic!("{n} findings:\n{}", failures.join("\n"));
    }
}

/// Every ID of the five areas has exactly one oracle or one `NOT_JUDGED` entry with a reason.
#[test]
fn every_id_is_judged_or_explained() {
    let text = std::fs::read_to_string(dir("../tests/data/invariant_ids.txt")).expect("ID list");
    let ids: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| AREAS.iter().any(|a| l.starts_with(a)))
        .collect();
    assert!(ids.len() > 50);
    let judged: Vec<&str> = mine().iter().map(|o| o.id()).collect();
    let explained: Vec<(&str, &str)> = oracles::not_judged()
        .into_iter()
        .filter(|(id, _)| AREAS.iter().any(|a| id.starts_with(a)))
        .collect();
    for id in &ids {
        let n = judged.iter().filter(|j| *j == id).count()
            + explained.iter().filter(|(e, _)| e == id).count();
        assert_eq!(n, 1, "{id}: {n} oracles or NOT_JUDGED entries");
    }
    for id in judged.iter().chain(explained.iter().map(|(i, _)| i)) {
        assert!(ids.contains(id), "{id} is not in the catalogue");
    }
    for (id, why) in explained {
        assert!(
            why.len() > 40,
            "{id}: give the reason and where it is tested"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Every oracle can fire.

use aiosim::State;
use aiosim::mutation::{Mutation, set_mutation};
use aiosim_sim::trace::{Event, NameSet, Outcome, parse_event_line};

/// A deliberately broken run: a graph, run under FIFO (or with a mutation), then tampered.
struct Case {
    id: &'static str,
    graph: Arc<Graph>,
    mutation: Option<Mutation>,
    tamper: Box<dyn Fn(&mut RunReport)>,
}

fn case(id: &'static str, json: &str, tamper: impl Fn(&mut RunReport) + 'static) -> Case {
    Case {
        id,
        graph: graph(json),
        mutation: None,
        tamper: Box::new(tamper),
    }
}

fn example(name: &str) -> String {
    let p = dir(&format!("../tests/examples/{name}.json"));
    let p = if p.exists() {
        p
    } else {
        dir(&format!("../tests/reference/cases/{name}.json"))
    };
    std::fs::read_to_string(p).expect("example")
}

/// Runs `g` in CPython's order with `mutation` (if any) switched on for the run.
fn run_mutated(g: &Arc<Graph>, mutation: Option<Mutation>) -> RunReport {
    set_mutation(mutation);
    let r = run(g, Level::Fifo, 0);
    set_mutation(None);
    r
}

fn mutated(id: &'static str, json: &str, m: Mutation) -> Case {
    Case {
        id,
        graph: graph(json),
        mutation: Some(m),
        tamper: Box::new(|_| {}),
    }
}

/// The index of the first event whose line contains every one of `parts`.
fn find(r: &RunReport, parts: &[&str]) -> usize {
    r.trace
        .events
        .iter()
        .position(|e| {
            let l = e.to_string();
            parts.iter().all(|p| l.contains(p))
        })
        .unwrap_or_else(|| panic!("no event with {parts:?} in\n{}", dump(r)))
}

/// Replaces the `out` of event `i` (an op or end) by the outcome written as JSON.
fn set_out(r: &mut RunReport, i: usize, out: &str) {
    let line = format!(r#"{{"t":0,"task":"x","ev":"end","out":{out}}}"#);
    let Event::End { out: o, .. } = parse_event_line(&line).expect("an outcome") else {
        unreachable!()
    };
    match &mut r.trace.events[i] {
        Event::Op { out, .. } | Event::End { out, .. } | Event::Item { out, .. } => *out = o,
        other => panic!("event {i} has no out: {other}"),
    }
}

fn swap(r: &mut RunReport, i: usize, j: usize) {
    r.trace.events.swap(i, j);
    r.event_iterations.swap(i, j);
}

fn set_t(r: &mut RunReport, i: usize, t: u64) {
    match &mut r.trace.events[i] {
        Event::Start { t: x, .. }
        | Event::Op { t: x, .. }
        | Event::Item { t: x, .. }
        | Event::End { t: x, .. }
        | Event::Callback { t: x, .. }
        | Event::Finish { t: x, .. } => *x = t,
    }
}

fn fire_cases() -> Vec<Case> {
    let callbacks = example("callbacks");
    let cancel_before_start = example("cancel_before_start");
    let queries = example("queries");
    let hello = example("hello_sleep");
    let leftover = example("leftover_cancel");
    let cancel_messages = example("cancel_messages");
    let cancelling = example("cancelling_uncancel");
    let set_exc_cancelled = example("set_exception_cancelled");
    let futures = r#"{"format":"aiosim-graph/1","name":"f","main":"main","tasks":{"main":[
        {"future":"f"},{"set_result":"f","value":7},{"done":"f"},{"cancelled":"f"},
        {"try":[{"set_result":"f","value":8}],"except":[{"type":"InvalidStateError","do":[]}]},
        {"await":"f"},{"future":"g"},{"cancel":"g","msg":"m"},{"cancel":"g"},
        {"try":[{"await":"g"}],"except":[{"type":"CancelledError","do":[]}]},
        {"add_done_callback":"f","label":"late"},{"sleep":0}]}}"#;
    let late_cancel = r#"{"format":"aiosim-graph/1","name":"late","main":"main","tasks":{
        "main":[{"future":"f"},{"spawn":"w"},{"sleep":0},{"set_result":"f",
        "value":1},{"cancel":"w","msg":"late"},{"try":[{"await":"w"}],"except":[{"type":
        "CancelledError","do":[]}]}],"w":[{"await":"f"}]}}"#;
    let uncancel = r#"{"format":"aiosim-graph/1","name":"unc","main":"main","tasks":{
        "main":[{"spawn":"a"},{"cancel":"a","msg":"x"},{"uncancel":"a"},{"try":[{"await":"a"}],
        "except":[{"type":"CancelledError","do":[]}]}],"a":[{"return":1}]}}"#;
    let message = r#"{"format":"aiosim-graph/1","name":"msg","main":"main","tasks":{
        "main":[{"spawn":"a"},{"sleep":0},{"cancel":"a","msg":"m"},{"try":[{"await":"a"}],
        "except":[{"type":"CancelledError","do":[]}]}],"a":[{"sleep":5}]}}"#;
    let caught = r#"{"format":"aiosim-graph/1","name":"caught","main":"main","tasks":{
        "main":[{"spawn":"a"},{"sleep":0},{"cancel":"a"},{"await":"a"}],
        "a":[{"try":[{"sleep":5}],"except":[{"type":"CancelledError","do":[{"return":"v"}]}]}]}}"#;
    let swallow = r#"{"format":"aiosim-graph/1","name":"swallow","main":"main","tasks":{
        "main":[{"spawn":"u"},{"spawn":"t"},{"sleep":0},{"cancel":"t","msg":"c"},{"sleep":2}],
        "t":[{"await":"u"}],
        "u":[{"try":[{"sleep":5}],"except":[{"type":"CancelledError","do":[{"return":"v"}]}]}]}}"#;
    let shared = r#"{"format":"aiosim-graph/1","name":"shared","main":"main","tasks":{
        "main":[{"future":"f"},{"spawn":"t1"},{"spawn":"t2"},{"sleep":0},{"cancel":"t1"},
        {"sleep":0},{"sleep":0}],
        "t1":[{"try":[{"await":"f"}],"except":[{"type":"CancelledError","do":[]}]}],
        "t2":[{"try":[{"await":"f"}],"except":[{"type":"CancelledError","do":[]}]}]}}"#;
    let two_sleeps = r#"{"format":"aiosim-graph/1","name":"two","main":"main","tasks":{
        "main":[{"spawn":"a"},{"spawn":"b"},{"sleep":3}],"a":[{"sleep":1}],"b":[{"sleep":2}]}}"#;
    let spawn_return = r#"{"format":"aiosim-graph/1","name":"sr","main":"main","tasks":{
        "main":[{"spawn":"x"},{"return":0}],"x":[{"return":1}]}}"#;

    vec![
        case("FUT-1", futures, |r| {
            let i = find(r, &[r#""at":"2","op":"done""#]);
            set_out(r, i, r#"{"ok":false}"#);
        }),
        case("FUT-2", &set_exc_cancelled, |r| {
            let i = find(r, &[r#""at":"6","op":"cancelled""#]);
            set_out(r, i, r#"{"ok":true}"#);
        }),
        case("FUT-3", futures, |r| {
            let i = find(r, &[r#""at":"4.try.0","op":"set_result""#]);
            set_out(r, i, r#"{"ok":null}"#);
        }),
        case("FUT-4", futures, |r| {
            let i = find(r, &[r#""at":"5","op":"await""#]);
            set_out(r, i, r#"{"ok":8}"#);
        }),
        case("FUT-5", futures, |r| {
            let i = find(r, &[r#""at":"8","op":"cancel""#]);
            set_out(r, i, r#"{"ok":true}"#);
        }),
        mutated("FUT-7", &callbacks, Mutation::CallbacksReversed),
        case("FUT-8", futures, |r| {
            let reg = find(r, &[r#""at":"10","op":"add_done_callback""#]);
            let cb = find(r, &[r#""label":"late""#]);
            r.event_iterations[cb] = r.event_iterations[reg];
        }),
        case("FUT-10", futures, |r| {
            let i = find(r, &[r#""at":"9.try.0","op":"await""#]);
            set_out(r, i, r#"{"cancelled":null}"#);
        }),
        case("FUT-11", futures, |r| {
            let i = find(r, &[r#""at":"5","op":"await""#]);
            r.event_iterations[i] += 1;
        }),
        case("TASK-1", &hello, |r| {
            let s = find(r, &[r#""task":"worker","ev":"start""#]);
            r.event_iterations[s] -= 1;
        }),
        case("TASK-2", &cancel_before_start, |r| {
            set_final_state(r, "a", State::Finished)
        }),
        case("TASK-3", &cancel_before_start, |r| {
            let i = find(r, &[r#""at":"3","op":"cancel""#]);
            set_out(r, i, r#"{"ok":true}"#);
        }),
        case("TASK-3", &cancelling, |r| {
            let i = find(
                r,
                &[r#""task":"main","ev":"op","at":"6","op":"cancelling""#],
            );
            set_out(r, i, r#"{"ok":2}"#);
        }),
        case("TASK-4", &queries, |r| {
            let i = find(r, &[r#""at":"4","op":"done""#]);
            set_out(r, i, r#"{"ok":true}"#);
        }),
        mutated("TASK-5", late_cancel, Mutation::LateCancelKeepsResult),
        case("TASK-6", &queries, |r| {
            let i = find(r, &[r#""at":"4","op":"done""#]);
            set_out(r, i, r#"{"cancelled":null}"#);
        }),
        case("TASK-7", caught, |r| {
            set_final_state(r, "a", State::Cancelled)
        }),
        case("TASK-8", &cancel_before_start, |r| {
            let i = find(r, &[r#""task":"a","ev":"end""#]);
            set_out(r, i, r#"{"cancelled":"other"}"#);
        }),
        case("TASK-9", &cancel_messages, |r| {
            set_final_state(r, "b", State::Finished)
        }),
        mutated("TASK-11", uncancel, Mutation::UncancelClearsMustCancel),
        mutated("TASK-11", &cancelling, Mutation::UncancelClearsMustCancel),
        case("TASK-11", &cancelling, |r| {
            let i = find(r, &[r#""task":"main","ev":"op","at":"5","op":"uncancel""#]);
            set_out(r, i, r#"{"ok":2}"#);
        }),
        case("TASK-12", swallow, |r| {
            let i = find(r, &[r#""task":"t","ev":"op","at":"0""#]);
            set_out(r, i, r#"{"cancelled":"c"}"#);
        }),
        case("TASK-13", shared, |r| {
            let i = find(r, &[r#""task":"t2","ev":"op","at":"0.try.0""#]);
            set_out(r, i, r#"{"ok":null}"#);
        }),
        mutated("TASK-14", message, Mutation::CancelMessageLost),
        case("TASK-14", &cancelling, |r| {
            let i = find(r, &[r#""task":"a","ev":"op","at":"0.try.0""#]);
            set_out(r, i, r#"{"cancelled":"two"}"#);
        }),
        case("TASK-15", &set_exc_cancelled, |r| {
            let i = find(r, &[r#""task":"w","ev":"op","at":"0""#]);
            set_out(r, i, r#"{"cancelled":null}"#);
        }),
        case("TASK-16", &hello, |r| {
            let i = find(r, &[r#""at":"2","op":"await""#]);
            set_out(r, i, r#"{"ok":43}"#);
        }),
        case("TASK-18", &leftover, |r| {
            let i = find(r, &[r#""task":"a","ev":"end""#]);
            swap(r, i, i + 1);
        }),
        case("TASK-18", &leftover, |r| {
            // a's first op moves to just before its start.
            let i = find(r, &[r#""task":"a","ev":"start""#]);
            let j = find(r, &[r#""task":"a","ev":"op""#]);
            let op = r.trace.events.remove(j);
            let iteration = r.event_iterations.remove(j);
            r.trace.events.insert(i, op);
            r.event_iterations.insert(i, iteration);
        }),
        case("TASK-18", &leftover, |r| {
            let i = find(r, &[r#""task":"a","ev":"start""#]);
            let start = r.trace.events[i].clone();
            let iteration = r.event_iterations[i];
            r.trace.events.insert(i + 1, start);
            r.event_iterations.insert(i + 1, iteration);
        }),
        case("LOOP-1", &leftover, |r| {
            let i = find(r, &[r#""task":"a","ev":"start""#]);
            swap(r, i, i + 1);
        }),
        mutated("LOOP-1", &callbacks, Mutation::CallbacksReversed),
        mutated("LOOP-2", &queries, Mutation::SleepZeroNoYield),
        case("LOOP-2", spawn_return, |r| {
            let i = find(r, &[r#""task":"x","ev":"start""#]);
            r.event_iterations[i] += 1;
        }),
        mutated("LOOP-4", &hello, Mutation::TimerOneTickEarly),
        case("LOOP-5", two_sleeps, |r| {
            let a = find(r, &[r#""task":"a","ev":"op""#]);
            let b = find(r, &[r#""task":"b","ev":"op""#]);
            r.event_iterations[a] = r.event_iterations[b] + 1;
        }),
        case("LOOP-9", &hello, |r| {
            let i = find(r, &[r#""task":"worker","ev":"end""#]);
            set_t(r, i, 0);
        }),
        mutated("SLEEP-1", &hello, Mutation::TimerOneTickEarly),
        case("SLEEP-1", &hello, |r| {
            let i = find(r, &[r#""task":"main","ev":"op","at":"1""#]);
            for k in i..r.trace.events.len() {
                let t = r.trace.events[k].t();
                set_t(r, k, t + 1);
            }
        }),
        mutated("SLEEP-2", &queries, Mutation::SleepZeroNoYield),
        case("SLEEP-3", &hello, |r| {
            let i = find(r, &[r#""task":"worker","ev":"op","at":"0""#]);
            set_out(r, i, r#"{"ok":5}"#);
        }),
        case("SLEEP-4", &queries, |r| {
            let i = find(r, &[r#""task":"a","ev":"op","at":"0.try.0""#]);
            set_out(r, i, r#"{"ok":null}"#);
        }),
        case("RUN-1", &hello, |r| {
            let i = r.trace.events.len() - 1;
            if let Event::Finish { run, .. } = &mut r.trace.events[i] {
                *run = Some(Outcome::ok(aiosim_sim::value::Value::Int(1)));
            }
        }),
        case("RUN-2", spawn_return, |r| {
            let i = find(r, &[r#""task":"x","ev":"start""#]);
            r.event_iterations[i] += 1;
        }),
        case("RUN-3", &leftover, |r| {
            let i = find(r, &[r#""task":"a","ev":"op","at":"0""#]);
            set_out(r, i, r#"{"cancelled":"msg"}"#);
        }),
        case("RUN-5", &hello, |r| {
            let i = r.trace.events.len() - 1;
            if let Event::Finish { tasks_pending, .. } = &mut r.trace.events[i] {
                *tasks_pending = NameSet::from_iter(["worker"]);
            }
        }),
        case("RUN-6", &leftover, |r| {
            let a = find(r, &[r#""task":"a","ev":"op","at":"0""#]);
            let b = find(r, &[r#""task":"b","ev":"op","at":"0.try.0""#]);
            let ev = r.trace.events.remove(b);
            let it = r.event_iterations.remove(b);
            r.trace.events.insert(a, ev);
            r.event_iterations.insert(a, it);
        }),
        case("RUN-6", &leftover, |r| {
            // The shutdown's requests, made in reverse spawn order.
            let (mut by_shutdown, rest): (Vec<_>, Vec<_>) =
                r.cancel_requests.drain(..).partition(|c| c.by_shutdown);
            assert!(by_shutdown.len() >= 2, "{:?}", by_shutdown);
            by_shutdown.reverse();
            r.cancel_requests = rest.into_iter().chain(by_shutdown).collect();
        }),
        case("RUN-7", &hello, |r| r.iterations += 1),
    ]
}

#[test]
fn every_oracle_fires_on_a_broken_run() {
    let oracles = mine();
    let cases = fire_cases();
    let mut problems = Vec::new();
    for c in &cases {
        let o = oracles
            .iter()
            .find(|o| o.id() == c.id)
            .unwrap_or_else(|| panic!("no oracle {}", c.id));
        let clean = run(&c.graph, Level::Fifo, 0);
        let before = judge_with(o.as_ref(), &c.graph, &clean, Level::Fifo);
        if !before.is_empty() {
            problems.push(format!(
                "{}: fires on the clean run: {before:?}\n{}",
                c.id,
                dump(&clean)
            ));
            continue;
        }
        let mut broken = run_mutated(&c.graph, c.mutation);
        (c.tamper)(&mut broken);
        let after = judge_with(o.as_ref(), &c.graph, &broken, Level::Fifo);
        if after.is_empty() {
            problems.push(format!(
                "{}: silent on the broken run\n{}",
                c.id,
                dump(&broken)
            ));
        } else {
            for f in &after {
                assert!(!f.explanation.is_empty());
            }
        }
    }
    for m in [
        Mutation::TimerOneTickEarly,
        Mutation::SleepZeroNoYield,
        Mutation::LateCancelKeepsResult,
        Mutation::CallbacksReversed,
        Mutation::UncancelClearsMustCancel,
        Mutation::CancelMessageLost,
    ] {
        if !cases.iter().any(|c| c.mutation == Some(m)) {
            problems.push(format!("{m:?}: no case shows an oracle catching it"));
        }
    }
    let covered: Vec<&str> = cases.iter().map(|c| c.id).collect();
    for o in &oracles {
        if !covered.contains(&o.id()) {
            problems.push(format!("{}: no case shows it can fire", o.id()));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

/// Generated scenarios: no finding under any level. `AIOSIM_ORACLE_GRAPHS` sets how many
/// (default 40), `AIOSIM_ORACLE_SEED` the first seed.
#[test]
fn silent_on_generated_graphs() {
    use aiosim_sim::generator::{GenConfig, generate_graph};
    let n: u64 = env_number("AIOSIM_ORACLE_GRAPHS", 40);
    let first: u64 = env_number("AIOSIM_ORACLE_SEED", 0);
    let oracles = mine();
    let config = GenConfig::default();
    let mut failures = Vec::new();
    for seed in first..first + n {
        let g = Arc::new(generate_graph(seed, &config));
        for (level, s) in [
            (Level::Fifo, 0),
            (Level::Ties, seed),
            (Level::Interleave, seed),
            (Level::Timing, seed),
        ] {
            let r = run(&g, level, s);
            for finding in describe_findings(&oracles, &g, &r, level) {
                failures.push(format!("graph seed {seed} {level:?}: {finding}"));
            }
        }
    }
    if !failures.is_empty() {
        let n = failures.len();
        failures.truncate(3);
        panic!("{n} findings:\n{}", failures.join("\n"));
    }
}

/// Which oracles each mutation trips on generated scenarios (a report, not a check).
#[test]
#[ignore]
fn mutation_kill_table() {
    use aiosim_sim::generator::{GenConfig, generate_graph};
    let n: u64 = env_number("AIOSIM_ORACLE_GRAPHS", 200);
    let oracles = mine();
    let config = GenConfig::default();
    for m in Mutation::ALL {
        let mut hits: std::collections::BTreeMap<&str, u32> = Default::default();
        let mut killed = 0;
        let mut differs = 0;
        for seed in 0..n {
            let g = Arc::new(generate_graph(seed, &config));
            let clean = run(&g, Level::Fifo, 0);
            let r = run_mutated(&g, Some(m));
            if r.trace != clean.trace {
                differs += 1;
            }
            let mut any = false;
            for o in &oracles {
                if !judge_with(o.as_ref(), &g, &r, Level::Fifo).is_empty() {
                    *hits.entry(o.id()).or_default() += 1;
                    any = true;
                }
            }
            killed += u32::from(any);
        }
        println!("{m:?}: trace differs in {differs}, caught in {killed}: {hits:?}");
    }
}

/// Prints generated scenarios whose trace a mutation changes but no oracle of these areas
/// catches (a report, not a check; `MUT=CallbacksReversed` picks one mutation).
#[test]
#[ignore]
fn mutation_escapes() {
    use aiosim_sim::generator::{GenConfig, generate, generate_graph};
    let which = std::env::var("MUT").ok();
    let oracles = mine();
    let config = GenConfig::default();
    for m in Mutation::ALL {
        if which.as_ref().is_some_and(|w| *w != format!("{m:?}")) {
            continue;
        }
        let mut shown = 0;
        for seed in 0..200 {
            let g = Arc::new(generate_graph(seed, &config));
            let clean = run(&g, Level::Fifo, 0);
            let r = run_mutated(&g, Some(m));
            if r.trace == clean.trace {
                continue;
            }
            if oracles
                .iter()
                .any(|o| !judge_with(o.as_ref(), &g, &r, Level::Fifo).is_empty())
            {
                continue;
            }
            println!(
                "=== {m:?} seed {seed}\n{}\n--- clean\n{}--- mutated\n{}",
                generate(seed, &config),
                dump(&clean),
                dump(&r)
            );
            shown += 1;
            if shown == 2 {
                break;
            }
        }
    }
}

/// A long soak over generated scenarios and policies (ignored: minutes). `AIOSIM_ORACLE_GRAPHS`,
/// `AIOSIM_ORACLE_SEED`, `AIOSIM_ORACLE_INJECT` (cancellations to inject per run).
#[test]
#[ignore]
fn soak_generated_graphs() {
    use aiosim_sim::generator::{GenConfig, generate_graph};
    let (n, first, inject): (u64, u64, u32) = (
        env_number("AIOSIM_ORACLE_GRAPHS", 500),
        env_number("AIOSIM_ORACLE_SEED", 1000),
        env_number("AIOSIM_ORACLE_INJECT", 0),
    );
    let oracles = mine();
    let config = GenConfig::default();
    let mut failures: std::collections::BTreeMap<&str, (usize, String)> = Default::default();
    for seed in first..first + n {
        let g = Arc::new(generate_graph(seed, &config));
        let hint = run(&g, Level::Fifo, 0).handles;
        for policy in [PolicyKind::Random, PolicyKind::Pct, PolicyKind::Pos] {
            for level in [Level::Ties, Level::Interleave, Level::Timing] {
                let mut s = Schedule::new(policy, seed, level);
                s.inject_cancels = inject;
                s.steps_hint = hint.max(1);
                let (r, _log) = run_under(&g, &s);
                for o in &oracles {
                    for f in judge_with(o.as_ref(), &g, &r, level) {
                        let e = failures.entry(o.id()).or_insert((0, String::new()));
                        e.0 += 1;
                        if e.1.is_empty() {
                            e.1 = format!(
                                "graph seed {seed} {policy:?} {level:?}: {:?}: {}\n{}",
                                f.events,
                                f.explanation,
                                dump(&r)
                            );
                        }
                    }
                }
            }
        }
    }
    if !failures.is_empty() {
        let all: Vec<String> = failures
            .iter()
            .map(|(id, (n, s))| format!("{id}: {n} findings, first: {s}"))
            .collect();
        panic!("{}", all.join("\n"));
    }
}

/// Every schedule (up to a budget per graph and level) of the example graphs: no finding.
/// `AIOSIM_ORACLE_EXHAUSTIVE` sets the budget (default 2000 runs per graph and level).
#[test]
#[ignore]
fn exhaustive_examples() {
    let budget: usize = env_number("AIOSIM_ORACLE_EXHAUSTIVE", 2000);
    let oracles = mine();
    let mut failures = Vec::new();
    let mut total = 0;
    for (name, g) in example_graphs() {
        for level in [Level::Ties, Level::Interleave, Level::Timing] {
            let base = Schedule::new(PolicyKind::Exhaustive, 0, level);
            let cov = aiosim_sim::policy::explore(&base, budget, |s| {
                let (r, log) = run_under(&g, s);
                for finding in describe_findings(&oracles, &g, &r, level) {
                    if failures.len() < 5 {
                        failures.push(format!("{name} {level:?}: {finding}"));
                    }
                }
                Some(log.decisions())
            });
            total += cov.schedules;
        }
    }
    println!("{total} schedules");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
