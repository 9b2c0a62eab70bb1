//! The editor's text: line numbers, the coloured overlay and the textarea. A component of
//! its own with props that only the text and its errors change, so a trace step does not
//! touch it (Yew would read the whole textarea value back from the DOM at every render).
use crate::components::lines::Lines;
use crate::state::{Action, State};
use iommu_engine::scenario::ParseErrors;
use web_sys::HtmlTextAreaElement;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct EditorTextProps {
    pub text: AttrValue,
    #[prop_or_default]
    pub errors: Option<ParseErrors>,
    pub area: NodeRef,
    pub dispatch: UseReducerDispatcher<State>,
}

#[function_component(EditorText)]
pub fn editor_text(p: &EditorTextProps) -> Html {
    let oninput = {
        let d = p.dispatch.clone();
        Callback::from(move |e: InputEvent| {
            let t: HtmlTextAreaElement = e.target_unchecked_into();
            d.dispatch(Action::Edit(t.value()));
        })
    };
    let onkeydown = {
        let d = p.dispatch.clone();
        Callback::from(move |e: KeyboardEvent| {
            let ctrl = e.ctrl_key() || e.meta_key();
            let key = e.key().to_lowercase();
            let action = match key.as_str() {
                "enter" if ctrl => Action::Run,
                // The app's own history: the browser's forgets the text a preset replaced.
                "z" if ctrl && !e.shift_key() => Action::Undo,
                "z" | "y" if ctrl => Action::Redo,
                _ => return,
            };
            e.prevent_default();
            d.dispatch(action);
        })
    };
    let lines = p.text.split('\n').count();
    html! {
        <div class="editor-scroll">
            <div class="gutter" aria-hidden="true"><Lines text={p.text.clone()} errors={p.errors.clone()} gutter=true /></div>
            <div class="editor-stack">
                <pre class="code-text overlay" aria-hidden="true"><Lines text={p.text.clone()} errors={p.errors.clone()} /></pre>
                <textarea ref={p.area.clone()} class="editor-input" spellcheck="false" wrap="off"
                    autocomplete="off" autocapitalize="off" aria-label="Scenario text"
                    aria-invalid={p.errors.is_some().to_string()}
                    rows={lines.to_string()}
                    value={p.text.clone()} {oninput} {onkeydown} />
            </div>
        </div>
    }
}
