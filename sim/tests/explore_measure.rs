//! Measurements for `docs/exploring.md` (ignored by default; run in release):
//!
//! ```text
//! cargo test --release -p aiosim-sim --test explore_measure -- --ignored --nocapture
//! ```
//!
//! For every bug graph and policy: runs to the first failure from 20 starting seeds (spaced a
//! million apart, so the seed ranges never overlap), as median and mean; `exhaustive` has one
//! number, its deterministic position in the enumeration.

#[path = "explore_support.rs"]
mod support;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use aiosim_sim::explore::{Explorer, sweep};
use aiosim_sim::policy::PolicyKind;
use support::{BUGS, config, load, quiet_sweep, runs_to_first_failure};

/// Starting seeds per policy.
const STARTS: u64 = 20;
/// Give up on one starting seed after this many runs.
const LIMIT: u64 = 50_000;

fn median(xs: &mut [f64]) -> f64 {
    xs.sort_by(|a, b| a.partial_cmp(b).expect("no NaN"));
    let n = xs.len();
    if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    }
}

#[test]
#[ignore = "measurement; run in release with --ignored --nocapture"]
fn runs_to_first_failure_table() {
    println!("| graph | level | policy | median | mean | not found (of {STARTS}) |");
    println!("|---|---|---|---|---|---|");
    for bug in BUGS {
        let explorer = Explorer::new(load(bug.file));
        let steps = explorer.fifo_handles();
        let mut policies: Vec<(String, PolicyKind, u32)> = vec![
            ("random".into(), PolicyKind::Random, 3),
            ("pct d=3".into(), PolicyKind::Pct, 3),
            ("pos".into(), PolicyKind::Pos, 3),
        ];
        if bug.file == "heartbeat_false_alarm.json" {
            policies.push(("pct d=1".into(), PolicyKind::Pct, 1));
            policies.push(("pct d=2".into(), PolicyKind::Pct, 2));
        }
        for (name, policy, depth) in policies {
            let mut found = Vec::new();
            let mut missed = 0;
            for start in 0..STARTS {
                let mut sweep = config(
                    policy,
                    bug.level,
                    bug.inject_cancels,
                    start * 1_000_000,
                    LIMIT,
                );
                sweep.schedules.depth = depth;
                match runs_to_first_failure(&explorer, &sweep, steps, LIMIT) {
                    Some((n, _)) => found.push(n as f64),
                    None => missed += 1,
                }
            }
            let mean = found.iter().sum::<f64>() / found.len().max(1) as f64;
            println!(
                "| {} | {} | {name} | {:.1} | {:.1} | {missed} |",
                bug.file,
                bug.level as u8,
                median(&mut found),
                mean
            );
        }
        // The enumeration is sequential: the first failure's position is the number of runs
        // made before it, plus one.
        let runs_done = AtomicU64::new(0);
        let first_at = AtomicU64::new(0);
        let exhaustive = sweep(
            &explorer,
            &config(
                PolicyKind::Exhaustive,
                bug.level,
                bug.inject_cancels,
                0,
                LIMIT,
            ),
            &|_| {
                let at = runs_done.load(Ordering::Relaxed) + 1;
                let _ = first_at.compare_exchange(0, at, Ordering::Relaxed, Ordering::Relaxed);
                Ok(())
            },
            &|| {
                runs_done.fetch_add(1, Ordering::Relaxed);
            },
        )
        .expect("the sweep runs");
        let first = match first_at.load(Ordering::Relaxed) {
            0 => None,
            n => Some(n),
        };
        println!(
            "| {} | {} | exhaustive | {} | (space: {} schedules{}) | |",
            bug.file,
            bug.level as u8,
            first.map_or("-".to_string(), |n| n.to_string()),
            exhaustive.runs,
            if exhaustive.coverage.is_some_and(|c| c.complete) {
                ", complete"
            } else {
                ", budget reached"
            }
        );
    }
}

/// In-process throughput of one thread, per policy, on the mid-size graph (the numbers the
/// CLI prints include its progress bar and thread pool).
#[test]
#[ignore = "measurement; run in release with --ignored --nocapture"]
fn throughput_in_process() {
    let explorer = Explorer::new(load("heartbeat_false_alarm.json"));
    for (name, policy) in [
        ("random", PolicyKind::Random),
        ("pct", PolicyKind::Pct),
        ("pos", PolicyKind::Pos),
    ] {
        for jobs in [1, 2] {
            let mut sweep = config(policy, aiosim::Level::Interleave, 0, 0, 20_000);
            sweep.jobs = jobs;
            let started = Instant::now();
            let outcome = quiet_sweep(&explorer, &sweep);
            let secs = started.elapsed().as_secs_f64();
            println!(
                "{name} jobs {jobs}: {} runs in {secs:.2} s = {:.0} runs/s",
                outcome.runs,
                outcome.runs as f64 / secs
            );
        }
    }
}
