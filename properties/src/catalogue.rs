//! Every invariant ID of the catalogue (semantics section 1) in the areas of the runtime, and
//! where each one is judged: by an oracle of [`crate::oracles::all`], or, with the reason and
//! the place it is tested instead, by an entry of [`crate::oracles::not_judged`].
//!
//! ```
//! use aiosim_properties::catalogue::{self, Judgement};
//! assert!(catalogue::IDS.contains(&"GATHER-1"));
//! match catalogue::judgement("GATHER-1") {
//!     Judgement::Oracle | Judgement::NotJudged(_) | Judgement::Missing => {}
//! }
//! ```

use crate::oracle::Oracles;

/// The areas of the catalogue that the runtime implements, in catalogue order.
pub const AREAS: [&str; 13] = [
    "FUT", "TASK", "LOOP", "SLEEP", "GATHER", "WAIT", "WAITFOR", "SHIELD", "ASC", "TMO", "TG",
    "RUN", "EAGER",
];

/// How many invariants each area of [`AREAS`] has (semantics section 1; IDs are stable and
/// new ones are appended, so an area's IDs are `AREA-1` to `AREA-n`).
const COUNTS: [usize; 13] = [12, 20, 9, 5, 13, 7, 10, 6, 6, 9, 11, 7, 2];

/// Every ID, in catalogue order.
pub const IDS: &[&str] = &[
    "FUT-1",
    "FUT-2",
    "FUT-3",
    "FUT-4",
    "FUT-5",
    "FUT-6",
    "FUT-7",
    "FUT-8",
    "FUT-9",
    "FUT-10",
    "FUT-11",
    "FUT-12", //
    "TASK-1",
    "TASK-2",
    "TASK-3",
    "TASK-4",
    "TASK-5",
    "TASK-6",
    "TASK-7",
    "TASK-8",
    "TASK-9",
    "TASK-10",
    "TASK-11",
    "TASK-12",
    "TASK-13",
    "TASK-14",
    "TASK-15",
    "TASK-16",
    "TASK-17",
    "TASK-18",
    "TASK-19",
    "TASK-20", //
    "LOOP-1",
    "LOOP-2",
    "LOOP-3",
    "LOOP-4",
    "LOOP-5",
    "LOOP-6",
    "LOOP-7",
    "LOOP-8",
    "LOOP-9", //
    "SLEEP-1",
    "SLEEP-2",
    "SLEEP-3",
    "SLEEP-4",
    "SLEEP-5", //
    "GATHER-1",
    "GATHER-2",
    "GATHER-3",
    "GATHER-4",
    "GATHER-5",
    "GATHER-6",
    "GATHER-7",
    "GATHER-8",
    "GATHER-9",
    "GATHER-10",
    "GATHER-11",
    "GATHER-12",
    "GATHER-13", //
    "WAIT-1",
    "WAIT-2",
    "WAIT-3",
    "WAIT-4",
    "WAIT-5",
    "WAIT-6",
    "WAIT-7", //
    "WAITFOR-1",
    "WAITFOR-2",
    "WAITFOR-3",
    "WAITFOR-4",
    "WAITFOR-5",
    "WAITFOR-6",
    "WAITFOR-7",
    "WAITFOR-8",
    "WAITFOR-9",
    "WAITFOR-10", //
    "SHIELD-1",
    "SHIELD-2",
    "SHIELD-3",
    "SHIELD-4",
    "SHIELD-5",
    "SHIELD-6", //
    "ASC-1",
    "ASC-2",
    "ASC-3",
    "ASC-4",
    "ASC-5",
    "ASC-6", //
    "TMO-1",
    "TMO-2",
    "TMO-3",
    "TMO-4",
    "TMO-5",
    "TMO-6",
    "TMO-7",
    "TMO-8",
    "TMO-9", //
    "TG-1",
    "TG-2",
    "TG-3",
    "TG-4",
    "TG-5",
    "TG-6",
    "TG-7",
    "TG-8",
    "TG-9",
    "TG-10",
    "TG-11", //
    "RUN-1",
    "RUN-2",
    "RUN-3",
    "RUN-4",
    "RUN-5",
    "RUN-6",
    "RUN-7", //
    "EAGER-1",
    "EAGER-2",
];

/// Where an ID is judged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Judgement {
    /// An oracle of [`Oracles::all`] judges it after every run.
    Oracle,
    /// It cannot be judged from a run: the reason, and where it is tested instead.
    NotJudged(&'static str),
    /// Neither: a gap.
    Missing,
}

/// Where `id` is judged. An ID with both an oracle and a `not_judged` entry counts as
/// judged by its oracle (and is reported by [`conflicts`]).
pub fn judgement(id: &str) -> Judgement {
    judgements()
        .into_iter()
        .find(|(i, _)| *i == id)
        .map_or(Judgement::Missing, |(_, j)| j)
}

/// Every ID of [`IDS`] with its judgement, in catalogue order.
pub fn judgements() -> Vec<(&'static str, Judgement)> {
    let oracles = Oracles::all().ids();
    let not_judged = crate::oracles::not_judged();
    IDS.iter()
        .map(|&id| {
            let j = if oracles.contains(&id) {
                Judgement::Oracle
            } else if let Some((_, why)) = not_judged.iter().find(|(i, _)| *i == id) {
                Judgement::NotJudged(why)
            } else {
                Judgement::Missing
            };
            (id, j)
        })
        .collect()
}

/// IDs that have neither an oracle nor a `not_judged` entry.
pub fn missing() -> Vec<&'static str> {
    judgements()
        .into_iter()
        .filter(|(_, j)| *j == Judgement::Missing)
        .map(|(id, _)| id)
        .collect()
}

/// IDs that have both an oracle and a `not_judged` entry, and registered IDs (of an oracle
/// or a `not_judged` entry) that are not in the catalogue.
pub fn conflicts() -> Vec<String> {
    let oracles = Oracles::all().ids();
    let not_judged = crate::oracles::not_judged();
    let mut out = Vec::new();
    for (id, _) in &not_judged {
        if oracles.contains(id) {
            out.push(format!("{id} has an oracle and a not_judged entry"));
        }
    }
    for id in oracles.iter().chain(not_judged.iter().map(|(id, _)| id)) {
        if !IDS.contains(id) {
            out.push(format!("{id} is registered but not an ID of the catalogue"));
        }
    }
    out
}

/// Whether [`IDS`] is exactly `AREA-1` to `AREA-n` for each area with its count.
pub fn ids_are_consistent() -> bool {
    let expected: Vec<String> = AREAS
        .iter()
        .zip(COUNTS)
        .flat_map(|(area, n)| (1..=n).map(move |k| format!("{area}-{k}")))
        .collect();
    expected.iter().map(String::as_str).eq(IDS.iter().copied())
}
