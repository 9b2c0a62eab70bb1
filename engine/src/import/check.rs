//! The rebuilt machine in the engine: its topology lowered from the scenario's statements
//! (the same lowering `iommu-play run` uses), probed in declaration order, and its groups
//! compared with the listing's.

use super::rebuild::{Machine, Note, NoteKind};
use crate::group::Groups;
use crate::scenario::{ConfigSetting, Spanned};
use crate::topology::{pci::REQ_ACS_FLAGS, quirks, Bdf, Topology};
use crate::vec_map::{VecMap, VecSet};

/// The model of one rebuilt machine.
pub struct Model {
    pub topo: Topology,
    pub groups: Groups,
}

impl Model {
    /// Lowers `m`'s statements with the `config` settings (the grouping configuration and
    /// the ACS command-line parameters) and probes every device (kernel probe order =
    /// declaration order).
    pub fn new(m: &Machine, config: &[Spanned<ConfigSetting>]) -> Result<Model, String> {
        let s = m.scenario(&[], config);
        let topo = crate::scenario::declared_machine(&s).map_err(|e| e.to_string())?;
        let mut groups = Groups::new(s.config());
        groups.probe_all(&topo);
        Ok(Model { topo, groups })
    }

    /// The model's group of a function.
    pub fn group_of(&self, bdf: Bdf) -> Option<u32> {
        let id = self.topo.lookup_bdf(bdf)?;
        self.groups.group_of(id).map(|g| g.0)
    }

    /// Whether a device-specific ACS quirk answers for `bdf` (so its ACS capability does not
    /// matter), and what it answers.
    pub fn acs_quirk(&self, bdf: Bdf) -> Option<quirks::QuirkAnswer> {
        let id = self.topo.lookup_bdf(bdf)?;
        quirks::pci_dev_specific_acs_enabled(&self.topo, id, REQ_ACS_FLAGS)
    }

    /// `pdev->multifunction` as the model has it.
    pub fn multifunction(&self, bdf: Bdf) -> bool {
        self.topo
            .lookup_bdf(bdf)
            .is_some_and(|id| self.topo.multifunction(id))
    }
}

/// Adds the `# quirk: …` notes: the ACS quirk that answers for each function, and the DMA
/// alias quirks the header fixups applied (drivers/pci/quirks.c by `id=`).
pub fn note_quirks(m: &mut Machine, model: &Model) {
    let bdfs: Vec<Bdf> = m.functions.iter().map(|f| f.bdf).collect();
    for bdf in bdfs {
        let mut notes = Vec::new();
        if let Some(q) = model.acs_quirk(bdf) {
            let what = if q.enabled {
                "isolated"
            } else {
                "not isolated"
            };
            notes.push(Note {
                kind: NoteKind::Quirk,
                text: format!("{} ({what})", q.quirk),
            });
        }
        if let Some(p) = model
            .topo
            .lookup_bdf(bdf)
            .and_then(|id| model.topo.pci_dev(id))
        {
            if !p.dma_aliases.is_empty() {
                let fns: Vec<String> = p
                    .dma_aliases
                    .iter()
                    .map(|d| format!("{:02x}.{}", d >> 3, d & 7))
                    .collect();
                notes.push(Note {
                    kind: NoteKind::Quirk,
                    text: format!("DMA alias {}", fns.join(",")),
                });
            }
            if p.flags.pcie_bridge_alias {
                notes.push(Note {
                    kind: NoteKind::Quirk,
                    text: "quirk_use_pcie_bridge_dma_alias".to_string(),
                });
            }
        }
        if let Some(f) = m.function_mut(bdf) {
            f.notes.extend(notes);
        }
    }
}

/// The listing's partition (functions with a listed group) against the model's, restricted
/// to the same functions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comparison {
    /// Listed group → its members.
    pub real: VecMap<u32, VecSet<Bdf>>,
    /// Model group → the listed functions in it.
    pub simulated: VecMap<u32, VecSet<Bdf>>,
    /// Listed function → its model group.
    of: VecMap<Bdf, u32>,
}

impl Comparison {
    pub fn new(m: &Machine, model: &Model) -> Comparison {
        let mut real: VecMap<u32, VecSet<Bdf>> = VecMap::new();
        let mut simulated: VecMap<u32, VecSet<Bdf>> = VecMap::new();
        let mut of = VecMap::new();
        for f in &m.functions {
            let Some(g) = f.group else { continue };
            real.entry(g).or_default().insert(f.bdf);
            // A device the model could not group (a failed probe) is put in u32::MAX.
            let sim = model.group_of(f.bdf).unwrap_or(u32::MAX);
            simulated.entry(sim).or_default().insert(f.bdf);
            of.insert(f.bdf, sim);
        }
        Comparison {
            real,
            simulated,
            of,
        }
    }

    /// The model forms the listing's groups.
    pub fn same(&self) -> bool {
        let a: VecSet<&VecSet<Bdf>> = VecSet::from_iter(self.real.values());
        let b: VecSet<&VecSet<Bdf>> = VecSet::from_iter(self.simulated.values());
        a == b
    }

    /// The model group of a listed function.
    pub fn simulated_of(&self, bdf: Bdf) -> Option<(u32, &VecSet<Bdf>)> {
        let g = *self.of.get(&bdf)?;
        self.simulated.get(&g).map(|m| (g, m))
    }
}
