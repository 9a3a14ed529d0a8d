//! Deep copies of a graph that share no allocation with the original.
//!
//! A parsed graph is `Send + Sync` and its names are reference-counted, so one graph can
//! serve several threads. But a run clones those names into every trace event it emits and
//! drops them again afterwards, and each clone and drop writes the name's counter. Threads
//! running one shared graph therefore keep pulling the same cache lines away from each
//! other. A thread that runs many schedules works on its own copy instead.

use std::collections::HashMap;
use std::sync::Arc;

use super::model::{
    Block, ExcSpec, Expectation, ExpectedOutcome, FutureRef, Graph, Handler, Op, OpNode, Ref,
    TaskDef, TaskRef,
};
use crate::value::Value;

impl Graph {
    /// A deep copy: equal to this graph, but with every name, string and list allocated
    /// anew, so that cloning and dropping the copy's names never touches this graph's
    /// reference counts. A name that appears several times is one allocation in the copy.
    pub fn unshared(&self) -> Graph {
        let mut copier = Copier::default();
        Graph {
            name: copier.name(&self.name),
            description: copier.optional(self.description.as_ref()),
            main: self.main,
            tasks: self
                .tasks
                .iter()
                .map(|t| TaskDef {
                    name: copier.name(&t.name),
                    body: copier.block(&t.body),
                })
                .collect(),
            futures: self.futures.iter().map(|f| copier.name(f)).collect(),
            expect: self.expect.iter().map(|e| copier.expectation(e)).collect(),
        }
    }
}

/// Copies the parts of one graph, allocating each distinct string once.
#[derive(Default)]
struct Copier<'g> {
    names: HashMap<&'g str, Arc<str>>,
}

impl<'g> Copier<'g> {
    fn name(&mut self, s: &'g Arc<str>) -> Arc<str> {
        self.names
            .entry(&**s)
            .or_insert_with(|| Arc::from(&**s))
            .clone()
    }

    fn optional(&mut self, s: Option<&'g Arc<str>>) -> Option<Arc<str>> {
        s.map(|s| self.name(s))
    }

    fn value(&mut self, v: &'g Value) -> Value {
        match v {
            Value::Null => Value::Null,
            Value::Bool(b) => Value::Bool(*b),
            Value::Int(i) => Value::Int(*i),
            Value::Str(s) => Value::Str(self.name(s)),
            Value::List(items) => Value::List(items.iter().map(|x| self.value(x)).collect()),
        }
    }

    fn task(&mut self, t: &'g TaskRef) -> TaskRef {
        TaskRef {
            index: t.index,
            name: self.name(&t.name),
        }
    }

    fn future(&mut self, f: &'g FutureRef) -> FutureRef {
        FutureRef {
            index: f.index,
            name: self.name(&f.name),
        }
    }

    fn reference(&mut self, r: &'g Ref) -> Ref {
        match r {
            Ref::Task(t) => Ref::Task(self.task(t)),
            Ref::Future(f) => Ref::Future(self.future(f)),
        }
    }

    fn references(&mut self, refs: &'g [Ref]) -> Vec<Ref> {
        refs.iter().map(|r| self.reference(r)).collect()
    }

    fn exception(&mut self, e: &'g ExcSpec) -> ExcSpec {
        ExcSpec {
            ty: self.name(&e.ty),
            msg: self.optional(e.msg.as_ref()),
        }
    }

    fn block(&mut self, block: &'g Block) -> Block {
        block
            .iter()
            .map(|node| OpNode {
                at: self.name(&node.at),
                op: self.op(&node.op),
            })
            .collect()
    }

    fn op(&mut self, op: &'g Op) -> Op {
        match op {
            Op::Spawn(t) => Op::Spawn(self.task(t)),
            Op::Sleep(n) => Op::Sleep(*n),
            Op::Await(r) => Op::Await(self.reference(r)),
            Op::Gather {
                refs,
                return_exceptions,
            } => Op::Gather {
                refs: self.references(refs),
                return_exceptions: *return_exceptions,
            },
            Op::Wait {
                refs,
                return_when,
                timeout,
            } => Op::Wait {
                refs: self.references(refs),
                return_when: *return_when,
                timeout: *timeout,
            },
            Op::WaitFor { target, timeout } => Op::WaitFor {
                target: self.reference(target),
                timeout: *timeout,
            },
            Op::Shield(r) => Op::Shield(self.reference(r)),
            Op::AsCompleted { refs, timeout } => Op::AsCompleted {
                refs: self.references(refs),
                timeout: *timeout,
            },
            Op::Cancel { target, msg } => Op::Cancel {
                target: self.reference(target),
                msg: self.optional(msg.as_ref()),
            },
            Op::Return(v) => Op::Return(self.value(v)),
            Op::Raise(spec) => Op::Raise(spec.as_ref().map(|e| self.exception(e))),
            Op::Try {
                body,
                handlers,
                finally,
            } => Op::Try {
                body: self.block(body),
                handlers: handlers
                    .iter()
                    .map(|h| Handler {
                        ty: self.name(&h.ty),
                        body: self.block(&h.body),
                    })
                    .collect(),
                finally: finally.as_ref().map(|b| self.block(b)),
            },
            Op::Timeout { timeout, body } => Op::Timeout {
                timeout: *timeout,
                body: self.block(body),
            },
            Op::TaskGroup(body) => Op::TaskGroup(self.block(body)),
            Op::Future(f) => Op::Future(self.future(f)),
            Op::SetResult { future, value } => Op::SetResult {
                future: self.future(future),
                value: self.value(value),
            },
            Op::SetException { future, exc } => Op::SetException {
                future: self.future(future),
                exc: self.exception(exc),
            },
            Op::AddDoneCallback { target, label } => Op::AddDoneCallback {
                target: self.reference(target),
                label: self.name(label),
            },
            Op::Done(r) => Op::Done(self.reference(r)),
            Op::Cancelled(r) => Op::Cancelled(self.reference(r)),
            Op::Cancelling(t) => Op::Cancelling(self.task(t)),
            Op::Uncancel(t) => Op::Uncancel(self.task(t)),
        }
    }

    fn expectation(&mut self, e: &'g Expectation) -> Expectation {
        match e {
            Expectation::End { task, outcome } => Expectation::End {
                task: self.task(task),
                outcome: self.outcome(outcome),
            },
            Expectation::EndIn { task, outcomes } => Expectation::EndIn {
                task: self.task(task),
                outcomes: self.outcomes(outcomes),
            },
            Expectation::Run(o) => Expectation::Run(self.outcome(o)),
            Expectation::RunIn(os) => Expectation::RunIn(self.outcomes(os)),
            Expectation::Deadlock(d) => Expectation::Deadlock(*d),
        }
    }

    fn outcomes(&mut self, os: &'g [ExpectedOutcome]) -> Vec<ExpectedOutcome> {
        os.iter().map(|o| self.outcome(o)).collect()
    }

    fn outcome(&mut self, o: &'g ExpectedOutcome) -> ExpectedOutcome {
        match o {
            ExpectedOutcome::Ok(v) => ExpectedOutcome::Ok(self.value(v)),
            ExpectedOutcome::Cancelled(m) => ExpectedOutcome::Cancelled(self.optional(m.as_ref())),
            ExpectedOutcome::Err { ty, msg, excs } => ExpectedOutcome::Err {
                ty: self.name(ty),
                msg: self.name(msg),
                excs: excs.as_ref().map(|xs| self.outcomes(xs)),
            },
        }
    }
}
