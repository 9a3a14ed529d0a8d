//! The typed form of a valid `aiosim-graph/1` scenario.
//!
//! Everything here has passed validation: references are resolved to indices, limits hold,
//! and every op carries its trace path (graph-format 3.3). Names are `Arc<str>` and the
//! whole graph is `Send + Sync`, so one parsed graph can be handed to several threads; a
//! thread that runs it many times is faster on its own copy ([`Graph::unshared`]).

use crate::trace::OpKind;
use std::sync::Arc;

use crate::value::Value;

/// A duration or timeout in virtual-clock ticks, from 0 to 10^12 (graph-format 2.5).
pub type Ticks = u64;

/// A scenario (graph-format 2.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Graph {
    /// The document's `name` (free text; not in the trace).
    pub name: Arc<str>,
    /// The document's `description`, if it has one.
    pub description: Option<Arc<str>>,
    /// Index in [`Graph::tasks`] of the task the runner starts (the document's `main`).
    pub main: usize,
    /// The task definitions, in document order. [`TaskRef::index`] points into this list.
    pub tasks: Vec<TaskDef>,
    /// The future names, numbered by their first appearance in a `future` op (in document
    /// order). [`FutureRef::index`] points into this list.
    pub futures: Vec<Arc<str>>,
    /// The expectations (graph-format 2.7), in document order; empty when absent.
    pub expect: Vec<Expectation>,
}

impl Graph {
    /// The definition of the task the runner starts.
    pub fn main_task(&self) -> &TaskDef {
        &self.tasks[self.main]
    }
}

/// A task definition: a name (a key of `tasks`) and the body that a task of that name runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskDef {
    /// The task's name, which is also the asyncio task object's name.
    pub name: Arc<str>,
    /// The task body.
    pub body: Block,
}

/// A list of ops: a task body, or the body of a `try`, handler, `finally`, `timeout` or
/// `taskgroup`.
pub type Block = Vec<OpNode>;

/// One op of a block, with its trace path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpNode {
    /// The op's path inside its task definition, as the trace's `at` field writes it
    /// (graph-format 3.3): `"3"`, `"3.try.0"`, `"3.except.CancelledError.1"`, ...
    pub at: Arc<str>,
    /// What the op does.
    pub op: Op,
}

/// An op (graph-format 2.5): one variant per kind, with its parameters (defaults applied).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    /// `{"spawn": TASK}`: start the task.
    Spawn(TaskRef),
    /// `{"sleep": N}`: `asyncio.sleep(N)`.
    Sleep(Ticks),
    /// `{"await": REF}`: await a task or future.
    Await(Ref),
    /// `{"gather": [REF, ...], "return_exceptions": bool}`: `asyncio.gather`.
    Gather {
        /// The awaited objects, in list order (duplicates kept).
        refs: Vec<Ref>,
        /// `return_exceptions` (default `false`).
        return_exceptions: bool,
    },
    /// `{"wait": [REF, ...], "return_when": ..., "timeout": N?}`: `asyncio.wait`.
    Wait {
        /// The awaited objects, in list order (at least one; duplicates kept).
        refs: Vec<Ref>,
        /// `return_when` (default `ALL_COMPLETED`).
        return_when: ReturnWhen,
        /// `timeout`; `None` (the default) for no timeout.
        timeout: Option<Ticks>,
    },
    /// `{"wait_for": REF, "timeout": N?}`: `asyncio.wait_for`.
    WaitFor {
        /// The awaited object.
        target: Ref,
        /// `timeout`; `None` for no timeout.
        timeout: Option<Ticks>,
    },
    /// `{"shield": REF}`: await `asyncio.shield(obj)`.
    Shield(Ref),
    /// `{"as_completed": [REF, ...], "timeout": N?}`: iterate `asyncio.as_completed`.
    AsCompleted {
        /// The awaited objects, in list order (duplicates kept).
        refs: Vec<Ref>,
        /// `timeout`; `None` (the default) for no timeout.
        timeout: Option<Ticks>,
    },
    /// `{"cancel": REF, "msg": STRING?}`: `obj.cancel(msg)`.
    Cancel {
        /// The object to cancel.
        target: Ref,
        /// The cancellation message; `None` (the default) for no message.
        msg: Option<Arc<str>>,
    },
    /// `{"return": V}`: return `V` from the task body.
    Return(Value),
    /// `{"raise": EXC}` raises a new exception; `{"raise": null}` (`None`) re-raises the
    /// exception of the lexically innermost enclosing handler.
    Raise(Option<ExcSpec>),
    /// `{"try": OPS, "except": [HANDLER, ...], "finally": OPS}`.
    Try {
        /// The guarded block.
        body: Block,
        /// The handlers, in list order (at least one unless there is a `finally`).
        handlers: Vec<Handler>,
        /// The `finally` block, if present (an empty one is present).
        finally: Option<Block>,
    },
    /// `{"timeout": N?, "do": OPS}`: `async with asyncio.timeout(N)`.
    Timeout {
        /// The delay; `None` for no timeout.
        timeout: Option<Ticks>,
        /// The block run under the timeout.
        body: Block,
    },
    /// `{"taskgroup": OPS}`: `async with asyncio.TaskGroup()`.
    TaskGroup(Block),
    /// `{"future": FUT}`: `loop.create_future()`, known by that name from then on.
    Future(FutureRef),
    /// `{"set_result": FUT, "value": V}`.
    SetResult {
        /// The future.
        future: FutureRef,
        /// The result.
        value: Value,
    },
    /// `{"set_exception": FUT, "exc": EXC}`.
    SetException {
        /// The future.
        future: FutureRef,
        /// The exception to set.
        exc: ExcSpec,
    },
    /// `{"add_done_callback": REF, "label": LABEL}`.
    AddDoneCallback {
        /// The object the callback is registered on.
        target: Ref,
        /// The label that the `callback` event shows.
        label: Arc<str>,
    },
    /// `{"done": REF}`: `obj.done()`.
    Done(Ref),
    /// `{"cancelled": REF}`: `obj.cancelled()`.
    Cancelled(Ref),
    /// `{"cancelling": TASK}`: `task.cancelling()`.
    Cancelling(TaskRef),
    /// `{"uncancel": TASK}`: `task.uncancel()`.
    Uncancel(TaskRef),
}

impl Op {
    /// The op's kind.
    pub fn kind(&self) -> OpKind {
        match self {
            Op::Spawn(_) => OpKind::Spawn,
            Op::Sleep(_) => OpKind::Sleep,
            Op::Await(_) => OpKind::Await,
            Op::Gather { .. } => OpKind::Gather,
            Op::Wait { .. } => OpKind::Wait,
            Op::WaitFor { .. } => OpKind::WaitFor,
            Op::Shield(_) => OpKind::Shield,
            Op::AsCompleted { .. } => OpKind::AsCompleted,
            Op::Cancel { .. } => OpKind::Cancel,
            Op::Return(_) => OpKind::Return,
            Op::Raise(_) => OpKind::Raise,
            Op::Try { .. } => OpKind::Try,
            Op::Timeout { .. } => OpKind::Timeout,
            Op::TaskGroup(_) => OpKind::Taskgroup,
            Op::Future(_) => OpKind::Future,
            Op::SetResult { .. } => OpKind::SetResult,
            Op::SetException { .. } => OpKind::SetException,
            Op::AddDoneCallback { .. } => OpKind::AddDoneCallback,
            Op::Done(_) => OpKind::Done,
            Op::Cancelled(_) => OpKind::Cancelled,
            Op::Cancelling(_) => OpKind::Cancelling,
            Op::Uncancel(_) => OpKind::Uncancel,
        }
    }

    /// The op keyword, as the document and the trace's `op` field write it (`"wait_for"`).
    pub fn keyword(&self) -> &'static str {
        self.kind().as_str()
    }
}

/// `asyncio.wait`'s `return_when`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReturnWhen {
    /// `"ALL_COMPLETED"` (the default).
    AllCompleted,
    /// `"FIRST_COMPLETED"`.
    FirstCompleted,
    /// `"FIRST_EXCEPTION"`.
    FirstException,
}

impl ReturnWhen {
    /// The constant's name as the document writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            ReturnWhen::AllCompleted => "ALL_COMPLETED",
            ReturnWhen::FirstCompleted => "FIRST_COMPLETED",
            ReturnWhen::FirstException => "FIRST_EXCEPTION",
        }
    }
}

/// A reference to a task definition, resolved at validation time.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TaskRef {
    /// Index in [`Graph::tasks`].
    pub index: usize,
    /// The task's name, for messages and the trace.
    pub name: Arc<str>,
}

/// A reference to a future name, resolved at validation time.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FutureRef {
    /// Index in [`Graph::futures`].
    pub index: usize,
    /// The future's name, for messages and the trace.
    pub name: Arc<str>,
}

/// A reference to an awaitable: a task or a future (graph-format 2.3).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Ref {
    /// A task name.
    Task(TaskRef),
    /// A future name.
    Future(FutureRef),
}

impl Ref {
    /// The name as the document wrote it.
    pub fn name(&self) -> &Arc<str> {
        match self {
            Ref::Task(task) => &task.name,
            Ref::Future(future) => &future.name,
        }
    }
}

/// An exception to build (`EXC`, graph-format 2.5): `Cls()` or `Cls(msg)`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ExcSpec {
    /// The exception type's name (never `Exception`, `BaseException`, `ExceptionGroup` or
    /// `BaseExceptionGroup`).
    pub ty: Arc<str>,
    /// The message; `None` when absent or `null`.
    pub msg: Option<Arc<str>>,
}

/// An except handler of a `try` (`{"type": TYPE, "do": OPS}`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Handler {
    /// The exception type name it catches (matching rules: graph-format 4.6).
    pub ty: Arc<str>,
    /// The block run with the caught exception.
    pub body: Block,
}

/// One entry of `expect` (graph-format 2.7).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expectation {
    /// `{"task": TASK, "end": OUTCOME}`: the task has an `end` event with this outcome.
    End {
        /// The task.
        task: TaskRef,
        /// The expected `out` of its `end` event.
        outcome: ExpectedOutcome,
    },
    /// `{"task": TASK, "end_in": [OUTCOME, ...]}`: the task has an `end` event with one of
    /// these outcomes.
    EndIn {
        /// The task.
        task: TaskRef,
        /// The accepted outcomes (1 to 64).
        outcomes: Vec<ExpectedOutcome>,
    },
    /// `{"run": OUTCOME}`: the `finish` line's `run` is this outcome.
    Run(ExpectedOutcome),
    /// `{"run_in": [OUTCOME, ...]}`: the `finish` line's `run` is one of these (1 to 64).
    RunIn(Vec<ExpectedOutcome>),
    /// `{"deadlock": BOOL}`: the `finish` line's `deadlock` is this.
    Deadlock(bool),
}

/// An outcome as an expectation writes it (graph-format 2.7 and 3.4; never the `return`
/// form). Two outcomes hold the same when their JSON forms are equal.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ExpectedOutcome {
    /// `{"ok": V}`.
    Ok(Value),
    /// `{"cancelled": MSG}`; `None` for `null`.
    Cancelled(Option<Arc<str>>),
    /// `{"err": TYPE, "msg": STR}`, or with `"excs": [OUTCOME, ...]` for an exception group.
    Err {
        /// The exception type name.
        ty: Arc<str>,
        /// The rendered message (`""` for none).
        msg: Arc<str>,
        /// The group's members (a non-empty list), when the form has `excs`.
        excs: Option<Vec<ExpectedOutcome>>,
    },
}
