//! The ready batch of one iteration, when a scheduler may reorder it (level ≥ 1).
//!
//! At the start of the run phase the batch's entries leave the ready queue (entries queued
//! while it runs wait for the next iteration, LOOP-2). The set of entries that may run next
//! is kept up to date as entries are taken, so choosing costs no rescan of the batch:
//!
//! ```text
//!   chain lanes  (a future's callbacks P4, call_soon P3): only the oldest untaken entry
//!   task lanes   (a task has at most one queued entry, TASK-18): always eligible
//!   timers       (a sorted suffix of the batch): the group with the earliest deadline
//!                (different deadlines keep deadline order, P6)
//!   level 1      every non-timer entry is one chain ahead of the timers, so the only
//!                choice is among equal-deadline timers
//! ```
//!
//! The eligible entries are kept as batch indices in FIFO order. A scheduler that reads
//! candidates (`Scheduler::reads_candidates` or `Scheduler::reads_tasks`) gets them built for
//! each pick; the others are told only how many there are (`Scheduler::pick_among`).

use crate::core::{Core, DoneCb, Entry, FutSlot, HandleCb, TimerSlot};
use crate::schedule::{Candidate, Lane, Level};

/// No next entry in the chain.
const NONE: u32 = u32::MAX;

/// The batch and its eligible entries. Buffers are kept across iterations and loops.
pub(crate) struct Batch {
    entries: Vec<Option<Entry>>,
    lanes: Vec<Lane>,
    /// The next entry of the same chain lane, or `NONE`.
    next: Vec<u32>,
    /// Each entry's task ([`Candidate::task`]), noted when the entry becomes eligible; empty
    /// unless the scheduler reads tasks.
    tasks: Vec<Option<u32>>,
    /// Entries that may run next (indices into `entries`), in batch (FIFO) order.
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

impl Batch {
    /// An empty batch (usable in constant initialisers).
    pub(crate) const fn new() -> Batch {
        Batch {
            entries: Vec::new(),
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
    pub(crate) fn clear(&mut self) {
        self.entries.clear();
        self.lanes.clear();
        self.next.clear();
        self.tasks.clear();
        self.eligible.clear();
        self.candidates.clear();
        self.chains.clear();
    }

    /// Whether a batch is in progress.
    pub(crate) fn is_active(&self) -> bool {
        !self.eligible.is_empty()
    }
}

impl Core {
    /// Moves the first `len` ready entries into the batch and computes what may run first.
    pub(crate) fn begin_batch(&mut self, len: usize) {
        let reads_candidates = self.scheduler.as_ref().is_none_or(|s| s.reads_candidates());
        let Core {
            batch: b,
            ready,
            timers,
            futs,
            level,
            reads_tasks,
            ..
        } = self;
        b.clear();
        b.reads_tasks = *reads_tasks;
        b.reads_candidates = reads_candidates || *reads_tasks;
        if b.reads_tasks {
            b.tasks.resize(len, None);
        }
        assert!(
            len < NONE as usize,
            "a batch has fewer than 2^32 - 1 entries"
        );
        let ties_only = *level == Level::Ties;
        let mut timers_from = len;
        for i in 0..len {
            let entry = ready.pop_front().expect("the batch is queued");
            let lane = match (&entry, ties_only) {
                (Entry::Timer(_), _) => lane_of(timers, &entry),
                // Level 1 keeps every non-timer entry in queue order: one chain.
                (_, true) => Lane::Soon,
                _ => lane_of(timers, &entry),
            };
            b.entries.push(Some(entry));
            b.lanes.push(lane);
            b.next.push(NONE);
            let i = i as u32;
            match lane {
                Lane::Timer(_) => timers_from = timers_from.min(i as usize),
                Lane::Task(_) => b.push_eligible(i, timers, futs),
                Lane::Future(_) | Lane::Soon => {
                    match b.chains.iter_mut().find(|(l, _)| *l == lane) {
                        Some((_, last)) => {
                            b.next[*last as usize] = i;
                            *last = i;
                        }
                        None => {
                            b.chains.push((lane, i));
                            b.push_eligible(i, timers, futs);
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
            b.release_timer_group(timers, futs);
        }
    }

    /// Takes the next entry of the batch: the scheduler's pick when there is a choice.
    pub(crate) fn next_batch_entry(&mut self) -> Entry {
        let count = self.batch.eligible.len();
        let choice = if count > 1 {
            self.pick_eligible(count)
        } else {
            0
        };
        let Core {
            batch: b,
            timers,
            futs,
            level,
            ..
        } = self;
        let i = b.eligible[choice] as usize;
        let entry = b.entries[i].take().expect("an eligible entry is untaken");
        match b.lanes[i] {
            Lane::Timer(_) => {
                b.eligible.remove(choice);
                b.group_left -= 1;
                if b.group_left == 0 {
                    b.release_timer_group(timers, futs);
                }
            }
            _ => {
                match b.next[i] {
                    NONE => {
                        b.eligible.remove(choice);
                    }
                    n => b.replace_eligible(choice, n, timers, futs),
                }
                if i < b.timers_from {
                    b.before_timers -= 1;
                    if b.before_timers == 0 && *level == Level::Ties {
                        b.release_timer_group(timers, futs);
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
        let choice = if batch.reads_candidates {
            batch.fill_candidates();
            scheduler.pick(iteration, now, &batch.candidates)
        } else {
            scheduler.pick_among(iteration, now, count)
        };
        choice.min(count - 1)
    }
}

/// The ordering lane of a ready entry.
fn lane_of(timers: &[TimerSlot], e: &Entry) -> Lane {
    match e {
        Entry::Step(t) | Entry::StepThrow(t, _) | Entry::Done(_, DoneCb::Wakeup(t)) => {
            Lane::Task(*t)
        }
        Entry::Done(f, _) => Lane::Future(*f),
        Entry::Timer(id) => Lane::Timer(timers[*id as usize].when),
        Entry::Soon(_) => Lane::Soon,
    }
}

/// The task an entry runs or wakes, if any (see [`Candidate::task`]).
fn subject(timers: &[TimerSlot], futs: &[FutSlot], e: &Entry) -> Option<u32> {
    match e {
        Entry::Step(t) | Entry::StepThrow(t, _) | Entry::Done(_, DoneCb::Wakeup(t)) => Some(*t),
        Entry::Timer(id) => match timers[*id as usize].cb {
            Some(HandleCb::SleepWake(f)) => futs[f as usize].callbacks.waiting_task(),
            _ => None,
        },
        _ => None,
    }
}

impl Batch {
    /// Makes the next group of equal-deadline timers eligible.
    fn release_timer_group(&mut self, timers: &[TimerSlot], futs: &[FutSlot]) {
        let start = self.group_end;
        let Some(Lane::Timer(when)) = self.lanes.get(start).copied() else {
            return;
        };
        let end = (start..self.lanes.len())
            .find(|&i| self.lanes[i] != Lane::Timer(when))
            .unwrap_or(self.lanes.len());
        // Every entry still eligible comes before the timers, so the group goes at the end.
        for i in start..end {
            self.push_eligible(i as u32, timers, futs);
        }
        self.group_end = end;
        self.group_left = end - start;
    }

    /// Notes the task of entry `i` (which becomes eligible), if the scheduler reads it.
    #[inline]
    fn note_task(&mut self, i: u32, timers: &[TimerSlot], futs: &[FutSlot]) {
        if self.reads_tasks {
            let i = i as usize;
            self.tasks[i] = self.entries[i]
                .as_ref()
                .and_then(|e| subject(timers, futs, e));
        }
    }

    /// Makes entry `i` eligible; it comes after every entry eligible so far.
    fn push_eligible(&mut self, i: u32, timers: &[TimerSlot], futs: &[FutSlot]) {
        self.note_task(i, timers, futs);
        self.eligible.push(i);
    }

    /// Replaces the eligible entry at `at` by the entry `i` of the same lane (which comes later
    /// in the batch), keeping the eligible entries in batch order: the ones in between move up
    /// by one.
    fn replace_eligible(&mut self, at: usize, i: u32, timers: &[TimerSlot], futs: &[FutSlot]) {
        self.note_task(i, timers, futs);
        let to = at + self.eligible[at..].partition_point(|&e| e < i) - 1;
        self.eligible.copy_within(at + 1..=to, at);
        self.eligible[to] = i;
    }

    /// Builds the candidates of the eligible entries, in their order.
    fn fill_candidates(&mut self) {
        let Batch {
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
