//! The kernel dispatch: one [`Kernel`] of one era owns the model state ([`Core`]), the
//! trace recorder ([`Recorder`]) and the era's [`EraOps`], and runs every call through them:
//! it opens the recorder, hands the era method a narrow [`Cx`], then closes the call into
//! an [`Event`] (nested calls, WARNs, state deltas, invariant breaches, the snapshot).
//! The layers run one way: record ← core ← era ← kernel.

use crate::call::{Call, Cookie};
use crate::core::{Core, Cx, DeviceFacts, IommuFacts, Joined};
use crate::driver;
use crate::era::{self, Config, Era, EraOps};
use crate::errno::Errno;
use crate::ids::{DeviceId, DomainId, GroupId, IommuId};
use crate::invariants;
use crate::mapping;
use crate::record::Recorder;
use crate::snapshot::{diff, Snapshot};
use crate::trace::{Breach, Event, NestedResult, Ret};

/// The whole model: one kernel of one era.
#[derive(Debug)]
pub struct Kernel {
    pub era: Era,
    pub(crate) ops: &'static dyn EraOps,
    /// The model state every era reads and writes.
    pub core: Core,
    /// The trace of the call in progress.
    pub rec: Recorder,
    events: Vec<Event>,
    /// Attach a full [`Snapshot`] to every event (for UIs that scrub through a run).
    pub record_snapshots: bool,
    /// Items (groups, devices, domains, mapped ranges) of the snapshots recorded so far,
    /// against [`crate::limits::MAX_SNAPSHOT_ITEMS`].
    pub(crate) snapshot_items: usize,
}

impl Kernel {
    /// A kernel of the given era and boot configuration, with no devices.
    pub fn new(era: Era, config: Config) -> Kernel {
        Kernel {
            era,
            ops: era::ops(era),
            core: Core::new(config),
            rec: Recorder::default(),
            events: Vec::new(),
            record_snapshots: false,
            snapshot_items: 0,
        }
    }

    /// Registers an IOMMU instance (`iommu_device_register`).
    pub fn add_iommu(&mut self, id: IommuId, facts: IommuFacts) {
        self.core.add_iommu(id, facts);
    }

    /// Gives a domain the name the scenario uses (`d1`), for arguments and the UI.
    pub fn label_domain(&mut self, d: DomainId, label: &str) {
        self.core.label_domain(d, label);
    }

    /// Every event so far, in order.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// Set when a `BUG_ON` fired: the kernel is dead (`site: message`).
    pub fn crashed(&self) -> Option<&str> {
        self.rec.crashed.as_deref()
    }

    /// The current state (with each paging domain's table when recording snapshots).
    pub fn snapshot(&self) -> Snapshot {
        self.core.snapshot(self.record_snapshots)
    }

    /// Invariants I1–I4 and UAF over the whole kernel, plus the I6 breaches of the last call.
    pub fn check_invariants(&self) -> Vec<Breach> {
        invariants::check(&self.core, self.ops, &self.rec.call_breaches)
    }

    /// The era, and the core and the recorder as its methods see them.
    fn cx(&mut self) -> (&'static dyn EraOps, Cx<'_>) {
        let cx = Cx {
            core: &mut self.core,
            rec: &mut self.rec,
        };
        (self.ops, cx)
    }

    // ---------------------------------------------------------------- probe / remove

    /// drivers/iommu/iommu.c: `iommu_probe_device()` → `iommu_group_add_device()` (+ the
    /// default-domain setup for a group's first device, the era's attach for a later one,
    /// then what the era's `iommu_probe_device()` adds: [`EraOps::probe_attach`]).
    /// `group` is what the grouping code (`ops->device_group`) returned; `None` means the
    /// device is not behind an IOMMU.
    pub fn probe_device(
        &mut self,
        id: DeviceId,
        facts: DeviceFacts,
        group: Option<GroupId>,
    ) -> Event {
        let args = vec![facts.name.clone()];
        self.rec.begin();
        let before = self.snapshot();
        self.core.add_device(id, facts);
        let result = match group {
            None => Ret::Ok,
            Some(g) => {
                let (era, mut cx) = self.cx();
                let args = vec![cx.core.dev_name(id), Core::group_name(g)];
                cx.rec.enter("iommu_group_add_device", args);
                let joined = cx.group_add_device(id, g);
                let r = match joined {
                    Ok(Joined::First) => Ok(()),
                    Ok(Joined::Member) => era.group_add_device(&mut cx, id, g),
                    Err(e) => Err(e),
                };
                let r = cx.rec.leave_res(r);
                let r = match (r, joined) {
                    (Ok(()), Ok(Joined::Member)) => {
                        crate::era::attach_default_after_add(&mut cx, id, g, era.probe_attach())
                    }
                    (r, _) => r,
                };
                Ret::from(r)
            }
        };
        self.finish("iommu_probe_device", args, result, before)
    }

    /// drivers/iommu/iommu.c: `iommu_release_device()` → `__iommu_group_remove_device()`
    /// (v6.8). A bound driver is unbound first (device_del). The last device leaving frees
    /// the group; a group left owned or off its default domain breaks I5, and the era may
    /// WARN about it ([`EraOps::group_emptied_dirty`]).
    pub fn remove_device(&mut self, dev: DeviceId) -> Event {
        let args = vec![self.core.dev_name(dev)];
        self.rec.begin();
        let before = self.snapshot();
        if self
            .core
            .devices
            .get(&dev)
            .is_some_and(|d| d.driver.is_some())
        {
            let (era, mut cx) = self.cx();
            let _ = driver::unbind(&mut cx, era, dev);
        }
        let mut emptied: Vec<Breach> = Vec::new();
        if let Some(g) = self.core.group_of(dev) {
            self.rec
                .enter("iommu_group_remove_device", vec![self.core.dev_name(dev)]);
            if let Some(grp) = self.core.group_remove_device(dev, g) {
                if let Some(b) = invariants::check_empty_group(&self.core, &grp) {
                    self.ops.group_emptied_dirty(&mut self.rec);
                    emptied.push(b);
                }
            }
            self.rec.leave(NestedResult::Void);
        }
        self.core.devices.remove(&dev);
        let mut ev = self.finish("iommu_release_device", args, Ret::Ok, before);
        ev.breaches.extend(emptied);
        if let Some(last) = self.events.last_mut() {
            *last = ev.clone();
        }
        ev
    }

    // ---------------------------------------------------------------- call dispatch

    /// Runs one call in this kernel's era and returns (and records) its event.
    /// After a `BUG`, every further call returns `BUG` without doing anything.
    pub fn call(&mut self, call: &Call) -> Event {
        let args = self.args_of(call);
        self.rec.begin();
        let before = self.snapshot();
        let result = if self.rec.crashed.is_some() {
            Ret::Bug
        } else {
            let (era, mut cx) = self.cx();
            let r = dispatch(era, &mut cx, call);
            if self.rec.crashed.is_some() {
                Ret::Bug
            } else {
                r
            }
        };
        self.finish(call.name(), args, result, before)
    }

    /// Keeps a step's snapshot while the run's snapshots stay under
    /// [`crate::limits::MAX_SNAPSHOT_ITEMS`]; the first one past it records a notice and
    /// every later step records none (a UI shows the last snapshot kept).
    fn budget_snapshot(&mut self, snap: Snapshot) -> Option<Snapshot> {
        let max = crate::limits::MAX_SNAPSHOT_ITEMS;
        if self.snapshot_items > max {
            return None;
        }
        let ranges: usize = snap
            .domains
            .iter()
            .map(|d| d.table.as_ref().map_or(0, |t| t.ranges.len()))
            .sum();
        let items = snap.groups.len() + snap.devices.len() + snap.domains.len() + ranges;
        self.snapshot_items = self.snapshot_items.saturating_add(items);
        if self.snapshot_items > max {
            let max = crate::trace::thousands(max as u64);
            self.rec.notice(
                "trace",
                &format!("snapshots stop here: the run's snapshots reached {max} items"),
            );
            return None;
        }
        Some(snap)
    }

    /// Closes the call in progress into its [`Event`] and records it.
    fn finish(&mut self, call: &str, args: Vec<String>, result: Ret, before: Snapshot) -> Event {
        self.rec.close();
        let after = self.snapshot();
        let deltas = diff(&before, &after);
        let breaches = self.check_invariants();
        let snapshot = self
            .record_snapshots
            .then_some(after)
            .and_then(|a| self.budget_snapshot(a));
        let (warns, nested) = self.rec.take();
        let ev = Event {
            seq: self.events.len(),
            call: call.to_string(),
            args,
            result,
            warns,
            nested,
            deltas,
            breaches,
            snapshot,
        };
        self.events.push(ev.clone());
        ev
    }

    fn args_of(&self, call: &Call) -> Vec<String> {
        let dv = |d: &DeviceId| self.core.dev_name(*d);
        let dm = |d: &DomainId| self.core.dom_name(*d);
        let ck = |c: &Option<Cookie>| c.as_ref().map_or("NULL".to_string(), |c| c.0.clone());
        match call {
            Call::Bind {
                dev,
                driver,
                managed,
            } => {
                let mut v = vec![dv(dev), driver.clone()];
                if *managed {
                    v.push("managed".into());
                }
                v
            }
            Call::Unbind { dev }
            | Call::IommuPagingDomainAlloc { dev }
            | Call::IommuDeviceUseDefaultDomain { dev }
            | Call::IommuDeviceUnuseDefaultDomain { dev }
            | Call::IommufdDeviceUnbind { dev } => vec![dv(dev)],
            Call::IommuDomainAlloc { iommu } => vec![self
                .core
                .iommus
                .get(iommu)
                .map_or_else(|| format!("iommu#{}", iommu.0), |f| f.name.clone())],
            Call::IommuDomainFree { domain } => vec![dm(domain)],
            Call::IommuAttachDevice { domain, dev }
            | Call::IommuDetachDevice { domain, dev }
            | Call::IommuAttachDeviceShared { domain, dev }
            | Call::IommuDetachDeviceShared { domain, dev } => vec![dm(domain), dv(dev)],
            Call::IommuAttachGroup { domain, group } | Call::IommuDetachGroup { domain, group } => {
                vec![dm(domain), Core::group_name(*group)]
            }
            Call::IommuDeviceSetDmaOwner { dev, owner, cookie } => {
                vec![dv(dev), owner.name().into(), ck(cookie)]
            }
            Call::IommuDeviceReleaseDmaOwner { dev, owner } => {
                let mut v = vec![dv(dev)];
                if let Some(o) = owner {
                    v.push(o.name().into());
                }
                v
            }
            Call::IommuGroupClaimDmaOwner { group, cookie } => {
                vec![Core::group_name(*group), ck(cookie)]
            }
            Call::IommuGroupReleaseDmaOwner { group } | Call::VfioGroupUnsetContainer { group } => {
                vec![Core::group_name(*group)]
            }
            Call::IommuDeviceClaimDmaOwner { dev, cookie } => vec![dv(dev), ck(cookie)],
            Call::IommuGroupReplaceDomain { group, domain } => {
                vec![Core::group_name(*group), self.core.opt_dom_name(*domain)]
            }
            Call::VfioGroupSetContainer { group, container } => {
                vec![Core::group_name(*group), container.0.clone()]
            }
            Call::IommufdDeviceBind { dev, ictx } => vec![dv(dev), ictx.0.clone()],
            Call::DeviceDma { dev, iova, write } => vec![
                dv(dev),
                format!("{iova:#x}"),
                if *write { "write" } else { "read" }.into(),
            ],
            Call::IommuMap {
                domain,
                iova,
                paddr,
                size,
                prot,
            } => vec![
                dm(domain),
                format!("{iova:#x}"),
                format!("{paddr:#x}"),
                format!("{size:#x}"),
                prot.to_string(),
            ],
            Call::IommuUnmap { domain, iova, size } => {
                vec![dm(domain), format!("{iova:#x}"), format!("{size:#x}")]
            }
            Call::IommuIovaToPhys { domain, iova } => vec![dm(domain), format!("{iova:#x}")],
            Call::IommuFlushIotlbAll { domain } => vec![dm(domain)],
            Call::DmaMapPage {
                dev,
                phys: addr,
                size,
                dir,
                ..
            }
            | Call::DmaUnmapPage {
                dev,
                iova: addr,
                size,
                dir,
                ..
            } => vec![
                dv(dev),
                format!("{addr:#x}"),
                format!("{size:#x}"),
                mapping::dir_name(*dir).into(),
            ],
            Call::Tick { ns } => vec![match ns {
                n if n % 1_000_000 == 0 => format!("{}ms", n / 1_000_000),
                n if n % 1_000 == 0 => format!("{}us", n / 1_000),
                n => format!("{n}ns"),
            }],
        }
    }
}

/// Runs one call: the driver core and VFIO paths, the era's method, or the mapping calls.
fn dispatch(era: &dyn EraOps, cx: &mut Cx<'_>, call: &Call) -> Ret {
    match call.clone() {
        Call::Bind {
            dev,
            driver,
            managed,
        } => driver::bind(cx, era, dev, &driver, managed),
        Call::Unbind { dev } => driver::unbind(cx, era, dev),
        Call::IommuDomainAlloc { iommu } => era.domain_alloc(cx, iommu),
        Call::IommuPagingDomainAlloc { dev } => era.paging_domain_alloc(cx, dev),
        Call::IommuDomainFree { domain } => Ret::from(cx.domain_free(domain)),
        Call::IommuAttachDevice { domain, dev } => {
            with_domain(cx, domain, |cx| era.attach_device(cx, domain, dev))
        }
        Call::IommuDetachDevice { domain, dev } => {
            with_domain(cx, domain, |cx| era.detach_device(cx, domain, dev))
        }
        Call::IommuAttachGroup { domain, group } => {
            with_domain(cx, domain, |cx| era.attach_group(cx, domain, group))
        }
        Call::IommuDetachGroup { domain, group } => {
            with_domain(cx, domain, |cx| era.detach_group(cx, domain, group))
        }
        Call::IommuAttachDeviceShared { domain, dev } => {
            with_domain(cx, domain, |cx| era.attach_device_shared(cx, domain, dev))
        }
        Call::IommuDetachDeviceShared { domain, dev } => {
            with_domain(cx, domain, |cx| era.detach_device_shared(cx, domain, dev))
        }
        Call::IommuDeviceSetDmaOwner { dev, owner, cookie } => {
            era.device_set_dma_owner(cx, dev, owner, cookie)
        }
        Call::IommuDeviceReleaseDmaOwner { dev, owner } => {
            era.device_release_dma_owner(cx, dev, owner)
        }
        Call::IommuGroupClaimDmaOwner { group, cookie } => {
            era.group_claim_dma_owner(cx, group, cookie)
        }
        Call::IommuGroupReleaseDmaOwner { group } => era.group_release_dma_owner(cx, group),
        Call::IommuDeviceClaimDmaOwner { dev, cookie } => {
            era.device_claim_dma_owner(cx, dev, cookie)
        }
        Call::IommuDeviceUseDefaultDomain { dev } => era.device_use_default_domain(cx, dev),
        Call::IommuDeviceUnuseDefaultDomain { dev } => era.device_unuse_default_domain(cx, dev),
        Call::IommuGroupReplaceDomain { group, domain } => match domain {
            Some(d) => with_domain(cx, d, |cx| era.group_replace_domain(cx, group, Some(d))),
            None => era.group_replace_domain(cx, group, None),
        },
        Call::VfioGroupSetContainer { group, container } => {
            driver::vfio_group_set_container(cx, era, group, container)
        }
        Call::VfioGroupUnsetContainer { group } => {
            driver::vfio_group_unset_container(cx, era, group)
        }
        Call::IommufdDeviceBind { dev, ictx } => era.iommufd_device_bind(cx, dev, ictx),
        Call::IommufdDeviceUnbind { dev } => era.iommufd_device_unbind(cx, dev),
        Call::DeviceDma { dev, iova, write } => cx.device_dma(dev, iova, write),
        Call::IommuMap {
            domain,
            iova,
            paddr,
            size,
            prot,
        } => with_domain(cx, domain, |cx| {
            cx.iommu_map(domain, iova, paddr, size, prot)
        }),
        Call::IommuUnmap { domain, iova, size } => {
            with_domain(cx, domain, |cx| cx.iommu_unmap(domain, iova, size))
        }
        Call::IommuIovaToPhys { domain, iova } => {
            with_domain(cx, domain, |cx| cx.iommu_iova_to_phys(domain, iova))
        }
        Call::IommuFlushIotlbAll { domain } => {
            with_domain(cx, domain, |cx| cx.iommu_flush_iotlb_all(domain))
        }
        Call::DmaMapPage {
            dev,
            phys,
            size,
            dir,
            cpu,
        } => cx.dma_map_page(dev, phys, size, dir, cpu),
        Call::DmaUnmapPage {
            dev,
            iova,
            size,
            dir,
            cpu,
        } => cx.dma_unmap_page(dev, iova, size, dir, cpu),
        Call::Tick { ns } => cx.tick(ns),
    }
}

/// Runs `f` when the domain handle is known; an unknown handle is a caller bug
/// the scenario runner reports before calling, so the model answers -EINVAL.
fn with_domain(cx: &mut Cx<'_>, d: DomainId, f: impl FnOnce(&mut Cx<'_>) -> Ret) -> Ret {
    if !cx.core.domain_exists(d) {
        return Ret::Err(Errno::EINVAL);
    }
    f(cx)
}
