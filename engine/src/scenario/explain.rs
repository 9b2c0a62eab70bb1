//! The words that explain the playground's concepts: what a group, each domain type, an
//! owner and each API era are, in one sentence each, with the era's date and commit and
//! Robin Murphy's words where they apply (his reply of 22 Dec 2021, shared/seed). The web
//! UI shows them in its legend and tooltips; `iommu-play explain` prints them. Nothing here
//! decides kernel behaviour: the era files and shared/MODEL.md §2–§3 do, and these texts
//! summarise them (docs/eras.md has the longer table).

use crate::domain::DomainType;
use crate::era::Era;
use std::fmt;

/// What a concept is about: `group`, `domain`, `owner`, `era` or `badge`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Topic {
    Group,
    Domain,
    Owner,
    Era,
    Badge,
}

impl Topic {
    pub const ALL: [Topic; 5] = [
        Topic::Group,
        Topic::Domain,
        Topic::Owner,
        Topic::Era,
        Topic::Badge,
    ];

    pub const fn name(self) -> &'static str {
        match self {
            Topic::Group => "group",
            Topic::Domain => "domain",
            Topic::Owner => "owner",
            Topic::Era => "era",
            Topic::Badge => "badge",
        }
    }

    pub fn parse(s: &str) -> Option<Topic> {
        let s = s.to_ascii_lowercase();
        let s = s.trim_end_matches('s');
        Topic::ALL
            .into_iter()
            .find(|t| t.name() == s || (s == "generation" && *t == Topic::Era))
    }
}

impl fmt::Display for Topic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One explained concept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Concept {
    pub topic: Topic,
    /// How it is named (`DMA_FQ`, `singleton`, `group`).
    pub key: &'static str,
    /// A short title.
    pub title: &'static str,
    /// One sentence.
    pub text: &'static str,
    /// For an era: its date and commit (or posting).
    pub when: Option<&'static str>,
    /// Robin Murphy's words on it, from [`QUOTE_SOURCE`].
    pub quote: Option<&'static str>,
}

/// Where the quotes come from (shared/seed/000_8de5ab6798dc5dfd.txt).
pub const QUOTE_SOURCE: &str = "Robin Murphy, 22 Dec 2021, \"Re: [PATCH v4 07/13] iommu: Add \
                                iommu_at[de]tach_device_shared() for multi-device groups\"";

const fn c(topic: Topic, key: &'static str, title: &'static str, text: &'static str) -> Concept {
    Concept {
        topic,
        key,
        title,
        text,
        when: None,
        quote: None,
    }
}

const fn era(
    key: &'static str,
    title: &'static str,
    text: &'static str,
    when: &'static str,
    quote: Option<&'static str>,
) -> Concept {
    Concept {
        topic: Topic::Era,
        key,
        title,
        text,
        when: Some(when),
        quote,
    }
}

/// Every concept, in the order the legend and `iommu-play explain` list them.
pub const CONCEPTS: &[Concept] = &[
    c(Topic::Group, "group", "iommu group",
      "The smallest set of devices the IOMMU can tell apart: they share one translation (one \
       domain), so they are assigned, isolated and owned together; PCI topology (ACS, \
       multifunction slots, bridges, DMA aliases) decides who shares."),
    c(Topic::Domain, "BLOCKED", "BLOCKED domain",
      "Translates nothing: every DMA of the group faults; the kernel parks a group here while a \
       user (VFIO, iommufd) owns it and has not attached its own domain yet."),
    c(Topic::Domain, "IDENTITY", "IDENTITY domain",
      "Passthrough: the device's DMA addresses are physical addresses (iommu.passthrough=1), fast \
       but no protection."),
    c(Topic::Domain, "UNMANAGED", "UNMANAGED domain",
      "A paging domain a caller allocated and maps itself (VFIO, iommufd, a driver such as Tegra \
       host1x): the DMA API does not touch it."),
    c(Topic::Domain, "DMA", "DMA domain",
      "The default paging domain the DMA API maps into, strict: every unmap invalidates the IOTLB \
       before it returns."),
    c(Topic::Domain, "DMA_FQ", "DMA_FQ domain",
      "The DMA domain in lazy mode (iommu.strict=0): unmaps queue their IOTLB invalidation on a \
       flush queue and flush in batches, faster but a stale entry may live a little longer."),
    c(Topic::Owner, "owner", "DMA owner",
      "Who may choose the group's domain: the DMA API while kernel drivers use it (owner_cnt \
       counts them), or one user that claimed the group (a VFIO container or an iommufd \
       context, its cookie); a claim fails while the other kind holds it."),
    era("legacy", "legacy: attach any device",
        "iommu_attach_device() goes straight to the IOMMU driver for one device of any group; the \
         core keeps no group domain and no owner, so two devices of one group can end up in \
         different domains.",
        "≤ v4.1 (before 426a273834ea, 2015)",
        Some("iommu_attach_device() was already in use before groups were really a thing")),
    era("singleton", "singleton: one device a group",
        "iommu_attach_device() refuses a group of more than one device (-EINVAL) and group \
         attaches need the default domain (-EBUSY); VFIO polices binds with its own notifier, \
         whose BUG_ON kills the kernel.",
        "426a273834ea (Joerg Roedel, 28 May 2015), v4.2 to v5.18",
        Some("it enforces DMA ownership by the most trivial and heavy-handed means of simply \
              preventing it ever becoming shared in the first place")),
    era("shared", "shared: Lu Baolu's v4 proposal",
        "Groups record a DMA owner type and cookie, dma_configure claims DMA_API ownership, and \
         iommu_attach_device_shared() lets one private-domain owner attach several devices.",
        "Lu Baolu, v3 01/18 (6 Dec 2021) and v4 07/13 (Dec 2021), not merged",
        Some("this proposal is the worst of both worlds, in that drivers still have to be just as \
              aware of groups in order to know whether to call the _shared interface or not")),
    era("unified", "unified: Robin Murphy's counterproposal",
        "One iommu_attach_device() for any group size that claims private-domain ownership \
         itself, and iommu_attach_group() deleted.",
        "Robin Murphy, 22 Dec 2021; Lu Baolu's \"Scrap iommu_attach/detach_group()\" (6 Jan \
         2022), not merged",
        Some("The whole point is that *every* domain attach really *has* to be considered \
              \"shared\" because in general drivers can't know otherwise.")),
    era("v5.19", "v5.19: DMA ownership merged",
        "dma_configure calls iommu_device_use_default_domain(), VFIO claims a group with \
         iommu_group_claim_dma_owner() (exclusive: -EPERM while a driver uses the DMA API), and \
         a claimed group sits in a blocking domain.",
        "iommu-updates-v5.19 (\"iommu: Add DMA ownership management interfaces\", 0286300e6045 \
         posted 4 May 2022), released July 2022",
        Some("vfio_iommu_type1 is just a driver, calling the IOMMU API just like any other \
              driver.")),
    era("current", "current: cookies and iommufd",
        "Devices are claimed with shared cookies (iommufd), the blocking domain is a real BLOCKED \
         domain, group switches are all-or-nothing, and iommu_group_replace_domain() moves an \
         owned group directly.",
        "v6.2+ (iommu_device_claim_dma_owner), modelled on v6.8",
        None),
    c(Topic::Badge, "colour", "colour",
      "Colour means group: each iommu group keeps its colour (Okabe–Ito, colour-blind safe) \
       across steps and eras."),
    c(Topic::Badge, "▢", "domain badge",
      "▢ names the group's current domain: DMA, DMA-FQ, identity, blocking, private dN (a domain \
       a caller allocated) or none."),
    c(Topic::Badge, "owner:", "owner badge",
      "owner: names who holds the group's DMA: DMA API ×n (n kernel drivers), a claim's cookie, \
       or none."),
    c(Topic::Badge, "red", "red outline",
      "A red outline marks the devices of an invariant breach at this step (I1: a group split \
       across domains; I2, I3: DMA going where its owner does not know)."),
    c(Topic::Badge, "errors", "results",
      "Results: 0 succeeded, red -E… an error, amber WARN a kernel warning, black BUG a kernel \
       crash; — the era never reached the line."),
];

/// The concept `key` of `topic`, matched loosely (`dma-fq`, `DMA_FQ`, `V5.19`).
pub fn concept(topic: Topic, key: &str) -> Option<&'static Concept> {
    let norm = |s: &str| s.to_ascii_lowercase().replace('-', "_");
    CONCEPTS
        .iter()
        .find(|c| c.topic == topic && norm(c.key) == norm(key))
}

/// The concepts of `topic`.
pub fn of(topic: Topic) -> impl Iterator<Item = &'static Concept> {
    CONCEPTS.iter().filter(move |c| c.topic == topic)
}

/// The concept of an era.
pub fn era_concept(e: Era) -> Option<&'static Concept> {
    concept(Topic::Era, e.name())
}

/// The concept of a domain type (SVA and NESTED are not explained: `None`).
pub fn domain_concept(t: DomainType) -> Option<&'static Concept> {
    concept(Topic::Domain, t.name())
}

/// The concept behind a group's domain badge ([`crate::snapshot::Snapshot::group_domain_badge`]):
/// `DMA-FQ` is DMA_FQ, `blocking` BLOCKED, `private d1` UNMANAGED.
pub fn domain_badge_concept(badge: &str) -> Option<&'static Concept> {
    let key = match badge {
        "blocking" => "BLOCKED",
        "identity" => "IDENTITY",
        b if b.starts_with("private") => "UNMANAGED",
        b => b,
    };
    concept(Topic::Domain, key)
}

impl fmt::Display for Concept {
    /// `title: text`, then the date and commit, then the quote, one a line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.title, self.text)?;
        if let Some(w) = self.when {
            write!(f, "\n  when: {w}")?;
        }
        if let Some(q) = self.quote {
            write!(f, "\n  \"{q}\" ({QUOTE_SOURCE})")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_era_and_domain_type_a_badge_can_show_is_explained() {
        for e in Era::ALL {
            let c = era_concept(e).expect("an era concept");
            assert!(c.when.is_some(), "{e}");
        }
        for t in [
            DomainType::Blocked,
            DomainType::Identity,
            DomainType::Unmanaged,
            DomainType::Dma,
            DomainType::DmaFq,
        ] {
            assert!(domain_concept(t).is_some(), "{t:?}");
        }
        for b in ["DMA", "DMA-FQ", "identity", "blocking", "private d1"] {
            assert!(domain_badge_concept(b).is_some(), "{b}");
        }
        assert_eq!(
            concept(Topic::Domain, "dma-fq").map(|c| c.key),
            Some("DMA_FQ")
        );
        assert_eq!(Topic::parse("eras"), Some(Topic::Era));
    }

    #[test]
    fn the_quotes_are_robin_murphys_words_verbatim() {
        let seed = include_str!("../../../docs/seed-robin-murphy-2021-12-22.txt");
        let flat: String = seed.split_whitespace().collect::<Vec<_>>().join(" ");
        for c in CONCEPTS {
            if let Some(q) = c.quote {
                let q: String = q.split_whitespace().collect::<Vec<_>>().join(" ");
                assert!(flat.contains(&q), "{}: {q}", c.key);
            }
        }
    }

    #[test]
    fn explain_era_singleton_prints_its_date_commit_and_quote() {
        let s = era_concept(Era::Singleton).expect("singleton").to_string();
        assert!(s.starts_with("singleton: one device a group: iommu_attach_device() refuses"));
        assert!(s.contains("when: 426a273834ea (Joerg Roedel, 28 May 2015), v4.2 to v5.18"));
        assert!(s.contains("\"it enforces DMA ownership by the most trivial"));
        assert!(s.contains("(Robin Murphy, 22 Dec 2021"));
    }
}
