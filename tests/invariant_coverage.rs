//! Every invariant ID of the areas the runtime implements must be cited by an integration
//! test (`tests/*.rs`, in a test name such as `gather_3_...` or a comment such as
//! `// GATHER-3`) or listed, with the reason, in the table of `tests/README.md`.
//!
//! The IDs come from the semantics catalogue when it is present (`../shared/docs/
//! asyncio-semantics.md` beside the checkout, or the file named by `AIOSIM_SEMANTICS_DOC`), else from the copy
//! kept in `tests/data/invariant_ids.txt`. When the catalogue is present the copy must list
//! exactly its IDs, so it cannot go stale.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The areas whose every ID must be covered.
const AREAS: [&str; 12] = [
    "FUT", "TASK", "LOOP", "SLEEP", "GATHER", "WAIT", "WAITFOR", "SHIELD", "ASC", "TMO", "TG",
    "RUN",
];

/// The catalogue's place relative to the repository root: in the folder beside the checkout.
const DEFAULT_DOC: &str = "../shared/docs/asyncio-semantics.md";

fn tests_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests")
}

/// `AREA-n` if `s` starts with one of [`AREAS`] followed by `-` and digits.
fn parse_id(s: &str) -> Option<String> {
    let (area, rest) = s.split_once('-')?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    (AREAS.contains(&area) && !digits.is_empty()).then(|| format!("{area}-{digits}"))
}

/// The IDs a catalogue defines: lines of the form `- **AREA-n** ...`.
fn ids_in_catalogue(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter_map(|l| l.strip_prefix("- **"))
        .filter_map(|l| l.split_once("**").map(|(id, _)| id))
        .filter_map(|id| parse_id(id).filter(|p| p == id))
        .collect()
}

fn ids_in_copy(text: &str) -> BTreeSet<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            parse_id(l)
                .filter(|p| p == l)
                .unwrap_or_else(|| panic!("bad ID {l:?}"))
        })
        .collect()
}

/// Whether `needle` occurs in `hay` as a whole token: not preceded by a letter, digit, `_`
/// or `-`, and not followed by a digit (so `TASK-1` does not match `TASK-14`).
fn mentions_token(hay: &str, needle: &str) -> bool {
    let bytes = hay.as_bytes();
    let mut from = 0;
    while let Some(pos) = hay[from..].find(needle) {
        let start = from + pos;
        let end = start + needle.len();
        let before_ok = start == 0 || {
            let b = bytes[start - 1];
            !(b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        };
        let after_ok = end >= bytes.len() || !bytes[end].is_ascii_digit();
        if before_ok && after_ok {
            return true;
        }
        from = start + 1;
    }
    false
}

/// `GATHER-3` is cited as `GATHER-3` or, in a test name, as `gather_3`.
fn cites(text: &str, id: &str) -> bool {
    let snake = id.to_ascii_lowercase().replace('-', "_");
    mentions_token(text, id) || mentions_token(text, &snake)
}

fn test_sources() -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(tests_dir()).expect("tests/ is readable") {
        let path = entry.expect("a directory entry").path();
        let is_rs = path.extension().is_some_and(|e| e == "rs");
        let is_me = path
            .file_name()
            .is_some_and(|n| n == "invariant_coverage.rs");
        if is_rs && !is_me {
            let text = std::fs::read_to_string(&path).expect("a readable test file");
            out.push((path, text));
        }
    }
    out
}

/// IDs listed in the first column of a table row of `tests/README.md`.
fn ids_listed_in_readme() -> BTreeSet<String> {
    let text = std::fs::read_to_string(tests_dir().join("README.md")).unwrap_or_default();
    let mut out = BTreeSet::new();
    for line in text.lines().filter(|l| l.trim_start().starts_with('|')) {
        let first = line.trim_start().trim_start_matches('|');
        let cell = first.split('|').next().unwrap_or("");
        for word in cell.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-')) {
            if let Some(id) = parse_id(word).filter(|p| p == word) {
                out.insert(id);
            }
        }
    }
    out
}

fn catalogue_ids() -> BTreeSet<String> {
    let copy_path = tests_dir().join("data/invariant_ids.txt");
    let copy = std::fs::read_to_string(&copy_path).map(|t| ids_in_copy(&t));
    let doc_path = std::env::var("AIOSIM_SEMANTICS_DOC").unwrap_or_else(|_| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        root.join(DEFAULT_DOC).display().to_string()
    });
    match std::fs::read_to_string(&doc_path) {
        Ok(doc) => {
            let ids = ids_in_catalogue(&doc);
            assert!(ids.len() > 100, "{doc_path}: only {} IDs found", ids.len());
            let copy = copy.expect("tests/data/invariant_ids.txt exists");
            let missing: Vec<_> = ids.difference(&copy).collect();
            let extra: Vec<_> = copy.difference(&ids).collect();
            assert!(
                missing.is_empty() && extra.is_empty(),
                "tests/data/invariant_ids.txt is out of date with {doc_path}: \
                 add {missing:?}, remove {extra:?}"
            );
            ids
        }
        Err(_) => copy.expect("neither the catalogue nor tests/data/invariant_ids.txt"),
    }
}

#[test]
fn every_invariant_id_is_tested_or_listed_in_the_readme() {
    let ids = catalogue_ids();
    for area in AREAS {
        assert!(
            ids.iter().any(|id| id.starts_with(&format!("{area}-"))),
            "no ID of area {area}"
        );
    }
    let sources = test_sources();
    let listed = ids_listed_in_readme();
    let uncovered: Vec<&String> = ids
        .iter()
        .filter(|id| !listed.contains(*id) && !sources.iter().any(|(_, t)| cites(t, id)))
        .collect();
    assert!(
        uncovered.is_empty(),
        "{} invariant IDs are neither cited by a test in tests/*.rs nor listed in \
         tests/README.md: {uncovered:?}",
        uncovered.len()
    );
}

#[test]
fn the_matcher_tells_ids_apart() {
    assert!(cites("fn task_1_create_task() {}", "TASK-1"));
    assert!(!cites("fn task_14a_waiting() {}", "TASK-1"));
    assert!(cites("fn task_14a_waiting() {}", "TASK-14"));
    assert!(cites("// TASK-14 (c)", "TASK-14"));
    assert!(!cites("// TASK-14", "TASK-1"));
    assert!(!cites("fn waitfor_1_x() {}", "WAIT-1"));
    assert!(!cites("// WAITFOR-1", "WAIT-1"));
    assert!(!cites("fn sub_wait_1() {}", "WAIT-1"));
    assert!(cites("fn wait_1_splits() {}", "WAIT-1"));
    assert_eq!(parse_id("EAGER-1"), None);
    assert_eq!(parse_id("TG-11"), Some("TG-11".into()));
    let doc = "- **FUT-1** a\n- **EAGER-2** b\n  - **TG-3** nested\n- **TMO-9** c";
    let ids: Vec<String> = ids_in_catalogue(doc).into_iter().collect();
    assert_eq!(ids, vec!["FUT-1", "TMO-9"]);
}
