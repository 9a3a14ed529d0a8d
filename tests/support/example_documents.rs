//! The example scenarios as raw documents: the shared specification's examples beside the
//! workspace (`../shared/spec/examples/`, when present), then the workspace's own
//! `tests/examples/`.
//!
//! Included with `#[path]` by the tests of several packages.

#[path = "scenario_files.rs"]
mod scenario_files;

use std::path::PathBuf;

/// Every `*.json` example document, with its bytes: the spec's examples first (when present),
/// then `tests/examples/`, each folder sorted.
pub fn example_documents() -> Vec<(PathBuf, Vec<u8>)> {
    scenario_files::scenario_files(&["../shared/spec/examples", "tests/examples"], ".json")
        .into_iter()
        .map(|path| {
            let bytes = std::fs::read(&path).expect("example is readable");
            (path, bytes)
        })
        .collect()
}
