//! The steps of each task: its events of one loop iteration.

use std::sync::Arc;

use aiosim_sim::trace::Event;

use super::names::NameMap;

/// A task's steps as (iteration, event indices), by iteration.
type TaskSteps = Vec<(u64, Vec<usize>)>;

/// The events of each step, found by (task, iteration) and visited in (task name, iteration)
/// order.
#[derive(Debug, Default)]
pub struct Steps {
    /// The steps of each task.
    tasks: NameMap<TaskSteps>,
}

impl Steps {
    /// The steps of the events of a trace, given the iteration of each event.
    pub(crate) fn of(events: &[Event], iteration: impl Fn(usize) -> u64) -> Steps {
        let mut steps = Steps::default();
        // Consecutive events mostly belong to one task: its list is kept at hand.
        let mut last: Option<(&Arc<str>, &mut TaskSteps)> = None;
        for (i, e) in events.iter().enumerate() {
            let Some(task) = e.task() else { continue };
            let list = match last.take() {
                Some((name, list)) if Arc::ptr_eq(name, task) => list,
                _ => steps.tasks.get_or_insert_with(task, Vec::new),
            };
            add(list, iteration(i), i);
            last = Some((task, list));
        }
        steps
    }

    /// The events of `task`'s step in `iteration`.
    pub fn get(&self, task: &str, iteration: u64) -> Option<&Vec<usize>> {
        let list = self.tasks.get(task)?;
        let k = list.binary_search_by_key(&iteration, |(it, _)| *it).ok()?;
        Some(&list[k].1)
    }

    /// Every step as ((task, iteration), events), by task name, then iteration.
    pub fn iter(&self) -> impl Iterator<Item = ((&Arc<str>, u64), &Vec<usize>)> {
        self.tasks
            .iter()
            .flat_map(|(task, list)| list.iter().map(move |(it, idxs)| ((task, *it), idxs)))
    }

    /// The events of every step, in the order of [`Steps::iter`].
    pub fn values(&self) -> impl Iterator<Item = &Vec<usize>> {
        self.iter().map(|(_, idxs)| idxs)
    }
}

/// Adds event `i` of `iteration` to a task's steps, kept sorted by iteration.
fn add(list: &mut TaskSteps, iteration: u64, i: usize) {
    if let Some((it, idxs)) = list.last_mut()
        && *it == iteration
    {
        idxs.push(i);
        return;
    }
    let k = list.partition_point(|(it, _)| *it < iteration);
    match list.get_mut(k) {
        Some((it, idxs)) if *it == iteration => idxs.push(i),
        _ => list.insert(k, (iteration, vec![i])),
    }
}
