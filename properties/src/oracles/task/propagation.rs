//! Task oracles of cancellation across awaits: a request passed on to an awaited task, a
//! shared future cancelled for every awaiter, and which message each one gets (TASK-12 to
//! TASK-14).

use aiosim::State;
use aiosim_sim::graph::{Op, Ref};
use aiosim_sim::trace::{OpKind, Outcome};

use super::suspended;
use crate::context::{CompletedBy, Judged, OpExec, before, finding, is_injected};
use crate::oracle::Finding;
use crate::oracles::fut::{out_of, show};

/// TASK-12: T awaits task U and T is cancelled while U runs: the request goes to U; if U
/// swallows it and returns `v`, T's await returns `v` (T is not cancelled).
pub(super) fn task_12(j: &Judged<'_>) -> Vec<Finding> {
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
pub(super) fn task_13(j: &Judged<'_>) -> Vec<Finding> {
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
pub(super) fn task_14(j: &Judged<'_>) -> Vec<Finding> {
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
