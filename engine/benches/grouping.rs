//! Grouping speed on synthetic machines (criterion). Run:
//! `cargo bench -p iommu-engine --bench grouping -- --warm-up-time 1 --measurement-time 3`.
//!
//! Each PCI segment has 8 ACS root ports, each with a switch of 16 ACS downstream ports,
//! each with an 8-function endpoint without ACS (one group per card): 1168 functions per
//! segment; segments are added until the device count is reached.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use iommu_engine::group::Groups;
use iommu_engine::topology::{
    AcsFlags, Bdf, HostSpec, IommuKind, IommuSpec, PciSpec, PciType, Topology,
};
use iommu_engine::Config;

fn synth(target: usize) -> Topology {
    let acs = AcsFlags::parse_list("SV,RR,CR,UF").unwrap_or_default();
    let mut t = Topology::new();
    t.add_iommu(IommuSpec::new("dmar0", IommuKind::Generic))
        .unwrap();
    let mut n = 0usize;
    let mut seg = 0u16;
    while n < target {
        let host = format!("pci{seg}");
        t.add_host(HostSpec::new(&host, "dmar0").segment(seg))
            .unwrap();
        let b = |bus: u8, dev: u8, func: u8| Bdf {
            segment: seg,
            bus,
            dev,
            func,
        };
        let mut bus = 1u8;
        for rp in 0..8u8 {
            let rp_bdf = b(0, rp + 1, 0);
            t.add_pci(PciSpec::new(rp_bdf, PciType::RootPort).host(&host).acs(acs))
                .unwrap();
            let usp = b(bus, 0, 0);
            bus += 1;
            t.add_pci(PciSpec::new(usp, PciType::UpstreamPort).parent(rp_bdf))
                .unwrap();
            let dsp_bus = bus;
            bus += 1;
            for d in 0..16u8 {
                let dsp = b(dsp_bus, d, 0);
                t.add_pci(
                    PciSpec::new(dsp, PciType::DownstreamPort)
                        .parent(usp)
                        .acs(acs),
                )
                .unwrap();
                for f in 0..8u8 {
                    t.add_pci(PciSpec::new(b(bus, 0, f), PciType::Endpoint).parent(dsp))
                        .unwrap();
                }
                bus += 1;
            }
            n += 2 + 16 * 9;
        }
        seg += 1;
    }
    t
}

fn probe_all(c: &mut Criterion) {
    let mut g = c.benchmark_group("grouping/probe_all");
    g.sample_size(10);
    for target in [1_000usize, 10_000, 100_000] {
        let t = synth(target);
        let devices = t.devices().count() as u64;
        g.throughput(Throughput::Elements(devices));
        g.bench_with_input(BenchmarkId::from_parameter(devices), &t, |b, t| {
            b.iter(|| {
                let mut groups = Groups::new(Config::default());
                let r = groups.probe_all(t);
                assert!(r.iter().all(|(_, x)| x.is_ok()));
                groups
            })
        });
    }
    g.finish();
}

criterion_group!(benches, probe_all);
criterion_main!(benches);
