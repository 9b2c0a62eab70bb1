//! dma_map_page + dma_unmap_page pairs in steady state, strict (DMA) vs lazy (DMA_FQ); and
//! the same as a 1,000,000-pair `workload` with its counters, samples and series.

#[macro_use]
mod common;

use criterion::{Criterion, Throughput};
use iommu_engine::dma::{DmaCookie, DmaDevice, DmaDirection};
use iommu_engine::pgtable::{LpaeConfig, PagingDomain};
use iommu_engine::scenario::series::workload_series;
use iommu_engine::workload::{run_workload, WorkloadSpec};
use std::hint::black_box;

const PAIRS: u64 = 1024;

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("dma_pair");
    g.throughput(Throughput::Elements(PAIRS));
    for (name, lazy) in [("strict", false), ("lazy", true)] {
        g.bench_function(name, |b| {
            let mut d = PagingDomain::new_lpae(LpaeConfig::default()).unwrap();
            let mut cookie = DmaCookie::new(&d, 1, lazy).unwrap();
            let mut dev = DmaDevice::new(true, u64::MAX);
            b.iter(|| {
                let mut acc = 0;
                for i in 0..PAIRS {
                    let phys = 0x8000_0000 + (i << 12);
                    let iova = cookie.dma_map_page(
                        &mut d,
                        &mut dev,
                        phys,
                        0x1000,
                        DmaDirection::Bidirectional,
                        0,
                        0,
                    );
                    cookie.dma_unmap_page(
                        &mut d,
                        &mut dev,
                        iova,
                        0x1000,
                        DmaDirection::Bidirectional,
                        0,
                        0,
                    );
                    acc ^= iova;
                }
                black_box(acc)
            })
        });
    }
    g.finish();
    // The `workload` statement's engine: 1M pairs (live set 1: unmap, then map, as above),
    // counters sampled every 10,000 pairs, then the series the CLI and the UI draw.
    let mut g = c.benchmark_group("workload_1m");
    g.throughput(Throughput::Elements(1_000_000));
    for (name, lazy) in [("strict", false), ("lazy", true)] {
        g.bench_function(name, |b| {
            let spec = WorkloadSpec::new(1_000_000);
            b.iter(|| {
                let mut d = PagingDomain::new_lpae(LpaeConfig::default()).unwrap();
                let mut cookie = DmaCookie::new(&d, 1, lazy).unwrap();
                let mut dev = DmaDevice::new(true, u64::MAX);
                let sum = run_workload(&mut d, &mut cookie, &mut dev, &spec, 0, &mut |_| true);
                black_box(workload_series(&sum).len())
            })
        });
    }
    g.finish();
}

bench_main!(bench);
