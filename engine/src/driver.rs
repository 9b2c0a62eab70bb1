//! The driver core and VFIO around the IOMMU calls: bind/unbind (drivers/base/dd.c) and
//! `vfio_group_set_container`/`unset` (drivers/vfio). What each era does inside lives in
//! its [`crate::era::Era`] hooks.

use crate::call::Cookie;
use crate::domain::{DomainRole, DomainType};
use crate::era::is_managed;
use crate::errno::Errno;
use crate::ids::GroupId;
use crate::iommu::{BoundDriver, Kernel};
use crate::trace::{NestedResult, Ret};
use crate::DeviceId;

impl Kernel {
    /// drivers/base/dd.c: sysfs `bind` → `device_driver_attach()` → `really_probe()`
    /// (v5.19+): bus `dma_configure` (the era's IOMMU step) → `probe()`; a failed
    /// `dma_configure` fails the probe with its errno. A bound device → -EBUSY. After a
    /// successful probe the `BUS_NOTIFY_BOUND_DRIVER` listeners run (VFIO ≤ v5.18).
    pub fn bind(&mut self, dev: DeviceId, driver: &str, managed: bool) -> Ret {
        let Some(d) = self.devices.get(&dev) else {
            return Ret::Err(Errno::ENODEV);
        };
        if d.driver.is_some() {
            return Ret::Err(Errno::EBUSY);
        }
        let managed = is_managed(driver, managed);
        let era = self.ops;
        let args = vec![self.dev_name(dev), driver.to_string()];
        self.enter("really_probe", args);
        self.enter("dma_configure", vec![self.dev_name(dev)]);
        let r = era.dma_configure(self, dev, managed);
        let r = self.leave_res(r);
        if let Err(e) = r {
            self.leave(e);
            return Ret::Err(e);
        }
        if let Some(d) = self.devices.get_mut(&dev) {
            d.driver = Some(BoundDriver {
                name: driver.to_string(),
                managed,
            });
        }
        self.leave(Ret::Ok);
        era.bound_driver(self, dev);
        Ret::Ok
    }

    /// drivers/base/dd.c: sysfs `unbind` → `device_release_driver()` → `drv->remove()` →
    /// bus `dma_cleanup`. No driver bound → -ENODEV.
    pub fn unbind(&mut self, dev: DeviceId) -> Ret {
        let Some(drv) = self.devices.get(&dev).and_then(|d| d.driver.clone()) else {
            return Ret::Err(Errno::ENODEV);
        };
        let era = self.ops;
        self.enter("device_release_driver", vec![self.dev_name(dev)]);
        if let Some(d) = self.devices.get_mut(&dev) {
            d.driver = None;
        }
        self.enter("dma_cleanup", vec![self.dev_name(dev)]);
        era.dma_cleanup(self, dev, drv.managed);
        self.leave(NestedResult::Void);
        self.leave(NestedResult::Void);
        Ret::Ok
    }

    /// drivers/vfio/vfio.c: `vfio_group_set_container()` + `vfio_iommu_type1_attach_group()`
    /// (the container's IOMMU driver is type1 and already set): -EINVAL if the group has a
    /// container; the era's ownership claim (none before v5.19: no viability check here,
    /// shared/MODEL.md correction 1); a type1 UNMANAGED domain per IOMMU per container;
    /// `iommu_attach_group`; failure undoes the claim.
    pub fn vfio_group_set_container(&mut self, g: GroupId, c: Cookie) -> Ret {
        let Ok(grp) = self.group(g) else {
            return Ret::Err(Errno::ENODEV);
        };
        if grp.vfio_container.is_some() {
            return Ret::Err(Errno::EINVAL);
        }
        let Some(iommu) = grp
            .devices
            .first()
            .and_then(|d| self.devices.get(d))
            .map(|d| d.facts.iommu)
        else {
            return Ret::Err(Errno::ENODEV);
        };
        let era = self.ops;
        if let Err(e) = era.vfio_claim(self, g, &c) {
            return Ret::Err(e);
        }
        let existing = self
            .containers
            .get(&c)
            .and_then(|x| x.domains.get(&iommu))
            .copied();
        let (d, new) = match existing {
            Some(d) => (d, false),
            None => match self.alloc_domain(iommu, DomainType::Unmanaged, DomainRole::User) {
                Ok(d) => (d, true),
                Err(e) => {
                    era.vfio_release(self, g);
                    return Ret::Err(e);
                }
            },
        };
        if new {
            self.label_domain(d, &format!("{}.type1", c.0));
        }
        let args = vec![self.dom_name(d), Self::group_name(g)];
        self.enter("vfio_iommu_type1_attach_group", args);
        let r = era.vfio_attach(self, d, g);
        let r = self.leave_res(r);
        if let Err(e) = r {
            era.vfio_release(self, g);
            if new {
                if let Some(x) = self.domains.get_mut(&d) {
                    x.freed = true;
                }
            }
            return Ret::Err(e);
        }
        let cont = self.containers.entry(c.clone()).or_default();
        cont.domains.insert(iommu, d);
        cont.groups.push(g);
        if let Ok(grp) = self.group_mut(g) {
            grp.vfio_container = Some(c);
        }
        Ret::Ok
    }

    /// drivers/vfio/vfio.c: `vfio_group_unset_container()` →
    /// `vfio_iommu_type1_detach_group()` (`iommu_detach_group`, the domain freed with its
    /// last group) → the era's release of the claim. No container → -EINVAL.
    pub fn vfio_group_unset_container(&mut self, g: GroupId) -> Ret {
        let Ok(grp) = self.group(g) else {
            return Ret::Err(Errno::ENODEV);
        };
        let Some(c) = grp.vfio_container.clone() else {
            return Ret::Err(Errno::EINVAL);
        };
        let iommu = grp
            .devices
            .first()
            .and_then(|d| self.devices.get(d))
            .map(|d| d.facts.iommu);
        let era = self.ops;
        let d = iommu.and_then(|i| {
            self.containers
                .get(&c)
                .and_then(|x| x.domains.get(&i))
                .copied()
        });
        if let Some(d) = d {
            let args = vec![self.dom_name(d), Self::group_name(g)];
            self.enter("vfio_iommu_type1_detach_group", args);
            era.vfio_detach(self, d, g);
            self.leave(NestedResult::Void);
        }
        era.vfio_release(self, g);
        if let Ok(grp) = self.group_mut(g) {
            grp.vfio_container = None;
        }
        let empty = match self.containers.get_mut(&c) {
            Some(cont) => {
                cont.groups.retain(|&x| x != g);
                cont.groups.is_empty()
            }
            None => false,
        };
        if empty {
            if let Some(cont) = self.containers.remove(&c) {
                for d in cont.domains.values() {
                    self.enter("iommu_domain_free", vec![self.dom_name(*d)]);
                    let _ = self.domain_free(*d);
                    self.leave(NestedResult::Void);
                }
            }
        }
        Ret::Ok
    }
}
