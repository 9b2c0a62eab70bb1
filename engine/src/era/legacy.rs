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
use crate::era::Era;
use crate::errno::Errno;
use crate::ids::{DeviceId, DomainId, GroupId};
use crate::iommu::Kernel;
use crate::trace::{NestedResult, Ret};

#[derive(Debug)]
pub struct Legacy;

/// `group.domain` as the members' common domain (the 3.10 core has no such field).
fn sync_group_domain(k: &mut Kernel, g: GroupId) {
    let doms: Vec<Option<DomainId>> = k
        .members(g)
        .iter()
        .map(|d| k.devices.get(d).and_then(|x| x.domain))
        .collect();
    let common = match doms.split_first() {
        Some((first, rest)) if rest.iter().all(|d| d == first) => *first,
        _ => None,
    };
    if let Ok(grp) = k.group_mut(g) {
        grp.domain = common;
        grp.private_attach = grp.devices.len() == 1 && common != grp.default_domain;
    }
}

/// `domain->ops->attach_dev(domain, dev)` traced.
fn driver_attach(k: &mut Kernel, d: DomainId, dev: DeviceId) -> Result<(), Errno> {
    let args = vec![k.dom_name(d), k.dev_name(dev)];
    nested(k, "ops->attach_dev", args, |k| k.dev_attach(dev, d))
}

impl EraOps for Legacy {
    fn era(&self) -> Era {
        Era::Legacy
    }

    /// drivers/iommu/iommu.c: `iommu_attach_device()` (3.10): the driver's result,
    /// -ENODEV when the device is not behind an IOMMU. No group check.
    fn attach_device(&self, k: &mut Kernel, d: DomainId, dev: DeviceId) -> Ret {
        let Some(g) = k.group_of(dev) else {
            return Ret::Err(Errno::ENODEV);
        };
        let r = driver_attach(k, d, dev);
        sync_group_domain(k, g);
        r.into()
    }

    /// drivers/iommu/iommu.c: `iommu_detach_device()` (3.10): `ops->detach_dev`, void.
    fn detach_device(&self, k: &mut Kernel, _d: DomainId, dev: DeviceId) -> Ret {
        if let Some(g) = k.group_of(dev) {
            let args = vec![k.dev_name(dev)];
            k.enter("ops->detach_dev", args);
            k.dev_detach(dev);
            k.leave(NestedResult::Void);
            sync_group_domain(k, g);
        }
        Ret::Ok
    }

    /// drivers/iommu/iommu.c: `iommu_attach_group()` (3.10): `iommu_group_for_each_dev`
    /// with `iommu_group_do_attach_device`: stops at the first error, no rollback.
    fn attach_group(&self, k: &mut Kernel, d: DomainId, g: GroupId) -> Ret {
        if k.group(g).is_err() {
            return Ret::Err(Errno::ENODEV);
        }
        let mut r = Ok(());
        for dev in k.members(g) {
            r = driver_attach(k, d, dev);
            if r.is_err() {
                break;
            }
        }
        sync_group_domain(k, g);
        r.into()
    }

    /// drivers/iommu/iommu.c: `iommu_detach_group()` (3.10): detach each member.
    fn detach_group(&self, k: &mut Kernel, d: DomainId, g: GroupId) -> Ret {
        for dev in k.members(g) {
            let _ = self.detach_device(k, d, dev);
        }
        Ret::Ok
    }

    /// No group domain to join: the device gets the IOMMU driver's DMA-ops domain.
    fn group_add_device(&self, k: &mut Kernel, dev: DeviceId, g: GroupId) -> Result<(), Errno> {
        if let Some(d) = k.group(g)?.default_domain {
            driver_attach(k, d, dev)?;
        }
        vfio_nb_add_dev(k, dev, g);
        sync_group_domain(k, g);
        Ok(())
    }

    fn bound_driver(&self, k: &mut Kernel, dev: DeviceId) {
        vfio_bound_driver_bug_on(k, dev);
    }
}
