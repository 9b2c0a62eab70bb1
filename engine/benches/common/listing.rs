//! A synthetic machine listing for the import bench and the import limit test (both
//! `#[path]` this file): the Arch wiki shell loop's one-line layout (`IOMMU Group N BDF
//! class [cccc]: name [vvvv:dddd]`), no tree, no ACS lines, so the import infers parents
//! from bus numbers and ACS from the groups.
//!
//! Each root port has a switch (upstream port, two downstream ports), each downstream port a
//! two-function card: 8 functions and 4 buses per root port, 30 root ports (one per slot)
//! per PCI segment
//! (segments are added until the count is reached). Even root ports isolate (ACS: each
//! port alone, each card's functions together); odd ones do not (one group for all 8).

/// The listing of a machine of at least `n` functions (whole root ports).
pub fn listing(n: usize) -> String {
    let mut out = String::new();
    let mut group = 0u32;
    let mut count = 0usize;
    let mut seg = 0u16;
    while count < n {
        let mut bus = 1u32;
        for rp in 0..30u32 {
            if count >= n {
                break;
            }
            let isolated = rp % 2 == 0;
            let (usp_bus, dsp_bus) = (bus, bus + 1);
            let cards = [bus + 2, bus + 3];
            bus += 4;
            let dom = if seg == 0 {
                String::new()
            } else {
                format!("{seg:04x}:")
            };
            let mut line = |g: u32, bus: u32, dev: u32, func: u32, what: &str| {
                out.push_str(&format!(
                    "IOMMU Group {g} {dom}{bus:02x}:{dev:02x}.{func} {what}\n"
                ));
            };
            let (slot, func) = (1 + rp, 0);
            let bridge = "PCI bridge [0604]: Vendor Switch Port [1b21:1806]";
            line(
                group,
                0,
                slot,
                func,
                "PCI bridge [0604]: Vendor Root Port [1b21:1184]",
            );
            if isolated {
                group += 1;
            }
            line(group, usp_bus, 0, 0, bridge);
            if isolated {
                group += 1;
            }
            for (i, card) in cards.iter().enumerate() {
                line(group, dsp_bus, i as u32, 0, bridge);
                if isolated {
                    group += 1;
                }
                line(
                    group,
                    *card,
                    0,
                    0,
                    "VGA compatible controller [0300]: Vendor GPU [10de:1b80]",
                );
                line(
                    group,
                    *card,
                    0,
                    1,
                    "Audio device [0403]: Vendor Audio [10de:10f0]",
                );
                if isolated {
                    group += 1;
                }
            }
            if !isolated {
                group += 1;
            }
            count += 8;
        }
        seg += 1;
    }
    out
}
