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
    /// `NULL`: a failed `iommu_domain_alloc()` (it returns no errno).
    Null,
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
            Ret::Null => f.write_str("NULL"),
        }
    }
}

impl Serialize for Ret {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// How bad a trace record is, for a view to colour it (the CLI's ANSI styles, the UI's
/// CSS classes). Made here once, from the typed record, never from its printed text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// Success, a value, or words that are neither (`0`, `0x1000`, `d1`, `4K x 1`).
    Ok,
    /// Worth reading, not a failure (a `notice`, a `model` hazard).
    Info,
    /// The call does not exist here (`n/a`), or a compare cell the run never reached (`—`).
    NotAvailable,
    /// A kernel `WARN`.
    Warning,
    /// A failure: `-EXXX`, `DMA_MAPPING_ERROR`.
    Error,
    /// A `BUG_ON` fired.
    Bug,
}

impl Severity {
    /// A failure or a crash: what a trace shows in red.
    pub fn is_failure(self) -> bool {
        matches!(self, Severity::Error | Severity::Bug)
    }
}

impl Ret {
    /// How bad this result is.
    pub fn severity(self) -> Severity {
        match self {
            Ret::Ok | Ret::Value(_) | Ret::Domain(_) => Severity::Ok,
            Ret::Err(_) | Ret::DmaMappingError | Ret::Null => Severity::Error,
            Ret::NotAvailable => Severity::NotAvailable,
            Ret::Bug => Severity::Bug,
        }
    }
}

/// The kind of a line printed during a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WarnKind {
    /// `WARN`: a kernel `WARN_ON`/`dev_WARN` fired.
    Warn,
    /// `notice`: a `dev_warn`/`pr_warn` line.
    Notice,
    /// `model`: a hazard the kernel does not check, flagged by the model.
    Model,
    /// `BUG`: a `BUG_ON` fired; the run ends.
    Bug,
}

impl WarnKind {
    /// The word the trace prints (`WARN`, `notice`, `model`, `BUG`).
    pub fn as_str(self) -> &'static str {
        match self {
            WarnKind::Warn => "WARN",
            WarnKind::Notice => "notice",
            WarnKind::Model => "model",
            WarnKind::Bug => "BUG",
        }
    }

    /// How bad the line is.
    pub fn severity(self) -> Severity {
        match self {
            WarnKind::Warn => Severity::Warning,
            WarnKind::Notice | WarnKind::Model => Severity::Info,
            WarnKind::Bug => Severity::Bug,
        }
    }
}

impl fmt::Display for WarnKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for WarnKind {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A `WARN`/`BUG`/notice printed during a call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Warn {
    pub kind: WarnKind,
    /// Where it comes from (`iommu_detach_device`).
    pub site: String,
    pub message: String,
}

impl fmt::Display for Warn {
    /// `WARN iommu_detach_device: message`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.kind, self.site, self.message)
    }
}

/// What a nested kernel call returned, as the trace prints it after ` = `.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NestedResult {
    /// A void function, or one still open when the call ended: nothing printed.
    Void,
    /// A return value: `0`, `-EBUSY`, `0x1000`, `DMA_MAPPING_ERROR`.
    Ret(Ret),
    /// A return value and what it did: `0 (mapped 0x200000)`, `0xfffff000 (rcache miss)`.
    Noted(Ret, String),
    /// What the call did, in words: `4K x 1`, `2 range invalidation(s)`.
    Said(String),
}

impl NestedResult {
    /// Nothing to print (a void function).
    pub fn is_void(&self) -> bool {
        matches!(self, NestedResult::Void)
    }

    /// How bad the result is (words are [`Severity::Ok`]).
    pub fn severity(&self) -> Severity {
        match self {
            NestedResult::Ret(r) | NestedResult::Noted(r, _) => r.severity(),
            NestedResult::Void | NestedResult::Said(_) => Severity::Ok,
        }
    }
}

impl From<Ret> for NestedResult {
    fn from(r: Ret) -> NestedResult {
        NestedResult::Ret(r)
    }
}

impl From<Errno> for NestedResult {
    fn from(e: Errno) -> NestedResult {
        NestedResult::Ret(Ret::Err(e))
    }
}

impl From<Result<(), Errno>> for NestedResult {
    fn from(r: Result<(), Errno>) -> NestedResult {
        NestedResult::Ret(Ret::from_result(r))
    }
}

impl fmt::Display for NestedResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NestedResult::Void => Ok(()),
            NestedResult::Ret(r) => write!(f, "{r}"),
            NestedResult::Noted(r, note) => write!(f, "{r} ({note})"),
            NestedResult::Said(s) => f.write_str(s),
        }
    }
}

impl Serialize for NestedResult {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A kernel function called on the way (really_probe → dma_configure → ...).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Nested {
    pub name: String,
    pub args: Vec<String>,
    /// `0`, `-EBUSY`, ... (nothing for void functions).
    pub result: NestedResult,
    pub children: Vec<Nested>,
}

impl Nested {
    /// The entry that stands for `n` nested calls not recorded past
    /// [`crate::limits::MAX_NESTED_PER_EVENT`]: named "… 31,000 more", no arguments.
    pub fn summary(n: usize) -> Nested {
        Nested {
            name: format!("… {} more", thousands(n as u64)),
            args: Vec::new(),
            result: NestedResult::Void,
            children: Vec::new(),
        }
    }

    /// Whether this is a [`Nested::summary`] entry (printed without parentheses).
    pub fn is_summary(&self) -> bool {
        self.name.starts_with('…')
    }

    /// The call as the trace prints it: `name(arg, arg)`, or a summary's name alone.
    pub fn call_text(&self) -> String {
        if self.is_summary() {
            self.name.clone()
        } else {
            format!("{}({})", self.name, self.args.join(", "))
        }
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
    pub snapshot: Option<crate::snapshot::Snapshot>,
    /// A `workload` statement's sampled summary (its million calls are not traced one by one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workload: Option<Box<crate::workload::WorkloadSummary>>,
    /// The IOVA the call names and the domain that translates it (`iommu_map()`'s
    /// argument, `dma_map_page()`'s result, ...): where the UI's page-table walk starts.
    /// Not serialised (the CLI's JSON is unchanged).
    #[serde(skip)]
    pub iova_at: Option<IovaAt>,
}

/// An IOVA in a domain ([`Event::iova_at`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IovaAt {
    pub domain: DomainId,
    pub iova: u64,
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
                result: NestedResult::Ret(Ret::Err(e)),
                children: Vec::new(),
            }],
            deltas: Vec::new(),
            breaches: Vec::new(),
            snapshot: None,
            workload: None,
            iova_at: None,
        }
    }

    /// The failed probe was `arm_smmu_probe_device()` refusing the master in
    /// `arm_smmu_insert_master()` (drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c, see
    /// [`crate::group::arm_smmu_v3`] for each version): the nested calls say so, with the
    /// stream ID, and the driver's `dev_warn()` line becomes a notice.
    pub fn smmu_v3_insert_failed(
        &mut self,
        f: &crate::group::arm_smmu_v3::InsertFailure,
        name: impl Fn(crate::ids::DeviceId) -> String,
    ) {
        let Some(dev) = self.args.first().cloned() else {
            return;
        };
        let ret = NestedResult::Noted(Ret::Err(f.errno), format!("stream ID {:#x}", f.sid));
        self.nested = vec![Nested {
            name: "arm_smmu_probe_device".into(),
            args: vec![dev.clone()],
            result: NestedResult::Ret(Ret::Err(f.errno)),
            children: vec![Nested {
                name: "arm_smmu_insert_master".into(),
                args: vec![dev],
                result: ret,
                children: Vec::new(),
            }],
        }];
        if let Some(message) = f.notice(name) {
            self.warns.push(Warn {
                kind: WarnKind::Notice,
                site: "arm_smmu_insert_master".into(),
                message,
            });
        }
    }

    /// Whether a `BUG_ON` fired in this call.
    pub fn is_bug(&self) -> bool {
        self.result == Ret::Bug
    }
}
