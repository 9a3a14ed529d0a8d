//! The proptest strategies of [`GraphSpec`]s: values, exceptions, op trees, task bodies and
//! the plan.

use std::ops::RangeInclusive;

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;

use super::spec::{
    ExcSpec, FutureSpec, GraphSpec, HandlerSpec, MAX_TICKS, OpSpec, Pick, ReturnWhenSpec, SetSpec,
    TaskSpec, ValueSpec,
};

/// The sizes of the graphs a strategy draws.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shape {
    /// Number of task definitions, `main` included.
    pub tasks: RangeInclusive<usize>,
    /// Number of future names.
    pub futures: RangeInclusive<usize>,
    /// Most ops of a task body (not counting the plan's spawns and future ops).
    pub body: usize,
    /// Most ops of a nested block (`try` body, handler, `finally`, `timeout`, `taskgroup`).
    pub block: usize,
    /// Most handlers of a `try`.
    pub handlers: usize,
    /// Deepest nesting of blocks (0: no block ops at all).
    pub depth: u32,
    /// Most entries of a `gather`, `wait` or `as_completed` list.
    pub list: usize,
    /// Durations and timeouts are drawn from `0..=ticks` (and rarely 10^12).
    pub ticks: u64,
}

impl Default for Shape {
    /// Up to 5 tasks, 3 futures, bodies of up to 6 ops and blocks nested 3 deep.
    fn default() -> Shape {
        Shape {
            tasks: 1..=5,
            futures: 0..=3,
            body: 6,
            block: 3,
            handlers: 2,
            depth: 3,
            list: 4,
            ticks: 5,
        }
    }
}

impl Shape {
    /// Graphs small enough for exhaustive exploration: up to 3 tasks with 3 ops each, one
    /// future, blocks 1 deep with at most 2 ops.
    pub fn small() -> Shape {
        Shape {
            tasks: 1..=3,
            futures: 0..=1,
            body: 3,
            block: 2,
            handlers: 1,
            depth: 1,
            list: 2,
            ticks: 3,
        }
    }

    /// Smaller still: for level 3, whose deferrals multiply the schedules. Up to 2 tasks,
    /// blocks of 1 op and durations of at most 2 ticks; otherwise [`Shape::small`].
    pub fn tiny() -> Shape {
        Shape {
            tasks: 1..=2,
            block: 1,
            ticks: 2,
            ..Shape::small()
        }
    }
}

/// Strings of values and messages: empty, plain, and some that need escaping.
const STRINGS: [&str; 7] = ["", "a", "b", "done", "x\"y\\z", "é ü", "line\nbreak"];

/// Exception types for `raise` and `set_exception`.
const RAISED: [&str; 9] = [
    "ValueError",
    "Boom",
    "KeyError",
    "CancelledError",
    "TimeoutError",
    "RuntimeError",
    "InvalidStateError",
    "ScenarioError",
    "KeyboardInterrupt",
];

/// Handler types: the catch-alls, the runtime's own exceptions and scenario names.
const CAUGHT: [&str; 10] = [
    "Exception",
    "BaseException",
    "CancelledError",
    "TimeoutError",
    "ValueError",
    "Boom",
    "InvalidStateError",
    "ScenarioError",
    "RuntimeError",
    "ExceptionGroup",
];

fn pick() -> impl Strategy<Value = Pick> + Clone {
    any::<u8>().prop_map(Pick)
}

/// A selector that is mostly 0: the first position of a body, or `main`.
fn mostly_first() -> impl Strategy<Value = Pick> + Clone {
    prop_oneof![5 => Just(Pick(0)), 1 => pick()]
}

fn text() -> impl Strategy<Value = &'static str> + Clone {
    prop::sample::select(&STRINGS[..])
}

fn message() -> impl Strategy<Value = Option<&'static str>> + Clone {
    prop_oneof![
        2 => Just(None),
        3 => prop::sample::select(&["a", "b", "m", ""][..]).prop_map(Some),
        1 => text().prop_map(Some),
    ]
}

/// A scenario value, at most 2 lists deep.
pub fn values() -> impl Strategy<Value = ValueSpec> + Clone {
    let leaf = prop_oneof![
        Just(ValueSpec::Null),
        (-3i64..=3).prop_map(ValueSpec::Int),
        any::<bool>().prop_map(ValueSpec::Bool),
        text().prop_map(ValueSpec::Str),
        prop::sample::select(&[i64::MIN, i64::MAX, 1 << 53][..]).prop_map(ValueSpec::Int),
    ];
    leaf.prop_recursive(2, 6, 3, |inner| vec(inner, 0..=3).prop_map(ValueSpec::List))
}

/// An exception object of `raise` / `set_exception`.
pub fn exceptions() -> impl Strategy<Value = ExcSpec> + Clone {
    (prop::sample::select(&RAISED[..]), message()).prop_map(|(ty, msg)| ExcSpec { ty, msg })
}

fn duration(max: u64) -> BoxedStrategy<u64> {
    prop_oneof![
        30 => 0..=max,
        1 => Just(MAX_TICKS),
    ]
    .boxed()
}

fn timeout(max: u64) -> BoxedStrategy<Option<u64>> {
    prop_oneof![
        2 => Just(None),
        1 => Just(Some(0)),
        6 => (1..=max.max(1) + 1).prop_map(Some),
        1 => Just(Some(MAX_TICKS)),
    ]
    .boxed()
}

/// The ops without nested blocks (19 kinds), `sleep` first so that shrinking turns ops into
/// sleeps.
pub fn leaf_ops(shape: &Shape) -> BoxedStrategy<OpSpec> {
    let list = shape.list;
    let ticks = shape.ticks;
    prop_oneof![
        8 => duration(ticks).prop_map(OpSpec::Sleep),
        1 => pick().prop_map(OpSpec::Spawn),
        8 => pick().prop_map(OpSpec::Await),
        4 => (vec(pick(), 0..=list), option::of(any::<bool>())).prop_map(|(refs, re)| {
            OpSpec::Gather { refs, return_exceptions: re }
        }),
        4 => (
            vec(pick(), 1..=list.max(1)),
            option::of(prop_oneof![
                Just(ReturnWhenSpec::All),
                Just(ReturnWhenSpec::FirstCompleted),
                Just(ReturnWhenSpec::FirstException),
            ]),
            timeout(ticks + 1),
        )
            .prop_map(|(refs, return_when, timeout)| OpSpec::Wait { refs, return_when, timeout }),
        4 => (pick(), timeout(ticks + 1))
            .prop_map(|(target, timeout)| OpSpec::WaitFor { target, timeout }),
        3 => pick().prop_map(OpSpec::Shield),
        3 => (vec(pick(), 0..=list), timeout(ticks + 1))
            .prop_map(|(refs, timeout)| OpSpec::AsCompleted { refs, timeout }),
        6 => (pick(), message()).prop_map(|(target, msg)| OpSpec::Cancel { target, msg }),
        2 => values().prop_map(OpSpec::Return),
        3 => option::weighted(0.6, exceptions()).prop_map(OpSpec::Raise),
        1 => pick().prop_map(OpSpec::Future),
        3 => (pick(), values()).prop_map(|(future, value)| OpSpec::SetResult { future, value }),
        2 => (pick(), exceptions()).prop_map(|(future, exc)| OpSpec::SetException { future, exc }),
        3 => (pick(), 0u8..4).prop_map(|(target, label)| OpSpec::AddDoneCallback { target, label }),
        2 => pick().prop_map(OpSpec::Done),
        2 => pick().prop_map(OpSpec::Cancelled),
        2 => pick().prop_map(OpSpec::Cancelling),
        2 => pick().prop_map(OpSpec::Uncancel),
    ]
    .boxed()
}

/// Any op: a leaf, or a `try` / `timeout` / `taskgroup` block holding op trees, nested at
/// most `shape.depth` deep.
pub fn op_trees(shape: &Shape) -> BoxedStrategy<OpSpec> {
    let leaf = leaf_ops(shape);
    if shape.depth == 0 {
        return leaf;
    }
    let (block, handlers, ticks) = (shape.block, shape.handlers, shape.ticks);
    let size = 2 * shape.block as u32 + 2;
    leaf.prop_recursive(shape.depth, size, shape.block as u32, move |inner| {
        let body = vec(inner.clone(), 0..=block);
        let handler = (
            prop::sample::select(&CAUGHT[..]),
            vec(inner.clone(), 0..=block),
        )
            .prop_map(|(ty, body)| HandlerSpec { ty, body });
        prop_oneof![
            6 => (
                body.clone(),
                vec(handler, 0..=handlers.max(1)),
                option::weighted(0.4, vec(inner, 0..=block)),
            )
                .prop_map(|(body, handlers, finally)| OpSpec::Try { body, handlers, finally }),
            4 => (timeout(ticks + 2), body.clone())
                .prop_map(|(timeout, body)| OpSpec::Timeout { timeout, body }),
            3 => body.prop_map(OpSpec::TaskGroup),
        ]
    })
    .boxed()
}

fn set_specs() -> impl Strategy<Value = SetSpec> {
    prop_oneof![
        3 => values().prop_map(SetSpec::Result),
        1 => exceptions().prop_map(SetSpec::Exception),
    ]
}

/// Graphs of `shape` (see [`GraphSpec`] for how they stay valid).
pub fn graphs(shape: Shape) -> impl Strategy<Value = GraphSpec> {
    let ops = op_trees(&shape);
    let task = (
        vec(ops, 0..=shape.body),
        option::weighted(0.95, (mostly_first(), mostly_first())),
    )
        .prop_map(|(body, spawn)| TaskSpec { body, spawn });
    let future = (
        option::weighted(0.1, (pick(), pick())),
        option::weighted(0.8, (pick(), pick(), set_specs())),
    )
        .prop_map(|(create, set)| FutureSpec { create, set });
    (
        vec(task, shape.tasks.clone()),
        vec(future, shape.futures.clone()),
    )
        .prop_map(|(tasks, futures)| GraphSpec { tasks, futures })
}
