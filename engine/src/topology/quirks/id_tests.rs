//! Every quirk entry, pinned to Linux v6.17: each row names the include/linux/pci_ids.h
//! macro (or the literal drivers/pci/quirks.c writes), its value, and what the quirk does
//! to a device with that ID.

use super::*;
use crate::group::tests::build;
use crate::topology::REQ_ACS_FLAGS;
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

const AMD_SB: &str = "pci_quirk_amd_sb_acs";
const MF: &str = "pci_quirk_mf_endpoint_acs";
const QCOM: &str = "pci_quirk_qcom_rp_acs";
const XGENE: &str = "pci_quirk_xgene_acs";
const LOONGSON: &str = "pci_quirk_loongson_acs";
const NXP: &str = "pci_quirk_nxp_rp_acs";

/// `pci_dev_acs_enabled[]` of drivers/pci/quirks.c (v6.17), entry for entry: the vendor
/// macro of include/linux/pci_ids.h (or the literal), its value, the device (`None` is
/// `PCI_ANY_ID`), the quirk.
#[rustfmt::skip]
const ACS_ROWS: &[(&str, u16, Option<u16>, &str)] = &[
    ("PCI_VENDOR_ID_ATI", 0x1002, Some(0x4385), AMD_SB),
    ("PCI_VENDOR_ID_ATI", 0x1002, Some(0x439c), AMD_SB),
    ("PCI_VENDOR_ID_ATI", 0x1002, Some(0x4383), AMD_SB),
    ("PCI_VENDOR_ID_ATI", 0x1002, Some(0x439d), AMD_SB),
    ("PCI_VENDOR_ID_ATI", 0x1002, Some(0x4384), AMD_SB),
    ("PCI_VENDOR_ID_ATI", 0x1002, Some(0x4399), AMD_SB),
    ("PCI_VENDOR_ID_AMD", 0x1022, Some(0x780f), AMD_SB),
    ("PCI_VENDOR_ID_AMD", 0x1022, Some(0x7809), AMD_SB),
    ("PCI_VENDOR_ID_SOLARFLARE", 0x1924, Some(0x0903), MF),
    ("PCI_VENDOR_ID_SOLARFLARE", 0x1924, Some(0x0923), MF),
    ("PCI_VENDOR_ID_SOLARFLARE", 0x1924, Some(0x0a03), MF),
    ("PCI_VENDOR_ID_INTEL", 0x8086, Some(0x10c6), MF),
    ("PCI_VENDOR_ID_INTEL", 0x8086, Some(0x10db), MF),
    ("PCI_VENDOR_ID_INTEL", 0x8086, Some(0x10dd), MF),
    ("PCI_VENDOR_ID_INTEL", 0x8086, Some(0x10e1), MF),
    ("PCI_VENDOR_ID_INTEL", 0x8086, Some(0x10f1), MF),
    ("PCI_VENDOR_ID_INTEL", 0x8086, Some(0x10f7), MF),
    ("PCI_VENDOR_ID_INTEL", 0x8086, Some(0x10f8), MF),
    ("PCI_VENDOR_ID_INTEL", 0x8086, Some(0x10f9), MF),
    ("PCI_VENDOR_ID_INTEL", 0x8086, Some(0x10fa), MF),
    ("PCI_VENDOR_ID_INTEL", 0x8086, Some(0x10fb), MF),
    ("PCI_VENDOR_ID_INTEL", 0x8086, Some(0x10fc), MF),
    ("PCI_VENDOR_ID_INTEL", 0x8086, Some(0x1507), MF),
    ("PCI_VENDOR_ID_INTEL", 0x8086, Some(0x1514), MF),
    ("PCI_VENDOR_ID_INTEL", 0x8086, Some(0x151c), MF),
    ("PCI_VENDOR_ID_INTEL", 0x8086, Some(0x1529), MF),
    ("PCI_VENDOR_ID_INTEL", 0x8086, Some(0x152a), MF),
    ("PCI_VENDOR_ID_INTEL", 0x8086, Some(0x154d), MF),
    ("PCI_VENDOR_ID_INTEL", 0x8086, Some(0x154f), MF),
    ("PCI_VENDOR_ID_INTEL", 0x8086, Some(0x1551), MF),
    ("PCI_VENDOR_ID_INTEL", 0x8086, Some(0x1558), MF),
    ("PCI_VENDOR_ID_INTEL", 0x8086, Some(0x1509), MF), // 82580
    ("PCI_VENDOR_ID_INTEL", 0x8086, Some(0x150e), MF),
    ("PCI_VENDOR_ID_INTEL", 0x8086, Some(0x150f), MF),
    ("PCI_VENDOR_ID_INTEL", 0x8086, Some(0x1510), MF),
    ("PCI_VENDOR_ID_INTEL", 0x8086, Some(0x1511), MF),
    ("PCI_VENDOR_ID_INTEL", 0x8086, Some(0x1516), MF),
    ("PCI_VENDOR_ID_INTEL", 0x8086, Some(0x1527), MF),
    ("PCI_VENDOR_ID_INTEL", 0x8086, Some(0x10c9), MF), // 82576
    ("PCI_VENDOR_ID_INTEL", 0x8086, Some(0x10e6), MF),
    ("PCI_VENDOR_ID_INTEL", 0x8086, Some(0x10e7), MF),
    ("PCI_VENDOR_ID_INTEL", 0x8086, Some(0x10e8), MF),
    ("PCI_VENDOR_ID_INTEL", 0x8086, Some(0x150a), MF),
    ("PCI_VENDOR_ID_INTEL", 0x8086, Some(0x150d), MF),
    ("PCI_VENDOR_ID_INTEL", 0x8086, Some(0x1518), MF),
    ("PCI_VENDOR_ID_INTEL", 0x8086, Some(0x1526), MF),
    ("PCI_VENDOR_ID_INTEL", 0x8086, Some(0x10a7), MF), // 82575
    ("PCI_VENDOR_ID_INTEL", 0x8086, Some(0x10a9), MF),
    ("PCI_VENDOR_ID_INTEL", 0x8086, Some(0x10d6), MF),
    ("PCI_VENDOR_ID_INTEL", 0x8086, Some(0x1521), MF), // I350
    ("PCI_VENDOR_ID_INTEL", 0x8086, Some(0x1522), MF),
    ("PCI_VENDOR_ID_INTEL", 0x8086, Some(0x1523), MF),
    ("PCI_VENDOR_ID_INTEL", 0x8086, Some(0x1524), MF),
    ("PCI_VENDOR_ID_INTEL", 0x8086, Some(0x105e), MF), // 82571
    ("PCI_VENDOR_ID_INTEL", 0x8086, Some(0x105f), MF),
    ("PCI_VENDOR_ID_INTEL", 0x8086, Some(0x1060), MF),
    ("PCI_VENDOR_ID_INTEL", 0x8086, Some(0x10d9), MF),
    ("PCI_VENDOR_ID_INTEL", 0x8086, Some(0x15b7), MF), // I219
    ("PCI_VENDOR_ID_INTEL", 0x8086, Some(0x15b8), MF),
    ("PCI_VENDOR_ID_INTEL", 0x8086, None, "pci_quirk_rciep_acs"),
    ("PCI_VENDOR_ID_QCOM", 0x17cb, Some(0x0400), QCOM),
    ("PCI_VENDOR_ID_QCOM", 0x17cb, Some(0x0401), QCOM),
    ("PCI_VENDOR_ID_QCOM", 0x17cb, Some(0x0115), QCOM),
    ("PCI_VENDOR_ID_HXT", 0x1dbf, Some(0x0401), QCOM),
    ("PCI_VENDOR_ID_INTEL", 0x8086, None, "pci_quirk_intel_pch_acs"),
    ("PCI_VENDOR_ID_INTEL", 0x8086, None, "pci_quirk_intel_spt_pch_acs"),
    ("0x19a2 (Emulex BE3-R)", 0x19a2, Some(0x0710), MF),
    ("0x10df (Emulex Skyhawk-R)", 0x10df, Some(0x0720), MF),
    ("PCI_VENDOR_ID_CAVIUM", 0x177d, None, "pci_quirk_cavium_acs"),
    ("PCI_VENDOR_ID_CAVIUM", 0x177d, Some(0xa026), MF),
    ("PCI_VENDOR_ID_CAVIUM", 0x177d, Some(0xa059), MF),
    ("PCI_VENDOR_ID_CAVIUM", 0x177d, Some(0xa060), MF),
    ("PCI_VENDOR_ID_AMCC", 0x10e8, Some(0xe004), XGENE),
    ("PCI_VENDOR_ID_AMPERE", 0x1def, Some(0xe005), XGENE),
    ("PCI_VENDOR_ID_AMPERE", 0x1def, Some(0xe006), XGENE),
    ("PCI_VENDOR_ID_AMPERE", 0x1def, Some(0xe007), XGENE),
    ("PCI_VENDOR_ID_AMPERE", 0x1def, Some(0xe008), XGENE),
    ("PCI_VENDOR_ID_AMPERE", 0x1def, Some(0xe009), XGENE),
    ("PCI_VENDOR_ID_AMPERE", 0x1def, Some(0xe00a), XGENE),
    ("PCI_VENDOR_ID_AMPERE", 0x1def, Some(0xe00b), XGENE),
    ("PCI_VENDOR_ID_AMPERE", 0x1def, Some(0xe00c), XGENE),
    ("PCI_VENDOR_ID_BROADCOM", 0x14e4, Some(0x16d7), MF),
    ("PCI_VENDOR_ID_BROADCOM", 0x14e4, Some(0x1750), MF),
    ("PCI_VENDOR_ID_BROADCOM", 0x14e4, Some(0x1751), MF),
    ("PCI_VENDOR_ID_BROADCOM", 0x14e4, Some(0x1752), MF),
    ("PCI_VENDOR_ID_BROADCOM", 0x14e4, Some(0x1760), MF),
    ("PCI_VENDOR_ID_BROADCOM", 0x14e4, Some(0x1761), MF),
    ("PCI_VENDOR_ID_BROADCOM", 0x14e4, Some(0x1762), MF),
    ("PCI_VENDOR_ID_BROADCOM", 0x14e4, Some(0x1763), MF),
    ("PCI_VENDOR_ID_BROADCOM", 0x14e4, Some(0xd714), "pci_quirk_brcm_acs"),
    ("PCI_VENDOR_ID_LOONGSON", 0x0014, Some(0x3c09), LOONGSON),
    ("PCI_VENDOR_ID_LOONGSON", 0x0014, Some(0x3c19), LOONGSON),
    ("PCI_VENDOR_ID_LOONGSON", 0x0014, Some(0x3c29), LOONGSON),
    ("PCI_VENDOR_ID_LOONGSON", 0x0014, Some(0x7a09), LOONGSON),
    ("PCI_VENDOR_ID_LOONGSON", 0x0014, Some(0x7a19), LOONGSON),
    ("PCI_VENDOR_ID_LOONGSON", 0x0014, Some(0x7a29), LOONGSON),
    ("PCI_VENDOR_ID_LOONGSON", 0x0014, Some(0x7a39), LOONGSON),
    ("PCI_VENDOR_ID_LOONGSON", 0x0014, Some(0x7a49), LOONGSON),
    ("PCI_VENDOR_ID_LOONGSON", 0x0014, Some(0x7a59), LOONGSON),
    ("PCI_VENDOR_ID_LOONGSON", 0x0014, Some(0x7a69), LOONGSON),
    ("PCI_VENDOR_ID_AMAZON_ANNAPURNA_LABS", 0x1c36, Some(0x0031), "pci_quirk_al_acs"),
    ("PCI_VENDOR_ID_ZHAOXIN", 0x1d17, Some(0x3038), MF),
    ("PCI_VENDOR_ID_ZHAOXIN", 0x1d17, Some(0x3104), MF),
    ("PCI_VENDOR_ID_ZHAOXIN", 0x1d17, Some(0x9083), MF),
    ("PCI_VENDOR_ID_NXP", 0x1957, Some(0x8d81), NXP), // LX2xx0A
    ("PCI_VENDOR_ID_NXP", 0x1957, Some(0x8da1), NXP),
    ("PCI_VENDOR_ID_NXP", 0x1957, Some(0x8d83), NXP),
    ("PCI_VENDOR_ID_NXP", 0x1957, Some(0x8d80), NXP), // LX2xx0C
    ("PCI_VENDOR_ID_NXP", 0x1957, Some(0x8da0), NXP),
    ("PCI_VENDOR_ID_NXP", 0x1957, Some(0x8d82), NXP),
    ("PCI_VENDOR_ID_NXP", 0x1957, Some(0x8d90), NXP), // LX2xx0E
    ("PCI_VENDOR_ID_NXP", 0x1957, Some(0x8db0), NXP),
    ("PCI_VENDOR_ID_NXP", 0x1957, Some(0x8d92), NXP),
    ("PCI_VENDOR_ID_NXP", 0x1957, Some(0x8d91), NXP), // LX2xx0N
    ("PCI_VENDOR_ID_NXP", 0x1957, Some(0x8db1), NXP),
    ("PCI_VENDOR_ID_NXP", 0x1957, Some(0x8d93), NXP),
    ("PCI_VENDOR_ID_NXP", 0x1957, Some(0x8d89), NXP), // LX2xx2A
    ("PCI_VENDOR_ID_NXP", 0x1957, Some(0x8da9), NXP),
    ("PCI_VENDOR_ID_NXP", 0x1957, Some(0x8d8b), NXP),
    ("PCI_VENDOR_ID_NXP", 0x1957, Some(0x8d88), NXP), // LX2xx2C
    ("PCI_VENDOR_ID_NXP", 0x1957, Some(0x8da8), NXP),
    ("PCI_VENDOR_ID_NXP", 0x1957, Some(0x8d8a), NXP),
    ("PCI_VENDOR_ID_NXP", 0x1957, Some(0x8d98), NXP), // LX2xx2E
    ("PCI_VENDOR_ID_NXP", 0x1957, Some(0x8db8), NXP),
    ("PCI_VENDOR_ID_NXP", 0x1957, Some(0x8d9a), NXP),
    ("PCI_VENDOR_ID_NXP", 0x1957, Some(0x8d99), NXP), // LX2xx2N
    ("PCI_VENDOR_ID_NXP", 0x1957, Some(0x8db9), NXP),
    ("PCI_VENDOR_ID_NXP", 0x1957, Some(0x8d9b), NXP),
    ("PCI_VENDOR_ID_ZHAOXIN", 0x1d17, None, "pci_quirk_zhaoxin_pcie_ports_acs"),
    ("PCI_VENDOR_ID_WANGXUN", 0x8088, None, "pci_quirk_wangxun_nic_acs"),
];

#[test]
fn acs_quirk_table_is_v6_17_entry_for_entry() {
    let got: Vec<(u16, Option<u16>, &str)> = ACS_TABLE
        .iter()
        .map(|e| (e.vendor, e.device, e.name))
        .collect();
    let want: Vec<(u16, Option<u16>, &str)> =
        ACS_ROWS.iter().map(|&(_, v, d, q)| (v, d, q)).collect();
    assert_eq!(got, want);
}

/// The function type and extra statement text under which each quirk answers.
fn answering_device(quirk: &str, id: (u16, u16)) -> String {
    let (ty, extra) = match quirk {
        "pci_quirk_amd_sb_acs" | "pci_quirk_qcom_rp_acs" | "pci_quirk_xgene_acs" => ("pci", ""),
        "pci_quirk_mf_endpoint_acs" | "pci_quirk_wangxun_nic_acs" => ("ep", ""),
        "pci_quirk_rciep_acs" => ("rciep", ""),
        "pci_quirk_intel_spt_pch_acs" => ("rp", " acs=SV,RR,CR,UF"),
        _ => ("rp", ""),
    };
    // A second function makes 00:02.0 multifunction on the root bus (the AMD SB quirk's
    // precondition); the others do not look.
    format!(
        "iommu i kind=generic\nhost h iommu=i\npci 00:02.0 {ty} id={:04x}:{:04x}{extra}\n\
         pci 00:02.1 {ty}",
        id.0, id.1
    )
}

/// Each entry answers "isolated" for a device with its ID: explicit entries for exactly
/// that vendor:device, `PCI_ANY_ID` entries for a representative of what they match.
#[test]
fn every_acs_quirk_entry_answers_for_its_device() {
    for &(mac, vendor, device, quirk) in ACS_ROWS {
        let device = device.unwrap_or(match quirk {
            "pci_quirk_rciep_acs" => 0x1234,
            "pci_quirk_intel_pch_acs" => 0x1c10, // Cougarpoint root port
            "pci_quirk_intel_spt_pch_acs" => 0xa110, // Sunrise Point-H root port
            "pci_quirk_cavium_acs" => 0xa000,    // ThunderX1 root port
            "pci_quirk_zhaoxin_pcie_ports_acs" => 0x0710,
            _ => 0x0100, // Wangxun EM
        });
        let t = build(&answering_device(quirk, (vendor, device))).unwrap();
        let dev = t.lookup("00:02.0").unwrap();
        assert_eq!(
            pci_dev_specific_acs_enabled(&t, dev, REQ_ACS_FLAGS),
            Some(QuirkAnswer {
                enabled: true,
                quirk
            }),
            "{mac} ({vendor:04x}):{device:04x}"
        );
        // The same device ID under the next vendor has no quirk (unless that vendor has
        // a PCI_ANY_ID entry of its own).
        let other = build(&answering_device(quirk, (vendor.wrapping_add(1), device))).unwrap();
        assert_eq!(
            pci_dev_specific_acs_enabled(&other, other.lookup("00:02.0").unwrap(), REQ_ACS_FLAGS),
            None,
            "{mac} + 1 ({:04x}):{device:04x}",
            vendor.wrapping_add(1)
        );
    }
}

/// `pci_quirk_intel_pch_acs_ids[]` (v6.17), which both `pci_quirk_intel_pch_acs()` and the
/// enable quirk `pci_quirk_enable_intel_pch_acs()` match.
#[rustfmt::skip]
const INTEL_PCH_ACS_IDS: &[u16] = &[
    // Ibexpeak
    0x3b42, 0x3b43, 0x3b44, 0x3b45, 0x3b46, 0x3b47, 0x3b48, 0x3b49,
    0x3b4a, 0x3b4b, 0x3b4c, 0x3b4d, 0x3b4e, 0x3b4f, 0x3b50, 0x3b51,
    // Cougarpoint
    0x1c10, 0x1c11, 0x1c12, 0x1c13, 0x1c14, 0x1c15, 0x1c16, 0x1c17,
    0x1c18, 0x1c19, 0x1c1a, 0x1c1b, 0x1c1c, 0x1c1d, 0x1c1e, 0x1c1f,
    // Pantherpoint
    0x1e10, 0x1e11, 0x1e12, 0x1e13, 0x1e14, 0x1e15, 0x1e16, 0x1e17,
    0x1e18, 0x1e19, 0x1e1a, 0x1e1b, 0x1e1c, 0x1e1d, 0x1e1e, 0x1e1f,
    // Lynxpoint-H
    0x8c10, 0x8c11, 0x8c12, 0x8c13, 0x8c14, 0x8c15, 0x8c16, 0x8c17,
    0x8c18, 0x8c19, 0x8c1a, 0x8c1b, 0x8c1c, 0x8c1d, 0x8c1e, 0x8c1f,
    // Lynxpoint-LP
    0x9c10, 0x9c11, 0x9c12, 0x9c13, 0x9c14, 0x9c15, 0x9c16, 0x9c17,
    0x9c18, 0x9c19, 0x9c1a, 0x9c1b,
    // Wildcat
    0x9c90, 0x9c91, 0x9c92, 0x9c93, 0x9c94, 0x9c95, 0x9c96, 0x9c97,
    0x9c98, 0x9c99, 0x9c9a, 0x9c9b,
    // Patsburg (X79)
    0x1d10, 0x1d12, 0x1d14, 0x1d16, 0x1d18, 0x1d1a, 0x1d1c, 0x1d1e,
    // Wellsburg (X99)
    0x8d10, 0x8d11, 0x8d12, 0x8d13, 0x8d14, 0x8d15, 0x8d16, 0x8d17,
    0x8d18, 0x8d19, 0x8d1a, 0x8d1b, 0x8d1c, 0x8d1d, 0x8d1e,
    // Lynx Point (9 series)
    0x8c90, 0x8c92, 0x8c94, 0x8c96, 0x8c98, 0x8c9a, 0x8c9c, 0x8c9e,
];

/// The device-ID predicates of the `PCI_ANY_ID` entries, over every 16-bit ID.
#[test]
fn any_id_quirks_match_exactly_their_v6_17_device_lists() {
    for d in 0..=u16::MAX {
        assert_eq!(
            intel_pch_acs_id(d),
            INTEL_PCH_ACS_IDS.contains(&d),
            "PCH {d:04x}"
        );
        // pci_quirk_intel_spt_pch_acs_match()
        let spt = matches!(d, 0xa110..=0xa11f | 0xa167..=0xa16a | 0xa290..=0xa29f
            | 0xa2e7..=0xa2ee | 0x9d10..=0x9d1b);
        assert_eq!(intel_spt_pch_acs_id(d), spt, "SPT {d:04x}");
    }
    // pci_quirk_cavium_acs_match(): ThunderX1 0xa000..0xa7ff, ThunderX2 0xaf84,
    // ThunderX3 0xb884, root ports only.
    let cavium = |d: u16, ty: &str| {
        let t = build(&format!(
            "iommu i kind=generic\nhost h iommu=i\npci 00:02.0 {ty} id=177d:{d:04x}"
        ))
        .unwrap();
        pci_dev_specific_acs_enabled(&t, t.lookup("00:02.0").unwrap(), REQ_ACS_FLAGS)
    };
    for d in [0xa000, 0xa7ff, 0xaf84, 0xb884] {
        assert_eq!(
            cavium(d, "rp").map(|a| a.quirk),
            Some("pci_quirk_cavium_acs")
        );
        assert_eq!(cavium(d, "rciep"), None);
    }
    for d in [0x9fff, 0xa800, 0xaf83, 0xb885] {
        assert_eq!(cavium(d, "rp"), None);
    }
    // Zhaoxin ports: 0x0710..=0x071e, 0x0721, 0x0723..=0x0752 answer 1, others 0.
    let zhaoxin = |d: u16| {
        let t = build(&format!(
            "iommu i kind=generic\nhost h iommu=i\npci 00:02.0 rp id=1d17:{d:04x}"
        ))
        .unwrap();
        pci_dev_specific_acs_enabled(&t, t.lookup("00:02.0").unwrap(), REQ_ACS_FLAGS)
            .map(|a| a.enabled)
    };
    for (d, yes) in [
        (0x0710, true),
        (0x071e, true),
        (0x071f, false),
        (0x0721, true),
        (0x0722, false),
        (0x0723, true),
        (0x0752, true),
        (0x0753, false),
    ] {
        assert_eq!(zhaoxin(d), Some(yes), "zhaoxin {d:04x}");
    }
    // Wangxun NICs: EM 0x0100..=0x010f, SP 0x1001/0x2001, AML 0x5010/0x5025/0x5040/
    // 0x5110/0x5125/0x5140 answer 1; every other Wangxun device 0.
    let wangxun = |d: u16| {
        let t = build(&format!(
            "iommu i kind=generic\nhost h iommu=i\npci 00:02.0 ep id=8088:{d:04x}"
        ))
        .unwrap();
        pci_dev_specific_acs_enabled(&t, t.lookup("00:02.0").unwrap(), REQ_ACS_FLAGS)
            .map(|a| a.enabled)
    };
    for d in [
        0x0100, 0x010f, 0x1001, 0x2001, 0x5010, 0x5025, 0x5040, 0x5110, 0x5125, 0x5140,
    ] {
        assert_eq!(wangxun(d), Some(true), "wangxun {d:04x}");
    }
    for d in [0x00ff, 0x0110, 0x1002, 0x5011] {
        assert_eq!(wangxun(d), Some(false), "wangxun {d:04x}");
    }
}

/// `pci_dev_acs_ops[]` (v6.17): the Intel PCH enable quirk sets
/// `PCI_DEV_FLAGS_ACS_ENABLED_QUIRK` on the listed root ports only; the SPT enable quirk
/// changes no flag (the model's `acs-ctl` is its corrected control register).
#[test]
fn intel_pch_enable_quirk_marks_exactly_the_listed_root_ports() {
    let flag = |ty: &str, id: &str| {
        let t = build(&format!(
            "iommu i kind=generic\nhost h iommu=i\npci 00:1c.0 {ty} id={id}"
        ))
        .unwrap();
        t.pci_dev(t.lookup("00:1c.0").unwrap())
            .unwrap()
            .flags
            .acs_enabled_quirk
    };
    for &d in INTEL_PCH_ACS_IDS {
        assert!(flag("rp", &format!("8086:{d:04x}")), "{d:04x}");
    }
    assert!(!flag("rp", "8086:1d11")); // Patsburg takes even IDs only
    assert!(!flag("rp", "8086:a110")); // SPT: not this quirk
    assert!(!flag("rciep", "8086:1c10")); // root ports only
    assert!(!flag("rp", "8087:1c10")); // PCI_VENDOR_ID_INTEL only
}

/// One DMA-alias fixup line of drivers/pci/quirks.c (v6.17): the ID macro (or literal),
/// vendor, device, the hook.
#[rustfmt::skip]
const ALIAS_ROWS: &[(&str, u16, u16, &str)] = &[
    ("PCI_VENDOR_ID_RICOH, 0xe832", 0x1180, 0xe832, "quirk_dma_func0_alias"),
    ("PCI_VENDOR_ID_RICOH, 0xe476", 0x1180, 0xe476, "quirk_dma_func0_alias"),
    ("PCI_VENDOR_ID_GLENFLY, 0x3d40", 0x6766, 0x3d40, "quirk_dma_func0_alias"),
    ("PCI_VENDOR_ID_GLENFLY, 0x3d41", 0x6766, 0x3d41, "quirk_dma_func0_alias"),
    ("PCI_VENDOR_ID_MARVELL_EXT, 0x9120", 0x1b4b, 0x9120, "quirk_dma_func1_alias"),
    ("PCI_VENDOR_ID_MARVELL_EXT, 0x9123", 0x1b4b, 0x9123, "quirk_dma_func1_alias"),
    ("PCI_VENDOR_ID_MARVELL_EXT, 0x9125", 0x1b4b, 0x9125, "quirk_dma_func1_alias"),
    ("PCI_VENDOR_ID_MARVELL_EXT, 0x9128", 0x1b4b, 0x9128, "quirk_dma_func1_alias"),
    ("PCI_VENDOR_ID_MARVELL_EXT, 0x9130", 0x1b4b, 0x9130, "quirk_dma_func1_alias"),
    ("PCI_VENDOR_ID_MARVELL_EXT, 0x9170", 0x1b4b, 0x9170, "quirk_dma_func1_alias"),
    ("PCI_VENDOR_ID_MARVELL_EXT, 0x9172", 0x1b4b, 0x9172, "quirk_dma_func1_alias"),
    ("PCI_VENDOR_ID_MARVELL_EXT, 0x917a", 0x1b4b, 0x917a, "quirk_dma_func1_alias"),
    ("PCI_VENDOR_ID_MARVELL_EXT, 0x9182", 0x1b4b, 0x9182, "quirk_dma_func1_alias"),
    ("PCI_VENDOR_ID_MARVELL_EXT, 0x9183", 0x1b4b, 0x9183, "quirk_dma_func1_alias"),
    ("PCI_VENDOR_ID_MARVELL_EXT, 0x91a0", 0x1b4b, 0x91a0, "quirk_dma_func1_alias"),
    ("PCI_VENDOR_ID_MARVELL_EXT, 0x9215", 0x1b4b, 0x9215, "quirk_dma_func1_alias"),
    ("PCI_VENDOR_ID_MARVELL_EXT, 0x9220", 0x1b4b, 0x9220, "quirk_dma_func1_alias"),
    ("PCI_VENDOR_ID_MARVELL_EXT, 0x9230", 0x1b4b, 0x9230, "quirk_dma_func1_alias"),
    ("PCI_VENDOR_ID_MARVELL_EXT, 0x9235", 0x1b4b, 0x9235, "quirk_dma_func1_alias"),
    ("PCI_VENDOR_ID_TTI, 0x0642", 0x1103, 0x0642, "quirk_dma_func1_alias"),
    ("PCI_VENDOR_ID_TTI, 0x0645", 0x1103, 0x0645, "quirk_dma_func1_alias"),
    ("PCI_VENDOR_ID_JMICRON, PCI_DEVICE_ID_JMICRON_JMB388_ESD", 0x197b, 0x2392, "quirk_dma_func1_alias"),
    ("0x1c28 (Lite-On), 0x0122 (Plextor M6E)", 0x1c28, 0x0122, "quirk_dma_func1_alias"),
    ("PCI_VENDOR_ID_ADAPTEC2, 0x0285 / subsys 0x02bb", 0x9005, 0x0285, "quirk_fixed_dma_alias"),
    ("PCI_VENDOR_ID_ADAPTEC2, 0x0285 / subsys 0x02bc", 0x9005, 0x0285, "quirk_fixed_dma_alias"),
    ("PCI_VENDOR_ID_ASMEDIA, 0x1080", 0x1b21, 0x1080, "quirk_use_pcie_bridge_dma_alias"),
    ("0x10e3 (Tundra), 0x8113", 0x10e3, 0x8113, "quirk_use_pcie_bridge_dma_alias"),
    ("0x1283 (ITE), 0x8892", 0x1283, 0x8892, "quirk_use_pcie_bridge_dma_alias"),
    ("0x1283 (ITE), 0x8893", 0x1283, 0x8893, "quirk_use_pcie_bridge_dma_alias"),
    ("0x8086, 0x244e (PCI_DEVICE_ID_INTEL_82801BA_11)", 0x8086, 0x244e, "quirk_use_pcie_bridge_dma_alias"),
    ("PCI_VENDOR_ID_INTEL, 0x2260", 0x8086, 0x2260, "quirk_mic_x200_dma_alias"),
    ("PCI_VENDOR_ID_INTEL, 0x2264", 0x8086, 0x2264, "quirk_mic_x200_dma_alias"),
    ("PCI_VENDOR_ID_INTEL, 0x2954", 0x8086, 0x2954, "quirk_pex_vca_alias"),
    ("PCI_VENDOR_ID_INTEL, 0x2955", 0x8086, 0x2955, "quirk_pex_vca_alias"),
    ("PCI_VENDOR_ID_INTEL, 0x2956", 0x8086, 0x2956, "quirk_pex_vca_alias"),
    ("PCI_VENDOR_ID_INTEL, 0x2958", 0x8086, 0x2958, "quirk_pex_vca_alias"),
    ("PCI_VENDOR_ID_INTEL, 0x2959", 0x8086, 0x2959, "quirk_pex_vca_alias"),
    ("PCI_VENDOR_ID_INTEL, 0x295A", 0x8086, 0x295a, "quirk_pex_vca_alias"),
    ("PCI_VENDOR_ID_BROADCOM, 0x9000", 0x14e4, 0x9000, "quirk_bridge_cavm_thrx2_pcie_root"),
    ("PCI_VENDOR_ID_BROADCOM, 0x9084", 0x14e4, 0x9084, "quirk_bridge_cavm_thrx2_pcie_root"),
];

#[test]
fn dma_alias_fixup_tables_are_v6_17_line_for_line() {
    let ids = |hook: &str| -> Vec<(u16, u16)> {
        ALIAS_ROWS
            .iter()
            .filter(|r| r.3 == hook)
            .map(|r| (r.1, r.2))
            .collect()
    };
    assert_eq!(DMA_FUNC0_ALIAS, ids("quirk_dma_func0_alias"));
    assert_eq!(DMA_FUNC1_ALIAS, ids("quirk_dma_func1_alias"));
    let fixed: Vec<(u16, u16)> = FIXED_DMA_ALIAS.iter().map(|e| e.0).collect();
    assert_eq!(fixed, ids("quirk_fixed_dma_alias"));
    assert_eq!(
        FIXED_DMA_ALIAS
            .iter()
            .map(|e| (e.1, e.2))
            .collect::<Vec<_>>(),
        vec![((0x9005, 0x02bb), 0x08), ((0x9005, 0x02bc), 0x08)]
    );
    assert_eq!(
        PCIE_BRIDGE_DMA_ALIAS,
        ids("quirk_use_pcie_bridge_dma_alias")
    );
    assert_eq!(MIC_X200_DMA_ALIAS, ids("quirk_mic_x200_dma_alias"));
    assert_eq!(PEX_VCA_ALIAS, ids("quirk_pex_vca_alias"));
    assert_eq!(
        BRIDGE_CAVM_THRX2_PCIE_ROOT,
        ids("quirk_bridge_cavm_thrx2_pcie_root")
    );
    // JMB388 eSD, not JMB390 MS (PCI_DEVICE_ID_JMICRON_JMB390_MS = 0x2393).
    assert_eq!(DEVICE_JMICRON_JMB388_ESD, 0x2392);
}

/// What each fixup does to a device with its ID (placed at 01:00.0, or 01:00.1 where the
/// quirk only acts on another function; bridge-alias devices as a conventional function
/// below a PCIe root port, where `quirk_use_pcie_bridge_dma_alias()` applies).
#[test]
fn every_dma_alias_fixup_acts_on_its_device() {
    for &(what, vendor, device, hook) in ALIAS_ROWS {
        let (bdf, ty, subsys) = match (hook, what.ends_with("0x02bc")) {
            ("quirk_dma_func0_alias", _) => ("01:00.1", "ep", ""),
            ("quirk_use_pcie_bridge_dma_alias", _) => ("01:00.0", "pci", ""),
            ("quirk_fixed_dma_alias", false) => ("01:00.0", "ep", " subsys=9005:02bb"),
            ("quirk_fixed_dma_alias", true) => ("01:00.0", "ep", " subsys=9005:02bc"),
            _ => ("01:00.0", "ep", ""),
        };
        let t = build(&format!(
            "iommu i kind=generic\nhost h iommu=i\npci 00:1c.0 rp\n\
             pci {bdf} {ty} parent=00:1c.0 id={vendor:04x}:{device:04x}{subsys}"
        ))
        .unwrap();
        let p = t.pci_dev(t.lookup(bdf).unwrap()).unwrap();
        let aliases: Vec<u8> = match hook {
            "quirk_dma_func0_alias" => vec![0x00],
            "quirk_dma_func1_alias" => vec![0x01],
            "quirk_fixed_dma_alias" => vec![0x08],
            "quirk_mic_x200_dma_alias" => vec![0x80, 0x88, 0x93],
            "quirk_pex_vca_alias" => (0..32u8)
                .flat_map(|s| (0..5u8).map(move |f| (s << 3) | f))
                .collect(),
            _ => vec![],
        };
        assert_eq!(p.dma_aliases, aliases, "{what}");
        assert_eq!(
            p.flags.pcie_bridge_alias,
            hook == "quirk_use_pcie_bridge_dma_alias",
            "{what}"
        );
        assert_eq!(
            p.flags.bridge_xlate_root,
            hook == "quirk_bridge_cavm_thrx2_pcie_root",
            "{what}"
        );
    }
    // The function-relative quirks leave the function they alias to alone, and the
    // Adaptec alias needs the subsystem IDs.
    let t = build(
        "iommu i kind=generic\nhost h iommu=i\npci 00:1c.0 rp\n\
         pci 01:00.0 ep parent=00:1c.0 id=1180:e832\n\
         pci 01:01.1 ep parent=00:1c.0 id=197b:2392\n\
         pci 01:02.0 ep parent=00:1c.0 id=9005:0285\n\
         pci 01:03.0 ep parent=00:1c.0 id=197b:2393",
    )
    .unwrap();
    let aliases = |b: &str| t.pci_dev(t.lookup(b).unwrap()).unwrap().dma_aliases.clone();
    assert_eq!(aliases("01:00.0"), Vec::<u8>::new());
    assert_eq!(aliases("01:01.1"), Vec::<u8>::new());
    assert_eq!(aliases("01:02.0"), Vec::<u8>::new());
    // JMB390 MS (0x2393) has no DMA alias quirk.
    assert_eq!(aliases("01:03.0"), Vec::<u8>::new());
}
