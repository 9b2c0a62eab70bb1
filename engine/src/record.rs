//! The recorder: the trace plumbing of the call in progress (nested kernel calls, WARN and
//! notice lines, `BUG_ON`s, the breaches only the call itself can see). It knows nothing of
//! the model's state; the core and the eras write to it, the kernel dispatch opens and
//! closes it around each call.

use crate::errno::Errno;
use crate::limits::{MAX_NESTED_PER_EVENT, MAX_WARNS_PER_EVENT};
use crate::trace::{thousands, Breach, Nested, NestedResult, Warn, WarnKind};

/// What the call in progress has recorded so far.
#[derive(Debug, Default)]
pub struct Recorder {
    /// Nested calls still open, innermost last.
    stack: Vec<Nested>,
    /// Closed top-level nested calls.
    nested: Vec<Nested>,
    warns: Vec<Warn>,
    /// Nested calls closed so far in the call in progress, and those dropped past
    /// [`MAX_NESTED_PER_EVENT`] (WARN lines likewise).
    nested_kept: usize,
    nested_dropped: usize,
    warns_dropped: usize,
    /// Breaches of the call in progress that no state check can see afterwards (I6).
    pub(crate) call_breaches: Vec<Breach>,
    /// Set when a `BUG_ON` fired: the kernel is dead.
    pub crashed: Option<String>,
}

impl Recorder {
    /// Starts recording a new call (the crash, if any, stays).
    pub(crate) fn begin(&mut self) {
        self.call_breaches.clear();
        self.stack.clear();
        self.nested.clear();
        self.warns.clear();
        self.nested_kept = 0;
        self.nested_dropped = 0;
        self.warns_dropped = 0;
    }

    /// Opens a nested kernel call in the trace.
    pub(crate) fn enter(&mut self, name: &str, args: Vec<String>) {
        self.stack.push(Nested {
            name: name.to_string(),
            args,
            result: NestedResult::Void,
            children: Vec::new(),
        });
    }

    /// Closes the innermost nested call with its result.
    /// Past [`MAX_NESTED_PER_EVENT`] closed calls the call (and what it nested) is counted,
    /// not kept: [`Recorder::close`] adds one summary entry.
    pub(crate) fn leave(&mut self, result: impl Into<NestedResult>) {
        if let Some(mut n) = self.stack.pop() {
            if self.nested_kept >= MAX_NESTED_PER_EVENT {
                self.nested_dropped += 1 + count_nested(&n.children);
                return;
            }
            self.nested_kept += 1;
            n.result = result.into();
            match self.stack.last_mut() {
                Some(parent) => parent.children.push(n),
                None => self.nested.push(n),
            }
        }
    }

    /// Closes a nested call with a `Result`.
    pub(crate) fn leave_res(&mut self, r: Result<(), Errno>) -> Result<(), Errno> {
        self.leave(r);
        r
    }

    /// Records a WARN line, up to [`MAX_WARNS_PER_EVENT`] per call.
    fn push_warn(&mut self, w: Warn) {
        if self.warns.len() >= MAX_WARNS_PER_EVENT {
            self.warns_dropped += 1;
        } else {
            self.warns.push(w);
        }
    }

    fn line(&mut self, kind: WarnKind, site: &str, message: &str) {
        self.push_warn(Warn {
            kind,
            site: site.to_string(),
            message: message.to_string(),
        });
    }

    /// A kernel `WARN_ON`/`dev_WARN` fired.
    pub(crate) fn warn(&mut self, site: &str, message: &str) {
        self.line(WarnKind::Warn, site, message);
    }

    /// A `dev_warn`/`pr_warn` line.
    pub(crate) fn notice(&mut self, site: &str, message: &str) {
        self.line(WarnKind::Notice, site, message);
    }

    /// A hazard the kernel does not check but the model flags.
    pub(crate) fn model_warn(&mut self, site: &str, message: &str) {
        self.line(WarnKind::Model, site, message);
    }

    /// A `BUG_ON` fired: the kernel is dead and the run ends.
    pub(crate) fn bug(&mut self, site: &str, message: &str) {
        self.line(WarnKind::Bug, site, message);
        self.crashed = Some(format!("{site}: {message}"));
    }

    /// A breach the call in progress caused and only it can see (I6).
    pub(crate) fn breach(&mut self, b: Breach) {
        self.call_breaches.push(b);
    }

    /// Closes every call still open and adds the summaries of what was dropped.
    pub(crate) fn close(&mut self) {
        while !self.stack.is_empty() {
            self.leave(NestedResult::Void);
        }
        if self.nested_dropped > 0 {
            self.nested.push(Nested::summary(self.nested_dropped));
        }
        if self.warns_dropped > 0 {
            let more = thousands(self.warns_dropped as u64);
            self.warns.push(Warn {
                kind: WarnKind::Notice,
                site: "trace".into(),
                message: format!("… {more} more lines not recorded"),
            });
        }
    }

    /// The call's WARN lines and nested calls, taken out.
    pub(crate) fn take(&mut self) -> (Vec<Warn>, Vec<Nested>) {
        (
            std::mem::take(&mut self.warns),
            std::mem::take(&mut self.nested),
        )
    }
}

/// Nested calls under `n`, at any depth.
fn count_nested(n: &[Nested]) -> usize {
    n.iter().map(|c| 1 + count_nested(&c.children)).sum()
}
