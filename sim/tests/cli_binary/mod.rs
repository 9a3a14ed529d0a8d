//! The `aiosim` command-line binary, for the tests that run it end to end.
//!
//! `CARGO_BIN_EXE_aiosim` exists only for the tests of the package that owns the binary
//! (`aiosim-cli`), and guessing `target/<profile>/aiosim` can pick up a stale binary or miss
//! `CARGO_TARGET_DIR`, `--target` and custom profiles. So unless cargo provides the path, the
//! binary is built once per test process in the test's profile, and found through the path
//! cargo reports: always fresh, wherever the target directory is.

#[path = "../../../tests/support/cargo_build.rs"]
mod cargo_build;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The path of the `aiosim` executable, built for this test run.
pub fn aiosim_binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| match option_env!("CARGO_BIN_EXE_aiosim") {
        Some(path) => PathBuf::from(path),
        None => {
            let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.toml");
            cargo_build::built_executables(
                &manifest,
                "bin",
                &["--package", "aiosim-cli", "--bin", "aiosim"],
            )
            .remove("aiosim")
            .expect("cargo reports the aiosim executable")
        }
    })
}
