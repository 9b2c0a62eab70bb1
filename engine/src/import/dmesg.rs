//! Kernel log lines (`dmesg`, `journalctl -k`, syslog), with or without the `[    0.123456]`
//! timestamp and the syslog prefix.
//!
//! - `pci 0000:00:1c.0: [8086:a110] type 01 class 0x060400 PCIe Root Port` — drivers/pci/
//!   probe.c `pci_setup_device()`: `pci_info(dev, "[%04x:%04x] type %02x class %#08x %s\n",
//!   dev->vendor, dev->device, dev->hdr_type, dev->class, pci_type_str(dev))`; the type
//!   string came with "PCI: Log device type during enumeration" (v6.8), older kernels end
//!   the line after the class. `hdr_type` is the header type without the multifunction bit.
//! - `pci 0000:00:1c.0: PCI bridge to [bus 01-02]` — drivers/pci/probe.c
//!   `pci_read_bridge_windows()` (earlier `pci_read_bridge_bases()`):
//!   `pci_info(bridge, "PCI bridge to %pR%s\n", &res, bridge->transparent ?
//!   " (subtractive decode)" : "")` with the bus resource, which lib/vsprintf.c
//!   `resource_string()` prints `[bus 01-02]`, or `[bus 01]` for one bus.
//! - `pci 0000:01:00.0: Adding to iommu group 13` — drivers/iommu/iommu.c
//!   `iommu_group_add_device()`: `dev_info(dev, "Adding to iommu group %d\n", group->id)`;
//!   older kernels printed `pr_info("Adding device %s to group %d\n", …)` with the
//!   `iommu: ` prefix: `iommu: Adding device 0000:01:00.0 to group 13`.
//!
//! Any other `pci BDF:` line names the device and says nothing this import uses; other
//! drivers' lines (`pcieport 0000:00:1c.0: …`) are read and passed over.

use super::scan::{src, Sink};
use super::text::{self, PResult};
use super::{Bdf, BusRange, Field, Format, PortType};
use winnow::ascii::space1;
use winnow::combinator::{opt, preceded};
use winnow::prelude::*;
use winnow::token::take_while;

/// Reads one kernel log line; false when `t` is not one.
pub(super) fn line(t: &str, no: u32, sink: &mut Sink) -> bool {
    let s = text::strip_log_prefix(t);
    let from = src(Format::Dmesg, no);
    if let Some(rest) = text::strip_caseless(s, "iommu: Adding device ") {
        let Ok((bdf, group)) = (text::bdf, " to group ", text::number)
            .map(|(b, _, g)| (b, g))
            .parse(rest.trim_end())
        else {
            return false;
        };
        sink.group(bdf, group, from);
        return true;
    }
    let Some((driver, bdf, msg)) = device_prefix(s) else {
        return false;
    };
    if driver != "pci" {
        return true;
    }
    if sink.device(bdf, from).is_none() {
        return true;
    }
    let msg = msg.trim();
    if let Ok((id, header_type, class, ty)) = setup_device.parse(msg) {
        sink.set(bdf, from, Field::Id, id, |d| &mut d.id);
        sink.set(bdf, from, Field::HeaderType, header_type, |d| {
            &mut d.header_type
        });
        sink.set(bdf, from, Field::Class, (class >> 8) as u16, |d| {
            &mut d.class
        });
        if let Some(ty) = ty.and_then(type_str) {
            sink.port_type(bdf, ty, from);
        }
    } else if let Ok(range) = bridge_to.parse(msg) {
        sink.bus_range(bdf, range, from);
    } else if let Ok(group) = preceded("Adding to iommu group ", text::number).parse(msg) {
        sink.group(bdf, group, from);
    }
    true
}

/// `driver SSSS:BB:DD.F: message` (`dev_printk()`'s `%s %s: ` with the driver and device
/// names; PCI devices are named by their full address, drivers/pci/probe.c
/// `pci_setup_device()`'s `dev_set_name(&dev->dev, "%04x:%02x:%02x.%d", …)`).
fn device_prefix(s: &str) -> Option<(&str, Bdf, &str)> {
    let mut i = s;
    let driver = take_while(1.., |c: char| c.is_ascii_alphanumeric() || "_-".contains(c));
    let (driver, _, bdf, _) = (driver, space1, text::bdf, ':').parse_next(&mut i).ok()?;
    Some((driver, bdf, i))
}

/// `[8086:a110] type 01 class 0x060400 PCIe Root Port`.
fn setup_device<'a>(i: &mut &'a str) -> PResult<(super::PciId, u8, u32, Option<&'a str>)> {
    let (id, _, header_type, _, class, ty) = (
        text::bracket_id,
        " type ",
        text::hex(2),
        " class 0x",
        take_while(1..=6, |c: char| c.is_ascii_hexdigit()).try_map(|s| u32::from_str_radix(s, 16)),
        opt(preceded(' ', winnow::token::rest)),
    )
        .parse_next(i)?;
    Ok((id, header_type as u8, class, ty))
}

/// drivers/pci/probe.c `pci_type_str()` (v6.8) back to the type.
fn type_str(s: &str) -> Option<PortType> {
    let s = s.trim();
    Some(if s.contains("Root Complex Integrated") {
        PortType::RcIntegratedEndpoint
    } else if s.contains("Event Collector") {
        PortType::RcEventCollector
    } else if s.contains("Legacy Endpoint") {
        PortType::LegacyEndpoint
    } else if s == "PCIe Endpoint" {
        PortType::Endpoint
    } else if s.contains("Root Port") {
        PortType::RootPort
    } else if s.contains("Upstream") {
        PortType::UpstreamPort
    } else if s.contains("Downstream") {
        PortType::DownstreamPort
    } else if s.contains("to PCI/PCI-X") {
        PortType::PcieToPciBridge
    } else if s.contains("to PCIe") {
        PortType::PciToPcieBridge
    } else if s.starts_with("conventional PCI") || s.starts_with("CardBus") {
        PortType::Conventional
    } else {
        return None;
    })
}

/// `PCI bridge to [bus 01-02]` (optionally followed by ` (subtractive decode)` …).
fn bridge_to(i: &mut &str) -> PResult<BusRange> {
    let (_, secondary, subordinate, _, _) = (
        "PCI bridge to [bus ",
        text::hex(2),
        opt(preceded('-', text::hex(2))),
        ']',
        winnow::token::rest,
    )
        .parse_next(i)?;
    Ok(BusRange {
        secondary: secondary as u8,
        subordinate: subordinate.unwrap_or(secondary) as u8,
    })
}
