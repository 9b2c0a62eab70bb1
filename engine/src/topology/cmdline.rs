//! The kernel command-line parameters that change what Linux sees of ACS, and so the iommu
//! groups: the what-if `config` keys of shared/IMPORT.md "What-ifs on a real machine".
//!
//! - `pcie_acs_override=downstream,multifunction,id:vvvv:dddd` — the out-of-tree patch
//!   distribution kernels carry: Alex Williamson's "[PATCH] pci: Enable overrides for missing
//!   ACS capabilities" (LKML, 30 May 2013, https://lkml.org/lkml/2013/5/30/513), carried
//!   since by linux-zen ("ZEN: Add ACS override support", Steven Barrett, 2021, from
//!   gitlab.com/Queuecumber/linux-acs-override) and Arch's linux-vfio (Mark Weiman, 2018).
//!   It adds `pcie_acs_override_setup()` (the parser) and the `pcie_acs_overrides()` ACS
//!   quirk at the end of drivers/pci/quirks.c's `pci_dev_acs_enabled[]` table
//!   (`{ PCI_ANY_ID, PCI_ANY_ID, pcie_acs_overrides }`, after every device-specific entry).
//!   See [`pcie_acs_overrides`].
//! - `pci=disable_acs_redir=` — mainline since v4.19 (aaca43fda742, "PCI: Add
//!   "pci=disable_acs_redir=" parameter for peer-to-peer support", Logan Gunthorpe): clears
//!   the P2P Request Redirect, Completion Redirect and Egress Control bits of the named
//!   devices' ACS Control. See [`AcsParams::boot_ctl`].
//! - `pci=config_acs=` — mainline since v6.11 (47c8846a49ba, "PCI: Extend ACS
//!   configurability", Vidya Sagar): per-device bit strings, `1`/`0`/`x` per ACS control
//!   bit. Both go through drivers/pci/pci.c `__pci_config_acs()`; the model follows it as
//!   fixed in v6.14 by "PCI/ACS: Fix 'pci=config_acs=' parameter" (Tushar Dave): the bits the
//!   mask covers come from the parameter, the others from the firmware value.
//!
//! Devices are named as drivers/pci/pci.c `pci_dev_str_match()` reads them: see
//! [`PciDevSpec`]. Several devices are separated by `;` (the `pci=` option itself is split at
//! `,` by `pci_setup()`, so `,` cannot separate devices there).

use super::{AcsFlags, DeviceId, PciId, PciType, Topology};
use serde::{Serialize, Serializer};
use std::fmt;

/// A value the kernel's parser would not take, with where in the value it is (byte offset
/// and length) and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParamError {
    pub at: usize,
    pub len: usize,
    pub kind: ParamErrorKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParamErrorKind {
    /// A word that is not one of `expected` (for "did you mean").
    Unknown {
        what: &'static str,
        word: String,
        expected: &'static [&'static str],
    },
    /// A malformed value: what it is and why.
    Bad {
        what: &'static str,
        text: String,
        why: &'static str,
    },
}

impl ParamError {
    fn bad(at: usize, text: &str, what: &'static str, why: &'static str) -> ParamError {
        ParamError {
            at,
            len: text.len().max(1),
            kind: ParamErrorKind::Bad {
                what,
                text: text.to_string(),
                why,
            },
        }
    }
}

/// One option of `pcie_acs_override=`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OverrideOpt {
    /// `downstream`: every root and downstream port without an ACS capability is isolated.
    Downstream,
    /// `multifunction`: every multifunction endpoint, upstream port or RCiEP without an ACS
    /// capability is isolated.
    Multifunction,
    /// `id:vvvv:dddd`: this vendor:device, whatever its type, when it has no ACS capability
    /// (at most [`MAX_ACS_IDS`]).
    Id(PciId),
}

/// The patch's `NUM_ACS_IDS` (16). `pcie_acs_override_setup()` stops taking `id:` options
/// once `max_acs_id >= NUM_ACS_IDS - 1` ("Out of PCIe ACS override slots"), so it keeps
/// [`MAX_ACS_IDS`].
pub const NUM_ACS_IDS: usize = 16;
/// The `id:` options the patch keeps: `NUM_ACS_IDS - 1`.
pub const MAX_ACS_IDS: usize = NUM_ACS_IDS - 1;

/// `pcie_acs_override=`: the options in written order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AcsOverride {
    pub opts: Vec<OverrideOpt>,
}

/// The option words of `pcie_acs_override=` (for "did you mean").
pub const OVERRIDE_WORDS: &[&str] = &["downstream", "multifunction", "id:"];

impl AcsOverride {
    /// `pcie_acs_override_setup()`: comma-separated `downstream`, `multifunction`,
    /// `id:vvvv:dddd` (hex, at most 4 digits each). The kernel skips what it cannot read
    /// (`pr_warn`); here it is an error at its place, since a what-if that silently does
    /// nothing answers the wrong question.
    pub fn parse(s: &str) -> Result<AcsOverride, ParamError> {
        let mut opts = Vec::new();
        let mut at = 0;
        for part in s.split(',') {
            let here = at;
            at += part.len() + 1;
            let opt = match part {
                "downstream" => OverrideOpt::Downstream,
                "multifunction" => OverrideOpt::Multifunction,
                _ => match part.strip_prefix("id:") {
                    Some(ids) => OverrideOpt::Id(pci_id(ids).ok_or_else(|| {
                        ParamError::bad(
                            here,
                            part,
                            "pcie_acs_override id",
                            "expected id:vvvv:dddd (vendor and device in hex)",
                        )
                    })?),
                    None => {
                        return Err(ParamError {
                            at: here,
                            len: part.len().max(1),
                            kind: ParamErrorKind::Unknown {
                                what: "pcie_acs_override option",
                                word: part.to_string(),
                                expected: OVERRIDE_WORDS,
                            },
                        })
                    }
                },
            };
            if matches!(opt, OverrideOpt::Id(_))
                && opts
                    .iter()
                    .filter(|o| matches!(o, OverrideOpt::Id(_)))
                    .count()
                    >= MAX_ACS_IDS
            {
                return Err(ParamError::bad(
                    here,
                    part,
                    "pcie_acs_override id",
                    "the patch keeps at most 15 ids (Out of PCIe ACS override slots)",
                ));
            }
            opts.push(opt);
        }
        Ok(AcsOverride { opts })
    }

    pub fn downstream(&self) -> bool {
        self.opts.contains(&OverrideOpt::Downstream)
    }

    pub fn multifunction(&self) -> bool {
        self.opts.contains(&OverrideOpt::Multifunction)
    }

    pub fn ids(&self) -> impl Iterator<Item = PciId> + '_ {
        self.opts.iter().filter_map(|o| match o {
            OverrideOpt::Id(id) => Some(*id),
            _ => None,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.opts.is_empty()
    }
}

impl fmt::Display for AcsOverride {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, o) in self.opts.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            match o {
                OverrideOpt::Downstream => f.write_str("downstream")?,
                OverrideOpt::Multifunction => f.write_str("multifunction")?,
                OverrideOpt::Id(id) => write!(f, "id:{id}")?,
            }
        }
        Ok(())
    }
}

/// `vvvv:dddd`, 1–4 hex digits each.
fn pci_id(s: &str) -> Option<PciId> {
    let (v, d) = s.split_once(':')?;
    Some(PciId {
        vendor: hex16(v)?,
        device: hex16(d)?,
    })
}

fn hex16(s: &str) -> Option<u16> {
    if s.is_empty() || s.len() > 4 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u16::from_str_radix(s, 16).ok()
}

fn hex_byte(s: &str, max: u8) -> Option<u8> {
    if s.is_empty() || s.len() > 2 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u8::from_str_radix(s, 16).ok().filter(|&v| v <= max)
}

/// A device as drivers/pci/pci.c `pci_dev_str_match()` (v6.8) names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PciDevSpec {
    /// `pci:vvvv:dddd[:ssss:tttt]`: vendor, device and optionally subsystem IDs; an ID of 0
    /// matches any.
    Ids { id: PciId, subsys: Option<PciId> },
    /// `[ssss:]bb:dd.f[/dd.f]*` (`pci_dev_str_match_path()`): the device at `bb:dd.f`, or
    /// the one reached from it by the `/dd.f` hops, each a child of the one before.
    Path {
        segment: Option<u16>,
        bus: u8,
        hops: Vec<(u8, u8)>,
    },
}

impl PciDevSpec {
    /// Parses one device (no `;`).
    pub fn parse(s: &str, at: usize) -> Result<PciDevSpec, ParamError> {
        let bad = |why| ParamError::bad(at, s, "PCI device", why);
        if let Some(ids) = s.strip_prefix("pci:") {
            let parts: Vec<&str> = ids.split(':').collect();
            let why = "expected pci:vvvv:dddd or pci:vvvv:dddd:ssss:tttt (hex)";
            let h = |i: usize| parts.get(i).and_then(|p| hex16(p)).ok_or_else(|| bad(why));
            return match parts.len() {
                2 => Ok(PciDevSpec::Ids {
                    id: PciId {
                        vendor: h(0)?,
                        device: h(1)?,
                    },
                    subsys: None,
                }),
                4 => Ok(PciDevSpec::Ids {
                    id: PciId {
                        vendor: h(0)?,
                        device: h(1)?,
                    },
                    subsys: Some(PciId {
                        vendor: h(2)?,
                        device: h(3)?,
                    }),
                }),
                _ => Err(bad(why)),
            };
        }
        let why = "expected pci:vvvv:dddd, [ssss:]bb:dd.f or a path bb:dd.f/dd.f (hex)";
        let mut parts = s.split('/');
        let first = parts.next().unwrap_or("");
        let fields: Vec<&str> = first.split(':').collect();
        let (segment, bus, first_devfn) = match fields.as_slice() {
            [b, df] => (None, *b, *df),
            [seg, b, df] => (Some(hex16(seg).ok_or_else(|| bad(why))?), *b, *df),
            _ => return Err(bad(why)),
        };
        let bus = hex_byte(bus, 0xff).ok_or_else(|| bad(why))?;
        let devfn = |t: &str| -> Result<(u8, u8), ParamError> {
            let (d, f) = t.split_once('.').ok_or_else(|| bad(why))?;
            Ok((
                hex_byte(d, 0x1f).ok_or_else(|| bad(why))?,
                hex_byte(f, 7).ok_or_else(|| bad(why))?,
            ))
        };
        let mut hops = vec![devfn(first_devfn)?];
        for hop in parts {
            hops.push(devfn(hop)?);
        }
        Ok(PciDevSpec::Path { segment, bus, hops })
    }

    /// `pci_dev_str_match()`: does the spec name `dev`?
    pub fn matches(&self, t: &Topology, dev: DeviceId) -> bool {
        let Some(p) = t.pci_dev(dev) else {
            return false;
        };
        match self {
            PciDevSpec::Ids { id, subsys } => {
                let (vendor, device) = p.id.unwrap_or((0, 0));
                let (sv, sd) = p.subsys.unwrap_or((0, 0));
                let any = |want: u16, have: u16| want == 0 || want == have;
                any(id.vendor, vendor)
                    && any(id.device, device)
                    && subsys.is_none_or(|s| any(s.vendor, sv) && any(s.device, sd))
            }
            PciDevSpec::Path { segment, bus, hops } => {
                // pci_dev_str_match_path(): the last hop is the device, each earlier one its
                // upstream bridge; the first carries the bus (and segment) too.
                let mut cur = Some(dev);
                let mut first = None;
                for &(d, f) in hops.iter().rev() {
                    let Some(x) = cur.and_then(|c| t.pci_dev(c)) else {
                        return false;
                    };
                    if x.bdf.dev != d || x.bdf.func != f {
                        return false;
                    }
                    first = Some(x.bdf);
                    cur = x.parent;
                }
                first.is_some_and(|b| b.segment == segment.unwrap_or(0) && b.bus == *bus)
            }
        }
    }
}

impl fmt::Display for PciDevSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PciDevSpec::Ids { id, subsys } => {
                write!(f, "pci:{id}")?;
                if let Some(s) = subsys {
                    write!(f, ":{s}")?;
                }
                Ok(())
            }
            PciDevSpec::Path { segment, bus, hops } => {
                if let Some(s) = segment {
                    write!(f, "{s:04x}:")?;
                }
                write!(f, "{bus:02x}:")?;
                for (i, (d, func)) in hops.iter().enumerate() {
                    if i > 0 {
                        f.write_str("/")?;
                    }
                    write!(f, "{d:02x}.{func:x}")?;
                }
                Ok(())
            }
        }
    }
}

/// Splits `a;b;c` into the parts with their byte offsets.
fn split_devices(s: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut at = 0;
    s.split(';').map(move |p| {
        let here = at;
        at += p.len() + 1;
        (here, p)
    })
}

/// `pci=disable_acs_redir=DEV[;DEV]*`.
pub fn parse_device_list(s: &str) -> Result<Vec<PciDevSpec>, ParamError> {
    split_devices(s)
        .map(|(at, p)| PciDevSpec::parse(p, at))
        .collect()
}

/// One `FLAGS@DEV` of `pci=config_acs=`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigAcsEntry {
    /// The bits the string sets or clears (`0` or `1`); `x` bits are left out.
    pub mask: AcsFlags,
    /// The bits it sets.
    pub flags: AcsFlags,
    /// The bit string as written, rightmost character bit 0 (`SV`).
    pub written: String,
    pub dev: PciDevSpec,
}

/// `pci=config_acs=FLAGS@DEV[;FLAGS@DEV]*`: `__pci_config_acs()` reads `FLAGS` right to
/// left, bit 0 first (SV, TB, RR, CR, UF, EC, DT); `1` enables, `0` disables, `x`/`X`
/// leaves the bit as firmware set it. Any other character, a missing `@`, or a bit above
/// DT makes the kernel ignore the parameter (`pci_err()`); here it is an error.
pub fn parse_config_acs(s: &str) -> Result<Vec<ConfigAcsEntry>, ParamError> {
    split_devices(s)
        .map(|(at, p)| {
            let Some((bits, dev)) = p.split_once('@') else {
                return Err(ParamError::bad(
                    at,
                    p,
                    "config_acs entry",
                    "expected FLAGS@DEVICE (ACS Flags missing)",
                ));
            };
            let (mut mask, mut flags) = (0u32, 0u32);
            for (shift, c) in bits.chars().rev().enumerate() {
                let bit = 1u32.checked_shl(shift as u32).unwrap_or(0);
                match c {
                    '0' => mask |= bit,
                    '1' => {
                        mask |= bit;
                        flags |= bit;
                    }
                    'x' | 'X' => {}
                    _ => {
                        return Err(ParamError::bad(
                            at,
                            bits,
                            "ACS flags",
                            "each character must be 0, 1 or x (Invalid ACS flags)",
                        ))
                    }
                }
            }
            if bits.is_empty() {
                return Err(ParamError::bad(
                    at,
                    bits,
                    "ACS flags",
                    "expected a bit string such as 1x1x before @",
                ));
            }
            if mask & !0x7f != 0 || bits.len() > 32 {
                return Err(ParamError::bad(
                    at,
                    bits,
                    "ACS flags",
                    "there are 7 ACS control bits: bit 0 SV … bit 6 DT (Invalid ACS flags specified)",
                ));
            }
            Ok(ConfigAcsEntry {
                mask: AcsFlags(mask),
                flags: AcsFlags(flags),
                written: bits.to_string(),
                dev: PciDevSpec::parse(dev, at + bits.len() + 1)?,
            })
        })
        .collect()
}

fn join<T: fmt::Display>(items: &[T], f: &mut fmt::Formatter<'_>) -> fmt::Result {
    for (i, x) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(";")?;
        }
        write!(f, "{x}")?;
    }
    Ok(())
}

impl fmt::Display for ConfigAcsEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.written, self.dev)
    }
}

/// Writes `a;b;c`.
pub struct DeviceList<'a, T>(pub &'a [T]);

impl<T: fmt::Display> fmt::Display for DeviceList<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        join(self.0, f)
    }
}

/// The ACS command-line parameters a machine boots with (all empty: none given).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AcsParams {
    pub acs_override: AcsOverride,
    pub disable_acs_redir: Vec<PciDevSpec>,
    pub config_acs: Vec<ConfigAcsEntry>,
}

impl Serialize for AcsParams {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The command-line text of the parameters that are set (`pcie_acs_override=downstream
/// pci=config_acs=…`), empty when none is.
impl fmt::Display for AcsParams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut sep = "";
        if !self.acs_override.is_empty() {
            write!(f, "pcie_acs_override={}", self.acs_override)?;
            sep = " ";
        }
        if !self.disable_acs_redir.is_empty() {
            write!(
                f,
                "{sep}pci=disable_acs_redir={}",
                DeviceList(&self.disable_acs_redir)
            )?;
            sep = " ";
        }
        if !self.config_acs.is_empty() {
            write!(f, "{sep}pci=config_acs={}", DeviceList(&self.config_acs))?;
        }
        Ok(())
    }
}

/// The ACS Control bits `pci=disable_acs_redir=` clears (drivers/pci/pci.c
/// `pci_enable_acs()`: `PCI_ACS_RR | PCI_ACS_CR | PCI_ACS_EC`).
pub const ACS_REDIR_BITS: AcsFlags = AcsFlags(0x04 | 0x08 | 0x20);

impl AcsParams {
    pub fn is_empty(&self) -> bool {
        self.acs_override.is_empty()
            && self.disable_acs_redir.is_empty()
            && self.config_acs.is_empty()
    }

    /// drivers/pci/pci.c `pci_enable_acs()` → `__pci_config_acs()` (v6.14): the ACS Control
    /// value of `dev` after the command line, or `None` when the command line does not touch
    /// it. Only a device with an ACS capability is touched (`if (!pos) return;`). For
    /// each parameter the first entry naming the device wins; `disable_acs_redir` applies
    /// first, then `config_acs`, and each builds on the firmware value with the bits its
    /// mask covers replaced: `ctrl = (fw_ctrl & ~mask) | (flags & mask)`.
    ///
    /// Model: the declared `acs-ctl` stands for the firmware value (the model has no
    /// separate one), and a control bit the capability lacks reads 0 (hard-wired). Not
    /// modelled: `pci_dev_specific_disable_acs_redir()` (the Intel SPT PCH quirk keeps its
    /// redirect controls in a private register).
    pub fn boot_ctl(&self, t: &Topology, dev: DeviceId) -> Option<AcsFlags> {
        let p = t.pci_dev(dev)?;
        let cap = p.acs_cap?;
        let fw = p.acs_ctl;
        let mut ctl = None;
        if self.disable_acs_redir.iter().any(|s| s.matches(t, dev)) {
            ctl = Some(fw & !ACS_REDIR_BITS);
        }
        if let Some(e) = self.config_acs.iter().find(|e| e.dev.matches(t, dev)) {
            ctl = Some((fw & !e.mask) | (e.flags & e.mask));
        }
        ctl.map(|c| c & cap)
    }
}

/// The `pcie_acs_overrides()` quirk's answer: `Some(true)` (isolated) or `None` (-ENOTTY, no
/// opinion: the kernel goes on to the ACS capability).
///
/// From the patch (see the module doc): "Never override ACS for legacy devices or devices
/// with ACS caps" — `!pci_is_pcie(dev) || pci_find_ext_capability(dev, PCI_EXT_CAP_ID_ACS)`
/// gives -ENOTTY; then a listed `id:` answers 1 whatever the type; then root and downstream
/// ports answer 1 with `downstream`, and endpoints, upstream ports, legacy endpoints and
/// RCiEPs answer 1 with `multifunction` when `dev->multifunction`. The flags asked for are
/// not looked at.
pub fn pcie_acs_overrides(t: &Topology, dev: DeviceId) -> Option<bool> {
    let o = &t.acs_params().acs_override;
    if o.is_empty() {
        return None;
    }
    let p = t.pci_dev(dev)?;
    if !p.ty.is_pcie() || p.acs_cap.is_some() {
        return None;
    }
    if let Some((vendor, device)) = p.id {
        if o.ids().any(|id| id.vendor == vendor && id.device == device) {
            return Some(true);
        }
    }
    match p.ty {
        PciType::DownstreamPort | PciType::RootPort if o.downstream() => Some(true),
        PciType::Endpoint | PciType::UpstreamPort | PciType::RcIntegratedEndpoint
            if o.multifunction() && t.multifunction(dev) =>
        {
            Some(true)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn override_options_parse_and_print() {
        let o = AcsOverride::parse("downstream,multifunction,id:8086:A110").unwrap();
        assert!(o.downstream() && o.multifunction());
        assert_eq!(
            o.ids().collect::<Vec<_>>(),
            vec![PciId {
                vendor: 0x8086,
                device: 0xa110
            }]
        );
        assert_eq!(o.to_string(), "downstream,multifunction,id:8086:a110");
        let e = AcsOverride::parse("downstream,multifunktion").unwrap_err();
        assert_eq!((e.at, e.len), (11, 13));
        let e = AcsOverride::parse("id:8086").unwrap_err();
        assert_eq!(e.at, 0);
        let many = vec!["id:1:1"; MAX_ACS_IDS + 1].join(",");
        assert!(AcsOverride::parse(&many).is_err());
        assert!(AcsOverride::parse(&vec!["id:1:1"; MAX_ACS_IDS].join(",")).is_ok());
    }

    #[test]
    fn device_specs_parse_and_print() {
        for s in [
            "pci:8086:a110",
            "pci:8086:0:1043:8694",
            "0000:00:1c.0",
            "00:1c.0",
            "00:01.0/00.0/02.0",
        ] {
            let d = PciDevSpec::parse(s, 0).unwrap();
            let again = PciDevSpec::parse(&d.to_string(), 0).unwrap();
            assert_eq!(d, again, "{s}");
        }
        assert_eq!(
            PciDevSpec::parse("0:1c.0", 0).unwrap().to_string(),
            "00:1c.0"
        );
        for bad in [
            "",
            "pci:8086",
            "1c.0",
            "00:20.0",
            "00:1c.8",
            "00:1c.0/",
            "x:00:1c.0",
        ] {
            assert!(PciDevSpec::parse(bad, 0).is_err(), "{bad}");
        }
        let l = parse_device_list("00:1c.0;pci:8086:a110").unwrap();
        assert_eq!(l.len(), 2);
        let e = parse_device_list("00:1c.0;nope").unwrap_err();
        assert_eq!(e.at, 8);
    }

    #[test]
    fn config_acs_bits_read_right_to_left() {
        let e = parse_config_acs("x0011x1@00:1c.0").unwrap();
        // bit0 SV=1, bit1 TB=x, bit2 RR=1, bit3 CR=1, bit4 UF=0, bit5 EC=0, bit6 DT=x
        assert_eq!(e[0].mask, AcsFlags(0b011_1101));
        assert_eq!(e[0].flags, AcsFlags(0b000_1101));
        assert_eq!(e[0].to_string(), "x0011x1@00:1c.0");
        assert!(parse_config_acs("1x2@00:1c.0").is_err());
        assert!(parse_config_acs("00:1c.0").is_err());
        assert!(parse_config_acs("10000000@00:1c.0").is_err());
        assert!(parse_config_acs("x0000000@00:1c.0").is_ok());
        let e = parse_config_acs("1@00:1c.0;1@zz").unwrap_err();
        assert_eq!(e.at, 12);
    }
}
