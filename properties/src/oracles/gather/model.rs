//! The run model shared by the combinator oracles.

use std::sync::Arc;

use rustc_hash::FxHashMap as HashMap;

use aiosim::{Level, State};
use aiosim_sim::graph::{Graph, Op, Ref};
use aiosim_sim::interp::{CancelRequest, RunReport};
use aiosim_sim::trace::{Event, Outcome, Res};
use aiosim_sim::value::Value;

use crate::context::{OpInfo, OpTable, PairMap, RunModel, Steps, exc_outcome};
pub(crate) use crate::context::{after, before};

/// A position in the event stream: `2i` is just before event `i`, `2i + 1` just after it.
pub(crate) type Pos = u64;

/// One execution of an op: where it started and ended.
#[derive(Debug)]
pub(crate) struct OpRun<'a> {
    /// The task running it.
    pub task: Arc<str>,
    /// Its path.
    pub at: Arc<str>,
    /// The op (with its nested blocks left out).
    pub node: &'a OpInfo,
    /// The event after which it started (the last event of its task before it).
    pub start_after: usize,
    /// The iteration in which it started.
    pub start_iter: u64,
    /// The time at which it started.
    pub start_t: u64,
    /// Its `op` event, if control left it.
    pub end: Option<usize>,
    /// Its `item` events (`as_completed`).
    pub items: Vec<usize>,
}

impl OpRun<'_> {
    /// The position at which the op started.
    pub(crate) fn start_pos(&self) -> Pos {
        after(self.start_after)
    }
}

/// When an object completed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Done {
    /// Not done when the run ended.
    Never,
    /// At `pos`, in the step that emitted `event`.
    Known {
        /// Position of the completion.
        pos: Pos,
        /// The event that shows it (a task's `end`, a future's `set_*`/`cancel` op).
        event: usize,
        /// Its iteration.
        iter: u64,
    },
    /// Done, but the trace does not show when (a future cancelled through a task that
    /// awaited it, for instance).
    Unknown,
}

/// How an object completed, as its consumers see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ObjOut {
    /// Finished with a result.
    Value(Value),
    /// Finished with an exception (for a future, possibly a `CancelledError` set with
    /// `set_exception`: not cancelled).
    Raised(Outcome),
    /// A task whose body raised `CancelledError(msg)`: cancelled, the exception saved
    /// for the first retrieval, recorded message none.
    CancelledRaised(Option<Arc<str>>),
    /// Cancelled with a recorded message (`None` when the trace does not tell which).
    Cancelled(Option<Option<Arc<str>>>),
}

impl ObjOut {
    /// Whether it finished with a result.
    pub(crate) fn is_value(&self) -> bool {
        matches!(self, ObjOut::Value(_))
    }
}

/// A task or future of the run.
#[derive(Clone, Debug)]
pub(crate) struct Obj {
    /// Scenario name.
    pub name: Arc<str>,
    /// Task or future.
    pub is_task: bool,
    /// Final state.
    pub state: State,
    /// Final `cancelling()` (tasks).
    pub cancelling: u32,
    /// When it completed.
    pub done: Done,
    /// How it completed (if it did and the trace tells).
    pub out: Option<ObjOut>,
}

impl Obj {
    /// Whether it was done at `pos` (`None`: unknown).
    pub(crate) fn done_before(&self, pos: Pos) -> Option<bool> {
        match self.done {
            Done::Never => Some(false),
            Done::Known { pos: p, .. } => Some(p < pos),
            Done::Unknown => None,
        }
    }

    /// Whether it is done but the trace does not show when.
    pub(crate) fn unknown_done(&self) -> bool {
        self.done == Done::Unknown
    }

    /// The completion position, if known.
    pub(crate) fn done_pos(&self) -> Option<Pos> {
        match self.done {
            Done::Known { pos, .. } => Some(pos),
            _ => None,
        }
    }

    /// The completion iteration, if known.
    pub(crate) fn done_iter(&self) -> Option<u64> {
        match self.done {
            Done::Known { iter, .. } => Some(iter),
            _ => None,
        }
    }

    /// The event that shows the completion, if known.
    pub(crate) fn done_event(&self) -> Option<usize> {
        match self.done {
            Done::Known { event, .. } => Some(event),
            _ => None,
        }
    }

    /// Whether awaiting it raises `CancelledError` (cancelled, or a future whose
    /// exception is a `CancelledError`).
    pub(crate) fn is_cancelled_like(&self) -> bool {
        match &self.out {
            Some(ObjOut::CancelledRaised(_) | ObjOut::Cancelled(_)) => true,
            Some(ObjOut::Raised(o)) => matches!(o, Outcome::Cancelled(_)),
            _ => false,
        }
    }
}

/// What an outcome may be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Expect {
    /// Exactly this.
    Exact(Outcome),
    /// `CancelledError` with one of these messages.
    CancelledMsgs(Vec<Option<Arc<str>>>),
    /// `CancelledError` with any message.
    CancelledAny,
    /// `CancelledError` with some message (not `null`).
    CancelledSomeAny,
    /// Nothing is admissible (the situation cannot produce this outcome).
    Nothing,
}

impl Expect {
    /// Whether `o` is admissible.
    pub(crate) fn admits(&self, o: &Outcome) -> bool {
        match (self, o) {
            (Expect::Exact(e), o) => e == o,
            (Expect::CancelledMsgs(ms), Outcome::Cancelled(m)) => ms.contains(m),
            (Expect::CancelledAny, Outcome::Cancelled(_)) => true,
            (Expect::CancelledSomeAny, Outcome::Cancelled(Some(_))) => true,
            _ => false,
        }
    }

    /// In words.
    pub(crate) fn describe(&self) -> String {
        match self {
            Expect::Exact(o) => o.to_string(),
            Expect::CancelledMsgs(ms) => {
                let all: Vec<String> = ms
                    .iter()
                    .map(|m| Outcome::Cancelled(m.clone()).to_string())
                    .collect();
                all.join(" or ")
            }
            Expect::CancelledAny => "a CancelledError".to_string(),
            Expect::CancelledSomeAny => "a CancelledError with a message".to_string(),
            Expect::Nothing => "no such outcome".to_string(),
        }
    }
}

/// How a consumer retrieves a task's outcome (for the first-retrieval rule, TASK-14c).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Retrieval {
    /// In the step that emits this event, just before it.
    Step(usize),
    /// Synchronously, in the step that started an op, just after this event.
    Sync(usize),
    /// In a done-callback somewhere in `(lo, hi)`, in iteration `min_iter` or later.
    Callback {
        /// Lower bound (exclusive).
        lo: Pos,
        /// Upper bound (inclusive).
        hi: Pos,
        /// The earliest iteration.
        min_iter: u64,
        /// Whether it is the consumer's own done-callback on the object (else that of
        /// another object, as gather's callback of its last child to finish), so that
        /// the registration order on the object decides who retrieves first.
        own: bool,
    },
}

/// An accepted `cancel` op: its event and message.
pub(crate) type CancelOp = (usize, Option<Arc<str>>);

/// The run as the combinator oracles see it.
pub(crate) struct Model<'a> {
    /// The level the run was scheduled at.
    pub level: Level,
    /// The name of the main task.
    main: Arc<str>,
    /// The events.
    pub events: &'a [Event],
    /// The iteration of each event.
    pub iters: &'a [u64],
    /// Every executed op, in order of its end (unfinished ones last).
    pub runs: Vec<OpRun<'a>>,
    /// The scenario's ops.
    ops: &'a OpTable,
    objs: HashMap<Arc<str>, Obj>,
    /// Accepted `cancel` ops on tasks: (event, message), in order.
    cancels: HashMap<Arc<str>, Vec<CancelOp>>,
    uncancels: HashMap<Arc<str>, usize>,
    /// Events of each task, in order.
    steps: &'a Steps,
    /// Every cancel request the run made, in order.
    requests: &'a [CancelRequest],
}

/// Whether event `e` belongs to the op at path `p` (a nested op or one of its items).
fn inside(e: &Event, p: &str) -> bool {
    let below =
        |at: &str| at.len() > p.len() && at.starts_with(p) && at.as_bytes()[p.len()] == b'.';
    match e {
        Event::Op { at, .. } => below(at),
        Event::Item { at, .. } => &**at == p || below(at),
        _ => false,
    }
}

/// The entries of a list result, as outcomes (`{"ok":v}` for a value).
pub(crate) fn list_entries(o: &Outcome) -> Option<Vec<Outcome>> {
    match o {
        Outcome::Ok(Res::Value(Value::List(items))) => {
            Some(items.iter().map(|v| Outcome::ok(v.clone())).collect())
        }
        Outcome::Ok(Res::List(items)) => Some(
            items
                .iter()
                .map(|r| match r {
                    Res::Exc(o) => (**o).clone(),
                    other => Outcome::Ok(other.clone()),
                })
                .collect(),
        ),
        _ => None,
    }
}

impl<'a> Model<'a> {
    /// Builds the model of a run.
    pub(crate) fn new(
        graph: &'a Graph,
        report: &'a RunReport,
        level: Level,
        run: &'a RunModel,
    ) -> Model<'a> {
        let events = &report.trace.events[..];
        let iters = &report.event_iterations[..];
        let mut model = Model {
            level,
            main: graph.main_task().name.clone(),
            events,
            iters,
            runs: Vec::new(),
            ops: &run.scenario.ops,
            objs: HashMap::default(),
            cancels: HashMap::default(),
            uncancels: HashMap::default(),
            steps: &run.steps,
            requests: &report.cancel_requests,
        };
        model.build_runs(report, run);
        model.build_objs(report);
        model
    }

    fn start_of(&self, task: &Arc<str>, upto: usize, at: &str) -> Option<usize> {
        let list = self.steps.task_events(task);
        let k = list.partition_point(|&i| i < upto);
        list[..k]
            .iter()
            .rev()
            .copied()
            .find(|&i| !inside(&self.events[i], at))
    }

    fn build_runs(&mut self, report: &RunReport, run: &'a RunModel) {
        let mut items: PairMap<Vec<usize>> = PairMap::with_capacity(report.op_starts.len());
        for (i, e) in self.events.iter().enumerate() {
            if let Event::Item { task, at, .. } = e {
                items.get_or_default(task, at).push(i);
            }
        }
        let mut runs = Vec::new();
        for (i, e) in self.events.iter().enumerate() {
            let Event::Op { task, at, .. } = e else {
                continue;
            };
            let Some(node) = run.op_of_event(self.events, i) else {
                continue;
            };
            let Some(start) = self.start_of(task, i, at) else {
                continue;
            };
            runs.push(OpRun {
                task: task.clone(),
                at: at.clone(),
                node,
                start_after: start,
                start_iter: self.iters[start],
                start_t: self.events[start].t(),
                end: Some(i),
                items: items.remove(task, at).unwrap_or_default(),
            });
        }
        let mut finished: PairMap<()> = PairMap::with_capacity(runs.len());
        for r in &runs {
            finished.insert(r.task.clone(), r.at.clone(), ());
        }
        for (s, exec) in report.op_starts.iter().zip(&run.execs) {
            if finished.get(&s.task, &s.at).is_some() {
                continue;
            }
            let Some(node) = run.exec_op(exec) else {
                continue;
            };
            let Some(start) = self.start_of(&s.task, self.events.len(), &s.at) else {
                continue;
            };
            runs.push(OpRun {
                task: s.task.clone(),
                at: s.at.clone(),
                node,
                start_after: start,
                start_iter: self.iters[start],
                start_t: self.events[start].t(),
                end: None,
                items: items.remove(&s.task, &s.at).unwrap_or_default(),
            });
        }
        self.runs = runs;
    }

    fn build_objs(&mut self, report: &RunReport) {
        let mut fut_done: HashMap<Arc<str>, (usize, ObjOut)> = HashMap::default();
        for run in &self.runs {
            let Some(end) = run.end else { continue };
            let Event::Op { out, .. } = &self.events[end] else {
                continue;
            };
            let accepted = matches!(out, Outcome::Ok(Res::Value(Value::Bool(true))));
            let ok = matches!(out, Outcome::Ok(_));
            match &run.node.op {
                Op::Cancel { target, msg } if accepted => match target {
                    Ref::Task(t) => self
                        .cancels
                        .entry(t.name.clone())
                        .or_default()
                        .push((end, msg.clone())),
                    Ref::Future(f) => {
                        fut_done
                            .entry(f.name.clone())
                            .or_insert((end, ObjOut::Cancelled(Some(msg.clone()))));
                    }
                },
                Op::Uncancel(t) if ok => {
                    *self.uncancels.entry(t.name.clone()).or_default() += 1;
                }
                Op::SetResult { future, value } if ok => {
                    fut_done
                        .entry(future.name.clone())
                        .or_insert((end, ObjOut::Value(value.clone())));
                }
                Op::SetException { future, exc } if ok => {
                    fut_done
                        .entry(future.name.clone())
                        .or_insert((end, ObjOut::Raised(exc_outcome(exc))));
                }
                _ => {}
            }
        }
        for v in self.cancels.values_mut() {
            v.sort_by_key(|(e, _)| *e);
        }
        let mut ends: HashMap<Arc<str>, usize> = HashMap::default();
        for (i, e) in self.events.iter().enumerate() {
            if let Event::End { task, .. } = e {
                ends.entry(task.clone()).or_insert(i);
            }
        }
        for f in &report.finals {
            let (done, out) = if f.is_task {
                match ends.get(&f.name) {
                    Some(&i) => {
                        let Event::End { out, .. } = &self.events[i] else {
                            unreachable!()
                        };
                        let o = match (out, f.state) {
                            (Outcome::Ok(_), State::Cancelled) => ObjOut::Cancelled(None),
                            (Outcome::Ok(Res::Value(v)), _) => ObjOut::Value(v.clone()),
                            (Outcome::Cancelled(m), _) => ObjOut::CancelledRaised(m.clone()),
                            (o, _) => ObjOut::Raised(o.clone()),
                        };
                        let done = Done::Known {
                            pos: after(i),
                            event: i,
                            iter: self.iters[i],
                        };
                        (done, Some(o))
                    }
                    None if f.state == State::Pending => (Done::Never, None),
                    None => (Done::Unknown, None),
                }
            } else {
                match fut_done.remove(&f.name) {
                    Some((i, o)) => (
                        Done::Known {
                            pos: before(i),
                            event: i,
                            iter: self.iters[i],
                        },
                        Some(o),
                    ),
                    None => match f.state {
                        State::Pending => (Done::Never, None),
                        State::Cancelled => (Done::Unknown, Some(ObjOut::Cancelled(None))),
                        State::Finished => (Done::Unknown, None),
                    },
                }
            };
            self.objs.insert(
                f.name.clone(),
                Obj {
                    name: f.name.clone(),
                    is_task: f.is_task,
                    state: f.state,
                    cancelling: f.cancelling,
                    done,
                    out,
                },
            );
        }
    }

    /// The object of a name, if it was spawned or created.
    pub(crate) fn obj(&self, name: &str) -> Option<&Obj> {
        self.objs.get(name)
    }

    /// The op of `(task, at)`.
    pub(crate) fn node(&self, task: &str, at: &str) -> Option<&'a OpInfo> {
        self.ops.get(task, at)
    }

    /// The `out` of an `op` event.
    pub(crate) fn op_out(&self, i: usize) -> Option<&'a Outcome> {
        match &self.events[i] {
            Event::Op { out, .. } | Event::Item { out, .. } | Event::End { out, .. } => Some(out),
            _ => None,
        }
    }

    /// Whether `o` is a runtime name error (graph-format 4.5): the op did nothing.
    pub(crate) fn is_resolution_error(&self, o: &Outcome) -> bool {
        matches!(o, Outcome::Err { ty, msg, .. }
            if &**ty == "ScenarioError"
                && (msg.starts_with("not spawned: ") || msg.starts_with("not created: ")))
    }

    /// Accepted `cancel` ops on `task`.
    pub(crate) fn visible_cancels(&self, task: &str) -> usize {
        self.cancels.get(task).map_or(0, Vec::len)
    }

    /// Successful `uncancel` ops on `task`.
    pub(crate) fn uncancel_count(&self, task: &str) -> usize {
        self.uncancels.get(task).copied().unwrap_or(0)
    }

    /// Whether every cancellation request `task` received is an accepted `cancel` op of
    /// the trace: its final `cancelling()` equals their number and nothing uncancelled
    /// it. (Requests made and withdrawn by its own `timeout` and `taskgroup` blocks
    /// cancel out; see [`Model::lexical_canceller`].)
    pub(crate) fn all_cancels_visible(&self, task: &str) -> bool {
        self.uncancel_count(task) == 0
            && self
                .obj(task)
                .is_some_and(|x| x.cancelling as usize == self.visible_cancels(task))
    }

    /// Accepted `cancel` ops on `task` strictly between events `from` and `to`.
    pub(crate) fn cancels_during(
        &self,
        task: &str,
        from: usize,
        to: usize,
    ) -> Vec<(usize, Option<Arc<str>>)> {
        self.cancels
            .get(task)
            .map(|v| {
                v.iter()
                    .filter(|(c, _)| *c > from && *c < to)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The first accepted `cancel` op on `task` in iteration `iter` or later.
    pub(crate) fn first_cancel_since(&self, task: &str, iter: u64) -> Option<usize> {
        self.cancels
            .get(task)?
            .iter()
            .map(|(c, _)| *c)
            .find(|&c| self.iters[c] >= iter)
    }

    /// The ops enclosing `at` in its task body, innermost last.
    pub(crate) fn ancestors(&self, task: &str, at: &str) -> Vec<&'a OpInfo> {
        let segs: Vec<&str> = at.split('.').collect();
        let mut out = Vec::new();
        let mut prefix = String::new();
        for (k, s) in segs.iter().enumerate() {
            if k > 0 {
                prefix.push('.');
            }
            prefix.push_str(s);
            if k + 1 < segs.len()
                && s.bytes().all(|b| b.is_ascii_digit())
                && let Some(n) = self.node(task, &prefix)
            {
                out.push(n);
            }
        }
        out
    }

    /// Whether a `timeout` block with a deadline or a `taskgroup` encloses `at`: both can
    /// cancel the task (and withdraw the request) without a trace event.
    pub(crate) fn lexical_canceller(&self, task: &str, at: &str) -> bool {
        self.ancestors(task, at).iter().any(|n| {
            matches!(
                n.op,
                Op::Timeout {
                    timeout: Some(_),
                    ..
                } | Op::TaskGroup(_)
            )
        })
    }

    /// Whether the task running `run` received a cancel request (from any source: a `cancel`
    /// op, a timeout, a task group, a forwarding combinator, an injection) between the
    /// beginning of the iteration in which the op started and its end.
    pub(crate) fn task_maybe_cancelled(&self, run: &OpRun<'_>) -> bool {
        let end = run.end.unwrap_or(usize::MAX);
        self.requests
            .iter()
            .any(|r| r.task == run.task && r.iteration >= run.start_iter && r.events_before <= end)
    }

    /// What `result()` of `x` gives the consumer `who` retrieving it as `how`.
    pub(crate) fn result_expect(&self, x: &Obj, who: &OpRun<'_>, how: Retrieval) -> Expect {
        match &x.out {
            None => Expect::CancelledAny,
            Some(ObjOut::Value(v)) => Expect::Exact(Outcome::ok(v.clone())),
            Some(ObjOut::Raised(o)) => Expect::Exact(o.clone()),
            Some(ObjOut::Cancelled(Some(m))) => Expect::Exact(Outcome::Cancelled(m.clone())),
            Some(ObjOut::Cancelled(None)) => Expect::CancelledAny,
            Some(ObjOut::CancelledRaised(None)) => Expect::Exact(Outcome::Cancelled(None)),
            Some(ObjOut::CancelledRaised(Some(m))) => match self.first_retrieval(x, who, how) {
                Some(true) => Expect::Exact(Outcome::Cancelled(Some(m.clone()))),
                Some(false) => Expect::Exact(Outcome::Cancelled(None)),
                None => Expect::CancelledMsgs(vec![Some(m.clone()), None]),
            },
        }
    }

    /// Whether `who`'s retrieval of task `x`'s saved `CancelledError` is the first one
    /// (`None`: the trace cannot tell).
    fn first_retrieval(&self, x: &Obj, who: &OpRun<'_>, how: Retrieval) -> Option<bool> {
        let d = x.done_pos()?;
        let (lo, hi, min_iter) = match how {
            Retrieval::Step(e) => (before(e), before(e), None),
            Retrieval::Sync(s) => (after(s), after(s), None),
            Retrieval::Callback {
                lo, hi, min_iter, ..
            } => (lo, hi, Some(min_iter)),
        };
        let own = !matches!(how, Retrieval::Callback { own: false, .. });
        // At levels 0-1 the done-callbacks of one future run in registration order, task
        // wakeups included (P4): two consumers that registered on `x` while it was
        // pending retrieve in the order they registered.
        let ordered = matches!(self.level, Level::Fifo | Level::Ties);
        let who_reg = own.then(|| self.callback_registration(who, x)).flatten();
        let mut all_after = true;
        // `run_until_complete` reads the main task's outcome once the loop has stopped:
        // after the iteration in which its stop callback (registered first) ran.
        if *x.name == *self.main
            && let Some(k) = x.done_iter()
        {
            let i0 = self.iters.partition_point(|&i| i <= k + 1);
            if before(i0) < lo || min_iter.is_some_and(|mi| k + 1 < mi) {
                return Some(false);
            }
            if before(i0) <= hi {
                all_after = false;
            }
        }
        for c in &self.runs {
            if c.task == who.task && c.at == who.at {
                continue;
            }
            let refs: Vec<&Ref> = match &c.node.op {
                Op::Await(r) | Op::WaitFor { target: r, .. } | Op::Shield(r) => vec![r],
                Op::Gather { refs, .. } | Op::AsCompleted { refs, .. } => refs.iter().collect(),
                _ => continue,
            };
            if !refs.iter().any(|r| r.name() == &x.name) {
                continue;
            }
            let start = c.start_pos();
            let end = c.end.map(before);
            let definite_wakeup =
                matches!(c.node.op, Op::Await(_) | Op::WaitFor { timeout: None, .. })
                    || matches!(c.node.op, Op::WaitFor { timeout: Some(t), .. } if t > 0);
            if ordered && let (Some(w), Some(r)) = (who_reg, self.callback_registration(c, x)) {
                if r > w {
                    continue; // Its callback runs after ours.
                }
                if definite_wakeup && end.is_some_and(|e| d < e) {
                    return Some(false);
                }
                all_after = false;
                continue;
            }
            // (lo, hi, definite, step iteration)
            let window = match &c.node.op {
                Op::Await(_) | Op::WaitFor { timeout: None, .. } => end
                    .filter(|&e| d < e)
                    .map(|e| (e, e, true, c.end.map(|i| self.iters[i]))),
                Op::WaitFor {
                    timeout: Some(t), ..
                } if *t > 0 => end
                    .filter(|&e| d < e)
                    .map(|e| (e, e, true, c.end.map(|i| self.iters[i]))),
                Op::WaitFor { .. } => {
                    if d < start {
                        end.map(|e| (e, e, true, c.end.map(|i| self.iters[i])))
                    } else {
                        Some((d + 1, end.unwrap_or(u64::MAX), false, None))
                    }
                }
                Op::Shield(_) => {
                    if d < start {
                        end.map(|e| (e, e, true, c.end.map(|i| self.iters[i])))
                    } else {
                        None
                    }
                }
                _ => Some((d.max(start) + 1, end.unwrap_or(u64::MAX), false, None)),
            };
            let Some((clo, chi, definite, citer)) = window else {
                continue;
            };
            if definite {
                if chi < lo {
                    return Some(false);
                }
                if let (Some(mi), Some(ci)) = (min_iter, citer)
                    && ci < mi
                {
                    return Some(false);
                }
            }
            if clo <= hi {
                all_after = false;
            }
        }
        if all_after { Some(true) } else { None }
    }

    /// Where `run` registered a done-callback on `x` that retrieves its outcome when it
    /// runs (a task's wakeup for `await`/`wait_for`, gather's `_done_callback`), if it did
    /// so while `x` was pending.
    fn callback_registration(&self, run: &OpRun<'_>, x: &Obj) -> Option<Pos> {
        let registers = match &run.node.op {
            Op::Await(r)
            | Op::WaitFor {
                target: r,
                timeout: None,
            } => r.name() == &x.name,
            Op::WaitFor {
                target: r,
                timeout: Some(t),
            } => *t > 0 && r.name() == &x.name,
            Op::Gather { refs, .. } => refs.iter().any(|r| r.name() == &x.name),
            _ => false,
        };
        let start = run.start_pos();
        (registers && x.done_before(start) == Some(false)).then_some(start)
    }

    /// The ways `x`'s outcome can be described in a sentence.
    pub(crate) fn describe_out(&self, x: &Obj) -> String {
        match &x.out {
            None => "did not finish with a known outcome".to_string(),
            Some(ObjOut::Value(v)) => format!("returned {}", Outcome::ok(v.clone())),
            Some(ObjOut::Raised(o)) => format!("raised {o}"),
            Some(ObjOut::CancelledRaised(m)) => {
                format!("ended cancelled ({})", Outcome::Cancelled(m.clone()))
            }
            Some(ObjOut::Cancelled(_)) => "was cancelled".to_string(),
        }
    }

    /// Whether a future `x` ending cancelled is explained without the combinators that
    /// must never cancel it (`wait`, `as_completed`, `shield`): by an accepted `cancel`
    /// op on it, or by an op that forwards cancellations to it (`await`, `wait_for`,
    /// `gather` of it).
    pub(crate) fn future_cancel_explained(&self, x: &Obj) -> bool {
        if matches!(x.out, Some(ObjOut::Cancelled(Some(_)))) && x.done_event().is_some() {
            return true;
        }
        self.runs.iter().any(|r| match &r.node.op {
            Op::Await(t) | Op::WaitFor { target: t, .. } => t.name() == &x.name,
            Op::Gather { refs, .. } => refs.iter().any(|t| t.name() == &x.name),
            _ => false,
        })
    }

    /// The events of `task` strictly between two events.
    pub(crate) fn task_events_between(&self, task: &str, from: usize, to: usize) -> Vec<usize> {
        self.steps
            .task_events(task)
            .iter()
            .copied()
            .filter(|&i| i > from && i < to)
            .collect()
    }

    /// The `op` events of the direct children of block `at` whose segment is `seg`
    /// (`"do"`, `"taskgroup"`), between its start and end.
    pub(crate) fn block_children(&self, run: &OpRun<'_>, seg: &str) -> Vec<usize> {
        let prefix = format!("{}.{seg}.", run.at);
        let end = run.end.unwrap_or(self.events.len());
        self.task_events_between(&run.task, run.start_after, end)
            .into_iter()
            .filter(|&i| match &self.events[i] {
                Event::Op { at, .. } => at
                    .strip_prefix(&prefix)
                    .is_some_and(|rest| rest.bytes().all(|b| b.is_ascii_digit())),
                _ => false,
            })
            .collect()
    }

    /// The exception (or return) that left a block's body: the `out` of its last direct
    /// child's event, and that event. `None` when the body emitted nothing or was not
    /// left (its last event is a completed op that is not the body's final one, and the
    /// block did not end).
    pub(crate) fn body_exit(&self, run: &OpRun<'_>, seg: &str) -> Option<(usize, &'a Outcome)> {
        let last = *self.block_children(run, seg).last()?;
        let out = self.op_out(last)?;
        let final_op = match (&run.node.op, &self.events[last]) {
            (Op::TaskGroup(_) | Op::Timeout { .. }, Event::Op { at, .. }) => {
                run.node.body_end.as_ref() == Some(at)
            }
            _ => true,
        };
        let left = run.end.is_some() || final_op || !matches!(out, Outcome::Ok(_));
        left.then_some((last, out))
    }

    /// Whether a block's body was left, given its [`Model::body_exit`]: it ended, or is
    /// empty, or its last event left it.
    pub(crate) fn body_left(run: &OpRun<'_>, exit: Option<(usize, &Outcome)>) -> bool {
        let empty = match &run.node.op {
            Op::TaskGroup(_) | Op::Timeout { .. } => run.node.body_end.is_none(),
            _ => false,
        };
        run.end.is_some() || empty || exit.is_some()
    }
}
