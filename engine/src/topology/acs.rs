//! ACS: drivers/pci/pci.c's answers to "is this function isolated?" (`pci_acs_enabled()`,
//! `pci_acs_path_enabled()`) and the boot-time enable (`pci_std_enable_acs()`).

use super::{quirks, AcsFlags, PciDev, PciType, Topology};
use crate::ids::DeviceId;
use serde::Serialize;
use std::fmt;

/// Why `pci_acs_enabled()` said no.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "why", rename_all = "snake_case")]
pub enum AcsDenial {
    /// A port (or multifunction function) without an ACS extended capability.
    NoCapability,
    /// ACS is there but these requested (and advertised) controls are off.
    NotEnabled { missing: AcsFlags },
    /// Conventional PCI/PCI-X never supports ACS.
    ConventionalPci,
    /// PCIe 3.0 §6.12.1 excludes ACS on PCIe-to-PCI bridges.
    PcieToPciBridge,
    /// A PCI/PCI-X-to-PCIe bridge: "their primary interface is PCI/X, we conservatively
    /// handle them as we would a non-PCIe device" (pci_acs_enabled(), v6.8).
    PciToPcieBridge,
    /// A device-specific quirk answered 0.
    Quirk { quirk: &'static str },
}

impl fmt::Display for AcsDenial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AcsDenial::NoCapability => f.write_str("has no ACS capability"),
            AcsDenial::NotEnabled { missing } => write!(f, "does not enable ACS {missing}"),
            AcsDenial::ConventionalPci => f.write_str("is conventional PCI (no ACS)"),
            AcsDenial::PcieToPciBridge => f.write_str("cannot isolate (ACS never applies)"),
            AcsDenial::PciToPcieBridge => {
                f.write_str("has a conventional PCI primary side (no ACS)")
            }
            AcsDenial::Quirk { quirk } => write!(f, "is not isolated according to {quirk}"),
        }
    }
}

impl Topology {
    /// drivers/pci/pci.c: pci_acs_enabled() (v6.8). `Ok(())` when every flag in `flags`
    /// is provided (by a quirk, by ACS, or because the type needs none).
    pub fn pci_acs_enabled(&self, dev: DeviceId, flags: AcsFlags) -> Result<(), AcsDenial> {
        let Some(p) = self.pci_dev(dev) else {
            return Err(AcsDenial::ConventionalPci);
        };
        if let Some(ans) = quirks::pci_dev_specific_acs_enabled(self, dev, flags) {
            return if ans.enabled {
                Ok(())
            } else {
                Err(AcsDenial::Quirk { quirk: ans.quirk })
            };
        }
        if !p.ty.is_pcie() {
            return Err(AcsDenial::ConventionalPci);
        }
        match p.ty {
            PciType::PcieToPciBridge => Err(AcsDenial::PcieToPciBridge),
            PciType::PciToPcieBridge => Err(AcsDenial::PciToPcieBridge),
            PciType::DownstreamPort | PciType::RootPort => {
                pci_acs_flags_enabled(p, self.acs_ctl(dev), flags)
            }
            PciType::Endpoint | PciType::UpstreamPort | PciType::RcIntegratedEndpoint => {
                if self.multifunction(dev) {
                    pci_acs_flags_enabled(p, self.acs_ctl(dev), flags)
                } else {
                    Ok(())
                }
            }
            PciType::ConventionalPci | PciType::HostBridge => Err(AcsDenial::ConventionalPci),
        }
    }

    /// drivers/pci/pci.c: pci_acs_path_enabled(start, NULL, flags) (v6.8): every device from
    /// `start` up to the root bus passes [`Topology::pci_acs_enabled`]; on failure, the
    /// first device that does not.
    pub fn pci_acs_path_enabled(
        &self,
        start: DeviceId,
        flags: AcsFlags,
    ) -> Result<(), (DeviceId, AcsDenial)> {
        let mut cur = Some(start);
        while let Some(d) = cur {
            self.pci_acs_enabled(d, flags).map_err(|e| (d, e))?;
            cur = self.pci_dev(d).and_then(|p| p.parent);
        }
        Ok(())
    }
}

/// drivers/pci/pci.c: pci_acs_flags_enabled() (v6.8): capability bits that are absent are
/// hard-wired (count as enabled), except Egress Control. `ctl` is the control register as
/// boot left it ([`Topology::acs_ctl`]).
fn pci_acs_flags_enabled(p: &PciDev, ctl: AcsFlags, flags: AcsFlags) -> Result<(), AcsDenial> {
    let Some(cap) = p.acs_cap else {
        return Err(AcsDenial::NoCapability);
    };
    let want = flags & (cap | AcsFlags::EC);
    let missing = want & !ctl;
    if missing.is_empty() {
        Ok(())
    } else {
        Err(AcsDenial::NotEnabled { missing })
    }
}

/// drivers/pci/pci.c: pci_std_enable_acs() (v6.8): the control value Linux writes at boot
/// when an IOMMU asked for ACS (`pci_request_acs()`): every advertised SV, RR, CR, UF bit,
/// plus TB for untrusted/external-facing ports.
pub fn pci_std_enable_acs(cap: AcsFlags, ctl: AcsFlags, untrusted: bool) -> AcsFlags {
    let mut want = AcsFlags::SV | AcsFlags::RR | AcsFlags::CR | AcsFlags::UF;
    if untrusted {
        want = want | AcsFlags::TB;
    }
    ctl | (cap & want)
}
