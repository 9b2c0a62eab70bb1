//! The book's exercises (`book/src/exercises/*.iommu`), judged as their widgets judge them
//! ([`iommu_web::exercise::verdict`] on the state a widget starts from): every starting
//! text fails, and its known solution (`book/solutions/`, same file name) passes.
//! Natively, by `cargo test`; the browser test `book.rs` edits one in a built chapter.
#![cfg(not(target_arch = "wasm32"))]

use iommu_web::embed::widget_state;
use iommu_web::exercise::{required, verdict, Verdict};
use std::path::{Path, PathBuf};

fn book() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../book")
}

fn exercises() -> Vec<(String, String, String)> {
    let dir = book().join("src/exercises");
    let mut out = Vec::new();
    for e in std::fs::read_dir(&dir).expect("book/src/exercises") {
        let path = e.expect("an entry").path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        if !name.ends_with(".iommu") {
            continue;
        }
        let start = std::fs::read_to_string(&path).expect("the exercise");
        let solution = std::fs::read_to_string(book().join("solutions").join(&name))
            .unwrap_or_else(|e| panic!("book/solutions/{name}: {e}"));
        out.push((name, start, solution));
    }
    out.sort();
    out
}

#[test]
fn every_exercise_fails_as_given_and_passes_with_its_solution() {
    let all = exercises();
    assert!(
        all.len() >= 7,
        "one exercise per chapter at least, found {}",
        all.len()
    );
    for (name, start, solution) in all {
        let s = widget_state(&start, None);
        let need = required(&s);
        assert!(need > 0, "{name}: the exercise has no expectation");
        let v = verdict(&s, need);
        assert!(
            matches!(v, Verdict::Fail { .. }),
            "{name}: the starting text must run and fail its expectations, got {v:?}"
        );
        let done = widget_state(&solution, None);
        let v = verdict(&done, need);
        assert!(v.passed(), "{name}: the solution must pass, got {v:?}");
        assert_ne!(start.trim(), solution.trim(), "{name}");
    }
}

#[test]
fn dropping_the_expectations_is_not_a_solution() {
    let (name, start, _) = exercises().remove(0);
    let s = widget_state(&start, None);
    let kept: String = start
        .lines()
        .filter(|l| !l.starts_with("expect") && !l.contains("=>"))
        .map(|l| format!("{l}\n"))
        .collect();
    let v = verdict(&widget_state(&kept, None), required(&s));
    assert!(!v.passed(), "{name}: {v:?}");
}

/// The examples the chapters show (`book/src/examples/*.iommu`) run, and every expectation
/// holds.
#[test]
fn every_example_runs_and_its_expectations_hold() {
    let dir = book().join("src/examples");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).expect("book/src/examples") {
        let path = e.expect("an entry").path();
        let text = std::fs::read_to_string(&path).expect("an example");
        let s = widget_state(&text, None);
        let v = verdict(&s, 1);
        assert!(v.passed(), "{}: {v:?}", path.display());
        n += 1;
    }
    assert!(n >= 2);
}

/// The chapters put an exercise's text into an HTML attribute with mdBook's
/// `{{#include}}`, inside a raw HTML block: no `"`, `&` or `<`, and no blank line (which
/// would end the block).
#[test]
fn book_scenarios_fit_in_an_html_attribute_and_every_one_is_in_a_chapter() {
    let chapters: String = std::fs::read_dir(book().join("src"))
        .expect("book/src")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .map(|p| std::fs::read_to_string(p).expect("a chapter"))
        .collect();
    let examples = std::fs::read_dir(book().join("src/examples"))
        .expect("book/src/examples")
        .filter_map(|e| e.ok().map(|e| e.path()));
    let examples: Vec<(String, String)> = examples
        .map(|p| {
            let name = p
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_string();
            (
                format!("examples/{name}"),
                std::fs::read_to_string(&p).expect("an example"),
            )
        })
        .collect();
    let exercises = exercises()
        .into_iter()
        .map(|(n, s, _)| (format!("exercises/{n}"), s));
    for (name, start) in exercises.chain(examples) {
        for bad in ['"', '&', '<'] {
            assert!(!start.contains(bad), "{name} contains {bad:?}");
        }
        assert!(
            !start.lines().any(|l| l.trim().is_empty()),
            "{name} has a blank line"
        );
        let include = format!("data-iommu-scenario=\"{{{{#include {name}}}}}\"");
        assert!(
            chapters.contains(&include),
            "no chapter includes {name} as {include}"
        );
    }
}
