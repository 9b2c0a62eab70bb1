//! The kernel dispatch: one [`Kernel`] of one era owns the model state ([`Core`]), the
//! trace recorder ([`Recorder`]) and the era's [`EraOps`], and runs every call through them:
//! it opens the recorder, hands the era method a narrow [`Cx`], then closes the call into
//! an [`Event`] (nested calls, WARNs, state deltas, invariant breaches, the snapshot).
//! The layers run one way: record ← core ← era ← kernel.

use crate::call::{call_table, kernel_calls, kind, Call};
use crate::core::{Core, Cx, DeviceFacts, IommuFacts, Joined};
use crate::driver;
use crate::era::{self, Config, Era, EraOps};
use crate::errno::Errno;
use crate::ids::{DeviceId, DomainId, GroupId, IommuId};
use crate::invariants;
use crate::mapping;
use crate::record::Recorder;
use crate::snapshot::{diff, Snapshot};
use crate::trace::{Breach, Event, IovaAt, NestedResult, Ret};

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
        let args = args_of(&self.core, call);
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
        let mut ev = self.finish(call.name(), args, result, before);
        ev.iova_at = self.iova_at(call, result);
        if let Some(last) = self.events.last_mut() {
            last.iova_at = ev.iova_at;
        }
        ev
    }

    /// The IOVA `call` names and the domain translating it ([`Event::iova_at`]): the
    /// argument of `iommu_map`/`iommu_unmap`/`iommu_iova_to_phys`, the result of a
    /// `dma_map_page` that worked, the argument of `dma_unmap_page`/`device_dma` in the
    /// device's domain.
    fn iova_at(&self, call: &Call, result: Ret) -> Option<IovaAt> {
        let in_dev = |dev: DeviceId, iova: u64| match self.core.dma_target(dev) {
            crate::core::DmaTarget::Domain(domain) => Some(IovaAt { domain, iova }),
            _ => None,
        };
        match (call, result) {
            (Call::IommuMap { domain, iova, .. }, _)
            | (Call::IommuUnmap { domain, iova, .. }, _)
            | (Call::IommuIovaToPhys { domain, iova }, _) => Some(IovaAt {
                domain: *domain,
                iova: *iova,
            }),
            (Call::DmaMapPage { dev, .. }, Ret::Value(iova)) => in_dev(*dev, iova),
            (Call::DmaUnmapPage { dev, iova, .. }, _) | (Call::DeviceDma { dev, iova, .. }, _) => {
                in_dev(*dev, *iova)
            }
            _ => None,
        }
    }

    /// A `workload` statement: `spec.count` `dma_map_page`/`dma_unmap_page` pairs on `dev`
    /// in one event, whose [`Event::workload`] carries the sampled summary. `progress` as in
    /// [`crate::workload::run_workload`] (return false to cancel).
    pub fn workload(
        &mut self,
        dev: DeviceId,
        spec: &crate::workload::WorkloadSpec,
        progress: &mut dyn FnMut(u64) -> bool,
    ) -> Event {
        let args = vec![self.core.dev_name(dev)];
        self.rec.begin();
        let before = self.snapshot();
        let (result, summary) = if self.rec.crashed.is_some() {
            (Ret::Bug, None)
        } else {
            let (_, mut cx) = self.cx();
            cx.workload(dev, spec, progress)
        };
        let mut ev = self.finish("workload", args, result, before);
        ev.workload = summary.map(Box::new);
        if let Some(last) = self.events.last_mut() {
            last.workload.clone_from(&ev.workload);
        }
        ev
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
            .map(|d| {
                let table = d
                    .table
                    .as_ref()
                    .map_or(0, |t| t.ranges.len() + t.walk.len());
                table + d.iova.as_ref().map_or(0, |v| v.spans.len())
            })
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
            workload: None,
            iova_at: None,
        };
        self.events.push(ev.clone());
        ev
    }
}

/// Runs `f` when the domain handle is known; an unknown handle is a caller bug
/// the scenario runner reports before calling, so the model answers -EINVAL.
pub(crate) fn with_domain(cx: &mut Cx<'_>, d: DomainId, f: impl FnOnce(&mut Cx<'_>) -> Ret) -> Ret {
    if !cx.core.domain_exists(d) {
        return Ret::Err(Errno::EINVAL);
    }
    f(cx)
}

/// How the trace prints an argument of each [`kind`] (`None`: left out).
trait ShowArg: kind::Kind {
    fn show(v: &Self::Value, core: &Core) -> Option<String>;
}

macro_rules! show_arg {
    ($($k:ident => |$v:ident, $core:ident| $e:expr;)*) => {
        $(impl ShowArg for kind::$k {
            fn show($v: &Self::Value, $core: &Core) -> Option<String> {
                $e
            }
        })*
    };
}

show_arg! {
    Dev => |v, core| Some(core.dev_name(*v));
    Dom => |v, core| Some(core.dom_name(*v));
    OptDom => |v, core| Some(core.opt_dom_name(*v));
    Grp => |v, _core| Some(Core::group_name(*v));
    Iommu => |v, core| Some(core.iommus.get(v).map_or_else(|| format!("iommu#{}", v.0), |f| f.name.clone()));
    OptCookie => |v, _core| Some(v.as_ref().map_or("NULL".to_string(), |c| c.0.clone()));
    Cookie => |v, _core| Some(v.0.clone());
    Driver => |v, _core| Some(v.clone());
    Managed => |v, _core| v.then(|| "managed".to_string());
    Iova => |v, _core| Some(format!("{v:#x}"));
    Paddr => |v, _core| Some(format!("{v:#x}"));
    Size => |v, _core| Some(format!("{v:#x}"));
    Prot => |v, _core| Some(v.to_string());
    Dir => |v, _core| Some(mapping::dir_name(*v).into());
    Access => |v, _core| Some(if *v { "write" } else { "read" }.into());
    Owner => |v, _core| Some(v.name().into());
    OptOwner => |v, _core| v.map(|o| o.name().into());
    // CPU 0 (the default) is not printed, so a trace reads as the kernel call.
    Cpu => |v, _core| (*v != 0).then(|| v.to_string());
    Duration => |v, _core| Some(match v {
        n if n % 1_000_000 == 0 => format!("{}ms", n / 1_000_000),
        n if n % 1_000 == 0 => format!("{}us", n / 1_000),
        n => format!("{n}ns"),
    });
}

/// The printed arguments and the dispatch of every kernel call, from the call table.
macro_rules! define_dispatch {
    ($($(#[$doc:meta])* $v:ident $name:literal ($($f:ident: $k:ident),* $(; $($hf:ident: $hk:ident),*)?)
        => |$era:ident, $cx:ident| $body:expr;)*) => {
        /// The call's arguments as the trace prints them.
        fn args_of(core: &Core, call: &Call) -> Vec<String> {
            match call {
                $(Call::$v { $($f,)* .. } => {
                    let mut out = Vec::new();
                    $(out.extend(<kind::$k as ShowArg>::show($f, core));)*
                    out
                })*
            }
        }

        /// Runs one call: the driver core and VFIO paths, the era's method, or the mapping
        /// calls, as the call table says.
        fn dispatch(era: &dyn EraOps, cx: &mut Cx<'_>, call: &Call) -> Ret {
            match call.clone() {
                $(Call::$v { $($f,)* $($($hf,)*)? } => {
                    let $era = era;
                    let $cx = cx;
                    $body
                })*
            }
        }
    };
}

call_table!(kernel_calls, define_dispatch, []);
