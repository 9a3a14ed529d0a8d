//! Fuzzer-driven choices: every choice is read from a byte string (a fuzzer's input), so that
//! a coverage-guided fuzzer steers the schedule as it mutates the bytes. Level: whatever level
//! the [`super::Recording`] it runs under offers.
//!
//! Encoding, one choice point after the other in the order the run meets them:
//!
//! - a point with `n ≤ 256` options reads **one byte** `b` and takes option `b % n`;
//! - a point with more options reads as many bytes as `n - 1` needs (two for up to 65 536
//!   options, ...), big-endian, and takes that number modulo `n`;
//! - once the bytes are used up every point takes option 0, CPython's choice (a missing byte
//!   of a multi-byte read counts as 0), so the empty input is the faithful schedule and a
//!   short input deviates only early in the run.
//!
//! [`Point::Inject`] points read no bytes: the loop asks before every handle, which would
//! spend the input on "no" answers. Cancellations are planned instead
//! ([`Fuzzed::inject_at`]): at inject step `step` the plan's victim selector `v` cancels
//! `pending[v % pending.len()]`; every other inject point takes option 0.
//!
//! ```
//! use aiosim_sim::policy::{Fuzzed, Point, Policy};
//! let mut policy = Fuzzed::new(vec![7, 1]);
//! let set = Point::Set { site: aiosim::SetSite::GroupAbort, remaining: 3 };
//! assert_eq!(policy.choose(&set), 1); // 7 % 3
//! assert_eq!(policy.choose(&set), 1);
//! assert_eq!(policy.choose(&set), 0); // input used up: CPython's choice
//! ```

use std::collections::BTreeMap;

use super::{Point, Policy};

/// Choices read from bytes, cancellations from a plan.
#[derive(Clone, Debug, Default)]
pub struct Fuzzed {
    bytes: Vec<u8>,
    /// Index of the next unread byte.
    next: usize,
    /// Inject step → victim selector.
    injections: BTreeMap<u64, u32>,
}

impl Fuzzed {
    /// Reads the choices from `bytes`; no cancellations planned.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Fuzzed {
        Fuzzed {
            bytes: bytes.into(),
            ..Fuzzed::default()
        }
    }

    /// Plans a cancellation before handle number `step` (the `step` of [`Point::Inject`]) of
    /// the pending task number `victim % pending.len()`. The first plan for a step wins.
    /// Injections happen only when the [`super::Recording`] was built with `injects`.
    pub fn inject_at(mut self, step: u64, victim: u32) -> Fuzzed {
        self.injections.entry(step).or_insert(victim);
        self
    }

    /// How many bytes the choices have read so far.
    pub fn consumed(&self) -> usize {
        self.next.min(self.bytes.len())
    }

    /// Reads one choice among `options` (at least 1).
    fn read(&mut self, options: u32) -> u32 {
        if self.next >= self.bytes.len() {
            return 0;
        }
        let width = bytes_for(options - 1);
        let mut value: u64 = 0;
        for _ in 0..width {
            let byte = self.bytes.get(self.next).copied().unwrap_or(0);
            self.next += 1;
            value = (value << 8) | u64::from(byte);
        }
        u32::try_from(value % u64::from(options)).expect("below options")
    }
}

/// How many bytes it takes to write `max` (at least one).
fn bytes_for(max: u32) -> usize {
    let bits = 32 - max.leading_zeros() as usize;
    bits.div_ceil(8).max(1)
}

impl Policy for Fuzzed {
    fn choose(&mut self, point: &Point<'_>) -> u32 {
        match *point {
            Point::Inject { step, pending } => match self.injections.get(&step) {
                Some(&victim) if !pending.is_empty() => {
                    1 + u32::try_from(victim as usize % pending.len()).expect("small")
                }
                _ => 0,
            },
            _ => self.read(point.options()),
        }
    }

    fn reads_candidates(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths() {
        assert_eq!(bytes_for(1), 1);
        assert_eq!(bytes_for(255), 1);
        assert_eq!(bytes_for(256), 2);
        assert_eq!(bytes_for(65_535), 2);
        assert_eq!(bytes_for(65_536), 3);
    }

    #[test]
    fn reads_bytes_then_zeros() {
        let mut f = Fuzzed::new(vec![5, 1, 2]);
        let early = Point::Early {
            now: 0,
            next: 1,
            ready: 1,
        };
        assert_eq!(f.choose(&early), 1);
        let set = Point::Set {
            site: aiosim::SetSite::GroupAbort,
            remaining: 300,
        };
        assert_eq!(f.choose(&set), 258); // (1 << 8 | 2) % 300
        assert_eq!(f.consumed(), 3);
        assert_eq!(f.choose(&early), 0);
    }

    #[test]
    fn injections_follow_the_plan() {
        let mut f = Fuzzed::new(Vec::new()).inject_at(2, 4).inject_at(2, 0);
        let pending = [3, 5, 8];
        let at = |step| Point::Inject {
            step,
            pending: &pending,
        };
        assert_eq!(f.choose(&at(0)), 0);
        assert_eq!(f.choose(&at(2)), 1 + 4 % 3);
        assert_eq!(f.consumed(), 0);
    }
}
