//! Grouping as specification: the worked topologies of shared/MODEL.md §1.3, consumer and
//! server boards, SMMUv2 stream matching, hot-plug, acs-fix, and real machines.

use super::*;
use crate::topology::AliasKind;
use crate::topology::{AcsDenial, Bdf, HostSpec, IommuSpec, PciSpec, PciType, PlatformSpec, Rid};
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

/// A tiny fixture reader for the topology statements of shared/SCENARIO.md (tests only; the
/// real parser lives elsewhere). Extra: `mf=0|1` overrides the multifunction bit
/// (`multifunction` is the language's `mf=1`).
pub(crate) fn build(text: &str) -> Result<Topology, TopologyError> {
    build_from(text.lines(), true)
}

/// [`build`] over lines; with `strict == false` non-topology statements are skipped.
fn build_from<'a>(
    lines: impl Iterator<Item = &'a str>,
    strict: bool,
) -> Result<Topology, TopologyError> {
    let mut t = Topology::new();
    for line in lines {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        let kv = |k: &str| -> Option<&str> {
            words
                .iter()
                .find_map(|w| w.strip_prefix(k).and_then(|r| r.strip_prefix('=')))
        };
        let num = |s: &str| -> u32 {
            match s.strip_prefix("0x") {
                Some(h) => u32::from_str_radix(&h.replace('_', ""), 16).unwrap(),
                None => s.parse().unwrap(),
            }
        };
        let id = |s: &str| -> (u16, u16) {
            let (v, d) = s.split_once(':').unwrap();
            (
                u16::from_str_radix(v, 16).unwrap(),
                u16::from_str_radix(d, 16).unwrap(),
            )
        };
        match words[0] {
            "iommu" => {
                let kind = IommuKind::from_keyword(kv("kind").unwrap_or("generic"))
                    .unwrap_or(IommuKind::Generic);
                let mut spec = IommuSpec::new(words[1], kind);
                if let Some(n) = kv("smrs") {
                    spec = spec.smrs(num(n));
                }
                t.add_iommu(spec)?;
            }
            "host" => {
                let mut h = HostSpec::new(words[1], kv("iommu").unwrap());
                if let Some(s) = kv("segment") {
                    h = h.segment(num(s) as u16);
                }
                if let Some(b) = kv("bus") {
                    h = h.bus(num(b) as u8);
                }
                t.add_host(h)?;
            }
            "pci" => {
                let bdf = Bdf::parse(words[1]).ok_or(TopologyError::BadBdf(words[1].into()))?;
                let mut s = PciSpec::new(bdf, PciType::from_keyword(words[2]).unwrap());
                if let Some(p) = kv("parent") {
                    s = s.parent(Bdf::parse(p).unwrap());
                }
                if let Some(h) = kv("host") {
                    s = s.host(h);
                }
                if let Some(a) = kv("acs") {
                    // `acs=none`: the capability with no flag.
                    s = s.acs(AcsFlags::parse_list(a.trim_start_matches("none")).unwrap());
                }
                if let Some(c) = kv("acs-cap") {
                    s.acs_cap = Some(AcsFlags::parse_list(c).unwrap());
                }
                if let Some(c) = kv("acs-ctl") {
                    s.acs_ctl = AcsFlags::parse_list(c).unwrap();
                }
                if let Some(i) = kv("id") {
                    let (v, d) = id(i);
                    s = s.id(v, d);
                }
                if let Some(i) = kv("subsys") {
                    let (v, d) = id(i);
                    s = s.subsys(v, d);
                }
                if words.contains(&"untrusted") {
                    s = s.untrusted();
                }
                if let Some(m) = kv("mf") {
                    s = s.multifunction(m == "1");
                }
                if words.contains(&"multifunction") {
                    s = s.multifunction(true);
                }
                if let Some(n) = kv("sriov") {
                    let off = kv("vf-offset").map_or(1, num) as u16;
                    let stride = kv("vf-stride").map_or(1, num) as u16;
                    s = s.sriov(num(n) as u16, off, stride);
                }
                t.add_pci(s)?;
            }
            "platform" => {
                let mut s = PlatformSpec::new(words[1], kv("iommu").unwrap());
                if let Some(sids) = kv("sid") {
                    for sid in sids.split(',') {
                        s = s.sid(num(sid), kv("mask").map(num).unwrap_or(0));
                    }
                }
                t.add_platform(s)?;
            }
            "alias" => t.add_alias(Bdf::parse(words[1]).unwrap(), Bdf::parse(words[3]).unwrap())?,
            other => assert!(!strict, "fixture: unknown statement {other}"),
        }
    }
    Ok(t)
}

fn probe(text: &str, config: Config) -> (Topology, Groups) {
    let t = build(text).unwrap();
    let mut g = Groups::new(config);
    for (d, r) in g.probe_all(&t) {
        assert!(r.is_ok(), "probe {} failed: {:?}", t.name(d), r);
    }
    (t, g)
}

/// Every device's probe result, by name, in probe order.
fn probe_results(g: &mut Groups, t: &Topology) -> Vec<(String, Result<GroupId, Errno>)> {
    g.probe_all(t)
        .into_iter()
        .map(|(d, r)| (t.name(d).to_string(), r))
        .collect()
}

fn mainline(text: &str) -> (Topology, Groups) {
    probe(text, Config::default())
}

fn acs_fix(text: &str) -> (Topology, Groups) {
    probe(
        text,
        Config {
            acs_fix: true,
            ..Config::default()
        },
    )
}

/// The expected partition, normalised like [`Groups::partition`].
fn part(groups: &[&[&str]]) -> Vec<Vec<String>> {
    let mut v: Vec<Vec<String>> = groups
        .iter()
        .map(|g| {
            let mut g: Vec<String> = g.iter().map(|s| s.to_string()).collect();
            g.sort();
            g
        })
        .collect();
    v.sort();
    v
}

fn why(t: &Topology, g: &Groups, dev: &str) -> String {
    g.reason(t.lookup(dev).unwrap()).unwrap().to_string()
}

fn gid(t: &Topology, g: &Groups, dev: &str) -> u32 {
    g.group_of(t.lookup(dev).unwrap()).unwrap().0
}

const HOST: &str = "iommu dmar0 kind=generic\nhost pci0 iommu=dmar0\n";

// ------------------------------------------------------------------ MODEL.md §1.3

#[test]
fn rciep_single_function_on_root_bus_gets_its_own_group() {
    let (t, g) = mainline(&format!("{HOST}pci 00:02.0 rciep"));
    assert_eq!(g.partition(), part(&[&["00:02.0"]]));
    assert_eq!(
        why(&t, &g, "00:02.0"),
        "starts the group: nothing it shares DMA with had a group yet"
    );
    assert_eq!(gid(&t, &g, "00:02.0"), 0);
}

#[test]
fn endpoint_below_acs_root_port_is_isolated() {
    let (t, g) = mainline(&format!(
        "{HOST}pci 00:1c.0 rp acs=SV,RR,CR,UF\npci 01:00.0 ep parent=00:1c.0"
    ));
    assert_eq!(g.partition(), part(&[&["00:1c.0"], &["01:00.0"]]));
    assert_eq!(
        g.reason(t.lookup("01:00.0").unwrap()),
        Some(&GroupReason::OwnGroup)
    );
    assert_eq!((gid(&t, &g, "00:1c.0"), gid(&t, &g, "01:00.0")), (0, 1));
}

#[test]
fn root_port_without_acs_takes_everything_below_and_its_non_acs_slot_siblings() {
    let (t, g) = mainline(&format!(
        "{HOST}pci 00:1c.0 rp\npci 00:1c.4 rp\npci 02:00.0 ep parent=00:1c.4\n\
         pci 01:00.0 ep parent=00:1c.0"
    ));
    assert_eq!(
        g.partition(),
        part(&[&["00:1c.0", "00:1c.4", "01:00.0", "02:00.0"]])
    );
    assert_eq!(
        why(&t, &g, "02:00.0"),
        "joined 00:1c.4's group: root port 00:1c.4 has no ACS capability"
    );
    assert_eq!(
        why(&t, &g, "00:1c.4"),
        "multifunction slot 00:1c without ACS: joined 00:1c.0's group"
    );
    assert_eq!(
        g.reason(t.lookup("01:00.0").unwrap()),
        Some(&GroupReason::UpstreamNoAcs {
            joined: "00:1c.0".into(),
            culprit: "00:1c.0".into(),
            culprit_type: PciType::RootPort,
            denial: AcsDenial::NoCapability,
        })
    );
}

#[test]
fn lone_root_port_without_acs_shares_with_its_endpoint() {
    let (t, g) = mainline(&format!(
        "{HOST}pci 00:1c.4 rp\npci 02:00.0 ep parent=00:1c.4"
    ));
    assert_eq!(g.partition(), part(&[&["00:1c.4", "02:00.0"]]));
    assert_eq!(
        why(&t, &g, "02:00.0"),
        "joined 00:1c.4's group: root port 00:1c.4 has no ACS capability"
    );
}

const GPU: &str = "pci 00:01.0 rp acs=SV,RR,CR,UF\npci 03:00.0 ep parent=00:01.0 {A}\n\
                   pci 03:00.1 ep parent=00:01.0 {A}\n";

#[test]
fn gpu_and_audio_functions_without_acs_share_a_group() {
    let (t, g) = mainline(&format!("{HOST}{}", GPU.replace("{A}", "")));
    assert_eq!(
        g.partition(),
        part(&[&["00:01.0"], &["03:00.0", "03:00.1"]])
    );
    assert_eq!(
        why(&t, &g, "03:00.1"),
        "multifunction slot 03:00 without ACS: joined 03:00.0's group"
    );
    assert!(t.multifunction(t.lookup("03:00.0").unwrap()));
}

#[test]
fn gpu_and_audio_functions_with_acs_are_separate() {
    let (_, g) = mainline(&format!("{HOST}{}", GPU.replace("{A}", "acs=SV,RR,CR,UF")));
    assert_eq!(
        g.partition(),
        part(&[&["00:01.0"], &["03:00.0"], &["03:00.1"]])
    );
}

const PCI_BRIDGE: &str = "pci 00:1e.0 rp acs=SV,RR,CR,UF\npci 05:00.0 bridge parent=00:1e.0\n\
                          pci 06:01.0 pci parent=05:00.0\npci 06:02.0 pci parent=05:00.0\n";

#[test]
fn conventional_devices_behind_pcie_to_pci_bridge_alias_the_bridge() {
    let (t, g) = mainline(&format!("{HOST}{PCI_BRIDGE}"));
    assert_eq!(
        g.partition(),
        part(&[&["00:1e.0"], &["05:00.0", "06:01.0", "06:02.0"]])
    );
    assert_eq!(
        why(&t, &g, "06:01.0"),
        "aliases through PCIe-to-PCI bridge 05:00.0 (requester ID 06:00.0)"
    );
    assert_eq!(
        g.reason(t.lookup("06:02.0").unwrap()),
        Some(&GroupReason::DmaAlias {
            bridge: "05:00.0".into(),
            bridge_type: PciType::PcieToPciBridge,
            kind: AliasKind::PcieToPciBridge,
            requester_id: Rid::new(6, 0),
        })
    );
}

const SWITCH: &str = "pci 00:1c.0 rp acs=SV,RR,CR,UF\npci 07:00.0 usp parent=00:1c.0\n\
                      pci 08:01.0 dsp parent=07:00.0 {A}\npci 08:02.0 dsp parent=07:00.0 {A}\n\
                      pci 09:00.0 ep parent=08:01.0\npci 0a:00.0 ep parent=08:02.0\n";

#[test]
fn switch_with_acs_downstream_ports_gives_singleton_groups() {
    let (_, g) = mainline(&format!(
        "{HOST}{}",
        SWITCH.replace("{A}", "acs=SV,RR,CR,UF")
    ));
    assert_eq!(
        g.partition(),
        part(&[
            &["00:1c.0"],
            &["07:00.0"],
            &["08:01.0"],
            &["08:02.0"],
            &["09:00.0"],
            &["0a:00.0"]
        ])
    );
}

#[test]
fn switch_downstream_ports_without_acs_each_take_their_endpoint() {
    let (t, g) = mainline(&format!("{HOST}{}", SWITCH.replace("{A}", "")));
    assert_eq!(
        g.partition(),
        part(&[
            &["00:1c.0"],
            &["07:00.0"],
            &["08:01.0", "09:00.0"],
            &["08:02.0", "0a:00.0"]
        ])
    );
    assert_eq!(
        why(&t, &g, "0a:00.0"),
        "joined 08:02.0's group: switch downstream port 08:02.0 has no ACS capability"
    );
}

#[test]
fn marvell_sata_function1_alias_joins_function0() {
    // 1b4b:9230 (quirk_dma_func1_alias) at 04:00.0 uses 04:00.1's requester ID too.
    let text = format!(
        "{HOST}pci 00:1c.0 rp acs=SV,RR,CR,UF\n\
         pci 04:00.0 ep parent=00:1c.0 id=1b4b:9230 acs=SV,RR,CR,UF\n\
         pci 04:00.1 ep parent=00:1c.0 acs=SV,RR,CR,UF"
    );
    let (t, g) = mainline(&text);
    assert_eq!(
        t.pci_dev(t.lookup("04:00.0").unwrap()).unwrap().dma_aliases,
        vec![1]
    );
    assert_eq!(
        g.partition(),
        part(&[&["00:1c.0"], &["04:00.0", "04:00.1"]])
    );
    assert_eq!(
        why(&t, &g, "04:00.1"),
        "04:00.1 and 04:00.0 are DMA aliases"
    );
    // Without the quirk ID the functions (both with ACS) are separate.
    let (_, g2) = mainline(&text.replace(" id=1b4b:9230", ""));
    assert_eq!(g2.partition().len(), 3);
    // The `alias` statement sets the same dma_alias_mask bit.
    let (t3, g3) = mainline(&format!(
        "{}\nalias 04:00.0 -> 04:00.1",
        text.replace(" id=1b4b:9230", "")
    ));
    assert_eq!(g3.partition(), g.partition());
    assert_eq!(
        why(&t3, &g3, "04:00.1"),
        "04:00.1 and 04:00.0 are DMA aliases"
    );
}

const SOC: &str = "iommu smmu0 kind=arm-smmu-v2\n";

#[test]
fn smmuv2_shared_stream_id_means_shared_group() {
    let (t, g) = mainline(&format!(
        "{SOC}platform x iommu=smmu0 sid=0x10\nplatform y iommu=smmu0 sid=0x10\n\
         platform z iommu=smmu0 sid=0x11"
    ));
    assert_eq!(g.partition(), part(&[&["x", "y"], &["z"]]));
    assert_eq!(
        why(&t, &g, "y"),
        "shares stream match entry 0 (sid 0x10 mask 0x0)"
    );
    assert_eq!(gid(&t, &g, "z"), 1);
}

#[test]
fn smmuv2_masked_entry_first_covers_later_stream_ids() {
    let (t, g) = mainline(&format!(
        "{SOC}platform w iommu=smmu0 sid=0x10 mask=0x1\nplatform x iommu=smmu0 sid=0x10\n\
         platform y iommu=smmu0 sid=0x10\nplatform z iommu=smmu0 sid=0x11"
    ));
    assert_eq!(g.partition(), part(&[&["w", "x", "y", "z"]]));
    assert_eq!(
        why(&t, &g, "z"),
        "shares stream match entry 0 (sid 0x10 mask 0x1)"
    );
}

// ------------------------------------------------------------------ SMMUv2 errors

#[test]
fn smmuv2_partial_overlap_is_einval() {
    let t = build(&format!(
        "{SOC}platform x iommu=smmu0 sid=0x10\nplatform w iommu=smmu0 sid=0x10 mask=0x1"
    ))
    .unwrap();
    let mut g = Groups::new(Config::default());
    assert_eq!(g.probe_device(&t, t.lookup("x").unwrap()), Ok(GroupId(0)));
    assert_eq!(
        g.probe_device(&t, t.lookup("w").unwrap()),
        Err(Errno::EINVAL)
    );
    assert_eq!(g.group_of(t.lookup("w").unwrap()), None);
    // The failed master left no SME behind: entry 1 is still free.
    assert_eq!(g.smmu_state(IommuId(0)).unwrap().find_sme(0x20, 0), Ok(1));
}

#[test]
fn smmuv2_out_of_smrs_is_enospc_and_freeing_makes_room() {
    let mut t = build(
        "iommu smmu0 kind=arm-smmu-v2 smrs=2\nplatform a iommu=smmu0 sid=1\n\
         platform b iommu=smmu0 sid=2\nplatform c iommu=smmu0 sid=3\n\
         platform d iommu=smmu0 sid=2",
    )
    .unwrap();
    let mut g = Groups::new(Config::default());
    let r: Vec<Result<GroupId, Errno>> = g.probe_all(&t).into_iter().map(|x| x.1).collect();
    assert_eq!(
        r,
        vec![
            Ok(GroupId(0)),
            Ok(GroupId(1)),
            Err(Errno::ENOSPC),
            Ok(GroupId(1))
        ]
    );
    g.hot_remove(&mut t, "a").unwrap();
    assert_eq!(g.probe_device(&t, t.lookup("c").unwrap()), Ok(GroupId(0)));
}

// ------------------------------------------------------------------ consumer boards

#[test]
fn intel_pch_root_ports_without_acs_capability_isolate_by_quirk_id() {
    // Cougar Point 1c10/1c12: no ACS capability, but listed in pci_quirk_intel_pch_acs_ids.
    let board = format!(
        "{HOST}pci 00:1c.0 rp id=8086:1c10\npci 00:1c.1 rp id=8086:1c12\n\
         pci 01:00.0 ep parent=00:1c.0\npci 02:00.0 ep parent=00:1c.1"
    );
    let (_, g) = mainline(&board);
    assert_eq!(
        g.partition(),
        part(&[&["00:1c.0"], &["00:1c.1"], &["01:00.0"], &["02:00.0"]])
    );
    // An ID outside the list (Z690 7ab8) does not help: one big group.
    let (t2, g2) = mainline(
        &board
            .replace("8086:1c10", "8086:7ab8")
            .replace("8086:1c12", "8086:7ab9"),
    );
    assert_eq!(
        g2.partition(),
        part(&[&["00:1c.0", "00:1c.1", "01:00.0", "02:00.0"]])
    );
    assert_eq!(
        why(&t2, &g2, "02:00.0"),
        "joined 00:1c.1's group: root port 00:1c.1 has no ACS capability"
    );
}

#[test]
fn zhaoxin_port_quirk_overrides_a_real_acs_capability() {
    let (t, g) = mainline(&format!(
        "{HOST}pci 00:03.0 rp acs=SV,RR,CR,UF id=1d17:0999\npci 01:00.0 ep parent=00:03.0"
    ));
    assert_eq!(g.partition(), part(&[&["00:03.0", "01:00.0"]]));
    assert_eq!(
        why(&t, &g, "01:00.0"),
        "joined 00:03.0's group: root port 00:03.0 is not isolated according to pci_quirk_zhaoxin_pcie_ports_acs"
    );
}

#[test]
fn root_port_with_rr_cr_disabled_reports_the_missing_flags() {
    let (t, g) = mainline(&format!(
        "{HOST}pci 00:1d.0 rp acs-cap=SV,RR,CR,UF acs-ctl=SV,UF\npci 01:00.0 ep parent=00:1d.0"
    ));
    assert_eq!(g.partition(), part(&[&["00:1d.0", "01:00.0"]]));
    assert_eq!(
        why(&t, &g, "01:00.0"),
        "joined 00:1d.0's group: root port 00:1d.0 does not enable ACS RR,CR"
    );
    // Capability bits that are absent count as hard-wired (pci_acs_flags_enabled).
    let (_, g2) = mainline(&format!(
        "{HOST}pci 00:1d.0 rp acs-cap=SV acs-ctl=SV\npci 01:00.0 ep parent=00:1d.0"
    ));
    assert_eq!(g2.partition().len(), 2);
}

#[test]
fn nvme_behind_switch_below_non_acs_root_port_joins_the_root_port() {
    // Chipset-style: RP without ACS -> switch with ACS DSPs -> two NVMe drives.
    let (t, g) = mainline(&format!(
        "{HOST}{}",
        SWITCH
            .replace("pci 00:1c.0 rp acs=SV,RR,CR,UF", "pci 00:1c.0 rp")
            .replace("{A}", "acs=SV,RR,CR,UF")
    ));
    assert_eq!(
        g.partition(),
        part(&[&["00:1c.0", "07:00.0", "08:01.0", "08:02.0", "09:00.0", "0a:00.0"]])
    );
    assert_eq!(
        why(&t, &g, "09:00.0"),
        "joined 08:01.0's group: root port 00:1c.0 has no ACS capability"
    );
}

#[test]
fn thunderbolt_chain_isolates_with_acs_and_collapses_below_one_gap() {
    // Root port -> TB controller switch -> DSP -> second switch (daisy chain) -> DSPs -> EPs.
    let chain = "pci 00:07.0 rp acs=SV,RR,CR,UF\n\
                 pci 01:00.0 usp parent=00:07.0\n\
                 pci 02:01.0 dsp parent=01:00.0 acs=SV,RR,CR,UF\n\
                 pci 02:02.0 dsp parent=01:00.0 acs=SV,RR,CR,UF\n\
                 pci 03:00.0 usp parent=02:01.0\n\
                 pci 04:01.0 dsp parent=03:00.0 {A}\n\
                 pci 04:04.0 dsp parent=03:00.0 acs=SV,RR,CR,UF\n\
                 pci 05:00.0 ep parent=04:01.0 untrusted\n\
                 pci 06:00.0 ep parent=04:04.0 untrusted\n\
                 pci 07:00.0 ep parent=02:02.0\n";
    let (_, g) = mainline(&format!(
        "{HOST}{}",
        chain.replace("{A}", "acs=SV,RR,CR,UF")
    ));
    assert_eq!(g.partition().len(), 10);
    let (t, g) = mainline(&format!("{HOST}{}", chain.replace("{A}", "")));
    assert_eq!(g.partition().len(), 9);
    assert_eq!(gid(&t, &g, "05:00.0"), gid(&t, &g, "04:01.0"));
    assert_ne!(gid(&t, &g, "06:00.0"), gid(&t, &g, "04:01.0"));
}

#[test]
fn conventional_bridge_aliases_with_its_own_requester_id_and_asmedia_quirk_changes_it() {
    let text = format!(
        "{HOST}pci 00:1e.0 rp acs=SV,RR,CR,UF\npci 05:00.0 pci parent=00:1e.0 {{ID}}\n\
         pci 06:03.0 pci parent=05:00.0"
    );
    let (t, g) = mainline(&text.replace("{ID}", ""));
    assert_eq!(
        g.partition(),
        part(&[&["00:1e.0"], &["05:00.0", "06:03.0"]])
    );
    assert_eq!(
        why(&t, &g, "06:03.0"),
        "aliases through conventional PCI bridge 05:00.0 (requester ID 05:00.0)"
    );
    let (t, g) = mainline(&text.replace("{ID}", "id=1b21:1080"));
    assert_eq!(
        why(&t, &g, "06:03.0"),
        "aliases through bridge 05:00.0 (PCIe bridge alias quirk) (requester ID 06:00.0)"
    );
}

#[test]
fn intel_i350_functions_are_isolated_by_the_multifunction_endpoint_quirk() {
    let text = format!(
        "{HOST}pci 00:1c.0 rp acs=SV,RR,CR,UF\npci 05:00.0 ep parent=00:1c.0 {{ID}}\n\
         pci 05:00.1 ep parent=00:1c.0 {{ID}}"
    );
    let (_, g) = mainline(&text.replace("{ID}", "id=8086:1521"));
    assert_eq!(
        g.partition(),
        part(&[&["00:1c.0"], &["05:00.0"], &["05:00.1"]])
    );
    let (_, g) = mainline(&text.replace("{ID}", "id=8086:1533"));
    assert_eq!(
        g.partition(),
        part(&[&["00:1c.0"], &["05:00.0", "05:00.1"]])
    );
}

// ------------------------------------------------------------------ servers

#[test]
fn multi_segment_server_keeps_segments_apart() {
    let (t, g) = mainline(
        "iommu dmar0 kind=generic\niommu dmar1 kind=generic\n\
         host pci0 iommu=dmar0\nhost pci1 iommu=dmar1 segment=1\n\
         pci 00:01.0 rp host=pci0\npci 01:00.0 ep parent=00:01.0\n\
         pci 0001:00:01.0 rp host=pci1\npci 0001:01:00.0 ep parent=0001:00:01.0",
    );
    assert_eq!(
        g.partition(),
        part(&[&["00:01.0", "01:00.0"], &["0001:00:01.0", "0001:01:00.0"]])
    );
    let g1 = g
        .group(g.group_of(t.lookup("0001:01:00.0").unwrap()).unwrap())
        .unwrap();
    assert_eq!(g1.iommu, IommuId(1));
    assert!(g
        .sysfs_listing(&t)
        .contains("/sys/kernel/iommu_groups/1/devices/0001:01:00.0\n"));
}

#[test]
fn several_root_buses_in_one_segment_infer_their_host() {
    let (t, g) = mainline(
        "iommu dmar0 kind=generic\niommu dmar1 kind=generic\n\
         host h0 iommu=dmar0\nhost h1 iommu=dmar1 bus=0x15\n\
         pci 00:00.0 pci\npci 15:01.0 rp acs=SV,RR,CR,UF\npci 16:00.0 ep parent=15:01.0",
    );
    assert_eq!(
        g.partition(),
        part(&[&["00:00.0"], &["15:01.0"], &["16:00.0"]])
    );
    assert_eq!(
        t.device(t.lookup("16:00.0").unwrap()).unwrap().iommu,
        Some(IommuId(1))
    );
}

#[test]
fn pci_device_behind_smmuv2_gets_its_alias_rids_as_stream_ids() {
    let (t, g) = mainline(&format!("{SOC}host pci0 iommu=smmu0\n{PCI_BRIDGE}"));
    assert_eq!(
        g.partition(),
        part(&[&["00:1e.0"], &["05:00.0", "06:01.0", "06:02.0"]])
    );
    // 06:02.0's second stream ID (0x0600, the bridge alias) is already tied to the group.
    assert_eq!(
        why(&t, &g, "06:02.0"),
        "shares stream match entry 3 (sid 0x600 mask 0x0)"
    );
}

// ------------------------------------------------------------------ hot-plug

#[test]
fn hot_remove_frees_the_group_and_hot_add_reuses_the_lowest_id() {
    let mut t = build(&format!(
        "{HOST}pci 00:1c.0 rp acs=SV,RR,CR,UF\npci 01:00.0 ep parent=00:1c.0\n\
         pci 00:1d.0 rp acs=SV,RR,CR,UF\npci 02:00.0 ep parent=00:1d.0"
    ))
    .unwrap();
    let mut g = Groups::new(Config::default());
    g.probe_all(&t);
    assert_eq!(gid(&t, &g, "02:00.0"), 3);
    let removed = g.hot_remove(&mut t, "00:1c.0").unwrap();
    assert_eq!(removed.len(), 2);
    assert_eq!(g.partition(), part(&[&["00:1d.0"], &["02:00.0"]]));
    assert_eq!(t.lookup("01:00.0"), None);
    // Hot-add a new endpoint below 00:1d.0's sibling: lowest free id is 0, then 1.
    let a = t
        .add_pci(PciSpec::new(Bdf::new(0, 0x1c, 0), PciType::RootPort).acs(REQ))
        .unwrap();
    assert_eq!(g.probe_device(&t, a), Ok(GroupId(0)));
    let b = t
        .add_pci(PciSpec::new(Bdf::new(3, 0, 0), PciType::Endpoint).parent(Bdf::new(0, 0x1c, 0)))
        .unwrap();
    assert_eq!(g.probe_device(&t, b), Ok(GroupId(1)));
    assert_eq!(g.probe_device(&t, b), Ok(GroupId(1)));
}

#[test]
fn hot_removing_one_member_keeps_the_group_and_its_id() {
    let mut t = build(&format!(
        "{HOST}pci 00:1c.4 rp\npci 02:00.0 ep parent=00:1c.4"
    ))
    .unwrap();
    let mut g = Groups::new(Config::default());
    g.probe_all(&t);
    g.hot_remove(&mut t, "02:00.0").unwrap();
    assert_eq!(g.partition(), part(&[&["00:1c.4"]]));
    assert_eq!(gid(&t, &g, "00:1c.4"), 0);
    // The bus number stays with the bridge: a new child must use bus 02 again.
    let e =
        t.add_pci(PciSpec::new(Bdf::new(3, 0, 0), PciType::Endpoint).parent(Bdf::new(0, 0x1c, 4)));
    assert!(matches!(
        e,
        Err(TopologyError::BusMismatch { secondary: 2, .. })
    ));
}

const REQ: AcsFlags = crate::topology::REQ_ACS_FLAGS;

// ------------------------------------------------------------------ acs-fix

#[test]
fn acs_fix_merges_endpoints_below_non_acs_switch_ports() {
    let text = format!("{HOST}{}", SWITCH.replace("{A}", ""));
    let (_, off) = mainline(&text);
    assert_eq!(off.partition().len(), 4);
    let (t, on) = acs_fix(&text);
    assert_eq!(
        on.partition(),
        part(&[
            &["00:1c.0"],
            &["07:00.0"],
            &["08:01.0", "08:02.0", "09:00.0", "0a:00.0"]
        ])
    );
    assert_eq!(
        why(&t, &on, "08:02.0"),
        "joined 08:01.0's group: devices on bus 08 can reach each other: downstream port 08:01.0 has no ACS capability (acs-fix)"
    );
    assert_eq!(
        why(&t, &on, "0a:00.0"),
        "joined 08:02.0's group: everything below a non-isolated bus shares it (acs-fix)"
    );
}

#[test]
fn acs_fix_asymmetric_switch_ports_still_merge() {
    let text = format!(
        "{HOST}{}",
        SWITCH
            .replacen("{A}", "acs=SV,RR,CR,UF", 1)
            .replace("{A}", "")
    );
    let (_, off) = mainline(&text);
    assert_eq!(off.partition().len(), 5);
    let (_, on) = acs_fix(&text);
    assert_eq!(
        on.partition(),
        part(&[
            &["00:1c.0"],
            &["07:00.0"],
            &["08:01.0", "08:02.0", "09:00.0", "0a:00.0"]
        ])
    );
}

#[test]
fn acs_fix_shrinks_pcie_to_pci_bridge_groups() {
    let (t, g) = acs_fix(&format!("{HOST}{PCI_BRIDGE}"));
    assert_eq!(
        g.partition(),
        part(&[&["00:1e.0"], &["05:00.0"], &["06:01.0", "06:02.0"]])
    );
    assert_eq!(
        why(&t, &g, "06:02.0"),
        "joined 06:01.0's group: devices on bus 06 can reach each other: bus behind 05:00.0 is conventional PCI (acs-fix)"
    );
}

#[test]
fn acs_fix_multifunction_with_one_acs_function_is_one_group() {
    // The cover letter's MFD example: 1f.0 and 1f.2 lack ACS, 1f.6 has it.
    let text = format!("{HOST}pci 00:1f.0 ep\npci 00:1f.2 ep\npci 00:1f.6 ep acs=SV,RR,CR,UF");
    let (_, off) = mainline(&text);
    assert_eq!(
        off.partition(),
        part(&[&["00:1f.0", "00:1f.2"], &["00:1f.6"]])
    );
    let (_, on) = acs_fix(&text);
    assert_eq!(on.partition(), part(&[&["00:1f.0", "00:1f.2", "00:1f.6"]]));
    // A quirked function (I219 8086:15b8) stays alone: pci_mfd_isolated().
    let (_, on) = acs_fix(&text.replace("acs=SV,RR,CR,UF", "id=8086:15b8"));
    assert_eq!(
        on.partition(),
        part(&[&["00:1f.0", "00:1f.2"], &["00:1f.6"]])
    );
}

#[test]
fn acs_fix_keeps_amd_dummy_host_bridge_apart_from_its_gpp_bridge() {
    let text = format!(
        "{HOST}pci 00:01.0 host-bridge\npci 00:01.1 rp acs=SV,RR,CR,UF\n\
         pci 01:00.0 ep parent=00:01.1"
    );
    let want = part(&[&["00:01.0"], &["00:01.1"], &["01:00.0"]]);
    assert_eq!(mainline(&text).1.partition(), want);
    assert_eq!(acs_fix(&text).1.partition(), want);
}

// ------------------------------------------------------------------ what-if

#[test]
fn what_if_enabling_acs_on_a_root_port_splits_its_group() {
    let t = build(&format!(
        "{HOST}pci 00:1c.4 rp\npci 02:00.0 ep parent=00:1c.4\npci 00:1d.0 rp acs=SV,RR,CR,UF"
    ))
    .unwrap();
    let d = what_if_acs(&t, Config::default(), "00:1c.4", Some(REQ), REQ).unwrap();
    assert_eq!(
        d.split,
        vec![GroupChange {
            before: part(&[&["00:1c.4", "02:00.0"]]),
            after: part(&[&["00:1c.4"], &["02:00.0"]]),
        }]
    );
    assert!(d.merged.is_empty());
    let back = what_if_acs(&t, Config::default(), "00:1d.0", None, AcsFlags::NONE).unwrap();
    assert!(back.is_unchanged());
    assert_eq!(
        what_if_acs(&t, Config::default(), "nope", None, AcsFlags::NONE),
        Err(TopologyError::UnknownDevice("nope".into()))
    );
}

#[test]
fn what_if_disabling_dsp_acs_merges_under_acs_fix() {
    let t = build(&format!(
        "{HOST}{}",
        SWITCH.replace("{A}", "acs=SV,RR,CR,UF")
    ))
    .unwrap();
    let cfg = Config {
        acs_fix: true,
        ..Config::default()
    };
    let d = what_if_acs(&t, cfg, "08:02.0", None, AcsFlags::NONE).unwrap();
    assert!(d.split.is_empty());
    assert_eq!(d.merged.len(), 1);
    assert_eq!(
        d.merged[0].after,
        part(&[&["08:01.0", "08:02.0", "09:00.0", "0a:00.0"]])
    );
    assert_eq!(d.merged[0].before.len(), 4);
}

// ------------------------------------------------------------------ errors

#[test]
fn topology_errors_name_the_problem() {
    let e = |s: &str| build(&format!("{HOST}{s}")).unwrap_err().to_string();
    assert_eq!(
        e("pci 00:1c.0 rp\npci 01:00.0 ep parent=00:1c.0\npci 04:00.0 ep parent=00:1c.0"),
        "bus 04 of 04:00.0 does not match parent 00:1c.0's secondary bus 01"
    );
    assert_eq!(
        e("pci 01:00.0 ep parent=00:1c.0"),
        "parent 00:1c.0 of 01:00.0 is not declared (a parent must be declared before its children)"
    );
    assert_eq!(
        e("pci 00:02.0 ep\npci 01:00.0 ep parent=00:02.0"),
        "00:02.0 (endpoint) has no secondary bus, so it cannot be the parent of 01:00.0"
    );
    assert_eq!(
        e("pci 00:1c.0 rp\npci 01:00.0 dsp parent=00:1c.0"),
        "01:00.0 (switch downstream port) must sit below a switch upstream port, but 00:1c.0 is a root port"
    );
    assert_eq!(
        e("pci 01:00.0 ep"),
        "01:00.0 has no parent=, so it sits on host pci0's root bus 00, not bus 01 (add parent= or pick the host with host=)"
    );
    assert_eq!(
        e("pci 00:1c.0 rp\npci 00:1c.0 rp"),
        "00:1c.0 is already declared"
    );
    assert_eq!(
        e("pci 00:1c.0 rp\npci 00:1c.1 rp\npci 01:00.0 ep parent=00:1c.0\npci 01:00.0 ep parent=00:1c.1"),
        "01:00.0 is already declared"
    );
    assert_eq!(
        e("pci 00:1c.0 rp\npci 00:1c.1 rp\npci 01:00.0 ep parent=00:1c.0\npci 01:01.0 ep parent=00:1c.1"),
        "bus 01 of 01:01.0 is already used by 00:1c.0"
    );
    assert_eq!(
        e("pci 00:1c.0 rp\npci 01:00.0 ep parent=00:1c.0\nalias 01:00.0 -> 02:00.1"),
        "DMA alias 02:00.1 of 01:00.0 must be on the same bus as 01:00.0"
    );
    assert_eq!(
        e("platform x iommu=dmar9"),
        "no iommu named dmar9 (declare `iommu dmar9 kind=...` first)"
    );
    assert_eq!(
        build("iommu s kind=arm-smmu-v2\nplatform x iommu=s")
            .unwrap_err()
            .to_string(),
        "platform device x behind arm-smmu-v2 s needs a stream ID (sid=)"
    );
    assert_eq!(
        build("iommu s kind=arm-smmu-v2\nplatform x iommu=s sid=0x10000")
            .unwrap_err()
            .to_string(),
        "stream ID 0x10000 or mask 0x0 of x does not fit the 16-bit SMR fields"
    );
    assert_eq!(
        build("pci 00:00.0 pci").unwrap_err().to_string(),
        "no PCI host bridge is declared for 00:00.0 (add `host NAME iommu=IOMMU` before it)"
    );
}

#[test]
fn device_without_iommu_fails_probe_with_enodev() {
    let t = build("host pci0 iommu=x").unwrap_err();
    assert_eq!(t, TopologyError::UnknownIommu("x".into()));
    let mut topo = Topology::new();
    topo.add_host(HostSpec {
        name: "h".into(),
        iommu: None,
        segment: 0,
        bus: 0,
    })
    .unwrap();
    let d = topo
        .add_pci(PciSpec::new(
            Bdf::new(0, 2, 0),
            PciType::RcIntegratedEndpoint,
        ))
        .unwrap();
    let mut g = Groups::new(Config::default());
    assert_eq!(g.probe_device(&topo, d), Err(Errno::ENODEV));
    assert_eq!(g.probe_device(&topo, DeviceId(99)), Err(Errno::ENODEV));
}

#[test]
fn groups_serialize_with_reasons() {
    let (_, g) = mainline(&format!(
        "{HOST}pci 00:1c.4 rp\npci 02:00.0 ep parent=00:1c.4"
    ));
    let j = serde_json::to_value(&g).unwrap();
    assert_eq!(j["groups"]["0"]["members"][1]["name"], "02:00.0");
    assert_eq!(
        j["groups"]["0"]["members"][1]["reason"]["rule"],
        "upstream_no_acs"
    );
    assert_eq!(
        j["groups"]["0"]["members"][1]["reason"]["denial"]["why"],
        "no_capability"
    );
}

/// Cross-check with the scenario corpus: for every `tests/scenarios/*.iommu` whose first
/// `expect groups =` follows only topology statements and calls (no `remove`), the model's
/// partition must equal the expectation.
#[test]
fn corpus_group_expectations_agree_with_the_model() {
    for (file, text) in crate::corpus::CORPUS {
        let lines: Vec<&str> = text
            .lines()
            .map(|l| l.split('#').next().unwrap_or("").trim())
            .collect();
        let Some(at) = lines.iter().position(|l| l.starts_with("expect groups")) else {
            continue;
        };
        if lines[..at].iter().any(|l| l.starts_with("remove ")) {
            continue;
        }
        let acs_fix = lines[..at]
            .iter()
            .any(|l| l.starts_with("config") && l.contains("acs-fix=on"));
        let mut t = build_from(lines[..at].iter().copied(), false).unwrap();
        // The ACS command-line keys (`pcie_acs_override=`, `pci=…`) of the config lines.
        t.set_acs_params(crate::scenario::parse(text).unwrap().acs_params());
        let mut g = Groups::new(Config {
            acs_fix,
            ..Config::default()
        });
        g.probe_all(&t);
        let want: Vec<Vec<&str>> = lines[at]
            .split('{')
            .skip(1)
            .map(|grp| {
                grp.split('}')
                    .next()
                    .unwrap_or("")
                    .split_whitespace()
                    .collect()
            })
            .collect();
        let want: Vec<&[&str]> = want.iter().map(|v| v.as_slice()).collect();
        assert_eq!(g.partition(), part(&want), "{file}");
    }
}

#[test]
fn sysfs_listing_and_explanation_read_like_the_kernel() {
    let (t, g) = mainline(&format!(
        "{HOST}pci 00:1c.4 rp\npci 02:00.0 ep parent=00:1c.4\npci 00:02.0 rciep"
    ));
    assert_eq!(
        g.sysfs_listing(&t),
        "/sys/kernel/iommu_groups/0/devices/0000:00:1c.4\n\
         /sys/kernel/iommu_groups/0/devices/0000:02:00.0\n\
         /sys/kernel/iommu_groups/1/devices/0000:00:02.0\n"
    );
    assert_eq!(
        g.explain(&t),
        "/sys/kernel/iommu_groups/0/devices/0000:00:1c.4\n    00:1c.4: starts the group: nothing it shares DMA with had a group yet\n\
         /sys/kernel/iommu_groups/0/devices/0000:02:00.0\n    02:00.0: joined 00:1c.4's group: root port 00:1c.4 has no ACS capability\n\
         /sys/kernel/iommu_groups/1/devices/0000:00:02.0\n    00:02.0: starts the group: nothing it shares DMA with had a group yet\n"
    );
}

#[test]
fn bad_bdf_fields_from_the_api_are_rejected_not_panicked() {
    let mut t = build(HOST).unwrap();
    let bdf = Bdf {
        segment: 0,
        bus: 0,
        dev: 40,
        func: 9,
    };
    assert!(matches!(
        t.add_pci(PciSpec::new(bdf, PciType::Endpoint)),
        Err(TopologyError::BadBdf(_))
    ));
    assert_eq!(
        t.remove("00:09.0"),
        Err(TopologyError::UnknownDevice("00:09.0".into()))
    );
    assert_eq!(
        t.add_alias(Bdf::new(0, 9, 0), Bdf::new(0, 9, 1)),
        Err(TopologyError::UnknownDevice("00:09.0".into()))
    );
}

#[test]
fn smmuv2_master_spanning_two_groups_is_einval() {
    let mut t = build(&format!(
        "{SOC}platform a iommu=smmu0 sid=0x10\nplatform b iommu=smmu0 sid=0x20"
    ))
    .unwrap();
    let c = t
        .add_platform(PlatformSpec::new("c", "smmu0").sid(0x10, 0).sid(0x20, 0))
        .unwrap();
    let mut g = Groups::new(Config::default());
    g.probe_all(&t);
    assert_eq!(g.group_of(c), None);
    assert_eq!(g.probe_device(&t, c), Err(Errno::EINVAL));
    assert_eq!(g.partition(), part(&[&["a"], &["b"]]));
}

#[test]
fn smmuv2_group_comes_from_the_last_stream_match_entry() {
    // arm_smmu_device_group() keeps the group of the *last* SME: [0x10 -> a's group, 0x30 ->
    // none] gives a new group, which then overwrites the shared entry's group pointer.
    let mut t = build(&format!("{SOC}platform a iommu=smmu0 sid=0x10")).unwrap();
    t.add_platform(PlatformSpec::new("c", "smmu0").sid(0x10, 0).sid(0x30, 0))
        .unwrap();
    t.add_platform(PlatformSpec::new("d", "smmu0").sid(0x10, 0))
        .unwrap();
    let mut g = Groups::new(Config::default());
    g.probe_all(&t);
    assert_eq!(g.partition(), part(&[&["a"], &["c", "d"]]));
    // In the other order the shared entry decides.
    let mut t2 = build(&format!("{SOC}platform a iommu=smmu0 sid=0x10")).unwrap();
    t2.add_platform(PlatformSpec::new("c", "smmu0").sid(0x30, 0).sid(0x10, 0))
        .unwrap();
    let mut g2 = Groups::new(Config::default());
    g2.probe_all(&t2);
    assert_eq!(g2.partition(), part(&[&["a", "c"]]));
}

/// arm_smmu_device_group() (v5.8+, read in v6.17) returns a group found through a stream
/// map entry without writing it into the master's other entries: a third master that
/// shares only such an entry gets a group of its own.
#[test]
fn smmuv2_group_found_through_a_shared_entry_is_not_remembered_in_the_others() {
    let mut t = build(&format!("{SOC}platform gpu iommu=smmu0 sid=0x10")).unwrap();
    t.add_platform(PlatformSpec::new("dsp", "smmu0").sid(0x20, 0).sid(0x10, 0))
        .unwrap();
    t.add_platform(PlatformSpec::new("codec", "smmu0").sid(0x20, 0))
        .unwrap();
    let mut g = Groups::new(Config::default());
    g.probe_all(&t);
    assert_eq!(g.partition(), part(&[&["codec"], &["dsp", "gpu"]]));
    assert_eq!(why(&t, &g, "codec"), GroupReason::OwnGroup.to_string());
    // The master that made the group remembers it in all its entries: one sharing the
    // GPU's entry joins.
    let mut t2 = build(SOC).unwrap();
    t2.add_platform(PlatformSpec::new("gpu", "smmu0").sid(0x10, 0).sid(0x20, 0))
        .unwrap();
    t2.add_platform(PlatformSpec::new("codec", "smmu0").sid(0x20, 0))
        .unwrap();
    t2.add_platform(PlatformSpec::new("x", "smmu0").sid(0x10, 0))
        .unwrap();
    let mut g2 = Groups::new(Config::default());
    g2.probe_all(&t2);
    assert_eq!(g2.partition(), part(&[&["codec", "gpu", "x"]]));
}

/// An SMMUv3 machine where IDs are shared: 02:00.0 presents its own RID twice (it is the
/// bridge's alias), 02:01.0 presents that alias too, and platform devices a and b share 0x10.
const SMMUV3_SHARED_IDS: &str = "iommu smmu0 kind=arm-smmu-v3\nhost pci0 iommu=smmu0\n\
                      pci 00:1c.0 rp acs=SV,RR,CR,UF\npci 01:00.0 bridge parent=00:1c.0\n\
                      pci 02:00.0 pci parent=01:00.0\npci 02:01.0 pci parent=01:00.0\n\
                      platform a iommu=smmu0 sid=0x10\nplatform b iommu=smmu0 sid=0x10";

/// drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c: arm_smmu_insert_master() (v6.17): a stream
/// ID belongs to one master; a second master presenting it fails its probe with -ENODEV
/// and gets no group. Behind a PCIe-to-PCI bridge every device presents the bridge's alias.
#[test]
fn smmuv3_stream_id_held_by_another_master_fails_the_probe_with_enodev() {
    let text = SMMUV3_SHARED_IDS;
    let mut t = build(text).unwrap();
    let mut g = Groups::new(Config::default());
    let results = probe_results(&mut g, &t);
    // 02:00.0 presents 0x0200 twice (its own RID is the bridge's alias): its own duplicate.
    let failed: Vec<&str> = results
        .iter()
        .filter(|(_, r)| r.is_err())
        .map(|(n, _)| n.as_str())
        .collect();
    assert_eq!(failed, ["02:01.0", "b"]);
    assert!(results
        .iter()
        .all(|(_, r)| r.is_ok() || *r == Err(Errno::ENODEV)));
    assert_eq!(
        g.partition(),
        part(&[&["00:1c.0"], &["01:00.0", "02:00.0"], &["a"]])
    );
    let holder = |g: &Groups, t: &Topology, sid: u32| {
        g.smmu_v3_streams(IommuId(0))
            .and_then(|s| s.holder(sid))
            .map(|d| t.name(d).to_string())
    };
    assert_eq!(holder(&g, &t, 0x0200).as_deref(), Some("02:00.0"));
    // The failed probe left nothing behind: 02:01.0's own RID is free.
    assert_eq!(holder(&g, &t, 0x0208), None);
    // Removing the holder frees its IDs; the other device then probes.
    g.hot_remove(&mut t, "02:00.0").unwrap();
    let d = t.lookup("02:01.0").unwrap();
    assert!(g.probe_device(&t, d).is_ok());
    assert_eq!(holder(&g, &t, 0x0200).as_deref(), Some("02:01.0"));
    // With a generic IOMMU the same machine groups both behind the bridge.
    let (_, g2) = mainline(&text.replace("arm-smmu-v3", "generic"));
    assert_eq!(
        g2.partition(),
        part(&[
            &["00:1c.0"],
            &["01:00.0", "02:00.0", "02:01.0"],
            &["a"],
            &["b"]
        ])
    );
}

/// arm_smmu_insert_master() by kernel version (arm-smmu-v3.c: cdf315f907d4 v5.14, v6.8, v6.17):
/// before v5.14 nothing is checked; v5.14–v6.14 fail any ID already in the tree with
/// -EINVAL, the master's own duplicate included ("stream %u already in tree"); v6.15+ skip
/// the own duplicate and fail another master's ID with -ENODEV ("Aliasing StreamID").
#[test]
fn smmuv3_stream_id_rule_per_era_einval_from_v5_14_enodev_from_v6_15() {
    use crate::era::Era;
    use arm_smmu_v3::{InsertFailure, StreamIdRule};
    let text = SMMUV3_SHARED_IDS;
    let t = build(text).unwrap();
    let failures = |era: Era| {
        let mut g = Groups::for_era(Config::default(), era);
        let results = probe_results(&mut g, &t);
        results
            .into_iter()
            .filter_map(|(n, r)| r.err().map(|e| (n, e)))
            .collect::<Vec<_>>()
    };
    let s = |n: &str, e| (n.to_string(), e);
    assert_eq!(failures(Era::Legacy), []);
    // 02:00.0 fails on its own duplicate 0x200 and rolls back, so 02:01.0 then holds 0x200.
    for era in [Era::Singleton, Era::Shared, Era::Unified, Era::V5_19] {
        assert_eq!(
            failures(era),
            [s("02:00.0", Errno::EINVAL), s("b", Errno::EINVAL)],
            "{era:?}"
        );
    }
    assert_eq!(
        failures(Era::Current),
        [s("02:01.0", Errno::ENODEV), s("b", Errno::ENODEV)]
    );
    assert_eq!(StreamIdRule::of_era(Era::V5_19), StreamIdRule::TreeEinval);

    // What the trace shows: the driver's dev_warn() of each version, IDs as each prints them.
    let mut g = Groups::for_era(Config::default(), Era::V5_19);
    let d = t.lookup("02:00.0").unwrap();
    assert_eq!(g.probe_device(&t, d), Err(Errno::EINVAL));
    let f = g.take_probe_failure(d).unwrap();
    assert_eq!(
        f,
        InsertFailure {
            errno: Errno::EINVAL,
            sid: 0x200,
            holder: Some(d),
            rule: StreamIdRule::TreeEinval
        }
    );
    let name = |x: DeviceId| t.name(x).to_string();
    assert_eq!(
        f.notice(name).as_deref(),
        Some("stream 512 already in tree")
    );
    assert_eq!(g.take_probe_failure(d), None, "taken once");
    let mut g = Groups::for_era(Config::default(), Era::Current);
    let _ = probe_results(&mut g, &t);
    let b = t.lookup("b").unwrap();
    assert_eq!(g.probe_device(&t, b), Err(Errno::ENODEV));
    assert_eq!(
        g.take_probe_failure(b)
            .and_then(|f| f.notice(name))
            .as_deref(),
        Some("Aliasing StreamID 0x10 (from a) unsupported, expect DMA to be broken")
    );
}

/// No panic is reachable from API arguments: random statements (mostly invalid), probes,
/// hot-removes and what-ifs on both algorithms.
#[test]
fn random_statements_never_panic() {
    let mut seed: u64 = 0x5eed_1234_abcd_0001;
    let mut rnd = |n: u64| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) % n.max(1)
    };
    let types = PciType::ALL;
    let ids = [
        (0x8086, 0x1c10),
        (0x1d17, 0x0999),
        (0x1b4b, 0x9230),
        (0x8086, 0x2954),
        (0x1b21, 0x1080),
        (0x14e4, 0x9000),
        (0x8086, 0xa110),
    ];
    for round in 0..20 {
        let mut t = Topology::new();
        let _ = t.add_iommu(IommuSpec::new("g", IommuKind::Generic));
        let _ = t.add_iommu(IommuSpec::new("s", IommuKind::ArmSmmuV2).smrs(4));
        let _ = t.add_host(HostSpec::new("h0", if round % 2 == 0 { "g" } else { "s" }));
        let _ = t.add_host(HostSpec::new("h1", "g").segment(1));
        let mut g = Groups::new(Config {
            acs_fix: round % 3 == 0,
            ..Config::default()
        });
        let mut names: Vec<String> = Vec::new();
        for _ in 0..300 {
            match rnd(10) {
                0..=5 => {
                    let bdf = Bdf {
                        segment: rnd(2) as u16,
                        bus: rnd(8) as u8,
                        dev: rnd(4) as u8,
                        func: rnd(3) as u8,
                    };
                    let mut s = PciSpec::new(bdf, types[rnd(8) as usize]);
                    if rnd(3) > 0 && !names.is_empty() {
                        s = s.parent(Bdf::parse(&names[rnd(names.len() as u64) as usize]).unwrap());
                    }
                    if rnd(2) == 0 {
                        s = s.acs_split(AcsFlags(rnd(128) as u32), AcsFlags(rnd(128) as u32));
                    }
                    if rnd(3) == 0 {
                        let (v, d) = ids[rnd(ids.len() as u64) as usize];
                        s = s.id(v, d);
                    }
                    if let Ok(id) = t.add_pci(s) {
                        names.push(t.name(id).to_string());
                        let _ = g.probe_device(&t, id);
                    }
                }
                6 => {
                    let name = format!("p{}", rnd(20));
                    let spec = PlatformSpec::new(&name, "s").sid(rnd(64) as u32, rnd(4) as u32);
                    if let Ok(id) = t.add_platform(spec) {
                        let _ = g.probe_device(&t, id);
                    }
                }
                7 if !names.is_empty() => {
                    let n = names[rnd(names.len() as u64) as usize].clone();
                    let _ = g.hot_remove(&mut t, &n);
                }
                8 if !names.is_empty() => {
                    let n = names[rnd(names.len() as u64) as usize].clone();
                    let _ = t.add_alias(
                        Bdf::parse(&n).unwrap(),
                        Bdf::new(rnd(8) as u8, 1, rnd(8) as u8),
                    );
                }
                _ if !names.is_empty() => {
                    let n = names[rnd(names.len() as u64) as usize].clone();
                    let _ = what_if_acs(&t, g.config(), &n, None, AcsFlags::NONE);
                }
                _ => {}
            }
        }
        // Every live device is in at most one group and every member is live.
        for grp in g.groups() {
            assert!(!grp.members.is_empty());
            for m in &grp.members {
                assert!(t.device(m.device).is_some(), "stale member {}", m.name);
                assert_eq!(g.group_of(m.device), Some(grp.id));
            }
        }
        let _ = g.sysfs_listing(&t);
        let _ = g.explain(&t);
    }
}

// ------------------------------------------------------------------ SR-IOV

/// drivers/pci/iov.c: pci_iov_virtfn_bus()/pci_iov_virtfn_devfn() (v6.8): VF n is at
/// PF devfn + First VF Offset + n * VF Stride, carried into the bus number past 0xff. An
/// 82599-like PF (offset 0x80, stride 2) puts its VFs at 10.0, 10.2, 10.4, ...; VFs past
/// the bus land on the next bus number (virtfn_add_bus()).
#[test]
fn sriov_vf_requester_ids_follow_offset_and_stride() {
    use crate::topology::Sriov;
    let ixgbe = Sriov {
        num_vfs: 63,
        offset: 0x80,
        stride: 2,
    };
    let pf = Bdf::new(3, 0, 0);
    let rid = |n| ixgbe.virtfn(pf, n).map(|b| b.rid().0);
    assert_eq!(rid(0), Some(0x0380));
    assert_eq!(rid(1), Some(0x0382));
    assert_eq!(rid(62), Some(0x03fc));
    // PF 1 of the same card (devfn 1): its VFs at 10.1, 10.3, ...
    assert_eq!(
        ixgbe.virtfn(Bdf::new(3, 0, 1), 1).map(|b| b.rid().0),
        Some(0x0383)
    );
    let spill = Sriov {
        num_vfs: 3,
        offset: 0xfe,
        stride: 1,
    };
    assert_eq!(
        (0..3)
            .map(|n| spill.virtfn(pf, n).map(|b| b.to_string()))
            .collect::<Vec<_>>(),
        [
            Some("03:1f.6".to_string()),
            Some("03:1f.7".into()),
            Some("04:00.0".into())
        ]
    );
    assert_eq!(spill.virtfn(Bdf::new(0xff, 0, 0), 2), None);
}

/// pci_iov_add_virtfn() sets `virtfn->multifunction = 0` (drivers/pci/iov.c, v6.8): VFs
/// that share a slot are no multifunction siblings, so behind an ACS root port each VF is
/// its own group; behind a port without ACS they all join the port's group
/// (pci_device_group(), v6.8). A PF's multifunction bit is its own: VFs in its slot do not
/// set it.
#[test]
fn sriov_vfs_are_isolated_behind_acs_and_shared_without() {
    let (t, g) = mainline(&format!(
        "{HOST}pci 00:01.0 rp acs=SV,RR,CR,UF\n\
         pci 01:00.0 ep parent=00:01.0 sriov=4 vf-offset=1 vf-stride=1\n\
         pci 00:02.0 rp\npci 02:00.0 ep parent=00:02.0 sriov=2 vf-offset=8 vf-stride=1"
    ));
    assert_eq!(
        g.partition(),
        part(&[
            &["00:01.0"],
            &["01:00.0"],
            &["01:00.1"],
            &["01:00.2"],
            &["01:00.3"],
            &["01:00.4"],
            &["00:02.0", "02:00.0", "02:01.0", "02:01.1"],
        ])
    );
    let pf = t.lookup("01:00.0").unwrap();
    assert!(!t.multifunction(pf));
    assert!(!t.multifunction(t.lookup("01:00.3").unwrap()));
    assert_eq!(t.virtfns(pf).len(), 4);
}

/// A PF's VFs are removed with it (its driver's remove disables SR-IOV before the PF goes),
/// and sriov_init() refuses a zero First VF Offset (-EIO, drivers/pci/iov.c v6.8).
#[test]
fn sriov_pf_removal_takes_its_vfs_and_bad_capabilities_are_refused() {
    let mut t = build(&format!(
        "{HOST}pci 00:01.0 rp acs=SV,RR,CR,UF\n\
         pci 01:00.0 ep parent=00:01.0 sriov=3 vf-offset=0xfe vf-stride=1"
    ))
    .unwrap();
    let pf = t.lookup("01:00.0").unwrap();
    let order: Vec<String> = t
        .removal_order(pf)
        .into_iter()
        .map(|d| t.name(d).to_string())
        .collect();
    assert_eq!(order, ["01:1f.6", "01:1f.7", "02:00.0", "01:00.0"]);
    t.remove("01:00.0").unwrap();
    assert!(t.lookup("02:00.0").is_none());
    // The virtual bus is free again: a VF can take it once more.
    let spec = PciSpec::new(Bdf::new(1, 0, 0), PciType::Endpoint)
        .parent(Bdf::new(0, 1, 0))
        .sriov(3, 0xfe, 1);
    assert!(t.add_pci(spec).is_ok());
    let pf = |offset, stride| {
        PciSpec::new(Bdf::new(1, 1, 0), PciType::Endpoint)
            .parent(Bdf::new(0, 1, 0))
            .sriov(2, offset, stride)
    };
    let err = |t: &mut Topology, s| t.add_pci(s).unwrap_err().to_string();
    assert_eq!(
        err(&mut t, pf(0, 1)),
        "SR-IOV on 01:01.0: First VF Offset 0, or VF Stride 0 with several VFs: sriov_init() fails with -EIO"
    );
    assert_eq!(
        err(&mut t, pf(0xf6, 1)),
        "SR-IOV on 01:01.0: VF 0 would be 01:1f.6, which is taken"
    );
}

/// On an SMMUv3 a VF presents its own requester ID as its stream ID (its only DMA alias:
/// pci_for_each_dma_alias(), iort_pci_iommu_init()), including a VF on a virtual bus.
#[test]
fn sriov_vf_stream_ids_are_their_requester_ids_on_smmuv3() {
    let text = "iommu smmu0 kind=arm-smmu-v3\nhost pci0 iommu=smmu0\n\
                pci 00:01.0 rp acs=SV,RR,CR,UF\n\
                pci 01:00.0 ep parent=00:01.0 sriov=3 vf-offset=0xfe vf-stride=1";
    let (t, g) = mainline(text);
    let holder = |sid: u32| {
        g.smmu_v3_streams(IommuId(0))
            .and_then(|s| s.holder(sid))
            .map(|d| t.name(d).to_string())
    };
    assert_eq!(holder(0x01fe).as_deref(), Some("01:1f.6"));
    assert_eq!(holder(0x01ff).as_deref(), Some("01:1f.7"));
    assert_eq!(holder(0x0200).as_deref(), Some("02:00.0"));
    assert_eq!(g.partition().len(), 5);
}

/// Stream IDs: 16 bits behind an SMMUv2 (the SMR ID field), 32 behind an SMMUv3 (the fwspec
/// ID), of which the 2-level stream table covers 25 (arm_smmu_sid_in_range(): -ERANGE past
/// it, arm-smmu-v3.c v6.12).
#[test]
fn smmuv3_takes_32_bit_stream_ids_and_refuses_past_its_stream_table_with_erange() {
    assert_eq!(
        build("iommu s kind=arm-smmu-v2\nplatform a iommu=s sid=0x10000")
            .unwrap_err()
            .to_string(),
        "stream ID 0x10000 or mask 0x0 of a does not fit the 16-bit SMR fields"
    );
    let t = build(
        "iommu s kind=arm-smmu-v3\nplatform a iommu=s sid=0x1ffffff\n\
         platform b iommu=s sid=0x2000000\nplatform c iommu=s sid=0xffffffff",
    )
    .unwrap();
    let r = probe_results(&mut Groups::new(Config::default()), &t);
    assert!(r[0].1.is_ok());
    assert_eq!((r[1].1, r[2].1), (Err(Errno::ERANGE), Err(Errno::ERANGE)));
}
