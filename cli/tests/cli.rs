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

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../engine/src/import/fixtures")
        .join(name)
}

fn temp(name: &str, text: &str) -> PathBuf {
    let p = std::env::temp_dir().join(format!("iommu-play-{}-{name}", std::process::id()));
    std::fs::write(&p, text).expect("temp file");
    p
}

#[test]
fn import_writes_a_scenario_that_runs_and_passes() {
    let out = std::env::temp_dir().join(format!("iommu-play-{}-z170.iommu", std::process::id()));
    let o = play(
        &["import", "-o", out.to_str().unwrap()],
        &fixture("asrock-z170-gaming-itx.txt"),
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.contains("pci 00:01.0 rp id=8086:1901"), "{text}");
    assert!(text.contains("expect groups = "), "{text}");
    let run = play(&["run"], &out);
    assert_eq!(run.status.code(), Some(0), "{}", stdout(&run));
    let _ = std::fs::remove_file(out);
}

#[test]
fn import_check_exits_0_1_2() {
    let o = play(&["import", "--check"], &fixture("msi-b550m-mortar.txt"));
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let out = stdout(&o);
    assert!(
        out.contains("the model reproduces every listed group"),
        "{out}"
    );
    assert!(out.contains("Shared groups, and what you can do:"), "{out}");
    // Without inference the listing's ACS is unknown: the model does not agree.
    let o = play(
        &["import", "--check", "--no-infer"],
        &fixture("msi-b550m-mortar.txt"),
    );
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(stdout(&o).contains("Differences ("), "{}", stdout(&o));
    // Nothing readable: FILE:LINE:COL.
    let bad = temp("bad.txt", "\n\nhello world\n");
    let o = play(&["import", "--check"], &bad);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(
        err.starts_with(&format!("{}:3:1: ", bad.display())),
        "{err}"
    );
    let _ = std::fs::remove_file(bad);
}

#[test]
fn import_json_is_the_report() {
    let o = play(
        &["import", "--json"],
        &fixture("asus-z690-alderlake-tb4.txt"),
    );
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("JSON");
    assert_eq!(v["reproduced"], true);
    assert_eq!(v["functions"], 43);
    assert!(v["groups"].as_array().is_some_and(|g| g.len() == 36));
    assert!(v["devices"][0]["why"].is_string());
}

#[test]
fn run_prints_the_series_of_a_workload() {
    let o = play(&["run"], &corpus("fast-path-at-scale.iommu"));
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let out = stdout(&o);
    assert!(out.contains(
        "lazy (DMA_FQ): 1,000,000 pairs, 1,000,000 maps, 1,000,000 unmaps, sampled every 10,000 pairs"
    ));
    let full = out
        .lines()
        .find(|l| l.contains("IOTLB full inv.") && l.contains("total 3,921"));
    assert!(full.is_some(), "{out}");
    let j = play(&["run", "--json"], &corpus("fast-path-at-scale.iommu"));
    let v: serde_json::Value = serde_json::from_str(&stdout(&j)).expect("JSON");
    let steps = v[0]["run"]["steps"].as_array().expect("steps");
    let w = steps
        .iter()
        .find_map(|s| s["event"].get("workload"))
        .expect("a workload summary");
    assert_eq!(w["samples"].as_array().map(Vec::len), Some(102));
}

#[test]
fn explain_prints_an_era_with_its_commit_and_a_domain_type() {
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_iommu-play"))
            .args(args)
            .output()
            .expect("iommu-play runs")
    };
    let o = run(&["explain", "era", "singleton"]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    assert!(out.starts_with("singleton: one device a group: "), "{out}");
    assert!(out.contains("426a273834ea"), "{out}");
    assert!(out.contains("Robin Murphy, 22 Dec 2021"), "{out}");
    let o = run(&["explain", "domain", "DMA_FQ"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).starts_with("DMA_FQ domain: "), "{}", stdout(&o));
    assert_eq!(run(&["explain", "domain", "FOO"]).status.code(), Some(2));
    assert_eq!(run(&["explain", "nonsense"]).status.code(), Some(2));
}
