//! Platform devices: stream IDs as the firmware's `iommus = <&smmu SID MASK>` gives them.

use serde::Serialize;
use std::fmt;

/// One (stream ID, SMR mask) pair of a device's `iommu_fwspec`
/// (drivers/iommu/arm/arm-smmu/arm-smmu.c: `ARM_SMMU_SMR_ID`/`ARM_SMMU_SMR_MASK` fields).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct StreamId {
    pub id: u16,
    pub mask: u16,
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sid 0x{:x} mask 0x{:x}", self.id, self.mask)
    }
}
