//! Exploring Rust code: run an `async` body written against the aiosim runtime under many
//! schedules, like `aiosim explore` does for task graphs.
//!
//! ```no_run
//! use aiosim::{create_task, sleep, Exception};
//! use aiosim_sim::explore::Config;
//!
//! aiosim_sim::explore(Config::from_env(), || async {
//!     let a = create_task(async { sleep(1).await?; Ok(1) });
//!     let b = create_task(async { sleep(1).await?; Ok(2) });
//!     assert_eq!(a.await? + b.await?, 3);
//!     Ok(())
//! });
//! ```
//!
//! A run fails when the body returns `Err`, panics (an `assert!` included), deadlocks,
//! exceeds the iteration budget, or breaks a runtime rule that the loop's own events show
//! (semantics 4.1: no synchronous callbacks, causality, time never going back, no early
//! timer; see [`super::sanity`]). The first failure is appended to the regressions file and
//! the call panics with the seed, the policy and one command line that replays exactly that
//! run. The next call replays every recorded regression first.
//!
//! Environment variables (all optional; they override the `Config` given in code):
//!
//! | variable | meaning |
//! |---|---|
//! | `AIOSIM_RUNS` | number of schedules to explore |
//! | `AIOSIM_SEED` | the first seed |
//! | `AIOSIM_POLICY` | `fifo`, `random`, `pct` or `pos` |
//! | `AIOSIM_LEVEL` | `1`, `2` or `3` (semantics section 4) |
//! | `AIOSIM_DEPTH` | PCT's bug depth |
//! | `AIOSIM_INJECT_CANCELS` | cancellations to inject per run |
//! | `AIOSIM_BUDGET` | iteration budget of one run |
//! | `AIOSIM_REPLAY` | `FILE#INDEX`: replay only that recorded schedule |
//! | `AIOSIM_REGRESSIONS` | the regressions directory (default `aiosim-regressions/` in the crate) |

use std::future::Future as StdFuture;
use std::io::{BufRead, BufReader, Write};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use aiosim::{EventLoop, Exception, Level, RunError};

use crate::policy::{PolicyKind, Schedule, scheduler_for};

use super::sanity::SanityLog;
use super::sweep::{Schedules, Shard};

/// How to explore a body.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Config {
    /// The schedules to run (all of them: the Rust API does not shard).
    pub schedules: Schedules,
    /// Iteration budget of one run.
    pub budget: u64,
    /// The regressions file; `None` derives one from the test's name.
    pub regressions: Option<PathBuf>,
    /// Replay only this schedule.
    pub replay: Option<Schedule>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            schedules: Schedules::default(),
            budget: super::DEFAULT_BUDGET,
            regressions: None,
            replay: None,
        }
    }
}

fn env<T: std::str::FromStr>(name: &str) -> Option<T> {
    let value = std::env::var(name).ok()?;
    match value.parse() {
        Ok(v) => Some(v),
        Err(_) => panic!("aiosim: cannot parse {name}={value:?}"),
    }
}

impl Config {
    /// The defaults, overridden by the `AIOSIM_*` environment variables.
    pub fn from_env() -> Config {
        Config::default().with_env()
    }

    /// This configuration, overridden by the `AIOSIM_*` environment variables.
    pub fn with_env(mut self) -> Config {
        let schedules = &mut self.schedules;
        if let Some(v) = env("AIOSIM_RUNS") {
            schedules.runs = v;
        }
        if let Some(v) = env("AIOSIM_SEED") {
            schedules.seed = v;
        }
        if let Ok(p) = std::env::var("AIOSIM_POLICY") {
            schedules.policy = match p.as_str() {
                "fifo" => PolicyKind::Fifo,
                "random" => PolicyKind::Random,
                "pct" => PolicyKind::Pct,
                "pos" => PolicyKind::Pos,
                other => panic!("aiosim: AIOSIM_POLICY={other:?}: use fifo, random, pct or pos"),
            };
        }
        if let Some(l) = env::<u8>("AIOSIM_LEVEL") {
            schedules.level = match l {
                1 => Level::Ties,
                2 => Level::Interleave,
                3 => Level::Timing,
                other => panic!("aiosim: AIOSIM_LEVEL={other}: use 1, 2 or 3"),
            };
        }
        if let Some(v) = env("AIOSIM_DEPTH") {
            schedules.depth = v;
        }
        if let Some(v) = env("AIOSIM_INJECT_CANCELS") {
            schedules.inject_cancels = v;
        }
        if let Some(v) = env("AIOSIM_BUDGET") {
            self.budget = v;
        }
        if let Ok(dir) = std::env::var("AIOSIM_REGRESSIONS") {
            self.regressions = Some(Path::new(&dir).join(format!("{}.jsonl", test_name())));
        }
        if let Ok(spec) = std::env::var("AIOSIM_REPLAY") {
            self.replay = Some(load_replay(&spec));
        }
        self
    }
}

/// The running test's name (libtest names each test's thread after it), made file-safe.
fn test_name() -> String {
    let name = std::thread::current()
        .name()
        .unwrap_or("main")
        .replace("::", "__");
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

fn default_regressions() -> PathBuf {
    let base =
        std::env::var("CARGO_MANIFEST_DIR").map_or_else(|_| PathBuf::from("."), PathBuf::from);
    base.join("aiosim-regressions")
        .join(format!("{}.jsonl", test_name()))
}

/// Reads `FILE#INDEX` (or `FILE`, meaning index 0).
fn load_replay(spec: &str) -> Schedule {
    let (file, index) = match spec.rsplit_once('#') {
        Some((f, i)) => (
            f,
            i.parse()
                .unwrap_or_else(|_| panic!("aiosim: AIOSIM_REPLAY={spec:?}: bad index")),
        ),
        None => (spec, 0usize),
    };
    read_schedules(Path::new(file))
        .into_iter()
        .nth(index)
        .unwrap_or_else(|| panic!("aiosim: AIOSIM_REPLAY={spec:?}: no such schedule"))
}

fn read_schedules(path: &Path) -> Vec<Schedule> {
    let Ok(file) = std::fs::File::open(path) else {
        return Vec::new();
    };
    BufReader::new(file)
        .lines()
        .map_while(Result::ok)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            serde_json::from_str(&l)
                .unwrap_or_else(|e| panic!("aiosim: {}: not a schedule: {e}", path.display()))
        })
        .collect()
}

/// Appends `schedule` to `path` (creating its directory) and returns its line index.
fn persist(path: &Path, schedule: &Schedule) -> std::io::Result<usize> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let index = read_schedules(path).len();
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    let mut line = serde_json::to_vec(schedule).map_err(std::io::Error::other)?;
    line.push(b'\n');
    file.write_all(&line)?;
    file.sync_data()?;
    Ok(index)
}

/// Why one run failed.
fn run_once<F, Fut>(schedule: &Schedule, budget: u64, body: &F) -> (Schedule, Option<String>)
where
    F: Fn() -> Fut,
    Fut: StdFuture<Output = Result<(), Exception>> + 'static,
{
    let (scheduler, log) = scheduler_for(schedule);
    let sanity = SanityLog::new();
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let event_loop = EventLoop::new();
        event_loop.set_scheduler(scheduler);
        event_loop.set_observer(Some(sanity.observer()));
        event_loop.set_iteration_budget(Some(budget));
        let main = event_loop.run_until_complete(body());
        let shutdown = match &main {
            Err(RunError::Deadlock(_) | RunError::BudgetExhausted(_)) => Ok(()),
            _ => aiosim::runner::shutdown(&event_loop),
        };
        main.and(shutdown)
    }));
    let mut recorded = schedule.clone();
    recorded.decisions = log.decisions();
    let broken = sanity.violations();
    let failure = match outcome {
        Ok(Ok(())) if broken.is_empty() => None,
        Ok(Ok(())) => Some(format!(
            "runtime sanity: {}",
            broken
                .iter()
                .map(|v| format!("{}: {}", v.rule, v.detail))
                .collect::<Vec<_>>()
                .join("; ")
        )),
        Ok(Err(e)) => Some(e.to_string()),
        Err(panic) => Some(match panic.downcast_ref::<String>() {
            Some(s) => format!("panicked: {s}"),
            None => match panic.downcast_ref::<&str>() {
                Some(s) => format!("panicked: {s}"),
                None => "panicked".to_string(),
            },
        }),
    };
    (recorded, failure)
}

/// Runs `body` (a fresh future per run) under the configured schedules; panics with a
/// replay command at the first failing run, after appending its schedule to the regressions
/// file. Recorded regressions are replayed first. Schedules that
/// [`Schedules::validate`] refuses (seeds past `u64::MAX`, too many injections) panic before
/// any run.
pub fn explore<F, Fut>(config: Config, body: F)
where
    F: Fn() -> Fut,
    Fut: StdFuture<Output = Result<(), Exception>> + 'static,
{
    if let Err(why) = config.schedules.validate() {
        panic!("aiosim: {why}");
    }
    let regressions = config
        .regressions
        .clone()
        .unwrap_or_else(default_regressions);
    let fail = |schedule: &Schedule, why: String, replaying: bool| -> ! {
        let place = if replaying {
            format!("(recorded in {})", regressions.display())
        } else {
            match persist(&regressions, schedule) {
                Ok(i) => format!(
                    "replay: AIOSIM_REPLAY='{}#{i}' cargo test {} -- --exact",
                    regressions.display(),
                    std::thread::current().name().unwrap_or("")
                ),
                Err(e) => format!("(could not record it in {}: {e})", regressions.display()),
            }
        };
        panic!(
            "aiosim: run failed: {why}\n  seed {} policy {:?} level {:?} ({} decisions)\n  {place}",
            schedule.seed,
            schedule.policy,
            schedule.level,
            schedule.decisions.len()
        );
    };
    if let Some(schedule) = &config.replay {
        let replay = schedule.replaying(schedule.decisions.clone());
        if let (s, Some(why)) = run_once(&replay, config.budget, &body) {
            fail(&s, why, true);
        }
        return;
    }
    for recorded in read_schedules(&regressions) {
        let replay = recorded.replaying(recorded.decisions.clone());
        if let (s, Some(why)) = run_once(&replay, config.budget, &body) {
            fail(&s, why, true);
        }
    }
    for seed in config.schedules.seeds(Shard::ALL) {
        let schedule = config.schedules.schedule(seed);
        if let (s, Some(why)) = run_once(&schedule, config.budget, &body) {
            fail(&s, why, false);
        }
    }
}
