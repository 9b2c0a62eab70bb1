//! The one UI state: scenario text + era + parse result + the engine's run report + the
//! trace cursor + the selected device, changed only through [`Action`]s and shared with
//! every panel through a context ([`StateHandle`]).
//!
//! Nothing here computes kernel behaviour: the report comes from the engine ([`run`]).

use iommu_engine::corpus::CORPUS;
use iommu_engine::scenario::{parse, ParseErrors, Scenario, StmtKind};
use iommu_engine::Generation;
use std::rc::Rc;
use yew::prelude::*;

/// The preset shown to a first-time visitor.
pub const DEFAULT_PRESET: &str = "gpu-audio.iommu";

// ---------------------------------------------------------------------------------------
// SEAM (the lead fills this): the engine's run report.
//
// Replace `Report` with the engine's report type (groups with reasons, domains, owners,
// the call trace with nested calls and state deltas) and `run` with the engine's runner.
// The UI relies on `Report::steps()` (the trace length the cursor moves over) and
// `Report::era`; the panels that draw the report read `state.report`:
// components/trace.rs (`rows`), topology.rs and page_table.rs.
// ---------------------------------------------------------------------------------------

/// One call of the trace as the placeholder knows it: where it is and how it reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceCall {
    pub line: u32,
    /// The call statement in canonical form (`iommu_map(d1, 0x10_0000, ...)`).
    pub call: String,
}

/// Placeholder for the engine's run report: the era that was asked for and the scenario's
/// call statements in order, one trace step each. It holds no kernel results.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    pub era: Generation,
    pub calls: Vec<TraceCall>,
}

impl Report {
    /// How many steps the trace has (the cursor runs over `0..=steps`).
    pub fn steps(&self) -> usize {
        self.calls.len()
    }
}

/// Runs `scenario` in `era`. Placeholder until the engine's runner lands: it lists the
/// calls, it executes nothing.
pub fn run(scenario: &Scenario, era: Generation) -> Report {
    let calls = scenario
        .stmts
        .iter()
        .filter(|st| matches!(st.kind, StmtKind::Call(_)))
        .map(|st| TraceCall {
            line: st.span.line,
            call: iommu_engine::scenario::printer::code(&st.kind),
        })
        .collect();
    Report { era, calls }
}

// ---------------------------------------------------------------------------------------

/// The text of a preset (a file of the scenario corpus), by file name.
pub fn preset(name: &str) -> Option<&'static str> {
    CORPUS.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

/// The default preset's text (the first corpus file if the default is ever renamed).
pub fn default_text() -> &'static str {
    preset(DEFAULT_PRESET)
        .or_else(|| CORPUS.first().map(|(_, t)| *t))
        .unwrap_or("")
}

#[derive(Clone, Debug, PartialEq)]
pub struct State {
    pub text: Rc<str>,
    /// The era the scenario runs in: the file's `generation` header, unless the era menu
    /// overrides it.
    pub era: Generation,
    pub parsed: Rc<Result<Scenario, ParseErrors>>,
    /// The last run; `None` before the first run and after the text stops parsing.
    pub report: Option<Rc<Report>>,
    /// The trace step every panel draws (`0` = before the first call).
    pub cursor: usize,
    /// The device clicked in the topology (a BDF or a platform device name).
    pub selected: Option<Rc<str>>,
    /// The preset last loaded, until the text is edited.
    pub preset: Option<&'static str>,
    /// A sentence for the user (a share link that could not be opened, …).
    pub notice: Option<Rc<str>>,
    /// The text was edited since the report was made (Run brings it up to date).
    pub stale: bool,
}

pub enum Action {
    Edit(String),
    Run,
    SetEra(Generation),
    LoadPreset(String),
    Step(isize),
    Seek(usize),
    Select(Option<String>),
    Notice(Option<String>),
}

impl State {
    /// A state holding `text`, parsed, in `era` (`None`: the file's header), with
    /// `cursor`; runs it when it parses so a share link opens on the step it names.
    pub fn new(text: &str, era: Option<Generation>, cursor: usize) -> State {
        let parsed = parse(text);
        let era = era.unwrap_or_else(|| header_era(&parsed).unwrap_or_default());
        let mut s = State {
            text: text.into(),
            era,
            parsed: Rc::new(parsed),
            report: None,
            cursor,
            selected: None,
            preset: None,
            notice: None,
            stale: false,
        };
        s.run();
        s.cursor = cursor.min(s.steps());
        s
    }

    /// The default preset, as a first visit shows it.
    pub fn initial() -> State {
        let mut s = State::new(default_text(), None, 0);
        s.preset = Some(DEFAULT_PRESET).filter(|p| preset(p).is_some());
        s
    }

    pub fn with_notice(mut self, notice: impl Into<Rc<str>>) -> State {
        self.notice = Some(notice.into());
        self
    }

    /// The trace length of the current report (0 without one).
    pub fn steps(&self) -> usize {
        self.report.as_ref().map_or(0, |r| r.steps())
    }

    pub fn errors(&self) -> Option<&ParseErrors> {
        self.parsed.as_ref().as_ref().err()
    }

    fn run(&mut self) {
        self.stale = false;
        self.report = match self.parsed.as_ref() {
            Ok(s) => Some(Rc::new(run(s, self.era))),
            Err(_) => None,
        };
        self.cursor = self.cursor.min(self.steps());
    }
}

/// `text` with the era name of its `generation` line replaced by `era` (the rest of the
/// text untouched); `None` if the text does not parse or has no such line.
fn with_header_era(
    text: &str,
    parsed: &Result<Scenario, ParseErrors>,
    era: Generation,
) -> Option<String> {
    let span = parsed
        .as_ref()
        .ok()?
        .stmts
        .iter()
        .find_map(|st| match &st.kind {
            StmtKind::Generation(g) if g.span.end > g.span.start => Some(g.span),
            _ => None,
        })?;
    Some(format!(
        "{}{}{}",
        text.get(..span.start)?,
        era.name(),
        text.get(span.end..)?
    ))
}

fn header_era(parsed: &Result<Scenario, ParseErrors>) -> Option<Generation> {
    parsed.as_ref().ok().map(Scenario::generation)
}

impl Reducible for State {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut s = (*self).clone();
        match action {
            Action::Edit(text) => {
                if *text == *s.text {
                    return self;
                }
                let parsed = parse(&text);
                // Editing the `generation` header moves the era menu with it.
                let (old, new) = (header_era(&s.parsed), header_era(&parsed));
                if let (Some(old), Some(new)) = (old, new) {
                    if old != new {
                        s.era = new;
                    }
                }
                s.text = text.into();
                s.parsed = Rc::new(parsed);
                s.preset = None;
                s.stale = true;
                // The old report describes the old text; it stays until the next Run,
                // except when the text no longer parses.
                if s.errors().is_some() {
                    s.report = None;
                    s.cursor = 0;
                }
            }
            Action::Run => {
                s.cursor = 0;
                s.run();
            }
            Action::SetEra(era) => {
                // The file's own `generation` line follows the menu, so the text (and a
                // share link of it) says what runs; without such a line the menu alone
                // decides.
                if let Some(text) = with_header_era(&s.text, &s.parsed, era) {
                    s.parsed = Rc::new(parse(&text));
                    s.text = text.into();
                }
                s.era = era;
                s.run();
            }
            Action::LoadPreset(name) => {
                let Some((name, text)) = CORPUS.iter().find(|(n, _)| *n == name) else {
                    s.notice = Some(format!("no preset named {name:?}").into());
                    return Rc::new(s);
                };
                let mut n = State::new(text, None, 0);
                n.preset = Some(name);
                return Rc::new(n);
            }
            Action::Step(delta) => {
                let to = s.cursor.saturating_add_signed(delta);
                s.cursor = to.min(s.steps());
            }
            Action::Seek(n) => s.cursor = n.min(s.steps()),
            Action::Select(dev) => s.selected = dev.map(Into::into),
            Action::Notice(n) => s.notice = n.map(Into::into),
        }
        Rc::new(s)
    }
}

/// What every component gets from the context.
pub type StateHandle = UseReducerHandle<State>;

/// The state from the context (panics only if a component is used outside the app, a
/// programming error that the browser tests would catch at once).
#[hook]
pub fn use_app_state() -> StateHandle {
    #[allow(clippy::expect_used)]
    use_context::<StateHandle>().expect("components are rendered inside the app's context")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reduce(s: State, a: Action) -> State {
        (*Rc::new(s).reduce(a)).clone()
    }

    #[test]
    fn initial_state_is_the_default_preset_parsed_and_run() {
        let s = State::initial();
        assert_eq!(&*s.text, default_text());
        assert!(s.errors().is_none());
        assert!(s.report.is_some());
        assert_eq!(s.preset, Some(DEFAULT_PRESET));
    }

    #[test]
    fn an_error_keeps_the_text_and_drops_the_report() {
        let s = reduce(
            State::initial(),
            Action::Edit("iommu dmar0\nbogus(\n".into()),
        );
        assert_eq!(&*s.text, "iommu dmar0\nbogus(\n");
        assert_eq!(
            s.errors().and_then(|e| e.first()).map(|e| e.line()),
            Some(2)
        );
        assert!(s.report.is_none());
    }

    #[test]
    fn cursor_is_clamped_to_the_trace() {
        let text =
            "iommu smmu0 kind=arm-smmu-v2\nd1 = iommu_domain_alloc(smmu0)\niommu_domain_free(d1)\n";
        let s = State::new(text, None, 99);
        assert_eq!(s.steps(), 2);
        assert_eq!(s.cursor, 2);
        let s = reduce(s, Action::Step(-5));
        assert_eq!(s.cursor, 0);
        let s = reduce(s, Action::Seek(1));
        assert_eq!(s.cursor, 1);
    }

    #[test]
    fn era_follows_the_header_and_the_menu() {
        let s = State::new("generation v5.19\n", None, 0);
        assert_eq!(s.era, Generation::V5_19);
        let s = reduce(s, Action::SetEra(Generation::Legacy));
        assert_eq!(s.era, Generation::Legacy);
        assert_eq!(&*s.text, "generation legacy\n");
        let s = reduce(s, Action::Edit("generation shared\n".into()));
        assert_eq!(s.era, Generation::Shared);
    }

    #[test]
    fn the_era_menu_rewrites_only_the_header_name() {
        let text = "# c\ngeneration  current   # keep me\niommu dmar0\n";
        let s = reduce(State::new(text, None, 0), Action::SetEra(Generation::V5_19));
        assert_eq!(
            &*s.text,
            "# c\ngeneration  v5.19   # keep me\niommu dmar0\n"
        );
        assert_eq!(s.era, Generation::V5_19);
        // No header: the menu alone decides, the text is untouched.
        let s = reduce(
            State::new("iommu dmar0\n", None, 0),
            Action::SetEra(Generation::Shared),
        );
        assert_eq!((&*s.text, s.era), ("iommu dmar0\n", Generation::Shared));
    }

    #[test]
    fn every_preset_loads() {
        for (name, text) in CORPUS {
            let s = reduce(State::initial(), Action::LoadPreset((*name).into()));
            assert_eq!(&*s.text, *text);
            assert_eq!(s.preset, Some(*name));
        }
    }
}
