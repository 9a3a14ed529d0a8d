//! Outcomes (graph-format 3.4) and op results: what the `out` and `run` fields carry.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use super::names::NameSet;
use crate::value::Value;

/// How an op, a task body or the run finished (graph-format 3.4).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// `{"ok":RES}`: completed normally with this result.
    Ok(Res),
    /// `{"return":V}`: control left through a `return` op (only in `op` events).
    Return(Value),
    /// `{"cancelled":MSG}`: raised `CancelledError`, with its message or `null`.
    Cancelled(Option<Arc<str>>),
    /// `{"err":TYPE,"msg":STR}`, plus `"excs":[...]` for an exception group.
    Err {
        /// The exception's bare class name.
        ty: Arc<str>,
        /// `str(e)` (for a group: its `message`); empty when there is none.
        msg: Arc<str>,
        /// The members of an exception group, in order; `None` for any other exception.
        excs: Option<Vec<Outcome>>,
    },
}

impl Outcome {
    /// `{"ok":null}`, the outcome of most ops.
    pub const OK_NULL: Outcome = Outcome::Ok(Res::Value(Value::Null));

    /// `{"ok":RES}`.
    pub fn ok(res: impl Into<Res>) -> Outcome {
        Outcome::Ok(res.into())
    }

    /// `{"err":TYPE,"msg":STR}`: an exception that is not a group.
    pub fn err(ty: impl Into<Arc<str>>, msg: impl Into<Arc<str>>) -> Outcome {
        Outcome::Err {
            ty: ty.into(),
            msg: msg.into(),
            excs: None,
        }
    }

    /// `{"err":TYPE,"msg":STR,"excs":[...]}`: an exception group and its members.
    pub fn group(ty: impl Into<Arc<str>>, msg: impl Into<Arc<str>>, excs: Vec<Outcome>) -> Outcome {
        Outcome::Err {
            ty: ty.into(),
            msg: msg.into(),
            excs: Some(excs),
        }
    }

    /// Whether this outcome is an exception (`cancelled` or `err`).
    pub fn is_exception(&self) -> bool {
        matches!(self, Outcome::Cancelled(_) | Outcome::Err { .. })
    }
}

/// The result of an op that completed (the `RES` of `{"ok":RES}`).
///
/// A list of plain values can be held either as `Res::Value(Value::List(..))` or as a
/// `Res::List` of `Res::Value`s; both render the same bytes and compare (and hash) equal.
/// [`Res::list`] and the reader pick the first form whenever a list holds no exception.
#[derive(Clone, Debug)]
pub enum Res {
    /// A scenario value.
    Value(Value),
    /// A list of results, such as a `gather` result that may hold exceptions.
    List(Vec<Res>),
    /// An exception inside a list (`gather` with `return_exceptions`), written as its outcome.
    Exc(Box<Outcome>),
    /// A `wait` result: `{"done":[...],"pending":[...]}`.
    Wait {
        /// Names of the awaited objects that are done.
        done: NameSet,
        /// Names of the awaited objects that are not done.
        pending: NameSet,
    },
}

impl Res {
    /// A list result; collapses to a plain [`Value::List`] when every item is a value.
    pub fn list(items: Vec<Res>) -> Res {
        if items.iter().all(|r| matches!(r, Res::Value(_))) {
            let values = items.into_iter().filter_map(|r| match r {
                Res::Value(v) => Some(v),
                _ => None,
            });
            Res::Value(Value::List(values.collect()))
        } else {
            Res::List(items)
        }
    }

    /// An exception entry of a list result.
    pub fn exc(outcome: Outcome) -> Res {
        Res::Exc(Box::new(outcome))
    }

    /// A `wait` result; each name set is sorted and deduplicated.
    pub fn wait(done: impl Into<NameSet>, pending: impl Into<NameSet>) -> Res {
        Res::Wait {
            done: done.into(),
            pending: pending.into(),
        }
    }
}

impl From<Value> for Res {
    fn from(value: Value) -> Res {
        Res::Value(value)
    }
}

impl PartialEq for Res {
    /// Equality of the rendered JSON: list representations do not matter.
    fn eq(&self, other: &Res) -> bool {
        nodes_eq(Node::Res(self), Node::Res(other))
    }
}

impl Eq for Res {}

impl Hash for Res {
    /// Consistent with `eq`: both list representations hash alike.
    fn hash<H: Hasher>(&self, state: &mut H) {
        hash_node(Node::Res(self), state);
    }
}

/// A position in a result tree: either a `Res` or a value nested in a `Value::List`.
#[derive(Clone, Copy)]
enum Node<'a> {
    Value(&'a Value),
    Res(&'a Res),
}

/// What a node renders as, with both list representations merged into `List`.
enum Shape<'a> {
    Scalar(&'a Value),
    List(Items<'a>),
    Exc(&'a Outcome),
    Wait(&'a NameSet, &'a NameSet),
}

/// The items of a list node, whichever representation holds them.
#[derive(Clone, Copy)]
enum Items<'a> {
    Values(&'a [Value]),
    Res(&'a [Res]),
}

impl<'a> Items<'a> {
    fn len(self) -> usize {
        match self {
            Items::Values(v) => v.len(),
            Items::Res(r) => r.len(),
        }
    }

    fn get(self, i: usize) -> Node<'a> {
        match self {
            Items::Values(v) => Node::Value(&v[i]),
            Items::Res(r) => Node::Res(&r[i]),
        }
    }
}

impl<'a> Node<'a> {
    fn shape(self) -> Shape<'a> {
        match self {
            Node::Value(Value::List(items)) => Shape::List(Items::Values(items)),
            Node::Value(v) => Shape::Scalar(v),
            Node::Res(Res::Value(v)) => Node::Value(v).shape(),
            Node::Res(Res::List(items)) => Shape::List(Items::Res(items)),
            Node::Res(Res::Exc(o)) => Shape::Exc(o),
            Node::Res(Res::Wait { done, pending }) => Shape::Wait(done, pending),
        }
    }
}

fn nodes_eq(a: Node<'_>, b: Node<'_>) -> bool {
    match (a.shape(), b.shape()) {
        (Shape::Scalar(x), Shape::Scalar(y)) => x == y,
        (Shape::List(x), Shape::List(y)) => {
            x.len() == y.len() && (0..x.len()).all(|i| nodes_eq(x.get(i), y.get(i)))
        }
        (Shape::Exc(x), Shape::Exc(y)) => x == y,
        (Shape::Wait(d1, p1), Shape::Wait(d2, p2)) => d1 == d2 && p1 == p2,
        _ => false,
    }
}

fn hash_node<H: Hasher>(node: Node<'_>, state: &mut H) {
    match node.shape() {
        Shape::Scalar(v) => {
            state.write_u8(0);
            v.hash(state);
        }
        Shape::List(items) => {
            state.write_u8(1);
            state.write_usize(items.len());
            for i in 0..items.len() {
                hash_node(items.get(i), state);
            }
        }
        Shape::Exc(o) => {
            state.write_u8(2);
            o.hash(state);
        }
        Shape::Wait(done, pending) => {
            state.write_u8(3);
            done.hash(state);
            pending.hash(state);
        }
    }
}
