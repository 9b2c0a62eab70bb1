//! Scenario calls (AST) → the kernel's typed [`Call`]: one rule per argument kind
//! ([`crate::call::kind`]), the call table ([`crate::call`]) gives each call's fields in
//! the order they are written. Names are resolved by the runner ([`Resolve`]).

use super::err;
use crate::call::{call_table, kernel_calls, kind, Call, Cookie, DmaOwnerType};
use crate::ids::{DeviceId, DomainId, GroupId, IommuId};
use crate::scenario::ast::{Access, Arg, CallStmt, Span, Spanned};
use crate::scenario::calls::CallName;
use crate::scenario::error::ParseError;

/// What lowering needs from the runner: arguments resolved against the machine, its
/// groups and the handles kept so far.
pub(crate) trait Resolve {
    /// A device argument (a name, a BDF, or `group(DEV)`'s device).
    fn device(&self, a: &Spanned<Arg>) -> Result<DeviceId, ParseError>;
    /// `group(DEV)`: the device's iommu group.
    fn group(&self, a: &Spanned<Arg>) -> Result<GroupId, ParseError>;
    /// A domain handle.
    fn domain(&self, a: &Spanned<Arg>) -> Result<DomainId, ParseError>;
    /// An IOMMU by name.
    fn iommu(&self, a: &Spanned<Arg>) -> Result<IommuId, ParseError>;
    /// An IOVA: a number, or a handle kept from `iova = dma_map_page(...)`.
    fn iova(&self, a: &Spanned<Arg>) -> Result<u64, ParseError>;
}

/// Argument `i` of the call, or the error that it is missing.
pub(crate) fn arg(c: &CallStmt, i: usize) -> Result<&Spanned<Arg>, ParseError> {
    c.args.get(i).ok_or_else(|| {
        err(
            c.call.span,
            format!("`{}` is missing argument {}", c.signature().name, i + 1),
        )
    })
}

fn name(c: &CallStmt, i: usize) -> Result<String, ParseError> {
    let a = arg(c, i)?;
    a.node
        .as_name()
        .map(str::to_string)
        .ok_or_else(|| err(a.span, "expected a name"))
}

fn number(c: &CallStmt, i: usize) -> Result<u64, ParseError> {
    let a = arg(c, i)?;
    a.node
        .as_number()
        .ok_or_else(|| err(a.span, "expected a number"))
}

fn owner(c: &CallStmt, i: usize) -> Result<DmaOwnerType, ParseError> {
    let a = arg(c, i)?;
    match &a.node {
        Arg::DmaOwner(o) => Ok(*o),
        _ => Err(err(a.span, "expected DMA_OWNER_...")),
    }
}

/// How argument `i` of a call lowers for one argument kind.
trait Lower: kind::Kind {
    fn lower(r: &dyn Resolve, c: &CallStmt, i: usize) -> Result<Self::Value, ParseError>;
}

macro_rules! lower {
    ($($k:ident => |$r:ident, $c:ident, $i:ident| $e:expr;)*) => {
        $(impl Lower for kind::$k {
            fn lower($r: &dyn Resolve, $c: &CallStmt, $i: usize) -> Result<Self::Value, ParseError> {
                $e
            }
        })*
    };
}

lower! {
    Dev => |r, c, i| r.device(arg(c, i)?);
    Dom => |r, c, i| r.domain(arg(c, i)?);
    OptDom => |r, c, i| r.domain(arg(c, i)?).map(Some);
    Grp => |r, c, i| r.group(arg(c, i)?);
    Iommu => |r, c, i| r.iommu(arg(c, i)?);
    OptCookie => |_r, c, i| Ok(match arg(c, i)?.node.as_name() {
        Some("NULL") | None => None,
        Some(n) => Some(Cookie(n.to_string())),
    });
    Cookie => |_r, c, i| name(c, i).map(Cookie);
    Driver => |_r, c, i| name(c, i);
    Managed => |_r, c, i| Ok(matches!(c.arg(i), Some(Arg::Managed)));
    Iova => |r, c, i| r.iova(arg(c, i)?);
    Paddr => |_r, c, i| number(c, i);
    Size => |_r, c, i| number(c, i);
    Prot => |_r, c, i| {
        let a = arg(c, i)?;
        match &a.node {
            Arg::Prot(p) => Ok(*p),
            _ => Err(err(a.span, "expected a prot such as `R|W`")),
        }
    };
    Dir => |_r, c, i| {
        let a = arg(c, i)?;
        match &a.node {
            Arg::Direction(d) => Ok(*d),
            _ => Err(err(a.span, "expected a DMA direction")),
        }
    };
    Access => |_r, c, i| Ok(matches!(c.arg(i), Some(Arg::Access(Access::Write))));
    Owner => |_r, c, i| owner(c, i);
    OptOwner => |_r, c, i| if c.args.len() > i { owner(c, i).map(Some) } else { Ok(None) };
    // Validated by the parser (below MODEL_CPUS); left out: CPU 0.
    Cpu => |_r, c, i| if c.args.len() > i { number(c, i).map(|n| n as usize) } else { Ok(0) };
    Duration => |_r, c, i| {
        let a = arg(c, i)?;
        match &a.node {
            Arg::Duration(d) => d.as_nanos().ok_or_else(|| err(a.span, "duration too long")),
            _ => Err(err(a.span, "expected a duration such as `10ms`")),
        }
    };
}

/// [`lower`] from the kernel rows of the call table: each field lowered in order from the
/// next written argument; fields a scenario does not write get their default.
macro_rules! define_lower {
    ($($(#[$doc:meta])* $v:ident $name:literal ($($f:ident: $k:ident),* $(; $($hf:ident: $hk:ident),*)?)
        => |$era:ident, $cx:ident| $body:expr;)*) => {
        /// Translates one scenario call into the kernel's [`Call`]; `remove` is not one.
        pub(crate) fn lower(r: &dyn Resolve, c: &CallStmt, span: Span) -> Result<Call, ParseError> {
            let mut next = 0..;
            let mut at = || next.next().unwrap_or_default();
            Ok(match c.call.node {
                $(CallName::$v => Call::$v {
                    $($f: <kind::$k as Lower>::lower(r, c, at())?,)*
                    $($($hf: Default::default(),)*)?
                },)*
                CallName::Remove => return Err(err(span, "`remove` is not a kernel call")),
            })
        }
    };
}

call_table!(kernel_calls, define_lower, []);
