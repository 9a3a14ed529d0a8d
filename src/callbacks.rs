//! A future's done-callback list, with its first entry stored inline, and the arena of
//! callback objects that registrations name.
//!
//! Most futures (a `sleep`'s, a task awaited once) get exactly one callback, so the list only
//! allocates from the second registration on. A registration is a small `Copy` value; a
//! combinator's or a user's callback object sits in a [`CallbackArena`], one slot per
//! registration (or per timer and `call_soon` handle), freed when it runs or is removed. The
//! exception is `gather`, whose one `_done_callback` serves all its children: their
//! registrations name the gather itself (`crate::gather`).

use crate::core::{CbId, DoneCb};

/// The callback objects of the open loop, indexed by [`CbId`]; free slots are reused.
pub(crate) struct CallbackArena<T> {
    objs: Vec<Option<T>>,
    free: Vec<CbId>,
}

impl<T> CallbackArena<T> {
    /// An empty arena.
    pub(crate) const fn new() -> CallbackArena<T> {
        CallbackArena {
            objs: Vec::new(),
            free: Vec::new(),
        }
    }

    /// Stores `obj` for one registration or handle and returns its index.
    #[inline]
    pub(crate) fn store(&mut self, obj: T) -> CbId {
        match self.free.pop() {
            Some(id) => {
                self.objs[id as usize] = Some(obj);
                id
            }
            None => {
                self.objs.push(Some(obj));
                (self.objs.len() - 1) as CbId
            }
        }
    }

    /// The object of a registration that has neither run nor been removed.
    pub(crate) fn get(&self, id: CbId) -> &T {
        self.objs[id as usize]
            .as_ref()
            .expect("a registration names a live callback object")
    }

    /// Takes the object of a registration out (it runs or was removed), freeing its slot.
    #[inline]
    pub(crate) fn take(&mut self, id: CbId) -> T {
        let obj = self.objs[id as usize]
            .take()
            .expect("a registration names a live callback object");
        self.free.push(id);
        obj
    }

    /// Drops every object, keeping the capacity.
    pub(crate) fn clear(&mut self) {
        self.objs.clear();
        self.free.clear();
    }
}

/// Done-callbacks in registration order (FUT-7).
#[derive(Default)]
pub(crate) enum CallbackList {
    /// No callback.
    #[default]
    Empty,
    /// One callback, inline.
    One(DoneCb),
    /// Two or more.
    #[expect(
        clippy::box_collection,
        reason = "the box keeps the list 16 bytes, half a bare Vec, in every future slot"
    )]
    Many(Box<Vec<DoneCb>>),
}

impl CallbackList {
    /// Appends a callback; returns whether the list now owns an allocation (two or more
    /// callbacks).
    #[inline(always)]
    pub(crate) fn push(&mut self, cb: DoneCb) -> bool {
        // The new callback goes in first, so that the common case (the first callback) stores
        // without dropping what it replaces; a longer list is then written over it.
        match std::mem::replace(self, CallbackList::One(cb)) {
            CallbackList::Empty => false,
            CallbackList::One(first) => {
                *self = CallbackList::Many(Box::new(vec![first, cb]));
                true
            }
            CallbackList::Many(mut all) => {
                all.push(cb);
                *self = CallbackList::Many(all);
                true
            }
        }
    }

    /// Removes every callback for which `matches` is true; returns how many (FUT-9).
    pub(crate) fn remove(&mut self, mut matches: impl FnMut(DoneCb) -> bool) -> usize {
        match self {
            CallbackList::Empty => 0,
            CallbackList::One(cb) => {
                if matches(*cb) {
                    *self = CallbackList::Empty;
                    1
                } else {
                    0
                }
            }
            CallbackList::Many(all) => {
                let before = all.len();
                all.retain(|&cb| !matches(cb));
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
                all.iter().copied().for_each(f)
            }
        }
    }
}
