//! The canonical text of a scenario: what share links and presets hold. Parsing the printed
//! text gives the same AST (spans aside); comments are kept, trailing ones aligned within
//! each block of consecutive statements.

use super::ast::*;
use super::calls::Syntax;
use std::fmt::Write as _;

/// Trailing comments are aligned to one column per block, unless a line is longer than this.
const ALIGN_LIMIT: usize = 56;

impl Scenario {
    /// The canonical text, one statement per line, ending with a newline (empty for an
    /// empty scenario).
    pub fn print(&self) -> String {
        let codes: Vec<String> = self.stmts.iter().map(|s| code(&s.kind)).collect();
        let mut out = String::new();
        let mut i = 0;
        while i < self.stmts.len() {
            // A block: consecutive statements that are neither blank nor comment-only.
            let mut j = i;
            while self
                .stmts
                .get(j)
                .is_some_and(|s| !matches!(s.kind, StmtKind::Blank | StmtKind::Comment(_)))
            {
                j += 1;
            }
            if j == i {
                j = i + 1;
            }
            let column = (i..j)
                .filter(|&k| self.stmts.get(k).is_some_and(|s| s.comment.is_some()))
                .filter_map(|k| codes.get(k).map(|c| c.chars().count()))
                .filter(|&w| w <= ALIGN_LIMIT)
                .max()
                .unwrap_or(0);
            for k in i..j {
                let (Some(s), Some(c)) = (self.stmts.get(k), codes.get(k)) else {
                    continue;
                };
                out.push_str(c);
                if let Some(comment) = &s.comment {
                    let w = c.chars().count();
                    let pad = if w <= column { column - w + 2 } else { 2 };
                    out.push_str(&" ".repeat(pad));
                    out.push('#');
                    out.push_str(comment);
                }
                out.push('\n');
            }
            i = j;
        }
        out
    }
}

fn gens(out: &mut String, gens: &[Spanned<crate::Era>]) {
    if !gens.is_empty() {
        let names: Vec<&str> = gens.iter().map(|g| g.node.name()).collect();
        let _ = write!(out, " @{}", names.join(","));
    }
}

/// The text of one statement, without its trailing comment.
pub fn code(kind: &StmtKind) -> String {
    let mut o = String::new();
    match kind {
        StmtKind::Blank => {}
        StmtKind::Comment(c) => {
            o.push('#');
            o.push_str(c);
        }
        StmtKind::Era(g) => {
            let _ = write!(o, "generation {}", g.node);
        }
        StmtKind::Config(settings) => {
            o.push_str("config");
            for s in settings {
                let v = s.node.value.text(s.node.on);
                let _ = write!(o, " {}={v}", s.node.key.name());
            }
        }
        StmtKind::Iommu(d) => {
            let _ = write!(o, "iommu {}", d.name.node);
            if let Some(k) = &d.kind {
                let _ = write!(o, " kind={}", k.node.keyword());
            }
            for (key, v) in [
                ("granule", &d.granule),
                ("ias", &d.ias),
                ("oas", &d.oas),
                ("smrs", &d.smrs),
            ] {
                if let Some(v) = v {
                    let _ = write!(o, " {key}={}", v.node);
                }
            }
        }
        StmtKind::Platform(d) => {
            let _ = write!(o, "platform {}", d.name.node);
            if let Some(i) = &d.iommu {
                let _ = write!(o, " iommu={}", i.node);
            }
            if !d.sids.is_empty() {
                let sids: Vec<String> = d.sids.iter().map(|s| s.node.to_string()).collect();
                let _ = write!(o, " sid={}", sids.join(","));
            }
            if let Some(m) = &d.mask {
                let _ = write!(o, " mask={}", m.node);
            }
        }
        StmtKind::Host(d) => {
            let _ = write!(o, "host {}", d.name.node);
            if let Some(i) = &d.iommu {
                let _ = write!(o, " iommu={}", i.node);
            }
            if let Some(s) = &d.segment {
                let _ = write!(o, " segment={}", s.node);
            }
            if let Some(b) = &d.bus {
                let _ = write!(o, " bus={}", b.node);
            }
        }
        StmtKind::Pci(d) => {
            let _ = write!(o, "pci {} {}", d.bdf.node, d.ty.node.keyword());
            if let Some(p) = &d.parent {
                let _ = write!(o, " parent={}", p.node);
            }
            if let Some(h) = &d.host {
                let _ = write!(o, " host={}", h.node);
            }
            // `key=value` attributes and flags (an empty value), in the canonical order.
            let show = |v: &dyn std::fmt::Display| v.to_string();
            let flag = |f: &Option<Span>| f.map(|_| String::new());
            let attrs = [
                ("acs", d.acs.as_ref().map(|v| show(&v.node))),
                ("acs-cap", d.acs_cap.as_ref().map(|v| show(&v.node))),
                ("acs-ctl", d.acs_ctl.as_ref().map(|v| show(&v.node))),
                ("id", d.id.as_ref().map(|v| show(&v.node))),
                ("subsys", d.subsys.as_ref().map(|v| show(&v.node))),
                ("untrusted", flag(&d.untrusted)),
                ("multifunction", flag(&d.multifunction)),
                ("sriov", d.sriov.as_ref().map(|v| show(&v.node))),
                ("vf-offset", d.vf_offset.as_ref().map(|v| show(&v.node))),
                ("vf-stride", d.vf_stride.as_ref().map(|v| show(&v.node))),
            ];
            for (key, v) in attrs {
                match v {
                    Some(v) if v.is_empty() => {
                        let _ = write!(o, " {key}");
                    }
                    Some(v) => {
                        let _ = write!(o, " {key}={v}");
                    }
                    None => {}
                }
            }
        }
        StmtKind::Alias { dev, alias } => {
            let _ = write!(o, "alias {} -> {}", dev.node, alias.node);
        }
        StmtKind::Call(c) => {
            if let Some(h) = &c.handle {
                let _ = write!(o, "{} = ", h.node);
            }
            let sig = c.signature();
            let args: Vec<String> = c.args.iter().map(|a| a.node.to_string()).collect();
            match sig.syntax {
                Syntax::Paren => {
                    let _ = write!(o, "{}({})", sig.name, args.join(", "));
                }
                Syntax::Command => {
                    o.push_str(sig.name);
                    for a in args {
                        o.push(' ');
                        o.push_str(&a);
                    }
                }
            }
            if let Some(e) = &c.expect {
                o.push_str(" =>");
                for (i, alt) in e.alternatives.iter().enumerate() {
                    if i > 0 {
                        o.push_str(" ;");
                    }
                    let _ = write!(o, " {}", alt.value.node);
                    gens(&mut o, &alt.eras);
                }
            }
        }
        StmtKind::Workload(w) => {
            let _ = write!(o, "workload {} count={}", w.dev.node, w.count.node);
            if !w.sizes.is_empty() {
                let sizes: Vec<String> = w.sizes.iter().map(|s| s.node.to_string()).collect();
                let _ = write!(o, " sizes={}", sizes.join(","));
            }
            for (key, v) in [("live", &w.live), ("cpus", &w.cpus)] {
                if let Some(v) = v {
                    let _ = write!(o, " {key}={}", v.node);
                }
            }
            if let Some(d) = &w.dir {
                let _ = write!(o, " dir={}", d.node.name());
            }
            for (key, v) in [("seed", &w.seed), ("sample", &w.sample)] {
                if let Some(v) = v {
                    let _ = write!(o, " {key}={}", v.node);
                }
            }
            if let Some(i) = &w.interval {
                let _ = write!(o, " interval={}", i.node);
            }
        }
        StmtKind::Expect(e) => {
            o.push_str("expect ");
            match &e.check {
                Check::Groups(groups) => {
                    o.push_str("groups =");
                    for g in groups {
                        let members: Vec<String> =
                            g.node.iter().map(|d| d.node.to_string()).collect();
                        let _ = write!(o, " {{{}}}", members.join(" "));
                    }
                }
                Check::SameGroup { a, op, b } => {
                    let _ = write!(o, "group({}) {} group({})", a.node, op.symbol(), b.node);
                }
                Check::Domain { dev, op, is } => {
                    let _ = write!(o, "domain(group({})) {} {}", dev.node, op.symbol(), is.node);
                }
                Check::Owner { dev, op, is } => {
                    let _ = write!(o, "owner(group({})) {} {}", dev.node, op.symbol(), is.node);
                }
                Check::OwnerCnt { dev, op, count } => {
                    let _ = write!(
                        o,
                        "owner_cnt(group({})) {} {}",
                        dev.node,
                        op.symbol(),
                        count.node
                    );
                }
                Check::IovaToPhys {
                    domain,
                    iova,
                    op,
                    phys,
                } => {
                    let _ = write!(
                        o,
                        "iova_to_phys({}, {}) {} {}",
                        domain.node,
                        iova.node,
                        op.symbol(),
                        phys.node
                    );
                }
                Check::Counter {
                    dev,
                    counter,
                    op,
                    value,
                } => {
                    let _ = write!(
                        o,
                        "counter({}, {}) {} {}",
                        dev.node,
                        counter.node.name(),
                        op.symbol(),
                        value.node
                    );
                }
                Check::InvariantsOk => o.push_str("invariants ok"),
                Check::Breach(n) => {
                    let _ = write!(o, "breach {}", n.node);
                }
            }
            gens(&mut o, &e.eras);
        }
    }
    o
}
