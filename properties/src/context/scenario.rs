//! What the oracles derive from the scenario alone: every op with its enclosing blocks, and
//! what the scenario says about each name.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::Arc;

use aiosim_sim::graph::{Block, Graph, Handler, Op};
use aiosim_sim::trace::OpKind;

use super::{NameInfo, OpInfo, PairMap};

/// Every op of a scenario, in the order of the graph (task by task, each body depth first),
/// and found by (task, path).
#[derive(Debug, Default)]
pub struct OpTable {
    list: Vec<OpInfo>,
    index: PairMap<usize>,
}

impl OpTable {
    /// The op at path `at` of `task`.
    pub fn get(&self, task: &str, at: &str) -> Option<&OpInfo> {
        self.position(task, at).map(|i| &self.list[i])
    }

    /// The position in graph order of the op at path `at` of `task`.
    pub fn position(&self, task: &str, at: &str) -> Option<usize> {
        self.index.get(task, at).copied()
    }

    /// The op at `position` in graph order.
    pub fn nth(&self, position: usize) -> &OpInfo {
        &self.list[position]
    }

    /// Every op, in graph order.
    pub fn values(&self) -> std::slice::Iter<'_, OpInfo> {
        self.list.iter()
    }

    /// Adds an op (one already at its task and path is replaced in place).
    fn insert(&mut self, info: OpInfo) {
        match self.index.get(&info.task, &info.at) {
            Some(&i) => self.list[i] = info,
            None => {
                self.index
                    .insert(info.task.clone(), info.at.clone(), self.list.len());
                self.list.push(info);
            }
        }
    }
}

/// What the oracles derive from the scenario alone: the same for every run of it.
#[derive(Debug, Default)]
pub struct ScenarioModel {
    /// Every op of the scenario by (task, path).
    pub ops: OpTable,
    /// What the scenario says about each task and future name.
    pub names: BTreeMap<Arc<str>, NameInfo>,
}

impl ScenarioModel {
    /// The model of `graph`. A thread keeps the model of the last scenario it was asked
    /// about, with a share of that scenario, so that the runs of one exploration build it
    /// once per thread. The model is reused for that same shared scenario (which cannot
    /// change while the thread holds its share) without comparing, and for an equal one.
    pub fn of(graph: &Arc<Graph>) -> Arc<ScenarioModel> {
        thread_local! {
            static LAST: RefCell<Option<(Arc<Graph>, Arc<ScenarioModel>)>> =
                const { RefCell::new(None) };
        }
        LAST.with(|last| {
            let mut last = last.borrow_mut();
            if let Some((seen, model)) = last.as_ref()
                && (Arc::ptr_eq(seen, graph) || **seen == **graph)
            {
                return model.clone();
            }
            let model = Arc::new(ScenarioModel::build(graph));
            *last = Some((graph.clone(), model.clone()));
            model
        })
    }

    fn build(graph: &Graph) -> ScenarioModel {
        let mut model = ScenarioModel::default();
        for def in &graph.tasks {
            let mut anc = Vec::new();
            walk(&def.name, &def.body, &mut anc, &mut model.ops);
        }
        model.collect_names();
        model
    }

    fn collect_names(&mut self) {
        let mut names: BTreeMap<Arc<str>, NameInfo> = BTreeMap::new();
        for info in self.ops.values() {
            let site = (info.task.clone(), info.at.clone());
            match &info.op {
                Op::Await(r) => {
                    let n = names.entry(r.name().clone()).or_default();
                    n.forwarded_by.push(site.clone());
                    n.retrieved_by.push((site.0, site.1, OpKind::Await));
                }
                Op::WaitFor { target, timeout } => {
                    let n = names.entry(target.name().clone()).or_default();
                    n.forwarded_by.push(site.clone());
                    n.retrieved_by
                        .push((site.0.clone(), site.1, OpKind::WaitFor));
                    if timeout.is_some_and(|t| t > 0) {
                        names.entry(site.0).or_default().own_cancellers = true;
                    }
                    if *timeout == Some(0) {
                        names
                            .entry(target.name().clone())
                            .or_default()
                            .zero_wait_for = true;
                    }
                }
                Op::Gather { refs, .. } => {
                    for r in refs {
                        let n = names.entry(r.name().clone()).or_default();
                        n.forwarded_by.push(site.clone());
                        n.retrieved_by
                            .push((site.0.clone(), site.1.clone(), OpKind::Gather));
                    }
                }
                Op::Shield(r) => {
                    let n = names.entry(r.name().clone()).or_default();
                    n.retrieved_by.push((site.0, site.1, OpKind::Shield));
                }
                Op::AsCompleted { refs, .. } => {
                    for r in refs {
                        let n = names.entry(r.name().clone()).or_default();
                        n.retrieved_by
                            .push((site.0.clone(), site.1.clone(), OpKind::AsCompleted));
                    }
                }
                Op::Cancel { target, .. } => {
                    names
                        .entry(target.name().clone())
                        .or_default()
                        .cancelled_by
                        .push(site);
                }
                Op::Spawn(t) if info.in_taskgroup => {
                    names
                        .entry(t.name.clone())
                        .or_default()
                        .spawned_in_taskgroup = true;
                }
                Op::Timeout {
                    timeout: Some(_), ..
                }
                | Op::TaskGroup(_) => {
                    names.entry(site.0).or_default().own_cancellers = true;
                }
                _ => {}
            }
        }
        self.names = names;
    }
}

/// Records every op of `block` (and nested blocks) with its enclosing blocks.
fn walk(task: &Arc<str>, block: &Block, anc: &mut Vec<(Arc<str>, Op)>, out: &mut OpTable) {
    for node in block {
        let info = OpInfo {
            task: task.clone(),
            at: node.at.clone(),
            op: shallow(&node.op),
            ancestors: anc.iter().map(|(a, _)| a.clone()).collect(),
            in_taskgroup: anc.iter().any(|(_, op)| matches!(op, Op::TaskGroup(_))),
            under_timeout: anc.iter().any(|(_, op)| {
                matches!(
                    op,
                    Op::Timeout {
                        timeout: Some(_),
                        ..
                    }
                )
            }),
            body_end: match &node.op {
                Op::Timeout { body, .. } | Op::TaskGroup(body) => body.last().map(|n| n.at.clone()),
                _ => None,
            },
            kind: OpKind::from_keyword(node.op.keyword()).expect("every op keyword is a kind"),
        };
        out.insert(info);
        let nested: Vec<&Block> = match &node.op {
            Op::Try {
                body,
                handlers,
                finally,
            } => std::iter::once(body)
                .chain(handlers.iter().map(|h| &h.body))
                .chain(finally.iter())
                .collect(),
            Op::Timeout { body, .. } | Op::TaskGroup(body) => vec![body],
            _ => Vec::new(),
        };
        if !nested.is_empty() {
            anc.push((node.at.clone(), shallow(&node.op)));
            for b in nested {
                walk(task, b, anc, out);
            }
            anc.pop();
        }
    }
}

/// The op with its nested blocks left empty.
fn shallow(op: &Op) -> Op {
    match op {
        Op::Try {
            handlers, finally, ..
        } => Op::Try {
            body: Vec::new(),
            handlers: handlers
                .iter()
                .map(|h| Handler {
                    ty: h.ty.clone(),
                    body: Vec::new(),
                })
                .collect(),
            finally: finally.as_ref().map(|_| Vec::new()),
        },
        Op::Timeout { timeout, .. } => Op::Timeout {
            timeout: *timeout,
            body: Vec::new(),
        },
        Op::TaskGroup(_) => Op::TaskGroup(Vec::new()),
        other => other.clone(),
    }
}
