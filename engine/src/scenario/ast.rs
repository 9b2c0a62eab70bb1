//! The scenario AST: an engine-independent description of one `.iommu` file, statement by
//! statement, comments included (the printer needs them: share links and presets keep the
//! student-facing explanations). Every node carries a [`Span`].

use super::calls::{CallName, Signature};
use crate::topology::cmdline;
use crate::{Config, Era, Errno};

pub use crate::call::DmaOwnerType;
pub use crate::pgtable::Prot;
pub use crate::topology::{AcsFlags, Bdf, IommuKind, PciId, PciType};
use serde::Serialize;
use std::fmt;

/// Where a node sits in the source: 1-based line and column (in characters) of its first
/// character, and its byte range in the whole text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub struct Span {
    pub line: u32,
    pub col: u32,
    pub start: usize,
    pub end: usize,
}

impl Span {
    /// The smallest span covering both (`self` first in the source).
    pub fn to(self, other: Span) -> Span {
        Span {
            end: other.end.max(self.end),
            ..self
        }
    }
}

/// A node with its span.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Spanned<T> {
    pub node: T,
    pub span: Span,
}

impl<T> Spanned<T> {
    pub fn new(node: T, span: Span) -> Self {
        Spanned { node, span }
    }
}

/// A name (`smmu0`, `d1`, `vfio-pci`) with its span.
pub type Ident = Spanned<String>;

/// One scenario file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Scenario {
    /// Statements in file order. Runs of blank lines are one [`StmtKind::Blank`]; leading
    /// and trailing blank lines are dropped.
    pub stmts: Vec<Stmt>,
}

/// One line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Stmt {
    pub kind: StmtKind,
    /// A `# ...` comment after the statement, without the `#` (kept verbatim, trailing
    /// whitespace trimmed).
    pub comment: Option<String>,
    /// The statement without its trailing comment.
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum StmtKind {
    /// One or more blank lines.
    Blank,
    /// A line that is only a comment: the text after `#`, verbatim (trailing whitespace trimmed).
    Comment(String),
    /// `generation NAME`
    Era(Spanned<Era>),
    /// `config key=on|off ...`, in source order.
    Config(Vec<Spanned<ConfigSetting>>),
    Iommu(IommuDecl),
    Platform(PlatformDecl),
    Host(HostDecl),
    Pci(PciDecl),
    /// `alias A -> B`: the device `A` also issues DMA as requester ID `B`.
    Alias {
        dev: Spanned<WrittenBdf>,
        alias: Spanned<WrittenBdf>,
    },
    Call(CallStmt),
    Expect(ExpectStmt),
    /// **Extension (this repository):** `workload DEV count=N ...` (docs/SCENARIO.md).
    Workload(WorkloadStmt),
}

/// `workload DEV count=N sizes=4K,64K live=N cpus=N dir=DIR seed=N sample=N interval=1us`:
/// seeded `dma_map_page`/`dma_unmap_page` pairs ([`crate::workload`]). The AST records
/// what the file says; absent attributes take [`crate::workload::WorkloadSpec::new`]'s
/// defaults.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WorkloadStmt {
    pub dev: Spanned<DeviceRef>,
    pub count: Spanned<Number>,
    /// `sizes=`, in source order; empty when not given.
    pub sizes: Vec<Spanned<Number>>,
    pub live: Option<Spanned<Number>>,
    pub cpus: Option<Spanned<Number>>,
    pub dir: Option<Spanned<DmaDirection>>,
    pub seed: Option<Spanned<Number>>,
    pub sample: Option<Spanned<Number>>,
    pub interval: Option<Spanned<Duration>>,
}

/// A counter `expect counter(DEV, NAME)` reads from the device's DMA domain: its page
/// table, IOTLB, dma-iommu cookie and IOVA allocator, counted since the domain was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Counter {
    Maps,
    Unmaps,
    MapErrors,
    RcacheHits,
    RcacheMisses,
    TreeAllocs,
    IotlbInvRange,
    IotlbInvFull,
    FqFullFlushes,
    FqTimerFlushes,
    FqPending,
    LiveIovas,
    TablesLive,
}

impl Counter {
    pub const ALL: [Counter; 13] = [
        Counter::Maps,
        Counter::Unmaps,
        Counter::MapErrors,
        Counter::RcacheHits,
        Counter::RcacheMisses,
        Counter::TreeAllocs,
        Counter::IotlbInvRange,
        Counter::IotlbInvFull,
        Counter::FqFullFlushes,
        Counter::FqTimerFlushes,
        Counter::FqPending,
        Counter::LiveIovas,
        Counter::TablesLive,
    ];

    pub const fn name(self) -> &'static str {
        match self {
            Counter::Maps => "maps",
            Counter::Unmaps => "unmaps",
            Counter::MapErrors => "map_errors",
            Counter::RcacheHits => "rcache_hits",
            Counter::RcacheMisses => "rcache_misses",
            Counter::TreeAllocs => "tree_allocs",
            Counter::IotlbInvRange => "iotlb_inv_range",
            Counter::IotlbInvFull => "iotlb_inv_full",
            Counter::FqFullFlushes => "fq_full_flushes",
            Counter::FqTimerFlushes => "fq_timer_flushes",
            Counter::FqPending => "fq_pending",
            Counter::LiveIovas => "live_iovas",
            Counter::TablesLive => "tables_live",
        }
    }

    pub fn parse(s: &str) -> Option<Counter> {
        Counter::ALL.into_iter().find(|c| c.name() == s)
    }
}

/// One `key=value` of a `config` line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ConfigSetting {
    pub key: ConfigKey,
    /// The switch: `on`/`off`, `1`/`0`, `pt`/`nopt`; for the kernel-parameter keys with a
    /// value list, whether one is given (`off` gives none).
    pub on: bool,
    /// The value as typed ([`ConfigValue`]).
    pub value: ConfigValue,
}

/// A `config` value beyond the switch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum ConfigValue {
    /// `on`/`off` (`strict`, `passthrough`, `acs-fix`, `split-unmap`; `off` for the list keys).
    OnOff,
    /// `1`/`0` (`iommu.passthrough`, `iommu.strict`).
    Digit,
    /// `pt`/`nopt` (`iommu`).
    Pt,
    /// `pcie_acs_override=downstream,multifunction,id:vvvv:dddd`.
    AcsOverride(#[serde(serialize_with = "display")] cmdline::AcsOverride),
    /// `pci=disable_acs_redir=DEV[;DEV]*`.
    DisableAcsRedir(#[serde(serialize_with = "display_list")] Vec<cmdline::PciDevSpec>),
    /// `pci=config_acs=FLAGS@DEV[;FLAGS@DEV]*`.
    ConfigAcs(#[serde(serialize_with = "display_list")] Vec<cmdline::ConfigAcsEntry>),
}

fn display<T: std::fmt::Display, S: serde::Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

fn display_list<T: std::fmt::Display, S: serde::Serializer>(
    v: &[T],
    s: S,
) -> Result<S::Ok, S::Error> {
    s.collect_str(&cmdline::DeviceList(v))
}

impl ConfigValue {
    /// The value text after `key=` (the printer's and `iommu-play fmt`'s).
    pub fn text(&self, on: bool) -> String {
        match self {
            ConfigValue::OnOff => (if on { "on" } else { "off" }).to_string(),
            ConfigValue::Digit => (if on { "1" } else { "0" }).to_string(),
            ConfigValue::Pt => (if on { "pt" } else { "nopt" }).to_string(),
            ConfigValue::AcsOverride(o) => o.to_string(),
            ConfigValue::DisableAcsRedir(l) => cmdline::DeviceList(l).to_string(),
            ConfigValue::ConfigAcs(l) => cmdline::DeviceList(l).to_string(),
        }
    }
}

/// The `config` keys. The first four are the shared language's; the others are kernel
/// command-line names (docs/SCENARIO.md "Extension (this repository)"), so `/proc/cmdline`
/// maps onto them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum ConfigKey {
    Strict,
    Passthrough,
    AcsFix,
    SplitUnmap,
    /// `pcie_acs_override=` (out-of-tree ACS override patch).
    PcieAcsOverride,
    /// `pci=disable_acs_redir=`.
    PciDisableAcsRedir,
    /// `pci=config_acs=`.
    PciConfigAcs,
    /// `iommu=pt|nopt` (x86): the `passthrough` switch.
    Iommu,
    /// `iommu.passthrough=1|0`: the `passthrough` switch.
    IommuPassthrough,
    /// `iommu.strict=1|0`: the `strict` switch.
    IommuStrict,
}

impl ConfigKey {
    pub const ALL: [ConfigKey; 10] = [
        ConfigKey::Strict,
        ConfigKey::Passthrough,
        ConfigKey::AcsFix,
        ConfigKey::SplitUnmap,
        ConfigKey::PcieAcsOverride,
        ConfigKey::PciDisableAcsRedir,
        ConfigKey::PciConfigAcs,
        ConfigKey::Iommu,
        ConfigKey::IommuPassthrough,
        ConfigKey::IommuStrict,
    ];

    /// The key as written before its value's `=` (`pci=config_acs` for the `pci=` options).
    pub const fn name(self) -> &'static str {
        match self {
            ConfigKey::Strict => "strict",
            ConfigKey::Passthrough => "passthrough",
            ConfigKey::AcsFix => "acs-fix",
            ConfigKey::SplitUnmap => "split-unmap",
            ConfigKey::PcieAcsOverride => "pcie_acs_override",
            ConfigKey::PciDisableAcsRedir => "pci=disable_acs_redir",
            ConfigKey::PciConfigAcs => "pci=config_acs",
            ConfigKey::Iommu => "iommu",
            ConfigKey::IommuPassthrough => "iommu.passthrough",
            ConfigKey::IommuStrict => "iommu.strict",
        }
    }

    pub fn parse(s: &str) -> Option<ConfigKey> {
        ConfigKey::ALL.into_iter().find(|k| k.name() == s)
    }
}

/// `iommu NAME kind= granule= ias= oas= smrs=`. Absent attributes take the defaults of
/// [`crate::topology::IommuSpec::new`]; the AST records only what the file says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IommuDecl {
    pub name: Ident,
    pub kind: Option<Spanned<IommuKind>>,
    pub granule: Option<Spanned<Number>>,
    pub ias: Option<Spanned<Number>>,
    pub oas: Option<Spanned<Number>>,
    pub smrs: Option<Spanned<Number>>,
}

/// `platform NAME iommu=IOMMU sid=N[,N...] mask=N`
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PlatformDecl {
    pub name: Ident,
    pub iommu: Option<Ident>,
    /// Stream IDs (`sid=0x10,0x11`), in source order; empty when not given.
    pub sids: Vec<Spanned<Number>>,
    pub mask: Option<Spanned<Number>>,
}

/// `host NAME iommu=IOMMU segment=N bus=N`: a PCI host bridge and its root bus.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HostDecl {
    pub name: Ident,
    pub iommu: Option<Ident>,
    pub segment: Option<Spanned<Number>>,
    pub bus: Option<Spanned<Number>>,
}

/// `pci BDF TYPE parent=BDF host=NAME acs=.. acs-cap=.. acs-ctl=.. id=V:D subsys=V:D untrusted multifunction
/// sriov=N vf-offset=N vf-stride=N`
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PciDecl {
    pub bdf: Spanned<WrittenBdf>,
    pub ty: Spanned<PciType>,
    pub parent: Option<Spanned<WrittenBdf>>,
    pub host: Option<Ident>,
    /// `acs=`: capability and control both.
    pub acs: Option<Spanned<AcsFlags>>,
    pub acs_cap: Option<Spanned<AcsFlags>>,
    pub acs_ctl: Option<Spanned<AcsFlags>>,
    pub id: Option<Spanned<PciId>>,
    pub subsys: Option<Spanned<PciId>>,
    /// The `untrusted` flag (an external-facing port's device: strict DMA domains).
    pub untrusted: Option<Span>,
    /// The `multifunction` flag: the header type's multifunction bit (`hdr_type & 0x80`)
    /// set on a function that has no declared sibling.
    pub multifunction: Option<Span>,
    /// `sriov=N`: the PF's SR-IOV capability with N VFs enabled.
    pub sriov: Option<Spanned<Number>>,
    /// `vf-offset=N`: First VF Offset (default 1).
    pub vf_offset: Option<Spanned<Number>>,
    /// `vf-stride=N`: VF Stride (default 1).
    pub vf_stride: Option<Spanned<Number>>,
}

impl PciDecl {
    /// A function with only its address and type: every attribute left out, as the parser
    /// starts a `pci` line and the import starts a rebuilt function.
    pub fn new(bdf: Spanned<WrittenBdf>, ty: Spanned<PciType>) -> PciDecl {
        PciDecl {
            bdf,
            ty,
            parent: None,
            host: None,
            acs: None,
            acs_cap: None,
            acs_ctl: None,
            id: None,
            subsys: None,
            untrusted: None,
            multifunction: None,
            sriov: None,
            vf_offset: None,
            vf_stride: None,
        }
    }
}

/// A PCI address as written: the address, and whether the file spelled its segment
/// (`0000:01:00.0` prints back with it, `01:00.0` without).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct WrittenBdf {
    pub bdf: Bdf,
    pub with_segment: bool,
}

impl WrittenBdf {
    /// The segment, if the file wrote one.
    pub fn segment(&self) -> Option<u16> {
        self.with_segment.then_some(self.bdf.segment)
    }
}

impl fmt::Display for WrittenBdf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.with_segment {
            f.write_str(&self.bdf.sysfs_name())
        } else {
            self.bdf.fmt(f)
        }
    }
}

/// A number as written: its value and how to print it back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Number {
    pub value: u64,
    pub style: NumStyle,
}

impl Number {
    pub fn dec(value: u64) -> Self {
        Number {
            value,
            style: NumStyle::Dec,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum NumStyle {
    Dec,
    Hex,
    /// `2M`: the value is a whole number of the unit.
    Size(SizeUnit),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum SizeUnit {
    K,
    M,
    G,
    T,
}

impl SizeUnit {
    pub const fn shift(self) -> u32 {
        match self {
            SizeUnit::K => 10,
            SizeUnit::M => 20,
            SizeUnit::G => 30,
            SizeUnit::T => 40,
        }
    }

    pub const fn letter(self) -> char {
        match self {
            SizeUnit::K => 'K',
            SizeUnit::M => 'M',
            SizeUnit::G => 'G',
            SizeUnit::T => 'T',
        }
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.style {
            NumStyle::Dec => write!(f, "{}", self.value),
            NumStyle::Size(u) => write!(f, "{}{}", self.value >> u.shift(), u.letter()),
            NumStyle::Hex => {
                // Grouped by four digits from the right: 0x8000_0000, 0x10_0000, 0x10.
                let digits = format!("{:x}", self.value);
                let mut out = String::from("0x");
                let n = digits.len();
                for (i, c) in digits.chars().enumerate() {
                    if i > 0 && (n - i) % 4 == 0 {
                        out.push('_');
                    }
                    out.push(c);
                }
                f.write_str(&out)
            }
        }
    }
}

/// `tick 10ms`: an amount of a time unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Duration {
    pub amount: u64,
    pub unit: TimeUnit,
}

impl Duration {
    /// The duration in nanoseconds (`None` past `u64::MAX`, which the parser rejects).
    pub fn as_nanos(self) -> Option<u64> {
        self.amount.checked_mul(self.unit.nanos())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum TimeUnit {
    Ns,
    Us,
    Ms,
    S,
}

impl TimeUnit {
    pub const ALL: [TimeUnit; 4] = [TimeUnit::Ns, TimeUnit::Us, TimeUnit::Ms, TimeUnit::S];

    pub const fn name(self) -> &'static str {
        match self {
            TimeUnit::Ns => "ns",
            TimeUnit::Us => "us",
            TimeUnit::Ms => "ms",
            TimeUnit::S => "s",
        }
    }

    pub const fn nanos(self) -> u64 {
        match self {
            TimeUnit::Ns => 1,
            TimeUnit::Us => 1_000,
            TimeUnit::Ms => 1_000_000,
            TimeUnit::S => 1_000_000_000,
        }
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.amount, self.unit.name())
    }
}

/// A reference to a declared device: a platform device's name or a PCI address.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum DeviceRef {
    Name(String),
    Bdf(WrittenBdf),
}

impl fmt::Display for DeviceRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeviceRef::Name(n) => f.write_str(n),
            DeviceRef::Bdf(b) => b.fmt(f),
        }
    }
}

pub use crate::dma::DmaDirection;

/// `device_dma(DEV, IOVA, read|write)`
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Access {
    Read,
    Write,
}

impl Access {
    pub const fn name(self) -> &'static str {
        match self {
            Access::Read => "read",
            Access::Write => "write",
        }
    }
}

/// One call line: `[HANDLE =] call(args...) [=> expectation]`, or the command forms
/// `bind DEV DRIVER [managed]`, `unbind DEV`, `remove DEV`, `tick 10ms`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CallStmt {
    /// `d1 = ...`: the name that keeps the returned domain (or, for `dma_map_page`, IOVA).
    pub handle: Option<Ident>,
    pub call: Spanned<CallName>,
    /// Checked against [`CallName::signature`]: count and kinds match its parameters.
    pub args: Vec<Spanned<Arg>>,
    pub expect: Option<Expectation>,
}

impl CallStmt {
    pub fn signature(&self) -> &'static Signature {
        self.call.node.signature()
    }

    /// The `i`-th argument (0-based), if given.
    pub fn arg(&self, i: usize) -> Option<&Arg> {
        self.args.get(i).map(|a| &a.node)
    }
}

/// One argument, already checked against the call's parameter kind.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Arg {
    /// A domain handle, IOMMU, owner cookie or driver name; for an IOVA parameter, a handle
    /// kept from `dma_map_page`.
    Name(String),
    Device(DeviceRef),
    /// `group(DEV)`
    Group(DeviceRef),
    Number(Number),
    Duration(Duration),
    Prot(Prot),
    Direction(DmaDirection),
    Access(Access),
    DmaOwner(DmaOwnerType),
    /// `managed` after `bind DEV DRIVER`.
    Managed,
}

impl Arg {
    /// A domain handle, IOMMU, cookie, driver or IOVA-handle name.
    pub fn as_name(&self) -> Option<&str> {
        match self {
            Arg::Name(n) => Some(n),
            _ => None,
        }
    }

    /// The device of [`Arg::Device`] or of `group(DEV)`.
    pub fn as_device(&self) -> Option<&DeviceRef> {
        match self {
            Arg::Device(d) | Arg::Group(d) => Some(d),
            _ => None,
        }
    }

    pub fn as_number(&self) -> Option<u64> {
        match self {
            Arg::Number(n) => Some(n.value),
            _ => None,
        }
    }
}

impl fmt::Display for Arg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Arg::Name(n) => f.write_str(n),
            Arg::Device(d) => d.fmt(f),
            Arg::Group(d) => write!(f, "group({d})"),
            Arg::Number(n) => n.fmt(f),
            Arg::Duration(d) => d.fmt(f),
            Arg::Prot(p) => f.write_str(&p.keywords()),
            Arg::Direction(d) => f.write_str(d.name()),
            Arg::Access(a) => f.write_str(a.name()),
            Arg::DmaOwner(o) => f.write_str(o.name()),
            Arg::Managed => f.write_str("managed"),
        }
    }
}

/// `=> VALUE [@gen,...] [; VALUE @gen,... ...]`
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Expectation {
    pub alternatives: Vec<Alternative>,
    pub span: Span,
}

impl Expectation {
    /// The value expected in `gen`: the first alternative naming it, else the first one
    /// without `@`; `None` when `gen` is not checked.
    pub fn for_era(&self, gen: Era) -> Option<&Spanned<Value>> {
        self.alternatives
            .iter()
            .find(|a| a.eras.iter().any(|g| g.node == gen))
            .or_else(|| self.alternatives.iter().find(|a| a.eras.is_empty()))
            .map(|a| &a.value)
    }
}

/// One `VALUE @gen,...`; no generations means every generation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Alternative {
    pub value: Spanned<Value>,
    pub eras: Vec<Spanned<Era>>,
    /// From the value to the last generation.
    pub span: Span,
}

/// An expected call result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Value {
    /// `0`, a size, an IOVA, a physical address.
    Number(Number),
    Errno(Errno),
    /// `n/a`: the call does not exist in that generation.
    NotAvailable,
    /// `BUG`: a `BUG_ON` was reached.
    Bug,
    /// `DMA_MAPPING_ERROR` from `dma_map_page`.
    DmaMappingError,
    /// `NULL` from a failed `iommu_domain_alloc`.
    Null,
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Number(n) => n.fmt(f),
            Value::Errno(e) => e.fmt(f),
            Value::NotAvailable => f.write_str("n/a"),
            Value::Bug => f.write_str("BUG"),
            Value::DmaMappingError => f.write_str("DMA_MAPPING_ERROR"),
            Value::Null => f.write_str("NULL"),
        }
    }
}

/// `expect CHECK [@gen,...]`
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ExpectStmt {
    pub check: Check,
    /// Empty: checked in every generation.
    pub eras: Vec<Spanned<Era>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum CmpOp {
    Eq,
    Ne,
}

impl CmpOp {
    pub const fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Check {
    /// `groups = {A B} {C}`: the whole partition, order-free.
    Groups(Vec<Spanned<Vec<Spanned<DeviceRef>>>>),
    /// `group(A) == group(B)` (or `!=`)
    SameGroup {
        a: Spanned<DeviceRef>,
        op: CmpOp,
        b: Spanned<DeviceRef>,
    },
    /// `domain(group(X)) == d1|default|blocking|identity|none`
    Domain {
        dev: Spanned<DeviceRef>,
        op: CmpOp,
        is: Spanned<DomainIs>,
    },
    /// `owner(group(X)) == COOKIE|dma-api|none`
    Owner {
        dev: Spanned<DeviceRef>,
        op: CmpOp,
        is: Spanned<OwnerIs>,
    },
    /// `owner_cnt(group(X)) == N`
    OwnerCnt {
        dev: Spanned<DeviceRef>,
        op: CmpOp,
        count: Spanned<Number>,
    },
    /// `iova_to_phys(DOMAIN, IOVA) == PA`; `iova` is [`Arg::Number`] or [`Arg::Name`].
    IovaToPhys {
        domain: Ident,
        iova: Spanned<Arg>,
        op: CmpOp,
        phys: Spanned<Number>,
    },
    /// **Extension (this repository):** `counter(DEV, NAME) == N`: a counter of the
    /// device's DMA domain ([`Counter`]).
    Counter {
        dev: Spanned<DeviceRef>,
        counter: Spanned<Counter>,
        op: CmpOp,
        value: Spanned<Number>,
    },
    /// `invariants ok`
    InvariantsOk,
    /// `breach I2`: invariant I2 of MODEL.md §4 is broken; `breach UAF`: a freed domain
    /// still translates a device's DMA.
    Breach(Spanned<Invariant>),
}

/// An invariant an `expect breach` names: `I1`, `I2`, ... (MODEL.md §4), or `UAF`
/// (docs/SCENARIO.md "Extension (this repository)").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Invariant {
    /// `I<n>`, n from 1.
    I(u8),
    /// `UAF`: a freed domain still translating DMA (`engine/src/invariants.rs`).
    Uaf,
}

impl Invariant {
    /// The word as written, and as [`crate::Breach::invariant`] names it.
    pub fn parse(word: &str) -> Option<Invariant> {
        if word == "UAF" {
            return Some(Invariant::Uaf);
        }
        word.strip_prefix('I')
            .filter(|d| !d.is_empty() && d.len() <= 2 && d.chars().all(|c| c.is_ascii_digit()))
            .and_then(|d| d.parse::<u8>().ok())
            .filter(|&n| n > 0)
            .map(Invariant::I)
    }
}

impl fmt::Display for Invariant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Invariant::I(n) => write!(f, "I{n}"),
            Invariant::Uaf => f.write_str("UAF"),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum DomainIs {
    Handle(String),
    Default,
    Blocking,
    Identity,
    None,
}

impl fmt::Display for DomainIs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DomainIs::Handle(h) => h,
            DomainIs::Default => "default",
            DomainIs::Blocking => "blocking",
            DomainIs::Identity => "identity",
            DomainIs::None => "none",
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum OwnerIs {
    Cookie(String),
    DmaApi,
    None,
}

impl fmt::Display for OwnerIs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OwnerIs::Cookie(c) => c,
            OwnerIs::DmaApi => "dma-api",
            OwnerIs::None => "none",
        })
    }
}

impl Scenario {
    /// The header's generation (default `current`).
    pub fn era(&self) -> Era {
        self.stmts
            .iter()
            .find_map(|s| match &s.kind {
                StmtKind::Era(g) => Some(g.node),
                _ => None,
            })
            .unwrap_or_default()
    }

    /// Sets the header's generation (the UI's era switch): rewrites the `generation` line,
    /// or adds one after the leading comment block. The new line has an empty span.
    pub fn set_era(&mut self, gen: Era) {
        for s in &mut self.stmts {
            if let StmtKind::Era(g) = &mut s.kind {
                g.node = gen;
                return;
            }
        }
        let mut at = self
            .stmts
            .iter()
            .take_while(|s| matches!(s.kind, StmtKind::Comment(_)))
            .count();
        if at > 0 && matches!(self.stmts.get(at).map(|s| &s.kind), Some(StmtKind::Blank)) {
            at += 1;
        }
        let stmt = Stmt {
            kind: StmtKind::Era(Spanned::new(gen, Span::default())),
            comment: None,
            span: Span::default(),
        };
        self.stmts.insert(at, stmt);
    }

    /// Appends `settings` as a last `config` line, so they win over the file's own
    /// (`iommu-play --config`, the what-if views). The line has no place in the source.
    pub fn push_config(&mut self, settings: Vec<Spanned<ConfigSetting>>) {
        self.stmts.push(Stmt {
            kind: StmtKind::Config(settings),
            comment: None,
            span: Span::default(),
        });
    }

    /// Every `config` setting in order.
    pub fn config_settings(&self) -> impl Iterator<Item = &ConfigSetting> {
        self.stmts
            .iter()
            .filter_map(|s| match &s.kind {
                StmtKind::Config(settings) => Some(settings),
                _ => None,
            })
            .flatten()
            .map(|s| &s.node)
    }

    /// The header's config: defaults overridden by every `config` line in order (the
    /// kernel-parameter aliases `iommu=pt`, `iommu.passthrough=`, `iommu.strict=` included).
    pub fn config(&self) -> Config {
        let mut c = Config::default();
        for set in self.config_settings() {
            let v = set.on;
            match set.key {
                ConfigKey::Strict | ConfigKey::IommuStrict => c.strict = v,
                ConfigKey::Passthrough | ConfigKey::Iommu | ConfigKey::IommuPassthrough => {
                    c.passthrough = v
                }
                ConfigKey::AcsFix => c.acs_fix = v,
                ConfigKey::SplitUnmap => c.split_unmap = v,
                ConfigKey::PcieAcsOverride
                | ConfigKey::PciDisableAcsRedir
                | ConfigKey::PciConfigAcs => {}
            }
        }
        c
    }

    /// The ACS command-line parameters the `config` lines give (later settings of a key
    /// win; `off` clears one).
    pub fn acs_params(&self) -> cmdline::AcsParams {
        let mut p = cmdline::AcsParams::default();
        for set in self.config_settings() {
            match (set.key, &set.value) {
                (ConfigKey::PcieAcsOverride, ConfigValue::AcsOverride(o)) => {
                    p.acs_override = o.clone()
                }
                (ConfigKey::PcieAcsOverride, _) => p.acs_override = Default::default(),
                (ConfigKey::PciDisableAcsRedir, ConfigValue::DisableAcsRedir(l)) => {
                    p.disable_acs_redir = l.clone()
                }
                (ConfigKey::PciDisableAcsRedir, _) => p.disable_acs_redir.clear(),
                (ConfigKey::PciConfigAcs, ConfigValue::ConfigAcs(l)) => p.config_acs = l.clone(),
                (ConfigKey::PciConfigAcs, _) => p.config_acs.clear(),
                _ => {}
            }
        }
        p
    }

    /// The comment block the file starts with, `#` and one following space stripped from
    /// each line, lines joined by `\n` (the UI's preset description).
    pub fn leading_comment(&self) -> String {
        let lines: Vec<&str> = self
            .stmts
            .iter()
            .map_while(|s| match &s.kind {
                StmtKind::Comment(t) => Some(t.strip_prefix(' ').unwrap_or(t)),
                _ => None,
            })
            .collect();
        lines.join("\n")
    }

    /// The call statements, in order.
    pub fn calls(&self) -> impl Iterator<Item = &CallStmt> {
        self.stmts.iter().filter_map(|s| match &s.kind {
            StmtKind::Call(c) => Some(c),
            _ => None,
        })
    }
}
