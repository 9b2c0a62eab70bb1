//! Runs a scenario against the engine (shared/SCENARIO.md "Command line and results"):
//! topology statements build the [`Topology`], devices are probed into [`Groups`] and the
//! [`Kernel`] of the chosen generation, each call becomes a trace [`Event`], and every
//! expectation is checked where it stands.
//!
//! Probing follows the kernel's boot order: the topology declared before the first call is
//! the machine at boot, probed in declaration order once it is complete (as
//! `bus_iommu_probe()` walks every device when the IOMMU registers, so a GPU sees its audio
//! function as a slot sibling). A topology statement after the first call is a hot-add,
//! probed at once (`iommu_bus_notifier` → `iommu_probe_device()`), and `remove` a
//! hot-remove.
//!
//! A scenario that names something that does not exist (a device, a handle, an IOMMU) or
//! that the topology rejects (a bus number that does not match its parent) is bad input: the
//! run stops with a [`ParseError`] at that statement's `line:col`. A failed expectation is
//! not an error: it is recorded in [`Run::checks`] and the run goes on.

use super::ast::{
    Arg, Check, CmpOp, DeviceRef, DomainIs, Expectation, OwnerIs, Scenario, Span, Spanned, StmtKind,
};
use super::calls::CallName;
use super::error::{ErrorKind, ParseError, ParseErrors};
use super::lower::{
    self,
    calls::Resolve,
    err,
    expect::{fmt_group, fmt_partition},
};
use crate::era::{Config, Era};
use crate::group::Groups;
use crate::ids::{DeviceId, DomainId, GroupId, IommuId};
use crate::iommu::Kernel;
use crate::snapshot::Snapshot;
use crate::topology::Topology;
use crate::trace::{Event, Ret};
use crate::vec_map::VecMap;
use serde::Serialize;

/// How to run a scenario.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Overrides the file's `generation` header (`iommu-play run --generation`).
    pub era: Option<Era>,
    /// Record a kernel [`Snapshot`] in every event (the web UI steps through them).
    pub snapshots: bool,
}

/// Everything a run produced: the trace, the checked expectations and the final state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Run {
    /// The era the run used (JSON: `generation`, the language's header word).
    #[serde(rename = "generation")]
    pub era: Era,
    pub config: Config,
    /// One step per executed statement (probes of the boot topology, calls, hot-plug).
    pub steps: Vec<Step>,
    /// Every expectation checked, in source order.
    pub checks: Vec<CheckOutcome>,
    /// The groups at the end, with each member's reason.
    pub groups: Vec<crate::group::Group>,
    /// `/sys/kernel/iommu_groups` at the end, with the reasons (what `iommu-play groups` prints).
    pub sysfs: String,
    /// The kernel's state at the end.
    pub kernel: Snapshot,
    /// Set when a `BUG_ON` fired: the statements after it did not run.
    pub crashed: Option<String>,
    /// The machine as declared (every device ever added), for drawing it.
    pub topology: super::view::TopologyView,
}

impl Run {
    /// Every expectation held.
    pub fn passed(&self) -> bool {
        self.checks.iter().all(|c| c.ok)
    }

    /// The expectations that failed.
    pub fn failures(&self) -> impl Iterator<Item = &CheckOutcome> {
        self.checks.iter().filter(|c| !c.ok)
    }
}

/// One executed statement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Step {
    /// 1-based source line of the statement (0 for nothing in the file).
    pub line: u32,
    /// The statement as written, without its comment.
    pub source: String,
    /// What kind of step it is.
    pub phase: Phase,
    pub event: Event,
}

/// What a [`Step`] is, serialised as `boot`, `call`, `hotplug`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    /// A probe of the topology declared before the first call (the machine booting).
    Boot,
    /// A call statement.
    Call,
    /// A device added or removed after the first call (its probe or release).
    Hotplug,
}

/// One checked expectation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CheckOutcome {
    pub line: u32,
    pub col: u32,
    /// The expectation as written.
    pub source: String,
    pub expected: String,
    pub actual: String,
    pub ok: bool,
}

/// Parses and runs `text`.
pub fn run(text: &str, opts: &Options) -> Result<Run, ParseErrors> {
    let scenario = super::parse(text)?;
    run_scenario(&scenario, text, opts).map_err(ParseErrors::from)
}

/// Runs a parsed scenario; `text` is its source (for the statement texts in the trace).
pub fn run_scenario(s: &Scenario, text: &str, opts: &Options) -> Result<Run, ParseError> {
    run_scenario_with_progress(s, text, opts, &mut |_, _| true)
}

/// The pairs all `workload` statements of `s` run, as written (each `count=`).
pub fn workload_pairs(s: &Scenario) -> u64 {
    s.stmts
        .iter()
        .map(|st| match &st.kind {
            StmtKind::Workload(w) => w.count.node.value,
            _ => 0,
        })
        .fold(0, u64::saturating_add)
}

/// [`run_scenario`] reporting the progress of its `workload` statements:
/// `progress(done, total)` in pairs ([`workload_pairs`]) every 65,536 pairs; returning
/// false cancels the workload in progress (its summary says so) and the run goes on.
pub fn run_scenario_with_progress(
    s: &Scenario,
    text: &str,
    opts: &Options,
    progress: &mut dyn FnMut(u64, u64) -> bool,
) -> Result<Run, ParseError> {
    let era = opts.era.unwrap_or_else(|| s.era());
    let config = s.config();
    let mut r = Runner::new(text, era, config);
    r.topo.set_acs_params(s.acs_params());
    r.kernel.record_snapshots = opts.snapshots;
    // The workload budget is checked before anything runs: bad input fails fast.
    let mut total = 0u64;
    for st in &s.stmts {
        if let StmtKind::Workload(w) = &st.kind {
            total = total.saturating_add(w.count.node.value);
            if total > crate::limits::MAX_WORKLOAD_TOTAL {
                return Err(err(
                    w.count.span,
                    format!(
                        "the workloads of one scenario run at most {} pairs",
                        crate::trace::thousands(crate::limits::MAX_WORKLOAD_TOTAL)
                    ),
                ));
            }
        }
    }
    let mut done = 0u64;
    for stmt in &s.stmts {
        if r.kernel.crashed().is_some() {
            break;
        }
        match &stmt.kind {
            StmtKind::Workload(w) => {
                r.boot()?;
                let base = done;
                done = done.saturating_add(w.count.node.value);
                r.workload(w, stmt.span, &mut |n| progress(base + n, total))?;
            }
            k => r.stmt(k, stmt.span)?,
        }
    }
    r.boot()?;
    let sysfs = r.groups.explain(&r.topo);
    r.view.record_machine(&r.topo);
    Ok(Run {
        era,
        config,
        steps: r.steps,
        checks: r.checks,
        groups: r.groups.groups().cloned().collect(),
        sysfs,
        kernel: r.kernel.snapshot(),
        crashed: r.kernel.crashed().map(str::to_string),
        topology: r.view,
    })
}

/// The machine `s` declares (every topology statement, in order, none probed) and the
/// grouping configuration it runs with: what the what-if views regroup
/// ([`super::view::what_if_acs`]). Calls and expectations are skipped.
pub(crate) fn declared_topology(
    s: &Scenario,
    text: &str,
) -> Result<(Topology, Config), ParseError> {
    let config = s.config();
    let era = s.era();
    let mut r = Runner::new(text, era, config);
    r.topo.set_acs_params(s.acs_params());
    for stmt in &s.stmts {
        match &stmt.kind {
            StmtKind::Call(_) | StmtKind::Expect(_) => {}
            k => r.stmt(k, stmt.span)?,
        }
    }
    Ok((r.topo, config))
}

struct Runner<'a> {
    text: &'a str,
    topo: Topology,
    groups: Groups,
    kernel: Kernel,
    /// `d1 = iommu_domain_alloc(...)` handles.
    handles: VecMap<String, DomainId>,
    /// Handles whose `iommu_domain_alloc` returned NULL, with that call's line.
    null_handles: VecMap<String, u32>,
    /// `iova = dma_map_page(...)` handles.
    iovas: VecMap<String, u64>,
    steps: Vec<Step>,
    checks: Vec<CheckOutcome>,
    /// The boot topology has been probed (the first call or expectation came).
    booted: bool,
    /// Boot-time devices waiting for the probe, with their statement's span.
    pending: Vec<(DeviceId, Span)>,
    era: Era,
    view: super::view::TopologyView,
}

impl<'a> Runner<'a> {
    /// A runner for source `text` before its first statement: an empty machine, era `era`.
    fn new(text: &'a str, era: Era, config: Config) -> Self {
        Runner {
            text,
            topo: Topology::new(),
            groups: Groups::for_era(config, era),
            kernel: Kernel::new(era, config),
            handles: VecMap::new(),
            null_handles: VecMap::new(),
            iovas: VecMap::new(),
            steps: Vec::new(),
            checks: Vec::new(),
            booted: false,
            pending: Vec::new(),
            era,
            view: super::view::TopologyView::default(),
        }
    }

    fn source(&self, span: Span) -> String {
        self.text
            .get(span.start..span.end)
            .unwrap_or_default()
            .trim()
            .to_string()
    }

    fn stmt(&mut self, kind: &StmtKind, span: Span) -> Result<(), ParseError> {
        match kind {
            StmtKind::Blank | StmtKind::Comment(_) | StmtKind::Era(_) | StmtKind::Config(_) => {
                Ok(())
            }
            StmtKind::Iommu(d) => {
                let (id, facts) = lower::topology::iommu(&mut self.topo, d, span)?;
                self.kernel.add_iommu(id, facts);
                Ok(())
            }
            StmtKind::Host(h) => lower::topology::host(&mut self.topo, h, span),
            StmtKind::Pci(p) => {
                let id = lower::topology::pci(&mut self.topo, p, span)?;
                self.added(id, span)?;
                // pci_iov_add_virtfn() for each VF of a PF, right after it.
                for vf in self.topo.virtfns(id) {
                    self.added(vf, span)?;
                }
                Ok(())
            }
            StmtKind::Platform(p) => {
                let id = lower::topology::platform(&mut self.topo, p, span)?;
                self.added(id, span)
            }
            StmtKind::Alias { dev, alias } => {
                lower::topology::alias(&mut self.topo, dev, alias, span)
            }
            StmtKind::Call(c) => {
                self.boot()?;
                self.call(c, span)
            }
            StmtKind::Expect(e) => {
                self.boot()?;
                if e.eras.is_empty() || e.eras.iter().any(|g| g.node == self.era) {
                    self.expect(&e.check, span)?;
                }
                Ok(())
            }
            // Run by run_scenario_with_progress; the declared machine skips it.
            StmtKind::Workload(_) => Ok(()),
        }
    }

    /// A `workload` statement: its spec from the AST (defaults of
    /// [`crate::workload::WorkloadSpec::new`]), one step whose event carries the summary.
    fn workload(
        &mut self,
        w: &super::ast::WorkloadStmt,
        span: Span,
        progress: &mut dyn FnMut(u64) -> bool,
    ) -> Result<(), ParseError> {
        let dev = self.device(&w.dev.node, w.dev.span)?;
        let mut spec = crate::workload::WorkloadSpec::new(w.count.node.value);
        if !w.sizes.is_empty() {
            spec.sizes = w.sizes.iter().map(|s| s.node.value).collect();
        }
        if let Some(l) = &w.live {
            spec.live = l.node.value;
        }
        if let Some(c) = &w.cpus {
            spec.cpus = u32::try_from(c.node.value).unwrap_or(1);
        }
        if let Some(d) = &w.dir {
            spec.dir = d.node;
        }
        if let Some(s) = &w.seed {
            spec.seed = s.node.value;
        }
        if let Some(s) = &w.sample {
            spec.sample = s.node.value;
        }
        if let Some(i) = &w.interval {
            spec.interval_ns = i.node.as_nanos().unwrap_or(0);
        }
        let event = self.kernel.workload(dev, &spec, progress);
        self.push(span, Phase::Call, event);
        Ok(())
    }

    /// A domain handle that names no domain: NULL from a failed `iommu_domain_alloc` (the
    /// kernel would dereference it), or never assigned.
    fn missing_domain(&self, name: &str, span: Span) -> ParseError {
        let kind = match self.null_handles.get(name) {
            Some(&line) => ErrorKind::NullHandle {
                name: name.to_string(),
                line,
            },
            None => ErrorKind::UnknownHandle {
                name: name.to_string(),
                producer: "iommu_domain_alloc",
            },
        };
        ParseError::new(kind, span)
    }

    /// A device was declared: probed at boot, or at once when hot-added.
    fn added(&mut self, id: DeviceId, span: Span) -> Result<(), ParseError> {
        let max = crate::limits::MAX_DEVICES;
        if self.topo.devices().count() > max {
            return Err(err(
                span,
                format!("more than {max} devices in one scenario"),
            ));
        }
        self.view.record(&self.topo, id);
        if self.booted {
            self.probe(id, span, Phase::Hotplug)
        } else {
            self.pending.push((id, span));
            Ok(())
        }
    }

    /// The boot topology is complete: probe it in declaration order.
    fn boot(&mut self) -> Result<(), ParseError> {
        if self.booted {
            return Ok(());
        }
        self.booted = true;
        for (id, span) in std::mem::take(&mut self.pending) {
            self.probe(id, span, Phase::Boot)?;
        }
        Ok(())
    }

    /// drivers/iommu/iommu.c: `iommu_probe_device()`: `ops->device_group()` (the grouping
    /// model), then the group and domain state (the kernel model).
    fn probe(&mut self, id: DeviceId, span: Span, phase: Phase) -> Result<(), ParseError> {
        let group = match self.groups.probe_device(&self.topo, id) {
            Ok(g) => Some(g),
            Err(e) => {
                // A failed probe (e.g. -ENOSPC: no free SMR) leaves the device without an
                // IOMMU group, as the kernel does; the trace shows the errno.
                let mut event = Event::failed_probe(self.steps.len(), self.topo.name(id), e);
                if let Some(f) = self.groups.take_probe_failure(id) {
                    event.smmu_v3_insert_failed(&f, |d| self.topo.name(d).to_string());
                }
                self.push(span, phase, event);
                return Ok(());
            }
        };
        let facts = lower::topology::device_facts(&self.topo, id)
            .ok_or_else(|| err(span, "device vanished"))?;
        let event = self.kernel.probe_device(id, facts, group);
        self.push(span, phase, event);
        Ok(())
    }

    fn push(&mut self, span: Span, phase: Phase, mut event: Event) {
        event.seq = self.steps.len();
        self.steps.push(Step {
            line: span.line,
            source: self.source(span),
            phase,
            event,
        });
    }

    // ------------------------------------------------------------------ calls

    fn device(&self, d: &DeviceRef, span: Span) -> Result<DeviceId, ParseError> {
        match d {
            DeviceRef::Name(n) => self.topo.lookup(n),
            DeviceRef::Bdf(b) => self.topo.lookup_bdf(b.bdf),
        }
        .ok_or_else(|| err(span, format!("no device {d} in the topology")))
    }

    /// An IOVA argument: a number, or a handle kept from `iova = dma_map_page(...)`.
    fn iova_value(&self, a: &Spanned<Arg>) -> Result<u64, ParseError> {
        match &a.node {
            Arg::Number(n) => Ok(n.value),
            Arg::Name(h) => self.iovas.get(h).copied().ok_or_else(|| {
                ParseError::new(
                    ErrorKind::UnknownHandle {
                        name: h.clone(),
                        producer: "dma_map_page",
                    },
                    a.span,
                )
            }),
            _ => Err(err(a.span, "expected an IOVA (a number or a handle)")),
        }
    }

    fn call(&mut self, c: &super::ast::CallStmt, span: Span) -> Result<(), ParseError> {
        let event = if c.call.node == CallName::Remove {
            let a = lower::calls::arg(c, 0)?;
            let dev = Resolve::device(self, a)?;
            let name = self.topo.name(dev).to_string();
            let removed = self.topo.removal_order(dev);
            // Children go first (device_del of a bridge removes its subtree): each removal
            // is a step of its own, the device named last is the call's own event.
            let mut last = None;
            for d in removed {
                let ev = self.kernel.remove_device(d);
                self.groups.release_device(d);
                if let Some(prev) = last.replace(ev) {
                    self.push(span, Phase::Hotplug, prev);
                }
            }
            self.topo
                .remove(&name)
                .map_err(|e| err(a.span, e.to_string()))?;
            match last {
                Some(e) => e,
                None => return Ok(()),
            }
        } else {
            let call = lower::calls::lower(self, c, span)?;
            self.kernel.call(&call)
        };
        match (&c.handle, event.result) {
            (Some(h), Ret::Null) => {
                self.handles.remove(&h.node);
                self.null_handles.insert(h.node.clone(), span.line);
            }
            (Some(h), Ret::Domain(d)) => {
                self.null_handles.remove(&h.node);
                self.handles.insert(h.node.clone(), d);
                self.kernel.label_domain(d, &h.node);
            }
            (Some(h), Ret::Value(iova)) if c.call.node == CallName::DmaMapPage => {
                self.iovas.insert(h.node.clone(), iova);
            }
            _ => {}
        }
        let result = event.result;
        // The step shows the call without its `=> ...` expectation.
        let call_span = match &c.expect {
            Some(e) => Span {
                end: e.span.start.max(span.start),
                ..span
            },
            None => span,
        };
        self.push(call_span, Phase::Call, event);
        if let Some(exp) = &c.expect {
            self.check_result(exp, result, span);
        }
        Ok(())
    }

    fn check_result(&mut self, exp: &Expectation, got: Ret, span: Span) {
        let Some(want) = exp.for_era(self.era) else {
            return;
        };
        let ok = lower::expect::result_matches(&want.node, got);
        self.checks.push(CheckOutcome {
            line: want.span.line,
            col: want.span.col,
            source: self.source(span),
            expected: want.node.to_string(),
            actual: got.to_string(),
            ok,
        });
    }

    // ------------------------------------------------------------------ expect

    fn expect(&mut self, check: &Check, span: Span) -> Result<(), ParseError> {
        let (expected, actual, ok) = match check {
            Check::Groups(want) => {
                let mut w: Vec<Vec<String>> = Vec::new();
                for g in want {
                    let mut names = Vec::new();
                    for d in &g.node {
                        let id = self.device(&d.node, d.span)?;
                        names.push(self.topo.name(id).to_string());
                    }
                    crate::sort::sort(&mut names);
                    w.push(names);
                }
                crate::sort::sort(&mut w);
                let mut got = self.groups.partition();
                for g in &mut got {
                    crate::sort::sort(g);
                }
                crate::sort::sort(&mut got);
                (fmt_partition(&w), fmt_partition(&got), w == got)
            }
            Check::SameGroup { a, op, b } => {
                let ga = self.groups.group_of(self.device(&a.node, a.span)?);
                let gb = self.groups.group_of(self.device(&b.node, b.span)?);
                let same = ga.is_some() && ga == gb;
                let want = *op == CmpOp::Eq;
                (
                    format!("group({}) {} group({})", a.node, op.symbol(), b.node),
                    format!("{} and {}", fmt_group(ga), fmt_group(gb)),
                    same == want,
                )
            }
            Check::Domain { dev, op, is } => {
                let g = self.groups.group_of(self.device(&dev.node, dev.span)?);
                let names = g.map_or_else(
                    || vec!["none".to_string()],
                    |g| self.kernel.core.group_domain_names(g),
                );
                let want = match &is.node {
                    DomainIs::Handle(h) => {
                        if !self.handles.contains_key(h) {
                            return Err(self.missing_domain(h, is.span));
                        }
                        h.clone()
                    }
                    other => other.to_string(),
                };
                let has = names.contains(&want);
                (
                    format!("{} {want}", op.symbol()),
                    names.join(" = "),
                    has == (*op == CmpOp::Eq),
                )
            }
            Check::Owner { dev, op, is } => {
                let g = self.groups.group_of(self.device(&dev.node, dev.span)?);
                let label =
                    g.map_or_else(|| "none".to_string(), |g| self.kernel.core.owner_label(g));
                let want = match &is.node {
                    OwnerIs::Cookie(c) => c.clone(),
                    OwnerIs::DmaApi => "dma-api".into(),
                    OwnerIs::None => "none".into(),
                };
                let eq = label == want;
                (
                    format!("{} {want}", op.symbol()),
                    label,
                    eq == (*op == CmpOp::Eq),
                )
            }
            Check::OwnerCnt { dev, op, count } => {
                let g = self.groups.group_of(self.device(&dev.node, dev.span)?);
                let n = g.map_or(0, |g| self.kernel.core.owner_cnt(g));
                let eq = u64::from(n) == count.node.value;
                (
                    format!("{} {}", op.symbol(), count.node),
                    n.to_string(),
                    eq == (*op == CmpOp::Eq),
                )
            }
            Check::IovaToPhys {
                domain,
                iova,
                op,
                phys,
            } => {
                let d = self
                    .handles
                    .get(&domain.node)
                    .copied()
                    .ok_or_else(|| self.missing_domain(&domain.node, domain.span))?;
                let iova = self.iova_value(iova)?;
                let pa = self.kernel.core.iova_to_phys(d, iova);
                (
                    format!("{} {:#x}", op.symbol(), phys.node.value),
                    format!("{pa:#x}"),
                    (pa == phys.node.value) == (*op == CmpOp::Eq),
                )
            }
            Check::Counter {
                dev,
                counter,
                op,
                value,
            } => {
                let id = self.device(&dev.node, dev.span)?;
                let got = self
                    .kernel
                    .core
                    .dma_state(id)
                    .map(|(p, c)| lower::expect::counter_value(counter.node, p, c));
                (
                    format!("{} {}", op.symbol(), value.node),
                    got.map_or_else(|| "no DMA domain".to_string(), |v| v.to_string()),
                    got.is_some_and(|v| (v == value.node.value) == (*op == CmpOp::Eq)),
                )
            }
            Check::InvariantsOk => {
                let breaches = self.kernel.check_invariants();
                let actual = if breaches.is_empty() {
                    "ok".to_string()
                } else {
                    breaches
                        .iter()
                        .map(|b| format!("{}: {}", b.invariant, b.message))
                        .collect::<Vec<_>>()
                        .join("; ")
                };
                ("ok".into(), actual, breaches.is_empty())
            }
            Check::Breach(n) => {
                let name = n.node.to_string();
                let breaches = self.kernel.check_invariants();
                let found = breaches.iter().any(|b| b.invariant == name);
                let actual = if breaches.is_empty() {
                    "invariants ok".to_string()
                } else {
                    breaches
                        .iter()
                        .map(|b| b.invariant)
                        .collect::<Vec<_>>()
                        .join(" ")
                };
                (format!("breach {name}"), actual, found)
            }
        };
        self.checks.push(CheckOutcome {
            line: span.line,
            col: span.col,
            source: self.source(span),
            expected,
            actual,
            ok,
        });
        Ok(())
    }
}

/// The runner resolves the names a call's arguments use (lowering:
/// [`lower::calls::lower`]).
impl Resolve for Runner<'_> {
    fn device(&self, a: &Spanned<Arg>) -> Result<DeviceId, ParseError> {
        match &a.node {
            Arg::Device(d) | Arg::Group(d) => Runner::device(self, d, a.span),
            _ => Err(err(a.span, "expected a device")),
        }
    }

    fn group(&self, a: &Spanned<Arg>) -> Result<GroupId, ParseError> {
        let dev = Resolve::device(self, a)?;
        self.groups
            .group_of(dev)
            .ok_or_else(|| err(a.span, format!("{} has no iommu group", a.node)))
    }

    fn domain(&self, a: &Spanned<Arg>) -> Result<DomainId, ParseError> {
        let name = a.node.as_name().unwrap_or_default();
        self.handles
            .get(name)
            .copied()
            .ok_or_else(|| self.missing_domain(name, a.span))
    }

    fn iommu(&self, a: &Spanned<Arg>) -> Result<IommuId, ParseError> {
        let name = a.node.as_name().unwrap_or_default();
        self.topo
            .iommu_by_name(name)
            .map_err(|e| err(a.span, e.to_string()))
    }

    fn iova(&self, a: &Spanned<Arg>) -> Result<u64, ParseError> {
        self.iova_value(a)
    }
}

/// The generations a scenario's expectations are written for: its header generation and
/// every generation an `@` list names. The corpus test and `iommu-play run --all` check
/// a file in each of them.
pub fn eras_to_check(s: &Scenario) -> Vec<Era> {
    let mut gens = vec![s.era()];
    let mut add = |g: Era| {
        if !gens.contains(&g) {
            gens.push(g);
        }
    };
    for stmt in &s.stmts {
        match &stmt.kind {
            StmtKind::Call(c) => {
                for alt in c.expect.iter().flat_map(|e| &e.alternatives) {
                    alt.eras.iter().for_each(|g| add(g.node));
                }
            }
            StmtKind::Expect(e) => e.eras.iter().for_each(|g| add(g.node)),
            _ => {}
        }
    }
    crate::sort::sort(&mut gens);
    gens
}
