//! Behaviour of the six eras, as specifications: exact results and state per era.

use crate::call::{Call, Cookie, DmaOwnerType};
use crate::core::{DeviceFacts, IommuFacts};
use crate::domain::DomainType;
use crate::era::{Config, Era};
use crate::errno::Errno;
use crate::ids::{DeviceId, DomainId, GroupId, IommuId};
use crate::iommu::Kernel;
use crate::pgtable::Prot;
use crate::trace::{Event, Ret};
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;
use Era::*;

const E: fn(Errno) -> Ret = Ret::Err;
const NA: Ret = Ret::NotAvailable;

/// `iommu_map(d, iova, pa, size, R|W)` through the kernel.
fn map(k: &mut Kernel, d: DomainId, iova: u64, paddr: u64, size: u64) -> Ret {
    k.call(&Call::IommuMap {
        domain: d,
        iova,
        paddr,
        size,
        prot: Prot::RW,
    })
    .result
}

fn kernel(g: Era) -> Kernel {
    let mut k = Kernel::new(g, Config::default());
    k.add_iommu(IommuId(0), IommuFacts::new("smmu0"));
    k
}

fn probe(k: &mut Kernel, id: u32, name: &str, group: u32, rid: u32) -> DeviceId {
    let f = DeviceFacts::new(name, true, IommuId(0), rid);
    k.probe_device(DeviceId(id), f, Some(GroupId(group)));
    DeviceId(id)
}

fn run(k: &mut Kernel, c: Call) -> Ret {
    k.call(&c).result
}

fn ev(k: &mut Kernel, c: Call) -> Event {
    k.call(&c)
}

fn alloc(k: &mut Kernel) -> DomainId {
    match run(k, Call::IommuDomainAlloc { iommu: IommuId(0) }) {
        Ret::Domain(d) => d,
        r => panic!("alloc failed: {r}"),
    }
}

fn bind(k: &mut Kernel, dev: DeviceId, drv: &str) -> Ret {
    run(
        k,
        Call::Bind {
            dev,
            driver: drv.into(),
            managed: false,
        },
    )
}

fn bind_managed(k: &mut Kernel, dev: DeviceId, drv: &str) -> Ret {
    run(
        k,
        Call::Bind {
            dev,
            driver: drv.into(),
            managed: true,
        },
    )
}

fn attach_device(k: &mut Kernel, domain: DomainId, dev: DeviceId) -> Ret {
    run(k, Call::IommuAttachDevice { domain, dev })
}

fn attach_group(k: &mut Kernel, domain: DomainId, group: GroupId) -> Ret {
    run(k, Call::IommuAttachGroup { domain, group })
}

fn set_container(k: &mut Kernel, group: GroupId, c: &str) -> Ret {
    run(
        k,
        Call::VfioGroupSetContainer {
            group,
            container: Cookie(c.into()),
        },
    )
}

fn breaches(k: &Kernel) -> Vec<&'static str> {
    k.events()
        .last()
        .map(|e| e.breaches.iter().map(|b| b.invariant).collect())
        .unwrap_or_default()
}

fn group_domain(k: &Kernel, g: u32) -> Option<DomainId> {
    k.core.groups.get(&GroupId(g)).and_then(|g| g.domain)
}

fn default_domain(k: &Kernel, g: u32) -> Option<DomainId> {
    k.core
        .groups
        .get(&GroupId(g))
        .and_then(|g| g.default_domain)
}

fn owner_cnt(k: &Kernel, g: u32) -> u32 {
    k.core.groups.get(&GroupId(g)).map_or(99, |g| g.owner_cnt)
}

/// Checks one result per generation, oldest first.
fn per_era(expect: [Ret; 6], f: impl Fn(&mut Kernel) -> Ret) {
    for (g, want) in Era::ALL.into_iter().zip(expect) {
        let mut k = kernel(g);
        assert_eq!(f(&mut k), want, "generation {g}");
    }
}

// ---------------------------------------------------------------- domains

#[test]
fn probe_sets_up_default_domain_of_boot_type() {
    let mut k = kernel(Current);
    probe(&mut k, 0, "01:00.0", 0, 0x100);
    let d = default_domain(&k, 0)
        .and_then(|d| k.core.domains.get(&d))
        .map(|d| d.ty);
    assert_eq!(d, Some(DomainType::Dma));
    let mut k = Kernel::new(
        Current,
        Config {
            strict: false,
            ..Config::default()
        },
    );
    k.add_iommu(IommuId(0), IommuFacts::new("smmu0"));
    probe(&mut k, 0, "01:00.0", 0, 0x100);
    let d = default_domain(&k, 0)
        .and_then(|d| k.core.domains.get(&d))
        .map(|d| d.ty);
    assert_eq!(d, Some(DomainType::DmaFq));
}

#[test]
fn untrusted_device_gets_dma_domain_under_passthrough() {
    let mut k = Kernel::new(
        Current,
        Config {
            passthrough: true,
            ..Config::default()
        },
    );
    k.add_iommu(IommuId(0), IommuFacts::new("smmu0"));
    let mut f = DeviceFacts::new("00:02.0", true, IommuId(0), 0x10);
    f.untrusted = true;
    k.probe_device(DeviceId(0), f, Some(GroupId(0)));
    probe(&mut k, 1, "01:00.0", 1, 0x100);
    let ty = |k: &Kernel, g| {
        default_domain(k, g)
            .and_then(|d| k.core.domains.get(&d))
            .map(|d| d.ty)
    };
    assert_eq!(ty(&k, 0), Some(DomainType::Dma));
    assert_eq!(ty(&k, 1), Some(DomainType::Identity));
    assert_eq!(
        run(
            &mut k,
            Call::DeviceDma {
                dev: DeviceId(1),
                iova: 0x1234,
                write: true
            }
        ),
        Ret::Value(0x1234)
    );
    assert_eq!(
        run(
            &mut k,
            Call::DeviceDma {
                dev: DeviceId(0),
                iova: 0x1234,
                write: true
            }
        ),
        E(Errno::EFAULT)
    );
}

#[test]
fn domain_alloc_sets_geometry_and_pgsize_from_iommu() {
    let mut k = kernel(Current);
    let d = alloc(&mut k);
    let dom = k
        .core
        .domains
        .get(&d)
        .map(|d| (d.ty, d.pgsize_bitmap, d.geometry.aperture_end));
    assert_eq!(
        dom,
        Some((DomainType::Unmanaged, 0x4020_1000, 0xffff_ffff_ffff))
    );
}

#[test]
fn paging_domain_alloc_only_in_current() {
    per_era([NA, NA, NA, NA, NA, Ret::Domain(DomainId(1))], |k| {
        let a = probe(k, 0, "01:00.0", 0, 0x100);
        run(k, Call::IommuPagingDomainAlloc { dev: a })
    });
}

#[test]
fn freeing_an_attached_domain_is_flagged_use_after_free() {
    let mut k = kernel(Current);
    let a = probe(&mut k, 0, "01:00.0", 0, 0x100);
    let d = alloc(&mut k);
    assert_eq!(attach_device(&mut k, d, a), Ret::Ok);
    let e = ev(&mut k, Call::IommuDomainFree { domain: d });
    assert_eq!(e.result, Ret::Ok);
    assert_eq!(e.warns.len(), 1);
    assert_eq!(e.warns[0].kind.as_str(), "model");
    assert_eq!(breaches(&k), vec!["UAF"]);
}

// ---------------------------------------------------------------- attach_device

#[test]
fn attach_device_on_two_device_group_per_era() {
    // S4: -EINVAL where the singleton rule holds; legacy and unified accept.
    per_era(
        [
            Ret::Ok,
            E(Errno::EINVAL),
            E(Errno::EINVAL),
            Ret::Ok,
            E(Errno::EINVAL),
            E(Errno::EINVAL),
        ],
        |k| {
            let a = probe(k, 0, "03:00.0", 0, 0x300);
            probe(k, 1, "03:00.1", 0, 0x301);
            let d = alloc(k);
            attach_device(k, d, a)
        },
    );
}

#[test]
fn singleton_attach_device_rejects_multi_device_group() {
    let mut k = kernel(Singleton);
    let a = probe(&mut k, 0, "03:00.0", 0, 0x300);
    probe(&mut k, 1, "03:00.1", 0, 0x301);
    let d = alloc(&mut k);
    let def = default_domain(&k, 0);
    assert_eq!(attach_device(&mut k, d, a), E(Errno::EINVAL));
    assert_eq!(group_domain(&k, 0), def);
}

#[test]
fn singleton_attach_device_on_own_group_moves_group_and_detach_restores_default() {
    let mut k = kernel(Singleton);
    let a = probe(&mut k, 0, "01:00.0", 0, 0x100);
    let d = alloc(&mut k);
    assert_eq!(attach_device(&mut k, d, a), Ret::Ok);
    assert_eq!(group_domain(&k, 0), Some(d));
    let d2 = alloc(&mut k);
    assert_eq!(attach_device(&mut k, d2, a), E(Errno::EBUSY));
    assert_eq!(
        run(&mut k, Call::IommuDetachDevice { domain: d, dev: a }),
        Ret::Ok
    );
    assert_eq!(group_domain(&k, 0), default_domain(&k, 0));
}

#[test]
fn singleton_detach_device_on_multi_device_group_warns() {
    let mut k = kernel(Singleton);
    let a = probe(&mut k, 0, "03:00.0", 0, 0x300);
    probe(&mut k, 1, "03:00.1", 0, 0x301);
    let d = alloc(&mut k);
    let e = ev(&mut k, Call::IommuDetachDevice { domain: d, dev: a });
    assert_eq!(e.result, Ret::Ok);
    assert_eq!(e.warns.first().map(|w| w.kind.as_str()), Some("WARN"));
}

#[test]
fn current_detach_device_of_other_domain_warns_and_keeps_domain() {
    let mut k = kernel(Current);
    let a = probe(&mut k, 0, "01:00.0", 0, 0x100);
    let d = alloc(&mut k);
    let d2 = alloc(&mut k);
    assert_eq!(attach_device(&mut k, d, a), Ret::Ok);
    let e = ev(&mut k, Call::IommuDetachDevice { domain: d2, dev: a });
    assert_eq!(e.warns.len(), 1);
    assert_eq!(group_domain(&k, 0), Some(d));
}

#[test]
fn unified_attach_device_shares_group_domain_and_counts() {
    let mut k = kernel(Unified);
    let a = probe(&mut k, 0, "03:00.0", 0, 0x300);
    let b = probe(&mut k, 1, "03:00.1", 0, 0x301);
    let d = alloc(&mut k);
    let d2 = alloc(&mut k);
    assert_eq!(attach_device(&mut k, d, a), Ret::Ok);
    assert_eq!(attach_device(&mut k, d2, b), E(Errno::EPERM));
    assert_eq!(attach_device(&mut k, d, b), Ret::Ok);
    let g = k
        .core
        .groups
        .get(&GroupId(0))
        .map(|g| (g.owner_cnt, g.attach_cnt));
    assert_eq!(g, Some((2, 2)));
    // A DMA-API driver cannot bind into the private domain.
    assert_eq!(bind(&mut k, a, "e1000e"), E(Errno::EBUSY));
    assert_eq!(
        run(&mut k, Call::IommuDetachDevice { domain: d, dev: a }),
        Ret::Ok
    );
    assert_eq!(group_domain(&k, 0), Some(d));
    assert_eq!(
        run(&mut k, Call::IommuDetachDevice { domain: d, dev: b }),
        Ret::Ok
    );
    assert_eq!(group_domain(&k, 0), default_domain(&k, 0));
    assert_eq!(owner_cnt(&k, 0), 0);
}

#[test]
fn unified_attach_device_rejects_non_unmanaged_and_busy_groups() {
    let mut k = kernel(Unified);
    let a = probe(&mut k, 0, "03:00.0", 0, 0x300);
    let b = probe(&mut k, 1, "03:00.1", 0, 0x301);
    let def = default_domain(&k, 0).unwrap_or(DomainId(99));
    assert_eq!(attach_device(&mut k, def, a), E(Errno::EINVAL));
    assert_eq!(bind(&mut k, b, "e1000e"), Ret::Ok);
    let d = alloc(&mut k);
    assert_eq!(attach_device(&mut k, d, a), E(Errno::EBUSY));
}

#[test]
fn unified_has_no_attach_group() {
    let mut k = kernel(Unified);
    probe(&mut k, 0, "03:00.0", 0, 0x300);
    let d = alloc(&mut k);
    assert_eq!(attach_group(&mut k, d, GroupId(0)), NA);
}

// ---------------------------------------------------------------- attach_group

#[test]
fn attach_group_from_non_default_domain_is_busy_from_singleton_on() {
    per_era(
        [
            Ret::Ok,
            E(Errno::EBUSY),
            E(Errno::EBUSY),
            NA,
            E(Errno::EBUSY),
            E(Errno::EBUSY),
        ],
        |k| {
            let a = probe(k, 0, "01:00.0", 0, 0x100);
            let d = alloc(k);
            let d2 = alloc(k);
            let _ = attach_device(k, d, a);
            attach_group(k, d2, GroupId(0))
        },
    );
}

#[test]
fn v5_19_attach_group_accepts_blocking_domain() {
    let mut k = kernel(V5_19);
    probe(&mut k, 0, "01:00.0", 0, 0x100);
    let c = Some(Cookie("vfio1".into()));
    assert_eq!(
        run(
            &mut k,
            Call::IommuGroupClaimDmaOwner {
                group: GroupId(0),
                cookie: c
            }
        ),
        Ret::Ok
    );
    let blocking = k
        .core
        .groups
        .get(&GroupId(0))
        .and_then(|g| g.blocking_domain);
    assert_eq!(group_domain(&k, 0), blocking);
    // v5.19: no driver had a BLOCKED domain; the fallback is an empty UNMANAGED one.
    let ty = blocking.and_then(|b| k.core.domains.get(&b)).map(|d| d.ty);
    assert_eq!(ty, Some(DomainType::Unmanaged));
    let d = alloc(&mut k);
    assert_eq!(attach_group(&mut k, d, GroupId(0)), Ret::Ok);
    assert_eq!(
        run(
            &mut k,
            Call::IommuDetachGroup {
                domain: d,
                group: GroupId(0)
            }
        ),
        Ret::Ok
    );
    assert_eq!(group_domain(&k, 0), blocking);
}

#[test]
fn current_attach_group_rejects_domain_of_other_iommu() {
    let mut k = kernel(Current);
    k.add_iommu(IommuId(1), IommuFacts::new("smmu1"));
    probe(&mut k, 0, "01:00.0", 0, 0x100);
    let d = match run(&mut k, Call::IommuDomainAlloc { iommu: IommuId(1) }) {
        Ret::Domain(d) => d,
        r => panic!("{r}"),
    };
    assert_eq!(attach_group(&mut k, d, GroupId(0)), E(Errno::EINVAL));
}

#[test]
fn current_attach_group_requires_owner_only_by_convention() {
    // iommu_attach_group() has no ownership check: a DMA-API driver loses its domain (I2).
    let mut k = kernel(Current);
    let a = probe(&mut k, 0, "01:00.0", 0, 0x100);
    assert_eq!(bind(&mut k, a, "e1000e"), Ret::Ok);
    let d = alloc(&mut k);
    assert_eq!(attach_group(&mut k, d, GroupId(0)), Ret::Ok);
    assert_eq!(breaches(&k), vec!["I2"]);
}

#[test]
fn current_require_direct_device_cannot_be_claimed() {
    let mut k = kernel(Current);
    let mut f = DeviceFacts::new("00:14.0", true, IommuId(0), 0xa0);
    f.require_direct = true;
    k.probe_device(DeviceId(0), f, Some(GroupId(0)));
    let c = Some(Cookie("vfio1".into()));
    assert_eq!(
        run(
            &mut k,
            Call::IommuGroupClaimDmaOwner {
                group: GroupId(0),
                cookie: c
            }
        ),
        E(Errno::EINVAL)
    );
    assert_eq!(group_domain(&k, 0), default_domain(&k, 0));
}

// ---------------------------------------------------------------- ownership

#[test]
fn v5_19_bind_dma_api_driver_into_vfio_claimed_group_returns_ebusy() {
    let mut k = kernel(V5_19);
    let a = probe(&mut k, 0, "01:00.0", 0, 0x100);
    let b = probe(&mut k, 1, "01:00.1", 0, 0x101);
    assert_eq!(bind(&mut k, a, "vfio-pci"), Ret::Ok);
    assert_eq!(set_container(&mut k, GroupId(0), "c1"), Ret::Ok);
    assert_eq!(owner_cnt(&k, 0), 1);
    let e = ev(
        &mut k,
        Call::Bind {
            dev: b,
            driver: "e1000e".into(),
            managed: false,
        },
    );
    assert_eq!(e.result, E(Errno::EBUSY));
    // really_probe -> dma_configure -> iommu_device_use_default_domain -> -EBUSY
    let rp = &e.nested[0];
    assert_eq!(rp.name, "really_probe");
    assert_eq!(rp.result.to_string(), "-EBUSY");
    assert_eq!(rp.children[0].name, "dma_configure");
    assert_eq!(
        rp.children[0].children[0].name,
        "iommu_device_use_default_domain"
    );
    assert_eq!(rp.children[0].children[0].result.to_string(), "-EBUSY");
    assert!(e.breaches.is_empty());
}

#[test]
fn use_default_domain_counts_and_unuse_warns_at_zero() {
    let mut k = kernel(V5_19);
    let a = probe(&mut k, 0, "01:00.0", 0, 0x100);
    assert_eq!(
        run(&mut k, Call::IommuDeviceUseDefaultDomain { dev: a }),
        Ret::Ok
    );
    assert_eq!(owner_cnt(&k, 0), 1);
    assert_eq!(
        run(&mut k, Call::IommuDeviceUnuseDefaultDomain { dev: a }),
        Ret::Ok
    );
    let e = ev(&mut k, Call::IommuDeviceUnuseDefaultDomain { dev: a });
    assert_eq!(e.warns.len(), 1);
    assert_eq!(owner_cnt(&k, 0), 0);
}

#[test]
fn use_default_domain_exists_from_unified_on() {
    per_era([NA, NA, NA, Ret::Ok, Ret::Ok, Ret::Ok], |k| {
        let a = probe(k, 0, "01:00.0", 0, 0x100);
        run(k, Call::IommuDeviceUseDefaultDomain { dev: a })
    });
}

#[test]
fn current_group_claim_rejects_null_owner_with_warn() {
    let mut k = kernel(Current);
    probe(&mut k, 0, "01:00.0", 0, 0x100);
    let e = ev(
        &mut k,
        Call::IommuGroupClaimDmaOwner {
            group: GroupId(0),
            cookie: None,
        },
    );
    assert_eq!(e.result, E(Errno::EINVAL));
    assert_eq!(e.warns[0].message, "WARN_ON(!owner)");
}

#[test]
fn group_claim_by_another_owner_is_eperm() {
    per_era(
        [
            NA,
            NA,
            NA,
            E(Errno::EPERM),
            E(Errno::EPERM),
            E(Errno::EPERM),
        ],
        |k| {
            probe(k, 0, "01:00.0", 0, 0x100);
            let c1 = Some(Cookie("vfio1".into()));
            let c2 = Some(Cookie("vfio2".into()));
            let _ = run(
                k,
                Call::IommuGroupClaimDmaOwner {
                    group: GroupId(0),
                    cookie: c1,
                },
            );
            run(
                k,
                Call::IommuGroupClaimDmaOwner {
                    group: GroupId(0),
                    cookie: c2,
                },
            )
        },
    );
}

#[test]
fn group_claim_by_same_owner_counts_only_in_unified() {
    // The v5 draft let the same owner claim again; v5.19 made the claim exclusive.
    per_era(
        [NA, NA, NA, Ret::Ok, E(Errno::EPERM), E(Errno::EPERM)],
        |k| {
            probe(k, 0, "01:00.0", 0, 0x100);
            let c1 = Some(Cookie("vfio1".into()));
            let _ = run(
                k,
                Call::IommuGroupClaimDmaOwner {
                    group: GroupId(0),
                    cookie: c1.clone(),
                },
            );
            run(
                k,
                Call::IommuGroupClaimDmaOwner {
                    group: GroupId(0),
                    cookie: c1,
                },
            )
        },
    );
}

#[test]
fn unified_claim_detaches_group_to_null_domain() {
    let mut k = kernel(Unified);
    let a = probe(&mut k, 0, "01:00.0", 0, 0x100);
    let c1 = Some(Cookie("vfio1".into()));
    assert_eq!(
        run(
            &mut k,
            Call::IommuGroupClaimDmaOwner {
                group: GroupId(0),
                cookie: c1
            }
        ),
        Ret::Ok
    );
    assert_eq!(group_domain(&k, 0), None);
    assert_eq!(
        run(
            &mut k,
            Call::DeviceDma {
                dev: a,
                iova: 0x1000,
                write: false
            }
        ),
        E(Errno::EFAULT)
    );
    let d = alloc(&mut k);
    let g = GroupId(0);
    assert_eq!(
        run(
            &mut k,
            Call::IommuGroupReplaceDomain {
                group: g,
                domain: Some(d)
            }
        ),
        Ret::Ok
    );
    assert_eq!(group_domain(&k, 0), Some(d));
    assert_eq!(
        run(
            &mut k,
            Call::IommuGroupReplaceDomain {
                group: g,
                domain: None
            }
        ),
        Ret::Ok
    );
    assert_eq!(
        run(&mut k, Call::IommuGroupReleaseDmaOwner { group: g }),
        Ret::Ok
    );
    assert_eq!(group_domain(&k, 0), default_domain(&k, 0));
    assert!(breaches(&k).is_empty());
}

#[test]
fn group_release_restores_default_domain() {
    for g in [V5_19, Current] {
        let mut k = kernel(g);
        probe(&mut k, 0, "01:00.0", 0, 0x100);
        let c1 = Some(Cookie("vfio1".into()));
        assert_eq!(
            run(
                &mut k,
                Call::IommuGroupClaimDmaOwner {
                    group: GroupId(0),
                    cookie: c1
                }
            ),
            Ret::Ok
        );
        assert_eq!(
            run(
                &mut k,
                Call::IommuGroupReleaseDmaOwner { group: GroupId(0) }
            ),
            Ret::Ok
        );
        assert_eq!(group_domain(&k, 0), default_domain(&k, 0));
        assert_eq!(owner_cnt(&k, 0), 0);
        let e = ev(
            &mut k,
            Call::IommuGroupReleaseDmaOwner { group: GroupId(0) },
        );
        assert_eq!(e.warns.len(), 1, "{g}: release of an unclaimed group WARNs");
    }
}

#[test]
fn current_device_claim_same_cookie_counts_other_cookie_eperm() {
    let mut k = kernel(Current);
    let a = probe(&mut k, 0, "01:00.0", 0, 0x100);
    let b = probe(&mut k, 1, "01:00.1", 0, 0x101);
    let c = |s: &str| Some(Cookie(s.into()));
    assert_eq!(
        run(
            &mut k,
            Call::IommuDeviceClaimDmaOwner {
                dev: a,
                cookie: c("ictx1")
            }
        ),
        Ret::Ok
    );
    assert_eq!(
        run(
            &mut k,
            Call::IommuDeviceClaimDmaOwner {
                dev: b,
                cookie: c("ictx2")
            }
        ),
        E(Errno::EPERM)
    );
    assert_eq!(
        run(
            &mut k,
            Call::IommuDeviceClaimDmaOwner {
                dev: b,
                cookie: c("ictx1")
            }
        ),
        Ret::Ok
    );
    assert_eq!(owner_cnt(&k, 0), 2);
    assert_eq!(
        run(
            &mut k,
            Call::IommuDeviceReleaseDmaOwner {
                dev: b,
                owner: None
            }
        ),
        Ret::Ok
    );
    assert_eq!(owner_cnt(&k, 0), 1);
    assert_ne!(group_domain(&k, 0), default_domain(&k, 0));
    assert_eq!(
        run(
            &mut k,
            Call::IommuDeviceReleaseDmaOwner {
                dev: a,
                owner: None
            }
        ),
        Ret::Ok
    );
    assert_eq!(owner_cnt(&k, 0), 0);
    assert_eq!(group_domain(&k, 0), default_domain(&k, 0));
}

#[test]
fn current_replace_domain_switches_owned_group_directly() {
    let mut k = kernel(Current);
    let a = probe(&mut k, 0, "01:00.0", 0, 0x100);
    assert_eq!(
        run(
            &mut k,
            Call::IommufdDeviceBind {
                dev: a,
                ictx: Cookie("ictx1".into())
            }
        ),
        Ret::Ok
    );
    let d1 = alloc(&mut k);
    let d2 = alloc(&mut k);
    let g = GroupId(0);
    assert_eq!(
        run(
            &mut k,
            Call::IommuGroupReplaceDomain {
                group: g,
                domain: Some(d1)
            }
        ),
        Ret::Ok
    );
    assert_eq!(
        run(
            &mut k,
            Call::IommuGroupReplaceDomain {
                group: g,
                domain: Some(d2)
            }
        ),
        Ret::Ok
    );
    assert_eq!(group_domain(&k, 0), Some(d2));
    assert_eq!(
        run(
            &mut k,
            Call::IommuGroupReplaceDomain {
                group: g,
                domain: None
            }
        ),
        E(Errno::EINVAL)
    );
    assert!(breaches(&k).is_empty());
    assert_eq!(run(&mut k, Call::IommufdDeviceUnbind { dev: a }), Ret::Ok);
    assert_eq!(group_domain(&k, 0), default_domain(&k, 0));
}

#[test]
fn replace_domain_on_unowned_group_per_era() {
    // current: iommufd-only by convention, no check; unified (SCRAP 1/8): owner required.
    per_era([NA, NA, NA, E(Errno::EPERM), NA, Ret::Ok], |k| {
        probe(k, 0, "01:00.0", 0, 0x100);
        let d = alloc(k);
        run(
            k,
            Call::IommuGroupReplaceDomain {
                group: GroupId(0),
                domain: Some(d),
            },
        )
    });
}

#[test]
fn shared_set_dma_owner_conflicts_are_ebusy() {
    let mut k = kernel(Shared);
    let a = probe(&mut k, 0, "host1x", 0, 0x10);
    let b = probe(&mut k, 1, "gr2d", 0, 0x10);
    assert_eq!(bind(&mut k, a, "e1000e"), Ret::Ok);
    assert_eq!(owner_cnt(&k, 0), 1);
    let pd = DmaOwnerType::PrivateDomain;
    let c = Some(Cookie("tegra".into()));
    assert_eq!(
        run(
            &mut k,
            Call::IommuDeviceSetDmaOwner {
                dev: b,
                owner: pd,
                cookie: c
            }
        ),
        E(Errno::EBUSY)
    );
    assert_eq!(run(&mut k, Call::Unbind { dev: a }), Ret::Ok);
    assert_eq!(owner_cnt(&k, 0), 0);
    assert_eq!(
        k.core.groups.get(&GroupId(0)).map(|g| g.dma_owner),
        Some(DmaOwnerType::None)
    );
}

// ---------------------------------------------------------------- Tegra host1x (seed)

/// Three platform devices of one SMMU group (host1x and gr2d share stream ID 0x10).
fn host1x(k: &mut Kernel) -> (DeviceId, DeviceId, DeviceId, DomainId) {
    let mk = |name: &str, sid| DeviceFacts::new(name, false, IommuId(0), sid);
    k.probe_device(DeviceId(0), mk("host1x", 0x10), Some(GroupId(0)));
    k.probe_device(DeviceId(1), mk("gr2d", 0x10), Some(GroupId(0)));
    k.probe_device(DeviceId(2), mk("gr3d", 0x11), Some(GroupId(0)));
    let d = alloc(k);
    (DeviceId(0), DeviceId(1), DeviceId(2), d)
}

#[test]
fn host1x_attach_device_per_era() {
    per_era(
        [
            Ret::Ok,
            E(Errno::EINVAL),
            E(Errno::EINVAL),
            Ret::Ok,
            E(Errno::EINVAL),
            E(Errno::EINVAL),
        ],
        |k| {
            let (h, _, _, d) = host1x(k);
            attach_device(k, d, h)
        },
    );
}

#[test]
fn host1x_attach_device_for_every_member_per_era() {
    per_era(
        [
            Ret::Ok,
            E(Errno::EINVAL),
            E(Errno::EINVAL),
            Ret::Ok,
            E(Errno::EINVAL),
            E(Errno::EINVAL),
        ],
        |k| {
            let (h, g2, g3, d) = host1x(k);
            let _ = attach_device(k, d, h);
            let _ = attach_device(k, d, g2);
            attach_device(k, d, g3)
        },
    );
}

#[test]
fn host1x_attach_group_per_era() {
    per_era([Ret::Ok, Ret::Ok, Ret::Ok, NA, Ret::Ok, Ret::Ok], |k| {
        let (_, _, _, d) = host1x(k);
        attach_group(k, d, GroupId(0))
    });
}

#[test]
fn host1x_attach_device_shared_per_era() {
    per_era([NA, NA, E(Errno::EPERM), NA, NA, NA], |k| {
        let (h, _, _, d) = host1x(k);
        run(k, Call::IommuAttachDeviceShared { domain: d, dev: h })
    });
}

#[test]
fn shared_host1x_private_owner_attaches_every_member() {
    let mut k = kernel(Shared);
    let (h, g2, g3, d) = host1x(&mut k);
    let pd = DmaOwnerType::PrivateDomain;
    for dev in [h, g2, g3] {
        assert_eq!(bind_managed(&mut k, dev, "tegra-drm"), Ret::Ok);
        let c = Some(Cookie("tegra".into()));
        assert_eq!(
            run(
                &mut k,
                Call::IommuDeviceSetDmaOwner {
                    dev,
                    owner: pd,
                    cookie: c
                }
            ),
            Ret::Ok
        );
        assert_eq!(
            run(&mut k, Call::IommuAttachDeviceShared { domain: d, dev }),
            Ret::Ok
        );
    }
    let g = k
        .core
        .groups
        .get(&GroupId(0))
        .map(|g| (g.owner_cnt, g.attach_cnt, g.domain));
    assert_eq!(g, Some((3, 3, Some(d))));
    assert!(breaches(&k).is_empty());
    let d2 = alloc(&mut k);
    assert_eq!(
        run(&mut k, Call::IommuAttachDeviceShared { domain: d2, dev: h }),
        E(Errno::EBUSY)
    );
    for dev in [h, g2, g3] {
        assert_eq!(
            run(&mut k, Call::IommuDetachDeviceShared { domain: d, dev }),
            Ret::Ok
        );
    }
    assert_eq!(group_domain(&k, 0), default_domain(&k, 0));
    // A DMA-API driver cannot join while the group is owned for a private domain.
    let e = ev(&mut k, Call::Unbind { dev: h });
    assert_eq!(e.result, Ret::Ok);
    assert_eq!(bind(&mut k, h, "host1x-dma"), E(Errno::EBUSY));
}

#[test]
fn legacy_host1x_attach_device_splits_group_and_shared_stream_id_leaks() {
    let mut k = kernel(Legacy);
    let (h, g2, _, d) = host1x(&mut k);
    assert_eq!(attach_device(&mut k, d, h), Ret::Ok);
    let e = k.events().last().cloned();
    let b = e.map(|e| e.breaches).unwrap_or_default();
    assert_eq!(b.len(), 1);
    assert_eq!(b[0].invariant, "I1");
    // gr2d shares stream ID 0x10: its DMA now goes through host1x's domain.
    assert_eq!(k.core.dma_target(g2), crate::core::DmaTarget::Domain(d));
}

#[test]
fn unified_host1x_attach_device_for_every_member_keeps_invariants() {
    let mut k = kernel(Unified);
    let (h, g2, g3, d) = host1x(&mut k);
    for dev in [h, g2, g3] {
        assert_eq!(attach_device(&mut k, d, dev), Ret::Ok);
        assert!(breaches(&k).is_empty());
    }
    assert_eq!(owner_cnt(&k, 0), 3);
}

// ---------------------------------------------------------------- bug scenarios S1–S7

/// Group 0: 01:00.0 (vfio-pci) and 01:00.1 (unbound), group 0 in container c1.
fn vfio_group(k: &mut Kernel) -> (DeviceId, DeviceId, Ret) {
    let a = probe(k, 0, "01:00.0", 0, 0x100);
    let b = probe(k, 1, "01:00.1", 0, 0x101);
    let _ = bind(k, a, "vfio-pci");
    let r = set_container(k, GroupId(0), "c1");
    (a, b, r)
}

#[test]
fn s1_bind_kernel_driver_into_vfio_group_per_era() {
    per_era(
        [
            Ret::Bug,
            Ret::Bug,
            E(Errno::EBUSY),
            E(Errno::EBUSY),
            E(Errno::EBUSY),
            E(Errno::EBUSY),
        ],
        |k| {
            let (_, b, r) = vfio_group(k);
            assert_eq!(r, Ret::Ok);
            bind(k, b, "e1000e")
        },
    );
}

#[test]
fn s1_bug_ends_the_run() {
    let mut k = kernel(Singleton);
    let (a, b, _) = vfio_group(&mut k);
    let e = ev(
        &mut k,
        Call::Bind {
            dev: b,
            driver: "e1000e".into(),
            managed: false,
        },
    );
    assert!(e.is_bug());
    assert_eq!(e.warns.last().map(|w| w.kind.as_str()), Some("BUG"));
    assert_eq!(run(&mut k, Call::Unbind { dev: a }), Ret::Bug);
}

#[test]
fn s1_pci_stub_and_bridges_are_allowed_in_vfio_groups_before_v5_19() {
    for g in [Legacy, Singleton] {
        let mut k = kernel(g);
        let (_, b, _) = vfio_group(&mut k);
        assert_eq!(bind(&mut k, b, "pci-stub"), Ret::Ok);
        let mut f = DeviceFacts::new("00:1c.0", true, IommuId(0), 0xe0);
        f.is_bridge = true;
        k.probe_device(DeviceId(2), f, Some(GroupId(0)));
        assert_eq!(bind(&mut k, DeviceId(2), "pcieport"), Ret::Ok);
    }
}

#[test]
fn s2_vfio_takes_group_with_kernel_bound_nic_per_era() {
    per_era(
        [
            Ret::Ok,
            Ret::Ok,
            E(Errno::EBUSY),
            E(Errno::EPERM),
            E(Errno::EPERM),
            E(Errno::EPERM),
        ],
        |k| {
            let a = probe(k, 0, "01:00.0", 0, 0x100);
            let b = probe(k, 1, "01:00.1", 0, 0x101);
            let _ = bind(k, a, "vfio-pci");
            let _ = bind(k, b, "igb");
            set_container(k, GroupId(0), "c1")
        },
    );
}

#[test]
fn s2_older_eras_report_the_nic_losing_its_dma_domain() {
    for g in [Legacy, Singleton] {
        let mut k = kernel(g);
        let a = probe(&mut k, 0, "01:00.0", 0, 0x100);
        let b = probe(&mut k, 1, "01:00.1", 0, 0x101);
        assert_eq!(bind(&mut k, a, "vfio-pci"), Ret::Ok);
        assert_eq!(bind(&mut k, b, "igb"), Ret::Ok);
        assert_eq!(set_container(&mut k, GroupId(0), "c1"), Ret::Ok);
        assert_eq!(breaches(&k), vec!["I2", "I3"], "{g}");
    }
    for g in [Shared, Unified, V5_19, Current] {
        let mut k = kernel(g);
        let a = probe(&mut k, 0, "01:00.0", 0, 0x100);
        let b = probe(&mut k, 1, "01:00.1", 0, 0x101);
        let _ = bind(&mut k, a, "vfio-pci");
        let _ = bind(&mut k, b, "igb");
        let _ = set_container(&mut k, GroupId(0), "c1");
        assert!(breaches(&k).is_empty(), "{g}");
        assert_eq!(group_domain(&k, 0), default_domain(&k, 0), "{g}");
    }
}

#[test]
fn s3_hot_add_into_vfio_group_per_era() {
    // ≤ singleton: a dev_WARN, then the bind BUGs; later eras: the bind fails -EBUSY.
    per_era(
        [
            Ret::Bug,
            Ret::Bug,
            E(Errno::EBUSY),
            E(Errno::EBUSY),
            E(Errno::EBUSY),
            E(Errno::EBUSY),
        ],
        |k| {
            let a = probe(k, 0, "01:00.0", 0, 0x100);
            let _ = bind(k, a, "vfio-pci");
            let _ = set_container(k, GroupId(0), "c1");
            let f = DeviceFacts::new("01:00.1", true, IommuId(0), 0x101);
            let e = k.probe_device(DeviceId(1), f, Some(GroupId(0)));
            let warned = e.warns.iter().any(|w| w.site == "vfio_group_nb_add_dev");
            assert_eq!(warned, k.era <= Singleton);
            bind(k, DeviceId(1), "e1000e")
        },
    );
}

#[test]
fn s3_hot_added_device_joins_blocking_domain_from_v5_19() {
    for g in [V5_19, Current] {
        let mut k = kernel(g);
        let a = probe(&mut k, 0, "01:00.0", 0, 0x100);
        let _ = bind(&mut k, a, "vfio-pci");
        let c = Some(Cookie("vfio1".into()));
        let _ = run(
            &mut k,
            Call::IommuGroupClaimDmaOwner {
                group: GroupId(0),
                cookie: c,
            },
        );
        let blocking = k
            .core
            .groups
            .get(&GroupId(0))
            .and_then(|g| g.blocking_domain);
        probe(&mut k, 1, "01:00.1", 0, 0x101);
        assert_eq!(
            k.core.devices.get(&DeviceId(1)).and_then(|d| d.domain),
            blocking
        );
        assert_eq!(
            run(
                &mut k,
                Call::DeviceDma {
                    dev: DeviceId(1),
                    iova: 0x1000,
                    write: false
                }
            ),
            E(Errno::EFAULT)
        );
        assert!(breaches(&k).is_empty());
    }
}

#[test]
fn s3_legacy_hot_added_device_stays_outside_vfio_domain() {
    let mut k = kernel(Legacy);
    let a = probe(&mut k, 0, "01:00.0", 0, 0x100);
    let _ = bind(&mut k, a, "vfio-pci");
    let _ = set_container(&mut k, GroupId(0), "c1");
    let e = k.probe_device(
        DeviceId(1),
        DeviceFacts::new("01:00.1", true, IommuId(0), 0x101),
        Some(GroupId(0)),
    );
    assert_eq!(e.breaches.first().map(|b| b.invariant), Some("I1"));
}

#[test]
fn s5_legacy_shared_requester_id_lands_dma_in_other_domain() {
    let mut k = kernel(Legacy);
    // PCIe-to-PCI bridge 05:00.0; 06:01.0 and 06:02.0 both alias to RID 06:00.0.
    probe(&mut k, 0, "05:00.0", 0, 0x0500);
    let a = probe(&mut k, 1, "06:01.0", 0, 0x0600);
    let b = probe(&mut k, 2, "06:02.0", 0, 0x0600);
    let da = alloc(&mut k);
    let db = alloc(&mut k);
    assert_eq!(map(&mut k, da, 0x1000, 0xa000_0000, 0x1000), Ret::Ok);
    assert_eq!(map(&mut k, db, 0x1000, 0xb000_0000, 0x1000), Ret::Ok);
    assert_eq!(attach_device(&mut k, da, a), Ret::Ok);
    assert_eq!(attach_device(&mut k, db, b), Ret::Ok);
    assert!(breaches(&k).contains(&"I1"));
    // A writes to its IOVA 0x1000 and hits B's buffer.
    assert_eq!(
        run(
            &mut k,
            Call::DeviceDma {
                dev: a,
                iova: 0x1040,
                write: true
            }
        ),
        Ret::Value(0xb000_0040)
    );
}

#[test]
fn s5_per_era_second_attach_behind_bridge() {
    per_era(
        [
            Ret::Ok,
            E(Errno::EINVAL),
            E(Errno::EINVAL),
            E(Errno::EPERM),
            E(Errno::EINVAL),
            E(Errno::EINVAL),
        ],
        |k| {
            probe(k, 0, "05:00.0", 0, 0x0500);
            let a = probe(k, 1, "06:01.0", 0, 0x0600);
            let b = probe(k, 2, "06:02.0", 0, 0x0600);
            let da = alloc(k);
            let db = alloc(k);
            let _ = attach_device(k, da, a);
            attach_device(k, db, b)
        },
    );
}

#[test]
fn s6_claim_group_moved_to_private_domain_per_era() {
    per_era(
        [
            NA,
            NA,
            NA,
            E(Errno::EPERM),
            E(Errno::EBUSY),
            E(Errno::EBUSY),
        ],
        |k| {
            let a = probe(k, 0, "01:00.0", 0, 0x100);
            let _ = bind_managed(k, a, "mydrv");
            let d = alloc(k);
            let _ = attach_device(k, d, a);
            let c = Some(Cookie("vfio1".into()));
            run(
                k,
                Call::IommuGroupClaimDmaOwner {
                    group: GroupId(0),
                    cookie: c,
                },
            )
        },
    );
}

#[test]
fn s7_two_iommufd_contexts_on_one_group() {
    per_era([NA, NA, NA, NA, NA, E(Errno::EPERM)], |k| {
        let a = probe(k, 0, "01:00.0", 0, 0x100);
        let b = probe(k, 1, "01:00.1", 0, 0x101);
        let _ = bind(k, a, "vfio-pci");
        let _ = bind(k, b, "vfio-pci");
        let _ = run(
            k,
            Call::IommufdDeviceBind {
                dev: a,
                ictx: Cookie("ictx1".into()),
            },
        );
        run(
            k,
            Call::IommufdDeviceBind {
                dev: b,
                ictx: Cookie("ictx2".into()),
            },
        )
    });
    let mut k = kernel(Current);
    let a = probe(&mut k, 0, "01:00.0", 0, 0x100);
    let b = probe(&mut k, 1, "01:00.1", 0, 0x101);
    assert_eq!(
        run(
            &mut k,
            Call::IommufdDeviceBind {
                dev: a,
                ictx: Cookie("ictx1".into())
            }
        ),
        Ret::Ok
    );
    assert_eq!(
        run(
            &mut k,
            Call::IommufdDeviceBind {
                dev: b,
                ictx: Cookie("ictx1".into())
            }
        ),
        Ret::Ok
    );
    assert_eq!(owner_cnt(&k, 0), 2);
    assert!(breaches(&k).is_empty());
}

// ---------------------------------------------------------------- invariants, I5

#[test]
fn i5_removing_last_device_of_claimed_group_is_reported() {
    for g in [V5_19, Current] {
        let mut k = kernel(g);
        let a = probe(&mut k, 0, "01:00.0", 0, 0x100);
        let c = Some(Cookie("vfio1".into()));
        let _ = run(
            &mut k,
            Call::IommuGroupClaimDmaOwner {
                group: GroupId(0),
                cookie: c,
            },
        );
        let e = k.remove_device(a);
        assert_eq!(
            e.breaches.iter().map(|b| b.invariant).collect::<Vec<_>>(),
            vec!["I5"]
        );
        assert_eq!(e.warns.len(), usize::from(g == Current));
        assert!(k.core.groups.is_empty());
    }
}

#[test]
fn remove_of_bound_device_runs_dma_cleanup() {
    let mut k = kernel(Current);
    let a = probe(&mut k, 0, "01:00.0", 0, 0x100);
    probe(&mut k, 1, "01:00.1", 0, 0x101);
    let _ = bind(&mut k, a, "e1000e");
    assert_eq!(owner_cnt(&k, 0), 1);
    let e = k.remove_device(a);
    assert!(e.breaches.is_empty());
    assert_eq!(owner_cnt(&k, 0), 0);
}

#[test]
fn vfio_unset_container_restores_default_and_frees_type1_domain() {
    for g in Era::ALL {
        let mut k = kernel(g);
        let (_, _, r) = vfio_group(&mut k);
        assert_eq!(r, Ret::Ok, "{g}");
        let vfio_dom = group_domain(&k, 0);
        assert_ne!(vfio_dom, default_domain(&k, 0), "{g}");
        assert_eq!(
            run(&mut k, Call::VfioGroupUnsetContainer { group: GroupId(0) }),
            Ret::Ok
        );
        if g != Legacy {
            assert_eq!(group_domain(&k, 0), default_domain(&k, 0), "{g}");
        }
        let freed = vfio_dom
            .and_then(|d| k.core.domains.get(&d))
            .is_some_and(|d| d.freed);
        assert!(freed, "{g}");
        assert_eq!(owner_cnt(&k, 0), 0, "{g}");
        assert!(breaches(&k).is_empty(), "{g}: {:?}", k.events().last());
    }
}

#[test]
fn library_scenarios_report_no_breach_in_v5_19_and_current() {
    for g in [V5_19, Current] {
        let mut k = kernel(g);
        let (a, b, _) = vfio_group(&mut k);
        let _ = bind(&mut k, b, "e1000e");
        let (_, _, _, _) = (a, b, 0, 0);
        for e in k.events() {
            assert!(e.breaches.is_empty(), "{g}: {} {:?}", e.call, e.breaches);
        }
    }
}

#[test]
fn trace_events_serialise_with_stable_fields() {
    let mut k = kernel(V5_19);
    let (_, b, _) = vfio_group(&mut k);
    let e = ev(
        &mut k,
        Call::Bind {
            dev: b,
            driver: "e1000e".into(),
            managed: false,
        },
    );
    let v = serde_json::to_value(&e).unwrap_or_default();
    assert_eq!(v["call"], "bind");
    assert_eq!(v["result"], "-EBUSY");
    assert_eq!(v["args"][0], "01:00.1");
    assert_eq!(v["nested"][0]["name"], "really_probe");
    let set = &k.events()[3];
    assert_eq!(set.call, "vfio_group_set_container");
    let kinds: Vec<String> = serde_json::to_value(&set.deltas)
        .unwrap_or_default()
        .as_array()
        .map(|a| {
            a.iter()
                .map(|d| d["kind"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default();
    assert!(kinds.contains(&"group_domain".to_string()), "{kinds:?}");
    assert!(kinds.contains(&"owner_cnt".to_string()), "{kinds:?}");
    assert!(kinds.contains(&"group_owner".to_string()), "{kinds:?}");
}

#[test]
fn s1_trace_shows_the_notifier_verdict() {
    let mut k = kernel(Legacy);
    let (_, b, _) = vfio_group(&mut k);
    let e = ev(
        &mut k,
        Call::Bind {
            dev: b,
            driver: "e1000e".into(),
            managed: false,
        },
    );
    assert_eq!(e.result, Ret::Bug);
    let names: Vec<&str> = e.nested.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(names, vec!["really_probe", "vfio_group_nb_verify"]);
    assert_eq!(e.nested[1].result.to_string(), "-EINVAL");
    assert!(k.crashed().is_some());
}

#[test]
fn device_dma_through_paging_domain_without_mapping_faults() {
    let mut k = kernel(Current);
    let a = probe(&mut k, 0, "01:00.0", 0, 0x100);
    let dma = |k: &mut Kernel| {
        run(
            k,
            Call::DeviceDma {
                dev: a,
                iova: 0x2000,
                write: true,
            },
        )
    };
    // Default DMA domain with no page table plugged in yet.
    assert_eq!(dma(&mut k), E(Errno::EFAULT));
    let d = alloc(&mut k);
    assert_eq!(map(&mut k, d, 0x2000, 0x8000_0000, 0x1000), Ret::Ok);
    assert_eq!(attach_device(&mut k, d, a), Ret::Ok);
    assert_eq!(dma(&mut k), Ret::Value(0x8000_0000));
    assert_eq!(
        run(&mut k, Call::IommuDetachDevice { domain: d, dev: a }),
        Ret::Ok
    );
    assert_eq!(dma(&mut k), E(Errno::EFAULT));
}

#[test]
fn dma_through_freed_domain_is_flagged() {
    let mut k = kernel(Legacy);
    let a = probe(&mut k, 0, "01:00.0", 0, 0x100);
    let d = alloc(&mut k);
    assert_eq!(map(&mut k, d, 0x2000, 0x8000_0000, 0x1000), Ret::Ok);
    assert_eq!(attach_device(&mut k, d, a), Ret::Ok);
    let _ = run(&mut k, Call::IommuDomainFree { domain: d });
    let e = ev(
        &mut k,
        Call::DeviceDma {
            dev: a,
            iova: 0x2000,
            write: false,
        },
    );
    assert_eq!(e.result, Ret::Value(0x8000_0000));
    assert_eq!(e.warns.len(), 1);
    assert_eq!(
        e.breaches.iter().map(|b| b.invariant).collect::<Vec<_>>(),
        vec!["UAF"]
    );
}

#[test]
fn bind_twice_is_ebusy_and_unbind_unbound_is_enodev() {
    let mut k = kernel(Current);
    let a = probe(&mut k, 0, "01:00.0", 0, 0x100);
    assert_eq!(bind(&mut k, a, "e1000e"), Ret::Ok);
    assert_eq!(bind(&mut k, a, "igb"), E(Errno::EBUSY));
    assert_eq!(owner_cnt(&k, 0), 1);
    assert_eq!(run(&mut k, Call::Unbind { dev: a }), Ret::Ok);
    assert_eq!(run(&mut k, Call::Unbind { dev: a }), E(Errno::ENODEV));
    assert_eq!(owner_cnt(&k, 0), 0);
}

#[test]
fn driver_managed_dma_drivers_do_not_count() {
    for g in [V5_19, Current] {
        let mut k = kernel(g);
        let a = probe(&mut k, 0, "01:00.0", 0, 0x100);
        let b = probe(&mut k, 1, "01:00.1", 0, 0x101);
        assert_eq!(bind(&mut k, a, "vfio-pci"), Ret::Ok);
        assert_eq!(bind(&mut k, b, "pcieport"), Ret::Ok);
        assert_eq!(owner_cnt(&k, 0), 0, "{g}");
        assert_eq!(set_container(&mut k, GroupId(0), "c1"), Ret::Ok, "{g}");
    }
}

#[test]
fn labels_for_expectations() {
    let mut k = kernel(V5_19);
    let a = probe(&mut k, 0, "01:00.0", 0, 0x100);
    assert_eq!(k.core.owner_label(GroupId(0)), "none");
    assert!(k
        .core
        .group_domain_names(GroupId(0))
        .contains(&"default".to_string()));
    let _ = bind(&mut k, a, "e1000e");
    assert_eq!(k.core.owner_label(GroupId(0)), "dma-api");
    let _ = run(&mut k, Call::Unbind { dev: a });
    let _ = bind(&mut k, a, "vfio-pci");
    let _ = set_container(&mut k, GroupId(0), "c1");
    assert_eq!(k.core.owner_label(GroupId(0)), "c1");
    let d = alloc(&mut k);
    k.label_domain(d, "d1");
    assert_eq!(
        run(&mut k, Call::VfioGroupUnsetContainer { group: GroupId(0) }),
        Ret::Ok
    );
    let c = Some(Cookie("vfio1".into()));
    let _ = run(
        &mut k,
        Call::IommuGroupClaimDmaOwner {
            group: GroupId(0),
            cookie: c,
        },
    );
    assert!(k
        .core
        .group_domain_names(GroupId(0))
        .contains(&"blocking".to_string()));
    assert_eq!(attach_group(&mut k, d, GroupId(0)), Ret::Ok);
    assert_eq!(
        k.core.group_domain_names(GroupId(0)),
        vec!["d1".to_string()]
    );
    assert_eq!(
        k.events().last().map(|e| e.args[0].clone()),
        Some("d1".into())
    );
}

// ---------------------------------------------------------------- mirrors of the corpus files

#[test]
fn corpus_s4_attach_device_all_members_ends_consistent() {
    for g in Era::ALL {
        let mut k = kernel(g);
        let (h, g2, g3, d) = host1x(&mut k);
        for dev in [h, g2, g3] {
            let _ = attach_device(&mut k, d, dev);
        }
        assert!(breaches(&k).is_empty(), "{g}: {:?}", k.events().last());
        if matches!(g, Legacy | Unified) {
            assert_eq!(group_domain(&k, 0), Some(d), "{g}");
        }
    }
}

#[test]
fn corpus_s4_attach_then_detach_group() {
    for g in Era::ALL {
        let mut k = kernel(g);
        let (_, _, _, d) = host1x(&mut k);
        let want = if g == Unified { NA } else { Ret::Ok };
        assert_eq!(attach_group(&mut k, d, GroupId(0)), want, "{g}");
        let r = run(
            &mut k,
            Call::IommuDetachGroup {
                domain: d,
                group: GroupId(0),
            },
        );
        assert_eq!(r, want, "{g}");
        if !matches!(g, Legacy | Unified) {
            assert_eq!(group_domain(&k, 0), default_domain(&k, 0), "{g}");
        }
        assert!(breaches(&k).is_empty(), "{g}");
    }
}

#[test]
fn corpus_s6_private_attach_keeps_domain_in_every_era() {
    for g in Era::ALL {
        let mut k = kernel(g);
        let a = probe(&mut k, 0, "01:00.0", 0, 0x100);
        let _ = bind_managed(&mut k, a, "mydrv");
        let d = alloc(&mut k);
        assert_eq!(attach_device(&mut k, d, a), Ret::Ok, "{g}");
        let c = Some(Cookie("vfio1".into()));
        let _ = run(
            &mut k,
            Call::IommuGroupClaimDmaOwner {
                group: GroupId(0),
                cookie: c,
            },
        );
        assert_eq!(group_domain(&k, 0), Some(d), "{g}");
    }
}

#[test]
fn corpus_s7_owner_and_blocking_domain() {
    let mut k = kernel(Current);
    let a = probe(&mut k, 0, "01:00.0", 0, 0x100);
    let b = probe(&mut k, 1, "01:00.1", 0, 0x101);
    let _ = bind(&mut k, a, "vfio-pci");
    let _ = bind(&mut k, b, "vfio-pci");
    let _ = run(
        &mut k,
        Call::IommufdDeviceBind {
            dev: a,
            ictx: Cookie("ictx1".into()),
        },
    );
    let _ = run(
        &mut k,
        Call::IommufdDeviceBind {
            dev: b,
            ictx: Cookie("ictx1".into()),
        },
    );
    assert_eq!(k.core.owner_label(GroupId(0)), "ictx1");
    assert!(k
        .core
        .group_domain_names(GroupId(0))
        .contains(&"blocking".to_string()));
    let blocking = k
        .core
        .groups
        .get(&GroupId(0))
        .and_then(|g| g.blocking_domain);
    let ty = blocking.and_then(|b| k.core.domains.get(&b)).map(|d| d.ty);
    assert_eq!(ty, Some(DomainType::Blocked));
}

#[test]
fn current_failed_group_switch_rolls_members_back() {
    let mut k = kernel(Current);
    let a = probe(&mut k, 0, "00:14.0", 0, 0xa0);
    let mut f = DeviceFacts::new("00:14.2", true, IommuId(0), 0xa2);
    f.require_direct = true;
    k.probe_device(DeviceId(1), f, Some(GroupId(0)));
    let c = Some(Cookie("vfio1".into()));
    let e = ev(
        &mut k,
        Call::IommuGroupClaimDmaOwner {
            group: GroupId(0),
            cookie: c,
        },
    );
    assert_eq!(e.result, E(Errno::EINVAL));
    assert_eq!(e.warns[0].kind.as_str(), "notice");
    let def = default_domain(&k, 0);
    assert_eq!(k.core.devices.get(&a).and_then(|d| d.domain), def);
    assert_eq!(group_domain(&k, 0), def);
    assert_eq!(owner_cnt(&k, 0), 0);
    assert!(e.breaches.is_empty());
}

#[test]
fn conflicting_default_domain_demand_of_a_joining_device_is_reported() {
    let mut k = kernel(Current);
    probe(&mut k, 0, "01:00.0", 0, 0x100);
    let mut f = DeviceFacts::new("01:00.1", true, IommuId(0), 0x101);
    f.def_domain_type = Some(DomainType::Identity);
    let e = k.probe_device(DeviceId(1), f, Some(GroupId(0)));
    assert_eq!(e.warns.len(), 1);
    assert_eq!(e.warns[0].kind.as_str(), "notice");
    let ty = default_domain(&k, 0)
        .and_then(|d| k.core.domains.get(&d))
        .map(|d| d.ty);
    assert_eq!(ty, Some(DomainType::Dma));
}

#[test]
fn snapshots_are_attached_only_when_recording() {
    let mut k = kernel(Current);
    let a = probe(&mut k, 0, "01:00.0", 0, 0x100);
    assert!(k.events().iter().all(|e| e.snapshot.is_none()));
    k.record_snapshots = true;
    let e = ev(
        &mut k,
        Call::Bind {
            dev: a,
            driver: "e1000e".into(),
            managed: false,
        },
    );
    let s = e.snapshot.unwrap_or_else(|| k.snapshot());
    assert_eq!(s.groups[0].owner_cnt, 1);
    assert_eq!(
        s.devices[0].driver.as_ref().map(|d| d.name.as_str()),
        Some("e1000e")
    );
    let v = serde_json::to_value(k.events().last()).unwrap_or_default();
    assert!(v.get("snapshot").is_some());
    let v0 = serde_json::to_value(&k.events()[0]).unwrap_or_default();
    assert!(v0.get("snapshot").is_none());
}

#[test]
fn i2_exemption_ends_when_the_private_attaching_driver_unbinds() {
    // The exempt private-domain user unbinds without detaching; a DMA-API driver then binds
    // into the group still in d1 (unified: the attach still counts in owner_cnt, -EBUSY).
    for g in Era::ALL {
        let mut k = kernel(g);
        let a = probe(&mut k, 0, "01:00.0", 0, 0x100);
        assert_eq!(bind_managed(&mut k, a, "mydrv"), Ret::Ok, "{g}");
        let d = alloc(&mut k);
        assert_eq!(attach_device(&mut k, d, a), Ret::Ok, "{g}");
        assert!(breaches(&k).is_empty(), "{g}");
        assert_eq!(run(&mut k, Call::Unbind { dev: a }), Ret::Ok, "{g}");
        if g == Unified {
            assert_eq!(bind(&mut k, a, "e1000e"), E(Errno::EBUSY));
            continue;
        }
        assert_eq!(bind(&mut k, a, "e1000e"), Ret::Ok, "{g}");
        assert_eq!(breaches(&k), vec!["I2"], "{g}");
    }
}
