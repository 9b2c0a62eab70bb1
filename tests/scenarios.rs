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

/// Every corpus file parses, and its canonical text parses to the same scenario (the UI's
/// share links and presets are that text).
#[test]
fn every_scenario_parses_and_round_trips() {
    for (name, text) in CORPUS {
        let parsed = iommu_engine::scenario::parse(text)
            .unwrap_or_else(|e| panic!("{}", e.render(name, text)));
        let printed = parsed.print();
        let again = iommu_engine::scenario::parse(&printed)
            .unwrap_or_else(|e| panic!("{}", e.render(name, &printed)));
        assert_eq!(again.print(), printed, "{name}: printing is not stable");
        assert_eq!(
            again.stmts.len(),
            parsed.stmts.len(),
            "{name}: statements lost"
        );
    }
}

/// Every corpus file runs in its header generation and in every generation its `@` lists
/// name, and every expectation holds: the corpus is the specification.
#[test]
fn every_scenario_holds_in_every_generation_it_names() {
    use iommu_engine::scenario::{eras_to_check, parse, run_scenario, Options};
    let mut failures = Vec::new();
    let mut checked = 0;
    for (name, text) in CORPUS {
        let Ok(s) = parse(text) else {
            failures.push(format!("{name}: does not parse"));
            continue;
        };
        for g in eras_to_check(&s) {
            let opts = Options {
                era: Some(g),
                snapshots: false,
            };
            match run_scenario(&s, text, &opts) {
                Err(e) => failures.push(format!("[{g}] {}", e.render(name, text))),
                Ok(run) => {
                    checked += run.checks.len();
                    for f in run.failures() {
                        failures.push(format!(
                            "{name}:{}:{}: [{g}] {}: expected {}, got {}",
                            f.line, f.col, f.source, f.expected, f.actual
                        ));
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(
        checked > 0 || CORPUS.is_empty(),
        "no expectation was checked"
    );
}
