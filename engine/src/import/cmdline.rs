//! The kernel command line: `/proc/cmdline` (fs/proc/cmdline.c prints
//! `saved_command_line`), or the `GRUB_CMDLINE_LINUX[_DEFAULT]="…"` line of
//! /etc/default/grub people paste instead.
//!
//! Split as the kernel splits it (lib/cmdline.c `next_arg()`: blanks separate parameters,
//! double quotes group, the first `=` separates the value); names compare as
//! kernel/params.c `parameq()` does, `-` and `_` alike.

use super::scan::{src, Sink};
use super::{Conflict, Fact, Field, Format};
use serde::Serialize;
use std::fmt;

/// One parameter: `intel_iommu=on` or `quiet`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Param {
    pub key: String,
    pub value: Option<String>,
}

/// The parameters in order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Cmdline {
    pub params: Vec<Param>,
}

impl Cmdline {
    /// Splits a command line like lib/cmdline.c `next_arg()`.
    pub fn parse(s: &str) -> Cmdline {
        let mut params = Vec::new();
        let mut word = String::new();
        let mut quoted = false;
        let mut any = false;
        for c in s.chars() {
            match c {
                '"' => {
                    quoted = !quoted;
                    any = true;
                }
                c if c.is_whitespace() && !quoted => {
                    if any {
                        params.push(param(&word));
                    }
                    word.clear();
                    any = false;
                }
                c => {
                    word.push(c);
                    any = true;
                }
            }
        }
        if any {
            params.push(param(&word));
        }
        Cmdline { params }
    }

    /// The value of the last `key` (kernel/params.c `parameq()`: `-` equals `_`):
    /// `Some(None)` for a bare `key`.
    pub fn get(&self, key: &str) -> Option<Option<&str>> {
        self.params
            .iter()
            .rev()
            .find(|p| same_name(&p.key, key))
            .map(|p| p.value.as_deref())
    }
}

fn param(word: &str) -> Param {
    match word.split_once('=') {
        Some((k, v)) => Param {
            key: k.to_string(),
            value: Some(v.to_string()),
        },
        None => Param {
            key: word.to_string(),
            value: None,
        },
    }
}

fn same_name(a: &str, b: &str) -> bool {
    let norm = |c: char| if c == '-' { '_' } else { c };
    a.len() == b.len() && a.chars().map(norm).eq(b.chars().map(norm))
}

impl fmt::Display for Cmdline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (n, p) in self.params.iter().enumerate() {
            if n > 0 {
                f.write_str(" ")?;
            }
            f.write_str(&p.key)?;
            if let Some(v) = &p.value {
                if v.contains(char::is_whitespace) {
                    write!(f, "=\"{v}\"")?;
                } else {
                    write!(f, "={v}")?;
                }
            }
        }
        Ok(())
    }
}

/// Parameter names that make a line of `key=value` words a kernel command line.
const KNOWN: [&str; 10] = [
    "BOOT_IMAGE",
    "root",
    "initrd",
    "intel_iommu",
    "amd_iommu",
    "iommu",
    "pcie_acs_override",
    "pci",
    "vfio-pci.ids",
    "vfio_pci.ids",
];

/// Reads a command line: one that starts with `BOOT_IMAGE=`, a grub `GRUB_CMDLINE_LINUX`
/// line, a line after `cat /proc/cmdline` (`expected`), or a line made only of parameters
/// with one the kernel's IOMMU or PCI code reads (`iommu.strict=1 pci=noaer …`).
pub(super) fn line(t: &str, no: u32, expected: bool, sink: &mut Sink) -> bool {
    let body = match grub(t) {
        Some(b) => b,
        None if t.starts_with("BOOT_IMAGE=") => t,
        None if all_params(t) && (expected || known(t)) => t,
        None => return false,
    };
    let c = Cmdline::parse(body);
    if c.params.is_empty() {
        return false;
    }
    let from = src(Format::Cmdline, no);
    match &sink.paste.cmdline {
        None => sink.paste.cmdline = Some(Fact { value: c, from }),
        Some(kept) if kept.value == c => {}
        Some(kept) => {
            let conflict = Conflict {
                bdf: None,
                field: Field::Cmdline,
                kept: Fact {
                    value: kept.value.to_string(),
                    from: kept.from,
                },
                other: Fact {
                    value: c.to_string(),
                    from,
                },
            };
            sink.conflict(conflict);
        }
    }
    true
}

/// `GRUB_CMDLINE_LINUX_DEFAULT="quiet intel_iommu=on"` → the quoted part.
fn grub(t: &str) -> Option<&str> {
    let rest = t.strip_prefix("GRUB_CMDLINE_LINUX")?;
    let rest = rest.strip_prefix("_DEFAULT").unwrap_or(rest);
    let v = rest.strip_prefix('=')?.trim();
    Some(v.trim_matches(['"', '\'']))
}

/// Every word is `name` or `name=value` with a name of letters, digits, `_`, `-`, `.`.
fn all_params(t: &str) -> bool {
    t.split_whitespace().all(|w| {
        let name = w.split_once('=').map_or(w, |(k, _)| k);
        !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
    })
}

fn known(t: &str) -> bool {
    t.split_whitespace().any(|w| {
        let Some((name, _)) = w.split_once('=') else {
            return false;
        };
        KNOWN.iter().any(|k| same_name(k, name))
            || name.starts_with("iommu.")
            || name.starts_with("vfio")
    })
}
