//! Exhaustive: a bounded depth-first enumeration of decision lists, one run per list. Level:
//! the schedule's (1–3); the size of the space grows quickly with it.
//!
//! Runs are deterministic, so the choice points a run meets depend only on the decisions made
//! before them, and the decision lists of all runs form a tree. Each run replays a prefix and
//! takes option 0 at every point after it, reaching the leftmost leaf below the prefix. The
//! next prefix is the recorded list cut after its deepest decision that has an untried option,
//! with that decision moved to its next option: the lexicographic successor, so every leaf is
//! run exactly once.
//!
//! With `inject_cancels = K > 0` the inject points before every handle are enumerated too,
//! restricted to lists with at most `K` injections.

use super::{ChoiceKind, Decision, PolicyKind, Schedule};

/// What an exploration covered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Coverage {
    /// Whether every decision list was run.
    pub complete: bool,
    /// How many runs there were; each followed a different decision list.
    pub schedules: usize,
    /// When the budget ran out first: the prefix to start from to continue. `None` when the
    /// space was covered, or when `run` stopped the enumeration.
    pub resume: Option<Vec<Decision>>,
}

/// Runs every decision list of `base`'s level (starting after `base.decisions`, usually
/// empty), at most `run_budget` of them. `run` carries out one run under the scheduler that
/// [`super::scheduler_for`] builds for the schedule it is given and returns the decisions
/// that the run's log recorded, or `None` to stop the enumeration there (it is then not
/// complete).
pub fn explore(
    base: &Schedule,
    run_budget: usize,
    mut run: impl FnMut(&Schedule) -> Option<Vec<Decision>>,
) -> Coverage {
    let mut next = Some(base.decisions.clone());
    let mut schedules = 0;
    while let Some(prefix) = next {
        if schedules == run_budget {
            return Coverage {
                complete: false,
                schedules,
                resume: Some(prefix),
            };
        }
        let schedule = Schedule {
            policy: PolicyKind::Exhaustive,
            decisions: prefix,
            ..base.clone()
        };
        let Some(recorded) = run(&schedule) else {
            return Coverage {
                complete: false,
                schedules: schedules + 1,
                resume: None,
            };
        };
        debug_assert!(
            recorded.starts_with(&schedule.decisions),
            "a run left its prefix: runs are not deterministic"
        );
        schedules += 1;
        next = successor(&recorded, base.inject_cancels);
    }
    Coverage {
        complete: true,
        schedules,
        resume: None,
    }
}

/// The prefix of the next run after the run that made `decisions`, if any is left.
fn successor(decisions: &[Decision], inject_budget: u32) -> Option<Vec<Decision>> {
    let injects = |d: &Decision| d.kind == ChoiceKind::Inject && d.chosen != 0;
    // Injections among `decisions[..i]` as `i` walks back.
    let mut injections = decisions.iter().filter(|d| injects(d)).count();
    for (i, d) in decisions.iter().enumerate().rev() {
        if injects(d) {
            injections -= 1;
        }
        let budget_spent =
            d.kind == ChoiceKind::Inject && d.chosen == 0 && injections >= inject_budget as usize;
        if d.chosen + 1 < d.options && !budget_spent {
            let mut prefix = decisions[..i].to_vec();
            prefix.push(Decision {
                chosen: d.chosen + 1,
                ..*d
            });
            return Some(prefix);
        }
    }
    None
}
