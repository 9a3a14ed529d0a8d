//! Op generation: task bodies and nested blocks, under the static rules of graph-format 2.6.
//!
//! How each rule is kept:
//!
//! - references name existing tasks/futures of the right sort (rule 2): every name comes
//!   from the [`Plan`], and a future name always gets its `future` op (the plan forces it);
//! - no op awaits its own task (rule 3) and there are no await cycles (rule 4): `await`,
//!   `wait_for` and `gather` in the body of a task name only tasks of a higher await level
//!   (a permutation of the tasks, [`Plan::await_level`]) or futures; `wait`, `shield` and
//!   `as_completed`, which make no cycle edge, name any task but their own;
//! - `{"raise": null}` only inside a handler's `do` block, at any depth (rule 5);
//! - list sizes, distinct references, block depth, op count and durations within the limits
//!   (rules 6 and 7).

use super::config::{GenConfig, Kind, limits};
use super::json::Json;
use super::plan::Plan;
use super::rng::Rng;
use super::values;

/// The generator's state while it writes the bodies of one graph.
pub(crate) struct OpGen<'a> {
    pub rng: &'a mut Rng,
    pub cfg: &'a GenConfig,
    pub plan: &'a Plan,
    /// Ops written so far.
    pub emitted: usize,
    /// Forced ops (planned spawns, creations, sets) not written yet; they are reserved in
    /// the op budget.
    pub reserved: usize,
}

/// What one task body has done so far, lexically.
pub(crate) struct Body {
    rank: usize,
    pending_spawns: Vec<usize>,
    pending_creates: Vec<usize>,
    pending_sets: Vec<usize>,
    /// Tasks this body has spawned earlier, and tasks its ancestors in the spawn tree spawn
    /// (the ancestors included): the usual targets of its references.
    spawned: Vec<usize>,
    /// Futures this body has created earlier, and futures its ancestors create.
    created: Vec<usize>,
    /// Every top-level op is wrapped in a catch-all `try`.
    resilient: bool,
}

/// Where an op is being generated.
#[derive(Clone, Copy)]
struct Ctx {
    /// Depth of the enclosing block (a task body is 0).
    depth: usize,
    /// Inside the `do` block of a handler (at any depth): `{"raise": null}` is allowed.
    in_handler: bool,
    /// Inside a `taskgroup` body: planned spawns are placed here more eagerly.
    in_taskgroup: bool,
    /// Only non-block ops (padding).
    leaf_only: bool,
}

/// Which tasks an op may name.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Reach {
    /// Only tasks of a higher await level (`await`, `wait_for`, `gather`: cycle edges).
    Higher,
    /// Any task but the body's own (`wait`, `shield`, `as_completed`).
    Others,
    /// Any task, its own included (`cancel`, `done`, callbacks, ...).
    Any,
}

impl<'a> OpGen<'a> {
    /// Generates the body of the task of rank `rank`.
    pub(crate) fn body(&mut self, rank: usize) -> (Vec<Json>, Body) {
        let mut body = Body {
            rank,
            pending_spawns: self.plan.spawns[rank].clone(),
            pending_creates: self.plan.creates[rank].clone(),
            pending_sets: self.plan.sets[rank].clone(),
            spawned: Vec::new(),
            created: Vec::new(),
            resilient: self.rng.percent(self.cfg.resilient_percent),
        };
        let mut ancestor = self.plan.parent_of(rank);
        while let Some(a) = ancestor {
            body.spawned.push(a);
            body.spawned
                .extend(self.plan.spawns[a].iter().filter(|&&t| t != rank));
            body.created.extend(&self.plan.creates[a]);
            ancestor = self.plan.parent_of(a);
        }
        let ctx = Ctx {
            depth: 0,
            in_handler: false,
            in_taskgroup: false,
            leaf_only: false,
        };
        // Most creations and many spawns open the body, so that later references (from
        // this body and from the tasks it spawns) usually find their objects.
        let mut ops = Vec::new();
        let creates = body.pending_creates.len();
        for _ in 0..creates {
            if self.rng.percent(70) {
                ops.push(self.forced_create(&mut body));
            }
        }
        let spawns = body.pending_spawns.len();
        for _ in 0..spawns {
            if self.rng.percent(40) {
                ops.push(self.forced_spawn(&mut body));
            }
        }
        ops.extend(self.block(&mut body, ctx, self.cfg.max_ops_per_body));
        // A structured parent waits for the children it spawns before its body ends, so that
        // big graphs keep running instead of being cancelled by the shutdown at once.
        let children = self.plan.spawns[rank].clone();
        if !children.is_empty() && self.rng.percent(self.cfg.join_children_percent) {
            for chunk in children.chunks(limits::MAX_DISTINCT) {
                if self.emitted + self.reserved >= self.cfg.max_total_ops {
                    break;
                }
                self.emitted += 1;
                let names = chunk
                    .iter()
                    .map(|&t| Json::str(&self.plan.task_names[t]))
                    .collect();
                ops.push(Json::obj([("wait", Json::Arr(names))]));
            }
        }
        // Forced ops that found no place go to the top level: spawns and creations mostly
        // near the start (so that later references find them), sets in the second half
        // (after their creation, when this body creates the future too).
        while let Some(op) = self.forced(&mut body) {
            let len = ops.len();
            let at = if matches!(&op, Json::Obj(pairs) if pairs[0].0.starts_with("set_")) {
                len / 2 + self.rng.upto(len - len / 2)
            } else if self.rng.percent(50) {
                self.rng.upto(len.min(1))
            } else {
                self.rng.upto(len)
            };
            ops.insert(at, op);
        }
        (ops, body)
    }

    /// One non-block op for `body`, for padding; `None` when the op budget is spent.
    pub(crate) fn padding_op(&mut self, body: &mut Body) -> Option<Json> {
        let ctx = Ctx {
            depth: 0,
            in_handler: false,
            in_taskgroup: false,
            leaf_only: true,
        };
        self.op(body, ctx)
    }

    fn block(&mut self, body: &mut Body, ctx: Ctx, max_len: usize) -> Vec<Json> {
        let len = self.rng.upto(max_len);
        let mut ops = Vec::with_capacity(len);
        for _ in 0..len {
            if ctx.depth < self.cfg.max_depth
                && !ctx.leaf_only
                && self.rng.percent(self.cfg.timer_burst_percent)
            {
                self.timer_burst(&mut ops);
            }
            let op = if body.resilient && ctx.depth == 0 && self.cfg.max_depth > 0 {
                self.guarded_op(body, ctx)
            } else {
                self.op(body, ctx)
            };
            match op {
                Some(op) => ops.push(op),
                None => break,
            }
        }
        ops
    }

    /// A task group whose body, cancelled because a child failed, catches the cancellation
    /// and spawns again into the aborting group (`RuntimeError: TaskGroup ... is shutting
    /// down`, graph-format 3.4), or sees the group finish normally if the child did not fail:
    ///
    /// `{"taskgroup": [{"spawn": A}, {"try": [{"sleep": N}], "except":
    /// [{"type": "CancelledError" | "BaseException", "do": [{"spawn": B}]}]}]}`
    ///
    /// Four ops: the group, both spawns (planned ones, already reserved) and the `try`, plus
    /// the `sleep`.
    fn aborting_group(&mut self, body: &mut Body) -> Json {
        // `op` counted the group itself; the `try` and the `sleep` are extra (the budget
        // may overshoot by two here, so check and fall back to an empty group).
        if self.emitted + self.reserved + 2 > self.cfg.max_total_ops {
            return Json::obj([("taskgroup", Json::Arr(Vec::new()))]);
        }
        self.emitted += 2;
        let first = self.forced_spawn(body);
        let second = self.forced_spawn(body);
        let ty = if self.rng.percent(70) {
            "CancelledError"
        } else {
            "BaseException"
        };
        let ticks = self.rng.range_u64(1, self.cfg.max_duration.max(1)) as i64;
        let sleep = Json::obj([("sleep", Json::Int(ticks))]);
        let handler = Json::obj([("type", Json::str(ty)), ("do", Json::Arr(vec![second]))]);
        let guarded = Json::obj([
            ("try", Json::Arr(vec![sleep])),
            ("except", Json::Arr(vec![handler])),
        ]);
        Json::obj([("taskgroup", Json::Arr(vec![first, guarded]))])
    }

    /// A burst of empty `timeout` blocks with long timeouts: each leaves a cancelled timer in
    /// the heap, so that enough of them accumulate for the loop's rebuild rule (more than 100
    /// timers, more than half of them cancelled; graph-format section 7).
    fn timer_burst(&mut self, ops: &mut Vec<Json>) {
        let len = 4 + self.rng.below(21);
        let max = self.cfg.max_timeout.max(1);
        for _ in 0..len {
            if self.emitted + self.reserved >= self.cfg.max_total_ops {
                break;
            }
            self.emitted += 1;
            let ticks = self.rng.range_u64(max.div_ceil(2), max) as i64;
            ops.push(Json::obj([
                ("timeout", Json::Int(ticks)),
                ("do", Json::Arr(Vec::new())),
            ]));
        }
    }

    /// An op of a resilient body: wrapped in a `try` whose catch-all handler (`Exception` or
    /// `BaseException`) swallows what it raises, so the body goes on.
    fn guarded_op(&mut self, body: &mut Body, ctx: Ctx) -> Option<Json> {
        if self.emitted + self.reserved + 2 > self.cfg.max_total_ops {
            return self.op(body, ctx);
        }
        self.emitted += 1;
        let inner = Ctx {
            depth: ctx.depth + 1,
            ..ctx
        };
        let Some(op) = self.op(body, inner) else {
            self.emitted -= 1;
            return None;
        };
        let ty = if self.rng.percent(70) {
            "Exception"
        } else {
            "BaseException"
        };
        let handler = Json::obj([("type", Json::str(ty)), ("do", Json::Arr(Vec::new()))]);
        Some(Json::obj([
            ("try", Json::Arr(vec![op])),
            ("except", Json::Arr(vec![handler])),
        ]))
    }

    fn has_pending(body: &Body) -> bool {
        !(body.pending_spawns.is_empty()
            && body.pending_creates.is_empty()
            && body.pending_sets.is_empty())
    }

    /// The next op of a block, or `None` when the budget is spent.
    fn op(&mut self, body: &mut Body, ctx: Ctx) -> Option<Json> {
        let free = self.emitted + self.reserved < self.cfg.max_total_ops;
        if Self::has_pending(body) {
            let eager = if ctx.in_taskgroup && !body.pending_spawns.is_empty() {
                60
            } else {
                30
            };
            if !free || self.rng.percent(eager) {
                return self.forced(body);
            }
        }
        if !free {
            return None;
        }
        self.emitted += 1;
        let weights: Vec<u32> = Kind::ALL
            .iter()
            .map(|&kind| self.weight(body, ctx, kind))
            .collect();
        for _ in 0..8 {
            let Some(i) = self.rng.weighted(&weights) else {
                break;
            };
            if let Some(op) = self.build(body, ctx, Kind::ALL[i]) {
                return Some(op);
            }
        }
        Some(Json::obj([("sleep", Json::Int(0))]))
    }

    fn weight(&self, body: &Body, ctx: Ctx, kind: Kind) -> u32 {
        let w = self.cfg.weights.of(kind);
        let no_futures = self.plan.future_names.is_empty();
        match kind {
            _ if kind.is_block() && (ctx.leaf_only || ctx.depth + 1 > self.cfg.max_depth) => 0,
            Kind::Future | Kind::SetResult | Kind::SetException if no_futures => 0,
            // Spawns are mostly forced by the plan; a free spawn of a planned task would only
            // pre-empt its planned parent.
            Kind::Spawn if !body.pending_spawns.is_empty() => w * 2,
            // At the top level of a body, `raise` and `return` end it: keep them rarer there
            // than inside blocks.
            Kind::Raise | Kind::Return if ctx.depth == 0 => w.div_ceil(3),
            _ => w,
        }
    }

    /// Writes a forced op (planned spawn, creation or set), if any is pending.
    fn forced(&mut self, body: &mut Body) -> Option<Json> {
        // Sets of futures this body has yet to create wait until the creation is written.
        let settable: Vec<usize> = (0..body.pending_sets.len())
            .filter(|&i| !body.pending_creates.contains(&body.pending_sets[i]))
            .collect();
        let mut choices = Vec::new();
        if !body.pending_spawns.is_empty() {
            choices.push(0);
        }
        if !body.pending_creates.is_empty() {
            choices.push(1);
        }
        if !settable.is_empty() {
            choices.push(2);
        }
        if choices.is_empty() {
            return None;
        }
        Some(match *self.rng.pick(&choices) {
            0 => self.forced_spawn(body),
            1 => self.forced_create(body),
            _ => {
                self.reserved -= 1;
                self.emitted += 1;
                let i = *self.rng.pick(&settable);
                let future = body.pending_sets.remove(i);
                self.set_op(future)
            }
        })
    }

    /// The next planned spawn (one must be pending).
    fn forced_spawn(&mut self, body: &mut Body) -> Json {
        self.reserved -= 1;
        self.emitted += 1;
        let task = body.pending_spawns.remove(0);
        body.spawned.push(task);
        Json::obj([("spawn", Json::str(&self.plan.task_names[task]))])
    }

    /// The next planned creation (one must be pending).
    fn forced_create(&mut self, body: &mut Body) -> Json {
        self.reserved -= 1;
        self.emitted += 1;
        let future = body.pending_creates.remove(0);
        body.created.push(future);
        Json::obj([("future", Json::str(&self.plan.future_names[future]))])
    }

    fn set_op(&mut self, future: usize) -> Json {
        let name = Json::str(&self.plan.future_names[future]);
        if self.rng.percent(70) {
            Json::obj([("set_result", name), ("value", values::value(self.rng))])
        } else {
            Json::obj([
                ("set_exception", name),
                ("exc", values::exception(self.rng)),
            ])
        }
    }

    /// An op of `kind`, or `None` if it has no possible reference here.
    fn build(&mut self, body: &mut Body, ctx: Ctx, kind: Kind) -> Option<Json> {
        let inner = Ctx {
            depth: ctx.depth + 1,
            ..ctx
        };
        let block_len = self.cfg.max_ops_per_block;
        Some(match kind {
            Kind::Spawn => {
                if !body.pending_spawns.is_empty() {
                    // Counted as a forced op: give back the free slot taken by `op`.
                    self.emitted -= 1;
                    self.forced_spawn(body)
                } else {
                    // A task spawned already (`ScenarioError`), or one the plan leaves alone.
                    let task = self.rng.below(self.plan.n_tasks());
                    body.spawned.push(task);
                    Json::obj([("spawn", Json::str(&self.plan.task_names[task]))])
                }
            }
            Kind::Sleep => Json::obj([("sleep", Json::Int(self.duration()))]),
            Kind::Await => Json::obj([("await", self.target(body, Reach::Higher)?)]),
            Kind::Gather => {
                let refs = self.ref_list(body, Reach::Higher, 0, None)?;
                let mut op = Json::obj([("gather", refs)]);
                match self.rng.below(3) {
                    0 => {}
                    1 => op.push("return_exceptions", Json::Bool(false)),
                    _ => op.push("return_exceptions", Json::Bool(true)),
                }
                op
            }
            Kind::Wait => {
                let refs = self.ref_list(body, Reach::Others, 1, Some(limits::MAX_DISTINCT))?;
                let mut op = Json::obj([("wait", refs)]);
                match self.rng.below(4) {
                    0 => {}
                    1 => op.push("return_when", Json::str("ALL_COMPLETED")),
                    2 => op.push("return_when", Json::str("FIRST_COMPLETED")),
                    _ => op.push("return_when", Json::str("FIRST_EXCEPTION")),
                }
                if let Some(t) = self.optional_timeout() {
                    op.push("timeout", t);
                }
                op
            }
            Kind::WaitFor => {
                let target = self.target(body, Reach::Higher)?;
                Json::obj([("wait_for", target), ("timeout", self.timeout())])
            }
            Kind::Shield => Json::obj([("shield", self.target(body, Reach::Others)?)]),
            Kind::AsCompleted => {
                let refs = self.ref_list(body, Reach::Others, 0, Some(limits::MAX_DISTINCT))?;
                let mut op = Json::obj([("as_completed", refs)]);
                if let Some(t) = self.optional_timeout() {
                    op.push("timeout", t);
                }
                op
            }
            Kind::Cancel => {
                let target = if self.rng.percent(15) {
                    Json::str(&self.plan.task_names[body.rank])
                } else {
                    self.target(body, Reach::Any)?
                };
                let mut op = Json::obj([("cancel", target)]);
                if let Some(msg) = values::message(self.rng) {
                    op.push("msg", msg);
                }
                op
            }
            Kind::Return => Json::obj([("return", values::value(self.rng))]),
            Kind::Raise => {
                if ctx.in_handler && self.rng.percent(35) {
                    Json::obj([("raise", Json::Null)])
                } else {
                    Json::obj([("raise", values::exception(self.rng))])
                }
            }
            Kind::Try => {
                let try_body = self.block(body, inner, block_len);
                let mut types: Vec<&str> = Vec::new();
                for _ in 0..self.rng.upto(3) {
                    let ty = values::handler_type(self.rng);
                    if !types.contains(&ty) {
                        types.push(ty);
                    }
                }
                let handler_ctx = Ctx {
                    in_handler: true,
                    ..inner
                };
                let handlers: Vec<Json> = types
                    .iter()
                    .map(|&ty| {
                        let block = self.block(body, handler_ctx, block_len);
                        Json::obj([("type", Json::str(ty)), ("do", Json::Arr(block))])
                    })
                    .collect();
                let mut op = Json::obj([("try", Json::Arr(try_body))]);
                if !handlers.is_empty() || self.rng.percent(20) {
                    op.push("except", Json::Arr(handlers.clone()));
                }
                if handlers.is_empty() || self.rng.percent(40) {
                    let finally = self.block(body, inner, block_len);
                    op.push("finally", Json::Arr(finally));
                }
                op
            }
            Kind::Timeout => {
                let timeout = self.timeout();
                let block = self.block(body, inner, block_len);
                Json::obj([("timeout", timeout), ("do", Json::Arr(block))])
            }
            Kind::Taskgroup => {
                let tg_ctx = Ctx {
                    in_taskgroup: true,
                    ..inner
                };
                if body.pending_spawns.len() >= 2
                    && ctx.depth + 2 <= self.cfg.max_depth
                    && self.rng.percent(30)
                {
                    return Some(self.aborting_group(body));
                }
                let block = self.block(body, tg_ctx, block_len);
                Json::obj([("taskgroup", Json::Arr(block))])
            }
            Kind::Future => {
                if !body.pending_creates.is_empty() {
                    self.emitted -= 1;
                    self.forced_create(body)
                } else {
                    // Already created (`ScenarioError`), or ahead of its planned creator.
                    let future = self.rng.below(self.plan.future_names.len());
                    body.created.push(future);
                    Json::obj([("future", Json::str(&self.plan.future_names[future]))])
                }
            }
            Kind::SetResult | Kind::SetException => {
                let future = self.future(body);
                let name = Json::str(&self.plan.future_names[future]);
                if kind == Kind::SetResult {
                    Json::obj([("set_result", name), ("value", values::value(self.rng))])
                } else {
                    Json::obj([
                        ("set_exception", name),
                        ("exc", values::exception(self.rng)),
                    ])
                }
            }
            Kind::AddDoneCallback => {
                let target = self.target(body, Reach::Any)?;
                let label = if self.rng.percent(10) {
                    self.plan.task_names[body.rank].clone()
                } else {
                    values::LABELS[self.rng.below(values::LABELS.len())].to_owned()
                };
                Json::obj([("add_done_callback", target), ("label", Json::Str(label))])
            }
            Kind::Done => Json::obj([("done", self.target(body, Reach::Any)?)]),
            Kind::Cancelled => Json::obj([("cancelled", self.target(body, Reach::Any)?)]),
            Kind::Cancelling => Json::obj([("cancelling", self.task(body))]),
            Kind::Uncancel => Json::obj([("uncancel", self.task(body))]),
        })
    }

    // -- references ----------------------------------------------------------------------

    /// Ranks of the tasks a reference of `reach` may name.
    fn reachable(&self, rank: usize, reach: Reach) -> impl Iterator<Item = usize> + use<> {
        let n = self.plan.n_tasks();
        let level = self.plan.await_level.clone();
        (0..n).filter(move |&t| match reach {
            Reach::Higher => level[t] > level[rank],
            Reach::Others => t != rank,
            Reach::Any => true,
        })
    }

    /// A task or future name for an op of `reach`: mostly one this body spawned or created
    /// earlier, sometimes any eligible one (possibly not spawned or created yet, a runtime
    /// name error).
    fn target(&mut self, body: &Body, reach: Reach) -> Option<Json> {
        let rank = body.rank;
        let known: Vec<String> = body
            .spawned
            .iter()
            .copied()
            .filter(|&t| self.reachable(rank, reach).any(|r| r == t))
            .map(|t| self.plan.task_names[t].clone())
            .chain(
                body.created
                    .iter()
                    .map(|&f| self.plan.future_names[f].clone()),
            )
            .collect();
        if !known.is_empty() && !self.rng.percent(self.cfg.stray_ref_percent) {
            return Some(Json::Str(self.rng.pick(&known).clone()));
        }
        let all: Vec<String> = self
            .reachable(rank, reach)
            .map(|t| self.plan.task_names[t].clone())
            .chain(self.plan.future_names.iter().cloned())
            .collect();
        if all.is_empty() {
            return None;
        }
        Some(Json::Str(self.rng.pick(&all).clone()))
    }

    /// A list of `min..=max_list_len` references (duplicates likely), with at most
    /// `distinct` different names; rarely as long as the limit of 256 entries.
    fn ref_list(
        &mut self,
        body: &Body,
        reach: Reach,
        min: usize,
        distinct: Option<usize>,
    ) -> Option<Json> {
        let max = self.cfg.max_list_len.max(min);
        let len = if self.rng.percent(1) {
            limits::MAX_LIST
        } else {
            min + self.rng.upto(max - min)
        };
        let mut names: Vec<Json> = Vec::with_capacity(len);
        let mut seen: Vec<Json> = Vec::new();
        for _ in 0..len {
            let name = if !seen.is_empty() && self.rng.percent(15) {
                self.rng.pick(&seen).clone()
            } else {
                self.target(body, reach)?
            };
            if !seen.contains(&name) {
                if distinct.is_some_and(|d| seen.len() >= d) {
                    let again = self.rng.pick(&seen).clone();
                    names.push(again);
                    continue;
                }
                seen.push(name.clone());
            }
            names.push(name);
        }
        Some(Json::Arr(names))
    }

    /// A task name for `cancelling`/`uncancel`: itself, a task it spawned, or any task.
    fn task(&mut self, body: &Body) -> Json {
        let rank = if self.rng.percent(30) {
            body.rank
        } else if !body.spawned.is_empty() && !self.rng.percent(self.cfg.stray_ref_percent) {
            *self.rng.pick(&body.spawned)
        } else {
            self.rng.below(self.plan.n_tasks())
        };
        Json::str(&self.plan.task_names[rank])
    }

    /// A future for a free `set_result`/`set_exception` (there is at least one future).
    fn future(&mut self, body: &Body) -> usize {
        if !body.created.is_empty() && !self.rng.percent(self.cfg.stray_ref_percent) {
            *self.rng.pick(&body.created)
        } else {
            self.rng.below(self.plan.future_names.len())
        }
    }

    // -- durations -----------------------------------------------------------------------

    /// A duration: mostly small (equal deadlines are common), rarely up to 10^12.
    fn duration(&mut self) -> i64 {
        self.ticks(self.cfg.max_duration)
    }

    /// Ticks in `0..=max`, rarely up to 10^12.
    fn ticks(&mut self, max: u64) -> i64 {
        let ticks = if self.rng.percent(self.cfg.huge_duration_percent) {
            self.rng.range_u64(0, limits::MAX_TICKS)
        } else {
            self.rng.range_u64(0, max)
        };
        ticks as i64
    }

    /// A required timeout (`N?`): `null`, `0` or up to `max_timeout` ticks.
    fn timeout(&mut self) -> Json {
        match self.rng.below(4) {
            0 => Json::Null,
            1 => Json::Int(0),
            _ => Json::Int(self.ticks(self.cfg.max_timeout)),
        }
    }

    /// An optional timeout: absent (`None`), or as [`Self::timeout`].
    fn optional_timeout(&mut self) -> Option<Json> {
        if self.rng.percent(30) {
            None
        } else {
            Some(self.timeout())
        }
    }
}
