//! The `aiosim-graph/1` scenario format (graph-format sections 2.1–2.7): reading, validation
//! and the typed model.

mod error;
mod json;
mod model;
mod path;
mod read;
mod unshare;
mod validate;

pub use error::{GraphError, Location};
pub use model::{
    Block, ExcSpec, Expectation, ExpectedOutcome, FutureRef, Graph, Handler, Op, OpNode, Ref,
    ReturnWhen, TaskDef, TaskRef, Ticks,
};

/// Reads and validates an `aiosim-graph/1` scenario document.
///
/// `bytes` must be the whole document: UTF-8 without byte order mark, one JSON value. On
/// success every static rule of graph-format 2.1–2.7 holds and references are resolved; on
/// failure the error names the first problem met and where it is (a JSON path, or a line
/// and column for JSON syntax errors).
pub fn parse_graph(bytes: &[u8]) -> Result<Graph, GraphError> {
    let document = read::read_json(bytes)?;
    validate::validate(&document)
}
