//! A dismissable sentence for the user (a share link that could not be opened, …).
use crate::state::{use_app_state, Action};
use yew::prelude::*;

#[function_component(Notice)]
pub fn notice() -> Html {
    let state = use_app_state();
    let Some(text) = state.notice.clone() else {
        return html! {};
    };
    let dismiss = {
        let state = state.clone();
        Callback::from(move |_| state.dispatch(Action::Notice(None)))
    };
    html! {
        <div class="notice" role="alert">
            <span>{ text.to_string() }</span>
            <button type="button" onclick={dismiss} aria-label="Dismiss">{ "×" }</button>
        </div>
    }
}
