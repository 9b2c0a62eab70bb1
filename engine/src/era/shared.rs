//! Era (c) `shared`: Lu Baolu's DMA-ownership series v3/v4 (Dec 2021; v3 01/18 "iommu:
//! Add device dma ownership set/release interfaces", v4 07/13 "iommu: Add
//! iommu_at[de]tach_device_shared() for multi-device groups"), on top of v5.16's
//! `singleton` attach. Partly inferred from v3 and the review thread (shared/MODEL.md §3).
//!
//! Differs from `singleton`: the group records a DMA owner type, cookie and `owner_cnt`;
//! bus `dma_configure` claims DMA_OWNER_DMA_API unless the driver suppresses it (vfio-pci,
//! pci-stub, pcieport), so a conflicting claim fails with -EBUSY instead of VFIO's BUG_ON;
//! VFIO claims DMA_OWNER_PRIVATE_DOMAIN_USER and its notifier is gone;
//! `iommu_attach_device_shared` lets a PRIVATE_DOMAIN owner (Tegra host1x) attach several
//! devices of one group to one domain, counted in `attach_cnt`. A PRIVATE_DOMAIN_USER claim
//! detaches the group to no domain until the user attaches one, and group attach accepts
//! a group in no domain. Read from the LKML postings: v2 11/17 (28 Nov 2021), the v3/v4
//! `__iommu_group_set_dma_owner` and the v4 07/13 code quoted by Robin Murphy (21 Dec 2021).

use super::{is_managed, nested, EraOps, ProbeAttach};
use crate::call::{Cookie, DmaOwnerType};
use crate::core::{Core, Cx};
use crate::era::Era;
use crate::errno::Errno;
use crate::ids::{DeviceId, DomainId, GroupId};
use crate::trace::{NestedResult, Ret};

#[derive(Debug)]
pub struct Shared;

/// [V4] `__iommu_detach_group()`: owned for PRIVATE_DOMAIN_USER (or no default domain) →
/// detach every member, `group->domain = NULL`; else re-attach the default domain.
fn detach_group_v4(cx: &mut Cx<'_>, g: GroupId) -> Result<(), Errno> {
    let grp = cx.core.group(g)?;
    if grp.default_domain.is_none() || grp.dma_owner == DmaOwnerType::PrivateDomainUser {
        for dev in cx.core.members(g) {
            cx.rec.enter("ops->detach_dev", vec![cx.core.dev_name(dev)]);
            cx.core.dev_detach(dev);
            cx.rec.leave(NestedResult::Void);
        }
        let grp = cx.core.group_mut(g)?;
        grp.domain = None;
        grp.private_attach = false;
        return Ok(());
    }
    let def = grp.default_domain;
    if grp.domain != def {
        if let Some(def) = def {
            if cx.group_set_domain(g, def, false, false).is_err() {
                cx.rec.warn("__iommu_detach_group", "WARN_ON(1)");
            }
        }
    }
    cx.core.group_mut(g)?.private_attach = false;
    Ok(())
}

/// [V4] `__iommu_group_set_dma_owner()`: a claimed group accepts the same type and cookie
/// again (`owner_cnt++`), anything else -EBUSY. The first PRIVATE_DOMAIN_USER claim needs
/// the default domain (-EBUSY) and detaches the group so that no DMA reaches memory until
/// the user attaches a domain.
fn group_set_dma_owner(
    cx: &mut Cx<'_>,
    g: GroupId,
    ty: DmaOwnerType,
    cookie: Option<Cookie>,
) -> Result<(), Errno> {
    let grp = cx.core.group_mut(g)?;
    if grp.owner_cnt > 0 {
        if grp.dma_owner != ty || grp.owner != cookie {
            return Err(Errno::EBUSY);
        }
        grp.owner_cnt += 1;
        return Ok(());
    }
    if ty == DmaOwnerType::PrivateDomainUser && grp.domain.is_some() {
        if grp.domain != grp.default_domain {
            return Err(Errno::EBUSY);
        }
        grp.dma_owner = ty;
        detach_group_v4(cx, g)?;
    }
    let grp = cx.core.group_mut(g)?;
    grp.dma_owner = ty;
    grp.owner = cookie;
    grp.owner_cnt = 1;
    Ok(())
}

/// [V4] `__iommu_group_release_dma_owner()`: WARN on a type mismatch; at zero the group is
/// unowned again, and a PRIVATE_DOMAIN_USER group gets its default domain back (WARN if
/// the user left a domain attached).
fn group_release_dma_owner(cx: &mut Cx<'_>, g: GroupId, ty: DmaOwnerType) {
    let Ok(grp) = cx.core.group_mut(g) else {
        return;
    };
    if grp.owner_cnt == 0 || grp.dma_owner != ty {
        cx.rec.warn(
            "iommu_group_release_dma_owner",
            "WARN_ON(group->dma_owner != owner)",
        );
        return;
    }
    grp.owner_cnt -= 1;
    if grp.owner_cnt > 0 {
        return;
    }
    grp.dma_owner = DmaOwnerType::None;
    grp.owner = None;
    if ty == DmaOwnerType::PrivateDomainUser {
        let (dom, def) = (grp.domain, grp.default_domain);
        if dom.is_some() {
            cx.rec
                .warn("iommu_group_release_dma_owner", "WARN_ON(group->domain)");
        } else if let Some(def) = def {
            let _ = super::attach_group_draft(cx, def, g);
        }
    }
}

fn is_private(ty: DmaOwnerType) -> bool {
    matches!(
        ty,
        DmaOwnerType::PrivateDomain | DmaOwnerType::PrivateDomainUser
    )
}

impl EraOps for Shared {
    fn era(&self) -> Era {
        Era::Shared
    }

    /// `iommu_probe_device()` after a device joined an existing group: Lu Baolu's v4 01/13 leaves it as v5.16 has it: the default domain, owned or not.
    fn probe_attach(&self) -> ProbeAttach {
        ProbeAttach::Default
    }

    /// The singleton rule is kept.
    fn attach_device(&self, cx: &mut Cx<'_>, d: DomainId, dev: DeviceId) -> Ret {
        super::attach_device_singleton(cx, d, dev, super::attach_group_draft)
    }

    /// v5.16 `iommu_detach_device()`: WARN unless singleton, then `__iommu_detach_group`.
    fn detach_device(&self, cx: &mut Cx<'_>, _d: DomainId, dev: DeviceId) -> Ret {
        super::detach_device_singleton(cx, dev, None, super::DETACH_COUNT_WARN, |cx, g| {
            let _ = detach_group_v4(cx, g);
        })
    }

    /// Kept for VFIO type1; accepts a group in no domain (claimed for a user).
    fn attach_group(&self, cx: &mut Cx<'_>, d: DomainId, g: GroupId) -> Ret {
        super::attach_group_draft(cx, d, g).into()
    }

    fn detach_group(&self, cx: &mut Cx<'_>, _d: DomainId, g: GroupId) -> Ret {
        let _ = detach_group_v4(cx, g);
        Ret::Ok
    }

    /// [V3] `iommu_device_set_dma_owner(dev, owner, owner_cookie)`: no group → 0 for
    /// DMA_API, else -ENODEV; a claimed group takes only the same type and cookie (-EBUSY).
    fn device_set_dma_owner(
        &self,
        cx: &mut Cx<'_>,
        dev: DeviceId,
        ty: DmaOwnerType,
        cookie: Option<Cookie>,
    ) -> Ret {
        let Some(g) = cx.core.group_of(dev) else {
            return if ty == DmaOwnerType::DmaApi {
                Ret::Ok
            } else {
                Ret::Err(Errno::ENODEV)
            };
        };
        group_set_dma_owner(cx, g, ty, cookie).into()
    }

    /// [V3] `iommu_device_release_dma_owner(dev, owner)`.
    fn device_release_dma_owner(
        &self,
        cx: &mut Cx<'_>,
        dev: DeviceId,
        ty: Option<DmaOwnerType>,
    ) -> Ret {
        if let Some(g) = cx.core.group_of(dev) {
            group_release_dma_owner(cx, g, ty.unwrap_or(DmaOwnerType::DmaApi));
        }
        Ret::Ok
    }

    /// [V4] `iommu_group_release_dma_owner(group, DMA_OWNER_PRIVATE_DOMAIN_USER)` (VFIO).
    fn group_release_dma_owner(&self, cx: &mut Cx<'_>, g: GroupId) -> Ret {
        super::group_release_or_enodev(cx, g, |cx, g| {
            group_release_dma_owner(cx, g, DmaOwnerType::PrivateDomainUser)
        })
    }

    /// [V4] 07/13 `iommu_attach_device_shared(domain, dev)`: the group must be owned for a
    /// private domain (-EPERM); once attached only the same domain is accepted (-EBUSY);
    /// the first call does the group attach (its -EBUSY if not in the default domain).
    fn attach_device_shared(&self, cx: &mut Cx<'_>, d: DomainId, dev: DeviceId) -> Ret {
        let Some(g) = cx.core.group_of(dev) else {
            return Ret::Err(Errno::ENODEV);
        };
        let Ok(grp) = cx.core.group(g) else {
            return Ret::Err(Errno::ENODEV);
        };
        if !is_private(grp.dma_owner) {
            return Ret::Err(Errno::EPERM);
        }
        if grp.attach_cnt > 0 {
            if grp.domain != Some(d) {
                return Ret::Err(Errno::EBUSY);
            }
        } else if let Err(e) = super::attach_group_draft(cx, d, g) {
            return Ret::Err(e);
        }
        if let Ok(grp) = cx.core.group_mut(g) {
            grp.attach_cnt += 1;
        }
        Ret::Ok
    }

    /// [V4] 07/13 `iommu_detach_device_shared(domain, dev)`: WARN unless owned for a
    /// private domain, attached, and in `domain`; the last detach restores the default.
    fn detach_device_shared(&self, cx: &mut Cx<'_>, d: DomainId, dev: DeviceId) -> Ret {
        let Some(g) = cx.core.group_of(dev) else {
            return Ret::Ok;
        };
        let Ok(grp) = cx.core.group(g) else {
            return Ret::Ok;
        };
        if !is_private(grp.dma_owner) || grp.attach_cnt == 0 || grp.domain != Some(d) {
            cx.rec.warn(
                "iommu_detach_device_shared",
                "WARN_ON(!private owner || !group->attach_cnt || group->domain != domain)",
            );
            return Ret::Ok;
        }
        let left = match cx.core.group_mut(g) {
            Ok(grp) => {
                grp.attach_cnt -= 1;
                grp.attach_cnt
            }
            Err(_) => return Ret::Ok,
        };
        if left == 0 {
            let _ = detach_group_v4(cx, g);
        }
        Ret::Ok
    }

    /// [V3] 03/18 `pci_dma_configure()`/`platform_dma_configure()`: claim DMA_OWNER_DMA_API
    /// unless the driver sets `suppress_auto_claim_dma_owner`.
    fn dma_configure(&self, cx: &mut Cx<'_>, dev: DeviceId, managed: bool) -> Result<(), Errno> {
        if managed {
            return Ok(());
        }
        let args = vec![
            cx.core.dev_name(dev),
            "DMA_OWNER_DMA_API".into(),
            "NULL".into(),
        ];
        nested(cx, "iommu_device_set_dma_owner", args, |cx| {
            super::ret_to_result(self.device_set_dma_owner(cx, dev, DmaOwnerType::DmaApi, None))
        })
    }

    fn dma_cleanup(&self, cx: &mut Cx<'_>, dev: DeviceId, managed: bool) {
        if is_managed("", managed) {
            return;
        }
        let args = vec![cx.core.dev_name(dev), "DMA_OWNER_DMA_API".into()];
        super::nested_void(cx, "iommu_device_release_dma_owner", args, |cx| {
            let _ = self.device_release_dma_owner(cx, dev, Some(DmaOwnerType::DmaApi));
        });
    }

    /// [V4] "vfio: Set DMA USER ownership for VFIO devices": `vfio_group_set_container`
    /// claims the group for DMA_OWNER_PRIVATE_DOMAIN_USER (-EBUSY if a driver owns it).
    fn vfio_claim(&self, cx: &mut Cx<'_>, g: GroupId, c: &Cookie) -> Result<(), Errno> {
        let args = vec![
            Core::group_name(g),
            "DMA_OWNER_PRIVATE_DOMAIN_USER".into(),
            c.0.clone(),
        ];
        nested(cx, "iommu_group_set_dma_owner", args, |cx| {
            group_set_dma_owner(cx, g, DmaOwnerType::PrivateDomainUser, Some(c.clone()))
        })
    }

    fn vfio_release(&self, cx: &mut Cx<'_>, g: GroupId) {
        group_release_dma_owner(cx, g, DmaOwnerType::PrivateDomainUser);
    }
}
