//! The hasher behind [`Trace::fingerprint`](super::Trace::fingerprint): a fast 64-bit key for
//! telling traces apart in a sweep.
//!
//! Every value the events feed in (each integer, and each string eight bytes at a time) is
//! mixed into the state with one 64×64→128-bit multiply whose halves are folded together,
//! the step fast general-purpose hashers use; a final fold mixes in the length. It is not a
//! defence against chosen inputs, only a key under which distinct traces collide with
//! negligible probability. SipHash, which `std` uses, spent several times as long per event.

use std::hash::Hasher;

const MULTIPLIER: u64 = 0x9e37_79b9_7f4a_7c15;
const FINAL: u64 = 0xc2b2_ae3d_27d4_eb4f;

/// The two halves of `a × b`, folded.
#[inline(always)]
fn fold(a: u64, b: u64) -> u64 {
    let product = u128::from(a) * u128::from(b);
    (product >> 64) as u64 ^ product as u64
}

/// A streaming 64-bit hasher with folded-multiply mixing.
#[derive(Debug)]
pub(crate) struct KeyHasher {
    state: u64,
    words: u64,
}

impl KeyHasher {
    /// A hasher that has seen nothing.
    pub(crate) fn new() -> KeyHasher {
        KeyHasher {
            state: 0x243f_6a88_85a3_08d3,
            words: 0,
        }
    }

    #[inline(always)]
    fn mix(&mut self, word: u64) {
        self.state = fold(self.state ^ word, MULTIPLIER);
        self.words += 1;
    }
}

impl Hasher for KeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        let (words, tail) = bytes.as_chunks::<8>();
        for w in words {
            self.mix(u64::from_le_bytes(*w));
        }
        let mut last = [0u8; 8];
        last[..tail.len()].copy_from_slice(tail);
        // The tail's length goes in its top byte, so "a" and "a\0" differ.
        last[7] = tail.len() as u8;
        self.mix(u64::from_le_bytes(last));
    }

    fn write_u8(&mut self, i: u8) {
        self.mix(u64::from(i));
    }

    fn write_u32(&mut self, i: u32) {
        self.mix(u64::from(i));
    }

    fn write_u64(&mut self, i: u64) {
        self.mix(i);
    }

    fn write_usize(&mut self, i: usize) {
        self.mix(i as u64);
    }

    fn finish(&self) -> u64 {
        fold(self.state ^ self.words, FINAL)
    }
}

#[cfg(test)]
mod tests {
    use std::hash::{Hash, Hasher};

    use super::KeyHasher;

    fn key(value: impl Hash) -> u64 {
        let mut h = KeyHasher::new();
        value.hash(&mut h);
        h.finish()
    }

    /// Values that differ only in how bytes split between fields, in order, or in trailing
    /// zeros get different keys, and equal values the same one.
    #[test]
    fn near_identical_inputs_get_different_keys() {
        assert_eq!(key(("ab", "c")), key(("ab", "c")));
        let keys = [
            key(("ab", "c")),
            key(("a", "bc")),
            key(("c", "ab")),
            key("a"),
            key("a\0"),
            key(""),
            key(0u64),
            key((0u64, 0u64)),
            key([1u32, 2]),
            key([2u32, 1]),
            key("abcdefgh"),
            key("abcdefgh\0"),
        ];
        for (i, k) in keys.iter().enumerate() {
            assert!(!keys[i + 1..].contains(k), "key {i} repeats");
        }
    }

    /// Over many small inputs every key is distinct (no structure in the inputs shows up as
    /// collisions).
    #[test]
    fn a_hundred_thousand_small_inputs_get_distinct_keys() {
        let mut keys: Vec<u64> = (0..100_000u64)
            .map(|i| key((i % 317, i / 317, "x")))
            .collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), 100_000);
    }
}
