//! Importing a real machine from what its Linux prints (shared/IMPORT.md): the parsing layer.
//!
//! [`parse`] reads one pasted text — any mix of the formats below, with the mess real pastes
//! have — into a [`Paste`]: every PCI function it names, each fact about it with where it
//! was read ([`Source`]: the format and the line), the groups the listing states, the tree
//! edges and bus ranges, the kernel command line, what could not be read (counted, with line
//! numbers) and every statement two sources disagree on ([`Conflict`]). Reconstruction (the
//! scenario, quirks, inference) builds on it; nothing here interprets the facts.
//!
//! | format | reader | where the text comes from |
//! |---|---|---|
//! | `lspci` (`-v`…`-vvv`, `-n`, `-nn`, `-k`, `-D`) | [`lspci`] | pciutils `lspci.c` `show_device()`/`show_verbose()`/`show_htype1()`, `ls-caps.c` `cap_express()`, `ls-ecaps.c` `cap_acs()`, `ls-kernel.c` `show_kernel()` |
//! | `lspci -t`, `-tv`, `-tvnn` | [`tree`] | pciutils `ls-tree.c` `show_tree_dev()`/`show_tree_bus()`/`show_tree_bridge()`/`print_it()` |
//! | group listings | [`groups`] | the Arch wiki shell loop (`IOMMU Group N:` blocks or one line per device), r15ch13's `iommu.sh` (`Group N:`), `lsgroup.sh` (`### Group N ###`), per-DMAR listings (`IOMMU: dmarN`), `find /sys/kernel/iommu_groups/ -type l`, `ls -l /sys/kernel/iommu_groups/*/devices` |
//! | kernel log | [`dmesg`] | drivers/pci/probe.c `pci_setup_device()`, `pci_read_bridge_windows()`; drivers/iommu/iommu.c `iommu_group_add_device()` |
//! | `/proc/cmdline` | [`cmdline`] | the boot loader's command line as the kernel keeps it (init/main.c `saved_command_line`) |
//!
//! Bad input never panics and stays bounded: at most [`MAX_IMPORT_DEVICES`] functions,
//! [`MAX_IMPORT_INPUT`] bytes, lines of [`MAX_LINE`] bytes, [`MAX_IMPORT_NOTES`] recorded
//! skipped lines and conflicts (the rest are counted).
//!
//! ```
//! let p = iommu_engine::import::parse("IOMMU Group 1 00:01.0 PCI bridge [0604]: Intel [8086:1901]\n")
//!     .unwrap();
//! assert_eq!(p.devices.len(), 1);
//! assert_eq!(p.groups.len(), 1);
//! ```

pub mod check;
pub mod cmdline;
pub mod dmesg;
pub mod groups;
pub mod infer;
pub mod known;
pub mod lspci;
pub mod rebuild;
pub mod report;
mod scan;
mod text;
pub mod tree;
pub mod view;

#[cfg(test)]
mod import_tests;
#[cfg(test)]
mod tests;

pub use crate::limits::{MAX_IMPORT_DEVICES, MAX_IMPORT_INPUT, MAX_IMPORT_NOTES, MAX_LINE};
pub use crate::topology::{AcsFlags, Bdf, PciId};
pub use cmdline::{Cmdline, Param};

use crate::vec_map::{VecMap, VecSet};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;

/// Reads a pasted text. Whatever cannot be read is skipped and counted in the result; the
/// only errors are an input past [`MAX_IMPORT_INPUT`] and a text where nothing at all was
/// readable.
pub fn parse(text: &str) -> Result<Paste, ImportError> {
    scan::parse(text)
}

/// How to import ([`import`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportOptions {
    /// `key=value …` settings for the scenario's `config` line (`--config`), on top of what
    /// the pasted `/proc/cmdline` sets.
    pub config: Option<String>,
    /// Do not infer: the scenario and report hold only the read, quirk and known facts.
    pub no_inference: bool,
}

/// What [`import`] gives: the scenario (SCENARIO.md language, canonical text) and the
/// `--check` report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Imported {
    /// The scenario that rebuilds the machine, with the listing's groups as expectations.
    pub scenario_text: String,
    pub report: report::Report,
    /// The rebuilt machine (hosts, functions with their facts and provenance).
    pub machine: rebuild::Machine,
}

impl Imported {
    /// The report's text (`iommu-play import --check`).
    pub fn report_text(&self) -> String {
        view::report_text(&self.report)
    }
}

/// Imports a pasted text (shared/IMPORT.md): parses it ([`parse`]), rebuilds the machine
/// ([`rebuild::rebuild`]), adds the quirk notes, infers what the listing's groups need
/// ([`infer::infer`]) unless told not to, and compares the model's groups with the
/// listing's ([`report::Report`]). Errors: [`parse`]'s, and a `--config` that is not a valid
/// `config` line (at its own line 1).
///
/// ```
/// use iommu_engine::import::{import, ImportOptions};
/// let paste = "IOMMU Group 1:\n\t00:01.0 PCI bridge [0604]: Intel Corporation Device [8086:1901]\n\
///              \t01:00.0 VGA compatible controller [0300]: NVIDIA Corporation Device [10de:1b80]\n";
/// let out = import(paste, &ImportOptions::default()).unwrap();
/// assert!(out.report.reproduced);
/// assert!(out.scenario_text.contains("pci 01:00.0 ep parent=00:01.0"));
/// ```
pub fn import(text: &str, opts: &ImportOptions) -> Result<Imported, ImportError> {
    let paste = parse(text)?;
    let (config, unmodelled) = config_settings(&paste, opts)?;
    let config_line = config_text(&config);
    let mut machine = rebuild::rebuild(&paste);
    let internal = |e: String| ImportError {
        line: 1,
        col: 1,
        message: format!("the rebuilt machine does not build: {e}"),
    };
    let model = check::Model::new(&machine, &config).map_err(internal)?;
    check::note_quirks(&mut machine, &model);
    let before = check::Comparison::new(&machine, &model).same();
    let model = if opts.no_inference || before {
        model
    } else if infer::infer(&mut machine, &model) > 0 {
        check::Model::new(&machine, &config).map_err(internal)?
    } else {
        model
    };
    let mut report = report::Report::new(&machine, &model, before, config_line);
    report.skipped_lines = paste.skipped_count;
    report.cuts = paste.cuts.clone();
    report.conflicts = paste.conflicts.iter().map(Conflict::to_string).collect();
    report.notes.extend(unmodelled);
    if paste.dropped > 0 {
        report.notes.push(format!(
            "{} statements named functions past the limit of {MAX_IMPORT_DEVICES} and were dropped",
            paste.dropped
        ));
    }
    let max = crate::limits::MAX_DEVICES;
    if machine.functions.len() > max {
        report.notes.push(format!(
            "the scenario declares {} functions: `iommu-play run` runs at most {max}, so it is for reading \
             and regrouping (this report), not for running",
            machine.functions.len()
        ));
    }
    let header = header(&paste, &report);
    let scenario_text = machine.scenario(&header, &config).print();
    Ok(Imported {
        scenario_text,
        report,
        machine,
    })
}

/// The scenario's leading comment.
fn header(p: &Paste, r: &report::Report) -> Vec<String> {
    let formats: Vec<String> = p.formats().iter().map(Format::to_string).collect();
    let verdict = match (r.reproduced, r.reproduced_without_inference) {
        (true, true) => "The model reproduces the listed groups",
        (true, false) => "The model reproduces the listed groups with the inferred facts",
        (false, _) => {
            "The model does not reproduce the listed groups (iommu-play import --check says why)"
        }
    };
    vec![
        format!(
            "Imported from a paste ({}): {} PCI functions, {} listed groups.",
            formats.join(", "),
            r.functions,
            r.groups.len()
        ),
        format!("{verdict}."),
        "Trailing comments: where a fact not read from the listing came from.".to_string(),
    ]
}

/// `config` settings.
type Settings = Vec<crate::scenario::Spanned<crate::scenario::ConfigSetting>>;

/// The `config` settings: what the pasted `/proc/cmdline` boots with
/// ([`Cmdline::config_keys`]), then the `--config` text (later settings of a key win). A
/// command-line parameter the language cannot take is reported, not fatal; a bad
/// `--config` is an error at its column.
fn config_settings(
    p: &Paste,
    opts: &ImportOptions,
) -> Result<(Settings, Vec<String>), ImportError> {
    let mut out = Vec::new();
    let mut unmodelled = Vec::new();
    if let Some(c) = &p.cmdline {
        for k in c.value.config_keys() {
            match k.setting.as_deref().map_err(Clone::clone).and_then(|s| {
                crate::scenario::parse_config_settings(s).map_err(|e| e.kind.to_string())
            }) {
                Ok(v) => out.extend(v),
                Err(why) => unmodelled.push(format!(
                    "/proc/cmdline (line {}): `{}` is not modelled: {why}",
                    c.from.line, k.param
                )),
            }
        }
    }
    if let Some(text) = opts.config.as_deref().filter(|t| !t.trim().is_empty()) {
        let v = crate::scenario::parse_config_settings(text.trim()).map_err(|e| ImportError {
            line: 1,
            col: e.span.col.max(1),
            message: format!("--config: {}", e.kind),
        })?;
        out.extend(v);
    }
    Ok((out, unmodelled))
}

fn config_text(c: &[crate::scenario::Spanned<crate::scenario::ConfigSetting>]) -> String {
    if c.is_empty() {
        return String::new();
    }
    crate::scenario::printer::code(&crate::scenario::StmtKind::Config(c.to_vec()))
}

/// The formats a fact can be read from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// An `lspci` device line (flat, `-nn`, `-k`, or the header of a `-v` block) and the
    /// indented lines of its block.
    Lspci,
    /// `lspci -t` tree.
    LspciTree,
    /// An IOMMU group listing (any of the layouts [`groups`] reads).
    Groups,
    /// `find`/`ls -l` of /sys/kernel/iommu_groups.
    Sysfs,
    /// A kernel log line (dmesg, journalctl, syslog).
    Dmesg,
    /// `/proc/cmdline` (or a boot loader's command line).
    Cmdline,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Lspci => "lspci",
            Format::LspciTree => "lspci -t",
            Format::Groups => "group listing",
            Format::Sysfs => "sysfs",
            Format::Dmesg => "kernel log",
            Format::Cmdline => "/proc/cmdline",
        })
    }
}

/// Where a fact was read: its format and its line (1-based) in the pasted text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Source {
    pub format: Format,
    pub line: u32,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} line {}", self.format, self.line)
    }
}

/// A value with the place it was first read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Fact<T> {
    pub value: T,
    pub from: Source,
}

/// The PCI Express device/port type as the listing names it: the PCIe capability's
/// `PCI_EXP_FLAGS_TYPE` field (include/uapi/linux/pci_regs.h `PCI_EXP_TYPE_*`), printed by
/// lspci's `cap_express()` ("Express (v2) Root Port (Slot+), MSI 00") and by the kernel's
/// `pci_type_str()` ("PCIe Root Port"), or `Conventional` when the kernel says the function
/// has no PCIe capability ("conventional PCI endpoint"/"bridge").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PortType {
    /// `PCI_EXP_TYPE_ENDPOINT` (0).
    Endpoint,
    /// `PCI_EXP_TYPE_LEG_END` (1).
    LegacyEndpoint,
    /// `PCI_EXP_TYPE_ROOT_PORT` (4).
    RootPort,
    /// `PCI_EXP_TYPE_UPSTREAM` (5).
    UpstreamPort,
    /// `PCI_EXP_TYPE_DOWNSTREAM` (6).
    DownstreamPort,
    /// `PCI_EXP_TYPE_PCI_BRIDGE` (7): PCIe to PCI/PCI-X bridge.
    PcieToPciBridge,
    /// `PCI_EXP_TYPE_PCIE_BRIDGE` (8): PCI/PCI-X to PCIe bridge.
    PciToPcieBridge,
    /// `PCI_EXP_TYPE_RC_END` (9).
    RcIntegratedEndpoint,
    /// `PCI_EXP_TYPE_RC_EC` (10).
    RcEventCollector,
    /// No PCIe capability (the kernel's "conventional PCI …" / "CardBus bridge").
    Conventional,
}

impl PortType {
    /// The PCIe types (all but [`PortType::Conventional`]), in `PCI_EXP_TYPE_*` order.
    pub(crate) const EXPRESS: [PortType; 9] = [
        PortType::Endpoint,
        PortType::LegacyEndpoint,
        PortType::RootPort,
        PortType::UpstreamPort,
        PortType::DownstreamPort,
        PortType::PcieToPciBridge,
        PortType::PciToPcieBridge,
        PortType::RcIntegratedEndpoint,
        PortType::RcEventCollector,
    ];
}

impl fmt::Display for PortType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PortType::Endpoint => "Endpoint",
            PortType::LegacyEndpoint => "Legacy Endpoint",
            PortType::RootPort => "Root Port",
            PortType::UpstreamPort => "Upstream Port",
            PortType::DownstreamPort => "Downstream Port",
            PortType::PcieToPciBridge => "PCI-Express to PCI/PCI-X Bridge",
            PortType::PciToPcieBridge => "PCI/PCI-X to PCI-Express Bridge",
            PortType::RcIntegratedEndpoint => "Root Complex Integrated Endpoint",
            PortType::RcEventCollector => "Root Complex Event Collector",
            PortType::Conventional => "conventional PCI",
        })
    }
}

/// A bridge's secondary and subordinate bus numbers (the buses behind it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct BusRange {
    pub secondary: u8,
    pub subordinate: u8,
}

impl fmt::Display for BusRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{:02x}-{:02x}]", self.secondary, self.subordinate)
    }
}

/// What a function hangs below: a root bus of a host bridge, or a bridge.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Upstream {
    /// A root bus (`-[0000:00]-` in the tree, `pci0000:00` in a sysfs path).
    Root { segment: u16, bus: u8 },
    /// A bridge (root port, switch port, PCI bridge).
    Bridge(Bdf),
}

impl fmt::Display for Upstream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Upstream::Root { segment, bus } => write!(f, "root bus {segment:04x}:{bus:02x}"),
            Upstream::Bridge(b) => write!(f, "{b}"),
        }
    }
}

/// The Access Control Services extended capability as lspci prints it: the capability is
/// there (`Capabilities: [148 v1] Access Control Services`, from `-v` on); its capability
/// and control bits are known only from `-vv` on (`ACSCap:`/`ACSCtl:` lines).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub struct Acs {
    pub cap: Option<AcsFlags>,
    pub ctl: Option<AcsFlags>,
}

/// Everything the paste says about one PCI function. Each fact keeps the first place it was
/// read; a later different value is a [`Conflict`].
///
/// No format prints the multifunction bit: the kernel keeps only `hdr_type & 0x7f` in
/// `dev->hdr_type` (drivers/pci/probe.c `pci_setup_device()`), which is what dmesg's
/// `type 01` shows, and lspci shows neither; reconstruction infers it from sibling functions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Device {
    pub bdf: Bdf,
    /// Where the function was first named.
    pub first_seen: Source,
    /// Every format that names it, in order of first appearance.
    pub formats: Vec<Format>,
    pub id: Option<Fact<PciId>>,
    /// Class code, base and sub-class (`[0604]`, or dmesg's `class 0x060400` >> 8).
    pub class: Option<Fact<u16>>,
    /// Class name (`PCI bridge`).
    pub class_name: Option<Fact<String>>,
    /// Vendor and device name as lspci resolved them.
    pub name: Option<Fact<String>>,
    pub rev: Option<Fact<u8>>,
    /// Header type from the kernel log (`type 01`).
    pub header_type: Option<Fact<u8>>,
    pub port_type: Option<Fact<PortType>>,
    pub acs: Option<Fact<Acs>>,
    pub bus_range: Option<Fact<BusRange>>,
    /// The primary bus a bridge's `Bus:` line states.
    pub primary_bus: Option<Fact<u8>>,
    pub upstream: Option<Fact<Upstream>>,
    pub group: Option<Fact<u32>>,
    /// The IOMMU unit a per-DMAR listing puts it under (`dmar3`).
    pub iommu: Option<Fact<String>>,
    /// `Kernel driver in use:`.
    pub driver: Option<Fact<String>>,
}

impl Device {
    /// A function named at `from`, with no fact yet.
    pub fn new(bdf: Bdf, from: Source) -> Device {
        Device {
            bdf,
            first_seen: from,
            formats: vec![from.format],
            id: None,
            class: None,
            class_name: None,
            name: None,
            rev: None,
            header_type: None,
            port_type: None,
            acs: None,
            bus_range: None,
            primary_bus: None,
            upstream: None,
            group: None,
            iommu: None,
            driver: None,
        }
    }
}

/// Which fact a [`Conflict`] is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Field {
    Id,
    Class,
    ClassName,
    Name,
    Rev,
    HeaderType,
    PortType,
    Acs,
    BusRange,
    PrimaryBus,
    Upstream,
    Group,
    Iommu,
    Driver,
    Cmdline,
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Field::Id => "vendor:device ID",
            Field::Class => "class",
            Field::ClassName => "class name",
            Field::Name => "name",
            Field::Rev => "revision",
            Field::HeaderType => "header type",
            Field::PortType => "PCIe type",
            Field::Acs => "ACS",
            Field::BusRange => "bus range",
            Field::PrimaryBus => "primary bus",
            Field::Upstream => "parent",
            Field::Group => "IOMMU group",
            Field::Iommu => "IOMMU unit",
            Field::Driver => "driver",
            Field::Cmdline => "kernel command line",
        })
    }
}

/// Two sources disagree: the first value is kept, the other recorded here.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Conflict {
    /// The function, or none for a machine-wide fact (the command line).
    pub bdf: Option<Bdf>,
    pub field: Field,
    pub kept: Fact<String>,
    pub other: Fact<String>,
}

impl fmt::Display for Conflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(b) = self.bdf {
            write!(f, "{b}: ")?;
        }
        write!(
            f,
            "{} {} ({}) disagrees with {} ({}); kept the first",
            self.field, self.other.value, self.other.from, self.kept.value, self.kept.from
        )
    }
}

/// What one paste says, merged over all its formats.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Paste {
    /// Every function named, by address.
    /// (A `BTreeMap`: up to [`MAX_IMPORT_DEVICES`] large entries, in the order the paste
    /// names them, which a sorted `Vec` would shift on every insert.)
    pub devices: BTreeMap<Bdf, Device>,
    /// The groups the paste states: group number → its functions.
    pub groups: VecMap<u32, VecSet<Bdf>>,
    /// The kernel command line, if one was pasted.
    pub cmdline: Option<Fact<Cmdline>>,
    /// Statements that disagree with an earlier one (at most [`MAX_IMPORT_NOTES`]).
    pub conflicts: Vec<Conflict>,
    /// How many conflicts there were (more than `conflicts` holds past the cap).
    pub conflict_count: usize,
    /// Lines that could not be read (at most [`MAX_IMPORT_NOTES`] numbers).
    pub skipped: Vec<u32>,
    /// How many lines could not be read (blank lines and `#` comments are not counted).
    pub skipped_count: usize,
    /// Lines that mark a cut (`[...]`, `...`, `…`): the paste is not complete there.
    pub cuts: Vec<u32>,
    /// Statements dropped because they name a function past [`MAX_IMPORT_DEVICES`].
    pub dropped: usize,
    /// Lines read as something (any format).
    pub lines_read: usize,
}

impl Paste {
    pub fn device(&self, bdf: Bdf) -> Option<&Device> {
        self.devices.get(&bdf)
    }

    /// The tree edges the paste states (from `lspci -t` or sysfs paths): child → upstream.
    pub fn edges(&self) -> impl Iterator<Item = (Bdf, &Fact<Upstream>)> + '_ {
        self.devices
            .values()
            .filter_map(|d| d.upstream.as_ref().map(|u| (d.bdf, u)))
    }

    /// The bus ranges the paste states (`Bus:` lines, the tree, dmesg `bridge to`).
    pub fn bus_ranges(&self) -> impl Iterator<Item = (Bdf, &Fact<BusRange>)> + '_ {
        self.devices
            .values()
            .filter_map(|d| d.bus_range.as_ref().map(|r| (d.bdf, r)))
    }

    /// Functions with an Access Control Services capability.
    pub fn acs_capable(&self) -> impl Iterator<Item = &Device> + '_ {
        self.devices.values().filter(|d| d.acs.is_some())
    }

    /// The formats found anywhere in the paste.
    pub fn formats(&self) -> VecSet<Format> {
        let mut f: VecSet<Format> = VecSet::from_iter(
            self.devices
                .values()
                .flat_map(|d| d.formats.iter().copied()),
        );
        if let Some(c) = &self.cmdline {
            f.insert(c.from.format);
        }
        f
    }
}

/// Why a paste could not be imported at all, at `line:col` (1-based).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize)]
#[error("{line}:{col}: {message}")]
pub struct ImportError {
    pub line: u32,
    pub col: u32,
    pub message: String,
}
