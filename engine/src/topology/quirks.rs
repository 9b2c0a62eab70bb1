//! Device-specific quirks of drivers/pci/quirks.c that change iommu groups, keyed by the
//! `id=VVVV:DDDD` a device declares (shared/MODEL.md §1.4).
//!
//! - The ACS quirk table `pci_dev_acs_enabled[]`, walked in order by
//!   `pci_dev_specific_acs_enabled()`; the first entry that answers (>= 0) wins.
//! - The ACS enable quirks (`pci_dev_acs_ops[]`), reduced to their effect on grouping (see
//!   [`apply_header_quirks`]).
//! - The DMA alias quirks (`quirk_dma_func0_alias`, `quirk_dma_func1_alias`,
//!   `quirk_fixed_dma_alias`, `quirk_use_pcie_bridge_dma_alias`, `quirk_mic_x200_dma_alias`,
//!   `quirk_pex_vca_alias`, `quirk_bridge_cavm_thrx2_pcie_root`), one table each.
//!
//! Every vendor:device ID below was re-read against **Linux v6.17** (a v6.17-rc3 tree: top
//! Makefile `VERSION = 6`, `PATCHLEVEL = 17`): include/linux/pci_ids.h for the
//! `PCI_VENDOR_ID_*` / `PCI_DEVICE_ID_*` macros and drivers/pci/quirks.c for the tables; the
//! same tables were checked unchanged in a linux-6.18.y tree. Entry order is quirks.c's
//! (it matters where a vendor's explicit entries precede its `PCI_ANY_ID` entries: Intel,
//! Cavium, Zhaoxin). Device IDs that quirks.c writes as numbers are numbers here; the one
//! it writes as a macro is a named constant (`PCI_DEVICE_ID_JMICRON_JMB388_ESD`). The
//! tests at the bottom pin every entry. The PLX/Switchtec NTB alias quirks are not
//! modelled.

use super::pci::{AcsFlags, PciType};
use super::{IommuKind, PciDev, Topology};
use crate::ids::DeviceId;

// include/linux/pci_ids.h (v6.17): `PCI_VENDOR_ID_<NAME>` is `VENDOR_<NAME>` here.
pub const VENDOR_ATI: u16 = 0x1002;
pub const VENDOR_AMD: u16 = 0x1022;
pub const VENDOR_INTEL: u16 = 0x8086;
pub const VENDOR_SOLARFLARE: u16 = 0x1924;
pub const VENDOR_QCOM: u16 = 0x17cb;
pub const VENDOR_HXT: u16 = 0x1dbf;
pub const VENDOR_CAVIUM: u16 = 0x177d;
pub const VENDOR_AMCC: u16 = 0x10e8;
pub const VENDOR_AMPERE: u16 = 0x1def;
pub const VENDOR_BROADCOM: u16 = 0x14e4;
pub const VENDOR_LOONGSON: u16 = 0x0014;
pub const VENDOR_AMAZON_ANNAPURNA_LABS: u16 = 0x1c36;
pub const VENDOR_ZHAOXIN: u16 = 0x1d17;
pub const VENDOR_NXP: u16 = 0x1957;
pub const VENDOR_WANGXUN: u16 = 0x8088;
pub const VENDOR_RICOH: u16 = 0x1180;
pub const VENDOR_GLENFLY: u16 = 0x6766;
pub const VENDOR_MARVELL_EXT: u16 = 0x1b4b;
pub const VENDOR_TTI: u16 = 0x1103;
pub const VENDOR_JMICRON: u16 = 0x197b;
pub const VENDOR_ADAPTEC2: u16 = 0x9005;
pub const VENDOR_ASMEDIA: u16 = 0x1b21;
pub const VENDOR_TUNDRA: u16 = 0x10e3;
pub const VENDOR_ITE: u16 = 0x1283;
/// include/linux/pci_ids.h (v6.17): `PCI_DEVICE_ID_JMICRON_JMB388_ESD` (0x2393 is
/// `PCI_DEVICE_ID_JMICRON_JMB390_MS`, which has no quirk).
pub const DEVICE_JMICRON_JMB388_ESD: u16 = 0x2392;

/// The answer of one quirk function: a result >= 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuirkAnswer {
    pub enabled: bool,
    /// The kernel function that answered (`pci_quirk_intel_pch_acs`).
    pub quirk: &'static str,
}

/// `pci_acs_ctrl_enabled(acs_ctrl_req, acs_ctrl_ena)`: every requested flag is provided.
fn asserts(req: AcsFlags, provided: AcsFlags) -> Option<bool> {
    Some(provided.contains(req))
}

const SV_RR_CR_UF: AcsFlags = AcsFlags(0x01 | 0x04 | 0x08 | 0x10);

type QuirkFn = fn(&Topology, DeviceId, &PciDev, u16, AcsFlags) -> Option<bool>;

/// pci_quirk_amd_sb_acs(): multifunction devices on a root bus when an IVRS table exists.
fn amd_sb_acs(t: &Topology, d: DeviceId, _p: &PciDev, _dev: u16, f: AcsFlags) -> Option<bool> {
    let ivrs = t
        .device(d)
        .and_then(|x| x.iommu)
        .and_then(|i| t.iommu(i))
        .is_some_and(|i| i.spec.kind == IommuKind::Generic);
    if !t.multifunction(d) || !t.on_root_bus(d) || !ivrs {
        return None;
    }
    let f = f & (AcsFlags::RR | AcsFlags::CR | AcsFlags::EC | AcsFlags::DT);
    Some((f & !(AcsFlags::RR | AcsFlags::CR)).is_empty())
}

/// pci_quirk_mf_endpoint_acs(): SV TB RR CR UF DT, no type check. With acs-fix (patch 10/16)
/// it also answers 1 to `PCI_ACS_QUIRK_ACS_ISOLATED`.
fn mf_endpoint_acs(_t: &Topology, _d: DeviceId, _p: &PciDev, _v: u16, f: AcsFlags) -> Option<bool> {
    if f.contains(AcsFlags::QUIRK_ACS_ISOLATED) {
        return Some(true);
    }
    asserts(
        f,
        AcsFlags::SV | AcsFlags::TB | AcsFlags::RR | AcsFlags::CR | AcsFlags::UF | AcsFlags::DT,
    )
}

/// pci_quirk_rciep_acs(): Intel RCiEPs only.
fn rciep_acs(_t: &Topology, _d: DeviceId, p: &PciDev, _v: u16, f: AcsFlags) -> Option<bool> {
    if p.ty != PciType::RcIntegratedEndpoint {
        return None;
    }
    asserts(f, SV_RR_CR_UF)
}

/// pci_quirk_qcom_rp_acs(), pci_quirk_xgene_acs(), pci_quirk_brcm_acs(),
/// pci_quirk_loongson_acs(), pci_quirk_nxp_rp_acs(): SV RR CR UF, no type check.
fn sv_rr_cr_uf(_t: &Topology, _d: DeviceId, _p: &PciDev, _v: u16, f: AcsFlags) -> Option<bool> {
    asserts(f, SV_RR_CR_UF)
}

/// pci_quirk_intel_pch_acs_ids[] (drivers/pci/quirks.c).
pub fn intel_pch_acs_id(device: u16) -> bool {
    matches!(device,
        0x3b42..=0x3b51 | 0x1c10..=0x1c1f | 0x1e10..=0x1e1f | 0x8c10..=0x8c1f
        | 0x9c10..=0x9c1b | 0x9c90..=0x9c9b | 0x8d10..=0x8d1e)
        || matches!(device, 0x1d10..=0x1d1e | 0x8c90..=0x8c9e if device.is_multiple_of(2))
}

/// pci_quirk_intel_pch_acs(): PCH root ports without an ACS capability.
fn intel_pch_acs(_t: &Topology, _d: DeviceId, p: &PciDev, dev: u16, f: AcsFlags) -> Option<bool> {
    if p.ty != PciType::RootPort || !intel_pch_acs_id(dev) {
        return None;
    }
    if p.flags.acs_enabled_quirk {
        asserts(f, SV_RR_CR_UF)
    } else {
        asserts(f, AcsFlags::NONE)
    }
}

/// pci_quirk_intel_spt_pch_acs_match().
pub fn intel_spt_pch_acs_id(device: u16) -> bool {
    matches!(device,
        0xa110..=0xa11f | 0xa167..=0xa16a | 0xa290..=0xa29f | 0xa2e7..=0xa2ee | 0x9d10..=0x9d1b)
}

/// pci_quirk_intel_spt_pch_acs(): the standard test on dword-wide cap/control at cap+8
/// (the model's `acs-cap`/`acs-ctl` are those corrected registers).
fn intel_spt_pch_acs(t: &Topology, d: DeviceId, p: &PciDev, dev: u16, f: AcsFlags) -> Option<bool> {
    if p.ty != PciType::RootPort || !intel_spt_pch_acs_id(dev) {
        return None;
    }
    let cap = p.acs_cap?;
    let f = f & (cap | AcsFlags::EC);
    asserts(f, t.acs_ctl(d))
}

/// pci_quirk_cavium_acs(): ThunderX root ports.
fn cavium_acs(_t: &Topology, _d: DeviceId, p: &PciDev, dev: u16, f: AcsFlags) -> Option<bool> {
    let m = (dev & 0xf800) == 0xa000 || dev == 0xaf84 || dev == 0xb884;
    if !m || p.ty != PciType::RootPort {
        return None;
    }
    asserts(f, SV_RR_CR_UF)
}

/// pci_quirk_al_acs(): Annapurna Labs root ports: SV RR CR UF treated as provided.
fn al_acs(_t: &Topology, _d: DeviceId, p: &PciDev, _v: u16, f: AcsFlags) -> Option<bool> {
    if p.ty != PciType::RootPort {
        return None;
    }
    Some((f & !SV_RR_CR_UF).is_empty())
}

/// pci_quirk_zhaoxin_pcie_ports_acs(): every other Zhaoxin port answers 0.
fn zhaoxin_ports_acs(
    _t: &Topology,
    _d: DeviceId,
    p: &PciDev,
    dev: u16,
    f: AcsFlags,
) -> Option<bool> {
    if !matches!(p.ty, PciType::RootPort | PciType::DownstreamPort) {
        return None;
    }
    match dev {
        0x0710..=0x071e | 0x0721 | 0x0723..=0x0752 => asserts(f, SV_RR_CR_UF),
        _ => Some(false),
    }
}

/// pci_quirk_wangxun_nic_acs(): every other Wangxun device answers 0.
fn wangxun_nic_acs(
    _t: &Topology,
    _d: DeviceId,
    _p: &PciDev,
    dev: u16,
    f: AcsFlags,
) -> Option<bool> {
    match dev {
        0x0100..=0x010f | 0x1001 | 0x2001 | 0x5010 | 0x5025 | 0x5040 | 0x5110 | 0x5125 | 0x5140 => {
            asserts(f, SV_RR_CR_UF)
        }
        _ => Some(false),
    }
}

struct Entry {
    vendor: u16,
    /// `None` = PCI_ANY_ID.
    device: Option<u16>,
    f: QuirkFn,
    name: &'static str,
}

const fn e(vendor: u16, device: u16, f: QuirkFn, name: &'static str) -> Entry {
    Entry {
        vendor,
        device: Some(device),
        f,
        name,
    }
}
const fn any(vendor: u16, f: QuirkFn, name: &'static str) -> Entry {
    Entry {
        vendor,
        device: None,
        f,
        name,
    }
}

const AMD_SB: &str = "pci_quirk_amd_sb_acs";
const MF_EP: &str = "pci_quirk_mf_endpoint_acs";

/// drivers/pci/quirks.c: pci_dev_acs_enabled[] (v6.17; MODEL.md §1.4), entry for entry, in order.
static ACS_TABLE: &[Entry] = &[
    e(VENDOR_ATI, 0x4385, amd_sb_acs, AMD_SB),
    e(VENDOR_ATI, 0x439c, amd_sb_acs, AMD_SB),
    e(VENDOR_ATI, 0x4383, amd_sb_acs, AMD_SB),
    e(VENDOR_ATI, 0x439d, amd_sb_acs, AMD_SB),
    e(VENDOR_ATI, 0x4384, amd_sb_acs, AMD_SB),
    e(VENDOR_ATI, 0x4399, amd_sb_acs, AMD_SB),
    e(VENDOR_AMD, 0x780f, amd_sb_acs, AMD_SB),
    e(VENDOR_AMD, 0x7809, amd_sb_acs, AMD_SB),
    e(VENDOR_SOLARFLARE, 0x0903, mf_endpoint_acs, MF_EP),
    e(VENDOR_SOLARFLARE, 0x0923, mf_endpoint_acs, MF_EP),
    e(VENDOR_SOLARFLARE, 0x0a03, mf_endpoint_acs, MF_EP),
    // Intel multifunction NICs (82598/82599/X540/X550..., 82580, 82576, 82575, I350, 82571, I219).
    e(VENDOR_INTEL, 0x10c6, mf_endpoint_acs, MF_EP),
    e(VENDOR_INTEL, 0x10db, mf_endpoint_acs, MF_EP),
    e(VENDOR_INTEL, 0x10dd, mf_endpoint_acs, MF_EP),
    e(VENDOR_INTEL, 0x10e1, mf_endpoint_acs, MF_EP),
    e(VENDOR_INTEL, 0x10f1, mf_endpoint_acs, MF_EP),
    e(VENDOR_INTEL, 0x10f7, mf_endpoint_acs, MF_EP),
    e(VENDOR_INTEL, 0x10f8, mf_endpoint_acs, MF_EP),
    e(VENDOR_INTEL, 0x10f9, mf_endpoint_acs, MF_EP),
    e(VENDOR_INTEL, 0x10fa, mf_endpoint_acs, MF_EP),
    e(VENDOR_INTEL, 0x10fb, mf_endpoint_acs, MF_EP),
    e(VENDOR_INTEL, 0x10fc, mf_endpoint_acs, MF_EP),
    e(VENDOR_INTEL, 0x1507, mf_endpoint_acs, MF_EP),
    e(VENDOR_INTEL, 0x1514, mf_endpoint_acs, MF_EP),
    e(VENDOR_INTEL, 0x151c, mf_endpoint_acs, MF_EP),
    e(VENDOR_INTEL, 0x1529, mf_endpoint_acs, MF_EP),
    e(VENDOR_INTEL, 0x152a, mf_endpoint_acs, MF_EP),
    e(VENDOR_INTEL, 0x154d, mf_endpoint_acs, MF_EP),
    e(VENDOR_INTEL, 0x154f, mf_endpoint_acs, MF_EP),
    e(VENDOR_INTEL, 0x1551, mf_endpoint_acs, MF_EP),
    e(VENDOR_INTEL, 0x1558, mf_endpoint_acs, MF_EP),
    e(VENDOR_INTEL, 0x1509, mf_endpoint_acs, MF_EP),
    e(VENDOR_INTEL, 0x150e, mf_endpoint_acs, MF_EP),
    e(VENDOR_INTEL, 0x150f, mf_endpoint_acs, MF_EP),
    e(VENDOR_INTEL, 0x1510, mf_endpoint_acs, MF_EP),
    e(VENDOR_INTEL, 0x1511, mf_endpoint_acs, MF_EP),
    e(VENDOR_INTEL, 0x1516, mf_endpoint_acs, MF_EP),
    e(VENDOR_INTEL, 0x1527, mf_endpoint_acs, MF_EP),
    e(VENDOR_INTEL, 0x10c9, mf_endpoint_acs, MF_EP),
    e(VENDOR_INTEL, 0x10e6, mf_endpoint_acs, MF_EP),
    e(VENDOR_INTEL, 0x10e7, mf_endpoint_acs, MF_EP),
    e(VENDOR_INTEL, 0x10e8, mf_endpoint_acs, MF_EP),
    e(VENDOR_INTEL, 0x150a, mf_endpoint_acs, MF_EP),
    e(VENDOR_INTEL, 0x150d, mf_endpoint_acs, MF_EP),
    e(VENDOR_INTEL, 0x1518, mf_endpoint_acs, MF_EP),
    e(VENDOR_INTEL, 0x1526, mf_endpoint_acs, MF_EP),
    e(VENDOR_INTEL, 0x10a7, mf_endpoint_acs, MF_EP),
    e(VENDOR_INTEL, 0x10a9, mf_endpoint_acs, MF_EP),
    e(VENDOR_INTEL, 0x10d6, mf_endpoint_acs, MF_EP),
    e(VENDOR_INTEL, 0x1521, mf_endpoint_acs, MF_EP),
    e(VENDOR_INTEL, 0x1522, mf_endpoint_acs, MF_EP),
    e(VENDOR_INTEL, 0x1523, mf_endpoint_acs, MF_EP),
    e(VENDOR_INTEL, 0x1524, mf_endpoint_acs, MF_EP),
    e(VENDOR_INTEL, 0x105e, mf_endpoint_acs, MF_EP),
    e(VENDOR_INTEL, 0x105f, mf_endpoint_acs, MF_EP),
    e(VENDOR_INTEL, 0x1060, mf_endpoint_acs, MF_EP),
    e(VENDOR_INTEL, 0x10d9, mf_endpoint_acs, MF_EP),
    e(VENDOR_INTEL, 0x15b7, mf_endpoint_acs, MF_EP),
    e(VENDOR_INTEL, 0x15b8, mf_endpoint_acs, MF_EP),
    any(VENDOR_INTEL, rciep_acs, "pci_quirk_rciep_acs"),
    e(VENDOR_QCOM, 0x0400, sv_rr_cr_uf, "pci_quirk_qcom_rp_acs"),
    e(VENDOR_QCOM, 0x0401, sv_rr_cr_uf, "pci_quirk_qcom_rp_acs"),
    e(VENDOR_QCOM, 0x0115, sv_rr_cr_uf, "pci_quirk_qcom_rp_acs"),
    e(VENDOR_HXT, 0x0401, sv_rr_cr_uf, "pci_quirk_qcom_rp_acs"),
    any(VENDOR_INTEL, intel_pch_acs, "pci_quirk_intel_pch_acs"),
    any(
        VENDOR_INTEL,
        intel_spt_pch_acs,
        "pci_quirk_intel_spt_pch_acs",
    ),
    e(0x19a2, 0x0710, mf_endpoint_acs, MF_EP),
    e(0x10df, 0x0720, mf_endpoint_acs, MF_EP),
    any(VENDOR_CAVIUM, cavium_acs, "pci_quirk_cavium_acs"),
    e(VENDOR_CAVIUM, 0xa026, mf_endpoint_acs, MF_EP),
    e(VENDOR_CAVIUM, 0xa059, mf_endpoint_acs, MF_EP),
    e(VENDOR_CAVIUM, 0xa060, mf_endpoint_acs, MF_EP),
    e(VENDOR_AMCC, 0xe004, sv_rr_cr_uf, "pci_quirk_xgene_acs"),
    e(VENDOR_AMPERE, 0xe005, sv_rr_cr_uf, "pci_quirk_xgene_acs"),
    e(VENDOR_AMPERE, 0xe006, sv_rr_cr_uf, "pci_quirk_xgene_acs"),
    e(VENDOR_AMPERE, 0xe007, sv_rr_cr_uf, "pci_quirk_xgene_acs"),
    e(VENDOR_AMPERE, 0xe008, sv_rr_cr_uf, "pci_quirk_xgene_acs"),
    e(VENDOR_AMPERE, 0xe009, sv_rr_cr_uf, "pci_quirk_xgene_acs"),
    e(VENDOR_AMPERE, 0xe00a, sv_rr_cr_uf, "pci_quirk_xgene_acs"),
    e(VENDOR_AMPERE, 0xe00b, sv_rr_cr_uf, "pci_quirk_xgene_acs"),
    e(VENDOR_AMPERE, 0xe00c, sv_rr_cr_uf, "pci_quirk_xgene_acs"),
    e(VENDOR_BROADCOM, 0x16d7, mf_endpoint_acs, MF_EP),
    e(VENDOR_BROADCOM, 0x1750, mf_endpoint_acs, MF_EP),
    e(VENDOR_BROADCOM, 0x1751, mf_endpoint_acs, MF_EP),
    e(VENDOR_BROADCOM, 0x1752, mf_endpoint_acs, MF_EP),
    e(VENDOR_BROADCOM, 0x1760, mf_endpoint_acs, MF_EP),
    e(VENDOR_BROADCOM, 0x1761, mf_endpoint_acs, MF_EP),
    e(VENDOR_BROADCOM, 0x1762, mf_endpoint_acs, MF_EP),
    e(VENDOR_BROADCOM, 0x1763, mf_endpoint_acs, MF_EP),
    e(VENDOR_BROADCOM, 0xd714, sv_rr_cr_uf, "pci_quirk_brcm_acs"),
    e(
        VENDOR_LOONGSON,
        0x3c09,
        sv_rr_cr_uf,
        "pci_quirk_loongson_acs",
    ),
    e(
        VENDOR_LOONGSON,
        0x3c19,
        sv_rr_cr_uf,
        "pci_quirk_loongson_acs",
    ),
    e(
        VENDOR_LOONGSON,
        0x3c29,
        sv_rr_cr_uf,
        "pci_quirk_loongson_acs",
    ),
    e(
        VENDOR_LOONGSON,
        0x7a09,
        sv_rr_cr_uf,
        "pci_quirk_loongson_acs",
    ),
    e(
        VENDOR_LOONGSON,
        0x7a19,
        sv_rr_cr_uf,
        "pci_quirk_loongson_acs",
    ),
    e(
        VENDOR_LOONGSON,
        0x7a29,
        sv_rr_cr_uf,
        "pci_quirk_loongson_acs",
    ),
    e(
        VENDOR_LOONGSON,
        0x7a39,
        sv_rr_cr_uf,
        "pci_quirk_loongson_acs",
    ),
    e(
        VENDOR_LOONGSON,
        0x7a49,
        sv_rr_cr_uf,
        "pci_quirk_loongson_acs",
    ),
    e(
        VENDOR_LOONGSON,
        0x7a59,
        sv_rr_cr_uf,
        "pci_quirk_loongson_acs",
    ),
    e(
        VENDOR_LOONGSON,
        0x7a69,
        sv_rr_cr_uf,
        "pci_quirk_loongson_acs",
    ),
    e(
        VENDOR_AMAZON_ANNAPURNA_LABS,
        0x0031,
        al_acs,
        "pci_quirk_al_acs",
    ),
    e(VENDOR_ZHAOXIN, 0x3038, mf_endpoint_acs, MF_EP),
    e(VENDOR_ZHAOXIN, 0x3104, mf_endpoint_acs, MF_EP),
    e(VENDOR_ZHAOXIN, 0x9083, mf_endpoint_acs, MF_EP),
    e(VENDOR_NXP, 0x8d81, sv_rr_cr_uf, "pci_quirk_nxp_rp_acs"),
    e(VENDOR_NXP, 0x8da1, sv_rr_cr_uf, "pci_quirk_nxp_rp_acs"),
    e(VENDOR_NXP, 0x8d83, sv_rr_cr_uf, "pci_quirk_nxp_rp_acs"),
    e(VENDOR_NXP, 0x8d80, sv_rr_cr_uf, "pci_quirk_nxp_rp_acs"),
    e(VENDOR_NXP, 0x8da0, sv_rr_cr_uf, "pci_quirk_nxp_rp_acs"),
    e(VENDOR_NXP, 0x8d82, sv_rr_cr_uf, "pci_quirk_nxp_rp_acs"),
    e(VENDOR_NXP, 0x8d90, sv_rr_cr_uf, "pci_quirk_nxp_rp_acs"),
    e(VENDOR_NXP, 0x8db0, sv_rr_cr_uf, "pci_quirk_nxp_rp_acs"),
    e(VENDOR_NXP, 0x8d92, sv_rr_cr_uf, "pci_quirk_nxp_rp_acs"),
    e(VENDOR_NXP, 0x8d91, sv_rr_cr_uf, "pci_quirk_nxp_rp_acs"),
    e(VENDOR_NXP, 0x8db1, sv_rr_cr_uf, "pci_quirk_nxp_rp_acs"),
    e(VENDOR_NXP, 0x8d93, sv_rr_cr_uf, "pci_quirk_nxp_rp_acs"),
    e(VENDOR_NXP, 0x8d89, sv_rr_cr_uf, "pci_quirk_nxp_rp_acs"),
    e(VENDOR_NXP, 0x8da9, sv_rr_cr_uf, "pci_quirk_nxp_rp_acs"),
    e(VENDOR_NXP, 0x8d8b, sv_rr_cr_uf, "pci_quirk_nxp_rp_acs"),
    e(VENDOR_NXP, 0x8d88, sv_rr_cr_uf, "pci_quirk_nxp_rp_acs"),
    e(VENDOR_NXP, 0x8da8, sv_rr_cr_uf, "pci_quirk_nxp_rp_acs"),
    e(VENDOR_NXP, 0x8d8a, sv_rr_cr_uf, "pci_quirk_nxp_rp_acs"),
    e(VENDOR_NXP, 0x8d98, sv_rr_cr_uf, "pci_quirk_nxp_rp_acs"),
    e(VENDOR_NXP, 0x8db8, sv_rr_cr_uf, "pci_quirk_nxp_rp_acs"),
    e(VENDOR_NXP, 0x8d9a, sv_rr_cr_uf, "pci_quirk_nxp_rp_acs"),
    e(VENDOR_NXP, 0x8d99, sv_rr_cr_uf, "pci_quirk_nxp_rp_acs"),
    e(VENDOR_NXP, 0x8db9, sv_rr_cr_uf, "pci_quirk_nxp_rp_acs"),
    e(VENDOR_NXP, 0x8d9b, sv_rr_cr_uf, "pci_quirk_nxp_rp_acs"),
    any(
        VENDOR_ZHAOXIN,
        zhaoxin_ports_acs,
        "pci_quirk_zhaoxin_pcie_ports_acs",
    ),
    any(VENDOR_WANGXUN, wangxun_nic_acs, "pci_quirk_wangxun_nic_acs"),
];

/// drivers/pci/quirks.c: pci_dev_specific_acs_enabled() (v6.17): the first table entry
/// matching the device's `id=` that answers wins; `None` is -ENOTTY (no opinion). With
/// `pcie_acs_override=` the patch's `{ PCI_ANY_ID, PCI_ANY_ID, pcie_acs_overrides }` entry
/// closes the table, so it answers only when no device-specific entry did
/// ([`super::cmdline::pcie_acs_overrides`]).
pub fn pci_dev_specific_acs_enabled(
    t: &Topology,
    dev: DeviceId,
    flags: AcsFlags,
) -> Option<QuirkAnswer> {
    let p = t.pci_dev(dev)?;
    let specific = p.id.and_then(|(vendor, device)| {
        ACS_TABLE
            .iter()
            .filter(|en| en.vendor == vendor && en.device.is_none_or(|d| d == device))
            .find_map(|en| {
                (en.f)(t, dev, p, device, flags).map(|enabled| QuirkAnswer {
                    enabled,
                    quirk: en.name,
                })
            })
    });
    specific.or_else(|| {
        super::cmdline::pcie_acs_overrides(t, dev).map(|enabled| QuirkAnswer {
            enabled,
            quirk: "pcie_acs_overrides",
        })
    })
}

/// A `DECLARE_PCI_FIXUP_HEADER(vendor, device, hook)` line: the IDs it matches.
type Fixup = (u16, u16);

/// drivers/pci/quirks.c (v6.17): the `quirk_dma_func0_alias` fixups (Ricoh, Glenfly).
pub static DMA_FUNC0_ALIAS: &[Fixup] = &[
    (VENDOR_RICOH, 0xe832),
    (VENDOR_RICOH, 0xe476),
    (VENDOR_GLENFLY, 0x3d40),
    (VENDOR_GLENFLY, 0x3d41),
];

/// drivers/pci/quirks.c (v6.17): the `quirk_dma_func1_alias` fixups (Marvell 88SE9xxx,
/// HighPoint, JMicron JMB388 eSD, Lite-On/Plextor M6E).
pub static DMA_FUNC1_ALIAS: &[Fixup] = &[
    (VENDOR_MARVELL_EXT, 0x9120),
    (VENDOR_MARVELL_EXT, 0x9123),
    (VENDOR_MARVELL_EXT, 0x9125),
    (VENDOR_MARVELL_EXT, 0x9128),
    (VENDOR_MARVELL_EXT, 0x9130),
    (VENDOR_MARVELL_EXT, 0x9170),
    (VENDOR_MARVELL_EXT, 0x9172),
    (VENDOR_MARVELL_EXT, 0x917a),
    (VENDOR_MARVELL_EXT, 0x9182),
    (VENDOR_MARVELL_EXT, 0x9183),
    (VENDOR_MARVELL_EXT, 0x91a0),
    (VENDOR_MARVELL_EXT, 0x9215),
    (VENDOR_MARVELL_EXT, 0x9220),
    (VENDOR_MARVELL_EXT, 0x9230),
    (VENDOR_MARVELL_EXT, 0x9235),
    (VENDOR_TTI, 0x0642),
    (VENDOR_TTI, 0x0645),
    (VENDOR_JMICRON, DEVICE_JMICRON_JMB388_ESD),
    (0x1c28, 0x0122),
];

/// drivers/pci/quirks.c (v6.17): `fixed_dma_alias_tbl[]` of `quirk_fixed_dma_alias`:
/// (vendor, device), (subsystem vendor, subsystem device), the alias devfn.
pub static FIXED_DMA_ALIAS: &[(Fixup, Fixup, u8)] = &[
    ((VENDOR_ADAPTEC2, 0x0285), (VENDOR_ADAPTEC2, 0x02bb), 1 << 3), // Adaptec 3405, PCI_DEVFN(1, 0)
    ((VENDOR_ADAPTEC2, 0x0285), (VENDOR_ADAPTEC2, 0x02bc), 1 << 3), // Adaptec 3805, PCI_DEVFN(1, 0)
];

/// drivers/pci/quirks.c (v6.17): the `quirk_mic_x200_dma_alias` fixups.
pub static MIC_X200_DMA_ALIAS: &[Fixup] = &[(VENDOR_INTEL, 0x2260), (VENDOR_INTEL, 0x2264)];

/// drivers/pci/quirks.c (v6.17): the `quirk_pex_vca_alias` fixups.
pub static PEX_VCA_ALIAS: &[Fixup] = &[
    (VENDOR_INTEL, 0x2954),
    (VENDOR_INTEL, 0x2955),
    (VENDOR_INTEL, 0x2956),
    (VENDOR_INTEL, 0x2958),
    (VENDOR_INTEL, 0x2959),
    (VENDOR_INTEL, 0x295a),
];

/// drivers/pci/quirks.c (v6.17): the `quirk_use_pcie_bridge_dma_alias` fixups (ASM1083/1085,
/// Tundra 8113, ITE 8892/8893, Intel 82801 `PCI_DEVICE_ID_INTEL_82801BA_11`).
pub static PCIE_BRIDGE_DMA_ALIAS: &[Fixup] = &[
    (VENDOR_ASMEDIA, 0x1080),
    (VENDOR_TUNDRA, 0x8113),
    (VENDOR_ITE, 0x8892),
    (VENDOR_ITE, 0x8893),
    (VENDOR_INTEL, 0x244e),
];

/// drivers/pci/quirks.c (v6.17): the `quirk_bridge_cavm_thrx2_pcie_root` fixups.
pub static BRIDGE_CAVM_THRX2_PCIE_ROOT: &[Fixup] =
    &[(VENDOR_BROADCOM, 0x9000), (VENDOR_BROADCOM, 0x9084)];

/// drivers/pci/quirks.c: quirk_use_pcie_bridge_dma_alias() (v6.17), for a device whose ID
/// is in [`PCIE_BRIDGE_DMA_ALIAS`]: it sets `PCI_DEV_FLAG_PCIE_BRIDGE_ALIAS` only when
///
/// ```c
/// if (!pci_is_root_bus(pdev->bus) &&
///     pdev->hdr_type == PCI_HEADER_TYPE_BRIDGE &&
///     !pci_is_pcie(pdev) && pci_is_pcie(pdev->bus->self) &&
///     pci_pcie_type(pdev->bus->self) != PCI_EXP_TYPE_PCI_BRIDGE)
/// ```
///
/// i.e. a conventional (no PCIe capability) bridge below a PCIe port is really a
/// PCIe-to-PCI bridge that hides its capability. On the root bus, below a conventional
/// bridge, or below a real PCIe-to-PCI bridge the flag stays clear. `parent` is the type of
/// `pdev->bus->self` (`None` on a root bus). The language's `pci` type is the one
/// conventional type that can be a bridge (it becomes one when it gets children), so it
/// stands for `hdr_type == PCI_HEADER_TYPE_BRIDGE`.
pub fn pcie_bridge_dma_alias_applies(p: &PciDev, parent: Option<PciType>) -> bool {
    let Some(parent) = parent else {
        return false; // pci_is_root_bus(pdev->bus)
    };
    p.ty.can_be_parent() // PCI_HEADER_TYPE_BRIDGE
        && !p.ty.is_pcie()
        && parent.is_pcie()
        && parent != PciType::PcieToPciBridge
}

/// Header/final fixups that set `dma_alias_mask` and `dev_flags`, plus the effect of the
/// Intel PCH ACS enable quirk (`pci_quirk_enable_intel_pch_acs()`, assumed to find RCBA
/// enabled, so it sets `PCI_DEV_FLAGS_ACS_ENABLED_QUIRK`). The SPT enable quirk
/// (`pci_quirk_enable_intel_spt_pch_acs()`) is the standard enable on the corrected
/// registers, which the model leaves to `acs-ctl` (see the module doc of [`super`]).
/// drivers/pci/quirks.c, v6.17; the tables above list the IDs. `parent` is the type of the
/// bridge above the device (`pdev->bus->self`), `None` on a root bus.
pub fn apply_header_quirks(p: &mut PciDev, parent: Option<PciType>) {
    let Some(id) = p.id else { return };
    let (vendor, device) = id;
    let slot = p.bdf.slot();
    let func = p.bdf.func;
    let devfn = |s: u8, f: u8| (s << 3) | f;
    let mut add = |d: u8| {
        if !p.dma_aliases.contains(&d) {
            p.dma_aliases.push(d);
        }
    };
    // quirk_dma_func0_alias(): `if (PCI_FUNC(dev->devfn) != 0)`.
    if DMA_FUNC0_ALIAS.contains(&id) && func != 0 {
        add(devfn(slot, 0));
    }
    // quirk_dma_func1_alias(): `if (PCI_FUNC(dev->devfn) != 1)`.
    if DMA_FUNC1_ALIAS.contains(&id) && func != 1 {
        add(devfn(slot, 1));
    }
    // quirk_fixed_dma_alias(): pci_match_id() on the subsystem IDs too.
    for &(ids, subsys, alias) in FIXED_DMA_ALIAS {
        if ids == id && p.subsys == Some(subsys) {
            add(alias);
        }
    }
    // quirk_mic_x200_dma_alias()
    if MIC_X200_DMA_ALIAS.contains(&id) {
        add(devfn(0x10, 0));
        add(devfn(0x11, 0));
        add(devfn(0x12, 3));
    }
    // quirk_pex_vca_alias(): functions 0-4 of all 32 slots.
    if PEX_VCA_ALIAS.contains(&id) {
        for s in 0..32u8 {
            for f in 0..5u8 {
                add(devfn(s, f));
            }
        }
    }
    crate::sort::sort(&mut p.dma_aliases);
    // quirk_use_pcie_bridge_dma_alias
    if PCIE_BRIDGE_DMA_ALIAS.contains(&id) && pcie_bridge_dma_alias_applies(p, parent) {
        p.flags.pcie_bridge_alias = true;
    }
    // quirk_bridge_cavm_thrx2_pcie_root
    if BRIDGE_CAVM_THRX2_PCIE_ROOT.contains(&id) {
        p.flags.bridge_xlate_root = true;
    }
    // pci_quirk_enable_intel_pch_acs(): PCH root ports only.
    if vendor == VENDOR_INTEL && p.ty == PciType::RootPort && intel_pch_acs_id(device) {
        p.flags.acs_enabled_quirk = true;
    }
}

#[cfg(test)]
mod id_tests;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::group::tests::build;
    use crate::topology::AcsDenial;
    use crate::topology::REQ_ACS_FLAGS;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// `pci_acs_enabled(dev, REQ_ACS_FLAGS)` for the last device of a fixture.
    fn acs(text: &str, dev: &str) -> Result<(), AcsDenial> {
        let t = build(
            &format!("iommu i kind={{K}}\nhost h iommu=i\n{text}").replace(
                "{K}",
                if text.contains("smmu") {
                    "arm-smmu-v3"
                } else {
                    "generic"
                },
            ),
        )
        .unwrap();
        t.pci_acs_enabled(t.lookup(dev).unwrap(), REQ_ACS_FLAGS)
    }

    #[test]
    fn spt_quirk_reads_the_corrected_control_register() {
        assert_eq!(
            acs(
                "pci 00:1c.0 rp acs-cap=SV,RR,CR,UF acs-ctl=SV id=8086:a110",
                "00:1c.0"
            ),
            Err(AcsDenial::Quirk {
                quirk: "pci_quirk_intel_spt_pch_acs"
            })
        );
        // Without a capability the SPT quirk has no opinion and standard ACS says no.
        assert_eq!(
            acs("pci 00:1c.0 rp id=8086:a110", "00:1c.0"),
            Err(AcsDenial::NoCapability)
        );
        assert_eq!(
            acs("pci 00:1c.0 rp acs=SV,RR,CR,UF id=8086:a110", "00:1c.0"),
            Ok(())
        );
    }

    #[test]
    fn amd_southbridge_quirk_needs_multifunction_root_bus_and_ivrs() {
        let mf = "pci 00:14.0 pci id=1022:780f\npci 00:14.3 pci";
        assert_eq!(acs(mf, "00:14.0"), Ok(()));
        assert_eq!(
            acs("pci 00:14.0 pci id=1022:780f", "00:14.0"),
            Err(AcsDenial::ConventionalPci)
        );
        // No IVRS table behind a non-x86 IOMMU: no opinion.
        assert_eq!(
            acs(&format!("{mf} # smmu"), "00:14.0"),
            Err(AcsDenial::ConventionalPci)
        );
    }

    #[test]
    fn vendor_wide_entries_are_gated_by_type_and_id() {
        // Cavium ThunderX root port range vs an endpoint of the same vendor.
        assert_eq!(acs("pci 00:01.0 rp id=177d:a001", "00:01.0"), Ok(()));
        assert_eq!(
            acs("pci 00:01.0 rp\npci 01:00.0 ep parent=00:01.0 id=177d:a001\npci 01:00.1 ep parent=00:01.0", "01:00.0"),
            Err(AcsDenial::NoCapability)
        );
        assert_eq!(
            acs("pci 00:01.0 rp\npci 01:00.0 ep parent=00:01.0 id=177d:a026\npci 01:00.1 ep parent=00:01.0", "01:00.0"),
            Ok(())
        );
        // Intel RCiEP quirk; Annapurna root port; Wangxun NIC outside its list answers 0.
        assert_eq!(
            acs(
                "pci 00:02.0 rciep id=8086:1234\npci 00:02.1 rciep",
                "00:02.0"
            ),
            Ok(())
        );
        assert_eq!(acs("pci 00:02.0 rp id=1c36:0031", "00:02.0"), Ok(()));
        assert_eq!(
            acs("pci 00:02.0 rp acs=SV,RR,CR,UF id=8088:1234", "00:02.0"),
            Err(AcsDenial::Quirk {
                quirk: "pci_quirk_wangxun_nic_acs"
            })
        );
        // PCH list: Patsburg takes even IDs only.
        assert!(intel_pch_acs_id(0x1d10) && !intel_pch_acs_id(0x1d11));
        assert!(intel_pch_acs_id(0x8d1e) && !intel_pch_acs_id(0x8d1f));
    }

    /// drivers/pci/quirks.c: quirk_use_pcie_bridge_dma_alias() (v6.17): the ID alone is not
    /// enough; the flag needs a conventional bridge header below a PCIe port that is not
    /// itself a PCIe-to-PCI bridge.
    #[test]
    fn pcie_bridge_alias_flag_needs_a_conventional_bridge_below_a_pcie_port() {
        let t = build(
            "iommu i kind=generic\nhost h iommu=i\n\
             pci 00:1c.0 rp\npci 01:00.0 pci parent=00:1c.0 id=1b21:1080\n\
             pci 00:1e.0 pci id=8086:244e\n\
             pci 02:00.0 pci parent=00:1e.0 id=10e3:8113\n\
             pci 00:1d.0 rp\npci 03:00.0 bridge parent=00:1d.0\n\
             pci 04:00.0 pci parent=03:00.0 id=1283:8892\n\
             pci 00:1b.0 rp\npci 05:00.0 ep parent=00:1b.0 id=1283:8893\n\
             pci 00:1a.0 rp\npci 06:00.0 bridge parent=00:1a.0 id=1b21:1080",
        )
        .unwrap();
        let flag = |d: &str| {
            t.pci_dev(t.lookup(d).unwrap())
                .unwrap()
                .flags
                .pcie_bridge_alias
        };
        assert!(flag("01:00.0"), "conventional bridge below a root port");
        assert!(!flag("00:1e.0"), "on the root bus");
        assert!(!flag("02:00.0"), "below a conventional bridge");
        assert!(!flag("04:00.0"), "below a PCIe-to-PCI bridge");
        assert!(!flag("05:00.0"), "a PCIe endpoint has no bridge header");
        assert!(!flag("06:00.0"), "a PCIe-to-PCI bridge is PCIe itself");
    }

    #[test]
    fn dma_alias_quirks_set_the_alias_mask_and_flags() {
        let t = build(
            "iommu i kind=generic\nhost h iommu=i\npci 00:1c.0 rp\n\
             pci 01:00.1 ep parent=00:1c.0 id=1180:e832\n\
             pci 01:01.0 ep parent=00:1c.0 id=9005:0285 subsys=9005:02bb\n\
             pci 01:02.0 ep parent=00:1c.0 id=8086:2260\n\
             pci 01:03.0 pci parent=00:1c.0 id=1b21:1080\n\
             pci 00:05.0 rp id=14e4:9000",
        )
        .unwrap();
        let p = |d: &str| t.pci_dev(t.lookup(d).unwrap()).unwrap().clone();
        assert_eq!(p("01:00.1").dma_aliases, vec![0x00]);
        assert_eq!(p("01:01.0").dma_aliases, vec![0x08]);
        assert_eq!(p("01:02.0").dma_aliases, vec![0x80, 0x88, 0x93]);
        assert!(p("01:03.0").flags.pcie_bridge_alias);
        assert!(p("00:05.0").flags.bridge_xlate_root);
    }
}
