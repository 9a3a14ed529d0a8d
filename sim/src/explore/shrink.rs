//! Shrinking: from a failing schedule, find one that fails the same check with the fewest
//! deviations from CPython's order, then the shortest decision list.
//!
//! Each candidate is run as a replay of a modified decision list; where the modification makes
//! the rest of the list stop fitting, the replay takes CPython's choice from there on, and the
//! decisions the run actually made become the new list. Steps, repeated until none helps:
//! drop the tail after each deviation, undo single deviations (latest first), and lower a
//! deviation's chosen option. Trailing CPython choices are trimmed, since a replay takes
//! them anyway once the list ends.

use crate::policy::{Decision, Schedule, deviations};

use super::run::{Explorer, RunResult};

/// The result of shrinking.
#[derive(Clone, Debug)]
pub struct Shrunk {
    /// The minimal failing run (its schedule replays it exactly).
    pub result: RunResult,
    /// Deviations from FIFO in the minimal schedule.
    pub deviations: usize,
    /// Runs made while shrinking.
    pub attempts: u64,
}

fn trimmed(mut d: Vec<Decision>) -> Vec<Decision> {
    while d.last().is_some_and(|x| x.chosen == 0) {
        d.pop();
    }
    d
}

/// Shrinks `failing`, keeping failures of the check named `check`. Returns `None` if the
/// schedule does not reproduce that failure at all.
pub fn shrink(explorer: &Explorer, failing: &Schedule, check: &str) -> Option<Shrunk> {
    let mut attempts = 0u64;
    let mut attempt = |decisions: Vec<Decision>| -> Option<RunResult> {
        attempts += 1;
        let result = explorer.run(&failing.replaying(decisions));
        result
            .violations
            .iter()
            .any(|v| &*v.check == check)
            .then_some(result)
    };
    let mut best = attempt(failing.decisions.clone())?;
    let mut current = trimmed(best.schedule.decisions.clone());
    loop {
        let mut improved = false;
        let positions: Vec<usize> = (0..current.len())
            .rev()
            .filter(|&i| current[i].chosen != 0)
            .collect();
        // Cut everything after a deviation (the earliest cut that still fails wins).
        for &i in positions.iter().rev() {
            if let Some(r) = attempt(current[..=i].to_vec()) {
                let next = trimmed(r.schedule.decisions.clone());
                if better(&next, &current) {
                    current = next;
                    best = r;
                    improved = true;
                    break;
                }
            }
        }
        // Undo one deviation at a time, latest first.
        for &i in &positions {
            if i >= current.len() || current[i].chosen == 0 {
                continue;
            }
            let mut candidate = current.clone();
            candidate[i].chosen = 0;
            if let Some(r) = attempt(candidate) {
                let next = trimmed(r.schedule.decisions.clone());
                if better(&next, &current) {
                    current = next;
                    best = r;
                    improved = true;
                }
            }
        }
        // Prefer the smallest option at each remaining deviation.
        let mut i = 0;
        while i < current.len() {
            for lower in 1..current[i].chosen {
                let mut candidate = current.clone();
                candidate[i].chosen = lower;
                if let Some(r) = attempt(candidate) {
                    let next = trimmed(r.schedule.decisions.clone());
                    if better(&next, &current) {
                        current = next;
                        best = r;
                        improved = true;
                        break;
                    }
                }
            }
            i += 1;
        }
        if !improved {
            break;
        }
    }
    let final_schedule = failing.replaying(current.clone());
    let result = explorer.run(&final_schedule);
    let mut result = if result.violations.iter().any(|v| &*v.check == check) {
        result
    } else {
        best
    };
    // A replay takes CPython's choice once the list ends: keep the list without its tail.
    result.schedule.decisions = trimmed(result.schedule.decisions);
    Some(Shrunk {
        deviations: deviations(&current),
        result,
        attempts,
    })
}

/// Fewer deviations first, then a shorter list, then smaller options.
fn better(a: &[Decision], b: &[Decision]) -> bool {
    let key = |d: &[Decision]| {
        (
            deviations(d),
            d.len(),
            d.iter().map(|x| u64::from(x.chosen)).sum::<u64>(),
        )
    };
    key(a) < key(b)
}
