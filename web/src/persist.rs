//! Where the user's work is kept between visits: localStorage (the text and era, so a
//! reload never loses them) and the URL hash (the whole view, as a share link).
//!
//! On load a share hash wins over localStorage, which wins over the default preset. A hash
//! that cannot be opened is never fatal: the user sees why, and gets their saved work.
use crate::share::{self, ImportView, ShareError, Shared, SharedView};
use crate::state::State;
use crate::storage;
use iommu_engine::Era;
use serde::{Deserialize, Serialize};

/// The localStorage key.
pub const KEY: &str = "iommu-playground.v1";

/// The localStorage key of the user's own scenarios (most recent first).
pub const MINE_KEY: &str = "iommu-playground.mine.v1";
/// How many of the user's own scenarios localStorage keeps.
pub const MAX_KEPT: usize = 5;

/// The user's own scenarios kept in this browser, most recent first.
pub fn kept() -> Vec<String> {
    storage::get::<Vec<String>>(MINE_KEY).unwrap_or_default()
}

/// `list` with `text` first: replacing the first entry when `same` (an edit of the
/// scenario it holds), else before it; no duplicates, at most [`MAX_KEPT`].
pub fn kept_with(mut list: Vec<String>, text: &str, same: bool) -> Vec<String> {
    if same && !list.is_empty() {
        list.remove(0);
    }
    list.retain(|t| t != text);
    list.insert(0, text.to_string());
    list.truncate(MAX_KEPT);
    list
}

/// Keeps the user's scenario `text` in localStorage (see [`kept_with`]).
pub fn keep_mine(text: &str, same: bool) {
    if text.len() <= share::MAX_TEXT {
        storage::set(MINE_KEY, &kept_with(kept(), text, same));
    }
}

/// What localStorage keeps.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Saved {
    pub text: String,
    pub era: String,
    pub cursor: usize,
}

/// The state to start from, given the URL hash and what localStorage holds.
pub fn boot_from(hash: &str, saved: Option<Saved>) -> State {
    let fallback = || match saved.filter(|s| s.text.len() <= share::MAX_TEXT) {
        Some(s) => State::new(&s.text, Era::parse(&s.era), s.cursor),
        None => State::initial(),
    };
    if hash.trim_start_matches('#').is_empty() {
        return fallback();
    }
    match share::decode_with_import(hash) {
        Ok((
            SharedView {
                shared: Shared { text, era, cursor },
                compare,
            },
            import,
        )) => {
            let s = State::new(&text, Some(era), cursor).with_import(import);
            if compare {
                s.with_compare()
            } else {
                s
            }
        }
        Err(ShareError::NotShared) => fallback(),
        Err(e) => fallback().with_notice(e.to_string()),
    }
}

fn location() -> Option<web_sys::Location> {
    web_sys::window().map(|w| w.location())
}

/// The URL hash of this page (with its `#`), or `""`.
pub fn current_hash() -> String {
    location().and_then(|l| l.hash().ok()).unwrap_or_default()
}

/// The state to start the playground from in this browser, with the user's own
/// scenarios kept here.
pub fn boot() -> State {
    boot_from(&current_hash(), storage::get::<Saved>(KEY)).with_kept(kept())
}

/// Keeps the view: text and era in localStorage, everything in the URL hash (replacing
/// the history entry, so typing does not fill the back button).
pub fn save(text: &str, era: Era, cursor: usize) {
    save_view(text, era, cursor, false, None);
}

/// [`save`], with the open panels in the URL hash (a version-2 link when compare or the
/// import panel is open).
pub fn save_view(text: &str, era: Era, cursor: usize, compare: bool, import: Option<&ImportView>) {
    storage::set(
        KEY,
        &Saved {
            text: text.to_string(),
            era: era.name().to_string(),
            cursor,
        },
    );
    let view = SharedView {
        shared: Shared {
            text: text.to_string(),
            era,
            cursor,
        },
        compare,
    };
    // The browser compresses asynchronously (share::encode_with_import_async): only the
    // latest save writes the URL, so a slower earlier one cannot overwrite it.
    let this = SAVES.with(|n| {
        n.set(n.get().wrapping_add(1));
        n.get()
    });
    let import = import.cloned();
    wasm_bindgen_futures::spawn_local(async move {
        let hash = share::encode_with_import_async(&view, import.as_ref()).await;
        if SAVES.with(|n| n.get()) != this {
            return;
        }
        if let Some(h) = web_sys::window().and_then(|w| w.history().ok()) {
            let url = format!("#{hash}");
            let _ = h.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
        }
    });
}

thread_local! {
    /// How many views [`save_view`] was given: the URL is written for the latest only.
    static SAVES: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// The full playground's URL (this page without `?embed` and without a hash) with `hash`.
pub fn link_to(hash: &str) -> String {
    let base = location()
        .map(|l| {
            let origin = l.origin().unwrap_or_default();
            let path = l.pathname().unwrap_or_default();
            format!("{origin}{path}")
        })
        .unwrap_or_default();
    format!("{base}#{hash}")
}

/// Whether this page was opened with `?embed`.
pub fn is_embed() -> bool {
    location().and_then(|l| l.search().ok()).is_some_and(|s| {
        s.trim_start_matches('?')
            .split('&')
            .any(|kv| kv == "embed" || kv.starts_with("embed="))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_few_scenarios_are_kept() {
        let l = kept_with(Vec::new(), "a", true);
        let l = kept_with(l, "ab", true);
        assert_eq!(l, ["ab"]);
        let l = kept_with(l, "c", false);
        assert_eq!(l, ["c", "ab"]);
        let l = (0..10).fold(l, |l, i| kept_with(l, &i.to_string(), false));
        assert_eq!(l.len(), MAX_KEPT);
        assert_eq!(l.first().map(String::as_str), Some("9"));
    }
}
