//! Share: shows the link that reproduces this view (text, era, cursor), ready to copy.
use crate::persist;
use crate::share::{self, Shared, SharedView};
use crate::state::use_app_state;
use gloo_events::{EventListener, EventListenerOptions, EventListenerPhase};
use wasm_bindgen::JsCast;
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// A listener for Esc on the window, in the capture phase (before the page's own keys),
/// for a popover or panel to close itself.
pub fn on_escape(f: impl Fn(&web_sys::Event) + 'static) -> Option<EventListener> {
    let w = web_sys::window()?;
    let opts = EventListenerOptions {
        phase: EventListenerPhase::Capture,
        passive: false,
    };
    Some(EventListener::new_with_options(
        &w,
        "keydown",
        opts,
        move |e| {
            let esc = e
                .dyn_ref::<KeyboardEvent>()
                .is_some_and(|k| k.key() == "Escape");
            if esc {
                f(e);
            }
        },
    ))
}

#[function_component(ShareButton)]
pub fn share_button() -> Html {
    let state = use_app_state();
    let open = use_state(|| false);
    let input = use_node_ref();
    // The link is made when the popover opens and whenever the view changes under it:
    // the browser compresses asynchronously (share::encode_with_import_async), and only
    // the latest request may fill the field.
    let made = use_state(|| None::<String>);
    let asked = use_mut_ref(|| 0u64);
    {
        let made = made.clone();
        let view = (*open).then(|| SharedView {
            shared: Shared {
                text: state.text.to_string(),
                era: state.era,
                cursor: state.cursor,
            },
            compare: state.compare_open(),
        });
        let import = state.import.clone();
        use_effect_with((view, import), move |(view, import)| {
            let this = {
                let mut n = asked.borrow_mut();
                *n += 1;
                *n
            };
            match view.clone() {
                None => made.set(None),
                Some(view) => {
                    let import = import.clone();
                    wasm_bindgen_futures::spawn_local(async move {
                        let hash = share::encode_with_import_async(&view, import.as_deref()).await;
                        if *asked.borrow() == this {
                            made.set(Some(persist::link_to(&hash)));
                        }
                    });
                }
            }
        });
    }
    let link = (*open).then(|| (*made).clone()).flatten();
    {
        let input = input.clone();
        use_effect_with(link.clone(), move |link| {
            if link.is_some() {
                if let Some(i) = input.cast::<HtmlInputElement>() {
                    let _ = i.focus();
                    i.select();
                }
            }
        });
    }
    {
        // Esc closes the popover (before the page's own Esc, which closes compare): one
        // listener, told by a flag whether the popover is open now.
        let is_open = use_mut_ref(|| false);
        *is_open.borrow_mut() = *open;
        let open = open.clone();
        use_effect_with((), move |_| {
            let listener = on_escape(move |e| {
                if is_open.replace(false) {
                    e.prevent_default();
                    open.set(false);
                }
            });
            move || drop(listener)
        });
    }
    let copied = use_state(|| false);
    let copy = {
        let link = link.clone();
        let copied = copied.clone();
        Callback::from(move |_| {
            if let (Some(link), Some(w)) = (&link, web_sys::window()) {
                // The browser may refuse (no permission, insecure origin): the selected
                // field is still there to copy by hand.
                let _ = w.navigator().clipboard().write_text(link);
                copied.set(true);
            }
        })
    };
    let toggle = {
        let copied = copied.clone();
        let open = open.clone();
        Callback::from(move |_| {
            copied.set(false);
            open.set(!*open)
        })
    };
    html! {
        <div class="share">
            <button type="button" onclick={toggle} aria-expanded={(*open).to_string()}>{ "Share" }</button>
            if *open {
                <div class="share-pop">
                    <label>
                        <span>{ "Link to this view (text, era, step, compare) — copy it:" }</span>
                        <input ref={input} class="share-link mono" readonly=true
                            value={link.clone().unwrap_or_default()} placeholder="making the link…"
                            data-ready={link.is_some().to_string()} />
                    </label>
                    <button type="button" class="copy" onclick={copy} disabled={link.is_none()}>{ if *copied { "Copied" } else { "Copy" } }</button>
                </div>
            }
        </div>
    }
}
