//! Sorting through one instantiation of the standard library's stable sort, on indices,
//! instead of one per element type and comparator: in the wasm bundle every `sort()` of
//! another type, and every `collect()` into a `BTreeSet`/`BTreeMap` (which sorts), adds a
//! few KB of driftsort (BENCHMARKS.md "Bundle size"). The order is exactly the stable
//! sort's: the indices are sorted stably by the same comparison of the elements.
//!
//! None of these is on a per-pair DMA path (`dma.rs`, `workload.rs`, `pgtable/`, `iova/`).
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

/// The permutation that sorts `len` elements stably by `cmp` (comparing positions).
fn order(len: usize, cmp: &mut dyn FnMut(usize, usize) -> Ordering) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..len).collect();
    idx.sort_by(|a, b| cmp(*a, *b));
    idx
}

/// `v.sort_by(cmp)`: stable, the same order.
pub fn sort_by<T>(v: &mut Vec<T>, mut cmp: impl FnMut(&T, &T) -> Ordering) {
    if v.len() < 2 {
        return;
    }
    let idx = {
        let v = &*v;
        order(v.len(), &mut |a, b| match (v.get(a), v.get(b)) {
            (Some(x), Some(y)) => cmp(x, y),
            _ => Ordering::Equal,
        })
    };
    let mut slots: Vec<Option<T>> = v.drain(..).map(Some).collect();
    v.extend(
        idx.into_iter()
            .filter_map(|i| slots.get_mut(i).and_then(Option::take)),
    );
}

/// `v.sort()`: stable, the same order.
pub fn sort<T: Ord>(v: &mut Vec<T>) {
    sort_by(v, T::cmp);
}

/// `v.sort_by_key(key)`: stable, the same order.
pub fn sort_by_key<T, K: Ord>(v: &mut Vec<T>, mut key: impl FnMut(&T) -> K) {
    sort_by(v, |a, b| key(a).cmp(&key(b)));
}

/// `iter.collect::<BTreeSet<_>>()`, by insertion (no sort).
pub fn set<T: Ord>(iter: impl IntoIterator<Item = T>) -> BTreeSet<T> {
    let mut s = BTreeSet::new();
    for x in iter {
        s.insert(x);
    }
    s
}

/// `iter.collect::<BTreeMap<_, _>>()`, by insertion (no sort): a later value for the same
/// key wins, as in `collect()`.
pub fn map<K: Ord, V>(iter: impl IntoIterator<Item = (K, V)>) -> BTreeMap<K, V> {
    let mut m = BTreeMap::new();
    for (k, v) in iter {
        m.insert(k, v);
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_order_is_the_stable_sorts() {
        // Pairs compared by their first half only: a stable sort keeps equal halves in
        // their input order.
        let input: Vec<(u8, u32)> = (0..200u32).map(|i| (((i * 7919) % 13) as u8, i)).collect();
        let mut want = input.clone();
        want.sort_by_key(|x| x.0);
        let mut got = input.clone();
        sort_by(&mut got, |a, b| a.0.cmp(&b.0));
        assert_eq!(got, want);
        let mut want = input.clone();
        want.sort_by_key(|x| std::cmp::Reverse(x.0));
        let mut got = input.clone();
        sort_by_key(&mut got, |x| std::cmp::Reverse(x.0));
        assert_eq!(got, want);
        let mut words = vec!["b", "a", "c", "a", ""];
        sort(&mut words);
        assert_eq!(words, ["", "a", "a", "b", "c"]);
        let mut one = vec![1];
        sort(&mut one);
        assert_eq!(one, [1]);
    }

    #[test]
    fn set_and_map_are_collects() {
        let v = [5u32, 1, 5, 3, 1];
        assert_eq!(set(v), v.into_iter().collect::<BTreeSet<_>>());
        let pairs = [(2u8, "a"), (1, "b"), (2, "c")];
        assert_eq!(map(pairs), pairs.into_iter().collect::<BTreeMap<_, _>>());
    }
}
