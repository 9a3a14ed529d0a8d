//! The model back to a document: [`graph_to_json`] writes a parsed [`Graph`] as an
//! `aiosim-graph/1` document that parses back to the same model (up to the numbering of
//! futures, see [`same_model`]).
//!
//! Defaults are written out (`"return_exceptions": false`, `"timeout": null`, `"msg": null`),
//! `finally` only when present, keys in the order of graph-format 2.5.

use aiosim_sim::graph::{
    Block, ExcSpec, Expectation, ExpectedOutcome, Graph, Handler, Op, OpNode, Ref,
};
use aiosim_sim::value::Value;

use super::json::J;

/// The document of `graph`, in the layout of the shipped examples.
pub fn graph_to_json(graph: &Graph) -> String {
    graph_tree(graph).document()
}

/// The document of `graph` as a JSON tree.
pub fn graph_tree(graph: &Graph) -> J {
    let mut doc = vec![
        ("format".to_owned(), J::s("aiosim-graph/1")),
        ("name".to_owned(), J::s(&*graph.name)),
    ];
    if let Some(d) = &graph.description {
        doc.push(("description".to_owned(), J::s(&**d)));
    }
    doc.push(("main".to_owned(), J::s(&*graph.main_task().name)));
    let tasks = graph
        .tasks
        .iter()
        .map(|t| (t.name.to_string(), block(&t.body)))
        .collect();
    doc.push(("tasks".to_owned(), J::Obj(tasks)));
    if !graph.expect.is_empty() {
        let expect = graph.expect.iter().map(expectation).collect();
        doc.push(("expect".to_owned(), J::Arr(expect)));
    }
    J::Obj(doc)
}

/// Whether two models are the same scenario: equal once the futures of `a` are renumbered in
/// the order of `b`. The model numbers futures by their first `future` op in *document
/// order*, which depends on the key order inside op objects (`{"finally": ..., "try": ...}`
/// meets the `finally` block first), so a writer with a fixed key order may renumber them.
pub fn same_model(a: &Graph, b: &Graph) -> bool {
    let mut x = a.futures.clone();
    let mut y = b.futures.clone();
    x.sort();
    y.sort();
    if x != y {
        return false;
    }
    if a.futures == b.futures {
        return a == b;
    }
    let mut renumbered = a.clone();
    renumbered.futures = b.futures.clone();
    let index = |name: &str| {
        b.futures
            .iter()
            .position(|f| &**f == name)
            .expect("same future names")
    };
    for task in &mut renumbered.tasks {
        renumber_block(&mut task.body, &index);
    }
    renumbered == *b
}

fn renumber_block(block: &mut Block, index: &impl Fn(&str) -> usize) {
    for node in block {
        renumber_op(&mut node.op, index);
    }
}

fn renumber_ref(r: &mut Ref, index: &impl Fn(&str) -> usize) {
    if let Ref::Future(f) = r {
        f.index = index(&f.name);
    }
}

fn renumber_op(op: &mut Op, index: &impl Fn(&str) -> usize) {
    match op {
        Op::Await(r)
        | Op::Shield(r)
        | Op::Done(r)
        | Op::Cancelled(r)
        | Op::WaitFor { target: r, .. }
        | Op::Cancel { target: r, .. }
        | Op::AddDoneCallback { target: r, .. } => renumber_ref(r, index),
        Op::Gather { refs, .. } | Op::Wait { refs, .. } | Op::AsCompleted { refs, .. } => {
            for r in refs {
                renumber_ref(r, index);
            }
        }
        Op::Future(f) | Op::SetResult { future: f, .. } | Op::SetException { future: f, .. } => {
            f.index = index(&f.name);
        }
        Op::Try {
            body,
            handlers,
            finally,
        } => {
            renumber_block(body, index);
            for h in handlers {
                renumber_block(&mut h.body, index);
            }
            if let Some(f) = finally {
                renumber_block(f, index);
            }
        }
        Op::Timeout { body, .. } | Op::TaskGroup(body) => renumber_block(body, index),
        Op::Spawn(_)
        | Op::Sleep(_)
        | Op::Return(_)
        | Op::Raise(_)
        | Op::Cancelling(_)
        | Op::Uncancel(_) => {}
    }
}

fn block(ops: &Block) -> J {
    J::Arr(ops.iter().map(op_node).collect())
}

fn name(r: &Ref) -> J {
    J::s(&**r.name())
}

fn names(refs: &[Ref]) -> J {
    J::Arr(refs.iter().map(name).collect())
}

fn ticks(t: Option<u64>) -> J {
    J::opt(t, J::uint)
}

fn text(s: &Option<std::sync::Arc<str>>) -> J {
    J::opt(s.as_deref(), J::s)
}

fn op_node(node: &OpNode) -> J {
    match &node.op {
        Op::Spawn(t) => J::obj([("spawn", J::s(&*t.name))]),
        Op::Sleep(n) => J::obj([("sleep", J::uint(*n))]),
        Op::Await(r) => J::obj([("await", name(r))]),
        Op::Gather {
            refs,
            return_exceptions,
        } => J::obj([
            ("gather", names(refs)),
            ("return_exceptions", J::Bool(*return_exceptions)),
        ]),
        Op::Wait {
            refs,
            return_when,
            timeout,
        } => J::obj([
            ("wait", names(refs)),
            ("return_when", J::s(return_when.as_str())),
            ("timeout", ticks(*timeout)),
        ]),
        Op::WaitFor { target, timeout } => {
            J::obj([("wait_for", name(target)), ("timeout", ticks(*timeout))])
        }
        Op::Shield(r) => J::obj([("shield", name(r))]),
        Op::AsCompleted { refs, timeout } => {
            J::obj([("as_completed", names(refs)), ("timeout", ticks(*timeout))])
        }
        Op::Cancel { target, msg } => J::obj([("cancel", name(target)), ("msg", text(msg))]),
        Op::Return(v) => J::obj([("return", value(v))]),
        Op::Raise(exc) => J::obj([("raise", J::opt(exc.as_ref(), exc_spec))]),
        Op::Try {
            body,
            handlers,
            finally,
        } => {
            let mut pairs = vec![
                ("try".to_owned(), block(body)),
                (
                    "except".to_owned(),
                    J::Arr(handlers.iter().map(handler).collect()),
                ),
            ];
            if let Some(f) = finally {
                pairs.push(("finally".to_owned(), block(f)));
            }
            J::Obj(pairs)
        }
        Op::Timeout { timeout, body } => {
            J::obj([("timeout", ticks(*timeout)), ("do", block(body))])
        }
        Op::TaskGroup(body) => J::obj([("taskgroup", block(body))]),
        Op::Future(f) => J::obj([("future", J::s(&*f.name))]),
        Op::SetResult { future, value: v } => {
            J::obj([("set_result", J::s(&*future.name)), ("value", value(v))])
        }
        Op::SetException { future, exc } => J::obj([
            ("set_exception", J::s(&*future.name)),
            ("exc", exc_spec(exc)),
        ]),
        Op::AddDoneCallback { target, label } => J::obj([
            ("add_done_callback", name(target)),
            ("label", J::s(&**label)),
        ]),
        Op::Done(r) => J::obj([("done", name(r))]),
        Op::Cancelled(r) => J::obj([("cancelled", name(r))]),
        Op::Cancelling(t) => J::obj([("cancelling", J::s(&*t.name))]),
        Op::Uncancel(t) => J::obj([("uncancel", J::s(&*t.name))]),
    }
}

fn handler(h: &Handler) -> J {
    J::obj([("type", J::s(&*h.ty)), ("do", block(&h.body))])
}

fn exc_spec(e: &ExcSpec) -> J {
    J::obj([("type", J::s(&*e.ty)), ("msg", text(&e.msg))])
}

/// A scenario value as JSON.
pub fn value(v: &Value) -> J {
    match v {
        Value::Null => J::Null,
        Value::Bool(b) => J::Bool(*b),
        Value::Int(n) => J::Int(*n),
        Value::Str(s) => J::s(&**s),
        Value::List(items) => J::Arr(items.iter().map(value).collect()),
    }
}

fn expectation(e: &Expectation) -> J {
    match e {
        Expectation::End { task, outcome } => {
            J::obj([("task", J::s(&*task.name)), ("end", expected(outcome))])
        }
        Expectation::EndIn { task, outcomes } => J::obj([
            ("task", J::s(&*task.name)),
            ("end_in", J::Arr(outcomes.iter().map(expected).collect())),
        ]),
        Expectation::Run(o) => J::obj([("run", expected(o))]),
        Expectation::RunIn(os) => J::obj([("run_in", J::Arr(os.iter().map(expected).collect()))]),
        Expectation::Deadlock(b) => J::obj([("deadlock", J::Bool(*b))]),
    }
}

fn expected(o: &ExpectedOutcome) -> J {
    match o {
        ExpectedOutcome::Ok(v) => J::obj([("ok", value(v))]),
        ExpectedOutcome::Cancelled(m) => J::obj([("cancelled", text(m))]),
        ExpectedOutcome::Err { ty, msg, excs } => {
            let mut pairs = vec![
                ("err".to_owned(), J::s(&**ty)),
                ("msg".to_owned(), J::s(&**msg)),
            ];
            if let Some(xs) = excs {
                pairs.push(("excs".to_owned(), J::Arr(xs.iter().map(expected).collect())));
            }
            J::Obj(pairs)
        }
    }
}
