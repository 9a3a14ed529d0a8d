//! The structured form of a generated scenario ([`GraphSpec`]) and its rendering to
//! `aiosim-graph/1` JSON.
//!
//! A spec is a tree of ops whose references are *selectors* ([`Pick`]), not names. Rendering
//! resolves each selector against the names that the op may legally use at its place, so that
//! every spec, however proptest builds or shrinks it, renders to a valid document:
//!
//! - `await`, `wait_for` and `gather` (the edges of graph-format 2.6 rule 4) name only futures
//!   and tasks of a **higher index** than the task whose body holds them, so there is no
//!   await cycle and no task awaits itself;
//! - `wait`, `shield` and `as_completed` name futures and any task but their own (rule 3);
//! - `cancel`, `done`, `cancelled` and `add_done_callback` name anything, their own task
//!   included; `cancelling` and `uncancel` any task; `set_*` only futures;
//! - a `future` op of the trees creates one of four extra names `g0`–`g3`, which nothing
//!   references (the plan creates the futures `f0`, `f1`, ... that ops name), so that it
//!   cannot move a planned creation after its uses; creating one twice raises
//!   `ScenarioError`;
//! - `{"raise": null}` is written only inside a handler's `do` block (rule 5); elsewhere it
//!   becomes a fresh `ValueError`;
//! - a `try` without handlers gets an empty `finally`, and handlers of a `try` keep only the
//!   first one of each type;
//! - an op with nothing it could name becomes `{"sleep": 0}`;
//! - the limits of rule 7 hold (the op count is capped at rendering; blocks nest at most 16
//!   deep; lists are short).
//!
//! Besides the op trees, a spec carries a small *plan*: which task spawns each task (always
//! one of a lower index, at a top-level position of its body) unless some `spawn` op of the
//! trees already does, and which task creates and which sets each future. So the smallest
//! failing graphs that shrinking finds still have their tasks started and their futures
//! created, while every op of the trees can be removed.

use std::fmt::{self, Write as _};

use aiosim_sim::graph::{Graph, parse_graph};

use crate::fuzzing::json::write_str;

/// Durations and timeouts never exceed this (graph-format 2.6 rule 7).
pub const MAX_TICKS: u64 = 1_000_000_000_000;

/// At most this many ops in a document (graph-format 2.6 rule 7).
pub const MAX_OPS: usize = 2048;

/// Blocks nest at most this deep (graph-format 2.6 rule 7).
pub const MAX_DEPTH: usize = 16;

/// A selector: picks entry `n % len` of the names an op may use where it stands. Shrinks
/// towards the first eligible name.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Pick(pub u8);

impl fmt::Debug for Pick {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

impl Pick {
    fn of<T>(self, list: &[T]) -> Option<&T> {
        match list.len() {
            0 => None,
            n => Some(&list[usize::from(self.0) % n]),
        }
    }
}

/// A scenario value (graph-format 2.4).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ValueSpec {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A string.
    Str(&'static str),
    /// A list (the strategy keeps it shallow).
    List(Vec<ValueSpec>),
}

/// An exception object `{"type": ..., "msg": ...}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExcSpec {
    /// The type name (never `Exception`, `BaseException` or an exception group).
    pub ty: &'static str,
    /// The message; `None` leaves the key out.
    pub msg: Option<&'static str>,
}

/// `return_when` of `wait`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReturnWhenSpec {
    /// `"ALL_COMPLETED"`.
    All,
    /// `"FIRST_COMPLETED"`.
    FirstCompleted,
    /// `"FIRST_EXCEPTION"`.
    FirstException,
}

/// An except handler: a type name and its `do` block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HandlerSpec {
    /// The type it catches (any name, `Exception`/`BaseException` included).
    pub ty: &'static str,
    /// The handler's block.
    pub body: Vec<OpSpec>,
}

/// One op, one variant per kind of graph-format 2.5 (22 in all). References are [`Pick`]s;
/// optional parameters are `None` when left out of the document.
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum OpSpec {
    Sleep(u64),
    Spawn(Pick),
    Await(Pick),
    Gather {
        refs: Vec<Pick>,
        return_exceptions: Option<bool>,
    },
    Wait {
        refs: Vec<Pick>,
        return_when: Option<ReturnWhenSpec>,
        timeout: Option<u64>,
    },
    WaitFor {
        target: Pick,
        timeout: Option<u64>,
    },
    Shield(Pick),
    AsCompleted {
        refs: Vec<Pick>,
        timeout: Option<u64>,
    },
    Cancel {
        target: Pick,
        msg: Option<&'static str>,
    },
    Return(ValueSpec),
    /// `None` is the re-raise `{"raise": null}`.
    Raise(Option<ExcSpec>),
    Try {
        body: Vec<OpSpec>,
        handlers: Vec<HandlerSpec>,
        finally: Option<Vec<OpSpec>>,
    },
    Timeout {
        timeout: Option<u64>,
        body: Vec<OpSpec>,
    },
    TaskGroup(Vec<OpSpec>),
    Future(Pick),
    SetResult {
        future: Pick,
        value: ValueSpec,
    },
    SetException {
        future: Pick,
        exc: ExcSpec,
    },
    AddDoneCallback {
        target: Pick,
        label: u8,
    },
    Done(Pick),
    Cancelled(Pick),
    Cancelling(Pick),
    Uncancel(Pick),
}

/// A task definition: its body, and (for tasks other than `main`) where the plan spawns it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskSpec {
    /// The body.
    pub body: Vec<OpSpec>,
    /// The planned spawn: the parent (resolved among the tasks of lower index) and the
    /// top-level position in its body. `None`, or a `spawn` op of the trees naming this task,
    /// means no planned spawn.
    pub spawn: Option<(Pick, Pick)>,
}

/// How a future's planned setter completes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SetSpec {
    /// `set_result`.
    Result(ValueSpec),
    /// `set_exception`.
    Exception(ExcSpec),
}

/// A future name with the task that creates it and, optionally, the task that sets it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FutureSpec {
    /// The creating task (any) and the top-level position of the `future` op in its body;
    /// `None`: `main` creates it first thing.
    pub create: Option<(Pick, Pick)>,
    /// The setting task (any), the position, and how; after the creation when both are in
    /// one body. `None`: nobody sets it by plan (awaiting it may deadlock).
    pub set: Option<(Pick, Pick, SetSpec)>,
}

/// A whole scenario: task `0` is `main`, task `i` is `t{i}`, future `k` is `f{k}`.
#[derive(Clone, PartialEq, Eq)]
pub struct GraphSpec {
    /// The task definitions (at least one).
    pub tasks: Vec<TaskSpec>,
    /// The future names.
    pub futures: Vec<FutureSpec>,
}

/// Shows the rendered document: a shrunk failing case prints as the graph itself.
impl fmt::Debug for GraphSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_json())
    }
}

/// The name of task `i`.
pub fn task_name(i: usize) -> String {
    if i == 0 {
        "main".to_owned()
    } else {
        format!("t{i}")
    }
}

/// The name of future `k`.
pub fn future_name(k: usize) -> String {
    format!("f{k}")
}

impl GraphSpec {
    /// The `aiosim-graph/1` document, one task per line.
    pub fn to_json(&self) -> String {
        Renderer::new(self).document()
    }

    /// The parsed graph.
    ///
    /// # Panics
    ///
    /// If the rendered document is invalid: a bug of the renderer (or of the parser).
    pub fn graph(&self) -> Graph {
        let json = self.to_json();
        parse_graph(json.as_bytes())
            .unwrap_or_else(|e| panic!("rendered graph is invalid: {e}\n{json}"))
    }

    /// How many ops the trees hold (the plan's ops not counted).
    pub fn tree_ops(&self) -> usize {
        fn count(block: &[OpSpec]) -> usize {
            block
                .iter()
                .map(|op| 1 + op.children().map(count).sum::<usize>())
                .sum()
        }
        self.tasks.iter().map(|t| count(&t.body)).sum()
    }
}

impl OpSpec {
    /// The nested blocks of a block op.
    pub fn children(&self) -> impl Iterator<Item = &[OpSpec]> {
        let mut out: Vec<&[OpSpec]> = Vec::new();
        match self {
            OpSpec::Try {
                body,
                handlers,
                finally,
            } => {
                out.push(body);
                out.extend(handlers.iter().map(|h| h.body.as_slice()));
                out.extend(finally.as_deref());
            }
            OpSpec::Timeout { body, .. } | OpSpec::TaskGroup(body) => out.push(body),
            _ => {}
        }
        out.into_iter()
    }
}

/// JSON string literal (RFC 8259 escapes).
fn string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    write_str(&mut out, s);
    out
}

fn value(v: &ValueSpec) -> String {
    match v {
        ValueSpec::Null => "null".to_owned(),
        ValueSpec::Bool(b) => b.to_string(),
        ValueSpec::Int(i) => i.to_string(),
        ValueSpec::Str(s) => string(s),
        ValueSpec::List(items) => {
            let items: Vec<String> = items.iter().map(value).collect();
            format!("[{}]", items.join(","))
        }
    }
}

fn exception(e: &ExcSpec) -> String {
    match e.msg {
        Some(m) => format!("{{\"type\":{},\"msg\":{}}}", string(e.ty), string(m)),
        None => format!("{{\"type\":{}}}", string(e.ty)),
    }
}

fn ticks(t: u64) -> String {
    t.min(MAX_TICKS).to_string()
}

fn optional_ticks(t: Option<u64>) -> String {
    t.map_or_else(|| "null".to_owned(), ticks)
}

fn list(names: Vec<String>) -> String {
    let names: Vec<String> = names.iter().map(|n| string(n)).collect();
    format!("[{}]", names.join(","))
}

const SLEEP_0: &str = "{\"sleep\":0}";

/// Where an op is rendered.
#[derive(Clone, Copy)]
struct Ctx {
    /// The task whose body holds it.
    task: usize,
    /// Depth of the enclosing block (a body is 0).
    depth: usize,
    /// Inside a handler's `do` block (at any depth).
    in_handler: bool,
}

struct Renderer<'a> {
    spec: &'a GraphSpec,
    /// Ops of the trees that may still be written.
    budget: usize,
    /// Per task: whether a `spawn` op of the trees written so far names it.
    spawned_by_tree: Vec<bool>,
}

impl<'a> Renderer<'a> {
    fn new(spec: &'a GraphSpec) -> Renderer<'a> {
        let n = spec.tasks.len().max(1);
        let planned = (1..spec.tasks.len())
            .filter(|&j| spec.tasks[j].spawn.is_some())
            .count()
            + spec
                .futures
                .iter()
                .map(|f| 1 + usize::from(f.set.is_some()))
                .sum::<usize>();
        Renderer {
            spec,
            budget: MAX_OPS.saturating_sub(planned),
            spawned_by_tree: vec![false; n],
        }
    }

    fn n_tasks(&self) -> usize {
        self.spec.tasks.len().max(1)
    }

    fn futures(&self) -> Vec<String> {
        (0..self.spec.futures.len()).map(future_name).collect()
    }

    /// Tasks of higher index than `i`, then futures: what an await edge may name.
    fn higher(&self, i: usize) -> Vec<String> {
        let mut out: Vec<String> = (i + 1..self.n_tasks()).map(task_name).collect();
        out.extend(self.futures());
        out
    }

    /// Every task but `i`, then futures.
    fn others(&self, i: usize) -> Vec<String> {
        let mut out: Vec<String> = (0..self.n_tasks())
            .filter(|&j| j != i)
            .map(task_name)
            .collect();
        out.extend(self.futures());
        out
    }

    /// Every task, then futures.
    fn any(&self) -> Vec<String> {
        let mut out: Vec<String> = (0..self.n_tasks()).map(task_name).collect();
        out.extend(self.futures());
        out
    }

    fn tasks(&self) -> Vec<String> {
        (0..self.n_tasks()).map(task_name).collect()
    }

    fn document(mut self) -> String {
        let n = self.n_tasks();
        // Per task: (position among the top-level ops, rank, op) of the plan's ops.
        let mut extra: Vec<Vec<(usize, u8, String)>> = vec![Vec::new(); n];
        let mut bodies: Vec<Vec<String>> = Vec::with_capacity(n);
        for i in 0..n {
            let ctx = Ctx {
                task: i,
                depth: 0,
                in_handler: false,
            };
            let body = match self.spec.tasks.get(i) {
                Some(t) => self.block(&t.body, ctx),
                None => Vec::new(),
            };
            bodies.push(body);
        }
        let len = |bodies: &Vec<Vec<String>>, t: usize| bodies[t].len() + 1;
        for (k, f) in self.spec.futures.iter().enumerate() {
            let (creator, at) = match f.create {
                Some((creator, at)) => {
                    let creator = usize::from(creator.0) % n;
                    (creator, usize::from(at.0) % len(&bodies, creator))
                }
                None => (0, 0),
            };
            let op = format!("{{\"future\":{}}}", string(&future_name(k)));
            extra[creator].push((at, 0, op));
            if let Some((setter, pos, how)) = &f.set {
                let setter = usize::from(setter.0) % n;
                let mut set_at = usize::from(pos.0) % len(&bodies, setter);
                if setter == creator {
                    set_at = set_at.max(at);
                }
                let name = string(&future_name(k));
                let op = match how {
                    SetSpec::Result(v) => {
                        format!("{{\"set_result\":{name},\"value\":{}}}", value(v))
                    }
                    SetSpec::Exception(e) => {
                        format!("{{\"set_exception\":{name},\"exc\":{}}}", exception(e))
                    }
                };
                extra[setter].push((set_at, 2, op));
            }
        }
        for j in 1..n {
            let Some((parent, pos)) = self.spec.tasks[j].spawn else {
                continue;
            };
            if self.spawned_by_tree[j] {
                continue;
            }
            let parent = usize::from(parent.0) % j;
            let at = usize::from(pos.0) % len(&bodies, parent);
            extra[parent].push((at, 1, format!("{{\"spawn\":{}}}", string(&task_name(j)))));
        }
        let mut out = String::from(
            "{\"format\":\"aiosim-graph/1\",\"name\":\"proptest\",\"main\":\"main\",\"tasks\":{\n",
        );
        for (i, body) in bodies.into_iter().enumerate() {
            let mut plan = std::mem::take(&mut extra[i]);
            plan.sort_by_key(|(at, rank, _)| (*at, *rank));
            let mut ops = Vec::with_capacity(body.len() + plan.len());
            let mut plan = plan.into_iter().peekable();
            for (at, op) in body.into_iter().enumerate() {
                while let Some((_, _, p)) = plan.next_if(|(pat, _, _)| *pat <= at) {
                    ops.push(p);
                }
                ops.push(op);
            }
            ops.extend(plan.map(|(_, _, p)| p));
            let sep = if i + 1 < n { ",\n" } else { "\n" };
            let _ = write!(
                out,
                "  {}: [{}]{sep}",
                string(&task_name(i)),
                ops.join(", ")
            );
        }
        out.push_str("}}\n");
        out
    }

    fn block(&mut self, ops: &[OpSpec], ctx: Ctx) -> Vec<String> {
        let mut out = Vec::with_capacity(ops.len());
        for op in ops {
            if self.budget == 0 {
                break;
            }
            self.budget -= 1;
            out.push(self.op(op, ctx));
        }
        out
    }

    fn nested(&mut self, ops: &[OpSpec], ctx: Ctx, in_handler: bool) -> Option<String> {
        if ctx.depth + 1 > MAX_DEPTH {
            return None;
        }
        let inner = Ctx {
            depth: ctx.depth + 1,
            in_handler: ctx.in_handler || in_handler,
            ..ctx
        };
        Some(format!("[{}]", self.block(ops, inner).join(", ")))
    }

    fn refs(&self, picks: &[Pick], names: &[String]) -> Vec<String> {
        picks.iter().filter_map(|p| p.of(names).cloned()).collect()
    }

    fn op(&mut self, op: &OpSpec, ctx: Ctx) -> String {
        let i = ctx.task;
        let one = |names: &[String], p: Pick| p.of(names).map(|n| string(n));
        let or_sleep = |op: Option<String>| op.unwrap_or_else(|| SLEEP_0.to_owned());
        match op {
            OpSpec::Sleep(t) => format!("{{\"sleep\":{}}}", ticks(*t)),
            OpSpec::Spawn(p) => {
                let target = spawn_target(i, self.n_tasks(), *p);
                self.spawned_by_tree[target] = true;
                format!("{{\"spawn\":{}}}", string(&task_name(target)))
            }
            OpSpec::Await(p) => {
                or_sleep(one(&self.higher(i), *p).map(|r| format!("{{\"await\":{r}}}")))
            }
            OpSpec::Gather {
                refs,
                return_exceptions,
            } => {
                let names = self.refs(refs, &self.higher(i));
                let re = return_exceptions
                    .map(|b| format!(",\"return_exceptions\":{b}"))
                    .unwrap_or_default();
                format!("{{\"gather\":{}{re}}}", list(names))
            }
            OpSpec::Wait {
                refs,
                return_when,
                timeout,
            } => {
                let names = self.refs(refs, &self.others(i));
                if names.is_empty() {
                    return SLEEP_0.to_owned();
                }
                let rw = return_when
                    .map(|r| {
                        let s = match r {
                            ReturnWhenSpec::All => "ALL_COMPLETED",
                            ReturnWhenSpec::FirstCompleted => "FIRST_COMPLETED",
                            ReturnWhenSpec::FirstException => "FIRST_EXCEPTION",
                        };
                        format!(",\"return_when\":\"{s}\"")
                    })
                    .unwrap_or_default();
                let t = timeout
                    .map(|t| format!(",\"timeout\":{}", ticks(t)))
                    .unwrap_or_default();
                format!("{{\"wait\":{}{rw}{t}}}", list(names))
            }
            OpSpec::WaitFor { target, timeout } => {
                or_sleep(one(&self.higher(i), *target).map(|r| {
                    format!(
                        "{{\"wait_for\":{r},\"timeout\":{}}}",
                        optional_ticks(*timeout)
                    )
                }))
            }
            OpSpec::Shield(p) => {
                or_sleep(one(&self.others(i), *p).map(|r| format!("{{\"shield\":{r}}}")))
            }
            OpSpec::AsCompleted { refs, timeout } => {
                let names = self.refs(refs, &self.others(i));
                let t = timeout
                    .map(|t| format!(",\"timeout\":{}", ticks(t)))
                    .unwrap_or_default();
                format!("{{\"as_completed\":{}{t}}}", list(names))
            }
            OpSpec::Cancel { target, msg } => {
                or_sleep(one(&self.any(), *target).map(|r| match msg {
                    Some(m) => format!("{{\"cancel\":{r},\"msg\":{}}}", string(m)),
                    None => format!("{{\"cancel\":{r}}}"),
                }))
            }
            OpSpec::Return(v) => format!("{{\"return\":{}}}", value(v)),
            OpSpec::Raise(None) if ctx.in_handler => "{\"raise\":null}".to_owned(),
            OpSpec::Raise(None) => "{\"raise\":{\"type\":\"ValueError\"}}".to_owned(),
            OpSpec::Raise(Some(e)) => format!("{{\"raise\":{}}}", exception(e)),
            OpSpec::Try {
                body,
                handlers,
                finally,
            } => {
                let Some(b) = self.nested(body, ctx, false) else {
                    return SLEEP_0.to_owned();
                };
                let mut seen: Vec<&str> = Vec::new();
                let mut hs = Vec::new();
                for h in handlers {
                    if seen.contains(&h.ty) {
                        continue;
                    }
                    seen.push(h.ty);
                    let body = self.nested(&h.body, ctx, true).unwrap_or_default();
                    hs.push(format!("{{\"type\":{},\"do\":{body}}}", string(h.ty)));
                }
                let fin = match finally {
                    Some(f) => Some(self.nested(f, ctx, false).unwrap_or_default()),
                    None if hs.is_empty() => Some("[]".to_owned()),
                    None => None,
                };
                let mut out = format!("{{\"try\":{b}");
                if !hs.is_empty() {
                    let _ = write!(out, ",\"except\":[{}]", hs.join(","));
                }
                if let Some(f) = fin {
                    let _ = write!(out, ",\"finally\":{f}");
                }
                out.push('}');
                out
            }
            OpSpec::Timeout { timeout, body } => match self.nested(body, ctx, false) {
                Some(b) => format!("{{\"timeout\":{},\"do\":{b}}}", optional_ticks(*timeout)),
                None => SLEEP_0.to_owned(),
            },
            OpSpec::TaskGroup(body) => match self.nested(body, ctx, false) {
                Some(b) => format!("{{\"taskgroup\":{b}}}"),
                None => SLEEP_0.to_owned(),
            },
            OpSpec::Future(p) => format!("{{\"future\":\"g{}\"}}", p.0 % 4),
            OpSpec::SetResult { future, value: v } => or_sleep(
                one(&self.futures(), *future)
                    .map(|r| format!("{{\"set_result\":{r},\"value\":{}}}", value(v))),
            ),
            OpSpec::SetException { future, exc } => or_sleep(
                one(&self.futures(), *future)
                    .map(|r| format!("{{\"set_exception\":{r},\"exc\":{}}}", exception(exc))),
            ),
            OpSpec::AddDoneCallback { target, label } => or_sleep(
                one(&self.any(), *target)
                    .map(|r| format!("{{\"add_done_callback\":{r},\"label\":\"cb{label}\"}}")),
            ),
            OpSpec::Done(p) => or_sleep(one(&self.any(), *p).map(|r| format!("{{\"done\":{r}}}"))),
            OpSpec::Cancelled(p) => {
                or_sleep(one(&self.any(), *p).map(|r| format!("{{\"cancelled\":{r}}}")))
            }
            OpSpec::Cancelling(p) => {
                or_sleep(one(&self.tasks(), *p).map(|r| format!("{{\"cancelling\":{r}}}")))
            }
            OpSpec::Uncancel(p) => {
                or_sleep(one(&self.tasks(), *p).map(|r| format!("{{\"uncancel\":{r}}}")))
            }
        }
    }
}

/// The task a `spawn` op of task `i`'s trees names: one of higher index, or (for the last
/// task) any task, which then fails with "already spawned" or starts a task out of plan.
fn spawn_target(i: usize, n: usize, p: Pick) -> usize {
    let higher = n.saturating_sub(i + 1);
    if higher > 0 {
        i + 1 + usize::from(p.0) % higher
    } else {
        usize::from(p.0) % n
    }
}
