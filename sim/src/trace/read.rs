//! Reading canonical trace text back into the model, for tests, replay and oracles.
//!
//! The reader takes any valid JSON spelling of a line (keys in any order, whitespace,
//! escapes such as `\/` or `\u0041`), but only the shapes of graph-format 3.2 and 3.4: every
//! required key present, no unknown or repeated key, integers only. Canonical text reads
//! back into a model that writes the very same bytes.

use std::borrow::Cow;
use std::sync::Arc;

use super::Trace;
use super::event::{CallbackState, Event};
use super::names::NameSet;
use super::op_kind::OpKind;
use super::outcome::{Outcome, Res};
use crate::value::Value;

/// How many arrays and objects may enclose each other in one line (the event object is
/// level 1).
///
/// The reader itself keeps open lists and groups on the heap, but the model it builds is
/// recursive (writing, comparing and dropping it recurse), so the limit keeps those cheap on
/// any thread's stack. It is above the 1000 levels of graph-format 2.1: an outcome that a
/// scenario's expectation can state fits in a trace line.
pub const MAX_DEPTH: usize = 1024;

/// Reads a whole trace: one event per `\n`-terminated line (the last `\n` may be missing).
///
/// Errors name the line (from 1) and the byte column (from 1) of the problem.
pub fn parse_trace_jsonl(text: &str) -> Result<Trace, String> {
    let mut events = Vec::new();
    if !text.is_empty() {
        let body = text.strip_suffix('\n').unwrap_or(text);
        for (n, line) in body.split('\n').enumerate() {
            events.push(parse_event_line(line).map_err(|e| format!("line {}: {e}", n + 1))?);
        }
    }
    Ok(Trace { events })
}

/// Reads one event from the text of one line (without its `\n`).
pub fn parse_event_line(line: &str) -> Result<Event, String> {
    let mut p = Parser {
        text: line,
        pos: 0,
        depth: 0,
    };
    let event = p.event()?;
    p.skip_ws();
    if p.pos < line.len() {
        return p.fail("unexpected text after the event object");
    }
    Ok(event)
}

/// One bit per event key, in the order of `EVENT_KEYS`, to check which keys a line has.
const KEY_T: u16 = 1;
const KEY_TASK: u16 = 1 << 1;
const KEY_EV: u16 = 1 << 2;
const KEY_AT: u16 = 1 << 3;
const KEY_OP: u16 = 1 << 4;
const KEY_I: u16 = 1 << 5;
const KEY_OUT: u16 = 1 << 6;
const KEY_OF: u16 = 1 << 7;
const KEY_LABEL: u16 = 1 << 8;
const KEY_STATE: u16 = 1 << 9;
const KEY_RUN: u16 = 1 << 10;
const KEY_DEADLOCK: u16 = 1 << 11;
const KEY_TASKS_PENDING: u16 = 1 << 12;
const KEY_FUTURES_PENDING: u16 = 1 << 13;

/// Names of the event keys, indexed by bit position.
const EVENT_KEYS: [&str; 14] = [
    "t",
    "task",
    "ev",
    "at",
    "op",
    "i",
    "out",
    "of",
    "label",
    "state",
    "run",
    "deadlock",
    "tasks_pending",
    "futures_pending",
];

/// A recursive-descent reader over the text of one line.
struct Parser<'a> {
    text: &'a str,
    pos: usize,
    depth: usize,
}

impl<'a> Parser<'a> {
    fn fail<T>(&self, msg: &str) -> Result<T, String> {
        Err(format!("column {}: {msg}", self.pos + 1))
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    /// Skips whitespace, then consumes `byte` if it comes next.
    fn eat(&mut self, byte: u8) -> bool {
        self.skip_ws();
        if self.peek() == Some(byte) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, byte: u8) -> Result<(), String> {
        if self.eat(byte) {
            Ok(())
        } else {
            self.fail(&format!("expected '{}'", char::from(byte)))
        }
    }

    /// Skips whitespace, then consumes `word` (`null`, `true`, `false`) if it comes next.
    fn eat_word(&mut self, word: &str) -> bool {
        self.skip_ws();
        if self.text[self.pos..].starts_with(word) {
            self.pos += word.len();
            true
        } else {
            false
        }
    }

    fn open(&mut self, byte: u8) -> Result<(), String> {
        self.expect(byte)?;
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return self.fail("nested too deeply");
        }
        Ok(())
    }

    /// Reads an object, handing each key to `field`, which must read the key's value.
    fn object(
        &mut self,
        mut field: impl FnMut(&mut Self, &str) -> Result<(), String>,
    ) -> Result<(), String> {
        self.open(b'{')?;
        if !self.eat(b'}') {
            loop {
                let key = self.string()?;
                self.expect(b':')?;
                field(self, &key)?;
                if !self.eat(b',') {
                    self.expect(b'}')?;
                    break;
                }
            }
        }
        self.depth -= 1;
        Ok(())
    }

    /// Reads an array, calling `item` to read each element.
    fn array(
        &mut self,
        mut item: impl FnMut(&mut Self) -> Result<(), String>,
    ) -> Result<(), String> {
        self.open(b'[')?;
        if !self.eat(b']') {
            loop {
                item(self)?;
                if !self.eat(b',') {
                    self.expect(b']')?;
                    break;
                }
            }
        }
        self.depth -= 1;
        Ok(())
    }

    /// Reads the value of `key` into `slot`, refusing a key seen before.
    fn slot<T>(
        &mut self,
        slot: &mut Option<T>,
        key: &str,
        read: impl FnOnce(&mut Self) -> Result<T, String>,
    ) -> Result<(), String> {
        if slot.is_some() {
            return self.fail(&format!("duplicate key \"{key}\""));
        }
        *slot = Some(read(self)?);
        Ok(())
    }

    /// Reads a string literal, borrowing it from the line when it holds no escape.
    fn string(&mut self) -> Result<Cow<'a, str>, String> {
        self.expect(b'"')?;
        let text = self.text;
        let bytes = text.as_bytes();
        let start = self.pos;
        // Every stop below is at an ASCII byte, hence on a character boundary.
        let mut owned = loop {
            match bytes.get(self.pos) {
                None => return self.fail("unterminated string"),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(Cow::Borrowed(&text[start..self.pos - 1]));
                }
                Some(b'\\') => break String::from(&text[start..self.pos]),
                Some(&b) if b < 0x20 => return self.fail("raw control character in string"),
                Some(_) => self.pos += 1,
            }
        };
        loop {
            match bytes.get(self.pos) {
                None => return self.fail("unterminated string"),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(Cow::Owned(owned));
                }
                Some(b'\\') => {
                    self.pos += 1;
                    owned.push(self.escape()?);
                }
                Some(&b) if b < 0x20 => return self.fail("raw control character in string"),
                Some(_) => {
                    let run = self.pos;
                    while let Some(&b) = bytes.get(self.pos) {
                        if b == b'"' || b == b'\\' || b < 0x20 {
                            break;
                        }
                        self.pos += 1;
                    }
                    owned.push_str(&text[run..self.pos]);
                }
            }
        }
    }

    /// Decodes the escape after a backslash.
    fn escape(&mut self) -> Result<char, String> {
        let Some(b) = self.peek() else {
            return self.fail("unterminated string");
        };
        self.pos += 1;
        Ok(match b {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let unit = self.hex4()?;
                let code = match unit {
                    0xd800..=0xdbff => {
                        if !self.text[self.pos..].starts_with("\\u") {
                            return self.fail("unpaired surrogate escape");
                        }
                        self.pos += 2;
                        let low = self.hex4()?;
                        if !(0xdc00..=0xdfff).contains(&low) {
                            return self.fail("unpaired surrogate escape");
                        }
                        0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00)
                    }
                    0xdc00..=0xdfff => return self.fail("unpaired surrogate escape"),
                    _ => unit,
                };
                match char::from_u32(code) {
                    Some(c) => c,
                    None => return self.fail("invalid \\u escape"),
                }
            }
            _ => return self.fail("invalid escape"),
        })
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let mut unit = 0;
        for _ in 0..4 {
            let Some(digit) = self.peek().and_then(|b| char::from(b).to_digit(16)) else {
                return self.fail("expected four hex digits after \\u");
            };
            unit = unit * 16 + digit;
            self.pos += 1;
        }
        Ok(unit)
    }

    /// The content of a required key of an event of kind `ev`.
    /// Reads a string that must be one of the words `lookup` knows, as what it stands for;
    /// any other string fails as an unknown `what`.
    fn word<T>(&mut self, what: &str, lookup: impl FnOnce(&str) -> Option<T>) -> Result<T, String> {
        let word = self.string()?;
        match lookup(&word) {
            Some(value) => Ok(value),
            None => self.fail(&format!("unknown {what} \"{word}\"")),
        }
    }

    fn need<T>(&self, slot: Option<T>, key: &str, ev: &str) -> Result<T, String> {
        match slot {
            Some(v) => Ok(v),
            None => self.fail(&format!("missing key \"{key}\" in a {ev} event")),
        }
    }

    fn name(&mut self) -> Result<Arc<str>, String> {
        Ok(Arc::from(self.string()?))
    }

    fn names(&mut self) -> Result<NameSet, String> {
        let mut names = Vec::new();
        self.array(|p| {
            names.push(p.name()?);
            Ok(())
        })?;
        Ok(NameSet::from(names))
    }

    /// Reads an integer as its sign and magnitude; fractions, exponents and `-0` are refused.
    fn integer(&mut self) -> Result<(bool, u64), String> {
        self.skip_ws();
        let negative = self.peek() == Some(b'-');
        if negative {
            self.pos += 1;
        }
        let first = self.pos;
        let mut magnitude: u64 = 0;
        while let Some(b @ b'0'..=b'9') = self.peek() {
            magnitude = match magnitude
                .checked_mul(10)
                .and_then(|m| m.checked_add(u64::from(b - b'0')))
            {
                Some(m) => m,
                None => return self.fail("integer out of range"),
            };
            self.pos += 1;
        }
        let digits = self.pos - first;
        if digits == 0 {
            return self.fail("expected an integer");
        }
        if digits > 1 && self.text.as_bytes()[first] == b'0' {
            return self.fail("leading zero in integer");
        }
        if let Some(b'.' | b'e' | b'E') = self.peek() {
            return self.fail("numbers must be integers");
        }
        if negative && magnitude == 0 {
            return self.fail("-0 is not an integer of the trace");
        }
        Ok((negative, magnitude))
    }

    fn int(&mut self) -> Result<i64, String> {
        let parsed = match self.integer()? {
            (true, m) => 0i64.checked_sub_unsigned(m),
            (false, m) => i64::try_from(m).ok(),
        };
        match parsed {
            Some(n) => Ok(n),
            None => self.fail("integer out of the signed 64-bit range"),
        }
    }

    fn uint(&mut self) -> Result<u64, String> {
        match self.integer()? {
            (false, m) => Ok(m),
            (true, _) => self.fail("expected a non-negative integer"),
        }
    }

    fn boolean(&mut self) -> Result<bool, String> {
        if self.eat_word("true") {
            Ok(true)
        } else if self.eat_word("false") {
            Ok(false)
        } else {
            self.fail("expected true or false")
        }
    }

    /// Reads a value that is not a list.
    fn scalar(&mut self) -> Result<Value, String> {
        self.skip_ws();
        match self.peek() {
            Some(b'"') => Ok(Value::Str(self.name()?)),
            Some(b'-' | b'0'..=b'9') => Ok(Value::Int(self.int()?)),
            _ if self.eat_word("null") => Ok(Value::Null),
            _ if self.eat_word("true") => Ok(Value::Bool(true)),
            _ if self.eat_word("false") => Ok(Value::Bool(false)),
            _ => self.fail("expected a value"),
        }
    }

    /// Reads a leaf with `leaf`, or nested lists of leaves built with `wrap`.
    ///
    /// The lists still open are kept on a heap stack rather than the call stack, so nesting
    /// is bounded only by [`MAX_DEPTH`].
    fn nested<T>(
        &mut self,
        mut leaf: impl FnMut(&mut Self) -> Result<T, String>,
        wrap: impl Fn(Vec<T>) -> T,
    ) -> Result<T, String> {
        let mut open: Vec<Vec<T>> = Vec::new();
        loop {
            self.skip_ws();
            let mut done = if self.peek() == Some(b'[') {
                self.open(b'[')?;
                if !self.eat(b']') {
                    open.push(Vec::new());
                    continue;
                }
                self.depth -= 1;
                wrap(Vec::new())
            } else {
                leaf(self)?
            };
            // Hand the finished element to its list, closing every list that ends here.
            loop {
                let Some(mut items) = open.pop() else {
                    return Ok(done);
                };
                items.push(done);
                if self.eat(b',') {
                    open.push(items);
                    break;
                }
                self.expect(b']')?;
                self.depth -= 1;
                done = wrap(items);
            }
        }
    }

    /// Reads a scenario value (the payload of `{"return":V}`).
    fn value(&mut self) -> Result<Value, String> {
        self.nested(Self::scalar, |items| Value::List(items.into()))
    }

    /// Reads an op result (the payload of `{"ok":...}`): a `wait` result object, or a value
    /// or list whose objects are exception entries.
    fn res(&mut self) -> Result<Res, String> {
        self.skip_ws();
        if self.peek() != Some(b'{') {
            return self.nested(
                |p| {
                    p.skip_ws();
                    if p.peek() == Some(b'{') {
                        p.outcome(false).map(Res::exc)
                    } else {
                        p.scalar().map(Res::Value)
                    }
                },
                Res::list,
            );
        }
        let (mut done, mut pending) = (None, None);
        self.object(|p, key| match key {
            "done" => p.slot(&mut done, key, Self::names),
            "pending" => p.slot(&mut pending, key, Self::names),
            _ => p.fail(&format!("unknown key \"{key}\" in a wait result")),
        })?;
        match (done, pending) {
            (Some(done), Some(pending)) => Ok(Res::Wait { done, pending }),
            _ => self.fail("a wait result needs both \"done\" and \"pending\""),
        }
    }

    /// Reads an OUTCOME object (graph-format 3.4); `ok` and `return` forms only when
    /// `completions` is set. Group members must be exceptions.
    ///
    /// Members of exception groups are read with a heap stack of the objects still open
    /// (the last one is the innermost), so groups may nest up to [`MAX_DEPTH`].
    fn outcome(&mut self, completions: bool) -> Result<Outcome, String> {
        let (mut ok, mut ret) = (None, None);
        // The innermost object being read, and the groups that enclose it, outermost first.
        let mut fields = OutcomeFields::default();
        let mut groups: Vec<OutcomeFields> = Vec::new();
        self.open(b'{')?;
        // Whether the next token may close the innermost object without any key.
        let mut may_close = true;
        loop {
            if !(may_close && self.eat(b'}')) {
                let key = self.string()?;
                self.expect(b':')?;
                let root = groups.is_empty();
                match &*key {
                    "excs" => {
                        if fields.excs.is_some() {
                            return self.fail("duplicate key \"excs\"");
                        }
                        fields.excs = Some(Vec::new());
                        self.open(b'[')?;
                        if !self.eat(b']') {
                            self.open(b'{')?;
                            groups.push(std::mem::take(&mut fields));
                            may_close = true;
                            continue;
                        }
                        self.depth -= 1;
                    }
                    "ok" if root && completions => self.slot(&mut ok, &key, Self::res)?,
                    "return" if root && completions => self.slot(&mut ret, &key, Self::value)?,
                    "cancelled" => self.slot(&mut fields.cancelled, &key, |p| {
                        if p.eat_word("null") {
                            Ok(None)
                        } else {
                            p.name().map(Some)
                        }
                    })?,
                    "err" => self.slot(&mut fields.err, &key, Self::name)?,
                    "msg" => self.slot(&mut fields.msg, &key, Self::name)?,
                    "ok" | "return" => return self.fail("expected an exception outcome"),
                    _ => return self.fail(&format!("unknown key \"{key}\" in an outcome")),
                }
                if self.eat(b',') {
                    may_close = false;
                    continue;
                }
                self.expect(b'}')?;
            }
            // The innermost object is complete: hand it to the group that holds it, and
            // close every object and member list that ends here.
            loop {
                self.depth -= 1;
                let done = std::mem::take(&mut fields);
                let Some(mut group) = groups.pop() else {
                    return match done.into_outcome(ok.take(), ret.take()) {
                        Some(outcome) => Ok(outcome),
                        None => self.fail("an outcome needs exactly the keys of one form of 3.4"),
                    };
                };
                let Some(member) = done.into_outcome(None, None) else {
                    return self.fail("a group member needs the keys of an exception outcome");
                };
                group.excs.get_or_insert_default().push(member);
                if self.eat(b',') {
                    self.open(b'{')?;
                    groups.push(group);
                    may_close = true;
                    break;
                }
                self.expect(b']')?;
                self.depth -= 1;
                fields = group;
                if self.eat(b',') {
                    may_close = false;
                    break;
                }
                self.expect(b'}')?;
            }
        }
    }

    /// Reads one event object.
    fn event(&mut self) -> Result<Event, String> {
        let mut seen = 0u16;
        let (mut t, mut task, mut ev, mut at, mut op, mut i, mut out) =
            (None, None, None, None, None, None, None);
        let (mut of, mut label, mut state, mut run, mut deadlock) = (None, None, None, None, None);
        let (mut tasks_pending, mut futures_pending) = (None, None);
        self.object(|p, key| {
            let Some(bit) = EVENT_KEYS.iter().position(|k| *k == key) else {
                return p.fail(&format!("unknown key \"{key}\" in an event"));
            };
            seen |= 1 << bit;
            match key {
                "t" => p.slot(&mut t, key, Self::uint),
                "task" => p.slot(&mut task, key, Self::name),
                "ev" => p.slot(&mut ev, key, Self::string),
                "at" => p.slot(&mut at, key, Self::name),
                "op" => p.slot(&mut op, key, |p| p.word("op kind", OpKind::from_keyword)),
                "i" => p.slot(&mut i, key, Self::uint),
                "out" => p.slot(&mut out, key, |p| p.outcome(true)),
                "of" => p.slot(&mut of, key, Self::name),
                "label" => p.slot(&mut label, key, Self::name),
                "state" => p.slot(&mut state, key, |p| {
                    p.word("callback state", CallbackState::from_name)
                }),
                "run" => p.slot(&mut run, key, |p| {
                    if p.eat_word("null") {
                        Ok(None)
                    } else {
                        p.outcome(true).map(Some)
                    }
                }),
                "deadlock" => p.slot(&mut deadlock, key, Self::boolean),
                "tasks_pending" => p.slot(&mut tasks_pending, key, Self::names),
                // The only key of EVENT_KEYS left.
                _ => p.slot(&mut futures_pending, key, Self::names),
            }
        })?;
        let Some(ev) = ev else {
            return self.fail("missing key \"ev\"");
        };
        let keys = match &*ev {
            "start" => KEY_T | KEY_TASK | KEY_EV,
            "op" => KEY_T | KEY_TASK | KEY_EV | KEY_AT | KEY_OP | KEY_OUT,
            "item" => KEY_T | KEY_TASK | KEY_EV | KEY_AT | KEY_I | KEY_OUT,
            "end" => KEY_T | KEY_TASK | KEY_EV | KEY_OUT,
            "callback" => KEY_T | KEY_EV | KEY_OF | KEY_LABEL | KEY_STATE,
            "finish" => {
                KEY_T | KEY_EV | KEY_RUN | KEY_DEADLOCK | KEY_TASKS_PENDING | KEY_FUTURES_PENDING
            }
            _ => return self.fail(&format!("unknown event kind \"{ev}\"")),
        };
        let unexpected = seen & !keys;
        if unexpected != 0 {
            let key = EVENT_KEYS[unexpected.trailing_zeros() as usize];
            return self.fail(&format!("unexpected key \"{key}\" in a {ev} event"));
        }
        let t = self.need(t, "t", &ev)?;
        Ok(match &*ev {
            "start" => Event::Start {
                t,
                task: self.need(task, "task", &ev)?,
            },
            "op" => Event::Op {
                t,
                task: self.need(task, "task", &ev)?,
                at: self.need(at, "at", &ev)?,
                op: self.need(op, "op", &ev)?,
                out: self.need(out, "out", &ev)?,
            },
            "item" => Event::Item {
                t,
                task: self.need(task, "task", &ev)?,
                at: self.need(at, "at", &ev)?,
                i: self.need(i, "i", &ev)?,
                out: self.need(out, "out", &ev)?,
            },
            "end" => Event::End {
                t,
                task: self.need(task, "task", &ev)?,
                out: self.need(out, "out", &ev)?,
            },
            "callback" => Event::Callback {
                t,
                of: self.need(of, "of", &ev)?,
                label: self.need(label, "label", &ev)?,
                state: self.need(state, "state", &ev)?,
            },
            // "finish", the only kind left after the check above.
            _ => Event::Finish {
                t,
                run: self.need(run, "run", &ev)?,
                deadlock: self.need(deadlock, "deadlock", &ev)?,
                tasks_pending: self.need(tasks_pending, "tasks_pending", &ev)?,
                futures_pending: self.need(futures_pending, "futures_pending", &ev)?,
            },
        })
    }
}

/// The keys of one outcome object read so far (`ok` and `return` are kept apart: only the
/// outermost object may have them).
#[derive(Default)]
struct OutcomeFields {
    cancelled: Option<Option<Arc<str>>>,
    err: Option<Arc<str>>,
    msg: Option<Arc<str>>,
    excs: Option<Vec<Outcome>>,
}

impl OutcomeFields {
    /// The outcome these keys (and `ok` / `return`) spell, if they form exactly one.
    fn into_outcome(self, ok: Option<Res>, ret: Option<Value>) -> Option<Outcome> {
        match (ok, ret, self.cancelled, self.err, self.msg, self.excs) {
            (Some(res), None, None, None, None, None) => Some(Outcome::Ok(res)),
            (None, Some(value), None, None, None, None) => Some(Outcome::Return(value)),
            (None, None, Some(msg), None, None, None) => Some(Outcome::Cancelled(msg)),
            (None, None, None, Some(ty), Some(msg), excs) => Some(Outcome::Err { ty, msg, excs }),
            _ => None,
        }
    }
}
