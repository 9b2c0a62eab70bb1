//! drivers/iommu/iova.c (v6.6+: list depot, `IOVA_DEPOT_DELAY`): the IOVA allocator
//! dma-iommu uses, i.e. a top-down range tree ([`rbtree`]) behind per-CPU magazine
//! caches ([`rcache`]).
//!
//! The kernel's red-black tree of `struct iova` is a `BTreeMap` from `pfn_lo` to `pfn_hi`
//! here: the allocator only needs ordered lookup, predecessor/successor steps and
//! insert/erase, which std's B-tree does with better cache behaviour and no unsafe code;
//! "node pointers" (`cached_node`, `cached32_node`, the anchor) become keys. The
//! allocation order is the kernel's exactly, so the same call sequence yields the same
//! IOVAs.

pub mod rbtree;
pub mod rcache;
pub mod view;

use crate::errno::Errno;
use rcache::{IovaRcache, RcacheStats};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
pub use view::IovaView;

pub use rcache::{IOVA_DEPOT_DELAY_MS, IOVA_MAG_SIZE, IOVA_RANGE_CACHE_MAX_SIZE};

/// `IOVA_ANCHOR`: the sentinel node at the top of the space.
pub const IOVA_ANCHOR: u64 = u64::MAX;

/// An allocated range of page frames (`struct iova`), inclusive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Iova {
    pub pfn_lo: u64,
    pub pfn_hi: u64,
}

/// `struct iova_domain` (include/linux/iova.h, v6.6+) with its rcaches and simulated CPUs.
#[derive(Clone, Debug)]
pub struct IovaDomain {
    /// The tree: `pfn_lo → pfn_hi`, the anchor included.
    pub(crate) nodes: BTreeMap<u64, u64>,
    /// `cached_node` / `cached32_node`, as the `pfn_lo` of the node they point at.
    pub(crate) cached_node: u64,
    pub(crate) cached32_node: u64,
    pub(crate) granule: u64,
    pub(crate) shift: u32,
    pub(crate) start_pfn: u64,
    pub(crate) dma_32bit_pfn: u64,
    pub(crate) max32_alloc_size: u64,
    pub(crate) rcaches: Vec<IovaRcache>,
    pub(crate) ncpus: usize,
    /// Model time in milliseconds (advanced by [`IovaDomain::run_delayed_work`]).
    pub(crate) now_ms: u64,
    /// What the tree walks cost so far ([`TreeStats`]).
    pub(crate) tree: TreeStats,
}

/// Counters of the range tree: allocations that walked it (`__alloc_and_insert_iova_range()`
/// calls, i.e. every allocation the rcache did not serve) and the nodes those walks stepped
/// over (`rb_prev()` steps). Not kernel state: the model's window on the slow path.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TreeStats {
    pub allocs: u64,
    pub steps: u64,
}

/// How scattered the allocated space is: the span from the lowest allocated pfn to the
/// highest (below the anchor), the pages allocated in it, and the ranges (tree nodes, the
/// anchor aside; ranges cached in an rcache included, as in the kernel's tree).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fragmentation {
    pub span_pages: u64,
    pub used_pages: u64,
    pub ranges: u64,
}

impl Fragmentation {
    /// The free share of the span, in thousandths (0: one solid block).
    pub fn free_permille(&self) -> u64 {
        if self.span_pages == 0 {
            return 0;
        }
        let free = self.span_pages.saturating_sub(self.used_pages) as u128;
        (free * 1000 / self.span_pages as u128) as u64
    }
}

impl IovaDomain {
    /// drivers/iommu/iova.c: init_iova_domain() + iova_domain_init_rcaches() (v6.6+).
    /// `granule` is a power of two ≥ 4K's smaller cousins (≥ 512); `start_pfn` is raised to 1
    /// as dma-iommu does (IOVA 0 is never handed out); `ncpus` ≥ 1 simulated CPUs.
    pub fn new(granule: u64, start_pfn: u64, ncpus: usize) -> Result<Self, Errno> {
        if !granule.is_power_of_two() || granule < 512 || ncpus == 0 {
            return Err(Errno::EINVAL);
        }
        let shift = granule.trailing_zeros();
        let dma_32bit_pfn = 1u64 << (32u32.saturating_sub(shift));
        let mut nodes = BTreeMap::new();
        nodes.insert(IOVA_ANCHOR, IOVA_ANCHOR);
        Ok(IovaDomain {
            nodes,
            cached_node: IOVA_ANCHOR,
            cached32_node: IOVA_ANCHOR,
            granule,
            shift,
            start_pfn: start_pfn.max(1),
            dma_32bit_pfn,
            max32_alloc_size: dma_32bit_pfn,
            rcaches: (0..IOVA_RANGE_CACHE_MAX_SIZE)
                .map(|_| IovaRcache::new(ncpus))
                .collect(),
            ncpus,
            now_ms: 0,
            tree: TreeStats::default(),
        })
    }

    pub const fn granule(&self) -> u64 {
        self.granule
    }

    /// `iova_shift()`.
    pub const fn shift(&self) -> u32 {
        self.shift
    }

    pub const fn start_pfn(&self) -> u64 {
        self.start_pfn
    }

    pub const fn ncpus(&self) -> usize {
        self.ncpus
    }

    /// `iova_offset()`.
    pub const fn iova_offset(&self, addr: u64) -> u64 {
        addr & (self.granule - 1)
    }

    /// `iova_align()`.
    pub const fn iova_align(&self, size: u64) -> u64 {
        size.wrapping_add(self.granule - 1) & !(self.granule - 1)
    }

    /// The allocated ranges in address order (anchor excluded); cached ranges included, as
    /// in the kernel's tree.
    pub fn ranges(&self) -> impl Iterator<Item = Iova> + '_ {
        self.nodes
            .iter()
            .filter(|(lo, _)| **lo != IOVA_ANCHOR)
            .map(|(&pfn_lo, &pfn_hi)| Iova { pfn_lo, pfn_hi })
    }

    /// The tree-walk counters.
    pub const fn tree_stats(&self) -> TreeStats {
        self.tree
    }

    /// The ranges in the tree (anchor aside): handed out, or cached in an rcache.
    pub fn tree_len(&self) -> usize {
        self.nodes.len().saturating_sub(1)
    }

    /// [`Fragmentation`] of the tree now: one pass over its ranges.
    pub fn fragmentation(&self) -> Fragmentation {
        let mut f = Fragmentation::default();
        let (mut lo, mut hi) = (u64::MAX, 0u64);
        for it in self.ranges() {
            lo = lo.min(it.pfn_lo);
            hi = hi.max(it.pfn_hi);
            f.used_pages = f.used_pages.saturating_add(it.pfn_hi - it.pfn_lo + 1);
            f.ranges += 1;
        }
        if f.ranges > 0 {
            f.span_pages = hi - lo + 1;
        }
        f
    }

    /// Per-size-class rcache counters (sizes 1, 2, 4, 8, 16, 32 pages).
    pub fn rcache_stats(&self) -> Vec<RcacheStats> {
        self.rcaches.iter().map(IovaRcache::stats).collect()
    }
}

#[cfg(test)]
mod tests;
