//! The Rust exploration API: `aiosim_sim::explore(config, || async { ... })`.

use std::cell::RefCell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::rc::Rc;

use aiosim::{Exception, Level, create_task, sleep};
use aiosim_sim::explore::Config;
use aiosim_sim::policy::PolicyKind;

/// Two workers sleep the same time and append to a log; the body asserts the order CPython
/// gives, which other legal schedules change.
async fn racy_body() -> Result<(), Exception> {
    let log = Rc::new(RefCell::new(Vec::new()));
    let worker = |name: &'static str| {
        let log = log.clone();
        create_task(async move {
            sleep(1).await?;
            log.borrow_mut().push(name);
            Ok(())
        })
    };
    let (a, b) = (worker("a"), worker("b"));
    a.await?;
    b.await?;
    assert_eq!(*log.borrow(), vec!["a", "b"], "a writes first");
    Ok(())
}

fn config(regressions: PathBuf) -> Config {
    let mut c = Config::default();
    c.schedules.policy = PolicyKind::Random;
    c.schedules.level = Level::Interleave;
    c.schedules.runs = 200;
    c.regressions = Some(regressions);
    c
}

/// A fresh scratch directory for one test's regressions file, removed when the test ends.
struct Scratch {
    dir: PathBuf,
}

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir =
            std::env::temp_dir().join(format!("aiosim-explore-api-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        Scratch { dir }
    }

    /// The regressions file (not created until a failure is recorded).
    fn file(&self) -> PathBuf {
        self.dir.join("regressions.jsonl")
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A configuration for exactly one run, recording regressions in a scratch file.
fn one_run(scratch: &Scratch) -> Config {
    let mut c = config(scratch.file());
    c.schedules.runs = 1;
    c
}

/// Explores `body` under `config`, which must fail; returns the failure's message.
fn failure_message<F, Fut>(config: Config, body: F) -> String
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<(), Exception>> + 'static,
{
    let e = catch_unwind(AssertUnwindSafe(|| aiosim_sim::explore(config, body)))
        .expect_err("the exploration fails");
    e.downcast_ref::<String>()
        .cloned()
        .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

#[test]
fn a_faithful_body_passes_every_schedule() {
    let scratch = Scratch::new("clean");
    let file = scratch.file();
    aiosim_sim::explore(config(file.clone()), || async {
        let a = create_task(async {
            sleep(1).await?;
            Ok(1)
        });
        let b = create_task(async {
            sleep(2).await?;
            Ok(2)
        });
        assert_eq!(a.await? + b.await?, 3);
        Ok(())
    });
    assert!(!file.exists(), "no failure, no regression recorded");
}

#[test]
fn a_failing_run_is_reported_with_a_replay_command_and_recorded() {
    let scratch = Scratch::new("racy");
    let file = scratch.file();
    let message = failure_message(config(file.clone()), racy_body);
    assert!(message.contains("a writes first"), "{message}");
    assert!(message.contains("AIOSIM_REPLAY="), "{message}");
    assert!(message.contains("seed"), "{message}");
    let recorded = std::fs::read_to_string(&file).expect("the schedule was recorded");
    assert_eq!(recorded.lines().count(), 1);

    // The next call replays the recorded schedule first and fails on it at once, even with
    // no runs of its own.
    let mut replay_only = config(file.clone());
    replay_only.schedules.runs = 0;
    let message = failure_message(replay_only, racy_body);
    assert!(message.contains("recorded in"), "{message}");
}

#[test]
fn fifo_never_finds_the_race() {
    let scratch = Scratch::new("fifo");
    let file = scratch.file();
    let mut c = config(file.clone());
    c.schedules.policy = PolicyKind::Fifo;
    aiosim_sim::explore(c, racy_body);
    assert!(!file.exists());
}

#[test]
fn an_error_returned_by_the_body_fails_the_run() {
    let scratch = Scratch::new("error");
    let message = failure_message(one_run(&scratch), || async {
        Err(Exception::custom("Boom", Some("no")))
    });
    assert!(message.contains("Boom"), "{message}");
}

#[test]
fn a_deadlocked_body_fails_the_run_instead_of_hanging() {
    let scratch = Scratch::new("deadlock");
    let message = failure_message(one_run(&scratch), || async {
        let never: aiosim::Future<()> = aiosim::Future::new();
        never.await
    });
    assert!(message.contains("deadlock"), "{message}");
}

#[test]
fn a_spinning_body_exhausts_its_budget_and_names_the_task() {
    let scratch = Scratch::new("spin");
    let mut c = one_run(&scratch);
    c.budget = 1_000;
    let message = failure_message(c, || async {
        loop {
            sleep(0).await?;
        }
    });
    assert!(message.contains("budget"), "{message}");
    assert!(message.contains("Task-1"), "{message}");
}

#[test]
fn seeds_past_the_largest_panic_before_any_run() {
    let scratch = Scratch::new("seed-range");
    let mut c = one_run(&scratch);
    c.schedules.seed = u64::MAX - 1;
    c.schedules.runs = 4;
    let runs = std::cell::Cell::new(0);
    let message = failure_message(c, || {
        runs.set(runs.get() + 1);
        async { Ok(()) }
    });
    assert!(message.contains("at most 2 runs"), "{message}");
    assert_eq!(runs.get(), 0);
}
