//! Oracles of `asyncio.gather` (GATHER-*), and the run model shared by the combinator
//! oracles (gather, wait, wait_for, shield, as_completed, timeout, TaskGroup).
//!
//! The model ([`model::Model`]) reconstructs from a trace what the combinator oracles need:
//! where every op started and ended, when every task and future completed and how, which
//! cancellation requests reached a task, and, for a task that ended by raising
//! `CancelledError`, whether a given retrieval of its saved exception was the first one
//! (semantics TASK-14c). Everything it cannot establish from the trace it reports as unknown,
//! and the oracles then judge nothing rather than guess: every oracle must hold under every
//! legal schedule, with cancellations injected by the explorer included.

use std::sync::Arc;

use aiosim::State;
use aiosim_sim::graph::{Op, Ref};
use aiosim_sim::trace::Outcome;

use crate::context::combinator_oracle;
use crate::oracle::{Finding, Oracle};

use model::{Expect, Model, ObjOut, OpRun, Retrieval, after, before};

/// IDs of this area without an oracle: (ID, reason and where it is tested).
pub const NOT_JUDGED: &[(&str, &str)] = &[(
    "GATHER-2",
    "about coroutine arguments, which a graph cannot pass (gather takes references to \
         tasks and futures that already exist), and about an order CPython does not promise; \
         tested in tests/gather.rs (gather_2_children_made_in_argument_order_start_in_that_order)",
)];

/// This area's oracles.
pub fn oracles() -> Vec<Box<dyn Oracle>> {
    vec![
        combinator_oracle("GATHER-1", false, gather_1),
        combinator_oracle("GATHER-3", false, gather_3),
        combinator_oracle("GATHER-4", false, gather_4),
        combinator_oracle("GATHER-5", false, gather_5),
        combinator_oracle("GATHER-6", false, gather_6),
        combinator_oracle("GATHER-7", false, gather_7),
        combinator_oracle("GATHER-8", false, gather_8),
        combinator_oracle("GATHER-9", false, gather_9),
        combinator_oracle("GATHER-10", false, gather_10),
        combinator_oracle("GATHER-11", false, gather_11),
        combinator_oracle("GATHER-12", false, gather_12),
        combinator_oracle("GATHER-13", false, gather_13),
    ]
}

/// A finished gather op: its run, refs, `return_exceptions`, end event and outcome.
struct GatherOp<'m, 'a> {
    run: &'m OpRun<'a>,
    refs: &'a [Ref],
    re: bool,
    end: usize,
    out: &'a Outcome,
}

fn gathers<'m, 'a>(m: &'m Model<'a>) -> Vec<GatherOp<'m, 'a>> {
    m.runs
        .iter()
        .filter_map(|run| match &run.node.op {
            Op::Gather {
                refs,
                return_exceptions,
            } => {
                let end = run.end?;
                let out = m.op_out(end)?;
                if m.is_resolution_error(out) {
                    return None;
                }
                Some(GatherOp {
                    run,
                    refs,
                    re: *return_exceptions,
                    end,
                    out,
                })
            }
            _ => None,
        })
        .collect()
}

/// The distinct names of a list, in order of first occurrence.
pub(crate) fn distinct(refs: &[Ref]) -> Vec<Arc<str>> {
    let mut out: Vec<Arc<str>> = Vec::new();
    for r in refs {
        if !out.iter().any(|n| n == r.name()) {
            out.push(r.name().clone());
        }
    }
    out
}

/// GATHER-1: a result list holds, position by position, the outcome of the argument at that
/// position (argument order, not completion order).
fn gather_1(m: &Model<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for g in gathers(m) {
        let Some(entries) = model::list_entries(g.out) else {
            continue;
        };
        if entries.len() != g.refs.len() {
            out.push(Finding {
                events: vec![g.end],
                explanation: format!(
                    "gather of {} arguments returned a list of {} entries",
                    g.refs.len(),
                    entries.len()
                ),
            });
            continue;
        }
        for (i, (r, entry)) in g.refs.iter().zip(&entries).enumerate() {
            let Some(x) = m.obj(r.name()) else { continue };
            let expect = match x.out.as_ref() {
                None => continue,
                Some(ObjOut::Value(v)) => Expect::Exact(Outcome::ok(v.clone())),
                Some(ObjOut::Raised(o)) if g.re => Expect::Exact(o.clone()),
                Some(_) if g.re => Expect::CancelledAny,
                Some(_) => Expect::Nothing,
            };
            if !expect.admits(entry) {
                let mut events = vec![g.end];
                events.extend(x.done_event());
                out.push(Finding {
                    events,
                    explanation: format!(
                        "entry {i} of the gather's list is {entry} but argument {i} ({}) {}",
                        r.name(),
                        m.describe_out(x)
                    ),
                });
            }
        }
    }
    out
}

/// GATHER-11: the same awaitable twice is one child; its outcome is at each of its positions.
fn gather_11(m: &Model<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for g in gathers(m) {
        let Some(entries) = model::list_entries(g.out) else {
            continue;
        };
        if entries.len() != g.refs.len() {
            continue;
        }
        for (i, r) in g.refs.iter().enumerate() {
            if let Some(j) = g.refs[..i].iter().position(|q| q.name() == r.name())
                && entries[i] != entries[j]
            {
                out.push(Finding {
                    events: vec![g.end],
                    explanation: format!(
                        "{} is passed at positions {j} and {i} of the gather, which are one child, \
                         but the list holds {} and {}",
                        r.name(),
                        entries[j],
                        entries[i]
                    ),
                });
            }
        }
    }
    out
}

/// How a `return_exceptions=False` gather must have failed: the candidate deciding children
/// and whether the gathering task may have been cancelled meanwhile.
struct FailureCase<'m> {
    /// Children that may have decided (whose completion callback may have run first), with
    /// what the op raises if it is that one.
    deciders: Vec<(Arc<str>, Expect, Option<usize>)>,
    /// Whether one of the candidates ended cancelled (GATHER-6) rather than with an error.
    cancelled: bool,
    /// Whether the gathering task may have been cancelled (its CancelledError then explains
    /// the outcome).
    caller_cancelled: bool,
    run: &'m OpRun<'m>,
}

/// Computes the deciding children of a failed `return_exceptions=False` gather, or `None`
/// when the trace cannot tell (a child whose completion time is unknown).
fn failure_case<'m>(m: &'m Model<'_>, g: &GatherOp<'m, '_>) -> Option<FailureCase<'m>> {
    let start = g.run.start_pos();
    let names = distinct(g.refs);
    let mut objs = Vec::new();
    for n in &names {
        let x = m.obj(n)?;
        if x.unknown_done() {
            return None;
        }
        objs.push(x);
    }
    let failed = |x: &&&model::Obj| x.out.as_ref().is_some_and(|o| !o.is_value());
    // A failure already there at the call decides synchronously, in argument order.
    let sync = objs
        .iter()
        .filter(failed)
        .find(|x| x.done_before(start) == Some(true));
    let deciders: Vec<&model::Obj> = match sync {
        Some(x) => vec![*x],
        None => {
            let later: Vec<&model::Obj> = objs
                .iter()
                .filter(failed)
                .filter(|x| x.done_before(before(g.end)) == Some(true))
                .copied()
                .collect();
            match m.level {
                aiosim::Level::Fifo | aiosim::Level::Ties => later
                    .iter()
                    .min_by_key(|x| x.done_pos())
                    .into_iter()
                    .copied()
                    .collect(),
                _ => {
                    let first = later.iter().filter_map(|x| x.done_iter()).min();
                    later
                        .into_iter()
                        .filter(|x| x.done_iter() == first)
                        .collect()
                }
            }
        }
    };
    let mut out = Vec::new();
    let mut cancelled = false;
    for x in deciders {
        let retrieval = if x.done_before(start) == Some(true) {
            Retrieval::Sync(g.run.start_after)
        } else {
            Retrieval::Callback {
                lo: x.done_pos().unwrap_or(0) + 1,
                hi: before(g.end),
                min_iter: x.done_iter().unwrap_or(0) + 1,
                own: true,
            }
        };
        let expect = m.result_expect(x, g.run, retrieval);
        cancelled |= x.is_cancelled_like();
        out.push((x.name.clone(), expect, x.done_event()));
    }
    Some(FailureCase {
        deciders: out,
        cancelled,
        caller_cancelled: m.task_maybe_cancelled(g.run),
        run: g.run,
    })
}

fn judge_failure(m: &Model<'_>, want_cancelled: bool) -> Vec<Finding> {
    let mut out = Vec::new();
    for g in gathers(m) {
        if g.re || !g.out.is_exception() {
            continue;
        }
        let Some(case) = failure_case(m, &g) else {
            continue;
        };
        if case.cancelled != want_cancelled {
            continue;
        }
        if case.deciders.iter().any(|(_, e, _)| e.admits(g.out)) {
            continue;
        }
        if case.caller_cancelled && matches!(g.out, Outcome::Cancelled(_)) {
            continue;
        }
        let mut events = vec![g.end];
        events.extend(case.deciders.iter().filter_map(|(_, _, e)| *e));
        let explanation = if case.deciders.is_empty() {
            format!(
                "gather (return_exceptions false) in {} raised {} although no child had failed \
                 and the task was not cancelled",
                case.run.task, g.out
            )
        } else {
            let want: Vec<String> = case
                .deciders
                .iter()
                .map(|(n, e, _)| format!("{} of {n}", e.describe()))
                .collect();
            format!(
                "gather (return_exceptions false) in {} raised {}, but the first child to fail \
                 decides: expected {}",
                case.run.task,
                g.out,
                want.join(" or ")
            )
        };
        out.push(Finding {
            events,
            explanation,
        });
    }
    out
}

/// GATHER-3: with `return_exceptions=False` the first child to fail (in completion-callback
/// order) decides the outcome; a failed gather needs a failed child (or a cancelled caller).
fn gather_3(m: &Model<'_>) -> Vec<Finding> {
    judge_failure(m, false)
}

/// GATHER-6: when the deciding child ended cancelled, the op raises that child's
/// `CancelledError` (with its message if the gather is the first to retrieve it).
fn gather_6(m: &Model<'_>) -> Vec<Finding> {
    judge_failure(m, true)
}

/// GATHER-5: with `return_exceptions=True` a cancelled child shows as `CancelledError` built
/// from its recorded message: `""` for a task that ended by raising, the message of
/// `cancel(msg)` for a future.
fn gather_5(m: &Model<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for g in gathers(m) {
        if !g.re {
            continue;
        }
        let Some(entries) = model::list_entries(g.out) else {
            continue;
        };
        if entries.len() != g.refs.len() {
            continue;
        }
        for (i, r) in g.refs.iter().enumerate() {
            let Some(x) = m.obj(r.name()) else { continue };
            let expect = match &x.out {
                Some(ObjOut::CancelledRaised(_)) => {
                    Expect::Exact(Outcome::Cancelled(Some(Arc::from(""))))
                }
                Some(ObjOut::Cancelled(Some(msg))) => Expect::Exact(Outcome::Cancelled(Some(
                    msg.clone().unwrap_or_else(|| Arc::from("")),
                ))),
                Some(ObjOut::Cancelled(None)) => Expect::CancelledSomeAny,
                _ => continue,
            };
            if !expect.admits(&entries[i]) {
                let mut events = vec![g.end];
                events.extend(x.done_event());
                out.push(Finding {
                    events,
                    explanation: format!(
                        "entry {i} of a return_exceptions gather is {} but {} is cancelled: \
                         expected {} (its recorded message, \"\" when none)",
                        entries[i],
                        r.name(),
                        expect.describe()
                    ),
                });
            }
        }
    }
    out
}

/// GATHER-7: a cancellation of the gathering task while it waits makes the op raise:
/// `CancelledError` whatever `return_exceptions` says, even if every child returned (with
/// `return_exceptions=False` a child's error may come first).
fn gather_7(m: &Model<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for g in gathers(m) {
        let cancels = m.cancels_during(&g.run.task, g.run.start_after, g.end);
        let Some(&(c, _)) = cancels.first() else {
            continue;
        };
        let ok = match g.out {
            Outcome::Cancelled(_) => true,
            Outcome::Err { .. } if !g.re => g.refs.iter().any(|r| {
                m.obj(r.name()).is_some_and(|x| {
                    matches!(&x.out, Some(ObjOut::Raised(o)) if o == g.out)
                        && x.done_before(before(g.end)) != Some(false)
                })
            }),
            _ => false,
        };
        if !ok {
            out.push(Finding {
                events: vec![c, g.end],
                explanation: format!(
                    "{} was cancelled (event {c}) while waiting in a gather (return_exceptions {}), \
                     which must then raise CancelledError{}, but it ended with {}",
                    g.run.task,
                    g.re,
                    if g.re { "" } else { " or a child's error" },
                    g.out
                ),
            });
        }
    }
    out
}

/// GATHER-4: once the outer future is done, a cancellation of the waiting task is refused by
/// it (`outer.cancel()` returns False): the task's own must-cancel replaces the result, so
/// the op raises `CancelledError` (with that cancel's message when the result was not
/// already a `CancelledError`).
fn gather_4(m: &Model<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for g in gathers(m) {
        let Some(outer_done_iter) = outer_done_iteration(m, &g) else {
            continue;
        };
        let cancels = m.cancels_during(&g.run.task, g.run.start_after, g.end);
        // Cancels made strictly after the iteration in which the outer completed.
        let late: Vec<&(usize, Option<Arc<str>>)> = cancels
            .iter()
            .filter(|(c, _)| m.iters[*c] > outer_done_iter)
            .collect();
        let Some(&&(c, ref msg)) = late.last() else {
            continue;
        };
        // The task's own must-cancel replaces a result that is not a CancelledError; the
        // message is that of the last request, if every request is a visible one and none
        // came before (which could have been forwarded to the outer future).
        let first_late = late.first().map(|l| l.0);
        let earlier = m.first_cancel_since(&g.run.task, g.run.start_iter) != first_late;
        let child_cancelled = g.refs.iter().any(|r| {
            m.obj(r.name())
                .is_none_or(|x| x.is_cancelled_like() || x.out.is_none())
        });
        let precise = m.all_cancels_visible(&g.run.task)
            && !m.lexical_canceller(&g.run.task, &g.run.at)
            && !earlier
            && !child_cancelled;
        let expect = if precise {
            Expect::Exact(Outcome::Cancelled(msg.clone()))
        } else {
            Expect::CancelledAny
        };
        if !expect.admits(g.out) {
            out.push(Finding {
                events: vec![c, g.end],
                explanation: format!(
                    "{} was cancelled (event {c}) after its gather's outer future was done \
                     (iteration {outer_done_iter}); the refused cancel must turn into the task's \
                     own CancelledError ({}), but the op ended with {}",
                    g.run.task,
                    expect.describe(),
                    g.out
                ),
            });
        }
    }
    out
}

/// The iteration by which the outer future of a gather was certainly done (the iteration in
/// which its deciding callback ran at the latest), if the trace tells.
fn outer_done_iteration(m: &Model<'_>, g: &GatherOp<'_, '_>) -> Option<u64> {
    let mut iters = Vec::new();
    for n in distinct(g.refs) {
        let x = m.obj(&n)?;
        if x.unknown_done() {
            return None;
        }
        iters.push((x.done_iter(), x.out.as_ref().is_some_and(|o| !o.is_value())));
    }
    let s = g.run.start_iter;
    let cb = |i: u64| if i < s { s } else { i + 1 };
    let all = iters
        .iter()
        .map(|(i, _)| i.map(cb))
        .collect::<Option<Vec<u64>>>()
        .and_then(|v| v.into_iter().max());
    if g.re {
        all
    } else {
        let first_fail = iters
            .iter()
            .filter(|(_, f)| *f)
            .filter_map(|(i, _)| i.map(cb))
            .min();
        match (first_fail, all) {
            (Some(f), Some(a)) => Some(f.min(a)),
            (f, a) => f.or(a),
        }
    }
}

/// GATHER-8: a `return_exceptions=True` gather completes only when every child is done; if
/// it was cancelled while a child was still running, it raises the cancellation error of the
/// *last* child of its list.
fn gather_8(m: &Model<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for g in gathers(m) {
        if !g.re {
            continue;
        }
        let end = before(g.end);
        for n in distinct(g.refs) {
            let Some(x) = m.obj(&n) else { continue };
            if x.done_before(end) == Some(false) {
                let mut events = vec![g.end];
                events.extend(x.done_event());
                out.push(Finding {
                    events,
                    explanation: format!(
                        "a return_exceptions gather in {} completed ({}) while its child {n} was \
                         not done",
                        g.run.task, g.out
                    ),
                });
            }
        }
        // The cancelled case: the first visible cancel while some child was still pending.
        let cancels = m.cancels_during(&g.run.task, g.run.start_after, g.end);
        let forwarded = cancels.iter().find(|(c, _)| {
            g.refs.iter().any(|r| {
                m.obj(r.name())
                    .is_some_and(|x| x.done_before(after(*c)) == Some(false))
            })
        });
        let Some((c, _)) = forwarded else { continue };
        let Some(last) = g.refs.last().and_then(|r| m.obj(r.name())) else {
            continue;
        };
        let expect = match &last.out {
            Some(ObjOut::CancelledRaised(_)) => {
                // The done-callback of whichever child finishes last retrieves it.
                let children: Vec<&model::Obj> =
                    distinct(g.refs).iter().filter_map(|n| m.obj(n)).collect();
                let last_done = children.iter().map(|x| x.done_pos().unwrap_or(0)).max();
                let last_iter = children.iter().map(|x| x.done_iter().unwrap_or(0)).max();
                let own = children
                    .iter()
                    .filter(|x| x.done_pos().unwrap_or(0) == last_done.unwrap_or(0))
                    .all(|x| x.name == last.name);
                let retrieval = Retrieval::Callback {
                    lo: last_done.unwrap_or(0).max(after(*c)) + 1,
                    hi: end,
                    min_iter: last_iter.unwrap_or(0) + 1,
                    own,
                };
                m.result_expect(last, g.run, retrieval)
            }
            Some(ObjOut::Cancelled(Some(msg))) => Expect::Exact(Outcome::Cancelled(msg.clone())),
            Some(ObjOut::Value(_) | ObjOut::Raised(_)) if !last.is_task => {
                Expect::Exact(Outcome::Cancelled(None))
            }
            _ => Expect::CancelledAny,
        };
        if !expect.admits(g.out) {
            let mut events = vec![*c, g.end];
            events.extend(last.done_event());
            out.push(Finding {
                events,
                explanation: format!(
                    "{} was cancelled (event {c}) while its return_exceptions gather still had a \
                     running child, so the gather must raise the cancellation error of its last \
                     child {} ({}), but it ended with {}",
                    g.run.task,
                    last.name,
                    expect.describe(),
                    g.out
                ),
            });
        }
    }
    out
}

/// GATHER-9: cancelling the task that waits on a gather cancels the outer future and so
/// every child still running (each entry once, duplicates included).
fn gather_9(m: &Model<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for g in gathers(m) {
        let cancels = m.cancels_during(&g.run.task, g.run.start_after, g.end);
        if cancels.is_empty() {
            continue;
        }
        let names = distinct(g.refs);
        if names
            .iter()
            .any(|n| m.obj(n).is_none_or(|x| x.unknown_done()))
        {
            continue;
        }
        // Forwarding cancels: those made while the outer was certainly pending.
        let forwards: Vec<usize> = cancels
            .iter()
            .map(|(c, _)| *c)
            .filter(|&c| outer_certainly_pending(m, &g, c))
            .collect();
        for n in &names {
            let x = m.obj(n).expect("checked above");
            let mult = g.refs.iter().filter(|r| r.name() == n).count();
            let pending_at: Vec<usize> = forwards
                .iter()
                .copied()
                .filter(|&c| x.done_before(after(c)) == Some(false))
                .collect();
            let Some(&first) = pending_at.first() else {
                continue;
            };
            if x.is_task {
                if m.uncancel_count(n) > 0 {
                    continue;
                }
                let need = m.visible_cancels(n) + mult * pending_at.len();
                if (x.cancelling as usize) < need {
                    out.push(Finding {
                        events: pending_at.clone(),
                        explanation: format!(
                            "cancelling {} while it waited on a gather must cancel its running \
                             child {n} ({} request(s) to it, plus {} by cancel ops), but \
                             {n}.cancelling() ended at {}",
                            g.run.task,
                            mult * pending_at.len(),
                            m.visible_cancels(n),
                            x.cancelling
                        ),
                    });
                }
            } else if x.state != State::Cancelled {
                let mut events = vec![first];
                events.extend(x.done_event());
                out.push(Finding {
                    events,
                    explanation: format!(
                        "cancelling {} while it waited on a gather must cancel the pending \
                         future {n}, but {n} ended {:?}",
                        g.run.task, x.state
                    ),
                });
            }
        }
    }
    out
}

/// Whether the outer future of `g` was certainly still pending when event `c` ran.
fn outer_certainly_pending(m: &Model<'_>, g: &GatherOp<'_, '_>, c: usize) -> bool {
    let objs: Vec<&model::Obj> = distinct(g.refs).iter().filter_map(|n| m.obj(n)).collect();
    let some_pending = objs.iter().any(|x| x.done_before(after(c)) == Some(false));
    if !some_pending {
        return false;
    }
    if g.re {
        return true;
    }
    // No failed child whose callback may have run before `c`.
    objs.iter().all(|x| {
        x.out.as_ref().is_none_or(|o| o.is_value())
            || x.done_before(after(c)) == Some(false)
            || x.done_iter().is_some_and(|i| i >= m.iters[c])
    })
}

/// GATHER-10: `gather()` of nothing is `[]` at once, without suspending.
fn gather_10(m: &Model<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for g in gathers(m) {
        if !g.refs.is_empty() {
            continue;
        }
        let empty = model::list_entries(g.out).is_some_and(|e| e.is_empty());
        let same_step = m.iters[g.end] == g.run.start_iter;
        if !empty || !same_step {
            out.push(Finding {
                events: vec![g.end],
                explanation: format!(
                    "gather() of no argument must give [] without suspending, but it ended with \
                     {} in iteration {} (started in {})",
                    g.out, m.iters[g.end], g.run.start_iter
                ),
            });
        }
    }
    out
}

/// GATHER-12: children already done at the call are processed inside it: if all are done (or
/// one has already failed, with `return_exceptions=False`) the op completes in the same step;
/// otherwise it suspends.
fn gather_12(m: &Model<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for g in gathers(m) {
        if g.refs.is_empty() {
            continue;
        }
        let start = g.run.start_pos();
        let mut all_done = true;
        let mut failed_done = false;
        let mut known = true;
        for n in distinct(g.refs) {
            let Some(x) = m.obj(&n) else {
                known = false;
                all_done = false;
                continue;
            };
            match x.done_before(start) {
                Some(true) => {
                    failed_done |= x.out.as_ref().is_some_and(|o| !o.is_value());
                }
                Some(false) => all_done = false,
                None => {
                    known = false;
                    all_done = false;
                }
            }
        }
        let immediate = all_done || failed_done && !g.re;
        if !known && !immediate {
            continue;
        }
        let same_step = m.iters[g.end] == g.run.start_iter;
        if immediate && !same_step {
            out.push(Finding {
                events: vec![g.end],
                explanation: format!(
                    "every child of the gather in {} was done (or one had failed) at the call, so \
                     it must complete inside the call, but the op ended in iteration {} (started \
                     in {})",
                    g.run.task, m.iters[g.end], g.run.start_iter
                ),
            });
        } else if known && !immediate && same_step && !g.out.is_exception() {
            out.push(Finding {
                events: vec![g.end],
                explanation: format!(
                    "a child of the gather in {} was still running at the call, but the op \
                     completed with {} without suspending",
                    g.run.task, g.out
                ),
            });
        }
    }
    out
}

/// GATHER-13 `[F]`: the awaiter resumes 2 iterations after the deciding child finished (its
/// done-callback, then the outer future's wakeup). Exact at levels 0–2, "not before" at
/// level 3.
fn gather_13(m: &Model<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for g in gathers(m) {
        if g.refs.is_empty() {
            continue;
        }
        let start = g.run.start_pos();
        let names = distinct(g.refs);
        let objs: Vec<&model::Obj> = names.iter().filter_map(|n| m.obj(n)).collect();
        if objs.len() != names.len() || objs.iter().any(|x| x.unknown_done()) {
            continue;
        }
        let end_iter = m.iters[g.end];
        let pending_at_start = objs.iter().any(|x| x.done_before(start) == Some(false));
        let failed_at_start = objs.iter().any(|x| {
            x.done_before(start) == Some(true) && x.out.as_ref().is_some_and(|o| !o.is_value())
        });
        if !pending_at_start || failed_at_start && !g.re {
            continue; // GATHER-12
        }
        let done_by_end: Vec<&&model::Obj> = objs
            .iter()
            .filter(|x| x.done_before(before(g.end)) == Some(true))
            .collect();
        let first_fail = done_by_end
            .iter()
            .filter(|x| x.out.as_ref().is_some_and(|o| !o.is_value()))
            .filter_map(|x| x.done_iter())
            .min();
        let all = if done_by_end.len() == objs.len() {
            done_by_end.iter().filter_map(|x| x.done_iter()).max()
        } else {
            None
        };
        let decider = if g.re {
            all
        } else {
            match (first_fail, all) {
                (Some(f), Some(a)) => Some(f.min(a)),
                (f, a) => f.or(a),
            }
        };
        let Some(k) = decider else { continue };
        let k = k.max(g.run.start_iter);
        let want = k + 2;
        let bad = if m.level == aiosim::Level::Timing {
            end_iter < want
        } else {
            end_iter != want
        };
        if bad {
            out.push(Finding {
                events: vec![g.end],
                explanation: format!(
                    "the gather in {} was decided by a child finishing in iteration {k}, so the \
                     awaiter must resume in iteration {want}{}, but it resumed in {end_iter}",
                    g.run.task,
                    if m.level == aiosim::Level::Timing {
                        " at the earliest"
                    } else {
                        ""
                    }
                ),
            });
        }
    }
    out
}

pub(crate) mod model;
