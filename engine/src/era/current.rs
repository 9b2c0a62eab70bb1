//! Era (f) `current`: drivers/iommu/iommu.c v6.8 ([C68]: `iommu_setup_default_domain`,
//! `domain->owner`) and drivers/iommu/iommufd/device.c v6.8.
//!
//! Differs from `v5.19`: `iommu_device_claim_dma_owner` lets several devices of a group be
//! claimed by one cookie (iommufd: another context is -EPERM, S7); a NULL owner is WARN +
//! -EINVAL; the blocking domain is a real BLOCKED domain; every group switch goes through
//! `__iommu_group_set_domain` and rolls back on failure; `iommu_attach_group` checks the
//! domain's owner ops (-EINVAL); `iommu_detach_device` WARNs unless `domain` is the
//! group's; `iommu_group_replace_domain` moves an owned group straight to a new domain; a
//! `require_direct` device refuses the blocking domain (-EINVAL). PASIDs not modelled.

use super::{nested, EraOps};
use crate::call::Cookie;
use crate::core::{Core, Cx};
use crate::domain::{DomainRole, DomainType};
use crate::era::Era;
use crate::errno::Errno;
use crate::ids::{DeviceId, DomainId, GroupId};
use crate::record::Recorder;
use crate::trace::{NestedResult, Ret};

#[derive(Debug)]
pub struct Current;

/// drivers/iommu/iommu.c: `__iommu_attach_group()` (v6.8): -EBUSY unless in NULL, default
/// or blocking domain; -EINVAL if `domain->owner` is not the device's IOMMU ops; then an
/// all-or-nothing `__iommu_group_set_domain`.
fn attach_group(cx: &mut Cx<'_>, d: DomainId, g: GroupId) -> Result<(), Errno> {
    let grp = cx.core.group(g)?;
    if grp.domain.is_some() && grp.domain != grp.default_domain && grp.domain != grp.blocking_domain
    {
        return Err(Errno::EBUSY);
    }
    let first = grp.devices.first().copied().ok_or(Errno::EINVAL)?;
    let dev_iommu = cx.core.devices.get(&first).map(|x| x.facts.iommu);
    if cx.core.domains.get(&d).map(|x| x.iommu) != dev_iommu {
        return Err(Errno::EINVAL);
    }
    let args = vec![cx.core.dom_name(d), Core::group_name(g)];
    nested(cx, "__iommu_group_set_domain", args, |cx| {
        cx.group_set_domain(g, d, true, true)
    })?;
    cx.core.group_mut(g)?.private_attach = false;
    Ok(())
}

/// drivers/iommu/iommu.c: `__iommu_group_set_core_domain()` (v6.8): the blocking domain
/// while owned, else the default domain; cannot fail (WARN if the driver does).
fn set_core_domain(cx: &mut Cx<'_>, g: GroupId) {
    let Ok(grp) = cx.core.group(g) else { return };
    let target = if grp.owner.is_some() {
        grp.blocking_domain
    } else {
        grp.default_domain
    };
    if let Some(t) = target {
        if cx.group_set_domain(g, t, true, false).is_err() {
            cx.rec
                .warn("__iommu_group_set_domain_nofail", "WARN_ON(ret)");
        }
    }
    if let Ok(grp) = cx.core.group_mut(g) {
        grp.private_attach = false;
    }
}

/// drivers/iommu/iommu.c: `__iommu_take_dma_ownership()` (v6.8): -EBUSY off the default
/// domain; move to the BLOCKED blocking domain; `owner = cookie`, `owner_cnt++`.
fn take_dma_ownership(cx: &mut Cx<'_>, g: GroupId, owner: Cookie) -> Result<(), Errno> {
    let grp = cx.core.group(g)?;
    if grp.domain.is_some() && grp.domain != grp.default_domain {
        return Err(Errno::EBUSY);
    }
    let b = cx.core.ensure_blocking_domain(g, DomainType::Blocked)?;
    cx.group_set_domain(g, b, true, true)?;
    let grp = cx.core.group_mut(g)?;
    grp.owner = Some(owner);
    grp.owner_cnt += 1;
    Ok(())
}

/// drivers/iommu/iommu.c: `__iommu_release_dma_ownership()` (v6.8): WARN unless owned;
/// `owner_cnt = 0`, `owner = NULL`, default domain restored (cannot fail): v5.19's code
/// ([`super::release_dma_owner_v5_19_on`]; the PASID clause is not modelled).
fn release_dma_ownership(cx: &mut Cx<'_>, g: GroupId) {
    super::release_dma_owner_v5_19_on(cx, g, "__iommu_release_dma_ownership", set_core_domain);
}

impl EraOps for Current {
    super::use_default_domain_ops!();

    fn era(&self) -> Era {
        Era::Current
    }

    /// drivers/iommu/iommu.c: `iommu_paging_domain_alloc(dev)` (v6.11+): -ENODEV without
    /// an IOMMU; an UNMANAGED paging domain of the device's IOMMU.
    fn paging_domain_alloc(&self, cx: &mut Cx<'_>, dev: DeviceId) -> Ret {
        let Some(x) = cx.core.devices.get(&dev) else {
            return Ret::Err(Errno::ENODEV);
        };
        if x.group.is_none() {
            return Ret::Err(Errno::ENODEV);
        }
        let iommu = x.facts.iommu;
        match cx
            .core
            .alloc_domain(iommu, DomainType::Unmanaged, DomainRole::User)
        {
            Ok(d) => Ret::Domain(d),
            Err(e) => Ret::Err(e),
        }
    }

    /// drivers/iommu/iommu.c: `iommu_attach_device()` (v6.8): no group -ENODEV; group of
    /// more than one device -EINVAL; then `__iommu_attach_group`.
    fn attach_device(&self, cx: &mut Cx<'_>, d: DomainId, dev: DeviceId) -> Ret {
        super::attach_device_singleton(cx, d, dev, attach_group)
    }

    /// drivers/iommu/iommu.c: `iommu_detach_device()` (v6.8): WARN and nothing unless
    /// `domain` is the group's and the group is a singleton; else the core domain.
    fn detach_device(&self, cx: &mut Cx<'_>, d: DomainId, dev: DeviceId) -> Ret {
        let count_warn = "WARN_ON(list_count_nodes(&group->devices) != 1)";
        super::detach_device_singleton(cx, dev, Some(d), count_warn, set_core_domain)
    }

    /// drivers/iommu/iommu.c: `iommu_attach_group()` (v6.8): no ownership check (VFIO
    /// type1 and iommufd claim first).
    fn attach_group(&self, cx: &mut Cx<'_>, d: DomainId, g: GroupId) -> Ret {
        attach_group(cx, d, g).into()
    }

    /// drivers/iommu/iommu.c: `iommu_detach_group()` (v6.8): ignores `domain`, restores
    /// the core domain.
    fn detach_group(&self, cx: &mut Cx<'_>, _d: DomainId, g: GroupId) -> Ret {
        if cx.core.group(g).is_err() {
            return Ret::Err(Errno::ENODEV);
        }
        set_core_domain(cx, g);
        Ret::Ok
    }

    /// drivers/iommu/iommu.c: `iommu_group_claim_dma_owner()` (v6.8): NULL owner →
    /// WARN, -EINVAL; any `owner_cnt` → -EPERM; then take ownership.
    fn group_claim_dma_owner(&self, cx: &mut Cx<'_>, g: GroupId, c: Option<Cookie>) -> Ret {
        let Some(c) = c else {
            cx.rec
                .warn("iommu_group_claim_dma_owner", "WARN_ON(!owner)");
            return Ret::Err(Errno::EINVAL);
        };
        match cx.core.group(g) {
            Err(e) => Ret::Err(e),
            Ok(grp) if grp.owner_cnt > 0 => Ret::Err(Errno::EPERM),
            Ok(_) => take_dma_ownership(cx, g, c).into(),
        }
    }

    /// drivers/iommu/iommu.c: `iommu_group_release_dma_owner()` (v6.8).
    fn group_release_dma_owner(&self, cx: &mut Cx<'_>, g: GroupId) -> Ret {
        super::group_release_or_enodev(cx, g, release_dma_ownership)
    }

    /// drivers/iommu/iommu.c: `iommu_device_claim_dma_owner()` (v6.8): NULL owner → WARN,
    /// -EINVAL; no group -ENODEV; claimed by the same cookie → `owner_cnt++`, by another
    /// → -EPERM; else take ownership.
    fn device_claim_dma_owner(&self, cx: &mut Cx<'_>, dev: DeviceId, c: Option<Cookie>) -> Ret {
        let Some(c) = c else {
            cx.rec
                .warn("iommu_device_claim_dma_owner", "WARN_ON(!owner)");
            return Ret::Err(Errno::EINVAL);
        };
        let Some(g) = cx.core.group_of(dev) else {
            return Ret::Err(Errno::ENODEV);
        };
        let Ok(grp) = cx.core.group_mut(g) else {
            return Ret::Err(Errno::ENODEV);
        };
        if grp.owner_cnt > 0 {
            if grp.owner.as_ref() != Some(&c) {
                return Ret::Err(Errno::EPERM);
            }
            grp.owner_cnt += 1;
            return Ret::Ok;
        }
        take_dma_ownership(cx, g, c).into()
    }

    /// drivers/iommu/iommu.c: `iommu_device_release_dma_owner()` (v6.8): decrement while
    /// more than one claim is held, else release the group.
    fn device_release_dma_owner(
        &self,
        cx: &mut Cx<'_>,
        dev: DeviceId,
        _ty: Option<DmaOwnerTypeAlias>,
    ) -> Ret {
        let Some(g) = cx.core.group_of(dev) else {
            return Ret::Ok;
        };
        let Ok(grp) = cx.core.group_mut(g) else {
            return Ret::Ok;
        };
        if grp.owner_cnt > 1 {
            grp.owner_cnt -= 1;
        } else {
            release_dma_ownership(cx, g);
        }
        Ret::Ok
    }

    /// drivers/iommu/iommu.c: `iommu_group_replace_domain()` (v6.8, iommufd only): NULL →
    /// -EINVAL; else `__iommu_group_set_domain` straight to the new domain.
    fn group_replace_domain(&self, cx: &mut Cx<'_>, g: GroupId, d: Option<DomainId>) -> Ret {
        let Some(d) = d else {
            return Ret::Err(Errno::EINVAL);
        };
        if cx.core.group(g).is_err() {
            return Ret::Err(Errno::ENODEV);
        }
        let args = vec![cx.core.dom_name(d), Core::group_name(g)];
        nested(cx, "__iommu_group_set_domain", args, |cx| {
            cx.group_set_domain(g, d, true, true)
        })
        .into()
    }

    /// drivers/iommu/iommufd/device.c: `iommufd_device_bind()` (v6.8): MSI isolation is
    /// assumed (interrupt remapping), then `iommu_device_claim_dma_owner(dev, ictx)`.
    /// A device already bound is refused as drivers/vfio/device_cdev.c does (-EINVAL).
    fn iommufd_device_bind(&self, cx: &mut Cx<'_>, dev: DeviceId, ictx: Cookie) -> Ret {
        let Some(x) = cx.core.devices.get(&dev) else {
            return Ret::Err(Errno::ENODEV);
        };
        if x.iommufd.is_some() {
            return Ret::Err(Errno::EINVAL);
        }
        let args = vec![cx.core.dev_name(dev), ictx.0.clone()];
        let c = ictx.clone();
        let r = nested(cx, "iommu_device_claim_dma_owner", args, |cx| {
            super::ret_to_result(self.device_claim_dma_owner(cx, dev, Some(c)))
        });
        if r.is_ok() {
            if let Some(x) = cx.core.devices.get_mut(&dev) {
                x.iommufd = Some(ictx);
            }
        }
        r.into()
    }

    /// drivers/iommu/iommufd/device.c: `iommufd_device_unbind()` → `iommufd_device_destroy()`
    /// → `iommu_device_release_dma_owner(dev)`.
    fn iommufd_device_unbind(&self, cx: &mut Cx<'_>, dev: DeviceId) -> Ret {
        let bound = cx
            .core
            .devices
            .get(&dev)
            .is_some_and(|x| x.iommufd.is_some());
        if !bound {
            return Ret::Err(Errno::EINVAL);
        }
        let args = vec![cx.core.dev_name(dev)];
        cx.rec.enter("iommu_device_release_dma_owner", args);
        let _ = self.device_release_dma_owner(cx, dev, None);
        cx.rec.leave(NestedResult::Void);
        if let Some(x) = cx.core.devices.get_mut(&dev) {
            x.iommufd = None;
        }
        Ret::Ok
    }

    /// drivers/vfio/container.c: `vfio_container_attach_group()` (v6.8):
    /// `iommu_group_claim_dma_owner(group, group)`.
    fn vfio_claim(&self, cx: &mut Cx<'_>, g: GroupId, c: &Cookie) -> Result<(), Errno> {
        let args = vec![Core::group_name(g), c.0.clone()];
        nested(cx, "iommu_group_claim_dma_owner", args, |cx| {
            super::ret_to_result(self.group_claim_dma_owner(cx, g, Some(c.clone())))
        })
    }

    fn vfio_release(&self, cx: &mut Cx<'_>, g: GroupId) {
        let args = vec![Core::group_name(g)];
        super::nested_void(cx, "iommu_group_release_dma_owner", args, |cx| {
            release_dma_ownership(cx, g)
        });
    }

    /// drivers/iommu/iommu.c: `iommu_group_claim_dma_owner()` (v6.8): a claimed group is
    /// in its blocking domain (or a domain its owner attached), never the default.
    fn owned_group_leaves_default(&self) -> bool {
        true
    }

    /// drivers/iommu/iommu.c: `__iommu_group_remove_device()` (v6.8): the last device
    /// leaving a group still owned or off its default domain WARNs.
    fn group_emptied_dirty(&self, rec: &mut Recorder) {
        rec.warn(
            "__iommu_group_remove_device",
            "WARN_ON(group->owner_cnt || group->domain != group->default_domain)",
        );
    }
}

type DmaOwnerTypeAlias = crate::call::DmaOwnerType;
