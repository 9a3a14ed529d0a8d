//! A tracked batch: the set of entries that may run next is kept up to date as entries are
//! taken, so choosing costs no rescan of the batch.
//!
//! The eligible entries are kept as batch indices in FIFO order. A scheduler that reads
//! candidates (`Scheduler::reads_candidates` or `Scheduler::reads_tasks`) gets them built for
//! each pick; the others are told only how many there are (`Scheduler::pick_among`).

use super::lane_of;
use crate::core::{Core, DoneCb, Entry, FutSlot, HandleCb, TimerSlot};
use crate::schedule::{Candidate, Lane, Level};
use crate::slots::Slots;

/// No next entry in the chain.
const NONE: u32 = u32::MAX;

/// The entries of a tracked batch and its eligible ones. Buffers are kept across iterations
/// and loops.
pub(super) struct Tracked {
    /// Each entry's lane.
    lanes: Vec<Lane>,
    /// The next entry of the same chain lane, or `NONE`.
    next: Vec<u32>,
    /// Each entry's task ([`Candidate::task`]), noted when the entry becomes eligible; empty
    /// unless the scheduler reads tasks.
    tasks: Vec<Option<u32>>,
    /// Entries that may run next (batch indices), in batch (FIFO) order.
    eligible: Vec<u32>,
    /// The eligible entries as candidates, rebuilt for each pick of a scheduler that reads
    /// them.
    candidates: Vec<Candidate>,
    /// Chain lanes seen while building: (lane, last entry index).
    chains: Vec<(Lane, u32)>,
    /// Index of the first timer entry (the timers are the batch's suffix).
    timers_from: usize,
    /// End (exclusive) of the timer group currently eligible.
    group_end: usize,
    /// Untaken entries of that group.
    group_left: usize,
    /// Untaken entries before the timers (level 1 releases the timers when it reaches 0).
    before_timers: usize,
    /// Whether candidates carry their task (see `Scheduler::reads_tasks`).
    reads_tasks: bool,
    /// Whether the scheduler is given candidates rather than their number.
    reads_candidates: bool,
}

impl Tracked {
    /// An empty batch (usable in constant initialisers).
    pub(super) const fn new() -> Tracked {
        Tracked {
            lanes: Vec::new(),
            next: Vec::new(),
            tasks: Vec::new(),
            eligible: Vec::new(),
            candidates: Vec::new(),
            chains: Vec::new(),
            timers_from: 0,
            group_end: 0,
            group_left: 0,
            before_timers: 0,
            reads_tasks: false,
            reads_candidates: false,
        }
    }

    /// Forgets any batch in progress, keeping the buffers' capacity.
    pub(super) fn clear(&mut self) {
        self.lanes.clear();
        self.next.clear();
        self.tasks.clear();
        self.eligible.clear();
        self.candidates.clear();
        self.chains.clear();
    }
}

impl Core {
    /// Computes what may run first among the batch's entries (already in `batch.entries`);
    /// `reads_candidates` says whether the scheduler is given candidates or their number.
    pub(super) fn begin_tracked(&mut self, reads_candidates: bool) {
        let Core {
            batch,
            timers,
            futs,
            level,
            reads_tasks,
            ..
        } = self;
        let b = &mut batch.tracked;
        let ctx = Ctx {
            entries: &batch.entries,
            timers,
            futs,
        };
        let len = ctx.entries.len();
        b.clear();
        b.reads_tasks = *reads_tasks;
        b.reads_candidates = reads_candidates;
        if b.reads_tasks {
            b.tasks.resize(len, None);
        }
        let ties_only = *level == Level::Ties;
        let mut timers_from = len;
        for (i, entry) in ctx.entries.iter().enumerate() {
            let entry = entry.as_ref().expect("a new batch has all its entries");
            let lane = match (entry, ties_only) {
                (Entry::Timer(_), _) => lane_of(timers, entry),
                // Level 1 keeps every non-timer entry in queue order: one chain.
                (_, true) => Lane::Soon,
                _ => lane_of(timers, entry),
            };
            b.lanes.push(lane);
            b.next.push(NONE);
            let i = i as u32;
            match lane {
                Lane::Timer(_) => timers_from = timers_from.min(i as usize),
                Lane::Task(_) => b.push_eligible(i, &ctx),
                Lane::Future(_) | Lane::Soon => {
                    match b.chains.iter_mut().find(|(l, _)| *l == lane) {
                        Some((_, last)) => {
                            b.next[*last as usize] = i;
                            *last = i;
                        }
                        None => {
                            b.chains.push((lane, i));
                            b.push_eligible(i, &ctx);
                        }
                    }
                }
            }
        }
        b.timers_from = timers_from;
        b.before_timers = timers_from;
        b.group_end = timers_from;
        b.group_left = 0;
        if !ties_only || b.before_timers == 0 {
            b.release_timer_group(&ctx);
        }
    }

    /// Takes the next entry of the batch: the scheduler's pick when there is a choice.
    pub(super) fn next_tracked(&mut self) -> Entry {
        let count = self.batch.tracked.eligible.len();
        let choice = if count > 1 {
            self.pick_eligible(count)
        } else {
            0
        };
        let Core {
            batch,
            timers,
            futs,
            level,
            ..
        } = self;
        let b = &mut batch.tracked;
        let i = b.eligible[choice] as usize;
        let entry = batch.entries[i]
            .take()
            .expect("an eligible entry is untaken");
        let ctx = Ctx {
            entries: &batch.entries,
            timers,
            futs,
        };
        match b.lanes[i] {
            Lane::Timer(_) => {
                b.eligible.remove(choice);
                b.group_left -= 1;
                if b.group_left == 0 {
                    b.release_timer_group(&ctx);
                }
            }
            _ => {
                match b.next[i] {
                    NONE => {
                        b.eligible.remove(choice);
                    }
                    n => b.replace_eligible(choice, n, &ctx),
                }
                if i < b.timers_from {
                    b.before_timers -= 1;
                    if b.before_timers == 0 && *level == Level::Ties {
                        b.release_timer_group(&ctx);
                    }
                }
            }
        }
        entry
    }

    /// The scheduler's choice among the `count` (at least two) eligible entries.
    fn pick_eligible(&mut self, count: usize) -> usize {
        let (iteration, now) = (self.iteration, self.now);
        let Core {
            batch, scheduler, ..
        } = self;
        let scheduler = scheduler
            .as_mut()
            .expect("a reordering level has a scheduler");
        let b = &mut batch.tracked;
        let choice = if b.reads_candidates {
            b.fill_candidates();
            scheduler.pick(iteration, now, &b.candidates)
        } else {
            scheduler.pick_among(iteration, now, count)
        };
        choice.min(count - 1)
    }
}

/// The task an entry runs or wakes, if any (see [`Candidate::task`]).
fn subject(timers: &[TimerSlot], futs: &Slots<FutSlot>, e: &Entry) -> Option<u32> {
    match e {
        Entry::Step(t) | Entry::StepThrow(t) | Entry::Done(_, DoneCb::Wakeup(t)) => Some(*t),
        Entry::Timer(id) => match timers[*id as usize].cb {
            Some(HandleCb::SleepWake(f)) => futs[f as usize].callbacks.waiting_task(),
            _ => None,
        },
        _ => None,
    }
}

/// What the bookkeeping reads: the batch's entries and the tables their tasks are found in.
struct Ctx<'a> {
    entries: &'a [Option<Entry>],
    timers: &'a [TimerSlot],
    futs: &'a Slots<FutSlot>,
}

impl Tracked {
    /// Makes the next group of equal-deadline timers eligible.
    fn release_timer_group(&mut self, ctx: &Ctx<'_>) {
        let start = self.group_end;
        let Some(Lane::Timer(when)) = self.lanes.get(start).copied() else {
            return;
        };
        let end = (start..self.lanes.len())
            .find(|&i| self.lanes[i] != Lane::Timer(when))
            .unwrap_or(self.lanes.len());
        // Every entry still eligible comes before the timers, so the group goes at the end.
        for i in start..end {
            self.push_eligible(i as u32, ctx);
        }
        self.group_end = end;
        self.group_left = end - start;
    }

    /// Notes the task of entry `i` (which becomes eligible), if the scheduler reads it.
    #[inline]
    fn note_task(&mut self, i: u32, ctx: &Ctx<'_>) {
        if self.reads_tasks {
            let i = i as usize;
            self.tasks[i] = ctx.entries[i]
                .as_ref()
                .and_then(|e| subject(ctx.timers, ctx.futs, e));
        }
    }

    /// Makes entry `i` eligible; it comes after every entry eligible so far.
    fn push_eligible(&mut self, i: u32, ctx: &Ctx<'_>) {
        self.note_task(i, ctx);
        self.eligible.push(i);
    }

    /// Replaces the eligible entry at `at` by the entry `i` of the same lane (which comes later
    /// in the batch), keeping the eligible entries in batch order: the ones in between move up
    /// by one.
    fn replace_eligible(&mut self, at: usize, i: u32, ctx: &Ctx<'_>) {
        self.note_task(i, ctx);
        let to = at + self.eligible[at..].partition_point(|&e| e < i) - 1;
        self.eligible.copy_within(at + 1..=to, at);
        self.eligible[to] = i;
    }

    /// Builds the candidates of the eligible entries, in their order.
    fn fill_candidates(&mut self) {
        let Tracked {
            eligible,
            candidates,
            lanes,
            tasks,
            ..
        } = self;
        candidates.clear();
        candidates.extend(eligible.iter().map(|&i| {
            let i = i as usize;
            Candidate {
                lane: lanes[i],
                fifo_index: i,
                task: tasks.get(i).copied().flatten(),
            }
        }));
    }
}
