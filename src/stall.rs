//! What a loop that can go no further reports: the tasks still pending, what each one is
//! suspended on, and the cycle of tasks awaiting each other, if there is one.
//!
//! CPython would block forever on a deadlock, and spin forever on a task that never stops
//! yielding; the loop stops instead ([`crate::RunError::Deadlock`],
//! [`crate::RunError::BudgetExhausted`]) and says where the tasks stand, so that the culprit
//! can be read off the report: the task that is ready when the budget runs out, or the tasks
//! of an await cycle.

use std::fmt;
use std::rc::Rc;

use crate::core::{Core, FutKind, TaskId};
use crate::future::FutureRef;

/// Where a loop stopped without an outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stall {
    /// Virtual time when it stopped.
    pub now: u64,
    /// Iterations run so far.
    pub iteration: u64,
    /// The tasks that were not done, in creation order.
    pub pending_tasks: Vec<PendingTask>,
    /// Tasks that await each other in a ring, starting from the earliest created one of the
    /// first ring found (in creation order); empty when there is none.
    pub await_cycle: Vec<Rc<str>>,
}

/// A task that was not done when the loop stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingTask {
    /// The task's name.
    pub name: Rc<str>,
    /// What it was suspended on (`_fut_waiter`); `None` for a task that was not suspended on
    /// anything: about to take a step, or not started.
    pub awaiting: Option<Awaited>,
}

/// What a pending task was suspended on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Awaited {
    /// Another task, by name.
    Task(Rc<str>),
    /// The outer future of a `gather`.
    Gather(FutureRef),
    /// Any other future: one the program created, or a combinator's own.
    Future(FutureRef),
}

impl Stall {
    /// The await cycle as text, `a -> b -> a`, if there is one.
    pub fn cycle_text(&self) -> Option<String> {
        let first = self.await_cycle.first()?;
        let ring: Vec<&str> = self.await_cycle.iter().map(|n| &**n).collect();
        Some(format!("{} -> {first}", ring.join(" -> ")))
    }
}

impl fmt::Display for PendingTask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.awaiting {
            None => write!(f, "{} (ready)", self.name),
            Some(Awaited::Task(name)) => write!(f, "{} (waits for task {name})", self.name),
            Some(Awaited::Gather(_)) => write!(f, "{} (waits for a gather)", self.name),
            Some(Awaited::Future(_)) => write!(f, "{} (waits for a future)", self.name),
        }
    }
}

impl fmt::Display for Stall {
    /// `t=T (iteration I); pending tasks: a (waits for task b), ...; await cycle: a -> b -> a`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "t={} (iteration {}); pending tasks: ",
            self.now, self.iteration
        )?;
        if self.pending_tasks.is_empty() {
            f.write_str("none")?;
        }
        for (i, task) in self.pending_tasks.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{task}")?;
        }
        if let Some(cycle) = self.cycle_text() {
            write!(f, "; await cycle: {cycle}")?;
        }
        Ok(())
    }
}

impl Core {
    /// Where the loop stands now, for a report that it cannot go on.
    pub(crate) fn stall(&self) -> Stall {
        let pending: Vec<TaskId> = self.pending_tasks().collect();
        Stall {
            now: self.now,
            iteration: self.iteration,
            pending_tasks: pending
                .iter()
                .map(|&t| PendingTask {
                    name: self.task_names[t as usize].render(),
                    awaiting: self.awaited_by(t),
                })
                .collect(),
            await_cycle: self
                .await_cycle(&pending)
                .iter()
                .map(|&t| self.task_names[t as usize].render())
                .collect(),
        }
    }

    /// What task `t` is suspended on.
    fn awaited_by(&self, t: TaskId) -> Option<Awaited> {
        let w = self.task(t).waiter?;
        let future = FutureRef {
            id: w,
            loop_id: self.loop_id,
        };
        Some(match &self.extra(w).kind {
            FutKind::Task(u) => Awaited::Task(self.task_names[*u as usize].render()),
            FutKind::Gather(_) => Awaited::Gather(future),
            FutKind::Plain => Awaited::Future(future),
        })
    }

    /// The task `t` is suspended on, if it waits for a task.
    fn awaited_task(&self, t: TaskId) -> Option<TaskId> {
        match self.extra(self.task(t).waiter?).kind {
            FutKind::Task(u) => Some(u),
            _ => None,
        }
    }

    /// The first ring of tasks awaiting each other: walks from each pending task in creation
    /// order along "waits for task" links (each task has at most one) until the walk ends or
    /// meets a task already walked through. Meeting one of its own tasks closes a ring; one of
    /// an earlier walk's leads nowhere new. Every task is walked through once.
    fn await_cycle(&self, pending: &[TaskId]) -> Vec<TaskId> {
        const UNSEEN: TaskId = TaskId::MAX;
        // For each task: UNSEEN, or the pending task whose walk went through it.
        let mut walked_by = vec![UNSEEN; self.tasks.len()];
        for &start in pending {
            let mut t = start;
            while walked_by[t as usize] == UNSEEN {
                walked_by[t as usize] = start;
                match self.awaited_task(t) {
                    Some(u) => t = u,
                    None => break,
                }
            }
            if walked_by[t as usize] == start && self.awaited_task(t).is_some() {
                return self.ring_through(t);
            }
        }
        Vec::new()
    }

    /// The ring of tasks that `t`, a member, belongs to, from its earliest created member.
    fn ring_through(&self, t: TaskId) -> Vec<TaskId> {
        let mut ring = vec![t];
        let mut u = self
            .awaited_task(t)
            .expect("a ring member waits for a task");
        while u != t {
            ring.push(u);
            u = self
                .awaited_task(u)
                .expect("a ring member waits for a task");
        }
        let earliest = (0..ring.len()).min_by_key(|&i| ring[i]).unwrap_or(0);
        ring.rotate_left(earliest);
        ring
    }
}
