//! Scenario text drawn with the engine lexer's colours, one element per line, and the parse
//! errors at their line and column. The editor lays it under its textarea; embeds show it
//! read-only.
use crate::syntax::highlight_line;
use iommu_engine::scenario::ParseErrors;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct CodeViewProps {
    pub text: AttrValue,
    #[prop_or_default]
    pub errors: Option<ParseErrors>,
    /// Draw the line-number gutter.
    #[prop_or(true)]
    pub gutter: bool,
}

/// The coloured lines of `text`, with each error's message after the end of its line.
pub fn render_lines(text: &str, errors: Option<&ParseErrors>) -> Html {
    let errs = errors.map(|e| e.errors.as_slice()).unwrap_or(&[]);
    html! { <>
        { for text.split('\n').enumerate().map(|(i, line)| {
            let line = line.strip_suffix('\r').unwrap_or(line);
            let no = u32::try_from(i + 1).unwrap_or(u32::MAX);
            let here: Vec<_> = errs.iter().filter(|e| e.line() == no).collect();
            html! {
                <div class={classes!("code-line", (!here.is_empty()).then_some("has-error"))}>
                    { for highlight_line(line).into_iter().map(|p| if p.class.is_empty() {
                        html! { p.text.to_string() }
                    } else {
                        html! { <span class={p.class}>{ p.text.to_string() }</span> }
                    }) }
                    { for here.iter().map(|e| html! {
                        <span class="inline-error">{ format!("✗ {}:{} {}", e.line(), e.col(), e.message()) }</span>
                    }) }
                    { "\n" }
                </div>
            }
        }) }
    </> }
}

/// The line numbers of `text`, error lines marked.
pub fn render_gutter(text: &str, errors: Option<&ParseErrors>) -> Html {
    let errs = errors.map(|e| e.errors.as_slice()).unwrap_or(&[]);
    let lines = text.split('\n').count();
    html! { <>
        { for (1..=lines).map(|n| {
            let err = errs.iter().find(|e| e.line() as usize == n);
            html! {
                <div class={classes!("gutter-line", err.is_some().then_some("error"))}
                     data-line={n.to_string()} title={err.map(|e| e.to_string())}>
                    { if err.is_some() { format!("✗{n}") } else { n.to_string() } }
                </div>
            }
        }) }
    </> }
}

#[function_component(CodeView)]
pub fn code_view(props: &CodeViewProps) -> Html {
    html! {
        <div class="code-view">
            if props.gutter {
                <div class="gutter" aria-hidden="true">{ render_gutter(&props.text, props.errors.as_ref()) }</div>
            }
            <pre class="code-text">{ render_lines(&props.text, props.errors.as_ref()) }</pre>
        </div>
    }
}
