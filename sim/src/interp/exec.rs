//! Execution of ops and blocks inside a task body (graph-format 4.3–4.7).

use std::future::Future as StdFuture;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;

use aiosim::{DoneCallback, Exception, FutureRef, State, TaskGroup};

use super::Run;
use super::render::{exception_outcome, make_exception, scenario_error, settled_list};
use crate::graph::{Block, Handler, Op, OpNode, Ref, ReturnWhen};
use crate::trace::{CallbackState, Event, Outcome, Res};
use crate::value::Value;

/// How control left an op that did not raise.
enum Flow {
    /// Normally, with the op's result.
    Normal(Res),
    /// Through a `return` with this value.
    Return(Value),
}

/// How control left a block that did not raise: `Some(v)` when returning `v`.
type BlockFlow = Result<Option<Value>, Exception>;

type Boxed<'a, T> = Pin<Box<dyn StdFuture<Output = T> + 'a>>;

/// What an op needs to know about where it runs.
#[derive(Clone)]
struct Ctx {
    run: Rc<Run>,
    /// The graph task whose body holds the op.
    task: usize,
    /// The innermost enclosing `taskgroup` of the same body.
    group: Option<TaskGroup>,
    /// The exception caught by the innermost handler lexically enclosing the op.
    caught: Option<Exception>,
}

/// `spawn`: creates the runtime task for task definition `index`, in `group` if given.
pub(super) fn spawn_task(
    run: &Rc<Run>,
    index: usize,
    group: Option<&TaskGroup>,
) -> Result<aiosim::Task<Value>, Exception> {
    let name = run.task_name(index);
    if run.tasks.borrow()[index].is_some() {
        return Err(scenario_error(format!("already spawned: {name}")));
    }
    let body = task_body(run.clone(), index);
    let task = match group {
        Some(g) => g.create_task_named(&name, body)?,
        None => aiosim::create_task_named(&name, body),
    };
    run.tasks.borrow_mut()[index] = Some(task);
    let slot = task.as_ref().index() as usize;
    let mut by_runtime = run.by_runtime.borrow_mut();
    if by_runtime.len() <= slot {
        by_runtime.resize(slot + 1, None);
    }
    by_runtime[slot] = Some(index);
    super::set_name(&run.future_names, task.as_future().index() as usize, name);
    Ok(task)
}

/// The body of a task definition: `start`, the ops, `end` (graph-format 3.2).
async fn task_body(run: Rc<Run>, index: usize) -> Result<Value, Exception> {
    let name = run.task_name(index);
    run.emit(Event::Start {
        t: aiosim::time(),
        task: name.clone(),
    });
    let graph = run.graph.clone();
    let ctx = Ctx {
        run: run.clone(),
        task: index,
        group: None,
        caught: None,
    };
    let result = exec_block(&ctx, &graph.tasks[index].body).await;
    let (out, result) = match result {
        Ok(v) => {
            let v = v.unwrap_or(Value::Null);
            (Outcome::ok(v.clone()), Ok(v))
        }
        Err(e) => (exception_outcome(&e), Err(e)),
    };
    run.emit(Event::End {
        t: aiosim::time(),
        task: name,
        out,
    });
    result
}

fn exec_block<'a>(ctx: &'a Ctx, block: &'a Block) -> Boxed<'a, BlockFlow> {
    Box::pin(async move {
        for node in block {
            match exec_op(ctx, node).await {
                Ok(Flow::Normal(_)) => {}
                Ok(Flow::Return(v)) => return Ok(Some(v)),
                Err(e) => return Err(e),
            }
        }
        Ok(None)
    })
}

/// Runs one op and emits its `op` event when control leaves it (4.4).
async fn exec_op(ctx: &Ctx, node: &OpNode) -> Result<Flow, Exception> {
    ctx.run.op_starts.borrow_mut().push(super::OpStart {
        task: ctx.run.task_name(ctx.task),
        at: node.at.clone(),
        t: aiosim::time(),
        iteration: ctx.run.iteration.get(),
    });
    let flow = run_op(ctx, node).await;
    let out = match &flow {
        Ok(Flow::Normal(res)) => Outcome::Ok(res.clone()),
        Ok(Flow::Return(v)) => Outcome::Return(v.clone()),
        Err(e) => exception_outcome(e),
    };
    ctx.run.emit(Event::Op {
        t: aiosim::time(),
        task: ctx.run.task_name(ctx.task),
        at: node.at.clone(),
        op: node.op.kind(),
        out,
    });
    flow
}

fn ok(v: Value) -> Result<Flow, Exception> {
    Ok(Flow::Normal(Res::Value(v)))
}

fn block_flow(r: BlockFlow) -> Result<Flow, Exception> {
    match r? {
        Some(v) => Ok(Flow::Return(v)),
        None => ok(Value::Null),
    }
}

async fn run_op(ctx: &Ctx, node: &OpNode) -> Result<Flow, Exception> {
    match &node.op {
        Op::Spawn(t) => {
            spawn_task(&ctx.run, t.index, ctx.group.as_ref())?;
            ok(Value::Null)
        }
        Op::Sleep(n) => {
            aiosim::sleep(*n).await?;
            ok(Value::Null)
        }
        Op::Await(r) => ok(awaitable(ctx, r)?.await?),
        Op::Gather {
            refs,
            return_exceptions,
        } => {
            let children = resolve_all(ctx, refs)?;
            if *return_exceptions {
                let results = aiosim::gather_return_exceptions(&children).await?;
                Ok(Flow::Normal(settled_list(results)))
            } else {
                let values = aiosim::gather(&children).await?;
                ok(Value::List(values.into()))
            }
        }
        Op::Wait {
            refs,
            return_when,
            timeout,
        } => {
            let objects = resolve_all(ctx, refs)?;
            let fs: Vec<FutureRef> = objects.iter().map(|o| o.future_ref()).collect();
            let result = aiosim::wait(&fs, *timeout, runtime_return_when(*return_when)).await?;
            let name_of = |f: &FutureRef| {
                let i = fs
                    .iter()
                    .position(|x| x == f)
                    .expect("an input of the wait");
                refs[i].name().clone()
            };
            let done: Vec<Arc<str>> = result.done.iter().map(name_of).collect();
            let pending: Vec<Arc<str>> = result.pending.iter().map(name_of).collect();
            Ok(Flow::Normal(Res::wait(done, pending)))
        }
        Op::WaitFor { target, timeout } => {
            let x = resolve(ctx, target)?;
            ok(aiosim::wait_for(&x, *timeout).await?)
        }
        Op::Shield(r) => {
            let x = resolve(ctx, r)?;
            ok(aiosim::shield(&x).await?)
        }
        Op::AsCompleted { refs, timeout } => as_completed(ctx, &node.at, refs, *timeout).await,
        Op::Cancel { target, msg } => {
            let x = resolve(ctx, target)?.future_ref();
            let accepted = match msg {
                Some(m) => x.cancel_with(m),
                None => x.cancel(),
            };
            ok(Value::Bool(accepted))
        }
        Op::Return(v) => Ok(Flow::Return(v.clone())),
        Op::Raise(Some(spec)) => Err(make_exception(spec)),
        Op::Raise(None) => Err(ctx
            .caught
            .clone()
            .expect("validation places re-raise inside a handler")),
        Op::Try {
            body,
            handlers,
            finally,
        } => block_flow(exec_try(ctx, body, handlers, finally.as_ref()).await),
        Op::Timeout { timeout, body } => {
            let r = aiosim::timeout(*timeout, |_| exec_block(ctx, body)).await;
            block_flow(r)
        }
        Op::TaskGroup(body) => {
            let r = aiosim::task_group(|tg| async move {
                let inner = Ctx {
                    group: Some(tg),
                    ..ctx.clone()
                };
                exec_block(&inner, body).await
            })
            .await;
            block_flow(r)
        }
        Op::Future(f) => {
            let mut futures = ctx.run.futures.borrow_mut();
            if futures[f.index].is_some() {
                return Err(scenario_error(format!("already created: {}", f.name)));
            }
            let fut = aiosim::Future::new();
            futures[f.index] = Some(fut);
            super::set_name(
                &ctx.run.future_names,
                fut.as_ref().index() as usize,
                f.name.clone(),
            );
            ok(Value::Null)
        }
        Op::SetResult { future, value } => {
            future_of(ctx, future.index, &future.name)?.set_result(value.clone())?;
            ok(Value::Null)
        }
        Op::SetException { future, exc } => {
            future_of(ctx, future.index, &future.name)?.set_exception(make_exception(exc))?;
            ok(Value::Null)
        }
        Op::AddDoneCallback { target, label } => {
            let x = resolve(ctx, target)?.future_ref();
            x.add_done_callback(&callback(ctx, target.name().clone(), label.clone()));
            ok(Value::Null)
        }
        Op::Done(r) => ok(Value::Bool(resolve(ctx, r)?.future_ref().done())),
        Op::Cancelled(r) => ok(Value::Bool(resolve(ctx, r)?.future_ref().cancelled())),
        Op::Cancelling(t) => {
            let task = task_of(ctx, t.index, &t.name)?;
            ok(Value::Int(i64::from(task.cancelling())))
        }
        Op::Uncancel(t) => {
            let task = task_of(ctx, t.index, &t.name)?;
            ok(Value::Int(i64::from(task.uncancel())))
        }
    }
}

/// Python's `try`/`except`/`finally` (4.6); `return` and exceptions in the `finally` block
/// replace whatever was leaving.
async fn exec_try(
    ctx: &Ctx,
    body: &Block,
    handlers: &[Handler],
    finally: Option<&Block>,
) -> BlockFlow {
    let mut flow = exec_block(ctx, body).await;
    if let Err(e) = &flow
        && let Some(h) = handlers.iter().find(|h| handles(&h.ty, e))
    {
        let inner = Ctx {
            caught: Some(e.clone()),
            ..ctx.clone()
        };
        flow = exec_block(&inner, &h.body).await;
    }
    match finally {
        None => flow,
        Some(block) => match exec_block(ctx, block).await {
            Ok(None) => flow,
            other => other,
        },
    }
}

/// Handler matching (4.6): `BaseException` catches all, `Exception` all but
/// `CancelledError`, any other name exactly its class.
fn handles(ty: &str, e: &Exception) -> bool {
    match ty {
        "BaseException" => true,
        "Exception" => !e.is_cancelled(),
        name => e.type_name() == name,
    }
}

/// The `as_completed` loop of 4.3.
async fn as_completed(
    ctx: &Ctx,
    at: &Arc<str>,
    refs: &[Ref],
    timeout: Option<u64>,
) -> Result<Flow, Exception> {
    let objects = resolve_all(ctx, refs)?;
    for (i, item) in aiosim::as_completed(&objects, timeout).enumerate() {
        let out = match item.await {
            Ok(v) => Outcome::ok(v),
            Err(e) if e.is_cancelled() => return Err(e),
            Err(e) => exception_outcome(&e),
        };
        ctx.run.emit(Event::Item {
            t: aiosim::time(),
            task: ctx.run.task_name(ctx.task),
            at: at.clone(),
            i: i as u64,
            out,
        });
    }
    ok(Value::Null)
}

/// A done-callback that emits the `callback` event (graph-format 3.2).
fn callback(ctx: &Ctx, of: Arc<str>, label: Arc<str>) -> DoneCallback {
    let run = ctx.run.clone();
    DoneCallback::new(move |fut: FutureRef| {
        let state = match fut.state() {
            State::Cancelled => CallbackState::Cancelled,
            _ if fut.peek_exception().is_some() => CallbackState::Err,
            _ => CallbackState::Ok,
        };
        run.emit(Event::Callback {
            t: aiosim::time(),
            of: of.clone(),
            label: label.clone(),
            state,
        });
    })
}

/// A resolved reference: a task or a future, both yielding scenario values.
#[derive(Clone, Copy)]
enum Object {
    Task(aiosim::Task<Value>),
    Future(aiosim::Future<Value>),
}

impl aiosim::Awaitable<Value> for Object {
    fn future_ref(&self) -> FutureRef {
        match self {
            Object::Task(t) => t.as_future(),
            Object::Future(f) => f.as_ref(),
        }
    }
}

impl Object {
    fn future_ref(&self) -> FutureRef {
        aiosim::Awaitable::future_ref(self)
    }
}

fn task_of(ctx: &Ctx, index: usize, name: &str) -> Result<aiosim::Task<Value>, Exception> {
    ctx.run.tasks.borrow()[index].ok_or_else(|| scenario_error(format!("not spawned: {name}")))
}

fn future_of(ctx: &Ctx, index: usize, name: &str) -> Result<aiosim::Future<Value>, Exception> {
    ctx.run.futures.borrow()[index].ok_or_else(|| scenario_error(format!("not created: {name}")))
}

/// Resolves a reference when its op executes (4.5).
fn resolve(ctx: &Ctx, r: &Ref) -> Result<Object, Exception> {
    match r {
        Ref::Task(t) => task_of(ctx, t.index, &t.name).map(Object::Task),
        Ref::Future(f) => future_of(ctx, f.index, &f.name).map(Object::Future),
    }
}

/// Resolves a list left to right; the first unresolvable name is the error (4.5).
fn resolve_all(ctx: &Ctx, refs: &[Ref]) -> Result<Vec<Object>, Exception> {
    refs.iter().map(|r| resolve(ctx, r)).collect()
}

/// `await obj`: a future of the object's value.
fn awaitable(ctx: &Ctx, r: &Ref) -> Result<aiosim::Awaiting<Value>, Exception> {
    Ok(match resolve(ctx, r)? {
        Object::Task(t) => t.into_future(),
        Object::Future(f) => f.into_future(),
    })
}

fn runtime_return_when(rw: ReturnWhen) -> aiosim::ReturnWhen {
    match rw {
        ReturnWhen::AllCompleted => aiosim::ReturnWhen::AllCompleted,
        ReturnWhen::FirstCompleted => aiosim::ReturnWhen::FirstCompleted,
        ReturnWhen::FirstException => aiosim::ReturnWhen::FirstException,
    }
}
