//! DMA aliases: drivers/pci/search.c's `pci_for_each_dma_alias()` and
//! `pci_devs_are_dma_aliases()` — the requester IDs a function's DMA can carry.

use super::{PciType, Rid, Topology};
use crate::ids::DeviceId;
use serde::Serialize;

/// How a DMA alias arises (which branch of `pci_for_each_dma_alias()`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AliasKind {
    /// The device's own requester ID.
    Own,
    /// A `dma_alias_mask` devfn (quirk or `alias` statement).
    QuirkDevfn,
    /// A PCIe-to-PCI bridge: requester ID (subordinate bus, 00.0).
    PcieToPciBridge,
    /// A conventional bridge: its own requester ID.
    ConventionalBridge,
    /// A PCI/PCI-X-to-PCIe bridge (PCI_EXP_TYPE_PCIE_BRIDGE): its own requester ID.
    PciToPcieBridge,
    /// A conventional bridge with `PCI_DEV_FLAG_PCIE_BRIDGE_ALIAS`: (subordinate, 00.0).
    PcieBridgeAliasQuirk,
}

/// One step of `pci_for_each_dma_alias()`: the `pdev` the callback sees and the alias RID.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct DmaAlias {
    pub dev: DeviceId,
    pub rid: Rid,
    pub kind: AliasKind,
}

impl Topology {
    /// drivers/pci/search.c: pci_for_each_dma_alias() (v6.8), in visit order. The callback's
    /// `pdev` is the device itself for its own and quirk RIDs, the bridge for bridge aliases.
    /// `pci_real_dma_dev()` (VMD) is not modelled.
    pub fn pci_dma_aliases(&self, dev: DeviceId) -> Vec<DmaAlias> {
        let mut out = Vec::new();
        let Some(p) = self.pci_dev(dev) else {
            return out;
        };
        out.push(DmaAlias {
            dev,
            rid: p.bdf.rid(),
            kind: AliasKind::Own,
        });
        for &devfn in &p.dma_aliases {
            out.push(DmaAlias {
                dev,
                rid: Rid::new(p.bdf.bus, devfn),
                kind: AliasKind::QuirkDevfn,
            });
        }
        let mut cur = p.parent;
        while let Some(br) = cur {
            let Some(b) = self.pci_dev(br) else { break };
            if b.flags.bridge_xlate_root {
                break;
            }
            let sub = b.secondary.unwrap_or(0);
            match b.ty {
                PciType::RootPort | PciType::UpstreamPort | PciType::DownstreamPort => {}
                PciType::PcieToPciBridge => out.push(DmaAlias {
                    dev: br,
                    rid: Rid::new(sub, 0),
                    kind: AliasKind::PcieToPciBridge,
                }),
                PciType::PciToPcieBridge => out.push(DmaAlias {
                    dev: br,
                    rid: b.bdf.rid(),
                    kind: AliasKind::PciToPcieBridge,
                }),
                _ if b.flags.pcie_bridge_alias => out.push(DmaAlias {
                    dev: br,
                    rid: Rid::new(sub, 0),
                    kind: AliasKind::PcieBridgeAliasQuirk,
                }),
                _ => out.push(DmaAlias {
                    dev: br,
                    rid: b.bdf.rid(),
                    kind: AliasKind::ConventionalBridge,
                }),
            }
            cur = b.parent;
        }
        out
    }

    /// drivers/pci/search.c: pci_devs_are_dma_aliases() (v6.8), without pci_real_dma_dev().
    pub fn pci_devs_are_dma_aliases(&self, a: DeviceId, b: DeviceId) -> bool {
        match (self.pci_dev(a), self.pci_dev(b)) {
            (Some(pa), Some(pb)) => {
                pa.dma_aliases.contains(&pb.bdf.devfn()) || pb.dma_aliases.contains(&pa.bdf.devfn())
            }
            _ => false,
        }
    }
}
