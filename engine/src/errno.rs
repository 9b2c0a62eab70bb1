//! Kernel error numbers, printed the way kernel developers read them (`-EBUSY`).
//!
//! Values are those of `include/uapi/asm-generic/errno-base.h` and `errno.h`.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A kernel errno. Engine functions return `Result<T, Errno>` where the kernel returns
/// `-Exxx`, so a model's result reads exactly like the kernel's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[allow(non_camel_case_types)] // the kernel's own spelling: EPROBE_DEFER
pub enum Errno {
    EPERM,
    ENOENT,
    EIO,
    ENXIO,
    E2BIG,
    ENOMEM,
    EFAULT,
    EBUSY,
    EEXIST,
    ENODEV,
    EINVAL,
    ENOSPC,
    ERANGE,
    EOPNOTSUPP,
    EPROBE_DEFER,
    ENOTSUPP,
}

impl Errno {
    /// Every errno the model can return, for parsers and property tests.
    pub const ALL: [Errno; 16] = [
        Errno::EPERM,
        Errno::ENOENT,
        Errno::EIO,
        Errno::ENXIO,
        Errno::E2BIG,
        Errno::ENOMEM,
        Errno::EFAULT,
        Errno::EBUSY,
        Errno::EEXIST,
        Errno::ENODEV,
        Errno::EINVAL,
        Errno::ENOSPC,
        Errno::ERANGE,
        Errno::EOPNOTSUPP,
        Errno::EPROBE_DEFER,
        Errno::ENOTSUPP,
    ];

    /// The positive kernel value (`EBUSY` is 16).
    pub const fn code(self) -> i32 {
        match self {
            Errno::EPERM => 1,
            Errno::ENOENT => 2,
            Errno::EIO => 5,
            Errno::ENXIO => 6,
            Errno::E2BIG => 7,
            Errno::ENOMEM => 12,
            Errno::EFAULT => 14,
            Errno::EBUSY => 16,
            Errno::EEXIST => 17,
            Errno::ENODEV => 19,
            Errno::EINVAL => 22,
            Errno::ENOSPC => 28,
            Errno::ERANGE => 34,
            Errno::EOPNOTSUPP => 95,
            // include/linux/errno.h: kernel-internal values, never seen by user space.
            Errno::EPROBE_DEFER => 517,
            Errno::ENOTSUPP => 524,
        }
    }

    /// The symbolic name without the sign (`"EBUSY"`).
    pub const fn name(self) -> &'static str {
        match self {
            Errno::EPERM => "EPERM",
            Errno::ENOENT => "ENOENT",
            Errno::EIO => "EIO",
            Errno::ENXIO => "ENXIO",
            Errno::E2BIG => "E2BIG",
            Errno::ENOMEM => "ENOMEM",
            Errno::EFAULT => "EFAULT",
            Errno::EBUSY => "EBUSY",
            Errno::EEXIST => "EEXIST",
            Errno::ENODEV => "ENODEV",
            Errno::EINVAL => "EINVAL",
            Errno::ENOSPC => "ENOSPC",
            Errno::ERANGE => "ERANGE",
            Errno::EOPNOTSUPP => "EOPNOTSUPP",
            Errno::EPROBE_DEFER => "EPROBE_DEFER",
            Errno::ENOTSUPP => "ENOTSUPP",
        }
    }

    /// Parses `-EBUSY`, `EBUSY` or `-16`.
    pub fn parse(s: &str) -> Option<Errno> {
        let body = s.strip_prefix('-').unwrap_or(s);
        if let Ok(n) = body.parse::<i32>() {
            return Errno::ALL.into_iter().find(|e| e.code() == n);
        }
        Errno::ALL.into_iter().find(|e| e.name() == body)
    }
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "-{}", self.name())
    }
}

impl std::error::Error for Errno {}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn errno_prints_with_minus_sign() {
        assert_eq!(Errno::EBUSY.to_string(), "-EBUSY");
        assert_eq!(Errno::EBUSY.code(), 16);
    }

    #[test]
    fn errno_parses_names_and_numbers() {
        assert_eq!(Errno::parse("-EINVAL"), Some(Errno::EINVAL));
        assert_eq!(Errno::parse("ENOSPC"), Some(Errno::ENOSPC));
        assert_eq!(Errno::parse("-17"), Some(Errno::EEXIST));
        assert_eq!(Errno::parse("-EWHAT"), None);
        for e in Errno::ALL {
            assert_eq!(Errno::parse(&e.to_string()), Some(e));
        }
    }
}
