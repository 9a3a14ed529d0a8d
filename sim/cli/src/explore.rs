//! `aiosim explore`, `aiosim replay` and `aiosim shrink`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};

use aiosim::Level;
use aiosim_properties::Oracles;
use aiosim_sim::explore::{
    ExploreOptions, Explorer, FailureFile, FailureRecord, Limits, MAX_JOBS, RunResult, Schedules,
    Shard, SweepConfig, read_failure, shrink as shrink_schedule, sweep,
};
use aiosim_sim::graph::Graph;
use aiosim_sim::policy::{MAX_INJECT_CANCELS, PolicyKind, deviations};

use crate::{load, print, print_trace};

/// How many failures `explore` prints; every failure is in the failures file.
const SHOWN_FAILURES: u64 = 10;

/// A policy name on the command line.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum PolicyArg {
    /// CPython's order (every run is the same).
    Fifo,
    /// Uniformly random choices (seeded).
    Random,
    /// Probabilistic concurrency testing with bug depth `--depth`.
    Pct,
    /// Partial-order sampling.
    Pos,
    /// Every choice sequence, up to `--runs` runs.
    Exhaustive,
}

impl From<PolicyArg> for PolicyKind {
    fn from(p: PolicyArg) -> PolicyKind {
        match p {
            PolicyArg::Fifo => PolicyKind::Fifo,
            PolicyArg::Random => PolicyKind::Random,
            PolicyArg::Pct => PolicyKind::Pct,
            PolicyArg::Pos => PolicyKind::Pos,
            PolicyArg::Exhaustive => PolicyKind::Exhaustive,
        }
    }
}

/// Options of `aiosim explore`.
#[derive(Args)]
pub struct ExploreArgs {
    /// The scenario file.
    file: PathBuf,
    /// The scheduling policy.
    #[arg(long, value_enum, default_value = "random")]
    policy: PolicyArg,
    /// How many runs (seeds `--seed` .. `--seed + runs`; for `exhaustive`, the run budget).
    #[arg(long, default_value_t = 1000)]
    runs: u64,
    /// The first seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// What may be permuted: 1 = equal-deadline timers and set orders, 2 = + interleaving of
    /// ready tasks, 3 = + timing (due timers deferred, time moved on early; never early timers).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u8).range(1..=3))]
    level: u8,
    /// PCT's bug depth (number of priority change points + 1).
    #[arg(long, default_value_t = 3)]
    depth: u32,
    /// Cancellations to inject per run, as faults nobody wrote (0: none; at most 65536).
    #[arg(long, default_value_t = 0,
          value_parser = clap::value_parser!(u32).range(..=i64::from(MAX_INJECT_CANCELS)))]
    inject_cancels: u32,
    /// Worker threads, 1 to 1024 (default: all cores, at most 1024).
    #[arg(long, value_parser = clap::builder::RangedU64ValueParser::<usize>::new()
          .range(1..=MAX_JOBS as u64))]
    jobs: Option<usize>,
    /// Run only shard I of N (`I/N`): every N-th seed, starting at the I-th.
    #[arg(long, value_parser = Shard::parse, default_value = "0/1")]
    shard: Shard,
    /// Where failures are appended (JSON lines), each flushed before it is reported.
    #[arg(long, default_value = "aiosim-failures.jsonl")]
    failures: PathBuf,
    /// Iteration budget of one run.
    #[arg(long, default_value_t = aiosim_sim::explore::DEFAULT_BUDGET)]
    budget: u64,
    /// Run every schedule twice and fail on the first event where the runs differ.
    #[arg(long)]
    check_determinism: bool,
    /// Check only these invariant oracles (IDs such as GATHER-1 or area prefixes such as
    /// GATHER; repeatable). Default: every oracle.
    #[arg(long = "oracle", value_name = "ID")]
    oracles: Vec<String>,
    /// Do not check these oracles (IDs or area prefixes; repeatable).
    #[arg(long = "no-oracle", value_name = "ID")]
    no_oracles: Vec<String>,
}

/// Whether an oracle ID is named by a selection of IDs or area prefixes (`GATHER`).
fn named(id: &str, selection: &[String]) -> bool {
    selection.iter().any(|s| names(s, id))
}

/// Whether `name`, an ID or an area prefix (`GATHER`), names the oracle ID `id`.
fn names(name: &str, id: &str) -> bool {
    id == name
        || id
            .strip_prefix(name)
            .is_some_and(|rest| rest.starts_with('-'))
}

/// Checks that every name given to `flag` (`--oracle`, `--no-oracle`) names an oracle.
fn check_oracle_names(flag: &str, selection: &[String]) -> Result<(), String> {
    let ids = Oracles::all().ids();
    let Some(unknown) = selection
        .iter()
        .find(|name| !ids.iter().any(|id| names(name, id)))
    else {
        return Ok(());
    };
    let mut areas: Vec<&str> = Vec::new();
    for area in ids.iter().filter_map(|id| id.split('-').next()) {
        if !areas.contains(&area) {
            areas.push(area);
        }
    }
    Err(format!(
        "{flag} {unknown}: no oracle has this ID or area (areas: {}; `aiosim oracles` lists \
         every ID)",
        areas.join(", ")
    ))
}

/// `aiosim oracles`: every oracle ID, one a line.
pub fn list_oracles() -> ExitCode {
    let mut text = Oracles::all().ids().join("\n");
    text.push('\n');
    match print(text.as_bytes()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(code) => code,
    }
}

/// An explorer of `graph` that runs and judges as `options` say.
fn explorer_for(graph: Arc<Graph>, options: &ExploreOptions) -> Explorer {
    let mut explorer = Explorer::new(graph);
    explorer.budget = options.budget;
    explorer.check_determinism = options.check_determinism;
    let oracles = Oracles::filtered(|id| {
        (options.oracles.is_empty() || named(id, &options.oracles))
            && !named(id, &options.no_oracles)
    });
    explorer.checks.push(Box::new(oracles));
    explorer
}

fn level(n: u8) -> Level {
    match n {
        1 => Level::Ties,
        2 => Level::Interleave,
        _ => Level::Timing,
    }
}

/// `aiosim explore FILE ...`.
pub fn explore(args: &ExploreArgs) -> ExitCode {
    let checked = check_oracle_names("--oracle", &args.oracles)
        .and_then(|()| check_oracle_names("--no-oracle", &args.no_oracles));
    if let Err(why) = checked {
        eprintln!("aiosim: {why}");
        return ExitCode::from(2);
    }
    let scenario = match load(&args.file) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let options = ExploreOptions {
        budget: args.budget,
        check_determinism: args.check_determinism,
        oracles: args.oracles.clone(),
        no_oracles: args.no_oracles.clone(),
    };
    let explorer = explorer_for(scenario.graph, &options);
    let config = SweepConfig {
        schedules: Schedules {
            policy: args.policy.into(),
            runs: args.runs,
            seed: args.seed,
            level: level(args.level),
            depth: args.depth,
            inject_cancels: args.inject_cancels,
        },
        jobs: args.jobs.unwrap_or_else(|| {
            std::thread::available_parallelism().map_or(1, |n| n.get().min(MAX_JOBS))
        }),
        shard: args.shard,
        // Every failure is in the failures file: the summary needs only their number.
        limits: Limits {
            kept_failures: 0,
            ..Limits::default()
        },
    };
    if let Err(why) = config.validate() {
        eprintln!("aiosim: {why}");
        return ExitCode::from(2);
    }
    let failures = match open_records(&args.failures, &args.file) {
        Ok(f) => f,
        Err(code) => return code,
    };
    let graph_name = args.file.display().to_string();
    eprintln!(
        "aiosim explore {graph_name}: policy {:?}, runs {}, seeds {}.., level {}, depth {}, inject-cancels {}, jobs {}, shard {}/{}, failures -> {}",
        config.schedules.policy,
        config.schedules.runs,
        config.schedules.seed,
        args.level,
        config.schedules.depth,
        config.schedules.inject_cancels,
        config.jobs,
        config.shard.index,
        config.shard.count,
        args.failures.display()
    );
    let bar = ProgressBar::new(config.runs());
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} runs, {per_sec}, eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let reported = AtomicU64::new(0);
    let on_failure = |r: &RunResult| -> std::io::Result<()> {
        let record = FailureRecord::new(&graph_name, scenario.hash, &options, r);
        let index = failures.write(&record)?;
        if reported.fetch_add(1, Ordering::Relaxed) < SHOWN_FAILURES {
            bar.suspend(|| {
                eprintln!(
                    "FAIL seed {}: {}: {}  (replay: aiosim replay {} --index {index})",
                    record.seed,
                    record.check,
                    record.message,
                    args.failures.display()
                )
            });
        }
        Ok(())
    };
    let started = Instant::now();
    let outcome = sweep(&explorer, &config, &on_failure, &|| bar.inc(1));
    bar.finish_and_clear();
    let outcome = match outcome {
        Ok(o) => o,
        Err(e) => {
            eprintln!("aiosim: {e}");
            // Every error that stops a sweep comes from its input: a bad configuration,
            // threads the system refuses, or a failure record that cannot be written.
            return ExitCode::from(2);
        }
    };
    let secs = started.elapsed().as_secs_f64();
    let distinct = if outcome.more_traces {
        format!("more than {}", outcome.distinct_traces)
    } else {
        outcome.distinct_traces.to_string()
    };
    println!(
        "runs {}  runs/s {:.0}  distinct traces {distinct}  failures {}",
        outcome.runs,
        outcome.runs as f64 / secs.max(1e-9),
        outcome.failed
    );
    if outcome.growth.len() > 1 {
        let points: Vec<String> = outcome
            .growth
            .iter()
            .map(|(runs, distinct)| format!("{distinct} after {runs}"))
            .collect();
        println!("distinct traces grew: {}", points.join(", "));
    }
    if let Some(c) = &outcome.coverage {
        println!(
            "exhaustive: {} schedules, space {}",
            c.schedules,
            if c.complete {
                "covered completely"
            } else {
                "NOT covered (run budget reached; raise --runs)"
            }
        );
    }
    if outcome.failed > SHOWN_FAILURES {
        eprintln!(
            "... and {} more failures, all in {}",
            outcome.failed - SHOWN_FAILURES,
            args.failures.display()
        );
    }
    if outcome.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// Options of `aiosim replay`.
#[derive(Args)]
pub struct ReplayArgs {
    /// A failures file written by `aiosim explore`.
    failures: PathBuf,
    /// Which record (0 = the first line).
    #[arg(long, default_value_t = 0)]
    index: usize,
    /// The scenario file, when it is not where the record says (e.g. a record from another
    /// machine of a sharded sweep).
    #[arg(long)]
    graph: Option<PathBuf>,
}

/// Options of `aiosim shrink`.
#[derive(Args)]
pub struct ShrinkArgs {
    /// A failures file written by `aiosim explore`.
    failures: PathBuf,
    /// Which record (0 = the first line).
    #[arg(long, default_value_t = 0)]
    index: usize,
    /// Where the minimal schedule is appended (default: FAILURES.shrunk.jsonl).
    #[arg(long)]
    out: Option<PathBuf>,
    /// The scenario file, when it is not where the record says.
    #[arg(long)]
    graph: Option<PathBuf>,
}

/// Opens the file that records are appended to, refusing the scenario file itself; on failure
/// prints why and returns exit 2.
fn open_records(path: &Path, graph: &Path) -> Result<FailureFile, ExitCode> {
    let same = matches!((path.canonicalize(), graph.canonicalize()), (Ok(a), Ok(b)) if a == b);
    if same {
        eprintln!(
            "aiosim: {}: this is the scenario file; records need a file of their own",
            path.display()
        );
        return Err(ExitCode::from(2));
    }
    FailureFile::append(path).map_err(|e| {
        eprintln!("aiosim: {e}");
        ExitCode::from(2)
    })
}

/// A recorded failure, ready to run again.
struct Recorded {
    record: FailureRecord,
    /// The scenario file it was read from.
    graph: PathBuf,
    /// The hash of the scenario file's bytes.
    hash: u64,
    explorer: Explorer,
}

/// Loads record `index` and its scenario (which must be unchanged).
fn load_record(failures: &Path, index: usize, graph: Option<&Path>) -> Result<Recorded, ExitCode> {
    let record = read_failure(failures, index).map_err(|e| {
        eprintln!("aiosim: {e}");
        ExitCode::from(2)
    })?;
    let graph = graph_path(failures, &record.graph, graph);
    let scenario = load(&graph)?;
    let hash = aiosim_sim::explore::failure::hex(scenario.hash);
    if hash != record.graph_hash {
        eprintln!(
            "aiosim: {} changed since the failure was recorded (hash {hash}, recorded {})",
            record.graph, record.graph_hash
        );
        return Err(ExitCode::from(2));
    }
    let explorer = explorer_for(scenario.graph, &record.options);
    Ok(Recorded {
        record,
        graph,
        hash: scenario.hash,
        explorer,
    })
}

/// Where the scenario of a record is: `--graph` if given, else the recorded path as it is,
/// else that path taken relative to the failures file's folder.
fn graph_path(failures: &Path, recorded: &str, given: Option<&Path>) -> PathBuf {
    if let Some(g) = given {
        return g.to_path_buf();
    }
    let as_recorded = PathBuf::from(recorded);
    if as_recorded.exists() {
        return as_recorded;
    }
    let beside = failures.parent().map(|dir| dir.join(recorded));
    match beside {
        Some(p) if p.exists() => p,
        _ => as_recorded,
    }
}

/// `aiosim replay FAILURES [--index K]`.
pub fn replay(args: &ReplayArgs) -> ExitCode {
    let Recorded {
        record, explorer, ..
    } = match load_record(&args.failures, args.index, args.graph.as_deref()) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let schedule = record.schedule.replaying(record.schedule.decisions.clone());
    let result = explorer.run(&schedule);
    if let Err(code) = print_trace(&result.report.trace) {
        return code;
    }
    if let Some(d) = &result.divergence {
        eprintln!("aiosim: the replay diverged from the recorded schedule: {d}");
        return ExitCode::from(1);
    }
    let hash = aiosim_sim::explore::failure::hex(result.report.trace.canonical_hash());
    eprintln!(
        "seed {} ({:?}, level {:?}): trace {hash} ({})",
        record.seed,
        record.schedule.policy,
        record.schedule.level,
        if hash == record.trace_hash {
            "identical to the recorded run"
        } else {
            "DIFFERS from the recorded run"
        }
    );
    for v in &result.violations {
        eprintln!("failed {}: {}", v.check, v.message);
    }
    if result.violations.is_empty() {
        eprintln!("no check failed in this replay");
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// `aiosim shrink FAILURES [--index K] [--out PATH]`.
pub fn shrink(args: &ShrinkArgs) -> ExitCode {
    let Recorded {
        record,
        graph,
        hash,
        explorer,
    } = match load_record(&args.failures, args.index, args.graph.as_deref()) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let out = args.out.clone().unwrap_or_else(|| {
        let mut p = args.failures.clone().into_os_string();
        p.push(".shrunk.jsonl");
        PathBuf::from(p)
    });
    // The output is opened first, so that a bad path fails before the search; a file created
    // for it is removed again if the search writes nothing.
    let created = !out.exists();
    let out_file = match open_records(&out, &graph) {
        Ok(f) => f,
        Err(code) => return code,
    };
    let before = deviations(&record.schedule.decisions);
    let Some(shrunk) = shrink_schedule(&explorer, &record.schedule, &record.check) else {
        eprintln!(
            "aiosim: record {} does not reproduce its failure ({}); nothing to shrink",
            args.index, record.check
        );
        drop(out_file);
        if created {
            let _ = std::fs::remove_file(&out);
        }
        return ExitCode::from(1);
    };
    let (mut result, sentences) = explorer.run_explained(&shrunk.result.schedule);
    result.schedule = shrunk.result.schedule.clone();
    let minimal = FailureRecord::new(&record.graph, hash, &record.options, &result);
    let index = match out_file.write(&minimal) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("aiosim: {e}");
            return ExitCode::from(2);
        }
    };
    println!(
        "shrunk {}: {} -> {} deviations from FIFO ({} decisions) in {} runs",
        record.check,
        before,
        shrunk.deviations,
        result.schedule.decisions.len(),
        shrunk.attempts
    );
    for s in &sentences {
        println!("  - {s}");
    }
    println!("failed {}: {}", minimal.check, minimal.message);
    println!(
        "minimal schedule written to {} (replay: aiosim replay {} --index {index})",
        out.display(),
        out.display()
    );
    ExitCode::from(1)
}
