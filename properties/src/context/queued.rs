//! Ready-queue entries, done-callback registrations and cancels, as the trace shows them.

use std::sync::Arc;

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
