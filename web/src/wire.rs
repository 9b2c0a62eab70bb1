//! The binary form a [`Run`] takes between the page and the run worker ([`crate::worker`]):
//! every field of every type in the run, in declaration order, little-endian, lengths
//! before contents, a variant's index before its fields.
//!
//! Not serde: the engine's `Serialize` is its public JSON (`iommu-play run --json`), which
//! prints some values as words (`Ret`, `NestedResult`, `AcsView`) and leaves the walk's
//! descriptor copy out, so it cannot be read back into the same `Run`; and serde's derived
//! `Deserialize` for the ≈ 40 types of a run would cost the page's bundle several times
//! what these few hundred lines do. Each type below lists its fields by name: decoding
//! builds the value with a struct expression and encoding matches every variant, so a
//! field or variant added in the engine is a compile error here until it is listed.
//! `tests::every_corpus_run_round_trips` checks `decode(encode(run)) == run` on the corpus.

use iommu_engine::core::{BoundDriver, Group as CoreGroup};
use iommu_engine::domain::{DomainRole, DomainType, Geometry};
use iommu_engine::group::{reason::GroupReason, Group, Member};
use iommu_engine::iova::view::{CpuMagazines, FqView, IovaSpan, RcacheView};
use iommu_engine::iova::{Iova, IovaView};
use iommu_engine::mapping::MapCounters;
use iommu_engine::pgtable::arm_lpae::walk::WalkGeometry;
use iommu_engine::pgtable::arm_lpae::WalkTables;
use iommu_engine::scenario::view::{HostView, IommuView, TopoDevice};
use iommu_engine::scenario::{
    AcsView, CheckOutcome, Compare, CompareCell, CompareRow, Phase, Run, Span, Step, TopologyView,
};
use iommu_engine::snapshot::{DeviceView, DomainView, MappedRange, Snapshot, TableView};
use iommu_engine::topology::{AcsDenial, AcsFlags, AliasKind, PciType, Rid};
use iommu_engine::trace::{
    Breach, Delta, Event, IovaAt, Nested, NestedResult, Ret, Warn, WarnKind,
};
use iommu_engine::workload::{WorkloadSample, WorkloadSpec, WorkloadSummary};
use iommu_engine::{dma::DmaDirection, Config, Cookie, DmaOwnerType, Era, Errno};
use iommu_engine::{DeviceId, DomainId, GroupId, IommuId};

/// A value that can be written to and read back from the wire. (Every `put` and `get`
/// below is `#[inline(never)]`: a field is then one call, not the read's bounds checks
/// copied into every type, which keeps the page's bundle small.)
pub trait Wire: Sized {
    fn put(&self, w: &mut Vec<u8>);
    /// The value at the reader. Never fails: bytes that end early or hold a value no `put`
    /// writes mark the reader bad (zeros and empty values stand in), and [`decode`] drops
    /// the result. One check at the end keeps each type's code a plain sequence of reads.
    fn get(r: &mut Reader<'_>) -> Self;
}

/// The bytes being read.
pub struct Reader<'a> {
    rest: &'a [u8],
    bad: bool,
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Reader {
            rest: bytes,
            bad: false,
        }
    }

    /// Marks the message bad (a value no `put` writes).
    pub fn fail(&mut self) {
        self.bad = true;
    }

    #[inline(never)]
    fn take(&mut self, n: usize) -> &'a [u8] {
        match self.rest.split_at_checked(n) {
            Some((head, rest)) => {
                self.rest = rest;
                head
            }
            None => {
                self.bad = true;
                self.rest = &[];
                &[]
            }
        }
    }

    fn array<const N: usize>(&mut self) -> [u8; N] {
        self.take(N).try_into().unwrap_or([0; N])
    }

    /// A length read from the wire, no larger than the bytes left (each item takes at
    /// least one byte), so a bad length cannot reserve memory the message does not hold.
    #[inline(never)]
    fn len(&mut self) -> usize {
        let n = u32::get(self) as usize;
        if n > self.rest.len() {
            self.bad = true;
            self.rest = &[];
            return 0;
        }
        n
    }
}

/// `value` encoded.
pub fn encode<T: Wire>(value: &T) -> Vec<u8> {
    let mut w = Vec::new();
    value.put(&mut w);
    w
}

/// The value `bytes` hold (`None`: not a whole value of `T`).
pub fn decode<T: Wire>(bytes: &[u8]) -> Option<T> {
    let mut r = Reader::new(bytes);
    let v = T::get(&mut r);
    (!r.bad && r.rest.is_empty()).then_some(v)
}

macro_rules! wire_int {
    ($($t:ty),*) => {$(
        impl Wire for $t {
            #[inline(never)]
            fn put(&self, w: &mut Vec<u8>) {
                w.extend_from_slice(&self.to_le_bytes());
            }
            #[inline(never)]
            fn get(r: &mut Reader<'_>) -> Self {
                <$t>::from_le_bytes(r.array())
            }
        }
    )*};
}
wire_int!(u8, u16, u32, u64);

impl Wire for usize {
    #[inline(never)]
    fn put(&self, w: &mut Vec<u8>) {
        (*self as u64).put(w);
    }
    #[inline(never)]
    fn get(r: &mut Reader<'_>) -> Self {
        u64::get(r) as usize
    }
}

impl Wire for bool {
    #[inline(never)]
    fn put(&self, w: &mut Vec<u8>) {
        w.push(u8::from(*self));
    }
    #[inline(never)]
    fn get(r: &mut Reader<'_>) -> Self {
        match u8::get(r) {
            0 => false,
            1 => true,
            _ => {
                r.fail();
                false
            }
        }
    }
}

fn put_len(n: usize, w: &mut Vec<u8>) {
    u32::try_from(n).unwrap_or(u32::MAX).put(w);
}

/// A string as its length and its UTF-8 bytes (`String` and `&'static str` alike).
fn put_str(s: &str, w: &mut Vec<u8>) {
    put_len(s.len(), w);
    w.extend_from_slice(s.as_bytes());
}

impl Wire for String {
    #[inline(never)]
    fn put(&self, w: &mut Vec<u8>) {
        put_str(self, w);
    }
    #[inline(never)]
    fn get(r: &mut Reader<'_>) -> Self {
        let n = r.len();
        match std::str::from_utf8(r.take(n)) {
            Ok(s) => s.to_string(),
            Err(_) => {
                r.fail();
                String::new()
            }
        }
    }
}

thread_local! {
    /// The `&'static str` fields read so far (invariant names, bus names, quirk names: a
    /// handful of words), each leaked once and then shared.
    static WORDS: std::cell::RefCell<Vec<&'static str>> = const { std::cell::RefCell::new(Vec::new()) };
}

impl Wire for &'static str {
    #[inline(never)]
    fn put(&self, w: &mut Vec<u8>) {
        put_str(self, w);
    }
    #[inline(never)]
    fn get(r: &mut Reader<'_>) -> Self {
        let s = String::get(r);
        WORDS.with(|words| {
            let mut words = words.borrow_mut();
            match words.iter().find(|w| **w == s) {
                Some(w) => *w,
                None => {
                    let w: &'static str = Box::leak(s.into_boxed_str());
                    words.push(w);
                    w
                }
            }
        })
    }
}

impl<T: Wire> Wire for Option<T> {
    #[inline(never)]
    fn put(&self, w: &mut Vec<u8>) {
        match self {
            None => w.push(0),
            Some(v) => {
                w.push(1);
                v.put(w);
            }
        }
    }
    #[inline(never)]
    fn get(r: &mut Reader<'_>) -> Self {
        match u8::get(r) {
            0 => None,
            1 => Some(T::get(r)),
            _ => {
                r.fail();
                None
            }
        }
    }
}

impl<T: Wire> Wire for Box<T> {
    #[inline(never)]
    fn put(&self, w: &mut Vec<u8>) {
        (**self).put(w);
    }
    #[inline(never)]
    fn get(r: &mut Reader<'_>) -> Self {
        Box::new(T::get(r))
    }
}

impl<T: Wire> Wire for Vec<T> {
    #[inline(never)]
    fn put(&self, w: &mut Vec<u8>) {
        put_len(self.len(), w);
        for v in self {
            v.put(w);
        }
    }
    #[inline(never)]
    fn get(r: &mut Reader<'_>) -> Self {
        let n = r.len();
        let mut v = Vec::with_capacity(n);
        for _ in 0..n {
            v.push(T::get(r));
        }
        v
    }
}

impl<A: Wire, B: Wire> Wire for (A, B) {
    #[inline(never)]
    fn put(&self, w: &mut Vec<u8>) {
        self.0.put(w);
        self.1.put(w);
    }
    #[inline(never)]
    fn get(r: &mut Reader<'_>) -> Self {
        (A::get(r), B::get(r))
    }
}

/// `Wire` for a struct with named fields: `wire_struct!(Type { a, b, c });`.
macro_rules! wire_struct {
    ($($t:ty { $($f:ident),* $(,)? })*) => {$(
        impl Wire for $t {
            #[inline(never)]
            fn put(&self, w: &mut Vec<u8>) {
                let Self { $($f),* } = self;
                $( $f.put(w); )*
            }
            #[inline(never)]
            fn get(r: &mut Reader<'_>) -> Self {
                Self { $($f: Wire::get(r)),* }
            }
        }
    )*};
}

/// `Wire` for a one-field tuple struct: `wire_newtype!(DeviceId, GroupId);`.
macro_rules! wire_newtype {
    ($($t:ident),*) => {$(
        impl Wire for $t {
            #[inline(never)]
            fn put(&self, w: &mut Vec<u8>) {
                self.0.put(w);
            }
            #[inline(never)]
            fn get(r: &mut Reader<'_>) -> Self {
                $t(Wire::get(r))
            }
        }
    )*};
}

/// `Wire` for an enum, each variant with its index on the wire:
/// `wire_enum!(Type { 0 Unit, 1 Tuple(a, b), 2 Struct { x, y } });`.
macro_rules! wire_enum {
    ($($t:ty { $($i:literal $v:ident $(( $($a:ident),* ))? $({ $($f:ident),* })?),* $(,)? })*) => {$(
        impl Wire for $t {
            #[inline(never)]
            fn put(&self, w: &mut Vec<u8>) {
                match self {
                    $(Self::$v $(( $($a),* ))? $({ $($f),* })? => {
                        ($i as u8).put(w);
                        $($( $a.put(w); )*)?
                        $($( $f.put(w); )*)?
                    })*
                }
            }
            #[inline(never)]
            fn get(r: &mut Reader<'_>) -> Self {
                let tag = u8::get(r);
                $(if tag == $i {
                    return Self::$v $(( $( wire_enum!(@get r $a) ),* ))? $({ $($f: Wire::get(r)),* })?;
                })*
                r.fail();
                wire_enum!(@first r $($v $(( $($a),* ))? $({ $($f),* })?),*)
            }
        }
    )*};
    (@get $r:ident $a:ident) => { Wire::get($r) };
    // A stand-in for a bad tag: the first variant, its fields read as zeros.
    (@first $r:ident $v:ident $(( $($a:ident),* ))? $({ $($f:ident),* })? $(, $($rest:tt)*)?) => {
        Self::$v $(( $( wire_enum!(@get $r $a) ),* ))? $({ $($f: Wire::get($r)),* })?
    };
}

wire_newtype!(DeviceId, GroupId, DomainId, IommuId, AcsFlags, Rid, Cookie);

/// `Wire` for a fieldless enum with an `ALL` table: its index as one byte; an index past the
/// table fails the read and gives `$fallback`. `wire_by_index!(Errno => Errno::EINVAL);`.
macro_rules! wire_by_index {
    ($($t:ident => $fallback:expr),*) => {$(
        impl Wire for $t {
            #[inline(never)]
            fn put(&self, w: &mut Vec<u8>) {
                let i = $t::ALL.iter().position(|e| e == self).unwrap_or(0);
                (i as u8).put(w);
            }
            #[inline(never)]
            fn get(r: &mut Reader<'_>) -> Self {
                $t::ALL
                    .get(usize::from(u8::get(r)))
                    .copied()
                    .unwrap_or_else(|| {
                        r.fail();
                        $fallback
                    })
            }
        }
    )*};
}

wire_by_index!(Errno => Errno::EINVAL, Era => Era::default());

impl Wire for WalkTables {
    #[inline(never)]
    fn put(&self, w: &mut Vec<u8>) {
        self.geometry.put(w);
        let tables: Vec<(u64, Vec<(u32, u64)>)> =
            self.tables().map(|(pa, e)| (pa, e.to_vec())).collect();
        tables.put(w);
        self.truncated.put(w);
    }
    #[inline(never)]
    fn get(r: &mut Reader<'_>) -> Self {
        let geometry = Wire::get(r);
        let tables: Vec<(u64, Vec<(u32, u64)>)> = Wire::get(r);
        WalkTables::from_tables(geometry, tables, Wire::get(r))
    }
}

wire_struct! {
    Run { era, config, steps, checks, groups, sysfs, kernel, crashed, topology }
    Config { strict, passthrough, acs_fix, split_unmap }
    Step { line, source, phase, event }
    CheckOutcome { line, col, source, expected, actual, ok }
    Event {
        seq, call, args, result, warns, nested, deltas, breaches, snapshot, workload, iova_at,
    }
    IovaAt { domain, iova }
    Compare { eras, rows, failing }
    CompareRow { line, call, results, differs }
    CompareCell { result, text }
    Warn { kind, site, message }
    Nested { name, args, result, children }
    Breach { invariant, group, devices, domains, message }
    Snapshot { groups, devices, domains }
    CoreGroup {
        id, devices, default_domain, blocking_domain, domain, owner, owner_cnt, dma_owner,
        attach_cnt, private_attach, vfio_container,
    }
    DeviceView { id, name, group, driver, domain }
    BoundDriver { name, managed }
    DomainView {
        id, label, ty, role, iommu, geometry, pgsize_bitmap, freed, counters, table, iova,
    }
    IovaView {
        granule, shift, start_pfn, dma_32bit_pfn, max32_alloc_size, cached_node,
        cached32_node, ranges, spans, summarised, rcaches, fq,
    }
    FqView { pending, capacity, timer_due_ms }
    Iova { pfn_lo, pfn_hi }
    IovaSpan { pfn_lo, pfn_hi, cached, queued }
    CpuMagazines { loaded, prev }
    RcacheView { pages, cpus, depot, depot_work_due_ms, hits, misses }
    Geometry { aperture_start, aperture_end, force_aperture }
    MapCounters {
        pte_writes, tables_allocated, tables_freed, tables_live, iotlb_inv_range,
        iotlb_inv_full, iotlb_entries, iotlb_stale_hits, rcache_hits, rcache_misses,
        fq_pending,
    }
    TableView { start_level, ranges, truncated, walk }
    MappedRange { iova, size, phys, level, leaves, writable, pte }
    WalkGeometry { granule, ias, start_level, pg_shift, bits_per_level, pgd_bits }
    Group { id, iommu, members, non_isolated }
    Member { device, name, reason }
    TopologyView { iommus, hosts, devices }
    IommuView { name, kind }
    HostView { name, iommu }
    TopoDevice { id, name, parent, host, bus, ty, ty_long, acs, iommu, sids }
    AcsView { cap, ctl }
    WorkloadSummary { spec, lazy, samples, stopped, elapsed_ns, warnings }
    WorkloadSpec { count, sizes, live, cpus, dir, seed, sample, interval_ns }
    WorkloadSample {
        pairs, maps, unmaps, map_errors, rcache_hits, rcache_misses, tree_allocs,
        tree_steps, inv_range, inv_full, fq_full_flushes, fq_timer_flushes, fq_depth,
        mapped, live_iovas, frag_permille, ms,
    }
    Span { line, col, start, end }
}

wire_enum! {
    Phase { 0 Boot, 1 Call, 2 Hotplug }
    Ret {
        0 Ok, 1 Value(v), 2 Domain(d), 3 Err(e), 4 NotAvailable, 5 Bug, 6 DmaMappingError,
        7 Null,
    }
    WarnKind { 0 Warn, 1 Notice, 2 Model, 3 Bug }
    NestedResult { 0 Void, 1 Ret(r), 2 Noted(r, note), 3 Said(s) }
    Delta {
        0 GroupDomain { group, before, after },
        1 GroupOwner { group, before, after },
        2 OwnerCnt { group, before, after },
        3 AttachCnt { group, before, after },
        4 DeviceDomain { device, before, after },
        5 DeviceDriver { device, before, after },
        6 GroupMembers { group, before, after },
        7 DomainAllocated { domain, ty },
        8 DomainFreed { domain },
        9 Mapping { domain, before, after },
    }
    DomainType { 0 Blocked, 1 Identity, 2 Unmanaged, 3 Dma, 4 DmaFq, 5 Sva, 6 Nested }
    DomainRole { 0 Default, 1 Blocking, 2 User }
    DmaOwnerType { 0 None, 1 DmaApi, 2 PrivateDomain, 3 PrivateDomainUser }
    DmaDirection { 0 Bidirectional, 1 ToDevice, 2 FromDevice, 3 None }
    GroupReason {
        0 OwnGroup,
        1 DmaAlias { bridge, bridge_type, kind, requester_id },
        2 UpstreamNoAcs { joined, culprit, culprit_type, denial },
        3 QuirkAlias { device, partner, joined },
        4 MultifunctionSibling { device, slot, joined },
        5 SharedSme { index, sid, mask },
        6 BelowNonIsolated { bridge },
        7 BusNotIsolated { bridge, bridge_type, detail },
        8 SharedBus { bus, joined, detail },
        9 Reachable { joined },
    }
    PciType {
        0 RootPort, 1 UpstreamPort, 2 DownstreamPort, 3 Endpoint, 4 RcIntegratedEndpoint,
        5 PcieToPciBridge, 6 ConventionalPci, 7 PciToPcieBridge, 8 HostBridge,
    }
    AliasKind {
        0 Own, 1 QuirkDevfn, 2 PcieToPciBridge, 3 ConventionalBridge, 4 PciToPcieBridge,
        5 PcieBridgeAliasQuirk,
    }
    AcsDenial {
        0 NoCapability, 1 NotEnabled { missing }, 2 ConventionalPci, 3 PcieToPciBridge,
        4 PciToPcieBridge, 5 Quirk { quirk },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use iommu_engine::corpus::CORPUS;
    use iommu_engine::scenario::{eras_to_check, parse, run_scenario, Options};

    #[test]
    fn every_corpus_run_round_trips() {
        let mut runs = 0;
        for (name, text) in CORPUS {
            let Ok(s) = parse(text) else { continue };
            for era in eras_to_check(&s) {
                let opts = Options {
                    era: Some(era),
                    snapshots: true,
                };
                let Ok(run) = run_scenario(&s, text, &opts) else {
                    continue;
                };
                let bytes = encode(&run);
                assert_eq!(decode::<Run>(&bytes).as_ref(), Some(&run), "{name} {era:?}");
                runs += 1;
            }
        }
        assert!(runs > 50, "{runs} runs");
    }

    #[test]
    fn a_cut_or_padded_message_is_refused() {
        let text = iommu_engine::corpus::CORPUS
            .first()
            .map(|(_, t)| *t)
            .unwrap_or_default();
        let s = parse(text).expect("parses");
        let opts = Options {
            era: None,
            snapshots: true,
        };
        let run = run_scenario(&s, text, &opts).expect("runs");
        let bytes = encode(&run);
        for cut in [0, 1, bytes.len() / 2, bytes.len() - 1] {
            assert!(decode::<Run>(bytes.get(..cut).unwrap_or_default()).is_none());
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(decode::<Run>(&longer).is_none());
        // A length larger than the message reserves nothing and fails.
        assert!(decode::<Vec<u64>>(&u32::MAX.to_le_bytes()).is_none());
    }
}
