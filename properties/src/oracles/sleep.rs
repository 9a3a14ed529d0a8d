//! Oracles of `asyncio.sleep` (SLEEP-*).

use aiosim_sim::graph::Op;
use aiosim_sim::trace::{Outcome, Res};
use aiosim_sim::value::Value;

use super::fut::{out_of, show};
use crate::context::{Judged, finding, oracle};
use crate::oracle::{Finding, Oracle};

/// IDs of this area without an oracle: (ID, reason and where it is tested).
pub const NOT_JUDGED: &[(&str, &str)] = &[(
    "SLEEP-5",
    "delays are integer ticks in the graph format and u64 in the runtime: NaN cannot be \
     written (tests/README.md, SLEEP-5)",
)];

/// This area's oracles.
pub fn oracles() -> Vec<Box<dyn Oracle>> {
    vec![
        oracle("SLEEP-1", false, sleep_1),
        oracle("SLEEP-2", false, sleep_2),
        oracle("SLEEP-3", false, sleep_3),
        oracle("SLEEP-4", false, sleep_4),
    ]
}

/// SLEEP-1: `sleep(N)`, `N > 0`, resumes in the iteration after its timer fired, never
/// before the deadline. In CPython's order (and levels 1–2, where time only jumps to the
/// next deadline) it resumes exactly at the deadline, one iteration after the first
/// iteration that reached it.
fn sleep_1(j: &Judged<'_>) -> Vec<Finding> {
    let m = j.model();
    let events = j.events();
    let mut out = Vec::new();
    for (x, n) in m.sleeps().filter(|&(_, n)| n > 0) {
        let Some(e) = x.event else { continue };
        if !matches!(out_of(j, e), Some(Outcome::Ok(_))) {
            continue;
        }
        let deadline = x.start_t.saturating_add(n);
        let t = events[e].t();
        if t < deadline {
            out.push(finding(
                [e],
                format!(
                    "{}:{} slept {n} from t={} and resumed at t={t}, before its deadline \
                     t={deadline}",
                    x.task, x.at, x.start_t
                ),
            ));
            continue;
        }
        if !j.exact_latency() {
            continue;
        }
        if t != deadline {
            out.push(finding(
                [e],
                format!(
                    "{}:{} slept {n} from t={} and resumed at t={t}; the clock only jumps to the \
                     next deadline, so it must resume at t={deadline}",
                    x.task, x.at, x.start_t
                ),
            ));
            continue;
        }
        let fired = j.iteration(e).saturating_sub(1);
        let early = (0..e).find(|&i| {
            let it = j.iteration(i);
            it > x.start_iteration && it < fired && events[i].t() >= deadline
        });
        if let Some(i) = early {
            out.push(finding(
                [i, e],
                format!(
                    "iteration {} already ran at t={} >= the deadline t={deadline} of {}:{}, so \
                     its timer fired then and the task must resume in iteration {}, not {}",
                    j.iteration(i),
                    events[i].t(),
                    x.task,
                    x.at,
                    j.iteration(i) + 1,
                    j.iteration(e)
                ),
            ));
        }
    }
    out
}

/// SLEEP-2: `sleep(0)` is one bare yield: the task resumes in the next iteration (whatever
/// happens meanwhile), never in the same step.
fn sleep_2(j: &Judged<'_>) -> Vec<Finding> {
    let m = j.model();
    let mut out = Vec::new();
    for (x, _) in m.sleeps().filter(|&(_, n)| n == 0) {
        let k = x.start_iteration;
        match x.event {
            Some(e) if j.iteration(e) != k + 1 => out.push(finding(
                [e],
                format!(
                    "{}:{} (sleep 0) started in iteration {k} and resumed in iteration {}; a \
                     bare yield resumes in iteration {}",
                    x.task,
                    x.at,
                    j.iteration(e),
                    k + 1
                ),
            )),
            None if j.report.iterations > k => out.push(finding(
                x.gap.and_then(|g| g.checked_sub(1)),
                format!(
                    "{}:{} (sleep 0) yielded in iteration {k} and never resumed, although \
                     iteration {} ran",
                    x.task,
                    x.at,
                    k + 1
                ),
            )),
            _ => {}
        }
    }
    out
}

/// SLEEP-3: `sleep` returns its result (`None` in the graph format), and can only raise
/// `CancelledError`.
fn sleep_3(j: &Judged<'_>) -> Vec<Finding> {
    let m = j.model();
    let mut out = Vec::new();
    for oe in m.op_events(j.events(), 0) {
        let (i, task, at, res) = (oe.event, oe.task, oe.at, oe.out);
        if !matches!(oe.info.op, Op::Sleep(_)) {
            continue;
        }
        let fine = matches!(
            res,
            Outcome::Ok(Res::Value(Value::Null)) | Outcome::Cancelled(_)
        );
        if !fine {
            out.push(finding(
                [i],
                format!(
                    "{task}:{at} (sleep) gave {res}; sleep returns null or raises CancelledError"
                ),
            ));
        }
    }
    out
}

/// SLEEP-4: cancelling a sleeping task cancels the sleep: its `CancelledError` arrives in the
/// same iteration (if the timer had already fired) or the next one, not when the timer would
/// have fired.
fn sleep_4(j: &Judged<'_>) -> Vec<Finding> {
    let m = j.model();
    let mut out = Vec::new();
    for (x, n) in m.sleeps().filter(|&(_, n)| n > 0) {
        let Some(gap) = x.gap else { continue };
        let until = x.event.unwrap_or(usize::MAX);
        let Some(d) = m
            .accepted_cancels(&x.task, gap.saturating_sub(1), until)
            .first()
            .copied()
        else {
            continue;
        };
        let k = j.iteration(d.event);
        match x.event {
            Some(e) => {
                let got = out_of(j, e);
                let it = j.iteration(e);
                if !matches!(got, Some(Outcome::Cancelled(_))) || it > k + 1 {
                    out.push(finding(
                        [d.event, e],
                        format!(
                            "{} cancelled {} during its sleep {n} at {} (iteration {k}); the \
                             sleep must raise CancelledError by iteration {}, but gave {} in \
                             iteration {it}",
                            d.by,
                            x.task,
                            x.at,
                            k + 1,
                            show(got)
                        ),
                    ));
                }
            }
            None if j.report.iterations > k => out.push(finding(
                [d.event],
                format!(
                    "{} cancelled {} during its sleep {n} at {}, but the sleep never ended \
                     although iteration {} ran",
                    d.by,
                    x.task,
                    x.at,
                    k + 1
                ),
            )),
            None => {}
        }
    }
    out
}
