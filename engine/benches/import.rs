//! Import speed (criterion): parse + rebuild + quirks + inference + check of a synthetic
//! 1,000-function group listing (`common/listing.rs`), the whole of `iommu-play import
//! --check`. Run: `cargo bench -p iommu-engine --bench import`.

use criterion::{BenchmarkId, Criterion, Throughput};
use iommu_engine::import::{import, ImportOptions};

#[macro_use]
mod common;
#[path = "common/listing.rs"]
mod listing;

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("import_check");
    let n = 1_000usize;
    let text = listing::listing(n);
    let opts = ImportOptions::default();
    let out = import(&text, &opts).unwrap_or_else(|e| panic!("{e}"));
    assert!(out.report.reproduced, "{}", out.report_text());
    g.throughput(Throughput::Elements(n as u64));
    g.bench_with_input(BenchmarkId::from_parameter(n), &text, |b, t| {
        b.iter(|| import(t, &opts).map(|o| o.report.reproduced))
    });
    g.finish();
}

bench_main!(bench);
