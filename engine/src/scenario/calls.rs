//! The parser's view of the call table ([`crate::call`]): name, parameter kinds, what they
//! return, and how they are written (shared/SCENARIO.md "Calls"). Every call of every era
//! is here: a call absent from the chosen era still parses and yields `n/a` at run time.

use crate::call::{call_table, kind};
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
    /// The CPU a DMA-API call runs on: `0` or `1` (the model simulates 2 CPUs).
    Cpu,
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
            Param::Cpu => "a CPU number (0 or 1: the model simulates 2 CPUs)",
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
            Param::Cpu => "cpu",
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
    pub call: CallName,
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

/// The parser's [`Param`] for each argument kind of the call table.
trait ParamOf {
    const PARAM: Param;
}

macro_rules! param_of {
    ($($k:ident => $p:ident,)*) => {
        $(impl ParamOf for kind::$k {
            const PARAM: Param = Param::$p;
        })*
    };
}

param_of! {
    Dev => Device,
    Dom => Domain,
    OptDom => Domain,
    Grp => Group,
    Iommu => Iommu,
    OptCookie => Cookie,
    Cookie => Cookie,
    Driver => Driver,
    Managed => Managed,
    Iova => Iova,
    Paddr => Paddr,
    Size => Size,
    Prot => Prot,
    Dir => Direction,
    Access => Access,
    Owner => Owner,
    OptOwner => Owner,
    Duration => Duration,
    Cpu => Cpu,
}

/// The language's call names and their signatures, from every row of the call table.
macro_rules! define_signatures {
    ($($(#[$doc:meta])* $v:ident $name:literal $syntax:ident $returns:ident keep=$keep:literal
        opt=$opt:literal ($($f:ident: $k:ident),* $(; $($hf:ident: $hk:ident),*)?)
        $(=> |$era:ident, $cx:ident| $body:expr)?;)*) => {
        /// Every call the language knows, by name (the kernel calls of
        /// [`crate::call::Call`] and `remove`).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum CallName { $($v,)* }

        /// The table, in the order of shared/SCENARIO.md.
        pub static SIGNATURES: &[Signature] = &SIGNATURE_TABLE;

        /// [`SIGNATURES`] as an array, one entry per variant in declaration order.
        static SIGNATURE_TABLE: [Signature; [$($name),*].len()] = [
            $(Signature {
                call: CallName::$v,
                name: $name,
                params: &[$(<kind::$k as ParamOf>::PARAM),*],
                optional: $opt,
                returns: Returns::$returns,
                syntax: Syntax::$syntax,
                keeps_handle: $keep,
            },)*
        ];
    };
}

call_table!(define_signatures);

impl CallName {
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

    pub fn parse(name: &str) -> Option<CallName> {
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
            assert_eq!(CallName::parse(s.name), Some(s.call));
        }
        assert_eq!(SIGNATURES.len(), 32);
    }

    #[test]
    fn usage_shows_optional_parameters() {
        assert_eq!(
            CallName::Bind.signature().usage(),
            "bind dev driver [managed]"
        );
        assert_eq!(
            CallName::IommuMap.signature().usage(),
            "iommu_map(domain, iova, paddr, size, prot)"
        );
        assert_eq!(
            CallName::IommuDeviceReleaseDmaOwner.signature().usage(),
            "iommu_device_release_dma_owner(dev, [type])"
        );
    }

    #[test]
    fn misspelt_calls_get_a_suggestion() {
        assert_eq!(
            CallName::suggest("iommu_attach_devce"),
            Some("iommu_attach_device")
        );
        assert_eq!(CallName::suggest("iommu_map_pages"), Some("dma_map_page"));
        assert_eq!(CallName::suggest("totally_unrelated_thing"), None);
    }
}
