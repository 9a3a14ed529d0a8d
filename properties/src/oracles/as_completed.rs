//! Oracles of `asyncio.as_completed` (ASC-*), 3.12 form: the op of graph-format 4.3 that
//! logs one `item` per result taken.

use std::sync::Arc;

use aiosim::{Level, State};
use aiosim_sim::graph::{Op, Ref};
use aiosim_sim::trace::{Event, Outcome};

use super::gather::distinct;
use super::gather::model::{Expect, Model, Obj, ObjOut, OpRun, Pos, Retrieval, before};
use crate::context::combinator_oracle;
use crate::oracle::{Finding, Oracle};

/// IDs of this area without an oracle: (ID, reason and where it is tested).
pub const NOT_JUDGED: &[(&str, &str)] = &[(
    "ASC-6",
    "`async for` over as_completed is 3.13; the reference is 3.12 and the graph op is the \
     3.12 loop; listed as not checkable in tests/README.md",
)];

/// This area's oracles.
pub fn oracles() -> Vec<Box<dyn Oracle>> {
    vec![
        combinator_oracle("ASC-1", false, asc_1),
        combinator_oracle("ASC-2", true, asc_2),
        combinator_oracle("ASC-3", false, asc_3),
        combinator_oracle("ASC-4", false, asc_4),
        combinator_oracle("ASC-5", false, asc_5),
    ]
}

/// An `as_completed` op that started.
struct AscOp<'m, 'a> {
    run: &'m OpRun<'a>,
    refs: &'a [Ref],
    timeout: Option<u64>,
    /// Its `op` event and outcome, if it ended.
    end: Option<(usize, &'a Outcome)>,
    /// The distinct inputs, in order of first occurrence.
    inputs: Vec<&'m Obj>,
}

fn ascs<'m, 'a>(m: &'m Model<'a>) -> Vec<AscOp<'m, 'a>> {
    m.runs
        .iter()
        .filter_map(|run| match &run.node.op {
            Op::AsCompleted { refs, timeout } => {
                let end = match run.end {
                    Some(e) => {
                        let out = m.op_out(e)?;
                        if m.is_resolution_error(out) {
                            return None;
                        }
                        Some((e, out))
                    }
                    None => None,
                };
                let inputs = distinct(refs)
                    .iter()
                    .map(|n| m.obj(n))
                    .collect::<Option<Vec<_>>>()?;
                Some(AscOp {
                    run,
                    refs,
                    timeout: *timeout,
                    end,
                    inputs,
                })
            }
            _ => None,
        })
        .collect()
}

fn item_out<'a>(m: &Model<'a>, i: usize) -> (u64, &'a Outcome) {
    match &m.events[i] {
        Event::Item { i: index, out, .. } => (*index, out),
        _ => unreachable!("an item event"),
    }
}

fn is_timeout(o: &Outcome) -> bool {
    matches!(o, Outcome::Err { ty, msg, excs: None } if &**ty == "TimeoutError" && msg.is_empty())
}

/// What an item taken for input `x` shows, or `None` if taking it ends the op (a
/// `CancelledError`).
fn item_expect(x: &Obj) -> Option<Expect> {
    match &x.out {
        Some(ObjOut::Value(v)) => Some(Expect::Exact(Outcome::ok(v.clone()))),
        Some(ObjOut::Raised(o)) if !matches!(o, Outcome::Cancelled(_)) => {
            Some(Expect::Exact(o.clone()))
        }
        _ => None,
    }
}

/// The result of matching the items to the inputs in completion order.
struct Matching {
    /// For each item before the timeout tail: the index (in `inputs`) of its input.
    assigned: Vec<usize>,
    /// The index of the first item of the timeout tail.
    tail: Option<usize>,
    /// Items that match no input that may come next: (item event, explanation).
    problems: Vec<(usize, String)>,
    /// The inputs not taken, at the end.
    remaining: Vec<usize>,
}

/// The completion key of input `k`: when its completion callback was queued.
fn key(a: &AscOp<'_, '_>, k: usize) -> Option<(u64, Pos, usize)> {
    let x = a.inputs[k];
    let (it, pos) = (x.done_iter()?, x.done_pos()?);
    Some((it.max(a.run.start_iter), pos.max(a.run.start_pos()), k))
}

/// The inputs that may be the next to be taken at event `ev`: done before it, and first in
/// callback order (exactly at level 0; same callback iteration at other levels).
fn front(m: &Model<'_>, a: &AscOp<'_, '_>, remaining: &[usize], ev: usize) -> Vec<usize> {
    let ready: Vec<(usize, (u64, Pos, usize))> = remaining
        .iter()
        .filter_map(|&k| {
            let kk = key(a, k)?;
            (a.inputs[k].done_before(before(ev)) == Some(true)).then_some((k, kk))
        })
        .collect();
    if m.level == Level::Fifo {
        ready
            .iter()
            .min_by_key(|(_, kk)| (kk.1, kk.2))
            .map(|(k, _)| vec![*k])
            .unwrap_or_default()
    } else {
        let first = ready.iter().map(|(_, kk)| kk.0).min();
        ready
            .iter()
            .filter(|(_, kk)| Some(kk.0) == first)
            .map(|(k, _)| *k)
            .collect()
    }
}

fn matching(m: &Model<'_>, a: &AscOp<'_, '_>) -> Option<Matching> {
    if a.inputs.iter().any(|x| x.unknown_done()) {
        return None;
    }
    let mut remaining: Vec<usize> = (0..a.inputs.len()).collect();
    let mut result = Matching {
        assigned: Vec::new(),
        tail: None,
        problems: Vec::new(),
        remaining: Vec::new(),
    };
    for (j, &ev) in a.run.items.iter().enumerate() {
        let (_, o) = item_out(m, ev);
        if result.tail.is_some() {
            continue;
        }
        let group = front(m, a, &remaining, ev);
        let hit = group
            .iter()
            .copied()
            .find(|&k| item_expect(a.inputs[k]).is_some_and(|e| e.admits(o)));
        if hit.is_some() && is_timeout(o) && a.timeout.is_some() {
            // An input whose own outcome is a TimeoutError cannot be told from the timeout's.
            return None;
        }
        match hit {
            Some(k) => {
                remaining.retain(|&r| r != k);
                result.assigned.push(k);
            }
            None if is_timeout(o) && a.timeout.is_some() => result.tail = Some(j),
            None => {
                let names: Vec<String> = group
                    .iter()
                    .map(|&k| format!("{} ({})", a.inputs[k].name, m.describe_out(a.inputs[k])))
                    .collect();
                result.problems.push((
                    ev,
                    format!(
                        "item {j} is {o}, but the input(s) that may come next in completion order \
                         are: {}",
                        if names.is_empty() {
                            "none (no remaining input had finished)".to_string()
                        } else {
                            names.join(", ")
                        }
                    ),
                ));
                return Some(result);
            }
        }
    }
    result.remaining = remaining;
    Some(result)
}

fn finding(a: &AscOp<'_, '_>, events: Vec<usize>, what: String) -> Finding {
    Finding {
        events,
        explanation: format!(
            "as_completed({}) in {}: {what}",
            a.refs
                .iter()
                .map(|r| r.name().to_string())
                .collect::<Vec<_>>()
                .join(", "),
            a.run.task
        ),
    }
}

/// ASC-1: one item per distinct input, numbered from 0, the i-th being the outcome of the
/// i-th input to complete (callback order); a cancelled input (or a cancellation of the
/// task) ends the op; a complete op took every input.
fn asc_1(m: &Model<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for a in ascs(m) {
        for (j, &ev) in a.run.items.iter().enumerate() {
            let (i, _) = item_out(m, ev);
            if i != j as u64 {
                out.push(finding(
                    &a,
                    vec![ev],
                    format!("item number {i} at position {j}"),
                ));
            }
        }
        if a.run.items.len() > a.inputs.len() {
            out.push(finding(
                &a,
                a.run.items.clone(),
                format!(
                    "{} items for {} distinct inputs",
                    a.run.items.len(),
                    a.inputs.len()
                ),
            ));
            continue;
        }
        let Some(mt) = matching(m, &a) else { continue };
        for (ev, why) in &mt.problems {
            out.push(finding(&a, vec![*ev], why.clone()));
        }
        if !mt.problems.is_empty() {
            continue;
        }
        let Some((e, o)) = a.end else { continue };
        match o {
            Outcome::Ok(_) if a.run.items.len() != a.inputs.len() => out.push(finding(
                &a,
                vec![e],
                format!(
                    "the op completed after {} items for {} distinct inputs",
                    a.run.items.len(),
                    a.inputs.len()
                ),
            )),
            Outcome::Cancelled(_) if mt.tail.is_none() && !m.task_maybe_cancelled(a.run) => {
                let group = front(m, &a, &mt.remaining, e);
                let explained = group.iter().any(|&k| {
                    a.inputs[k].is_cancelled_like()
                        && m.result_expect(a.inputs[k], a.run, Retrieval::Step(e))
                            .admits(o)
                });
                if !explained {
                    out.push(finding(
                        &a,
                        vec![e],
                        format!(
                            "the op ended with {o}, but neither was its task cancelled nor is the \
                             next input to complete a cancelled one with that outcome"
                        ),
                    ));
                }
            }
            _ => {}
        }
    }
    out
}

/// ASC-2 `[F]`: inputs already done when the op starts are taken first, in order of first
/// occurrence in the list (the order graph-format 4.9 pins for CPython's set).
fn asc_2(m: &Model<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for a in ascs(m) {
        let start = a.run.start_pos();
        let d0: Vec<&Obj> = a
            .inputs
            .iter()
            .copied()
            .filter(|x| x.done_before(start) == Some(true))
            .collect();
        for (k, &ev) in a.run.items.iter().enumerate().take(d0.len()) {
            let (_, o) = item_out(m, ev);
            let problem = match item_expect(d0[k]) {
                None => Some(format!(
                    "{} (already done, and cancelled) comes at place {k} and must end the op, but \
                     item {k} is {o}",
                    d0[k].name
                )),
                Some(e) if !e.admits(o) => Some(format!(
                    "the inputs already done at the start come first in order of first \
                     occurrence, so item {k} must be {} ({}), but it is {o}",
                    e.describe(),
                    d0[k].name
                )),
                _ => None,
            };
            if let Some(p) = problem {
                out.push(finding(&a, vec![ev], p));
                break;
            }
            if item_expect(d0[k]).is_none() {
                break;
            }
        }
    }
    out
}

/// ASC-3: after the timeout every remaining item is a `TimeoutError`, all in one step (the
/// op ends in it too), not before the deadline; the inputs are not cancelled (judged on
/// futures).
fn asc_3(m: &Model<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut seen: Vec<Arc<str>> = Vec::new();
    for a in ascs(m) {
        for x in &a.inputs {
            if x.is_task || seen.contains(&x.name) {
                continue;
            }
            seen.push(x.name.clone());
            if x.state == State::Cancelled && !m.future_cancel_explained(x) {
                out.push(finding(
                    &a,
                    a.end.map(|(e, _)| vec![e]).unwrap_or_default(),
                    format!(
                        "the future input {} ended cancelled, but nothing that may cancel it \
                         touched it (as_completed never cancels its inputs)",
                        x.name
                    ),
                ));
            }
        }
        let Some(mt) = matching(m, &a) else { continue };
        let Some(t0) = mt.tail else { continue };
        let tail = &a.run.items[t0..];
        let first = tail[0];
        let it = m.iters[first];
        for &ev in tail {
            let (j, o) = item_out(m, ev);
            if !is_timeout(o) {
                out.push(finding(
                    &a,
                    vec![first, ev],
                    format!("item {j} is {o} after the timeout's first TimeoutError item"),
                ));
            } else if m.iters[ev] != it {
                out.push(finding(
                    &a,
                    vec![first, ev],
                    format!(
                        "TimeoutError item {j} came in iteration {}, not in the step of the first \
                         one (iteration {it}): the rest raise without suspending",
                        m.iters[ev]
                    ),
                ));
            }
        }
        if let Some((e, Outcome::Ok(_))) = a.end
            && m.iters[e] != it
        {
            out.push(finding(
                &a,
                vec![first, e],
                "the op must end in the step of its TimeoutError items".to_string(),
            ));
        }
        if let Some(t) = a.timeout {
            let deadline = a.run.start_t + t;
            let at = m.events[first].t();
            if at < deadline {
                out.push(finding(
                    &a,
                    vec![first],
                    format!("the first TimeoutError item came at t={at}, before the deadline t={deadline}"),
                ));
            }
        }
    }
    out
}

/// ASC-4 `[F]`: an item comes 2 iterations after its input's completion callback was queued
/// (callback, queue put, getter wakeup) when the task had to wait, and in the same step when
/// it was already queued. Exact at levels 0–2 (one iteration of slack where the put and the
/// task's step share an iteration); not judged at level 3.
fn asc_4(m: &Model<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    if m.level == Level::Timing {
        return out;
    }
    for a in ascs(m) {
        let Some(mt) = matching(m, &a) else { continue };
        if !mt.problems.is_empty() {
            continue;
        }
        let mut prev = a.run.start_iter;
        for (j, &k) in mt.assigned.iter().enumerate() {
            let ev = a.run.items[j];
            let Some((key_iter, _, _)) = key(&a, k) else {
                break;
            };
            let put = key_iter + 1;
            let e = m.iters[ev];
            let ok = if put < prev {
                e == prev
            } else if put > prev {
                e == put + 1
            } else {
                e == prev || e == prev + 1
            };
            if !ok {
                out.push(finding(
                    &a,
                    vec![ev],
                    format!(
                        "{} is put in the queue in iteration {put} and the previous item came in \
                         iteration {prev}, so item {j} must come in iteration {}, but it came in {e}",
                        a.inputs[k].name,
                        if put < prev {
                            prev.to_string()
                        } else if put > prev {
                            (put + 1).to_string()
                        } else {
                            format!("{prev} or {}", prev + 1)
                        }
                    ),
                ));
                break;
            }
            prev = e;
        }
    }
    out
}

/// ASC-5: an empty input yields nothing and raises nothing, without suspending.
fn asc_5(m: &Model<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for a in ascs(m) {
        if !a.refs.is_empty() {
            continue;
        }
        let Some((e, o)) = a.end else { continue };
        if !a.run.items.is_empty() || *o != Outcome::OK_NULL || m.iters[e] != a.run.start_iter {
            let mut events = a.run.items.clone();
            events.push(e);
            out.push(finding(
                &a,
                events,
                format!(
                    "an empty input must yield nothing and end at once with {}, but it logged {} \
                     item(s) and ended with {o} in iteration {} (started in {})",
                    Outcome::OK_NULL,
                    a.run.items.len(),
                    m.iters[e],
                    a.run.start_iter
                ),
            ));
        }
    }
    out
}
