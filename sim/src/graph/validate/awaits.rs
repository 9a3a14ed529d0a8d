//! Rule 4 of graph-format 2.6: no await cycles between task definitions.

use super::super::error::GraphError;
use super::super::path::JsonPath;

use std::sync::Arc;

/// The directed graph on task definitions with an edge `X -> Y` when the body of `X` holds
/// `{"await": Y}`, `{"wait_for": Y, ...}` or a `gather` listing `Y`. Each edge keeps the JSON
/// path of the first op that made it, to locate the error.
pub(super) struct AwaitGraph {
    tasks: usize,
    /// Row-major `tasks × tasks` matrix: the path of the op making edge `from -> to`.
    edges: Vec<Option<String>>,
}

impl AwaitGraph {
    /// An empty graph on `tasks` task definitions.
    pub(super) fn new(tasks: usize) -> Self {
        AwaitGraph {
            tasks,
            edges: vec![None; tasks * tasks],
        }
    }

    /// Records the edge `from -> to`, made by the op at `path`.
    pub(super) fn add(&mut self, from: usize, to: usize, path: &JsonPath<'_>) {
        let edge = &mut self.edges[from * self.tasks + to];
        if edge.is_none() {
            *edge = Some(path.render());
        }
    }

    fn edge(&self, from: usize, to: usize) -> Option<&String> {
        self.edges[from * self.tasks + to].as_ref()
    }

    /// Checks that the graph is acyclic; a cycle is reported at the op that closes it, with
    /// the task names along it. `names` are the task names, by index.
    pub(super) fn check_acyclic(&self, names: &[Arc<str>]) -> Result<(), GraphError> {
        let mut state = vec![Visit::New; self.tasks];
        let mut trail = Vec::new();
        for start in 0..self.tasks {
            if state[start] == Visit::New {
                self.visit(start, &mut state, &mut trail, names)?;
            }
        }
        Ok(())
    }

    /// Depth-first search from `task`; `trail` is the chain of tasks being visited (there are
    /// at most 64 tasks, so the recursion stays shallow).
    fn visit(
        &self,
        task: usize,
        state: &mut [Visit],
        trail: &mut Vec<usize>,
        names: &[Arc<str>],
    ) -> Result<(), GraphError> {
        state[task] = Visit::OnTrail;
        trail.push(task);
        for next in 0..self.tasks {
            let Some(path) = self.edge(task, next) else {
                continue;
            };
            match state[next] {
                Visit::New => self.visit(next, state, trail, names)?,
                Visit::OnTrail => {
                    let start = trail.iter().position(|&t| t == next).unwrap_or(0);
                    let mut cycle: Vec<&str> = trail[start..].iter().map(|&t| &*names[t]).collect();
                    cycle.push(&names[next]);
                    return Err(GraphError::at_path(
                        path.clone(),
                        None,
                        format!("await cycle: {}", cycle.join(" -> ")),
                    ));
                }
                Visit::Done => {}
            }
        }
        trail.pop();
        state[task] = Visit::Done;
        Ok(())
    }
}

/// Where the depth-first search stands with a task.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Visit {
    New,
    OnTrail,
    Done,
}
