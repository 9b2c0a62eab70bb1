//! Every resource limit of the engine, in one place (RELIABILITY.md lists them).
//!
//! Scenarios arrive from links anyone can craft, so each limit turns a runaway input into a
//! clear error: a [`crate::scenario::ParseError`] at the offending line, or the errno the
//! kernel itself would return when it runs out of memory (-ENOMEM). None of them is reached
//! by the scenario corpus.

/// The largest scenario accepted, in bytes.
pub const MAX_INPUT: usize = 1 << 20;
/// The longest line accepted, in bytes.
pub const MAX_LINE: usize = 4096;
/// The most statements (comment lines included) in one scenario; also bounds the devices
/// and calls of a run, since each is a statement.
pub const MAX_STATEMENTS: usize = 10_000;
/// The parser stops after this many errors.
pub const MAX_ERRORS: usize = 20;

/// The largest pasted machine listing `import::parse` reads, in bytes (32 MiB: a
/// 10,000-function `lspci -vvv` takes about 25 MB). Lines keep [`MAX_LINE`].
pub const MAX_IMPORT_INPUT: usize = 32 << 20;
/// The most PCI functions one import holds (shared/IMPORT.md); more are dropped and counted.
pub const MAX_IMPORT_DEVICES: usize = 10_000;
/// The most skipped-line numbers and conflicts one import records (the rest are counted).
pub const MAX_IMPORT_NOTES: usize = 1000;

/// The memory one domain's table pages may take (64 MiB: 16384 pages of 4K, 1024 of 64K).
/// Past it `__arm_lpae_alloc_pages()` fails and the map returns -ENOMEM, as on a machine
/// out of memory; it also bounds what one scenario line can cost in a browser tab.
pub const PGTABLE_BUDGET_BYTES: u64 = 64 << 20;

/// The memory the table pages of all domains of one kernel may take together (256 MiB):
/// past it table allocations fail with -ENOMEM like the per-domain budget, so many domains
/// cannot multiply [`PGTABLE_BUDGET_BYTES`].
pub const PGTABLE_TOTAL_BUDGET_BYTES: u64 = 256 << 20;

/// The most nested kernel calls one trace event records. Past it the event keeps the first
/// ones and a summary entry ("… 31,000 more"): an `iommu_map` of a huge range cut into
/// thousands of `map_pages` batches must not make a trace of megabytes.
pub const MAX_NESTED_PER_EVENT: usize = 1000;

/// The most WARN/notice lines one trace event records (the rest are counted in a summary).
pub const MAX_WARNS_PER_EVENT: usize = 100;

/// The most devices one scenario declares (boot and hot-added). Every step snapshots and
/// checks every device, so this bounds the cost of a step: a run costs about devices ×
/// statements (256 devices × 10,000 statements ran in about 0.9 s natively, 5,000 devices
/// took 90 s). 512 takes the largest real machine of the import fixtures (a two-socket
/// Sapphire Rapids server, 483 functions; its imported scenario runs in 0.8 s) at twice
/// the 256-device cost. Past it the run stops with an error at the declaration.
pub const MAX_DEVICES: usize = 512;

/// The most domains one kernel holds, freed ones included (the model keeps a freed domain
/// to flag use-after-free). Past it domain allocation fails with -ENOMEM, as the driver's
/// `domain_alloc()` does out of memory. Every step snapshots every domain, so this bounds
/// the cost of a step.
pub const MAX_DOMAINS: usize = 256;

/// The most items (groups, devices, domains and mapped ranges, summed over every step) the
/// snapshots of one run may hold when the UI records them (`Options::snapshots`). Each
/// snapshot's table views are already bounded by `TableView::LIMIT` leaves per domain; this
/// bounds their sum over a long run (about 100 MB at worst). Past it the steps record no
/// snapshot and the step where recording stopped carries a notice.
pub const MAX_SNAPSHOT_ITEMS: usize = 1_000_000;

/// The most map+unmap pairs one `workload` statement runs (2,000,000: about 0.15 s natively
/// and 0.3 s in a browser at the fast path's ~70 ns per pair). More is an error at the
/// `count=` value.
pub const MAX_WORKLOAD_COUNT: u64 = 2_000_000;
/// The most pairs all `workload` statements of one scenario run together (4,000,000): a
/// link cannot multiply [`MAX_WORKLOAD_COUNT`] by writing many statements. Past it the run
/// stops with an error at the statement that would cross it.
pub const MAX_WORKLOAD_TOTAL: u64 = 4_000_000;
/// The largest live set of one workload (65,536 buffers).
pub const MAX_WORKLOAD_LIVE: u64 = 65_536;
/// The most sizes one workload draws from, and the largest (4 MiB).
pub const MAX_WORKLOAD_SIZES: usize = 8;
pub const MAX_WORKLOAD_SIZE: u64 = 4 << 20;
/// The longest model time one pair may take (1 s).
pub const MAX_WORKLOAD_INTERVAL_NS: u64 = 1_000_000_000;
/// The most samples one workload records; a `sample=` finer than `count` / this is
/// coarsened to it.
pub const MAX_WORKLOAD_SAMPLES: usize = 1000;
/// The most range-tree steps (`rb_prev()`) one workload's allocations may take (100
/// million, about half a second natively). A fragmenting mix of large uncached sizes makes
/// every allocation walk the tree, O(live set) each as in iova.c; past the budget the
/// workload stops early and says so (checked every 4096 pairs).
pub const MAX_WORKLOAD_TREE_STEPS: u64 = 100_000_000;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{run, Options};
    use crate::trace::Ret;
    use crate::Errno;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    const SMMU: &str = "generation current\niommu smmu kind=arm-smmu-v3 granule=4K ias=48 oas=48\n";

    fn count(n: &[crate::trace::Nested]) -> usize {
        n.iter().map(|c| 1 + count(&c.children)).sum()
    }

    #[test]
    fn mapping_one_tib_as_4k_pages_fails_fast_with_enomem_and_a_bounded_trace() {
        let text =
            format!("{SMMU}d = iommu_domain_alloc(smmu)\niommu_map(d, 0x1000, 0x2000, 1T, RW)\n");
        let r = run(&text, &Options::default()).unwrap();
        let ev = &r.steps.last().unwrap().event;
        assert_eq!(ev.result, Ret::Err(Errno::ENOMEM));
        assert_eq!(count(&ev.nested), MAX_NESTED_PER_EVENT + 1);
        let last = ev.nested.last().unwrap();
        assert!(last.is_summary(), "{}", last.name);
        assert_eq!(last.name, "… 31,711 more");
    }

    #[test]
    fn domains_share_one_table_budget() {
        let mut text = SMMU.to_string();
        for i in 0..6 {
            text += &format!(
                "d{i} = iommu_domain_alloc(smmu)\niommu_map(d{i}, 0x1000, 0x2000, 1T, RW)\n"
            );
        }
        text += "e = iommu_domain_alloc(smmu)\niommu_map(e, 0, 0, 4K, RW) => -ENOMEM\n";
        let r = run(&text, &Options::default()).unwrap();
        assert_eq!(r.checks.len(), 1);
        assert!(r.checks.iter().all(|c| c.ok), "{:?}", r.checks);
    }

    #[test]
    fn snapshots_stop_with_a_notice_past_their_budget() {
        let mut k = crate::Kernel::new(crate::Era::Current, crate::Config::default());
        k.record_snapshots = true;
        let tick = crate::Call::Tick { ns: 1000 };
        assert!(k.call(&tick).snapshot.is_some());
        // Nearly spent, as after a long run: the next snapshot (no items: an empty
        // machine) still fits, then one item too many stops recording.
        k.snapshot_items = MAX_SNAPSHOT_ITEMS;
        assert!(k.call(&tick).snapshot.is_some());
        k.add_iommu(crate::IommuId(0), crate::IommuFacts::new("smmu0"));
        let a = k.call(&crate::Call::IommuDomainAlloc {
            iommu: crate::IommuId(0),
        });
        assert!(a.snapshot.is_none());
        assert!(a
            .warns
            .iter()
            .any(|w| w.message.contains("snapshots stop here")));
        let later = k.call(&tick);
        assert!(later.snapshot.is_none() && later.warns.is_empty());
    }

    #[test]
    fn domain_allocation_fails_past_the_domain_limit() {
        let mut text = SMMU.to_string();
        for i in 0..MAX_DOMAINS {
            text += &format!("d{i} = iommu_domain_alloc(smmu)\n");
        }
        // iommu_domain_alloc() returns NULL, not an errno (issue 12).
        text += "e = iommu_domain_alloc(smmu) => NULL\n";
        let r = run(&text, &Options::default()).unwrap();
        assert!(r.checks.iter().all(|c| c.ok), "{:?}", r.checks.last());
    }

    #[test]
    fn too_many_devices_is_an_error_at_the_declaration() {
        let mut text = "generation current\niommu s kind=generic\n".to_string();
        let hosts = MAX_DEVICES / 256 + 1;
        for h in 0..hosts {
            text += &format!("host h{h} iommu=s segment={h}\n");
        }
        for i in 0..=MAX_DEVICES {
            let (h, d) = (i / 256, i % 256);
            text += &format!("pci {h:04x}:00:{:02x}.{} ep host=h{h}\n", d / 8, d % 8);
        }
        let e = run(&text, &Options::default()).unwrap_err();
        let msg = format!("{e:?}");
        assert!(msg.contains("more than 512 devices"), "{msg}");
        assert!(
            msg.contains(&format!("line: {}", MAX_DEVICES + hosts + 3)),
            "{msg}"
        );
    }

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(crate::trace::thousands(0), "0");
        assert_eq!(crate::trace::thousands(999), "999");
        assert_eq!(crate::trace::thousands(31_711), "31,711");
        assert_eq!(crate::trace::thousands(1_000_000), "1,000,000");
    }
}
