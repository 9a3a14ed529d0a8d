//! The `aiosim` binary at the edges of its input: huge run counts and shards, huge option
//! values, unknown names and huge files end quickly, with exit status 2 and a message when
//! the input is refused, and never with a crash, an abort or a hang.

mod cli_binary;
mod cli_output;
#[path = "explore_support.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use aiosim_sim::explore::read_failures;
use cli_binary::aiosim_binary;
use cli_output::{s, stderr, stdout};
use support::{bug_path, scratch_dir};

/// How long a command that must end quickly may take (debug builds included).
const QUICK: Duration = Duration::from_secs(60);

/// Runs `command`, killing it and failing the test if it takes longer than `limit`.
fn output_within(mut command: Command, limit: Duration) -> Output {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    let started = Instant::now();
    while child
        .try_wait()
        .expect("the child can be waited for")
        .is_none()
    {
        if started.elapsed() > limit {
            let _ = child.kill();
            panic!("{command:?} still ran after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("the output is collected")
}

/// Runs `aiosim ARGS`, which must end within [`QUICK`].
fn aiosim(args: &[&str]) -> Output {
    let mut command = Command::new(aiosim_binary());
    command.args(args);
    output_within(command, QUICK)
}

/// `aiosim explore` of the hedged-request bug graph with `options`, failures in `dir`.
fn explore_hedged(dir: &Path, options: &[&str]) -> Output {
    let graph = bug_path("hedged_request.json");
    let failures = dir.join("failures.jsonl");
    let mut args = vec!["explore", s(&graph), "--failures", s(&failures)];
    args.extend_from_slice(options);
    aiosim(&args)
}

/// `aiosim ARGS` in a shell that first limits the process's address space to `kib` KiB.
fn aiosim_with_memory_limit(kib: u64, args: &[&str]) -> Command {
    let mut command = Command::new("sh");
    command
        .args(["-c", &format!("ulimit -v {kib} && exec \"$0\" \"$@\"")])
        .arg(aiosim_binary())
        .args(args);
    command
}

/// A graph every run of which fails (its expectation cannot hold).
fn always_failing(dir: &Path) -> PathBuf {
    let graph = dir.join("always.json");
    std::fs::write(
        &graph,
        r#"{"format": "aiosim-graph/1", "name": "always", "main": "main",
            "tasks": {"main": [{"spawn": "a"}, {"spawn": "b"}, {"sleep": 2}],
                      "a": [{"sleep": 1}], "b": [{"sleep": 1}]},
            "expect": [{"run": {"ok": "never"}}]}"#,
    )
    .expect("the graph is written");
    graph
}

/// The scratch directory of one test.
fn dir(name: &str) -> PathBuf {
    scratch_dir(&format!("cli-limits-{name}"))
}

#[test]
fn one_shard_of_a_huge_range_makes_its_one_run() {
    let dir = dir("huge-shard");
    let trillion = "1000000000000";
    let max = u64::MAX.to_string();
    for (runs, shard) in [
        (trillion.to_owned(), format!("0/{trillion}")),
        (max.clone(), format!("0/{max}")),
        (max.clone(), format!("{}/{max}", u64::MAX - 1)),
    ] {
        let o = explore_hedged(&dir, &["--runs", &runs, "--shard", &shard, "--jobs", "1"]);
        assert!(
            stdout(&o).starts_with("runs 1 "),
            "--runs {runs} --shard {shard}: {}{}",
            stdout(&o),
            stderr(&o)
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A billion runs start at once and in little memory: every run fails, so the failures file
/// shows that runs are being made.
#[test]
fn a_billion_runs_start_without_listing_the_seeds() {
    let dir = dir("billion");
    let graph = always_failing(&dir);
    for jobs in ["1", "2"] {
        let failures = dir.join(format!("failures-{jobs}.jsonl"));
        let args = [
            "explore",
            s(&graph),
            "--runs",
            "1000000000",
            "--jobs",
            jobs,
            "--failures",
            s(&failures),
        ];
        let mut child = aiosim_with_memory_limit(1 << 20, &args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the shell starts");
        let started = Instant::now();
        let recorded =
            || std::fs::read(&failures).map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count());
        while recorded() < 20 && started.elapsed() < QUICK {
            if child.try_wait().expect("waitable").is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let running = child.try_wait().expect("waitable").is_none();
        let _ = child.kill();
        let output = child.wait_with_output().expect("the output is collected");
        assert!(
            running && recorded() >= 20,
            "--jobs {jobs}: {} records, then: {}",
            recorded(),
            stderr(&output)
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Asserts that `o` is a refusal: exit status 2, nothing on stdout, and a message on stderr
/// that contains every one of `words`.
fn assert_refused(o: &Output, words: &[&str]) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(o.stdout.is_empty(), "{}", stdout(o));
    for word in words {
        assert!(err.contains(word), "{word:?} is not in: {err}");
    }
}

#[test]
fn injected_cancellations_are_at_most_65536_per_run() {
    let dir = dir("inject");
    for count in ["4294967295", "65537"] {
        let o = explore_hedged(&dir, &["--inject-cancels", count, "--runs", "3"]);
        assert_refused(&o, &["--inject-cancels", count, "65536"]);
    }
    let o = explore_hedged(&dir, &["--inject-cancels", "65536", "--runs", "20"]);
    assert!(stdout(&o).starts_with("runs 20 "), "{}", stderr(&o));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn jobs_are_1_to_1024_and_threads_the_system_refuses_are_an_input_error() {
    let dir = dir("jobs");
    for jobs in ["0", "1025", "100000"] {
        let o = explore_hedged(&dir, &["--jobs", jobs, "--runs", "3"]);
        assert_refused(&o, &["--jobs", jobs, "1..=1024"]);
    }
    // 1024 thread stacks do not fit in 1 GiB of address space.
    let graph = bug_path("hedged_request.json");
    let failures = dir.join("failures.jsonl");
    let args = ["explore", s(&graph), "--jobs", "1024", "--runs", "3"];
    let mut command = aiosim_with_memory_limit(1 << 20, &args);
    command.args(["--failures", s(&failures)]);
    let o = output_within(command, QUICK);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(o.stdout.is_empty(), "{}", stdout(&o));
    assert!(
        stderr(&o).contains("cannot start 1024 worker threads, use fewer: "),
        "{}",
        stderr(&o)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn oracle_names_that_name_no_oracle_are_refused() {
    let dir = dir("oracles");
    for flag in ["--oracle", "--no-oracle"] {
        for name in ["NOPE-1", "GATHER-99", "GATHE", "gather"] {
            let o = explore_hedged(&dir, &[flag, name, "--runs", "3"]);
            assert_refused(&o, &[flag, name, "GATHER", "aiosim oracles"]);
        }
    }
    let listed = aiosim(&["oracles"]);
    assert_eq!(listed.status.code(), Some(0), "{}", stderr(&listed));
    let ids: Vec<String> = stdout(&listed).lines().map(str::to_owned).collect();
    assert!(ids.iter().any(|id| id == "GATHER-1"), "{ids:?}");
    let mut args = vec!["--runs", "3", "--oracle", "GATHER"];
    for id in &ids {
        args.extend(["--oracle", id.as_str()]);
    }
    let o = explore_hedged(&dir, &args);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn seeds_past_the_largest_are_refused() {
    let dir = dir("seeds");
    let o = explore_hedged(&dir, &["--seed", "18446744073709551614", "--runs", "4"]);
    assert_refused(
        &o,
        &["seed 18446744073709551614", "4 runs", "at most 2 runs"],
    );
    let o = explore_hedged(
        &dir,
        &[
            "--seed",
            "18446744073709551614",
            "--runs",
            "2",
            "--jobs",
            "1",
        ],
    );
    assert!(stdout(&o).starts_with("runs 2 "), "{}", stderr(&o));
    let failures = read_failures(&dir.join("failures.jsonl")).expect("written");
    assert!(
        failures.iter().all(|r| r.seed >= u64::MAX - 1),
        "{failures:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn scenario_files_are_at_most_64_mib() {
    let dir = dir("size");
    const LIMIT: u64 = 64 << 20;
    for command in ["run", "explore"] {
        let limited = aiosim_with_memory_limit(1 << 20, &[command, "/dev/zero"]);
        let o = output_within(limited, QUICK);
        assert_refused(&o, &["/dev/zero", "64 MiB"]);
    }
    // The hedged request padded with whitespace to exactly the limit, and one byte more.
    let padded = dir.join("padded.json");
    let mut bytes = std::fs::read(bug_path("hedged_request.json")).expect("readable");
    bytes.resize(LIMIT as usize, b' ');
    std::fs::write(&padded, &bytes).expect("written");
    let o = aiosim(&["run", s(&padded)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    bytes.push(b' ');
    std::fs::write(&padded, &bytes).expect("written");
    let o = aiosim(&["run", s(&padded)]);
    assert_refused(&o, &[s(&padded), "64 MiB"]);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A small scenario with a large trace: a task returns a list of 20,000 integers, and `main`
/// gathers it 256 times over in each of `gathers` ops (about 28 MB of trace text per op).
fn large_trace_graph(gathers: usize) -> String {
    let list: Vec<String> = (0..20_000).map(|n| n.to_string()).collect();
    let gather = format!(r#"{{"gather":[{}]}}"#, vec![r#""big""#; 256].join(","));
    format!(
        r#"{{"format":"aiosim-graph/1","name":"large","main":"main","tasks":{{
            "main":[{{"spawn":"big"}},{}],"big":[{{"return":[{}]}}]}}}}"#,
        vec![gather; gathers].join(","),
        list.join(",")
    )
}

/// `aiosim run` writes the trace line by line: a 300 MB trace fits in 256 MiB of address
/// space, byte for byte the canonical text.
#[test]
fn a_large_trace_is_written_without_building_its_text() {
    use std::io::Read;

    let dir = dir("large-trace");
    let text = large_trace_graph(11);
    let graph = dir.join("large.json");
    std::fs::write(&graph, &text).expect("written");
    let parsed = aiosim_sim::graph::parse_graph(text.as_bytes()).expect("valid");
    let report = aiosim_sim::interp::run_graph(parsed.into(), Default::default());
    let expected = report.trace.canonical_hash();

    let mut child = aiosim_with_memory_limit(256 << 10, &["run", s(&graph)])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the shell starts");
    let mut stdout = child.stdout.take().expect("piped");
    let mut hash = aiosim_sim::trace::Fnv1a::new();
    let mut length = 0;
    let mut chunk = vec![0; 1 << 20];
    loop {
        let n = stdout.read(&mut chunk).expect("readable");
        if n == 0 {
            break;
        }
        hash.update(&chunk[..n]);
        length += n;
    }
    let output = child.wait_with_output().expect("ends");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(length > 300_000_000, "{length} bytes");
    assert_eq!(hash.digest(), expected, "the canonical text");
    let _ = std::fs::remove_dir_all(&dir);
}
