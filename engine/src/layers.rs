//! Architecture invariants of the kernel model's layers, checked on the source text:
//! record ← core ← era ← iommu (the kernel dispatch). Each layer names none above it.

/// The files of one layer, by name, embedded so the check also runs on wasm32.
const RECORD: &[(&str, &str)] = &[("record.rs", include_str!("record.rs"))];
const CORE: &[(&str, &str)] = &[
    ("core/mod.rs", include_str!("core/mod.rs")),
    ("core/attach.rs", include_str!("core/attach.rs")),
    ("core/device.rs", include_str!("core/device.rs")),
    ("core/domain.rs", include_str!("core/domain.rs")),
    ("core/group.rs", include_str!("core/group.rs")),
    ("core/map.rs", include_str!("core/map.rs")),
    ("core/probe.rs", include_str!("core/probe.rs")),
    ("snapshot.rs", include_str!("snapshot.rs")),
];
const ERA: &[(&str, &str)] = &[
    ("era/mod.rs", include_str!("era/mod.rs")),
    ("era/legacy.rs", include_str!("era/legacy.rs")),
    ("era/singleton.rs", include_str!("era/singleton.rs")),
    ("era/shared.rs", include_str!("era/shared.rs")),
    ("era/unified.rs", include_str!("era/unified.rs")),
    ("era/v5_19.rs", include_str!("era/v5_19.rs")),
    ("era/current.rs", include_str!("era/current.rs")),
    ("invariants.rs", include_str!("invariants.rs")),
];

fn assert_never_names(files: &[(&str, &str)], words: &[&str]) {
    for (file, text) in files {
        for w in words {
            assert!(!text.contains(w), "{file} names `{w}`");
        }
    }
}

/// Architecture invariant: the recorder knows nothing of the model.
#[test]
fn the_recorder_names_no_model() {
    assert_never_names(
        RECORD,
        &["crate::core", "crate::era", "crate::iommu", "Kernel"],
    );
}

/// Architecture invariant: the core never names an era's operations or the dispatch.
#[test]
fn the_core_names_no_era_and_no_kernel() {
    assert_never_names(CORE, &["EraOps", "crate::iommu", "Kernel::", "Era::"]);
}

/// Architecture invariant: era/ sees only its context ([`crate::core::Cx`]), never the
/// kernel dispatch.
#[test]
fn eras_see_only_their_context() {
    assert_never_names(ERA, &["crate::iommu", "Kernel::", "&Kernel", "mut Kernel"]);
}
