//! The legend: what the colours and badges mean, and the concepts behind them (group, the
//! domain types, owner, the eras), all from the engine's view layer (`scenario::explain`).
//! A `<details>`: keyboard reachable, closed by default.
use crate::components::explain::concept_body;
use iommu_engine::ids::GroupId;
use iommu_engine::scenario::explain::{of, Topic};
use yew::prelude::*;

#[function_component(Legend)]
pub fn legend() -> Html {
    let section = |topic: Topic, heading: &str| {
        html! {
            <section class="legend-section" data-topic={topic.name()}>
                <h3>{ heading.to_string() }</h3>
                <dl>
                    { for of(topic).map(|c| html! { <>
                        <dt data-concept={c.key}>{ c.title }</dt>
                        <dd>{ concept_body(c) }</dd>
                    </> }) }
                </dl>
            </section>
        }
    };
    html! {
        <details class="legend">
            <summary>{ "Legend" }</summary>
            <div class="legend-body">
                <p class="swatches" aria-label="group colours">
                    { for (0..8).map(|i| html! {
                        <span class="swatch" style={format!("background: var(--g{i})")} title={format!("{}, {}, …", GroupId(i), GroupId(i + 8))}></span>
                    }) }
                </p>
                { section(Topic::Badge, "Colours and badges") }
                { section(Topic::Group, "Group") }
                { section(Topic::Domain, "Domain types") }
                { section(Topic::Owner, "Owner") }
                { section(Topic::Era, "The API eras") }
            </div>
        </details>
    }
}
