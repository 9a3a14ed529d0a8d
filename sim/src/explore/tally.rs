//! What the runs of a sweep found, in memory that stays bounded however many runs there are.
//!
//! A sweep's parts (rayon's ranges of run indices) each keep a [`Tally`], and the tallies
//! merge in any order into the same one. Two things could grow with the number of runs, so
//! both are bounded ([`Limits`]):
//!
//! - the failed runs: every one is counted and written to the failures file as it is found,
//!   but only the first ones in seed order are kept;
//! - the distinct traces: counted exactly up to a limit. Past it, the tally says only that
//!   there were more. Whether the limit was passed does not depend on how the runs were split:
//!   a tally drops a trace only when it already holds the limit, which no tally of at most
//!   the limit's number of distinct traces does, and which the whole tally of more must.

use rustc_hash::FxHashMap;

use super::run::RunResult;
use super::sweep::SweepOutcome;

/// How much of what a sweep found is kept in memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// How many failed runs are kept, the first in seed order. Every failed run is still
    /// counted and handed to the sweep's `on_failure`.
    pub kept_failures: usize,
    /// Up to how many distinct traces are counted exactly.
    pub counted_traces: usize,
}

impl Default for Limits {
    /// 1,000 failed runs kept; distinct traces counted exactly up to 3,000,000 (a table of
    /// 2^22 slots of 17 bytes, under 100 MB with the sorted copy made at the end).
    fn default() -> Limits {
        Limits {
            kept_failures: 1000,
            counted_traces: 3_000_000,
        }
    }
}

/// One run of a sweep: its index among the shard's seeds, the key of its trace, and the
/// run itself if it failed.
pub(super) struct Run {
    /// Index of the run among the shard's seeds.
    pub index: u64,
    /// The fingerprint of its trace.
    pub key: u64,
    /// The run, when a check failed.
    pub failed: Option<RunResult>,
}

/// What the runs of a part of a sweep found.
pub(super) struct Tally {
    limits: Limits,
    /// Runs made.
    runs: u64,
    /// Failed runs, all of them counted.
    failed: u64,
    /// Each distinct trace key, with the lowest index of a run that made it.
    first_seen: FxHashMap<u64, u64>,
    /// Whether a trace was dropped because `first_seen` held the limit.
    more_traces: bool,
    /// Failed runs with their indices: the first `kept_failures` in index order once
    /// [`Tally::trim`] has run, at most twice as many before.
    failures: Vec<(u64, RunResult)>,
}

impl Tally {
    /// An empty tally.
    pub fn new(limits: Limits) -> Tally {
        Tally {
            limits,
            runs: 0,
            failed: 0,
            first_seen: FxHashMap::default(),
            more_traces: false,
            failures: Vec::new(),
        }
    }

    /// Counts one run.
    pub fn add(&mut self, run: Run) {
        self.runs += 1;
        self.see(run.key, run.index);
        if let Some(r) = run.failed {
            self.failed += 1;
            self.keep(run.index, r);
        }
    }

    /// Notes that the run at `index` made the trace `key`.
    fn see(&mut self, key: u64, index: u64) {
        if let Some(first) = self.first_seen.get_mut(&key) {
            *first = (*first).min(index);
        } else if self.first_seen.len() < self.limits.counted_traces {
            self.first_seen.insert(key, index);
        } else {
            self.more_traces = true;
        }
    }

    /// Keeps a failed run if it may be among the first `kept_failures`.
    fn keep(&mut self, index: u64, r: RunResult) {
        let kept = self.limits.kept_failures;
        if kept == 0 {
            return;
        }
        self.failures.push((index, r));
        if self.failures.len() >= 2 * kept {
            self.trim();
        }
    }

    /// Drops the failed runs past the first `kept_failures` by index, and sorts the rest.
    fn trim(&mut self) {
        let kept = self.limits.kept_failures;
        if self.failures.len() > kept {
            self.failures
                .select_nth_unstable_by_key(kept, |&(index, _)| index);
            self.failures.truncate(kept);
        }
        self.failures.sort_unstable_by_key(|&(index, _)| index);
    }

    /// The tally of both parts.
    pub fn merge(mut self, mut other: Tally) -> Tally {
        if self.first_seen.len() < other.first_seen.len() {
            std::mem::swap(&mut self, &mut other);
        }
        self.runs += other.runs;
        self.failed += other.failed;
        self.more_traces |= other.more_traces;
        for (key, index) in other.first_seen {
            self.see(key, index);
        }
        for (index, r) in other.failures {
            self.keep(index, r);
        }
        self
    }

    /// What a sweep of `total` runs found: the failures kept in seed order, and the growth of
    /// the distinct traces over the first tenth, quarter, half and all of the runs.
    pub fn finish(mut self, total: u64) -> SweepOutcome {
        self.trim();
        let mut firsts: Vec<u64> = self.first_seen.into_values().collect();
        firsts.sort_unstable();
        let mut growth: Vec<(u64, usize)> = Vec::new();
        for runs in [total / 10, total / 4, total / 2, total] {
            if !self.more_traces && runs > 0 && growth.last().is_none_or(|&(n, _)| n != runs) {
                growth.push((runs, firsts.partition_point(|&first| first < runs)));
            }
        }
        SweepOutcome {
            runs: self.runs,
            failed: self.failed,
            failures: self.failures.into_iter().map(|(_, r)| r).collect(),
            distinct_traces: firsts.len(),
            more_traces: self.more_traces,
            coverage: None,
            growth,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tally_of(keys: &[u64], counted_traces: usize) -> Tally {
        let mut tally = Tally::new(Limits {
            kept_failures: 0,
            counted_traces,
        });
        for (index, &key) in keys.iter().enumerate() {
            let index = index as u64;
            tally.add(Run {
                index,
                key,
                failed: None,
            });
        }
        tally
    }

    #[test]
    fn a_part_past_the_limit_keeps_the_whole_past_it() {
        // The part that dropped trace 3 merges into one that already holds the others.
        let found = tally_of(&[1, 2], 2)
            .merge(tally_of(&[1, 2, 3], 2))
            .finish(5);
        assert_eq!((found.distinct_traces, found.more_traces), (2, true));
        assert!(found.growth.is_empty());
        let found = tally_of(&[1, 2, 3], 2)
            .merge(tally_of(&[1, 2], 2))
            .finish(5);
        assert!(found.more_traces);
    }

    #[test]
    fn parts_within_the_limit_are_counted_exactly() {
        let found = tally_of(&[1, 2, 1], 3)
            .merge(tally_of(&[3, 3], 3))
            .finish(5);
        assert_eq!((found.distinct_traces, found.more_traces), (3, false));
        assert_eq!(found.runs, 5);
        let found = tally_of(&[1, 2], 3).merge(tally_of(&[3, 4], 3)).finish(4);
        assert_eq!((found.distinct_traces, found.more_traces), (3, true));
    }
}
