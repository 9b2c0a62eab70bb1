//! `struct iommu_domain` allocation and freeing as the core does them for every era.

use super::{Core, Cx};
use crate::dma::DmaCookie;
use crate::domain::{Domain, DomainRole, DomainType, Geometry};
use crate::errno::Errno;
use crate::ids::{DomainId, IommuId};
use crate::mapping::{self, MODEL_CPUS};

impl Core {
    /// drivers/iommu/iommu.c: `__iommu_domain_alloc()` (v6.8): the driver allocates, the
    /// core sets `owner`, `pgsize_bitmap` and (paging) the geometry from the IOMMU.
    pub(crate) fn alloc_domain(
        &mut self,
        iommu: IommuId,
        ty: DomainType,
        role: DomainRole,
    ) -> Result<DomainId, Errno> {
        let facts = self.iommus.get(&iommu).ok_or(Errno::ENODEV)?;
        // The driver's domain_alloc(): kzalloc of the domain, failing past the model's
        // domain limit (every snapshot lists every domain) or under fault injection.
        if self.domains.len() >= crate::limits::MAX_DOMAINS || crate::fault::should_fail() {
            return Err(Errno::ENOMEM);
        }
        let paging = if ty.is_paging() {
            Some(Box::new(mapping::new_paging(
                facts.granule,
                facts.ias,
                facts.oas,
                self.config.split_unmap,
            )?))
        } else {
            None
        };
        // The domain's geometry and page sizes are the table's, after io-pgtable-arm
        // clamped the IAS and chose the page sizes (arm_smmu_domain_finalise(), v6.8:
        // "domain->geometry.aperture_end = (1UL << pgtbl_cfg.ias) - 1").
        let (geometry, pgsize_bitmap) = match &paging {
            Some(p) => (
                Geometry {
                    aperture_start: p.aperture_start,
                    aperture_end: p.aperture_end,
                    force_aperture: p.force_aperture,
                },
                p.pgsize_bitmap,
            ),
            None => (Geometry::default(), 0),
        };
        // drivers/iommu/dma-iommu.c: iommu_dma_init_domain() + iommu_dma_init_fq() (v6.8):
        // DMA domains get an IOVA allocator, DMA_FQ ones a flush queue too.
        let cookie = match (&paging, ty) {
            (Some(p), DomainType::Dma | DomainType::DmaFq) => Some(Box::new(DmaCookie::new(
                p,
                MODEL_CPUS,
                ty == DomainType::DmaFq,
            )?)),
            _ => None,
        };
        let id = DomainId(self.next_domain);
        self.next_domain += 1;
        self.domains.insert(
            id,
            Domain {
                id,
                ty,
                iommu,
                role,
                geometry,
                pgsize_bitmap,
                freed: false,
                paging,
                cookie,
            },
        );
        Ok(id)
    }

    /// Whether any device's context or any group still uses the domain.
    pub fn domain_in_use(&self, d: DomainId) -> bool {
        self.contexts.values().any(|&x| x == d)
            || self.devices.values().any(|x| x.domain == Some(d))
            || self.groups.values().any(|g| g.domain == Some(d))
    }
}

impl Cx<'_> {
    /// drivers/iommu/iommu.c: `iommu_domain_free()` (v6.8). The kernel frees without
    pub(crate) fn domain_free(&mut self, d: DomainId) -> Result<(), Errno> {
        let in_use = self.core.domain_in_use(d);
        let dom = self.core.domains.get_mut(&d).ok_or(Errno::EINVAL)?;
        if dom.freed {
            self.rec
                .model_warn("iommu_domain_free", "double free of a domain");
            return Ok(());
        }
        dom.freed = true;
        if in_use {
            let n = self.core.dom_name(d);
            self.rec.model_warn(
                "iommu_domain_free",
                &format!("{n} freed while still attached: use-after-free of its page table"),
            );
        }
        Ok(())
    }
}
