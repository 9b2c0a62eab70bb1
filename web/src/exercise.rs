//! Exercises: a widget whose scenario the reader edits until its expectations hold (the
//! book's chapters, `<div data-iommu-scenario="…" data-iommu-exercise>`).
//!
//! The verdict is computed from the engine's run ([`iommu_engine::scenario::Run`]'s
//! checks), never from printed text. An exercise passes when the text parses and runs, the
//! run is of the text as it is now (not stale), every expectation holds, and there are at
//! least as many as the starting text had — deleting the expectations is not a solution.
use crate::state::State;
use iommu_engine::scenario::CheckOutcome;

/// What an exercise widget says about its current state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Every expectation holds (`checks` of them, at least the required number).
    Pass { checks: usize },
    /// Some expectations fail: their source line and text, and what the run found.
    Fail { failed: Vec<Failure>, checks: usize },
    /// Fewer expectations than the exercise started with.
    Missing { checks: usize, required: usize },
    /// The text has an error (parse or runtime): nothing to judge.
    Broken,
    /// The text was edited since the last run.
    NotRun,
}

/// One failed expectation, as the engine reported it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub line: u32,
    pub source: String,
    pub actual: String,
}

impl From<&CheckOutcome> for Failure {
    fn from(c: &CheckOutcome) -> Failure {
        Failure {
            line: c.line,
            source: c.source.clone(),
            actual: c.actual.clone(),
        }
    }
}

impl Verdict {
    pub fn passed(&self) -> bool {
        matches!(self, Verdict::Pass { .. })
    }

    /// The `data-exercise` value the widget carries (for tests and styles).
    pub fn tag(&self) -> &'static str {
        match self {
            Verdict::Pass { .. } => "pass",
            Verdict::NotRun => "stale",
            _ => "fail",
        }
    }
}

/// How many expectations the exercise's starting text has (what a solution must keep).
pub fn required(start: &State) -> usize {
    start.report.as_ref().map_or(0, |r| r.checks.len())
}

/// The verdict on `state` for an exercise requiring `required` expectations.
pub fn verdict(state: &State, required: usize) -> Verdict {
    if state.stale {
        return Verdict::NotRun;
    }
    let Some(run) = state.report.as_deref() else {
        return Verdict::Broken;
    };
    let checks = run.checks.len();
    let failed: Vec<Failure> = run.failures().map(Failure::from).collect();
    if !failed.is_empty() {
        Verdict::Fail { failed, checks }
    } else if checks < required.max(1) {
        Verdict::Missing {
            checks,
            required: required.max(1),
        }
    } else {
        Verdict::Pass { checks }
    }
}
