//! Arbitrary bytes into the graph reader and validator: it must return a value or a located
//! error, never panic or hang.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = aiosim_sim::graph::parse_graph(data) {
        assert!(!e.to_string().is_empty());
    }
});
