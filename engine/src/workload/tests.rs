use super::*;
use crate::pgtable::LpaeConfig;
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

/// A default LPAE domain, its cookie (2 CPUs, flush queue when `lazy`), a coherent PCI
/// device with a 64-bit mask, and `spec` run on them.
fn run(lazy: bool, spec: &WorkloadSpec) -> WorkloadSummary {
    let mut d = PagingDomain::new_lpae(LpaeConfig::default()).unwrap();
    let mut c = DmaCookie::new(&d, 2, lazy).unwrap();
    let mut dev = DmaDevice::new(true, u64::MAX);
    run_workload(&mut d, &mut c, &mut dev, spec, 0, &mut |_| true)
}

fn spec(count: u64, live: u64) -> WorkloadSpec {
    WorkloadSpec {
        live,
        ..WorkloadSpec::new(count)
    }
}

#[test]
fn strict_workload_misses_only_while_the_live_set_fills() {
    let s = run(false, &spec(1000, 8)).last();
    assert_eq!((s.maps, s.unmaps, s.map_errors), (1000, 1000, 0));
    assert_eq!((s.rcache_misses, s.rcache_hits, s.tree_allocs), (8, 992, 8));
    assert_eq!((s.inv_range, s.inv_full, s.fq_depth), (1000, 0, 0));
    assert_eq!((s.mapped, s.live_iovas, s.frag_permille), (0, 8, 0));
}

#[test]
fn lazy_workload_misses_one_ring_more_and_flushes_every_255_unmaps() {
    let s = run(true, &spec(1000, 8)).last();
    assert_eq!((s.maps, s.unmaps), (1000, 1000));
    // 8 to fill the live set, 255 more until the first full ring gives IOVAs back.
    assert_eq!(
        (s.rcache_misses, s.rcache_hits, s.tree_allocs),
        (263, 737, 263)
    );
    // Unmaps 256, 511, 766 find the ring full: (1000 - 1) / 255 = 3.
    assert_eq!((s.fq_full_flushes, s.inv_full, s.inv_range), (3, 3, 0));
    assert_eq!(s.fq_depth, 1000 - (1 + 255 * 3) + 1);
    assert_eq!(s.fq_timer_flushes, 0);
}

#[test]
fn lazy_workload_with_time_lets_the_10ms_timer_flush() {
    let sp = WorkloadSpec {
        interval_ns: 100_000,
        ..spec(10_000, 4)
    };
    let sum = run(true, &sp);
    let s = sum.last();
    // 10,004 steps of 0.1 ms (10,000 pairs, 4 drained unmaps).
    assert_eq!(sum.elapsed_ns, 10_004 * 100_000);
    assert_eq!(s.ms, 1000);
    assert!(s.fq_timer_flushes > 0);
    assert_eq!(s.inv_full, s.fq_timer_flushes + s.fq_full_flushes);
    // The timer is re-armed by the next queued IOVA: one flush per 10 ms at most.
    assert!(s.fq_timer_flushes <= 100, "{}", s.fq_timer_flushes);
}

#[test]
fn workload_samples_are_bounded_and_end_with_the_drained_state() {
    let sp = WorkloadSpec {
        sample: 1,
        sizes: vec![4096, 8192, 65536],
        cpus: 2,
        ..spec(5000, 32)
    };
    let sum = run(false, &sp);
    assert!(sum.samples.len() <= MAX_WORKLOAD_SAMPLES + 2);
    assert_eq!(sum.samples.first().map(|s| s.pairs), Some(0));
    let end = sum.last();
    assert_eq!(
        (end.pairs, end.maps, end.unmaps, end.mapped),
        (5000, 5000, 5000, 0)
    );
    assert!(sum.samples.windows(2).all(|w| w[0].pairs <= w[1].pairs));
    // The same seed gives the same run.
    assert_eq!(run(false, &sp), sum);
}

#[test]
fn cancelled_workload_stops_at_the_progress_call_and_drains() {
    let mut d = PagingDomain::new_lpae(LpaeConfig::default()).unwrap();
    let mut c = DmaCookie::new(&d, 2, false).unwrap();
    let mut dev = DmaDevice::new(true, u64::MAX);
    let mut seen = Vec::new();
    let sum = run_workload(&mut d, &mut c, &mut dev, &spec(200_000, 16), 0, &mut |n| {
        seen.push(n);
        n < 131_072
    });
    assert_eq!(seen, vec![65_536, 131_072]);
    assert_eq!(sum.stopped.as_deref(), Some("cancelled after 131072 pairs"));
    let s = sum.last();
    assert_eq!((s.maps, s.unmaps, s.mapped), (131_072, 131_072, 0));
}

#[test]
fn fragmentation_counts_the_free_share_of_the_allocated_span() {
    let mut iovad = crate::iova::IovaDomain::new(4096, 1, 1).unwrap();
    let a = iovad.alloc_iova(1, 0xFFFF, false).unwrap();
    let b = iovad.alloc_iova(2, 0xFFFF, false).unwrap();
    let c = iovad.alloc_iova(1, 0xFFFF, false).unwrap();
    assert_eq!(iovad.fragmentation().free_permille(), 0);
    assert!(iovad.free_iova(b.pfn_lo));
    let f = iovad.fragmentation();
    assert_eq!(
        (f.span_pages, f.used_pages, f.ranges),
        (a.pfn_hi - c.pfn_lo + 1, 2, 2)
    );
    assert_eq!(f.free_permille(), 500);
    assert_eq!(iovad.tree_stats().allocs, 3);
}
