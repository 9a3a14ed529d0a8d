//! Round trips of the canonical trace: spec examples, models built by hand, and reader checks.

#[path = "../../tests/support/scenario_files.rs"]
mod scenario_files;

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use aiosim_sim::trace::{
    CallbackState, Event, EventSink, FinishView, Fnv1a, JsonlWriter, MAX_DEPTH, NameSet, OpKind,
    Outcome, Recorder, Res, Trace, parse_event_line, parse_trace_jsonl, write_event,
};
use aiosim_sim::value::Value;
use scenario_files::scenario_files;

fn name(s: &str) -> Arc<str> {
    Arc::from(s)
}

fn text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).expect("the writer produces UTF-8")
}

fn str_value(s: &str) -> Value {
    Value::Str(name(s))
}

fn list(items: Vec<Value>) -> Value {
    Value::List(items.into())
}

fn std_hash<T: Hash>(x: &T) -> u64 {
    let mut h = DefaultHasher::new();
    x.hash(&mut h);
    h.finish()
}

/// Every `*.trace.jsonl` of the spec's examples (when present) and of the workspace's
/// `tests/examples`.
fn example_traces() -> Vec<PathBuf> {
    scenario_files(
        &["../shared/spec/examples", "tests/examples"],
        ".trace.jsonl",
    )
}

#[test]
fn every_example_line_round_trips_byte_for_byte() {
    let files = example_traces();
    let mut lines = 0;
    for path in &files {
        let original = std::fs::read_to_string(path).expect("readable example");
        for line in original.split_inclusive('\n') {
            let body = line.strip_suffix('\n').expect("every line ends with \\n");
            let event = parse_event_line(body).unwrap_or_else(|e| panic!("{path:?}: {e}"));
            let mut out = Vec::new();
            write_event(&event, &mut out);
            assert_eq!(text(out), line, "{path:?}");
            lines += 1;
        }
    }
    let spec_examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/spec/examples");
    if spec_examples.is_dir() {
        assert!(
            files.len() >= 20,
            "found only {} example traces",
            files.len()
        );
        assert!(lines > 0);
    }
}

#[test]
fn every_example_trace_round_trips_through_all_outputs() {
    for path in example_traces() {
        let original = std::fs::read(&path).expect("readable example");
        let trace = parse_trace_jsonl(std::str::from_utf8(&original).expect("UTF-8"))
            .unwrap_or_else(|e| panic!("{path:?}: {e}"));
        assert_eq!(trace.to_jsonl(), original, "{path:?}");

        let mut writer = JsonlWriter::new(Vec::new());
        let mut recorder = Recorder::new();
        for event in &trace.events {
            writer.event(event.clone());
            recorder.event(event.clone());
        }
        assert_eq!(
            writer.finish().expect("Vec never fails"),
            original,
            "{path:?}"
        );
        assert_eq!(recorder.trace(), &trace);
        assert_eq!(recorder.into_trace().to_jsonl(), original, "{path:?}");

        assert_eq!(trace.canonical_hash(), Fnv1a::hash(&original), "{path:?}");
        let finish = trace.finish().expect("examples end with finish");
        assert_eq!(finish.t, trace.events.last().map_or(0, Event::t));
    }
}

/// The trace of section 1 of the spec, built from the model.
fn hello_sleep() -> Trace {
    let op = |t, task: &str, at: &str, op, out| Event::Op {
        t,
        task: name(task),
        at: name(at),
        op,
        out,
    };
    Trace {
        events: vec![
            Event::Start {
                t: 0,
                task: name("main"),
            },
            op(0, "main", "0", OpKind::Spawn, Outcome::OK_NULL),
            Event::Start {
                t: 0,
                task: name("worker"),
            },
            op(2, "main", "1", OpKind::Sleep, Outcome::OK_NULL),
            op(5, "worker", "0", OpKind::Sleep, Outcome::OK_NULL),
            op(
                5,
                "worker",
                "1",
                OpKind::Return,
                Outcome::Return(Value::Int(42)),
            ),
            Event::End {
                t: 5,
                task: name("worker"),
                out: Outcome::ok(Value::Int(42)),
            },
            op(5, "main", "2", OpKind::Await, Outcome::ok(Value::Int(42))),
            op(
                5,
                "main",
                "3",
                OpKind::Return,
                Outcome::Return(str_value("done")),
            ),
            Event::End {
                t: 5,
                task: name("main"),
                out: Outcome::ok(str_value("done")),
            },
            Event::Finish {
                t: 5,
                run: Some(Outcome::ok(str_value("done"))),
                deadlock: false,
                tasks_pending: NameSet::new(),
                futures_pending: NameSet::new(),
            },
        ],
    }
}

const HELLO_SLEEP: &str = r#"{"t":0,"task":"main","ev":"start"}
{"t":0,"task":"main","ev":"op","at":"0","op":"spawn","out":{"ok":null}}
{"t":0,"task":"worker","ev":"start"}
{"t":2,"task":"main","ev":"op","at":"1","op":"sleep","out":{"ok":null}}
{"t":5,"task":"worker","ev":"op","at":"0","op":"sleep","out":{"ok":null}}
{"t":5,"task":"worker","ev":"op","at":"1","op":"return","out":{"return":42}}
{"t":5,"task":"worker","ev":"end","out":{"ok":42}}
{"t":5,"task":"main","ev":"op","at":"2","op":"await","out":{"ok":42}}
{"t":5,"task":"main","ev":"op","at":"3","op":"return","out":{"return":"done"}}
{"t":5,"task":"main","ev":"end","out":{"ok":"done"}}
{"t":5,"ev":"finish","run":{"ok":"done"},"deadlock":false,"tasks_pending":[],"futures_pending":[]}
"#;

#[test]
fn model_built_by_hand_writes_the_spec_bytes() {
    let trace = hello_sleep();
    assert_eq!(text(trace.to_jsonl()), HELLO_SLEEP);
    assert_eq!(parse_trace_jsonl(HELLO_SLEEP), Ok(trace.clone()));

    let mut appended = b"prefix\n".to_vec();
    trace.write_jsonl(&mut appended);
    assert_eq!(text(appended), format!("prefix\n{HELLO_SLEEP}"));
}

#[test]
fn canonical_hash_is_fnv1a_of_the_text_and_pinned() {
    assert_eq!(Fnv1a::hash(b""), 0xcbf2_9ce4_8422_2325);
    assert_eq!(Fnv1a::hash(b"a"), 0xaf63_dc4c_8601_ec8c);
    let trace = hello_sleep();
    assert_eq!(trace.canonical_hash(), 0x47eb_843a_a117_cf60);
    assert_eq!(trace.canonical_hash(), Fnv1a::hash(HELLO_SLEEP.as_bytes()));

    let mut streamed = JsonlWriter::new(Fnv1a::new());
    for event in trace.events {
        streamed.event(event);
    }
    assert_eq!(
        streamed.finish().expect("hashing never fails").digest(),
        0x47eb_843a_a117_cf60
    );
}

#[test]
fn finish_and_end_of_read_the_model() {
    let trace = hello_sleep();
    let finish: FinishView<'_> = trace.finish().expect("finish line");
    assert_eq!(finish.t, 5);
    assert_eq!(finish.run, Some(&Outcome::ok(str_value("done"))));
    assert!(!finish.deadlock);
    assert!(finish.tasks_pending.is_empty() && finish.futures_pending.is_empty());
    assert_eq!(trace.end_of("worker"), Some(&Outcome::ok(Value::Int(42))));
    assert_eq!(trace.end_of("main"), Some(&Outcome::ok(str_value("done"))));
    assert_eq!(trace.end_of("nobody"), None);

    let mut unfinished = trace;
    unfinished.events.pop();
    assert!(unfinished.finish().is_none());
    assert!(Trace::new().finish().is_none());
}

#[test]
fn finish_with_deadlock_and_pending_lists() {
    let event = Event::Finish {
        t: 51,
        run: None,
        deadlock: true,
        tasks_pending: ["main", "a", "Z_task", "b", "a"].into_iter().collect(),
        futures_pending: ["f", "never_set", "F"].into_iter().collect(),
    };
    let expected = "{\"t\":51,\"ev\":\"finish\",\"run\":null,\"deadlock\":true,\
                    \"tasks_pending\":[\"Z_task\",\"a\",\"b\",\"main\"],\
                    \"futures_pending\":[\"F\",\"f\",\"never_set\"]}\n";
    let mut out = Vec::new();
    write_event(&event, &mut out);
    assert_eq!(text(out), expected);
    assert_eq!(
        parse_trace_jsonl(expected),
        Ok(Trace {
            events: vec![event.clone()]
        })
    );

    let trace = Trace {
        events: vec![event],
    };
    let finish = trace.finish().expect("finish line");
    assert!(finish.deadlock);
    assert_eq!(finish.run, None);
    assert!(finish.tasks_pending.contains("main") && !finish.tasks_pending.contains("c"));
    assert_eq!(finish.tasks_pending.len(), 4);

    let shutdown_deadlock = Event::Finish {
        t: 9,
        run: Some(Outcome::Cancelled(None)),
        deadlock: true,
        tasks_pending: ["x"].into_iter().collect(),
        futures_pending: NameSet::new(),
    };
    assert_eq!(
        shutdown_deadlock.to_string(),
        "{\"t\":9,\"ev\":\"finish\",\"run\":{\"cancelled\":null},\"deadlock\":true,\
         \"tasks_pending\":[\"x\"],\"futures_pending\":[]}"
    );
}

#[test]
fn every_event_kind_writes_its_keys_in_spec_order() {
    let events = [
        Event::Start {
            t: 3,
            task: name("a"),
        },
        Event::Op {
            t: 3,
            task: name("a"),
            at: name("1.taskgroup.2.try.0"),
            op: OpKind::AddDoneCallback,
            out: Outcome::OK_NULL,
        },
        Event::Item {
            t: 4,
            task: name("main"),
            at: name("3"),
            i: 2,
            out: Outcome::err("TimeoutError", ""),
        },
        Event::End {
            t: 4,
            task: name("b"),
            out: Outcome::Cancelled(Some(name("stop b"))),
        },
        Event::Callback {
            t: 5,
            of: name("f"),
            label: name("late"),
            state: CallbackState::Err,
        },
    ];
    let expected = concat!(
        r#"{"t":3,"task":"a","ev":"start"}"#,
        "\n",
        r#"{"t":3,"task":"a","ev":"op","at":"1.taskgroup.2.try.0","op":"add_done_callback","out":{"ok":null}}"#,
        "\n",
        r#"{"t":4,"task":"main","ev":"item","at":"3","i":2,"out":{"err":"TimeoutError","msg":""}}"#,
        "\n",
        r#"{"t":4,"task":"b","ev":"end","out":{"cancelled":"stop b"}}"#,
        "\n",
        r#"{"t":5,"ev":"callback","of":"f","label":"late","state":"err"}"#,
        "\n",
    );
    let trace = Trace {
        events: events.to_vec(),
    };
    assert_eq!(text(trace.to_jsonl()), expected);
    assert_eq!(parse_trace_jsonl(expected), Ok(trace));
    let kinds: Vec<_> = events.iter().map(Event::kind).collect();
    assert_eq!(kinds, ["start", "op", "item", "end", "callback"]);
    assert_eq!(events[4].task(), None);
    assert_eq!(events[3].task().map(|t| &**t), Some("b"));
}

#[test]
fn callback_states_and_op_kinds_round_trip() {
    for state in [
        CallbackState::Ok,
        CallbackState::Err,
        CallbackState::Cancelled,
    ] {
        let line = format!(
            "{{\"t\":0,\"ev\":\"callback\",\"of\":\"a\",\"label\":\"l\",\"state\":\"{}\"}}",
            state.as_str()
        );
        let event = parse_event_line(&line).expect("valid callback");
        assert_eq!(event.to_string(), line);
        assert_eq!(CallbackState::from_name(state.as_str()), Some(state));
    }
    for kind in OpKind::ALL {
        let line = format!(
            "{{\"t\":0,\"task\":\"m\",\"ev\":\"op\",\"at\":\"0\",\"op\":\"{kind}\",\"out\":{{\"ok\":null}}}}"
        );
        let event = parse_event_line(&line).expect("valid op");
        assert_eq!(event.to_string(), line);
        assert_eq!(OpKind::from_keyword(kind.as_str()), Some(kind));
    }
    assert_eq!(OpKind::from_keyword("sleeep"), None);
}

#[test]
fn gather_results_mix_values_and_exceptions() {
    let res = Res::list(vec![
        Value::Int(7).into(),
        Res::exc(Outcome::err("Oops", "c failed")),
        Res::exc(Outcome::Cancelled(Some(name("")))),
        Res::exc(Outcome::Cancelled(None)),
        list(vec![Value::Int(1), list(vec![]), Value::Null]).into(),
    ]);
    let out = Outcome::ok(res);
    let expected = r#"{"ok":[7,{"err":"Oops","msg":"c failed"},{"cancelled":""},{"cancelled":null},[1,[],null]]}"#;
    assert_eq!(out.to_string(), expected);
    let line = format!(
        "{{\"t\":1,\"task\":\"main\",\"ev\":\"op\",\"at\":\"4\",\"op\":\"gather\",\"out\":{expected}}}"
    );
    let event = parse_event_line(&line).expect("valid gather line");
    assert_eq!(event.to_string(), line);
    let Event::Op { out: parsed, .. } = event else {
        panic!("not an op event");
    };
    assert_eq!(parsed, out);
}

#[test]
fn list_representations_are_equal_and_hash_alike() {
    let as_value = Res::Value(list(vec![Value::Int(1), list(vec![str_value("x")])]));
    let as_items = Res::List(vec![
        Res::Value(Value::Int(1)),
        Res::List(vec![Res::Value(str_value("x"))]),
    ]);
    assert_eq!(as_value, as_items);
    assert_eq!(std_hash(&as_value), std_hash(&as_items));
    assert_eq!(as_value.to_string(), as_items.to_string());
    assert_eq!(as_items.to_string(), r#"[1,["x"]]"#);
    assert_ne!(as_value, Res::Value(list(vec![Value::Int(1)])));
    assert_ne!(
        Res::Value(list(vec![])),
        Res::wait(NameSet::new(), NameSet::new())
    );
    assert_eq!(Res::list(vec![]), Res::Value(list(vec![])));
    assert!(matches!(
        Res::list(vec![Value::Int(1).into()]),
        Res::Value(Value::List(_))
    ));
    assert!(matches!(
        Res::list(vec![Res::exc(Outcome::err("E", ""))]),
        Res::List(_)
    ));
    assert_eq!(Outcome::ok(as_value.clone()), Outcome::ok(as_items.clone()));
    assert_ne!(Outcome::ok(as_value), Outcome::Return(Value::Int(1)));
}

#[test]
fn wait_results_are_sorted_and_deduplicated() {
    let res = Res::wait(
        ["slow", "fast", "b", "slow", "B", "_x"]
            .into_iter()
            .collect::<NameSet>(),
        vec![name("zeta"), name("alpha"), name("zeta")],
    );
    let out = Outcome::ok(res);
    assert_eq!(
        out.to_string(),
        r#"{"ok":{"done":["B","_x","b","fast","slow"],"pending":["alpha","zeta"]}}"#
    );
    let unsorted = r#"{"t":1,"task":"m","ev":"op","at":"2","op":"wait","out":{"ok":{"pending":["z","a","z"],"done":[]}}}"#;
    let event = parse_event_line(unsorted).expect("valid wait line");
    assert_eq!(
        event.to_string(),
        r#"{"t":1,"task":"m","ev":"op","at":"2","op":"wait","out":{"ok":{"done":[],"pending":["a","z"]}}}"#
    );
    let names: NameSet = ["é", "z", "Ω", "a"].into_iter().collect();
    let sorted: Vec<&str> = names.iter().map(|n| &**n).collect();
    assert_eq!(sorted, ["a", "z", "é", "Ω"]);
}

#[test]
fn exception_groups_nest_in_groups() {
    let group = |excs| Outcome::group("ExceptionGroup", "unhandled errors in a TaskGroup", excs);
    let nested = group(vec![
        group(vec![Outcome::err("B", "b")]),
        Outcome::err("A", ""),
        group(vec![group(vec![
            Outcome::err("C", "c"),
            Outcome::err("D", "d"),
        ])]),
    ]);
    let g = r#"{"err":"ExceptionGroup","msg":"unhandled errors in a TaskGroup","excs":["#;
    let expected = format!(
        r#"{g}{g}{{"err":"B","msg":"b"}}]}},{{"err":"A","msg":""}},{g}{g}{{"err":"C","msg":"c"}},{{"err":"D","msg":"d"}}]}}]}}]}}"#
    );
    assert_eq!(nested.to_string(), expected);
    let line = format!(r#"{{"t":2,"task":"main","ev":"end","out":{expected}}}"#);
    let event = parse_event_line(&line).expect("valid group");
    assert_eq!(event.to_string(), line);
    assert_eq!(
        event,
        Event::End {
            t: 2,
            task: name("main"),
            out: nested
        }
    );

    let mut deep = Outcome::err("Leaf", "bottom");
    // 500 groups: the innermost member is at nesting level 1002 of the line.
    for _ in 0..500 {
        deep = group(vec![deep]);
    }
    let line = format!(
        r#"{{"t":0,"ev":"finish","run":{deep},"deadlock":false,"tasks_pending":[],"futures_pending":[]}}"#
    );
    assert!(line.starts_with(&format!(r#"{{"t":0,"ev":"finish","run":{g}{g}"#)));
    let event = parse_event_line(&line).expect("500 nested groups");
    assert_eq!(event.to_string(), line);
}

#[test]
fn deep_nested_lists_round_trip() {
    let depth = 1000;
    let mut value = Value::Int(-1);
    for _ in 0..depth {
        value = list(vec![value]);
    }
    let expected = format!("{}-1{}", "[".repeat(depth), "]".repeat(depth));
    let ret = Outcome::Return(value.clone());
    assert_eq!(ret.to_string(), format!(r#"{{"return":{expected}}}"#));

    let mut res = Res::exc(Outcome::Cancelled(None));
    for _ in 0..depth {
        res = Res::List(vec![Value::Int(0).into(), res]);
    }
    let rendered = Outcome::ok(res.clone()).to_string();
    assert_eq!(
        rendered,
        format!(
            r#"{{"ok":{}{{"cancelled":null}}{}}}"#,
            "[0,".repeat(depth),
            "]".repeat(depth)
        )
    );
    for out in [ret, Outcome::ok(res), Outcome::ok(value)] {
        let line = format!(r#"{{"t":0,"task":"m","ev":"end","out":{out}}}"#);
        let event = parse_event_line(&line).expect("deep line");
        assert_eq!(event.to_string(), line);
    }
}

#[test]
fn reader_refuses_nesting_beyond_the_limit() {
    let at_limit = |n: usize| {
        format!(
            r#"{{"t":0,"task":"m","ev":"end","out":{{"ok":{}{}}}}}"#,
            "[".repeat(n),
            "]".repeat(n)
        )
    };
    // The event object and the outcome object take two levels.
    let line = at_limit(MAX_DEPTH - 2);
    assert_eq!(
        parse_event_line(&line).expect("at the limit").to_string(),
        line
    );
    let err = parse_event_line(&at_limit(MAX_DEPTH - 1)).expect_err("over the limit");
    assert!(err.contains("nested too deeply"), "{err}");
    assert!(parse_event_line(&at_limit(1_000_000)).is_err());

    let groups = |n: usize| {
        let g = r#"{"err":"G","msg":"","excs":["#;
        format!(
            r#"{{"t":0,"task":"m","ev":"end","out":{}{{"cancelled":null}}{}}}"#,
            g.repeat(n),
            "]}".repeat(n)
        )
    };
    // The event object, then two levels per group, then the innermost member.
    let line = groups((MAX_DEPTH - 2) / 2);
    assert_eq!(
        parse_event_line(&line).expect("at the limit").to_string(),
        line
    );
    let err = parse_event_line(&groups(MAX_DEPTH / 2)).expect_err("over the limit");
    assert!(err.contains("nested too deeply"), "{err}");
    assert!(parse_event_line(&groups(1_000_000)).is_err());
}

#[test]
fn reader_accepts_other_spellings_and_writes_them_canonically() {
    let loose = " { \"ev\" : \"op\", \"out\":{\"ok\" : [ 1 , {\"msg\":\"m\\/x\",\"err\":\"E\"} ]},\
                 \"op\":\"gather\", \"at\":\"\\u0030\", \"task\":\"m\\u00e9\", \"t\": 10 }\r";
    let event = parse_event_line(loose).expect("valid JSON with keys in any order");
    assert_eq!(
        event.to_string(),
        r#"{"t":10,"task":"mé","ev":"op","at":"0","op":"gather","out":{"ok":[1,{"err":"E","msg":"m/x"}]}}"#
    );
    let groups = concat!(
        r#"{"out":{"ok":[{"excs":[{"msg":"b","err":"B"},{"cancelled":"c"}],"msg":"m","err":"G"},"#,
        r#"{ "excs" : [ ] , "err":"H","msg":""}]},"ev":"end","task":"m","t":3}"#
    );
    let event = parse_event_line(groups).expect("groups with keys in any order");
    assert_eq!(
        event.to_string(),
        concat!(
            r#"{"t":3,"task":"m","ev":"end","out":{"ok":[{"err":"G","msg":"m","excs":"#,
            r#"[{"err":"B","msg":"b"},{"cancelled":"c"}]},{"err":"H","msg":"","excs":[]}]}}"#
        )
    );
    let trace =
        parse_trace_jsonl("{\"t\":0,\"task\":\"m\",\"ev\":\"start\"}").expect("no final newline");
    assert_eq!(trace.events.len(), 1);
    assert_eq!(parse_trace_jsonl(""), Ok(Trace::new()));
}

#[test]
fn reader_reports_malformed_lines() {
    let cases = [
        (
            r#"{"t":0,"task":"m","ev":"start","at":"0"}"#,
            "unexpected key \"at\"",
        ),
        (r#"{"t":0,"ev":"start"}"#, "missing key \"task\""),
        (
            r#"{"t":0,"t":1,"task":"m","ev":"start"}"#,
            "duplicate key \"t\"",
        ),
        (r#"{"t":0,"task":"m","ev":"begin"}"#, "unknown event kind"),
        (
            r#"{"t":0,"task":"m","ev":"start","x":1}"#,
            "unknown key \"x\"",
        ),
        (r#"{"t":1.5,"task":"m","ev":"start"}"#, "integers"),
        (r#"{"t":-1,"task":"m","ev":"start"}"#, "non-negative"),
        (r#"{"t":01,"task":"m","ev":"start"}"#, "leading zero"),
        (r#"{"t":0,"task":"m","ev":"end","out":{"return":-0}}"#, "-0"),
        (
            r#"{"t":0,"task":"m","ev":"end","out":{"return":9223372036854775808}}"#,
            "range",
        ),
        (
            r#"{"t":0,"task":"m","ev":"end","out":{"return":-9223372036854775809}}"#,
            "range",
        ),
        (
            r#"{"t":18446744073709551616,"task":"m","ev":"start"}"#,
            "range",
        ),
        (r#"{"t":0,"task":"\ud800","ev":"start"}"#, "surrogate"),
        (r#"{"t":0,"task":"\udc00\ud800","ev":"start"}"#, "surrogate"),
        (r#"{"t":0,"task":"\q","ev":"start"}"#, "invalid escape"),
        (
            "{\"t\":0,\"task\":\"a\tb\",\"ev\":\"start\"}",
            "control character",
        ),
        (r#"{"t":0,"task":"m","ev":"start"} x"#, "after the event"),
        (r#"{"t":0,"task":"m","ev":"start""#, "expected '}'"),
        (
            r#"{"t":0,"task":"m","ev":"end","out":{"ok":1,"return":1}}"#,
            "one form",
        ),
        (
            r#"{"t":0,"task":"m","ev":"end","out":{"err":"E"}}"#,
            "one form",
        ),
        (
            r#"{"t":0,"task":"m","ev":"end","out":{"ok":{"done":[]}}}"#,
            "both",
        ),
        (
            r#"{"t":0,"task":"m","ev":"end","out":{"ok":[{"ok":1}]}}"#,
            "expected an exception outcome",
        ),
        (
            r#"{"t":0,"task":"m","ev":"end","out":{"return":{}}}"#,
            "expected a value",
        ),
        (
            r#"{"t":0,"task":"m","ev":"op","at":"0","op":"nap","out":{"ok":null}}"#,
            "unknown op kind",
        ),
        (
            r#"{"t":0,"ev":"callback","of":"a","label":"l","state":"done"}"#,
            "unknown callback state",
        ),
        (
            r#"{"t":0,"ev":"finish","run":null,"deadlock":1,"tasks_pending":[],"futures_pending":[]}"#,
            "true or false",
        ),
        ("", "expected '{'"),
        (
            r#"{"t":0,"task":"m","ev":"end","out":{"err":"G","msg":"","excs":[{"return":1}]}}"#,
            "expected an exception outcome",
        ),
        (
            r#"{"t":0,"task":"m","ev":"end","out":{"err":"G","msg":"","excs":[{"err":"E"}]}}"#,
            "group member",
        ),
        (
            r#"{"t":0,"task":"m","ev":"end","out":{"err":"G","excs":[],"msg":"","excs":[]}}"#,
            "duplicate key \"excs\"",
        ),
        (
            r#"{"t":0,"task":"m","ev":"end","out":{"ok":[1,[2}}"#,
            "expected ']'",
        ),
    ];
    for (line, needle) in cases {
        let err = parse_event_line(line).expect_err(line);
        assert!(err.contains(needle), "{line}: {err}");
        assert!(err.starts_with("column "), "{err}");
    }
    let err =
        parse_trace_jsonl("{\"t\":0,\"task\":\"m\",\"ev\":\"start\"}\n\n").expect_err("blank line");
    assert!(err.starts_with("line 2: "), "{err}");
}

#[test]
fn sinks_work_through_mutable_references() {
    fn emit(sink: &mut dyn EventSink) {
        for event in hello_sleep().events {
            sink.event(event);
        }
    }
    let mut recorder = Recorder::new();
    emit(&mut recorder);
    let mut by_ref = &mut recorder;
    EventSink::event(
        &mut by_ref,
        Event::Start {
            t: 6,
            task: name("late"),
        },
    );
    let trace = recorder.into_trace();
    assert_eq!(trace.events.len(), 12);
    assert_eq!(
        text(trace.to_jsonl()),
        format!("{HELLO_SLEEP}{{\"t\":6,\"task\":\"late\",\"ev\":\"start\"}}\n")
    );
}

#[test]
fn streaming_writer_reports_the_first_error() {
    #[derive(Debug)]
    struct Full(usize);
    impl std::io::Write for Full {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if self.0 == 0 {
                return Err(std::io::Error::other("full"));
            }
            let n = buf.len().min(self.0);
            self.0 -= n;
            Ok(n)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut writer = JsonlWriter::new(Full(40));
    for event in hello_sleep().events {
        writer.event(event);
    }
    let err = writer.finish().expect_err("the output filled up");
    assert_eq!(err.to_string(), "full");
}
