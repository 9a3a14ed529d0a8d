//! Building workspace executables from a test, in the test's own profile, and finding them
//! through the paths cargo reports (`--message-format=json`) rather than by guessing the
//! target directory's layout (`CARGO_TARGET_DIR`, `--release`, a custom profile, `--target`
//! and `build-dir` all work).
//!
//! Included with `#[path]` by the tests of several packages.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The cargo arguments that select the profile the running test binary was built with,
/// judged from its output directory (`target/<profile dir>/deps/<test>-<hash>`): none for
/// `debug`, the default profile.
fn profile_args() -> Vec<String> {
    let exe = std::env::current_exe().expect("the test knows its own path");
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .and_then(Path::file_name)
        .and_then(|d| d.to_str())
        .unwrap_or("debug");
    match dir {
        "debug" => Vec::new(),
        "release" => vec!["--release".into()],
        other => vec!["--profile".into(), other.into()],
    }
}

/// Runs `cargo build --quiet --message-format=json ARGS --manifest-path MANIFEST` in this
/// test's profile and returns, by target name, the executable cargo reports for every built
/// target of kind `kind` (`"bin"`, `"example"`). Panics when the build fails.
pub fn built_executables(manifest: &Path, kind: &str, args: &[&str]) -> HashMap<String, PathBuf> {
    let output = Command::new(env!("CARGO"))
        .args(["build", "--quiet", "--message-format=json"])
        .args(args)
        .arg("--manifest-path")
        .arg(manifest)
        .args(profile_args())
        .stderr(Stdio::inherit())
        .output()
        .expect("cargo can be started");
    assert!(
        output.status.success(),
        "`cargo build {}` failed: {}",
        args.join(" "),
        output.status
    );
    let mut executables = HashMap::new();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let Ok(msg) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let of_kind = msg["target"]["kind"]
            .as_array()
            .is_some_and(|kinds| kinds.iter().any(|k| k == kind));
        if msg["reason"] != "compiler-artifact" || !of_kind {
            continue;
        }
        if let (Some(name), Some(exe)) =
            (msg["target"]["name"].as_str(), msg["executable"].as_str())
        {
            executables.insert(name.to_owned(), PathBuf::from(exe));
        }
    }
    executables
}
