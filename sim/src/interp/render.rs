//! Runtime exceptions and results as trace outcomes (graph-format 3.4), and scenario
//! exceptions as runtime exceptions (`make(EXC)`, 4.3).

use std::sync::Arc;

use aiosim::Exception;

use crate::graph::ExcSpec;
use crate::trace::{Outcome, Res};
use crate::value::Value;

/// Renders an exception: `{"cancelled":MSG}`, `{"err":TYPE,"msg":STR}`, or a group with its
/// members rendered recursively.
pub fn exception_outcome(e: &Exception) -> Outcome {
    if e.is_cancelled() {
        Outcome::Cancelled(e.msg().map(|m| Arc::from(&**m)))
    } else if e.is_group() {
        Outcome::group(
            e.type_name(),
            e.message(),
            e.members().iter().map(exception_outcome).collect(),
        )
    } else {
        Outcome::err(e.type_name(), e.message())
    }
}

/// A `gather` result with `return_exceptions: true`: values and exceptions in list order.
pub fn settled_list(items: Vec<Result<Value, Exception>>) -> Res {
    Res::list(
        items
            .into_iter()
            .map(|r| match r {
                Ok(v) => Res::Value(v),
                Err(e) => Res::exc(exception_outcome(&e)),
            })
            .collect(),
    )
}

/// `make(EXC)`: `Cls()` without a message, `Cls(msg)` with one. `CancelledError` and
/// `TimeoutError` are the runtime's own classes; every other name is a plain class.
pub fn make_exception(spec: &ExcSpec) -> Exception {
    Exception::custom(&spec.ty, spec.msg.as_deref())
}

/// A runtime name error (graph-format 4.5).
pub fn scenario_error(msg: String) -> Exception {
    Exception::custom("ScenarioError", Some(&msg))
}
