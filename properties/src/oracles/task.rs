//! Oracles of the Task area (TASK-*): start, states, cancellation requests, delivery,
//! messages, counts, atomic steps.

use rustc_hash::FxHashMap as HashMap;
use std::sync::Arc;

use aiosim::State;
use aiosim_sim::graph::{Op, Ref};
use aiosim_sim::trace::{Event, OpKind, Outcome};

use super::fut::{out_of, show};
use crate::context::{
    CompletedBy, Judged, OpExec, QueuedKind, States, after, before, finding, is_bool, is_injected,
    oracle, show_msg, unresolved,
};
use crate::oracle::{Finding, Oracle};

pub(crate) mod counts;

/// IDs of this area without an oracle: (ID, reason and where it is tested).
pub const NOT_JUDGED: &[(&str, &str)] = &[
    (
        "TASK-10",
        "a task awaiting itself is invalid in the graph format (static rule 2.6.3); tested in \
         tests/task.rs (task_10_...)",
    ),
    (
        "TASK-17",
        "no graph op sets a task's result or builds a task from a non-coroutine, and the Rust \
         API does not compile such calls (tests/README.md, TASK-17)",
    ),
    (
        "TASK-19",
        "KeyboardInterrupt/SystemExit are ordinary Exception subclasses in the graph format \
         (2.5), and the runtime has no BaseException split; a panic is Rust's abort, tested in \
         tests/task.rs (task_19_...)",
    ),
    (
        "TASK-20",
        "the trace names tasks by their scenario names, never by default Task-<n> names; \
         tested in tests/task.rs (task_20_...)",
    ),
];

/// This area's oracles.
pub fn oracles() -> Vec<Box<dyn Oracle>> {
    vec![
        oracle("TASK-1", false, task_1),
        oracle("TASK-2", false, task_2),
        oracle("TASK-3", false, task_3),
        oracle("TASK-4", false, task_4),
        oracle("TASK-5", false, task_5),
        oracle("TASK-6", false, task_6),
        oracle("TASK-7", false, task_7),
        oracle("TASK-8", false, task_8),
        oracle("TASK-9", false, task_9),
        oracle("TASK-11", false, task_11),
        oracle("TASK-12", false, task_12),
        oracle("TASK-13", false, task_13),
        oracle("TASK-14", false, task_14),
        oracle("TASK-15", false, task_15),
        oracle("TASK-16", false, task_16),
        oracle("TASK-18", false, task_18),
    ]
}

/// Whether the op suspended (returned in a later iteration than it started, or never).
pub(crate) fn suspended(j: &Judged<'_>, x: &OpExec) -> bool {
    x.event.is_none_or(|e| j.iteration(e) != x.start_iteration)
}

/// Whether `op` is a leaf op that, once suspended with a cancellation requested, surely
/// raises `CancelledError` when it resumes, in the next iteration: a sleep, an await of a
/// plain future, a shield, a wait, an `as_completed` (each waits on a plain future that the
/// request cancels, or that is already done).
pub(crate) fn delivers_cancel(op: &Op) -> bool {
    matches!(
        op,
        Op::Sleep(_)
            | Op::Await(Ref::Future(_))
            | Op::Shield(_)
            | Op::Wait { .. }
            | Op::AsCompleted { .. }
    )
}

/// Whether `op` holds a block (`try`, `timeout`, `taskgroup`).
pub(crate) fn is_block(op: &Op) -> bool {
    matches!(op, Op::Try { .. } | Op::Timeout { .. } | Op::TaskGroup(_))
}

/// TASK-1: a spawned task's first step runs in the iteration after the spawn, never in the
/// spawning step; every task but `main` starts only after a `spawn` of it.
fn task_1(j: &Judged<'_>) -> Vec<Finding> {
    let m = j.model();
    let mut out = Vec::new();
    for q in &m.queued {
        let QueuedKind::FirstStep(t) = &q.kind else {
            continue;
        };
        match q.runs {
            Some(r) if q.cause.is_some_and(|c| r < c) || j.iteration(r) != q.iteration + 1 => out
                .push(finding(
                    q.cause.into_iter().chain([r]),
                    format!(
                        "task {t} was spawned in iteration {} and its first step ran in \
                         iteration {}; create_task schedules the first step with call_soon, so \
                         it runs in the next iteration, after the spawning step",
                        q.iteration,
                        j.iteration(r)
                    ),
                )),
            None if j.report.iterations > q.iteration => out.push(finding(
                q.cause,
                format!(
                    "task {t} was spawned in iteration {} but its first step never ran, \
                     although iteration {} happened",
                    q.iteration,
                    q.iteration + 1
                ),
            )),
            _ => {}
        }
    }
    for o in m.objects.values().filter(|o| o.is_task) {
        let Some(f) = o.first_event() else { continue };
        if o.name == m.main {
            if j.iteration(f) != 1 {
                out.push(finding(
                    [f],
                    format!(
                        "main's first step ran in iteration {}, not 1",
                        j.iteration(f)
                    ),
                ));
            }
        } else if o.created.is_none_or(|c| c > f) {
            out.push(finding(
                [f],
                format!("task {} ran before any spawn of it succeeded", o.name),
            ));
        }
    }
    out
}

/// TASK-2: a task is done exactly after its `end`; it ends cancelled when its body raised
/// `CancelledError`, finished with an exception when it raised anything else, and finished
/// (or, with a pending request, cancelled: TASK-9) when it returned.
fn task_2(j: &Judged<'_>) -> Vec<Finding> {
    let m = j.model();
    let mut out = Vec::new();
    for o in m.objects.values().filter(|o| o.is_task && o.exists()) {
        let Some(state) = o.final_state else { continue };
        let end_ev: Vec<usize> = o.end.into_iter().collect();
        match (&o.end_out, state) {
            (None, State::Pending) => {}
            (None, _) => out.push(finding(
                o.first_event(),
                format!(
                    "task {} ended {state:?} but its body never finished (no end event)",
                    o.name
                ),
            )),
            (Some(_), State::Pending) => out.push(finding(
                end_ev.clone(),
                format!(
                    "task {}'s body finished but the task is still pending",
                    o.name
                ),
            )),
            (Some(Outcome::Cancelled(_)), s) if s != State::Cancelled => out.push(finding(
                end_ev.clone(),
                format!(
                    "task {}'s body raised CancelledError, so it must end cancelled, not {s:?}",
                    o.name
                ),
            )),
            (Some(Outcome::Err { .. }), s) if s != State::Finished => out.push(finding(
                end_ev.clone(),
                format!(
                    "task {}'s body raised an exception, so it must end finished with it, not \
                     {s:?}",
                    o.name
                ),
            )),
            _ => {}
        }
        // Callbacks see the task's state.
        let want = o.final_states();
        for (i, e) in j.events().iter().enumerate() {
            if let Event::Callback { of, state, .. } = e
                && **of == *o.name
                && !want.meets(States::of_callback(*state))
            {
                out.push(finding(
                    end_ev.iter().copied().chain([i]),
                    format!(
                        "a callback of task {} saw state {}, but the task ended {}",
                        o.name,
                        state.as_str(),
                        want.describe()
                    ),
                ));
            }
        }
    }
    out
}

/// TASK-3: `cancel()` on a done task returns false and leaves `cancelling()` unchanged; on a
/// pending task it returns true, every time, and adds 1.
fn task_3(j: &Judged<'_>) -> Vec<Finding> {
    let m = j.model();
    let mut out = Vec::new();
    for c in &m.cancels {
        let Some(o) = m.object(&c.target).filter(|o| o.is_task) else {
            continue;
        };
        let Some(accepted) = c.accepted else { continue };
        let done = o.end.is_some_and(|e| e < c.event);
        if accepted == done {
            out.push(finding(
                o.end.into_iter().chain([c.event]),
                format!(
                    "cancel of task {} returned {accepted} while the task was {}; cancel returns \
                     false exactly on a done task",
                    o.name,
                    if done { "done" } else { "pending" }
                ),
            ));
        }
    }
    out.extend(j.counts().read.iter().cloned());
    out
}

/// TASK-4: `cancel()` only requests: `cancelled()` (and `done()`) stay false until the task's
/// body has finished.
fn task_4(j: &Judged<'_>) -> Vec<Finding> {
    let m = j.model();
    let mut out = Vec::new();
    for oe in m.op_events(j.events(), 0) {
        let (i, res, info) = (oe.event, oe.out, oe.info);
        let (Op::Cancelled(r) | Op::Done(r)) = &info.op else {
            continue;
        };
        let Some(o) = m.object(r.name()).filter(|o| o.is_task) else {
            continue;
        };
        if unresolved(res, &o.name) {
            continue;
        }
        let ended = o.end.is_some_and(|x| x < i);
        let want = match info.op {
            Op::Cancelled(_) => ended && o.final_state == Some(State::Cancelled),
            _ => ended,
        };
        if !is_bool(res, want) {
            let requested = m
                .cancels
                .iter()
                .rfind(|c| c.target == o.name && c.accepted == Some(true) && c.event < i);
            out.push(finding(
                requested
                    .map(|c| c.event)
                    .into_iter()
                    .chain(o.end)
                    .chain([i]),
                format!(
                    "{}({}) gave {res} at a point where the task {}; it is true only once the \
                     body has finished{}",
                    info.op.keyword(),
                    o.name,
                    if ended {
                        format!("had ended {:?}", o.final_state.unwrap_or(State::Pending))
                    } else {
                        "had not ended".to_string()
                    },
                    if requested.is_some() {
                        " (a cancel only requests)"
                    } else {
                        ""
                    }
                ),
            ));
        }
    }
    out
}

/// TASK-5: a cancellation of a task waiting on a pending future is forwarded to that future
/// (which ends cancelled); a cancellation arriving after the future completed but before the
/// task resumed replaces the future's result with `CancelledError`.
fn task_5(j: &Judged<'_>) -> Vec<Finding> {
    let m = j.model();
    let mut out = Vec::new();
    for (x, _, target) in m.awaits() {
        let (Some(gap), true) = (x.gap, suspended(j, x)) else {
            continue;
        };
        let Some(r) = m.object(target) else { continue };
        let until = x.event.unwrap_or(usize::MAX);
        let got = x.event.and_then(|e| out_of(j, e));
        // Completed normally before the cancel: the result is discarded.
        let finished_at = if r.is_task {
            r.end.filter(|_| r.final_state == Some(State::Finished))
        } else {
            r.completion
                .as_ref()
                .filter(|c| !matches!(c.by, CompletedBy::Cancel(_)))
                .map(|c| c.event)
        };
        if let Some(c) = finished_at
            && c >= gap
            && c < until
            && let Some(d) = m.accepted_cancels(&x.task, c, until).first()
            && let Some(got) = got
            && !matches!(got, Outcome::Cancelled(_))
        {
            out.push(finding(
                [c, d.event, until],
                format!(
                    "{} completed before {} cancelled {}, which had not resumed yet; the \
                     cancel must replace the result, but {}:{} returned {got}",
                    target, d.by, x.task, x.task, x.at
                ),
            ));
        }
        // Forwarded to a pending future: it ends cancelled, and so does the await.
        if r.is_task {
            continue;
        }
        let Some(d) = m
            .accepted_cancels(&x.task, gap.saturating_sub(1), until)
            .into_iter()
            .find(|d| finished_at.is_none_or(|c| c > d.event))
        else {
            continue;
        };
        if let Some(got) = got
            && !matches!(got, Outcome::Cancelled(_))
        {
            out.push(finding(
                [d.event, until],
                format!(
                    "{} cancelled {} while it waited on future {target}; the request is \
                     forwarded to the future, so the await must raise CancelledError, but \
                     returned {got}",
                    d.by, x.task
                ),
            ));
        }
        if let Some(ob) = r.contradicted_after(after(d.event), States::CANCELLED) {
            out.push(finding(
                [d.event].into_iter().chain(ob.event),
                format!(
                    "{} cancelled {} while it waited on pending future {target}, which must \
                     then be cancelled, but {} shows it {}",
                    d.by,
                    x.task,
                    ob.what,
                    ob.allowed.describe()
                ),
            ));
        }
    }
    // Forwarded to a task that has not started: its body never runs.
    for (x, _, target) in m.awaits() {
        let Some(gap) = x.gap else { continue };
        let Some(r) = m.object(target).filter(|r| r.is_task) else {
            continue;
        };
        let Some(first) = r.first_event() else {
            continue;
        };
        let until = x.event.unwrap_or(usize::MAX);
        if let Some(d) = m
            .accepted_cancels(&x.task, gap.saturating_sub(1), until.min(first))
            .first()
            && let Some(s) = r.start
        {
            out.push(finding(
                [d.event, s],
                format!(
                    "{} cancelled {}, which awaited task {target} before {target}'s first step; \
                     the request is forwarded, so {target}'s body must never run, but it started",
                    d.by, x.task
                ),
            ));
        }
    }
    out
}

/// TASK-6: a cancellation is delivered only at a suspension point: ops that never suspend
/// never raise `CancelledError` by themselves, and awaiting a finished object after a
/// self-cancel still returns its outcome at once.
fn task_6(j: &Judged<'_>) -> Vec<Finding> {
    let m = j.model();
    let mut out = Vec::new();
    for x in &m.execs {
        let Some(info) = m.exec_op(x) else {
            continue;
        };
        let never_suspends = matches!(
            info.kind(),
            OpKind::Spawn
                | OpKind::Cancel
                | OpKind::Future
                | OpKind::SetResult
                | OpKind::SetException
                | OpKind::AddDoneCallback
                | OpKind::Done
                | OpKind::Cancelled
                | OpKind::Cancelling
                | OpKind::Uncancel
                | OpKind::Return
        );
        if !never_suspends {
            continue;
        }
        if let Some(e) = x.event
            && (j.iteration(e) != x.start_iteration
                || matches!(out_of(j, e), Some(Outcome::Cancelled(_))))
        {
            out.push(finding(
                [e],
                format!(
                    "{} never suspends and cannot raise CancelledError, but {}:{} {}",
                    info.op.keyword(),
                    x.task,
                    x.at,
                    if j.iteration(e) != x.start_iteration {
                        format!(
                            "started in iteration {} and returned in {}",
                            x.start_iteration,
                            j.iteration(e)
                        )
                    } else {
                        format!("returned {}", show(out_of(j, e)))
                    }
                ),
            ));
        }
    }
    // After a self-cancel, awaiting a finished object returns its outcome at once.
    for c in &m.cancels {
        if c.by != c.target || c.accepted != Some(true) {
            continue;
        }
        let k = j.iteration(c.event);
        for (x, _, target) in m.awaits() {
            if x.task != c.by || x.start_iteration != k || x.gap.is_none_or(|g| g <= c.event) {
                continue;
            }
            let Some(r) = m.object(target) else { continue };
            let Some(start) = x.start_pos() else { continue };
            let want = if r.is_task {
                match (&r.end_out, r.final_state) {
                    (Some(o), Some(State::Finished))
                        if r.end.is_some_and(|e| after(e) <= start) =>
                    {
                        o.clone()
                    }
                    _ => continue,
                }
            } else {
                match &r.completion {
                    Some(comp)
                        if after(comp.event) <= start
                            && !matches!(comp.by, CompletedBy::Cancel(_)) =>
                    {
                        comp.by.outcome()
                    }
                    _ => continue,
                }
            };
            if matches!(want, Outcome::Cancelled(_)) {
                continue;
            }
            let got = x.event.and_then(|e| out_of(j, e));
            let same_step = x.event.is_some_and(|e| j.iteration(e) == k);
            if got != Some(&want) || !same_step {
                out.push(finding(
                    [c.event].into_iter().chain(x.event),
                    format!(
                        "{} cancelled itself, then awaited {target}, which was already done with \
                         {want}; that await is no suspension point, so it must return {want} in \
                         the same step, but gave {}",
                        c.by,
                        show(got)
                    ),
                ));
            }
        }
    }
    out
}

/// TASK-7: a task that caught a `CancelledError` and then returned a value ends finished with
/// that value (when no new request is pending at its return).
fn task_7(j: &Judged<'_>) -> Vec<Finding> {
    let m = j.model();
    let mut out = Vec::new();
    for o in m.objects.values().filter(|o| o.is_task) {
        let (Some(e), Some(Outcome::Ok(v))) = (o.end, &o.end_out) else {
            continue;
        };
        let caught = j.events().iter().take(e).any(|ev| {
            matches!(ev, Event::Op { task, out: Outcome::Cancelled(_), .. } if *task == o.name)
        });
        if !caught {
            continue;
        }
        let k = j.iteration(e);
        let pending_request = m.cancels.iter().any(|c| {
            c.by == o.name && c.accepted == Some(true) && c.event < e && j.iteration(c.event) == k
        });
        if pending_request {
            continue;
        }
        if o.final_state == Some(State::Cancelled) {
            out.push(finding(
                [e],
                format!(
                    "task {} caught its CancelledError and returned {}; with no request \
                     pending at the return it must end finished, not cancelled",
                    o.name,
                    Outcome::Ok(v.clone())
                ),
            ));
            continue;
        }
        let want = Outcome::Ok(v.clone());
        for (x, _, target) in m.awaits() {
            if **target != *o.name {
                continue;
            }
            let (Some(start), Some(ev)) = (x.start_pos(), x.event) else {
                continue;
            };
            if start >= after(e) && out_of(j, ev) != Some(&want) {
                out.push(finding(
                    [e, ev],
                    format!(
                        "task {} returned {want} after catching its cancellation; awaiting it \
                         later must give that value, but gave {}",
                        o.name,
                        show(out_of(j, ev))
                    ),
                ));
            }
        }
    }
    out
}

/// Tasks cancelled before their first step: the body never runs, the `end` is
/// `CancelledError` with the last request's message. With `require_uncancel`, only tasks
/// whose count was brought back by `uncancel` in between (TASK-11).
fn doomed_before_start(j: &Judged<'_>, require_uncancel: bool) -> Vec<Finding> {
    let m = j.model();
    let mut out = Vec::new();
    for o in m.objects.values().filter(|o| o.is_task && o.name != m.main) {
        let Some(f) = o.first_event() else { continue };
        let cancels: Vec<_> = m
            .cancels
            .iter()
            .filter(|c| c.target == o.name && c.accepted == Some(true) && c.event < f)
            .collect();
        let Some(last) = cancels.last() else {
            if !require_uncancel
                && o.start.is_none()
                && !m.hidden_cancellers(&o.name)
                && m.before_shutdown(j.iteration(f))
            {
                out.push(finding(
                    [f],
                    format!(
                        "task {}'s body never ran although nothing cancelled it before its first \
                         step",
                        o.name
                    ),
                ));
            }
            continue;
        };
        let first = cancels[0];
        let events = j.events();
        let uncancel = events.iter().enumerate().find(|&(i, ev)| {
            i > first.event
                && i < f
                && matches!(ev, Event::Op { .. })
                && m.op_of_event(events, i)
                    .is_some_and(|info| matches!(&info.op, Op::Uncancel(t) if t.name == o.name))
        });
        if require_uncancel && uncancel.is_none() {
            continue;
        }
        let mut ev: Vec<usize> = cancels.iter().map(|c| c.event).collect();
        ev.extend(uncancel.map(|u| u.0));
        if let Some(s) = o.start {
            out.push(finding(
                ev.iter().copied().chain([s]),
                format!(
                    "task {} was cancelled before its first step{}, so its body must never run, \
                     but it started",
                    o.name,
                    if uncancel.is_some() {
                        " (uncancel does not withdraw the request in 3.12)"
                    } else {
                        ""
                    }
                ),
            ));
            continue;
        }
        let Some(end) = o.end else { continue };
        let got = o.end_out.as_ref();
        let want = Outcome::Cancelled(last.msg.clone());
        let fine = match got {
            Some(Outcome::Cancelled(_))
                if m.hidden_cancellers(&o.name) || !m.before_shutdown(j.iteration(f)) =>
            {
                true
            }
            Some(g) => *g == want || (require_uncancel && matches!(g, Outcome::Cancelled(_))),
            None => true,
        };
        if !fine {
            out.push(finding(
                ev.iter().copied().chain([end]),
                format!(
                    "task {} was cancelled before its first step, last with message {}; its end \
                     must be {want}, but is {}",
                    o.name,
                    show_msg(&last.msg),
                    show(got)
                ),
            ));
        }
    }
    out
}

/// TASK-8: a task cancelled before its first step never runs its body; its `end` is
/// `CancelledError` with the message of the last `cancel` before that step.
fn task_8(j: &Judged<'_>) -> Vec<Finding> {
    doomed_before_start(j, false)
}

/// Self-cancellation: a task that cancelled itself and returns in the same step ends
/// cancelled; if it suspends instead, the first suspension raises `CancelledError` in the
/// next iteration. With `require_uncancel`, only when it called `uncancel` on itself in
/// between (TASK-11).
fn self_cancels(j: &Judged<'_>, require_uncancel: bool) -> Vec<Finding> {
    let m = j.model();
    let mut out = Vec::new();
    for c in &m.cancels {
        if c.by != c.target || c.accepted != Some(true) {
            continue;
        }
        let x_name = &c.by;
        let Some(o) = m.object(x_name) else { continue };
        let k = j.iteration(c.event);
        let step = m.steps.get(x_name, k);
        let uncancel = step.and_then(|s| {
            s.iter().copied().find(|&i| {
                i > c.event
                    && m.op_of_event(j.events(), i).is_some_and(
                        |info| matches!(&info.op, Op::Uncancel(t) if t.name == *x_name),
                    )
            })
        });
        if require_uncancel && uncancel.is_none() {
            continue;
        }
        let note = if uncancel.is_some() {
            " (uncancel does not withdraw it in 3.12)"
        } else {
            ""
        };
        if let Some(e) = o.end
            && e > c.event
            && j.iteration(e) == k
        {
            if matches!(o.end_out, Some(Outcome::Ok(_)))
                && o.final_state.is_some_and(|s| s != State::Cancelled)
            {
                out.push(finding(
                    [c.event].into_iter().chain(uncancel).chain([e]),
                    format!(
                        "task {x_name} cancelled itself and returned in the same step; the \
                         request is still pending{note}, so it must end cancelled, not {:?}",
                        o.final_state.unwrap_or(State::Pending)
                    ),
                ));
            }
            continue;
        }
        let first = m.execs.iter().find(|x| {
            x.task == *x_name
                && x.start_iteration == k
                && x.gap.is_some_and(|g| g > c.event)
                && suspended(j, x)
                && m.exec_op(x).is_some_and(|i| !is_block(&i.op))
        });
        let Some(x) = first else { continue };
        let Some(info) = m.exec_op(x) else {
            continue;
        };
        if !delivers_cancel(&info.op) {
            continue;
        }
        match x.event {
            Some(e) => {
                let got = out_of(j, e);
                let late = j.exact_latency() && j.iteration(e) != k + 1;
                if !matches!(got, Some(Outcome::Cancelled(_))) || late {
                    out.push(finding(
                        [c.event].into_iter().chain(uncancel).chain([e]),
                        format!(
                            "task {x_name} cancelled itself{note}, then suspended at {}; that \
                             suspension must raise CancelledError in iteration {}, but it \
                             returned {} in iteration {}",
                            x.at,
                            k + 1,
                            show(got),
                            j.iteration(e)
                        ),
                    ));
                }
            }
            None if j.report.iterations > k => out.push(finding(
                [c.event].into_iter().chain(uncancel),
                format!(
                    "task {x_name} cancelled itself{note}, then suspended at {}, and never \
                     resumed; the suspension must raise CancelledError in the next iteration",
                    x.at
                ),
            )),
            None => {}
        }
    }
    out
}

/// TASK-9: self-cancellation (see [`self_cancels`]); and a task whose body returned but which
/// ended cancelled must have had a request made during its last step.
fn task_9(j: &Judged<'_>) -> Vec<Finding> {
    let m = j.model();
    let mut out = self_cancels(j, false);
    for o in m.objects.values().filter(|o| o.is_task) {
        let (Some(e), Some(Outcome::Ok(_)), Some(State::Cancelled)) =
            (o.end, &o.end_out, o.final_state)
        else {
            continue;
        };
        let k = j.iteration(e);
        let requested = m.cancels.iter().any(|c| {
            c.by == o.name && c.accepted == Some(true) && c.event < e && j.iteration(c.event) == k
        });
        if !requested {
            out.push(finding(
                [e],
                format!(
                    "task {}'s body returned, yet the task ended cancelled although no cancel \
                     was requested during its last step",
                    o.name
                ),
            ));
        }
    }
    out
}

/// TASK-11: `uncancel` takes 1 off the count (never below 0) and never withdraws a recorded
/// request; the count survives the end of the task.
fn task_11(j: &Judged<'_>) -> Vec<Finding> {
    let mut out = j.counts().uncancel.clone();
    out.extend(doomed_before_start(j, true));
    out.extend(self_cancels(j, true));
    out
}

/// TASK-12: T awaits task U and T is cancelled while U runs: the request goes to U; if U
/// swallows it and returns `v`, T's await returns `v` (T is not cancelled).
fn task_12(j: &Judged<'_>) -> Vec<Finding> {
    let m = j.model();
    let mut out = Vec::new();
    for (x, info, target) in m.awaits() {
        let (Some(gap), Some(e)) = (x.gap, x.event) else {
            continue;
        };
        let Some(u) = m.object(target).filter(|u| u.is_task) else {
            continue;
        };
        let (Some(u_end), Some(Outcome::Ok(v)), Some(State::Finished)) =
            (u.end, &u.end_out, u.final_state)
        else {
            continue;
        };
        if u_end < gap || u_end > e {
            continue;
        }
        let forwarded = m.accepted_cancels(&x.task, gap.saturating_sub(1), u_end);
        let Some(d) = forwarded.first() else { continue };
        if !m.accepted_cancels(&x.task, u_end, e).is_empty()
            || m.hidden_cancellers(&x.task)
            || info.under_timeout
            || !m.before_shutdown(j.iteration(e))
        {
            continue;
        }
        let want = Outcome::Ok(v.clone());
        let Some(got) = out_of(j, e) else { continue };
        if *got != want && !is_injected(got) {
            out.push(finding(
                [d.event, u_end, e],
                format!(
                    "{} cancelled {} while it awaited task {target}; the request went to \
                     {target}, which swallowed it and returned {want}, so the await must return \
                     that value, but gave {got}",
                    d.by, x.task
                ),
            ));
        }
    }
    out
}

/// TASK-13: tasks T1 and T2 await the same future; cancelling T1 cancels the future, so T2's
/// await raises `CancelledError` too.
fn task_13(j: &Judged<'_>) -> Vec<Finding> {
    let m = j.model();
    let mut out = Vec::new();
    let awaits: Vec<_> = m
        .awaits()
        .filter(|(_, _, t)| m.object(t).is_some_and(|o| !o.is_task))
        .collect();
    for c in &m.cancels {
        if c.accepted != Some(true) {
            continue;
        }
        let across =
            |x: &OpExec| x.gap.is_some_and(|g| g <= c.event) && x.event.is_none_or(|e| e > c.event);
        for (x1, _, f) in awaits
            .iter()
            .filter(|(x, _, _)| x.task == c.target && across(x))
        {
            let Some(fo) = m.object(f) else { continue };
            if fo
                .completion
                .as_ref()
                .is_some_and(|comp| comp.event < c.event)
            {
                continue;
            }
            for (x2, _, _) in awaits
                .iter()
                .filter(|(x, _, f2)| x.task != x1.task && f2 == f && across(x))
            {
                let Some(e2) = x2.event else { continue };
                let got = out_of(j, e2);
                if !matches!(got, Some(Outcome::Cancelled(_))) {
                    out.push(finding(
                        [c.event, e2],
                        format!(
                            "{} cancelled {}, which awaited future {f} together with {}; the \
                             request cancels {f}, so {}'s await must raise CancelledError too, \
                             but gave {}",
                            c.by,
                            x1.task,
                            x2.task,
                            x2.task,
                            show(got)
                        ),
                    ));
                }
            }
        }
    }
    out
}

/// TASK-14: cancel messages: a task waiting on a future gets the first request's message; a
/// scheduled task the last one's; a task that ended with `CancelledError(m)` hands `m` to its
/// first consumer and a message-less error to the later ones.
fn task_14(j: &Judged<'_>) -> Vec<Finding> {
    let m = j.model();
    let mut out = Vec::new();
    // (a) and (b): requests while waiting.
    for x in &m.execs {
        let (Some(gap), Some(e), true) = (x.gap, x.event, suspended(j, x)) else {
            continue;
        };
        let Some(info) = m.exec_op(x) else {
            continue;
        };
        if m.hidden_cancellers(&x.task) || !m.before_shutdown(j.iteration(e)) {
            continue;
        }
        // Requests made earlier in the step that started the op (self-cancels) are still
        // pending when it suspends; those made before that step were delivered at its start.
        let step_start = m.step_start(&x.task, x.start_iteration).unwrap_or(gap);
        let all = m.accepted_cancels(&x.task, step_start.saturating_sub(1), e);
        let pre: Vec<_> = all.iter().filter(|c| c.event < gap).collect();
        let (Some(first), Some(last)) = (all.first(), all.last()) else {
            continue;
        };
        let want = match (&info.op, pre.last()) {
            // Scheduled (a bare yield): the request is recorded, the last one wins.
            (Op::Sleep(0), _) => Outcome::Cancelled(last.msg.clone()),
            // A pending request cancels the future it suspends on with its message.
            (Op::Sleep(_) | Op::Await(Ref::Future(_)), Some(p)) => {
                Outcome::Cancelled(p.msg.clone())
            }
            (Op::Sleep(n), None) => {
                // The sleep's own future: pending (first request wins) until its deadline.
                if j.events()[first.event].t() >= x.start_t.saturating_add(*n) {
                    continue;
                }
                Outcome::Cancelled(first.msg.clone())
            }
            (Op::Await(Ref::Future(f)), None) => {
                let Some(fo) = m.object(&f.name) else {
                    continue;
                };
                let info_f = m.name_info(&f.name);
                if info_f.forwarded_by.iter().any(|(t, _)| *t != x.task) {
                    continue;
                }
                match &fo.completion {
                    Some(c) if c.event < first.event => match c.by.outcome() {
                        _ if matches!(c.by, CompletedBy::Cancel(_)) => continue,
                        // Already finished with a `CancelledError` set as its exception: the
                        // wake-up throws that one in, and must-cancel keeps it.
                        o @ Outcome::Cancelled(_) => o,
                        // Already finished otherwise: must-cancel, the last request wins.
                        _ => Outcome::Cancelled(last.msg.clone()),
                    },
                    _ => {
                        if fo.known_done(before(first.event), None).is_some() {
                            continue;
                        }
                        Outcome::Cancelled(first.msg.clone())
                    }
                }
            }
            _ => continue,
        };
        let Some(got) = out_of(j, e) else { continue };
        if *got != want && !is_injected(got) {
            out.push(finding(
                all.iter().map(|c| c.event).chain([e]),
                format!(
                    "{}:{} ({}) received {got}, but the cancel requests made while it waited \
                     deliver {want} ({})",
                    x.task,
                    x.at,
                    info.op.keyword(),
                    if matches!(info.op, Op::Sleep(0)) {
                        "a scheduled task keeps the last message"
                    } else if !pre.is_empty() {
                        "a request pending when it suspended cancels what it waits on"
                    } else {
                        "the first request that reaches the waiter decides"
                    }
                ),
            ));
        }
    }
    // (c) consumers of a task that ended by raising CancelledError.
    for o in m.objects.values().filter(|o| o.is_task) {
        let (Some(end), Some(State::Cancelled)) = (o.end, o.final_state) else {
            continue;
        };
        let consumers = consumers(j, &o.name, end);
        // wait_for may turn the retrieved error into TimeoutError.
        let converted = |c: &Consumer| {
            c.kind == OpKind::WaitFor
                && matches!(out_of(j, c.event), Some(Outcome::Err { ty, .. }) if &**ty == "TimeoutError")
        };
        match &o.end_out {
            Some(Outcome::Cancelled(msg)) => {
                for c in &consumers {
                    let Some(d) = consumers.iter().find(|d| d.hi < c.lo) else {
                        continue;
                    };
                    let got = out_of(j, c.event);
                    if got != Some(&Outcome::Cancelled(None)) && !converted(c) {
                        out.push(finding(
                            [end, d.event, c.event],
                            format!(
                                "task {} ended with {}; after its first consumer took that \
                                 error, later ones get a fresh CancelledError without message, \
                                 {{\"cancelled\":null}}, but this one got {}",
                                o.name,
                                Outcome::Cancelled(msg.clone()),
                                show(got)
                            ),
                        ));
                    }
                }
                let Some(first) = first_consumer(j, &o.name, end, &consumers) else {
                    continue;
                };
                let want = Outcome::Cancelled(msg.clone());
                let got = out_of(j, first.event);
                if got != Some(&want) && !converted(first) {
                    out.push(finding(
                        [end, first.event],
                        format!(
                            "task {} ended with {want}; its first consumer must receive that \
                             very error, message included, but got {}",
                            o.name,
                            show(got)
                        ),
                    ));
                }
            }
            Some(Outcome::Ok(_)) => {
                // Returned with a request pending: nothing saved, every consumer alike.
                let Some(first) = consumers.first() else {
                    continue;
                };
                let want = out_of(j, first.event);
                if !matches!(want, Some(Outcome::Cancelled(_))) {
                    continue; // TASK-16 reports it.
                }
                for c in &consumers[1..] {
                    if out_of(j, c.event) != want && !converted(c) {
                        out.push(finding(
                            [end, first.event, c.event],
                            format!(
                                "task {} returned while a cancellation was pending, so no error \
                                 is saved and every consumer gets the same {}, but this one got \
                                 {}",
                                o.name,
                                show(want),
                                show(out_of(j, c.event))
                            ),
                        ));
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// An op that retrieved a task's outcome, and when: somewhere in the positions `lo..=hi`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Consumer {
    /// The op's event.
    pub event: usize,
    /// Its kind.
    pub kind: OpKind,
    /// The earliest position of the retrieval.
    pub lo: u64,
    /// The latest position of the retrieval.
    pub hi: u64,
}

/// The consumer that surely retrieved task `name`'s error first: it retrieved before every
/// other one, and no other op may have retrieved it earlier.
pub(crate) fn first_consumer<'c>(
    j: &Judged<'_>,
    name: &str,
    end: usize,
    consumers: &'c [Consumer],
) -> Option<&'c Consumer> {
    let first = consumers.iter().min_by_key(|c| c.lo)?;
    let alone = consumers
        .iter()
        .all(|c| std::ptr::eq(c, first) || first.hi < c.lo);
    let until = crate::context::event_of(first.hi);
    (alone && !other_retrieval_before(j, name, end, until)).then_some(first)
}

/// The ops that retrieved the outcome of task `name` (which ended at event `end`), by
/// retrieval position: `await`s and `wait_for`s that returned after the end (they retrieve
/// when they return), `gather`s without `return_exceptions` of that task alone (which
/// retrieve it in their done-callback in the iteration after the end, or at once if started
/// after the end), and for `main` the run itself (its `finish` event), which reads main's
/// outcome after the stop iteration.
pub(crate) fn consumers(j: &Judged<'_>, name: &str, end: usize) -> Vec<Consumer> {
    let m = j.model();
    let events = j.events().len();
    let k = j.iteration(end);
    // The callbacks of iteration k+1 run between the last event of an iteration <= k and the
    // first event of an iteration >= k+2.
    let lo_cb = (0..events).find(|&i| j.iteration(i) > k).unwrap_or(events);
    let hi_cb = (0..events)
        .find(|&i| j.iteration(i) > k + 1)
        .unwrap_or(events);
    let mut v = Vec::new();
    for x in &m.execs {
        let Some(e) = x.event.filter(|&e| e > end) else {
            continue;
        };
        let Some(info) = m.exec_op(x) else {
            continue;
        };
        let at = |kind| Consumer {
            event: e,
            kind,
            lo: before(e),
            hi: before(e),
        };
        match &info.op {
            Op::Await(r) if **r.name() == *name => v.push(at(OpKind::Await)),
            Op::WaitFor { target, timeout } if **target.name() == *name => {
                // With timeout 0 the op first waits on a private future; interrupted there
                // (CancelledError before the task ended), it never reads the task.
                let interrupted = *timeout == Some(0)
                    && x.gap.is_none_or(|g| g <= end)
                    && matches!(out_of(j, e), Some(Outcome::Cancelled(_)));
                if !interrupted {
                    v.push(at(OpKind::WaitFor));
                }
            }
            Op::Gather {
                refs,
                return_exceptions: false,
            } if sole(refs, name) => {
                if x.gap.is_some_and(|g| g > end) {
                    v.push(at(OpKind::Gather));
                } else {
                    v.push(Consumer {
                        event: e,
                        kind: OpKind::Gather,
                        lo: before(lo_cb).saturating_sub(1),
                        hi: before(hi_cb).saturating_sub(1),
                    });
                }
            }
            _ => {}
        }
    }
    // run_until_complete reads main's outcome once the loop stopped, after the stop
    // iteration.
    if *m.main == *name
        && let (Some(stop), Some(fi)) = (m.stop_iteration, j.index.finish)
    {
        let read = (0..events).find(|&i| j.iteration(i) > stop).unwrap_or(fi);
        let pos = before(read).saturating_sub(1);
        v.push(Consumer {
            event: fi,
            kind: OpKind::Await,
            lo: pos,
            hi: pos,
        });
    }
    v.sort_by_key(|c| (c.lo, c.event));
    v
}

/// Whether a non-empty list names only `name`.
fn sole(refs: &[Ref], name: &str) -> bool {
    !refs.is_empty() && refs.iter().all(|r| **r.name() == *name)
}

/// Whether an op other than `await` may have retrieved task `name`'s outcome before event
/// `first` (TASK-14c).
pub(crate) fn other_retrieval_before(j: &Judged<'_>, name: &str, end: usize, first: usize) -> bool {
    let m = j.model();
    m.name_info(name)
        .retrieved_by
        .iter()
        .filter(|(_, _, k)| !matches!(k, OpKind::Await | OpKind::WaitFor))
        .any(|(t, at, k)| {
            let sole_gather = m.op(t, at).is_some_and(|i| {
                matches!(&i.op, Op::Gather { refs, return_exceptions: false } if sole(refs, name))
            });
            if sole_gather {
                return false;
            }
            let Some(x) = m.exec(t, at) else { return false };
            if x.gap.is_none_or(|g| g > first) {
                return false;
            }
            match k {
                OpKind::Shield => x.gap.is_none_or(|g| g > end),
                OpKind::Gather => {
                    let re = m.op(t, at).is_some_and(|i| {
                        matches!(
                            i.op,
                            Op::Gather {
                                return_exceptions: true,
                                ..
                            }
                        )
                    });
                    !(re && x
                        .event
                        .is_some_and(|e| matches!(out_of(j, e), Some(Outcome::Ok(_)))))
                }
                _ => true,
            }
        })
}

/// TASK-15: a task awaiting a future whose exception is a `CancelledError` receives that
/// error, and ends cancelled if it lets it escape.
fn task_15(j: &Judged<'_>) -> Vec<Finding> {
    let m = j.model();
    let mut out = Vec::new();
    for (x, f, c) in m.awaits_of_completed_futures() {
        let target = &f.name;
        let CompletedBy::Exception(spec) = &c.by else {
            continue;
        };
        if &*spec.ty != "CancelledError" {
            continue;
        }
        let Some(e) = x.event.filter(|&e| e > c.event) else {
            continue;
        };
        let want = Outcome::Cancelled(spec.msg.clone());
        let got = out_of(j, e);
        if got != Some(&want) {
            out.push(finding(
                [c.event, e],
                format!(
                    "future {target}'s exception is {want}; {}:{} awaiting it must receive that \
                     error, but got {}",
                    x.task,
                    x.at,
                    show(got)
                ),
            ));
            continue;
        }
        if let Some(t) = m.object(&x.task)
            && t.end_out.as_ref() == Some(&want)
            && t.final_state.is_some_and(|s| s != State::Cancelled)
        {
            out.push(finding(
                [e].into_iter().chain(t.end),
                format!(
                    "task {} let the CancelledError of future {target} escape, so it must end \
                     cancelled, not {:?}",
                    x.task,
                    t.final_state.unwrap_or(State::Pending)
                ),
            ));
        }
    }
    out
}

/// TASK-16: a task's result or exception reaches its awaiters unchanged (a waiting awaiter may
/// instead be cancelled); a cancelled task's awaiters get `CancelledError`.
fn task_16(j: &Judged<'_>) -> Vec<Finding> {
    let m = j.model();
    let mut out = Vec::new();
    for (x, _, target) in m.awaits() {
        let Some(r) = m.object(target).filter(|o| o.is_task) else {
            continue;
        };
        let (Some(end), Some(e), Some(start)) = (r.end, x.event, x.start_pos()) else {
            continue;
        };
        if e < end {
            continue;
        }
        let Some(got) = out_of(j, e) else { continue };
        let immediate = start >= after(end);
        match r.final_state {
            Some(State::Finished) => {
                let Some(want) = &r.end_out else { continue };
                if got != want && (immediate || !matches!(got, Outcome::Cancelled(_))) {
                    out.push(finding(
                        [end, e],
                        format!(
                            "task {target} ended with {want}; {}:{} awaiting it must receive \
                             exactly that{}, but got {got}",
                            x.task,
                            x.at,
                            if immediate {
                                ""
                            } else {
                                " (or CancelledError if the awaiter itself was cancelled)"
                            }
                        ),
                    ));
                }
            }
            Some(State::Cancelled) if !matches!(got, Outcome::Cancelled(_)) => {
                out.push(finding(
                    [end, e],
                    format!(
                        "task {target} ended cancelled; awaiting it must raise CancelledError, \
                         but {}:{} got {got}",
                        x.task, x.at
                    ),
                ));
            }
            _ => {}
        }
    }
    out
}

/// TASK-18: steps are atomic: the events of one task in one iteration (its one step) are
/// contiguous; a task's `start` is its first event and its `end` its last.
fn task_18(j: &Judged<'_>) -> Vec<Finding> {
    let m = j.model();
    let events = j.events();
    let mut out = Vec::new();
    for ((task, it), idxs) in m.steps.iter() {
        let (Some(&a), Some(&b)) = (idxs.first(), idxs.last()) else {
            continue;
        };
        if b - a + 1 != idxs.len() {
            let intruder = (a..=b).find(|i| !idxs.contains(i)).unwrap_or(a);
            out.push(finding(
                [a, intruder, b],
                format!(
                    "task {task}'s events of iteration {it} (one step) are interleaved with \
                     {}; a step runs to its end before anything else runs",
                    j.line(intruder)
                ),
            ));
        }
    }
    // Per task, in the order the tasks first appear: its first and last events, and its
    // starts and ends (counted, with the first of each).
    #[derive(Default)]
    struct Seen {
        first: usize,
        last: usize,
        starts: (usize, Option<usize>),
        ends: (usize, Option<usize>),
    }
    let mut seen: Vec<(&Arc<str>, Seen)> = Vec::new();
    let mut slot_of: HashMap<&str, usize> = HashMap::default();
    for (i, e) in events.iter().enumerate() {
        if let Some(t) = e.task() {
            let slot = *slot_of.entry(&**t).or_insert_with(|| {
                seen.push((
                    t,
                    Seen {
                        first: i,
                        ..Seen::default()
                    },
                ));
                seen.len() - 1
            });
            let s = &mut seen[slot].1;
            s.last = i;
            let count = match e {
                Event::Start { .. } => &mut s.starts,
                Event::End { .. } => &mut s.ends,
                _ => continue,
            };
            count.0 += 1;
            count.1.get_or_insert(i);
        }
    }
    for (t, s) in seen {
        if s.starts.0 > 1 || s.ends.0 > 1 {
            // Rare: list every start, then every end, of this task.
            let of_task = |start: bool| {
                events.iter().enumerate().filter_map(move |(i, e)| match e {
                    Event::Start { task, .. } if start && task == t => Some(i),
                    Event::End { task, .. } if !start && task == t => Some(i),
                    _ => None,
                })
            };
            out.push(finding(
                of_task(true).chain(of_task(false)),
                format!(
                    "task {t} has {} start and {} end events; at most one each",
                    s.starts.0, s.ends.0
                ),
            ));
        }
        if let Some(start) = s.starts.1
            && s.first != start
        {
            out.push(finding(
                [s.first, start],
                format!("task {t} emitted an event before its start"),
            ));
        }
        if let Some(end) = s.ends.1
            && s.last != end
        {
            out.push(finding(
                [end, s.last],
                format!("task {t} emitted an event after its end"),
            ));
        }
    }
    out
}
