//! The topology panel's geometry: a tidy tree in rank rows, and group regions that hold
//! exactly their members.
//!
//! The tree: host bridges and IOMMUs (the roots of their platform devices) on top, each PCI
//! function under its upstream port or its host. Every subtree owns an x interval of its
//! own (children side by side, the parent centred over them), so nothing of another
//! subtree is drawn inside it; siblings of one group sit next to each other.
//!
//! The regions: one rectangle for each run of a group's members side by side in one row,
//! and a strip in the empty band between two rows for each parent–child edge inside the
//! group. A row's run stops at the first node of another group and the strips lie where no
//! node is, so a region never covers another group's device, whatever the layout did
//! (issue 14: bounding boxes over a chipset tree drew the GPU inside another group's box).
use iommu_engine::scenario::TopologyView;
use iommu_engine::vec_map::{VecMap, VecSet};
use iommu_engine::DeviceId;

pub const DEV_W: f64 = 136.0;
pub const DEV_H: f64 = 40.0;
pub const ROOT_W: f64 = 120.0;
pub const ROOT_H: f64 = 26.0;
/// Room around a group's members for its outline.
pub const PAD: f64 = 8.0;
/// Above each row: two lines of badges (group and domain, owner).
pub const BADGE_H: f64 = 30.0;
/// Between two nodes of a row: more than two outlines, so neighbours' regions never touch.
const GAP: f64 = 40.0;
/// Between two rows: the outlines, the badges and room for the edges.
const ROW_GAP: f64 = 2.0 * PAD + BADGE_H + 22.0;
const MARGIN: f64 = 12.0;

/// A node of the drawing: a device, a host bridge or an IOMMU (the root of its platform
/// devices).
#[derive(Clone, Debug, PartialEq)]
pub enum NodeKind {
    Device(DeviceId),
    Root(String),
}

/// A laid-out node: centre, size and row.
#[derive(Clone, Debug, PartialEq)]
pub struct Placed {
    pub kind: NodeKind,
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
    pub row: usize,
}

impl Placed {
    fn left(&self) -> f64 {
        self.x - self.w / 2.0
    }
    fn right(&self) -> f64 {
        self.x + self.w / 2.0
    }
}

/// The laid-out machine: nodes and parent → child edges (indices into `nodes`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Drawing {
    pub nodes: Vec<Placed>,
    pub edges: Vec<(usize, usize)>,
    pub width: f64,
    pub height: f64,
}

/// An axis-aligned rectangle: left, top, width, height.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rect {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

fn row_top(row: usize) -> f64 {
    MARGIN + PAD + BADGE_H + row as f64 * (DEV_H + ROW_GAP)
}

/// Lays out the declared machine. `group_of` orders siblings: those of one group side by
/// side, groups in the order their first member was declared.
pub fn layout(topo: &TopologyView, group_of: &VecMap<DeviceId, u32>) -> Drawing {
    let mut kinds: Vec<NodeKind> = Vec::new();
    let mut roots: VecMap<String, usize> = VecMap::new();
    let mut root = |kinds: &mut Vec<NodeKind>, name: String| {
        *roots.entry(name.clone()).or_insert_with(|| {
            kinds.push(NodeKind::Root(name));
            kinds.len() - 1
        })
    };
    for h in &topo.hosts {
        root(&mut kinds, format!("host {}", h.name));
    }
    let mut index: VecMap<DeviceId, usize> = VecMap::new();
    for d in &topo.devices {
        kinds.push(NodeKind::Device(d.id));
        index.insert(d.id, kinds.len() - 1);
    }
    let mut edges = Vec::new();
    let mut has_parent = VecSet::new();
    for d in &topo.devices {
        let Some(&me) = index.get(&d.id) else {
            continue;
        };
        let up = match (d.parent.and_then(|p| index.get(&p)), &d.host, &d.iommu) {
            (Some(&p), _, _) => Some(p),
            (None, Some(h), _) => Some(root(&mut kinds, format!("host {h}"))),
            (None, None, Some(i)) => Some(root(&mut kinds, format!("iommu {i}"))),
            _ => None,
        };
        if let Some(up) = up {
            edges.push((up, me));
            has_parent.insert(me);
        }
    }
    if kinds.is_empty() {
        return Drawing::default();
    }
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); kinds.len()];
    for &(a, b) in &edges {
        if let Some(c) = children.get_mut(a) {
            c.push(b);
        }
    }
    // Siblings of one group side by side: by the first sibling of their group, then as
    // declared.
    let group = |i: usize| match kinds.get(i) {
        Some(NodeKind::Device(d)) => group_of.get(d).copied(),
        _ => None,
    };
    for c in &mut children {
        let first: Vec<usize> = c
            .iter()
            .map(|&i| {
                let g = group(i);
                c.iter()
                    .position(|&j| g.is_some() && group(j) == g)
                    .unwrap_or(usize::MAX)
            })
            .collect();
        let mut keyed: Vec<(usize, usize, usize)> = c
            .iter()
            .zip(first)
            .enumerate()
            .map(|(pos, (&i, f))| (f.min(pos), pos, i))
            .collect();
        iommu_engine::sort::sort(&mut keyed);
        *c = keyed.into_iter().map(|(_, _, i)| i).collect();
    }
    let size = |k: &NodeKind| match k {
        NodeKind::Device(_) => (DEV_W, DEV_H),
        NodeKind::Root(_) => (ROOT_W, ROOT_H),
    };
    let mut nodes: Vec<Placed> = kinds
        .iter()
        .map(|k| {
            let (w, h) = size(k);
            Placed {
                kind: k.clone(),
                x: 0.0,
                y: 0.0,
                w,
                h,
                row: 0,
            }
        })
        .collect();
    let mut next_x = MARGIN + PAD;
    let tops: Vec<usize> = (0..kinds.len())
        .filter(|i| !has_parent.contains(i))
        .collect();
    for t in tops {
        place(t, 0, &children, &mut nodes, &mut next_x, 0);
    }
    let width = nodes.iter().map(Placed::right).fold(0.0, f64::max) + MARGIN + PAD;
    let rows = nodes.iter().map(|n| n.row).max().unwrap_or(0);
    let height = row_top(rows) + DEV_H + PAD + MARGIN;
    Drawing {
        nodes,
        edges,
        width,
        height,
    }
}

/// Places the subtree of `i` in row `row` from `next_x` on: leaves left to right, a parent
/// centred over its children. `depth` guards against a cycle (none is declarable).
fn place(
    i: usize,
    row: usize,
    children: &[Vec<usize>],
    nodes: &mut [Placed],
    next_x: &mut f64,
    depth: usize,
) {
    let kids = children.get(i).cloned().unwrap_or_default();
    let w = nodes.get(i).map_or(DEV_W, |n| n.w);
    let start = *next_x;
    if depth < 64 && !kids.is_empty() {
        for &k in &kids {
            place(k, row + 1, children, nodes, next_x, depth + 1);
        }
    }
    let centre = if depth < 64 && !kids.is_empty() {
        let xs: Vec<f64> = kids
            .iter()
            .filter_map(|&k| nodes.get(k).map(|n| n.x))
            .collect();
        let (lo, hi) = (
            xs.iter().copied().fold(f64::MAX, f64::min),
            xs.iter().copied().fold(f64::MIN, f64::max),
        );
        ((lo + hi) / 2.0).max(start + w / 2.0)
    } else {
        start + w / 2.0
    };
    // A parent wider than its children's span pushes the next subtree along.
    *next_x = next_x.max(centre + w / 2.0 + GAP);
    if let Some(n) = nodes.get_mut(i) {
        n.x = centre;
        n.row = row;
        n.y = row_top(row) + DEV_H / 2.0;
    }
}

/// A group's region: the runs of its members (each with the badge band above it) and the
/// links between rows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Region {
    /// The topmost, leftmost first: its band carries the badges.
    pub runs: Vec<Rect>,
    pub links: Vec<Rect>,
}

/// The region of `members`: a rectangle for each run of them side by side in one row, and
/// a link between the rows for each edge between two of them.
pub fn region(d: &Drawing, members: &VecSet<DeviceId>) -> Region {
    let is_member = |n: &Placed| matches!(&n.kind, NodeKind::Device(id) if members.contains(id));
    let mut rows: VecMap<usize, Vec<&Placed>> = VecMap::new();
    for n in &d.nodes {
        rows.entry(n.row).or_default().push(n);
    }
    let mut pieces = Vec::new();
    for (row, mut ns) in rows {
        iommu_engine::sort::sort_by(&mut ns, |a, b| a.x.total_cmp(&b.x));
        let mut run: Option<(f64, f64)> = None;
        let top = row_top(row);
        let mut close = |run: &mut Option<(f64, f64)>| {
            if let Some((l, r)) = run.take() {
                pieces.push(Rect {
                    x: l - PAD,
                    y: top - PAD - BADGE_H,
                    w: r - l + 2.0 * PAD,
                    h: DEV_H + 2.0 * PAD + BADGE_H,
                });
            }
        };
        for n in ns {
            if is_member(n) {
                run = Some(run.map_or((n.left(), n.right()), |(l, _)| (l, n.right())));
            } else {
                close(&mut run);
            }
        }
        close(&mut run);
    }
    // Links between the rows: where a parent's run and its child's run overlap, as wide as
    // the overlap (one shape to the eye), else a strip along the edge. Only the empty band
    // between the rows is covered.
    let runs = pieces.clone();
    let run_of = |n: &Placed| {
        runs.iter()
            .find(|r| r.x <= n.left() && n.right() <= r.x + r.w && r.y <= n.y && n.y <= r.y + r.h)
            .copied()
    };
    let mut links: Vec<Rect> = Vec::new();
    for &(a, b) in &d.edges {
        let (Some(p), Some(c)) = (d.nodes.get(a), d.nodes.get(b)) else {
            continue;
        };
        if !(is_member(p) && is_member(c) && c.row == p.row + 1) {
            continue;
        }
        let y0 = row_top(p.row) + DEV_H + PAD;
        let y1 = row_top(c.row) - PAD - BADGE_H;
        let (l, r) = match (run_of(p), run_of(c)) {
            (Some(rp), Some(rc)) if rp.x.max(rc.x) + 24.0 < (rp.x + rp.w).min(rc.x + rc.w) => {
                (rp.x.max(rc.x) + 12.0, (rp.x + rp.w).min(rc.x + rc.w) - 12.0)
            }
            _ => (p.x.min(c.x) - 10.0, p.x.max(c.x) + 10.0),
        };
        let link = Rect {
            x: l,
            y: y0,
            w: r - l,
            h: y1 - y0,
        };
        if !links.contains(&link) {
            links.push(link);
        }
    }
    Region {
        runs: pieces,
        links,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use iommu_engine::scenario::{run, Options};

    fn drawn(text: &str) -> (Drawing, Vec<(u32, VecSet<DeviceId>)>) {
        let r = run(
            text,
            &Options {
                era: None,
                snapshots: false,
            },
        )
        .expect("runs");
        let groups: Vec<(u32, VecSet<DeviceId>)> = r
            .groups
            .iter()
            .map(|g| (g.id.0, g.members.iter().map(|m| m.device).collect()))
            .collect();
        let of = groups
            .iter()
            .flat_map(|(g, ms)| ms.iter().map(move |m| (*m, *g)))
            .collect();
        (layout(&r.topology, &of), groups)
    }

    fn overlaps(a: &Rect, n: &Placed) -> bool {
        a.x < n.right()
            && n.left() < a.x + a.w
            && a.y < n.y + n.h / 2.0
            && n.y - n.h / 2.0 < a.y + a.h
    }

    #[test]
    fn no_region_covers_another_groups_device_on_the_corpus() {
        for (name, text) in iommu_engine::corpus::CORPUS {
            let (d, groups) = drawn(text);
            for (g, members) in &groups {
                let r = region(&d, members);
                let pieces: Vec<Rect> = r.runs.into_iter().chain(r.links).collect();
                for n in &d.nodes {
                    let NodeKind::Device(id) = &n.kind else {
                        continue;
                    };
                    let inside = pieces.iter().any(|p| overlaps(p, n));
                    assert_eq!(inside, members.contains(id), "{name}: group {g}, {id:?}");
                }
            }
        }
    }
}
