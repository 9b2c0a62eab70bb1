//! Sorting through one instantiation of the standard library's stable sort, on indices,
//! instead of one per element type and comparator: in the wasm bundle every `sort()` of
//! another type, and every `collect()` into a `BTreeSet`/`BTreeMap` (which sorts), adds a
//! few KB of driftsort (BENCHMARKS.md "Bundle size"). The order is exactly the stable
//! sort's: the indices are sorted stably by the same comparison of the elements. Ordered
//! maps and sets are [`crate::vec_map`]'s, whose `collect()` sorts through here.
//!
//! None of these is on a per-pair DMA path (`dma.rs`, `workload.rs`, `pgtable/`, `iova/`).
use std::cmp::Ordering;

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
}
