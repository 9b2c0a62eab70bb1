//! PCI: the vocabulary (BDFs, function types, ACS flags), host bridges and functions as
//! declared and kept (`struct pci_dev`), and the builder steps that add them. The PCI core
//! questions grouping asks live beside it: [`super::acs`] (`pci_acs_enabled()`,
//! `pci_acs_path_enabled()`) and [`super::alias`] (`pci_for_each_dma_alias()`).

use super::{quirks, BusOwner, DeclaredDevice, DeviceKind, Topology, TopologyError};
use crate::ids::{DeviceId, IommuId};
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

/// A vendor:device ID pair, `struct pci_device_id`'s `vendor`/`device` (include/linux/pci_ids.h
/// names them): written `VVVV:DDDD` in hex by a scenario's `id=`/`subsys=` and printed
/// `[8086:a110]` by lspci and the kernel log (the import reads it there).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PciId {
    pub vendor: u16,
    pub device: u16,
}

impl fmt::Display for PciId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04x}:{:04x}", self.vendor, self.device)
    }
}

impl Serialize for PciId {
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
    /// `reverse-bridge`: PCI_EXP_TYPE_PCIE_BRIDGE (0x8), a PCI/PCI-X-to-PCIe bridge: PCIe
    /// capability, conventional primary side, PCIe secondary side.
    PciToPcieBridge,
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
            PciType::PciToPcieBridge => "reverse-bridge",
            PciType::HostBridge => "host-bridge",
        }
    }

    /// Every type a scenario's `pci BDF TYPE` can declare (shared/SCENARIO.md "Topology",
    /// and `host-bridge`: docs/SCENARIO.md "Extension (this repository)").
    pub const ALL: [PciType; 9] = [
        PciType::RootPort,
        PciType::UpstreamPort,
        PciType::DownstreamPort,
        PciType::Endpoint,
        PciType::RcIntegratedEndpoint,
        PciType::PcieToPciBridge,
        PciType::ConventionalPci,
        PciType::PciToPcieBridge,
        PciType::HostBridge,
    ];

    /// What the parser asks for where a type is missing.
    pub const EXPECTED: &'static str =
        "a PCI device type (rp, usp, dsp, ep, rciep, bridge, pci, reverse-bridge, host-bridge)";

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
                | PciType::PciToPcieBridge
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
            PciType::PciToPcieBridge => "PCI/PCI-X-to-PCIe bridge",
            PciType::HostBridge => "host bridge",
        })
    }
}

/// Index of a PCI host bridge in declaration order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct HostId(pub u32);

/// `host NAME iommu=IOMMU [segment=N] [bus=N]`: a PCI host bridge and its root bus.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HostSpec {
    pub name: String,
    pub iommu: Option<String>,
    pub segment: u16,
    pub bus: u8,
}

impl HostSpec {
    pub fn new(name: &str, iommu: &str) -> Self {
        HostSpec {
            name: name.to_string(),
            iommu: Some(iommu.to_string()),
            segment: 0,
            bus: 0,
        }
    }
    pub fn segment(mut self, segment: u16) -> Self {
        self.segment = segment;
        self
    }
    pub fn bus(mut self, bus: u8) -> Self {
        self.bus = bus;
        self
    }
}

/// A declared host bridge.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Host {
    pub id: HostId,
    pub name: String,
    pub iommu: Option<IommuId>,
    pub segment: u16,
    pub bus: u8,
}

/// `pci BDF TYPE [parent=] [host=] [acs=|acs-cap= acs-ctl=] [id=] [subsys=] [untrusted]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PciSpec {
    pub bdf: Bdf,
    pub ty: PciType,
    /// The upstream bridge or port (`parent=`); `None` on a root bus.
    pub parent: Option<Bdf>,
    pub host: Option<String>,
    /// ACS capability bits; `None` = no ACS extended capability at all.
    pub acs_cap: Option<AcsFlags>,
    /// ACS control bits (only read when there is a capability).
    pub acs_ctl: AcsFlags,
    /// `id=VVVV:DDDD`: turns on the device-specific quirks of drivers/pci/quirks.c.
    pub id: Option<(u16, u16)>,
    /// `subsys=VVVV:DDDD`.
    pub subsys: Option<(u16, u16)>,
    pub untrusted: bool,
    /// Overrides the multifunction bit derived from slot siblings.
    pub multifunction: Option<bool>,
    /// The SR-IOV capability with its VFs enabled (`sriov=N vf-offset=N vf-stride=N`).
    pub sriov: Option<Sriov>,
}

/// A PF's SR-IOV capability as `sriov_init()` reads it, with `num_vfs` VFs enabled
/// (drivers/pci/iov.c, v6.8). `offset` and `stride` are the First VF Offset and VF Stride
/// registers read after `sriov_init()` set ARI Capable Hierarchy (when ARI forwarding is
/// on for the PF's bus), so they already say what ARI changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Sriov {
    pub num_vfs: u16,
    pub offset: u16,
    pub stride: u16,
}

impl Sriov {
    /// drivers/pci/iov.c: pci_iov_virtfn_bus() and pci_iov_virtfn_devfn() (v6.8): VF `id`'s
    /// bus and devfn, `None` past bus 255 (`virtfn_add_bus()` finds no bus number).
    ///
    /// ```c
    /// return dev->bus->number + ((dev->devfn + dev->sriov->offset +
    ///                             dev->sriov->stride * vf_id) >> 8);
    /// return (dev->devfn + dev->sriov->offset + dev->sriov->stride * vf_id) & 0xff;
    /// ```
    pub fn virtfn(self, pf: Bdf, id: u16) -> Option<Bdf> {
        let rel =
            u32::from(pf.devfn()) + u32::from(self.offset) + u32::from(self.stride) * u32::from(id);
        let bus = u8::try_from(u32::from(pf.bus) + (rel >> 8)).ok()?;
        let devfn = (rel & 0xff) as u8;
        Some(Bdf {
            segment: pf.segment,
            bus,
            dev: devfn >> 3,
            func: devfn & 7,
        })
    }
}

impl PciSpec {
    pub fn new(bdf: Bdf, ty: PciType) -> Self {
        PciSpec {
            bdf,
            ty,
            parent: None,
            host: None,
            acs_cap: None,
            acs_ctl: AcsFlags::NONE,
            id: None,
            subsys: None,
            untrusted: false,
            multifunction: None,
            sriov: None,
        }
    }
    pub fn parent(mut self, parent: Bdf) -> Self {
        self.parent = Some(parent);
        self
    }
    pub fn host(mut self, host: &str) -> Self {
        self.host = Some(host.to_string());
        self
    }
    /// `acs=`: capability and control set to the same flags.
    pub fn acs(mut self, flags: AcsFlags) -> Self {
        self.acs_cap = Some(flags);
        self.acs_ctl = flags;
        self
    }
    /// `acs-cap=`/`acs-ctl=` apart.
    pub fn acs_split(mut self, cap: AcsFlags, ctl: AcsFlags) -> Self {
        self.acs_cap = Some(cap);
        self.acs_ctl = ctl;
        self
    }
    pub fn id(mut self, vendor: u16, device: u16) -> Self {
        self.id = Some((vendor, device));
        self
    }
    pub fn subsys(mut self, vendor: u16, device: u16) -> Self {
        self.subsys = Some((vendor, device));
        self
    }
    pub fn untrusted(mut self) -> Self {
        self.untrusted = true;
        self
    }
    pub fn multifunction(mut self, mf: bool) -> Self {
        self.multifunction = Some(mf);
        self
    }
    pub fn sriov(mut self, num_vfs: u16, offset: u16, stride: u16) -> Self {
        self.sriov = Some(Sriov {
            num_vfs,
            offset,
            stride,
        });
        self
    }
}

/// Flags the kernel keeps in `pdev->dev_flags`, set by quirks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PciDevFlags {
    /// `PCI_DEV_FLAG_PCIE_BRIDGE_ALIAS`: a conventional-looking bridge that aliases like a
    /// PCIe-to-PCI bridge.
    pub pcie_bridge_alias: bool,
    /// `PCI_DEV_FLAGS_BRIDGE_XLATE_ROOT`: the alias walk stops at this bridge.
    pub bridge_xlate_root: bool,
    /// `PCI_DEV_FLAGS_ACS_ENABLED_QUIRK`: the Intel PCH enable quirk succeeded.
    pub acs_enabled_quirk: bool,
}

/// A PCI function as the model keeps it (`struct pci_dev`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PciDev {
    pub host: HostId,
    pub bdf: Bdf,
    pub ty: PciType,
    /// `bus->self` of the device's bus; `None` on a root bus.
    pub parent: Option<DeviceId>,
    pub acs_cap: Option<AcsFlags>,
    pub acs_ctl: AcsFlags,
    pub id: Option<(u16, u16)>,
    pub subsys: Option<(u16, u16)>,
    pub untrusted: bool,
    pub multifunction_override: Option<bool>,
    /// `pdev->multifunction` as the scan left it: a function above 0, or a sibling was
    /// declared in the slot while this function existed (see the module doc). Sticks.
    #[serde(skip)]
    pub multifunction_scanned: bool,
    /// `dma_alias_mask`: extra devfns on the same bus this device uses as requester IDs.
    pub dma_aliases: Vec<u8>,
    pub flags: PciDevFlags,
    /// `subordinate->number`, fixed by the first child.
    pub secondary: Option<u8>,
    /// A PF: its SR-IOV capability ([`Sriov`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sriov: Option<Sriov>,
    /// A PF: its VFs, in VF id order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub vfs: Vec<DeviceId>,
    /// A VF: `virtfn->physfn` (`is_virtfn`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub physfn: Option<DeviceId>,
}

impl Topology {
    /// `host NAME iommu=IOMMU [segment=N] [bus=N]`
    pub fn add_host(&mut self, spec: HostSpec) -> Result<HostId, TopologyError> {
        if self.hosts.iter().any(|h| h.name == spec.name) {
            return Err(TopologyError::Duplicate(spec.name));
        }
        let iommu = match &spec.iommu {
            Some(n) => Some(self.iommu_by_name(n)?),
            None => None,
        };
        let id = HostId(self.hosts.len() as u32);
        if let Some(owner) = self.bus_owner.get(&(spec.segment, spec.bus)) {
            return Err(TopologyError::RootBusClash {
                a: self.bus_owner_name(*owner),
                b: spec.name,
                seg: spec.segment,
                bus: spec.bus,
            });
        }
        self.bus_owner
            .insert((spec.segment, spec.bus), BusOwner::Root(id));
        self.hosts.push(Host {
            id,
            name: spec.name,
            iommu,
            segment: spec.segment,
            bus: spec.bus,
        });
        Ok(id)
    }

    /// `pci BDF TYPE ...`: a PCI function. Parents must already exist; the device's bus
    /// must be its parent's secondary bus (the first child fixes it) or, without a
    /// parent, its host's root bus. Device-specific quirks run here, as the kernel's
    /// header fixups do at enumeration (drivers/pci/quirks.c).
    pub fn add_pci(&mut self, spec: PciSpec) -> Result<DeviceId, TopologyError> {
        let name = spec.bdf.to_string();
        if spec.bdf.dev > 0x1f || spec.bdf.func > 7 {
            return Err(TopologyError::BadBdf(format!(
                "{:02x}:{:02x}.{}",
                spec.bdf.bus, spec.bdf.dev, spec.bdf.func
            )));
        }
        if self.by_name.contains_key(&name) {
            return Err(TopologyError::Duplicate(name));
        }
        let seg = spec.bdf.segment;
        let bus = spec.bdf.bus;
        let (host, parent, new_secondary) = match spec.parent {
            Some(pbdf) => {
                let unknown = || TopologyError::UnknownParent {
                    dev: name.clone(),
                    parent: pbdf.to_string(),
                };
                let pid = self.lookup_bdf(pbdf).ok_or_else(unknown)?;
                let pdev = self.pci_dev(pid).ok_or_else(unknown)?;
                let pname = self.name(pid).to_string();
                if !pdev.ty.can_be_parent() {
                    return Err(TopologyError::NotABridge {
                        dev: name,
                        parent: pname,
                        parent_type: pdev.ty,
                    });
                }
                if let Some(expected) = spec.ty.required_parent(pdev.ty) {
                    return Err(TopologyError::WrongParent {
                        dev: name,
                        ty: spec.ty,
                        expected,
                        parent: pname,
                        parent_type: pdev.ty,
                    });
                }
                if spec.ty.on_root_bus_only() {
                    return Err(TopologyError::MustBeOnRootBus {
                        dev: name,
                        ty: spec.ty,
                        parent: pname,
                    });
                }
                if pdev.bdf.segment != seg {
                    return Err(TopologyError::SegmentMismatch {
                        dev: name,
                        seg,
                        parent: pname,
                        parent_seg: pdev.bdf.segment,
                    });
                }
                let new_secondary = match pdev.secondary {
                    Some(sec) if sec != bus => {
                        return Err(TopologyError::BusMismatch {
                            dev: name,
                            bus,
                            parent: pname,
                            secondary: sec,
                        })
                    }
                    Some(_) => false,
                    None => {
                        if bus <= pdev.bdf.bus {
                            return Err(TopologyError::BusNotDownstream {
                                dev: name,
                                bus,
                                parent: pname,
                                parent_bus: pdev.bdf.bus,
                            });
                        }
                        if let Some(owner) = self.bus_owner.get(&(seg, bus)) {
                            return Err(TopologyError::BusInUse {
                                dev: name,
                                bus,
                                owner: self.bus_owner_name(*owner),
                            });
                        }
                        true
                    }
                };
                (pdev.host, Some(pid), new_secondary)
            }
            None => {
                let host = self.root_host_for(&spec, &name)?;
                let h = self
                    .host(host)
                    .ok_or_else(|| TopologyError::NoHost { dev: name.clone() })?;
                if h.bus != bus || h.segment != seg {
                    return Err(TopologyError::RootBusMismatch {
                        dev: name,
                        bus,
                        host: h.name.clone(),
                        root: h.bus,
                    });
                }
                (host, None, false)
            }
        };
        let iommu = self.hosts.get(host.0 as usize).and_then(|h| h.iommu);
        let id = DeviceId(self.devices.len() as u32);
        if let Some(pid) = parent {
            if new_secondary {
                self.bus_owner.insert((seg, bus), BusOwner::Bridge(pid));
                if let Some(p) = self.pci_dev_mut(pid) {
                    p.secondary = Some(bus);
                }
            }
        }
        let mut dev = PciDev {
            host,
            bdf: spec.bdf,
            ty: spec.ty,
            parent,
            acs_cap: spec.acs_cap,
            acs_ctl: spec.acs_ctl,
            id: spec.id,
            subsys: spec.subsys,
            untrusted: spec.untrusted,
            multifunction_override: spec.multifunction,
            multifunction_scanned: spec.bdf.func > 0,
            dma_aliases: Vec::new(),
            flags: PciDevFlags::default(),
            secondary: None,
            sriov: None,
            vfs: Vec::new(),
            physfn: None,
        };
        let vfs = match spec.sriov {
            Some(sriov) => self.check_sriov(&dev, sriov, &name)?,
            None => Vec::new(),
        };
        dev.sriov = spec.sriov;
        let parent_ty = parent.and_then(|pid| self.pci_dev(pid)).map(|x| x.ty);
        quirks::apply_header_quirks(&mut dev, parent_ty);
        let siblings = self.slot_siblings(spec.bdf, None);
        if !siblings.is_empty() {
            dev.multifunction_scanned = true;
        }
        for sib in siblings {
            if let Some(p) = self.pci_dev_mut(sib) {
                p.multifunction_scanned = true;
            }
        }
        self.insert_pci(id, name, iommu, dev);
        for bdf in vfs {
            self.add_virtfn(id, bdf);
        }
        Ok(id)
    }

    /// sriov_init() (drivers/pci/iov.c, v6.8) and the bus numbers of the VFs to add: -EIO
    /// there for a zero First VF Offset, or a zero VF Stride with several VFs; each VF's
    /// BDF must be free, and a VF past the PF's bus needs a bus number no one owns.
    fn check_sriov(
        &self,
        pf: &PciDev,
        sriov: Sriov,
        name: &str,
    ) -> Result<Vec<Bdf>, TopologyError> {
        let fail = |why: String| TopologyError::Sriov {
            dev: name.to_string(),
            why,
        };
        if !matches!(pf.ty, PciType::Endpoint | PciType::RcIntegratedEndpoint) {
            return Err(fail(format!(
                "a {} cannot be a PF (only ep and rciep)",
                pf.ty
            )));
        }
        let max = crate::limits::MAX_DEVICES;
        if sriov.num_vfs == 0 || usize::from(sriov.num_vfs) > max {
            return Err(fail(format!(
                "sriov={} is out of range (1 to {max})",
                sriov.num_vfs
            )));
        }
        if sriov.offset == 0 || (sriov.num_vfs > 1 && sriov.stride == 0) {
            return Err(fail(
                "First VF Offset 0, or VF Stride 0 with several VFs: sriov_init() fails with -EIO"
                    .to_string(),
            ));
        }
        let mut out: Vec<Bdf> = Vec::new();
        for vf in 0..sriov.num_vfs {
            let bdf = sriov
                .virtfn(pf.bdf, vf)
                .ok_or_else(|| fail(format!("VF {vf} would be past bus ff")))?;
            if self.lookup_bdf(bdf).is_some() || out.contains(&bdf) {
                return Err(fail(format!("VF {vf} would be {bdf}, which is taken")));
            }
            if bdf.bus != pf.bdf.bus {
                if let Some(owner) = self.bus_owner.get(&(bdf.segment, bdf.bus)) {
                    return Err(fail(format!(
                        "VF {vf} would be on bus {:02x}, which {} owns",
                        bdf.bus,
                        self.bus_owner_name(*owner)
                    )));
                }
            }
            out.push(bdf);
        }
        Ok(out)
    }

    /// drivers/pci/iov.c: pci_iov_add_virtfn() (v6.8): a VF on the PF's bus, or on the
    /// virtual bus `virtfn_add_bus()` makes (`bus->self` NULL, so the alias and ACS walks
    /// skip it and go on with the PF's bus: the model gives the VF the PF's `bus->self`).
    /// `virtfn->multifunction = 0`; the VF has the PF's PCIe type and no ACS capability,
    /// device ID or quirk of its own.
    fn add_virtfn(&mut self, pf_id: DeviceId, bdf: Bdf) {
        let Some(pf) = self.pci_dev(pf_id) else {
            return;
        };
        let pf_bus = pf.bdf.bus;
        let vf = PciDev {
            host: pf.host,
            bdf,
            ty: pf.ty,
            parent: pf.parent,
            acs_cap: None,
            acs_ctl: AcsFlags::NONE,
            id: None,
            subsys: None,
            untrusted: pf.untrusted,
            multifunction_override: Some(false),
            multifunction_scanned: false,
            dma_aliases: Vec::new(),
            flags: PciDevFlags::default(),
            secondary: None,
            sriov: None,
            vfs: Vec::new(),
            physfn: Some(pf_id),
        };
        let iommu = self.device(pf_id).and_then(|d| d.iommu);
        let (seg, bus) = (bdf.segment, bdf.bus);
        if bus != pf_bus {
            self.bus_owner
                .entry((seg, bus))
                .or_insert(BusOwner::Bridge(pf_id));
        }
        let id = DeviceId(self.devices.len() as u32);
        self.insert_pci(id, bdf.to_string(), iommu, vf);
        if let Some(pf) = self.pci_dev_mut(pf_id) {
            pf.vfs.push(id);
        }
    }

    /// Files a new function `id` (the next free one) on its bus, by name, and applies the
    /// boot ACS parameters to it.
    fn insert_pci(&mut self, id: DeviceId, name: String, iommu: Option<IommuId>, dev: PciDev) {
        self.buses
            .entry((dev.bdf.segment, dev.bdf.bus))
            .or_default()
            .push(id);
        self.by_name.insert(name.clone(), id);
        self.devices.push(Some(DeclaredDevice {
            id,
            name,
            iommu,
            kind: DeviceKind::Pci(dev),
        }));
        self.apply_acs_params(id);
    }

    /// A PF's VFs (`pci_iov_virtfn_*`, VF id order); empty for any other device.
    pub fn virtfns(&self, pf: DeviceId) -> Vec<DeviceId> {
        self.pci_dev(pf).map(|p| p.vfs.clone()).unwrap_or_default()
    }

    /// `alias DEV -> BDF`: DMA alias quirk; DEV also uses requester ID BDF (same bus),
    /// like `pci_add_dma_alias()` (drivers/pci/pci.c). The alias need not be a declared device.
    pub fn add_alias(&mut self, dev: Bdf, a: Bdf) -> Result<(), TopologyError> {
        let id = self
            .lookup_bdf(dev)
            .ok_or_else(|| TopologyError::UnknownDevice(dev.to_string()))?;
        let name = self.name(id).to_string();
        let alias = a.to_string();
        let p = self
            .pci_dev_mut(id)
            .ok_or_else(|| TopologyError::NotPci(dev.to_string()))?;
        if p.bdf.segment != a.segment || p.bdf.bus != a.bus {
            return Err(TopologyError::AliasBusMismatch { dev: name, alias });
        }
        if !p.dma_aliases.contains(&a.devfn()) {
            p.dma_aliases.push(a.devfn());
            crate::sort::sort(&mut p.dma_aliases);
        }
        Ok(())
    }

    /// Changes a function's ACS capability/control (the what-if knob, `setpci` after boot).
    pub fn set_acs(
        &mut self,
        dev: &str,
        cap: Option<AcsFlags>,
        ctl: AcsFlags,
    ) -> Result<DeviceId, TopologyError> {
        let id = self
            .lookup(dev)
            .ok_or_else(|| TopologyError::UnknownDevice(dev.to_string()))?;
        let p = self
            .pci_dev_mut(id)
            .ok_or_else(|| TopologyError::NotPci(dev.to_string()))?;
        p.acs_cap = cap;
        p.acs_ctl = ctl;
        // Written after boot: the command line's value no longer applies.
        self.boot_ctl.remove(&id);
        Ok(id)
    }

    /// The PCI function at `bdf`.
    pub fn lookup_bdf(&self, bdf: Bdf) -> Option<DeviceId> {
        self.bus_devices(bdf.segment, bdf.bus)
            .iter()
            .copied()
            .find(|&d| self.pci_dev(d).is_some_and(|p| p.bdf == bdf))
    }

    /// `pdev->multifunction`: see the module doc.
    pub fn multifunction(&self, id: DeviceId) -> bool {
        let Some(p) = self.pci_dev(id) else {
            return false;
        };
        if let Some(mf) = p.multifunction_override {
            return mf;
        }
        p.multifunction_scanned || !self.slot_siblings(p.bdf, Some(id)).is_empty()
    }

    /// The functions declared now in `bdf`'s slot, other than `except`.
    fn slot_siblings(&self, bdf: Bdf, except: Option<DeviceId>) -> Vec<DeviceId> {
        self.bus_devices(bdf.segment, bdf.bus)
            .iter()
            .copied()
            .filter(|&o| {
                Some(o) != except
                    && self
                        .pci_dev(o)
                        .is_some_and(|q| q.bdf.slot() == bdf.slot() && q.physfn.is_none())
            })
            .collect()
    }

    /// `pci_is_root_bus(pdev->bus)`.
    pub fn on_root_bus(&self, id: DeviceId) -> bool {
        self.pci_dev(id).is_some_and(|p| p.parent.is_none())
    }

    fn root_host_for(&self, spec: &PciSpec, name: &str) -> Result<HostId, TopologyError> {
        if let Some(h) = &spec.host {
            return self
                .hosts
                .iter()
                .find(|x| &x.name == h)
                .map(|x| x.id)
                .ok_or_else(|| TopologyError::UnknownHost(h.clone()));
        }
        match self.hosts.len() {
            0 => Err(TopologyError::NoHost {
                dev: name.to_string(),
            }),
            1 => Ok(HostId(0)),
            _ => {
                let mut m = self
                    .hosts
                    .iter()
                    .filter(|h| h.segment == spec.bdf.segment && h.bus == spec.bdf.bus);
                match (m.next(), m.next()) {
                    (Some(h), None) => Ok(h.id),
                    _ => Err(TopologyError::AmbiguousHost {
                        dev: name.to_string(),
                    }),
                }
            }
        }
    }

    /// Whether the device is PCI (for device_group dispatch: `dev_is_pci()`).
    pub fn is_pci(&self, dev: DeviceId) -> bool {
        matches!(self.device(dev).map(|d| &d.kind), Some(DeviceKind::Pci(_)))
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
