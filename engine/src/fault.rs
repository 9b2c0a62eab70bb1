//! Fault injection like iommufd's `fail_nth` (tools/testing/selftests/iommu): in the crate's
//! own tests, [`arm`] makes the n-th internal allocation from then on fail — a page-table
//! page, an IOVA node or rcache magazine, a domain — so a test can run a call for n = 1, 2,
//! … until it succeeds and check that each failure returned -ENOMEM and changed nothing.
//! Outside tests [`should_fail`] is a constant `false` and costs nothing.

#[cfg(test)]
mod armed {
    use std::cell::Cell;

    thread_local! {
        /// Allocations left before the one that fails (0: disarmed).
        static LEFT: Cell<u64> = const { Cell::new(0) };
        /// Whether the armed failure has fired.
        static FIRED: Cell<bool> = const { Cell::new(false) };
    }

    pub fn arm(nth: u64) {
        LEFT.with(|l| l.set(nth));
        FIRED.with(|f| f.set(false));
    }

    pub fn fired() -> bool {
        FIRED.with(Cell::get)
    }

    pub fn should_fail() -> bool {
        LEFT.with(|l| match l.get() {
            0 => false,
            1 => {
                l.set(0);
                FIRED.with(|f| f.set(true));
                true
            }
            n => {
                l.set(n - 1);
                false
            }
        })
    }
}

#[cfg(test)]
pub use armed::{arm, fired, should_fail};

/// Whether this allocation should fail: never, outside the crate's tests.
#[cfg(not(test))]
#[inline(always)]
pub const fn should_fail() -> bool {
    false
}

#[cfg(test)]
mod tests;
