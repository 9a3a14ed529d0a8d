//! The untaken entries of a free batch, with "take the `k`-th untaken entry in queue order".
//!
//! The batch's entries are moved as a whole out of the ready queue (its buffer is swapped with
//! an empty one, entries already run included) and stay where they are, in queue order, until
//! the next batch. Which entry is the `k`-th untaken one is read from a list of the untaken
//! batch indices in queue order; taking one moves the rest of the list down by one.
//! The list is padded, so that the move can go in steps of a fixed size, which the compiler
//! turns into a few vector loads and stores: a pick at a random place then costs no call to a
//! general copy routine and no branch on its length (which a processor would mispredict).

use crate::queued::Queued;
use crate::ready::ReadyQueue;

/// Indices moved per step of a removal (64 bytes: a tail of up to this many indices, the
/// common case, moves in one step).
const STEP: usize = 32;

/// Batches longer than this are not held here (their indices would not fit a `u16`).
pub(super) const MAX_LEN: usize = 1 << 16;

/// The untaken entries of a free batch.
pub(super) struct Untaken {
    /// The ready queue's buffer: entries already run, then from `first` the batch's entries
    /// in queue order, taken ones included.
    entries: Vec<Queued>,
    /// Where the batch's entries start in `entries`.
    first: usize,
    /// The untaken batch indices in queue order, then [`STEP`] slots of padding (their values
    /// do not matter).
    list: Vec<u16>,
    /// How many entries are untaken.
    len: usize,
}

impl Untaken {
    /// No entries (usable in constant initialisers).
    pub(super) const fn new() -> Untaken {
        Untaken {
            entries: Vec::new(),
            first: 0,
            list: Vec::new(),
            len: 0,
        }
    }

    /// Makes every entry of `ready` (at most [`MAX_LEN`]) untaken, leaving `ready` empty.
    pub(super) fn fill(&mut self, ready: &mut ReadyQueue) {
        let len = ready.len();
        assert!(len <= MAX_LEN, "{len} entries do not fit the untaken list");
        // The previous batch's buffer becomes the ready queue's (emptied: a batch left
        // unfinished by a panic must not come back).
        (self.entries, self.first) = ready.take_all(std::mem::take(&mut self.entries));
        self.list.clear();
        self.list.extend((0..len).map(|i| i as u16));
        self.list.resize(len + STEP, 0);
        self.len = len;
    }

    /// Takes the untaken entry of rank `k` (0 is the first in queue order); `k` must be below
    /// the number of untaken entries.
    #[inline]
    pub(super) fn take(&mut self, k: usize) -> Queued {
        debug_assert!(k < self.len, "rank {k} of {} untaken entries", self.len);
        let index = self.list[k] as usize;
        let mut at = k;
        while at + 1 < self.len {
            let window: &mut [u16; STEP + 1] = (&mut self.list[at..at + STEP + 1])
                .try_into()
                .expect("a window of STEP + 1 indices");
            window.copy_within(1.., 0);
            at += STEP;
        }
        self.len -= 1;
        self.entries[self.first + index]
    }

    /// Drops the untaken entries.
    pub(super) fn clear(&mut self) {
        self.entries.clear();
        self.len = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::Entry;

    /// An untaken set of `len` entries, entry `i` being the first step of task `i`.
    fn filled(len: usize) -> Untaken {
        let mut ready = ReadyQueue::new();
        (0..len as u32).for_each(|t| ready.push_back(Queued::pack(Entry::Step(t))));
        let mut set = Untaken::new();
        set.fill(&mut ready);
        assert!(ready.is_empty());
        set
    }

    /// The task of a step entry.
    fn task(q: Queued) -> usize {
        match q.entry() {
            Entry::Step(t) => t as usize,
            _ => unreachable!("only steps here"),
        }
    }

    /// Takes the same ranks from an `Untaken` and from a plain list, and compares.
    fn check(len: usize, ranks: impl Iterator<Item = u64>) {
        let mut set = filled(len);
        let mut list: Vec<usize> = (0..len).collect();
        for r in ranks.take(len) {
            let k = (r % list.len() as u64) as usize;
            assert_eq!(task(set.take(k)), list.remove(k), "len {len}, rank {k}");
        }
        assert_eq!(set.len, 0);
    }

    #[test]
    fn holds_the_longest_batch() {
        let mut set = filled(MAX_LEN);
        assert_eq!(task(set.take(MAX_LEN - 1)), MAX_LEN - 1);
        assert_eq!(task(set.take(0)), 0);
        assert_eq!(task(set.take(1000)), 1001);
        assert_eq!(task(set.take(MAX_LEN - 4)), MAX_LEN - 2);
        assert_eq!(set.len, MAX_LEN - 4);
    }

    #[test]
    fn takes_the_entry_of_each_rank() {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for len in [1, 2, 7, 63, 64, 65, 129, 300] {
            for _ in 0..20 {
                let ranks: Vec<u64> = (0..len).map(|_| next()).collect();
                check(len, ranks.into_iter());
            }
            check(len, std::iter::repeat(0));
            check(len, (0..len as u64).rev());
        }
    }

    #[test]
    fn the_ready_queue_gets_the_previous_buffer() {
        let mut set = filled(3);
        for _ in 0..3 {
            set.take(0);
        }
        let mut ready = ReadyQueue::new();
        (0..2).for_each(|t| ready.push_back(Queued::pack(Entry::Step(t))));
        set.fill(&mut ready);
        assert!(ready.is_empty() && ready.capacity() >= 3);
        assert_eq!(task(set.take(1)), 1);
    }
}
