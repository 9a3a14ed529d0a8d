//! The oracles of the combinator areas (GATHER, WAIT, WAITFOR, SHIELD, ASC, TMO, TG):
//! each passes on every example and reference graph and on graphs of our own, in CPython's
//! order and under explored schedules, and each fires on a violating run (a tampered trace
//! or a runtime with a deliberate defect).

#[path = "../../tests/support/example_graphs.rs"]
mod example_graphs;
mod oracle_support;

use std::collections::BTreeSet;
use std::sync::Arc;

use aiosim::Level;
use aiosim::mutation::{Mutation, set_mutation};
use aiosim_properties::{Finding, Oracles};
use aiosim_sim::graph::Graph;
use aiosim_sim::interp::{RunOptions, RunReport, run_graph};
use aiosim_sim::policy::{PolicyKind, Schedule};
use example_graphs::example_and_reference_graphs;
use oracle_support::{dump, env_number, final_state, graph, judge_run, run_under, set_final_state};

const AREAS: [&str; 7] = ["GATHER", "WAIT", "WAITFOR", "SHIELD", "ASC", "TMO", "TG"];

fn mine(id: &str) -> bool {
    AREAS
        .iter()
        .any(|a| id.strip_prefix(a).is_some_and(|r| r.starts_with('-')))
}

fn oracles() -> Oracles {
    Oracles::filtered(mine)
}

fn run_fifo(g: &Arc<Graph>) -> RunReport {
    run_graph(g.clone(), RunOptions::default())
}

/// Runs `g` under `schedule`: a plain FIFO schedule (no injected cancellations) without a
/// scheduler, in CPython's order; any other through the schedule.
fn run_schedule(g: &Arc<Graph>, schedule: &Schedule) -> RunReport {
    if schedule.policy == PolicyKind::Fifo && schedule.inject_cancels == 0 {
        run_fifo(g)
    } else {
        run_under(g, schedule).0
    }
}

fn judge_with(
    oracles: &Oracles,
    g: &Arc<Graph>,
    report: &RunReport,
    level: Level,
) -> Vec<(&'static str, Finding)> {
    judge_run(g, report, level, |judged| oracles.judge(judged))
}

/// The schedules every passing graph is run under.
fn schedules() -> Vec<(Schedule, Level)> {
    let mut out = vec![(Schedule::new(PolicyKind::Fifo, 0, Level::Fifo), Level::Fifo)];
    for seed in 1..=4 {
        for level in [Level::Interleave, Level::Timing] {
            out.push((Schedule::new(PolicyKind::Random, seed, level), level));
        }
    }
    out.push((
        Schedule::new(PolicyKind::Random, 9, Level::Ties),
        Level::Ties,
    ));
    // Injected cancellations: faults nobody wrote; the oracles must stay sound.
    for seed in 20..=22 {
        let mut s = Schedule::new(PolicyKind::Random, seed, Level::Interleave);
        s.inject_cancels = 2;
        out.push((s, Level::Interleave));
    }
    let mut s = Schedule::new(PolicyKind::Fifo, 31, Level::Fifo);
    s.inject_cancels = 1;
    out.push((s, Level::Fifo));
    out
}

fn assert_passes(name: &str, g: &Arc<Graph>) {
    let oracles = oracles();
    for (schedule, level) in schedules() {
        let report = run_schedule(g, &schedule);
        let found = judge_with(&oracles, g, &report, level);
        assert!(
            found.is_empty(),
            "{name} under {:?} seed {} level {:?} inject {}: {:#?}\n{}",
            schedule.policy,
            schedule.seed,
            level,
            schedule.inject_cancels,
            found,
            dump(&report)
        );
    }
}

/// The example and reference scenarios, by path.
fn example_graphs() -> Vec<(String, Arc<Graph>)> {
    example_and_reference_graphs()
        .into_iter()
        .map(|(path, g)| (path.display().to_string(), g))
        .collect()
}

#[test]
fn every_example_and_reference_graph_passes() {
    let graphs = example_graphs();
    assert!(graphs.len() >= 30, "only {} graphs found", graphs.len());
    for (name, g) in graphs {
        assert_passes(&name, &g);
    }
}

/// A generator configuration that favours the combinators.
fn combinator_config() -> aiosim_sim::generator::GenConfig {
    let mut c = aiosim_sim::generator::GenConfig::default();
    c.weights.gather = 8;
    c.weights.wait = 7;
    c.weights.wait_for = 8;
    c.weights.shield = 6;
    c.weights.as_completed = 6;
    c.weights.timeout = 7;
    c.weights.taskgroup = 6;
    c.syntax_noise_percent = 0;
    c.expect_percent = 0;
    c
}

/// Random valid graphs from the scenario generator, default and combinator-heavy: the
/// oracles never fire on the runtime as it is (FIFO, levels 2 and 3, injected cancels).
#[test]
fn generated_graphs_pass() {
    let n: u64 = env_number("AIOSIM_ORACLE_GRAPHS", 200);
    let oracles = oracles();
    let configs = [
        aiosim_sim::generator::GenConfig::default(),
        combinator_config(),
    ];
    let mut failures = Vec::new();
    let mut summary = Vec::new();
    for seed in 0..n {
        let config = &configs[(seed % 2) as usize];
        let g = Arc::new(aiosim_sim::generator::generate_graph(seed, config));
        let mut runs: Vec<(Schedule, Level)> =
            vec![(Schedule::new(PolicyKind::Fifo, 0, Level::Fifo), Level::Fifo)];
        runs.push((
            Schedule::new(PolicyKind::Random, seed, Level::Interleave),
            Level::Interleave,
        ));
        runs.push((
            Schedule::new(PolicyKind::Random, seed + 1000, Level::Timing),
            Level::Timing,
        ));
        let mut s = Schedule::new(PolicyKind::Random, seed + 2000, Level::Timing);
        s.inject_cancels = 2;
        runs.push((s, Level::Timing));
        if std::env::var("AIOSIM_ORACLE_WIDE").is_ok() {
            for (k, policy) in [PolicyKind::Pct, PolicyKind::Pos].into_iter().enumerate() {
                for level in [Level::Ties, Level::Interleave, Level::Timing] {
                    let mut s = Schedule::new(policy, seed * 7 + k as u64, level);
                    s.inject_cancels = (seed % 3) as u32;
                    runs.push((s, level));
                }
            }
            let mut s = Schedule::new(PolicyKind::Fifo, seed, Level::Fifo);
            s.inject_cancels = 2;
            runs.push((s, Level::Fifo));
        }
        for (schedule, level) in runs {
            let report = run_schedule(&g, &schedule);
            let found = judge_with(&oracles, &g, &report, level);
            if !found.is_empty() {
                let ids: BTreeSet<&str> = found.iter().map(|(id, _)| *id).collect();
                summary.push(format!(
                    "seed {seed} config {} {:?}/{}/{:?}/inject {}: {ids:?}",
                    seed % 2,
                    schedule.policy,
                    schedule.seed,
                    level,
                    schedule.inject_cancels
                ));
                failures.push(format!(
                    "generated graph seed {seed} (config {}) under {:?} seed {} level {:?} inject \
                     {}: {:#?}\n{}",
                    seed % 2,
                    schedule.policy,
                    schedule.seed,
                    level,
                    schedule.inject_cancels,
                    found,
                    dump(&report)
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failing runs:\n{}\nThe first ones:\n{}",
        failures.len(),
        summary.join("\n"),
        failures
            .iter()
            .take(3)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n\n")
    );
}

/// Debugging aid: `AIOSIM_DEBUG_SEED=n AIOSIM_DEBUG_CONFIG=0|1 AIOSIM_DEBUG_SCHED=policy,seed,level,inject`.
#[test]
fn debug_one() {
    let Ok(seed) = std::env::var("AIOSIM_DEBUG_SEED") else {
        return;
    };
    let seed: u64 = seed.parse().unwrap();
    let config = match std::env::var("AIOSIM_DEBUG_CONFIG").as_deref() {
        Ok("1") => combinator_config(),
        _ => aiosim_sim::generator::GenConfig::default(),
    };
    let text = aiosim_sim::generator::generate(seed, &config);
    let g = graph(&text);
    let sched = std::env::var("AIOSIM_DEBUG_SCHED").unwrap_or("fifo,0,0,0".into());
    let p: Vec<&str> = sched.split(',').collect();
    let level = match p[2] {
        "0" => Level::Fifo,
        "1" => Level::Ties,
        "2" => Level::Interleave,
        _ => Level::Timing,
    };
    let policy = if p[0] == "fifo" {
        PolicyKind::Fifo
    } else {
        PolicyKind::Random
    };
    let mut s = Schedule::new(policy, p[1].parse().unwrap(), level);
    s.inject_cancels = p[3].parse().unwrap();
    let report = run_schedule(&g, &s);
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    println!("{}", serde_json::to_string_pretty(&v).unwrap());
    println!("{}", dump(&report));
    for (id, f) in judge_with(&oracles(), &g, &report, level) {
        println!("{id}: {f:?}");
    }
}

// ---- Graphs of our own, heavy on the combinators ----

const GATHER_HEAVY: &str = r#"{"format":"aiosim-graph/1","name":"gather_heavy","main":"main","tasks":{
 "main":[
   {"spawn":"slow"},{"spawn":"fast"},{"future":"f"},{"spawn":"setter"},
   {"gather":["slow","fast","f","fast"]},
   {"gather":["slow","fast"],"return_exceptions":true},
   {"spawn":"bad"},{"spawn":"later"},
   {"try":[{"gather":["later","bad"]}],"except":[{"type":"Bad","do":[]}]},
   {"spawn":"cx"},{"spawn":"cw"},
   {"try":[{"gather":["cx","later"]}],"except":[{"type":"CancelledError","do":[]}]},
   {"gather":["cx","bad","later"],"return_exceptions":true},
   {"gather":[]},
   {"spawn":"g1"},{"sleep":1},{"cancel":"g1","msg":"stop g1"},
   {"try":[{"await":"g1"}],"except":[{"type":"CancelledError","do":[]}]},
   {"spawn":"g2"},{"sleep":1},{"cancel":"g2","msg":"stop g2"},
   {"try":[{"await":"g2"}],"except":[{"type":"CancelledError","do":[]}]},
   {"spawn":"d"},{"spawn":"g3"},
   {"try":[{"await":"g3"}],"except":[{"type":"CancelledError","do":[]}]},
   {"future":"h"},{"spawn":"hc"},
   {"gather":["h","fast"],"return_exceptions":true}
 ],
 "slow":[{"sleep":3},{"return":"s"}],
 "fast":[{"sleep":1},{"return":"f"}],
 "setter":[{"sleep":2},{"set_result":"f","value":7}],
 "bad":[{"sleep":1},{"raise":{"type":"Bad","msg":"bad"}}],
 "later":[{"sleep":4},{"return":"l"}],
 "cx":[{"sleep":1},{"raise":{"type":"CancelledError","msg":"cx msg"}}],
 "g1":[{"spawn":"k1"},{"spawn":"k2"},{"gather":["k1","k2"],"return_exceptions":true}],
 "k1":[{"try":[{"sleep":5}],"except":[{"type":"CancelledError","do":[{"return":"k1 swallowed"}]}]}],
 "k2":[{"sleep":5}],
 "g2":[{"spawn":"k3"},{"spawn":"k4"},{"gather":["k3","k4","k3"]}],
 "k3":[{"try":[{"sleep":5}],"except":[{"type":"CancelledError","do":[{"sleep":1},{"return":"k3 late"}]}]}],
 "k4":[{"sleep":5}],
 "d":[{"sleep":2},{"sleep":0},{"sleep":0},{"cancel":"g3","msg":"late"}],
 "g3":[{"spawn":"b3"},{"gather":["b3"]}],
 "b3":[{"sleep":2},{"raise":{"type":"Bad","msg":"b3"}}],
 "cw":[{"try":[{"await":"cx"}],"except":[{"type":"CancelledError","do":[]}]}],
 "hc":[{"sleep":1},{"cancel":"h","msg":"h off"}]
}}"#;

const WAIT_HEAVY: &str = r#"{"format":"aiosim-graph/1","name":"wait_heavy","main":"main","tasks":{
 "main":[
   {"spawn":"a"},{"spawn":"b"},{"spawn":"c"},{"future":"f"},{"spawn":"fs"},
   {"wait":["a","b","a"],"return_when":"FIRST_COMPLETED"},
   {"wait":["c","b","f"],"return_when":"FIRST_EXCEPTION"},
   {"wait":["a","b","c","f"]},
   {"wait":["a","b"],"timeout":0},
   {"future":"g"},
   {"wait":["g","a"],"return_when":"ALL_COMPLETED","timeout":2},
   {"spawn":"w"},{"sleep":1},{"cancel":"w","msg":"stop w"},
   {"try":[{"await":"w"}],"except":[{"type":"CancelledError","do":[]}]},
   {"set_result":"g","value":"g"}
 ],
 "a":[{"sleep":1},{"return":"a"}],
 "b":[{"sleep":2},{"raise":{"type":"Bad","msg":"b"}}],
 "c":[{"sleep":3},{"return":"c"}],
 "fs":[{"sleep":2},{"set_result":"f","value":1}],
 "w":[{"wait":["g"]}]
}}"#;

const WAIT_FOR_HEAVY: &str = r#"{"format":"aiosim-graph/1","name":"wait_for_heavy","main":"main","tasks":{
 "main":[
   {"spawn":"v"},{"wait_for":"v","timeout":10},
   {"spawn":"long"},
   {"try":[{"wait_for":"long","timeout":2}],"except":[{"type":"TimeoutError","do":[]}]},
   {"spawn":"sw"},{"wait_for":"sw","timeout":1},
   {"spawn":"p"},
   {"try":[{"wait_for":"p","timeout":0}],"except":[{"type":"TimeoutError","do":[]}]},
   {"wait_for":"v","timeout":0},
   {"wait_for":"v","timeout":null},
   {"spawn":"n"},{"try":[{"wait_for":"n","timeout":null}],"except":[{"type":"Bad","do":[]}]},
   {"future":"f"},
   {"try":[{"wait_for":"f","timeout":2}],"except":[{"type":"TimeoutError","do":[{"cancelled":"f"}]}]},
   {"spawn":"x"},{"spawn":"wc"},{"sleep":1},{"cancel":"wc","msg":"stop wc"},
   {"try":[{"await":"wc"}],"except":[{"type":"CancelledError","do":[]}]},
   {"spawn":"y"},{"sleep":1},{"cancel":"y","msg":"y msg"},
   {"spawn":"yw"},{"try":[{"await":"yw"}],"except":[{"type":"CancelledError","do":[]}]},
   {"spawn":"q"},{"spawn":"rz"},{"sleep":0},
   {"wait_for":"q","timeout":0}
 ],
 "v":[{"sleep":1},{"return":"v"}],
 "long":[{"sleep":5},{"return":"never"}],
 "sw":[{"try":[{"sleep":5}],"except":[{"type":"CancelledError","do":[{"return":"swallowed"}]}]}],
 "p":[{"sleep":3}],
 "n":[{"sleep":2},{"raise":{"type":"Bad","msg":"n"}}],
 "x":[{"sleep":5},{"return":"x"}],
 "wc":[{"wait_for":"x","timeout":10}],
 "y":[{"sleep":5}],
 "yw":[{"wait_for":"y","timeout":10}],
 "q":[{"try":[{"sleep":5}],"except":[{"type":"CancelledError","do":[{"sleep":1},{"return":"q late"}]}]}],
 "rz":[{"sleep":0}]
}}"#;

/// A task that only a shield names: cancelling the shield's awaiter must leave it alone.
const SHIELD_TASK_ONLY: &str = r#"{"format":"aiosim-graph/1","name":"shield_task","main":"main","tasks":{
 "main":[{"spawn":"x"},{"spawn":"w"},{"sleep":1},{"cancel":"w","msg":"stop"},{"sleep":5}],
 "w":[{"shield":"x"}],
 "x":[{"sleep":3},{"return":"x"}]}}"#;

#[test]
fn a_task_only_shielded_receives_no_cancel_request() {
    let g = graph(SHIELD_TASK_ONLY);
    let report = run_fifo(&g);
    let found = judge_with(&oracles(), &g, &report, Level::Fifo);
    assert!(found.is_empty(), "{found:#?}\n{}", dump(&report));
    assert!(
        report.cancel_requests.iter().all(|r| &*r.task != "x"),
        "{:?}",
        report.cancel_requests
    );
}

const SHIELD_HEAVY: &str = r#"{"format":"aiosim-graph/1","name":"shield_heavy","main":"main","tasks":{
 "main":[
   {"spawn":"i1"},{"shield":"i1"},
   {"shield":"i1"},
   {"spawn":"e1"},{"try":[{"shield":"e1"}],"except":[{"type":"Oops","do":[]}]},
   {"future":"f"},{"spawn":"a"},{"sleep":1},{"cancel":"a","msg":"go away"},
   {"try":[{"await":"a"}],"except":[{"type":"CancelledError","do":[]}]},
   {"set_result":"f","value":"kept"},
   {"spawn":"i2"},{"spawn":"c2"},
   {"try":[{"shield":"i2"}],"except":[{"type":"CancelledError","do":[]}]},
   {"spawn":"i3"},{"spawn":"b"},{"sleep":1},{"cancel":"b","msg":"b off"},
   {"try":[{"await":"b"}],"except":[{"type":"CancelledError","do":[]}]},
   {"await":"i3"}
 ],
 "i1":[{"sleep":2},{"return":"i1"}],
 "e1":[{"sleep":1},{"raise":{"type":"Oops","msg":"e1"}}],
 "a":[{"shield":"f"}],
 "i2":[{"sleep":5}],
 "c2":[{"sleep":1},{"cancel":"i2","msg":"inner off"}],
 "i3":[{"sleep":3},{"return":"i3"}],
 "b":[{"shield":"i3"}]
}}"#;

const ASC_HEAVY: &str = r#"{"format":"aiosim-graph/1","name":"asc_heavy","main":"main","tasks":{
 "main":[
   {"spawn":"a"},{"spawn":"b"},{"spawn":"c"},{"spawn":"d"},{"future":"f"},{"spawn":"fs"},
   {"sleep":0},
   {"as_completed":["c","b","f","d","a","b"]},
   {"as_completed":["d","c","a"]},
   {"spawn":"s1"},{"spawn":"s2"},{"spawn":"s3"},
   {"as_completed":["s3","s1","s2"],"timeout":3},
   {"as_completed":[]},
   {"spawn":"e"},{"future":"g"},{"spawn":"gc"},
   {"try":[{"as_completed":["e","g"]}],"except":[{"type":"CancelledError","do":[]}]}
 ],
 "a":[{"return":"a"}],
 "b":[{"raise":{"type":"Bad","msg":"b"}}],
 "c":[{"sleep":2},{"return":"c"}],
 "d":[{"sleep":1},{"return":"d"}],
 "fs":[{"sleep":1},{"set_result":"f","value":"f"}],
 "s1":[{"sleep":2},{"return":"s1"}],
 "s2":[{"sleep":5},{"return":"s2"}],
 "s3":[{"sleep":1},{"return":"s3"}],
 "e":[{"sleep":4},{"return":"e"}],
 "gc":[{"sleep":1},{"cancel":"g","msg":"g gone"}]
}}"#;

const TIMEOUT_HEAVY: &str = r#"{"format":"aiosim-graph/1","name":"timeout_heavy","main":"main","tasks":{
 "main":[
   {"try":[{"timeout":2,"do":[{"sleep":5}]}],"except":[{"type":"TimeoutError","do":[]}]},
   {"timeout":0,"do":[{"done":"main"}]},
   {"timeout":null,"do":[{"sleep":1}]},
   {"timeout":1,"do":[{"try":[{"sleep":5}],"except":[{"type":"CancelledError","do":[]}]}]},
   {"spawn":"ext"},
   {"try":[{"timeout":3,"do":[{"sleep":5}]}],"except":[{"type":"CancelledError","do":[]}]},
   {"try":[{"timeout":2,"do":[{"timeout":5,"do":[{"sleep":10}]}]}],"except":[{"type":"TimeoutError","do":[]}]},
   {"try":[{"timeout":1,"do":[{"try":[{"sleep":5}],"except":[{"type":"CancelledError","do":[{"raise":{"type":"Oops","msg":"o"}}]}]}]}],"except":[{"type":"Oops","do":[]}]},
   {"try":[{"timeout":0,"do":[{"sleep":0},{"sleep":0}]}],"except":[{"type":"TimeoutError","do":[]}]},
   {"timeout":4,"do":[{"sleep":1},{"return":"r"}]}
 ],
 "ext":[{"sleep":1},{"cancel":"main","msg":"ext"}]
}}"#;

const TG_HEAVY: &str = r#"{"format":"aiosim-graph/1","name":"tg_heavy","main":"main","tasks":{
 "main":[
   {"spawn":"simple"},{"await":"simple"},
   {"try":[{"taskgroup":[{"spawn":"s1"},{"spawn":"s2"},{"spawn":"f1"},{"spawn":"f2"},{"sleep":10}]}],
    "except":[{"type":"ExceptionGroup","do":[]}]},
   {"try":[{"taskgroup":[{"spawn":"c1"},{"spawn":"x1"},{"try":[{"sleep":10}],"except":[{"type":"CancelledError","do":[{"spawn":"late"}]}]}]}],
    "except":[{"type":"ExceptionGroup","do":[]}]},
   {"try":[{"taskgroup":[{"spawn":"c2"},{"raise":{"type":"Body","msg":"body"}}]}],
    "except":[{"type":"ExceptionGroup","do":[]}]},
   {"spawn":"canceller"},
   {"try":[{"taskgroup":[{"spawn":"c3"},{"spawn":"c4"}]}],"except":[{"type":"CancelledError","do":[]}]},
   {"try":[{"taskgroup":[{"spawn":"q"},{"return":"body returned"}]}],
    "except":[{"type":"Exception","do":[]}]},
   {"taskgroup":[{"spawn":"z"}]}
 ],
 "simple":[{"taskgroup":[{"spawn":"a"},{"spawn":"b"},{"sleep":1}]}],
 "a":[{"sleep":2},{"return":"a"}],
 "b":[{"sleep":3},{"return":"b"}],
 "s1":[{"sleep":5}],
 "s2":[{"sleep":5}],
 "f1":[{"sleep":1},{"raise":{"type":"F1","msg":"f1"}}],
 "f2":[{"sleep":1},{"raise":{"type":"F2","msg":"f2"}}],
 "c1":[{"sleep":5}],
 "x1":[{"sleep":1},{"raise":{"type":"X","msg":"x1"}}],
 "late":[],
 "c2":[{"sleep":5}],
 "canceller":[{"sleep":1},{"cancel":"main","msg":"from outside"}],
 "c3":[{"sleep":5}],
 "c4":[{"sleep":5}],
 "q":[{"sleep":1},{"raise":{"type":"Q","msg":"q"}}],
 "z":[]
}}"#;

/// A self-cancel left pending into a task group's `__aexit__` aborts the group there, so a
/// child failing afterwards does not leak a cancel request (found by the property tests).
const TG_SELF_CANCEL: &str = r#"{"format":"aiosim-graph/1","name":"tg_self_cancel","main":"main","tasks":{
  "main": [{"cancel":"main"}, {"taskgroup":[{"spawn":"t4"}]}],
  "t1": [],
  "t4": [{"timeout":null,"do":[{"taskgroup":[{"done":"t1"}]}]}]
}}"#;

/// Our own graphs, by name.
fn own_graphs() -> Vec<(&'static str, &'static str)> {
    vec![
        ("gather_heavy", GATHER_HEAVY),
        ("wait_heavy", WAIT_HEAVY),
        ("wait_for_heavy", WAIT_FOR_HEAVY),
        ("shield_heavy", SHIELD_HEAVY),
        ("asc_heavy", ASC_HEAVY),
        ("timeout_heavy", TIMEOUT_HEAVY),
        ("tg_heavy", TG_HEAVY),
        ("tg_self_cancel", TG_SELF_CANCEL),
    ]
}

#[test]
fn own_combinator_graphs_pass() {
    for (name, text) in own_graphs() {
        assert_passes(name, &graph(text));
    }
}

// ---- Every oracle can fail: tampered traces ----

/// The index of the only event whose line contains every one of `parts`.
fn find(r: &RunReport, parts: &[&str]) -> usize {
    let hits: Vec<usize> = r
        .trace
        .events
        .iter()
        .enumerate()
        .filter(|(_, e)| {
            let line = e.to_string();
            parts.iter().all(|p| line.contains(p))
        })
        .map(|(i, _)| i)
        .collect();
    assert_eq!(
        hits.len(),
        1,
        "events matching {parts:?}: {hits:?}\n{}",
        dump(r)
    );
    hits[0]
}

/// Replaces `from` by `to` in the line of the event matching `parts`.
fn edit(r: &mut RunReport, parts: &[&str], from: &str, to: &str) {
    let i = find(r, parts);
    let line = r.trace.events[i].to_string();
    assert!(line.contains(from), "{from:?} not in {line}");
    let new = line.replacen(from, to, 1);
    r.trace.events[i] = aiosim_sim::trace::parse_event_line(&new).expect("a valid event line");
}

/// Moves the event matching `parts` to a later loop iteration.
fn later(r: &mut RunReport, parts: &[&str]) {
    let i = find(r, parts);
    r.event_iterations[i] += 1;
}

/// Removes the event matching `parts`.
fn remove(r: &mut RunReport, parts: &[&str]) {
    let i = find(r, parts);
    r.trace.events.remove(i);
    r.event_iterations.remove(i);
}

fn set_cancelling(r: &mut RunReport, name: &str, n: u32) {
    final_state(r, name).cancelling = n;
}

/// Swaps two runs of `len` consecutive events starting at the events matching `a` and `b`.
fn swap_blocks(r: &mut RunReport, a: &[&str], b: &[&str], len: usize) {
    let (i, j) = (find(r, a), find(r, b));
    for k in 0..len {
        r.trace.events.swap(i + k, j + k);
        r.event_iterations.swap(i + k, j + k);
    }
}

type Tamper = fn(&mut RunReport);

/// (oracle, graph, how to break its run).
fn tamper_cases() -> Vec<(&'static str, &'static str, Tamper)> {
    const TO: &str = r#"{"err":"TimeoutError","msg":""}"#;
    vec![
        // gather
        ("GATHER-1", GATHER_HEAVY, |r| {
            edit(
                r,
                &[r#""at":"4","op":"gather""#],
                r#"["s","f",7,"f"]"#,
                r#"["f","s",7,"f"]"#,
            )
        }),
        ("GATHER-3", GATHER_HEAVY, |r| {
            edit(
                r,
                &[r#""at":"8.try.0","op":"gather""#],
                r#""err":"Bad""#,
                r#""err":"Other""#,
            )
        }),
        ("GATHER-4", GATHER_HEAVY, |r| {
            edit(
                r,
                &[r#""task":"g3","ev":"op","at":"1""#],
                r#""late""#,
                r#""other""#,
            )
        }),
        ("GATHER-5", GATHER_HEAVY, |r| {
            edit(
                r,
                &[r#""at":"12","op":"gather""#],
                r#"{"cancelled":""}"#,
                r#"{"cancelled":null}"#,
            )
        }),
        ("GATHER-6", GATHER_HEAVY, |r| {
            edit(
                r,
                &[r#""at":"11.try.0","op":"gather""#],
                r#""cx msg""#,
                "null",
            )
        }),
        ("GATHER-7", GATHER_HEAVY, |r| {
            edit(
                r,
                &[r#""task":"g1","ev":"op","at":"2""#],
                r#"{"cancelled":"stop g1"}"#,
                r#"{"ok":["k1 swallowed",{"cancelled":""}]}"#,
            )
        }),
        ("GATHER-8", GATHER_HEAVY, |r| {
            edit(
                r,
                &[r#""task":"g1","ev":"op","at":"2""#],
                r#""stop g1""#,
                r#""other""#,
            )
        }),
        ("GATHER-9", GATHER_HEAVY, |r| set_cancelling(r, "k2", 0)),
        ("GATHER-10", GATHER_HEAVY, |r| {
            edit(
                r,
                &[r#""at":"13","op":"gather""#],
                r#"{"ok":[]}"#,
                r#"{"ok":[1]}"#,
            )
        }),
        ("GATHER-11", GATHER_HEAVY, |r| {
            edit(
                r,
                &[r#""at":"4","op":"gather""#],
                r#"["s","f",7,"f"]"#,
                r#"["s","f",7,"x"]"#,
            )
        }),
        ("GATHER-12", GATHER_HEAVY, |r| {
            later(r, &[r#""at":"5","op":"gather""#])
        }),
        ("GATHER-13", GATHER_HEAVY, |r| {
            later(r, &[r#""at":"4","op":"gather""#])
        }),
        // wait
        ("WAIT-1", WAIT_HEAVY, |r| {
            edit(
                r,
                &[r#""at":"5","op":"wait""#],
                r#""done":["a"],"pending":["b"]"#,
                r#""done":["a","b"],"pending":[]"#,
            )
        }),
        ("WAIT-2", WAIT_HEAVY, |r| {
            edit(
                r,
                &[r#""at":"7","op":"wait""#],
                r#""done":["a","b","c","f"],"pending":[]"#,
                r#""done":["a","b","f"],"pending":["c"]"#,
            )
        }),
        ("WAIT-3", WAIT_HEAVY, |r| {
            edit(r, &[r#""at":"10","op":"wait""#], r#""t":5"#, r#""t":4"#)
        }),
        ("WAIT-4", WAIT_HEAVY, |r| {
            set_final_state(r, "g", aiosim::State::Cancelled)
        }),
        ("WAIT-6", WAIT_HEAVY, |r| {
            edit(
                r,
                &[r#""at":"8","op":"wait""#],
                r#""pending":[]"#,
                r#""pending":["a"]"#,
            )
        }),
        ("WAIT-7", WAIT_HEAVY, |r| {
            later(r, &[r#""at":"6","op":"wait""#])
        }),
        // wait_for
        ("WAITFOR-1", WAIT_FOR_HEAVY, |r| {
            edit(
                r,
                &[r#""at":"1","op":"wait_for""#],
                r#"{"ok":"v"}"#,
                r#"{"ok":"w"}"#,
            )
        }),
        ("WAITFOR-2", WAIT_FOR_HEAVY, |r| {
            edit(
                r,
                &[r#""at":"3.try.0","op":"wait_for""#],
                r#""t":3"#,
                r#""t":2"#,
            )
        }),
        ("WAITFOR-3", WAIT_FOR_HEAVY, |r| {
            edit(
                r,
                &[r#""task":"p","ev":"end""#],
                r#"{"cancelled":null}"#,
                r#"{"ok":"p"}"#,
            );
            set_final_state(r, "p", aiosim::State::Finished);
        }),
        ("WAITFOR-4", WAIT_FOR_HEAVY, |r| set_cancelling(r, "x", 0)),
        ("WAITFOR-5", WAIT_FOR_HEAVY, |r| {
            edit(r, &[r#""at":"9","op":"wait_for""#], r#"{"ok":"v"}"#, TO)
        }),
        ("WAITFOR-6", WAIT_FOR_HEAVY, |r| {
            later(r, &[r#""at":"27","op":"wait_for""#])
        }),
        ("WAITFOR-9", WAIT_FOR_HEAVY, |r| {
            set_final_state(r, "f", aiosim::State::Pending)
        }),
        ("WAITFOR-10", WAIT_FOR_HEAVY, |r| {
            later(r, &[r#""at":"1","op":"wait_for""#])
        }),
        // shield
        ("SHIELD-1", SHIELD_HEAVY, |r| {
            edit(
                r,
                &[r#""at":"1","op":"shield""#],
                r#"{"ok":"i1"}"#,
                r#"{"ok":"x"}"#,
            )
        }),
        ("SHIELD-2", SHIELD_HEAVY, |r| {
            edit(
                r,
                &[r#""task":"a","ev":"op","at":"0""#],
                r#""go away""#,
                r#""other""#,
            )
        }),
        ("SHIELD-3", SHIELD_HEAVY, |r| {
            edit(
                r,
                &[r#""at":"13.try.0","op":"shield""#],
                r#"{"cancelled":null}"#,
                r#"{"cancelled":"inner off"}"#,
            )
        }),
        ("SHIELD-4", SHIELD_HEAVY, |r| {
            later(r, &[r#""at":"2","op":"shield""#])
        }),
        ("SHIELD-6", SHIELD_HEAVY, |r| {
            later(r, &[r#""at":"1","op":"shield""#])
        }),
        // as_completed
        ("ASC-1", ASC_HEAVY, |r| {
            edit(r, &[r#""at":"7","i":2"#], r#"{"ok":"d"}"#, r#"{"ok":"f"}"#);
            edit(r, &[r#""at":"7","i":3"#], r#"{"ok":"f"}"#, r#"{"ok":"d"}"#);
        }),
        ("ASC-2", ASC_HEAVY, |r| {
            edit(
                r,
                &[r#""at":"7","i":0"#],
                r#"{"err":"Bad","msg":"b"}"#,
                r#"{"ok":"a"}"#,
            );
            edit(
                r,
                &[r#""at":"7","i":1"#],
                r#"{"ok":"a"}"#,
                r#"{"err":"Bad","msg":"b"}"#,
            );
        }),
        ("ASC-3", ASC_HEAVY, |r| {
            edit(r, &[r#""at":"12","i":2"#], r#""t":5"#, r#""t":4"#)
        }),
        ("ASC-4", ASC_HEAVY, |r| later(r, &[r#""at":"12","i":1"#])),
        ("ASC-5", ASC_HEAVY, |r| {
            later(r, &[r#""at":"13","op":"as_completed""#])
        }),
        // timeout
        ("TMO-1", TIMEOUT_HEAVY, |r| {
            edit(
                r,
                &[r#""at":"0.try.0","op":"timeout""#],
                r#""t":2"#,
                r#""t":1"#,
            )
        }),
        ("TMO-2", TIMEOUT_HEAVY, |r| {
            edit(r, &[r#""at":"1","op":"timeout""#], r#"{"ok":null}"#, TO)
        }),
        ("TMO-3", TIMEOUT_HEAVY, |r| {
            edit(r, &[r#""at":"2","op":"timeout""#], r#"{"ok":null}"#, TO)
        }),
        ("TMO-4", TIMEOUT_HEAVY, |r| {
            edit(r, &[r#""at":"3","op":"timeout""#], r#"{"ok":null}"#, TO)
        }),
        ("TMO-5", TIMEOUT_HEAVY, |r| {
            edit(
                r,
                &[r#""at":"5.try.0","op":"timeout""#],
                r#"{"cancelled":"ext"}"#,
                TO,
            )
        }),
        ("TMO-6", TIMEOUT_HEAVY, |r| {
            edit(
                r,
                &[r#""at":"6.try.0.do.0","op":"timeout""#],
                r#"{"cancelled":null}"#,
                TO,
            )
        }),
        ("TMO-7", TIMEOUT_HEAVY, |r| {
            edit(
                r,
                &[r#""at":"7.try.0","op":"timeout""#],
                r#"{"err":"Oops","msg":"o"}"#,
                TO,
            )
        }),
        ("TMO-8", TIMEOUT_HEAVY, |r| {
            later(r, &[r#""at":"9","op":"timeout""#])
        }),
        // TaskGroup
        ("TG-1", TG_HEAVY, |r| {
            remove(r, &[r#""task":"b","ev":"end""#]);
            set_final_state(r, "b", aiosim::State::Pending);
        }),
        ("TG-2", TG_HEAVY, |r| set_cancelling(r, "s1", 0)),
        ("TG-3", TG_HEAVY, |r| {
            edit(
                r,
                &[r#""at":"2.try.0","op":"taskgroup""#],
                r#"[{"err":"F1","msg":"f1"},{"err":"F2","msg":"f2"}]"#,
                r#"[{"err":"F2","msg":"f2"},{"err":"F1","msg":"f1"}]"#,
            )
        }),
        ("TG-4", TG_HEAVY, |r| {
            edit(
                r,
                &[r#""at":"4.try.0","op":"taskgroup""#],
                r#"[{"err":"Body","msg":"body"}]"#,
                r#"[{"err":"Body","msg":"body"},{"cancelled":null}]"#,
            )
        }),
        ("TG-5", TG_HEAVY, |r| {
            let i = find(r, &[r#""at":"2.try.0","op":"taskgroup""#]);
            let line = r.trace.events[i].to_string();
            let cut = line.find(r#""out":"#).expect("an out");
            let new = format!(r#"{}"out":{{"cancelled":null}}}}"#, &line[..cut]);
            r.trace.events[i] = aiosim_sim::trace::parse_event_line(&new).expect("a line");
        }),
        ("TG-6", TG_HEAVY, |r| set_cancelling(r, "c2", 0)),
        ("TG-8", TG_HEAVY, |r| {
            edit(
                r,
                &[r#""op":"spawn","out":{"err":"RuntimeError""#],
                "tasks=1",
                "tasks=3",
            )
        }),
        ("TG-9", TG_HEAVY, |r| {
            swap_blocks(
                r,
                &[r#""task":"s1","ev":"op","at":"0""#],
                &[r#""task":"s2","ev":"op","at":"0""#],
                2,
            )
        }),
        ("TG-10", TG_HEAVY, |r| set_cancelling(r, "main", 1)),
        ("TG-11", TG_HEAVY, |r| {
            later(r, &[r#""task":"simple","ev":"op","at":"0""#])
        }),
    ]
}

/// Each oracle is silent on its graph's faithful run and fires once the run is tampered with.
#[test]
fn every_oracle_fires_on_a_tampered_run() {
    let mut fired = BTreeSet::new();
    for (id, text, tamper) in tamper_cases() {
        let g = graph(text);
        let one = Oracles::filtered(|o| o == id);
        assert_eq!(one.ids(), vec![id], "{id} is an oracle");
        let mut report = run_fifo(&g);
        let clean = judge_with(&one, &g, &report, Level::Fifo);
        assert!(
            clean.is_empty(),
            "{id} fires on the untouched run: {clean:#?}"
        );
        tamper(&mut report);
        let found = judge_with(&one, &g, &report, Level::Fifo);
        assert!(
            !found.is_empty(),
            "{id} does not fire on its tampered run\n{}",
            dump(&report)
        );
        for (_, f) in &found {
            assert!(
                !f.events.is_empty() && !f.explanation.is_empty(),
                "{id}: {f:?}"
            );
            assert!(
                f.events.iter().all(|&e| e < report.trace.events.len()),
                "{id}: {f:?}"
            );
        }
        fired.insert(id);
    }
    let all: BTreeSet<&str> = oracles().ids().into_iter().collect();
    let missing: Vec<&&str> = all.difference(&fired).collect();
    assert!(
        missing.is_empty(),
        "oracles never shown to fire: {missing:?}"
    );
}

// ---- Every relevant runtime defect is caught ----

/// Switches a mutation on for the current thread, and off again when dropped.
struct MutationOn;

impl MutationOn {
    fn new(m: Mutation) -> MutationOn {
        set_mutation(Some(m));
        MutationOn
    }
}

impl Drop for MutationOn {
    fn drop(&mut self) {
        set_mutation(None);
    }
}

/// With each deliberate defect of the runtime switched on, a faithful run of one of our
/// graphs makes the named oracle fire (the same graphs pass without the defect, see
/// `own_combinator_graphs_pass`).
#[test]
fn runtime_defects_are_caught() {
    let cases: [(Mutation, &str, &str); 10] = [
        (Mutation::GatherCompletionOrder, GATHER_HEAVY, "GATHER-1"),
        (Mutation::ShieldForwardsCancel, SHIELD_HEAVY, "SHIELD-2"),
        (Mutation::ShieldForwardsCancel, SHIELD_TASK_ONLY, "SHIELD-2"),
        (Mutation::WaitForEarlyReturn, WAIT_FOR_HEAVY, "WAITFOR-2"),
        (Mutation::TaskGroupSparesSiblings, TG_HEAVY, "TG-2"),
        (Mutation::CallbacksReversed, GATHER_HEAVY, "GATHER-6"),
        (Mutation::CancelMessageLost, GATHER_HEAVY, "GATHER-6"),
        (Mutation::CancelMessageLost, WAIT_FOR_HEAVY, "WAITFOR-1"),
        // Not in our areas, caught anyway.
        (Mutation::TimerOneTickEarly, TIMEOUT_HEAVY, "TMO-1"),
        (Mutation::TimerOneTickEarly, WAIT_HEAVY, "WAIT-3"),
    ];
    let oracles = oracles();
    for (mutation, text, id) in cases {
        let g = graph(text);
        let report = {
            let _on = MutationOn::new(mutation);
            run_fifo(&g)
        };
        let found = judge_with(&oracles, &g, &report, Level::Fifo);
        assert!(
            found.iter().any(|(o, _)| *o == id),
            "{mutation:?}: {id} does not fire; findings {found:#?}\n{}",
            dump(&report)
        );
    }
}

// ---- Every ID of the areas is judged or listed ----

/// Each ID of GATHER, WAIT, WAITFOR, SHIELD, ASC, TMO and TG has an oracle or a
/// `NOT_JUDGED` entry with a reason, never both.
#[test]
fn every_id_of_the_areas_is_judged_or_listed() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/data/invariant_ids.txt"
    );
    let text = std::fs::read_to_string(path).expect("the catalogue's ID list");
    let ids: BTreeSet<&str> = text.lines().map(str::trim).filter(|l| mine(l)).collect();
    assert!(ids.len() >= 60, "only {} IDs", ids.len());
    let judged: BTreeSet<&str> = oracles().ids().into_iter().collect();
    let listed: BTreeSet<&str> = aiosim_properties::oracles::not_judged()
        .into_iter()
        .filter(|(id, _)| mine(id))
        .map(|(id, reason)| {
            assert!(reason.len() > 40, "{id}: a reason and where it is tested");
            id
        })
        .collect();
    let both: Vec<&&str> = judged.intersection(&listed).collect();
    assert!(both.is_empty(), "judged and listed: {both:?}");
    let covered: BTreeSet<&str> = judged.union(&listed).copied().collect();
    assert_eq!(
        covered, ids,
        "IDs without an oracle or a reason, or unknown IDs"
    );
}

/// The oracles run as an exploration check: a defect shows up as a violation named by the
/// invariant, with the events in the message.
#[test]
fn oracles_run_as_an_exploration_check() {
    let mut explorer = aiosim_sim::explore::Explorer::new(graph(TG_HEAVY));
    explorer.checks = vec![Box::new(oracles())];
    let schedule = Schedule::new(PolicyKind::Random, 5, Level::Interleave);
    assert!(explorer.run(&schedule).passed());
    let result = {
        let _on = MutationOn::new(Mutation::TaskGroupSparesSiblings);
        explorer.run(&schedule)
    };
    assert!(
        result
            .violations
            .iter()
            .any(|v| &*v.check == "TG-2" && v.message.contains("(events [")),
        "{:#?}",
        result.violations
    );
}
