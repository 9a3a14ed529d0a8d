//! The `aiosim` command.
fn main() {}
