//! drivers/iommu/io-pgtable-arm.c (v6.12-era copy, plus 33729a5fc0ca of v6.13): the ARM
//! LPAE long-descriptor format, stage 1 (`ARM_64_LPAE_S1`), with a coherent table walk.
//!
//! Descriptors are the real 64-bit values the SMMU would read. Table pages live in one
//! arena (`Vec<u64>`, `ptes_per_table` entries per page, indexed by a `u32` page number)
//! and are allocated only where a walk needs them; a table descriptor's output address is
//! `page number × granule` in a simulated page-table pool, so `iopte_deref()` is a shift.

use super::{IoPgtableOps, IotlbGather, Leaf, PgtableStats, Prot};
use crate::errno::Errno;
use serde::{Deserialize, Serialize};
use std::cell::Cell;

pub mod walk;
pub use walk::{IovaWalk, WalkEnd, WalkKind, WalkLevel, WalkTables};

/// `ARM_LPAE_MAX_LEVELS`.
const MAX_LEVELS: u32 = 4;

/// `ARM_LPAE_PTE_TYPE_BLOCK`.
pub const PTE_TYPE_BLOCK: u64 = 1;
/// `ARM_LPAE_PTE_TYPE_TABLE` (also `ARM_LPAE_PTE_TYPE_PAGE` at the last level).
pub const PTE_TYPE_TABLE: u64 = 3;
/// `ARM_LPAE_PTE_TYPE_PAGE`.
pub const PTE_TYPE_PAGE: u64 = 3;
const PTE_TYPE_MASK: u64 = 3;
/// `ARM_LPAE_PTE_NSTABLE` (bit 63).
pub const PTE_NSTABLE: u64 = 1 << 63;
/// `ARM_LPAE_PTE_XN` (bits 54:53).
pub const PTE_XN: u64 = 3 << 53;
/// `ARM_LPAE_PTE_DBM` (bit 51).
pub const PTE_DBM: u64 = 1 << 51;
/// `ARM_LPAE_PTE_AF` (bit 10).
pub const PTE_AF: u64 = 1 << 10;
/// `ARM_LPAE_PTE_SH_OS` (bits 9:8 = 2).
pub const PTE_SH_OS: u64 = 2 << 8;
/// `ARM_LPAE_PTE_SH_IS` (bits 9:8 = 3).
pub const PTE_SH_IS: u64 = 3 << 8;
/// `ARM_LPAE_PTE_NS` (bit 5).
pub const PTE_NS: u64 = 1 << 5;
/// `ARM_LPAE_PTE_nG` (bit 11).
pub const PTE_NG: u64 = 1 << 11;
/// `ARM_LPAE_PTE_AP_UNPRIV` (bit 6).
pub const PTE_AP_UNPRIV: u64 = 1 << 6;
/// `ARM_LPAE_PTE_AP_RDONLY` (bit 7).
pub const PTE_AP_RDONLY: u64 = 2 << 6;
/// `ARM_LPAE_PTE_ATTRINDX_SHIFT`.
pub const PTE_ATTRINDX_SHIFT: u32 = 2;
/// `ARM_LPAE_MAIR_ATTR_IDX_NC` / `_CACHE` / `_DEV`.
pub const MAIR_ATTR_IDX_NC: u64 = 0;
pub const MAIR_ATTR_IDX_CACHE: u64 = 1;
pub const MAIR_ATTR_IDX_DEV: u64 = 2;
/// `ARM_LPAE_PTE_ADDR_MASK`: `GENMASK_ULL(47, 12)`.
pub const PTE_ADDR_MASK: u64 = ((1u64 << 48) - 1) & !((1u64 << 12) - 1);
/// `ARM_LPAE_PTE_ATTR_LO_MASK | ARM_LPAE_PTE_ATTR_HI_MASK`: what a split block keeps.
const PTE_ATTR_MASK: u64 = (0x3ff << 2) | PTE_XN | PTE_DBM;

/// The default page budget: 64 MiB of table pages (16384 4K tables, enough for 32 GiB of
/// 4K mappings).
pub const DEFAULT_TABLE_BUDGET_BYTES: u64 = 64 << 20;

/// `struct io_pgtable_cfg` for one stage-1 table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LpaeConfig {
    /// Translation granule: 4K, 16K or 64K.
    pub granule: u64,
    /// Input address size in bits (32–48).
    pub ias: u32,
    /// Output address size in bits (32–48).
    pub oas: u32,
    /// Page budget: the most table pages (top level included) this table may hold at once;
    /// one more returns -ENOMEM, as `__arm_lpae_alloc_pages()` failing would. `u64::MAX`
    /// (the default) means [`DEFAULT_TABLE_BUDGET_BYTES`] worth of table pages, so no
    /// scenario can make the host run out of memory.
    pub max_tables: u64,
    /// io-pgtable-arm ≤ v6.12 splits a block on a partial unmap; v6.13+ refuses.
    pub split_unmap: bool,
}

impl Default for LpaeConfig {
    fn default() -> Self {
        LpaeConfig {
            granule: 4096,
            ias: 48,
            oas: 48,
            max_tables: u64::MAX,
            split_unmap: false,
        }
    }
}

/// `iopte_to_paddr()` for a table of page shift `pg_shift` ([`ArmLpae`]'s reading of a
/// descriptor's output address, shared with the walk view).
const fn iopte_to_paddr(pte: u64, pg_shift: u32) -> u64 {
    let paddr = pte & PTE_ADDR_MASK;
    if pg_shift < 16 {
        paddr
    } else {
        (paddr | (paddr << (48 - 12))) & (PTE_ADDR_MASK << 4)
    }
}

/// One stage-1 descriptor decoded, for the UI's PTE details (ARM ARM D8.3 "VMSAv8-64
/// translation table format descriptors", with io-pgtable-arm.c's bit names). Read-only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct PteFields {
    pub raw: u64,
    /// `page` (level 3), `block` (levels 1–2), `table` or `invalid`.
    pub kind: &'static str,
    /// The output address (`iopte_to_paddr()`): the page, block or next table.
    pub output: u64,
    /// AP[2:1] (bits 7:6): bit 7 `ARM_LPAE_PTE_AP_RDONLY`, bit 6 `ARM_LPAE_PTE_AP_UNPRIV`.
    pub ap: u8,
    /// UXN/PXN (bits 54:53, `ARM_LPAE_PTE_XN`): both set by `IOMMU_NOEXEC`.
    pub xn: u8,
    /// AttrIndx (bits 4:2): the MAIR slot (`ARM_LPAE_MAIR_ATTR_IDX_*`).
    pub attr_indx: u8,
    /// SH (bits 9:8): 0 non-, 2 outer, 3 inner shareable.
    pub sh: u8,
    /// AF (bit 10), the access flag.
    pub af: bool,
    /// nG (bit 11).
    pub ng: bool,
    /// NS (bit 5).
    pub ns: bool,
}

/// Decodes `pte` as found at `level` (leaf vs table by the type bits, as
/// `iopte_leaf()` does).
pub const fn decode(pte: u64, level: u32) -> PteFields {
    let ty = pte & PTE_TYPE_MASK;
    let kind = if ty == 0 || ty == 2 {
        "invalid"
    } else if level == MAX_LEVELS - 1 {
        if ty == PTE_TYPE_PAGE {
            "page"
        } else {
            "invalid"
        }
    } else if ty == PTE_TYPE_BLOCK {
        "block"
    } else {
        "table"
    };
    PteFields {
        raw: pte,
        kind,
        output: pte & PTE_ADDR_MASK,
        ap: ((pte >> 6) & 3) as u8,
        xn: ((pte >> 53) & 3) as u8,
        attr_indx: ((pte >> PTE_ATTRINDX_SHIFT) & 7) as u8,
        sh: ((pte >> 8) & 3) as u8,
        af: pte & PTE_AF != 0,
        ng: pte & PTE_NG != 0,
        ns: pte & PTE_NS != 0,
    }
}

impl PteFields {
    /// AP in words: `RW`/`RO` and who may access (`EL1` privileged only, `EL0+EL1`).
    pub const fn ap_text(&self) -> &'static str {
        match self.ap {
            0 => "RW, privileged only",
            1 => "RW, unprivileged too",
            2 => "RO, privileged only",
            _ => "RO, unprivileged too",
        }
    }

    /// The memory type of the MAIR slot io-pgtable-arm programs for AttrIndx.
    pub const fn attr_text(&self) -> &'static str {
        match self.attr_indx as u64 {
            MAIR_ATTR_IDX_NC => "Normal non-cacheable",
            MAIR_ATTR_IDX_CACHE => "Normal write-back cacheable",
            MAIR_ATTR_IDX_DEV => "Device-nGnRE",
            3 => "Normal inner NC, outer WB",
            _ => "unused slot",
        }
    }

    pub const fn sh_text(&self) -> &'static str {
        match self.sh {
            0 => "non-shareable",
            2 => "outer shareable",
            3 => "inner shareable",
            _ => "reserved",
        }
    }
}

/// `struct arm_lpae_io_pgtable` (drivers/iommu/io-pgtable-arm.c, v6.12).
#[derive(Clone, Debug)]
pub struct ArmLpae {
    cfg: LpaeConfig,
    pgsize_bitmap: u64,
    pg_shift: u32,
    bits_per_level: u32,
    start_level: u32,
    pgd_bits: u32,
    ptes_per_table: usize,
    /// Table pages, `ptes_per_table` descriptors each; page 0 is the pgd.
    tables: Vec<Box<[u64]>>,
    free_pages: Vec<u32>,
    stats: PgtableStats,
    walk_flushes: Vec<(u64, u64)>,
    warnings: Vec<&'static str>,
    /// A one-entry software walk cache, `(iova >> span of a last-level table, table)`: the
    /// last-level table the latest walk reached. Not kernel behaviour (the kernel walks from
    /// the pgd every time) and invisible in results: it is dropped whenever any table is
    /// freed or a block is split, the only ways a last-level table can go away.
    last_table: Cell<(u64, u32)>,
    /// The kernel-wide share of [`crate::limits::PGTABLE_TOTAL_BUDGET_BYTES`] this table may
    /// hold, in table pages (set by the kernel model before each operation; not a kernel
    /// field, so outside `cfg` and invisible in views).
    shared_cap: u64,
}

impl ArmLpae {
    /// drivers/iommu/io-pgtable-arm.c: arm_64_lpae_alloc_pgtable_s1() → arm_lpae_alloc_pgtable()
    /// and arm_lpae_restrict_pgsizes() (v6.12). The granule fixes the page sizes and the
    /// widest address: 48 bits with 4K and 16K, 52 (LPA) with 64K, which also gains 4TB
    /// pages when the OAS is above 48. A wider IAS or OAS is clamped to that width, not
    /// refused (`cfg->ias = min(cfg->ias, max_addr_bits)`); the stage-1 TCR.IPS then takes
    /// only an OAS of 32, 36, 40, 42, 44, 48 or 52 bits (`goto out_free_data` otherwise).
    /// Every refusal is NULL in the kernel, -EINVAL here (an unknown granule, an OAS without
    /// an IPS encoding, or an IAS under the model's 32-bit floor); -ENOMEM if the budget has
    /// no room for the pgd.
    pub fn new(cfg: LpaeConfig) -> Result<Self, Errno> {
        let (pg_shift, mut pgsize_bitmap, max_addr_bits) = match cfg.granule {
            0x1000 => (12, 0x1000 | 0x20_0000 | 0x4000_0000, 48),
            0x4000 => (14, 0x4000 | 0x200_0000, 48),
            0x1_0000 => (16, 0x1_0000 | 0x2000_0000, 52),
            _ => return Err(Errno::EINVAL),
        };
        if cfg.granule == 0x1_0000 && cfg.oas > 48 {
            pgsize_bitmap |= 1u64 << 42; // 4TB
        }
        let mut cfg = cfg;
        cfg.ias = cfg.ias.min(max_addr_bits);
        cfg.oas = cfg.oas.min(max_addr_bits);
        if cfg.ias < 32 || !matches!(cfg.oas, 32 | 36 | 40 | 42 | 44 | 48 | 52) {
            return Err(Errno::EINVAL);
        }
        if cfg.max_tables == 0 {
            return Err(Errno::ENOMEM);
        }
        if cfg.max_tables == u64::MAX {
            cfg.max_tables = DEFAULT_TABLE_BUDGET_BYTES / cfg.granule;
        }
        let bits_per_level = pg_shift - 3;
        let va_bits = cfg.ias;
        let levels = (va_bits - pg_shift).div_ceil(bits_per_level);
        let start_level = MAX_LEVELS - levels;
        let pgd_bits = va_bits - (bits_per_level * (levels - 1) + pg_shift);
        let ptes_per_table = 1usize << bits_per_level;
        let mut t = ArmLpae {
            cfg,
            pgsize_bitmap,
            pg_shift,
            bits_per_level,
            start_level,
            pgd_bits,
            ptes_per_table,
            tables: Vec::new(),
            free_pages: Vec::new(),
            stats: PgtableStats::default(),
            walk_flushes: Vec::new(),
            warnings: Vec::new(),
            last_table: Cell::new((u64::MAX, 0)),
            shared_cap: u64::MAX,
        };
        t.alloc_table()?;
        Ok(t)
    }

    /// Table pages this model holds, live or kept on its free list for reuse.
    pub fn pages_held(&self) -> u64 {
        self.tables.len() as u64
    }

    /// Caps the table pages this table may hold below its own budget (a share of a budget
    /// several tables draw from); `u64::MAX` lifts the cap.
    pub fn set_shared_cap(&mut self, tables: u64) {
        self.shared_cap = tables;
    }

    pub const fn config(&self) -> &LpaeConfig {
        &self.cfg
    }

    /// Levels walked (`data->start_level` … 3).
    pub const fn start_level(&self) -> u32 {
        self.start_level
    }

    /// Entries in the top-level table (`1 << pgd_bits`).
    pub const fn pgd_entries(&self) -> usize {
        1 << self.pgd_bits
    }

    /// The raw descriptor at `index` of the table reached for `iova` at `level`, if the
    /// walk gets there; for tests and the UI's table view.
    pub fn descriptor(&self, iova: u64, level: u32) -> Option<u64> {
        let mut table = 0u32;
        let mut lvl = self.start_level;
        loop {
            let pte = self.pte(table, self.lvl_idx(iova, lvl));
            if lvl == level {
                return Some(pte);
            }
            if pte == 0 || self.is_leaf(pte, lvl) || lvl + 1 >= MAX_LEVELS {
                return None;
            }
            table = self.deref(pte);
            lvl += 1;
        }
    }

    /// The leaves of the table in IOVA order, with their level, at most `limit` of them
    /// (the walk stops there, so its cost is bounded); a read-only walk for the UI's table
    /// view, like `ptdump`. The flag says whether leaves were left out.
    pub fn leaves(&self, limit: usize) -> (Vec<(u32, Leaf)>, bool) {
        let mut out = Vec::new();
        let mut more = false;
        self.leaves_at(0, self.start_level, 0, limit, &mut out, &mut more);
        (out, more)
    }

    fn leaves_at(
        &self,
        table: u32,
        lvl: u32,
        base: u64,
        limit: usize,
        out: &mut Vec<(u32, Leaf)>,
        more: &mut bool,
    ) {
        let size = self.block_size(lvl);
        for idx in 0..self.entries(lvl) {
            if *more {
                return;
            }
            let pte = self.pte(table, idx);
            if pte == 0 {
                continue;
            }
            let iova = base + idx as u64 * size;
            if self.is_leaf(pte, lvl) {
                if out.len() >= limit {
                    *more = true;
                    return;
                }
                out.push((
                    lvl,
                    Leaf {
                        iova_base: iova,
                        size,
                        phys_base: self.to_paddr(pte),
                        pte,
                    },
                ));
            } else if lvl + 1 < MAX_LEVELS {
                self.leaves_at(self.deref(pte), lvl + 1, iova, limit, out, more);
            }
        }
    }

    #[inline]
    fn cached_last_table(&self, iova: u64) -> Option<u32> {
        let (k, t) = self.last_table.get();
        (k == iova >> self.lvl_shift(MAX_LEVELS - 2)).then_some(t)
    }

    #[inline]
    fn remember_last_table(&self, iova: u64, lvl: u32, table: u32) {
        if lvl == MAX_LEVELS - 1 {
            self.last_table
                .set((iova >> self.lvl_shift(MAX_LEVELS - 2), table));
        }
    }

    #[inline]
    fn forget_last_table(&self) {
        self.last_table.set((u64::MAX, 0));
    }

    /// `ARM_LPAE_LVL_SHIFT`.
    #[inline]
    const fn lvl_shift(&self, lvl: u32) -> u32 {
        (MAX_LEVELS - lvl) * self.bits_per_level + 3
    }

    /// `ARM_LPAE_BLOCK_SIZE`.
    #[inline]
    const fn block_size(&self, lvl: u32) -> u64 {
        1u64 << self.lvl_shift(lvl)
    }

    /// Entries in a table at `lvl` (the pgd may be smaller than a page).
    #[inline]
    const fn entries(&self, lvl: u32) -> usize {
        if lvl == self.start_level {
            1 << self.pgd_bits
        } else {
            self.ptes_per_table
        }
    }

    /// `ARM_LPAE_LVL_IDX`.
    #[inline]
    const fn lvl_idx(&self, iova: u64, lvl: u32) -> usize {
        ((iova >> self.lvl_shift(lvl)) as usize) & (self.entries(lvl) - 1)
    }

    #[inline]
    fn pte(&self, table: u32, idx: usize) -> u64 {
        self.tables
            .get(table as usize)
            .and_then(|t| t.get(idx))
            .copied()
            .unwrap_or(0)
    }

    #[inline]
    fn set_pte(&mut self, table: u32, idx: usize, v: u64) {
        if let Some(p) = self
            .tables
            .get_mut(table as usize)
            .and_then(|t| t.get_mut(idx))
        {
            *p = v;
        }
    }

    /// `n` descriptors from `table[idx]` (clamped to the table).
    #[inline]
    fn entries_mut(&mut self, table: u32, idx: usize, n: usize) -> &mut [u64] {
        match self.tables.get_mut(table as usize) {
            Some(t) => {
                let len = t.len();
                let lo = idx.min(len);
                let hi = idx.saturating_add(n).min(len);
                t.get_mut(lo..hi).unwrap_or_default()
            }
            None => &mut [],
        }
    }

    /// `iopte_leaf()`.
    #[inline]
    const fn is_leaf(&self, pte: u64, lvl: u32) -> bool {
        if lvl == MAX_LEVELS - 1 {
            pte & PTE_TYPE_MASK == PTE_TYPE_PAGE
        } else {
            pte & PTE_TYPE_MASK == PTE_TYPE_BLOCK
        }
    }

    /// `iopte_deref()`: the table page a table descriptor points at.
    #[inline]
    const fn deref(&self, pte: u64) -> u32 {
        ((pte & PTE_ADDR_MASK) >> self.pg_shift) as u32
    }

    /// `iopte_to_paddr()` (drivers/iommu/io-pgtable-arm.c, v6.12): with the 64K granule a
    /// 52-bit PA's bits 51:48 sit in descriptor bits 15:12 and rotate back to the top.
    #[inline]
    const fn to_paddr(&self, pte: u64) -> u64 {
        iopte_to_paddr(pte, self.pg_shift)
    }

    /// `paddr_to_iopte()` (v6.12): "Of the bits which overlap, either 51:48 or 15:12 are
    /// always RES0", so PA bits 51:48 are folded into bits 15:12 for every granule.
    #[inline]
    const fn paddr_to_iopte(pa: u64) -> u64 {
        (pa | (pa >> (48 - 12))) & PTE_ADDR_MASK
    }

    /// drivers/iommu/io-pgtable-arm.c: arm_lpae_prot_to_pte() (v6.12), stage 1.
    pub const fn prot_to_pte(prot: Prot) -> u64 {
        let mut pte = PTE_NG;
        if !prot.contains(Prot::WRITE) && prot.contains(Prot::READ) {
            pte |= PTE_AP_RDONLY;
        }
        if !prot.contains(Prot::PRIV) {
            pte |= PTE_AP_UNPRIV;
        }
        if prot.contains(Prot::MMIO) {
            pte |= MAIR_ATTR_IDX_DEV << PTE_ATTRINDX_SHIFT;
        } else if prot.contains(Prot::CACHE) {
            pte |= MAIR_ATTR_IDX_CACHE << PTE_ATTRINDX_SHIFT;
        }
        if prot.contains(Prot::CACHE) {
            pte |= PTE_SH_IS;
        } else {
            pte |= PTE_SH_OS;
        }
        if prot.contains(Prot::NOEXEC) {
            pte |= PTE_XN;
        }
        pte | PTE_AF
    }

    /// `__arm_lpae_alloc_pages()` under the page budget.
    fn alloc_table(&mut self) -> Result<u32, Errno> {
        // The shared cap counts the pages this model holds (freed ones stay for reuse):
        // the memory the engine itself spends.
        let held_full = self.free_pages.is_empty() && self.tables.len() as u64 >= self.shared_cap;
        if self.stats.tables_live >= self.cfg.max_tables || held_full || crate::fault::should_fail()
        {
            return Err(Errno::ENOMEM);
        }
        let n = self.ptes_per_table;
        let page = if let Some(p) = self.free_pages.pop() {
            if let Some(t) = self.tables.get_mut(p as usize) {
                t.fill(0);
            }
            p
        } else {
            let p = self.tables.len() as u32;
            // A table's address must fit the OAS like any other page.
            if (u64::from(p) + 1) << self.pg_shift > 1u64 << self.cfg.oas {
                return Err(Errno::ENOMEM);
            }
            self.tables.push(page_pool::take(n));
            p
        };
        self.stats.tables_allocated += 1;
        self.stats.tables_live += 1;
        Ok(page)
    }

    /// drivers/iommu/io-pgtable-arm.c: __arm_lpae_free_pgtable() (v6.12): frees a table
    /// and every table below it.
    fn free_pgtable(&mut self, lvl: u32, table: u32) {
        self.forget_last_table();
        if lvl < MAX_LEVELS - 1 {
            for i in 0..self.ptes_per_table {
                let pte = self.pte(table, i);
                if pte != 0 && !self.is_leaf(pte, lvl) {
                    self.free_pgtable(lvl + 1, self.deref(pte));
                }
            }
        }
        self.free_pages.push(table);
        self.stats.tables_freed += 1;
        self.stats.tables_live = self.stats.tables_live.saturating_sub(1);
    }

    #[inline]
    fn write(&mut self, table: u32, idx: usize, v: u64) {
        self.set_pte(table, idx, v);
        self.stats.pte_writes += 1;
    }

    /// drivers/iommu/io-pgtable-arm.c: arm_lpae_init_pte() (v6.12): -EEXIST over a leaf;
    /// an old table where a block goes is unmapped and freed first.
    #[allow(clippy::too_many_arguments)]
    fn init_pte(
        &mut self,
        fresh: bool,
        iova: u64,
        paddr: u64,
        pte_prot: u64,
        lvl: u32,
        num: usize,
        table: u32,
        idx: usize,
    ) -> Result<(), Errno> {
        let sz = self.block_size(lvl);
        // Fast path: nothing there yet (a table this walk just allocated is known empty).
        let empty = fresh || self.entries_mut(table, idx, num).iter().all(|&p| p == 0);
        for i in 0..if empty { 0 } else { num } {
            let pte = self.pte(table, idx + i);
            if self.is_leaf(pte, lvl) {
                // "We require an unmap first"
                self.warnings.push("map over an existing leaf (-EEXIST)");
                return Err(Errno::EEXIST);
            } else if pte & PTE_TYPE_MASK == PTE_TYPE_TABLE {
                let a = iova + i as u64 * sz;
                let idx0 = self.lvl_idx(a, lvl);
                if self.unmap_at(None, a, sz, 1, lvl, table, idx0) != sz {
                    self.warnings.push("failed to replace a table with a block");
                    return Err(Errno::EINVAL);
                }
            }
        }
        // __arm_lpae_init_pte()
        let ty = if lvl == MAX_LEVELS - 1 {
            PTE_TYPE_PAGE
        } else {
            PTE_TYPE_BLOCK
        };
        let pte = pte_prot | ty;
        let mut pa = paddr;
        for slot in self.entries_mut(table, idx, num) {
            *slot = pte | Self::paddr_to_iopte(pa);
            pa = pa.wrapping_add(sz);
        }
        self.stats.pte_writes += num as u64;
        Ok(())
    }

    /// drivers/iommu/io-pgtable-arm.c: __arm_lpae_map() (v6.12), iterative.
    #[allow(clippy::too_many_arguments)]
    fn map_walk(
        &mut self,
        iova: u64,
        paddr: u64,
        size: u64,
        pgcount: u64,
        pte_prot: u64,
        mapped: &mut u64,
    ) -> Result<(), Errno> {
        let mut lvl = self.start_level;
        let mut table = 0u32;
        let mut fresh = false;
        if size == self.block_size(MAX_LEVELS - 1) {
            if let Some(t) = self.cached_last_table(iova) {
                lvl = MAX_LEVELS - 1;
                table = t;
            }
        }
        loop {
            let idx = self.lvl_idx(iova, lvl);
            if size == self.block_size(lvl) {
                // arm_lpae_max_entries(); at the pgd bounded by its real size, where the
                // kernel would run past it (callers keep within the IAS).
                let max = self.entries(lvl) - idx;
                let num = (pgcount.min(max as u64)) as usize;
                self.init_pte(fresh, iova, paddr, pte_prot, lvl, num, table, idx)?;
                *mapped += num as u64 * size;
                return Ok(());
            }
            // We can't allocate tables at the final level.
            if lvl >= MAX_LEVELS - 1 {
                self.warnings.push("map: no level for this page size");
                return Err(Errno::EINVAL);
            }
            let mut pte = self.pte(table, idx);
            fresh = pte == 0;
            if pte == 0 {
                let t = self.alloc_table()?;
                // arm_lpae_install_table(): coherent walk, no NS quirk.
                pte = ((u64::from(t) << self.pg_shift) & PTE_ADDR_MASK) | PTE_TYPE_TABLE;
                self.write(table, idx, pte);
            }
            if self.is_leaf(pte, lvl) {
                // "We require an unmap first"
                self.warnings.push("map under an existing block (-EEXIST)");
                return Err(Errno::EEXIST);
            }
            table = self.deref(pte);
            lvl += 1;
            self.remember_last_table(iova, lvl, table);
        }
    }

    /// drivers/iommu/io-pgtable-arm.c: __arm_lpae_unmap() (v6.12; the partial-block branch
    /// as in 33729a5fc0ca when `split_unmap` is off), starting at `table[idx]` of `lvl`.
    #[allow(clippy::too_many_arguments)]
    fn unmap_at(
        &mut self,
        mut gather: Option<&mut IotlbGather>,
        iova: u64,
        size: u64,
        pgcount: u64,
        mut lvl: u32,
        mut table: u32,
        mut idx: usize,
    ) -> u64 {
        loop {
            // Something went horribly wrong and we ran out of page table.
            if lvl >= MAX_LEVELS {
                self.warnings.push("unmap: ran out of page table");
                return 0;
            }
            let pte = self.pte(table, idx);
            if pte == 0 {
                self.warnings.push("unmap of an empty entry");
                return 0;
            }
            if size == self.block_size(lvl) {
                let max = self.entries(lvl) - idx;
                let num = (pgcount.min(max as u64)) as usize;
                let last = lvl == MAX_LEVELS - 1;
                // Entries up to the first hole; whether any of them is a table.
                let (i, has_tables) = if last {
                    // Leaves only: clear up to the first hole in one pass.
                    let mut i = 0;
                    for e in self.entries_mut(table, idx, num) {
                        if *e == 0 {
                            break;
                        }
                        *e = 0;
                        i += 1;
                    }
                    (i, false)
                } else {
                    let s = self.entries_mut(table, idx, num);
                    let i = s.iter().position(|&p| p == 0).unwrap_or(s.len());
                    let t = !last
                        && s.iter()
                            .take(i)
                            .any(|&p| p & PTE_TYPE_MASK == PTE_TYPE_TABLE);
                    (i, t)
                };
                if i < num {
                    self.warnings.push("unmap of an empty entry");
                }
                if has_tables {
                    for j in 0..i {
                        let p = self.pte(table, idx + j);
                        if !self.is_leaf(p, lvl) {
                            self.set_pte(table, idx + j, 0);
                            // Also flush any partial walks (io_pgtable_tlb_flush_walk).
                            self.walk_flushes.push((iova + j as u64 * size, size));
                            self.free_pgtable(lvl + 1, self.deref(p));
                        }
                    }
                }
                // Clear the remaining entries (__arm_lpae_clear_pte(ptep, cfg, i)).
                if !last {
                    self.entries_mut(table, idx, i).fill(0);
                }
                self.stats.pte_writes += i as u64;
                if let Some(g) = gather {
                    if !g.queued {
                        g.add_pages(iova, size, i as u64);
                    }
                }
                return i as u64 * size;
            } else if self.is_leaf(pte, lvl) {
                if !self.cfg.split_unmap {
                    // 33729a5fc0ca (v6.13) "iommu/io-pgtable-arm: Remove split on unmap
                    // behavior": WARN_ONCE and return 0.
                    self.warnings
                        .push("Unmap of a partial large IOPTE is not allowed");
                    return 0;
                }
                return self.split_blk_unmap(
                    gather,
                    iova,
                    size,
                    pte,
                    lvl + 1,
                    (table, idx),
                    pgcount,
                );
            }
            // Keep on walkin'.
            table = self.deref(pte);
            lvl += 1;
            self.remember_last_table(iova, lvl, table);
            idx = self.lvl_idx(iova, lvl);
            gather = gather.map(|g| &mut *g);
        }
    }

    /// drivers/iommu/io-pgtable-arm.c: arm_lpae_split_blk_unmap() (v6.12, removed by
    /// 33729a5fc0ca): replace the block at `ptep` by a table of the next level holding
    /// everything but the unmapped part, then carry on unmapping inside it.
    #[allow(clippy::too_many_arguments)]
    fn split_blk_unmap(
        &mut self,
        gather: Option<&mut IotlbGather>,
        iova: u64,
        size: u64,
        blk_pte: u64,
        lvl: u32,
        ptep: (u32, usize),
        pgcount: u64,
    ) -> u64 {
        if lvl >= MAX_LEVELS {
            self.warnings.push("split: ran out of page table");
            return 0;
        }
        self.forget_last_table();
        let split_sz = self.block_size(lvl);
        let Ok(t) = self.alloc_table() else {
            return 0; // Bytes unmapped.
        };
        let n = self.ptes_per_table;
        let (start, num) = if size == split_sz {
            let s = self.lvl_idx(iova, lvl);
            (Some(s), pgcount.min((n - s) as u64) as usize)
        } else {
            (None, 0)
        };
        let ty = if lvl == MAX_LEVELS - 1 {
            PTE_TYPE_PAGE
        } else {
            PTE_TYPE_BLOCK
        };
        let prot = blk_pte & PTE_ATTR_MASK;
        let mut blk_paddr = self.to_paddr(blk_pte);
        let mut writes = 0u64;
        for (i, slot) in self.entries_mut(t, 0, n).iter_mut().enumerate() {
            let skip = start.is_some_and(|s| i >= s && i < s + num);
            if !skip {
                *slot = prot | ty | Self::paddr_to_iopte(blk_paddr);
                writes += 1;
            }
            blk_paddr = blk_paddr.wrapping_add(split_sz);
        }
        self.stats.pte_writes += writes;
        let table_pte = ((u64::from(t) << self.pg_shift) & PTE_ADDR_MASK) | PTE_TYPE_TABLE;
        self.write(ptep.0, ptep.1, table_pte);
        if start.is_some() {
            // The kernel adds these pages whether or not the gather is queued.
            if let Some(g) = gather {
                for i in 0..num as u64 {
                    g.add_page(iova + i * size, size);
                }
            }
            return num as u64 * size;
        }
        let idx = self.lvl_idx(iova, lvl);
        self.unmap_at(gather, iova, size, pgcount, lvl, t, idx)
    }
}

/// drivers/iommu/io-pgtable-arm.c: arm_lpae_free_pgtable() (v6.12): every table page goes
/// back to the page allocator when the table is freed.
impl Drop for ArmLpae {
    fn drop(&mut self) {
        page_pool::give(std::mem::take(&mut self.tables));
    }
}

/// The page allocator table pages come from (`iommu_alloc_pages_node()` → the buddy
/// allocator's per-CPU free lists): freed table pages are kept, per thread and up to
/// 16 MiB, for the next table, so building a table does not fault fresh host memory in.
mod page_pool {
    use std::cell::RefCell;

    const MAX_BYTES: usize = 16 << 20;

    thread_local! {
        static POOL: RefCell<(Vec<Box<[u64]>>, usize)> = const { RefCell::new((Vec::new(), 0)) };
    }

    /// A zeroed page of `n` descriptors.
    pub fn take(n: usize) -> Box<[u64]> {
        let reused = POOL
            .try_with(|p| {
                let mut p = p.borrow_mut();
                let (pages, bytes) = &mut *p;
                let i = pages.iter().rposition(|b| b.len() == n)?;
                let b = pages.swap_remove(i);
                *bytes -= n * 8;
                Some(b)
            })
            .ok()
            .flatten();
        match reused {
            Some(mut b) => {
                b.fill(0);
                b
            }
            None => vec![0u64; n].into_boxed_slice(),
        }
    }

    pub fn give(pages: Vec<Box<[u64]>>) {
        let _ = POOL.try_with(|p| {
            let mut p = p.borrow_mut();
            let (pool, bytes) = &mut *p;
            for b in pages {
                if *bytes + b.len() * 8 > MAX_BYTES {
                    break;
                }
                *bytes += b.len() * 8;
                pool.push(b);
            }
        });
    }
}

impl IoPgtableOps for ArmLpae {
    fn pgsize_bitmap(&self) -> u64 {
        self.pgsize_bitmap
    }

    fn ias(&self) -> u32 {
        self.cfg.ias
    }

    /// drivers/iommu/io-pgtable-arm.c: arm_lpae_map_pages() (v6.12).
    fn map_pages(
        &mut self,
        iova: u64,
        paddr: u64,
        pgsize: u64,
        pgcount: u64,
        prot: Prot,
        mapped: &mut u64,
    ) -> Result<(), Errno> {
        if pgsize == 0 || pgsize & self.pgsize_bitmap != pgsize || !pgsize.is_power_of_two() {
            self.warnings.push("map_pages: page size not in the bitmap");
            return Err(Errno::EINVAL);
        }
        if iova >> self.cfg.ias != 0 || paddr >> self.cfg.oas != 0 {
            self.warnings.push("map_pages: address beyond IAS/OAS");
            return Err(Errno::ERANGE);
        }
        if !prot.contains(Prot::READ) && !prot.contains(Prot::WRITE) {
            return Err(Errno::EINVAL);
        }
        let pte_prot = Self::prot_to_pte(prot);
        self.map_walk(iova, paddr, pgsize, pgcount, pte_prot, mapped)
    }

    /// drivers/iommu/io-pgtable-arm.c: arm_lpae_unmap_pages() (v6.12).
    fn unmap_pages(
        &mut self,
        iova: u64,
        pgsize: u64,
        pgcount: u64,
        gather: &mut IotlbGather,
    ) -> u64 {
        if pgsize == 0 || pgsize & self.pgsize_bitmap != pgsize || pgcount == 0 {
            self.warnings.push("unmap_pages: bad page size or count");
            return 0;
        }
        if iova >> self.cfg.ias != 0 {
            self.warnings.push("unmap_pages: address beyond IAS");
            return 0;
        }
        if pgsize == self.block_size(MAX_LEVELS - 1) {
            if let Some(t) = self.cached_last_table(iova) {
                let idx = self.lvl_idx(iova, MAX_LEVELS - 1);
                return self.unmap_at(Some(gather), iova, pgsize, pgcount, MAX_LEVELS - 1, t, idx);
            }
        }
        let lvl = self.start_level;
        let idx = self.lvl_idx(iova, lvl);
        self.unmap_at(Some(gather), iova, pgsize, pgcount, lvl, 0, idx)
    }

    /// drivers/iommu/io-pgtable-arm.c: arm_lpae_iova_to_phys() (v6.12). Addresses beyond
    /// the IAS give 0 here (the hardware faults on them).
    fn iova_to_phys(&self, iova: u64) -> u64 {
        self.walk(iova)
            .map(|l| l.phys_base | (iova - l.iova_base))
            .unwrap_or(0)
    }

    fn walk(&self, iova: u64) -> Option<Leaf> {
        if iova >> self.cfg.ias != 0 {
            return None;
        }
        let (mut lvl, mut table) = match self.cached_last_table(iova) {
            Some(t) => (MAX_LEVELS - 1, t),
            None => (self.start_level, 0u32),
        };
        loop {
            let pte = self.pte(table, self.lvl_idx(iova, lvl));
            if pte == 0 {
                return None;
            }
            if self.is_leaf(pte, lvl) {
                let size = self.block_size(lvl);
                return Some(Leaf {
                    iova_base: iova & !(size - 1),
                    size,
                    phys_base: self.to_paddr(pte),
                    pte,
                });
            }
            lvl += 1;
            if lvl >= MAX_LEVELS {
                return None;
            }
            table = self.deref(pte);
            self.remember_last_table(iova, lvl, table);
        }
    }

    fn take_walk_flushes(&mut self) -> Vec<(u64, u64)> {
        std::mem::take(&mut self.walk_flushes)
    }

    fn take_warnings(&mut self) -> Vec<&'static str> {
        std::mem::take(&mut self.warnings)
    }

    fn stats(&self) -> PgtableStats {
        self.stats
    }
}
