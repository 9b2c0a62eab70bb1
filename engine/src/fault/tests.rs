//! `fail_nth` runs (tools/testing/selftests/iommu/iommufd_fail_nth.c): fail the n-th
//! allocation of a call for n = 1, 2, … until the call succeeds; every failed attempt must
//! return the kernel's error and leave the state exactly as before.

use super::{arm, fired};
use crate::call::Call;
use crate::core::{DeviceFacts, IommuFacts};
use crate::dma::DmaDirection;
use crate::era::{Config, Era};
use crate::errno::Errno;
use crate::ids::{DeviceId, DomainId, GroupId, IommuId};
use crate::iommu::Kernel;
use crate::pgtable::Prot;
use crate::trace::Ret;
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

const DEV: DeviceId = DeviceId(0);

fn kernel(strict: bool) -> Kernel {
    let config = Config {
        strict,
        ..Config::default()
    };
    let mut k = Kernel::new(Era::Current, config);
    k.record_snapshots = true;
    k.add_iommu(IommuId(0), IommuFacts::new("smmu0"));
    k.probe_device(
        DEV,
        DeviceFacts::new("nic", true, IommuId(0), 8),
        Some(GroupId(0)),
    );
    let r = k.call(&Call::Bind {
        dev: DEV,
        driver: "e1000e".into(),
        managed: false,
    });
    assert_eq!(r.result, Ret::Ok);
    k
}

/// Everything a failed call must leave alone: the snapshot (groups, devices, domains with
/// what their tables map, IOTLB and flush-queue occupancy) and each DMA cookie's IOVAs in
/// use. Event counters (PTE writes, tables allocated and freed, rcache hits) are statistics:
/// a rolled-back map did write and clear PTEs. Live table pages are left out too: an
/// intermediate table installed before the failing allocation stays, empty, as in
/// io-pgtable-arm (v6.8 `__arm_lpae_map()` installs it with cmpxchg and nothing frees it on
/// the error path; the rollback's unmap frees no tables either).
fn state(k: &Kernel) -> String {
    let mut snap = k.snapshot();
    for d in &mut snap.domains {
        if let Some(c) = d.counters.as_mut() {
            *c = crate::mapping::MapCounters {
                iotlb_entries: c.iotlb_entries,
                fq_pending: c.fq_pending,
                ..Default::default()
            };
        }
    }
    let iovas: Vec<(DomainId, Vec<(u64, u64)>)> = k
        .core
        .domains
        .iter()
        .filter_map(|(id, d)| d.cookie.as_ref().map(|c| (*id, c.iovad.in_use())))
        .collect();
    format!("{}\n{iovas:?}", serde_json::to_string(&snap).unwrap())
}

/// What a `fail_nth` run saw.
#[derive(Debug, Default)]
struct FailNth {
    /// Attempts where the injected failure made the call fail.
    failed: u64,
    /// Attempts where the kernel absorbed it (a fallback path) and the call succeeded.
    absorbed: u64,
}

/// Like iommufd_fail_nth: on a fresh kernel from `setup` each time, runs `call` with its
/// n-th allocation failing, for n = 1, 2, … until no injected failure fires. Each attempt
/// either returns `failed` and leaves [`state`] unchanged, or succeeds like `clean` (the
/// kernel fell back). Returns the counts and the clean run's result.
fn fail_nth(setup: impl Fn() -> (Kernel, Call), failed: Ret) -> (FailNth, Ret) {
    let mut seen = FailNth::default();
    for n in 1..10_000 {
        let (mut k, call) = setup();
        let before = state(&k);
        arm(n);
        let r = k.call(&call).result;
        let hit = fired();
        arm(0);
        if !hit {
            return (seen, r);
        }
        if r == failed {
            seen.failed += 1;
            assert_eq!(
                state(&k),
                before,
                "{} with allocation {n} failing",
                call.name()
            );
        } else {
            assert!(
                !matches!(r, Ret::Err(_) | Ret::Bug),
                "{} → {r} at {n}",
                call.name()
            );
            seen.absorbed += 1;
        }
    }
    panic!("never succeeded");
}
fn domain_alloc(k: &mut Kernel) -> DomainId {
    match k.call(&Call::IommuDomainAlloc { iommu: IommuId(0) }).result {
        Ret::Domain(d) => d,
        r => panic!("iommu_domain_alloc: {r}"),
    }
}

#[test]
fn iommu_map_fails_cleanly_at_every_table_allocation() {
    let setup = || {
        let mut k = kernel(true);
        let d = domain_alloc(&mut k);
        let pre = Call::IommuMap {
            domain: d,
            iova: 0x10_0000,
            paddr: 0x8000_0000,
            size: 0x4000,
            prot: Prot::RW,
        };
        assert_eq!(k.call(&pre).result, Ret::Ok);
        // 2 MiB + 8 KiB at a 4K-aligned PA across a 1 GiB boundary: new level-1/2 tables
        // and last-level tables on both sides, so failures land mid-way through the map.
        let call = Call::IommuMap {
            domain: d,
            iova: 0x3fff_f000,
            paddr: 0x9000_1000,
            size: 0x20_2000,
            prot: Prot::RW,
        };
        (k, call)
    };
    let (seen, r) = fail_nth(setup, Ret::Err(Errno::ENOMEM));
    assert_eq!(r, Ret::Ok);
    assert_eq!(seen.absorbed, 0);
    assert!(seen.failed >= 3, "{seen:?}");
}

/// dma_map_page(): the IOVA (tree node, or an rcache magazine on the unmap before), then
/// the table pages. A failed 32-bit-first IOVA attempt is absorbed: iommu_dma_alloc_iova()
/// (v6.10) falls back to the full mask and clears `pci_32bit_workaround`.
#[test]
fn dma_map_page_fails_cleanly_at_every_allocation() {
    for (strict, remap) in [(true, false), (false, false), (true, true), (false, true)] {
        let setup = || {
            let mut k = kernel(strict);
            let call = Call::DmaMapPage {
                dev: DEV,
                phys: 0x1234_5000,
                size: 0x3000,
                dir: DmaDirection::Bidirectional,
                cpu: 0,
            };
            if remap {
                let Ret::Value(iova) = k.call(&call).result else {
                    panic!("dma_map_page")
                };
                let unmap = Call::DmaUnmapPage {
                    dev: DEV,
                    iova,
                    size: 0x3000,
                    dir: DmaDirection::Bidirectional,
                    cpu: 0,
                };
                assert_eq!(k.call(&unmap).result, Ret::Ok);
            }
            (k, call)
        };
        let (seen, r) = fail_nth(setup, Ret::DmaMappingError);
        assert!(matches!(r, Ret::Value(_)), "{r}");
        // First map: the 32-bit IOVA attempt (absorbed), then three table pages (levels
        // 1–3 under the pgd), each failing the call. A remap takes its IOVA from the rcache and finds its tables in place (unmap
        // frees none): nothing left to fail.
        // (Lazy: the unmapped IOVA still waits in the flush queue, so the remap allocates
        // a fresh one next to it, under the same last-level table.)
        let want = match (remap, strict) {
            (false, _) => (3, 1),
            (true, true) => (0, 0),
            (true, false) => (0, 1),
        };
        assert_eq!(
            (seen.failed, seen.absorbed),
            want,
            "strict={strict} remap={remap}"
        );
    }
}

#[test]
fn iommu_domain_alloc_fails_cleanly_at_every_allocation() {
    let setup = || (kernel(true), Call::IommuDomainAlloc { iommu: IommuId(0) });
    // A failed allocation is NULL (iommu_domain_alloc() has no errno; issue 12).
    let (seen, r) = fail_nth(setup, Ret::Null);
    assert!(matches!(r, Ret::Domain(_)), "{r}");
    // The domain itself, then its pgd.
    assert_eq!((seen.failed, seen.absorbed), (2, 0));
}

/// __iova_rcache_insert() (v6.6): with both CPU magazines full, a new one is allocated
/// (GFP_ATOMIC); if that fails the IOVA goes straight back to the tree. The unmap succeeds
/// either way and the IOVA is free again either way.
#[test]
fn dma_unmap_page_survives_a_failed_magazine_allocation() {
    let mag = crate::iova::rcache::IOVA_MAG_SIZE;
    let setup = || {
        let mut k = kernel(true);
        let iovas: Vec<u64> = (0..2 * mag as u64 + 1)
            .map(|i| {
                let map = Call::DmaMapPage {
                    dev: DEV,
                    phys: 0x4000_0000 + i * 0x1000,
                    size: 0x1000,
                    dir: DmaDirection::Bidirectional,
                    cpu: 0,
                };
                match k.call(&map).result {
                    Ret::Value(a) => a,
                    r => panic!("dma_map_page: {r}"),
                }
            })
            .collect();
        let unmap = |iova| Call::DmaUnmapPage {
            dev: DEV,
            iova,
            size: 0x1000,
            dir: DmaDirection::Bidirectional,
            cpu: 0,
        };
        // Fill `loaded`, swap it to `prev`, fill `loaded` again.
        for &a in iovas.iter().take(2 * mag) {
            assert_eq!(k.call(&unmap(a)).result, Ret::Ok);
        }
        let last = iovas.last().copied().unwrap();
        (k, unmap(last))
    };
    let (mut clean, call) = setup();
    let want = clean.call(&call).result;
    let (mut k, call) = setup();
    arm(1);
    let got = k.call(&call).result;
    assert!(fired(), "the unmap allocated no magazine");
    arm(0);
    assert_eq!((got, want), (Ret::Ok, Ret::Ok));
    let in_use = |k: &Kernel| -> Vec<Vec<(u64, u64)>> {
        k.core
            .domains
            .values()
            .filter_map(|d| d.cookie.as_ref().map(|c| c.iovad.in_use()))
            .collect()
    };
    assert_eq!(in_use(&k), in_use(&clean));
    assert!(in_use(&k).iter().all(Vec::is_empty));
}
