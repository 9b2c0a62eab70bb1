//! Expectation values against the engine's results: `=> VALUE` after a call, and how a
//! checked `expect` prints what it found.

use crate::dma::DmaCookie;
use crate::ids::GroupId;
use crate::mapping::KernelPaging;
use crate::scenario::ast::{Counter, Value};
use crate::trace::Ret;

/// Whether a call's result is the `=> VALUE` the scenario expects (`0` also matches a
/// returned domain: the call succeeded).
pub(crate) fn result_matches(want: &Value, got: Ret) -> bool {
    match (want, got) {
        (Value::Number(n), Ret::Ok | Ret::Domain(_)) => n.value == 0,
        (Value::Number(n), Ret::Value(v)) => n.value == v,
        (Value::Errno(e), Ret::Err(g)) => *e == g,
        (Value::NotAvailable, Ret::NotAvailable) => true,
        (Value::Bug, Ret::Bug) => true,
        (Value::DmaMappingError, Ret::DmaMappingError) => true,
        (Value::Null, Ret::Null) => true,
        _ => false,
    }
}

/// `group 3`, or `no group`.
pub(crate) fn fmt_group(g: Option<GroupId>) -> String {
    g.map_or_else(|| "no group".to_string(), |g| format!("group {}", g.0))
}

/// `{a b} {c}`.
pub(crate) fn fmt_partition(p: &[Vec<String>]) -> String {
    p.iter()
        .map(|g| format!("{{{}}}", g.join(" ")))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The value of `expect counter(DEV, NAME)` on a DMA domain's table and cookie.
pub(crate) fn counter_value(c: Counter, p: &KernelPaging, ck: &DmaCookie) -> u64 {
    let s = crate::workload::counters(p, ck);
    match c {
        Counter::Maps => s.maps,
        Counter::Unmaps => s.unmaps,
        Counter::MapErrors => s.map_errors,
        Counter::RcacheHits => s.rcache_hits,
        Counter::RcacheMisses => s.rcache_misses,
        Counter::TreeAllocs => s.tree_allocs,
        Counter::IotlbInvRange => s.inv_range,
        Counter::IotlbInvFull => s.inv_full,
        Counter::FqFullFlushes => s.fq_full_flushes,
        Counter::FqTimerFlushes => s.fq_timer_flushes,
        Counter::FqPending => ck
            .fq
            .as_ref()
            .map_or(0, |q| q.pending().iter().map(|&n| n as u64).sum()),
        Counter::LiveIovas => ck.iovad.tree_len() as u64,
        Counter::TablesLive => p.stats().tables_live,
    }
}
