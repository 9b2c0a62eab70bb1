//! The API eras ("generations") of the attach/ownership interface: shared/MODEL.md §3,
//! shared/SCENARIO.md "Header".

use serde::{Deserialize, Serialize};
use std::fmt;

/// One era of the iommu attach/ownership API, oldest first (the language's `generation` header names one).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default,
)]
pub enum Era {
    /// (a) before 426a273834ea: iommu_attach_device on any group.
    Legacy,
    /// (b) 426a273834ea … v5.18: iommu_attach_device only on singleton groups.
    Singleton,
    /// (c) Lu Baolu's v4 proposal: iommu_device_set_dma_owner + iommu_attach_device_shared.
    Shared,
    /// (d) Robin Murphy's counterproposal: one iommu_attach_device for any group size.
    Unified,
    /// (e) v5.19: merged DMA ownership (claim_dma_owner, driver_managed_dma).
    V5_19,
    /// (f) today's kernel: device claim with cookies, blocking domain, replace_domain.
    #[default]
    Current,
}

impl Era {
    /// All eras, oldest first (the columns of `iommu-play compare`).
    pub const ALL: [Era; 6] = [
        Era::Legacy,
        Era::Singleton,
        Era::Shared,
        Era::Unified,
        Era::V5_19,
        Era::Current,
    ];

    /// The scenario-language name (`v5.19`).
    pub const fn name(self) -> &'static str {
        match self {
            Era::Legacy => "legacy",
            Era::Singleton => "singleton",
            Era::Shared => "shared",
            Era::Unified => "unified",
            Era::V5_19 => "v5.19",
            Era::Current => "current",
        }
    }

    /// Parses a scenario-language name.
    pub fn parse(s: &str) -> Option<Era> {
        Era::ALL.into_iter().find(|g| g.name() == s)
    }
}

impl fmt::Display for Era {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `config strict= passthrough= acs-fix= split-unmap=` (shared/SCENARIO.md "Header").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Config {
    /// `iommu.strict`: DMA (strict) rather than DMA_FQ (lazy) default domains. Default on.
    pub strict: bool,
    /// `iommu.passthrough`: IDENTITY default domains. Default off.
    pub passthrough: bool,
    /// The 2025 "Fix incorrect iommu_groups with PCIe ACS" grouping. Default off (mainline).
    pub acs_fix: bool,
    /// io-pgtable-arm ≤ v6.12 splits a block on partial unmap. Default off (v6.13+ refuses).
    pub split_unmap: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            strict: true,
            passthrough: false,
            acs_fix: false,
            split_unmap: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn era_names_round_trip() {
        for g in Era::ALL {
            assert_eq!(Era::parse(g.name()), Some(g));
        }
        assert_eq!(Era::parse("v5.18"), None);
        assert_eq!(Era::default(), Era::Current);
    }
}
