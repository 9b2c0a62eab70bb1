//! PCI vocabulary (BDFs, function types, ACS flags) and the PCI core questions grouping asks:
//! `pci_acs_enabled()`, `pci_acs_path_enabled()`, `pci_for_each_dma_alias()`,
//! `pci_devs_are_dma_aliases()`.

use super::{quirks, DeviceKind, Topology};
use crate::ids::DeviceId;
use serde::{Serialize, Serializer};
use std::fmt;
use std::ops::{BitAnd, BitOr, Not};

/// ACS capability/control bits (include/uapi/linux/pci_regs.h `PCI_ACS_*`). Bit 16 is the
/// acs-fix series' internal `PCI_ACS_QUIRK_ACS_ISOLATED` request flag.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct AcsFlags(pub u32);

impl AcsFlags {
    pub const NONE: AcsFlags = AcsFlags(0);
    /// Source Validation.
    pub const SV: AcsFlags = AcsFlags(0x01);
    /// Translation Blocking.
    pub const TB: AcsFlags = AcsFlags(0x02);
    /// P2P Request Redirect.
    pub const RR: AcsFlags = AcsFlags(0x04);
    /// P2P Completion Redirect.
    pub const CR: AcsFlags = AcsFlags(0x08);
    /// Upstream Forwarding.
    pub const UF: AcsFlags = AcsFlags(0x10);
    /// P2P Egress Control.
    pub const EC: AcsFlags = AcsFlags(0x20);
    /// Direct Translated P2P.
    pub const DT: AcsFlags = AcsFlags(0x40);
    /// `PCI_ACS_QUIRK_ACS_ISOLATED` (acs-fix series, patch 10/16: drivers/pci/quirks.c).
    pub const QUIRK_ACS_ISOLATED: AcsFlags = AcsFlags(1 << 16);

    /// The scenario language's flag names (`acs=SV,RR,CR,UF`), in print order.
    pub const NAMES: [(&'static str, AcsFlags); 7] = [
        ("SV", AcsFlags::SV),
        ("TB", AcsFlags::TB),
        ("RR", AcsFlags::RR),
        ("CR", AcsFlags::CR),
        ("UF", AcsFlags::UF),
        ("EC", AcsFlags::EC),
        ("DT", AcsFlags::DT),
    ];

    pub const fn contains(self, other: AcsFlags) -> bool {
        self.0 & other.0 == other.0
    }

    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// One flag as the scenario language spells it (`SV`, `TB`, `RR`, `CR`, `UF`, `EC`, `DT`).
    pub fn from_keyword(s: &str) -> Option<AcsFlags> {
        AcsFlags::NAMES
            .iter()
            .find(|(n, _)| *n == s)
            .map(|&(_, f)| f)
    }

    /// Parses one flag name, case-insensitive (`sv` too).
    pub fn parse_flag(s: &str) -> Option<AcsFlags> {
        AcsFlags::from_keyword(&s.to_ascii_uppercase())
    }

    /// Parses a comma-separated list (`SV,RR,CR,UF`); the empty string is no flags.
    pub fn parse_list(s: &str) -> Option<AcsFlags> {
        let mut f = AcsFlags::NONE;
        for part in s.split(',').filter(|p| !p.is_empty()) {
            f = f | AcsFlags::parse_flag(part.trim())?;
        }
        Some(f)
    }
}

/// drivers/iommu/iommu.c: REQ_ACS_FLAGS (v6.8): the flags grouping asks for.
pub const REQ_ACS_FLAGS: AcsFlags = AcsFlags(0x01 | 0x04 | 0x08 | 0x10);

impl BitOr for AcsFlags {
    type Output = AcsFlags;
    fn bitor(self, o: AcsFlags) -> AcsFlags {
        AcsFlags(self.0 | o.0)
    }
}
impl BitAnd for AcsFlags {
    type Output = AcsFlags;
    fn bitand(self, o: AcsFlags) -> AcsFlags {
        AcsFlags(self.0 & o.0)
    }
}
impl Not for AcsFlags {
    type Output = AcsFlags;
    fn not(self) -> AcsFlags {
        AcsFlags(!self.0)
    }
}

impl fmt::Display for AcsFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for (name, flag) in AcsFlags::NAMES {
            if self.contains(flag) {
                if !first {
                    f.write_str(",")?;
                }
                f.write_str(name)?;
                first = false;
            }
        }
        if first {
            f.write_str("none")?;
        }
        Ok(())
    }
}

impl Serialize for AcsFlags {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A PCI address: segment (domain), bus, device (slot), function.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Bdf {
    pub segment: u16,
    pub bus: u8,
    pub dev: u8,
    pub func: u8,
}

impl Bdf {
    /// A BDF on segment 0. `dev` is masked to 5 bits and `func` to 3.
    pub const fn new(bus: u8, dev: u8, func: u8) -> Bdf {
        Bdf {
            segment: 0,
            bus,
            dev: dev & 0x1f,
            func: func & 7,
        }
    }

    /// Parses `BB:DD.F` or `SSSS:BB:DD.F` (hex).
    pub fn parse(s: &str) -> Option<Bdf> {
        Bdf::from_text(s).ok()
    }

    /// Parses `BB:DD.F` or `SSSS:BB:DD.F` (hex segment, bus and device; function 0..7),
    /// saying what is wrong (the scenario parser's message).
    pub fn from_text(text: &str) -> Result<Bdf, &'static str> {
        fn hex(text: &str, max_len: usize, what: &'static str) -> Result<u32, &'static str> {
            if text.is_empty() || text.len() > max_len {
                return Err(what);
            }
            u32::from_str_radix(text, 16)
                .ok()
                .filter(|_| text.chars().all(|c| c.is_ascii_hexdigit()))
                .ok_or(what)
        }
        let parts: Vec<&str> = text.split(':').collect();
        let (seg, bus, devfn) = match parts.as_slice() {
            [b, df] => (None, *b, *df),
            [s, b, df] => (Some(*s), *b, *df),
            _ => return Err("expected BB:DD.F or SSSS:BB:DD.F"),
        };
        let segment = match seg {
            Some(s) => hex(s, 4, "the segment must be 1 to 4 hex digits")? as u16,
            None => 0,
        };
        let bus = hex(bus, 2, "the bus must be 1 or 2 hex digits")? as u8;
        let (dev, func) = devfn
            .split_once('.')
            .ok_or("expected `.F` after the device number")?;
        let dev = hex(dev, 2, "the device must be 1 or 2 hex digits")?;
        if dev > 0x1f {
            return Err("the device number must be at most 1f");
        }
        let func = match func {
            "0" | "1" | "2" | "3" | "4" | "5" | "6" | "7" => hex(func, 1, "")?,
            _ => return Err("the function must be 0 to 7"),
        };
        Ok(Bdf {
            segment,
            bus,
            dev: dev as u8,
            func: func as u8,
        })
    }

    pub const fn devfn(self) -> u8 {
        (self.dev << 3) | self.func
    }

    pub const fn slot(self) -> u8 {
        self.dev
    }

    /// `pci_dev_id()`: the 16-bit requester ID.
    pub const fn rid(self) -> Rid {
        Rid(((self.bus as u16) << 8) | self.devfn() as u16)
    }

    /// "0000:01:00.0", as under /sys/bus/pci/devices.
    pub fn sysfs_name(self) -> String {
        format!(
            "{:04x}:{:02x}:{:02x}.{}",
            self.segment, self.bus, self.dev, self.func
        )
    }
}

impl fmt::Display for Bdf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.segment != 0 {
            write!(f, "{:04x}:", self.segment)?;
        }
        write!(f, "{:02x}:{:02x}.{}", self.bus, self.dev, self.func)
    }
}

impl Serialize for Bdf {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A 16-bit PCI requester ID (bus << 8 | devfn).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Rid(pub u16);

impl Rid {
    pub const fn new(bus: u8, devfn: u8) -> Rid {
        Rid(((bus as u16) << 8) | devfn as u16)
    }
}

impl fmt::Display for Rid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let devfn = (self.0 & 0xff) as u8;
        write!(f, "{:02x}:{:02x}.{}", self.0 >> 8, devfn >> 3, devfn & 7)
    }
}

impl Serialize for Rid {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The PCI function type (`pci_pcie_type()`, or conventional PCI when there is no PCIe
/// capability).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PciType {
    /// `rp`: PCI_EXP_TYPE_ROOT_PORT.
    RootPort,
    /// `usp`: PCI_EXP_TYPE_UPSTREAM.
    UpstreamPort,
    /// `dsp`: PCI_EXP_TYPE_DOWNSTREAM.
    DownstreamPort,
    /// `ep`: PCI_EXP_TYPE_ENDPOINT.
    Endpoint,
    /// `rciep`: PCI_EXP_TYPE_RC_END.
    RcIntegratedEndpoint,
    /// `bridge`: PCI_EXP_TYPE_PCI_BRIDGE (PCIe-to-PCI/PCI-X).
    PcieToPciBridge,
    /// `pci`: a conventional PCI function (no PCIe capability); with children it is a
    /// conventional PCI-to-PCI bridge.
    ConventionalPci,
    /// `host-bridge`: a conventional function of class 0600 (host bridge) without MMIO,
    /// like AMD's "dummy host bridges". Mainline treats it as conventional PCI; acs-fix's
    /// `pci_mfd_isolated()` treats it as isolated from its slot siblings.
    HostBridge,
}

impl PciType {
    /// The scenario-language keyword.
    pub const fn keyword(self) -> &'static str {
        match self {
            PciType::RootPort => "rp",
            PciType::UpstreamPort => "usp",
            PciType::DownstreamPort => "dsp",
            PciType::Endpoint => "ep",
            PciType::RcIntegratedEndpoint => "rciep",
            PciType::PcieToPciBridge => "bridge",
            PciType::ConventionalPci => "pci",
            PciType::HostBridge => "host-bridge",
        }
    }

    /// Every type, the scenario language's seven and the model-only `host-bridge`.
    pub const ALL: [PciType; 8] = [
        PciType::RootPort,
        PciType::UpstreamPort,
        PciType::DownstreamPort,
        PciType::Endpoint,
        PciType::RcIntegratedEndpoint,
        PciType::PcieToPciBridge,
        PciType::ConventionalPci,
        PciType::HostBridge,
    ];

    /// Whether a scenario's `pci BDF TYPE` can declare it (shared/SCENARIO.md "Topology"):
    /// every type but `host-bridge`, which only the model's own machine fixtures use.
    pub const fn in_language(self) -> bool {
        !matches!(self, PciType::HostBridge)
    }

    /// The type spelled `s` (any of [`PciType::ALL`]).
    pub fn from_keyword(s: &str) -> Option<PciType> {
        PciType::ALL.into_iter().find(|t| t.keyword() == s)
    }

    /// `pci_is_pcie()`.
    pub const fn is_pcie(self) -> bool {
        !matches!(self, PciType::ConventionalPci | PciType::HostBridge)
    }

    pub(super) const fn can_be_parent(self) -> bool {
        matches!(
            self,
            PciType::RootPort
                | PciType::UpstreamPort
                | PciType::DownstreamPort
                | PciType::PcieToPciBridge
                | PciType::ConventionalPci
        )
    }

    /// `Some(description)` when `parent` cannot be this type's parent.
    pub(super) const fn required_parent(self, parent: PciType) -> Option<&'static str> {
        match self {
            PciType::UpstreamPort => match parent {
                PciType::RootPort | PciType::DownstreamPort => None,
                _ => Some("a root port or a switch downstream port"),
            },
            PciType::DownstreamPort => match parent {
                PciType::UpstreamPort => None,
                _ => Some("a switch upstream port"),
            },
            _ => None,
        }
    }

    pub(super) const fn on_root_bus_only(self) -> bool {
        matches!(
            self,
            PciType::RootPort | PciType::RcIntegratedEndpoint | PciType::HostBridge
        )
    }
}

impl fmt::Display for PciType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PciType::RootPort => "root port",
            PciType::UpstreamPort => "switch upstream port",
            PciType::DownstreamPort => "switch downstream port",
            PciType::Endpoint => "endpoint",
            PciType::RcIntegratedEndpoint => "root-complex integrated endpoint",
            PciType::PcieToPciBridge => "PCIe-to-PCI bridge",
            PciType::ConventionalPci => "conventional PCI function",
            PciType::HostBridge => "host bridge",
        })
    }
}

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
            AcsDenial::Quirk { quirk } => write!(f, "is not isolated according to {quirk}"),
        }
    }
}

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
            PciType::DownstreamPort | PciType::RootPort => pci_acs_flags_enabled(p, flags),
            PciType::Endpoint | PciType::UpstreamPort | PciType::RcIntegratedEndpoint => {
                if self.multifunction(dev) {
                    pci_acs_flags_enabled(p, flags)
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

    /// Whether the device is PCI (for device_group dispatch: `dev_is_pci()`).
    pub fn is_pci(&self, dev: DeviceId) -> bool {
        matches!(self.device(dev).map(|d| &d.kind), Some(DeviceKind::Pci(_)))
    }
}

/// drivers/pci/pci.c: pci_acs_flags_enabled() (v6.8): capability bits that are absent are
/// hard-wired (count as enabled), except Egress Control.
fn pci_acs_flags_enabled(p: &super::PciDev, flags: AcsFlags) -> Result<(), AcsDenial> {
    let Some(cap) = p.acs_cap else {
        return Err(AcsDenial::NoCapability);
    };
    let want = flags & (cap | AcsFlags::EC);
    let missing = want & !p.acs_ctl;
    if missing.is_empty() {
        Ok(())
    } else {
        Err(AcsDenial::NotEnabled { missing })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn bdf_parses_both_spellings_and_rejects_garbage() {
        assert_eq!(Bdf::parse("01:00.1"), Some(Bdf::new(1, 0, 1)));
        let b = Bdf::parse("0001:1a:1f.7");
        assert_eq!(
            b,
            Some(Bdf {
                segment: 1,
                bus: 0x1a,
                dev: 0x1f,
                func: 7
            })
        );
        assert_eq!(b.map(|b| b.to_string()), Some("0001:1a:1f.7".to_string()));
        assert_eq!(
            Bdf::parse("0000:01:00.0").map(|b| b.to_string()),
            Some("01:00.0".to_string())
        );
        for bad in [
            "",
            "01:00",
            "01:20.0",
            "01:00.8",
            "1:2:3:00.0",
            "x1:00.0",
            "01:00.0.0",
            "12345:00:00.0",
        ] {
            assert_eq!(Bdf::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn acs_flag_lists_round_trip() {
        let f = AcsFlags::parse_list("SV,RR,CR,UF");
        assert_eq!(f, Some(REQ_ACS_FLAGS));
        assert_eq!(REQ_ACS_FLAGS.to_string(), "SV,RR,CR,UF");
        assert_eq!(AcsFlags::parse_list(""), Some(AcsFlags::NONE));
        assert_eq!(AcsFlags::parse_list("SV,XX"), None);
        assert_eq!(Rid::new(5, 0).to_string(), "05:00.0");
        assert_eq!(
            PciType::from_keyword("bridge"),
            Some(PciType::PcieToPciBridge)
        );
        assert_eq!(PciType::from_keyword("switch"), None);
        assert_eq!(
            super::super::IommuKind::from_keyword("arm-smmu-v2"),
            Some(super::super::IommuKind::ArmSmmuV2)
        );
        assert_eq!(
            super::super::IommuSpec::new("s", super::super::IommuKind::ArmSmmuV2).smrs,
            128
        );
        assert_eq!(
            super::super::Granule::from_bytes(16384),
            Some(super::super::Granule::G16K)
        );
        assert_eq!(super::super::Granule::from_bytes(8192), None);
    }
}
