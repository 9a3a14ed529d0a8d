//! The fixed graphs of the `schedule` target: every `tests/examples/*.json`, embedded at
//! compile time (the test `fuzz_corpus::examples_are_all_embedded` fails when a file is added
//! to or removed from that directory without updating [`EMBEDDED`]).
//!
//! Setting `AIOSIM_FUZZ_GRAPH=FILE` replaces the whole set with that one scenario (read
//! once), to point the target at one graph, for example a bug graph whose `expect` fails
//! under some schedules.

use std::sync::{Arc, OnceLock};

use aiosim_sim::graph::{Graph, parse_graph};

/// The embedded examples: `(name, document)`, sorted by name.
pub const EMBEDDED: [(&str, &str); 20] = [
    (
        "as_completed_abandoned",
        include_str!("../../../tests/examples/as_completed_abandoned.json"),
    ),
    (
        "as_completed_basic",
        include_str!("../../../tests/examples/as_completed_basic.json"),
    ),
    (
        "callbacks",
        include_str!("../../../tests/examples/callbacks.json"),
    ),
    (
        "cancel_before_start",
        include_str!("../../../tests/examples/cancel_before_start.json"),
    ),
    (
        "cancel_messages",
        include_str!("../../../tests/examples/cancel_messages.json"),
    ),
    (
        "deadlock",
        include_str!("../../../tests/examples/deadlock.json"),
    ),
    (
        "futures",
        include_str!("../../../tests/examples/futures.json"),
    ),
    (
        "gather_basic",
        include_str!("../../../tests/examples/gather_basic.json"),
    ),
    (
        "hello_sleep",
        include_str!("../../../tests/examples/hello_sleep.json"),
    ),
    (
        "leftover_cancel",
        include_str!("../../../tests/examples/leftover_cancel.json"),
    ),
    (
        "queries",
        include_str!("../../../tests/examples/queries.json"),
    ),
    (
        "reraise_lexical",
        include_str!("../../../tests/examples/reraise_lexical.json"),
    ),
    (
        "shield_basic",
        include_str!("../../../tests/examples/shield_basic.json"),
    ),
    (
        "shutdown_straggler",
        include_str!("../../../tests/examples/shutdown_straggler.json"),
    ),
    (
        "taskgroup_basic",
        include_str!("../../../tests/examples/taskgroup_basic.json"),
    ),
    (
        "timeout_block",
        include_str!("../../../tests/examples/timeout_block.json"),
    ),
    (
        "timer_ghost",
        include_str!("../../../tests/examples/timer_ghost.json"),
    ),
    (
        "try_except_finally",
        include_str!("../../../tests/examples/try_except_finally.json"),
    ),
    (
        "wait_first_completed",
        include_str!("../../../tests/examples/wait_first_completed.json"),
    ),
    (
        "wait_for_timeout",
        include_str!("../../../tests/examples/wait_for_timeout.json"),
    ),
];

/// A fixed graph: its name, its document text and the parsed model.
#[derive(Debug)]
pub struct Fixed {
    /// File stem (or the path given in `AIOSIM_FUZZ_GRAPH`).
    pub name: String,
    /// The document.
    pub text: &'static str,
    /// The model.
    pub graph: Arc<Graph>,
}

/// The graphs of the `schedule` target (parsed once per process).
///
/// # Panics
///
/// If an embedded example does not parse, or `AIOSIM_FUZZ_GRAPH` names a file that cannot
/// be read or is not a valid scenario.
pub fn graphs() -> &'static [Fixed] {
    static GRAPHS: OnceLock<Vec<Fixed>> = OnceLock::new();
    GRAPHS.get_or_init(|| {
        if let Some(path) = std::env::var_os("AIOSIM_FUZZ_GRAPH") {
            let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
                panic!("AIOSIM_FUZZ_GRAPH={}: cannot read it: {e}", path.display())
            });
            let text: &'static str = Box::leak(text.into_boxed_str());
            return vec![fixed(path.to_string_lossy().into_owned(), text)];
        }
        EMBEDDED
            .iter()
            .map(|(name, text)| fixed((*name).to_owned(), text))
            .collect()
    })
}

fn fixed(name: String, text: &'static str) -> Fixed {
    let graph = parse_graph(text.as_bytes())
        .unwrap_or_else(|e| panic!("fixed graph {name} is not a valid scenario: {e}"));
    Fixed {
        name,
        text,
        graph: Arc::new(graph),
    }
}
