//! The strict JSON reader of graph-format 2.1.
//!
//! `serde_json` does the lexing and syntax (UTF-8, escapes, unpaired surrogate escapes, raw
//! control characters, trailing text); a visitor of our own builds the [`Json`] tree and adds
//! what the format asks beyond RFC 8259: distinct keys, integer-only numbers in the signed
//! 64-bit range, at most 1024 code points per string, at most 1000 levels of nesting.
//!
//! Nesting is bounded by the visitor itself: it counts the levels it has entered and refuses
//! the 1001st before `serde_json` reads any of its content, so the recursion never goes deeper
//! than 1001 levels whatever the input (the `serde_json` limit of 128 is switched off).
//!
//! Problems found by the visitor are located by JSON path: the visitor records the problem,
//! and each enclosing level adds its own path segment while the error travels back up.
//! Problems found by `serde_json` itself are syntax errors, located by line and column.

use std::collections::HashSet;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};

use super::error::{GraphError, long_text_start, quoted};
use super::json::Json;
use super::path::{Segment, render_segments};

/// Objects and arrays may nest this many levels deep (the top-level value is level 1).
const MAX_NESTING: usize = 1000;
/// Longest string, in code points.
const MAX_STRING_CHARS: usize = 1024;

/// With the `arbitrary_precision` feature, `serde_json` passes a number that fits neither
/// `u64` nor `i64` (and `-0`) to the visitor as a one-member map whose key is this token and
/// whose value is the number's text. Only such numbers take that road: the others arrive
/// through `visit_u64`/`visit_i64`.
const NUMBER_TOKEN: &str = "$serde_json::private::Number";

/// Objects with more members than this detect duplicate keys with a hash set instead of a
/// linear scan.
const LINEAR_KEY_SCAN: usize = 8;

const BYTE_ORDER_MARK: &[u8] = b"\xEF\xBB\xBF";

/// Reads one JSON value from `bytes` under the rules of graph-format 2.1.
pub(crate) fn read_json(bytes: &[u8]) -> Result<Json, GraphError> {
    if bytes.starts_with(BYTE_ORDER_MARK) {
        return Err(GraphError::at_text(
            1,
            1,
            "the document starts with a byte order mark, which is not allowed",
        ));
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    de.disable_recursion_limit();
    let mut reader = Reader::default();
    let read = Node {
        reader: &mut reader,
    }
    .deserialize(&mut de)
    .and_then(|()| de.end());
    match read {
        Ok(()) => {
            debug_assert_eq!(reader.values.len(), 1, "one document value is left");
            Ok(reader.values.pop().unwrap_or(Json::Null))
        }
        Err(error) => Err(match reader.problem.take() {
            Some(problem) => problem.into_error(&error),
            None => syntax_error(&error),
        }),
    }
}

/// How `serde_json` words its errors for unpaired surrogate escapes (both come from its
/// decoding of `\uXXXX` pairs: a trailing surrogate alone, or a leading one not followed by
/// a trailing one). Other wordings pass through as they are.
const SURROGATE_ERRORS: [&str; 2] = [
    "lone leading surrogate in hex escape",
    "unexpected end of hex escape",
];

/// Turns an error of `serde_json`'s own into a located syntax error.
fn syntax_error(error: &serde_json::Error) -> GraphError {
    let text = error.to_string();
    let suffix = format!(" at line {} column {}", error.line(), error.column());
    let message = text.strip_suffix(&suffix).unwrap_or(&text);
    let message = if SURROGATE_ERRORS.contains(&message) {
        "a string contains an unpaired UTF-16 surrogate escape"
    } else {
        message
    };
    GraphError::at_text(
        error.line(),
        error.column(),
        format!("invalid JSON: {message}"),
    )
}

/// State shared by every level of the visitor.
#[derive(Default)]
struct Reader {
    /// Levels of objects and arrays currently open.
    depth: usize,
    /// Values read and not yet placed in their array or object; the finished document is
    /// the only one left at the end.
    values: Vec<Json>,
    /// The problem the visitor found, once it found one.
    problem: Option<Problem>,
}

/// A problem found by the visitor, with the path from where it was found up to `$`.
struct Problem {
    message: String,
    /// Path segments, innermost first.
    reversed_path: Vec<OwnedSegment>,
}

/// A path segment owned by the reader (the tree a [`Segment`] would borrow from is not built
/// yet when a problem is found).
enum OwnedSegment {
    Key(String),
    Index(usize),
}

impl Problem {
    fn into_error(self, error: &serde_json::Error) -> GraphError {
        let segments: Vec<Segment<'_>> = (self.reversed_path.iter().rev())
            .map(|s| match s {
                OwnedSegment::Key(key) => Segment::Key(key),
                OwnedSegment::Index(index) => Segment::Index(*index),
            })
            .collect();
        let path = render_segments(&segments);
        let position = (error.line() > 0).then(|| (error.line(), error.column()));
        GraphError::at_path(path, position, self.message)
    }
}

impl Reader {
    /// Records a problem at the current level and returns the error that aborts reading.
    fn fail<E: de::Error>(&mut self, message: String) -> E {
        let error = E::custom(&message);
        self.problem = Some(Problem {
            message,
            reversed_path: Vec::new(),
        });
        error
    }

    /// Passes an error up one level, adding that level's segment to the recorded problem's
    /// path (syntax errors carry no path and pass unchanged).
    fn pass_up<E>(&mut self, segment: OwnedSegment, error: E) -> E {
        if let Some(problem) = &mut self.problem {
            problem.reversed_path.push(segment);
        }
        error
    }

    /// Opens one level of nesting, refusing to go deeper than the format allows.
    fn enter<E: de::Error>(&mut self) -> Result<(), E> {
        if self.depth == MAX_NESTING {
            return Err(self.fail(format!(
                "objects and arrays nest more than {MAX_NESTING} levels deep"
            )));
        }
        self.depth += 1;
        Ok(())
    }

    /// Refuses a string (or key: `what`) of more than 1024 code points.
    fn check_string<E: de::Error>(&mut self, s: &str, what: &str) -> Result<(), E> {
        // A string of at most 1024 bytes cannot have more than 1024 code points.
        if s.len() > MAX_STRING_CHARS && s.chars().count() > MAX_STRING_CHARS {
            return Err(self.fail(format!(
                "{what} is longer than {MAX_STRING_CHARS} characters ({} code points)",
                s.chars().count()
            )));
        }
        Ok(())
    }

    /// Reads the next key of an object, checks it and adds it to `keys`; false at the end of
    /// the object. The object's nesting level opens with its first key. A number that
    /// reached us as a map is refused here.
    fn key<'de, A: MapAccess<'de>>(
        &mut self,
        map: &mut A,
        keys: &mut KeySet,
    ) -> Result<bool, A::Error> {
        let key = match map.next_key_seed(KeySeed)? {
            None => return Ok(false),
            Some(Key::NumberText) => {
                let text: String = map.next_value()?;
                return Err(self.fail(number_problem(&text)));
            }
            Some(Key::Member(key)) => key,
        };
        if keys.keys.is_empty() {
            self.enter()?;
        }
        self.check_string(&key, "object key")?;
        keys.insert(key)
            .map_err(|key| self.fail(format!("duplicate key {}", quoted(&key))))?;
        Ok(true)
    }

    /// Replaces the elements of the array that started at `start` by the array itself.
    fn close_array(&mut self, start: usize) {
        let items = self.values.split_off(start);
        self.values.push(Json::Array(items));
        self.depth -= 1;
    }

    /// Replaces the member values of the object that started at `start` by the object
    /// itself (an empty object opens its nesting level only now).
    fn close_object<E: de::Error>(&mut self, start: usize, keys: KeySet) -> Result<(), E> {
        if keys.keys.is_empty() {
            self.enter()?;
        }
        let members = keys
            .keys
            .into_iter()
            .zip(self.values.drain(start..))
            .collect();
        self.values.push(Json::Object(members));
        self.depth -= 1;
        Ok(())
    }
}

/// Explains why a number that reached us as text is not acceptable.
fn number_problem(text: &str) -> String {
    if text.contains(['.', 'e', 'E']) {
        "numbers must be integers, written without fraction or exponent".to_owned()
    } else if text == "-0" {
        "-0 is not allowed".to_owned()
    } else {
        let digits = text.chars().filter(char::is_ascii_digit).count();
        match long_text_start(text) {
            Some(start) => {
                format!("integer {start}…({digits} digits) is outside the signed 64-bit range")
            }
            None => format!("integer {text} is outside the signed 64-bit range"),
        }
    }
}

/// Reads one value, pushing it on [`Reader::values`].
///
/// The visitor produces `()` rather than the value itself, and its visit methods keep few
/// locals: `serde_json`'s own frames on the recursion path hold several copies of the
/// visitor's result type, so a small result type keeps the stack cost of each nesting level
/// low (this is what lets 1000 levels fit a 2 MiB thread stack in an unoptimized build).
struct Node<'r> {
    reader: &'r mut Reader,
}

impl<'de> DeserializeSeed<'de> for Node<'_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Node<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.reader.values.push(Json::Null);
        Ok(())
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
        self.reader.values.push(Json::Bool(v));
        Ok(())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        self.reader.values.push(Json::Int(v));
        Ok(())
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        match i64::try_from(v) {
            Ok(v) => self.visit_i64(v),
            Err(_) => Err(self.reader.fail(number_problem(&v.to_string()))),
        }
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        self.reader.check_string(v, "string")?;
        self.reader.values.push(Json::Str(v.to_owned()));
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        self.reader.enter()?;
        let start = self.reader.values.len();
        let mut index = 0;
        while seq
            .next_element_seed(Node {
                reader: &mut *self.reader,
            })
            .map_err(|error| self.reader.pass_up(OwnedSegment::Index(index), error))?
            .is_some()
        {
            index += 1;
        }
        self.reader.close_array(start);
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let start = self.reader.values.len();
        let mut keys = KeySet::default();
        while self.reader.key(&mut map, &mut keys)? {
            map.next_value_seed(Node {
                reader: &mut *self.reader,
            })
            .map_err(|error| self.reader.pass_up(keys.last_segment(), error))?;
        }
        self.reader.close_object(start, keys)
    }
}

/// The keys of an object being read, in order, and what is needed to spot a repeated one.
#[derive(Default)]
struct KeySet {
    keys: Vec<String>,
    /// The same keys, once there are too many for a linear scan.
    hashed: Option<HashSet<String>>,
}

impl KeySet {
    /// Adds `key`, unless the object already has it (then gives it back).
    fn insert(&mut self, key: String) -> Result<(), String> {
        let fresh = match &self.hashed {
            Some(hashed) => !hashed.contains(&key),
            None => !self.keys.contains(&key),
        };
        if !fresh {
            return Err(key);
        }
        if let Some(hashed) = &mut self.hashed {
            hashed.insert(key.clone());
        } else if self.keys.len() == LINEAR_KEY_SCAN {
            let mut hashed: HashSet<String> = self.keys.iter().cloned().collect();
            hashed.insert(key.clone());
            self.hashed = Some(hashed);
        }
        self.keys.push(key);
        Ok(())
    }

    /// The path segment of the member being read (the last key added).
    fn last_segment(&self) -> OwnedSegment {
        OwnedSegment::Key(self.keys.last().cloned().unwrap_or_default())
    }
}

/// What the key position of a map holds: a real object key, or the marker of a number that
/// `serde_json` could not store natively (see [`NUMBER_TOKEN`]).
enum Key {
    Member(String),
    NumberText,
}

/// Reads a map key, telling real keys from the number marker.
///
/// The two cannot be told apart by their text, since a document may well contain the key
/// `"$serde_json::private::Number"`; they differ in how they answer `deserialize_option`:
/// `serde_json`'s key reader calls `visit_some` (a key is never null), while the number
/// marker's key reader answers every request with `visit_str` of the token.
struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Key;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Key, D::Error> {
        deserializer.deserialize_option(KeySeed)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Key;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_some<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Key, D::Error> {
        String::deserialize(deserializer).map(Key::Member)
    }

    /// Only the number marker's key reader calls this, always with [`NUMBER_TOKEN`].
    fn visit_str<E: de::Error>(self, token: &str) -> Result<Key, E> {
        debug_assert_eq!(token, NUMBER_TOKEN);
        Ok(Key::NumberText)
    }
}
