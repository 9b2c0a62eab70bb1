//! Entry points of the fuzz targets (`engine/fuzz/`, RELIABILITY.md): each takes arbitrary
//! bytes and must return without panicking, hanging or growing without bound. They live in
//! the engine so that the same code runs under libFuzzer (`engine/fuzz/run` on stable, `cargo fuzz` on
//! nightly) and as an ordinary test replaying the checked-in corpus plus pseudo-random inputs
//! (`engine/tests/fuzz_replay.rs`).

use crate::call::{Call, Cookie};
use crate::core::{DeviceFacts, IommuFacts};
use crate::dma::DmaDirection;
use crate::era::{Config, Era};
use crate::ids::{DeviceId, DomainId, GroupId, IommuId};
use crate::iommu::Kernel;
use crate::pgtable::Prot;
use crate::scenario::{self, Options};
use crate::trace::Ret;

/// A little-endian reader over the fuzz input; reads past the end give zeros.
struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn u8(&mut self) -> u8 {
        match self.0.split_first() {
            Some((b, rest)) => {
                self.0 = rest;
                *b
            }
            None => 0,
        }
    }

    fn u64(&mut self) -> u64 {
        (0..8).fold(0u64, |acc, i| acc | (u64::from(self.u8()) << (8 * i)))
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Target `parse`: the scenario parser on arbitrary text, and the printer round trip.
pub fn parse(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(s) = scenario::parse(text) {
        // What `iommu-play fmt` prints (share links use it) parses again to the same text.
        let printed = s.print();
        match scenario::parse(&printed) {
            Ok(again) => assert_eq!(again.print(), printed, "fmt is not idempotent"),
            Err(e) => panic!("fmt output does not parse: {e:?}\n{printed}"),
        }
    }
}

/// Target `run`: a whole scenario run (parse, topology, grouping, every call), with
/// snapshots as the web UI records them.
pub fn run(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = scenario::run(
        text,
        &Options {
            era: None,
            snapshots: true,
        },
    );
}

/// Target `ops`: a kernel of the generation the first byte picks, 1–8 devices in up to 4
/// groups over 2 IOMMUs, then one call per 4-byte record (call kind, two operands, a size
/// class) with arbitrary ids and addresses.
pub fn ops(data: &[u8]) {
    let mut b = Bytes(data);
    let g = Era::ALL
        .get(usize::from(b.u8()) % Era::ALL.len())
        .copied()
        .unwrap_or_default();
    let flags = b.u8();
    let config = Config {
        strict: flags & 1 == 0,
        passthrough: flags & 2 != 0,
        acs_fix: false,
        split_unmap: flags & 4 != 0,
    };
    let mut k = Kernel::new(g, config);
    k.record_snapshots = flags & 8 != 0;
    k.add_iommu(IommuId(0), IommuFacts::new("smmu0"));
    k.add_iommu(IommuId(1), IommuFacts::new("smmu1"));
    let ndev = u32::from(b.u8() % 8) + 1;
    for i in 0..ndev {
        let x = b.u8();
        let iommu = IommuId(u32::from(x & 1));
        let facts = DeviceFacts::new(&format!("dev{i}"), x & 2 == 0, iommu, i);
        let group = (x & 4 == 0).then_some(GroupId(iommu.0 * 4 + u32::from(x >> 3) % 4));
        k.probe_device(DeviceId(i), facts, group);
    }
    let mut steps = 0;
    while !b.is_empty() && steps < 256 {
        steps += 1;
        let kind = b.u8();
        let a = u32::from(b.u8());
        let c = u32::from(b.u8());
        let sz = b.u8();
        let dev = DeviceId(a % (ndev + 1));
        let dom = DomainId(c % 16);
        let grp = GroupId(a % 10);
        let cookie = || Some(Cookie(format!("c{}", c % 3)));
        // Sizes: small page multiples, odd values, or huge (up to 2^63).
        let size = match sz >> 6 {
            0 => u64::from(sz & 63) << 12,
            1 => u64::from(sz),
            2 => 1u64 << (sz & 63),
            _ => b.u64(),
        };
        let addr = if kind & 0x80 != 0 {
            b.u64()
        } else {
            u64::from(a) << 21 | u64::from(c) << 12
        };
        let call = match kind % 24 {
            0 => Call::Bind {
                dev,
                driver: match c % 3 {
                    0 => "e1000e",
                    1 => "vfio-pci",
                    _ => "pcieport",
                }
                .into(),
                managed: c & 4 != 0,
            },
            1 => Call::Unbind { dev },
            2 => Call::IommuDomainAlloc {
                iommu: IommuId(c % 3),
            },
            3 => Call::IommuPagingDomainAlloc { dev },
            4 => Call::IommuDomainFree { domain: dom },
            5 => Call::IommuAttachDevice { domain: dom, dev },
            6 => Call::IommuDetachDevice { domain: dom, dev },
            7 => Call::IommuAttachGroup {
                domain: dom,
                group: grp,
            },
            8 => Call::IommuDetachGroup {
                domain: dom,
                group: grp,
            },
            9 => Call::IommuGroupClaimDmaOwner {
                group: grp,
                cookie: cookie(),
            },
            10 => Call::IommuGroupReleaseDmaOwner { group: grp },
            11 => Call::IommuDeviceClaimDmaOwner {
                dev,
                cookie: cookie(),
            },
            12 => Call::IommuDeviceReleaseDmaOwner { dev, owner: None },
            13 => Call::IommuGroupReplaceDomain {
                group: grp,
                domain: (c & 1 == 0).then_some(dom),
            },
            14 => Call::VfioGroupSetContainer {
                group: grp,
                container: Cookie(format!("v{}", c % 2)),
            },
            15 => Call::VfioGroupUnsetContainer { group: grp },
            16 => Call::IommufdDeviceBind {
                dev,
                ictx: Cookie(format!("i{}", c % 2)),
            },
            17 => Call::IommufdDeviceUnbind { dev },
            18 => Call::IommuMap {
                domain: dom,
                iova: addr,
                paddr: addr ^ 0x8000_0000,
                size,
                prot: Prot::RW,
            },
            19 => Call::IommuUnmap {
                domain: dom,
                iova: addr,
                size,
            },
            20 => Call::DmaMapPage {
                dev,
                phys: addr,
                size,
                dir: DmaDirection::Bidirectional,
                cpu: c as usize,
            },
            21 => Call::DmaUnmapPage {
                dev,
                iova: addr,
                size,
                dir: DmaDirection::Bidirectional,
                cpu: c as usize,
            },
            22 => Call::DeviceDma {
                dev,
                iova: addr,
                write: c & 1 != 0,
            },
            _ => {
                if c & 1 == 0 {
                    let _ = k.remove_device(dev);
                    continue;
                }
                Call::Tick { ns: size }
            }
        };
        if k.call(&call).result == Ret::Bug {
            break;
        }
    }
}

/// Target `pgtable`: one io-pgtable-arm domain of the granule and sizes the first bytes
/// pick, then map/unmap/iova_to_phys/translate with arbitrary arguments (17-byte records).
/// Each successful map must read back through `iova_to_phys`.
pub fn pgtable(data: &[u8]) {
    let mut b = Bytes(data);
    let granule = match b.u8() % 3 {
        0 => 0x1000,
        1 => 0x4000,
        _ => 0x1_0000,
    };
    let ias = 32 + u32::from(b.u8() % 17);
    let oas = 32 + u32::from(b.u8() % 17);
    let Ok(mut d) = crate::mapping::new_paging(granule, ias, oas, b.u8() & 1 != 0) else {
        return;
    };
    let mut steps = 0;
    while !b.is_empty() && steps < 64 {
        steps += 1;
        let op = b.u8();
        let iova = b.u64();
        let x = b.u64();
        match op % 4 {
            0 => {
                // Sizes up to 2^(op/4 % 48): from pages to terabytes.
                let size = x & ((1u64 << (u32::from(op >> 2) % 48)) - 1);
                let paddr = iova.rotate_left(17);
                if d.iommu_map(iova, paddr, size, Prot::RW).is_ok() && size > 0 {
                    let got = d.iommu_iova_to_phys(iova);
                    assert_eq!(got, paddr, "map {iova:#x}+{size:#x} reads back {got:#x}");
                }
            }
            1 => {
                let _ = d.iommu_unmap(iova, x);
            }
            2 => {
                let _ = d.iommu_iova_to_phys(iova);
            }
            _ => {
                let _ = d.translate(iova, crate::pgtable::DmaAccess::Write);
            }
        }
    }
}

/// Target `import`: the machine-listing parser and the reconstruction (shared/IMPORT.md) on
/// arbitrary bytes, read as a paste box reads them (invalid UTF-8 replaced); what the parser
/// returns stays in its limits and every stated group's members say they are in it; the
/// import ([`crate::import::import`]: rebuild, quirks, inference, report) never fails on a
/// paste that parsed, and its scenario is canonical text the scenario parser reads back
/// (while it fits the language's input limits).
pub fn import(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(p) = crate::import::parse(&text) {
        let out = crate::import::import(&text, &Default::default());
        let out = match out {
            Ok(o) => o,
            Err(e) => panic!("import failed on a paste that parsed: {e}"),
        };
        assert_eq!(out.report.functions, p.devices.len());
        assert_eq!(out.machine.functions.len(), p.devices.len());
        if out.scenario_text.len() <= crate::limits::MAX_INPUT
            && out.scenario_text.lines().count() <= crate::limits::MAX_STATEMENTS
        {
            match crate::scenario::parse(&out.scenario_text) {
                Ok(s) => assert_eq!(s.print(), out.scenario_text),
                Err(e) => panic!(
                    "imported scenario does not parse: {e:?}\n{}",
                    out.scenario_text
                ),
            }
        }
        assert!(p.devices.len() <= crate::limits::MAX_IMPORT_DEVICES);
        assert!(p.skipped.len() <= crate::limits::MAX_IMPORT_NOTES);
        assert!(p.conflicts.len() <= crate::limits::MAX_IMPORT_NOTES);
        for (g, members) in &p.groups {
            for m in members {
                let stated = p.device(*m).and_then(|d| d.group.as_ref()).map(|f| f.value);
                assert_eq!(stated, Some(*g), "{m} listed in group {g}");
            }
        }
    }
}
