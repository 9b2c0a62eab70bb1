//! The scenario language as a specification: every example of shared/SCENARIO.md parses to
//! the AST it describes, bad inputs fail at an exact `line:col`, and print → parse is the
//! identity (spans aside).

use super::*;
use crate::{Era, Errno};
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

const HEADER: &str = "\
generation current        # legacy | singleton | shared | unified | v5.19 | current   (default: current)
config strict=on passthrough=off acs-fix=off split-unmap=off
";

const TOPOLOGY: &str = "\
iommu smmu0 kind=arm-smmu-v2 granule=4K ias=48 oas=48     # kind: arm-smmu-v2 | arm-smmu-v3 | generic
platform host1x iommu=smmu0 sid=0x10                      # stream IDs, optional mask=0x1
platform gr2d   iommu=smmu0 sid=0x10
host pci0 iommu=smmu0                                     # a PCI host bridge: root bus 00 (segment=N optional)
pci 00:1c.0 rp acs=SV,RR,CR,UF                            # root port on the root bus
pci 00:1c.4 rp                                            # no ACS capability (the default)
pci 01:00.0 ep parent=00:1c.0                             # GPU
pci 01:00.1 ep parent=00:1c.0                             # its audio function: same slot => multifunction
pci 02:00.0 usp parent=00:1c.4
pci 03:01.0 dsp parent=02:00.0 acs=SV,RR,CR,UF
pci 04:00.0 bridge parent=03:01.0                          # PCIe-to-PCI bridge
pci 05:01.0 pci parent=04:00.0                             # conventional PCI device
pci 00:02.0 rciep untrusted                                # root-complex integrated endpoint
alias 05:01.0 -> 05:02.0                                   # DMA alias quirk (same bus)
";

const CALLS: &str = "\
bind 01:00.0 nouveau              # driver probe: dma_configure -> iommu_device_use_default_domain ...
bind 01:00.1 vfio-pci             # vfio-pci, vfio-platform, pci-stub, pcieport are driver_managed_dma
bind 05:01.0 mydrv managed        # any other driver is a DMA-API driver unless marked managed
unbind 01:00.0
d1 = iommu_domain_alloc(smmu0)    # UNMANAGED paging domain (also iommu_paging_domain_alloc(DEV))
iommu_attach_device(d1, host1x)
iommu_attach_group(d1, group(host1x))
iommu_attach_device_shared(d1, gr2d)                 # generation shared only
iommu_device_set_dma_owner(gr2d, DMA_OWNER_PRIVATE_DOMAIN, tegra)
iommu_group_claim_dma_owner(group(01:00.0), vfio1)
iommu_device_claim_dma_owner(01:00.1, ictx1)
iommu_group_replace_domain(group(01:00.1), d1)
vfio_group_set_container(group(01:00.0), c1)         # VFIO type1 path: claims the group
iommufd_device_bind(01:00.1, ictx1)                  # iommufd cdev path: claims the device
iommu_map(d1, 0x10_0000, 0x8000_0000, 2M, RW)        # prot: R W RW CACHE NOEXEC MMIO PRIV, joined by |
iommu_unmap(d1, 0x10_0000, 4K)
iommu_iova_to_phys(d1, 0x10_0042)
dma_map_page(01:00.0, 0x8000_1000, 4K, BIDIRECTIONAL) # returns the IOVA, or DMA_MAPPING_ERROR
dma_unmap_page(01:00.0, 0xffff_f000, 4K, BIDIRECTIONAL)
device_dma(01:00.0, 0xffff_f000, write)              # the device issues a DMA: returns the PA reached, or -EFAULT
tick 10ms                                            # time passes: flush-queue timers fire
";

const EXPECTATIONS: &str = "\
iommu_attach_device(d1, gr2d) => -EINVAL                          # return value: 0, -EXXX, a number, n/a, BUG
iommu_attach_device(d1, gr2d) => -EINVAL @singleton,v5.19,current ; 0 @legacy,unified ; n/a @shared
expect groups = {00:1c.0} {01:00.0 01:00.1} {host1x gr2d}          # the whole partition, order-free
expect group(01:00.0) == group(01:00.1)                            # also !=
expect domain(group(host1x)) == d1                                 # d1 | default | blocking | identity | none
expect owner(group(01:00.0)) == vfio1                              # a cookie | dma-api | none
expect owner_cnt(group(01:00.0)) == 1
expect iova_to_phys(d1, 0x10_0042) == 0x8000_0042
expect invariants ok                                               # or: expect breach I2
";

/// More of the language than the contract's examples show: every call, every argument
/// kind, the extensions of docs/SCENARIO.md.
const EVERYTHING: &str = "\
# A leading comment block
#   explains the scenario.

generation v5.19
config strict=off acs-fix=on
iommu smmu1 kind=arm-smmu-v3 granule=64K ias=44 oas=40 smrs=16
platform vic iommu=smmu1 sid=0x20,0x21 mask=0x1
host pci1 iommu=smmu1 segment=1 bus=0x80
pci 0001:80:01.0 rp host=pci1 acs-cap=SV,TB,RR,CR,UF,EC,DT acs-ctl=none id=8086:1e31 subsys=17aa:5001
d2 = iommu_paging_domain_alloc(0001:80:01.0)
iommu_domain_free(d2) => 0
iommu_detach_device(d2, vic)
iommu_detach_group(d2, group(vic))
iommu_detach_device_shared(d2, vic) => n/a @current
iommu_device_release_dma_owner(vic, DMA_OWNER_DMA_API)
iommu_device_release_dma_owner(vic)
iommu_group_release_dma_owner(group(vic))
iommu_device_use_default_domain(vic) => -EPROBE_DEFER
iommu_device_unuse_default_domain(vic)
vfio_group_unset_container(group(vic))
iommufd_device_unbind(vic)
iommu_flush_iotlb_all(d2)
iommu_map(d2, 0, 0x1000, 1, R|W|CACHE|NOEXEC|MMIO|PRIV) => -EINVAL
iommu_map(d2, 0, 0x1000, 4K, IOMMU_READ|W) => 0
iommu_map(d2, 0, 0x1000, 4K, 0)
iova = dma_map_page(vic, 0x8000_0000, 8K, DMA_TO_DEVICE) => 0xffff_e000 @current ; DMA_MAPPING_ERROR @legacy
dma_unmap_page(vic, iova, 8K, FROM_DEVICE)
device_dma(vic, iova, read) => -EFAULT
remove 0001:80:01.0 => BUG @shared
tick 1s
tick 500us
tick 100ns
pci 0001:81:00.0 ep parent=0001:80:01.0
expect iova_to_phys(d2, iova) != 0x8000_0000 @current,v5.19
expect owner(group(vic)) != dma-api
expect owner(group(vic)) == none
expect domain(group(vic)) != blocking
expect domain(group(vic)) == identity
expect domain(group(vic)) == default
expect domain(group(vic)) == none
expect group(vic) != group(0001:80:01.0)
expect breach I2 @legacy
";

fn ok(text: &str) -> Scenario {
    match parse(text) {
        Ok(s) => s,
        Err(e) => panic!("{}", e.render("test.iommu", text)),
    }
}

fn err(text: &str) -> String {
    match parse(text) {
        Ok(s) => panic!("parsed: {s:?}"),
        Err(e) => e.errors[0].to_string(),
    }
}

/// The AST as JSON with every `span` removed: equality "modulo spans".
fn shape(s: &Scenario) -> serde_json::Value {
    fn strip(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(m) => {
                let is_span = ["line", "col", "start", "end"]
                    .iter()
                    .all(|k| m.contains_key(*k));
                if is_span {
                    *v = serde_json::Value::String("span".into());
                } else {
                    m.remove("span");
                    m.values_mut().for_each(strip);
                }
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let mut v = serde_json::to_value(s).unwrap();
    strip(&mut v);
    v
}

fn assert_round_trip(text: &str) {
    let a = ok(text);
    let printed = a.print();
    let b = ok(&printed);
    assert_eq!(shape(&a), shape(&b), "printed:\n{printed}");
    assert_eq!(b.print(), printed, "printing is not idempotent");
}

fn calls(s: &Scenario) -> Vec<&CallStmt> {
    s.calls().collect()
}

#[test]
fn header_example_parses() {
    let s = ok(HEADER);
    assert_eq!(s.era(), Era::Current);
    assert_eq!(s.config(), crate::Config::default());
    assert_eq!(s.stmts.len(), 2);
    assert_eq!(
        s.stmts[0].comment.as_deref(),
        Some(" legacy | singleton | shared | unified | v5.19 | current   (default: current)")
    );
    let StmtKind::Config(c) = &s.stmts[1].kind else {
        panic!()
    };
    assert_eq!(c.len(), 4);
    assert_eq!(c[2].node.key, ConfigKey::AcsFix);
    assert!(!c[2].node.on);
    assert_eq!((c[2].span.line, c[2].span.col), (2, 34));
}

#[test]
fn header_sets_generation_and_config() {
    let s = ok(EVERYTHING);
    assert_eq!(s.era(), Era::V5_19);
    let c = s.config();
    assert!(!c.strict && c.acs_fix && !c.passthrough && !c.split_unmap);
    assert_eq!(
        s.leading_comment(),
        "A leading comment block\n  explains the scenario."
    );
}

#[test]
fn topology_example_parses() {
    let s = ok(TOPOLOGY);
    assert_eq!(s.stmts.len(), 14);
    let StmtKind::Iommu(i) = &s.stmts[0].kind else {
        panic!()
    };
    assert_eq!(i.name.node, "smmu0");
    assert_eq!(i.kind.as_ref().map(|k| k.node), Some(IommuKind::ArmSmmuV2));
    assert_eq!(i.granule.map(|g| g.node.value), Some(4096));
    assert_eq!(i.ias.map(|g| g.node.value), Some(48));
    assert_eq!(i.smrs, None);
    let StmtKind::Platform(p) = &s.stmts[2].kind else {
        panic!()
    };
    assert_eq!(p.name.node, "gr2d");
    assert_eq!(p.iommu.as_ref().map(|i| i.node.as_str()), Some("smmu0"));
    assert_eq!(p.sids[0].node.value, 0x10);
    assert_eq!((p.sids[0].span.line, p.sids[0].span.col), (3, 33));
    let StmtKind::Pci(rp) = &s.stmts[4].kind else {
        panic!()
    };
    assert_eq!(
        rp.bdf.node,
        WrittenBdf {
            bdf: Bdf::new(0, 0x1c, 0),
            with_segment: false
        }
    );
    assert_eq!(rp.ty.node, PciType::RootPort);
    assert_eq!(
        rp.acs.map(|a| a.node),
        Some(AcsFlags::SV | AcsFlags::RR | AcsFlags::CR | AcsFlags::UF)
    );
    let types: Vec<PciType> = s
        .stmts
        .iter()
        .filter_map(|st| match &st.kind {
            StmtKind::Pci(p) => Some(p.ty.node),
            _ => None,
        })
        .collect();
    use PciType::*;
    assert_eq!(
        types,
        [
            RootPort,
            RootPort,
            Endpoint,
            Endpoint,
            UpstreamPort,
            DownstreamPort,
            PcieToPciBridge,
            ConventionalPci,
            RcIntegratedEndpoint
        ]
    );
    let StmtKind::Pci(gpu) = &s.stmts[6].kind else {
        panic!()
    };
    assert_eq!(
        gpu.parent.map(|p| p.node.to_string()),
        Some("00:1c.0".into())
    );
    let StmtKind::Pci(rciep) = &s.stmts[12].kind else {
        panic!()
    };
    assert!(rciep.untrusted.is_some() && rciep.parent.is_none());
    let StmtKind::Alias { dev, alias } = &s.stmts[13].kind else {
        panic!()
    };
    assert_eq!(
        (dev.node.to_string(), alias.node.to_string()),
        ("05:01.0".into(), "05:02.0".into())
    );
    assert_eq!(
        s.stmts[13].comment.as_deref(),
        Some(" DMA alias quirk (same bus)")
    );
}

#[test]
fn calls_example_parses() {
    let s = ok(CALLS);
    let c = calls(&s);
    assert_eq!(c.len(), 21);
    assert_eq!(c[0].call.node, CallName::Bind);
    assert_eq!(
        c[0].args.iter().map(|a| a.node.clone()).collect::<Vec<_>>(),
        [
            Arg::Device(DeviceRef::Bdf(WrittenBdf {
                bdf: Bdf::new(1, 0, 0),
                with_segment: false
            })),
            Arg::Name("nouveau".into())
        ]
    );
    assert_eq!(c[2].args[2].node, Arg::Managed);
    assert_eq!(c[0].arg(1).and_then(Arg::as_name), Some("nouveau"));
    assert_eq!(c[0].arg(2), None);
    assert_eq!(
        c[6].arg(1).and_then(Arg::as_device),
        Some(&DeviceRef::Name("host1x".into()))
    );
    assert_eq!(c[15].arg(2).and_then(Arg::as_number), Some(4096));
    assert_eq!(c[3].call.node, CallName::Unbind);
    assert_eq!(c[4].handle.as_ref().map(|h| h.node.as_str()), Some("d1"));
    assert_eq!(c[4].call.node, CallName::IommuDomainAlloc);
    assert_eq!(
        c[6].args[1].node,
        Arg::Group(DeviceRef::Name("host1x".into()))
    );
    assert_eq!(
        c[8].args[1].node,
        Arg::DmaOwner(DmaOwnerType::PrivateDomain)
    );
    assert_eq!(c[8].args[2].node, Arg::Name("tegra".into()));
    let map = c[14];
    assert_eq!(map.call.node, CallName::IommuMap);
    assert_eq!(
        map.args[1].node,
        Arg::Number(Number {
            value: 0x10_0000,
            style: NumStyle::Hex
        })
    );
    assert_eq!(
        map.args[3].node,
        Arg::Number(Number {
            value: 2 << 20,
            style: NumStyle::Size(SizeUnit::M)
        })
    );
    assert_eq!(
        map.args[4].node,
        Arg::Prot(Prot(Prot::READ.0 | Prot::WRITE.0))
    );
    assert_eq!((map.args[4].span.line, map.args[4].span.col), (15, 43));
    assert_eq!(
        c[17].args[3].node,
        Arg::Direction(DmaDirection::Bidirectional)
    );
    assert_eq!(c[19].args[2].node, Arg::Access(Access::Write));
    assert_eq!(c[20].call.node, CallName::Tick);
    assert_eq!(
        c[20].args[0].node,
        Arg::Duration(Duration {
            amount: 10,
            unit: TimeUnit::Ms
        })
    );
    assert!(c.iter().all(|c| c.expect.is_none()));
}

#[test]
fn expectations_example_parses() {
    let s = ok(EXPECTATIONS);
    let c = calls(&s);
    let e = c[0].expect.as_ref().unwrap();
    assert_eq!(e.alternatives.len(), 1);
    assert_eq!(e.alternatives[0].value.node, Value::Errno(Errno::EINVAL));
    assert!(e.alternatives[0].eras.is_empty());
    let e = c[1].expect.as_ref().unwrap();
    let alts: Vec<(String, Vec<Era>)> = e
        .alternatives
        .iter()
        .map(|a| {
            (
                a.value.node.to_string(),
                a.eras.iter().map(|g| g.node).collect(),
            )
        })
        .collect();
    use Era::*;
    assert_eq!(
        alts,
        [
            ("-EINVAL".to_string(), vec![Singleton, V5_19, Current]),
            ("0".to_string(), vec![Legacy, Unified]),
            ("n/a".to_string(), vec![Shared]),
        ]
    );
    assert_eq!(
        e.for_era(Legacy).map(|v| v.node.clone()),
        Some(Value::Number(Number::dec(0)))
    );
    assert_eq!(
        e.for_era(Shared).map(|v| v.node.clone()),
        Some(Value::NotAvailable)
    );
    let expects: Vec<&Check> = s
        .stmts
        .iter()
        .filter_map(|st| match &st.kind {
            StmtKind::Expect(e) => Some(&e.check),
            _ => None,
        })
        .collect();
    assert_eq!(expects.len(), 7);
    let Check::Groups(g) = expects[0] else {
        panic!()
    };
    let groups: Vec<Vec<String>> = g
        .iter()
        .map(|g| g.node.iter().map(|d| d.node.to_string()).collect())
        .collect();
    assert_eq!(
        groups,
        [
            vec!["00:1c.0"],
            vec!["01:00.0", "01:00.1"],
            vec!["host1x", "gr2d"]
        ]
    );
    assert!(matches!(expects[1], Check::SameGroup { op: CmpOp::Eq, .. }));
    let Check::Domain { dev, op, is } = expects[2] else {
        panic!()
    };
    assert_eq!(
        (dev.node.to_string(), *op, is.node.clone()),
        ("host1x".into(), CmpOp::Eq, DomainIs::Handle("d1".into()))
    );
    let Check::Owner { is, .. } = expects[3] else {
        panic!()
    };
    assert_eq!(is.node, OwnerIs::Cookie("vfio1".into()));
    let Check::OwnerCnt { count, .. } = expects[4] else {
        panic!()
    };
    assert_eq!(count.node.value, 1);
    let Check::IovaToPhys {
        domain, iova, phys, ..
    } = expects[5]
    else {
        panic!()
    };
    assert_eq!(domain.node, "d1");
    assert_eq!(
        iova.node,
        Arg::Number(Number {
            value: 0x10_0042,
            style: NumStyle::Hex
        })
    );
    assert_eq!(phys.node.value, 0x8000_0042);
    assert_eq!(*expects[6], Check::InvariantsOk);
}

#[test]
fn everything_parses_with_the_extensions() {
    let s = ok(EVERYTHING);
    assert!(matches!(s.stmts[2].kind, StmtKind::Blank));
    let c = calls(&s);
    assert_eq!(c.len(), 23);
    assert_eq!(c[13].args[4].node, Arg::Prot(Prot(0x3f)));
    assert_eq!(c[13].args[4].node.to_string(), "RW|CACHE|NOEXEC|MMIO|PRIV");
    assert_eq!(c[14].args[4].node.to_string(), "RW");
    assert_eq!(c[16].handle.as_ref().map(|h| h.node.as_str()), Some("iova"));
    assert_eq!(c[17].args[1].node, Arg::Name("iova".into()));
    assert_eq!(c[17].args[3].node, Arg::Direction(DmaDirection::FromDevice));
    assert_eq!(c[5].call.node, CallName::IommuDeviceReleaseDmaOwner);
    assert_eq!(c[5].args.len(), 2);
    assert_eq!(c[6].args.len(), 1);
    let e = c[19].expect.as_ref().unwrap();
    assert_eq!(e.alternatives[0].value.node, Value::Bug);
    assert_eq!(e.for_era(Era::Current), None);
    let StmtKind::Pci(p) = &s.stmts[8].kind else {
        panic!()
    };
    assert_eq!(p.bdf.node.segment(), Some(1));
    assert_eq!(p.acs_ctl.map(|a| a.node), Some(AcsFlags::NONE));
    assert_eq!(p.acs_cap.map(|a| a.node.0), Some(0x7f));
    assert_eq!(
        p.id.map(|i| i.node),
        Some(PciId {
            vendor: 0x8086,
            device: 0x1e31
        })
    );
    let last = s.stmts.last().unwrap();
    let StmtKind::Expect(e) = &last.kind else {
        panic!()
    };
    assert_eq!(
        e.check,
        Check::Breach(Spanned::new(Invariant::I(2), e.check_span_for_test()))
    );
    assert_eq!(e.eras[0].node, Era::Legacy);
}

impl ExpectStmt {
    fn check_span_for_test(&self) -> Span {
        match &self.check {
            Check::Breach(n) => n.span,
            _ => Span::default(),
        }
    }
}

#[test]
fn spans_carry_line_col_and_bytes() {
    let text = "iommu s kind=generic\n  d1 = iommu_domain_alloc(s)  # c\n";
    let s = ok(text);
    let st = &s.stmts[1];
    assert_eq!((st.span.line, st.span.col), (2, 3));
    assert_eq!(
        &text[st.span.start..st.span.end],
        "d1 = iommu_domain_alloc(s)"
    );
    let c = calls(&s)[0];
    assert_eq!(
        &text[c.call.span.start..c.call.span.end],
        "iommu_domain_alloc"
    );
    assert_eq!(&text[c.args[0].span.start..c.args[0].span.end], "s");
}

#[test]
fn comments_and_blank_lines_are_kept_canonically() {
    let s = ok("\n\n# one\n\n\n#two   \nunbind x   #  why  \n\n");
    let kinds: Vec<String> = s.stmts.iter().map(|s| printer::code(&s.kind)).collect();
    assert_eq!(kinds, ["# one", "", "#two", "unbind x"]);
    assert_eq!(s.print(), "# one\n\n#two\nunbind x  #  why\n");
    assert_eq!(ok("").print(), "");
    assert_eq!(ok("  \r\n# only\r\n").print(), "# only\n");
}

#[test]
fn printer_aligns_trailing_comments_per_block() {
    let s = ok("unbind a # x\nbind 01:00.0 nouveau # y\n\nunbind b # z\n");
    assert_eq!(
        s.print(),
        "unbind a              # x\nbind 01:00.0 nouveau  # y\n\nunbind b  # z\n"
    );
}

#[test]
fn printer_writes_canonical_text() {
    let s = ok("d1=iommu_domain_alloc( smmu0 )=>0@current;-16\niommu_map(d1,0x100000,0X80000000,0x200000,W|R) \n");
    assert_eq!(
        s.print(),
        "d1 = iommu_domain_alloc(smmu0) => 0 @current ; -EBUSY\n\
         iommu_map(d1, 0x10_0000, 0x8000_0000, 0x20_0000, RW)\n"
    );
}

#[test]
fn every_example_round_trips() {
    for t in [HEADER, TOPOLOGY, CALLS, EXPECTATIONS, EVERYTHING] {
        assert_round_trip(t);
    }
    let all = format!("{HEADER}{TOPOLOGY}{CALLS}{EXPECTATIONS}");
    assert_round_trip(&all);
}

/// docs/SCENARIO.md "Extension (this repository)": `host-bridge` and the `multifunction`
/// flag parse, lower to the engine's `PciType::HostBridge` and header bit, and print back.
#[test]
fn host_bridge_type_and_multifunction_flag_parse_and_print() {
    let text = "pci 00:18.0 host-bridge id=1022:1440\npci 01:00.0 usp parent=00:1c.0 untrusted multifunction\n";
    let s = ok(text);
    let decls: Vec<&PciDecl> = s
        .stmts
        .iter()
        .filter_map(|st| match &st.kind {
            StmtKind::Pci(d) => Some(d),
            _ => None,
        })
        .collect();
    assert_eq!(decls[0].ty.node, PciType::HostBridge);
    assert!(decls[0].multifunction.is_none());
    assert_eq!(decls[1].multifunction.map(|s| s.col), Some(42));
    assert_eq!(s.print(), text);
    assert_round_trip(text);
}

/// docs/SCENARIO.md "Extension (this repository)": a PF's `sriov=N vf-offset=N
/// vf-stride=N` print back in that order; lowering puts each VF in the machine after its PF
/// and says what is wrong at the attribute's line:col.
#[test]
fn sriov_attributes_parse_print_and_lower() {
    let text = "iommu i kind=generic\nhost h iommu=i\npci 00:01.0 rp acs=SV,RR,CR,UF\n\
                pci 01:00.0 ep parent=00:01.0 id=8086:1572 sriov=4 vf-offset=0x10 vf-stride=1\n";
    let s = ok(text);
    assert_eq!(s.print(), text);
    let reordered = text.replace(
        "sriov=4 vf-offset=0x10 vf-stride=1",
        "vf-stride=1 sriov=4 vf-offset=0x10",
    );
    assert_eq!(ok(&reordered).print(), text);
    let run = run_scenario(&s, text, &Options::default()).unwrap();
    let names: Vec<&str> = run
        .steps
        .iter()
        .map(|st| st.event.args[0].as_str())
        .collect();
    assert_eq!(
        names,
        ["00:01.0", "01:00.0", "01:02.0", "01:02.1", "01:02.2", "01:02.3"]
    );
    for (bad, want) in [
        ("pci 01:00.0 ep parent=00:01.0 vf-stride=2", "4:41: vf-offset and vf-stride need sriov=N"),
        (
            "pci 01:00.0 ep parent=00:01.0 sriov=2 vf-offset=0",
            "4:1: SR-IOV on 01:00.0: First VF Offset 0, or VF Stride 0 with several VFs: sriov_init() fails with -EIO",
        ),
        (
            "pci 01:00.0 bridge parent=00:01.0 sriov=2",
            "4:1: SR-IOV on 01:00.0: a PCIe-to-PCI bridge cannot be a PF (only ep and rciep)",
        ),
    ] {
        let t = format!("iommu i kind=generic\nhost h iommu=i\npci 00:01.0 rp acs=SV,RR,CR,UF\n{bad}\n");
        let e = run_scenario(&ok(&t), &t, &Options::default()).unwrap_err();
        assert_eq!(format!("{}:{}: {}", e.span.line, e.span.col, e.kind), want, "{bad}");
    }
}

/// A failed `iommu_domain_alloc()` is `NULL` (the kernel returns no errno), `=> NULL`
/// expects it, and a later use of the handle says which line made it NULL.
#[test]
fn failed_domain_alloc_is_null_and_its_handle_says_so() {
    let head = "iommu s kind=arm-smmu-v3 granule=4K ias=48 oas=46\nplatform a iommu=s sid=1\n";
    let text = format!("{head}d1 = iommu_domain_alloc(s) => NULL\n");
    let s = ok(&text);
    assert_eq!(s.print(), text);
    let run = run_scenario(&s, &text, &Options::default()).unwrap();
    assert!(run.checks.iter().all(|c| c.ok));
    assert_eq!(
        run.steps.last().map(|st| st.event.result),
        Some(crate::Ret::Null)
    );
    let text = format!("{head}d1 = iommu_domain_alloc(s)\niommu_attach_device(d1, a)\n");
    let e = run_scenario(&ok(&text), &text, &Options::default()).unwrap_err();
    assert_eq!(
        format!("{}:{}: {}", e.span.line, e.span.col, e.kind),
        "4:21: `d1` is NULL: its `d1 = iommu_domain_alloc(...)` on line 3 failed"
    );
}

#[test]
fn corpus_parses_and_round_trips() {
    for (name, text) in crate::corpus::CORPUS {
        let s = parse(text).unwrap_or_else(|e| panic!("{}", e.render(name, text)));
        assert!(
            !s.leading_comment().is_empty(),
            "{name}: no leading comment"
        );
        assert_round_trip(text);
    }
}

#[test]
fn set_generation_rewrites_or_adds_the_header() {
    let mut s = ok("# about\n#  this\n\nunbind x\n");
    s.set_era(Era::Shared);
    assert_eq!(
        s.print(),
        "# about\n#  this\n\ngeneration shared\nunbind x\n"
    );
    s.set_era(Era::V5_19);
    assert_eq!(
        s.print(),
        "# about\n#  this\n\ngeneration v5.19\nunbind x\n"
    );
    let mut s = ok("unbind x\n");
    s.set_era(Era::Legacy);
    assert_eq!(s.print(), "generation legacy\nunbind x\n");
    assert_eq!(ok(&s.print()).era(), Era::Legacy);
}

#[test]
fn a_call_missing_from_a_generation_still_parses() {
    let s = ok("generation legacy\niommu_group_replace_domain(group(x), d) => n/a\n");
    assert_eq!(calls(&s)[0].call.node, CallName::IommuGroupReplaceDomain);
}

/// `(input, "LINE:COL: message")`
const BAD: &[(&str, &str)] = &[
    (
        "iommu s\niommu_attach_devce(d1, x)\n",
        "2:1: unknown call `iommu_attach_devce`; did you mean `iommu_attach_device`?",
    ),
    ("iommu_frobnicate(d1)", "1:1: unknown call `iommu_frobnicate`"),
    ("pci 00:20.0 ep", "1:5: bad PCI address `00:20.0`: the device number must be at most 1f"),
    ("bind 00:1c.9 x", "1:6: bad PCI address `00:1c.9`: the function must be 0 to 7"),
    (
        "iommu_map(d1, 0x10_000g, 0, 4K, R)",
        "1:15: bad number `0x10_000g`: not a hex digit",
    ),
    (
        "iommu_unmap(d1, 99999999999999999999, 4K)",
        "1:17: bad number `99999999999999999999`: does not fit in 64 bits",
    ),
    ("d = iommu_domain_alloc(smmu0", "1:29: expected `,` or `)`, found end of line"),
    (
        "iommu_attach_device(d1, x) => 0 @v5.18",
        "1:34: unknown generation `v5.18`; did you mean `v5.19`?",
    ),
    (
        "config strict=on passthru=on",
        "1:18: unknown config key `passthru`; did you mean `passthrough`?",
    ),
    ("config strict=yes", "1:15: `strict` must be on or off, found `yes`"),
    ("generation v6.8", "1:12: unknown generation `v6.8`"),
    (
        "iommu_attach_device(d1)",
        "1:23: `iommu_attach_device` takes 2 arguments: `iommu_attach_device(domain, dev)`, found 1",
    ),
    (
        "iommu_detach_group(d1, group(x), y)",
        "1:34: `iommu_detach_group` takes 2 arguments: `iommu_detach_group(domain, group)`, found 3",
    ),
    (
        "bind 01:00.0",
        "1:13: `bind` takes 2 or 3 arguments: `bind dev driver [managed]`, found 1",
    ),
    (
        "iommu_attach_group(d1, host1x)",
        "1:24: argument 2 of `iommu_attach_group` must be `group(DEV)`, found `host1x`",
    ),
    ("unbind x\ngeneration legacy", "2:1: `generation` must come before the first call"),
    ("tick 10", "1:6: bad duration `10`: needs a unit: ns, us, ms or s"),
    (
        "iommu_attach_device(d1, x) => -EINVALID",
        "1:31: unknown errno `-EINVALID`; did you mean `-EINVAL`?",
    ),
    (
        "iommu_map(d1, 0, 0, 4K, R|X)",
        "1:27: unknown prot flag `X`; did you mean `R`?",
    ),
    ("pci 01:00.0 epp", "1:13: unknown PCI device type `epp`; did you mean `ep`?"),
    (
        "pci 01:00.0 ep sriov=4 vf-ofset=0x10",
        "1:24: unknown pci attribute `vf-ofset`; did you mean `vf-offset`?",
    ),
    (
        "pci 01:00.0 ep sriov=",
        "1:22: expected a number, found end of line",
    ),
    (
        "pci 02:01.0 reverse-brige",
        "1:13: unknown PCI device type `reverse-brige`; did you mean `reverse-bridge`?",
    ),
    (
        "pci 00:18.0 host-brige",
        "1:13: unknown PCI device type `host-brige`; did you mean `host-bridge`?",
    ),
    (
        "pci 01:00.0 usp multifunctoin",
        "1:17: unknown pci attribute `multifunctoin`; did you mean `multifunction`?",
    ),
    (
        "pci 01:00.0 usp multifunction multifunction",
        "1:31: `multifunction` is given twice",
    ),
    ("pci 01:00.0 ep acs=SV,XX", "1:23: unknown ACS flag `XX`; did you mean `SV`?"),
    ("pci 01:00.0 ep parnet=00:1c.0", "1:16: unknown pci attribute `parnet`; did you mean `parent`?"),
    ("iommu s kind=arm-smmuv3", "1:14: unknown IOMMU kind `arm-smmuv3`; did you mean `arm-smmu-v3`?"),
    ("platform p sid=1 sid=2", "1:18: `sid` is given twice"),
    ("expect group(a) = group(b)", "1:17: expected `==` or `!=`, found `=`"),
    ("expect invariants fine", "1:19: expected `ok`, found `fine`"),
    ("expect breach X2", "1:15: expected an invariant such as `I2`, found `X2`"),
    ("expect breach uaf", "1:15: unknown invariant `uaf`; did you mean `UAF`?"),
    ("expect breach UAG", "1:15: unknown invariant `UAG`; did you mean `UAF`?"),
    ("expect grops = {a}", "1:8: unknown expectation `grops`; did you mean `groups`?"),
    ("expect groups = {a} {}", "1:21: a group needs at least one device"),
    ("atach x y", "1:1: unknown statement `atach`"),
    ("unbind x $", "1:10: unexpected character '$'"),
    ("tick(10ms)", "1:5: bind, unbind, remove and tick take their arguments without parentheses"),
    ("x = iommu_attach_device(d, y)", "1:1: `iommu_attach_device` does not return a domain or an IOVA, so it cannot be kept in a handle"),
    ("none = iommu_domain_alloc(s)", "1:1: `none` is a reserved word and cannot name a handle"),
    ("unbind x => ", "1:13: expected a result (0, -EXXX, a number, n/a, BUG, DMA_MAPPING_ERROR), found end of line"),
    ("unbind x y", "1:10: `unbind` takes 1 argument: `unbind dev`, found 2"),
    ("generation current\ngeneration legacy", "2:1: `generation` is given twice"),
    ("alias 01:00.0 05:00.0", "1:15: expected `->`, found `05:00.0`"),
];

#[test]
fn bad_inputs_fail_at_the_exact_place() {
    for (text, want) in BAD {
        assert_eq!(&err(text), want, "input: {text:?}");
    }
}

#[test]
fn errors_render_with_file_source_and_caret() {
    let text = "iommu s\n\tiommu_attach_devce(d1, x)\n";
    let e = parse(text).unwrap_err();
    assert_eq!(
        e.render("tegra.iommu", text),
        "tegra.iommu:2:2: unknown call `iommu_attach_devce`; did you mean `iommu_attach_device`?\n\
         \x20   \tiommu_attach_devce(d1, x)\n\
         \x20   \t^^^^^^^^^^^^^^^^^^\n"
    );
}

#[test]
fn errors_serialize_for_the_web_ui() {
    let e = parse("unbind x\ntick 5").unwrap_err();
    assert_eq!(
        serde_json::to_string(&e).unwrap(),
        r#"[{"line":2,"col":6,"start":14,"end":15,"message":"bad duration `5`: needs a unit: ns, us, ms or s"}]"#
    );
}

#[test]
fn several_errors_are_reported_one_per_line() {
    let e = parse("unbind x $\nok_line_is_bad\nunbind y\ntick 5").unwrap_err();
    let lines: Vec<u32> = e.errors.iter().map(|e| e.line()).collect();
    assert_eq!(lines, [1, 2, 4]);
}

#[test]
fn limits_are_errors_not_panics() {
    let long = format!("# {}", "x".repeat(MAX_LINE));
    assert_eq!(
        err(&long),
        format!("1:1: line is longer than {MAX_LINE} bytes")
    );
    let huge = "\n".repeat(MAX_INPUT + 1);
    assert_eq!(
        err(&huge),
        format!("1:1: the scenario is larger than {MAX_INPUT} bytes")
    );
    let many = "unbind x\n".repeat(MAX_STATEMENTS + 1);
    assert_eq!(
        err(&many),
        format!(
            "{}:1: more than {MAX_STATEMENTS} statements",
            MAX_STATEMENTS + 1
        )
    );
    let errors = "$\n".repeat(100);
    assert_eq!(parse(&errors).unwrap_err().errors.len(), MAX_ERRORS);
}

// ---- property tests ------------------------------------------------------------------
// proptest does not build for wasm32-unknown-unknown: the properties run natively.
#[cfg(not(target_arch = "wasm32"))]
mod properties {
    use super::*;
    use proptest::prelude::*;

    /// Every error points inside the input: a real line, a column at most one past its end.
    fn check_errors_in_bounds(text: &str) {
        if let Err(e) = parse(text) {
            assert!(!e.errors.is_empty());
            let lines: Vec<&str> = text.split('\n').collect();
            for err in &e.errors {
                assert!(err.line() >= 1 && err.col() >= 1, "{err}");
                let line = lines[err.line() as usize - 1];
                let line = line.strip_suffix('\r').unwrap_or(line);
                assert!(
                    err.col() as usize <= line.chars().count() + 1,
                    "{err} in {line:?}"
                );
                assert!(err.span.start <= err.span.end && err.span.end <= text.len());
                let _ = e.render("f", text);
            }
        }
    }

    /// Tokens after the statement keywords ([`parser::KEYWORDS`], which come first).
    const TOKENS: &[&str] = &[
        "bind",
        "unbind",
        "remove",
        "tick",
        "iommu_map",
        "iommu_attach_device",
        "dma_map_page",
        "group",
        "domain",
        "owner",
        "owner_cnt",
        "iova_to_phys",
        "groups",
        "invariants",
        "ok",
        "breach",
        "I2",
        "d1",
        "smmu0",
        "00:1c.0",
        "0000:01:00.0",
        "0x10_0000",
        "2M",
        "10ms",
        "R",
        "W",
        "RW",
        "BIDIRECTIONAL",
        "read",
        "-EINVAL",
        "n/a",
        "BUG",
        "@",
        "v5.19",
        "current",
        ";",
        "=>",
        "=",
        "==",
        "!=",
        "->",
        "(",
        ")",
        "{",
        "}",
        ",",
        "|",
        "#",
        "managed",
        "kind=",
        "acs=SV,RR",
        "strict=on",
        "\n",
        " ",
        "\t",
        "é",
        "99999999999999999999999",
        "-",
        "0x",
    ];

    fn any_token_stream() -> impl Strategy<Value = String> {
        let tokens: Vec<&str> = parser::KEYWORDS.iter().chain(TOKENS).copied().collect();
        prop::collection::vec(prop::sample::select(tokens), 0..40).prop_map(|v| v.join(" "))
    }

    /// Valid statements, generated from parts, for the round-trip property.
    fn valid_line() -> impl Strategy<Value = String> {
        let dev = prop_oneof![
            "[a-z][a-z0-9_]{0,6}".prop_map(|s| s),
            (0u8..=255, 0u8..32, 0u8..8).prop_map(|(b, d, f)| format!("{b:02x}:{d:02x}.{f}")),
            (0u16..4, 0u8..=255, 0u8..32, 0u8..8)
                .prop_map(|(s, b, d, f)| format!("{s:04x}:{b:02x}:{d:02x}.{f}")),
        ];
        let num = prop_oneof![
            any::<u64>().prop_map(|n| n.to_string()),
            any::<u32>().prop_map(|n| format!("{n:#x}")),
            (1u64..1024, prop::sample::select(&["K", "M", "G", "T"][..]))
                .prop_map(|(n, u)| format!("{n}{u}")),
        ];
        let gens = prop::collection::vec(
            prop::sample::select(
                &[
                    "legacy",
                    "singleton",
                    "shared",
                    "unified",
                    "v5.19",
                    "current",
                ][..],
            ),
            0..3,
        )
        .prop_map(|g| {
            if g.is_empty() {
                String::new()
            } else {
                format!(" @{}", g.join(","))
            }
        });
        let value = prop_oneof![
            num.clone(),
            prop::sample::select(
                &[
                    "-EINVAL",
                    "-EBUSY",
                    "n/a",
                    "BUG",
                    "-EPERM",
                    "DMA_MAPPING_ERROR"
                ][..]
            )
            .prop_map(String::from),
        ];
        let expect = prop::collection::vec((value, gens.clone()), 0..3).prop_map(|alts| {
            if alts.is_empty() {
                String::new()
            } else {
                let a: Vec<String> = alts.into_iter().map(|(v, g)| format!("{v}{g}")).collect();
                format!(" => {}", a.join(" ; "))
            }
        });
        let comment = prop_oneof![
            Just(String::new()),
            "[ -~]{0,20}".prop_map(|c| format!(" #{c}"))
        ];
        let bdf = (0u8..=255, 0u8..32, 0u8..8).prop_map(|(b, d, f)| format!("{b:02x}:{d:02x}.{f}"));
        let stmt = prop_oneof![
            (
                dev.clone(),
                "[a-z][a-z-]{0,6}",
                any::<bool>(),
                expect.clone()
            )
                .prop_map(|(d, drv, m, e)| format!(
                    "bind {d} {drv}{}{e}",
                    if m { " managed" } else { "" }
                )),
            (dev.clone(), dev.clone(), expect.clone())
                .prop_map(|(a, b, e)| format!("iommu_attach_group(d1, group({a})){e} # {b}")),
            (
                num.clone(),
                num.clone(),
                num.clone(),
                prop::sample::select(&["R", "W", "RW", "R|W|CACHE", "PRIV|MMIO", "0"][..]),
                expect.clone()
            )
                .prop_map(|(a, b, c, p, e)| format!("iommu_map(d1, {a}, {b}, {c}, {p}){e}")),
            (dev.clone(), num.clone(), expect.clone())
                .prop_map(|(d, n, e)| format!("h = dma_map_page({d}, {n}, 4K, TO_DEVICE){e}")),
            (
                1u64..100_000,
                prop::sample::select(&["ns", "us", "ms", "s"][..])
            )
                .prop_map(|(n, u)| format!("tick {n}{u}")),
            (
                prop::collection::vec(prop::collection::vec(dev.clone(), 1..4), 1..4),
                gens.clone()
            )
                .prop_map(|(gs, g)| {
                    let groups: Vec<String> = gs
                        .into_iter()
                        .map(|m| format!("{{{}}}", m.join(" ")))
                        .collect();
                    format!("expect groups = {}{g}", groups.join(" "))
                }),
            (
                dev.clone(),
                any::<bool>(),
                prop::sample::select(&["d1", "default", "blocking", "identity", "none"][..])
            )
                .prop_map(|(d, eq, v)| format!(
                    "expect domain(group({d})) {} {v}",
                    if eq { "==" } else { "!=" }
                )),
            (dev.clone(), num.clone())
                .prop_map(|(d, n)| format!("expect owner_cnt(group({d})) == {n}")),
            (
                bdf.clone(),
                prop::sample::select(&["rp", "ep", "usp", "dsp", "rciep", "bridge", "pci"][..]),
                any::<bool>()
            )
                .prop_map(|(d, t, u)| format!(
                    "pci {d} {t}{}",
                    if u { " untrusted acs=SV,UF" } else { "" }
                )),
            "[ -~]{0,30}".prop_map(|c| format!("#{c}")),
            Just(String::new()),
        ];
        (stmt, comment).prop_map(|(s, c)| {
            if s.is_empty() || s.starts_with('#') {
                s
            } else {
                format!("{s}{c}")
            }
        })
    }

    /// Topology, header and the other `expect` forms, for the round-trip property.
    fn valid_decl() -> impl Strategy<Value = String> {
        let name = "[a-z_][a-z0-9_.-]{0,8}";
        let bdf =
            (prop::option::of(0u16..0x10), 0u8..=255, 0u8..32, 0u8..8).prop_map(|(s, b, d, f)| {
                match s {
                    Some(s) => format!("{s:04x}:{b:02x}:{d:02x}.{f}"),
                    None => format!("{b:02x}:{d:02x}.{f}"),
                }
            });
        let acs = prop::collection::vec(
            prop::sample::select(&["SV", "TB", "RR", "CR", "UF", "EC", "DT"][..]),
            0..4,
        )
        .prop_map(|v| {
            if v.is_empty() {
                "none".to_string()
            } else {
                v.join(",")
            }
        });
        let onoff = prop::sample::select(&["on", "off"][..]);
        let key = prop::sample::select(&["strict", "passthrough", "acs-fix", "split-unmap"][..]);
        prop_oneof![
        (name, prop::sample::select(&["arm-smmu-v2", "arm-smmu-v3", "generic"][..]), any::<bool>())
            .prop_map(|(n, k, g)| format!("iommu {n} kind={k}{}", if g { " granule=64K ias=44 smrs=0x80" } else { "" })),
        (name, name, prop::collection::vec(0u32..0x1000, 0..3), any::<bool>()).prop_map(|(n, i, sids, m)| {
            let sids: Vec<String> = sids.iter().map(|s| format!("{s:#x}")).collect();
            let sid = if sids.is_empty() { String::new() } else { format!(" sid={}", sids.join(",")) };
            format!("platform {n} iommu={i}{sid}{}", if m { " mask=1" } else { "" })
        }),
        (name, name, 0u32..4, 0u32..256).prop_map(|(n, i, s, b)| format!("host {n} iommu={i} segment={s} bus={b:#x}")),
        (bdf.clone(), bdf.clone(), acs.clone(), acs, any::<(u16, u16)>(), name).prop_map(|(a, p, c, d, (v, dv), h)| {
            format!("pci {a} dsp parent={p} acs-ctl={d} host={h} id={v:04x}:{dv:04X} acs-cap={c} subsys={dv:x}:{v:x}")
        }),
        (bdf.clone(), bdf).prop_map(|(a, b)| format!("alias {a} -> {b}")),
        prop::collection::vec((key, onoff), 1..5).prop_map(|kv| {
            let kv: Vec<String> = kv.into_iter().map(|(k, v)| format!("{k}={v}")).collect();
            format!("config {}", kv.join(" "))
        }),
        (name, name, any::<bool>()).prop_map(|(a, c, eq)| format!("expect owner(group({a})) {} {c}", if eq { "==" } else { "!=" })),
        (any::<u64>(), any::<u64>()).prop_map(|(i, p)| format!("expect iova_to_phys(d1, {i:#x}) == {p}")),
        (1u8..100).prop_map(|n| format!("expect breach I{n} @current")),
        Just("expect invariants ok".to_string()),
    ]
    }

    /// A valid scenario with a few characters deleted, replaced or inserted.
    fn mutated_scenario() -> impl Strategy<Value = String> {
        let text = prop::collection::vec(prop_oneof![valid_line(), valid_decl()], 1..10)
            .prop_map(|l| l.join("\n"));
        let edits =
            prop::collection::vec((any::<prop::sample::Index>(), 0u8..3, any::<char>()), 1..6);
        (text, edits).prop_map(|(text, edits)| {
            let mut chars: Vec<char> = text.chars().collect();
            for (at, op, c) in edits {
                if chars.is_empty() {
                    break;
                }
                let i = at.index(chars.len());
                match op {
                    0 => {
                        chars.remove(i);
                    }
                    1 => chars[i] = c,
                    _ => chars.insert(i, c),
                }
            }
            chars.into_iter().collect()
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        #[test]
        fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
            check_errors_in_bounds(&String::from_utf8_lossy(&bytes));
        }

        #[test]
        fn random_ascii_never_panics(text in "[ -~\t\r\n]{0,200}") {
            check_errors_in_bounds(&text);
        }

        #[test]
        fn random_token_streams_never_panic(text in any_token_stream()) {
            check_errors_in_bounds(&text);
        }

        #[test]
        fn generated_scenarios_round_trip(lines in prop::collection::vec(valid_line(), 0..20)) {
            let text = format!("iommu smmu0\nd1 = iommu_domain_alloc(smmu0)\n{}\n", lines.join("\n"));
            assert_round_trip(&text);
        }

        #[test]
        fn generated_declarations_round_trip(lines in prop::collection::vec(valid_decl(), 0..20)) {
            assert_round_trip(&lines.join("\n"));
        }

        #[test]
        fn mutated_scenarios_never_panic(text in mutated_scenario()) {
            check_errors_in_bounds(&text);
            if parse(&text).is_ok() {
                assert_round_trip(&text);
            }
        }

        #[test]
        fn parsed_random_inputs_round_trip(text in any_token_stream()) {
            if parse(&text).is_ok() {
                assert_round_trip(&text);
            }
        }
    }

    #[test]
    fn a_megabyte_of_scenario_parses_quickly() {
        let line =
            "iommu_map(d1, 0x10_0000, 0x8000_0000, 2M, R|W) => -EINVAL @singleton,v5.19 ; 0 # c\n";
        let text = line.repeat(MAX_INPUT / line.len());
        let n = MAX_STATEMENTS.min(text.lines().count());
        let text: String = text.lines().take(n).map(|l| format!("{l}\n")).collect();
        let start = std::time::Instant::now();
        let s = ok(&text);
        assert_eq!(s.stmts.len(), n);
        assert_eq!(s.print().lines().count(), n);
        assert!(start.elapsed() < std::time::Duration::from_secs(10));
    }
}

mod view {
    use crate::corpus::CORPUS;
    use crate::scenario::view::{boot_steps, snapshot_at};
    use crate::scenario::{compare, parse, run, Options};

    fn corpus(name: &str) -> &'static str {
        CORPUS
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, t)| *t)
            .expect("a corpus file")
    }

    #[test]
    fn compare_reports_the_workload_pairs_of_all_six_runs() {
        let text = "config strict=off\niommu dmar0 kind=generic\nhost pci0 iommu=dmar0\n\
                    pci 00:07.0 rp acs=SV,RR,CR,UF\npci 02:00.0 ep parent=00:07.0\n\
                    bind 02:00.0 nvme\nworkload 02:00.0 count=200000 live=16 seed=5\n";
        let s = crate::scenario::parse(text).expect("parses");
        let mut seen: Vec<(u64, u64)> = Vec::new();
        let c = crate::scenario::compare_with_progress(&s, text, &mut |d, t| {
            seen.push((d, t));
            true
        })
        .expect("compares");
        assert_eq!(Some(c), crate::scenario::compare(&s, text).ok());
        // Every 65,536 pairs in each of the six runs, out of 6 x 200,000.
        assert!(seen.iter().all(|&(_, t)| t == 1_200_000), "{seen:?}");
        assert!(seen.windows(2).all(|w| w[0].0 < w[1].0), "{seen:?}");
        assert_eq!(seen.len(), 6 * 3);
        assert_eq!(seen.last(), Some(&(5 * 200_000 + 196_608, 1_200_000)));
    }

    #[test]
    fn compare_lines_up_results_by_call() {
        let text = corpus("tegra-host1x.iommu");
        let s = parse(text).expect("parses");
        let c = compare(&s, text).expect("runs");
        let row = c
            .rows
            .iter()
            .find(|r| r.call == "iommu_attach_device(d1, gr2d)")
            .expect("the attach row");
        assert_eq!(
            row.results
                .iter()
                .map(|c| c.text.as_str())
                .collect::<Vec<_>>(),
            ["0", "-EINVAL", "-EINVAL", "0", "-EINVAL", "-EINVAL"]
        );
        assert!(row.differs);
    }

    #[test]
    fn badges_follow_the_claim_of_a_group() {
        let text = corpus("vfio-nic-shared-group.iommu");
        let opts = Options {
            era: None,
            snapshots: true,
        };
        let r = run(text, &opts).expect("runs");
        let boot = boot_steps(&r);
        assert_eq!(boot, 3);
        assert!(r.topology.devices.iter().any(|d| d.name == "01:00.1"
            && d.parent.is_some()
            && d.host.as_deref() == Some("pci0")));
        let claim = r
            .steps
            .iter()
            .rposition(|s| s.event.call == "vfio_group_set_container")
            .expect("a claim");
        let before = snapshot_at(&r, claim).expect("a snapshot");
        let after = snapshot_at(&r, claim + 1).expect("a snapshot");
        let g = after
            .devices
            .iter()
            .find(|d| d.name == "01:00.0")
            .and_then(|d| d.group)
            .expect("a group");
        assert_eq!(before.group_domain_badge(g), "DMA");
        // VFIO_SET_IOMMU goes on to attach type1's domain: the claim passes through the
        // blocking domain (a nested call) and ends in VFIO's private domain.
        assert_eq!(after.group_domain_badge(g), "private vm1.type1");
        assert_eq!(after.group_owner_badge(g), "vm1");
        let boot_snap = snapshot_at(&r, boot).expect("booted");
        assert_eq!(boot_snap.group_owner_badge(g), "none");
        assert!(snapshot_at(&r, 0).is_none());
    }
}

mod table_view {
    use crate::scenario::{run, Options};

    #[test]
    fn snapshots_show_the_mapped_ranges_merged() {
        let text = "iommu smmu0 kind=arm-smmu-v3\n\
                    d1 = iommu_domain_alloc(smmu0)\n\
                    iommu_map(d1, 0x10_0000, 0xa000_0000, 4K, RW)\n\
                    iommu_map(d1, 0x10_1000, 0xa000_1000, 4K, RW)\n\
                    iommu_map(d1, 0x4000_0000, 0x8000_0000, 2M, R)\n";
        let opts = Options {
            era: None,
            snapshots: true,
        };
        let r = run(text, &opts).expect("runs");
        let d = r
            .kernel
            .domains
            .iter()
            .find(|d| d.label == "d1")
            .expect("d1");
        let t = d.table.as_ref().expect("a table view");
        let got: Vec<(u64, u64, u64, u32, u64, bool)> = t
            .ranges
            .iter()
            .map(|r| (r.iova, r.size, r.phys, r.level, r.leaves, r.writable))
            .collect();
        assert_eq!(
            got,
            [
                (0x10_0000, 0x2000, 0xa000_0000, 3, 2, true),
                (0x4000_0000, 0x20_0000, 0x8000_0000, 2, 1, false),
            ]
        );
        assert!(!t.truncated);
        // Without snapshots (the CLI) no table is walked.
        let r = run(text, &Options::default()).expect("runs");
        assert!(r.kernel.domains.iter().all(|d| d.table.is_none()));
    }
}

#[test]
fn kernel_command_line_config_keys_parse_and_print() {
    let text = "config pcie_acs_override=downstream,multifunction,id:1022:1483 iommu=pt iommu.strict=0\n\
                config pci=disable_acs_redir=0000:02:01.0;00:01.0/00.0/02.0 pci=config_acs=xx111x1@pci:8086:a298\n\
                config iommu.passthrough=0 acs-fix=on\n";
    let s = ok(text);
    assert_eq!(s.print(), text);
    let c = s.config();
    assert!(!c.strict && !c.passthrough && c.acs_fix);
    let p = s.acs_params();
    assert!(p.acs_override.downstream() && p.acs_override.multifunction());
    assert_eq!(p.disable_acs_redir.len(), 2);
    assert_eq!(p.config_acs.len(), 1);
    assert_eq!(
        p.to_string(),
        "pcie_acs_override=downstream,multifunction,id:1022:1483 \
         pci=disable_acs_redir=0000:02:01.0;00:01.0/00.0/02.0 \
         pci=config_acs=xx111x1@pci:8086:a298"
    );
    // `off` clears a list key; later settings win.
    let s = ok("config pcie_acs_override=downstream\nconfig pcie_acs_override=off iommu=nopt\n");
    assert!(s.acs_params().is_empty());
    assert_eq!(
        s.print(),
        "config pcie_acs_override=downstream\nconfig pcie_acs_override=off iommu=nopt\n"
    );
    assert!(!s.config().passthrough);
    assert!(ok("config iommu=pt\n").config().passthrough);
}

#[test]
fn kernel_command_line_config_errors_point_into_the_value() {
    assert_eq!(
        err("config pcie_acs_override=downstream,multifunktion\n"),
        "1:37: unknown pcie_acs_override option `multifunktion`; did you mean `multifunction`?"
    );
    assert_eq!(
        err("config pcie_acs_overide=downstream\n"),
        "1:8: unknown config key `pcie_acs_overide`; did you mean `pcie_acs_override`?"
    );
    assert_eq!(
        err("config pci=disable_acs_redr=00:01.0\n"),
        "1:12: unknown pci= option `disable_acs_redr`; did you mean `disable_acs_redir`?"
    );
    assert_eq!(
        err("config pci=disable_acs_redir=00:01.0;00:1f.9\n"),
        "1:38: bad PCI device `00:1f.9`: expected pci:vvvv:dddd, [ssss:]bb:dd.f or a path bb:dd.f/dd.f (hex)"
    );
    assert_eq!(
        err("config pci=config_acs=1x2@00:1c.0\n"),
        "1:23: bad ACS flags `1x2`: each character must be 0, 1 or x (Invalid ACS flags)"
    );
    assert_eq!(
        err("config iommu=ptt\n"),
        "1:14: unknown iommu= option `ptt`; did you mean `pt`?"
    );
    assert_eq!(
        err("config iommu.strict=2\n"),
        "1:21: expected `1` or `0`, found `2`"
    );
    assert_eq!(
        err("config strict=1\n"),
        "1:15: `strict` must be on or off, found `1`"
    );
    // The --config form: columns are the settings' own.
    let e = super::parse_config_settings("iommu=pt pcie_acs_override=dowstream").unwrap_err();
    assert_eq!(
        e.to_string(),
        "1:28: unknown pcie_acs_override option `dowstream`; did you mean `downstream`?"
    );
    let ok = super::parse_config_settings("iommu=pt acs-fix=on").unwrap();
    assert_eq!(ok.len(), 2);
    assert_eq!((ok[1].span.col, ok[1].span.start), (10, 9));
}

mod iova_view {
    use crate::iova::view::{CpuMagazines, IovaSpan};
    use crate::iova::Iova;
    use crate::scenario::view::snapshot_at;
    use crate::scenario::{run, Options, Run};
    use crate::trace::IovaAt;

    /// tests/scenarios/iova-allocator.iommu: a strict (DMA) NIC maps a (1 page), b (2) and c
    /// (1), unmaps a and b, maps d (1). The values are derived from iova.c by hand in its
    /// comment.
    fn nic() -> Run {
        corpus_run("iova-allocator.iommu")
    }

    /// A corpus scenario run with snapshots.
    fn corpus_run(name: &str) -> Run {
        let text = crate::corpus::CORPUS
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, t)| *t)
            .expect("the corpus file");
        let opts = Options {
            era: None,
            snapshots: true,
        };
        run(text, &opts).expect("runs")
    }

    /// The NIC's DMA domain after the step whose statement starts with `stmt`.
    fn nic_domain<'a>(r: &'a Run, stmt: &str) -> &'a crate::snapshot::DomainView {
        let i = r
            .steps
            .iter()
            .position(|s| s.source.starts_with(stmt))
            .expect("the step");
        let snap = snapshot_at(r, i + 1).expect("a snapshot");
        let dev = snap.devices.iter().find(|d| d.name == "01:00.0");
        let id = dev.and_then(|d| d.domain).expect("translated");
        snap.domains
            .iter()
            .find(|d| d.id == id)
            .expect("its domain")
    }

    fn span(pfn_lo: u64, pfn_hi: u64, cached: bool) -> IovaSpan {
        IovaSpan {
            pfn_lo,
            pfn_hi,
            cached,
            queued: false,
        }
    }

    /// tests/scenarios/rcache-per-cpu.iommu: a DMA call runs on the CPU its last argument
    /// names, and iova.c's rcache is that CPU's (`raw_cpu_ptr(rcache->cpu_rcaches)`, v6.8):
    /// a's pfn, freed on CPU 1, sits in CPU 1's loaded magazine of the 1-page class; CPU 0
    /// misses (b from the tree), CPU 1 hits (c = a's IOVA), which empties the magazine.
    #[test]
    fn dma_calls_use_the_rcache_of_the_cpu_they_name() {
        let r = corpus_run("rcache-per-cpu.iommu");
        assert!(r.passed());
        let one = CpuMagazines { loaded: 1, prev: 0 };
        let none = CpuMagazines { loaded: 0, prev: 0 };
        let class1 = |stmt: &str| {
            let v = nic_domain(&r, stmt).iova.clone().expect("an IOVA view");
            let c = &v.rcaches[0];
            (c.cpus.clone(), c.hits, c.misses)
        };
        assert_eq!(class1("dma_unmap_page(01:00.0, a"), (vec![none, one], 0, 1));
        assert_eq!(class1("b = dma_map_page"), (vec![none, one], 0, 2));
        assert_eq!(class1("c = dma_map_page"), (vec![none, none], 1, 2));
        // The trace prints the CPU only where it is not 0, after the kernel's arguments.
        let args = |stmt: &str| {
            r.steps
                .iter()
                .find(|s| s.source.starts_with(stmt))
                .map(|s| s.event.args.join(", "))
                .unwrap_or_default()
        };
        assert_eq!(
            args("b = dma_map_page"),
            "01:00.0, 0x80010000, 0x1000, DMA_BIDIRECTIONAL"
        );
        assert_eq!(
            args("c = dma_map_page"),
            "01:00.0, 0x80020000, 0x1000, DMA_BIDIRECTIONAL, 1"
        );
    }

    /// tests/scenarios/flush-queue.iommu: a lazy (DMA_FQ) unmap queues the IOVA instead of freeing it
    /// (drivers/iommu/dma-iommu.c: __iommu_dma_unmap() → queue_iova(), v6.10): the range
    /// stays in the tree, marked queued, in the unmapping CPU's ring, and the 10 ms
    /// `fq_timer` is armed (IOVA_FQ_TIMEOUT). When it fires, fq_flush_timeout() flushes the
    /// IOTLB and fq_ring_free_locked() frees the entry with free_iova_fast() into the
    /// rcache of the CPU the timer runs on (modelled as the one that armed it: CPU 1; the
    /// kernel's fq_timer is not pinned, so timer migration may move it).
    #[test]
    fn the_iova_view_shows_the_flush_queue_and_its_waiting_ranges() {
        let r = corpus_run("flush-queue.iommu");
        assert!(r.passed());
        let view = |stmt: &str| nic_domain(&r, stmt).iova.clone().expect("an IOVA view");
        let mapped = view("a = dma_map_page");
        assert_eq!(mapped.spans, [span(0xf_ffff, 0xf_ffff, false)]);
        let fq = mapped.fq.clone().expect("a DMA_FQ domain's queue");
        assert_eq!(
            (fq.pending, fq.capacity, fq.timer_due_ms),
            (vec![0, 0], 255, None)
        );
        let queued = view("dma_unmap_page");
        assert_eq!(
            queued.spans,
            [IovaSpan {
                queued: true,
                ..span(0xf_ffff, 0xf_ffff, false)
            }]
        );
        let fq = queued.fq.clone().expect("the queue");
        assert_eq!(fq.pending, [0, 1]);
        let due = fq.timer_due_ms.expect("the timer armed");
        let none = CpuMagazines { loaded: 0, prev: 0 };
        assert_eq!(queued.rcaches[0].cpus, [none, none]);
        let flushed = view("tick 10ms");
        assert_eq!(flushed.spans, [span(0xf_ffff, 0xf_ffff, true)]);
        let fq = flushed.fq.clone().expect("the queue");
        assert_eq!((fq.pending, fq.timer_due_ms), (vec![0, 0], None));
        let one = CpuMagazines { loaded: 1, prev: 0 };
        assert_eq!(flushed.rcaches[0].cpus, [none, one]);
        assert!(due >= 10, "armed 10 ms ahead: {due}");
    }

    #[test]
    fn a_cpu_the_model_does_not_simulate_is_a_line_col_error() {
        let text = "iommu smmu0 kind=arm-smmu-v3\nhost pci0 iommu=smmu0\npci 00:01.0 ep\n\
                    bind 00:01.0 e1000e\na = dma_map_page(00:01.0, 0x1000, 4K, BIDIRECTIONAL, 2)\n";
        let e = crate::scenario::parse(text).expect_err("CPU 2");
        assert_eq!(
            e.to_string(),
            "5:54: bad CPU `2`: the model simulates 2 CPUs: 0 or 1"
        );
    }

    #[test]
    fn iova_view_shows_the_ranges_cached_node_and_magazines() {
        let r = nic();
        let v = nic_domain(&r, "dma_unmap_page(01:00.0, b")
            .iova
            .as_ref()
            .expect("its allocator");
        assert_eq!((v.granule, v.shift, v.start_pfn), (4096, 12, 1));
        assert_eq!(v.dma_32bit_pfn, 0x10_0000);
        assert_eq!(v.max32_alloc_size, 0x10_0000, "nothing failed");
        assert_eq!(
            v.spans,
            [
                span(0xf_fffb, 0xf_fffb, false),
                span(0xf_fffc, 0xf_fffd, true),
                span(0xf_ffff, 0xf_ffff, true),
            ]
        );
        assert_eq!((v.ranges, v.summarised), (3, false));
        assert_eq!(
            v.cached32_node,
            Some(Iova {
                pfn_lo: 0xf_fffb,
                pfn_hi: 0xf_fffb
            })
        );
        assert_eq!(v.cached_node, None, "nothing above 4G: the anchor");
        let pages: Vec<u64> = v.rcaches.iter().map(|c| c.pages).collect();
        assert_eq!(pages, [1, 2, 4, 8, 16, 32]);
        let one = CpuMagazines { loaded: 1, prev: 0 };
        let none = CpuMagazines { loaded: 0, prev: 0 };
        assert_eq!(v.rcaches[0].cpus, [one, none]);
        assert_eq!(v.rcaches[1].cpus, [one, none]);
        assert!(v.rcaches[2..].iter().all(|c| c.cpus == [none, none]));
        assert_eq!((v.rcaches[0].hits, v.rcaches[0].misses), (0, 2));
        assert_eq!((v.rcaches[1].hits, v.rcaches[1].misses), (0, 1));
        assert_eq!(v.rcaches[0].depot, 0);
    }

    #[test]
    fn iova_at_names_the_iova_of_map_steps() {
        let r = nic();
        let dom = nic_domain(&r, "a = ").id;
        let at: Vec<Option<u64>> = r
            .steps
            .iter()
            .filter(|s| s.event.call.starts_with("dma_"))
            .map(|s| s.event.iova_at.map(|a| a.iova))
            .collect();
        assert_eq!(
            at,
            [
                Some(0xffff_f000),
                Some(0xffff_c000),
                Some(0xffff_b000),
                Some(0xffff_f000),
                Some(0xffff_c000),
                Some(0xffff_f000)
            ]
        );
        let first = r.steps.iter().find(|s| s.event.call == "dma_map_page");
        assert_eq!(
            first.and_then(|s| s.event.iova_at),
            Some(IovaAt {
                domain: dom,
                iova: 0xffff_f000
            })
        );
        // After `a` only: one range, cached32_node on it.
        let i = r
            .steps
            .iter()
            .position(|s| s.event.call == "dma_map_page")
            .expect("a map");
        let snap = snapshot_at(&r, i + 1).expect("a snapshot");
        let v = snap
            .domains
            .iter()
            .find(|d| d.id == dom)
            .and_then(|d| d.iova.as_ref())
            .expect("iova");
        assert_eq!(v.spans, [span(0xf_ffff, 0xf_ffff, false)]);
        // iommu_map names its own argument; the CLI records no allocator view.
        let t = "iommu smmu0 kind=arm-smmu-v3\nd1 = iommu_domain_alloc(smmu0)\n\
                 iommu_map(d1, 0x10_0000, 0xa000_0000, 4K, RW)\n";
        let r = run(t, &Options::default()).expect("runs");
        let ev = &r.steps.last().expect("a step").event;
        assert_eq!(ev.iova_at.map(|a| a.iova), Some(0x10_0000));
        assert!(r.kernel.domains.iter().all(|d| d.iova.is_none()));
    }
}
