//! The ops of a parsed graph, nested blocks included.
//!
//! Included with `#[path]` by the tests of several packages.

use aiosim_sim::graph::{Block, Op, OpNode};

/// The blocks nested directly in `op`, in document order: a `try`'s body, its handlers'
/// bodies and its `finally`, or the body of a `timeout` or a task group. None for other ops.
pub fn nested_blocks(op: &Op) -> Vec<&Block> {
    match op {
        Op::Try {
            body,
            handlers,
            finally,
        } => {
            let mut blocks = vec![body];
            blocks.extend(handlers.iter().map(|h| &h.body));
            blocks.extend(finally.iter());
            blocks
        }
        Op::Timeout { body, .. } | Op::TaskGroup(body) => vec![body],
        _ => Vec::new(),
    }
}

/// Every op of `block` and of the blocks nested in it, in document order (an op comes
/// before the ops nested in it).
pub fn all_ops(block: &[OpNode]) -> Vec<&OpNode> {
    let mut ops = Vec::new();
    for node in block {
        ops.push(node);
        for inner in nested_blocks(&node.op) {
            ops.extend(all_ops(inner));
        }
    }
    ops
}
