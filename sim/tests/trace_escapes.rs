//! String escaping and integer rendering of the trace writer (graph-format 3.1), checked
//! byte for byte, and read back by the trace reader.

use std::sync::Arc;

use aiosim_sim::trace::{
    CallbackState, Event, NameSet, OpKind, Outcome, Res, Trace, parse_event_line,
    parse_trace_jsonl, write_event, write_str, write_value,
};
use aiosim_sim::value::Value;

fn name(s: &str) -> Arc<str> {
    Arc::from(s)
}

fn quoted(s: &str) -> String {
    let mut out = Vec::new();
    write_str(s, &mut out);
    String::from_utf8(out).expect("the writer produces UTF-8")
}

fn line(event: &Event) -> String {
    let mut out = Vec::new();
    write_event(event, &mut out);
    String::from_utf8(out).expect("the writer produces UTF-8")
}

/// Writes `event`, compares with `expected` (without its `\n`), and reads it back.
fn assert_line(event: Event, expected: &str) {
    assert_eq!(line(&event), format!("{expected}\n"));
    assert_eq!(parse_event_line(expected), Ok(event));
}

#[test]
fn control_characters_use_short_escapes_or_lowercase_u00xx() {
    let all: String = (0u8..0x20).map(char::from).collect();
    let expected = concat!(
        r#"""#,
        r#"\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\b\t\n\u000b\f\r\u000e\u000f"#,
        r#"\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001a\u001b\u001c\u001d\u001e\u001f"#,
        r#"""#
    );
    assert_eq!(quoted(&all), expected);
    assert_eq!(quoted("a\u{1b}[0m"), r#""a\u001b[0m""#);
    assert_eq!(quoted("\r\n"), r#""\r\n""#);
}

#[test]
fn quote_and_backslash_are_the_only_other_escapes() {
    assert_eq!(quoted(r#"a"b\c"#), r#""a\"b\\c""#);
    assert_eq!(quoted(r#"\""#), r#""\\\"""#);
    assert_eq!(quoted(r"\\u0041"), r#""\\\\u0041""#);
    assert_eq!(quoted(""), r#""""#);
}

#[test]
fn slash_delete_and_non_ascii_are_written_raw() {
    for s in [
        "/",
        "</script>",
        "a/b//c",
        "\u{7f}",
        "x\u{7f}y",
        "\u{80}",
        "\u{9f}",
        "é",
        "naïve café",
        "中文字符",
        "Ω≈ç√",
        "\u{2028}\u{2029}",
        "\u{feff}",
        "\u{fffd}\u{ffff}",
        "😀",
        "👩‍👩‍👧‍👦",
        "🇫🇷",
        "\u{10ffff}",
    ] {
        assert_eq!(quoted(s), format!("\"{s}\""), "{s:?}");
    }
    assert_eq!(quoted("é\n😀\t/"), "\"é\\n😀\\t/\"");
}

#[test]
fn escapes_agree_with_serde_json_compact_output() {
    let samples = (0u32..0x800)
        .chain([
            0x2028, 0x2029, 0xd7ff, 0xe000, 0xfffd, 0xffff, 0x1_0000, 0x1_f600,
        ])
        .chain([0x10_ffff])
        .filter_map(char::from_u32);
    for c in samples {
        let s = format!("a{c}b{c}");
        let reference = serde_json::to_string(&s).expect("strings serialize");
        assert_eq!(quoted(&s), reference, "U+{:04X}", u32::from(c));
    }
}

#[test]
fn every_string_field_is_escaped() {
    let odd = "q\"b\\s/n\nt\tc\u{1}d\u{7f}é😀";
    let esc = r#""q\"b\\s/n\nt\tc\u0001d\u007fé😀""#.replace(r"\u007f", "\u{7f}");
    assert_line(
        Event::Start {
            t: 0,
            task: name(odd),
        },
        &format!(r#"{{"t":0,"task":{esc},"ev":"start"}}"#),
    );
    assert_line(
        Event::Op {
            t: 1,
            task: name(odd),
            at: name(odd),
            op: OpKind::Gather,
            out: Outcome::ok(Res::list(vec![
                Value::Str(name(odd)).into(),
                Res::exc(Outcome::err(odd, odd)),
                Res::exc(Outcome::Cancelled(Some(name(odd)))),
            ])),
        },
        &format!(
            r#"{{"t":1,"task":{esc},"ev":"op","at":{esc},"op":"gather","out":{{"ok":[{esc},{{"err":{esc},"msg":{esc}}},{{"cancelled":{esc}}}]}}}}"#
        ),
    );
    assert_line(
        Event::Item {
            t: 2,
            task: name(odd),
            at: name(odd),
            i: 0,
            out: Outcome::group(odd, odd, vec![Outcome::err(odd, "")]),
        },
        &format!(
            r#"{{"t":2,"task":{esc},"ev":"item","at":{esc},"i":0,"out":{{"err":{esc},"msg":{esc},"excs":[{{"err":{esc},"msg":""}}]}}}}"#
        ),
    );
    assert_line(
        Event::End {
            t: 3,
            task: name(odd),
            out: Outcome::ok(Res::wait(
                [odd, "plain"].into_iter().collect::<NameSet>(),
                [odd].into_iter().collect::<NameSet>(),
            )),
        },
        &format!(
            r#"{{"t":3,"task":{esc},"ev":"end","out":{{"ok":{{"done":["plain",{esc}],"pending":[{esc}]}}}}}}"#
        ),
    );
    assert_line(
        Event::Callback {
            t: 4,
            of: name(odd),
            label: name(odd),
            state: CallbackState::Cancelled,
        },
        &format!(r#"{{"t":4,"ev":"callback","of":{esc},"label":{esc},"state":"cancelled"}}"#),
    );
    assert_line(
        Event::Finish {
            t: 5,
            run: Some(Outcome::Return(Value::Str(name(odd)))),
            deadlock: true,
            tasks_pending: [odd].into_iter().collect(),
            futures_pending: [odd].into_iter().collect(),
        },
        &format!(
            r#"{{"t":5,"ev":"finish","run":{{"return":{esc}}},"deadlock":true,"tasks_pending":[{esc}],"futures_pending":[{esc}]}}"#
        ),
    );
}

#[test]
fn reader_decodes_escapes_and_the_writer_re_escapes_canonically() {
    let cases = [
        (r#""\u0041\u00e9\u4e2d""#, r#""Aé中""#),
        (r#""\ud83d\ude00""#, r#""😀""#),
        (r#""\/\u002f""#, r#""//""#),
        (r#""\u001F\u001f\u000B""#, r#""\u001f\u001f\u000b""#),
        (r#""\u007f\u0080""#, "\"\u{7f}\u{80}\""),
        (r#""\u0008\u0009\u000a\u000c\u000d""#, r#""\b\t\n\f\r""#),
        (r#""\u0022\u005c""#, r#""\"\\""#),
        (r#""\"\\\b\f\n\r\t""#, r#""\"\\\b\f\n\r\t""#),
        ("\"raw 😀 é \u{7f}\"", "\"raw 😀 é \u{7f}\""),
    ];
    for (input, canonical) in cases {
        let event = parse_event_line(&format!(
            r#"{{"t":0,"task":"m","ev":"end","out":{{"return":{input}}}}}"#
        ))
        .unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(
            line(&event),
            format!(
                "{{\"t\":0,\"task\":\"m\",\"ev\":\"end\",\"out\":{{\"return\":{canonical}}}}}\n"
            ),
            "{input}"
        );
    }
}

#[test]
fn integers_cover_the_whole_signed_64_bit_range() {
    let cases = [
        (i64::MIN, "-9223372036854775808"),
        (i64::MIN + 1, "-9223372036854775807"),
        (-1_000_000_000_000, "-1000000000000"),
        (-10, "-10"),
        (-1, "-1"),
        (0, "0"),
        (1, "1"),
        (9, "9"),
        (10, "10"),
        (1_000_000_000_000, "1000000000000"),
        (i64::MAX - 1, "9223372036854775806"),
        (i64::MAX, "9223372036854775807"),
    ];
    for (n, text) in cases {
        let mut out = Vec::new();
        write_value(&Value::Int(n), &mut out);
        assert_eq!(out, text.as_bytes());
        assert_line(
            Event::End {
                t: 0,
                task: name("m"),
                out: Outcome::ok(Value::Int(n)),
            },
            &format!(r#"{{"t":0,"task":"m","ev":"end","out":{{"ok":{text}}}}}"#),
        );
    }
    let extremes =
        Value::List(vec![Value::Int(i64::MIN), Value::Int(i64::MAX), Value::Int(0)].into());
    assert_line(
        Event::Op {
            t: 7,
            task: name("m"),
            at: name("0"),
            op: OpKind::Return,
            out: Outcome::Return(extremes.clone()),
        },
        r#"{"t":7,"task":"m","ev":"op","at":"0","op":"return","out":{"return":[-9223372036854775808,9223372036854775807,0]}}"#,
    );
    assert_line(
        Event::Op {
            t: 7,
            task: name("m"),
            at: name("1"),
            op: OpKind::Gather,
            out: Outcome::ok(Res::list(vec![
                extremes.into(),
                Res::exc(Outcome::err("E", "")),
                Value::Int(i64::MIN).into(),
            ])),
        },
        r#"{"t":7,"task":"m","ev":"op","at":"1","op":"gather","out":{"ok":[[-9223372036854775808,9223372036854775807,0],{"err":"E","msg":""},-9223372036854775808]}}"#,
    );
}

#[test]
fn times_and_indexes_cover_the_whole_unsigned_range() {
    assert_line(
        Event::Item {
            t: u64::MAX,
            task: name("m"),
            at: name("3"),
            i: u64::MAX,
            out: Outcome::ok(Value::Bool(true)),
        },
        r#"{"t":18446744073709551615,"task":"m","ev":"item","at":"3","i":18446744073709551615,"out":{"ok":true}}"#,
    );
    assert_line(
        Event::Start {
            t: 1_000_000_000_000,
            task: name("m"),
        },
        r#"{"t":1000000000000,"task":"m","ev":"start"}"#,
    );
}

#[test]
fn scalar_values_render_exactly() {
    let value = Value::List(
        vec![
            Value::Null,
            Value::Bool(true),
            Value::Bool(false),
            Value::Str(name("")),
            Value::List(Vec::new().into()),
            Value::List(vec![Value::List(vec![Value::Null].into())].into()),
        ]
        .into(),
    );
    let mut out = Vec::new();
    write_value(&value, &mut out);
    assert_eq!(out, br#"[null,true,false,"",[],[[null]]]"#);
    let text = concat!(
        r#"{"t":0,"task":"m","ev":"op","at":"0","op":"return","out":{"return":[null,true,false,"",[],[[null]]]}}"#,
        "\n"
    );
    let trace = parse_trace_jsonl(text).expect("valid line");
    assert_eq!(
        trace,
        Trace {
            events: vec![Event::Op {
                t: 0,
                task: name("m"),
                at: name("0"),
                op: OpKind::Return,
                out: Outcome::Return(value),
            }]
        }
    );
    assert_eq!(trace.to_jsonl(), text.as_bytes());
}
