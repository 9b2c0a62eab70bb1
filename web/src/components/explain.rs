//! Explanations where the concepts appear: a round ? (a `<details>` popover, so keyboard
//! reachable with Tab and Enter) that opens one concept of the engine's view layer
//! (`scenario::explain`: one sentence, the era's date and commit, Robin Murphy's words).
use iommu_engine::scenario::explain::{Concept, QUOTE_SOURCE};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ExplainProps {
    pub concept: &'static Concept,
    /// The summary's text (default: a round "?" with the concept's title for screen readers).
    #[prop_or_default]
    pub label: Option<AttrValue>,
}

/// The body of a concept: its sentence, date and commit, and quote.
pub fn concept_body(c: &'static Concept) -> Html {
    html! { <>
        <p class="explain-text">{ c.text }</p>
        if let Some(when) = c.when {
            <p class="explain-when"><span class="muted">{ "when: " }</span>{ when }</p>
        }
        if let Some(q) = c.quote {
            <blockquote class="explain-quote" cite="https://lore.kernel.org/linux-iommu/aebbd9c7-a239-0f89-972b-a9059e8b218b@arm.com/">
                <p>{ format!("“{q}”") }</p>
                <footer>{ format!("— {QUOTE_SOURCE}") }</footer>
            </blockquote>
        }
    </> }
}

#[function_component(Explain)]
pub fn explain(p: &ExplainProps) -> Html {
    let c = p.concept;
    html! {
        <details class="explain" data-concept={c.key}>
            <summary title={c.title} aria-label={format!("What is {}?", c.title)}>
                { p.label.clone().unwrap_or_else(|| "?".into()) }
            </summary>
            <div class="explain-pop" role="note">
                <strong>{ c.title }</strong>
                { concept_body(c) }
            </div>
        </details>
    }
}
