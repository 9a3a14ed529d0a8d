//! Task oracles of outcomes and steps: a `CancelledError` set as an exception, results and
//! exceptions reaching awaiters unchanged, and atomic steps (TASK-15, TASK-16, TASK-18).

use std::sync::Arc;

use rustc_hash::FxHashMap as HashMap;

use aiosim::State;
use aiosim_sim::trace::{Event, Outcome};

use crate::context::{CompletedBy, Judged, after, finding};
use crate::oracle::Finding;
use crate::oracles::fut::{out_of, show};

/// TASK-15: a task awaiting a future whose exception is a `CancelledError` receives that
/// error, and ends cancelled if it lets it escape.
pub(super) fn task_15(j: &Judged<'_>) -> Vec<Finding> {
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
pub(super) fn task_16(j: &Judged<'_>) -> Vec<Finding> {
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
pub(super) fn task_18(j: &Judged<'_>) -> Vec<Finding> {
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
