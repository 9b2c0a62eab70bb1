//! The scenario editor: a plain textarea over a coloured copy of its text (the engine
//! lexer's tokens), line numbers, and every parse error at its line and column — after the
//! end of its line, marked in the gutter, and listed below (a click puts the caret there).
//! Ctrl-Enter (⌘-Enter) runs.
use crate::components::editor_text::EditorText;
use crate::components::preset_menu::description;
use crate::state::use_app_state;
use web_sys::HtmlTextAreaElement;
use yew::prelude::*;

/// The UTF-16 offset of byte `byte` of `text` (textarea selections count UTF-16 units).
fn utf16_offset(text: &str, byte: usize) -> u32 {
    let mut b = byte.min(text.len());
    while !text.is_char_boundary(b) {
        b -= 1;
    }
    u32::try_from(text[..b].encode_utf16().count()).unwrap_or(u32::MAX)
}

#[function_component(Editor)]
pub fn editor() -> Html {
    let state = use_app_state();
    let area = use_node_ref();
    let errors = state.errors().cloned();
    let text = AttrValue::from(state.text.clone());
    let about = state.preset.and_then(crate::state::preset).map(description);
    html! {
        <section class="pane editor-pane" aria-label="Scenario editor">
            <h2>{ "scenario" }</h2>
            if let Some(about) = about {
                <details class="about">
                    <summary>{ about.lines().next().unwrap_or("About this preset").to_string() }</summary>
                    { for about.split("\n\n").skip(1).map(|p| html! { <p>{ p.to_string() }</p> }) }
                </details>
            }
            <EditorText text={text} errors={errors.clone()} area={area.clone()} dispatch={state.dispatcher()} />
            if let Some(errors) = errors {
                <ul class="errors" aria-live="polite">
                    { for errors.errors.iter().map(|e| {
                        let area = area.clone();
                        let text = state.text.clone();
                        let at = e.span.start;
                        let jump = Callback::from(move |_| {
                            if let Some(t) = area.cast::<HtmlTextAreaElement>() {
                                let _ = t.focus();
                                let o = utf16_offset(&text, at);
                                let _ = t.set_selection_range(o, o);
                            }
                        });
                        html! {
                            <li><button type="button" class="error-link" onclick={jump}>
                                <span class="pos">{ format!("{}:{}", e.line(), e.col()) }</span>
                                { " " }{ e.message() }
                            </button></li>
                        }
                    }) }
                </ul>
            } else {
                <p class="status ok">{ "parses" }</p>
            }
        </section>
    }
}
