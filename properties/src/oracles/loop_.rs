//! Oracles of the loop area (LOOP-*): ready-queue order and latency, timers, the clock.

use std::collections::BTreeMap;

use aiosim_sim::graph::{Op, ReturnWhen};
use aiosim_sim::trace::{Event, Outcome, Res};

use crate::context::{CompletedBy, Judged, Queued, QueuedKind, finding, oracle};
use crate::oracle::{Finding, Oracle};

/// IDs of this area without an oracle: (ID, reason and where it is tested).
pub const NOT_JUDGED: &[(&str, &str)] = &[
    (
        "LOOP-3",
        "no graph op holds or cancels a loop handle; the skipped handle of a cancelled timeout \
         0 leaves no trace; tested in tests/loop_callbacks.rs (loop_3_...)",
    ),
    (
        "LOOP-6",
        "the order of equal deadlines is a function of the whole heap history, including \
         timers of wait, as_completed and timeout blocks that are cancelled inside callbacks \
         the trace does not show; judged by byte comparison with CPython's traces \
         (tests/examples/timer_ghost, tests/reference/cases/equal_deadlines via \
         tests/examples_output.rs) and by the heap-order tests of tests/loop_callbacks.rs and \
         tests/sleep.rs",
    ),
    (
        "LOOP-7",
        "graph time is integer ticks, so float deadlines and the resolution window do not \
         exist; that a deadline equal to now is due is judged by SLEEP-1's oracle (a sleep \
         resumes exactly at its deadline under FIFO); tested in tests/loop_callbacks.rs \
         (loop_7_...)",
    ),
    (
        "LOOP-8",
        "the graph runner's stop and close are judged through other oracles: LOOP-2's applies \
         across run_until_complete boundaries (entries queued in the stop iteration run in the \
         next one), RUN-2's checks that entries queued before the stop run, RUN-5's that the \
         run ends with the finish line; stop/close on their own are tested in \
         tests/loop_callbacks.rs (loop_8_...)",
    ),
];

/// This area's oracles.
pub fn oracles() -> Vec<Box<dyn Oracle>> {
    vec![
        oracle("LOOP-1", false, loop_1),
        oracle("LOOP-2", false, loop_2),
        oracle("LOOP-4", false, loop_4),
        oracle("LOOP-5", false, loop_5),
        oracle("LOOP-9", false, loop_9),
    ]
}

/// Entries that ran in the iteration after they were queued, by queueing iteration.
fn ran_next<'m>(j: &Judged<'_>, queued: &'m [Queued]) -> BTreeMap<u64, Vec<&'m Queued>> {
    let mut by_it: BTreeMap<u64, Vec<&Queued>> = BTreeMap::new();
    for q in queued {
        if let Some(r) = q.runs
            && j.iteration(r) == q.iteration + 1
        {
            by_it.entry(q.iteration).or_default().push(q);
        }
    }
    by_it
}

/// LOOP-1 (FIFO and level 1): entries queued with `call_soon` (first steps, done-callbacks,
/// wake-ups, `sleep 0` steps) run in the order they were queued.
fn loop_1(j: &Judged<'_>) -> Vec<Finding> {
    if !j.fifo_order() {
        return Vec::new();
    }
    let m = j.model();
    let handles: Vec<Queued> = m.queued.iter().filter(|q| !q.by_timer).cloned().collect();
    let mut out = Vec::new();
    for (it, mut list) in ran_next(j, &handles) {
        list.sort_by_key(|q| q.key);
        for w in list.windows(2) {
            let (a, b) = (w[0], w[1]);
            let (Some(ra), Some(rb)) = (a.runs, b.runs) else {
                continue;
            };
            if a.key < b.key && rb < ra {
                out.push(finding(
                    a.cause.into_iter().chain(b.cause).chain([ra, rb]),
                    format!(
                        "in iteration {it}, {} was queued before {}, but in iteration {} it ran \
                         after it; the ready queue is FIFO",
                        a.kind.describe(),
                        b.kind.describe(),
                        it + 1
                    ),
                ));
            }
        }
    }
    out
}

/// LOOP-2: an entry queued during iteration k runs in iteration k+1: never earlier (it is not
/// in k's snapshot) and, being in k+1's snapshot, not later (if the loop runs k+1).
fn loop_2(j: &Judged<'_>) -> Vec<Finding> {
    let m = j.model();
    let mut out = Vec::new();
    for q in m.queued.iter().filter(|q| !q.by_timer) {
        match q.runs {
            Some(r) if j.iteration(r) != q.iteration + 1 || q.cause.is_some_and(|c| r <= c) => out
                .push(finding(
                    q.cause.into_iter().chain([r]),
                    format!(
                        "{} was queued in iteration {} and ran in iteration {}; it must run in \
                         iteration {}",
                        q.kind.describe(),
                        q.iteration,
                        j.iteration(r),
                        q.iteration + 1
                    ),
                )),
            None if j.report.iterations > q.iteration => out.push(finding(
                q.cause,
                format!(
                    "{} was queued in iteration {} but never ran, although iteration {} ran",
                    q.kind.describe(),
                    q.iteration,
                    q.iteration + 1
                ),
            )),
            _ => {}
        }
    }
    out
}

/// LOOP-4: a timer never runs before its deadline: a `sleep N` that completes normally
/// returns at `t >= start + N`; a `wait` whose timeout decided it, a `wait_for` whose
/// timeout raised `TimeoutError` and a `timeout` block that converted its expiry return at
/// `t >= start + timeout`.
fn loop_4(j: &Judged<'_>) -> Vec<Finding> {
    let m = j.model();
    let mut out = Vec::new();
    for x in &m.execs {
        let Some(e) = x.event else { continue };
        let Some(info) = m.exec_op(x) else {
            continue;
        };
        let Event::Op { t, out: res, .. } = &j.events()[e] else {
            continue;
        };
        let delay = match (&info.op, res) {
            (Op::Sleep(n), Outcome::Ok(_)) if *n > 0 => *n,
            (
                Op::Wait {
                    return_when,
                    timeout: Some(n),
                    ..
                },
                Outcome::Ok(Res::Wait { done, pending }),
            ) => {
                let timed_out = match return_when {
                    ReturnWhen::AllCompleted => !pending.is_empty(),
                    ReturnWhen::FirstCompleted | ReturnWhen::FirstException => done.is_empty(),
                };
                if !timed_out {
                    continue;
                }
                *n
            }
            (
                Op::WaitFor {
                    target,
                    timeout: Some(n),
                },
                Outcome::Err { ty, excs: None, .. },
            ) if &**ty == "TimeoutError" && *n > 0 => {
                // Unless the object itself failed with TimeoutError, the timeout fired.
                let Some(o) = m.object(target.name()) else {
                    continue;
                };
                let own = if o.is_task {
                    matches!(&o.end_out, Some(Outcome::Err { ty, .. }) if &**ty == "TimeoutError")
                } else {
                    o.completion.as_ref().is_some_and(|c| {
                        c.event < e
                            && matches!(&c.by, CompletedBy::Exception(x) if &*x.ty == "TimeoutError")
                    })
                };
                if own {
                    continue;
                }
                *n
            }
            (
                Op::Timeout {
                    timeout: Some(n), ..
                },
                Outcome::Err { ty, excs: None, .. },
            ) if &**ty == "TimeoutError" && *n > 0 => {
                // Converted from the CancelledError its expiry delivered: the body's last
                // direct op ended with CancelledError.
                let prefix = format!("{}.do.", x.at);
                let last = (0..e).rev().find_map(|i| match &j.events()[i] {
                    Event::Op { task, at, out, .. }
                        if *task == x.task
                            && at.strip_prefix(&*prefix).is_some_and(|r| !r.contains('.')) =>
                    {
                        Some(out)
                    }
                    _ => None,
                });
                if !matches!(last, Some(Outcome::Cancelled(_))) {
                    continue;
                }
                *n
            }
            _ => continue,
        };
        let deadline = x.start_t.saturating_add(delay);
        if *t < deadline {
            out.push(finding(
                [e],
                format!(
                    "{}:{} ({}) started at t={} with a {delay}-tick timer and returned because \
                     of it at t={t}, before the deadline t={deadline}",
                    x.task,
                    x.at,
                    info.op.keyword(),
                    x.start_t
                ),
            ));
        }
    }
    out
}

/// LOOP-5: timers with different deadlines run in deadline order (every level), and, in
/// CPython's order, the timers due in an iteration run after the handles already queued.
fn loop_5(j: &Judged<'_>) -> Vec<Finding> {
    let m = j.model();
    let mut out = Vec::new();
    let timers: Vec<(&Queued, u64, u64)> = m
        .queued
        .iter()
        .filter_map(|q| match &q.kind {
            QueuedKind::Timer(t, at, d) => {
                let push = m.exec(t, at)?.start_iteration;
                Some((q, *d, push))
            }
            _ => None,
        })
        .collect();
    for &(a, da, push_a) in &timers {
        for &(b, db, _) in &timers {
            if da < db && push_a < b.iteration && a.iteration > b.iteration {
                out.push(finding(
                    a.runs.into_iter().chain(b.runs),
                    format!(
                        "{} fired in iteration {}, after {} fired in iteration {}, although \
                         its deadline is earlier and its timer was already armed",
                        a.kind.describe(),
                        a.iteration,
                        b.kind.describe(),
                        b.iteration
                    ),
                ));
            }
        }
    }
    if !j.fifo_order() {
        return out;
    }
    for (it, list) in ran_next(j, &m.queued) {
        for a in &list {
            for b in &list {
                let (Some(ra), Some(rb)) = (a.runs, b.runs) else {
                    continue;
                };
                let wrong = match (a.by_timer, b.by_timer) {
                    (false, true) => rb < ra,
                    (true, true) => a.key.0 < b.key.0 && rb < ra,
                    _ => false,
                };
                if wrong {
                    out.push(finding(
                        a.cause.into_iter().chain([ra, rb]),
                        format!(
                            "{} was queued in iteration {it} {}, so it must run before {}, \
                             but ran after it in iteration {}",
                            a.kind.describe(),
                            if a.by_timer {
                                "by a timer with an earlier deadline"
                            } else {
                                "by a handle, before the due timers ran"
                            },
                            b.kind.describe(),
                            it + 1
                        ),
                    ));
                }
            }
        }
    }
    out
}

/// LOOP-9: loop time never decreases, and it is constant within an iteration (it moves only
/// between iterations); iterations never go back either.
fn loop_9(j: &Judged<'_>) -> Vec<Finding> {
    let events = j.events();
    let mut out = Vec::new();
    for i in 1..events.len() {
        let (a, b) = (&events[i - 1], &events[i]);
        if b.t() < a.t() {
            out.push(finding(
                [i - 1, i],
                format!("time went back from t={} to t={}", a.t(), b.t()),
            ));
        }
        if j.iteration(i) < j.iteration(i - 1) {
            out.push(finding(
                [i - 1, i],
                format!(
                    "iteration went back from {} to {}",
                    j.iteration(i - 1),
                    j.iteration(i)
                ),
            ));
        }
        if j.iteration(i) == j.iteration(i - 1)
            && a.t() != b.t()
            && !matches!(b, Event::Finish { .. })
        {
            out.push(finding(
                [i - 1, i],
                format!(
                    "time moved from t={} to t={} inside iteration {}; it moves only between \
                     iterations",
                    a.t(),
                    b.t(),
                    j.iteration(i)
                ),
            ));
        }
    }
    let m = j.model();
    for x in &m.execs {
        let Some(g) = x.gap else { continue };
        let near = [g.checked_sub(1), Some(g)];
        for i in near.into_iter().flatten() {
            if i < events.len()
                && j.iteration(i) == x.start_iteration
                && events[i].t() != x.start_t
                && !matches!(events[i], Event::Finish { .. })
            {
                out.push(finding(
                    [i],
                    format!(
                        "{}:{} started at t={} in iteration {}, but the iteration's events are at \
                         t={}",
                        x.task,
                        x.at,
                        x.start_t,
                        x.start_iteration,
                        events[i].t()
                    ),
                ));
            }
        }
        if let Some(e) = x.event
            && events[e].t() < x.start_t
        {
            out.push(finding(
                [e],
                format!(
                    "{}:{} started at t={} and ended at t={}",
                    x.task,
                    x.at,
                    x.start_t,
                    events[e].t()
                ),
            ));
        }
    }
    out
}
