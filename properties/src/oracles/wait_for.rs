//! Oracles of `asyncio.wait_for` (WAITFOR-*).

use aiosim::{Level, State};
use aiosim_sim::graph::{Op, Ref};
use aiosim_sim::trace::Outcome;

use super::gather::model::{Expect, Model, Obj, ObjOut, OpRun, Retrieval, after, before};
use crate::context::combinator_oracle;
use crate::oracle::{Finding, Oracle};

/// IDs of this area without an oracle: (ID, reason and where it is tested).
pub const NOT_JUDGED: &[(&str, &str)] = &[
    (
        "WAITFOR-7",
        "about a coroutine argument run inline in the caller, which a graph cannot pass \
         (wait_for takes a reference to a task or future); tested in tests/wait_for.rs \
         (waitfor_7_positive_timeout_runs_a_body_inline_in_the_caller)",
    ),
    (
        "WAITFOR-8",
        "the race is decided by the order of the timeout handler and the caller's wakeup, \
         and neither handle appears in the trace; what the race may produce (TimeoutError \
         although the inner finished, once the deadline has passed) is judged by WAITFOR-3 \
         and WAITFOR-9; tested in tests/wait_for.rs (waitfor_8_race_is_decided_by_handle_order)",
    ),
];

/// This area's oracles.
pub fn oracles() -> Vec<Box<dyn Oracle>> {
    vec![
        combinator_oracle("WAITFOR-1", false, waitfor_1),
        combinator_oracle("WAITFOR-2", false, waitfor_2),
        combinator_oracle("WAITFOR-3", false, waitfor_3),
        combinator_oracle("WAITFOR-4", false, waitfor_4),
        combinator_oracle("WAITFOR-5", false, waitfor_5),
        combinator_oracle("WAITFOR-6", false, waitfor_6),
        combinator_oracle("WAITFOR-9", false, waitfor_9),
        combinator_oracle("WAITFOR-10", false, waitfor_10),
    ]
}

/// A `wait_for` op that ended.
struct WaitForOp<'m, 'a> {
    run: &'m OpRun<'a>,
    target: &'a Ref,
    timeout: Option<u64>,
    end: usize,
    out: &'a Outcome,
    x: &'m Obj,
}

impl WaitForOp<'_, '_> {
    /// Whether the inner object was done when the op started (`None`: unknown).
    fn done_at_start(&self) -> Option<bool> {
        self.x.done_before(self.run.start_pos())
    }

    /// Whether the inner object was done when the op ended (`None`: unknown).
    fn done_at_end(&self) -> Option<bool> {
        self.x.done_before(before(self.end))
    }

    /// Whether the op's `TimeoutError` may simply be the inner object's own.
    fn own_timeout(&self) -> bool {
        matches!(&self.x.out, Some(ObjOut::Raised(o)) if o == self.out)
    }

    /// Whether the op raised a `TimeoutError` of its own making.
    fn timed_out(&self) -> bool {
        matches!(self.out, Outcome::Err { ty, excs: None, .. } if &**ty == "TimeoutError")
            && !self.own_timeout()
    }

    /// The op's end event, then the inner object's completion event when the trace shows it.
    fn end_and_inner_done(&self) -> Vec<usize> {
        let mut events = vec![self.end];
        events.extend(self.x.done_event());
        events
    }

    /// The deadline of a positive timeout.
    fn deadline(&self) -> Option<u64> {
        self.timeout
            .filter(|&t| t > 0)
            .map(|t| self.run.start_t + t)
    }
}

fn wait_fors<'m, 'a>(m: &'m Model<'a>) -> Vec<WaitForOp<'m, 'a>> {
    m.runs
        .iter()
        .filter_map(|run| match &run.node.op {
            Op::WaitFor { target, timeout } => {
                let end = run.end?;
                let out = m.op_out(end)?;
                if m.is_resolution_error(out) {
                    return None;
                }
                Some(WaitForOp {
                    run,
                    target,
                    timeout: *timeout,
                    end,
                    out,
                    x: m.obj(target.name())?,
                })
            }
            _ => None,
        })
        .collect()
}

/// What the op gives when it passes the inner outcome through.
fn pass_through(m: &Model<'_>, w: &WaitForOp<'_, '_>) -> Expect {
    m.result_expect(w.x, w.run, Retrieval::Step(w.end))
}

/// WAITFOR-1: on success the inner result or exception passes through (a CancelledError
/// from a cancelled inner with its message when this is the first retrieval).
fn waitfor_1(m: &Model<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for w in wait_fors(m) {
        if w.timed_out() {
            continue; // WAITFOR-2/3
        }
        let caller = m.task_maybe_cancelled(w.run);
        let problem = match w.out {
            // With timeout 0 and a pending object, a CancelledError is the caller's own
            // (WAITFOR-6 judges it).
            Outcome::Cancelled(_) if w.timeout == Some(0) && w.done_at_start() != Some(true) => {
                None
            }
            Outcome::Cancelled(_) => {
                if w.done_at_end() == Some(true) && w.x.is_cancelled_like() {
                    let e = pass_through(m, &w);
                    (!e.admits(w.out)).then(|| format!("expected {}", e.describe()))
                } else if w.done_at_end() == Some(false) && w.timeout != Some(0) && !caller {
                    Some("the inner object was not done, and the caller was not cancelled".into())
                } else if w.done_at_end() == Some(true) && !caller {
                    Some(format!(
                        "the inner object {} and the caller was not cancelled",
                        m.describe_out(w.x)
                    ))
                } else {
                    None
                }
            }
            _ => match w.done_at_end() {
                Some(false) => Some("the inner object was not done".to_string()),
                None => None,
                Some(true) => {
                    let e = pass_through(m, &w);
                    (!e.admits(w.out)).then(|| format!("expected {}", e.describe()))
                }
            },
        };
        if let Some(p) = problem {
            out.push(Finding {
                events: w.end_and_inner_done(),
                explanation: format!(
                    "wait_for({}, {:?}) in {} ended with {}, but it must pass its inner \
                     outcome through: {p}",
                    w.target.name(),
                    w.timeout,
                    w.run.task,
                    w.out
                ),
            });
        }
    }
    out
}

/// WAITFOR-2: on timeout the inner object is cancelled and awaited until it has really
/// finished; the `TimeoutError` comes after that, never before the deadline.
fn waitfor_2(m: &Model<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for w in wait_fors(m) {
        if !w.timed_out() {
            continue;
        }
        if w.done_at_end() == Some(false) {
            out.push(Finding {
                events: vec![w.end],
                explanation: format!(
                    "wait_for({}) in {} raised TimeoutError while {} was still running: it \
                     must wait until the inner object has finished",
                    w.target.name(),
                    w.run.task,
                    w.target.name()
                ),
            });
        }
        if let Some(d) = w.deadline()
            && m.events[w.end].t() < d
        {
            out.push(Finding {
                events: vec![w.end],
                explanation: format!(
                    "wait_for({}, {:?}) in {} raised TimeoutError at t={}, before its deadline \
                     t={d}",
                    w.target.name(),
                    w.timeout,
                    w.run.task,
                    m.events[w.end].t()
                ),
            });
        }
    }
    out
}

/// WAITFOR-3: a `TimeoutError` needs the inner object to have ended cancelled: an inner
/// that swallowed the cancellation gives its value, one that raised gives its error.
/// (With a positive timeout the race of WAITFOR-8 may still give `TimeoutError` for an inner
/// that finished before the caller resumed, once the deadline has passed.)
fn waitfor_3(m: &Model<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for w in wait_fors(m) {
        if !w.timed_out() || w.done_at_end() != Some(true) || w.x.is_cancelled_like() {
            continue;
        }
        if w.x.out.is_none() {
            continue;
        }
        let race = w.deadline().is_some_and(|d| m.events[w.end].t() >= d);
        if !race {
            out.push(Finding {
                events: w.end_and_inner_done(),
                explanation: format!(
                    "wait_for({}, {:?}) in {} raised TimeoutError although {} {}: its outcome \
                     must pass through instead",
                    w.target.name(),
                    w.timeout,
                    w.run.task,
                    w.target.name(),
                    m.describe_out(w.x)
                ),
            });
        }
    }
    out
}

/// WAITFOR-4: cancelling the caller cancels the inner object (each request while it runs is
/// forwarded) and waits for it; the `CancelledError` (or the value of an inner that
/// swallowed it) comes out, never a `TimeoutError`.
fn waitfor_4(m: &Model<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for w in wait_fors(m) {
        let cancels = m.cancels_during(&w.run.task, w.run.start_after, w.end);
        let Some(&(first, _)) = cancels.first() else {
            continue;
        };
        if w.timeout == Some(0) {
            if w.done_at_start() == Some(false) && !matches!(w.out, Outcome::Cancelled(_)) {
                out.push(Finding {
                    events: vec![first, w.end],
                    explanation: format!(
                        "{} was cancelled (event {first}) while wait_for({}, 0) waited for the \
                         cancelled inner object, so the op must raise CancelledError, but it \
                         ended with {}",
                        w.run.task,
                        w.target.name(),
                        w.out
                    ),
                });
            }
            continue;
        }
        if w.timed_out() && m.uncancel_count(&w.run.task) == 0 {
            out.push(Finding {
                events: vec![first, w.end],
                explanation: format!(
                    "{} was cancelled from outside (event {first}) during wait_for({}), so the \
                     cancellation must win over the timeout, but the op raised TimeoutError",
                    w.run.task,
                    w.target.name()
                ),
            });
        }
        if w.done_at_end() == Some(false) {
            out.push(Finding {
                events: vec![first, w.end],
                explanation: format!(
                    "{} was cancelled (event {first}) during wait_for({}), which must wait for \
                     the inner object to finish, but the op ended first",
                    w.run.task,
                    w.target.name()
                ),
            });
        }
        let pending_at: Vec<usize> = cancels
            .iter()
            .map(|(c, _)| *c)
            .filter(|&c| w.x.done_before(after(c)) == Some(false))
            .collect();
        if pending_at.is_empty() {
            continue;
        }
        if let Some(f) = forwarded_cancel_missing(m, w.x, pending_at.len()) {
            let mut events = pending_at.clone();
            events.push(w.end);
            out.push(Finding {
                events,
                explanation: format!(
                    "{} was cancelled while wait_for({}) waited on it, which must cancel {}: {f}",
                    w.run.task,
                    w.target.name(),
                    w.target.name()
                ),
            });
        }
    }
    out
}

/// If `x` did not receive `n` forwarded cancellation requests (beyond the accepted `cancel`
/// ops on it), why; `None` when it did or when the trace cannot tell.
fn forwarded_cancel_missing(m: &Model<'_>, x: &Obj, n: usize) -> Option<String> {
    if x.is_task {
        if m.uncancel_count(&x.name) > 0 {
            return None;
        }
        let need = m.visible_cancels(&x.name) + n;
        ((x.cancelling as usize) < need).then(|| {
            format!(
                "{}.cancelling() ended at {}, fewer than the {need} requests it received",
                x.name, x.cancelling
            )
        })
    } else {
        (x.state != State::Cancelled || matches!(x.out, Some(ObjOut::Value(_) | ObjOut::Raised(_))))
            .then(|| format!("future {} ended {:?}, not cancelled", x.name, x.state))
    }
}

/// WAITFOR-5: `timeout=None` is a plain await: no `TimeoutError` of its own, and the op
/// ends only once the inner object is done.
fn waitfor_5(m: &Model<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for w in wait_fors(m) {
        if w.timeout.is_some() {
            continue;
        }
        let problem = if w.timed_out() {
            Some("it raised a TimeoutError the inner object did not raise".to_string())
        } else if w.done_at_end() == Some(false) {
            Some("it ended while the inner object was still running".to_string())
        } else {
            None
        };
        if let Some(p) = problem {
            out.push(Finding {
                events: vec![w.end],
                explanation: format!(
                    "wait_for({}, None) in {} must be a plain await, but {p}",
                    w.target.name(),
                    w.run.task
                ),
            });
        }
    }
    out
}

/// WAITFOR-6: `timeout=0`: an object already done gives its outcome at once; otherwise it
/// is cancelled, awaited to its end, and then its value, its error or `TimeoutError` (if it
/// ended cancelled) comes out, 2 iterations after it finished (levels 0–2; not before at
/// level 3).
fn waitfor_6(m: &Model<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for w in wait_fors(m) {
        if w.timeout != Some(0) {
            continue;
        }
        let end_iter = m.iters[w.end];
        let mut problems = Vec::new();
        match w.done_at_start() {
            None => continue,
            Some(true) => {
                if end_iter != w.run.start_iter {
                    problems
                        .push("the object was already done, so it must not suspend".to_string());
                }
                let e = pass_through(m, &w);
                if !e.admits(w.out) {
                    problems.push(format!(
                        "the object was already done: expected {}",
                        e.describe()
                    ));
                }
            }
            Some(false) => {
                if let Some(f) = forwarded_cancel_missing(m, w.x, 1) {
                    problems.push(f);
                }
                if let Some(e) = w.x.done_event()
                    && !w.x.is_task
                    && e > w.run.start_after
                {
                    problems.push(format!(
                        "future {} was completed at event {e} although the op cancelled it",
                        w.x.name
                    ));
                }
                if matches!(w.out, Outcome::Cancelled(_)) {
                    if !m.task_maybe_cancelled(w.run) {
                        problems.push(
                            "only a cancellation of the caller gives CancelledError, and it was \
                             not cancelled"
                                .to_string(),
                        );
                    }
                } else {
                    if w.done_at_end() == Some(false) {
                        problems.push("it ended before the object finished".to_string());
                    } else if w.done_at_end() == Some(true) {
                        let want = match &w.x.out {
                            _ if w.x.is_cancelled_like() => {
                                Some(Expect::Exact(Outcome::err("TimeoutError", "")))
                            }
                            Some(ObjOut::Value(v)) => Some(Expect::Exact(Outcome::ok(v.clone()))),
                            Some(ObjOut::Raised(o)) => Some(Expect::Exact(o.clone())),
                            _ => None,
                        };
                        if let Some(want) = want
                            && !want.admits(w.out)
                        {
                            problems.push(format!("expected {}", want.describe()));
                        }
                        // Latency: release callback, then the wakeup.
                        let c = if w.x.is_task {
                            w.x.done_iter()
                        } else {
                            Some(
                                w.x.done_iter()
                                    .unwrap_or(w.run.start_iter)
                                    .max(w.run.start_iter),
                            )
                        };
                        if let Some(c) = c {
                            let want = c.max(w.run.start_iter) + 2;
                            let bad = if m.level == Level::Timing {
                                end_iter < want
                            } else {
                                end_iter != want
                            };
                            if bad {
                                problems.push(format!(
                                    "the object finished in iteration {c}, so the op must end in \
                                     iteration {want}, but it ended in {end_iter}"
                                ));
                            }
                        }
                    }
                }
            }
        }
        for p in problems {
            out.push(Finding {
                events: w.end_and_inner_done(),
                explanation: format!(
                    "wait_for({}, 0) in {} ended with {}: {p}",
                    w.target.name(),
                    w.run.task,
                    w.out
                ),
            });
        }
    }
    out
}

/// WAITFOR-9: a plain future passed to `wait_for` is itself cancelled on timeout (unless it
/// finished first and lost the race of WAITFOR-8 after the deadline).
fn waitfor_9(m: &Model<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for w in wait_fors(m) {
        if w.x.is_task || !w.timed_out() || w.x.state == State::Cancelled {
            continue;
        }
        let race =
            w.done_at_end() == Some(true) && w.deadline().is_some_and(|d| m.events[w.end].t() >= d);
        if !race {
            out.push(Finding {
                events: w.end_and_inner_done(),
                explanation: format!(
                    "wait_for({}, {:?}) in {} raised TimeoutError but the future {} ended {:?}: \
                     it must be cancelled on timeout",
                    w.target.name(),
                    w.timeout,
                    w.run.task,
                    w.target.name(),
                    w.x.state
                ),
            });
        }
    }
    out
}

/// WAITFOR-10 `[F]`: with no or a positive timeout, a task or future adds 1 iteration, like
/// a direct await (0 when it is already done). Exact at levels 0–2, not before at level 3.
fn waitfor_10(m: &Model<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for w in wait_fors(m) {
        if w.timeout == Some(0) {
            continue;
        }
        let end_iter = m.iters[w.end];
        let want = match w.done_at_start() {
            Some(true) => w.run.start_iter,
            Some(false) => match w.x.done_iter() {
                Some(c) if w.done_at_end() == Some(true) => c + 1,
                _ => continue,
            },
            None => continue,
        };
        let bad = if m.level == Level::Timing && want > w.run.start_iter {
            end_iter < want
        } else {
            end_iter != want
        };
        if bad {
            out.push(Finding {
                events: w.end_and_inner_done(),
                explanation: format!(
                    "wait_for({}, {:?}) in {} must resume in iteration {want} (the object {}), \
                     but it resumed in {end_iter}",
                    w.target.name(),
                    w.timeout,
                    w.run.task,
                    if want == w.run.start_iter {
                        "was already done".to_string()
                    } else {
                        format!("finished in iteration {}", want - 1)
                    }
                ),
            });
        }
    }
    out
}
