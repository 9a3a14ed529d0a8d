//! Sweeps: many seeds of one policy over all cores, sharded across machines.
//!
//! Seeds `seed .. seed + runs` are split by `--shard I/N` (a seed belongs to shard
//! `(seed - base) % N`), so N machines of a job array (CI matrix, Kubernetes Indexed Job,
//! Slurm array) cover the range once between them; a shard's `j`-th seed and its number of
//! seeds are computed, never found by walking the range. Within a machine, rayon splits the
//! shard's run indices into ranges for `jobs` threads. Each rayon job runs its seeds on its own copy of the
//! graph ([`Graph::unshared`](crate::graph::Graph::unshared)): runs clone the graph's names
//! into every trace event, and threads sharing those reference counts would keep taking the
//! same cache lines from each other. The outcome of every seed depends on the seed alone, so
//! `--jobs 1` and `--jobs 8` find the same failures.

use std::io;
use std::sync::Arc;

use rayon::prelude::*;

use aiosim::Level;

use crate::policy::{
    Coverage, MAX_INJECT_CANCELS, PolicyKind, Schedule, explore as enumerate_decision_lists,
};

use super::run::{Explorer, RunResult};
pub use super::tally::Limits;
use super::tally::{Run, Tally};

/// The most worker threads a sweep starts.
pub const MAX_JOBS: usize = 1024;

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

    /// The seed of the `j`-th run of `shard` (from 0). Past `u64::MAX` it wraps around;
    /// [`Schedules::validate`] refuses such ranges.
    pub fn seed_at(&self, shard: Shard, j: u64) -> u64 {
        self.seed.wrapping_add(shard.offset(j))
    }

    /// Checks that these schedules can be run: the seeds stay within `u64` (they never wrap
    /// around to 0; `exhaustive` runs no range of seeds), and at most
    /// [`MAX_INJECT_CANCELS`] injected cancellations per run.
    pub fn validate(&self) -> Result<(), String> {
        let past_the_last_seed = self.runs > 0 && self.seed.checked_add(self.runs - 1).is_none();
        if self.policy != PolicyKind::Exhaustive && past_the_last_seed {
            return Err(format!(
                "seed {} and {} runs: the seeds would go past {}, the largest seed; at most {} \
                 runs fit from this seed",
                self.seed,
                self.runs,
                u64::MAX,
                u64::MAX - self.seed + 1
            ));
        }
        if self.inject_cancels > MAX_INJECT_CANCELS {
            return Err(format!(
                "{} cancellations to inject per run: at most {MAX_INJECT_CANCELS} are allowed",
                self.inject_cancels
            ));
        }
        Ok(())
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
    /// Worker threads, 1 to [`MAX_JOBS`].
    pub jobs: usize,
    /// This process's part of the seeds.
    pub shard: Shard,
    /// How much of what the sweep finds is kept in memory.
    pub limits: Limits,
}

/// The result of a sweep.
#[derive(Debug, Default)]
pub struct SweepOutcome {
    /// Runs made by this process.
    pub runs: u64,
    /// How many runs failed.
    pub failed: u64,
    /// The first failed runs by seed, at most [`Limits::kept_failures`] of them.
    pub failures: Vec<RunResult>,
    /// Distinct canonical traces seen (distinct interleavings, as far as the trace shows), at
    /// most [`Limits::counted_traces`].
    pub distinct_traces: usize,
    /// Whether more distinct traces were seen than [`Limits::counted_traces`]: then
    /// `distinct_traces` is that limit and `growth` is empty.
    pub more_traces: bool,
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

    /// Checks that this sweep can be run: 1 to [`MAX_JOBS`] worker threads, and schedules
    /// that [`Schedules::validate`] accepts.
    pub fn validate(&self) -> Result<(), String> {
        if !(1..=MAX_JOBS).contains(&self.jobs) {
            return Err(format!(
                "{} worker threads: a sweep runs on 1 to {MAX_JOBS}",
                self.jobs
            ));
        }
        self.schedules.validate()
    }

    /// The schedule of one seed.
    pub fn schedule(&self, seed: u64, steps_hint: u64) -> Schedule {
        let mut s = self.schedules.schedule(seed);
        s.steps_hint = steps_hint;
        s
    }
}

/// Why a sweep did not run to its end.
#[derive(Debug)]
pub enum SweepError {
    /// The configuration cannot be run ([`SweepConfig::validate`]); nothing ran.
    Invalid(String),
    /// The worker threads could not be started (the system refused a thread); nothing ran.
    Threads {
        /// How many threads were asked for.
        jobs: usize,
        /// What the system said.
        why: String,
    },
    /// `on_failure` failed, which stopped the sweep.
    Report(io::Error),
}

impl std::fmt::Display for SweepError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SweepError::Invalid(why) => f.write_str(why),
            SweepError::Threads { jobs, why } => {
                write!(f, "cannot start {jobs} worker threads, use fewer: {why}")
            }
            SweepError::Report(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for SweepError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SweepError::Invalid(_) | SweepError::Threads { .. } => None,
            SweepError::Report(e) => Some(e),
        }
    }
}

/// Runs the sweep. `on_failure` is called (from a worker thread) for each failed run as soon
/// as it is found, and its error aborts the sweep; `on_run` after every run.
///
/// The runs are the indices `0..config.runs()` of the shard's seeds, split between the
/// threads as ranges: no list of seeds or of results is built, so the memory a sweep needs
/// does not grow with the number of runs: what it keeps of the distinct traces and the
/// failures is bounded by `config.limits`. With one thread the runs, and so the calls to
/// `on_failure`, come in seed order.
///
/// ```
/// use std::sync::Arc;
///
/// use aiosim_sim::explore::{Explorer, Limits, Schedules, Shard, SweepConfig, sweep};
/// use aiosim_sim::graph::parse_graph;
///
/// // Two workers race to set one future; only `b` expects to lose, so the expectation holds
/// // in CPython's order (a first) and fails when b runs first.
/// let json = br#"{"format": "aiosim-graph/1", "name": "race", "main": "main",
///     "tasks": {"main": [{"future": "f"}, {"spawn": "a"}, {"spawn": "b"},
///                        {"await": "a"}, {"await": "b"}, {"await": "f"}],
///               "a": [{"set_result": "f", "value": "a"}],
///               "b": [{"try": [{"set_result": "f", "value": "b"}],
///                      "except": [{"type": "InvalidStateError", "do": []}]}]},
///     "expect": [{"task": "a", "end": {"ok": null}}]}"#;
/// let explorer = Explorer::new(Arc::new(parse_graph(json).expect("a valid scenario")));
/// let config = SweepConfig {
///     schedules: Schedules { runs: 100, ..Schedules::default() }, // random, level 2
///     jobs: 2,
///     shard: Shard::ALL,
///     limits: Limits::default(),
/// };
/// let outcome = sweep(&explorer, &config, &|_failure| Ok(()), &|| {}).expect("it runs");
/// assert_eq!(outcome.runs, 100);
/// assert!(outcome.failed > 0, "some order lets b set the future first");
/// assert_eq!(outcome.failures[0].violations[0].check.as_ref(), "expect[0]");
/// ```
pub fn sweep(
    explorer: &Explorer,
    config: &SweepConfig,
    on_failure: &(dyn Fn(&RunResult) -> io::Result<()> + Sync),
    on_run: &(dyn Fn() + Sync),
) -> Result<SweepOutcome, SweepError> {
    config.validate().map_err(SweepError::Invalid)?;
    let steps_hint = explorer.fifo_handles();
    if config.schedules.policy == PolicyKind::Exhaustive {
        return enumerate(explorer, config, steps_hint, on_failure, on_run)
            .map_err(SweepError::Report);
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(config.jobs)
        .build()
        .map_err(|e| SweepError::Threads {
            jobs: config.jobs,
            why: e.to_string(),
        })?;
    let runs = config.runs();
    let tally = pool
        .install(|| {
            (0..runs)
                .into_par_iter()
                .map_init(
                    || Arc::new(explorer.graph.unshared()),
                    |graph, index| -> io::Result<Run> {
                        let seed = config.schedules.seed_at(config.shard, index);
                        let result = explorer.run_on(graph, &config.schedule(seed, steps_hint));
                        let key = result.report.trace.fingerprint();
                        let failed = if result.passed() {
                            None
                        } else {
                            on_failure(&result)?;
                            Some(result)
                        };
                        on_run();
                        Ok(Run { index, key, failed })
                    },
                )
                .try_fold(
                    || Tally::new(config.limits),
                    |mut tally, run| -> io::Result<Tally> {
                        tally.add(run?);
                        Ok(tally)
                    },
                )
                .try_reduce(|| Tally::new(config.limits), |a, b| Ok(a.merge(b)))
        })
        .map_err(SweepError::Report)?;
    Ok(tally.finish(runs))
}

/// `exhaustive`: every decision list in order, up to `runs` runs, on this thread (the
/// enumeration is sequential: each list follows from the previous run). A failed report stops
/// it.
fn enumerate(
    explorer: &Explorer,
    config: &SweepConfig,
    steps_hint: u64,
    on_failure: &(dyn Fn(&RunResult) -> io::Result<()> + Sync),
    on_run: &(dyn Fn() + Sync),
) -> io::Result<SweepOutcome> {
    let mut tally = Tally::new(config.limits);
    let mut error = None;
    let base = config.schedule(config.schedules.seed, steps_hint);
    let budget = usize::try_from(config.schedules.runs).unwrap_or(usize::MAX);
    let mut index = 0;
    let coverage = enumerate_decision_lists(&base, budget, |schedule| {
        let result = explorer.run(schedule);
        let key = result.report.trace.fingerprint();
        let decisions = result.schedule.decisions.clone();
        let failed = if result.passed() {
            None
        } else {
            error = on_failure(&result).err();
            Some(result)
        };
        tally.add(Run { index, key, failed });
        index += 1;
        on_run();
        error.is_none().then_some(decisions)
    });
    if let Some(e) = error {
        return Err(e);
    }
    let mut outcome = tally.finish(index);
    outcome.coverage = Some(coverage);
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::sync::atomic::{AtomicU64, Ordering};

    use super::*;
    use crate::graph::parse_graph;

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

    fn explorer(json: &str) -> Explorer {
        Explorer::new(Arc::new(
            parse_graph(json.as_bytes()).expect("a valid scenario"),
        ))
    }

    /// Every run fails: the expectation cannot hold.
    const ALWAYS_FAILING: &str = r#"{"format": "aiosim-graph/1", "name": "always", "main": "main",
        "tasks": {"main": [{"spawn": "a"}, {"spawn": "b"}, {"sleep": 2}],
                  "a": [{"sleep": 1}], "b": [{"sleep": 1}]},
        "expect": [{"run": {"ok": "never"}}]}"#;

    fn config(runs: u64, jobs: usize) -> SweepConfig {
        SweepConfig {
            schedules: Schedules {
                runs,
                ..Schedules::default()
            },
            jobs,
            shard: Shard::ALL,
            limits: Limits::default(),
        }
    }

    #[test]
    fn a_sweep_of_every_seed_starts_at_once_and_stops_at_a_failed_report() {
        let explorer = explorer(ALWAYS_FAILING);
        for jobs in [1, 2] {
            let reported = AtomicU64::new(0);
            let outcome = sweep(
                &explorer,
                &config(u64::MAX, jobs),
                &|_| match reported.fetch_add(1, Ordering::Relaxed) {
                    0..3 => Ok(()),
                    _ => Err(io::Error::other("the disk is full")),
                },
                &|| {},
            );
            let error = outcome.expect_err("the fourth report fails");
            assert_eq!(error.to_string(), "the disk is full");
            assert!(reported.load(Ordering::Relaxed) < 1000, "{jobs} jobs");
        }
    }

    #[test]
    fn one_thread_reports_failures_in_seed_order() {
        let explorer = explorer(ALWAYS_FAILING);
        let mut sweep_config = config(300, 1);
        sweep_config.schedules.seed = 7;
        let reported = std::sync::Mutex::new(Vec::new());
        let outcome = sweep(
            &explorer,
            &sweep_config,
            &|r| {
                reported.lock().unwrap().push(r.schedule.seed);
                Ok(())
            },
            &|| {},
        )
        .expect("the sweep runs");
        let seeds: Vec<u64> = (7..307).collect();
        assert_eq!(reported.into_inner().unwrap(), seeds);
        let kept: Vec<u64> = outcome.failures.iter().map(|r| r.schedule.seed).collect();
        assert_eq!(kept, seeds);
    }

    #[test]
    fn growth_counts_the_distinct_traces_of_the_first_runs_in_seed_order() {
        let explorer = explorer(include_str!(
            "../../../examples/graphs/bugs/heartbeat_false_alarm.json"
        ));
        let steps = explorer.fifo_handles();
        for (runs, jobs) in [(200, 1), (200, 2), (7, 2), (3, 1)] {
            let sweep_config = config(runs, jobs);
            let mut seen = BTreeSet::new();
            let distinct_after: Vec<usize> = sweep_config
                .seeds()
                .map(|seed| {
                    let result = explorer.run(&sweep_config.schedule(seed, steps));
                    seen.insert(result.report.trace.fingerprint());
                    seen.len()
                })
                .collect();
            let mut expected: Vec<(u64, usize)> = Vec::new();
            for n in [runs / 10, runs / 4, runs / 2, runs] {
                if n > 0 && expected.last().is_none_or(|&(m, _)| m != n) {
                    expected.push((n, distinct_after[n as usize - 1]));
                }
            }
            let outcome = sweep(&explorer, &sweep_config, &|_| Ok(()), &|| {}).expect("runs");
            assert_eq!(outcome.growth, expected, "{runs} runs, {jobs} jobs");
            assert_eq!(outcome.distinct_traces, seen.len());
            assert_eq!(outcome.runs, runs);
        }
    }

    #[test]
    fn every_failure_is_counted_and_reported_but_only_the_first_are_kept() {
        let explorer = explorer(ALWAYS_FAILING);
        for jobs in [1, 2] {
            let mut sweep_config = config(300, jobs);
            sweep_config.limits.kept_failures = 5;
            let reported = AtomicU64::new(0);
            let outcome = sweep(
                &explorer,
                &sweep_config,
                &|_| {
                    reported.fetch_add(1, Ordering::Relaxed);
                    Ok(())
                },
                &|| {},
            )
            .expect("the sweep runs");
            assert_eq!(reported.load(Ordering::Relaxed), 300, "{jobs} jobs");
            assert_eq!(outcome.failed, 300);
            let kept: Vec<u64> = outcome.failures.iter().map(|r| r.schedule.seed).collect();
            assert_eq!(kept, [0, 1, 2, 3, 4], "{jobs} jobs");
            sweep_config.limits.kept_failures = 0;
            let outcome = sweep(&explorer, &sweep_config, &|_| Ok(()), &|| {}).expect("runs");
            assert_eq!((outcome.failed, outcome.failures.len()), (300, 0));
        }
    }

    #[test]
    fn distinct_traces_past_the_limit_are_reported_as_more() {
        let explorer = explorer(include_str!(
            "../../../examples/graphs/bugs/heartbeat_false_alarm.json"
        ));
        let all = sweep(&explorer, &config(200, 1), &|_| Ok(()), &|| {}).expect("runs");
        let distinct = all.distinct_traces;
        assert!(distinct > 2 && !all.more_traces, "{distinct}");
        for jobs in [1, 2] {
            let mut sweep_config = config(200, jobs);
            sweep_config.limits.counted_traces = distinct;
            let at = sweep(&explorer, &sweep_config, &|_| Ok(()), &|| {}).expect("runs");
            assert_eq!((at.distinct_traces, at.more_traces), (distinct, false));
            assert_eq!(at.growth, all.growth, "{jobs} jobs");
            sweep_config.limits.counted_traces = distinct - 1;
            let below = sweep(&explorer, &sweep_config, &|_| Ok(()), &|| {}).expect("runs");
            assert_eq!(
                (below.distinct_traces, below.more_traces),
                (distinct - 1, true)
            );
            assert!(below.growth.is_empty(), "{jobs} jobs");
            assert_eq!(below.runs, 200);
        }
    }

    #[test]
    fn an_exhaustive_sweep_stops_at_a_failed_report() {
        let explorer = explorer(ALWAYS_FAILING);
        let mut sweep_config = config(1000, 1);
        sweep_config.schedules.policy = PolicyKind::Exhaustive;
        let ran = AtomicU64::new(0);
        let outcome = sweep(
            &explorer,
            &sweep_config,
            &|_| Err(io::Error::other("the disk is full")),
            &|| {
                ran.fetch_add(1, Ordering::Relaxed);
            },
        );
        assert_eq!(
            outcome.expect_err("the report fails").to_string(),
            "the disk is full"
        );
        assert_eq!(ran.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn more_injections_than_the_limit_are_refused_before_any_run() {
        let explorer = explorer(ALWAYS_FAILING);
        let mut sweep_config = config(10, 1);
        sweep_config.schedules.inject_cancels = MAX_INJECT_CANCELS + 1;
        let ran = AtomicU64::new(0);
        let outcome = sweep(&explorer, &sweep_config, &|_| Ok(()), &|| {
            ran.fetch_add(1, Ordering::Relaxed);
        });
        assert!(
            matches!(&outcome, Err(SweepError::Invalid(why)) if why.contains("at most 65536")),
            "{outcome:?}"
        );
        assert_eq!(ran.load(Ordering::Relaxed), 0);
        sweep_config.schedules.inject_cancels = MAX_INJECT_CANCELS;
        assert!(sweep(&explorer, &sweep_config, &|_| Ok(()), &|| {}).is_ok());
    }

    #[test]
    fn a_sweep_runs_on_1_to_max_jobs_threads() {
        let explorer = explorer(ALWAYS_FAILING);
        for jobs in [0, MAX_JOBS + 1] {
            let outcome = sweep(&explorer, &config(3, jobs), &|_| Ok(()), &|| {});
            assert!(
                matches!(&outcome, Err(SweepError::Invalid(why)) if why.contains("1 to 1024")),
                "{jobs}: {outcome:?}"
            );
        }
    }

    #[test]
    fn seeds_never_wrap_around() {
        let near_the_end = |seed: u64, runs: u64, policy: PolicyKind| Schedules {
            policy,
            seed,
            runs,
            ..Schedules::default()
        };
        let last = u64::MAX;
        let refused = near_the_end(last - 1, 4, PolicyKind::Random).validate();
        assert!(
            refused
                .as_ref()
                .is_err_and(|why| why.contains("at most 2 runs")),
            "{refused:?}"
        );
        assert!(near_the_end(last, 2, PolicyKind::Pct).validate().is_err());
        for (seed, runs) in [(last - 1, 2), (last, 1), (last, 0), (0, last), (1, last)] {
            assert!(
                near_the_end(seed, runs, PolicyKind::Random)
                    .validate()
                    .is_ok(),
                "{seed} {runs}"
            );
        }
        // Exhaustive takes --runs as a run budget, not as a range of seeds.
        assert!(
            near_the_end(last, 1000, PolicyKind::Exhaustive)
                .validate()
                .is_ok()
        );
        let seeds: Vec<u64> = near_the_end(last - 1, 2, PolicyKind::Random)
            .seeds(Shard::ALL)
            .collect();
        assert_eq!(seeds, [last - 1, last]);
    }
}
