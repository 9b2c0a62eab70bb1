//! The IOMMU core's state (`struct iommu_group`, devices, domains, context entries) and the
//! era-independent helpers of drivers/iommu/iommu.c. What differs between API eras lives in
//! [`crate::era`]; this module only does what every era does.
//!
//! Modelling choices (all eras): each group gets a default domain when its first device
//! probes; in `legacy` it stands for the arch DMA-ops domain the IOMMU driver set up (the
//! core of v4.1 had no `group->domain`). A device's DMA is translated through the context
//! entry of its requester/stream ID on its IOMMU, so devices sharing an ID (behind a
//! PCIe-to-PCI bridge, or sharing an SMMU stream ID) share one translation whatever the
//! core believes (scenario S5).

use crate::call::{Call, Cookie, DmaOwnerType};
use crate::dma::{DmaCookie, DmaDevice};
use crate::domain::{
    default_domain_type, geometry_for_ias, pgsize_bitmap_for_granule, DefaultDomainInputs, Domain,
    DomainRole, DomainType, Geometry,
};
use crate::era::{self, EraOps};
use crate::era::{Config, Era};
use crate::errno::Errno;
use crate::ids::{DeviceId, DomainId, GroupId, IommuId};
use crate::invariants;
use crate::mapping::{self, MapCounters, MODEL_CPUS};
use crate::trace::{Delta, Event, Nested, NestedResult, Ret, Warn, WarnKind};
use serde::Serialize;
use std::collections::BTreeMap;

/// An IOMMU instance as the topology declares it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IommuFacts {
    pub name: String,
    /// Smallest page size (4K, 16K, 64K).
    pub granule: u64,
    /// Input address size in bits.
    pub ias: u32,
    /// Output address size in bits (the page table's OAS).
    pub oas: u32,
    /// `IOMMU_CAP_DEFERRED_FLUSH`: DMA_FQ default domains possible.
    pub deferred_flush: bool,
}

impl IommuFacts {
    /// An instance with the model's defaults (4K granule, 48-bit IAS, deferred flush).
    pub fn new(name: &str) -> IommuFacts {
        IommuFacts {
            name: name.to_string(),
            granule: 0x1000,
            ias: 48,
            oas: 48,
            deferred_flush: true,
        }
    }
}

/// A device as topology and grouping hand it over.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceFacts {
    pub name: String,
    pub is_pci: bool,
    /// A PCI function whose header type is not "normal" (bridge, port): VFIO ≤ v5.18 lets
    /// such devices keep a kernel driver in a viable group.
    pub is_bridge: bool,
    /// `pci_dev->untrusted`.
    pub untrusted: bool,
    pub iommu: IommuId,
    /// The requester/stream ID the IOMMU sees for this device's DMA (after aliasing).
    /// Devices with equal IDs on one IOMMU share one context entry.
    pub requester_id: u32,
    /// `ops->def_domain_type()` demand for this device.
    pub def_domain_type: Option<DomainType>,
    /// `dev->iommu->require_direct`: firmware needs 1:1 (IOMMU_RESV_DIRECT) mappings.
    pub require_direct: bool,
}

impl DeviceFacts {
    /// A device with a unique requester ID and no special needs.
    pub fn new(name: &str, is_pci: bool, iommu: IommuId, requester_id: u32) -> DeviceFacts {
        DeviceFacts {
            name: name.to_string(),
            is_pci,
            is_bridge: false,
            untrusted: false,
            iommu,
            requester_id,
            def_domain_type: None,
            require_direct: false,
        }
    }
}

/// A driver bound to a device.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BoundDriver {
    pub name: String,
    /// `driver_managed_dma`: the driver does not use the DMA API through the default domain.
    pub managed: bool,
}

/// A probed device.
#[derive(Debug)]
pub struct Device {
    pub id: DeviceId,
    pub facts: DeviceFacts,
    pub group: Option<GroupId>,
    pub driver: Option<BoundDriver>,
    /// The domain the IOMMU driver last attached this device to (`ops->attach_dev`).
    pub domain: Option<DomainId>,
    /// The iommufd context this device is bound to (current).
    pub iommufd: Option<Cookie>,
    /// What dma-iommu knows of the device (mask, 32-bit workaround state).
    pub dma: DmaDevice,
}

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
    /// The current domain was set by `iommu_attach_device` (private-domain user).
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
    pub domains: BTreeMap<IommuId, DomainId>,
    pub groups: Vec<GroupId>,
}

/// Where a device's DMA goes, before any page-table walk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DmaTarget {
    /// Not behind an IOMMU (or not probed): untranslated.
    Untranslated,
    /// No context entry: faults.
    NoContext,
    /// Translated by this domain.
    Domain(DomainId),
}

/// A cheap, serialisable picture of the core state (the UI draws it; deltas diff it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Snapshot {
    pub groups: Vec<Group>,
    pub devices: Vec<DeviceView>,
    pub domains: Vec<DomainView>,
}

/// One device in a [`Snapshot`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DeviceView {
    pub id: DeviceId,
    pub name: String,
    pub group: Option<GroupId>,
    pub driver: Option<BoundDriver>,
    /// The domain its DMA is translated by (context entry), what the hardware does.
    pub domain: Option<DomainId>,
}

/// One domain in a [`Snapshot`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DomainView {
    pub id: DomainId,
    pub label: String,
    pub ty: DomainType,
    pub role: DomainRole,
    pub iommu: IommuId,
    pub geometry: Geometry,
    pub pgsize_bitmap: u64,
    pub freed: bool,
    /// Page-table, IOTLB and cookie counters of a paging domain.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counters: Option<MapCounters>,
    /// What the paging domain's table maps, for the UI (only with
    /// [`Kernel::record_snapshots`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table: Option<TableView>,
}

/// The mapped ranges of a paging domain's table: its leaves in IOVA order, runs of leaves
/// of one level that are contiguous in IOVA and PA (and alike in permission) merged.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TableView {
    /// The levels walked (`start_level` … 3).
    pub start_level: u32,
    pub ranges: Vec<MappedRange>,
    /// The walk stopped at [`TableView::LIMIT`] leaves: more are mapped.
    pub truncated: bool,
}

impl TableView {
    /// Leaves read per snapshot at most (bounds the cost of a snapshot per step).
    pub const LIMIT: usize = 256;
}

/// One run of leaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct MappedRange {
    pub iova: u64,
    pub size: u64,
    pub phys: u64,
    /// The level of the leaves (3 = pages, 2 and 1 = blocks).
    pub level: u32,
    /// How many leaves the run holds.
    pub leaves: u64,
    pub writable: bool,
    /// The first leaf's raw descriptor (the run's leaves differ only in output address);
    /// [`crate::pgtable::arm_lpae::decode`] reads it.
    pub pte: u64,
}

/// The whole model: one kernel of one generation.
#[derive(Debug)]
pub struct Kernel {
    pub era: Era,
    pub config: Config,
    pub(crate) ops: &'static dyn EraOps,
    pub iommus: BTreeMap<IommuId, IommuFacts>,
    pub devices: BTreeMap<DeviceId, Device>,
    pub groups: BTreeMap<GroupId, Group>,
    pub domains: BTreeMap<DomainId, Domain>,
    labels: BTreeMap<DomainId, String>,
    /// Context/STE entries: (IOMMU, requester ID) → domain.
    pub contexts: BTreeMap<(IommuId, u32), DomainId>,
    pub containers: BTreeMap<Cookie, Container>,
    next_domain: u32,
    /// Set when a `BUG_ON` fired: the kernel is dead.
    pub crashed: Option<String>,
    events: Vec<Event>,
    /// Attach a full [`Snapshot`] to every event (for UIs that scrub through a run).
    pub record_snapshots: bool,
    // Trace of the call in progress.
    stack: Vec<Nested>,
    nested: Vec<Nested>,
    warns: Vec<Warn>,
    /// Nested calls closed so far in the call in progress, and those dropped past
    /// [`crate::limits::MAX_NESTED_PER_EVENT`] (WARN lines likewise).
    nested_kept: usize,
    nested_dropped: usize,
    warns_dropped: usize,
    /// Items (groups, devices, domains, mapped ranges) of the snapshots recorded so far,
    /// against [`crate::limits::MAX_SNAPSHOT_ITEMS`].
    pub(crate) snapshot_items: usize,
    /// Breaches of the call in progress that no state check can see afterwards (I6).
    pub(crate) call_breaches: Vec<crate::trace::Breach>,
    /// Model time for `tick`, in ns.
    pub(crate) now_ns: u64,
}

impl Kernel {
    /// A kernel of the given era and boot configuration, with no devices.
    pub fn new(era: Era, config: Config) -> Kernel {
        Kernel {
            era,
            config,
            ops: era::ops(era),
            iommus: BTreeMap::new(),
            devices: BTreeMap::new(),
            groups: BTreeMap::new(),
            domains: BTreeMap::new(),
            labels: BTreeMap::new(),
            contexts: BTreeMap::new(),
            containers: BTreeMap::new(),
            next_domain: 0,
            crashed: None,
            events: Vec::new(),
            record_snapshots: false,
            stack: Vec::new(),
            nested: Vec::new(),
            warns: Vec::new(),
            nested_kept: 0,
            nested_dropped: 0,
            warns_dropped: 0,
            snapshot_items: 0,
            call_breaches: Vec::new(),
            now_ns: 0,
        }
    }

    /// Registers an IOMMU instance (`iommu_device_register`).
    pub fn add_iommu(&mut self, id: IommuId, facts: IommuFacts) {
        self.iommus.insert(id, facts);
    }

    /// Every event so far, in order.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// Gives a domain the name the scenario uses (`d1`), for arguments and the UI.
    pub fn label_domain(&mut self, d: DomainId, label: &str) {
        self.labels.insert(d, label.to_string());
    }

    // ---------------------------------------------------------------- names & lookups

    pub(crate) fn dev_name(&self, d: DeviceId) -> String {
        self.devices
            .get(&d)
            .map(|x| x.facts.name.clone())
            .unwrap_or_else(|| format!("dev#{}", d.0))
    }

    pub(crate) fn dom_name(&self, d: DomainId) -> String {
        if let Some(l) = self.labels.get(&d) {
            return l.clone();
        }
        match self.domains.get(&d) {
            Some(dom) => match dom.role {
                DomainRole::Default => format!("default#{}({})", d.0, dom.ty),
                DomainRole::Blocking => format!("blocking#{}({})", d.0, dom.ty),
                DomainRole::User => format!("domain#{}({})", d.0, dom.ty),
            },
            None => format!("domain#{}", d.0),
        }
    }

    pub(crate) fn opt_dom_name(&self, d: Option<DomainId>) -> String {
        d.map_or_else(|| "NULL".to_string(), |d| self.dom_name(d))
    }

    pub(crate) fn group_name(g: GroupId) -> String {
        format!("group{}", g.0)
    }

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

    pub(crate) fn domain_exists(&self, d: DomainId) -> bool {
        self.domains.contains_key(&d)
    }

    /// Whether a DMA-API (not `driver_managed_dma`) driver is bound to the device.
    pub fn has_dma_api_driver(&self, dev: DeviceId) -> bool {
        self.devices
            .get(&dev)
            .and_then(|d| d.driver.as_ref())
            .is_some_and(|drv| !drv.managed)
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

    // ---------------------------------------------------------------- trace plumbing

    /// Opens a nested kernel call in the trace.
    pub(crate) fn enter(&mut self, name: &str, args: Vec<String>) {
        self.stack.push(Nested {
            name: name.to_string(),
            args,
            result: NestedResult::Void,
            children: Vec::new(),
        });
    }

    /// Closes the innermost nested call with its result.
    /// Past [`crate::limits::MAX_NESTED_PER_EVENT`] closed calls the call (and what it
    /// nested) is counted, not kept: [`Kernel::finish`] adds one summary entry.
    pub(crate) fn leave(&mut self, result: impl Into<NestedResult>) {
        if let Some(mut n) = self.stack.pop() {
            if self.nested_kept >= crate::limits::MAX_NESTED_PER_EVENT {
                self.nested_dropped += 1 + count_nested(&n.children);
                return;
            }
            self.nested_kept += 1;
            n.result = result.into();
            match self.stack.last_mut() {
                Some(parent) => parent.children.push(n),
                None => self.nested.push(n),
            }
        }
    }

    /// Closes a nested call with a `Result`.
    pub(crate) fn leave_res(&mut self, r: Result<(), Errno>) -> Result<(), Errno> {
        self.leave(r);
        r
    }

    /// Records a WARN line, up to [`crate::limits::MAX_WARNS_PER_EVENT`] per call.
    fn push_warn(&mut self, w: Warn) {
        if self.warns.len() >= crate::limits::MAX_WARNS_PER_EVENT {
            self.warns_dropped += 1;
        } else {
            self.warns.push(w);
        }
    }

    /// A kernel `WARN_ON`/`dev_WARN` fired.
    pub(crate) fn warn(&mut self, site: &str, message: &str) {
        self.push_warn(Warn {
            kind: WarnKind::Warn,
            site: site.to_string(),
            message: message.to_string(),
        });
    }

    /// A `dev_warn`/`pr_warn` line.
    pub(crate) fn notice(&mut self, site: &str, message: &str) {
        self.push_warn(Warn {
            kind: WarnKind::Notice,
            site: site.to_string(),
            message: message.to_string(),
        });
    }

    /// A hazard the kernel does not check but the model flags.
    pub(crate) fn model_warn(&mut self, site: &str, message: &str) {
        self.push_warn(Warn {
            kind: WarnKind::Model,
            site: site.to_string(),
            message: message.to_string(),
        });
    }

    /// A `BUG_ON` fired: the kernel is dead and the run ends.
    pub(crate) fn bug(&mut self, site: &str, message: &str) {
        self.push_warn(Warn {
            kind: WarnKind::Bug,
            site: site.to_string(),
            message: message.to_string(),
        });
        self.crashed = Some(format!("{site}: {message}"));
    }

    // ---------------------------------------------------------------- snapshots

    /// The effective domain of a device's DMA: its context entry.
    pub fn dma_target(&self, dev: DeviceId) -> DmaTarget {
        let Some(d) = self.devices.get(&dev) else {
            return DmaTarget::Untranslated;
        };
        if d.group.is_none() {
            return DmaTarget::Untranslated;
        }
        match self
            .contexts
            .get(&(d.facts.iommu, d.facts.requester_id))
            .copied()
        {
            Some(dom) => DmaTarget::Domain(dom),
            None => DmaTarget::NoContext,
        }
    }

    /// The current state, cheap enough to take after every call.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            groups: self.groups.values().cloned().collect(),
            devices: self
                .devices
                .values()
                .map(|d| DeviceView {
                    id: d.id,
                    name: d.facts.name.clone(),
                    group: d.group,
                    driver: d.driver.clone(),
                    domain: match self.dma_target(d.id) {
                        DmaTarget::Domain(x) => Some(x),
                        _ => None,
                    },
                })
                .collect(),
            domains: self
                .domains
                .values()
                .map(|d| DomainView {
                    id: d.id,
                    label: self.dom_name(d.id),
                    ty: d.ty,
                    role: d.role.clone(),
                    iommu: d.iommu,
                    geometry: d.geometry,
                    pgsize_bitmap: d.pgsize_bitmap,
                    freed: d.freed,
                    counters: d
                        .paging
                        .as_deref()
                        .map(|p| MapCounters::of(p, d.cookie.as_deref())),
                    table: d
                        .paging
                        .as_deref()
                        .filter(|_| self.record_snapshots)
                        .map(|p| table_view(&p.pgtable.inner)),
                })
                .collect(),
        }
    }

    // ---------------------------------------------------------------- domains

    /// drivers/iommu/iommu.c: `__iommu_domain_alloc()` (v6.8): the driver allocates, the
    /// core sets `owner`, `pgsize_bitmap` and (paging) the geometry from the IOMMU.
    pub(crate) fn alloc_domain(
        &mut self,
        iommu: IommuId,
        ty: DomainType,
        role: DomainRole,
    ) -> Result<DomainId, Errno> {
        let facts = self.iommus.get(&iommu).ok_or(Errno::ENODEV)?;
        // The driver's domain_alloc(): kzalloc of the domain, failing past the model's
        // domain limit (every snapshot lists every domain) or under fault injection.
        if self.domains.len() >= crate::limits::MAX_DOMAINS || crate::fault::should_fail() {
            return Err(Errno::ENOMEM);
        }
        let (geometry, pgsize_bitmap) = if ty.is_paging() {
            (
                geometry_for_ias(facts.ias),
                pgsize_bitmap_for_granule(facts.granule),
            )
        } else {
            (Geometry::default(), 0)
        };
        let paging = if ty.is_paging() {
            Some(Box::new(mapping::new_paging(
                facts.granule,
                facts.ias,
                facts.oas,
                self.config.split_unmap,
            )?))
        } else {
            None
        };
        // drivers/iommu/dma-iommu.c: iommu_dma_init_domain() + iommu_dma_init_fq() (v6.8):
        // DMA domains get an IOVA allocator, DMA_FQ ones a flush queue too.
        let cookie = match (&paging, ty) {
            (Some(p), DomainType::Dma | DomainType::DmaFq) => Some(Box::new(DmaCookie::new(
                p,
                MODEL_CPUS,
                ty == DomainType::DmaFq,
            )?)),
            _ => None,
        };
        let id = DomainId(self.next_domain);
        self.next_domain += 1;
        self.domains.insert(
            id,
            Domain {
                id,
                ty,
                iommu,
                role,
                geometry,
                pgsize_bitmap,
                freed: false,
                paging,
                cookie,
            },
        );
        Ok(id)
    }

    /// Whether any device's context or any group still uses the domain.
    pub fn domain_in_use(&self, d: DomainId) -> bool {
        self.contexts.values().any(|&x| x == d)
            || self.devices.values().any(|x| x.domain == Some(d))
            || self.groups.values().any(|g| g.domain == Some(d))
    }

    /// drivers/iommu/iommu.c: `iommu_domain_free()` (v6.8). The kernel frees without
    /// checking; freeing a domain still attached is flagged here as a use-after-free.
    pub(crate) fn domain_free(&mut self, d: DomainId) -> Result<(), Errno> {
        let in_use = self.domain_in_use(d);
        let dom = self.domains.get_mut(&d).ok_or(Errno::EINVAL)?;
        if dom.freed {
            self.model_warn("iommu_domain_free", "double free of a domain");
            return Ok(());
        }
        dom.freed = true;
        if in_use {
            let n = self.dom_name(d);
            self.model_warn(
                "iommu_domain_free",
                &format!("{n} freed while still attached: use-after-free of its page table"),
            );
        }
        Ok(())
    }

    // ---------------------------------------------------------------- attach helpers

    /// The IOMMU driver's `ops->attach_dev(domain, dev)`: programs the context entry of the
    /// device's requester ID. arm-smmu/arm-smmu-v3: a domain of another SMMU → -EINVAL.
    pub(crate) fn dev_attach(&mut self, dev: DeviceId, d: DomainId) -> Result<(), Errno> {
        let (iommu, rid) = {
            let x = self.devices.get(&dev).ok_or(Errno::ENODEV)?;
            (x.facts.iommu, x.facts.requester_id)
        };
        let dom = self.domains.get(&d).ok_or(Errno::EINVAL)?;
        if dom.iommu != iommu {
            return Err(Errno::EINVAL);
        }
        if dom.freed {
            let n = self.dom_name(d);
            self.model_warn("attach_dev", &format!("attaching freed domain {n}"));
        }
        if let Some(x) = self.devices.get_mut(&dev) {
            x.domain = Some(d);
        }
        self.contexts.insert((iommu, rid), d);
        Ok(())
    }

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
        let old = self.group(g)?.domain;
        let blocking = self.group(g)?.blocking_domain;
        if rollback && old == Some(d) {
            return Ok(());
        }
        let members = self.members(g);
        let is_blocked = self
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
                    .devices
                    .get(&dev)
                    .is_some_and(|x| x.facts.require_direct)
            {
                let n = self.dev_name(dev);
                self.notice(
                    "__iommu_device_set_domain",
                    &format!("{n}: Firmware has requested this device have a 1:1 IOMMU mapping, rejecting configuring the device without a 1:1 mapping"),
                );
                result = Err(Errno::EINVAL);
                break;
            }
            let prev = self.devices.get(&dev).and_then(|x| x.domain);
            let args = vec![self.dom_name(d), self.dev_name(dev)];
            self.enter("ops->attach_dev", args);
            let r = self.dev_attach(dev, d);
            if let Err(e) = self.leave_res(r) {
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
                        None => self.dev_detach(dev),
                    }
                }
            }
            return Err(e);
        }
        self.group_mut(g)?.domain = Some(d);
        Ok(())
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

    // ---------------------------------------------------------------- probe / remove

    /// drivers/iommu/iommu.c: `iommu_probe_device()` → `iommu_group_add_device()` (+ the
    /// default-domain setup for a group's first device). `group` is what the grouping code
    /// (`ops->device_group`) returned; `None` means the device is not behind an IOMMU.
    pub fn probe_device(
        &mut self,
        id: DeviceId,
        facts: DeviceFacts,
        group: Option<GroupId>,
    ) -> Event {
        let args = vec![facts.name.clone()];
        let is_pci = facts.is_pci;
        self.begin();
        let before = self.snapshot();
        self.devices.insert(
            id,
            Device {
                id,
                facts,
                group: None,
                driver: None,
                domain: None,
                iommufd: None,
                dma: Kernel::default_dma_device(is_pci),
            },
        );
        let result = match group {
            None => Ret::Ok,
            Some(g) => Ret::from(self.group_add_device(id, g)),
        };
        self.finish("iommu_probe_device", args, result, before)
    }

    fn group_add_device(&mut self, dev: DeviceId, g: GroupId) -> Result<(), Errno> {
        let args = vec![self.dev_name(dev), Self::group_name(g)];
        self.enter("iommu_group_add_device", args);
        let r = self.group_add_device_inner(dev, g);
        self.leave_res(r)
    }

    fn group_add_device_inner(&mut self, dev: DeviceId, g: GroupId) -> Result<(), Errno> {
        if let Some(x) = self.devices.get_mut(&dev) {
            x.group = Some(g);
        }
        if let std::collections::btree_map::Entry::Vacant(e) = self.groups.entry(g) {
            let mut grp = Group::new(g);
            grp.devices.push(dev);
            e.insert(grp);
            return self.setup_default_domain(g);
        }
        self.group_mut(g)?.devices.push(dev);
        self.check_default_type_demand(dev, g);
        self.ops.group_add_device(self, dev, g)
    }

    /// drivers/iommu/iommu.c: `iommu_get_default_domain_type()` (v6.8) for a device joining
    /// a group whose default domain exists: a conflicting demand (or an untrusted device in
    /// a non-DMA group) is only reported; the group keeps its default domain.
    fn check_default_type_demand(&mut self, dev: DeviceId, g: GroupId) {
        let Some(x) = self.devices.get(&dev) else {
            return;
        };
        let want = if x.facts.untrusted && x.facts.is_pci {
            Some(DomainType::Dma)
        } else {
            x.facts.def_domain_type
        };
        let have = self
            .groups
            .get(&g)
            .and_then(|grp| grp.default_domain)
            .and_then(|d| self.domains.get(&d))
            .map(|d| d.ty);
        if let (Some(want), Some(have)) = (want, have) {
            let compatible = want == have || (want == DomainType::Dma && have == DomainType::DmaFq);
            if !compatible {
                let n = self.dev_name(dev);
                self.notice(
                    "iommu_get_default_domain_type",
                    &format!("{n}: Device needs domain type {want}, but iommu group {} already uses {have} - keeping it", g.0),
                );
            }
        }
    }

    /// drivers/iommu/iommu.c: `iommu_setup_default_domain()` (v6.8) for a new group.
    fn setup_default_domain(&mut self, g: GroupId) -> Result<(), Errno> {
        let members = self.members(g);
        let first = members.first().copied().ok_or(Errno::EINVAL)?;
        let (iommu, inputs) = {
            let x = self.devices.get(&first).ok_or(Errno::ENODEV)?;
            (
                x.facts.iommu,
                DefaultDomainInputs {
                    demand: x.facts.def_domain_type,
                    untrusted: x.facts.untrusted && x.facts.is_pci,
                },
            )
        };
        let deferred = self.iommus.get(&iommu).is_some_and(|f| f.deferred_flush);
        let ty = default_domain_type(
            self.config.strict,
            self.config.passthrough,
            deferred,
            &[inputs],
        );
        self.enter("iommu_setup_default_domain", vec![Self::group_name(g)]);
        let r = self.alloc_domain(iommu, ty, DomainRole::Default);
        let r = r.and_then(|d| {
            self.group_mut(g)?.default_domain = Some(d);
            self.group_set_domain(g, d, true, false)
        });
        self.leave_res(r)
    }

    /// drivers/iommu/iommu.c: `iommu_release_device()` → `__iommu_group_remove_device()`
    /// (v6.8). A bound driver is unbound first (device_del). The last device leaving frees
    /// the group; v6.8 WARNs if it is still owned or not in its default domain (I5).
    pub fn remove_device(&mut self, dev: DeviceId) -> Event {
        let args = vec![self.dev_name(dev)];
        self.begin();
        let before = self.snapshot();
        if self.devices.get(&dev).is_some_and(|d| d.driver.is_some()) {
            let _ = self.unbind(dev);
        }
        let mut emptied: Vec<crate::trace::Breach> = Vec::new();
        if let Some(g) = self.group_of(dev) {
            self.enter("iommu_group_remove_device", vec![self.dev_name(dev)]);
            self.dev_detach(dev);
            if let Ok(grp) = self.group_mut(g) {
                grp.devices.retain(|&x| x != dev);
            }
            if let Ok(grp) = self.group(g) {
                if grp.devices.is_empty() {
                    let grp = grp.clone();
                    if let Some(b) = invariants::check_empty_group(self, &grp) {
                        if self.era >= Era::Current {
                            self.warn(
                                "__iommu_group_remove_device",
                                "WARN_ON(group->owner_cnt || group->domain != group->default_domain)",
                            );
                        }
                        emptied.push(b);
                    }
                    for d in [grp.default_domain, grp.blocking_domain]
                        .into_iter()
                        .flatten()
                    {
                        if let Some(x) = self.domains.get_mut(&d) {
                            x.freed = true;
                        }
                    }
                    self.groups.remove(&g);
                    for cont in self.containers.values_mut() {
                        cont.groups.retain(|&x| x != g);
                    }
                }
            }
            self.leave(NestedResult::Void);
        }
        self.devices.remove(&dev);
        let mut ev = self.finish("iommu_release_device", args, Ret::Ok, before);
        ev.breaches.extend(emptied);
        if let Some(last) = self.events.last_mut() {
            *last = ev.clone();
        }
        ev
    }

    // ---------------------------------------------------------------- call dispatch

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
            self.notice(
                "trace",
                &format!("snapshots stop here: the run's snapshots reached {max} items"),
            );
            return None;
        }
        Some(snap)
    }

    fn begin(&mut self) {
        self.call_breaches.clear();
        self.stack.clear();
        self.nested.clear();
        self.warns.clear();
        self.nested_kept = 0;
        self.nested_dropped = 0;
        self.warns_dropped = 0;
    }

    fn finish(&mut self, call: &str, args: Vec<String>, result: Ret, before: Snapshot) -> Event {
        while !self.stack.is_empty() {
            self.leave(NestedResult::Void);
        }
        if self.nested_dropped > 0 {
            self.nested.push(Nested::summary(self.nested_dropped));
        }
        if self.warns_dropped > 0 {
            let more = crate::trace::thousands(self.warns_dropped as u64);
            self.warns.push(Warn {
                kind: WarnKind::Notice,
                site: "trace".into(),
                message: format!("… {more} more lines not recorded"),
            });
        }
        let after = self.snapshot();
        let deltas = diff(&before, &after);
        let breaches = invariants::check(self);
        let snapshot = self
            .record_snapshots
            .then_some(after)
            .and_then(|a| self.budget_snapshot(a));
        let ev = Event {
            seq: self.events.len(),
            call: call.to_string(),
            args,
            result,
            warns: std::mem::take(&mut self.warns),
            nested: std::mem::take(&mut self.nested),
            deltas,
            breaches,
            snapshot,
        };
        self.events.push(ev.clone());
        ev
    }

    fn args_of(&self, call: &Call) -> Vec<String> {
        let dv = |d: &DeviceId| self.dev_name(*d);
        let dm = |d: &DomainId| self.dom_name(*d);
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
                .iommus
                .get(iommu)
                .map_or_else(|| format!("iommu#{}", iommu.0), |f| f.name.clone())],
            Call::IommuDomainFree { domain } => vec![dm(domain)],
            Call::IommuAttachDevice { domain, dev }
            | Call::IommuDetachDevice { domain, dev }
            | Call::IommuAttachDeviceShared { domain, dev }
            | Call::IommuDetachDeviceShared { domain, dev } => vec![dm(domain), dv(dev)],
            Call::IommuAttachGroup { domain, group } | Call::IommuDetachGroup { domain, group } => {
                vec![dm(domain), Self::group_name(*group)]
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
                vec![Self::group_name(*group), ck(cookie)]
            }
            Call::IommuGroupReleaseDmaOwner { group } | Call::VfioGroupUnsetContainer { group } => {
                vec![Self::group_name(*group)]
            }
            Call::IommuDeviceClaimDmaOwner { dev, cookie } => vec![dv(dev), ck(cookie)],
            Call::IommuGroupReplaceDomain { group, domain } => {
                vec![Self::group_name(*group), self.opt_dom_name(*domain)]
            }
            Call::VfioGroupSetContainer { group, container } => {
                vec![Self::group_name(*group), container.0.clone()]
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

    /// Runs one call in this kernel's generation and returns (and records) its event.
    /// After a `BUG`, every further call returns `BUG` without doing anything.
    pub fn call(&mut self, call: &Call) -> Event {
        let args = self.args_of(call);
        self.begin();
        let before = self.snapshot();
        let result = if self.crashed.is_some() {
            Ret::Bug
        } else {
            let r = self.dispatch(call);
            if self.crashed.is_some() {
                Ret::Bug
            } else {
                r
            }
        };
        self.finish(call.name(), args, result, before)
    }

    fn dispatch(&mut self, call: &Call) -> Ret {
        let era = self.ops;
        match call.clone() {
            Call::Bind {
                dev,
                driver,
                managed,
            } => self.bind(dev, &driver, managed),
            Call::Unbind { dev } => self.unbind(dev),
            Call::IommuDomainAlloc { iommu } => era.domain_alloc(self, iommu),
            Call::IommuPagingDomainAlloc { dev } => era.paging_domain_alloc(self, dev),
            Call::IommuDomainFree { domain } => Ret::from(self.domain_free(domain)),
            Call::IommuAttachDevice { domain, dev } => {
                self.with_domain(domain, |k| era.attach_device(k, domain, dev))
            }
            Call::IommuDetachDevice { domain, dev } => {
                self.with_domain(domain, |k| era.detach_device(k, domain, dev))
            }
            Call::IommuAttachGroup { domain, group } => {
                self.with_domain(domain, |k| era.attach_group(k, domain, group))
            }
            Call::IommuDetachGroup { domain, group } => {
                self.with_domain(domain, |k| era.detach_group(k, domain, group))
            }
            Call::IommuAttachDeviceShared { domain, dev } => {
                self.with_domain(domain, |k| era.attach_device_shared(k, domain, dev))
            }
            Call::IommuDetachDeviceShared { domain, dev } => {
                self.with_domain(domain, |k| era.detach_device_shared(k, domain, dev))
            }
            Call::IommuDeviceSetDmaOwner { dev, owner, cookie } => {
                era.device_set_dma_owner(self, dev, owner, cookie)
            }
            Call::IommuDeviceReleaseDmaOwner { dev, owner } => {
                era.device_release_dma_owner(self, dev, owner)
            }
            Call::IommuGroupClaimDmaOwner { group, cookie } => {
                era.group_claim_dma_owner(self, group, cookie)
            }
            Call::IommuGroupReleaseDmaOwner { group } => era.group_release_dma_owner(self, group),
            Call::IommuDeviceClaimDmaOwner { dev, cookie } => {
                era.device_claim_dma_owner(self, dev, cookie)
            }
            Call::IommuDeviceUseDefaultDomain { dev } => era.device_use_default_domain(self, dev),
            Call::IommuDeviceUnuseDefaultDomain { dev } => {
                era.device_unuse_default_domain(self, dev)
            }
            Call::IommuGroupReplaceDomain { group, domain } => match domain {
                Some(d) => self.with_domain(d, |k| era.group_replace_domain(k, group, Some(d))),
                None => era.group_replace_domain(self, group, None),
            },
            Call::VfioGroupSetContainer { group, container } => {
                self.vfio_group_set_container(group, container)
            }
            Call::VfioGroupUnsetContainer { group } => self.vfio_group_unset_container(group),
            Call::IommufdDeviceBind { dev, ictx } => era.iommufd_device_bind(self, dev, ictx),
            Call::IommufdDeviceUnbind { dev } => era.iommufd_device_unbind(self, dev),
            Call::DeviceDma { dev, iova, write } => self.device_dma(dev, iova, write),
            Call::IommuMap {
                domain,
                iova,
                paddr,
                size,
                prot,
            } => self.with_domain(domain, |k| k.iommu_map(domain, iova, paddr, size, prot)),
            Call::IommuUnmap { domain, iova, size } => {
                self.with_domain(domain, |k| k.iommu_unmap(domain, iova, size))
            }
            Call::IommuIovaToPhys { domain, iova } => {
                self.with_domain(domain, |k| k.iommu_iova_to_phys(domain, iova))
            }
            Call::IommuFlushIotlbAll { domain } => {
                self.with_domain(domain, |k| k.iommu_flush_iotlb_all(domain))
            }
            Call::DmaMapPage {
                dev,
                phys,
                size,
                dir,
                cpu,
            } => self.dma_map_page(dev, phys, size, dir, cpu),
            Call::DmaUnmapPage {
                dev,
                iova,
                size,
                dir,
                cpu,
            } => self.dma_unmap_page(dev, iova, size, dir, cpu),
            Call::Tick { ns } => self.tick(ns),
        }
    }

    /// Runs `f` when the domain handle is known; an unknown handle is a caller bug
    /// the scenario runner reports before calling, so the model answers -EINVAL.
    fn with_domain(&mut self, d: DomainId, f: impl FnOnce(&mut Kernel) -> Ret) -> Ret {
        if !self.domain_exists(d) {
            return Ret::Err(Errno::EINVAL);
        }
        f(self)
    }

    /// The device issues one DMA access: resolve it through its context entry's domain.
    /// IDENTITY: the PA is the IOVA; BLOCKED: -EFAULT; paging: the modelled IOTLB, then the
    /// page table (no mapping, or a write through a read-only one: -EFAULT; a stale IOTLB
    /// entry still reaches the old page and is reported as I6). A freed domain still in the context is a use-after-free (the
    /// hardware walks freed tables): flagged, and the stale translation is returned.
    pub fn device_dma(&mut self, dev: DeviceId, iova: u64, write: bool) -> Ret {
        if !self.devices.contains_key(&dev) {
            return Ret::Err(Errno::ENODEV);
        }
        match self.dma_target(dev) {
            DmaTarget::Untranslated => Ret::Value(iova),
            DmaTarget::NoContext => Ret::Err(Errno::EFAULT),
            DmaTarget::Domain(d) => {
                let Some(dom) = self.domains.get(&d) else {
                    return Ret::Err(Errno::EFAULT);
                };
                let freed = dom.freed;
                let r = match dom.ty {
                    DomainType::Identity => Some(iova),
                    DomainType::Blocked => None,
                    ty if ty.is_paging() => self.paging_dma(dev, d, iova, write),
                    _ => None,
                };
                if freed {
                    let n = self.dom_name(d);
                    self.model_warn(
                        "device_dma",
                        &format!("DMA translated by freed domain {n}: use-after-free"),
                    );
                }
                match r {
                    Some(pa) => Ret::Value(pa),
                    None => Ret::Err(Errno::EFAULT),
                }
            }
        }
    }
}

/// Every difference between two snapshots, as [`Delta`]s.
pub fn diff(before: &Snapshot, after: &Snapshot) -> Vec<Delta> {
    let mut out = Vec::new();
    for d in &after.domains {
        match before.domains.iter().find(|x| x.id == d.id) {
            None => out.push(Delta::DomainAllocated {
                domain: d.id,
                ty: d.ty.name().to_string(),
            }),
            Some(b) => {
                if !b.freed && d.freed {
                    out.push(Delta::DomainFreed { domain: d.id });
                }
                if let (Some(bc), Some(ac)) = (b.counters, d.counters) {
                    if bc != ac {
                        out.push(Delta::Mapping {
                            domain: d.id,
                            before: bc,
                            after: ac,
                        });
                    }
                }
            }
        }
    }
    let empty = Group::new;
    let mut ids: Vec<GroupId> = before.groups.iter().map(|g| g.id).collect();
    ids.extend(after.groups.iter().map(|g| g.id));
    ids.sort();
    ids.dedup();
    for id in ids {
        let b = before
            .groups
            .iter()
            .find(|g| g.id == id)
            .cloned()
            .unwrap_or_else(|| empty(id));
        let a = after
            .groups
            .iter()
            .find(|g| g.id == id)
            .cloned()
            .unwrap_or_else(|| empty(id));
        if b.devices != a.devices {
            out.push(Delta::GroupMembers {
                group: id,
                before: b.devices.clone(),
                after: a.devices.clone(),
            });
        }
        if b.domain != a.domain {
            out.push(Delta::GroupDomain {
                group: id,
                before: b.domain,
                after: a.domain,
            });
        }
        if b.owner != a.owner {
            out.push(Delta::GroupOwner {
                group: id,
                before: b.owner.map(|c| c.0),
                after: a.owner.map(|c| c.0),
            });
        }
        if b.owner_cnt != a.owner_cnt {
            out.push(Delta::OwnerCnt {
                group: id,
                before: b.owner_cnt,
                after: a.owner_cnt,
            });
        }
        if b.attach_cnt != a.attach_cnt {
            out.push(Delta::AttachCnt {
                group: id,
                before: b.attach_cnt,
                after: a.attach_cnt,
            });
        }
    }
    for d in &after.devices {
        let b = before.devices.iter().find(|x| x.id == d.id);
        let (bd, bdrv) = b.map_or((None, None), |b| {
            (b.domain, b.driver.as_ref().map(|x| x.name.clone()))
        });
        if bd != d.domain {
            out.push(Delta::DeviceDomain {
                device: d.id,
                before: bd,
                after: d.domain,
            });
        }
        let adrv = d.driver.as_ref().map(|x| x.name.clone());
        if bdrv != adrv {
            out.push(Delta::DeviceDriver {
                device: d.id,
                before: bdrv,
                after: adrv,
            });
        }
    }
    out
}

/// The mapped ranges of an LPAE table ([`TableView`]).
fn table_view(t: &crate::pgtable::arm_lpae::ArmLpae) -> TableView {
    let (leaves, truncated) = t.leaves(TableView::LIMIT);
    let mut ranges: Vec<MappedRange> = Vec::new();
    for (level, l) in leaves {
        let writable = l.writable();
        let attrs = |pte: u64| pte & !crate::pgtable::arm_lpae::PTE_ADDR_MASK;
        if let Some(r) = ranges.last_mut() {
            if r.level == level
                && r.writable == writable
                && attrs(r.pte) == attrs(l.pte)
                && r.iova + r.size == l.iova_base
                && r.phys + r.size == l.phys_base
            {
                r.size += l.size;
                r.leaves += 1;
                continue;
            }
        }
        ranges.push(MappedRange {
            iova: l.iova_base,
            size: l.size,
            phys: l.phys_base,
            level,
            leaves: 1,
            writable,
            pte: l.pte,
        });
    }
    TableView {
        start_level: t.start_level(),
        ranges,
        truncated,
    }
}

/// Nested calls under `n`, at any depth.
fn count_nested(n: &[Nested]) -> usize {
    n.iter().map(|c| 1 + count_nested(&c.children)).sum()
}
