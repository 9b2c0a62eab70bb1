//! The mapping half of the kernel calls: `iommu_map()`/`iommu_unmap()`/
//! `iommu_iova_to_phys()`/`iommu_flush_iotlb_all()` on a domain, the DMA API
//! (`dma_map_page()`/`dma_unmap_page()`) through a device's default domain, time passing
//! for the flush queues, and device DMA resolved through the IOTLB and the page table.
//! The page tables and their trace wrapper are [`crate::mapping`]'s. Invariant I6
//! (shared/MODEL.md §4) is checked here, on the calls that can break it: a device access
//! served by an IOTLB entry whose PTEs are gone, and a map that reuses an IOVA the IOTLB
//! still caches.

use super::{Core, Cx, DmaTarget};
use crate::dma::{DmaCookie, DmaDevice, DmaDirection, DMA_MAPPING_ERROR};
use crate::domain::DomainType;
use crate::errno::Errno;
use crate::ids::{DeviceId, DomainId};
use crate::mapping::{
    dir_name, KernelPaging, MapCounters, PgOp, MODEL_CPUS, PGTABLE_TOTAL_BUDGET_BYTES,
};
use crate::pgtable::{DmaAccess, IoPgtableOps, IotlbGather, Leaf, Prot};
use crate::trace::{Breach, NestedResult, Ret};

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

impl Core {
    /// Takes a domain's page table (and cookie) out for one operation; put back with
    /// [`Core::put_paging`].
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

    /// As [`Core::take_paging`] for a domain with a DMA cookie; a domain without one
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

    /// The page table and cookie of `dev`'s DMA domain ([`Self::dma_domain`]), for
    /// reading its counters.
    pub fn dma_state(&self, dev: DeviceId) -> Option<(&KernelPaging, &DmaCookie)> {
        let dom = self.domains.get(&self.dma_domain(dev)?)?;
        Some((dom.paging.as_deref()?, dom.cookie.as_deref()?))
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
}

impl Cx<'_> {
    /// One `iommu_pgsize()` choice as a nested call (drivers/iommu/iommu.c, v6.8): its
    /// arguments (iova, paddr, the bytes left) and the `pgsize x pgcount` it returned.
    fn trace_pgsize(&mut self, iova: u64, paddr: u64, left: u64, pgsize: u64, pgcount: u64) {
        self.rec
            .enter("iommu_pgsize", vec![hex(iova), hex(paddr), hex(left)]);
        self.rec.leave(NestedResult::Said(format!(
            "{} x {pgcount}",
            size_name(pgsize)
        )));
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
                    self.trace_pgsize(iova, paddr, left, pgsize, pgcount);
                    self.rec.enter(
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
                    self.rec
                        .leave(NestedResult::Noted(r, format!("mapped {}", hex(mapped))));
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
                            self.rec.enter("iommu_unmap", vec![hex(start), hex(done)]);
                        }
                        done
                    } else {
                        size
                    };
                    let left = total.saturating_sub(iova.wrapping_sub(start));
                    self.trace_pgsize(iova, iova, left, pgsize, pgcount);
                    self.rec.enter(
                        "arm_lpae_unmap_pages",
                        vec![hex(iova), size_name(pgsize), pgcount.to_string()],
                    );
                    self.rec.leave(Ret::Value(unmapped));
                }
            }
        }
        if rollback {
            self.rec.leave(NestedResult::Void);
        }
        for w in p.take_warnings() {
            self.rec.warn("io-pgtable-arm", w);
        }
    }

    /// Reports I6 if a map reused IOVA space the IOTLB still caches a translation for.
    fn check_reuse(&mut self, d: DomainId, p: &KernelPaging, start: u64, size: u64) {
        if size == 0 {
            return;
        }
        if let Some(l) = stale_overlap(p, start, start.wrapping_add(size - 1)) {
            let n = self.core.dom_name(d);
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
        self.rec.breach(Breach {
            invariant: "I6",
            group: None,
            devices,
            domains: vec![d],
            message,
        });
    }

    fn freed_use(&mut self, d: DomainId, site: &str) {
        if self.core.domains.get(&d).is_some_and(|x| x.freed) {
            let n = self.core.dom_name(d);
            self.rec
                .model_warn(site, &format!("{n} used after iommu_domain_free()"));
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
        let Some(dom) = self.core.domains.get(&d) else {
            return Ret::Err(Errno::EINVAL);
        };
        if !dom.ty.is_paging() {
            return Ret::Err(Errno::EINVAL);
        }
        self.freed_use(d, "iommu_map");
        let Some((mut p, c)) = self.core.take_paging(d) else {
            return Ret::Err(Errno::ENODEV);
        };
        let r = p.iommu_map(iova, paddr, size, prot);
        self.trace_pgops(&mut p, iova, size, true);
        if r.is_ok() {
            self.check_reuse(d, &p, iova, size);
        }
        self.core.put_paging(d, p, c);
        Ret::from_result(r)
    }

    /// drivers/iommu/iommu.c: iommu_unmap() (v6.8): 0 for a domain without PAGING or an
    /// unaligned request; else `__iommu_unmap()` then `iommu_iotlb_sync()`.
    pub(crate) fn iommu_unmap(&mut self, d: DomainId, iova: u64, size: u64) -> Ret {
        let paging = self.core.domains.get(&d).is_some_and(|x| x.ty.is_paging());
        if !paging {
            return Ret::Value(0);
        }
        self.freed_use(d, "iommu_unmap");
        let Some((mut p, c)) = self.core.take_paging(d) else {
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
            self.rec
                .enter("iommu_iotlb_sync", vec![self.core.dom_name(d)]);
            self.rec
                .leave(NestedResult::Said(format!("{inv} range invalidation(s)")));
        }
        self.core.put_paging(d, p, c);
        Ret::Value(n)
    }

    /// drivers/iommu/iommu.c: iommu_iova_to_phys() (v6.8): IDENTITY → the IOVA, BLOCKED and
    /// other non-paging types → 0, paging → the table walk (0 when unmapped).
    pub(crate) fn iommu_iova_to_phys(&mut self, d: DomainId, iova: u64) -> Ret {
        self.freed_use(d, "iommu_iova_to_phys");
        Ret::Value(self.core.iova_to_phys(d, iova))
    }

    /// drivers/iommu/iommu.c: iommu_flush_iotlb_all() (v6.8): `ops->flush_iotlb_all` if the
    /// domain has one (paging domains of arm-smmu-v3: arm_smmu_flush_iotlb_all()).
    pub(crate) fn iommu_flush_iotlb_all(&mut self, d: DomainId) -> Ret {
        if let Some(dom) = self.core.domains.get_mut(&d) {
            if let Some(p) = dom.paging.as_mut() {
                p.iommu_flush_iotlb_all();
                let n = self.core.dom_name(d);
                self.rec.enter("arm_smmu_flush_iotlb_all", vec![n]);
                self.rec.leave(NestedResult::Void);
            }
        }
        Ret::Ok
    }

    /// Flags a DMA-API call while the group is attached elsewhere: the mapping lands in the
    /// default domain, which the device does not translate through (I2's concern).
    fn dma_domain_check(&mut self, dev: DeviceId, def: DomainId) {
        let cur = self
            .core
            .group_of(dev)
            .and_then(|g| self.core.group_domain(g));
        if cur != Some(def) {
            let n = self.core.dev_name(dev);
            let c = self.core.opt_dom_name(cur);
            self.rec.model_warn(
                "iommu_get_dma_domain",
                &format!("{n}: DMA API maps into the default domain while the group is attached to {c}: the device cannot reach the mapping"),
            );
        }
    }

    /// The iommu-dma path's hold on `dev`'s DMA domain `d` for one call at `site`: the
    /// domain checks ([`Self::dma_domain_check`], [`Self::freed_use`]), then its page table
    /// and cookie taken out. `None` when the domain has no cookie.
    fn take_dma_cookie(
        &mut self,
        dev: DeviceId,
        d: DomainId,
        site: &str,
    ) -> Option<(Box<KernelPaging>, Box<DmaCookie>)> {
        self.dma_domain_check(dev, d);
        self.freed_use(d, site);
        self.core.take_cookie(d)
    }

    /// Puts back what [`Self::take_dma_cookie`] took, and `dev`'s DMA state after the call.
    fn put_dma_cookie(
        &mut self,
        dev: DeviceId,
        ddev: DmaDevice,
        d: DomainId,
        p: Box<KernelPaging>,
        c: Box<DmaCookie>,
    ) {
        self.core.put_paging(d, p, Some(c));
        if let Some(x) = self.core.devices.get_mut(&dev) {
            x.dma = ddev;
        }
    }

    /// kernel/dma/mapping.c: dma_map_page_attrs() / dma_unmap_page_attrs() (v6.8), their
    /// common start: the device's DMA state (`ENODEV` for an unknown device), the traced
    /// arguments (device, address, size, direction), and
    /// `BUG_ON(!valid_dma_direction(dir))` reported at `site` for `DMA_NONE`. `Err` is what
    /// the call returns at once.
    fn dma_page_entry(
        &mut self,
        site: &str,
        dev: DeviceId,
        addr: u64,
        size: u64,
        dir: DmaDirection,
    ) -> Result<(DmaDevice, Vec<String>), Ret> {
        let Some(ddev) = self.core.devices.get(&dev).map(|x| x.dma.clone()) else {
            return Err(Ret::Err(Errno::ENODEV));
        };
        let args = vec![
            self.core.dev_name(dev),
            hex(addr),
            hex(size),
            dir_name(dir).into(),
        ];
        if dir == DmaDirection::None {
            self.rec.bug(site, "BUG_ON(!valid_dma_direction(dir))");
            return Err(Ret::Bug);
        }
        Ok((ddev, args))
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
        let (mut ddev, args) = match self.dma_page_entry("dma_map_page_attrs", dev, phys, size, dir)
        {
            Ok(x) => x,
            Err(ret) => return ret,
        };
        let Some(d) = self.core.dma_domain(dev) else {
            self.rec.enter("dma_direct_map_page", args);
            self.rec.leave(Ret::Value(phys));
            return Ret::Value(phys);
        };
        let Some((mut p, mut c)) = self.take_dma_cookie(dev, d, "dma_map_page") else {
            return Ret::DmaMappingError;
        };
        self.rec.enter("iommu_dma_map_page", args);
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
        self.rec.enter("iommu_dma_alloc_iova", vec![hex(len)]);
        let how = if after.rcache_hits > before.rcache_hits {
            "rcache hit"
        } else {
            "rcache miss"
        };
        self.rec.leave(NestedResult::Noted(alloc, how.into()));
        for n in c.take_notices() {
            let dn = self.core.dev_name(dev);
            self.rec
                .notice("iommu_dma_alloc_iova", &format!("{dn}: {n}"));
        }
        if let Some(PgOp::Map { iova: start, .. }) = ops.first().cloned() {
            let pa = phys - off;
            self.rec.enter(
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
            self.rec.leave(err.map_or(Ret::Ok, Ret::Err));
        }
        for w in c.take_warnings() {
            self.rec.warn("iommu_dma_map_page", w);
        }
        let ret = if iova == DMA_MAPPING_ERROR {
            self.rec.leave(Ret::DmaMappingError);
            Ret::DmaMappingError
        } else {
            self.rec.leave(Ret::Value(iova));
            self.check_reuse(d, &p, iova - off, len);
            Ret::Value(iova)
        };
        self.put_dma_cookie(dev, ddev, d, p, c);
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
        let (mut ddev, args) =
            match self.dma_page_entry("dma_unmap_page_attrs", dev, iova, size, dir) {
                Ok(x) => x,
                Err(ret) => return ret,
            };
        let Some(d) = self.core.dma_domain(dev) else {
            self.rec.enter("dma_direct_unmap_page", args);
            self.rec.leave(NestedResult::Void);
            return Ret::Ok;
        };
        let Some((mut p, mut c)) = self.take_dma_cookie(dev, d, "dma_unmap_page") else {
            return Ret::Ok;
        };
        self.rec.enter("iommu_dma_unmap_page", args);
        let before = MapCounters::of(&p, Some(&c));
        c.dma_unmap_page(&mut p, &mut ddev, iova, size, dir, 0, cpu % MODEL_CPUS);
        let after = MapCounters::of(&p, Some(&c));
        let off = c.iovad.iova_offset(iova);
        let len = c.iovad.iova_align(size.saturating_add(off));
        let ops = p.pgtable.take_ops();
        let unmapped = !ops.is_empty();
        if unmapped {
            self.rec
                .enter("iommu_unmap_fast", vec![hex(iova - off), hex(len)]);
            p.pgtable.ops = ops;
            self.trace_pgops(&mut p, iova - off, len, false);
            self.rec.leave(NestedResult::Void);
        }
        let inv = after.iotlb_inv_range - before.iotlb_inv_range;
        if inv > 0 {
            self.rec
                .enter("iommu_iotlb_sync", vec![self.core.dom_name(d)]);
            self.rec
                .leave(NestedResult::Said(format!("{inv} range invalidation(s)")));
        }
        if unmapped && c.fq.is_some() {
            if after.iotlb_inv_full > before.iotlb_inv_full {
                self.rec
                    .enter("fq_flush_iotlb", vec!["flush queue full".into()]);
                self.rec.leave(NestedResult::Void);
            }
            self.rec
                .enter("queue_iova", vec![hex(iova - off), hex(len)]);
            self.rec
                .leave(NestedResult::Said(format!("{} pending", after.fq_pending)));
        } else if unmapped {
            self.rec
                .enter("free_iova_fast", vec![hex(iova - off), hex(len)]);
            self.rec.leave(NestedResult::Void);
        }
        for w in c.take_warnings() {
            self.rec.warn("iommu_dma_unmap_page", w);
        }
        self.rec.leave(NestedResult::Void);
        self.put_dma_cookie(dev, ddev, d, p, c);
        Ret::Ok
    }

    /// `tick`: time passes. Every live DMA cookie's flush-queue timer fires when due
    /// (drivers/iommu/dma-iommu.c: fq_flush_timeout(), v6.8: one `flush_iotlb_all`, then the
    /// queued IOVAs go back to the rcache) and the rcache depot is trimmed every 100 ms
    /// (drivers/iommu/iova.c: iova_depot_work_func(), v6.7+). The cookies count whole ms.
    pub(crate) fn tick(&mut self, ns: u64) -> Ret {
        self.tick_except(ns, None)
    }

    /// [`Self::tick`] for every cookie but `skip`'s (a workload's, whose time passed inside it).
    fn tick_except(&mut self, ns: u64, skip: Option<DomainId>) -> Ret {
        let before_ms = self.core.now_ns / 1_000_000;
        self.core.now_ns = self.core.now_ns.saturating_add(ns);
        let ms = self.core.now_ns / 1_000_000 - before_ms;
        let ids: Vec<DomainId> = self
            .core
            .domains
            .values()
            .filter(|d| !d.freed && d.cookie.is_some() && Some(d.id) != skip)
            .map(|d| d.id)
            .collect();
        for d in ids {
            let Some((mut p, mut c)) = self.core.take_cookie(d) else {
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
                let n = self.core.dom_name(d);
                self.rec.enter("iova_depot_work_func", vec![n]);
                self.rec.leave(NestedResult::Said(format!(
                    "{} magazine(s) back to the tree",
                    depot_before - depot_after
                )));
            }
            if c.stats.fq_timer_flushes > flushes {
                let n = self.core.dom_name(d);
                self.rec.enter("fq_flush_timeout", vec![n]);
                self.rec.enter("fq_flush_iotlb", Vec::new());
                self.rec.leave(NestedResult::Void);
                self.rec.leave(NestedResult::Void);
            }
            self.core.put_paging(d, p, Some(c));
        }
        Ret::Ok
    }

    /// A `workload` statement on `dev`: [`crate::workload::run_workload`] through the
    /// device's DMA domain, i.e. `spec.count` times kernel/dma/mapping.c:
    /// dma_map_page_attrs() and dma_unmap_page_attrs() (v6.8) → drivers/iommu/dma-iommu.c:
    /// iommu_dma_map_page() / iommu_dma_unmap_page() (v6.10), as [`Self::dma_map_page`]
    /// and [`Self::dma_unmap_page`] make them one at a time, summarised instead of traced
    /// call by call. Time passes inside the workload for this domain's cookie and then for
    /// every other cookie. No IOMMU translation (dma-direct) leaves nothing to exercise:
    /// a model notice, no summary.
    pub(crate) fn workload(
        &mut self,
        dev: DeviceId,
        spec: &crate::workload::WorkloadSpec,
        progress: &mut dyn FnMut(u64) -> bool,
    ) -> (Ret, Option<crate::workload::WorkloadSummary>) {
        let size = spec.sizes.first().copied().unwrap_or(0);
        let (mut ddev, mut args) =
            match self.dma_page_entry("dma_map_page_attrs", dev, 0, size, spec.dir) {
                Ok(x) => x,
                Err(ret) => return (ret, None),
            };
        let Some(d) = self.core.dma_domain(dev) else {
            let n = self.core.dev_name(dev);
            self.rec.model_warn(
                "workload",
                &format!("{n}: dma-direct (no DMA or DMA_FQ default domain): no IOMMU fast path to exercise"),
            );
            return (Ret::Ok, None);
        };
        let Some((mut p, mut c)) = self.take_dma_cookie(dev, d, "workload") else {
            return (Ret::Ok, None);
        };
        args.truncate(1);
        args.push(format!("{} pairs", crate::trace::thousands(spec.count)));
        self.rec.enter("workload", args);
        p.pgtable.paused = true;
        let start = self.core.now_ns;
        let sum = crate::workload::run_workload(&mut p, &mut c, &mut ddev, spec, start, progress);
        p.pgtable.paused = false;
        let end = sum.last();
        for n in c.take_notices() {
            let dn = self.core.dev_name(dev);
            self.rec
                .notice("iommu_dma_alloc_iova", &format!("{dn}: {n}"));
        }
        for (w, n) in &sum.warnings {
            self.rec.warn("workload", &format!("{w} ({n}×)"));
        }
        if let Some(why) = &sum.stopped {
            self.rec.model_warn("workload", why);
        }
        self.rec.leave(NestedResult::Said(format!(
            "{} maps, {} unmaps, {} rcache hits, {} tree allocations, {} range + {} full IOTLB invalidations",
            end.maps, end.unmaps, end.rcache_hits, end.tree_allocs, end.inv_range, end.inv_full
        )));
        self.put_dma_cookie(dev, ddev, d, p, c);
        self.tick_except(sum.elapsed_ns, Some(d));
        (Ret::Ok, Some(sum))
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
        let p = self.core.domains.get_mut(&d)?.paging.as_mut()?;
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
        self.rec.enter(
            "smmu_translate",
            vec![hex(iova), if write { "write" } else { "read" }.into()],
        );
        self.rec.leave(how);
        let t = r.ok()?;
        if t.stale {
            let n = self.core.dom_name(d);
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

    /// The device issues one DMA access: resolve it through its context entry's domain.
    /// IDENTITY: the PA is the IOVA; BLOCKED: -EFAULT; paging: the modelled IOTLB, then the
    /// page table (no mapping, or a write through a read-only one: -EFAULT; a stale IOTLB
    /// entry still reaches the old page and is reported as I6). A freed domain still in the context is a use-after-free (the
    /// hardware walks freed tables): flagged, and the stale translation is returned.
    pub fn device_dma(&mut self, dev: DeviceId, iova: u64, write: bool) -> Ret {
        if !self.core.devices.contains_key(&dev) {
            return Ret::Err(Errno::ENODEV);
        }
        match self.core.dma_target(dev) {
            DmaTarget::Untranslated => Ret::Value(iova),
            DmaTarget::NoContext => Ret::Err(Errno::EFAULT),
            DmaTarget::Domain(d) => {
                let Some(dom) = self.core.domains.get(&d) else {
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
                    let n = self.core.dom_name(d);
                    self.rec.model_warn(
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
