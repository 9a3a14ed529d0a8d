//! What the run shows of each task and future: observations of its state at positions, and
//! how it was completed.

use std::sync::Arc;

use aiosim::State;
use aiosim_sim::graph::ExcSpec;
use aiosim_sim::trace::{CallbackState, Outcome};
use aiosim_sim::value::Value;

use super::{States, after, before, exc_outcome};

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
    /// Where ([`before`], [`after`], [`FINAL`](super::FINAL)).
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
