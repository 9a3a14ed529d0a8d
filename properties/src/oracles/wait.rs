//! Oracles of `asyncio.wait` (WAIT-*).

use std::sync::Arc;

use aiosim::{Level, State};
use aiosim_sim::graph::{Op, Ref, ReturnWhen};
use aiosim_sim::trace::{NameSet, Outcome, Res};

use super::gather::distinct;
use super::gather::model::{Model, Obj, ObjOut, OpRun, before};
use crate::context::combinator_oracle;
use crate::oracle::{Finding, Oracle};

/// IDs of this area without an oracle: (ID, reason and where it is tested).
pub const NOT_JUDGED: &[(&str, &str)] = &[(
    "WAIT-5",
    "the argument errors cannot occur in a graph: the static rules forbid an empty wait list, \
     and a single future, coroutines or an invalid return_when cannot be written; tested in \
     tests/wait.rs (wait_5_empty_input_is_value_error)",
)];

/// This area's oracles.
pub fn oracles() -> Vec<Box<dyn Oracle>> {
    vec![
        combinator_oracle("WAIT-1", false, wait_1),
        combinator_oracle("WAIT-2", false, wait_2),
        combinator_oracle("WAIT-3", false, wait_3),
        combinator_oracle("WAIT-4", false, wait_4),
        combinator_oracle("WAIT-6", false, wait_6),
        combinator_oracle("WAIT-7", false, wait_7),
    ]
}

/// A `wait` op that ended: its run, inputs, mode, timeout, end event and outcome.
struct WaitOp<'m, 'a> {
    run: &'m OpRun<'a>,
    refs: &'a [Ref],
    when: ReturnWhen,
    timeout: Option<u64>,
    end: usize,
    out: &'a Outcome,
}

impl WaitOp<'_, '_> {
    /// The `(done, pending)` result, if the op returned one.
    fn result(&self) -> Option<(&NameSet, &NameSet)> {
        match self.out {
            Outcome::Ok(Res::Wait { done, pending }) => Some((done, pending)),
            _ => None,
        }
    }
}

fn waits<'m, 'a>(m: &'m Model<'a>) -> Vec<WaitOp<'m, 'a>> {
    m.runs
        .iter()
        .filter_map(|run| match &run.node.op {
            Op::Wait {
                refs,
                return_when,
                timeout,
            } => {
                let end = run.end?;
                let out = m.op_out(end)?;
                if m.is_resolution_error(out) {
                    return None;
                }
                Some(WaitOp {
                    run,
                    refs,
                    when: *return_when,
                    timeout: *timeout,
                    end,
                    out,
                })
            }
            _ => None,
        })
        .collect()
}

/// Whether an input finished with an exception (a cancelled one does not count).
fn has_exception(x: &Obj) -> Option<bool> {
    match &x.out {
        Some(ObjOut::Raised(_)) => Some(true),
        Some(_) => Some(false),
        None => None,
    }
}

/// Whether the return condition holds for these done inputs (`None`: unknown).
fn condition_met(
    m: &Model<'_>,
    w: &WaitOp<'_, '_>,
    done: &NameSet,
    pending: &NameSet,
) -> Option<bool> {
    Some(match w.when {
        ReturnWhen::AllCompleted => pending.is_empty(),
        ReturnWhen::FirstCompleted => !done.is_empty(),
        ReturnWhen::FirstException => {
            if pending.is_empty() {
                true
            } else {
                let mut any = false;
                for n in done {
                    match has_exception(m.obj(n)?) {
                        Some(true) => any = true,
                        Some(false) => {}
                        None => return None,
                    }
                }
                any
            }
        }
    })
}

/// WAIT-1: `done`/`pending` split the inputs by `done()` at the moment the op returned.
fn wait_1(m: &Model<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for w in waits(m) {
        let Some((done, pending)) = w.result() else {
            continue;
        };
        let end = before(w.end);
        for (list, want) in [(done, true), (pending, false)] {
            for n in list {
                let Some(x) = m.obj(n) else { continue };
                if x.done_before(end).is_some_and(|d| d != want) {
                    let mut events = vec![w.end];
                    events.extend(x.done_event());
                    out.push(Finding {
                        events,
                        explanation: format!(
                            "wait in {} put {n} in {} although it was {} when the op returned",
                            w.run.task,
                            if want { "done" } else { "pending" },
                            if want { "not done" } else { "already done" }
                        ),
                    });
                }
            }
        }
    }
    out
}

/// WAIT-6: duplicate inputs collapse: the result lists each distinct input exactly once.
fn wait_6(m: &Model<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for w in waits(m) {
        let Some((done, pending)) = w.result() else {
            continue;
        };
        let want: Vec<Arc<str>> = distinct(w.refs);
        let mut got: Vec<&Arc<str>> = done.iter().chain(pending.iter()).collect();
        got.sort();
        let mut want_sorted: Vec<&Arc<str>> = want.iter().collect();
        want_sorted.sort();
        if got != want_sorted {
            out.push(Finding {
                events: vec![w.end],
                explanation: format!(
                    "wait in {} over {} distinct input(s) returned {}, which does not list each \
                     distinct input exactly once",
                    w.run.task,
                    want.len(),
                    w.out
                ),
            });
        }
    }
    out
}

/// WAIT-2: the op returns only when its condition holds (all done; one done; one failed with
/// an exception, a cancelled input not counting, or all done), unless a timeout was given.
fn wait_2(m: &Model<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for w in waits(m) {
        let Some((done, pending)) = w.result() else {
            continue;
        };
        if w.timeout.is_some() {
            continue; // WAIT-3
        }
        if condition_met(m, &w, done, pending) == Some(false) {
            out.push(Finding {
                events: vec![w.end],
                explanation: format!(
                    "wait ({}, no timeout) in {} returned {} although its condition did not hold",
                    w.when.as_str(),
                    w.run.task,
                    w.out
                ),
            });
        }
    }
    out
}

/// WAIT-3: on timeout `wait` returns and never raises `TimeoutError`; returning with the
/// condition unmet needs the deadline reached. `timeout=0` takes exactly 2 iterations
/// (levels 0–2; at least 2 at level 3).
fn wait_3(m: &Model<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for w in waits(m) {
        if matches!(w.out, Outcome::Err { ty, .. } if &**ty == "TimeoutError") {
            out.push(Finding {
                events: vec![w.end],
                explanation: format!(
                    "wait in {} raised {}: it must return on timeout",
                    w.run.task, w.out
                ),
            });
            continue;
        }
        let Some((done, pending)) = w.result() else {
            continue;
        };
        let Some(t) = w.timeout else { continue };
        let t_end = m.events[w.end].t();
        if condition_met(m, &w, done, pending) == Some(false) && t_end < w.run.start_t + t {
            out.push(Finding {
                events: vec![w.end],
                explanation: format!(
                    "wait ({}, timeout {t}) in {} started at t={} returned {} at t={t_end} with \
                     its condition unmet, before the deadline",
                    w.when.as_str(),
                    w.run.task,
                    w.run.start_t,
                    w.out
                ),
            });
        }
        if t == 0 {
            let took = m.iters[w.end] - w.run.start_iter;
            let bad = if m.level == Level::Timing {
                took < 2
            } else {
                took != 2
            };
            if bad {
                out.push(Finding {
                    events: vec![w.end],
                    explanation: format!(
                        "wait with timeout 0 in {} took {took} iteration(s); it must take 2 (a \
                         0-delay timer, then the wakeup)",
                        w.run.task
                    ),
                });
            }
        }
    }
    out
}

/// WAIT-4: `wait` never cancels its inputs. Judged on futures: a future input that ends
/// cancelled needs an accepted `cancel` of it, or an op that forwards cancellations to it
/// (`await`, `wait_for`, `gather`). Tasks are left out: an injected cancellation is
/// indistinguishable there.
fn wait_4(m: &Model<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut seen: Vec<Arc<str>> = Vec::new();
    for w in waits(m) {
        for r in w.refs {
            let Ref::Future(f) = r else { continue };
            if seen.contains(&f.name) {
                continue;
            }
            seen.push(f.name.clone());
            let Some(x) = m.obj(&f.name) else { continue };
            if x.state == State::Cancelled && !m.future_cancel_explained(x) {
                out.push(Finding {
                    events: vec![w.end],
                    explanation: format!(
                        "future {} ended cancelled, but nothing that may cancel it touched it: \
                         only wait (which never cancels its inputs) and ops that do not forward \
                         cancellations",
                        f.name
                    ),
                });
            }
        }
    }
    out
}

/// WAIT-7 `[F]`: the op resumes 2 iterations after the completion that satisfied its
/// condition (done-callback, then the waiter's wakeup), also when every input was already
/// done. Exact at levels 0–2 (never later with a timeout); at level 3, at least 2
/// iterations after the call.
fn wait_7(m: &Model<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for w in waits(m) {
        if w.result().is_none() {
            continue;
        }
        let s = w.run.start_iter;
        let e = m.iters[w.end];
        if e < s + 2 {
            out.push(Finding {
                events: vec![w.end],
                explanation: format!(
                    "wait in {} returned {} iteration(s) after the call; it always suspends \
                     for at least 2",
                    w.run.task,
                    e - s
                ),
            });
            continue;
        }
        if m.level == Level::Timing {
            continue;
        }
        let Some(release) = release_iteration(m, &w) else {
            continue;
        };
        let want = release + 1;
        let bad = match w.timeout {
            None => e != want,
            Some(_) => e > want,
        };
        if bad {
            out.push(Finding {
                events: vec![w.end],
                explanation: format!(
                    "wait ({}) in {} had its condition met by a done-callback in iteration \
                     {release}, so it must resume in iteration {want}{}, but resumed in {e}",
                    w.when.as_str(),
                    w.run.task,
                    if w.timeout.is_some() {
                        " at the latest"
                    } else {
                        ""
                    }
                ),
            });
        }
    }
    out
}

/// The iteration in which the done-callback that satisfies the condition runs (`None` when
/// unknown or never).
fn release_iteration(m: &Model<'_>, w: &WaitOp<'_, '_>) -> Option<u64> {
    let s = w.run.start_iter;
    let mut cbs: Vec<(u64, bool)> = Vec::new(); // (callback iteration, has exception)
    let names = distinct(w.refs);
    let mut all = true;
    for n in &names {
        let x = m.obj(n)?;
        if x.unknown_done() {
            return None;
        }
        match x.done_iter() {
            Some(c) => cbs.push((c.max(s) + 1, has_exception(x)?)),
            None => all = false,
        }
    }
    let last = if all {
        cbs.iter().map(|c| c.0).max()
    } else {
        None
    };
    match w.when {
        ReturnWhen::AllCompleted => last,
        ReturnWhen::FirstCompleted => cbs.iter().map(|c| c.0).min(),
        ReturnWhen::FirstException => {
            let first_exc = cbs.iter().filter(|c| c.1).map(|c| c.0).min();
            match (first_exc, last) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            }
        }
    }
}
