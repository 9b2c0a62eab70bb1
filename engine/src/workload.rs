//! A seeded DMA-API workload: `count` `dma_map_page`/`dma_unmap_page` pairs through the real
//! fast path ([`DmaCookie::dma_map_page`] → iova.c's rcache or tree → io-pgtable-arm, and
//! back through the strict IOTLB sync or the flush queue), with a sampled summary instead of
//! one trace row per call: the scenario statement `workload` (docs/SCENARIO.md).
//!
//! The traffic is what a network driver's streaming DMA looks like: a live set of mapped
//! buffers; each pair unmaps one live buffer (seeded choice) once the set is full and maps
//! a new one, on a seeded CPU, with a size drawn from `sizes`. When the count is reached
//! the live set is drained, so `maps == unmaps == count` when nothing fails. Model time
//! passes by `interval_ns` per pair (flush-queue timer, rcache depot work); with 0 no time
//! passes.
//!
//! Like dma.rs this module names no kernel-model type: it takes the domain's translation
//! state, its cookie and the device's DMA facts.

use crate::dma::{DmaCookie, DmaDevice, DmaDirection, DMA_MAPPING_ERROR};
use crate::limits::{MAX_WORKLOAD_SAMPLES, MAX_WORKLOAD_TREE_STEPS};
use crate::pgtable::{IoPgtableOps, PagingDomain};
use serde::{Deserialize, Serialize};

/// What a `workload` statement asks for (defaults in [`WorkloadSpec::new`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkloadSpec {
    /// Map+unmap pairs.
    pub count: u64,
    /// Buffer sizes in bytes, one drawn per map (uniformly, seeded).
    pub sizes: Vec<u64>,
    /// Buffers mapped at once before each new map unmaps one.
    pub live: u64,
    /// Simulated CPUs the calls run on (drawn per pair, seeded), from CPU 0.
    pub cpus: u32,
    pub dir: DmaDirection,
    pub seed: u64,
    /// A sample every this many pairs.
    pub sample: u64,
    /// Model time per pair, in ns.
    pub interval_ns: u64,
}

impl WorkloadSpec {
    /// `count` pairs of one 4K bidirectional buffer on CPU 0, seed 1, 100 samples.
    pub fn new(count: u64) -> Self {
        WorkloadSpec {
            count,
            sizes: vec![4096],
            live: 1,
            cpus: 1,
            dir: DmaDirection::Bidirectional,
            seed: 1,
            sample: Self::default_sample(count),
            interval_ns: 0,
        }
    }

    /// One sample per hundredth of the count (at least every pair).
    pub const fn default_sample(count: u64) -> u64 {
        let s = count.div_ceil(100);
        if s == 0 {
            1
        } else {
            s
        }
    }
}

/// One point of the series: counters since the workload began, gauges as they are.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkloadSample {
    /// Pairs done (the drain counts as the last pairs).
    pub pairs: u64,
    pub maps: u64,
    pub unmaps: u64,
    pub map_errors: u64,
    /// `iova_rcache_get()` hits and misses (all size classes).
    pub rcache_hits: u64,
    pub rcache_misses: u64,
    /// Allocations that walked the range tree, and the nodes they stepped over.
    pub tree_allocs: u64,
    pub tree_steps: u64,
    /// IOTLB range invalidations (strict unmaps) and full ones (flush-queue flushes).
    pub inv_range: u64,
    pub inv_full: u64,
    /// Flush-queue flushes because a ring was full, and by the timer.
    pub fq_full_flushes: u64,
    pub fq_timer_flushes: u64,
    /// IOVAs waiting in the flush queues now (all CPUs).
    pub fq_depth: u64,
    /// The workload's buffers mapped now.
    pub mapped: u64,
    /// Ranges in the IOVA tree now (mapped, queued or cached in an rcache).
    pub live_iovas: u64,
    /// Free share of the allocated span, in thousandths ([`crate::iova::Fragmentation`]).
    pub frag_permille: u64,
    /// Model time since the workload began, ms.
    pub ms: u64,
}

/// What a workload did: its samples (the last one is the end state) and why it stopped
/// early, if it did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkloadSummary {
    pub spec: WorkloadSpec,
    /// Whether the domain was DMA_FQ (lazy) rather than DMA (strict).
    pub lazy: bool,
    pub samples: Vec<WorkloadSample>,
    /// Set when the run stopped before `count` pairs (the tree-walk budget, a cancel).
    pub stopped: Option<String>,
    /// Model time the workload took (its pairs × `interval_ns`).
    pub elapsed_ns: u64,
    /// Distinct WARN messages of the fast path, with how often each came.
    pub warnings: Vec<(String, u64)>,
}

impl WorkloadSummary {
    /// The end state (all zero for an empty run).
    pub fn last(&self) -> WorkloadSample {
        self.samples.last().copied().unwrap_or_default()
    }
}

/// splitmix64: a small, well-mixed seeded generator (Steele, Lea, Flood, OOPSLA 2014).
#[derive(Clone, Debug)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n` ≥ 1; the modulo bias is below 2^-40 for the sizes used).
    fn below(&mut self, n: u64) -> u64 {
        if n <= 1 {
            0
        } else {
            self.next() % n
        }
    }
}

/// The physical page of pair `i`: 4M apart (any buffer size fits), over 16 GiB from 4G.
const fn phys_of(i: u64) -> u64 {
    0x1_0000_0000 + ((i & 0xFFF) << 22)
}

/// Counters of the domain and cookie at one moment (since the domain was made; gauges
/// zero: [`WorkloadSample`]'s cumulative fields only).
pub fn counters<P: IoPgtableOps>(d: &PagingDomain<P>, c: &DmaCookie) -> WorkloadSample {
    let mut s = WorkloadSample::default();
    for r in c.iovad.rcache_stats() {
        s.rcache_hits += r.hits;
        s.rcache_misses += r.misses;
    }
    let t = c.iovad.tree_stats();
    s.tree_allocs = t.allocs;
    s.tree_steps = t.steps;
    s.inv_range = d.tlb().inv_range;
    s.inv_full = d.tlb().inv_full;
    s.maps = c.stats.maps;
    s.unmaps = c.stats.unmaps;
    s.map_errors = c.stats.map_errors;
    s.fq_full_flushes = c.stats.fq_full_flushes;
    s.fq_timer_flushes = c.stats.fq_timer_flushes;
    s
}

/// The run in progress.
struct Run<'a, P: IoPgtableOps> {
    domain: &'a mut PagingDomain<P>,
    cookie: &'a mut DmaCookie,
    dev: &'a mut DmaDevice,
    spec: &'a WorkloadSpec,
    base: WorkloadSample,
    live: Vec<(u64, u64)>,
    rng: Rng,
    start_ns: u64,
    elapsed_ns: u64,
    warnings: Vec<(String, u64)>,
}

impl<P: IoPgtableOps> Run<'_, P> {
    fn sample(&mut self, pairs: u64) -> WorkloadSample {
        let now = counters(self.domain, self.cookie);
        let b = self.base;
        let f = self.cookie.iovad.fragmentation();
        WorkloadSample {
            pairs,
            maps: now.maps - b.maps,
            unmaps: now.unmaps - b.unmaps,
            map_errors: now.map_errors - b.map_errors,
            rcache_hits: now.rcache_hits - b.rcache_hits,
            rcache_misses: now.rcache_misses - b.rcache_misses,
            tree_allocs: now.tree_allocs - b.tree_allocs,
            tree_steps: now.tree_steps - b.tree_steps,
            inv_range: now.inv_range - b.inv_range,
            inv_full: now.inv_full - b.inv_full,
            fq_full_flushes: now.fq_full_flushes - b.fq_full_flushes,
            fq_timer_flushes: now.fq_timer_flushes - b.fq_timer_flushes,
            fq_depth: self
                .cookie
                .fq
                .as_ref()
                .map_or(0, |q| q.pending().iter().map(|&n| n as u64).sum()),
            mapped: self.live.len() as u64,
            live_iovas: f.ranges,
            frag_permille: f.free_permille(),
            ms: self.elapsed_ns / 1_000_000,
        }
    }

    fn cpu(&mut self) -> usize {
        self.rng.below(u64::from(self.spec.cpus)) as usize
    }

    fn unmap(&mut self, k: usize, cpu: usize) {
        if k >= self.live.len() {
            return;
        }
        let (iova, size) = self.live.swap_remove(k);
        let dir = self.spec.dir;
        self.cookie
            .dma_unmap_page(self.domain, self.dev, iova, size, dir, 0, cpu);
    }

    fn map(&mut self, i: u64, cpu: usize) {
        let n = self.spec.sizes.len() as u64;
        let size = self
            .spec
            .sizes
            .get(self.rng.below(n) as usize)
            .copied()
            .unwrap_or(4096);
        let dir = self.spec.dir;
        let iova = self
            .cookie
            .dma_map_page(self.domain, self.dev, phys_of(i), size, dir, 0, cpu);
        if iova != DMA_MAPPING_ERROR {
            self.live.push((iova, size));
        }
    }

    /// Time passes by one pair's interval: the cookie's timers run on whole ms, as
    /// the kernel model's `tick` does.
    fn pass_time(&mut self) {
        if self.spec.interval_ns == 0 {
            return;
        }
        let before = (self.start_ns + self.elapsed_ns) / 1_000_000;
        self.elapsed_ns = self.elapsed_ns.saturating_add(self.spec.interval_ns);
        let ms = (self.start_ns + self.elapsed_ns) / 1_000_000 - before;
        if ms > 0 {
            self.cookie.tick(self.domain, ms);
        }
    }

    /// WARNs of the fast path since the last look, counted by message.
    fn collect_warnings(&mut self) {
        for w in self.cookie.take_warnings() {
            match self.warnings.iter_mut().find(|(m, _)| m == w) {
                Some((_, n)) => *n += 1,
                None => self.warnings.push((w.to_string(), 1)),
            }
        }
    }
}

/// Runs `spec` on a DMA or DMA_FQ domain (`domain`, its `cookie`) for device `dev`.
/// `start_ns` is the model time now (the cookie's timers keep whole ms from it).
/// `progress(pairs)` is called every 65,536 pairs; returning false cancels the run.
/// Stops early when the tree walks exceed [`MAX_WORKLOAD_TREE_STEPS`].
pub fn run_workload<P: IoPgtableOps>(
    domain: &mut PagingDomain<P>,
    cookie: &mut DmaCookie,
    dev: &mut DmaDevice,
    spec: &WorkloadSpec,
    start_ns: u64,
    progress: &mut dyn FnMut(u64) -> bool,
) -> WorkloadSummary {
    let base = counters(domain, cookie);
    let lazy = cookie.fq.is_some();
    let sample = spec
        .sample
        .max(spec.count.div_ceil(MAX_WORKLOAD_SAMPLES as u64))
        .max(1);
    let mut r = Run {
        domain,
        cookie,
        dev,
        spec,
        base,
        live: Vec::with_capacity(usize::try_from(spec.live.min(1 << 20)).unwrap_or(0)),
        rng: Rng(spec.seed),
        start_ns,
        elapsed_ns: 0,
        warnings: Vec::new(),
    };
    let mut samples = vec![r.sample(0)];
    let mut stopped = None;
    let mut done = 0u64;
    while done < spec.count {
        if done & 0xFFFF == 0 && done > 0 && !progress(done) {
            stopped = Some(format!("cancelled after {done} pairs"));
            break;
        }
        let cpu = r.cpu();
        if r.live.len() as u64 >= spec.live {
            let k = r.rng.below(r.live.len() as u64) as usize;
            r.unmap(k, cpu);
        }
        r.map(done, cpu);
        r.pass_time();
        done += 1;
        if done.is_multiple_of(sample) {
            r.collect_warnings();
            samples.push(r.sample(done));
        }
        if done & 0xFFF == 0
            && r.cookie.iovad.tree_stats().steps - base.tree_steps > MAX_WORKLOAD_TREE_STEPS
        {
            stopped = Some(format!(
                "stopped after {done} pairs: the IOVA tree walks passed {MAX_WORKLOAD_TREE_STEPS} steps"
            ));
            break;
        }
    }
    // The drain: the live set is unmapped, oldest slot first.
    while !r.live.is_empty() {
        let cpu = r.cpu();
        r.unmap(0, cpu);
        r.pass_time();
    }
    r.collect_warnings();
    let end = r.sample(done);
    if samples.last() != Some(&end) {
        samples.push(end);
    }
    WorkloadSummary {
        spec: spec.clone(),
        lazy,
        samples,
        stopped,
        elapsed_ns: r.elapsed_ns,
        warnings: r.warnings,
    }
}

#[cfg(test)]
mod tests;
