//! The `aiosim` binary end to end: `explore` exits 1 on a bug graph and 0 on a clean one and
//! writes its failures file, `replay` reproduces a record, `shrink` explains it, an invalid
//! graph exits 2.
//!
//! The binary is `CARGO_BIN_EXE_aiosim` when cargo provides it; otherwise (this test belongs
//! to `aiosim-sim`, the binary to `aiosim-cli`) it is built once with
//! `cargo build -p aiosim-cli --message-format=json` in this test's profile, and found
//! through the path cargo reports.

mod cli_binary;
mod cli_output;
#[path = "explore_support.rs"]
mod support;

use std::path::Path;
use std::process::{Command, Output};

use aiosim_sim::explore::read_failures;
use cli_binary::aiosim_binary;
use cli_output::{s, stderr, stdout};
use support::{bug_path, scratch_dir};

fn run(args: &[&str]) -> Output {
    Command::new(aiosim_binary())
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", aiosim_binary().display()))
}

/// The options of the sweep both hedged-request graphs (the buggy one and the fixed one) go
/// through: random scheduling at level 2, 2000 runs.
const RANDOM_LEVEL_2_SWEEP: [&str; 6] = ["--policy", "random", "--level", "2", "--runs", "2000"];

/// Runs `aiosim explore GRAPH OPTIONS --failures FAILURES`.
fn explore(graph: &Path, options: &[&str], failures: &Path) -> Output {
    let mut args = vec!["explore", s(graph)];
    args.extend_from_slice(options);
    args.extend(["--failures", s(failures)]);
    run(&args)
}

#[test]
fn explore_replay_shrink_on_a_bug_graph() {
    let dir = scratch_dir("cli-bug");
    let failures = dir.join("failures.jsonl");
    let graph = bug_path("hedged_request.json");
    let explored = explore(&graph, &RANDOM_LEVEL_2_SWEEP, &failures);
    assert_eq!(explored.status.code(), Some(1), "{}", stderr(&explored));
    assert!(
        stderr(&explored).contains("FAIL seed"),
        "{}",
        stderr(&explored)
    );
    assert!(
        stdout(&explored).contains("runs 2000"),
        "{}",
        stdout(&explored)
    );
    let records = read_failures(&failures).expect("the failures file is written");
    assert!(!records.is_empty());
    let failed: u64 = stdout(&explored)
        .split("failures ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .expect("the summary counts failures");
    assert_eq!(records.len() as u64, failed, "every failure is recorded");
    assert!(records.iter().all(|r| r.check == "expect[1]"));

    // Replay the first and the last record.
    for index in [0, records.len() - 1] {
        let replayed = run(&["replay", s(&failures), "--index", &index.to_string()]);
        assert_eq!(replayed.status.code(), Some(1), "{}", stderr(&replayed));
        let err = stderr(&replayed);
        assert!(err.contains("identical to the recorded run"), "{err}");
        assert!(err.contains("failed expect[1]"), "{err}");
        assert!(
            stdout(&replayed).ends_with("\n") && stdout(&replayed).contains("\"ev\":\"finish\"")
        );
    }

    let shrunk = run(&["shrink", s(&failures)]);
    let out = stdout(&shrunk);
    assert!(
        out.contains("-> 1 deviations from FIFO"),
        "{out}{}",
        stderr(&shrunk)
    );
    assert!(out.contains("primary") && out.contains("backup"), "{out}");
    let minimal = dir.join("failures.jsonl.shrunk.jsonl");
    let minimal_records = read_failures(&minimal).expect("the minimal schedule is written");
    assert_eq!(minimal_records.len(), 1);
    let replayed = run(&["replay", s(&minimal)]);
    assert!(stderr(&replayed).contains("identical to the recorded run"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn explore_a_clean_graph_exits_zero() {
    let dir = scratch_dir("cli-clean");
    // The hedged request with the primary as defensive as the backup.
    let graph = dir.join("hedged_fixed.json");
    std::fs::write(
        &graph,
        r#"{"format": "aiosim-graph/1", "name": "hedged_fixed", "main": "client", "tasks": {
          "client": [{"future": "reply"}, {"spawn": "primary"}, {"spawn": "backup"},
                     {"await": "reply"}, {"gather": ["primary", "backup"]}, {"return": "done"}],
          "primary": [{"sleep": 5}, {"try": [{"set_result": "reply", "value": "p"}],
                      "except": [{"type": "InvalidStateError", "do": []}]}, {"return": "answered"}],
          "backup": [{"sleep": 5}, {"try": [{"set_result": "reply", "value": "b"}],
                     "except": [{"type": "InvalidStateError", "do": []}]}, {"return": "answered"}]},
          "expect": [{"run": {"ok": "done"}}, {"task": "primary", "end": {"ok": "answered"}}]}"#,
    )
    .expect("the scratch graph is written");
    let failures = dir.join("failures.jsonl");
    let explored = explore(&graph, &RANDOM_LEVEL_2_SWEEP, &failures);
    assert_eq!(explored.status.code(), Some(0), "{}", stderr(&explored));
    assert!(
        stdout(&explored).contains("failures 0"),
        "{}",
        stdout(&explored)
    );
    assert!(read_failures(&failures).expect("created, empty").is_empty());
    for policy in ["pct", "pos", "exhaustive"] {
        let o = explore(
            &graph,
            &["--policy", policy, "--runs", "200", "--jobs", "1"],
            &failures,
        );
        assert_eq!(o.status.code(), Some(0), "{policy}: {}", stderr(&o));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn sharded_cli_runs_split_the_failures() {
    let dir = scratch_dir("cli-shard");
    let graph = bug_path("heartbeat_false_alarm.json");
    let mut seeds = Vec::new();
    for shard in ["0/2", "1/2", "0/1"] {
        let failures = dir.join(format!("{}.jsonl", shard.replace('/', "-")));
        let o = explore(
            &graph,
            &["--policy", "pct", "--runs", "100", "--shard", shard],
            &failures,
        );
        assert_eq!(o.status.code(), Some(1), "{shard}: {}", stderr(&o));
        let mut found: Vec<u64> = read_failures(&failures)
            .expect("written")
            .iter()
            .map(|r| r.seed)
            .collect();
        found.sort_unstable();
        seeds.push(found);
    }
    let mut union = [seeds[0].clone(), seeds[1].clone()].concat();
    union.sort_unstable();
    assert_eq!(union, seeds[2]);
    assert!(seeds[0].iter().all(|s| s % 2 == 0) && seeds[1].iter().all(|s| s % 2 == 1));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn run_prints_the_trace_of_a_deadlock_and_says_on_stderr_where_tasks_stood() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/examples");
    let o = run(&["run", s(&examples.join("deadlock.json"))]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let expected = std::fs::read_to_string(examples.join("deadlock.trace.jsonl"))
        .expect("the example's trace");
    assert_eq!(stdout(&o), expected);
    assert!(
        stderr(&o).ends_with("deadlock: main (waits for task a), a (waits for future f)\n"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn invalid_input_exits_two() {
    let dir = scratch_dir("cli-invalid");
    let graph = dir.join("bad.json");
    std::fs::write(
        &graph,
        r#"{"format": "aiosim-graph/1", "name": "bad", "main": "main",
            "tasks": {"main": [{"sleep": 1.5}]}}"#,
    )
    .expect("written");
    let failures = dir.join("failures.jsonl");
    for args in [
        vec!["explore", s(&graph), "--failures", s(&failures)],
        vec!["run", s(&graph)],
        vec![
            "explore",
            "/nonexistent/graph.json",
            "--failures",
            s(&failures),
        ],
    ] {
        let o = run(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(o.stdout.is_empty(), "{args:?}");
        assert!(!stderr(&o).is_empty());
    }
    assert!(stderr(&run(&["run", s(&graph)])).contains("$.tasks.main[0].sleep"));
    // A failures file that is not one, or an index past its end.
    std::fs::write(&failures, "not json\n").expect("written");
    assert_eq!(run(&["replay", s(&failures)]).status.code(), Some(2));
    std::fs::write(&failures, "").expect("written");
    assert_eq!(run(&["replay", s(&failures)]).status.code(), Some(2));
    assert_eq!(
        run(&["shrink", s(&failures), "--index", "3"]).status.code(),
        Some(2)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn replay_refuses_a_changed_graph() {
    let dir = scratch_dir("cli-changed");
    let graph = dir.join("watchdog.json");
    let original = std::fs::read(bug_path("deadline_watchdog.json")).expect("readable");
    std::fs::write(&graph, &original).expect("copied");
    let failures = dir.join("failures.jsonl");
    let o = explore(&graph, &["--level", "1", "--runs", "50"], &failures);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let mut changed = original.clone();
    changed.extend_from_slice(b"\n");
    std::fs::write(&graph, changed).expect("changed");
    let replayed = run(&["replay", s(&failures)]);
    assert_eq!(replayed.status.code(), Some(2));
    assert!(stderr(&replayed).contains("changed since the failure was recorded"));
    let _ = std::fs::remove_dir_all(&dir);
}
