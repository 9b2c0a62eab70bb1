//! Era (d) `unified`: Robin Murphy's counterproposal (22 Dec 2021, [SEED]) in its closest
//! concrete form, Lu Baolu "[PATCH v1 3/8] iommu: Extend iommu_at[de]tach_device() for
//! multi-device groups" (6 Jan 2022, never merged), on the v5 ownership core (modelled as
//! the merged v5.19 one).
//!
//! Differs from `v5.19`: `iommu_attach_device` works on a group of any size and claims
//! private-domain ownership by itself (`owner_cnt`, `attach_cnt`): a second device of the
//! group may attach the same domain, another domain is -EPERM, and bound DMA-API drivers
//! in a multi-device group make it -EBUSY. `iommu_attach_group`/`iommu_detach_group` are
//! deleted (n/a); VFIO attaches through the core's internal group attach after its claim.

use super::v5_19::{
    attach_group_v5_19, detach_group_v5_19, group_claim_v5_19, group_release_v5_19,
};
use super::{dma_cleanup_unuse_default, dma_configure_use_default, nested, Era};
use super::{unuse_default_domain_v5_19, use_default_domain_v5_19};
use crate::call::Cookie;
use crate::domain::DomainType;
use crate::errno::Errno;
use crate::generation::Generation;
use crate::ids::{DeviceId, DomainId, GroupId};
use crate::iommu::Kernel;
use crate::trace::Ret;

#[derive(Debug)]
pub struct Unified;

impl Era for Unified {
    fn generation(&self) -> Generation {
        Generation::Unified
    }

    /// [SCRAP] `iommu_attach_device(domain, dev)`: UNMANAGED domains only (-EINVAL); no
    /// group -ENODEV; `owner_cnt > 0` and ((default domain and more than one device) or an
    /// owner cookie) → -EBUSY; first attach does the group attach, later ones must name
    /// the same domain (-EPERM); then `owner_cnt++`, `attach_cnt++`.
    fn attach_device(&self, k: &mut Kernel, d: DomainId, dev: DeviceId) -> Ret {
        if k.domains.get(&d).map(|x| x.ty) != Some(DomainType::Unmanaged) {
            return Ret::Err(Errno::EINVAL);
        }
        let Some(g) = k.group_of(dev) else {
            return Ret::Err(Errno::ENODEV);
        };
        let n = k.group_device_count(g);
        let Ok(grp) = k.group(g) else {
            return Ret::Err(Errno::ENODEV);
        };
        if grp.owner_cnt > 0
            && ((grp.domain == grp.default_domain && n != 1) || grp.owner.is_some())
        {
            return Ret::Err(Errno::EBUSY);
        }
        if grp.attach_cnt == 0 {
            if let Err(e) = attach_group_v5_19(k, d, g) {
                return Ret::Err(e);
            }
        } else if grp.domain != Some(d) {
            return Ret::Err(Errno::EPERM);
        }
        if let Ok(grp) = k.group_mut(g) {
            grp.owner_cnt += 1;
            grp.attach_cnt += 1;
            grp.private_attach = true;
        }
        Ret::Ok
    }

    /// [SCRAP] `iommu_detach_device(domain, dev)`: WARN unless attached to `domain`;
    /// decrement both counts; the last detach returns the group to its core domain.
    fn detach_device(&self, k: &mut Kernel, d: DomainId, dev: DeviceId) -> Ret {
        let Some(g) = k.group_of(dev) else {
            return Ret::Ok;
        };
        let Ok(grp) = k.group(g) else { return Ret::Ok };
        if grp.attach_cnt == 0 || grp.owner_cnt == 0 || grp.domain != Some(d) {
            k.warn(
                "iommu_detach_device",
                "WARN_ON(!group->attach_cnt || group->domain != domain)",
            );
            return Ret::Ok;
        }
        let left = match k.group_mut(g) {
            Ok(grp) => {
                grp.owner_cnt -= 1;
                grp.attach_cnt -= 1;
                grp.attach_cnt
            }
            Err(_) => return Ret::Ok,
        };
        if left == 0 {
            let _ = detach_group_v5_19(k, g);
        }
        Ret::Ok
    }

    fn group_claim_dma_owner(&self, k: &mut Kernel, g: GroupId, c: Option<Cookie>) -> Ret {
        group_claim_v5_19(k, g, c, DomainType::Unmanaged).into()
    }

    fn group_release_dma_owner(&self, k: &mut Kernel, g: GroupId) -> Ret {
        if k.group(g).is_err() {
            return Ret::Err(Errno::ENODEV);
        }
        group_release_v5_19(k, g);
        Ret::Ok
    }

    fn device_use_default_domain(&self, k: &mut Kernel, dev: DeviceId) -> Ret {
        use_default_domain_v5_19(k, dev).into()
    }

    fn device_unuse_default_domain(&self, k: &mut Kernel, dev: DeviceId) -> Ret {
        unuse_default_domain_v5_19(k, dev);
        Ret::Ok
    }

    fn dma_configure(&self, k: &mut Kernel, dev: DeviceId, managed: bool) -> Result<(), Errno> {
        dma_configure_use_default(self, k, dev, managed)
    }

    fn dma_cleanup(&self, k: &mut Kernel, dev: DeviceId, managed: bool) {
        dma_cleanup_unuse_default(self, k, dev, managed);
    }

    fn vfio_claim(&self, k: &mut Kernel, g: GroupId, c: &Cookie) -> Result<(), Errno> {
        let args = vec![Kernel::group_name(g), c.0.clone()];
        nested(k, "iommu_group_claim_dma_owner", args, |k| {
            group_claim_v5_19(k, g, Some(c.clone()), DomainType::Unmanaged)
        })
    }

    fn vfio_release(&self, k: &mut Kernel, g: GroupId) {
        let args = vec![Kernel::group_name(g)];
        k.enter("iommu_group_release_dma_owner", args);
        group_release_v5_19(k, g);
        k.leave(String::new());
    }

    /// VFIO keeps a group-level attach inside the core ("a separate version for VFIO").
    fn vfio_attach(&self, k: &mut Kernel, d: DomainId, g: GroupId) -> Result<(), Errno> {
        attach_group_v5_19(k, d, g)
    }

    fn vfio_detach(&self, k: &mut Kernel, _d: DomainId, g: GroupId) {
        let _ = detach_group_v5_19(k, g);
    }
}
