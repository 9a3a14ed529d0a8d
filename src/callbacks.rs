//! A future's done-callback list, with its first entry stored inline.
//!
//! Most futures (a `sleep`'s, a task awaited once) get exactly one callback, so the list only
//! allocates from the second registration on.

use crate::core::DoneCb;

/// Done-callbacks in registration order (FUT-7).
#[derive(Default)]
pub(crate) enum CallbackList {
    /// No callback.
    #[default]
    Empty,
    /// One callback, inline.
    One(DoneCb),
    /// Two or more.
    Many(Vec<DoneCb>),
}

impl CallbackList {
    /// Appends a callback.
    #[inline(always)]
    pub(crate) fn push(&mut self, cb: DoneCb) {
        // The new callback goes in first, so that the common case (the first callback) stores
        // without dropping what it replaces; a longer list then takes it back out.
        match std::mem::replace(self, CallbackList::One(cb)) {
            CallbackList::Empty => {}
            CallbackList::One(first) => {
                if let CallbackList::One(cb) = std::mem::take(self) {
                    *self = CallbackList::Many(vec![first, cb]);
                }
            }
            CallbackList::Many(mut all) => {
                if let CallbackList::One(cb) = std::mem::take(self) {
                    all.push(cb);
                }
                *self = CallbackList::Many(all);
            }
        }
    }

    /// Removes every callback for which `matches` is true; returns how many (FUT-9).
    pub(crate) fn remove(&mut self, matches: impl Fn(&DoneCb) -> bool) -> usize {
        match self {
            CallbackList::Empty => 0,
            CallbackList::One(cb) => {
                if matches(cb) {
                    *self = CallbackList::Empty;
                    1
                } else {
                    0
                }
            }
            CallbackList::Many(all) => {
                let before = all.len();
                all.retain(|cb| !matches(cb));
                before - all.len()
            }
        }
    }

    /// The first task whose wakeup is registered here.
    pub(crate) fn waiting_task(&self) -> Option<u32> {
        let first = |cb: &DoneCb| match cb {
            DoneCb::Wakeup(t) => Some(*t),
            _ => None,
        };
        match self {
            CallbackList::Empty => None,
            CallbackList::One(cb) => first(cb),
            CallbackList::Many(all) => all.iter().find_map(first),
        }
    }

    /// Calls `f` on every callback in order, emptying the list.
    #[inline(always)]
    pub(crate) fn drain(self, mut f: impl FnMut(DoneCb)) {
        match self {
            CallbackList::Empty => {}
            CallbackList::One(cb) => f(cb),
            CallbackList::Many(mut all) => {
                if crate::mutation::active(crate::mutation::Mutation::CallbacksReversed) {
                    all.reverse();
                }
                all.into_iter().for_each(f)
            }
        }
    }
}
