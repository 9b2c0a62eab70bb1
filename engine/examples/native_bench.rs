//! Times the `wasm_bench` workloads natively with the same loop the Node script uses, for
//! the wasm-vs-native ratio in BENCHMARKS.md:
//! `cargo run -p iommu-engine --profile bench --example native_bench`.

#[path = "wasm_bench.rs"]
#[allow(dead_code)]
mod workloads;

use std::time::Instant;
use workloads::*;

/// The CPU time this thread has run, in ns (Linux: the first field of
/// `/proc/thread-self/schedstat`): on a shared machine, what the workload itself cost,
/// without the time other processes held the core.
fn thread_cpu_ns() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    s.split_whitespace().next()?.parse().ok()
}

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
        // The timed call, repeated until it has had 300 ms of CPU (at most 10 s): the
        // thread's CPU clock only advances at scheduler ticks.
        let cpu = thread_cpu_ns();
        let t = Instant::now();
        let mut reps = 0u32;
        loop {
            std::hint::black_box(f(iters));
            reps += 1;
            let ran = thread_cpu_ns().zip(cpu).map_or(u64::MAX, |(b, a)| b - a);
            if ran >= 300_000_000 || t.elapsed().as_secs() >= 10 {
                break;
            }
        }
        let n = f64::from(iters) * f64::from(reps) * units;
        let ns = t.elapsed().as_nanos() as f64 / n;
        match (cpu, thread_cpu_ns()) {
            (Some(a), Some(b)) => {
                let cpu_ns = (b - a) as f64 / n;
                println!("{name}\t{ns:.2} ns/unit\t(CPU {cpu_ns:.2} ns/unit, {reps} calls)");
            }
            _ => println!("{name}\t{ns:.2} ns/unit"),
        }
    }
}
