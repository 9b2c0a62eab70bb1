//! One function component per file. Every panel reads the one [`crate::state::State`] from
//! the context and dispatches [`crate::state::Action`]s; none computes kernel behaviour.

pub mod acs_what_if;
pub mod app;
pub mod code_view;
pub mod compare;
pub mod editor;
pub mod editor_text;
pub mod era_select;
pub mod explain;
pub mod import_panel;
pub mod iova_space;
pub mod legend;
pub mod lines;
pub mod notice;
pub mod page_table;
pub mod preset_menu;
pub mod pt_walk;
pub mod run_progress;
pub mod share_button;
pub mod splitter;
pub mod toolbar;
pub mod topo_view;
pub mod topology;
pub mod trace;
pub mod trace_row;
pub mod widget;
pub mod workload_charts;
