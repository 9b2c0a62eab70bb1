//! Probe and release as the core does them for every era: drivers/iommu/iommu.c
//! `iommu_probe_device()` → `iommu_group_add_device()` (the default domain of a new group)
//! and `iommu_release_device()` → `__iommu_group_remove_device()`. What an era does for a
//! device joining an existing group is its `group_add_device` hook, which the kernel
//! dispatch calls after [`Cx::group_add_device`].

use super::{Core, Cx, Device, DeviceFacts, Group};
use crate::domain::{default_domain_type, DefaultDomainInputs, DomainRole, DomainType};
use crate::errno::Errno;
use crate::ids::{DeviceId, GroupId};

/// Which device of its group a probed device is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Joined {
    /// The group's first device: the group and its default domain were set up.
    First,
    /// A device joining an existing group: the era decides what it is attached to.
    Member,
}

impl Core {
    /// The device as `iommu_probe_device()` first sees it: no group, driver or domain.
    pub(crate) fn add_device(&mut self, id: DeviceId, facts: DeviceFacts) {
        let is_pci = facts.is_pci;
        self.devices.insert(
            id,
            Device {
                id,
                facts,
                group: None,
                driver: None,
                domain: None,
                iommufd: None,
                dma: Device::default_dma(is_pci),
            },
        );
    }

    /// drivers/iommu/iommu.c: `__iommu_group_remove_device()` (v6.8) for a device in group
    /// `g`: its context entry cleared and the device dropped from the group. The last
    /// device leaving frees the group, its default and blocking domains, and drops it from
    /// every VFIO container; the group as it was is returned (for the era's and I5's
    /// checks).
    pub(crate) fn group_remove_device(&mut self, dev: DeviceId, g: GroupId) -> Option<Group> {
        self.dev_detach(dev);
        let grp = self.groups.get_mut(&g)?;
        grp.devices.retain(|&x| x != dev);
        if !grp.devices.is_empty() {
            return None;
        }
        let grp = self.groups.remove(&g)?;
        for d in [grp.default_domain, grp.blocking_domain]
            .into_iter()
            .flatten()
        {
            if let Some(x) = self.domains.get_mut(&d) {
                x.freed = true;
            }
        }
        for cont in self.containers.values_mut() {
            cont.groups.retain(|&x| x != g);
        }
        Some(grp)
    }
}

impl Cx<'_> {
    /// drivers/iommu/iommu.c: `iommu_group_add_device()` (v6.8), the era-independent part:
    /// the device joins group `g`; a new group gets its default domain
    /// (`iommu_setup_default_domain`), a member of an existing group is checked against the
    /// group's default domain type and left for the era to attach ([`Joined::Member`]).
    pub(crate) fn group_add_device(&mut self, dev: DeviceId, g: GroupId) -> Result<Joined, Errno> {
        if let Some(x) = self.core.devices.get_mut(&dev) {
            x.group = Some(g);
        }
        if let crate::vec_map::Entry::Vacant(e) = self.core.groups.entry(g) {
            let mut grp = Group::new(g);
            grp.devices.push(dev);
            e.insert(grp);
            return self.setup_default_domain(g).map(|()| Joined::First);
        }
        self.core.group_mut(g)?.devices.push(dev);
        self.check_default_type_demand(dev, g);
        Ok(Joined::Member)
    }

    /// drivers/iommu/iommu.c: `iommu_get_default_domain_type()` (v6.8) for a device joining
    /// a group whose default domain exists: a conflicting demand (or an untrusted device in
    /// a non-DMA group) is only reported; the group keeps its default domain.
    fn check_default_type_demand(&mut self, dev: DeviceId, g: GroupId) {
        let Some(x) = self.core.devices.get(&dev) else {
            return;
        };
        let want = if x.facts.untrusted && x.facts.is_pci {
            Some(DomainType::Dma)
        } else {
            x.facts.def_domain_type
        };
        let have = self
            .core
            .groups
            .get(&g)
            .and_then(|grp| grp.default_domain)
            .and_then(|d| self.core.domains.get(&d))
            .map(|d| d.ty);
        if let (Some(want), Some(have)) = (want, have) {
            let compatible = want == have || (want == DomainType::Dma && have == DomainType::DmaFq);
            if !compatible {
                let n = self.core.dev_name(dev);
                self.rec.notice(
                    "iommu_get_default_domain_type",
                    &format!("{n}: Device needs domain type {want}, but iommu group {} already uses {have} - keeping it", g.0),
                );
            }
        }
    }

    /// drivers/iommu/iommu.c: `iommu_setup_default_domain()` (v6.8) for a new group.
    fn setup_default_domain(&mut self, g: GroupId) -> Result<(), Errno> {
        let members = self.core.members(g);
        let first = members.first().copied().ok_or(Errno::EINVAL)?;
        let (iommu, inputs) = {
            let x = self.core.devices.get(&first).ok_or(Errno::ENODEV)?;
            (
                x.facts.iommu,
                DefaultDomainInputs {
                    demand: x.facts.def_domain_type,
                    untrusted: x.facts.untrusted && x.facts.is_pci,
                },
            )
        };
        let deferred = self
            .core
            .iommus
            .get(&iommu)
            .is_some_and(|f| f.deferred_flush);
        let ty = default_domain_type(
            self.core.config.strict,
            self.core.config.passthrough,
            deferred,
            &[inputs],
        );
        self.rec
            .enter("iommu_setup_default_domain", vec![Core::group_name(g)]);
        let r = self.core.alloc_domain(iommu, ty, DomainRole::Default);
        let r = r.and_then(|d| {
            self.core.group_mut(g)?.default_domain = Some(d);
            self.group_set_domain(g, d, true, false)
        });
        self.rec.leave_res(r)
    }
}
