//! Reading and validating a document at the op limit is fast: well under 10 ms in an
//! optimized build.

#[path = "../../tests/support/graph_ops.rs"]
mod graph_ops;

use std::time::{Duration, Instant};

use aiosim_sim::graph::parse_graph;
use graph_ops::all_ops;

/// A valid document with exactly 2048 ops of many kinds, spread over 64 tasks, with nested
/// blocks, lists, values and expectations.
fn big_document() -> String {
    let mut tasks = Vec::new();
    let mut ops_left = 2048;
    // `main` spawns the 63 workers, then awaits them together.
    let workers: Vec<String> = (1..64).map(|i| format!("w{i}")).collect();
    let mut main: Vec<String> = workers
        .iter()
        .map(|w| format!(r#"{{"spawn":"{w}"}}"#))
        .collect();
    let refs: Vec<String> = workers.iter().map(|w| format!(r#""{w}""#)).collect();
    main.push(format!(
        r#"{{"gather":[{}],"return_exceptions":true}}"#,
        refs.join(",")
    ));
    ops_left -= main.len();
    tasks.push(format!(r#""main":[{}]"#, main.join(",")));
    // Each worker: a block of about 31 ops, nested a few levels deep.
    for (i, worker) in workers.iter().enumerate() {
        let share = ops_left / (63 - i);
        ops_left -= share;
        // 6 ops of structure around the filler.
        let filler: Vec<String> = (0..share - 6)
            .map(|k| match k % 6 {
                0 => r#"{"sleep":3}"#.to_owned(),
                1 => format!(r#"{{"return":[{k},"v",[true,null,[-1]]]}}"#),
                2 => format!(r#"{{"set_result":"f{i}","value":"{k}"}}"#),
                3 => format!(r#"{{"add_done_callback":"f{i}","label":"cb{k}"}}"#),
                4 => format!(r#"{{"cancel":"f{i}","msg":"m{k}"}}"#),
                _ => format!(
                    r#"{{"wait":["f{i}","main"],"return_when":"FIRST_COMPLETED","timeout":{k}}}"#
                ),
            })
            .collect();
        let body = format!(
            r#"[{{"future":"f{i}"}},{{"try":[{{"timeout":5,"do":[{{"taskgroup":[{}]}}]}}],"except":[{{"type":"CancelledError","do":[{{"raise":null}}]}}],"finally":[{{"done":"f{i}"}}]}}]"#,
            filler.join(",")
        );
        tasks.push(format!(r#""{worker}":{body}"#));
    }
    format!(
        r#"{{"format":"aiosim-graph/1","name":"big","main":"main","tasks":{{{}}},"expect":[{{"run":{{"ok":null}}}},{{"deadlock":false}}]}}"#,
        tasks.join(",")
    )
}

#[test]
fn a_2048_op_document_is_fast() {
    let text = big_document();
    let graph = parse_graph(text.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    let ops: usize = graph.tasks.iter().map(|t| all_ops(&t.body).len()).sum();
    assert_eq!(ops, 2048);

    let mut times: Vec<Duration> = (0..15)
        .map(|_| {
            let start = Instant::now();
            let graph = parse_graph(text.as_bytes());
            let elapsed = start.elapsed();
            assert!(graph.is_ok());
            elapsed
        })
        .collect();
    times.sort();
    let median = times[times.len() / 2];
    // An unoptimized build is far slower; it only guards against blow-ups there.
    let budget = if cfg!(debug_assertions) {
        Duration::from_millis(250)
    } else {
        Duration::from_millis(10)
    };
    assert!(
        median < budget,
        "median {median:?} over budget {budget:?} ({} bytes)",
        text.len()
    );
    println!("median {median:?} for {} bytes", text.len());
}
