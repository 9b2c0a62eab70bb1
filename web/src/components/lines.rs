//! The editor's gutter and coloured overlay as a component of their own, so they render
//! again only when the text or its errors change, not on every trace step (a 10,000-line
//! scenario would otherwise be lexed and diffed at each step).
use crate::components::code_view::{render_gutter, render_lines};
use iommu_engine::scenario::ParseErrors;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct LinesProps {
    pub text: AttrValue,
    #[prop_or_default]
    pub errors: Option<ParseErrors>,
    /// The line numbers (else the coloured lines).
    #[prop_or_default]
    pub gutter: bool,
}

#[function_component(Lines)]
pub fn lines(p: &LinesProps) -> Html {
    if p.gutter {
        render_gutter(&p.text, p.errors.as_ref())
    } else {
        render_lines(&p.text, p.errors.as_ref())
    }
}
