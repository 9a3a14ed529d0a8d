//! Valid documents: the spec's examples, and generated documents at every limit of
//! graph-format 2.1–2.7, all accepted with the expected structure.

#[path = "../../tests/support/example_documents.rs"]
mod example_documents;
#[path = "../../tests/support/graph_ops.rs"]
mod graph_ops;

use std::sync::Arc;

use aiosim_sim::graph::{
    ExcSpec, Expectation, ExpectedOutcome, Graph, Op, Ref, ReturnWhen, parse_graph,
};
use aiosim_sim::value::Value;
use example_documents::example_documents;
use graph_ops::all_ops;

/// The example named `name`, parsed: from the spec's examples when they have it, else from
/// `tests/examples/`. `None` when neither has it.
fn example(name: &str) -> Option<Graph> {
    let (_, bytes) = example_documents()
        .into_iter()
        .find(|(path, _)| path.file_stem().is_some_and(|stem| stem == name))?;
    Some(parse_graph(&bytes).unwrap_or_else(|e| panic!("{name}: {e}")))
}

fn parse(text: &str) -> Graph {
    parse_graph(text.as_bytes()).unwrap_or_else(|e| panic!("rejected: {e}\n{text}"))
}

/// A document whose only task, `main`, has body `body` (JSON text).
fn main_only(body: &str) -> String {
    format!(r#"{{"format":"aiosim-graph/1","name":"t","main":"main","tasks":{{"main":{body}}}}}"#)
}

fn paths(graph: &Graph, task: usize) -> Vec<&str> {
    all_ops(&graph.tasks[task].body)
        .into_iter()
        .map(|node| &*node.at)
        .collect()
}

#[test]
fn every_example_is_valid() {
    for (path, bytes) in example_documents() {
        let graph = parse_graph(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(!graph.tasks.is_empty(), "{}", path.display());
        assert_eq!(&*graph.main_task().name, "main", "{}", path.display());
    }
}

#[test]
fn hello_sleep_structure() {
    let Some(graph) = example("hello_sleep") else {
        return;
    };
    assert_eq!(&*graph.name, "hello_sleep");
    assert_eq!(
        graph.description.as_deref(),
        Some("spawn, sleep, await and return")
    );
    let names: Vec<&str> = graph.tasks.iter().map(|t| &*t.name).collect();
    assert_eq!(names, ["main", "worker"]);
    assert_eq!(graph.main, 0);
    let main = &graph.tasks[0].body;
    let keywords: Vec<&str> = main.iter().map(|n| n.op.keyword()).collect();
    assert_eq!(keywords, ["spawn", "sleep", "await", "return"]);
    assert_eq!(paths(&graph, 0), ["0", "1", "2", "3"]);
    match &main[2].op {
        Op::Await(Ref::Task(task)) => {
            assert_eq!(task.index, 1);
            assert_eq!(&*task.name, "worker");
        }
        other => panic!("expected an await of a task, got {other:?}"),
    }
    assert_eq!(main[1].op, Op::Sleep(2));
    assert_eq!(main[3].op, Op::Return(Value::Str("done".into())));
    assert_eq!(graph.tasks[1].body[1].op, Op::Return(Value::Int(42)));
    assert!(graph.futures.is_empty());
    assert!(graph.expect.is_empty());
}

#[test]
fn try_paths_follow_section_3_3() {
    let Some(graph) = example("try_except_finally") else {
        return;
    };
    assert_eq!(
        paths(&graph, 0),
        [
            "0",
            "0.try.0",
            "0.except.KeyError.0",
            "0.except.Exception.0",
            "0.except.Exception.1",
            "0.finally.0"
        ]
    );
    let Op::Try {
        handlers, finally, ..
    } = &graph.tasks[0].body[0].op
    else {
        panic!("expected a try");
    };
    let types: Vec<&str> = handlers.iter().map(|h| &*h.ty).collect();
    assert_eq!(types, ["KeyError", "Exception"]);
    assert_eq!(handlers[1].body[1].op, Op::Raise(None));
    assert_eq!(finally.as_ref().map(Vec::len), Some(1));
    match &all_ops(&graph.tasks[0].body)[1].op {
        Op::Raise(Some(ExcSpec { ty, msg })) => {
            assert_eq!(&**ty, "ValueError");
            assert_eq!(msg.as_deref(), Some("bad"));
        }
        other => panic!("expected a raise, got {other:?}"),
    }
}

#[test]
fn reraise_nested_in_handler_is_accepted() {
    let Some(graph) = example("reraise_lexical") else {
        return;
    };
    let ops = all_ops(&graph.tasks[0].body);
    let reraise = ops
        .iter()
        .find(|node| node.op == Op::Raise(None))
        .expect("a re-raise");
    assert_eq!(&*reraise.at, "0.try.0.except.First.0.finally.0");
}

#[test]
fn futures_are_numbered_and_resolved() {
    let Some(graph) = example("futures") else {
        return;
    };
    let futures: Vec<&str> = graph.futures.iter().map(|f| &**f).collect();
    assert_eq!(futures, ["f", "g"]);
    let setter = &graph.tasks[1].body;
    match &setter[1].op {
        Op::SetResult { future, value } => {
            assert_eq!((future.index, &*future.name), (0, "f"));
            assert_eq!(*value, Value::Str("value".into()));
        }
        other => panic!("expected set_result, got {other:?}"),
    }
    match &setter[3].op {
        Op::SetException { future, exc } => {
            assert_eq!(future.index, 1);
            assert_eq!(&*exc.ty, "GError");
        }
        other => panic!("expected set_exception, got {other:?}"),
    }
    assert!(matches!(&graph.tasks[0].body[3].op, Op::Await(Ref::Future(f)) if f.index == 0));
}

#[test]
fn defaults_and_optional_parameters() {
    if let Some(graph) = example("timeout_block") {
        let main = &graph.tasks[0].body;
        assert!(matches!(&main[1].op, Op::Timeout { timeout: None, body } if body.len() == 1));
        let Op::Try { body, .. } = &main[0].op else {
            panic!("expected a try");
        };
        assert!(matches!(
            &body[0].op,
            Op::Timeout {
                timeout: Some(3),
                ..
            }
        ));
        assert_eq!(&*body[0].at, "0.try.0");
        assert_eq!(paths(&graph, 0)[2], "0.try.0.do.0");
    }
    if let Some(graph) = example("wait_first_completed") {
        let main = &graph.tasks[0].body;
        assert!(matches!(
            &main[2].op,
            Op::Wait { return_when: ReturnWhen::FirstCompleted, timeout: None, refs } if refs.len() == 2
        ));
        assert!(matches!(
            &main[3].op,
            Op::Wait {
                timeout: Some(1),
                ..
            }
        ));
    }
    if let Some(graph) = example("gather_basic") {
        let main = &graph.tasks[0].body;
        assert!(matches!(
            &main[2].op,
            Op::Gather {
                return_exceptions: false,
                ..
            }
        ));
        assert!(matches!(
            &main[4].op,
            Op::Gather {
                return_exceptions: true,
                ..
            }
        ));
        assert_eq!(
            graph.tasks[2].body[1].op,
            Op::Return(Value::List(Arc::from([Value::Int(1), Value::Int(2)])))
        );
    }
    if let Some(graph) = example("cancel_before_start") {
        let main = &graph.tasks[0].body;
        assert!(matches!(&main[1].op, Op::Cancel { msg: Some(m), .. } if &**m == "early"));
        assert!(matches!(&main[3].op, Op::Cancel { msg: None, .. }));
    }
}

#[test]
fn escapes_are_decoded_before_keys_are_matched() {
    let graph = parse(&main_only(
        r#"[{"sl\u0065ep": 1}, {"return": "\ud83d\ude00\u00e9\n"}]"#,
    ));
    assert_eq!(graph.tasks[0].body[0].op, Op::Sleep(1));
    assert_eq!(
        graph.tasks[0].body[1].op,
        Op::Return(Value::Str("😀é\n".into()))
    );
}

#[test]
fn timeout_keyword_rule() {
    let graph = parse(&main_only(
        r#"[{"future": "f"}, {"wait_for": "f", "timeout": 5}, {"do": [], "timeout": 0}, {"as_completed": [], "timeout": null}]"#,
    ));
    let main = &graph.tasks[0].body;
    assert!(matches!(
        &main[1].op,
        Op::WaitFor {
            timeout: Some(5),
            ..
        }
    ));
    assert!(matches!(
        &main[2].op,
        Op::Timeout {
            timeout: Some(0),
            ..
        }
    ));
    assert!(matches!(&main[3].op, Op::AsCompleted { timeout: None, refs } if refs.is_empty()));
}

#[test]
fn references_before_their_future_op_and_across_tasks() {
    let text = r#"{"format":"aiosim-graph/1","name":"t","main":"main","tasks":{
        "main":[{"spawn":"setter"},{"await":"late"},{"cancel":"main","msg":"self"},{"done":"main"}],
        "setter":[{"future":"late"},{"set_result":"late","value":[null,true,-9223372036854775808]}]}}"#;
    let graph = parse(text);
    assert_eq!(graph.futures.len(), 1);
    assert!(matches!(&graph.tasks[0].body[1].op, Op::Await(Ref::Future(f)) if &*f.name == "late"));
}

#[test]
fn key_order_is_not_significant() {
    let text = r#"{"tasks":{"w":[{"return":1}],"main":[{"spawn":"w"},{"await":"w"}]},
        "expect":[{"end":{"ok":1},"task":"w"}],"main":"main","name":"t","format":"aiosim-graph/1"}"#;
    let graph = parse(text);
    assert_eq!(graph.main, 1);
    assert!(matches!(&graph.expect[0], Expectation::End { task, .. } if task.index == 0));
}

#[test]
fn expectations_of_every_form() {
    let text = r#"{"format":"aiosim-graph/1","name":"t","main":"main","tasks":{"main":[]},"expect":[
        {"task":"main","end":{"ok":[[[[[[[[[]]]]]]]]]}},
        {"task":"main","end_in":[{"cancelled":null},{"cancelled":""}]},
        {"run":{"err":"ExceptionGroup","msg":"unhandled errors in a TaskGroup","excs":[{"err":"B","msg":"b"}]}},
        {"run_in":[{"ok":null}]},
        {"deadlock":false}]}"#;
    let graph = parse(text);
    assert_eq!(graph.expect.len(), 5);
    assert!(
        matches!(&graph.expect[1], Expectation::EndIn { outcomes, .. } if outcomes[0] == ExpectedOutcome::Cancelled(None))
    );
    match &graph.expect[2] {
        Expectation::Run(ExpectedOutcome::Err {
            ty,
            excs: Some(excs),
            ..
        }) => {
            assert_eq!(&**ty, "ExceptionGroup");
            assert_eq!(excs.len(), 1);
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(graph.expect[4], Expectation::Deadlock(false));
}

/// `depth` nested `taskgroup` ops around `inner`, as a block.
fn nested_taskgroups(depth: usize, inner: &str) -> String {
    format!(
        "{}{inner}{}",
        r#"[{"taskgroup":"#.repeat(depth),
        "}]".repeat(depth)
    )
}

#[test]
fn limits_are_inclusive() {
    // Blocks 16 deep, with the block at depth 16 holding ops.
    let graph = parse(&main_only(&nested_taskgroups(16, r#"[{"sleep":0}]"#)));
    assert_eq!(
        paths(&graph, 0).last().copied(),
        Some(&*format!("{}0", "0.taskgroup.".repeat(16)))
    );
    // A handler's do, a try body and a finally are all one level deeper than the try.
    parse(&main_only(&nested_taskgroups(
        15,
        r#"[{"try":[],"except":[{"type":"E","do":[]}],"finally":[]}]"#,
    )));

    // Values: 8 lists around an element, or 9 brackets for an empty innermost list.
    parse(&main_only(r#"[{"return":[[[[[[[[1]]]]]]]]}]"#));
    parse(&main_only(r#"[{"return":[[[[[[[[[]]]]]]]]]}]"#));

    // Durations and integers at their bounds.
    parse(&main_only(
        r#"[{"sleep":1000000000000},{"return":[9223372036854775807,-9223372036854775808]}]"#,
    ));

    // Strings of 1024 code points, counted as code points.
    let long = "é".repeat(1024);
    parse(&main_only(&format!(r#"[{{"return":"{long}"}}]"#)));
    let pairs = r"\ud83d\ude00".repeat(1024);
    parse(&main_only(&format!(r#"[{{"return":"{pairs}"}}]"#)));

    // Names of 64 characters; 64 tasks.
    let name = format!("T{}", "x".repeat(63));
    let mut tasks = vec![
        format!(r#""main":[{{"spawn":"{name}"}}]"#),
        format!(r#""{name}":[]"#),
    ];
    tasks.extend((2..64).map(|i| format!(r#""t{i}":[]"#)));
    let graph = parse(&format!(
        r#"{{"format":"aiosim-graph/1","name":"t","main":"main","tasks":{{{}}}}}"#,
        tasks.join(",")
    ));
    assert_eq!(graph.tasks.len(), 64);

    // 2048 ops; 256 gather entries; 16 distinct wait references among 256 entries.
    let refs: Vec<String> = (0..16).map(|i| format!(r#""f{i}""#)).collect();
    let futures: Vec<String> = (0..16).map(|i| format!(r#"{{"future":"f{i}"}}"#)).collect();
    let many = vec![refs.join(","); 16].join(",");
    let mut ops = futures.clone();
    ops.push(format!(r#"{{"gather":[{many}]}}"#));
    ops.push(format!(
        r#"{{"wait":[{many}],"return_when":"FIRST_EXCEPTION"}}"#
    ));
    ops.push(format!(r#"{{"as_completed":[{many}]}}"#));
    while ops.len() < 2048 {
        ops.push(r#"{"sleep":0}"#.to_owned());
    }
    let graph = parse(&main_only(&format!("[{}]", ops.join(","))));
    assert_eq!(graph.tasks[0].body.len(), 2048);
    assert!(matches!(&graph.tasks[0].body[16].op, Op::Gather { refs, .. } if refs.len() == 256));
}

#[test]
fn await_graph_may_be_a_dag() {
    let text = r#"{"format":"aiosim-graph/1","name":"t","main":"main","tasks":{
        "main":[{"spawn":"a"},{"spawn":"b"},{"gather":["a","b","a"]}],
        "a":[{"spawn":"c"},{"await":"c"}],
        "b":[{"wait_for":"c","timeout":null},{"wait":["main"]},{"shield":"main"},{"as_completed":["main"]}],
        "c":[]}}"#;
    parse(text);
}
