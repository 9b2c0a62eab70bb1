//! Devices as the core sees them: the facts topology and grouping hand over, the bound
//! driver, and what dma-iommu knows of the device.

use super::Core;
use crate::call::Cookie;
use crate::dma::DmaDevice;
use crate::domain::DomainType;
use crate::ids::{DeviceId, DomainId, GroupId, IommuId};
use serde::Serialize;

/// A device as topology and grouping hand it over.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceFacts {
    pub name: String,
    pub is_pci: bool,
    /// A PCI function whose header type is not "normal" (bridge, port): VFIO ≤ v5.18 lets
    /// such devices keep a kernel driver in a viable group.
    pub is_bridge: bool,
    /// `pci_dev->untrusted`.
    pub untrusted: bool,
    pub iommu: IommuId,
    /// The requester/stream ID the IOMMU sees for this device's DMA (after aliasing).
    /// Devices with equal IDs on one IOMMU share one context entry.
    pub requester_id: u32,
    /// `ops->def_domain_type()` demand for this device.
    pub def_domain_type: Option<DomainType>,
    /// `dev->iommu->require_direct`: firmware needs 1:1 (IOMMU_RESV_DIRECT) mappings.
    pub require_direct: bool,
}

impl DeviceFacts {
    /// A device with a unique requester ID and no special needs.
    pub fn new(name: &str, is_pci: bool, iommu: IommuId, requester_id: u32) -> DeviceFacts {
        DeviceFacts {
            name: name.to_string(),
            is_pci,
            is_bridge: false,
            untrusted: false,
            iommu,
            requester_id,
            def_domain_type: None,
            require_direct: false,
        }
    }
}

/// A driver bound to a device.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BoundDriver {
    pub name: String,
    /// `driver_managed_dma`: the driver does not use the DMA API through the default domain.
    pub managed: bool,
}

/// A probed device.
#[derive(Debug)]
pub struct Device {
    pub id: DeviceId,
    pub facts: DeviceFacts,
    pub group: Option<GroupId>,
    pub driver: Option<BoundDriver>,
    /// The domain the IOMMU driver last attached this device to (`ops->attach_dev`).
    pub domain: Option<DomainId>,
    /// The iommufd context this device is bound to (current).
    pub iommufd: Option<Cookie>,
    /// What dma-iommu knows of the device (mask, 32-bit workaround state).
    pub dma: DmaDevice,
}

impl Device {
    /// The default DMA-API facts of a device as probed.
    pub(crate) fn default_dma(is_pci: bool) -> DmaDevice {
        // The driver set a 64-bit mask (dma_set_mask_and_coherent(dev, DMA_BIT_MASK(64))).
        DmaDevice::new(is_pci, u64::MAX)
    }
}

impl Core {
    /// Whether a DMA-API (not `driver_managed_dma`) driver is bound to the device.
    pub fn has_dma_api_driver(&self, dev: DeviceId) -> bool {
        self.devices
            .get(&dev)
            .and_then(|d| d.driver.as_ref())
            .is_some_and(|drv| !drv.managed)
    }
}
