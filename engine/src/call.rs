//! The one table of kernel calls a scenario can make (shared/SCENARIO.md "Calls"): one row
//! per call gives its typed [`Call`] variant (arguments resolved to ids), its printed name,
//! the parser's signature ([`crate::scenario::SIGNATURES`]: parameter names and kinds,
//! optional tail, result, syntax), its lowering from the AST
//! (`scenario/lower/calls.rs`), how the trace prints its arguments, and its dispatch to the
//! era ([`crate::iommu::Kernel::call`]). Each consumer expands [`call_table!`] with its own
//! macro; what an argument *kind* means (its Rust type, how it is parsed, resolved and
//! printed) is said once per kind in [`kind`] and next to each consumer.
//!
//! # Adding a call
//!
//! Say v6.x grows `iommu_group_foo(group, domain)`. Add one row to [`call_table!`]:
//!
//! ```text
//! /// `iommu_group_foo(group, domain)`.
//! IommuGroupFoo "iommu_group_foo" Paren Status keep=false opt=0 (group: Grp, domain: Dom)
//!     => |era, cx| crate::iommu::with_domain(cx, domain, |cx| era.group_foo(cx, group, domain));
//! ```
//!
//! and one method to [`crate::era::EraOps`], defaulting to `n/a`, with its kernel citation:
//!
//! ```text
//! fn group_foo(&self, _cx: &mut Cx<'_>, _g: GroupId, _d: DomainId) -> Ret { Ret::NotAvailable }
//! ```
//!
//! then override it in the era files that have the function. The row gives the parser
//! `iommu_group_foo(group, domain)` (with "did you mean" and the argument checks), the
//! typed `Call::IommuGroupFoo { group, domain }`, its lowering (`group(DEV)` → the device's
//! group, a handle → its domain), the trace text `iommu_group_foo(group3, d1)` and the
//! dispatch. Rows without `=> ...` (`remove`) are statements of the language only.

use serde::{Deserialize, Serialize};
use std::fmt;

/// An opaque owner cookie (`void *owner`): VFIO's group file, an iommufd context, a driver.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Cookie(pub String);

impl fmt::Display for Cookie {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The v4 proposal's `enum iommu_dma_owner` (generation `shared`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum DmaOwnerType {
    #[default]
    None,
    DmaApi,
    PrivateDomain,
    PrivateDomainUser,
}

impl DmaOwnerType {
    /// The kernel's enumerator name.
    pub const fn name(self) -> &'static str {
        match self {
            DmaOwnerType::None => "DMA_OWNER_NONE",
            DmaOwnerType::DmaApi => "DMA_OWNER_DMA_API",
            DmaOwnerType::PrivateDomain => "DMA_OWNER_PRIVATE_DOMAIN",
            DmaOwnerType::PrivateDomainUser => "DMA_OWNER_PRIVATE_DOMAIN_USER",
        }
    }

    /// Every owner type, in the kernel's order.
    pub const ALL: [DmaOwnerType; 4] = [
        DmaOwnerType::None,
        DmaOwnerType::DmaApi,
        DmaOwnerType::PrivateDomain,
        DmaOwnerType::PrivateDomainUser,
    ];

    /// The owner type a scenario names by its enumerator (`DMA_OWNER_PRIVATE_DOMAIN`).
    pub fn from_keyword(s: &str) -> Option<DmaOwnerType> {
        DmaOwnerType::ALL.into_iter().find(|d| d.name() == s)
    }
}

/// The kinds of call arguments. Each kind is one Rust type in [`Call`] and, in each
/// consumer, one parser [`crate::scenario::Param`], one way to resolve the AST argument and
/// one way to print it in the trace.
pub mod kind {
    /// An argument kind and the type a [`super::Call`] holds for it.
    pub trait Kind {
        type Value;
    }

    macro_rules! kinds {
        ($($(#[$doc:meta])* $k:ident => $t:ty;)*) => {
            $(
                $(#[$doc])*
                #[derive(Clone, Copy, Debug)]
                pub struct $k;
                impl Kind for $k {
                    type Value = $t;
                }
            )*
        };
    }

    kinds! {
        /// A device (a name or a BDF).
        Dev => crate::ids::DeviceId;
        /// A domain handle.
        Dom => crate::ids::DomainId;
        /// A domain handle the kernel API would also take as NULL.
        OptDom => Option<crate::ids::DomainId>;
        /// `group(DEV)`: the device's group.
        Grp => crate::ids::GroupId;
        /// An IOMMU by name.
        Iommu => crate::ids::IommuId;
        /// An owner cookie, `NULL` → `None`.
        OptCookie => Option<super::Cookie>;
        /// A named cookie that is never NULL (VFIO container, iommufd context).
        Cookie => super::Cookie;
        /// A driver name.
        Driver => String;
        /// The word `managed` (`driver_managed_dma`).
        Managed => bool;
        /// An IOVA: a number or a handle kept from `dma_map_page`.
        Iova => u64;
        /// A physical address.
        Paddr => u64;
        /// A size in bytes.
        Size => u64;
        /// `R|W|...`.
        Prot => crate::pgtable::Prot;
        /// A DMA direction.
        Dir => crate::dma::DmaDirection;
        /// `read` (false) or `write` (true).
        Access => bool;
        /// A DMA owner type.
        Owner => super::DmaOwnerType;
        /// A DMA owner type that may be left out.
        OptOwner => Option<super::DmaOwnerType>;
        /// A duration, in ns.
        Duration => u64;
        /// The simulated CPU a DMA-API call runs on: the kernel's `raw_smp_processor_id()`
        /// where iova.c picks the per-CPU rcache (`__iova_rcache_get()`/`__iova_rcache_insert()`,
        /// v6.8) and dma-iommu the flush-queue ring (`queue_iova()`, v6.10). The kernel call
        /// has no such argument; a scenario may name the CPU as a trailing argument (0 when
        /// left out).
        Cpu => usize;
    }
}

/// The call table: `$m! { rows }` (with `$args` first), one row per call, in the order of
/// shared/SCENARIO.md (the parser's order for suggestions). A row is
///
/// `Variant "name" Paren|Command Status|Domain|Value keep=BOOL opt=N (field: Kind, ...; hidden: Kind)`
/// `=> |era, cx| dispatch;`
///
/// Fields before `;` are the scenario's parameters in order (the last `opt` may be left
/// out); fields after it are not written in a scenario (lowered to their default, not
/// printed). `keep`: may `NAME = ` keep the result. The dispatch runs with `era: &dyn
/// EraOps`, `cx: &mut Cx` and every field bound by value.
macro_rules! call_table {
    ($m:ident $(, $arg:tt)*) => {
        $m! { $($arg)*
            /// `bind DEV DRIVER [managed]`: sysfs bind → really_probe.
            Bind "bind" Command Status keep=false opt=1 (dev: Dev, driver: Driver, managed: Managed)
                => |era, cx| crate::driver::bind(cx, era, dev, &driver, managed);
            /// `unbind DEV`.
            Unbind "unbind" Command Status keep=false opt=0 (dev: Dev)
                => |era, cx| crate::driver::unbind(cx, era, dev);
            /// `remove DEV`: hot-unplug (a statement of the language, run by the runner).
            Remove "remove" Command Status keep=false opt=0 (dev: Dev);
            /// `tick`: `ns` nanoseconds pass; flush-queue timers and the rcache depot work run.
            Tick "tick" Command Status keep=false opt=0 (ns: Duration)
                => |_era, cx| cx.tick(ns);
            IommuDomainAlloc "iommu_domain_alloc" Paren Domain keep=true opt=0 (iommu: Iommu)
                => |era, cx| era.domain_alloc(cx, iommu);
            IommuPagingDomainAlloc "iommu_paging_domain_alloc" Paren Domain keep=true opt=0 (dev: Dev)
                => |era, cx| era.paging_domain_alloc(cx, dev);
            IommuDomainFree "iommu_domain_free" Paren Status keep=false opt=0 (domain: Dom)
                => |_era, cx| crate::trace::Ret::from(cx.domain_free(domain));
            IommuAttachDevice "iommu_attach_device" Paren Status keep=false opt=0 (domain: Dom, dev: Dev)
                => |era, cx| crate::iommu::with_domain(cx, domain, |cx| era.attach_device(cx, domain, dev));
            IommuDetachDevice "iommu_detach_device" Paren Status keep=false opt=0 (domain: Dom, dev: Dev)
                => |era, cx| crate::iommu::with_domain(cx, domain, |cx| era.detach_device(cx, domain, dev));
            IommuAttachGroup "iommu_attach_group" Paren Status keep=false opt=0 (domain: Dom, group: Grp)
                => |era, cx| crate::iommu::with_domain(cx, domain, |cx| era.attach_group(cx, domain, group));
            IommuDetachGroup "iommu_detach_group" Paren Status keep=false opt=0 (domain: Dom, group: Grp)
                => |era, cx| crate::iommu::with_domain(cx, domain, |cx| era.detach_group(cx, domain, group));
            IommuAttachDeviceShared "iommu_attach_device_shared" Paren Status keep=false opt=0 (domain: Dom, dev: Dev)
                => |era, cx| crate::iommu::with_domain(cx, domain, |cx| era.attach_device_shared(cx, domain, dev));
            IommuDetachDeviceShared "iommu_detach_device_shared" Paren Status keep=false opt=0 (domain: Dom, dev: Dev)
                => |era, cx| crate::iommu::with_domain(cx, domain, |cx| era.detach_device_shared(cx, domain, dev));
            // The v4 proposal: set_dma_owner(dev, type, cookie), release_dma_owner(dev, type);
            // today's release_dma_owner(dev) takes the device only, hence the optional type.
            IommuDeviceSetDmaOwner "iommu_device_set_dma_owner" Paren Status keep=false opt=0 (dev: Dev, owner: Owner, cookie: OptCookie)
                => |era, cx| era.device_set_dma_owner(cx, dev, owner, cookie);
            /// `iommu_device_release_dma_owner(dev, type)` (shared) or `(dev)` (current).
            IommuDeviceReleaseDmaOwner "iommu_device_release_dma_owner" Paren Status keep=false opt=1 (dev: Dev, owner: OptOwner)
                => |era, cx| era.device_release_dma_owner(cx, dev, owner);
            IommuGroupClaimDmaOwner "iommu_group_claim_dma_owner" Paren Status keep=false opt=0 (group: Grp, cookie: OptCookie)
                => |era, cx| era.group_claim_dma_owner(cx, group, cookie);
            IommuGroupReleaseDmaOwner "iommu_group_release_dma_owner" Paren Status keep=false opt=0 (group: Grp)
                => |era, cx| era.group_release_dma_owner(cx, group);
            IommuDeviceClaimDmaOwner "iommu_device_claim_dma_owner" Paren Status keep=false opt=0 (dev: Dev, cookie: OptCookie)
                => |era, cx| era.device_claim_dma_owner(cx, dev, cookie);
            IommuDeviceUseDefaultDomain "iommu_device_use_default_domain" Paren Status keep=false opt=0 (dev: Dev)
                => |era, cx| era.device_use_default_domain(cx, dev);
            IommuDeviceUnuseDefaultDomain "iommu_device_unuse_default_domain" Paren Status keep=false opt=0 (dev: Dev)
                => |era, cx| era.device_unuse_default_domain(cx, dev);
            IommuGroupReplaceDomain "iommu_group_replace_domain" Paren Status keep=false opt=0 (group: Grp, domain: OptDom)
                => |era, cx| match domain {
                    Some(d) => crate::iommu::with_domain(cx, d, |cx| era.group_replace_domain(cx, group, Some(d))),
                    None => era.group_replace_domain(cx, group, None),
                };
            VfioGroupSetContainer "vfio_group_set_container" Paren Status keep=false opt=0 (group: Grp, container: Cookie)
                => |era, cx| crate::driver::vfio_group_set_container(cx, era, group, container);
            VfioGroupUnsetContainer "vfio_group_unset_container" Paren Status keep=false opt=0 (group: Grp)
                => |era, cx| crate::driver::vfio_group_unset_container(cx, era, group);
            IommufdDeviceBind "iommufd_device_bind" Paren Status keep=false opt=0 (dev: Dev, ictx: Cookie)
                => |era, cx| era.iommufd_device_bind(cx, dev, ictx);
            IommufdDeviceUnbind "iommufd_device_unbind" Paren Status keep=false opt=0 (dev: Dev)
                => |era, cx| era.iommufd_device_unbind(cx, dev);
            /// `iommu_map(domain, iova, paddr, size, prot, GFP_KERNEL)`: 0 or an errno.
            IommuMap "iommu_map" Paren Status keep=false opt=0 (domain: Dom, iova: Iova, paddr: Paddr, size: Size, prot: Prot)
                => |_era, cx| crate::iommu::with_domain(cx, domain, |cx| cx.iommu_map(domain, iova, paddr, size, prot));
            /// `iommu_unmap(domain, iova, size)`: the bytes unmapped ([`crate::Ret::Value`]).
            IommuUnmap "iommu_unmap" Paren Value keep=false opt=0 (domain: Dom, iova: Iova, size: Size)
                => |_era, cx| crate::iommu::with_domain(cx, domain, |cx| cx.iommu_unmap(domain, iova, size));
            /// `iommu_iova_to_phys(domain, iova)`: the PA ([`crate::Ret::Value`]), 0 if unmapped.
            IommuIovaToPhys "iommu_iova_to_phys" Paren Value keep=false opt=0 (domain: Dom, iova: Iova)
                => |_era, cx| crate::iommu::with_domain(cx, domain, |cx| cx.iommu_iova_to_phys(domain, iova));
            /// `iommu_flush_iotlb_all(domain)`.
            IommuFlushIotlbAll "iommu_flush_iotlb_all" Paren Status keep=false opt=0 (domain: Dom)
                => |_era, cx| crate::iommu::with_domain(cx, domain, |cx| cx.iommu_flush_iotlb_all(domain));
            /// `dma_map_page(dev, page, offset, size, dir)` with `phys = page_to_phys(page) +
            /// offset`, run on simulated CPU `cpu`: the DMA address or `DMA_MAPPING_ERROR`.
            DmaMapPage "dma_map_page" Paren Value keep=true opt=1 (dev: Dev, phys: Paddr, size: Size, dir: Dir, cpu: Cpu)
                => |_era, cx| cx.dma_map_page(dev, phys, size, dir, cpu);
            /// `dma_unmap_page(dev, addr, size, dir)` on simulated CPU `cpu`.
            DmaUnmapPage "dma_unmap_page" Paren Status keep=false opt=1 (dev: Dev, iova: Iova, size: Size, dir: Dir, cpu: Cpu)
                => |_era, cx| cx.dma_unmap_page(dev, iova, size, dir, cpu);
            /// The device issues one DMA access; returns the PA reached or -EFAULT.
            DeviceDma "device_dma" Paren Value keep=false opt=0 (dev: Dev, iova: Iova, write: Access)
                => |_era, cx| cx.device_dma(dev, iova, write);
        }
    };
}
pub(crate) use call_table;

/// Keeps the rows of [`call_table!`] that are kernel calls (those with a dispatch) and
/// hands them to `$m`.
macro_rules! kernel_calls {
    ($m:ident [$($acc:tt)*]) => { $m! { $($acc)* } };
    ($m:ident [$($acc:tt)*] $(#[$doc:meta])* $v:ident $name:literal $syn:ident $ret:ident
        keep=$keep:literal opt=$opt:literal ($($p:tt)*) ; $($rest:tt)*) => {
        $crate::call::kernel_calls! { $m [$($acc)*] $($rest)* }
    };
    ($m:ident [$($acc:tt)*] $(#[$doc:meta])* $v:ident $name:literal $syn:ident $ret:ident
        keep=$keep:literal opt=$opt:literal ($($p:tt)*)
        => |$era:ident, $cx:ident| $body:expr ; $($rest:tt)*) => {
        $crate::call::kernel_calls! { $m [$($acc)* $(#[$doc])* $v $name ($($p)*) => |$era, $cx| $body;] $($rest)* }
    };
}
pub(crate) use kernel_calls;

/// The typed [`Call`] enum and its names, from the kernel rows of the table.
macro_rules! define_call {
    ($($(#[$doc:meta])* $v:ident $name:literal ($($f:ident: $k:ident),* $(; $($hf:ident: $hk:ident),*)?)
        => |$era:ident, $cx:ident| $body:expr;)*) => {
        /// One kernel call, arguments resolved to ids. Cookies are `None` where the scenario
        /// passes `NULL`.
        #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(tag = "call", rename_all = "snake_case")]
        pub enum Call {
            $(
                $(#[$doc])*
                $v {
                    $($f: <kind::$k as kind::Kind>::Value,)*
                    $($($hf: <kind::$hk as kind::Kind>::Value,)*)?
                },
            )*
        }

        impl Call {
            /// The kernel (or scenario) name of the call.
            pub const fn name(&self) -> &'static str {
                match self {
                    $(Call::$v { .. } => $name,)*
                }
            }
        }
    };
}

call_table!(kernel_calls, define_call, []);

/// drivers/vfio/pci/vfio_pci.c, drivers/vfio/platform, drivers/pci/pci-stub.c,
/// drivers/pci/pcie/portdrv.c: the drivers that set `driver_managed_dma` (v5.19+) or
/// `suppress_auto_claim_dma_owner` (v4 proposal).
pub fn driver_is_managed_by_name(driver: &str) -> bool {
    matches!(
        driver,
        "vfio-pci" | "vfio-platform" | "pci-stub" | "pcieport"
    )
}

/// VFIO's own devices: their drivers register with VFIO (`vfio_register_group_dev`).
pub fn driver_is_vfio(driver: &str) -> bool {
    matches!(driver, "vfio-pci" | "vfio-platform")
}
