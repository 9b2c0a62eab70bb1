//! The small grammars every reader shares (winnow parsers over one line): PCI addresses,
//! IDs, lspci's device description, ACS bit lines, line prefixes.

use super::{AcsFlags, Bdf, PciId};
use winnow::ascii::{dec_uint, space0, Caseless};
use winnow::combinator::{delimited, not, opt, preceded, terminated};
use winnow::error::ContextError;
use winnow::prelude::*;
use winnow::stream::AsChar;
use winnow::token::{literal, one_of, take_while};

pub(super) type PResult<T> = winnow::Result<T, ContextError>;

/// Exactly `n` hex digits.
pub(super) fn hex<'a>(n: usize) -> impl Parser<&'a str, u32, ContextError> {
    take_while(n, AsChar::is_hex_digit).try_map(|s| u32::from_str_radix(s, 16))
}

/// A PCI address as lspci and sysfs print it: `BB:DD.F` or `SSSS:BB:DD.F` (lspci.c
/// `show_slot_name()`: `%04x:` with `-D` or a non-zero domain, then `%02x:%02x.%d`),
/// not followed by another hex digit or dot.
pub(super) fn bdf(i: &mut &str) -> PResult<Bdf> {
    let segment = opt(terminated(hex(4), ':')).parse_next(i)?;
    let bus = terminated(hex(2), ':').parse_next(i)?;
    let dev = terminated(hex(2).verify(|d| *d <= 0x1f), '.').parse_next(i)?;
    let func = one_of('0'..='7').parse_next(i)?;
    not(one_of((AsChar::is_alphanum, '.', '_'))).parse_next(i)?;
    Ok(Bdf {
        segment: segment.unwrap_or(0) as u16,
        bus: bus as u8,
        dev: dev as u8,
        func: (func as u8).wrapping_sub(b'0'),
    })
}

/// The BDF at the start of `s`, and the rest.
pub(super) fn leading_bdf(s: &str) -> Option<(Bdf, &str)> {
    let mut i = s;
    bdf.parse_next(&mut i).ok().map(|b| (b, i))
}

/// `vvvv:dddd`.
pub(super) fn id_pair(i: &mut &str) -> PResult<PciId> {
    let (vendor, _, device) = (hex(4), ':', hex(4)).parse_next(i)?;
    Ok(PciId {
        vendor: vendor as u16,
        device: device as u16,
    })
}

/// `[vvvv:dddd]`.
pub(super) fn bracket_id(i: &mut &str) -> PResult<PciId> {
    delimited('[', id_pair, ']').parse_next(i)
}

/// Blanks (spaces and tabs), maybe none.
pub(super) fn ws<'a>(i: &mut &'a str) -> PResult<&'a str> {
    space0.parse_next(i)
}

/// A decimal group or unit number.
pub(super) fn number(i: &mut &str) -> PResult<u32> {
    dec_uint.parse_next(i)
}

/// What lspci prints after the address (lspci.c `show_device()`):
/// `CLASS [cccc]: VENDOR DEVICE [vvvv:dddd] (rev rr) (prog-if pp [name])` with `-nn`,
/// `cccc: vvvv:dddd (rev rr)` with `-n`, names only without either.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct Description {
    pub class: Option<u16>,
    pub class_name: Option<String>,
    pub name: Option<String>,
    pub id: Option<PciId>,
    pub rev: Option<u8>,
}

pub(super) fn description(s: &str) -> Option<Description> {
    let (class_part, rest) = s.split_once(": ").or_else(|| {
        // "cccc:" alone at the end of a cut line.
        s.strip_suffix(':').map(|c| (c, ""))
    })?;
    let mut d = Description::default();
    let class_part = class_part.trim();
    if let Some((name, code)) = trailing_bracket(class_part, 4) {
        d.class = Some(code as u16);
        d.class_name = non_empty(name);
    } else if let Ok(code) = hex(4).parse(class_part) {
        d.class = Some(code as u16);
    } else if class_part.is_empty() || class_part.len() > 64 {
        return None;
    } else {
        d.class_name = Some(class_part.to_string());
    }
    let rest = rest.split(" (prog-if ").next().unwrap_or(rest).trim_end();
    let rest = match rest.strip_suffix(')').and_then(|r| r.rsplit_once(" (rev ")) {
        Some((before, rev)) => {
            d.rev = hex(2).parse(rev).ok().map(|r| r as u8);
            before
        }
        None => rest,
    };
    let rest = rest.trim();
    if let Ok(id) = id_pair.parse(rest) {
        d.id = Some(id);
    } else if let Some((name, id)) = trailing_id(rest) {
        d.id = Some(id);
        d.name = non_empty(name);
    } else {
        d.name = non_empty(rest);
    }
    Some(d)
}

/// `text [hhhh]` (exactly `n` hex digits in the brackets) → (text, value).
fn trailing_bracket(s: &str, n: usize) -> Option<(&str, u32)> {
    let (before, inside) = s.strip_suffix(']')?.rsplit_once('[')?;
    let v = hex(n).parse(inside).ok()?;
    Some((before.trim_end(), v))
}

/// `text [vvvv:dddd]` → (text, id).
pub(super) fn trailing_id(s: &str) -> Option<(&str, PciId)> {
    let (before, inside) = s.trim_end().strip_suffix(']')?.rsplit_once('[')?;
    let id = id_pair.parse(inside).ok()?;
    Some((before.trim_end(), id))
}

fn non_empty(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

/// The ACS bit names in lspci's order (ls-ecaps.c `cap_acs()`: `SrcValid%c TransBlk%c
/// ReqRedir%c CmpltRedir%c UpstreamFwd%c EgressCtrl%c DirectTrans%c`, `+` set, `-` clear)
/// and the flags they are (include/uapi/linux/pci_regs.h `PCI_ACS_SV` … `PCI_ACS_DT`).
const ACS_NAMES: [(&str, AcsFlags); 7] = [
    ("SrcValid", AcsFlags::SV),
    ("TransBlk", AcsFlags::TB),
    ("ReqRedir", AcsFlags::RR),
    ("CmpltRedir", AcsFlags::CR),
    ("UpstreamFwd", AcsFlags::UF),
    ("EgressCtrl", AcsFlags::EC),
    ("DirectTrans", AcsFlags::DT),
];

/// The bits of an ACS line (or of its wrapped tail): the flags set, and which of the seven
/// names were seen (a bit mask). `None` when a word is not `Name+`/`Name-`.
pub(super) fn acs_bits(s: &str) -> Option<(AcsFlags, u8)> {
    let mut flags = AcsFlags::NONE;
    let mut seen = 0u8;
    for word in s.split_whitespace() {
        let (name, set) = match (word.strip_suffix('+'), word.strip_suffix('-')) {
            (Some(n), _) => (n, true),
            (_, Some(n)) => (n, false),
            _ => return None,
        };
        let (k, (_, flag)) = ACS_NAMES
            .iter()
            .enumerate()
            .find(|(_, (n, _))| *n == name)?;
        seen |= 1 << k;
        if set {
            flags = flags | *flag;
        }
    }
    (seen != 0).then_some((flags, seen))
}

/// All seven ACS names seen.
pub(super) const ACS_ALL: u8 = 0x7f;

/// `key` then optional blanks and `:` and blanks, caseless (`IOMMU group: 13`).
pub(super) fn key<'a>(k: &'static str) -> impl Parser<&'a str, (), ContextError> {
    (Caseless(k), ws, opt(':'), ws).void()
}

/// Strips a kernel log prefix: a `[    0.123456]` timestamp (printk's `print_time()`), then
/// anything up to `kernel: ` (syslog and journalctl: `Nov 30 09:00:00 host kernel: `).
pub(super) fn strip_log_prefix(s: &str) -> &str {
    let s = s.trim_start();
    let s = match s.split_once("kernel: ") {
        Some((_, rest)) => rest,
        None => s,
    };
    let mut i = s;
    let stamp = (
        '[',
        ws,
        take_while(1.., |c: char| c.is_ascii_digit() || c == '.'),
        ']',
        ws,
    );
    match preceded(stamp, winnow::token::rest).parse_next(&mut i) {
        Ok(rest) => rest,
        Err(_) => s,
    }
}

/// `literal` at the start of `s`, caseless, and the rest.
pub(super) fn strip_caseless<'a>(s: &'a str, prefix: &'static str) -> Option<&'a str> {
    let mut i = s;
    literal::<_, _, ContextError>(Caseless(prefix))
        .parse_next(&mut i)
        .ok()
        .map(|_| i)
}

/// The first of `alts` that `s` starts with, and the rest.
pub(super) fn strip_any<'a, T: Copy>(
    s: &'a str,
    alts: &[(&'static str, T)],
) -> Option<(T, &'a str)> {
    alts.iter()
        .find_map(|(p, v)| s.strip_prefix(p).map(|rest| (*v, rest)))
}
