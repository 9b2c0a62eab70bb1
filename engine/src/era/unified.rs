//! Era (d) `unified`: Robin Murphy's counterproposal (22 Dec 2021, [SEED]) as Lu Baolu
//! wrote it up in "[PATCH v1 0/8] Scrap iommu_attach/detach_group() interfaces" (6 Jan
//! 2022, never merged): 1/8 `iommu_group_replace_domain(group, old, new)`, 3/8 "Extend
//! iommu_at[de]tach_device() for multi-device groups", on top of the v5 ownership series
//! "Fix BUG_ON in vfio_iommu_group_notifier()" (4 Jan 2022; `iommu_device_use_dma_api`,
//! `iommu_group_set_dma_owner`), all read from the LKML postings.
//!
//! Differs from `v5.19`: `iommu_attach_device` works on a group of any size and claims
//! private-domain ownership by itself (`owner_cnt`, `attach_cnt`): a second device of the
//! group may attach the same domain, another domain is -EPERM, and DMA-API drivers bound
//! in a multi-device group make it -EBUSY. `iommu_attach_group`/`iommu_detach_group` are
//! deleted (n/a); VFIO type1 uses `iommu_group_replace_domain`. There is no blocking
//! domain yet: claiming a group detaches it to NULL (no context entry, DMA faults in the
//! model; on hardware that bypasses without a context it would not — the hole
//! 0286300e6045 closed), and the same owner may claim again (`owner_cnt++`).

use super::{nested, EraOps, ProbeAttach};
use crate::call::Cookie;
use crate::core::{Core, Cx};
use crate::domain::DomainType;
use crate::era::Era;
use crate::errno::Errno;
use crate::ids::{DeviceId, DomainId, GroupId};
use crate::trace::{NestedResult, Ret};

#[derive(Debug)]
pub struct Unified;

/// v5 series 01: `__iommu_detach_group()`: claimed (or no default domain) → detach every
/// member, `group->domain = NULL`; else re-attach the default domain (WARN on failure).
fn detach_group_v5(cx: &mut Cx<'_>, g: GroupId) -> Result<(), Errno> {
    let grp = cx.core.group(g)?;
    if grp.default_domain.is_none() || grp.owner.is_some() {
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
    if grp.domain == def {
        return Ok(());
    }
    if let Some(def) = def {
        if cx.group_set_domain(g, def, false, false).is_err() {
            cx.rec.warn("__iommu_detach_group", "WARN_ON(1)");
        }
    }
    cx.core.group_mut(g)?.private_attach = false;
    Ok(())
}

/// v5 series 01: `iommu_group_set_dma_owner(group, owner)`: a claimed group takes only
/// the same owner again (-EPERM; DMA-API users count with a NULL owner); an unclaimed one
/// must be in its default domain (-EBUSY) and is detached to NULL.
fn group_set_dma_owner_v5(cx: &mut Cx<'_>, g: GroupId, owner: Option<Cookie>) -> Result<(), Errno> {
    let grp = cx.core.group_mut(g)?;
    if grp.owner_cnt > 0 {
        if grp.owner != owner {
            return Err(Errno::EPERM);
        }
    } else {
        if grp.domain.is_some() && grp.domain != grp.default_domain {
            return Err(Errno::EBUSY);
        }
        grp.owner = owner;
        if grp.domain.is_some() {
            detach_group_v5(cx, g)?;
        }
    }
    cx.core.group_mut(g)?.owner_cnt += 1;
    Ok(())
}

/// v5 series 01: `iommu_group_release_dma_owner(group)`: WARN unless claimed; the last
/// release re-attaches the default domain, WARNing if a domain is still attached.
fn group_release_v5(cx: &mut Cx<'_>, g: GroupId) {
    let Ok(grp) = cx.core.group_mut(g) else {
        return;
    };
    if grp.owner_cnt == 0 || grp.owner.is_none() {
        cx.rec.warn(
            "iommu_group_release_dma_owner",
            "WARN_ON(!group->owner_cnt || !group->owner)",
        );
        return;
    }
    grp.owner_cnt -= 1;
    if grp.owner_cnt > 0 {
        return;
    }
    let (dom, def) = (grp.domain, grp.default_domain);
    if dom.is_some() {
        cx.rec
            .warn("iommu_group_release_dma_owner", "WARN_ON(group->domain)");
    } else if let Some(def) = def {
        let _ = super::attach_group_draft(cx, def, g);
    }
    if let Ok(grp) = cx.core.group_mut(g) {
        grp.owner = None;
    }
}

/// [SCRAP] 1/8 `iommu_group_replace_domain(group, old, new)`: only for an owned group
/// whose domain is `old` (-EPERM); detach `old`, attach `new`, re-attach `old` on failure.
fn replace_domain_v5(
    cx: &mut Cx<'_>,
    g: GroupId,
    old: Option<DomainId>,
    new: Option<DomainId>,
) -> Result<(), Errno> {
    let grp = cx.core.group(g)?;
    if grp.owner.is_none() || grp.domain != old {
        return Err(Errno::EPERM);
    }
    if old.is_some() {
        detach_group_v5(cx, g)?;
    }
    if let Some(n) = new {
        if let Err(e) = super::attach_group_draft(cx, n, g) {
            if let Some(o) = old {
                let _ = super::attach_group_draft(cx, o, g);
            }
            return Err(e);
        }
    }
    Ok(())
}

impl EraOps for Unified {
    super::use_default_domain_ops!();

    fn era(&self) -> Era {
        Era::Unified
    }

    /// `iommu_probe_device()` after a device joined an existing group: the v5 ownership series 01/14 under it: the default domain unless the group is owned.
    fn probe_attach(&self) -> ProbeAttach {
        ProbeAttach::DefaultUnlessOwned
    }

    /// [SCRAP] 3/8 `iommu_attach_device(domain, dev)`: UNMANAGED domains only (-EINVAL); no
    /// group -ENODEV; `owner_cnt > 0` and ((default domain and more than one device) or an
    /// owner) → -EBUSY; the first attach does the group attach, later ones must name the
    /// same domain (-EPERM); then `owner_cnt++`, `attach_cnt++`.
    fn attach_device(&self, cx: &mut Cx<'_>, d: DomainId, dev: DeviceId) -> Ret {
        if cx.core.domains.get(&d).map(|x| x.ty) != Some(DomainType::Unmanaged) {
            return Ret::Err(Errno::EINVAL);
        }
        let Some(g) = cx.core.group_of(dev) else {
            return Ret::Err(Errno::ENODEV);
        };
        let n = cx.core.group_device_count(g);
        let Ok(grp) = cx.core.group(g) else {
            return Ret::Err(Errno::ENODEV);
        };
        if grp.owner_cnt > 0
            && ((grp.domain == grp.default_domain && n != 1) || grp.owner.is_some())
        {
            return Ret::Err(Errno::EBUSY);
        }
        if grp.attach_cnt == 0 {
            if let Err(e) = super::attach_group_draft(cx, d, g) {
                return Ret::Err(e);
            }
        } else if grp.domain != Some(d) {
            return Ret::Err(Errno::EPERM);
        }
        if let Ok(grp) = cx.core.group_mut(g) {
            grp.owner_cnt += 1;
            grp.attach_cnt += 1;
            grp.private_attach = true;
        }
        Ret::Ok
    }

    /// [SCRAP] 3/8 `iommu_detach_device(domain, dev)`: WARN unless `domain` is UNMANAGED,
    /// attached and the group's; decrement both counts; the last detach detaches the group.
    fn detach_device(&self, cx: &mut Cx<'_>, d: DomainId, dev: DeviceId) -> Ret {
        if cx.core.domains.get(&d).map(|x| x.ty) != Some(DomainType::Unmanaged) {
            cx.rec.warn(
                "iommu_detach_device",
                "WARN_ON(domain->type != IOMMU_DOMAIN_UNMANAGED)",
            );
            return Ret::Ok;
        }
        let Some(g) = cx.core.group_of(dev) else {
            cx.rec.warn("iommu_detach_device", "WARN_ON(!group)");
            return Ret::Ok;
        };
        let Ok(grp) = cx.core.group(g) else {
            return Ret::Ok;
        };
        if grp.attach_cnt == 0 || grp.owner_cnt == 0 || grp.domain != Some(d) {
            cx.rec.warn(
                "iommu_detach_device",
                "WARN_ON(!group->attach_cnt || !group->owner_cnt || group->domain != domain)",
            );
            return Ret::Ok;
        }
        let left = match cx.core.group_mut(g) {
            Ok(grp) => {
                grp.owner_cnt -= 1;
                grp.attach_cnt -= 1;
                grp.attach_cnt
            }
            Err(_) => return Ret::Ok,
        };
        if left == 0 {
            let _ = detach_group_v5(cx, g);
        }
        Ret::Ok
    }

    /// v5 `iommu_group_set_dma_owner(group, owner)` under the merged name.
    fn group_claim_dma_owner(&self, cx: &mut Cx<'_>, g: GroupId, c: Option<Cookie>) -> Ret {
        group_set_dma_owner_v5(cx, g, c).into()
    }

    fn group_release_dma_owner(&self, cx: &mut Cx<'_>, g: GroupId) -> Ret {
        super::group_release_or_enodev(cx, g, group_release_v5)
    }

    /// [SCRAP] 1/8 with `old` = the group's current domain (the scenario passes only the
    /// new one); NULL detaches.
    fn group_replace_domain(&self, cx: &mut Cx<'_>, g: GroupId, d: Option<DomainId>) -> Ret {
        let old = match cx.core.group(g) {
            Ok(grp) => grp.domain,
            Err(e) => return Ret::Err(e),
        };
        replace_domain_v5(cx, g, old, d).into()
    }

    /// v5 "vfio: Set DMA ownership for VFIO devices": `iommu_group_set_dma_owner(group, file)`.
    fn vfio_claim(&self, cx: &mut Cx<'_>, g: GroupId, c: &Cookie) -> Result<(), Errno> {
        let args = vec![Core::group_name(g), c.0.clone()];
        nested(cx, "iommu_group_set_dma_owner", args, |cx| {
            group_set_dma_owner_v5(cx, g, Some(c.clone()))
        })
    }

    fn vfio_release(&self, cx: &mut Cx<'_>, g: GroupId) {
        let args = vec![Core::group_name(g)];
        super::nested_void(cx, "iommu_group_release_dma_owner", args, |cx| {
            group_release_v5(cx, g)
        });
    }

    /// [SCRAP] 2/8 "vfio/type1: Use iommu_group_replace_domain()": (NULL → domain).
    fn vfio_attach(&self, cx: &mut Cx<'_>, d: DomainId, g: GroupId) -> Result<(), Errno> {
        let args = vec![Core::group_name(g), "NULL".into(), cx.core.dom_name(d)];
        nested(cx, "iommu_group_replace_domain", args, |cx| {
            replace_domain_v5(cx, g, None, Some(d))
        })
    }

    /// [SCRAP] 2/8: (domain → NULL).
    fn vfio_detach(&self, cx: &mut Cx<'_>, d: DomainId, g: GroupId) {
        let args = vec![Core::group_name(g), cx.core.dom_name(d), "NULL".into()];
        let _ = nested(cx, "iommu_group_replace_domain", args, |cx| {
            replace_domain_v5(cx, g, Some(d), None)
        });
    }
}
