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

/// Most runs spent looking for a single deviation that fails on its own.
const SINGLE_DEVIATION_BUDGET: usize = 2_000;

/// The search state: the smallest failing decision list found so far and its run.
struct Search<'a> {
    explorer: &'a Explorer,
    failing: &'a Schedule,
    check: &'a str,
    attempts: u64,
    current: Vec<Decision>,
    best: RunResult,
}

impl Search<'_> {
    /// Runs `candidate`; keeps it (as the decisions its run actually made, without the tail)
    /// if it still fails the check and is smaller. Returns whether it was kept.
    fn consider(&mut self, candidate: Vec<Decision>) -> bool {
        self.attempts += 1;
        let result = self.explorer.run(&self.failing.replaying(candidate));
        if !result.violations.iter().any(|v| &*v.check == self.check) {
            return false;
        }
        let next = trimmed(result.schedule.decisions.clone());
        if !better(&next, &self.current) {
            return false;
        }
        self.current = next;
        self.best = result;
        true
    }

    /// Tries every schedule with exactly one deviation at a choice point of the current list
    /// (CPython's choice everywhere else), up to [`SINGLE_DEVIATION_BUDGET`] runs: the
    /// one-step moves of the other steps can stall at two deviations where one suffices.
    fn single_deviation(&mut self) -> bool {
        if deviations(&self.current) <= 1 {
            return false;
        }
        let points: Vec<Decision> = self.current.clone();
        let mut budget = SINGLE_DEVIATION_BUDGET;
        for (i, point) in points.iter().enumerate() {
            for option in 1..point.options {
                if budget == 0 {
                    return false;
                }
                budget -= 1;
                let mut candidate: Vec<Decision> = points[..=i].to_vec();
                for d in &mut candidate {
                    d.chosen = 0;
                }
                candidate[i].chosen = option;
                if self.consider(candidate) {
                    return true;
                }
            }
        }
        false
    }

    /// One round of every step; returns whether anything got smaller.
    fn round(&mut self) -> bool {
        let mut improved = self.single_deviation();
        let deviating: Vec<usize> = (0..self.current.len())
            .filter(|&i| self.current[i].chosen != 0)
            .collect();
        // Cut everything after a deviation: the earliest cut that still fails wins.
        for &i in &deviating {
            if i < self.current.len() && self.consider(self.current[..=i].to_vec()) {
                improved = true;
                break;
            }
        }
        // Undo one deviation at a time, latest first.
        for &i in deviating.iter().rev() {
            if i < self.current.len() && self.current[i].chosen != 0 {
                let mut candidate = self.current.clone();
                candidate[i].chosen = 0;
                improved |= self.consider(candidate);
            }
        }
        // Prefer the smallest option at each remaining deviation.
        let mut i = 0;
        while i < self.current.len() {
            for lower in 1..self.current[i].chosen {
                let mut candidate = self.current.clone();
                candidate[i].chosen = lower;
                if self.consider(candidate) {
                    improved = true;
                    break;
                }
            }
            i += 1;
        }
        improved
    }
}

/// Shrinks `failing`, keeping failures of the check named `check`. Returns `None` if the
/// schedule does not reproduce that failure at all.
pub fn shrink(explorer: &Explorer, failing: &Schedule, check: &str) -> Option<Shrunk> {
    let first = explorer.run(&failing.replaying(failing.decisions.clone()));
    if !first.violations.iter().any(|v| &*v.check == check) {
        return None;
    }
    let mut search = Search {
        explorer,
        failing,
        check,
        attempts: 1,
        current: trimmed(first.schedule.decisions.clone()),
        best: first,
    };
    while search.round() {}
    let mut result = search.best;
    // A replay takes CPython's choice once the list ends: keep the list without its tail.
    result.schedule.decisions = search.current;
    Some(Shrunk {
        deviations: deviations(&result.schedule.decisions),
        result,
        attempts: search.attempts,
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
