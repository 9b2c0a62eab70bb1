//! "Import your machine" (shared/IMPORT.md "In the playground"): the commands to run, a
//! paste box (and file drop), then the machine's real groups beside the simulated ones with
//! the differences and the facts not read from the listing marked, what-if toggles, and
//! "Open in the playground" (the imported scenario in the editor: drawn, run and shared like
//! any scenario). A failed import keeps the pasted text and says where it could not read.
//!
//! The import, the regrouping and every sentence are the engine's
//! ([`iommu_engine::import::import`], [`iommu_engine::scenario::view::what_if_config`]);
//! this file only lays them out. The import runs in the worker module
//! ([`crate::worker::start_import`]: the page's bundle does not link it), so Import shows
//! "Importing…" until its answer arrives; the what-if regrouping runs here.
use super::acs_what_if::sets;
use crate::share::ImportView;
use crate::state::{use_app_state, Action};
use crate::worker::{ImportSummary, Update};
use iommu_engine::group::ConfigDiff;
use iommu_engine::scenario::view::what_if_config;
use iommu_engine::topology::cmdline::{AcsOverride, OverrideOpt};
use iommu_engine::topology::Bdf;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// What to run on the machine, one command a line (the group loop prints the shell loop
/// format shared/IMPORT.md lists).
pub const COMMANDS: &str = "sudo lspci -vvvnn
for g in /sys/kernel/iommu_groups/*; do echo \"IOMMU Group ${g##*/}:\"; for d in \"$g\"/devices/*; do echo -e \"\\t$(lspci -nns \"${d##*/}\")\"; done; done
sudo dmesg | grep -iE 'iommu|dmar|amd-vi| pci 0000'
cat /proc/cmdline";

/// The what-if toggles: the `config` setting that switches each on, the one that switches
/// it off (the two override options share one `pcie_acs_override=` value), and its label.
pub const TOGGLES: [(&str, &str, &str); 5] = [
    ("pcie_acs_override=downstream", "", "downstream"),
    ("pcie_acs_override=multifunction", "", "multifunction"),
    ("acs-fix=on", "acs-fix=off", "acs-fix"),
    ("iommu=pt", "iommu=nopt", "iommu=pt"),
    ("iommu.strict=0", "iommu.strict=1", "lazy"),
];

/// The toggles as the pasted `/proc/cmdline` set them (the imported scenario's `config`
/// line), and the `pcie_acs_override=` options no toggle shows (`id:`), kept either way.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Pasted {
    pub on: Vec<bool>,
    pub ids: Vec<OverrideOpt>,
}

impl Pasted {
    /// What the imported scenario's `config` line sets.
    pub fn of(scenario_text: &str) -> Pasted {
        let Ok(s) = iommu_engine::scenario::parse(scenario_text) else {
            return Pasted {
                on: vec![false; TOGGLES.len()],
                ids: Vec::new(),
            };
        };
        let (c, o) = (s.config(), s.acs_params().acs_override);
        Pasted {
            on: vec![
                o.downstream(),
                o.multifunction(),
                c.acs_fix,
                c.passthrough,
                !c.strict,
            ],
            ids: o
                .opts
                .into_iter()
                .filter(|x| matches!(x, OverrideOpt::Id(_)))
                .collect(),
        }
    }
}

/// The settings that take the pasted machine to the toggles `on`, as one `config` line's
/// settings (empty: as pasted). Each toggle that differs from the paste is written on or
/// off explicitly (later settings of a key win).
pub fn settings(on: &[bool], pasted: &Pasted) -> String {
    let differs = |i: usize| on.get(i) != pasted.on.get(i);
    let is_on = |i: usize| on.get(i).copied().unwrap_or(false);
    let mut out = Vec::new();
    if differs(0) || differs(1) {
        let mut opts = Vec::new();
        if is_on(0) {
            opts.push(OverrideOpt::Downstream);
        }
        if is_on(1) {
            opts.push(OverrideOpt::Multifunction);
        }
        opts.extend(pasted.ids.iter().cloned());
        out.push(match opts.is_empty() {
            true => "pcie_acs_override=off".to_string(),
            false => format!("pcie_acs_override={}", AcsOverride { opts }),
        });
    }
    for (i, (on_setting, off_setting, _)) in TOGGLES.iter().enumerate().skip(2) {
        if differs(i) {
            out.push(if is_on(i) { on_setting } else { off_setting }.to_string());
        }
    }
    out.join(" ")
}

/// The outcome of the last import.
#[derive(Clone, PartialEq)]
enum Outcome {
    None,
    /// Sent to the worker; its answer has not arrived.
    Importing,
    Failed {
        line: u32,
        col: u32,
        message: String,
    },
    Done(Rc<ImportSummary>, Rc<Pasted>),
}

fn bdf_of(name: &str) -> Option<Bdf> {
    Bdf::parse(name)
}

/// The simulated groups (member lists) holding `members` in `partition`.
fn holding(partition: &[Vec<String>], members: &[Bdf]) -> Vec<Vec<Bdf>> {
    partition
        .iter()
        .map(|g| g.iter().filter_map(|n| bdf_of(n)).collect::<Vec<Bdf>>())
        .filter(|g| g.iter().any(|b| members.contains(b)))
        .collect()
}

fn names(b: &[Bdf]) -> String {
    b.iter().map(Bdf::to_string).collect::<Vec<_>>().join(" ")
}

/// The toggles as a share link writes them (`1` on).
fn bits(on: &[bool]) -> String {
    on.iter().map(|&o| if o { '1' } else { '0' }).collect()
}

#[function_component(ImportPanel)]
pub fn import_panel() -> Html {
    let state = use_app_state();
    // A share link reopens the panel with its paste (and, once imported, its toggles).
    let linked = state.import.clone();
    let open = use_state(|| linked.is_some());
    let paste = use_state(|| linked.as_ref().map(|i| i.paste.clone()).unwrap_or_default());
    let outcome = use_state(|| Outcome::None);
    let toggles = use_state(|| vec![false; TOGGLES.len()]);
    let copied = use_state(|| false);
    let section = use_node_ref();
    // The import in flight (its job id): a newer import or the panel going away ends it.
    let job = use_mut_ref(|| None::<u32>);
    // Imports `paste` in the worker; the toggles then start as `linked` sets them (a share
    // link's, when it has one for each), else as the pasted /proc/cmdline set them.
    let begin = {
        let (outcome, toggles, job) = (outcome.clone(), toggles.clone(), job.clone());
        Rc::new(move |paste: &str, linked: Option<Vec<bool>>| {
            if let Some(old) = job.borrow_mut().take() {
                crate::worker::cancel(old);
            }
            let id = crate::worker::next_id();
            *job.borrow_mut() = Some(id);
            outcome.set(Outcome::Importing);
            let (outcome, toggles, job) = (outcome.clone(), toggles.clone(), job.clone());
            let on: Rc<dyn Fn(Update)> = Rc::new(move |u| {
                if *job.borrow() != Some(id) {
                    return;
                }
                *job.borrow_mut() = None;
                match u {
                    Update::Imported(result) => match *result {
                        Ok(i) => {
                            let pasted = Pasted::of(&i.scenario_text);
                            let on = linked
                                .clone()
                                .filter(|l| l.len() == TOGGLES.len())
                                .unwrap_or_else(|| pasted.on.clone());
                            toggles.set(on);
                            outcome.set(Outcome::Done(Rc::new(i), Rc::new(pasted)));
                        }
                        Err(e) => outcome.set(Outcome::Failed {
                            line: e.line,
                            col: e.col,
                            message: e.message,
                        }),
                    },
                    Update::Lost(why) => outcome.set(Outcome::Failed {
                        line: 0,
                        col: 0,
                        message: format!("the importer could not be loaded: {why}"),
                    }),
                    Update::Progress { .. } | Update::Done(_) | Update::Compared(_) => {}
                }
            });
            crate::worker::start_import(id, paste, on);
        })
    };
    {
        let begin = begin.clone();
        let job = job.clone();
        use_effect_with((), move |_| {
            if let Some(l) = linked.filter(|l| !l.toggles.is_empty()) {
                let on: Vec<bool> = l.toggles.chars().map(|c| c == '1').collect();
                begin(&l.paste, Some(on));
            }
            move || {
                if let Some(id) = job.borrow_mut().take() {
                    crate::worker::cancel(id);
                }
            }
        });
    }
    {
        // The panel's state into the app's, for the URL and the share link.
        let dispatcher = state.dispatcher();
        let done = matches!(*outcome, Outcome::Done(..));
        let key = (*open, (*paste).clone(), done.then(|| bits(&toggles)));
        use_effect_with(key, move |(open, paste, toggles)| {
            let view = open.then(|| ImportView {
                paste: paste.clone(),
                toggles: toggles.clone().unwrap_or_default(),
            });
            dispatcher.dispatch(Action::SetImport(view));
        });
    }
    {
        // Esc closes the panel (unless something before it took the key, such as the Share
        // popover). A key pressed inside the panel is its own: the page's Esc (closing
        // compare) does not see it.
        let is_open = use_mut_ref(|| false);
        *is_open.borrow_mut() = *open;
        let open = open.clone();
        let section = section.clone();
        use_effect_with((), move |_| {
            let listener = super::share_button::on_escape(move |e| {
                if e.default_prevented() || !is_open.replace(false) {
                    return;
                }
                let target = e.target().and_then(|t| t.dyn_into::<web_sys::Node>().ok());
                if section.get().is_some_and(|s| s.contains(target.as_ref())) {
                    e.prevent_default();
                }
                open.set(false);
            });
            move || drop(listener)
        });
    }

    let flip = {
        let open = open.clone();
        Callback::from(move |_: MouseEvent| open.set(!*open))
    };
    let copy = {
        let copied = copied.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(w) = web_sys::window() {
                // The browser may refuse (no permission): the commands stay on screen.
                let _ = w.navigator().clipboard().write_text(COMMANDS);
                copied.set(true);
            }
        })
    };
    let on_input = {
        let paste = paste.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(t) = e
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlTextAreaElement>().ok())
            {
                paste.set(t.value());
            }
        })
    };
    let on_dragover = Callback::from(|e: DragEvent| e.prevent_default());
    let on_drop = {
        let paste = paste.clone();
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            let files = e.data_transfer().and_then(|d| d.files());
            let Some(files) = files else { return };
            let texts: Vec<js_sys::Promise> = (0..files.length())
                .filter_map(|i| files.item(i))
                .map(|f| f.text())
                .collect();
            let paste = paste.clone();
            let before = (*paste).clone();
            yew::platform::spawn_local(async move {
                let mut all = before;
                for p in texts {
                    if let Ok(v) = wasm_bindgen_futures::JsFuture::from(p).await {
                        if !all.is_empty() && !all.ends_with('\n') {
                            all.push('\n');
                        }
                        all.push_str(&v.as_string().unwrap_or_default());
                    }
                }
                paste.set(all);
            });
        })
    };
    let run_import = {
        let paste = paste.clone();
        // The toggles start as the pasted /proc/cmdline set them.
        Callback::from(move |_: MouseEvent| begin(&paste, None))
    };
    let open_in_playground = {
        let outcome = outcome.clone();
        let dispatcher = state.dispatcher();
        let toggles = toggles.clone();
        Callback::from(move |_: MouseEvent| {
            if let Outcome::Done(i, pasted) = &*outcome {
                let extra = settings(&toggles, pasted);
                let mut text = i.scenario_text.clone();
                if !extra.is_empty() {
                    text = with_config(&text, &extra);
                }
                dispatcher.dispatch(Action::Edit(text));
                dispatcher.dispatch(Action::Run);
            }
        })
    };

    let importing = matches!(*outcome, Outcome::Importing);
    let state_attr = match &*outcome {
        Outcome::None => "idle",
        Outcome::Importing => "importing",
        Outcome::Failed { .. } => "failed",
        Outcome::Done(..) => "done",
    };
    html! {
        <section class="import-machine" data-import={state_attr} ref={section}>
            <button type="button" class="import-open" aria-expanded={open.to_string()} onclick={flip}>
                { "Import your machine" }
            </button>
            if *open {
                <div class="import-body">
                    <p class="import-help">
                        { "Run these on the machine (any of them; more gives a better picture) and paste what they print below, or drop the saved files:" }
                    </p>
                    <div class="import-commands-row">
                        <pre class="import-commands mono">{ COMMANDS }</pre>
                        <button type="button" class="import-copy" onclick={copy}>
                            { if *copied { "Copied" } else { "Copy" } }
                        </button>
                    </div>
                    <textarea class="import-paste mono" spellcheck="false" rows="8"
                        aria-label="Paste lspci, iommu group, dmesg and /proc/cmdline output"
                        placeholder="Paste lspci -vvvnn, the group loop, dmesg and /proc/cmdline here, or drop files"
                        value={(*paste).clone()} oninput={on_input}
                        ondragover={on_dragover} ondrop={on_drop} />
                    <div class="import-actions">
                        <button type="button" class="import-run" onclick={run_import}
                            disabled={paste.trim().is_empty() || importing}>{ "Import" }</button>
                    </div>
                    { match &*outcome {
                        Outcome::None => html! {},
                        Outcome::Importing => html! {
                            <p class="import-pending" role="status">{ "Importing…" }</p>
                        },
                        Outcome::Failed { line: 0, col: 0, message } => html! {
                            <p class="import-error err" role="alert">{ message }</p>
                        },
                        Outcome::Failed { line, col, message } => html! {
                            <p class="import-error err" role="alert"
                                data-line={line.to_string()} data-col={col.to_string()}>
                                { format!("{line}:{col}: {message}") }
                            </p>
                        },
                        Outcome::Done(i, pasted) => html! {
                            <ImportResult imported={i.clone()} pasted={pasted.clone()} toggles={toggles.clone()}
                                open_in_playground={open_in_playground} />
                        },
                    } }
                </div>
            }
        </section>
    }
}

/// Adds `settings` to an imported scenario: at the end of its `config` line (later
/// settings win, as `iommu-play import --config` writes them), else as a `config` line at
/// the top (after its leading comment block), where the language wants the header.
fn with_config(text: &str, settings: &str) -> String {
    let mut out = String::new();
    let has_config = text.lines().any(|l| l.starts_with("config "));
    let mut placed = false;
    for line in text.lines() {
        if !placed && !has_config && !line.starts_with('#') {
            out.push_str("config ");
            out.push_str(settings);
            out.push('\n');
            placed = true;
        }
        out.push_str(line);
        if !placed && line.starts_with("config ") {
            out.push(' ');
            out.push_str(settings);
            placed = true;
        }
        out.push('\n');
    }
    if !placed {
        out.push_str("config ");
        out.push_str(settings);
        out.push('\n');
    }
    out
}

#[derive(Properties, PartialEq)]
struct WhatIfListProps {
    diff: Rc<ConfigDiff>,
}

/// The what-if's answer: the groups that would split or merge, before → after, one a row.
#[function_component(WhatIfList)]
fn what_if_list(props: &WhatIfListProps) -> Html {
    let d = &props.diff;
    let row = |c: &iommu_engine::group::GroupChange, kind: &'static str| {
        html! {
            <li class={kind}>
                <span class="what-if-before">{ sets(&c.before) }</span>
                <span class="what-if-arrow">{ " → " }</span>
                <span class="what-if-after">{ sets(&c.after) }</span>
            </li>
        }
    };
    html! {
        <div class="import-what-if" data-split={d.split.len().to_string()}
            data-merged={d.merged.len().to_string()}>
            <p class="import-what-if-head">
                { format!("{} groups → {}", d.before.len(), d.after.len()) }
                if d.is_unchanged() { { ": no group would change" } }
                if !d.split.is_empty() { <span class="badge split">{ format!("{} split", d.split.len()) }</span> }
                if !d.merged.is_empty() { <span class="badge merged">{ format!("{} merged", d.merged.len()) }</span> }
            </p>
            <ul class="what-if-changes import-what-if-changes mono">
                { for d.split.iter().map(|c| row(c, "split")) }
                { for d.merged.iter().map(|c| row(c, "merged")) }
            </ul>
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct ImportResultProps {
    imported: Rc<ImportSummary>,
    pasted: Rc<Pasted>,
    toggles: UseStateHandle<Vec<bool>>,
    open_in_playground: Callback<MouseEvent>,
}

#[function_component(ImportResult)]
fn import_result(props: &ImportResultProps) -> Html {
    let r = &props.imported;
    let extra = settings(&props.toggles, &props.pasted);
    // The what-if: the imported machine booted with the toggles, regrouped by the engine.
    let what_if: Option<Result<ConfigDiff, String>> = (!extra.is_empty()).then(|| {
        let text = &props.imported.scenario_text;
        match iommu_engine::scenario::parse(text) {
            Ok(s) => what_if_config(&s, text, &extra),
            Err(e) => Err(e.to_string()),
        }
    });
    let after = what_if
        .as_ref()
        .and_then(|w| w.as_ref().ok())
        .map(|d| &d.after);
    let toggle_boxes = TOGGLES.iter().enumerate().map(|(i, (setting, _, label))| {
        let toggles = props.toggles.clone();
        let checked = toggles.get(i).copied().unwrap_or(false);
        let pasted = props.pasted.on.get(i).copied().unwrap_or(false);
        let onchange = Callback::from(move |_: Event| {
            let mut v = (*toggles).clone();
            if let Some(x) = v.get_mut(i) {
                *x = !*x;
            }
            toggles.set(v);
        });
        html! {
            <label class="import-toggle" title={*setting} data-pasted={pasted.to_string()}>
                <input type="checkbox" data-setting={*setting} checked={checked} onchange={onchange} />
                { *label }
            </label>
        }
    });
    let reset = {
        let (toggles, on) = (props.toggles.clone(), props.pasted.on.clone());
        Callback::from(move |_: MouseEvent| toggles.set(on.clone()))
    };
    let rows = r.groups.iter().map(|g| {
        let simulated: Vec<Vec<Bdf>> = match after {
            Some(p) => holding(p, &g.members),
            None => g.simulated.clone(),
        };
        let same = match after {
            Some(_) => {
                simulated.len() == 1
                    && simulated
                        .first()
                        .is_some_and(|s| g.members.iter().all(|m| s.contains(m)))
            }
            None => g.same,
        };
        html! {
            <li class="import-group" data-real={g.real.to_string()} data-members={names(&g.members)}
                data-same={same.to_string()}>
                <span class="import-real mono">
                    <span class="import-group-id">{ iommu_engine::GroupId(g.real).to_string() }</span>{ names(&g.members) }
                </span>
                <span class="import-sim mono">
                    { for simulated.iter().map(|s| html! {
                        <span class="import-sim-group" data-members={names(s)}>{ format!("{{{}}}", names(s)) }</span>
                    }) }
                </span>
            </li>
        }
    });
    let facts = r.facts.iter().map(|f| {
        html! {
            <li class="import-fact" data-kind={f.kind.clone()} data-bdf={f.bdf.to_string()}>
                <span class="mono">{ f.bdf.to_string() }</span>{ " " }{ &f.text }
            </li>
        }
    });
    html! {
        <div class="import-result" data-reproduced={r.reproduced.to_string()}
            data-inferred={r.facts.len().to_string()}>
            if !r.config.is_empty() {
                <p class="import-config mono" data-config={r.config.clone()}>{ &r.config }</p>
            }
            <div class="import-toggles" role="group" aria-label="What if">
                <span>{ "What if:" }</span>
                { for toggle_boxes }
                <button type="button" class="import-reset" onclick={reset} disabled={extra.is_empty()}
                    title="The toggles as the pasted /proc/cmdline set them">{ "as pasted" }</button>
            </div>
            if let Some(w) = &what_if {
                { match w {
                    Ok(d) => html! { <WhatIfList diff={Rc::new(d.clone())} /> },
                    Err(e) => html! { <p class="import-what-if err">{ e }</p> },
                } }
            }
            <div class="import-groups-head"><span>{ "real group" }</span><span>{ if after.is_some() { "simulated (what-if)" } else { "simulated" } }</span></div>
            <ul class="import-groups">{ for rows }</ul>
            if !r.differences.is_empty() {
                <ul class="import-differences">
                    { for r.differences.iter().map(|d| html! {
                        <li class="import-difference" data-bdf={d.device.to_string()}>{ &d.sentence }</li>
                    }) }
                </ul>
            }
            if !r.facts.is_empty() {
                <details class="import-facts-box">
                    <summary>{ format!("{} facts not read from the listing", r.facts.len()) }</summary>
                    <ul class="import-facts">{ for facts }</ul>
                </details>
            }
            <div class="import-actions">
                <button type="button" class="import-open-scenario" onclick={props.open_in_playground.clone()}>
                    { "Open in the playground" }
                </button>
            </div>
        </div>
    }
}
