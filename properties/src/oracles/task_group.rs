//! Oracles of `asyncio.TaskGroup` (TG-*): the `taskgroup` op.
//!
//! The children of a block are the tasks its `spawn` ops (lexically inside it, innermost
//! group) created. The group processes a child's completion in its done-callback, one
//! iteration after the child's `end` at the earliest; the iteration arithmetic below rests on
//! that (ready entries queued in iteration k run in iteration k + 1 at every level).

use std::sync::Arc;

use aiosim::Level;
use aiosim_sim::graph::Op;
use aiosim_sim::trace::Outcome;

use super::gather::model::{Model, Obj, ObjOut, OpRun};
use crate::context::combinator_oracle;
use crate::oracle::{Finding, Oracle};

/// IDs of this area without an oracle: (ID, reason and where it is tested).
pub const NOT_JUDGED: &[(&str, &str)] = &[(
    "TG-7",
    "there is no KeyboardInterrupt or SystemExit in a graph: a raised KeyboardInterrupt is an \
     ordinary Exception subclass (graph-format 2.5), so the group collects it like any other \
     error (judged by TG-3); listed as not checkable in tests/README.md",
)];

/// The message of a `TaskGroup`'s exception group.
const GROUP_MSG: &str = "unhandled errors in a TaskGroup";

/// This area's oracles.
pub fn oracles() -> Vec<Box<dyn Oracle>> {
    vec![
        combinator_oracle("TG-1", false, tg_1),
        combinator_oracle("TG-2", false, tg_2),
        combinator_oracle("TG-3", false, tg_3),
        combinator_oracle("TG-4", false, tg_4),
        combinator_oracle("TG-5", false, tg_5),
        combinator_oracle("TG-6", false, tg_6),
        combinator_oracle("TG-8", false, tg_8),
        combinator_oracle("TG-9", true, tg_9),
        combinator_oracle("TG-10", false, tg_10),
        combinator_oracle("TG-11", false, tg_11),
    ]
}

/// A `taskgroup` block that started.
struct Group<'m, 'a> {
    run: &'m OpRun<'a>,
    /// Its event and outcome, if it was left.
    end: Option<(usize, &'a Outcome)>,
    /// Its children: (object, spawn event), in spawn order.
    children: Vec<(&'m Obj, usize)>,
    /// `spawn` ops of the body: (event, spawned name, outcome).
    spawns: Vec<(usize, Arc<str>, &'a Outcome)>,
    /// What left the body: its last direct child's event and outcome.
    exit: Option<(usize, &'a Outcome)>,
    /// Whether the body was left (`__aexit__` started).
    left: bool,
}

impl<'m, 'a> Group<'m, 'a> {
    /// The event at which the body was left (the entry when it emitted nothing).
    fn exit_event(&self) -> usize {
        self.exit.map_or(self.run.start_after, |(e, _)| e)
    }

    /// The exception that left the body, if any.
    fn exc(&self) -> Option<&'a Outcome> {
        self.exit.map(|(_, o)| o).filter(|o| o.is_exception())
    }

    /// The outcome the block has when `__aexit__` raises nothing.
    fn normal(&self) -> Outcome {
        match self.exit {
            Some((_, o @ Outcome::Return(_))) => o.clone(),
            _ => Outcome::OK_NULL,
        }
    }

    /// Children that failed with an error, sorted by completion.
    fn failed(&self) -> Vec<&'m Obj> {
        let mut v: Vec<&Obj> = self
            .children
            .iter()
            .map(|(x, _)| *x)
            .filter(|x| matches!(x.out, Some(ObjOut::Raised(_))))
            .collect();
        v.sort_by_key(|x| x.done_pos());
        v
    }

    /// The iteration of the first child failure's done-callback (the abort), if any.
    fn abort_iter(&self) -> Option<u64> {
        self.failed()
            .iter()
            .filter_map(|x| x.done_iter())
            .min()
            .map(|f| f + 1)
    }
}

fn groups<'m, 'a>(m: &'m Model<'a>) -> Vec<Group<'m, 'a>> {
    m.runs
        .iter()
        .filter(|run| matches!(run.node.op, Op::TaskGroup(_)))
        .map(|run| {
            let end = run.end.and_then(|e| Some((e, m.op_out(e)?)));
            let prefix = format!("{}.taskgroup.", run.at);
            let mut spawns = Vec::new();
            let mut children = Vec::new();
            for r in &m.runs {
                let (Op::Spawn(t), Some(e)) = (&r.node.op, r.end) else {
                    continue;
                };
                if r.task != run.task || !r.at.starts_with(&*prefix) {
                    continue;
                }
                // Innermost group: no taskgroup op between this block and the spawn.
                let innermost = m
                    .ancestors(&r.task, &r.at)
                    .into_iter()
                    .rev()
                    .find(|n| matches!(n.op, Op::TaskGroup(_)))
                    .is_some_and(|n| n.at == run.at);
                if !innermost {
                    continue;
                }
                let Some(out) = m.op_out(e) else { continue };
                spawns.push((e, t.name.clone(), out));
                if matches!(out, Outcome::Ok(_))
                    && let Some(x) = m.obj(&t.name)
                {
                    children.push((x, e));
                }
            }
            spawns.sort_by_key(|s| s.0);
            children.sort_by_key(|c| c.1);
            let exit = m.body_exit(run, "taskgroup");
            Group {
                run,
                end,
                children,
                spawns,
                exit,
                left: Model::body_left(run, exit),
            }
        })
        .collect()
}

fn finding(g: &Group<'_, '_>, mut events: Vec<usize>, what: String) -> Finding {
    if let Some((e, _)) = g.end {
        events.push(e);
    }
    events.sort_unstable();
    events.dedup();
    Finding {
        events,
        explanation: format!(
            "taskgroup {} in {}{}: {what}",
            g.run.at,
            g.run.task,
            match g.end {
                Some((_, o)) => format!(" (ended with {o})"),
                None => String::new(),
            }
        ),
    }
}

/// Whether child `x` certainly received a cancellation request it did not get from a
/// `cancel` op; `None` when the trace cannot tell (an `uncancel` of it).
fn cancel_missing(m: &Model<'_>, x: &Obj) -> Option<bool> {
    if m.uncancel_count(&x.name) > 0 {
        return None;
    }
    Some((x.cancelling as usize) < m.visible_cancels(&x.name) + 1)
}

/// TG-1: leaving the block waits until every child has finished.
fn tg_1(m: &Model<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for g in groups(m) {
        let Some((e, _)) = g.end else { continue };
        for (x, spawned) in &g.children {
            if x.done_before(2 * e as u64) == Some(false) {
                let mut events = vec![*spawned];
                events.extend(x.done_event());
                out.push(finding(
                    &g,
                    events,
                    format!(
                        "the block was left while its child {} had not finished",
                        x.name
                    ),
                ));
            }
        }
    }
    out
}

/// TG-2: a child failing with an error makes the group cancel every unfinished child and
/// then the parent task: siblings still running after the failure is processed received a
/// cancellation, and the body's current await (if it is suspended in the body) raises
/// `CancelledError`.
fn tg_2(m: &Model<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for g in groups(m) {
        let Some(a) = g.abort_iter() else { continue };
        let first = g.failed()[0];
        let mut events: Vec<usize> = first.done_event().into_iter().collect();
        for (x, _) in &g.children {
            if x.done_iter().is_none_or(|i| i > a) && cancel_missing(m, x) == Some(true) {
                events.extend(x.done_event());
                out.push(finding(
                    &g,
                    events.clone(),
                    format!(
                        "{} failed, so the group must cancel every unfinished child, but {} was \
                         still running after iteration {a} and never received a cancellation \
                         ({}.cancelling() ended at {})",
                        first.name, x.name, x.name, x.cancelling
                    ),
                ));
            }
        }
        // The parent's current await, if it spans the abort.
        let exit_iter = m.iters[g.exit_event()];
        if g.left && exit_iter < a {
            continue; // The body had already finished.
        }
        let prefix = format!("{}.taskgroup.", g.run.at);
        for r in &m.runs {
            if r.task != g.run.task || !r.at.starts_with(&*prefix) {
                continue;
            }
            let Some(e) = r.end else { continue };
            let cancels_surely = match &r.node.op {
                Op::Sleep(n) => *n > 0,
                Op::Await(aiosim_sim::graph::Ref::Future(_)) | Op::Wait { .. } | Op::Shield(_) => {
                    true
                }
                _ => false,
            };
            if !cancels_surely || r.start_iter >= a || m.iters[e] <= a {
                continue;
            }
            let Some(o) = m.op_out(e) else { continue };
            if !matches!(o, Outcome::Cancelled(_)) && !m.is_resolution_error(o) {
                let mut ev = events.clone();
                ev.push(e);
                out.push(finding(
                    &g,
                    ev,
                    format!(
                        "{} failed and the group cancels its parent, so the op {} the body was \
                         suspended in across iteration {a} must raise CancelledError, but it \
                         ended with {o}",
                        first.name, r.at
                    ),
                ));
            }
        }
    }
    out
}

/// Whether `members` lists `errs` in an order the group may have seen them complete:
/// exactly completion order at levels 0–1; any order among completions of one iteration
/// above.
fn members_match(m: &Model<'_>, errs: &[&Obj], members: &[Outcome]) -> bool {
    if errs.len() > members.len() {
        return false;
    }
    let outcome = |x: &Obj| match &x.out {
        Some(ObjOut::Raised(o)) => Some(o.clone()),
        _ => None,
    };
    if matches!(m.level, Level::Fifo | Level::Ties) {
        return errs
            .iter()
            .zip(members)
            .all(|(x, o)| outcome(x).as_ref() == Some(o));
    }
    let mut k = 0;
    while k < errs.len() {
        let it = errs[k].done_iter();
        let mut j = k;
        while j < errs.len() && errs[j].done_iter() == it {
            j += 1;
        }
        let mut want: Vec<Option<Outcome>> = errs[k..j].iter().map(|x| outcome(x)).collect();
        for o in &members[k..j] {
            match want.iter().position(|w| w.as_ref() == Some(o)) {
                Some(p) => {
                    want.remove(p);
                }
                None => return false,
            }
        }
        k = j;
    }
    true
}

/// TG-3: when children failed or the body raised an error, the block raises
/// `ExceptionGroup("unhandled errors in a TaskGroup", errs)`: the children's errors in the
/// order the group saw them complete, then the body's own error (not a `CancelledError`).
fn tg_3(m: &Model<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for g in groups(m) {
        let Some((e, o)) = g.end else { continue };
        if g.children.iter().any(|(x, _)| x.out.is_none()) {
            continue;
        }
        let errs = g.failed();
        let body_err = g.exc().filter(|o| matches!(o, Outcome::Err { .. }));
        if errs.is_empty() && body_err.is_none() {
            continue; // TG-4/5/6
        }
        let ok = match o {
            Outcome::Err {
                ty,
                msg,
                excs: Some(members),
            } if &**ty == "ExceptionGroup" && &**msg == GROUP_MSG => {
                members.len() == errs.len() + usize::from(body_err.is_some())
                    && members_match(m, &errs, members)
                    && body_err.is_none_or(|b| members.last() == Some(b))
            }
            _ => false,
        };
        if !ok {
            let mut want: Vec<String> = errs
                .iter()
                .map(|x| match &x.out {
                    Some(ObjOut::Raised(o)) => format!("{o} ({})", x.name),
                    _ => String::new(),
                })
                .collect();
            if let Some(b) = body_err {
                want.push(format!("{b} (the body)"));
            }
            let mut events: Vec<usize> = errs.iter().filter_map(|x| x.done_event()).collect();
            events.push(e);
            out.push(finding(
                &g,
                events,
                format!(
                    "expected an ExceptionGroup of [{}] in the order the group saw them",
                    want.join(", ")
                ),
            ));
        }
    }
    out
}

/// TG-4: a child that ends cancelled is not an error: it is never a member, and a group whose
/// children did not fail and whose body raised no error raises no exception group.
fn tg_4(m: &Model<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for g in groups(m) {
        let Some((_, o)) = g.end else { continue };
        let Outcome::Err {
            ty,
            excs: Some(members),
            ..
        } = o
        else {
            continue;
        };
        if &**ty != "ExceptionGroup" {
            continue;
        }
        if members.iter().any(|x| matches!(x, Outcome::Cancelled(_))) {
            out.push(finding(
                &g,
                vec![],
                "a CancelledError is never a member of the group".into(),
            ));
        }
        let body_err = g.exc().is_some_and(|o| matches!(o, Outcome::Err { .. }));
        if g.failed().is_empty() && !body_err && g.children.iter().all(|(x, _)| x.out.is_some()) {
            let cancelled: Vec<usize> = g
                .children
                .iter()
                .filter(|(x, _)| x.state == aiosim::State::Cancelled)
                .filter_map(|(x, _)| x.done_event())
                .collect();
            out.push(finding(
                &g,
                cancelled,
                "no child failed with an error and the body raised none (cancelled children \
                 are not errors), so no exception group may be raised"
                    .into(),
            ));
        }
    }
    out
}

/// TG-5: when children failed, the group's own cancellation of the parent is absorbed: the
/// block raises the exception group, never `CancelledError`; with no error and nothing
/// cancelling the parent, the block raises nothing.
fn tg_5(m: &Model<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for g in groups(m) {
        let Some((_, o)) = g.end else { continue };
        let is_group =
            matches!(o, Outcome::Err { ty, excs: Some(_), .. } if &**ty == "ExceptionGroup");
        if !g.failed().is_empty() && !is_group {
            out.push(finding(
                &g,
                g.failed().iter().filter_map(|x| x.done_event()).collect(),
                "children failed, so the block must raise their exception group (the \
                 cancellation of the parent is absorbed)"
                    .into(),
            ));
        }
        if g.failed().is_empty()
            && g.exc().is_none()
            && g.children.iter().all(|(x, _)| x.out.is_some())
            && !m.task_maybe_cancelled(g.run)
            && *o != g.normal()
        {
            out.push(finding(
                &g,
                vec![],
                format!(
                    "no child failed, the body left normally and the task was not cancelled, so \
                     the block raises nothing: expected {}",
                    g.normal()
                ),
            ));
        }
    }
    out
}

/// TG-6: when an exception reaches `__aexit__` (the parent cancelled from outside, or the
/// body raising), or the parent is cancelled while `__aexit__` waits, the group cancels
/// every unfinished child, waits for them, and then the `CancelledError` propagates, unless
/// a child's error makes the exception group win.
fn tg_6(m: &Model<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for g in groups(m) {
        if !g.left {
            continue; // `__aexit__` never ran: a cancellation went into the body.
        }
        let x_ev = g.exit_event();
        // (iteration after which the abort had certainly happened, the event that caused it)
        let mut aborts: Vec<(u64, usize)> = Vec::new();
        if g.exc().is_some() {
            aborts.push((m.iters[x_ev], x_ev));
        }
        let end_ev = g.end.map_or(usize::MAX, |(e, _)| e);
        let waiting_cancel = m
            .cancels_during(&g.run.task, x_ev, end_ev)
            .first()
            .map(|(c, _)| *c);
        if let Some(c) = waiting_cancel {
            aborts.push((m.iters[c] + 1, c));
        }
        let Some(&(a, cause)) = aborts.iter().min_by_key(|(a, _)| *a) else {
            continue;
        };
        for (x, _) in &g.children {
            if x.done_iter().is_none_or(|i| i > a) && cancel_missing(m, x) == Some(true) {
                let mut events = vec![cause];
                events.extend(x.done_event());
                out.push(finding(
                    &g,
                    events,
                    format!(
                        "the group aborted (event {cause}) and so must cancel its unfinished \
                         children, but {} was still running after iteration {a} and never \
                         received a cancellation",
                        x.name
                    ),
                ));
            }
        }
        let Some((_, o)) = g.end else { continue };
        if !g.failed().is_empty() || g.children.iter().any(|(x, _)| x.out.is_none()) {
            continue; // TG-3/5: the group wins.
        }
        let want_ok = match g.exc() {
            Some(e @ Outcome::Cancelled(_)) => o == e,
            Some(_) => true, // TG-3
            None if waiting_cancel.is_some() => matches!(o, Outcome::Cancelled(_)),
            None => true,
        };
        if !want_ok {
            out.push(finding(
                &g,
                vec![cause],
                format!(
                    "no child failed, so the cancellation must propagate ({}) once the children \
                     are done",
                    match g.exc() {
                        Some(e) => e.to_string(),
                        None => "a CancelledError".to_string(),
                    }
                ),
            ));
        }
    }
    out
}

/// Parses `TaskGroup <TaskGroup tasks=N errors=M cancelling> is shutting down`.
fn parse_shutting_down(msg: &str) -> Option<(usize, usize)> {
    let inner = msg
        .strip_prefix("TaskGroup <TaskGroup")?
        .strip_suffix(" cancelling> is shutting down")?;
    let mut tasks = 0;
    let mut errors = 0;
    let mut rest = inner;
    if let Some(r) = rest.strip_prefix(" tasks=") {
        let n: String = r.chars().take_while(char::is_ascii_digit).collect();
        tasks = n.parse().ok().filter(|&n| n > 0)?;
        rest = &r[n.len()..];
    }
    if let Some(r) = rest.strip_prefix(" errors=") {
        let n: String = r.chars().take_while(char::is_ascii_digit).collect();
        errors = n.parse().ok().filter(|&n| n > 0)?;
        rest = &r[n.len()..];
    }
    rest.is_empty().then_some((tasks, errors))
}

/// TG-8: `create_task` (a `spawn` in the body) raises `RuntimeError("TaskGroup <...> is
/// shutting down")` exactly while the group is aborting, i.e. once it has processed a child's
/// failure; the message counts the children not yet processed and the errors so far.
fn tg_8(m: &Model<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for g in groups(m) {
        let failed = g.failed();
        for &(s, ref name, o) in &g.spawns {
            let is = m.iters[s];
            // A child's completion was processed certainly / possibly by the spawn.
            let processed = |x: &Obj| -> (bool, bool) {
                match (x.done_iter(), x.done_event()) {
                    (Some(i), Some(e)) if e < s => (i + 1 < is, i < is),
                    _ => (false, false),
                }
            };
            let aborting_certain = failed.iter().any(|x| processed(x).0);
            let aborting_possible = failed.iter().any(|x| processed(x).1);
            match o {
                Outcome::Err { ty, msg, .. } if &**ty == "RuntimeError" => {
                    if !aborting_possible {
                        out.push(finding(
                            &g,
                            vec![s],
                            format!(
                                "spawn of {name} raised {o} although the group had not processed \
                                 any child failure, so it was not shutting down"
                            ),
                        ));
                        continue;
                    }
                    let before_s: Vec<&Obj> = g
                        .children
                        .iter()
                        .filter(|(_, e)| *e < s)
                        .map(|(x, _)| *x)
                        .collect();
                    let n_max = before_s.iter().filter(|x| !processed(x).0).count();
                    let n_min = before_s.iter().filter(|x| !processed(x).1).count();
                    let m_min = failed.iter().filter(|x| processed(x).0).count();
                    let m_max = failed.iter().filter(|x| processed(x).1).count();
                    let fine = parse_shutting_down(msg).is_some_and(|(n, e)| {
                        (n_min..=n_max).contains(&n) && (m_min..=m_max).contains(&e)
                    });
                    if !fine {
                        out.push(finding(
                            &g,
                            vec![s],
                            format!(
                                "spawn of {name} was refused with {o}, but the message must read \
                                 \"TaskGroup <TaskGroup tasks=N errors=M cancelling> is shutting \
                                 down\" (parts with 0 omitted) with N in {n_min}..={n_max} children \
                                 not yet processed and M in {m_min}..={m_max} errors"
                            ),
                        ));
                    }
                }
                Outcome::Ok(_) if aborting_certain => out.push(finding(
                    &g,
                    vec![s],
                    format!(
                        "spawn of {name} succeeded although the group had already processed the \
                         failure of {} and was shutting down",
                        failed[0].name
                    ),
                )),
                _ => {}
            }
        }
    }
    out
}

/// TG-9 `[F]`: an abort cancels the unfinished children in spawn order (the order
/// graph-format 4.9 pins for CPython's set): children suspended in a `sleep` that the abort
/// cut short wake in that order.
fn tg_9(m: &Model<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for g in groups(m) {
        let mut a = g.abort_iter();
        if g.exc().is_some() {
            let x = m.iters[g.exit_event()];
            a = Some(a.map_or(x, |a| a.min(x)));
        }
        let Some(a) = a else { continue };
        // Whatever aborted the group (an earlier cancellation of the parent included), one
        // abort cancels the children in spawn order; a child cancelled exactly once and cut
        // short in its sleep, waking in iteration a + 1, was cancelled by the abort of
        // iteration a.
        // (spawn event, sleep event) of children woken by the abort.
        let mut woken: Vec<(usize, usize)> = Vec::new();
        for (x, spawned) in &g.children {
            if m.visible_cancels(&x.name) > 0 || m.uncancel_count(&x.name) > 0 || x.cancelling != 1
            {
                continue;
            }
            let cut = m.runs.iter().find(|r| {
                r.task == x.name
                    && matches!(r.node.op, Op::Sleep(n) if n > 0)
                    && r.start_iter < a
                    && r.end.is_some_and(|e| {
                        m.iters[e] == a + 1 && matches!(m.op_out(e), Some(Outcome::Cancelled(_)))
                    })
            });
            if let Some(r) = cut {
                let Op::Sleep(n) = r.node.op else { continue };
                let e = r.end.expect("checked");
                if m.events[e].t() < r.start_t + n {
                    woken.push((*spawned, e));
                }
            }
        }
        for w in woken.windows(2) {
            if w[1].1 < w[0].1 {
                out.push(finding(
                    &g,
                    vec![w[0].0, w[1].0, w[1].1, w[0].1],
                    format!(
                        "the abort in iteration {a} cancels children in spawn order, so the one \
                         spawned at event {} must wake before the one spawned at event {}",
                        w[0].0, w[1].0
                    ),
                ));
            }
        }
    }
    out
}

/// TG-10 (3.12.1): if the first child failure comes after the body finished (while
/// `__aexit__` waits), the parent's cancel request is never withdrawn: its `cancelling()`
/// stays 1 above the requests of `cancel` ops.
fn tg_10(m: &Model<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for g in groups(m) {
        // An enclosing timeout or task group could also cancel the parent (aborting the group
        // first) and then withdraw its request.
        if g.end.is_none()
            || g.exc().is_some()
            || m.uncancel_count(&g.run.task) > 0
            || m.lexical_canceller(&g.run.task, &g.run.at)
        {
            continue;
        }
        let Some(first) = g.failed().first().copied() else {
            continue;
        };
        let (Some(f), Some(fe)) = (first.done_iter(), first.done_event()) else {
            continue;
        };
        let x = g.exit_event();
        if m.iters[x] > f {
            continue;
        }
        // A visible cancellation of the parent that reaches `__aexit__` (made while it waits,
        // or a request still pending from the step that entered the group, such as a
        // self-cancel) would abort the group first and count itself; an invisible one only
        // adds to the count.
        let end = g.end.map_or(usize::MAX, |(e, _)| e);
        if m.first_cancel_since(&g.run.task, g.run.start_iter)
            .is_some_and(|c| c < end)
        {
            continue;
        }
        let Some(parent) = m.obj(&g.run.task) else {
            continue;
        };
        let want = m.visible_cancels(&g.run.task) + 1;
        if (parent.cancelling as usize) < want {
            out.push(finding(
                &g,
                vec![x, fe],
                format!(
                    "{} failed after the body had finished (3.12.1: the parent's uncancel() \
                     already ran), so {}.cancelling() must stay at least {want}, but it ended at {}",
                    first.name, g.run.task, parent.cancelling
                ),
            ));
        }
    }
    out
}

/// TG-11 `[F]`: the code after the block runs 2 iterations after the last child finished
/// (its done-callback, then the private future's wakeup); at once if every child had been
/// processed before the body ended. Judged when no child failed and nothing cancelled the
/// parent; exact at levels 0–2, not before at level 3.
fn tg_11(m: &Model<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for g in groups(m) {
        let Some((e, _)) = g.end else { continue };
        if !g.failed().is_empty() || m.task_maybe_cancelled(g.run) {
            continue;
        }
        let x = m.iters[g.exit_event()];
        let iters: Option<Vec<u64>> = g.children.iter().map(|(c, _)| c.done_iter()).collect();
        let Some(iters) = iters else { continue };
        let end = m.iters[e];
        let allowed: Vec<u64> = match iters.iter().max() {
            None => vec![x],
            Some(&k) if k + 1 < x => vec![x],
            Some(&k) if k + 1 == x => vec![x, k + 2],
            Some(&k) => vec![k + 2],
        };
        let bad = if m.level == Level::Timing {
            end < *allowed.iter().min().expect("non-empty")
        } else {
            !allowed.contains(&end)
        };
        if bad {
            out.push(finding(
                &g,
                vec![g.exit_event()],
                format!(
                    "the body ended in iteration {x} and the last child finished in iteration {}, \
                     so the block must end in iteration {}, but it ended in {end}",
                    iters
                        .iter()
                        .max()
                        .map_or("(no child)".to_string(), |k| k.to_string()),
                    allowed
                        .iter()
                        .map(u64::to_string)
                        .collect::<Vec<_>>()
                        .join(" or ")
                ),
            ));
        }
    }
    out
}
