//! Oracles of one area of the catalogue (being written).

use crate::oracle::Oracle;

/// IDs of this area without an oracle: (ID, reason and where it is tested).
pub const NOT_JUDGED: &[(&str, &str)] = &[];

/// This area's oracles.
pub fn oracles() -> Vec<Box<dyn Oracle>> {
    Vec::new()
}
