//! Reconstruction: a [`Paste`] → the machine it describes ([`Machine`]), each fact with where
//! it came from ([`Note`]), and from it the scenario's statements (typed AST, printed by the
//! scenario printer) and the engine's [`Topology`].
//!
//! What each fact is taken from, in order of preference (shared/IMPORT.md "What import gives"):
//! - **type**: the PCIe capability's port type (lspci's `Express … Root Port`, the kernel's
//!   `PCIe Root Port`); else the class code (`[0604]` PCI bridge, `[0600]` host bridge) and
//!   the function's place (a bridge on a root bus is a root port, below a root or downstream
//!   port a switch upstream port, or a PCIe-to-PCI bridge when only endpoints sit below it);
//! - **parent**: the tree (`lspci -t`, sysfs paths), else a bridge's stated bus range
//!   (`Bus: secondary=`, dmesg `PCI bridge to [bus 01-02]`), else inferred from the bus
//!   numbers: firmware and Linux number buses depth first (drivers/pci/probe.c
//!   `pci_scan_child_bus_extend()` → `pci_scan_bridge_extend()`: each bridge of a bus, in
//!   devfn order, takes the next bus number, then its subtree), so bus N hangs below the
//!   deepest bridge still without a bus (the bridges passed over are done), a listed group
//!   shared with a bridge taking precedence, and never below a bridge listed in a group of
//!   several devices when the bus is listed apart (that bridge does not isolate); a bus no
//!   bridge can own is a root bus of its own host bridge. Gaps in the numbers (buses
//!   reserved for hot-plug, empty ports) do not say which bridge took them, so a parent
//!   inferred this way can be a sibling of the real one: the groups come out the same;
//! - **multifunction**: from the slot's other functions (the language derives it);
//! - **ACS**: the `ACSCap:`/`ACSCtl:` lines; else the project's table of devices known
//!   from a public `lspci -vvv` ([`super::known`]); else open to inference ([`super::infer`]).

use super::{known, Format, Paste, PortType, Upstream};
use crate::scenario::ast::{
    ConfigSetting, DeviceRef, ExpectStmt, HostDecl, IommuDecl, Number, PciDecl, Scenario, Span,
    Spanned, Stmt, StmtKind, WrittenBdf,
};
use crate::scenario::Check;
use crate::topology::{AcsFlags, Bdf, IommuKind, PciId, PciType};
use crate::vec_map::{VecMap, VecSet};
use serde::Serialize;
use std::fmt;

/// The kind of a fact that was not read from the listing itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NoteKind {
    /// A device-specific quirk of drivers/pci/quirks.c, by `id=`.
    Quirk,
    /// From the project's table of devices known from a public `lspci -vvv`.
    Known,
    /// Chosen so the model reproduces the listing's groups.
    Inferred,
    /// Where the parent came from, when not the tree.
    Parent,
}

/// One fact with its provenance: printed as a trailing comment on the device's line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Note {
    pub kind: NoteKind,
    pub text: String,
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            NoteKind::Quirk => write!(f, "quirk: {}", self.text),
            NoteKind::Known => write!(f, "known: {}", self.text),
            NoteKind::Inferred => write!(f, "inferred: {}", self.text),
            NoteKind::Parent => f.write_str(&self.text),
        }
    }
}

/// What is known of a function's ACS capability.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AcsSource {
    /// `ACSCap:`/`ACSCtl:` lines, or a capability list that has no ACS.
    Read,
    /// The known-devices table.
    Known,
    /// Neither: left at the language's default unless inference needs it.
    Unknown,
}

/// One PCI function of the rebuilt machine.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Function {
    pub bdf: Bdf,
    pub ty: PciType,
    pub parent: Option<Bdf>,
    /// Index into [`Machine::hosts`].
    pub host: usize,
    /// `None`: no ACS capability.
    pub acs_cap: Option<AcsFlags>,
    pub acs_ctl: AcsFlags,
    pub acs_source: AcsSource,
    pub id: Option<PciId>,
    /// The group the listing states.
    pub group: Option<u32>,
    /// `vendor device` as lspci named it (for the report's sentences).
    pub name: Option<String>,
    pub notes: Vec<Note>,
}

/// A host bridge and its root bus.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HostBridge {
    pub name: String,
    pub segment: u16,
    pub bus: u8,
    /// Index into [`Machine::iommus`].
    pub iommu: usize,
}

/// The machine a paste describes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Machine {
    pub iommus: Vec<String>,
    pub hosts: Vec<HostBridge>,
    /// In declaration order: parents before children, each bus in address order.
    pub functions: Vec<Function>,
    #[serde(skip)]
    index: VecMap<Bdf, usize>,
}

impl Machine {
    pub fn function(&self, bdf: Bdf) -> Option<&Function> {
        self.index.get(&bdf).and_then(|&i| self.functions.get(i))
    }

    pub(crate) fn function_mut(&mut self, bdf: Bdf) -> Option<&mut Function> {
        self.index
            .get(&bdf)
            .copied()
            .and_then(move |i| self.functions.get_mut(i))
    }

    /// The functions directly below `bdf`.
    pub fn children(&self, bdf: Bdf) -> impl Iterator<Item = &Function> + '_ {
        self.functions.iter().filter(move |f| f.parent == Some(bdf))
    }

    /// Every function has a listed group.
    pub fn fully_listed(&self) -> bool {
        self.functions.iter().all(|f| f.group.is_some())
    }

    /// The scenario: IOMMU(s), hosts, every function with its facts and their provenance
    /// comments, the `config` line (`config`: settings to keep), and the listing's groups as
    /// expectations.
    pub fn scenario(&self, header: &[String], config: &[Spanned<ConfigSetting>]) -> Scenario {
        let mut stmts: Vec<Stmt> = header
            .iter()
            .map(|h| stmt(StmtKind::Comment(format!(" {h}")), None))
            .collect();
        if !stmts.is_empty() {
            stmts.push(stmt(StmtKind::Blank, None));
        }
        if !config.is_empty() {
            stmts.push(stmt(StmtKind::Config(config.to_vec()), None));
        }
        for name in &self.iommus {
            stmts.push(stmt(
                StmtKind::Iommu(IommuDecl {
                    name: sp(name.clone()),
                    kind: Some(sp(IommuKind::Generic)),
                    granule: None,
                    ias: None,
                    oas: None,
                    smrs: None,
                }),
                None,
            ));
        }
        for h in &self.hosts {
            let iommu = self.iommus.get(h.iommu).cloned().unwrap_or_default();
            stmts.push(stmt(
                StmtKind::Host(HostDecl {
                    name: sp(h.name.clone()),
                    iommu: Some(sp(iommu)),
                    segment: (h.segment != 0).then(|| sp(Number::dec(u64::from(h.segment)))),
                    bus: (h.bus != 0).then(|| sp(hex(u64::from(h.bus)))),
                }),
                None,
            ));
        }
        let several_hosts = self.hosts.len() > 1;
        for f in &self.functions {
            let (acs, acs_cap, acs_ctl) = match f.acs_cap {
                None => (None, None, None),
                Some(cap) if cap == f.acs_ctl => (Some(sp(cap)), None, None),
                Some(cap) => (None, Some(sp(cap)), Some(sp(f.acs_ctl))),
            };
            let host = (several_hosts && f.parent.is_none())
                .then(|| self.hosts.get(f.host).map(|h| sp(h.name.clone())))
                .flatten();
            let decl = PciDecl {
                parent: f.parent.map(|p| sp(written(p))),
                host,
                acs,
                acs_cap,
                acs_ctl,
                id: f.id.map(sp),
                // No format prints the header's multifunction bit (see [`super::Device`]):
                // the language derives it from the slot's other functions (`new` leaves it
                // out, with subsys, untrusted and the SR-IOV fields).
                ..PciDecl::new(sp(written(f.bdf)), sp(f.ty))
            };
            let comment = (!f.notes.is_empty()).then(|| {
                let parts: Vec<String> = f.notes.iter().map(Note::to_string).collect();
                format!(" {}", parts.join("; "))
            });
            stmts.push(stmt(StmtKind::Pci(decl), comment));
        }
        stmts.extend(self.expectations());
        Scenario { stmts }
    }

    /// The listing's groups: `expect groups = …` when every function has one; otherwise
    /// (devices the listing shows without a group stay out) `group(A) == group(B)` within
    /// each listed group and `!=` between them.
    fn expectations(&self) -> Vec<Stmt> {
        let mut groups: VecMap<u32, Vec<Bdf>> = VecMap::new();
        for f in &self.functions {
            if let Some(g) = f.group {
                groups.entry(g).or_default().push(f.bdf);
            }
        }
        if groups.is_empty() {
            return Vec::new();
        }
        let dev = |b: Bdf| sp(DeviceRef::Bdf(written(b)));
        let mut out = vec![stmt(StmtKind::Blank, None)];
        let expect = |check: Check| {
            stmt(
                StmtKind::Expect(ExpectStmt {
                    check,
                    eras: Vec::new(),
                }),
                None,
            )
        };
        if self.fully_listed() {
            let parts = groups
                .values()
                .map(|m| sp(m.iter().map(|&b| dev(b)).collect()))
                .collect();
            let whole = expect(Check::Groups(parts));
            // One line holds it unless the machine is large (the language's line limit).
            if crate::scenario::printer::code(&whole.kind).len() < crate::limits::MAX_LINE {
                out.push(stmt(
                    StmtKind::Comment(" The groups the listing states.".to_string()),
                    None,
                ));
                out.push(whole);
                return out;
            }
        }
        let why = if self.fully_listed() {
            "too many for one `expect groups` line"
        } else {
            "some devices are listed without one"
        };
        out.push(stmt(
            StmtKind::Comment(format!(" The groups the listing states ({why}).")),
            None,
        ));
        let firsts: Vec<Bdf> = groups.values().filter_map(|m| m.first().copied()).collect();
        for m in groups.values() {
            for pair in m.windows(2) {
                if let [a, b] = pair {
                    out.push(expect(Check::SameGroup {
                        a: dev(*a),
                        op: crate::scenario::CmpOp::Eq,
                        b: dev(*b),
                    }));
                }
            }
        }
        // Every pair of groups apart while that stays short, else each from the next.
        let all_pairs = firsts.len() <= PAIRWISE_GROUPS;
        for (i, a) in firsts.iter().enumerate() {
            let rest = if all_pairs { firsts.len() } else { 1 };
            for b in firsts.iter().skip(i + 1).take(rest) {
                out.push(expect(Check::SameGroup {
                    a: dev(*a),
                    op: crate::scenario::CmpOp::Ne,
                    b: dev(*b),
                }));
            }
        }
        out
    }
}

/// Up to this many listed groups, a partial listing's expectations keep every pair apart.
const PAIRWISE_GROUPS: usize = 16;

fn sp<T>(node: T) -> Spanned<T> {
    Spanned::new(node, Span::default())
}

fn stmt(kind: StmtKind, comment: Option<String>) -> Stmt {
    Stmt {
        kind,
        comment,
        span: Span::default(),
    }
}

fn hex(v: u64) -> Number {
    Number {
        value: v,
        style: crate::scenario::NumStyle::Hex,
    }
}

fn written(bdf: Bdf) -> WrittenBdf {
    WrittenBdf {
        bdf,
        with_segment: bdf.segment != 0,
    }
}

/// Class codes (base class and sub-class) that matter here: include/linux/pci_ids.h.
const CLASS_BRIDGE_HOST: u16 = 0x0600;
const CLASS_BRIDGE_PCI: u16 = 0x0604;
const CLASS_BRIDGE_PCI_SEMI: u16 = 0x0609;

/// The class code, from `[cccc]`, dmesg's `class 0x…`, or lspci's class name.
fn class_of(d: &super::Device) -> Option<u16> {
    d.class.as_ref().map(|c| c.value).or_else(|| {
        match d.class_name.as_ref().map(|n| n.value.as_str()) {
            Some("PCI bridge") => Some(CLASS_BRIDGE_PCI),
            Some("Host bridge") => Some(CLASS_BRIDGE_HOST),
            _ => None,
        }
    })
}

/// A PCI-to-PCI bridge (type 1 header): by its port type, class, header type or bus range.
fn is_bridge(d: &super::Device) -> bool {
    match d.port_type.as_ref().map(|p| p.value) {
        Some(
            PortType::RootPort
            | PortType::UpstreamPort
            | PortType::DownstreamPort
            | PortType::PcieToPciBridge
            | PortType::PciToPcieBridge,
        ) => return true,
        Some(
            PortType::Endpoint
            | PortType::LegacyEndpoint
            | PortType::RcIntegratedEndpoint
            | PortType::RcEventCollector,
        ) => return false,
        Some(PortType::Conventional) | None => {}
    }
    matches!(class_of(d), Some(CLASS_BRIDGE_PCI | CLASS_BRIDGE_PCI_SEMI))
        || d.header_type.as_ref().is_some_and(|h| h.value == 1)
        || d.bus_range.is_some()
}

/// Functions whose port type says they sit on a root bus.
fn says_root_bus(d: &super::Device) -> bool {
    matches!(
        d.port_type.as_ref().map(|p| p.value),
        Some(PortType::RootPort | PortType::RcIntegratedEndpoint | PortType::RcEventCollector)
    ) || class_of(d) == Some(CLASS_BRIDGE_HOST)
}

/// A function's parent and how it was found.
type Parent = (Bdf, Found);

/// Who owns a bus: a host bridge (root bus) or a bridge, and how that was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Owner {
    Root,
    Bridge(Bdf, Found),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Found {
    Tree,
    Range(Format),
    BusNumbers,
}

/// Builds the machine a paste describes (no inference yet).
pub fn rebuild(p: &Paste) -> Machine {
    // Buses and who owns them.
    let mut buses: VecMap<(u16, u8), Vec<Bdf>> = VecMap::new();
    for &b in p.devices.keys() {
        buses.entry((b.segment, b.bus)).or_default().push(b);
    }
    let bridges: VecSet<Bdf> = p
        .devices
        .values()
        .filter(|d| is_bridge(d))
        .map(|d| d.bdf)
        .collect();
    let mut owner: VecMap<(u16, u8), Owner> = VecMap::new();
    let mut owns: VecMap<Bdf, (u16, u8)> = VecMap::new();
    let claim = |owner: &mut VecMap<(u16, u8), Owner>,
                 owns: &mut VecMap<Bdf, (u16, u8)>,
                 bus: (u16, u8),
                 bridge: Bdf,
                 found: Found| {
        if owner.contains_key(&bus)
            || owns.contains_key(&bridge)
            || bridge.segment != bus.0
            || bridge.bus >= bus.1
            || !bridges.contains(&bridge)
        {
            return;
        }
        owner.insert(bus, Owner::Bridge(bridge, found));
        owns.insert(bridge, bus);
    };
    // 1. The tree: a stated upstream.
    for (child, up) in p.edges() {
        let bus = (child.segment, child.bus);
        match up.value {
            Upstream::Root { segment, bus: b } if (segment, b) == bus => {
                owner.entry(bus).or_insert(Owner::Root);
            }
            Upstream::Root { .. } => {}
            Upstream::Bridge(br) => claim(&mut owner, &mut owns, bus, br, Found::Tree),
        }
    }
    // 2. Stated bus ranges.
    for (br, range) in p.bus_ranges() {
        let bus = (br.segment, range.value.secondary);
        if buses.contains_key(&bus) {
            claim(
                &mut owner,
                &mut owns,
                bus,
                br,
                Found::Range(range.from.format),
            );
        }
    }
    // 3. The rest from the bus numbers, depth first.
    let group_of = |b: Bdf| p.device(b).and_then(|d| d.group.as_ref().map(|g| g.value));
    let group_size: VecMap<u32, usize> =
        VecMap::from_iter(p.groups.iter().map(|(g, m)| (*g, m.len())));
    // The lowest bus of each segment the tree or a range gave an owner.
    let mut lowest_owned: VecMap<u16, u8> = VecMap::new();
    for &(seg, bus) in owner.keys() {
        let e = lowest_owned.entry(seg).or_insert(bus);
        *e = (*e).min(bus);
    }
    // Bridges without a bus yet, in (segment, bus, devfn) order; taken ones leave.
    let mut open: VecSet<Bdf> =
        VecSet::from_iter(bridges.iter().copied().filter(|b| !owns.contains_key(b)));
    for (&(seg, bus), members) in &buses {
        if owner.contains_key(&(seg, bus)) {
            continue;
        }
        let first_bus = lowest_owned.get(&seg).is_none_or(|&l| l >= bus);
        lowest_owned.entry(seg).or_insert(bus);
        let rooted = (seg, bus) == (0, 0)
            || first_bus
            || members
                .iter()
                .any(|&b| p.device(b).is_some_and(says_root_bus));
        if rooted {
            owner.insert((seg, bus), Owner::Root);
            continue;
        }
        // Candidates: bridges above this bus still without one, deepest bus first, then
        // in devfn order.
        let from = Bdf {
            segment: seg,
            bus: 0,
            dev: 0,
            func: 0,
        };
        let to = Bdf { bus, ..from };
        let mut cands: Vec<Bdf> = open
            .range(from..to)
            .copied()
            .filter(|b| {
                // A bridge hangs below an owned bus (or a root bus) to be reachable.
                b.bus == 0 || owner.contains_key(&(b.segment, b.bus))
            })
            .collect();
        crate::sort::sort_by_key(&mut cands, |b| (std::cmp::Reverse(b.bus), b.devfn()));
        if cands.is_empty() {
            owner.insert((seg, bus), Owner::Root);
            continue;
        }
        let groups_here: VecSet<u32> =
            VecSet::from_iter(members.iter().filter_map(|&b| group_of(b)));
        let by_group = cands
            .iter()
            .position(|&c| group_of(c).is_some_and(|g| groups_here.contains(&g)));
        // A bridge listed in a group with other devices does not isolate what is below it
        // (the upstream walk would have put this bus in its group), so a bus listed apart
        // does not hang below it.
        let consistent = cands.iter().position(|&c| {
            group_of(c).is_none_or(|g| group_size.get(&g).copied().unwrap_or(0) < 2)
                || groups_here.is_empty()
        });
        let at = by_group.or(consistent).unwrap_or(0);
        // Depth first: the bridges before the chosen one had their turn (with nothing
        // listed below them).
        for c in cands.iter().take(at) {
            owns.insert(*c, (seg, 0));
            open.remove(c);
        }
        if let Some(&c) = cands.get(at) {
            owner.insert((seg, bus), Owner::Bridge(c, Found::BusNumbers));
            owns.insert(c, (seg, bus));
            open.remove(&c);
        }
    }

    let parent_of = |b: Bdf| match owner.get(&(b.segment, b.bus)) {
        Some(Owner::Bridge(p, found)) => Some((*p, *found)),
        _ => None,
    };
    let mut children: VecMap<Bdf, Vec<Bdf>> = VecMap::new();
    for &b in p.devices.keys() {
        if let Some((par, _)) = parent_of(b) {
            children.entry(par).or_default().push(b);
        }
    }

    // IOMMUs and hosts.
    let mut m = Machine::default();
    let vendor0 = p
        .devices
        .values()
        .find_map(|d| d.id.as_ref().map(|i| i.value.vendor));
    let default_iommu = if vendor0 == Some(crate::topology::quirks::VENDOR_AMD) {
        "amdvi"
    } else {
        "dmar0"
    };
    let mut iommu_names: VecMap<String, usize> = VecMap::new();
    for d in p.devices.values() {
        if let Some(u) = &d.iommu {
            let n = iommu_names.len();
            iommu_names.entry(u.value.clone()).or_insert(n);
        }
    }
    m.iommus = {
        let mut v: Vec<(usize, String)> =
            iommu_names.iter().map(|(k, v)| (*v, k.clone())).collect();
        crate::sort::sort(&mut v);
        v.into_iter().map(|(_, n)| sanitize(&n)).collect()
    };
    if m.iommus.is_empty() {
        m.iommus.push(default_iommu.to_string());
    }
    let roots: Vec<(u16, u8)> = owner
        .iter()
        .filter(|(_, o)| **o == Owner::Root)
        .map(|(k, _)| *k)
        .collect();
    for (i, &(segment, bus)) in roots.iter().enumerate() {
        let iommu = buses
            .get(&(segment, bus))
            .into_iter()
            .flatten()
            .find_map(|&b| p.device(b).and_then(|d| d.iommu.as_ref()))
            .and_then(|u| iommu_names.get(&u.value).copied())
            .unwrap_or(0);
        m.hosts.push(HostBridge {
            name: format!("pci{i}"),
            segment,
            bus,
            iommu,
        });
    }

    // Functions in the order Linux adds them (drivers/pci/bus.c `pci_bus_add_devices()`,
    // v6.8: every device of a bus, then each bridge's bus in turn), which is the order
    // `iommu_probe_device()` sees them: the model numbers its groups as the kernel does.
    let mut order: Vec<(Bdf, Option<Parent>, usize)> = Vec::new();
    let mut stack: Vec<(&[Bdf], usize)> = Vec::new();
    for (hi, &(seg, bus)) in roots.iter().enumerate().rev() {
        if let Some(devs) = buses.get(&(seg, bus)) {
            stack.push((devs.as_slice(), hi));
        }
    }
    while let Some((devs, hi)) = stack.pop() {
        for &b in devs {
            order.push((b, parent_of(b), hi));
        }
        for b in devs.iter().rev() {
            if let Some(kids) = children.get(b) {
                stack.push((kids.as_slice(), hi));
            }
        }
    }
    for (bdf, par, host) in order {
        let Some(d) = p.device(bdf) else { continue };
        let parent_ty = par.and_then(|(pb, _)| m.function(pb).map(|f| f.ty));
        let kids = children.get(&bdf).map(Vec::as_slice).unwrap_or(&[]);
        let ty = type_of(p, d, parent_ty, kids);
        let mut notes = Vec::new();
        match par {
            Some((_, Found::BusNumbers)) => notes.push(Note {
                kind: NoteKind::Parent,
                text: "parent inferred from bus numbers".to_string(),
            }),
            Some((_, Found::Range(f))) => notes.push(Note {
                kind: NoteKind::Parent,
                text: match f {
                    Format::Dmesg => "parent from dmesg `bridge to`".to_string(),
                    Format::LspciTree => "parent from the tree".to_string(),
                    _ => "parent from `Bus:` ranges".to_string(),
                },
            }),
            Some((_, Found::Tree)) | None => {}
        }
        let id = d.id.as_ref().map(|i| i.value);
        let (acs_cap, acs_ctl, acs_source) = match d.acs.as_ref().map(|a| a.value) {
            Some(a) if a.cap.is_some() || a.ctl.is_some() => (
                Some(a.cap.or(a.ctl).unwrap_or(AcsFlags::NONE)),
                a.ctl.unwrap_or(AcsFlags::NONE),
                AcsSource::Read,
            ),
            // `-v`: the capability is there, its bits unknown.
            Some(_) => (None, AcsFlags::NONE, AcsSource::Unknown),
            None if capabilities_read(d) => (None, AcsFlags::NONE, AcsSource::Read),
            None => match id.and_then(known::lookup) {
                Some(k) => {
                    notes.push(Note {
                        kind: NoteKind::Known,
                        text: k.note(),
                    });
                    (k.cap, k.ctl, AcsSource::Known)
                }
                None => (None, AcsFlags::NONE, AcsSource::Unknown),
            },
        };
        let f = Function {
            bdf,
            ty,
            parent: par.map(|(pb, _)| pb),
            host,
            acs_cap,
            acs_ctl,
            acs_source,
            id,
            group: d.group.as_ref().map(|g| g.value),
            name: d.name.as_ref().map(|n| n.value.clone()),
            notes,
        };
        m.index.insert(bdf, m.functions.len());
        m.functions.push(f);
    }
    m
}

/// An IOMMU unit's name as the language spells names.
fn sanitize(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if !out.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        out.insert(0, '_');
    }
    out
}

/// lspci read the function's capability list: it printed the PCIe capability, which it
/// shows only with root rights (ls-caps.c `show_caps()`; without them `<access denied>`),
/// and then the extended capabilities too, ACS among them (ls-ecaps.c `show_ext_caps()`):
/// a PCIe function listed that way without ACS has none.
fn capabilities_read(d: &super::Device) -> bool {
    d.acs.is_none()
        && d.port_type
            .as_ref()
            .is_some_and(|p| p.from.format == Format::Lspci && p.value != PortType::Conventional)
}

/// The language type of one function.
fn type_of(p: &Paste, d: &super::Device, parent: Option<PciType>, kids: &[Bdf]) -> PciType {
    let bridge_kids = kids.iter().any(|&k| p.device(k).is_some_and(is_bridge));
    let stated = d.port_type.as_ref().map(|t| t.value);
    let ty = match stated {
        Some(PortType::RootPort) => PciType::RootPort,
        Some(PortType::UpstreamPort) => PciType::UpstreamPort,
        Some(PortType::DownstreamPort) => PciType::DownstreamPort,
        Some(PortType::Endpoint | PortType::LegacyEndpoint) => PciType::Endpoint,
        Some(PortType::RcIntegratedEndpoint | PortType::RcEventCollector) => {
            PciType::RcIntegratedEndpoint
        }
        Some(PortType::PcieToPciBridge) => PciType::PcieToPciBridge,
        Some(PortType::PciToPcieBridge) => PciType::ConventionalPci,
        Some(PortType::Conventional) | None if is_bridge(d) => match parent {
            None if stated.is_none() => PciType::RootPort,
            None => PciType::ConventionalPci,
            Some(PciType::RootPort | PciType::DownstreamPort) if stated.is_none() => {
                if bridge_kids || kids.is_empty() {
                    PciType::UpstreamPort
                } else {
                    PciType::PcieToPciBridge
                }
            }
            Some(PciType::UpstreamPort) if stated.is_none() => PciType::DownstreamPort,
            Some(_) => PciType::ConventionalPci,
        },
        Some(PortType::Conventional) | None => match parent {
            None if class_of(d) == Some(CLASS_BRIDGE_HOST) => PciType::HostBridge,
            None => PciType::ConventionalPci,
            Some(PciType::PcieToPciBridge | PciType::ConventionalPci) => PciType::ConventionalPci,
            Some(_) if stated == Some(PortType::Conventional) => PciType::ConventionalPci,
            Some(_) => PciType::Endpoint,
        },
    };
    legal(ty, parent, !kids.is_empty())
}

/// The nearest type the language accepts in this place (a paste can contradict itself).
fn legal(ty: PciType, parent: Option<PciType>, has_kids: bool) -> PciType {
    let ty = match (ty, parent) {
        (PciType::RootPort | PciType::RcIntegratedEndpoint | PciType::HostBridge, Some(p)) => {
            match (ty, p) {
                (PciType::RootPort, PciType::RootPort | PciType::DownstreamPort) => {
                    PciType::UpstreamPort
                }
                (PciType::RootPort, PciType::UpstreamPort) => PciType::DownstreamPort,
                (PciType::RcIntegratedEndpoint, _) => PciType::Endpoint,
                _ => PciType::ConventionalPci,
            }
        }
        (PciType::UpstreamPort, Some(p))
            if !matches!(p, PciType::RootPort | PciType::DownstreamPort) =>
        {
            PciType::ConventionalPci
        }
        (PciType::DownstreamPort, Some(p)) if p != PciType::UpstreamPort => {
            if matches!(p, PciType::RootPort | PciType::DownstreamPort) {
                PciType::UpstreamPort
            } else {
                PciType::ConventionalPci
            }
        }
        (t, _) => t,
    };
    if has_kids
        && !matches!(
            ty,
            PciType::RootPort
                | PciType::UpstreamPort
                | PciType::DownstreamPort
                | PciType::PcieToPciBridge
                | PciType::ConventionalPci
        )
    {
        return if parent.is_none() {
            PciType::RootPort
        } else {
            PciType::ConventionalPci
        };
    }
    ty
}
