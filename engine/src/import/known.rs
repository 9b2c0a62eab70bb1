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
    /// The ACS capability the public dump shows (`None`: the capability list has no ACS),
    /// reduced to the controls Linux enables.
    pub acs: Option<AcsFlags>,
    /// Where the dump was seen.
    pub source: &'static str,
}

impl Known {
    /// The trailing comment's text.
    pub fn note(&self) -> String {
        match self.acs {
            Some(_) => format!("{} has ACS, per {}", self.what, self.source),
            None => format!("{} has no ACS capability, per {}", self.what, self.source),
        }
    }
}

/// The table, by vendor:device.
pub static TABLE: &[Known] = &[];

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
