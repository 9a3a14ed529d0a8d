//! The oracles' scenario model is built once per thread and scenario: asking about another
//! scenario gives that scenario's model, and asking again about an equal one shares it. The
//! (task, path) maps behind its lookups keep the two names apart.

use std::sync::Arc;

use aiosim_properties::context::ScenarioModel;
use aiosim_sim::graph::{Graph, parse_graph};

fn graph(text: &[u8]) -> Arc<Graph> {
    Arc::new(parse_graph(text).expect("an example graph parses"))
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
    // The scenario just asked about, and an equal copy of it, share its model.
    let b_again = ScenarioModel::of(&b);
    assert!(Arc::ptr_eq(&ScenarioModel::of(&b), &b_again));
    let b_copy = Arc::new(Graph::clone(&b));
    assert!(Arc::ptr_eq(&ScenarioModel::of(&b_copy), &b_again));
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

/// A pair map finds each (task, path) pair by its two names, and only by them: pairs whose
/// names concatenate alike stay apart, and removal and defaults touch only their pair.
#[test]
fn pair_map_keys_on_both_names_apart() {
    use aiosim_properties::context::PairMap;

    let mut map: PairMap<u32> = PairMap::default();
    assert_eq!(map.insert(Arc::from("ab"), Arc::from("c"), 1), None);
    assert_eq!(map.insert(Arc::from("a"), Arc::from("bc"), 2), None);
    assert_eq!(map.get("ab", "c"), Some(&1));
    assert_eq!(map.get("a", "bc"), Some(&2));
    assert_eq!(map.get("abc", ""), None);
    assert_eq!(map.insert(Arc::from("ab"), Arc::from("c"), 3), Some(1));
    *map.get_or_default(&Arc::from("a"), &Arc::from("bc")) += 10;
    *map.get_or_default(&Arc::from("x"), &Arc::from("0")) += 5;
    assert_eq!(map.get("a", "bc"), Some(&12));
    assert_eq!(map.get("x", "0"), Some(&5));
    assert_eq!(map.remove("ab", "c"), Some(3));
    assert_eq!(map.remove("ab", "c"), None);
    assert_eq!(map.get("a", "bc"), Some(&12));
}

/// A `timeout` or `taskgroup` block records the path of its body's last op (what a block's
/// exit is read from), and nothing when its body is empty; other ops record nothing.
#[test]
fn blocks_record_where_their_body_ends() {
    let g = graph(
        br#"{
          "format": "aiosim-graph/1",
          "name": "block_ends",
          "main": "main",
          "tasks": {
            "main": [
              {"timeout": 5, "do": [{"sleep": 1}, {"sleep": 2}, {"sleep": 3}]},
              {"taskgroup": []},
              {"taskgroup": [{"spawn": "w"}, {"timeout": null, "do": [{"sleep": 1}]}]},
              {"return": null}
            ],
            "w": [{"return": 1}]
          }
        }"#,
    );
    let model = ScenarioModel::of(&g);
    let end = |at: &str| {
        let op = model.ops.get("main", at).expect("an op of main");
        op.body_end.as_deref().map(str::to_string)
    };
    assert_eq!(end("0").as_deref(), Some("0.do.2"));
    assert_eq!(end("1"), None);
    assert_eq!(end("2").as_deref(), Some("2.taskgroup.1"));
    assert_eq!(end("2.taskgroup.1").as_deref(), Some("2.taskgroup.1.do.0"));
    assert_eq!(end("0.do.2"), None);
    assert_eq!(end("3"), None);
}
