//! The preset menu: the scenario library (`tests/scenarios/*.iommu`), each described by
//! its leading comment.
use crate::presets::{topic_and_title, TOPICS};
use crate::state::{use_app_state, Action};
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

/// The option value prefix of the user's earlier scenarios.
const KEPT: &str = "kept:";

/// A scenario's first line with text, shortened for the menu.
fn first_line(text: &str) -> String {
    let line = text
        .lines()
        .map(|l| l.trim_start_matches('#').trim())
        .find(|l| !l.is_empty())
        .unwrap_or("(empty)");
    let short: String = line.chars().take(48).collect();
    if short.len() < line.len() {
        format!("{short}…")
    } else {
        short
    }
}

#[function_component(PresetMenu)]
pub fn preset_menu() -> Html {
    let state = use_app_state();
    // Grouped by topic, short titles; the long description is the about line's.
    let titles = use_memo((), |_| {
        TOPICS
            .iter()
            .map(|topic| {
                let items: Vec<(&'static str, String)> = crate::presets::index()
                    .filter_map(|(n, t)| {
                        let (tp, short) = topic_and_title(n, if t.is_empty() { n } else { t });
                        (tp == *topic).then_some((n, short))
                    })
                    .collect();
                (*topic, items)
            })
            .filter(|(_, items)| !items.is_empty())
            .collect::<Vec<_>>()
    });
    let onchange = {
        let state = state.clone();
        Callback::from(move |e: Event| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            let name = select.value();
            if name.is_empty() {
                state.dispatch(Action::RestoreMine);
            } else if let Some(i) = name.strip_prefix(KEPT).and_then(|i| i.parse().ok()) {
                state.dispatch(Action::OpenKept(i));
            } else if crate::presets::text(&name).is_some() {
                state.dispatch(Action::LoadPreset(name));
            } else {
                // Not fetched yet (the prefetch after the first render is still running).
                let state = state.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    let _ = crate::presets::load(&name).await;
                    state.dispatch(Action::LoadPreset(name));
                });
            }
        })
    };
    let current = state.preset.unwrap_or("");
    // A preset's text is the state's text while `preset` names it.
    let tip = state
        .preset
        .map(|_| description(&state.text))
        .unwrap_or_else(|| "Load a scenario from the library".into());
    html! {
        <label class="field">
            <span>{ "preset" }</span>
            <select class="preset-menu" {onchange} title={tip}>
                <option value="" selected={current.is_empty()} disabled={state.mine.is_none()}>{ "Your scenario" }</option>
                if !state.kept.is_empty() {
                    <optgroup label="Your earlier scenarios">
                        { for state.kept.iter().enumerate().map(|(i, t)| html! {
                            <option value={format!("{KEPT}{i}")}>{ first_line(t) }</option>
                        }) }
                    </optgroup>
                }
                { for titles.iter().map(|(topic, items)| html! {
                    <optgroup label={*topic}>
                        { for items.iter().map(|(name, title)| html! {
                            <option value={*name} selected={*name == current} title={*name}>{ title.clone() }</option>
                        }) }
                    </optgroup>
                }) }
            </select>
        </label>
    }
}
