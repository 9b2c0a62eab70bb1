//! The editor's text: line numbers, the coloured overlay and the textarea. A component of
//! its own with props that only the text and its errors change, so a trace step does not
//! touch it (Yew would read the whole textarea value back from the DOM at every render).
use crate::components::lines::Lines;
use crate::state::{use_app_state, Action, State};
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

/// The current step's source line, marked under the text (as Python Tutor marks it). A
/// component of its own that reads the state, so a step redraws this bar, not the text.
#[function_component(CurrentLine)]
fn current_line() -> Html {
    let state = use_app_state();
    let Some(line) = state.current_line() else {
        return html! {};
    };
    // Moved by a transform, not `top`: a transform needs no layout, while a new `top`
    // made Chromium lay out the whole editor again (its 10,000 lines and the textarea:
    // ≈ 100 ms a step on a 10,000-line scenario).
    let style = format!("transform: translateY({}px)", u64::from(line - 1) * 20);
    html! {
        <div class={classes!("current-line", state.stale.then_some("stale"))} data-line={line.to_string()}
            {style} aria-hidden="true"></div>
    }
}

/// The 1-based line of UTF-16 offset `at` in `text` (a textarea's caret).
fn line_at(text: &str, at: u32) -> u32 {
    let n = text
        .encode_utf16()
        .take(usize::try_from(at).unwrap_or(usize::MAX))
        .filter(|u| *u == u16::from(b'\n'))
        .count();
    u32::try_from(n + 1).unwrap_or(u32::MAX)
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
    // A click on a line (its number or its text) seeks to the step it made.
    let onclick = {
        let d = p.dispatch.clone();
        Callback::from(move |e: MouseEvent| {
            let t: HtmlTextAreaElement = e.target_unchecked_into();
            if let Ok(Some(at)) = t.selection_start() {
                d.dispatch(Action::SeekLine(line_at(&t.value(), at)));
            }
        })
    };
    let on_gutter = {
        let d = p.dispatch.clone();
        Callback::from(move |e: MouseEvent| {
            let line = e
                .target_dyn_into::<web_sys::Element>()
                .and_then(|t| t.closest(".gutter-line").ok().flatten())
                .and_then(|l| l.get_attribute("data-line"))
                .and_then(|n| n.parse().ok());
            if let Some(line) = line {
                d.dispatch(Action::SeekLine(line));
            }
        })
    };
    let lines = p.text.split('\n').count();
    html! {
        <div class="editor-scroll">
            <div class="gutter" aria-hidden="true" onclick={on_gutter}><Lines text={p.text.clone()} errors={p.errors.clone()} gutter=true /></div>
            // The text scrolls sideways in a box of its own, right of the gutter: the caret
            // (End then Home on a long line) can never hide under the line numbers.
            <div class="editor-hscroll">
            <div class="editor-stack">
                <CurrentLine />
                <pre class="code-text overlay" aria-hidden="true"><Lines text={p.text.clone()} errors={p.errors.clone()} /></pre>
                <textarea ref={p.area.clone()} class="editor-input" spellcheck="false" wrap="off"
                    autocomplete="off" autocapitalize="off" aria-label="Scenario text"
                    aria-invalid={p.errors.is_some().to_string()}
                    rows={lines.to_string()}
                    value={p.text.clone()} {oninput} {onkeydown} {onclick} />
            </div>
            </div>
        </div>
    }
}
