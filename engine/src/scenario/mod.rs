//! The scenario language (shared/SCENARIO.md; this repository's copy with its extensions:
//! docs/SCENARIO.md): text → [`Scenario`] → canonical text.
//!
//! ```
//! let s = iommu_engine::scenario::parse("d1 = iommu_domain_alloc(smmu0) => 0\n").unwrap();
//! assert_eq!(s.print(), "d1 = iommu_domain_alloc(smmu0) => 0\n");
//! ```

pub mod ast;
pub mod calls;
pub mod error;
pub mod explain;
pub mod lexer;
mod lower;
pub mod parser;
pub mod printer;
pub mod run;
pub mod series;
pub mod view;

pub use ast::*;
pub use calls::{CallName, Param, Returns, Signature, Syntax, SIGNATURES};
pub use error::{ErrorKind, ParseError, ParseErrors};
pub(crate) use lower::topology::machine as declared_machine;
pub use parser::{parse, parse_config_settings, MAX_ERRORS, MAX_INPUT, MAX_LINE, MAX_STATEMENTS};
pub use run::{
    eras_to_check, run, run_scenario, run_scenario_with_progress, workload_pairs, CheckOutcome,
    Options, Phase, Run, Step,
};
pub use view::{
    compare, compare_with_progress, AcsView, Compare, CompareCell, CompareRow, TopologyView,
};

#[cfg(test)]
mod tests;
