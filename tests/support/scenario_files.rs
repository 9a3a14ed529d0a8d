//! The scenario files of the workspace (`tests/examples/`, `tests/reference/cases/`, ...)
//! and, where present, the shared specification's examples beside the workspace
//! (`../shared/spec/examples/`).
//!
//! Included with `#[path]` by the tests of several packages.

use std::path::{Path, PathBuf};

/// The workspace root: the nearest folder at or above the including package whose
/// `Cargo.toml` declares the workspace.
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .find(|dir| {
            std::fs::read_to_string(dir.join("Cargo.toml"))
                .is_ok_and(|manifest| manifest.contains("[workspace]"))
        })
        .expect("the package belongs to a workspace")
        .to_path_buf()
}

/// The files directly inside `folders` whose names end with `suffix`: the folders in the
/// order given, the files of each sorted by path.
///
/// Folders are relative to the workspace root. A folder beside the workspace (one starting
/// with `..`, such as `../shared/spec/examples`) exists only on some machines and is skipped
/// when absent; the workspace's own folders must be readable.
pub fn scenario_files(folders: &[&str], suffix: &str) -> Vec<PathBuf> {
    let root = workspace_root();
    let mut files = Vec::new();
    for folder in folders {
        let dir = root.join(folder);
        if folder.starts_with("..") && !dir.is_dir() {
            continue;
        }
        let mut found: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
            .map(|entry| entry.expect("directory entry").path())
            .filter(|path| {
                path.file_name()
                    .is_some_and(|name| name.to_string_lossy().ends_with(suffix))
            })
            .collect();
        found.sort();
        files.extend(found);
    }
    files
}
