//! Oracles of the Future area (FUT-*): states, completion, results, done-callbacks, awaiting.

use aiosim::State;
use aiosim_sim::graph::Op;
use aiosim_sim::trace::{Event, Outcome};

use crate::context::{
    CompletedBy, Judged, ObjectModel, Observation, States, after, before, finding, oracle,
    unresolved,
};
use crate::oracle::{Finding, Oracle};

/// IDs of this area without an oracle: (ID, reason and where it is tested).
pub const NOT_JUDGED: &[(&str, &str)] = &[
    (
        "FUT-6",
        "the graph format builds every exception from a type name and a message (never a class), \
         and StopIteration is an ordinary Exception subclass there (graph-format 2.5); the Rust \
         API takes exception values, so there is nothing to instantiate or refuse \
         (tests/README.md, FUT-6)",
    ),
    (
        "FUT-9",
        "no graph op removes a done-callback; remove_done_callback is tested in tests/future.rs \
         (fut_9_...)",
    ),
    (
        "FUT-12",
        "graph callbacks only log a line and cannot raise; the exception handler is not in the \
         trace (graph-format 5); tested in tests/future.rs (fut_12_...)",
    ),
];

/// This area's oracles.
pub fn oracles() -> Vec<Box<dyn Oracle>> {
    vec![
        oracle("FUT-1", false, fut_1),
        oracle("FUT-2", false, fut_2),
        oracle("FUT-3", false, fut_3),
        oracle("FUT-4", false, fut_4),
        oracle("FUT-5", false, fut_5),
        oracle("FUT-7", false, fut_7),
        oracle("FUT-8", false, fut_8),
        oracle("FUT-10", false, fut_10),
        oracle("FUT-11", false, fut_11),
    ]
}

fn obs_events(o: &Observation) -> Vec<usize> {
    o.event.into_iter().collect()
}

/// Whether a monotone history `PENDING* K*` explains every observation.
fn consistent(obs: &[Observation]) -> bool {
    [States::OK, States::ERR, States::CANCELLED]
        .iter()
        .any(|&k| {
            let last_not_k = obs
                .iter()
                .filter(|o| !o.allowed.meets(k))
                .map(|o| o.pos)
                .max();
            let first_done = obs
                .iter()
                .filter(|o| !o.allowed.meets(States::PENDING))
                .map(|o| o.pos)
                .min();
            match (last_not_k, first_done) {
                (Some(a), Some(b)) => a < b,
                _ => true,
            }
        })
}

/// FUT-1: every state the run shows of an object fits one history: pending, then at most one
/// change to one done state, which never changes again. A future becomes finished only by
/// `set_result`/`set_exception`.
fn fut_1(j: &Judged<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for o in j.model().objects.values() {
        if !consistent(&o.observations) {
            out.push(conflict(o));
        }
        if !o.is_task {
            let finished = o
                .observations
                .iter()
                .find(|ob| States::FINISHED.contains(ob.allowed));
            if let Some(ob) = finished {
                let ok = o.completion.as_ref().is_some_and(|c| {
                    c.by.states().meets(States::FINISHED) && after(c.event) <= ob.pos
                });
                if !ok {
                    out.push(finding(
                        obs_events(ob),
                        format!(
                            "future {}: {} shows it finished, but no set_result/set_exception \
                             on it had succeeded before; only those finish a future",
                            o.name, ob.what
                        ),
                    ));
                }
            }
        }
    }
    out
}

/// The first pair of observations that cannot both hold in one history.
fn conflict(o: &ObjectModel) -> Finding {
    let obs = &o.observations;
    for (a, x) in obs.iter().enumerate() {
        for y in &obs[a + 1..] {
            let clash = if x.pos == y.pos {
                !x.allowed.meets(y.allowed)
            } else {
                !x.allowed.meets(States::PENDING) && !x.allowed.meets(y.allowed)
            };
            if clash {
                let events = obs_events(x).into_iter().chain(obs_events(y));
                return finding(
                    events,
                    format!(
                        "{}: {} shows it {}, then {} shows it {}; its state may change only once, \
                         from pending to one done state",
                        o.name,
                        x.what,
                        x.allowed.describe(),
                        y.what,
                        y.allowed.describe()
                    ),
                );
            }
        }
    }
    finding(
        obs.iter().filter_map(|o| o.event),
        format!(
            "{}: no single history (pending, then one done state) explains what the run shows",
            o.name
        ),
    )
}

/// FUT-2: a future finished by `set_exception(CancelledError)` is not cancelled: every later
/// look at it sees an exception, and awaiting it raises that `CancelledError`.
fn fut_2(j: &Judged<'_>) -> Vec<Finding> {
    let m = j.model();
    let mut out = Vec::new();
    for o in m.objects.values().filter(|o| !o.is_task) {
        let Some(c) = &o.completion else { continue };
        let CompletedBy::Exception(spec) = &c.by else {
            continue;
        };
        if &*spec.ty != "CancelledError" {
            continue;
        }
        for ob in o.observations.iter().filter(|ob| ob.pos > after(c.event)) {
            if !ob.allowed.meets(States::ERR) {
                out.push(finding(
                    std::iter::once(c.event).chain(ob.event),
                    format!(
                        "future {} was finished with a CancelledError by set_exception, so it is \
                         finished with an exception, not cancelled, but {} shows it {}",
                        o.name,
                        ob.what,
                        ob.allowed.describe()
                    ),
                ));
            }
        }
        let want = Outcome::Cancelled(spec.msg.clone());
        for (x, _, target) in m.awaits() {
            if **target != *o.name {
                continue;
            }
            let (Some(start), Some(e)) = (x.start_pos(), x.event) else {
                continue;
            };
            if start < after(c.event) {
                continue;
            }
            let got = out_of(j, e);
            if got != Some(&want) {
                out.push(finding(
                    [c.event, e],
                    format!(
                        "awaiting future {} after set_exception(CancelledError) must raise that \
                         error, {want}, but gave {}",
                        o.name,
                        show(got)
                    ),
                ));
            }
        }
    }
    out
}

/// The `out` of an op, item or end event; the `run` of the finish line.
pub(crate) fn out_of<'r>(j: &Judged<'r>, i: usize) -> Option<&'r Outcome> {
    match j.events().get(i)? {
        Event::Op { out, .. } | Event::End { out, .. } | Event::Item { out, .. } => Some(out),
        Event::Finish { run, .. } => run.as_ref(),
        Event::Start { .. } | Event::Callback { .. } => None,
    }
}

/// An optional outcome, for explanations.
pub(crate) fn show(o: Option<&Outcome>) -> String {
    o.map_or_else(|| "nothing".to_string(), |o| o.to_string())
}

/// FUT-3: `set_result`/`set_exception` on a done future raise `InvalidStateError` ("invalid
/// state") and change nothing; on a pending one they succeed.
fn fut_3(j: &Judged<'_>) -> Vec<Finding> {
    let m = j.model();
    let mut out = Vec::new();
    for oe in m.op_events(j.events(), 0) {
        let (i, res, info) = (oe.event, oe.out, oe.info);
        let (Op::SetResult { future, .. } | Op::SetException { future, .. }) = &info.op else {
            continue;
        };
        if unresolved(res, &future.name) {
            continue;
        }
        let Some(o) = m.object(&future.name) else {
            continue;
        };
        match res {
            Outcome::Ok(_) => {
                if let Some(ob) = o.known_done(before(i), Some(i)) {
                    out.push(finding(
                        obs_events(ob).into_iter().chain([i]),
                        format!(
                            "{} on future {} succeeded although {} showed it already done; it \
                             must raise InvalidStateError",
                            info.op.keyword(),
                            o.name,
                            ob.what
                        ),
                    ));
                }
            }
            Outcome::Err { ty, msg, .. } if &**ty == "InvalidStateError" => {
                if let Some(ob) = o.known_pending(before(i), Some(i)) {
                    out.push(finding(
                        [i].into_iter().chain(obs_events(ob)),
                        format!(
                            "{} on future {} raised InvalidStateError although {} shows it still \
                             pending; on a pending future it must succeed",
                            info.op.keyword(),
                            o.name,
                            ob.what
                        ),
                    ));
                } else if &**msg != "invalid state" {
                    out.push(finding(
                        [i],
                        format!(
                            "InvalidStateError from {} must read \"invalid state\", not {msg:?}",
                            info.op.keyword()
                        ),
                    ));
                }
            }
            other => out.push(finding(
                [i],
                format!(
                    "{} on future {} can only succeed or raise InvalidStateError, not {other}",
                    info.op.keyword(),
                    o.name
                ),
            )),
        }
    }
    out
}

/// FUT-4: awaiting a future that holds a result or an exception gives exactly that result or
/// exception, every time (a task woken from it may instead be cancelled).
fn fut_4(j: &Judged<'_>) -> Vec<Finding> {
    let m = j.model();
    let mut out = Vec::new();
    for (x, o, c) in m.awaits_of_completed_futures() {
        if matches!(c.by, CompletedBy::Cancel(_)) {
            continue;
        }
        let (Some(start), Some(e)) = (x.start_pos(), x.event) else {
            continue;
        };
        if e < c.event {
            continue;
        }
        let want = c.by.outcome();
        let Some(got) = out_of(j, e) else { continue };
        let immediate = start >= after(c.event);
        let fine = *got == want || (!immediate && matches!(got, Outcome::Cancelled(_)));
        if !fine {
            out.push(finding(
                [c.event, e],
                format!(
                    "{}:{} awaited future {} {} it was completed with {want}, and got {got}; \
                     awaiting must give exactly the future's result or exception{}",
                    x.task,
                    x.at,
                    o.name,
                    if immediate { "after" } else { "while" },
                    if immediate {
                        ""
                    } else {
                        " (or CancelledError if the awaiter was cancelled)"
                    }
                ),
            ));
        }
    }
    out
}

/// FUT-5: `cancel` on a pending future returns true and leaves it cancelled; on a done one it
/// returns false and changes nothing.
fn fut_5(j: &Judged<'_>) -> Vec<Finding> {
    let m = j.model();
    let mut out = Vec::new();
    for c in &m.cancels {
        let Some(o) = m.object(&c.target).filter(|o| !o.is_task) else {
            continue;
        };
        match c.accepted {
            Some(true) => {
                if let Some(ob) = o.known_done(before(c.event), Some(c.event)) {
                    out.push(finding(
                        obs_events(ob).into_iter().chain([c.event]),
                        format!(
                            "cancel of future {} returned true although {} showed it already \
                             done; on a done future it returns false",
                            o.name, ob.what
                        ),
                    ));
                }
                if let Some(ob) = o.contradicted_after(after(c.event), States::CANCELLED) {
                    out.push(finding(
                        [c.event].into_iter().chain(obs_events(ob)),
                        format!(
                            "cancel of future {} returned true, so it is cancelled from then on, \
                             but {} shows it {}",
                            o.name,
                            ob.what,
                            ob.allowed.describe()
                        ),
                    ));
                }
            }
            Some(false) => {
                if let Some(ob) = o.known_pending(before(c.event), Some(c.event)) {
                    out.push(finding(
                        [c.event].into_iter().chain(obs_events(ob)),
                        format!(
                            "cancel of future {} returned false although {} shows it still \
                             pending; on a pending future it returns true",
                            o.name, ob.what
                        ),
                    ));
                }
            }
            None => {}
        }
    }
    out
}

/// FUT-7: each registered done-callback runs exactly once, after its object completed and
/// after it was registered, never inside the completing or registering step, and the
/// callbacks of one object run in registration order.
fn fut_7(j: &Judged<'_>) -> Vec<Finding> {
    let m = j.model();
    let mut out = Vec::new();
    for &cb in &m.stray_callbacks {
        out.push(finding(
            [cb],
            "this callback ran although no add_done_callback registered it, or ran more often \
             than it was registered; each registration runs exactly once",
        ));
    }
    for r in &m.registrations {
        let Some(cb) = r.ran else { continue };
        let Some(o) = m.object(&r.of) else { continue };
        if cb < r.event || j.iteration(cb) <= j.iteration(r.event) {
            out.push(finding(
                [r.event, cb],
                format!(
                    "callback {} of {} ran in iteration {}, not after the iteration of its \
                     registration ({}); callbacks are never called inline",
                    r.label,
                    r.of,
                    j.iteration(cb),
                    j.iteration(r.event)
                ),
            ));
        }
        if let Some(ob) = o.known_pending(before(cb), None) {
            out.push(finding(
                [cb].into_iter().chain(obs_events(ob)),
                format!(
                    "callback {} of {} ran while {} shows {} still pending; callbacks run only \
                     after completion",
                    r.label, r.of, ob.what, r.of
                ),
            ));
        }
        if let Some(done) = o.done_pos() {
            let c = crate::context::event_of(done);
            if done > before(r.event) && j.iteration(cb) <= j.iteration(c) {
                out.push(finding(
                    [c, cb],
                    format!(
                        "callback {} of {} ran in iteration {}, the iteration in which {} \
                         completed; completion schedules callbacks with call_soon",
                        r.label,
                        r.of,
                        j.iteration(cb),
                        r.of
                    ),
                ));
            }
        }
    }
    // Registration order per object.
    let regs = &m.registrations;
    for (a, x) in regs.iter().enumerate() {
        for y in &regs[a + 1..] {
            if x.of != y.of {
                continue;
            }
            if let (Some(cx), Some(cy)) = (x.ran, y.ran)
                && cy < cx
            {
                out.push(finding(
                    [x.event, y.event, cx, cy],
                    format!(
                        "callbacks of {} ran as {} before {}, against their registration order",
                        x.of, y.label, x.label
                    ),
                ));
            }
        }
    }
    // Exactly once: a queued callback must have run if the loop ran another iteration.
    for q in &m.queued {
        if let crate::context::QueuedKind::Callback(of, label) = &q.kind
            && q.runs.is_none()
            && j.report.iterations > q.iteration
        {
            out.push(finding(
                q.cause,
                format!(
                    "callback {label} of {of} was scheduled in iteration {} but never ran, \
                     although the loop ran iteration {}",
                    q.iteration,
                    q.iteration + 1
                ),
            ));
        }
    }
    out
}

/// FUT-8: `add_done_callback` on a done object schedules the callback at once: it runs in
/// the next iteration, never inline.
fn fut_8(j: &Judged<'_>) -> Vec<Finding> {
    let m = j.model();
    let mut out = Vec::new();
    for r in &m.registrations {
        let Some(o) = m.object(&r.of) else { continue };
        if o.done_at(before(r.event)) != Some(true) {
            continue;
        }
        let k = j.iteration(r.event);
        match r.ran {
            Some(cb) if cb < r.event || j.iteration(cb) != k + 1 => out.push(finding(
                [r.event, cb],
                format!(
                    "callback {} was added to {} when it was already done (iteration {k}); it \
                     must run in iteration {}, but ran in {}",
                    r.label,
                    r.of,
                    k + 1,
                    j.iteration(cb)
                ),
            )),
            None if j.report.iterations > k => out.push(finding(
                [r.event],
                format!(
                    "callback {} was added to {} when it was already done, but never ran \
                     although iteration {} happened",
                    r.label,
                    r.of,
                    k + 1
                ),
            )),
            _ => {}
        }
    }
    out
}

/// FUT-10: awaiting a future cancelled by `cancel(msg)` raises `CancelledError(msg)`, every
/// time.
fn fut_10(j: &Judged<'_>) -> Vec<Finding> {
    let m = j.model();
    let mut out = Vec::new();
    for (x, o, c) in m.awaits_of_completed_futures() {
        let CompletedBy::Cancel(msg) = &c.by else {
            continue;
        };
        let Some(e) = x.event else { continue };
        if e < c.event {
            continue;
        }
        let want = Outcome::Cancelled(msg.clone());
        let got = out_of(j, e);
        if got != Some(&want) {
            out.push(finding(
                [c.event, e],
                format!(
                    "future {} was cancelled with message {}; awaiting it must raise {want} \
                     every time, but {}:{} got {}",
                    o.name,
                    crate::context::show_msg(msg),
                    x.task,
                    x.at,
                    show(got)
                ),
            ));
        }
    }
    out
}

/// FUT-11: awaiting a done object returns at once, without suspending; awaiting a pending one
/// suspends, and the task resumes only once the object is done, one iteration after it
/// completed.
fn fut_11(j: &Judged<'_>) -> Vec<Finding> {
    let m = j.model();
    let mut out = Vec::new();
    for (x, _, target) in m.awaits() {
        if x.event
            .is_some_and(|e| out_of(j, e).is_some_and(|o| unresolved(o, target)))
        {
            continue;
        }
        let Some(o) = m.object(target) else { continue };
        let Some(start) = x.start_pos() else { continue };
        let resumed = x.event.map(|e| j.iteration(e));
        match o.done_at(start) {
            Some(true) if resumed != Some(x.start_iteration) => {
                out.push(finding(
                    x.event
                        .into_iter()
                        .chain(x.gap.and_then(|g| g.checked_sub(1))),
                    format!(
                        "{}:{} awaited {}, which was already done, yet the await did not \
                         return in the same step (started in iteration {}, returned in {}); \
                         awaiting a done object never suspends",
                        x.task,
                        x.at,
                        target,
                        x.start_iteration,
                        resumed.map_or("none".to_string(), |r| r.to_string())
                    ),
                ));
            }
            Some(false) => {
                let Some(e) = x.event else { continue };
                if j.iteration(e) == x.start_iteration {
                    out.push(finding(
                        [e],
                        format!(
                            "{}:{} awaited {} while it was pending and returned in the same \
                             step; awaiting a pending object suspends",
                            x.task, x.at, target
                        ),
                    ));
                    continue;
                }
                if o.done_at(before(e)) == Some(false) {
                    let ob = o.known_pending(before(e), None);
                    out.push(finding(
                        [e].into_iter().chain(ob.and_then(|ob| ob.event)),
                        format!(
                            "{}:{} resumed from awaiting {} while {} was still pending",
                            x.task, x.at, target, target
                        ),
                    ));
                    continue;
                }
                if let Some(done) = o.done_pos()
                    && done > start
                    && done < before(e)
                {
                    let c = crate::context::event_of(done);
                    if j.iteration(e) != j.iteration(c) + 1 {
                        out.push(finding(
                            [c, e],
                            format!(
                                "{}:{} resumed in iteration {} from awaiting {}, which completed \
                                 in iteration {}; the wake-up is one done-callback, so it must \
                                 resume in iteration {}",
                                x.task,
                                x.at,
                                j.iteration(e),
                                target,
                                j.iteration(c),
                                j.iteration(c) + 1
                            ),
                        ));
                    }
                }
            }
            Some(true) | None => {}
        }
    }
    // A task never resumed from an await of an object that completed (run went on).
    for q in &m.queued {
        if let crate::context::QueuedKind::Wakeup(t, at) = &q.kind
            && q.runs.is_none()
            && j.report.iterations > q.iteration
            && m.object(t)
                .is_some_and(|o| o.final_state == Some(State::Pending) || o.end.is_none())
        {
            out.push(finding(
                q.cause,
                format!(
                    "{t}:{at} awaited an object that completed in iteration {}, but never \
                     resumed although the loop ran on",
                    q.iteration
                ),
            ));
        }
    }
    out
}
