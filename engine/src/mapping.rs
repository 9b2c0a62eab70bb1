//! The page tables of the kernel model's paging domains and their counters. Every paging
//! domain owns a [`KernelPaging`]: the pgtable module's [`PagingDomain`] over an ARM LPAE
//! stage-1 table wrapped in [`TracedPgtable`], which records each `map_pages`/`unmap_pages`
//! the core issues so the trace can show them as nested calls without the pgtable code
//! knowing about traces. The kernel calls that use them (`iommu_map()`, the DMA API,
//! device DMA, I6) are [`crate::core`]'s `map` module.

use crate::dma::{DmaCookie, DmaDirection};
use crate::errno::Errno;
use crate::pgtable::{
    ArmLpae, IoPgtableOps, IotlbGather, Leaf, LpaeConfig, PagingDomain, PgtableStats, Prot,
};
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
    pub(crate) ops: Vec<PgOp>,
    /// No recording (a `workload`: a million calls summarised, not traced one by one).
    pub(crate) paused: bool,
}

impl TracedPgtable {
    pub const fn new(inner: ArmLpae) -> Self {
        TracedPgtable {
            inner,
            ops: Vec::new(),
            paused: false,
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
        if self.paused {
            return result;
        }
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
        if self.paused {
            return unmapped;
        }
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

pub(crate) const fn dir_name(d: DmaDirection) -> &'static str {
    match d {
        DmaDirection::Bidirectional => "DMA_BIDIRECTIONAL",
        DmaDirection::ToDevice => "DMA_TO_DEVICE",
        DmaDirection::FromDevice => "DMA_FROM_DEVICE",
        DmaDirection::None => "DMA_NONE",
    }
}

#[cfg(test)]
mod tests;
