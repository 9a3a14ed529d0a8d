//! # aiosim-properties: the invariant oracles
//!
//! One oracle per invariant ID of the asyncio semantics catalogue that can be judged from a
//! run: the scenario, its structured trace (with the iteration of every event and the start of
//! every op) and the final states of its tasks and futures. Each oracle returns findings that
//! name the ID, the events that prove it, and a sentence of explanation.
//!
//! Oracles of exact orders and latencies (catalogue tag `[F]`) run only on runs in CPython's
//! order; on explored schedules the timing ones are judged as "not before" (semantics 4.4).
//! [`Oracles`] runs a selection of them as an exploration [`Check`]; [`catalogue`] lists every
//! ID with its oracle or the reason it is judged elsewhere.

pub mod catalogue;
pub mod context;
pub mod fuzzing;
pub mod oracle;
pub mod oracles;
pub mod strategy;

pub use context::{Judged, TraceIndex};
pub use oracle::{Finding, Oracle, Oracles};

pub use aiosim_sim::explore::Check;
