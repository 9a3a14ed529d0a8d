//! A small JSON tree with ordered keys and its writers: compact, and the layout of the shipped
//! examples (one op per line), which the crash reports print.

/// A JSON value whose objects keep their keys in insertion order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum J {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A string.
    Str(String),
    /// An array.
    Arr(Vec<J>),
    /// An object, keys in order.
    Obj(Vec<(String, J)>),
}

impl J {
    /// A string value.
    pub fn s(text: impl Into<String>) -> J {
        J::Str(text.into())
    }

    /// An object from `(key, value)` pairs.
    pub fn obj<const N: usize>(pairs: [(&str, J); N]) -> J {
        J::Obj(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
    }

    /// An unsigned integer (tick counts are at most 10^12, far inside `i64`).
    pub fn uint(n: u64) -> J {
        J::Int(i64::try_from(n).unwrap_or(i64::MAX))
    }

    /// `null` for `None`.
    pub fn opt<T>(value: Option<T>, f: impl FnOnce(T) -> J) -> J {
        value.map_or(J::Null, f)
    }

    /// Compact text: no whitespace at all.
    pub fn compact(&self) -> String {
        let mut out = String::new();
        write_compact(&mut out, self);
        out
    }

    /// The layout of the shipped examples: top-level keys, task definitions and `expect`
    /// entries on their own lines, each op of a task body on one compact line.
    pub fn document(&self) -> String {
        let J::Obj(pairs) = self else {
            return self.compact();
        };
        let mut out = String::from("{\n");
        for (i, (key, value)) in pairs.iter().enumerate() {
            out.push_str("  ");
            write_str(&mut out, key);
            out.push_str(": ");
            match (key.as_str(), value) {
                ("tasks", J::Obj(tasks)) if !tasks.is_empty() => {
                    out.push_str("{\n");
                    for (j, (name, body)) in tasks.iter().enumerate() {
                        out.push_str("    ");
                        write_str(&mut out, name);
                        out.push_str(": ");
                        lines(&mut out, body, "      ", "    ");
                        out.push_str(if j + 1 < tasks.len() { ",\n" } else { "\n" });
                    }
                    out.push_str("  }");
                }
                ("expect", _) => lines(&mut out, value, "    ", "  "),
                _ => write_compact(&mut out, value),
            }
            out.push_str(if i + 1 < pairs.len() { ",\n" } else { "\n" });
        }
        out.push_str("}\n");
        out
    }
}

/// A list with one compact element per line.
fn lines(out: &mut String, list: &J, indent: &str, close: &str) {
    match list {
        J::Arr(items) if !items.is_empty() => {
            out.push_str("[\n");
            for (i, item) in items.iter().enumerate() {
                out.push_str(indent);
                write_compact(out, item);
                out.push_str(if i + 1 < items.len() { ",\n" } else { "\n" });
            }
            out.push_str(close);
            out.push(']');
        }
        other => write_compact(out, other),
    }
}

fn write_compact(out: &mut String, value: &J) {
    match value {
        J::Null => out.push_str("null"),
        J::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        J::Int(n) => out.push_str(&n.to_string()),
        J::Str(s) => write_str(out, s),
        J::Arr(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_compact(out, item);
            }
            out.push(']');
        }
        J::Obj(pairs) => {
            out.push('{');
            for (i, (key, item)) in pairs.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_str(out, key);
                out.push(':');
                write_compact(out, item);
            }
            out.push('}');
        }
    }
}

/// Appends a JSON string literal: `"` and `\` escaped, `\n`, `\t` and `\r` as such, other
/// control characters as `\u00xx`, everything else raw.
pub(crate) fn write_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        let v = J::Arr(vec![J::s("a\"b\\c\u{1}\n"), J::Int(-3), J::Null]);
        assert_eq!(v.compact(), r#"["a\"b\\c\u0001\n",-3,null]"#);
    }
}
