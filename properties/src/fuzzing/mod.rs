//! # The fuzz targets' checks
//!
//! One function per cargo-fuzz target (`fuzz/fuzz_targets/*.rs`), taking the fuzzer's bytes.
//! The targets call them, and so does the stable test `properties/tests/fuzz_corpus.rs`,
//! which replays the committed corpora (`fuzz/seeds/<target>/`, `fuzz/regressions/<target>/`)
//! under a plain `cargo test`. Each one panics with a readable report when a check fails;
//! [`Target::diagnose`] returns the same report as a [`Failure`] instead.
//!
//! | target | input | checks |
//! |---|---|---|
//! | [`cancel_ordering`] | a cancellation-rich scenario, injected cancellations and every scheduling decision | the graph's `expect`, runtime sanity P1–P7, the budget, every invariant oracle ([`Oracles::all`]) |
//! | [`graph_parser`] | any bytes as a scenario document | no panic; an error has a message; a valid document, written back by [`graph_to_json`], parses to the same model |
//! | [`schedule`] | one of the fixed graphs ([`examples`]) and every scheduling decision | as `cancel_ordering` |
//!
//! ## Input formats
//!
//! Bytes are read from the front; past the end every byte reads as 0, so every input is
//! valid and a short one means "CPython's choice from here on".
//!
//! `cancel_ordering`:
//!
//! | bytes | meaning |
//! |---|---|
//! | 1 | level: `b % 4` → 0 (CPython's order: only the injected cancellations deviate, and the faithful-only oracles run), 1 ties, 2 interleave, 3 timing |
//! | 1 | number of injected cancellations: `b % 4` |
//! | 2 each | an injection: step `b % 64` (the loop's handle count, [`Point::Inject`](aiosim_sim::policy::Point::Inject)), victim selector `v` (cancels `pending[v % pending.len()]`) |
//! | … | the scenario ([`family`]: task count, future count, prelude mask, then each body's length and ops, a kind byte and one byte per parameter) |
//! | rest | the scheduling decisions ([`aiosim_sim::policy::Fuzzed`]: one byte per choice point, `b % options`) |
//!
//! `schedule`: byte 0 picks the graph (`b % count`), byte 1 the level (`1 + b % 3`), the rest
//! are the decisions as above. `graph_parser`: the bytes are the document.
//!
//! ## From a crash to a replay
//!
//! A failing check panics with the graph (as a document), the level, the injections, the
//! decisions in the compact form of [`aiosim_sim::policy::Schedule`], every failed check, and
//! a failures-file record ([`aiosim_sim::explore::FailureRecord`]) that `aiosim replay`
//! reads once the graph is saved under the name the record gives. [`Failure::write_files`]
//! writes both files; the test `fuzz_corpus::reproduce` calls it for the crash file named
//! by `AIOSIM_FUZZ_REPRO`. `aiosim replay` runs the same checks (the graph's `expect`,
//! sanity, budget, oracles) on the replayed run.
//!
//! Injected cancellations always carry the message `"injected"`
//! ([`INJECTED_MESSAGE`](aiosim_sim::policy::INJECTED_MESSAGE)): the oracles recognise an
//! injected cancellation by that message alone (any other message makes it look like a
//! cancellation nobody requested, e.g. a TASK-8 finding), and a failures-file schedule has no
//! field for another one. Cancellations with other messages (`null`, `""`, text) come from
//! the scenario's own `cancel` ops, which the family generates at any point of any task.
//!
//! In the fuzzer itself (libFuzzer aborts the process on a panic) a panic inside the
//! runtime never reaches the check; [`install_panic_hook`] makes it print the same report
//! first.

pub mod bytes;
pub mod examples;
pub mod family;
pub mod json;
mod write;

use std::cell::RefCell;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use aiosim::Level;
use aiosim_sim::explore::failure::hex;
use aiosim_sim::explore::{
    Check, DEFAULT_BUDGET, Expectations, Explorer, RunView, Sanity, Violation, sanity::SanityLog,
};
use aiosim_sim::graph::{Graph, parse_graph};
use aiosim_sim::interp::{RunOptions, RunReport, run_graph};
use aiosim_sim::policy::{
    DecisionLogHandle, Fuzzed, PolicyKind, Recording, Schedule, encode_decisions,
};
use aiosim_sim::trace::Fnv1a;

use crate::Oracles;

pub use bytes::Bytes;
pub use json::J;
pub use write::{graph_to_json, graph_tree, same_model};

/// The fuzz targets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    /// `cancel_ordering`.
    CancelOrdering,
    /// `graph_parser`.
    GraphParser,
    /// `schedule`.
    Schedule,
}

impl Target {
    /// Every target.
    pub const ALL: [Target; 3] = [
        Target::CancelOrdering,
        Target::GraphParser,
        Target::Schedule,
    ];

    /// The cargo-fuzz target name (also the corpus directory name).
    pub fn name(self) -> &'static str {
        match self {
            Target::CancelOrdering => "cancel_ordering",
            Target::GraphParser => "graph_parser",
            Target::Schedule => "schedule",
        }
    }

    /// The target of a name.
    pub fn from_name(name: &str) -> Option<Target> {
        Target::ALL.into_iter().find(|t| t.name() == name)
    }

    /// Runs the target's checks on `data`; panics with the report if one fails.
    pub fn check(self, data: &[u8]) {
        if let Err(failure) = self.diagnose(data) {
            panic!("{failure}");
        }
    }

    /// Runs the target's checks on `data` and returns the report of what failed (a panic
    /// inside the runtime or the parser is caught and reported too, except in a process
    /// whose panic hook aborts, like libFuzzer's).
    pub fn diagnose(self, data: &[u8]) -> Result<(), Failure> {
        let result = match self {
            Target::CancelOrdering => {
                let case = decode_cancel_ordering(data);
                run_case(self, case)
            }
            Target::Schedule => run_case(self, decode_schedule(data)),
            Target::GraphParser => parse_round_trip(data),
        };
        CONTEXT.with(|c| c.borrow_mut().take());
        result
    }
}

/// The `cancel_ordering` target: see the module documentation.
pub fn cancel_ordering(data: &[u8]) {
    Target::CancelOrdering.check(data);
}

/// The `graph_parser` target: see the module documentation.
pub fn graph_parser(data: &[u8]) {
    Target::GraphParser.check(data);
}

/// The `schedule` target: see the module documentation.
pub fn schedule(data: &[u8]) {
    Target::Schedule.check(data);
}

/// An injected cancellation (message [`INJECTED_MESSAGE`](aiosim_sim::policy::INJECTED_MESSAGE)), as decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Injected {
    /// Before which handle (the loop's count of handles run while a task is pending).
    pub step: u64,
    /// Victim selector: cancels `pending[victim % pending.len()]`.
    pub victim: u32,
}

/// A decoded input of a run target: the scenario and how to schedule it.
#[derive(Clone, Debug)]
pub struct Case {
    /// The scenario's document text (as the report prints it and the graph file holds it).
    pub text: String,
    /// The scenario, when the text is valid (it always is for a correct decoder).
    pub graph: Result<Arc<Graph>, String>,
    /// The level the run is scheduled at.
    pub level: Level,
    /// The cancellations to inject.
    pub injections: Vec<Injected>,
    /// The scheduling decisions' bytes.
    pub choices: Vec<u8>,
}

/// Decodes a `cancel_ordering` input.
pub fn decode_cancel_ordering(data: &[u8]) -> Case {
    let mut r = Bytes::new(data);
    let level = [Level::Fifo, Level::Ties, Level::Interleave, Level::Timing][r.below(4)];
    let injections = (0..r.below(4))
        .map(|_| Injected {
            step: r.below(64) as u64,
            victim: u32::from(r.byte()),
        })
        .collect();
    let text = family::decode_graph(&mut r).document();
    let graph = parse_graph(text.as_bytes())
        .map(Arc::new)
        .map_err(|e| e.to_string());
    Case {
        text,
        graph,
        level,
        injections,
        choices: r.rest().to_vec(),
    }
}

/// Decodes a `schedule` input.
pub fn decode_schedule(data: &[u8]) -> Case {
    let mut r = Bytes::new(data);
    let graphs = examples::graphs();
    let fixed = &graphs[r.below(graphs.len())];
    let level = [Level::Ties, Level::Interleave, Level::Timing][r.below(3)];
    Case {
        text: fixed.text.to_owned(),
        graph: Ok(fixed.graph.clone()),
        level,
        injections: Vec::new(),
        choices: r.rest().to_vec(),
    }
}

/// What failed, with everything needed to look at it again.
#[derive(Clone, Debug)]
pub struct Failure {
    /// The target.
    pub target: Target,
    /// The failed checks (`panic` for a panic, `round-trip`/`parser` for the parser target).
    pub violations: Vec<Violation>,
    /// The scenario document (for `graph_parser`: the input, as text).
    pub text: String,
    /// For the run targets: how the run was scheduled and what it produced.
    pub run: Option<Box<RunFailure>>,
}

/// The run part of a [`Failure`].
#[derive(Clone, Debug)]
pub struct RunFailure {
    /// The injections of the input.
    pub injections: Vec<Injected>,
    /// The schedule that replays the run (`replay` policy, the run's level, its decisions).
    pub schedule: Schedule,
    /// Hash of the run's canonical trace (hex); empty when the run panicked.
    pub trace_hash: String,
    /// What replaying `schedule` with `aiosim replay` gives, in a sentence.
    pub replay: String,
}

impl Failure {
    /// The failures-file record of the run (`None` for `graph_parser`), naming `graph` as the
    /// scenario file.
    pub fn record_json(&self, graph: &str) -> Option<String> {
        let run = self.run.as_ref()?;
        let first = self.violations.first();
        let s = &run.schedule;
        let schedule = J::obj([
            ("policy", J::s("replay")),
            ("seed", J::uint(s.seed)),
            ("level", J::Int(s.level as i64)),
            ("depth", J::uint(u64::from(s.depth))),
            ("inject_cancels", J::uint(u64::from(s.inject_cancels))),
            ("steps_hint", J::uint(s.steps_hint)),
            ("decisions", J::s(encode_decisions(&s.decisions))),
        ]);
        let violations = self
            .violations
            .iter()
            .map(|v| J::obj([("check", J::s(&*v.check)), ("message", J::s(&v.message))]))
            .collect();
        let record = J::obj([
            ("graph", J::s(graph)),
            ("graph_hash", J::s(hex(Fnv1a::hash(self.text.as_bytes())))),
            ("seed", J::uint(s.seed)),
            ("check", J::s(first.map_or("", |v| &*v.check))),
            ("message", J::s(first.map_or("", |v| v.message.as_str()))),
            ("violations", J::Arr(violations)),
            ("trace_hash", J::s(&run.trace_hash)),
            ("schedule", schedule),
        ]);
        Some(record.compact())
    }

    /// Writes `STEM.graph.json` (the scenario) and, for the run targets,
    /// `STEM.failures.jsonl` (one record naming the graph file, which `aiosim replay` finds
    /// beside it), so that `aiosim replay STEM.failures.jsonl` replays the run. Returns the
    /// paths written.
    pub fn write_files(&self, stem: &Path) -> std::io::Result<Vec<PathBuf>> {
        let with = |suffix: &str| {
            let mut p = stem.as_os_str().to_owned();
            p.push(suffix);
            PathBuf::from(p)
        };
        let graph = with(".graph.json");
        std::fs::write(&graph, &self.text)?;
        let mut written = vec![graph.clone()];
        // The record names the graph by its file name: `aiosim replay` looks for it beside
        // the failures file, so the pair can be moved together.
        let name = graph.file_name().map_or_else(
            || graph.to_string_lossy().into_owned(),
            |n| n.to_string_lossy().into_owned(),
        );
        if let Some(record) = self.record_json(&name) {
            let failures = with(".failures.jsonl");
            std::fs::write(&failures, format!("{record}\n"))?;
            written.push(failures);
        }
        Ok(written)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "==== aiosim fuzz failure, target {}", self.target.name())?;
        writeln!(f, "failed checks:")?;
        for v in &self.violations {
            writeln!(f, "  - {}: {}", v.check, v.message)?;
        }
        if let Some(run) = &self.run {
            let s = &run.schedule;
            writeln!(f, "level: {} ({:?})", s.level as u8, s.level)?;
            if run.injections.is_empty() {
                writeln!(f, "injected cancellations: none")?;
            }
            for i in &run.injections {
                writeln!(
                    f,
                    "injected cancellation: before handle {} of pending[{} % pending]",
                    i.step, i.victim
                )?;
            }
            writeln!(
                f,
                "decisions ({}): {}",
                s.decisions.len(),
                encode_decisions(&s.decisions)
            )?;
            writeln!(f, "replay: {}", run.replay)?;
        }
        match self.target {
            Target::GraphParser => writeln!(f, "input (as text):\n{}", self.text)?,
            _ => writeln!(f, "graph (save as crash.graph.json):\n{}", self.text)?,
        }
        if let Some(record) = self.record_json("crash.graph.json") {
            writeln!(
                f,
                "failures-file record (save as crash.failures.jsonl next to the graph, then \
                 `aiosim replay crash.failures.jsonl`):\n{record}"
            )?;
        }
        writeln!(
            f,
            "to write both files next to a crash file: AIOSIM_FUZZ_REPRO=<crash file> cargo test \
             -p aiosim-properties --test fuzz_corpus reproduce -- --nocapture"
        )
    }
}

/// The checks of every run: the graph's `expect`, sanity and budget, every oracle.
fn checks() -> &'static [Box<dyn Check>] {
    static CHECKS: OnceLock<Vec<Box<dyn Check>>> = OnceLock::new();
    CHECKS.get_or_init(|| {
        vec![
            Box::new(Expectations),
            Box::new(Sanity),
            Box::new(Oracles::all()),
        ]
    })
}

fn violation(check: &str, message: impl Into<String>) -> Violation {
    Violation {
        check: Arc::from(check),
        message: message.into(),
    }
}

/// What a panic hook can report about the input being run.
struct Context {
    target: Target,
    text: String,
    level: Level,
    injections: Vec<Injected>,
    log: Option<DecisionLogHandle>,
}

thread_local! {
    static CONTEXT: RefCell<Option<Context>> = const { RefCell::new(None) };
}

impl Context {
    fn failure(&self, violations: Vec<Violation>) -> Failure {
        let decisions = self.log.as_ref().map(|l| l.decisions()).unwrap_or_default();
        let run = self.log.as_ref().map(|_| {
            Box::new(RunFailure {
                injections: self.injections.clone(),
                schedule: replay_schedule(self.level, decisions),
                trace_hash: String::new(),
                replay:
                    "the run panicked: the record's decisions lead `aiosim replay` to the same \
                     point (the panic comes before any later choice)"
                        .into(),
            })
        });
        Failure {
            target: self.target,
            violations,
            text: self.text.clone(),
            run,
        }
    }
}

/// Makes a panic print the report of the input being checked before the previous hook runs
/// (libFuzzer's, which aborts). Call it once from each fuzz target; later calls do nothing.
pub fn install_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let report = CONTEXT.with(|c| {
                let c = c.try_borrow().ok()?;
                let context = c.as_ref()?;
                let message = panic_message(info.payload());
                Some(
                    context
                        .failure(vec![violation("panic", message)])
                        .to_string(),
                )
            });
            if let Some(report) = report {
                eprintln!("{report}");
            }
            previous(info);
        }));
    });
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    match payload.downcast_ref::<String>() {
        Some(s) => s.clone(),
        None => payload
            .downcast_ref::<&str>()
            .map_or_else(|| "(no message)".to_owned(), |s| (*s).to_owned()),
    }
}

fn replay_schedule(level: Level, decisions: Vec<aiosim_sim::policy::Decision>) -> Schedule {
    let mut s = Schedule::new(PolicyKind::Replay, 0, level);
    s.decisions = decisions;
    s
}

/// Runs a decoded case under the fuzzed policy and judges it.
fn run_case(target: Target, case: Case) -> Result<(), Failure> {
    let graph = match case.graph {
        Ok(g) => g,
        Err(e) => {
            return Err(Failure {
                target,
                violations: vec![violation(
                    "decoder",
                    format!("the decoded scenario is invalid (a bug of the fuzz decoder): {e}"),
                )],
                text: case.text,
                run: None,
            });
        }
    };
    let log = DecisionLogHandle::default();
    CONTEXT.with(|c| {
        *c.borrow_mut() = Some(Context {
            target,
            text: case.text,
            level: case.level,
            injections: case.injections.clone(),
            log: Some(log.clone()),
        });
    });
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        run_fuzzed(&graph, case.level, &case.injections, case.choices, &log)
    }));
    let context = CONTEXT.with(|c| c.borrow_mut().take()).expect("set above");
    let (report, violations) = match outcome {
        Ok(r) => r,
        Err(panic) => {
            let message = panic_message(&*panic);
            return Err(context.failure(vec![violation("panic", message)]));
        }
    };
    if violations.is_empty() {
        return Ok(());
    }
    let schedule = replay_schedule(case.level, log.decisions());
    let trace_hash = hex(report.trace.canonical_hash());
    let replay = replay_note(&graph, &schedule, &trace_hash);
    Err(Failure {
        target,
        violations,
        text: context.text,
        run: Some(Box::new(RunFailure {
            injections: case.injections,
            schedule,
            trace_hash,
            replay,
        })),
    })
}

/// One run under [`Fuzzed`] with the sanity observer; the trace and the failed checks.
fn run_fuzzed(
    graph: &Arc<Graph>,
    level: Level,
    injections: &[Injected],
    choices: Vec<u8>,
    log: &DecisionLogHandle,
) -> (RunReport, Vec<Violation>) {
    let mut policy = Fuzzed::new(choices);
    for i in injections {
        policy = policy.inject_at(i.step, i.victim);
    }
    let recording = Recording::new(Box::new(policy), level, !injections.is_empty(), log.clone());
    let sanity = SanityLog::new();
    let mut options = RunOptions::default();
    options.scheduler = Some(Box::new(recording));
    options.iteration_budget = Some(DEFAULT_BUDGET);
    options.observer = Some(sanity.observer());
    let report = run_graph(graph.clone(), options);
    let found = sanity.violations();
    let view = RunView {
        graph,
        report: &report,
        sanity: &found,
        level,
    };
    let ignored = ignored();
    let violations = checks()
        .iter()
        .flat_map(|c| c.check(&view))
        .filter(|v| !ignored.iter().any(|id| **id == *v.check))
        .collect();
    (report, violations)
}

/// The check IDs named by `AIOSIM_FUZZ_IGNORE` (comma-separated): failures of those checks
/// are not reported. For local fuzzing past findings already reported and not fixed yet, so
/// that a run finds the *next* problem; CI and the corpus test never set it.
fn ignored() -> &'static [String] {
    static IGNORED: OnceLock<Vec<String>> = OnceLock::new();
    IGNORED.get_or_init(|| {
        std::env::var("AIOSIM_FUZZ_IGNORE")
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    })
}

/// Replays `schedule` the way `aiosim replay` does (same checks) and says whether it
/// gives the same trace.
fn replay_note(graph: &Arc<Graph>, schedule: &Schedule, trace_hash: &str) -> String {
    let mut explorer = Explorer::new(graph.clone());
    explorer.checks.push(Box::new(Oracles::all()));
    let replayed = catch_unwind(AssertUnwindSafe(|| explorer.run(schedule)));
    let Ok(result) = replayed else {
        return "replaying the record panics".into();
    };
    let hash = hex(result.report.trace.canonical_hash());
    let checks: Vec<&str> = result.violations.iter().map(|v| &*v.check).collect();
    let mut note = if hash == trace_hash {
        format!(
            "the record replays to the same trace ({hash}); failed checks in the replay: {checks:?}"
        )
    } else {
        format!(
            "the record replays to a DIFFERENT trace ({hash}, the fuzzed run had {trace_hash}); \
             failed checks in the replay: {checks:?}"
        )
    };
    if let Some(d) = result.divergence {
        note.push_str(&format!("; the replay diverged: {d}"));
    }
    note
}

/// The `graph_parser` checks.
fn parse_round_trip(data: &[u8]) -> Result<(), Failure> {
    let text = String::from_utf8_lossy(data).into_owned();
    CONTEXT.with(|c| {
        *c.borrow_mut() = Some(Context {
            target: Target::GraphParser,
            text: text.clone(),
            level: Level::Fifo,
            injections: Vec::new(),
            log: None,
        });
    });
    let fail = |check: &str, message: String| Failure {
        target: Target::GraphParser,
        violations: vec![violation(check, message)],
        text: text.clone(),
        run: None,
    };
    let parsed = match catch_unwind(|| parse_graph(data)) {
        Ok(p) => p,
        Err(panic) => return Err(fail("panic", panic_message(&*panic))),
    };
    let graph = match parsed {
        Err(e) if e.to_string().is_empty() => {
            return Err(fail(
                "parser",
                "a rejected document has an empty error message".into(),
            ));
        }
        Err(_) => return Ok(()),
        Ok(g) => g,
    };
    let written = graph_to_json(&graph);
    match parse_graph(written.as_bytes()) {
        Err(e) => Err(fail(
            "round-trip",
            format!("the model written back is rejected: {e}\nwritten:\n{written}"),
        )),
        Ok(again) if !same_model(&graph, &again) => Err(fail(
            "round-trip",
            format!(
                "the model written back parses to a different model\nwritten:\n{written}\nfirst: {graph:?}\nagain: {again:?}"
            ),
        )),
        Ok(_) => Ok(()),
    }
}
