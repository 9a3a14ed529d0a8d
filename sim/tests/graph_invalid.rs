//! Invalid documents: the corpus in `tests/invalid/`, truncated examples, and nesting at
//! the edge of the reader's limit.
//!
//! Each corpus file `NAME.json` has a sidecar `NAME.where`: its first line is the location
//! the error must name (a JSON path, or `line L, column C`), its second line a fragment of
//! the message that says what is wrong.

#[path = "../../tests/support/example_documents.rs"]
mod example_documents;

use std::path::{Path, PathBuf};
use std::thread;

use aiosim_sim::graph::{GraphError, parse_graph};
use example_documents::example_documents;

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/invalid")
}

/// Checks that `error` is located exactly at `location` (the displayed error starts with it,
/// followed by the message or the reader's text position) and that its message contains
/// `problem`; explains the mismatch otherwise.
fn check_error(error: &GraphError, location: &str, problem: &str) -> Result<(), String> {
    let shown = error.to_string();
    let located = shown
        .strip_prefix(location)
        .is_some_and(|rest| rest.starts_with(": ") || rest.starts_with(" (line "));
    if !located {
        return Err(format!("expected location {location:?}, got: {shown}"));
    }
    if !error.message().contains(problem) {
        return Err(format!(
            "expected a message about {problem:?}, got: {shown}"
        ));
    }
    Ok(())
}

fn assert_error(name: &str, error: &GraphError, location: &str, problem: &str) {
    if let Err(mismatch) = check_error(error, location, problem) {
        panic!("{name}: {mismatch}");
    }
}

#[test]
fn corpus_is_rejected_with_located_errors() {
    let mut names: Vec<String> = std::fs::read_dir(corpus_dir())
        .expect("tests/invalid exists")
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .map(|path| path.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut failures = Vec::new();
    assert!(
        names.len() >= 40,
        "the corpus has only {} files",
        names.len()
    );
    for name in &names {
        let bytes = std::fs::read(corpus_dir().join(format!("{name}.json"))).unwrap();
        let sidecar = std::fs::read_to_string(corpus_dir().join(format!("{name}.where")))
            .unwrap_or_else(|_| panic!("{name}.where is missing"));
        let mut lines = sidecar.lines();
        let location = lines.next().unwrap_or_default();
        let problem = lines.next().unwrap_or_default();
        let outcome = match parse_graph(&bytes) {
            Ok(_) => Err("accepted".to_owned()),
            Err(error) => check_error(&error, location, problem),
        };
        if let Err(mismatch) = outcome {
            failures.push(format!("{name}: {mismatch}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn truncated_examples_are_rejected() {
    for (path, bytes) in example_documents() {
        // Everything before the closing brace of the top-level object is a strict prefix of
        // the document's value, so cutting anywhere there leaves an incomplete document.
        let end = bytes.iter().rposition(|&b| b == b'}').expect("an object");
        for cut in 0..=end {
            if let Ok(graph) = parse_graph(&bytes[..cut]) {
                panic!("{} cut at {cut} was accepted: {graph:?}", path.display());
            }
        }
    }
}

/// Runs `f` on a thread with a 2 MiB stack, the default for test threads.
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(f)
        .expect("thread starts")
        .join()
        .expect("no panic or overflow")
}

#[test]
fn nesting_1000_deep_is_read_on_a_small_stack() {
    let error = on_small_stack(|| {
        let text = format!("{}{}", "[".repeat(1000), "]".repeat(1000));
        parse_graph(text.as_bytes()).expect_err("an array is not a document")
    });
    assert_error("1000 arrays", &error, "$", "the document must be an object");

    let error = on_small_stack(|| {
        let text = format!("{}1{}", r#"{"a":"#.repeat(1000), "}".repeat(1000));
        parse_graph(text.as_bytes()).expect_err("not a scenario")
    });
    assert_error("1000 objects", &error, "$.a", "unknown key \"a\"");
}

/// A valid document whose expectation nests outcome groups to exactly `levels` levels of
/// objects and arrays (`levels` must be even).
fn deep_expectation(levels: usize) -> String {
    // top object 1, expect 2, entry 3, run 4; each group adds its excs list and an outcome.
    let groups = (levels - 4) / 2;
    let mut outcome = r#"{"err":"E","msg":"m"}"#.to_owned();
    for _ in 0..groups {
        outcome = format!(r#"{{"err":"ExceptionGroup","msg":"g","excs":[{outcome}]}}"#);
    }
    format!(
        r#"{{"format":"aiosim-graph/1","name":"deep","main":"main","tasks":{{"main":[]}},"expect":[{{"run":{outcome}}}]}}"#
    )
}

#[test]
fn deep_expectations_up_to_the_limit_are_valid() {
    let graph = on_small_stack(|| parse_graph(deep_expectation(1000).as_bytes()));
    assert!(graph.is_ok(), "{graph:?}");
    let error = on_small_stack(|| parse_graph(deep_expectation(1002).as_bytes()));
    let error = error.expect_err("1002 levels");
    assert!(
        error.message().contains("nest more than 1000 levels"),
        "{error}"
    );
}

#[test]
fn nesting_1001_deep_is_rejected() {
    let error = on_small_stack(|| {
        let text = format!("{}{}", "[".repeat(1001), "]".repeat(1001));
        parse_graph(text.as_bytes()).expect_err("too deep")
    });
    // The path's middle is left out: 1000 levels, of which the first and last 40 are shown.
    let path = format!("${}…(920 levels)…{}", "[0]".repeat(40), "[0]".repeat(40));
    assert_error("1001 arrays", &error, &path, "nest more than 1000 levels");

    // Far deeper input, unterminated: still a located error, without deep recursion.
    let error = on_small_stack(|| {
        let text = "[{\"a\":".repeat(200_000);
        parse_graph(text.as_bytes()).expect_err("too deep")
    });
    assert!(
        error.message().contains("nest more than 1000 levels"),
        "{error}"
    );
}

#[test]
fn odd_inputs_are_errors_not_panics() {
    let inputs: [&[u8]; 10] = [
        b"",
        b" ",
        b"null",
        b"\"aiosim-graph/1\"",
        b"{",
        b"{\"format\"",
        b"\xff\xfe{}",
        b"{\"format\":\"aiosim-graph/1\",\"name\":\"x\",\"main\":\"main\",\"tasks\":{\"main\":[]}}\x00",
        b"99999999999999999999999999999999999999999999999999999999999999999999999999999999",
        b"-",
    ];
    for input in inputs {
        assert!(parse_graph(input).is_err(), "{input:?}");
    }
}

/// A document whose main task's only op is `op` (JSON text).
fn with_op(op: &str) -> String {
    format!(r#"{{"format":"aiosim-graph/1","name":"x","main":"main","tasks":{{"main":[{op}]}}}}"#)
}

#[test]
fn long_numbers_keys_and_lists_are_shortened_in_messages() {
    let digits = "9".repeat(100_000);
    for (text, shown) in [
        (
            with_op(&format!(r#"{{"sleep":{digits}}}"#)),
            "integer 9999999999",
        ),
        (
            with_op(&format!(r#"{{"sleep":-{digits}}}"#)),
            "integer -999999999",
        ),
    ] {
        let error = parse_graph(text.as_bytes()).expect_err("out of range");
        let shown_error = error.to_string();
        assert!(shown_error.len() < 300, "{shown_error}");
        assert_error("a long number", &error, "$.tasks.main[0].sleep", shown);
        assert!(error.message().contains("…(100000 digits)"), "{error}");
    }

    let key = "k".repeat(1000);
    let text = format!(
        r#"{{"format":"aiosim-graph/1","name":"x","main":"main","tasks":{{"main":[],"{key}":[{{"sleep":1.5}}]}}}}"#
    );
    let error = parse_graph(text.as_bytes()).expect_err("not an integer");
    let location = format!("$.tasks.{}…(1000 characters)[0].sleep", &key[..40]);
    assert_error("a long key", &error, &location, "must be integers");

    let error = parse_graph(with_op(&format!(r#"{{"{key}":1}}"#)).as_bytes()).expect_err("no op");
    assert_error(
        "a long key",
        &error,
        "$.tasks.main[0]",
        "…(1000 characters)]",
    );
    assert!(error.to_string().len() < 300, "{error}");

    let keys: Vec<String> = (0..100_000).map(|k| format!(r#""k{k}":1"#)).collect();
    let error =
        parse_graph(with_op(&format!("{{{}}}", keys.join(","))).as_bytes()).expect_err("no op");
    assert_error(
        "many keys",
        &error,
        "$.tasks.main[0]",
        "\"k7\", and 99992 more]",
    );
    assert!(error.to_string().len() < 300, "{error}");
}
