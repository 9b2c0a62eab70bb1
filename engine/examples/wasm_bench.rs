//! The benchmark workloads of `engine/benches/` as plain exported functions, so the same
//! code can be timed on wasm32 under Node (`engine/examples/wasm_bench.mjs`) and natively
//! (`engine/examples/native_bench.rs`, which includes this file). Each takes an iteration
//! count and returns a checksum so nothing is optimised away.

#[path = "../benches/common/sequence.rs"]
mod sequence;

use iommu_engine::dma::{DmaCookie, DmaDevice, DmaDirection};
use iommu_engine::iova::IovaDomain;
use iommu_engine::pgtable::{LpaeConfig, PagingDomain, Prot};

const SZ_4K: u64 = 0x1000;
const SZ_2M: u64 = 0x20_0000;
const SZ_1G: u64 = 0x4000_0000;
const BASE: u64 = SZ_1G + SZ_2M;
pub const IOVA_LIVE: usize = 256;
pub const IOVA_OPS: usize = 4096;
pub const DMA_PAIRS: u64 = 1024;
const LIMIT: u64 = (1 << 36) - 1;

fn map_unmap(bitmap: u64, iters: u32) -> u64 {
    let mut acc = 0;
    for _ in 0..iters {
        let Ok(mut d) = PagingDomain::new_lpae(LpaeConfig::default()) else {
            return 0;
        };
        let _ = d.restrict_pgsizes(bitmap);
        let _ = d.iommu_map(BASE, BASE, SZ_1G, Prot::RW);
        acc += d.iommu_unmap(BASE, SZ_1G) + d.stats().pte_writes;
    }
    acc
}

/// Map then unmap 1 GiB as 4K pages, `iters` times (262144 pages each).
#[no_mangle]
pub extern "C" fn pg_map_unmap_4k(iters: u32) -> u64 {
    map_unmap(SZ_4K, iters)
}

/// Map then unmap 1 GiB as 2M blocks, `iters` times (512 blocks each).
#[no_mangle]
pub extern "C" fn pg_map_unmap_2m(iters: u32) -> u64 {
    map_unmap(SZ_4K | SZ_2M, iters)
}

fn iova_mix(iters: u32, rcache: bool) -> u64 {
    let seq = sequence::sequence(IOVA_LIVE, IOVA_OPS);
    let Ok(mut d) = IovaDomain::new(4096, 1, 1) else {
        return 0;
    };
    let mut live: Vec<(u64, u64)> = (0..IOVA_LIVE)
        .map(|i| {
            let n = (i as u64 % 32) + 1;
            (d.alloc_iova_fast(n, LIMIT, true, 0), n)
        })
        .collect();
    let mut acc = 0;
    for _ in 0..iters {
        for &(slot, pages) in &seq {
            let Some(e) = live.get_mut(slot) else {
                continue;
            };
            if rcache {
                d.free_iova_fast(e.0, e.1, 0);
            } else {
                d.free_iova(e.0);
            }
            *e = (d.alloc_iova_fast(pages, LIMIT, true, 0), pages);
            acc ^= e.0;
        }
    }
    acc
}

/// `iters` × 4096 alloc+free pairs, rcache-hit-heavy mix.
#[no_mangle]
pub extern "C" fn iova_hit_mix(iters: u32) -> u64 {
    iova_mix(iters, true)
}

/// `iters` × 4096 alloc+free pairs, every free back to the tree (rcache misses).
#[no_mangle]
pub extern "C" fn iova_miss_mix(iters: u32) -> u64 {
    iova_mix(iters, false)
}

fn dma_pairs(iters: u32, lazy: bool) -> u64 {
    let Ok(mut d) = PagingDomain::new_lpae(LpaeConfig::default()) else {
        return 0;
    };
    let Ok(mut c) = DmaCookie::new(&d, 1, lazy) else {
        return 0;
    };
    let mut dev = DmaDevice::new(true, u64::MAX);
    let dir = DmaDirection::Bidirectional;
    let mut acc = 0;
    for _ in 0..iters {
        for i in 0..DMA_PAIRS {
            let iova = c.dma_map_page(&mut d, &mut dev, 0x8000_0000 + (i << 12), 0x1000, dir, 0, 0);
            c.dma_unmap_page(&mut d, &mut dev, iova, 0x1000, dir, 0, 0);
            acc ^= iova;
        }
    }
    acc
}

/// `iters` × 1024 dma_map_page + dma_unmap_page pairs, strict.
#[no_mangle]
pub extern "C" fn dma_strict(iters: u32) -> u64 {
    dma_pairs(iters, false)
}

/// `iters` × 1024 dma_map_page + dma_unmap_page pairs, lazy (flush queue).
#[no_mangle]
pub extern "C" fn dma_lazy(iters: u32) -> u64 {
    dma_pairs(iters, true)
}
