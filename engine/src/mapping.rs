//! The mapping half of the kernel model: `iommu_map()`/`iommu_unmap()`/
//! `iommu_iova_to_phys()`/`iommu_flush_iotlb_all()` on a domain, the DMA API
//! (`dma_map_page()`/`dma_unmap_page()`) through a device's default domain, time passing
//! for the flush queues, and device DMA resolved through the IOTLB and the page table.
//!
//! Every paging domain owns a [`KernelPaging`]: the pgtable module's [`PagingDomain`] over
//! an ARM LPAE stage-1 table wrapped in [`TracedPgtable`], which records each
//! `map_pages`/`unmap_pages` the core issues so the trace can show them as nested calls
//! without the pgtable code knowing about traces. Invariant I6 (shared/MODEL.md §4) is
//! checked here, on the calls that can break it: a device access served by an IOTLB entry
//! whose PTEs are gone, and a map that reuses an IOVA the IOTLB still caches.

use crate::dma::{DmaCookie, DmaDevice, DmaDirection, DMA_MAPPING_ERROR};
use crate::domain::DomainType;
use crate::errno::Errno;
use crate::ids::{DeviceId, DomainId};
use crate::iommu::Kernel;
use crate::pgtable::{
    ArmLpae, DmaAccess, IoPgtableOps, IotlbGather, Leaf, LpaeConfig, PagingDomain, PgtableStats,
    Prot,
};
use crate::trace::{Breach, NestedResult, Ret};
use serde::{Deserialize, Serialize};

/// Simulated CPUs of the model's dma-iommu cookies (per-CPU rcache magazines and flush
/// queues). Calls name a CPU modulo this.
pub const MODEL_CPUS: usize = 2;

pub use crate::limits::{PGTABLE_BUDGET_BYTES, PGTABLE_TOTAL_BUDGET_BYTES};

/// One `io_pgtable_ops` call the core made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PgOp {
    Map {
        iova: u64,
        paddr: u64,
        pgsize: u64,
        pgcount: u64,
        prot: Prot,
        mapped: u64,
        result: Result<(), Errno>,
    },
    Unmap {
        iova: u64,
        pgsize: u64,
        pgcount: u64,
        unmapped: u64,
    },
}

/// An ARM LPAE table whose `map_pages`/`unmap_pages` calls are recorded for the trace.
#[derive(Clone, Debug)]
pub struct TracedPgtable {
    pub inner: ArmLpae,
    ops: Vec<PgOp>,
}

impl TracedPgtable {
    pub const fn new(inner: ArmLpae) -> Self {
        TracedPgtable {
            inner,
            ops: Vec::new(),
        }
    }

    /// The calls recorded since the last take.
    pub fn take_ops(&mut self) -> Vec<PgOp> {
        std::mem::take(&mut self.ops)
    }
}

impl IoPgtableOps for TracedPgtable {
    fn pgsize_bitmap(&self) -> u64 {
        self.inner.pgsize_bitmap()
    }
    fn ias(&self) -> u32 {
        self.inner.ias()
    }
    fn map_pages(
        &mut self,
        iova: u64,
        paddr: u64,
        pgsize: u64,
        pgcount: u64,
        prot: Prot,
        mapped: &mut u64,
    ) -> Result<(), Errno> {
        let before = *mapped;
        let result = self
            .inner
            .map_pages(iova, paddr, pgsize, pgcount, prot, mapped);
        self.ops.push(PgOp::Map {
            iova,
            paddr,
            pgsize,
            pgcount,
            prot,
            mapped: mapped.saturating_sub(before),
            result,
        });
        result
    }
    fn unmap_pages(
        &mut self,
        iova: u64,
        pgsize: u64,
        pgcount: u64,
        gather: &mut IotlbGather,
    ) -> u64 {
        let unmapped = self.inner.unmap_pages(iova, pgsize, pgcount, gather);
        self.ops.push(PgOp::Unmap {
            iova,
            pgsize,
            pgcount,
            unmapped,
        });
        unmapped
    }
    fn iova_to_phys(&self, iova: u64) -> u64 {
        self.inner.iova_to_phys(iova)
    }
    fn walk(&self, iova: u64) -> Option<Leaf> {
        self.inner.walk(iova)
    }
    fn take_walk_flushes(&mut self) -> Vec<(u64, u64)> {
        self.inner.take_walk_flushes()
    }
    fn take_warnings(&mut self) -> Vec<&'static str> {
        self.inner.take_warnings()
    }
    fn stats(&self) -> PgtableStats {
        self.inner.stats()
    }
}

/// The translation state a paging domain of the kernel model owns.
pub type KernelPaging = PagingDomain<TracedPgtable>;

/// drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c: arm_smmu_domain_finalise() →
/// alloc_io_pgtable_ops(ARM_64_LPAE_S1) (v6.8): a stage-1 table of the IOMMU's granule,
/// input and output sizes. `split_unmap` selects io-pgtable-arm ≤ v6.12 (split a block on
/// a partial unmap) over v6.13+ (refuse, 33729a5fc0ca).
pub fn new_paging(
    granule: u64,
    ias: u32,
    oas: u32,
    split_unmap: bool,
) -> Result<KernelPaging, Errno> {
    let cfg = LpaeConfig {
        granule,
        ias,
        oas,
        max_tables: PGTABLE_BUDGET_BYTES / granule.max(1),
        split_unmap,
    };
    Ok(PagingDomain::new(TracedPgtable::new(ArmLpae::new(cfg)?)))
}

/// The counters of one paging domain, reported as a [`crate::trace::Delta::Mapping`] when a
/// call changes them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MapCounters {
    /// Descriptor stores (leaf writes, leaf clears, table installs).
    pub pte_writes: u64,
    pub tables_allocated: u64,
    pub tables_freed: u64,
    /// Table pages held now, the top level included.
    pub tables_live: u64,
    /// Range invalidations (`iotlb_sync` of a gathered range, walk flushes).
    pub iotlb_inv_range: u64,
    /// Full invalidations (`flush_iotlb_all`).
    pub iotlb_inv_full: u64,
    /// Translations the modelled IOTLB caches now.
    pub iotlb_entries: u64,
    /// Device accesses served by an entry whose PTEs were already cleared (I6).
    pub iotlb_stale_hits: u64,
    /// dma-iommu cookie: IOVA rcache hits and misses (all size classes).
    pub rcache_hits: u64,
    pub rcache_misses: u64,
    /// dma-iommu cookie: IOVAs waiting in the flush queue (all CPUs).
    pub fq_pending: u64,
}

impl MapCounters {
    /// The counters of a domain's page table and, if it has one, its DMA cookie.
    pub fn of(paging: &KernelPaging, cookie: Option<&DmaCookie>) -> MapCounters {
        let s = paging.stats();
        let mut c = MapCounters {
            pte_writes: s.pte_writes,
            tables_allocated: s.tables_allocated,
            tables_freed: s.tables_freed,
            tables_live: s.tables_live,
            iotlb_inv_range: paging.tlb().inv_range,
            iotlb_inv_full: paging.tlb().inv_full,
            iotlb_entries: paging.iotlb().len() as u64,
            iotlb_stale_hits: paging.tlb().stale_hits,
            ..MapCounters::default()
        };
        if let Some(ck) = cookie {
            for r in ck.iovad.rcache_stats() {
                c.rcache_hits += r.hits;
                c.rcache_misses += r.misses;
            }
            c.fq_pending = ck
                .fq
                .as_ref()
                .map_or(0, |f| f.pending().iter().map(|&n| n as u64).sum());
        }
        c
    }
}

fn hex(v: u64) -> String {
    format!("{v:#x}")
}

/// `4K`, `2M`, `1G`, or hex.
fn size_name(v: u64) -> String {
    const UNITS: [(u64, &str); 4] = [
        (1 << 40, "T"),
        (1 << 30, "G"),
        (1 << 20, "M"),
        (1 << 10, "K"),
    ];
    for (u, n) in UNITS {
        if v >= u && v.is_multiple_of(u) {
            return format!("{}{n}", v / u);
        }
    }
    hex(v)
}

/// A cached translation the page table no longer backs, overlapping `[start, end]`.
fn stale_overlap(p: &KernelPaging, start: u64, end: u64) -> Option<Leaf> {
    p.iotlb().entries().copied().find(|l| {
        let last = l.iova_base.wrapping_add(l.size).wrapping_sub(1);
        last >= start && l.iova_base <= end && p.pgtable.walk(l.iova_base) != Some(*l)
    })
}

pub(crate) const fn dir_name(d: DmaDirection) -> &'static str {
    match d {
        DmaDirection::Bidirectional => "DMA_BIDIRECTIONAL",
        DmaDirection::ToDevice => "DMA_TO_DEVICE",
        DmaDirection::FromDevice => "DMA_FROM_DEVICE",
        DmaDirection::None => "DMA_NONE",
    }
}

impl Kernel {
    /// Takes a domain's page table (and cookie) out for one operation; put back with
    /// [`Kernel::put_paging`].
    fn take_paging(&mut self, d: DomainId) -> Option<(Box<KernelPaging>, Option<Box<DmaCookie>>)> {
        let cap = self.shared_table_cap(d);
        let dom = self.domains.get_mut(&d)?;
        let mut p = dom.paging.take()?;
        p.pgtable.inner.set_shared_cap(cap);
        Some((p, dom.cookie.take()))
    }

    /// The table pages domain `d` may hold under [`PGTABLE_TOTAL_BUDGET_BYTES`]: what the
    /// other domains' tables leave of it.
    fn shared_table_cap(&self, d: DomainId) -> u64 {
        let others: u64 = self
            .domains
            .iter()
            .filter(|(id, _)| **id != d)
            .filter_map(|(_, dom)| dom.paging.as_ref())
            .map(|p| {
                let t = &p.pgtable.inner;
                t.pages_held().saturating_mul(t.config().granule)
            })
            .sum();
        let granule = self
            .domains
            .get(&d)
            .and_then(|dom| dom.paging.as_ref())
            .map_or(1, |p| p.pgtable.inner.config().granule.max(1));
        PGTABLE_TOTAL_BUDGET_BYTES.saturating_sub(others) / granule
    }

    /// As [`Kernel::take_paging`] for a domain with a DMA cookie; a domain without one
    /// keeps its table.
    fn take_cookie(&mut self, d: DomainId) -> Option<(Box<KernelPaging>, Box<DmaCookie>)> {
        let cap = self.shared_table_cap(d);
        let dom = self.domains.get_mut(&d)?;
        if dom.paging.is_none() || dom.cookie.is_none() {
            return None;
        }
        let mut p = dom.paging.take()?;
        p.pgtable.inner.set_shared_cap(cap);
        Some((p, dom.cookie.take()?))
    }

    fn put_paging(&mut self, d: DomainId, p: Box<KernelPaging>, c: Option<Box<DmaCookie>>) {
        if let Some(dom) = self.domains.get_mut(&d) {
            dom.paging = Some(p);
            dom.cookie = c;
        }
    }

    /// Records the `io_pgtable_ops` calls and WARNs of the last operation as nested calls,
    /// each after the `iommu_pgsize()` choice that produced it. `size` is the size the
    /// core loop started with at `start`; `map` tells a map (whose failure unrolls what it
    /// mapped through `iommu_unmap()`) from an unmap.
    fn trace_pgops(&mut self, p: &mut KernelPaging, start: u64, size: u64, map: bool) {
        let mut done = 0u64;
        let mut rollback = false;
        for op in p.pgtable.take_ops() {
            match op {
                PgOp::Map {
                    iova,
                    paddr,
                    pgsize,
                    pgcount,
                    prot,
                    mapped,
                    result,
                } => {
                    let left = size.saturating_sub(iova.wrapping_sub(start));
                    self.enter("iommu_pgsize", vec![hex(iova), hex(paddr), hex(left)]);
                    self.leave(NestedResult::Said(format!(
                        "{} x {pgcount}",
                        size_name(pgsize)
                    )));
                    self.enter(
                        "arm_lpae_map_pages",
                        vec![
                            hex(iova),
                            hex(paddr),
                            size_name(pgsize),
                            pgcount.to_string(),
                            prot.to_string(),
                        ],
                    );
                    let r = Ret::from_result(result);
                    self.leave(NestedResult::Noted(r, format!("mapped {}", hex(mapped))));
                    done = done.saturating_add(mapped);
                }
                PgOp::Unmap {
                    iova,
                    pgsize,
                    pgcount,
                    unmapped,
                } => {
                    let total = if map {
                        if !rollback {
                            // __iommu_map() unrolls what it mapped on failure.
                            rollback = true;
                            self.enter("iommu_unmap", vec![hex(start), hex(done)]);
                        }
                        done
                    } else {
                        size
                    };
                    let left = total.saturating_sub(iova.wrapping_sub(start));
                    self.enter("iommu_pgsize", vec![hex(iova), hex(iova), hex(left)]);
                    self.leave(NestedResult::Said(format!(
                        "{} x {pgcount}",
                        size_name(pgsize)
                    )));
                    self.enter(
                        "arm_lpae_unmap_pages",
                        vec![hex(iova), size_name(pgsize), pgcount.to_string()],
                    );
                    self.leave(Ret::Value(unmapped));
                }
            }
        }
        if rollback {
            self.leave(NestedResult::Void);
        }
        for w in p.take_warnings() {
            self.warn("io-pgtable-arm", w);
        }
    }

    /// Reports I6 if a map reused IOVA space the IOTLB still caches a translation for.
    fn check_reuse(&mut self, d: DomainId, p: &KernelPaging, start: u64, size: u64) {
        if size == 0 {
            return;
        }
        if let Some(l) = stale_overlap(p, start, start.wrapping_add(size - 1)) {
            let n = self.dom_name(d);
            self.i6(
                d,
                Vec::new(),
                format!(
                    "IOVA {:#x} of {n} was reused after its PTEs were cleared but before the IOTLB flush (the IOTLB still maps it to {:#x})",
                    l.iova_base, l.phys_base
                ),
            );
        }
    }

    fn i6(&mut self, d: DomainId, devices: Vec<DeviceId>, message: String) {
        self.call_breaches.push(Breach {
            invariant: "I6",
            group: None,
            devices,
            domains: vec![d],
            message,
        });
    }

    fn freed_use(&mut self, d: DomainId, site: &str) {
        if self.domains.get(&d).is_some_and(|x| x.freed) {
            let n = self.dom_name(d);
            self.model_warn(site, &format!("{n} used after iommu_domain_free()"));
        }
    }

    /// drivers/iommu/iommu.c: iommu_map() → __iommu_map() (v6.8): a domain without
    /// `__IOMMU_DOMAIN_PAGING` → -EINVAL; then the `iommu_pgsize()` / `map_pages` loop,
    /// unrolled on failure (shared/MODEL.md §5).
    pub(crate) fn iommu_map(
        &mut self,
        d: DomainId,
        iova: u64,
        paddr: u64,
        size: u64,
        prot: Prot,
    ) -> Ret {
        let Some(dom) = self.domains.get(&d) else {
            return Ret::Err(Errno::EINVAL);
        };
        if !dom.ty.is_paging() {
            return Ret::Err(Errno::EINVAL);
        }
        self.freed_use(d, "iommu_map");
        let Some((mut p, c)) = self.take_paging(d) else {
            return Ret::Err(Errno::ENODEV);
        };
        let r = p.iommu_map(iova, paddr, size, prot);
        self.trace_pgops(&mut p, iova, size, true);
        if r.is_ok() {
            self.check_reuse(d, &p, iova, size);
        }
        self.put_paging(d, p, c);
        Ret::from_result(r)
    }

    /// drivers/iommu/iommu.c: iommu_unmap() (v6.8): 0 for a domain without PAGING or an
    /// unaligned request; else `__iommu_unmap()` then `iommu_iotlb_sync()`.
    pub(crate) fn iommu_unmap(&mut self, d: DomainId, iova: u64, size: u64) -> Ret {
        let paging = self.domains.get(&d).is_some_and(|x| x.ty.is_paging());
        if !paging {
            return Ret::Value(0);
        }
        self.freed_use(d, "iommu_unmap");
        let Some((mut p, c)) = self.take_paging(d) else {
            return Ret::Value(0);
        };
        // iommu_unmap(): __iommu_unmap() with a local gather, then iommu_iotlb_sync().
        let mut gather = IotlbGather::new();
        let n = p.iommu_unmap_fast(iova, size, &mut gather);
        self.trace_pgops(&mut p, iova, size, false);
        let before = p.tlb().inv_range;
        p.iommu_iotlb_sync(&mut gather);
        let inv = p.tlb().inv_range - before;
        if inv > 0 {
            self.enter("iommu_iotlb_sync", vec![self.dom_name(d)]);
            self.leave(NestedResult::Said(format!("{inv} range invalidation(s)")));
        }
        self.put_paging(d, p, c);
        Ret::Value(n)
    }

    /// drivers/iommu/iommu.c: iommu_iova_to_phys() (v6.8): IDENTITY → the IOVA, BLOCKED and
    /// other non-paging types → 0, paging → the table walk (0 when unmapped).
    pub(crate) fn iommu_iova_to_phys(&mut self, d: DomainId, iova: u64) -> Ret {
        self.freed_use(d, "iommu_iova_to_phys");
        Ret::Value(self.iova_to_phys(d, iova))
    }

    /// What `expect iova_to_phys(d, iova)` reads, without a trace event.
    pub fn iova_to_phys(&self, d: DomainId, iova: u64) -> u64 {
        match self.domains.get(&d) {
            Some(dom) if dom.ty == DomainType::Identity => iova,
            Some(dom) => dom
                .paging
                .as_ref()
                .map_or(0, |p| p.iommu_iova_to_phys(iova)),
            None => 0,
        }
    }

    /// drivers/iommu/iommu.c: iommu_flush_iotlb_all() (v6.8): `ops->flush_iotlb_all` if the
    /// domain has one (paging domains of arm-smmu-v3: arm_smmu_flush_iotlb_all()).
    pub(crate) fn iommu_flush_iotlb_all(&mut self, d: DomainId) -> Ret {
        if let Some(dom) = self.domains.get_mut(&d) {
            if let Some(p) = dom.paging.as_mut() {
                p.iommu_flush_iotlb_all();
                let n = self.dom_name(d);
                self.enter("arm_smmu_flush_iotlb_all", vec![n]);
                self.leave(NestedResult::Void);
            }
        }
        Ret::Ok
    }

    /// The domain the DMA API maps into for `dev`: drivers/iommu/dma-iommu.c:
    /// iommu_setup_dma_ops() (v6.8) installs iommu-dma only when the group's default domain
    /// is DMA or DMA_FQ, and iommu_dma_map_page() maps into `iommu_get_dma_domain(dev)`,
    /// i.e. `dev->iommu_group->default_domain`. `None`: dma-direct (no IOMMU, IDENTITY).
    fn dma_domain(&self, dev: DeviceId) -> Option<DomainId> {
        let g = self.group_of(dev)?;
        let def = self.groups.get(&g)?.default_domain?;
        let dom = self.domains.get(&def)?;
        matches!(dom.ty, DomainType::Dma | DomainType::DmaFq).then_some(def)
    }

    /// Flags a DMA-API call while the group is attached elsewhere: the mapping lands in the
    /// default domain, which the device does not translate through (I2's concern).
    fn dma_domain_check(&mut self, dev: DeviceId, def: DomainId) {
        let cur = self.group_of(dev).and_then(|g| self.group_domain(g));
        if cur != Some(def) {
            let n = self.dev_name(dev);
            let c = self.opt_dom_name(cur);
            self.model_warn(
                "iommu_get_dma_domain",
                &format!("{n}: DMA API maps into the default domain while the group is attached to {c}: the device cannot reach the mapping"),
            );
        }
    }

    /// kernel/dma/mapping.c: dma_map_page_attrs() (v6.8): `DMA_NONE` hits
    /// `BUG_ON(!valid_dma_direction(dir))`; dma-direct (the physical address) without an
    /// IOMMU or through an IDENTITY default domain; else
    /// drivers/iommu/dma-iommu.c: iommu_dma_map_page() (IOVA from the rcache or the tree,
    /// then iommu_map(GFP_ATOMIC)). Returns the DMA address or `DMA_MAPPING_ERROR`.
    pub(crate) fn dma_map_page(
        &mut self,
        dev: DeviceId,
        phys: u64,
        size: u64,
        dir: DmaDirection,
        cpu: usize,
    ) -> Ret {
        let Some(mut ddev) = self.devices.get(&dev).map(|x| x.dma.clone()) else {
            return Ret::Err(Errno::ENODEV);
        };
        let args = vec![
            self.dev_name(dev),
            hex(phys),
            hex(size),
            dir_name(dir).into(),
        ];
        if dir == DmaDirection::None {
            self.bug("dma_map_page_attrs", "BUG_ON(!valid_dma_direction(dir))");
            return Ret::Bug;
        }
        let Some(d) = self.dma_domain(dev) else {
            self.enter("dma_direct_map_page", args);
            self.leave(Ret::Value(phys));
            return Ret::Value(phys);
        };
        self.dma_domain_check(dev, d);
        self.freed_use(d, "dma_map_page");
        let Some((mut p, mut c)) = self.take_cookie(d) else {
            return Ret::DmaMappingError;
        };
        self.enter("iommu_dma_map_page", args);
        let before = MapCounters::of(&p, Some(&c));
        let iova = c.dma_map_page(&mut p, &mut ddev, phys, size, dir, 0, cpu % MODEL_CPUS);
        let after = MapCounters::of(&p, Some(&c));
        let off = c.iovad.iova_offset(phys);
        let len = c.iovad.iova_align(size.saturating_add(off));
        let ops = p.pgtable.take_ops();
        let alloc = match ops.first() {
            Some(PgOp::Map { iova, .. }) => Ret::Value(*iova),
            _ => Ret::Ok,
        };
        self.enter("iommu_dma_alloc_iova", vec![hex(len)]);
        let how = if after.rcache_hits > before.rcache_hits {
            "rcache hit"
        } else {
            "rcache miss"
        };
        self.leave(NestedResult::Noted(alloc, how.into()));
        for n in c.take_notices() {
            let dn = self.dev_name(dev);
            self.notice("iommu_dma_alloc_iova", &format!("{dn}: {n}"));
        }
        if let Some(PgOp::Map { iova: start, .. }) = ops.first().cloned() {
            let pa = phys - off;
            self.enter(
                "iommu_map",
                vec![
                    hex(start),
                    hex(pa),
                    hex(len),
                    crate::dma::dma_info_to_prot(dir, ddev.coherent, 0).to_string(),
                ],
            );
            let err = ops.iter().find_map(|o| match o {
                PgOp::Map { result: Err(e), .. } => Some(*e),
                _ => None,
            });
            // Put the ops back so the common tracer renders them.
            p.pgtable.ops = ops;
            self.trace_pgops(&mut p, start, len, true);
            self.leave(err.map_or(Ret::Ok, Ret::Err));
        }
        for w in c.take_warnings() {
            self.warn("iommu_dma_map_page", w);
        }
        let ret = if iova == DMA_MAPPING_ERROR {
            self.leave(Ret::DmaMappingError);
            Ret::DmaMappingError
        } else {
            self.leave(Ret::Value(iova));
            self.check_reuse(d, &p, iova - off, len);
            Ret::Value(iova)
        };
        self.put_paging(d, p, Some(c));
        if let Some(x) = self.devices.get_mut(&dev) {
            x.dma = ddev;
        }
        ret
    }

    /// kernel/dma/mapping.c: dma_unmap_page_attrs() (v6.8): `DMA_NONE` is a `BUG`; nothing
    /// for dma-direct;
    /// drivers/iommu/dma-iommu.c: iommu_dma_unmap_page() → __iommu_dma_unmap(): strict →
    /// `iotlb_sync` and the IOVA freed now; DMA_FQ → no invalidation, the IOVA queued.
    pub(crate) fn dma_unmap_page(
        &mut self,
        dev: DeviceId,
        iova: u64,
        size: u64,
        dir: DmaDirection,
        cpu: usize,
    ) -> Ret {
        let Some(mut ddev) = self.devices.get(&dev).map(|x| x.dma.clone()) else {
            return Ret::Err(Errno::ENODEV);
        };
        let args = vec![
            self.dev_name(dev),
            hex(iova),
            hex(size),
            dir_name(dir).into(),
        ];
        if dir == DmaDirection::None {
            self.bug("dma_unmap_page_attrs", "BUG_ON(!valid_dma_direction(dir))");
            return Ret::Bug;
        }
        let Some(d) = self.dma_domain(dev) else {
            self.enter("dma_direct_unmap_page", args);
            self.leave(NestedResult::Void);
            return Ret::Ok;
        };
        self.dma_domain_check(dev, d);
        self.freed_use(d, "dma_unmap_page");
        let Some((mut p, mut c)) = self.take_cookie(d) else {
            return Ret::Ok;
        };
        self.enter("iommu_dma_unmap_page", args);
        let before = MapCounters::of(&p, Some(&c));
        c.dma_unmap_page(&mut p, &mut ddev, iova, size, dir, 0, cpu % MODEL_CPUS);
        let after = MapCounters::of(&p, Some(&c));
        let off = c.iovad.iova_offset(iova);
        let len = c.iovad.iova_align(size.saturating_add(off));
        let ops = p.pgtable.take_ops();
        let unmapped = !ops.is_empty();
        if unmapped {
            self.enter("iommu_unmap_fast", vec![hex(iova - off), hex(len)]);
            p.pgtable.ops = ops;
            self.trace_pgops(&mut p, iova - off, len, false);
            self.leave(NestedResult::Void);
        }
        let inv = after.iotlb_inv_range - before.iotlb_inv_range;
        if inv > 0 {
            self.enter("iommu_iotlb_sync", vec![self.dom_name(d)]);
            self.leave(NestedResult::Said(format!("{inv} range invalidation(s)")));
        }
        if unmapped && c.fq.is_some() {
            if after.iotlb_inv_full > before.iotlb_inv_full {
                self.enter("fq_flush_iotlb", vec!["flush queue full".into()]);
                self.leave(NestedResult::Void);
            }
            self.enter("queue_iova", vec![hex(iova - off), hex(len)]);
            self.leave(NestedResult::Said(format!("{} pending", after.fq_pending)));
        } else if unmapped {
            self.enter("free_iova_fast", vec![hex(iova - off), hex(len)]);
            self.leave(NestedResult::Void);
        }
        for w in c.take_warnings() {
            self.warn("iommu_dma_unmap_page", w);
        }
        self.leave(NestedResult::Void);
        self.put_paging(d, p, Some(c));
        if let Some(x) = self.devices.get_mut(&dev) {
            x.dma = ddev;
        }
        Ret::Ok
    }

    /// `tick`: time passes. Every live DMA cookie's flush-queue timer fires when due
    /// (drivers/iommu/dma-iommu.c: fq_flush_timeout(), v6.8: one `flush_iotlb_all`, then the
    /// queued IOVAs go back to the rcache) and the rcache depot is trimmed every 100 ms
    /// (drivers/iommu/iova.c: iova_depot_work_func(), v6.7+). The cookies count whole ms.
    pub(crate) fn tick(&mut self, ns: u64) -> Ret {
        let before_ms = self.now_ns / 1_000_000;
        self.now_ns = self.now_ns.saturating_add(ns);
        let ms = self.now_ns / 1_000_000 - before_ms;
        let ids: Vec<DomainId> = self
            .domains
            .values()
            .filter(|d| !d.freed && d.cookie.is_some())
            .map(|d| d.id)
            .collect();
        for d in ids {
            let Some((mut p, mut c)) = self.take_cookie(d) else {
                continue;
            };
            let flushes = c.stats.fq_timer_flushes;
            let depot = |c: &DmaCookie| -> usize {
                c.iovad.rcache_stats().iter().map(|r| r.depot_size).sum()
            };
            let depot_before = depot(&c);
            c.tick(&mut p, ms);
            let depot_after = depot(&c);
            if depot_after < depot_before {
                let n = self.dom_name(d);
                self.enter("iova_depot_work_func", vec![n]);
                self.leave(NestedResult::Said(format!(
                    "{} magazine(s) back to the tree",
                    depot_before - depot_after
                )));
            }
            if c.stats.fq_timer_flushes > flushes {
                let n = self.dom_name(d);
                self.enter("fq_flush_timeout", vec![n]);
                self.enter("fq_flush_iotlb", Vec::new());
                self.leave(NestedResult::Void);
                self.leave(NestedResult::Void);
            }
            self.put_paging(d, p, Some(c));
        }
        Ret::Ok
    }

    /// Device DMA through a paging domain: the IOTLB first, then the table walk
    /// ([`PagingDomain::translate`]). A write through a read-only leaf faults (-EFAULT).
    /// A hit on an entry whose PTEs were cleared but not yet invalidated reaches the old
    /// page: reported as I6.
    pub(crate) fn paging_dma(
        &mut self,
        dev: DeviceId,
        d: DomainId,
        iova: u64,
        write: bool,
    ) -> Option<u64> {
        let access = if write {
            DmaAccess::Write
        } else {
            DmaAccess::Read
        };
        let p = self.domains.get_mut(&d)?.paging.as_mut()?;
        let hits = p.tlb().iotlb_hits;
        let r = p.translate(iova, access);
        let hit = p.tlb().iotlb_hits > hits;
        // The SMMU's side, not a kernel function: IOTLB lookup, else a table walk.
        let how = match (&r, hit) {
            (Ok(t), _) if t.stale => {
                NestedResult::Noted(Ret::Value(t.phys), "stale IOTLB entry".into())
            }
            (Ok(t), true) => NestedResult::Noted(Ret::Value(t.phys), "IOTLB hit".into()),
            (Ok(t), false) => {
                NestedResult::Noted(Ret::Value(t.phys), "table walk, now cached".into())
            }
            (Err(_), true) => NestedResult::Said("permission fault (IOTLB hit)".into()),
            (Err(_), false) => NestedResult::Said("fault (table walk)".into()),
        };
        self.enter(
            "smmu_translate",
            vec![hex(iova), if write { "write" } else { "read" }.into()],
        );
        self.leave(how);
        let t = r.ok()?;
        if t.stale {
            let n = self.dom_name(d);
            self.i6(
                d,
                vec![dev],
                format!(
                    "IOVA {iova:#x} of {n} was reached after its PTEs were cleared but before the IOTLB flush (stale IOTLB entry → {:#x})",
                    t.phys
                ),
            );
        }
        Some(t.phys)
    }

    /// The default DMA-API facts of a device as probed.
    pub(crate) fn default_dma_device(is_pci: bool) -> DmaDevice {
        // The driver set a 64-bit mask (dma_set_mask_and_coherent(dev, DMA_BIT_MASK(64))).
        DmaDevice::new(is_pci, u64::MAX)
    }
}

#[cfg(test)]
mod tests;
