//! The six API eras of attach/ownership behind one interface ([`EraOps`]), one small file
//! each, so comparing two eras is comparing two files (shared/MODEL.md §3).
//!
//! | era | what changes (one sentence) | source |
//! |---|---|---|
//! | `legacy` | `iommu_attach_device` goes straight to the driver on any group; no group domain, no ownership. | iommu.c 3.10-era |
//! | `singleton` | `iommu_attach_device` refuses groups of more than one device (-EINVAL); group attach needs the default domain (-EBUSY); VFIO polices binds with a `BUG_ON`. | 426a273834ea … v5.18 |
//! | `shared` | DMA owner types; bus `dma_configure` claims DMA_API; `iommu_attach_device_shared` with `attach_cnt` for Tegra. | Lu Baolu v4 (Dec 2021) |
//! | `unified` | one `iommu_attach_device` for any group size, counting private-domain ownership; `iommu_attach_group` gone. | Robin Murphy 22 Dec 2021; Lu Baolu v1 3/8 (Jan 2022) |
//! | `v5.19` | `iommu_device_use_default_domain` from `dma_configure`, exclusive `iommu_group_claim_dma_owner` to a blocking domain, `driver_managed_dma`. | iommu-updates-v5.19 |
//! | `current` | adds `iommu_device_claim_dma_owner` with shared cookies, BLOCKED blocking domains, all-or-nothing group switches and `iommu_group_replace_domain`. | iommu.c v6.8 |

/// The default-domain use count of v5.19 onwards, as [`EraOps`] methods: the same code in
/// `unified` (the v5 ownership series' `iommu_device_use_dma_api`/`iommu_device_unuse_dma_api`
/// (4 Jan 2022), renamed in v5.19), `v5.19` and `current`.
/// drivers/iommu/iommu.c: `iommu_device_use_default_domain()` and
/// `iommu_device_unuse_default_domain()` (v5.19 … v6.8; in v6.8 the PASID clause is not
/// modelled, and the 2025 -EPROBE_DEFER cannot arise: every group gets its default domain
/// at probe): [`use_default_domain_v5_19`], [`unuse_default_domain_v5_19`]; and the bus
/// `dma_configure`/`dma_cleanup` that call them ([`dma_configure_use_default`],
/// [`dma_cleanup_unuse_default`]).
macro_rules! use_default_domain_ops {
    () => {
        fn device_use_default_domain(&self, cx: &mut Cx<'_>, dev: DeviceId) -> Ret {
            super::use_default_domain_v5_19(cx, dev).into()
        }
        fn device_unuse_default_domain(&self, cx: &mut Cx<'_>, dev: DeviceId) -> Ret {
            super::unuse_default_domain_v5_19(cx, dev);
            Ret::Ok
        }
        fn dma_configure(
            &self,
            cx: &mut Cx<'_>,
            dev: DeviceId,
            managed: bool,
        ) -> Result<(), Errno> {
            super::dma_configure_use_default(self, cx, dev, managed)
        }
        fn dma_cleanup(&self, cx: &mut Cx<'_>, dev: DeviceId, managed: bool) {
            super::dma_cleanup_unuse_default(self, cx, dev, managed);
        }
    };
}
use use_default_domain_ops;

mod current;
mod legacy;
mod name;
mod shared;
mod singleton;
mod unified;
mod v5_19;

pub use name::{Config, Era};

use crate::call::{driver_is_managed_by_name, driver_is_vfio, Cookie, DmaOwnerType};
use crate::core::{Core, Cx, Group};
use crate::domain::{DomainRole, DomainType};
use crate::errno::Errno;
use crate::ids::{DeviceId, DomainId, GroupId, IommuId};
use crate::record::Recorder;
use crate::trace::{NestedResult, Ret};
use std::fmt::Debug;

/// One era of the attach/ownership API. Every method models one kernel function of that
/// era; a function the era lacks keeps the default body and returns [`Ret::NotAvailable`].
/// Hooks (`dma_configure`, `group_add_device`, `vfio_*`) are what the driver core and
/// VFIO do in that era.
pub trait EraOps: Debug + Sync {
    fn era(&self) -> Era;

    /// drivers/iommu/iommu.c: `iommu_domain_alloc(bus)`: an UNMANAGED paging domain
    /// (every era; removed after v6.12, modelled as present). It returns NULL when the
    /// driver's allocation fails (`__iommu_domain_alloc()`, v6.8: "if (!domain) return
    /// NULL"; 3.10: kzalloc failure or `ops->domain_init()` failing), never an errno: the
    /// trace shows `NULL`, and the handle it was kept in is NULL.
    fn domain_alloc(&self, cx: &mut Cx<'_>, iommu: IommuId) -> Ret {
        match cx
            .core
            .alloc_domain(iommu, DomainType::Unmanaged, DomainRole::User)
        {
            Ok(d) => Ret::Domain(d),
            Err(_) => Ret::Null,
        }
    }
    fn paging_domain_alloc(&self, _cx: &mut Cx<'_>, _dev: DeviceId) -> Ret {
        Ret::NotAvailable
    }
    fn attach_device(&self, _cx: &mut Cx<'_>, _d: DomainId, _dev: DeviceId) -> Ret {
        Ret::NotAvailable
    }
    fn detach_device(&self, _cx: &mut Cx<'_>, _d: DomainId, _dev: DeviceId) -> Ret {
        Ret::NotAvailable
    }
    fn attach_group(&self, _cx: &mut Cx<'_>, _d: DomainId, _g: GroupId) -> Ret {
        Ret::NotAvailable
    }
    fn detach_group(&self, _cx: &mut Cx<'_>, _d: DomainId, _g: GroupId) -> Ret {
        Ret::NotAvailable
    }
    fn attach_device_shared(&self, _cx: &mut Cx<'_>, _d: DomainId, _dev: DeviceId) -> Ret {
        Ret::NotAvailable
    }
    fn detach_device_shared(&self, _cx: &mut Cx<'_>, _d: DomainId, _dev: DeviceId) -> Ret {
        Ret::NotAvailable
    }
    fn device_set_dma_owner(
        &self,
        _cx: &mut Cx<'_>,
        _dev: DeviceId,
        _ty: DmaOwnerType,
        _cookie: Option<Cookie>,
    ) -> Ret {
        Ret::NotAvailable
    }
    fn device_release_dma_owner(
        &self,
        _cx: &mut Cx<'_>,
        _dev: DeviceId,
        _ty: Option<DmaOwnerType>,
    ) -> Ret {
        Ret::NotAvailable
    }
    fn group_claim_dma_owner(&self, _cx: &mut Cx<'_>, _g: GroupId, _c: Option<Cookie>) -> Ret {
        Ret::NotAvailable
    }
    fn group_release_dma_owner(&self, _cx: &mut Cx<'_>, _g: GroupId) -> Ret {
        Ret::NotAvailable
    }
    fn device_claim_dma_owner(&self, _cx: &mut Cx<'_>, _dev: DeviceId, _c: Option<Cookie>) -> Ret {
        Ret::NotAvailable
    }
    fn device_use_default_domain(&self, _cx: &mut Cx<'_>, _dev: DeviceId) -> Ret {
        Ret::NotAvailable
    }
    fn device_unuse_default_domain(&self, _cx: &mut Cx<'_>, _dev: DeviceId) -> Ret {
        Ret::NotAvailable
    }
    fn group_replace_domain(&self, _cx: &mut Cx<'_>, _g: GroupId, _d: Option<DomainId>) -> Ret {
        Ret::NotAvailable
    }
    fn iommufd_device_bind(&self, _cx: &mut Cx<'_>, _dev: DeviceId, _ictx: Cookie) -> Ret {
        Ret::NotAvailable
    }
    fn iommufd_device_unbind(&self, _cx: &mut Cx<'_>, _dev: DeviceId) -> Ret {
        Ret::NotAvailable
    }

    // ------------------------------------------------------------ driver core hooks

    /// The bus `dma_configure` step of `really_probe` (IOMMU part only).
    fn dma_configure(&self, _cx: &mut Cx<'_>, _dev: DeviceId, _managed: bool) -> Result<(), Errno> {
        Ok(())
    }
    /// The bus `dma_cleanup` step of unbind / failed probe.
    fn dma_cleanup(&self, _cx: &mut Cx<'_>, _dev: DeviceId, _managed: bool) {}
    /// `BUS_NOTIFY_BOUND_DRIVER` listeners after a successful probe.
    fn bound_driver(&self, _cx: &mut Cx<'_>, _dev: DeviceId) {}
    /// `iommu_group_add_device()` for a device joining an existing group.
    fn group_add_device(&self, cx: &mut Cx<'_>, dev: DeviceId, g: GroupId) -> Result<(), Errno> {
        join_group_domain(cx, dev, g)
    }
    /// What `iommu_probe_device()` attaches a device that joined an existing group to,
    /// after `iommu_group_add_device()` joined it to `group->domain`
    /// ([`attach_default_after_add`]). From v6.4 (read in v6.8) `__iommu_probe_device()`
    /// only joins `group->domain`: nothing more.
    fn probe_attach(&self) -> ProbeAttach {
        ProbeAttach::GroupDomainOnly
    }

    // ------------------------------------------------------------ VFIO hooks

    /// The ownership step of `vfio_group_set_container()` (none before v5.19).
    fn vfio_claim(&self, _cx: &mut Cx<'_>, _g: GroupId, _c: &Cookie) -> Result<(), Errno> {
        Ok(())
    }
    /// Undo of [`EraOps::vfio_claim`].
    fn vfio_release(&self, _cx: &mut Cx<'_>, _g: GroupId) {}
    /// `vfio_iommu_type1_attach_group()`'s IOMMU call (`iommu_attach_group`).
    fn vfio_attach(&self, cx: &mut Cx<'_>, d: DomainId, g: GroupId) -> Result<(), Errno> {
        ret_to_result(self.attach_group(cx, d, g))
    }
    /// `vfio_iommu_type1_detach_group()`'s IOMMU call (`iommu_detach_group`).
    fn vfio_detach(&self, cx: &mut Cx<'_>, d: DomainId, g: GroupId) {
        let _ = self.detach_group(cx, d, g);
    }

    // ------------------------------------------------------------ what the core checks

    /// The domain the core believes group `g` is in, which invariant I1 compares every
    /// member's domain against; `attached` is each member with the domain its driver last
    /// attached it to. drivers/iommu/iommu.c: `group->domain`, which every era after
    /// `legacy` keeps.
    fn group_domain(
        &self,
        g: &Group,
        _attached: &[(DeviceId, Option<DomainId>)],
    ) -> Option<DomainId> {
        g.domain
    }

    /// Whether an owned group must have left its default domain (invariant I3's second
    /// half). Before v5.19 a claim could leave the group where it was.
    fn owned_group_leaves_default(&self) -> bool {
        false
    }

    /// `__iommu_group_remove_device()` for a group whose last device left owned or off its
    /// default domain (I5 broken): nothing is printed before v6.8.
    fn group_emptied_dirty(&self, _rec: &mut Recorder) {}
}

static LEGACY: legacy::Legacy = legacy::Legacy;
static SINGLETON: singleton::Singleton = singleton::Singleton;
static SHARED: shared::Shared = shared::Shared;
static UNIFIED: unified::Unified = unified::Unified;
static V5_19: v5_19::V519 = v5_19::V519;
static CURRENT: current::Current = current::Current;

/// The implementation of one generation.
pub fn ops(g: Era) -> &'static dyn EraOps {
    match g {
        Era::Legacy => &LEGACY,
        Era::Singleton => &SINGLETON,
        Era::Shared => &SHARED,
        Era::Unified => &UNIFIED,
        Era::V5_19 => &V5_19,
        Era::Current => &CURRENT,
    }
}

/// A `Ret` of a nested call as a `Result` (n/a becomes -ENODEV: the call is missing).
pub(crate) fn ret_to_result(r: Ret) -> Result<(), Errno> {
    match r {
        Ret::Ok | Ret::Value(_) | Ret::Domain(_) | Ret::Bug => Ok(()),
        Ret::Err(e) => Err(e),
        Ret::NotAvailable => Err(Errno::ENODEV),
        Ret::DmaMappingError | Ret::Null => Err(Errno::ENOMEM),
    }
}

/// Runs `f` as a nested kernel call named `name` in the trace.
pub(crate) fn nested(
    cx: &mut Cx<'_>,
    name: &str,
    args: Vec<String>,
    f: impl FnOnce(&mut Cx<'_>) -> Result<(), Errno>,
) -> Result<(), Errno> {
    cx.rec.enter(name, args);
    let r = f(cx);
    cx.rec.leave_res(r)
}

/// drivers/iommu/iommu.c: `iommu_group_add_device()` (v4.4 … v6.8): a device joining a
/// group that has a current domain is attached to it.
pub(crate) fn join_group_domain(cx: &mut Cx<'_>, dev: DeviceId, g: GroupId) -> Result<(), Errno> {
    match cx.core.group(g)?.domain {
        Some(d) => {
            let args = vec![cx.core.dom_name(d), cx.core.dev_name(dev)];
            nested(cx, "__iommu_attach_device", args, |cx| {
                cx.dev_attach(dev, d)
            })
        }
        None => Ok(()),
    }
}

/// What `iommu_probe_device()` attaches a device to after it joined an existing group
/// ([`EraOps::probe_attach`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProbeAttach {
    /// v6.4+: `group->domain` only (joined in `iommu_group_add_device()`).
    GroupDomainOnly,
    /// ≤ v5.18: then `group->default_domain`, whatever the group is in.
    Default,
    /// v5.19: then `group->default_domain` unless the group has an owner.
    DefaultUnlessOwned,
}

/// drivers/iommu/iommu.c: `iommu_probe_device()` after `__iommu_probe_device()` (read in a
/// v5.16-era tree: DMA_FQ present, two-argument `iommu_is_attach_deferred()`): once
/// `iommu_group_add_device()` has attached the new device to `group->domain`, "if
/// (group->default_domain) __iommu_attach_device(group->default_domain, dev)". A group
/// sitting in a private or VFIO domain is split: the new member translates through the
/// default domain while `group->domain` is the other one (I1). `skip_if_owned`: the v5
/// ownership series 01/14 (4 Jan 2022) and v5.19 test "&& !group->owner" ("If device
/// joined an existing group which has been claimed, don't attach the default domain"),
/// so only an owned group keeps the device in its domain; a group moved by a driver's
/// `iommu_attach_device()` (no owner) is still split. Lu Baolu's v4 01/13 (17 Dec 2021)
/// leaves `iommu_probe_device()` as v5.16 has it. v6.4 replaced all this with joining
/// `group->domain` in `__iommu_probe_device()`. A device already in the default domain
/// is attached to it again, which changes nothing and is not shown.
pub(crate) fn attach_default_after_add(
    cx: &mut Cx<'_>,
    dev: DeviceId,
    g: GroupId,
    how: ProbeAttach,
) -> Result<(), Errno> {
    let grp = cx.core.group(g)?;
    let skip = match how {
        ProbeAttach::GroupDomainOnly => true,
        ProbeAttach::Default => false,
        ProbeAttach::DefaultUnlessOwned => grp.owner.is_some(),
    };
    if skip {
        return Ok(());
    }
    let Some(dd) = grp.default_domain else {
        return Ok(());
    };
    if cx.core.devices.get(&dev).and_then(|x| x.domain) == Some(dd) {
        return Ok(());
    }
    let args = vec![cx.core.dom_name(dd), cx.core.dev_name(dev)];
    nested(cx, "__iommu_attach_device", args, |cx| {
        cx.dev_attach(dev, dd)
    })
}

/// drivers/vfio/vfio.c: `vfio_group_nb_add_dev()` (v3.6 … v5.18): a device added to a
/// group in use by a container only gets a `dev_WARN`.
pub(crate) fn vfio_nb_add_dev(cx: &mut Cx<'_>, dev: DeviceId, g: GroupId) {
    if cx.core.group(g).is_ok_and(|x| x.vfio_container.is_some()) {
        let n = cx.core.dev_name(dev);
        cx.rec.warn(
            "vfio_group_nb_add_dev",
            &format!("{n}: Device added to live group {}!", g.0),
        );
    }
}

/// drivers/vfio/vfio.c: `vfio_iommu_group_notifier()` on `IOMMU_GROUP_NOTIFY_BOUND_DRIVER`
/// (v3.6 … v5.18): `BUG_ON(vfio_group_nb_verify(group, dev))`. A group in use by a
/// container tolerates only VFIO drivers, pci-stub and non-normal PCI headers (bridges).
pub(crate) fn vfio_bound_driver_bug_on(cx: &mut Cx<'_>, dev: DeviceId) {
    let Some(g) = cx.core.group_of(dev) else {
        return;
    };
    if !cx.core.group(g).is_ok_and(|x| x.vfio_container.is_some()) {
        return;
    }
    let Some(d) = cx.core.devices.get(&dev) else {
        return;
    };
    let Some(drv) = d.driver.clone() else { return };
    let viable = driver_is_vfio(&drv.name)
        || drv.name == "pci-stub"
        || (d.facts.is_pci && d.facts.is_bridge);
    let args = vec![cx.core.dev_name(dev)];
    cx.rec.enter("vfio_group_nb_verify", args);
    if viable {
        cx.rec.leave(Ret::Ok);
    } else {
        cx.rec.leave(Errno::EINVAL);
        let n = cx.core.dev_name(dev);
        cx.rec.bug(
            "vfio_iommu_group_notifier",
            &format!("BUG_ON(vfio_group_nb_verify(group, {n})): kernel driver {} bound into a group in use by VFIO", drv.name),
        );
    }
}

/// `__iommu_attach_group()` as both 2021/22 drafts change it — Lu Baolu's v4 series (01/13)
/// behind `shared` and the v5 ownership series (01) behind `unified`: -EBUSY unless the
/// group is in no domain or its default domain; members attached in turn. (v5.18's own
/// version, [`singleton::attach_group_v5_18`], tests the default domain's existence instead.)
pub(crate) fn attach_group_draft(cx: &mut Cx<'_>, d: DomainId, g: GroupId) -> Result<(), Errno> {
    let grp = cx.core.group(g)?;
    if grp.domain.is_some() && grp.domain != grp.default_domain {
        return Err(Errno::EBUSY);
    }
    attach_group_members(cx, d, g)
}

/// drivers/iommu/iommu.c: the part of `__iommu_attach_group()` after its -EBUSY check,
/// the same from v4.4 through v5.19 and in both 2021/22 drafts: every member attached in
/// turn (`__iommu_group_for_each_dev(group, domain, iommu_group_do_attach_device)`, no
/// rollback), then `group->domain = domain`. Serves `singleton` (v5.18,
/// [`singleton::attach_group_v5_18`]), `shared` and `unified` ([`attach_group_draft`]) and
/// `v5.19` ([`v5_19::attach_group_v5_19`]); each keeps its own check. (v6.8's
/// `__iommu_group_set_domain` is all-or-nothing: `current` has its own.)
pub(crate) fn attach_group_members(cx: &mut Cx<'_>, d: DomainId, g: GroupId) -> Result<(), Errno> {
    let args = vec![cx.core.dom_name(d), Core::group_name(g)];
    nested(cx, "__iommu_attach_group", args, |cx| {
        cx.group_set_domain(g, d, false, false)
    })?;
    cx.core.group_mut(g)?.private_attach = false;
    Ok(())
}

/// drivers/iommu/iommu.c: `iommu_detach_device()`, one function from 426a273834ea (v4.2)
/// through v6.8 (and kept by Lu Baolu's v4 draft, `shared`): no group → nothing; from
/// v5.19 (0286300e6045) first WARN and nothing unless `domain` is `group->domain`
/// (`domain_check` = `Some(domain)`); then WARN and nothing unless the group has one device
/// (`count_warn` is the era's text of that check: `iommu_group_device_count(group) != 1`
/// up to v5.19, `list_count_nodes(&group->devices) != 1` in v6.8); then the era's group
/// detach (`detach`: `__iommu_detach_group` up to v5.18 and in `shared`,
/// `__iommu_group_set_core_domain` from v5.19). Serves `singleton`, `shared`, `v5.19` and
/// `current` (`unified` rewrote the function: its own).
pub(crate) fn detach_device_singleton(
    cx: &mut Cx<'_>,
    dev: DeviceId,
    domain_check: Option<DomainId>,
    count_warn: &str,
    detach: impl FnOnce(&mut Cx<'_>, GroupId),
) -> Ret {
    let Some(g) = cx.core.group_of(dev) else {
        return Ret::Ok;
    };
    if let Some(d) = domain_check {
        if cx.core.group(g).map(|x| x.domain) != Ok(Some(d)) {
            cx.rec
                .warn("iommu_detach_device", "WARN_ON(domain != group->domain)");
            return Ret::Ok;
        }
    }
    if cx.core.group_device_count(g) != 1 {
        cx.rec.warn("iommu_detach_device", count_warn);
        return Ret::Ok;
    }
    detach(cx, g);
    Ret::Ok
}

/// The text of the singleton check of `iommu_detach_device()` up to v5.19
/// ([`detach_device_singleton`]).
pub(crate) const DETACH_COUNT_WARN: &str = "WARN_ON(iommu_group_device_count(group) != 1)";

/// `iommu_group_release_dma_owner(group)` as a scenario calls it: a group that does not
/// exist is -ENODEV (the model's; the kernel takes a `struct iommu_group *`), else the
/// era's release (`release`), which returns nothing.
pub(crate) fn group_release_or_enodev(
    cx: &mut Cx<'_>,
    g: GroupId,
    release: impl FnOnce(&mut Cx<'_>, GroupId),
) -> Ret {
    if cx.core.group(g).is_err() {
        return Ret::Err(Errno::ENODEV);
    }
    release(cx, g);
    Ret::Ok
}

/// drivers/iommu/iommu.c: the release of an exclusive DMA claim, the same code in
/// `iommu_group_release_dma_owner()` (v5.19, with 0286300e6045) and
/// `__iommu_release_dma_ownership()` (v6.8; `warn_in` names the function): WARN and
/// nothing unless `owner_cnt` and `owner` are set; `owner_cnt = 0`, `owner = NULL`; then
/// the era's return to the core domain (`restore`: `__iommu_group_attach_core_domain` in
/// v5.19, `__iommu_group_set_domain_nofail` to the default domain in v6.8).
pub(crate) fn release_dma_owner_v5_19_on(
    cx: &mut Cx<'_>,
    g: GroupId,
    warn_in: &str,
    restore: impl FnOnce(&mut Cx<'_>, GroupId),
) {
    let Ok(grp) = cx.core.group_mut(g) else {
        return;
    };
    if grp.owner_cnt == 0 || grp.owner.is_none() {
        cx.rec
            .warn(warn_in, "WARN_ON(!group->owner_cnt || !group->owner)");
        return;
    }
    grp.owner_cnt = 0;
    grp.owner = None;
    restore(cx, g);
}

/// Runs `f` as a nested kernel call named `name` that returns void.
pub(crate) fn nested_void(
    cx: &mut Cx<'_>,
    name: &str,
    args: Vec<String>,
    f: impl FnOnce(&mut Cx<'_>),
) {
    cx.rec.enter(name, args);
    f(cx);
    cx.rec.leave(NestedResult::Void);
}

/// drivers/iommu/iommu.c: `iommu_attach_device()` with the singleton rule of 426a273834ea,
/// unchanged from v4.2 through v6.8 and kept by the v4 proposal: no group -ENODEV; a group of
/// other than one device -EINVAL; then the era's `__iommu_attach_group` (`attach`). The group
/// is then the private-domain user that invariant I2 exempts.
pub(crate) fn attach_device_singleton(
    cx: &mut Cx<'_>,
    d: DomainId,
    dev: DeviceId,
    attach: fn(&mut Cx<'_>, DomainId, GroupId) -> Result<(), Errno>,
) -> Ret {
    let Some(g) = cx.core.group_of(dev) else {
        return Ret::Err(Errno::ENODEV);
    };
    if cx.core.group_device_count(g) != 1 {
        return Ret::Err(Errno::EINVAL);
    }
    let r = attach(cx, d, g);
    if r.is_ok() {
        if let Ok(grp) = cx.core.group_mut(g) {
            grp.private_attach = true;
        }
    }
    r.into()
}

/// Whether the driver is `driver_managed_dma` (by name or by `managed`).
pub(crate) fn is_managed(driver: &str, managed: bool) -> bool {
    managed || driver_is_managed_by_name(driver)
}

/// drivers/iommu/iommu.c: `iommu_device_use_default_domain()` (v5.19): no group → 0;
/// `owner_cnt > 0` and (not in the default domain, or owned) → -EBUSY; else `owner_cnt++`.
pub(crate) fn use_default_domain_v5_19(cx: &mut Cx<'_>, dev: DeviceId) -> Result<(), Errno> {
    let Some(g) = cx.core.group_of(dev) else {
        return Ok(());
    };
    let grp = cx.core.group_mut(g)?;
    if grp.owner_cnt > 0 && (grp.domain != grp.default_domain || grp.owner.is_some()) {
        return Err(Errno::EBUSY);
    }
    grp.owner_cnt += 1;
    Ok(())
}

/// drivers/iommu/iommu.c: `iommu_device_unuse_default_domain()` (v5.19): WARN at 0.
pub(crate) fn unuse_default_domain_v5_19(cx: &mut Cx<'_>, dev: DeviceId) {
    let Some(g) = cx.core.group_of(dev) else {
        return;
    };
    let Ok(grp) = cx.core.group_mut(g) else {
        return;
    };
    if grp.owner_cnt == 0 {
        cx.rec.warn(
            "iommu_device_unuse_default_domain",
            "WARN_ON(!group->owner_cnt)",
        );
    } else {
        grp.owner_cnt -= 1;
    }
}

/// The bus `dma_configure` of v5.19 onwards (drivers/pci/pci-driver.c: `pci_dma_configure`,
/// drivers/base/platform.c: `platform_dma_configure`): `iommu_device_use_default_domain`
/// unless the driver is `driver_managed_dma`.
pub(crate) fn dma_configure_use_default(
    era: &dyn EraOps,
    cx: &mut Cx<'_>,
    dev: DeviceId,
    managed: bool,
) -> Result<(), Errno> {
    if managed {
        return Ok(());
    }
    let args = vec![cx.core.dev_name(dev)];
    nested(cx, "iommu_device_use_default_domain", args, |cx| {
        ret_to_result(era.device_use_default_domain(cx, dev))
    })
}

/// The bus `dma_cleanup` of v5.19 onwards: `iommu_device_unuse_default_domain` unless
/// `driver_managed_dma`.
pub(crate) fn dma_cleanup_unuse_default(
    era: &dyn EraOps,
    cx: &mut Cx<'_>,
    dev: DeviceId,
    managed: bool,
) {
    if !managed {
        let args = vec![cx.core.dev_name(dev)];
        nested_void(cx, "iommu_device_unuse_default_domain", args, |cx| {
            let _ = era.device_unuse_default_domain(cx, dev);
        });
    }
}

#[cfg(test)]
mod tests;
