//! A small JSON tree with ordered keys, and its writers: a readable layout (one op per line,
//! like the shipped examples) and a "noisy" one that uses the odd corners of valid JSON.

use std::fmt::Write as _;

use super::rng::Rng;
use crate::trace::push_escaped_char;

/// A JSON value whose objects keep their keys in insertion order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Json {
    Null,
    Bool(bool),
    Int(i64),
    Str(String),
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
}

impl Json {
    pub(crate) fn str(s: impl Into<String>) -> Json {
        Json::Str(s.into())
    }

    /// An object from `(key, value)` pairs.
    pub(crate) fn obj<const N: usize>(pairs: [(&str, Json); N]) -> Json {
        Json::Obj(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
    }

    /// Adds a key at the end of an object.
    pub(crate) fn push(&mut self, key: &str, value: Json) {
        match self {
            Json::Obj(pairs) => pairs.push((key.to_owned(), value)),
            _ => unreachable!("push on a non-object"),
        }
    }
}

/// The readable layout: top-level keys and task definitions on their own lines, each op of a
/// task body on one line (compact), as in `tests/examples/`.
pub(crate) fn write_pretty(doc: &Json) -> String {
    let mut out = String::new();
    let Json::Obj(pairs) = doc else {
        unreachable!("the document is an object")
    };
    out.push_str("{\n");
    for (i, (key, value)) in pairs.iter().enumerate() {
        out.push_str("  ");
        write_string(&mut out, key, None);
        out.push_str(": ");
        match (key.as_str(), value) {
            ("tasks", Json::Obj(tasks)) => {
                out.push_str("{\n");
                for (j, (name, body)) in tasks.iter().enumerate() {
                    out.push_str("    ");
                    write_string(&mut out, name, None);
                    out.push_str(": ");
                    write_list_lines(&mut out, body, "      ", "    ");
                    out.push_str(if j + 1 < tasks.len() { ",\n" } else { "\n" });
                }
                out.push_str("  }");
            }
            ("expect", _) => write_list_lines(&mut out, value, "    ", "  "),
            _ => write_compact(&mut out, value, None),
        }
        out.push_str(if i + 1 < pairs.len() { ",\n" } else { "\n" });
    }
    out.push_str("}\n");
    out
}

/// A list with one compact element per line.
fn write_list_lines(out: &mut String, list: &Json, indent: &str, close_indent: &str) {
    let Json::Arr(items) = list else {
        write_compact(out, list, None);
        return;
    };
    if items.is_empty() {
        out.push_str("[]");
        return;
    }
    out.push_str("[\n");
    for (i, item) in items.iter().enumerate() {
        out.push_str(indent);
        write_compact(out, item, None);
        out.push_str(if i + 1 < items.len() { ",\n" } else { "\n" });
    }
    out.push_str(close_indent);
    out.push(']');
}

/// The noisy layout: every object's keys shuffled, random whitespace (space, tab, CR, LF)
/// between tokens, and some characters of strings and keys written as `\u` escapes (either
/// hex case, surrogate pairs beyond the BMP) or `\/`. The decoded document is the same.
pub(crate) fn write_noisy(doc: &Json, rng: &mut Rng) -> String {
    let mut doc = doc.clone();
    shuffle_keys(&mut doc, rng);
    let mut out = String::new();
    write_compact(&mut out, &doc, Some(rng));
    out.push('\n');
    out
}

fn shuffle_keys(doc: &mut Json, rng: &mut Rng) {
    match doc {
        Json::Arr(items) => items.iter_mut().for_each(|item| shuffle_keys(item, rng)),
        Json::Obj(pairs) => {
            rng.shuffle(pairs);
            pairs.iter_mut().for_each(|(_, v)| shuffle_keys(v, rng));
        }
        _ => {}
    }
}

/// Compact JSON; with `noise`, random whitespace and escapes.
pub(crate) fn write_compact(out: &mut String, value: &Json, mut noise: Option<&mut Rng>) {
    match value {
        Json::Null => out.push_str("null"),
        Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Json::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Json::Str(s) => write_string(out, s, noise),
        Json::Arr(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                space(out, noise.as_deref_mut());
                write_compact(out, item, noise.as_deref_mut());
                space(out, noise.as_deref_mut());
            }
            out.push(']');
        }
        Json::Obj(pairs) => {
            out.push('{');
            for (i, (key, v)) in pairs.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                space(out, noise.as_deref_mut());
                write_string(out, key, noise.as_deref_mut());
                space(out, noise.as_deref_mut());
                out.push(':');
                space(out, noise.as_deref_mut());
                write_compact(out, v, noise.as_deref_mut());
                space(out, noise.as_deref_mut());
            }
            out.push('}');
        }
    }
}

fn space(out: &mut String, noise: Option<&mut Rng>) {
    if let Some(rng) = noise
        && rng.percent(15)
    {
        let ws: &[&str] = &[" ", "\t", "\n", "\r\n", "  "];
        out.push_str(ws[rng.below(ws.len())]);
    }
}

/// A JSON string: the canonical escapes of graph-format 3.1, plus (with `noise`) random
/// gratuitous escapes.
pub(crate) fn write_string(out: &mut String, s: &str, mut noise: Option<&mut Rng>) {
    out.push('"');
    for c in s.chars() {
        if let Some(rng) = noise.as_deref_mut()
            && rng.percent(10)
        {
            if c == '/' && rng.percent(50) {
                out.push_str("\\/");
                continue;
            }
            let upper = rng.percent(50);
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                if upper {
                    let _ = write!(out, "\\u{:04X}", unit);
                } else {
                    let _ = write!(out, "\\u{:04x}", unit);
                }
            }
            continue;
        }
        push_escaped_char(c, out);
    }
    out.push('"');
}
