//! What the trace shows of tasks' `cancelling()` counts, replayed once per run and judged
//! by TASK-3 (reads) and TASK-11 (`uncancel`, and the count after the end).

use rustc_hash::FxHashMap as HashMap;
use std::sync::Arc;

use aiosim_sim::graph::{Op, Ref};
use aiosim_sim::trace::Event;

use crate::context::{Judged, as_int, finding, is_bool};
use crate::oracle::Finding;

/// The `cancelling()` count findings of a run, by the invariant they break, each list in
/// trace order.
#[derive(Debug, Default)]
pub(crate) struct Counts {
    /// A read differs from the count the previous read and the `cancel` calls since then
    /// give: +1 for each that returned true, 0 for false (TASK-3).
    pub read: Vec<Finding>,
    /// `uncancel` takes 1 off, never below 0; after the task ended only `uncancel` changes
    /// the count, which survives the end (TASK-11).
    pub uncancel: Vec<Finding>,
}

impl Counts {
    /// Replays what the trace shows of `cancelling()` counts: inside one step (where
    /// nothing else runs), and after a task ended (when only `uncancel` can change it).
    pub(crate) fn of(j: &Judged<'_>) -> Counts {
        let m = j.model();
        let events = j.events();
        let mut out = Counts::default();
        for idxs in m.steps.values() {
            let mut known: HashMap<Arc<str>, (i64, usize)> = HashMap::default();
            for &i in idxs {
                let Event::Op { out: res, .. } = &events[i] else {
                    if matches!(events[i], Event::Item { .. }) {
                        known.clear();
                    }
                    continue;
                };
                let Some(info) = m.op_of_event(events, i) else {
                    known.clear();
                    continue;
                };
                match &info.op {
                    Op::Cancelling(t) => {
                        if let Some(v) = as_int(res) {
                            if let Some(&(k, ki)) = known.get(&t.name)
                                && k != v
                            {
                                out.read.push(finding(
                                    [ki, i],
                                    format!(
                                        "cancelling({}) read {v}, but the count was {k} at \
                                         event {ki} and nothing in between changed it",
                                        t.name
                                    ),
                                ));
                            }
                            known.insert(t.name.clone(), (v, i));
                        }
                    }
                    Op::Uncancel(t) => {
                        if let Some(v) = as_int(res) {
                            let bad = match known.get(&t.name) {
                                Some(&(k, _)) => v != (k - 1).max(0),
                                None => v < 0,
                            };
                            if bad {
                                let prev = known.get(&t.name).copied();
                                out.uncancel.push(finding(
                                    prev.map(|p| p.1).into_iter().chain([i]),
                                    format!(
                                        "uncancel({}) returned {v}; from a count of {} it must \
                                         return one less, never below 0",
                                        t.name,
                                        prev.map_or("?".to_string(), |p| p.0.to_string())
                                    ),
                                ));
                            }
                            known.insert(t.name.clone(), (v, i));
                        }
                    }
                    Op::Cancel {
                        target: Ref::Task(t),
                        ..
                    } => {
                        let mine = known.remove(&t.name);
                        // The request may be forwarded to the tasks it awaits.
                        known.clear();
                        if let Some((k, ki)) = mine {
                            let k = if is_bool(res, true) { k + 1 } else { k };
                            known.insert(t.name.clone(), (k, ki));
                        }
                    }
                    Op::Cancel { .. }
                    | Op::Done(_)
                    | Op::Cancelled(_)
                    | Op::Future(_)
                    | Op::SetResult { .. }
                    | Op::SetException { .. }
                    | Op::AddDoneCallback { .. }
                    | Op::Spawn(_)
                    | Op::Return(_) => {}
                    _ => known.clear(),
                }
            }
        }
        // After the end: only uncancel changes the count.
        for o in m.objects.values().filter(|o| o.is_task) {
            let Some(e) = o.end else { continue };
            let mut known: Option<(i64, usize)> = None;
            for oe in m.op_events(events, e + 1) {
                let (i, res, info) = (oe.event, oe.out, oe.info);
                if info.target() != Some(&o.name) {
                    continue;
                }
                match &info.op {
                    Op::Cancelling(_) | Op::Uncancel(_) => {
                        let Some(v) = as_int(res) else { continue };
                        let uncancel = matches!(info.op, Op::Uncancel(_));
                        if let Some((k, ki)) = known {
                            let want = if uncancel { (k - 1).max(0) } else { k };
                            if v != want {
                                out.uncancel.push(finding(
                                    [e, ki, i],
                                    format!(
                                        "task {} had ended with cancelling() {k}; {} must give \
                                         {want}, but gave {v} (after the end only uncancel \
                                         changes the count)",
                                        o.name,
                                        info.op.keyword()
                                    ),
                                ));
                            }
                        }
                        known = Some((v, i));
                    }
                    Op::Cancel { .. } if is_bool(res, true) => {
                        // Judged by TASK-3's done check; the count stays.
                    }
                    _ => {}
                }
            }
            if let (Some((k, ki)), Some(fc)) = (known, o.final_cancelling)
                && i64::from(fc) != k
            {
                out.uncancel.push(finding(
                    [e, ki],
                    format!(
                        "task {} showed cancelling() {k} after its end, but its final count is \
                         {fc}; the count is not reset and only uncancel changes it",
                        o.name
                    ),
                ));
            }
        }
        out
    }
}
