//! The ready queue's element: an [`Entry`] packed into one 64-bit word.
//!
//! The loop queues an entry for every handle it runs (CPython's `_ready.append`). A packed
//! entry is put together in a register and stored with one write. As a two-word enum it was
//! assembled on the stack field by field and then copied out with one wide load, which the
//! processor cannot serve from the narrower stores still in flight: a stall on every push.
//!
//! Layout: bits 0–31 hold the entry's first id (a task, future, timer or `call_soon` handle),
//! bits 32–60 a second id (the task a wakeup resumes, or the callback object or gather a
//! registration names), bits 61–63 the kind.

use crate::core::{DoneCb, Entry};

/// The largest id that fits the second field: tasks, callback objects and gathers of one loop
/// are numbered below this (checked where they are created).
pub(crate) const MAX_SECOND_ID: u32 = (1 << 29) - 1;

const STEP: u64 = 0;
const STEP_THROW: u64 = 1;
const WAKEUP: u64 = 2;
const STOP: u64 = 3;
const OBJECT: u64 = 4;
const TIMER: u64 = 5;
const SOON: u64 = 6;
const GATHER: u64 = 7;

/// An [`Entry`] in one word, as the ready queue holds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Queued(u64);

impl Queued {
    /// Packs `entry`.
    #[inline(always)]
    pub(crate) fn pack(entry: Entry) -> Queued {
        let (kind, first, second) = match entry {
            Entry::Step(t) => (STEP, t, 0),
            Entry::StepThrow(t) => (STEP_THROW, t, 0),
            Entry::Done(f, DoneCb::Wakeup(t)) => (WAKEUP, f, t),
            Entry::Done(f, DoneCb::Stop) => (STOP, f, 0),
            Entry::Done(f, DoneCb::Object(id)) => (OBJECT, f, id),
            Entry::Done(f, DoneCb::Gather(g)) => (GATHER, f, g),
            Entry::Timer(id) => (TIMER, id, 0),
            Entry::Soon(id) => (SOON, id, 0),
        };
        debug_assert!(second <= MAX_SECOND_ID, "second id {second} does not fit");
        Queued(kind << 61 | u64::from(second) << 32 | u64::from(first))
    }

    /// The entry this word holds.
    #[inline(always)]
    pub(crate) fn entry(self) -> Entry {
        let (first, second) = (self.first(), self.second());
        match self.kind() {
            Kind::Step => Entry::Step(first),
            Kind::StepThrow => Entry::StepThrow(first),
            Kind::Wakeup => Entry::Done(first, DoneCb::Wakeup(second)),
            Kind::Stop => Entry::Done(first, DoneCb::Stop),
            Kind::Object => Entry::Done(first, DoneCb::Object(second)),
            Kind::Gather => Entry::Done(first, DoneCb::Gather(second)),
            Kind::Timer => Entry::Timer(first),
            Kind::Soon => Entry::Soon(first),
        }
    }

    /// The kind of entry this word holds. The loop branches on it directly, with the ids
    /// read by [`Queued::first`] and [`Queued::second`]: going through [`Queued::entry`]
    /// first would branch twice per entry (once to build the enum, once to match it).
    #[inline(always)]
    pub(crate) fn kind(self) -> Kind {
        match self.0 >> 61 {
            STEP => Kind::Step,
            STEP_THROW => Kind::StepThrow,
            WAKEUP => Kind::Wakeup,
            STOP => Kind::Stop,
            OBJECT => Kind::Object,
            TIMER => Kind::Timer,
            SOON => Kind::Soon,
            _ => Kind::Gather,
        }
    }

    /// The first id: the task of a step, the future of a done-callback, the timer or the
    /// `call_soon` handle.
    #[inline(always)]
    pub(crate) fn first(self) -> u32 {
        self.0 as u32
    }

    /// The second id: the task a wakeup resumes or the object a registration names (0 for
    /// the other kinds).
    #[inline(always)]
    pub(crate) fn second(self) -> u32 {
        (self.0 >> 32) as u32 & MAX_SECOND_ID
    }
}

/// The kinds of [`Entry`], as [`Queued::kind`] reads them (`Done` split by its callback).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// [`Entry::Step`].
    Step,
    /// [`Entry::StepThrow`].
    StepThrow,
    /// [`Entry::Done`] with [`DoneCb::Wakeup`].
    Wakeup,
    /// [`Entry::Done`] with [`DoneCb::Stop`].
    Stop,
    /// [`Entry::Done`] with [`DoneCb::Object`].
    Object,
    /// [`Entry::Done`] with [`DoneCb::Gather`].
    Gather,
    /// [`Entry::Timer`].
    Timer,
    /// [`Entry::Soon`].
    Soon,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every kind of entry comes back as it went in, with ids at both ends of their range.
    #[test]
    fn every_entry_round_trips() {
        let ids = [0, 1, 12_345, MAX_SECOND_ID];
        for a in [0, 7, MAX_SECOND_ID, u32::MAX] {
            for b in ids {
                let entries = [
                    Entry::Step(a),
                    Entry::StepThrow(a),
                    Entry::Done(a, DoneCb::Wakeup(b)),
                    Entry::Done(a, DoneCb::Stop),
                    Entry::Done(a, DoneCb::Object(b)),
                    Entry::Done(a, DoneCb::Gather(b)),
                    Entry::Timer(a),
                    Entry::Soon(a),
                ];
                for e in entries {
                    assert_eq!(Queued::pack(e).entry(), e);
                }
            }
        }
    }

    /// Entries that differ in any field pack differently.
    #[test]
    fn distinct_entries_pack_distinctly() {
        let packed = [
            Queued::pack(Entry::Step(3)),
            Queued::pack(Entry::StepThrow(3)),
            Queued::pack(Entry::Done(3, DoneCb::Wakeup(3))),
            Queued::pack(Entry::Done(3, DoneCb::Wakeup(4))),
            Queued::pack(Entry::Done(3, DoneCb::Stop)),
            Queued::pack(Entry::Done(3, DoneCb::Object(3))),
            Queued::pack(Entry::Done(3, DoneCb::Gather(3))),
            Queued::pack(Entry::Timer(3)),
            Queued::pack(Entry::Soon(3)),
        ];
        for (i, p) in packed.iter().enumerate() {
            assert!(!packed[i + 1..].contains(p), "{p:?} packed twice");
        }
    }
}
