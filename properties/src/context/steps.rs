//! The steps of each task: its events of one loop iteration.

use std::ops::Range;
use std::sync::Arc;

use aiosim_sim::trace::Event;

use super::names::NameMap;

/// One step: its iteration and where its events are in [`Steps::events`].
#[derive(Debug)]
struct Step {
    /// The loop iteration.
    iteration: u64,
    /// Its events' place in the flat list.
    events: Range<usize>,
}

/// The events of each step, found by (task, iteration) and visited in (task name, iteration)
/// order. Every list lives in one of three flat vectors, so that a run allocates a few
/// buffers rather than one per step.
#[derive(Debug, Default)]
pub struct Steps {
    /// The number of each task, in the order of first appearance.
    tasks: NameMap<usize>,
    /// For each task by number: its steps' place in `steps`.
    task_steps: Vec<Range<usize>>,
    /// Every step, grouped by task (by number), each task's by iteration.
    steps: Vec<Step>,
    /// The events of every step, in the order of `steps`, each step's in trace order.
    events: Vec<usize>,
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
        steps.events = vec![0; starts[starts.len() - 1]];
        for (i, t) in numbers.iter().enumerate() {
            if let Some(t) = *t {
                steps.events[next[t]] = i;
                next[t] += 1;
            }
        }
        // Split each task's events into steps. Iterations only grow along a trace; should
        // they not, the events are ordered by iteration first (a stable sort keeps trace
        // order among the events of one iteration).
        for bounds in starts.windows(2) {
            let own = &mut steps.events[bounds[0]..bounds[1]];
            if !own.is_sorted_by_key(|&i| iteration(i)) {
                own.sort_by_key(|&i| iteration(i));
            }
            let first_step = steps.steps.len();
            let mut k = bounds[0];
            while k < bounds[1] {
                let it = iteration(steps.events[k]);
                let end = k + steps.events[k..bounds[1]]
                    .iter()
                    .take_while(|&&i| iteration(i) == it)
                    .count();
                steps.steps.push(Step {
                    iteration: it,
                    events: k..end,
                });
                k = end;
            }
            steps.task_steps.push(first_step..steps.steps.len());
        }
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

    /// The events of `task`'s step in `iteration`.
    pub fn get(&self, task: &str, iteration: u64) -> Option<&[usize]> {
        let own = &self.steps[self.task_steps[*self.tasks.get(task)?].clone()];
        let k = own.binary_search_by_key(&iteration, |s| s.iteration).ok()?;
        Some(&self.events[own[k].events.clone()])
    }

    /// Every step as ((task, iteration), events), by task name, then iteration.
    pub fn iter(&self) -> impl Iterator<Item = ((&Arc<str>, u64), &[usize])> {
        self.tasks.iter().flat_map(move |(task, &t)| {
            self.steps[self.task_steps[t].clone()]
                .iter()
                .map(move |s| ((task, s.iteration), &self.events[s.events.clone()]))
        })
    }

    /// The events of every step, in the order of [`Steps::iter`].
    pub fn values(&self) -> impl Iterator<Item = &[usize]> {
        self.iter().map(|(_, events)| events)
    }
}
