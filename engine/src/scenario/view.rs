//! Read-only views of a run for the web UI and the CLI: the machine as declared (for
//! drawing the PCI tree), the badges of a group in a [`Snapshot`], and the row table of
//! `iommu-play compare`. Nothing here changes or decides kernel state.

use super::ast::Scenario;
use super::error::ParseError;
use super::run::{run_scenario_with_progress, Options, Phase, Run, Step};
use crate::call::DmaOwnerType;
use crate::domain::{DomainRole, DomainType};
use crate::era::Era;
use crate::group::{ConfigDiff, GroupDiff};
use crate::ids::{DeviceId, DomainId, GroupId};
use crate::snapshot::Snapshot;
use crate::topology::pci::AcsFlags;
use crate::topology::{DeviceKind, PciType, Topology};
use crate::trace::{Ret, Severity};
use serde::{Serialize, Serializer};
use std::fmt;
use std::fmt::Write as _;

/// The machine a scenario declared, every device that ever existed in it (a hot-removed
/// device stays listed: the snapshots say whether it is present at a step).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TopologyView {
    /// IOMMU instances: name and kind (`arm-smmu-v2`, `generic`, ...).
    pub iommus: Vec<IommuView>,
    /// PCI host bridges: name and the IOMMU behind them.
    pub hosts: Vec<HostView>,
    pub devices: Vec<TopoDevice>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IommuView {
    pub name: String,
    pub kind: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HostView {
    pub name: String,
    pub iommu: Option<String>,
}

/// One declared device.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TopoDevice {
    pub id: DeviceId,
    /// `01:00.0` or the platform name.
    pub name: String,
    /// The upstream bridge or port (PCI), `None` on a root bus or for platform devices.
    pub parent: Option<DeviceId>,
    /// The host bridge (PCI) it sits under.
    pub host: Option<String>,
    /// `pci` or `platform`.
    pub bus: &'static str,
    /// The PCI type; `None` for a platform device. Serialised as the scenario's spelling
    /// (`rp`, `ep`, ...) or `platform` ([`TopoDevice::type_keyword`]).
    #[serde(serialize_with = "ser_type_keyword")]
    pub ty: Option<PciType>,
    /// The type in words (`root port`, `endpoint`, ... `platform device`).
    pub ty_long: String,
    /// ACS as the kernel reads it; PCI only.
    pub acs: Option<AcsView>,
    /// The IOMMU translating its DMA (by name).
    pub iommu: Option<String>,
    /// Stream IDs (platform devices).
    pub sids: Vec<String>,
}

impl TopoDevice {
    /// The scenario's spelling of its type: the PCI keyword (`rp`, `ep`, ...) or `platform`.
    pub fn type_keyword(&self) -> &'static str {
        self.ty.map_or("platform", PciType::keyword)
    }

    /// A root or downstream port: the ports whose ACS controls grouping looks at on the
    /// way up (`pci_acs_path_enabled`), where a what-if of their ACS is meaningful.
    pub fn is_acs_port(&self) -> bool {
        matches!(self.ty, Some(PciType::RootPort | PciType::DownstreamPort))
    }
}

fn ser_type_keyword<S: Serializer>(ty: &Option<PciType>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(ty.map_or("platform", PciType::keyword))
}

/// A PCI function's ACS as the kernel reads it: the capability (`None`: the function has
/// none) and the control register. Printed as the control's flags, or `none` without the
/// capability.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AcsView {
    pub cap: Option<AcsFlags>,
    pub ctl: AcsFlags,
}

impl AcsView {
    /// Every control in `flags` is on.
    pub fn enabled(&self, flags: AcsFlags) -> bool {
        self.cap.is_some() && self.ctl.contains(flags)
    }
}

impl fmt::Display for AcsView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.cap {
            None => f.write_str("none"),
            Some(_) => write!(f, "{}", self.ctl),
        }
    }
}

impl Serialize for AcsView {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl TopologyView {
    /// Records `id` as it is declared in `topo` now (called once per declaration).
    pub(crate) fn record(&mut self, topo: &Topology, id: DeviceId) {
        let Some(dev) = topo.device(id) else {
            return;
        };
        let iommu = dev
            .iommu
            .and_then(|i| topo.iommu(i))
            .map(|i| i.spec.name.clone());
        let d = match &dev.kind {
            DeviceKind::Pci(p) => TopoDevice {
                id,
                name: dev.name.clone(),
                parent: p.parent,
                host: topo.host(p.host).map(|h| h.name.clone()),
                bus: "pci",
                ty: Some(p.ty),
                ty_long: p.ty.to_string(),
                acs: Some(AcsView {
                    cap: p.acs_cap,
                    // As boot left it: `pci=disable_acs_redir=`/`config_acs=` applied.
                    ctl: topo.acs_ctl(id),
                }),
                iommu,
                sids: Vec::new(),
            },
            DeviceKind::Platform(p) => TopoDevice {
                id,
                name: dev.name.clone(),
                parent: None,
                host: None,
                bus: "platform",
                ty: None,
                ty_long: "platform device".into(),
                acs: None,
                iommu,
                sids: p.sids.iter().map(ToString::to_string).collect(),
            },
        };
        self.devices.retain(|x| x.id != id);
        self.devices.push(d);
    }

    /// Records the IOMMUs and hosts as `topo` has them now.
    pub(crate) fn record_machine(&mut self, topo: &Topology) {
        self.iommus = topo
            .iommus()
            .iter()
            .map(|i| IommuView {
                name: i.spec.name.clone(),
                kind: i.spec.kind.to_string(),
            })
            .collect();
        self.hosts = topo
            .hosts()
            .iter()
            .map(|h| HostView {
                name: h.name.clone(),
                iommu: h
                    .iommu
                    .and_then(|i| topo.iommu(i))
                    .map(|i| i.spec.name.clone()),
            })
            .collect();
    }
}

impl Snapshot {
    /// The domain a group's DMA goes through: `group->domain`, or where there is none
    /// (the legacy era attaches devices one by one) the first member's, as I1 compares.
    pub fn group_effective_domain(&self, g: GroupId) -> Option<DomainId> {
        let grp = self.groups.iter().find(|x| x.id == g)?;
        grp.domain.or_else(|| {
            let first = grp.devices.first()?;
            self.devices.iter().find(|d| d.id == *first)?.domain
        })
    }

    /// The badge of a group's current domain ([`Snapshot::group_effective_domain`]):
    /// `DMA`, `DMA-FQ`, `identity`, `blocking`, `private d1` (a domain a caller allocated,
    /// by its scenario handle), or `none`.
    pub fn group_domain_badge(&self, g: GroupId) -> String {
        let Some(d) = self.group_effective_domain(g) else {
            return "none".into();
        };
        let Some(dom) = self.domains.iter().find(|x| x.id == d) else {
            return "none".into();
        };
        match (&dom.role, dom.ty) {
            (DomainRole::Blocking, _) | (_, DomainType::Blocked) => "blocking".into(),
            (_, DomainType::Identity) => "identity".into(),
            (DomainRole::Default, DomainType::Dma) => "DMA".into(),
            (DomainRole::Default, DomainType::DmaFq) => "DMA-FQ".into(),
            (DomainRole::Default, t) => t.name().to_string(),
            (DomainRole::User, _) => format!("private {}", dom.label),
        }
    }

    /// The badge of a group's DMA owner: the owner cookie (or the VFIO container before
    /// v5.19), `DMA API ×n` when DMA-API users hold it, else `none` — the same rule as
    /// `expect owner(group(X))` ([`crate::core::Core::owner_label`]).
    pub fn group_owner_badge(&self, g: GroupId) -> String {
        let Some(grp) = self.groups.iter().find(|x| x.id == g) else {
            return "none".into();
        };
        if let Some(c) = grp.owner.as_ref().or(grp.vfio_container.as_ref()) {
            return c.0.clone();
        }
        let drivers = self
            .devices
            .iter()
            .filter(|d| grp.devices.contains(&d.id))
            .filter(|d| d.driver.as_ref().is_some_and(|drv| !drv.managed))
            .count();
        let users = u32::try_from(drivers)
            .unwrap_or(u32::MAX)
            .max(grp.owner_cnt.saturating_sub(grp.attach_cnt));
        if grp.dma_owner == DmaOwnerType::DmaApi || users > 0 {
            format!("DMA API ×{}", users.max(1))
        } else {
            "none".into()
        }
    }
}

/// The state a UI draws at `cursor` (0 = before the first step): the snapshot after step
/// `cursor - 1`, or the latest one before it (a failed probe records none). `None` before
/// any snapshot.
pub fn snapshot_at(run: &Run, cursor: usize) -> Option<&Snapshot> {
    run.steps
        .get(..cursor.min(run.steps.len()))?
        .iter()
        .rev()
        .find_map(|s| s.event.snapshot.as_ref())
}

/// How many steps probe the boot topology (the cursor of "the machine as booted").
pub fn boot_steps(run: &Run) -> usize {
    run.steps
        .iter()
        .take_while(|s| s.phase == Phase::Boot)
        .count()
}

/// What a trace row says the step was: `probe 01:00.0` for a boot probe, `remove 02:00.0`
/// for each device a hot removal took away (a bridge takes its subtree along), else the
/// statement as written.
pub fn step_label(step: &Step) -> String {
    let e = &step.event;
    match (step.phase, e.call.as_str()) {
        (Phase::Boot, _) => format!("probe {}", e.args.join(", ")),
        (Phase::Hotplug, "iommu_release_device") => format!("remove {}", e.args.join(", ")),
        _ => step.source.clone(),
    }
}

/// What a call's result reads as in the trace: a domain handle by its name (`d1`).
pub fn result_text(step: &Step) -> String {
    match (step.event.result, step.source.split_once(" = ")) {
        (Ret::Domain(_), Some((handle, _))) => handle.trim().to_string(),
        (r, _) => r.to_string(),
    }
}

/// One cell of the compare table: a call's result in one era ([`result_text`]), or `—`
/// where that era's run never reached the line. Serialised as its text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompareCell {
    /// `None`: not reached.
    pub result: Option<Ret>,
    pub text: String,
}

impl CompareCell {
    fn of(step: Option<&Step>) -> CompareCell {
        match step {
            Some(s) => CompareCell {
                result: Some(s.event.result),
                text: result_text(s),
            },
            None => CompareCell {
                result: None,
                text: "—".into(),
            },
        }
    }

    /// How bad the result is (not reached: [`Severity::NotAvailable`]).
    pub fn severity(&self) -> Severity {
        self.result.map_or(Severity::NotAvailable, Ret::severity)
    }
}

impl fmt::Display for CompareCell {
    /// The text, padded to the formatter's width.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.text)
    }
}

impl Serialize for CompareCell {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

/// One scenario run in every generation (`iommu-play compare`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Compare {
    #[serde(rename = "generations")]
    pub eras: Vec<Era>,
    pub rows: Vec<CompareRow>,
    /// The generations whose expectations fail.
    pub failing: Vec<Era>,
}

/// One call line of the scenario and its result in each generation (`—`: not reached).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CompareRow {
    pub line: u32,
    pub call: String,
    pub results: Vec<CompareCell>,
    /// Not every generation returns the same.
    pub differs: bool,
}

/// Runs `s` in every generation and lines up the call results by source line.
pub fn compare(s: &Scenario, text: &str) -> Result<Compare, ParseError> {
    compare_with_progress(s, text, &mut |_, _| true)
}

/// [`compare`] reporting its `workload` pairs as [`run_scenario_with_progress`] does, over
/// the six runs: `progress(done, total)` with `total` = six times the scenario's pairs, so
/// the web app can show a compare of a million-pair scenario running in its worker.
pub fn compare_with_progress(
    s: &Scenario,
    text: &str,
    progress: &mut dyn FnMut(u64, u64) -> bool,
) -> Result<Compare, ParseError> {
    let eras = Era::ALL.len() as u64;
    let mut runs = Vec::new();
    for (k, g) in (0u64..).zip(Era::ALL) {
        let opts = Options {
            era: Some(g),
            snapshots: false,
        };
        let mut each = |done: u64, total: u64| {
            progress(
                k.saturating_mul(total).saturating_add(done),
                eras.saturating_mul(total),
            )
        };
        runs.push(run_scenario_with_progress(s, text, &opts, &mut each)?);
    }
    Ok(compare_runs(&runs))
}

/// Lines up the call results of `runs` (one per generation, in [`Era::ALL`]'s order) by
/// source line.
fn compare_runs(runs: &[Run]) -> Compare {
    // Rows: every call line of any run, in source order.
    let mut lines: Vec<(u32, String)> = runs
        .iter()
        .flat_map(|r| r.steps.iter().filter(|s| s.phase != Phase::Boot))
        .map(|s| (s.line, s.source.clone()))
        .collect();
    crate::sort::sort(&mut lines);
    lines.dedup();
    let cell = |r: &Run, line: u32| -> CompareCell {
        CompareCell::of(
            r.steps
                .iter()
                .find(|s| s.line == line && s.phase != Phase::Boot),
        )
    };
    let rows = lines
        .into_iter()
        .map(|(line, call)| {
            let results: Vec<CompareCell> = runs.iter().map(|r| cell(r, line)).collect();
            let differs = results
                .iter()
                .skip(1)
                .any(|r| Some(&r.text) != results.first().map(|f| &f.text));
            CompareRow {
                line,
                call,
                results,
                differs,
            }
        })
        .collect();
    Compare {
        eras: Era::ALL.to_vec(),
        rows,
        failing: runs.iter().filter(|r| !r.passed()).map(|r| r.era).collect(),
    }
}

/// The ACS controls the topology panel's what-if toggles: the ones grouping requires of a
/// port for isolation (`REQ_ACS_FLAGS`, drivers/iommu/iommu.c).
pub const WHAT_IF_ACS_FLAGS: AcsFlags = crate::topology::pci::REQ_ACS_FLAGS;

/// What-if for the UI: the machine `s` declares with `device`'s ACS controls `SV,RR,CR,UF`
/// switched on (`acs_on`; a port without the capability gains it) or off, regrouped from
/// scratch ([`crate::group::what_if_acs`]). Read-only: neither the text nor any run changes.
/// The error is a sentence (a scenario that does not build, an unknown or non-PCI device).
pub fn what_if_acs(
    s: &Scenario,
    text: &str,
    device: &str,
    acs_on: bool,
) -> Result<GroupDiff, String> {
    let (topo, config) = super::run::declared_topology(s, text).map_err(|e| e.to_string())?;
    let id = topo
        .lookup(device)
        .ok_or_else(|| format!("no device {device}"))?;
    let p = topo
        .pci_dev(id)
        .ok_or_else(|| format!("{device} is not a PCI device"))?;
    let (cap, ctl) = if acs_on {
        let cap = p.acs_cap.unwrap_or(AcsFlags::NONE) | WHAT_IF_ACS_FLAGS;
        (Some(cap), p.acs_ctl | WHAT_IF_ACS_FLAGS)
    } else {
        (p.acs_cap, p.acs_ctl & !WHAT_IF_ACS_FLAGS)
    };
    crate::group::what_if_acs(&topo, config, device, cap, ctl).map_err(|e| e.to_string())
}

/// What-if for the CLI and the UI: the machine `s` declares booted with `settings` (the
/// settings of a `config` line, `pcie_acs_override=downstream acs-fix=on`) on top of its own
/// `config` lines, regrouped from scratch and compared with its groups as they are
/// ([`crate::group::what_if_config`]). Read-only. The error is a sentence (`settings` that
/// do not parse, with their column, or a scenario that does not build).
pub fn what_if_config(s: &Scenario, text: &str, settings: &str) -> Result<ConfigDiff, String> {
    let extra = super::parse_config_settings(settings).map_err(|e| e.to_string())?;
    let (topo, config) = super::run::declared_topology(s, text).map_err(|e| e.to_string())?;
    let mut s2 = s.clone();
    s2.push_config(extra);
    Ok(crate::group::what_if_config(
        &topo,
        config,
        s2.config(),
        s2.acs_params(),
    ))
}

/// The what-if answer as text (`iommu-play groups --what-if`): each group that would split
/// or merge, members in brackets.
pub fn what_if_text(d: &ConfigDiff) -> String {
    let boot = |params: &str, acs_fix: bool| {
        let mut v: Vec<&str> = Vec::new();
        if !params.is_empty() {
            v.push(params);
        }
        if acs_fix {
            v.push("acs-fix=on");
        }
        if v.is_empty() {
            "no ACS parameters".to_string()
        } else {
            v.join(" ")
        }
    };
    let group = |g: &[String]| format!("[{}]", g.join(" "));
    let groups = |gs: &[Vec<String>]| gs.iter().map(|g| group(g)).collect::<Vec<_>>().join(" ");
    let mut o = format!(
        "what-if: {} -> {}\n",
        boot(&d.params_before, d.acs_fix_before),
        boot(&d.params_after, d.acs_fix_after)
    );
    if d.is_unchanged() {
        o.push_str("no group changes\n");
    }
    for c in &d.split {
        let _ = writeln!(o, "split:  {} -> {}", groups(&c.before), groups(&c.after));
    }
    for c in &d.merged {
        let _ = writeln!(o, "merged: {} -> {}", groups(&c.before), groups(&c.after));
    }
    let _ = writeln!(o, "groups: {} -> {}", d.before.len(), d.after.len());
    o
}

#[cfg(test)]
mod what_if_tests {
    use super::*;

    const BOARD: &str = include_str!("../../../tests/scenarios/consumer-board-no-acs.iommu");

    fn diff(text: &str, dev: &str, on: bool) -> GroupDiff {
        let s = super::super::parse(text).expect("parses");
        what_if_acs(&s, text, dev, on).expect("what-if")
    }

    #[test]
    fn acs_on_a_chipset_port_splits_its_group() {
        let d = diff(BOARD, "00:1c.0", true);
        assert_eq!(d.acs_cap_before, None);
        assert_eq!(d.acs_ctl_before, AcsFlags::NONE);
        assert_eq!(d.acs_ctl_after, WHAT_IF_ACS_FLAGS);
        assert_eq!(d.split.len(), 1, "{d:?}");
        assert_eq!(
            d.split[0].before,
            vec![vec!["00:1c.0", "00:1c.4", "01:00.0", "02:00.0"]]
        );
        assert_eq!(
            d.split[0].after,
            vec![vec!["00:1c.0"], vec!["00:1c.4", "02:00.0"], vec!["01:00.0"]]
        );
        assert!(d.merged.is_empty());
        // And back: with the ACS declared, switching it off merges them again.
        let text = BOARD.replace("pci 00:1c.0 rp ", "pci 00:1c.0 rp acs=SV,RR,CR,UF ");
        let back = diff(&text, "00:1c.0", false);
        assert!(back.split.is_empty());
        assert_eq!(back.merged.len(), 1, "{back:?}");
        assert_eq!(
            back.merged[0].after,
            vec![vec!["00:1c.0", "00:1c.4", "01:00.0", "02:00.0"]]
        );
    }

    #[test]
    fn which_groups_would_split_under_pcie_acs_override() {
        let s = super::super::parse(BOARD).expect("parses");
        let d = what_if_config(&s, BOARD, "pcie_acs_override=downstream").expect("what-if");
        assert_eq!(d.params_before, "");
        assert_eq!(d.params_after, "pcie_acs_override=downstream");
        assert_eq!(d.split.len(), 1, "{d:?}");
        assert_eq!(
            d.split[0].after,
            vec![
                vec!["00:1c.0"],
                vec!["00:1c.4"],
                vec!["01:00.0"],
                vec!["02:00.0"]
            ]
        );
        assert!(d.merged.is_empty());
        assert_eq!(
            what_if_text(&d),
            "what-if: no ACS parameters -> pcie_acs_override=downstream\n\
             split:  [00:1c.0 00:1c.4 01:00.0 02:00.0] -> [00:1c.0] [00:1c.4] [01:00.0] [02:00.0]\n\
             groups: 4 -> 7\n"
        );
        // `multifunction` alone: the chipset functions are conventional PCI, the ports are
        // not endpoints: nothing changes.
        let d = what_if_config(&s, BOARD, "pcie_acs_override=multifunction").expect("what-if");
        assert!(d.is_unchanged());
        // The scenario's own setting can be switched off again.
        let on = BOARD.replace(
            "iommu dmar0",
            "config pcie_acs_override=downstream\niommu dmar0",
        );
        let s = super::super::parse(&on).expect("parses");
        let d = what_if_config(&s, &on, "pcie_acs_override=off").expect("what-if");
        assert_eq!(d.merged.len(), 1);
        assert!(what_if_config(&s, &on, "pcie_acs_override=of").is_err());
    }

    #[test]
    fn what_if_errors_are_sentences() {
        let s = super::super::parse(BOARD).expect("parses");
        assert!(what_if_acs(&s, BOARD, "09:00.0", true).is_err());
    }
}

/// Calls that claim a group (or a device's group) for a user: they fail while a driver of
/// the group uses the DMA API or another owner holds it.
const CLAIMS: &[&str] = &[
    "vfio_group_set_container",
    "iommu_group_claim_dma_owner",
    "iommu_device_claim_dma_owner",
    "iommu_device_set_dma_owner",
    "iommufd_device_bind",
];

/// Why step `i` failed, in one sentence, read from the state before it: which owner holds
/// the group, which devices' drivers (using the DMA API) keep it from being claimed, or for
/// the other common errnos what of the group or domain the call refused ([`errno_why`]).
/// `None` when the step did not fail or the state names no such reason. The UI shows it on
/// the failed row; the CLI can print it too.
///
/// It explains, it does not decide: the results come from the modelled calls (`driver`,
/// the era files), whose rules it names — a claim fails while `group->owner_cnt` counts
/// DMA-API drivers or another owner holds the group (`iommu_group_claim_dma_owner()`,
/// drivers/iommu/iommu.c, v6.17), and a DMA-API driver's bind fails while a user owns the
/// group (`iommu_device_use_default_domain()`, same file).
pub fn why(run: &Run, i: usize) -> Option<String> {
    let step = run.steps.get(i)?;
    let e = &step.event;
    if !e.result.severity().is_failure() {
        return None;
    }
    let before = snapshot_at(run, i)?;
    let device = |name: &str| before.devices.iter().find(|d| d.name == name);
    let group_id = e.args.iter().find_map(|a| {
        a.strip_prefix("group")
            .and_then(|n| n.trim().parse().ok())
            .map(GroupId)
            .or_else(|| device(a).and_then(|d| d.group))
    });
    let Some(group) = group_id.and_then(|g| before.groups.iter().find(|x| x.id == g)) else {
        return errno_why(run, before, step, None);
    };
    let group_id = group.id;
    let errno = e.result;
    let owner = group
        .owner
        .as_ref()
        .or(group.vfio_container.as_ref())
        .map(|c| c.0.clone())
        .filter(|c| !e.args.contains(c));
    if let Some(owner) = owner {
        return Some(match (e.call.as_str(), e.args.as_slice()) {
            ("bind", [dev, drv, ..]) => format!(
                "{errno}: {group_id} is owned by {owner}, so {dev} cannot be bound to {drv}, \
                 a driver using the DMA API, until {owner} releases the group."
            ),
            (call, _) => format!(
                "{errno}: {group_id} is already owned by {owner}; {call} cannot take it until \
                 {owner} releases it."
            ),
        });
    }
    if !CLAIMS.contains(&e.call.as_str()) {
        return errno_why(run, before, step, Some(group));
    }
    let blockers: Vec<String> = before
        .devices
        .iter()
        .filter(|d| group.devices.contains(&d.id))
        .filter_map(|d| {
            let drv = d.driver.as_ref().filter(|drv| !drv.managed)?;
            Some(format!("{} (driver {})", d.name, drv.name))
        })
        .collect();
    if blockers.is_empty() {
        return errno_why(run, before, step, Some(group));
    }
    let (who, verb) = if blockers.len() == 1 {
        ("its driver uses", "it is")
    } else {
        ("their drivers use", "they are")
    };
    Some(format!(
        "{errno}: {} in {group_id}: {who} the DMA API, so the group cannot be claimed until \
         {verb} unbound or bound to vfio-pci.",
        blockers.join(", "),
    ))
}

/// Calls that attach or detach one device (the singleton rule of 426a273834ea applies).
const DEVICE_ATTACH: &[&str] = &["iommu_attach_device", "iommu_detach_device"];

/// The other common failures, one sentence from the state before the step: a device in no
/// group (-ENODEV), a device call on a group of several (-EINVAL, the singleton rule of
/// 426a273834ea, drivers/iommu/iommu.c `iommu_attach_device()` v4.2–v6.8), a domain of the
/// wrong type (-EINVAL) or a group away from its default domain (-EBUSY,
/// `__iommu_attach_group()`), a shared attach without a private-domain owner (-EPERM,
/// the v4 draft's `iommu_attach_device_shared()`).
fn errno_why(
    run: &Run,
    before: &Snapshot,
    step: &Step,
    group: Option<&crate::core::Group>,
) -> Option<String> {
    use crate::errno::Errno;
    let e = &step.event;
    let Ret::Err(errno) = e.result else {
        return None;
    };
    let call = e.call.as_str();
    let dev = e
        .args
        .iter()
        .find_map(|a| run.topology.devices.iter().find(|d| &d.name == a));
    let domain = e
        .args
        .iter()
        .find_map(|a| before.domains.iter().find(|d| &d.label == a && !d.freed));
    // `d1 (UNMANAGED)`; a default domain's label names its type already.
    let label = |d: Option<DomainId>| {
        d.and_then(|d| before.domains.iter().find(|x| x.id == d))
            .map(|x| {
                if x.label.contains('(') {
                    x.label.clone()
                } else {
                    format!("{} ({})", x.label, x.ty)
                }
            })
    };
    let handle = |d: Option<DomainId>| {
        d.and_then(|d| before.domains.iter().find(|x| x.id == d))
            .map(|x| x.label.clone())
    };
    let members = |g: &crate::core::Group| {
        g.devices
            .iter()
            .filter_map(|m| before.devices.iter().find(|d| d.id == *m))
            .map(|d| d.name.clone())
            .collect::<Vec<_>>()
            .join(", ")
    };
    match (errno, group) {
        (Errno::ENODEV, None) => {
            let dev = dev?;
            Some(format!(
                "-ENODEV: {} is in no iommu group (no IOMMU translates it, or it is not probed \
                 at this step), so {call} has no group to work on.",
                dev.name
            ))
        }
        (Errno::EINVAL, Some(g)) if DEVICE_ATTACH.contains(&call) && g.devices.len() > 1 => {
            Some(format!(
                "-EINVAL: {call} takes a device alone in its group (the singleton rule of \
                 426a273834ea), but {} holds {}: attach the whole group (iommu_attach_group) \
                 or, in the v4 draft, iommu_attach_device_shared.",
                g.id,
                members(g)
            ))
        }
        (Errno::EINVAL, _) if domain.is_some_and(|d| d.ty != DomainType::Unmanaged) => {
            let d = domain?;
            Some(format!(
                "-EINVAL: {} is a {} domain, and {call} takes only an UNMANAGED domain that a \
                 caller allocated.",
                d.label, d.ty
            ))
        }
        (Errno::EBUSY, Some(g))
            if g.domain.is_some()
                && g.domain != g.default_domain
                && g.domain != g.blocking_domain =>
        {
            let now = label(g.domain)?;
            let handle = handle(g.domain)?;
            let default = label(g.default_domain).unwrap_or_else(|| "none".into());
            Some(format!(
                "-EBUSY: {} is in {now}, not its default domain {default}; {call} needs the \
                 group in its default domain, so whoever attached {handle} must detach it first.",
                g.id
            ))
        }
        (Errno::EPERM, Some(g))
            if call == "iommu_attach_device_shared"
                && !matches!(
                    g.dma_owner,
                    DmaOwnerType::PrivateDomain | DmaOwnerType::PrivateDomainUser
                ) =>
        {
            Some(format!(
                "-EPERM: {call} needs {} owned for a private domain first \
                 (iommu_device_set_dma_owner(dev, DMA_OWNER_PRIVATE_DOMAIN, cookie)); its owner \
                 is {}.",
                g.id,
                g.dma_owner.name()
            ))
        }
        (Errno::EFAULT, _) if call == "device_dma" => {
            let d = dev.and_then(|d| before.devices.iter().find(|v| v.id == d.id));
            let dom = d.and_then(|d| d.domain);
            let blocked = dom
                .and_then(|d| before.domains.iter().find(|x| x.id == d))
                .is_some_and(|x| x.ty == DomainType::Blocked);
            let dom = label(dom).unwrap_or_else(|| "no domain".into());
            Some(if blocked {
                format!(
                    "-EFAULT: {} is in {dom}, which translates nothing: every DMA faults.",
                    e.args.first()?
                )
            } else {
                format!(
                    "-EFAULT: {} translates through {dom}, which maps nothing at {}: the DMA \
                     faults.",
                    e.args.first()?,
                    e.args.get(1)?
                )
            })
        }
        (Errno::EEXIST, _) if call == "iommu_map" => Some(format!(
            "-EEXIST: part of the range is already mapped in {}: a leaf is present on the way \
             (io-pgtable-arm); unmap it first.",
            e.args.first()?
        )),
        (Errno::ERANGE, _) if call == "iommu_map" => Some(format!(
            "-ERANGE: the IOVA is beyond the input address size (ias) of {} or the physical \
             address beyond its output size (oas).",
            e.args.first()?
        )),
        (Errno::EINVAL, _) if call == "iommu_map" => Some(format!(
            "-EINVAL: iova, paddr and size must be multiples of the smallest page size {} \
             supports, and the domain must be a paging one.",
            e.args.first()?
        )),
        _ => None,
    }
}

/// The step a reader should see first after a run: the first step that failed (an error
/// result or a failed expectation on or just after its line), else `None`. A cursor on it
/// is `index + 1`.
pub fn first_failure(run: &Run) -> Option<usize> {
    let first_check = run.failures().map(|c| c.line).min();
    run.steps.iter().enumerate().find_map(|(i, s)| {
        let next = run.steps.get(i + 1).map_or(u32::MAX, |n| n.line);
        let failed = s.event.result.severity().is_failure()
            || s.phase != Phase::Boot && first_check.is_some_and(|l| l >= s.line && l < next);
        failed.then_some(i)
    })
}

#[cfg(test)]
mod why_tests {
    use super::*;
    use crate::corpus::CORPUS;
    use crate::scenario::run::run;

    fn preset_run(name: &str) -> Run {
        let text = CORPUS
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, t)| *t)
            .expect("a preset");
        let opts = Options {
            era: None,
            snapshots: true,
        };
        run(text, &opts).expect("it runs")
    }

    #[test]
    fn a_failed_claim_names_the_driver_and_a_failed_bind_the_owner() {
        let r = preset_run("vfio-nic-shared-group.iommu");
        let first = first_failure(&r).expect("a failed step");
        assert_eq!(r.steps[first].event.call, "vfio_group_set_container");
        assert_eq!(
            why(&r, first).as_deref(),
            Some(
                "-EPERM: 01:00.1 (driver igb) in group 1: its driver uses the DMA API, so the \
                 group cannot be claimed until it is unbound or bound to vfio-pci."
            )
        );
        let bind = r.steps.len() - 1;
        assert_eq!(
            why(&r, bind).as_deref(),
            Some(
                "-EBUSY: group 1 is owned by vm1, so 01:00.1 cannot be bound to igb, a driver \
                 using the DMA API, until vm1 releases the group."
            )
        );
        assert_eq!(why(&r, 0), None);
    }

    /// The why of a preset's first failed step.
    fn first_why(preset: &str) -> String {
        let r = preset_run(preset);
        let i = first_failure(&r).expect("a failed step");
        why(&r, i).expect("a why")
    }

    #[test]
    fn the_common_errnos_say_why() {
        // The singleton rule (-EINVAL), a group off its default domain (-EBUSY), a shared
        // attach without an owner (-EPERM).
        let w = first_why("s4-attach-device-multi-device-group.iommu");
        let singleton = "-EINVAL: iommu_attach_device takes a device alone in its group";
        assert!(w.starts_with(singleton), "{w}");
        let w = first_why("s6-claim-private-domain.iommu");
        assert!(w.starts_with("-EBUSY: group "), "{w}");
        assert!(w.contains("not its default domain"), "{w}");
        let w = first_why("s4-tegra-attach-device-shared.iommu");
        let shared = "-EPERM: iommu_attach_device_shared needs group";
        assert!(w.starts_with(shared), "{w}");
    }

    #[test]
    fn every_error_in_the_corpus_says_why() {
        let (mut said, mut silent) = (0, Vec::new());
        for (name, text) in CORPUS {
            let opts = Options {
                era: None,
                snapshots: true,
            };
            let Ok(r) = run(text, &opts) else { continue };
            for (i, s) in r.steps.iter().enumerate() {
                if matches!(s.event.result, Ret::Err(_)) && s.phase != Phase::Boot {
                    match why(&r, i) {
                        Some(w) => {
                            eprintln!("{name}:{} {w}", s.line);
                            said += 1;
                        }
                        None => silent.push(format!(
                            "{name}:{} {} = {}",
                            s.line, s.event.call, s.event.result
                        )),
                    }
                }
            }
        }
        assert!(
            said > 20 && silent.is_empty(),
            "{said} said, silent: {silent:#?}"
        );
    }
}
