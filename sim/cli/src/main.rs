//! The `aiosim` command: run task graphs in CPython's order and print their canonical trace.
//!
//! Exit status: 0 when the scenario ran (whatever its tasks did), 2 when the input cannot be
//! read or is not a valid `aiosim-graph/1` document (nothing on stdout, a located message on
//! stderr), 1 for an internal failure of the tool.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};

use aiosim_sim::graph::parse_graph;
use aiosim_sim::interp::{RunOptions, run_graph};

/// Deterministic simulation of asyncio task graphs.
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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Run { file } => run(&file),
    }
}

/// `aiosim run FILE` (graph-format section 6).
fn run(file: &PathBuf) -> ExitCode {
    let bytes = match std::fs::read(file) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("aiosim: cannot read {}: {e}", file.display());
            return ExitCode::from(2);
        }
    };
    let graph = match parse_graph(&bytes) {
        Ok(g) => g,
        Err(e) => {
            eprintln!("aiosim: {}: {e}", file.display());
            return ExitCode::from(2);
        }
    };
    let report = run_graph(Arc::new(graph), RunOptions::default());
    let bytes = report.trace.to_jsonl();
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(&bytes).and_then(|()| out.flush()) {
        eprintln!("aiosim: cannot write the trace: {e}");
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}
