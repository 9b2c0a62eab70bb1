//! Attaching devices and groups to domains: the IOMMU driver's `attach_dev`/`detach_dev`
//! on context entries, the core's group-wide switch and the blocking domain.

use super::{Core, Cx};
use crate::domain::{DomainRole, DomainType};
use crate::errno::Errno;
use crate::ids::{DeviceId, DomainId, GroupId};

impl Cx<'_> {
    /// The IOMMU driver's `ops->attach_dev(domain, dev)`: programs the context entry of the
    /// device's requester ID. arm-smmu/arm-smmu-v3: a domain of another SMMU → -EINVAL.
    pub(crate) fn dev_attach(&mut self, dev: DeviceId, d: DomainId) -> Result<(), Errno> {
        let (iommu, rid) = {
            let x = self.core.devices.get(&dev).ok_or(Errno::ENODEV)?;
            (x.facts.iommu, x.facts.requester_id)
        };
        let dom = self.core.domains.get(&d).ok_or(Errno::EINVAL)?;
        if dom.iommu != iommu {
            return Err(Errno::EINVAL);
        }
        if dom.freed {
            let n = self.core.dom_name(d);
            self.rec
                .model_warn("attach_dev", &format!("attaching freed domain {n}"));
        }
        if let Some(x) = self.core.devices.get_mut(&dev) {
            x.domain = Some(d);
        }
        self.core.contexts.insert((iommu, rid), d);
        Ok(())
    }

    /// drivers/iommu/iommu.c: `__iommu_group_set_domain_internal()` (v6.8) when
    /// `rollback`, else the ≤ v6.1 `__iommu_group_for_each_dev(..., attach)` loop that
    /// stops at the first error and leaves earlier members moved. `require_direct`: v6.8
    /// `__iommu_device_set_domain()` refuses a blocking domain for such a device (-EINVAL).
    pub(crate) fn group_set_domain(
        &mut self,
        g: GroupId,
        d: DomainId,
        rollback: bool,
        check_require_direct: bool,
    ) -> Result<(), Errno> {
        let old = self.core.group(g)?.domain;
        let blocking = self.core.group(g)?.blocking_domain;
        if rollback && old == Some(d) {
            return Ok(());
        }
        let members = self.core.members(g);
        let is_blocked = self
            .core
            .domains
            .get(&d)
            .is_some_and(|x| x.ty == DomainType::Blocked)
            || blocking == Some(d);
        let mut done: Vec<(DeviceId, Option<DomainId>)> = Vec::new();
        let mut result = Ok(());
        for dev in members {
            if check_require_direct
                && is_blocked
                && self
                    .core
                    .devices
                    .get(&dev)
                    .is_some_and(|x| x.facts.require_direct)
            {
                let n = self.core.dev_name(dev);
                self.rec.notice(
                    "__iommu_device_set_domain",
                    &format!("{n}: Firmware has requested this device have a 1:1 IOMMU mapping, rejecting configuring the device without a 1:1 mapping"),
                );
                result = Err(Errno::EINVAL);
                break;
            }
            let prev = self.core.devices.get(&dev).and_then(|x| x.domain);
            let args = vec![self.core.dom_name(d), self.core.dev_name(dev)];
            self.rec.enter("ops->attach_dev", args);
            let r = self.dev_attach(dev, d);
            if let Err(e) = self.rec.leave_res(r) {
                result = Err(e);
                break;
            }
            done.push((dev, prev));
        }
        if let Err(e) = result {
            if rollback {
                for (dev, prev) in done.into_iter().rev() {
                    match prev {
                        Some(p) => {
                            let _ = self.dev_attach(dev, p);
                        }
                        None => self.core.dev_detach(dev),
                    }
                }
            }
            return Err(e);
        }
        self.core.group_mut(g)?.domain = Some(d);
        Ok(())
    }
}

impl Core {
    /// The IOMMU driver's `ops->detach_dev(domain, dev)` (≤ v5.x): clears the context
    /// entry unless another device sharing the requester ID still uses it.
    pub(crate) fn dev_detach(&mut self, dev: DeviceId) {
        let Some(x) = self.devices.get_mut(&dev) else {
            return;
        };
        x.domain = None;
        let key = (x.facts.iommu, x.facts.requester_id);
        let others = self.devices.values().filter(|o| {
            o.id != dev && o.domain.is_some() && (o.facts.iommu, o.facts.requester_id) == key
        });
        let keep = others.filter_map(|o| o.domain).next();
        match keep {
            Some(d) => {
                self.contexts.insert(key, d);
            }
            None => {
                self.contexts.remove(&key);
            }
        }
    }

    /// Allocates the group's blocking domain once (`__iommu_group_alloc_blocking_domain`).
    pub(crate) fn ensure_blocking_domain(
        &mut self,
        g: GroupId,
        ty: DomainType,
    ) -> Result<DomainId, Errno> {
        if let Some(b) = self.group(g)?.blocking_domain {
            return Ok(b);
        }
        let first = self.members(g).first().copied().ok_or(Errno::EINVAL)?;
        let iommu = self
            .devices
            .get(&first)
            .map(|x| x.facts.iommu)
            .ok_or(Errno::EINVAL)?;
        let b = self.alloc_domain(iommu, ty, DomainRole::Blocking)?;
        self.group_mut(g)?.blocking_domain = Some(b);
        Ok(b)
    }
}
