//! `lspci -t` (`-tv`, `-tvnn`): the bus tree drawn in ASCII.
//!
//! pciutils ls-tree.c draws it line by line: `show_tree_bridge()` starts a bridge's buses
//! with `-` (the host bridge names each root bus, `[0000:00]-`, and with several root buses
//! branches to each: `+-[0000:80]-`, last `\-[0000:00]-`); `show_tree_bus()` draws an
//! empty bus as nothing, a bus with one device as `--` then the device, and several as one
//! `+-` branch per device and `\-` for the last; `show_tree_dev()` prints `DD.F`, then for
//! a bridge `-[SS]-` or `-[SS-EE]-` (its secondary and subordinate buses) and its own
//! buses, else `  name` with `-v` (`[vvvv:dddd]` with `-nn`). `print_it()` prints the line
//! and turns the text drawn so far into the next line's prefix: `|` under each `+`, blanks
//! elsewhere. So a continuation line's first `+` or `\` stands in the column where the bus
//! it belongs to branched, which is how each device finds its bus here.

use super::scan::{src, Sink};
use super::text;
use super::{Bdf, BusRange, Field, Format, Upstream};
use crate::vec_map::VecMap;
use winnow::combinator::{delimited, opt, preceded};
use winnow::prelude::*;
use winnow::token::one_of;

/// A bus the tree is drawing: where its devices are and what they hang below.
#[derive(Clone, Copy)]
enum Level {
    /// The host bridge, above the root buses.
    Host,
    Bus {
        segment: u16,
        bus: u8,
        up: Upstream,
    },
}

/// The tree being read: the level each branch column belongs to.
#[derive(Default)]
pub(super) struct Tree {
    branches: VecMap<usize, Level>,
}

/// The first line of a tree (`-[0000:00]-+-00.0 …` or `-+-[0000:80]-+-…`).
pub(super) fn start(line: &str, no: u32, sink: &mut Sink) -> Option<Tree> {
    let body = line.trim_start_matches(' ');
    if !(body.starts_with("-[") || body.starts_with("-+-[") || body.starts_with("-\\-[")) {
        return None;
    }
    let mut tree = Tree::default();
    let at = line.len() - body.len();
    tree.walk(line, at, Level::Host, no, sink).then_some(tree)
}

impl Tree {
    /// A continuation line (`           +-01.0 …`, `|  \-00.3 …`); false when `line` is not.
    pub fn line(&mut self, line: &str, no: u32, sink: &mut Sink) -> bool {
        let Some(col) = line.find(|c: char| c != ' ' && c != '|') else {
            return false;
        };
        let rest = line.get(col..).unwrap_or("");
        if !(rest.starts_with("+-") || rest.starts_with("\\-")) {
            return false;
        }
        match self.branches.get(&col) {
            Some(&level) => self.walk(line, col, level, no, sink),
            None => false,
        }
    }

    /// Reads `line` from byte `pos` on, drawing at `level`; true when it named anything.
    fn walk(
        &mut self,
        line: &str,
        mut pos: usize,
        mut level: Level,
        no: u32,
        sink: &mut Sink,
    ) -> bool {
        let from = src(Format::LspciTree, no);
        let mut any = false;
        while let Some(rest) = line.get(pos..) {
            if rest.starts_with("+-") || rest.starts_with("\\-") {
                self.branches.insert(pos, level);
                pos += 2;
            } else if rest.starts_with('-') {
                pos += 1;
            } else if rest.starts_with('[') {
                // A root bus: `[0000:00]`.
                let mut i = rest;
                let Ok((segment, bus)) = root_bus.parse_next(&mut i) else {
                    return any;
                };
                let up = Upstream::Root { segment, bus };
                level = Level::Bus { segment, bus, up };
                pos += rest.len() - i.len();
                any = true;
            } else {
                let Level::Bus { segment, bus, up } = level else {
                    return any;
                };
                let mut i = rest;
                let Ok((dev, func)) = devfn.parse_next(&mut i) else {
                    return any;
                };
                let bdf = Bdf {
                    segment,
                    bus,
                    dev,
                    func,
                };
                sink.upstream(bdf, up, from);
                any = true;
                if let Ok(range) = bus_range.parse_next(&mut i) {
                    sink.bus_range(bdf, range, from);
                    level = Level::Bus {
                        segment,
                        bus: range.secondary,
                        up: Upstream::Bridge(bdf),
                    };
                    pos = line.len() - i.len();
                    continue;
                }
                name(bdf, i, from, sink);
                return true;
            }
        }
        any
    }
}

/// `[SSSS:BB]`.
fn root_bus(i: &mut &str) -> text::PResult<(u16, u8)> {
    let (seg, _, bus) = delimited('[', (text::hex(4), ':', text::hex(2)), ']').parse_next(i)?;
    Ok((seg as u16, bus as u8))
}

/// `DD.F`.
fn devfn(i: &mut &str) -> text::PResult<(u8, u8)> {
    let (dev, _, func) =
        (text::hex(2).verify(|d| *d <= 0x1f), '.', one_of('0'..='7')).parse_next(i)?;
    Ok((dev as u8, (func as u8).wrapping_sub(b'0')))
}

/// `-[SS]` or `-[SS-EE]`.
fn bus_range(i: &mut &str) -> text::PResult<BusRange> {
    let (secondary, subordinate) = preceded(
        '-',
        delimited('[', (text::hex(2), opt(preceded('-', text::hex(2)))), ']'),
    )
    .parse_next(i)?;
    Ok(BusRange {
        secondary: secondary as u8,
        subordinate: subordinate.unwrap_or(secondary) as u8,
    })
}

/// `  Vendor Device [vvvv:dddd]` after a leaf device (`-tv`, `-tvnn`).
fn name(bdf: Bdf, rest: &str, from: super::Source, sink: &mut Sink) {
    let rest = rest.trim();
    if rest.is_empty() {
        return;
    }
    let (name, id) = match text::trailing_id(rest) {
        Some((n, id)) => (n, Some(id)),
        None => (rest, None),
    };
    if let Some(id) = id {
        sink.set(bdf, from, Field::Id, id, |d| &mut d.id);
    }
    if !name.is_empty() {
        sink.set(bdf, from, Field::Name, name.to_string(), |d| &mut d.name);
    }
}
