//! The line driver: cleans each line (CRLF, mail quotes, prompts), keeps the context a line
//! belongs to (an lspci block, a group, a tree, a sysfs listing) and hands the line to the
//! reader that knows it; [`Sink`] merges what the readers find into the [`Paste`].

use super::text::Description;
use super::{
    cmdline, dmesg, groups, lspci, tree, Acs, Bdf, BusRange, Conflict, Device, Fact, Field, Format,
    ImportError, Paste, PciId, PortType, Source, Upstream, MAX_IMPORT_DEVICES, MAX_IMPORT_INPUT,
    MAX_IMPORT_NOTES, MAX_LINE,
};
use std::collections::btree_map::Entry;

pub(super) fn parse(text: &str) -> Result<Paste, ImportError> {
    if text.len() > MAX_IMPORT_INPUT {
        return Err(ImportError {
            line: 1,
            col: 1,
            message: format!(
                "the paste is {} bytes, more than the {} MiB an import reads",
                text.len(),
                MAX_IMPORT_INPUT >> 20
            ),
        });
    }
    let mut r = Reader::default();
    for (n, raw) in text.split('\n').enumerate() {
        let no = u32::try_from(n + 1).unwrap_or(u32::MAX);
        r.line(no, raw.strip_suffix('\r').unwrap_or(raw));
    }
    r.end_context();
    let paste = r.sink.paste;
    if paste.devices.is_empty() && paste.cmdline.is_none() {
        let (line, col) = first_text(text);
        return Err(ImportError {
            line,
            col,
            message: "nothing readable: no lspci output, IOMMU group listing, kernel log line \
                      or /proc/cmdline"
                .to_string(),
        });
    }
    Ok(paste)
}

/// The line and column of the first non-blank character (1:1 for an empty text).
fn first_text(text: &str) -> (u32, u32) {
    for (n, l) in text.lines().enumerate() {
        if let Some(c) = l.chars().position(|c| !c.is_whitespace()) {
            let no = u32::try_from(n + 1).unwrap_or(u32::MAX);
            return (no, u32::try_from(c + 1).unwrap_or(u32::MAX));
        }
    }
    (1, 1)
}

/// How a fact prints in a [`Conflict`].
pub(super) trait Shown {
    fn shown(&self) -> String;
}

impl Shown for u8 {
    fn shown(&self) -> String {
        format!("{self:02x}")
    }
}
impl Shown for u16 {
    fn shown(&self) -> String {
        format!("{self:04x}")
    }
}
impl Shown for u32 {
    fn shown(&self) -> String {
        self.to_string()
    }
}
impl Shown for String {
    fn shown(&self) -> String {
        self.clone()
    }
}
impl Shown for Acs {
    fn shown(&self) -> String {
        let show = |f: Option<super::AcsFlags>| f.map_or("?".to_string(), |f| f.to_string());
        format!("cap {} ctl {}", show(self.cap), show(self.ctl))
    }
}
macro_rules! shown_by_display {
    ($($t:ty),*) => {$(impl Shown for $t {
        fn shown(&self) -> String {
            self.to_string()
        }
    })*};
}
shown_by_display!(PciId, PortType, BusRange, Upstream);

/// Merges facts into the paste: the first value of each fact is kept, a different later one
/// is a conflict (names are not facts about the hardware: they differ between lspci
/// versions and pci.ids, so a different name is not a conflict).
#[derive(Default)]
pub(super) struct Sink {
    pub paste: Paste,
}

impl Sink {
    /// The device at `bdf`, created on first mention (None past [`MAX_IMPORT_DEVICES`]).
    pub fn device(&mut self, bdf: Bdf, from: Source) -> Option<&mut Device> {
        let full = self.paste.devices.len() >= MAX_IMPORT_DEVICES;
        match self.paste.devices.entry(bdf) {
            Entry::Occupied(e) => {
                let d = e.into_mut();
                if !d.formats.contains(&from.format) {
                    d.formats.push(from.format);
                }
                Some(d)
            }
            Entry::Vacant(_) if full => {
                self.paste.dropped += 1;
                None
            }
            Entry::Vacant(e) => Some(e.insert(Device::new(bdf, from))),
        }
    }

    /// Sets one fact; true when it is now `value` (new or the same as before).
    pub fn set<T: PartialEq + Shown>(
        &mut self,
        bdf: Bdf,
        from: Source,
        field: Field,
        value: T,
        slot: fn(&mut Device) -> &mut Option<Fact<T>>,
    ) -> bool {
        let Some(dev) = self.device(bdf, from) else {
            return false;
        };
        let s = slot(dev);
        let conflict = match s {
            None => {
                *s = Some(Fact { value, from });
                return true;
            }
            Some(f) if f.value == value => return true,
            Some(_) if matches!(field, Field::Name | Field::ClassName) => return false,
            Some(f) => Conflict {
                bdf: Some(bdf),
                field,
                kept: Fact {
                    value: f.value.shown(),
                    from: f.from,
                },
                other: Fact {
                    value: value.shown(),
                    from,
                },
            },
        };
        self.conflict(conflict);
        false
    }

    pub fn conflict(&mut self, c: Conflict) {
        self.paste.conflict_count += 1;
        if self.paste.conflicts.len() < MAX_IMPORT_NOTES {
            self.paste.conflicts.push(c);
        }
    }

    /// States `bdf`'s group: the device joins the group unless it was stated in another.
    pub fn group(&mut self, bdf: Bdf, group: u32, from: Source) {
        if self.set(bdf, from, Field::Group, group, |d| &mut d.group) {
            self.paste.groups.entry(group).or_default().insert(bdf);
        }
    }

    /// Everything an lspci description line says.
    pub fn describe(&mut self, bdf: Bdf, d: Description, from: Source) {
        if self.device(bdf, from).is_none() {
            return;
        }
        if let Some(id) = d.id {
            self.set(bdf, from, Field::Id, id, |d| &mut d.id);
        }
        if let Some(c) = d.class {
            self.set(bdf, from, Field::Class, c, |d| &mut d.class);
        }
        if let Some(c) = d.class_name {
            self.set(bdf, from, Field::ClassName, c, |d| &mut d.class_name);
        }
        if let Some(n) = d.name {
            self.set(bdf, from, Field::Name, n, |d| &mut d.name);
        }
        if let Some(r) = d.rev {
            self.set(bdf, from, Field::Rev, r, |d| &mut d.rev);
        }
    }

    pub fn port_type(&mut self, bdf: Bdf, t: PortType, from: Source) {
        self.set(bdf, from, Field::PortType, t, |d| &mut d.port_type);
    }

    pub fn bus_range(&mut self, bdf: Bdf, r: BusRange, from: Source) {
        self.set(bdf, from, Field::BusRange, r, |d| &mut d.bus_range);
    }

    pub fn upstream(&mut self, bdf: Bdf, u: Upstream, from: Source) {
        self.set(bdf, from, Field::Upstream, u, |d| &mut d.upstream);
    }

    pub fn acs(&mut self, bdf: Bdf, acs: Acs, from: Source) {
        self.set(bdf, from, Field::Acs, acs, |d| &mut d.acs);
    }

    pub fn cut(&mut self, line: u32) {
        if self.paste.cuts.len() < MAX_IMPORT_NOTES {
            self.paste.cuts.push(line);
        }
    }
}

/// What the lines being read belong to.
#[derive(Default)]
pub(super) enum Context {
    #[default]
    None,
    /// An lspci device block (its header line's device).
    Block(lspci::Block),
    /// A group listing's group.
    Group(groups::Group),
    /// An `ls /sys/kernel/iommu_groups/N/devices` listing.
    Sysfs(u32),
    /// An `lspci -t` tree.
    Tree(tree::Tree),
}

#[derive(Default)]
struct Reader {
    sink: Sink,
    ctx: Context,
    /// The previous command line ended with `\`.
    command_continues: bool,
    /// The previous command was `cat /proc/cmdline`.
    expect_cmdline: bool,
    /// The last device line (for a mail-wrapped tail: `[8086:1901] (rev 07)`).
    last_device: Option<(Bdf, Source)>,
}

/// Commands whose echo (after a prompt or alone) is read as a command line.
const COMMANDS: [&str; 16] = [
    "lspci",
    "sudo",
    "cat",
    "for",
    "find",
    "ls",
    "dmesg",
    "journalctl",
    "grep",
    "sh",
    "bash",
    "readlink",
    "tree",
    "ls-iommu",
    "lsiommu",
    "printf",
];

impl Reader {
    fn end_context(&mut self) {
        if let Context::Block(b) = std::mem::take(&mut self.ctx) {
            b.finish(&mut self.sink);
        }
    }

    fn read(&mut self) {
        self.sink.paste.lines_read += 1;
    }

    fn skip(&mut self, no: u32) {
        let p = &mut self.sink.paste;
        p.skipped_count += 1;
        if p.skipped.len() < MAX_IMPORT_NOTES {
            p.skipped.push(no);
        }
    }

    fn line(&mut self, no: u32, raw: &str) {
        if raw.len() > MAX_LINE {
            self.end_context();
            self.skip(no);
            return;
        }
        let line = strip_mail_quote(raw);
        let trimmed = line.trim();
        if trimmed.is_empty() {
            self.end_context();
            self.expect_cmdline = false;
            return;
        }
        let last = self.last_device.take();
        if self.command_continues {
            self.command_continues = trimmed.ends_with('\\');
            self.read();
            return;
        }
        let expect_cmdline = std::mem::take(&mut self.expect_cmdline);
        if self.in_context(no, line) {
            self.read();
            return;
        }
        if let Some(h) = groups::header(line, no, &mut self.sink) {
            self.end_context();
            match h {
                groups::Header::Group(ctx) => self.ctx = ctx,
                groups::Header::Device(bdf) => {
                    self.last_device = Some((bdf, src(Format::Groups, no)))
                }
            }
            self.read();
            return;
        }
        if trimmed.starts_with('#') {
            self.expect_cmdline = expect_cmdline;
            return;
        }
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            self.end_context();
            self.expect_cmdline = expect_cmdline;
            return;
        }
        if is_cut(trimmed) {
            self.end_context();
            self.sink.cut(no);
            return;
        }
        if let Some(cmd) = command(trimmed) {
            self.end_context();
            self.expect_cmdline = cmd.contains("/proc/cmdline");
            self.command_continues = cmd.ends_with('\\');
            self.read();
            return;
        }
        if cmdline::line(trimmed, no, expect_cmdline, &mut self.sink) {
            self.end_context();
            self.read();
            return;
        }
        if let Some(ctx) = groups::sysfs(trimmed, no, &mut self.sink) {
            self.end_context();
            self.ctx = ctx;
            self.read();
            return;
        }
        if dmesg::line(trimmed, no, &mut self.sink) {
            self.end_context();
            self.read();
            return;
        }
        if let Some(t) = tree::start(line, no, &mut self.sink) {
            self.end_context();
            self.ctx = Context::Tree(t);
            self.read();
            return;
        }
        if let Some((bdf, block)) = lspci::header(line, no, &mut self.sink) {
            self.end_context();
            self.ctx = Context::Block(block);
            self.last_device = Some((bdf, src(Format::Lspci, no)));
            self.read();
            return;
        }
        if let Some((bdf, from)) = last {
            if lspci::wrapped_tail(trimmed, bdf, src(from.format, no), &mut self.sink) {
                self.read();
                return;
            }
        }
        self.end_context();
        self.skip(no);
    }

    /// A line the current context reads (a block's detail line, a group member, a tree
    /// branch, a sysfs link); false ends nothing by itself.
    fn in_context(&mut self, no: u32, line: &str) -> bool {
        let sink = &mut self.sink;
        match &mut self.ctx {
            Context::None => false,
            Context::Block(b) => b.detail(line, no, sink),
            Context::Group(g) => match g.member(line, no, sink) {
                groups::Member::No => false,
                groups::Member::Line => true,
                groups::Member::Device(bdf) => {
                    self.last_device = Some((bdf, src(Format::Groups, no)));
                    true
                }
            },
            Context::Sysfs(group) => groups::sysfs_member(line, *group, no, sink),
            Context::Tree(t) => t.line(line, no, sink),
        }
    }
}

/// A `>` mail quote (`> ` or `>> ` …) taken off.
fn strip_mail_quote(line: &str) -> &str {
    let mut l = line;
    while let Some(rest) = l.strip_prefix('>') {
        l = rest.strip_prefix(' ').unwrap_or(rest);
    }
    l
}

/// A cut mark: `[...]`, `...`, `…`, `[snip]`, `<snip>` and the like.
fn is_cut(t: &str) -> bool {
    let inner = t
        .trim_start_matches(['[', '(', '<'])
        .trim_end_matches([']', ')', '>'])
        .trim();
    matches!(
        inner,
        "..." | "…" | "snip" | "cut" | "…snip…" | "... snip ..."
    ) || (inner.len() >= 3 && inner.chars().all(|c| c == '.'))
}

/// The command of a shell prompt line (`user@host:~$ lspci -vvv`, `[user@host ~]# …`,
/// `alex@duo > …`, `$ …`) or of a bare command (`lspci -tv`).
fn command(t: &str) -> Option<&str> {
    for mark in ["$ ", "# ", "> ", "% "] {
        if let Some((prompt, cmd)) = t.split_once(mark) {
            let p = prompt.trim();
            let prompt_like = p.is_empty()
                || (!p.contains(char::is_whitespace) && (p.contains('@') || p.contains(':')))
                || (p.starts_with('[') && p.ends_with(']') && p.contains('@'));
            if prompt_like && !cmd.trim().is_empty() {
                return Some(cmd.trim());
            }
        }
    }
    let mut words = t.split_whitespace();
    let first = words.next()?;
    let name = first.rsplit('/').next().unwrap_or(first);
    let args_like = match words.next() {
        None => true,
        Some(w) => w.starts_with('-') || t.contains('/') || t.contains("; do") || name == "sudo",
    };
    let known = COMMANDS.contains(&name) || first.starts_with("./") || name.ends_with(".sh");
    (known && args_like).then_some(t)
}

/// `Source` shorthand for the readers.
pub(super) fn src(format: Format, line: u32) -> Source {
    Source { format, line }
}

/// Whether `line` starts with blank space (a detail or member line).
pub(super) fn indented(line: &str) -> bool {
    line.starts_with([' ', '\t'])
}
