//! The widgets' stylesheet, made from the playground's: every rule of `static/style.css`
//! (and the widget-only `static/widget.css`) scoped under `.iommu-widget`, so a widget on a
//! documentation page never restyles the page (issue 14, item 11).
//!
//! `web/build.rs` runs [`scope`] at build time (this file is `#[path]`-included there) and
//! `embed` injects the result once per page. The input is the playground's own stylesheet,
//! so it is a plain subset of CSS: no strings or escaped characters holding braces.
//!
//! - `html`, `body` rules (the page) and the full app's own (`.playground`, its toolbar,
//!   panes, Share, Compare and Import: [`APP_ONLY`]) are dropped — a widget has none of them, and
//!   the stylesheet ships inside the wasm bundle;
//! - `:root` (the colour variables) becomes `.iommu-widget` itself, `*` the widget and all
//!   inside it, any other selector `.iommu-widget <selector>`;
//! - rules inside `@media (prefers-color-scheme: dark)` apply on a dark system unless the
//!   host page chose a light theme (mdBook: `<html class="light">` or `"rust"`), and also,
//!   outside the media query, whenever the host page chose a dark theme (mdBook: `navy`,
//!   `coal`, `ayu`): widgets follow the book's theme switcher, not only the system's;
//! - `@container` blocks are scoped like `@media`; other at-rules with a block (`@keyframes`)
//!   are kept as they are.

/// Class prefixes of the full app's chrome, which no widget draws.
const APP_ONLY: [&str; 6] = [
    ".playground",
    ".toolbar",
    ".panes",
    ".share",
    ".compare",
    ".import",
];

/// The class every widget's outer element has.
pub const ROOT: &str = ".iommu-widget";
/// Where the dark rules apply on a dark system: not under a host page's light theme.
const DARK_SYSTEM: &str = "html:not(.light):not(.rust) .iommu-widget";
/// Where the dark rules apply whatever the system: under a host page's dark theme.
const DARK_THEME: &str = ":is(html.navy, html.coal, html.ayu) .iommu-widget";

/// `css` with every rule scoped to the widget (see the module doc).
pub fn scope(css: &str) -> String {
    let css = strip_comments(css);
    let mut out = String::new();
    let mut dark_copies = String::new();
    rules(&css, &[ROOT], false, &mut out, &mut dark_copies);
    out.push_str(&dark_copies);
    out
}

fn strip_comments(css: &str) -> String {
    let mut out = String::with_capacity(css.len());
    let mut rest = css;
    while let Some(at) = rest.find("/*") {
        out.push_str(&rest[..at]);
        rest = rest[at + 2..]
            .find("*/")
            .map_or("", |end| &rest[at + 2 + end + 2..]);
    }
    out.push_str(rest);
    out
}

/// The index of the `}` that closes the block whose body starts at `from`.
fn block_end(css: &str, from: usize) -> usize {
    let mut depth = 1usize;
    for (i, c) in css[from..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return from + i;
                }
            }
            _ => {}
        }
    }
    css.len()
}

/// Scopes the rules of `css` under `prefixes` into `out`; `dark` marks the rules of a
/// dark-scheme media query, also copied under [`DARK_THEME`] into `dark_copies`.
fn rules(css: &str, prefixes: &[&str], dark: bool, out: &mut String, dark_copies: &mut String) {
    let mut at = 0;
    while let Some(open) = css[at..].find('{').map(|i| at + i) {
        let prelude = css[at..open].trim();
        let close = block_end(css, open + 1);
        let body = &css[open + 1..close];
        at = (close + 1).min(css.len());
        if prelude.starts_with("@media")
            || prelude.starts_with("@supports")
            || prelude.starts_with("@container")
        {
            let is_dark = prelude.contains("prefers-color-scheme: dark");
            let inner = if is_dark {
                &[DARK_SYSTEM][..]
            } else {
                prefixes
            };
            let mut block = String::new();
            rules(body, inner, is_dark, &mut block, dark_copies);
            if !block.is_empty() {
                out.push_str(&format!("{prelude} {{\n{block}}}\n"));
            }
        } else if prelude.starts_with('@') {
            out.push_str(&format!("{prelude} {{{body}}}\n"));
        } else {
            // One line per rule.
            let body = body.split_whitespace().collect::<Vec<_>>().join(" ");
            let scoped = selectors(prelude, prefixes);
            if !scoped.is_empty() {
                out.push_str(&format!("{scoped} {{ {body} }}\n"));
            }
            if dark {
                let themed = selectors(prelude, &[DARK_THEME]);
                if !themed.is_empty() {
                    dark_copies.push_str(&format!("{themed} {{ {body} }}\n"));
                }
            }
        }
    }
}

/// A selector list with each selector put under every prefix (empty: all dropped).
fn selectors(list: &str, prefixes: &[&str]) -> String {
    let mut out: Vec<String> = Vec::new();
    for sel in split_list(list) {
        for p in prefixes {
            out.extend(selector(sel, p));
        }
    }
    out.join(", ")
}

/// Splits a selector list at its top-level commas (not those inside `:is(…)`).
fn split_list(list: &str) -> Vec<&str> {
    let (mut parts, mut depth, mut start) = (Vec::new(), 0i32, 0);
    for (i, c) in list.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(list[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(list[start..].trim());
    parts.retain(|p| !p.is_empty());
    parts
}

fn selector(sel: &str, prefix: &str) -> Vec<String> {
    let first = sel
        .split(|c: char| c.is_whitespace() || c == '>' || c == '+' || c == '~')
        .next()
        .unwrap_or("");
    match first {
        "html" | "body" => Vec::new(),
        _ if APP_ONLY.iter().any(|p| first.starts_with(p)) => Vec::new(),
        ":root" if sel == ":root" => vec![prefix.to_string()],
        "*" if sel == "*" => vec![prefix.to_string(), format!("{prefix} *")],
        _ => match sel.strip_prefix(ROOT) {
            // Already the widget (`.iommu-widget .x`, `.iommu-widget`): under the prefix's html part.
            Some(rest)
                if !rest.starts_with(|c: char| c.is_alphanumeric() || c == '-' || c == '_') =>
            {
                vec![format!("{prefix}{rest}")]
            }
            _ => vec![format!("{prefix} {sel}")],
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_rules_are_dropped_and_the_rest_scoped() {
        let css = "/* c */ :root { --bg: #fff; }\n* { box-sizing: border-box; }\n\
                   html, body { margin: 0; font: 14px serif; }\n.playground .x { a: b; }\n\
                   .badge, .trace td { color: red; }\n.iommu-widget .topo { h: auto; }\n\
                   .iommu-widget { font: 14px sans-serif; }\n.iommu-widgets { z: 1; }\n\
                   @keyframes flash { from { x: 1; } to { x: 2; } }";
        let out = scope(css);
        assert_eq!(
            out,
            ".iommu-widget { --bg: #fff; }\n\
             .iommu-widget, .iommu-widget * { box-sizing: border-box; }\n\
             .iommu-widget .badge, .iommu-widget .trace td { color: red; }\n\
             .iommu-widget .topo { h: auto; }\n\
             .iommu-widget { font: 14px sans-serif; }\n\
             .iommu-widget .iommu-widgets { z: 1; }\n\
             @keyframes flash { from { x: 1; } to { x: 2; } }\n"
        );
        assert!(!out.contains("html") && !out.contains("body"));
    }

    #[test]
    fn dark_rules_follow_the_system_unless_the_page_is_light_and_the_page_dark_theme() {
        let css = "@media (prefers-color-scheme: dark) { :root { --bg: #000; } .tok { c: y; } }\n\
                   @media (max-width: 800px) { .playground { h: auto; } .panes { g: 1; } .trace { g: 1; } }";
        let out = scope(css);
        assert_eq!(
            out,
            "@media (prefers-color-scheme: dark) {\n\
             html:not(.light):not(.rust) .iommu-widget { --bg: #000; }\n\
             html:not(.light):not(.rust) .iommu-widget .tok { c: y; }\n}\n\
             @media (max-width: 800px) {\n.iommu-widget .trace { g: 1; }\n}\n\
             :is(html.navy, html.coal, html.ayu) .iommu-widget { --bg: #000; }\n\
             :is(html.navy, html.coal, html.ayu) .iommu-widget .tok { c: y; }\n"
        );
    }

    #[test]
    fn the_playground_stylesheet_scopes_with_no_page_rule_left() {
        let css = concat!(
            include_str!("../../static/style.css"),
            include_str!("../../static/widget.css")
        );
        let out = scope(css);
        for line in out.lines() {
            let sel = line.split('{').next().unwrap_or("").trim();
            if sel.is_empty()
                || sel.starts_with('@')
                || sel.starts_with("from")
                || sel.starts_with("to")
                || sel == "}"
            {
                continue;
            }
            for s in split_list(sel) {
                assert!(
                    s.starts_with(ROOT) || s.starts_with(DARK_SYSTEM) || s.starts_with(DARK_THEME),
                    "unscoped selector {s:?} in {line:?}"
                );
            }
        }
        assert!(out.contains(".iommu-widget { --bg:"));
    }
}
