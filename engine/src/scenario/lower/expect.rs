//! Expectation values against the engine's results: `=> VALUE` after a call, and how a
//! checked `expect` prints what it found.

use crate::ids::GroupId;
use crate::scenario::ast::Value;
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
