//! The oracles' scenario model is built once per thread and scenario: asking about another
//! scenario gives that scenario's model, and asking again about an equal one shares it.

use std::sync::Arc;

use aiosim_properties::context::ScenarioModel;
use aiosim_sim::graph::{Graph, parse_graph};

fn graph(text: &[u8]) -> Graph {
    parse_graph(text).expect("an example graph parses")
}

fn op_sites(model: &ScenarioModel) -> Vec<(String, String)> {
    model
        .ops
        .values()
        .map(|op| (op.task.to_string(), op.at.to_string()))
        .collect()
}

#[test]
fn the_model_follows_the_scenario_asked_about() {
    let a = graph(include_bytes!(
        "../../examples/graphs/fetch_with_timeout.json"
    ));
    let b = graph(include_bytes!(
        "../../examples/graphs/bugs/hedged_request.json"
    ));
    let first = ScenarioModel::of(&a);
    let second = ScenarioModel::of(&b);
    assert_ne!(op_sites(&first), op_sites(&second));
    assert_eq!(op_sites(&ScenarioModel::of(&a)), op_sites(&first));
    // An equal copy of the scenario just asked about shares its model.
    let b_again = ScenarioModel::of(&b);
    assert!(Arc::ptr_eq(&ScenarioModel::of(&b.clone()), &b_again));
}

#[test]
fn ops_come_in_graph_order() {
    let g = graph(include_bytes!(
        "../../examples/graphs/bugs/hedged_request.json"
    ));
    let sites = op_sites(&ScenarioModel::of(&g));
    let tasks: Vec<&str> = g.tasks.iter().map(|t| &*t.name).collect();
    let order: Vec<usize> = sites
        .iter()
        .map(|(task, _)| {
            tasks
                .iter()
                .position(|t| t == task)
                .expect("a task of the graph")
        })
        .collect();
    assert!(order.windows(2).all(|w| w[0] <= w[1]), "{sites:?}");
    assert!(!sites.is_empty());
}
