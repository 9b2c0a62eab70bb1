//! The view layer of a `workload` step (with [`super::view`]): its time series, typed for
//! the UI's charts, and the compact text the CLI prints (one sparkline per series).

use crate::trace::thousands;
use crate::workload::{WorkloadSample, WorkloadSummary};
use serde::Serialize;
use std::fmt::Write as _;

/// The series of a workload, in display order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum SeriesKind {
    /// `iova_rcache_get()` hits ÷ lookups per sample interval, in %.
    RcacheHitRate,
    /// Allocations that walked the IOVA tree, per sample interval.
    TreeAllocs,
    /// IOTLB range invalidations per sample interval (strict unmaps).
    InvRange,
    /// IOTLB full invalidations per sample interval (flush-queue flushes).
    InvFull,
    /// IOVAs waiting in the flush queues (gauge).
    FqDepth,
    /// Ranges in the IOVA tree (gauge).
    LiveIovas,
    /// Free share of the allocated IOVA span, in ‰ (gauge).
    Fragmentation,
}

impl SeriesKind {
    pub const ALL: [SeriesKind; 7] = [
        SeriesKind::RcacheHitRate,
        SeriesKind::TreeAllocs,
        SeriesKind::InvRange,
        SeriesKind::InvFull,
        SeriesKind::FqDepth,
        SeriesKind::LiveIovas,
        SeriesKind::Fragmentation,
    ];

    /// The label the CLI and the charts show.
    pub const fn label(self) -> &'static str {
        match self {
            SeriesKind::RcacheHitRate => "rcache hit rate %",
            SeriesKind::TreeAllocs => "tree allocations",
            SeriesKind::InvRange => "IOTLB range inv.",
            SeriesKind::InvFull => "IOTLB full inv.",
            SeriesKind::FqDepth => "flush-queue depth",
            SeriesKind::LiveIovas => "IOVAs in the tree",
            SeriesKind::Fragmentation => "fragmentation ‰",
        }
    }

    /// Whether the value counts events per sample interval (else it is a gauge).
    pub const fn per_interval(self) -> bool {
        matches!(
            self,
            SeriesKind::RcacheHitRate
                | SeriesKind::TreeAllocs
                | SeriesKind::InvRange
                | SeriesKind::InvFull
        )
    }

    /// The point of this series between samples `a` and `b` (no hit rate for an interval
    /// without lookups, e.g. the drain).
    fn value(self, a: &WorkloadSample, b: &WorkloadSample) -> Option<f64> {
        let d = |f: fn(&WorkloadSample) -> u64| f(b).saturating_sub(f(a)) as f64;
        Some(match self {
            SeriesKind::RcacheHitRate => {
                let hits = d(|s| s.rcache_hits);
                let all = hits + d(|s| s.rcache_misses);
                if all == 0.0 {
                    return None;
                }
                100.0 * hits / all
            }
            SeriesKind::TreeAllocs => d(|s| s.tree_allocs),
            SeriesKind::InvRange => d(|s| s.inv_range),
            SeriesKind::InvFull => d(|s| s.inv_full),
            SeriesKind::FqDepth => b.fq_depth as f64,
            SeriesKind::LiveIovas => b.live_iovas as f64,
            SeriesKind::Fragmentation => b.frag_permille as f64,
        })
    }
}

/// One series: `(pairs done, value)` per sample after the first.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Series {
    pub kind: SeriesKind,
    pub points: Vec<(u64, f64)>,
}

impl Series {
    /// The largest value (0 for none).
    pub fn max(&self) -> f64 {
        self.points.iter().map(|p| p.1).fold(0.0, f64::max)
    }

    pub fn last(&self) -> f64 {
        self.points.last().map_or(0.0, |p| p.1)
    }
}

/// Every series of a workload, in [`SeriesKind::ALL`] order.
pub fn workload_series(sum: &WorkloadSummary) -> Vec<Series> {
    SeriesKind::ALL
        .into_iter()
        .map(|kind| Series {
            kind,
            points: sum
                .samples
                .windows(2)
                .filter_map(|w| match w {
                    [a, b] => kind.value(a, b).map(|v| (b.pairs, v)),
                    _ => None,
                })
                .collect(),
        })
        .collect()
}

/// `strict (DMA)` or `lazy (DMA_FQ)`.
pub fn mode_name(sum: &WorkloadSummary) -> &'static str {
    if sum.lazy {
        "lazy (DMA_FQ)"
    } else {
        "strict (DMA)"
    }
}

const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
/// The widest sparkline, in characters.
pub const SPARK_WIDTH: usize = 50;

/// `values` as at most [`SPARK_WIDTH`] bars from 0 to `max`: each bar the mean of its
/// bucket, or with `peak` its largest value (a burst of tree walks stays visible).
pub fn sparkline(values: &[f64], max: f64, peak: bool) -> String {
    if values.is_empty() {
        return String::new();
    }
    let buckets = values.len().min(SPARK_WIDTH);
    (0..buckets)
        .map(|i| {
            let lo = i * values.len() / buckets;
            let hi = ((i + 1) * values.len() / buckets).max(lo + 1);
            let part = values.get(lo..hi).unwrap_or(&[]);
            let mean = if peak {
                part.iter().copied().fold(0.0, f64::max)
            } else {
                part.iter().sum::<f64>() / part.len().max(1) as f64
            };
            let level = if max > 0.0 {
                ((mean / max) * 7.0).round().clamp(0.0, 7.0) as usize
            } else {
                0
            };
            BARS.get(level).copied().unwrap_or('▁')
        })
        .collect()
}

fn num(v: f64) -> String {
    if v.fract() == 0.0 && v >= 0.0 {
        thousands(v as u64)
    } else {
        format!("{v:.1}")
    }
}

/// The CLI's text for a workload step: a header, then per series its sparkline, its
/// largest and last value (and for per-interval counts the total).
pub fn series_text(sum: &WorkloadSummary) -> String {
    let end = sum.last();
    let every = sum.samples.get(1).map_or(0, |s| {
        s.pairs
            .saturating_sub(sum.samples.first().map_or(0, |f| f.pairs))
    });
    let mut out = format!(
        "{}: {} pairs, {} maps, {} unmaps, sampled every {} pairs\n",
        mode_name(sum),
        thousands(end.pairs),
        thousands(end.maps),
        thousands(end.unmaps),
        thousands(every),
    );
    for s in workload_series(sum) {
        let vals: Vec<f64> = s.points.iter().map(|p| p.1).collect();
        let max = s.max();
        let _ = write!(
            out,
            "{:<20} {:<w$}  max {}, last {}",
            s.kind.label(),
            sparkline(
                &vals,
                max,
                s.kind.per_interval() && s.kind != SeriesKind::RcacheHitRate
            ),
            num(max),
            num(s.last()),
            w = SPARK_WIDTH
        );
        if s.kind.per_interval() && s.kind != SeriesKind::RcacheHitRate {
            let _ = write!(out, ", total {}", num(vals.iter().sum()));
        }
        out.push('\n');
    }
    if let Some(why) = &sum.stopped {
        let _ = writeln!(out, "stopped early: {why}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{run, Options};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn sparkline_scales_from_zero_and_buckets_to_its_width() {
        assert_eq!(sparkline(&[0.0, 50.0, 100.0], 100.0, false), "▁▅█");
        assert_eq!(sparkline(&[0.0, 0.0], 0.0, false), "▁▁");
        let long: Vec<f64> = (0..200).map(f64::from).collect();
        assert_eq!(sparkline(&long, 199.0, false).chars().count(), SPARK_WIDTH);
        // Four values a bucket: the mean hides a lone spike, the peak keeps it.
        let spike: Vec<f64> = [8.0, 0.0, 0.0, 0.0].repeat(SPARK_WIDTH);
        assert_eq!(sparkline(&spike, 8.0, false).chars().next(), Some('▃'));
        assert_eq!(sparkline(&spike, 8.0, true).chars().next(), Some('█'));
    }

    #[test]
    fn workload_series_text_shows_the_strict_warm_up() {
        let t = "iommu s kind=generic\nhost h iommu=s\npci 00:01.0 ep\nbind 00:01.0 nic\n\
                 workload 00:01.0 count=1000 live=100 sample=100\n";
        let r = run(t, &Options::default()).unwrap();
        let sum = r.steps.last().unwrap().event.workload.as_deref().unwrap();
        let series = workload_series(sum);
        let hit = &series[0];
        // The first 100 pairs fill the live set (all misses), every later map hits.
        assert_eq!(hit.points.first(), Some(&(100, 0.0)));
        assert!(
            hit.points[1..].iter().all(|p| p.1 == 100.0),
            "{:?}",
            hit.points
        );
        let text = series_text(sum);
        assert!(text.starts_with(
            "strict (DMA): 1,000 pairs, 1,000 maps, 1,000 unmaps, sampled every 100 pairs\n"
        ));
        assert!(text.contains("tree allocations     █▁▁▁▁▁▁▁▁▁"), "{text}");
        assert!(text.contains("max 100, last 0, total 100"), "{text}");
    }
}
