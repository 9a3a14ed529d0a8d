//! A stalled run in the scenario's words: each pending task with what it was suspended on,
//! naming the scenario's futures, and the ring of tasks awaiting each other if there is one.

use std::sync::Arc;

use aiosim::{Awaited, FutureRef, Stall};

use super::Run;

/// One line per pending task, in creation order (`transfer_ab (waits for future bob)`), then
/// the await cycle if there is one (`await cycle: a -> b -> a`).
pub(super) fn describe(run: &Run, stall: &Stall) -> Vec<Arc<str>> {
    let futures = run.futures.borrow();
    let future_name = |f: FutureRef| {
        futures
            .iter()
            .position(|g| g.is_some_and(|g| g.as_ref() == f))
            .map(|i| run.graph.futures[i].clone())
    };
    let mut lines: Vec<Arc<str>> = stall
        .pending_tasks
        .iter()
        .map(|t| {
            Arc::from(match &t.awaiting {
                Some(Awaited::Future(f)) => match future_name(*f) {
                    Some(future) => format!("{} (waits for future {future})", t.name),
                    None => format!("{} (waits for a future of its current op)", t.name),
                },
                _ => t.to_string(),
            })
        })
        .collect();
    if let Some(cycle) = stall.cycle_text() {
        lines.push(Arc::from(format!("await cycle: {cycle}")));
    }
    lines
}
