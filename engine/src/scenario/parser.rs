//! The parser: one statement per line (shared/SCENARIO.md). Each line is lexed and parsed on
//! its own, so an error costs one line and the parser goes on to report the next ones.
//!
//! Bounds (whatever the bytes): the input, each line, the statement count and the error
//! count are limited; numbers are checked for overflow; there is no recursion beyond the
//! fixed nesting of `group(...)`.

use super::ast::*;
use super::calls::{nearest, CallName, Param, Syntax, SIGNATURES};
use super::error::{ErrorKind, ParseError, ParseErrors};
use super::lexer::{self, Tok, Token};
use crate::{Era, Errno};

pub use crate::limits::{MAX_ERRORS, MAX_INPUT, MAX_LINE, MAX_STATEMENTS};

/// The statement keywords (the first word of a line): "did you mean" on an unknown first
/// word, and the web editor's colours.
pub const KEYWORDS: [&str; 9] = [
    "generation",
    "config",
    "iommu",
    "platform",
    "host",
    "pci",
    "alias",
    "expect",
    "workload",
];

mod workload;

/// Words that cannot name a handle: they mean something in `domain(...) == X`.
const RESERVED: [&str; 4] = ["default", "blocking", "identity", "none"];

const ERRNO_NAMES: [&str; 16] = [
    "-EPERM",
    "-ENOENT",
    "-EIO",
    "-ENXIO",
    "-E2BIG",
    "-ENOMEM",
    "-EFAULT",
    "-EBUSY",
    "-EEXIST",
    "-ENODEV",
    "-EINVAL",
    "-ENOSPC",
    "-ERANGE",
    "-EOPNOTSUPP",
    "-EPROBE_DEFER",
    "-ENOTSUPP",
];

/// Parses a whole scenario. On failure, every error found (at most [`MAX_ERRORS`], at
/// most one per line), in source order.
pub fn parse(text: &str) -> Result<Scenario, ParseErrors> {
    if text.len() > MAX_INPUT {
        return Err(ParseError::new(
            ErrorKind::InputTooLarge { max: MAX_INPUT },
            Span {
                line: 1,
                col: 1,
                start: 0,
                end: 0,
            },
        )
        .into());
    }
    let mut p = Parser {
        text,
        seen_call: false,
        seen_generation: false,
    };
    let mut stmts: Vec<Stmt> = Vec::new();
    let mut errors: Vec<ParseError> = Vec::new();
    let mut pending_blank: Option<Span> = None;
    let mut offset = 0usize;
    for (idx, raw_line) in text.split('\n').enumerate() {
        let start = offset;
        offset += raw_line.len() + 1;
        let line_no = u32::try_from(idx + 1).unwrap_or(u32::MAX);
        let line = raw_line.strip_suffix('\r').unwrap_or(raw_line);
        let line_span = Span {
            line: line_no,
            col: 1,
            start,
            end: start + line.len(),
        };
        if line.len() > MAX_LINE {
            errors.push(ParseError::new(
                ErrorKind::LineTooLong { max: MAX_LINE },
                Span {
                    end: start,
                    ..line_span
                },
            ));
        } else {
            match p.line(line, line_no, start) {
                Ok(None) => {
                    if !stmts.is_empty() && pending_blank.is_none() {
                        pending_blank = Some(line_span);
                    }
                }
                Ok(Some(stmt)) => {
                    if let Some(span) = pending_blank.take() {
                        stmts.push(Stmt {
                            kind: StmtKind::Blank,
                            comment: None,
                            span,
                        });
                    }
                    stmts.push(stmt);
                }
                Err(e) => {
                    pending_blank = None;
                    errors.push(e);
                }
            }
        }
        if stmts.len() > MAX_STATEMENTS {
            errors.push(ParseError::new(
                ErrorKind::TooManyStatements {
                    max: MAX_STATEMENTS,
                },
                line_span,
            ));
            break;
        }
        if errors.len() >= MAX_ERRORS {
            break;
        }
    }
    if errors.is_empty() {
        Ok(Scenario { stmts })
    } else {
        Err(ParseErrors { errors })
    }
}

struct Parser<'a> {
    text: &'a str,
    seen_call: bool,
    seen_generation: bool,
}

/// The tokens of one line.
struct Cursor<'t> {
    toks: &'t [Token],
    pos: usize,
    /// An empty span just past the line's last character, for "found end of line".
    eol: Span,
}

impl<'t> Cursor<'t> {
    fn peek(&self) -> Option<&'t Token> {
        self.toks.get(self.pos)
    }

    fn peek_tok(&self) -> Option<&'t Tok> {
        self.peek().map(|t| &t.tok)
    }

    fn peek2_tok(&self) -> Option<&'t Tok> {
        self.toks.get(self.pos + 1).map(|t| &t.tok)
    }

    /// The span of the next token, or of the end of the line.
    fn here(&self) -> Span {
        self.peek().map_or(self.eol, |t| t.span)
    }

    fn found(&self) -> String {
        self.peek()
            .map_or_else(|| "end of line".to_string(), |t| t.tok.describe())
    }

    fn error(&self, expected: &'static str) -> ParseError {
        ParseError::new(
            ErrorKind::Expected {
                expected,
                found: self.found(),
            },
            self.here(),
        )
    }

    /// Consumes `tok` or fails with "expected `what`".
    fn expect(&mut self, tok: &Tok, what: &'static str) -> Result<Span, ParseError> {
        match self.peek() {
            Some(t) if &t.tok == tok => {
                self.pos += 1;
                Ok(t.span)
            }
            _ => Err(self.error(what)),
        }
    }

    fn eat(&mut self, tok: &Tok) -> Option<Span> {
        match self.peek() {
            Some(t) if &t.tok == tok => {
                self.pos += 1;
                Some(t.span)
            }
            _ => None,
        }
    }

    fn word(&mut self, what: &'static str) -> Result<Ident, ParseError> {
        match self.peek() {
            Some(Token {
                tok: Tok::Word(w),
                span,
            }) => {
                self.pos += 1;
                Ok(Spanned::new(w.clone(), *span))
            }
            _ => Err(self.error(what)),
        }
    }

    fn lit(&mut self, what: &'static str) -> Result<Spanned<&'t str>, ParseError> {
        match self.peek() {
            Some(Token {
                tok: Tok::Lit(l),
                span,
            }) => {
                self.pos += 1;
                Ok(Spanned::new(l.as_str(), *span))
            }
            _ => Err(self.error(what)),
        }
    }

    fn end(&self) -> Result<(), ParseError> {
        match self.peek() {
            None => Ok(()),
            Some(_) => Err(self.error("end of line")),
        }
    }

    /// The span from `from` to the last consumed token.
    fn since(&self, from: Span) -> Span {
        match self.pos.checked_sub(1).and_then(|i| self.toks.get(i)) {
            Some(t) => from.to(t.span),
            None => from,
        }
    }
}

/// An argument before it is checked against its parameter kind.
enum Raw {
    Word(String),
    Lit(String),
    /// `-EINVAL`: never a valid argument, kept for the error message.
    Neg,
    /// `group(X)`
    Apply(Ident, Box<Spanned<Raw>>),
    /// `R|W|CACHE`
    Union(Vec<Spanned<Raw>>),
}

fn number_at(text: &str, span: Span) -> Result<Spanned<Number>, ParseError> {
    lexer::number(text)
        .map(|n| Spanned::new(n, span))
        .map_err(|why| {
            ParseError::new(
                ErrorKind::BadNumber {
                    text: text.to_string(),
                    why,
                },
                span,
            )
        })
}

fn bdf_at(text: &str, span: Span) -> Result<Spanned<WrittenBdf>, ParseError> {
    lexer::bdf(text)
        .map(|b| Spanned::new(b, span))
        .map_err(|why| {
            ParseError::new(
                ErrorKind::BadBdf {
                    text: text.to_string(),
                    why,
                },
                span,
            )
        })
}

fn unknown(what: &'static str, word: &str, span: Span, candidates: &[&'static str]) -> ParseError {
    ParseError::new(
        ErrorKind::Unknown {
            what,
            word: word.to_string(),
            suggestion: nearest(word, candidates.iter().copied()),
        },
        span,
    )
}

fn generation_at(word: &Ident) -> Result<Spanned<Era>, ParseError> {
    match Era::parse(&word.node) {
        Some(g) => Ok(Spanned::new(g, word.span)),
        None => {
            let names = Era::ALL.map(Era::name);
            Err(unknown("generation", &word.node, word.span, &names))
        }
    }
}

/// A device reference: a name or a BDF.
fn device(cur: &mut Cursor) -> Result<Spanned<DeviceRef>, ParseError> {
    match cur.peek() {
        Some(Token {
            tok: Tok::Word(w),
            span,
        }) => {
            cur.pos += 1;
            Ok(Spanned::new(DeviceRef::Name(w.clone()), *span))
        }
        Some(Token {
            tok: Tok::Lit(l),
            span,
        }) => {
            cur.pos += 1;
            let b = bdf_at(l, *span)?;
            Ok(Spanned::new(DeviceRef::Bdf(b.node), b.span))
        }
        _ => Err(cur.error("a device (a name or a BDF)")),
    }
}

/// `group(DEV)`
fn group_of(cur: &mut Cursor) -> Result<Spanned<DeviceRef>, ParseError> {
    match cur.peek_tok() {
        Some(Tok::Word(w)) if w == "group" => {
            cur.pos += 1;
        }
        _ => return Err(cur.error("`group(DEV)`")),
    }
    cur.expect(&Tok::LParen, "`(`")?;
    let d = device(cur)?;
    cur.expect(&Tok::RParen, "`)`")?;
    Ok(d)
}

fn cmp_op(cur: &mut Cursor) -> Result<CmpOp, ParseError> {
    if cur.eat(&Tok::EqEq).is_some() {
        Ok(CmpOp::Eq)
    } else if cur.eat(&Tok::NotEq).is_some() {
        Ok(CmpOp::Ne)
    } else {
        Err(cur.error("`==` or `!=`"))
    }
}

/// `@gen,gen,...` if present.
fn generations(cur: &mut Cursor) -> Result<Vec<Spanned<Era>>, ParseError> {
    let mut gens = Vec::new();
    if cur.eat(&Tok::At).is_some() {
        loop {
            let w = cur.word("a generation")?;
            gens.push(generation_at(&w)?);
            if cur.eat(&Tok::Comma).is_none() {
                break;
            }
        }
    }
    Ok(gens)
}

impl Parser<'_> {
    fn source(&self, span: Span) -> String {
        self.text
            .get(span.start..span.end)
            .unwrap_or("")
            .to_string()
    }

    /// Parses one line; `None` for a blank line.
    fn line(&mut self, line: &str, line_no: u32, start: usize) -> Result<Option<Stmt>, ParseError> {
        let mut toks = lexer::lex_line(line, line_no, start)?;
        let comment = match toks.last() {
            Some(Token {
                tok: Tok::Comment(c),
                ..
            }) => {
                let c = c.clone();
                toks.pop();
                Some(c)
            }
            _ => None,
        };
        let eol = Span {
            line: line_no,
            col: u32::try_from(line.chars().count() + 1).unwrap_or(u32::MAX),
            start: start + line.len(),
            end: start + line.len(),
        };
        let (first, last) = match (toks.first(), toks.last()) {
            (Some(f), Some(l)) => (f.span, l.span),
            _ => {
                return Ok(comment.map(|c| {
                    let col = line.find('#').unwrap_or(0);
                    Stmt {
                        kind: StmtKind::Comment(c),
                        comment: None,
                        span: Span {
                            line: line_no,
                            col: u32::try_from(line[..col].chars().count() + 1).unwrap_or(u32::MAX),
                            start: start + col,
                            end: start + line.len(),
                        },
                    }
                }))
            }
        };
        let mut cur = Cursor {
            toks: &toks,
            pos: 0,
            eol,
        };
        let kind = self.statement(&mut cur)?;
        cur.end()?;
        Ok(Some(Stmt {
            kind,
            comment,
            span: first.to(last),
        }))
    }

    fn statement(&mut self, cur: &mut Cursor) -> Result<StmtKind, ParseError> {
        let Some(Token {
            tok: Tok::Word(w),
            span,
        }) = cur.peek()
        else {
            return Err(cur.error("a statement"));
        };
        match cur.peek2_tok() {
            Some(Tok::Assign) => {
                let handle = Spanned::new(w.clone(), *span);
                cur.pos += 2;
                return self.call(cur, Some(handle));
            }
            Some(Tok::LParen) => return self.call(cur, None),
            _ => {}
        }
        match w.as_str() {
            "generation" => {
                cur.pos += 1;
                self.header("generation", *span)?;
                if self.seen_generation {
                    return Err(ParseError::new(
                        ErrorKind::Duplicate("generation".into()),
                        *span,
                    ));
                }
                self.seen_generation = true;
                let g = cur.word("a generation")?;
                Ok(StmtKind::Era(generation_at(&g)?))
            }
            "config" => {
                cur.pos += 1;
                self.header("config", *span)?;
                config(cur)
            }
            "iommu" => {
                cur.pos += 1;
                iommu(cur).map(StmtKind::Iommu)
            }
            "platform" => {
                cur.pos += 1;
                platform(cur).map(StmtKind::Platform)
            }
            "host" => {
                cur.pos += 1;
                host(cur).map(StmtKind::Host)
            }
            "pci" => {
                cur.pos += 1;
                pci(cur).map(StmtKind::Pci)
            }
            "alias" => {
                cur.pos += 1;
                let l = cur.lit("a BDF")?;
                let dev = bdf_at(l.node, l.span)?;
                cur.expect(&Tok::Arrow, "`->`")?;
                let l = cur.lit("a BDF")?;
                let alias = bdf_at(l.node, l.span)?;
                Ok(StmtKind::Alias { dev, alias })
            }
            "expect" => {
                cur.pos += 1;
                self.expect_stmt(cur).map(StmtKind::Expect)
            }
            "workload" => {
                cur.pos += 1;
                self.seen_call = true;
                workload::workload(cur).map(StmtKind::Workload)
            }
            other => match CallName::parse(other) {
                Some(_) => self.call(cur, None),
                None => {
                    let candidates = KEYWORDS
                        .iter()
                        .copied()
                        .chain(SIGNATURES.iter().map(|s| s.name));
                    Err(ParseError::new(
                        ErrorKind::UnknownStatement {
                            word: other.to_string(),
                            suggestion: nearest(other, candidates),
                        },
                        *span,
                    ))
                }
            },
        }
    }

    fn header(&self, what: &'static str, span: Span) -> Result<(), ParseError> {
        if self.seen_call {
            Err(ParseError::new(ErrorKind::HeaderAfterCall(what), span))
        } else {
            Ok(())
        }
    }

    fn call(&mut self, cur: &mut Cursor, handle: Option<Ident>) -> Result<StmtKind, ParseError> {
        let name = cur.word("a call")?;
        let Some(call) = CallName::parse(&name.node) else {
            return Err(ParseError::new(
                ErrorKind::UnknownCall {
                    suggestion: CallName::suggest(&name.node),
                    name: name.node,
                },
                name.span,
            ));
        };
        let sig = call.signature();
        self.seen_call = true;
        if let Some(h) = &handle {
            if !sig.keeps_handle {
                return Err(ParseError::new(
                    ErrorKind::NoHandle {
                        call: sig.name,
                        what: "domain or an IOVA",
                    },
                    h.span,
                ));
            }
            if RESERVED.contains(&h.node.as_str()) {
                return Err(ParseError::new(
                    ErrorKind::ReservedHandle(h.node.clone()),
                    h.span,
                ));
            }
        }
        let mut raws: Vec<Spanned<Raw>> = Vec::new();
        let close = match sig.syntax {
            Syntax::Paren => {
                cur.expect(&Tok::LParen, "`(`")?;
                if let Some(s) = cur.eat(&Tok::RParen) {
                    s
                } else {
                    loop {
                        raws.push(self.raw(cur)?);
                        if let Some(s) = cur.eat(&Tok::RParen) {
                            break s;
                        }
                        cur.expect(&Tok::Comma, "`,` or `)`")?;
                    }
                }
            }
            Syntax::Command => {
                if cur.peek_tok() == Some(&Tok::LParen) {
                    return Err(ParseError::new(
                        ErrorKind::Invalid(
                            "bind, unbind, remove and tick take their arguments without parentheses",
                        ),
                        cur.here(),
                    ));
                }
                while cur.peek().is_some() && cur.peek_tok() != Some(&Tok::FatArrow) {
                    raws.push(self.raw(cur)?);
                }
                cur.here()
            }
        };
        let n = raws.len();
        if n < sig.min_args() || n > sig.params.len() {
            let span = raws.get(sig.params.len()).map_or(close, |r| r.span);
            let count = |k: usize| format!("{k} argument{}", if k == 1 { "" } else { "s" });
            let expected = if sig.optional > 0 {
                format!(
                    "{} or {}: `{}`",
                    sig.min_args(),
                    count(sig.params.len()),
                    sig.usage()
                )
            } else {
                format!("{}: `{}`", count(sig.params.len()), sig.usage())
            };
            return Err(ParseError::new(
                ErrorKind::Arity {
                    call: sig.name,
                    expected,
                    found: n,
                },
                span,
            ));
        }
        let mut args = Vec::with_capacity(n);
        for (i, (raw, param)) in raws.into_iter().zip(sig.params).enumerate() {
            args.push(self.arg(raw, *param, sig.name, i + 1)?);
        }
        let expect = if cur.peek_tok() == Some(&Tok::FatArrow) {
            Some(expectation(cur)?)
        } else {
            None
        };
        Ok(StmtKind::Call(CallStmt {
            handle,
            call: Spanned::new(call, name.span),
            args,
            expect,
        }))
    }

    fn raw(&self, cur: &mut Cursor) -> Result<Spanned<Raw>, ParseError> {
        let Some(t) = cur.peek() else {
            return Err(cur.error("an argument"));
        };
        let raw = match &t.tok {
            Tok::Word(w) => {
                cur.pos += 1;
                if cur.peek_tok() == Some(&Tok::LParen) {
                    cur.pos += 1;
                    let inner = match cur.peek() {
                        Some(Token {
                            tok: Tok::Word(x),
                            span,
                        }) => Spanned::new(Raw::Word(x.clone()), *span),
                        Some(Token {
                            tok: Tok::Lit(x),
                            span,
                        }) => Spanned::new(Raw::Lit(x.clone()), *span),
                        _ => return Err(cur.error("a device (a name or a BDF)")),
                    };
                    cur.pos += 1;
                    cur.expect(&Tok::RParen, "`)`")?;
                    Raw::Apply(Spanned::new(w.clone(), t.span), Box::new(inner))
                } else if cur.peek_tok() == Some(&Tok::Pipe) {
                    let mut parts = vec![Spanned::new(Raw::Word(w.clone()), t.span)];
                    while cur.eat(&Tok::Pipe).is_some() {
                        let p = cur.word("a prot flag")?;
                        parts.push(Spanned::new(Raw::Word(p.node), p.span));
                    }
                    Raw::Union(parts)
                } else {
                    Raw::Word(w.clone())
                }
            }
            Tok::Lit(l) => {
                cur.pos += 1;
                Raw::Lit(l.clone())
            }
            Tok::Neg(_) => {
                cur.pos += 1;
                Raw::Neg
            }
            _ => return Err(cur.error("an argument")),
        };
        Ok(Spanned::new(raw, cur.since(t.span)))
    }

    fn arg(
        &self,
        raw: Spanned<Raw>,
        param: Param,
        call: &'static str,
        index: usize,
    ) -> Result<Spanned<Arg>, ParseError> {
        let span = raw.span;
        let wrong = || {
            ParseError::new(
                ErrorKind::ArgKind {
                    call,
                    index,
                    expected: param.describe(),
                    found: format!("`{}`", self.source(span)),
                },
                span,
            )
        };
        let arg = match (param, raw.node) {
            (Param::Iommu | Param::Cookie | Param::Driver, Raw::Word(w)) => Arg::Name(w),
            (Param::Domain, Raw::Word(w)) => Arg::Name(w),
            (Param::Device, Raw::Word(w)) => Arg::Device(DeviceRef::Name(w)),
            (Param::Device, Raw::Lit(l)) if l.contains(':') => {
                Arg::Device(DeviceRef::Bdf(bdf_at(&l, span)?.node))
            }
            (Param::Group, Raw::Apply(f, inner)) if f.node == "group" => match inner.node {
                Raw::Word(w) => Arg::Group(DeviceRef::Name(w)),
                Raw::Lit(l) => Arg::Group(DeviceRef::Bdf(bdf_at(&l, inner.span)?.node)),
                _ => return Err(wrong()),
            },
            (Param::Iova, Raw::Word(w)) => Arg::Name(w),
            (Param::Iova | Param::Paddr | Param::Size, Raw::Lit(l)) => {
                Arg::Number(number_at(&l, span)?.node)
            }
            (Param::Cpu, Raw::Lit(l)) => {
                let n = number_at(&l, span)?.node;
                if n.value >= crate::mapping::MODEL_CPUS as u64 {
                    return Err(ParseError::new(
                        ErrorKind::BadValue {
                            what: "CPU",
                            text: l,
                            why: "the model simulates 2 CPUs: 0 or 1",
                        },
                        span,
                    ));
                }
                Arg::Number(n)
            }
            (Param::Prot, Raw::Lit(l)) if l == "0" => Arg::Prot(Prot::NONE),
            (Param::Prot, Raw::Word(w)) => Arg::Prot(prot_flag(&w, span)?),
            (Param::Prot, Raw::Union(parts)) => {
                let mut prot = Prot::NONE;
                for p in parts {
                    match p.node {
                        Raw::Word(w) => prot = prot | prot_flag(&w, p.span)?,
                        _ => return Err(wrong()),
                    }
                }
                Arg::Prot(prot)
            }
            (Param::Direction, Raw::Word(w)) => match DmaDirection::parse(&w) {
                Some(d) => Arg::Direction(d),
                None => {
                    let names = DmaDirection::ALL.map(DmaDirection::name);
                    return Err(unknown("DMA direction", &w, span, &names));
                }
            },
            (Param::Access, Raw::Word(w)) if w == "read" => Arg::Access(Access::Read),
            (Param::Access, Raw::Word(w)) if w == "write" => Arg::Access(Access::Write),
            (Param::Owner, Raw::Word(w)) => match DmaOwnerType::from_keyword(&w) {
                Some(o) => Arg::DmaOwner(o),
                None => {
                    let names = DmaOwnerType::ALL.map(DmaOwnerType::name);
                    return Err(unknown("DMA owner type", &w, span, &names));
                }
            },
            (Param::Managed, Raw::Word(w)) if w == "managed" => Arg::Managed,
            (Param::Duration, Raw::Lit(l)) => match lexer::duration(&l) {
                Ok(d) => Arg::Duration(d),
                Err(why) => {
                    return Err(ParseError::new(
                        ErrorKind::BadValue {
                            what: "duration",
                            text: l,
                            why,
                        },
                        span,
                    ))
                }
            },
            _ => return Err(wrong()),
        };
        Ok(Spanned::new(arg, span))
    }

    fn expect_stmt(&mut self, cur: &mut Cursor) -> Result<ExpectStmt, ParseError> {
        const CHECKS: &str = "`groups`, `group`, `domain`, `owner`, `owner_cnt`, \
                              `iova_to_phys`, `counter`, `invariants` or `breach`";
        let what = cur.word(CHECKS)?;
        let check = match what.node.as_str() {
            "groups" => {
                cur.expect(&Tok::Assign, "`=`")?;
                let mut groups = Vec::new();
                while let Some(open) = cur.eat(&Tok::LBrace) {
                    let mut members = Vec::new();
                    while cur.eat(&Tok::RBrace).is_none() {
                        if cur.peek().is_none() {
                            return Err(cur.error("`}`"));
                        }
                        members.push(device(cur)?);
                    }
                    if members.is_empty() {
                        return Err(ParseError::new(
                            ErrorKind::Invalid("a group needs at least one device"),
                            cur.since(open),
                        ));
                    }
                    groups.push(Spanned::new(members, cur.since(open)));
                }
                if groups.is_empty() {
                    return Err(cur.error("`{`"));
                }
                Check::Groups(groups)
            }
            "group" => {
                cur.pos -= 1;
                let a = group_of(cur)?;
                let op = cmp_op(cur)?;
                let b = group_of(cur)?;
                Check::SameGroup { a, op, b }
            }
            "domain" | "owner" | "owner_cnt" => {
                cur.expect(&Tok::LParen, "`(`")?;
                let dev = group_of(cur)?;
                cur.expect(&Tok::RParen, "`)`")?;
                let op = cmp_op(cur)?;
                match what.node.as_str() {
                    "domain" => {
                        let w = cur.word("a domain handle, default, blocking, identity or none")?;
                        let is = match w.node.as_str() {
                            "default" => DomainIs::Default,
                            "blocking" => DomainIs::Blocking,
                            "identity" => DomainIs::Identity,
                            "none" => DomainIs::None,
                            _ => DomainIs::Handle(w.node.clone()),
                        };
                        Check::Domain {
                            dev,
                            op,
                            is: Spanned::new(is, w.span),
                        }
                    }
                    "owner" => {
                        let w = cur.word("an owner cookie, dma-api or none")?;
                        let is = match w.node.as_str() {
                            "dma-api" => OwnerIs::DmaApi,
                            "none" => OwnerIs::None,
                            _ => OwnerIs::Cookie(w.node.clone()),
                        };
                        Check::Owner {
                            dev,
                            op,
                            is: Spanned::new(is, w.span),
                        }
                    }
                    _ => {
                        let l = cur.lit("a number")?;
                        let count = number_at(l.node, l.span)?;
                        Check::OwnerCnt { dev, op, count }
                    }
                }
            }
            "iova_to_phys" => {
                cur.expect(&Tok::LParen, "`(`")?;
                let domain = cur.word("a domain handle")?;
                cur.expect(&Tok::Comma, "`,`")?;
                let raw = self.raw(cur)?;
                let iova = self.arg(raw, Param::Iova, "iova_to_phys", 2)?;
                cur.expect(&Tok::RParen, "`)`")?;
                let op = cmp_op(cur)?;
                let l = cur.lit("a physical address")?;
                let phys = number_at(l.node, l.span)?;
                Check::IovaToPhys {
                    domain,
                    iova,
                    op,
                    phys,
                }
            }
            "counter" => workload::counter(cur)?,
            "invariants" => {
                let w = cur.word("`ok`")?;
                if w.node != "ok" {
                    return Err(ParseError::new(
                        ErrorKind::Expected {
                            expected: "`ok`",
                            found: format!("`{}`", w.node),
                        },
                        w.span,
                    ));
                }
                Check::InvariantsOk
            }
            "breach" => {
                const WHAT: &str = "an invariant such as `I2`";
                let w = cur.word(WHAT)?;
                match Invariant::parse(&w.node) {
                    Some(n) => Check::Breach(Spanned::new(n, w.span)),
                    None if nearest(&w.node.to_ascii_uppercase(), ["UAF"]).is_some() => {
                        return Err(ParseError::new(
                            ErrorKind::Unknown {
                                what: "invariant",
                                word: w.node.clone(),
                                suggestion: Some("UAF"),
                            },
                            w.span,
                        ))
                    }
                    None => {
                        return Err(ParseError::new(
                            ErrorKind::Expected {
                                expected: WHAT,
                                found: format!("`{}`", w.node),
                            },
                            w.span,
                        ))
                    }
                }
            }
            other => {
                return Err(unknown(
                    "expectation",
                    other,
                    what.span,
                    &[
                        "groups",
                        "group",
                        "domain",
                        "owner",
                        "owner_cnt",
                        "iova_to_phys",
                        "counter",
                        "invariants",
                        "breach",
                    ],
                ))
            }
        };
        let generations = generations(cur)?;
        Ok(ExpectStmt {
            check,
            eras: generations,
        })
    }
}

fn prot_flag(w: &str, span: Span) -> Result<Prot, ParseError> {
    Prot::from_keyword(w)
        .ok_or_else(|| unknown("prot flag", w, span, &Prot::KEYWORDS.map(|(n, _)| n)))
}

/// `=> VALUE [@gen,...] [; ...]`
fn expectation(cur: &mut Cursor) -> Result<Expectation, ParseError> {
    let start = cur.expect(&Tok::FatArrow, "`=>`")?;
    let mut alternatives = Vec::new();
    loop {
        let value = value(cur)?;
        let generations = generations(cur)?;
        let span = cur.since(value.span);
        alternatives.push(Alternative {
            value,
            eras: generations,
            span,
        });
        if cur.eat(&Tok::Semi).is_none() {
            break;
        }
    }
    Ok(Expectation {
        alternatives,
        span: cur.since(start),
    })
}

fn value(cur: &mut Cursor) -> Result<Spanned<Value>, ParseError> {
    const WHAT: &str = "a result (0, -EXXX, a number, n/a, BUG, DMA_MAPPING_ERROR)";
    let Some(t) = cur.peek() else {
        return Err(cur.error(WHAT));
    };
    let v = match &t.tok {
        Tok::Lit(l) => Value::Number(number_at(l, t.span)?.node),
        Tok::Neg(n) => {
            let text = format!("-{n}");
            match Errno::parse(&text) {
                Some(e) => Value::Errno(e),
                None => return Err(unknown("errno", &text, t.span, &ERRNO_NAMES)),
            }
        }
        Tok::Word(w) if w == "n/a" => Value::NotAvailable,
        Tok::Word(w) if w == "BUG" => Value::Bug,
        Tok::Word(w) if w == "DMA_MAPPING_ERROR" => Value::DmaMappingError,
        Tok::Word(w) if w == "NULL" => Value::Null,
        _ => return Err(cur.error(WHAT)),
    };
    cur.pos += 1;
    Ok(Spanned::new(v, t.span))
}

fn switch(cur: &mut Cursor, key: &'static str) -> Result<bool, ParseError> {
    let found = cur.found();
    let span = cur.here();
    match cur.peek_tok() {
        Some(Tok::Word(w)) if w == "on" => {
            cur.pos += 1;
            Ok(true)
        }
        Some(Tok::Word(w)) if w == "off" => {
            cur.pos += 1;
            Ok(false)
        }
        _ => Err(ParseError::new(ErrorKind::BadSwitch { key, found }, span)),
    }
}

/// The settings of one `config` line written without the word `config`
/// (`pcie_acs_override=downstream iommu=pt`): `iommu-play --config` and the what-if views.
/// Errors point into `settings` itself (line 1, its own columns).
pub fn parse_config_settings(settings: &str) -> Result<Vec<Spanned<ConfigSetting>>, ParseError> {
    const PREFIX: &str = "config ";
    let back = |sp: Span| Span {
        line: sp.line,
        col: sp.col.saturating_sub(PREFIX.len() as u32).max(1),
        start: sp.start.saturating_sub(PREFIX.len()),
        end: sp.end.saturating_sub(PREFIX.len()),
    };
    let shift = |e: ParseError| ParseError::new(e.kind, back(e.span));
    let first_line = settings.lines().next().unwrap_or("");
    let text = format!("{PREFIX}{first_line}");
    let s = parse(&text).map_err(|e| {
        let first = e.errors.into_iter().next();
        first.map_or_else(
            || ParseError::new(ErrorKind::Invalid("no settings"), Span::default()),
            shift,
        )
    })?;
    let settings: Vec<Spanned<ConfigSetting>> = s
        .stmts
        .into_iter()
        .filter_map(|st| match st.kind {
            StmtKind::Config(v) => Some(v),
            _ => None,
        })
        .flatten()
        .map(|x| Spanned::new(x.node, back(x.span)))
        .collect();
    if settings.is_empty() {
        return Err(ParseError::new(
            ErrorKind::Expected {
                expected: "`key=value`",
                found: "nothing".to_string(),
            },
            Span {
                line: 1,
                col: 1,
                start: 0,
                end: 0,
            },
        ));
    }
    Ok(settings)
}

/// The `config` key words as typed (for "did you mean"); `pci` takes `=OPTION=` after it.
const CONFIG_WORDS: [&str; 9] = [
    "strict",
    "passthrough",
    "acs-fix",
    "split-unmap",
    "pcie_acs_override",
    "pci",
    "iommu",
    "iommu.passthrough",
    "iommu.strict",
];

/// The `pci=` options the language reads.
const PCI_OPTIONS: [&str; 2] = ["disable_acs_redir", "config_acs"];

fn config(cur: &mut Cursor) -> Result<StmtKind, ParseError> {
    let mut settings = Vec::new();
    while cur.peek().is_some() {
        let k = cur.word("`key=value`")?;
        let key = match k.node.as_str() {
            "pci" => {
                cur.expect(&Tok::Assign, "`=`")?;
                let o = cur.word("`disable_acs_redir` or `config_acs`")?;
                match o.node.as_str() {
                    "disable_acs_redir" => ConfigKey::PciDisableAcsRedir,
                    "config_acs" => ConfigKey::PciConfigAcs,
                    _ => return Err(unknown("pci= option", &o.node, o.span, &PCI_OPTIONS)),
                }
            }
            w => match ConfigKey::parse(w) {
                Some(key) => key,
                None => return Err(unknown("config key", w, k.span, &CONFIG_WORDS)),
            },
        };
        cur.expect(&Tok::Assign, "`=`")?;
        let (on, value) = config_value(cur, key)?;
        settings.push(Spanned::new(
            ConfigSetting { key, on, value },
            cur.since(k.span),
        ));
    }
    if settings.is_empty() {
        return Err(cur.error("`key=value`"));
    }
    Ok(StmtKind::Config(settings))
}

/// The value of one `config` key (after its `=`).
fn config_value(cur: &mut Cursor, key: ConfigKey) -> Result<(bool, ConfigValue), ParseError> {
    use crate::topology::cmdline;
    let word = |cur: &Cursor| match cur.peek_tok() {
        Some(Tok::Word(w) | Tok::Lit(w)) => Some(w.clone()),
        _ => None,
    };
    match key {
        ConfigKey::Strict | ConfigKey::Passthrough | ConfigKey::AcsFix | ConfigKey::SplitUnmap => {
            Ok((switch(cur, key.name())?, ConfigValue::OnOff))
        }
        ConfigKey::IommuPassthrough | ConfigKey::IommuStrict => {
            let v = match word(cur).as_deref() {
                Some("1") => (true, ConfigValue::Digit),
                Some("0") => (false, ConfigValue::Digit),
                Some("on") => (true, ConfigValue::OnOff),
                Some("off") => (false, ConfigValue::OnOff),
                _ => return Err(cur.error("`1` or `0`")),
            };
            cur.pos += 1;
            Ok(v)
        }
        ConfigKey::Iommu => {
            let span = cur.here();
            let v = match word(cur).as_deref() {
                Some("pt") => (true, ConfigValue::Pt),
                Some("nopt") => (false, ConfigValue::Pt),
                Some(w) => return Err(unknown("iommu= option", w, span, &["pt", "nopt"])),
                None => return Err(cur.error("`pt` or `nopt`")),
            };
            cur.pos += 1;
            Ok(v)
        }
        ConfigKey::PcieAcsOverride | ConfigKey::PciDisableAcsRedir | ConfigKey::PciConfigAcs => {
            let raw = raw_value(cur)?;
            if raw.node == "off" {
                return Ok((false, ConfigValue::OnOff));
            }
            let v = match key {
                ConfigKey::PcieAcsOverride => {
                    cmdline::AcsOverride::parse(&raw.node).map(ConfigValue::AcsOverride)
                }
                ConfigKey::PciDisableAcsRedir => {
                    cmdline::parse_device_list(&raw.node).map(ConfigValue::DisableAcsRedir)
                }
                _ => cmdline::parse_config_acs(&raw.node).map(ConfigValue::ConfigAcs),
            };
            v.map(|v| (true, v)).map_err(|e| param_error(e, raw.span))
        }
    }
}

/// The text of the tokens that follow one another with no blank between them (a kernel
/// parameter value such as `0000:00:1c.0;pci:8086:a110` or `x1x1@00:01.0/00.0`).
fn raw_value(cur: &mut Cursor) -> Result<Spanned<String>, ParseError> {
    let Some(first) = cur.peek() else {
        return Err(cur.error("a value"));
    };
    let mut text = String::new();
    let mut last = first.span;
    while let Some(t) = cur.peek() {
        if (!text.is_empty() && t.span.start != last.end) || matches!(t.tok, Tok::Comment(_)) {
            break;
        }
        match &t.tok {
            Tok::Word(w) | Tok::Lit(w) => text.push_str(w),
            Tok::Neg(w) => {
                text.push('-');
                text.push_str(w);
            }
            Tok::Assign => text.push('='),
            Tok::EqEq => text.push_str("=="),
            Tok::NotEq => text.push_str("!="),
            Tok::FatArrow => text.push_str("=>"),
            Tok::Arrow => text.push_str("->"),
            Tok::LParen => text.push('('),
            Tok::RParen => text.push(')'),
            Tok::LBrace => text.push('{'),
            Tok::RBrace => text.push('}'),
            Tok::Comma => text.push(','),
            Tok::Pipe => text.push('|'),
            Tok::At => text.push('@'),
            Tok::Semi => text.push(';'),
            Tok::Slash => text.push('/'),
            Tok::Comment(_) => {}
        }
        last = t.span;
        cur.pos += 1;
    }
    if text.is_empty() {
        return Err(cur.error("a value"));
    }
    Ok(Spanned::new(text, first.span.to(last)))
}

/// A kernel-parameter error at its place inside the value spanning `value`.
fn param_error(e: crate::topology::cmdline::ParamError, value: Span) -> ParseError {
    use crate::topology::cmdline::ParamErrorKind;
    let at = u32::try_from(e.at).unwrap_or(u32::MAX);
    let start = value.start.saturating_add(e.at).min(value.end);
    let span = Span {
        line: value.line,
        col: value.col.saturating_add(at),
        start,
        end: start.saturating_add(e.len).min(value.end).max(start),
    };
    match e.kind {
        ParamErrorKind::Unknown {
            what,
            word,
            expected,
        } => unknown(what, &word, span, expected),
        ParamErrorKind::Bad { what, text, why } => {
            ParseError::new(ErrorKind::BadValue { what, text, why }, span)
        }
    }
}

/// Reads `key` (and `=`, when the key takes a value) of the next attribute; checks it is
/// known and not given twice.
fn attr_key(
    cur: &mut Cursor,
    what: &'static str,
    keys: &[&'static str],
    flags: &[&'static str],
    seen: &mut Vec<&'static str>,
) -> Result<Spanned<&'static str>, ParseError> {
    let k = cur.word("an attribute `key=value`")?;
    let all = || keys.iter().chain(flags).copied();
    let Some(key) = all().find(|n| *n == k.node) else {
        let names: Vec<&'static str> = all().collect();
        return Err(unknown(what, &k.node, k.span, &names));
    };
    if seen.contains(&key) {
        return Err(ParseError::new(
            ErrorKind::Duplicate(key.to_string()),
            k.span,
        ));
    }
    seen.push(key);
    if keys.contains(&key) {
        cur.expect(&Tok::Assign, "`=`")?;
    }
    Ok(Spanned::new(key, k.span))
}

fn number_value(cur: &mut Cursor) -> Result<Spanned<Number>, ParseError> {
    let l = cur.lit("a number")?;
    number_at(l.node, l.span)
}

fn bdf_value(cur: &mut Cursor) -> Result<Spanned<WrittenBdf>, ParseError> {
    let l = cur.lit("a BDF")?;
    bdf_at(l.node, l.span)
}

fn pci_id_value(cur: &mut Cursor) -> Result<Spanned<PciId>, ParseError> {
    let l = cur.lit("VVVV:DDDD")?;
    lexer::pci_id(l.node)
        .map(|id| Spanned::new(id, l.span))
        .map_err(|why| {
            ParseError::new(
                ErrorKind::BadValue {
                    what: "PCI ID",
                    text: l.node.to_string(),
                    why,
                },
                l.span,
            )
        })
}

fn acs_value(cur: &mut Cursor) -> Result<Spanned<AcsFlags>, ParseError> {
    let first = cur.here();
    let mut flags = AcsFlags::NONE;
    loop {
        let w = cur.word("an ACS flag (SV, TB, RR, CR, UF, EC, DT) or none")?;
        if w.node == "none" {
            // Only alone: `acs-ctl=none` (capability present, nothing enabled).
            if !flags.is_empty() || cur.peek_tok() == Some(&Tok::Comma) {
                return Err(ParseError::new(
                    ErrorKind::Invalid("`none` cannot be combined with ACS flags"),
                    w.span,
                ));
            }
            return Ok(Spanned::new(AcsFlags::NONE, w.span));
        }
        match AcsFlags::from_keyword(&w.node) {
            Some(f) => flags = flags | f,
            None => {
                let names = AcsFlags::NAMES.map(|(n, _)| n);
                return Err(unknown("ACS flag", &w.node, w.span, &names));
            }
        }
        if cur.eat(&Tok::Comma).is_none() {
            break;
        }
    }
    Ok(Spanned::new(flags, cur.since(first)))
}

fn kind_value(cur: &mut Cursor) -> Result<Spanned<IommuKind>, ParseError> {
    let w = cur.word("an IOMMU kind")?;
    match IommuKind::from_keyword(&w.node) {
        Some(k) => Ok(Spanned::new(k, w.span)),
        None => Err(unknown(
            "IOMMU kind",
            &w.node,
            w.span,
            &IommuKind::ALL.map(IommuKind::keyword),
        )),
    }
}

fn iommu(cur: &mut Cursor) -> Result<IommuDecl, ParseError> {
    let name = cur.word("an IOMMU name")?;
    let mut d = IommuDecl {
        name,
        kind: None,
        granule: None,
        ias: None,
        oas: None,
        smrs: None,
    };
    let mut seen = Vec::new();
    while cur.peek().is_some() {
        let k = attr_key(
            cur,
            "iommu attribute",
            &["kind", "granule", "ias", "oas", "smrs"],
            &[],
            &mut seen,
        )?;
        match k.node {
            "kind" => d.kind = Some(kind_value(cur)?),
            "granule" => d.granule = Some(number_value(cur)?),
            "ias" => d.ias = Some(number_value(cur)?),
            "oas" => d.oas = Some(number_value(cur)?),
            _ => d.smrs = Some(number_value(cur)?),
        }
    }
    Ok(d)
}

fn platform(cur: &mut Cursor) -> Result<PlatformDecl, ParseError> {
    let name = cur.word("a device name")?;
    let mut d = PlatformDecl {
        name,
        iommu: None,
        sids: Vec::new(),
        mask: None,
    };
    let mut seen = Vec::new();
    while cur.peek().is_some() {
        let k = attr_key(
            cur,
            "platform attribute",
            &["iommu", "sid", "mask"],
            &[],
            &mut seen,
        )?;
        match k.node {
            "iommu" => d.iommu = Some(cur.word("an IOMMU name")?),
            "sid" => loop {
                d.sids.push(number_value(cur)?);
                if cur.eat(&Tok::Comma).is_none() {
                    break;
                }
            },
            _ => d.mask = Some(number_value(cur)?),
        }
    }
    Ok(d)
}

fn host(cur: &mut Cursor) -> Result<HostDecl, ParseError> {
    let name = cur.word("a host bridge name")?;
    let mut d = HostDecl {
        name,
        iommu: None,
        segment: None,
        bus: None,
    };
    let mut seen = Vec::new();
    while cur.peek().is_some() {
        let k = attr_key(
            cur,
            "host attribute",
            &["iommu", "segment", "bus"],
            &[],
            &mut seen,
        )?;
        match k.node {
            "iommu" => d.iommu = Some(cur.word("an IOMMU name")?),
            "segment" => d.segment = Some(number_value(cur)?),
            _ => d.bus = Some(number_value(cur)?),
        }
    }
    Ok(d)
}

fn pci(cur: &mut Cursor) -> Result<PciDecl, ParseError> {
    let bdf = bdf_value(cur)?;
    let t = cur.word(PciType::EXPECTED)?;
    let Some(ty) = PciType::from_keyword(&t.node) else {
        let names = PciType::ALL.map(PciType::keyword);
        return Err(unknown("PCI device type", &t.node, t.span, &names));
    };
    let mut d = PciDecl::new(bdf, Spanned::new(ty, t.span));
    let mut seen = Vec::new();
    while cur.peek().is_some() {
        let k = attr_key(
            cur,
            "pci attribute",
            &[
                "parent",
                "host",
                "acs",
                "acs-cap",
                "acs-ctl",
                "id",
                "subsys",
                "sriov",
                "vf-offset",
                "vf-stride",
            ],
            &["untrusted", "multifunction"],
            &mut seen,
        )?;
        match k.node {
            "parent" => d.parent = Some(bdf_value(cur)?),
            "host" => d.host = Some(cur.word("a host bridge name")?),
            "acs" => d.acs = Some(acs_value(cur)?),
            "acs-cap" => d.acs_cap = Some(acs_value(cur)?),
            "acs-ctl" => d.acs_ctl = Some(acs_value(cur)?),
            "id" => d.id = Some(pci_id_value(cur)?),
            "subsys" => d.subsys = Some(pci_id_value(cur)?),
            "sriov" => d.sriov = Some(number_value(cur)?),
            "vf-offset" => d.vf_offset = Some(number_value(cur)?),
            "vf-stride" => d.vf_stride = Some(number_value(cur)?),
            "untrusted" => d.untrusted = Some(k.span),
            _ => d.multifunction = Some(k.span),
        }
    }
    Ok(d)
}
