//! The canonical trace (graph-format section 3): a structured model of its events, the
//! byte-exact writer, sinks that consume events as a run emits them, and a reader that
//! turns trace text back into the model.
//!
//! The model is what the interpreter emits and what exploration and oracles inspect; the
//! text form is only produced at the edges (`aiosim run`, golden files, fingerprints).

mod event;
mod hash;
mod key;
mod names;
mod op_kind;
mod outcome;
mod read;
mod sink;
mod write;

pub use event::{CallbackState, Event};
pub use hash::Fnv1a;
pub use names::NameSet;
pub use op_kind::OpKind;
pub use outcome::{Outcome, Res};
pub use read::{MAX_DEPTH, parse_event_line, parse_trace_jsonl};
pub use sink::{EventSink, JsonlWriter, Recorder};
pub(crate) use write::push_escaped_char;
pub use write::{write_event, write_outcome, write_res, write_str, write_value};

/// The events of one run, in emission order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Trace {
    /// The events; in a complete trace the last one is `finish`.
    pub events: Vec<Event>,
}

/// The fields of a trace's `finish` line, borrowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FinishView<'a> {
    /// Virtual time at the end of the run.
    pub t: u64,
    /// The run's outcome, `None` when it deadlocked before `main` was done.
    pub run: Option<&'a Outcome>,
    /// Whether the run ended by deadlock.
    pub deadlock: bool,
    /// Spawned tasks not done at the end.
    pub tasks_pending: &'a NameSet,
    /// Created futures not done at the end.
    pub futures_pending: &'a NameSet,
}

impl Trace {
    /// An empty trace.
    pub fn new() -> Self {
        Self::default()
    }

    /// The canonical JSON Lines text of the trace.
    pub fn to_jsonl(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.events.len() * 80);
        self.write_jsonl(&mut out);
        out
    }

    /// Appends the canonical JSON Lines text of the trace to `out`.
    pub fn write_jsonl(&self, out: &mut Vec<u8>) {
        for event in &self.events {
            write_event(event, out);
        }
    }

    /// Writes the canonical JSON Lines text of the trace to `out` line by line, then flushes
    /// it: the text is never held whole, however large the run's values make it (wrap an
    /// unbuffered output in a `BufWriter`).
    pub fn write_jsonl_to(&self, mut out: impl std::io::Write) -> std::io::Result<()> {
        let mut line = Vec::with_capacity(256);
        for event in &self.events {
            line.clear();
            write_event(event, &mut line);
            out.write_all(&line)?;
        }
        out.flush()
    }

    /// A 64-bit key of the events themselves, for telling traces apart in a sweep: equal
    /// traces get equal keys, and the events are hashed as they are, without writing them as
    /// text first (several times cheaper than [`Trace::canonical_hash`], which pins the
    /// text). The key may differ between builds of aiosim, so it is never written out.
    pub fn fingerprint(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut hasher = key::KeyHasher::new();
        self.events.hash(&mut hasher);
        hasher.finish()
    }

    /// FNV-1a (64-bit) of the canonical text: a fingerprint that is stable across
    /// platforms and builds. Computed line by line, without building the whole text.
    pub fn canonical_hash(&self) -> u64 {
        let mut hash = Fnv1a::new();
        // Feeding the hash cannot fail.
        let _ = self.write_jsonl_to(&mut hash);
        hash.digest()
    }

    /// The `finish` line, if the trace ends with one.
    pub fn finish(&self) -> Option<FinishView<'_>> {
        match self.events.last()? {
            Event::Finish {
                t,
                run,
                deadlock,
                tasks_pending,
                futures_pending,
            } => Some(FinishView {
                t: *t,
                run: run.as_ref(),
                deadlock: *deadlock,
                tasks_pending,
                futures_pending,
            }),
            _ => None,
        }
    }

    /// How the body of `task` finished: the `out` of its `end` event, if it has one.
    pub fn end_of(&self, task: &str) -> Option<&Outcome> {
        self.events.iter().find_map(|event| match event {
            Event::End {
                task: name, out, ..
            } if **name == *task => Some(out),
            _ => None,
        })
    }
}
