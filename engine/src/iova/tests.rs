//! iova.c behaviour: exact IOVAs for call sequences, rcache hit/miss accounting, depot.

use super::*;
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

const LIM32: u64 = 0xF_FFFF; // DMA_BIT_MASK(32) >> 12

fn iovad() -> IovaDomain {
    IovaDomain::new(4096, 1, 2).unwrap()
}

#[test]
fn alloc_iova_is_top_down_size_aligned_from_the_cached_node() {
    let mut d = iovad();
    let a = |d: &mut IovaDomain, n| d.alloc_iova(n, LIM32, true).unwrap().pfn_lo;
    assert_eq!(a(&mut d, 1), 0xF_FFFF);
    assert_eq!(a(&mut d, 2), 0xF_FFFC); // aligned to 2, 0xFFFFE left as a hole
    assert_eq!(a(&mut d, 1), 0xF_FFFB);
    assert_eq!(a(&mut d, 4), 0xF_FFF4);
    assert_eq!(a(&mut d, 3), 0xF_FFF0); // 3 pages aligned to 4
                                        // Freeing above cached32 moves it up: the next search restarts from there.
    assert!(d.free_iova(0xF_FFFC));
    assert_eq!(a(&mut d, 2), 0xF_FFFC);
    // Unaligned allocation takes the 3-page hole left under 0xFFFFB.
    assert_eq!(d.alloc_iova(3, LIM32, false).unwrap().pfn_lo, 0xF_FFF8);
    // Above 4G the other cached node is used.
    assert_eq!(
        d.alloc_iova(16, (1 << 36) - 1, true).unwrap().pfn_lo,
        (1 << 36) - 16
    );
    let got: Vec<u64> = d.ranges().map(|r| r.pfn_lo).collect();
    assert_eq!(
        got,
        vec![
            0xF_FFF0,
            0xF_FFF4,
            0xF_FFF8,
            0xF_FFFB,
            0xF_FFFC,
            0xF_FFFF,
            (1 << 36) - 16
        ]
    );
}

#[test]
fn alloc_iova_respects_start_pfn_and_remembers_max32() {
    let mut d = IovaDomain::new(4096, 0xF_FFF0, 1).unwrap();
    assert_eq!(d.alloc_iova(8, LIM32, true).unwrap().pfn_lo, 0xF_FFF8);
    assert_eq!(d.alloc_iova(8, LIM32, true).unwrap().pfn_lo, 0xF_FFF0);
    assert_eq!(d.alloc_iova(1, LIM32, true), None);
    assert_eq!(d.max32_alloc_size, 1);
    // Failing fast now, until something below 4G is freed.
    assert!(d.free_iova(0xF_FFF3));
    assert_eq!(d.max32_alloc_size, d.dma_32bit_pfn);
    assert_eq!(d.alloc_iova(4, LIM32, true).unwrap().pfn_lo, 0xF_FFF4);
}

#[test]
fn alloc_iova_retries_from_the_limit_when_below_the_cached_node_is_full() {
    let mut d = IovaDomain::new(4096, 0xF_FFF0, 1).unwrap();
    for want in (0xF_FFF0..=0xF_FFFF).rev() {
        assert_eq!(d.alloc_iova(1, LIM32, true).unwrap().pfn_lo, want);
    }
    // Free one page above the cached node's range only via the tree: cached32 moves up,
    // the walk from it finds 0xFFFFA.
    assert!(d.free_iova(0xF_FFFA));
    assert_eq!(d.alloc_iova(1, LIM32, true).unwrap().pfn_lo, 0xF_FFFA);
}

#[test]
fn rcache_hit_returns_the_freed_range_and_counts_per_size_class() {
    let mut d = iovad();
    let p = d.alloc_iova_fast(3, LIM32, true, 0);
    assert_eq!(p, 0xF_FFFC); // 3 rounded up to 4 pages
    d.free_iova_fast(p, 3, 0);
    assert_eq!(d.alloc_iova_fast(4, LIM32, true, 0), p);
    let s = d.rcache_stats();
    assert_eq!((s[2].hits, s[2].misses), (1, 1));
    // Another CPU has its own magazines: a miss there.
    d.free_iova_fast(p, 4, 0);
    assert_eq!(d.alloc_iova_fast(4, LIM32, true, 1), 0xF_FFF8);
    assert_eq!(d.rcache_stats()[2].misses, 2);
    // Too large for the caches: straight to the tree.
    let big = d.alloc_iova_fast(64, LIM32, true, 0);
    assert_eq!(big, 0xF_FF80); // below 0xFFFF8, aligned to 64
    d.free_iova_fast(big, 64, 0);
    assert_eq!(d.find_iova(big), None);
}

#[test]
fn rcache_pop_skips_ranges_above_the_limit() {
    let mut d = iovad();
    let high = d.alloc_iova_fast(1, (1 << 36) - 1, true, 0);
    assert_eq!(high, (1 << 36) - 1);
    d.free_iova_fast(high, 1, 0);
    // A 32-bit request cannot use it: a miss, served by the tree.
    assert_eq!(d.alloc_iova_fast(1, LIM32, false, 0), 0xF_FFFF);
    assert_eq!(d.rcache_stats()[0].misses, 2);
    assert_eq!(d.rcache_stats()[0].cached, 1);
}

#[test]
fn full_magazines_go_to_the_depot_and_delayed_work_trims_it() {
    let mut d = IovaDomain::new(4096, 1, 1).unwrap();
    let n = 3 * IOVA_MAG_SIZE + 1;
    let pfns: Vec<u64> = (0..n)
        .map(|_| d.alloc_iova_fast(1, LIM32, true, 0))
        .collect();
    assert_eq!(pfns[0], 0xF_FFFF);
    assert_eq!(pfns[n - 1], 0x10_0000 - n as u64);
    for &p in &pfns {
        d.free_iova_fast(p, 1, 0);
    }
    assert_eq!(d.rcache_stats()[0].depot_size, 2);
    assert_eq!(d.rcache_stats()[0].cached, n);
    d.run_delayed_work(99);
    assert_eq!(d.rcache_stats()[0].depot_size, 2);
    // At 100 ms one magazine (depot 2 > 1 CPU) goes back to the tree; at 200 ms the depot
    // is down to the CPU count and the work stops.
    d.run_delayed_work(250);
    assert_eq!(d.rcache_stats()[0].depot_size, 1);
    assert_eq!(d.rcache_stats()[0].cached, n - IOVA_MAG_SIZE);
    assert_eq!(d.ranges().count(), n - IOVA_MAG_SIZE);
}

#[test]
fn alloc_iova_fast_flushes_rcaches_and_retries() {
    let mut d = IovaDomain::new(4096, 0xF_FFF0, 2).unwrap();
    let pfns: Vec<u64> = (0..16)
        .map(|_| d.alloc_iova_fast(1, LIM32, true, 0))
        .collect();
    assert_eq!(pfns[15], 0xF_FFF0);
    for &p in &pfns {
        d.free_iova_fast(p, 1, 1);
    }
    assert_eq!(d.alloc_iova_fast(2, LIM32, false, 0), 0);
    assert_eq!(d.alloc_iova_fast(2, LIM32, true, 0), 0xF_FFFE);
    assert_eq!(d.rcache_stats()[0].cached, 0);
    assert_eq!(d.ranges().count(), 1);
}

#[test]
fn bad_arguments_never_panic() {
    assert_eq!(IovaDomain::new(3000, 1, 1).unwrap_err(), Errno::EINVAL);
    let mut d = iovad();
    assert_eq!(d.alloc_iova(0, LIM32, true), None);
    assert!(!d.free_iova(12345));
    d.free_iova_fast(0, 1 << 40, 99);
    assert_eq!(d.alloc_iova_fast(1, 0, true, 7), 0);
    assert_eq!(d.alloc_iova(u64::MAX, u64::MAX, true), None);
}

#[test]
fn iova_view_summarises_a_large_tree_in_bounded_spans() {
    let mut d = iovad();
    // 300 single pages top-down below 4G, contiguous: 0xf_fed4..=0xf_ffff.
    for _ in 0..300 {
        assert!(d.alloc_iova(1, LIM32, true).is_some());
    }
    let hi = d.alloc_iova(16, (1 << 36) - 1, true).unwrap();
    assert_eq!(hi.pfn_lo, (1 << 36) - 16);
    let v = d.view();
    assert_eq!(v.ranges, 301);
    assert!(v.summarised && v.spans.len() <= view::IovaView::LIMIT);
    // The 300 pages touch: one span; the 64-bit range is the other.
    let got: Vec<(u64, u64)> = v.spans.iter().map(|s| (s.pfn_lo, s.pfn_hi)).collect();
    assert_eq!(got, [(0xf_fed4, 0xf_ffff), ((1 << 36) - 16, (1 << 36) - 1)]);
    assert_eq!(v.cached_node, Some(hi));
    assert_eq!(v.cached32_node.map(|n| n.pfn_lo), Some(0xf_fed4));
    // A failed allocation below 4G is remembered as max32_alloc_size.
    let mut small = IovaDomain::new(4096, 0xf_fff0, 1).unwrap();
    assert!(small.alloc_iova(16, LIM32, true).is_some());
    assert!(small.alloc_iova(2, LIM32, true).is_none());
    assert_eq!(small.view().max32_alloc_size, 2);
}

#[test]
fn iova_view_magazines_fill_loaded_then_prev_then_the_depot() {
    let mut d = iovad();
    let pfns: Vec<u64> = (0..300)
        .map(|_| d.alloc_iova_fast(1, LIM32, true, 0))
        .collect();
    for p in &pfns {
        d.free_iova_fast(*p, 1, 0);
    }
    // 127 fill `loaded`; the 128th swaps the full one into `prev`; the 255th finds both
    // full and sends `loaded` to the depot: 300 = 127 (depot) + 127 (prev) + 46 (loaded).
    let v = d.view();
    let c = &v.rcaches[0];
    assert_eq!(
        c.cpus[0],
        view::CpuMagazines {
            loaded: 46,
            prev: 127
        }
    );
    assert_eq!(c.depot, 1);
    assert_eq!(c.depot_work_due_ms, Some(IOVA_DEPOT_DELAY_MS));
}
