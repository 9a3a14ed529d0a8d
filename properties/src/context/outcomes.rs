//! Helpers over op outcomes: name-resolution errors, plain values, injected cancellations,
//! the outcome an exception spec makes.

use std::sync::Arc;

use aiosim_sim::graph::ExcSpec;
use aiosim_sim::trace::{Outcome, Res};
use aiosim_sim::value::Value;

/// The message of injected cancellations (`aiosim_sim::policy::INJECTED_MESSAGE`).
pub const INJECTED: &str = aiosim_sim::policy::INJECTED_MESSAGE;

/// Whether `out` is the `ScenarioError` of a reference to `name` that did not resolve
/// (graph-format 4.5).
pub fn unresolved(out: &Outcome, name: &str) -> bool {
    scenario_error_message(out).is_some_and(|msg| {
        msg.strip_prefix("not spawned: ")
            .or_else(|| msg.strip_prefix("not created: "))
            == Some(name)
    })
}

/// Whether `out` is any name-resolution `ScenarioError` (graph-format 4.5).
pub fn name_error(out: &Outcome) -> bool {
    scenario_error_message(out).is_some_and(|msg| {
        [
            "not spawned: ",
            "not created: ",
            "already spawned: ",
            "already created: ",
        ]
        .iter()
        .any(|prefix| msg.starts_with(prefix))
    })
}

/// The message of `out` when it is a `ScenarioError` (one that groups no exceptions).
fn scenario_error_message(out: &Outcome) -> Option<&str> {
    match out {
        Outcome::Err {
            ty,
            msg,
            excs: None,
        } if &**ty == "ScenarioError" => Some(msg),
        _ => None,
    }
}

/// Whether `out` is `{"ok":B}`.
pub fn is_bool(out: &Outcome, b: bool) -> bool {
    matches!(out, Outcome::Ok(Res::Value(Value::Bool(x))) if *x == b)
}

/// The integer of `{"ok":N}`.
pub fn as_int(out: &Outcome) -> Option<i64> {
    match out {
        Outcome::Ok(Res::Value(Value::Int(n))) => Some(*n),
        _ => None,
    }
}

/// Whether `out` is a `CancelledError` carrying the injected message.
pub fn is_injected(out: &Outcome) -> bool {
    matches!(out, Outcome::Cancelled(Some(m)) if &**m == INJECTED)
}

/// The outcome of an exception built by `make(EXC)` (graph-format 3.4).
pub fn exc_outcome(spec: &ExcSpec) -> Outcome {
    if &*spec.ty == "CancelledError" {
        Outcome::Cancelled(spec.msg.clone())
    } else {
        Outcome::err(
            spec.ty.clone(),
            spec.msg.clone().unwrap_or_else(|| Arc::from("")),
        )
    }
}

/// A message for explanations: `"m"` or `null`.
pub fn show_msg(msg: &Option<Arc<str>>) -> String {
    match msg {
        Some(m) => format!("{m:?}"),
        None => "null".to_string(),
    }
}
