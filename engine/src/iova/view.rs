//! A bounded, serialisable picture of one `struct iova_domain` for the UI (issue 15 §2):
//! the tree's ranges as a map of the space, the cached nodes the next search starts from,
//! `max32_alloc_size`, and every size class's per-CPU magazines and depot.
//!
//! The picture costs O([`IovaView::LIMIT`] · log n) whatever the tree holds: up to the limit
//! every range is listed exactly; past it the space is summarised as [`IovaView::LIMIT`]
//! spans of equal width, each from the first range starting in it to the last (found by two
//! ordered lookups, never a walk of the whole tree), so a million-pair workload's
//! snapshot stays small.

use super::rcache::IovaRcache;
use super::{Iova, IovaDomain, IOVA_ANCHOR};
use serde::Serialize;

/// One entry of the map: a range of the tree, or (summarised) the ranges of one span.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct IovaSpan {
    pub pfn_lo: u64,
    /// Inclusive.
    pub pfn_hi: u64,
    /// The range is free to the fast path (in a CPU's magazine or the depot) though still
    /// in the tree, as iova.c keeps it (exact listings only; `false` when summarised).
    pub cached: bool,
    /// The range waits in a flush-queue ring of a DMA_FQ domain: unmapped, but not yet
    /// freed to the allocator, because the IOTLB may still hold its translation until the
    /// next flush (drivers/iommu/dma-iommu.c: queue_iova() → fq_ring_free_locked(), v6.10).
    /// Exact listings only.
    pub queued: bool,
}

/// The flush queue of a DMA_FQ domain (drivers/iommu/dma-iommu.c, v6.10: `struct
/// iova_fq` per CPU and the one `fq_timer`), as the IOVA-space view draws it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FqView {
    /// IOVAs waiting in each CPU's ring.
    pub pending: Vec<usize>,
    /// Entries a ring holds before `queue_iova()` must flush (`fq_full()`: one slot of
    /// the ring always stays empty).
    pub capacity: usize,
    /// When the armed `fq_timer` fires (model ms), if armed.
    pub timer_due_ms: Option<u64>,
}

/// The fill of one CPU's two magazines (`struct iova_cpu_rcache`: `loaded`, `prev`), in
/// pfns out of [`super::IOVA_MAG_SIZE`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct CpuMagazines {
    pub loaded: usize,
    pub prev: usize,
}

/// One size class of the rcache (`struct iova_rcache`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RcacheView {
    /// The ranges it caches, in pages (1, 2, 4, 8, 16, 32).
    pub pages: u64,
    pub cpus: Vec<CpuMagazines>,
    /// Full magazines in the depot (`iova_depot_push()` only takes full ones).
    pub depot: usize,
    /// When `iova_depot_work_func()` runs next (model ms), if scheduled.
    pub depot_work_due_ms: Option<u64>,
    pub hits: u64,
    pub misses: u64,
}

/// include/linux/iova.h: `struct iova_domain` (v6.8) as the UI draws it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IovaView {
    /// `granule`, in bytes, and `iova_shift()`.
    pub granule: u64,
    pub shift: u32,
    /// `start_pfn`: nothing is allocated below it.
    pub start_pfn: u64,
    /// `dma_32bit_pfn`: the first pfn above the 32-bit window (4 GiB >> shift).
    pub dma_32bit_pfn: u64,
    /// `max32_alloc_size`: "Size of last failed allocation" below 4G; allocations of this
    /// many pages or more fail at once until a range below 4G is freed
    /// (drivers/iommu/iova.c: __alloc_and_insert_iova_range(), `iova32_full`, v6.8).
    /// Equal to `dma_32bit_pfn` when nothing has failed.
    pub max32_alloc_size: u64,
    /// `cached_node`: "Save last allocated node" above 4G, where the next search above
    /// the 32-bit window starts (drivers/iommu/iova.c: __get_cached_rbnode(), v6.8);
    /// `None` is the anchor (the top of the space).
    pub cached_node: Option<Iova>,
    /// `cached32_node`: the same below 4G; `None` is the anchor.
    pub cached32_node: Option<Iova>,
    /// Ranges in the tree, the anchor aside.
    pub ranges: u64,
    /// The map in address order: every range, or [`IovaView::LIMIT`] spans when
    /// `summarised`.
    pub spans: Vec<IovaSpan>,
    pub summarised: bool,
    /// Per size class, smallest first.
    pub rcaches: Vec<RcacheView>,
    /// The cookie's flush queue: a DMA_FQ (lazy) domain's; `None` for a strict one.
    pub fq: Option<FqView>,
}

impl IovaView {
    /// Ranges listed exactly at most; a larger tree is summarised into this many spans.
    pub const LIMIT: usize = 256;
}

impl IovaRcache {
    fn view(&self, log: usize) -> RcacheView {
        RcacheView {
            pages: 1u64 << log,
            cpus: self
                .cpus
                .iter()
                .map(|c| CpuMagazines {
                    loaded: c.loaded.size,
                    prev: c.prev.size,
                })
                .collect(),
            depot: self.depot.len(),
            depot_work_due_ms: self.work_due,
            hits: self.hits,
            misses: self.misses,
        }
    }
}

impl IovaDomain {
    /// The [`IovaView`] of this domain now (bounded: see the module docs).
    pub fn view(&self) -> IovaView {
        let node = |key: u64| {
            (key != IOVA_ANCHOR)
                .then(|| {
                    self.nodes.get(&key).map(|&hi| Iova {
                        pfn_lo: key,
                        pfn_hi: hi,
                    })
                })
                .flatten()
        };
        let ranges = self.tree_len();
        let (spans, summarised) = if ranges <= IovaView::LIMIT {
            let mut spans: Vec<IovaSpan> = self
                .ranges()
                .map(|r| IovaSpan {
                    pfn_lo: r.pfn_lo,
                    pfn_hi: r.pfn_hi,
                    cached: false,
                    queued: false,
                })
                .collect();
            // Every cached pfn is a tree node's `pfn_lo` (in address order in `spans`).
            for pfn in self.rcaches.iter().flat_map(IovaRcache::cached_pfns) {
                if let Ok(i) = spans.binary_search_by_key(&pfn, |s| s.pfn_lo) {
                    if let Some(s) = spans.get_mut(i) {
                        s.cached = true;
                    }
                }
            }
            (spans, false)
        } else {
            (self.summary_spans(), true)
        };
        IovaView {
            granule: self.granule,
            shift: self.shift,
            start_pfn: self.start_pfn,
            dma_32bit_pfn: self.dma_32bit_pfn,
            max32_alloc_size: self.max32_alloc_size,
            cached_node: node(self.cached_node),
            cached32_node: node(self.cached32_node),
            ranges: ranges as u64,
            spans,
            summarised,
            rcaches: self
                .rcaches
                .iter()
                .enumerate()
                .map(|(log, r)| r.view(log))
                .collect(),
            fq: None,
        }
    }

    /// [`IovaDomain::view`] with a flush queue's entries: each queued range (`pfn`, the
    /// ranges' `pfn_lo`) is marked `queued` (exact listings only), and `fq` set.
    pub(crate) fn view_with_fq(&self, queued: impl Iterator<Item = u64>, fq: FqView) -> IovaView {
        let mut v = self.view();
        if !v.summarised {
            for pfn in queued {
                if let Ok(i) = v.spans.binary_search_by_key(&pfn, |s| s.pfn_lo) {
                    if let Some(s) = v.spans.get_mut(i) {
                        s.queued = true;
                    }
                }
            }
        }
        v.fq = Some(fq);
        v
    }

    /// [`IovaView::LIMIT`] equal slices of the allocated span (lowest `pfn_lo` to highest
    /// `pfn_hi`); for each slice holding a range start, the span from its first range's
    /// `pfn_lo` to its last range's `pfn_hi`. Two ordered lookups per slice.
    fn summary_spans(&self) -> Vec<IovaSpan> {
        let below_anchor = || self.nodes.range(..IOVA_ANCHOR);
        let (Some((&lo, _)), Some((_, &hi))) = (below_anchor().next(), below_anchor().next_back())
        else {
            return Vec::new();
        };
        let width = (hi - lo) / IovaView::LIMIT as u64 + 1;
        let mut out: Vec<IovaSpan> = Vec::new();
        let mut start = lo;
        while start <= hi {
            let end = start.saturating_add(width);
            // `end` ≤ u64::MAX = the anchor, which the half-open range leaves out.
            let mut slice = self.nodes.range(start..end);
            if let Some((&first, &first_hi)) = slice.next() {
                let pfn_hi = slice.next_back().map_or(first_hi, |(_, &h)| h);
                match out.last_mut() {
                    // Touching the span before (a range reaching into this slice): one span.
                    Some(prev) if prev.pfn_hi.saturating_add(1) >= first => {
                        prev.pfn_hi = prev.pfn_hi.max(pfn_hi);
                    }
                    _ => out.push(IovaSpan {
                        pfn_lo: first,
                        pfn_hi,
                        cached: false,
                        queued: false,
                    }),
                }
            }
            if end <= start {
                break;
            }
            start = end;
        }
        out
    }
}
