//! Era (a) `legacy`: drivers/iommu/iommu.c before 426a273834ea (3.10-era copy,
//! AndreiLux/ref-3.10 @7e1de5582dde).
//!
//! Differs from every later era: `iommu_attach_device` calls the IOMMU driver for the one
//! device, whatever its group; the core keeps no `group->domain` and no owner, so two
//! members of one group can sit in different domains (I1), and members sharing a
//! requester ID silently share the last attach (S5). `iommu_attach_group` attaches each
//! member in turn and stops at the first error without rollback. VFIO polices its groups
//! with a notifier (`BUG_ON` on a bad bind, `dev_WARN` on hot-add).
//! The group's "default domain" here is the arch DMA-ops domain the IOMMU driver set up
//! at probe; `group.domain` is derived (the members' common domain, else none).

use super::{nested, vfio_bound_driver_bug_on, vfio_nb_add_dev, EraOps};
use crate::core::Cx;
use crate::core::Group;
use crate::era::Era;
use crate::errno::Errno;
use crate::ids::{DeviceId, DomainId, GroupId};
use crate::trace::{NestedResult, Ret};

#[derive(Debug)]
pub struct Legacy;

/// `group.domain` as the members' common domain (the 3.10 core has no such field).
fn sync_group_domain(cx: &mut Cx<'_>, g: GroupId) {
    let doms: Vec<Option<DomainId>> = cx
        .core
        .members(g)
        .iter()
        .map(|d| cx.core.devices.get(d).and_then(|x| x.domain))
        .collect();
    let common = match doms.split_first() {
        Some((first, rest)) if rest.iter().all(|d| d == first) => *first,
        _ => None,
    };
    if let Ok(grp) = cx.core.group_mut(g) {
        grp.domain = common;
        grp.private_attach = grp.devices.len() == 1 && common != grp.default_domain;
    }
}

/// `domain->ops->attach_dev(domain, dev)` traced.
fn driver_attach(cx: &mut Cx<'_>, d: DomainId, dev: DeviceId) -> Result<(), Errno> {
    let args = vec![cx.core.dom_name(d), cx.core.dev_name(dev)];
    nested(cx, "ops->attach_dev", args, |cx| cx.dev_attach(dev, d))
}

impl EraOps for Legacy {
    fn era(&self) -> Era {
        Era::Legacy
    }

    /// drivers/iommu/iommu.c: `iommu_attach_device()` (3.10): the driver's result,
    /// -ENODEV when the device is not behind an IOMMU. No group check.
    fn attach_device(&self, cx: &mut Cx<'_>, d: DomainId, dev: DeviceId) -> Ret {
        let Some(g) = cx.core.group_of(dev) else {
            return Ret::Err(Errno::ENODEV);
        };
        let r = driver_attach(cx, d, dev);
        sync_group_domain(cx, g);
        r.into()
    }

    /// drivers/iommu/iommu.c: `iommu_detach_device()` (3.10): `ops->detach_dev`, void.
    fn detach_device(&self, cx: &mut Cx<'_>, _d: DomainId, dev: DeviceId) -> Ret {
        if let Some(g) = cx.core.group_of(dev) {
            let args = vec![cx.core.dev_name(dev)];
            cx.rec.enter("ops->detach_dev", args);
            cx.core.dev_detach(dev);
            cx.rec.leave(NestedResult::Void);
            sync_group_domain(cx, g);
        }
        Ret::Ok
    }

    /// drivers/iommu/iommu.c: `iommu_attach_group()` (3.10): `iommu_group_for_each_dev`
    /// with `iommu_group_do_attach_device`: stops at the first error, no rollback.
    fn attach_group(&self, cx: &mut Cx<'_>, d: DomainId, g: GroupId) -> Ret {
        if cx.core.group(g).is_err() {
            return Ret::Err(Errno::ENODEV);
        }
        let mut r = Ok(());
        for dev in cx.core.members(g) {
            r = driver_attach(cx, d, dev);
            if r.is_err() {
                break;
            }
        }
        sync_group_domain(cx, g);
        r.into()
    }

    /// drivers/iommu/iommu.c: `iommu_detach_group()` (3.10): detach each member.
    fn detach_group(&self, cx: &mut Cx<'_>, d: DomainId, g: GroupId) -> Ret {
        for dev in cx.core.members(g) {
            let _ = self.detach_device(cx, d, dev);
        }
        Ret::Ok
    }

    /// No group domain to join: the device gets the IOMMU driver's DMA-ops domain.
    fn group_add_device(&self, cx: &mut Cx<'_>, dev: DeviceId, g: GroupId) -> Result<(), Errno> {
        if let Some(d) = cx.core.group(g)?.default_domain {
            driver_attach(cx, d, dev)?;
        }
        vfio_nb_add_dev(cx, dev, g);
        sync_group_domain(cx, g);
        Ok(())
    }

    fn bound_driver(&self, cx: &mut Cx<'_>, dev: DeviceId) {
        vfio_bound_driver_bug_on(cx, dev);
    }

    /// drivers/iommu/iommu.c (3.10) keeps no `group->domain`: the first member's domain
    /// stands for the group, and I1 compares the others against it.
    fn group_domain(
        &self,
        _g: &Group,
        attached: &[(DeviceId, Option<DomainId>)],
    ) -> Option<DomainId> {
        attached.first().and_then(|x| x.1)
    }
}
