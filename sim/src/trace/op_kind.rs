//! The op kinds a trace names in the `op` field of an `op` event.

use std::fmt;

/// The kind of an op (graph-format 2.5), as written in an `op` event's `"op"` field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OpKind {
    /// `spawn`: start a task.
    Spawn,
    /// `sleep`: `asyncio.sleep(N)`.
    Sleep,
    /// `await`: await a task or future.
    Await,
    /// `gather`: `asyncio.gather`.
    Gather,
    /// `wait`: `asyncio.wait`.
    Wait,
    /// `wait_for`: `asyncio.wait_for`.
    WaitFor,
    /// `shield`: `asyncio.shield`.
    Shield,
    /// `as_completed`: iterate `asyncio.as_completed`, logging `item` events.
    AsCompleted,
    /// `cancel`: `obj.cancel(msg)`.
    Cancel,
    /// `return`: return a value from the task body.
    Return,
    /// `raise`: raise an exception, or re-raise the handled one.
    Raise,
    /// `try`: `try` / `except` / `finally`.
    Try,
    /// `timeout`: `async with asyncio.timeout(N)`.
    Timeout,
    /// `taskgroup`: `async with asyncio.TaskGroup()`.
    Taskgroup,
    /// `future`: `loop.create_future()`.
    Future,
    /// `set_result`: `fut.set_result(V)`.
    SetResult,
    /// `set_exception`: `fut.set_exception(EXC)`.
    SetException,
    /// `add_done_callback`: register a labelled callback.
    AddDoneCallback,
    /// `done`: `obj.done()`.
    Done,
    /// `cancelled`: `obj.cancelled()`.
    Cancelled,
    /// `cancelling`: `task.cancelling()`.
    Cancelling,
    /// `uncancel`: `task.uncancel()`.
    Uncancel,
}

impl OpKind {
    /// Every kind, in the order of the graph-format op table.
    pub const ALL: [OpKind; 22] = [
        OpKind::Spawn,
        OpKind::Sleep,
        OpKind::Await,
        OpKind::Gather,
        OpKind::Wait,
        OpKind::WaitFor,
        OpKind::Shield,
        OpKind::AsCompleted,
        OpKind::Cancel,
        OpKind::Return,
        OpKind::Raise,
        OpKind::Try,
        OpKind::Timeout,
        OpKind::Taskgroup,
        OpKind::Future,
        OpKind::SetResult,
        OpKind::SetException,
        OpKind::AddDoneCallback,
        OpKind::Done,
        OpKind::Cancelled,
        OpKind::Cancelling,
        OpKind::Uncancel,
    ];

    /// The op keyword, as it appears in scenarios and traces (`"wait_for"`).
    pub const fn as_str(self) -> &'static str {
        match self {
            OpKind::Spawn => "spawn",
            OpKind::Sleep => "sleep",
            OpKind::Await => "await",
            OpKind::Gather => "gather",
            OpKind::Wait => "wait",
            OpKind::WaitFor => "wait_for",
            OpKind::Shield => "shield",
            OpKind::AsCompleted => "as_completed",
            OpKind::Cancel => "cancel",
            OpKind::Return => "return",
            OpKind::Raise => "raise",
            OpKind::Try => "try",
            OpKind::Timeout => "timeout",
            OpKind::Taskgroup => "taskgroup",
            OpKind::Future => "future",
            OpKind::SetResult => "set_result",
            OpKind::SetException => "set_exception",
            OpKind::AddDoneCallback => "add_done_callback",
            OpKind::Done => "done",
            OpKind::Cancelled => "cancelled",
            OpKind::Cancelling => "cancelling",
            OpKind::Uncancel => "uncancel",
        }
    }

    /// The kind whose keyword is `keyword`, if any.
    pub fn from_keyword(keyword: &str) -> Option<OpKind> {
        OpKind::ALL.into_iter().find(|k| k.as_str() == keyword)
    }
}

impl fmt::Display for OpKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
