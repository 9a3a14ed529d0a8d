//! The canonical serializer (graph-format 3.1): events straight into a byte buffer.
//!
//! Every function appends to `out` and never clears it, so one buffer can be reused for a
//! whole run. Keys come in the order of 3.2 and 3.4, with no whitespace.

use std::fmt;

use super::event::Event;
use super::names::NameSet;
use super::outcome::{Outcome, Res};
use crate::value::Value;

/// Appends one event as a canonical trace line, including its final `\n`.
pub fn write_event(event: &Event, out: &mut Vec<u8>) {
    write_event_object(event, out);
    out.push(b'\n');
}

/// Appends the JSON object of one event (a trace line without its `\n`).
fn write_event_object(event: &Event, out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"t\":");
    write_u64(event.t(), out);
    if let Some(task) = event.task() {
        out.extend_from_slice(b",\"task\":");
        write_str(task, out);
    }
    out.extend_from_slice(b",\"ev\":\"");
    out.extend_from_slice(event.kind().as_bytes());
    out.push(b'"');
    match event {
        Event::Start { .. } => {}
        Event::Op { at, op, out: o, .. } => {
            out.extend_from_slice(b",\"at\":");
            write_str(at, out);
            out.extend_from_slice(b",\"op\":\"");
            out.extend_from_slice(op.as_str().as_bytes());
            out.extend_from_slice(b"\",\"out\":");
            write_outcome(o, out);
        }
        Event::Item { at, i, out: o, .. } => {
            out.extend_from_slice(b",\"at\":");
            write_str(at, out);
            out.extend_from_slice(b",\"i\":");
            write_u64(*i, out);
            out.extend_from_slice(b",\"out\":");
            write_outcome(o, out);
        }
        Event::End { out: o, .. } => {
            out.extend_from_slice(b",\"out\":");
            write_outcome(o, out);
        }
        Event::Callback {
            of, label, state, ..
        } => {
            out.extend_from_slice(b",\"of\":");
            write_str(of, out);
            out.extend_from_slice(b",\"label\":");
            write_str(label, out);
            out.extend_from_slice(b",\"state\":\"");
            out.extend_from_slice(state.as_str().as_bytes());
            out.push(b'"');
        }
        Event::Finish {
            run,
            deadlock,
            tasks_pending,
            futures_pending,
            ..
        } => {
            out.extend_from_slice(b",\"run\":");
            match run {
                Some(o) => write_outcome(o, out),
                None => out.extend_from_slice(b"null"),
            }
            out.extend_from_slice(if *deadlock {
                b",\"deadlock\":true"
            } else {
                b",\"deadlock\":false"
            });
            out.extend_from_slice(b",\"tasks_pending\":");
            write_names(tasks_pending, out);
            out.extend_from_slice(b",\"futures_pending\":");
            write_names(futures_pending, out);
        }
    }
    out.push(b'}');
}

/// Appends an outcome object (graph-format 3.4), such as `{"err":"Boom","msg":"b"}`.
pub fn write_outcome(outcome: &Outcome, out: &mut Vec<u8>) {
    match outcome {
        Outcome::Ok(res) => {
            out.extend_from_slice(b"{\"ok\":");
            write_res(res, out);
        }
        Outcome::Return(value) => {
            out.extend_from_slice(b"{\"return\":");
            write_value(value, out);
        }
        Outcome::Cancelled(msg) => {
            out.extend_from_slice(b"{\"cancelled\":");
            match msg {
                Some(m) => write_str(m, out),
                None => out.extend_from_slice(b"null"),
            }
        }
        Outcome::Err { ty, msg, excs } => {
            out.extend_from_slice(b"{\"err\":");
            write_str(ty, out);
            out.extend_from_slice(b",\"msg\":");
            write_str(msg, out);
            if let Some(excs) = excs {
                out.extend_from_slice(b",\"excs\":");
                write_array(excs.iter(), out, write_outcome);
            }
        }
    }
    out.push(b'}');
}

/// Appends an op result: a value, a list (exceptions written as outcomes), or a `wait` result.
pub fn write_res(res: &Res, out: &mut Vec<u8>) {
    match res {
        Res::Value(value) => write_value(value, out),
        Res::List(items) => write_array(items.iter(), out, write_res),
        Res::Exc(outcome) => write_outcome(outcome, out),
        Res::Wait { done, pending } => {
            out.extend_from_slice(b"{\"done\":");
            write_names(done, out);
            out.extend_from_slice(b",\"pending\":");
            write_names(pending, out);
            out.push(b'}');
        }
    }
}

/// Appends a scenario value as compact JSON.
pub fn write_value(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Int(n) => write_i64(*n, out),
        Value::Str(s) => write_str(s, out),
        Value::List(items) => write_array(items.iter(), out, write_value),
    }
}

/// Appends a JSON array of names, in the set's (sorted) order.
fn write_names(names: &NameSet, out: &mut Vec<u8>) {
    write_array(names.iter(), out, |name, out| write_str(name, out));
}

/// Appends a JSON array, each item written by `write_item`.
fn write_array<T>(
    items: impl IntoIterator<Item = T>,
    out: &mut Vec<u8>,
    mut write_item: impl FnMut(T, &mut Vec<u8>),
) {
    out.push(b'[');
    for (n, item) in items.into_iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        write_item(item, out);
    }
    out.push(b']');
}

/// What follows the backslash when a byte must be escaped: `0` for a byte written as
/// itself, `b'u'` for the `\u00xx` form, or the letter of a short escape.
static ESCAPE: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = b'u';
        b += 1;
    }
    table[0x08] = b'b';
    table[0x09] = b't';
    table[0x0a] = b'n';
    table[0x0c] = b'f';
    table[0x0d] = b'r';
    table[b'"' as usize] = b'"';
    table[b'\\' as usize] = b'\\';
    table
};

/// The digits of the `\u00xx` escapes.
const HEX: &[u8; 16] = b"0123456789abcdef";

/// Appends a JSON string literal with exactly the escapes of graph-format 3.1.
///
/// Bytes of multi-byte UTF-8 sequences are all >= 0x80 and never escaped, so runs of
/// plain bytes are copied whole.
pub fn write_str(s: &str, out: &mut Vec<u8>) {
    let bytes = s.as_bytes();
    out.push(b'"');
    let mut run_start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape = ESCAPE[usize::from(b)];
        if escape == 0 {
            continue;
        }
        out.extend_from_slice(&bytes[run_start..i]);
        if escape == b'u' {
            out.extend_from_slice(b"\\u00");
            out.push(HEX[usize::from(b >> 4)]);
            out.push(HEX[usize::from(b & 0x0f)]);
        } else {
            out.push(b'\\');
            out.push(escape);
        }
        run_start = i + 1;
    }
    out.extend_from_slice(&bytes[run_start..]);
    out.push(b'"');
}

/// Appends one character of a string's body to `out`, escaped as [`write_str`] escapes it.
pub(crate) fn push_escaped_char(c: char, out: &mut String) {
    let Ok(b) = u8::try_from(c) else {
        out.push(c);
        return;
    };
    match ESCAPE[usize::from(b)] {
        0 => out.push(c),
        b'u' => {
            out.push_str("\\u00");
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
        escape => {
            out.push('\\');
            out.push(char::from(escape));
        }
    }
}

/// Appends an unsigned integer in decimal.
fn write_u64(mut n: u64, out: &mut Vec<u8>) {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[start..]);
}

/// Appends a signed integer in decimal (the whole `i64` range, `i64::MIN` included).
fn write_i64(n: i64, out: &mut Vec<u8>) {
    if n < 0 {
        out.push(b'-');
    }
    write_u64(n.unsigned_abs(), out);
}

/// Formats through a byte writer; the bytes are valid UTF-8 because every input is `str`.
fn display_with(f: &mut fmt::Formatter<'_>, write: impl FnOnce(&mut Vec<u8>)) -> fmt::Result {
    let mut buf = Vec::new();
    write(&mut buf);
    f.write_str(&String::from_utf8_lossy(&buf))
}

impl fmt::Display for Event {
    /// The canonical line, without its `\n`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        display_with(f, |buf| write_event_object(self, buf))
    }
}

impl fmt::Display for Outcome {
    /// The canonical JSON of the outcome.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        display_with(f, |buf| write_outcome(self, buf))
    }
}

impl fmt::Display for Res {
    /// The canonical JSON of the result.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        display_with(f, |buf| write_res(self, buf))
    }
}
