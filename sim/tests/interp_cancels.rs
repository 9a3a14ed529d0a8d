//! The interpreter's record of cancel requests (`RunReport::cancel_requests`): every
//! `Task.cancel()` that reached a pending scenario task, whoever made it.

use std::sync::Arc;

use aiosim_sim::graph::parse_graph;
use aiosim_sim::interp::{CancelRequest, RunOptions, run_graph};

fn requests(json: &str) -> Vec<CancelRequest> {
    let graph = Arc::new(parse_graph(json.as_bytes()).expect("valid scenario"));
    run_graph(graph, RunOptions::default()).cancel_requests
}

fn summary(requests: &[CancelRequest]) -> Vec<(String, Option<String>, bool)> {
    requests
        .iter()
        .map(|r| {
            (
                r.task.to_string(),
                r.msg.as_deref().map(str::to_string),
                r.by_shutdown,
            )
        })
        .collect()
}

fn own(task: &str, msg: Option<&str>, by_shutdown: bool) -> (String, Option<String>, bool) {
    (task.to_string(), msg.map(str::to_string), by_shutdown)
}

#[test]
fn a_cancel_op_and_its_forwarding_through_gather_are_both_recorded() {
    // w waits in gather(a, b): cancelling w cancels the gather, which cancels a and b.
    let json = r#"{"format":"aiosim-graph/1","name":"fwd","main":"main","tasks":{
        "main":[{"spawn":"w"},{"sleep":0},{"cancel":"w","msg":"stop"},
                {"try":[{"await":"w"}],"except":[{"type":"CancelledError","do":[]}]}],
        "w":[{"spawn":"a"},{"spawn":"b"},{"gather":["a","b"]}],
        "a":[{"sleep":5}],
        "b":[{"sleep":5}]}}"#;
    let got = requests(json);
    assert_eq!(
        summary(&got),
        vec![
            own("w", Some("stop"), false),
            own("a", Some("stop"), false),
            own("b", Some("stop"), false),
        ]
    );
    // All three in the same step of main, after its `sleep` event and before its `cancel`
    // op's event.
    assert!(
        got.windows(2)
            .all(|w| w[0].events_before == w[1].events_before)
    );
    assert!(got.iter().all(|r| r.iteration == got[0].iteration));
}

#[test]
fn a_cancel_of_a_finished_task_is_not_a_request() {
    let json = r#"{"format":"aiosim-graph/1","name":"done","main":"main","tasks":{
        "main":[{"spawn":"a"},{"await":"a"},{"cancel":"a"}],
        "a":[]}}"#;
    assert!(requests(json).is_empty());
}

#[test]
fn the_shutdown_requests_come_in_spawn_order_with_forwarded_ones_in_between() {
    // t1 waits in gather(t3): the shutdown cancels t1 (forwarded to t3), then t2, then t3.
    let json = r#"{"format":"aiosim-graph/1","name":"shutdown","main":"main","tasks":{
        "main":[{"spawn":"t1"},{"spawn":"t2"},{"spawn":"t3"},{"sleep":0}],
        "t1":[{"gather":["t3"]}],
        "t2":[{"sleep":9}],
        "t3":[{"sleep":9}]}}"#;
    assert_eq!(
        summary(&requests(json)),
        vec![
            own("t1", None, true),
            own("t3", None, true),
            own("t2", None, true),
            own("t3", None, true),
        ]
    );
}

#[test]
fn task_group_aborts_and_timeouts_are_recorded() {
    // b fails: the group cancels a, then its parent main; main's timeout block expires
    // after that and cancels main once more.
    let json = r#"{"format":"aiosim-graph/1","name":"tg","main":"main","tasks":{
        "main":[{"try":[{"taskgroup":[{"spawn":"a"},{"spawn":"b"},{"sleep":9}]}],
                 "except":[{"type":"ExceptionGroup","do":[]}]},
                {"try":[{"timeout":1,"do":[{"sleep":5}]}],
                 "except":[{"type":"TimeoutError","do":[]}]}],
        "a":[{"sleep":5}],
        "b":[{"raise":{"type":"Boom"}}]}}"#;
    assert_eq!(
        summary(&requests(json)),
        vec![
            own("a", None, false),
            own("main", None, false),
            own("main", None, false)
        ]
    );
}
