//! The peer workloads W1 "fanout" and W2 "cancel-storm" (`shared/research/WORKLOADS.md`), run
//! as whole executions on aiosim (FIFO, and the `random` policy at level 2 with its decisions
//! recorded) and on the "minimal" hand-written executor of `anchors.md` ([`minimal`]).
//!
//! One aiosim execution is `asyncio.run(main)`: a fresh [`EventLoop`] (its tables are reused by
//! the next loop of the thread), `run_until_complete(main)`, then `asyncio.run`'s shutdown.
//! Under random-L2, execution `k` first installs the scheduler of
//! `Schedule::new(PolicyKind::Random, k, Level::Interleave)` and reads how many decisions its
//! log holds after the run, so recording is part of the measured work (copying the log out, as
//! a failing run's report does, is not). Execution `k` of a timed run gets seed
//! `k`; the untimed warm-up before each run (`max(5, N/20)` executions) uses seeds from
//! 1,000,000. Every execution checks its workload's invariants, so a run of a different task
//! graph fails instead of reporting a number. Timed runs install no observer (the default: the
//! hook is present but nothing records). Handles, task steps and loop iterations per execution
//! are counted with an [`Observer`] in a separate untimed pass (the minimal executor counts its
//! own steps and decisions, always).
//!
//! Each row is the median of 5 runs; the rows alternate within each round, as the peers were
//! measured, and a ratio between two rows is the median of their per-round ratios. The sweep
//! rows split the executions of one run over 1 or 2 threads (interleaved seeds, one loop per
//! thread), timed from a barrier after every thread's warm-up to the last thread's end.
//!
//! Run with `cargo bench --bench workloads [-- FILTER...]`: a row runs if its label
//! (`workload [engine]`, e.g. `W1 fanout, await in order [minimal]`) contains a filter.
//!
//! Environment: `AIOSIM_BENCH_EXECS=N` sets the executions per timed run of every row
//! (default: 2,000 for W1, 10,000 for W2 and the empty execution, twice that for the sweep
//! rows so that each of 2 threads runs the default).

#[path = "workloads/minimal.rs"]
mod minimal;

use std::cell::Cell;
use std::future::Future as StdFuture;
use std::hint::black_box;
use std::rc::Rc;
use std::sync::Barrier;
use std::time::Instant;

use aiosim::{
    EventLoop, Exception, HandleKind, Level, Observer, Task, create_task, gather, sleep, time,
};
use aiosim_sim::policy::{PolicyKind, Schedule, scheduler_for};

/// The per-execution RNG that draws W1's sleep durations: a thread-local ChaCha8 re-seeded
/// with the execution's seed (WORKLOADS.md), one draw per step.
mod rng {
    use std::cell::RefCell;

    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    thread_local! {
        static RNG: RefCell<ChaCha8Rng> = RefCell::new(ChaCha8Rng::seed_from_u64(0));
    }

    /// Re-seeds the generator at the start of an execution.
    pub fn reseed(seed: u64) {
        RNG.with(|r| *r.borrow_mut() = ChaCha8Rng::seed_from_u64(seed));
    }

    /// A duration drawn uniformly from `1..=10` ticks.
    pub fn duration() -> u64 {
        RNG.with(|r| r.borrow_mut().random_range(1..=10))
    }
}

/// How `main` collects its children's results.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Join {
    /// Awaits the tasks one by one in spawn order (the Rust peers' join).
    InOrder,
    /// One `gather` over all of them (the CPython peer's join).
    Gather,
}

/// What runs the executions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Engine {
    /// aiosim, no scheduler installed: CPython's order.
    Fifo,
    /// aiosim with the `random` policy at level 2, decisions recorded.
    RandomL2,
    /// The hand-written minimal executor ([`minimal`]).
    Minimal,
}

impl Engine {
    fn label(self) -> &'static str {
        match self {
            Engine::Fifo => "aiosim fifo",
            Engine::RandomL2 => "aiosim random-L2",
            Engine::Minimal => "minimal",
        }
    }
}

/// What an execution reports besides passing its checks.
#[derive(Clone, Copy, Debug, Default)]
struct Outcome {
    /// Recorded scheduling decisions (choice points with at least two options).
    decisions: u64,
    /// Task steps, when the engine counts them itself (the minimal executor).
    steps: u64,
}

/// Awaits every task's result in the given order of joining.
async fn join_all<T: Clone + 'static>(tasks: &[Task<T>], join: Join) -> Result<Vec<T>, Exception> {
    match join {
        Join::InOrder => {
            let mut out = Vec::with_capacity(tasks.len());
            for &t in tasks {
                out.push(t.await?);
            }
            Ok(out)
        }
        Join::Gather => gather(tasks).await,
    }
}

// ---------------------------------------------------------------------------------------------
// W1 "fanout"
// ---------------------------------------------------------------------------------------------

/// W1 task `i`: ten steps, each sleeping a duration drawn when the step runs; returns `i`.
async fn fanout_child(i: u64) -> Result<u64, Exception> {
    for _ in 0..10 {
        sleep(rng::duration()).await?;
    }
    Ok(i)
}

/// W1 `main`: spawns 100 children, joins them; returns the sum and the final virtual time.
async fn fanout_main(join: Join) -> Result<(u64, u64), Exception> {
    let tasks: Vec<Task<u64>> = (0..100).map(|i| create_task(fanout_child(i))).collect();
    let sum = join_all(&tasks, join).await?.into_iter().sum();
    Ok((sum, time()))
}

fn check_fanout(sum: u64, now: u64) {
    assert_eq!(sum, 4950, "W1: the children's results must sum to 4950");
    assert!((10..=100).contains(&now), "W1: final virtual time {now}");
}

fn fanout(join: Join, engine: Engine, seed: u64, observer: Option<Box<dyn Observer>>) -> Outcome {
    rng::reseed(seed);
    let ((sum, now), outcome) = execute(fanout_main(join), engine, seed, observer);
    check_fanout(sum, now);
    outcome
}

/// W1 on the minimal executor (join: awaits the handles in spawn order).
fn fanout_minimal(seed: u64) -> Outcome {
    rng::reseed(seed);
    let ((sum, now), stats) = minimal::block_on(seed, async {
        let tasks: Vec<_> = (0..100u64)
            .map(|i| {
                minimal::spawn(async move {
                    for _ in 0..10 {
                        minimal::sleep(rng::duration())
                            .await
                            .expect("W1 cancels nothing");
                    }
                    i
                })
            })
            .collect();
        let mut sum = 0;
        for t in tasks {
            sum += t.await;
        }
        (sum, minimal::now())
    });
    check_fanout(sum, now);
    Outcome {
        decisions: stats.decisions,
        steps: stats.steps,
    }
}

// ---------------------------------------------------------------------------------------------
// W2 "cancel-storm"
// ---------------------------------------------------------------------------------------------

/// W2 task `i`: four 5-tick sleeps; a cancellation caught at a sleep is followed by a 1-tick
/// cleanup sleep and a normal return with `cancelled = true`.
async fn storm_child(i: u32) -> Result<(u32, bool), Exception> {
    for _ in 0..4 {
        match sleep(5).await {
            Ok(()) => {}
            Err(e) if e.is_cancelled() => {
                sleep(1).await?;
                return Ok((i, true));
            }
            Err(e) => return Err(e),
        }
    }
    Ok((i, false))
}

/// What W2's `main` found: how many children reported a cancellation, whether exactly the
/// odd ones did (each under its own index), and the final virtual time.
#[derive(Clone, Copy, Debug)]
struct StormOutcome {
    cancelled: usize,
    odd_ones_exactly: bool,
    now: u64,
}

impl StormOutcome {
    fn of(results: &[(u32, bool)], now: u64) -> StormOutcome {
        StormOutcome {
            cancelled: results.iter().filter(|&&(_, c)| c).count(),
            odd_ones_exactly: results.len() == 50
                && (0..50).zip(results).all(|(i, &r)| r == (i, i % 2 == 1)),
            now,
        }
    }

    fn check(&self) {
        assert_eq!(
            self.cancelled, 25,
            "W2: exactly 25 tasks report a cancellation"
        );
        assert!(
            self.odd_ones_exactly,
            "W2: exactly the odd tasks were cancelled"
        );
        assert_eq!(self.now, 20, "W2: final virtual time");
    }
}

/// W2 `main`: spawns 50 children, cancels the odd ones at tick 7, joins them all.
async fn storm_main(join: Join) -> Result<StormOutcome, Exception> {
    let tasks: Vec<Task<(u32, bool)>> = (0..50).map(|i| create_task(storm_child(i))).collect();
    sleep(7).await?;
    for t in tasks.iter().skip(1).step_by(2) {
        t.cancel();
    }
    let results = join_all(&tasks, join).await?;
    Ok(StormOutcome::of(&results, time()))
}

fn storm(join: Join, engine: Engine, seed: u64, observer: Option<Box<dyn Observer>>) -> Outcome {
    let (out, outcome) = execute(storm_main(join), engine, seed, observer);
    out.check();
    outcome
}

/// W2 on the minimal executor, with its native cancellation.
fn storm_minimal(seed: u64) -> Outcome {
    let (out, stats) = minimal::block_on(seed, async {
        let tasks: Vec<_> = (0..50u32)
            .map(|i| {
                minimal::spawn(async move {
                    for _ in 0..4 {
                        if minimal::sleep(5).await.is_err() {
                            minimal::sleep(1).await.expect("cancelled only once");
                            return (i, true);
                        }
                    }
                    (i, false)
                })
            })
            .collect();
        minimal::sleep(7).await.expect("main is not cancelled");
        for t in tasks.iter().skip(1).step_by(2) {
            t.cancel();
        }
        let mut results = Vec::with_capacity(tasks.len());
        for t in tasks {
            results.push(t.await);
        }
        StormOutcome::of(&results, minimal::now())
    });
    out.check();
    Outcome {
        decisions: stats.decisions,
        steps: stats.steps,
    }
}

// ---------------------------------------------------------------------------------------------
// Running executions
// ---------------------------------------------------------------------------------------------

/// `asyncio.run(main)` (what [`aiosim::run`] does) under `engine` (`Fifo` or `RandomL2`),
/// with an optional observer installed on the fresh loop.
fn execute<T, F>(
    main: F,
    engine: Engine,
    seed: u64,
    observer: Option<Box<dyn Observer>>,
) -> (T, Outcome)
where
    T: Clone + 'static,
    F: StdFuture<Output = Result<T, Exception>> + 'static,
{
    let event_loop = EventLoop::new();
    if observer.is_some() {
        event_loop.set_observer(observer);
    }
    let log = match engine {
        Engine::Fifo => None,
        Engine::RandomL2 => {
            let schedule = Schedule::new(PolicyKind::Random, seed, Level::Interleave);
            let (scheduler, log) = scheduler_for(&schedule);
            event_loop.set_scheduler(scheduler);
            Some(log)
        }
        Engine::Minimal => unreachable!("the minimal executor runs without aiosim"),
    };
    let outcome = event_loop.run_until_complete(main);
    aiosim::runner::shutdown(&event_loop).expect("asyncio.run's shutdown");
    let decisions = log.map_or(0, |log| black_box(log.len()) as u64);
    let value = outcome.expect("main finished normally");
    (
        value,
        Outcome {
            decisions,
            steps: 0,
        },
    )
}

/// Per-execution counts, filled by [`Counter`].
#[derive(Clone, Debug, Default)]
struct Counts {
    handles: Cell<u64>,
    steps: Cell<u64>,
    iterations: Cell<u64>,
    /// Handles by kind: step, wakeup, internal done-callback, live timer, cancelled timer,
    /// other (stop, user callbacks).
    by_kind: [Cell<u64>; 6],
}

struct Counter(Rc<Counts>);

impl Observer for Counter {
    fn iteration(&mut self, _iteration: u64, _now: u64, _batch: usize) {
        bump(&self.0.iterations);
    }

    fn handle_run(&mut self, kind: HandleKind) {
        bump(&self.0.handles);
        let k = match kind {
            HandleKind::Step { .. } => 0,
            HandleKind::Wakeup { .. } => 1,
            HandleKind::Internal { .. } => 2,
            HandleKind::Timer {
                cancelled: false, ..
            } => 3,
            HandleKind::Timer {
                cancelled: true, ..
            } => 4,
            _ => 5,
        };
        bump(&self.0.by_kind[k]);
    }

    fn task_step(&mut self, _task: u32, _throw: Option<&Exception>) {
        bump(&self.0.steps);
    }
}

fn bump(c: &Cell<u64>) {
    c.set(c.get() + 1);
}

/// The workloads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    W1,
    W2,
    /// The fixed cost of an execution: `main` returns at once.
    Empty,
}

/// A row as listed in `main`: workload, name, join, engine, default N, threads, target.
type RowSpec = (Kind, &'static str, Join, Engine, usize, usize, Option<f64>);

/// One benchmark row.
struct Row {
    kind: Kind,
    name: &'static str,
    join: Join,
    engine: Engine,
    execs: usize,
    /// 0: runs on the bench's thread; `n > 0`: a sweep over `n` threads.
    threads: usize,
    /// Target executions per second, if any.
    target: Option<f64>,
}

/// One timed run of a row.
#[derive(Clone, Copy, Debug)]
struct Timed {
    /// Wall-clock seconds.
    seconds: f64,
    /// Seconds on a CPU, summed over the run's threads (0 if unknown).
    cpu: f64,
    /// Seconds runnable but waiting for a CPU, summed over the run's threads.
    wait: f64,
    /// Decisions over all timed executions.
    decisions: u64,
}

/// This thread's time on a CPU and time runnable but waiting for one, in nanoseconds, from
/// `/proc/thread-self/schedstat` (the kernel updates it at scheduler ticks and switches, so
/// it may lag by a few ms); zeros where unavailable.
fn thread_sched() -> (u64, u64) {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| {
            let mut f = s.split_whitespace().map(|x| x.parse::<u64>().ok());
            Some((f.next()??, f.next()??))
        })
        .unwrap_or((0, 0))
}

impl Row {
    fn label(&self) -> String {
        match self.threads {
            0 => format!("{} [{}]", self.name, self.engine.label()),
            n => format!("{} [{} sweep x{n}]", self.name, self.engine.label()),
        }
    }

    fn execute(&self, seed: u64, observer: Option<Box<dyn Observer>>) -> Outcome {
        let (join, engine) = (self.join, self.engine);
        match (self.kind, engine) {
            (Kind::W1, Engine::Minimal) => fanout_minimal(seed),
            (Kind::W2, Engine::Minimal) => storm_minimal(seed),
            (Kind::Empty, Engine::Minimal) => {
                let ((), stats) = minimal::block_on(seed, async {});
                Outcome {
                    decisions: stats.decisions,
                    steps: stats.steps,
                }
            }
            (Kind::W1, _) => fanout(join, engine, seed, observer),
            (Kind::W2, _) => storm(join, engine, seed, observer),
            (Kind::Empty, _) => execute(async { Ok(()) }, engine, seed, observer).1,
        }
    }

    /// Untimed warm-up of `max(5, n/20)` executions, then `n` timed executions with the seeds
    /// `first, first + step, ...`; seconds taken. (Not inlined, so that a profiler can collect
    /// inside it alone: `valgrind --tool=callgrind --toggle-collect='*timed_execs*'`.)
    #[inline(never)]
    fn timed_execs(&self, first: usize, step: usize, n: usize, barrier: Option<&Barrier>) -> Timed {
        for k in 0..(n / 20).max(5) {
            self.execute(1_000_000 + (first + k * step) as u64, None);
        }
        if let Some(b) = barrier {
            b.wait();
        }
        let (cpu0, wait0) = thread_sched();
        let start = Instant::now();
        let mut decisions = 0;
        for k in 0..n {
            decisions += self
                .execute(black_box((first + k * step) as u64), None)
                .decisions;
        }
        let seconds = start.elapsed().as_secs_f64();
        let (cpu1, wait1) = thread_sched();
        Timed {
            seconds,
            cpu: cpu1.saturating_sub(cpu0) as f64 * 1e-9,
            wait: wait1.saturating_sub(wait0) as f64 * 1e-9,
            decisions,
        }
    }

    /// One timed run: seeds `0..execs`, on this thread or split over `threads` threads
    /// (thread `t` takes the seeds `k ≡ t (mod threads)`).
    fn timed_run(&self) -> Timed {
        if self.threads == 0 {
            return self.timed_execs(0, 1, self.execs, None);
        }
        let n = self.threads;
        let barrier = Barrier::new(n + 1);
        std::thread::scope(|scope| {
            let workers: Vec<_> = (0..n)
                .map(|t| {
                    let share = (self.execs + n - 1 - t) / n;
                    let barrier = &barrier;
                    scope.spawn(move || self.timed_execs(t, n, share, Some(barrier)))
                })
                .collect();
            barrier.wait();
            let start = Instant::now();
            let parts: Vec<Timed> = workers
                .into_iter()
                .map(|w| w.join().expect("sweep thread"))
                .collect();
            Timed {
                seconds: start.elapsed().as_secs_f64(),
                cpu: parts.iter().map(|p| p.cpu).sum(),
                wait: parts.iter().map(|p| p.wait).sum(),
                decisions: parts.iter().map(|p| p.decisions).sum(),
            }
        })
    }

    /// Mean counts per execution over `execs` observed executions (seeds `0..execs`).
    fn counts(&self, execs: usize) -> (Counts, f64) {
        let counts = Rc::new(Counts::default());
        for k in 0..execs {
            let observer: Option<Box<dyn Observer>> = match self.engine {
                Engine::Minimal => None,
                _ => Some(Box::new(Counter(counts.clone()))),
            };
            let out = self.execute(k as u64, observer);
            if self.engine == Engine::Minimal {
                counts.steps.set(counts.steps.get() + out.steps);
            }
        }
        ((*counts).clone(), execs as f64)
    }
}

fn median(xs: &[f64]) -> f64 {
    let mut xs = xs.to_vec();
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| {
            let f: Vec<&str> = s.split_whitespace().take(3).collect();
            format!("load average {}", f.join(" "))
        })
        .unwrap_or_else(|_| "load average unknown".into())
}

/// `value` against a `min` target: `"0.75 ok"` or `"0.75 LOW"`.
fn verdict(value: f64, min: f64, what: &str) -> String {
    let v = if value >= min { "ok" } else { "LOW" };
    format!("{min}{what} {v}")
}

fn main() {
    const ROUNDS: usize = 5;
    let execs_override: Option<usize> = std::env::var("AIOSIM_BENCH_EXECS").ok().map(|v| {
        v.parse()
            .expect("AIOSIM_BENCH_EXECS is a number of executions")
    });
    let execs = |default: usize| execs_override.unwrap_or(default).max(1);
    // `cargo bench` passes `--bench`; other arguments are label filters.
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();

    const W1_IN_ORDER: &str = "W1 fanout, await in order";
    const W2_IN_ORDER: &str = "W2 cancel-storm, await in order";
    use Engine::{Fifo, Minimal, RandomL2};
    use Join::{Gather, InOrder};
    #[rustfmt::skip]
    let table: [RowSpec; 14] = [
        (Kind::W1, W1_IN_ORDER, InOrder, Fifo, 2_000, 0, Some(13_000.0)),
        (Kind::W1, "W1 fanout, gather", Gather, Fifo, 2_000, 0, Some(13_000.0)),
        (Kind::W1, W1_IN_ORDER, InOrder, RandomL2, 2_000, 0, None),
        (Kind::W1, W1_IN_ORDER, InOrder, Minimal, 2_000, 0, None),
        (Kind::W2, W2_IN_ORDER, InOrder, Fifo, 10_000, 0, Some(100_000.0)),
        (Kind::W2, "W2 cancel-storm, gather", Gather, Fifo, 10_000, 0, Some(100_000.0)),
        (Kind::W2, W2_IN_ORDER, InOrder, RandomL2, 10_000, 0, None),
        (Kind::W2, W2_IN_ORDER, InOrder, Minimal, 10_000, 0, None),
        (Kind::Empty, "empty execution", InOrder, Fifo, 10_000, 0, None),
        (Kind::Empty, "empty execution", InOrder, Minimal, 10_000, 0, None),
        (Kind::W1, W1_IN_ORDER, InOrder, RandomL2, 4_000, 1, None),
        (Kind::W1, W1_IN_ORDER, InOrder, RandomL2, 4_000, 2, None),
        (Kind::W2, W2_IN_ORDER, InOrder, RandomL2, 20_000, 1, None),
        (Kind::W2, W2_IN_ORDER, InOrder, RandomL2, 20_000, 2, None),
    ];
    let rows: Vec<Row> = table
        .into_iter()
        .map(|(kind, name, join, engine, n, threads, target)| Row {
            kind,
            name,
            join,
            engine,
            execs: execs(n),
            threads,
            target,
        })
        .filter(|r| {
            let label = r.label();
            filters.is_empty() || filters.iter().any(|f| label.contains(f.as_str()))
        })
        .collect();

    let nproc = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!("aiosim workloads: median of {ROUNDS} rounds, rows alternating within each round");
    println!("machine: nproc {nproc}; at start: {}", load());
    println!(
        "parameters per row (N = timed executions per run, seeds 0..N; warm-up seeds from 1,000,000):"
    );
    println!(
        "  {:<62} {:>7} {:>7} {:>14}",
        "row", "N", "threads", "warm-up/thread"
    );
    for r in &rows {
        let per_thread = r.execs.div_ceil(r.threads.max(1));
        println!(
            "  {:<62} {:>7} {:>7} {:>14}",
            r.label(),
            r.execs,
            r.threads.max(1),
            (per_thread / 20).max(5)
        );
    }
    println!("execution k gets seed k:");
    println!("  W1 durations: ChaCha8Rng::seed_from_u64(k), uniform 1..=10, one draw per step");
    println!("  W1: 100 tasks x 10 sleeps; W2: 50 tasks x 4 sleeps of 5, odd ones cancelled at 7");
    println!("  aiosim fifo: no scheduler, no observer");
    println!(
        "  aiosim random-L2: scheduler_for(&Schedule::new(PolicyKind::Random, k, \
         Level::Interleave)), installed with set_scheduler; log.len() read after the run"
    );
    println!(
        "  minimal: ChaCha8Rng::seed_from_u64(k) on stream 1, one uniform draw per pick among \
         >= 2 ready tasks (a decision)"
    );
    println!(
        "  sweep: the N executions of a run split over T threads (thread t: seeds k = t mod T), \
         timed from a barrier after the warm-ups to the last join"
    );
    println!();

    let mut runs: Vec<Vec<Timed>> = vec![Vec::new(); rows.len()];
    for _ in 0..ROUNDS {
        for (r, t) in rows.iter().zip(&mut runs) {
            t.push(r.timed_run());
        }
    }
    // Executions per wall-clock second and per CPU-second, per row and round.
    let per_round = |f: fn(&Timed) -> f64| -> Vec<Vec<f64>> {
        rows.iter()
            .zip(&runs)
            .map(|(r, t)| t.iter().map(|t| r.execs as f64 / f(t)).collect())
            .collect()
    };
    let rates = per_round(|t| t.seconds);
    let cpu_rates = per_round(|t| t.cpu);
    // schedstat lags by up to a scheduler tick: CPU time means little for a short run.
    let cpu_known = |i: usize| runs[i].iter().all(|t| t.seconds >= 0.02 && t.cpu > 0.0);
    let find = |kind: Kind, engine: Engine, threads: usize| {
        rows.iter().position(|r| {
            r.kind == kind && r.engine == engine && r.join == Join::InOrder && r.threads == threads
        })
    };
    // The median over rounds of row `i`'s rate divided by row `j`'s in the same round.
    let ratio = |rates: &[Vec<f64>], i: usize, j: Option<usize>| -> Option<f64> {
        let j = j?;
        let per_round: Vec<f64> = rates[i].iter().zip(&rates[j]).map(|(a, b)| a / b).collect();
        Some(median(&per_round))
    };
    let fmt_ratio = |x: Option<f64>| x.map_or("-".to_string(), |x| format!("{x:.2}"));
    let range = |xs: &[f64]| {
        let (lo, hi) = xs
            .iter()
            .fold((f64::MAX, 0.0f64), |(lo, hi), &x| (lo.min(x), hi.max(x)));
        format!("({lo:.0}..{hi:.0})")
    };
    let dash_if_zero = |x: f64, prec: usize| match x {
        x if x == 0.0 || !x.is_finite() => "-".to_string(),
        x => format!("{x:.prec$}"),
    };
    let references = |i: usize| {
        let r = &rows[i];
        let fifo = match r.engine {
            Engine::RandomL2 => find(r.kind, Engine::Fifo, 0),
            _ => None,
        };
        let min = match r.engine {
            Engine::Minimal => None,
            _ => find(r.kind, Engine::Minimal, 0),
        };
        (fifo, min)
    };

    println!(
        "{:<32} {:<17} {:>6} {:>8} {:>15} {:>5} {:>6} {:>6} {:>9} {:>7} {:>8} {:>7} {:>7}  targets",
        "workload",
        "engine",
        "N",
        "exec/s",
        "(min..max)",
        "cpu%",
        "xfifo",
        "xmin",
        "handle/ex",
        "step/ex",
        "decis/ex",
        "ns/hdl",
        "ns/step",
    );
    let mut details = Vec::new();
    let mut per_step = Vec::new();
    for (i, r) in rows.iter().enumerate().filter(|(_, r)| r.threads == 0) {
        let rate = median(&rates[i]);
        let on_cpu: Vec<f64> = runs[i].iter().map(|t| 100.0 * t.cpu / t.seconds).collect();
        let on_cpu = match cpu_known(i) {
            true => format!("{:.0}", median(&on_cpu)),
            false => "-".into(),
        };
        let (fifo, min) = references(i);
        let (x_fifo, x_min) = (ratio(&rates, i, fifo), ratio(&rates, i, min));
        let (c, n) = r.counts(r.execs.min(1_000));
        let per = |x: &Cell<u64>| x.get() as f64 / n;
        let (handles, steps) = (per(&c.handles), per(&c.steps));
        per_step.push((i, steps));
        let decisions = runs[i][0].decisions as f64 / r.execs as f64;
        let mut targets = Vec::new();
        if let Some(t) = r.target {
            targets.push(verdict(rate, t, " exec/s"));
        }
        if r.engine == Engine::RandomL2 {
            if let Some(x) = x_fifo {
                targets.push(verdict(x, 0.75, "xfifo"));
            }
            if let Some(x) = x_min {
                targets.push(verdict(x, 0.8, "xmin"));
            }
        }
        println!(
            "{:<32} {:<17} {:>6} {:>8.0} {:>15} {:>5} {:>6} {:>6} {:>9} {:>7.1} {:>8} {:>7} {:>7.1}  {}",
            r.name,
            r.engine.label(),
            r.execs,
            rate,
            range(&rates[i]),
            on_cpu,
            fmt_ratio(x_fifo),
            fmt_ratio(x_min),
            dash_if_zero(handles, 1),
            steps,
            match r.engine {
                Engine::Fifo => "-".to_string(),
                _ => format!("{decisions:.1}"),
            },
            dash_if_zero(1e9 / (rate * handles), 1),
            1e9 / (rate * steps),
            targets.join(", "),
        );
        if r.engine != Engine::Minimal {
            let k: Vec<f64> = c.by_kind.iter().map(per).collect();
            details.push(format!(
                "{:<32} {:<17} iterations {:.1}; handles: step {:.1}, wakeup {:.1}, \
                 internal {:.1}, timer {:.1}, cancelled timer {:.1}, other {:.1}",
                r.name,
                r.engine.label(),
                per(&c.iterations),
                k[0],
                k[1],
                k[2],
                k[3],
                k[4],
                k[5]
            ));
        }
    }
    if per_step.iter().any(|&(i, _)| cpu_known(i)) {
        println!();
        println!(
            "per CPU-second (on-CPU time of the timing thread from schedstat: less sensitive to \
             preemption by other load)"
        );
        println!(
            "{:<32} {:<17} {:>10} {:>17} {:>6} {:>6} {:>7}",
            "workload", "engine", "exec/cpu-s", "(min..max)", "xfifo", "xmin", "ns/step"
        );
        for (i, steps) in per_step.into_iter().filter(|&(i, _)| cpu_known(i)) {
            let r = &rows[i];
            let rate = median(&cpu_rates[i]);
            let (fifo, min) = references(i);
            println!(
                "{:<32} {:<17} {:>10.0} {:>17} {:>6} {:>6} {:>7.1}",
                r.name,
                r.engine.label(),
                rate,
                range(&cpu_rates[i]),
                fmt_ratio(ratio(&cpu_rates, i, fifo)),
                fmt_ratio(ratio(&cpu_rates, i, min)),
                1e9 / (rate * steps),
            );
        }
    }
    if !details.is_empty() {
        println!();
        println!("per execution (observed pass):");
        for d in details {
            println!("  {d}");
        }
    }

    if rows.iter().any(|r| r.threads > 0) {
        println!();
        println!(
            "sweep: cpu/wall = CPU-seconds of all threads / wall seconds (2.0 = two full cores); \
             wait% = share of the threads' runnable time spent waiting for a CPU"
        );
        println!(
            "{:<32} {:<17} {:>7} {:>6} {:>8} {:>15} {:>9} {:>8} {:>6} {:>10} {:>9}  targets",
            "parallel sweep",
            "engine",
            "threads",
            "N",
            "exec/s",
            "(min..max)",
            "xthreads1",
            "cpu/wall",
            "wait%",
            "exec/cpu-s",
            "xthr1 cpu"
        );
        for (i, r) in rows.iter().enumerate().filter(|(_, r)| r.threads > 0) {
            let one = match r.threads {
                1 => None,
                _ => find(r.kind, r.engine, 1),
            };
            let x1 = ratio(&rates, i, one);
            let target = match (r.threads, x1) {
                (2, Some(x)) => verdict(x, 1.7, "x"),
                _ => String::new(),
            };
            let parallelism: Vec<f64> = runs[i].iter().map(|t| t.cpu / t.seconds).collect();
            let wait: Vec<f64> = runs[i]
                .iter()
                .map(|t| 100.0 * t.wait / (t.cpu + t.wait))
                .collect();
            println!(
                "{:<32} {:<17} {:>7} {:>6} {:>8.0} {:>15} {:>9} {:>8.2} {:>6.0} {:>10.0} {:>9}  {}",
                r.name,
                r.engine.label(),
                r.threads,
                r.execs,
                median(&rates[i]),
                range(&rates[i]),
                fmt_ratio(x1),
                median(&parallelism),
                median(&wait),
                median(&cpu_rates[i]),
                fmt_ratio(ratio(&cpu_rates, i, one)),
                target,
            );
        }
    }
    println!();
    println!("machine: nproc {nproc}; at end: {}", load());
}
