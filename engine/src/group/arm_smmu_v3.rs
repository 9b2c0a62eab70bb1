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
//! and gets no group (the core takes -ENODEV as "no IOMMU for this device"). That form is
//! from v6.15 (iommu-fixes-v6.15-rc4: Robin Murphy, "iommu/arm-smmu-v3: Fail aliasing
//! StreamIDs more gracefully"; Nicolin Chen, "iommu/arm-smmu-v3: Fix iommu_device_probe bug
//! due to duplicated stream ids"). From v5.14 to v6.14 the same insert printed "stream %u
//! already in tree" and returned -EINVAL, also for a master's own duplicated ID; the model
//! follows v6.15+.
//!
//! A PCI master's fwspec IDs are its DMA aliases in `pci_for_each_dma_alias()` order
//! (`of_pci_iommu_init()` / `iort_pci_iommu_init()`); the model's `iommu-map` is the identity
//! within a PCI segment, each segment at `segment << 16`. Every device behind a PCIe-to-PCI
//! bridge therefore presents the bridge's alias (secondary bus, 00.0): the first one to probe
//! holds it and the others fail. A platform master's IDs are its `sid=` values (SMMUv3 has
//! no stream masks).

use super::{Decision, Groups};
use crate::errno::Errno;
use crate::ids::{DeviceId, IommuId};
use crate::topology::{DeviceKind, Topology};
use std::collections::BTreeMap;

/// Stream-ID bits the model's 2-level stream table covers: STRTAB_SPLIT (8) + 17 bits of
/// L1 index (arm_smmu_init_strtab_2lvl(), v6.12+; v6.8: STRTAB_L1_SZ_SHIFT 20 - 3).
pub const STRTAB_SID_BITS: u32 = 25;

/// `smmu->streams` of one SMMUv3: stream ID → the master holding it.
#[derive(Clone, Debug, Default)]
pub struct StreamTree {
    streams: BTreeMap<u32, DeviceId>,
}

impl StreamTree {
    /// drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c: arm_smmu_insert_master() (v6.17), with
    /// its rollback: on -ENODEV or -ERANGE the IDs inserted so far are erased again. Each
    /// ID first passes arm_smmu_init_sid_strtab() → arm_smmu_sid_in_range(): the model's
    /// SMMUv3 has IDR1.SIDSIZE = 32 and a 2-level stream table, whose L1 is capped at
    /// STRTAB_MAX_L1_ENTRIES (1 << 17) descriptors of 256 STEs, so it covers 25 bits of
    /// stream ID ("2-level strtab only covers 25/32 bits of SID"); a higher ID is -ERANGE.
    fn insert_master(&mut self, dev: DeviceId, sids: &[u32]) -> Result<(), Errno> {
        let mut inserted = Vec::new();
        for &sid in sids {
            if sid >> STRTAB_SID_BITS != 0 {
                for s in inserted {
                    self.streams.remove(&s);
                }
                return Err(Errno::ERANGE);
            }
            match self.streams.get(&sid) {
                // "Bridged PCI devices may end up with duplicated IDs"
                Some(&holder) if holder == dev => {}
                Some(_) => {
                    for s in inserted {
                        self.streams.remove(&s);
                    }
                    return Err(Errno::ENODEV);
                }
                None => {
                    self.streams.insert(sid, dev);
                    inserted.push(sid);
                }
            }
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
        self.smmu_v3
            .entry(iommu)
            .or_default()
            .insert_master(dev, &stream_ids(topo, dev))?;
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

    /// The stream-ID tree of an SMMUv3 instance, once a device behind it has probed.
    pub fn smmu_v3_streams(&self, iommu: IommuId) -> Option<&StreamTree> {
        self.smmu_v3.get(&iommu)
    }
}
