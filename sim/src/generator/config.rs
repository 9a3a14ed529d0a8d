//! The generator's knobs.

/// Limits of graph-format 2.6 that the generator never exceeds, whatever the configuration.
pub(crate) mod limits {
    /// At most 64 task definitions.
    pub const MAX_TASKS: usize = 64;
    /// At most 2048 ops in the whole document.
    pub const MAX_OPS: usize = 2048;
    /// Blocks nest at most 16 deep.
    pub const MAX_DEPTH: usize = 16;
    /// `gather`, `wait` and `as_completed` lists have at most 256 entries.
    pub const MAX_LIST: usize = 256;
    /// `wait` and `as_completed` name at most 16 distinct references.
    pub const MAX_DISTINCT: usize = 16;
    /// Durations and timeouts are at most 10^12 ticks.
    pub const MAX_TICKS: u64 = 1_000_000_000_000;
}

/// Knobs of [`generate`](super::generate). Every field has a sensible default
/// ([`GenConfig::default`]); out-of-range values are clamped to the limits of graph-format
/// 2.6, so any configuration yields valid graphs.
///
/// All probabilities are integer percentages (`0..=100`), never floats, so that a seed means
/// the same graph on every machine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GenConfig {
    /// Most task definitions per graph, `main` included (1 to 64; default 6). The count is
    /// drawn uniformly from `1..=max_tasks`.
    pub max_tasks: usize,
    /// Most future names per graph (default 3). The count is drawn from `0..=max_futures`.
    pub max_futures: usize,
    /// Most ops in a task body, not counting the `spawn`/`future`/`set_*` ops the plan forces
    /// into it (default 7). The length is drawn from `0..=max_ops_per_body`.
    pub max_ops_per_body: usize,
    /// Most ops in a nested block (`try` body, handler, `finally`, `timeout`, `taskgroup`;
    /// default 3).
    pub max_ops_per_block: usize,
    /// Deepest block nesting (0 to 16; default 3). A task body is depth 0.
    pub max_depth: usize,
    /// Most ops in the whole document (at most 2048; default 2048). Generation stops adding
    /// ops once the budget is spent.
    pub max_total_ops: usize,
    /// When set, the document gets exactly this many ops (clamped to `max_total_ops`): after
    /// normal generation, random non-block ops are inserted at random top-level positions of
    /// random task bodies until the count is reached. Default `None`.
    pub exact_ops: Option<usize>,
    /// Durations and timeouts are drawn from `0..=max_duration` (default 4). A small range
    /// makes many timers share a deadline, which exercises the heap order of equal deadlines.
    pub max_duration: u64,
    /// Timeouts (of `wait`, `wait_for`, `as_completed` and `timeout` blocks) are `null`, `0`,
    /// or drawn from `0..=max_timeout` (default 6). A range wider than the durations leaves
    /// more timers cancelled in the heap, where they still shape the order of equal deadlines.
    pub max_timeout: u64,
    /// Chance (percent) that a duration or timeout is instead drawn up to 10^12 (default 2).
    pub huge_duration_percent: u32,
    /// Most entries of a `gather`, `wait` or `as_completed` list (default 4; at most 256).
    pub max_list_len: usize,
    /// Chance (percent) that a future has no planned `set_result`/`set_exception` anywhere, so
    /// that awaiting it can deadlock (default 20).
    pub unset_future_percent: u32,
    /// Chance (percent) that a future gets a second planned setter, which raises
    /// `InvalidStateError` when both run (default 10).
    pub double_set_percent: u32,
    /// Chance (percent) that a body that spawns tasks by plan ends with `wait` ops on all of
    /// them (default 40), as a structured parent would; without it, big graphs tend to end
    /// with `main` and have the shutdown cancel everything else.
    pub join_children_percent: u32,
    /// Chance (percent), at each op slot of a block, of first writing a burst of 4 to 24
    /// empty `timeout` blocks with long timeouts (default 1): cancelled timers accumulate in
    /// the heap, which exercises the loop's rebuild of a heap of mostly cancelled timers.
    pub timer_burst_percent: u32,
    /// Chance (percent) that a body is resilient (default 15): each of its top-level ops is
    /// wrapped in a `try` with a catch-all handler (`Exception` or `BaseException`), so
    /// errors, and sometimes cancellations, do not end it early.
    pub resilient_percent: u32,
    /// Chance (percent) that a non-main task has no planned `spawn` (default 5). It can still
    /// be spawned by a random `spawn` op.
    pub unspawned_task_percent: u32,
    /// Chance (percent) that a reference is drawn from every eligible name rather than from
    /// the tasks spawned and futures created earlier in the same body. Stray
    /// references produce the runtime name errors of graph-format 4.5 (default 10).
    pub stray_ref_percent: u32,
    /// Chance (percent) that the document is written with unusual but valid JSON: shuffled key
    /// order, `\u` escapes of plain characters (also in keys), odd whitespace (default 10).
    pub syntax_noise_percent: u32,
    /// Chance (percent) that the document gets an `expect` list (default 10). `aiosim run`
    /// ignores it; it exercises the parser.
    pub expect_percent: u32,
    /// Relative weights of the op kinds.
    pub weights: OpWeights,
}

impl Default for GenConfig {
    fn default() -> Self {
        GenConfig {
            max_tasks: 6,
            max_futures: 3,
            max_ops_per_body: 7,
            max_ops_per_block: 3,
            max_depth: 3,
            max_total_ops: limits::MAX_OPS,
            exact_ops: None,
            max_duration: 4,
            max_timeout: 6,
            huge_duration_percent: 2,
            max_list_len: 4,
            unset_future_percent: 20,
            double_set_percent: 10,
            join_children_percent: 40,
            timer_burst_percent: 1,
            resilient_percent: 15,
            unspawned_task_percent: 5,
            stray_ref_percent: 10,
            syntax_noise_percent: 10,
            expect_percent: 10,
            weights: OpWeights::default(),
        }
    }
}

impl GenConfig {
    /// A copy with every field brought within the limits of graph-format 2.6.
    pub(crate) fn normalized(&self) -> GenConfig {
        let mut c = self.clone();
        c.max_tasks = c.max_tasks.clamp(1, limits::MAX_TASKS);
        c.max_depth = c.max_depth.min(limits::MAX_DEPTH);
        c.max_total_ops = c.max_total_ops.min(limits::MAX_OPS);
        c.exact_ops = c.exact_ops.map(|n| n.min(c.max_total_ops));
        c.max_duration = c.max_duration.min(limits::MAX_TICKS);
        c.max_timeout = c.max_timeout.min(limits::MAX_TICKS);
        c.max_list_len = c.max_list_len.min(limits::MAX_LIST);
        for p in [
            &mut c.huge_duration_percent,
            &mut c.unset_future_percent,
            &mut c.double_set_percent,
            &mut c.join_children_percent,
            &mut c.timer_burst_percent,
            &mut c.resilient_percent,
            &mut c.unspawned_task_percent,
            &mut c.stray_ref_percent,
            &mut c.syntax_noise_percent,
            &mut c.expect_percent,
        ] {
            *p = (*p).min(100);
        }
        c
    }
}

/// Relative weights of the 22 op kinds (graph-format 2.5). A kind of weight 0 is never
/// chosen freely (the plan may still force `spawn`, `future` and `set_*` ops). Weights of
/// block kinds apply only where nesting is still allowed; `raise` covers both a new exception
/// and, inside a handler, the re-raise.
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct OpWeights {
    pub spawn: u32,
    pub sleep: u32,
    pub await_: u32,
    pub gather: u32,
    pub wait: u32,
    pub wait_for: u32,
    pub shield: u32,
    pub as_completed: u32,
    pub cancel: u32,
    pub return_: u32,
    pub raise: u32,
    pub try_: u32,
    pub timeout: u32,
    pub taskgroup: u32,
    pub future: u32,
    pub set_result: u32,
    pub set_exception: u32,
    pub add_done_callback: u32,
    pub done: u32,
    pub cancelled: u32,
    pub cancelling: u32,
    pub uncancel: u32,
}

impl Default for OpWeights {
    fn default() -> Self {
        OpWeights {
            spawn: 1,
            sleep: 10,
            await_: 8,
            gather: 4,
            wait: 4,
            wait_for: 4,
            shield: 3,
            as_completed: 3,
            cancel: 6,
            return_: 3,
            raise: 4,
            try_: 6,
            timeout: 4,
            taskgroup: 3,
            future: 1,
            set_result: 3,
            set_exception: 2,
            add_done_callback: 3,
            done: 2,
            cancelled: 2,
            cancelling: 2,
            uncancel: 2,
        }
    }
}

impl OpWeights {
    /// Every kind with the same weight `w`.
    pub fn uniform(w: u32) -> Self {
        OpWeights {
            spawn: w,
            sleep: w,
            await_: w,
            gather: w,
            wait: w,
            wait_for: w,
            shield: w,
            as_completed: w,
            cancel: w,
            return_: w,
            raise: w,
            try_: w,
            timeout: w,
            taskgroup: w,
            future: w,
            set_result: w,
            set_exception: w,
            add_done_callback: w,
            done: w,
            cancelled: w,
            cancelling: w,
            uncancel: w,
        }
    }

    /// The weight of `kind`.
    pub(crate) fn of(&self, kind: Kind) -> u32 {
        match kind {
            Kind::Spawn => self.spawn,
            Kind::Sleep => self.sleep,
            Kind::Await => self.await_,
            Kind::Gather => self.gather,
            Kind::Wait => self.wait,
            Kind::WaitFor => self.wait_for,
            Kind::Shield => self.shield,
            Kind::AsCompleted => self.as_completed,
            Kind::Cancel => self.cancel,
            Kind::Return => self.return_,
            Kind::Raise => self.raise,
            Kind::Try => self.try_,
            Kind::Timeout => self.timeout,
            Kind::Taskgroup => self.taskgroup,
            Kind::Future => self.future,
            Kind::SetResult => self.set_result,
            Kind::SetException => self.set_exception,
            Kind::AddDoneCallback => self.add_done_callback,
            Kind::Done => self.done,
            Kind::Cancelled => self.cancelled,
            Kind::Cancelling => self.cancelling,
            Kind::Uncancel => self.uncancel,
        }
    }
}

/// The op kinds; the weighted draw goes in [`Kind::ALL`] order (the graph-format op table).
pub(crate) use crate::trace::OpKind as Kind;

impl Kind {
    /// Whether the op holds nested blocks.
    pub(crate) fn is_block(self) -> bool {
        matches!(self, Kind::Try | Kind::Timeout | Kind::Taskgroup)
    }
}
