//! The driver core and VFIO around the IOMMU calls: bind/unbind (drivers/base/dd.c) and
//! `vfio_group_set_container`/`unset` (drivers/vfio). What each era does inside lives in
//! its [`crate::era::EraOps`] hooks; these
//! functions run in the kernel dispatch, between the era and the core.

use crate::call::Cookie;
use crate::core::{BoundDriver, Core, Cx};
use crate::domain::{DomainRole, DomainType};
use crate::era::{is_managed, EraOps};
use crate::errno::Errno;
use crate::ids::{DeviceId, GroupId};
use crate::trace::{NestedResult, Ret};

/// drivers/base/dd.c: sysfs `bind` → `device_driver_attach()` → `really_probe()`
/// (v5.19+): bus `dma_configure` (the era's IOMMU step) → `probe()`; a failed
/// `dma_configure` fails the probe with its errno. A bound device → -EBUSY. After a
/// successful probe the `BUS_NOTIFY_BOUND_DRIVER` listeners run (VFIO ≤ v5.18).
pub(crate) fn bind(
    cx: &mut Cx<'_>,
    era: &dyn EraOps,
    dev: DeviceId,
    driver: &str,
    managed: bool,
) -> Ret {
    let Some(d) = cx.core.devices.get(&dev) else {
        return Ret::Err(Errno::ENODEV);
    };
    if d.driver.is_some() {
        return Ret::Err(Errno::EBUSY);
    }
    let managed = is_managed(driver, managed);
    let args = vec![cx.core.dev_name(dev), driver.to_string()];
    cx.rec.enter("really_probe", args);
    cx.rec.enter("dma_configure", vec![cx.core.dev_name(dev)]);
    let r = era.dma_configure(cx, dev, managed);
    let r = cx.rec.leave_res(r);
    if let Err(e) = r {
        cx.rec.leave(e);
        return Ret::Err(e);
    }
    if let Some(d) = cx.core.devices.get_mut(&dev) {
        d.driver = Some(BoundDriver {
            name: driver.to_string(),
            managed,
        });
    }
    cx.rec.leave(Ret::Ok);
    era.bound_driver(cx, dev);
    Ret::Ok
}

/// drivers/base/dd.c: sysfs `unbind` → `device_release_driver()` → `drv->remove()` →
/// bus `dma_cleanup`. No driver bound → -ENODEV.
pub(crate) fn unbind(cx: &mut Cx<'_>, era: &dyn EraOps, dev: DeviceId) -> Ret {
    let Some(drv) = cx.core.devices.get(&dev).and_then(|d| d.driver.clone()) else {
        return Ret::Err(Errno::ENODEV);
    };
    cx.rec
        .enter("device_release_driver", vec![cx.core.dev_name(dev)]);
    if let Some(d) = cx.core.devices.get_mut(&dev) {
        d.driver = None;
    }
    end_private_attach_exemption(cx, dev);
    cx.rec.enter("dma_cleanup", vec![cx.core.dev_name(dev)]);
    era.dma_cleanup(cx, dev, drv.managed);
    cx.rec.leave(NestedResult::Void);
    cx.rec.leave(NestedResult::Void);
    Ret::Ok
}

/// The I2 exemption (shared/MODEL.md §4: "except the singleton private-domain user of
/// `iommu_attach_device`") belongs to the driver that made the private attach, and ends when
/// it unbinds. Nothing in the kernel moves the group back: `device_release_driver()`
/// (drivers/base/dd.c, v6.8) only runs `drv->remove()` and the bus `dma_cleanup`, and a
/// driver that does not `iommu_detach_device()` in its remove leaves the group in its
/// private domain. The next DMA-API driver then passes `iommu_device_use_default_domain()`
/// (drivers/iommu/iommu.c v5.19, v6.8: with `owner_cnt == 0` it does not look at
/// `group->domain`; before v5.19 nothing checks at all) and maps into the default domain
/// while the device translates through the private one: I2.
fn end_private_attach_exemption(cx: &mut Cx<'_>, dev: DeviceId) {
    if let Some(g) = cx.core.group_of(dev) {
        if let Ok(grp) = cx.core.group_mut(g) {
            grp.private_attach = false;
        }
    }
}

/// drivers/vfio/vfio.c: `vfio_group_set_container()` + `vfio_iommu_type1_attach_group()`
/// (the container's IOMMU driver is type1 and already set): -EINVAL if the group has a
/// container; the era's ownership claim (none before v5.19: no viability check here,
/// shared/MODEL.md correction 1); a type1 UNMANAGED domain per IOMMU per container;
/// `iommu_attach_group`; failure undoes the claim.
pub(crate) fn vfio_group_set_container(
    cx: &mut Cx<'_>,
    era: &dyn EraOps,
    g: GroupId,
    c: Cookie,
) -> Ret {
    let Ok(grp) = cx.core.group(g) else {
        return Ret::Err(Errno::ENODEV);
    };
    if grp.vfio_container.is_some() {
        return Ret::Err(Errno::EINVAL);
    }
    let Some(iommu) = grp
        .devices
        .first()
        .and_then(|d| cx.core.devices.get(d))
        .map(|d| d.facts.iommu)
    else {
        return Ret::Err(Errno::ENODEV);
    };
    if let Err(e) = era.vfio_claim(cx, g, &c) {
        return Ret::Err(e);
    }
    let existing = cx
        .core
        .containers
        .get(&c)
        .and_then(|x| x.domains.get(&iommu))
        .copied();
    let (d, new) = match existing {
        Some(d) => (d, false),
        None => match cx
            .core
            .alloc_domain(iommu, DomainType::Unmanaged, DomainRole::User)
        {
            Ok(d) => (d, true),
            Err(e) => {
                era.vfio_release(cx, g);
                return Ret::Err(e);
            }
        },
    };
    if new {
        cx.core.label_domain(d, &format!("{}.type1", c.0));
    }
    let args = vec![cx.core.dom_name(d), Core::group_name(g)];
    cx.rec.enter("vfio_iommu_type1_attach_group", args);
    let r = era.vfio_attach(cx, d, g);
    let r = cx.rec.leave_res(r);
    if let Err(e) = r {
        era.vfio_release(cx, g);
        if new {
            if let Some(x) = cx.core.domains.get_mut(&d) {
                x.freed = true;
            }
        }
        return Ret::Err(e);
    }
    let cont = cx.core.containers.entry(c.clone()).or_default();
    cont.domains.insert(iommu, d);
    cont.groups.push(g);
    if let Ok(grp) = cx.core.group_mut(g) {
        grp.vfio_container = Some(c);
    }
    Ret::Ok
}

/// drivers/vfio/vfio.c: `vfio_group_unset_container()` →
/// `vfio_iommu_type1_detach_group()` (`iommu_detach_group`, the domain freed with its
/// last group) → the era's release of the claim. No container → -EINVAL.
pub(crate) fn vfio_group_unset_container(cx: &mut Cx<'_>, era: &dyn EraOps, g: GroupId) -> Ret {
    let Ok(grp) = cx.core.group(g) else {
        return Ret::Err(Errno::ENODEV);
    };
    let Some(c) = grp.vfio_container.clone() else {
        return Ret::Err(Errno::EINVAL);
    };
    let iommu = grp
        .devices
        .first()
        .and_then(|d| cx.core.devices.get(d))
        .map(|d| d.facts.iommu);
    let d = iommu.and_then(|i| {
        cx.core
            .containers
            .get(&c)
            .and_then(|x| x.domains.get(&i))
            .copied()
    });
    if let Some(d) = d {
        let args = vec![cx.core.dom_name(d), Core::group_name(g)];
        cx.rec.enter("vfio_iommu_type1_detach_group", args);
        era.vfio_detach(cx, d, g);
        cx.rec.leave(NestedResult::Void);
    }
    era.vfio_release(cx, g);
    if let Ok(grp) = cx.core.group_mut(g) {
        grp.vfio_container = None;
    }
    let empty = match cx.core.containers.get_mut(&c) {
        Some(cont) => {
            cont.groups.retain(|&x| x != g);
            cont.groups.is_empty()
        }
        None => false,
    };
    if empty {
        if let Some(cont) = cx.core.containers.remove(&c) {
            for d in cont.domains.values() {
                cx.rec
                    .enter("iommu_domain_free", vec![cx.core.dom_name(*d)]);
                let _ = cx.domain_free(*d);
                cx.rec.leave(NestedResult::Void);
            }
        }
    }
    Ret::Ok
}
