//! A thread's spare decision buffer: the log of a finished run leaves its buffer here, and the
//! next log made on the thread starts from it, so that an exploration does not grow a buffer
//! from empty for every run.

use std::cell::Cell;

use super::Decision;

/// Buffers that can hold more decisions than this are not kept: a rare long run should not
/// pin its memory.
const MAX_KEPT: usize = 1 << 16;

thread_local! {
    static SPARE: Cell<Vec<Decision>> = const { Cell::new(Vec::new()) };
}

/// An empty buffer: the spare one if there is one.
pub(super) fn take() -> Vec<Decision> {
    SPARE.try_with(Cell::take).unwrap_or_default()
}

/// Leaves `buffer`, emptied, for the next log of this thread, unless it is too large or the
/// spare one is larger.
pub(super) fn give(mut buffer: Vec<Decision>) {
    if buffer.capacity() > MAX_KEPT {
        return;
    }
    buffer.clear();
    // During the thread's teardown there is nothing to keep the buffer for.
    let _ = SPARE.try_with(|spare| {
        let kept = spare.take();
        spare.set(if buffer.capacity() >= kept.capacity() {
            buffer
        } else {
            kept
        });
    });
}
