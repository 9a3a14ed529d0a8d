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
            let name = &t.name;
            Arc::from(match &t.awaiting {
                None => format!("{name} (ready)"),
                Some(Awaited::Task(other)) => format!("{name} (waits for task {other})"),
                Some(Awaited::Gather(_)) => format!("{name} (waits for a gather)"),
                Some(Awaited::Future(f)) => match future_name(*f) {
                    Some(future) => format!("{name} (waits for future {future})"),
                    None => format!("{name} (waits for a future of its current op)"),
                },
            })
        })
        .collect();
    if let Some(first) = stall.await_cycle.first() {
        let ring: Vec<&str> = stall.await_cycle.iter().map(|n| &**n).collect();
        lines.push(Arc::from(format!(
            "await cycle: {} -> {first}",
            ring.join(" -> ")
        )));
    }
    lines
}
