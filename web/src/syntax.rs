//! Syntax colouring from the engine's own lexer (`scenario::lexer::lex_line`), so the
//! colours never disagree with the parser. A line the lexer rejects is drawn plain.

use iommu_engine::scenario::lexer::{lex_line, Tok};
use iommu_engine::scenario::parser::KEYWORDS;
use iommu_engine::scenario::CallName;

/// One coloured piece of a line: the CSS class (`""` for plain) and the text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Piece<'a> {
    pub class: &'static str,
    pub text: &'a str,
}

fn class(tok: &Tok, first: bool, after_at: bool) -> &'static str {
    match tok {
        Tok::Comment(_) => "tok-comment",
        Tok::Word(w) if first && KEYWORDS.contains(&w.as_str()) => "tok-keyword",
        Tok::Word(_) if after_at => "tok-era",
        Tok::Word(w) if CallName::parse(w).is_some() => "tok-call",
        Tok::Word(_) => "tok-word",
        Tok::Lit(_) => "tok-lit",
        Tok::Neg(_) => "tok-errno",
        Tok::FatArrow | Tok::Arrow | Tok::EqEq | Tok::NotEq | Tok::At | Tok::Semi => "tok-op",
        _ => "tok-punct",
    }
}

/// Splits `line` (without its newline) into pieces that concatenate back to `line`.
pub fn highlight_line(line: &str) -> Vec<Piece<'_>> {
    let Ok(tokens) = lex_line(line, 1, 0) else {
        return vec![Piece {
            class: "",
            text: line,
        }];
    };
    let mut out = Vec::with_capacity(tokens.len() * 2 + 1);
    let mut at = 0;
    let mut prev_at = false;
    for (i, t) in tokens.iter().enumerate() {
        let (start, end) = (t.span.start.min(line.len()), t.span.end.min(line.len()));
        if start > at {
            if let Some(gap) = line.get(at..start) {
                out.push(Piece {
                    class: "",
                    text: gap,
                });
            }
        }
        // A comment token's span starts at `#` and runs to the end of the line.
        let end = if matches!(t.tok, Tok::Comment(_)) {
            line.len()
        } else {
            end
        };
        if let Some(text) = line.get(start.max(at)..end) {
            out.push(Piece {
                class: class(&t.tok, i == 0, prev_at),
                text,
            });
        }
        at = end.max(at);
        prev_at = t.tok == Tok::At || (prev_at && t.tok == Tok::Comma);
    }
    if let Some(rest) = line.get(at..).filter(|r| !r.is_empty()) {
        out.push(Piece {
            class: "",
            text: rest,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn joined(line: &str) -> String {
        highlight_line(line).iter().map(|p| p.text).collect()
    }

    #[test]
    fn pieces_cover_the_line_exactly() {
        for (_, text) in iommu_engine::corpus::CORPUS {
            for line in text.lines() {
                assert_eq!(joined(line), line);
            }
        }
        assert_eq!(joined("bad ~ line"), "bad ~ line");
    }

    #[test]
    fn calls_literals_errnos_and_comments_are_classed() {
        let p = highlight_line("bind 01:00.1 e1000e => -EBUSY # the GPU");
        let classes: Vec<_> = p
            .iter()
            .filter(|p| !p.class.is_empty())
            .map(|p| (p.class, p.text))
            .collect();
        assert_eq!(
            classes,
            vec![
                ("tok-call", "bind"),
                ("tok-lit", "01:00.1"),
                ("tok-word", "e1000e"),
                ("tok-op", "=>"),
                ("tok-errno", "-EBUSY"),
                ("tok-comment", "# the GPU"),
            ]
        );
        assert_eq!(highlight_line("pci 00:01.0 rp")[0].class, "tok-keyword");
    }
}
