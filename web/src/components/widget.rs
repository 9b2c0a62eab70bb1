//! An embedded, read-only view of one scenario (`?embed`, and every
//! `<div data-iommu-scenario>` of a documentation page): its text, topology and trace, and
//! a link that opens it in the full playground. Each widget has its own state.
use crate::components::preset_menu::title;
use crate::components::{code_view::CodeView, topology::TopologyPanel, trace::TracePanel};
use crate::state::{State, StateHandle};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct WidgetProps {
    pub initial: State,
    /// Where "open in playground" goes (the playground URL with this scenario's share hash).
    pub link: AttrValue,
}

#[function_component(Widget)]
pub fn widget(props: &WidgetProps) -> Html {
    let initial = props.initial.clone();
    let state = use_reducer(move || initial);
    let heading = title("scenario", &state.text);
    let errors = state.errors().cloned();
    html! {
        <ContextProvider<StateHandle> context={state.clone()}>
            <div class="iommu-widget">
                <div class="widget-bar">
                    <strong class="widget-title">{ heading }</strong>
                    <span class="badge">{ format!("era {}", state.era) }</span>
                    <span class="spacer"></span>
                    <a class="open-link" href={props.link.clone()} target="_blank" rel="noopener">{ "open in playground ↗" }</a>
                </div>
                if let Some(notice) = state.notice.clone() {
                    <p class="notice" role="alert">{ notice.to_string() }</p>
                }
                <details class="widget-code" open={errors.is_some()}>
                    <summary>{ "scenario text" }</summary>
                    <CodeView text={AttrValue::from(state.text.to_string())} {errors} />
                </details>
                <TopologyPanel />
                <TracePanel />
            </div>
        </ContextProvider<StateHandle>>
    }
}
