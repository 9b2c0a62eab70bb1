//! Splits one line into tokens, and reads the literals inside them (numbers, sizes,
//! durations, BDFs, PCI IDs). The language is line-oriented, so the lexer never looks past
//! a newline and every token knows its line and column.

use super::ast::{Bdf, Duration, NumStyle, Number, PciId, SizeUnit, Span, TimeUnit, WrittenBdf};
use super::error::{ErrorKind, ParseError};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tok {
    /// A name or keyword: `[A-Za-z_][A-Za-z0-9_.-]*` (also `n/a`).
    Word(String),
    /// Starts with a digit, or contains `:`: a number, size, duration, BDF or PCI ID.
    Lit(String),
    /// `-` followed by a word: an errno (`-EINVAL`, `-22`).
    Neg(String),
    /// `=`
    Assign,
    /// `==`
    EqEq,
    /// `!=`
    NotEq,
    /// `=>`
    FatArrow,
    /// `->`
    Arrow,
    LParen,
    RParen,
    LBrace,
    RBrace,
    Comma,
    Pipe,
    At,
    Semi,
    /// `/` (a PCI device path in a `pci=` config value: `00:01.0/00.0`).
    Slash,
    /// `# ...` to the end of the line: the text after `#`.
    Comment(String),
}

impl Tok {
    /// How the token is named in "found ..." messages.
    pub fn describe(&self) -> String {
        match self {
            Tok::Word(s) | Tok::Lit(s) => format!("`{s}`"),
            Tok::Neg(s) => format!("`-{s}`"),
            Tok::Assign => "`=`".into(),
            Tok::EqEq => "`==`".into(),
            Tok::NotEq => "`!=`".into(),
            Tok::FatArrow => "`=>`".into(),
            Tok::Arrow => "`->`".into(),
            Tok::LParen => "`(`".into(),
            Tok::RParen => "`)`".into(),
            Tok::LBrace => "`{`".into(),
            Tok::RBrace => "`}`".into(),
            Tok::Comma => "`,`".into(),
            Tok::Pipe => "`|`".into(),
            Tok::At => "`@`".into(),
            Tok::Semi => "`;`".into(),
            Tok::Slash => "`/`".into(),
            Tok::Comment(_) => "a comment".into(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    pub tok: Tok,
    pub span: Span,
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '.'
}

/// Lexes one line (without its newline). `start` is the byte offset of the line in the file.
pub fn lex_line(line: &str, line_no: u32, start: usize) -> Result<Vec<Token>, ParseError> {
    let mut out = Vec::new();
    let chars: Vec<(usize, char)> = line.char_indices().collect();
    let mut i = 0;
    let span = |from: usize, to: usize| -> Span {
        let byte = |k: usize| chars.get(k).map_or(line.len(), |&(b, _)| b);
        Span {
            line: line_no,
            col: u32::try_from(from + 1).unwrap_or(u32::MAX),
            start: start + byte(from),
            end: start + byte(to),
        }
    };
    let at = |k: usize| chars.get(k).map(|&(_, c)| c);
    while let Some(c) = at(i) {
        let begin = i;
        let tok = match c {
            c if c.is_ascii_whitespace() => {
                i += 1;
                continue;
            }
            '#' => {
                let from = chars.get(i).map_or(line.len(), |&(b, _)| b + 1);
                let text = line.get(from..).unwrap_or("").trim_end().to_string();
                i = chars.len();
                Tok::Comment(text)
            }
            c if is_word_char(c) => {
                // Words may hold `-` (`vfio-pci`, `acs-fix`) but not before `>` (`a->b`);
                // a `:` makes it a literal (`ab:00.0`, `8086:1234`).
                while let Some(c) = at(i) {
                    let dash = c == '-' && at(i + 1) != Some('>');
                    if is_word_char(c) || c == ':' || dash {
                        i += 1;
                    } else {
                        break;
                    }
                }
                let text: String = chars
                    .get(begin..i)
                    .unwrap_or(&[])
                    .iter()
                    .map(|&(_, c)| c)
                    .collect();
                if text == "n" && at(i) == Some('/') && at(i + 1) == Some('a') {
                    let next = at(i + 2);
                    if !next.is_some_and(|c| is_word_char(c) || c == '-' || c == ':') {
                        i += 2;
                        out.push(Token {
                            tok: Tok::Word("n/a".into()),
                            span: span(begin, i),
                        });
                        continue;
                    }
                }
                if c.is_ascii_digit() || text.contains(':') {
                    Tok::Lit(text)
                } else if c == '.' {
                    return Err(ParseError::new(
                        ErrorKind::UnexpectedChar('.'),
                        span(begin, begin + 1),
                    ));
                } else {
                    Tok::Word(text)
                }
            }
            '-' => match at(i + 1) {
                Some('>') => {
                    i += 2;
                    Tok::Arrow
                }
                Some(n) if n.is_ascii_alphanumeric() => {
                    i += 1;
                    while at(i).is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
                        i += 1;
                    }
                    Tok::Neg(
                        chars
                            .get(begin + 1..i)
                            .unwrap_or(&[])
                            .iter()
                            .map(|&(_, c)| c)
                            .collect(),
                    )
                }
                _ => {
                    return Err(ParseError::new(
                        ErrorKind::UnexpectedChar('-'),
                        span(begin, begin + 1),
                    ))
                }
            },
            '=' => match at(i + 1) {
                Some('=') => {
                    i += 2;
                    Tok::EqEq
                }
                Some('>') => {
                    i += 2;
                    Tok::FatArrow
                }
                _ => {
                    i += 1;
                    Tok::Assign
                }
            },
            '!' if at(i + 1) == Some('=') => {
                i += 2;
                Tok::NotEq
            }
            '(' | ')' | '{' | '}' | ',' | '|' | '@' | ';' | '/' => {
                i += 1;
                match c {
                    '(' => Tok::LParen,
                    ')' => Tok::RParen,
                    '{' => Tok::LBrace,
                    '}' => Tok::RBrace,
                    ',' => Tok::Comma,
                    '|' => Tok::Pipe,
                    '@' => Tok::At,
                    '/' => Tok::Slash,
                    _ => Tok::Semi,
                }
            }
            other => {
                return Err(ParseError::new(
                    ErrorKind::UnexpectedChar(other),
                    span(begin, begin + 1),
                ))
            }
        };
        out.push(Token {
            tok,
            span: span(begin, i),
        });
    }
    Ok(out)
}

type LitResult<T> = Result<T, &'static str>;

fn digits(text: &str, radix: u32) -> LitResult<u64> {
    let mut value: u64 = 0;
    let mut any = false;
    for c in text.chars() {
        if c == '_' {
            continue;
        }
        let d = c.to_digit(radix).ok_or(if radix == 16 {
            "not a hex digit"
        } else {
            "not a decimal digit"
        })?;
        value = value
            .checked_mul(u64::from(radix))
            .and_then(|v| v.checked_add(u64::from(d)))
            .ok_or("does not fit in 64 bits")?;
        any = true;
    }
    if any {
        Ok(value)
    } else {
        Err("no digits")
    }
}

/// `123`, `0x8000_0000`, `2M`, `0x10K` (K M G T are powers of two).
pub fn number(text: &str) -> LitResult<Number> {
    let (body, unit) = match text.chars().last() {
        Some('K') => (&text[..text.len() - 1], Some(SizeUnit::K)),
        Some('M') => (&text[..text.len() - 1], Some(SizeUnit::M)),
        Some('G') => (&text[..text.len() - 1], Some(SizeUnit::G)),
        Some('T') => (&text[..text.len() - 1], Some(SizeUnit::T)),
        _ => (text, None),
    };
    let (mantissa, hex) = match body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        Some(h) => (digits(h, 16)?, true),
        None => (digits(body, 10)?, false),
    };
    Ok(match unit {
        Some(u) => Number {
            value: mantissa
                .checked_mul(1u64 << u.shift())
                .ok_or("does not fit in 64 bits")?,
            style: NumStyle::Size(u),
        },
        None => Number {
            value: mantissa,
            style: if hex { NumStyle::Hex } else { NumStyle::Dec },
        },
    })
}

/// `10ms`, `1s`, `500us`, `100ns`.
pub fn duration(text: &str) -> LitResult<Duration> {
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '_'))
        .ok_or("needs a unit: ns, us, ms or s")?;
    let (num, unit) = text.split_at(split);
    let unit = TimeUnit::ALL
        .into_iter()
        .find(|u| u.name() == unit)
        .ok_or("the unit must be ns, us, ms or s")?;
    let amount = digits(num, 10)?;
    let d = Duration { amount, unit };
    d.as_nanos()
        .ok_or("does not fit in 64 bits of nanoseconds")?;
    Ok(d)
}

fn hex_field(text: &str, max_len: usize, what: &'static str) -> LitResult<u64> {
    if text.is_empty() || text.len() > max_len || !text.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(what);
    }
    digits(text, 16)
}

/// `BB:DD.F` or `SSSS:BB:DD.F` (hex segment, bus and device; function 0..7).
pub fn bdf(text: &str) -> LitResult<WrittenBdf> {
    Ok(WrittenBdf {
        bdf: Bdf::from_text(text)?,
        with_segment: text.matches(':').count() == 2,
    })
}

/// `VVVV:DDDD`
pub fn pci_id(text: &str) -> LitResult<PciId> {
    let (v, d) = text.split_once(':').ok_or("expected VVVV:DDDD")?;
    let vendor = hex_field(v, 4, "expected VVVV:DDDD (hex)")? as u16;
    let device = hex_field(d, 4, "expected VVVV:DDDD (hex)")? as u16;
    Ok(PciId { vendor, device })
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn toks(s: &str) -> Vec<Tok> {
        lex_line(s, 1, 0)
            .unwrap()
            .into_iter()
            .map(|t| t.tok)
            .collect()
    }

    #[test]
    fn lexes_a_call_with_expectation() {
        assert_eq!(
            toks("d1 = iommu_domain_alloc(smmu0) => -EINVAL @v5.19 ; n/a # hi "),
            vec![
                Tok::Word("d1".into()),
                Tok::Assign,
                Tok::Word("iommu_domain_alloc".into()),
                Tok::LParen,
                Tok::Word("smmu0".into()),
                Tok::RParen,
                Tok::FatArrow,
                Tok::Neg("EINVAL".into()),
                Tok::At,
                Tok::Word("v5.19".into()),
                Tok::Semi,
                Tok::Word("n/a".into()),
                Tok::Comment(" hi".into()),
            ]
        );
    }

    #[test]
    fn lexes_bdfs_arrows_and_dashed_names() {
        assert_eq!(
            toks("alias 05:01.0->ab:02.0 vfio-pci"),
            vec![
                Tok::Word("alias".into()),
                Tok::Lit("05:01.0".into()),
                Tok::Arrow,
                Tok::Lit("ab:02.0".into()),
                Tok::Word("vfio-pci".into()),
            ]
        );
    }

    #[test]
    fn spans_count_characters_and_bytes() {
        let t = lex_line("# é\tx", 3, 10).unwrap();
        assert_eq!(t[0].span.col, 1);
        let t = lex_line("a  bc", 2, 100).unwrap();
        assert_eq!(
            t[1].span,
            Span {
                line: 2,
                col: 4,
                start: 103,
                end: 105
            }
        );
        let e = lex_line("ab $", 1, 0).unwrap_err();
        assert_eq!(e.to_string(), "1:4: unexpected character '$'");
    }

    #[test]
    fn numbers_sizes_and_overflow() {
        assert_eq!(number("0x8000_0000").unwrap().value, 0x8000_0000);
        assert_eq!(number("2M").unwrap().value, 2 << 20);
        assert_eq!(number("0x10K").unwrap().value, 16 << 10);
        assert_eq!(number("1_000").unwrap().value, 1000);
        assert_eq!(number("18446744073709551615").unwrap().value, u64::MAX);
        assert_eq!(
            number("18446744073709551616"),
            Err("does not fit in 64 bits")
        );
        assert_eq!(number("16777216T"), Err("does not fit in 64 bits"));
        assert_eq!(number("12z"), Err("not a decimal digit"));
        assert_eq!(number("0x"), Err("no digits"));
    }

    #[test]
    fn hex_numbers_print_grouped() {
        for (t, p) in [
            ("0x100000", "0x10_0000"),
            ("0x8000_0042", "0x8000_0042"),
            ("0x10", "0x10"),
            ("0xFFFFF000", "0xffff_f000"),
            ("0x10K", "16K"),
            ("4096", "4096"),
        ] {
            assert_eq!(number(t).unwrap().to_string(), p);
        }
    }

    #[test]
    fn bdfs_and_ids() {
        let b = bdf("0000:01:1f.7").unwrap();
        assert_eq!(
            (b.segment(), b.bdf.bus, b.bdf.dev, b.bdf.func),
            (Some(0), 1, 0x1f, 7)
        );
        assert_eq!(b.to_string(), "0000:01:1f.7");
        assert_eq!(bdf("00:20.0"), Err("the device number must be at most 1f"));
        assert_eq!(bdf("00:1c.8"), Err("the function must be 0 to 7"));
        assert_eq!(bdf("100:00.0"), Err("the bus must be 1 or 2 hex digits"));
        assert_eq!(bdf("1:2:3:4.0"), Err("expected BB:DD.F or SSSS:BB:DD.F"));
        assert_eq!(pci_id("8086:1E31").unwrap().to_string(), "8086:1e31");
    }

    #[test]
    fn durations() {
        assert_eq!(duration("10ms").unwrap().as_nanos(), Some(10_000_000));
        assert_eq!(duration("10"), Err("needs a unit: ns, us, ms or s"));
        assert_eq!(duration("10h"), Err("the unit must be ns, us, ms or s"));
        assert_eq!(
            duration("18446744073709551615s"),
            Err("does not fit in 64 bits of nanoseconds")
        );
    }
}
