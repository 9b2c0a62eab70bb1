//! Makes the widgets' stylesheet: `static/style.css` and `static/widget.css` scoped under
//! `.iommu-widget` (`src/css_scope.rs`), written to `$OUT_DIR/widget.css` for `embed` to
//! inject.
//!
//! With `IOMMU_BOOK_TEST=1` (set by `./x test` after `./x book`'s build), it also copies
//! the built book's chapters (`dist/book/*.html`) into `$OUT_DIR/book/` and sets
//! `cfg(iommu_book)`, so the browser test `tests/book.rs` mounts the real chapters' markup.
//! Without it nothing under `dist/` is read or watched, so the crate is not rebuilt
//! needlessly.
#[path = "src/css_scope.rs"]
#[allow(dead_code)]
mod css_scope;

use std::path::Path;

/// The chapters `tests/book.rs` opens.
const CHAPTERS: [&str; 2] = ["02-groups.html", "07-dma-fast-path.html"];

fn main() {
    let out = std::env::var("OUT_DIR").unwrap_or_else(|_| ".".into());
    let out = Path::new(&out);
    let mut css = String::new();
    for f in ["../static/style.css", "../static/widget.css"] {
        println!("cargo:rerun-if-changed={f}");
        match std::fs::read_to_string(f) {
            Ok(t) => css.push_str(&t),
            Err(e) => panic!("{f}: {e}"),
        }
    }
    if let Err(e) = std::fs::write(out.join("widget.css"), css_scope::scope(&css)) {
        panic!("writing widget.css: {e}");
    }

    println!("cargo::rustc-check-cfg=cfg(iommu_book)");
    println!("cargo:rerun-if-env-changed=IOMMU_BOOK_TEST");
    if std::env::var("IOMMU_BOOK_TEST").is_ok_and(|v| v == "1") {
        let dir = out.join("book");
        if let Err(e) = std::fs::create_dir_all(&dir) {
            panic!("{}: {e}", dir.display());
        }
        for ch in CHAPTERS {
            let src = format!("../dist/book/{ch}");
            println!("cargo:rerun-if-changed={src}");
            let html = std::fs::read_to_string(&src).unwrap_or_else(|e| {
                panic!("{src}: {e} (IOMMU_BOOK_TEST=1 needs `./x book` first)")
            });
            if let Err(e) = std::fs::write(dir.join(ch), html) {
                panic!("{ch}: {e}");
            }
        }
        println!("cargo:rustc-cfg=iommu_book");
    }
}
