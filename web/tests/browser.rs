//! Browser tests: run in headless Chromium by `./x test` (wasm-bindgen-test + chromedriver).
//! Each test mounts its own app or widgets on a fresh element and asserts on the DOM.
#![cfg(target_arch = "wasm32")]

use iommu_engine::Era;
use iommu_web::persist::boot_from;
use iommu_web::share::{self, Shared};
use iommu_web::state::{default_text, preset, State};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlSelectElement, HtmlTextAreaElement};

mod common;
use common::{all, find, settle, until};

wasm_bindgen_test_configure!(run_in_browser);

fn fresh_root() -> Element {
    let doc = web_sys::window()
        .and_then(|w| w.document())
        .expect("a document");
    let root = doc.create_element("div").expect("a div");
    doc.body()
        .expect("a body")
        .append_child(&root)
        .expect("appended");
    root
}

fn text(el: &Element) -> String {
    el.text_content().unwrap_or_default()
}

fn textarea(root: &Element) -> HtmlTextAreaElement {
    find(root, "textarea.editor-input").unchecked_into()
}

fn bubbling(kind: &str) -> web_sys::Event {
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    web_sys::Event::new_with_event_init_dict(kind, &init).expect("an event")
}

/// The app's stylesheet on the test page (for tests of layout: sticky, sizes) until the
/// guard drops, so the other tests run on the page as before.
struct Styled(Element);

impl Drop for Styled {
    fn drop(&mut self) {
        self.0.remove();
    }
}

#[must_use]
fn with_style() -> Styled {
    let doc = web_sys::window()
        .and_then(|w| w.document())
        .expect("a document");
    let style = doc.create_element("style").expect("a style");
    style.set_text_content(Some(include_str!("../../static/style.css")));
    doc.head()
        .expect("a head")
        .append_child(&style)
        .expect("appended");
    Styled(style)
}

async fn mount(initial: State) -> Element {
    let root = fresh_root();
    iommu_web::mount_with(root.clone(), initial, false);
    settle().await;
    root
}

#[wasm_bindgen_test]
async fn default_preset_renders_in_the_editor() {
    let root = mount(State::initial()).await;
    assert!(text(&root).contains("IOMMU Playground"));
    assert_eq!(textarea(&root).value(), default_text());
    let menu: HtmlSelectElement = find(&root, "select.preset-menu").unchecked_into();
    assert_eq!(menu.value(), "gpu-audio.iommu");
    // Coloured by the engine's lexer: the `pci` keyword and the BDF literals.
    assert!(!all(&root, ".overlay .tok-keyword").is_empty());
    assert!(all(&root, ".overlay .tok-lit")
        .iter()
        .any(|e| text(e) == "01:00.1"));
    // The machine as booted: every device drawn, the GPU and its audio function in one
    // group region, each NIC function in its own.
    let devices: Vec<String> = all(&root, ".topology g.device")
        .iter()
        .filter_map(|e| e.get_attribute("data-device"))
        .collect();
    assert!(devices.contains(&"01:00.0".to_string()), "{devices:?}");
    let regions: Vec<String> = all(&root, ".topology g.group-region")
        .iter()
        .filter_map(|e| e.get_attribute("data-members"))
        .collect();
    assert!(
        regions.contains(&"01:00.0 01:00.1".to_string()),
        "{regions:?}"
    );
    assert!(regions.contains(&"02:00.0".to_string()), "{regions:?}");
    assert_eq!(regions.len(), 5, "{regions:?}");
    let gpu = region(&root, "01:00.0 01:00.1");
    assert_eq!(text(&find(&gpu, ".badge-domain")), "▢ DMA");
}

/// The group region whose members are exactly `members`.
fn region(root: &Element, members: &str) -> Element {
    all(root, ".topology g.group-region")
        .into_iter()
        .find(|e| e.get_attribute("data-members").as_deref() == Some(members))
        .unwrap_or_else(|| panic!("no region of {members} in {}", root.inner_html()))
}

fn click(el: &Element) {
    el.unchecked_ref::<web_sys::HtmlElement>().click();
}

#[wasm_bindgen_test]
async fn stepping_changes_the_drawn_domain_and_owner() {
    let nic = preset("vfio-nic-shared-group.iommu").expect("a preset");
    let root = mount(State::booted(nic, None)).await;
    // The claim that succeeds: the second vfio_group_set_container row.
    let rows = all(&root, ".trace-row");
    let claims: Vec<usize> = rows
        .iter()
        .enumerate()
        .filter(|(_, r)| text(&find(r, "code")).starts_with("vfio_group_set_container"))
        .map(|(i, _)| i)
        .collect();
    assert_eq!(claims.len(), 2, "{claims:?}");
    let claim = claims[1];
    click(&find(&rows[claim], ".row-seek"));
    settle().await;
    let current = find(&root, ".trace-row.current");
    assert_eq!(text(&find(&current, ".step-no")), (claim + 1).to_string());
    assert_eq!(text(&find(&current, ".result")), "0");
    let nic = region(&root, "01:00.0 01:00.1");
    assert_eq!(text(&find(&nic, ".badge-owner")), "owner: vm1");
    // The claim passes through the blocking domain and VFIO_SET_IOMMU ends it in type1's
    // private domain, as the nested calls of the row show.
    assert_eq!(text(&find(&nic, ".badge-domain")), "▢ private vm1.type1");
    assert!(text(&find(&current, ".row-more")).contains("blocking"));
    // One step back: the group is not claimed yet.
    click(&find(&root, "button[aria-label='Step back']"));
    settle().await;
    assert_eq!(
        text(&find(&root, ".trace-row.current .step-no")),
        claim.to_string()
    );
    let nic = region(&root, "01:00.0 01:00.1");
    assert_ne!(text(&find(&nic, ".badge-owner")), "owner: vm1");
    assert_eq!(text(&find(&nic, ".badge-domain")), "▢ DMA");
    // A click on a device gives its details and the reasons for its group.
    let dev = all(&root, ".topology g.device")
        .into_iter()
        .find(|e| e.get_attribute("data-device").as_deref() == Some("01:00.1"))
        .expect("01:00.1 drawn");
    dev.dispatch_event(&bubbling("click")).expect("dispatched");
    settle().await;
    let details = text(&find(&root, ".topology .details"));
    assert!(details.contains("multifunction"), "{details}");
}

#[wasm_bindgen_test]
async fn a_runtime_error_shows_line_and_column_and_keeps_the_text() {
    let root = mount(State::initial()).await;
    let area = textarea(&root);
    let typed = "iommu dmar0 kind=generic
host pci0 iommu=dmar0
bind 05:00.0 igb
";
    area.set_value(typed);
    area.dispatch_event(&bubbling("input")).expect("dispatched");
    settle().await;
    area.dispatch_event(&key("keydown", "Enter", true))
        .expect("dispatched");
    settle().await;
    let errors = text(&find(&root, "ul.errors"));
    assert!(errors.contains("3:6"), "errors: {errors}");
    assert!(errors.contains("05:00.0"), "errors: {errors}");
    let inline = text(&find(&root, ".overlay .code-line.has-error .inline-error"));
    assert!(inline.contains("3:6"), "inline: {inline}");
    assert_eq!(textarea(&root).value(), typed);
}

#[wasm_bindgen_test]
async fn compare_shows_the_eras_side_by_side() {
    let tegra = preset("tegra-host1x.iommu").expect("a preset");
    let root = mount(State::booted(tegra, None)).await;
    click(&find(&root, "button.compare-toggle"));
    settle().await;
    let row = all(&root, ".compare-row")
        .into_iter()
        .find(|r| text(&find(r, "code")) == "iommu_attach_device(d1, gr2d)")
        .unwrap_or_else(|| panic!("no attach row in {}", root.inner_html()));
    assert!(row.class_list().contains("differs"));
    let cell = |era: &str| text(&find(&row, &format!("td[data-era='{era}']")));
    assert_eq!(cell("legacy"), "0");
    assert_eq!(cell("current"), "-EINVAL");
    assert!(find(&row, "td[data-era='current']")
        .class_list()
        .contains("err"));
}

#[wasm_bindgen_test]
fn js_api_runs_and_compares() {
    let get = |v: &wasm_bindgen::JsValue, k: &str| {
        js_sys::Reflect::get(v, &k.into()).expect("a property")
    };
    let nic = preset("vfio-nic-shared-group.iommu").expect("a preset");
    let run = iommu_web::api::run(nic, None).expect("an object");
    assert_eq!(
        get(&run, "generation").as_string().as_deref(),
        Some("current")
    );
    assert_eq!(get(&run, "passed").as_bool(), Some(true));
    let steps: js_sys::Array = get(&run, "steps").unchecked_into();
    let calls: Vec<String> = steps
        .iter()
        .map(|s| {
            get(&get(&s, "event"), "call")
                .as_string()
                .unwrap_or_default()
        })
        .collect();
    assert!(
        calls.iter().any(|c| c == "vfio_group_set_container"),
        "{calls:?}"
    );
    let results: Vec<String> = steps
        .iter()
        .map(|s| {
            get(&get(&s, "event"), "result")
                .as_string()
                .unwrap_or_default()
        })
        .collect();
    assert!(results.iter().any(|r| r == "-EPERM"), "{results:?}");
    assert!(get(&run, "sysfs").as_string().is_some());
    let thrown = iommu_web::api::run(
        "iommu dmar0
bind 05:00.0 igb
",
        Some("v5.19".into()),
    )
    .expect_err("throws");
    assert_eq!(get(&thrown, "line").as_f64(), Some(2.0));
    assert_eq!(get(&thrown, "col").as_f64(), Some(6.0));
    let tegra = preset("tegra-host1x.iommu").expect("a preset");
    let cmp = iommu_web::api::compare(tegra).expect("an object");
    let gens: js_sys::Array = get(&cmp, "generations").unchecked_into();
    assert_eq!(gens.length(), 6);
    let rows: js_sys::Array = get(&cmp, "rows").unchecked_into();
    let attach = rows
        .iter()
        .find(|r| get(r, "call").as_string().as_deref() == Some("iommu_attach_device(d1, gr2d)"))
        .expect("the attach row");
    let results: Vec<String> = js_sys::Array::from(&get(&attach, "results"))
        .iter()
        .filter_map(|v| v.as_string())
        .collect();
    assert_eq!(
        results,
        ["0", "-EINVAL", "-EINVAL", "0", "-EINVAL", "-EINVAL"]
    );
}

#[wasm_bindgen_test]
async fn an_error_shows_line_and_column_and_keeps_the_text() {
    let root = mount(State::initial()).await;
    let area = textarea(&root);
    let typed = "iommu dmar0 kind=generic\nbogus_call(d1)\n";
    area.set_value(typed);
    area.dispatch_event(&bubbling("input")).expect("dispatched");
    settle().await;
    let errors = text(&find(&root, "ul.errors"));
    assert!(errors.contains("2:1"), "errors: {errors}");
    assert!(errors.contains("bogus_call"), "errors: {errors}");
    let inline = text(&find(&root, ".overlay .code-line.has-error .inline-error"));
    assert!(inline.contains("2:1"), "inline: {inline}");
    assert_eq!(text(&find(&root, ".gutter-line.error")), "✗2");
    assert_eq!(textarea(&root).value(), typed);
}

#[wasm_bindgen_test]
async fn preset_menu_loads_a_preset() {
    let root = mount(State::initial()).await;
    let menu: HtmlSelectElement = find(&root, "select.preset-menu").unchecked_into();
    menu.set_value("language-tour.iommu");
    menu.dispatch_event(&bubbling("change"))
        .expect("dispatched");
    settle().await;
    assert_eq!(
        textarea(&root).value(),
        preset("language-tour.iommu").expect("a preset")
    );
    assert!(text(&find(&root, "details.about summary")).contains("A tour of the scenario language"));
}

#[wasm_bindgen_test]
async fn stepping_moves_the_current_row() {
    let tour = preset("language-tour.iommu").expect("a preset");
    let root = mount(State::new(tour, None, 0)).await;
    assert!(all(&root, ".trace-row.current").is_empty());
    let forward = find(&root, "button[aria-label='Step forward']");
    forward.unchecked_ref::<web_sys::HtmlElement>().click();
    settle().await;
    forward.unchecked_ref::<web_sys::HtmlElement>().click();
    settle().await;
    assert_eq!(text(&find(&root, ".trace-row.current .step-no")), "2");
    let init = web_sys::KeyboardEventInit::new();
    init.set_bubbles(true);
    init.set_key("ArrowRight");
    let key = web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init)
        .expect("a key event");
    find(&root, "section.trace")
        .dispatch_event(&key)
        .expect("dispatched");
    settle().await;
    assert_eq!(text(&find(&root, ".trace-row.current .step-no")), "3");
    assert!(text(&find(&root, ".step-status")).starts_with("step 3/"));
}

#[wasm_bindgen_test]
async fn a_share_url_round_trips() {
    let tour = preset("language-tour.iommu").expect("a preset").to_string();
    let shared = Shared {
        text: tour.clone(),
        era: Era::Singleton,
        cursor: 4,
    };
    let hash = format!("#{}", share::encode(&shared));
    assert_eq!(share::decode(&hash), Ok(shared));
    let root = mount(boot_from(&hash, None)).await;
    assert_eq!(textarea(&root).value(), tour);
    let era: HtmlSelectElement = find(&root, "select.era-select").unchecked_into();
    assert_eq!(era.value(), "singleton");
    assert_eq!(text(&find(&root, ".trace-row.current .step-no")), "4");
}

#[wasm_bindgen_test]
async fn hostile_share_links_give_a_clear_message() {
    let long = format!("#s1.{}", "A".repeat(share::MAX_HASH + 10));
    let root = mount(boot_from(&long, None)).await;
    let notice = text(&find(&root, ".notice"));
    assert!(notice.contains("too long"), "notice: {notice}");
    assert_eq!(textarea(&root).value(), default_text());

    let root = mount(boot_from("#s1.<img src=x onerror=alert(1)>", None)).await;
    assert!(text(&find(&root, ".notice")).contains("damaged"));
    assert!(all(&root, "img").is_empty());

    // 1 MiB of text that deflates to a few KiB: refused after 256 KiB of inflating.
    let big = Shared {
        text: "#".repeat(1 << 20),
        era: Era::Current,
        cursor: 0,
    };
    let root = mount(boot_from(&share::encode(&big), None)).await;
    assert!(text(&find(&root, ".notice")).contains("256 KiB"));
    assert_eq!(textarea(&root).value(), default_text());
}

#[wasm_bindgen_test]
async fn embed_mounts_two_widgets_on_one_page() {
    let page = fresh_root();
    page.set_inner_html(
        r#"<p>docs text</p>
           <div id="w1" data-iommu-scenario="gpu-audio.iommu"></div>
           <p>more docs</p>
           <div id="w2" data-iommu-scenario="" data-iommu-era="v5.19"></div>"#,
    );
    // Scenario text in the attribute, with characters that would be markup.
    find(&page, "#w2")
        .set_attribute(
            "data-iommu-scenario",
            "# <b>not bold</b>\niommu smmu0 kind=arm-smmu-v2\nplatform gpu0 iommu=smmu0 sid=0x10\n",
        )
        .expect("set");
    assert_eq!(iommu_web::mount_widgets(&page), 2);
    settle().await;
    let widgets = all(&page, ".iommu-widget");
    assert_eq!(widgets.len(), 2);
    let w1 = find(&page, "#w1");
    let w2 = find(&page, "#w2");
    let drawn = |w: &Element| -> Vec<String> {
        all(w, "g.device")
            .iter()
            .filter_map(|e| e.get_attribute("data-device"))
            .collect()
    };
    assert!(drawn(&w1).contains(&"01:00.1".to_string()));
    assert!(drawn(&w2).contains(&"gpu0".to_string()));
    assert!(!all(&w1, "g.group-region").is_empty());
    assert!(text(&w2).contains("era v5.19"));
    assert!(
        all(&w2, "b").is_empty(),
        "attribute text was injected as HTML"
    );
    assert!(text(&find(&w2, ".widget-title")).contains("<b>not bold</b>"));
    let href = || {
        find(&w1, "a.open-link")
            .get_attribute("href")
            .unwrap_or_default()
    };
    until(|| href().contains('#')).await;
    let link = href();
    assert!(link.contains("#s1."), "link: {link}");
    // Read-only: no editor in a widget.
    assert!(all(&page, "textarea").is_empty());
    // Mounting again mounts nothing twice.
    assert_eq!(iommu_web::mount_widgets(&page), 0);
}

#[wasm_bindgen_test]
fn js_api_parses_and_reports_errors_with_line_and_col() {
    let get = |v: &wasm_bindgen::JsValue, k: &str| {
        js_sys::Reflect::get(v, &k.into()).expect("a property")
    };
    let ok = iommu_web::api::parse("generation v5.19\niommu  smmu0\n").expect("an object");
    assert_eq!(get(&ok, "ok").as_bool(), Some(true));
    assert_eq!(get(&ok, "generation").as_string().as_deref(), Some("v5.19"));
    assert_eq!(
        get(&ok, "canonical").as_string().as_deref(),
        Some("generation v5.19\niommu smmu0\n")
    );
    let bad = iommu_web::api::parse("iommu smmu0\nbogus_call(x)\n").expect("an object");
    assert_eq!(get(&bad, "ok").as_bool(), Some(false));
    let first = js_sys::Reflect::get_u32(&get(&bad, "errors"), 0).expect("an error");
    assert_eq!(get(&first, "line").as_f64(), Some(2.0));
    assert_eq!(get(&first, "col").as_f64(), Some(1.0));
    let thrown = iommu_web::api::print("iommu smmu0\nbogus_call(x)\n").expect_err("throws");
    assert!(thrown.is_instance_of::<js_sys::Error>());
    assert_eq!(get(&thrown, "line").as_f64(), Some(2.0));
}

#[wasm_bindgen_test]
async fn the_era_menu_rewrites_the_generation_line() {
    let tour = preset("language-tour.iommu").expect("a preset");
    let root = mount(State::new(tour, None, 0)).await;
    let era: HtmlSelectElement = find(&root, "select.era-select").unchecked_into();
    era.set_value("legacy");
    era.dispatch_event(&bubbling("change")).expect("dispatched");
    settle().await;
    let value = textarea(&root).value();
    assert!(value.contains("\ngeneration legacy\n"), "{value}");
    assert_eq!(
        value.replace("generation legacy", "generation current"),
        tour
    );
}

#[wasm_bindgen_test]
async fn the_view_is_saved_to_local_storage_and_the_url() {
    use gloo_storage::{LocalStorage, Storage};
    use iommu_web::persist::{self, Saved, KEY};
    let window = web_sys::window().expect("a window");
    let before = window.location().href().expect("a URL");
    persist::save("iommu dmar0\n", Era::V5_19, 0);
    let saved: Saved = LocalStorage::get(KEY).expect("saved");
    assert_eq!(saved.text, "iommu dmar0\n");
    assert_eq!(saved.era, "v5.19");
    // The URL follows once the browser has compressed the view (asynchronously), and
    // only the latest save writes it.
    persist::save("iommu dmar1\n", Era::V5_19, 0);
    persist::save("iommu dmar0\n", Era::V5_19, 0);
    until(|| share::decode(&persist::current_hash()).is_ok_and(|s| s.text == "iommu dmar0\n"))
        .await;
    let shared = share::decode(&persist::current_hash()).expect("a share hash");
    assert_eq!(shared.text, "iommu dmar0\n");
    // A reload with no hash comes back to the saved text.
    let s = boot_from("", Some(saved));
    assert_eq!((&*s.text, s.era), ("iommu dmar0\n", Era::V5_19));
    LocalStorage::delete(KEY);
    let _ = window.history().expect("a history").replace_state_with_url(
        &wasm_bindgen::JsValue::NULL,
        "",
        Some(&before),
    );
}

fn key(kind: &str, key: &str, ctrl: bool) -> web_sys::KeyboardEvent {
    let init = web_sys::KeyboardEventInit::new();
    init.set_bubbles(true);
    init.set_cancelable(true);
    init.set_key(key);
    init.set_ctrl_key(ctrl);
    web_sys::KeyboardEvent::new_with_keyboard_event_init_dict(kind, &init).expect("a key event")
}

#[wasm_bindgen_test]
async fn ctrl_enter_runs_the_edited_text_and_arrows_step_it() {
    let root = mount(State::initial()).await;
    assert!(
        all(&root, ".trace-row:not(.boot)").is_empty(),
        "the default preset makes no calls"
    );
    let area = textarea(&root);
    area.set_value(
        "iommu smmu0 kind=arm-smmu-v2\nd1 = iommu_domain_alloc(smmu0)\niommu_domain_free(d1)\n",
    );
    area.dispatch_event(&bubbling("input")).expect("dispatched");
    settle().await;
    assert!(text(&find(&root, ".step-status")).contains("Run (Ctrl-Enter) to update"));
    area.dispatch_event(&key("keydown", "Enter", true))
        .expect("dispatched");
    settle().await;
    let rows: Vec<String> = all(&root, ".trace-row code").iter().map(text).collect();
    assert_eq!(
        rows,
        ["d1 = iommu_domain_alloc(smmu0)", "iommu_domain_free(d1)"]
    );
    assert_eq!(text(&find(&root, ".step-status")), "step 0/2");
    // The arrows step from anywhere outside a text field…
    find(&root, ".topology")
        .dispatch_event(&key("keydown", "ArrowRight", false))
        .expect("dispatched");
    settle().await;
    assert_eq!(text(&find(&root, ".step-status")), "step 1/2");
    // …but move the caret inside the editor.
    area.dispatch_event(&key("keydown", "ArrowRight", false))
        .expect("dispatched");
    settle().await;
    assert_eq!(text(&find(&root, ".step-status")), "step 1/2");
}

#[wasm_bindgen_test]
async fn the_share_button_gives_a_link_to_this_view() {
    let tour = preset("language-tour.iommu").expect("a preset");
    let root = mount(State::new(tour, Some(Era::Unified), 3)).await;
    find(&root, ".share > button")
        .unchecked_ref::<web_sys::HtmlElement>()
        .click();
    until(|| !all(&root, "input.share-link[data-ready='true']").is_empty()).await;
    let link: web_sys::HtmlInputElement = find(&root, "input.share-link").unchecked_into();
    let value = link.value();
    let hash = value.split_once('#').map(|(_, h)| h).unwrap_or_default();
    let shared = share::decode(hash).expect("a share hash");
    assert_eq!(
        (shared.text.as_str(), shared.era, shared.cursor),
        (tour, Era::Unified, 3)
    );
}

/// Nothing mapped yet in any domain (a grouping scenario): the page-table pane folds to one
/// line and the drawing of the machine has the column; opened, the counters are there.
#[wasm_bindgen_test]
async fn an_unmapped_page_table_pane_folds_to_one_line() {
    let (_style, root) = desk(State::initial()).await;
    let pane = find(&root, ".page-table");
    assert!(pane.class_list().contains("quiet"));
    assert!(text(&find(&pane, "summary")).contains("5 paging domains, nothing mapped yet"));
    let folded = pane.get_bounding_client_rect().height();
    assert!(folded < 60.0, "{folded} px");
    let topo = find(&root, ".topology").get_bounding_client_rect().height();
    assert!(topo > 500.0, "the drawing's pane: {topo} px");
    click(&find(&pane, "summary"));
    settle().await;
    assert_eq!(all(&pane, "table.counters tbody tr").len(), 5);
    root.remove();
    // Something mapped: the pane as before.
    let lpae = preset("lpae-granules.iommu").expect("a preset");
    let (_style, root) = desk(State::new(lpae, None, 99)).await;
    assert!(!find(&root, ".page-table").class_list().contains("quiet"));
    root.remove();
}

#[wasm_bindgen_test]
async fn the_page_table_panel_shows_counters_and_mapped_ranges() {
    let scenario = "iommu smmu0 kind=arm-smmu-v3\n\
                d1 = iommu_domain_alloc(smmu0)\n\
                iommu_map(d1, 0x10_0000, 0xa000_0000, 4K, RW)\n\
                iommu_map(d1, 0x10_1000, 0xa000_1000, 4K, RW)\n";
    let root = mount(State::new(scenario, None, 99)).await;
    let row = find(&root, ".page-table tr[data-domain='d1']");
    let cells: Vec<String> = all(&row, "td").iter().map(text).collect();
    // Two leaf writes and three table installs; the pgd and three tables below it.
    assert_eq!(
        cells.get(..2),
        Some(&["5".to_string(), "4".to_string()][..]),
        "{cells:?}"
    );
    let ranges = text(&find(&root, ".ranges[data-domain='d1'] .range-list"));
    assert!(
        ranges.contains("0x100000–0x101fff → 0xa0000000"),
        "{ranges}"
    );
    assert!(ranges.contains("L3 page 4K×2"), "{ranges}");
}

#[wasm_bindgen_test]
async fn acs_what_if_shows_the_groups_that_split_and_keeps_the_text() {
    let board = preset("consumer-board-no-acs.iommu").expect("a preset");
    let root = mount(State::booted(board, None)).await;
    let port = find(&root, ".topology g.device[data-device='00:1c.0']");
    port.dispatch_event(&bubbling("click")).expect("dispatched");
    settle().await;
    // An endpoint has no what-if; the port has, and it offers to switch ACS on.
    let button = find(&root, ".details .what-if-toggle");
    assert_eq!(text(&button), "what if ACS SV,RR,CR,UF were on?");
    click(&button);
    settle().await;
    let result = find(&root, ".details .what-if-result");
    assert_eq!(
        text(&find(&result, "p")),
        "ACS on at 00:1c.0 (acs=SV,RR,CR,UF instead of none):"
    );
    let changes: Vec<String> = all(&result, "li").iter().map(text).collect();
    assert_eq!(
        changes,
        vec![
            "group 2 {00:1c.0 00:1c.4 01:00.0 02:00.0} splits into {00:1c.0} {00:1c.4 02:00.0} {01:00.0}"
                .to_string()
        ]
    );
    // A what-if only: the text and the drawn groups are as they were.
    assert_eq!(textarea(&root).value(), board);
    region(&root, "00:1c.0 00:1c.4 01:00.0 02:00.0");
    // The NIC (an endpoint) offers none.
    let nic = find(&root, ".topology g.device[data-device='01:00.0']");
    nic.dispatch_event(&bubbling("click")).expect("dispatched");
    settle().await;
    assert!(all(&root, ".details .what-if-toggle").is_empty());
}

#[wasm_bindgen_test]
async fn a_mapped_range_shows_its_pte_decoded() {
    let scenario = "iommu smmu0 kind=arm-smmu-v3\n\
                d1 = iommu_domain_alloc(smmu0)\n\
                iommu_map(d1, 0x10_0000, 0xa000_0000, 4K, RW)\n\
                iommu_map(d1, 0x10_1000, 0xa000_1000, 4K, RW)\n\
                iommu_map(d1, 0x40_0000, 0xc000_0000, 2M, READ)\n";
    let root = mount(State::new(scenario, None, 99)).await;
    assert!(all(&root, ".pte-details").is_empty());
    let ranges = all(&root, ".ranges[data-domain='d1'] .range-list li.range");
    assert_eq!(ranges.len(), 2, "{}", root.inner_html());
    click(&ranges[0]);
    settle().await;
    let pte = find(&root, ".pte-details[data-domain='d1']");
    let field = |c: &str| text(&find(&pte, c));
    assert_eq!(field("h3"), "PTE d1 @ 0x100000");
    assert_eq!(field(".pte-level"), "L3 page");
    assert_eq!(field(".pte-size"), "4K page × 2");
    assert_eq!(field(".pte-oa"), "0xa0000000");
    assert_eq!(field(".pte-raw"), "0x00000000a0000e43");
    assert_eq!(field(".pte-ap"), "01 RW, unprivileged too");
    assert_eq!(field(".pte-xn"), "00 executable");
    assert_eq!(field(".pte-attr"), "0 Normal non-cacheable");
    assert_eq!(field(".pte-sh"), "10 outer shareable");
    assert_eq!(field(".pte-af"), "1");
    // The 2M block: a level-2 block descriptor, read-only.
    let ranges = all(&root, ".ranges[data-domain='d1'] .range-list li.range");
    click(&ranges[1]);
    settle().await;
    let pte = find(&root, ".pte-details[data-domain='d1']");
    assert_eq!(text(&find(&pte, ".pte-level")), "L2 block");
    assert_eq!(text(&find(&pte, ".pte-size")), "2M block × 1");
    assert_eq!(text(&find(&pte, ".pte-oa")), "0xc0000000");
    assert_eq!(text(&find(&pte, ".pte-ap")), "11 RO, unprivileged too");
    // A second click hides it.
    click(&ranges[1]);
    settle().await;
    assert!(all(&root, ".pte-details").is_empty());
}

/// Issue 8: a share link that maps 1 TiB as 4K pages (2^28 PTEs) loads, the map fails with
/// the per-domain table budget's -ENOMEM instead of exhausting the tab, and the UI answers.
#[wasm_bindgen_test]
async fn a_link_mapping_a_tebibyte_as_4k_pages_fails_cleanly() {
    // iova and pa are 4K-aligned but not congruent mod 2M, so iommu_pgsize() picks 4K.
    let scenario = "iommu smmu0 kind=arm-smmu-v3\n\
                d1 = iommu_domain_alloc(smmu0)\n\
                iommu_map(d1, 0x1000, 0x2000, 1T, RW)\n\
                iommu_iova_to_phys(d1, 0x1000)\n";
    let shared = Shared {
        text: scenario.to_string(),
        era: Era::Current,
        cursor: 99,
    };
    let root = mount(boot_from(&format!("#{}", share::encode(&shared)), None)).await;
    assert_eq!(textarea(&root).value(), scenario);
    let results: Vec<String> = all(&root, ".trace-row .result").iter().map(text).collect();
    assert_eq!(results, ["d1", "-ENOMEM", "0x0"]);
    // Still responsive: stepping back moves the cursor.
    let back = find(&root, "button[aria-label='Step back']");
    back.unchecked_ref::<web_sys::HtmlElement>().click();
    settle().await;
    assert!(text(&find(&root, ".step-status")).starts_with("step 2/"));
}

fn choose(root: &Element, value: &str) {
    let menu: HtmlSelectElement = find(root, "select.preset-menu").unchecked_into();
    menu.set_value(value);
    menu.dispatch_event(&bubbling("change"))
        .expect("dispatched");
}

/// Issue 14 item 1: a preset never destroys the user's scenario.
#[wasm_bindgen_test]
async fn your_scenario_comes_back_from_the_menu_undo_and_a_reload() {
    use gloo_storage::{LocalStorage, Storage};
    use iommu_web::persist;
    let root = mount(State::initial()).await;
    let mine = "iommu dmar0 kind=generic\n# my own   scenario\n";
    let area = textarea(&root);
    area.set_value(mine);
    area.dispatch_event(&bubbling("input")).expect("dispatched");
    settle().await;
    let first = find(&root, "select.preset-menu option");
    assert_eq!(text(&first), "Your scenario");
    choose(&root, "language-tour.iommu");
    settle().await;
    assert_ne!(textarea(&root).value(), mine);
    choose(&root, "");
    settle().await;
    assert_eq!(textarea(&root).value(), mine);
    // Undo in the editor brings back the text a preset replaced.
    choose(&root, "gpu-audio.iommu");
    settle().await;
    assert_eq!(textarea(&root).value(), default_text());
    textarea(&root)
        .dispatch_event(&key("keydown", "z", true))
        .expect("dispatched");
    settle().await;
    assert_eq!(textarea(&root).value(), mine);
    // localStorage keeps the last few; after a reload the first is "Your scenario" and
    // the others are in the menu.
    LocalStorage::delete(persist::MINE_KEY);
    for t in ["older\n", mine] {
        persist::keep_mine(t, false);
    }
    assert_eq!(persist::kept(), [mine, "older\n"]);
    let reloaded = boot_from("", None).with_kept(persist::kept());
    let root = mount(reloaded).await;
    assert_eq!(textarea(&root).value(), default_text());
    choose(&root, "");
    settle().await;
    assert_eq!(textarea(&root).value(), mine);
    choose(&root, "kept:0");
    settle().await;
    assert_eq!(textarea(&root).value(), "older\n");
    LocalStorage::delete(persist::MINE_KEY);
}

/// Issue 14 item 8: one bad line keeps the last good run drawn, marked stale, and lists the
/// errors at line:col.
#[wasm_bindgen_test]
async fn a_bad_line_keeps_the_last_good_run_drawn_and_marked_stale() {
    let root = mount(State::initial()).await;
    let drawn = |root: &Element| all(root, ".topology g.device").len();
    let devices = drawn(&root);
    assert!(devices > 0);
    assert!(all(&root, "[data-stale]").is_empty());
    let area = textarea(&root);
    let typed = format!("{}bogus_call(d1\n", default_text());
    area.set_value(&typed);
    area.dispatch_event(&bubbling("input")).expect("dispatched");
    settle().await;
    let line = default_text().split('\n').count();
    let errors = text(&find(&root, "ul.errors"));
    assert!(errors.contains(&format!("{line}:")), "errors: {errors}");
    assert_eq!(drawn(&root), devices, "the machine is still drawn");
    assert!(
        !all(&root, ".trace-row").is_empty(),
        "the trace is still drawn"
    );
    find(&root, ".topology [data-stale]");
    assert!(find(&root, "section.trace").class_list().contains("stale"));
    // Fixed and run: fresh again.
    area.set_value(default_text());
    area.dispatch_event(&bubbling("input")).expect("dispatched");
    area.dispatch_event(&key("keydown", "Enter", true))
        .expect("dispatched");
    settle().await;
    assert!(all(&root, "[data-stale]").is_empty());
    assert_eq!(drawn(&root), devices);
}

fn many_calls(n: usize) -> String {
    let mut s = String::from("iommu smmu0 kind=arm-smmu-v3\n");
    for i in 0..n {
        s.push_str(&format!("d{i} = iommu_domain_alloc(smmu0)\n"));
    }
    s
}

/// Issue 14 item 3: the step controls stay in view while the rows scroll.
#[wasm_bindgen_test]
async fn the_trace_controls_stay_in_view_while_the_rows_scroll() {
    let _style = with_style();
    let root = mount(State::new(&many_calls(80), None, 0)).await;
    let trace = find(&root, "section.trace");
    let bar = find(&trace, "[data-trace-controls]");
    assert!(!all(&bar, "button[aria-label='Step forward']").is_empty());
    assert!(!all(&bar, "input.slider").is_empty());
    assert!(!all(&bar, ".step-status").is_empty());
    trace.set_scroll_top(100_000);
    settle().await;
    assert!(trace.scroll_top() > 200, "the rows scroll");
    let (t, b) = (
        trace.get_bounding_client_rect(),
        bar.get_bounding_client_rect(),
    );
    assert!(
        (b.top() - t.top()).abs() < 3.0,
        "controls at {} while the trace box starts at {}",
        b.top(),
        t.top()
    );
}

/// Issue 14 item 4: a click anywhere on a row seeks; the details have their own control;
/// the clicked row does not move.
#[wasm_bindgen_test]
async fn a_row_click_seeks_and_nothing_moves_under_the_pointer() {
    let _style = with_style();
    let nic = preset("vfio-nic-shared-group.iommu").expect("a preset");
    let root = mount(State::booted(nic, None)).await;
    let status = |root: &Element| text(&find(root, ".step-status"));
    let current = find(&root, ".trace-row.current");
    assert!(
        !all(&current, ".row-more").is_empty(),
        "the booted step has details"
    );
    let rows = all(&root, ".trace-row");
    let at = rows
        .iter()
        .position(|r| r.class_list().contains("current"))
        .expect("a current row");
    let list = find(&root, "ol.trace-rows");
    let offset =
        |r: &Element| r.get_bounding_client_rect().top() - list.get_bounding_client_rect().top();
    // The next row: clicked on its line, it becomes current where it was.
    let next = &rows[at + 1];
    let before = offset(next);
    click(&find(next, ".row-seek"));
    settle().await;
    until(|| next.class_list().contains("current")).await;
    assert!(
        next.class_list().contains("current"),
        "{}",
        text(&find(&root, ".step-status"))
    );
    assert!(
        (offset(next) - before).abs() < 0.5,
        "the clicked row moved from {before} to {}",
        offset(next)
    );
    // Its details open with their own control, without seeking.
    let was = status(&root);
    let later = rows
        .iter()
        .skip(at + 2)
        .find(|r| !all(r, ".row-details").is_empty())
        .expect("a later row with details");
    assert!(find(later, ".row-more").has_attribute("hidden"));
    click(&find(later, ".row-details"));
    settle().await;
    assert!(!find(later, ".row-more").has_attribute("hidden"));
    assert_eq!(status(&root), was);
    // A click on the row's notes (not its first line) seeks too.
    click(&find(later, ".row-notes"));
    settle().await;
    assert!(later.class_list().contains("current"));
}

/// Issue 14 item 6: after Run the view lands on the first failure, whose row says why in
/// the engine's sentence.
#[wasm_bindgen_test]
async fn run_lands_on_the_first_failure_and_says_why() {
    let nic = preset("vfio-nic-shared-group.iommu").expect("a preset");
    let root = mount(State::booted(nic, None)).await;
    let area = textarea(&root);
    area.dispatch_event(&key("keydown", "Enter", true))
        .expect("dispatched");
    settle().await;
    let current = find(&root, ".trace-row.current");
    assert!(text(&find(&current, "code")).starts_with("vfio_group_set_container"));
    assert_eq!(text(&find(&current, ".result")), "-EPERM");
    let why = text(&find(&current, ".note.why"));
    assert!(why.contains("01:00.1 (driver igb)"), "{why}");
    // The later -EBUSY bind names the owner holding the group.
    let last = all(&root, ".trace-row").pop().expect("rows");
    assert!(text(&find(&last, ".note.why")).contains("owned by vm1"));
}

fn escape() {
    let doc = web_sys::window()
        .and_then(|w| w.document())
        .expect("a document");
    doc.body()
        .expect("a body")
        .dispatch_event(&key("keydown", "Escape", false))
        .expect("dispatched");
}

/// Issue 14 item 9: compare fits (the call column stays while the eras scroll sideways),
/// comes back from a share link (old links still open), and Esc closes it and the Share
/// popover.
#[wasm_bindgen_test]
async fn compare_fits_is_shared_and_closes_with_escape() {
    let _style = with_style();
    let tegra = preset("tegra-host1x.iommu").expect("a preset");
    let view = share::SharedView {
        shared: Shared {
            text: tegra.to_string(),
            era: Era::Current,
            cursor: 3,
        },
        compare: true,
    };
    let root = mount(boot_from(&format!("#{}", share::encode_view(&view)), None)).await;
    let scroll = find(&root, ".compare .compare-scroll");
    // A narrow pane (a phone): the table scrolls sideways, the call column stays.
    scroll
        .set_attribute("style", "max-width: 260px")
        .expect("styled");
    scroll.set_scroll_left(10_000);
    settle().await;
    assert!(scroll.scroll_left() > 50, "the eras scroll sideways");
    let call = find(&root, ".compare-row td.call");
    let (s, c) = (
        scroll.get_bounding_client_rect(),
        call.get_bounding_client_rect(),
    );
    assert!(
        (c.left() - s.left()).abs() < 2.0,
        "call column at {} in a box at {}",
        c.left(),
        s.left()
    );
    // The share link of this view keeps compare open.
    click(&find(&root, ".share > button"));
    until(|| !all(&root, "input.share-link[data-ready='true']").is_empty()).await;
    let link: web_sys::HtmlInputElement = find(&root, "input.share-link").unchecked_into();
    let hash = link
        .value()
        .split_once('#')
        .map(|(_, h)| h.to_string())
        .unwrap_or_default();
    assert_eq!(share::decode_view(&hash).map(|v| v.compare), Ok(true));
    // Esc closes the popover first, then compare.
    escape();
    until(|| all(&root, ".share-pop").is_empty()).await;
    assert!(all(&root, ".share-pop").is_empty());
    assert!(!all(&root, ".compare").is_empty());
    escape();
    until(|| all(&root, ".compare").is_empty()).await;
    assert!(all(&root, ".compare").is_empty());
    // An old (version 1) link still opens, compare closed.
    let old = share::encode(&view.shared);
    let root = mount(boot_from(&old, None)).await;
    assert_eq!(textarea(&root).value(), tegra);
    assert!(all(&root, ".compare").is_empty());
}

/// Issue 14 item 5: the editor marks the current step's line; a click on a line number or
/// a Compare cell seeks to that line's step (in that cell's era).
#[wasm_bindgen_test]
async fn the_editor_marks_the_current_line_and_lines_and_cells_seek() {
    let nic = preset("vfio-nic-shared-group.iommu").expect("a preset");
    let root = mount(State::booted(nic, None)).await;
    let marked = |root: &Element| {
        find(root, ".editor-stack .current-line")
            .get_attribute("data-line")
            .unwrap_or_default()
    };
    let row_line = |root: &Element| text(&find(root, ".trace-row.current .line-no"));
    assert_eq!(format!("line {}", marked(&root)), row_line(&root));
    click(&find(&root, "button[aria-label='Step forward']"));
    settle().await;
    assert_eq!(format!("line {}", marked(&root)), row_line(&root));
    // The second claim is on line 32: a click on its number seeks there.
    click(&find(&root, ".gutter .gutter-line[data-line='32']"));
    settle().await;
    assert_eq!(row_line(&root), "line 32");
    assert_eq!(marked(&root), "32");
    assert_eq!(text(&find(&root, ".trace-row.current .result")), "0");
    // A Compare cell: its era, its line.
    click(&find(&root, "button.compare-toggle"));
    settle().await;
    let cell = find(&root, ".compare-row[data-line='27'] td[data-era='legacy']");
    click(&cell);
    settle().await;
    let era: HtmlSelectElement = find(&root, "select.era-select").unchecked_into();
    assert_eq!(era.value(), "legacy");
    assert_eq!(row_line(&root), "line 27");
}

/// The current-line bar lies on its line (the same top as that line's number in the
/// gutter) at every step, and it moves by a transform, not by its layout position: moving
/// it must not make the browser lay out the editor's text again (a 10,000-line scenario
/// took ≈ 100 ms a step that way).
#[wasm_bindgen_test]
async fn the_current_line_bar_sits_on_its_line_and_moves_without_layout() {
    let _style = with_style();
    let nic = preset("vfio-nic-shared-group.iommu").expect("a preset");
    let root = mount(State::booted(nic, None)).await;
    let mut seen = Vec::new();
    for _ in 0..4 {
        let bar = find(&root, ".editor-stack .current-line");
        let line = bar.get_attribute("data-line").unwrap_or_default();
        let number = find(&root, &format!(".gutter .gutter-line[data-line='{line}']"));
        let (b, n) = (
            bar.get_bounding_client_rect(),
            number.get_bounding_client_rect(),
        );
        assert!(
            (b.top() - n.top()).abs() < 0.5,
            "line {line}: bar at {}, number at {}",
            b.top(),
            n.top()
        );
        assert!((b.height() - n.height()).abs() < 0.5, "line {line}");
        let layout_top = bar.unchecked_ref::<web_sys::HtmlElement>().offset_top();
        seen.push((line, layout_top));
        click(&find(&root, "button[aria-label='Step forward']"));
        settle().await;
    }
    let lines: std::collections::BTreeSet<&String> = seen.iter().map(|(l, _)| l).collect();
    assert!(lines.len() > 1, "the bar moved: {seen:?}");
    assert!(seen.iter().all(|(_, top)| *top == seen[0].1), "{seen:?}");
}

/// A real machine's group listing (the import fixtures: shared/real-machines).
const Z170: &str = include_str!("../../engine/src/import/fixtures/asrock-z170-gaming-itx.txt");

/// Pastes `pasted` into "Import your machine" and presses Import.
async fn import_paste(root: &Element, pasted: &str) {
    click(&find(root, "button.import-open"));
    settle().await;
    let area: HtmlTextAreaElement = find(root, "textarea.import-paste").unchecked_into();
    area.set_value(pasted);
    area.dispatch_event(&bubbling("input")).expect("dispatched");
    settle().await;
    click(&find(root, "button.import-run"));
    settle().await;
}

fn import_groups(root: &Element) -> Vec<(String, String, String)> {
    all(root, ".import-group")
        .iter()
        .map(|e| {
            let a = |k: &str| e.get_attribute(k).unwrap_or_default();
            (a("data-real"), a("data-members"), a("data-same"))
        })
        .collect()
}

#[wasm_bindgen_test]
async fn import_draws_a_real_machines_groups_and_answers_what_ifs() {
    let root = mount(State::initial()).await;
    import_paste(&root, Z170).await;
    until(|| !all(&root, ".import-group").is_empty()).await;
    assert_eq!(
        find(&root, ".import-machine")
            .get_attribute("data-import")
            .as_deref(),
        Some("done")
    );
    let groups = import_groups(&root);
    assert_eq!(groups.len(), 14, "{groups:?}");
    assert!(groups.contains(&("1".into(), "00:01.0 01:00.0 01:00.1".into(), "true".into())));
    assert!(groups.iter().all(|g| g.2 == "true"), "{groups:?}");
    assert_eq!(
        find(&root, ".import-result")
            .get_attribute("data-reproduced")
            .as_deref(),
        Some("true")
    );
    // What if the kernel had `pcie_acs_override=downstream`: the CPU's x16 port leaves the
    // GPU's group; GPU and audio stay together (a multifunction device without ACS).
    click(&find(
        &root,
        "input[data-setting='pcie_acs_override=downstream']",
    ));
    settle().await;
    let g1 = find(&root, ".import-group[data-real='1']");
    assert_eq!(g1.get_attribute("data-same").as_deref(), Some("false"));
    let sims: Vec<String> = all(&g1, ".import-sim-group")
        .iter()
        .filter_map(|e| e.get_attribute("data-members"))
        .collect();
    assert_eq!(sims, vec!["00:01.0", "01:00.0 01:00.1"]);
    assert_eq!(
        find(&root, ".import-what-if")
            .get_attribute("data-split")
            .as_deref(),
        Some("1")
    );
    // And `multifunction` too: the audio function gets its own group.
    click(&find(
        &root,
        "input[data-setting='pcie_acs_override=multifunction']",
    ));
    settle().await;
    let g1 = find(&root, ".import-group[data-real='1']");
    let sims: Vec<String> = all(&g1, ".import-sim-group")
        .iter()
        .filter_map(|e| e.get_attribute("data-members"))
        .collect();
    assert_eq!(sims, vec!["00:01.0", "01:00.0", "01:00.1"]);
    // Opened in the playground: the imported scenario (with the what-if) is the editor's
    // text and the machine is drawn with the what-if's groups.
    click(&find(&root, "button.import-open-scenario"));
    until(|| {
        textarea(&root)
            .value()
            .contains("pcie_acs_override=downstream,multifunction")
    })
    .await;
    until(|| {
        all(&root, ".topology g.group-region")
            .iter()
            .any(|e| e.get_attribute("data-members").as_deref() == Some("01:00.1"))
    })
    .await;
    let regions: Vec<String> = all(&root, ".topology g.group-region")
        .iter()
        .filter_map(|e| e.get_attribute("data-members"))
        .collect();
    assert!(regions.contains(&"01:00.0".to_string()), "{regions:?}");
    assert!(
        regions.contains(&"00:14.0 00:14.2".to_string()),
        "{regions:?}"
    );
}

#[wasm_bindgen_test]
async fn a_failed_import_keeps_the_pasted_text_and_says_where() {
    let root = mount(State::initial()).await;
    let pasted = "hello\nnothing here is lspci\n";
    import_paste(&root, pasted).await;
    until(|| !all(&root, ".import-error").is_empty()).await;
    let e = find(&root, ".import-error");
    assert!(e.get_attribute("data-line").is_some());
    assert!(e.get_attribute("data-col").is_some());
    assert_eq!(
        find(&root, ".import-machine")
            .get_attribute("data-import")
            .as_deref(),
        Some("failed")
    );
    let area: HtmlTextAreaElement = find(&root, "textarea.import-paste").unchecked_into();
    assert_eq!(area.value(), pasted);
    // The editor's scenario is untouched.
    assert_eq!(textarea(&root).value(), default_text());
}

fn checked(root: &Element, setting: &str) -> bool {
    find(root, &format!("input[data-setting='{setting}']"))
        .unchecked_into::<web_sys::HtmlInputElement>()
        .checked()
}

fn sims_of(root: &Element, real: &str) -> Vec<String> {
    let g = find(root, &format!(".import-group[data-real='{real}']"));
    all(&g, ".import-sim-group")
        .iter()
        .filter_map(|e| e.get_attribute("data-members"))
        .collect()
}

#[wasm_bindgen_test]
async fn import_toggles_start_as_pasted_switch_both_ways_and_reset() {
    let root = mount(State::initial()).await;
    let pasted = format!(
        "{Z170}\n$ cat /proc/cmdline\nBOOT_IMAGE=/vmlinuz root=/dev/sda1 pcie_acs_override=downstream,multifunction iommu=pt\n"
    );
    import_paste(&root, &pasted).await;
    until(|| !all(&root, ".import-group").is_empty()).await;
    let ds = "pcie_acs_override=downstream";
    let mf = "pcie_acs_override=multifunction";
    assert!(checked(&root, ds) && checked(&root, mf) && checked(&root, "iommu=pt"));
    assert!(!checked(&root, "acs-fix=on"));
    // As pasted: the override splits the GPU's group; no what-if yet, reset disabled.
    assert_eq!(sims_of(&root, "1"), vec!["00:01.0", "01:00.0", "01:00.1"]);
    assert!(all(&root, ".import-what-if").is_empty());
    assert!(find(&root, "button.import-reset").has_attribute("disabled"));
    // `downstream` switched off: the CPU's port has no ACS again, so everything behind it
    // shares its group (as the listing says), `multifunction` or not.
    click(&find(&root, &format!("input[data-setting='{ds}']")));
    settle().await;
    assert!(!checked(&root, ds) && checked(&root, mf));
    assert_eq!(sims_of(&root, "1"), vec!["00:01.0 01:00.0 01:00.1"]);
    click(&find(&root, &format!("input[data-setting='{mf}']")));
    settle().await;
    assert!(!checked(&root, mf));
    assert_eq!(sims_of(&root, "1"), vec!["00:01.0 01:00.0 01:00.1"]);
    assert_eq!(
        find(&root, ".import-group[data-real='1']")
            .get_attribute("data-same")
            .as_deref(),
        Some("true")
    );
    assert_eq!(
        find(&root, ".import-what-if")
            .get_attribute("data-merged")
            .as_deref(),
        Some("2"),
        "the GPU's group and the chipset's multifunction devices"
    );
    // And back on: as pasted again.
    click(&find(&root, &format!("input[data-setting='{ds}']")));
    settle().await;
    assert!(checked(&root, ds));
    assert_eq!(sims_of(&root, "1"), vec!["00:01.0", "01:00.0 01:00.1"]);
    // Reset: every toggle as the paste set it, no what-if.
    click(&find(&root, "button.import-reset"));
    settle().await;
    assert!(checked(&root, ds) && checked(&root, mf) && checked(&root, "iommu=pt"));
    assert!(all(&root, ".import-what-if").is_empty());
    assert_eq!(sims_of(&root, "1"), vec!["00:01.0", "01:00.0", "01:00.1"]);
    // Opened with the override switched off: the pasted line, then the what-if's setting.
    click(&find(&root, &format!("input[data-setting='{ds}']")));
    settle().await;
    click(&find(&root, &format!("input[data-setting='{mf}']")));
    settle().await;
    click(&find(&root, "button.import-open-scenario"));
    until(|| {
        textarea(&root).value().contains(
            "config pcie_acs_override=downstream,multifunction iommu=pt pcie_acs_override=off\n",
        )
    })
    .await;
}

#[wasm_bindgen_test]
async fn a_share_link_reopens_the_import_panel_and_esc_closes_it() {
    let root = mount(State::initial()).await;
    import_paste(&root, Z170).await;
    until(|| !all(&root, ".import-group").is_empty()).await;
    let ds = "pcie_acs_override=downstream";
    click(&find(&root, &format!("input[data-setting='{ds}']")));
    settle().await;
    click(&find(&root, ".share button"));
    until(|| !all(&root, "input.share-link[data-ready='true']").is_empty()).await;
    let link: web_sys::HtmlInputElement = find(&root, "input.share-link").unchecked_into();
    let link = link.value();
    let hash = link.split_once('#').map(|(_, h)| h).expect("a hash");
    click(&find(&root, ".share > button"));
    settle().await;
    let (_, import) = share::decode_with_import(hash).expect("a view");
    let import = import.expect("the import panel in the link");
    assert_eq!(
        (import.paste.as_str(), import.toggles.as_str()),
        (Z170, "10000")
    );
    // Opened: the panel is open with the same paste, imported, with the same toggles.
    let root = mount(boot_from(hash, None)).await;
    until(|| !all(&root, ".import-group").is_empty()).await;
    let area: HtmlTextAreaElement = find(&root, "textarea.import-paste").unchecked_into();
    assert_eq!(area.value(), Z170);
    assert!(checked(&root, ds));
    assert!(!checked(&root, "pcie_acs_override=multifunction"));
    assert_eq!(sims_of(&root, "1"), vec!["00:01.0", "01:00.0 01:00.1"]);
    // Esc closes it, and only it: compare, open under the sheet, waits for the next Esc.
    click(&find(&root, "button.compare-toggle"));
    until(|| !all(&root, ".compare").is_empty()).await;
    escape();
    settle().await;
    assert!(all(&root, ".import-body").is_empty());
    assert_eq!(
        find(&root, "button.import-open")
            .get_attribute("aria-expanded")
            .as_deref(),
        Some("false")
    );
    assert!(!all(&root, ".compare").is_empty(), "one Esc closed both");
    escape();
    settle().await;
    assert!(all(&root, ".compare").is_empty());
}

#[wasm_bindgen_test]
async fn the_import_sheet_leaves_the_panes_alone_and_lists_the_what_if_groups() {
    let (_style, root) = desk(State::initial()).await;
    let before = find(&root, ".panes").get_bounding_client_rect();
    import_paste(&root, Z170).await;
    until(|| !all(&root, ".import-group").is_empty()).await;
    click(&find(
        &root,
        "input[data-setting='pcie_acs_override=downstream']",
    ));
    settle().await;
    // The open panel is a sheet over the panes: they keep their size at 1400×900.
    let after = find(&root, ".panes").get_bounding_client_rect();
    assert_near(after.width(), before.width());
    assert_near(after.height(), before.height());
    let body = find(&root, ".import-body");
    let position = web_sys::window()
        .and_then(|w| w.get_computed_style(&body).ok().flatten())
        .and_then(|c| c.get_property_value("position").ok());
    assert_eq!(position.as_deref(), Some("absolute"));
    // Its button is in the toolbar (no row of its own above the panes) and the sheet hangs
    // from the toolbar's bottom edge, inside the playground.
    assert_eq!(all(&root, ".toolbar button.import-open").len(), 1);
    let bar = find(&root, ".toolbar").get_bounding_client_rect();
    assert_near(after.top(), bar.bottom());
    let sheet = body.get_bounding_client_rect();
    let page = root.get_bounding_client_rect();
    assert_near(sheet.top(), bar.bottom());
    assert!(sheet.left() >= page.left() && sheet.right() <= page.right());
    // The what-if: one row per group that changes, before → after, the split one marked.
    let rows = all(&root, ".import-what-if-changes li");
    assert_eq!(rows.len(), 1);
    let row = rows.first().expect("a row");
    assert_eq!(row.class_name(), "split");
    assert_eq!(
        text(&find(row, ".what-if-before")),
        "{00:01.0 01:00.0 01:00.1}"
    );
    let after = text(&find(row, ".what-if-after"));
    assert!(
        after.contains("{00:01.0}") && after.contains("{01:00.0 01:00.1}"),
        "{after}"
    );
    assert!(text(&find(&root, ".import-what-if-head")).contains("14 groups → 15"));
}

/// Types `iova` into domain `label`'s walk field and returns the drawn walk.
async fn walk(root: &Element, label: &str, iova: &str) -> Element {
    let input: web_sys::HtmlInputElement = find(
        root,
        &format!(".walk-input[data-domain='{label}'] input.walk-iova"),
    )
    .unchecked_into();
    input.set_value(iova);
    input
        .dispatch_event(&bubbling("change"))
        .expect("dispatched");
    settle().await;
    find(root, &format!(".pt-walk[data-domain='{label}']"))
}

fn levels(w: &Element) -> Vec<String> {
    all(w, "[data-pt-level]")
        .iter()
        .map(|l| {
            format!(
                "{} {}",
                l.get_attribute("data-pt-level").unwrap_or_default(),
                text(&find(l, ".walk-kind"))
            )
        })
        .collect()
}

/// Issue 15 §1: the walk per granule (start level from the IAS), a block, an unmapped IOVA.
#[wasm_bindgen_test]
async fn the_page_table_walk_is_drawn_for_every_granule_a_block_and_a_fault() {
    let scenario = "iommu s4 kind=arm-smmu-v3 granule=4K ias=48\n\
                iommu s16 kind=arm-smmu-v3 granule=16K ias=48\n\
                iommu s64 kind=arm-smmu-v3 granule=64K ias=48\n\
                d4 = iommu_domain_alloc(s4)\n\
                d16 = iommu_domain_alloc(s16)\n\
                d64 = iommu_domain_alloc(s64)\n\
                iommu_map(d4, 0x12_3456_7000, 0x8000_1000, 4K, RW)\n\
                iommu_map(d4, 0x20_0000, 0x9000_0000, 2M, RW)\n\
                iommu_map(d16, 0x4000, 0xa000_4000, 16K, RW)\n\
                iommu_map(d64, 0x1_0000, 0xb001_0000, 64K, RW)\n";
    let root = mount(State::new(scenario, None, 99)).await;
    // 4K: four levels, the index bits in the address, the PA arithmetic.
    let w = walk(&root, "d4", "0x12_3456_7abc").await;
    assert_eq!(levels(&w), ["0 table", "1 table", "2 table", "3 page"]);
    let bits: Vec<String> = all(&w, ".walk-address .bits").iter().map(text).collect();
    assert_eq!(
        bits,
        [
            "[47:39] 0x0",
            "[38:30] 0x48",
            "[29:21] 0x1a2",
            "[20:12] 0x167",
            "[11:0] 0xabc"
        ]
    );
    assert_eq!(
        text(&find(&w, ".walk-end")),
        "PA = 0x80001000 + IOVA[11:0] 0xabc = 0x80001abc"
    );
    let l3 = find(&w, "[data-pt-level='3']");
    assert!(
        text(&find(&l3, ".walk-desc")).starts_with("0x0000000080001"),
        "{}",
        text(&l3)
    );
    // The 2M block ends at level 2 with a 21-bit offset.
    let w = walk(&root, "d4", "0x20_1234").await;
    assert_eq!(levels(&w), ["0 table", "1 table", "2 block"]);
    assert_eq!(
        text(&find(&w, ".walk-end")),
        "PA = 0x90000000 + IOVA[20:0] 0x1234 = 0x90001234"
    );
    // Unmapped: the walk stops at the empty level-2 entry next to the block.
    let w = walk(&root, "d4", "0x40_0000").await;
    assert_eq!(levels(&w), ["0 table", "1 table", "2 invalid"]);
    assert!(text(&find(&w, ".walk-end.fault")).starts_with("translation fault at level 2"));
    // 16K, 48-bit IAS: four levels, a 2-entry pgd indexed by bit 47.
    let w = walk(&root, "d16", "0x4010").await;
    assert_eq!(levels(&w), ["0 table", "1 table", "2 table", "3 page"]);
    assert!(text(&find(&w, "[data-pt-level='0']")).contains("of 2 ← IOVA[47:47]"));
    assert!(text(&find(&w, ".walk-end")).ends_with("= 0xa0004010"));
    // 64K: the walk starts at level 1.
    let w = walk(&root, "d64", "0x1_0020").await;
    assert_eq!(levels(&w), ["1 table", "2 table", "3 page"]);
    assert!(text(&find(&w, ".walk-end")).ends_with("= 0xb0010020"));
}

/// Issue 14 item 12: web/index.html shows a loading state at once (static HTML and CSS,
/// before any wasm runs); mounting the app replaces it.
#[wasm_bindgen_test]
async fn a_loading_state_shows_before_the_wasm_and_the_app_replaces_it() {
    let _style = with_style();
    let page = include_str!("../index.html");
    let open = "<div id=\"playground\">";
    let start = page.find(open).expect("the mount point") + open.len();
    let end = page[start..].find("</body>").expect("the body's end") + start;
    let inner = page[start..end]
        .trim()
        .strip_suffix("</div>")
        .expect("the mount point's end");
    let root = fresh_root();
    root.set_inner_html(inner);
    let loading = find(&root, ".boot-loading[role='status']");
    assert!(text(&loading).contains("Loading the playground"));
    let shown: web_sys::HtmlElement = loading.unchecked_into();
    assert!(
        shown.offset_height() > 100,
        "the loading state takes the page"
    );
    iommu_web::mount_with(root.clone(), State::initial(), false);
    settle().await;
    assert!(all(&root, ".boot-loading").is_empty());
    assert!(text(&root).contains("IOMMU Playground"));
    assert_eq!(all(&root, ".playground").len(), 1);
}

/// Issue 14 item 12: End then Home on a long line: the caret is right of the line-number
/// gutter, never under it (the text scrolls sideways in a box of its own). Synthetic keys
/// do not move a caret, so the test does what the browser does: it moves the selection and
/// scrolls the textarea's nearest sideways scroller by as little as shows the caret.
#[wasm_bindgen_test]
async fn the_caret_never_hides_under_the_gutter() {
    let _style = with_style();
    let long = format!("# {}\n{}", "x".repeat(600), default_text());
    let root = mount(State::booted(&long, None)).await;
    let area = textarea(&root);
    let gutter = find(&root, ".editor-scroll .gutter");
    let _ = area.focus();
    // The nearest ancestor of the textarea that scrolls sideways.
    let scroller = {
        let mut el = area.parent_element();
        loop {
            let e = el.expect("a sideways scroller");
            let style = web_sys::window()
                .and_then(|w| w.get_computed_style(&e).ok().flatten())
                .expect("a style");
            let ox = style.get_property_value("overflow-x").unwrap_or_default();
            if e.scroll_width() > e.client_width() && (ox == "auto" || ox == "scroll") {
                break e;
            }
            el = e.parent_element();
        }
    };
    // 13 px monospace: about 7.8 px a column; 8 px of the textarea's padding.
    let caret_x = |col: f64| area.get_bounding_client_rect().left() + 8.0 + col * 7.8;
    let reveal = |col: f64| {
        let r = scroller.get_bounding_client_rect();
        let (left, right) = (
            r.left() + f64::from(scroller.client_left()),
            r.left() + f64::from(scroller.client_width()),
        );
        let x = caret_x(col);
        let by = if x < left {
            x - left
        } else if x > right {
            x - right + 2.0
        } else {
            0.0
        };
        scroller.set_scroll_left(scroller.scroll_left() + by.round() as i32);
    };
    // End.
    let _ = area.set_selection_range(602, 602);
    reveal(602.0);
    settle().await;
    assert!(scroller.scroll_left() > 0, "End scrolled the text sideways");
    // Home.
    let _ = area.set_selection_range(0, 0);
    reveal(0.0);
    settle().await;
    let g = gutter.get_bounding_client_rect().right();
    let x = caret_x(0.0);
    let view = find(&root, ".editor-scroll").get_bounding_client_rect();
    assert!(x >= g, "caret at {x} under the gutter ending at {g}");
    assert!(x <= view.right(), "caret at {x} in view");
}

/// A seeded random PCI machine: root ports and chipset functions on the root bus, switches
/// (an upstream port and its downstream ports), PCIe-to-PCI bridges with conventional
/// devices, multifunction endpoints, ACS on or off at random, and sometimes platform
/// devices behind a second IOMMU.
fn random_machine(seed: u64) -> String {
    let mut s = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut rnd = move |n: u64| {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (s >> 33) % n
    };
    let mut out = String::from("iommu dmar0 kind=generic\nhost pci0 iommu=dmar0\n");
    let mut next_bus = 1u32;
    let acs = |r: &mut dyn FnMut(u64) -> u64| if r(2) == 0 { " acs=SV,RR,CR,UF" } else { "" };
    // (bus, parent, kind of the bus: root, rp/dsp, usp, bridge)
    let mut queue: Vec<(u32, Option<String>, &str, u32)> = vec![(0, None, "root", 0)];
    while let Some((bus, parent, kind, depth)) = queue.pop() {
        let parent_arg = parent.map(|p| format!(" parent={p}")).unwrap_or_default();
        let slots = match kind {
            "root" => 2 + rnd(4),
            "usp" => 1 + rnd(3),
            "bridge" => 1 + rnd(3),
            _ => 1,
        };
        for slot in 0..slots {
            let dev = if kind == "root" { 0x18 + slot } else { slot };
            let funcs = 1 + if rnd(3) == 0 { rnd(3) } else { 0 };
            for func in 0..funcs {
                let bdf = format!("{bus:02x}:{dev:02x}.{func}");
                let deeper = depth < 3 && next_bus < 200;
                let ty = match kind {
                    "root" => match rnd(4) {
                        0 => "rciep",
                        1 => "pci",
                        _ if deeper => "rp",
                        _ => "rciep",
                    },
                    "usp" => "dsp",
                    "bridge" => "pci",
                    _ => match rnd(4) {
                        0 if deeper => "usp",
                        1 if deeper => "bridge",
                        _ => "ep",
                    },
                };
                let a = if matches!(ty, "rp" | "dsp") || (ty == "ep" && funcs > 1) {
                    acs(&mut rnd)
                } else {
                    ""
                };
                out.push_str(&format!("pci {bdf} {ty}{parent_arg}{a}\n"));
                if matches!(ty, "rp" | "dsp" | "usp" | "bridge") {
                    queue.push((next_bus, Some(bdf), ty, depth + 1));
                    next_bus += 1;
                }
            }
        }
    }
    if rnd(3) == 0 {
        out.push_str("iommu smmu0 kind=arm-smmu-v2\n");
        for i in 0..1 + rnd(3) {
            out.push_str(&format!(
                "platform dev{i} iommu=smmu0 sid=0x{:x}\n",
                0x10 + rnd(3)
            ));
        }
    }
    out
}

fn rect_of(el: &Element) -> web_sys::DomRect {
    el.get_bounding_client_rect()
}

fn overlap(a: &web_sys::DomRect, b: &web_sys::DomRect) -> bool {
    a.left() < b.right() - 0.5
        && b.left() < a.right() - 0.5
        && a.top() < b.bottom() - 0.5
        && b.top() < a.bottom() - 0.5
}

/// Every device box lies in its own group's region and in no other group's.
fn check_regions(root: &Element, what: &str) -> usize {
    let regions = all(root, ".topology g.group-region");
    let mut checked = 0;
    for dev in all(root, ".topology g.device[data-group]") {
        let name = dev.get_attribute("data-device").unwrap_or_default();
        let group = dev.get_attribute("data-group").unwrap_or_default();
        let b = rect_of(&find(&dev, "rect"));
        for r in &regions {
            let g = r.get_attribute("data-group").unwrap_or_default();
            let pieces: Vec<_> = all(r, "rect.region").iter().map(rect_of).collect();
            assert!(!pieces.is_empty(), "{what}: region {g} has no piece");
            if g == group {
                assert!(
                    pieces.iter().any(|p| p.left() <= b.left()
                        && b.right() <= p.right()
                        && p.top() <= b.top()
                        && b.bottom() <= p.bottom()),
                    "{what}: {name} is outside its group {g}'s region"
                );
            } else {
                assert!(
                    !pieces.iter().any(|p| overlap(p, &b)),
                    "{what}: {name} (group {group}) lies in group {g}'s region"
                );
            }
        }
        checked += 1;
    }
    checked
}

/// Issue 14 item 2: group regions contain exactly their members — every preset (at the
/// booted machine and at its last step) and many seeded random machines.
#[wasm_bindgen_test]
async fn group_regions_hold_exactly_their_members() {
    let _style = with_style();
    let mut devices = 0;
    for (name, text) in iommu_engine::corpus::CORPUS {
        // A million-mapping workload is the DMA path's test, not the drawing's: left out.
        let text: String = text
            .lines()
            .filter(|l| !l.trim_start().starts_with("workload"))
            .map(|l| format!("{l}\n"))
            .collect();
        let root = mount(State::booted(&text, None)).await;
        devices += check_regions(&root, name);
        click(&find(&root, "button[aria-label='Last step']"));
        settle().await;
        devices += check_regions(&root, &format!("{name} at its last step"));
        root.remove();
    }
    for seed in 0..40 {
        let text = random_machine(seed);
        let root = mount(State::booted(&text, None)).await;
        assert!(all(&root, ".errors").is_empty(), "seed {seed}:\n{text}");
        let n = check_regions(&root, &format!("seed {seed}:\n{text}"));
        assert!(n > 2, "seed {seed}: {n} devices drawn\n{text}");
        devices += n;
        root.remove();
    }
    assert!(devices > 500, "{devices} devices checked");
}

/// Issue 14 item 7: a legend and ? explanations (keyboard reachable) with the engine's
/// words; the preset menu grouped by topic with short titles; a failed row of another
/// errno than an owner conflict says why.
#[wasm_bindgen_test]
async fn concepts_are_explained_where_they_appear() {
    use iommu_engine::scenario::explain::{concept, era_concept, Topic};
    let root = mount(State::initial()).await;
    // The legend: every domain type and era, in the engine's words.
    let legend = find(&root, ".topology details.legend");
    let body = text(&legend);
    for key in ["BLOCKED", "IDENTITY", "UNMANAGED", "DMA", "DMA_FQ"] {
        let c = concept(Topic::Domain, key).expect("a domain type");
        assert!(body.contains(c.text), "{key} in the legend");
    }
    for era in Era::ALL {
        let c = era_concept(era).expect("an era");
        assert!(body.contains(c.text), "{era} in the legend");
        assert!(body.contains(c.when.expect("a date")), "{era}'s date");
    }
    assert!(body.contains("it enforces DMA ownership by the most trivial and heavy-handed means"));
    // The era's ?: a summary, focusable, opens on activation.
    let era_info = find(&root, ".toolbar details.explain");
    assert_eq!(
        era_info.get_attribute("data-concept").as_deref(),
        Some("current")
    );
    let summary: web_sys::HtmlElement = find(&era_info, "summary").unchecked_into();
    summary.focus().expect("focusable");
    let active = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.active_element())
        .expect("an active element");
    assert_eq!(active.tag_name(), "SUMMARY");
    summary.click();
    settle().await;
    assert!(era_info.has_attribute("open"));
    assert!(text(&era_info).contains("v6.2+"));
    // A device's details explain its domain type, owner and group.
    let init = web_sys::MouseEventInit::new();
    init.set_bubbles(true);
    let tap = web_sys::MouseEvent::new_with_mouse_event_init_dict("click", &init).expect("a click");
    find(&root, ".topology g.device[data-device='01:00.0']")
        .dispatch_event(&tap)
        .expect("dispatched");
    settle().await;
    let keys: Vec<String> = all(&root, ".details details.explain")
        .iter()
        .filter_map(|e| e.get_attribute("data-concept"))
        .collect();
    assert_eq!(keys, ["DMA", "owner", "group"]);
    // The preset menu: topics as groups, short titles.
    let topics: Vec<String> = all(&root, "select.preset-menu optgroup")
        .iter()
        .filter_map(|g| g.get_attribute("label"))
        .collect();
    for t in [
        "Groups",
        "Ownership and the eras",
        "Page tables",
        "DMA fast path",
        "Real machines",
    ] {
        assert!(topics.iter().any(|x| x == t), "{t} in {topics:?}");
    }
    let gpu = find(&root, "select.preset-menu option[value='gpu-audio.iommu']");
    assert_eq!(text(&gpu), "GPU and HDMI audio share a group");
    // The singleton rule's -EINVAL says why.
    let s4 = preset("s4-attach-device-multi-device-group.iommu").expect("a preset");
    let root = mount(State::booted(s4, None)).await;
    click(&find(&root, "button.run"));
    settle().await;
    let why = text(&find(&root, ".trace-row.current .note.why"));
    assert!(
        why.starts_with("-EINVAL: iommu_attach_device takes a device alone in its group"),
        "{why}"
    );
}

fn pointer(kind: &str, x: f64, y: f64, id: i32) -> web_sys::PointerEvent {
    let init = web_sys::PointerEventInit::new();
    init.set_bubbles(true);
    init.set_cancelable(true);
    init.set_client_x(x as i32);
    init.set_client_y(y as i32);
    init.set_pointer_id(id);
    init.set_is_primary(id == 1);
    web_sys::PointerEvent::new_with_event_init_dict(kind, &init).expect("a pointer event")
}

fn drag(el: &Element, from: (f64, f64), to: (f64, f64)) {
    el.dispatch_event(&pointer("pointerdown", from.0, from.1, 1))
        .expect("dispatched");
    el.dispatch_event(&pointer(
        "pointermove",
        (from.0 + to.0) / 2.0,
        (from.1 + to.1) / 2.0,
        1,
    ))
    .expect("dispatched");
    el.dispatch_event(&pointer("pointermove", to.0, to.1, 1))
        .expect("dispatched");
    el.dispatch_event(&pointer("pointerup", to.0, to.1, 1))
        .expect("dispatched");
}

/// The app mounted on a fresh element of `style` (a width, `--playground-h`).
async fn mount_sized(initial: State, style: &str) -> Element {
    let root = fresh_root();
    root.set_attribute("style", style).expect("sized");
    iommu_web::mount_with(root.clone(), initial, false);
    settle().await;
    root
}

/// The app with its stylesheet in a 1400×900 box, the remembered pane sizes forgotten.
async fn desk(initial: State) -> (Styled, Element) {
    let style = with_style();
    forget_sizes();
    let root = mount_sized(initial, DESK).await;
    (style, root)
}

const DESK: &str = "width: 1400px; --playground-h: 900px";

fn assert_near(got: f64, want: f64) {
    assert!((got - want).abs() < 2.0, "{got}, not {want}");
}

fn width_of(el: &Element) -> f64 {
    el.get_bounding_client_rect().width()
}

fn forget_sizes() {
    use gloo_storage::{LocalStorage, Storage};
    LocalStorage::delete("iommu-play.editor-w");
    LocalStorage::delete("iommu-play.trace-h");
}

/// Issue 14 item 10: the editor and the trace resize by dragging (or the arrows on the
/// focused divider), and the sizes come back after a reload.
#[wasm_bindgen_test]
async fn panes_resize_and_are_remembered() {
    let _style = with_style();
    forget_sizes();
    let root = mount_sized(State::initial(), DESK).await;
    let left = root.get_bounding_client_rect().left();
    let split = find(&root, ".splitter.vertical");
    let r = split.get_bounding_client_rect();
    drag(
        &split,
        (r.left() + 3.0, r.top() + 20.0),
        (left + 500.0, r.top() + 20.0),
    );
    settle().await;
    let editor = find(&root, ".editor-pane");
    assert_near(width_of(&editor), 500.0);
    // The arrows on the focused divider: 24 px a press.
    split
        .dispatch_event(&key("keydown", "ArrowRight", false))
        .expect("dispatched");
    settle().await;
    assert_near(width_of(&editor), 524.0);
    // The trace: dragged up to 300 px high.
    let rows = find(&root, ".splitter.horizontal");
    let r = rows.get_bounding_client_rect();
    let bottom = find(&root, ".playground")
        .get_bounding_client_rect()
        .bottom();
    drag(
        &rows,
        (r.left() + 50.0, r.top() + 3.0),
        (r.left() + 50.0, bottom - 300.0),
    );
    settle().await;
    let trace = find(&root, ".trace").get_bounding_client_rect().height();
    assert!((trace - 300.0).abs() < 8.0, "{trace}");
    root.remove();
    // A reload: the sizes come back.
    let again = fresh_root();
    again.set_attribute("style", DESK).expect("sized");
    iommu_web::mount_with(again.clone(), State::initial(), false);
    settle().await;
    settle().await;
    assert_near(width_of(&find(&again, ".editor-pane")), 524.0);
    again.remove();
    forget_sizes();
}

fn scale(root: &Element) -> f64 {
    find(root, ".topo-view")
        .get_attribute("data-scale")
        .and_then(|s| s.parse().ok())
        .expect("a scale")
}

fn view_box(root: &Element) -> Vec<f64> {
    find(root, ".topo-view svg")
        .get_attribute("viewBox")
        .unwrap_or_default()
        .split(' ')
        .filter_map(|v| v.parse().ok())
        .collect()
}

/// Issue 14 item 10: a wide machine fits its pane, and zooms and pans with the buttons,
/// the wheel, a drag and the keyboard (without stepping the trace).
#[wasm_bindgen_test]
async fn the_topology_fits_zooms_and_pans() {
    let board = preset("consumer-board-no-acs.iommu").expect("a preset");
    let (_style, root) = desk(State::booted(board, None)).await;
    let pane = find(&root, ".topology").get_bounding_client_rect();
    let svg = find(&root, ".topo-view svg");
    let s = svg.get_bounding_client_rect();
    assert!(
        s.right() <= pane.right() + 1.0 && s.left() >= pane.left() - 1.0,
        "fits sideways"
    );
    assert!(s.bottom() <= pane.bottom() + 1.0, "fits down");
    assert_eq!(scale(&root), 1.0);
    let full = view_box(&root);
    click(&find(&root, ".zoom-btn[aria-label='Zoom in (+)']"));
    settle().await;
    assert!((scale(&root) - 1.4).abs() < 0.01);
    assert!(view_box(&root)[2] < full[2]);
    // The wheel zooms further.
    let init = web_sys::WheelEventInit::new();
    init.set_bubbles(true);
    init.set_cancelable(true);
    init.set_delta_y(-200.0);
    init.set_client_x((s.left() + s.width() / 2.0) as i32);
    init.set_client_y((s.top() + s.height() / 2.0) as i32);
    let wheel = web_sys::WheelEvent::new_with_event_init_dict("wheel", &init).expect("a wheel");
    svg.dispatch_event(&wheel).expect("dispatched");
    settle().await;
    assert!(scale(&root) > 1.5, "{}", scale(&root));
    // A drag pans: the view moves the other way.
    let before = view_box(&root);
    let mid = (s.left() + s.width() / 2.0, s.top() + s.height() / 2.0);
    drag(&svg, mid, (mid.0 + 80.0, mid.1));
    settle().await;
    assert!(
        view_box(&root)[0] < before[0],
        "{:?} {:?}",
        view_box(&root),
        before
    );
    // The keyboard on the focused drawing: arrows pan (not step), Home fits, + zooms.
    let view = find(&root, ".topo-view");
    let step = text(&find(&root, ".step-status"));
    let x = view_box(&root)[0];
    view.dispatch_event(&key("keydown", "ArrowRight", false))
        .expect("dispatched");
    settle().await;
    assert!(view_box(&root)[0] > x);
    assert_eq!(
        text(&find(&root, ".step-status")),
        step,
        "the trace did not step"
    );
    view.dispatch_event(&key("keydown", "Home", false))
        .expect("dispatched");
    settle().await;
    assert_eq!(scale(&root), 1.0);
    assert_eq!(view_box(&root), full);
    view.dispatch_event(&key("keydown", "+", false))
        .expect("dispatched");
    settle().await;
    assert!((scale(&root) - 1.4).abs() < 0.01);
    root.remove();
}

/// Issue 14 item 10: a scenario with no device (mapping only) gives no big empty topology
/// pane: it collapses and the page tables take the room.
#[wasm_bindgen_test]
async fn an_empty_topology_collapses() {
    let lpae = preset("lpae-granules.iommu").expect("a preset");
    let (_style, root) = desk(State::booted(lpae, None)).await;
    let topo = find(&root, ".topology.empty")
        .get_bounding_client_rect()
        .height();
    let pt = find(&root, ".page-table")
        .get_bounding_client_rect()
        .height();
    assert!(topo < 140.0, "{topo}");
    assert!(pt > 2.0 * topo, "{pt} vs {topo}");
    root.remove();
}

fn shown(el: &Element) -> bool {
    el.get_bounding_client_rect().height() > 0.0
}

/// Issue 14 item 10: on a phone (390 px) one panel at a time, chosen by tabs; wide, no
/// tabs.
#[wasm_bindgen_test]
async fn a_phone_shows_one_panel_at_a_time() {
    let _style = with_style();
    forget_sizes();
    let root = mount_sized(State::initial(), "width: 390px; --playground-h: 844px").await;
    assert!(shown(&find(&root, ".phone-tabs")));
    let panels =
        |root: &Element| [".editor-pane", ".views", ".trace"].map(|s| shown(&find(root, s)));
    assert_eq!(panels(&root), [false, true, false], "the machine first");
    let svg = find(&root, ".topo-view svg").get_bounding_client_rect();
    assert!(
        svg.right() <= 391.0,
        "the tree fits the phone: {}",
        svg.right()
    );
    // As tall as the drawing at this width: no blank band under a wide tree (the SVG
    // letterboxes its viewBox, so the drawing's height is its width times the box's ratio).
    let view = find(&root, ".topo-view").get_bounding_client_rect();
    let vb: Vec<f64> = find(&root, ".topo-view svg")
        .get_attribute("viewBox")
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|v| v.parse().ok())
        .collect();
    let drawn = match vb.as_slice() {
        [_, _, w, h] if *w > 0.0 => (svg.width() * h / w).min(svg.height()),
        _ => svg.height(),
    };
    assert!(
        view.height() - drawn < 24.0,
        "blank under the tree: {} px",
        view.height() - drawn
    );
    click(&find(&root, ".phone-tab[data-tab='trace']"));
    settle().await;
    assert_eq!(panels(&root), [false, false, true]);
    click(&find(&root, ".phone-tab[data-tab='editor']"));
    settle().await;
    assert_eq!(panels(&root), [true, false, false]);
    assert_eq!(
        find(&root, ".phone-tab[data-tab='editor']")
            .get_attribute("aria-selected")
            .as_deref(),
        Some("true")
    );
    root.remove();
    let wide = mount_sized(State::initial(), DESK).await;
    assert!(!shown(&find(&wide, ".phone-tabs")));
    assert_eq!(panels(&wide), [true, true, true]);
    wide.remove();
}

/// Issue 15: a lazy (DMA_FQ) unmap leaves the range in the tree, drawn as waiting in the
/// flush queue of the CPU that unmapped it; the 10 ms fq_timer frees it into that CPU's
/// rcache (the engine's test `the_iova_view_shows_the_flush_queue_and_its_waiting_ranges`).
#[wasm_bindgen_test]
async fn the_iova_space_shows_ranges_waiting_in_the_flush_queue() {
    let lazy = preset("flush-queue.iommu").expect("a preset");
    let root = mount(State::new(lazy, None, 99)).await;
    let range = |cls: &str| all(&root, &format!(".iova-space .iova-range.{cls}")).len();
    let fq = || {
        find(&root, ".iova-space .iova-fq")
            .get_attribute("data-fq-pending")
            .unwrap_or_default()
    };
    seek_row(&root, "dma_unmap_page").await;
    assert_eq!(
        (range("queued"), range("cached"), fq()),
        (1, 0, "0,1".into())
    );
    assert!(text(&find(&root, ".iova-space .iova-facts")).contains("1 in the flush queue"));
    assert!(find(&root, ".iova-space .iova-fq")
        .get_attribute("data-fq-timer")
        .is_some());
    seek_row(&root, "tick").await;
    assert_eq!(
        (range("queued"), range("cached"), fq()),
        (0, 1, "0,0".into())
    );
    let cpu1 = find(
        &root,
        ".iova-space tr[data-rcache-class='1'] td[data-cpu='1'] [data-magazine='loaded']",
    );
    assert_eq!(cpu1.get_attribute("data-fill").as_deref(), Some("1"));
}

/// Issue 15: on a phone the rcache table fits its pane, hit/miss column included (the
/// magazines' fill bars give way to their counts); wide, the bars are drawn.
#[wasm_bindgen_test]
async fn a_phone_shows_the_whole_rcache_table() {
    let _style = with_style();
    forget_sizes();
    let root = mount_sized(iova_allocator(), "width: 390px; --playground-h: 844px").await;
    let scroll = find(&root, ".iova-space .rcache-scroll");
    assert!(
        scroll.scroll_width() <= scroll.client_width(),
        "the rcache table is {} px wide in {} px",
        scroll.scroll_width(),
        scroll.client_width()
    );
    let hits = find(
        &root,
        ".iova-space table.rcache tr[data-rcache-class='1'] td:last-child",
    );
    assert!(hits.get_bounding_client_rect().right() <= 391.0);
    assert!(!shown(&find(&root, ".iova-space table.rcache .mag")));
    root.remove();
    let wide = mount_sized(iova_allocator(), DESK).await;
    assert!(shown(&find(&wide, ".iova-space table.rcache .mag")));
    wide.remove();
}

/// tests/scenarios/iova-allocator.iommu (issue 15 §2): a strict NIC maps a (1 page), b (2)
/// and c (1), unmaps a and b, maps d (1). By hand from iova.c (v6.8), as its comment says:
/// the rcache starts empty, so each map searches the tree down from `cached32_node` (the
/// anchor at first) below dma_32bit_pfn 0x10_0000: a gets pfn 0xf_ffff; b (size-aligned)
/// (0xf_ffff − 2) & ~1 = 0xf_fffc, leaving the hole 0xf_fffe; c 0xf_fffb, below the cached
/// node (the hole is not seen). Each strict unmap puts its pfn in CPU 0's `loaded` magazine
/// of its size class (free_iova_fast → __iova_rcache_insert); the range stays in the tree.
fn iova_allocator() -> State {
    let text = preset("iova-allocator.iommu").expect("a preset");
    State::new(text, None, 99)
}

/// The IOVA-space drawing of the NIC's domain.
fn nic_iova(root: &Element) -> Element {
    all(root, ".iova-space .iova-domain")
        .into_iter()
        .find(|d| text(&find(d, "h3")).contains("01:00.0"))
        .unwrap_or_else(|| panic!("no IOVA space of 01:00.0 in {}", root.inner_html()))
}

fn iova_ranges(d: &Element) -> Vec<String> {
    all(d, "[data-iova-range]")
        .iter()
        .map(|r| {
            let cached = r.class_list().contains("cached");
            format!(
                "{}{}",
                r.get_attribute("data-iova-range").unwrap_or_default(),
                if cached { " cached" } else { "" }
            )
        })
        .collect()
}

fn magazine_fill(d: &Element, class: u64, cpu: usize, which: &str) -> String {
    find(
        d,
        &format!("tr[data-rcache-class='{class}'] td[data-cpu='{cpu}'] [data-magazine='{which}']"),
    )
    .get_attribute("data-fill")
    .unwrap_or_default()
}

/// Seeks the trace to the row whose statement starts with `code`.
async fn seek_row(root: &Element, code: &str) {
    let row = all(root, ".trace-row")
        .into_iter()
        .find(|r| text(&find(r, "code")).starts_with(code))
        .unwrap_or_else(|| panic!("no row {code}"));
    click(&find(&row, ".row-seek"));
    settle().await;
}

#[wasm_bindgen_test]
async fn the_iova_space_draws_the_allocators_ranges_cached_node_and_magazines() {
    let root = mount(iova_allocator()).await;
    seek_row(&root, "dma_unmap_page(01:00.0, b").await;
    let d = nic_iova(&root);
    assert_eq!(
        iova_ranges(&d),
        [
            "0xffffb-0xffffb",
            "0xffffc-0xffffd cached",
            "0xfffff-0xfffff cached"
        ]
    );
    let mark = find(&d, "[data-cached-node='cached32_node']");
    assert_eq!(mark.get_attribute("data-pfn").as_deref(), Some("0xffffb"));
    assert!(text(&mark).contains("0xffffb000"), "{}", text(&mark));
    // Nothing above 4G: no band for cached_node.
    assert!(all(&d, "[data-cached-node='cached_node']").is_empty());
    // CPU 0's loaded magazines of the 1- and 2-page classes hold one pfn each.
    assert_eq!(magazine_fill(&d, 1, 0, "loaded"), "1");
    assert_eq!(magazine_fill(&d, 2, 0, "loaded"), "1");
    assert_eq!(magazine_fill(&d, 1, 0, "prev"), "0");
    assert_eq!(magazine_fill(&d, 1, 1, "loaded"), "0");
    assert_eq!(magazine_fill(&d, 4, 0, "loaded"), "0");
    // Before the unmaps: the same ranges, none cached, empty magazines.
    seek_row(&root, "c = dma_map_page").await;
    let d = nic_iova(&root);
    assert_eq!(
        iova_ranges(&d),
        ["0xffffb-0xffffb", "0xffffc-0xffffd", "0xfffff-0xfffff"]
    );
    assert_eq!(magazine_fill(&d, 1, 0, "loaded"), "0");
    // After `a` alone: one range, the cached node on it.
    seek_row(&root, "a = dma_map_page").await;
    let d = nic_iova(&root);
    assert_eq!(iova_ranges(&d), ["0xfffff-0xfffff"]);
    let mark = find(&d, "[data-cached-node='cached32_node']");
    assert_eq!(mark.get_attribute("data-pfn").as_deref(), Some("0xfffff"));
}

#[wasm_bindgen_test]
async fn the_walk_is_pre_filled_from_the_map_step_and_stays_editable() {
    let root = mount(iova_allocator()).await;
    seek_row(&root, "b = dma_map_page").await;
    let w = find(&root, ".pt-walk");
    let label = w.get_attribute("data-domain").expect("a domain");
    let input: web_sys::HtmlInputElement = find(
        &root,
        &format!(".walk-input[data-domain='{label}'] input.walk-iova"),
    )
    .unchecked_into();
    // b's IOVA: pfn 0xf_fffc (see iova_allocator), mapped to 0x8001_0000 by 4K pages.
    assert_eq!(input.value(), "0xffffc000");
    assert_eq!(levels(&w), ["0 table", "1 table", "2 table", "3 page"]);
    assert_eq!(
        text(&find(&w, ".walk-end")),
        "PA = 0x80010000 + IOVA[11:0] 0x0 = 0x80010000"
    );
    // Still editable: b's second page.
    let w = walk(&root, &label, "0xffffd010").await;
    assert_eq!(
        text(&find(&w, ".walk-end")),
        "PA = 0x80011000 + IOVA[11:0] 0x10 = 0x80011010"
    );
    // Another map step fills in its own IOVA.
    seek_row(&root, "c = dma_map_page").await;
    let input: web_sys::HtmlInputElement = find(
        &root,
        &format!(".walk-input[data-domain='{label}'] input.walk-iova"),
    )
    .unchecked_into();
    assert_eq!(input.value(), "0xffffb000");
    assert!(text(&find(&root, ".pt-walk .walk-end")).ends_with("= 0x80020000"));
}

/// A lazy machine (iommu.strict=0): a trusted NIC 01:00.0 (DMA_FQ) and an untrusted NVMe
/// 02:00.0 (strict DMA), each behind its own ACS root port and bound; `pci` more
/// declarations, then `rest` after the binds.
fn lazy_nic_strict_nvme(pci: &str, rest: &str) -> String {
    format!(
        "config strict=off\niommu dmar0 kind=generic\nhost pci0 iommu=dmar0\n\
         pci 00:1c.0 rp acs=SV,RR,CR,UF\npci 01:00.0 ep parent=00:1c.0\n\
         pci 00:07.0 rp acs=SV,RR,CR,UF\npci 02:00.0 ep parent=00:07.0 untrusted\n\
         {pci}bind 01:00.0 ixgbe\nbind 02:00.0 nvme\n{rest}"
    )
}

#[wasm_bindgen_test]
async fn workload_charts_draw_one_point_per_sample_strict_and_lazy_side_by_side() {
    // 1,000 pairs sampled every 100: samples at 0, 100, …, 1,000 and one more after the
    // drain (the live set unmapped) = 12 samples, 11 intervals. The hit rate has no point
    // for the drain interval (no lookups): 10.
    let scenario = lazy_nic_strict_nvme(
        "",
        "workload 02:00.0 count=1000 live=100 sample=100\n\
         workload 01:00.0 count=1000 live=100 sample=100\n",
    );
    let root = mount(State::new(&scenario, None, 99)).await;
    let heads: Vec<String> = all(&root, ".workload-charts .chart-head")
        .iter()
        .map(|h| h.class_name())
        .collect();
    assert_eq!(heads, ["chart-head strict", "chart-head lazy"]);
    let points = |series: &str| -> Vec<String> {
        all(&root, &format!(".chart[data-series='{series}']"))
            .iter()
            .map(|c| {
                let n = find(c, "polyline")
                    .get_attribute("points")
                    .unwrap_or_default()
                    .split_whitespace()
                    .count();
                format!("{} {n}", c.get_attribute("data-points").unwrap_or_default())
            })
            .collect()
    };
    assert_eq!(points("TreeAllocs"), ["11 11", "11 11"]);
    assert_eq!(points("RcacheHitRate"), ["10 10", "10 10"]);
    assert_eq!(all(&root, ".workload-charts .chart").len(), 14);
    // At the first workload only its column is drawn.
    seek_row(&root, "workload 02:00.0").await;
    assert_eq!(all(&root, ".workload-charts .chart-head").len(), 1);
}

#[wasm_bindgen_test]
async fn stepping_past_a_workload_brings_every_series_row_into_view() {
    // Three workloads (as the fast-path preset has): the charts sit below the topology in
    // their column; stepping onto a workload scrolls them into view.
    let scenario = lazy_nic_strict_nvme(
        "pci 00:1d.0 rp acs=SV,RR,CR,UF\npci 03:00.0 ep parent=00:1d.0\n",
        "bind 03:00.0 mlx5_core\n\
         workload 02:00.0 count=1000 live=64 sample=100\n\
         workload 01:00.0 count=1000 live=64 sample=100\n\
         workload 03:00.0 count=1000 live=64 cpus=2 sample=100\n",
    );
    // A short window (the column about as tall as a 1400x900 browser window leaves it).
    let _style = with_style();
    forget_sizes();
    let root = mount_sized(
        State::new(&scenario, None, 0),
        "width: 1400px; --playground-h: 640px",
    )
    .await;
    let column = find(&root, ".views");
    let in_view = |sel: &str| {
        let c = column.get_bounding_client_rect();
        let rows = all(&root, sel);
        !rows.is_empty()
            && rows.iter().all(|e| {
                let r = e.get_bounding_client_rect();
                r.top() >= c.top() - 1.0 && r.bottom() <= c.bottom() + 1.0
            })
    };
    for (code, done) in [
        ("workload 02:00.0", "1"),
        ("workload 01:00.0", "2"),
        ("workload 03:00.0", "3"),
    ] {
        column.set_scroll_top(0);
        seek_row(&root, code).await;
        until(|| in_view(".workload-charts .chart-label")).await;
        let pane = find(&root, ".workload-charts");
        assert_eq!(pane.get_attribute("data-done").as_deref(), Some(done));
        assert!(
            in_view(".workload-charts .chart-label"),
            "after {code}: a series row is outside the column's view"
        );
        assert_eq!(all(&root, ".workload-charts .chart-label").len(), 7);
    }
}

/// A workload scenario: `count` strict pairs on an untrusted NVMe (a DMA domain).
fn workload_text(count: u64) -> String {
    format!(
        "generation current\nconfig strict=off\niommu dmar0 kind=generic\nhost pci0 iommu=dmar0\n\
         pci 00:07.0 rp acs=SV,RR,CR,UF\npci 02:00.0 ep parent=00:07.0 untrusted\n\
         bind 02:00.0 nvme\nworkload 02:00.0 count={count} live=16 sizes=4K,16K seed=5\n\
         expect counter(02:00.0, maps) == {count}\n"
    )
}

/// Waits up to `ms` milliseconds until `ok` holds, polling about every 10 ms; also returns
/// the longest gap between two polls and how many polls ran: what a page's timer gets
/// while a run is on.
async fn wait_for(ms: f64, ok: impl Fn() -> bool) -> (bool, f64, u32) {
    let now = || js_sys::Date::now();
    let (start, mut last, mut gap, mut polls) = (now(), now(), 0.0f64, 0);
    while now() - start < ms {
        if ok() {
            return (true, gap, polls);
        }
        yew::platform::time::sleep(std::time::Duration::from_millis(10)).await;
        yew::scheduler::flush().await;
        gap = gap.max(now() - last);
        last = now();
        polls += 1;
    }
    (ok(), gap, polls)
}

fn progress_of(root: &Element) -> Option<(u64, u64)> {
    let el = root.query_selector("[data-run-progress]").ok().flatten()?;
    let num = |a: &str| el.get_attribute(a).and_then(|v| v.parse().ok());
    Some((num("data-run-progress")?, num("data-run-total")?))
}

/// Issue 15: a workload above `WORKER_PAIRS` runs in the Web Worker, shows its progress,
/// and arrives whole: the counters drawn at its last step are the engine's own, exactly.
/// Compare of a scenario with a large workload runs its six eras in a worker (on the page
/// they would hold it for seconds): the panel says so at once, the page answers, the table
/// that arrives is the engine's own compare, and closing the panel ends the worker.
#[wasm_bindgen_test]
async fn compare_of_a_large_workload_runs_in_a_worker() {
    let count = 30_000;
    let scenario = workload_text(count);
    let root = mount(State::booted(&scenario, None)).await;
    let (ran, _, _) = wait_for(30_000.0, || {
        progress_of(&root).is_none() && !all(&root, ".trace-rows li").is_empty()
    })
    .await;
    assert!(ran, "the run arrived");
    click(&find(&root, "button.compare-toggle"));
    settle().await;
    assert_eq!(all(&root, ".compare[data-comparing]").len(), 1);
    assert_eq!(
        find(&root, "[data-compare-total]")
            .get_attribute("data-compare-total")
            .as_deref(),
        Some("180000"),
        "six runs of 30,000 pairs"
    );
    assert_eq!(iommu_web::worker::in_flight(), 1);
    let (done, _, _) = wait_for(60_000.0, || !all(&root, ".compare-table").is_empty()).await;
    assert!(done, "the compare arrived: {}", text_of(&root));
    assert!(all(&root, ".compare[data-comparing]").is_empty());
    assert_eq!(iommu_web::worker::in_flight(), 0);
    // The engine's compare of the same text, here.
    let sc = iommu_engine::scenario::parse(&scenario).expect("parses");
    let want = iommu_engine::scenario::compare(&sc, &scenario).expect("compares");
    let drawn: Vec<Vec<String>> = all(&root, ".compare-row")
        .iter()
        .map(|r| all(r, "td.cell").iter().map(text).collect())
        .collect();
    let expected: Vec<Vec<String>> = want
        .rows
        .iter()
        .map(|r| r.results.iter().map(|c| c.text.clone()).collect())
        .collect();
    assert_eq!(drawn, expected);
    assert!(drawn.iter().any(|r| r.len() == 6));
    // Closed while the eras run: the worker ends, nothing more arrives.
    click(&find(&root, "button.compare-toggle"));
    settle().await;
    click(&find(&root, "button.compare-toggle"));
    settle().await;
    assert_eq!(iommu_web::worker::in_flight(), 1);
    click(&find(&root, ".compare .close"));
    settle().await;
    assert_eq!(iommu_web::worker::in_flight(), 0);
    assert!(all(&root, ".compare").is_empty());
}

#[wasm_bindgen_test]
async fn a_worker_workload_completes_with_the_engines_exact_counters() {
    use iommu_web::components::page_table::columns;
    let count = 30_000;
    assert!(count >= iommu_web::worker::WORKER_PAIRS);
    let scenario = workload_text(count);
    let root = mount(State::booted(&scenario, None)).await;
    let (done, _, _) = wait_for(30_000.0, || {
        progress_of(&root).is_none() && !all(&root, ".trace-rows li").is_empty()
    })
    .await;
    assert!(done, "the run arrived: {}", text_of(&root));
    // The same scenario run here, by the engine, with snapshots.
    let opts = iommu_engine::scenario::Options {
        era: None,
        snapshots: true,
    };
    let run = iommu_engine::scenario::run(&scenario, &opts).expect("runs");
    let last = run
        .steps
        .iter()
        .rev()
        .find_map(|s| s.event.snapshot.as_ref())
        .expect("a snapshot");
    let dom = last
        .domains
        .iter()
        .find(|d| !d.freed && d.counters.is_some_and(|c| c.rcache_hits > 0))
        .expect("the workload's DMA domain");
    let c = dom.counters.expect("counters");
    assert_eq!(
        c.rcache_hits + c.rcache_misses,
        count,
        "every map asked the rcache"
    );
    let v: Vec<u64> = columns(&c).iter().map(|c| c.2).collect();
    let want = vec![
        v[0].to_string(),
        v[1].to_string(),
        format!("{}/{}", v[2], v[3]),
        v[4].to_string(),
        v[5].to_string(),
        v[6].to_string(),
        v[7].to_string(),
        format!("{}/{}", c.rcache_hits, c.rcache_misses),
        v[9].to_string(),
    ];
    click(&find(&root, "button[aria-label='Last step']"));
    settle().await;
    let row = find(&root, &format!(".counters tr[data-domain='{}']", dom.label));
    let drawn: Vec<String> = all(&row, "td").iter().map(text).collect();
    assert_eq!(drawn, want);
    assert!(text(&find(&root, ".verdict")).contains("1 expectations hold"));
    // The workload step is one row with its sampled summary, not 30,000.
    assert_eq!(all(&root, ".trace-rows > li").len(), run.steps.len());
    root.remove();
}

fn text_of(root: &Element) -> String {
    text(root).chars().take(400).collect()
}

/// Issue 15: a long workload is cancelled: its progress shows, the page keeps answering
/// (its timers run, the editor takes typing), Run again replaces the run in flight, Cancel
/// stops it within 100 ms, and the last run that finished stays drawn, marked stale, with
/// a notice.
#[wasm_bindgen_test]
async fn a_worker_workload_is_cancelled_and_the_last_run_stays() {
    // The last good run: small enough to run on the page.
    let small = workload_text(1_000);
    let root = mount(State::booted(&small, None)).await;
    assert!(progress_of(&root).is_none(), "1,000 pairs run on the page");
    let steps = all(&root, ".trace-rows > li").len();
    assert!(steps > 0);
    let area = textarea(&root);
    area.set_value(&workload_text(2_000_000));
    area.dispatch_event(&bubbling("input")).expect("dispatched");
    settle().await;
    click(&find(&root, "button.run"));
    let (seen, _, _) = wait_for(30_000.0, || progress_of(&root).is_some_and(|(d, _)| d > 0)).await;
    assert!(seen, "progress seen: {:?}", progress_of(&root));
    let (done, total) = progress_of(&root).expect("progress");
    assert_eq!(total, 2_000_000);
    assert!(done < total);
    // The page answers while the worker runs: timers every ~10 ms, the editor takes text.
    // A run of 2,000,000 pairs on the page would hold it for a second or more: one or two
    // polls in 500 ms. (Not the longest gap alone: on a machine busy with other builds a
    // timer can wait a few hundred ms with the page idle.)
    let (_, gap, polls) = wait_for(500.0, || false).await;
    assert!(
        polls >= 8,
        "{polls} polls of a 10 ms timer in 500 ms (longest wait {gap} ms)"
    );
    area.set_value(&format!(
        "{}# typed while it runs\n",
        workload_text(2_000_000)
    ));
    area.dispatch_event(&bubbling("input")).expect("dispatched");
    settle().await;
    assert!(
        text(&root).contains("typed while it runs"),
        "the editor shows the typing"
    );
    assert!(progress_of(&root).is_some(), "typing does not stop the run");
    // Run again: the run in flight is replaced (one worker, counting from the start).
    click(&find(&root, "button.run"));
    settle().await;
    assert_eq!(iommu_web::worker::in_flight(), 1);
    let (seen, _, _) = wait_for(30_000.0, || progress_of(&root).is_some_and(|(d, _)| d > 0)).await;
    assert!(seen, "the new run's progress");
    // Cancel: the worker is terminated in the click itself (the engine stops at once),
    // the bar goes at the next render; the last good run drawn and marked stale, a notice.
    let t0 = js_sys::Date::now();
    click(&find(&root, "[data-run-cancel]"));
    assert_eq!(iommu_web::worker::in_flight(), 0, "terminated by the click");
    let (gone, _, _) = wait_for(1_000.0, || progress_of(&root).is_none()).await;
    let took = js_sys::Date::now() - t0;
    assert!(gone, "the progress bar went ({took} ms)");
    assert!(text(&find(&root, ".notice")).contains("cancelled"));
    assert_eq!(
        all(&root, ".trace-rows > li").len(),
        steps,
        "the last good run"
    );
    assert!(find(&root, "section.trace").class_list().contains("stale"));
    assert!(text(&find(&root, "[data-stale]")).contains("cancelled"));
    // Nothing of the cancelled run arrives later.
    wait_for(300.0, || false).await;
    assert_eq!(all(&root, ".trace-rows > li").len(), steps);
    root.remove();
}
