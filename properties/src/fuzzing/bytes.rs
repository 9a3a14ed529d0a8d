//! A reader over a fuzzer's input that never fails: past the end it reads zeros, so every
//! byte string decodes to something (and the empty input to the smallest thing).

/// Reads bytes from the front of an input; zeros once it is used up.
#[derive(Clone, Debug)]
pub struct Bytes<'a> {
    data: &'a [u8],
    next: usize,
}

impl<'a> Bytes<'a> {
    /// A reader at the start of `data`.
    pub fn new(data: &'a [u8]) -> Bytes<'a> {
        Bytes { data, next: 0 }
    }

    /// The next byte, or 0 past the end.
    pub fn byte(&mut self) -> u8 {
        let b = self.data.get(self.next).copied().unwrap_or(0);
        self.next += 1;
        b
    }

    /// The next byte modulo `n` (`n ≥ 1`).
    pub fn below(&mut self, n: usize) -> usize {
        usize::from(self.byte()) % n.max(1)
    }

    /// The next byte's lowest bit.
    pub fn bit(&mut self) -> bool {
        self.byte() & 1 == 1
    }

    /// The bytes not read yet (empty past the end).
    pub fn rest(&self) -> &'a [u8] {
        self.data.get(self.next..).unwrap_or(&[])
    }
}
