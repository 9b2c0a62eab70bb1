//! The machine being modelled: IOMMU instances, PCI host bridges and functions, platform
//! devices (shared/SCENARIO.md "Topology").
//!
//! [`Topology`] is built statement by statement through a builder API that a scenario parser
//! drives (`add_iommu`, `add_host`, `add_pci`, `add_platform`, `add_alias`, `remove`); every
//! statement is validated at once and a failure is a [`TopologyError`] a user can act on.
//! Grouping lives in [`crate::group`]; this module only describes the hardware and answers
//! the PCI questions the kernel asks of it (`pci_acs_enabled`, `pci_for_each_dma_alias`).
//!
//! Layout: this file keeps the [`Topology`] itself (IOMMU instances, the device table,
//! hot-remove, look-ups) and its errors; [`pci`] the PCI vocabulary, host bridges and
//! functions and their builder steps (`add_host`, `add_pci`, `add_alias`); [`platform`]
//! platform devices (`add_platform`); [`acs`] and [`alias`] the PCI core's ACS and
//! DMA-alias walks; [`quirks`] drivers/pci/quirks.c.
//!
//! Modelling choices (they hold for the whole module):
//! - **Multifunction.** The kernel sets `pdev->multifunction` once, at scan, and nothing
//!   clears it (drivers/pci/probe.c v6.8: `pci_setup_device()` takes it from the header-type
//!   bit, `pci_scan_slot()` sets it for every function above 0). The model derives function
//!   0's header bit from its slot: a function is multifunction when it is a function above 0,
//!   or another function is or ever was declared in the same slot (same segment, bus and
//!   device number) while it existed; removing a sibling does not clear it.
//!   [`PciSpec::multifunction`] overrides it for odd hardware (a lone function 0 with the
//!   bit set).
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

pub mod acs;
pub mod alias;
pub mod cmdline;
pub mod pci;
pub mod platform;
pub mod quirks;

use crate::ids::{DeviceId, IommuId};
use crate::vec_map::VecMap;
use serde::Serialize;
use std::fmt;

pub use acs::{pci_std_enable_acs, AcsDenial};
pub use alias::{AliasKind, DmaAlias};
pub use pci::{
    AcsFlags, Bdf, Host, HostId, HostSpec, PciDev, PciDevFlags, PciId, PciSpec, PciType, Rid,
    Sriov, REQ_ACS_FLAGS,
};
pub use platform::{PlatformDev, PlatformSpec, StreamId};

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
    #[error("SR-IOV on {dev}: {why}")]
    Sriov { dev: String, why: String },
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

/// What a device is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "bus", rename_all = "lowercase")]
pub enum DeviceKind {
    Pci(PciDev),
    Platform(PlatformDev),
}

/// A device as the topology declares it (the hardware; the kernel model's probed
/// `struct device` is [`crate::core::Device`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DeclaredDevice {
    pub id: DeviceId,
    /// "01:00.0", "0001:01:00.0" or the platform name.
    pub name: String,
    /// `dev->iommu`: the instance that translates this device's DMA, if any.
    pub iommu: Option<IommuId>,
    pub kind: DeviceKind,
}

impl DeclaredDevice {
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
    devices: Vec<Option<DeclaredDevice>>,
    #[serde(skip)]
    by_name: VecMap<String, DeviceId>,
    /// (segment, bus) → the devices on it in declaration order (for_each_pci_dev filtered).
    #[serde(skip)]
    buses: VecMap<(u16, u8), Vec<DeviceId>>,
    /// (segment, bus) → who owns that bus number (a host's root bus or a bridge).
    #[serde(skip)]
    bus_owner: VecMap<(u16, u8), BusOwner>,
    /// The ACS command-line parameters the machine boots with ([`cmdline`]).
    #[serde(skip)]
    acs_params: cmdline::AcsParams,
    /// The ACS Control values those parameters set, by device ([`cmdline::AcsParams::boot_ctl`]).
    #[serde(skip)]
    boot_ctl: VecMap<DeviceId, AcsFlags>,
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

    /// The ACS command-line parameters ([`cmdline`]): `pcie_acs_override=`,
    /// `pci=disable_acs_redir=`, `pci=config_acs=`.
    pub fn acs_params(&self) -> &cmdline::AcsParams {
        &self.acs_params
    }

    /// Boots with `params` instead: every function's ACS Control is recomputed from its
    /// declared value (the what-if knob; devices added later get them at `add_pci`, as
    /// `pci_enable_acs()` runs for every device the scan adds).
    pub fn set_acs_params(&mut self, params: cmdline::AcsParams) {
        self.acs_params = params;
        self.boot_ctl.clear();
        let ids: Vec<DeviceId> = self.devices().map(|d| d.id).collect();
        for id in ids {
            self.apply_acs_params(id);
        }
    }

    /// `pci_enable_acs()` for one device: records the control value the command line sets.
    pub(crate) fn apply_acs_params(&mut self, id: DeviceId) {
        match self.acs_params.boot_ctl(self, id) {
            Some(ctl) => self.boot_ctl.insert(id, ctl),
            None => self.boot_ctl.remove(&id),
        };
    }

    /// The ACS Control register of a PCI function as grouping reads it: the declared
    /// `acs-ctl`, or what `pci=disable_acs_redir=`/`pci=config_acs=` made of it.
    pub fn acs_ctl(&self, id: DeviceId) -> AcsFlags {
        match self.boot_ctl.get(&id) {
            Some(&c) => c,
            None => self.pci_dev(id).map_or(AcsFlags::NONE, |p| p.acs_ctl),
        }
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
        // A PF's VFs go before it (pci_stop_and_remove_bus_device() of a PF: its driver's
        // remove disables SR-IOV, pci_iov_remove_virtfn() for each VF).
        if let Some(p) = self.pci_dev(id) {
            out.extend(p.vfs.iter().copied());
        }
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
            // A bridge's secondary bus, or the virtual buses of a PF's VFs.
            self.bus_owner.retain(|_, o| *o != BusOwner::Bridge(id));
            if let Some(pf) = p.physfn {
                if let Some(pf) = self.pci_dev_mut(pf) {
                    pf.vfs.retain(|&v| v != id);
                }
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

    pub fn device(&self, id: DeviceId) -> Option<&DeclaredDevice> {
        self.devices.get(id.0 as usize).and_then(|d| d.as_ref())
    }

    pub fn pci_dev(&self, id: DeviceId) -> Option<&PciDev> {
        self.device(id).and_then(|d| d.pci())
    }

    fn pci_dev_mut(&mut self, id: DeviceId) -> Option<&mut PciDev> {
        match self.devices.get_mut(id.0 as usize) {
            Some(Some(DeclaredDevice {
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
    pub fn devices(&self) -> impl Iterator<Item = &DeclaredDevice> {
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

impl fmt::Display for IommuKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.keyword())
    }
}
