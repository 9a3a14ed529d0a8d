//! A cancellation-rich scenario, injected cancellations and every scheduling decision, all
//! decoded from the input; the run must pass the graph's `expect`, runtime sanity, the budget
//! and every invariant oracle. Input format: `aiosim_properties::fuzzing` (module docs).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "mutation.rs"]
mod mutation;

fuzz_target!(|data: &[u8]| {
    aiosim_properties::fuzzing::install_panic_hook();
    mutation::apply();
    aiosim_properties::fuzzing::cancel_ordering(data);
});
