//! ARM SMMUv3 masters and their stream IDs (drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c,
//! read in v6.17): `arm_smmu_probe_device()` → `arm_smmu_insert_master()` puts every stream
//! ID of the master's `iommu_fwspec` into the SMMU's stream-ID tree (`smmu->streams`, an
//! rbtree since v5.14); `arm_smmu_release_device()` → `arm_smmu_remove_master()` takes them
//! out; `arm_smmu_device_group()` is `pci_device_group()` for PCI, else
//! `generic_device_group()`.
//!
//! A stream ID belongs to one master. In v6.17 `arm_smmu_insert_master()` reads:
//!
//! ```c
//! existing = rb_find_add(&new_stream->node, &smmu->streams, arm_smmu_streams_cmp_node);
//! if (existing) {
//!         ...
//!         /* Bridged PCI devices may end up with duplicated IDs */
//!         if (existing_master == master)
//!                 continue;
//!
//!         dev_warn(master->dev,
//!                  "Aliasing StreamID 0x%x (from %s) unsupported, expect DMA to be broken\n",
//!                  sid, dev_name(existing_master->dev));
//!         ret = -ENODEV;
//!         break;
//! }
//! ```
//!
//! so a second master presenting an ID another master holds fails its probe with -ENODEV
//! and gets no group (the core takes -ENODEV as "no IOMMU for this device"). Which rule
//! applies depends on the kernel, so on the era ([`StreamIdRule::of_era`]):
//!
//! - before v5.14 (`legacy`): no stream-ID tree. Every master probes; masters sharing an ID
//!   write the same STE ("iommu/arm-smmu-v3: Cope with duplicated Stream IDs", 563b5cbe334e)
//!   and PCI ones share the alias's group anyway.
//! - v5.14 to v6.14 (`singleton` v5.18, `shared` and `unified` on v5.16, `v5.19`): cdf315f907d4
//!   ("iommu/arm-smmu-v3: Maintain a SID->device structure", v5.14) added the tree, and a
//!   duplicate ID, *also one the same master presents twice*, fails the probe with -EINVAL
//!   after `dev_warn(master->dev, "stream %u already in tree\n", sid)`. A device right behind
//!   a PCIe-to-PCI bridge (secondary bus, 00.0) presents its own RID twice, once as the
//!   bridge's alias, so it too loses its IOMMU ("this has been failing the
//!   iommu_device_probe() since 2021", Nicolin Chen, "iommu/arm-smmu-v3: Fix iommu_device_probe
//!   bug due to duplicated stream ids", v6.15-rc, Cc stable: the 6.1/6.6/6.12 stable trees
//!   later took it, v5.19 and v6.8 never did).
//! - v6.15+ (`current`, whose drivers the model follows as of v6.17): the master's own
//!   duplicates are skipped ("Bridged PCI devices may end up with duplicated IDs") and an ID
//!   another master holds is -ENODEV with the warning above (Robin Murphy, "iommu/arm-smmu-v3:
//!   Fail aliasing StreamIDs more gracefully", iommu-fixes-v6.15-rc4).
//!
//! A PCI master's fwspec IDs are its DMA aliases in `pci_for_each_dma_alias()` order
//! (`of_pci_iommu_init()` / `iort_pci_iommu_init()`); the model's `iommu-map` is the identity
//! within a PCI segment, each segment at `segment << 16`. Every device behind a PCIe-to-PCI
//! bridge therefore presents the bridge's alias (secondary bus, 00.0): the first one to probe
//! holds it and the others fail. A platform master's IDs are its `sid=` values (SMMUv3 has
//! no stream masks).

use super::{Decision, Groups};
use crate::era::Era;
use crate::errno::Errno;
use crate::ids::{DeviceId, IommuId};
use crate::topology::{DeviceKind, Topology};
use crate::vec_map::VecMap;

/// Stream-ID bits the model's 2-level stream table covers: STRTAB_SPLIT (8) + 17 bits of
/// L1 index (arm_smmu_init_strtab_2lvl(), v6.12+; v6.8: STRTAB_L1_SZ_SHIFT 20 - 3).
pub const STRTAB_SID_BITS: u32 = 25;

/// What `arm_smmu_insert_master()` does with a stream ID already in the tree, by kernel
/// version (the module doc has the commits).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StreamIdRule {
    /// Before v5.14: there is no tree; masters may share IDs.
    Untracked,
    /// v5.14 to v6.14: any ID already in the tree, even the master's own, is -EINVAL
    /// ("stream %u already in tree").
    TreeEinval,
    /// v6.15+: the master's own duplicates are skipped; another master's ID is -ENODEV
    /// ("Aliasing StreamID 0x%x (from %s) unsupported, expect DMA to be broken").
    #[default]
    AliasEnodev,
}

impl StreamIdRule {
    /// The rule of the kernel an era's SMMUv3 driver comes from: `legacy` predates the tree,
    /// `singleton` to `v5.19` are v5.16 to v5.19 kernels, `current` follows today's driver.
    pub fn of_era(era: Era) -> StreamIdRule {
        match era {
            Era::Legacy => StreamIdRule::Untracked,
            Era::Singleton | Era::Shared | Era::Unified | Era::V5_19 => StreamIdRule::TreeEinval,
            Era::Current => StreamIdRule::AliasEnodev,
        }
    }
}

/// Why `arm_smmu_insert_master()` refused a master: what the probe failure shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InsertFailure {
    pub errno: Errno,
    /// The stream ID that failed.
    pub sid: u32,
    /// The master already holding it (the failing master itself for a v5.14–v6.14 own
    /// duplicate); `None` for -ERANGE.
    pub holder: Option<DeviceId>,
    pub rule: StreamIdRule,
}

impl InsertFailure {
    /// The driver's `dev_warn()` line, as the era's kernel prints it (`None`: silent).
    pub fn notice(&self, name: impl Fn(DeviceId) -> String) -> Option<String> {
        let holder = self.holder?;
        match self.rule {
            StreamIdRule::Untracked => None,
            StreamIdRule::TreeEinval => Some(format!("stream {} already in tree", self.sid)),
            StreamIdRule::AliasEnodev => Some(format!(
                "Aliasing StreamID {:#x} (from {}) unsupported, expect DMA to be broken",
                self.sid,
                name(holder)
            )),
        }
    }
}

/// `smmu->streams` of one SMMUv3: stream ID → the master holding it.
#[derive(Clone, Debug, Default)]
pub struct StreamTree {
    streams: VecMap<u32, DeviceId>,
}

impl StreamTree {
    /// drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c: arm_smmu_insert_master() (v6.17; v5.14
    /// to v6.14 under [`StreamIdRule::TreeEinval`]), with its rollback: on an error the IDs
    /// inserted so far are erased again. Each ID first passes arm_smmu_init_sid_strtab() →
    /// arm_smmu_sid_in_range(): the model's SMMUv3 has IDR1.SIDSIZE = 32 and a 2-level
    /// stream table, whose L1 is capped at STRTAB_MAX_L1_ENTRIES (1 << 17) descriptors of
    /// 256 STEs, so it covers 25 bits of stream ID ("2-level strtab only covers 25/32 bits of
    /// SID"); a higher ID is -ERANGE (checked in every version with the tree).
    fn insert_master(
        &mut self,
        dev: DeviceId,
        sids: &[u32],
        rule: StreamIdRule,
    ) -> Result<(), InsertFailure> {
        let mut inserted = Vec::new();
        for &sid in sids {
            let (errno, holder) = match self.streams.get(&sid) {
                _ if sid >> STRTAB_SID_BITS != 0 => (Errno::ERANGE, None),
                // Before v5.14 nothing is checked: the first master is recorded as holder.
                _ if rule == StreamIdRule::Untracked => {
                    self.streams.entry(sid).or_insert(dev);
                    continue;
                }
                None => {
                    self.streams.insert(sid, dev);
                    inserted.push(sid);
                    continue;
                }
                // v6.15+: "Bridged PCI devices may end up with duplicated IDs"
                Some(&holder) if holder == dev && rule == StreamIdRule::AliasEnodev => continue,
                Some(_) if rule == StreamIdRule::AliasEnodev => (Errno::ENODEV, Some(dev)),
                Some(_) => (Errno::EINVAL, Some(dev)),
            };
            let holder = holder.and(self.streams.get(&sid).copied());
            for s in inserted {
                self.streams.remove(&s);
            }
            return Err(InsertFailure {
                errno,
                sid,
                holder,
                rule,
            });
        }
        Ok(())
    }

    /// drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c: arm_smmu_remove_master() (v6.17).
    fn remove_master(&mut self, dev: DeviceId) {
        self.streams.retain(|_, holder| *holder != dev);
    }

    /// The master holding a stream ID.
    pub fn holder(&self, sid: u32) -> Option<DeviceId> {
        self.streams.get(&sid).copied()
    }
}

/// The master's `iommu_fwspec` IDs on an SMMUv3 (see the module doc).
pub fn stream_ids(topo: &Topology, dev: DeviceId) -> Vec<u32> {
    match topo.device(dev).map(|d| &d.kind) {
        Some(DeviceKind::Platform(p)) => p.sids.iter().map(|s| s.id).collect(),
        Some(DeviceKind::Pci(_)) => topo
            .pci_dma_aliases(dev)
            .into_iter()
            .map(|a| {
                let seg = topo.pci_dev(a.dev).map_or(0, |p| p.bdf.segment);
                (u32::from(seg) << 16) | u32::from(a.rid.0)
            })
            .collect(),
        None => Vec::new(),
    }
}

impl Groups {
    /// drivers/iommu/iommu.c: __iommu_probe_device() on an SMMUv3 (v6.17):
    /// `ops->probe_device()` (arm_smmu_probe_device() → arm_smmu_insert_master()), then
    /// `ops->device_group()` (arm_smmu_device_group()); when grouping fails the core calls
    /// `ops->release_device()`, which removes the master's stream IDs again.
    pub(super) fn arm_smmu_v3_probe(
        &mut self,
        topo: &Topology,
        dev: DeviceId,
        iommu: IommuId,
    ) -> Result<Decision, Errno> {
        let rule = self.smmu_v3_rule;
        if let Err(f) =
            self.smmu_v3
                .entry(iommu)
                .or_default()
                .insert_master(dev, &stream_ids(topo, dev), rule)
        {
            let errno = f.errno;
            self.probe_failure = Some((dev, f));
            return Err(errno);
        }
        self.default_device_group(topo, dev).inspect_err(|_| {
            if let Some(tree) = self.smmu_v3.get_mut(&iommu) {
                tree.remove_master(dev);
            }
        })
    }

    /// arm_smmu_release_device() → arm_smmu_remove_master() (v6.17) on every SMMUv3.
    pub(super) fn arm_smmu_v3_release(&mut self, dev: DeviceId) {
        for tree in self.smmu_v3.values_mut() {
            tree.remove_master(dev);
        }
    }

    /// Why the last failed probe of `dev` failed in `arm_smmu_insert_master()`, once (the
    /// runner turns it into the trace's nested call and notice).
    pub fn take_probe_failure(&mut self, dev: DeviceId) -> Option<InsertFailure> {
        match self.probe_failure.take() {
            Some((d, f)) if d == dev => Some(f),
            _ => None,
        }
    }

    /// The stream-ID tree of an SMMUv3 instance, once a device behind it has probed.
    pub fn smmu_v3_streams(&self, iommu: IommuId) -> Option<&StreamTree> {
        self.smmu_v3.get(&iommu)
    }
}
