//! The example and reference scenarios shipped with the workspace (`tests/examples/` and
//! `tests/reference/cases/`), parsed.
//!
//! Included with `#[path]` by the tests of several packages.

#[path = "scenario_files.rs"]
mod scenario_files;

use std::path::PathBuf;
use std::sync::Arc;

use aiosim_sim::graph::{Graph, parse_graph};

/// Every `*.json` scenario of `tests/examples/`, then of `tests/reference/cases/` (each
/// folder sorted), parsed, with its path. Panics, naming the file, if one cannot be read or
/// parsed.
pub fn example_and_reference_graphs() -> Vec<(PathBuf, Arc<Graph>)> {
    scenario_files::scenario_files(&["tests/examples", "tests/reference/cases"], ".json")
        .into_iter()
        .map(|path| {
            let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let graph = parse_graph(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            (path, Arc::new(graph))
        })
        .collect()
}
