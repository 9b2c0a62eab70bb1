//! Era (e) `v5.19`: "iommu: Add DMA ownership management interfaces" and 0286300e6045
//! ("iommu_group_claim_dma_owner() must always assign a domain"), merged in
//! iommu-updates-v5.19 with "vfio: Remove iommu group notifier". drivers/iommu/iommu.c v5.19.
//!
//! Differs from `singleton`: bus `dma_configure` calls `iommu_device_use_default_domain`
//! (unless `driver_managed_dma`), counting DMA-API drivers in `owner_cnt`; VFIO claims the
//! group exclusively with `iommu_group_claim_dma_owner` (-EPERM if any driver counts,
//! -EBUSY off the default domain), which parks it in a blocking domain (no driver had a
//! BLOCKED domain yet: an empty UNMANAGED one); group attach also accepts a group in its
//! blocking domain; detach returns to the blocking domain while owned and, like
//! `iommu_detach_device`, WARNs unless `domain` is the group's. VFIO's notifier
//! and its BUG_ON are gone: a bad bind fails -EBUSY in `dma_configure` (S1).

use super::{nested, EraOps, ProbeAttach};
use crate::call::Cookie;
use crate::core::{Core, Cx};
use crate::domain::DomainType;
use crate::era::Era;
use crate::errno::Errno;
use crate::ids::{DeviceId, DomainId, GroupId};
use crate::trace::Ret;

#[derive(Debug)]
pub struct V519;

/// drivers/iommu/iommu.c: `__iommu_attach_group()` (v5.19): -EBUSY unless `group->domain`
/// is NULL, the default or the blocking domain; members attached in turn, no rollback.
pub(crate) fn attach_group_v5_19(cx: &mut Cx<'_>, d: DomainId, g: GroupId) -> Result<(), Errno> {
    let grp = cx.core.group(g)?;
    if grp.domain.is_some() && grp.domain != grp.default_domain && grp.domain != grp.blocking_domain
    {
        return Err(Errno::EBUSY);
    }
    super::attach_group_members(cx, d, g)
}

/// drivers/iommu/iommu.c: `__iommu_group_attach_core_domain()` (v5.19, added by
/// 0286300e6045, read from its posting of 4 May 2022): the blocking domain while owned,
/// else the default domain (`__iommu_group_attach_domain` is a no-op when already there);
/// a driver failure only WARNs.
pub(crate) fn detach_group_v5_19(cx: &mut Cx<'_>, g: GroupId) -> Result<(), Errno> {
    let grp = cx.core.group(g)?;
    let target = if grp.owner.is_some() {
        grp.blocking_domain
    } else {
        grp.default_domain
    };
    if let Some(t) = target {
        if cx.core.group(g)?.domain != Some(t) && cx.group_set_domain(g, t, false, false).is_err() {
            cx.rec.warn(
                "__iommu_group_attach_core_domain",
                "iommu driver failed to attach the default/blocking domain",
            );
        }
    }
    cx.core.group_mut(g)?.private_attach = false;
    Ok(())
}

/// drivers/iommu/iommu.c: `iommu_group_claim_dma_owner()` (v5.19 + 0286300e6045).
pub(crate) fn group_claim_v5_19(
    cx: &mut Cx<'_>,
    g: GroupId,
    owner: Option<Cookie>,
    blocking: DomainType,
) -> Result<(), Errno> {
    let grp = cx.core.group(g)?;
    if grp.owner_cnt > 0 {
        return Err(Errno::EPERM);
    }
    if grp.domain.is_some() && grp.domain != grp.default_domain {
        return Err(Errno::EBUSY);
    }
    let b = cx.core.ensure_blocking_domain(g, blocking)?;
    cx.group_set_domain(g, b, false, false)?;
    let grp = cx.core.group_mut(g)?;
    grp.owner = owner;
    grp.owner_cnt += 1;
    Ok(())
}

/// drivers/iommu/iommu.c: `iommu_group_release_dma_owner()` (v5.19): WARN unless claimed;
/// `owner_cnt = 0`, `owner = NULL`, `__iommu_group_attach_core_domain` (the default).
pub(crate) fn group_release_v5_19(cx: &mut Cx<'_>, g: GroupId) {
    super::release_dma_owner_v5_19_on(cx, g, "iommu_group_release_dma_owner", |cx, g| {
        let _ = detach_group_v5_19(cx, g);
    });
}

impl EraOps for V519 {
    super::use_default_domain_ops!();

    fn era(&self) -> Era {
        Era::V5_19
    }

    /// `iommu_probe_device()` after a device joined an existing group: v5.19: the default domain unless the group is owned.
    fn probe_attach(&self) -> ProbeAttach {
        ProbeAttach::DefaultUnlessOwned
    }

    /// drivers/iommu/iommu.c: `iommu_attach_device()` (v5.19): still singleton-only.
    fn attach_device(&self, cx: &mut Cx<'_>, d: DomainId, dev: DeviceId) -> Ret {
        super::attach_device_singleton(cx, d, dev, attach_group_v5_19)
    }

    /// drivers/iommu/iommu.c: `iommu_detach_device()` (v5.19, from 0286300e6045): WARN and
    /// nothing unless `domain` is the group's and the group is a singleton.
    fn detach_device(&self, cx: &mut Cx<'_>, d: DomainId, dev: DeviceId) -> Ret {
        super::detach_device_singleton(cx, dev, Some(d), super::DETACH_COUNT_WARN, |cx, g| {
            let _ = detach_group_v5_19(cx, g);
        })
    }

    /// drivers/iommu/iommu.c: `iommu_attach_group()` (v5.19): no ownership check.
    fn attach_group(&self, cx: &mut Cx<'_>, d: DomainId, g: GroupId) -> Ret {
        attach_group_v5_19(cx, d, g).into()
    }

    /// drivers/iommu/iommu.c: `iommu_detach_group()` (v5.19).
    fn detach_group(&self, cx: &mut Cx<'_>, _d: DomainId, g: GroupId) -> Ret {
        let _ = detach_group_v5_19(cx, g);
        Ret::Ok
    }

    fn group_claim_dma_owner(&self, cx: &mut Cx<'_>, g: GroupId, c: Option<Cookie>) -> Ret {
        group_claim_v5_19(cx, g, c, DomainType::Unmanaged).into()
    }

    fn group_release_dma_owner(&self, cx: &mut Cx<'_>, g: GroupId) -> Ret {
        super::group_release_or_enodev(cx, g, group_release_v5_19)
    }

    /// drivers/vfio/vfio.c: `vfio_group_set_container()` (v5.19):
    /// `iommu_group_claim_dma_owner(group, f.file)`.
    fn vfio_claim(&self, cx: &mut Cx<'_>, g: GroupId, c: &Cookie) -> Result<(), Errno> {
        let args = vec![Core::group_name(g), c.0.clone()];
        nested(cx, "iommu_group_claim_dma_owner", args, |cx| {
            group_claim_v5_19(cx, g, Some(c.clone()), DomainType::Unmanaged)
        })
    }

    fn vfio_release(&self, cx: &mut Cx<'_>, g: GroupId) {
        let args = vec![Core::group_name(g)];
        super::nested_void(cx, "iommu_group_release_dma_owner", args, |cx| {
            group_release_v5_19(cx, g)
        });
    }

    /// 0286300e6045 ("iommu_group_claim_dma_owner() must always assign a domain", v5.19):
    /// a claimed group is parked in its blocking domain.
    fn owned_group_leaves_default(&self) -> bool {
        true
    }
}
