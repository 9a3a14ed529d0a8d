//! What an oracle sees of a run, and lookups over its trace.
//!
//! Besides the plain [`TraceIndex`], a run has a [`RunModel`], built on first use
//! ([`Judged::model`]) and shared by every oracle of the run:
//!
//! - every op of the scenario with its enclosing blocks ([`OpInfo`]), and every op that ran,
//!   with where it started in the trace ([`OpExec`]; the trace itself only shows when control
//!   left an op);
//! - the steps of each task (its events of one loop iteration: a task runs at most one step
//!   per iteration, TASK-18);
//! - a history of each task and future ([`ObjectModel`]): what the trace, the scenario and the
//!   final states say about its state at which position, and how it was completed;
//! - the ready-queue entries whose queueing and running the trace shows ([`Queued`]): first
//!   steps, done-callbacks, wake-ups of `await`, `sleep 0` yields, sleep timers.
//!
//! Positions: the state *before* the effect of the op (or callback) of event `i` is at
//! [`before`]`(i)`, the state *after* it at [`after`]`(i)`, the final state at [`FINAL`]. An
//! op that started when `g` events had been emitted started at position `after(g - 1)`
//! ([`OpExec::start_pos`]): it sees the state left by event `g - 1`, and event `g` comes after
//! it.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use rustc_hash::{FxHashMap, FxHashSet};

use aiosim::{Level, State};
use aiosim_sim::graph::{Block, ExcSpec, Graph, Handler, Op, Ref};
use aiosim_sim::interp::RunReport;
use aiosim_sim::trace::{CallbackState, Event, OpKind, Outcome, Res};
use aiosim_sim::value::Value;

use crate::oracle::{Finding, Oracle};
use crate::oracles::gather::model::Model as CombinatorModel;
use crate::oracles::task::counts::Counts;

mod names;
mod steps;

pub use names::NameMap;
pub use steps::Steps;

/// A finished run as the oracles see it.
pub struct Judged<'a> {
    /// The scenario.
    pub graph: &'a Arc<Graph>,
    /// The trace, the iteration of each event, op starts and final states.
    pub report: &'a RunReport,
    /// Lookups over the trace.
    pub index: &'a TraceIndex<'a>,
    /// The level the run was scheduled at (`Fifo` = CPython's order).
    pub level: Level,
}

impl<'a> Judged<'a> {
    /// The run's model (built on first use, then shared by every oracle of the run).
    pub fn model(&self) -> &'a RunModel {
        let (graph, report, index) = (self.graph, self.report, self.index);
        index
            .model
            .get_or_init(|| RunModel::build(graph, report, index))
    }

    /// The combinator oracles' model of the run (built on first use, then shared).
    pub(crate) fn combinators(&self) -> &'a CombinatorModel<'a> {
        let (graph, report, level) = (self.graph, self.report, self.level);
        let run = self.model();
        self.index
            .combinators
            .get_or_init(|| CombinatorModel::new(graph, report, level, run))
    }

    /// The `cancelling()` count findings of the run (replayed on first use, then shared by
    /// the oracles that judge them).
    pub(crate) fn counts(&self) -> &'a Counts {
        self.index.counts.get_or_init(|| Counts::of(self))
    }

    /// The trace's events.
    pub fn events(&self) -> &'a [Event] {
        &self.report.trace.events
    }

    /// The loop iteration in which event `i` was emitted.
    pub fn iteration(&self, i: usize) -> u64 {
        self.report.event_iterations.get(i).copied().unwrap_or(0)
    }

    /// Whether iteration counts between ready-queue entries are CPython's (FIFO, levels 1
    /// and 2: permutations stay inside one iteration's batch, semantics 4.3).
    pub fn exact_latency(&self) -> bool {
        self.level <= Level::Interleave
    }

    /// Whether the order of one iteration's batch is CPython's (FIFO and level 1, which only
    /// reorders equal deadlines and set iterations).
    pub fn fifo_order(&self) -> bool {
        self.level <= Level::Ties
    }

    /// Event `i` as its trace line, for explanations.
    pub fn line(&self, i: usize) -> String {
        self.events()
            .get(i)
            .map_or_else(|| "(no event)".to_string(), |e| format!("#{i} {e}"))
    }
}

/// Precomputed lookups over a trace, shared by all oracles of one run.
#[derive(Default)]
pub struct TraceIndex<'a> {
    /// The index of each task's `start` event.
    pub start: BTreeMap<Arc<str>, usize>,
    /// The index of each task's `end` event.
    pub end: BTreeMap<Arc<str>, usize>,
    /// The `op` events of each (task, path), in order (an op runs at most once per task
    /// body, so at most one each).
    pub op: PairMap<usize>,
    /// The index of the `finish` event.
    pub finish: Option<usize>,
    /// The run model, built on first use by [`Judged::model`].
    model: OnceLock<RunModel>,
    /// The combinator oracles' model, built on first use by [`Judged::combinators`].
    combinators: OnceLock<CombinatorModel<'a>>,
    /// The `cancelling()` count findings, replayed on first use by [`Judged::counts`].
    counts: OnceLock<Counts>,
}

impl std::fmt::Debug for TraceIndex<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TraceIndex")
            .field("start", &self.start)
            .field("end", &self.end)
            .field("op", &self.op)
            .field("finish", &self.finish)
            .finish_non_exhaustive()
    }
}

impl<'a> TraceIndex<'a> {
    /// Indexes a run's trace.
    pub fn new(report: &RunReport) -> TraceIndex<'a> {
        let mut index = TraceIndex {
            op: PairMap::with_capacity(report.op_starts.len()),
            ..TraceIndex::default()
        };
        for (i, e) in report.trace.events.iter().enumerate() {
            match e {
                Event::Start { task, .. } => {
                    index.start.insert(task.clone(), i);
                }
                Event::End { task, .. } => {
                    index.end.insert(task.clone(), i);
                }
                Event::Op { task, at, .. } => {
                    index.op.insert(task.clone(), at.clone(), i);
                }
                Event::Finish { .. } => index.finish = Some(i),
                _ => {}
            }
        }
        index
    }

    /// The `out` of a task's `end` event.
    pub fn end_outcome<'r>(&self, report: &'r RunReport, task: &str) -> Option<&'r Outcome> {
        match &report.trace.events[*self.end.get(task)?] {
            Event::End { out, .. } => Some(out),
            _ => None,
        }
    }

    /// The `op` event of op `at` of task `task`.
    pub fn op_event(&self, task: &str, at: &str) -> Option<usize> {
        self.op.get(task, at).copied()
    }
}

// ---------------------------------------------------------------------------------------------
// Positions and state sets.

/// The position of the state just before the effect of event `i` (and of an op that started
/// when `i` events had been emitted).
pub const fn before(i: usize) -> u64 {
    2 * i as u64
}

/// The position of the state just after the effect of event `i`.
pub const fn after(i: usize) -> u64 {
    2 * i as u64 + 1
}

/// The position of the final states (`finals`).
pub const FINAL: u64 = u64::MAX;

/// The event whose effect position `pos` is before or after.
pub const fn event_of(pos: u64) -> usize {
    (pos / 2) as usize
}

/// A set of future states: pending, finished with a result, finished with an exception,
/// cancelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct States(u8);

impl States {
    /// Not done.
    pub const PENDING: States = States(1);
    /// Finished with a result.
    pub const OK: States = States(2);
    /// Finished with an exception (also a `CancelledError` set by `set_exception`).
    pub const ERR: States = States(4);
    /// Cancelled.
    pub const CANCELLED: States = States(8);
    /// Any done state.
    pub const DONE: States = States(14);
    /// Finished, with a result or an exception.
    pub const FINISHED: States = States(6);
    /// No state at all (a contradiction).
    pub const NONE: States = States(0);

    /// The union.
    pub const fn or(self, other: States) -> States {
        States(self.0 | other.0)
    }

    /// The intersection.
    pub const fn and(self, other: States) -> States {
        States(self.0 & other.0)
    }

    /// Whether every state of `other` is in `self`.
    pub const fn contains(self, other: States) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether the sets share a state.
    pub const fn meets(self, other: States) -> bool {
        self.0 & other.0 != 0
    }

    /// The set as words (`pending`, `ok`, `err`, `cancelled`).
    pub fn describe(self) -> String {
        let names = [
            (States::PENDING, "pending"),
            (States::OK, "finished with a result"),
            (States::ERR, "finished with an exception"),
            (States::CANCELLED, "cancelled"),
        ];
        if self == States::DONE {
            return "done".to_string();
        }
        let parts: Vec<&str> = names
            .iter()
            .filter(|(s, _)| self.contains(*s))
            .map(|(_, n)| *n)
            .collect();
        if parts.is_empty() {
            "nothing".to_string()
        } else {
            parts.join(" or ")
        }
    }

    /// The state a callback reports.
    pub fn of_callback(state: CallbackState) -> States {
        match state {
            CallbackState::Ok => States::OK,
            CallbackState::Err => States::ERR,
            CallbackState::Cancelled => States::CANCELLED,
        }
    }

    /// The states a final [`State`] allows.
    pub fn of_final(state: State) -> States {
        match state {
            State::Pending => States::PENDING,
            State::Finished => States::FINISHED,
            State::Cancelled => States::CANCELLED,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Outcome helpers.

/// The message of injected cancellations (`aiosim_sim::policy::INJECTED_MESSAGE`).
pub const INJECTED: &str = aiosim_sim::policy::INJECTED_MESSAGE;

/// Whether `out` is the `ScenarioError` of a reference to `name` that did not resolve
/// (graph-format 4.5).
pub fn unresolved(out: &Outcome, name: &str) -> bool {
    scenario_error_message(out).is_some_and(|msg| {
        msg.strip_prefix("not spawned: ")
            .or_else(|| msg.strip_prefix("not created: "))
            == Some(name)
    })
}

/// Whether `out` is any name-resolution `ScenarioError` (graph-format 4.5).
pub fn name_error(out: &Outcome) -> bool {
    scenario_error_message(out).is_some_and(|msg| {
        [
            "not spawned: ",
            "not created: ",
            "already spawned: ",
            "already created: ",
        ]
        .iter()
        .any(|prefix| msg.starts_with(prefix))
    })
}

/// The message of `out` when it is a `ScenarioError` (one that groups no exceptions).
fn scenario_error_message(out: &Outcome) -> Option<&str> {
    match out {
        Outcome::Err {
            ty,
            msg,
            excs: None,
        } if &**ty == "ScenarioError" => Some(msg),
        _ => None,
    }
}

/// Whether `out` is `{"ok":B}`.
pub fn is_bool(out: &Outcome, b: bool) -> bool {
    matches!(out, Outcome::Ok(Res::Value(Value::Bool(x))) if *x == b)
}

/// The integer of `{"ok":N}`.
pub fn as_int(out: &Outcome) -> Option<i64> {
    match out {
        Outcome::Ok(Res::Value(Value::Int(n))) => Some(*n),
        _ => None,
    }
}

/// Whether `out` is a `CancelledError` carrying the injected message.
pub fn is_injected(out: &Outcome) -> bool {
    matches!(out, Outcome::Cancelled(Some(m)) if &**m == INJECTED)
}

/// The outcome of an exception built by `make(EXC)` (graph-format 3.4).
pub fn exc_outcome(spec: &ExcSpec) -> Outcome {
    if &*spec.ty == "CancelledError" {
        Outcome::Cancelled(spec.msg.clone())
    } else {
        Outcome::err(
            spec.ty.clone(),
            spec.msg.clone().unwrap_or_else(|| Arc::from("")),
        )
    }
}

/// A message for explanations: `"m"` or `null`.
pub fn show_msg(msg: &Option<Arc<str>>) -> String {
    match msg {
        Some(m) => format!("{m:?}"),
        None => "null".to_string(),
    }
}

// ---------------------------------------------------------------------------------------------
// Oracles as functions.

/// A judging function, by what it looks at.
#[derive(Clone, Copy)]
pub(crate) enum Judge {
    /// The run and its [`RunModel`].
    Run(fn(&Judged<'_>) -> Vec<Finding>),
    /// The combinator oracles' model of the run.
    Combinators(fn(&CombinatorModel<'_>) -> Vec<Finding>),
}

/// An oracle given by a judging function.
pub(crate) struct FnOracle {
    /// The invariant ID.
    pub id: &'static str,
    /// Whether it runs only on runs in CPython's order.
    pub faithful_only: bool,
    /// The judge.
    pub judge: Judge,
}

impl Oracle for FnOracle {
    fn id(&self) -> &'static str {
        self.id
    }

    fn faithful_only(&self) -> bool {
        self.faithful_only
    }

    fn judge(&self, run: &Judged<'_>) -> Vec<Finding> {
        match self.judge {
            Judge::Run(judge) => judge(run),
            Judge::Combinators(judge) => judge(run.combinators()),
        }
    }
}

/// A boxed [`FnOracle`] that judges the run.
pub(crate) fn oracle(
    id: &'static str,
    faithful_only: bool,
    judge: fn(&Judged<'_>) -> Vec<Finding>,
) -> Box<dyn Oracle> {
    Box::new(FnOracle {
        id,
        faithful_only,
        judge: Judge::Run(judge),
    })
}

/// A boxed [`FnOracle`] that judges the combinator oracles' model of the run.
pub(crate) fn combinator_oracle(
    id: &'static str,
    faithful_only: bool,
    judge: fn(&CombinatorModel<'_>) -> Vec<Finding>,
) -> Box<dyn Oracle> {
    Box::new(FnOracle {
        id,
        faithful_only,
        judge: Judge::Combinators(judge),
    })
}

/// A finding; the events are sorted and deduplicated.
pub fn finding(events: impl IntoIterator<Item = usize>, explanation: impl Into<String>) -> Finding {
    let mut events: Vec<usize> = events.into_iter().collect();
    events.sort_unstable();
    events.dedup();
    Finding {
        events,
        explanation: explanation.into(),
    }
}

// ---------------------------------------------------------------------------------------------
// The model.

/// One op of the scenario, with where it sits.
#[derive(Clone, Debug)]
pub struct OpInfo {
    /// The task definition holding it.
    pub task: Arc<str>,
    /// Its path.
    pub at: Arc<str>,
    /// The op, with the nested blocks of `try`, `timeout` and `taskgroup` left empty.
    pub op: Op,
    /// The paths of the enclosing block ops, outermost first.
    pub ancestors: Vec<Arc<str>>,
    /// Inside the body of a `taskgroup` of the same task.
    pub in_taskgroup: bool,
    /// Inside a `timeout` block with a deadline.
    pub under_timeout: bool,
    /// For a `timeout` or `taskgroup` block: the path of the last op of its body (`None`
    /// when the body is empty, and for every other op).
    pub body_end: Option<Arc<str>>,
    /// The op kind, found once from the op's keyword.
    kind: OpKind,
}

impl OpInfo {
    /// The op kind.
    pub fn kind(&self) -> OpKind {
        self.kind
    }

    /// The one object the op names, for ops that name exactly one.
    pub fn target(&self) -> Option<&Arc<str>> {
        match &self.op {
            Op::Spawn(t) | Op::Cancelling(t) | Op::Uncancel(t) => Some(&t.name),
            Op::Future(f) => Some(&f.name),
            Op::SetResult { future, .. } | Op::SetException { future, .. } => Some(&future.name),
            Op::Await(r) | Op::Shield(r) | Op::Done(r) | Op::Cancelled(r) => Some(r.name()),
            Op::WaitFor { target, .. }
            | Op::Cancel { target, .. }
            | Op::AddDoneCallback { target, .. } => Some(target.name()),
            _ => None,
        }
    }

    /// Every object the op names, in order.
    pub fn targets(&self) -> Vec<&Arc<str>> {
        match &self.op {
            Op::Gather { refs, .. } | Op::Wait { refs, .. } | Op::AsCompleted { refs, .. } => {
                refs.iter().map(Ref::name).collect()
            }
            _ => self.target().into_iter().collect(),
        }
    }

    /// Whether the op is nested (at any depth) in the block op at path `ancestor`.
    pub fn inside(&self, ancestor: &str) -> bool {
        self.ancestors.iter().any(|a| &**a == ancestor)
    }
}

/// What the scenario says about a name, whoever runs.
#[derive(Clone, Debug, Default)]
pub struct NameInfo {
    /// Ops that await it in a way that forwards the awaiter's cancellation to it (`await`,
    /// `wait_for`, `gather`): (task, path).
    pub forwarded_by: Vec<(Arc<str>, Arc<str>)>,
    /// Ops that may retrieve its outcome (`await`, `wait_for`, `shield`, `gather`,
    /// `as_completed`): (task, path, kind).
    pub retrieved_by: Vec<(Arc<str>, Arc<str>, OpKind)>,
    /// `cancel` ops naming it: (task, path).
    pub cancelled_by: Vec<(Arc<str>, Arc<str>)>,
    /// A `spawn` of it sits in a `taskgroup` body (its group may cancel it).
    pub spawned_in_taskgroup: bool,
    /// For a task: its body has a `timeout` block with a deadline, a `wait_for` with a
    /// positive timeout (whose expiry cancels it) or a `taskgroup` (which cancels it when a
    /// child fails).
    pub own_cancellers: bool,
    /// A `wait_for` with timeout 0 names it (and cancels it if it is not done).
    pub zero_wait_for: bool,
}

/// An `op` event with the scenario op it ended.
#[derive(Clone, Copy, Debug)]
pub struct OpEvent<'a> {
    /// The event's index in the trace.
    pub event: usize,
    /// The task that ran the op.
    pub task: &'a Arc<str>,
    /// The op's path.
    pub at: &'a Arc<str>,
    /// What the op gave.
    pub out: &'a Outcome,
    /// The op.
    pub info: &'a OpInfo,
}

/// An op that ran.
#[derive(Clone, Debug)]
pub struct OpExec {
    /// The task running it.
    pub task: Arc<str>,
    /// Its path.
    pub at: Arc<str>,
    /// Virtual time when it started.
    pub start_t: u64,
    /// Loop iteration in which it started.
    pub start_iteration: u64,
    /// How many events had been emitted when it started (it started at `after(gap - 1)`), when
    /// the trace allows telling.
    pub gap: Option<usize>,
    /// Its `op` event, if control left it.
    pub event: Option<usize>,
    /// The position of its op in the scenario's op table, when the scenario has it.
    op: Option<usize>,
}

impl OpExec {
    /// The position at which the op started (`after(gap - 1)`): after the effects shown by
    /// the events before it, before those of the events after it.
    pub fn start_pos(&self) -> Option<u64> {
        self.gap.map(|g| before(g).saturating_sub(1))
    }
}

/// How a future was completed by an op of the scenario.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CompletedBy {
    /// `set_result` with this value.
    Result(Value),
    /// `set_exception` with this exception.
    Exception(ExcSpec),
    /// `cancel` with this message.
    Cancel(Option<Arc<str>>),
}

impl CompletedBy {
    /// The state it leaves.
    pub fn states(&self) -> States {
        match self {
            CompletedBy::Result(_) => States::OK,
            CompletedBy::Exception(_) => States::ERR,
            CompletedBy::Cancel(_) => States::CANCELLED,
        }
    }

    /// What awaiting the future gives afterwards (FUT-4, FUT-10).
    pub fn outcome(&self) -> Outcome {
        match self {
            CompletedBy::Result(v) => Outcome::ok(v.clone()),
            CompletedBy::Exception(e) => exc_outcome(e),
            CompletedBy::Cancel(m) => Outcome::Cancelled(m.clone()),
        }
    }
}

/// The op that completed a future.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Completion {
    /// Its event.
    pub event: usize,
    /// How.
    pub by: CompletedBy,
}

/// One statement about an object's state at one position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Observation {
    /// Where ([`before`], [`after`], [`FINAL`]).
    pub pos: u64,
    /// The states it allows.
    pub allowed: States,
    /// The event that shows it (`None` for the final state).
    pub event: Option<usize>,
    /// What shows it (put in words only when a finding quotes it).
    pub what: Shown,
}

/// What showed an object's state. It is put in words by [`std::fmt::Display`] only when a
/// finding quotes it: a run records many observations and quotes few.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Shown {
    /// A fixed description, such as "its start".
    Text(&'static str),
    /// The object's state when the run ended.
    FinalState(State),
    /// A task's `end` event with its outcome.
    End(Outcome),
    /// A done-callback that saw the object in this state.
    Callback(CallbackState),
    /// An op of the scenario that named the object: what it did, where, and what it returned.
    Op {
        /// What the op did (`spawn`, `cancel`, `await`, ...).
        label: &'static str,
        /// The task that ran it.
        task: Arc<str>,
        /// Its path.
        at: Arc<str>,
        /// What it returned.
        out: Outcome,
    },
}

impl std::fmt::Display for Shown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Shown::Text(text) => f.write_str(text),
            Shown::FinalState(state) => write!(f, "its final state {state:?}"),
            Shown::End(out) => write!(f, "its end {out}"),
            Shown::Callback(state) => write!(f, "a callback seeing state {}", state.as_str()),
            Shown::Op {
                label,
                task,
                at,
                out,
            } => write!(f, "{label} at {task}:{at} returning {out}"),
        }
    }
}

/// What the run shows of one task or future.
#[derive(Clone, Debug, Default)]
pub struct ObjectModel {
    /// The scenario name.
    pub name: Arc<str>,
    /// A task (else a future).
    pub is_task: bool,
    /// The event of the `spawn`/`future` op that created it (`None` for `main`, or if never
    /// created).
    pub created: Option<usize>,
    /// Tasks: the `start` event.
    pub start: Option<usize>,
    /// Tasks: the `end` event (the task is done right after it).
    pub end: Option<usize>,
    /// Tasks: the `out` of the `end` event.
    pub end_out: Option<Outcome>,
    /// The state when the run ended.
    pub final_state: Option<State>,
    /// Tasks: `cancelling()` when the run ended.
    pub final_cancelling: Option<u32>,
    /// Futures: the op that completed it (the first `set_result`/`set_exception` that
    /// succeeded, or `cancel` that returned true).
    pub completion: Option<Completion>,
    /// Every statement about its state, in position order.
    pub observations: Vec<Observation>,
}

impl ObjectModel {
    /// Tasks: the first event of its first step (`start`, or `end` when its body never ran).
    pub fn first_event(&self) -> Option<usize> {
        match (self.start, self.end) {
            (Some(s), Some(e)) => Some(s.min(e)),
            (s, e) => s.or(e),
        }
    }

    /// Whether it was created (spawned) in the run.
    pub fn exists(&self) -> bool {
        self.created.is_some() || self.start.is_some() || self.end.is_some()
    }

    /// The position at which it became done, when the trace shows it: after the `end` of a
    /// task, at the op that completed a future.
    pub fn done_pos(&self) -> Option<u64> {
        if self.is_task {
            self.end.map(after)
        } else {
            self.completion.as_ref().map(|c| before(c.event))
        }
    }

    /// Whether it is known to be done at `pos` (ignoring what event `skip` shows).
    pub fn known_done(&self, pos: u64, skip: Option<usize>) -> Option<&Observation> {
        self.observations.iter().find(|o| {
            o.pos <= pos && !o.allowed.meets(States::PENDING) && (skip.is_none() || o.event != skip)
        })
    }

    /// Whether it is known to be pending at `pos` (ignoring what event `skip` shows).
    pub fn known_pending(&self, pos: u64, skip: Option<usize>) -> Option<&Observation> {
        self.observations.iter().find(|o| {
            o.pos >= pos && o.allowed == States::PENDING && (skip.is_none() || o.event != skip)
        })
    }

    /// The first statement after `pos` that rules out every state of `states`.
    pub fn contradicted_after(&self, pos: u64, states: States) -> Option<&Observation> {
        self.observations
            .iter()
            .find(|o| o.pos > pos && !o.allowed.meets(states))
    }

    /// Whether it is done at `pos`: exact for tasks (from the `end` event), for futures
    /// `None` when nothing tells.
    pub fn done_at(&self, pos: u64) -> Option<bool> {
        if self.is_task {
            return Some(self.end.is_some_and(|e| after(e) <= pos));
        }
        if self.known_done(pos, None).is_some() {
            Some(true)
        } else if self.known_pending(pos, None).is_some() {
            Some(false)
        } else {
            None
        }
    }

    /// Tasks: the states it ended in, from its final state and `end` event.
    pub fn final_states(&self) -> States {
        let mut s = self
            .final_state
            .map_or(States::PENDING.or(States::DONE), States::of_final);
        if let Some(out) = &self.end_out {
            s = s.and(match out {
                Outcome::Cancelled(_) => States::CANCELLED,
                Outcome::Err { .. } => States::ERR,
                _ => States::OK.or(States::CANCELLED),
            });
        }
        s
    }
}

/// What kind of ready-queue entry a [`Queued`] is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QueuedKind {
    /// The first step of a spawned task.
    FirstStep(Arc<str>),
    /// A done-callback registered by `add_done_callback` (object, label).
    Callback(Arc<str>, Arc<str>),
    /// The wake-up of a task suspended in `await` (task, path).
    Wakeup(Arc<str>, Arc<str>),
    /// The step after a `sleep 0` (task, path).
    Yield(Arc<str>, Arc<str>),
    /// The wake-up of a task from a `sleep N` whose timer fired (task, path, deadline).
    Timer(Arc<str>, Arc<str>, u64),
}

impl QueuedKind {
    /// In words.
    pub fn describe(&self) -> String {
        match self {
            QueuedKind::FirstStep(t) => format!("the first step of task {t}"),
            QueuedKind::Callback(of, l) => format!("callback {l} of {of}"),
            QueuedKind::Wakeup(t, at) => format!("the wake-up of {t} awaiting at {at}"),
            QueuedKind::Yield(t, at) => format!("the step after {t}'s sleep 0 at {at}"),
            QueuedKind::Timer(t, at, d) => {
                format!("the wake-up of {t} from the sleep at {at} (deadline {d})")
            }
        }
    }
}

/// A ready-queue entry whose queueing the trace shows.
#[derive(Clone, Debug)]
pub struct Queued {
    /// What it is.
    pub kind: QueuedKind,
    /// The loop iteration during which it was queued.
    pub iteration: u64,
    /// Queued by a timer that fired at the start of `iteration` (after the handles already
    /// queued, LOOP-5), else by a handle.
    pub by_timer: bool,
    /// Queue order inside the iteration: the position at which it was queued (for timers,
    /// the deadline), then the registration position of callbacks queued together.
    pub key: (u64, u64),
    /// The event that shows the queueing (spawn, completion, registration), if any.
    pub cause: Option<usize>,
    /// The first event of the handle when it ran.
    pub runs: Option<usize>,
}

/// A registration of `add_done_callback`.
#[derive(Clone, Debug)]
pub struct Registration {
    /// The object.
    pub of: Arc<str>,
    /// The label.
    pub label: Arc<str>,
    /// The `add_done_callback` op event.
    pub event: usize,
    /// The `callback` event that ran it, matched in order among the same (object, label).
    pub ran: Option<usize>,
}

/// A `cancel` op that ran.
#[derive(Clone, Debug)]
pub struct CancelOp {
    /// The task running it.
    pub by: Arc<str>,
    /// The object cancelled.
    pub target: Arc<str>,
    /// The message.
    pub msg: Option<Arc<str>>,
    /// Its event.
    pub event: usize,
    /// What it returned (`None` when the name did not resolve).
    pub accepted: Option<bool>,
}

/// Values keyed by a (task, path) pair of names, found from two `&str` without allocating or
/// touching a reference count. One table for all pairs, so that a run's maps grow once rather
/// than once per task.
#[derive(Debug)]
pub struct PairMap<V> {
    map: FxHashMap<(Arc<str>, Arc<str>), V>,
}

/// A (task, path) pair of names, stored or borrowed: what [`PairMap`] looks up by. A stored
/// pair lends itself as one, and both hash and compare as their two names.
trait NamePair {
    fn names(&self) -> (&str, &str);
}

impl NamePair for (Arc<str>, Arc<str>) {
    fn names(&self) -> (&str, &str) {
        (&self.0, &self.1)
    }
}

impl NamePair for (&str, &str) {
    fn names(&self) -> (&str, &str) {
        (self.0, self.1)
    }
}

impl<'a> std::borrow::Borrow<dyn NamePair + 'a> for (Arc<str>, Arc<str>) {
    fn borrow(&self) -> &(dyn NamePair + 'a) {
        self
    }
}

/// Hashes as the stored tuple does (each name in turn), which the map requires.
impl std::hash::Hash for dyn NamePair + '_ {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        let (task, at) = self.names();
        task.hash(state);
        at.hash(state);
    }
}

impl PartialEq for dyn NamePair + '_ {
    fn eq(&self, other: &Self) -> bool {
        self.names() == other.names()
    }
}

impl Eq for dyn NamePair + '_ {}

impl<V> Default for PairMap<V> {
    fn default() -> PairMap<V> {
        PairMap::with_capacity(0)
    }
}

impl<V> PairMap<V> {
    /// An empty map with room for `n` pairs (a run's maps are sized from what the run did,
    /// so that they do not grow step by step).
    pub fn with_capacity(n: usize) -> PairMap<V> {
        PairMap {
            map: FxHashMap::with_capacity_and_hasher(n, Default::default()),
        }
    }

    /// The value of (`task`, `at`).
    pub fn get(&self, task: &str, at: &str) -> Option<&V> {
        self.map.get(&(task, at) as &dyn NamePair)
    }

    /// Sets the value of (`task`, `at`), returning the one it replaces.
    pub fn insert(&mut self, task: Arc<str>, at: Arc<str>, value: V) -> Option<V> {
        self.map.insert((task, at), value)
    }

    /// The value of (`task`, `at`), made from `V::default()` first if there is none. The
    /// names are cloned only when they are new.
    pub fn get_or_default(&mut self, task: &Arc<str>, at: &Arc<str>) -> &mut V
    where
        V: Default,
    {
        let key = (&**task, &**at);
        if !self.map.contains_key(&key as &dyn NamePair) {
            self.map.insert((task.clone(), at.clone()), V::default());
        }
        self.map
            .get_mut(&key as &dyn NamePair)
            .expect("inserted above")
    }

    /// Removes the value of (`task`, `at`) and returns it.
    pub fn remove(&mut self, task: &str, at: &str) -> Option<V> {
        self.map.remove(&(task, at) as &dyn NamePair)
    }
}

/// Every op of a scenario, in the order of the graph (task by task, each body depth first),
/// and found by (task, path).
#[derive(Debug, Default)]
pub struct OpTable {
    list: Vec<OpInfo>,
    index: PairMap<usize>,
}

impl OpTable {
    /// The op at path `at` of `task`.
    pub fn get(&self, task: &str, at: &str) -> Option<&OpInfo> {
        self.position(task, at).map(|i| &self.list[i])
    }

    /// The position in graph order of the op at path `at` of `task`.
    pub fn position(&self, task: &str, at: &str) -> Option<usize> {
        self.index.get(task, at).copied()
    }

    /// The op at `position` in graph order.
    pub fn nth(&self, position: usize) -> &OpInfo {
        &self.list[position]
    }

    /// Every op, in graph order.
    pub fn values(&self) -> std::slice::Iter<'_, OpInfo> {
        self.list.iter()
    }

    /// Adds an op (one already at its task and path is replaced in place).
    fn insert(&mut self, info: OpInfo) {
        match self.index.get(&info.task, &info.at) {
            Some(&i) => self.list[i] = info,
            None => {
                self.index
                    .insert(info.task.clone(), info.at.clone(), self.list.len());
                self.list.push(info);
            }
        }
    }
}

/// What the oracles derive from the scenario alone: the same for every run of it.
#[derive(Debug, Default)]
pub struct ScenarioModel {
    /// Every op of the scenario by (task, path).
    pub ops: OpTable,
    /// What the scenario says about each task and future name.
    pub names: BTreeMap<Arc<str>, NameInfo>,
}

impl ScenarioModel {
    /// The model of `graph`. A thread keeps the model of the last scenario it was asked
    /// about, with a share of that scenario, so that the runs of one exploration build it
    /// once per thread. The model is reused for that same shared scenario (which cannot
    /// change while the thread holds its share) without comparing, and for an equal one.
    pub fn of(graph: &Arc<Graph>) -> Arc<ScenarioModel> {
        thread_local! {
            static LAST: RefCell<Option<(Arc<Graph>, Arc<ScenarioModel>)>> =
                const { RefCell::new(None) };
        }
        LAST.with(|last| {
            let mut last = last.borrow_mut();
            if let Some((seen, model)) = last.as_ref()
                && (Arc::ptr_eq(seen, graph) || **seen == **graph)
            {
                return model.clone();
            }
            let model = Arc::new(ScenarioModel::build(graph));
            *last = Some((graph.clone(), model.clone()));
            model
        })
    }

    fn build(graph: &Graph) -> ScenarioModel {
        let mut model = ScenarioModel::default();
        for def in &graph.tasks {
            let mut anc = Vec::new();
            walk(&def.name, &def.body, &mut anc, &mut model.ops);
        }
        model.collect_names();
        model
    }

    fn collect_names(&mut self) {
        let mut names: BTreeMap<Arc<str>, NameInfo> = BTreeMap::new();
        for info in self.ops.values() {
            let site = (info.task.clone(), info.at.clone());
            match &info.op {
                Op::Await(r) => {
                    let n = names.entry(r.name().clone()).or_default();
                    n.forwarded_by.push(site.clone());
                    n.retrieved_by.push((site.0, site.1, OpKind::Await));
                }
                Op::WaitFor { target, timeout } => {
                    let n = names.entry(target.name().clone()).or_default();
                    n.forwarded_by.push(site.clone());
                    n.retrieved_by
                        .push((site.0.clone(), site.1, OpKind::WaitFor));
                    if timeout.is_some_and(|t| t > 0) {
                        names.entry(site.0).or_default().own_cancellers = true;
                    }
                    if *timeout == Some(0) {
                        names
                            .entry(target.name().clone())
                            .or_default()
                            .zero_wait_for = true;
                    }
                }
                Op::Gather { refs, .. } => {
                    for r in refs {
                        let n = names.entry(r.name().clone()).or_default();
                        n.forwarded_by.push(site.clone());
                        n.retrieved_by
                            .push((site.0.clone(), site.1.clone(), OpKind::Gather));
                    }
                }
                Op::Shield(r) => {
                    let n = names.entry(r.name().clone()).or_default();
                    n.retrieved_by.push((site.0, site.1, OpKind::Shield));
                }
                Op::AsCompleted { refs, .. } => {
                    for r in refs {
                        let n = names.entry(r.name().clone()).or_default();
                        n.retrieved_by
                            .push((site.0.clone(), site.1.clone(), OpKind::AsCompleted));
                    }
                }
                Op::Cancel { target, .. } => {
                    names
                        .entry(target.name().clone())
                        .or_default()
                        .cancelled_by
                        .push(site);
                }
                Op::Spawn(t) if info.in_taskgroup => {
                    names
                        .entry(t.name.clone())
                        .or_default()
                        .spawned_in_taskgroup = true;
                }
                Op::Timeout {
                    timeout: Some(_), ..
                }
                | Op::TaskGroup(_) => {
                    names.entry(site.0).or_default().own_cancellers = true;
                }
                _ => {}
            }
        }
        self.names = names;
    }
}

/// Everything the oracles derive from one run.
#[derive(Debug, Default)]
pub struct RunModel {
    /// What the oracles derive from the scenario alone (shared by every run of it).
    pub scenario: Arc<ScenarioModel>,
    /// For each event of the trace: the position of its scenario op, for `op` and `item`
    /// events whose op the scenario has.
    event_ops: Vec<Option<usize>>,
    /// Every op that ran, in start order (parallel to `report.op_starts`).
    pub execs: Vec<OpExec>,
    /// The last start of each scenario op that ran, by the op's position in the scenario.
    exec_by_op: Vec<Option<usize>>,
    /// The last start of each op that ran and is not in the scenario, by (task, path).
    exec_by: PairMap<usize>,
    /// The events of each step: (task, iteration) → event indices.
    pub steps: Steps,
    /// Every spawned task and created future.
    pub objects: NameMap<ObjectModel>,
    /// The main task's name.
    pub main: Arc<str>,
    /// The iteration whose stop callback ended the main `run_until_complete` (the one after
    /// main's `end`), when main finished; `asyncio.run`'s shutdown starts after it.
    pub stop_iteration: Option<u64>,
    /// Some outcome carries the message of injected cancellations.
    pub injection_seen: bool,
    /// Ready-queue entries whose queueing the trace shows.
    pub queued: Vec<Queued>,
    /// Every `add_done_callback` that succeeded, in order.
    pub registrations: Vec<Registration>,
    /// `callback` events that match no registration.
    pub stray_callbacks: Vec<usize>,
    /// Every `cancel` op that ran, in order.
    pub cancels: Vec<CancelOp>,
    hidden: FxHashSet<Arc<str>>,
}

impl RunModel {
    /// The op at (`task`, `at`).
    pub fn op(&self, task: &str, at: &str) -> Option<&OpInfo> {
        self.scenario.ops.get(task, at)
    }

    /// The scenario op that `x` ran.
    pub fn exec_op(&self, x: &OpExec) -> Option<&OpInfo> {
        x.op.map(|i| self.scenario.ops.nth(i))
    }

    /// The run of op (`task`, `at`).
    pub fn exec(&self, task: &str, at: &str) -> Option<&OpExec> {
        let i = self.start_index(task, at, self.scenario.ops.position(task, at))?;
        self.execs.get(i)
    }

    /// The index in `execs` of the last start of op (`task`, `at`), whose position in the
    /// scenario is `op`.
    fn start_index(&self, task: &str, at: &str, op: Option<usize>) -> Option<usize> {
        match op {
            Some(p) => self.exec_by_op[p],
            None => self.exec_by.get(task, at).copied(),
        }
    }

    /// The op of an `op` or `item` event.
    pub fn op_of_event(&self, events: &[Event], i: usize) -> Option<&OpInfo> {
        match events.get(i)? {
            Event::Op { task, at, .. } | Event::Item { task, at, .. } => {
                self.event_op(events, i, task, at)
            }
            _ => None,
        }
    }

    /// The scenario op of event `i` of `events`, an `op` or `item` event of `task` at `at`:
    /// read from the index of the run's own trace, looked up for any other list of events.
    fn event_op(&self, events: &[Event], i: usize, task: &str, at: &str) -> Option<&OpInfo> {
        if events.len() == self.event_ops.len() {
            self.event_ops[i].map(|p| self.scenario.ops.nth(p))
        } else {
            self.op(task, at)
        }
    }

    /// The object named `name`, if it was spawned or created.
    pub fn object(&self, name: &str) -> Option<&ObjectModel> {
        self.objects.get(name)
    }

    /// The static information about `name`.
    pub fn name_info(&self, name: &str) -> NameInfo {
        self.scenario.names.get(name).cloned().unwrap_or_default()
    }

    /// Whether something the trace does not show as a `cancel` of `task` may cancel it
    /// before the shutdown: its task group's abort, its own timeouts or task groups, a
    /// `wait_for` with timeout 0, an injected cancellation, or a cancellation of a task that
    /// was awaiting it (forwarded), whether that one is visible or hidden itself.
    pub fn hidden_cancellers(&self, task: &str) -> bool {
        self.hidden.contains(task)
    }

    /// The tasks with [`RunModel::hidden_cancellers`]: a fixpoint over the forwarding ops.
    fn collect_hidden(&mut self) {
        let mut hidden: FxHashSet<Arc<str>> = self
            .scenario
            .names
            .iter()
            .filter(|(_, i)| {
                self.injection_seen || i.spawned_in_taskgroup || i.own_cancellers || i.zero_wait_for
            })
            .map(|(n, _)| n.clone())
            .collect();
        if self.injection_seen {
            hidden.extend(self.objects.keys().cloned());
        }
        loop {
            let mut grew = false;
            for (name, info) in &self.scenario.names {
                if hidden.contains(name) {
                    continue;
                }
                let forwarded = info.forwarded_by.iter().any(|(w, at)| {
                    let Some(x) = self.exec(w, at) else {
                        return false;
                    };
                    // A request made earlier in the step that started the op is forwarded
                    // when it suspends (TASK-9); requests made before that step were
                    // delivered at its start.
                    let from = self.step_start(w, x.start_iteration).unwrap_or(0);
                    let to = x.event.unwrap_or(usize::MAX);
                    hidden.contains(w)
                        || self.cancels.iter().any(|c| {
                            c.target == *w
                                && c.accepted == Some(true)
                                && c.event >= from
                                && c.event < to
                        })
                });
                if forwarded {
                    hidden.insert(name.clone());
                    grew = true;
                }
            }
            if !grew {
                break;
            }
        }
        self.hidden = hidden;
    }

    /// The first event of `task`'s step in `iteration`.
    pub fn step_start(&self, task: &str, iteration: u64) -> Option<usize> {
        self.steps
            .get(task, iteration)
            .and_then(|s| s.first().copied())
    }

    /// Whether loop iteration `iteration` ran before `asyncio.run`'s shutdown cancelled the
    /// leftover tasks.
    pub fn before_shutdown(&self, iteration: u64) -> bool {
        self.stop_iteration.is_none_or(|s| iteration <= s)
    }

    /// The `cancel` ops that targeted `name` and returned true, with events in `(from, to)`.
    pub fn accepted_cancels(&self, name: &str, from: usize, to: usize) -> Vec<&CancelOp> {
        self.cancels
            .iter()
            .filter(|c| {
                &*c.target == name && c.accepted == Some(true) && c.event > from && c.event < to
            })
            .collect()
    }

    /// The `await` ops that ran, with their targets.
    pub fn awaits(&self) -> impl Iterator<Item = (&OpExec, &OpInfo, &Arc<str>)> {
        self.execs.iter().filter_map(|x| {
            let info = self.exec_op(x)?;
            match &info.op {
                Op::Await(r) => Some((x, info, r.name())),
                _ => None,
            }
        })
    }

    /// The `await` ops that ran on a future that an op of the scenario completed, with the
    /// future and its completion.
    pub fn awaits_of_completed_futures(
        &self,
    ) -> impl Iterator<Item = (&OpExec, &ObjectModel, &Completion)> {
        self.awaits().filter_map(|(x, _, target)| {
            let future = self.object(target).filter(|o| !o.is_task)?;
            Some((x, future, future.completion.as_ref()?))
        })
    }

    /// The `sleep` ops that ran, with their delays.
    pub fn sleeps(&self) -> impl Iterator<Item = (&OpExec, u64)> {
        self.execs.iter().filter_map(|x| match self.exec_op(x)?.op {
            Op::Sleep(n) => Some((x, n)),
            _ => None,
        })
    }

    /// The `op` events of `events` from index `first` on whose op is in the scenario, each
    /// with that op, in trace order.
    pub fn op_events<'a>(
        &'a self,
        events: &'a [Event],
        first: usize,
    ) -> impl Iterator<Item = OpEvent<'a>> {
        events
            .iter()
            .enumerate()
            .skip(first)
            .filter_map(|(event, e)| match e {
                Event::Op { task, at, out, .. } => Some(OpEvent {
                    event,
                    task,
                    at,
                    out,
                    info: self.event_op(events, event, task, at)?,
                }),
                _ => None,
            })
    }

    fn build(graph: &Arc<Graph>, report: &RunReport, index: &TraceIndex) -> RunModel {
        let events = &report.trace.events;
        let iter_of = |i: usize| report.event_iterations.get(i).copied().unwrap_or(0);
        let mut m = RunModel {
            main: graph.main_task().name.clone(),
            scenario: ScenarioModel::of(graph),
            ..RunModel::default()
        };
        m.event_ops = events
            .iter()
            .map(|e| match e {
                Event::Op { task, at, .. } | Event::Item { task, at, .. } => {
                    m.scenario.ops.position(task, at)
                }
                _ => None,
            })
            .collect();

        m.steps = Steps::of(events, iter_of);
        m.injection_seen = events.iter().any(|e| match e {
            Event::Op { out, .. } | Event::End { out, .. } | Event::Item { out, .. } => {
                is_injected(out)
            }
            Event::Finish { run: Some(out), .. } => is_injected(out),
            _ => false,
        });

        m.collect_execs(report, index);
        m.collect_objects(report);
        let spawns = m.collect_op_effects(events);
        m.collect_queued(report, &spawns);

        if let Some(e) = m.objects.get(&m.main).and_then(|o| o.end) {
            m.stop_iteration = Some(iter_of(e) + 1);
        }
        m.collect_hidden();
        m
    }

    fn collect_execs(&mut self, report: &RunReport, index: &TraceIndex) {
        let events = &report.trace.events;
        // The `op` event and the scenario op of each start.
        let ends: Vec<(Option<usize>, Option<usize>)> = report
            .op_starts
            .iter()
            .map(|start| {
                let event = index.op.get(&start.task, &start.at).copied();
                // The op of its `op` event, which ended this very op.
                let op = match event {
                    Some(e) => self.event_ops[e],
                    None => self.scenario.ops.position(&start.task, &start.at),
                };
                (event, op)
            })
            .collect();
        self.exec_by_op = vec![None; self.scenario.ops.values().len()];
        for (s, (start, &(_, op))) in report.op_starts.iter().zip(&ends).enumerate() {
            match op {
                Some(p) => self.exec_by_op[p] = Some(s),
                None => {
                    self.exec_by.insert(start.task.clone(), start.at.clone(), s);
                }
            }
        }
        // The start of the op of each `op` and `item` event (a step's events are its task's).
        let event_starts: Vec<Option<usize>> = events
            .iter()
            .enumerate()
            .map(|(i, e)| match e {
                Event::Op { task, at, .. } | Event::Item { task, at, .. } => {
                    self.start_index(task, at, self.event_ops[i])
                }
                _ => None,
            })
            .collect();
        self.execs.reserve(report.op_starts.len());
        for (s, (start, &(event, op))) in report.op_starts.iter().zip(&ends).enumerate() {
            let step = self.steps.get(&start.task, start.iteration);
            let mut gap = None;
            if let Some(step) = step {
                let mut last_before = None;
                for &i in step {
                    let earlier = match &events[i] {
                        Event::Start { .. } => true,
                        Event::Op { at, .. } | Event::Item { at, .. } => {
                            let ancestor = start.at.len() > at.len()
                                && start.at.starts_with(&**at)
                                && start.at.as_bytes()[at.len()] == b'.';
                            let started_before = event_starts[i].is_some_and(|q| q < s);
                            started_before && !ancestor
                        }
                        _ => false,
                    };
                    if earlier {
                        last_before = Some(i);
                    }
                }
                gap = match last_before {
                    Some(i) => Some(i + 1),
                    None => step.first().copied(),
                };
            }
            self.execs.push(OpExec {
                task: start.task.clone(),
                at: start.at.clone(),
                start_t: start.t,
                start_iteration: start.iteration,
                gap,
                event,
                op,
            });
        }
    }

    fn collect_objects(&mut self, report: &RunReport) {
        let events = &report.trace.events;
        let mut objects: NameMap<ObjectModel> = NameMap::default();
        let entry = |objects: &mut NameMap<ObjectModel>, name: &Arc<str>, task| {
            objects
                .get_or_insert_with(name, || ObjectModel {
                    name: name.clone(),
                    is_task: task,
                    ..ObjectModel::default()
                })
                .is_task = task;
        };
        entry(&mut objects, &self.main, true);
        for f in &report.finals {
            entry(&mut objects, &f.name, f.is_task);
            let o = objects.get_mut(&f.name).expect("just inserted");
            o.final_state = Some(f.state);
            if f.is_task {
                o.final_cancelling = Some(f.cancelling);
            }
            o.observations.push(Observation {
                pos: FINAL,
                allowed: States::of_final(f.state),
                event: None,
                what: Shown::FinalState(f.state),
            });
        }
        let obs = |objects: &mut NameMap<ObjectModel>,
                   name: &Arc<str>,
                   pos: u64,
                   allowed: States,
                   event: usize,
                   what: Shown| {
            if let Some(o) = objects.get_mut(name) {
                o.observations.push(Observation {
                    pos,
                    allowed,
                    event: Some(event),
                    what,
                });
            }
        };
        for (i, e) in events.iter().enumerate() {
            match e {
                Event::Start { task, .. } => {
                    if let Some(o) = objects.get_mut(task) {
                        o.start.get_or_insert(i);
                    }
                    obs(
                        &mut objects,
                        task,
                        before(i),
                        States::PENDING,
                        i,
                        Shown::Text("its start"),
                    );
                }
                Event::End { task, out, .. } => {
                    if let Some(o) = objects.get_mut(task) {
                        o.end.get_or_insert(i);
                        o.end_out.get_or_insert_with(|| out.clone());
                    }
                    obs(
                        &mut objects,
                        task,
                        before(i),
                        States::PENDING,
                        i,
                        Shown::Text("its end"),
                    );
                    let done = match out {
                        Outcome::Cancelled(_) => States::CANCELLED,
                        Outcome::Err { .. } => States::ERR,
                        _ => States::OK.or(States::CANCELLED),
                    };
                    obs(
                        &mut objects,
                        task,
                        after(i),
                        done,
                        i,
                        Shown::End(out.clone()),
                    );
                }
                Event::Callback { of, state, .. } => {
                    obs(
                        &mut objects,
                        of,
                        before(i),
                        States::of_callback(*state),
                        i,
                        Shown::Callback(*state),
                    );
                }
                Event::Op { task, at, out, .. } => {
                    let Some(info) = self.event_op(events, i, task, at) else {
                        continue;
                    };
                    let Some(target) = info.target().cloned() else {
                        continue;
                    };
                    if unresolved(out, &target) {
                        continue;
                    }
                    let what = |label: &'static str| Shown::Op {
                        label,
                        task: task.clone(),
                        at: at.clone(),
                        out: out.clone(),
                    };
                    match &info.op {
                        Op::Spawn(t) if matches!(out, Outcome::Ok(_)) => {
                            entry(&mut objects, &t.name, true);
                            if let Some(o) = objects.get_mut(&t.name) {
                                o.created.get_or_insert(i);
                            }
                            obs(
                                &mut objects,
                                &target,
                                after(i),
                                States::PENDING,
                                i,
                                what("spawn"),
                            );
                        }
                        Op::Future(f) if matches!(out, Outcome::Ok(_)) => {
                            entry(&mut objects, &f.name, false);
                            if let Some(o) = objects.get_mut(&f.name) {
                                o.created.get_or_insert(i);
                            }
                            let w = what("future");
                            obs(&mut objects, &target, after(i), States::PENDING, i, w);
                        }
                        Op::SetResult { .. } | Op::SetException { .. } => {
                            let is_result = matches!(info.op, Op::SetResult { .. });
                            let w = what(if is_result {
                                "set_result"
                            } else {
                                "set_exception"
                            });
                            match out {
                                Outcome::Ok(_) => {
                                    let (by, states) = match &info.op {
                                        Op::SetException { exc, .. } => {
                                            (CompletedBy::Exception(exc.clone()), States::ERR)
                                        }
                                        Op::SetResult { value, .. } => {
                                            (CompletedBy::Result(value.clone()), States::OK)
                                        }
                                        _ => continue,
                                    };
                                    obs(
                                        &mut objects,
                                        &target,
                                        before(i),
                                        States::PENDING,
                                        i,
                                        w.clone(),
                                    );
                                    obs(&mut objects, &target, after(i), states, i, w);
                                    if let Some(o) = objects.get_mut(&target) {
                                        o.completion.get_or_insert(Completion { event: i, by });
                                    }
                                }
                                Outcome::Err { ty, .. } if &**ty == "InvalidStateError" => {
                                    obs(&mut objects, &target, before(i), States::DONE, i, w);
                                }
                                _ => {}
                            }
                        }
                        Op::Cancel { msg, .. } => {
                            if is_bool(out, true) {
                                obs(
                                    &mut objects,
                                    &target,
                                    before(i),
                                    States::PENDING,
                                    i,
                                    what("cancel"),
                                );
                                let is_future = objects.get(&target).is_some_and(|o| !o.is_task);
                                if is_future {
                                    let w = what("cancel");
                                    obs(&mut objects, &target, after(i), States::CANCELLED, i, w);
                                    if let Some(o) = objects.get_mut(&target) {
                                        o.completion.get_or_insert(Completion {
                                            event: i,
                                            by: CompletedBy::Cancel(msg.clone()),
                                        });
                                    }
                                }
                            } else if is_bool(out, false) {
                                obs(
                                    &mut objects,
                                    &target,
                                    before(i),
                                    States::DONE,
                                    i,
                                    what("cancel"),
                                );
                            }
                        }
                        Op::Done(_) => {
                            let s = if is_bool(out, true) {
                                States::DONE
                            } else if is_bool(out, false) {
                                States::PENDING
                            } else {
                                continue;
                            };
                            obs(&mut objects, &target, before(i), s, i, what("done"));
                        }
                        Op::Cancelled(_) => {
                            let s = if is_bool(out, true) {
                                States::CANCELLED
                            } else if is_bool(out, false) {
                                States::PENDING.or(States::FINISHED)
                            } else {
                                continue;
                            };
                            obs(&mut objects, &target, before(i), s, i, what("cancelled"));
                        }
                        Op::Await(_) => {
                            let s = match out {
                                Outcome::Ok(_) => States::OK,
                                Outcome::Err { .. } => States::ERR,
                                _ => continue,
                            };
                            obs(&mut objects, &target, before(i), s, i, what("await"));
                        }
                        _ => {}
                    }
                }
                _ => {}
            }
        }
        for o in objects.values_mut_unordered() {
            o.observations.sort_by_key(|ob| ob.pos);
        }
        self.objects = objects;
    }

    /// In one pass over the `op` events: every `cancel` op, every registration of
    /// `add_done_callback` (each matched with the `callback` event that ran it), and the
    /// `spawn` ops that succeeded (returned as (event, task), in order).
    fn collect_op_effects(&mut self, events: &[Event]) -> Vec<(usize, Arc<str>)> {
        let mut cancels = Vec::new();
        let mut regs = Vec::new();
        let mut spawns = Vec::new();
        for oe in self.op_events(events, 0) {
            let ok = matches!(oe.out, Outcome::Ok(_));
            match &oe.info.op {
                Op::Cancel { target, msg } => {
                    let accepted = if is_bool(oe.out, true) {
                        Some(true)
                    } else if is_bool(oe.out, false) {
                        Some(false)
                    } else {
                        None
                    };
                    cancels.push(CancelOp {
                        by: oe.task.clone(),
                        target: target.name().clone(),
                        msg: msg.clone(),
                        event: oe.event,
                        accepted,
                    });
                }
                Op::AddDoneCallback { target, label } if ok => regs.push(Registration {
                    of: target.name().clone(),
                    label: label.clone(),
                    event: oe.event,
                    ran: None,
                }),
                Op::Spawn(t) if ok => spawns.push((oe.event, t.name.clone())),
                _ => {}
            }
        }
        self.cancels = cancels;
        for (i, e) in events.iter().enumerate() {
            if let Event::Callback { of, label, .. } = e {
                match regs
                    .iter_mut()
                    .find(|r| r.of == *of && r.label == *label && r.ran.is_none())
                {
                    Some(r) => r.ran = Some(i),
                    None => self.stray_callbacks.push(i),
                }
            }
        }
        self.registrations = regs;
        spawns
    }

    /// The ready-queue entries whose queueing the trace shows, given the `spawn` ops that
    /// succeeded as (event, task).
    fn collect_queued(&mut self, report: &RunReport, spawns: &[(usize, Arc<str>)]) {
        let events = &report.trace.events;
        let iter_of = |i: usize| report.event_iterations.get(i).copied().unwrap_or(0);
        let mut queued = Vec::new();
        // First steps.
        for (i, task) in spawns {
            let i = *i;
            queued.push(Queued {
                kind: QueuedKind::FirstStep(task.clone()),
                iteration: iter_of(i),
                by_timer: false,
                key: (before(i), 0),
                cause: Some(i),
                runs: self.objects.get(task).and_then(ObjectModel::first_event),
            });
        }
        // Done-callbacks.
        for r in &self.registrations {
            let Some(obj) = self.objects.get(&r.of) else {
                continue;
            };
            let reg = before(r.event);
            let kind = QueuedKind::Callback(r.of.clone(), r.label.clone());
            if obj.done_at(reg) == Some(true) {
                queued.push(Queued {
                    kind,
                    iteration: iter_of(r.event),
                    by_timer: false,
                    key: (reg, 0),
                    cause: Some(r.event),
                    runs: r.ran,
                });
            } else if let Some(done) = obj.done_pos()
                && done > reg
            {
                let c = event_of(done);
                queued.push(Queued {
                    kind,
                    iteration: iter_of(c),
                    by_timer: false,
                    key: (done, reg),
                    cause: Some(c),
                    runs: r.ran,
                });
            }
        }
        // Wake-ups of `await`, `sleep` steps.
        for x in &self.execs {
            let Some(info) = self.exec_op(x) else {
                continue;
            };
            let (Some(gap), Some(start)) = (x.gap, x.start_pos()) else {
                continue;
            };
            let suspended = x.event.is_none_or(|e| iter_of(e) != x.start_iteration);
            match &info.op {
                Op::Await(r) if suspended => {
                    let Some(obj) = self.objects.get(r.name()) else {
                        continue;
                    };
                    if let Some(done) = obj.done_pos()
                        && done > start
                        && x.event.is_none_or(|e| before(e) > done)
                    {
                        let c = event_of(done);
                        queued.push(Queued {
                            kind: QueuedKind::Wakeup(x.task.clone(), x.at.clone()),
                            iteration: iter_of(c),
                            by_timer: false,
                            key: (done, start),
                            cause: Some(c),
                            runs: x.event,
                        });
                    }
                }
                Op::Sleep(0) => queued.push(Queued {
                    kind: QueuedKind::Yield(x.task.clone(), x.at.clone()),
                    iteration: x.start_iteration,
                    by_timer: false,
                    key: (start, 0),
                    cause: gap.checked_sub(1),
                    runs: x.event,
                }),
                Op::Sleep(n) => {
                    if let Some(e) = x.event
                        && matches!(
                            events[e],
                            Event::Op {
                                out: Outcome::Ok(_),
                                ..
                            }
                        )
                        && iter_of(e) > 0
                    {
                        let deadline = x.start_t.saturating_add(*n);
                        queued.push(Queued {
                            kind: QueuedKind::Timer(x.task.clone(), x.at.clone(), deadline),
                            iteration: iter_of(e) - 1,
                            by_timer: true,
                            key: (deadline, 0),
                            cause: None,
                            runs: Some(e),
                        });
                    }
                }
                _ => {}
            }
        }
        self.queued = queued;
    }
}

/// Records every op of `block` (and nested blocks) with its enclosing blocks.
fn walk(task: &Arc<str>, block: &Block, anc: &mut Vec<(Arc<str>, Op)>, out: &mut OpTable) {
    for node in block {
        let info = OpInfo {
            task: task.clone(),
            at: node.at.clone(),
            op: shallow(&node.op),
            ancestors: anc.iter().map(|(a, _)| a.clone()).collect(),
            in_taskgroup: anc.iter().any(|(_, op)| matches!(op, Op::TaskGroup(_))),
            under_timeout: anc.iter().any(|(_, op)| {
                matches!(
                    op,
                    Op::Timeout {
                        timeout: Some(_),
                        ..
                    }
                )
            }),
            body_end: match &node.op {
                Op::Timeout { body, .. } | Op::TaskGroup(body) => body.last().map(|n| n.at.clone()),
                _ => None,
            },
            kind: OpKind::from_keyword(node.op.keyword()).expect("every op keyword is a kind"),
        };
        out.insert(info);
        let nested: Vec<&Block> = match &node.op {
            Op::Try {
                body,
                handlers,
                finally,
            } => std::iter::once(body)
                .chain(handlers.iter().map(|h| &h.body))
                .chain(finally.iter())
                .collect(),
            Op::Timeout { body, .. } | Op::TaskGroup(body) => vec![body],
            _ => Vec::new(),
        };
        if !nested.is_empty() {
            anc.push((node.at.clone(), shallow(&node.op)));
            for b in nested {
                walk(task, b, anc, out);
            }
            anc.pop();
        }
    }
}

/// The op with its nested blocks left empty.
fn shallow(op: &Op) -> Op {
    match op {
        Op::Try {
            handlers, finally, ..
        } => Op::Try {
            body: Vec::new(),
            handlers: handlers
                .iter()
                .map(|h| Handler {
                    ty: h.ty.clone(),
                    body: Vec::new(),
                })
                .collect(),
            finally: finally.as_ref().map(|_| Vec::new()),
        },
        Op::Timeout { timeout, .. } => Op::Timeout {
            timeout: *timeout,
            body: Vec::new(),
        },
        Op::TaskGroup(_) => Op::TaskGroup(Vec::new()),
        other => other.clone(),
    }
}
