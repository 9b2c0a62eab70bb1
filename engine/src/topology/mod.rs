//! The machine being modelled: IOMMU instances, PCI host bridges and functions, platform
//! devices (shared/SCENARIO.md "Topology").
//!
//! [`Topology`] is built statement by statement through a builder API that a scenario parser
//! drives (`add_iommu`, `add_host`, `add_pci`, `add_platform`, `add_alias`, `remove`); every
//! statement is validated at once and a failure is a [`TopologyError`] a user can act on.
//! Grouping lives in [`crate::group`]; this module only describes the hardware and answers
//! the PCI questions the kernel asks of it (`pci_acs_enabled`, `pci_for_each_dma_alias`).
//!
//! Modelling choices (they hold for the whole module):
//! - **Multifunction.** The kernel reads `pdev->multifunction` from the header-type bit of
//!   each function. The model derives it: a function is multifunction when another function
//!   is declared in the same slot (same segment, bus and device number) at the time the
//!   question is asked. [`PciSpec::multifunction`] overrides it for odd hardware (a lone
//!   function 0 with the bit set).
//! - **ACS control.** `acs-ctl` is the ACS Control register as the kernel reads it when
//!   grouping, i.e. after boot. The standard enable (`pci_std_enable_acs()`, which sets every
//!   SV/RR/CR/UF bit the capability advertises) is not applied behind the user's back; use
//!   `acs=` (capability = control) for a port Linux enabled, and `acs-cap=`/`acs-ctl=` to model
//!   `config_acs=`, `disable_acs_redir=` or firmware Linux did not fix. [`pci_std_enable_acs`]
//!   is offered for a runner that wants the boot-time value.
//! - **Intel PCH enable quirk** (`pci_quirk_enable_intel_pch_acs()`): assumed to succeed
//!   (RCBA enabled), so listed PCH root ports get `PCI_DEV_FLAGS_ACS_ENABLED_QUIRK`.
//! - **AMD southbridge quirk** needs an ACPI IVRS table: the model says one exists when the
//!   device's IOMMU is of kind `generic` (the x86-style remapping unit).
//! - **Bridges have no MMIO BARs** (matters only to `acs-fix`'s `pci_has_mmio()`).

pub mod pci;
pub mod platform;
pub mod quirks;

use crate::ids::{DeviceId, IommuId};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;

pub use pci::{AcsDenial, AcsFlags, Bdf, PciType, Rid, REQ_ACS_FLAGS};
pub use platform::StreamId;

/// An error in a topology statement. Messages name the devices involved and say what
/// would be accepted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize)]
pub enum TopologyError {
    #[error("{0} is already declared")]
    Duplicate(String),
    #[error("no iommu named {0} (declare `iommu {0} kind=...` first)")]
    UnknownIommu(String),
    #[error("no PCI host bridge named {0} (declare `host {0} iommu=...` first)")]
    UnknownHost(String),
    #[error("no device named {0}")]
    UnknownDevice(String),
    #[error(
        "parent {parent} of {dev} is not declared (a parent must be declared before its children)"
    )]
    UnknownParent { dev: String, parent: String },
    #[error("{0} is not a PCI address (expected BB:DD.F or SSSS:BB:DD.F in hex)")]
    BadBdf(String),
    #[error(
        "bus {bus:02x} of {dev} does not match parent {parent}'s secondary bus {secondary:02x}"
    )]
    BusMismatch {
        dev: String,
        bus: u8,
        parent: String,
        secondary: u8,
    },
    #[error("bus {bus:02x} of {dev} is already used by {owner}")]
    BusInUse { dev: String, bus: u8, owner: String },
    #[error(
        "bus {bus:02x} of {dev} must be greater than parent {parent}'s own bus {parent_bus:02x}"
    )]
    BusNotDownstream {
        dev: String,
        bus: u8,
        parent: String,
        parent_bus: u8,
    },
    #[error(
        "{dev} is on segment {seg:04x} but its parent {parent} is on segment {parent_seg:04x}"
    )]
    SegmentMismatch {
        dev: String,
        seg: u16,
        parent: String,
        parent_seg: u16,
    },
    #[error("{parent} ({parent_type}) has no secondary bus, so it cannot be the parent of {dev}")]
    NotABridge {
        dev: String,
        parent: String,
        parent_type: PciType,
    },
    #[error("{dev} ({ty}) must sit below {expected}, but {parent} is a {parent_type}")]
    WrongParent {
        dev: String,
        ty: PciType,
        expected: &'static str,
        parent: String,
        parent_type: PciType,
    },
    #[error("{dev} ({ty}) sits on a root bus: drop parent={parent}")]
    MustBeOnRootBus {
        dev: String,
        ty: PciType,
        parent: String,
    },
    #[error("{dev} has no parent=, so it sits on host {host}'s root bus {root:02x}, not bus {bus:02x} (add parent= or pick the host with host=)")]
    RootBusMismatch {
        dev: String,
        bus: u8,
        host: String,
        root: u8,
    },
    #[error("no PCI host bridge is declared for {dev} (add `host NAME iommu=IOMMU` before it)")]
    NoHost { dev: String },
    #[error("several host bridges could hold {dev}: name one with host=NAME")]
    AmbiguousHost { dev: String },
    #[error("host bridges {a} and {b} both claim segment {seg:04x} root bus {bus:02x}")]
    RootBusClash {
        a: String,
        b: String,
        seg: u16,
        bus: u8,
    },
    #[error("DMA alias {alias} of {dev} must be on the same bus as {dev}")]
    AliasBusMismatch { dev: String, alias: String },
    #[error("{0} is not a PCI device")]
    NotPci(String),
    #[error("platform device {dev} behind arm-smmu-v2 {iommu} needs a stream ID (sid=)")]
    MissingStreamId { dev: String, iommu: String },
    #[error("stream ID 0x{sid:x} or mask 0x{mask:x} of {dev} does not fit the 16-bit SMR fields")]
    StreamIdRange { dev: String, sid: u32, mask: u32 },
    #[error("smrs={0} is out of range (an SMMUv2 has 1 to 128 stream match registers)")]
    SmrCount(u32),
}

/// The kind of an IOMMU instance (`iommu NAME kind=...`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum IommuKind {
    /// drivers/iommu/arm/arm-smmu/arm-smmu.c: stream matching with [`IommuSpec::smrs`]
    /// Stream Match Registers.
    ArmSmmuV2,
    /// drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c: PCI grouping, otherwise one group per device.
    ArmSmmuV3,
    /// An x86-style remapping unit (VT-d / AMD-Vi): `pci_device_group` or `generic_device_group`.
    Generic,
}

impl IommuKind {
    pub const ALL: [IommuKind; 3] = [
        IommuKind::ArmSmmuV2,
        IommuKind::ArmSmmuV3,
        IommuKind::Generic,
    ];

    /// The scenario-language keyword (`kind=arm-smmu-v2`).
    pub const fn keyword(self) -> &'static str {
        match self {
            IommuKind::ArmSmmuV2 => "arm-smmu-v2",
            IommuKind::ArmSmmuV3 => "arm-smmu-v3",
            IommuKind::Generic => "generic",
        }
    }

    /// The kind spelled `s`.
    pub fn from_keyword(s: &str) -> Option<IommuKind> {
        IommuKind::ALL.into_iter().find(|k| k.keyword() == s)
    }
}

/// Translation granule of the model's ARM LPAE page tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Default)]
pub enum Granule {
    #[default]
    #[serde(rename = "4K")]
    G4K,
    #[serde(rename = "16K")]
    G16K,
    #[serde(rename = "64K")]
    G64K,
}

impl Granule {
    /// Parses `granule=` given in bytes (4096 / 16384 / 65536, i.e. `4K` `16K` `64K`).
    pub fn from_bytes(bytes: u64) -> Option<Granule> {
        [Granule::G4K, Granule::G16K, Granule::G64K]
            .into_iter()
            .find(|g| g.bytes() == bytes)
    }

    pub const fn bytes(self) -> u64 {
        match self {
            Granule::G4K => 4096,
            Granule::G16K => 16384,
            Granule::G64K => 65536,
        }
    }
}

/// `iommu NAME kind=... granule=... ias=... oas=... smrs=...`
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IommuSpec {
    pub name: String,
    pub kind: IommuKind,
    pub granule: Granule,
    pub ias: u32,
    pub oas: u32,
    /// Stream Match Registers of an SMMUv2 (unused by the other kinds).
    pub smrs: u32,
}

impl IommuSpec {
    /// `kind=` when the file gives none.
    pub const DEFAULT_KIND: IommuKind = IommuKind::Generic;
    /// `ias=` when the file gives none: 48-bit input addresses.
    pub const DEFAULT_IAS: u32 = 48;
    /// `oas=` when the file gives none: 48-bit output addresses.
    pub const DEFAULT_OAS: u32 = 48;
    /// drivers/iommu/arm/arm-smmu/arm-smmu.h: ARM_SMMU_MAX_SMRS (128), the most an SMMUv2
    /// has and the `smrs=` default.
    pub const MAX_SMRS: u32 = 128;

    /// An IOMMU with the defaults of SCENARIO.md (the one place they live): granule 4K,
    /// ias 48, oas 48, 128 SMRs.
    pub fn new(name: &str, kind: IommuKind) -> Self {
        IommuSpec {
            name: name.to_string(),
            kind,
            granule: Granule::default(),
            ias: Self::DEFAULT_IAS,
            oas: Self::DEFAULT_OAS,
            smrs: Self::MAX_SMRS,
        }
    }

    /// An SMMUv2 with `smrs` stream match registers.
    pub fn smrs(mut self, smrs: u32) -> Self {
        self.smrs = smrs;
        self
    }
}

/// A declared IOMMU instance (`struct iommu_device`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Iommu {
    pub id: IommuId,
    #[serde(flatten)]
    pub spec: IommuSpec,
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
}

/// `platform NAME iommu=IOMMU [sid=N [mask=N]]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PlatformSpec {
    pub name: String,
    pub iommu: String,
    /// Stream IDs with masks (the firmware's `iommus` entries), raw as written.
    pub sids: Vec<(u32, u32)>,
}

impl PlatformSpec {
    pub fn new(name: &str, iommu: &str) -> Self {
        PlatformSpec {
            name: name.to_string(),
            iommu: iommu.to_string(),
            sids: Vec::new(),
        }
    }
    pub fn sid(mut self, sid: u32, mask: u32) -> Self {
        self.sids.push((sid, mask));
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
    /// `dma_alias_mask`: extra devfns on the same bus this device uses as requester IDs.
    pub dma_aliases: Vec<u8>,
    pub flags: PciDevFlags,
    /// `subordinate->number`, fixed by the first child.
    pub secondary: Option<u8>,
}

/// A platform device behind an IOMMU.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PlatformDev {
    pub sids: Vec<StreamId>,
}

/// What a device is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "bus", rename_all = "lowercase")]
pub enum DeviceKind {
    Pci(PciDev),
    Platform(PlatformDev),
}

/// A device of the topology.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Device {
    pub id: DeviceId,
    /// "01:00.0", "0001:01:00.0" or the platform name.
    pub name: String,
    /// `dev->iommu`: the instance that translates this device's DMA, if any.
    pub iommu: Option<IommuId>,
    pub kind: DeviceKind,
}

impl Device {
    pub fn pci(&self) -> Option<&PciDev> {
        match &self.kind {
            DeviceKind::Pci(p) => Some(p),
            DeviceKind::Platform(_) => None,
        }
    }
    /// The name under /sys/kernel/iommu_groups/N/devices/ ("0000:01:00.0" for PCI).
    pub fn sysfs_name(&self) -> String {
        match &self.kind {
            DeviceKind::Pci(p) => p.bdf.sysfs_name(),
            DeviceKind::Platform(_) => self.name.clone(),
        }
    }
}

/// The whole machine. Devices keep their [`DeviceId`] (declaration order) for life; a
/// removed device leaves a hole.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Topology {
    iommus: Vec<Iommu>,
    hosts: Vec<Host>,
    devices: Vec<Option<Device>>,
    #[serde(skip)]
    by_name: BTreeMap<String, DeviceId>,
    /// (segment, bus) → the devices on it in declaration order (for_each_pci_dev filtered).
    #[serde(skip)]
    buses: BTreeMap<(u16, u8), Vec<DeviceId>>,
    /// (segment, bus) → who owns that bus number (a host's root bus or a bridge).
    #[serde(skip)]
    bus_owner: BTreeMap<(u16, u8), BusOwner>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum BusOwner {
    Root(HostId),
    Bridge(DeviceId),
}

impl Topology {
    pub fn new() -> Self {
        Topology::default()
    }

    /// `iommu NAME kind=... granule=... ias=... oas=...`
    pub fn add_iommu(&mut self, spec: IommuSpec) -> Result<IommuId, TopologyError> {
        if self.iommus.iter().any(|i| i.spec.name == spec.name) {
            return Err(TopologyError::Duplicate(spec.name));
        }
        if spec.kind == IommuKind::ArmSmmuV2 && (spec.smrs == 0 || spec.smrs > IommuSpec::MAX_SMRS)
        {
            return Err(TopologyError::SmrCount(spec.smrs));
        }
        let id = IommuId(self.iommus.len() as u32);
        self.iommus.push(Iommu { id, spec });
        Ok(id)
    }

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
            dma_aliases: Vec::new(),
            flags: PciDevFlags::default(),
            secondary: None,
        };
        let parent_ty = parent.and_then(|pid| self.pci_dev(pid)).map(|x| x.ty);
        quirks::apply_header_quirks(&mut dev, parent_ty);
        self.buses.entry((seg, bus)).or_default().push(id);
        self.by_name.insert(name.clone(), id);
        self.devices.push(Some(Device {
            id,
            name,
            iommu,
            kind: DeviceKind::Pci(dev),
        }));
        Ok(id)
    }

    /// `platform NAME iommu=IOMMU [sid=N [mask=N]]`
    pub fn add_platform(&mut self, spec: PlatformSpec) -> Result<DeviceId, TopologyError> {
        if self.by_name.contains_key(&spec.name) {
            return Err(TopologyError::Duplicate(spec.name));
        }
        let iommu = self.iommu_by_name(&spec.iommu)?;
        let kind = self
            .iommu(iommu)
            .map(|i| i.spec.kind)
            .ok_or_else(|| TopologyError::UnknownIommu(spec.iommu.clone()))?;
        let mut sids = Vec::new();
        for &(sid, mask) in &spec.sids {
            if sid > 0xffff || mask > 0xffff {
                return Err(TopologyError::StreamIdRange {
                    dev: spec.name,
                    sid,
                    mask,
                });
            }
            sids.push(StreamId {
                id: sid as u16,
                mask: mask as u16,
            });
        }
        if kind == IommuKind::ArmSmmuV2 && sids.is_empty() {
            return Err(TopologyError::MissingStreamId {
                dev: spec.name,
                iommu: spec.iommu,
            });
        }
        let id = DeviceId(self.devices.len() as u32);
        self.by_name.insert(spec.name.clone(), id);
        self.devices.push(Some(Device {
            id,
            name: spec.name,
            iommu: Some(iommu),
            kind: DeviceKind::Platform(PlatformDev { sids }),
        }));
        Ok(id)
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
            p.dma_aliases.sort_unstable();
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
        Ok(id)
    }

    /// `remove DEV`: hot-remove, as `echo 1 > /sys/bus/pci/devices/.../remove` does
    /// (`pci_stop_and_remove_bus_device()`, drivers/pci/remove.c): a bridge takes its whole
    /// subtree with it. Returns the removed devices, children before parents; release them
    /// from their groups first ([`crate::group::Groups::release_device`]).
    pub fn remove(&mut self, dev: &str) -> Result<Vec<DeviceId>, TopologyError> {
        let id = self
            .lookup(dev)
            .ok_or_else(|| TopologyError::UnknownDevice(dev.to_string()))?;
        let mut order = Vec::new();
        self.subtree_post_order(id, &mut order);
        for &d in &order {
            self.detach(d);
        }
        Ok(order)
    }

    /// The devices [`Topology::remove`] would remove, children first, without removing them.
    pub fn removal_order(&self, dev: DeviceId) -> Vec<DeviceId> {
        let mut order = Vec::new();
        self.subtree_post_order(dev, &mut order);
        order
    }

    fn subtree_post_order(&self, id: DeviceId, out: &mut Vec<DeviceId>) {
        if let Some(sec) = self
            .pci_dev(id)
            .and_then(|p| p.secondary.map(|s| (p.bdf.segment, s)))
        {
            if let Some(children) = self.buses.get(&sec) {
                for &c in children {
                    self.subtree_post_order(c, out);
                }
            }
        }
        out.push(id);
    }

    fn detach(&mut self, id: DeviceId) {
        let Some(slot) = self.devices.get_mut(id.0 as usize) else {
            return;
        };
        let Some(dev) = slot.take() else { return };
        self.by_name.remove(&dev.name);
        if let DeviceKind::Pci(p) = &dev.kind {
            let key = (p.bdf.segment, p.bdf.bus);
            if let Some(v) = self.buses.get_mut(&key) {
                v.retain(|&d| d != id);
                if v.is_empty() {
                    self.buses.remove(&key);
                    // The bridge keeps its secondary bus number (bus numbers are assigned by
                    // enumeration and stay with the bridge).
                }
            }
            if let Some(sec) = p.secondary {
                self.bus_owner.remove(&(p.bdf.segment, sec));
            }
        }
    }

    // ---- queries ----

    /// The device called `name` ("01:00.0", "0000:01:00.0" or a platform name).
    pub fn lookup(&self, name: &str) -> Option<DeviceId> {
        if let Some(&id) = self.by_name.get(name) {
            return Some(id);
        }
        // Accept any spelling of a BDF ("0000:01:00.0" for "01:00.0", upper case hex).
        self.lookup_bdf(Bdf::parse(name)?)
    }

    /// The PCI function at `bdf`.
    pub fn lookup_bdf(&self, bdf: Bdf) -> Option<DeviceId> {
        self.bus_devices(bdf.segment, bdf.bus)
            .iter()
            .copied()
            .find(|&d| self.pci_dev(d).is_some_and(|p| p.bdf == bdf))
    }

    pub fn device(&self, id: DeviceId) -> Option<&Device> {
        self.devices.get(id.0 as usize).and_then(|d| d.as_ref())
    }

    pub fn pci_dev(&self, id: DeviceId) -> Option<&PciDev> {
        self.device(id).and_then(|d| d.pci())
    }

    fn pci_dev_mut(&mut self, id: DeviceId) -> Option<&mut PciDev> {
        match self.devices.get_mut(id.0 as usize) {
            Some(Some(Device {
                kind: DeviceKind::Pci(p),
                ..
            })) => Some(p),
            _ => None,
        }
    }

    /// The device's name, or "?" for an id that is not (or no longer) declared.
    pub fn name(&self, id: DeviceId) -> &str {
        self.device(id).map(|d| d.name.as_str()).unwrap_or("?")
    }

    /// Live devices in declaration order (the kernel's probe order).
    pub fn devices(&self) -> impl Iterator<Item = &Device> {
        self.devices.iter().flatten()
    }

    pub fn iommus(&self) -> &[Iommu] {
        &self.iommus
    }

    pub fn iommu(&self, id: IommuId) -> Option<&Iommu> {
        self.iommus.get(id.0 as usize)
    }

    pub fn iommu_by_name(&self, name: &str) -> Result<IommuId, TopologyError> {
        self.iommus
            .iter()
            .find(|i| i.spec.name == name)
            .map(|i| i.id)
            .ok_or_else(|| TopologyError::UnknownIommu(name.to_string()))
    }

    pub fn hosts(&self) -> &[Host] {
        &self.hosts
    }

    pub fn host(&self, id: HostId) -> Option<&Host> {
        self.hosts.get(id.0 as usize)
    }

    /// The functions on a bus, in declaration order.
    pub fn bus_devices(&self, segment: u16, bus: u8) -> &[DeviceId] {
        self.buses
            .get(&(segment, bus))
            .map(|v| v.as_slice())
            .unwrap_or(&[])
    }

    /// `pdev->multifunction`: see the module doc.
    pub fn multifunction(&self, id: DeviceId) -> bool {
        let Some(p) = self.pci_dev(id) else {
            return false;
        };
        if let Some(mf) = p.multifunction_override {
            return mf;
        }
        self.bus_devices(p.bdf.segment, p.bdf.bus).iter().any(|&o| {
            o != id
                && self
                    .pci_dev(o)
                    .is_some_and(|q| q.bdf.slot() == p.bdf.slot())
        })
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

    fn bus_owner_name(&self, owner: BusOwner) -> String {
        match owner {
            BusOwner::Root(h) => format!(
                "host bridge {}",
                self.host(h).map(|h| h.name.as_str()).unwrap_or("?")
            ),
            BusOwner::Bridge(d) => self.name(d).to_string(),
        }
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

impl fmt::Display for IommuKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.keyword())
    }
}
