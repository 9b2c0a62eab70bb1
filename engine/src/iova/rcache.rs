//! drivers/iommu/iova.c (v6.6+): the IOVA range caches — per size class (1…32 pages),
//! per CPU a `loaded` and a `prev` magazine, and a depot of full magazines trimmed by
//! delayed work.

use super::IovaDomain;
use serde::{Deserialize, Serialize};

/// `IOVA_MAG_SIZE`: 127 so that `struct iova_magazine` (size + pfns) is 1 KiB.
pub const IOVA_MAG_SIZE: usize = 127;
/// `IOVA_RANGE_CACHE_MAX_SIZE`: log of the largest cached size + 1 (1, 2, 4, 8, 16, 32).
pub const IOVA_RANGE_CACHE_MAX_SIZE: usize = 6;
/// `IOVA_DEPOT_DELAY`: `msecs_to_jiffies(100)`.
pub const IOVA_DEPOT_DELAY_MS: u64 = 100;

/// `struct iova_magazine`.
#[derive(Clone, Debug)]
pub struct Magazine {
    pub(super) size: usize,
    pub(super) pfns: [u64; IOVA_MAG_SIZE],
}

impl Magazine {
    /// `iova_magazine_alloc()`.
    fn new_boxed() -> Box<Magazine> {
        Box::new(Magazine {
            size: 0,
            pfns: [0; IOVA_MAG_SIZE],
        })
    }

    #[inline]
    const fn is_full(&self) -> bool {
        self.size == IOVA_MAG_SIZE
    }

    #[inline]
    const fn is_empty(&self) -> bool {
        self.size == 0
    }

    /// `iova_magazine_pop()`: the topmost pfn not above `limit_pfn`, swapped out with the
    /// top; 0 if none fits ("only fall back to the rbtree if we have no suitable pfns").
    #[inline]
    fn pop(&mut self, limit_pfn: u64) -> u64 {
        let live = self.pfns.get(..self.size).unwrap_or(&[]);
        let Some(i) = live.iter().rposition(|&p| p <= limit_pfn) else {
            return 0;
        };
        // The found pfn swaps places with the top, which is then dropped.
        self.size -= 1;
        self.pfns.swap(i, self.size);
        self.pfns.get(self.size).copied().unwrap_or(0)
    }

    /// `iova_magazine_push()` (callers check fullness).
    #[inline]
    fn push(&mut self, pfn: u64) {
        if let Some(slot) = self.pfns.get_mut(self.size) {
            *slot = pfn;
            self.size += 1;
        }
    }

    fn take_pfns(&mut self) -> impl Iterator<Item = u64> + '_ {
        let n = std::mem::take(&mut self.size);
        self.pfns.iter().take(n).copied()
    }
}

/// `struct iova_cpu_rcache`.
#[derive(Clone, Debug)]
pub struct CpuRcache {
    pub(super) loaded: Box<Magazine>,
    pub(super) prev: Box<Magazine>,
}

/// Counters of one size class.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RcacheStats {
    pub hits: u64,
    pub misses: u64,
    /// Full magazines in the depot now.
    pub depot_size: usize,
    /// Pfns cached in the CPUs' magazines and the depot now.
    pub cached: usize,
}

/// `struct iova_rcache`.
#[derive(Clone, Debug)]
pub struct IovaRcache {
    pub(super) cpus: Vec<CpuRcache>,
    /// The depot, a stack (`iova_depot_push/pop` on a singly linked list). Boxed so a
    /// magazine moves between a CPU and the depot as a pointer, as in the kernel.
    #[allow(clippy::vec_box)]
    pub(super) depot: Vec<Box<Magazine>>,
    /// When the delayed depot-trimming work fires, if scheduled.
    pub(super) work_due: Option<u64>,
    pub(super) hits: u64,
    pub(super) misses: u64,
}

impl IovaRcache {
    /// Every pfn this size class caches (CPU magazines and depot).
    pub(crate) fn cached_pfns(&self) -> impl Iterator<Item = u64> + '_ {
        let cpus = self.cpus.iter().flat_map(|c| [&c.loaded, &c.prev]);
        cpus.chain(self.depot.iter())
            .flat_map(|m| m.pfns.iter().take(m.size).copied())
    }

    pub(crate) fn new(ncpus: usize) -> Self {
        IovaRcache {
            cpus: (0..ncpus)
                .map(|_| CpuRcache {
                    loaded: Magazine::new_boxed(),
                    prev: Magazine::new_boxed(),
                })
                .collect(),
            depot: Vec::new(),
            work_due: None,
            hits: 0,
            misses: 0,
        }
    }

    pub(crate) fn stats(&self) -> RcacheStats {
        RcacheStats {
            hits: self.hits,
            misses: self.misses,
            depot_size: self.depot.len(),
            cached: self
                .cpus
                .iter()
                .map(|c| c.loaded.size + c.prev.size)
                .sum::<usize>()
                + self.depot.iter().map(|m| m.size).sum::<usize>(),
        }
    }
}

/// `order_base_2()`.
#[inline]
const fn order_base_2(n: u64) -> u32 {
    if n <= 1 {
        0
    } else {
        64 - (n - 1).leading_zeros()
    }
}

impl IovaDomain {
    /// drivers/iommu/iova.c: alloc_iova_fast() (v6.6): the rcache, then the tree; on failure
    /// with `flush_rcache`, every CPU's and the depot's cached ranges go back to the tree
    /// and the tree is tried once more. Returns the pfn, 0 on failure. `limit_pfn` is
    /// inclusive; `cpu` is taken modulo the CPU count.
    pub fn alloc_iova_fast(
        &mut self,
        size: u64,
        limit_pfn: u64,
        flush_rcache: bool,
        cpu: usize,
    ) -> u64 {
        // Round cacheable sizes up to a power of two so they can be freed back into a cache.
        let size = if size < 1 << (IOVA_RANGE_CACHE_MAX_SIZE - 1) {
            size.max(1).next_power_of_two()
        } else {
            size
        };
        let pfn = self.iova_rcache_get(size, limit_pfn.saturating_add(1), cpu);
        if pfn != 0 {
            return pfn;
        }
        let mut flush = flush_rcache;
        loop {
            if let Some(iova) = self.alloc_iova(size, limit_pfn, true) {
                return iova.pfn_lo;
            }
            if !flush {
                return 0;
            }
            // Try replenishing IOVAs by flushing rcache.
            flush = false;
            for c in 0..self.ncpus {
                self.free_cpu_cached_iovas(c);
            }
            self.free_global_cached_iovas();
        }
    }

    /// drivers/iommu/iova.c: free_iova_fast() (v6.6): into the rcache if it takes it,
    /// else back to the tree.
    pub fn free_iova_fast(&mut self, pfn: u64, size: u64, cpu: usize) {
        if self.iova_rcache_insert(pfn, size, cpu) {
            return;
        }
        self.free_iova(pfn);
    }

    /// drivers/iommu/iova.c: iova_rcache_get() / __iova_rcache_get() (v6.6).
    fn iova_rcache_get(&mut self, size: u64, limit_pfn: u64, cpu: usize) -> u64 {
        let log = order_base_2(size) as usize;
        let cpu = cpu % self.ncpus;
        let Some(rc) = self.rcaches.get_mut(log) else {
            return 0;
        };
        let limit = limit_pfn.wrapping_sub(size);
        let Some(c) = rc.cpus.get_mut(cpu) else {
            return 0;
        };
        let has_pfn = if !c.loaded.is_empty() {
            true
        } else if !c.prev.is_empty() {
            std::mem::swap(&mut c.loaded, &mut c.prev);
            true
        } else if let Some(m) = rc.depot.pop() {
            c.loaded = m;
            true
        } else {
            false
        };
        let pfn = if has_pfn { c.loaded.pop(limit) } else { 0 };
        if pfn != 0 {
            rc.hits += 1;
        } else {
            rc.misses += 1;
        }
        pfn
    }

    /// drivers/iommu/iova.c: iova_rcache_insert() / __iova_rcache_insert() (v6.6). A full
    /// `loaded` goes to the depot and schedules the trimming work.
    fn iova_rcache_insert(&mut self, pfn: u64, size: u64, cpu: usize) -> bool {
        let log = order_base_2(size) as usize;
        let cpu = cpu % self.ncpus;
        let now = self.now_ms;
        let Some(rc) = self.rcaches.get_mut(log) else {
            return false;
        };
        let Some(c) = rc.cpus.get_mut(cpu) else {
            return false;
        };
        if !c.loaded.is_full() {
        } else if !c.prev.is_full() {
            std::mem::swap(&mut c.loaded, &mut c.prev);
        } else if crate::fault::should_fail() {
            // iova_magazine_alloc(GFP_ATOMIC) failed: can_insert stays false and the
            // caller frees the IOVA to the tree.
            return false;
        } else {
            let full = std::mem::replace(&mut c.loaded, Magazine::new_boxed());
            rc.depot.push(full);
            // schedule_delayed_work() does nothing if the work is already pending.
            if rc.work_due.is_none() {
                rc.work_due = Some(now + IOVA_DEPOT_DELAY_MS);
            }
        }
        c.loaded.push(pfn);
        true
    }

    /// drivers/iommu/iova.c: free_cpu_cached_iovas() (v6.6).
    pub fn free_cpu_cached_iovas(&mut self, cpu: usize) {
        let cpu = cpu % self.ncpus;
        let mut pfns = Vec::new();
        for rc in &mut self.rcaches {
            if let Some(c) = rc.cpus.get_mut(cpu) {
                pfns.extend(c.loaded.take_pfns());
                pfns.extend(c.prev.take_pfns());
            }
        }
        for pfn in pfns {
            self.free_iova(pfn);
        }
    }

    /// drivers/iommu/iova.c: free_global_cached_iovas() (v6.6): empties every depot.
    pub fn free_global_cached_iovas(&mut self) {
        let mut pfns = Vec::new();
        for rc in &mut self.rcaches {
            while let Some(mut m) = rc.depot.pop() {
                pfns.extend(m.take_pfns());
            }
        }
        for pfn in pfns {
            self.free_iova(pfn);
        }
    }

    /// Advances model time to `now_ms`, running drivers/iommu/iova.c:
    /// iova_depot_work_func() (v6.6) each time it falls due: while a depot holds more
    /// magazines than there are CPUs, one goes back to the tree and the work re-arms.
    pub fn run_delayed_work(&mut self, now_ms: u64) {
        let ncpus = self.ncpus;
        loop {
            let due = self
                .rcaches
                .iter()
                .enumerate()
                .filter_map(|(i, r)| r.work_due.map(|t| (t, i)))
                .min();
            let Some((t, i)) = due else { break };
            if t > now_ms {
                break;
            }
            self.now_ms = t;
            let mut freed = Vec::new();
            if let Some(rc) = self.rcaches.get_mut(i) {
                rc.work_due = None;
                if rc.depot.len() > ncpus {
                    if let Some(mut m) = rc.depot.pop() {
                        freed.extend(m.take_pfns());
                        rc.work_due = Some(t + IOVA_DEPOT_DELAY_MS);
                    }
                }
            }
            for pfn in freed {
                self.free_iova(pfn);
            }
        }
        self.now_ms = self.now_ms.max(now_ms);
    }
}
