//! Deep copies of graphs: equal to the original, sharing no name with it, and running a copy
//! leaves the original's reference counts alone.

#[path = "../../tests/support/example_documents.rs"]
mod example_documents;
#[path = "../../tests/support/graph_ops.rs"]
mod graph_ops;

use std::sync::Arc;

use aiosim_sim::graph::{Graph, Op, parse_graph};
use aiosim_sim::interp::{RunOptions, run_graph};
use example_documents::example_documents;
use graph_ops::all_ops;

fn examples() -> Vec<(String, Graph)> {
    example_documents()
        .into_iter()
        .map(|(path, bytes)| {
            let graph = parse_graph(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            (path.display().to_string(), graph)
        })
        .collect()
}

/// Every name of the graph's tasks, their op paths and the future names.
fn names(graph: &Graph) -> Vec<&Arc<str>> {
    let mut names: Vec<&Arc<str>> = graph.futures.iter().collect();
    for task in &graph.tasks {
        names.push(&task.name);
        names.extend(all_ops(&task.body).into_iter().map(|node| &node.at));
    }
    names
}

#[test]
fn a_copy_equals_the_original_and_shares_no_name_with_it() {
    let all = examples();
    assert!(!all.is_empty());
    for (path, graph) in &all {
        let copy = graph.unshared();
        assert_eq!(&copy, graph, "{path}");
        for (a, b) in names(graph).into_iter().zip(names(&copy)) {
            assert!(!Arc::ptr_eq(a, b), "{path}: {a} is shared");
        }
    }
}

#[test]
fn a_name_written_several_times_is_one_allocation_in_the_copy() {
    for (path, graph) in examples() {
        let copy = graph.unshared();
        for task in &copy.tasks {
            for node in all_ops(&task.body) {
                if let Op::Spawn(t) = &node.op {
                    assert!(
                        Arc::ptr_eq(&t.name, &copy.tasks[t.index].name),
                        "{path}: spawn of {}",
                        t.name
                    );
                }
            }
        }
    }
}

#[test]
fn running_a_copy_leaves_the_original_reference_counts_alone() {
    for (path, graph) in examples() {
        let counts =
            |g: &Graph| -> Vec<usize> { names(g).into_iter().map(Arc::strong_count).collect() };
        let before = counts(&graph);
        let copy = Arc::new(graph.unshared());
        let report = run_graph(copy, RunOptions::default());
        assert!(!report.trace.events.is_empty(), "{path}");
        assert_eq!(counts(&graph), before, "{path}");
    }
}
