//! Lowering: the AST's statements turned into the engine's values. The runner
//! ([`super::run`]) only sequences them: topology statements go through [`topology`]
//! (→ [`crate::topology::Topology`] and the facts the kernel model probes with), the
//! values an expectation compares through [`expect`]; call arguments through [`calls`]
//! (→ [`crate::call::Call`], from the call table).

pub(crate) mod calls;
pub(crate) mod expect;
pub(crate) mod topology;

use super::ast::{Number, Span, Spanned};
use super::error::{ErrorKind, ParseError};

/// A runtime input error at `span` (the statement names something the engine rejects).
pub(crate) fn err(span: Span, msg: impl Into<String>) -> ParseError {
    ParseError::new(ErrorKind::Run(msg.into()), span)
}

/// A number attribute that must fit in `T`; `what` finishes "number too large".
fn num<T: TryFrom<u64>>(
    n: Option<&Spanned<Number>>,
    what: &'static str,
) -> Result<Option<T>, ParseError> {
    n.map(|n| T::try_from(n.node.value).map_err(|_| err(n.span, what)))
        .transpose()
}
