//! The failures file: one JSON object per line, appended and flushed the moment a failing run
//! is found, before it is reported anywhere else.
//!
//! ```json
//! {"graph":"bank.json","graph_hash":"9c1b…","seed":17,"check":"expect[0]","message":"…",
//!  "violations":[{"check":"expect[0]","message":"…"}],"trace_hash":"5e0f…","schedule":{…}}
//! ```

use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Write};
use std::path::Path;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::policy::Schedule;

use super::run::RunResult;

/// One failed check of a failure record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedCheck {
    /// The check (`expect[0]`, `P6`, `budget`, an invariant ID).
    pub check: String,
    /// What went wrong.
    pub message: String,
}

/// One line of a failures file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailureRecord {
    /// The scenario file, as given on the command line.
    pub graph: String,
    /// FNV-1a hash of the scenario file's bytes (hex), to notice a changed file on replay.
    pub graph_hash: String,
    /// The run's seed.
    pub seed: u64,
    /// The first failed check.
    pub check: String,
    /// Its message.
    pub message: String,
    /// Every failed check.
    pub violations: Vec<FailedCheck>,
    /// Hash of the run's canonical trace (hex).
    pub trace_hash: String,
    /// The schedule that replays the run.
    pub schedule: Schedule,
}

impl FailureRecord {
    /// The record of a failed run.
    pub fn new(graph: &str, graph_hash: u64, result: &RunResult) -> FailureRecord {
        let violations: Vec<FailedCheck> = result
            .violations
            .iter()
            .map(|v| FailedCheck {
                check: v.check.to_string(),
                message: v.message.clone(),
            })
            .collect();
        let first = violations.first().cloned().unwrap_or(FailedCheck {
            check: String::new(),
            message: String::new(),
        });
        FailureRecord {
            graph: graph.to_string(),
            graph_hash: hex(graph_hash),
            seed: result.schedule.seed,
            check: first.check,
            message: first.message,
            violations,
            trace_hash: hex(result.report.trace.canonical_hash()),
            schedule: result.schedule.clone(),
        }
    }
}

/// A 64-bit hash as 16 lowercase hex digits.
pub fn hex(h: u64) -> String {
    format!("{h:016x}")
}

/// Appends failure records to a file, one flushed line each; safe to share between threads.
pub struct FailureFile(Mutex<(File, usize)>);

impl FailureFile {
    /// Opens (creating if needed) `path` for appending.
    pub fn append(path: &Path) -> io::Result<FailureFile> {
        let existing = match File::open(path) {
            Ok(f) => BufReader::new(f).lines().count(),
            Err(e) if e.kind() == io::ErrorKind::NotFound => 0,
            Err(e) => return Err(e),
        };
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        Ok(FailureFile(Mutex::new((file, existing))))
    }

    /// Writes one record and flushes it to the operating system (so it survives a crash or
    /// Ctrl-C of this process) before returning its line index.
    pub fn write(&self, record: &FailureRecord) -> io::Result<usize> {
        let mut line = serde_json::to_vec(record).map_err(io::Error::other)?;
        line.push(b'\n');
        let mut guard = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let (file, count) = &mut *guard;
        file.write_all(&line)?;
        file.flush()?;
        *count += 1;
        Ok(*count - 1)
    }
}

/// Reads every record of a failures file.
pub fn read_failures(path: &Path) -> io::Result<Vec<FailureRecord>> {
    let reader = BufReader::new(File::open(path)?);
    let mut out = Vec::new();
    for (n, line) in reader.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let record = serde_json::from_str(&line).map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{}:{}: not a failure record: {e}", path.display(), n + 1),
            )
        })?;
        out.push(record);
    }
    Ok(out)
}
