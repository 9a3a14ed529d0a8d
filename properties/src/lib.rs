//! Invariant oracles over aiosim runs, one per invariant ID of the semantics catalogue, and
//! proptest strategies that generate task graphs and schedules.
