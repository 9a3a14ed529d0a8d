//! The graph family of the `cancel_ordering` target: small scenarios rich in cancellation,
//! decoded from bytes so that a mutated byte changes one op (or one parameter).
//!
//! Every byte string decodes to a **valid** document (a decoding that the parser rejects is a
//! bug of this decoder, and the target reports it as such). The shape:
//!
//! - tasks `main`, `t1` … `t5` (1 + `b % 6` of them), futures `f0` … `f2` (`b % 4`);
//! - a prelude mask byte: `main` starts by spawning every worker that no `spawn` op of the
//!   document names (bit `j - 1` set: not `t{j}`), then by creating every future that is
//!   referenced but has no `future` op (bit `5 + k` set: `f{k}` is created at the *end* of
//!   `main` instead, so references to it race with its creation);
//! - each body: `b % 8` ops, nested blocks `b % 4` ops, at most 3 blocks deep, at most 96
//!   ops in all;
//! - an op: a kind byte `b % 33` picks from [`KINDS`] (cancellation-heavy weights), then the
//!   kind's parameters, one byte each: references, durations (`b % 4` ticks), timeouts
//!   (`b % 6`: `null`, or 0 to 4 ticks), cancel messages (`null`, `""`, `"stop"`,
//!   `"again"`), handler types, exceptions, values.
//!
//! The static rules hold by construction: `await`, `wait_for` and `gather` name only
//! futures and tasks defined *after* the awaiting one (so the await graph is acyclic), no
//! awaiting op names its own task, `{"raise": null}` appears only inside a handler's `do`,
//! handler types of one `try` are distinct, and an op that has no legal reference becomes
//! `{"sleep": 0}`.

use super::bytes::Bytes;
use super::json::J;

/// Task names, in document order (`main` first).
pub const TASKS: [&str; 6] = ["main", "t1", "t2", "t3", "t4", "t5"];
/// Future names.
pub const FUTURES: [&str; 3] = ["f0", "f1", "f2"];
/// Deepest block nesting (a task body is depth 0).
const MAX_DEPTH: usize = 3;
/// Most ops in a document (prelude and late creations not counted).
const MAX_OPS: usize = 96;
/// `cancel` messages.
const CANCEL_MSGS: [Option<&str>; 4] = [None, Some(""), Some("stop"), Some("again")];
/// Handler types, tried in this order from a random start so one `try` has distinct types.
const HANDLER_TYPES: [&str; 6] = [
    "CancelledError",
    "TimeoutError",
    "Exception",
    "BaseException",
    "ExceptionGroup",
    "Boom",
];
/// Types of `raise` and `set_exception`.
const RAISE_TYPES: [&str; 4] = [
    "Boom",
    "CancelledError",
    "TimeoutError",
    "InvalidStateError",
];

/// The op kinds of the family; an op's kind byte indexes this table modulo its length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `sleep`.
    Sleep,
    /// `await` of a later task or a future.
    Await,
    /// `wait_for` of a later task or a future.
    WaitFor,
    /// `shield` of another task or a future.
    Shield,
    /// `gather` of later tasks and futures.
    Gather,
    /// `cancel` of any task (itself included) or future, with a message.
    Cancel,
    /// `try` with up to two handlers and maybe a `finally`.
    Try,
    /// `timeout` block.
    Timeout,
    /// `taskgroup` block.
    TaskGroup,
    /// `spawn`.
    Spawn,
    /// `future`.
    Future,
    /// `set_result`.
    SetResult,
    /// `set_exception`.
    SetException,
    /// `raise` (a re-raise inside handlers, half of the time).
    Raise,
    /// `return`.
    Return,
    /// `wait`.
    Wait,
    /// `as_completed`.
    AsCompleted,
    /// `uncancel`.
    Uncancel,
    /// `cancelling`.
    Cancelling,
    /// `done`.
    Done,
    /// `cancelled`.
    Cancelled,
    /// `add_done_callback`.
    AddDoneCallback,
}

/// How many entries each kind has in [`KINDS`], in table order: cancellation, shielding,
/// timeouts, task groups and handlers weigh most.
const WEIGHTS: [(Kind, usize); 22] = {
    use Kind::*;
    [
        (Sleep, 2),
        (Await, 1),
        (WaitFor, 2),
        (Shield, 2),
        (Gather, 2),
        (Cancel, 3),
        (Try, 3),
        (Timeout, 2),
        (TaskGroup, 2),
        (Spawn, 1),
        (Future, 1),
        (SetResult, 1),
        (SetException, 1),
        (Raise, 2),
        (Return, 1),
        (Wait, 1),
        (AsCompleted, 1),
        (Uncancel, 1),
        (Cancelling, 1),
        (Done, 1),
        (Cancelled, 1),
        (AddDoneCallback, 1),
    ]
};

/// The kind table: each kind of `WEIGHTS` repeated as often as its weight, in order.
pub const KINDS: [Kind; 33] = repeat_by_weight(&WEIGHTS);

/// The table in which each kind of `weights` stands `weight` times in a row, in order; the
/// weights must add up to `N`.
const fn repeat_by_weight<const N: usize>(weights: &[(Kind, usize)]) -> [Kind; N] {
    let mut table = [Kind::Sleep; N];
    let mut filled = 0;
    let mut k = 0;
    while k < weights.len() {
        let (kind, weight) = weights[k];
        let mut copy = 0;
        while copy < weight {
            table[filled] = kind;
            filled += 1;
            copy += 1;
        }
        k += 1;
    }
    assert!(filled == N, "the weights must add up to the table's length");
    table
}

/// Decodes a scenario document from the front of `r`.
pub fn decode_graph(r: &mut Bytes<'_>) -> J {
    let n_tasks = 1 + r.below(TASKS.len());
    let n_futures = r.below(FUTURES.len() + 1);
    let prelude = r.byte();
    let mut d = Decoder {
        r,
        n_tasks,
        n_futures,
        ops: 0,
        labels: 0,
        spawned: [false; TASKS.len()],
        created: [false; FUTURES.len()],
        referenced: [false; FUTURES.len()],
    };
    let mut bodies: Vec<Vec<J>> = (0..n_tasks)
        .map(|task| {
            let len = d.r.below(8);
            d.block(task, 0, false, len)
        })
        .collect();

    let mut first = Vec::new();
    for (j, name) in TASKS.iter().enumerate().take(n_tasks).skip(1) {
        if !d.spawned[j] && prelude & (1 << (j - 1)) == 0 {
            first.push(J::obj([("spawn", J::s(*name))]));
        }
    }
    let mut last = Vec::new();
    for (k, name) in FUTURES.iter().enumerate().take(n_futures) {
        if d.referenced[k] && !d.created[k] {
            let op = J::obj([("future", J::s(*name))]);
            if prelude & (1 << (5 + k)) == 0 {
                first.push(op);
            } else {
                last.push(op);
            }
        }
    }
    let main = &mut bodies[0];
    main.splice(0..0, first);
    main.extend(last);

    let tasks = TASKS
        .iter()
        .zip(bodies)
        .map(|(name, body)| ((*name).to_owned(), J::Arr(body)))
        .collect();
    J::obj([
        ("format", J::s("aiosim-graph/1")),
        ("name", J::s("cancel_ordering")),
        ("main", J::s("main")),
        ("tasks", J::Obj(tasks)),
    ])
}

struct Decoder<'r, 'a> {
    r: &'r mut Bytes<'a>,
    n_tasks: usize,
    n_futures: usize,
    /// Ops decoded so far.
    ops: usize,
    /// Callback labels handed out.
    labels: usize,
    /// Tasks named by a `spawn` op.
    spawned: [bool; TASKS.len()],
    /// Futures named by a `future` op.
    created: [bool; FUTURES.len()],
    /// Futures named anywhere.
    referenced: [bool; FUTURES.len()],
}

/// Which references an op may name.
#[derive(Clone, Copy)]
enum Refs {
    /// Tasks after this one, and futures (`await`, `wait_for`, `gather`: no cycles).
    Later,
    /// Tasks other than this one, and futures (`shield`, `wait`, `as_completed`).
    Others,
    /// Any task or future (`cancel`, `done`, `cancelled`, `add_done_callback`).
    Any,
}

impl Decoder<'_, '_> {
    fn block(&mut self, task: usize, depth: usize, in_handler: bool, len: usize) -> Vec<J> {
        let mut ops = Vec::with_capacity(len);
        for _ in 0..len {
            if self.ops >= MAX_OPS {
                break;
            }
            self.ops += 1;
            ops.push(self.op(task, depth, in_handler));
        }
        ops
    }

    /// The names an op of `task` may reference.
    fn candidates(&self, task: usize, refs: Refs) -> Vec<Name> {
        let tasks = (0..self.n_tasks).filter(|&j| match refs {
            Refs::Later => j > task,
            Refs::Others => j != task,
            Refs::Any => true,
        });
        tasks
            .map(Name::Task)
            .chain((0..self.n_futures).map(Name::Future))
            .collect()
    }

    /// One reference, or `None` when there is no legal one (the byte is read anyway).
    fn reference(&mut self, task: usize, refs: Refs) -> Option<J> {
        let all = self.candidates(task, refs);
        let b = self.r.byte();
        if all.is_empty() {
            return None;
        }
        Some(self.name(all[usize::from(b) % all.len()]))
    }

    /// A list of 0 to `max` references (empty when there is no legal one).
    fn references(&mut self, task: usize, refs: Refs, min: usize, max: usize) -> Vec<J> {
        let len = min + self.r.below(max - min + 1);
        (0..len)
            .filter_map(|_| self.reference(task, refs))
            .collect()
    }

    fn name(&mut self, n: Name) -> J {
        match n {
            Name::Task(j) => J::s(TASKS[j]),
            Name::Future(k) => {
                self.referenced[k] = true;
                J::s(FUTURES[k])
            }
        }
    }

    /// A future's index (the byte is read even when there is no future).
    fn future_index(&mut self) -> Option<usize> {
        let b = self.r.below(FUTURES.len());
        (self.n_futures > 0).then(|| b % self.n_futures)
    }

    /// A future reference.
    fn future(&mut self) -> Option<J> {
        let k = self.future_index()?;
        Some(self.name(Name::Future(k)))
    }

    fn timeout(&mut self) -> J {
        match self.r.below(6) {
            0 => J::Null,
            n => J::uint(n as u64 - 1),
        }
    }

    fn exception(&mut self) -> J {
        let ty = RAISE_TYPES[self.r.below(RAISE_TYPES.len())];
        let msg = match self.r.below(3) {
            0 => J::Null,
            1 => J::s(""),
            _ => J::s("boom"),
        };
        J::obj([("type", J::s(ty)), ("msg", msg)])
    }

    fn value(&mut self) -> J {
        match self.r.below(4) {
            0 => J::Null,
            1 => J::Int(i64::from(self.r.byte())),
            2 => J::s("v"),
            _ => J::Arr(vec![J::Int(i64::from(self.r.byte() % 4)), J::Bool(true)]),
        }
    }

    fn op(&mut self, task: usize, depth: usize, in_handler: bool) -> J {
        let sleep0 = || J::obj([("sleep", J::Int(0))]);
        let mut kind = KINDS[self.r.below(KINDS.len())];
        if depth >= MAX_DEPTH && matches!(kind, Kind::Try | Kind::Timeout | Kind::TaskGroup) {
            kind = Kind::Sleep;
        }
        let inner = depth + 1;
        match kind {
            Kind::Sleep => J::obj([("sleep", J::uint(self.r.below(4) as u64))]),
            Kind::Await => match self.reference(task, Refs::Later) {
                Some(r) => J::obj([("await", r)]),
                None => sleep0(),
            },
            Kind::WaitFor => match self.reference(task, Refs::Later) {
                Some(r) => J::obj([("wait_for", r), ("timeout", self.timeout())]),
                None => sleep0(),
            },
            Kind::Shield => match self.reference(task, Refs::Others) {
                Some(r) => J::obj([("shield", r)]),
                None => sleep0(),
            },
            Kind::Gather => {
                let refs = self.references(task, Refs::Later, 0, 3);
                J::obj([
                    ("gather", J::Arr(refs)),
                    ("return_exceptions", J::Bool(self.r.bit())),
                ])
            }
            Kind::Cancel => {
                let target = self.reference(task, Refs::Any).expect("main exists");
                let msg = J::opt(CANCEL_MSGS[self.r.below(CANCEL_MSGS.len())], J::s);
                J::obj([("cancel", target), ("msg", msg)])
            }
            Kind::Try => {
                let len = self.r.below(4);
                let body = self.block(task, inner, in_handler, len);
                let handlers_len = self.r.below(3);
                let start = self.r.below(HANDLER_TYPES.len());
                let mut handlers = Vec::new();
                for h in 0..handlers_len {
                    let ty = HANDLER_TYPES[(start + h) % HANDLER_TYPES.len()];
                    let len = self.r.below(4);
                    let body = self.block(task, inner, true, len);
                    handlers.push(J::obj([("type", J::s(ty)), ("do", J::Arr(body))]));
                }
                let mut pairs = vec![
                    ("try".to_owned(), J::Arr(body)),
                    ("except".to_owned(), J::Arr(handlers)),
                ];
                if handlers_len == 0 || self.r.bit() {
                    let len = self.r.below(4);
                    let finally = self.block(task, inner, in_handler, len);
                    pairs.push(("finally".to_owned(), J::Arr(finally)));
                }
                J::Obj(pairs)
            }
            Kind::Timeout => {
                let timeout = self.timeout();
                let len = self.r.below(4);
                let body = self.block(task, inner, in_handler, len);
                J::obj([("timeout", timeout), ("do", J::Arr(body))])
            }
            Kind::TaskGroup => {
                let len = self.r.below(4);
                let body = self.block(task, inner, in_handler, len);
                J::obj([("taskgroup", J::Arr(body))])
            }
            Kind::Spawn => {
                let j = match self.n_tasks {
                    1 => {
                        self.r.byte();
                        0
                    }
                    n => 1 + self.r.below(n - 1),
                };
                self.spawned[j] = true;
                J::obj([("spawn", J::s(TASKS[j]))])
            }
            Kind::Future => match self.future_index() {
                Some(k) => {
                    self.created[k] = true;
                    J::obj([("future", J::s(FUTURES[k]))])
                }
                None => sleep0(),
            },
            Kind::SetResult => match self.future() {
                Some(f) => J::obj([("set_result", f), ("value", self.value())]),
                None => sleep0(),
            },
            Kind::SetException => match self.future() {
                Some(f) => J::obj([("set_exception", f), ("exc", self.exception())]),
                None => sleep0(),
            },
            Kind::Raise => {
                if in_handler && self.r.bit() {
                    J::obj([("raise", J::Null)])
                } else {
                    J::obj([("raise", self.exception())])
                }
            }
            Kind::Return => J::obj([("return", self.value())]),
            Kind::Wait => {
                let refs = self.references(task, Refs::Others, 1, 3);
                if refs.is_empty() {
                    return sleep0();
                }
                let when = ["ALL_COMPLETED", "FIRST_COMPLETED", "FIRST_EXCEPTION"][self.r.below(3)];
                J::obj([
                    ("wait", J::Arr(refs)),
                    ("return_when", J::s(when)),
                    ("timeout", self.timeout()),
                ])
            }
            Kind::AsCompleted => {
                let refs = self.references(task, Refs::Others, 0, 2);
                J::obj([("as_completed", J::Arr(refs)), ("timeout", self.timeout())])
            }
            Kind::Uncancel => J::obj([("uncancel", J::s(TASKS[self.r.below(self.n_tasks)]))]),
            Kind::Cancelling => J::obj([("cancelling", J::s(TASKS[self.r.below(self.n_tasks)]))]),
            Kind::Done => J::obj([("done", self.reference(task, Refs::Any).expect("main"))]),
            Kind::Cancelled => {
                J::obj([("cancelled", self.reference(task, Refs::Any).expect("main"))])
            }
            Kind::AddDoneCallback => {
                let target = self.reference(task, Refs::Any).expect("main exists");
                self.labels += 1;
                J::obj([
                    ("add_done_callback", target),
                    ("label", J::s(format!("cb{}", self.labels))),
                ])
            }
        }
    }
}

/// A task (by index in [`TASKS`]) or a future (in [`FUTURES`]).
#[derive(Clone, Copy)]
enum Name {
    Task(usize),
    Future(usize),
}
