//! dma_map_page + dma_unmap_page pairs in steady state, strict (DMA) vs lazy (DMA_FQ).

#[macro_use]
mod common;

use criterion::{Criterion, Throughput};
use iommu_engine::dma::{DmaCookie, DmaDevice, DmaDirection};
use iommu_engine::pgtable::{LpaeConfig, PagingDomain};
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
}

bench_main!(bench);
