//! The shipped examples (`tests/examples/*.json`, embedded; or the one file named by
//! `AIOSIM_FUZZ_GRAPH`) under schedules read from the input; the same checks as
//! `cancel_ordering`. Input format: `aiosim_properties::fuzzing` (module docs).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "mutation.rs"]
mod mutation;

fuzz_target!(|data: &[u8]| {
    aiosim_properties::fuzzing::install_panic_hook();
    mutation::apply();
    aiosim_properties::fuzzing::schedule(data);
});
