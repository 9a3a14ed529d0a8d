//! Exceptions as values.
//!
//! asyncio passes exception *objects* around: the same object reaches every awaiter of a failed
//! task (TASK-16), a cancelled task hands its saved `CancelledError` to its first consumer only
//! (TASK-14c), and a `TaskGroup` collects several into a group (TG-3). [`Exception`] models that:
//! a cheap-to-clone shared object with a type name, an optional message, member exceptions for
//! groups and an optional cause. Clones are the *same* object ([`Exception::is_same`]).

mod spare;

use std::fmt;
use std::rc::Rc;

/// The type name of an exception: a built-in one or a user-defined name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExcType {
    /// `asyncio.CancelledError` (a `BaseException`, not caught by `except Exception`).
    Cancelled,
    /// The built-in `TimeoutError`, raised by `timeout`, `wait_for` and `as_completed`.
    Timeout,
    /// `asyncio.InvalidStateError`: an operation on a future in the wrong state (FUT-3, FUT-4).
    InvalidState,
    /// `RuntimeError`: misuse such as a task awaiting itself (TASK-10).
    Runtime,
    /// `ValueError` (e.g. `wait` of nothing, WAIT-5).
    Value,
    /// `TypeError` (e.g. a bad argument to `wait`, WAIT-5).
    Type,
    /// `ExceptionGroup`, produced by `TaskGroup` (TG-3).
    Group,
    /// Any other exception class, by name (derived from `Exception`).
    Other(Rc<str>),
}

impl ExcType {
    /// The class name as Python's `type(e).__name__` would print it.
    pub fn name(&self) -> &str {
        match self {
            ExcType::Cancelled => "CancelledError",
            ExcType::Timeout => "TimeoutError",
            ExcType::InvalidState => "InvalidStateError",
            ExcType::Runtime => "RuntimeError",
            ExcType::Value => "ValueError",
            ExcType::Type => "TypeError",
            ExcType::Group => "ExceptionGroup",
            ExcType::Other(name) => name,
        }
    }

    /// The type for a class name: built-in names map to their variants, others to `Other`.
    pub fn from_name(name: &str) -> ExcType {
        match name {
            "CancelledError" => ExcType::Cancelled,
            "TimeoutError" => ExcType::Timeout,
            "InvalidStateError" => ExcType::InvalidState,
            "RuntimeError" => ExcType::Runtime,
            "ValueError" => ExcType::Value,
            "TypeError" => ExcType::Type,
            "ExceptionGroup" => ExcType::Group,
            other => ExcType::Other(Rc::from(other)),
        }
    }
}

struct ExcObject {
    ty: ExcType,
    /// The constructor argument, if any. `CancelledError()` and `CancelledError("")` differ
    /// (graph-format quirk 2), so "no argument" is kept apart from the empty string.
    msg: Option<Rc<str>>,
    /// Member exceptions of a group, in order.
    members: Vec<Exception>,
    /// `__cause__`: the exception this one was raised from (e.g. the `CancelledError` behind a
    /// `TimeoutError`, TMO-1).
    cause: Option<Exception>,
}

/// An exception object. Cloning shares the object; [`Exception::is_same`] tells identity.
#[derive(Clone)]
pub struct Exception(Rc<ExcObject>);

impl Exception {
    /// A new exception of type `ty` with an optional message.
    pub fn new(ty: ExcType, msg: Option<&str>) -> Exception {
        Exception::build(ty, msg.map(Rc::from), Vec::new(), None)
    }

    fn build(
        ty: ExcType,
        msg: Option<Rc<str>>,
        members: Vec<Exception>,
        cause: Option<Exception>,
    ) -> Exception {
        Exception(spare::object(ExcObject {
            ty,
            msg,
            members,
            cause,
        }))
    }

    /// A user-defined exception class `name` (derived from `Exception`) with an optional message.
    pub fn custom(name: &str, msg: Option<&str>) -> Exception {
        Exception::new(ExcType::from_name(name), msg)
    }

    /// `asyncio.CancelledError(msg)`, or `CancelledError()` when `msg` is `None`.
    pub fn cancelled(msg: Option<Rc<str>>) -> Exception {
        Exception(spare::cancelled(msg))
    }

    /// `TimeoutError()` raised from `cause` (TMO-1, WAITFOR-2).
    pub fn timeout_from(cause: Option<Exception>) -> Exception {
        Exception::build(ExcType::Timeout, None, Vec::new(), cause)
    }

    /// `InvalidStateError` with CPython's message for completing a done future (FUT-3).
    pub fn invalid_state(msg: &str) -> Exception {
        Exception::new(ExcType::InvalidState, Some(msg))
    }

    /// `RuntimeError(msg)`.
    pub fn runtime(msg: &str) -> Exception {
        Exception::new(ExcType::Runtime, Some(msg))
    }

    /// `ExceptionGroup(msg, members)` (TG-3).
    pub fn group(msg: &str, members: Vec<Exception>) -> Exception {
        Exception::build(ExcType::Group, Some(Rc::from(msg)), members, None)
    }

    /// The exception's type.
    pub fn ty(&self) -> &ExcType {
        &self.0.ty
    }

    /// The class name (`type(e).__name__`).
    pub fn type_name(&self) -> &str {
        self.0.ty.name()
    }

    /// The constructor argument, if one was given.
    pub fn msg(&self) -> Option<&Rc<str>> {
        self.0.msg.as_ref()
    }

    /// `str(e)` for non-group exceptions: the message, or the empty string.
    pub fn message(&self) -> &str {
        self.0.msg.as_deref().unwrap_or("")
    }

    /// Member exceptions of a group, in order (empty for other exceptions).
    pub fn members(&self) -> &[Exception] {
        &self.0.members
    }

    /// `__cause__`, if the exception was raised from another.
    pub fn cause(&self) -> Option<&Exception> {
        self.0.cause.as_ref()
    }

    /// True for `asyncio.CancelledError`.
    pub fn is_cancelled(&self) -> bool {
        self.0.ty == ExcType::Cancelled
    }

    /// True for exception groups.
    pub fn is_group(&self) -> bool {
        self.0.ty == ExcType::Group
    }

    /// True if `self` and `other` are the very same object (Python's `is`).
    pub fn is_same(&self, other: &Exception) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

/// The last reference to an object empties it (its message, members and cause go now) and
/// keeps it for the next exception built (the thread's spare objects).
impl Drop for Exception {
    fn drop(&mut self) {
        if let Some(object) = Rc::get_mut(&mut self.0) {
            object.ty = ExcType::Cancelled;
            object.msg = None;
            object.members.clear();
            object.cause = None;
            spare::keep(&self.0);
        }
    }
}

impl fmt::Debug for Exception {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}(", self.type_name())?;
        if let Some(m) = &self.0.msg {
            write!(f, "{m:?}")?;
        }
        if !self.0.members.is_empty() {
            write!(f, ", {:?}", self.0.members)?;
        }
        write!(f, ")")
    }
}

impl fmt::Display for Exception {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.type_name(), self.message())
    }
}

impl std::error::Error for Exception {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_are_the_same_object_and_new_ones_are_not() {
        let a = Exception::custom("Boom", Some("x"));
        let b = a.clone();
        assert!(a.is_same(&b));
        assert!(!a.is_same(&Exception::custom("Boom", Some("x"))));
    }

    #[test]
    fn cancelled_without_and_with_empty_message_differ() {
        assert_eq!(Exception::cancelled(None).msg(), None);
        assert_eq!(
            Exception::cancelled(Some(Rc::from(""))).msg().map(|m| &**m),
            Some("")
        );
    }

    #[test]
    fn a_dropped_exception_lets_go_of_its_message_and_cause_at_once() {
        let msg: Rc<str> = Rc::from("why");
        let inner = Exception::cancelled(Some(msg.clone()));
        let outer = Exception::timeout_from(Some(inner));
        let group = Exception::group("g", vec![outer]);
        assert_eq!(Rc::strong_count(&msg), 2);
        drop(group);
        assert_eq!(Rc::strong_count(&msg), 1);
    }

    #[test]
    fn a_dropped_object_is_reused_and_a_live_one_never_is() {
        let dropped = Exception::cancelled(None);
        let address = Rc::as_ptr(&dropped.0);
        let live = Exception::custom("Boom", Some("x"));
        let shared = live.clone();
        drop(dropped);
        drop(shared);
        let next = Exception::cancelled(Some(Rc::from("m")));
        assert_eq!(Rc::as_ptr(&next.0), address, "the emptied object is reused");
        assert_eq!(next.msg().map(|m| &**m), Some("m"));
        assert!(next.members().is_empty() && next.cause().is_none());
        let more: Vec<Exception> = (0..100).map(|_| Exception::cancelled(None)).collect();
        assert!(more.iter().all(|e| !e.is_same(&live) && !e.is_same(&next)));
        assert_eq!(live.message(), "x");
    }

    #[test]
    fn a_reused_object_takes_every_field_of_the_new_exception() {
        let inner = Exception::custom("Inner", None);
        drop(Exception::group(
            "first",
            vec![inner.clone(), inner.clone()],
        ));
        let group = Exception::group("second", vec![inner.clone()]);
        assert_eq!(group.members().len(), 1);
        assert!(group.members()[0].is_same(&inner));
        drop(group);
        let timeout = Exception::timeout_from(Some(inner.clone()));
        assert_eq!(timeout.type_name(), "TimeoutError");
        assert!(timeout.members().is_empty() && timeout.msg().is_none());
        assert!(timeout.cause().is_some_and(|c| c.is_same(&inner)));
        drop(timeout);
        let cancelled = Exception::cancelled(None);
        assert!(cancelled.is_cancelled() && cancelled.msg().is_none());
        assert!(cancelled.members().is_empty() && cancelled.cause().is_none());
    }

    #[test]
    fn builtin_names_round_trip() {
        for n in [
            "CancelledError",
            "TimeoutError",
            "InvalidStateError",
            "RuntimeError",
            "Oops",
        ] {
            assert_eq!(ExcType::from_name(n).name(), n);
        }
    }
}
