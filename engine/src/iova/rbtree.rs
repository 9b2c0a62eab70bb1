//! drivers/iommu/iova.c (v6.6+): the top-down range tree allocator.

use super::{Iova, IovaDomain, IOVA_ANCHOR};
use std::ops::Bound::{Excluded, Unbounded};

/// `fls_long(x)`: 1-based index of the highest set bit, 0 for 0.
const fn fls_long(x: u64) -> u32 {
    64 - x.leading_zeros()
}

impl IovaDomain {
    /// The IOVA ranges handed out and not back in the allocator: tree nodes (the anchor
    /// aside) whose pfn no rcache holds. What a rolled-back allocation must leave alone.
    #[cfg(test)]
    pub(crate) fn in_use(&self) -> Vec<(u64, u64)> {
        let cached: std::collections::BTreeSet<u64> =
            self.rcaches.iter().flat_map(|r| r.cached_pfns()).collect();
        self.nodes
            .iter()
            .filter(|(lo, _)| **lo != super::IOVA_ANCHOR && !cached.contains(lo))
            .map(|(lo, hi)| (*lo, *hi))
            .collect()
    }

    /// The node `(pfn_lo, pfn_hi)` keyed `key`; the anchor if the key is gone (never the
    /// case while the cached-node updates hold).
    fn node(&self, key: u64) -> (u64, u64) {
        self.nodes
            .get(&key)
            .map_or((IOVA_ANCHOR, IOVA_ANCHOR), |&hi| (key, hi))
    }

    /// `rb_next()`'s key (the anchor is always above any other node).
    fn next_key(&self, lo: u64) -> u64 {
        self.nodes
            .range((Excluded(lo), Unbounded))
            .next()
            .map_or(IOVA_ANCHOR, |(&l, _)| l)
    }

    /// drivers/iommu/iova.c: __get_cached_rbnode() (v6.6).
    fn get_cached_rbnode(&self, limit_pfn: u64) -> u64 {
        if limit_pfn <= self.dma_32bit_pfn {
            self.cached32_node
        } else {
            self.cached_node
        }
    }

    /// drivers/iommu/iova.c: __cached_rbnode_insert_update() (v6.6).
    fn cached_rbnode_insert_update(&mut self, new: Iova) {
        if new.pfn_hi < self.dma_32bit_pfn {
            self.cached32_node = new.pfn_lo;
        } else {
            self.cached_node = new.pfn_lo;
        }
    }

    /// drivers/iommu/iova.c: __cached_rbnode_delete_update() (v6.6).
    fn cached_rbnode_delete_update(&mut self, free: Iova) {
        let (c32_lo, _) = self.node(self.cached32_node);
        if free.pfn_lo == c32_lo || (free.pfn_hi < self.dma_32bit_pfn && free.pfn_lo >= c32_lo) {
            self.cached32_node = self.next_key(free.pfn_lo);
        }
        if free.pfn_lo < self.dma_32bit_pfn {
            self.max32_alloc_size = self.dma_32bit_pfn;
        }
        let (c_lo, _) = self.node(self.cached_node);
        if free.pfn_lo >= c_lo {
            self.cached_node = self.next_key(free.pfn_lo);
        }
    }

    /// drivers/iommu/iova.c: iova_find_limit() (v6.6): where the retry walk restarts — the
    /// anchor above 4G, else the lowest node reaching `limit_pfn` or above.
    fn iova_find_limit(&self, limit_pfn: u64) -> (u64, u64) {
        if limit_pfn > self.dma_32bit_pfn {
            return (IOVA_ANCHOR, IOVA_ANCHOR);
        }
        if let Some((&lo, &hi)) = self.nodes.range(..limit_pfn).next_back() {
            if hi >= limit_pfn {
                return (lo, hi);
            }
        }
        self.nodes
            .range(limit_pfn..)
            .next()
            .map_or((IOVA_ANCHOR, IOVA_ANCHOR), |(&l, &h)| (l, h))
    }

    /// drivers/iommu/iova.c: __alloc_and_insert_iova_range() (v6.6). `limit_pfn` is
    /// exclusive here, as in the kernel (alloc_iova passes `limit_pfn + 1`).
    fn alloc_and_insert_iova_range(
        &mut self,
        size: u64,
        limit_pfn: u64,
        size_aligned: bool,
    ) -> Option<Iova> {
        if size == 0 {
            return None;
        }
        self.tree.allocs += 1;
        let align_mask = if size_aligned {
            u64::MAX.checked_shl(fls_long(size - 1)).unwrap_or(0)
        } else {
            u64::MAX
        };
        let mut high_pfn = limit_pfn;
        let mut low_pfn = self.start_pfn;
        if limit_pfn <= self.dma_32bit_pfn && size >= self.max32_alloc_size {
            return None; // iova32_full
        }
        let mut curr = Some(self.node(self.get_cached_rbnode(limit_pfn)));
        let retry_pfn = curr.map_or(IOVA_ANCHOR, |(_, hi)| hi);
        let mut new_pfn;
        loop {
            // Walk the tree backwards (one reverse cursor: each rb_prev() step is O(1)).
            let (clo, _) = curr.unwrap_or((IOVA_ANCHOR, IOVA_ANCHOR));
            high_pfn = high_pfn.min(clo);
            new_pfn = high_pfn.wrapping_sub(size) & align_mask;
            let mut prevs = self.nodes.range(..clo).rev();
            loop {
                curr = prevs.next().map(|(&l, &h)| (l, h));
                match curr {
                    Some((plo, phi)) if new_pfn <= phi && new_pfn >= low_pfn => {
                        self.tree.steps += 1;
                        high_pfn = high_pfn.min(plo);
                        new_pfn = high_pfn.wrapping_sub(size) & align_mask;
                    }
                    _ => break,
                }
            }
            if high_pfn < size || new_pfn < low_pfn {
                if low_pfn == self.start_pfn && retry_pfn < limit_pfn {
                    high_pfn = limit_pfn;
                    low_pfn = retry_pfn + 1;
                    curr = Some(self.iova_find_limit(limit_pfn));
                    continue;
                }
                self.max32_alloc_size = size;
                return None;
            }
            break;
        }
        let new = Iova {
            pfn_lo: new_pfn,
            pfn_hi: new_pfn + size - 1,
        };
        self.nodes.insert(new.pfn_lo, new.pfn_hi);
        self.cached_rbnode_insert_update(new);
        Some(new)
    }

    /// drivers/iommu/iova.c: alloc_iova() (v6.6): `size` pages at or below `limit_pfn`
    /// (inclusive), aligned to the next power of two of `size` if `size_aligned`.
    /// Fails (as `alloc_iova_mem()` returning NULL) under [`crate::fault`] injection.
    pub fn alloc_iova(&mut self, size: u64, limit_pfn: u64, size_aligned: bool) -> Option<Iova> {
        if crate::fault::should_fail() {
            return None;
        }
        self.alloc_and_insert_iova_range(size, limit_pfn.saturating_add(1), size_aligned)
    }

    /// drivers/iommu/iova.c: find_iova() / private_find_iova() (v6.6).
    pub fn find_iova(&self, pfn: u64) -> Option<Iova> {
        let (&lo, &hi) = self.nodes.range(..=pfn).next_back()?;
        (hi >= pfn && lo != IOVA_ANCHOR).then_some(Iova {
            pfn_lo: lo,
            pfn_hi: hi,
        })
    }

    /// drivers/iommu/iova.c: remove_iova() (v6.6).
    pub(crate) fn remove_iova(&mut self, iova: Iova) {
        self.cached_rbnode_delete_update(iova);
        self.nodes.remove(&iova.pfn_lo);
    }

    /// drivers/iommu/iova.c: free_iova() (v6.6): frees the range containing `pfn`; false
    /// if there is none (the kernel silently does nothing).
    pub fn free_iova(&mut self, pfn: u64) -> bool {
        match self.find_iova(pfn) {
            Some(iova) => {
                self.remove_iova(iova);
                true
            }
            None => false,
        }
    }

    /// drivers/iommu/iova.c: reserve_iova() (v6.6), simplified: reserves
    /// `[pfn_lo, pfn_hi]` where nothing is allocated yet (dma-iommu reserves the
    /// reserved regions this way before any allocation). Overlap → `None`.
    pub fn reserve_iova(&mut self, pfn_lo: u64, pfn_hi: u64) -> Option<Iova> {
        if pfn_lo > pfn_hi || pfn_hi == IOVA_ANCHOR {
            return None;
        }
        if self
            .nodes
            .range(..=pfn_hi)
            .next_back()
            .is_some_and(|(_, &h)| h >= pfn_lo)
        {
            return None;
        }
        self.nodes.insert(pfn_lo, pfn_hi);
        Some(Iova { pfn_lo, pfn_hi })
    }
}
