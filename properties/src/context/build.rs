//! Building a run's model from its report: the ops that ran, the objects' histories, and the
//! ready-queue entries the trace shows.

use std::sync::Arc;

use aiosim_sim::graph::{Graph, Op};
use aiosim_sim::interp::RunReport;
use aiosim_sim::trace::{Event, Outcome};

use super::{
    CancelOp, CompletedBy, Completion, FINAL, NameMap, ObjectModel, Observation, OpExec, Queued,
    QueuedKind, Registration, RunModel, ScenarioModel, Shown, States, Steps, TraceIndex, after,
    before, event_of, is_bool, is_injected, unresolved,
};

impl RunModel {
    /// The model of one run of `graph`, from its report and the index of its trace.
    pub(super) fn build(graph: &Arc<Graph>, report: &RunReport, index: &TraceIndex) -> RunModel {
        let events = &report.trace.events;
        let iter_of = |i: usize| report.event_iterations.get(i).copied().unwrap_or(0);
        let mut m = RunModel {
            main: graph.main_task().name.clone(),
            scenario: ScenarioModel::of(graph),
            ..RunModel::default()
        };
        m.event_ops = events
            .iter()
            .map(|e| match e {
                Event::Op { task, at, .. } | Event::Item { task, at, .. } => {
                    m.scenario.ops.position(task, at)
                }
                _ => None,
            })
            .collect();

        m.steps = Steps::of(events, iter_of);
        m.injection_seen = events.iter().any(|e| match e {
            Event::Op { out, .. } | Event::End { out, .. } | Event::Item { out, .. } => {
                is_injected(out)
            }
            Event::Finish { run: Some(out), .. } => is_injected(out),
            _ => false,
        });

        m.collect_execs(report, index);
        m.collect_objects(report);
        let spawns = m.collect_op_effects(events);
        m.collect_queued(report, &spawns);

        if let Some(e) = m.objects.get(&m.main).and_then(|o| o.end) {
            m.stop_iteration = Some(iter_of(e) + 1);
        }
        m.collect_hidden();
        m
    }

    fn collect_execs(&mut self, report: &RunReport, index: &TraceIndex) {
        let events = &report.trace.events;
        // The `op` event and the scenario op of each start.
        let ends: Vec<(Option<usize>, Option<usize>)> = report
            .op_starts
            .iter()
            .map(|start| {
                let event = index.op.get(&start.task, &start.at).copied();
                // The op of its `op` event, which ended this very op.
                let op = match event {
                    Some(e) => self.event_ops[e],
                    None => self.scenario.ops.position(&start.task, &start.at),
                };
                (event, op)
            })
            .collect();
        self.exec_by_op = vec![None; self.scenario.ops.values().len()];
        for (s, (start, &(_, op))) in report.op_starts.iter().zip(&ends).enumerate() {
            match op {
                Some(p) => self.exec_by_op[p] = Some(s),
                None => {
                    self.exec_by.insert(start.task.clone(), start.at.clone(), s);
                }
            }
        }
        // The start of the op of each `op` and `item` event (a step's events are its task's).
        let event_starts: Vec<Option<usize>> = events
            .iter()
            .enumerate()
            .map(|(i, e)| match e {
                Event::Op { task, at, .. } | Event::Item { task, at, .. } => {
                    self.start_index(task, at, self.event_ops[i])
                }
                _ => None,
            })
            .collect();
        self.execs.reserve(report.op_starts.len());
        for (s, (start, &(event, op))) in report.op_starts.iter().zip(&ends).enumerate() {
            let step = self.steps.get(&start.task, start.iteration);
            let mut gap = None;
            if let Some(step) = step {
                let mut last_before = None;
                for &i in step {
                    let earlier = match &events[i] {
                        Event::Start { .. } => true,
                        Event::Op { at, .. } | Event::Item { at, .. } => {
                            let ancestor = start.at.len() > at.len()
                                && start.at.starts_with(&**at)
                                && start.at.as_bytes()[at.len()] == b'.';
                            let started_before = event_starts[i].is_some_and(|q| q < s);
                            started_before && !ancestor
                        }
                        _ => false,
                    };
                    if earlier {
                        last_before = Some(i);
                    }
                }
                gap = match last_before {
                    Some(i) => Some(i + 1),
                    None => step.first().copied(),
                };
            }
            self.execs.push(OpExec {
                task: start.task.clone(),
                at: start.at.clone(),
                start_t: start.t,
                start_iteration: start.iteration,
                gap,
                event,
                op,
            });
        }
    }

    fn collect_objects(&mut self, report: &RunReport) {
        let events = &report.trace.events;
        let mut objects: NameMap<ObjectModel> = NameMap::default();
        let entry = |objects: &mut NameMap<ObjectModel>, name: &Arc<str>, task| {
            objects
                .get_or_insert_with(name, || ObjectModel {
                    name: name.clone(),
                    is_task: task,
                    ..ObjectModel::default()
                })
                .is_task = task;
        };
        entry(&mut objects, &self.main, true);
        for f in &report.finals {
            entry(&mut objects, &f.name, f.is_task);
            let o = objects.get_mut(&f.name).expect("just inserted");
            o.final_state = Some(f.state);
            if f.is_task {
                o.final_cancelling = Some(f.cancelling);
            }
            o.observations.push(Observation {
                pos: FINAL,
                allowed: States::of_final(f.state),
                event: None,
                what: Shown::FinalState(f.state),
            });
        }
        let obs = |objects: &mut NameMap<ObjectModel>,
                   name: &Arc<str>,
                   pos: u64,
                   allowed: States,
                   event: usize,
                   what: Shown| {
            if let Some(o) = objects.get_mut(name) {
                o.observations.push(Observation {
                    pos,
                    allowed,
                    event: Some(event),
                    what,
                });
            }
        };
        for (i, e) in events.iter().enumerate() {
            match e {
                Event::Start { task, .. } => {
                    if let Some(o) = objects.get_mut(task) {
                        o.start.get_or_insert(i);
                    }
                    obs(
                        &mut objects,
                        task,
                        before(i),
                        States::PENDING,
                        i,
                        Shown::Text("its start"),
                    );
                }
                Event::End { task, out, .. } => {
                    if let Some(o) = objects.get_mut(task) {
                        o.end.get_or_insert(i);
                        o.end_out.get_or_insert_with(|| out.clone());
                    }
                    obs(
                        &mut objects,
                        task,
                        before(i),
                        States::PENDING,
                        i,
                        Shown::Text("its end"),
                    );
                    let done = match out {
                        Outcome::Cancelled(_) => States::CANCELLED,
                        Outcome::Err { .. } => States::ERR,
                        _ => States::OK.or(States::CANCELLED),
                    };
                    obs(
                        &mut objects,
                        task,
                        after(i),
                        done,
                        i,
                        Shown::End(out.clone()),
                    );
                }
                Event::Callback { of, state, .. } => {
                    obs(
                        &mut objects,
                        of,
                        before(i),
                        States::of_callback(*state),
                        i,
                        Shown::Callback(*state),
                    );
                }
                Event::Op { task, at, out, .. } => {
                    let Some(info) = self.event_op(events, i, task, at) else {
                        continue;
                    };
                    let Some(target) = info.target().cloned() else {
                        continue;
                    };
                    if unresolved(out, &target) {
                        continue;
                    }
                    let what = |label: &'static str| Shown::Op {
                        label,
                        task: task.clone(),
                        at: at.clone(),
                        out: out.clone(),
                    };
                    match &info.op {
                        Op::Spawn(t) if matches!(out, Outcome::Ok(_)) => {
                            entry(&mut objects, &t.name, true);
                            if let Some(o) = objects.get_mut(&t.name) {
                                o.created.get_or_insert(i);
                            }
                            obs(
                                &mut objects,
                                &target,
                                after(i),
                                States::PENDING,
                                i,
                                what("spawn"),
                            );
                        }
                        Op::Future(f) if matches!(out, Outcome::Ok(_)) => {
                            entry(&mut objects, &f.name, false);
                            if let Some(o) = objects.get_mut(&f.name) {
                                o.created.get_or_insert(i);
                            }
                            let w = what("future");
                            obs(&mut objects, &target, after(i), States::PENDING, i, w);
                        }
                        Op::SetResult { .. } | Op::SetException { .. } => {
                            let is_result = matches!(info.op, Op::SetResult { .. });
                            let w = what(if is_result {
                                "set_result"
                            } else {
                                "set_exception"
                            });
                            match out {
                                Outcome::Ok(_) => {
                                    let (by, states) = match &info.op {
                                        Op::SetException { exc, .. } => {
                                            (CompletedBy::Exception(exc.clone()), States::ERR)
                                        }
                                        Op::SetResult { value, .. } => {
                                            (CompletedBy::Result(value.clone()), States::OK)
                                        }
                                        _ => continue,
                                    };
                                    obs(
                                        &mut objects,
                                        &target,
                                        before(i),
                                        States::PENDING,
                                        i,
                                        w.clone(),
                                    );
                                    obs(&mut objects, &target, after(i), states, i, w);
                                    if let Some(o) = objects.get_mut(&target) {
                                        o.completion.get_or_insert(Completion { event: i, by });
                                    }
                                }
                                Outcome::Err { ty, .. } if &**ty == "InvalidStateError" => {
                                    obs(&mut objects, &target, before(i), States::DONE, i, w);
                                }
                                _ => {}
                            }
                        }
                        Op::Cancel { msg, .. } => {
                            if is_bool(out, true) {
                                obs(
                                    &mut objects,
                                    &target,
                                    before(i),
                                    States::PENDING,
                                    i,
                                    what("cancel"),
                                );
                                let is_future = objects.get(&target).is_some_and(|o| !o.is_task);
                                if is_future {
                                    let w = what("cancel");
                                    obs(&mut objects, &target, after(i), States::CANCELLED, i, w);
                                    if let Some(o) = objects.get_mut(&target) {
                                        o.completion.get_or_insert(Completion {
                                            event: i,
                                            by: CompletedBy::Cancel(msg.clone()),
                                        });
                                    }
                                }
                            } else if is_bool(out, false) {
                                obs(
                                    &mut objects,
                                    &target,
                                    before(i),
                                    States::DONE,
                                    i,
                                    what("cancel"),
                                );
                            }
                        }
                        Op::Done(_) => {
                            let s = if is_bool(out, true) {
                                States::DONE
                            } else if is_bool(out, false) {
                                States::PENDING
                            } else {
                                continue;
                            };
                            obs(&mut objects, &target, before(i), s, i, what("done"));
                        }
                        Op::Cancelled(_) => {
                            let s = if is_bool(out, true) {
                                States::CANCELLED
                            } else if is_bool(out, false) {
                                States::PENDING.or(States::FINISHED)
                            } else {
                                continue;
                            };
                            obs(&mut objects, &target, before(i), s, i, what("cancelled"));
                        }
                        Op::Await(_) => {
                            let s = match out {
                                Outcome::Ok(_) => States::OK,
                                Outcome::Err { .. } => States::ERR,
                                _ => continue,
                            };
                            obs(&mut objects, &target, before(i), s, i, what("await"));
                        }
                        _ => {}
                    }
                }
                _ => {}
            }
        }
        for o in objects.values_mut_unordered() {
            o.observations.sort_by_key(|ob| ob.pos);
        }
        self.objects = objects;
    }

    /// In one pass over the `op` events: every `cancel` op, every registration of
    /// `add_done_callback` (each matched with the `callback` event that ran it), and the
    /// `spawn` ops that succeeded (returned as (event, task), in order).
    fn collect_op_effects(&mut self, events: &[Event]) -> Vec<(usize, Arc<str>)> {
        let mut cancels = Vec::new();
        let mut regs = Vec::new();
        let mut spawns = Vec::new();
        for oe in self.op_events(events, 0) {
            let ok = matches!(oe.out, Outcome::Ok(_));
            match &oe.info.op {
                Op::Cancel { target, msg } => {
                    let accepted = if is_bool(oe.out, true) {
                        Some(true)
                    } else if is_bool(oe.out, false) {
                        Some(false)
                    } else {
                        None
                    };
                    cancels.push(CancelOp {
                        by: oe.task.clone(),
                        target: target.name().clone(),
                        msg: msg.clone(),
                        event: oe.event,
                        accepted,
                    });
                }
                Op::AddDoneCallback { target, label } if ok => regs.push(Registration {
                    of: target.name().clone(),
                    label: label.clone(),
                    event: oe.event,
                    ran: None,
                }),
                Op::Spawn(t) if ok => spawns.push((oe.event, t.name.clone())),
                _ => {}
            }
        }
        self.cancels = cancels;
        for (i, e) in events.iter().enumerate() {
            if let Event::Callback { of, label, .. } = e {
                match regs
                    .iter_mut()
                    .find(|r| r.of == *of && r.label == *label && r.ran.is_none())
                {
                    Some(r) => r.ran = Some(i),
                    None => self.stray_callbacks.push(i),
                }
            }
        }
        self.registrations = regs;
        spawns
    }

    /// The ready-queue entries whose queueing the trace shows, given the `spawn` ops that
    /// succeeded as (event, task).
    fn collect_queued(&mut self, report: &RunReport, spawns: &[(usize, Arc<str>)]) {
        let events = &report.trace.events;
        let iter_of = |i: usize| report.event_iterations.get(i).copied().unwrap_or(0);
        let mut queued = Vec::new();
        // First steps.
        for (i, task) in spawns {
            let i = *i;
            queued.push(Queued {
                kind: QueuedKind::FirstStep(task.clone()),
                iteration: iter_of(i),
                by_timer: false,
                key: (before(i), 0),
                cause: Some(i),
                runs: self.objects.get(task).and_then(ObjectModel::first_event),
            });
        }
        // Done-callbacks.
        for r in &self.registrations {
            let Some(obj) = self.objects.get(&r.of) else {
                continue;
            };
            let reg = before(r.event);
            let kind = QueuedKind::Callback(r.of.clone(), r.label.clone());
            if obj.done_at(reg) == Some(true) {
                queued.push(Queued {
                    kind,
                    iteration: iter_of(r.event),
                    by_timer: false,
                    key: (reg, 0),
                    cause: Some(r.event),
                    runs: r.ran,
                });
            } else if let Some(done) = obj.done_pos()
                && done > reg
            {
                let c = event_of(done);
                queued.push(Queued {
                    kind,
                    iteration: iter_of(c),
                    by_timer: false,
                    key: (done, reg),
                    cause: Some(c),
                    runs: r.ran,
                });
            }
        }
        // Wake-ups of `await`, `sleep` steps.
        for x in &self.execs {
            let Some(info) = self.exec_op(x) else {
                continue;
            };
            let (Some(gap), Some(start)) = (x.gap, x.start_pos()) else {
                continue;
            };
            let suspended = x.event.is_none_or(|e| iter_of(e) != x.start_iteration);
            match &info.op {
                Op::Await(r) if suspended => {
                    let Some(obj) = self.objects.get(r.name()) else {
                        continue;
                    };
                    if let Some(done) = obj.done_pos()
                        && done > start
                        && x.event.is_none_or(|e| before(e) > done)
                    {
                        let c = event_of(done);
                        queued.push(Queued {
                            kind: QueuedKind::Wakeup(x.task.clone(), x.at.clone()),
                            iteration: iter_of(c),
                            by_timer: false,
                            key: (done, start),
                            cause: Some(c),
                            runs: x.event,
                        });
                    }
                }
                Op::Sleep(0) => queued.push(Queued {
                    kind: QueuedKind::Yield(x.task.clone(), x.at.clone()),
                    iteration: x.start_iteration,
                    by_timer: false,
                    key: (start, 0),
                    cause: gap.checked_sub(1),
                    runs: x.event,
                }),
                Op::Sleep(n) => {
                    if let Some(e) = x.event
                        && matches!(
                            events[e],
                            Event::Op {
                                out: Outcome::Ok(_),
                                ..
                            }
                        )
                        && iter_of(e) > 0
                    {
                        let deadline = x.start_t.saturating_add(*n);
                        queued.push(Queued {
                            kind: QueuedKind::Timer(x.task.clone(), x.at.clone(), deadline),
                            iteration: iter_of(e) - 1,
                            by_timer: true,
                            key: (deadline, 0),
                            cause: None,
                            runs: Some(e),
                        });
                    }
                }
                _ => {}
            }
        }
        self.queued = queued;
    }
}
