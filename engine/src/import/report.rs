//! The `--check` report (shared/IMPORT.md): each listed group beside the model's, why each
//! device is where it is (the engine's [`GroupReason`]), the facts that were not read, and
//! every difference with a sentence a VFIO user can act on. The same data serialises as
//! `--json`; [`super::view`] makes its text.

use super::check::{Comparison, Model};
use super::rebuild::{AcsSource, Machine, NoteKind};
use super::view;
use crate::group::GroupReason;
use crate::topology::{Bdf, PciType};
use crate::vec_map::VecSet;
use serde::Serialize;

/// The whole report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The model forms the listing's groups (exit 0).
    pub reproduced: bool,
    /// It does so from the read, quirk and known facts alone, before inference.
    pub reproduced_without_inference: bool,
    /// PCI functions rebuilt.
    pub functions: usize,
    /// Functions the listing gives a group.
    pub listed: usize,
    /// The `config` line the model ran with (empty: the defaults).
    pub config: String,
    /// Listed groups, in group-number order, each beside the model's.
    pub groups: Vec<GroupRow>,
    /// Every function, in declaration order.
    pub devices: Vec<DeviceRow>,
    /// Every fact not read from the listing: quirk, known, inferred, parent.
    pub facts: Vec<FactRow>,
    /// Facts the import cannot know and does not need (left at the language default).
    pub unknown: Vec<FactRow>,
    /// Every difference between the listing and the model.
    pub differences: Vec<Difference>,
    /// For each listed group of more than one device: why they share it and what a VFIO
    /// user can do.
    pub advice: Vec<Advice>,
    /// Lines of the paste that could not be read.
    pub skipped_lines: usize,
    /// Lines that mark a cut (`[...]`).
    pub cuts: Vec<u32>,
    /// Statements two sources disagree on.
    pub conflicts: Vec<String>,
    /// Anything else worth knowing (limits, devices dropped).
    pub notes: Vec<String>,
}

/// A listed group and the model's groups of the same devices.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GroupRow {
    pub real: u32,
    pub members: Vec<Bdf>,
    /// The model groups these members are in (and the listed devices they hold).
    pub simulated: Vec<SimulatedGroup>,
    pub same: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SimulatedGroup {
    pub id: u32,
    pub members: Vec<Bdf>,
}

/// One function: its groups and the engine's reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DeviceRow {
    pub bdf: Bdf,
    #[serde(rename = "type")]
    pub ty: PciType,
    pub real: Option<u32>,
    pub simulated: Option<u32>,
    pub reason: Option<GroupReason>,
    /// The reason as a sentence.
    pub why: String,
}

/// A fact with where it came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FactRow {
    pub bdf: Bdf,
    pub kind: NoteKind,
    pub text: String,
}

/// One difference: devices the listing and the model group differently.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Difference {
    /// The device the sentence is about.
    pub device: Bdf,
    /// Its listed group's members.
    pub real: Vec<Bdf>,
    /// Its model group's members (listed devices only).
    pub simulated: Vec<Bdf>,
    pub sentence: String,
}

/// Why a listed group holds several devices, and the options.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Advice {
    pub group: u32,
    pub members: Vec<Bdf>,
    pub sentence: String,
}

impl Report {
    /// The report on `m` against `model`.
    pub(crate) fn new(
        m: &Machine,
        model: &Model,
        before_inference: bool,
        config: String,
    ) -> Report {
        let cmp = Comparison::new(m, model);
        let groups = cmp
            .real
            .iter()
            .map(|(&real, members)| {
                let sims: VecSet<u32> = VecSet::from_iter(
                    members
                        .iter()
                        .filter_map(|&b| cmp.simulated_of(b).map(|(g, _)| g)),
                );
                let simulated: Vec<SimulatedGroup> = sims
                    .iter()
                    .filter_map(|g| {
                        cmp.simulated.get(g).map(|s| SimulatedGroup {
                            id: *g,
                            members: s.iter().copied().collect(),
                        })
                    })
                    .collect();
                let same = simulated.len() == 1
                    && simulated
                        .first()
                        .is_some_and(|s| s.members.iter().eq(members.iter()));
                GroupRow {
                    real,
                    members: members.iter().copied().collect(),
                    simulated,
                    same,
                }
            })
            .collect::<Vec<_>>();
        let devices = m
            .functions
            .iter()
            .map(|f| {
                let reason = model
                    .topo
                    .lookup_bdf(f.bdf)
                    .and_then(|id| model.groups.reason(id))
                    .cloned();
                let why = reason.as_ref().map_or_else(
                    || "no group: the probe failed".to_string(),
                    |r| r.to_string(),
                );
                DeviceRow {
                    bdf: f.bdf,
                    ty: f.ty,
                    real: f.group,
                    simulated: model.group_of(f.bdf),
                    reason,
                    why,
                }
            })
            .collect::<Vec<_>>();
        let facts = m
            .functions
            .iter()
            .flat_map(|f| {
                f.notes.iter().map(|n| FactRow {
                    bdf: f.bdf,
                    kind: n.kind,
                    text: n.to_string(),
                })
            })
            .collect();
        let unknown = m
            .functions
            .iter()
            .filter(|f| {
                f.acs_source == AcsSource::Unknown
                    && f.ty.is_pcie()
                    && !f.notes.iter().any(|n| n.kind == NoteKind::Inferred)
                    && model.acs_quirk(f.bdf).is_none()
                    && matches!(
                        f.ty,
                        PciType::RootPort | PciType::DownstreamPort | PciType::RcIntegratedEndpoint
                    )
                    || (f.acs_source == AcsSource::Unknown
                        && matches!(f.ty, PciType::Endpoint | PciType::UpstreamPort)
                        && model.multifunction(f.bdf)
                        && !f.notes.iter().any(|n| n.kind == NoteKind::Inferred)
                        && model.acs_quirk(f.bdf).is_none())
            })
            .map(|f| FactRow {
                bdf: f.bdf,
                kind: NoteKind::Inferred,
                text: "ACS unknown, not needed: left without ACS (the language default)"
                    .to_string(),
            })
            .collect();
        let differences = view::differences(m, model, &cmp, &devices);
        let advice = view::advice(m, &cmp, &devices);
        Report {
            reproduced: cmp.same(),
            reproduced_without_inference: before_inference,
            functions: m.functions.len(),
            listed: m.functions.iter().filter(|f| f.group.is_some()).count(),
            config,
            groups,
            devices,
            facts,
            unknown,
            differences,
            advice,
            skipped_lines: 0,
            cuts: Vec::new(),
            conflicts: Vec::new(),
            notes: Vec::new(),
        }
    }
}
