//! aiosim runtime.
