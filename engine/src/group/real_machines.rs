//! Real machines (shared/real-machines/, copied verbatim to `fixtures/`): the topology is
//! rebuilt from the listing's BDFs and vendor:device IDs (parents inferred from bus numbers
//! where the listing has no tree), and the computed groups must equal the listing's.

use super::tests::build;
use super::*;
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

/// Parses "IOMMU group N BB:DD.F ..." lines and the "IOMMU group N" / "IOMMU Group N:" +
/// indented "BB:DD.F" layouts. Any other unindented line ends a group.
fn listing_partition(text: &str) -> Vec<Vec<String>> {
    let mut groups: VecMap<u32, VecSet<String>> = VecMap::new();
    let mut current: Option<u32> = None;
    for line in text.lines() {
        let l = line.trim();
        let header = l
            .get(..12)
            .filter(|h| h.eq_ignore_ascii_case("IOMMU group "))
            .and_then(|_| l.get(12..));
        if let Some(rest) = header {
            let mut w = rest.split_whitespace();
            current = w.next().and_then(|n| n.trim_end_matches(':').parse().ok());
            if let (Some(g), Some(bdf)) = (current, w.next()) {
                groups.entry(g).or_default().insert(bdf.to_string());
            }
        } else if !line.starts_with(char::is_whitespace) {
            current = None;
        } else if let (Some(g), Some(bdf)) = (current, l.split_whitespace().next()) {
            if crate::topology::Bdf::parse(bdf).is_some() {
                groups.entry(g).or_default().insert(bdf.to_string());
            }
        }
    }
    let mut v: Vec<Vec<String>> = groups
        .into_values()
        .map(|s| s.into_iter().collect())
        .collect();
    v.sort();
    v
}

/// Checks mainline against the listing, and that acs-fix gives the same groups: the series'
/// cover letter reports "No change in grouping" on Intel 100-series/C230, Sunrise Point and
/// similar client systems.
/// `split_by_fix` lists groups acs-fix is expected to split (PCIe-to-PCI bridge groups).
fn check(
    topology: &str,
    listing: &str,
    groups: usize,
    split_by_fix: Option<&[(&str, &str)]>,
) -> (Topology, Groups) {
    let t = build(topology).unwrap();
    let mut want = listing_partition(listing);
    assert_eq!(want.len(), groups, "fixture parse");
    let fixed = Config {
        acs_fix: true,
        ..Config::default()
    };
    let mut out = None;
    let mainline = want.clone();
    for &(bridge, below) in split_by_fix.unwrap_or(&[]) {
        want.retain(|g| g != &[bridge.to_string(), below.to_string()]);
        want.push(vec![bridge.to_string()]);
        want.push(vec![below.to_string()]);
    }
    want.sort();
    for config in [fixed, Config::default()] {
        if config.acs_fix && split_by_fix.is_none() {
            continue;
        }
        if !config.acs_fix {
            want = mainline.clone();
        }
        let mut g = Groups::new(config);
        for (d, r) in g.probe_all(&t) {
            assert!(r.is_ok(), "{}: {:?}", t.name(d), r);
        }
        assert_eq!(g.partition(), want, "acs_fix={}", config.acs_fix);
        out = Some(g);
    }
    (t, out.unwrap_or_else(|| Groups::new(Config::default())))
}

/// Intel 100/200-series client board. Host bridge, PEG port 8086:1901 (no ACS capability),
/// iGPU, PCH functions (conventional PCI, no PCIe capability), Sunrise/Union Point root
/// ports with an ACS capability (pci_quirk_intel_spt_pch_acs), I219 (mf-endpoint quirk).
const SKYLAKE_PCH: &str = "iommu dmar0 kind=generic\nhost pci0 iommu=dmar0\n\
    pci 00:00.0 pci id=8086:191f\n\
    pci 00:01.0 rp id=8086:1901\n\
    pci 01:00.0 ep parent=00:01.0\n\
    pci 01:00.1 ep parent=00:01.0\n\
    pci 00:02.0 pci id=8086:1912\n\
    pci 00:14.0 pci id=8086:a12f\n\
    pci 00:14.2 pci id=8086:a131\n\
    pci 00:16.0 pci id=8086:a13a\n\
    pci 00:17.0 pci id=8086:a102\n\
    pci 00:1c.0 rp acs=SV,RR,CR,UF id=8086:a110\n\
    pci 00:1c.4 rp acs=SV,RR,CR,UF id=8086:a114\n\
    pci 00:1c.6 rp acs=SV,RR,CR,UF id=8086:a116\n\
    pci 00:1d.0 rp acs=SV,RR,CR,UF id=8086:a118\n\
    pci 00:1f.0 pci id=8086:a145\n\
    pci 00:1f.2 pci id=8086:a121\n\
    pci 00:1f.3 pci id=8086:a170\n\
    pci 00:1f.4 pci id=8086:a123\n\
    pci 00:1f.6 pci id=8086:15b8\n\
    pci 03:00.0 ep parent=00:1c.4 id=1b21:1242\n\
    pci 04:00.0 ep parent=00:1c.6 id=8086:08b1\n";

#[test]
fn asrock_z170_gaming_itx_matches_its_listing() {
    let (t, g) = check(
        SKYLAKE_PCH,
        include_str!("fixtures/asrock-z170-gaming-itx.txt"),
        14,
        Some(&[]),
    );
    let r = |d: &str| g.reason(t.lookup(d).unwrap()).unwrap().to_string();
    assert_eq!(
        r("01:00.1"),
        "joined 00:01.0's group: root port 00:01.0 has no ACS capability"
    );
    assert_eq!(
        r("00:1f.4"),
        "multifunction slot 00:1f without ACS: joined 00:1f.0's group"
    );
    assert_eq!(
        r("00:1f.6"),
        "starts the group: nothing it shares DMA with had a group yet"
    );
    // Without the SPT quirk IDs the root ports still isolate through their ACS capability,
    // but without the I219 ID the NIC joins the rest of slot 1f.
    let t2 = build(&SKYLAKE_PCH.replace(" id=8086:15b8", "")).unwrap();
    let mut g2 = Groups::new(Config::default());
    g2.probe_all(&t2);
    assert_eq!(g2.partition().len(), 13);
}

#[test]
fn asrock_z370m_itx_matches_its_listing() {
    let topo = "iommu dmar0 kind=generic\nhost pci0 iommu=dmar0\n\
        pci 00:00.0 pci id=8086:3ec2\n\
        pci 00:01.0 rp id=8086:1901\n\
        pci 01:00.0 ep parent=00:01.0 id=10de:1d01\n\
        pci 01:00.1 ep parent=00:01.0 id=10de:0fb8\n\
        pci 00:02.0 pci id=8086:3e92\n\
        pci 00:14.0 pci id=8086:a2af\n\
        pci 00:14.2 pci id=8086:a2b1\n\
        pci 00:16.0 pci id=8086:a2ba\n\
        pci 00:17.0 pci id=8086:a282\n\
        pci 00:1c.0 rp acs=SV,RR,CR,UF id=8086:a290\n\
        pci 00:1c.5 rp acs=SV,RR,CR,UF id=8086:a295\n\
        pci 00:1c.6 rp acs=SV,RR,CR,UF id=8086:a296\n\
        pci 00:1d.0 rp acs=SV,RR,CR,UF id=8086:a298\n\
        pci 00:1f.0 pci id=8086:a2c9\n\
        pci 00:1f.2 pci id=8086:a2a1\n\
        pci 00:1f.3 pci id=8086:a2f0\n\
        pci 00:1f.4 pci id=8086:a2a3\n\
        pci 00:1f.6 pci id=8086:15b8\n\
        pci 03:00.0 ep parent=00:1c.5 id=8086:1539\n\
        pci 04:00.0 ep parent=00:1c.6 id=8086:24fb\n\
        pci 05:00.0 ep parent=00:1d.0 id=15b7:5009\n";
    check(
        topo,
        include_str!("fixtures/asrock-z370m-itx-coffeelake.txt"),
        15,
        Some(&[]),
    );
}

#[test]
fn fujitsu_tx1320m3_server_matches_its_listing() {
    // I350 (8086:1521) functions are split by pci_quirk_mf_endpoint_acs; the BMC's
    // Matrox + Emulex iRMC functions (no quirk) share one group.
    let topo = "iommu dmar0 kind=generic\nhost pci0 iommu=dmar0\n\
        pci 00:00.0 pci id=8086:5918\n\
        pci 00:01.0 rp id=8086:1901\n\
        pci 01:00.0 ep parent=00:01.0 id=1987:5012\n\
        pci 00:14.0 pci id=8086:a12f\n\
        pci 00:14.2 pci id=8086:a131\n\
        pci 00:16.0 pci id=8086:a13a\n\
        pci 00:16.1 pci id=8086:a13b\n\
        pci 00:17.0 pci id=8086:a102\n\
        pci 00:1c.0 rp acs=SV,RR,CR,UF id=8086:a114\n\
        pci 00:1c.5 rp acs=SV,RR,CR,UF id=8086:a115\n\
        pci 00:1c.6 rp acs=SV,RR,CR,UF id=8086:a116\n\
        pci 00:1d.0 rp acs=SV,RR,CR,UF id=8086:a118\n\
        pci 00:1f.0 pci id=8086:a149\n\
        pci 00:1f.2 pci id=8086:a121\n\
        pci 00:1f.4 pci id=8086:a123\n\
        pci 02:00.0 ep parent=00:1c.0 id=102b:0522\n\
        pci 02:00.1 ep parent=00:1c.0 id=19a2:0800\n\
        pci 03:00.0 ep parent=00:1c.5 id=8086:1533\n\
        pci 04:00.0 ep parent=00:1c.6 id=8086:1533\n\
        pci 05:00.0 ep parent=00:1d.0 id=8086:1521\n\
        pci 05:00.1 ep parent=00:1d.0 id=8086:1521\n";
    let (t, g) = check(
        topo,
        include_str!("fixtures/fujitsu-tx1320m3-c236.txt"),
        15,
        Some(&[]),
    );
    assert_eq!(
        g.reason(t.lookup("02:00.1").unwrap()).unwrap().to_string(),
        "multifunction slot 02:00 without ACS: joined 02:00.0's group"
    );
}

#[test]
fn supermicro_x11scl_server_matches_its_listing() {
    // I350 behind the PEG port (no ACS): its quirk does not help, the port's group wins.
    // AST1150 PCIe-to-PCI bridge: the BMC VGA behind it aliases the bridge.
    let topo = "iommu dmar0 kind=generic\nhost pci0 iommu=dmar0\n\
        pci 00:00.0 pci id=8086:3e1f\n\
        pci 00:01.0 rp id=8086:1901\n\
        pci 01:00.0 ep parent=00:01.0 id=8086:1521\n\
        pci 01:00.1 ep parent=00:01.0 id=8086:1521\n\
        pci 00:08.0 pci id=8086:1911\n\
        pci 00:12.0 pci id=8086:a379\n\
        pci 00:14.0 pci id=8086:a36d\n\
        pci 00:14.2 pci id=8086:a36f\n\
        pci 00:15.0 pci id=8086:a368\n\
        pci 00:15.1 pci id=8086:a369\n\
        pci 00:16.0 pci id=8086:a360\n\
        pci 00:16.4 pci id=8086:a364\n\
        pci 00:17.0 pci id=8086:a352\n\
        pci 00:1b.0 rp acs=SV,RR,CR,UF id=8086:a32d\n\
        pci 00:1b.6 rp acs=SV,RR,CR,UF id=8086:a32e\n\
        pci 00:1c.0 rp acs=SV,RR,CR,UF id=8086:a338\n\
        pci 00:1c.1 rp acs=SV,RR,CR,UF id=8086:a339\n\
        pci 00:1d.0 rp acs=SV,RR,CR,UF id=8086:a330\n\
        pci 00:1e.0 pci id=8086:a328\n\
        pci 00:1f.0 pci id=8086:a30a\n\
        pci 00:1f.4 pci id=8086:a323\n\
        pci 00:1f.5 pci id=8086:a324\n\
        pci 02:00.0 ep parent=00:1b.0 id=8086:1533\n\
        pci 03:00.0 ep parent=00:1b.6 id=8086:1533\n\
        pci 05:00.0 bridge parent=00:1c.1 id=1a03:1150\n\
        pci 06:00.0 pci parent=05:00.0 id=1a03:2000\n\
        pci 07:00.0 ep parent=00:1d.0 id=15b7:5009\n";
    // acs-fix: the bridge (no MMIO) leaves the group of the bus behind it.
    let (t, g) = check(
        topo,
        include_str!("fixtures/supermicro-x11scl-if-c242.txt"),
        19,
        Some(&[("05:00.0", "06:00.0")]),
    );
    let r = |d: &str| g.reason(t.lookup(d).unwrap()).unwrap().to_string();
    assert_eq!(
        r("06:00.0"),
        "aliases through PCIe-to-PCI bridge 05:00.0 (requester ID 06:00.0)"
    );
    assert_eq!(
        r("01:00.1"),
        "joined 00:01.0's group: root port 00:01.0 has no ACS capability"
    );
}

#[test]
fn msi_b550m_mortar_amd_matches_its_listing() {
    // Matisse: dummy host bridges beside ACS GPP bridges; the B550 chipset is a
    // multifunction device (USB, SATA, switch upstream port 02:00.2) without ACS whose
    // downstream ports lack ACS too, so everything behind it is one group. The GPU's four
    // functions share a group; the CPU's 2d:00.x functions have ACS and are each alone.
    // acs-fix is not checked here (its host-bridge rule would also split 00:18.x).
    let topo = "iommu amdvi kind=generic\nhost pci0 iommu=amdvi\n\
        pci 00:01.0 host-bridge id=1022:1482\n\
        pci 00:01.2 rp acs=SV,RR,CR,UF id=1022:1483\n\
        pci 00:02.0 host-bridge id=1022:1482\n\
        pci 00:03.0 host-bridge id=1022:1482\n\
        pci 00:03.1 rp acs=SV,RR,CR,UF id=1022:1483\n\
        pci 00:04.0 host-bridge id=1022:1482\n\
        pci 00:05.0 host-bridge id=1022:1482\n\
        pci 00:07.0 host-bridge id=1022:1482\n\
        pci 00:07.1 rp acs=SV,RR,CR,UF id=1022:1484\n\
        pci 00:08.0 host-bridge id=1022:1482\n\
        pci 00:08.1 rp acs=SV,RR,CR,UF id=1022:1484\n\
        pci 00:14.0 pci id=1022:790b\n\
        pci 00:14.3 pci id=1022:790e\n\
        pci 00:18.0 host-bridge id=1022:1440\n\
        pci 00:18.1 host-bridge id=1022:1441\n\
        pci 00:18.2 host-bridge id=1022:1442\n\
        pci 00:18.3 host-bridge id=1022:1443\n\
        pci 00:18.4 host-bridge id=1022:1444\n\
        pci 00:18.5 host-bridge id=1022:1445\n\
        pci 00:18.6 host-bridge id=1022:1446\n\
        pci 00:18.7 host-bridge id=1022:1447\n\
        pci 02:00.0 ep parent=00:01.2 id=1022:43ee\n\
        pci 02:00.1 ep parent=00:01.2 id=1022:43eb\n\
        pci 02:00.2 usp parent=00:01.2 id=1022:43e9\n\
        pci 03:00.0 dsp parent=02:00.2 id=1022:43ea\n\
        pci 03:09.0 dsp parent=02:00.2 id=1022:43ea\n\
        pci 04:00.0 ep parent=03:00.0 id=10de:128b\n\
        pci 04:00.1 ep parent=03:00.0 id=10de:0e0f\n\
        pci 2a:00.0 ep parent=03:09.0 id=10ec:8125\n\
        pci 2b:00.0 ep parent=00:03.1 id=10de:1e84\n\
        pci 2b:00.1 ep parent=00:03.1 id=10de:10f8\n\
        pci 2b:00.2 ep parent=00:03.1 id=10de:1ad8\n\
        pci 2b:00.3 ep parent=00:03.1 id=10de:1ad9\n\
        pci 2c:00.0 ep parent=00:07.1 id=1022:148a\n\
        pci 2d:00.0 ep parent=00:08.1 acs=SV,RR,CR,UF id=1022:1485\n\
        pci 2d:00.1 ep parent=00:08.1 acs=SV,RR,CR,UF id=1022:1486\n\
        pci 2d:00.3 ep parent=00:08.1 acs=SV,RR,CR,UF id=1022:149c\n\
        pci 2d:00.4 ep parent=00:08.1 acs=SV,RR,CR,UF id=1022:1487\n";
    let (t, g) = check(
        topo,
        include_str!("fixtures/msi-b550m-mortar.txt"),
        20,
        None,
    );
    let r = |d: &str| g.reason(t.lookup(d).unwrap()).unwrap().to_string();
    assert_eq!(
        r("04:00.0"),
        "joined 03:00.0's group: switch downstream port 03:00.0 has no ACS capability"
    );
    assert_eq!(
        r("03:00.0"),
        "joined 02:00.2's group: switch upstream port 02:00.2 has no ACS capability"
    );
    assert_eq!(
        r("02:00.2"),
        "multifunction slot 02:00 without ACS: joined 02:00.0's group"
    );
}

#[test]
fn asus_z690_thunderbolt4_matches_its_listing() {
    // Alder Lake + Z690: CPU and PCH root ports with ACS; a Navi switch (single-function
    // USP/DSP) with a GPU whose two functions have ACS (split); a Baffin GPU without ACS
    // (one group); a Maple Ridge Thunderbolt 4 switch whose downstream ports have ACS, so
    // the NHI and the TB USB controller are alone. Parents inferred from bus numbers.
    let topo = "iommu dmar0 kind=generic\nhost pci0 iommu=dmar0\n\
        pci 00:00.0 pci id=8086:4660\n\
        pci 00:01.0 rp acs=SV,RR,CR,UF id=8086:460d\n\
        pci 00:01.1 rp acs=SV,RR,CR,UF id=8086:462d\n\
        pci 00:02.0 pci id=8086:4680\n\
        pci 00:06.0 rp acs=SV,RR,CR,UF id=8086:464d\n\
        pci 00:0a.0 pci id=8086:467d\n\
        pci 00:0e.0 pci id=8086:467f\n\
        pci 00:14.0 pci id=8086:7ae0\n\
        pci 00:14.2 pci id=8086:7aa7\n\
        pci 00:15.0 pci id=8086:7acc\n\
        pci 00:15.1 pci id=8086:7acd\n\
        pci 00:15.2 pci id=8086:7ace\n\
        pci 00:16.0 pci id=8086:7ae8\n\
        pci 00:17.0 pci id=8086:7ae2\n\
        pci 00:1a.0 rp acs=SV,RR,CR,UF id=8086:7ac8\n\
        pci 00:1b.0 rp acs=SV,RR,CR,UF id=8086:7ac0\n\
        pci 00:1c.0 rp acs=SV,RR,CR,UF id=8086:7ab8\n\
        pci 00:1c.2 rp acs=SV,RR,CR,UF id=8086:7aba\n\
        pci 00:1c.3 rp acs=SV,RR,CR,UF id=8086:7abb\n\
        pci 00:1c.4 rp acs=SV,RR,CR,UF id=8086:7abc\n\
        pci 00:1d.0 rp acs=SV,RR,CR,UF id=8086:7ab0\n\
        pci 00:1f.0 pci id=8086:7a84\n\
        pci 00:1f.3 pci id=8086:7ad0\n\
        pci 00:1f.4 pci id=8086:7aa3\n\
        pci 00:1f.5 pci id=8086:7aa4\n\
        pci 01:00.0 usp parent=00:01.0 id=1002:1478\n\
        pci 02:00.0 dsp parent=01:00.0 acs=SV,RR,CR,UF id=1002:1479\n\
        pci 03:00.0 ep parent=02:00.0 acs=SV,RR,CR,UF id=1002:73df\n\
        pci 03:00.1 ep parent=02:00.0 acs=SV,RR,CR,UF id=1002:ab28\n\
        pci 04:00.0 ep parent=00:01.1 id=1002:67ff\n\
        pci 04:00.1 ep parent=00:01.1 id=1002:aae0\n\
        pci 05:00.0 ep parent=00:06.0 id=15b7:5011\n\
        pci 06:00.0 ep parent=00:1a.0 id=144d:a808\n\
        pci 08:00.0 ep parent=00:1c.0 id=1d6a:94c0\n\
        pci 09:00.0 ep parent=00:1c.2 id=8086:2725\n\
        pci 0a:00.0 ep parent=00:1c.3 id=8086:15f3\n\
        pci 0b:00.0 usp parent=00:1c.4 id=8086:1136\n\
        pci 0c:00.0 dsp parent=0b:00.0 acs=SV,RR,CR,UF id=8086:1136\n\
        pci 0c:01.0 dsp parent=0b:00.0 acs=SV,RR,CR,UF id=8086:1136\n\
        pci 0c:02.0 dsp parent=0b:00.0 acs=SV,RR,CR,UF id=8086:1136\n\
        pci 0c:03.0 dsp parent=0b:00.0 acs=SV,RR,CR,UF id=8086:1136\n\
        pci 0d:00.0 ep parent=0c:00.0 id=8086:1137\n\
        pci 41:00.0 ep parent=0c:02.0 id=8086:1138\n";
    let (t, g) = check(
        topo,
        include_str!("fixtures/asus-z690-alderlake-tb4.txt"),
        36,
        Some(&[]),
    );
    let r = |d: &str| g.reason(t.lookup(d).unwrap()).unwrap().to_string();
    assert_eq!(
        r("04:00.1"),
        "multifunction slot 04:00 without ACS: joined 04:00.0's group"
    );
    assert_eq!(
        r("03:00.1"),
        "starts the group: nothing it shares DMA with had a group yet"
    );
}
