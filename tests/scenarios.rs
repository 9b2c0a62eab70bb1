//! Runs every scenario file of `tests/scenarios/` (embedded as `iommu_engine::corpus::CORPUS`).
//! Compiled natively by `cargo test` and to wasm32 under Node by wasm-bindgen-test.

use iommu_engine::corpus::CORPUS;

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

/// Every corpus file starts with a comment block that explains, for a student, what it shows.
#[test]
fn every_scenario_starts_with_an_explanation() {
    for (name, text) in CORPUS {
        let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
        assert!(
            first.trim_start().starts_with('#'),
            "{name}: must start with a # comment block"
        );
    }
}
