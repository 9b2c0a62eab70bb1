//! Devices whose ACS capability is known from a public `lspci -vvv` of that device
//! (shared/IMPORT.md `# known: …`). A paste without `-vvv` lines does not say whether a
//! port has ACS; for the devices below someone has published the capability list, and each
//! entry cites where. Only what that dump shows is recorded: the capability and its
//! `ACSCap:` bits (the control bits are what Linux enabled at boot,
//! drivers/pci/pci.c `pci_std_enable_acs()`: SV, RR, CR, UF where the capability has them,
//! v6.8), or that the device's capability list has no ACS at all.

use crate::topology::{AcsFlags, PciId};

/// One device of the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Known {
    pub id: PciId,
    /// What the device is.
    pub what: &'static str,
    /// The ACS capability the public dump shows (`ACSCap:`; `None`: the capability list has
    /// no ACS).
    pub cap: Option<AcsFlags>,
    /// Its control as Linux left it (`ACSCtl:`).
    pub ctl: AcsFlags,
    /// Where the dump was seen.
    pub source: &'static str,
}

impl Known {
    /// The trailing comment's text.
    pub fn note(&self) -> String {
        match self.cap {
            Some(_) => format!("ACS ({}: public lspci -vvv, {})", self.what, self.source),
            None => format!("no ACS ({}: public lspci -vvv, {})", self.what, self.source),
        }
    }
}

const fn id(vendor: u16, device: u16) -> PciId {
    PciId { vendor, device }
}

/// `SrcValid+ TransBlk+ ReqRedir+ CmpltRedir+ UpstreamFwd+ EgressCtrl- DirectTrans+`.
const AMD_GPP_CAP: AcsFlags = AcsFlags(0x01 | 0x02 | 0x04 | 0x08 | 0x10 | 0x40);
/// `SrcValid+ TransBlk- ReqRedir+ CmpltRedir+ UpstreamFwd+ EgressCtrl- DirectTrans-`: what
/// `pci_std_enable_acs()` (drivers/pci/pci.c, v6.8) enables of that capability.
const STD_CTL: AcsFlags = crate::topology::pci::REQ_ACS_FLAGS;

/// The table, by vendor:device. The dumps print names, not IDs (`lspci -vvv` without `-nn`);
/// the name is the pci.ids name of the ID.
pub static TABLE: &[Known] = &[
    Known {
        id: id(0x1022, 0x1453),
        what: "AMD Family 17h (Models 00h-0fh) PCIe GPP Bridge",
        cap: Some(AMD_GPP_CAP),
        ctl: STD_CTL,
        source: "https://lore.kernel.org/dri-devel/20201102134627.GA18463@skade.schwarzvogel.de/ \
lspci_kvv.txt, 00:01.1 and 00:01.3",
    },
    Known {
        id: id(0x1022, 0x1483),
        what: "AMD Starship/Matisse GPP Bridge",
        cap: Some(AMD_GPP_CAP),
        ctl: STD_CTL,
        source: "https://github.com/ROCm/rccl/issues/547 comment of 2022-06-28, 40:01.1",
    },
    Known {
        id: id(0x1022, 0x14db),
        what: "AMD Raphael/Granite Ridge GPP Bridge",
        cap: Some(AMD_GPP_CAP),
        ctl: STD_CTL,
        source: "https://lore.kernel.org/all/20250702014733.GC1051729@nvidia.com/ \
quoting Alex Williamson's lspci -vvvs 00:01.",
    },
];

/// The entry for `id`.
pub fn lookup(id: PciId) -> Option<&'static Known> {
    TABLE.iter().find(|k| k.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_entry_cites_a_public_dump_and_is_unique() {
        for (i, k) in TABLE.iter().enumerate() {
            assert!(k.source.starts_with("https://"), "{k:?}");
            assert!(TABLE.iter().skip(i + 1).all(|o| o.id != k.id), "{k:?}");
        }
    }
}
