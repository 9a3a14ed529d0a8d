//! `call_soon`, `call_later`, `call_at` and their cancellable handles (LOOP-1..LOOP-5).
//!
//! A timer handle stays in the heap after it is cancelled, keeping its place in the heap's
//! shape, until the loop purges it (semantics 2.2, 2.3); a cancelled `call_soon` handle stays
//! in the ready queue as a skipped entry (LOOP-3).

use crate::core::{
    Core, Entry, HandleCb, HandleObj, SoonId, SoonSlot, TimerId, TimerSlot, with_loop,
};
use crate::heap::HeapEntry;

impl Core {
    /// Puts a handle's callback object in the handle arena; the handle carries what comes back.
    pub(crate) fn handle_cb(&mut self, obj: HandleObj) -> HandleCb {
        HandleCb::Object(self.handle_objs.store(obj))
    }

    /// Drops the callback object a cancelled handle no longer runs.
    fn drop_handle_cb(&mut self, cb: Option<HandleCb>) {
        if let Some(HandleCb::Object(id)) = cb {
            drop(self.handle_objs.take(id));
        }
    }

    /// `call_soon` of a callback; returns the handle id.
    pub(crate) fn call_soon_cb(&mut self, cb: HandleCb) -> SoonId {
        let id = self.soons.len() as SoonId;
        self.soons.push(SoonSlot {
            cancelled: false,
            cb: Some(cb),
        });
        self.push_ready(Entry::Soon(id));
        id
    }

    /// `call_at(when, cb)`: pushes a timer on the heap (LOOP-4).
    #[inline(always)]
    pub(crate) fn call_at_cb(&mut self, when: u64, cb: HandleCb) -> TimerId {
        let id = match self.free_timers.pop() {
            Some(id) => id,
            None => {
                self.timers.push(TimerSlot::RELEASED);
                (self.timers.len() - 1) as TimerId
            }
        };
        // Field by field in place: a slot assembled on the stack and copied in would be read
        // back with loads wider than the stores that built it, a stall on every timer.
        let slot = &mut self.timers[id as usize];
        debug_assert!(slot.cb.is_none(), "a free timer slot holds no callback");
        slot.when = when;
        slot.cancelled = false;
        slot.scheduled = true;
        slot.cb = Some(cb);
        self.heap.push(HeapEntry { when, timer: id });
        id
    }

    /// Gives the slot of a timer that has run back for reuse. Only for a timer that no
    /// handle can reach and that is neither in the heap nor queued (a `sleep`'s, once its
    /// callback finished the sleep's future).
    #[inline]
    pub(crate) fn release_timer(&mut self, id: TimerId) {
        debug_assert!(
            !self.timers[id as usize].scheduled && self.timers[id as usize].cb.is_none(),
            "only a timer that has run is released"
        );
        self.free_timers.push(id);
    }

    /// `TimerHandle.cancel()`: counts toward the purge rule only while in the heap.
    #[inline]
    pub(crate) fn cancel_timer(&mut self, id: TimerId) {
        let slot = &mut self.timers[id as usize];
        if !slot.cancelled {
            if slot.scheduled {
                self.cancelled_count += 1;
            }
            slot.cancelled = true;
            let cb = slot.cb.take();
            self.drop_handle_cb(cb);
        }
    }

    /// `Handle.cancel()` of a `call_soon` handle.
    pub(crate) fn cancel_soon(&mut self, id: SoonId) {
        let slot = &mut self.soons[id as usize];
        slot.cancelled = true;
        let cb = slot.cb.take();
        self.drop_handle_cb(cb);
    }
}

/// A `call_soon` handle (`asyncio.Handle`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Handle {
    pub(crate) id: SoonId,
    pub(crate) loop_id: u32,
}

impl Handle {
    /// `cancel()`: the callback will not run if it has not yet (LOOP-3).
    pub fn cancel(self) {
        with_loop(self.loop_id, |c| c.cancel_soon(self.id));
    }

    /// `cancelled()`.
    pub fn cancelled(self) -> bool {
        with_loop(self.loop_id, |c| c.soons[self.id as usize].cancelled)
    }
}

/// A timer handle (`asyncio.TimerHandle`) from `call_later` / `call_at`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimerHandle {
    pub(crate) id: TimerId,
    pub(crate) loop_id: u32,
}

impl TimerHandle {
    /// `cancel()`: the callback will not run; the entry stays in the heap until purged
    /// (LOOP-3, SLEEP-4).
    pub fn cancel(self) {
        with_loop(self.loop_id, |c| c.cancel_timer(self.id));
    }

    /// `cancelled()`.
    pub fn cancelled(self) -> bool {
        with_loop(self.loop_id, |c| c.timers[self.id as usize].cancelled)
    }

    /// `when()`: the deadline in ticks.
    pub fn when(self) -> u64 {
        with_loop(self.loop_id, |c| c.timers[self.id as usize].when)
    }
}
