//! Times the `wasm_bench` workloads natively with the same loop the Node script uses, for
//! the wasm-vs-native ratio in BENCHMARKS.md:
//! `cargo run -p iommu-engine --profile bench --example native_bench`.

#[path = "wasm_bench.rs"]
#[allow(dead_code)]
mod workloads;

use std::time::Instant;
use workloads::*;

type Workload = (&'static str, f64, u32, extern "C" fn(u32) -> u64);

fn main() {
    let runs: [Workload; 6] = [
        (
            "pg_map_unmap_4k (per 4K page)",
            262_144.0,
            20,
            pg_map_unmap_4k,
        ),
        (
            "pg_map_unmap_2m (per 2M block)",
            512.0,
            2000,
            pg_map_unmap_2m,
        ),
        (
            "iova_hit_mix (per pair)",
            IOVA_OPS as f64,
            500,
            iova_hit_mix,
        ),
        (
            "iova_miss_mix (per pair)",
            IOVA_OPS as f64,
            200,
            iova_miss_mix,
        ),
        ("dma_strict (per pair)", DMA_PAIRS as f64, 500, dma_strict),
        ("dma_lazy (per pair)", DMA_PAIRS as f64, 500, dma_lazy),
    ];
    // An optional argument keeps only the workloads whose name contains it (for profiling).
    let filter = std::env::args().nth(1).unwrap_or_default();
    for (name, units, iters, f) in runs {
        if !name.contains(filter.as_str()) {
            continue;
        }
        std::hint::black_box(f(1));
        let t = Instant::now();
        std::hint::black_box(f(iters));
        let ns = t.elapsed().as_nanos() as f64 / (f64::from(iters) * units);
        println!("{name}\t{ns:.2} ns/unit");
    }
}
