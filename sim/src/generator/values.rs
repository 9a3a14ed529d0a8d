//! Scenario data: values (graph-format 2.4), strings and messages, exception objects and
//! handler types (2.5), callback labels.

use super::json::Json;
use super::rng::Rng;

/// Values nest at most this many lists deep (graph-format 2.4).
const MAX_VALUE_DEPTH: usize = 8;

/// Strings that exercise the trace's escaping (3.1): quotes, backslashes, every short escape,
/// other control characters, U+007F, `/`, non-ASCII inside and beyond the BMP.
const TRICKY_STRINGS: &[&str] = &[
    "",
    " ",
    "quote\"d",
    "back\\slash",
    "tab\there",
    "line\nbreak",
    "cr\r",
    "\u{8}\u{c}",
    "\u{0}\u{1}\u{1f}",
    "del\u{7f}",
    "a/b</c>",
    "é",
    "日本語",
    "🎉 party",
    "\u{2028}\u{2029}",
    "null",
    "[1]",
];

const PLAIN_STRINGS: &[&str] = &[
    "x", "done", "ok", "a b", "stop", "boom", "late", "Timeout", "main", "f0",
];

/// Exception type names a scenario may raise or set (never `Exception`, `BaseException`,
/// `ExceptionGroup` or `BaseExceptionGroup`), with weights: the runtime's own names, scenario
/// classes, and built-in names that must get no special behaviour (2.5).
const RAISE_TYPES: &[(&str, u32)] = &[
    ("CancelledError", 6),
    ("TimeoutError", 4),
    ("Boom", 8),
    ("Oops", 6),
    ("ValueError", 3),
    ("InvalidStateError", 1),
    ("RuntimeError", 1),
    ("ScenarioError", 1),
    ("KeyboardInterrupt", 1),
    ("SystemExit", 1),
    ("StopIteration", 1),
    ("GeneratorExit", 1),
    ("OSError", 1),
];

/// Handler types (any name matches by exact class name; two are wildcards, 4.6).
const HANDLER_TYPES: &[(&str, u32)] = &[
    ("BaseException", 6),
    ("Exception", 8),
    ("CancelledError", 8),
    ("TimeoutError", 5),
    ("Boom", 5),
    ("Oops", 3),
    ("ValueError", 2),
    ("ExceptionGroup", 4),
    ("InvalidStateError", 3),
    ("ScenarioError", 3),
    ("RuntimeError", 2),
    ("BaseExceptionGroup", 1),
    ("OSError", 1),
    ("KeyboardInterrupt", 1),
];

pub(crate) const LABELS: &[&str] = &["cb", "first", "second", "late", "Z", "_x", "cb2"];

fn weighted_name(rng: &mut Rng, table: &[(&'static str, u32)]) -> &'static str {
    let weights: Vec<u32> = table.iter().map(|&(_, w)| w).collect();
    table[rng.weighted(&weights).expect("positive weights")].0
}

/// A type name for `raise`/`set_exception`.
pub(crate) fn raise_type(rng: &mut Rng) -> &'static str {
    weighted_name(rng, RAISE_TYPES)
}

/// A handler type name.
pub(crate) fn handler_type(rng: &mut Rng) -> &'static str {
    weighted_name(rng, HANDLER_TYPES)
}

/// A free-text string: mostly plain, sometimes tricky, rarely 1024 code points long.
pub(crate) fn string(rng: &mut Rng) -> String {
    match rng.below(20) {
        0..=11 => rng.pick(PLAIN_STRINGS).to_string(),
        12..=18 => rng.pick(TRICKY_STRINGS).to_string(),
        _ => {
            // At the limit of 1024 code points (some of them beyond the BMP).
            let unit = *rng.pick(&["x", "é", "🎉"]);
            unit.repeat(1024)
        }
    }
}

/// An optional message: absent (`None`), explicit `null`, or a string. `None` means "leave
/// the key out".
pub(crate) fn message(rng: &mut Rng) -> Option<Json> {
    match rng.below(6) {
        0 | 1 => None,
        2 => Some(Json::Null),
        _ => Some(Json::Str(string(rng))),
    }
}

/// An `EXC` object `{"type": TYPE, "msg": ...}` (the `msg` absent, `null` or a string).
pub(crate) fn exception(rng: &mut Rng) -> Json {
    let mut exc = Json::obj([("type", Json::str(raise_type(rng)))]);
    if let Some(msg) = message(rng) {
        exc.push("msg", msg);
    }
    exc
}

/// A scenario value (2.4).
pub(crate) fn value(rng: &mut Rng) -> Json {
    value_at(rng, 0)
}

fn value_at(rng: &mut Rng, depth: usize) -> Json {
    match rng.below(20) {
        0..=2 => Json::Null,
        3..=4 => Json::Bool(rng.percent(50)),
        5..=9 => Json::Int(rng.range_u64(0, 20) as i64 - 5),
        10 => Json::Int(*rng.pick(&[i64::MIN, i64::MAX, -1, 0, 1 << 53, (1 << 53) + 1])),
        11 => Json::Int(rng.any_i64()),
        12..=15 => Json::Str(string(rng)),
        16 if depth < MAX_VALUE_DEPTH => {
            // A chain of lists down to the deepest allowed level: the innermost element (an
            // integer or an empty list) is at depth 8.
            let mut v = if rng.percent(50) {
                Json::Arr(Vec::new())
            } else {
                Json::Int(1)
            };
            for _ in depth..MAX_VALUE_DEPTH {
                v = Json::Arr(vec![v]);
            }
            v
        }
        _ if depth < MAX_VALUE_DEPTH => {
            let len = rng.upto(3);
            Json::Arr((0..len).map(|_| value_at(rng, depth + 1)).collect())
        }
        _ => Json::Arr(Vec::new()),
    }
}

/// An outcome as an expectation writes it (2.7), nested at most `depth` groups deep.
pub(crate) fn expected_outcome(rng: &mut Rng, depth: usize) -> Json {
    match rng.below(if depth > 0 { 4 } else { 3 }) {
        0 => Json::obj([("ok", value(rng))]),
        1 => Json::obj([(
            "cancelled",
            if rng.percent(50) {
                Json::Null
            } else {
                Json::Str(string(rng))
            },
        )]),
        2 => Json::obj([
            ("err", Json::str(raise_type(rng))),
            ("msg", Json::Str(string(rng))),
        ]),
        _ => {
            let len = 1 + rng.below(3);
            Json::obj([
                ("err", Json::str("ExceptionGroup")),
                ("msg", Json::str("unhandled errors in a TaskGroup")),
                (
                    "excs",
                    Json::Arr((0..len).map(|_| expected_outcome(rng, depth - 1)).collect()),
                ),
            ])
        }
    }
}
