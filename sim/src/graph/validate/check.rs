//! Small typed accessors over the JSON tree: each either returns what the format expects at
//! a place or an error that names the place.

use std::sync::Arc;

use super::super::error::{GraphError, quoted};
use super::super::json::{Json, member};
use super::super::path::JsonPath;

/// The members of a JSON object.
pub(super) type Members = [(String, Json)];

/// Longest name (graph-format 2.3).
const MAX_NAME_LEN: usize = 64;

/// An error located at `path`.
pub(super) fn fail(path: &JsonPath<'_>, message: impl Into<String>) -> GraphError {
    GraphError::at_path(path.render(), None, message)
}

fn wrong_type(path: &JsonPath<'_>, what: &str, expected: &str, found: &Json) -> GraphError {
    fail(
        path,
        format!("{what} must be {expected}, found {}", found.describe()),
    )
}

/// `json` as an object's members.
pub(super) fn object<'j>(
    json: &'j Json,
    path: &JsonPath<'_>,
    what: &str,
) -> Result<&'j Members, GraphError> {
    match json {
        Json::Object(members) => Ok(members),
        other => Err(wrong_type(path, what, "an object", other)),
    }
}

/// `json` as an array's elements.
pub(super) fn array<'j>(
    json: &'j Json,
    path: &JsonPath<'_>,
    what: &str,
) -> Result<&'j [Json], GraphError> {
    match json {
        Json::Array(items) => Ok(items),
        other => Err(wrong_type(path, what, "a list", other)),
    }
}

/// `json` as a string.
pub(super) fn string<'j>(
    json: &'j Json,
    path: &JsonPath<'_>,
    what: &str,
) -> Result<&'j str, GraphError> {
    match json {
        Json::Str(s) => Ok(s),
        other => Err(wrong_type(path, what, "a string", other)),
    }
}

/// `json` as a string, or `None` for `null`.
pub(super) fn string_or_null(
    json: &Json,
    path: &JsonPath<'_>,
    what: &str,
) -> Result<Option<Arc<str>>, GraphError> {
    match json {
        Json::Null => Ok(None),
        Json::Str(s) => Ok(Some(s.as_str().into())),
        other => Err(wrong_type(path, what, "a string or null", other)),
    }
}

/// `json` as a boolean.
pub(super) fn boolean(json: &Json, path: &JsonPath<'_>, what: &str) -> Result<bool, GraphError> {
    match json {
        Json::Bool(b) => Ok(*b),
        other => Err(wrong_type(path, what, "true or false", other)),
    }
}

/// Whether `s` is a name: `[A-Za-z_][A-Za-z0-9_]{0,63}` (graph-format 2.3).
pub(super) fn is_name(s: &str) -> bool {
    let mut bytes = s.bytes();
    s.len() <= MAX_NAME_LEN
        && bytes
            .next()
            .is_some_and(|b| b == b'_' || b.is_ascii_alphabetic())
        && bytes.all(|b| b == b'_' || b.is_ascii_alphanumeric())
}

/// The reason a string is not a name, for messages.
pub(super) fn not_a_name(what: &str, s: &str) -> String {
    format!(
        "{what} {} is not a valid name (ASCII letters, digits and '_', not starting with a \
         digit, at most {MAX_NAME_LEN} characters)",
        quoted(s)
    )
}

/// `json` as a name (graph-format 2.3).
pub(super) fn name<'j>(
    json: &'j Json,
    path: &JsonPath<'_>,
    what: &str,
) -> Result<&'j str, GraphError> {
    let s = string(json, path, what)?;
    if is_name(s) {
        Ok(s)
    } else {
        Err(fail(path, not_a_name(what, s)))
    }
}

/// Member `key` of an object, which must be present.
pub(super) fn required<'j>(
    members: &'j Members,
    path: &JsonPath<'_>,
    key: &str,
    what: &str,
) -> Result<&'j Json, GraphError> {
    member(members, key).ok_or_else(|| fail(path, format!("{what} lacks the key {key:?}")))
}

/// Checks that every key of an object is one of `allowed`.
pub(super) fn only_keys(
    members: &Members,
    path: &JsonPath<'_>,
    allowed: &[&str],
    what: &str,
) -> Result<(), GraphError> {
    match members.iter().find(|(k, _)| !allowed.contains(&k.as_str())) {
        None => Ok(()),
        Some((key, _)) => Err(fail(
            &path.key(key),
            format!(
                "unknown key {} in {what} (allowed: {})",
                quoted(key),
                allowed.join(", ")
            ),
        )),
    }
}
