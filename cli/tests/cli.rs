//! The `iommu-play` binary on corpus files: exit codes and the shape of its output
//! (shared/SCENARIO.md "Command line and results").

use std::path::PathBuf;
use std::process::{Command, Output};

fn corpus(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/scenarios")
        .join(name)
}

fn play(args: &[&str], file: &PathBuf) -> Output {
    Command::new(env!("CARGO_BIN_EXE_iommu-play"))
        .args(args)
        .arg(file)
        .output()
        .expect("iommu-play runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn run_prints_the_trace_and_exits_0_when_every_expectation_holds() {
    let o = play(&["run", "-v"], &corpus("vfio-nic-shared-group.iommu"));
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let out = stdout(&o);
    assert!(out.contains("probe 01:00.0"), "{out}");
    assert!(
        out.contains("↳ iommu_group_claim_dma_owner(group1, vm1) = -EPERM"),
        "{out}"
    );
    assert!(out.contains(" passed, 0 failed"), "{out}");
}

#[test]
fn json_output_is_the_run_record() {
    let o = play(&["run", "--json"], &corpus("tegra-host1x.iommu"));
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("JSON");
    let steps = &v[0]["run"]["steps"];
    assert!(steps.as_array().is_some_and(|s| !s.is_empty()));
    assert_eq!(steps[0]["phase"], "boot");
}

#[test]
fn compare_shows_the_eras_side_by_side() {
    let o = play(&["compare"], &corpus("tegra-host1x.iommu"));
    let out = stdout(&o);
    assert!(out.contains("legacy") && out.contains("current"), "{out}");
    assert!(out.contains("-EINVAL"), "{out}");
}

#[test]
fn fmt_prints_canonical_text_and_a_missing_file_exits_2() {
    let o = play(&["fmt"], &corpus("gpu-audio.iommu"));
    assert_eq!(o.status.code(), Some(0));
    assert!(!stdout(&o).is_empty());
    let o = play(&["run"], &corpus("no-such-file.iommu"));
    assert_eq!(o.status.code(), Some(2));
}

/// `--era` names the option; `--generation` and `-g` (SCENARIO.md's spelling) keep working.
#[test]
fn era_option_keeps_the_generation_spelling() {
    let file = corpus("gpu-audio.iommu");
    let first_line = |args: &[&str]| {
        let o = play(args, &file);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stdout(&o));
        stdout(&o).lines().next().unwrap_or_default().to_string()
    };
    for args in [
        ["run", "--era", "legacy"],
        ["run", "--generation", "legacy"],
        ["run", "-g", "legacy"],
        ["run", "-e", "legacy"],
    ] {
        assert!(first_line(&args).ends_with("generation legacy"), "{args:?}");
    }
    let o = play(&["run", "--era", "v5.18"], &file);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("unknown era `v5.18`"), "{err}");
}
