//! Task oracles of cancellation delivery: forwarded to the awaited future, delivered only at
//! suspension points, caught, before the first step, self-inflicted, withdrawn by `uncancel`
//! (TASK-5 to TASK-9, TASK-11).

use aiosim::State;
use aiosim_sim::graph::Op;
use aiosim_sim::trace::{Event, OpKind, Outcome};

use super::{delivers_cancel, is_block, suspended};
use crate::context::{CompletedBy, Judged, States, after, finding, show_msg};
use crate::oracle::Finding;
use crate::oracles::fut::{out_of, show};

/// TASK-5: a cancellation of a task waiting on a pending future is forwarded to that future
/// (which ends cancelled); a cancellation arriving after the future completed but before the
/// task resumed replaces the future's result with `CancelledError`.
pub(super) fn task_5(j: &Judged<'_>) -> Vec<Finding> {
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
pub(super) fn task_6(j: &Judged<'_>) -> Vec<Finding> {
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
pub(super) fn task_7(j: &Judged<'_>) -> Vec<Finding> {
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
pub(super) fn task_8(j: &Judged<'_>) -> Vec<Finding> {
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
pub(super) fn task_9(j: &Judged<'_>) -> Vec<Finding> {
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
pub(super) fn task_11(j: &Judged<'_>) -> Vec<Finding> {
    let mut out = j.counts().uncancel.clone();
    out.extend(doomed_before_start(j, true));
    out.extend(self_cancels(j, true));
    out
}
