//! I/O page tables and the core map/unmap paths above them.
//!
//! The kernel splits this in two: `drivers/iommu/iommu.c` owns `iommu_map()`,
//! `iommu_unmap()` and `iommu_pgsize()` and knows nothing of descriptor formats, and each
//! `drivers/iommu/io-pgtable-*.c` format implements `struct io_pgtable_ops`. Here the ops
//! table is the [`IoPgtableOps`] trait, [`arm_lpae`] is the one format, and
//! [`PagingDomain`] bundles a format with the state a paging `iommu_domain` carries for
//! translation (pgsize_bitmap, geometry, a modelled IOTLB, counters), so the domain layer
//! can own one and a device DMA can be resolved through it ([`PagingDomain::translate`]).

pub mod arm_lpae;

use crate::errno::Errno;
use crate::iotlb::{Iotlb, IotlbLookup};
use serde::{Deserialize, Serialize};
use std::cell::{Cell, Ref, RefCell};
use std::fmt;
use std::ops::BitOr;

pub use arm_lpae::{ArmLpae, LpaeConfig};

/// `IOMMU_READ` … `IOMMU_PRIV` (include/linux/iommu.h): the protection flags of a mapping.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Prot(pub u32);

impl Prot {
    pub const NONE: Prot = Prot(0);
    pub const READ: Prot = Prot(1 << 0);
    pub const WRITE: Prot = Prot(1 << 1);
    pub const CACHE: Prot = Prot(1 << 2);
    pub const NOEXEC: Prot = Prot(1 << 3);
    pub const MMIO: Prot = Prot(1 << 4);
    pub const PRIV: Prot = Prot(1 << 5);
    pub const RW: Prot = Prot(Self::READ.0 | Self::WRITE.0);

    /// True if every flag of `other` is set.
    pub const fn contains(self, other: Prot) -> bool {
        self.0 & other.0 == other.0
    }

    /// The scenario language's names (shared/SCENARIO.md "Calls"), in print order: `RW` is
    /// both READ and WRITE, so `IOMMU_READ|IOMMU_WRITE` prints as `RW`.
    pub const KEYWORDS: [(&'static str, Prot); 7] = [
        ("RW", Prot::RW),
        ("R", Prot::READ),
        ("W", Prot::WRITE),
        ("CACHE", Prot::CACHE),
        ("NOEXEC", Prot::NOEXEC),
        ("MMIO", Prot::MMIO),
        ("PRIV", Prot::PRIV),
    ];

    /// One flag as a scenario writes it: a [`Prot::KEYWORDS`] name, optionally with the
    /// kernel's `IOMMU_` prefix (`IOMMU_READ` and `IOMMU_WRITE` too).
    pub fn from_keyword(s: &str) -> Option<Prot> {
        let s = s.strip_prefix("IOMMU_").unwrap_or(s);
        let s = match s {
            "READ" => "R",
            "WRITE" => "W",
            other => other,
        };
        Prot::KEYWORDS
            .iter()
            .find(|(n, _)| *n == s)
            .map(|&(_, p)| p)
    }

    /// Parses the scenario spelling `R|W|CACHE` (also `RW`), shared/SCENARIO.md "Calls".
    pub fn parse(s: &str) -> Option<Prot> {
        s.split('|').try_fold(Prot::NONE, |p, part| {
            Some(p | Prot::from_keyword(part.trim())?)
        })
    }

    /// The scenario spelling ([`Prot::KEYWORDS`], `|`-joined; `0` for none): what the
    /// printer writes back.
    pub fn keywords(self) -> String {
        if self.0 == 0 {
            return "0".to_string();
        }
        let mut left = self.0;
        let mut parts = Vec::new();
        for (n, p) in Prot::KEYWORDS {
            if left & p.0 == p.0 {
                parts.push(n);
                left &= !p.0;
            }
        }
        parts.join("|")
    }
}

impl BitOr for Prot {
    type Output = Prot;
    fn bitor(self, rhs: Prot) -> Prot {
        Prot(self.0 | rhs.0)
    }
}

impl fmt::Display for Prot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        // One name per flag (the trace's `R|W`): every keyword but the combined `RW`.
        for &(name, flag) in Prot::KEYWORDS.iter().skip(1) {
            if self.contains(flag) && flag.0 != 0 {
                if !first {
                    f.write_str("|")?;
                }
                f.write_str(name)?;
                first = false;
            }
        }
        if first {
            f.write_str("0")?;
        }
        Ok(())
    }
}

/// A leaf found by a table walk: the IOVA range it covers, where it points, its descriptor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Leaf {
    pub iova_base: u64,
    pub size: u64,
    pub phys_base: u64,
    /// The raw 64-bit descriptor.
    pub pte: u64,
}

impl Leaf {
    /// Whether the descriptor lets a device write (stage 1: AP[2] clear).
    pub const fn writable(&self) -> bool {
        self.pte & arm_lpae::PTE_AP_RDONLY == 0
    }
}

/// Format-level counters (what the trace reports per domain).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PgtableStats {
    /// Descriptor stores (leaf writes, leaf clears, table installs).
    pub pte_writes: u64,
    pub tables_allocated: u64,
    pub tables_freed: u64,
    /// Table pages currently allocated, the top-level table included.
    pub tables_live: u64,
}

/// `struct iommu_iotlb_gather` (include/linux/iommu.h, v6.12): the range of IOVA whose
/// invalidation is owed, gathered page by page during an unmap.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IotlbGather {
    pub start: u64,
    pub end: u64,
    pub pgsize: u64,
    /// Set by dma-iommu when the flush queue will invalidate later (lazy mode).
    pub queued: bool,
    /// Ranges `(start, end)` whose sync `iommu_iotlb_gather_add_page()` forced early because
    /// a disjoint page or another page size arrived; invalidated at the next sync.
    pub synced_early: Vec<(u64, u64, u64)>,
}

impl Default for IotlbGather {
    fn default() -> Self {
        Self::new()
    }
}

impl IotlbGather {
    /// include/linux/iommu.h: iommu_iotlb_gather_init() (v6.12).
    pub const fn new() -> Self {
        IotlbGather {
            start: u64::MAX,
            end: 0,
            pgsize: 0,
            queued: false,
            synced_early: Vec::new(),
        }
    }

    /// include/linux/iommu.h: iommu_iotlb_gather_is_disjoint() (v6.12).
    pub const fn is_disjoint(&self, iova: u64, size: u64) -> bool {
        let end = iova.wrapping_add(size).wrapping_sub(1);
        self.end != 0 && (end.wrapping_add(1) < self.start || iova > self.end.wrapping_add(1))
    }

    /// include/linux/iommu.h: iommu_iotlb_gather_add_page() (v6.12). A disjoint page or a
    /// different page size forces the pending range to be synced first.
    pub fn add_page(&mut self, iova: u64, size: u64) {
        if (self.pgsize != 0 && self.pgsize != size) || self.is_disjoint(iova, size) {
            self.synced_early.push((self.start, self.end, self.pgsize));
            self.start = u64::MAX;
            self.end = 0;
            self.pgsize = 0;
        }
        self.pgsize = size;
        self.add_range(iova, size);
    }

    /// `count` consecutive `add_page(iova + i*size, size)` calls: after the first, each page
    /// is adjacent and of the same size, so only the end moves.
    pub fn add_pages(&mut self, iova: u64, size: u64, count: u64) {
        if count == 0 {
            return;
        }
        self.add_page(iova, size);
        self.add_range(iova, size.saturating_mul(count));
    }

    /// include/linux/iommu.h: iommu_iotlb_gather_add_range() (v6.12).
    pub fn add_range(&mut self, iova: u64, size: u64) {
        let end = iova.wrapping_add(size).wrapping_sub(1);
        if self.start > iova {
            self.start = iova;
        }
        if self.end < end {
            self.end = end;
        }
    }

    /// Takes every owed range `(start, end_inclusive, pgsize)` and resets the gather.
    pub fn drain(&mut self) -> Vec<(u64, u64, u64)> {
        let mut out = std::mem::take(&mut self.synced_early);
        if self.pgsize != 0 {
            out.push((self.start, self.end, self.pgsize));
        }
        self.start = u64::MAX;
        self.end = 0;
        self.pgsize = 0;
        out
    }
}

/// `struct io_pgtable_ops` (include/linux/io-pgtable.h, v6.12): one page-table format.
pub trait IoPgtableOps {
    /// The page sizes the format supports after `arm_lpae_restrict_pgsizes()` and friends.
    fn pgsize_bitmap(&self) -> u64;
    /// Input address size in bits.
    fn ias(&self) -> u32;
    /// `map_pages`: map `pgcount` pages of `pgsize`; `mapped` grows by what was written
    /// even when an error is returned.
    fn map_pages(
        &mut self,
        iova: u64,
        paddr: u64,
        pgsize: u64,
        pgcount: u64,
        prot: Prot,
        mapped: &mut u64,
    ) -> Result<(), Errno>;
    /// `unmap_pages`: returns the bytes unmapped (0 for a hole or a refused split).
    fn unmap_pages(
        &mut self,
        iova: u64,
        pgsize: u64,
        pgcount: u64,
        gather: &mut IotlbGather,
    ) -> u64;
    /// `iova_to_phys`: 0 when nothing is mapped.
    fn iova_to_phys(&self, iova: u64) -> u64;
    /// The leaf translating `iova`, if any (a hardware table walk).
    fn walk(&self, iova: u64) -> Option<Leaf>;
    /// Ranges whose walk caches the format invalidated directly (`tlb_flush_walk`) since
    /// the last call, for the IOTLB model.
    fn take_walk_flushes(&mut self) -> Vec<(u64, u64)>;
    /// WARN/WARN_ONCE messages raised since the last call.
    fn take_warnings(&mut self) -> Vec<&'static str>;
    fn stats(&self) -> PgtableStats;
}

/// IOTLB and gather counters of one paging domain.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlbStats {
    /// Range invalidations (`iotlb_sync` of a gathered range, `tlb_flush_walk`).
    pub inv_range: u64,
    /// Full invalidations (`flush_iotlb_all`).
    pub inv_full: u64,
    pub iotlb_hits: u64,
    pub iotlb_misses: u64,
    /// Device accesses that hit an IOTLB entry the page table no longer backs (I6).
    pub stale_hits: u64,
}

/// Whether a device access reads or writes memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DmaAccess {
    Read,
    Write,
}

/// What a device DMA reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Translation {
    /// The physical address reached.
    pub phys: u64,
    /// Served by a cached IOTLB entry rather than a walk.
    pub from_iotlb: bool,
    /// The IOTLB entry used no longer matches the page table: the access went through a
    /// translation whose PTEs were cleared but whose invalidation has not completed
    /// (shared/MODEL.md §4 I6 is at risk: the memory may already be freed or reused).
    pub stale: bool,
}

/// The translation half of a paging `iommu_domain` (include/linux/iommu.h, v6.12):
/// `pgsize_bitmap`, `geometry`, the format's ops and the IOTLB the IOMMU caches for it.
#[derive(Clone, Debug)]
pub struct PagingDomain<P: IoPgtableOps = ArmLpae> {
    pub pgtable: P,
    /// `domain->pgsize_bitmap`: the format's bitmap, optionally narrowed by the driver.
    pub pgsize_bitmap: u64,
    /// `domain->geometry.aperture_start/aperture_end`, inclusive.
    pub aperture_start: u64,
    pub aperture_end: u64,
    /// `domain->geometry.force_aperture`.
    pub force_aperture: bool,
    /// The IOTLB and its counters sit in cells so a device access can be resolved through
    /// a shared reference (the domain layer's `Translate` seam); nothing here is shared
    /// across threads.
    iotlb: RefCell<Iotlb>,
    tlb: Cell<TlbStats>,
    /// WARNs raised by the last call (core or format), for the trace.
    pub warnings: Vec<&'static str>,
}

impl PagingDomain<ArmLpae> {
    /// A domain on a fresh ARM LPAE stage-1 table; the aperture is `[0, 2^ias - 1]`
    /// (drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c: arm_smmu_domain_finalise()).
    pub fn new_lpae(cfg: LpaeConfig) -> Result<Self, Errno> {
        Ok(PagingDomain::new(ArmLpae::new(cfg)?))
    }
}

impl<P: IoPgtableOps> PagingDomain<P> {
    pub fn new(pgtable: P) -> Self {
        let ias = pgtable.ias();
        PagingDomain {
            pgsize_bitmap: pgtable.pgsize_bitmap(),
            aperture_start: 0,
            aperture_end: if ias >= 64 {
                u64::MAX
            } else {
                (1u64 << ias) - 1
            },
            force_aperture: true,
            pgtable,
            iotlb: RefCell::new(Iotlb::default()),
            tlb: Cell::new(TlbStats::default()),
            warnings: Vec::new(),
        }
    }

    /// Narrows `domain->pgsize_bitmap` (a driver may offer fewer sizes than the format).
    /// Returns -EINVAL if nothing the format supports remains.
    pub fn restrict_pgsizes(&mut self, mask: u64) -> Result<(), Errno> {
        let b = self.pgtable.pgsize_bitmap() & mask;
        if b == 0 {
            return Err(Errno::EINVAL);
        }
        self.pgsize_bitmap = b;
        Ok(())
    }

    /// The smallest page size (`1 << __ffs(pgsize_bitmap)`).
    pub const fn min_pagesz(&self) -> u64 {
        if self.pgsize_bitmap == 0 {
            0
        } else {
            1u64 << self.pgsize_bitmap.trailing_zeros()
        }
    }

    /// Format counters (PTE writes, tables).
    pub fn stats(&self) -> PgtableStats {
        self.pgtable.stats()
    }

    /// IOTLB and invalidation counters.
    pub fn tlb(&self) -> TlbStats {
        self.tlb.get()
    }

    /// The modelled IOTLB's contents.
    pub fn iotlb(&self) -> Ref<'_, Iotlb> {
        self.iotlb.borrow()
    }

    fn bump(&self, f: impl FnOnce(&mut TlbStats)) {
        let mut t = self.tlb.get();
        f(&mut t);
        self.tlb.set(t);
    }

    /// drivers/iommu/iommu.c: iommu_pgsize() (v6.12). Returns `(pgsize, count)`.
    pub fn iommu_pgsize(&self, iova: u64, paddr: u64, size: u64) -> Option<(u64, u64)> {
        iommu_pgsize(self.pgsize_bitmap, iova, paddr, size)
    }

    /// drivers/iommu/iommu.c: iommu_map() / __iommu_map() (v6.12). Maps in the largest
    /// pieces `iommu_pgsize()` allows; on failure unmaps what this call mapped and returns
    /// the format's error. Type checks (PAGING) are the domain layer's.
    pub fn iommu_map(&mut self, iova: u64, paddr: u64, size: u64, prot: Prot) -> Result<(), Errno> {
        if self.pgsize_bitmap == 0 {
            return Err(Errno::ENODEV);
        }
        let min = self.min_pagesz();
        if (iova | paddr | size) & (min - 1) != 0 {
            return Err(Errno::EINVAL);
        }
        let (orig_iova, orig_size) = (iova, size);
        let (mut iova, mut paddr, mut size) = (iova, paddr, size);
        let mut ret = Ok(());
        while size != 0 {
            let Some((pgsize, count)) = self.iommu_pgsize(iova, paddr, size) else {
                // BUG_ON(!pgsizes) in the kernel; unreachable once the alignment check passed.
                ret = Err(Errno::EINVAL);
                break;
            };
            let mut mapped = 0;
            let r = self
                .pgtable
                .map_pages(iova, paddr, pgsize, count, prot, &mut mapped);
            // Some pages may have been mapped even if an error occurred.
            size -= mapped.min(size);
            if r.is_err() {
                ret = r;
                break;
            }
            iova = iova.wrapping_add(mapped);
            paddr = paddr.wrapping_add(mapped);
            if mapped == 0 {
                ret = Err(Errno::EINVAL);
                break;
            }
        }
        self.flush_walks();
        if ret.is_err() {
            // Unroll the mapping (__iommu_map: iommu_unmap(domain, orig_iova, orig_size - size)).
            self.iommu_unmap(orig_iova, orig_size - size);
        }
        self.collect_warnings();
        ret
    }

    /// drivers/iommu/iommu.c: iommu_unmap() (v6.12): `__iommu_unmap` then `iommu_iotlb_sync`.
    /// Returns the bytes unmapped, which may be fewer (hole, refused split) or more (a
    /// large entry, in formats that remove it whole) than asked.
    pub fn iommu_unmap(&mut self, iova: u64, size: u64) -> u64 {
        let mut gather = IotlbGather::new();
        let n = self.iommu_unmap_fast(iova, size, &mut gather);
        self.iommu_iotlb_sync(&mut gather);
        n
    }

    /// drivers/iommu/iommu.c: iommu_unmap_fast() / __iommu_unmap() (v6.12): the caller owns
    /// the gather and the sync.
    pub fn iommu_unmap_fast(&mut self, iova: u64, size: u64, gather: &mut IotlbGather) -> u64 {
        if self.pgsize_bitmap == 0 {
            return 0;
        }
        let min = self.min_pagesz();
        if (iova | size) & (min - 1) != 0 {
            self.warnings
                .push("unaligned: iova/size not aligned to min page size");
            return 0;
        }
        let mut unmapped = 0u64;
        let mut iova = iova;
        while unmapped < size {
            let Some((pgsize, count)) =
                iommu_pgsize(self.pgsize_bitmap, iova, iova, size - unmapped)
            else {
                break;
            };
            let n = self.pgtable.unmap_pages(iova, pgsize, count, gather);
            if n == 0 {
                break;
            }
            iova = iova.wrapping_add(n);
            unmapped += n;
        }
        self.flush_walks();
        self.collect_warnings();
        unmapped
    }

    /// include/linux/iommu.h: iommu_iotlb_sync() → arm_smmu_iotlb_sync() (v6.12): invalidate
    /// the gathered range(s); nothing if no page was gathered (lazy unmaps gather none).
    pub fn iommu_iotlb_sync(&mut self, gather: &mut IotlbGather) {
        if !gather.synced_early.is_empty() {
            for (start, end, _pgsize) in std::mem::take(&mut gather.synced_early) {
                self.bump(|t| t.inv_range += 1);
                self.iotlb.get_mut().invalidate_range(start, end);
            }
        }
        if gather.pgsize != 0 {
            self.bump(|t| t.inv_range += 1);
            self.iotlb
                .get_mut()
                .invalidate_range(gather.start, gather.end);
        }
        *gather = IotlbGather {
            queued: gather.queued,
            ..IotlbGather::new()
        };
    }

    /// drivers/iommu/iommu.c: iommu_flush_iotlb_all() → `flush_iotlb_all` (v6.12).
    pub fn iommu_flush_iotlb_all(&mut self) {
        self.bump(|t| t.inv_full += 1);
        self.iotlb.get_mut().invalidate_all();
    }

    /// drivers/iommu/iommu.c: iommu_iova_to_phys() (v6.12) for a paging domain.
    pub fn iommu_iova_to_phys(&self, iova: u64) -> u64 {
        self.pgtable.iova_to_phys(iova)
    }

    /// A device access at `iova`, as the IOMMU resolves it: the IOTLB first, then a table
    /// walk whose leaf is cached. -EFAULT on a translation or permission fault.
    pub fn translate(&self, iova: u64, access: DmaAccess) -> Result<Translation, Errno> {
        if self.pgtable.ias() < 64 && iova >> self.pgtable.ias() != 0 {
            return Err(Errno::EFAULT);
        }
        let hit = self.iotlb.borrow().lookup(iova, self.pgsize_bitmap);
        let (leaf, from_iotlb, stale) = match hit {
            IotlbLookup::Hit(leaf) => {
                self.bump(|t| t.iotlb_hits += 1);
                let stale = self.pgtable.walk(iova) != Some(leaf);
                if stale {
                    self.bump(|t| t.stale_hits += 1);
                }
                (leaf, true, stale)
            }
            IotlbLookup::Miss => {
                self.bump(|t| t.iotlb_misses += 1);
                let leaf = self.pgtable.walk(iova).ok_or(Errno::EFAULT)?;
                self.iotlb.borrow_mut().insert(leaf);
                (leaf, false, false)
            }
        };
        if access == DmaAccess::Write && !leaf.writable() {
            return Err(Errno::EFAULT);
        }
        Ok(Translation {
            phys: leaf.phys_base + (iova - leaf.iova_base),
            from_iotlb,
            stale,
        })
    }

    /// Takes the WARNs raised since the last call.
    pub fn take_warnings(&mut self) -> Vec<&'static str> {
        std::mem::take(&mut self.warnings)
    }

    fn flush_walks(&mut self) {
        for (iova, size) in self.pgtable.take_walk_flushes() {
            // arm_smmu_tlb_inv_walk(): a range invalidation of leaf and walk caches.
            self.bump(|t| t.inv_range += 1);
            self.iotlb
                .get_mut()
                .invalidate_range(iova, iova.wrapping_add(size).wrapping_sub(1));
        }
    }

    fn collect_warnings(&mut self) {
        let w = self.pgtable.take_warnings();
        if !w.is_empty() {
            self.warnings.extend(w);
        }
    }
}

/// drivers/iommu/iommu.c: iommu_pgsize() (v6.12). `None` where the kernel would BUG_ON
/// (no page size fits).
pub fn iommu_pgsize(bitmap: u64, iova: u64, paddr: u64, size: u64) -> Option<(u64, u64)> {
    if size == 0 {
        return None;
    }
    let addr_merge = paddr | iova;
    // Page sizes supported by the hardware and small enough for size.
    let fls_size = 63 - size.leading_zeros();
    let mut pgsizes = bitmap & genmask(fls_size);
    // Constrain the page sizes further based on the maximum alignment.
    if addr_merge != 0 {
        pgsizes &= genmask(addr_merge.trailing_zeros());
    }
    if pgsizes == 0 {
        return None;
    }
    let pgsize_idx = 63 - pgsizes.leading_zeros();
    let pgsize = 1u64 << pgsize_idx;
    let mut size = size;
    // The next bigger supported size, if any: no point splitting unless iova and paddr are
    // similarly offset within it and the request reaches past its next boundary.
    let bigger = bitmap & !genmask(pgsize_idx);
    if bigger != 0 {
        let next = 1u64 << bigger.trailing_zeros();
        if (iova ^ paddr) & (next - 1) == 0 {
            let offset = next - (addr_merge & (next - 1));
            if offset.saturating_add(next) <= size {
                size = offset;
            }
        }
    }
    Some((pgsize, size >> pgsize_idx))
}

/// `GENMASK(h, 0)`.
const fn genmask(h: u32) -> u64 {
    if h >= 63 {
        u64::MAX
    } else {
        (1u64 << (h + 1)) - 1
    }
}

#[cfg(test)]
mod tests;
