//! What the criterion benches share (`mod common;` in each).

use criterion::Criterion;
use std::time::Duration;

/// The criterion settings of every bench: 10 samples, 1 s warm-up, 3 s measured.
pub fn config() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

/// The harness of a bench file: `criterion_group!` of its one bench function under
/// [`config`], and `criterion_main!`.
macro_rules! bench_main {
    ($bench:path) => {
        criterion::criterion_group! {
            name = benches;
            config = common::config();
            targets = $bench
        }
        criterion::criterion_main!(benches);
    };
}
