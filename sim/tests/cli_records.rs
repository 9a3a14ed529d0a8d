//! The failures files of the `aiosim` binary: bad records and bad paths are refused with exit
//! status 2 and one message that names the file and the line, never a hang or a panic; records
//! keep their indices when another line is damaged; a record replays the run it describes.
//!
//! Every command runs under a deadline, so that a hang fails the test instead of stalling it.

mod cli_binary;
#[path = "explore_support.rs"]
mod support;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use cli_binary::aiosim_binary;
use support::{bug_path, scratch_dir};

/// How long one command may take before the test calls it hung.
const DEADLINE: Duration = Duration::from_secs(120);

/// What a finished command left.
struct Done {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs `aiosim ARGS` in `dir`, with its output in files there, killing it past [`DEADLINE`].
fn aiosim(dir: &Path, args: &[&str]) -> Done {
    let out = dir.join("command.stdout");
    let err = dir.join("command.stderr");
    let mut child = Command::new(aiosim_binary())
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(File::create(&out).expect("a stdout file"))
        .stderr(File::create(&err).expect("a stderr file"))
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", aiosim_binary().display()));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("the command can be waited for") {
            break status;
        }
        if started.elapsed() > DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            panic!("aiosim {args:?} still runs after {DEADLINE:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let read = |p: &Path| String::from_utf8_lossy(&std::fs::read(p).expect("output")).into_owned();
    Done {
        code: status.code(),
        stdout: read(&out),
        stderr: read(&err),
    }
}

impl Done {
    /// Asserts a replay that failed its check again with exactly the recorded trace.
    fn replayed(&self) {
        assert_eq!(self.code, Some(1), "{}", self.stderr);
        assert!(
            self.stderr.contains("identical to the recorded run"),
            "{}",
            self.stderr
        );
    }

    /// Asserts exit status 2 with one message on stderr that contains `needle` and nothing on
    /// stdout.
    fn refused(&self, needle: &str) {
        assert_eq!(self.code, Some(2), "stderr: {}", self.stderr);
        assert!(self.stdout.is_empty(), "stdout: {}", self.stdout);
        assert!(
            self.stderr.contains(needle),
            "{needle:?} not in: {}",
            self.stderr
        );
        assert!(!self.stderr.contains("panicked"), "{}", self.stderr);
    }
}

/// A scratch directory holding a copy of `hedged_request.json` as `g.json`.
fn with_graph(name: &str) -> PathBuf {
    let dir = scratch_dir(name);
    std::fs::copy(bug_path("hedged_request.json"), dir.join("g.json")).expect("copied");
    dir
}

/// Explores `g.json` in `dir` at level 1 (every run fails) into `failures`; returns the
/// records' lines.
fn failing_records(dir: &Path, failures: &str, runs: u32) -> Vec<String> {
    let runs = runs.to_string();
    let o = aiosim(
        dir,
        &[
            "explore",
            "g.json",
            "--level",
            "1",
            "--runs",
            &runs,
            "--jobs",
            "1",
            "--failures",
            failures,
        ],
    );
    assert_eq!(o.code, Some(1), "{}", o.stderr);
    let text = std::fs::read_to_string(dir.join(failures)).expect("records written");
    text.lines().map(str::to_owned).collect()
}

/// `record` (one JSON line) with `change` applied to its object.
fn edited(
    record: &str,
    change: impl FnOnce(&mut serde_json::Map<String, serde_json::Value>),
) -> String {
    let mut value: serde_json::Value = serde_json::from_str(record).expect("a record");
    change(value.as_object_mut().expect("an object"));
    value.to_string()
}

#[test]
fn a_bad_record_is_named_once_by_file_line_and_column() {
    let dir = with_graph("records-bad");
    let good = failing_records(&dir, "good.jsonl", 1).remove(0);
    std::fs::write(
        dir.join("f.jsonl"),
        format!(
            "\n{}\n",
            edited(&good, |r| {
                r.insert("graph".into(), 1.into());
            })
        ),
    )
    .expect("written");
    let o = aiosim(&dir, &["replay", "f.jsonl"]);
    o.refused("aiosim: f.jsonl:2: not a failure record: invalid type: integer `1`");
    assert_eq!(o.stderr.matches("f.jsonl").count(), 1, "{}", o.stderr);
    assert!(o.stderr.contains("(column "), "{}", o.stderr);
    assert!(!o.stderr.contains(" at line "), "{}", o.stderr);
}

#[test]
fn a_line_that_is_not_utf8_is_named() {
    let dir = with_graph("records-utf8");
    let good = failing_records(&dir, "good.jsonl", 1).remove(0);
    let mut bytes = format!("{good}\n").into_bytes();
    bytes.extend_from_slice(b"{\"graph\":\"\xff\"}\n");
    std::fs::write(dir.join("f.jsonl"), bytes).expect("written");
    aiosim(&dir, &["replay", "f.jsonl", "--index", "1"])
        .refused("f.jsonl:2: not UTF-8 text (column 11)");
}

#[test]
fn a_seed_beyond_64_bits_is_an_integer_out_of_range() {
    let dir = with_graph("records-seed");
    let good = failing_records(&dir, "good.jsonl", 1).remove(0);
    let big = good.replacen("\"seed\":0", "\"seed\":18446744073709551616", 1);
    assert_ne!(big, good);
    std::fs::write(dir.join("f.jsonl"), format!("{big}\n")).expect("written");
    let o = aiosim(&dir, &["replay", "f.jsonl"]);
    o.refused("f.jsonl:1: not a failure record: invalid value: integer `18446744073709551616` out of range, expected u64");
    assert!(!o.stderr.contains("floating point"), "{}", o.stderr);
}

#[test]
fn a_record_needs_every_field_of_its_schedule_and_no_other_field() {
    let dir = with_graph("records-fields");
    let good = failing_records(&dir, "good.jsonl", 1).remove(0);
    let cases = [
        (
            edited(&good, |r| {
                r.insert("schedule".into(), serde_json::json!({}));
            }),
            "missing field `policy`",
        ),
        (
            edited(&good, |r| {
                r["schedule"].as_object_mut().unwrap().remove("decisions");
            }),
            "missing field `decisions`",
        ),
        (
            edited(&good, |r| {
                r.insert("colour".into(), "red".into());
            }),
            "unknown field `colour`",
        ),
        (
            edited(&good, |r| {
                r["violations"][0]
                    .as_object_mut()
                    .unwrap()
                    .insert("colour".into(), "red".into());
            }),
            "unknown field `colour`",
        ),
    ];
    for (record, needle) in cases {
        std::fs::write(dir.join("f.jsonl"), format!("{good}\n{record}\n")).expect("written");
        for command in ["replay", "shrink"] {
            aiosim(&dir, &[command, "f.jsonl", "--index", "1"])
                .refused(&format!("f.jsonl:2: not a failure record: {needle}"));
        }
    }
}

#[test]
fn a_damaged_line_keeps_its_index_and_hides_no_other_record() {
    let dir = with_graph("records-damaged");
    let records = failing_records(&dir, "good.jsonl", 2);
    let cut = &records[0][..records[0].len() / 2];
    std::fs::write(
        dir.join("f.jsonl"),
        format!("not json\n\n{}\n{cut}\n{}\n", records[0], records[1]),
    )
    .expect("written");
    aiosim(&dir, &["replay", "f.jsonl", "--index", "0"]).refused("f.jsonl:1: not a failure record");
    aiosim(&dir, &["replay", "f.jsonl", "--index", "2"]).refused("f.jsonl:4: not a failure record");
    for (index, seed) in [("1", 0), ("3", 1)] {
        let o = aiosim(&dir, &["replay", "f.jsonl", "--index", index]);
        o.replayed();
        assert!(o.stderr.contains(&format!("seed {seed} ")), "{}", o.stderr);
    }
    aiosim(&dir, &["replay", "f.jsonl", "--index", "4"])
        .refused("f.jsonl has 4 records; there is no index 4");
}

#[test]
fn an_endless_failures_file_is_refused() {
    let dir = with_graph("records-endless");
    aiosim(&dir, &["replay", "/dev/zero"]).refused("/dev/zero:1: the line is longer than 256 MiB");
    aiosim(&dir, &["replay", "/dev/zero", "--index", "3"])
        .refused("/dev/zero:1: the line is longer than 256 MiB");
}

#[test]
fn an_unreadable_failures_file_is_refused_naming_it() {
    let dir = with_graph("records-unreadable");
    aiosim(&dir, &["replay", "."]).refused("aiosim: .: cannot read: ");
    aiosim(&dir, &["shrink", "."]).refused("aiosim: .: cannot read: ");
    aiosim(&dir, &["replay", "missing.jsonl"]).refused("aiosim: missing.jsonl: cannot read: ");
}

/// The `(seed, index)` pairs of the `FAIL seed S: … --index K)` lines of `explore`.
fn reported(stderr: &str) -> Vec<(String, String)> {
    stderr
        .lines()
        .filter_map(|l| {
            let seed = l.strip_prefix("FAIL seed ")?.split(':').next()?;
            let index = l.rsplit("--index ").next()?.trim_end_matches(')');
            Some((seed.to_owned(), index.to_owned()))
        })
        .collect()
}

#[test]
fn explore_numbers_records_as_replay_does() {
    let dir = with_graph("records-numbering");
    let earlier = failing_records(&dir, "good.jsonl", 1).remove(0);
    let cut = &earlier[..earlier.len() / 2];
    // Blank lines, a record, and a last line cut off before its newline.
    std::fs::write(dir.join("f.jsonl"), format!("\n\n{earlier}\n  \n{cut}")).expect("written");
    let o = aiosim(
        &dir,
        &[
            "explore",
            "g.json",
            "--level",
            "1",
            "--runs",
            "3",
            "--jobs",
            "1",
            "--failures",
            "f.jsonl",
        ],
    );
    assert_eq!(o.code, Some(1), "{}", o.stderr);
    let pairs = reported(&o.stderr);
    assert!(!pairs.is_empty(), "{}", o.stderr);
    // The existing record is index 0 and the cut line index 1.
    let indices: Vec<String> = pairs.iter().map(|(_, index)| index.clone()).collect();
    let expected: Vec<String> = (2..2 + pairs.len()).map(|k| k.to_string()).collect();
    assert_eq!(indices, expected, "{}", o.stderr);
    for (seed, index) in &pairs {
        let r = aiosim(&dir, &["replay", "f.jsonl", "--index", index]);
        r.replayed();
        assert!(r.stderr.contains(&format!("seed {seed} ")), "{}", r.stderr);
    }
    let text = std::fs::read_to_string(dir.join("f.jsonl")).expect("readable");
    assert!(
        text.contains(&format!("{cut}\n{{")),
        "the cut line was ended first"
    );
    aiosim(&dir, &["replay", "f.jsonl", "--index", "1"]).refused("f.jsonl:5: not a failure record");
}

/// Runs `aiosim explore g.json` in `dir` at level 1 (seeds 0 and 1 fail) into `failures`.
fn explore_into(dir: &Path, failures: &str) -> Done {
    let args = [
        "explore",
        "g.json",
        "--level",
        "1",
        "--runs",
        "2",
        "--failures",
        failures,
    ];
    aiosim(dir, &args)
}

/// Runs `aiosim shrink good.jsonl --out OUT` in `dir`.
fn shrink_into(dir: &Path, out: &str) -> Done {
    aiosim(dir, &["shrink", "good.jsonl", "--out", out])
}

#[test]
fn a_directory_for_records_is_refused_naming_it() {
    let dir = with_graph("records-directory");
    failing_records(&dir, "good.jsonl", 1);
    std::fs::create_dir(dir.join("sub")).expect("a directory");
    explore_into(&dir, "sub").refused("aiosim: sub: cannot open for appending: ");
    shrink_into(&dir, "sub").refused("aiosim: sub: cannot open for appending: ");
}

#[test]
fn a_path_records_cannot_be_written_to_is_refused_naming_it() {
    let dir = with_graph("records-unwritable");
    failing_records(&dir, "good.jsonl", 1);
    explore_into(&dir, "missing/f.jsonl")
        .refused("aiosim: missing/f.jsonl: cannot open for appending: ");
    shrink_into(&dir, "/nonexistent/x")
        .refused("aiosim: /nonexistent/x: cannot open for appending: ");
    // Readable, but not writable as a file (EIO on writing, even for root).
    if Path::new("/proc/version").exists() {
        explore_into(&dir, "/proc/version").refused("aiosim: /proc/version: cannot ");
        shrink_into(&dir, "/proc/version").refused("aiosim: /proc/version: cannot ");
    }
}

#[test]
fn the_scenario_file_is_refused_as_a_records_file() {
    let dir = with_graph("records-graph");
    failing_records(&dir, "good.jsonl", 1);
    std::fs::create_dir(dir.join("sub")).expect("a directory");
    let graph = std::fs::read(dir.join("g.json")).expect("readable");
    for spelling in ["g.json", "./g.json", "sub/../g.json"] {
        let refusal = format!("aiosim: {spelling}: this is the scenario file");
        explore_into(&dir, spelling).refused(&refusal);
        shrink_into(&dir, spelling).refused(&refusal);
    }
    assert_eq!(std::fs::read(dir.join("g.json")).expect("readable"), graph);
}

#[test]
fn a_special_file_takes_records_without_being_read() {
    let dir = with_graph("records-special");
    let o = explore_into(&dir, "/dev/null");
    assert_eq!(o.code, Some(1), "{}", o.stderr);
    assert!(o.stderr.contains("--index 1)"), "{}", o.stderr);
}

#[test]
fn a_record_keeps_the_budget_and_checks_it_was_explored_with() {
    let dir = with_graph("records-budget");
    let o = aiosim(
        &dir,
        &[
            "explore",
            "g.json",
            "--budget",
            "2",
            "--runs",
            "2",
            "--no-oracle",
            "FUT",
            "--failures",
            "b.jsonl",
        ],
    );
    assert_eq!(o.code, Some(1), "{}", o.stderr);
    let record: serde_json::Value = serde_json::from_str(
        std::fs::read_to_string(dir.join("b.jsonl"))
            .expect("written")
            .lines()
            .next()
            .expect("a record"),
    )
    .expect("JSON");
    assert_eq!(
        record["options"],
        serde_json::json!({"budget": 2, "check_determinism": false, "oracles": [], "no_oracles": ["FUT"]})
    );
    let r = aiosim(&dir, &["replay", "b.jsonl"]);
    r.replayed();
    assert!(
        r.stderr
            .contains("failed budget: the run did not finish within 2 iterations"),
        "{}",
        r.stderr
    );
    let s = aiosim(&dir, &["shrink", "b.jsonl", "--out", "min.jsonl"]);
    assert_eq!(s.code, Some(1), "{}", s.stderr);
    assert!(
        s.stdout.starts_with("shrunk expect[0]"),
        "{}{}",
        s.stdout,
        s.stderr
    );
    let minimal = std::fs::read_to_string(dir.join("min.jsonl")).expect("written");
    assert!(minimal.contains(r#""options":{"budget":2,"#), "{minimal}");
}

#[test]
fn a_record_without_options_replays_with_the_defaults() {
    let dir = with_graph("records-old");
    let good = failing_records(&dir, "good.jsonl", 1).remove(0);
    let old = edited(&good, |r| {
        r.remove("options").expect("written with its options");
    });
    let unknown = edited(&good, |r| {
        r["options"]
            .as_object_mut()
            .unwrap()
            .insert("colour".into(), "red".into());
    });
    std::fs::write(dir.join("f.jsonl"), format!("{old}\n{unknown}\n")).expect("written");
    let r = aiosim(&dir, &["replay", "f.jsonl"]);
    r.replayed();
    aiosim(&dir, &["replay", "f.jsonl", "--index", "1"])
        .refused("f.jsonl:2: not a failure record: unknown field `colour`");
}

#[test]
fn a_shrink_that_does_not_reproduce_leaves_no_output_file() {
    let dir = with_graph("records-shrink-nothing");
    let record = failing_records(&dir, "f.jsonl", 1).remove(0);
    // A check the run never fails: the record does not reproduce.
    let other = edited(&record, |r| {
        r.insert("check".into(), serde_json::json!("expect[9]"));
    });
    std::fs::write(dir.join("good.jsonl"), format!("{other}\n")).expect("written");
    let o = shrink_into(&dir, "out.jsonl");
    assert_eq!(o.code, Some(1), "{}", o.stderr);
    assert!(o.stderr.contains("does not reproduce"), "{}", o.stderr);
    assert!(
        !dir.join("out.jsonl").exists(),
        "an empty output file was left"
    );
    // An output file that was there before stays.
    std::fs::write(dir.join("kept.jsonl"), "").expect("written");
    assert_eq!(shrink_into(&dir, "kept.jsonl").code, Some(1));
    assert!(dir.join("kept.jsonl").exists());
}
