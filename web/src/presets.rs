//! The preset menu's topics and short titles: the scenario library (`tests/scenarios/`)
//! grouped by what it teaches. A preset not listed here (a file added later) goes under
//! "More" with the first line of its comment; the long description stays in the editor's
//! about line.
//!
//! The presets' texts are not in the bundle (BENCHMARKS.md "Bundle size"): index.html copies
//! `tests/scenarios/` beside it as `presets/`, the playground fetches them all after its first
//! render ([`prefetch`]) and a widget fetches the one it names ([`load`]). The bundle keeps
//! only their index (name, text hash, title: `iommu_engine::corpus::INDEX`) and the default
//! preset's text. With the `embedded-presets` feature (the browser tests, which have no
//! `presets/` to fetch) and in unit tests, the engine's corpus answers instead.
use iommu_engine::corpus::{hash, INDEX};
use std::cell::RefCell;

/// The menu's topics, in order.
pub const TOPICS: &[&str] = &[
    "Groups",
    "Ownership and the eras",
    "Page tables",
    "DMA fast path",
    "Real machines",
    "More",
];

/// (file, topic, short title).
const PRESETS: &[(&str, &str, &str)] = &[
    (
        "gpu-audio.iommu",
        "Groups",
        "GPU and HDMI audio share a group",
    ),
    ("switch-acs.iommu", "Groups", "A PCIe switch and ACS"),
    (
        "reverse-bridge.iommu",
        "Groups",
        "Behind a reverse (PCI-to-PCIe) bridge",
    ),
    ("sriov-vfs.iommu", "Groups", "SR-IOV virtual functions"),
    (
        "smmuv3-own-duplicate-stream-id.iommu",
        "Groups",
        "SMMUv3: a device's own stream ID twice",
    ),
    (
        "smmuv3-32-bit-stream-ids.iommu",
        "Groups",
        "SMMUv3: 32-bit stream IDs",
    ),
    (
        "pcie-to-pci-bridge.iommu",
        "Groups",
        "Behind a PCIe-to-PCI bridge",
    ),
    (
        "pcie-bridge-alias-quirk.iommu",
        "Groups",
        "A bridge hiding its PCIe capability",
    ),
    (
        "multifunction-header-bit.iommu",
        "Groups",
        "The multifunction header bit",
    ),
    (
        "multifunction-sticks-after-hot-remove.iommu",
        "Groups",
        "Multifunction sticks after hot-remove",
    ),
    ("hotplug-remove.iommu", "Groups", "Hot-remove and hot-add"),
    (
        "acs-fix-switch.iommu",
        "Groups",
        "The 2025 ACS grouping fix",
    ),
    ("pci-config-acs.iommu", "Groups", "What-if: pci=config_acs="),
    (
        "pci-disable-acs-redir.iommu",
        "Groups",
        "What-if: pci=disable_acs_redir=",
    ),
    (
        "pcie-acs-override-multifunction.iommu",
        "Groups",
        "What-if: ACS override, multifunction",
    ),
    (
        "pcie-acs-override-id.iommu",
        "Groups",
        "What-if: ACS override by device ID",
    ),
    (
        "smmuv2-shared-sid.iommu",
        "Groups",
        "SMMUv2: a shared stream ID",
    ),
    (
        "smmuv2-smr-errors.iommu",
        "Groups",
        "SMMUv2: stream match registers run out",
    ),
    (
        "smmuv2-group-not-remembered.iommu",
        "Groups",
        "SMMUv2: a group not remembered",
    ),
    (
        "smmuv3-stream-id-aliasing.iommu",
        "Groups",
        "SMMUv3: stream ID aliasing",
    ),
    (
        "vfio-nic-shared-group.iommu",
        "Ownership and the eras",
        "One NIC port to a VM",
    ),
    (
        "tegra-host1x.iommu",
        "Ownership and the eras",
        "Tegra host1x: the seed's case",
    ),
    (
        "s4-tegra-attach-group.iommu",
        "Ownership and the eras",
        "The seed: iommu_attach_group",
    ),
    (
        "s4-tegra-attach-device-shared.iommu",
        "Ownership and the eras",
        "The seed: iommu_attach_device_shared",
    ),
    (
        "s4-attach-device-multi-device-group.iommu",
        "Ownership and the eras",
        "S4: attach_device on a shared group",
    ),
    (
        "s1-bug-on.iommu",
        "Ownership and the eras",
        "S1: the BUG_ON v5.19 removed",
    ),
    (
        "s2-vfio-viability.iommu",
        "Ownership and the eras",
        "S2: VFIO against a kernel driver",
    ),
    (
        "s3-hotplug-owned-group.iommu",
        "Ownership and the eras",
        "S3: hot-add into a VFIO group",
    ),
    (
        "s5-bridge-alias-legacy.iommu",
        "Ownership and the eras",
        "S5: a bridge alias, legacy",
    ),
    (
        "s6-claim-private-domain.iommu",
        "Ownership and the eras",
        "S6: claim a private domain",
    ),
    (
        "s7-two-iommufd-contexts.iommu",
        "Ownership and the eras",
        "S7: two iommufd contexts",
    ),
    (
        "hotplug-into-private-domain.iommu",
        "Ownership and the eras",
        "Hot-add into a private domain",
    ),
    (
        "private-domain-outlives-its-driver.iommu",
        "Ownership and the eras",
        "A private domain outlives its driver",
    ),
    (
        "domain-free-while-attached.iommu",
        "Ownership and the eras",
        "Freeing an attached domain",
    ),
    (
        "lpae-granules.iommu",
        "Page tables",
        "LPAE: 4K, 16K and 64K granules",
    ),
    (
        "split-unmap.iommu",
        "Page tables",
        "Partial unmap of a block",
    ),
    (
        "lpae-52-bit.iommu",
        "Page tables",
        "52-bit addresses (64K granule)",
    ),
    (
        "dma-map-strict.iommu",
        "DMA fast path",
        "Strict IOTLB invalidation",
    ),
    (
        "dma-map-strict-vs-lazy.iommu",
        "DMA fast path",
        "Strict or lazy (DMA_FQ)",
    ),
    (
        "iova-allocator.iommu",
        "DMA fast path",
        "The IOVA allocator, range by range",
    ),
    (
        "passthrough-untrusted.iommu",
        "DMA fast path",
        "Passthrough, but not untrusted",
    ),
    (
        "flush-queue.iommu",
        "DMA fast path",
        "A lazy unmap in the flush queue",
    ),
    (
        "rcache-per-cpu.iommu",
        "DMA fast path",
        "The rcache is per CPU",
    ),
    (
        "fast-path-at-scale.iommu",
        "DMA fast path",
        "A million mappings, strict and lazy",
    ),
    (
        "consumer-board-no-acs.iommu",
        "Real machines",
        "A consumer board without ACS",
    ),
    (
        "pcie-acs-override-downstream.iommu",
        "Real machines",
        "The board with an ACS override",
    ),
    (
        "imported-msi-b550m-mortar.iommu",
        "Real machines",
        "Imported: an MSI B550M Mortar",
    ),
    ("language-tour.iommu", "More", "A tour of the language"),
];

/// A preset's topic and short title: from the table, else "More" and `fallback` (the
/// first line of its comment) cut to 44 characters.
pub fn topic_and_title(name: &str, fallback: &str) -> (&'static str, String) {
    if let Some((_, topic, title)) = PRESETS.iter().find(|(n, _, _)| *n == name) {
        return (topic, (*title).to_string());
    }
    let mut t: String = fallback.chars().take(44).collect();
    if t.len() < fallback.len() {
        t.push('…');
    }
    ("More", t)
}

/// The preset a first visit shows (its text is in the bundle).
pub const DEFAULT_PRESET: &str = "gpu-audio.iommu";

/// The default preset's text.
pub const DEFAULT_TEXT: &str = include_str!("../../tests/scenarios/gpu-audio.iommu");

/// Every preset: (file name, title = the first line of its leading comment, or `""`), by
/// file name.
pub fn index() -> impl Iterator<Item = (&'static str, &'static str)> {
    INDEX.iter().map(|(n, _, t)| (*n, *t))
}

/// The preset whose text `text` is, if any (by hash; compared in full once loaded).
pub fn name_of(text: &str) -> Option<&'static str> {
    let h = hash(text);
    INDEX
        .iter()
        .find(|(n, hash, _)| *hash == h && self::text(n).is_none_or(|t| t == text))
        .map(|(n, _, _)| *n)
}

thread_local! {
    /// The presets fetched so far (leaked: each is fetched once and kept for the page's life).
    static LOADED: RefCell<Vec<(&'static str, &'static str)>> = const { RefCell::new(Vec::new()) };
}

/// The text of preset `name`, if it is in the bundle or already fetched.
pub fn text(name: &str) -> Option<&'static str> {
    if name == DEFAULT_PRESET {
        return Some(DEFAULT_TEXT);
    }
    #[cfg(any(test, feature = "embedded-presets"))]
    if let Some((_, t)) = iommu_engine::corpus::CORPUS
        .iter()
        .find(|(n, _)| *n == name)
    {
        return Some(t);
    }
    LOADED.with(|l| l.borrow().iter().find(|(n, _)| *n == name).map(|(_, t)| *t))
}

/// The URL of `presets/` beside the bundle, for the playground page and for widgets on
/// other pages alike.
fn presets_base() -> String {
    crate::worker::beside_bundle("presets/").unwrap_or_else(|| "presets/".into())
}

/// Fetches preset `name` (once) and returns its text; `None` for no such preset or a
/// failed fetch.
pub async fn load(name: &str) -> Option<&'static str> {
    if let Some(t) = text(name) {
        return Some(t);
    }
    let name = index().find(|(n, _)| *n == name)?.0;
    let window = web_sys::window()?;
    let url = format!("{}{name}", presets_base());
    let resp = wasm_bindgen_futures::JsFuture::from(window.fetch_with_str(&url))
        .await
        .ok()?;
    let resp: web_sys::Response = wasm_bindgen::JsCast::dyn_into(resp).ok()?;
    if !resp.ok() {
        return None;
    }
    let body = wasm_bindgen_futures::JsFuture::from(resp.text().ok()?)
        .await
        .ok()?
        .as_string()?;
    if let Some(t) = text(name) {
        return Some(t);
    }
    let body: &'static str = Box::leak(body.into_boxed_str());
    LOADED.with(|l| l.borrow_mut().push((name, body)));
    Some(body)
}

/// Fetches every preset not loaded yet, in the background (the playground calls it after
/// its first render, so the menu opens any preset at once).
pub fn prefetch() {
    for (name, _) in index() {
        if text(name).is_none() {
            wasm_bindgen_futures::spawn_local(async move {
                let _ = load(name).await;
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use iommu_engine::corpus::CORPUS;

    #[test]
    fn the_index_is_the_corpus() {
        let index: Vec<_> = INDEX.iter().map(|(n, h, t)| (*n, *h, *t)).collect();
        let corpus: Vec<_> = CORPUS
            .iter()
            .map(|(n, t)| {
                let title = crate::components::preset_menu::title("", t);
                (*n, hash(t), title)
            })
            .collect();
        assert_eq!(index.len(), corpus.len());
        for ((n, h, t), (cn, ch, ct)) in index.into_iter().zip(corpus) {
            assert_eq!((n, h, t), (cn, ch, ct.as_str()));
        }
        assert_eq!(
            text(DEFAULT_PRESET),
            CORPUS
                .iter()
                .find(|(n, _)| *n == DEFAULT_PRESET)
                .map(|(_, t)| *t)
        );
        for (n, t) in CORPUS {
            assert_eq!(name_of(t), Some(*n));
        }
        assert_eq!(name_of("iommu dmar0\n"), None);
    }

    #[test]
    fn every_listed_preset_exists_and_has_a_known_topic() {
        for (name, topic, title) in PRESETS {
            assert!(CORPUS.iter().any(|(n, _)| n == name), "{name} is no preset");
            assert!(TOPICS.contains(topic), "{name}: {topic}");
            assert!(title.chars().count() <= 44, "{name}: {title}");
        }
    }
}
