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

use crate::core::{Core, DoneCb, Entry, FutSlot, HandleCb, TimerSlot};
use crate::schedule::{Candidate, Lane, Level};

const NONE: usize = usize::MAX;

/// The batch and its eligible entries. Buffers are kept across iterations and loops.
pub(crate) struct Batch {
    entries: Vec<Option<Entry>>,
    lanes: Vec<Lane>,
    /// The next entry of the same chain lane, or `NONE`.
    next: Vec<usize>,
    /// Entries that may run next, in batch (FIFO) order.
    eligible: Vec<Candidate>,
    /// Chain lanes seen while building: (lane, last entry index).
    chains: Vec<(Lane, usize)>,
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
}

impl Batch {
    /// An empty batch (usable in constant initialisers).
    pub(crate) const fn new() -> Batch {
        Batch {
            entries: Vec::new(),
            lanes: Vec::new(),
            next: Vec::new(),
            eligible: Vec::new(),
            chains: Vec::new(),
            timers_from: 0,
            group_end: 0,
            group_left: 0,
            before_timers: 0,
            reads_tasks: false,
        }
    }

    /// Forgets any batch in progress, keeping the buffers' capacity.
    pub(crate) fn clear(&mut self) {
        self.entries.clear();
        self.lanes.clear();
        self.next.clear();
        self.eligible.clear();
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
        let Core {
            batch: b,
            ready,
            timers,
            futs,
            level,
            reads_tasks,
            ..
        } = self;
        b.reads_tasks = *reads_tasks;
        b.clear();
        let ties_only = *level == Level::Ties;
        for i in 0..len {
            let entry = ready.pop_front().expect("the batch is queued");
            let lane = match (&entry, ties_only) {
                (Entry::Timer(_), _) => lane_of(timers, &entry),
                // Level 1 keeps every non-timer entry in queue order: one chain.
                (_, true) => Lane::Soon,
                _ => lane_of(timers, &entry),
            };
            let task = b.subject(timers, futs, &entry);
            b.entries.push(Some(entry));
            b.lanes.push(lane);
            b.next.push(NONE);
            match lane {
                Lane::Timer(_) => {}
                Lane::Task(_) => b.push_eligible(i, lane, task),
                Lane::Future(_) | Lane::Soon => {
                    match b.chains.iter_mut().find(|(l, _)| *l == lane) {
                        Some((_, last)) => {
                            b.next[*last] = i;
                            *last = i;
                        }
                        None => {
                            b.chains.push((lane, i));
                            b.push_eligible(i, lane, task);
                        }
                    }
                }
            }
        }
        b.timers_from = b
            .lanes
            .iter()
            .position(|l| matches!(l, Lane::Timer(_)))
            .unwrap_or(len);
        b.before_timers = b.timers_from;
        b.group_end = b.timers_from;
        b.group_left = 0;
        if !ties_only || b.before_timers == 0 {
            b.release_timer_group(timers, futs);
        }
    }

    /// Takes the next entry of the batch: the scheduler's pick when there is a choice.
    pub(crate) fn next_batch_entry(&mut self) -> Entry {
        let choice = if self.batch.eligible.len() > 1 {
            let (iteration, now) = (self.iteration, self.now);
            let Core {
                batch, scheduler, ..
            } = self;
            let scheduler = scheduler
                .as_mut()
                .expect("a reordering level has a scheduler");
            scheduler
                .pick(iteration, now, &batch.eligible)
                .min(batch.eligible.len() - 1)
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
        let taken = b.eligible[choice];
        let i = taken.fifo_index;
        let entry = b.entries[i].take().expect("an eligible entry is untaken");
        match taken.lane {
            Lane::Timer(_) => {
                b.eligible.remove(choice);
                b.group_left -= 1;
                if b.group_left == 0 {
                    b.release_timer_group(timers, futs);
                }
            }
            lane => {
                let n = b.next[i];
                if n == NONE {
                    b.eligible.remove(choice);
                } else {
                    let task = b.entries[n]
                        .as_ref()
                        .and_then(|e| b.subject(timers, futs, e));
                    b.replace_eligible(choice, n, lane, task);
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
            let task = self.entries[i]
                .as_ref()
                .and_then(|e| self.subject(timers, futs, e));
            self.push_eligible(i, Lane::Timer(when), task);
        }
        self.group_end = end;
        self.group_left = end - start;
    }

    /// The candidate's task, if the scheduler reads it.
    #[inline]
    fn subject(&self, timers: &[TimerSlot], futs: &[FutSlot], e: &Entry) -> Option<u32> {
        if self.reads_tasks {
            subject(timers, futs, e)
        } else {
            None
        }
    }

    fn push_eligible(&mut self, i: usize, lane: Lane, task: Option<u32>) {
        self.eligible.push(Candidate {
            lane,
            fifo_index: i,
            task,
        });
    }

    /// Replaces the candidate at `at` by the entry `i` of the same lane (which comes later in
    /// the batch), keeping the candidates in batch order: the ones in between move up by one.
    fn replace_eligible(&mut self, at: usize, i: usize, lane: Lane, task: Option<u32>) {
        let to = at + self.eligible[at..].partition_point(|c| c.fifo_index < i) - 1;
        self.eligible.copy_within(at + 1..=to, at);
        self.eligible[to] = Candidate {
            lane,
            fifo_index: i,
            task,
        };
    }
}
