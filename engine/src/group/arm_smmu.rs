//! ARM SMMUv2 stream matching and grouping (drivers/iommu/arm/arm-smmu/arm-smmu.c, v6.8;
//! `arm_smmu_device_group()` re-read in v6.17, the form it has had since v5.8):
//! `arm_smmu_find_sme()`, `arm_smmu_master_alloc_smes()`, `arm_smmu_master_free_smes()`,
//! `arm_smmu_device_group()`. Stream IDs and masks are 16 bits (`ARM_SMMU_SMR_ID`,
//! `ARM_SMMU_SMR_MASK`); the model's SMMU implements all of them.

use super::{Decision, GroupReason, Groups};
use crate::errno::Errno;
use crate::ids::{DeviceId, GroupId, IommuId};
use crate::topology::{DeviceKind, StreamId, Topology};
use crate::vec_map::VecMap;

/// One Stream Match Register (`struct arm_smmu_smr`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Smr {
    id: u16,
    mask: u16,
    valid: bool,
}

/// One Stream-to-Context register's bookkeeping (`struct arm_smmu_s2cr`: `count`, `group`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct S2cr {
    count: u32,
    group: Option<GroupId>,
}

/// Per-SMMU stream map state.
#[derive(Clone, Debug)]
pub struct SmmuState {
    smrs: Vec<Smr>,
    s2crs: Vec<S2cr>,
    /// `cfg->smendx[]` per master.
    smendx: VecMap<DeviceId, Vec<usize>>,
}

impl SmmuState {
    pub fn new(num_mapping_groups: u32) -> Self {
        let n = num_mapping_groups as usize;
        SmmuState {
            smrs: vec![
                Smr {
                    id: 0,
                    mask: 0,
                    valid: false
                };
                n
            ],
            s2crs: vec![S2cr::default(); n],
            smendx: VecMap::new(),
        }
    }

    /// drivers/iommu/arm/arm-smmu/arm-smmu.c: arm_smmu_find_sme() (v6.8): an SMR that
    /// entirely covers (id, mask) is reused; any other overlap is -EINVAL; else the first
    /// free entry; none → -ENOSPC.
    pub fn find_sme(&self, id: u16, mask: u16) -> Result<usize, Errno> {
        let mut free = None;
        for (i, s) in self.smrs.iter().enumerate() {
            if !s.valid {
                if free.is_none() {
                    free = Some(i);
                }
                continue;
            }
            if (mask & s.mask) == mask && ((id ^ s.id) & !s.mask) == 0 {
                return Ok(i);
            }
            if ((id ^ s.id) & !(s.mask | mask)) == 0 {
                return Err(Errno::EINVAL);
            }
        }
        free.ok_or(Errno::ENOSPC)
    }

    /// drivers/iommu/arm/arm-smmu/arm-smmu.c: arm_smmu_master_alloc_smes() (v6.8), with its
    /// rollback on error.
    pub(super) fn alloc_smes(&mut self, topo: &Topology, dev: DeviceId) -> Result<(), Errno> {
        if self.smendx.contains_key(&dev) {
            return Err(Errno::EEXIST);
        }
        let ids = stream_ids(topo, dev);
        let mut taken: Vec<usize> = Vec::new();
        for sid in ids {
            // SMR IDs are 16 bits: add_platform() refused wider ones behind an SMMUv2, and
            // a PCI alias is a 16-bit RID.
            let id = u16::try_from(sid.id).unwrap_or(u16::MAX);
            match self.find_sme(id, sid.mask) {
                Ok(idx) => {
                    let (Some(s2cr), Some(smr)) = (self.s2crs.get_mut(idx), self.smrs.get_mut(idx))
                    else {
                        return Err(Errno::EINVAL);
                    };
                    if s2cr.count == 0 {
                        *smr = Smr {
                            id,
                            mask: sid.mask,
                            valid: true,
                        };
                    }
                    s2cr.count += 1;
                    taken.push(idx);
                }
                Err(e) => {
                    for idx in taken {
                        self.free_sme(idx);
                    }
                    return Err(e);
                }
            }
        }
        self.smendx.insert(dev, taken);
        Ok(())
    }

    /// arm_smmu_free_sme(): drop a reference; the last one invalidates the SMR and resets
    /// the S2CR (group pointer included).
    fn free_sme(&mut self, idx: usize) {
        if let Some(s2cr) = self.s2crs.get_mut(idx) {
            s2cr.count = s2cr.count.saturating_sub(1);
            if s2cr.count == 0 {
                *s2cr = S2cr::default();
                if let Some(smr) = self.smrs.get_mut(idx) {
                    smr.valid = false;
                }
            }
        }
    }

    /// drivers/iommu/arm/arm-smmu/arm-smmu.c: arm_smmu_master_free_smes() (v6.8).
    pub(super) fn free_smes(&mut self, dev: DeviceId) {
        if let Some(idxs) = self.smendx.remove(&dev) {
            for idx in idxs {
                self.free_sme(idx);
            }
        }
    }

    /// The tail of arm_smmu_device_group(): "Remember group for faster lookups" (only on the
    /// path that asked `pci_device_group()`/`generic_device_group()`; see
    /// [`Groups::arm_smmu_remember_group`]).
    fn record_group(&mut self, dev: DeviceId, g: GroupId) {
        if let Some(idxs) = self.smendx.get(&dev) {
            for &idx in idxs {
                if let Some(s) = self.s2crs.get_mut(idx) {
                    s.group = Some(g);
                }
            }
        }
    }

    /// The valid SMR at `idx`, as (id, mask).
    pub fn smr(&self, idx: usize) -> Option<(u16, u16)> {
        self.smrs
            .get(idx)
            .filter(|s| s.valid)
            .map(|s| (s.id, s.mask))
    }
}

/// The device's `iommu_fwspec` IDs: a platform device's declared stream IDs; a PCI device's
/// DMA alias RIDs in `pci_for_each_dma_alias()` order (of_pci_iommu_init(), identity map).
fn stream_ids(topo: &Topology, dev: DeviceId) -> Vec<StreamId> {
    match topo.device(dev).map(|d| &d.kind) {
        // add_platform() kept SMMUv2 IDs to the 16-bit SMR field.
        Some(DeviceKind::Platform(p)) => p.sids.clone(),
        Some(DeviceKind::Pci(_)) => topo
            .pci_dma_aliases(dev)
            .into_iter()
            .map(|a| StreamId {
                id: u32::from(a.rid.0),
                mask: 0,
            })
            .collect(),
        None => Vec::new(),
    }
}

impl Groups {
    /// drivers/iommu/arm/arm-smmu/arm-smmu.c: arm_smmu_device_group(), as since v5.8 (read in
    /// v6.17): the loop over the master's stream map entries keeps the *last* SME's group (an
    /// SME without a group after one with a group resets the candidate, faithfully
    /// reproduced); a group found there is returned at once (`iommu_group_ref_get()`); only
    /// otherwise is the bus's `device_group` asked and the result remembered in every entry
    /// ([`Groups::arm_smmu_remember_group`]).
    pub(super) fn arm_smmu_device_group(
        &mut self,
        topo: &Topology,
        dev: DeviceId,
        iommu: IommuId,
    ) -> Result<Decision, Errno> {
        let mut found: Option<(GroupId, usize)> = None;
        if let Some(st) = self.smmu.get(&iommu) {
            for &idx in st.smendx.get(&dev).map(|v| v.as_slice()).unwrap_or(&[]) {
                let sg = st.s2crs.get(idx).and_then(|s| s.group);
                if let (Some((g, _)), Some(s)) = (found, sg) {
                    if g != s {
                        return Err(Errno::EINVAL);
                    }
                }
                found = sg.map(|g| (g, idx));
            }
            if let Some((g, idx)) = found {
                let (sid, mask) = st.smr(idx).unwrap_or((0, 0));
                return Ok(Decision::Existing(
                    g,
                    GroupReason::SharedSme {
                        index: idx as u32,
                        sid,
                        mask,
                    },
                ));
            }
        }
        self.default_device_group(topo, dev)
    }

    /// The tail of drivers/iommu/arm/arm-smmu/arm-smmu.c: arm_smmu_device_group() (v5.8+,
    /// read in v6.17), once the core has the group:
    ///
    /// ```c
    /// if (group) {
    ///         mutex_unlock(&smmu->stream_map_mutex);
    ///         return iommu_group_ref_get(group);
    /// }
    /// ... group = pci_device_group(dev) / generic_device_group(dev) ...
    /// /* Remember group for faster lookups */
    /// if (!IS_ERR(group))
    ///         for_each_cfg_sme(cfg, fwspec, i, idx)
    ///                 smmu->s2crs[idx].group = group;
    /// ```
    ///
    /// A group found through a shared stream map entry is *not* written into the master's
    /// other entries, so a later master matching only one of those entries finds no group
    /// there and gets its own. (Before v5.8, arm_smmu_master_alloc_smes() wrote the group
    /// into every entry after `iommu_group_get_for_dev()`, whichever way it was found.)
    pub(super) fn arm_smmu_remember_group(
        &mut self,
        iommu: IommuId,
        dev: DeviceId,
        g: GroupId,
        reason: &GroupReason,
    ) {
        if matches!(reason, GroupReason::SharedSme { .. }) {
            return;
        }
        if let Some(st) = self.smmu.get_mut(&iommu) {
            st.record_group(dev, g);
        }
    }

    /// The SMMUv2 state of an IOMMU instance, once a device behind it has probed.
    pub fn smmu_state(&self, iommu: IommuId) -> Option<&SmmuState> {
        self.smmu.get(&iommu)
    }
}
