//! IOVA alloc+free pairs on a steady mix (sizes 1–32 pages, 256 live, size-aligned):
//! ours through the rcache (hit-heavy), ours with every free going back to the tree so
//! every allocation misses (miss-heavy), vs range-alloc 0.1.5 and vm-allocator 0.1.4 on
//! the same sequence.

#[macro_use]
mod common;
#[path = "common/sequence.rs"]
mod sequence;

use criterion::{Criterion, Throughput};
use iommu_engine::iova::IovaDomain;
use std::hint::black_box;

const LIVE: usize = 256;
const OPS: usize = 4096;
const LIMIT: u64 = (1 << 36) - 1; // 48-bit IOVA space in 4K pfns

fn align_of(pages: u64) -> u64 {
    pages.next_power_of_two()
}

fn bench(c: &mut Criterion) {
    let seq = sequence::sequence(LIVE, OPS);
    let mut g = c.benchmark_group("iova_pair");
    g.throughput(Throughput::Elements(OPS as u64));

    g.bench_function("ours_rcache_hit_mix", |b| {
        let mut d = IovaDomain::new(4096, 1, 1).unwrap();
        let mut live: Vec<(u64, u64)> = (0..LIVE)
            .map(|i| {
                let n = (i as u64 % 32) + 1;
                (d.alloc_iova_fast(n, LIMIT, true, 0), n)
            })
            .collect();
        b.iter(|| {
            for &(slot, pages) in &seq {
                let (pfn, n) = live[slot];
                d.free_iova_fast(pfn, n, 0);
                live[slot] = (d.alloc_iova_fast(pages, LIMIT, true, 0), pages);
            }
            black_box(live[0])
        })
    });

    g.bench_function("ours_rcache_miss_mix", |b| {
        let mut d = IovaDomain::new(4096, 1, 1).unwrap();
        let mut live: Vec<u64> = (0..LIVE)
            .map(|i| d.alloc_iova_fast((i as u64 % 32) + 1, LIMIT, true, 0))
            .collect();
        b.iter(|| {
            for &(slot, pages) in &seq {
                d.free_iova(live[slot]);
                live[slot] = d.alloc_iova_fast(pages, LIMIT, true, 0);
            }
            black_box(live[0])
        })
    });

    g.bench_function("range_alloc", |b| {
        let mut a = range_alloc::RangeAllocator::new(1u64..LIMIT);
        let mut live: Vec<std::ops::Range<u64>> = (0..LIVE)
            .map(|i| {
                let n = (i as u64 % 32) + 1;
                a.allocate_range_aligned(n, align_of(n)).unwrap()
            })
            .collect();
        b.iter(|| {
            for &(slot, pages) in &seq {
                a.free_range(live[slot].clone());
                live[slot] = a.allocate_range_aligned(pages, align_of(pages)).unwrap();
            }
            black_box(live[0].start)
        })
    });

    #[cfg(not(target_arch = "wasm32"))]
    g.bench_function("vm_allocator", |b| {
        use vm_allocator::{AddressAllocator, AllocPolicy};
        let mut a = AddressAllocator::new(0x1000, LIMIT << 12).unwrap();
        let mut live: Vec<_> = (0..LIVE)
            .map(|i| {
                let n = (i as u64 % 32) + 1;
                a.allocate(n << 12, align_of(n) << 12, AllocPolicy::LastMatch)
                    .unwrap()
            })
            .collect();
        b.iter(|| {
            for &(slot, pages) in &seq {
                a.free(&live[slot]).unwrap();
                live[slot] = a
                    .allocate(pages << 12, align_of(pages) << 12, AllocPolicy::LastMatch)
                    .unwrap();
            }
            black_box(live[0].start())
        })
    });
    g.finish();
}

bench_main!(bench);
