//! A stable 64-bit hash (FNV-1a) for fingerprinting canonical trace bytes.
//!
//! Unlike `std`'s `DefaultHasher`, the result is fixed by the algorithm: the same bytes give
//! the same hash on every platform, build and release.

use std::io;

/// The FNV-1a 64-bit hash state. Also an [`io::Write`], so a trace writer can hash lines
/// as it produces them without keeping them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fnv1a(u64);

impl Fnv1a {
    const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;

    /// A hasher that has seen no byte.
    pub const fn new() -> Self {
        Self(Self::OFFSET_BASIS)
    }

    /// Feeds bytes to the hash.
    pub fn update(&mut self, bytes: &[u8]) {
        let mut h = self.0;
        for &b in bytes {
            h ^= u64::from(b);
            h = h.wrapping_mul(Self::PRIME);
        }
        self.0 = h;
    }

    /// The hash of every byte fed so far.
    pub const fn digest(&self) -> u64 {
        self.0
    }

    /// The hash of `bytes`.
    pub fn hash(bytes: &[u8]) -> u64 {
        let mut h = Self::new();
        h.update(bytes);
        h.digest()
    }
}

impl Default for Fnv1a {
    fn default() -> Self {
        Self::new()
    }
}

impl io::Write for Fnv1a {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
