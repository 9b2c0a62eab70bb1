//! The calls a scenario makes on the attach/ownership model (shared/SCENARIO.md "Calls"),
//! already resolved to ids by the scenario runner. [`crate::iommu::Kernel::call`] runs one.

use crate::dma::DmaDirection;
use crate::ids::{DeviceId, DomainId, GroupId, IommuId};
use crate::pgtable::Prot;
use serde::{Deserialize, Serialize};
use std::fmt;

/// An opaque owner cookie (`void *owner`): VFIO's group file, an iommufd context, a driver.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Cookie(pub String);

impl fmt::Display for Cookie {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The v4 proposal's `enum iommu_dma_owner` (generation `shared`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum DmaOwnerType {
    #[default]
    None,
    DmaApi,
    PrivateDomain,
    PrivateDomainUser,
}

impl DmaOwnerType {
    /// The kernel's enumerator name.
    pub const fn name(self) -> &'static str {
        match self {
            DmaOwnerType::None => "DMA_OWNER_NONE",
            DmaOwnerType::DmaApi => "DMA_OWNER_DMA_API",
            DmaOwnerType::PrivateDomain => "DMA_OWNER_PRIVATE_DOMAIN",
            DmaOwnerType::PrivateDomainUser => "DMA_OWNER_PRIVATE_DOMAIN_USER",
        }
    }

    /// Every owner type, in the kernel's order.
    pub const ALL: [DmaOwnerType; 4] = [
        DmaOwnerType::None,
        DmaOwnerType::DmaApi,
        DmaOwnerType::PrivateDomain,
        DmaOwnerType::PrivateDomainUser,
    ];

    /// The owner type a scenario names by its enumerator (`DMA_OWNER_PRIVATE_DOMAIN`).
    pub fn from_keyword(s: &str) -> Option<DmaOwnerType> {
        DmaOwnerType::ALL.into_iter().find(|d| d.name() == s)
    }
}

/// One call. Cookies are `None` where the scenario passes `NULL`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "call", rename_all = "snake_case")]
pub enum Call {
    /// `bind DEV DRIVER [managed]`: sysfs bind → really_probe.
    Bind {
        dev: DeviceId,
        driver: String,
        /// `driver_managed_dma` (also implied by vfio-pci, vfio-platform, pci-stub, pcieport).
        managed: bool,
    },
    /// `unbind DEV`.
    Unbind {
        dev: DeviceId,
    },
    IommuDomainAlloc {
        iommu: IommuId,
    },
    IommuPagingDomainAlloc {
        dev: DeviceId,
    },
    IommuDomainFree {
        domain: DomainId,
    },
    IommuAttachDevice {
        domain: DomainId,
        dev: DeviceId,
    },
    IommuDetachDevice {
        domain: DomainId,
        dev: DeviceId,
    },
    IommuAttachGroup {
        domain: DomainId,
        group: GroupId,
    },
    IommuDetachGroup {
        domain: DomainId,
        group: GroupId,
    },
    IommuAttachDeviceShared {
        domain: DomainId,
        dev: DeviceId,
    },
    IommuDetachDeviceShared {
        domain: DomainId,
        dev: DeviceId,
    },
    IommuDeviceSetDmaOwner {
        dev: DeviceId,
        owner: DmaOwnerType,
        cookie: Option<Cookie>,
    },
    /// `iommu_device_release_dma_owner(dev, type)` (shared) or `(dev)` (current).
    IommuDeviceReleaseDmaOwner {
        dev: DeviceId,
        owner: Option<DmaOwnerType>,
    },
    IommuGroupClaimDmaOwner {
        group: GroupId,
        cookie: Option<Cookie>,
    },
    IommuGroupReleaseDmaOwner {
        group: GroupId,
    },
    IommuDeviceClaimDmaOwner {
        dev: DeviceId,
        cookie: Option<Cookie>,
    },
    IommuDeviceUseDefaultDomain {
        dev: DeviceId,
    },
    IommuDeviceUnuseDefaultDomain {
        dev: DeviceId,
    },
    IommuGroupReplaceDomain {
        group: GroupId,
        domain: Option<DomainId>,
    },
    VfioGroupSetContainer {
        group: GroupId,
        container: Cookie,
    },
    VfioGroupUnsetContainer {
        group: GroupId,
    },
    IommufdDeviceBind {
        dev: DeviceId,
        ictx: Cookie,
    },
    IommufdDeviceUnbind {
        dev: DeviceId,
    },
    /// The device issues one DMA access; returns the PA reached or -EFAULT.
    DeviceDma {
        dev: DeviceId,
        iova: u64,
        write: bool,
    },
    /// `iommu_map(domain, iova, paddr, size, prot, GFP_KERNEL)`: 0 or an errno.
    IommuMap {
        domain: DomainId,
        iova: u64,
        paddr: u64,
        size: u64,
        prot: Prot,
    },
    /// `iommu_unmap(domain, iova, size)`: the bytes unmapped ([`crate::Ret::Value`]).
    IommuUnmap {
        domain: DomainId,
        iova: u64,
        size: u64,
    },
    /// `iommu_iova_to_phys(domain, iova)`: the PA ([`crate::Ret::Value`]), 0 if unmapped.
    IommuIovaToPhys {
        domain: DomainId,
        iova: u64,
    },
    /// `iommu_flush_iotlb_all(domain)`.
    IommuFlushIotlbAll {
        domain: DomainId,
    },
    /// `dma_map_page(dev, page, offset, size, dir)` with `phys = page_to_phys(page) +
    /// offset`, run on simulated CPU `cpu`: the DMA address or `DMA_MAPPING_ERROR`.
    DmaMapPage {
        dev: DeviceId,
        phys: u64,
        size: u64,
        dir: DmaDirection,
        cpu: usize,
    },
    /// `dma_unmap_page(dev, addr, size, dir)` on simulated CPU `cpu`.
    DmaUnmapPage {
        dev: DeviceId,
        iova: u64,
        size: u64,
        dir: DmaDirection,
        cpu: usize,
    },
    /// `tick`: `ns` nanoseconds pass; flush-queue timers and the rcache depot work run.
    Tick {
        ns: u64,
    },
}

impl Call {
    /// The kernel (or scenario) name of the call.
    pub const fn name(&self) -> &'static str {
        match self {
            Call::Bind { .. } => "bind",
            Call::Unbind { .. } => "unbind",
            Call::IommuDomainAlloc { .. } => "iommu_domain_alloc",
            Call::IommuPagingDomainAlloc { .. } => "iommu_paging_domain_alloc",
            Call::IommuDomainFree { .. } => "iommu_domain_free",
            Call::IommuAttachDevice { .. } => "iommu_attach_device",
            Call::IommuDetachDevice { .. } => "iommu_detach_device",
            Call::IommuAttachGroup { .. } => "iommu_attach_group",
            Call::IommuDetachGroup { .. } => "iommu_detach_group",
            Call::IommuAttachDeviceShared { .. } => "iommu_attach_device_shared",
            Call::IommuDetachDeviceShared { .. } => "iommu_detach_device_shared",
            Call::IommuDeviceSetDmaOwner { .. } => "iommu_device_set_dma_owner",
            Call::IommuDeviceReleaseDmaOwner { .. } => "iommu_device_release_dma_owner",
            Call::IommuGroupClaimDmaOwner { .. } => "iommu_group_claim_dma_owner",
            Call::IommuGroupReleaseDmaOwner { .. } => "iommu_group_release_dma_owner",
            Call::IommuDeviceClaimDmaOwner { .. } => "iommu_device_claim_dma_owner",
            Call::IommuDeviceUseDefaultDomain { .. } => "iommu_device_use_default_domain",
            Call::IommuDeviceUnuseDefaultDomain { .. } => "iommu_device_unuse_default_domain",
            Call::IommuGroupReplaceDomain { .. } => "iommu_group_replace_domain",
            Call::VfioGroupSetContainer { .. } => "vfio_group_set_container",
            Call::VfioGroupUnsetContainer { .. } => "vfio_group_unset_container",
            Call::IommufdDeviceBind { .. } => "iommufd_device_bind",
            Call::IommufdDeviceUnbind { .. } => "iommufd_device_unbind",
            Call::DeviceDma { .. } => "device_dma",
            Call::IommuMap { .. } => "iommu_map",
            Call::IommuUnmap { .. } => "iommu_unmap",
            Call::IommuIovaToPhys { .. } => "iommu_iova_to_phys",
            Call::IommuFlushIotlbAll { .. } => "iommu_flush_iotlb_all",
            Call::DmaMapPage { .. } => "dma_map_page",
            Call::DmaUnmapPage { .. } => "dma_unmap_page",
            Call::Tick { .. } => "tick",
        }
    }
}

/// drivers/vfio/pci/vfio_pci.c, drivers/vfio/platform, drivers/pci/pci-stub.c,
/// drivers/pci/pcie/portdrv.c: the drivers that set `driver_managed_dma` (v5.19+) or
/// `suppress_auto_claim_dma_owner` (v4 proposal).
pub fn driver_is_managed_by_name(driver: &str) -> bool {
    matches!(
        driver,
        "vfio-pci" | "vfio-platform" | "pci-stub" | "pcieport"
    )
}

/// VFIO's own devices: their drivers register with VFIO (`vfio_register_group_dev`).
pub fn driver_is_vfio(driver: &str) -> bool {
    matches!(driver, "vfio-pci" | "vfio-platform")
}
