//! The names a document defines (graph-format 2.3) and the resolution of references to them.

use std::collections::HashMap;
use std::sync::Arc;

use super::super::error::GraphError;
use super::super::json::{Json, member};
use super::super::model::{FutureRef, Ref, TaskRef};
use super::super::path::JsonPath;
use super::check::{Members, fail, string};
use super::ops::MAX_BLOCK_DEPTH;

/// Task names (the keys of `tasks`, in document order) and future names (the names used by
/// `future` ops, in order of first appearance), and what each name designates.
pub(super) struct Names {
    tasks: Vec<Arc<str>>,
    futures: Vec<Arc<str>>,
    lookup: HashMap<Arc<str>, Ref>,
}

impl Names {
    /// Collects the names of a document from its `tasks` object.
    ///
    /// Future names are gathered by a quick walk over every op object that has a `future`
    /// member, before the ops are validated, so that references may precede the `future` op
    /// that defines their name. The walk is lenient: an object it takes for a `future` op
    /// but which is not a valid one makes the document invalid anyway, when the ops are
    /// validated. A name that is also a task name stays a task name here; validating its
    /// `future` op reports the clash.
    pub(super) fn new(tasks: &Members) -> Names {
        let mut names = Names {
            tasks: Vec::with_capacity(tasks.len()),
            futures: Vec::new(),
            lookup: HashMap::new(),
        };
        for (index, (name, _)) in tasks.iter().enumerate() {
            let name: Arc<str> = name.as_str().into();
            let task = TaskRef {
                index,
                name: name.clone(),
            };
            names.lookup.insert(name.clone(), Ref::Task(task));
            names.tasks.push(name);
        }
        let mut used = Vec::new();
        for (_, body) in tasks {
            scan_block(body, 0, &mut used);
        }
        for name in used {
            if !names.lookup.contains_key(name) {
                let name: Arc<str> = name.into();
                let future = FutureRef {
                    index: names.futures.len(),
                    name: name.clone(),
                };
                names.lookup.insert(name.clone(), Ref::Future(future));
                names.futures.push(name);
            }
        }
        names
    }

    /// The task names, in document order.
    pub(super) fn tasks(&self) -> &[Arc<str>] {
        &self.tasks
    }

    /// The future names, by first appearance.
    pub(super) fn futures(&self) -> &[Arc<str>] {
        &self.futures
    }

    /// Resolves a reference that may name a task or a future. `what` names what holds the
    /// reference (an op keyword, say), for messages.
    pub(super) fn any(
        &self,
        json: &Json,
        path: &JsonPath<'_>,
        what: &str,
    ) -> Result<Ref, GraphError> {
        let name = string(json, path, what)?;
        self.lookup.get(name).cloned().ok_or_else(|| {
            fail(
                path,
                format!("{name:?} is neither a task nor a future of this document"),
            )
        })
    }

    /// Resolves a reference that must name a task.
    pub(super) fn task(
        &self,
        json: &Json,
        path: &JsonPath<'_>,
        what: &str,
    ) -> Result<TaskRef, GraphError> {
        let name = string(json, path, what)?;
        match self.lookup.get(name) {
            Some(Ref::Task(task)) => Ok(task.clone()),
            Some(Ref::Future(_)) => Err(fail(
                path,
                format!("{what} needs a task name, but {name:?} is a future"),
            )),
            None => Err(fail(
                path,
                format!("{name:?} is not a task of this document"),
            )),
        }
    }

    /// Resolves a reference that must name a future.
    pub(super) fn future(
        &self,
        json: &Json,
        path: &JsonPath<'_>,
        what: &str,
    ) -> Result<FutureRef, GraphError> {
        let name = string(json, path, what)?;
        match self.lookup.get(name) {
            Some(Ref::Future(future)) => Ok(future.clone()),
            Some(Ref::Task(_)) => Err(fail(
                path,
                format!("{what} needs a future name, but {name:?} is a task"),
            )),
            None => Err(fail(
                path,
                format!("{name:?} is not a future of this document (no future op creates it)"),
            )),
        }
    }
}

/// Appends to `used` the `future` names of the op objects of a block and of its nested
/// blocks, in document order.
fn scan_block<'j>(block: &'j Json, depth: usize, used: &mut Vec<&'j str>) {
    let Json::Array(ops) = block else { return };
    if depth > MAX_BLOCK_DEPTH {
        return;
    }
    for op in ops {
        let Json::Object(members) = op else { continue };
        for (key, value) in members {
            match (key.as_str(), value) {
                ("future", Json::Str(name)) => used.push(name),
                ("try" | "finally" | "taskgroup" | "do", _) => scan_block(value, depth + 1, used),
                ("except", Json::Array(handlers)) => {
                    for handler in handlers {
                        if let Json::Object(handler) = handler
                            && let Some(body) = member(handler, "do")
                        {
                            scan_block(body, depth + 1, used);
                        }
                    }
                }
                _ => {}
            }
        }
    }
}
