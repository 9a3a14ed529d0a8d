//! The peer workloads W1 "fanout" and W2 "cancel-storm" (`shared/research/WORKLOADS.md`), run
//! as whole executions on aiosim in FIFO (CPython) order.
//!
//! One execution is `asyncio.run(main)`: a fresh [`EventLoop`] (its tables are reused by the
//! next loop of the thread), `run_until_complete(main)`, then `asyncio.run`'s shutdown.
//! Execution `k` of a timed run gets seed `k`; the untimed warm-up before each run
//! (`max(5, N/20)` executions) uses seeds from 1,000,000. Every execution checks its
//! workload's invariants, so a run of a different task graph fails instead of reporting a
//! number. Timed runs install no observer (the default: the hook is present but nothing
//! records). Handles, task steps and loop iterations per execution are counted with an
//! [`Observer`] in a separate untimed pass.
//!
//! Each row is the median of 5 runs; the rows alternate within each round, as the peers were
//! measured. Run with `cargo bench --bench workloads [-- FILTER...]`.
//!
//! Environment: `AIOSIM_BENCH_EXECS=N` sets the executions per timed run of every workload
//! (default: 2,000 for W1, 10,000 for W2 and the empty execution).

use std::cell::Cell;
use std::future::Future as StdFuture;
use std::hint::black_box;
use std::rc::Rc;
use std::time::Instant;

use aiosim::{EventLoop, Exception, HandleKind, Observer, Task, create_task, gather, sleep, time};

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
#[derive(Clone, Copy, Debug)]
enum Join {
    /// Awaits the tasks one by one in spawn order (the Rust peers' join).
    InOrder,
    /// One `gather` over all of them (the CPython peer's join).
    Gather,
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

fn fanout(join: Join, seed: u64, observer: Option<Box<dyn Observer>>) {
    rng::reseed(seed);
    let (sum, now) = execute(fanout_main(join), observer);
    assert_eq!(sum, 4950, "W1: the children's results must sum to 4950");
    assert!((10..=100).contains(&now), "W1: final virtual time {now}");
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

/// W2 `main`: spawns 50 children, cancels the odd ones at tick 7, joins them all.
async fn storm_main(join: Join) -> Result<StormOutcome, Exception> {
    let tasks: Vec<Task<(u32, bool)>> = (0..50).map(|i| create_task(storm_child(i))).collect();
    sleep(7).await?;
    for t in tasks.iter().skip(1).step_by(2) {
        t.cancel();
    }
    let results = join_all(&tasks, join).await?;
    Ok(StormOutcome {
        cancelled: results.iter().filter(|&&(_, c)| c).count(),
        odd_ones_exactly: (0..50).zip(&results).all(|(i, &r)| r == (i, i % 2 == 1)),
        now: time(),
    })
}

fn storm(join: Join, _seed: u64, observer: Option<Box<dyn Observer>>) {
    let out = execute(storm_main(join), observer);
    assert_eq!(
        out.cancelled, 25,
        "W2: exactly 25 tasks report a cancellation"
    );
    assert!(
        out.odd_ones_exactly,
        "W2: exactly the odd tasks were cancelled"
    );
    assert_eq!(out.now, 20, "W2: final virtual time");
}

/// The fixed cost of an execution: `main` returns at once.
fn empty(_join: Join, _seed: u64, observer: Option<Box<dyn Observer>>) {
    execute(async { Ok(()) }, observer);
}

// ---------------------------------------------------------------------------------------------
// Running executions
// ---------------------------------------------------------------------------------------------

/// `asyncio.run(main)` (what [`aiosim::run`] does), with an optional observer installed on
/// the fresh loop.
fn execute<T, F>(main: F, observer: Option<Box<dyn Observer>>) -> T
where
    T: Clone + 'static,
    F: StdFuture<Output = Result<T, Exception>> + 'static,
{
    let event_loop = EventLoop::new();
    if observer.is_some() {
        event_loop.set_observer(observer);
    }
    let outcome = event_loop.run_until_complete(main);
    aiosim::runner::shutdown(&event_loop).expect("asyncio.run's shutdown");
    outcome.expect("main finished normally")
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

/// One benchmark row.
struct Workload {
    name: &'static str,
    run: fn(Join, u64, Option<Box<dyn Observer>>),
    join: Join,
    execs: usize,
    /// Target executions per second, if any.
    target: Option<f64>,
}

impl Workload {
    fn execute(&self, seed: u64) {
        (self.run)(self.join, seed, None);
    }

    /// Untimed warm-up, then `execs` timed executions with seeds `0..execs`; seconds taken.
    /// (Not inlined, so that a profiler can collect inside it alone:
    /// `valgrind --tool=callgrind --toggle-collect='*timed_run*'`.)
    #[inline(never)]
    fn timed_run(&self) -> f64 {
        for k in 0..(self.execs / 20).max(5) {
            self.execute(1_000_000 + k as u64);
        }
        let start = Instant::now();
        for k in 0..self.execs {
            self.execute(black_box(k as u64));
        }
        start.elapsed().as_secs_f64()
    }

    /// Mean counts per execution over `execs` observed executions (seeds `0..execs`).
    fn counts(&self, execs: usize) -> (Counts, f64) {
        let counts = Rc::new(Counts::default());
        for k in 0..execs {
            (self.run)(self.join, k as u64, Some(Box::new(Counter(counts.clone()))));
        }
        ((*counts).clone(), execs as f64)
    }
}

fn median(xs: &mut [f64]) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn main() {
    const ROUNDS: usize = 5;
    let execs_override: Option<usize> = std::env::var("AIOSIM_BENCH_EXECS").ok().map(|v| {
        v.parse()
            .expect("AIOSIM_BENCH_EXECS is a number of executions")
    });
    let execs = |default: usize| execs_override.unwrap_or(default).max(1);
    // `cargo bench` passes `--bench`; other arguments are name filters.
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();

    let workloads: Vec<Workload> = [
        (
            "W1 fanout, await in order",
            fanout as fn(_, _, _),
            Join::InOrder,
            2_000,
            Some(13_000.0),
        ),
        (
            "W1 fanout, gather",
            fanout,
            Join::Gather,
            2_000,
            Some(13_000.0),
        ),
        (
            "W2 cancel-storm, await in order",
            storm,
            Join::InOrder,
            10_000,
            Some(100_000.0),
        ),
        (
            "W2 cancel-storm, gather",
            storm,
            Join::Gather,
            10_000,
            Some(100_000.0),
        ),
        ("empty execution", empty, Join::InOrder, 10_000, None),
    ]
    .into_iter()
    .map(|(name, run, join, n, target)| Workload {
        name,
        run,
        join,
        execs: execs(n),
        target,
    })
    .filter(|w| filters.is_empty() || filters.iter().any(|f| w.name.contains(f.as_str())))
    .collect();

    println!(
        "aiosim workloads: FIFO scheduler, no observer installed, median of {ROUNDS} alternating runs"
    );
    println!("W1 durations: ChaCha8Rng re-seeded with the execution's seed");
    println!();

    let mut seconds: Vec<Vec<f64>> = vec![Vec::new(); workloads.len()];
    for _ in 0..ROUNDS {
        for (w, s) in workloads.iter().zip(&mut seconds) {
            s.push(w.timed_run());
        }
    }

    println!(
        "{:<34} {:>6} {:>10} {:>17} {:>9} {:>10} {:>9} {:>8} {:>8}",
        "workload",
        "N",
        "exec/s",
        "(min..max)",
        "target",
        "handles/ex",
        "steps/ex",
        "ns/hdl",
        "ns/step"
    );
    let mut details = Vec::new();
    for (w, s) in workloads.iter().zip(&mut seconds) {
        let rates: Vec<f64> = s.iter().map(|t| w.execs as f64 / t).collect();
        let (lo, hi) = rates
            .iter()
            .fold((f64::MAX, 0.0f64), |(lo, hi), &r| (lo.min(r), hi.max(r)));
        let rate = w.execs as f64 / median(s);
        let (c, n) = w.counts(w.execs.min(1_000));
        let per = |x: &Cell<u64>| x.get() as f64 / n;
        let (handles, steps) = (per(&c.handles), per(&c.steps));
        let target = match w.target {
            Some(t) if rate >= t => format!("{t:.0} ok"),
            Some(t) => format!("{t:.0} LOW"),
            None => "-".into(),
        };
        println!(
            "{:<34} {:>6} {:>10.0} {:>17} {:>9} {:>10.1} {:>9.1} {:>8.1} {:>8.1}",
            w.name,
            w.execs,
            rate,
            format!("({lo:.0}..{hi:.0})"),
            target,
            handles,
            steps,
            1e9 / (rate * handles),
            1e9 / (rate * steps),
        );
        let k: Vec<f64> = c.by_kind.iter().map(per).collect();
        details.push(format!(
            "{:<34} iterations {:.1}; handles: step {:.1}, wakeup {:.1}, internal {:.1}, \
             timer {:.1}, cancelled timer {:.1}, other {:.1}",
            w.name,
            per(&c.iterations),
            k[0],
            k[1],
            k[2],
            k[3],
            k[4],
            k[5]
        ));
    }
    println!();
    println!("per execution (observed pass):");
    for d in details {
        println!("  {d}");
    }
}
