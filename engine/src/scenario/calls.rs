//! The table of known calls: name, parameter kinds, what they return, and how they are
//! written (shared/SCENARIO.md "Calls"). Every call of every generation is here: a call
//! absent from the chosen generation still parses and yields `n/a` at run time.

use serde::{Deserialize, Serialize};

/// The kind of one parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Param {
    /// An IOMMU declared with `iommu NAME`.
    Iommu,
    /// A device: platform name or BDF.
    Device,
    /// A domain handle (`d1 = iommu_domain_alloc(...)`).
    Domain,
    /// `group(DEV)`
    Group,
    /// An owner cookie (any name: `vfio1`, `ictx1`, `tegra`).
    Cookie,
    /// A driver name (`nouveau`, `vfio-pci`).
    Driver,
    /// An IOVA: a number, or a handle kept from `dma_map_page`.
    Iova,
    /// A physical address.
    Paddr,
    /// A size in bytes.
    Size,
    /// `R|W|CACHE|NOEXEC|MMIO|PRIV`, `RW`, or `0`.
    Prot,
    /// `BIDIRECTIONAL`, `TO_DEVICE`, `FROM_DEVICE`, `NONE` (a `DMA_` prefix is accepted).
    Direction,
    /// `read` or `write`.
    Access,
    /// `DMA_OWNER_NONE | DMA_OWNER_DMA_API | DMA_OWNER_PRIVATE_DOMAIN | DMA_OWNER_PRIVATE_DOMAIN_USER`
    Owner,
    /// The word `managed`.
    Managed,
    /// `10ms` (units ns, us, ms, s).
    Duration,
}

impl Param {
    /// How the parameter is described in error messages.
    pub const fn describe(self) -> &'static str {
        match self {
            Param::Iommu => "an IOMMU name",
            Param::Device => "a device (a name or a BDF)",
            Param::Domain => "a domain handle",
            Param::Group => "`group(DEV)`",
            Param::Cookie => "an owner cookie name",
            Param::Driver => "a driver name",
            Param::Iova => "an IOVA (a number or a handle)",
            Param::Paddr => "a physical address",
            Param::Size => "a size",
            Param::Prot => "a prot such as `R|W`",
            Param::Direction => "a DMA direction (BIDIRECTIONAL, TO_DEVICE, FROM_DEVICE, NONE)",
            Param::Access => "`read` or `write`",
            Param::Owner => "a DMA owner type (DMA_OWNER_...)",
            Param::Managed => "`managed`",
            Param::Duration => "a duration such as `10ms`",
        }
    }

    /// The short name used in signatures (`domain`, `dev`).
    pub const fn short(self) -> &'static str {
        match self {
            Param::Iommu => "iommu",
            Param::Device => "dev",
            Param::Domain => "domain",
            Param::Group => "group",
            Param::Cookie => "owner",
            Param::Driver => "driver",
            Param::Iova => "iova",
            Param::Paddr => "paddr",
            Param::Size => "size",
            Param::Prot => "prot",
            Param::Direction => "dir",
            Param::Access => "read|write",
            Param::Owner => "type",
            Param::Managed => "managed",
            Param::Duration => "time",
        }
    }
}

/// What a call returns, so `NAME = call(...)` can be checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Returns {
    /// 0 or an errno (or nothing, for `void` calls: `0`).
    Status,
    /// A domain, kept in a handle.
    Domain,
    /// A number (an IOVA, a PA, a size).
    Value,
}

/// How the call is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Syntax {
    /// `name(a, b)`
    Paren,
    /// `name a b` (bind, unbind, remove, tick)
    Command,
}

/// One entry of the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Signature {
    pub call: Call,
    pub name: &'static str,
    pub params: &'static [Param],
    /// How many trailing parameters may be left out.
    pub optional: usize,
    pub returns: Returns,
    pub syntax: Syntax,
    /// May `NAME = ` keep its result? (domains, and the IOVA of `dma_map_page`)
    pub keeps_handle: bool,
}

impl Signature {
    pub fn min_args(&self) -> usize {
        self.params.len().saturating_sub(self.optional)
    }

    /// `iommu_attach_device(domain, dev)`, `bind dev driver [managed]`.
    pub fn usage(&self) -> String {
        let parts: Vec<String> = self
            .params
            .iter()
            .enumerate()
            .map(|(i, p)| {
                if i >= self.min_args() {
                    format!("[{}]", p.short())
                } else {
                    p.short().to_string()
                }
            })
            .collect();
        match self.syntax {
            Syntax::Paren => format!("{}({})", self.name, parts.join(", ")),
            Syntax::Command => format!("{} {}", self.name, parts.join(" ")),
        }
    }
}

macro_rules! calls {
    ($( $variant:ident $name:literal $syntax:ident $returns:ident keep=$keep:literal opt=$opt:literal [$($p:ident),*] ; )*) => {
        /// Every call the language knows.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum Call { $($variant,)* }

        /// The table, in the order of shared/SCENARIO.md.
        pub static SIGNATURES: &[Signature] = &SIGNATURE_TABLE;

        /// [`SIGNATURES`] as an array, one entry per variant in declaration order.
        static SIGNATURE_TABLE: [Signature; [$($name),*].len()] = [
            $(Signature {
                call: Call::$variant,
                name: $name,
                params: &[$(Param::$p),*],
                optional: $opt,
                returns: Returns::$returns,
                syntax: Syntax::$syntax,
                keeps_handle: $keep,
            },)*
        ];
    };
}

calls! {
    Bind "bind" Command Status keep=false opt=1 [Device, Driver, Managed];
    Unbind "unbind" Command Status keep=false opt=0 [Device];
    Remove "remove" Command Status keep=false opt=0 [Device];
    Tick "tick" Command Status keep=false opt=0 [Duration];
    IommuDomainAlloc "iommu_domain_alloc" Paren Domain keep=true opt=0 [Iommu];
    IommuPagingDomainAlloc "iommu_paging_domain_alloc" Paren Domain keep=true opt=0 [Device];
    IommuDomainFree "iommu_domain_free" Paren Status keep=false opt=0 [Domain];
    IommuAttachDevice "iommu_attach_device" Paren Status keep=false opt=0 [Domain, Device];
    IommuDetachDevice "iommu_detach_device" Paren Status keep=false opt=0 [Domain, Device];
    IommuAttachGroup "iommu_attach_group" Paren Status keep=false opt=0 [Domain, Group];
    IommuDetachGroup "iommu_detach_group" Paren Status keep=false opt=0 [Domain, Group];
    IommuAttachDeviceShared "iommu_attach_device_shared" Paren Status keep=false opt=0 [Domain, Device];
    IommuDetachDeviceShared "iommu_detach_device_shared" Paren Status keep=false opt=0 [Domain, Device];
    // The v4 proposal: set_dma_owner(dev, type, cookie), release_dma_owner(dev, type);
    // today's release_dma_owner(dev) takes the device only, hence the optional type.
    IommuDeviceSetDmaOwner "iommu_device_set_dma_owner" Paren Status keep=false opt=0 [Device, Owner, Cookie];
    IommuDeviceReleaseDmaOwner "iommu_device_release_dma_owner" Paren Status keep=false opt=1 [Device, Owner];
    IommuGroupClaimDmaOwner "iommu_group_claim_dma_owner" Paren Status keep=false opt=0 [Group, Cookie];
    IommuGroupReleaseDmaOwner "iommu_group_release_dma_owner" Paren Status keep=false opt=0 [Group];
    IommuDeviceClaimDmaOwner "iommu_device_claim_dma_owner" Paren Status keep=false opt=0 [Device, Cookie];
    IommuDeviceUseDefaultDomain "iommu_device_use_default_domain" Paren Status keep=false opt=0 [Device];
    IommuDeviceUnuseDefaultDomain "iommu_device_unuse_default_domain" Paren Status keep=false opt=0 [Device];
    IommuGroupReplaceDomain "iommu_group_replace_domain" Paren Status keep=false opt=0 [Group, Domain];
    VfioGroupSetContainer "vfio_group_set_container" Paren Status keep=false opt=0 [Group, Cookie];
    VfioGroupUnsetContainer "vfio_group_unset_container" Paren Status keep=false opt=0 [Group];
    IommufdDeviceBind "iommufd_device_bind" Paren Status keep=false opt=0 [Device, Cookie];
    IommufdDeviceUnbind "iommufd_device_unbind" Paren Status keep=false opt=0 [Device];
    IommuMap "iommu_map" Paren Status keep=false opt=0 [Domain, Iova, Paddr, Size, Prot];
    IommuUnmap "iommu_unmap" Paren Value keep=false opt=0 [Domain, Iova, Size];
    IommuIovaToPhys "iommu_iova_to_phys" Paren Value keep=false opt=0 [Domain, Iova];
    IommuFlushIotlbAll "iommu_flush_iotlb_all" Paren Status keep=false opt=0 [Domain];
    DmaMapPage "dma_map_page" Paren Value keep=true opt=0 [Device, Paddr, Size, Direction];
    DmaUnmapPage "dma_unmap_page" Paren Status keep=false opt=0 [Device, Iova, Size, Direction];
    DeviceDma "device_dma" Paren Value keep=false opt=0 [Device, Iova, Access];
}

impl Call {
    pub fn signature(self) -> &'static Signature {
        // The table is generated from the same list as the enum, in the same order.
        let i = self as usize;
        // One entry per variant, so `get` always finds it; the constant index into the
        // (non-empty) array only satisfies the type.
        SIGNATURE_TABLE.get(i).unwrap_or(&SIGNATURE_TABLE[0])
    }

    pub fn name(self) -> &'static str {
        self.signature().name
    }

    pub fn parse(name: &str) -> Option<Call> {
        SIGNATURES.iter().find(|s| s.name == name).map(|s| s.call)
    }

    /// The known call nearest to `name`, if near enough to be a likely typo.
    pub fn suggest(name: &str) -> Option<&'static str> {
        nearest(name, SIGNATURES.iter().map(|s| s.name))
    }
}

/// The candidate nearest to `word` by edit distance, if near enough to be a likely typo:
/// within a third of its length (at least 2 edits), or sharing a long prefix (`passthru`).
pub(crate) fn nearest<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(2);
    candidates
        .into_iter()
        .map(|c| (strsim::levenshtein(word, c), c))
        .filter(|&(d, c)| d <= limit || strsim::jaro_winkler(word, c) >= 0.9)
        .min_by_key(|&(d, _)| d)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn table_order_matches_enum() {
        for (i, s) in SIGNATURES.iter().enumerate() {
            assert_eq!(s.call as usize, i);
            assert_eq!(Call::parse(s.name), Some(s.call));
        }
        assert_eq!(SIGNATURES.len(), 32);
    }

    #[test]
    fn usage_shows_optional_parameters() {
        assert_eq!(Call::Bind.signature().usage(), "bind dev driver [managed]");
        assert_eq!(
            Call::IommuMap.signature().usage(),
            "iommu_map(domain, iova, paddr, size, prot)"
        );
        assert_eq!(
            Call::IommuDeviceReleaseDmaOwner.signature().usage(),
            "iommu_device_release_dma_owner(dev, [type])"
        );
    }

    #[test]
    fn misspelt_calls_get_a_suggestion() {
        assert_eq!(
            Call::suggest("iommu_attach_devce"),
            Some("iommu_attach_device")
        );
        assert_eq!(Call::suggest("iommu_map_pages"), Some("dma_map_page"));
        assert_eq!(Call::suggest("totally_unrelated_thing"), None);
    }
}
