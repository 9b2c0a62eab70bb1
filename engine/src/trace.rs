//! The call trace: one [`Event`] per call, with its nested kernel calls, WARNs, state
//! changes and invariant results. Serialisable with a stable schema (the UI and `--json`).

use crate::errno::Errno;
use crate::ids::{DeviceId, DomainId, GroupId};
use serde::{Serialize, Serializer};
use std::fmt;

/// What a call returned, printed as the scenario language writes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ret {
    /// `0`.
    Ok,
    /// A number (a PA from `device_dma`).
    Value(u64),
    /// A domain handle (`d1 = iommu_domain_alloc(...)`).
    Domain(DomainId),
    /// `-EXXX`.
    Err(Errno),
    /// `n/a`: the call does not exist in this generation.
    NotAvailable,
    /// `BUG`: a `BUG_ON` fired; the run ends.
    Bug,
    /// `DMA_MAPPING_ERROR` (include/linux/dma-mapping.h: `~(dma_addr_t)0`): a failed
    /// `dma_map_page()`.
    DmaMappingError,
}

impl Ret {
    /// `Ok(())` → `0`, `Err(e)` → `-E...`.
    pub fn from_result(r: Result<(), Errno>) -> Ret {
        match r {
            Ok(()) => Ret::Ok,
            Err(e) => Ret::Err(e),
        }
    }
}

impl From<Result<(), Errno>> for Ret {
    fn from(r: Result<(), Errno>) -> Ret {
        Ret::from_result(r)
    }
}

impl fmt::Display for Ret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ret::Ok => f.write_str("0"),
            Ret::Value(v) => write!(f, "{v:#x}"),
            Ret::Domain(d) => write!(f, "domain#{}", d.0),
            Ret::Err(e) => write!(f, "{e}"),
            Ret::NotAvailable => f.write_str("n/a"),
            Ret::Bug => f.write_str("BUG"),
            Ret::DmaMappingError => f.write_str("DMA_MAPPING_ERROR"),
        }
    }
}

impl Serialize for Ret {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A `WARN`/`BUG`/notice printed during a call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Warn {
    /// `WARN` (kernel WARN_ON/dev_WARN), `notice` (dev_warn/pr_warn), `model` (a hazard the
    /// kernel does not check, flagged by the model).
    pub kind: &'static str,
    /// Where it comes from (`iommu_detach_device`).
    pub site: String,
    pub message: String,
}

/// A kernel function called on the way (really_probe → dma_configure → ...).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Nested {
    pub name: String,
    pub args: Vec<String>,
    /// `0`, `-EBUSY`, ... (empty for void functions).
    pub result: String,
    pub children: Vec<Nested>,
}

impl Nested {
    /// The entry that stands for `n` nested calls not recorded past
    /// [`crate::limits::MAX_NESTED_PER_EVENT`]: named "… 31,000 more", no arguments.
    pub fn summary(n: usize) -> Nested {
        Nested {
            name: format!("… {} more", thousands(n as u64)),
            args: Vec::new(),
            result: String::new(),
            children: Vec::new(),
        }
    }

    /// Whether this is a [`Nested::summary`] entry (printed without parentheses).
    pub fn is_summary(&self) -> bool {
        self.name.starts_with('…')
    }
}

/// `31000` → `31,000`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// One state change a call caused (`before` → `after`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Delta {
    GroupDomain {
        group: GroupId,
        before: Option<DomainId>,
        after: Option<DomainId>,
    },
    GroupOwner {
        group: GroupId,
        before: Option<String>,
        after: Option<String>,
    },
    OwnerCnt {
        group: GroupId,
        before: u32,
        after: u32,
    },
    AttachCnt {
        group: GroupId,
        before: u32,
        after: u32,
    },
    /// The domain one device's DMA is translated by (its context/STE entry).
    DeviceDomain {
        device: DeviceId,
        before: Option<DomainId>,
        after: Option<DomainId>,
    },
    DeviceDriver {
        device: DeviceId,
        before: Option<String>,
        after: Option<String>,
    },
    GroupMembers {
        group: GroupId,
        before: Vec<DeviceId>,
        after: Vec<DeviceId>,
    },
    DomainAllocated {
        domain: DomainId,
        ty: String,
    },
    DomainFreed {
        domain: DomainId,
    },
    /// A paging domain's mapping counters changed (PTE writes, tables, IOTLB
    /// invalidations, rcache hits/misses): the values before and after the call.
    Mapping {
        domain: DomainId,
        before: crate::mapping::MapCounters,
        after: crate::mapping::MapCounters,
    },
}

/// An invariant (I1–I6 of shared/MODEL.md §4, or `UAF`) found broken after a call. I6
/// (IOVA reuse/use before the IOTLB flush) is a property of the call that broke it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Breach {
    /// `I1` … `I6`, or `UAF` (a freed domain still translating DMA).
    pub invariant: &'static str,
    pub group: Option<GroupId>,
    pub devices: Vec<DeviceId>,
    pub domains: Vec<DomainId>,
    /// One plain sentence.
    pub message: String,
}

/// One call of the scenario and everything it did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Event {
    /// Position in the run, from 0.
    pub seq: usize,
    /// The kernel name (`iommu_attach_device`, `bind`, ...).
    pub call: String,
    pub args: Vec<String>,
    pub result: Ret,
    pub warns: Vec<Warn>,
    pub nested: Vec<Nested>,
    pub deltas: Vec<Delta>,
    /// Invariants broken after the call (empty: all hold).
    pub breaches: Vec<Breach>,
    /// The whole state after the call, when the kernel records snapshots
    /// ([`crate::iommu::Kernel::record_snapshots`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<crate::iommu::Snapshot>,
}

impl Event {
    /// `iommu_probe_device()` failed before the core saw the device (the IOMMU driver's
    /// `device_group()` returned an error, e.g. -ENOSPC when no SMR is free): the device
    /// has no group and its DMA is not translated.
    pub fn failed_probe(seq: usize, dev: &str, e: Errno) -> Event {
        Event {
            seq,
            call: "iommu_probe_device".into(),
            args: vec![dev.to_string()],
            result: Ret::Err(e),
            warns: Vec::new(),
            nested: vec![Nested {
                name: "device_group".into(),
                args: vec![dev.to_string()],
                result: e.to_string(),
                children: Vec::new(),
            }],
            deltas: Vec::new(),
            breaches: Vec::new(),
            snapshot: None,
        }
    }

    /// Whether a `BUG_ON` fired in this call.
    pub fn is_bug(&self) -> bool {
        self.result == Ret::Bug
    }
}
