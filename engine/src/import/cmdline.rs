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

/// One command-line parameter the what-if `config` keys know, and the setting it maps to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CmdlineSetting {
    /// The parameter as the command line has it (`pci=noaer,disable_acs_redir=00:01.0`).
    pub param: String,
    /// The `config` setting (`pci=disable_acs_redir=00:01.0`), or why it cannot be one (the
    /// language's error message for the value).
    pub setting: Result<String, String>,
}

impl Cmdline {
    /// The what-if `config` settings this command line boots with (docs/SCENARIO.md
    /// "Extension (this repository)": kernel command-line names), in command-line order:
    /// - `pcie_acs_override=…` (the patch's `early_param` runs once per occurrence and
    ///   its options add up: occurrences are merged into one setting);
    /// - `pci=…,disable_acs_redir=…,config_acs=…,…` (drivers/pci/pci.c `pci_setup()`
    ///   splits at `,`; a later occurrence replaces an earlier one's pointer);
    /// - `iommu=pt` / `iommu=nopt` (arch/x86/kernel/pci-dma.c `iommu_setup()`, a `,` list);
    /// - `iommu.passthrough=` and `iommu.strict=` (drivers/iommu/iommu.c, `kstrtobool()`:
    ///   `1`/`y`/`on` and `0`/`n`/`off`), written `1`/`0`.
    ///
    /// Every setting is checked with the language's parser; one that does not parse comes
    /// back with the reason instead. Other parameters are left out.
    pub fn config_keys(&self) -> Vec<CmdlineSetting> {
        let mut out: Vec<CmdlineSetting> = Vec::new();
        let mut acs_override: Option<usize> = None;
        let push = |out: &mut Vec<CmdlineSetting>, param: &Param, setting: String| {
            out.push(CmdlineSetting {
                param: param_text(param),
                setting: checked(setting),
            });
        };
        for p in &self.params {
            let Some(v) = p.value.as_deref() else {
                continue;
            };
            if same_name(&p.key, "pcie_acs_override") {
                match acs_override.and_then(|i| out.get_mut(i)) {
                    Some(prev) => {
                        let merged = match &prev.setting {
                            Ok(s) => format!("{s},{v}"),
                            Err(_) => format!("pcie_acs_override={v}"),
                        };
                        prev.param = format!("{} {}", prev.param, param_text(p));
                        prev.setting = checked(merged);
                    }
                    None => {
                        acs_override = Some(out.len());
                        push(&mut out, p, format!("pcie_acs_override={v}"));
                    }
                }
            } else if same_name(&p.key, "pci") {
                for opt in v.split(',') {
                    for name in ["disable_acs_redir", "config_acs"] {
                        if let Some(list) = opt.strip_prefix(name).and_then(|r| r.strip_prefix('='))
                        {
                            push(&mut out, p, format!("pci={name}={list}"));
                        }
                    }
                }
            } else if same_name(&p.key, "iommu") {
                if let Some(w) = v.split(',').rev().find(|w| *w == "pt" || *w == "nopt") {
                    push(&mut out, p, format!("iommu={w}"));
                }
            } else if same_name(&p.key, "iommu.passthrough") || same_name(&p.key, "iommu.strict") {
                let b = match v {
                    "1" | "y" | "Y" | "on" => "1",
                    "0" | "n" | "N" | "off" => "0",
                    other => other,
                };
                push(&mut out, p, format!("{}={b}", p.key.replace('-', "_")));
            }
        }
        out
    }

    /// The `config` line of every usable setting ([`Cmdline::config_keys`]), or `None` when
    /// there is none.
    pub fn config_line(&self) -> Option<String> {
        let ok: Vec<String> = self
            .config_keys()
            .into_iter()
            .filter_map(|s| s.setting.ok())
            .collect();
        (!ok.is_empty()).then(|| format!("config {}", ok.join(" ")))
    }
}

/// The setting if the language's parser takes it, else its error message.
fn checked(setting: String) -> Result<String, String> {
    match crate::scenario::parse_config_settings(&setting) {
        Ok(_) => Ok(setting),
        Err(e) => Err(e.kind.to_string()),
    }
}

fn param_text(p: &Param) -> String {
    match &p.value {
        Some(v) => format!("{}={v}", p.key),
        None => p.key.clone(),
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

#[cfg(test)]
mod config_key_tests {
    use super::*;

    #[test]
    fn cmdline_maps_onto_config_keys() {
        let c = Cmdline::parse(
            "BOOT_IMAGE=/vmlinuz root=/dev/sda1 intel_iommu=on iommu=pt \
             pcie_acs_override=downstream pcie-acs-override=multifunction,id:1022:1483 \
             pci=noaer,disable_acs_redir=0000:02:01.0;00:01.0/00.0/02.0,config_acs=xx111x1@00:1c.0 \
             iommu.strict=0 iommu.passthrough=y quiet",
        );
        let got: Vec<Result<String, String>> =
            c.config_keys().into_iter().map(|s| s.setting).collect();
        assert_eq!(
            got,
            vec![
                Ok("iommu=pt".to_string()),
                Ok("pcie_acs_override=downstream,multifunction,id:1022:1483".to_string()),
                Ok("pci=disable_acs_redir=0000:02:01.0;00:01.0/00.0/02.0".to_string()),
                Ok("pci=config_acs=xx111x1@00:1c.0".to_string()),
                Ok("iommu.strict=0".to_string()),
                Ok("iommu.passthrough=1".to_string()),
            ]
        );
        assert_eq!(
            c.config_keys()[1].param,
            "pcie_acs_override=downstream pcie-acs-override=multifunction,id:1022:1483"
        );
        let line = c.config_line().unwrap();
        let s = crate::scenario::parse(&line).unwrap();
        assert!(s.config().passthrough && !s.config().strict);
        assert!(s.acs_params().acs_override.downstream());
    }

    #[test]
    fn a_value_the_language_cannot_read_says_why() {
        let c = Cmdline::parse("pcie_acs_override=downstrem iommu=soft");
        let keys = c.config_keys();
        assert_eq!(keys.len(), 1);
        assert_eq!(
            keys[0].setting,
            Err(
                "unknown pcie_acs_override option `downstrem`; did you mean `downstream`?"
                    .to_string()
            )
        );
        assert_eq!(c.config_line(), None);
    }
}
