//! Task oracles of a task's life: its first step, when it is done, and what `cancel()` does
//! before delivery (TASK-1 to TASK-4).

use aiosim::State;
use aiosim_sim::graph::Op;
use aiosim_sim::trace::{Event, Outcome};

use crate::context::{Judged, QueuedKind, States, finding, is_bool, unresolved};
use crate::oracle::Finding;

/// TASK-1: a spawned task's first step runs in the iteration after the spawn, never in the
/// spawning step; every task but `main` starts only after a `spawn` of it.
pub(super) fn task_1(j: &Judged<'_>) -> Vec<Finding> {
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
pub(super) fn task_2(j: &Judged<'_>) -> Vec<Finding> {
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
pub(super) fn task_3(j: &Judged<'_>) -> Vec<Finding> {
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
pub(super) fn task_4(j: &Judged<'_>) -> Vec<Finding> {
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
