//! Every invariant ID of the catalogue's runtime areas (FUT TASK LOOP SLEEP GATHER WAIT WAITFOR
//! SHIELD ASC TMO TG RUN EAGER) is judged by an oracle or has a `not_judged` entry saying why
//! and where it is tested instead; and the table of `properties/README.md` says the same as
//! the code.
//!
//! The IDs come from the semantics catalogue (`../shared/docs/asyncio-semantics.md` beside the
//! checkout, or the file named by `AIOSIM_SEMANTICS_DOC`) when it is present, else from the copy kept in
//! `tests/data/invariant_ids.txt` at the workspace root. Either way they must be the IDs of
//! [`catalogue::IDS`], so the crate's list cannot go stale.

use std::collections::BTreeSet;
use std::path::Path;

use aiosim_properties::catalogue::{self, AREAS, IDS, Judgement};

/// The catalogue's place relative to the repository root: in the folder beside the checkout.
const DEFAULT_DOC: &str = "../shared/docs/asyncio-semantics.md";

/// `AREA-n` if `s` is one of [`AREAS`], `-`, and digits.
fn parse_id(s: &str) -> Option<String> {
    let (area, digits) = s.split_once('-')?;
    (AREAS.contains(&area) && !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.to_owned())
}

/// The IDs a catalogue defines: lines of the form `- **AREA-n** ...`.
fn ids_in_catalogue(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter_map(|l| l.strip_prefix("- **"))
        .filter_map(|l| l.split_once("**").map(|(id, _)| id))
        .filter_map(parse_id)
        .collect()
}

/// The IDs of the copy: one per line, `#` comments.
fn ids_in_copy(text: &str) -> BTreeSet<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| parse_id(l).unwrap_or_else(|| panic!("bad ID {l:?} in the copy")))
        .collect()
}

/// The catalogue's IDs, and where they were read.
fn catalogue_ids() -> (BTreeSet<String>, String) {
    let doc = std::env::var("AIOSIM_SEMANTICS_DOC").unwrap_or_else(|_| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        root.join(DEFAULT_DOC).display().to_string()
    });
    if let Ok(text) = std::fs::read_to_string(&doc) {
        let ids = ids_in_catalogue(&text);
        assert!(!ids.is_empty(), "{doc} defines no invariant ID");
        return (ids, doc);
    }
    let copy = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/invariant_ids.txt");
    let text = std::fs::read_to_string(&copy)
        .unwrap_or_else(|e| panic!("neither {doc} nor {} is readable: {e}", copy.display()));
    (ids_in_copy(&text), copy.display().to_string())
}

fn ours() -> BTreeSet<String> {
    IDS.iter().map(|s| s.to_string()).collect()
}

/// The crate's list is the catalogue's: every ID of the catalogue is in it, and (with the
/// catalogue itself at hand) nothing else is. The copy of `tests/data` has no EAGER area.
#[test]
fn the_crate_lists_exactly_the_catalogue_ids() {
    assert!(
        catalogue::ids_are_consistent(),
        "catalogue::IDS is not AREA-1..AREA-n per area"
    );
    let (ids, source) = catalogue_ids();
    let ours = ours();
    let unknown: Vec<_> = ids.difference(&ours).collect();
    assert!(
        unknown.is_empty(),
        "IDs of {source} missing from catalogue::IDS: {unknown:?}"
    );
    let extra: Vec<_> = ours
        .difference(&ids)
        .filter(|id| source.ends_with(".md") || !id.starts_with("EAGER-"))
        .collect();
    assert!(
        extra.is_empty(),
        "catalogue::IDS has IDs that {source} lacks: {extra:?}"
    );
}

/// Every ID has an oracle or a `not_judged` entry, never both, and nothing is registered under
/// an ID the catalogue does not have.
#[test]
fn every_id_is_judged_or_explained() {
    let (ids, source) = catalogue_ids();
    let judgements = catalogue::judgements();
    let oracles = judgements
        .iter()
        .filter(|(_, j)| *j == Judgement::Oracle)
        .count();
    let explained = judgements
        .iter()
        .filter(|(_, j)| matches!(j, Judgement::NotJudged(_)))
        .count();
    let missing: Vec<&str> = catalogue::missing()
        .into_iter()
        .filter(|id| ids.contains(*id))
        .collect();
    eprintln!(
        "{} IDs ({source}): {oracles} with an oracle, {explained} not judged from a run, {} missing",
        judgements.len(),
        missing.len()
    );
    let conflicts = catalogue::conflicts();
    assert!(conflicts.is_empty(), "registry conflicts: {conflicts:#?}");
    assert!(
        missing.is_empty(),
        "IDs with neither an oracle nor a not_judged entry: {missing:?}"
    );
}

/// A row of the README's table: the ID and its "judged by" cell.
fn readme_rows() -> Vec<(String, String, String)> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
    let text = std::fs::read_to_string(&path).expect("properties/README.md");
    text.lines()
        .filter_map(|l| l.strip_prefix('|'))
        .filter_map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            let id = cells.first()?.trim_matches('`');
            parse_id(id).map(|id| {
                (
                    id,
                    cells.get(1).copied().unwrap_or("").to_owned(),
                    cells.get(2).copied().unwrap_or("").to_owned(),
                )
            })
        })
        .collect()
}

/// What the README should say in the "judged by" column.
fn expected_cell(j: Judgement) -> &'static str {
    match j {
        Judgement::Oracle => "oracle",
        Judgement::NotJudged(_) => "not judged",
        Judgement::Missing => "missing",
    }
}

/// The README's table has one row per ID, in catalogue order, and each row says what the
/// code says: `oracle` for an ID of `Oracles::all()`, `not judged` for an ID of
/// `not_judged()` (with the reason in the third column).
#[test]
fn readme_table_agrees_with_the_code() {
    let rows = readme_rows();
    let mut problems = Vec::new();
    let row_ids: Vec<&str> = rows.iter().map(|(id, _, _)| id.as_str()).collect();
    if row_ids != IDS {
        problems.push(format!(
            "the table's IDs are not the catalogue's, in order:\n  table: {row_ids:?}\n  code:  {IDS:?}"
        ));
    }
    for (id, j) in catalogue::judgements() {
        let Some((_, cell, text)) = rows.iter().find(|(r, _, _)| r == id) else {
            continue;
        };
        let want = expected_cell(j);
        if cell.trim_matches('*') != want {
            problems.push(format!(
                "{id}: the README says {cell:?}, the code says {want:?}"
            ));
        }
        if text.is_empty() {
            problems.push(format!("{id}: no description or reason"));
        }
    }
    assert!(
        problems.is_empty(),
        "properties/README.md disagrees with the code:\n{}",
        problems.join("\n")
    );
}

/// Prints each ID's judgement and, for the IDs without an oracle, the registered reason (to
/// refresh the README's table): `cargo test --test catalogue_coverage -- --ignored --nocapture`.
#[test]
#[ignore]
fn print_table() {
    for (id, j) in catalogue::judgements() {
        let why = match j {
            Judgement::NotJudged(why) => why.split_whitespace().collect::<Vec<_>>().join(" "),
            _ => String::new(),
        };
        println!("| {id} | {} | {why} |", expected_cell(j));
    }
}
