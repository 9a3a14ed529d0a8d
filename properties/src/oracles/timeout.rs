//! Oracles of `asyncio.timeout()` blocks (TMO-*): the `timeout` op.
//!
//! What reached the block's `__aexit__` is the outcome of the last direct child op of its
//! body (the op whose exception, or `return`, left the body), and the block's own outcome is
//! what `__aexit__` made of it. The handler that expires the block emits no event; whether it
//! had certainly run, or certainly not, by the exit follows from the clock: a live timer
//! keeps the clock from passing its deadline, so an exit at a time after the deadline comes
//! after the handler, and one before the deadline (or in the step that entered) comes before.

use aiosim_sim::graph::Op;
use aiosim_sim::trace::Outcome;

use super::gather::model::{Model, OpRun};
use crate::context::combinator_oracle;
use crate::oracle::{Finding, Oracle};

/// IDs of this area without an oracle: (ID, reason and where it is tested).
pub const NOT_JUDGED: &[(&str, &str)] = &[(
    "TMO-9",
    "it states that wait_for with a positive timeout is a timeout context around a plain \
     await, an implementation fact; its consequences are judged on wait_for ops by WAITFOR-1..5 \
     and WAITFOR-9..10; tested in tests/timeout.rs (tmo_9_wait_for_is_the_timeout_context)",
)];

/// This area's oracles.
pub fn oracles() -> Vec<Box<dyn Oracle>> {
    vec![
        combinator_oracle("TMO-1", false, tmo_1),
        combinator_oracle("TMO-2", false, tmo_2),
        combinator_oracle("TMO-3", false, tmo_3),
        combinator_oracle("TMO-4", false, tmo_4),
        combinator_oracle("TMO-5", false, tmo_5),
        combinator_oracle("TMO-6", false, tmo_6),
        combinator_oracle("TMO-7", false, tmo_7),
        combinator_oracle("TMO-8", false, tmo_8),
    ]
}

/// A `timeout` block that was left.
struct Block<'m, 'a> {
    run: &'m OpRun<'a>,
    timeout: Option<u64>,
    end: usize,
    out: &'a Outcome,
    /// What reached `__aexit__`: the last direct child's event and outcome (`None` when the
    /// body emitted nothing: it was empty).
    exit: Option<(usize, &'a Outcome)>,
}

impl Block<'_, '_> {
    /// The exception that reached `__aexit__`, if any.
    fn exc(&self) -> Option<&Outcome> {
        self.exit.map(|(_, o)| o).filter(|o| o.is_exception())
    }

    /// What the block gives when `__aexit__` changes nothing.
    fn unchanged(&self) -> Outcome {
        match self.exit {
            Some((_, o @ (Outcome::Cancelled(_) | Outcome::Err { .. } | Outcome::Return(_)))) => {
                o.clone()
            }
            _ => Outcome::OK_NULL,
        }
    }

    /// Whether the block turned a `CancelledError` into its own `TimeoutError`.
    fn converted(&self) -> bool {
        matches!(self.out, Outcome::Err { ty, msg, excs: None } if &**ty == "TimeoutError" && msg.is_empty())
            && *self.out != self.unchanged()
    }

    /// The deadline of a positive timeout.
    fn deadline(&self) -> Option<u64> {
        self.timeout
            .filter(|&t| t > 0)
            .map(|t| self.run.start_t + t)
    }

    /// Whether the expiry handler had certainly run before the exit.
    fn expired(&self, m: &Model<'_>) -> bool {
        match self.timeout {
            None => false,
            Some(0) => m.iters[self.end] >= self.run.start_iter + 2,
            Some(_) => self.deadline().is_some_and(|d| m.events[self.end].t() > d),
        }
    }

    /// Whether the expiry handler had certainly not run by the exit.
    fn not_expired(&self, m: &Model<'_>) -> bool {
        self.timeout.is_none()
            || m.iters[self.end] == self.run.start_iter
            || self.deadline().is_some_and(|d| m.events[self.end].t() < d)
    }

    /// The exit position (the body's last event, or the entry when it emitted none).
    fn exit_event(&self) -> usize {
        self.exit.map_or(self.run.start_after, |(e, _)| e)
    }
}

fn blocks<'m, 'a>(m: &'m Model<'a>) -> Vec<Block<'m, 'a>> {
    m.runs
        .iter()
        .filter_map(|run| match &run.node.op {
            Op::Timeout { timeout, .. } => {
                let end = run.end?;
                let out = m.op_out(end)?;
                Some(Block {
                    run,
                    timeout: *timeout,
                    end,
                    out,
                    exit: m.body_exit(run, "do"),
                })
            }
            _ => None,
        })
        .collect()
}

fn finding(b: &Block<'_, '_>, what: String) -> Finding {
    let mut events: Vec<usize> = b.exit.map(|(e, _)| e).into_iter().collect();
    events.push(b.end);
    Finding {
        events,
        explanation: format!(
            "timeout({:?}) block {} in {} (entered at t={}) ended with {}{}: {what}",
            b.timeout,
            b.run.at,
            b.run.task,
            b.run.start_t,
            b.out,
            match b.exit {
                Some((_, o)) => format!(" after its body left with {o}"),
                None => " (empty body)".to_string(),
            }
        ),
    }
}

/// Whether the task's cancellation count is provably back at its entry value after the
/// block's own `uncancel()`: every request it received is visible, none came during the
/// block, and no enclosing `timeout` or `taskgroup` block (whose own request would still be
/// outstanding) could have cancelled it.
fn count_clean(m: &Model<'_>, b: &Block<'_, '_>) -> bool {
    m.all_cancels_visible(&b.run.task)
        && !m.lexical_canceller(&b.run.task, &b.run.at)
        && m.cancels_during(&b.run.task, b.run.start_after, b.end)
            .is_empty()
}

/// TMO-1: the block raises `TimeoutError` if and only if a `CancelledError` reached its exit
/// after it expired (and no other cancellation is outstanding); it never changes an outcome
/// otherwise, and never converts before its deadline.
fn tmo_1(m: &Model<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for b in blocks(m) {
        if b.converted() {
            let reached = matches!(b.exc(), Some(Outcome::Cancelled(_)));
            if !reached {
                out.push(finding(
                    &b,
                    "a TimeoutError replaces only a CancelledError that reached the block".into(),
                ));
            } else if b.not_expired(m) {
                out.push(finding(
                    &b,
                    format!(
                        "it had certainly not expired when it was left at t={} (iteration {}, \
                         entered in {}), so it must not convert",
                        m.events[b.end].t(),
                        m.iters[b.end],
                        b.run.start_iter
                    ),
                ));
            }
        } else if *b.out != b.unchanged() {
            out.push(finding(
                &b,
                format!(
                    "the block may only pass on what left its body ({}) or convert a \
                     CancelledError into TimeoutError",
                    b.unchanged()
                ),
            ));
        } else if matches!(b.exc(), Some(Outcome::Cancelled(_)))
            && b.expired(m)
            && count_clean(m, &b)
        {
            out.push(finding(
                &b,
                format!(
                    "it had expired (left at t={} after its deadline) and a CancelledError \
                     reached it with no other cancellation outstanding, so it must raise \
                     TimeoutError",
                    m.events[b.end].t()
                ),
            ));
        }
    }
    out
}

/// TMO-2: a deadline at or before now (`timeout 0`) fires only in the next iteration: a block
/// left in the step that entered it does not time out.
fn tmo_2(m: &Model<'_>) -> Vec<Finding> {
    blocks(m)
        .into_iter()
        .filter(|b| b.timeout == Some(0) && m.iters[b.end] == b.run.start_iter)
        .filter(|b| *b.out != b.unchanged())
        .map(|b| {
            finding(
                &b,
                format!(
                    "its deadline was now, armed with call_soon, and the body left without \
                     suspending, so the handler had not run: expected {}",
                    b.unchanged()
                ),
            )
        })
        .collect()
}

/// TMO-3: `timeout(None)` never expires: the block passes its body's outcome on.
fn tmo_3(m: &Model<'_>) -> Vec<Finding> {
    blocks(m)
        .into_iter()
        .filter(|b| b.timeout.is_none() && *b.out != b.unchanged())
        .map(|b| {
            finding(
                &b,
                format!("timeout(None) never expires: expected {}", b.unchanged()),
            )
        })
        .collect()
}

/// TMO-4: a body that caught the cancellation (and so left normally) makes the block raise
/// nothing.
fn tmo_4(m: &Model<'_>) -> Vec<Finding> {
    blocks(m)
        .into_iter()
        .filter(|b| b.exc().is_none() && *b.out != b.unchanged())
        .map(|b| {
            finding(
                &b,
                format!(
                    "the body left without an exception, so the block raises nothing: expected {}",
                    b.unchanged()
                ),
            )
        })
        .collect()
}

/// TMO-5: if the task was also cancelled from elsewhere during the block (an accepted
/// `cancel` of it), the `CancelledError` propagates instead of becoming `TimeoutError`.
fn tmo_5(m: &Model<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for b in blocks(m) {
        if !b.converted() || m.uncancel_count(&b.run.task) > 0 {
            continue;
        }
        let cancels = m.cancels_during(&b.run.task, b.run.start_after, b.end);
        if let Some(&(c, _)) = cancels.first() {
            let mut f = finding(
                &b,
                format!(
                    "{} was also cancelled during the block (event {c}), so its cancel count stays \
                     above the entry value and the CancelledError must propagate",
                    b.run.task
                ),
            );
            f.events.insert(0, c);
            out.push(f);
        }
    }
    out
}

/// TMO-6: in nested blocks, only the block that expired converts: an inner block whose own
/// deadline had not come passes an outer expiry's `CancelledError` through, and the outer
/// block, expired, converts it.
fn tmo_6(m: &Model<'_>) -> Vec<Finding> {
    let all = blocks(m);
    let mut out = Vec::new();
    for inner in &all {
        let outer = all.iter().find(|o| {
            o.run.task == inner.run.task
                && o.timeout.is_some()
                && inner.run.at.starts_with(&*format!("{}.do.", o.run.at))
                && o.run.start_after <= inner.run.start_after
                && inner.end < o.end
        });
        let Some(outer) = outer else { continue };
        if inner.timeout.is_none() {
            continue;
        }
        if inner.converted() && inner.not_expired(m) {
            out.push(finding(
                inner,
                format!(
                    "it is nested in block {} and its own deadline had not come, so it must pass \
                     the CancelledError through for the block that expired",
                    outer.run.at
                ),
            ));
        }
        // The CancelledError that the inner block passed on reached the outer exit.
        let passed_to_outer = outer
            .exit
            .is_some_and(|(e, o)| matches!(o, Outcome::Cancelled(_)) && e >= inner.end);
        if matches!(inner.out, Outcome::Cancelled(_))
            && passed_to_outer
            && outer.expired(m)
            && count_clean(m, outer)
            && *outer.out != Outcome::err("TimeoutError", "")
        {
            let mut f = finding(
                outer,
                format!(
                    "the inner block {} passed a CancelledError through and this block had \
                     expired with no other cancellation outstanding, so it must convert it",
                    inner.run.at
                ),
            );
            f.events.insert(0, inner.end);
            out.push(f);
        }
    }
    out
}

/// TMO-7: an exception other than `CancelledError` that leaves the body propagates
/// unchanged, also after the expiry.
fn tmo_7(m: &Model<'_>) -> Vec<Finding> {
    blocks(m)
        .into_iter()
        .filter(|b| matches!(b.exc(), Some(Outcome::Err { .. })) && *b.out != b.unchanged())
        .map(|b| {
            finding(
                &b,
                format!(
                    "an exception other than CancelledError propagates unchanged: expected {}",
                    b.unchanged()
                ),
            )
        })
        .collect()
}

/// TMO-8: entering and leaving never suspend: the body's first op starts in the step that
/// entered the block, and the block's event comes in the step of the body's last one.
fn tmo_8(m: &Model<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for b in blocks(m) {
        let prefix = format!("{}.do.", b.run.at);
        let first = m
            .runs
            .iter()
            .filter(|r| {
                r.task == b.run.task
                    && r.at
                        .strip_prefix(&*prefix)
                        .is_some_and(|rest| rest.bytes().all(|c| c.is_ascii_digit()))
                    && r.start_after >= b.run.start_after
                    && r.end.is_none_or(|e| e < b.end)
            })
            .min_by_key(|r| r.start_after);
        if let Some(first) = first
            && first.start_iter != b.run.start_iter
        {
            out.push(finding(
                &b,
                format!(
                    "entering must not suspend, but its body's first op started in iteration {} \
                     (the block was entered in {})",
                    first.start_iter, b.run.start_iter
                ),
            ));
        }
        let last_iter = m.iters[b.exit_event()];
        if m.iters[b.end] != last_iter {
            out.push(finding(
                &b,
                format!(
                    "leaving must not suspend, but the block ended in iteration {} after its body \
                     left in {last_iter}",
                    m.iters[b.end]
                ),
            ));
        }
    }
    out
}
