//! Topology statements → [`Topology`]: `iommu`, `host`, `pci`, `platform`, `alias`, and the
//! facts the kernel model gets when it probes a declared device.

use super::{err, num};
use crate::core::{DeviceFacts, IommuFacts};
use crate::ids::{DeviceId, IommuId};
use crate::scenario::ast::{HostDecl, IommuDecl, PciDecl, PlatformDecl, Span, Spanned, WrittenBdf};
use crate::scenario::error::ParseError;
use crate::topology::{
    DeviceKind, Granule, HostSpec, IommuKind, IommuSpec, PciSpec, PciType, PlatformSpec, Topology,
    TopologyError,
};

/// `iommu NAME ...`: absent attributes keep [`IommuSpec::new`]'s defaults.
pub(crate) fn iommu(
    topo: &mut Topology,
    d: &IommuDecl,
    span: Span,
) -> Result<(IommuId, IommuFacts), ParseError> {
    let kind = d.kind.as_ref().map_or(IommuSpec::DEFAULT_KIND, |k| k.node);
    let mut spec = IommuSpec::new(&d.name.node, kind);
    if kind == IommuKind::ArmSmmuV2 {
        spec.smrs = num(d.smrs.as_ref(), "number too large")?.unwrap_or(spec.smrs);
    }
    if let Some(g) = &d.granule {
        spec.granule = Granule::from_bytes(g.node.value)
            .ok_or_else(|| err(g.span, "granule must be 4K, 16K or 64K"))?;
    }
    spec.ias = num(d.ias.as_ref(), "number too large")?.unwrap_or(spec.ias);
    spec.oas = num(d.oas.as_ref(), "number too large")?.unwrap_or(spec.oas);
    let facts = iommu_facts(&spec);
    let id = topo.add_iommu(spec).map_err(|e| err(span, e.to_string()))?;
    Ok((id, facts))
}

/// What the kernel model knows of a declared IOMMU.
fn iommu_facts(spec: &IommuSpec) -> IommuFacts {
    IommuFacts {
        name: spec.name.clone(),
        granule: spec.granule.bytes(),
        ias: spec.ias,
        oas: spec.oas,
        // arm-smmu, arm-smmu-v3, VT-d and AMD-Vi all report IOMMU_CAP_DEFERRED_FLUSH
        // (v6.8): every kind of the model can use DMA_FQ.
        deferred_flush: true,
    }
}

/// `host NAME iommu=IOMMU segment=N bus=N`
pub(crate) fn host(topo: &mut Topology, h: &HostDecl, span: Span) -> Result<(), ParseError> {
    let spec = HostSpec {
        name: h.name.node.clone(),
        iommu: h.iommu.as_ref().map(|i| i.node.clone()),
        segment: num(h.segment.as_ref(), "number too large (at most 0xffff)")?.unwrap_or(0),
        bus: num(h.bus.as_ref(), "number too large (at most 0xff)")?.unwrap_or(0),
    };
    topo.add_host(spec)
        .map(|_| ())
        .map_err(|e| err(span, e.to_string()))
}

/// `pci BDF TYPE ...`
pub(crate) fn pci(topo: &mut Topology, p: &PciDecl, span: Span) -> Result<DeviceId, ParseError> {
    let mut spec = PciSpec::new(p.bdf.node.bdf, p.ty.node);
    spec.parent = p.parent.map(|x| x.node.bdf);
    spec.host = p.host.as_ref().map(|x| x.node.clone());
    if let Some(a) = &p.acs {
        spec = spec.acs(a.node);
    }
    if p.acs_cap.is_some() || p.acs_ctl.is_some() {
        let cap = p.acs_cap.map(|f| f.node);
        let ctl = p.acs_ctl.map(|f| f.node);
        spec.acs_cap = cap.or(spec.acs_cap).or(ctl);
        spec.acs_ctl = ctl.unwrap_or(spec.acs_ctl);
    }
    if let Some(id) = &p.id {
        spec = spec.id(id.node.vendor, id.node.device);
    }
    if let Some(id) = &p.subsys {
        spec = spec.subsys(id.node.vendor, id.node.device);
    }
    if p.untrusted.is_some() {
        spec = spec.untrusted();
    }
    if p.multifunction.is_some() {
        spec = spec.multifunction(true);
    }
    match &p.sriov {
        Some(n) => {
            let vfs = num(Some(n), "number too large")?.unwrap_or(0);
            let offset = num(p.vf_offset.as_ref(), "number too large (at most 0xffff)")?;
            let stride = num(p.vf_stride.as_ref(), "number too large (at most 0xffff)")?;
            spec = spec.sriov(vfs, offset.unwrap_or(1), stride.unwrap_or(1));
        }
        None => {
            if let Some(v) = p.vf_offset.as_ref().or(p.vf_stride.as_ref()) {
                return Err(err(v.span, "vf-offset and vf-stride need sriov=N"));
            }
        }
    }
    topo.add_pci(spec).map_err(|e| {
        // The message names the parent as the file wrote it.
        let e = match (e, &p.parent) {
            (TopologyError::UnknownParent { dev, .. }, Some(parent)) => {
                TopologyError::UnknownParent {
                    dev,
                    parent: parent.node.to_string(),
                }
            }
            (e, _) => e,
        };
        err(span, e.to_string())
    })
}

/// `platform NAME iommu=IOMMU sid=N[,N...] mask=N`
pub(crate) fn platform(
    topo: &mut Topology,
    p: &PlatformDecl,
    span: Span,
) -> Result<DeviceId, ParseError> {
    let Some(iommu) = &p.iommu else {
        return Err(err(
            span,
            format!("platform device {} needs iommu=", p.name.node),
        ));
    };
    let mask = num(p.mask.as_ref(), "number too large")?.unwrap_or(0);
    let mut spec = PlatformSpec::new(&p.name.node, &iommu.node);
    for sid in &p.sids {
        let v = u32::try_from(sid.node.value).map_err(|_| err(sid.span, "stream ID too large"))?;
        spec = spec.sid(v, mask);
    }
    topo.add_platform(spec)
        .map_err(|e| err(span, e.to_string()))
}

/// `alias A -> B`
pub(crate) fn alias(
    topo: &mut Topology,
    dev: &Spanned<WrittenBdf>,
    alias: &Spanned<WrittenBdf>,
    span: Span,
) -> Result<(), ParseError> {
    topo.add_alias(dev.node.bdf, alias.node.bdf).map_err(|e| {
        // The message names the devices as the file wrote them.
        let e = match e {
            TopologyError::UnknownDevice(_) => TopologyError::UnknownDevice(dev.node.to_string()),
            TopologyError::AliasBusMismatch { dev, .. } => TopologyError::AliasBusMismatch {
                dev,
                alias: alias.node.to_string(),
            },
            e => e,
        };
        err(span, e.to_string())
    })
}

/// What the kernel model learns about a declared device when it probes it (`None` for an
/// id that is not declared).
pub(crate) fn device_facts(topo: &Topology, id: DeviceId) -> Option<DeviceFacts> {
    let dev = topo.device(id)?;
    let name = &dev.name;
    let iommu = dev.iommu.unwrap_or(IommuId(0));
    Some(match &dev.kind {
        DeviceKind::Pci(p) => {
            // The requester ID the IOMMU sees is the last DMA alias on the way up
            // (pci_for_each_dma_alias visits the bridges last), within its segment.
            let rid = topo
                .pci_dma_aliases(id)
                .last()
                .map_or(p.bdf.rid().0, |a| a.rid.0);
            let mut f = DeviceFacts::new(
                name,
                true,
                iommu,
                (u32::from(p.bdf.segment) << 16) | u32::from(rid),
            );
            f.untrusted = p.untrusted;
            // VFIO ≤ v5.18 lets devices with a non-normal header type (bridges and
            // ports) keep their driver in a viable group.
            f.is_bridge = matches!(
                p.ty,
                PciType::RootPort
                    | PciType::UpstreamPort
                    | PciType::DownstreamPort
                    | PciType::PcieToPciBridge
                    | PciType::PciToPcieBridge
            );
            f
        }
        DeviceKind::Platform(p) => {
            // Devices whose (masked) stream IDs are equal share one stream match entry,
            // so one translation (arm_smmu_find_sme); a device without a stream ID gets
            // an ID of its own.
            let sid = p
                .sids
                .first()
                .map_or(0x8000_0000 | id.0, |s| s.id & !u32::from(s.mask));
            DeviceFacts::new(name, false, iommu, sid)
        }
    })
}

/// The machine a scenario declares: its `iommu`, `host`, `pci`, `platform` and `alias`
/// statements in order, none probed, without the runner's device cap (the import rebuilds
/// and regroups machines of up to [`crate::limits::MAX_IMPORT_DEVICES`] functions).
pub(crate) fn machine(s: &crate::scenario::Scenario) -> Result<Topology, ParseError> {
    use crate::scenario::ast::StmtKind;
    let mut topo = Topology::new();
    topo.set_acs_params(s.acs_params());
    for stmt in &s.stmts {
        match &stmt.kind {
            StmtKind::Iommu(d) => {
                iommu(&mut topo, d, stmt.span)?;
            }
            StmtKind::Host(h) => host(&mut topo, h, stmt.span)?,
            StmtKind::Pci(p) => {
                pci(&mut topo, p, stmt.span)?;
            }
            StmtKind::Platform(p) => {
                platform(&mut topo, p, stmt.span)?;
            }
            StmtKind::Alias { dev, alias: a } => alias(&mut topo, dev, a, stmt.span)?,
            _ => {}
        }
    }
    Ok(topo)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// The IOMMU defaults live in [`IommuSpec::new`]; the kernel model's stand-alone
    /// instance (`IommuFacts::new`, for its own tests and fuzzing) must agree with them.
    #[test]
    fn kernel_iommu_defaults_are_the_topology_defaults() {
        let spec = IommuSpec::new("smmu0", IommuSpec::DEFAULT_KIND);
        assert_eq!(iommu_facts(&spec), IommuFacts::new("smmu0"));
    }
}
