//! Era (b) `singleton`: 426a273834ea ("iommu: Limit iommu_attach/detach_device to device
//! with their own group", Joerg Roedel, 28 May 2015) through v5.18; default domains from
//! v4.4. Read against drivers/iommu/iommu.c v5.18.
//!
//! Differs from `legacy`: the core tracks `group->domain`; `iommu_attach_device` refuses a
//! group of more than one device (-EINVAL) — the crude ownership check Robin Murphy
//! describes — and every group attach needs the group in its default domain (-EBUSY).
//! Member attach errors propagate without rollback. Still no ownership: VFIO keeps its
//! notifier (`BUG_ON`, scenario S1) and `iommu_attach_group` ignores bound drivers.

use super::{vfio_bound_driver_bug_on, vfio_nb_add_dev, EraOps, ProbeAttach};
use crate::core::Cx;
use crate::era::Era;
use crate::errno::Errno;
use crate::ids::{DeviceId, DomainId, GroupId};
use crate::trace::Ret;

#[derive(Debug)]
pub struct Singleton;

/// drivers/iommu/iommu.c: `__iommu_attach_group()` (v5.18): -EBUSY unless the group is
/// in its default domain (or has none); attach every member (stop at the first error,
/// members already moved stay moved); on success `group->domain = domain`.
pub(crate) fn attach_group_v5_18(cx: &mut Cx<'_>, d: DomainId, g: GroupId) -> Result<(), Errno> {
    let grp = cx.core.group(g)?;
    if grp.default_domain.is_some() && grp.domain != grp.default_domain {
        return Err(Errno::EBUSY);
    }
    super::attach_group_members(cx, d, g)
}

/// drivers/iommu/iommu.c: `__iommu_detach_group()` (v5.18): no default domain → detach
/// each member, `group->domain = NULL`; already default → nothing; else re-attach the
/// default domain (WARN if that fails). `domain` is not checked.
pub(crate) fn detach_group_v5_18(cx: &mut Cx<'_>, g: GroupId) -> Result<(), Errno> {
    let grp = cx.core.group(g)?;
    let Some(def) = grp.default_domain else {
        for dev in cx.core.members(g) {
            cx.core.dev_detach(dev);
        }
        cx.core.group_mut(g)?.domain = None;
        return Ok(());
    };
    if grp.domain == Some(def) {
        return Ok(());
    }
    if cx.group_set_domain(g, def, false, false).is_err() {
        cx.rec.warn(
            "__iommu_detach_group",
            "WARN_ON(1): re-attaching the default domain failed",
        );
    }
    cx.core.group_mut(g)?.private_attach = false;
    Ok(())
}

impl EraOps for Singleton {
    fn era(&self) -> Era {
        Era::Singleton
    }

    /// `iommu_probe_device()` after a device joined an existing group: v5.16/v5.18: the default domain, whatever the group is in.
    fn probe_attach(&self) -> ProbeAttach {
        ProbeAttach::Default
    }

    /// drivers/iommu/iommu.c: `iommu_attach_device()` (v5.18): the singleton rule.
    fn attach_device(&self, cx: &mut Cx<'_>, d: DomainId, dev: DeviceId) -> Ret {
        super::attach_device_singleton(cx, d, dev, attach_group_v5_18)
    }

    /// drivers/iommu/iommu.c: `iommu_detach_device()` (v5.18): void; a group of more than
    /// one device → WARN_ON(1) and nothing happens; `domain` is not checked.
    fn detach_device(&self, cx: &mut Cx<'_>, _d: DomainId, dev: DeviceId) -> Ret {
        super::detach_device_singleton(cx, dev, None, super::DETACH_COUNT_WARN, |cx, g| {
            let _ = detach_group_v5_18(cx, g);
        })
    }

    /// drivers/iommu/iommu.c: `iommu_attach_group()` (v5.18): `__iommu_attach_group`,
    /// no check of who else uses the group.
    fn attach_group(&self, cx: &mut Cx<'_>, d: DomainId, g: GroupId) -> Ret {
        attach_group_v5_18(cx, d, g).into()
    }

    /// drivers/iommu/iommu.c: `iommu_detach_group()` (v5.18).
    fn detach_group(&self, cx: &mut Cx<'_>, _d: DomainId, g: GroupId) -> Ret {
        let _ = detach_group_v5_18(cx, g);
        Ret::Ok
    }

    /// drivers/iommu/iommu.c: `iommu_group_add_device()` (v5.18) + VFIO's `dev_WARN`.
    fn group_add_device(&self, cx: &mut Cx<'_>, dev: DeviceId, g: GroupId) -> Result<(), Errno> {
        super::join_group_domain(cx, dev, g)?;
        vfio_nb_add_dev(cx, dev, g);
        Ok(())
    }

    fn bound_driver(&self, cx: &mut Cx<'_>, dev: DeviceId) {
        vfio_bound_driver_bug_on(cx, dev);
    }
}
