//! drivers/iommu/dma-iommu.c (v6.10-era, per-CPU flush queues): the DMA-API fast path —
//! `dma_map_page` / `dma_unmap_page` on a DMA or DMA_FQ domain, and the flush queue that
//! makes unmaps lazy.
//!
//! Device and domain identity stay abstract: calls take the domain's translation state
//! ([`PagingDomain`]), its `iova_cookie` ([`DmaCookie`]) and the device's DMA facts
//! ([`DmaDevice`]), so the domain layer decides which domain a device's DMA goes through.

use crate::errno::Errno;
use crate::iova::IovaDomain;
use crate::pgtable::{IoPgtableOps, IotlbGather, PagingDomain, Prot};
use serde::{Deserialize, Serialize};

/// `DMA_MAPPING_ERROR` (include/linux/dma-mapping.h): `~(dma_addr_t)0`.
pub const DMA_MAPPING_ERROR: u64 = u64::MAX;
/// `DMA_ATTR_PRIVILEGED`.
pub const DMA_ATTR_PRIVILEGED: u32 = 1 << 9;
/// `IOVA_DEFAULT_FQ_SIZE`.
pub const IOVA_DEFAULT_FQ_SIZE: usize = 256;
/// `IOVA_DEFAULT_FQ_TIMEOUT` in ms.
pub const IOVA_DEFAULT_FQ_TIMEOUT_MS: u64 = 10;
/// `IOVA_SINGLE_FQ_SIZE` / `IOVA_SINGLE_FQ_TIMEOUT` (IOMMUs that shadow flushes, e.g. s390).
pub const IOVA_SINGLE_FQ_SIZE: usize = 32768;
pub const IOVA_SINGLE_FQ_TIMEOUT_MS: u64 = 1000;

/// `enum dma_data_direction` (include/linux/dma-direction.h).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DmaDirection {
    Bidirectional,
    ToDevice,
    FromDevice,
    None,
}

impl DmaDirection {
    pub const ALL: [DmaDirection; 4] = [
        DmaDirection::Bidirectional,
        DmaDirection::ToDevice,
        DmaDirection::FromDevice,
        DmaDirection::None,
    ];

    /// The scenario spelling (`BIDIRECTIONAL`), the kernel's without `DMA_`.
    pub const fn name(self) -> &'static str {
        match self {
            DmaDirection::Bidirectional => "BIDIRECTIONAL",
            DmaDirection::ToDevice => "TO_DEVICE",
            DmaDirection::FromDevice => "FROM_DEVICE",
            DmaDirection::None => "NONE",
        }
    }

    /// Parses `BIDIRECTIONAL` or the kernel's `DMA_BIDIRECTIONAL` (likewise the others).
    pub fn parse(s: &str) -> Option<DmaDirection> {
        let s = s.strip_prefix("DMA_").unwrap_or(s);
        DmaDirection::ALL.into_iter().find(|d| d.name() == s)
    }
}

/// What dma-iommu needs to know about a device.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DmaDevice {
    pub is_pci: bool,
    /// `dma_get_mask(dev)`.
    pub dma_mask: u64,
    /// `dev->bus_dma_limit`, 0 for none.
    pub bus_dma_limit: u64,
    /// `dev_is_dma_coherent(dev)`: mappings get IOMMU_CACHE.
    pub coherent: bool,
    /// `dev->iommu->pci_32bit_workaround`: set at probe for PCI devices unless
    /// `iommu.forcedac`; cleared for good the first time a 32-bit allocation fails.
    pub pci_32bit_workaround: bool,
}

impl DmaDevice {
    /// A device as probed: drivers/iommu/dma-iommu.c: iommu_dma_set_pci_32bit_workaround()
    /// (v6.10) with `iommu.forcedac` off.
    pub fn new(is_pci: bool, dma_mask: u64) -> Self {
        DmaDevice {
            is_pci,
            dma_mask,
            bus_dma_limit: 0,
            coherent: true,
            pci_32bit_workaround: is_pci,
        }
    }
}

/// drivers/iommu/dma-iommu.c: dma_info_to_prot() (v6.10).
pub const fn dma_info_to_prot(dir: DmaDirection, coherent: bool, attrs: u32) -> Prot {
    let mut p = if coherent { Prot::CACHE.0 } else { 0 };
    if attrs & DMA_ATTR_PRIVILEGED != 0 {
        p |= Prot::PRIV.0;
    }
    Prot(match dir {
        DmaDirection::Bidirectional => p | Prot::READ.0 | Prot::WRITE.0,
        DmaDirection::ToDevice => p | Prot::READ.0,
        DmaDirection::FromDevice => p | Prot::WRITE.0,
        DmaDirection::None => 0,
    })
}

/// `struct iova_fq_entry`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct FqEntry {
    iova_pfn: u64,
    pages: u64,
    counter: u64,
}

/// `struct iova_fq`: a ring whose `mod_mask` makes one slot always empty (255 usable of 256).
#[derive(Clone, Debug)]
struct FqRing {
    entries: Vec<FqEntry>,
    head: usize,
    tail: usize,
    mod_mask: usize,
}

impl FqRing {
    fn new(size: usize) -> Self {
        FqRing {
            entries: vec![FqEntry::default(); size],
            head: 0,
            tail: 0,
            mod_mask: size - 1,
        }
    }

    /// `fq_full()`.
    const fn is_full(&self) -> bool {
        (self.tail + 1) & self.mod_mask == self.head
    }

    fn len(&self) -> usize {
        self.tail.wrapping_sub(self.head) & self.mod_mask
    }
}

/// The flush queue of a DMA_FQ domain's cookie (per-CPU rings, one timer).
#[derive(Clone, Debug)]
pub struct FlushQueue {
    rings: Vec<FqRing>,
    timeout_ms: u64,
    flush_start_cnt: u64,
    flush_finish_cnt: u64,
    /// `fq_timer_on`: when the timer fires and on which CPU it was armed.
    timer: Option<(u64, usize)>,
}

impl FlushQueue {
    /// Entries waiting per CPU.
    pub fn pending(&self) -> Vec<usize> {
        self.rings.iter().map(FqRing::len).collect()
    }

    /// When the armed timer fires, if armed.
    pub fn timer_due(&self) -> Option<u64> {
        self.timer.map(|(t, _)| t)
    }

    /// The first pfn of every range waiting in a ring (`head` to `tail`).
    fn queued_pfns(&self) -> impl Iterator<Item = u64> + '_ {
        self.rings.iter().flat_map(|r| {
            (0..r.len())
                .filter_map(move |k| r.entries.get((r.head + k) & r.mod_mask).map(|e| e.iova_pfn))
        })
    }

    /// The picture of the queue for the UI.
    fn view(&self) -> crate::iova::view::FqView {
        crate::iova::view::FqView {
            pending: self.pending(),
            capacity: self.rings.first().map_or(0, |r| r.mod_mask),
            timer_due_ms: self.timer_due(),
        }
    }
}

/// dma-iommu counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DmaStats {
    pub maps: u64,
    pub map_errors: u64,
    pub unmaps: u64,
    /// `fq_flush_iotlb()` calls from the timer.
    pub fq_timer_flushes: u64,
    /// `fq_flush_iotlb()` calls because a ring was full.
    pub fq_full_flushes: u64,
}

/// `struct iommu_dma_cookie` (drivers/iommu/dma-iommu.c, v6.10) of a DMA or DMA_FQ domain.
#[derive(Clone, Debug)]
pub struct DmaCookie {
    pub iovad: IovaDomain,
    /// Present on a DMA_FQ (lazy) domain.
    pub fq: Option<FlushQueue>,
    pub stats: DmaStats,
    now_ms: u64,
    notices: Vec<String>,
    warnings: Vec<&'static str>,
}

impl DmaCookie {
    /// The allocator's [`crate::iova::view::IovaView`], with the ranges waiting in the flush
    /// queue marked and the queue's per-CPU depth (a DMA_FQ domain).
    pub fn iova_view(&self) -> crate::iova::view::IovaView {
        match &self.fq {
            Some(fq) => self.iovad.view_with_fq(fq.queued_pfns(), fq.view()),
            None => self.iovad.view(),
        }
    }

    /// drivers/iommu/dma-iommu.c: iommu_dma_init_domain() (v6.10) for a domain whose
    /// aperture is forced; with `lazy`, iommu_dma_init_fq() with per-CPU queues of 256
    /// entries and a 10 ms timer.
    pub fn new<P: IoPgtableOps>(
        domain: &PagingDomain<P>,
        ncpus: usize,
        lazy: bool,
    ) -> Result<Self, Errno> {
        Self::with_fq(
            domain,
            ncpus,
            lazy.then_some((IOVA_DEFAULT_FQ_SIZE, IOVA_DEFAULT_FQ_TIMEOUT_MS)),
        )
    }

    /// As [`DmaCookie::new`] with an explicit flush queue `(entries, timeout_ms)`, e.g. the
    /// single-queue option (`IOVA_SINGLE_FQ_SIZE`, `IOVA_SINGLE_FQ_TIMEOUT_MS`).
    pub fn with_fq<P: IoPgtableOps>(
        domain: &PagingDomain<P>,
        ncpus: usize,
        fq: Option<(usize, u64)>,
    ) -> Result<Self, Errno> {
        let min = domain.min_pagesz();
        if min == 0 {
            return Err(Errno::EINVAL);
        }
        let order = min.trailing_zeros();
        let mut base_pfn = 1u64;
        if domain.force_aperture {
            base_pfn = base_pfn.max(domain.aperture_start >> order);
        }
        let iovad = IovaDomain::new(min, base_pfn, ncpus)?;
        let fq = match fq {
            Some((size, timeout_ms)) => {
                if !size.is_power_of_two() || size < 2 {
                    return Err(Errno::EINVAL);
                }
                Some(FlushQueue {
                    rings: (0..ncpus).map(|_| FqRing::new(size)).collect(),
                    timeout_ms,
                    flush_start_cnt: 0,
                    flush_finish_cnt: 0,
                    timer: None,
                })
            }
            None => None,
        };
        Ok(DmaCookie {
            iovad,
            fq,
            stats: DmaStats::default(),
            now_ms: 0,
            notices: Vec::new(),
            warnings: Vec::new(),
        })
    }

    /// Model time in ms.
    pub const fn now_ms(&self) -> u64 {
        self.now_ms
    }

    /// `dev_notice` lines since the last call ("Using 48-bit DMA addresses").
    pub fn take_notices(&mut self) -> Vec<String> {
        std::mem::take(&mut self.notices)
    }

    /// WARNs since the last call.
    pub fn take_warnings(&mut self) -> Vec<&'static str> {
        std::mem::take(&mut self.warnings)
    }

    /// drivers/iommu/dma-iommu.c: iommu_dma_alloc_iova() (v6.10): the 32-bit-first attempt
    /// for PCI devices, then the full limit with rcache flushing. 0 on failure.
    fn alloc_iova<P: IoPgtableOps>(
        &mut self,
        domain: &PagingDomain<P>,
        dev: &mut DmaDevice,
        size: u64,
        dma_limit: u64,
        cpu: usize,
    ) -> u64 {
        let shift = self.iovad.shift();
        let iova_len = size >> shift;
        let mut dma_limit = match (dma_limit, dev.bus_dma_limit) {
            (0, b) => b,
            (l, 0) => l,
            (l, b) => l.min(b),
        };
        if domain.force_aperture {
            dma_limit = dma_limit.min(domain.aperture_end);
        }
        if dma_limit > 0xFFFF_FFFF && dev.pci_32bit_workaround {
            let pfn = self
                .iovad
                .alloc_iova_fast(iova_len, 0xFFFF_FFFF >> shift, false, cpu);
            if pfn != 0 {
                return pfn << shift;
            }
            dev.pci_32bit_workaround = false;
            self.notices.push(format!(
                "Using {}-bit DMA addresses",
                64 - dma_limit.leading_zeros()
            ));
        }
        self.iovad
            .alloc_iova_fast(iova_len, dma_limit >> shift, true, cpu)
            << shift
    }

    /// drivers/iommu/dma-iommu.c: iommu_dma_map_page() → __iommu_dma_map() (v6.10), no
    /// swiotlb bounce: returns the DMA address or [`DMA_MAPPING_ERROR`]. `cpu` is the
    /// simulated CPU the call runs on.
    #[allow(clippy::too_many_arguments)]
    pub fn dma_map_page<P: IoPgtableOps>(
        &mut self,
        domain: &mut PagingDomain<P>,
        dev: &mut DmaDevice,
        phys: u64,
        size: u64,
        dir: DmaDirection,
        attrs: u32,
        cpu: usize,
    ) -> u64 {
        let prot = dma_info_to_prot(dir, dev.coherent, attrs);
        let iova_off = self.iovad.iova_offset(phys);
        let len = self.iovad.iova_align(size.saturating_add(iova_off));
        if len == 0 {
            self.stats.map_errors += 1;
            return DMA_MAPPING_ERROR;
        }
        let iova = self.alloc_iova(domain, dev, len, dev.dma_mask, cpu);
        if iova == 0 {
            self.stats.map_errors += 1;
            return DMA_MAPPING_ERROR;
        }
        if domain.iommu_map(iova, phys - iova_off, len, prot).is_err() {
            // iommu_dma_free_iova(cookie, iova, size, NULL): straight back.
            self.iovad
                .free_iova_fast(iova >> self.iovad.shift(), len >> self.iovad.shift(), cpu);
            self.stats.map_errors += 1;
            return DMA_MAPPING_ERROR;
        }
        self.stats.maps += 1;
        iova + iova_off
    }

    /// drivers/iommu/dma-iommu.c: iommu_dma_unmap_page() → __iommu_dma_unmap() (v6.10).
    /// Strict: the IOTLB range is invalidated and the IOVA freed before returning. Lazy:
    /// no invalidation now; the IOVA waits in this CPU's flush queue.
    #[allow(clippy::too_many_arguments)]
    pub fn dma_unmap_page<P: IoPgtableOps>(
        &mut self,
        domain: &mut PagingDomain<P>,
        _dev: &mut DmaDevice,
        dma_handle: u64,
        size: u64,
        _dir: DmaDirection,
        _attrs: u32,
        cpu: usize,
    ) {
        if domain.iommu_iova_to_phys(dma_handle) == 0 {
            self.warnings.push("dma_unmap_page: IOVA not mapped");
            return;
        }
        let iova_off = self.iovad.iova_offset(dma_handle);
        let dma_addr = dma_handle - iova_off;
        let len = self.iovad.iova_align(size.saturating_add(iova_off));
        let mut gather = IotlbGather::new();
        gather.queued = self.fq.is_some();
        let unmapped = domain.iommu_unmap_fast(dma_addr, len, &mut gather);
        if unmapped != len {
            self.warnings.push("dma_unmap_page: unmapped != size");
        }
        if !gather.queued {
            domain.iommu_iotlb_sync(&mut gather);
        }
        self.stats.unmaps += 1;
        let shift = self.iovad.shift();
        // iommu_dma_free_iova().
        if gather.queued {
            self.queue_iova(domain, dma_addr >> shift, len >> shift, cpu);
        } else {
            self.iovad
                .free_iova_fast(dma_addr >> shift, len >> shift, cpu);
        }
    }

    /// drivers/iommu/dma-iommu.c: fq_flush_iotlb() (v6.10).
    fn fq_flush_iotlb<P: IoPgtableOps>(&mut self, domain: &mut PagingDomain<P>) {
        if let Some(fq) = &mut self.fq {
            fq.flush_start_cnt += 1;
            domain.iommu_flush_iotlb_all();
            fq.flush_finish_cnt += 1;
        }
    }

    /// drivers/iommu/dma-iommu.c: fq_ring_free_locked() (v6.10): frees, into `cpu`'s
    /// rcache, every entry whose flush has completed.
    fn fq_ring_free(&mut self, ring: usize, cpu: usize) {
        let Some(fq) = &mut self.fq else { return };
        let counter = fq.flush_finish_cnt;
        let Some(r) = fq.rings.get_mut(ring) else {
            return;
        };
        while r.head != r.tail {
            let e = r.entries.get(r.head).copied().unwrap_or_default();
            if e.counter >= counter {
                break;
            }
            self.iovad.free_iova_fast(e.iova_pfn, e.pages, cpu);
            r.head = (r.head + 1) & r.mod_mask;
        }
    }

    /// drivers/iommu/dma-iommu.c: queue_iova() (v6.10).
    fn queue_iova<P: IoPgtableOps>(
        &mut self,
        domain: &mut PagingDomain<P>,
        pfn: u64,
        pages: u64,
        cpu: usize,
    ) {
        let ncpus = self.iovad.ncpus();
        let ring = cpu % ncpus;
        // First remove all entries already flushed out on another CPU.
        self.fq_ring_free(ring, ring);
        if self
            .fq
            .as_ref()
            .and_then(|f| f.rings.get(ring))
            .is_some_and(FqRing::is_full)
        {
            self.stats.fq_full_flushes += 1;
            self.fq_flush_iotlb(domain);
            self.fq_ring_free(ring, ring);
        }
        let now = self.now_ms;
        let Some(fq) = &mut self.fq else { return };
        let counter = fq.flush_start_cnt;
        if let Some(r) = fq.rings.get_mut(ring) {
            let idx = r.tail;
            r.tail = (idx + 1) & r.mod_mask;
            if let Some(e) = r.entries.get_mut(idx) {
                *e = FqEntry {
                    iova_pfn: pfn,
                    pages,
                    counter,
                };
            }
        }
        if fq.timer.is_none() {
            fq.timer = Some((now + fq.timeout_ms, ring));
        }
    }

    /// drivers/iommu/dma-iommu.c: fq_flush_timeout() (v6.10): one global flush, then every
    /// CPU's ring is drained (into the rcache of the CPU the timer runs on). The model runs
    /// the timer on the CPU that armed it (`queue_iova()`); the kernel's `fq_timer` is not
    /// pinned (`timer_setup(&cookie->fq_timer, fq_flush_timeout, 0)`), so with
    /// `timer_migration` it may fire on another CPU.
    fn fq_flush_timeout<P: IoPgtableOps>(&mut self, domain: &mut PagingDomain<P>, cpu: usize) {
        if let Some(fq) = &mut self.fq {
            fq.timer = None;
        }
        self.stats.fq_timer_flushes += 1;
        self.fq_flush_iotlb(domain);
        for ring in 0..self.iovad.ncpus() {
            self.fq_ring_free(ring, cpu);
        }
    }

    /// `tick Nms`: time passes. The flush-queue timer fires exactly when due (shared/MODEL.md
    /// idealises jiffies away) and the rcache depot work runs every 100 ms while needed.
    pub fn tick<P: IoPgtableOps>(&mut self, domain: &mut PagingDomain<P>, ms: u64) {
        let target = self.now_ms.saturating_add(ms);
        if let Some((due, cpu)) = self.fq.as_ref().and_then(|f| f.timer) {
            if due <= target {
                self.iovad.run_delayed_work(due);
                self.now_ms = due;
                self.fq_flush_timeout(domain, cpu);
            }
        }
        self.iovad.run_delayed_work(target);
        self.now_ms = target;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pgtable::{DmaAccess, LpaeConfig};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// A default LPAE domain, its cookie (2 CPUs, flush queue when `lazy`), and a coherent
    /// PCI device with a 64-bit mask.
    fn setup(lazy: bool) -> (PagingDomain, DmaCookie, DmaDevice) {
        let d = PagingDomain::new_lpae(LpaeConfig::default()).unwrap();
        let c = DmaCookie::new(&d, 2, lazy).unwrap();
        (d, c, DmaDevice::new(true, u64::MAX))
    }

    /// `setup(lazy)`, then one bidirectional 4K page at 0x8000_0000
    /// mapped, reached once (so the IOTLB caches it), then unmapped: the start of both
    /// unmap tests. Returns the IOVA it had.
    fn mapped_reached_unmapped(lazy: bool) -> (PagingDomain, DmaCookie, DmaDevice, u64) {
        let (mut d, mut c, mut dev) = setup(lazy);
        let iova = c.dma_map_page(
            &mut d,
            &mut dev,
            0x8000_0000,
            0x1000,
            DmaDirection::Bidirectional,
            0,
            0,
        );
        d.translate(iova, DmaAccess::Write).unwrap();
        c.dma_unmap_page(
            &mut d,
            &mut dev,
            iova,
            0x1000,
            DmaDirection::Bidirectional,
            0,
            0,
        );
        (d, c, dev, iova)
    }

    #[test]
    fn dma_map_page_pci_device_gets_32bit_iova_first() {
        let (mut d, mut c, mut dev) = setup(false);
        let iova = c.dma_map_page(
            &mut d,
            &mut dev,
            0x8000_1234,
            0x100,
            DmaDirection::Bidirectional,
            0,
            0,
        );
        assert_eq!(iova, 0xFFFF_F234);
        assert_eq!(d.iommu_iova_to_phys(iova), 0x8000_1234);
        // Coherent bidirectional: R|W|CACHE → inner-shareable write-back page.
        assert_eq!(d.pgtable.descriptor(0xFFFF_F000, 3), Some(0x8000_1F47));
        // A platform device goes straight to the top of its mask (48-bit aperture).
        let mut plat = DmaDevice::new(false, u64::MAX);
        let iova = c.dma_map_page(
            &mut d,
            &mut plat,
            0x9000_0000,
            0x2000,
            DmaDirection::ToDevice,
            0,
            0,
        );
        assert_eq!(iova, 0xFFFF_FFFF_E000);
    }

    #[test]
    fn dma_map_page_falls_back_to_full_mask_with_notice() {
        let mut d = PagingDomain::new_lpae(LpaeConfig::default()).unwrap();
        // Aperture starts just below 4G: one 4K page of 32-bit space.
        d.aperture_start = 0xFFFF_F000;
        let mut c = DmaCookie::new(&d, 1, false).unwrap();
        let mut dev = DmaDevice::new(true, (1 << 40) - 1);
        let a = c.dma_map_page(
            &mut d,
            &mut dev,
            0x1000,
            0x1000,
            DmaDirection::FromDevice,
            0,
            0,
        );
        assert_eq!(a, 0xFFFF_F000);
        let b = c.dma_map_page(
            &mut d,
            &mut dev,
            0x2000,
            0x1000,
            DmaDirection::FromDevice,
            0,
            0,
        );
        assert_eq!(b, (1 << 40) - 0x1000);
        assert!(!dev.pci_32bit_workaround);
        assert_eq!(
            c.take_notices(),
            vec!["Using 40-bit DMA addresses".to_string()]
        );
    }

    #[test]
    fn dma_map_page_failure_returns_mapping_error_and_frees_the_iova() {
        let (mut d, mut c, mut dev) = setup(false);
        assert_eq!(
            c.dma_map_page(&mut d, &mut dev, 0x1000, 0x1000, DmaDirection::None, 0, 0),
            DMA_MAPPING_ERROR
        );
        // The IOVA went to the rcache and is handed out again.
        let again = c.dma_map_page(
            &mut d,
            &mut dev,
            0x1000,
            0x1000,
            DmaDirection::ToDevice,
            0,
            0,
        );
        assert_eq!(again, 0xFFFF_F000);
        assert_eq!(c.iovad.rcache_stats()[0].hits, 1);
        assert_eq!(c.stats.map_errors, 1);
    }

    #[test]
    fn strict_unmap_invalidates_and_recycles_the_iova_at_once() {
        let (mut d, mut c, mut dev, iova) = mapped_reached_unmapped(false);
        assert_eq!(d.tlb().inv_range, 1);
        assert_eq!(d.translate(iova, DmaAccess::Write), Err(Errno::EFAULT));
        let again = c.dma_map_page(
            &mut d,
            &mut dev,
            0x9000_0000,
            0x1000,
            DmaDirection::Bidirectional,
            0,
            0,
        );
        assert_eq!(again, iova);
    }

    #[test]
    fn lazy_unmap_stale_iotlb_until_the_10ms_timer_flushes() {
        let (mut d, mut c, mut dev, iova) = mapped_reached_unmapped(true);
        assert_eq!(d.tlb().inv_range, 0);
        assert_eq!(c.fq.as_ref().unwrap().pending(), vec![1, 0]);
        assert_eq!(c.fq.as_ref().unwrap().timer_due(), Some(10));
        // The IOVA is not reused before the flush: a new map gets another one.
        let other = c.dma_map_page(
            &mut d,
            &mut dev,
            0x9000_0000,
            0x1000,
            DmaDirection::Bidirectional,
            0,
            0,
        );
        assert_eq!(other, iova - 0x1000);
        // The device still reaches the unmapped page through the stale entry (I6 hazard).
        let t = d.translate(iova, DmaAccess::Write).unwrap();
        assert!(t.stale);
        assert_eq!(t.phys, 0x8000_0000);
        c.tick(&mut d, 9);
        assert!(d.translate(iova, DmaAccess::Write).unwrap().stale);
        c.tick(&mut d, 1);
        assert_eq!(d.tlb().inv_full, 1);
        assert_eq!(c.stats.fq_timer_flushes, 1);
        assert_eq!(d.translate(iova, DmaAccess::Write), Err(Errno::EFAULT));
        assert_eq!(c.fq.as_ref().unwrap().pending(), vec![0, 0]);
        // Now the IOVA is back in the rcache.
        let third = c.dma_map_page(
            &mut d,
            &mut dev,
            0xA000_0000,
            0x1000,
            DmaDirection::Bidirectional,
            0,
            0,
        );
        assert_eq!(third, iova);
    }

    #[test]
    fn full_flush_queue_forces_a_global_flush() {
        let (mut d, mut c, mut dev) = setup(true);
        let iovas: Vec<u64> = (0..256)
            .map(|i| {
                c.dma_map_page(
                    &mut d,
                    &mut dev,
                    0x8000_0000 + i * 0x1000,
                    0x1000,
                    DmaDirection::ToDevice,
                    0,
                    0,
                )
            })
            .collect();
        for &a in &iovas {
            c.dma_unmap_page(&mut d, &mut dev, a, 0x1000, DmaDirection::ToDevice, 0, 0);
        }
        // 255 entries fit; the 256th finds the ring full, flushes, frees them all.
        assert_eq!(c.stats.fq_full_flushes, 1);
        assert_eq!(d.tlb().inv_full, 1);
        assert_eq!(c.fq.as_ref().unwrap().pending(), vec![1, 0]);
        assert_eq!(c.iovad.rcache_stats()[0].cached, 255);
    }
}
