//! `lspci` output (pciutils): the flat list (`lspci`, `-n`, `-nn`, `-k`, `-D`) and the
//! verbose blocks (`-v`, `-vv`, `-vvv`, with or without `-nn`/`-k`).
//!
//! A device line starts at column 0 with the address (lspci.c `show_device()`, through
//! `show_slot_name()`), then the description [`super::text::description`] reads. With `-v`
//! and more the device's block follows, one tab-indented line per item, capability details
//! indented twice:
//! - `Flags: bus master, fast devsel, latency 0, IRQ 16, IOMMU group 13` (`-v`), or
//!   `IOMMU group: 13` on its own line (`-vv` and more) — lspci.c `show_verbose()`;
//! - `Bus: primary=00, secondary=01, subordinate=02, sec-latency=0` — lspci.c
//!   `show_htype1()` (a bridge's bus numbers);
//! - `Capabilities: [40] Express (v2) Root Port (Slot+), MSI 00` — ls-caps.c
//!   `cap_express()`: `Express ` then `(v%d) ` from version 2, then the port type;
//! - `Capabilities: [148 v1] Access Control Services`, then from `-vv` on
//!   `ACSCap:\tSrcValid+ TransBlk+ …` and `ACSCtl:\tSrcValid- …` — ls-ecaps.c `cap_acs()`;
//! - `Kernel driver in use: vfio-pci` — ls-kernel.c `show_kernel()` (`-k`).
//!
//! Any other indented line belongs to the block and is passed over. A mail client may wrap
//! a long line: the tail of an `ACSCap:`/`ACSCtl:` line (`DirectTrans-` on the next line,
//! indented or not) and the `[vvvv:dddd] (rev rr)` tail of a device line are joined back.

use super::scan::{src, Sink};
use super::text::{self, acs_bits, key, ws, PResult, ACS_ALL};
use super::{Acs, AcsFlags, Bdf, BusRange, Field, Format, PortType, Source};
use winnow::combinator::{delimited, eof, opt, preceded};
use winnow::prelude::*;
use winnow::token::take_till;

/// A device line: the device and its block, or None when `line` is not one.
pub(super) fn header(line: &str, no: u32, sink: &mut Sink) -> Option<(Bdf, Block)> {
    let (bdf, desc) = device_line(line)?;
    sink.describe(bdf, desc, src(Format::Lspci, no));
    Some((bdf, Block::new(bdf, indent(line))))
}

/// A device line at any indentation (a paste indented as a whole, e.g. a Markdown code
/// block, keeps its blocks: their lines are indented further than their device line).
fn device_line(line: &str) -> Option<(Bdf, text::Description)> {
    let (bdf, rest) = text::leading_bdf(line.trim_start())?;
    let rest = rest.strip_prefix([' ', '\t'])?;
    Some((bdf, text::description(rest.trim_start())?))
}

/// The width of a line's leading blanks.
fn indent(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// Which ACS register a bit line states.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Register {
    Cap,
    Ctl,
}

/// The device block being read.
pub(super) struct Block {
    bdf: Bdf,
    /// The device line's indentation: the block's lines are indented further.
    indent: usize,
    /// The ACS capability read so far, and the line it was first stated on.
    acs: Option<(Acs, u32)>,
    /// An ACS bit line still missing names (its tail may be wrapped onto the next line).
    pending: Option<(Register, u8)>,
}

impl Block {
    fn new(bdf: Bdf, indent: usize) -> Block {
        Block {
            bdf,
            indent,
            acs: None,
            pending: None,
        }
    }

    /// Reads one line of the block; false when the line is not part of it.
    pub fn detail(&mut self, line: &str, no: u32, sink: &mut Sink) -> bool {
        let t = line.trim();
        if let Some((reg, seen)) = self.pending.take() {
            if let Some((flags, more)) = acs_bits(t).filter(|(_, m)| m & seen == 0) {
                self.acs_bits(reg, flags, seen | more, no);
                return true;
            }
        }
        if indent(line) <= self.indent || device_line(line).is_some() {
            return false;
        }
        let from = src(Format::Lspci, no);
        if let Some(g) = iommu_group(t) {
            sink.group(self.bdf, g, from);
        } else if let Ok((primary, range)) = bus_line.parse(t) {
            sink.set(self.bdf, from, Field::PrimaryBus, primary, |d| {
                &mut d.primary_bus
            });
            sink.bus_range(self.bdf, range, from);
        } else if let Some(cap) = capability(t) {
            if let Some(rest) = cap.strip_prefix("Express") {
                if let Some(ty) = express_type(rest) {
                    sink.port_type(self.bdf, ty, from);
                }
            } else if cap.starts_with("Access Control Services") {
                self.acs.get_or_insert((Acs::default(), no));
            }
        } else if let Some((reg, rest)) = acs_register(t) {
            if let Some((flags, seen)) = acs_bits(rest) {
                self.acs_bits(reg, flags, seen, no);
            }
        } else if let Ok(driver) =
            preceded(key("Kernel driver in use"), winnow::token::rest).parse(t)
        {
            let driver = driver.trim().to_string();
            if !driver.is_empty() {
                sink.set(self.bdf, from, Field::Driver, driver, |d| &mut d.driver);
            }
        }
        true
    }

    fn acs_bits(&mut self, reg: Register, flags: AcsFlags, seen: u8, no: u32) {
        let (acs, _) = self.acs.get_or_insert((Acs::default(), no));
        let slot = match reg {
            Register::Cap => &mut acs.cap,
            Register::Ctl => &mut acs.ctl,
        };
        *slot = Some(slot.unwrap_or(AcsFlags::NONE) | flags);
        if seen != ACS_ALL {
            self.pending = Some((reg, seen));
        }
    }

    /// The block ended: its ACS capability becomes a fact.
    pub fn finish(self, sink: &mut Sink) {
        if let Some((acs, line)) = self.acs {
            sink.acs(self.bdf, acs, src(Format::Lspci, line));
        }
    }
}

/// `Flags: …, IOMMU group 13` or `IOMMU group: 13`.
fn iommu_group(t: &str) -> Option<u32> {
    if let Ok(g) = preceded(key("IOMMU group"), text::number).parse(t.trim_end()) {
        return Some(g);
    }
    let flags = t.strip_prefix("Flags:")?;
    let (_, after) = flags.split_once("IOMMU group ")?;
    let mut i = after;
    text::number.parse_next(&mut i).ok()
}

/// `Bus: primary=00, secondary=01, subordinate=02, sec-latency=0`.
fn bus_line(i: &mut &str) -> PResult<(u8, BusRange)> {
    let field = |name: &'static str| delimited((ws, name, '='), text::hex(2), opt(','));
    let (_, primary, secondary, subordinate, _) = (
        "Bus:",
        field("primary"),
        field("secondary"),
        field("subordinate"),
        winnow::token::rest,
    )
        .parse_next(i)?;
    Ok((
        primary as u8,
        BusRange {
            secondary: secondary as u8,
            subordinate: subordinate as u8,
        },
    ))
}

/// `Capabilities: [40] Express …` → `Express …` (the text after the offset).
fn capability(t: &str) -> Option<&str> {
    let mut i = t;
    let offset = (
        "Capabilities:",
        ws,
        delimited('[', take_till(0.., ']'), ']'),
        ws,
    );
    offset.void().parse_next(&mut i).ok()?;
    Some(i)
}

/// ` (v2) Root Port (Slot+), MSI 00` → the port type. `cap_express()` prints a PCIe type
/// by the name [`PortType`] displays (no name begins another); pciutils before 3.6 printed
/// `PCI/PCI-X Bridge` for `PCI_EXP_TYPE_PCI_BRIDGE`.
fn express_type(rest: &str) -> Option<PortType> {
    let mut i = rest;
    let version = (ws, opt(("(v", take_till(0.., ')'), ')')), ws);
    version.void().parse_next(&mut i).ok()?;
    PortType::EXPRESS
        .into_iter()
        .find(|t| i.starts_with(&t.to_string()))
        .or_else(|| {
            i.starts_with("PCI/PCI-X Bridge")
                .then_some(PortType::PcieToPciBridge)
        })
}

/// `ACSCap:` / `ACSCtl:` and the bits after it.
fn acs_register(t: &str) -> Option<(Register, &str)> {
    text::strip_any(t, &[("ACSCap:", Register::Cap), ("ACSCtl:", Register::Ctl)])
}

/// The mail-wrapped tail of a device line: `[vvvv:dddd]`, `(rev rr)` or both, alone on a
/// line after it (`from`: its format, and this line).
pub(super) fn wrapped_tail(t: &str, bdf: Bdf, from: Source, sink: &mut Sink) -> bool {
    let rev = delimited("(rev ", text::hex(2), ')');
    let mut tail = (opt(text::bracket_id), ws, opt(rev), ws, eof);
    let Ok((id, _, rev, _, _)) = tail.parse(t) else {
        return false;
    };
    if id.is_none() && rev.is_none() {
        return false;
    }
    if let Some(id) = id {
        sink.set(bdf, from, Field::Id, id, |d| &mut d.id);
    }
    if let Some(r) = rev {
        sink.set(bdf, from, Field::Rev, r as u8, |d| &mut d.rev);
    }
    true
}
