//! Python's `repr()` of what the runtime names in its messages: strings, exceptions and
//! tasks, as CPython writes them into "Task cannot await on itself: <Task ...>" and the
//! like.
//!
//! A task's repr leaves out what a Rust body does not have: the coroutine (`coro=<...>`,
//! with its source file and line) and, since results are typed Rust values, `result=...`.
//! Done-callbacks (`cb=[...]`) and `wait_for=...` are left out too.

use crate::core::{Core, FutState, TaskId};
use crate::exception::{ExcType, Exception};

/// `repr(text)`: single quotes, or double quotes when the text holds a single quote and no
/// double one; backslashes, the chosen quote, `\t`, `\n`, `\r` and other control characters
/// escaped.
pub(crate) fn str_repr(text: &str) -> String {
    let quote = if text.contains('\'') && !text.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(text.len() + 2);
    out.push(quote);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// `repr(exc)`: `ValueError('boom')`, `CancelledError()`, or for a group
/// `ExceptionGroup('msg', [ValueError('a'), ...])`.
pub(crate) fn exception_repr(exc: &Exception) -> String {
    let mut args: Vec<String> = exc.msg().map(|m| str_repr(m)).into_iter().collect();
    if *exc.ty() == ExcType::Group {
        let members: Vec<String> = exc.members().iter().map(exception_repr).collect();
        args.push(format!("[{}]", members.join(", ")));
    }
    format!("{}({})", exc.type_name(), args.join(", "))
}

impl Core {
    /// `repr(task)` without the parts a Rust task lacks (see the module documentation):
    /// `<Task pending name='Task-2'>`, `<Task cancelling name='w'>`,
    /// `<Task finished name='t' exception=ValueError('boom')>`, `<Task cancelled name='t'>`.
    pub(crate) fn task_repr(&self, t: TaskId) -> String {
        let slot = self.fut(self.task(t).fut);
        let state = match slot.state {
            FutState::Pending if self.task(t).num_cancels > 0 => "cancelling",
            FutState::Pending => "pending",
            FutState::Cancelled => "cancelled",
            FutState::Finished => "finished",
        };
        let name = str_repr(&self.task_names[t as usize].render());
        match slot.outcome.exception() {
            Some(exc) if slot.state == FutState::Finished => {
                format!(
                    "<Task {state} name={name} exception={}>",
                    exception_repr(exc)
                )
            }
            _ => format!("<Task {state} name={name}>"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_quoted_and_escaped_as_python_repr_does() {
        assert_eq!(str_repr("Task-1"), "'Task-1'");
        assert_eq!(str_repr("it's"), "\"it's\"");
        assert_eq!(str_repr("a'b\"c"), "'a\\'b\"c'");
        assert_eq!(str_repr("x\\y\tz\n"), "'x\\\\y\\tz\\n'");
        assert_eq!(str_repr("bell\u{7}"), "'bell\\x07'");
        assert_eq!(str_repr("héllo"), "'héllo'");
    }

    #[test]
    fn exceptions_show_their_type_and_arguments() {
        assert_eq!(
            exception_repr(&Exception::custom("ValueError", Some("boom"))),
            "ValueError('boom')"
        );
        assert_eq!(
            exception_repr(&Exception::cancelled(None)),
            "CancelledError()"
        );
        let group = Exception::group(
            "unhandled errors in a TaskGroup",
            vec![
                Exception::custom("ValueError", Some("a")),
                Exception::custom("KeyError", None),
            ],
        );
        assert_eq!(
            exception_repr(&group),
            "ExceptionGroup('unhandled errors in a TaskGroup', [ValueError('a'), KeyError()])"
        );
    }
}
