//! The era menu: which era of the attach/ownership API the scenario runs in.
use crate::components::explain::Explain;
use crate::state::{use_app_state, Action};
use iommu_engine::scenario::explain::era_concept;
use iommu_engine::Era;
use web_sys::HtmlSelectElement;
use yew::prelude::*;

#[function_component(EraSelect)]
pub fn era_select() -> Html {
    let state = use_app_state();
    let onchange = {
        let state = state.clone();
        Callback::from(move |e: Event| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            if let Some(era) = Era::parse(&select.value()) {
                state.dispatch(Action::SetEra(era));
            }
        })
    };
    html! { <>
        <label class="field">
            <span>{ "era" }</span>
            <select class="era-select" {onchange} title="The era of the kernel's attach/ownership API to run the scenario in">
                { for Era::ALL.iter().map(|g| html! {
                    <option value={g.name()} selected={*g == state.era}
                        title={era_concept(*g).map(|c| c.text)}>{ g.name() }</option>
                }) }
            </select>
        </label>
        if let Some(c) = era_concept(state.era) {
            <Explain concept={c} />
        }
        </>
    }
}
