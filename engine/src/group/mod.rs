//! IOMMU groups as Linux computes them, with the reason for every member
//! (shared/MODEL.md §1).
//!
//! [`Groups`] is the kernel's group state: `iommu_probe_device()` asks the device's IOMMU
//! driver for a group (`device_group()` callback) and adds the device; `release_device`
//! takes it out and frees an empty group's id (`ida_free`). Group ids are the lowest free id
//! from 0, like `iommu_group_alloc()`'s `ida_alloc()`.
//!
//! Callbacks by IOMMU kind (drivers/iommu/iommu.c and drivers, v6.8):
//! - `generic`: PCI → `pci_device_group()`, otherwise `generic_device_group()`.
//! - `arm-smmu-v3`: the same (`arm_smmu_device_group()` in arm-smmu-v3.c), after
//!   `arm_smmu_insert_master()` has claimed the master's stream IDs (see [`arm_smmu_v3`]: an ID
//!   another master holds fails the probe, -ENODEV in v6.15+, -EINVAL from v5.14 to v6.14).
//! - `arm-smmu-v2`: `arm_smmu_master_alloc_smes()` at probe, then `arm_smmu_device_group()`
//!   (see [`arm_smmu`]). PCI devices behind it get one stream ID per DMA alias RID, as
//!   `of_iommu_configure()` collects them with `pci_for_each_dma_alias()` (identity
//!   `iommu-map`).
//!
//! With [`Config::acs_fix`] PCI grouping follows Jason Gunthorpe's series instead
//! (see [`pci`] for exactly what is implemented).
//!
//! How a scenario runner drives it (one builder call per topology statement, then probing;
//! a statement after the first call is a hot-add: add, then `probe_device`):
//! ```
//! use iommu_engine::topology::*;
//! use iommu_engine::{Config, Groups};
//!
//! let mut t = Topology::new();
//! t.add_iommu(IommuSpec::new("dmar0", IommuKind::Generic))?;        // iommu dmar0 kind=generic
//! t.add_host(HostSpec::new("pci0", "dmar0"))?;                       // host pci0 iommu=dmar0
//! let acs = AcsFlags::parse_list("SV,RR,CR,UF").unwrap_or_default();
//! t.add_pci(PciSpec::new(Bdf::new(0, 0x1c, 0), PciType::RootPort).acs(acs))?; // pci 00:1c.0 rp acs=...
//! t.add_pci(PciSpec::new(Bdf::new(0, 0x1c, 4), PciType::RootPort))?;          // pci 00:1c.4 rp
//! t.add_pci(PciSpec::new(Bdf::new(2, 0, 0), PciType::Endpoint).parent(Bdf::new(0, 0x1c, 4)))?;
//!
//! let mut groups = Groups::new(Config::default());
//! for (_dev, result) in groups.probe_all(&t) {
//!     result?;                                                        // -ENOSPC, -EINVAL, ...
//! }
//! let ep = t.lookup("02:00.0").ok_or("no such device")?;
//! assert_eq!(groups.group_of(ep), groups.group_of(t.lookup("00:1c.4").ok_or("?")?));
//! assert_eq!(
//!     groups.reason(ep).map(|r| r.to_string()).as_deref(),
//!     Some("joined 00:1c.4's group: root port 00:1c.4 has no ACS capability")
//! );
//! groups.hot_remove(&mut t, "02:00.0")?;                               // remove 02:00.0
//! print!("{}", groups.sysfs_listing(&t));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod arm_smmu;
pub mod arm_smmu_v3;
pub mod pci;
pub mod reason;

pub use reason::GroupReason;

use crate::era::Config;
use crate::errno::Errno;
use crate::ids::{DeviceId, GroupId, IommuId};
use crate::topology::{AcsFlags, IommuKind, Topology, TopologyError};
use crate::vec_map::{VecMap, VecSet};
use serde::Serialize;
use std::fmt::Write as _;

/// A member of a group and why it is there.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Member {
    pub device: DeviceId,
    pub name: String,
    pub reason: GroupReason,
}

/// An `iommu_group`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Group {
    pub id: GroupId,
    /// The IOMMU instance of the devices (`group->devices` all share one).
    pub iommu: IommuId,
    /// `group->devices`, in the order they joined.
    pub members: Vec<Member>,
    /// acs-fix `BUS_DATA_PCI_NON_ISOLATED`: everything downstream shares this group.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub non_isolated: bool,
}

/// What a `device_group()` callback decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Decision {
    Existing(GroupId, GroupReason),
    New { non_isolated: bool },
}

/// Group state of the whole machine.
#[derive(Clone, Debug, Serialize)]
pub struct Groups {
    config: Config,
    groups: VecMap<GroupId, Group>,
    /// `dev->iommu_group`, indexed by [`DeviceId`].
    #[serde(skip)]
    of_device: Vec<Option<GroupId>>,
    /// Ids below `next_id` that are free again.
    #[serde(skip)]
    free_ids: VecSet<u32>,
    #[serde(skip)]
    next_id: u32,
    #[serde(skip)]
    smmu: VecMap<IommuId, arm_smmu::SmmuState>,
    #[serde(skip)]
    smmu_v3: VecMap<IommuId, arm_smmu_v3::StreamTree>,
    /// The SMMUv3 driver's stream-ID rule of the era's kernel.
    #[serde(skip)]
    smmu_v3_rule: arm_smmu_v3::StreamIdRule,
    /// The last SMMUv3 `arm_smmu_insert_master()` refusal, for the trace.
    #[serde(skip)]
    probe_failure: Option<(DeviceId, arm_smmu_v3::InsertFailure)>,
}

impl Groups {
    pub fn new(config: Config) -> Self {
        Groups {
            config,
            groups: VecMap::new(),
            of_device: Vec::new(),
            free_ids: VecSet::new(),
            next_id: 0,
            smmu: VecMap::new(),
            smmu_v3: VecMap::new(),
            smmu_v3_rule: arm_smmu_v3::StreamIdRule::default(),
            probe_failure: None,
        }
    }

    /// The same, with the IOMMU drivers of era `era`'s kernel where they differ in grouping
    /// (today: the SMMUv3 stream-ID tree, [`arm_smmu_v3::StreamIdRule::of_era`]). Without it
    /// the drivers are today's.
    pub fn for_era(config: Config, era: crate::era::Era) -> Self {
        Groups {
            smmu_v3_rule: arm_smmu_v3::StreamIdRule::of_era(era),
            ..Groups::new(config)
        }
    }

    pub fn config(&self) -> Config {
        self.config
    }

    /// drivers/iommu/iommu.c: iommu_probe_device() (v6.8): find or allocate the device's
    /// group through its IOMMU driver and add the device. A device already in a group
    /// returns that group. Errors are the kernel's: -ENODEV without an IOMMU or (v6.15+) for
    /// an SMMUv3 stream ID another master holds, -EINVAL for that (v5.14–v6.14), -ERANGE for
    /// an SMMUv3 stream ID past the stream table, -ENOSPC / -EINVAL from SMMUv2 stream
    /// matching, -EPROBE_DEFER (acs-fix) out of order.
    pub fn probe_device(&mut self, topo: &Topology, dev: DeviceId) -> Result<GroupId, Errno> {
        if let Some(g) = self.group_of(dev) {
            return Ok(g);
        }
        let d = topo.device(dev).ok_or(Errno::ENODEV)?;
        let iommu_id = d.iommu.ok_or(Errno::ENODEV)?;
        let iommu = topo.iommu(iommu_id).ok_or(Errno::ENODEV)?;
        let decision = match iommu.spec.kind {
            IommuKind::ArmSmmuV2 => {
                let smrs = iommu.spec.smrs;
                let st = self
                    .smmu
                    .entry(iommu_id)
                    .or_insert_with(|| arm_smmu::SmmuState::new(smrs));
                st.alloc_smes(topo, dev)?;
                match self.arm_smmu_device_group(topo, dev, iommu_id) {
                    Ok(dec) => dec,
                    Err(e) => {
                        if let Some(st) = self.smmu.get_mut(&iommu_id) {
                            st.free_smes(dev);
                        }
                        return Err(e);
                    }
                }
            }
            IommuKind::ArmSmmuV3 => self.arm_smmu_v3_probe(topo, dev, iommu_id)?,
            IommuKind::Generic => self.default_device_group(topo, dev)?,
        };
        let (g, reason) = match decision {
            Decision::Existing(g, reason) => (g, reason),
            Decision::New { non_isolated } => {
                let g = self.iommu_group_alloc(iommu_id, non_isolated);
                (g, GroupReason::OwnGroup)
            }
        };
        if iommu.spec.kind == IommuKind::ArmSmmuV2 {
            self.arm_smmu_remember_group(iommu_id, dev, g, &reason);
        }
        let member = Member {
            device: dev,
            name: d.name.clone(),
            reason,
        };
        if let Some(group) = self.groups.get_mut(&g) {
            group.members.push(member);
        }
        let i = dev.0 as usize;
        if self.of_device.len() <= i {
            self.of_device.resize(i + 1, None);
        }
        if let Some(slot) = self.of_device.get_mut(i) {
            *slot = Some(g);
        }
        Ok(g)
    }

    /// Probes every live device in declaration order (the boot-time bus scan), returning
    /// each device's result.
    pub fn probe_all(&mut self, topo: &Topology) -> Vec<(DeviceId, Result<GroupId, Errno>)> {
        let ids: Vec<DeviceId> = topo.devices().map(|d| d.id).collect();
        ids.into_iter()
            .map(|d| (d, self.probe_device(topo, d)))
            .collect()
    }

    /// drivers/iommu/iommu.c: iommu_release_device() → __iommu_group_remove_device()
    /// (v6.8): the device leaves its group; an empty group is freed and its id returns to
    /// the ida. SMMUv2 stream map entries are released (`arm_smmu_master_free_smes()`), SMMUv3
    /// stream IDs too (`arm_smmu_remove_master()`).
    /// The topology is not consulted, so this works with the ids [`Topology::remove`]
    /// returned (see [`Groups::hot_remove`]).
    pub fn release_device(&mut self, dev: DeviceId) -> Option<GroupId> {
        for st in self.smmu.values_mut() {
            st.free_smes(dev);
        }
        self.arm_smmu_v3_release(dev);
        let g = self.of_device.get_mut(dev.0 as usize)?.take()?;
        let empty = match self.groups.get_mut(&g) {
            Some(group) => {
                group.members.retain(|m| m.device != dev);
                group.members.is_empty()
            }
            None => false,
        };
        if empty {
            self.groups.remove(&g);
            self.free_ids.insert(g.0);
        }
        Some(g)
    }

    /// `remove DEV`: releases the device (and a bridge's subtree, children first) from the
    /// groups and removes it from the topology. Returns the removed devices.
    pub fn hot_remove(
        &mut self,
        topo: &mut Topology,
        dev: &str,
    ) -> Result<Vec<DeviceId>, TopologyError> {
        let removed = topo.remove(dev)?;
        for &d in &removed {
            self.release_device(d);
        }
        Ok(removed)
    }

    /// `iommu_group_alloc()`: lowest free id (`ida_alloc(&iommu_group_ida, GFP_KERNEL)`).
    fn iommu_group_alloc(&mut self, iommu: IommuId, non_isolated: bool) -> GroupId {
        let id = match self.free_ids.pop_first() {
            Some(id) => id,
            None => {
                self.next_id += 1;
                self.next_id - 1
            }
        };
        let g = GroupId(id);
        self.groups.insert(
            g,
            Group {
                id: g,
                iommu,
                members: Vec::new(),
                non_isolated,
            },
        );
        g
    }

    /// `generic_device_group()` for non-PCI, `pci_device_group()` for PCI.
    fn default_device_group(&mut self, topo: &Topology, dev: DeviceId) -> Result<Decision, Errno> {
        if topo.is_pci(dev) {
            self.pci_device_group(topo, dev)
        } else {
            Ok(Decision::New {
                non_isolated: false,
            })
        }
    }

    /// `iommu_group_get(dev)`.
    pub fn group_of(&self, dev: DeviceId) -> Option<GroupId> {
        self.of_device.get(dev.0 as usize).copied().flatten()
    }

    pub fn group(&self, id: GroupId) -> Option<&Group> {
        self.groups.get(&id)
    }

    /// All groups, by id.
    pub fn groups(&self) -> impl Iterator<Item = &Group> {
        self.groups.values()
    }

    /// The reason recorded for a device.
    pub fn reason(&self, dev: DeviceId) -> Option<&GroupReason> {
        let g = self.group_of(dev)?;
        self.groups
            .get(&g)?
            .members
            .iter()
            .find(|m| m.device == dev)
            .map(|m| &m.reason)
    }

    /// The partition as sorted lists of device names, sorted (order-free comparison).
    pub fn partition(&self) -> Vec<Vec<String>> {
        let mut out: Vec<Vec<String>> = self
            .groups
            .values()
            .map(|g| {
                let mut v: Vec<String> = g.members.iter().map(|m| m.name.clone()).collect();
                crate::sort::sort(&mut v);
                v
            })
            .collect();
        crate::sort::sort(&mut out);
        out
    }

    /// `/sys/kernel/iommu_groups/N/devices/NAME` lines, groups by id, members by name (as
    /// a shell glob lists them).
    pub fn sysfs_listing(&self, topo: &Topology) -> String {
        let mut s = String::new();
        for g in self.groups.values() {
            let mut names: Vec<String> = g
                .members
                .iter()
                .map(|m| {
                    topo.device(m.device)
                        .map(|d| d.sysfs_name())
                        .unwrap_or_else(|| m.name.clone())
                })
                .collect();
            crate::sort::sort(&mut names);
            for n in names {
                let _ = writeln!(s, "/sys/kernel/iommu_groups/{}/devices/{}", g.id.0, n);
            }
        }
        s
    }

    /// The sysfs listing with each member's reason under it (`iommu-play groups`).
    pub fn explain(&self, topo: &Topology) -> String {
        let mut s = String::new();
        for g in self.groups.values() {
            for m in &g.members {
                let n = topo
                    .device(m.device)
                    .map(|d| d.sysfs_name())
                    .unwrap_or_else(|| m.name.clone());
                let _ = writeln!(s, "/sys/kernel/iommu_groups/{}/devices/{}", g.id.0, n);
                let _ = writeln!(s, "    {}: {}", m.name, m.reason);
            }
        }
        s
    }
}

/// One group that split or merged between two computations.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GroupChange {
    /// Member lists before (one group when it split, several when they merged).
    pub before: Vec<Vec<String>>,
    /// Member lists after.
    pub after: Vec<Vec<String>>,
}

/// What changed when one port's ACS bits changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GroupDiff {
    pub device: String,
    pub acs_cap_before: Option<AcsFlags>,
    pub acs_ctl_before: AcsFlags,
    pub acs_cap_after: Option<AcsFlags>,
    pub acs_ctl_after: AcsFlags,
    /// Groups that fell apart into several.
    pub split: Vec<GroupChange>,
    /// Groups formed from several old ones.
    pub merged: Vec<GroupChange>,
    pub before: Vec<Vec<String>>,
    pub after: Vec<Vec<String>>,
}

impl GroupDiff {
    pub fn is_unchanged(&self) -> bool {
        self.split.is_empty() && self.merged.is_empty()
    }
}

/// Compares two partitions (lists of member-name lists).
pub fn diff_partitions(
    before: &[Vec<String>],
    after: &[Vec<String>],
) -> (Vec<GroupChange>, Vec<GroupChange>) {
    let index = |p: &[Vec<String>]| -> VecMap<String, usize> {
        p.iter()
            .enumerate()
            .flat_map(|(i, g)| g.iter().map(move |n| (n.clone(), i)))
            .collect()
    };
    let ia = index(after);
    let ib = index(before);
    let mut split = Vec::new();
    for g in before {
        let targets: VecSet<usize> = g.iter().filter_map(|n| ia.get(n).copied()).collect();
        if targets.len() > 1 {
            split.push(GroupChange {
                before: vec![g.clone()],
                after: targets
                    .iter()
                    .filter_map(|&i| after.get(i).cloned())
                    .collect(),
            });
        }
    }
    let mut merged = Vec::new();
    for g in after {
        let sources: VecSet<usize> = g.iter().filter_map(|n| ib.get(n).copied()).collect();
        if sources.len() > 1 {
            merged.push(GroupChange {
                before: sources
                    .iter()
                    .filter_map(|&i| before.get(i).cloned())
                    .collect(),
                after: vec![g.clone()],
            });
        }
    }
    (split, merged)
}

/// What-if: set `dev`'s ACS capability and control, regroup the whole machine from scratch
/// (declaration order), and report which groups split or merged.
pub fn what_if_acs(
    topo: &Topology,
    config: Config,
    dev: &str,
    cap: Option<AcsFlags>,
    ctl: AcsFlags,
) -> Result<GroupDiff, TopologyError> {
    let id = topo
        .lookup(dev)
        .ok_or_else(|| TopologyError::UnknownDevice(dev.to_string()))?;
    let p = topo
        .pci_dev(id)
        .ok_or_else(|| TopologyError::NotPci(dev.to_string()))?;
    let (cap0, ctl0) = (p.acs_cap, p.acs_ctl);
    let mut g0 = Groups::new(config);
    g0.probe_all(topo);
    let mut t1 = topo.clone();
    t1.set_acs(dev, cap, ctl)?;
    let mut g1 = Groups::new(config);
    g1.probe_all(&t1);
    let before = g0.partition();
    let after = g1.partition();
    let (split, merged) = diff_partitions(&before, &after);
    Ok(GroupDiff {
        device: topo.name(id).to_string(),
        acs_cap_before: cap0,
        acs_ctl_before: ctl0,
        acs_cap_after: cap,
        acs_ctl_after: ctl,
        split,
        merged,
        before,
        after,
    })
}

/// What changed when the machine booted with another configuration (the what-if `config`
/// keys: `pcie_acs_override=`, `pci=disable_acs_redir=`, `pci=config_acs=`, `acs-fix`, …).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ConfigDiff {
    /// The ACS command-line parameters before and after (`pcie_acs_override=downstream`;
    /// empty when none).
    pub params_before: String,
    pub params_after: String,
    pub acs_fix_before: bool,
    pub acs_fix_after: bool,
    /// Groups that fell apart into several.
    pub split: Vec<GroupChange>,
    /// Groups formed from several old ones.
    pub merged: Vec<GroupChange>,
    pub before: Vec<Vec<String>>,
    pub after: Vec<Vec<String>>,
}

impl ConfigDiff {
    pub fn is_unchanged(&self) -> bool {
        self.split.is_empty() && self.merged.is_empty()
    }
}

/// What-if: "which groups would split?" Groups the machine from scratch (declaration
/// order) as `topo` and `config` say, then again booted with `params` and `what_if`, and
/// reports which groups split or merged.
pub fn what_if_config(
    topo: &Topology,
    config: Config,
    what_if: Config,
    params: crate::topology::cmdline::AcsParams,
) -> ConfigDiff {
    let mut g0 = Groups::new(config);
    g0.probe_all(topo);
    let mut t1 = topo.clone();
    let params_before = topo.acs_params().to_string();
    t1.set_acs_params(params);
    let mut g1 = Groups::new(what_if);
    g1.probe_all(&t1);
    let before = g0.partition();
    let after = g1.partition();
    let (split, merged) = diff_partitions(&before, &after);
    ConfigDiff {
        params_before,
        params_after: t1.acs_params().to_string(),
        acs_fix_before: config.acs_fix,
        acs_fix_after: what_if.acs_fix,
        split,
        merged,
        before,
        after,
    }
}

#[cfg(test)]
mod real_machines;
#[cfg(test)]
pub(crate) mod tests;
