//! Architecture invariants (ARCHITECTURE.md), checked on the source text.
//!
//! - The web crate never reads the engine's printed text back: it matches typed records
//!   (`Severity`, `WarnKind`, `Phase`, `PciType`, `AcsView`), never a string the engine
//!   prints (`"WARN"`, `"boot"`, `"rp"`, a result's leading `-`, ...).
//! - The lower layers (`pgtable/`, `iova/`, `dma.rs`) never name the kernel dispatch
//!   (`Kernel`) or the core state (`Core`).
#![cfg(not(target_arch = "wasm32"))]

use std::fs;
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`, recursively, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let p = entry.expect("a directory entry").path();
            if p.is_dir() {
                todo.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The code of a line: without a `//` comment (doc comments included).
fn code(line: &str) -> &str {
    match line.find("//") {
        // An even number of quotes before it: the `//` is not inside a string literal.
        Some(i) if line[..i].matches('"').count().is_multiple_of(2) => &line[..i],
        _ => line,
    }
}

/// `(file:line, text)` of each line in `files` whose code matches `bad`.
fn offending(files: &[PathBuf], bad: impl Fn(&str) -> bool) -> Vec<String> {
    let mut hits = Vec::new();
    for f in files {
        let text = fs::read_to_string(f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        for (i, line) in text.lines().enumerate() {
            if bad(code(line)) {
                hits.push(format!("{}:{}: {}", f.display(), i + 1, line.trim()));
            }
        }
    }
    hits
}

/// Words the engine prints that a view could be tempted to compare against: WARN kinds,
/// step phases, results, PCI type keywords, ACS words.
const PRINTED: &[&str] = &[
    "WARN",
    "BUG",
    "notice",
    "model",
    "boot",
    "call",
    "hotplug",
    "n/a",
    "—",
    "DMA_MAPPING_ERROR",
    "0",
    "rp",
    "usp",
    "dsp",
    "ep",
    "rciep",
    "bridge",
    "pci",
    "host-bridge",
    "platform",
    "none",
];

/// Whether `line` compares something with a printed word: `== "WARN"`, `!= "boot"`,
/// `"rp" | "dsp"` in a pattern, `"WARN" =>` in a match.
fn compares_printed_text(line: &str) -> bool {
    PRINTED.iter().any(|w| {
        let lit = format!("\"{w}\"");
        [
            format!("== {lit}"),
            format!("!= {lit}"),
            format!("{lit} =="),
            format!("{lit} !="),
            format!("{lit} | \""),
            format!("\" | {lit}"),
            format!("{lit} =>"),
        ]
        .iter()
        .any(|p| line.contains(p.as_str()))
    })
}

/// Reading the engine's text back: a result's sign, an ACS list parsed again.
fn parses_printed_text(line: &str) -> bool {
    [
        "starts_with('-')",
        "starts_with(\"-\")",
        "AcsFlags::parse_list(",
        "PciType::parse(",
        "PciType::from_keyword(",
    ]
    .iter()
    .any(|p| line.contains(p))
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn web_never_matches_printed_text() {
    let files = rust_files(&root().join("web/src"));
    assert!(files.len() > 10, "web/src has the app's modules");
    let hits = offending(&files, |l| {
        compares_printed_text(l) || parses_printed_text(l)
    });
    assert!(
        hits.is_empty(),
        "web/src reads the engine's printed text back; use the typed record \
         (Severity, WarnKind, Phase, PciType, AcsView, GroupId's Display) instead:\n{}",
        hits.join("\n")
    );
}

#[test]
fn web_names_groups_as_the_engine_does() {
    let files = rust_files(&root().join("web/src"));
    let hits = offending(&files, |l| {
        l.contains("\"group {") || l.contains("group {}\"")
    });
    assert!(
        hits.is_empty(),
        "a group's display name is GroupId's Display (`group 2`):\n{}",
        hits.join("\n")
    );
}

/// A whole word `word` in `line` (not part of an identifier like `KernelPaging`).
fn names(line: &str, word: &str) -> bool {
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    line.match_indices(word).any(|(i, _)| {
        let before = line[..i].chars().next_back();
        let after = line[i + word.len()..].chars().next();
        !before.is_some_and(ident) && !after.is_some_and(ident)
    })
}

#[test]
fn lower_layers_never_name_the_kernel() {
    let src = root().join("engine/src");
    let mut files = rust_files(&src.join("pgtable"));
    files.extend(rust_files(&src.join("iova")));
    files.push(src.join("dma.rs"));
    files.push(src.join("workload.rs"));
    assert!(files.len() >= 4, "pgtable/, iova/ and dma.rs exist");
    let hits = offending(&files, |l| names(l, "Kernel") || names(l, "Core"));
    assert!(
        hits.is_empty(),
        "pgtable/, iova/ and dma.rs sit below the kernel dispatch and must not name it:\n{}",
        hits.join("\n")
    );
}

#[test]
fn the_checks_catch_what_they_forbid() {
    assert!(compares_printed_text(r#"if w.kind == "WARN" {"#));
    assert!(compares_printed_text(r#"(st.phase != "boot")"#));
    assert!(compares_printed_text(
        r#"if let (Some(acs), "rp" | "dsp") = (a, b) {"#
    ));
    assert!(parses_printed_text("let bad = c.result.starts_with('-');"));
    assert!(!compares_printed_text(
        r#"(st.phase == Phase::Boot).then_some("boot")"#
    ));
    assert!(!compares_printed_text(
        r#"d.unwrap_or_else(|| "none".into())"#
    ));
    assert!(names("use crate::Kernel;", "Kernel"));
    assert!(!names("KernelPaging", "Kernel"));
    assert_eq!(code("let x = 1; // == \"WARN\""), "let x = 1; ");
}

/// The `[dependencies]` section of a Cargo.toml (up to the next `[` header).
fn dependencies(manifest: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut inside = false;
    for line in manifest.lines() {
        let t = line.trim();
        if t.starts_with('[') {
            inside = t == "[dependencies]";
        } else if inside && !t.is_empty() && !t.starts_with('#') {
            out.push(
                t.split(['=', ' ', '.'])
                    .next()
                    .unwrap_or_default()
                    .to_string(),
            );
        }
    }
    out
}

/// Architecture invariant: the engine has no web crate among its dependencies and no
/// features (the CLI is its own crate, as ruffle_core has no frontend in its defaults).
#[test]
fn the_engine_has_no_web_dependencies_and_no_features() {
    let manifest = fs::read_to_string(root().join("engine/Cargo.toml")).expect("engine manifest");
    assert!(
        !manifest.lines().any(|l| l.trim() == "[features]"),
        "engine/Cargo.toml declares features"
    );
    let deps = dependencies(&manifest);
    assert!(deps.contains(&"serde".to_string()), "{deps:?}");
    for web in ["wasm-bindgen", "web-sys", "js-sys", "yew", "gloo", "clap"] {
        assert!(
            !deps.iter().any(|d| d.starts_with(web)),
            "engine depends on {web}: {deps:?}"
        );
    }
}
