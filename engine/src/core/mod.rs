//! The IOMMU core's state (`struct iommu_group`, devices, domains, context entries, VFIO
//! containers) and the era-independent helpers of drivers/iommu/iommu.c. What differs
//! between API eras lives in [`crate::era`]; this module only does what every era does and
//! never names an era.
//!
//! Modelling choices (all eras): each group gets a default domain when its first device
//! probes; in `legacy` it stands for the arch DMA-ops domain the IOMMU driver set up (the
//! core of v4.1 had no `group->domain`). A device's DMA is translated through the context
//! entry of its requester/stream ID on its IOMMU, so devices sharing an ID (behind a
//! PCIe-to-PCI bridge, or sharing an SMMU stream ID) share one translation whatever the
//! core believes (scenario S5).
//!
//! [`Cx`] is the narrow context the era methods get: the core and the recorder.

mod attach;
mod device;
mod domain;
mod group;
mod map;
mod probe;

pub use device::{BoundDriver, Device, DeviceFacts};
pub use group::{Container, Group};
pub use probe::Joined;

use crate::call::Cookie;
use crate::domain::{Domain, DomainRole};
use crate::era::Config;
use crate::ids::{DeviceId, DomainId, GroupId, IommuId};
use crate::record::Recorder;
use crate::vec_map::VecMap;

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
    /// An instance with the model's defaults (4K granule, 48-bit IAS and OAS, deferred
    /// flush): those of `topology::IommuSpec::new`, which a test in scenario/lower pins.
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

/// The model state of one kernel: what every era's code reads and writes.
#[derive(Debug)]
pub struct Core {
    /// The boot configuration (`iommu.strict`, `iommu.passthrough`, the page-table rules).
    pub config: Config,
    pub iommus: VecMap<IommuId, IommuFacts>,
    pub devices: VecMap<DeviceId, Device>,
    pub groups: VecMap<GroupId, Group>,
    pub domains: VecMap<DomainId, Domain>,
    labels: VecMap<DomainId, String>,
    /// Context/STE entries: (IOMMU, requester ID) → domain.
    pub contexts: VecMap<(IommuId, u32), DomainId>,
    pub containers: VecMap<Cookie, Container>,
    next_domain: u32,
    /// Model time for `tick`, in ns.
    pub(crate) now_ns: u64,
}

/// The context an era method runs in: the core state and the trace recorder of the call
/// in progress, nothing else.
pub struct Cx<'a> {
    pub core: &'a mut Core,
    pub rec: &'a mut Recorder,
}

impl Core {
    /// A core with the given boot configuration and no IOMMUs or devices.
    pub fn new(config: Config) -> Core {
        Core {
            config,
            iommus: VecMap::new(),
            devices: VecMap::new(),
            groups: VecMap::new(),
            domains: VecMap::new(),
            labels: VecMap::new(),
            contexts: VecMap::new(),
            containers: VecMap::new(),
            next_domain: 0,
            now_ns: 0,
        }
    }

    /// Registers an IOMMU instance (`iommu_device_register`).
    pub fn add_iommu(&mut self, id: IommuId, facts: IommuFacts) {
        self.iommus.insert(id, facts);
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

    /// A group as a nested call's `struct iommu_group *` argument (`group1`).
    pub fn group_name(g: GroupId) -> String {
        g.trace_arg()
    }

    pub(crate) fn domain_exists(&self, d: DomainId) -> bool {
        self.domains.contains_key(&d)
    }

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
}
