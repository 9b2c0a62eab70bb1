//! **Extension (this repository):** the `workload` statement and `expect counter(...)`
//! (docs/SCENARIO.md), parsed with the attribute helpers of the topology statements. The
//! bounds of engine/src/limits.rs are checked here, at the offending value.

use super::*;
use crate::limits::{
    MAX_WORKLOAD_COUNT, MAX_WORKLOAD_INTERVAL_NS, MAX_WORKLOAD_LIVE, MAX_WORKLOAD_SIZE,
    MAX_WORKLOAD_SIZES,
};
use crate::mapping::MODEL_CPUS;
use crate::scenario::lower::err;

/// `v` must lie in `lo..=hi`; else an error at its span saying `what`.
fn bounded(
    v: Spanned<Number>,
    lo: u64,
    hi: u64,
    what: &str,
) -> Result<Spanned<Number>, ParseError> {
    if v.node.value < lo || v.node.value > hi {
        return Err(err(
            v.span,
            format!("{what} must be {lo} to {}", crate::trace::thousands(hi)),
        ));
    }
    Ok(v)
}

/// `workload DEV count=N [sizes=S,...] [live=N] [cpus=N] [dir=DIR] [seed=N] [sample=N]
/// [interval=DURATION]` (the keyword already read).
pub(super) fn workload(cur: &mut Cursor) -> Result<WorkloadStmt, ParseError> {
    let dev = device(cur)?;
    let mut count = None;
    let mut w = WorkloadStmt {
        dev,
        count: Spanned::new(Number::dec(0), Span::default()),
        sizes: Vec::new(),
        live: None,
        cpus: None,
        dir: None,
        seed: None,
        sample: None,
        interval: None,
    };
    let mut seen = Vec::new();
    while cur.peek().is_some() {
        let k = attr_key(
            cur,
            "workload attribute",
            &[
                "count", "sizes", "live", "cpus", "dir", "seed", "sample", "interval",
            ],
            &[],
            &mut seen,
        )?;
        match k.node {
            "count" => {
                let c = number_value(cur)?;
                count = Some(bounded(c, 1, MAX_WORKLOAD_COUNT, "`count`")?);
            }
            "sizes" => loop {
                let s = number_value(cur)?;
                if s.node.value == 0 || s.node.value > MAX_WORKLOAD_SIZE {
                    return Err(err(s.span, "a size must be 1 byte to 4M"));
                }
                if w.sizes.len() == MAX_WORKLOAD_SIZES {
                    return Err(err(s.span, format!("at most {MAX_WORKLOAD_SIZES} sizes")));
                }
                w.sizes.push(s);
                if cur.eat(&Tok::Comma).is_none() {
                    break;
                }
            },
            "live" => w.live = Some(bounded(number_value(cur)?, 1, MAX_WORKLOAD_LIVE, "`live`")?),
            "cpus" => {
                w.cpus = Some(bounded(
                    number_value(cur)?,
                    1,
                    MODEL_CPUS as u64,
                    "`cpus` (the model simulates 2 CPUs)",
                )?);
            }
            "dir" => {
                let d = cur.word("a DMA direction")?;
                let dir = match DmaDirection::parse(&d.node) {
                    Some(DmaDirection::None) | None => {
                        let names = ["BIDIRECTIONAL", "TO_DEVICE", "FROM_DEVICE"];
                        return Err(unknown("workload direction", &d.node, d.span, &names));
                    }
                    Some(x) => x,
                };
                w.dir = Some(Spanned::new(dir, d.span));
            }
            "seed" => w.seed = Some(number_value(cur)?),
            "sample" => {
                w.sample = Some(bounded(
                    number_value(cur)?,
                    1,
                    MAX_WORKLOAD_COUNT,
                    "`sample`",
                )?);
            }
            _ => {
                let l = cur.lit("a duration such as 1us")?;
                let d = lexer::duration(l.node).map_err(|why| {
                    ParseError::new(
                        ErrorKind::BadValue {
                            what: "duration",
                            text: l.node.to_string(),
                            why,
                        },
                        l.span,
                    )
                })?;
                if d.as_nanos().is_none_or(|n| n > MAX_WORKLOAD_INTERVAL_NS) {
                    return Err(err(l.span, "`interval` must be at most 1s"));
                }
                w.interval = Some(Spanned::new(d, l.span));
            }
        }
    }
    match count {
        Some(c) => w.count = c,
        None => return Err(cur.error("`count=N`")),
    }
    Ok(w)
}

/// `counter(DEV, NAME) OP N` (after `counter`).
pub(super) fn counter(cur: &mut Cursor) -> Result<Check, ParseError> {
    cur.expect(&Tok::LParen, "`(`")?;
    let dev = device(cur)?;
    cur.expect(&Tok::Comma, "`,`")?;
    let w = cur.word("a counter name")?;
    let Some(c) = Counter::parse(&w.node) else {
        return Err(unknown(
            "counter",
            &w.node,
            w.span,
            &Counter::ALL.map(Counter::name),
        ));
    };
    cur.expect(&Tok::RParen, "`)`")?;
    let op = cmp_op(cur)?;
    let value = number_value(cur)?;
    Ok(Check::Counter {
        dev,
        counter: Spanned::new(c, w.span),
        op,
        value,
    })
}

#[cfg(test)]
mod tests {
    use crate::scenario::{parse, run, Options};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn first_error(text: &str) -> String {
        parse(text).unwrap_err().errors[0].to_string()
    }

    #[test]
    fn workload_statement_prints_canonically_and_round_trips() {
        let t = "workload 01:00.0 interval=1us sizes=4K,0x2000 count=1_000 live=8 cpus=2 \
                 dir=DMA_TO_DEVICE seed=7 sample=10\nexpect counter(01:00.0, rcache_hits) != 3\n";
        let s = parse(t).unwrap();
        let p = s.print();
        assert_eq!(
            p,
            "workload 01:00.0 count=1000 sizes=4K,0x2000 live=8 cpus=2 dir=TO_DEVICE seed=7 \
             sample=10 interval=1us\nexpect counter(01:00.0, rcache_hits) != 3\n"
        );
        assert_eq!(parse(&p).unwrap().print(), p);
    }

    #[test]
    fn workload_bounds_are_errors_at_the_value() {
        assert_eq!(
            first_error("workload nic count=2000001"),
            "1:20: `count` must be 1 to 2,000,000"
        );
        assert_eq!(
            first_error("workload nic live=4"),
            "1:20: expected `count=N`, found end of line"
        );
        assert_eq!(
            first_error("workload nic count=1 cpus=3"),
            "1:27: `cpus` (the model simulates 2 CPUs) must be 1 to 2"
        );
        assert_eq!(
            first_error("workload nic count=1 sizes=4K,8M"),
            "1:31: a size must be 1 byte to 4M"
        );
        assert_eq!(
            first_error("workload nic count=1 dir=NONE"),
            "1:26: unknown workload direction `NONE`"
        );
        assert_eq!(
            first_error("workload nic count=1 interval=2s"),
            "1:31: `interval` must be at most 1s"
        );
        assert!(first_error("workload nic count=1 lve=3")
            .starts_with("1:22: unknown workload attribute `lve`; did you mean `live`?"));
        assert!(first_error("expect counter(nic, rcache_hit) == 1")
            .starts_with("1:21: unknown counter `rcache_hit`; did you mean `rcache_hits`?"));
    }

    #[test]
    fn workload_total_is_capped_per_scenario() {
        let mut t = String::from(
            "iommu s kind=generic\nhost h iommu=s\npci 00:01.0 ep\nbind 00:01.0 nic\n",
        );
        t += "workload 00:01.0 count=2000000\nworkload 00:01.0 count=2000000\nworkload 00:01.0 count=1\n";
        let e = run(&t, &Options::default()).unwrap_err();
        let msg = format!("{}", e.errors[0]);
        assert_eq!(
            msg,
            "7:24: the workloads of one scenario run at most 4,000,000 pairs"
        );
    }

    #[test]
    fn workload_on_an_identity_device_notes_dma_direct() {
        let t = "config passthrough=on\niommu s kind=generic\nhost h iommu=s\npci 00:01.0 ep\n\
                 workload 00:01.0 count=10\nexpect counter(00:01.0, maps) == 0\n";
        let r = run(t, &Options::default()).unwrap();
        let ev = &r.steps.last().unwrap().event;
        assert!(ev.workload.is_none());
        assert!(ev.warns[0].message.contains("dma-direct"), "{:?}", ev.warns);
        assert_eq!(r.checks[0].actual, "no DMA domain");
        assert!(!r.checks[0].ok);
    }
}
