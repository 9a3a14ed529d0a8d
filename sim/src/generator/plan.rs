//! The skeleton of a graph, drawn before any op: task and future names, which task spawns
//! which, which task creates and which sets each future.
//!
//! Tasks are identified by their **rank**: `main` is rank 0, the others 1, 2, ...; a task is
//! spawned (by plan) by a task of lower rank. Each task also has an **await level**, a
//! permutation of the ranks (often the identity), which keeps the graph free of await
//! cycles (graph-format 2.6 rule 4): a body may `await`, `wait_for` or `gather` only tasks of
//! a higher level. When the permutation is not the identity, children can await their
//! parents, and other tasks can await `main`. The document lists the tasks in yet another
//! order (sometimes shuffled), which must not matter.

use super::config::GenConfig;
use super::rng::Rng;

pub(crate) struct Plan {
    /// Task names by rank.
    pub task_names: Vec<String>,
    /// Ranks in document order.
    pub doc_order: Vec<usize>,
    /// Await level by rank (a permutation of the ranks).
    pub await_level: Vec<usize>,
    /// Future names.
    pub future_names: Vec<String>,
    /// Per rank: the ranks of the tasks its body must spawn (the spawn tree).
    pub spawns: Vec<Vec<usize>>,
    /// Per rank: the futures its body must create.
    pub creates: Vec<Vec<usize>>,
    /// Per rank: the futures its body must set (`set_result` or `set_exception`).
    pub sets: Vec<Vec<usize>>,
}

impl Plan {
    pub(crate) fn draw(rng: &mut Rng, cfg: &GenConfig) -> Plan {
        let n_tasks = 1 + rng.below(cfg.max_tasks);
        let n_futures = rng.upto(cfg.max_futures);
        // Names share one numeric suffix counter, so they are all distinct (a name may not be
        // both a task and a future, 2.3), while their prefixes vary the code point order of
        // `tasks_pending`/`futures_pending` and of `wait` results.
        let mut counter = 0;
        let mut fresh = |rng: &mut Rng, prefixes: &[&str]| {
            counter += 1;
            format!("{}{counter}", rng.pick(prefixes))
        };
        let main = if rng.percent(80) {
            "main".to_owned()
        } else {
            rng.pick(&["Main", "root", "_main", "zmain"]).to_string()
        };
        let mut task_names = vec![main];
        for _ in 1..n_tasks {
            let name = fresh(rng, &["t", "t", "w", "T", "_t", "job_", "a"]);
            task_names.push(name);
        }
        let future_names: Vec<String> = (0..n_futures)
            .map(|_| fresh(rng, &["f", "f", "fut", "F", "_f"]))
            .collect();

        let mut doc_order: Vec<usize> = (0..n_tasks).collect();
        if rng.percent(30) {
            rng.shuffle(&mut doc_order);
        }

        let mut await_level: Vec<usize> = (0..n_tasks).collect();
        if rng.percent(40) {
            rng.shuffle(&mut await_level);
        }

        let mut spawns = vec![Vec::new(); n_tasks];
        for child in 1..n_tasks {
            if !rng.percent(cfg.unspawned_task_percent) {
                // Mostly spawned by a recent rank (chains), sometimes by main.
                let parent = if rng.percent(40) { 0 } else { rng.below(child) };
                spawns[parent].push(child);
            }
        }
        for list in &mut spawns {
            rng.shuffle(list);
        }

        let mut creates = vec![Vec::new(); n_tasks];
        let mut sets = vec![Vec::new(); n_tasks];
        for future in 0..n_futures {
            // Mostly main, which runs first, so other tasks find the future created.
            let creator = if rng.percent(60) {
                0
            } else {
                rng.below(n_tasks)
            };
            creates[creator].push(future);
            if !rng.percent(cfg.unset_future_percent) {
                // Often the creator itself (after creating), otherwise any task.
                let setter = if rng.percent(30) {
                    creator
                } else {
                    rng.below(n_tasks)
                };
                sets[setter].push(future);
                if rng.percent(cfg.double_set_percent) {
                    sets[rng.below(n_tasks)].push(future);
                }
            }
        }
        Plan {
            task_names,
            doc_order,
            await_level,
            future_names,
            spawns,
            creates,
            sets,
        }
    }

    /// Drops forced ops until they fit in `budget` ops: second setters and setters first,
    /// then planned spawns, then whole futures (a future name exists only through its
    /// `future` op, so its creation cannot be dropped alone).
    pub(crate) fn fit(&mut self, budget: usize) {
        while self.forced_ops() > budget {
            if let Some(list) = self.sets.iter_mut().rev().find(|l| !l.is_empty()) {
                list.pop();
            } else if let Some(list) = self.spawns.iter_mut().rev().find(|l| !l.is_empty()) {
                list.pop();
            } else {
                let last = self.future_names.len() - 1;
                self.future_names.pop();
                for list in &mut self.creates {
                    list.retain(|&f| f != last);
                }
            }
        }
    }

    /// The task whose body the plan makes spawn `rank`, if any.
    pub(crate) fn parent_of(&self, rank: usize) -> Option<usize> {
        self.spawns
            .iter()
            .position(|children| children.contains(&rank))
    }

    pub(crate) fn n_tasks(&self) -> usize {
        self.task_names.len()
    }

    /// Ops the plan forces into bodies (reserved from the op budget up front).
    pub(crate) fn forced_ops(&self) -> usize {
        [&self.spawns, &self.creates, &self.sets]
            .iter()
            .flat_map(|lists| lists.iter())
            .map(Vec::len)
            .sum()
    }
}
