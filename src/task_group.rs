//! `asyncio.TaskGroup` (TG-1..TG-11), 3.12.1 form.
//!
//! Each child gets `_on_task_done`. The first child failure (not a cancellation) aborts the
//! group: unfinished children are cancelled in spawn order (the order graph-format 4.9 pins
//! for CPython's set), then the parent task is cancelled once (TG-2). Leaving the body waits,
//! round after round on a fresh private future, until no child is left (TG-1), then raises
//! the collected errors as one `ExceptionGroup` (TG-3). 3.12.1 calls the parent's
//! `uncancel()` at the start of the exit, so a failure after the body finished leaks one
//! cancel request (TG-10); that is reproduced.

use std::cell::{Cell, RefCell};
use std::future::Future as StdFuture;
use std::rc::Rc;

use crate::await_point::AwaitOutcome;
use crate::core::{Core, FutId, FutKind, FutState, Internal, TaskId, with_core};
use crate::exception::Exception;
use crate::future::FutureRef;
use crate::mutation::{self, Mutation};
use crate::schedule::SetSite;
use crate::task::{Task, spawn};

/// The message of the group's `ExceptionGroup` (TG-3).
pub const GROUP_MESSAGE: &str = "unhandled errors in a TaskGroup";

struct Group {
    parent: TaskId,
    exiting: Cell<bool>,
    aborting: Cell<bool>,
    parent_cancel_requested: Cell<bool>,
    /// Children whose completion has not been processed, in spawn order.
    tasks: RefCell<Vec<TaskId>>,
    errors: RefCell<Vec<Exception>>,
    on_completed: Cell<Option<FutId>>,
}

impl Group {
    /// `_abort`: cancel every unfinished child, in spawn order (TG-9 as pinned; an exploring
    /// scheduler may choose another order).
    fn abort(&self, core: &mut Core) {
        self.aborting.set(true);
        if mutation::active(Mutation::TaskGroupSparesSiblings) {
            return;
        }
        let children = core.set_order(SetSite::GroupAbort, &self.tasks.borrow());
        for t in children {
            if !core.is_done(core.task(t).fut) {
                core.task_cancel(t, None);
            }
        }
    }

    /// CPython's `repr(tg)`, used in the "is shutting down" error.
    fn repr(&self) -> String {
        let mut s = String::from("<TaskGroup");
        let n = self.tasks.borrow().len();
        if n > 0 {
            s += &format!(" tasks={n}");
        }
        let m = self.errors.borrow().len();
        if m > 0 {
            s += &format!(" errors={m}");
        }
        s += if self.aborting.get() {
            " cancelling"
        } else {
            " entered"
        };
        s + ">"
    }
}

/// `_on_task_done` of one group.
struct OnTaskDone(Rc<Group>);

impl Internal for OnTaskDone {
    fn run(self: Rc<Self>, core: &mut Core, fut: FutId) {
        let g = &self.0;
        let FutKind::Task(task) = core.extra(fut).kind else {
            unreachable!("_on_task_done is registered on tasks only")
        };
        g.tasks.borrow_mut().retain(|&t| t != task);
        if let Some(waiter) = g.on_completed.get()
            && g.tasks.borrow().is_empty()
            && !core.is_done(waiter)
        {
            let _ = core.set_unit_result(waiter);
        }
        if core.fut(fut).state == FutState::Cancelled {
            return; // TG-4
        }
        let Ok(Some(exc)) = core.exception_of(fut) else {
            return;
        };
        g.errors.borrow_mut().push(exc.clone());
        if core.is_done(core.task(g.parent).fut) {
            let message = format!(
                "Task {} has errored out but its parent task {} is already completed",
                core.task_repr(task),
                core.task_repr(g.parent),
            );
            core.report(message, Some(exc), Some(task));
            return;
        }
        if !g.aborting.get() && !g.parent_cancel_requested.get() {
            g.abort(core);
            g.parent_cancel_requested.set(true);
            core.task_cancel(g.parent, None);
        }
    }

    fn name(&self) -> &'static str {
        "_on_task_done"
    }
}

/// A handle to an entered task group, passed to the body of [`task_group`].
#[derive(Clone)]
pub struct TaskGroup {
    group: Rc<Group>,
    on_done: Rc<dyn Internal>,
}

impl TaskGroup {
    /// `tg.create_task(body)`: a child task of the group. `RuntimeError` once the group has
    /// finished or while it is aborting (TG-8).
    pub fn create_task<T, F>(&self, body: F) -> Result<Task<T>, Exception>
    where
        T: Clone + 'static,
        F: StdFuture<Output = Result<T, Exception>> + 'static,
    {
        self.create_task_with_name(None, body)
    }

    /// `tg.create_task(body, name=name)`.
    pub fn create_task_named<T, F>(&self, name: &str, body: F) -> Result<Task<T>, Exception>
    where
        T: Clone + 'static,
        F: StdFuture<Output = Result<T, Exception>> + 'static,
    {
        self.create_task_with_name(Some(Rc::from(name)), body)
    }

    fn create_task_with_name<T, F>(
        &self,
        name: Option<Rc<str>>,
        body: F,
    ) -> Result<Task<T>, Exception>
    where
        T: Clone + 'static,
        F: StdFuture<Output = Result<T, Exception>> + 'static,
    {
        let g = &self.group;
        if g.exiting.get() && g.tasks.borrow().is_empty() {
            return Err(Exception::runtime(&format!(
                "TaskGroup {} is finished",
                g.repr()
            )));
        }
        if g.aborting.get() {
            return Err(Exception::runtime(&format!(
                "TaskGroup {} is shutting down",
                g.repr()
            )));
        }
        let task = spawn(body, name);
        let id = task.as_ref().id;
        with_core(|core| {
            let fut = core.task(id).fut;
            if core.is_done(fut) {
                self.on_done.clone().run(core, fut);
            } else {
                g.tasks.borrow_mut().push(id);
                core.add_internal_callback(fut, self.on_done.clone());
            }
        });
        Ok(task)
    }

    /// Number of children whose completion the group has not processed yet.
    pub fn pending_children(&self) -> usize {
        self.group.tasks.borrow().len()
    }

    /// `__aexit__`: wait for every child, then decide what leaves the block (TG-1..TG-6).
    async fn exit<T>(self, outcome: Result<T, Exception>) -> Result<T, Exception> {
        let g = &self.group;
        g.exiting.set(true);
        let mut propagate: Option<Exception> = match &outcome {
            Err(e) if e.is_cancelled() => Some(e.clone()),
            _ => None,
        };
        let loop_id = with_core(|core| {
            if g.parent_cancel_requested.get() && core.task_uncancel(g.parent) == 0 {
                propagate = None;
            }
            if outcome.is_err() && !g.aborting.get() {
                g.abort(core);
            }
            core.loop_id
        });
        while !g.tasks.borrow().is_empty() {
            let waiter = with_core(|core| match g.on_completed.get() {
                Some(w) => w,
                None => {
                    let w = core.new_future(FutKind::Plain);
                    g.on_completed.set(Some(w));
                    w
                }
            });
            if let Err(e) = AwaitOutcome::new(FutureRef {
                id: waiter,
                loop_id,
            })
            .await
                && e.is_cancelled()
                && !g.aborting.get()
            {
                propagate = Some(e);
                with_core(|core| g.abort(core));
            }
            g.on_completed.set(None);
        }
        let mut errors = std::mem::take(&mut *g.errors.borrow_mut());
        if let Some(e) = propagate
            && errors.is_empty()
        {
            return Err(e);
        }
        if let Err(e) = &outcome
            && !e.is_cancelled()
        {
            errors.push(e.clone());
        }
        if errors.is_empty() {
            outcome
        } else {
            Err(Exception::group(GROUP_MESSAGE, errors))
        }
    }
}

/// `async with asyncio.TaskGroup() as tg: body(tg)`. The body's own exception (not a
/// cancellation) joins the children's errors at the end of the group (TG-3, graph-format
/// quirk 10).
pub async fn task_group<T, F, Fut>(body: F) -> Result<T, Exception>
where
    F: FnOnce(TaskGroup) -> Fut,
    Fut: StdFuture<Output = Result<T, Exception>>,
{
    let parent = with_core(|core| core.current)
        .ok_or_else(|| Exception::runtime("TaskGroup cannot determine the parent task"))?;
    let group = Rc::new(Group {
        parent,
        exiting: Cell::new(false),
        aborting: Cell::new(false),
        parent_cancel_requested: Cell::new(false),
        tasks: RefCell::new(Vec::new()),
        errors: RefCell::new(Vec::new()),
        on_completed: Cell::new(None),
    });
    let tg = TaskGroup {
        on_done: Rc::new(OnTaskDone(group.clone())),
        group,
    };
    let outcome = body(tg.clone()).await;
    tg.exit(outcome).await
}
