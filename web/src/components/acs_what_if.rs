//! ACS what-if for a root or downstream port in the topology's device details: a button
//! flips the port's ACS controls `SV,RR,CR,UF` in a copy of the declared machine and the
//! panel lists the groups that would split or merge. The user's text is never edited; the
//! regrouping is the engine's ([`iommu_engine::scenario::view::what_if_acs`]).
use crate::state::use_app_state;
use iommu_engine::group::{GroupChange, GroupDiff};
use iommu_engine::scenario::view::{what_if_acs, WHAT_IF_ACS_FLAGS};
use iommu_engine::scenario::AcsView;
use iommu_engine::GroupId;
use yew::prelude::*;

#[derive(Clone, Debug, PartialEq, Properties)]
pub struct AcsWhatIfProps {
    /// The port (BDF).
    pub device: AttrValue,
    /// Its ACS as declared.
    pub acs: AcsView,
}

/// Whether `acs` has every control the what-if toggles.
pub fn acs_is_on(acs: &AcsView) -> bool {
    acs.enabled(WHAT_IF_ACS_FLAGS)
}

/// `{a b c}`: a group's members as `expect groups` writes them.
pub fn set(members: &[String]) -> String {
    let mut s = String::from("{");
    s.push_str(&members.join(" "));
    s.push('}');
    s
}

/// Groups as `expect groups` writes them, one after another.
pub fn sets(groups: &[Vec<String>]) -> String {
    groups.iter().map(|g| set(g)).collect::<Vec<_>>().join(" ")
}

/// The sentence for one change, naming today's groups by their number (`group 3 {…}`).
fn sentence(c: &GroupChange, split: bool, number: &dyn Fn(&[String]) -> Option<GroupId>) -> String {
    let named = |g: &Vec<String>| match number(g) {
        Some(n) => format!("{n} {}", set(g)),
        None => set(g),
    };
    if split {
        let before: Vec<String> = c.before.iter().map(named).collect();
        format!("{} splits into {}", before.join(" "), sets(&c.after))
    } else {
        let before: Vec<String> = c.before.iter().map(named).collect();
        format!("{} merge into {}", before.join(" and "), sets(&c.after))
    }
}

#[function_component(AcsWhatIf)]
pub fn acs_what_if(props: &AcsWhatIfProps) -> Html {
    let state = use_app_state();
    let shown = use_state(|| false);
    let on = acs_is_on(&props.acs);
    let verb = if on { "off" } else { "on" };
    let toggle = {
        let shown = shown.clone();
        Callback::from(move |_: MouseEvent| shown.set(!*shown))
    };
    let result: Option<Result<GroupDiff, String>> = (*shown).then(|| match state.parsed.as_ref() {
        Ok(s) => what_if_acs(s, &state.text, &props.device, !on),
        Err(_) => Err("the scenario does not parse".into()),
    });
    // Today's group numbers (the run's final groups), to name the groups that change.
    let number = |members: &[String]| -> Option<GroupId> {
        state.drawn().and_then(|r| {
            r.groups
                .iter()
                .find(|g| {
                    g.members.len() == members.len()
                        && g.members.iter().all(|m| members.contains(&m.name))
                })
                .map(|g| g.id)
        })
    };
    html! {
        <div class="what-if">
            <button type="button" class="what-if-toggle" aria-pressed={shown.to_string()} onclick={toggle}
                title="Regroup the declared machine with this port's ACS flipped; your text is not changed">
                { format!("what if ACS {WHAT_IF_ACS_FLAGS} were {verb}?") }
            </button>
            if let Some(r) = result {
                { match r {
                    Err(e) => html! { <p class="what-if-result err">{ e }</p> },
                    Ok(d) if d.is_unchanged() => html! {
                        <p class="what-if-result">{ format!("ACS {verb} at {}: no group would change.", d.device) }</p>
                    },
                    Ok(d) => html! {
                        <div class="what-if-result">
                            <p>{ format!("ACS {verb} at {} (acs={} instead of {}):", d.device, d.acs_ctl_after, props.acs) }</p>
                            <ul class="what-if-changes mono">
                                { for d.split.iter().map(|c| html! { <li class="split">{ sentence(c, true, &number) }</li> }) }
                                { for d.merged.iter().map(|c| html! { <li class="merged">{ sentence(c, false, &number) }</li> }) }
                            </ul>
                        </div>
                    },
                } }
            }
        </div>
    }
}
