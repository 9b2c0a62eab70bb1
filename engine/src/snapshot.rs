//! Snapshots and views: a cheap, serialisable picture of the core state after a call (the
//! UI draws it; [`diff`] turns two of them into the trace's [`Delta`]s).

use crate::core::{BoundDriver, Core, DmaTarget, Group};
use crate::domain::{DomainRole, DomainType, Geometry};
use crate::ids::{DeviceId, DomainId, GroupId, IommuId};
use crate::iova::IovaView;
use crate::mapping::MapCounters;
use crate::trace::Delta;
use serde::Serialize;

/// A cheap, serialisable picture of the core state (the UI draws it; deltas diff it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Snapshot {
    pub groups: Vec<Group>,
    pub devices: Vec<DeviceView>,
    pub domains: Vec<DomainView>,
}

/// One device in a [`Snapshot`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DeviceView {
    pub id: DeviceId,
    pub name: String,
    pub group: Option<GroupId>,
    pub driver: Option<BoundDriver>,
    /// The domain its DMA is translated by (context entry), what the hardware does.
    pub domain: Option<DomainId>,
}

/// One domain in a [`Snapshot`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DomainView {
    pub id: DomainId,
    pub label: String,
    pub ty: DomainType,
    pub role: DomainRole,
    pub iommu: IommuId,
    pub geometry: Geometry,
    pub pgsize_bitmap: u64,
    pub freed: bool,
    /// Page-table, IOTLB and cookie counters of a paging domain.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counters: Option<MapCounters>,
    /// What the paging domain's table maps, for the UI (only in snapshots taken with
    /// `tables`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table: Option<TableView>,
    /// The DMA cookie's IOVA allocator (drivers/iommu/iova.c), for the UI's map of the IOVA
    /// space (only in snapshots taken with `tables`; bounded by [`IovaView::LIMIT`]). Not
    /// serialised, like [`TableView::walk`]: the allocator's caches are not the state a
    /// snapshot's JSON compares (a failed `dma_map_page` leaves its IOVA in an rcache).
    #[serde(skip)]
    pub iova: Option<IovaView>,
}

/// The mapped ranges of a paging domain's table: its leaves in IOVA order, runs of leaves
/// of one level that are contiguous in IOVA and PA (and alike in permission) merged.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TableView {
    /// The levels walked (`start_level` … 3).
    pub start_level: u32,
    pub ranges: Vec<MappedRange>,
    /// The walk stopped at [`TableView::LIMIT`] leaves: more are mapped.
    pub truncated: bool,
    /// The table's descriptors at this step, so the UI can draw the walk of any IOVA
    /// ([`crate::pgtable::arm_lpae::WalkTables::iova_walk`]); not serialised.
    #[serde(skip)]
    pub walk: crate::pgtable::arm_lpae::WalkTables,
}

impl TableView {
    /// Leaves read per snapshot at most (bounds the cost of a snapshot per step).
    pub const LIMIT: usize = 256;
}

/// One run of leaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct MappedRange {
    pub iova: u64,
    pub size: u64,
    pub phys: u64,
    /// The level of the leaves (3 = pages, 2 and 1 = blocks).
    pub level: u32,
    /// How many leaves the run holds.
    pub leaves: u64,
    pub writable: bool,
    /// The first leaf's raw descriptor (the run's leaves differ only in output address);
    /// [`crate::pgtable::arm_lpae::decode`] reads it.
    pub pte: u64,
}

impl Core {
    /// The current state, cheap enough to take after every call; `tables`: each paging
    /// domain's [`TableView`] too.
    pub fn snapshot(&self, tables: bool) -> Snapshot {
        Snapshot {
            groups: self.groups.values().cloned().collect(),
            devices: self
                .devices
                .values()
                .map(|d| DeviceView {
                    id: d.id,
                    name: d.facts.name.clone(),
                    group: d.group,
                    driver: d.driver.clone(),
                    domain: match self.dma_target(d.id) {
                        DmaTarget::Domain(x) => Some(x),
                        _ => None,
                    },
                })
                .collect(),
            domains: self
                .domains
                .values()
                .map(|d| DomainView {
                    id: d.id,
                    label: self.dom_name(d.id),
                    ty: d.ty,
                    role: d.role.clone(),
                    iommu: d.iommu,
                    geometry: d.geometry,
                    pgsize_bitmap: d.pgsize_bitmap,
                    freed: d.freed,
                    counters: d
                        .paging
                        .as_deref()
                        .map(|p| MapCounters::of(p, d.cookie.as_deref())),
                    table: d
                        .paging
                        .as_deref()
                        .filter(|_| tables)
                        .map(|p| table_view(&p.pgtable.inner)),
                    iova: d
                        .cookie
                        .as_deref()
                        .filter(|_| tables)
                        .map(|c| c.iova_view()),
                })
                .collect(),
        }
    }
}

/// Every difference between two snapshots, as [`Delta`]s.
pub fn diff(before: &Snapshot, after: &Snapshot) -> Vec<Delta> {
    let mut out = Vec::new();
    for d in &after.domains {
        match before.domains.iter().find(|x| x.id == d.id) {
            None => out.push(Delta::DomainAllocated {
                domain: d.id,
                ty: d.ty.name().to_string(),
            }),
            Some(b) => {
                if !b.freed && d.freed {
                    out.push(Delta::DomainFreed { domain: d.id });
                }
                if let (Some(bc), Some(ac)) = (b.counters, d.counters) {
                    if bc != ac {
                        out.push(Delta::Mapping {
                            domain: d.id,
                            before: bc,
                            after: ac,
                        });
                    }
                }
            }
        }
    }
    let empty = Group::new;
    let mut ids: Vec<GroupId> = before.groups.iter().map(|g| g.id).collect();
    ids.extend(after.groups.iter().map(|g| g.id));
    crate::sort::sort(&mut ids);
    ids.dedup();
    for id in ids {
        let b = before
            .groups
            .iter()
            .find(|g| g.id == id)
            .cloned()
            .unwrap_or_else(|| empty(id));
        let a = after
            .groups
            .iter()
            .find(|g| g.id == id)
            .cloned()
            .unwrap_or_else(|| empty(id));
        if b.devices != a.devices {
            out.push(Delta::GroupMembers {
                group: id,
                before: b.devices.clone(),
                after: a.devices.clone(),
            });
        }
        if b.domain != a.domain {
            out.push(Delta::GroupDomain {
                group: id,
                before: b.domain,
                after: a.domain,
            });
        }
        if b.owner != a.owner {
            out.push(Delta::GroupOwner {
                group: id,
                before: b.owner.map(|c| c.0),
                after: a.owner.map(|c| c.0),
            });
        }
        if b.owner_cnt != a.owner_cnt {
            out.push(Delta::OwnerCnt {
                group: id,
                before: b.owner_cnt,
                after: a.owner_cnt,
            });
        }
        if b.attach_cnt != a.attach_cnt {
            out.push(Delta::AttachCnt {
                group: id,
                before: b.attach_cnt,
                after: a.attach_cnt,
            });
        }
    }
    for d in &after.devices {
        let b = before.devices.iter().find(|x| x.id == d.id);
        let (bd, bdrv) = b.map_or((None, None), |b| {
            (b.domain, b.driver.as_ref().map(|x| x.name.clone()))
        });
        if bd != d.domain {
            out.push(Delta::DeviceDomain {
                device: d.id,
                before: bd,
                after: d.domain,
            });
        }
        let adrv = d.driver.as_ref().map(|x| x.name.clone());
        if bdrv != adrv {
            out.push(Delta::DeviceDriver {
                device: d.id,
                before: bdrv,
                after: adrv,
            });
        }
    }
    out
}

/// The mapped ranges of an LPAE table ([`TableView`]).
fn table_view(t: &crate::pgtable::arm_lpae::ArmLpae) -> TableView {
    let (leaves, truncated) = t.leaves(TableView::LIMIT);
    let mut ranges: Vec<MappedRange> = Vec::new();
    for (level, l) in leaves {
        let writable = l.writable();
        let attrs = |pte: u64| pte & !crate::pgtable::arm_lpae::PTE_ADDR_MASK;
        if let Some(r) = ranges.last_mut() {
            if r.level == level
                && r.writable == writable
                && attrs(r.pte) == attrs(l.pte)
                && r.iova + r.size == l.iova_base
                && r.phys + r.size == l.phys_base
            {
                r.size += l.size;
                r.leaves += 1;
                continue;
            }
        }
        ranges.push(MappedRange {
            iova: l.iova_base,
            size: l.size,
            phys: l.phys_base,
            level,
            leaves: 1,
            writable,
            pte: l.pte,
        });
    }
    TableView {
        start_level: t.start_level(),
        walk: t.walk_tables(),
        ranges,
        truncated,
    }
}
