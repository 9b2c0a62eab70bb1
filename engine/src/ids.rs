//! Handles shared by every part of the model. They are plain indices into the
//! [`crate`]'s tables, never pointers, so a scenario can name them and a trace can record them.

use serde::{Deserialize, Serialize};

macro_rules! id {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub struct $name(pub u32);
    };
}

id!(
    /// A device (PCI function or platform device), numbered in declaration order.
    DeviceId
);
id!(
    /// An IOMMU group: the kernel's `group->id`, the lowest free id at allocation.
    GroupId
);
id!(
    /// An `iommu_domain`, numbered in allocation order.
    DomainId
);
id!(
    /// An IOMMU instance (`struct iommu_device`), numbered in declaration order.
    IommuId
);

impl GroupId {
    /// The group as a nested kernel call's `struct iommu_group *` argument: `group2`
    /// (its display name, with a space, is [`GroupId`]'s `Display`).
    pub fn trace_arg(self) -> String {
        format!("group{}", self.0)
    }
}

impl std::fmt::Display for GroupId {
    /// A group's display name, `group 2`, as expectations, breaches and the UI write it.
    /// (Nested kernel calls name their `struct iommu_group *` argument `group2`:
    /// [`GroupId::trace_arg`].)
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "group {}", self.0)
    }
}
