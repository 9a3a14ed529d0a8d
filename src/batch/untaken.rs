//! The untaken entries of a free batch, in queue order, with "take the `k`-th untaken entry".
//!
//! They are a list of batch indices; taking one moves the rest of the list down by one. The
//! list is padded, so that the move can go in steps of a fixed size, which the compiler turns
//! into a few vector loads and stores: a pick at a random place then costs no call to a
//! general copy routine and no branch on its length (which a processor would mispredict).

/// Indices moved per step of a removal (64 bytes: a tail of up to this many indices, the
/// common case, moves in one step).
const STEP: usize = 32;

/// Batches longer than this are not held here (their indices would not fit a `u16`).
pub(super) const MAX_LEN: usize = 1 << 16;

/// The untaken batch indices, in queue order.
pub(super) struct Untaken {
    /// The indices, then [`STEP`] slots of padding (their values do not matter).
    list: Vec<u16>,
    /// How many indices are untaken.
    len: usize,
}

impl Untaken {
    /// An empty set (usable in constant initialisers).
    pub(super) const fn new() -> Untaken {
        Untaken {
            list: Vec::new(),
            len: 0,
        }
    }

    /// Makes `0..len` the untaken indices; `len` is at most [`MAX_LEN`].
    pub(super) fn fill(&mut self, len: usize) {
        assert!(len <= MAX_LEN, "{len} entries do not fit the untaken list");
        self.list.clear();
        self.list.extend((0..len).map(|i| i as u16));
        self.list.resize(len + STEP, 0);
        self.len = len;
    }

    /// Takes the untaken index of rank `k` (0 is the first in queue order) and returns it; `k`
    /// must be below the number of untaken indices.
    #[inline]
    pub(super) fn take(&mut self, k: usize) -> usize {
        debug_assert!(k < self.len, "rank {k} of {} untaken entries", self.len);
        let index = self.list[k];
        let mut at = k;
        while at + 1 < self.len {
            let window: &mut [u16; STEP + 1] = (&mut self.list[at..at + STEP + 1])
                .try_into()
                .expect("a window of STEP + 1 indices");
            window.copy_within(1.., 0);
            at += STEP;
        }
        self.len -= 1;
        index as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Takes the same ranks from an `Untaken` and from a plain list, and compares.
    fn check(len: usize, ranks: impl Iterator<Item = u64>) {
        let mut set = Untaken::new();
        set.fill(len);
        let mut list: Vec<usize> = (0..len).collect();
        for r in ranks.take(len) {
            let k = (r % list.len() as u64) as usize;
            assert_eq!(set.take(k), list.remove(k), "len {len}, rank {k}");
        }
        assert_eq!(set.len, 0);
    }

    #[test]
    fn holds_the_longest_batch() {
        let mut set = Untaken::new();
        set.fill(MAX_LEN);
        assert_eq!(set.take(MAX_LEN - 1), MAX_LEN - 1);
        assert_eq!(set.take(0), 0);
        assert_eq!(set.take(1000), 1001);
        assert_eq!(set.take(MAX_LEN - 4), MAX_LEN - 2);
        assert_eq!(set.len, MAX_LEN - 4);
    }

    #[test]
    fn takes_the_index_of_each_rank() {
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
}
