//! `pci_device_group()`: mainline (drivers/iommu/iommu.c, same in v6.2 and v6.8) and, with
//! `config acs-fix=on`, Jason Gunthorpe's "[PATCH v2 00/16] Fix incorrect iommu_groups with
//! PCIe ACS" (LKML, 9 Jul 2025, Message-ID
//! `<0-v2-4a9b9c983431+10e2-pcie_switch_groups_jgg@nvidia.com>`; not merged in mainline as
//! far as verified).
//!
//! # acs-fix: what is implemented
//! Read from the v2 patches as posted to linux-pci/kvm:
//! - 02/16 `pci_bus_isolated()` (drivers/pci/search.c): per-bus isolation with its five
//!   results (PCIE_ISOLATED, PCIE_SWITCH_DSP_NON_ISOLATED, PCIE_NON_ISOLATED,
//!   PCI_BUS_NON_ISOLATED, PCI_BRIDGE_NON_ISOLATED), including `pcie_switch_isolated()`
//!   (any non-DSP or aliased device on a switch's internal bus → PCIE_NON_ISOLATED; any DSP
//!   without ACS → PCIE_SWITCH_DSP_NON_ISOLATED) and PCIe-to-PCI bridges without MMIO →
//!   PCI_BUS_NON_ISOLATED (the bridge keeps its own group; the model's bridges have no BARs).
//! - 03/16 the new `pci_device_group()`: BRIDGE_XLATE_ROOT → new group;
//!   `pci_hierarchy_group()` (join the bus bridge's group when it is marked
//!   `BUS_DATA_PCI_NON_ISOLATED`; -EPROBE_DEFER when the bridge has no group); then by bus
//!   isolation: isolated → alias/MFD set, else new group; bridge-non-isolated → the bridge's
//!   group, marked; bus-non-isolated → the first device on the bus that has a group, else a
//!   new marked group.
//! - 05/16 + 11/16 `pci_reachable_set()` with `pci_devs_are_same_group()`: the transitive
//!   closure on the bus of "DMA aliases" or `pci_mfds_are_same_group()`; any existing group
//!   found by ascending devfn, else a new marked group when the set is not just the device.
//! - 10/16 `pci_mfd_isolated()`: a host bridge function (model type `host-bridge`, no MMIO)
//!   or a quirk answering `PCI_ACS_QUIRK_ACS_ISOLATED` (only `pci_quirk_mf_endpoint_acs`).
//!
//! Not implemented: `pci_real_dma_dev()` (VMD), SR-IOV virtual buses, patch 07/16's
//! rewrite of `pci_quirk_amd_sb_acs` (the model's AMD SB quirk already answers yes to the
//! isolation query because it masks the request), 12/16's alias validation, and the ACS
//! Enhanced patches 13-16 (no ACS Enhanced bits in the model).

use super::{Decision, GroupReason, Groups};
use crate::errno::Errno;
use crate::ids::{DeviceId, GroupId};
use crate::topology::AliasKind;
use crate::topology::{AcsFlags, PciType, Topology, REQ_ACS_FLAGS};
use crate::vec_map::VecSet;

/// A step in the relatives search: the device reached and how.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Hop {
    Alias(DeviceId),
    Slot(DeviceId),
}

/// drivers/iommu/iommu.c: the `devfns` bitmap of `get_pci_alias_group()`.
struct Devfns([u64; 4]);

impl Devfns {
    fn test_and_set(&mut self, devfn: u8) -> bool {
        let (w, b) = ((devfn >> 6) as usize, devfn & 63);
        let Some(word) = self.0.get_mut(w) else {
            return true;
        };
        let was = *word & (1 << b) != 0;
        *word |= 1 << b;
        was
    }
}

/// acs-fix `enum pci_bus_isolation` (patch 02/16, include/linux/pci.h).
#[allow(clippy::enum_variant_names)] // the kernel's names
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum BusIsolation {
    PcieIsolated,
    PcieSwitchDspNonIsolated,
    PcieNonIsolated,
    PciBusNonIsolated,
    PciBridgeNonIsolated,
}

impl Groups {
    /// drivers/iommu/iommu.c: pci_device_group() (v6.8), or the acs-fix version.
    pub(crate) fn pci_device_group(
        &mut self,
        topo: &Topology,
        dev: DeviceId,
    ) -> Result<Decision, Errno> {
        if self.config.acs_fix {
            return self.pci_device_group_acs_fix(topo, dev);
        }
        // pci_for_each_dma_alias(pdev, get_pci_alias_or_group, &data)
        let mut last = dev;
        for a in topo.pci_dma_aliases(dev) {
            last = a.dev;
            if let Some(g) = self.group_of(a.dev) {
                let bridge_type = topo
                    .pci_dev(a.dev)
                    .map(|p| p.ty)
                    .unwrap_or(PciType::Endpoint);
                let reason = match a.kind {
                    AliasKind::Own | AliasKind::QuirkDevfn => GroupReason::QuirkAlias {
                        device: topo.name(dev).to_string(),
                        partner: topo.name(a.dev).to_string(),
                        joined: topo.name(a.dev).to_string(),
                    },
                    kind => GroupReason::DmaAlias {
                        bridge: topo.name(a.dev).to_string(),
                        bridge_type,
                        kind,
                        requester_id: a.rid,
                    },
                };
                return Ok(Decision::Existing(g, reason));
            }
        }
        // Continue upstream to where ACS protects the path.
        let mut p = last;
        let mut cur = topo.pci_dev(p).and_then(|x| x.parent);
        while let Some(br) = cur {
            match topo.pci_acs_path_enabled(br, REQ_ACS_FLAGS) {
                Ok(()) => break,
                Err((culprit, denial)) => {
                    p = br;
                    if let Some(g) = self.group_of(br) {
                        return Ok(Decision::Existing(
                            g,
                            GroupReason::UpstreamNoAcs {
                                joined: topo.name(br).to_string(),
                                culprit: topo.name(culprit).to_string(),
                                culprit_type: topo
                                    .pci_dev(culprit)
                                    .map(|x| x.ty)
                                    .unwrap_or(PciType::Endpoint),
                                denial,
                            },
                        ));
                    }
                }
            }
            cur = topo.pci_dev(br).and_then(|x| x.parent);
        }
        let mut devfns = Devfns([0; 4]);
        let found = match self.get_pci_alias_group(topo, p, &mut devfns) {
            Some(x) => Some(x),
            None => self.get_pci_function_alias_group(topo, p, &mut devfns),
        };
        match found {
            Some((g, hops)) => Ok(Decision::Existing(g, self.relative_reason(topo, p, &hops))),
            None => Ok(Decision::New {
                non_isolated: false,
            }),
        }
    }

    fn relative_reason(&self, topo: &Topology, p: DeviceId, hops: &[Hop]) -> GroupReason {
        let joined = match hops.last() {
            Some(Hop::Alias(d)) | Some(Hop::Slot(d)) => *d,
            None => p,
        };
        let joined = topo.name(joined).to_string();
        match hops.first() {
            Some(Hop::Slot(_)) => {
                let slot = topo
                    .pci_dev(p)
                    .map(|x| {
                        let b = x.bdf;
                        if b.segment != 0 {
                            format!("{:04x}:{:02x}:{:02x}", b.segment, b.bus, b.dev)
                        } else {
                            format!("{:02x}:{:02x}", b.bus, b.dev)
                        }
                    })
                    .unwrap_or_default();
                GroupReason::MultifunctionSibling {
                    device: topo.name(p).to_string(),
                    slot,
                    joined,
                }
            }
            Some(Hop::Alias(d)) => GroupReason::QuirkAlias {
                device: topo.name(p).to_string(),
                partner: topo.name(*d).to_string(),
                joined,
            },
            None => GroupReason::QuirkAlias {
                device: topo.name(p).to_string(),
                partner: joined.clone(),
                joined,
            },
        }
    }

    /// drivers/iommu/iommu.c: get_pci_alias_group() (v6.8). Returns the group and the hops
    /// taken to reach the device that has it.
    fn get_pci_alias_group(
        &self,
        topo: &Topology,
        pdev: DeviceId,
        devfns: &mut Devfns,
    ) -> Option<(GroupId, Vec<Hop>)> {
        let p = topo.pci_dev(pdev)?;
        if devfns.test_and_set(p.bdf.devfn()) {
            return None;
        }
        if let Some(g) = self.group_of(pdev) {
            return Some((g, Vec::new()));
        }
        for &tmp in topo.bus_devices(p.bdf.segment, p.bdf.bus) {
            if tmp == pdev || !topo.pci_devs_are_dma_aliases(pdev, tmp) {
                continue;
            }
            if let Some((g, mut hops)) = self.get_pci_alias_group(topo, tmp, devfns) {
                hops.insert(0, Hop::Alias(tmp));
                return Some((g, hops));
            }
            if let Some((g, mut hops)) = self.get_pci_function_alias_group(topo, tmp, devfns) {
                hops.insert(0, Hop::Alias(tmp));
                return Some((g, hops));
            }
        }
        None
    }

    /// drivers/iommu/iommu.c: get_pci_function_alias_group() (v6.8).
    fn get_pci_function_alias_group(
        &self,
        topo: &Topology,
        pdev: DeviceId,
        devfns: &mut Devfns,
    ) -> Option<(GroupId, Vec<Hop>)> {
        let p = topo.pci_dev(pdev)?;
        if !topo.multifunction(pdev) || topo.pci_acs_enabled(pdev, REQ_ACS_FLAGS).is_ok() {
            return None;
        }
        for &tmp in topo.bus_devices(p.bdf.segment, p.bdf.bus) {
            if tmp == pdev
                || topo.pci_dev(tmp).map(|x| x.bdf.slot()) != Some(p.bdf.slot())
                || topo.pci_acs_enabled(tmp, REQ_ACS_FLAGS).is_ok()
            {
                continue;
            }
            if let Some((g, mut hops)) = self.get_pci_alias_group(topo, tmp, devfns) {
                hops.insert(0, Hop::Slot(tmp));
                return Some((g, hops));
            }
        }
        None
    }

    // ---------------------------------------------------------------- acs-fix

    /// acs-fix 02/16: drivers/pci/search.c: pci_bus_isolated(), for the bus `dev` sits on.
    /// Returns the isolation and a sentence naming the cause.
    fn pci_bus_isolated(&self, topo: &Topology, dev: DeviceId) -> (BusIsolation, String) {
        let Some(p) = topo.pci_dev(dev) else {
            return (BusIsolation::PciBridgeNonIsolated, String::new());
        };
        let Some(br) = p.parent else {
            return (BusIsolation::PcieIsolated, String::new());
        };
        let Some(b) = topo.pci_dev(br) else {
            return (BusIsolation::PciBridgeNonIsolated, String::new());
        };
        let bname = topo.name(br);
        let ty = if !b.ty.is_pcie() {
            if b.flags.pcie_bridge_alias {
                PciType::PcieToPciBridge
            } else {
                return (
                    BusIsolation::PciBridgeNonIsolated,
                    format!("{bname} is a conventional PCI bridge"),
                );
            }
        } else {
            b.ty
        };
        match ty {
            PciType::RootPort | PciType::DownstreamPort => {
                match topo.pci_acs_enabled(br, REQ_ACS_FLAGS) {
                    Ok(()) => (BusIsolation::PcieIsolated, String::new()),
                    Err(e) => (BusIsolation::PcieNonIsolated, format!("{ty} {bname} {e}")),
                }
            }
            PciType::UpstreamPort => {
                for &d in topo.bus_devices(b.bdf.segment, p.bdf.bus) {
                    let Some(x) = topo.pci_dev(d) else { continue };
                    if x.ty != PciType::DownstreamPort || !x.dma_aliases.is_empty() {
                        return (
                            BusIsolation::PcieNonIsolated,
                            format!(
                                "{} on switch {bname}'s internal bus is not a plain downstream port",
                                topo.name(d)
                            ),
                        );
                    }
                    if let Err(e) = topo.pci_acs_enabled(d, REQ_ACS_FLAGS) {
                        return (
                            BusIsolation::PcieSwitchDspNonIsolated,
                            format!("downstream port {} {e}", topo.name(d)),
                        );
                    }
                }
                (BusIsolation::PcieIsolated, String::new())
            }
            // The model's bridges have no MMIO BARs (pci_has_mmio() == false).
            PciType::PcieToPciBridge => (
                BusIsolation::PciBusNonIsolated,
                format!("bus behind {bname} is conventional PCI"),
            ),
            _ => (
                BusIsolation::PciBridgeNonIsolated,
                format!("{bname} is a {ty}"),
            ),
        }
    }

    /// acs-fix 10/16: drivers/pci/search.c: pci_mfd_isolated().
    fn pci_mfd_isolated(topo: &Topology, dev: DeviceId) -> bool {
        if topo
            .pci_dev(dev)
            .is_some_and(|p| p.ty == PciType::HostBridge)
        {
            return true;
        }
        crate::topology::quirks::pci_dev_specific_acs_enabled(
            topo,
            dev,
            AcsFlags::QUIRK_ACS_ISOLATED | REQ_ACS_FLAGS,
        )
        .is_some_and(|a| a.enabled)
    }

    /// acs-fix 11/16: drivers/iommu/iommu.c: pci_mfds_are_same_group().
    fn pci_mfds_are_same_group(topo: &Topology, a: DeviceId, b: DeviceId) -> bool {
        let (Some(pa), Some(pb)) = (topo.pci_dev(a), topo.pci_dev(b)) else {
            return false;
        };
        if pa.bdf.slot() != pb.bdf.slot() {
            return false;
        }
        let (ma, mb) = (topo.multifunction(a), topo.multifunction(b));
        if ma != mb {
            return true;
        }
        if !ma {
            return false;
        }
        if Self::pci_mfd_isolated(topo, a) || Self::pci_mfd_isolated(topo, b) {
            return false;
        }
        topo.pci_acs_enabled(a, REQ_ACS_FLAGS).is_err()
            || topo.pci_acs_enabled(b, REQ_ACS_FLAGS).is_err()
    }

    /// acs-fix 05/16: drivers/pci/search.c: pci_reachable_set() with
    /// pci_devs_are_same_group(): the closure over the start device's bus.
    fn pci_reachable_set(topo: &Topology, start: DeviceId) -> VecSet<u8> {
        let mut set = VecSet::new();
        let Some(p) = topo.pci_dev(start) else {
            return set;
        };
        let bus = topo.bus_devices(p.bdf.segment, p.bdf.bus);
        let mut todo = vec![start];
        let mut seen: VecSet<DeviceId> = VecSet::from([start]);
        while let Some(a) = todo.pop() {
            if let Some(x) = topo.pci_dev(a) {
                set.insert(x.bdf.devfn());
            }
            for &b in bus {
                if seen.contains(&b) {
                    continue;
                }
                if topo.pci_devs_are_dma_aliases(a, b) || Self::pci_mfds_are_same_group(topo, a, b)
                {
                    seen.insert(b);
                    todo.push(b);
                }
            }
        }
        set
    }

    fn mark_non_isolated(&mut self, g: GroupId) {
        if let Some(group) = self.groups.get_mut(&g) {
            group.non_isolated = true;
        }
    }

    /// acs-fix 03/16 + 11/16: drivers/iommu/iommu.c: pci_device_group().
    fn pci_device_group_acs_fix(
        &mut self,
        topo: &Topology,
        dev: DeviceId,
    ) -> Result<Decision, Errno> {
        let p = topo.pci_dev(dev).ok_or(Errno::EINVAL)?;
        if p.flags.bridge_xlate_root {
            return Ok(Decision::New {
                non_isolated: false,
            });
        }
        // pci_hierarchy_group()
        if let Some(br) = p.parent {
            let g = self.group_of(br).ok_or(Errno::EPROBE_DEFER)?;
            if self.groups.get(&g).is_some_and(|x| x.non_isolated) {
                return Ok(Decision::Existing(
                    g,
                    GroupReason::BelowNonIsolated {
                        bridge: topo.name(br).to_string(),
                    },
                ));
            }
        }
        let (iso, detail) = self.pci_bus_isolated(topo, dev);
        match iso {
            BusIsolation::PcieIsolated => {
                // pci_get_alias_group()
                let mut set = Self::pci_reachable_set(topo, dev);
                set.remove(&p.bdf.devfn());
                if set.is_empty() {
                    return Ok(Decision::New {
                        non_isolated: false,
                    });
                }
                for devfn in set {
                    let slot = topo
                        .bus_devices(p.bdf.segment, p.bdf.bus)
                        .iter()
                        .copied()
                        .find(|&d| topo.pci_dev(d).is_some_and(|x| x.bdf.devfn() == devfn));
                    if let Some(d) = slot {
                        if let Some(g) = self.group_of(d) {
                            self.mark_non_isolated(g);
                            return Ok(Decision::Existing(
                                g,
                                GroupReason::Reachable {
                                    joined: topo.name(d).to_string(),
                                },
                            ));
                        }
                    }
                }
                Ok(Decision::New { non_isolated: true })
            }
            BusIsolation::PciBridgeNonIsolated | BusIsolation::PcieNonIsolated => {
                let br = p.parent.ok_or(Errno::EINVAL)?;
                let g = self.group_of(br).ok_or(Errno::EINVAL)?;
                self.mark_non_isolated(g);
                Ok(Decision::Existing(
                    g,
                    GroupReason::BusNotIsolated {
                        bridge: topo.name(br).to_string(),
                        bridge_type: topo.pci_dev(br).map(|x| x.ty).unwrap_or(PciType::Endpoint),
                        detail,
                    },
                ))
            }
            BusIsolation::PciBusNonIsolated | BusIsolation::PcieSwitchDspNonIsolated => {
                for &d in topo.bus_devices(p.bdf.segment, p.bdf.bus) {
                    if let Some(g) = self.group_of(d) {
                        self.mark_non_isolated(g);
                        return Ok(Decision::Existing(
                            g,
                            GroupReason::SharedBus {
                                bus: format!("{:02x}", p.bdf.bus),
                                joined: topo.name(d).to_string(),
                                detail,
                            },
                        ));
                    }
                }
                Ok(Decision::New { non_isolated: true })
            }
        }
    }
}
