//! The import's view layer: every sentence and the text of the `--check` report, made once
//! here so the CLI and the web show the same words.

use super::check::{Comparison, Model};
use super::rebuild::Machine;
use super::report::{Advice, DeviceRow, Difference, Report};
use crate::group::GroupReason;
use crate::topology::{Bdf, PciType};
use crate::vec_map::VecMap;
use std::fmt::Write as _;

/// The options a VFIO user has when a device without ACS makes everything behind it share a
/// group.
const ACS_OPTIONS: &str = "your options: move the card to a slot whose root port is alone in its group \
(a port with ACS), pass the whole group to the VM (every endpoint in it bound to vfio-pci), or boot a \
kernel with the out-of-tree `pcie_acs_override=downstream` patch (it only pretends isolation: the \
devices can still reach each other by DMA)";

/// AMD's on-die "Internal PCIe GPP Bridge" / "Internal GPP Bridge to Bus" root ports
/// (00:07.1, 00:08.x): the devices behind them (integrated graphics, USB, SATA, audio, the
/// crypto coprocessor) are part of the processor package, not cards in slots. IDs as
/// pci.ids names them, each seen in public `lspci -nn` listings: Zeppelin 1454, Raven
/// 15db/15dc, Matisse 1484, Renoir/Cezanne 1635, Raphael/Granite Ridge 14dd, Phoenix 14eb,
/// Strix 150c.
const AMD_INTERNAL_BRIDGES: [u16; 8] = [
    0x1454, 0x15db, 0x15dc, 0x1484, 0x1635, 0x14dd, 0x14eb, 0x150c,
];

/// Whether `bdf` is an on-die internal bridge (by ID, or by the name lspci printed).
fn is_internal_bridge(m: &Machine, bdf: Bdf) -> bool {
    m.function(bdf).is_some_and(|f| {
        f.id.is_some_and(|id| id.vendor == 0x1022 && AMD_INTERNAL_BRIDGES.contains(&id.device))
            || f.name.as_deref().is_some_and(|n| {
                n.contains("Internal PCIe GPP Bridge") || n.contains("Internal GPP Bridge")
            })
    })
}

/// What a VFIO user can do when the bridge without ACS is inside the processor.
const INTERNAL_OPTIONS: &str = "it is a bridge inside the processor, and what is behind it (integrated graphics, USB, SATA, audio, the crypto coprocessor) is built into the package: no slot to move to. Your options: pass the whole group to the VM (every endpoint in it bound to vfio-pci; the host then loses those functions), leave it to the host and pass a card from a slot whose root port is alone in its group, or boot a kernel with the out-of-tree `pcie_acs_override=downstream,multifunction` patch (it only pretends isolation: the devices can still reach each other by DMA)";

/// "00:01.0 (Intel Corporation … PCIe Controller (x16)), root port", for sentences.
fn describe(m: &Machine, bdf: Bdf) -> String {
    match m.function(bdf) {
        Some(f) => match &f.name {
            Some(n) => format!("{bdf} ({n}), {}", f.ty),
            None => format!("{bdf}, {}", f.ty),
        },
        None => bdf.to_string(),
    }
}

fn list(b: &[Bdf]) -> String {
    let v: Vec<String> = b.iter().map(Bdf::to_string).collect();
    v.join(" ")
}

/// Every listed device whose model group differs from its listed one, with what to do.
pub(crate) fn differences(
    m: &Machine,
    model: &Model,
    cmp: &Comparison,
    devices: &[DeviceRow],
) -> Vec<Difference> {
    let reasons: VecMap<Bdf, &DeviceRow> = VecMap::from_iter(devices.iter().map(|d| (d.bdf, d)));
    let mut real_of: VecMap<Bdf, u32> = VecMap::new();
    for (g, ms) in &cmp.real {
        for b in ms {
            real_of.insert(*b, *g);
        }
    }
    let mut sim_of: VecMap<Bdf, u32> = VecMap::new();
    for (g, ms) in &cmp.simulated {
        for b in ms {
            sim_of.insert(*b, *g);
        }
    }
    let mut out = Vec::new();
    for f in &m.functions {
        let (Some(rg), Some(sg)) = (real_of.get(&f.bdf), sim_of.get(&f.bdf)) else {
            continue;
        };
        let (Some(real), Some(sim)) = (cmp.real.get(rg), cmp.simulated.get(sg)) else {
            continue;
        };
        if real == sim {
            continue;
        }
        let real: Vec<Bdf> = real.iter().copied().collect();
        let sim: Vec<Bdf> = sim.iter().copied().collect();
        let extra: Vec<Bdf> = sim.iter().filter(|b| !real.contains(b)).copied().collect();
        let missing: Vec<Bdf> = real.iter().filter(|b| !sim.contains(b)).copied().collect();
        let why = reasons
            .get(&f.bdf)
            .map(|d| d.why.clone())
            .unwrap_or_default();
        let sentence = if !extra.is_empty() {
            // The model is coarser: it groups f with devices the real kernel kept apart.
            let culprit = match reasons.get(&f.bdf).and_then(|d| d.reason.as_ref()) {
                Some(GroupReason::UpstreamNoAcs { culprit, .. }) => Some(culprit.clone()),
                Some(GroupReason::MultifunctionSibling { slot, .. }) => {
                    Some(format!("slot {slot}"))
                }
                _ => None,
            };
            let fix = match culprit {
                Some(c) => format!(
                    "the real kernel isolated it, so {c} isolates on that machine: it has ACS the paste does \
not show, or the kernel runs with `pcie_acs_override` (check /proc/cmdline); paste `sudo lspci -vvv -s {}` \
to settle it",
                    c.trim_start_matches("slot ")
                ),
                None => "the real kernel isolated it; paste `sudo lspci -vvv` so the import can read the ACS \
bits on its path"
                    .to_string(),
            };
            format!(
                "{} is listed in group {rg} without {}, but the model groups them ({why}); {fix}.",
                f.bdf,
                list(&extra)
            )
        } else {
            // The model is finer: the real kernel grouped f with devices the model isolates.
            let port = f.parent.map(|p| describe(m, p));
            let hint = match port {
                Some(p) if model.acs_quirk(f.bdf).is_none() => format!(
                    "the real kernel found no ACS isolation between them, so {p} probably lacks ACS \
(or an ACS control is off); paste `sudo lspci -vvv` to read its ACS bits"
                ),
                _ => "the real kernel found them not isolated (no ACS, or a DMA alias the model does not \
know); paste `sudo lspci -vvv` to read their ACS bits"
                    .to_string(),
            };
            format!(
                "{} shares listed group {rg} with {}, but the model isolates it ({why}); {hint}.",
                f.bdf,
                list(&missing)
            )
        };
        out.push(Difference {
            device: f.bdf,
            real,
            simulated: sim,
            sentence,
        });
    }
    out
}

/// For each listed group of several devices: why the kernel put them together (from the
/// model's reasons, when the model agrees) and what a VFIO user can do.
pub(crate) fn advice(m: &Machine, cmp: &Comparison, devices: &[DeviceRow]) -> Vec<Advice> {
    let reasons: VecMap<Bdf, &DeviceRow> = VecMap::from_iter(devices.iter().map(|d| (d.bdf, d)));
    let mut out = Vec::new();
    for (&g, members) in &cmp.real {
        if members.len() < 2 {
            continue;
        }
        let members_v: Vec<Bdf> = members.iter().copied().collect();
        let mut culprit: Option<String> = None;
        let mut slots: Vec<String> = Vec::new();
        let mut aliases: Vec<String> = Vec::new();
        for b in members {
            match reasons.get(b).and_then(|d| d.reason.as_ref()) {
                Some(GroupReason::UpstreamNoAcs {
                    culprit: c,
                    culprit_type,
                    denial,
                    ..
                }) if culprit.is_none() => {
                    let bdf = Bdf::parse(c);
                    let who = bdf.map_or(c.clone(), |c| describe(m, c));
                    let what = if *culprit_type == PciType::UpstreamPort {
                        "everything behind its switch"
                    } else {
                        "everything behind it"
                    };
                    let options = match bdf {
                        Some(b) if is_internal_bridge(m, b) => INTERNAL_OPTIONS,
                        _ => ACS_OPTIONS,
                    };
                    culprit = Some(format!("{who} {denial}: {what} shares a group; {options}"));
                }
                Some(GroupReason::MultifunctionSibling { slot, .. }) if !slots.contains(slot) => {
                    slots.push(slot.clone());
                }
                Some(GroupReason::DmaAlias { bridge, .. }) => aliases.push(format!(
                    "{b} sits behind bridge {bridge} and its DMA carries the bridge's requester ID: \
nothing can split them"
                )),
                Some(GroupReason::QuirkAlias {
                    device, partner, ..
                }) => aliases.push(format!(
                    "{device} and {partner} are DMA aliases (a quirk of drivers/pci/quirks.c): they \
always share a group"
                )),
                _ => {}
            }
        }
        let mut said: Vec<String> = Vec::new();
        if let Some(c) = culprit {
            said.push(format!("{c}."));
        }
        if !slots.is_empty() {
            said.push(format!(
                "Slot {} has no ACS between its functions, so they share a group: pass them to the VM \
together, or use the out-of-tree `pcie_acs_override=multifunction` (it only pretends isolation).",
                slots.join(", ")
            ));
        }
        if !aliases.is_empty() {
            said.push(format!("{}; pass the group whole.", aliases.join("; ")));
        }
        if said.is_empty() {
            continue;
        }
        out.push(Advice {
            group: g,
            members: members_v,
            sentence: said.join(" "),
        });
    }
    out
}

/// The report as `iommu-play import --check` prints it.
pub fn report_text(r: &Report) -> String {
    let mut o = String::new();
    let verdict = if r.reproduced {
        if r.reproduced_without_inference {
            "the model reproduces every listed group from the listed facts"
        } else {
            "the model reproduces every listed group, with the inferred facts below"
        }
    } else {
        "the model does NOT reproduce the listed groups: differences below"
    };
    let _ = writeln!(
        o,
        "{} functions, {} with a listed group, {} listed groups: {verdict}.",
        r.functions,
        r.listed,
        r.groups.len()
    );
    if !r.config.is_empty() {
        let _ = writeln!(o, "config: {}", r.config);
    }
    let _ = writeln!(o, "\nGroups (listed | model):");
    for g in &r.groups {
        let mark = if g.same { "=" } else { "≠" };
        let sims: Vec<String> = g
            .simulated
            .iter()
            .map(|s| format!("model group {}: {}", s.id, list(&s.members)))
            .collect();
        let _ = writeln!(
            o,
            "  {mark} group {}: {}  |  {}",
            g.real,
            list(&g.members),
            sims.join(" / ")
        );
    }
    let _ = writeln!(o, "\nWhy each device is where it is (model):");
    for d in &r.devices {
        let real = d.real.map_or("-".to_string(), |g| g.to_string());
        let sim = d.simulated.map_or("-".to_string(), |g| g.to_string());
        let _ = writeln!(
            o,
            "  {} {:<5} listed {real:>3} model {sim:>3}: {}",
            d.bdf,
            d.ty.keyword(),
            d.why
        );
    }
    if !r.facts.is_empty() {
        let _ = writeln!(o, "\nFacts not read from the listing:");
        for f in &r.facts {
            let _ = writeln!(o, "  {}: {}", f.bdf, f.text);
        }
    }
    if !r.unknown.is_empty() {
        let _ = writeln!(o, "\nUnknown and not needed ({}):", r.unknown.len());
        for f in &r.unknown {
            let _ = writeln!(o, "  {}: {}", f.bdf, f.text);
        }
    }
    if !r.differences.is_empty() {
        let _ = writeln!(o, "\nDifferences ({}):", r.differences.len());
        for d in &r.differences {
            let _ = writeln!(o, "  - {}", d.sentence);
        }
    }
    if !r.advice.is_empty() {
        let _ = writeln!(o, "\nShared groups, and what you can do:");
        for a in &r.advice {
            let _ = writeln!(
                o,
                "  - group {} ({}): {}",
                a.group,
                list(&a.members),
                a.sentence
            );
        }
    }
    if r.skipped_lines > 0 || !r.cuts.is_empty() || !r.conflicts.is_empty() || !r.notes.is_empty() {
        let _ = writeln!(o, "\nThe paste:");
        if r.skipped_lines > 0 {
            let _ = writeln!(
                o,
                "  lines that could not be read (skipped): {}",
                r.skipped_lines
            );
        }
        if !r.cuts.is_empty() {
            let lines: Vec<String> = r.cuts.iter().map(u32::to_string).collect();
            let _ = writeln!(
                o,
                "  cut at line(s) {}: the listing is not complete there",
                lines.join(", ")
            );
        }
        for c in &r.conflicts {
            let _ = writeln!(o, "  conflict: {c}");
        }
        for n in &r.notes {
            let _ = writeln!(o, "  {n}");
        }
    }
    o
}
