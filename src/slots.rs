//! A table of slots that can be emptied without visiting them.
//!
//! Every new loop empties the tables of the previous one. Emptying a `Vec` whose elements have
//! destructors visits each element, even when none of them owns anything, which is the usual
//! case: a loop that ran to completion leaves only finished futures and tasks behind. The
//! loop knows when that is so (it notes every slot that comes to own something), and then
//! empties a [`Slots`] table in constant time with [`Slots::forget_all`].

use std::mem::ManuallyDrop;
use std::ops::{Index, IndexMut};

/// A growable table indexed by id. Its elements are dropped when it is cleared or dropped,
/// and only then; [`Slots::forget_all`] empties it without dropping them.
pub(crate) struct Slots<T>(Vec<ManuallyDrop<T>>);

impl<T> Slots<T> {
    /// An empty table (usable in constant initialisers).
    pub(crate) const fn new() -> Slots<T> {
        Slots(Vec::new())
    }

    /// Appends a slot.
    #[inline(always)]
    pub(crate) fn push(&mut self, value: T) {
        self.0.push(ManuallyDrop::new(value));
    }

    /// The number of slots.
    #[inline(always)]
    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    /// The slots in id order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &T> {
        self.0.iter().map(|slot| &**slot)
    }

    /// The slots in id order, to change.
    pub(crate) fn iter_mut(&mut self) -> impl Iterator<Item = &mut T> {
        self.0.iter_mut().map(|slot| &mut **slot)
    }

    /// Removes every slot, dropping each one (keeping the capacity).
    pub(crate) fn clear(&mut self) {
        self.0
            .drain(..)
            .for_each(|slot| drop(ManuallyDrop::into_inner(slot)));
    }

    /// Removes every slot without visiting it (keeping the capacity), for a caller that knows
    /// that no slot owns anything: whatever one did own would never be freed. Debug builds
    /// check `owns_nothing` on every slot.
    #[inline]
    pub(crate) fn forget_all(&mut self, owns_nothing: impl Fn(&T) -> bool) {
        debug_assert!(
            self.iter().all(owns_nothing),
            "a slot forgotten without being dropped owns something"
        );
        self.0.clear();
    }
}

impl<T> Drop for Slots<T> {
    fn drop(&mut self) {
        self.clear();
    }
}

impl<T> Index<usize> for Slots<T> {
    type Output = T;

    #[inline(always)]
    fn index(&self, id: usize) -> &T {
        &self.0[id]
    }
}

impl<T> IndexMut<usize> for Slots<T> {
    #[inline(always)]
    fn index_mut(&mut self, id: usize) -> &mut T {
        &mut self.0[id]
    }
}

#[cfg(test)]
mod tests {
    use std::rc::Rc;

    use super::*;

    #[test]
    fn clearing_and_dropping_drop_every_slot() {
        let witness = Rc::new(());
        let mut slots = Slots::new();
        slots.push(Some(witness.clone()));
        slots.push(Some(witness.clone()));
        slots.clear();
        assert_eq!(Rc::strong_count(&witness), 1);
        assert_eq!(slots.len(), 0);
        slots.push(Some(witness.clone()));
        drop(slots);
        assert_eq!(Rc::strong_count(&witness), 1);
    }

    #[test]
    fn forgetting_empties_the_table_and_slots_are_indexed_by_id() {
        let mut slots = Slots::new();
        slots.push(None::<Rc<()>>);
        slots.push(None);
        slots[1] = Some(Rc::new(()));
        assert!(slots[1].is_some() && slots[0].is_none());
        slots[1] = None;
        slots.forget_all(Option::is_none);
        assert_eq!(slots.len(), 0);
    }

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "owns something")]
    fn forgetting_a_slot_that_owns_something_is_caught_in_debug_builds() {
        let mut slots = Slots::new();
        slots.push(Some(Rc::new(())));
        slots.forget_all(Option::is_none);
    }
}
