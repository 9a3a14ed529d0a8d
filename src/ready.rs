//! The loop's ready queue (`loop._ready`): entries run in the order they were queued.
//!
//! An iteration runs the entries queued before it started, from the front, while the entries
//! it queues go to the back (LOOP-2). A plain vector and a read position serve that pattern
//! with less work per entry than a ring buffer: a push is a vector push and a pop a read,
//! with no wrap-around arithmetic. At the start of each iteration the entries already run are
//! dropped from the front once they are at least half the buffer ([`ReadyQueue::compact`]).

use crate::queued::Queued;

/// A first-in, first-out queue of ready entries.
#[derive(Debug, Default)]
pub(crate) struct ReadyQueue {
    /// Entries already run (before `head`) and waiting (from `head`).
    items: Vec<Queued>,
    /// Where the waiting entries start.
    head: usize,
}

impl ReadyQueue {
    /// An empty queue (usable in constant initialisers).
    pub(crate) const fn new() -> ReadyQueue {
        ReadyQueue {
            items: Vec::new(),
            head: 0,
        }
    }

    /// The number of waiting entries.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.items.len() - self.head
    }

    /// Whether nothing waits.
    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.head == self.items.len()
    }

    /// Queues an entry at the back.
    #[inline(always)]
    pub(crate) fn push_back(&mut self, entry: Queued) {
        self.items.push(entry);
    }

    /// Takes the entry at the front.
    #[inline(always)]
    pub(crate) fn pop_front(&mut self) -> Option<Queued> {
        let entry = *self.items.get(self.head)?;
        self.head += 1;
        Some(entry)
    }

    /// The waiting entries, front first.
    pub(crate) fn as_slice(&self) -> &[Queued] {
        &self.items[self.head..]
    }

    /// Drops the entries already run when nothing waits, or when they are at least as many
    /// as the waiting ones (which then move to the front): a waiting entry is moved only
    /// when more entries than it are dropped, so the cost stays constant per entry.
    #[inline]
    pub(crate) fn compact(&mut self) {
        if self.head == self.items.len() {
            self.items.clear();
            self.head = 0;
        } else if 2 * self.head >= self.items.len() {
            self.items.drain(..self.head);
            self.head = 0;
        }
    }

    /// Takes the whole buffer, leaving `spare` (emptied) as the queue's: no buffer is
    /// allocated and no entry moves (the waiting entries were mostly queued just before:
    /// copied right away, they would be read back with wider loads than the stores that
    /// wrote them, a stall). Returns it with the position where the waiting entries start
    /// (the ones before it had run).
    pub(crate) fn take_all(&mut self, mut spare: Vec<Queued>) -> (Vec<Queued>, usize) {
        spare.clear();
        let taken = std::mem::replace(&mut self.items, spare);
        (taken, std::mem::take(&mut self.head))
    }

    /// The buffer's capacity.
    #[cfg(test)]
    pub(crate) fn capacity(&self) -> usize {
        self.items.capacity()
    }

    /// Removes every entry, keeping the buffer.
    pub(crate) fn clear(&mut self) {
        self.items.clear();
        self.head = 0;
    }

    /// Removes and returns the waiting entries, front first.
    pub(crate) fn drain(&mut self) -> impl Iterator<Item = Queued> + '_ {
        let head = std::mem::take(&mut self.head);
        self.items.drain(..).skip(head)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::Entry;

    fn step(t: u32) -> Queued {
        Queued::pack(Entry::Step(t))
    }

    fn tasks(entries: impl IntoIterator<Item = Queued>) -> Vec<u32> {
        entries
            .into_iter()
            .map(|q| match q.entry() {
                Entry::Step(t) => t,
                _ => unreachable!("only steps here"),
            })
            .collect()
    }

    /// Pushes and pops interleaved as a loop does, with compaction between "iterations",
    /// against a plain `VecDeque`: the same entries come out in the same order.
    #[test]
    fn pops_in_push_order_across_compactions() {
        let mut queue = ReadyQueue::new();
        let mut model = std::collections::VecDeque::new();
        let mut x: u32 = 12345;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x
        };
        for round in 0..500u32 {
            if round % 7 == 0 {
                queue.compact();
            }
            for i in 0..next() % 5 {
                queue.push_back(step(round * 8 + i));
                model.push_back(round * 8 + i);
            }
            for _ in 0..next() % 6 {
                assert_eq!(queue.pop_front().map(|q| tasks([q])[0]), model.pop_front());
            }
            assert_eq!(queue.len(), model.len());
            assert_eq!(queue.is_empty(), model.is_empty());
            assert_eq!(
                tasks(queue.as_slice().iter().copied()),
                Vec::from(model.clone())
            );
        }
    }

    #[test]
    fn compaction_drops_run_entries_once_they_are_at_least_half() {
        let mut queue = ReadyQueue::new();
        (0..5).for_each(|t| queue.push_back(step(t)));
        queue.pop_front();
        queue.pop_front();
        queue.compact();
        assert_eq!(queue.items.len(), 5, "two run entries of five stay");
        queue.pop_front();
        queue.compact();
        assert_eq!(
            queue.items.len(),
            2,
            "three run entries of five are dropped"
        );
        queue.pop_front();
        queue.compact();
        assert_eq!(queue.items.len(), 1, "one run entry of two is dropped");
        queue.pop_front();
        queue.compact();
        assert!(queue.items.is_empty() && queue.is_empty());
        queue.push_back(step(7));
        assert_eq!(tasks(queue.drain()), [7]);
    }

    #[test]
    fn take_all_hands_over_the_waiting_entries_and_keeps_a_buffer() {
        let mut queue = ReadyQueue::new();
        (0..4).for_each(|t| queue.push_back(step(t)));
        queue.pop_front();
        let spare = Vec::with_capacity(8);
        let (taken, waiting) = queue.take_all(spare);
        assert_eq!(tasks(taken[waiting..].iter().copied()), [1, 2, 3]);
        assert!(queue.is_empty());
        assert!(queue.items.capacity() >= 8);
        queue.push_back(step(9));
        assert_eq!(tasks(queue.drain()), [9]);
    }
}
