//! `struct iommu_domain`: types, geometry, page-size bitmap, default-domain type selection
//! (shared/MODEL.md §2). A paging domain owns its page table ([`crate::mapping::KernelPaging`])
//! and a default DMA domain its dma-iommu cookie.

use crate::dma::DmaCookie;
use crate::ids::{DomainId, IommuId};
use crate::mapping::KernelPaging;
use serde::{Deserialize, Serialize};
use std::fmt;

/// `include/linux/iommu.h`: `IOMMU_DOMAIN_*` (type bits PAGING=1, DMA_API=2, PT=4, FQ=8,
/// SVA=16, PLATFORM=32, NESTED=64).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DomainType {
    /// `IOMMU_DOMAIN_BLOCKED` (0): all DMA faults.
    Blocked,
    /// `IOMMU_DOMAIN_IDENTITY` (PT): IOVA == PA.
    Identity,
    /// `IOMMU_DOMAIN_UNMANAGED` (PAGING): owned by an API user (VFIO, a driver).
    Unmanaged,
    /// `IOMMU_DOMAIN_DMA` (PAGING|DMA_API): the strict default domain.
    Dma,
    /// `IOMMU_DOMAIN_DMA_FQ` (DMA|FQ): the lazy default domain.
    DmaFq,
    /// `IOMMU_DOMAIN_SVA`: named only, not modelled.
    Sva,
    /// `IOMMU_DOMAIN_NESTED`: named only, not modelled.
    Nested,
}

impl DomainType {
    /// The kernel's bit value.
    pub const fn bits(self) -> u32 {
        match self {
            DomainType::Blocked => 0,
            DomainType::Identity => 4,
            DomainType::Unmanaged => 1,
            DomainType::Dma => 1 | 2,
            DomainType::DmaFq => 1 | 2 | 8,
            DomainType::Sva => 16,
            DomainType::Nested => 64,
        }
    }

    /// `__IOMMU_DOMAIN_PAGING`: only these accept map/unmap.
    pub const fn is_paging(self) -> bool {
        self.bits() & 1 != 0
    }

    /// The kernel's name (`/sys/kernel/iommu_groups/N/type` spelling where one exists).
    pub const fn name(self) -> &'static str {
        match self {
            DomainType::Blocked => "BLOCKED",
            DomainType::Identity => "IDENTITY",
            DomainType::Unmanaged => "UNMANAGED",
            DomainType::Dma => "DMA",
            DomainType::DmaFq => "DMA_FQ",
            DomainType::Sva => "SVA",
            DomainType::Nested => "NESTED",
        }
    }
}

impl fmt::Display for DomainType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `struct iommu_domain_geometry`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Geometry {
    pub aperture_start: u64,
    pub aperture_end: u64,
    pub force_aperture: bool,
}

/// Why a domain exists: the UI labels domains by role (`default`, `blocking`, `d1`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DomainRole {
    /// A group's default domain.
    Default,
    /// A group's blocking domain (v5.19+).
    Blocking,
    /// Allocated by a caller (`iommu_domain_alloc`, VFIO type1, ...).
    User,
}

/// `struct iommu_domain`.
#[derive(Debug)]
pub struct Domain {
    pub id: DomainId,
    pub ty: DomainType,
    /// `domain->owner`: the IOMMU (ops) that allocated it.
    pub iommu: IommuId,
    pub role: DomainRole,
    pub geometry: Geometry,
    pub pgsize_bitmap: u64,
    /// `iommu_domain_free()` was called: any later use is a use-after-free.
    pub freed: bool,
    /// The page table, IOTLB and counters of a paging domain (UNMANAGED, DMA, DMA_FQ);
    /// `None` for BLOCKED and IDENTITY.
    pub paging: Option<Box<KernelPaging>>,
    /// `domain->iova_cookie` of a DMA or DMA_FQ domain (drivers/iommu/dma-iommu.c:
    /// iommu_get_dma_cookie() + iommu_dma_init_domain(), v6.8): the IOVA allocator, its
    /// rcache and, for DMA_FQ, the flush queue.
    pub cookie: Option<Box<DmaCookie>>,
}

/// drivers/iommu/io-pgtable-arm.c: `arm_lpae_restrict_pgsizes()` (v6.12): the bitmap is
/// cut to one granule and the block sizes it allows.
pub fn pgsize_bitmap_for_granule(granule: u64) -> u64 {
    match granule {
        0x4000 => 0x4000 | (32 << 20),
        0x1_0000 => 0x1_0000 | (512 << 20),
        _ => 0x1000 | (2 << 20) | (1 << 30),
    }
}

/// The aperture an LPAE stage-1 table of `ias` input bits covers.
pub fn geometry_for_ias(ias: u32) -> Geometry {
    let end = if ias >= 64 {
        u64::MAX
    } else {
        (1u64 << ias).wrapping_sub(1)
    };
    Geometry {
        aperture_start: 0,
        aperture_end: end,
        force_aperture: true,
    }
}

/// Facts the default-domain choice depends on, one per group member.
#[derive(Clone, Copy, Debug, Default)]
pub struct DefaultDomainInputs {
    /// `ops->def_domain_type(dev)`: a per-device demand.
    pub demand: Option<DomainType>,
    /// `pci_dev->untrusted` (external-facing port): forces DMA.
    pub untrusted: bool,
}

/// drivers/iommu/iommu.c: `iommu_get_def_domain_type()` + `iommu_get_default_domain_type()`
/// + `iommu_dma_init_fq()` fallback (v6.8). Boot default from `passthrough`/`strict`;
///   an untrusted device forces DMA; a device demand wins otherwise (IDENTITY wins a
///   conflict); DMA_FQ falls back to DMA without `IOMMU_CAP_DEFERRED_FLUSH`.
pub fn default_domain_type(
    strict: bool,
    passthrough: bool,
    deferred_flush: bool,
    devices: &[DefaultDomainInputs],
) -> DomainType {
    let boot = if passthrough {
        DomainType::Identity
    } else if strict {
        DomainType::Dma
    } else {
        DomainType::DmaFq
    };
    let mut ty = boot;
    let mut demanded: Option<DomainType> = None;
    for d in devices {
        if let Some(want) = d.demand {
            demanded = match demanded {
                Some(DomainType::Identity) => Some(DomainType::Identity),
                _ => Some(want),
            };
        }
    }
    if let Some(want) = demanded {
        ty = want;
    }
    if devices.iter().any(|d| d.untrusted) {
        ty = DomainType::Dma;
    }
    if ty == DomainType::DmaFq && !deferred_flush {
        ty = DomainType::Dma;
    }
    ty
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn default_domain_type_follows_strict_and_passthrough() {
        let one = [DefaultDomainInputs::default()];
        assert_eq!(
            default_domain_type(true, false, true, &one),
            DomainType::Dma
        );
        assert_eq!(
            default_domain_type(false, false, true, &one),
            DomainType::DmaFq
        );
        assert_eq!(
            default_domain_type(false, false, false, &one),
            DomainType::Dma
        );
        assert_eq!(
            default_domain_type(true, true, true, &one),
            DomainType::Identity
        );
    }

    #[test]
    fn untrusted_device_forces_dma_even_with_passthrough() {
        let d = [DefaultDomainInputs {
            demand: Some(DomainType::Identity),
            untrusted: true,
        }];
        assert_eq!(default_domain_type(true, true, true, &d), DomainType::Dma);
    }

    #[test]
    fn device_identity_demand_overrides_boot_default() {
        let d = [DefaultDomainInputs {
            demand: Some(DomainType::Identity),
            untrusted: false,
        }];
        assert_eq!(
            default_domain_type(true, false, true, &d),
            DomainType::Identity
        );
    }

    #[test]
    fn pgsize_bitmap_and_aperture_follow_granule_and_ias() {
        assert_eq!(pgsize_bitmap_for_granule(0x1000), 0x4020_1000);
        assert_eq!(pgsize_bitmap_for_granule(0x1_0000), 0x2001_0000);
        assert_eq!(geometry_for_ias(48).aperture_end, 0xffff_ffff_ffff);
        assert_eq!(geometry_for_ias(32).aperture_end, 0xffff_ffff);
    }
}
