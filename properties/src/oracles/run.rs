//! Oracles of `asyncio.run` (RUN-*): the run's outcome, the stop, the shutdown of leftover
//! tasks, and the `finish` line.

use aiosim::State;
use aiosim_sim::graph::Op;
use aiosim_sim::interp::RunEnd;
use aiosim_sim::trace::{Event, NameSet, Outcome};

use super::fut::{out_of, show};
use super::task::{consumers, delivers_cancel, first_consumer};
use crate::context::{Judged, ObjectModel, OpExec, finding, oracle};
use crate::oracle::{Finding, Oracle};

/// IDs of this area without an oracle: (ID, reason and where it is tested).
pub const NOT_JUDGED: &[(&str, &str)] = &[(
    "RUN-4",
    "the exception handler is not in the trace (graph-format 5); that errors of leftover tasks \
     do not reach the caller is judged by RUN-1's oracle (the run's outcome is main's \
     whatever the leftovers raise); tested in tests/run.rs (run_4_...)",
)];

/// This area's oracles.
pub fn oracles() -> Vec<Box<dyn Oracle>> {
    vec![
        oracle("RUN-1", false, run_1),
        oracle("RUN-2", false, run_2),
        oracle("RUN-3", false, run_3),
        oracle("RUN-5", false, run_5),
        oracle("RUN-6", true, run_6),
        oracle("RUN-7", false, run_7),
    ]
}

/// The `finish` event: (index, run, deadlock, tasks_pending, futures_pending).
fn finish<'r>(
    j: &Judged<'r>,
) -> Option<(usize, Option<&'r Outcome>, bool, &'r NameSet, &'r NameSet)> {
    let i = j.index.finish?;
    match &j.events()[i] {
        Event::Finish {
            run,
            deadlock,
            tasks_pending,
            futures_pending,
            ..
        } => Some((i, run.as_ref(), *deadlock, tasks_pending, futures_pending)),
        _ => None,
    }
}

/// RUN-1: the run's outcome is the main task's, read after the loop stopped: its result, its
/// exception, or (cancelled) its `CancelledError`, with the message only if nobody consumed
/// it first; `null` only if main never finished.
fn run_1(j: &Judged<'_>) -> Vec<Finding> {
    let m = j.model();
    let Some((fi, run, _, _, _)) = finish(j) else {
        return Vec::new();
    };
    let Some(main) = m.object(&m.main) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let Some(end) = main.end else {
        if let Some(run) = run {
            out.push(finding(
                [fi],
                format!("main never finished, yet the run's outcome is {run}; it must be null"),
            ));
        }
        return out;
    };
    let Some(run) = run else {
        out.push(finding(
            [end, fi],
            "main finished, yet the run's outcome is null; it must be main's outcome",
        ));
        return out;
    };
    match main.final_state {
        Some(State::Finished) if main.end_out.as_ref() != Some(run) => {
            out.push(finding(
                [end, fi],
                format!(
                    "main ended with {}, so the run's outcome must be that, not {run}",
                    show(main.end_out.as_ref())
                ),
            ));
        }
        Some(State::Cancelled) => {
            let mut want = None;
            let mut why = "";
            if let Some(Outcome::Cancelled(msg)) = &main.end_out {
                // run_until_complete reads main's error after the stop iteration.
                let all = consumers(j, &m.main, end);
                let first = first_consumer(j, &m.main, end, &all).map(|f| f.event);
                if let Some(r) = all.iter().find(|c| c.event == fi) {
                    if first == Some(fi) {
                        want = Some(Outcome::Cancelled(msg.clone()));
                        why = "the run is the first to read main's error, message included";
                    } else if all.iter().any(|c| c.event != fi && c.hi < r.lo) {
                        want = Some(Outcome::Cancelled(None));
                        why = "an await consumed main's error before the run read it, so the run \
                               gets a fresh one without message";
                    }
                }
            }
            let bad = match &want {
                Some(w) => run != w,
                None => !matches!(run, Outcome::Cancelled(_)),
            };
            if bad {
                out.push(finding(
                    [end, fi],
                    format!(
                        "main ended cancelled ({}); the run must raise {} ({}), not {run}",
                        show(main.end_out.as_ref()),
                        want.map_or("CancelledError".to_string(), |w| w.to_string()),
                        if why.is_empty() {
                            "main is cancelled"
                        } else {
                            why
                        }
                    ),
                ));
            }
        }
        _ => {}
    }
    out
}

/// RUN-2: the loop stops only after the iteration that follows main's completion: whatever
/// was queued until main completed still runs (a task spawned just before main returns gets
/// its first step).
fn run_2(j: &Judged<'_>) -> Vec<Finding> {
    let m = j.model();
    let Some(stop) = m.stop_iteration else {
        return Vec::new();
    };
    if matches!(j.report.end, RunEnd::BudgetExhausted { .. }) && j.report.iterations < stop {
        return Vec::new();
    }
    let mut out = Vec::new();
    for q in m
        .queued
        .iter()
        .filter(|q| !q.by_timer && q.iteration < stop)
    {
        let ran = q.runs.is_some_and(|r| j.iteration(r) <= stop);
        if !ran {
            out.push(finding(
                q.cause.into_iter().chain(q.runs),
                format!(
                    "{} was queued in iteration {}, before main completed, so it must run by \
                     iteration {stop}, in which the loop stops",
                    q.kind.describe(),
                    q.iteration
                ),
            ));
        }
    }
    out
}

/// The tasks still pending when the shutdown started (spawned by the stop iteration, not
/// done by its end), in spawn order.
fn leftover_list<'a>(j: &Judged<'a>, stop: u64) -> Vec<&'a ObjectModel> {
    let m = j.model();
    let mut list: Vec<&ObjectModel> = m
        .objects
        .values()
        .filter(|o| o.is_task && o.name != m.main)
        .filter(|o| o.created.is_some_and(|c| j.iteration(c) <= stop))
        .filter(|o| o.end.is_none_or(|e| j.iteration(e) > stop))
        .collect();
    list.sort_by_key(|o| o.created);
    list
}

/// The leaf op `o` was suspended in when the shutdown started, if it surely raises the
/// shutdown's `CancelledError`.
fn suspended_at_shutdown<'a>(j: &Judged<'a>, o: &ObjectModel, stop: u64) -> Option<&'a OpExec> {
    let m = j.model();
    m.execs.iter().find(|x| {
        x.task == o.name
            && x.start_iteration <= stop
            && x.event.is_none_or(|e| j.iteration(e) > stop)
            && m.exec_op(x).is_some_and(|i| delivers_cancel(&i.op))
    })
}

/// RUN-3: after the stop, every task still pending is cancelled (no message) and the loop
/// runs until all of them are done: each one's current suspension raises `CancelledError` in
/// the iteration after the stop, and a completed run leaves none of them pending.
fn run_3(j: &Judged<'_>) -> Vec<Finding> {
    let m = j.model();
    let Some(stop) = m.stop_iteration else {
        return Vec::new();
    };
    let Some((fi, _, deadlock, _, _)) = finish(j) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for o in leftover_list(j, stop) {
        if !deadlock && o.end.is_none() {
            out.push(finding(
                o.created.into_iter().chain([fi]),
                format!(
                    "task {} was pending when the shutdown started; the shutdown cancels it and \
                     waits for it, so a run without deadlock cannot end with it pending",
                    o.name
                ),
            ));
        }
        if let Some(f) = o.first_event()
            && j.iteration(f) > stop
        {
            // Not started when the shutdown cancelled it: its body never runs (TASK-8).
            let bad = o.start.is_some() || !matches!(o.end_out, Some(Outcome::Cancelled(_)));
            if bad {
                out.push(finding(
                    o.created.into_iter().chain([f]),
                    format!(
                        "task {} had not started when the shutdown cancelled it, so its body \
                         must never run and its end must be CancelledError, but {}",
                        o.name,
                        j.line(f)
                    ),
                ));
            }
            continue;
        }
        if o.start.is_none() {
            continue;
        }
        let Some(x) = suspended_at_shutdown(j, o, stop) else {
            continue;
        };
        let no_other = m
            .cancels
            .iter()
            .all(|c| c.target != o.name || c.accepted != Some(true))
            && !m.hidden_cancellers(&o.name);
        match x.event {
            Some(e) => {
                let got = out_of(j, e);
                let msg_ok = match got {
                    Some(Outcome::Cancelled(msg)) => {
                        msg.is_none()
                            || !no_other
                            || !m.exec_op(x).is_some_and(|i| matches!(i.op, Op::Sleep(_)))
                    }
                    _ => false,
                };
                if !msg_ok || j.iteration(e) != stop + 1 {
                    out.push(finding(
                        [e],
                        format!(
                            "task {} was suspended at {} when the shutdown cancelled it (after \
                             iteration {stop}); that op must raise CancelledError{} in iteration \
                             {}, but gave {} in iteration {}",
                            o.name,
                            x.at,
                            if no_other { " without a message" } else { "" },
                            stop + 1,
                            show(got),
                            j.iteration(e)
                        ),
                    ));
                }
            }
            None if !deadlock => out.push(finding(
                [fi],
                format!(
                    "task {} was suspended at {} when the shutdown cancelled it, but never \
                     resumed",
                    o.name, x.at
                ),
            )),
            None => {}
        }
    }
    out
}

/// RUN-5: the `finish` line is the last line; its pending lists are exactly the spawned tasks
/// and created futures that are not done; tasks spawned during the shutdown are not
/// cancelled by it.
fn run_5(j: &Judged<'_>) -> Vec<Finding> {
    let m = j.model();
    let events = j.events();
    let mut out = Vec::new();
    let finishes: Vec<usize> = (0..events.len())
        .filter(|&i| matches!(events[i], Event::Finish { .. }))
        .collect();
    let budget = matches!(j.report.end, RunEnd::BudgetExhausted { .. });
    if finishes.len() > 1 || finishes.first().is_some_and(|&f| f + 1 != events.len()) {
        out.push(finding(
            finishes.iter().copied(),
            "the trace must have exactly one finish line, as its last line",
        ));
    }
    if finishes.is_empty() && !budget {
        out.push(finding(
            [],
            "a run that was not cut by its iteration budget must end with a finish line",
        ));
    }
    if let Some((fi, _, deadlock, tasks_pending, futures_pending)) = finish(j) {
        if deadlock != (j.report.end == RunEnd::Deadlock) {
            out.push(finding(
                [fi],
                format!(
                    "the finish line says deadlock {deadlock}, the run ended {:?}",
                    j.report.end
                ),
            ));
        }
        let pending = |task: bool| -> NameSet {
            m.objects
                .values()
                .filter(|o| o.is_task == task && o.final_state == Some(State::Pending))
                .map(|o| o.name.clone())
                .collect()
        };
        let (tp, fp) = (pending(true), pending(false));
        if *tasks_pending != tp {
            out.push(finding(
                [fi],
                format!(
                    "tasks_pending lists {:?}, but the tasks not done at the end are {:?}",
                    tasks_pending.as_slice(),
                    tp.as_slice()
                ),
            ));
        }
        if *futures_pending != fp {
            out.push(finding(
                [fi],
                format!(
                    "futures_pending lists {:?}, but the futures not done at the end are {:?}",
                    futures_pending.as_slice(),
                    fp.as_slice()
                ),
            ));
        }
        let unended: NameSet = m
            .objects
            .values()
            .filter(|o| o.is_task && o.exists() && o.end.is_none())
            .map(|o| o.name.clone())
            .collect();
        if *tasks_pending != unended {
            out.push(finding(
                [fi],
                format!(
                    "tasks_pending lists {:?}, but the spawned tasks whose body did not finish \
                     are {:?}",
                    tasks_pending.as_slice(),
                    unended.as_slice()
                ),
            ));
        }
    }
    // Tasks spawned during the shutdown are not cancelled by it.
    if let Some(stop) = m.stop_iteration {
        for o in m.objects.values().filter(|o| o.is_task) {
            let Some(c) = o.created.filter(|&c| j.iteration(c) > stop) else {
                continue;
            };
            if o.start.is_none()
                && let Some(e) = o.end
                && !m
                    .cancels
                    .iter()
                    .any(|k| k.target == o.name && k.accepted == Some(true))
                && !m.hidden_cancellers(&o.name)
            {
                out.push(finding(
                    [c, e],
                    format!(
                        "task {} was spawned during the shutdown, which must not cancel it, yet \
                         its body never ran",
                        o.name
                    ),
                ));
            }
        }
    }
    out
}

/// RUN-6 (CPython's order only): the shutdown cancels the leftover tasks in spawn order (the
/// order graph-format 4.9 pins for CPython's set); a cancellation forwarded by one of those
/// requests (to the children of a gather a leftover waits on, say) comes in between. So the
/// shutdown's requests hold the leftovers in spawn order, and leftovers asleep on timers that
/// had not fired wake in the order of their first request.
fn run_6(j: &Judged<'_>) -> Vec<Finding> {
    let m = j.model();
    let Some(stop) = m.stop_iteration else {
        return Vec::new();
    };
    let requests: Vec<&str> = j
        .report
        .cancel_requests
        .iter()
        .filter(|r| r.by_shutdown)
        .map(|r| &*r.task)
        .collect();
    let left = leftover_list(j, stop);
    let mut out = Vec::new();
    let mut from = 0;
    for (k, o) in left.iter().enumerate() {
        match requests[from..].iter().position(|t| *t == &*o.name) {
            Some(p) => from += p + 1,
            None => {
                let earlier = k.checked_sub(1).map(|p| left[p]);
                out.push(finding(
                    earlier.iter().chain([o]).filter_map(|x| x.created),
                    match earlier {
                        Some(e) => format!(
                            "the shutdown cancels leftover tasks in spawn order, but {} (spawned \
                             after {}) received no cancel request after {}'s (shutdown \
                             requests: {})",
                            o.name,
                            e.name,
                            e.name,
                            requests.join(", ")
                        ),
                        None => format!(
                            "{} was pending when the shutdown started, yet the shutdown did not \
                             cancel it",
                            o.name
                        ),
                    },
                ));
                break;
            }
        }
    }
    let Some(t_stop) = m
        .object(&m.main)
        .and_then(|o| o.end)
        .map(|e| j.events()[e].t())
    else {
        return out;
    };
    // (first shutdown request, task, wake-up event)
    let mut woken: Vec<(usize, &ObjectModel, usize)> = Vec::new();
    for o in left {
        if m.hidden_cancellers(&o.name)
            || m.cancels
                .iter()
                .any(|c| c.target == o.name && c.accepted == Some(true))
        {
            continue;
        }
        let Some(x) = suspended_at_shutdown(j, o, stop) else {
            continue;
        };
        let Some(Op::Sleep(n)) = m.exec_op(x).map(|i| &i.op) else {
            continue;
        };
        if *n == 0 || x.start_t.saturating_add(*n) <= t_stop {
            continue;
        }
        let Some(first) = requests.iter().position(|t| *t == &*o.name) else {
            continue;
        };
        if let Some(e) = x.event
            && j.iteration(e) == stop + 1
        {
            woken.push((first, o, e));
        }
    }
    woken.sort_by_key(|w| w.0);
    for w in woken.windows(2) {
        let ((_, a, ea), (_, b, eb)) = (w[0], w[1]);
        if eb < ea {
            out.push(finding(
                [ea, eb],
                format!(
                    "the shutdown's cancel request reached {} before {}, so {} must wake from \
                     its sleep first",
                    a.name, b.name, a.name
                ),
            ));
        }
    }
    out
}

/// RUN-7: after the leftovers are done (their gather completes two iterations after the last
/// one ends, then the loop stops), the async-generator and executor shutdowns take exactly 2
/// iterations each.
fn run_7(j: &Judged<'_>) -> Vec<Finding> {
    let m = j.model();
    let Some(stop) = m.stop_iteration else {
        return Vec::new();
    };
    let Some((fi, _, deadlock, _, _)) = finish(j) else {
        return Vec::new();
    };
    if deadlock || j.report.end != RunEnd::Completed {
        return Vec::new();
    }
    let left = leftover_list(j, stop);
    let mut last = None;
    for o in &left {
        match o.end {
            Some(e) => last = last.max(Some(j.iteration(e))),
            None => return Vec::new(),
        }
    }
    let want = match last {
        None => stop + 4,
        Some(l) => l + 6,
    };
    if j.report.iterations != want {
        return vec![finding(
            [fi],
            format!(
                "the run took {} iterations; {} it must take {want}: {}",
                j.report.iterations,
                match last {
                    None => format!("main's stop ran in iteration {stop} and no task was left, so"),
                    Some(l) => format!("the last leftover task ended in iteration {l}, so"),
                },
                if last.is_some() {
                    "2 for the gather of the leftovers to complete and stop, then 2 + 2 for the \
                     async-generator and executor shutdowns"
                } else {
                    "2 + 2 for the async-generator and executor shutdowns"
                }
            ),
        )];
    }
    Vec::new()
}
