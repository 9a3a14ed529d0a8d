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

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use rustc_hash::FxHashSet;

use aiosim::Level;
use aiosim_sim::graph::{Graph, Op, Ref};
use aiosim_sim::interp::RunReport;
use aiosim_sim::trace::{Event, OpKind, Outcome};

use crate::oracles::gather::model::Model as CombinatorModel;
use crate::oracles::task::counts::Counts;

mod build;
mod fn_oracle;
mod names;
mod objects;
mod outcomes;
mod pair_map;
mod positions;
mod queued;
mod scenario;
mod steps;

pub use fn_oracle::finding;
pub(crate) use fn_oracle::{combinator_oracle, oracle};
pub use names::NameMap;
pub use objects::{CompletedBy, Completion, ObjectModel, Observation, Shown};
pub use outcomes::{
    INJECTED, as_int, exc_outcome, is_bool, is_injected, name_error, show_msg, unresolved,
};
pub use pair_map::PairMap;
pub use positions::{FINAL, States, after, before, event_of};
pub use queued::{CancelOp, Queued, QueuedKind, Registration};
pub use scenario::{OpTable, ScenarioModel};
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
}
