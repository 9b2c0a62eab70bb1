//! Page-table behaviour, with the io-pgtable-arm selftest and generic_pt KUnit patterns
//! (shared/MODEL.md §7) as oracles.

use super::arm_lpae::*;
use super::*;
#[cfg(not(target_arch = "wasm32"))]
use proptest::prelude::*;
#[cfg(not(target_arch = "wasm32"))]
use std::collections::BTreeMap;
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

const SZ_4K: u64 = 0x1000;
const SZ_2M: u64 = 0x20_0000;
const SZ_1G: u64 = 0x4000_0000;

fn lpae(granule: u64, ias: u32) -> ArmLpae {
    ArmLpae::new(LpaeConfig {
        granule,
        ias,
        oas: 48,
        ..LpaeConfig::default()
    })
    .unwrap()
}

fn domain(cfg: LpaeConfig) -> PagingDomain {
    PagingDomain::new_lpae(cfg).unwrap()
}

fn dom4k() -> PagingDomain {
    domain(LpaeConfig::default())
}

/// Leaf sizes covering `[iova, iova + len)`, in order.
fn leaves(d: &PagingDomain, iova: u64, len: u64) -> Vec<u64> {
    let mut out = Vec::new();
    let mut a = iova;
    while a < iova + len {
        let l = d.pgtable.walk(a).unwrap();
        out.push(l.size);
        a = l.iova_base + l.size;
    }
    out
}

#[test]
fn geometry_matches_model_table() {
    let t = lpae(SZ_4K, 48);
    assert_eq!((t.start_level(), t.pgd_entries()), (0, 512));
    let t = lpae(SZ_4K, 32);
    assert_eq!((t.start_level(), t.pgd_entries()), (1, 4));
    let t = lpae(0x4000, 48);
    assert_eq!((t.start_level(), t.pgd_entries()), (0, 2));
    assert_eq!(t.pgsize_bitmap(), 0x4000 | 0x200_0000);
    let t = lpae(0x1_0000, 48);
    assert_eq!((t.start_level(), t.pgd_entries()), (1, 64));
    assert_eq!(t.pgsize_bitmap(), 0x1_0000 | 0x2000_0000);
    assert_eq!(
        ArmLpae::new(LpaeConfig {
            granule: 0x2000,
            ..LpaeConfig::default()
        })
        .unwrap_err(),
        Errno::EINVAL
    );
}

#[test]
fn page_descriptor_bits_for_rw_mapping() {
    let mut d = dom4k();
    d.iommu_map(0x10_0000, 0x8000_0000, SZ_4K, Prot::RW)
        .unwrap();
    let t = &d.pgtable;
    // nG | AF | SH=outer | AP unprivileged | page type, AttrIndx 0 (NC).
    assert_eq!(t.descriptor(0x10_0000, 3), Some(0x8000_0E43));
    // Tables: pgd = page 0, then pages 1 (L1), 2 (L2), 3 (L3) at page × 4K.
    assert_eq!(t.descriptor(0x10_0000, 0), Some(0x1003));
    assert_eq!(t.descriptor(0x10_0000, 1), Some(0x2003));
    assert_eq!(t.descriptor(0x10_0000, 2), Some(0x3003));
    assert_eq!(d.stats().tables_allocated, 4);
    assert_eq!(d.stats().pte_writes, 4);
}

#[test]
fn descriptor_bits_follow_prot_flags() {
    assert_eq!(ArmLpae::prot_to_pte(Prot::READ), 0xEC0);
    assert_eq!(ArmLpae::prot_to_pte(Prot::RW | Prot::CACHE), 0xF44);
    assert_eq!(ArmLpae::prot_to_pte(Prot::RW | Prot::MMIO), 0xE48);
    assert_eq!(ArmLpae::prot_to_pte(Prot::RW | Prot::PRIV), 0xE00);
    assert_eq!(
        ArmLpae::prot_to_pte(Prot::RW | Prot::NOEXEC),
        0x0060_0000_0000_0E40
    );
    let mut d = dom4k();
    d.iommu_map(SZ_2M, 0x4000_0000, SZ_2M, Prot::READ | Prot::CACHE)
        .unwrap();
    // A level-2 block: type 01, read-only, inner shareable, write-back.
    assert_eq!(d.pgtable.descriptor(SZ_2M, 2), Some(0x4000_0FC5));
}

#[test]
fn decode_reads_back_the_descriptor_fields() {
    let page = decode(0x8000_0E43, 3);
    assert_eq!(page.kind, "page");
    assert_eq!(page.output, 0x8000_0000);
    assert_eq!(page.ap_text(), "RW, unprivileged too");
    assert_eq!((page.xn, page.attr_indx, page.sh), (0, 0, 2));
    assert_eq!(page.attr_text(), "Normal non-cacheable");
    assert_eq!(page.sh_text(), "outer shareable");
    assert!(page.af && page.ng && !page.ns);
    let block = decode(0x4000_0FC5, 2);
    assert_eq!(block.kind, "block");
    assert_eq!(block.ap_text(), "RO, unprivileged too");
    assert_eq!(block.attr_text(), "Normal write-back cacheable");
    assert_eq!(block.sh_text(), "inner shareable");
    assert_eq!(decode(0x1003, 0).kind, "table");
    assert_eq!(decode(0x1003, 0).output, 0x1000);
    assert_eq!(decode(0x0060_0000_0000_0E40 | 3, 3).xn, 3);
    assert_eq!(decode(0, 3).kind, "invalid");
    assert_eq!(decode(0x8000_0E41, 3).kind, "invalid");
}

#[test]
fn descriptors_for_16k_and_64k_granules() {
    let mut d = domain(LpaeConfig {
        granule: 0x4000,
        ..LpaeConfig::default()
    });
    d.iommu_map(0x4000, 0x8000_4000, 0x4000, Prot::RW).unwrap();
    assert_eq!(d.pgtable.descriptor(0x4000, 3), Some(0x8000_4E43));
    // 16K granule, IAS 48: pgd (2 entries) → L1 page 1 at 0x4000, L2 page 2, L3 page 3.
    assert_eq!(d.pgtable.descriptor(0x4000, 0), Some(0x4003));
    assert_eq!(d.pgtable.descriptor(0x4000, 2), Some(0xC003));
    d.iommu_map(0x200_0000, 0x4000_0000, 0x200_0000, Prot::RW)
        .unwrap();
    assert_eq!(d.pgtable.descriptor(0x200_0000, 2), Some(0x4000_0E41));

    let mut d = domain(LpaeConfig {
        granule: 0x1_0000,
        ..LpaeConfig::default()
    });
    d.iommu_map(0x1_0000, 0x1_0000_0000, 0x1_0000, Prot::RW)
        .unwrap();
    assert_eq!(d.pgtable.descriptor(0x1_0000, 3), Some(0x1_0000_0E43));
    // 64K granule starts at level 1; its L2 table is page 1 at 0x10000.
    assert_eq!(d.pgtable.descriptor(0x1_0000, 1), Some(0x1_0003));
    d.iommu_map(0x2000_0000, 0x2000_0000, 0x2000_0000, Prot::RW)
        .unwrap();
    assert_eq!(leaves(&d, 0x2000_0000, 0x2000_0000), vec![0x2000_0000]);
}

#[test]
fn unmap_at_table_level_frees_the_subtable_and_returns_the_block_size() {
    let mut d = dom4k();
    d.iommu_map(SZ_2M + 5 * SZ_4K, 0, SZ_4K, Prot::RW).unwrap();
    assert_eq!(d.stats().tables_live, 4);
    // iommu_pgsize picks 2M; at level 2 the entry is a table: cleared, freed, walk-flushed.
    assert_eq!(d.iommu_unmap(SZ_2M, SZ_2M), SZ_2M);
    assert_eq!(d.stats().tables_live, 3);
    assert_eq!(d.stats().tables_freed, 1);
    assert_eq!(d.iommu_iova_to_phys(SZ_2M + 5 * SZ_4K), 0);
    // One walk flush plus the gathered 2M range.
    assert_eq!(d.tlb().inv_range, 2);
}

#[test]
fn iommu_pgsize_model_example_is_4k_then_2m() {
    let bm = SZ_4K | SZ_2M | SZ_1G;
    assert_eq!(
        iommu_pgsize(bm, 0x1F_F000, 0x3F_F000, 0x20_1000),
        Some((SZ_4K, 1))
    );
    assert_eq!(
        iommu_pgsize(bm, 0x20_0000, 0x40_0000, 0x20_0000),
        Some((SZ_2M, 1))
    );
    let mut d = dom4k();
    d.iommu_map(0x1F_F000, 0x3F_F000, 0x20_1000, Prot::RW)
        .unwrap();
    assert_eq!(leaves(&d, 0x1F_F000, 0x20_1000), vec![SZ_4K, SZ_2M]);
    assert_eq!(d.iommu_unmap(0x1F_F000, 0x20_1000), 0x20_1000);
}

#[test]
fn generic_pt_test_mixed_maps_14x2m_3x1g_3x2m() {
    let mut d = dom4k();
    let (start, end) = (0x3fe400u64 << 12, 0x4c0600u64 << 12);
    d.iommu_map(start, start, end - start, Prot::RW).unwrap();
    let mut want = vec![SZ_2M; 14];
    want.extend([SZ_1G; 3]);
    want.extend([SZ_2M; 3]);
    assert_eq!(leaves(&d, start, end - start), want);
    assert_eq!(
        d.iommu_iova_to_phys(start + 0x1234_5678),
        start + 0x1234_5678
    );
    assert_eq!(d.iommu_unmap(start, end - start), end - start);
    assert_eq!(d.iommu_iova_to_phys(start), 0);
}

/// drivers/iommu/io-pgtable-arm-selftests.c: arm_lpae_run_tests() for one config.
fn run_lpae_selftest(granule: u64, ias: u32, split: bool) {
    let mut t = ArmLpae::new(LpaeConfig {
        granule,
        ias,
        oas: 48,
        split_unmap: split,
        ..LpaeConfig::default()
    })
    .unwrap();
    let bitmap = t.pgsize_bitmap();
    let rwnc = Prot::RW | Prot::NOEXEC | Prot::CACHE;
    // Initial sanity checks: empty page tables.
    for a in [42, SZ_1G + 42, 2 * SZ_1G + 42] {
        assert_eq!(t.iova_to_phys(a), 0);
    }
    let sizes: Vec<u64> = (0..64)
        .map(|j| 1u64 << j)
        .filter(|s| bitmap & s != 0)
        .collect();
    let mut iova = 0;
    let mut m = 0;
    for &size in &sizes {
        t.map_pages(iova, iova, size, 1, rwnc, &mut m).unwrap();
        // Overlapping mappings.
        assert_eq!(
            t.map_pages(
                iova,
                iova + size,
                size,
                1,
                Prot::READ | Prot::NOEXEC,
                &mut m
            ),
            Err(Errno::EEXIST)
        );
        assert_eq!(t.iova_to_phys(iova + 42), iova + 42);
        iova += SZ_1G;
    }
    let mut g = IotlbGather::new();
    if split {
        // Partial unmap (≤ v6.12): one granule out of the block at 1G.
        let size = sizes[0];
        assert_eq!(t.unmap_pages(SZ_1G + size, size, 1, &mut g), size);
        // Remap of partial unmap.
        t.map_pages(SZ_1G + size, size, size, 1, Prot::READ, &mut m)
            .unwrap();
        assert_eq!(t.iova_to_phys(SZ_1G + size + 42), size + 42);
    } else {
        // v6.13+: refused, nothing changes.
        assert_eq!(t.unmap_pages(SZ_1G + sizes[0], sizes[0], 1, &mut g), 0);
        assert_eq!(t.iova_to_phys(SZ_1G + sizes[0] + 42), SZ_1G + sizes[0] + 42);
    }
    // Full unmap.
    iova = 0;
    for &size in &sizes {
        assert_eq!(t.unmap_pages(iova, size, 1, &mut g), size);
        assert_eq!(t.iova_to_phys(iova + 42), 0);
        // Remap full block.
        t.map_pages(iova, iova, size, 1, Prot::WRITE, &mut m)
            .unwrap();
        assert_eq!(t.iova_to_phys(iova + 42), iova + 42);
        iova += SZ_1G;
    }
    // Map/unmap the last largest supported page of the IAS.
    let size = *sizes.last().unwrap();
    let top = (1u64 << ias) - size;
    t.map_pages(top, top, size, 1, rwnc, &mut m).unwrap();
    assert_eq!(t.iova_to_phys(top + 42), top + 42);
    assert_eq!(t.unmap_pages(top, size, 1, &mut g), size);
    assert_eq!(t.iova_to_phys(top + 42), 0);
}

#[test]
fn lpae_selftest_every_granule_and_ias_v6_13() {
    for granule in [SZ_4K, 0x4000, 0x1_0000] {
        for ias in [32, 36, 40, 42, 44, 48] {
            run_lpae_selftest(granule, ias, false);
        }
    }
}

#[test]
fn lpae_selftest_every_granule_and_ias_with_split_v6_12() {
    for granule in [SZ_4K, 0x4000, 0x1_0000] {
        for ias in [32, 36, 40, 42, 44, 48] {
            run_lpae_selftest(granule, ias, true);
        }
    }
}

#[test]
fn map_beyond_ias_or_oas_is_erange() {
    let mut d = domain(LpaeConfig {
        ias: 32,
        oas: 40,
        ..LpaeConfig::default()
    });
    assert_eq!(d.iommu_map(1 << 32, 0, SZ_4K, Prot::RW), Err(Errno::ERANGE));
    assert_eq!(d.iommu_map(0, 1 << 40, SZ_4K, Prot::RW), Err(Errno::ERANGE));
    // A map running off the top of the IAS maps up to it, then -ERANGE unrolls it.
    assert_eq!(
        d.iommu_map((1 << 32) - SZ_4K, 0, 2 * SZ_4K, Prot::RW),
        Err(Errno::ERANGE)
    );
    assert_eq!(d.iommu_iova_to_phys((1 << 32) - SZ_4K), 0);
}

#[test]
fn map_rejects_misalignment_and_missing_prot_with_einval() {
    let mut d = dom4k();
    assert_eq!(
        d.iommu_map(0x1000, 0x2800, SZ_4K, Prot::RW),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        d.iommu_map(0x1000, 0x2000, 0x800, Prot::RW),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        d.iommu_map(0x1000, 0x2000, SZ_4K, Prot::CACHE),
        Err(Errno::EINVAL)
    );
    // Unaligned unmap returns 0 bytes.
    assert_eq!(d.iommu_unmap(0x1800, SZ_4K), 0);
}

#[test]
fn double_map_is_eexist_and_partial_map_is_rolled_back() {
    let mut d = dom4k();
    d.iommu_map(0x1000, 0x5000, SZ_4K, Prot::RW).unwrap();
    assert_eq!(
        d.iommu_map(0x1000, 0x9000, SZ_4K, Prot::RW),
        Err(Errno::EEXIST)
    );
    // 0x0 maps, then 0x1000 collides: the first page is unmapped again.
    assert_eq!(
        d.iommu_map(0x0, 0x7000, 3 * SZ_4K, Prot::RW),
        Err(Errno::EEXIST)
    );
    assert_eq!(d.iommu_iova_to_phys(0x42), 0);
    assert_eq!(d.iommu_iova_to_phys(0x1042), 0x5042);
    assert_eq!(d.iommu_iova_to_phys(0x2042), 0);
    assert!(d
        .take_warnings()
        .contains(&"map over an existing leaf (-EEXIST)"));
    // A page inside an existing block: -EEXIST on the way down.
    d.iommu_map(SZ_2M, SZ_2M, SZ_2M, Prot::RW).unwrap();
    assert_eq!(
        d.iommu_map(SZ_2M + SZ_4K, 0, SZ_4K, Prot::RW),
        Err(Errno::EEXIST)
    );
}

#[test]
fn unmap_returns_exact_bytes_and_stops_at_holes() {
    let mut d = dom4k();
    d.iommu_map(0x10_0000, 0x10_0000, 4 * SZ_4K, Prot::RW)
        .unwrap();
    assert_eq!(d.iommu_unmap(0x10_0000, SZ_4K), SZ_4K);
    // Nothing at 0x10_0000 any more: 0 bytes, the rest untouched.
    assert_eq!(d.iommu_unmap(0x10_0000, 4 * SZ_4K), 0);
    assert_eq!(d.iommu_unmap(0x10_1000, 8 * SZ_4K), 3 * SZ_4K);
    assert_eq!(d.iommu_unmap(0x40_0000, SZ_2M), 0);
}

#[test]
fn partial_block_unmap_refused_v6_13() {
    let mut d = dom4k();
    d.iommu_map(0, 0x4000_0000, SZ_2M, Prot::RW).unwrap();
    assert_eq!(d.iommu_unmap(SZ_4K, SZ_4K), 0);
    assert_eq!(d.iommu_iova_to_phys(SZ_4K), 0x4000_1000);
    assert_eq!(
        d.take_warnings(),
        vec!["Unmap of a partial large IOPTE is not allowed"]
    );
}

#[test]
fn partial_block_unmap_splits_v6_12() {
    let mut d = domain(LpaeConfig {
        split_unmap: true,
        ..LpaeConfig::default()
    });
    d.iommu_map(SZ_1G, 0x8000_0000, SZ_1G, Prot::RW).unwrap();
    let before = d.stats().tables_allocated;
    assert_eq!(d.iommu_unmap(SZ_1G + SZ_4K, SZ_4K), SZ_4K);
    // 1G → 512×2M (one table), the first 2M → 511×4K (another table).
    assert_eq!(d.stats().tables_allocated, before + 2);
    assert_eq!(d.iommu_iova_to_phys(SZ_1G + SZ_4K), 0);
    assert_eq!(d.iommu_iova_to_phys(SZ_1G), 0x8000_0000);
    assert_eq!(d.iommu_iova_to_phys(SZ_1G + 0x2042), 0x8000_2042);
    assert_eq!(d.iommu_iova_to_phys(2 * SZ_1G - 1), 0xBFFF_FFFF);
    assert_eq!(leaves(&d, SZ_1G + SZ_2M, SZ_2M), vec![SZ_2M]);
    assert_eq!(d.tlb().inv_range, 1);
}

#[test]
fn block_over_an_old_table_replaces_it_v6_12() {
    let mut d = dom4k();
    d.iommu_map(0, 0, SZ_4K, Prot::RW).unwrap();
    assert_eq!(d.stats().tables_live, 4);
    // The L3 table under [0, 2M) is torn down (walk flush) and a block goes in.
    d.iommu_map(0, 0x8000_0000, SZ_2M, Prot::RW).unwrap();
    assert_eq!(d.stats().tables_live, 3);
    assert_eq!(d.stats().tables_freed, 1);
    assert_eq!(d.iommu_iova_to_phys(0x42), 0x8000_0042);
    assert_eq!(d.tlb().inv_range, 1);
}

#[test]
fn default_page_budget_is_64_mib_of_tables() {
    let mut d = dom4k();
    assert_eq!(d.pgtable.config().max_tables, 16384);
    // 4K pages spread one per 2M: each needs its own last-level table.
    let mut err = None;
    for i in 0..20_000u64 {
        if let Err(e) = d.iommu_map(i * SZ_2M, 0, SZ_4K, Prot::RW) {
            err = Some((i, e));
            break;
        }
    }
    // pgd + L1 + 32 L2 tables (one per 1G) + 16350 L3 tables = 16384: the next L3 fails.
    assert_eq!(err, Some((16350, Errno::ENOMEM)));
    assert_eq!(d.stats().tables_live, 16384);
}

#[test]
fn page_budget_exhaustion_is_enomem() {
    let mut d = domain(LpaeConfig {
        max_tables: 3,
        ..LpaeConfig::default()
    });
    // pgd + L1 + L2 fit; the L3 table does not.
    assert_eq!(d.iommu_map(0, 0, SZ_4K, Prot::RW), Err(Errno::ENOMEM));
    assert_eq!(d.iommu_iova_to_phys(0), 0);
    // A 2M block needs no L3 table.
    d.iommu_map(0, 0, SZ_2M, Prot::RW).unwrap();
    assert_eq!(d.stats().tables_live, 3);
}

#[test]
fn strict_unmap_invalidates_the_iotlb() {
    let mut d = dom4k();
    d.iommu_map(0x1000, 0x8000_0000, SZ_4K, Prot::RW).unwrap();
    let t = d.translate(0x1010, DmaAccess::Write).unwrap();
    assert_eq!((t.phys, t.from_iotlb, t.stale), (0x8000_0010, false, false));
    assert!(d.translate(0x1010, DmaAccess::Read).unwrap().from_iotlb);
    assert_eq!(d.iommu_unmap(0x1000, SZ_4K), SZ_4K);
    assert_eq!(d.tlb().inv_range, 1);
    assert_eq!(d.translate(0x1010, DmaAccess::Read), Err(Errno::EFAULT));
}

#[test]
fn lazy_unmap_leaves_a_stale_iotlb_entry_until_flush_all() {
    let mut d = dom4k();
    d.iommu_map(0x1000, 0x8000_0000, SZ_4K, Prot::RW).unwrap();
    d.translate(0x1000, DmaAccess::Write).unwrap();
    let mut g = IotlbGather::new();
    g.queued = true;
    assert_eq!(d.iommu_unmap_fast(0x1000, SZ_4K, &mut g), SZ_4K);
    d.iommu_iotlb_sync(&mut g);
    assert_eq!(d.tlb().inv_range, 0);
    assert_eq!(d.iommu_iova_to_phys(0x1000), 0);
    // The device still reaches the old page through the IOTLB.
    let t = d.translate(0x1008, DmaAccess::Write).unwrap();
    assert_eq!((t.phys, t.from_iotlb, t.stale), (0x8000_0008, true, true));
    assert_eq!(d.tlb().stale_hits, 1);
    d.iommu_flush_iotlb_all();
    assert_eq!(d.tlb().inv_full, 1);
    assert_eq!(d.translate(0x1008, DmaAccess::Write), Err(Errno::EFAULT));
}

#[test]
fn write_to_read_only_mapping_faults() {
    let mut d = dom4k();
    d.iommu_map(0x1000, 0x2000, SZ_4K, Prot::READ).unwrap();
    assert_eq!(d.translate(0x1000, DmaAccess::Read).unwrap().phys, 0x2000);
    assert_eq!(d.translate(0x1000, DmaAccess::Write), Err(Errno::EFAULT));
}

#[test]
fn gather_syncs_early_on_disjoint_pages() {
    let mut g = IotlbGather::new();
    g.add_page(0x1000, SZ_4K);
    g.add_page(0x2000, SZ_4K);
    g.add_page(0x9000, SZ_4K);
    g.add_page(SZ_2M, SZ_2M);
    assert_eq!(
        g.drain(),
        vec![
            (0x1000, 0x2fff, SZ_4K),
            (0x9000, 0x9fff, SZ_4K),
            (SZ_2M, 2 * SZ_2M - 1, SZ_2M)
        ]
    );
}

#[test]
fn prot_parses_and_prints_scenario_spelling() {
    assert_eq!(Prot::parse("RW"), Some(Prot::RW));
    assert_eq!(Prot::parse("R|W|CACHE"), Some(Prot::RW | Prot::CACHE));
    assert_eq!(Prot::parse("R|X"), None);
    assert_eq!((Prot::RW | Prot::NOEXEC).to_string(), "R|W|NOEXEC");
}

#[cfg(not(target_arch = "wasm32"))]
#[derive(Clone, Debug)]
enum Op {
    Map { pg: u64, npages: u64, pa_pg: u64 },
    Unmap { pg: u64, npages: u64 },
}

#[cfg(not(target_arch = "wasm32"))]
/// 16 MiB window of 4K pages; physical addresses either congruent mod 2M (blocks possible)
/// or an arbitrary page.
fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..4096u64, 1..1100u64, 0..8u64).prop_map(|(pg, npages, k)| Op::Map {
            pg,
            npages,
            pa_pg: pg + k * 512
        }),
        (0..4096u64, 1..600u64, 0..100_000u64).prop_map(|(pg, npages, pa_pg)| Op::Map {
            pg,
            npages,
            pa_pg
        }),
        (0..4096u64, 1..1100u64).prop_map(|(pg, npages)| Op::Unmap { pg, npages }),
        (0..8u64, 1..3u64).prop_map(|(b, n)| Op::Unmap {
            pg: b * 512,
            npages: n * 512
        }),
    ]
}

#[cfg(not(target_arch = "wasm32"))]
proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn page_table_agrees_with_map_of_pages_model(
        ops in proptest::collection::vec(op(), 1..30),
        split in any::<bool>(),
    ) {
        let mut d = domain(LpaeConfig { split_unmap: split, ..LpaeConfig::default() });
        let mut model: BTreeMap<u64, u64> = BTreeMap::new();
        for op in ops {
            match op {
                Op::Map { pg, npages, pa_pg } => {
                    if model.range(pg..pg + npages).next().is_some() {
                        continue;
                    }
                    d.iommu_map(pg * SZ_4K, pa_pg * SZ_4K, npages * SZ_4K, Prot::RW).unwrap();
                    for i in 0..npages {
                        model.insert(pg + i, pa_pg + i);
                    }
                }
                Op::Unmap { pg, npages } => {
                    let n = d.iommu_unmap(pg * SZ_4K, npages * SZ_4K);
                    prop_assert_eq!(n % SZ_4K, 0);
                    prop_assert!(n <= npages * SZ_4K);
                    // A table entry unmapped at its own level goes whole, holes included
                    // (__arm_lpae_unmap frees the subtable), so only the range is known.
                    for i in 0..n / SZ_4K {
                        model.remove(&(pg + i));
                    }
                }
            }
            for p in 0..4096u64 {
                let want = model.get(&p).map_or(0, |pa| pa * SZ_4K + 42);
                prop_assert_eq!(d.iommu_iova_to_phys(p * SZ_4K + 42), want);
            }
        }
    }
}

#[test]
fn device_access_resolves_through_iotlb_then_table() {
    let mut d = dom4k();
    d.iommu_map(0x1000, 0x8000_0000, SZ_4K, Prot::READ).unwrap();
    let phys = |d: &PagingDomain<_>, iova, access| d.translate(iova, access).ok().map(|t| t.phys);
    assert_eq!(phys(&d, 0x1042, DmaAccess::Read), Some(0x8000_0042));
    assert_eq!(phys(&d, 0x1042, DmaAccess::Write), None); // read-only
    assert_eq!(phys(&d, 0x2000, DmaAccess::Read), None);
    assert_eq!(d.tlb().iotlb_misses, 2);
    assert_eq!(d.tlb().iotlb_hits, 1);
    assert_eq!(d.iotlb().len(), 1);
}

#[cfg(not(target_arch = "wasm32"))]
fn edge_u64() -> impl Strategy<Value = u64> {
    prop_oneof![
        any::<u64>(),
        (0..1u64 << 20).prop_map(|p| p << 12),
        (0..64u32).prop_map(|b| 1u64 << b),
        (0..64u32).prop_map(|b| (1u64 << b).wrapping_sub(1)),
        Just(u64::MAX),
        Just(0),
    ]
}

#[cfg(not(target_arch = "wasm32"))]
proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    /// No argument from a scenario can make the mapping engine panic (debug build: overflow
    /// checks on).
    #[test]
    fn mapping_api_never_panics(
        g in 0..3usize,
        ias in 32..=48u32,
        budget in 1..40u64,
        split in any::<bool>(),
        ops in proptest::collection::vec((0..8u8, edge_u64(), edge_u64(), edge_u64(), 0..64u32), 1..40),
    ) {
        use crate::dma::{DmaCookie, DmaDevice, DmaDirection};
        let granule = [SZ_4K, 0x4000, 0x1_0000][g];
        let mut d = domain(LpaeConfig { granule, ias, oas: 48, max_tables: budget, split_unmap: split });
        let mut c = DmaCookie::new(&d, 2, split).unwrap();
        let mut dev = DmaDevice::new(true, u64::MAX);
        for (k, a, b, sz, p) in ops {
            match k {
                0 => { let _ = d.iommu_map(a, b, sz, Prot(p)); }
                1 => { d.iommu_unmap(a, sz); }
                2 => { let _ = d.translate(a, DmaAccess::Write); }
                3 => { d.iommu_iova_to_phys(a); }
                4 => { c.dma_map_page(&mut d, &mut dev, b, sz, DmaDirection::Bidirectional, p, p as usize); }
                5 => { c.dma_unmap_page(&mut d, &mut dev, a, sz, DmaDirection::ToDevice, 0, p as usize); }
                6 => c.tick(&mut d, sz % 1000),
                _ => { c.iovad.alloc_iova_fast(sz, a, p & 1 == 0, p as usize); c.iovad.free_iova_fast(a, sz, p as usize); }
            }
        }
    }
}

/// drivers/iommu/io-pgtable-arm.c (v6.12): arm_lpae_restrict_pgsizes() clamps the IAS and
/// OAS to 48 bits for 4K and 16K and to 52 for 64K (LPA), adding 4TB pages to a 64K table
/// whose OAS is above 48; arm_64_lpae_alloc_pgtable_s1() refuses an OAS with no TCR.IPS
/// encoding (NULL, -EINVAL here). A 64K table keeps PA bits 51:48 in descriptor bits 15:12
/// (paddr_to_iopte()/iopte_to_paddr()).
#[test]
fn lpae_ias_oas_limits_per_granule_and_52_bit_output() {
    let cfg = |granule, ias, oas| LpaeConfig {
        granule,
        ias,
        oas,
        ..LpaeConfig::default()
    };
    let t = ArmLpae::new(cfg(SZ_4K, 52, 52)).unwrap();
    assert_eq!(
        (t.ias(), t.pgsize_bitmap()),
        (48, 0x1000 | 0x20_0000 | 0x4000_0000)
    );
    let t = ArmLpae::new(cfg(0x4000, 52, 52)).unwrap();
    assert_eq!(t.ias(), 48);
    let t = ArmLpae::new(cfg(0x1_0000, 52, 52)).unwrap();
    assert_eq!(
        (t.ias(), t.start_level(), t.pgd_entries(), t.pgsize_bitmap()),
        (52, 1, 1024, 0x1_0000 | 0x2000_0000 | (1 << 42))
    );
    let t = ArmLpae::new(cfg(0x1_0000, 52, 48)).unwrap();
    assert_eq!(t.pgsize_bitmap(), 0x1_0000 | 0x2000_0000);
    for oas in [33, 46, 49, 50] {
        assert_eq!(
            ArmLpae::new(cfg(0x1_0000, 48, oas)).unwrap_err(),
            Errno::EINVAL,
            "oas {oas}"
        );
    }
    let mut d = domain(cfg(0x1_0000, 52, 52));
    let pa = 0xf_1234_5678_0000u64;
    assert_eq!(
        d.iommu_map(0x1_0000_0000_0000, pa, 0x1_0000, Prot::RW),
        Ok(())
    );
    let leaf = d.pgtable.walk(0x1_0000_0000_0000).unwrap();
    assert_eq!(leaf.pte & PTE_ADDR_MASK, 0x1234_5678_f000);
    assert_eq!(d.iommu_iova_to_phys(0x1_0000_0000_0042), pa | 0x42);
}
