//! Why a device is in its group: one [`GroupReason`] per member, recorded by the rule of
//! the kernel's `device_group()` callback that decided.

use crate::topology::AliasKind;
use crate::topology::{AcsDenial, PciType, Rid};
use serde::Serialize;
use std::fmt;

/// The rule that put a member into its group.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum GroupReason {
    /// `iommu_group_alloc()`: the device found no group to join and got a new one.
    OwnGroup,
    /// `pci_for_each_dma_alias()` reached a bridge that already has a group.
    DmaAlias {
        bridge: String,
        bridge_type: PciType,
        kind: AliasKind,
        requester_id: Rid,
    },
    /// The upstream walk in `pci_device_group()` stopped at a bridge with a group because the
    /// path from that bridge to the root bus is not ACS-isolated.
    UpstreamNoAcs {
        joined: String,
        culprit: String,
        culprit_type: PciType,
        denial: AcsDenial,
    },
    /// `get_pci_alias_group()`: `device` and `partner` are DMA aliases on one bus
    /// (`pci_devs_are_dma_aliases()`); the group was found at `joined`.
    QuirkAlias {
        device: String,
        partner: String,
        joined: String,
    },
    /// `get_pci_function_alias_group()`: a multifunction slot whose functions lack ACS.
    MultifunctionSibling {
        device: String,
        slot: String,
        joined: String,
    },
    /// `arm_smmu_device_group()`: the device's stream maps to an SME already tied to a group.
    SharedSme { index: u32, sid: u16, mask: u16 },
    /// acs-fix `pci_hierarchy_group()`: the bridge above is in a group marked
    /// `BUS_DATA_PCI_NON_ISOLATED`, which takes everything downstream.
    BelowNonIsolated { bridge: String },
    /// acs-fix `pci_bus_isolated()` = PCIE_NON_ISOLATED / PCI_BRIDGE_NON_ISOLATED: the bus's
    /// bridge is itself reachable, so the bus joins the bridge's group.
    BusNotIsolated {
        bridge: String,
        bridge_type: PciType,
        detail: String,
    },
    /// acs-fix PCIE_SWITCH_DSP_NON_ISOLATED / PCI_BUS_NON_ISOLATED: all devices on the bus
    /// share one group, found at `joined`.
    SharedBus {
        bus: String,
        joined: String,
        detail: String,
    },
    /// acs-fix `pci_reachable_set()`: reachable through DMA aliases or multifunction P2P.
    Reachable { joined: String },
}

impl fmt::Display for GroupReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GroupReason::OwnGroup => f.write_str("starts the group: nothing it shares DMA with had a group yet"),
            GroupReason::DmaAlias {
                bridge,
                bridge_type,
                kind,
                requester_id,
            } => {
                let what = match kind {
                    AliasKind::PcieBridgeAliasQuirk => {
                        format!("bridge {bridge} (PCIe bridge alias quirk)")
                    }
                    AliasKind::ConventionalBridge => format!("conventional PCI bridge {bridge}"),
                    _ => format!("{bridge_type} {bridge}"),
                };
                write!(f, "aliases through {what} (requester ID {requester_id})")
            }
            GroupReason::UpstreamNoAcs {
                joined,
                culprit,
                culprit_type,
                denial,
            } => write!(f, "joined {joined}'s group: {culprit_type} {culprit} {denial}"),
            GroupReason::QuirkAlias {
                device,
                partner,
                joined,
            } => {
                write!(f, "{device} and {partner} are DMA aliases")?;
                if joined != partner {
                    write!(f, " (group found at {joined})")?;
                }
                Ok(())
            }
            GroupReason::MultifunctionSibling {
                device,
                slot,
                joined,
            } => {
                write!(f, "multifunction slot {slot} without ACS: joined {joined}'s group")?;
                if !device.starts_with(slot.as_str()) {
                    write!(f, " (via {device})")?;
                }
                Ok(())
            }
            GroupReason::SharedSme { index, sid, mask } => write!(
                f,
                "shares stream match entry {index} (sid 0x{sid:x} mask 0x{mask:x})"
            ),
            GroupReason::BelowNonIsolated { bridge } => write!(
                f,
                "joined {bridge}'s group: everything below a non-isolated bus shares it (acs-fix)"
            ),
            GroupReason::BusNotIsolated {
                bridge,
                bridge_type,
                detail,
            } => write!(
                f,
                "joined {bridge}'s group: the bus below {bridge_type} {bridge} is not isolated: {detail} (acs-fix)"
            ),
            GroupReason::SharedBus {
                bus,
                joined,
                detail,
            } => write!(
                f,
                "joined {joined}'s group: devices on bus {bus} can reach each other: {detail} (acs-fix)"
            ),
            GroupReason::Reachable { joined } => write!(
                f,
                "joined {joined}'s group: reachable by DMA alias or multifunction P2P (acs-fix)"
            ),
        }
    }
}
