//! Consumers of events as a run emits them.

use std::io;

use super::Trace;
use super::event::Event;
use super::write::write_event;

/// Receives the events of a run, in emission order.
pub trait EventSink {
    /// Takes the next event.
    fn event(&mut self, event: Event);
}

impl<S: EventSink + ?Sized> EventSink for &mut S {
    fn event(&mut self, event: Event) {
        (**self).event(event);
    }
}

/// Keeps every event, building a [`Trace`].
#[derive(Clone, Debug, Default)]
pub struct Recorder {
    trace: Trace,
}

impl Recorder {
    /// A recorder holding no event.
    pub fn new() -> Self {
        Self::default()
    }

    /// The events recorded so far.
    pub fn trace(&self) -> &Trace {
        &self.trace
    }

    /// Gives up the recorded trace.
    pub fn into_trace(self) -> Trace {
        self.trace
    }
}

impl EventSink for Recorder {
    fn event(&mut self, event: Event) {
        self.trace.events.push(event);
    }
}

/// Writes each event as a canonical line to an [`io::Write`] as soon as it arrives.
///
/// Lines are formatted into one reused buffer. Once a write fails, later events are
/// dropped and [`JsonlWriter::finish`] reports the first error.
#[derive(Debug)]
pub struct JsonlWriter<W: io::Write> {
    out: W,
    line: Vec<u8>,
    error: Option<io::Error>,
}

impl<W: io::Write> JsonlWriter<W> {
    /// A writer sending lines to `out` (wrap unbuffered outputs in a `BufWriter`).
    pub fn new(out: W) -> Self {
        Self {
            out,
            line: Vec::with_capacity(256),
            error: None,
        }
    }

    /// Flushes and returns the output, or the first write error met.
    pub fn finish(mut self) -> io::Result<W> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        self.out.flush()?;
        Ok(self.out)
    }
}

impl<W: io::Write> EventSink for JsonlWriter<W> {
    fn event(&mut self, event: Event) {
        if self.error.is_some() {
            return;
        }
        self.line.clear();
        write_event(&event, &mut self.line);
        if let Err(e) = self.out.write_all(&self.line) {
            self.error = Some(e);
        }
    }
}
