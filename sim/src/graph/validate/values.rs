//! Scalars and small objects that ops and expectations carry: values (graph-format 2.4),
//! durations, exception objects (`EXC`, 2.5).

use std::sync::Arc;

use super::super::error::GraphError;
use super::super::json::{Json, member};
use super::super::model::{ExcSpec, Ticks};
use super::super::path::JsonPath;
use super::check::{fail, name, object, only_keys, required, string_or_null};
use crate::value::Value;

/// Deepest element of a value: at most this many lists enclose a non-list element.
const MAX_VALUE_DEPTH: usize = 8;

/// Longest duration or timeout, in ticks.
const MAX_TICKS: Ticks = 1_000_000_000_000;

/// Exception types that `raise` and `set_exception` cannot build: they are the abstract
/// roots of the hierarchy, which handlers may name but a scenario cannot instantiate.
const UNRAISABLE: [&str; 4] = [
    "Exception",
    "BaseException",
    "ExceptionGroup",
    "BaseExceptionGroup",
];

/// `json` as a value (graph-format 2.4): `null`, a boolean, an integer, a string or a list
/// of values, with no element deeper than 8.
pub(super) fn value(json: &Json, path: &JsonPath<'_>) -> Result<Value, GraphError> {
    element(json, path, 0)
}

fn element(json: &Json, path: &JsonPath<'_>, depth: usize) -> Result<Value, GraphError> {
    if depth > MAX_VALUE_DEPTH {
        return Err(fail(
            path,
            format!(
                "value nested too deep: at most {MAX_VALUE_DEPTH} lists may enclose an element"
            ),
        ));
    }
    Ok(match json {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::Int(i) => Value::Int(*i),
        Json::Str(s) => Value::Str(s.as_str().into()),
        Json::Array(items) => Value::List(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| element(item, &path.index(i), depth + 1))
                .collect::<Result<Arc<[Value]>, GraphError>>()?,
        ),
        Json::Object(_) => {
            return Err(fail(
                path,
                "a value is null, a boolean, an integer, a string or a list; objects are not values",
            ));
        }
    })
}

/// `json` as a duration or timeout: an integer from 0 to 10^12. `what` names it in messages.
pub(super) fn ticks(json: &Json, path: &JsonPath<'_>, what: &str) -> Result<Ticks, GraphError> {
    match json {
        Json::Int(n) if *n < 0 => Err(fail(path, format!("{what} {n} is negative"))),
        Json::Int(n) => match Ticks::try_from(*n) {
            Ok(n) if n <= MAX_TICKS => Ok(n),
            _ => Err(fail(path, format!("{what} {n} exceeds 10^12"))),
        },
        other => Err(fail(
            path,
            format!(
                "{what} must be an integer from 0 to 10^12, found {}",
                other.describe()
            ),
        )),
    }
}

/// `json` as a timeout that may be `null` (no timeout).
pub(super) fn optional_ticks(
    json: &Json,
    path: &JsonPath<'_>,
    what: &str,
) -> Result<Option<Ticks>, GraphError> {
    match json {
        Json::Null => Ok(None),
        Json::Int(_) => ticks(json, path, what).map(Some),
        other => Err(fail(
            path,
            format!(
                "{what} must be an integer from 0 to 10^12 or null, found {}",
                other.describe()
            ),
        )),
    }
}

/// `json` as an exception to raise or set (`{"type": TYPE, "msg": STRING}`, `msg` optional
/// and nullable).
pub(super) fn exception(json: &Json, path: &JsonPath<'_>) -> Result<ExcSpec, GraphError> {
    let members = object(json, path, "an exception")?;
    only_keys(members, path, &["type", "msg"], "an exception object")?;
    let type_path = path.key("type");
    let ty = name(
        required(members, path, "type", "an exception object")?,
        &type_path,
        "exception type",
    )?;
    if UNRAISABLE.contains(&ty) {
        return Err(fail(
            &type_path,
            format!("{ty} cannot be raised or set; name a concrete exception type"),
        ));
    }
    let msg = match member(members, "msg") {
        Some(msg) => string_or_null(msg, &path.key("msg"), "exception msg")?,
        None => None,
    };
    Ok(ExcSpec { ty: ty.into(), msg })
}
