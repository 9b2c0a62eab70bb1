//! The one UI state: scenario text + era + parse result + the engine's run report + the
//! trace cursor + the selected device, changed only through [`Action`]s and shared with
//! every panel through a context ([`StateHandle`]).
//!
//! Nothing here computes kernel behaviour: the report comes from the engine ([`run`]).

use iommu_engine::scenario::view::{boot_steps, first_failure, snapshot_at};
use iommu_engine::scenario::{
    compare, parse, run_scenario, workload_pairs, Compare, Options, ParseErrors, Run, Scenario,
    StmtKind,
};
use iommu_engine::snapshot::Snapshot;
use iommu_engine::trace::thousands;
use iommu_engine::Era;
use std::rc::Rc;
use yew::prelude::*;

/// The preset shown to a first-time visitor.
pub use crate::presets::DEFAULT_PRESET;

/// Runs `scenario` in `era`, recording a snapshot after every step (the panels draw them).
/// A runtime input error (an unknown device, ...) comes back with its line and column.
pub fn run(scenario: &Scenario, text: &str, era: Era) -> Result<Run, ParseErrors> {
    let opts = Options {
        era: Some(era),
        snapshots: true,
    };
    run_scenario(scenario, text, &opts).map_err(ParseErrors::from)
}

/// The text of a preset (a file of the scenario corpus), by file name, once it is loaded
/// (see [`crate::presets`]).
pub fn preset(name: &str) -> Option<&'static str> {
    crate::presets::text(name)
}

/// The default preset's text.
pub fn default_text() -> &'static str {
    crate::presets::DEFAULT_TEXT
}

/// A run in a Web Worker ([`crate::worker`]): a scenario whose workloads make
/// [`crate::worker::WORKER_PAIRS`] pairs or more. The panels keep drawing the last run that
/// finished, marked stale, until this one arrives ([`Action::Ran`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Running {
    pub id: u32,
    /// What runs (the text may be edited meanwhile).
    pub text: Rc<str>,
    pub era: Era,
    /// Workload pairs done, of `total`.
    pub done: u64,
    pub total: u64,
    /// Where the cursor goes when the run arrives.
    pub landing: Landing,
}

/// Where the cursor goes when a run arrives from the worker: what the same action does
/// after a run on the page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Landing {
    /// The machine as booted (a preset, a widget).
    Boot,
    /// The first failure, else the booted machine (Run).
    FirstFailure,
    /// This step, or the last (a share link's step, an era change).
    At(usize),
}

#[derive(Clone, Debug, PartialEq)]
pub struct State {
    pub text: Rc<str>,
    /// The era the scenario runs in: the file's `generation` header, unless the era menu
    /// overrides it.
    pub era: Era,
    pub parsed: Rc<Result<Scenario, ParseErrors>>,
    /// The last run; `None` before the first run and after the text stops parsing or
    /// running.
    pub report: Option<Rc<Run>>,
    /// The last run that worked, kept (and drawn, marked stale) while the text has errors.
    pub last_good: Option<Rc<Run>>,
    /// The runtime input error of the last run (an unknown device, ...), at its line:col.
    pub run_error: Option<Rc<ParseErrors>>,
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
    /// The compare view: the scenario run in every era (`None`: closed).
    pub compare: Option<Rc<Compare>>,
    /// The "Import your machine" panel, as a share link keeps it (`None`: closed).
    pub import: Option<Rc<crate::share::ImportView>>,
    /// The user's own text (the last one typed or opened that is not a preset): the
    /// preset menu's "Your scenario" restores it exactly.
    pub mine: Option<Rc<str>>,
    /// Counts the times `mine` started a new scenario (not an edit of the previous one):
    /// persist keeps each as its own entry of the last few.
    pub mine_seq: u32,
    /// The user's earlier scenarios (localStorage, most recent first), offered in the menu.
    pub kept: Rc<Vec<Rc<str>>>,
    /// Texts before the last changes (Ctrl-Z in the editor), most recent last.
    pub undo: Rc<Vec<Rc<str>>>,
    /// Texts undone (Ctrl-Shift-Z / Ctrl-Y), most recent last.
    pub redo: Rc<Vec<Rc<str>>>,
    /// The run in a worker, while it runs.
    pub running: Option<Rc<Running>>,
    /// The compare view's six runs in a worker, while they run (a scenario of
    /// [`crate::worker::WORKER_PAIRS`] workload pairs or more: on the page they would hold
    /// it for seconds). `done`/`total` count the pairs of all six; `compare` keeps the
    /// last compare that finished (or `None`) until it arrives ([`Action::Compared`]).
    pub comparing: Option<Rc<Running>>,
}

/// Undo steps kept.
pub const MAX_UNDO: usize = 200;
/// Bytes of text the undo (and redo) history keeps at most: 200 steps of a 1 MiB scenario
/// would otherwise hold 200 MiB. The oldest steps go first; the newest is always kept.
pub const MAX_UNDO_BYTES: usize = 8 * 1024 * 1024;

fn push_capped(v: &mut Rc<Vec<Rc<str>>>, text: Rc<str>) {
    let v = Rc::make_mut(v);
    if v.last() != Some(&text) {
        v.push(text);
    }
    let mut bytes: usize = v.iter().map(|t| t.len()).sum();
    while v.len() > 1 && (v.len() > MAX_UNDO || bytes > MAX_UNDO_BYTES) {
        bytes -= v.first().map_or(0, |t| t.len());
        v.remove(0);
    }
}

pub enum Action {
    Edit(String),
    Run,
    SetEra(Era),
    LoadPreset(String),
    Step(isize),
    Seek(usize),
    Select(Option<String>),
    Notice(Option<String>),
    /// Opens the compare view (running the text in every era) or closes it.
    ToggleCompare,
    /// The import panel's state for the share link (`None`: closed).
    SetImport(Option<crate::share::ImportView>),
    /// Back to the user's own text (the preset menu's "Your scenario").
    RestoreMine,
    /// Opens one of the user's earlier scenarios (`kept`, by index).
    OpenKept(usize),
    Undo,
    Redo,
    /// Seeks to the first step made by a source line (a click on the line in the editor).
    SeekLine(u32),
    /// The worker's run `id` has done `done` of its `total` workload pairs.
    Progress {
        id: u32,
        done: u64,
        total: u64,
    },
    /// The worker's run `id` arrived (or stopped at an input error).
    Ran(u32, Box<Result<Run, ParseErrors>>),
    /// No worker could take run `id`: it runs here instead.
    RunHere(u32),
    /// Stops the run in the worker; the last run that finished stays drawn.
    CancelRun,
    /// Switches to an era and seeks to a line's step there (a click on a Compare cell).
    SeekEraLine(Era, u32),
    /// The worker's compare `id` has done `done` of its `total` workload pairs.
    CompareProgress {
        id: u32,
        done: u64,
        total: u64,
    },
    /// The worker's compare `id` arrived (`None`: the scenario did not run).
    Compared(u32, Option<Box<Compare>>),
    /// No worker could take compare `id`: it runs here instead.
    CompareHere(u32),
}

impl State {
    /// A state holding `text`, parsed, in `era` (`None`: the file's header), with
    /// `cursor`; runs it when it parses so a share link opens on the step it names.
    pub fn new(text: &str, era: Option<Era>, cursor: usize) -> State {
        let parsed = parse(text);
        let era = era.unwrap_or_else(|| header_era(&parsed).unwrap_or_default());
        let mut s = State {
            text: text.into(),
            era,
            parsed: Rc::new(parsed),
            report: None,
            last_good: None,
            run_error: None,
            cursor,
            selected: None,
            // A preset's text (a share link or a widget of one) names its preset.
            preset: crate::presets::name_of(text),
            notice: None,
            stale: false,
            compare: None,
            import: None,
            mine: None,
            mine_seq: 0,
            kept: Rc::default(),
            undo: Rc::default(),
            redo: Rc::default(),
            running: None,
            comparing: None,
        };
        if s.preset.is_none() && !text.is_empty() {
            s.mine = Some(s.text.clone());
        }
        s.run();
        s.cursor = cursor.min(s.steps());
        s.land(Landing::At(cursor));
        s
    }

    /// A state holding `text`, run, with the cursor on the machine as booted (after the
    /// probes of the boot topology): what a preset or a widget opens on.
    pub fn booted(text: &str, era: Option<Era>) -> State {
        let mut s = State::new(text, era, 0);
        s.cursor = s.boot_cursor();
        s.land(Landing::Boot);
        s
    }

    /// The default preset, as a first visit shows it.
    pub fn initial() -> State {
        let mut s = State::booted(default_text(), None);
        s.preset = Some(DEFAULT_PRESET).filter(|p| preset(p).is_some());
        s
    }

    /// With the import panel open as a share link left it.
    pub fn with_import(mut self, import: Option<crate::share::ImportView>) -> State {
        self.import = import.map(Rc::new);
        self
    }

    /// The user's earlier scenarios (most recent first): the first becomes "Your
    /// scenario" unless the text already is the user's own, the others stay in the menu.
    pub fn with_kept(mut self, kept: Vec<String>) -> State {
        let mut kept: Vec<Rc<str>> = kept.into_iter().map(Into::into).collect();
        if self.mine.is_none() && !kept.is_empty() {
            self.mine = Some(kept.remove(0));
        }
        let mine = self.mine.clone();
        kept.retain(|k| Some(k) != mine.as_ref());
        self.kept = Rc::new(kept);
        self
    }

    /// Replaces the text as typed: parsed at once, run by the next Run; `Undo` returns
    /// to the text before.
    fn set_text(&mut self, text: Rc<str>) {
        let parsed = parse(&text);
        // Editing the `generation` header moves the era menu with it.
        let (old, new) = (header_era(&self.parsed), header_era(&parsed));
        if let (Some(old), Some(new)) = (old, new) {
            if old != new {
                self.era = new;
            }
        }
        self.text = text;
        self.parsed = Rc::new(parsed);
        self.preset = crate::presets::name_of(&self.text);
        if self.preset.is_none() {
            self.mine = Some(self.text.clone());
        }
        self.stale = true;
        // The old report describes the old text; it stays until the next Run,
        // except when the text no longer parses.
        if !self.parses() {
            self.keep_last_good();
        }
        // A runtime error belongs to the old text: Run checks the new one.
        self.run_error = None;
    }

    /// Opens `text` as a scenario of its own (a preset or the user's): run, on the booted
    /// machine, with the undo history, the user's texts and the compare view kept.
    fn open(&self, text: &str) -> State {
        let mut n = State::booted(text, None);
        if n.mine.is_none() {
            n.mine = self.mine.clone();
        }
        n.mine_seq = self.mine_seq;
        n.kept = self.kept.clone();
        n.undo = self.undo.clone();
        n.redo = self.redo.clone();
        if self.text != n.text {
            push_capped(&mut n.undo, self.text.clone());
        }
        if self.compare_open() {
            n.open_compare(false);
        }
        n
    }

    /// Whether the compare view is open (drawn, or its runs in a worker).
    pub fn compare_open(&self) -> bool {
        self.compare.is_some() || self.comparing.is_some()
    }

    /// Opens (or brings up to date) the compare view: the six runs here, or in a worker
    /// when the scenario's workloads are large ([`State::comparing`]); the last compare
    /// stays drawn meanwhile. With `say`, a runtime error of the text is shown like a
    /// run's.
    fn open_compare(&mut self, say: bool) {
        self.comparing = None;
        let Ok(sc) = self.parsed.as_ref() else {
            self.compare = None;
            return;
        };
        let pairs = workload_pairs(sc);
        if pairs >= crate::worker::WORKER_PAIRS && crate::worker::available() {
            self.comparing = Some(Rc::new(Running {
                id: crate::worker::next_id(),
                text: self.text.clone(),
                era: self.era,
                done: 0,
                total: pairs.saturating_mul(Era::ALL.len() as u64),
                landing: Landing::Boot,
            }));
            return;
        }
        self.compare = match compare(sc, &self.text) {
            Ok(c) => Some(Rc::new(c)),
            Err(e) => {
                if say {
                    self.run_error = Some(Rc::new(ParseErrors::from(e)));
                }
                None
            }
        };
    }

    /// This state with the compare view open (as a share link asks).
    pub fn with_compare(self) -> State {
        let s = Rc::new(self);
        if s.compare_open() {
            return (*s).clone();
        }
        (*s.reduce(Action::ToggleCompare)).clone()
    }

    /// The source line of the step at the cursor (`None` before the first step or for a
    /// step of no line).
    pub fn current_line(&self) -> Option<u32> {
        let i = self.cursor.checked_sub(1)?;
        let line = self.drawn()?.steps.get(i)?.line;
        (line > 0).then_some(line)
    }

    /// The cursor on the first step of source line `line`, if a step has it.
    fn seek_line(&mut self, line: u32) {
        let at = self
            .drawn()
            .and_then(|r| r.steps.iter().position(|st| st.line == line));
        if let Some(i) = at {
            self.cursor = i + 1;
        }
    }

    pub fn with_notice(mut self, notice: impl Into<Rc<str>>) -> State {
        self.notice = Some(notice.into());
        self
    }

    /// The trace length of the drawn run (0 without one).
    pub fn steps(&self) -> usize {
        self.drawn().map_or(0, |r| r.steps.len())
    }

    /// The cursor after the boot probes (0 without a report).
    pub fn boot_cursor(&self) -> usize {
        self.report.as_deref().map_or(0, boot_steps)
    }

    /// The run the panels draw: the report, else the last good run while the text has
    /// errors ([`State::drawn_stale`]).
    pub fn drawn(&self) -> Option<&Rc<Run>> {
        self.report.as_ref().or(self.last_good.as_ref())
    }

    /// Whether the panels draw the last good run of an older text (this one has errors).
    pub fn drawn_stale(&self) -> bool {
        self.report.is_none() && self.last_good.is_some()
    }

    /// The kernel state every panel draws: after step `cursor` (`None` before any probe).
    pub fn snapshot(&self) -> Option<&Snapshot> {
        self.drawn()
            .map(|r| &**r)
            .and_then(|r| snapshot_at(r, self.cursor))
    }

    /// Drops the report, keeping it (or the one kept before) as the last good run.
    fn keep_last_good(&mut self) {
        if let Some(r) = self.report.take() {
            self.last_good = Some(r);
        }
    }

    /// The errors to show in the editor: the parse errors, else the run's input error.
    pub fn errors(&self) -> Option<&ParseErrors> {
        self.parsed
            .as_ref()
            .as_ref()
            .err()
            .or(self.run_error.as_deref())
    }

    /// Whether the text parses (the Run button needs it; a runtime error can be fixed
    /// and run again).
    pub fn parses(&self) -> bool {
        self.parsed.is_ok()
    }

    fn run(&mut self) {
        self.stale = false;
        self.running = None;
        if let Ok(sc) = self.parsed.as_ref() {
            let total = workload_pairs(sc);
            if total >= crate::worker::WORKER_PAIRS && crate::worker::available() {
                // The panels keep the last run, marked stale, until the worker's arrives.
                self.keep_last_good();
                self.run_error = None;
                self.running = Some(Rc::new(Running {
                    id: crate::worker::next_id(),
                    text: self.text.clone(),
                    era: self.era,
                    done: 0,
                    total,
                    landing: Landing::Boot,
                }));
                return;
            }
        }
        let result = match self.parsed.as_ref() {
            Ok(s) => Some(run(s, &self.text, self.era)),
            Err(_) => None,
        };
        self.arrive(result);
        self.cursor = self.cursor.min(self.steps());
    }

    /// A run's result in place: the report (or the input error, keeping the last good
    /// run); `None` when the text does not parse.
    fn arrive(&mut self, result: Option<Result<Run, ParseErrors>>) {
        let (report, error) = match result {
            Some(Ok(r)) => (Some(Rc::new(r)), None),
            Some(Err(e)) => (None, Some(Rc::new(e))),
            None => (None, None),
        };
        if report.is_some() {
            self.last_good = None;
        } else {
            self.keep_last_good();
        }
        self.report = report;
        self.run_error = error;
    }

    /// Where the cursor goes when the run in the worker arrives.
    fn land(&mut self, landing: Landing) {
        if let Some(r) = &mut self.running {
            Rc::make_mut(r).landing = landing;
        }
    }

    /// The cursor for `landing` on the drawn run.
    fn landed(&self, landing: Landing) -> usize {
        match landing {
            Landing::Boot => self.boot_cursor(),
            Landing::FirstFailure => self.report.as_deref().map_or(0, |r| {
                first_failure(r).map_or_else(|| boot_steps(r), |i| i + 1)
            }),
            Landing::At(c) => c.min(self.steps()),
        }
    }

    /// The worker's run `job` arrived with `result`: drawn as if it had run here, the text
    /// marked edited if it changed meanwhile.
    fn worker_arrived(&mut self, job: &Running, result: Result<Run, ParseErrors>) {
        self.running = None;
        let same = *job.text == *self.text;
        match result {
            Ok(r) if !self.parses() => {
                self.report = None;
                self.last_good = Some(Rc::new(r));
            }
            Err(_) if !same => self.keep_last_good(),
            result => self.arrive(Some(result)),
        }
        self.stale = !same;
        self.cursor = self.landed(job.landing);
    }

    /// Why the panels draw a run of another text (`None`: they draw this text's run).
    pub fn stale_note(&self) -> Option<&'static str> {
        if !self.drawn_stale() {
            None
        } else if self.running.is_some() {
            Some("Running (progress in the bar above): this is the last run that finished.")
        } else if self.errors().is_some() {
            Some("The text has errors (listed under the editor): this is the last run that worked.")
        } else {
            Some("The run was cancelled: this is the last run that finished. Run to start again.")
        }
    }
}

/// `text` with the era name of its `generation` line replaced by `era` (the rest of the
/// text untouched); `None` if the text does not parse or has no such line.
fn with_header_era(text: &str, parsed: &Result<Scenario, ParseErrors>, era: Era) -> Option<String> {
    let span = parsed
        .as_ref()
        .ok()?
        .stmts
        .iter()
        .find_map(|st| match &st.kind {
            StmtKind::Era(g) if g.span.end > g.span.start => Some(g.span),
            _ => None,
        })?;
    Some(format!(
        "{}{}{}",
        text.get(..span.start)?,
        era.name(),
        text.get(span.end..)?
    ))
}

fn header_era(parsed: &Result<Scenario, ParseErrors>) -> Option<Era> {
    parsed.as_ref().ok().map(Scenario::era)
}

/// Job `id`'s progress into `job` (`false`: not that job, nothing changes).
fn progressed(job: &mut Option<Rc<Running>>, id: u32, done: u64, total: u64) -> bool {
    match job {
        Some(r) if r.id == id => {
            let r = Rc::make_mut(r);
            (r.done, r.total) = (done, total);
            true
        }
        _ => false,
    }
}

impl Reducible for State {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut s = (*self).clone();
        match action {
            Action::SetImport(i) => {
                if s.import.as_deref() == i.as_ref() {
                    return self;
                }
                s.import = i.map(Rc::new);
            }
            Action::Edit(text) => {
                if *text == *s.text {
                    return self;
                }
                push_capped(&mut s.undo, s.text.clone());
                s.redo = Rc::default();
                s.set_text(text.into());
            }
            Action::Run => {
                let before = s.cursor;
                s.cursor = 0;
                if s.compare_open() {
                    s.open_compare(false);
                }
                s.run();
                // Land on what failed first (an error or a failed expectation), else on the
                // machine as booted.
                s.cursor = if s.report.is_some() {
                    s.landed(Landing::FirstFailure)
                } else {
                    before.min(s.steps())
                };
                s.land(Landing::FirstFailure);
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
                let at_boot = s.cursor == s.boot_cursor();
                let before = s.cursor;
                s.run();
                if at_boot {
                    s.cursor = s.boot_cursor();
                }
                s.land(if at_boot {
                    Landing::Boot
                } else {
                    Landing::At(before)
                });
            }
            Action::LoadPreset(name) => {
                let Some((name, text)) = crate::presets::index()
                    .find(|(n, _)| *n == name)
                    .and_then(|(n, _)| Some((n, preset(n)?)))
                else {
                    s.notice = Some(format!("no preset named {name:?}").into());
                    return Rc::new(s);
                };
                let mut n = s.open(text);
                n.preset = Some(name);
                return Rc::new(n);
            }
            Action::RestoreMine => {
                let Some(mine) = s.mine.clone() else {
                    return self;
                };
                if mine == s.text {
                    return self;
                }
                return Rc::new(s.open(&mine));
            }
            Action::OpenKept(i) => {
                let Some(text) = s.kept.get(i).cloned() else {
                    return self;
                };
                let mut n = s.open(&text);
                // The scenario open before goes back to the list; this one is "Your scenario".
                let mut kept: Vec<Rc<str>> =
                    n.kept.iter().filter(|k| **k != text).cloned().collect();
                if let Some(m) = s.mine.clone().filter(|m| *m != text) {
                    kept.insert(0, m);
                }
                n.kept = Rc::new(kept);
                n.mine = Some(text);
                n.mine_seq = s.mine_seq.wrapping_add(1);
                return Rc::new(n);
            }
            Action::Undo => {
                let Some(prev) = Rc::make_mut(&mut s.undo).pop() else {
                    return self;
                };
                push_capped(&mut s.redo, s.text.clone());
                s.set_text(prev);
            }
            Action::Redo => {
                let Some(next) = Rc::make_mut(&mut s.redo).pop() else {
                    return self;
                };
                push_capped(&mut s.undo, s.text.clone());
                s.set_text(next);
            }
            Action::Step(delta) => {
                let to = s.cursor.saturating_add_signed(delta);
                s.cursor = to.min(s.steps());
            }
            Action::Seek(n) => s.cursor = n.min(s.steps()),
            // The report describes the text as it was run: an edited text's lines may have
            // moved, so only an up-to-date run seeks by line.
            Action::SeekLine(line) if !s.stale => s.seek_line(line),
            Action::SeekLine(_) => return self,
            Action::SeekEraLine(era, line) => {
                let s = if era == s.era {
                    s
                } else {
                    (*Rc::new(s).reduce(Action::SetEra(era))).clone()
                };
                let mut s = s;
                s.seek_line(line);
                return Rc::new(s);
            }
            Action::Progress { id, done, total } => {
                if !progressed(&mut s.running, id, done, total) {
                    return self;
                }
            }
            Action::Ran(id, result) => {
                let Some(job) = s.running.clone().filter(|r| r.id == id) else {
                    return self;
                };
                s.worker_arrived(&job, *result);
            }
            Action::RunHere(id) => {
                let Some(job) = s.running.clone().filter(|r| r.id == id) else {
                    return self;
                };
                let result = parse(&job.text).and_then(|sc| run(&sc, &job.text, job.era));
                s.worker_arrived(&job, result);
            }
            Action::CancelRun => {
                let Some(job) = s.running.take() else {
                    return self;
                };
                s.notice = Some(
                    format!(
                        "Run cancelled after {} of {} workload pairs: the panels show the last run that finished.",
                        thousands(job.done),
                        thousands(job.total)
                    )
                    .into(),
                );
            }
            Action::Select(dev) => s.selected = dev.map(Into::into),
            Action::Notice(n) => s.notice = n.map(Into::into),
            Action::ToggleCompare => {
                if s.compare_open() {
                    s.compare = None;
                    s.comparing = None;
                } else {
                    s.open_compare(true);
                }
            }
            Action::CompareProgress { id, done, total } => {
                if !progressed(&mut s.comparing, id, done, total) {
                    return self;
                }
            }
            Action::Compared(id, c) => {
                if s.comparing.as_ref().is_none_or(|r| r.id != id) {
                    return self;
                }
                s.comparing = None;
                s.compare = c.map(|c| Rc::new(*c));
            }
            Action::CompareHere(id) => {
                let Some(job) = s.comparing.take().filter(|r| r.id == id) else {
                    return self;
                };
                s.compare = parse(&job.text)
                    .ok()
                    .and_then(|sc| compare(&sc, &job.text).ok())
                    .map(Rc::new);
            }
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
    use iommu_engine::corpus::CORPUS;

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
    fn a_runtime_error_is_shown_like_a_parse_error_and_keeps_the_text() {
        let text = "iommu dmar0\nhost pci0 iommu=dmar0\nbind 05:00.0 igb\n";
        let s = reduce(State::initial(), Action::Edit(text.into()));
        assert!(s.errors().is_none(), "it parses");
        let s = reduce(s, Action::Run);
        let e = s
            .errors()
            .and_then(|e| e.first())
            .map(|e| (e.line(), e.col()));
        assert_eq!(e, Some((3, 6)));
        assert_eq!(&*s.text, text);
        assert!(s.report.is_none());
    }

    #[test]
    fn presets_open_on_the_booted_machine() {
        let s = State::initial();
        let run = s.report.as_deref().expect("a run");
        assert!(s.cursor > 0);
        assert_eq!(s.cursor, boot_steps(run));
        let snap = s.snapshot().expect("a snapshot at the cursor");
        assert_eq!(snap.groups.len(), 5);
    }

    #[test]
    fn compare_runs_every_era() {
        let tegra = preset("tegra-host1x.iommu").expect("a preset");
        let s = reduce(State::booted(tegra, None), Action::ToggleCompare);
        let c = s.compare.as_deref().expect("open");
        assert_eq!(c.eras.len(), 6);
        assert!(c.rows.iter().any(|r| r.differs));
        let s = reduce(s, Action::ToggleCompare);
        assert!(s.compare.is_none());
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
        assert_eq!(s.era, Era::V5_19);
        let s = reduce(s, Action::SetEra(Era::Legacy));
        assert_eq!(s.era, Era::Legacy);
        assert_eq!(&*s.text, "generation legacy\n");
        let s = reduce(s, Action::Edit("generation shared\n".into()));
        assert_eq!(s.era, Era::Shared);
    }

    #[test]
    fn the_era_menu_rewrites_only_the_header_name() {
        let text = "# c\ngeneration  current   # keep me\niommu dmar0\n";
        let s = reduce(State::new(text, None, 0), Action::SetEra(Era::V5_19));
        assert_eq!(
            &*s.text,
            "# c\ngeneration  v5.19   # keep me\niommu dmar0\n"
        );
        assert_eq!(s.era, Era::V5_19);
        // No header: the menu alone decides, the text is untouched.
        let s = reduce(
            State::new("iommu dmar0\n", None, 0),
            Action::SetEra(Era::Shared),
        );
        assert_eq!((&*s.text, s.era), ("iommu dmar0\n", Era::Shared));
    }

    #[test]
    fn every_preset_loads() {
        for (name, text) in CORPUS {
            let s = reduce(State::initial(), Action::LoadPreset((*name).into()));
            assert_eq!(&*s.text, *text);
            assert_eq!(s.preset, Some(*name));
        }
    }

    #[test]
    fn undo_history_is_capped_in_steps_and_bytes() {
        let mut v: Rc<Vec<Rc<str>>> = Rc::default();
        for i in 0..(MAX_UNDO + 10) {
            push_capped(&mut v, i.to_string().into());
        }
        assert_eq!(v.len(), MAX_UNDO);
        assert_eq!(v.first().map(|t| t.to_string()), Some("10".to_string()));
        let mut v: Rc<Vec<Rc<str>>> = Rc::default();
        for i in 0..20u8 {
            push_capped(
                &mut v,
                char::from(b'a' + i).to_string().repeat(1 << 20).into(),
            );
        }
        assert_eq!(v.iter().map(|t| t.len()).sum::<usize>(), MAX_UNDO_BYTES);
        assert!(v.last().is_some_and(|t| t.starts_with('t')));
    }

    #[test]
    fn your_scenario_survives_presets_and_undo() {
        let mine = "iommu dmar0\n# mine\n";
        let s = reduce(State::initial(), Action::Edit(mine.into()));
        assert_eq!(s.mine.as_deref(), Some(mine));
        let s = reduce(s, Action::LoadPreset("language-tour.iommu".into()));
        assert_eq!(s.mine.as_deref(), Some(mine));
        let back = reduce(s.clone(), Action::RestoreMine);
        assert_eq!((&*back.text, back.preset), (mine, None));
        let undone = reduce(s, Action::Undo);
        assert_eq!(&*undone.text, mine);
        let redone = reduce(undone, Action::Redo);
        assert_eq!(redone.preset, Some("language-tour.iommu"));
        // After a reload: the kept list's first entry is "Your scenario".
        let s = State::initial().with_kept(vec![mine.into(), "a\n".into()]);
        assert_eq!(s.mine.as_deref(), Some(mine));
        assert_eq!(s.kept.len(), 1);
        let s = reduce(s, Action::OpenKept(0));
        assert_eq!((&*s.text, s.mine.as_deref()), ("a\n", Some("a\n")));
        assert_eq!(s.kept.first().map(|k| &**k), Some(mine));
    }

    #[test]
    fn a_bad_line_keeps_the_last_good_run_drawn() {
        let s = State::initial();
        let cursor = s.cursor;
        let s = reduce(s, Action::Edit("iommu dmar0\nbogus(\n".into()));
        assert!(s.report.is_none() && s.drawn_stale());
        assert_eq!(s.cursor, cursor);
        assert!(s.snapshot().is_some());
        let s = reduce(s, Action::Edit("iommu dmar0\n".into()));
        let s = reduce(s, Action::Run);
        assert!(!s.drawn_stale() && s.last_good.is_none());
    }

    #[test]
    fn run_lands_on_the_first_failure() {
        let nic = preset("vfio-nic-shared-group.iommu").expect("a preset");
        let s = reduce(State::booted(nic, None), Action::Run);
        let run = s.report.as_deref().expect("a run");
        let step = run.steps.get(s.cursor - 1).expect("a step");
        assert_eq!(step.event.call, "vfio_group_set_container");
    }

    #[test]
    fn a_line_or_a_compare_cell_seeks() {
        let nic = preset("vfio-nic-shared-group.iommu").expect("a preset");
        let s = reduce(State::booted(nic, None), Action::SeekLine(32));
        assert_eq!(s.current_line(), Some(32));
        let s = reduce(s, Action::SeekEraLine(Era::Legacy, 27));
        assert_eq!((s.era, s.current_line()), (Era::Legacy, Some(27)));
    }
}
