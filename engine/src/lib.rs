//! `iommu-engine`: a kernel-faithful model of the Linux IOMMU core.
//!
//! Pure Rust with no web dependencies: it builds for the host and for
//! `wasm32-unknown-unknown`, and everything it does is testable with `cargo test`.
//! See ARCHITECTURE.md at the repository root for the module map.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

// Shared vocabulary.
pub mod errno;
pub mod fault;
pub mod ids;
pub mod limits;

// The machine and its groups (drivers/pci, drivers/iommu/iommu.c grouping).
pub mod group;
pub mod topology;

// Domains, attachment and ownership by era (drivers/iommu/iommu.c, drivers/base/dd.c, VFIO).
// The layers run one way: record ← core ← era ← iommu (the kernel dispatch).
pub mod call;
pub mod core;
pub mod domain;
pub mod driver;
pub mod era;
pub mod invariants;
pub mod iommu;
pub mod record;
pub mod snapshot;
pub mod trace;

// Mapping and the DMA-API fast path (io-pgtable-arm.c, iova.c, dma-iommu.c).
pub mod dma;
pub mod iotlb;
pub mod iova;
pub mod mapping;
pub mod pgtable;
pub mod workload;

// The scenario language.
pub mod scenario;

// Importing a real machine from what its Linux prints (shared/IMPORT.md).
pub mod import;

// Resource limits and robustness plumbing (RELIABILITY.md).
#[doc(hidden)]
pub mod fuzzing;
pub mod sort;
pub mod vec_map;

#[cfg(test)]
mod layers;

pub use crate::core::{DeviceFacts, IommuFacts};
pub use call::{Call, Cookie, DmaOwnerType};
pub use domain::DomainType;
pub use era::{Config, Era};
pub use errno::Errno;
pub use group::{GroupReason, Groups};
pub use ids::{DeviceId, DomainId, GroupId, IommuId};
pub use iommu::Kernel;
pub use topology::{Topology, TopologyError};
pub use trace::{Breach, Event, Ret};

/// The scenario corpus (`tests/scenarios/*.iommu`), embedded at build time so tests run the
/// same files on native and wasm32 targets; `INDEX` names them without their texts.
pub mod corpus {
    include!(concat!(env!("OUT_DIR"), "/corpus.rs"));

    /// The hash `INDEX` gives each text (FNV-1a, 64 bits).
    pub fn hash(text: &str) -> u64 {
        text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        })
    }
}
