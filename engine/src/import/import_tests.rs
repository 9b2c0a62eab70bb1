//! Reconstruction, inference and the report: the real machines and small pastes.

use super::rebuild::NoteKind;
use super::tests::FIXTURES;
use super::*;

fn imp(text: &str) -> Imported {
    import(text, &ImportOptions::default()).unwrap()
}

fn notes(out: &Imported, kind: NoteKind) -> Vec<String> {
    out.report
        .facts
        .iter()
        .filter(|f| f.kind == kind)
        .map(|f| format!("{}: {}", f.bdf, f.text))
        .collect()
}

/// Every real machine imports, its scenario parses back to the same text, runs (the
/// scenario language runs at most `MAX_DEVICES` devices) and passes: the model forms the
/// listed groups. Without inference only the B450M Mortar Max does: none of the listings has
/// an `ACSCap:` line for its ports, and only there do the known-devices table (its two
/// Matisse GPP root ports) and the quirks cover every port the groups depend on.
#[test]
fn every_real_machine_imports_and_reproduces_its_groups() {
    for (name, text) in FIXTURES {
        let out = imp(text);
        let r = &out.report;
        assert!(r.reproduced, "{name}:\n{}", out.report_text());
        let known_enough = name == "msi-b450m-mortar-max";
        assert_eq!(r.reproduced_without_inference, known_enough, "{name}");
        assert!(r.differences.is_empty(), "{name}");
        let s = crate::scenario::parse(&out.scenario_text).unwrap();
        assert_eq!(s.print(), out.scenario_text, "{name}: canonical");
        if r.functions <= crate::limits::MAX_DEVICES {
            let run =
                crate::scenario::run_scenario(&s, &out.scenario_text, &Default::default()).unwrap();
            assert!(
                run.passed(),
                "{name}: {:?}",
                run.failures().collect::<Vec<_>>()
            );
        }
        let again = import(
            text,
            &ImportOptions {
                no_inference: true,
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(again.report.reproduced, known_enough, "{name}");
        assert!(notes(&again, NoteKind::Inferred).is_empty(), "{name}");
    }
}

/// lspci -vvv blocks with every ACS bit and every group: nothing to infer.
const VVV: &str = "\
00:01.0 PCI bridge [0604]: Intel Corporation 6th-10th Gen Core Processor PCIe Controller (x16) [8086:1901] (rev 07) (prog-if 00 [Normal decode])
\tFlags: bus master, fast devsel, latency 0, IRQ 121, IOMMU group 1
\tBus: primary=00, secondary=01, subordinate=01, sec-latency=0
\tCapabilities: [a0] Express (v2) Root Port (Slot+), MSI 00
01:00.0 VGA compatible controller [0300]: NVIDIA Corporation GP104 [GeForce GTX 1080] [10de:1b80] (rev a1) (prog-if 00 [VGA controller])
\tFlags: bus master, fast devsel, latency 0, IRQ 16, IOMMU group 1
\tCapabilities: [68] Express (v2) Legacy Endpoint, MSI 00
01:00.1 Audio device [0403]: NVIDIA Corporation GP104 High Definition Audio Controller [10de:10f0] (rev a1)
\tFlags: bus master, fast devsel, latency 0, IRQ 17, IOMMU group 1
\tCapabilities: [68] Express (v2) Endpoint, MSI 00
00:1c.0 PCI bridge [0604]: Intel Corporation 200 Series PCH PCI Express Root Port #1 [8086:a290] (rev f0) (prog-if 00 [Normal decode])
\tFlags: bus master, fast devsel, latency 0, IRQ 122, IOMMU group 2
\tBus: primary=00, secondary=02, subordinate=02, sec-latency=0
\tCapabilities: [40] Express (v2) Root Port (Slot+), MSI 00
\tCapabilities: [100 v1] Access Control Services
\t\tACSCap:\tSrcValid+ TransBlk+ ReqRedir+ CmpltRedir+ UpstreamFwd+ EgressCtrl- DirectTrans-
\t\tACSCtl:\tSrcValid+ TransBlk- ReqRedir+ CmpltRedir+ UpstreamFwd+ EgressCtrl- DirectTrans-
02:00.0 Non-Volatile memory controller [0108]: Samsung Electronics Co Ltd NVMe SSD Controller SM981/PM981/PM983 [144d:a808] (prog-if 02 [NVM Express])
\tFlags: bus master, fast devsel, latency 0, IRQ 16, IOMMU group 3
\tCapabilities: [70] Express (v2) Endpoint, MSI 00
";

#[test]
fn a_listing_that_states_every_acs_bit_needs_no_inference() {
    let out = imp(VVV);
    assert!(
        out.report.reproduced_without_inference,
        "{}",
        out.report_text()
    );
    assert!(out.report.reproduced);
    assert!(notes(&out, NoteKind::Inferred).is_empty());
    assert!(out.report.unknown.is_empty(), "{:?}", out.report.unknown);
    let lines: Vec<&str> = out
        .scenario_text
        .lines()
        .filter(|l| l.starts_with("pci "))
        .collect();
    assert_eq!(
        lines,
        [
            "pci 00:01.0 rp id=8086:1901",
            "pci 00:1c.0 rp acs-cap=SV,TB,RR,CR,UF acs-ctl=SV,RR,CR,UF id=8086:a290  \
# quirk: pci_quirk_intel_spt_pch_acs (isolated)",
            "pci 01:00.0 ep parent=00:01.0 id=10de:1b80  # parent from `Bus:` ranges",
            "pci 01:00.1 ep parent=00:01.0 id=10de:10f0  # parent from `Bus:` ranges",
            "pci 02:00.0 ep parent=00:1c.0 id=144d:a808  # parent from `Bus:` ranges",
        ]
    );
    assert!(out
        .scenario_text
        .contains("expect groups = {00:01.0 01:00.0 01:00.1} {00:1c.0} {02:00.0}"));
    let a = &out.report.advice;
    assert_eq!(a.len(), 1);
    assert!(a[0].sentence.starts_with(
        "00:01.0 (Intel Corporation 6th-10th Gen Core Processor PCIe Controller (x16)), root port \
has no ACS capability: everything behind it shares a group; your options:"
    ), "{}", a[0].sentence);
}

#[test]
fn parents_say_where_they_come_from() {
    // dmesg `bridge to`, and bus numbers.
    let text = "\
pci 0000:00:1c.0: [8086:a110] type 01 class 0x060400 PCIe Root Port
pci 0000:00:1c.0: PCI bridge to [bus 02]
pci 0000:02:00.0: [8086:1539] type 00 class 0x020000 PCIe Endpoint
IOMMU Group 1 00:1c.4 PCI bridge [0604]: Intel Corporation Device [8086:a114]
IOMMU Group 1 03:00.0 Network controller [0280]: Intel Corporation Device [8086:24fb]
IOMMU Group 2 00:1c.0 PCI bridge [0604]: Intel Corporation Device [8086:a110]
IOMMU Group 3 02:00.0 Ethernet controller [0200]: Intel Corporation Device [8086:1539]
";
    let out = imp(text);
    assert!(out.report.reproduced, "{}", out.report_text());
    let parents = notes(&out, NoteKind::Parent);
    assert_eq!(
        parents,
        [
            "02:00.0: parent from dmesg `bridge to`",
            "03:00.0: parent inferred from bus numbers"
        ]
    );
    assert_eq!(
        notes(&out, NoteKind::Inferred),
        [
            "00:1c.0: inferred: ACS, since 02:00.0 is not in its group",
            "00:1c.4: inferred: no ACS, since 03:00.0 shares its group"
        ]
    );
}

#[test]
fn config_passes_through_and_bad_config_is_an_error() {
    let out = import(
        VVV,
        &ImportOptions {
            config: Some("acs-fix=on".to_string()),
            ..Default::default()
        },
    )
    .unwrap();
    assert!(out.scenario_text.contains("\nconfig acs-fix=on\n"));
    assert_eq!(out.report.config, "config acs-fix=on");
    let e = import(
        VVV,
        &ImportOptions {
            config: Some("acs-fixx=on".to_string()),
            ..Default::default()
        },
    )
    .unwrap_err();
    assert!(e.message.starts_with("--config: "), "{e}");
}

#[test]
fn the_report_serialises_and_names_each_difference() {
    // 01:00.0 listed apart from its port, whose read capability list has no ACS: the model
    // cannot agree, and says why.
    let text = VVV.replace(
        "IRQ 16, IOMMU group 1\n\tCapabilities: [68] Express (v2) Legacy",
        "IRQ 16, IOMMU group 9\n\tCapabilities: [68] Express (v2) Legacy",
    );
    let out = imp(&text);
    assert!(!out.report.reproduced);
    let d = &out.report.differences;
    assert!(
        d.iter().any(|d| d.device == Bdf::new(1, 0, 0)
            && d.sentence.contains("listed in group 9 without")
            || d.sentence.contains("is listed in group 9")),
        "{d:?}"
    );
    let j = serde_json::to_value(&out.report).unwrap();
    assert_eq!(j["reproduced"], false);
    assert_eq!(j["devices"][2]["bdf"], "01:00.0");
    assert_eq!(j["devices"][2]["reason"]["rule"], "upstream_no_acs");
}

/// The pasted /proc/cmdline sets the what-if keys: `iommu=pt` becomes `config iommu=pt`.
#[test]
fn the_pasted_command_line_sets_the_config() {
    let (_, text) = FIXTURES
        .iter()
        .find(|(n, _)| *n == "supermicro-x11scl-if-c242")
        .unwrap();
    let out = imp(text);
    assert!(
        out.scenario_text.contains("\nconfig iommu=pt\n"),
        "{}",
        out.scenario_text
    );
    assert_eq!(out.report.config, "config iommu=pt");
}

/// The ASRock B550 listing was taken with `pcie_acs_override=downstream,multifunction`:
/// with that what-if the read facts alone reproduce it, no inference needed.
#[test]
fn the_acs_override_listing_reproduces_under_the_override() {
    let (_, text) = FIXTURES
        .iter()
        .find(|(n, _)| *n == "asrock-b550-phantom-itx-ax-ACS-OVERRIDE")
        .unwrap();
    let out = import(
        text,
        &ImportOptions {
            config: Some("pcie_acs_override=downstream,multifunction".to_string()),
            no_inference: true,
        },
    )
    .unwrap();
    assert!(
        out.report.reproduced_without_inference,
        "{}",
        out.report_text()
    );
    assert!(notes(&out, NoteKind::Inferred).is_empty());
}

#[path = "../../benches/common/listing.rs"]
mod listing;

/// The synthetic listing of the import bench reproduces with inference (ports with
/// ACS inferred from the isolated cards, the others without), at 1,000 and at the 10,000
/// functions the import takes at most.
#[test]
fn synthetic_listings_import_up_to_the_device_limit() {
    for n in [1_000, crate::limits::MAX_IMPORT_DEVICES] {
        let text = listing::listing(n);
        let t = std::time::Instant::now();
        let out = imp(&text);
        assert_eq!(out.report.functions, n);
        assert!(
            out.report.reproduced,
            "{n}: {:?}",
            out.report.differences.first()
        );
        assert!(t.elapsed().as_secs() < 60, "{n}: {:?}", t.elapsed());
    }
    // One past the limit is dropped and said so.
    let text = listing::listing(crate::limits::MAX_IMPORT_DEVICES + 8);
    let out = imp(&text);
    assert_eq!(out.report.functions, crate::limits::MAX_IMPORT_DEVICES);
    assert!(out
        .report
        .notes
        .iter()
        .any(|n| n.contains("past the limit")));
}

/// The corpus holds one imported real machine (tests/scenarios/imported-msi-b550m-mortar.iommu,
/// which must pass like every corpus scenario): it is exactly what the import writes today.
#[test]
fn the_imported_corpus_scenario_is_what_import_writes() {
    let (_, text) = FIXTURES
        .iter()
        .find(|(n, _)| *n == "msi-b550m-mortar")
        .unwrap();
    assert_eq!(
        imp(text).scenario_text,
        include_str!("../../../tests/scenarios/imported-msi-b550m-mortar.iommu")
    );
}

/// Functions are declared in the order Linux adds them (`pci_bus_add_devices()`), so where
/// the model agrees it also numbers the groups as the listing does: on 12 of the 15 real
/// machines every group has the listed number. Not on the Z370M (the listing and lspci
/// disagree on the GPU), the Granite Ridge (a cut listing), the Sapphire Rapids server
/// (root buses are added in ACPI host-bridge order, not bus order).
#[test]
fn the_model_numbers_groups_as_the_kernel_did() {
    let mut same = Vec::new();
    for (name, text) in FIXTURES {
        let out = imp(text);
        if out
            .report
            .groups
            .iter()
            .all(|g| g.simulated.len() == 1 && g.simulated.first().is_some_and(|s| s.id == g.real))
        {
            same.push(name);
        }
    }
    assert_eq!(same.len(), 12, "{same:?}");
    for odd in [
        "asrock-z370m-itx-coffeelake",
        "asus-strix-b850i-granite-ridge",
        "intel-sapphire-rapids-2s-server",
    ] {
        assert!(!same.contains(&odd), "{odd}");
    }
}

/// A group behind one of AMD's on-die "Internal PCIe GPP Bridge" ports (1022:15dc on the
/// MSI B450M Mortar's Raven APU) holds functions of the processor package: the advice says
/// there is no slot to move them to, instead of the generic "move the card".
#[test]
fn advice_for_a_bridge_inside_the_processor_does_not_say_move_the_card() {
    let text = super::tests::FIXTURES
        .iter()
        .find(|(n, _)| *n == "msi-b450m-mortar")
        .map(|(_, t)| *t)
        .unwrap();
    let out = imp(text);
    let a = &out.report.advice;
    let internal = a
        .iter()
        .find(|a| a.sentence.starts_with("00:08.2 "))
        .unwrap();
    assert!(
        internal.sentence.starts_with(
            "00:08.2 (Advanced Micro Devices, Inc. [AMD] Device), root port has no ACS capability: \
everything behind it shares a group; it is a bridge inside the processor"
        ),
        "{}",
        internal.sentence
    );
    assert!(!internal.sentence.contains("move the card"));
    // The chipset's switch upstream port 15:00.2 is an ordinary card-slot case.
    let chipset = a
        .iter()
        .find(|a| a.sentence.starts_with("15:00.2 "))
        .unwrap();
    assert!(chipset.sentence.contains("move the card to a slot"));
}
