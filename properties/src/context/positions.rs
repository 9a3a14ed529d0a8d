//! Positions in a run's trace (before and after each event's effect, and the final states)
//! and sets of future states.

use aiosim::State;
use aiosim_sim::trace::CallbackState;

/// The position of the state just before the effect of event `i` (and of an op that started
/// when `i` events had been emitted).
pub const fn before(i: usize) -> u64 {
    2 * i as u64
}

/// The position of the state just after the effect of event `i`.
pub const fn after(i: usize) -> u64 {
    2 * i as u64 + 1
}

/// The position of the final states (`finals`).
pub const FINAL: u64 = u64::MAX;

/// The event whose effect position `pos` is before or after.
pub const fn event_of(pos: u64) -> usize {
    (pos / 2) as usize
}

/// A set of future states: pending, finished with a result, finished with an exception,
/// cancelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct States(u8);

impl States {
    /// Not done.
    pub const PENDING: States = States(1);
    /// Finished with a result.
    pub const OK: States = States(2);
    /// Finished with an exception (also a `CancelledError` set by `set_exception`).
    pub const ERR: States = States(4);
    /// Cancelled.
    pub const CANCELLED: States = States(8);
    /// Any done state.
    pub const DONE: States = States(14);
    /// Finished, with a result or an exception.
    pub const FINISHED: States = States(6);
    /// No state at all (a contradiction).
    pub const NONE: States = States(0);

    /// The union.
    pub const fn or(self, other: States) -> States {
        States(self.0 | other.0)
    }

    /// The intersection.
    pub const fn and(self, other: States) -> States {
        States(self.0 & other.0)
    }

    /// Whether every state of `other` is in `self`.
    pub const fn contains(self, other: States) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether the sets share a state.
    pub const fn meets(self, other: States) -> bool {
        self.0 & other.0 != 0
    }

    /// The set as words (`pending`, `ok`, `err`, `cancelled`).
    pub fn describe(self) -> String {
        let names = [
            (States::PENDING, "pending"),
            (States::OK, "finished with a result"),
            (States::ERR, "finished with an exception"),
            (States::CANCELLED, "cancelled"),
        ];
        if self == States::DONE {
            return "done".to_string();
        }
        let parts: Vec<&str> = names
            .iter()
            .filter(|(s, _)| self.contains(*s))
            .map(|(_, n)| *n)
            .collect();
        if parts.is_empty() {
            "nothing".to_string()
        } else {
            parts.join(" or ")
        }
    }

    /// The state a callback reports.
    pub fn of_callback(state: CallbackState) -> States {
        match state {
            CallbackState::Ok => States::OK,
            CallbackState::Err => States::ERR,
            CallbackState::Cancelled => States::CANCELLED,
        }
    }

    /// The states a final [`State`] allows.
    pub fn of_final(state: State) -> States {
        match state {
            State::Pending => States::PENDING,
            State::Finished => States::FINISHED,
            State::Cancelled => States::CANCELLED,
        }
    }
}
