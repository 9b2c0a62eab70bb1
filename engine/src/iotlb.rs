//! A modelled IOTLB: the translations an IOMMU has cached for one domain.
//!
//! The kernel never sees this cache; it only sends invalidations (`iotlb_sync` of a
//! gathered range, `flush_iotlb_all`, walk flushes). Modelling it makes lazy invalidation
//! visible: after an unmap in DMA_FQ mode the entry survives until the flush queue's global
//! flush, and a device DMA through it still reaches the old physical page (the hazard
//! invariant I6 of shared/MODEL.md §4 guards). Capacity is unbounded: every leaf a device
//! touched stays cached until invalidated, the worst case real hardware may exhibit.

use crate::pgtable::Leaf;
use std::collections::BTreeMap;

/// Result of an IOTLB lookup.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IotlbLookup {
    Hit(Leaf),
    Miss,
}

/// Cached leaves keyed by `(iova_base, size)`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Iotlb {
    entries: BTreeMap<(u64, u64), Leaf>,
}

impl Iotlb {
    /// Looks `iova` up at every page size of `pgsize_bitmap`, largest first.
    pub fn lookup(&self, iova: u64, pgsize_bitmap: u64) -> IotlbLookup {
        if self.entries.is_empty() {
            return IotlbLookup::Miss;
        }
        let mut sizes = pgsize_bitmap;
        while sizes != 0 {
            let size = 1u64 << (63 - sizes.leading_zeros());
            sizes &= !size;
            if let Some(l) = self.entries.get(&(iova & !(size - 1), size)) {
                return IotlbLookup::Hit(*l);
            }
        }
        IotlbLookup::Miss
    }

    /// Caches a walked leaf.
    pub fn insert(&mut self, leaf: Leaf) {
        self.entries.insert((leaf.iova_base, leaf.size), leaf);
    }

    /// Drops every entry overlapping `[start, end]` (inclusive).
    pub fn invalidate_range(&mut self, start: u64, end: u64) {
        if self.entries.is_empty() {
            return;
        }
        self.entries.retain(|&(base, size), _| {
            let last = base.wrapping_add(size).wrapping_sub(1);
            last < start || base > end
        });
    }

    /// Drops everything.
    pub fn invalidate_all(&mut self) {
        self.entries.clear();
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The cached leaves, in IOVA order.
    pub fn entries(&self) -> impl Iterator<Item = &Leaf> {
        self.entries.values()
    }
}
