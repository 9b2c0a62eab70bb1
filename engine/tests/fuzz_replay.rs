//! The fuzz targets on stable Rust (RELIABILITY.md): every input of the checked-in corpus
//! (`engine/fuzz/corpus/<target>/`), then pseudo-random inputs from a fixed seed — random
//! bytes for `ops` and `pgtable`, mutated corpus scenarios for `parse` and `run`, mutated
//! machine listings for `import`. The
//! same entry points run under libFuzzer with `engine/fuzz/run` (stable).
//! `FUZZ_ITERS` sets the random inputs per target (default 1500; `./x test` uses it).
#![cfg(not(target_arch = "wasm32"))]

use iommu_engine::fuzzing;
use std::path::PathBuf;
use std::time::Instant;

fn corpus(target: &str) -> Vec<Vec<u8>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| std::fs::read(p).unwrap())
        .collect()
}

fn iters() -> u64 {
    std::env::var("FUZZ_ITERS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1500)
}

/// xorshift64*: a fixed, dependency-free stream.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Tokens the mutator splices in: the language's edges.
const DICT: &[&str] = &[
    "0xffff_ffff_ffff_ffff",
    "18446744073709551616",
    "1T",
    "256T",
    "4K",
    "0",
    "-1",
    "=>",
    "-ENOMEM",
    "(",
    ")",
    ",",
    "=",
    "\n",
    "#",
    "\"",
    "iommu_map(",
    "iommu_unmap(",
    "dma_map_page(",
    "bind ",
    "unbind ",
    "hotplug ",
    "remove ",
    "expect ",
    "==",
    "d1",
    "RW",
    "generation legacy\n",
    "generation v5.19\n",
    "pci ",
    "iommu ",
    "config strict=off\n",
    "tick 10ms\n",
    "\u{1F600}",
    "\t",
    "\\",
    "0b",
    "0o",
    "_",
    "..",
];

fn mutate(seed: &[u8], r: &mut Rng) -> Vec<u8> {
    let mut v = seed.to_vec();
    for _ in 0..1 + r.below(8) {
        let at = r.below(v.len() + 1);
        match r.below(5) {
            0 if !v.is_empty() => {
                let i = at.min(v.len() - 1);
                v[i] ^= 1 << r.below(8);
            }
            1 => {
                let end = (at + r.below(64)).min(v.len());
                v.drain(at..end);
            }
            2 => {
                let t = DICT[r.below(DICT.len())].as_bytes();
                v.splice(at..at, t.iter().copied());
            }
            3 => {
                // Duplicate a chunk (repeated lines: many calls, many devices).
                let end = (at + r.below(200)).min(v.len());
                let chunk = v[at..end].to_vec();
                for _ in 0..r.below(4) {
                    v.splice(at..at, chunk.iter().copied());
                }
            }
            _ => {
                let other = r.below(v.len() + 1);
                v.truncate(other.max(at));
            }
        }
    }
    v
}

fn replay(target: &str, f: fn(&[u8]), random_bytes: bool) {
    let seeds = corpus(target);
    assert!(!seeds.is_empty(), "empty corpus for {target}");
    let start = Instant::now();
    for s in &seeds {
        f(s);
    }
    let mut r = Rng(0x8a5c_d789_635d_2dff ^ target.len() as u64);
    for _ in 0..iters() {
        let input = if random_bytes {
            let n = r.below(512);
            (0..n).map(|_| r.next() as u8).collect::<Vec<u8>>()
        } else {
            let s = &seeds[r.below(seeds.len())];
            mutate(s, &mut r)
        };
        f(&input);
    }
    eprintln!(
        "{target}: {} corpus + {} random inputs in {:.1?}",
        seeds.len(),
        iters(),
        start.elapsed()
    );
}

#[test]
fn fuzz_parse_replay() {
    replay("parse", fuzzing::parse, false);
}

#[test]
fn fuzz_run_replay() {
    replay("run", fuzzing::run, false);
}

#[test]
fn fuzz_ops_replay() {
    replay("ops", fuzzing::ops, true);
}

#[test]
fn fuzz_pgtable_replay() {
    replay("pgtable", fuzzing::pgtable, true);
}

#[test]
fn fuzz_import_replay() {
    replay("import", fuzzing::import, false);
}
