//! Sweeps: many seeds of one policy over all cores, sharded across machines.
//!
//! Seeds `seed .. seed + runs` are split by `--shard I/N` (a seed belongs to shard
//! `(seed - base) % N`), so N machines of a job array (CI matrix, Kubernetes Indexed Job,
//! Slurm array) cover the range once between them. Within a machine, rayon runs the seeds on
//! `jobs` threads, one loop per thread. Each rayon job runs its seeds on its own copy of the
//! graph ([`Graph::unshared`](crate::graph::Graph::unshared)): runs clone the graph's names
//! into every trace event, and threads sharing those reference counts would keep taking the
//! same cache lines from each other. The outcome of every seed depends on the seed alone, so
//! `--jobs 1` and `--jobs 8` find the same failures.

use std::collections::BTreeSet;
use std::io;
use std::sync::Arc;

use rayon::prelude::*;

use aiosim::Level;

use crate::policy::{Coverage, PolicyKind, Schedule, explore as enumerate_decision_lists};

use super::run::{Explorer, RunResult};

/// Which part of the seed range this process runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// This shard's index, `0 <= index < count`.
    pub index: u64,
    /// The number of shards.
    pub count: u64,
}

impl Shard {
    /// The whole range.
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    /// Parses `I/N`.
    pub fn parse(s: &str) -> Result<Shard, String> {
        let (i, n) = s
            .split_once('/')
            .ok_or_else(|| format!("shard {s:?}: expected I/N, e.g. 0/4"))?;
        let index: u64 = i.parse().map_err(|_| format!("shard {s:?}: bad index"))?;
        let count: u64 = n.parse().map_err(|_| format!("shard {s:?}: bad count"))?;
        if count == 0 || index >= count {
            return Err(format!("shard {s:?}: need 0 <= I < N"));
        }
        Ok(Shard { index, count })
    }

    /// How many of the offsets `0..runs` belong to this shard: those `k` with
    /// `k % count == index`.
    pub fn runs_of(self, runs: u64) -> u64 {
        match runs.checked_sub(self.index) {
            Some(rest) if rest > 0 => (rest - 1) / self.count + 1,
            _ => 0,
        }
    }

    /// The offset of this shard's `j`-th run (from 0): `index + j * count`. For
    /// `j < runs_of(runs)` it is below `runs`.
    pub fn offset(self, j: u64) -> u64 {
        self.index + j * self.count
    }
}

/// Which schedules an exploration runs: seeds `seed .. seed + runs` of one policy, all at one
/// level, with one PCT depth and one number of injected cancellations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schedules {
    /// The policy of every run.
    pub policy: PolicyKind,
    /// How many seeds, before sharding.
    pub runs: u64,
    /// The first seed.
    pub seed: u64,
    /// The permutation level.
    pub level: Level,
    /// PCT's bug depth.
    pub depth: u32,
    /// Cancellations to inject per run (0: none).
    pub inject_cancels: u32,
}

impl Default for Schedules {
    /// 100 random schedules at level 2 from seed 0, PCT depth 3, no injected cancellations.
    fn default() -> Schedules {
        Schedules {
            policy: PolicyKind::Random,
            runs: 100,
            seed: 0,
            level: Level::Interleave,
            depth: 3,
            inject_cancels: 0,
        }
    }
}

impl Schedules {
    /// The seeds of `shard`, in order.
    pub fn seeds(&self, shard: Shard) -> impl Iterator<Item = u64> + '_ {
        (0..shard.runs_of(self.runs)).map(move |j| self.seed_at(shard, j))
    }

    /// The seed of the `j`-th run of `shard` (from 0).
    pub fn seed_at(&self, shard: Shard, j: u64) -> u64 {
        self.seed.wrapping_add(shard.offset(j))
    }

    /// The schedule of one seed (with the default steps hint).
    pub fn schedule(&self, seed: u64) -> Schedule {
        let mut s = Schedule::new(self.policy, seed, self.level);
        s.depth = self.depth;
        s.inject_cancels = self.inject_cancels;
        s
    }
}

/// What to sweep.
#[derive(Clone, Debug)]
pub struct SweepConfig {
    /// The seeds and the options of their schedules.
    pub schedules: Schedules,
    /// Worker threads.
    pub jobs: usize,
    /// This process's part of the seeds.
    pub shard: Shard,
}

/// The result of a sweep.
#[derive(Debug, Default)]
pub struct SweepOutcome {
    /// Runs made by this process.
    pub runs: u64,
    /// The failed runs, by seed.
    pub failures: Vec<RunResult>,
    /// Distinct canonical traces seen (distinct interleavings, as far as the trace shows).
    pub distinct_traces: usize,
    /// For `exhaustive`: whether the whole space was covered within the run budget.
    pub coverage: Option<Coverage>,
    /// How the number of distinct traces grew, in seed order: `(runs, distinct)` after a
    /// tenth, a quarter, half and all of the runs. When the last points stay flat, more runs
    /// of this policy stop finding new interleavings.
    pub growth: Vec<(u64, usize)>,
}

impl SweepConfig {
    /// The seeds this shard runs, in order.
    pub fn seeds(&self) -> impl Iterator<Item = u64> + '_ {
        self.schedules.seeds(self.shard)
    }

    /// How many seeds this shard runs.
    pub fn runs(&self) -> u64 {
        self.shard.runs_of(self.schedules.runs)
    }

    /// The schedule of one seed.
    pub fn schedule(&self, seed: u64, steps_hint: u64) -> Schedule {
        let mut s = self.schedules.schedule(seed);
        s.steps_hint = steps_hint;
        s
    }
}

/// Runs the sweep. `on_failure` is called (from a worker thread) for each failed run as soon
/// as it is found, and its error aborts the sweep; `on_run` after every run.
pub fn sweep(
    explorer: &Explorer,
    config: &SweepConfig,
    on_failure: &(dyn Fn(&RunResult) -> io::Result<()> + Sync),
    on_run: &(dyn Fn() + Sync),
) -> io::Result<SweepOutcome> {
    let steps_hint = explorer.fifo_handles();
    if config.schedules.policy == PolicyKind::Exhaustive {
        return enumerate(explorer, config, steps_hint, on_failure, on_run);
    }
    let seeds: Vec<u64> = config.seeds().collect();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(config.jobs.max(1))
        .build()
        .map_err(io::Error::other)?;
    let results: Vec<io::Result<(u64, Option<RunResult>)>> = pool.install(|| {
        seeds
            .par_iter()
            .map_init(
                || Arc::new(explorer.graph.unshared()),
                |graph, &seed| {
                    let result = explorer.run_on(graph, &config.schedule(seed, steps_hint));
                    let key = result.report.trace.fingerprint();
                    let failed = if result.passed() {
                        None
                    } else {
                        on_failure(&result)?;
                        Some(result)
                    };
                    on_run();
                    Ok((key, failed))
                },
            )
            .collect()
    });
    let mut outcome = SweepOutcome::default();
    let mut seen = BTreeSet::new();
    let total = results.len() as u64;
    let checkpoints = [total / 10, total / 4, total / 2, total];
    for r in results {
        let (key, failed) = r?;
        outcome.runs += 1;
        seen.insert(key);
        outcome.failures.extend(failed);
        if checkpoints.contains(&outcome.runs)
            && outcome
                .growth
                .last()
                .is_none_or(|&(n, _)| n != outcome.runs)
        {
            outcome.growth.push((outcome.runs, seen.len()));
        }
    }
    outcome.distinct_traces = seen.len();
    Ok(outcome)
}

/// `exhaustive`: every decision list in order, up to `runs` runs, on this thread (the
/// enumeration is sequential: each list follows from the previous run).
fn enumerate(
    explorer: &Explorer,
    config: &SweepConfig,
    steps_hint: u64,
    on_failure: &(dyn Fn(&RunResult) -> io::Result<()> + Sync),
    on_run: &(dyn Fn() + Sync),
) -> io::Result<SweepOutcome> {
    let mut outcome = SweepOutcome::default();
    let mut seen = BTreeSet::new();
    let mut error = None;
    let base = config.schedule(config.schedules.seed, steps_hint);
    let budget = usize::try_from(config.schedules.runs).unwrap_or(usize::MAX);
    let coverage = enumerate_decision_lists(&base, budget, |schedule| {
        let result = explorer.run(schedule);
        outcome.runs += 1;
        seen.insert(result.report.trace.fingerprint());
        let decisions = result.schedule.decisions.clone();
        if !result.passed() && error.is_none() {
            if let Err(e) = on_failure(&result) {
                error = Some(e);
            }
            outcome.failures.push(result);
        }
        on_run();
        decisions
    });
    if let Some(e) = error {
        return Err(e);
    }
    outcome.distinct_traces = seen.len();
    outcome.coverage = Some(coverage);
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The offsets of a shard by definition: every `k` below `runs` with `k % count == index`.
    fn offsets_by_filter(shard: Shard, runs: u64) -> Vec<u64> {
        (0..runs)
            .filter(|k| k % shard.count == shard.index)
            .collect()
    }

    #[test]
    fn a_shard_s_offsets_are_those_of_the_modulo_rule() {
        for count in 1..6 {
            for index in 0..count {
                let shard = Shard { index, count };
                for runs in 0..20 {
                    let arithmetic: Vec<u64> =
                        (0..shard.runs_of(runs)).map(|j| shard.offset(j)).collect();
                    assert_eq!(
                        arithmetic,
                        offsets_by_filter(shard, runs),
                        "{shard:?} {runs}"
                    );
                }
            }
        }
    }

    #[test]
    fn huge_shards_are_counted_without_walking_the_range() {
        let trillion = 1_000_000_000_000;
        let one_of_a_trillion = Shard {
            index: 0,
            count: trillion,
        };
        assert_eq!(one_of_a_trillion.runs_of(trillion), 1);
        let last = Shard {
            index: u64::MAX - 1,
            count: u64::MAX,
        };
        assert_eq!(last.runs_of(u64::MAX), 1);
        assert_eq!(last.offset(0), u64::MAX - 1);
        assert_eq!(Shard { index: 3, count: 4 }.runs_of(u64::MAX), u64::MAX / 4);
        assert_eq!(Shard::ALL.runs_of(u64::MAX), u64::MAX);
        let schedules = Schedules {
            runs: u64::MAX,
            seed: 0,
            ..Schedules::default()
        };
        let seeds: Vec<u64> = schedules.seeds(last).collect();
        assert_eq!(seeds, [u64::MAX - 1]);
    }
}
