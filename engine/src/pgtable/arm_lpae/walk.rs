//! The page-table walk of one IOVA, level by level, for the UI's walk view: which table
//! page is read, which IOVA bits index it, the descriptor found and what it means, and the
//! physical address at the end or the level where the walk faults. It follows
//! drivers/iommu/io-pgtable-arm.c: arm_lpae_iova_to_phys() (v6.12) — `ARM_LPAE_LVL_IDX`,
//! `iopte_leaf()`, `iopte_deref()` — and reads either the live table ([`ArmLpae::iova_walk`])
//! or a snapshot's copy of its descriptors ([`WalkTables`]), with the same code.

use super::{decode, ArmLpae, PteFields, MAX_LEVELS, PTE_ADDR_MASK};
use crate::vec_map::VecMap;
use serde::Serialize;

/// What a descriptor is at its level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum WalkKind {
    Table,
    Block,
    Page,
    Invalid,
}

/// One level of a walk.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct WalkLevel {
    pub level: u32,
    /// The table page read (the model's physical address for it; the pgd is at 0).
    pub table_pa: u64,
    /// Entries in that table (the pgd may be smaller than a page).
    pub entries: usize,
    /// The entry read: IOVA bits `idx_hi..=idx_lo`.
    pub index: usize,
    pub idx_hi: u32,
    pub idx_lo: u32,
    pub desc: u64,
    pub kind: WalkKind,
    pub fields: PteFields,
}

/// How a walk ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum WalkEnd {
    /// A page or block: its output address plus the IOVA's offset in it (bits `off_bits-1..0`).
    Mapped {
        out_base: u64,
        offset: u64,
        off_bits: u32,
        phys: u64,
    },
    /// An invalid descriptor at `level`: a translation fault there.
    Fault { level: u32 },
    /// The IOVA has bits at or above the IAS: an address-size fault before any table is read.
    BeyondIas,
    /// The snapshot's copy of the table stopped short of this walk.
    Unknown,
}

/// A whole walk.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IovaWalk {
    pub iova: u64,
    pub granule: u64,
    pub ias: u32,
    pub start_level: u32,
    pub levels: Vec<WalkLevel>,
    pub end: WalkEnd,
}

/// The shape of a table: what the walk needs besides the descriptors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct WalkGeometry {
    pub granule: u64,
    pub ias: u32,
    pub start_level: u32,
    pub pg_shift: u32,
    pub bits_per_level: u32,
    pub pgd_bits: u32,
}

impl WalkGeometry {
    const fn lvl_shift(&self, lvl: u32) -> u32 {
        (MAX_LEVELS - lvl) * self.bits_per_level + 3
    }

    const fn entries(&self, lvl: u32) -> usize {
        if lvl == self.start_level {
            1 << self.pgd_bits
        } else {
            1 << self.bits_per_level
        }
    }

    /// The walk of `iova`, reading descriptor `idx` of the table at `pa` with `read`
    /// (`None`: not known).
    fn walk(&self, iova: u64, read: impl Fn(u64, usize) -> Option<u64>) -> IovaWalk {
        let mut w = IovaWalk {
            iova,
            granule: self.granule,
            ias: self.ias,
            start_level: self.start_level,
            levels: Vec::new(),
            end: WalkEnd::BeyondIas,
        };
        if self.ias >= 64 || iova >> self.ias != 0 {
            return w;
        }
        let mut pa = 0u64;
        for lvl in self.start_level..MAX_LEVELS {
            let shift = self.lvl_shift(lvl);
            let entries = self.entries(lvl);
            let index = ((iova >> shift) as usize) & (entries - 1);
            let Some(desc) = read(pa, index) else {
                w.end = WalkEnd::Unknown;
                return w;
            };
            let fields = decode(desc, lvl);
            let kind = match fields.kind {
                "table" => WalkKind::Table,
                "block" => WalkKind::Block,
                "page" => WalkKind::Page,
                _ => WalkKind::Invalid,
            };
            w.levels.push(WalkLevel {
                level: lvl,
                table_pa: pa,
                entries,
                index,
                idx_hi: shift + entries.trailing_zeros() - 1,
                idx_lo: shift,
                desc,
                kind,
                fields,
            });
            match kind {
                WalkKind::Invalid => {
                    w.end = WalkEnd::Fault { level: lvl };
                    return w;
                }
                WalkKind::Block | WalkKind::Page => {
                    let offset = iova & ((1u64 << shift) - 1);
                    let out_base =
                        super::iopte_to_paddr(desc, self.pg_shift) & !((1u64 << shift) - 1);
                    w.end = WalkEnd::Mapped {
                        out_base,
                        offset,
                        off_bits: shift,
                        phys: out_base | offset,
                    };
                    return w;
                }
                WalkKind::Table => pa = desc & PTE_ADDR_MASK,
            }
        }
        w.end = WalkEnd::Fault {
            level: MAX_LEVELS - 1,
        };
        w
    }
}

/// A copy of a table's non-zero descriptors (table page PA → `(index, descriptor)`s), taken
/// for a snapshot so the UI can walk any IOVA at that step. Bounded: the copy stops at
/// [`WalkTables::LIMIT`] descriptors (`truncated`; walks that need more end `Unknown`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WalkTables {
    pub geometry: Option<WalkGeometry>,
    tables: VecMap<u64, Vec<(u32, u64)>>,
    pub truncated: bool,
}

impl WalkTables {
    /// Descriptors copied per snapshot at most.
    pub const LIMIT: usize = 2048;

    /// Descriptors held (for the snapshot budget).
    pub fn len(&self) -> usize {
        self.tables.values().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.tables.is_empty()
    }

    /// The copied tables: each table page's address with its `(index, descriptor)` entries
    /// in index order (what [`WalkTables::from_tables`] takes back: a UI moving a snapshot
    /// between threads copies them out and in).
    pub fn tables(&self) -> impl Iterator<Item = (u64, &[(u32, u64)])> + '_ {
        self.tables.iter().map(|(pa, t)| (*pa, t.as_slice()))
    }

    /// A copy made of what [`WalkTables::tables`] gave (each table's entries in index
    /// order, as the walk reads them by binary search).
    pub fn from_tables(
        geometry: Option<WalkGeometry>,
        tables: impl IntoIterator<Item = (u64, Vec<(u32, u64)>)>,
        truncated: bool,
    ) -> WalkTables {
        WalkTables {
            geometry,
            tables: tables.into_iter().collect(),
            truncated,
        }
    }

    /// The walk of `iova` over the copy.
    pub fn iova_walk(&self, iova: u64) -> Option<IovaWalk> {
        let g = self.geometry?;
        Some(g.walk(iova, |pa, idx| {
            match self.tables.get(&pa) {
                Some(t) => match t.binary_search_by_key(&(idx as u32), |e| e.0) {
                    Ok(i) => t.get(i).map(|e| e.1),
                    Err(_) if self.truncated => None,
                    Err(_) => Some(0),
                },
                // A table the copy never reached: only the truncated copy lacks one.
                None if self.truncated => None,
                None => Some(0),
            }
        }))
    }
}

impl ArmLpae {
    fn geometry(&self) -> WalkGeometry {
        WalkGeometry {
            granule: self.cfg.granule,
            ias: self.cfg.ias,
            start_level: self.start_level,
            pg_shift: self.pg_shift,
            bits_per_level: self.bits_per_level,
            pgd_bits: self.pgd_bits,
        }
    }

    /// The table page at model PA `pa`, if it is one.
    fn table_at(&self, pa: u64) -> Option<&[u64]> {
        self.tables
            .get((pa >> self.pg_shift) as usize)
            .map(|t| &t[..])
    }

    /// The walk of `iova` through the live table, level by level.
    pub fn iova_walk(&self, iova: u64) -> IovaWalk {
        self.geometry().walk(iova, |pa, idx| {
            Some(
                self.table_at(pa)
                    .and_then(|t| t.get(idx))
                    .copied()
                    .unwrap_or(0),
            )
        })
    }

    /// A bounded copy of the live table's descriptors ([`WalkTables`]), from the pgd down.
    pub fn walk_tables(&self) -> WalkTables {
        let mut out = WalkTables {
            geometry: Some(self.geometry()),
            ..WalkTables::default()
        };
        let mut n = 0usize;
        let mut todo = vec![(0u64, self.start_level)];
        while let Some((pa, lvl)) = todo.pop() {
            let Some(t) = self.table_at(pa) else { continue };
            let mut kept = Vec::new();
            for (i, &d) in t.iter().enumerate() {
                if d == 0 {
                    continue;
                }
                if n >= WalkTables::LIMIT {
                    out.truncated = true;
                    break;
                }
                n += 1;
                kept.push((i as u32, d));
                if lvl + 1 < MAX_LEVELS && decode(d, lvl).kind == "table" {
                    todo.push((d & PTE_ADDR_MASK, lvl + 1));
                }
            }
            out.tables.insert(pa, kept);
            if out.truncated {
                break;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pgtable::{IoPgtableOps, LpaeConfig, Prot};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn table(granule: u64, ias: u32) -> ArmLpae {
        ArmLpae::new(LpaeConfig {
            granule,
            ias,
            ..LpaeConfig::default()
        })
        .unwrap()
    }

    fn map(t: &mut ArmLpae, iova: u64, pa: u64, size: u64) {
        let mut mapped = 0;
        t.map_pages(iova, pa, size, 1, Prot::READ | Prot::WRITE, &mut mapped)
            .unwrap();
    }

    #[test]
    fn walk_4k_page_indexes_four_levels_and_adds_the_offset() {
        let mut t = table(0x1000, 48);
        map(&mut t, 0x12_3456_7000, 0x8000_1000, 0x1000);
        let w = t.iova_walk(0x12_3456_7abc);
        let lv: Vec<(u32, u32, u32, usize, WalkKind)> = w
            .levels
            .iter()
            .map(|l| (l.level, l.idx_hi, l.idx_lo, l.index, l.kind))
            .collect();
        assert_eq!(
            lv,
            vec![
                (0, 47, 39, 0, WalkKind::Table),
                (1, 38, 30, 0x48, WalkKind::Table),
                (2, 29, 21, 0x1a2, WalkKind::Table),
                (3, 20, 12, 0x167, WalkKind::Page),
            ]
        );
        assert_eq!(
            w.end,
            WalkEnd::Mapped {
                out_base: 0x8000_1000,
                offset: 0xabc,
                off_bits: 12,
                phys: 0x8000_1abc
            }
        );
        // The snapshot copy walks the same.
        assert_eq!(t.walk_tables().iova_walk(0x12_3456_7abc), Some(w));
    }

    #[test]
    fn walk_tables_copied_out_and_in_are_equal() {
        let mut t = table(0x1000, 48);
        map(&mut t, 0x12_3456_7000, 0x8000_1000, 0x1000);
        let w = t.walk_tables();
        let tables: Vec<(u64, Vec<(u32, u64)>)> =
            w.tables().map(|(pa, e)| (pa, e.to_vec())).collect();
        assert_eq!(tables.len(), 4, "one table page per level");
        assert_eq!(WalkTables::from_tables(w.geometry, tables, w.truncated), w);
    }

    #[test]
    fn walk_start_level_follows_granule_and_ias() {
        // 16K, 48 bits: 4 levels, the pgd has 2 entries (bit 47); 64K, 48 bits: 3 levels.
        let t = table(0x4000, 48);
        let w = t.iova_walk(0x8000_0000_0000);
        assert_eq!((w.start_level, w.levels[0].entries), (0, 2));
        assert_eq!((w.levels[0].idx_hi, w.levels[0].idx_lo), (47, 47));
        assert_eq!(w.end, WalkEnd::Fault { level: 0 });
        let t = table(0x1_0000, 48);
        let w = t.iova_walk(0x1_0000);
        assert_eq!(
            (w.start_level, w.levels[0].idx_hi, w.levels[0].idx_lo),
            (1, 47, 42)
        );
        // 4K with a 32-bit IAS starts at level 1 (4 entries).
        let t = table(0x1000, 32);
        assert_eq!(t.iova_walk(0).levels[0].entries, 4);
        assert_eq!(t.iova_walk(1 << 32).end, WalkEnd::BeyondIas);
    }

    #[test]
    fn walk_block_ends_one_level_up_and_unmapped_faults_where_it_stops() {
        let mut t = table(0x1000, 48);
        map(&mut t, 0x20_0000, 0x8000_0000, 0x20_0000);
        let w = t.iova_walk(0x20_1234);
        assert_eq!(
            w.levels.last().map(|l| (l.level, l.kind)),
            Some((2, WalkKind::Block))
        );
        assert!(matches!(
            w.end,
            WalkEnd::Mapped {
                phys: 0x8000_1234,
                off_bits: 21,
                ..
            }
        ));
        // Next to the block: the level-2 entry is empty, the walk faults at level 2.
        let w = t.iova_walk(0x40_0000);
        assert_eq!(w.end, WalkEnd::Fault { level: 2 });
        assert_eq!(w.levels.len(), 3);
        // Far away: the level-0 entry is empty.
        assert_eq!(
            t.iova_walk(0x8000_0000_0000).end,
            WalkEnd::Fault { level: 0 }
        );
        assert_eq!(
            t.walk_tables().iova_walk(0x40_0000).map(|w| w.end),
            Some(WalkEnd::Fault { level: 2 })
        );
    }
}
