//! The import parsers on the real machines of shared/real-machines (copied to `fixtures/`),
//! each format alone and messy, and on arbitrary input.
//!
//! The expected figures were counted from the fixture files themselves (grep/awk over the
//! listings, and reading them), not from what the parser prints.

use super::*;
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

fn b(s: &str) -> Bdf {
    Bdf::parse(s).unwrap()
}

fn read(text: &str) -> Paste {
    parse(text).unwrap_or_else(|e| panic!("{e}"))
}

fn group(p: &Paste, g: u32) -> Vec<String> {
    let members = p.groups.get(&g);
    assert!(members.is_some(), "no group {g}");
    members
        .into_iter()
        .flatten()
        .map(|d| d.to_string())
        .collect()
}

// ---------------------------------------------------------------- real machines

/// What a fixture must parse to.
#[derive(Debug, PartialEq, Eq)]
struct Figures {
    /// Distinct functions named.
    devices: usize,
    /// Distinct groups stated.
    groups: usize,
    /// Functions with an ACS capability line.
    acs: usize,
    /// Functions with a PCIe type (Express capability line or dmesg type).
    port_types: usize,
    /// Bridges with a stated bus range.
    bus_ranges: usize,
    /// Functions with a stated parent (tree, sysfs path).
    edges: usize,
    /// Functions with a vendor:device ID.
    ids: usize,
    /// Kernel command-line parameters.
    cmdline: usize,
    conflicts: usize,
    /// Lines that are not any format (prose, USB listings, /proc/crypto …).
    skipped: usize,
    /// `[...]` / `...` cut marks.
    cuts: usize,
}

fn figures(p: &Paste) -> Figures {
    Figures {
        devices: p.devices.len(),
        groups: p.groups.len(),
        acs: p.acs_capable().count(),
        port_types: p.devices.values().filter(|d| d.port_type.is_some()).count(),
        bus_ranges: p.bus_ranges().count(),
        edges: p.edges().count(),
        ids: p.devices.values().filter(|d| d.id.is_some()).count(),
        cmdline: p.cmdline.as_ref().map_or(0, |c| c.value.params.len()),
        conflicts: p.conflict_count,
        skipped: p.skipped_count,
        cuts: p.cuts.len(),
    }
}

/// A group listing only: every function has an ID and a group, nothing else.
const fn listing(devices: usize, groups: usize, ids: usize, skipped: usize) -> Figures {
    Figures {
        devices,
        groups,
        acs: 0,
        port_types: 0,
        bus_ranges: 0,
        edges: 0,
        ids,
        cmdline: 0,
        conflicts: 0,
        skipped,
        cuts: 0,
    }
}

macro_rules! fixture {
    ($name:literal) => {
        ($name, include_str!(concat!("fixtures/", $name, ".txt")))
    };
}

pub(super) const FIXTURES: [(&str, &str); 15] = [
    fixture!("asrock-b550-phantom-itx-ax-ACS-OVERRIDE"),
    fixture!("asrock-z170-gaming-itx"),
    fixture!("asrock-z370m-itx-coffeelake"),
    fixture!("asus-b650e-f-raphael"),
    fixture!("asus-proart-x670e-creator"),
    fixture!("asus-strix-b850i-granite-ridge"),
    fixture!("asus-z690-alderlake-tb4"),
    fixture!("fujitsu-tx1320m3-c236"),
    fixture!("gigabyte-x570-aorus-pro-wifi-joep"),
    fixture!("intel-sapphire-rapids-2s-server"),
    fixture!("msi-b450m-mortar-max"),
    fixture!("msi-b450m-mortar"),
    fixture!("msi-b550m-mortar"),
    fixture!("supermicro-a2sdi-4c-hln4f-denverton"),
    fixture!("supermicro-x11scl-if-c242"),
];

fn fixture(name: &str) -> Paste {
    let (_, text) = FIXTURES.iter().find(|(n, _)| *n == name).unwrap();
    read(text)
}

/// Expected figures per fixture. Skipped lines are the prose around the listings (e.g.
/// z170's "The discrete GPU devices are isolated in the group 1:"), granite ridge's USB
/// map (26 lines) and 7 lines of post, denverton's /proc/crypto excerpt (16 lines) and 3
/// lines of prose.
fn expected(name: &str) -> Figures {
    match name {
        "asrock-b550-phantom-itx-ax-ACS-OVERRIDE" => listing(28, 20, 28, 4),
        "asrock-z170-gaming-itx" => listing(20, 14, 20, 1),
        "asrock-z370m-itx-coffeelake" => Figures {
            cmdline: 5,
            conflicts: 2,
            ..listing(21, 15, 21, 0)
        },
        "asus-b650e-f-raphael" => listing(47, 34, 47, 0),
        "asus-proart-x670e-creator" => listing(57, 25, 57, 1),
        // The tree and lspci -nn name all 49 functions; the group listing is cut ("...")
        // to groups 15-18 and 31-34. The USB map's "(IOMMU group 26)" is not a listing.
        "asus-strix-b850i-granite-ridge" => Figures {
            bus_ranges: 16,
            edges: 49,
            cuts: 5,
            ..listing(49, 8, 49, 33)
        },
        "asus-z690-alderlake-tb4" => listing(43, 36, 43, 0),
        "fujitsu-tx1320m3-c236" => Figures {
            cmdline: 5,
            ..listing(21, 15, 21, 2)
        },
        "gigabyte-x570-aorus-pro-wifi-joep" => listing(54, 39, 54, 0),
        // 617 member lines, many repeated: 483 functions in 462 groups.
        "intel-sapphire-rapids-2s-server" => listing(483, 462, 483, 0),
        // One line is cut in the source ("[1002:a..."): 25:00.1 has no ID.
        "msi-b450m-mortar-max" => listing(41, 13, 40, 1),
        "msi-b450m-mortar" => listing(33, 13, 33, 2),
        "msi-b550m-mortar" => listing(38, 20, 38, 2),
        // One `lspci -v` block: the QAT endpoint's Express and ACS capability lines.
        "supermicro-a2sdi-4c-hln4f-denverton" => Figures {
            acs: 1,
            port_types: 1,
            cmdline: 11,
            cuts: 1,
            ..listing(24, 20, 24, 19)
        },
        "supermicro-x11scl-if-c242" => Figures {
            cmdline: 7,
            ..listing(27, 19, 27, 0)
        },
        other => panic!("no figures for {other}"),
    }
}

#[test]
fn every_real_machine_parses_to_its_figures() {
    for (name, text) in FIXTURES {
        let p = read(text);
        assert_eq!(figures(&p), expected(name), "{name}");
        // Every function a listing puts in a group is in exactly that group.
        for (g, members) in &p.groups {
            for m in members {
                assert_eq!(p.devices[m].group.as_ref().unwrap().value, *g, "{name} {m}");
            }
        }
    }
}

#[test]
fn z370m_listing_and_lspci_disagree_on_the_gpu() {
    // The group listing (2024) shows a GT 1030, lspci (2025) an RTX 3050 in the same slot.
    let p = fixture("asrock-z370m-itx-coffeelake");
    let gpu = &p.devices[&b("01:00.0")];
    let id = gpu.id.as_ref().unwrap();
    assert_eq!(id.value.to_string(), "10de:1d01");
    assert_eq!(
        id.from,
        Source {
            format: Format::Groups,
            line: 25
        }
    );
    assert_eq!(gpu.driver.as_ref().unwrap().value, "nvidia");
    assert_eq!(gpu.formats, [Format::Groups, Format::Lspci]);
    let c = &p.conflicts[0];
    assert_eq!((c.bdf, c.field), (Some(b("01:00.0")), Field::Id));
    assert_eq!(c.other.value, "10de:2584");
    assert_eq!(c.other.from.line, 100);
    assert_eq!(
        c.to_string(),
        "01:00.0: vendor:device ID 10de:2584 (lspci line 100) disagrees with 10de:1d01 \
         (group listing line 25); kept the first"
    );
    let cmd = &p.cmdline.as_ref().unwrap().value;
    assert_eq!(
        cmd.get("BOOT_IMAGE"),
        Some(Some("/boot/vmlinuz-6.8.0-49-generic"))
    );
    assert_eq!(cmd.get("splash"), Some(None));
    assert_eq!(cmd.get("intel_iommu"), None);
    assert_eq!(group(&p, 2), ["00:01.0", "01:00.0", "01:00.1"]);
}

#[test]
fn denverton_reads_the_qat_block_of_lspci_v() {
    let p = fixture("supermicro-a2sdi-4c-hln4f-denverton");
    let qat = &p.devices[&b("01:00.0")];
    assert_eq!(qat.port_type.as_ref().unwrap().value, PortType::Endpoint);
    // `lspci -v` shows the capability, not its bits.
    assert_eq!(qat.acs.as_ref().unwrap().value, Acs::default());
    assert_eq!(qat.acs.as_ref().unwrap().from.line, 143);
    assert_eq!(qat.group.as_ref().unwrap().value, 14);
    assert_eq!(qat.driver.as_ref().unwrap().value, "c3xxx");
    let cmd = &p.cmdline.as_ref().unwrap().value;
    assert_eq!(cmd.get("iommu"), Some(Some("pt")));
    assert_eq!(cmd.get("kvm-amd.npt"), Some(Some("1")));
}

#[test]
fn granite_ridge_tree_gives_parents_and_bus_ranges() {
    let p = fixture("asus-strix-b850i-granite-ridge");
    let up = |d: &str| p.devices[&b(d)].upstream.as_ref().unwrap().value;
    let range = |d: &str| {
        p.devices[&b(d)]
            .bus_range
            .as_ref()
            .unwrap()
            .value
            .to_string()
    };
    assert_eq!(up("00:18.7"), Upstream::Root { segment: 0, bus: 0 });
    assert_eq!(up("01:00.0"), Upstream::Bridge(b("00:01.1")));
    assert_eq!(up("03:00.3"), Upstream::Bridge(b("02:00.0")));
    assert_eq!(up("06:0d.0"), Upstream::Bridge(b("05:00.0")));
    assert_eq!(up("0d:00.0"), Upstream::Bridge(b("06:0d.0")));
    assert_eq!(up("0f:00.4"), Upstream::Bridge(b("00:08.1")));
    assert_eq!(range("00:01.1"), "[01-03]");
    assert_eq!(range("02:00.0"), "[03-03]");
    assert_eq!(range("06:00.0"), "[07-07]");
    assert_eq!(range("00:08.3"), "[10-10]");
    let nvme = &p.devices[&b("04:00.0")];
    assert_eq!(nvme.id.as_ref().unwrap().value.to_string(), "144d:a80a");
    assert_eq!(nvme.id.as_ref().unwrap().from.format, Format::LspciTree);
    assert_eq!(group(&p, 17), ["03:00.2"]);
    assert!(p.devices[&b("0c:00.0")].group.is_none());
    assert_eq!(p.cuts, [17, 107, 109, 118, 128]);
}

#[test]
fn proart_reads_the_iommu_sh_layout() {
    let p = fixture("asus-proart-x670e-creator");
    assert_eq!(p.groups.get(&16).map(|m| m.len()), Some(22));
    let d = &p.devices[&b("6b:00.0")];
    assert_eq!(d.class.as_ref().unwrap().value, 0x1300);
    assert_eq!(
        d.class_name.as_ref().unwrap().value,
        "Non-Essential Instrumentation"
    );
    assert_eq!(
        d.name.as_ref().unwrap().value,
        "Phoenix PCIe Dummy Function"
    );
    assert_eq!(d.id.as_ref().unwrap().value.to_string(), "1022:14de");
    assert_eq!(group(&p, 10), ["00:14.0", "00:14.3"]);
}

#[test]
fn sapphire_rapids_reads_the_iommu_unit_of_each_group() {
    let p = fixture("intel-sapphire-rapids-2s-server");
    let unit = |d: &str| p.devices[&b(d)].iommu.as_ref().unwrap().value.clone();
    assert_eq!(unit("00:1f.0"), "dmar19");
    assert_eq!(unit("97:00.4"), "dmar0");
    let units: std::collections::BTreeSet<String> = p
        .devices
        .values()
        .filter_map(|d| d.iommu.as_ref())
        .map(|u| u.value.clone())
        .collect();
    assert_eq!(units.len(), 20);
    assert_eq!(group(&p, 62), ["00:1f.0", "00:1f.3", "00:1f.4", "00:1f.5"]);
}

#[test]
fn z690_lsgroup_listing_agrees_with_the_loop() {
    let p = fixture("asus-z690-alderlake-tb4");
    let d = &p.devices[&b("00:1d.0")];
    assert_eq!(d.formats, [Format::Groups, Format::Lspci]);
    assert_eq!(d.group.as_ref().unwrap().from.line, 49);
    assert_eq!(group(&p, 18), ["00:1f.0", "00:1f.3", "00:1f.4", "00:1f.5"]);
    assert_eq!(
        p.devices[&b("04:00.0")].driver.as_ref().unwrap().value,
        "vfio-pci"
    );
}

#[test]
fn domain_prefixed_listing_is_segment_zero() {
    let p = fixture("asrock-b550-phantom-itx-ax-ACS-OVERRIDE");
    assert_eq!(group(&p, 6).len(), 8);
    assert!(p.devices.keys().all(|d| d.segment == 0));
}

/// Every format in one paste (also the `import` fuzz target's first seed).
const MIXED: &str = include_str!("../../fuzz/corpus/import/mixed");

#[test]
fn every_format_in_one_paste_agrees() {
    let p = read(MIXED);
    assert_eq!(p.formats().len(), 6);
    assert_eq!((p.devices.len(), p.groups.len()), (8, 3));
    assert_eq!((p.skipped_count, p.conflict_count), (0, 0));
    let gpu = &p.devices[&b("01:00.0")];
    assert_eq!(
        gpu.formats,
        [
            Format::Lspci,
            Format::LspciTree,
            Format::Dmesg,
            Format::Sysfs
        ]
    );
    assert_eq!(
        gpu.upstream.as_ref().unwrap().value,
        Upstream::Bridge(b("00:1c.0"))
    );
    assert_eq!(
        gpu.upstream.as_ref().unwrap().from.format,
        Format::LspciTree
    );
    let rp = &p.devices[&b("00:1c.0")];
    assert_eq!(rp.bus_range.as_ref().unwrap().from.format, Format::Lspci);
    assert_eq!(rp.header_type.as_ref().unwrap().value, 1);
    let cmd = &p.cmdline.as_ref().unwrap().value;
    assert_eq!(
        cmd.get("pcie_acs_override"),
        Some(Some("downstream,multifunction"))
    );
    assert_eq!(p.cuts.len(), 1);
}

// ---------------------------------------------------------------- lspci -vvv

/// `lspci -vvvnnk` of a root port and the GPU behind it (field layout of pciutils 3.10).
const VVV: &str = "\
00:1c.0 PCI bridge [0604]: Intel Corporation 100 Series/C230 Series Chipset Family PCI Express Root Port #1 [8086:a110] (rev f1) (prog-if 00 [Normal decode])
\tSubsystem: ASRock Incorporation Device [1849:a110]
\tControl: I/O+ Mem+ BusMaster+ SpecCycle- MemWINV- VGASnoop- ParErr- Stepping- SERR- FastB2B- DisINTx+
\tLatency: 0, Cache Line Size: 64 bytes
\tInterrupt: pin A routed to IRQ 122
\tIOMMU group: 6
\tBus: primary=00, secondary=01, subordinate=02, sec-latency=0
\tCapabilities: [40] Express (v2) Root Port (Slot+), MSI 00
\t\tDevCap:\tMaxPayload 256 bytes, PhantFunc 0
\tCapabilities: [140 v1] Access Control Services
\t\tACSCap:\tSrcValid+ TransBlk- ReqRedir+ CmpltRedir+ UpstreamFwd+ EgressCtrl- DirectTrans-
\t\tACSCtl:\tSrcValid+ TransBlk- ReqRedir+ CmpltRedir+ UpstreamFwd+ EgressCtrl- DirectTrans-
\tKernel driver in use: pcieport

01:00.0 VGA compatible controller [0300]: NVIDIA Corporation GM206 [GeForce GTX 960] [10de:1401] (rev a1) (prog-if 00 [VGA controller])
\tFlags: bus master, fast devsel, latency 0, IRQ 16, IOMMU group 1
\tCapabilities: [68] Express (v2) Legacy Endpoint, MSI 00
\tKernel driver in use: vfio-pci
\tKernel modules: nouveau
";

#[test]
fn lspci_vvv_block_facts() {
    let p = read(VVV);
    let rp = &p.devices[&b("00:1c.0")];
    assert_eq!(
        rp.id.as_ref().unwrap().value,
        PciId {
            vendor: 0x8086,
            device: 0xa110
        }
    );
    assert_eq!(rp.class.as_ref().unwrap().value, 0x0604);
    assert_eq!(rp.class_name.as_ref().unwrap().value, "PCI bridge");
    assert_eq!(rp.rev.as_ref().unwrap().value, 0xf1);
    assert_eq!(
        rp.name.as_ref().unwrap().value,
        "Intel Corporation 100 Series/C230 Series Chipset Family PCI Express Root Port #1"
    );
    assert_eq!(rp.group.as_ref().unwrap().value, 6);
    assert_eq!(rp.port_type.as_ref().unwrap().value, PortType::RootPort);
    assert_eq!(rp.primary_bus.as_ref().unwrap().value, 0);
    assert_eq!(
        rp.bus_range.as_ref().unwrap().value,
        BusRange {
            secondary: 1,
            subordinate: 2
        }
    );
    let acs = rp.acs.as_ref().unwrap();
    let bits = AcsFlags::SV | AcsFlags::RR | AcsFlags::CR | AcsFlags::UF;
    assert_eq!(
        acs.value,
        Acs {
            cap: Some(bits),
            ctl: Some(bits)
        }
    );
    assert_eq!(
        acs.from,
        Source {
            format: Format::Lspci,
            line: 10
        }
    );
    assert_eq!(rp.driver.as_ref().unwrap().value, "pcieport");
    let gpu = &p.devices[&b("01:00.0")];
    assert_eq!(gpu.group.as_ref().unwrap().value, 1);
    assert_eq!(
        gpu.port_type.as_ref().unwrap().value,
        PortType::LegacyEndpoint
    );
    assert_eq!(gpu.driver.as_ref().unwrap().value, "vfio-pci");
    assert!(gpu.acs.is_none());
    assert_eq!((p.skipped_count, p.conflict_count), (0, 0));
}

#[test]
fn messy_paste_reads_the_same_facts() {
    // A prompt, CRLF, an ACSCap line wrapped by a mail client (its tail unindented), a
    // cut, prose around it, mail quoting and a comment.
    let wrapped = VVV.replace(
        " EgressCtrl- DirectTrans-\n\t\tACSCtl",
        " EgressCtrl-\nDirectTrans-\n\t\tACSCtl",
    );
    assert_ne!(wrapped, VVV);
    let messy = format!(
        "Hi all, here is my machine:\n# my comment\nuser@box:~$ sudo lspci -vvvnnk\n{}\n[...]\n\
         > 02:00.0 Non-Volatile memory controller [0108]: Samsung [144d:a808]\nthanks!\n",
        wrapped.replace('\n', "\r\n")
    );
    let p = read(&messy);
    let clean = read(VVV);
    assert_eq!(
        p.devices[&b("00:1c.0")].acs.as_ref().unwrap().value,
        clean.devices[&b("00:1c.0")].acs.as_ref().unwrap().value
    );
    for d in ["00:1c.0", "01:00.0"] {
        let (x, y) = (&p.devices[&b(d)], &clean.devices[&b(d)]);
        assert_eq!(
            (
                x.id.as_ref().map(|f| f.value),
                x.group.as_ref().map(|f| f.value)
            ),
            (
                y.id.as_ref().map(|f| f.value),
                y.group.as_ref().map(|f| f.value)
            ),
        );
        assert_eq!(
            x.port_type.as_ref().map(|f| f.value),
            y.port_type.as_ref().map(|f| f.value)
        );
        assert_eq!(
            x.bus_range.as_ref().map(|f| f.value),
            y.bus_range.as_ref().map(|f| f.value)
        );
    }
    assert_eq!(p.devices.len(), 3);
    assert_eq!(p.cuts, [25]);
    // "Hi all, …" and "thanks!"; the prompt, the comment and the blank lines are not skips.
    assert_eq!(p.skipped, [1, 27]);
}

#[test]
fn acs_ctl_wrapped_after_its_first_word() {
    let text = "00:01.0 PCI bridge [0604]: AMD [1022:1453]\n\tCapabilities: [2a0 v1] Access Control Services\n\
                \t\tACSCap:\tSrcValid+ TransBlk+ ReqRedir+ CmpltRedir+ UpstreamFwd+ EgressCtrl- DirectTrans+\n\
                \t\tACSCtl:\tSrcValid+\n   TransBlk- ReqRedir+ CmpltRedir+ UpstreamFwd+ EgressCtrl- DirectTrans-\n";
    let acs = read(text).devices[&b("00:01.0")].acs.clone().unwrap().value;
    assert_eq!(acs.cap.unwrap().to_string(), "SV,TB,RR,CR,UF,DT");
    assert_eq!(acs.ctl.unwrap().to_string(), "SV,RR,CR,UF");
}

#[test]
fn express_types_as_lspci_prints_them() {
    for (text, want) in [
        ("Express (v2) Root Port (Slot+), MSI 00", PortType::RootPort),
        (
            "Express (v2) Downstream Port (Slot-), MSI 00",
            PortType::DownstreamPort,
        ),
        ("Express (v2) Upstream Port, MSI 00", PortType::UpstreamPort),
        ("Express Endpoint, MSI 00", PortType::Endpoint),
        (
            "Express (v1) Legacy Endpoint, MSI 00",
            PortType::LegacyEndpoint,
        ),
        (
            "Express (v2) Root Complex Integrated Endpoint, MSI 00",
            PortType::RcIntegratedEndpoint,
        ),
        (
            "Express (v2) Root Complex Event Collector, MSI 00",
            PortType::RcEventCollector,
        ),
        (
            "Express (v2) PCI-Express to PCI/PCI-X Bridge, MSI 00",
            PortType::PcieToPciBridge,
        ),
        (
            "Express (v1) PCI/PCI-X Bridge, MSI 00",
            PortType::PcieToPciBridge,
        ),
        (
            "Express (v2) PCI/PCI-X to PCI-Express Bridge (Slot-), MSI 00",
            PortType::PciToPcieBridge,
        ),
    ] {
        let p = read(&format!(
            "00:01.0 PCI bridge: X\n\tCapabilities: [40] {text}\n"
        ));
        assert_eq!(
            p.devices[&b("00:01.0")].port_type.as_ref().unwrap().value,
            want,
            "{text}"
        );
    }
}

// ---------------------------------------------------------------- flat lspci

#[test]
fn flat_lspci_variants() {
    let p = read(
        "00:00.0 Host bridge: Intel Corporation 8th Gen Core Processor Host Bridge/DRAM Registers (rev 07)\n\
         00:01.0 0604: 8086:1901 (rev 07)\n\
         0001:02:00.0 Ethernet controller [0200]: Intel Corporation I210 Gigabit Network Connection [8086:1533] (rev 03)\n\
         \tSubsystem: Intel Corporation Device [8086:0001]\n\
         \tKernel driver in use: igb\n\
         \tKernel modules: igb\n\
         03:00.0 Non-Volatile memory controller [0108]: Samsung Electronics Co Ltd NVMe SSD Controller SM981/PM981/PM983\n\
         [144d:a808]\n",
    );
    assert_eq!(p.devices.len(), 4);
    let host = &p.devices[&b("00:00.0")];
    assert!(host.id.is_none());
    assert_eq!(host.rev.as_ref().unwrap().value, 7);
    let pcie = &p.devices[&b("00:01.0")];
    assert_eq!(pcie.class.as_ref().unwrap().value, 0x0604);
    assert_eq!(pcie.id.as_ref().unwrap().value.to_string(), "8086:1901");
    let nic = &p.devices[&b("0001:02:00.0")];
    assert_eq!(nic.bdf.segment, 1);
    assert_eq!(nic.driver.as_ref().unwrap().value, "igb");
    // The ID wrapped onto its own line by a mail client.
    let nvme = &p.devices[&b("03:00.0")];
    assert_eq!(nvme.id.as_ref().unwrap().value.to_string(), "144d:a808");
    assert_eq!(nvme.id.as_ref().unwrap().from.line, 8);
    assert_eq!(p.skipped_count, 0);
}

// ---------------------------------------------------------------- lspci -t

#[test]
fn tree_with_several_root_buses() {
    let p = read(
        "-+-[0000:80]-+-00.0  Intel Corporation Device [8086:09a2]\n\
         \x20|           \\-02.0-[81-82]----00.0-[82]--\n\
         \x20+-[0000:40]---00.0  Intel Corporation Device [8086:09a2]\n\
         \x20\\-[0000:00]-+-00.0  Intel Corporation Device [8086:09a2]\n\
         \x20            +-1c.0-[01]--+-00.0  NVIDIA Corporation GM206 [10de:1401]\n\
         \x20            |            \\-00.1  NVIDIA Corporation Device [10de:0fba]\n\
         \x20            \\-1f.0  Intel Corporation Device [8086:a145]\n",
    );
    let up = |d: &str| p.devices[&b(d)].upstream.as_ref().unwrap().value;
    assert_eq!(p.devices.len(), 9);
    assert_eq!(
        up("80:00.0"),
        Upstream::Root {
            segment: 0,
            bus: 0x80
        }
    );
    assert_eq!(
        up("80:02.0"),
        Upstream::Root {
            segment: 0,
            bus: 0x80
        }
    );
    assert_eq!(up("81:00.0"), Upstream::Bridge(b("80:02.0")));
    assert_eq!(
        up("40:00.0"),
        Upstream::Root {
            segment: 0,
            bus: 0x40
        }
    );
    assert_eq!(up("01:00.1"), Upstream::Bridge(b("00:1c.0")));
    assert_eq!(up("00:1f.0"), Upstream::Root { segment: 0, bus: 0 });
    assert_eq!(
        p.devices[&b("81:00.0")]
            .bus_range
            .as_ref()
            .unwrap()
            .value
            .to_string(),
        "[82-82]"
    );
    assert_eq!(
        p.devices[&b("01:00.1")]
            .id
            .as_ref()
            .unwrap()
            .value
            .to_string(),
        "10de:0fba"
    );
    assert_eq!(p.skipped_count, 0);
}

#[test]
fn plain_tree_without_names() {
    let p = read("-[0000:00]-+-00.0\n           +-01.0-[01]----00.0\n           \\-1f.3\n");
    assert_eq!(p.devices.len(), 4);
    assert_eq!(p.edges().count(), 4);
    assert!(p
        .devices
        .values()
        .all(|d| d.name.is_none() && d.id.is_none()));
}

// ---------------------------------------------------------------- group listings

#[test]
fn sysfs_find_and_ls_listings() {
    let p = read(
        "$ find /sys/kernel/iommu_groups/ -type l\n\
         /sys/kernel/iommu_groups/1/devices/0000:00:01.0\n\
         /sys/kernel/iommu_groups/1/devices/0000:01:00.0\n\
         $ ls -l /sys/kernel/iommu_groups/*/devices\n\
         /sys/kernel/iommu_groups/7/devices:\n\
         total 0\n\
         lrwxrwxrwx 1 root root 0 Nov 30 09:00 0000:02:00.0 -> ../../../../devices/pci0000:00/0000:00:1c.0/0000:02:00.0\n\
         lrwxrwxrwx 1 root root 0 Nov 30 09:00 0000:02:00.1 -> ../../../../devices/pci0000:00/0000:00:1c.0/0000:02:00.1\n\
         \n\
         /sys/kernel/iommu_groups/8/devices:\n\
         0000:03:00.0  0000:03:00.1\n",
    );
    assert_eq!(group(&p, 1), ["00:01.0", "01:00.0"]);
    assert_eq!(group(&p, 7), ["02:00.0", "02:00.1"]);
    assert_eq!(group(&p, 8), ["03:00.0", "03:00.1"]);
    let up = |d: &str| p.devices[&b(d)].upstream.as_ref().unwrap().value;
    assert_eq!(up("02:00.1"), Upstream::Bridge(b("00:1c.0")));
    assert_eq!(up("00:1c.0"), Upstream::Root { segment: 0, bus: 0 });
    assert!(p.devices[&b("00:1c.0")].group.is_none());
    assert_eq!(p.devices[&b("02:00.0")].formats, [Format::Sysfs]);
    assert_eq!(p.skipped_count, 0);
}

#[test]
fn one_line_loop_with_a_wrapped_tail() {
    let p = read(
        "IOMMU Group 2 00:01.0 PCI bridge [0604]: Intel Corporation 6th-10th Gen Core Processor PCIe Controller (x16)\n\
         [8086:1901] (rev 07)\n\
         IOMMU group 2 01:00.0 VGA compatible controller [0300]: NVIDIA Corporation GP108 [10de:1d01] (rev a1)\n",
    );
    let d = &p.devices[&b("00:01.0")];
    assert_eq!(d.id.as_ref().unwrap().value.to_string(), "8086:1901");
    assert_eq!(d.rev.as_ref().unwrap().value, 7);
    assert_eq!(group(&p, 2), ["00:01.0", "01:00.0"]);
}

#[test]
fn a_device_in_two_groups_is_a_conflict_not_a_move() {
    let p = read(
        "IOMMU Group 1 00:01.0 PCI bridge [0604]: Intel [8086:1901]\n\
         [    1.234567] pci 0000:00:01.0: Adding to iommu group 3\n",
    );
    assert_eq!(group(&p, 1), ["00:01.0"]);
    assert!(!p.groups.contains_key(&3));
    assert_eq!(p.conflicts.len(), 1);
    assert_eq!(p.conflicts[0].field, Field::Group);
    assert_eq!(p.conflicts[0].other.value, "3");
    assert_eq!(
        p.conflicts[0].other.from,
        Source {
            format: Format::Dmesg,
            line: 2
        }
    );
}

// ---------------------------------------------------------------- dmesg

#[test]
fn kernel_log_lines() {
    let p = read(
        "[    0.306431] pci 0000:00:1c.0: [8086:a110] type 01 class 0x060400 PCIe Root Port\n\
         [    0.306880] pci 0000:00:1c.0: PCI bridge to [bus 01-02]\n\
         Nov 30 09:00:00 box kernel: pci 0000:01:00.0: [10de:1401] type 00 class 0x030000 PCIe Legacy Endpoint\n\
         pci 0000:00:1f.0: [8086:a145] type 00 class 0x060100\n\
         pci 0000:00:1e.0: [8086:244e] type 01 class 0x060401 conventional PCI bridge\n\
         pci 0000:00:1e.0: PCI bridge to [bus 05] (subtractive decode)\n\
         [    0.712000] pci 0000:01:00.0: Adding to iommu group 13\n\
         [    0.400000] iommu: Adding device 0000:00:1f.0 to group 9\n\
         [    0.500000] pcieport 0000:00:1c.0: PME: Signaling with IRQ 122\n\
         [    0.306431] pci 0000:00:1c.0: PME# supported from D0 D3hot D3cold\n",
    );
    let d = |s: &str| &p.devices[&b(s)];
    let rp = d("00:1c.0");
    assert_eq!(rp.id.as_ref().unwrap().value.to_string(), "8086:a110");
    assert_eq!(rp.header_type.as_ref().unwrap().value, 1);
    assert_eq!(rp.class.as_ref().unwrap().value, 0x0604);
    assert_eq!(rp.port_type.as_ref().unwrap().value, PortType::RootPort);
    assert_eq!(rp.bus_range.as_ref().unwrap().value.to_string(), "[01-02]");
    assert_eq!(
        d("01:00.0").port_type.as_ref().unwrap().value,
        PortType::LegacyEndpoint
    );
    assert_eq!(d("01:00.0").group.as_ref().unwrap().value, 13);
    assert!(d("00:1f.0").port_type.is_none());
    assert_eq!(d("00:1f.0").group.as_ref().unwrap().value, 9);
    assert_eq!(
        d("00:1e.0").port_type.as_ref().unwrap().value,
        PortType::Conventional
    );
    assert_eq!(
        d("00:1e.0").bus_range.as_ref().unwrap().value.to_string(),
        "[05-05]"
    );
    assert_eq!(p.devices.len(), 4);
    assert_eq!((p.skipped_count, p.lines_read), (0, 10));
}

#[test]
fn kernel_type_strings() {
    for (s, t) in [
        ("PCIe Endpoint", PortType::Endpoint),
        ("PCIe Switch Upstream Port", PortType::UpstreamPort),
        ("PCIe Switch Downstream Port", PortType::DownstreamPort),
        ("PCIe to PCI/PCI-X bridge", PortType::PcieToPciBridge),
        ("PCI/PCI-X to PCIe bridge", PortType::PciToPcieBridge),
        (
            "PCIe Root Complex Integrated Endpoint",
            PortType::RcIntegratedEndpoint,
        ),
        (
            "PCIe Root Complex Event Collector",
            PortType::RcEventCollector,
        ),
        ("conventional PCI endpoint", PortType::Conventional),
        ("CardBus bridge", PortType::Conventional),
    ] {
        let p = read(&format!(
            "pci 0000:00:02.0: [8086:0001] type 00 class 0x088000 {s}\n"
        ));
        assert_eq!(
            p.devices[&b("00:02.0")].port_type.as_ref().unwrap().value,
            t,
            "{s}"
        );
    }
}

// ---------------------------------------------------------------- /proc/cmdline

#[test]
fn command_lines() {
    let c = Cmdline::parse("BOOT_IMAGE=/vmlinuz root=UUID=ab-cd ro quiet  pcie_acs_override=downstream,multifunction dyndbg=\"file iommu.c +p\" iommu.strict=0");
    assert_eq!(c.params.len(), 7);
    assert_eq!(c.get("root"), Some(Some("UUID=ab-cd")));
    assert_eq!(c.get("ro"), Some(None));
    assert_eq!(
        c.get("pcie-acs-override"),
        Some(Some("downstream,multifunction"))
    );
    assert_eq!(c.get("dyndbg"), Some(Some("file iommu.c +p")));
    assert_eq!(
        c.to_string(),
        "BOOT_IMAGE=/vmlinuz root=UUID=ab-cd ro quiet pcie_acs_override=downstream,multifunction \
         dyndbg=\"file iommu.c +p\" iommu.strict=0"
    );
    // After `cat /proc/cmdline`, any parameter line; alone, one the IOMMU code reads.
    let p = read("$ cat /proc/cmdline\nro quiet splash\n");
    assert_eq!(p.cmdline.as_ref().unwrap().value.params.len(), 3);
    assert_eq!(
        p.cmdline.as_ref().unwrap().from,
        Source {
            format: Format::Cmdline,
            line: 2
        }
    );
    assert!(parse("ro quiet splash\n").is_err());
    let p = read("GRUB_CMDLINE_LINUX_DEFAULT=\"quiet amd_iommu=on iommu=pt\"\n");
    assert_eq!(p.cmdline.unwrap().value.get("iommu"), Some(Some("pt")));
    let p = read("intel_iommu=on iommu=pt\nintel_iommu=on\n");
    assert_eq!(p.conflict_count, 1);
    assert_eq!(p.conflicts[0].field, Field::Cmdline);
}

// ---------------------------------------------------------------- bad input

#[test]
fn nothing_readable_is_an_error_at_the_first_text() {
    let e = parse("\n\n   Hello, my GPU is in group 1, why?\nthanks\n").unwrap_err();
    assert_eq!((e.line, e.col), (3, 4));
    assert!(e.to_string().starts_with("3:4: nothing readable"), "{e}");
    let e = parse("").unwrap_err();
    assert_eq!((e.line, e.col), (1, 1));
    // Comments and prompts alone are nothing.
    assert!(parse("# lspci\n$ lspci -vvv\n").is_err());
}

#[test]
fn input_past_the_limit_is_an_error() {
    let big = "x".repeat(MAX_IMPORT_INPUT + 1);
    assert!(parse(&big).unwrap_err().message.contains("32 MiB"));
}

#[test]
fn long_lines_are_skipped() {
    let long = format!(
        "00:01.0 PCI bridge [0604]: {} [8086:1901]\n00:02.0 VGA: Intel\n",
        "x".repeat(MAX_LINE)
    );
    let p = read(&long);
    assert_eq!(p.skipped, [1]);
    assert_eq!(p.devices.len(), 1);
}

#[test]
fn devices_are_capped() {
    let mut text = String::new();
    for i in 0..=MAX_IMPORT_DEVICES {
        text += &format!(
            "IOMMU group {i} 0000:{:02x}:{:02x}.{}\n",
            i >> 8,
            (i >> 3) & 0x1f,
            i & 7
        );
    }
    let p = read(&text);
    assert_eq!(p.devices.len(), MAX_IMPORT_DEVICES);
    assert_eq!(p.groups.len(), MAX_IMPORT_DEVICES);
    assert_eq!(p.dropped, 1);
}

#[test]
fn skipped_lines_and_conflicts_are_counted_past_what_is_kept() {
    let mut text = "IOMMU group 1 00:01.0\n".to_string();
    for i in 0..=MAX_IMPORT_NOTES {
        text += &format!("prose {i}\nIOMMU group {} 00:01.0\n", i + 2);
    }
    let p = read(&text);
    assert_eq!(
        (p.skipped.len(), p.skipped_count),
        (MAX_IMPORT_NOTES, MAX_IMPORT_NOTES + 1)
    );
    assert_eq!(
        (p.conflicts.len(), p.conflict_count),
        (MAX_IMPORT_NOTES, MAX_IMPORT_NOTES + 1)
    );
}

#[cfg(not(target_arch = "wasm32"))]
mod properties {
    use super::*;
    use proptest::prelude::*;

    /// Pieces of every format, to be shuffled into pastes that nearly make sense.
    const PIECES: [&str; 24] = [
        "00:1c.0 PCI bridge [0604]: Intel [8086:a110] (rev f1)",
        "\tCapabilities: [140 v1] Access Control Services",
        "\t\tACSCap:\tSrcValid+ TransBlk- ReqRedir+",
        "CmpltRedir+ UpstreamFwd+ EgressCtrl- DirectTrans-",
        "\tBus: primary=00, secondary=01, subordinate=02, sec-latency=0",
        "\tCapabilities: [40] Express (v2) Root Port (Slot+), MSI 00",
        "\tFlags: bus master, IOMMU group 4",
        "\tIOMMU group: 4294967296",
        "-[0000:00]-+-00.0",
        "           +-1c.0-[01-02]--+-00.0  NVIDIA [10de:1401]",
        "           |               \\-00.1",
        " \\-[0000:80]-",
        "IOMMU Group 1:",
        "\t01:00.0 VGA compatible controller [0300]: NVIDIA [10de:1401]",
        "IOMMU group 99999999999 00:01.0 x",
        "Group 3:\t[8086:1901] [R] 00:01.0  PCI bridge  x",
        "IOMMU: dmar0",
        "  IOMMU Group: 5",
        "    Group Device: 0000:ff:1f.7 - x [0000]: y [ffff:ffff]",
        "/sys/kernel/iommu_groups/3/devices:",
        "lrwxrwxrwx 1 r r 0 N 0000:01:00.0 -> ../devices/pci0000:00/0000:00:1c.0/0000:01:00.0",
        "[    0.1] pci 0000:00:1c.0: PCI bridge to [bus 01-ff]",
        "BOOT_IMAGE=x \"iommu=pt",
        "[...]",
    ];

    fn check(text: &str) {
        if let Ok(p) = parse(text) {
            assert!(p.devices.len() <= MAX_IMPORT_DEVICES);
            assert!(p.skipped.len() <= MAX_IMPORT_NOTES);
            assert!(p.conflicts.len() <= MAX_IMPORT_NOTES);
            assert!(p.skipped_count + p.lines_read <= text.split('\n').count());
            for (g, members) in &p.groups {
                assert!(members
                    .iter()
                    .all(|m| p.devices[m].group.as_ref().unwrap().value == *g));
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        #[test]
        fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
            check(&String::from_utf8_lossy(&bytes));
        }

        #[test]
        fn random_text_never_panics(text in "[ -~\t\r\n|\\\\+\\-\\[\\]:.0-9a-f]{0,300}") {
            check(&text);
        }

        #[test]
        fn shuffled_pieces_never_panic(
            lines in prop::collection::vec((prop::sample::select(PIECES.to_vec()), 0usize..6), 0..60)
        ) {
            // Each piece cut at a random place, as a paste cut mid-line.
            let text: Vec<String> = lines
                .iter()
                .map(|(l, cut)| {
                    let n = l.len().saturating_sub(*cut * 3);
                    l.get(..n).unwrap_or(l).to_string()
                })
                .collect();
            check(&text.join("\n"));
        }
    }
}

#[test]
fn a_paste_indented_as_a_whole_keeps_its_blocks() {
    // A Markdown code block by indentation: device lines at 4, their block lines further.
    let indented: String = VVV.lines().map(|l| format!("    {l}\n")).collect();
    let p = read(&indented);
    let rp = &p.devices[&b("00:1c.0")];
    assert_eq!(rp.port_type.as_ref().unwrap().value, PortType::RootPort);
    assert!(rp.acs.as_ref().unwrap().value.ctl.is_some());
    assert_eq!(p.devices[&b("01:00.0")].group.as_ref().unwrap().value, 1);
    // An indented flat list: each line is its own device, not a block line of the first.
    let p = read("  00:00.0 Host bridge [0600]: Intel [8086:191f]\n  00:02.0 VGA compatible controller [0300]: Intel [8086:1912]\n");
    assert_eq!(p.devices.len(), 2);
    assert_eq!((p.skipped_count, p.lines_read), (0, 2));
}

#[test]
fn only_the_line_after_cat_proc_cmdline_is_taken_as_one() {
    let p = read("$ cat /proc/cmdline\n```\nro quiet\n```\n");
    assert_eq!(p.cmdline.unwrap().value.params.len(), 2);
    let p = read("$ cat /proc/cmdline\nIOMMU group 1 00:01.0 x: y\nro quiet\n");
    assert!(p.cmdline.is_none());
    assert_eq!(p.skipped, [3]);
}
