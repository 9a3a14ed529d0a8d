//! Differential tests: the Rust interpreter against CPython 3.12.
//!
//! - (a) Every shipped scenario (`tests/examples/`, `tests/reference/cases/`, and the spec's
//!   `examples/` next to the workspace when present) runs in-process to exactly the bytes of
//!   its `.trace.jsonl`.
//! - (b) Generated scenarios ([`aiosim_sim::generator`]) run through the interpreter in-process
//!   and through the CPython reference runner (`tests/reference/run_graph.py --batch`), and
//!   the traces must be identical. `AIOSIM_DIFF_GRAPHS` (default 1000) sets how many,
//!   `AIOSIM_DIFF_SEED` (default 0x5eed_0000) the first seed; seeds are consecutive. CPython
//!   is `$AIOSIM_PYTHON`, else what `tests/reference/find_python.sh` finds; without one the
//!   test **fails**, unless `AIOSIM_ALLOW_NO_PYTHON=1`. Mismatching seeds are listed, the
//!   first `AIOSIM_DIFF_PRINT` (default 5) printed in full (graph, both traces, first
//!   differing line), and all saved to a directory under the system temp dir.
//!   `AIOSIM_DIFF_KEEP=1` keeps the directory of generated graphs (its path is printed).
//! - (c) The `aiosim` binary rejects invalid documents per the command-line contract (exit
//!   status 2, empty stdout, a message naming the location on stderr): the corpus of
//!   `sim/tests/invalid/` and truncated copies of the examples. Truncations are also parsed
//!   in-process at every cut, which must never panic. A generated graph of exactly 2048
//!   ops (the limit) runs in-process.
//!
//! Long mode: `AIOSIM_DIFF_GRAPHS=10000 cargo test --release -p aiosim-sim --test
//! differential -- --nocapture`.

mod cli_binary;
#[path = "../../tests/support/graph_ops.rs"]
mod graph_ops;
#[path = "../../tests/support/scenario_files.rs"]
mod scenario_files;

use std::io::{Read, Write};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, OnceLock};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use aiosim_sim::generator::{GenConfig, OpWeights, generate};
use aiosim_sim::graph::{Graph, parse_graph};
use aiosim_sim::interp::{RunOptions, run_graph};
use cli_binary::aiosim_binary;
use graph_ops::all_ops;
use scenario_files::scenario_files;

// ---------------------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------------------

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("sim/ is inside the workspace")
        .to_path_buf()
}

fn runner_script() -> PathBuf {
    workspace_root().join("tests/reference/run_graph.py")
}

/// The shipped scenarios that have a golden trace beside them (`NAME.json` and
/// `NAME.trace.jsonl`): `tests/examples/`, `tests/reference/cases/` and the spec's examples
/// when present.
fn golden_scenarios() -> Vec<PathBuf> {
    scenario_files(
        &[
            "tests/examples",
            "tests/reference/cases",
            "../shared/spec/examples",
        ],
        ".json",
    )
}

/// Runs a parsed graph in the faithful schedule and returns its canonical trace. A panic
/// of the interpreter becomes an `Err` with its message.
fn rust_trace(graph: Graph) -> Result<Vec<u8>, String> {
    catch_unwind(AssertUnwindSafe(|| {
        let mut options = RunOptions::default();
        // A guard against a hang only: no generated graph needs anywhere near this many
        // iterations, and a budget stop leaves the trace without `finish`, so it shows up
        // as a mismatch.
        options.iteration_budget = Some(5_000_000);
        run_graph(Arc::new(graph), options).trace.to_jsonl()
    }))
    .map_err(|panic| {
        let msg = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "non-string panic".to_owned());
        format!("the interpreter panicked: {msg}")
    })
}

/// `(line number from 1, expected line, actual line)` of the first difference.
fn first_difference(expected: &[u8], actual: &[u8]) -> Option<(usize, String, String)> {
    let e: Vec<&[u8]> = expected.split_inclusive(|&b| b == b'\n').collect();
    let a: Vec<&[u8]> = actual.split_inclusive(|&b| b == b'\n').collect();
    for i in 0..e.len().max(a.len()) {
        let el = e.get(i).copied();
        let al = a.get(i).copied();
        if el != al {
            let show = |l: Option<&[u8]>| match l {
                Some(l) => String::from_utf8_lossy(l).trim_end_matches('\n').to_owned(),
                None => "<no line>".to_owned(),
            };
            return Some((i + 1, show(el), show(al)));
        }
    }
    None
}

fn env_flag(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| v == "1")
}

fn env_u64(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(v) => {
            let v = v.trim();
            let parsed = match v.strip_prefix("0x") {
                Some(hex) => u64::from_str_radix(hex, 16),
                None => v.parse(),
            };
            parsed.unwrap_or_else(|_| panic!("{name}={v} is not an integer"))
        }
        Err(_) => default,
    }
}

/// A fresh directory under the system temp dir.
fn fresh_temp_dir(prefix: &str) -> PathBuf {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let dir = std::env::temp_dir().join(format!("{prefix}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    dir
}

// ---------------------------------------------------------------------------------------
// CPython
// ---------------------------------------------------------------------------------------

/// True if `python` runs and is CPython 3.12.
fn is_cpython312(python: &Path) -> bool {
    Command::new(python)
        .args([
            "-c",
            "import sys; sys.exit(not (sys.implementation.name == 'cpython' \
             and sys.version_info[:2] == (3, 12)))",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The CPython 3.12 interpreter: `$AIOSIM_PYTHON` (which must then work), else
/// `tests/reference/find_python.sh`. `None` if there is none.
fn find_python() -> Option<PathBuf> {
    static PYTHON: OnceLock<Option<PathBuf>> = OnceLock::new();
    PYTHON
        .get_or_init(|| {
            if let Some(python) = std::env::var_os("AIOSIM_PYTHON").filter(|p| !p.is_empty()) {
                let python = PathBuf::from(python);
                assert!(
                    is_cpython312(&python),
                    "AIOSIM_PYTHON={} is not a working CPython 3.12",
                    python.display()
                );
                return Some(python);
            }
            let script = workspace_root().join("tests/reference/find_python.sh");
            let output = Command::new("bash").arg(&script).output().ok()?;
            if !output.status.success() {
                return None;
            }
            let path = String::from_utf8(output.stdout).ok()?;
            let path = PathBuf::from(path.trim());
            is_cpython312(&path).then_some(path)
        })
        .clone()
}

/// The interpreter, or `None` when the caller should skip (only with
/// `AIOSIM_ALLOW_NO_PYTHON=1`); panics otherwise.
fn python_or_skip(test: &str) -> Option<PathBuf> {
    match find_python() {
        Some(python) => Some(python),
        None if env_flag("AIOSIM_ALLOW_NO_PYTHON") => {
            eprintln!("{test}: SKIPPED, no CPython 3.12 found and AIOSIM_ALLOW_NO_PYTHON=1");
            None
        }
        None => panic!(
            "{test}: no CPython 3.12 found (set AIOSIM_PYTHON, or install one where \
             tests/reference/find_python.sh looks); set AIOSIM_ALLOW_NO_PYTHON=1 to skip"
        ),
    }
}

/// One graph's result from the batch runner.
#[derive(Debug)]
struct BatchResult {
    path: String,
    status: String,
    payload: Vec<u8>,
}

/// Parses the batch runner's framed output (`#aiosim-batch STATUS LENGTH PATH\n` + bytes).
fn parse_batch_output(mut out: &[u8]) -> Result<Vec<BatchResult>, String> {
    let mut results = Vec::new();
    while !out.is_empty() {
        let nl = out
            .iter()
            .position(|&b| b == b'\n')
            .ok_or("a header without its line break")?;
        let header = std::str::from_utf8(&out[..nl]).map_err(|e| e.to_string())?;
        let mut fields = header.splitn(4, ' ');
        let (Some("#aiosim-batch"), Some(status), Some(len), Some(path)) =
            (fields.next(), fields.next(), fields.next(), fields.next())
        else {
            return Err(format!("not a batch header: {header:?}"));
        };
        let len: usize = len
            .parse()
            .map_err(|_| format!("bad length in {header:?}"))?;
        let rest = &out[nl + 1..];
        if rest.len() < len {
            return Err(format!("truncated payload after {header:?}"));
        }
        results.push(BatchResult {
            path: path.to_owned(),
            status: status.to_owned(),
            payload: rest[..len].to_vec(),
        });
        out = &rest[len..];
    }
    Ok(results)
}

/// Runs the reference runner in batch mode on `paths` (fed on stdin), in `jobs` parallel
/// processes over contiguous chunks. Returns one result per path, in order.
fn run_cpython_batch(python: &Path, paths: &[PathBuf], jobs: usize) -> Vec<BatchResult> {
    if paths.is_empty() {
        return Vec::new();
    }
    let chunk = paths.len().div_ceil(jobs.max(1));
    std::thread::scope(|scope| {
        let handles: Vec<_> = paths
            .chunks(chunk)
            .map(|chunk| {
                scope.spawn(move || {
                    let mut child = Command::new(python)
                        .arg(runner_script())
                        .args(["--batch", "-"])
                        .stdin(Stdio::piped())
                        .stdout(Stdio::piped())
                        .stderr(Stdio::inherit())
                        .spawn()
                        .expect("the reference runner starts");
                    let mut stdin = child.stdin.take().expect("piped stdin");
                    let list: String = chunk.iter().map(|p| format!("{}\n", p.display())).collect();
                    // Feed the list from another thread while this one reads the output.
                    let feeder = std::thread::spawn(move || {
                        stdin
                            .write_all(list.as_bytes())
                            .expect("write the path list");
                    });
                    let mut out = Vec::new();
                    child
                        .stdout
                        .take()
                        .expect("piped stdout")
                        .read_to_end(&mut out)
                        .expect("read the runner's output");
                    feeder.join().expect("feeder thread");
                    let status = child.wait().expect("the runner ends");
                    let results = parse_batch_output(&out)
                        .unwrap_or_else(|e| panic!("malformed batch output: {e}"));
                    assert_eq!(
                        results.len(),
                        chunk.len(),
                        "the batch runner ({status}) reported {} of {} graphs",
                        results.len(),
                        chunk.len()
                    );
                    for (result, path) in results.iter().zip(chunk) {
                        assert_eq!(result.path, path.display().to_string(), "batch order");
                    }
                    results
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("batch thread"))
            .collect()
    })
}

fn jobs() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 8)
}

// ---------------------------------------------------------------------------------------
// (a) Shipped scenarios against their golden traces
// ---------------------------------------------------------------------------------------

#[test]
fn shipped_scenarios_match_their_traces() {
    let mut checked = 0;
    let mut failures = Vec::new();
    for path in golden_scenarios() {
        let golden_path = path.with_extension("trace.jsonl");
        let Ok(golden) = std::fs::read(&golden_path) else {
            failures.push(format!("{}: no {}", path.display(), golden_path.display()));
            continue;
        };
        checked += 1;
        let bytes = std::fs::read(&path).expect("readable scenario");
        let graph = match parse_graph(&bytes) {
            Ok(graph) => graph,
            Err(e) => {
                failures.push(format!("{}: rejected: {e}", path.display()));
                continue;
            }
        };
        match rust_trace(graph) {
            Err(e) => failures.push(format!("{}: {e}", path.display())),
            Ok(trace) => {
                if let Some((line, expected, actual)) = first_difference(&golden, &trace) {
                    failures.push(format!(
                        "{}: line {line} differs\n  expected: {expected}\n  actual:   {actual}",
                        path.display()
                    ));
                }
            }
        }
    }
    assert!(checked >= 36, "only {checked} shipped scenarios found");
    assert!(
        failures.is_empty(),
        "{} of {checked} shipped scenarios fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The batch mode of the reference runner gives exactly the golden traces (which the
/// single-file mode produced), and exactly what single-file mode gives for a few generated
/// graphs.
#[test]
fn reference_batch_mode_matches_single_file_mode() {
    let Some(python) = python_or_skip("reference_batch_mode_matches_single_file_mode") else {
        return;
    };
    let mut paths: Vec<PathBuf> = golden_scenarios();
    let golden_count = paths.len();
    let dir = fresh_temp_dir("aiosim-batch-check");
    for seed in 0..12u64 {
        let path = dir.join(format!("seed-{seed}.json"));
        std::fs::write(&path, generate(seed, &config_for(seed))).expect("write graph");
        paths.push(path);
    }
    let batch = run_cpython_batch(&python, &paths, jobs());
    let mut failures = Vec::new();
    for (i, (path, result)) in paths.iter().zip(&batch).enumerate() {
        if result.status != "ok" {
            failures.push(format!(
                "{}: batch status {}",
                path.display(),
                result.status
            ));
            continue;
        }
        let expected = if i < golden_count {
            std::fs::read(path.with_extension("trace.jsonl")).expect("golden trace")
        } else {
            let single = Command::new(&python)
                .arg(runner_script())
                .arg(path)
                .output()
                .expect("single-file run");
            assert!(
                single.status.success(),
                "{}: single-file run failed",
                path.display()
            );
            single.stdout
        };
        if let Some((line, e, a)) = first_difference(&expected, &result.payload) {
            failures.push(format!(
                "{}: line {line}\n  single: {e}\n  batch:  {a}",
                path.display()
            ));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ---------------------------------------------------------------------------------------
// (b) Generated scenarios, Rust against CPython
// ---------------------------------------------------------------------------------------

/// The generator configuration of a seed: the defaults for 6 seeds in 16; one in 16 each
/// with uniform op weights, with no time passing, future-heavy, wider, deeper, with one-tick
/// timers, cancellation-heavy, big (hundreds of ops), a storm of timers (enough cancelled
/// timers for the heap's rebuild rule), or with few long bodies.
fn config_for(seed: u64) -> GenConfig {
    let mut c = GenConfig::default();
    match seed % 16 {
        1 => c.weights = OpWeights::uniform(1),
        2 => {
            // Everything at time 0 or 1: only `sleep 0` hops and immediate timeouts.
            c.max_duration = 0;
            c.max_timeout = 1;
            c.huge_duration_percent = 0;
        }
        3 => {
            c.max_futures = 8;
            c.unset_future_percent = 40;
            c.weights.await_ = 12;
            c.weights.set_result = 8;
            c.weights.set_exception = 6;
            c.weights.future = 3;
        }
        9 => {
            c.max_tasks = 12;
            c.max_futures = 5;
            c.max_ops_per_body = 12;
            c.max_list_len = 6;
        }
        10 => {
            c.max_depth = 7;
            c.max_ops_per_block = 4;
        }
        11 => {
            c.max_duration = 1;
            c.max_timeout = 2;
            c.unset_future_percent = 5;
            c.max_futures = 5;
        }
        12 => {
            c.weights.cancel = 15;
            c.weights.uncancel = 5;
            c.weights.cancelling = 4;
            c.weights.shield = 6;
            c.weights.timeout = 8;
        }
        13 => {
            c.max_tasks = 40;
            c.max_futures = 10;
            c.max_ops_per_body = 40;
            c.max_depth = 5;
        }
        14 => {
            // Many live tasks each leaving timers (mostly cancelled ones) in the heap.
            c.max_tasks = 32;
            c.max_ops_per_body = 60;
            c.max_ops_per_block = 1;
            c.max_depth = 2;
            c.max_duration = 3;
            c.max_timeout = 40;
            c.join_children_percent = 90;
            c.resilient_percent = 100;
            c.timer_burst_percent = 10;
            c.stray_ref_percent = 3;
            c.weights = OpWeights::uniform(0);
            c.weights.sleep = 6;
            c.weights.timeout = 30;
            c.weights.wait_for = 6;
            c.weights.wait = 6;
            c.weights.as_completed = 3;
            c.weights.try_ = 3;
            c.weights.taskgroup = 2;
            c.weights.await_ = 2;
            c.weights.gather = 2;
            c.weights.set_result = 2;
            c.weights.done = 1;
        }
        15 => {
            c.max_tasks = 3;
            c.max_futures = 4;
            c.max_ops_per_body = 25;
        }
        _ => {}
    }
    c
}

struct Mismatch {
    seed: u64,
    graph: String,
    rust: Vec<u8>,
    cpython: Vec<u8>,
    why: String,
}

#[test]
fn generated_graphs_match_cpython() {
    let Some(python) = python_or_skip("generated_graphs_match_cpython") else {
        return;
    };
    let count = env_u64("AIOSIM_DIFF_GRAPHS", 1000);
    let base = env_u64("AIOSIM_DIFF_SEED", 0x5eed_0000);
    let started = Instant::now();

    let dir = fresh_temp_dir("aiosim-diff-graphs");
    let seeds: Vec<u64> = (0..count).map(|i| base.wrapping_add(i)).collect();
    let graphs: Vec<String> = seeds
        .iter()
        .map(|&seed| generate(seed, &config_for(seed)))
        .collect();
    let paths: Vec<PathBuf> = seeds
        .iter()
        .zip(&graphs)
        .map(|(seed, text)| {
            let path = dir.join(format!("seed-{seed}.json"));
            std::fs::write(&path, text).expect("write graph");
            path
        })
        .collect();

    // CPython runs in child processes while this thread runs the interpreter.
    let (cpython, rust) = std::thread::scope(|scope| {
        let cpython = scope.spawn(|| run_cpython_batch(&python, &paths, jobs()));
        let rust: Vec<Result<Vec<u8>, String>> = graphs
            .iter()
            .map(|text| match parse_graph(text.as_bytes()) {
                Ok(graph) => rust_trace(graph),
                Err(e) => Err(format!("the generated graph is rejected: {e}")),
            })
            .collect();
        (cpython.join().expect("CPython batch"), rust)
    });

    let mut mismatches = Vec::new();
    for (i, (rust, cpython)) in rust.into_iter().zip(cpython).enumerate() {
        let seed = seeds[i];
        let (rust, mut why) = match rust {
            Ok(trace) => (trace, String::new()),
            Err(e) => (Vec::new(), e),
        };
        if cpython.status != "ok" {
            why = format!(
                "the reference runner reports {}: {}",
                cpython.status,
                String::from_utf8_lossy(&cpython.payload)
            );
        } else if why.is_empty() {
            match first_difference(&cpython.payload, &rust) {
                None => continue,
                Some((line, expected, actual)) => {
                    why = format!(
                        "first difference at line {line}\n  cpython: {expected}\n  rust:    {actual}"
                    )
                }
            }
        }
        mismatches.push(Mismatch {
            seed,
            graph: graphs[i].clone(),
            rust,
            cpython: cpython.payload,
            why,
        });
    }
    if env_flag("AIOSIM_DIFF_KEEP") {
        eprintln!("differential: generated graphs kept in {}", dir.display());
    } else {
        let _ = std::fs::remove_dir_all(&dir);
    }
    let elapsed = started.elapsed();
    eprintln!(
        "differential: {} of {count} generated graphs match CPython (seeds {base}..{}), {:.1} s",
        count as usize - mismatches.len(),
        base.wrapping_add(count),
        elapsed.as_secs_f64()
    );
    if mismatches.is_empty() {
        return;
    }

    let saved = fresh_temp_dir("aiosim-diff-mismatches");
    let print_max = env_u64("AIOSIM_DIFF_PRINT", 5) as usize;
    for (n, m) in mismatches.iter().enumerate() {
        let stem = saved.join(format!("seed-{}", m.seed));
        std::fs::write(stem.with_extension("json"), &m.graph).expect("save graph");
        std::fs::write(stem.with_extension("rust.jsonl"), &m.rust).expect("save trace");
        std::fs::write(stem.with_extension("cpython.jsonl"), &m.cpython).expect("save trace");
        if n < print_max {
            eprintln!(
                "==== seed {} mismatch: {}\n---- graph\n{}---- cpython trace\n{}---- rust trace\n{}",
                m.seed,
                m.why,
                m.graph,
                String::from_utf8_lossy(&m.cpython),
                String::from_utf8_lossy(&m.rust)
            );
        }
    }
    let seeds: Vec<String> = mismatches.iter().map(|m| m.seed.to_string()).collect();
    panic!(
        "{} of {count} generated graphs differ from CPython; seeds: {}\n\
         graphs and both traces saved in {}",
        mismatches.len(),
        seeds.join(" "),
        saved.display()
    );
}

// ---------------------------------------------------------------------------------------
// (c) Invalid documents through the binary; truncations; the largest graph
// ---------------------------------------------------------------------------------------

/// Runs `aiosim run FILE`; `(exit code, stdout, stderr)`.
fn aiosim_run(file: &Path) -> (Option<i32>, Vec<u8>, String) {
    let output = Command::new(aiosim_binary())
        .arg("run")
        .arg(file)
        .output()
        .expect("aiosim starts");
    (
        output.status.code(),
        output.stdout,
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn cli_rejects_the_invalid_corpus() {
    let files = scenario_files(&["sim/tests/invalid"], ".json");
    assert!(
        files.len() >= 20,
        "the invalid corpus has only {} files",
        files.len()
    );
    let mut failures = Vec::new();
    for file in &files {
        let (code, stdout, stderr) = aiosim_run(file);
        let name = file.file_name().unwrap().to_string_lossy();
        if code != Some(2) {
            failures.push(format!(
                "{name}: exit status {code:?}, expected 2 ({stderr})"
            ));
        }
        if !stdout.is_empty() {
            failures.push(format!("{name}: {} bytes on stdout", stdout.len()));
        }
        if stderr.trim().is_empty() {
            failures.push(format!("{name}: no message on stderr"));
        }
        // The sidecar's first line is the location the message must name.
        if let Ok(sidecar) = std::fs::read_to_string(file.with_extension("where"))
            && let Some(location) = sidecar.lines().next().filter(|l| !l.is_empty())
            && !stderr.contains(location)
        {
            failures.push(format!(
                "{name}: the message does not name {location:?}: {stderr}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn truncated_examples_are_rejected() {
    let dir = fresh_temp_dir("aiosim-truncated");
    let mut failures = Vec::new();
    let mut files = 0;
    for path in golden_scenarios() {
        files += 1;
        let bytes = std::fs::read(&path).expect("readable example");
        // Everything before the last closing brace is a strict prefix of the value.
        let end = bytes.iter().rposition(|&b| b == b'}').expect("an object");
        for cut in 0..=end {
            let parsed = catch_unwind(|| parse_graph(&bytes[..cut]).is_ok());
            match parsed {
                Ok(false) => {}
                Ok(true) => failures.push(format!("{} cut at {cut}: accepted", path.display())),
                Err(_) => failures.push(format!("{} cut at {cut}: panic", path.display())),
            }
        }
        // Through the binary: a few cuts per file (empty, 1 byte, spread out, last).
        let mut cuts = vec![0, 1, end];
        cuts.extend((1..6).map(|k| end * k / 6));
        cuts.sort_unstable();
        cuts.dedup();
        for cut in cuts {
            let file = dir.join("cut.json");
            std::fs::write(&file, &bytes[..cut]).expect("write cut");
            let (code, stdout, stderr) = aiosim_run(&file);
            if code != Some(2) || !stdout.is_empty() || stderr.trim().is_empty() {
                failures.push(format!(
                    "{} cut at {cut}: `aiosim run` gave status {code:?}, {} bytes of \
                     stdout, stderr {stderr:?}",
                    path.display(),
                    stdout.len()
                ));
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(files >= 36, "only {files} examples found");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn largest_generated_graph_runs() {
    let config = GenConfig {
        max_tasks: 64,
        max_futures: 16,
        max_ops_per_body: 40,
        max_depth: 16,
        exact_ops: Some(2048),
        ..GenConfig::default()
    };
    let text = generate(2048, &config);
    let graph = parse_graph(text.as_bytes()).expect("the generated graph is valid");
    let ops: usize = graph.tasks.iter().map(|t| all_ops(&t.body).len()).sum();
    assert_eq!(ops, 2048, "the graph has exactly the limit of ops");
    let trace = rust_trace(graph).expect("the interpreter runs it");
    let last = trace
        .split(|&b| b == b'\n')
        .rfind(|l| !l.is_empty())
        .expect("a trace");
    assert!(
        last.starts_with(b"{\"t\":") && last.windows(12).any(|w| w == b"\"ev\":\"finish"),
        "the trace ends with finish: {}",
        String::from_utf8_lossy(last)
    );
}
