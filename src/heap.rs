//! The timer heap, exactly as CPython's `heapq` manipulates `loop._scheduled`.
//!
//! Timers compare by deadline only, with strict `<`, so ties are broken by nothing but the heap
//! algorithm itself: equal deadlines pop in an order that depends on the whole history of the
//! array, cancelled entries included (LOOP-6, semantics 2.3). A `BinaryHeap` or an insertion
//! sequence number would give a different order, so this module ports the algorithm: push sifts
//! toward the root, pop moves the last item to the root and runs the "bottom-up" sift that first
//! walks the hole to a leaf (preferring the right child on ties) and then sifts back up.

/// One heap entry: a deadline and the id of the timer it belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(align(16))]
pub struct HeapEntry {
    /// Deadline in ticks.
    pub when: u64,
    /// Timer id (index into the loop's timer table).
    pub timer: u32,
}

/// A binary min-heap over [`HeapEntry`] with `heapq`'s exact algorithms.
#[derive(Default, Debug, Clone)]
pub struct TimerHeap {
    items: Vec<HeapEntry>,
    /// The latest deadline held (0 when empty). Popping takes the earliest, so only a push, a
    /// rebuild or emptying the heap changes it; when the head's deadline equals it, all
    /// deadlines are equal.
    latest: u64,
}

impl TimerHeap {
    /// An empty heap.
    pub const fn new() -> TimerHeap {
        TimerHeap {
            items: Vec::new(),
            latest: 0,
        }
    }

    /// Number of entries (cancelled ones included).
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when the heap holds nothing.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The head (smallest deadline), if any.
    pub fn peek(&self) -> Option<HeapEntry> {
        self.items.first().copied()
    }

    /// The entries in array order.
    pub fn as_slice(&self) -> &[HeapEntry] {
        &self.items
    }

    /// Removes every entry, keeping the allocation.
    pub fn clear(&mut self) {
        self.items.clear();
        self.latest = 0;
    }

    /// `heapq.heappush`.
    #[inline]
    pub fn push(&mut self, entry: HeapEntry) {
        self.latest = self.latest.max(entry.when);
        self.items.push(entry);
        let last = self.items.len() - 1;
        sift_toward_root(&mut self.items, 0, last, entry);
    }

    /// `heapq.heappop`.
    #[inline]
    pub fn pop(&mut self) -> Option<HeapEntry> {
        let last = self.items.pop()?;
        if self.items.is_empty() {
            self.latest = 0;
            return Some(last);
        }
        let top = self.items[0];
        if top.when == self.latest {
            self.sift_to_leaf_among_equals(last);
        } else {
            self.items[0] = last;
            self.sift_to_leaf(0);
        }
        Some(top)
    }

    /// Keeps only the entries for which `keep` is true, in their current array order, then
    /// re-heapifies: the rebuild step of `_run_once` (semantics 2.2 (1)).
    pub fn rebuild(&mut self, mut keep: impl FnMut(&HeapEntry) -> bool) {
        self.items.retain(|e| keep(e));
        self.latest = self.items.iter().map(|e| e.when).max().unwrap_or(0);
        for i in (0..self.items.len() / 2).rev() {
            self.sift_to_leaf(i);
        }
    }

    /// [`Self::sift_to_leaf`] of `item` from the root when every deadline is the same. Every
    /// comparison then has a known outcome: the hole takes the right child wherever there are
    /// two (a tie prefers it), the left one at the last level if it is alone there, and the
    /// item, not smaller than any parent, stays at the leaf the hole reached.
    #[inline(never)]
    fn sift_to_leaf_among_equals(&mut self, item: HeapEntry) {
        let items = &mut self.items[..];
        let mut pos = 0;
        while 2 * pos + 2 < items.len() {
            items[pos] = items[2 * pos + 2];
            pos = 2 * pos + 2;
        }
        if let Some(&only) = items.get(2 * pos + 1) {
            items[pos] = only;
            pos = 2 * pos + 1;
        }
        items[pos] = item;
    }

    /// heapq's `_siftup`: walk the hole down to a leaf, then sift the item back up.
    fn sift_to_leaf(&mut self, start: usize) {
        let items = &mut self.items[..];
        let item = items[start];
        let mut pos = start;
        // While both children exist, take the right one unless the left is strictly
        // smaller. The choice is computed, not branched on: it is a coin flip for the
        // predictor, level after level.
        while let Some(pair) = children(items, pos) {
            let right = usize::from(pair[0].when >= pair[1].when);
            let child = pair[right];
            items[pos] = child;
            pos = 2 * pos + 1 + right;
        }
        if let Some(&only) = items.get(2 * pos + 1) {
            items[pos] = only;
            pos = 2 * pos + 1;
        }
        sift_toward_root(items, start, pos, item);
    }
}

/// Both children of `pos` (at `2 * pos + 1` and `2 * pos + 2`), if both exist: the pair at
/// `pos` in `items[1..]` cut into pairs. One length check covers both.
#[inline]
fn children(items: &[HeapEntry], pos: usize) -> Option<&[HeapEntry; 2]> {
    items.get(1..)?.as_chunks::<2>().0.get(pos)
}

/// heapq's `_siftdown`: move `item`, which belongs at `pos` (whatever `pos` holds now is
/// overwritten), toward `start` while strictly smaller than its parent.
#[inline]
fn sift_toward_root(items: &mut [HeapEntry], start: usize, mut pos: usize, item: HeapEntry) {
    while pos > start {
        let parent = (pos - 1) / 2;
        let above = items[parent];
        if item.when < above.when {
            items[pos] = above;
            pos = parent;
        } else {
            break;
        }
    }
    items[pos] = item;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pop_order(heap: &mut TimerHeap) -> Vec<u32> {
        std::iter::from_fn(|| heap.pop()).map(|e| e.timer).collect()
    }

    fn push_all(heap: &mut TimerHeap, whens: &[u64]) {
        for (i, &when) in whens.iter().enumerate() {
            heap.push(HeapEntry {
                when,
                timer: i as u32,
            });
        }
    }

    /// LOOP-6: eight equal deadlines A..H pop as A C G F H E B D.
    #[test]
    fn loop_6_eight_equal_deadlines_pop_in_heap_order() {
        let mut h = TimerHeap::default();
        push_all(&mut h, &[5; 8]);
        assert_eq!(pop_order(&mut h), vec![0, 2, 6, 5, 7, 4, 1, 3]);
    }

    /// LOOP-6: with one later timer pushed after them they pop as A C G F H B D E.
    #[test]
    fn loop_6_a_later_deadline_changes_the_tie_order() {
        let mut h = TimerHeap::default();
        push_all(&mut h, &[5, 5, 5, 5, 5, 5, 5, 5, 9]);
        assert_eq!(pop_order(&mut h), vec![0, 2, 6, 5, 7, 1, 3, 4, 8]);
    }

    /// Semantics 2.3 note (b): four equal timers pop A C B D, five pop A C E B D.
    #[test]
    fn small_tie_orders() {
        let mut h = TimerHeap::default();
        push_all(&mut h, &[1; 4]);
        assert_eq!(pop_order(&mut h), vec![0, 2, 1, 3]);
        push_all(&mut h, &[1; 5]);
        assert_eq!(pop_order(&mut h), vec![0, 2, 4, 1, 3]);
    }

    #[test]
    fn distinct_deadlines_pop_sorted() {
        let mut h = TimerHeap::default();
        push_all(&mut h, &[9, 3, 7, 1, 8, 2]);
        let whens: Vec<u64> = std::iter::from_fn(|| h.pop()).map(|e| e.when).collect();
        assert_eq!(whens, vec![1, 2, 3, 7, 8, 9]);
    }

    /// heapq's algorithms as plainly as they are written in Python, to check the heap against.
    #[derive(Default)]
    struct PlainHeapq(Vec<HeapEntry>);

    impl PlainHeapq {
        fn push(&mut self, e: HeapEntry) {
            self.0.push(e);
            let last = self.0.len() - 1;
            self.siftdown(0, last);
        }

        fn pop(&mut self) -> Option<HeapEntry> {
            let last = self.0.pop()?;
            if self.0.is_empty() {
                return Some(last);
            }
            let top = std::mem::replace(&mut self.0[0], last);
            self.siftup(0);
            Some(top)
        }

        fn rebuild(&mut self, keep: impl Fn(&HeapEntry) -> bool) {
            self.0.retain(keep);
            for i in (0..self.0.len() / 2).rev() {
                self.siftup(i);
            }
        }

        fn siftdown(&mut self, start: usize, mut pos: usize) {
            let item = self.0[pos];
            while pos > start {
                let parent = (pos - 1) / 2;
                if item.when < self.0[parent].when {
                    self.0[pos] = self.0[parent];
                    pos = parent;
                } else {
                    break;
                }
            }
            self.0[pos] = item;
        }

        fn siftup(&mut self, mut pos: usize) {
            let (end, start, item) = (self.0.len(), pos, self.0[pos]);
            let mut child = 2 * pos + 1;
            while child < end {
                let right = child + 1;
                if right < end && self.0[right].when <= self.0[child].when {
                    child = right;
                }
                self.0[pos] = self.0[child];
                pos = child;
                child = 2 * pos + 1;
            }
            self.0[pos] = item;
            self.siftdown(start, pos);
        }
    }

    /// Long random runs of pushes, pops and rebuilds with many equal deadlines (all of them
    /// equal in some rounds), on heaps several levels deep, pop exactly what the plain
    /// algorithm pops.
    #[test]
    fn pops_match_the_plain_algorithm_on_random_histories() {
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for round in 0..200 {
            let (mut heap, mut plain) = (TimerHeap::default(), PlainHeapq::default());
            let spread = 1 + round % 7;
            for i in 0..2_000u32 {
                let roll = next() % 50;
                if roll == 0 {
                    // A rebuild dropping about a third of the entries (or all of the latest).
                    let latest = heap.as_slice().iter().map(|e| e.when).max();
                    let salt = next();
                    let keep = |e: &HeapEntry| {
                        (u64::from(e.timer) ^ salt) % 3 != 0
                            && (salt % 4 != 0 || Some(e.when) != latest)
                    };
                    heap.rebuild(keep);
                    plain.rebuild(keep);
                } else if roll % 5 < 3 {
                    let e = HeapEntry {
                        when: next() % spread,
                        timer: i,
                    };
                    heap.push(e);
                    plain.push(e);
                } else {
                    assert_eq!(heap.pop(), plain.pop(), "round {round}, op {i}");
                }
                assert_eq!(heap.as_slice(), &plain.0[..], "round {round}, op {i}");
            }
        }
    }

    #[test]
    fn rebuild_keeps_array_order_then_heapifies() {
        let mut h = TimerHeap::default();
        push_all(&mut h, &[4; 6]);
        h.rebuild(|e| e.timer % 2 == 0);
        assert_eq!(h.len(), 3);
        assert_eq!(pop_order(&mut h), vec![4, 2, 0]);
    }
}
