//! Browser tests of widgets on other people's pages (headless Chromium, `./x test`):
//! - a widget mounted on a host page leaves the page's own fonts, margins and colours as
//!   they were (its styles are scoped to `.iommu-widget`, issue 14 item 11), and follows
//!   the page's mdBook theme class;
//! - the built book's chapters (`dist/book/`, copied in by `build.rs` when
//!   `IOMMU_BOOK_TEST=1`, as `./x test` sets after building the book) render their live
//!   widgets, and an exercise goes from failing to passing after an edit.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen_test::*;
use web_sys::{Document, Element};

mod common;
use common::{all, find, until};

wasm_bindgen_test_configure!(run_in_browser);

fn doc() -> Document {
    web_sys::window()
        .and_then(|w| w.document())
        .expect("a document")
}

fn fresh(html: &str) -> Element {
    let el = doc().create_element("div").expect("a div");
    el.set_inner_html(html);
    doc()
        .body()
        .expect("a body")
        .append_child(&el)
        .expect("appended");
    el
}

/// The computed styles a host page cares about, of `el`.
fn looks(el: &Element) -> Vec<(String, String)> {
    let style = web_sys::window()
        .and_then(|w| w.get_computed_style(el).ok().flatten())
        .expect("a computed style");
    [
        "font-family",
        "font-size",
        "line-height",
        "margin-top",
        "margin-left",
        "text-align",
        "background-color",
        "color",
        "padding-left",
        "box-sizing",
    ]
    .iter()
    .map(|p| {
        (
            p.to_string(),
            style.get_property_value(p).unwrap_or_default(),
        )
    })
    .collect()
}

fn host_looks() -> Vec<(String, String)> {
    let d = doc();
    let html = d.document_element().expect("html");
    let body: Element = d.body().expect("body").into();
    let p = d.get_element_by_id("host-p").expect("the host paragraph");
    [looks(&html), looks(&body), looks(&p)].concat()
}

fn add_style(id: &str, css: &str) -> Element {
    let s = doc().create_element("style").expect("a style");
    s.set_id(id);
    s.set_text_content(Some(css));
    doc()
        .head()
        .expect("a head")
        .append_child(&s)
        .expect("appended");
    s
}

const HOST_CSS: &str = "html { font-size: 15px; background: rgb(250, 240, 230); }\n\
    body { font: 19px/1.8 Georgia, serif; margin: 37px; text-align: center; color: rgb(20, 30, 40); }\n\
    #host-p { margin: 11px 0; }";

#[wasm_bindgen_test]
async fn a_widget_leaves_the_host_pages_fonts_margins_and_colours_alone() {
    let host = add_style("host-style", HOST_CSS);
    let page = fresh(
        "<p id=\"host-p\">A docs page's paragraph.</p>\
         <div data-iommu-scenario=\"gpu-audio.iommu\"></div>",
    );
    let before = host_looks();
    assert!(before
        .iter()
        .any(|(k, v)| k == "font-family" && v.contains("Georgia")));

    // The probe sees a global stylesheet's change: the playground's unscoped style.css
    // (what embed.js used to load) restyles html and body.
    let global = add_style("global-style", include_str!("../../static/style.css"));
    assert_ne!(
        host_looks(),
        before,
        "the unscoped stylesheet restyles the host page"
    );
    global.remove();
    assert_eq!(host_looks(), before);

    assert_eq!(iommu_web::mount_widgets(&page), 1);
    until(|| !all(&page, ".iommu-widget .topo-svg").is_empty()).await;
    assert!(
        doc()
            .get_element_by_id(iommu_web::embed::STYLE_ID)
            .is_some(),
        "the widget brings its styles"
    );
    assert_eq!(
        host_looks(),
        before,
        "mounting a widget changed the host page's styles"
    );

    // The widget has its own look inside the page: the playground's font, left-aligned.
    let w = looks(&find(&page, ".iommu-widget"));
    let get = |k: &str| {
        w.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    assert_eq!(get("font-size"), "14px");
    assert!(!get("font-family").contains("Georgia"), "{w:?}");
    assert_eq!(get("text-align"), "left");

    page.remove();
    host.remove();
}

fn background(el: &Element) -> String {
    web_sys::window()
        .and_then(|w| w.get_computed_style(el).ok().flatten())
        .and_then(|s| s.get_property_value("background-color").ok())
        .unwrap_or_default()
}

#[wasm_bindgen_test]
async fn widgets_follow_the_books_light_and_dark_themes() {
    let html = doc().document_element().expect("html");
    let page = fresh("<div data-iommu-scenario=\"gpu-audio.iommu\"></div>");
    iommu_web::mount_widgets(&page);
    until(|| !all(&page, ".iommu-widget .topo-svg").is_empty()).await;
    let w = find(&page, ".iommu-widget");
    for (theme, bg) in [
        ("light", "rgb(255, 255, 255)"),
        ("rust", "rgb(255, 255, 255)"),
        ("navy", "rgb(21, 23, 27)"),
        ("coal", "rgb(21, 23, 27)"),
        ("ayu", "rgb(21, 23, 27)"),
    ] {
        html.set_class_name(theme);
        assert_eq!(background(&w), bg, "theme {theme}");
    }
    html.set_class_name("");
    page.remove();
}

/// The `<main>` of a built chapter, as mdBook wrote it.
#[cfg(iommu_book)]
fn chapter_main(html: &str) -> &str {
    let start = html.find("<main>").expect("a <main>") + "<main>".len();
    let end = html.find("</main>").expect("a </main>");
    &html[start..end]
}

#[cfg(iommu_book)]
#[wasm_bindgen_test]
async fn built_chapters_render_live_widgets_and_an_exercise_passes_after_an_edit() {
    use wasm_bindgen::JsCast;
    let html = doc().document_element().expect("html");
    html.set_class_name("navy");
    for (name, chapter) in [
        (
            "02-groups",
            include_str!(concat!(env!("OUT_DIR"), "/book/02-groups.html")),
        ),
        (
            "07-dma-fast-path",
            include_str!(concat!(env!("OUT_DIR"), "/book/07-dma-fast-path.html")),
        ),
    ] {
        let page = fresh(&format!(
            "<div class=\"content\"><main>{}</main></div>",
            chapter_main(chapter)
        ));
        let marked = all(&page, "[data-iommu-scenario]").len();
        assert!(marked >= 2, "{name}: {marked} widgets");
        assert_eq!(iommu_web::mount_widgets(&page), marked, "{name}");
        until(|| all(&page, ".iommu-widget .topo-svg, .iommu-widget .trace-row").len() >= marked)
            .await;
        for w in all(&page, ".iommu-widget") {
            assert!(
                !all(&w, ".trace-row").is_empty(),
                "{name}: a widget without a trace: {}",
                w.inner_html()
            );
            assert!(all(&w, ".notice").is_empty(), "{name}: {}", w.inner_html());
        }
        assert_eq!(
            all(&page, ".iommu-widget.exercise").len(),
            1,
            "{name}: one exercise"
        );
        if name == "02-groups" {
            // The exercise: failing as given, passing after the edit.
            let ex = find(&page, ".iommu-widget.exercise");
            let verdict = || {
                find(&ex, ".exercise-verdict")
                    .get_attribute("data-exercise")
                    .unwrap_or_default()
            };
            assert_eq!(verdict(), "fail", "{}", ex.inner_html());
            let area: web_sys::HtmlTextAreaElement =
                find(&ex, "textarea.editor-input").unchecked_into();
            area.set_value(include_str!("../../book/solutions/02-gpu-group.iommu"));
            let init = web_sys::InputEventInit::new();
            init.set_bubbles(true);
            let input =
                web_sys::InputEvent::new_with_event_init_dict("input", &init).expect("an event");
            area.dispatch_event(&input).expect("dispatched");
            until(|| verdict() == "stale").await;
            assert_eq!(verdict(), "stale");
            find(&ex, "button.exercise-run")
                .unchecked_into::<web_sys::HtmlElement>()
                .click();
            until(|| verdict() == "pass").await;
            assert_eq!(
                verdict(),
                "pass",
                "{}",
                find(&ex, ".exercise-verdict").inner_html()
            );
            assert!(find(&ex, ".exercise-verdict")
                .text_content()
                .unwrap_or_default()
                .contains("Passed"));
        }
        page.remove();
    }
    html.set_class_name("");
}

#[cfg(not(iommu_book))]
#[wasm_bindgen_test]
fn built_chapters_are_tested_after_x_book() {
    web_sys::console::log_1(
        &"book.rs: the built-book test runs with IOMMU_BOOK_TEST=1 after `./x book` (./x test does both)".into(),
    );
}
