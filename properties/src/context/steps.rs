//! The events of each task, and its steps: its events of one loop iteration.

use std::ops::Range;
use std::sync::Arc;

use aiosim_sim::trace::Event;

use super::names::NameMap;

/// One step: its iteration and where its events are in the step order of [`Steps`].
#[derive(Debug)]
struct Step {
    /// The loop iteration.
    iteration: u64,
    /// Its events' place in the step order.
    events: Range<usize>,
}

/// The events of each task, and of each step, found by task and (task, iteration) and
/// visited in (task name, iteration) order. Every list lives in a few flat vectors, so that
/// a run allocates a few buffers rather than one per task or step.
#[derive(Debug, Default)]
pub struct Steps {
    /// The number of each task, in the order of first appearance.
    tasks: NameMap<usize>,
    /// For each task by number: its events' place in `by_task`.
    task_events: Vec<Range<usize>>,
    /// The events of every task, grouped by task (by number), each task's in trace order.
    by_task: Vec<usize>,
    /// The events grouped by task, then by iteration, when that order differs from
    /// `by_task` (it does not when iterations only grow along the trace, as they do in a run).
    reordered: Option<Vec<usize>>,
    /// For each task by number: its steps' place in `steps`.
    task_steps: Vec<Range<usize>>,
    /// Every step, grouped by task (by number), each task's by iteration.
    steps: Vec<Step>,
}

impl Steps {
    /// The steps of the events of a trace, given the iteration of each event.
    pub(crate) fn of(events: &[Event], iteration: impl Fn(usize) -> u64) -> Steps {
        let mut steps = Steps::default();
        let (numbers, count) = steps.number_tasks(events);
        // Group the events by task, keeping trace order inside each task (a counting sort).
        let mut starts = vec![0; count + 1];
        for &t in numbers.iter().flatten() {
            starts[t + 1] += 1;
        }
        for t in 1..starts.len() {
            starts[t] += starts[t - 1];
        }
        let mut next = starts.clone();
        steps.by_task = vec![0; starts[count]];
        for (i, t) in numbers.iter().enumerate() {
            if let Some(t) = *t {
                steps.by_task[next[t]] = i;
                next[t] += 1;
            }
        }
        steps.task_events = starts.windows(2).map(|b| b[0]..b[1]).collect();
        // Order each task's events by iteration (a stable sort keeps trace order among the
        // events of one iteration), should trace order not do.
        let by_iteration = |own: &[usize]| own.is_sorted_by_key(|&i| iteration(i));
        if !steps
            .task_events
            .iter()
            .all(|r| by_iteration(&steps.by_task[r.clone()]))
        {
            let mut reordered = steps.by_task.clone();
            for r in &steps.task_events {
                reordered[r.clone()].sort_by_key(|&i| iteration(i));
            }
            steps.reordered = Some(reordered);
        }
        steps.split(iteration);
        steps
    }

    /// Numbers the tasks in the order they first appear, and returns the number of the task
    /// of each event (`None` for events of no task) and how many tasks there are.
    fn number_tasks(&mut self, events: &[Event]) -> (Vec<Option<usize>>, usize) {
        // Consecutive events mostly belong to one task: its number is kept at hand.
        let mut last: Option<(&Arc<str>, usize)> = None;
        let mut count = 0;
        let numbers = events
            .iter()
            .map(|e| {
                let task = e.task()?;
                let t = match last {
                    Some((name, t)) if Arc::ptr_eq(name, task) => t,
                    _ => *self.tasks.get_or_insert_with(task, || {
                        count += 1;
                        count - 1
                    }),
                };
                last = Some((task, t));
                Some(t)
            })
            .collect();
        (numbers, count)
    }

    /// Splits each task's events, in step order, into steps.
    fn split(&mut self, iteration: impl Fn(usize) -> u64) {
        let order = self.reordered.as_ref().unwrap_or(&self.by_task);
        for r in &self.task_events {
            let first_step = self.steps.len();
            let mut k = r.start;
            while k < r.end {
                let it = iteration(order[k]);
                let end = k + order[k..r.end]
                    .iter()
                    .take_while(|&&i| iteration(i) == it)
                    .count();
                self.steps.push(Step {
                    iteration: it,
                    events: k..end,
                });
                k = end;
            }
            self.task_steps.push(first_step..self.steps.len());
        }
    }

    /// The events in step order (grouped by task, then by iteration).
    fn step_order(&self) -> &[usize] {
        self.reordered.as_deref().unwrap_or(&self.by_task)
    }

    /// The events of `task`, in trace order (none for a task that has none).
    pub fn task_events(&self, task: &str) -> &[usize] {
        match self.tasks.get(task) {
            Some(&t) => &self.by_task[self.task_events[t].clone()],
            None => &[],
        }
    }

    /// The events of `task`'s step in `iteration`.
    pub fn get(&self, task: &str, iteration: u64) -> Option<&[usize]> {
        let own = &self.steps[self.task_steps[*self.tasks.get(task)?].clone()];
        let k = own.binary_search_by_key(&iteration, |s| s.iteration).ok()?;
        Some(&self.step_order()[own[k].events.clone()])
    }

    /// Every step as ((task, iteration), events), by task name, then iteration.
    pub fn iter(&self) -> impl Iterator<Item = ((&Arc<str>, u64), &[usize])> {
        let order = self.step_order();
        self.tasks.iter().flat_map(move |(task, &t)| {
            self.steps[self.task_steps[t].clone()]
                .iter()
                .map(move |s| ((task, s.iteration), &order[s.events.clone()]))
        })
    }

    /// The events of every step, in the order of [`Steps::iter`].
    pub fn values(&self) -> impl Iterator<Item = &[usize]> {
        self.iter().map(|(_, events)| events)
    }
}
