//! The preset menu: the scenario library (`tests/scenarios/*.iommu`), each described by
//! its leading comment.
use crate::state::{use_app_state, Action};
use iommu_engine::corpus::CORPUS;
use iommu_engine::scenario::parse;
use web_sys::HtmlSelectElement;
use yew::prelude::*;

/// A preset's title: the first line of its leading comment, else its file name.
pub fn title(name: &str, text: &str) -> String {
    description(text)
        .lines()
        .next()
        .filter(|l| !l.is_empty())
        .map_or_else(|| name.to_string(), str::to_string)
}

/// A preset's description: its leading comment.
pub fn description(text: &str) -> String {
    parse(text).map(|s| s.leading_comment()).unwrap_or_default()
}

#[function_component(PresetMenu)]
pub fn preset_menu() -> Html {
    let state = use_app_state();
    let titles = use_memo((), |_| {
        CORPUS
            .iter()
            .map(|(n, t)| (*n, title(n, t)))
            .collect::<Vec<_>>()
    });
    let onchange = {
        let state = state.clone();
        Callback::from(move |e: Event| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            let name = select.value();
            if !name.is_empty() {
                state.dispatch(Action::LoadPreset(name));
            }
        })
    };
    let current = state.preset.unwrap_or("");
    let tip = state
        .preset
        .and_then(crate::state::preset)
        .map(description)
        .unwrap_or_else(|| "Load a scenario from the library".into());
    html! {
        <label class="field">
            <span>{ "preset" }</span>
            <select class="preset-menu" {onchange} title={tip}>
                <option value="" selected={current.is_empty()}>{ "(your scenario)" }</option>
                { for titles.iter().map(|(name, title)| html! {
                    <option value={*name} selected={*name == current}>{ format!("{title} — {name}") }</option>
                }) }
            </select>
        </label>
    }
}
