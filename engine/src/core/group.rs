//! `struct iommu_group` and the VFIO container, with the lookups every era uses and what
//! the scenario's `expect domain(...)`/`expect owner(...)` compare against.

use super::Core;
use crate::call::{Cookie, DmaOwnerType};
use crate::domain::DomainType;
use crate::errno::Errno;
use crate::ids::{DeviceId, DomainId, GroupId, IommuId};
use crate::vec_map::VecMap;
use serde::Serialize;

/// `struct iommu_group`, with the fields of every era.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Group {
    pub id: GroupId,
    pub devices: Vec<DeviceId>,
    pub default_domain: Option<DomainId>,
    pub blocking_domain: Option<DomainId>,
    /// `group->domain`, the domain the core believes every member is in.
    pub domain: Option<DomainId>,
    /// `group->owner` (v5.19+) / `owner_cookie` (v4 proposal).
    pub owner: Option<Cookie>,
    pub owner_cnt: u32,
    /// The v4 proposal's `group->dma_owner`.
    pub dma_owner: DmaOwnerType,
    /// The v4 proposal's / unified proposal's `group->attach_cnt`.
    pub attach_cnt: u32,
    /// The current domain was set by `iommu_attach_device` (private-domain user), and the
    /// driver bound then has not unbound since (the I2 exemption).
    pub private_attach: bool,
    /// The VFIO container the group is set to (VFIO's own state, every era).
    pub vfio_container: Option<Cookie>,
}

impl Group {
    /// A group with no devices, no domain and no owner (`iommu_group_alloc`).
    pub fn new(id: GroupId) -> Group {
        Group {
            id,
            devices: Vec::new(),
            default_domain: None,
            blocking_domain: None,
            domain: None,
            owner: None,
            owner_cnt: 0,
            dma_owner: DmaOwnerType::None,
            attach_cnt: 0,
            private_attach: false,
            vfio_container: None,
        }
    }
}

/// A VFIO container with the type1 domain per IOMMU.
#[derive(Clone, Debug, Default)]
pub struct Container {
    pub domains: VecMap<IommuId, DomainId>,
    pub groups: Vec<GroupId>,
}

impl Core {
    /// `dev->iommu_group`.
    pub fn group_of(&self, dev: DeviceId) -> Option<GroupId> {
        self.devices.get(&dev).and_then(|d| d.group)
    }

    /// The group, or `-ENODEV` as `iommu_group_get()` returning NULL is reported.
    pub(crate) fn group(&self, g: GroupId) -> Result<&Group, Errno> {
        self.groups.get(&g).ok_or(Errno::ENODEV)
    }

    pub(crate) fn group_mut(&mut self, g: GroupId) -> Result<&mut Group, Errno> {
        self.groups.get_mut(&g).ok_or(Errno::ENODEV)
    }

    /// `iommu_group_device_count()` / `list_count_nodes(&group->devices)`.
    pub fn group_device_count(&self, g: GroupId) -> usize {
        self.groups.get(&g).map_or(0, |g| g.devices.len())
    }

    pub(crate) fn members(&self, g: GroupId) -> Vec<DeviceId> {
        self.groups
            .get(&g)
            .map(|g| g.devices.clone())
            .unwrap_or_default()
    }

    /// `group->domain`.
    pub fn group_domain(&self, g: GroupId) -> Option<DomainId> {
        self.groups.get(&g).and_then(|g| g.domain)
    }

    /// `group->owner_cnt` (0 for an unknown group).
    pub fn owner_cnt(&self, g: GroupId) -> u32 {
        self.groups.get(&g).map_or(0, |g| g.owner_cnt)
    }

    /// What `expect domain(group(X)) == ...` compares against: `default`, `blocking`,
    /// `identity` (an IDENTITY domain), `none`, or the domain's label.
    pub fn group_domain_names(&self, g: GroupId) -> Vec<String> {
        let Some(grp) = self.groups.get(&g) else {
            return vec!["none".into()];
        };
        let Some(d) = grp.domain else {
            return vec!["none".into()];
        };
        let mut v = vec![self.dom_name(d)];
        if grp.default_domain == Some(d) {
            v.push("default".into());
        }
        if grp.blocking_domain == Some(d) {
            v.push("blocking".into());
        }
        if self
            .domains
            .get(&d)
            .is_some_and(|x| x.ty == DomainType::Identity)
        {
            v.push("identity".into());
        }
        v
    }

    /// What `expect owner(group(X)) == ...` compares against: the owner cookie (or VFIO
    /// container before v5.19), `dma-api` when only DMA-API users count, else `none`.
    pub fn owner_label(&self, g: GroupId) -> String {
        let Some(grp) = self.groups.get(&g) else {
            return "none".into();
        };
        if let Some(c) = grp.owner.as_ref().or(grp.vfio_container.as_ref()) {
            return c.0.clone();
        }
        let dma_api = grp.dma_owner == DmaOwnerType::DmaApi
            || (grp.owner_cnt > grp.attach_cnt)
            || grp.devices.iter().any(|&d| self.has_dma_api_driver(d));
        if dma_api {
            "dma-api".into()
        } else {
            "none".into()
        }
    }
}
