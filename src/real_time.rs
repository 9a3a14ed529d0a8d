//! The real-time clock: the same loop, waiting in a `mio` poll instead of jumping.
//!
//! ```text
//!   virtual loop:  nothing ready → clock jumps to the next deadline
//!   real loop:     nothing ready → mio::Poll::poll(timeout until the next deadline)
//!                                  woken early by LoopHandle::call_soon_threadsafe
//! ```
//!
//! Time is counted in ticks of a fixed duration since the loop was created. Callbacks sent
//! from other threads wait in an inbox and join the ready queue when the loop wakes. A loop
//! with nothing ready, no timer and no [`LoopHandle`] alive elsewhere can never be woken: that
//! is reported as a deadlock, as on the virtual clock.

use std::io;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mio::{Events, Poll, Token, Waker};

/// Callbacks sent from other threads, and the waker that interrupts the loop's poll.
struct Inbox {
    waker: Waker,
    queue: Mutex<Vec<Box<dyn FnOnce() + Send>>>,
}

/// A real clock and its poller, owned by one loop.
pub(crate) struct RealClock {
    origin: Instant,
    tick: Duration,
    poll: Poll,
    events: Events,
    inbox: Arc<Inbox>,
}

/// What the loop should do after a wait.
pub(crate) enum Waited {
    /// Time moved on to this many ticks; these callbacks arrived from other threads.
    Woke(u64, Vec<Box<dyn FnOnce() + Send>>),
    /// Nothing can ever wake the loop.
    Never,
}

impl RealClock {
    pub(crate) fn new(tick: Duration) -> io::Result<RealClock> {
        let poll = Poll::new()?;
        let waker = Waker::new(poll.registry(), Token(0))?;
        Ok(RealClock {
            origin: Instant::now(),
            tick: tick.max(Duration::from_nanos(1)),
            poll,
            events: Events::with_capacity(8),
            inbox: Arc::new(Inbox {
                waker,
                queue: Mutex::new(Vec::new()),
            }),
        })
    }

    /// Ticks elapsed since the loop was created.
    pub(crate) fn now(&self) -> u64 {
        let ticks = self.origin.elapsed().as_nanos() / self.tick.as_nanos();
        u64::try_from(ticks).unwrap_or(u64::MAX)
    }

    /// A handle for other threads.
    pub(crate) fn handle(&self) -> LoopHandle {
        LoopHandle(self.inbox.clone())
    }

    /// Waits until `deadline` (in ticks; `None`: until woken) or until another thread sends
    /// a callback. `block` is false when work is ready: then it only collects what arrived.
    pub(crate) fn wait(&mut self, deadline: Option<u64>, block: bool) -> io::Result<Waited> {
        let pending = !self
            .inbox
            .queue
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_empty();
        let timeout = if !block || pending {
            Some(Duration::ZERO)
        } else {
            match deadline {
                Some(when) => {
                    let ticks = when.saturating_sub(self.now());
                    let nanos = u128::from(ticks) * self.tick.as_nanos();
                    Some(Duration::from_nanos(
                        u64::try_from(nanos).unwrap_or(u64::MAX),
                    ))
                }
                None if Arc::strong_count(&self.inbox) == 1 => return Ok(Waited::Never),
                None => None,
            }
        };
        loop {
            match self.poll.poll(&mut self.events, timeout) {
                Ok(()) => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
        let arrived =
            std::mem::take(&mut *self.inbox.queue.lock().unwrap_or_else(|e| e.into_inner()));
        Ok(Waited::Woke(self.now(), arrived))
    }
}

/// A thread-safe handle to a real-time loop: `call_soon_threadsafe` from any thread.
#[derive(Clone)]
pub struct LoopHandle(Arc<Inbox>);

impl LoopHandle {
    /// `loop.call_soon_threadsafe(f)`: `f` runs on the loop's thread in an iteration after the
    /// loop wakes; wakes the loop if it is waiting.
    pub fn call_soon_threadsafe(&self, f: impl FnOnce() + Send + 'static) -> io::Result<()> {
        self.0
            .queue
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Box::new(f));
        self.0.waker.wake()
    }
}
