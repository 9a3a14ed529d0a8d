//! The strategies themselves: every generated graph parses (also the small ones, and every
//! value met while shrinking), the generated graphs use all 22 op kinds and the interesting
//! corners, and every generated schedule runs.

#[path = "../../tests/support/graph_ops.rs"]
mod graph_ops;

use std::collections::BTreeSet;

use aiosim_properties::strategy::{self, Shape, graphs, schedules};
use aiosim_sim::graph::Block;
use graph_ops::{all_ops, nested_blocks};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;

/// How deep blocks nest below `block`: 0 when no op of it has a block inside.
fn nesting_depth(block: &Block) -> usize {
    block
        .iter()
        .flat_map(|node| nested_blocks(&node.op))
        .map(|inner| 1 + nesting_depth(inner))
        .max()
        .unwrap_or(0)
}

proptest! {
    #![proptest_config(strategy::config("proptest-regressions/properties_strategy.txt"))]

    /// Every graph of the default shape renders to a valid document.
    #[test]
    fn generated_graphs_parse(spec in graphs(Shape::default())) {
        let json = spec.to_json();
        let parsed = aiosim_sim::graph::parse_graph(json.as_bytes());
        prop_assert!(parsed.is_ok(), "{:?}\n{}", parsed.err(), json);
        prop_assert!(parsed.unwrap().expect.is_empty());
    }

    /// So does every small graph (the exhaustive tests' shape).
    #[test]
    fn small_graphs_parse(spec in graphs(Shape::small())) {
        let json = spec.to_json();
        let parsed = aiosim_sim::graph::parse_graph(json.as_bytes());
        prop_assert!(parsed.is_ok(), "{:?}\n{}", parsed.err(), json);
    }
}

/// Shrinking never leaves the valid graphs: simplify a few drawn values all the way down,
/// parsing every intermediate value.
#[test]
fn shrunk_graphs_parse() {
    let mut runner = TestRunner::deterministic();
    let strategy = graphs(Shape::default());
    for _ in 0..16 {
        let mut tree = strategy.new_tree(&mut runner).expect("a value");
        let mut steps = 0;
        while steps < 400 && tree.simplify() {
            steps += 1;
            let json = tree.current().to_json();
            if let Err(e) = aiosim_sim::graph::parse_graph(json.as_bytes()) {
                panic!("shrunk graph is invalid: {e}\n{json}");
            }
        }
    }
}

/// Across a few hundred graphs, every op kind occurs, and so do nested blocks, re-raises,
/// task groups holding spawns, and `timeout` blocks.
#[test]
fn generated_graphs_cover_every_op_kind() {
    let mut runner = TestRunner::deterministic();
    let strategy = graphs(Shape::default());
    let mut seen = BTreeSet::new();
    let mut deepest = 0;
    let mut reraise = false;
    let mut group_spawn = false;
    for _ in 0..300 {
        let spec = strategy.new_tree(&mut runner).expect("a value").current();
        let json = spec.to_json();
        reraise |= json.contains("\"raise\":null");
        group_spawn |= json.contains("\"taskgroup\":[{\"spawn\"");
        let graph = spec.graph();
        for task in &graph.tasks {
            seen.extend(all_ops(&task.body).iter().map(|node| node.op.keyword()));
            deepest = deepest.max(nesting_depth(&task.body));
        }
    }
    let all: BTreeSet<&str> = aiosim_sim::trace::OpKind::ALL
        .iter()
        .map(|k| k.as_str())
        .collect();
    let missing: Vec<_> = all.difference(&seen).collect();
    assert!(missing.is_empty(), "op kinds never generated: {missing:?}");
    assert_eq!(all.len(), 22);
    assert!(deepest >= 3, "blocks nest only {deepest} deep");
    assert!(reraise, "no re-raise generated");
    assert!(group_spawn, "no spawn inside a task group generated");
}

proptest! {
    #![proptest_config(strategy::config("proptest-regressions/properties_strategy.txt"))]

    /// Every schedule the strategy draws is accepted by the explorer (on a fixed graph).
    #[test]
    fn generated_schedules_run(spec in schedules()) {
        let graph = aiosim_sim::graph::parse_graph(
            br#"{"format":"aiosim-graph/1","name":"s","main":"main","tasks":{
                "main":[{"spawn":"a"},{"spawn":"b"},{"sleep":1},{"gather":["a","b"]}],
                "a":[{"sleep":0},{"sleep":1}],"b":[{"sleep":1},{"return":2}]}}"#,
        ).expect("valid");
        let explorer = strategy::harness::explorer(graph);
        let result = strategy::harness::run(&explorer, &spec, 20);
        prop_assert!(result.report.trace.finish().is_some());
    }
}
