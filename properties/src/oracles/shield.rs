//! Oracles of `asyncio.shield` (SHIELD-*).

use aiosim::{Level, State};
use aiosim_sim::graph::{Op, Ref};
use aiosim_sim::trace::Outcome;

use super::gather::model::{Expect, Model, Obj, ObjOut, OpRun, Retrieval, after, before};
use crate::context::{INJECTED, Judged, combinator_oracle, finding as run_finding, oracle};
use crate::oracle::{Finding, Oracle};

/// IDs of this area without an oracle: (ID, reason and where it is tested).
pub const NOT_JUDGED: &[(&str, &str)] = &[(
    "SHIELD-5",
    "about a coroutine argument and the type of the returned object, neither of which a graph \
     can show; tested in tests/shield.rs (shield_5_returns_a_plain_future_not_a_task)",
)];

/// This area's oracles.
pub fn oracles() -> Vec<Box<dyn Oracle>> {
    vec![
        combinator_oracle("SHIELD-1", false, shield_1),
        oracle("SHIELD-2", false, shield_2),
        combinator_oracle("SHIELD-3", false, shield_3),
        combinator_oracle("SHIELD-4", false, shield_4),
        combinator_oracle("SHIELD-6", false, shield_6),
    ]
}

/// A `shield` op that ended.
struct ShieldOp<'m, 'a> {
    run: &'m OpRun<'a>,
    target: &'a Ref,
    end: usize,
    out: &'a Outcome,
    x: &'m Obj,
}

impl ShieldOp<'_, '_> {
    fn done_at_start(&self) -> Option<bool> {
        self.x.done_before(self.run.start_pos())
    }

    fn done_at_end(&self) -> Option<bool> {
        self.x.done_before(before(self.end))
    }
}

fn shields<'m, 'a>(m: &'m Model<'a>) -> Vec<ShieldOp<'m, 'a>> {
    m.runs
        .iter()
        .filter_map(|run| match &run.node.op {
            Op::Shield(target) => {
                let end = run.end?;
                let out = m.op_out(end)?;
                if m.is_resolution_error(out) {
                    return None;
                }
                Some(ShieldOp {
                    run,
                    target,
                    end,
                    out,
                    x: m.obj(target.name())?,
                })
            }
            _ => None,
        })
        .collect()
}

fn finding(s: &ShieldOp<'_, '_>, mut events: Vec<usize>, what: String) -> Finding {
    events.push(s.end);
    events.extend(s.x.done_event());
    events.sort_unstable();
    events.dedup();
    Finding {
        events,
        explanation: format!(
            "shield({}) in {} ended with {}: {what}",
            s.target.name(),
            s.run.task,
            s.out
        ),
    }
}

/// SHIELD-1: the inner result or exception passes through.
fn shield_1(m: &Model<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for s in shields(m) {
        if s.done_at_start() != Some(false) || matches!(s.out, Outcome::Cancelled(_)) {
            continue; // SHIELD-4, SHIELD-2/3
        }
        match s.done_at_end() {
            Some(false) => out.push(finding(
                &s,
                vec![],
                "the inner object had not finished, so nothing could pass through".into(),
            )),
            Some(true) => {
                let want = match &s.x.out {
                    Some(ObjOut::Value(v)) => Expect::Exact(Outcome::ok(v.clone())),
                    Some(ObjOut::Raised(o)) => Expect::Exact(o.clone()),
                    Some(_) => Expect::CancelledAny,
                    None => continue,
                };
                if !want.admits(s.out) {
                    out.push(finding(
                        &s,
                        vec![],
                        format!(
                            "the inner outcome must pass through: expected {}",
                            want.describe()
                        ),
                    ));
                }
            }
            None => {}
        }
    }
    out
}

/// SHIELD-2: cancelling the task that awaits the shield does not cancel the inner object;
/// the awaiter gets `CancelledError` (with the cancel's message) in the next iteration while
/// the inner keeps running.
fn shield_2(j: &Judged<'_>) -> Vec<Finding> {
    let mut out = shield_2_awaiter_and_futures(j.combinators());
    out.extend(shield_2_inner_tasks(j));
    out
}

/// SHIELD-2, the inner side for shielded tasks that nothing but a shield names in a way that
/// could cancel them: no `cancel` op, no `await`/`wait_for`/`gather` (which forward their
/// caller's cancellation), no timeout or task group of their own, not a task-group child.
/// Such a task receives no cancel request before the shutdown except injected ones: a request
/// could only have come through the shield.
fn shield_2_inner_tasks(j: &Judged<'_>) -> Vec<Finding> {
    let m = j.model();
    let mut out = Vec::new();
    let shielded: std::collections::BTreeSet<&str> = m
        .scenario
        .ops
        .values()
        .filter_map(|info| match &info.op {
            Op::Shield(Ref::Task(x)) => Some(&*x.name),
            _ => None,
        })
        .collect();
    for name in shielded {
        let n = m.name_info(name);
        if !n.cancelled_by.is_empty()
            || !n.forwarded_by.is_empty()
            || n.own_cancellers
            || n.spawned_in_taskgroup
            || n.zero_wait_for
        {
            continue;
        }
        let stray = j
            .report
            .cancel_requests
            .iter()
            .find(|r| &*r.task == name && !r.by_shutdown && r.msg.as_deref() != Some(INJECTED));
        if let Some(r) = stray {
            out.push(run_finding(
                [r.events_before.saturating_sub(1)],
                format!(
                    "task {name} is only shielded (nothing else may cancel it), yet it received \
                     a cancel request in iteration {}: a shield never passes a cancellation on \
                     to its inner object",
                    r.iteration
                ),
            ));
        }
    }
    out
}

/// SHIELD-2 on the combinator model: the awaiter's side, and the inner side for futures.
fn shield_2_awaiter_and_futures(m: &Model<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for s in shields(m) {
        if s.done_at_start() != Some(false) {
            continue;
        }
        let cancels = m.cancels_during(&s.run.task, s.run.start_after, s.end);
        let Some((c, msg)) = cancels
            .iter()
            .find(|(c, _)| s.x.done_before(after(*c)) == Some(false))
            .cloned()
        else {
            continue;
        };
        // Exact when `c` is the first request the task got since the op's iteration began.
        let precise = m.all_cancels_visible(&s.run.task)
            && !m.lexical_canceller(&s.run.task, &s.run.at)
            && m.first_cancel_since(&s.run.task, s.run.start_iter) == Some(c);
        let want = if precise {
            Expect::Exact(Outcome::Cancelled(msg.clone()))
        } else {
            Expect::CancelledAny
        };
        if !want.admits(s.out) {
            out.push(finding(
                &s,
                vec![c],
                format!(
                    "its task was cancelled (event {c}) while the inner object ran, so the \
                     awaiter must get {}",
                    want.describe()
                ),
            ));
        }
        let (end_iter, want_iter) = (m.iters[s.end], m.iters[c] + 1);
        if (precise && end_iter != want_iter) || end_iter > want_iter {
            out.push(finding(
                &s,
                vec![c],
                format!(
                    "its task was cancelled in iteration {}, so the awaiter must resume in \
                     iteration {want_iter}, but it resumed in {end_iter}",
                    m.iters[c]
                ),
            ));
        }
    }
    // The inner side, for futures: only an accepted cancel of the future or an op that
    // forwards cancellations to it (await, wait_for, gather) may cancel it, never a shield.
    let mut seen = Vec::new();
    for s in shields(m) {
        if s.x.is_task || seen.contains(&s.x.name) {
            continue;
        }
        seen.push(s.x.name.clone());
        if s.x.state == State::Cancelled && !m.future_cancel_explained(s.x) {
            let cancels = m.cancels_during(&s.run.task, s.run.start_after, s.end);
            out.push(finding(
                &s,
                cancels.iter().map(|(c, _)| *c).collect(),
                format!(
                    "the shielded future {} ended cancelled, but nothing that may cancel it \
                     touched it: a shield never passes a cancellation on to its inner object",
                    s.x.name
                ),
            ));
        }
    }
    out
}

/// SHIELD-3: an inner object cancelled by something else cancels the outer future, without a
/// message: the awaiter gets `CancelledError()` (`null`).
fn shield_3(m: &Model<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for s in shields(m) {
        if s.done_at_start() != Some(false) || s.done_at_end() != Some(true) {
            continue;
        }
        if s.x.state != State::Cancelled || m.task_maybe_cancelled(s.run) {
            continue;
        }
        if *s.out != Outcome::Cancelled(None) {
            out.push(finding(
                &s,
                vec![],
                format!(
                    "{} was cancelled by something else, which cancels the shield's outer \
                     future without a message: expected {}",
                    s.x.name,
                    Outcome::Cancelled(None)
                ),
            ));
        }
    }
    out
}

/// SHIELD-4: `shield(x)` of an object already done is `x` itself: awaiting it gives its
/// outcome without suspending.
fn shield_4(m: &Model<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for s in shields(m) {
        if s.done_at_start() != Some(true) {
            continue;
        }
        if m.iters[s.end] != s.run.start_iter {
            out.push(finding(
                &s,
                vec![],
                format!(
                    "{} was already done, so awaiting the shield must not suspend, but the op \
                     ended in iteration {} (started in {})",
                    s.x.name, m.iters[s.end], s.run.start_iter
                ),
            ));
        }
        let want = m.result_expect(s.x, s.run, Retrieval::Step(s.end));
        if !want.admits(s.out) {
            out.push(finding(
                &s,
                vec![],
                format!(
                    "{} was already done, so the op is an await of it: expected {}",
                    s.x.name,
                    want.describe()
                ),
            ));
        }
    }
    out
}

/// SHIELD-6 `[F]`: the awaiter resumes 2 iterations after the inner object completes (its
/// done-callback, then the outer's wakeup). Exact at levels 0–2, not before at level 3.
fn shield_6(m: &Model<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for s in shields(m) {
        if s.done_at_start() != Some(false) || m.task_maybe_cancelled(s.run) {
            continue;
        }
        let Some(c) = s.x.done_iter() else { continue };
        if s.done_at_end() != Some(true) {
            continue;
        }
        let (end_iter, want) = (m.iters[s.end], c + 2);
        let bad = if m.level == Level::Timing {
            end_iter < want
        } else {
            end_iter != want
        };
        if bad {
            out.push(finding(
                &s,
                vec![],
                format!(
                    "the inner object finished in iteration {c}, so the awaiter must resume in \
                     iteration {want}, but it resumed in {end_iter}"
                ),
            ));
        }
    }
    out
}
