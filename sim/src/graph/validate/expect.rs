//! Expectations (graph-format 2.7).

use std::sync::Arc;

use super::super::error::GraphError;
use super::super::json::{Json, member};
use super::super::model::{Expectation, ExpectedOutcome, TaskRef};
use super::super::path::{JsonPath, Segment};
use super::check::{
    Members, array, boolean, fail, name, object, only_keys, required, string, string_or_null,
};
use super::names::Names;
use super::values::value;

/// Most entries in `expect`.
const MAX_EXPECTATIONS: usize = 256;
/// Most outcomes in one `end_in` or `run_in` list.
const MAX_ALTERNATIVES: usize = 64;

/// Reads the `expect` list.
pub(super) fn expectations(
    json: &Json,
    path: &JsonPath<'_>,
    names: &Names,
) -> Result<Vec<Expectation>, GraphError> {
    let items = array(json, path, "expect")?;
    if items.len() > MAX_EXPECTATIONS {
        return Err(fail(
            path,
            format!(
                "expect has {} entries; at most {MAX_EXPECTATIONS} are allowed",
                items.len()
            ),
        ));
    }
    items
        .iter()
        .enumerate()
        .map(|(index, item)| expectation(item, &path.index(index), names))
        .collect()
}

/// The forms of an expectation, told apart by their keys.
#[derive(Clone, Copy)]
enum Form {
    End,
    EndIn,
    Run,
    RunIn,
    Deadlock,
}

impl Form {
    /// The form an expectation object is meant to have (its other keys are checked later).
    fn of(members: &Members, path: &JsonPath<'_>) -> Result<Form, GraphError> {
        let has = |key| member(members, key).is_some();
        if has("task") {
            Ok(if has("end_in") {
                Form::EndIn
            } else {
                Form::End
            })
        } else if has("run") {
            Ok(Form::Run)
        } else if has("run_in") {
            Ok(Form::RunIn)
        } else if has("deadlock") {
            Ok(Form::Deadlock)
        } else {
            Err(fail(
                path,
                "an expectation has the keys task and end, task and end_in, run, run_in, or \
                 deadlock",
            ))
        }
    }

    /// Exactly the keys of this form.
    fn keys(self) -> &'static [&'static str] {
        match self {
            Form::End => &["task", "end"],
            Form::EndIn => &["task", "end_in"],
            Form::Run => &["run"],
            Form::RunIn => &["run_in"],
            Form::Deadlock => &["deadlock"],
        }
    }
}

fn expectation(json: &Json, path: &JsonPath<'_>, names: &Names) -> Result<Expectation, GraphError> {
    let members = object(json, path, "an expectation")?;
    let form = Form::of(members, path)?;
    only_keys(members, path, form.keys(), "this form of expectation")?;
    let field = |key: &str| required(members, path, key, "an expectation");
    let task = || -> Result<TaskRef, GraphError> {
        names.task(field("task")?, &path.key("task"), "the expectation's task")
    };
    Ok(match form {
        Form::End => Expectation::End {
            task: task()?,
            outcome: outcome(field("end")?, &path.key("end"))?,
        },
        Form::EndIn => Expectation::EndIn {
            task: task()?,
            outcomes: alternatives(field("end_in")?, &path.key("end_in"))?,
        },
        Form::Run => Expectation::Run(outcome(field("run")?, &path.key("run"))?),
        Form::RunIn => Expectation::RunIn(alternatives(field("run_in")?, &path.key("run_in"))?),
        Form::Deadlock => Expectation::Deadlock(boolean(
            field("deadlock")?,
            &path.key("deadlock"),
            "deadlock",
        )?),
    })
}

/// The outcome list of `end_in` or `run_in`: 1 to 64 outcomes.
fn alternatives(json: &Json, path: &JsonPath<'_>) -> Result<Vec<ExpectedOutcome>, GraphError> {
    let items = array(json, path, "a list of outcomes")?;
    if items.is_empty() || items.len() > MAX_ALTERNATIVES {
        return Err(fail(
            path,
            format!(
                "a list of outcomes has 1 to {MAX_ALTERNATIVES} entries, this one has {}",
                items.len()
            ),
        ));
    }
    let mut outcomes = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        outcomes.push(outcome(item, &path.index(index))?);
    }
    Ok(outcomes)
}

/// An exception group outcome whose members are being read.
struct Group<'j> {
    ty: Arc<str>,
    msg: Arc<str>,
    members: &'j [Json],
    read: Vec<ExpectedOutcome>,
}

/// What reading one outcome object gives: a finished outcome, or a group whose members are
/// still to be read.
enum Read<'j> {
    Done(ExpectedOutcome),
    Group(Group<'j>),
}

/// An outcome as an expectation writes it (graph-format 2.7).
///
/// Groups may nest as deep as the document does (up to 1000 levels of brackets), so the walk
/// keeps its own stack of open groups rather than recursing.
fn outcome(json: &Json, path: &JsonPath<'_>) -> Result<ExpectedOutcome, GraphError> {
    let mut segments = path.segments();
    let mut open: Vec<Group<'_>> = Vec::new();
    let mut current = json;
    loop {
        let mut finished = match outcome_object(current, &JsonPath::Segments(&segments))? {
            Read::Done(outcome) => outcome,
            Read::Group(group) => {
                current = &group.members[0];
                segments.extend([Segment::Key("excs"), Segment::Index(0)]);
                open.push(group);
                continue;
            }
        };
        // Hand the finished outcome to its group; close the groups it completes.
        loop {
            let Some(mut group) = open.pop() else {
                return Ok(finished);
            };
            group.read.push(finished);
            segments.pop();
            if let Some(next) = group.members.get(group.read.len()) {
                segments.push(Segment::Index(group.read.len()));
                current = next;
                open.push(group);
                break;
            }
            segments.pop();
            finished = ExpectedOutcome::Err {
                ty: group.ty,
                msg: group.msg,
                excs: Some(group.read),
            };
        }
    }
}

/// Reads one outcome object: `{"ok": V}`, `{"cancelled": MSG}`, or `{"err": TYPE, "msg":
/// STR}` with an optional non-empty `excs` list (whose members are left to the caller).
fn outcome_object<'j>(json: &'j Json, path: &JsonPath<'_>) -> Result<Read<'j>, GraphError> {
    let members = object(json, path, "an outcome")?;
    let has = |key| member(members, key).is_some();
    let field = |key: &str| required(members, path, key, "an outcome");
    if has("ok") {
        only_keys(members, path, &["ok"], "an ok outcome")?;
        Ok(Read::Done(ExpectedOutcome::Ok(value(
            field("ok")?,
            &path.key("ok"),
        )?)))
    } else if has("cancelled") {
        only_keys(members, path, &["cancelled"], "a cancelled outcome")?;
        let msg = string_or_null(field("cancelled")?, &path.key("cancelled"), "cancelled")?;
        Ok(Read::Done(ExpectedOutcome::Cancelled(msg)))
    } else if has("err") {
        only_keys(members, path, &["err", "msg", "excs"], "an err outcome")?;
        let ty: Arc<str> = name(field("err")?, &path.key("err"), "exception type")?.into();
        let msg: Arc<str> = string(field("msg")?, &path.key("msg"), "msg")?.into();
        let Some(excs) = member(members, "excs") else {
            return Ok(Read::Done(ExpectedOutcome::Err {
                ty,
                msg,
                excs: None,
            }));
        };
        let excs_path = path.key("excs");
        let members = array(excs, &excs_path, "excs")?;
        if members.is_empty() {
            return Err(fail(&excs_path, "excs, when present, is a non-empty list"));
        }
        Ok(Read::Group(Group {
            ty,
            msg,
            members,
            read: Vec::with_capacity(members.len()),
        }))
    } else if has("return") {
        Err(fail(
            path,
            "the return form is not an outcome that an expectation can state",
        ))
    } else {
        Err(fail(
            path,
            "an outcome is {\"ok\": V}, {\"cancelled\": MSG} or {\"err\": TYPE, \"msg\": STR} \
             (with optional \"excs\")",
        ))
    }
}
