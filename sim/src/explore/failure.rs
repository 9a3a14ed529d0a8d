//! The failures file: one JSON object per line, appended and flushed the moment a failing run
//! is found, before it is reported anywhere else.
//!
//! ```json
//! {"graph":"bank.json","graph_hash":"9c1b…","seed":17,"check":"expect[0]","message":"…",
//!  "violations":[{"check":"expect[0]","message":"…"}],"trace_hash":"5e0f…","schedule":{…},
//!  "options":{"budget":1000000,"check_determinism":false,"oracles":[],"no_oracles":[]}}
//! ```
//!
//! Indices: blank lines are skipped, and every other line is one record, numbered from 0 in
//! file order, whether or not it reads as a record; a damaged line keeps its index, so the
//! indices of the others do not move. Reading record `k` only counts the lines before it. A
//! line is at most [`MAX_LINE`] bytes.

use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::policy::Schedule;

use super::run::{DEFAULT_BUDGET, RunResult};

/// One failed check of a failure record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FailedCheck {
    /// The check (`expect[0]`, `P6`, `budget`, an invariant ID).
    pub check: String,
    /// What went wrong.
    pub message: String,
}

/// One line of a failures file. Every field but `options` is required, and a field it does
/// not have is refused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FailureRecord {
    /// The scenario file, as given on the command line.
    pub graph: String,
    /// FNV-1a hash of the scenario file's bytes (hex), to notice a changed file on replay.
    pub graph_hash: String,
    /// The run's seed.
    #[serde(deserialize_with = "crate::policy::whole::deserialize")]
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
    /// The other options the run was made and judged with (absent: the defaults).
    #[serde(default)]
    pub options: ExploreOptions,
}

/// The options of `aiosim explore`, besides the schedule, that change how a run ends or how it
/// is judged: a replay needs them. A field left out takes its default.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ExploreOptions {
    /// The iteration budget of the run.
    #[serde(deserialize_with = "crate::policy::whole::deserialize")]
    pub budget: u64,
    /// Whether the schedule was run twice and the two runs compared.
    pub check_determinism: bool,
    /// The invariant oracles checked (IDs or area prefixes); empty for every one.
    pub oracles: Vec<String>,
    /// The invariant oracles not checked (IDs or area prefixes).
    pub no_oracles: Vec<String>,
}

impl Default for ExploreOptions {
    /// The defaults of `aiosim explore`: [`DEFAULT_BUDGET`], every oracle, one run per schedule.
    fn default() -> ExploreOptions {
        ExploreOptions {
            budget: DEFAULT_BUDGET,
            check_determinism: false,
            oracles: Vec::new(),
            no_oracles: Vec::new(),
        }
    }
}

impl FailureRecord {
    /// The record of a failed run, made with `options`.
    pub fn new(
        graph: &str,
        graph_hash: u64,
        options: &ExploreOptions,
        result: &RunResult,
    ) -> FailureRecord {
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
            options: options.clone(),
        }
    }
}

/// A 64-bit hash as 16 lowercase hex digits.
pub fn hex(h: u64) -> String {
    format!("{h:016x}")
}

/// Appends failure records to a file, one flushed line each; safe to share between threads.
pub struct FailureFile {
    path: PathBuf,
    /// The file, and the index of the next record.
    state: Mutex<(File, usize)>,
}

impl FailureFile {
    /// Opens (creating if needed) `path` for appending. The records written are numbered after
    /// those already there, as the readers number them, and a last line cut off before its
    /// newline is ended first, so that the next record has a line of its own. What is not a
    /// regular file (`/dev/null`, a pipe) is written to without being read, numbering from 0.
    pub fn append(path: &Path) -> io::Result<FailureFile> {
        let opened = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .and_then(|f| Ok((f.metadata()?.is_file(), f)));
        let (regular, mut file) =
            opened.map_err(|e| failed(path, "cannot open for appending", e))?;
        let records = if regular {
            count_and_end_lines(path, &mut file)?
        } else {
            0
        };
        Ok(FailureFile {
            path: path.to_path_buf(),
            state: Mutex::new((file, records)),
        })
    }

    /// Writes one record and flushes it to the operating system (so it survives a crash or
    /// Ctrl-C of this process) before returning its index.
    pub fn write(&self, record: &FailureRecord) -> io::Result<usize> {
        let mut line = serde_json::to_vec(record).map_err(io::Error::other)?;
        line.push(b'\n');
        let mut guard = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let (file, count) = &mut *guard;
        file.write_all(&line)
            .and_then(|()| file.flush())
            .map_err(|e| failed(&self.path, "cannot write", e))?;
        *count += 1;
        Ok(*count - 1)
    }
}

/// Counts the records of the failures file `path`, and ends its last line through `file` if
/// it was cut off before its newline.
fn count_and_end_lines(path: &Path, file: &mut File) -> io::Result<usize> {
    let mut lines = Lines::open(path)?;
    let mut records = 0;
    while lines.next_record()? {
        records += 1;
    }
    if !lines.terminated {
        file.write_all(b"\n")
            .map_err(|e| failed(path, "cannot write", e))?;
    }
    Ok(records)
}

/// The longest line a failures file may have, in bytes: room for the most decisions a
/// schedule may hold (2^24) at 16 bytes each, with the record's messages. Past it a reader
/// stops, so that an endless input (`/dev/zero`) is an error, not a process that grows.
pub const MAX_LINE: usize = 256 << 20;

/// The lines of a failures file, read one at a time, none longer than [`MAX_LINE`].
struct Lines<'a> {
    path: &'a Path,
    reader: BufReader<File>,
    /// The line last read, without its newline.
    line: Vec<u8>,
    /// Its number, from 1 (0 before the first).
    number: usize,
    /// Whether it ended with a newline (true before the first line).
    terminated: bool,
}

impl<'a> Lines<'a> {
    /// Opens `path` for reading.
    fn open(path: &'a Path) -> io::Result<Lines<'a>> {
        let file = File::open(path).map_err(|e| failed(path, "cannot read", e))?;
        Ok(Lines {
            path,
            reader: BufReader::new(file),
            line: Vec::new(),
            number: 0,
            terminated: true,
        })
    }

    /// Reads the next line; false at the end of the file. A read error or an over-long line
    /// ends the reading with an error.
    fn next_line(&mut self) -> io::Result<bool> {
        self.line.clear();
        let limit = MAX_LINE as u64 + 1;
        let read = (&mut self.reader)
            .take(limit)
            .read_until(b'\n', &mut self.line)
            .map_err(|e| failed(self.path, "cannot read", e))?;
        if read == 0 {
            return Ok(false);
        }
        self.number += 1;
        self.terminated = self.line.last() == Some(&b'\n');
        if self.terminated {
            self.line.pop();
        }
        if self.line.len() > MAX_LINE {
            return Err(self.invalid(&format!(
                "the line is longer than {} MiB, the most a record may take",
                MAX_LINE >> 20
            )));
        }
        Ok(true)
    }

    /// Reads up to the next line that is not blank (a record's line); false at the end.
    fn next_record(&mut self) -> io::Result<bool> {
        while self.next_line()? {
            if !self.line.iter().all(u8::is_ascii_whitespace) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The record on the line last read.
    fn record(&self) -> io::Result<FailureRecord> {
        let text = std::str::from_utf8(&self.line).map_err(|e| {
            self.invalid(&format!("not UTF-8 text (column {})", e.valid_up_to() + 1))
        })?;
        serde_json::from_str(text).map_err(|e| {
            let at = format!(" at line {} column {}", e.line(), e.column());
            let what = e.to_string();
            let what = what.strip_suffix(&at).unwrap_or(&what);
            self.invalid(&format!(
                "not a failure record: {what} (column {})",
                e.column()
            ))
        })
    }

    /// An error about the line last read: `PATH:LINE: what`.
    fn invalid(&self, what: &str) -> io::Error {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{}:{}: {what}", self.path.display(), self.number),
        )
    }
}

/// `e` with the path and what failed: `PATH: doing: error`.
fn failed(path: &Path, doing: &str, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("{}: {doing}: {e}", path.display()))
}

/// Reads every record of a failures file; a line that is not a record is an error naming it.
pub fn read_failures(path: &Path) -> io::Result<Vec<FailureRecord>> {
    let mut lines = Lines::open(path)?;
    let mut out = Vec::new();
    while lines.next_record()? {
        out.push(lines.record()?);
    }
    Ok(out)
}

/// Reads record `index` of a failures file (numbered as the module documentation says). The
/// lines before it are only counted, so a damaged line elsewhere does not hide it.
pub fn read_failure(path: &Path, index: usize) -> io::Result<FailureRecord> {
    let mut lines = Lines::open(path)?;
    let mut records = 0;
    while lines.next_record()? {
        if records == index {
            return lines.record();
        }
        records += 1;
    }
    Err(io::Error::new(
        io::ErrorKind::NotFound,
        format!(
            "{} has {records} records; there is no index {index}",
            path.display()
        ),
    ))
}
