//! The fuzz corpora as a stable test: every committed input of `fuzz/seeds/<target>/` and
//! `fuzz/regressions/<target>/` goes through the same check function the fuzz target calls
//! (`aiosim_properties::fuzzing`), so a plain `cargo test` keeps fixed crashes fixed without
//! cargo-fuzz or nightly. Local `fuzz/corpus/` and `fuzz/artifacts/` are not replayed (they
//! are not committed).
//!
//! `AIOSIM_FUZZ_REPRO=<crash file> cargo test -p aiosim-properties --test fuzz_corpus
//! reproduce -- --nocapture` prints the report of one input and writes, next to it, the
//! graph and a failures-file record for `aiosim replay` (the target is the name of the
//! file's directory, as in `fuzz/artifacts/<target>/crash-…`, or `AIOSIM_FUZZ_TARGET`).

use std::path::{Path, PathBuf};

use aiosim_properties::fuzzing::{
    self, Failure, RunFailure, Target, decode_cancel_ordering, graph_to_json, same_model,
};
use aiosim_sim::explore::{FailureRecord, Violation};
use aiosim_sim::graph::parse_graph;
use aiosim_sim::policy::{ChoiceKind, Decision, PolicyKind, Schedule};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

/// The committed inputs of `target`: `(path, bytes)`, sorted by path.
fn inputs(kind: &str, target: Target) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = fuzz_dir().join(kind).join(target.name());
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.is_file()
                && !p
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        })
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (p, bytes)
        })
        .collect()
}

/// Replays every committed input of `target`; returns how many seeds there were.
fn replay(target: Target) -> usize {
    assert!(
        std::env::var_os("AIOSIM_FUZZ_IGNORE").is_none(),
        "AIOSIM_FUZZ_IGNORE is for local fuzzing only: unset it to replay the corpus"
    );
    let seeds = inputs("seeds", target);
    let regressions = inputs("regressions", target);
    let mut failed = Vec::new();
    for (path, bytes) in seeds.iter().chain(&regressions) {
        if let Err(failure) = target.diagnose(bytes) {
            eprintln!("{}:\n{failure}", path.display());
            failed.push(path.display().to_string());
        }
    }
    assert!(
        failed.is_empty(),
        "{} fuzz inputs of {} fail (reports above); reproduce one with \
         `cargo fuzz run -s none {} <file>`: {failed:#?}",
        failed.len(),
        target.name(),
        target.name()
    );
    seeds.len()
}

#[test]
fn replay_cancel_ordering() {
    assert!(replay(Target::CancelOrdering) >= 10, "too few seeds");
}

#[test]
fn replay_graph_parser() {
    assert!(replay(Target::GraphParser) >= 10, "too few seeds");
}

#[test]
fn replay_schedule() {
    assert!(replay(Target::Schedule) >= 10, "too few seeds");
}

/// The `schedule` target embeds every `tests/examples/*.json`.
#[test]
fn examples_are_all_embedded() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/examples");
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .expect("tests/examples")
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.strip_suffix(".json").map(str::to_owned)
        })
        .collect();
    on_disk.sort();
    let embedded: Vec<&str> = fuzzing::examples::EMBEDDED
        .iter()
        .map(|(n, _)| *n)
        .collect();
    assert_eq!(
        embedded, on_disk,
        "update EMBEDDED in properties/src/fuzzing/examples.rs to list every tests/examples/*.json"
    );
    for (name, text) in fuzzing::examples::EMBEDDED {
        let on_disk = std::fs::read_to_string(dir.join(format!("{name}.json"))).expect("read");
        assert_eq!(text, on_disk, "{name}: stale embedding (rebuild)");
    }
}

/// Every byte string decodes to a valid scenario (a few thousand deterministic ones).
#[test]
fn cancel_ordering_decodes_to_valid_graphs() {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    for n in 0..3000usize {
        let len = n % 200;
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 24) as u8
            })
            .collect();
        let case = decode_cancel_ordering(&bytes);
        if let Err(e) = &case.graph {
            panic!(
                "input {bytes:?} decodes to an invalid scenario: {e}\n{}",
                case.text
            );
        }
    }
}

/// The writer of the `graph_parser` target: every shipped scenario and generated ones come
/// back as the same model.
#[test]
fn graphs_written_back_parse_to_the_same_model() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut docs: Vec<(String, String)> = Vec::new();
    for dir in ["tests/examples", "examples/graphs", "examples/graphs/bugs"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        for e in entries.filter_map(Result::ok) {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "json") {
                docs.push((
                    p.display().to_string(),
                    std::fs::read_to_string(&p).unwrap(),
                ));
            }
        }
    }
    for seed in 0..300 {
        let text = aiosim_sim::generator::generate(seed, &Default::default());
        docs.push((format!("generated seed {seed}"), text));
    }
    for (name, text) in docs {
        let graph = parse_graph(text.as_bytes()).unwrap_or_else(|e| panic!("{name}: {e}"));
        let written = graph_to_json(&graph);
        let again = parse_graph(written.as_bytes())
            .unwrap_or_else(|e| panic!("{name}: written back: {e}\n{written}"));
        assert!(same_model(&graph, &again), "{name}: differs\n{written}");
    }
}

/// The record a crash report prints is one that `aiosim replay` reads.
#[test]
fn crash_records_are_failure_records() {
    let mut schedule = Schedule::new(PolicyKind::Replay, 0, aiosim::Level::Timing);
    schedule.decisions = vec![
        Decision {
            kind: ChoiceKind::Pick,
            options: 3,
            chosen: 2,
        },
        Decision {
            kind: ChoiceKind::Inject,
            options: 2,
            chosen: 0,
        },
    ];
    let failure = Failure {
        target: Target::CancelOrdering,
        violations: vec![Violation {
            check: "P5".into(),
            message: "a \"quoted\"\nmessage".into(),
        }],
        text: "{\"format\": \"aiosim-graph/1\"}\n".into(),
        run: Some(Box::new(RunFailure {
            injections: Vec::new(),
            schedule: schedule.clone(),
            trace_hash: "00000000000000ff".into(),
            replay: String::new(),
        })),
    };
    let text = failure
        .record_json("dir/crash.graph.json")
        .expect("a record");
    let record: FailureRecord = serde_json::from_str(&text).expect("a FailureRecord");
    assert_eq!(record.graph, "dir/crash.graph.json");
    assert_eq!(
        record.graph_hash,
        aiosim_sim::explore::failure::hex(aiosim_sim::trace::Fnv1a::hash(failure.text.as_bytes()))
    );
    assert_eq!(record.check, "P5");
    assert_eq!(record.message, "a \"quoted\"\nmessage");
    assert_eq!(record.violations.len(), 1);
    assert_eq!(record.trace_hash, "00000000000000ff");
    assert_eq!(record.schedule, schedule);
}

/// `AIOSIM_FUZZ_REPRO=<file>`: report on one input and write the replay files next to it.
#[test]
fn reproduce() {
    let Some(file) = std::env::var_os("AIOSIM_FUZZ_REPRO") else {
        return;
    };
    let file = PathBuf::from(file);
    let target_of = |dir: &Path| {
        std::env::var("AIOSIM_FUZZ_TARGET")
            .ok()
            .or_else(|| Some(dir.file_name()?.to_string_lossy().into_owned()))
            .and_then(|name| Target::from_name(&name))
            .expect("set AIOSIM_FUZZ_TARGET to cancel_ordering, graph_parser or schedule")
    };
    if file.is_dir() {
        // Triage: one line per input, with the checks it fails.
        let target = target_of(&file);
        let mut entries: Vec<PathBuf> = std::fs::read_dir(&file)
            .expect("read the directory")
            .filter_map(|e| Some(e.ok()?.path()))
            .filter(|p| p.is_file() && p.extension().is_none())
            .collect();
        entries.sort();
        for path in entries {
            let bytes = std::fs::read(&path).expect("read");
            let checks = match target.diagnose(&bytes) {
                Ok(()) => "ok".to_owned(),
                Err(f) => {
                    let mut ids: Vec<&str> = f.violations.iter().map(|v| &*v.check).collect();
                    ids.dedup();
                    ids.join(",")
                }
            };
            println!("{checks}\t{}", path.display());
        }
        return;
    }
    let target = target_of(file.parent().unwrap_or(Path::new(".")));
    let bytes = std::fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    match target.diagnose(&bytes) {
        Ok(()) => println!("{}: no check fails for this input", file.display()),
        Err(failure) => {
            println!("{failure}");
            let written = failure.write_files(&file).expect("write the replay files");
            for p in &written {
                println!("wrote {}", p.display());
            }
            if let Some(record) = written.get(1) {
                println!("replay: aiosim replay {}", record.display());
            }
        }
    }
}
