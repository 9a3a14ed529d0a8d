//! The recorder: turns a [`Policy`] into an [`aiosim::Scheduler`], one [`Point`] per choice
//! with at least two options, and logs every [`Decision`].
//!
//! It also keeps the one bound that all policies share, so that replay sees the same choice
//! points as the run it replays: due timers are deferred ([`Point::Due`]) in at most
//! [`MAX_DEFERRALS`] consecutive iterations, after which every due timer enters the next
//! iteration without a choice. A timer is therefore never deferred more than
//! `MAX_DEFERRALS` iterations after the first one it was due in (P7).
//!
//! A policy whose picks are plain draws from one generator ([`Policy::uniform_picks`]) has a
//! free batch's picks drawn ahead, up to [`MAX_AHEAD`] at once, without a [`Point`] each. They
//! are logged when the loop reports them taken, which it does before it asks anything else,
//! so the log holds the same decisions in the same order as when they are made one by one.

use std::cell::RefCell;
use std::rc::Rc;

use aiosim::{Candidate, Injection, Level, Scheduler, SetSite};

use super::random::uniform;
use super::{ChoiceKind, ChoicePoint, Decision, Point, Policy, count, spare};

/// How many consecutive iterations may defer due timers (level 3).
pub const MAX_DEFERRALS: u32 = 3;

/// The most picks made ahead at once: picks not taken are drawn again when the generator is
/// wound back, so this bounds the work a batch cut short wastes.
const MAX_AHEAD: u32 = 64;

/// How many picks are made ahead for a batch with `count` eligible entries: one per entry but
/// the last, at most [`MAX_AHEAD`]. Pick `i` is among `count - i` entries.
fn ahead(count: u32) -> u32 {
    count.saturating_sub(1).min(MAX_AHEAD)
}

/// Picks made ahead and not yet settled.
#[derive(Clone, Copy, Debug)]
struct Outstanding {
    /// The generator's position before the first of them.
    from: u128,
    /// The number of eligible entries of the first of them (each next one has one fewer).
    count: u32,
}

/// Where a replay left the recorded decisions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Divergence {
    /// Index of the first decision that could not be followed.
    pub index: usize,
    /// The choice point the record has there.
    pub expected: ChoicePoint,
    /// The choice point the run met instead; `None` when the run ended first.
    pub found: Option<ChoicePoint>,
}

impl std::fmt::Display for Divergence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "decision {}: recorded {}, ", self.index, self.expected)?;
        match self.found {
            Some(found) => write!(f, "the run met {found}"),
            None => write!(f, "the run ended first"),
        }
    }
}

/// The decisions of one run, and what it was asked to replay.
#[derive(Debug)]
struct DecisionLog {
    /// Every decision made, in order (its buffer comes from, and goes back to, [`spare`]).
    decisions: Vec<Decision>,
    /// The decisions being replayed (empty for the seeded policies).
    expected: Vec<Decision>,
    /// The first point where the run left `expected`, as the replay met it.
    diverged: Option<Divergence>,
}

impl Default for DecisionLog {
    fn default() -> DecisionLog {
        DecisionLog {
            decisions: spare::take(),
            expected: Vec::new(),
            diverged: None,
        }
    }
}

impl Drop for DecisionLog {
    fn drop(&mut self) {
        spare::give(std::mem::take(&mut self.decisions));
    }
}

/// A shared handle on a run's decision log: one copy goes into the scheduler, the caller keeps
/// the other and reads it after (or during) the run.
#[derive(Clone, Debug, Default)]
pub struct DecisionLogHandle(Rc<RefCell<DecisionLog>>);

impl DecisionLogHandle {
    /// The decisions made so far.
    pub fn decisions(&self) -> Vec<Decision> {
        self.0.borrow().decisions.clone()
    }

    /// How many decisions were made so far, without copying them.
    pub fn len(&self) -> usize {
        self.0.borrow().decisions.len()
    }

    /// Whether no decision was made so far.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The first divergence from the replayed decisions: a point that did not match the
    /// record, or, once the run is over, recorded decisions that the run never reached.
    /// Decisions beyond the end of the record are not a divergence: they take option 0.
    pub fn divergence(&self) -> Option<Divergence> {
        let log = self.0.borrow();
        log.diverged.or_else(|| {
            let index = log.decisions.len();
            log.expected.get(index).map(|d| Divergence {
                index,
                expected: d.point(),
                found: None,
            })
        })
    }

    /// Sets the decisions a replay follows.
    pub(crate) fn expect(&self, decisions: Vec<Decision>) {
        self.0.borrow_mut().expected = decisions;
    }

    /// The recorded decision number `index`, if the record reaches that far.
    pub(crate) fn expected(&self, index: usize) -> Option<Decision> {
        self.0.borrow().expected.get(index).copied()
    }

    /// Notes where a replay left the record (only the first time).
    pub(crate) fn diverge(&self, divergence: Divergence) {
        self.0.borrow_mut().diverged.get_or_insert(divergence);
    }
}

/// A [`Policy`] as an [`aiosim::Scheduler`] at a given level, recording its decisions. The
/// policy's type is a parameter (a boxed policy by default), so that a known policy is called
/// directly.
pub struct Recording<P = Box<dyn Policy>> {
    policy: P,
    level: Level,
    injects: bool,
    log: DecisionLogHandle,
    /// Consecutive iterations that deferred a due timer; at most [`MAX_DEFERRALS`].
    deferrals: u32,
    /// Calls of `inject` so far: the `step` of the next [`Point::Inject`].
    steps: u64,
    /// Picks made ahead that the loop has not settled yet.
    outstanding: Option<Outstanding>,
}

impl<P: Policy> Recording<P> {
    /// Records `policy`'s decisions into `log`; `injects` says whether the loop asks for
    /// cancellations to inject.
    pub fn new(policy: P, level: Level, injects: bool, log: DecisionLogHandle) -> Recording<P> {
        Recording {
            policy,
            level,
            injects,
            log,
            deferrals: 0,
            steps: 0,
            outstanding: None,
        }
    }

    /// Asks the policy (if there is a choice) and logs the decision. Inlined into each
    /// caller, so that the point is never built in memory and a known policy's draw is direct.
    #[inline(always)]
    fn decide(&mut self, point: Point<'_>) -> u32 {
        let options = point.options();
        if options < 2 {
            return 0;
        }
        let chosen = self.policy.choose(&point);
        debug_assert!(chosen < options, "{point:?}: option {chosen} out of range");
        let chosen = chosen.min(options - 1);
        let decision = Decision {
            kind: point.kind(),
            options,
            chosen,
        };
        self.log.0.borrow_mut().decisions.push(decision);
        chosen
    }
}

impl<P: Policy> Scheduler for Recording<P> {
    fn level(&self) -> Level {
        self.level
    }

    fn injects(&self) -> bool {
        self.injects
    }

    fn reads_candidates(&self) -> bool {
        self.policy.reads_candidates()
    }

    fn pick(&mut self, iteration: u64, now: u64, eligible: &[Candidate]) -> usize {
        let point = Point::Pick {
            iteration,
            now,
            count: count(eligible.len()),
            eligible,
        };
        self.decide(point) as usize
    }

    fn pick_among(&mut self, iteration: u64, now: u64, n: usize) -> usize {
        let point = Point::Pick {
            iteration,
            now,
            count: count(n),
            eligible: &[],
        };
        self.decide(point) as usize
    }

    /// Picks drawn ahead with the policy's generator, when it has one for picks
    /// ([`Policy::uniform_picks`]): the draws `pick_among` would make for the next entries.
    fn pick_ahead(&mut self, _iteration: u64, _now: u64, count: usize, picks: &mut Vec<u32>) {
        let Some(rng) = self.policy.uniform_picks() else {
            return;
        };
        let count = super::count(count);
        self.outstanding = Some(Outstanding {
            from: rng.get_word_pos(),
            count,
        });
        picks.extend((0..ahead(count)).map(|i| uniform(rng, count - i)));
    }

    /// Logs the picks taken, as `pick_among` would have, and winds the generator back to
    /// where they left it when some picks were not taken.
    fn picks_taken(&mut self, taken: &[u32]) {
        let Some(Outstanding { from, count }) = self.outstanding.take() else {
            return;
        };
        self.log
            .0
            .borrow_mut()
            .decisions
            .extend(taken.iter().enumerate().map(|(i, &chosen)| Decision {
                kind: ChoiceKind::Pick,
                options: count - i as u32,
                chosen,
            }));
        if taken.len() < ahead(count) as usize {
            let rng = self
                .policy
                .uniform_picks()
                .expect("the policy that drew the picks has its generator");
            rng.set_word_pos(from);
            for i in 0..taken.len() as u32 {
                uniform(rng, count - i);
            }
        }
    }

    fn order_set(&mut self, site: SetSite, len: usize) -> Vec<usize> {
        let mut left: Vec<usize> = (0..len).collect();
        let mut order = Vec::with_capacity(len);
        while left.len() > 1 {
            let remaining = count(left.len());
            let next = self.decide(Point::Set { site, remaining });
            order.push(left.remove(next as usize));
        }
        order.append(&mut left);
        order
    }

    fn take_due(&mut self, now: u64, due: usize, ready: usize) -> usize {
        if self.deferrals >= MAX_DEFERRALS {
            self.deferrals = 0;
            return due;
        }
        let point = Point::Due {
            now,
            due: count(due),
            ready: count(ready),
        };
        let deferred = self.decide(point) as usize;
        self.deferrals = if deferred > 0 { self.deferrals + 1 } else { 0 };
        due - deferred
    }

    fn advance_early(&mut self, now: u64, next: u64, ready: usize) -> bool {
        let ready = count(ready);
        self.decide(Point::Early { now, next, ready }) == 1
    }

    fn inject(&mut self, _iteration: u64, _now: u64, pending: &[u32]) -> Option<Injection> {
        let step = self.steps;
        self.steps += 1;
        match self.decide(Point::Inject { step, pending }) {
            0 => None,
            i => Some(Injection {
                task: pending[i as usize - 1],
                msg: Some(super::INJECTED_MESSAGE.into()),
            }),
        }
    }
}
