//! Scenario-language errors: values with a span, rendered `FILE:LINE:COL: message` plus the
//! source line and a caret line (shared/SCENARIO.md "Lexical").

use super::ast::Span;
use std::fmt;
use thiserror::Error;

/// What went wrong. The `Display` text is the message after `LINE:COL: `.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum ErrorKind {
    #[error("the scenario is larger than {max} bytes")]
    InputTooLarge { max: usize },
    #[error("line is longer than {max} bytes")]
    LineTooLong { max: usize },
    #[error("more than {max} statements")]
    TooManyStatements { max: usize },
    #[error("unexpected character {0:?}")]
    UnexpectedChar(char),
    #[error("bad number `{text}`: {why}")]
    BadNumber { text: String, why: &'static str },
    #[error("bad PCI address `{text}`: {why}")]
    BadBdf { text: String, why: &'static str },
    #[error("bad {what} `{text}`: {why}")]
    BadValue {
        what: &'static str,
        text: String,
        why: &'static str,
    },
    #[error("unknown call `{name}`{}", did_you_mean(.suggestion))]
    UnknownCall {
        name: String,
        suggestion: Option<&'static str>,
    },
    #[error("unknown statement `{word}`{}", did_you_mean(.suggestion))]
    UnknownStatement {
        word: String,
        suggestion: Option<&'static str>,
    },
    #[error("unknown {what} `{word}`{}", did_you_mean(.suggestion))]
    Unknown {
        what: &'static str,
        word: String,
        suggestion: Option<&'static str>,
    },
    #[error("`{call}` takes {expected}, found {found}")]
    Arity {
        call: &'static str,
        expected: String,
        found: usize,
    },
    #[error("argument {index} of `{call}` must be {expected}, found {found}")]
    ArgKind {
        call: &'static str,
        index: usize,
        expected: &'static str,
        found: String,
    },
    #[error("expected {expected}, found {found}")]
    Expected {
        expected: &'static str,
        found: String,
    },
    #[error("`{key}` must be on or off, found {found}")]
    BadSwitch { key: &'static str, found: String },
    #[error("`{0}` must come before the first call")]
    HeaderAfterCall(&'static str),
    #[error("`{0}` is given twice")]
    Duplicate(String),
    #[error("unknown handle `{name}`: no earlier `{name} = {producer}(...)`")]
    UnknownHandle {
        name: String,
        producer: &'static str,
    },
    #[error("`{name}` is NULL: its `{name} = iommu_domain_alloc(...)` on line {line} failed")]
    NullHandle { name: String, line: u32 },
    #[error("`{0}` is a reserved word and cannot name a handle")]
    ReservedHandle(String),
    #[error("`{call}` does not return a {what}, so it cannot be kept in a handle")]
    NoHandle {
        call: &'static str,
        what: &'static str,
    },
    #[error("{0}")]
    Invalid(&'static str),
    /// A statement the engine cannot run: it names something that does not exist, or the
    /// topology rejects it (scenario/run.rs).
    #[error("{0}")]
    Run(String),
}

fn did_you_mean(s: &Option<&'static str>) -> String {
    match s {
        Some(s) => format!("; did you mean `{s}`?"),
        None => String::new(),
    }
}

/// How many characters of the offending line [`ParseError::render`] shows.
const SHOWN: usize = 160;

/// One error at one place.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("{}:{}: {kind}", .span.line, .span.col)]
pub struct ParseError {
    pub kind: ErrorKind,
    pub span: Span,
}

impl ParseError {
    pub fn new(kind: ErrorKind, span: Span) -> Self {
        ParseError { kind, span }
    }

    pub fn line(&self) -> u32 {
        self.span.line
    }

    pub fn col(&self) -> u32 {
        self.span.col
    }

    /// The message without position (`unknown call ...`).
    pub fn message(&self) -> String {
        self.kind.to_string()
    }

    /// `FILE:LINE:COL: message`, the offending source line and a caret line under the span.
    pub fn render(&self, file: &str, source: &str) -> String {
        let mut out = format!("{file}:{self}\n");
        let line_idx = (self.span.line as usize).saturating_sub(1);
        if let Some(text) = source.split('\n').nth(line_idx) {
            let text = text.strip_suffix('\r').unwrap_or(text);
            let width = text.chars().count();
            let start = (self.span.col as usize).saturating_sub(1).min(width);
            let len = self.span.end.saturating_sub(self.span.start);
            // The span's width in characters, at least one caret, clipped to the line.
            let span_chars = source
                .get(self.span.start..self.span.end)
                .map_or(len, |s| s.chars().count())
                .max(1)
                .min(width.saturating_sub(start).max(1));
            // A long line (up to the 1 MiB input limit) is shown as a window around the
            // error, so the message stays readable and small.
            let from = start.saturating_sub(SHOWN / 4);
            let shown: String = text.chars().skip(from).take(SHOWN).collect();
            let carets = span_chars.min(SHOWN.saturating_sub(start - from).max(1));
            let (lead, tail) = (
                if from > 0 { "…" } else { "" },
                if width > from + SHOWN { "…" } else { "" },
            );
            // Tabs are kept so the caret lines up under the same column in a terminal.
            let pad: String = lead
                .chars()
                .map(|_| ' ')
                .chain(text.chars().skip(from).take(start - from).map(|c| {
                    if c == '\t' {
                        '\t'
                    } else {
                        ' '
                    }
                }))
                .collect();
            out.push_str(&format!(
                "    {lead}{shown}{tail}\n    {pad}{}\n",
                "^".repeat(carets)
            ));
        }
        out
    }
}

/// `{line, col, start, end, message}`: what the web UI and `--json` show.
impl serde::Serialize for ParseError {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("ParseError", 5)?;
        st.serialize_field("line", &self.span.line)?;
        st.serialize_field("col", &self.span.col)?;
        st.serialize_field("start", &self.span.start)?;
        st.serialize_field("end", &self.span.end)?;
        st.serialize_field("message", &self.message())?;
        st.end()
    }
}

/// Every error found in one file (at least one), in source order; one per line at most.
#[derive(Clone, Debug, PartialEq, Eq, Error, serde::Serialize)]
#[serde(transparent)]
pub struct ParseErrors {
    pub errors: Vec<ParseError>,
}

impl ParseErrors {
    /// The first error (there always is one).
    pub fn first(&self) -> Option<&ParseError> {
        self.errors.first()
    }

    /// Every error rendered with [`ParseError::render`], one after the other.
    pub fn render(&self, file: &str, source: &str) -> String {
        self.errors.iter().map(|e| e.render(file, source)).collect()
    }
}

impl fmt::Display for ParseErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.errors.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl From<ParseError> for ParseErrors {
    fn from(e: ParseError) -> Self {
        ParseErrors { errors: vec![e] }
    }
}

#[cfg(test)]
mod render_tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn a_long_line_is_shown_as_a_window_around_the_error() {
        let long = format!("{}iommu_attach_devce(d1, x)", " ".repeat(1000));
        let errs = crate::scenario::parse(&long).expect_err("unknown call");
        let shown = errs.render("f.iommu", &long);
        let lines: Vec<&str> = shown.lines().collect();
        assert_eq!(lines.len(), 3, "{shown}");
        assert!(lines[0].starts_with("f.iommu:1:1001: unknown call `iommu_attach_devce`"));
        // Indent, "…", the 40 characters before the error (SHOWN / 4), then the call.
        assert_eq!(lines[1].chars().count(), 4 + 1 + 40 + 25, "{}", lines[1]);
        assert!(lines[1].starts_with("    … "));
        // The caret sits under the call name.
        let caret_col = lines[2].find('^').unwrap_or(0);
        assert_eq!(&lines[1][caret_col + 2..caret_col + 2 + 5], "iommu");
    }
}
