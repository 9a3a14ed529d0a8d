//! Scenario values (graph-format 2.4): what `return`, `set_result` and expectations carry.

use std::sync::Arc;

/// A scenario value: `null`, a boolean, a signed 64-bit integer, a string, or a list of values.
///
/// Cheap to clone (strings and lists are shared), and `Send + Sync` so one parsed graph can be
/// shared by exploration workers on several threads.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Value {
    /// JSON `null`.
    Null,
    /// JSON `true` / `false`.
    Bool(bool),
    /// An integer in the signed 64-bit range.
    Int(i64),
    /// A string (at most 1024 code points in a document; runtime strings may be longer).
    Str(Arc<str>),
    /// A list of values.
    List(Arc<[Value]>),
}
