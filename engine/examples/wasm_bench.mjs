// Times the wasm_bench workloads under Node with the loop native_bench uses.
// Build, then run (from the workspace root):
//   cargo build -p iommu-engine --profile bench \
//     --target wasm32-unknown-unknown --example wasm_bench
//   node engine/examples/wasm_bench.mjs   (the bench profile builds into target/…/release)
import { readFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";

const path = process.argv[2] ??
  "target/wasm32-unknown-unknown/release/examples/wasm_bench.wasm";
const { instance } = await WebAssembly.instantiate(await readFile(path), {});
const x = instance.exports;
const runs = [
  ["pg_map_unmap_4k (per 4K page)", 262144, 20, x.pg_map_unmap_4k],
  ["pg_map_unmap_2m (per 2M block)", 512, 2000, x.pg_map_unmap_2m],
  ["iova_hit_mix (per pair)", 4096, 500, x.iova_hit_mix],
  ["iova_miss_mix (per pair)", 4096, 200, x.iova_miss_mix],
  ["dma_strict (per pair)", 1024, 500, x.dma_strict],
  ["dma_lazy (per pair)", 1024, 500, x.dma_lazy],
];
// V8 compiles wasm with its baseline tier first and swaps in optimised code between calls
// (there is no on-stack replacement for wasm), so warm every workload up, then give the
// background compiler a moment before the timed call.
for (const [, , , f] of runs) {
  const end = performance.now() + 300;
  while (performance.now() < end) f(1);
}
await new Promise((r) => setTimeout(r, 500));
// The CPU time this thread has run, in ns (Linux: /proc/thread-self/schedstat), as
// native_bench reports it: on a shared machine, what the workload itself cost.
const cpuNs = () => {
  try {
    return Number(readFileSync("/proc/thread-self/schedstat", "utf8").split(" ")[0]);
  } catch {
    return null;
  }
};
for (const [name, units, iters, f] of runs) {
  f(1);
  // The timed call, repeated until it has had 300 ms of CPU (at most 10 s), as natively.
  const c = cpuNs();
  const t = performance.now();
  let reps = 0;
  do {
    f(iters);
    reps += 1;
  } while (c !== null && cpuNs() - c < 3e8 && performance.now() - t < 1e4);
  const n = iters * units * reps;
  const ns = ((performance.now() - t) * 1e6) / n;
  const c2 = cpuNs();
  const cpu = c === null || c2 === null ? "" : `\t(CPU ${((c2 - c) / n).toFixed(2)} ns/unit, ${reps} calls)`;
  console.log(`${name}\t${ns.toFixed(2)} ns/unit${cpu}`);
}
