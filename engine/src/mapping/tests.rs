//! The mapping half of the kernel model, as specifications: exact results, traces and
//! counters of map/unmap, the DMA API and device DMA through the IOTLB.

use crate::call::Call;
use crate::core::{DeviceFacts, IommuFacts};
use crate::dma::DmaDirection;
use crate::domain::{DomainRole, DomainType};
use crate::era::{Config, Era};
use crate::errno::Errno;
use crate::ids::{DeviceId, DomainId, GroupId, IommuId};
use crate::iommu::Kernel;
use crate::pgtable::Prot;
use crate::trace::{Delta, Event, Nested, Ret};
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

const DEV: DeviceId = DeviceId(0);

/// A current kernel with one 4K/48-bit SMMU and one PCI device bound to a DMA-API driver.
fn kernel(config: Config) -> Kernel {
    let mut k = Kernel::new(Era::Current, config);
    k.add_iommu(IommuId(0), IommuFacts::new("smmu0"));
    let f = DeviceFacts::new("01:00.0", true, IommuId(0), 0x100);
    k.probe_device(DEV, f, Some(GroupId(0)));
    let e = k.call(&Call::Bind {
        dev: DEV,
        driver: "e1000e".into(),
        managed: false,
    });
    assert_eq!(e.result, Ret::Ok);
    k
}

fn lazy() -> Config {
    Config {
        strict: false,
        ..Config::default()
    }
}

fn default_domain(k: &Kernel) -> DomainId {
    k.core
        .groups
        .get(&GroupId(0))
        .and_then(|g| g.default_domain)
        .unwrap()
}

fn user_domain(k: &mut Kernel) -> DomainId {
    match k.call(&Call::IommuDomainAlloc { iommu: IommuId(0) }).result {
        Ret::Domain(d) => d,
        r => panic!("alloc failed: {r}"),
    }
}

fn map(k: &mut Kernel, domain: DomainId, iova: u64, paddr: u64, size: u64, prot: Prot) -> Event {
    k.call(&Call::IommuMap {
        domain,
        iova,
        paddr,
        size,
        prot,
    })
}

fn unmap(k: &mut Kernel, domain: DomainId, iova: u64, size: u64) -> Ret {
    k.call(&Call::IommuUnmap { domain, iova, size }).result
}

fn dma_map(k: &mut Kernel, phys: u64, dir: DmaDirection) -> Ret {
    k.call(&Call::DmaMapPage {
        dev: DEV,
        phys,
        size: 0x1000,
        dir,
        cpu: 0,
    })
    .result
}

fn dma_unmap(k: &mut Kernel, iova: u64) -> Event {
    k.call(&Call::DmaUnmapPage {
        dev: DEV,
        iova,
        size: 0x1000,
        dir: DmaDirection::Bidirectional,
        cpu: 0,
    })
}

fn dma(k: &mut Kernel, iova: u64, write: bool) -> Event {
    k.call(&Call::DeviceDma {
        dev: DEV,
        iova,
        write,
    })
}

fn tick_ms(k: &mut Kernel, ms: u64) -> Event {
    k.call(&Call::Tick { ns: ms * 1_000_000 })
}

fn names(n: &[Nested]) -> Vec<String> {
    n.iter().map(|x| x.name.clone()).collect()
}

fn invariants(e: &Event) -> Vec<&'static str> {
    e.breaches.iter().map(|b| b.invariant).collect()
}

#[test]
fn paging_domains_own_a_page_table_and_default_dma_domains_a_cookie() {
    let mut k = kernel(lazy());
    let def = default_domain(&k);
    let d = k.core.domains.get(&def).unwrap();
    assert_eq!(d.ty, DomainType::DmaFq);
    assert!(d.paging.is_some());
    assert!(d.cookie.as_ref().unwrap().fq.is_some());
    let u = user_domain(&mut k);
    let d = k.core.domains.get(&u).unwrap();
    assert_eq!(d.ty, DomainType::Unmanaged);
    assert!(d.paging.is_some());
    assert!(d.cookie.is_none());
}

#[test]
fn iommu_map_trace_nests_pgsize_and_map_pages() {
    let mut k = kernel(Config::default());
    let d = user_domain(&mut k);
    // MODEL §5 example: 4K then 2M (iova 0x200000 and pa 0x400000 are not 1G-congruent).
    let e = map(&mut k, d, 0x1F_F000, 0x3F_F000, 0x20_1000, Prot::RW);
    assert_eq!(e.result, Ret::Ok);
    assert_eq!(
        names(&e.nested),
        [
            "iommu_pgsize",
            "arm_lpae_map_pages",
            "iommu_pgsize",
            "arm_lpae_map_pages"
        ]
    );
    assert_eq!(e.nested[0].result.to_string(), "4K x 1");
    assert_eq!(e.nested[2].result.to_string(), "2M x 1");
    assert_eq!(e.nested[3].result.to_string(), "0 (mapped 0x200000)");
    let Some(Delta::Mapping { before, after, .. }) =
        e.deltas.iter().find(|d| matches!(d, Delta::Mapping { .. }))
    else {
        panic!("no mapping delta");
    };
    // pgd + L1 + L2 + L3 tables; 3 table installs + 1 page + 1 block.
    assert_eq!(after.tables_allocated - before.tables_allocated, 3);
    assert_eq!(after.pte_writes - before.pte_writes, 5);
    assert_eq!(k.core.iova_to_phys(d, 0x20_0042), 0x40_0042);
}

#[test]
fn iommu_map_failure_unrolls_what_it_mapped() {
    let mut k = kernel(Config::default());
    let d = user_domain(&mut k);
    // The last page below 2^48 maps; the next one is beyond the IAS.
    let e = map(&mut k, d, 0xFFFF_FFFF_F000, 0x8000_0000, 0x2000, Prot::RW);
    assert_eq!(e.result, Ret::Err(Errno::ERANGE));
    assert_eq!(
        names(&e.nested),
        [
            "iommu_pgsize",
            "arm_lpae_map_pages",
            "iommu_pgsize",
            "arm_lpae_map_pages",
            "iommu_unmap"
        ]
    );
    assert_eq!(e.nested[1].result.to_string(), "0 (mapped 0x1000)");
    assert_eq!(e.nested[3].result.to_string(), "-ERANGE (mapped 0x0)");
    assert_eq!(e.nested[4].args, ["0xfffffffff000", "0x1000"]);
    assert_eq!(
        names(&e.nested[4].children),
        ["iommu_pgsize", "arm_lpae_unmap_pages"]
    );
    assert_eq!(k.core.iova_to_phys(d, 0xFFFF_FFFF_F000), 0);
}

#[test]
fn iommu_map_over_a_leaf_is_eexist_and_maps_nothing() {
    let mut k = kernel(Config::default());
    let d = user_domain(&mut k);
    assert_eq!(
        map(&mut k, d, 0x2000, 0x9000_0000, 0x1000, Prot::RW).result,
        Ret::Ok
    );
    // arm_lpae_init_pte() checks every entry before writing any: nothing to unroll.
    let e = map(&mut k, d, 0x1000, 0x8000_1000, 0x2000, Prot::RW);
    assert_eq!(e.result, Ret::Err(Errno::EEXIST));
    assert_eq!(names(&e.nested), ["iommu_pgsize", "arm_lpae_map_pages"]);
    assert_eq!(e.nested[1].result.to_string(), "-EEXIST (mapped 0x0)");
    assert_eq!(e.warns.len(), 1);
    assert_eq!(k.core.iova_to_phys(d, 0x1000), 0);
    assert_eq!(k.core.iova_to_phys(d, 0x2000), 0x9000_0000);
}

#[test]
fn iommu_map_on_blocked_domain_is_einval() {
    let mut k = kernel(Config::default());
    let b = k
        .core
        .alloc_domain(IommuId(0), DomainType::Blocked, DomainRole::Blocking)
        .unwrap();
    assert_eq!(
        map(&mut k, b, 0x1000, 0x1000, 0x1000, Prot::RW).result,
        Ret::Err(Errno::EINVAL)
    );
    assert_eq!(unmap(&mut k, b, 0x1000, 0x1000), Ret::Value(0));
    assert_eq!(
        k.call(&Call::IommuIovaToPhys {
            domain: b,
            iova: 0x1000
        })
        .result,
        Ret::Value(0)
    );
}

#[test]
fn identity_domain_refuses_map_and_translates_iova_to_itself() {
    let mut k = kernel(Config {
        passthrough: true,
        ..Config::default()
    });
    let def = default_domain(&k);
    assert_eq!(k.core.domains.get(&def).unwrap().ty, DomainType::Identity);
    assert_eq!(
        map(&mut k, def, 0x1000, 0x1000, 0x1000, Prot::RW).result,
        Ret::Err(Errno::EINVAL)
    );
    assert_eq!(
        k.call(&Call::IommuIovaToPhys {
            domain: def,
            iova: 0x1234_5678
        })
        .result,
        Ret::Value(0x1234_5678)
    );
}

#[test]
fn dma_map_page_through_identity_domain_returns_phys() {
    let mut k = kernel(Config {
        passthrough: true,
        ..Config::default()
    });
    let e = k.call(&Call::DmaMapPage {
        dev: DEV,
        phys: 0x8000_1234,
        size: 0x100,
        dir: DmaDirection::ToDevice,
        cpu: 0,
    });
    assert_eq!(e.result, Ret::Value(0x8000_1234));
    assert_eq!(names(&e.nested), ["dma_direct_map_page"]);
    assert_eq!(
        dma(&mut k, 0x8000_1234, false).result,
        Ret::Value(0x8000_1234)
    );
}

#[test]
fn dma_map_page_returns_offset_iova_below_4g_first() {
    let mut k = kernel(Config::default());
    let e = k.call(&Call::DmaMapPage {
        dev: DEV,
        phys: 0x8000_1234,
        size: 0x100,
        dir: DmaDirection::Bidirectional,
        cpu: 0,
    });
    assert_eq!(e.result, Ret::Value(0xFFFF_F234));
    assert_eq!(names(&e.nested), ["iommu_dma_map_page"]);
    assert_eq!(
        names(&e.nested[0].children),
        ["iommu_dma_alloc_iova", "iommu_map"]
    );
    assert_eq!(
        e.nested[0].children[0].result.to_string(),
        "0xfffff000 (rcache miss)"
    );
    assert_eq!(
        k.core.iova_to_phys(default_domain(&k), 0xFFFF_F234),
        0x8000_1234
    );
}

#[test]
fn dma_map_page_with_dma_none_is_a_bug() {
    let mut k = kernel(Config::default());
    let e = k.call(&Call::DmaMapPage {
        dev: DEV,
        phys: 0x8000_0000,
        size: 0x1000,
        dir: DmaDirection::None,
        cpu: 0,
    });
    assert_eq!(e.result, Ret::Bug);
    assert_eq!(e.warns[0].message, "BUG_ON(!valid_dma_direction(dir))");
    assert!(k.crashed().is_some());
}

#[test]
fn dma_map_page_larger_than_the_aperture_is_dma_mapping_error() {
    let mut k = kernel(Config::default());
    let e = k.call(&Call::DmaMapPage {
        dev: DEV,
        phys: 0x8000_0000,
        size: 1 << 48,
        dir: DmaDirection::ToDevice,
        cpu: 0,
    });
    assert_eq!(e.result, Ret::DmaMappingError);
    assert_eq!(Ret::DmaMappingError.to_string(), "DMA_MAPPING_ERROR");
    // The 32-bit attempt failed first: the device now uses its full mask.
    assert_eq!(e.warns[0].message, "01:00.0: Using 48-bit DMA addresses");
    assert_eq!(
        dma_map(&mut k, 0x8000_0000, DmaDirection::ToDevice),
        Ret::Value(0xFFFF_FFFF_F000)
    );
}

#[test]
fn strict_unmap_faults_at_once_and_reuses_the_iova() {
    let mut k = kernel(Config::default());
    assert_eq!(
        dma_map(&mut k, 0x8000_0000, DmaDirection::Bidirectional),
        Ret::Value(0xFFFF_F000)
    );
    assert_eq!(
        dma(&mut k, 0xFFFF_F000, true).result,
        Ret::Value(0x8000_0000)
    );
    let e = dma_unmap(&mut k, 0xFFFF_F000);
    assert_eq!(
        names(&e.nested[0].children),
        ["iommu_unmap_fast", "iommu_iotlb_sync", "free_iova_fast"]
    );
    let e = dma(&mut k, 0xFFFF_F000, true);
    assert_eq!(e.result, Ret::Err(Errno::EFAULT));
    assert!(e.breaches.is_empty());
    assert_eq!(
        dma_map(&mut k, 0x9000_0000, DmaDirection::Bidirectional),
        Ret::Value(0xFFFF_F000)
    );
}

#[test]
fn lazy_unmap_leaves_stale_iotlb_until_tick() {
    let mut k = kernel(lazy());
    assert_eq!(
        dma_map(&mut k, 0x8000_0000, DmaDirection::Bidirectional),
        Ret::Value(0xFFFF_F000)
    );
    assert_eq!(
        dma(&mut k, 0xFFFF_F000, true).result,
        Ret::Value(0x8000_0000)
    );
    let e = dma_unmap(&mut k, 0xFFFF_F000);
    assert_eq!(
        names(&e.nested[0].children),
        ["iommu_unmap_fast", "queue_iova"]
    );
    let e = dma(&mut k, 0xFFFF_F000, true);
    assert_eq!(e.result, Ret::Value(0x8000_0000));
    assert_eq!(invariants(&e), ["I6"]);
    assert_eq!(
        e.breaches[0].message,
        "IOVA 0xfffff000 of default#0(DMA_FQ) was reached after its PTEs were cleared but before the IOTLB flush (stale IOTLB entry → 0x80000000)"
    );
    assert_eq!(
        e.nested[0].result.to_string(),
        "0x80000000 (stale IOTLB entry)"
    );
    assert!(tick_ms(&mut k, 9).nested.is_empty());
    assert_eq!(
        dma(&mut k, 0xFFFF_F000, false).result,
        Ret::Value(0x8000_0000)
    );
    let e = tick_ms(&mut k, 1);
    assert_eq!(names(&e.nested), ["fq_flush_timeout"]);
    let e = dma(&mut k, 0xFFFF_F000, false);
    assert_eq!(e.result, Ret::Err(Errno::EFAULT));
    assert!(e.breaches.is_empty());
}

#[test]
fn tick_in_nanoseconds_adds_up_to_the_10ms_timer() {
    let mut k = kernel(lazy());
    let _ = dma_map(&mut k, 0x8000_0000, DmaDirection::Bidirectional);
    let _ = dma(&mut k, 0xFFFF_F000, false);
    let _ = dma_unmap(&mut k, 0xFFFF_F000);
    for _ in 0..19 {
        assert!(k.call(&Call::Tick { ns: 500_000 }).nested.is_empty());
    }
    let e = k.call(&Call::Tick { ns: 500_000 });
    assert_eq!(names(&e.nested), ["fq_flush_timeout"]);
}

#[test]
fn iommu_map_into_iova_awaiting_flush_breaks_i6() {
    // Reusing a queued IOVA before the flush queue ran: dma-iommu never does this, a
    // caller mapping the default domain behind its back can.
    let mut k = kernel(lazy());
    let def = default_domain(&k);
    let _ = dma_map(&mut k, 0x8000_0000, DmaDirection::Bidirectional);
    let _ = dma(&mut k, 0xFFFF_F000, false);
    let _ = dma_unmap(&mut k, 0xFFFF_F000);
    let e = map(&mut k, def, 0xFFFF_F000, 0xA000_0000, 0x1000, Prot::RW);
    assert_eq!(e.result, Ret::Ok);
    assert_eq!(invariants(&e), ["I6"]);
    assert!(e.breaches[0]
        .message
        .contains("was reused after its PTEs were cleared"));
    // The device still reaches the old page, not the new one.
    assert_eq!(
        dma(&mut k, 0xFFFF_F000, false).result,
        Ret::Value(0x8000_0000)
    );
    assert_eq!(
        k.call(&Call::IommuFlushIotlbAll { domain: def }).result,
        Ret::Ok
    );
    let e = dma(&mut k, 0xFFFF_F000, false);
    assert_eq!(e.result, Ret::Value(0xA000_0000));
    assert!(e.breaches.is_empty());
}

#[test]
fn write_through_read_only_mapping_faults() {
    let mut k = kernel(Config::default());
    let iova = match dma_map(&mut k, 0x8000_0000, DmaDirection::ToDevice) {
        Ret::Value(v) => v,
        r => panic!("{r}"),
    };
    assert_eq!(dma(&mut k, iova, true).result, Ret::Err(Errno::EFAULT));
    assert_eq!(dma(&mut k, iova, false).result, Ret::Value(0x8000_0000));
}

#[test]
fn iommu_unmap_returns_bytes_and_syncs_once() {
    let mut k = kernel(Config::default());
    let d = user_domain(&mut k);
    let _ = map(&mut k, d, 0x20_0000, 0x8000_0000, 0x20_0000, Prot::RW);
    assert_eq!(unmap(&mut k, d, 0x20_1000, 0x1000), Ret::Value(0));
    let e = k.call(&Call::IommuUnmap {
        domain: d,
        iova: 0x20_0000,
        size: 0x20_0000,
    });
    assert_eq!(e.result, Ret::Value(0x20_0000));
    assert_eq!(
        names(&e.nested),
        ["iommu_pgsize", "arm_lpae_unmap_pages", "iommu_iotlb_sync"]
    );
}

#[test]
fn split_unmap_config_splits_the_block() {
    let mut k = kernel(Config {
        split_unmap: true,
        ..Config::default()
    });
    let d = user_domain(&mut k);
    let _ = map(&mut k, d, 0x20_0000, 0x8000_0000, 0x20_0000, Prot::RW);
    assert_eq!(unmap(&mut k, d, 0x20_1000, 0x1000), Ret::Value(0x1000));
    assert_eq!(k.core.iova_to_phys(d, 0x20_1000), 0);
    assert_eq!(k.core.iova_to_phys(d, 0x20_2008), 0x8000_2008);
}

#[test]
fn scenario_dma_mapping_error_and_iova_handles() {
    let text = "# t\ngeneration current\niommu smmu0 kind=arm-smmu-v3\nhost pci0 iommu=smmu0\n\
pci 00:1c.0 rp acs=SV,RR,CR,UF\npci 01:00.0 ep parent=00:1c.0\nbind 01:00.0 e1000e\n\
dma_map_page(01:00.0, 0x8000_0000, 0x1_0000_0000_0000, TO_DEVICE) => DMA_MAPPING_ERROR\n\
buf = dma_map_page(01:00.0, 0x8000_0000, 4K, FROM_DEVICE) => 0xffff_ffff_f000\n\
device_dma(01:00.0, buf, write) => 0x8000_0000\n\
dma_unmap_page(01:00.0, buf, 4K, FROM_DEVICE)\n\
device_dma(01:00.0, buf, write) => -EFAULT\n";
    let run = crate::scenario::run(text, &Default::default()).unwrap();
    assert_eq!(run.checks.len(), 4);
    assert!(run.passed(), "{:?}", run.failures().collect::<Vec<_>>());
    let bad = "# t\ngeneration current\niommu smmu0\nplatform a iommu=smmu0 sid=1\n\
device_dma(a, nope, read)\n";
    let e = crate::scenario::run(bad, &Default::default()).unwrap_err();
    assert!(format!("{e:?}").contains("nope"));
}

#[test]
fn iommu_map_beyond_the_page_budget_is_enomem_and_unrolled() {
    let mut k = kernel(Config::default());
    let d = user_domain(&mut k);
    // 2^40 bytes of 4K pages (the PA is not 2M-aligned) needs 2^19 + 1 tables.
    let e = map(&mut k, d, 0, 0x1000, 1 << 40, Prot::RW);
    assert_eq!(e.result, Ret::Err(Errno::ENOMEM));
    assert_eq!(k.core.iova_to_phys(d, 0x1000), 0);
    let tables = k
        .core
        .domains
        .get(&d)
        .unwrap()
        .paging
        .as_ref()
        .unwrap()
        .stats();
    assert_eq!(tables.tables_allocated, 16384);
}

#[test]
fn tick_trims_the_rcache_depot_every_100ms() {
    let mut k = kernel(Config::default());
    let iovas: Vec<u64> = (0..640)
        .map(
            |i| match dma_map(&mut k, 0x8000_0000 + i * 0x1000, DmaDirection::ToDevice) {
                Ret::Value(v) => v,
                r => panic!("{r}"),
            },
        )
        .collect();
    for &a in &iovas {
        let _ = dma_unmap(&mut k, a);
    }
    // CPU 0: loaded and prev fill (254 pfns); each 127 more push a full magazine to the
    // depot (the 255th, 382nd, 509th and 636th frees).
    let depot = |k: &Kernel| -> usize {
        let d = default_domain(k);
        let c = k.core.domains.get(&d).unwrap().cookie.as_ref().unwrap();
        c.iovad.rcache_stats().iter().map(|r| r.depot_size).sum()
    };
    assert_eq!(depot(&k), 4);
    assert!(tick_ms(&mut k, 99).nested.is_empty());
    let e = tick_ms(&mut k, 1);
    assert_eq!(names(&e.nested), ["iova_depot_work_func"]);
    assert_eq!(
        e.nested[0].result.to_string(),
        "1 magazine(s) back to the tree"
    );
    assert_eq!(e.args, ["1ms"]);
    assert_eq!(depot(&k), 3);
    // Rescheduled while the depot holds more magazines than there are CPUs (2).
    let _ = tick_ms(&mut k, 100);
    assert_eq!(depot(&k), 2);
    assert!(tick_ms(&mut k, 1000).nested.is_empty());
    assert_eq!(depot(&k), 2);
}
