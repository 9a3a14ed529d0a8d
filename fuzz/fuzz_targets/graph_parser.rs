//! Arbitrary bytes into the graph reader and validator: it must return a value or a located
//! error, never panic or hang; a valid document, written back from its model, must parse to
//! the same model. The checks live in `aiosim_properties::fuzzing`, shared with the stable
//! test `properties/tests/fuzz_corpus.rs`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    aiosim_properties::fuzzing::install_panic_hook();
    aiosim_properties::fuzzing::graph_parser(data);
});
