//! Inference: the facts a listing does not state, chosen so the model reproduces the groups
//! it does state (shared/IMPORT.md `# inferred: …`), each with the evidence that forces it.
//!
//! Only ACS is inferred, and only where it is unknown (no `ACSCap:` line, no capability list,
//! not in the known-devices table) and no device-specific quirk answers for the function.
//! The evidence is the kernel's own grouping rules (drivers/iommu/iommu.c
//! `pci_device_group()`, v6.8):
//! 1. **Upstream walk.** A device joins the group of the first bridge above it whose path
//!    to the root bus is not ACS-isolated (`pci_acs_path_enabled(bus->self, NULL,
//!    REQ_ACS_FLAGS)`). So a device listed in its parent port's group means that port has
//!    no ACS ("no ACS, since 01:00.0 shares its group"); a device listed apart from its port
//!    means every port on its path to the root has ACS.
//! 2. **Multifunction slots.** A function without ACS joins a slot sibling that also lacks
//!    it (`get_pci_function_alias_group()`). So in a slot whose functions are listed in
//!    several groups, all but one cluster have ACS: the cluster kept without ACS is the one
//!    the upstream walk already decided on, else the largest. A conventional function on a
//!    root bus cannot have ACS: it is taken to be a root-complex integrated endpoint (Intel's
//!    are isolated by `pci_quirk_rciep_acs`, others get ACS).
//!
//! Each rule only adds what its evidence needs (a port on the path of a device listed apart,
//! the functions outside the kept cluster), so the set is as small as the evidence allows;
//! ports with nothing listed below them keep the language default and the report lists
//! them as unknown and not needed.

use super::check::Model;
use super::rebuild::{AcsSource, Machine, Note, NoteKind};
use crate::topology::{pci::REQ_ACS_FLAGS, quirks::VENDOR_INTEL, AcsFlags, Bdf, PciType};
use crate::vec_map::VecMap;

/// What inference decided for one function.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Decision {
    NoAcs(String),
    Acs(String),
    /// A conventional root-bus function made a root-complex integrated endpoint.
    Rciep(String),
}

/// Whether a function's ACS is open to inference.
fn open(m: &Machine, model: &Model, bdf: Bdf) -> bool {
    m.function(bdf)
        .is_some_and(|f| f.acs_source == AcsSource::Unknown)
        && model.acs_quirk(bdf).is_none()
}

/// Types whose ACS `pci_acs_enabled()` reads (drivers/pci/pci.c, v6.8): ports, RCiEPs, and
/// endpoints and upstream ports of a multifunction device.
fn acs_matters(ty: PciType, multifunction: bool) -> bool {
    match ty {
        PciType::RootPort | PciType::DownstreamPort | PciType::RcIntegratedEndpoint => true,
        PciType::UpstreamPort | PciType::Endpoint => multifunction,
        PciType::PcieToPciBridge
        | PciType::ConventionalPci
        | PciType::PciToPcieBridge
        | PciType::HostBridge => false,
    }
}

/// Infers what `m`'s listing needs; returns how many facts were inferred.
pub fn infer(m: &mut Machine, model: &Model) -> usize {
    let mut decided: VecMap<Bdf, Decision> = VecMap::new();
    // Rule 1: the upstream walk.
    for f in &m.functions {
        let (Some(g), Some(pb)) = (f.group, f.parent) else {
            continue;
        };
        let Some(parent) = m.function(pb) else {
            continue;
        };
        // A listed group is taken to be complete: a parent listed without a group is not in
        // `g`.
        let pg = parent.group;
        if matches!(
            parent.ty,
            PciType::PcieToPciBridge | PciType::ConventionalPci | PciType::PciToPcieBridge
        ) {
            continue; // aliasing, not ACS, decides below these
        }
        if Some(g) == pg {
            if open(m, model, pb) && acs_matters(parent.ty, model.multifunction(pb)) {
                decided.entry(pb).or_insert_with(|| {
                    Decision::NoAcs(format!("since {} shares its group", f.bdf))
                });
            }
            continue;
        }
        let mut up = Some(pb);
        while let Some(a) = up {
            let Some(af) = m.function(a) else { break };
            if open(m, model, a)
                && acs_matters(af.ty, model.multifunction(a))
                && !decided.contains_key(&a)
            {
                let why = if a == pb {
                    format!("since {} is not in its group", f.bdf)
                } else if pg.is_none() {
                    format!("since {} below it is listed in a group of its own", f.bdf)
                } else {
                    format!("since {} below it is not in {}'s group", f.bdf, pb)
                };
                decided.insert(a, Decision::Acs(why));
            }
            up = af.parent;
        }
    }
    // Rule 2: multifunction slots.
    let mut slots: VecMap<(u16, u8, u8), Vec<Bdf>> = VecMap::new();
    for f in &m.functions {
        slots
            .entry((f.bdf.segment, f.bdf.bus, f.bdf.dev))
            .or_default()
            .push(f.bdf);
    }
    for fns in slots.values().filter(|v| v.len() > 1) {
        let listed: Vec<(Bdf, u32)> = fns
            .iter()
            .filter_map(|&b| m.function(b).and_then(|f| f.group.map(|g| (b, g))))
            .collect();
        let mut clusters: VecMap<u32, Vec<Bdf>> = VecMap::new();
        for &(b, g) in &listed {
            clusters.entry(g).or_default().push(b);
        }
        if clusters.len() < 2 {
            if let Some(members) = clusters.values().next().filter(|c| c.len() > 1) {
                for &b in members {
                    let sib = members.iter().find(|&&o| o != b).copied();
                    if let (Some(f), Some(sib)) = (m.function(b), sib) {
                        // Below a port in the same group the upstream walk decided.
                        let walk = f
                            .parent
                            .and_then(|p| m.function(p))
                            .is_some_and(|p| p.group == f.group);
                        if !walk && open(m, model, b) && acs_matters(f.ty, true) {
                            decided.entry(b).or_insert_with(|| {
                                Decision::NoAcs(format!(
                                    "since slot sibling {sib} shares its group"
                                ))
                            });
                        }
                    }
                }
            }
            continue;
        }
        // The cluster that keeps no ACS.
        let not_isolated = |b: &Bdf| {
            matches!(decided.get(b), Some(Decision::NoAcs(_)))
                || model.acs_quirk(*b).is_some_and(|q| !q.enabled)
                || m.function(*b)
                    .is_some_and(|f| f.acs_source != AcsSource::Unknown && f.acs_cap.is_none())
        };
        let kept = clusters
            .iter()
            .find(|(_, c)| c.iter().any(not_isolated))
            .or_else(|| {
                clusters
                    .iter()
                    .max_by_key(|(g, c)| (c.len(), std::cmp::Reverse(**g)))
            })
            .map(|(g, _)| *g);
        for (g, members) in &clusters {
            if Some(*g) == kept {
                continue;
            }
            let other = clusters
                .get(&kept.unwrap_or(*g))
                .and_then(|c| c.first())
                .copied();
            for &b in members {
                let Some(f) = m.function(b) else { continue };
                if !open(m, model, b) || matches!(decided.get(&b), Some(Decision::Acs(_))) {
                    continue;
                }
                let why = match other {
                    Some(o) => format!("since it is not in slot sibling {o}'s group"),
                    None => "since it has a group of its own".to_string(),
                };
                let d = match f.ty {
                    PciType::ConventionalPci | PciType::HostBridge if f.parent.is_none() => {
                        Decision::Rciep(why)
                    }
                    t if t.is_pcie() => Decision::Acs(why),
                    _ => continue,
                };
                decided.insert(b, d);
            }
        }
    }
    let n = decided.len();
    for (bdf, d) in decided {
        let Some(f) = m.function_mut(bdf) else {
            continue;
        };
        let text = match d {
            Decision::NoAcs(why) => {
                f.acs_cap = None;
                f.acs_ctl = AcsFlags::NONE;
                format!("no ACS, {why}")
            }
            Decision::Acs(why) => {
                f.acs_cap = Some(REQ_ACS_FLAGS);
                f.acs_ctl = REQ_ACS_FLAGS;
                format!("ACS, {why}")
            }
            Decision::Rciep(why) => {
                f.ty = PciType::RcIntegratedEndpoint;
                if f.id.map(|i| i.vendor) == Some(VENDOR_INTEL) {
                    format!(
                        "root-complex integrated endpoint (isolated by pci_quirk_rciep_acs), {why}"
                    )
                } else {
                    f.acs_cap = Some(REQ_ACS_FLAGS);
                    f.acs_ctl = REQ_ACS_FLAGS;
                    format!("root-complex integrated endpoint with ACS, {why}")
                }
            }
        };
        f.notes.push(Note {
            kind: NoteKind::Inferred,
            text,
        });
    }
    n
}
