//! Ops and blocks (graph-format 2.5), with the static rules of 2.6 that concern them:
//! reference kinds (rule 2), no op waiting on its own task (3), where a re-raise may stand
//! (5), list sizes (6), and the op count, block depth and duration limits (7). The await
//! edges for rule 4 are recorded on the way.

use crate::trace::OpKind as Kind;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::super::error::{GraphError, quoted};
use super::super::json::{Json, member};
use super::super::model::{Block, Handler, Op, OpNode, Ref, ReturnWhen, Ticks};
use super::super::path::JsonPath;
use super::awaits::AwaitGraph;
use super::check::{
    Members, array, boolean, fail, name, object, only_keys, required, string, string_or_null,
};
use super::names::Names;
use super::values::{exception, optional_ticks, ticks, value};

/// Deepest block: a task body is at depth 0, and each nested block is one deeper.
pub(super) const MAX_BLOCK_DEPTH: usize = 16;
/// Most ops in one document, at any depth.
const MAX_OPS: usize = 2048;
/// Most entries in a `gather`, `wait` or `as_completed` list.
const MAX_LIST_ENTRIES: usize = 256;
/// Most distinct references in a `wait` or `as_completed` list.
const MAX_DISTINCT_REFS: usize = 16;

impl Kind {
    /// The keys an op of this kind may have besides its keyword.
    fn parameters(self) -> &'static [&'static str] {
        match self {
            Kind::Gather => &["return_exceptions"],
            Kind::Wait => &["return_when", "timeout"],
            Kind::WaitFor | Kind::AsCompleted => &["timeout"],
            Kind::Cancel => &["msg"],
            Kind::Try => &["except", "finally"],
            Kind::Timeout => &["do"],
            Kind::SetResult => &["value"],
            Kind::SetException => &["exc"],
            Kind::AddDoneCallback => &["label"],
            _ => &[],
        }
    }
}

/// How many keys a message lists of an object that is not an op.
const LISTED_KEYS: usize = 8;

/// Finds an op's kind (graph-format 2.5): the one op keyword other than `timeout` among its
/// keys, or else `timeout` if that key is there.
fn kind_of(members: &Members, path: &JsonPath<'_>) -> Result<(&'static str, Kind), GraphError> {
    let mut found: Option<(&'static str, Kind)> = None;
    let mut has_timeout = false;
    for (key, _) in members {
        let Some(kind) = Kind::from_keyword(key) else {
            continue;
        };
        let keyword = kind.as_str();
        if kind == Kind::Timeout {
            has_timeout = true;
            continue;
        }
        if let Some((first, _)) = found {
            return Err(fail(
                path,
                format!("an op has exactly one keyword, this one has {first:?} and {keyword:?}"),
            ));
        }
        found = Some((keyword, kind));
    }
    match found {
        Some(found) => Ok(found),
        None if has_timeout => Ok(("timeout", Kind::Timeout)),
        None => {
            let mut keys: Vec<String> = members
                .iter()
                .take(LISTED_KEYS)
                .map(|(k, _)| quoted(k))
                .collect();
            if members.len() > LISTED_KEYS {
                keys.push(format!("and {} more", members.len() - LISTED_KEYS));
            }
            Err(fail(
                path,
                format!(
                    "not an op: no op keyword among its keys [{}]",
                    keys.join(", ")
                ),
            ))
        }
    }
}

/// Where a block stands: the trace path its ops extend, its depth, and whether it lies inside
/// an except handler's `do` block of the task body (which a re-raise needs).
#[derive(Clone, Copy)]
struct Scope<'s> {
    at: &'s str,
    depth: usize,
    in_handler: bool,
}

impl<'s> Scope<'s> {
    /// The scope of a block nested in an op of this scope, whose ops' paths start with `at`.
    fn nested(self, at: &'s str) -> Scope<'s> {
        Scope {
            at,
            depth: self.depth + 1,
            in_handler: self.in_handler,
        }
    }
}

/// Reads the task bodies of one document.
pub(super) struct OpReader<'n> {
    names: &'n Names,
    awaits: &'n mut AwaitGraph,
    /// Ops read so far in the whole document.
    op_count: usize,
    /// Index of the task whose body is being read.
    task: usize,
}

impl<'n> OpReader<'n> {
    /// A reader for a document with these names, recording await edges in `awaits`.
    pub(super) fn new(names: &'n Names, awaits: &'n mut AwaitGraph) -> Self {
        OpReader {
            names,
            awaits,
            op_count: 0,
            task: 0,
        }
    }

    /// Reads the body of task number `task`.
    pub(super) fn body(
        &mut self,
        task: usize,
        json: &Json,
        path: &JsonPath<'_>,
    ) -> Result<Block, GraphError> {
        self.task = task;
        let scope = Scope {
            at: "",
            depth: 0,
            in_handler: false,
        };
        self.block(json, path, scope)
    }

    fn block(
        &mut self,
        json: &Json,
        path: &JsonPath<'_>,
        scope: Scope<'_>,
    ) -> Result<Block, GraphError> {
        if scope.depth > MAX_BLOCK_DEPTH {
            return Err(fail(
                path,
                format!(
                    "block nested {} deep; blocks nest at most {MAX_BLOCK_DEPTH} deep",
                    scope.depth
                ),
            ));
        }
        let items = array(json, path, "a block")?;
        let mut block = Vec::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            let path = path.index(index);
            self.op_count += 1;
            if self.op_count > MAX_OPS {
                return Err(fail(
                    &path,
                    format!("too many ops: a document has at most {MAX_OPS}"),
                ));
            }
            let at: Arc<str> = if scope.at.is_empty() {
                index.to_string().into()
            } else {
                format!("{}.{index}", scope.at).into()
            };
            let op = self.op(item, &path, &at, scope)?;
            block.push(OpNode { at, op });
        }
        Ok(block)
    }

    fn op(
        &mut self,
        json: &Json,
        path: &JsonPath<'_>,
        at: &str,
        scope: Scope<'_>,
    ) -> Result<Op, GraphError> {
        let members = object(json, path, "an op")?;
        let (keyword, kind) = kind_of(members, path)?;
        let parameters = kind.parameters();
        if let Some((key, _)) = members
            .iter()
            .find(|(k, _)| k != keyword && !parameters.contains(&k.as_str()))
        {
            let takes = if parameters.is_empty() {
                "no other key".to_owned()
            } else {
                parameters.join(", ")
            };
            return Err(fail(
                &path.key(key),
                format!(
                    "unknown key {} in a {keyword} op (it takes {takes})",
                    quoted(key)
                ),
            ));
        }
        let main_path = path.key(keyword);
        let main = required(members, path, keyword, "an op")?;
        Ok(match kind {
            Kind::Spawn => Op::Spawn(self.names.task(main, &main_path, keyword)?),
            Kind::Sleep => Op::Sleep(ticks(main, &main_path, "duration")?),
            Kind::Await => Op::Await(self.awaited(main, &main_path, keyword, true)?),
            Kind::Gather => Op::Gather {
                refs: self.awaited_list(main, &main_path, kind, keyword)?,
                return_exceptions: match member(members, "return_exceptions") {
                    Some(flag) => {
                        boolean(flag, &path.key("return_exceptions"), "return_exceptions")?
                    }
                    None => false,
                },
            },
            Kind::Wait => {
                let refs = self.awaited_list(main, &main_path, kind, keyword)?;
                if refs.is_empty() {
                    return Err(fail(&main_path, "wait needs at least one task or future"));
                }
                Op::Wait {
                    refs,
                    return_when: match member(members, "return_when") {
                        Some(when) => return_when(when, &path.key("return_when"))?,
                        None => ReturnWhen::AllCompleted,
                    },
                    timeout: optional_timeout(members, path)?,
                }
            }
            Kind::WaitFor => Op::WaitFor {
                target: self.awaited(main, &main_path, keyword, true)?,
                timeout: optional_ticks(
                    required(members, path, "timeout", "a wait_for op")?,
                    &path.key("timeout"),
                    "timeout",
                )?,
            },
            Kind::Shield => Op::Shield(self.awaited(main, &main_path, keyword, false)?),
            Kind::AsCompleted => Op::AsCompleted {
                refs: self.awaited_list(main, &main_path, kind, keyword)?,
                timeout: optional_timeout(members, path)?,
            },
            Kind::Cancel => Op::Cancel {
                target: self.names.any(main, &main_path, keyword)?,
                msg: match member(members, "msg") {
                    Some(msg) => string_or_null(msg, &path.key("msg"), "cancel msg")?,
                    None => None,
                },
            },
            Kind::Return => Op::Return(value(main, &main_path)?),
            Kind::Raise => match main {
                Json::Null if scope.in_handler => Op::Raise(None),
                Json::Null => {
                    return Err(fail(
                        &main_path,
                        "a re-raise ({\"raise\": null}) must be inside the do block of an \
                         except handler of the same task body",
                    ));
                }
                exc => Op::Raise(Some(exception(exc, &main_path)?)),
            },
            Kind::Try => self.try_op(members, path, at, scope)?,
            Kind::Timeout => {
                let body_path = path.key("do");
                let body = required(members, path, "do", "a timeout op")?;
                Op::Timeout {
                    timeout: optional_ticks(main, &main_path, "timeout")?,
                    body: self.block(body, &body_path, scope.nested(&format!("{at}.do")))?,
                }
            }
            Kind::Taskgroup => Op::TaskGroup(self.block(
                main,
                &main_path,
                scope.nested(&format!("{at}.taskgroup")),
            )?),
            Kind::Future => {
                let future_name = name(main, &main_path, "future name")?;
                match self.names.any(main, &main_path, keyword)? {
                    Ref::Future(future) => Op::Future(future),
                    Ref::Task(_) => {
                        return Err(fail(
                            &main_path,
                            format!(
                                "{future_name:?} is a task name; a name cannot be both a task \
                                 and a future"
                            ),
                        ));
                    }
                }
            }
            Kind::SetResult => Op::SetResult {
                future: self.names.future(main, &main_path, keyword)?,
                value: value(
                    required(members, path, "value", "a set_result op")?,
                    &path.key("value"),
                )?,
            },
            Kind::SetException => Op::SetException {
                future: self.names.future(main, &main_path, keyword)?,
                exc: exception(
                    required(members, path, "exc", "a set_exception op")?,
                    &path.key("exc"),
                )?,
            },
            Kind::AddDoneCallback => Op::AddDoneCallback {
                target: self.names.any(main, &main_path, keyword)?,
                label: name(
                    required(members, path, "label", "an add_done_callback op")?,
                    &path.key("label"),
                    "label",
                )?
                .into(),
            },
            Kind::Done => Op::Done(self.names.any(main, &main_path, keyword)?),
            Kind::Cancelled => Op::Cancelled(self.names.any(main, &main_path, keyword)?),
            Kind::Cancelling => Op::Cancelling(self.names.task(main, &main_path, keyword)?),
            Kind::Uncancel => Op::Uncancel(self.names.task(main, &main_path, keyword)?),
        })
    }

    /// Reads a `try` op: body, handlers and `finally`.
    fn try_op(
        &mut self,
        members: &Members,
        path: &JsonPath<'_>,
        at: &str,
        scope: Scope<'_>,
    ) -> Result<Op, GraphError> {
        let body_path = path.key("try");
        let body = self.block(
            required(members, path, "try", "a try op")?,
            &body_path,
            scope.nested(&format!("{at}.try")),
        )?;
        let handlers = match member(members, "except") {
            Some(json) => self.handlers(json, &path.key("except"), at, scope)?,
            None => Vec::new(),
        };
        let finally = match member(members, "finally") {
            Some(json) => Some(self.block(
                json,
                &path.key("finally"),
                scope.nested(&format!("{at}.finally")),
            )?),
            None => None,
        };
        if handlers.is_empty() && finally.is_none() {
            return Err(fail(
                path,
                "a try needs at least one except handler or a finally block",
            ));
        }
        Ok(Op::Try {
            body,
            handlers,
            finally,
        })
    }

    /// Reads the `except` list of a `try` op whose path is `at`.
    fn handlers(
        &mut self,
        json: &Json,
        path: &JsonPath<'_>,
        at: &str,
        scope: Scope<'_>,
    ) -> Result<Vec<Handler>, GraphError> {
        let items = array(json, path, "except")?;
        let mut handlers = Vec::with_capacity(items.len());
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (index, item) in items.iter().enumerate() {
            let path = path.index(index);
            let members = object(item, &path, "an except handler")?;
            only_keys(members, &path, &["type", "do"], "an except handler")?;
            let type_path = path.key("type");
            let ty = name(
                required(members, &path, "type", "an except handler")?,
                &type_path,
                "handler type",
            )?;
            if let Some(first) = seen.insert(ty, index) {
                return Err(fail(
                    &type_path,
                    format!("two handlers of one try catch {ty} (the first is except[{first}])"),
                ));
            }
            let body_at = format!("{at}.except.{ty}");
            let body_scope = Scope {
                in_handler: true,
                ..scope.nested(&body_at)
            };
            let body = self.block(
                required(members, &path, "do", "an except handler")?,
                &path.key("do"),
                body_scope,
            )?;
            handlers.push(Handler {
                ty: ty.into(),
                body,
            });
        }
        Ok(handlers)
    }

    /// Resolves the reference of an op that waits on its object (`await`, `wait_for`,
    /// `shield`, or an entry of `gather`, `wait`, `as_completed`): it must not name the
    /// task whose body holds the op. With `edge`, a task reference is an await edge (rule 4).
    fn awaited(
        &mut self,
        json: &Json,
        path: &JsonPath<'_>,
        keyword: &str,
        edge: bool,
    ) -> Result<Ref, GraphError> {
        let target = self.names.any(json, path, keyword)?;
        if let Ref::Task(task) = &target {
            if task.index == self.task {
                return Err(fail(
                    path,
                    format!("task {:?} cannot {keyword} itself", task.name),
                ));
            }
            if edge {
                self.awaits.add(self.task, task.index, path);
            }
        }
        Ok(target)
    }

    /// Resolves the list of a `gather`, `wait` or `as_completed` op (`kind`, written
    /// `keyword`), checking its size. Only `gather` entries are await edges, and only `wait`
    /// and `as_completed` limit distinct entries.
    fn awaited_list(
        &mut self,
        json: &Json,
        path: &JsonPath<'_>,
        kind: Kind,
        keyword: &str,
    ) -> Result<Vec<Ref>, GraphError> {
        let gather = kind == Kind::Gather;
        let items = array(json, path, &format!("the {keyword} list"))?;
        if items.len() > MAX_LIST_ENTRIES {
            return Err(fail(
                path,
                format!(
                    "the {keyword} list has {} entries; at most {MAX_LIST_ENTRIES} are allowed",
                    items.len()
                ),
            ));
        }
        let refs = items
            .iter()
            .enumerate()
            .map(|(index, item)| self.awaited(item, &path.index(index), keyword, gather))
            .collect::<Result<Vec<Ref>, GraphError>>()?;
        if !gather {
            let distinct = refs.iter().collect::<HashSet<&Ref>>().len();
            if distinct > MAX_DISTINCT_REFS {
                return Err(fail(
                    path,
                    format!(
                        "the {keyword} list names {distinct} distinct tasks or futures; at most \
                         {MAX_DISTINCT_REFS} are allowed"
                    ),
                ));
            }
        }
        Ok(refs)
    }
}

/// The optional, nullable `timeout` of `wait` and `as_completed` (absent: no timeout).
fn optional_timeout(members: &Members, path: &JsonPath<'_>) -> Result<Option<Ticks>, GraphError> {
    match member(members, "timeout") {
        Some(json) => optional_ticks(json, &path.key("timeout"), "timeout"),
        None => Ok(None),
    }
}

/// `json` as `wait`'s `return_when`.
fn return_when(json: &Json, path: &JsonPath<'_>) -> Result<ReturnWhen, GraphError> {
    let text = string(json, path, "return_when")?;
    [
        ReturnWhen::AllCompleted,
        ReturnWhen::FirstCompleted,
        ReturnWhen::FirstException,
    ]
    .into_iter()
    .find(|when| when.as_str() == text)
    .ok_or_else(|| {
        fail(
            path,
            format!(
                "return_when {} is not one of \"ALL_COMPLETED\", \"FIRST_COMPLETED\", \
                 \"FIRST_EXCEPTION\"",
                quoted(text)
            ),
        )
    })
}
