//! The `aiosim` command: run task graphs in CPython's order, explore other legal schedules,
//! replay and shrink what failed.
//!
//! Exit status: 0 when everything ran and nothing failed; 1 when an explored run failed a
//! check (or for an internal failure); 2 when an input cannot be read or is invalid (nothing
//! on stdout, a located message on stderr).

mod explore;

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};

use aiosim_sim::graph::{Graph, parse_graph};
use aiosim_sim::interp::{RunOptions, run_graph};
use aiosim_sim::trace::Trace;

/// Deterministic simulation of asyncio task graphs: the faithful CPython order, and every
/// other legal order.
#[derive(Parser)]
#[command(name = "aiosim", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a scenario in the faithful (CPython FIFO) schedule and print its canonical trace
    /// (JSON lines) on stdout.
    Run {
        /// The scenario file (`aiosim-graph/1` JSON).
        file: PathBuf,
    },
    /// Run a scenario under many schedules and check every run.
    Explore(explore::ExploreArgs),
    /// Replay one recorded failure: print its trace on stdout and its failed checks on stderr.
    Replay(explore::ReplayArgs),
    /// Shrink one recorded failure to the fewest deviations from CPython's order and explain it.
    Shrink(explore::ShrinkArgs),
    /// List the invariant oracles that `explore` checks, one ID a line (the names that
    /// `--oracle` and `--no-oracle` take, with their area prefixes such as GATHER).
    Oracles,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Run { file } => run(&file),
        Command::Explore(args) => explore::explore(&args),
        Command::Replay(args) => explore::replay(&args),
        Command::Shrink(args) => explore::shrink(&args),
        Command::Oracles => explore::list_oracles(),
    }
}

/// A scenario read from a file, with the hash of its bytes.
pub(crate) struct Scenario {
    graph: Arc<Graph>,
    hash: u64,
}

/// The largest scenario file read, 64 MiB. A valid scenario has at most 2,048 ops and its
/// strings at most 1,024 characters, so this is far beyond any scenario, and an endless input
/// (`/dev/zero`, a pipe) is refused before it fills the memory.
const MAX_GRAPH_BYTES: u64 = 64 << 20;

/// Reads and validates a scenario; on failure prints the located error and returns exit 2.
pub(crate) fn load(file: &Path) -> Result<Scenario, ExitCode> {
    let bytes = read_graph_file(file).map_err(|why| {
        eprintln!("aiosim: {why}");
        ExitCode::from(2)
    })?;
    let graph = parse_graph(&bytes).map_err(|e| {
        eprintln!("aiosim: {}: {e}", file.display());
        ExitCode::from(2)
    })?;
    Ok(Scenario {
        graph: Arc::new(graph),
        hash: aiosim_sim::trace::Fnv1a::hash(&bytes),
    })
}

/// The bytes of a scenario file, reading no more than one byte past [`MAX_GRAPH_BYTES`].
fn read_graph_file(file: &Path) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    File::open(file)
        .and_then(|f| f.take(MAX_GRAPH_BYTES + 1).read_to_end(&mut bytes))
        .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    if bytes.len() as u64 > MAX_GRAPH_BYTES {
        return Err(format!(
            "{} is larger than {MAX_GRAPH_BYTES} bytes (64 MiB), the most a scenario file may be",
            file.display()
        ));
    }
    Ok(bytes)
}

/// Writes bytes to stdout; a failure is an internal error (exit 1).
pub(crate) fn print(bytes: &[u8]) -> Result<(), ExitCode> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .map_err(stdout_failed)
}

/// Writes a trace to stdout line by line, without building its whole text; a failure is an
/// internal error (exit 1).
pub(crate) fn print_trace(trace: &Trace) -> Result<(), ExitCode> {
    trace
        .write_jsonl_to(BufWriter::new(std::io::stdout().lock()))
        .map_err(stdout_failed)
}

/// Reports a failed write to stdout; exit 1.
fn stdout_failed(e: std::io::Error) -> ExitCode {
    eprintln!("aiosim: cannot write to stdout: {e}");
    ExitCode::from(1)
}

/// `aiosim run FILE` (graph-format section 6).
fn run(file: &Path) -> ExitCode {
    let scenario = match load(file) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let report = run_graph(scenario.graph, RunOptions::default());
    if let Err(code) = print_trace(&report.trace) {
        return code;
    }
    // The deadlock is trace content (exit 0); stderr says where each task stood.
    if !report.stalled.is_empty() {
        eprintln!(
            "aiosim: {}: deadlock: {}",
            file.display(),
            report.stalled.join(", ")
        );
    }
    ExitCode::SUCCESS
}
