//! Trace events (graph-format 3.2): one variant per kind of line.

use std::sync::Arc;

use super::names::NameSet;
use super::op_kind::OpKind;
use super::outcome::Outcome;

/// The state a done callback observes (`"state"` of a `callback` line).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CallbackState {
    /// The object finished with a result.
    Ok,
    /// The object finished with an exception (including a `CancelledError` set on a future).
    Err,
    /// The object is cancelled.
    Cancelled,
}

impl CallbackState {
    /// The string the trace writes: `"ok"`, `"err"` or `"cancelled"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            CallbackState::Ok => "ok",
            CallbackState::Err => "err",
            CallbackState::Cancelled => "cancelled",
        }
    }

    /// The state written as `s`, if any.
    pub fn from_name(s: &str) -> Option<CallbackState> {
        match s {
            "ok" => Some(CallbackState::Ok),
            "err" => Some(CallbackState::Err),
            "cancelled" => Some(CallbackState::Cancelled),
            _ => None,
        }
    }
}

/// One line of a canonical trace. `t` is the virtual time in ticks when it was emitted.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Event {
    /// `{"t":T,"task":NAME,"ev":"start"}`: a task's first step begins.
    Start {
        /// Virtual time.
        t: u64,
        /// The task.
        task: Arc<str>,
    },
    /// `{"t":T,"task":NAME,"ev":"op","at":PATH,"op":KIND,"out":OUTCOME}`: control left an op.
    Op {
        /// Virtual time.
        t: u64,
        /// The task whose body holds the op.
        task: Arc<str>,
        /// The op's path in its task definition (graph-format 3.3), such as `"3.try.0"`.
        at: Arc<str>,
        /// The op's kind.
        op: OpKind,
        /// How control left the op.
        out: Outcome,
    },
    /// `{"t":T,"task":NAME,"ev":"item","at":PATH,"i":INDEX,"out":OUTCOME}`: one result taken
    /// from `as_completed`.
    Item {
        /// Virtual time.
        t: u64,
        /// The task running the `as_completed` op.
        task: Arc<str>,
        /// The path of the `as_completed` op.
        at: Arc<str>,
        /// The item's index, counting from 0.
        i: u64,
        /// The item's result or exception.
        out: Outcome,
    },
    /// `{"t":T,"task":NAME,"ev":"end","out":OUTCOME}`: a task's body finished.
    End {
        /// Virtual time.
        t: u64,
        /// The task.
        task: Arc<str>,
        /// How the body finished.
        out: Outcome,
    },
    /// `{"t":T,"ev":"callback","of":REF,"label":LABEL,"state":STATE}`: a done callback ran.
    Callback {
        /// Virtual time.
        t: u64,
        /// The reference the callback was registered on.
        of: Arc<str>,
        /// The callback's label.
        label: Arc<str>,
        /// The state of the object the callback observed.
        state: CallbackState,
    },
    /// `{"t":T,"ev":"finish","run":OUTCOME_OR_NULL,"deadlock":BOOL,"tasks_pending":[...],
    /// "futures_pending":[...]}`: the last line of every complete trace.
    Finish {
        /// Virtual time.
        t: u64,
        /// The outcome of the run, `None` when it deadlocked before `main` was done.
        run: Option<Outcome>,
        /// Whether the run ended by deadlock.
        deadlock: bool,
        /// Spawned tasks not done at the end.
        tasks_pending: NameSet,
        /// Created futures not done at the end.
        futures_pending: NameSet,
    },
}

impl Event {
    /// The virtual time at which the event was emitted.
    pub fn t(&self) -> u64 {
        match self {
            Event::Start { t, .. }
            | Event::Op { t, .. }
            | Event::Item { t, .. }
            | Event::End { t, .. }
            | Event::Callback { t, .. }
            | Event::Finish { t, .. } => *t,
        }
    }

    /// The task whose step emitted the event; `None` for `callback` and `finish`.
    pub fn task(&self) -> Option<&Arc<str>> {
        match self {
            Event::Start { task, .. }
            | Event::Op { task, .. }
            | Event::Item { task, .. }
            | Event::End { task, .. } => Some(task),
            Event::Callback { .. } | Event::Finish { .. } => None,
        }
    }

    /// The `ev` field: `"start"`, `"op"`, `"item"`, `"end"`, `"callback"` or `"finish"`.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::Start { .. } => "start",
            Event::Op { .. } => "op",
            Event::Item { .. } => "item",
            Event::End { .. } => "end",
            Event::Callback { .. } => "callback",
            Event::Finish { .. } => "finish",
        }
    }
}
