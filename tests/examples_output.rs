//! Runs every seed example of `examples/` and checks its exact standard output: the lines the
//! Python original prints on CPython 3.12 (on a virtual-time loop, so clock readings are ticks).
//!
//! The examples are built once per test process with `cargo build --examples
//! --message-format=json`, in the profile this test was built with, and each binary is found
//! through the path cargo reports for it, so the test does not guess the target directory's
//! layout (`CARGO_TARGET_DIR`, `--release`, a custom profile or `build-dir` all work).

#[path = "support/cargo_build.rs"]
mod cargo_build;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// Example name → executable path, from one build of all examples.
fn example_binaries() -> &'static HashMap<String, PathBuf> {
    static BINARIES: OnceLock<HashMap<String, PathBuf>> = OnceLock::new();
    BINARIES.get_or_init(|| {
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
        cargo_build::built_executables(
            &manifest,
            "example",
            &["--examples", "--package", env!("CARGO_PKG_NAME")],
        )
    })
}

/// Runs example `name` and asserts that it succeeds and prints exactly `expected`.
fn assert_output(name: &str, expected: &str) {
    let exe = example_binaries()
        .get(name)
        .unwrap_or_else(|| panic!("cargo reported no executable for example `{name}`"));
    let output = Command::new(exe)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", exe.display()));
    assert!(
        output.status.success(),
        "example `{name}` failed ({}); stderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        expected,
        "stdout of example `{name}`"
    );
}

#[test]
fn create_and_await() {
    assert_output("create_and_await", "42\n");
}

#[test]
fn chain_coroutines() {
    assert_output("chain_coroutines", "Compute 1 + 2 ...\n1 + 2 = 3\n");
}

#[test]
fn cancel_before_start() {
    assert_output(
        "cancel_before_start",
        "run_until_complete: CancelledError\ncancelled: True\n",
    );
}

#[test]
fn cancel_while_sleeping() {
    assert_output(
        "cancel_while_sleeping",
        "cancel_me(): before sleep\n\
         cancel_me(): cancel sleep\n\
         cancel_me(): after sleep\n\
         main(): cancel_me is cancelled now\n",
    );
}

#[test]
fn ensure_future_inner_outer() {
    assert_output(
        "ensure_future_inner_outer",
        "0 outer: scheduling inner\n\
         0 outer: awaiting inner\n\
         0 inner: started\n\
         1 inner: done\n\
         1 outer: got 'inner result'\n",
    );
}

#[test]
fn say_after() {
    assert_output(
        "say_after",
        "started at 0\nhello\nworld\nfinished at 3\n\
         started at 0\nhello\nworld\nfinished at 2\n",
    );
}
