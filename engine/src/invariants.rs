//! Safety invariants I1–I6 of shared/MODEL.md §4, checked after every call. A breach is
//! data ([`Breach`]), never a panic. Definitions are era-neutral so that older eras show
//! the breaches their API allowed:
//! - **I1** every member's DMA is translated by the group's one domain (per-device attach
//!   and shared requester IDs both count);
//! - **I2** a device with a DMA-API driver is in the default domain, except the singleton
//!   private-domain user of `iommu_attach_device` while the driver that attached stays
//!   bound (its unbind ends the exemption: `driver::unbind`);
//! - **I3** an owned group (owner cookie, or a VFIO container in eras without ownership)
//!   has no DMA-API driver, and (from v5.19, as the era says) is never in its default
//!   domain;
//! - **I4** at most one owner cookie per group (group owner, VFIO container, iommufd ctx);
//! - **I5** a group that becomes empty has `owner_cnt == 0` and is in its default domain;
//! - **UAF** no DMA is translated by a freed domain;
//! - **I6** an IOVA is used or reused only after a completed IOTLB invalidation that began
//!   after its PTEs were cleared: recorded by the call that broke it (a device DMA through
//!   a stale IOTLB entry, a map into IOVA space the IOTLB still caches; see
//!   [`crate::mapping`]) and reported after that call.

use crate::core::{Core, DmaTarget, Group};
use crate::era::EraOps;
use crate::ids::{DeviceId, DomainId};
use crate::trace::Breach;

/// Checks I1–I4 and UAF over the whole kernel, plus the I6 breaches of the last call (I5 is
/// checked when a group empties).
/// Where the era decides (the reference domain of I1, I3's default-domain rule), `era` says.
pub fn check(core: &Core, era: &dyn EraOps, call_breaches: &[Breach]) -> Vec<Breach> {
    let mut out = Vec::new();
    for g in core.groups.values() {
        i1(core, era, g, &mut out);
        i2(core, g, &mut out);
        i3(core, era, g, &mut out);
        i4(core, g, &mut out);
    }
    uaf(core, &mut out);
    // I6 belongs to the call that broke it (a DMA through a stale IOTLB entry, an IOVA
    // reused before its invalidation): the kernel records it while the call runs.
    out.extend(call_breaches.iter().cloned());
    out
}

fn name(core: &Core, d: DeviceId) -> String {
    core.dev_name(d)
}

fn i1(core: &Core, era: &dyn EraOps, g: &Group, out: &mut Vec<Breach>) {
    // The core's view: members attached to different domains.
    let mut attached: Vec<(DeviceId, Option<DomainId>)> = Vec::new();
    for &dev in &g.devices {
        attached.push((dev, core.devices.get(&dev).and_then(|x| x.domain)));
    }
    let reference = era.group_domain(g, &attached);
    let odd: Vec<&(DeviceId, Option<DomainId>)> =
        attached.iter().filter(|x| x.1 != reference).collect();
    if let Some(&&(dev, dom)) = odd.first() {
        let mut devices: Vec<DeviceId> = odd.iter().map(|x| x.0).collect();
        crate::sort::sort(&mut devices);
        let mut domains: Vec<DomainId> = odd.iter().filter_map(|x| x.1).collect();
        domains.extend(reference);
        crate::sort::sort(&mut domains);
        domains.dedup();
        out.push(Breach {
            invariant: "I1",
            group: Some(g.id),
            devices,
            domains,
            message: format!(
                "{} is attached to {} while {} is in {}: one group, two address spaces.",
                name(core, dev),
                core.opt_dom_name(dom),
                g.id,
                core.opt_dom_name(reference)
            ),
        });
        return;
    }
    // The hardware's view: a context entry shared with another device points elsewhere.
    for &(dev, dom) in &attached {
        if let DmaTarget::Domain(eff) = core.dma_target(dev) {
            if Some(eff) != dom {
                let rid = core.devices.get(&dev).map_or(0, |x| x.facts.requester_id);
                out.push(Breach {
                    invariant: "I1",
                    group: Some(g.id),
                    devices: vec![dev],
                    domains: dom.into_iter().chain([eff]).collect(),
                    message: format!(
                        "{}'s DMA is translated by {}, not its own {}, because it shares requester ID {:#06x} with another device.",
                        name(core, dev),
                        core.dom_name(eff),
                        core.opt_dom_name(dom),
                        rid
                    ),
                });
            }
        }
    }
}

fn i2(core: &Core, g: &Group, out: &mut Vec<Breach>) {
    let exception = g.private_attach && g.devices.len() == 1;
    if exception {
        return;
    }
    for &dev in &g.devices {
        if !core.has_dma_api_driver(dev) {
            continue;
        }
        let eff = match core.dma_target(dev) {
            DmaTarget::Domain(d) => Some(d),
            _ => None,
        };
        if eff != g.default_domain {
            let drv = core
                .devices
                .get(&dev)
                .and_then(|x| x.driver.as_ref())
                .map_or(String::new(), |d| d.name.clone());
            out.push(Breach {
                invariant: "I2",
                group: Some(g.id),
                devices: vec![dev],
                domains: eff.into_iter().chain(g.default_domain).collect(),
                message: format!(
                    "{} has DMA-API driver {} but its DMA goes through {}, not the default domain.",
                    name(core, dev),
                    drv,
                    core.opt_dom_name(eff)
                ),
            });
        }
    }
}

fn i3(core: &Core, era: &dyn EraOps, g: &Group, out: &mut Vec<Breach>) {
    let owner = g.owner.as_ref().or(g.vfio_container.as_ref());
    let Some(owner) = owner else { return };
    for &dev in &g.devices {
        if core.has_dma_api_driver(dev) {
            out.push(Breach {
                invariant: "I3",
                group: Some(g.id),
                devices: vec![dev],
                domains: g.domain.into_iter().collect(),
                message: format!(
                    "{} has a DMA-API driver in {} owned by {}.",
                    name(core, dev),
                    g.id,
                    owner
                ),
            });
        }
    }
    if era.owned_group_leaves_default() && g.domain.is_some() && g.domain == g.default_domain {
        out.push(Breach {
            invariant: "I3",
            group: Some(g.id),
            devices: g.devices.clone(),
            domains: g.domain.into_iter().collect(),
            message: format!(
                "{} is owned by {} but still in its default domain.",
                g.id, owner
            ),
        });
    }
}

fn i4(core: &Core, g: &Group, out: &mut Vec<Breach>) {
    let mut cookies: Vec<String> = Vec::new();
    cookies.extend(g.owner.iter().map(|c| c.0.clone()));
    cookies.extend(g.vfio_container.iter().map(|c| c.0.clone()));
    for dev in &g.devices {
        if let Some(c) = core.devices.get(dev).and_then(|x| x.iommufd.as_ref()) {
            cookies.push(c.0.clone());
        }
    }
    crate::sort::sort(&mut cookies);
    cookies.dedup();
    // VFIO's container and its group-claim cookie are the same user in the model.
    if cookies.len() > 1 {
        out.push(Breach {
            invariant: "I4",
            group: Some(g.id),
            devices: g.devices.clone(),
            domains: g.domain.into_iter().collect(),
            message: format!("{} has several owners: {}.", g.id, cookies.join(", ")),
        });
    }
}

fn uaf(core: &Core, out: &mut Vec<Breach>) {
    for d in core.devices.values() {
        if let DmaTarget::Domain(dom) = core.dma_target(d.id) {
            if core.domains.get(&dom).is_some_and(|x| x.freed) {
                out.push(Breach {
                    invariant: "UAF",
                    group: d.group,
                    devices: vec![d.id],
                    domains: vec![dom],
                    message: format!(
                        "{}'s DMA is translated by {}, which was freed: a use-after-free of its page table.",
                        d.facts.name,
                        core.dom_name(dom)
                    ),
                });
            }
        }
    }
}

/// I5 for a group whose last device just left.
pub fn check_empty_group(core: &Core, g: &Group) -> Option<Breach> {
    if g.owner_cnt == 0 && g.domain == g.default_domain {
        return None;
    }
    Some(Breach {
        invariant: "I5",
        group: Some(g.id),
        devices: Vec::new(),
        domains: g.domain.into_iter().collect(),
        message: format!(
            "{} became empty with owner_cnt {} in {} instead of its default domain.",
            g.id,
            g.owner_cnt,
            core.opt_dom_name(g.domain)
        ),
    })
}
