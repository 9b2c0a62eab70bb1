//! Platform devices: stream IDs as the firmware's `iommus = <&smmu SID MASK>` gives them.

use super::{DeclaredDevice, DeviceKind, IommuKind, Topology, TopologyError};
use crate::ids::DeviceId;
use serde::Serialize;
use std::fmt;

/// One (stream ID, SMR mask) pair of a device's `iommu_fwspec`
/// (drivers/iommu/arm/arm-smmu/arm-smmu.c: `ARM_SMMU_SMR_ID`/`ARM_SMMU_SMR_MASK` fields,
/// 16 bits each on an SMMUv2). On an SMMUv3 the ID is the full 32-bit fwspec ID
/// (IDR1.SIDSIZE up to 32, arm-smmu-v3.c) and there is no mask.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct StreamId {
    pub id: u32,
    pub mask: u16,
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sid 0x{:x} mask 0x{:x}", self.id, self.mask)
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

/// A platform device behind an IOMMU.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PlatformDev {
    pub sids: Vec<StreamId>,
}

impl Topology {
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
        // SMMUv2 SMRs hold 16-bit IDs and masks; SMMUv3 stream IDs are 32-bit (no mask).
        let id_max = if kind == IommuKind::ArmSmmuV3 {
            u32::MAX
        } else {
            0xffff
        };
        for &(sid, mask) in &spec.sids {
            let Ok(mask16) = u16::try_from(mask) else {
                return Err(TopologyError::StreamIdRange {
                    dev: spec.name,
                    sid,
                    mask,
                });
            };
            if sid > id_max {
                return Err(TopologyError::StreamIdRange {
                    dev: spec.name,
                    sid,
                    mask,
                });
            }
            sids.push(StreamId {
                id: sid,
                mask: mask16,
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
        self.devices.push(Some(DeclaredDevice {
            id,
            name: spec.name,
            iommu: Some(iommu),
            kind: DeviceKind::Platform(PlatformDev { sids }),
        }));
        Ok(id)
    }
}
