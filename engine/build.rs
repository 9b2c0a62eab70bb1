//! Embeds the scenario corpus (`tests/scenarios/*.iommu` at the workspace root) into the
//! test binaries, so the same corpus runs natively and on wasm32 (which has no filesystem),
//! and writes its index (name, text hash, title) for the web's preset menu, which fetches
//! the texts instead of bundling them.

use std::fmt::Write as _;
use std::path::PathBuf;

/// `corpus::hash` (FNV-1a, 64 bits), which the index is checked against.
fn hash(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The first line of a scenario's leading comment, or `""`.
fn first_comment_line(text: &str) -> &str {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .and_then(|l| l.strip_prefix('#'))
        .map(|l| l.strip_prefix(' ').unwrap_or(l).trim_end())
        .unwrap_or("")
}

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let dir = manifest.join("..").join("tests").join("scenarios");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "iommu"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    let mut out = String::from(
        "/// `(file name, contents)` of every `tests/scenarios/*.iommu`, sorted by name.\n",
    );
    out.push_str("pub const CORPUS: &[(&str, &str)] = &[\n");
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "    ({name:?}, include_str!({:?})),",
            f.display().to_string()
        );
    }
    out.push_str("];\n");
    out.push_str(
        "/// `(file name, hash of its text, first line of its leading comment or \"\")` of every\n\
         /// corpus file, in `CORPUS` order: what a menu needs without the texts.\n",
    );
    out.push_str("pub const INDEX: &[(&str, u64, &str)] = &[\n");
    for f in &files {
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let text = std::fs::read_to_string(f).unwrap_or_default();
        let _ = writeln!(
            out,
            "    ({name:?}, {:#x}, {:?}),",
            hash(&text),
            first_comment_line(&text)
        );
    }
    out.push_str("];\n");
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default());
    if let Err(e) = std::fs::write(out_dir.join("corpus.rs"), out) {
        panic!("cannot write corpus.rs: {e}");
    }
}
