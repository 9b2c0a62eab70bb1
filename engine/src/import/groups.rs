//! IOMMU group listings: what the scripts people run print, and sysfs itself.
//!
//! Every layout reads /sys/kernel/iommu_groups/N/devices/ (drivers/iommu/iommu.c
//! `iommu_group_alloc()` creates the group's kobject under `iommu_groups`, and
//! `iommu_group_add_device()` links each member into its `devices` directory):
//! - the Arch wiki loop (`for d in /sys/kernel/iommu_groups/*/devices/*; … lspci -nns`):
//!   `IOMMU Group 1 00:01.0 PCI bridge [0604]: …` one line per device, or its variant
//!   `IOMMU Group 1:` followed by indented `lspci -nns` lines;
//! - `lsgroup.sh`: `### Group 1 ###` followed by indented `lspci -s` lines;
//! - r15ch13's `iommu.sh`: `Group 1:\t[8086:1901] [R] 00:01.0  PCI bridge  …`, further
//!   members as indented `[vvvv:dddd] [R] BB:DD.F …` lines, USB devices as `USB:` lines;
//! - per IOMMU unit (/sys/class/iommu/dmarN/devices): `IOMMU: dmar0`, `IOMMU Group: 50`,
//!   `Group Device: 0000:97:00.4 - Generic system peripheral [0807]: …`;
//! - `find /sys/kernel/iommu_groups/ -type l`: `/sys/kernel/iommu_groups/13/devices/0000:01:00.0`;
//! - `ls -l /sys/kernel/iommu_groups/*/devices`: a `/sys/kernel/iommu_groups/13/devices:`
//!   line, `total 0`, then one `lrwxrwxrwx … 0000:01:00.0 -> ../../../../devices/pci0000:00/
//!   0000:00:01.0/0000:01:00.0` line per member, whose link target is the device's path in
//!   the PCI hierarchy (drivers/pci/probe.c names each bridge's child devices below it),
//!   so it also states every upstream bridge.

use super::scan::{indented, src, Context, Sink};
use super::text::{self, key, leading_bdf, ws, PResult};
use super::{Bdf, Field, Format, Upstream};
use winnow::combinator::{opt, preceded, terminated};
use winnow::prelude::*;

/// The layout of the group being read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Style {
    /// Indented `lspci -nns` lines (the shell loop's block variant, `lsgroup.sh`).
    Indented,
    /// `iommu.sh`: `[vvvv:dddd] [R] BDF  class  name` lines and `USB:` lines.
    Script,
    /// Per IOMMU unit: `IOMMU Group: N` and `Group Device: BDF - …` lines.
    Unit,
}

/// The group (and IOMMU unit) whose members the next lines list.
pub(super) struct Group {
    id: Option<u32>,
    iommu: Option<String>,
    style: Style,
}

/// A group header line, or a one-line group entry (`IOMMU Group 1 00:01.0 …`, whose device
/// is returned so a wrapped tail can find it).
pub(super) enum Header {
    Group(Context),
    Device(Bdf),
}

pub(super) fn header(line: &str, no: u32, sink: &mut Sink) -> Option<Header> {
    let t = line.trim();
    let from = src(Format::Groups, no);
    // `### Group 17 ###`
    if t.starts_with('#') && t.ends_with('#') {
        let inner = t.trim_matches('#').trim();
        let id = preceded(key("Group"), text::number).parse(inner).ok()?;
        return Some(group(Some(id), None, Style::Indented));
    }
    // `IOMMU: dmar0`
    if let Some(unit) = text::strip_caseless(t, "IOMMU:").map(str::trim) {
        if !unit.is_empty() && !unit.contains(char::is_whitespace) {
            return Some(group(None, Some(unit.to_string()), Style::Unit));
        }
        return None;
    }
    // `IOMMU Group 1:`, `IOMMU Group: 1`, `IOMMU group 1 00:01.0 …`
    if let Some(rest) = text::strip_caseless(t, "IOMMU group") {
        let mut i = rest;
        let id = (ws, opt(':'), ws, text::number, opt(':'), ws)
            .map(|(_, _, _, n, _, _)| n)
            .parse_next(&mut i)
            .ok()?;
        if i.is_empty() {
            return Some(group(Some(id), None, Style::Indented));
        }
        let (bdf, desc) = leading_bdf(i)?;
        sink.group(bdf, id, from);
        if let Some(d) = text::description(desc.trim_start()) {
            sink.describe(bdf, d, from);
        }
        return Some(Header::Device(bdf));
    }
    // `Group 1:\t[8086:1901] [R] 00:01.0  PCI bridge  …`
    let mut i = t;
    let id = terminated(preceded(key("Group"), text::number), ':')
        .parse_next(&mut i)
        .ok()?;
    let mut g = Group {
        id: Some(id),
        iommu: None,
        style: Style::Script,
    };
    g.script_member(i.trim(), no, sink);
    Some(Header::Group(Context::Group(g)))
}

fn group(id: Option<u32>, iommu: Option<String>, style: Style) -> Header {
    Header::Group(Context::Group(Group { id, iommu, style }))
}

/// What a line inside a group was.
pub(super) enum Member {
    /// Not part of the group.
    No,
    /// Part of it, no device (`USB:`, a unit's `IOMMU Group: N`).
    Line,
    Device(Bdf),
}

impl Group {
    pub fn member(&mut self, line: &str, no: u32, sink: &mut Sink) -> Member {
        let t = line.trim();
        match self.style {
            Style::Unit => {
                if let Ok(id) = preceded(key("IOMMU Group"), text::number).parse(t) {
                    self.id = Some(id);
                    return Member::Line;
                }
                let Some(rest) = text::strip_caseless(t, "Group Device:") else {
                    return Member::No;
                };
                let Some((bdf, desc)) = leading_bdf(rest.trim_start()) else {
                    return Member::No;
                };
                let desc = desc.trim_start().trim_start_matches('-').trim_start();
                self.add(bdf, desc, no, sink)
            }
            Style::Script => {
                if t.starts_with("USB:") {
                    return Member::Line;
                }
                self.script_member(t, no, sink)
            }
            Style::Indented => {
                if !indented(line) {
                    return Member::No;
                }
                match leading_bdf(t) {
                    Some((bdf, desc)) => self.add(bdf, desc.trim_start(), no, sink),
                    None => Member::No,
                }
            }
        }
    }

    fn add(&mut self, bdf: Bdf, desc: &str, no: u32, sink: &mut Sink) -> Member {
        let from = src(Format::Groups, no);
        if let Some(id) = self.id {
            sink.group(bdf, id, from);
        }
        if let Some(unit) = &self.iommu {
            sink.set(bdf, from, Field::Iommu, unit.clone(), |d| &mut d.iommu);
        }
        if let Some(d) = text::description(desc) {
            sink.describe(bdf, d, from);
        }
        Member::Device(bdf)
    }

    /// `[vvvv:dddd] [R] BB:DD.F  class name (padded to 40)  device name` (`iommu.sh` prints
    /// `lspci -nms` IDs, `[R]` when the device has a reset file, then `lspci -mms` fields).
    fn script_member(&mut self, t: &str, no: u32, sink: &mut Sink) -> Member {
        let Ok((id, bdf, rest)) = script_line.parse(t) else {
            return Member::No;
        };
        let from = src(Format::Groups, no);
        if let Some(g) = self.id {
            sink.group(bdf, g, from);
        }
        sink.set(bdf, from, Field::Id, id, |d| &mut d.id);
        let (class, name) = rest.split_once("  ").unwrap_or((rest, ""));
        // `Non-Essential Instrumentation [1300]`: a class lspci has no name for.
        let class = class.trim();
        let (class_name, code) = match class.strip_suffix(']').and_then(|c| c.rsplit_once(" [")) {
            Some((n, c)) => (n, text::hex(4).parse(c).ok()),
            None => (class, None),
        };
        let d = text::Description {
            class: code.map(|c| c as u16),
            class_name: (!class_name.is_empty()).then(|| class_name.to_string()),
            name: Some(name.trim().to_string()).filter(|n| !n.is_empty()),
            id: Some(id),
            rev: None,
        };
        sink.describe(bdf, d, from);
        Member::Device(bdf)
    }
}

fn script_line<'a>(i: &mut &'a str) -> PResult<(super::PciId, Bdf, &'a str)> {
    let (id, _, _, _, bdf, rest) = (
        text::bracket_id,
        ws,
        opt("[R]"),
        ws,
        text::bdf,
        winnow::token::rest,
    )
        .parse_next(i)?;
    Ok((id, bdf, rest.trim()))
}

const GROUPS_DIR: &str = "/sys/kernel/iommu_groups/";

/// A `find`/`ls` line naming /sys/kernel/iommu_groups/N/devices[/BDF]: a member (and the
/// context stays as it was), or the header of an `ls` listing of one group.
pub(super) fn sysfs(t: &str, no: u32, sink: &mut Sink) -> Option<Context> {
    let (_, after) = t.split_once(GROUPS_DIR)?;
    let mut i = after;
    let id = terminated(text::number, "/devices")
        .parse_next(&mut i)
        .ok()?;
    if i.trim_end() == ":" {
        return Some(Context::Sysfs(id));
    }
    let path = i.strip_prefix('/')?;
    let (name, target) = match path.split_once(" -> ") {
        Some((n, t)) => (n.trim(), Some(t.trim())),
        None => (path.trim(), None),
    };
    let (bdf, rest) = leading_bdf(name)?;
    if !rest.trim().is_empty() {
        return None;
    }
    link(bdf, id, target, no, sink);
    Some(Context::None)
}

/// A line of an `ls` listing of group `group`'s devices.
pub(super) fn sysfs_member(line: &str, group: u32, no: u32, sink: &mut Sink) -> bool {
    let t = line.trim();
    if t.starts_with("total ") {
        return true;
    }
    if let Some((before, target)) = t.split_once(" -> ") {
        let Some(name) = before.split_whitespace().last() else {
            return false;
        };
        let Some((bdf, "")) = leading_bdf(name) else {
            return false;
        };
        link(bdf, group, Some(target.trim()), no, sink);
        return true;
    }
    let names: Option<Vec<Bdf>> = t
        .split_whitespace()
        .map(|w| leading_bdf(w).filter(|(_, r)| r.is_empty()).map(|(b, _)| b))
        .collect();
    match names {
        Some(names) if !names.is_empty() => {
            for bdf in names {
                sink.group(bdf, group, src(Format::Sysfs, no));
            }
            true
        }
        _ => false,
    }
}

/// A member `bdf` of `group`, with its sysfs link target when `ls -l` shows it.
fn link(bdf: Bdf, group: u32, target: Option<&str>, no: u32, sink: &mut Sink) {
    let from = src(Format::Sysfs, no);
    sink.group(bdf, group, from);
    let Some(target) = target else {
        return;
    };
    // `../../../../devices/pci0000:00/0000:00:01.0/0000:01:00.0`
    let mut up: Option<Upstream> = None;
    for part in target.split('/') {
        if let Some(root) = part.strip_prefix("pci") {
            up = root_bus(root);
        } else if let Some((b, "")) = leading_bdf(part) {
            if let Some(u) = up {
                sink.upstream(b, u, from);
            }
            up = Some(Upstream::Bridge(b));
        }
    }
}

/// `0000:00` (the root bus name in `pci0000:00`).
fn root_bus(s: &str) -> Option<Upstream> {
    let (segment, _, bus) = (text::hex(4), ':', text::hex(2)).parse(s).ok()?;
    Some(Upstream::Root {
        segment: segment as u16,
        bus: bus as u8,
    })
}
