//! Validation of a parsed document against graph-format 2.2–2.7, producing the typed
//! [`Graph`].
//!
//! The walk follows the document: top-level keys, task names, then each task body in
//! document order (ops, their parameters and nested blocks), then the await graph, then the
//! expectations. The first problem met is reported.

mod awaits;
mod check;
mod expect;
mod names;
mod ops;
mod values;

use super::error::{GraphError, quoted};
use super::json::{Json, member};
use super::model::{Graph, TaskDef};
use super::path::JsonPath;
use awaits::AwaitGraph;
use check::{fail, is_name, not_a_name, object, only_keys, required, string};
use names::Names;
use ops::OpReader;

/// The only `format` this reader knows.
const FORMAT: &str = "aiosim-graph/1";
/// The keys a document may have.
const TOP_LEVEL_KEYS: [&str; 6] = ["format", "name", "description", "main", "tasks", "expect"];
/// Most task definitions.
const MAX_TASKS: usize = 64;

/// Checks a document read by the strict JSON reader and builds its [`Graph`].
pub(crate) fn validate(document: &Json) -> Result<Graph, GraphError> {
    let root = JsonPath::Root;
    let top = object(document, &root, "the document")?;
    only_keys(top, &root, &TOP_LEVEL_KEYS, "the document")?;

    let format_path = root.key("format");
    let format = string(
        required(top, &root, "format", "the document")?,
        &format_path,
        "format",
    )?;
    if format != FORMAT {
        return Err(fail(
            &format_path,
            format!("format {} is not {FORMAT:?}", quoted(format)),
        ));
    }
    let name = string(
        required(top, &root, "name", "the document")?,
        &root.key("name"),
        "name",
    )?;
    let description = match member(top, "description") {
        Some(json) => Some(string(json, &root.key("description"), "description")?.into()),
        None => None,
    };

    let tasks_path = root.key("tasks");
    let tasks = object(
        required(top, &root, "tasks", "the document")?,
        &tasks_path,
        "tasks",
    )?;
    if tasks.is_empty() || tasks.len() > MAX_TASKS {
        return Err(fail(
            &tasks_path,
            format!(
                "tasks defines 1 to {MAX_TASKS} tasks, this one defines {}",
                tasks.len()
            ),
        ));
    }
    if let Some((task, _)) = tasks.iter().find(|(task, _)| !is_name(task)) {
        return Err(fail(&tasks_path.key(task), not_a_name("task name", task)));
    }
    let main_path = root.key("main");
    let main_name = string(
        required(top, &root, "main", "the document")?,
        &main_path,
        "main",
    )?;
    let main = tasks
        .iter()
        .position(|(task, _)| task == main_name)
        .ok_or_else(|| {
            fail(
                &main_path,
                format!("main {} is not a key of tasks", quoted(main_name)),
            )
        })?;

    let names = Names::new(tasks);
    let mut awaits = AwaitGraph::new(tasks.len());
    let mut reader = OpReader::new(&names, &mut awaits);
    let mut definitions = Vec::with_capacity(tasks.len());
    for (index, ((_, body), task)) in tasks.iter().zip(names.tasks()).enumerate() {
        definitions.push(TaskDef {
            name: task.clone(),
            body: reader.body(index, body, &tasks_path.key(task))?,
        });
    }
    awaits.check_acyclic(names.tasks())?;

    let expect = match member(top, "expect") {
        Some(json) => expect::expectations(json, &root.key("expect"), &names)?,
        None => Vec::new(),
    };
    Ok(Graph {
        name: name.into(),
        description,
        main,
        tasks: definitions,
        futures: names.futures().to_vec(),
        expect,
    })
}
