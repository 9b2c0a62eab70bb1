//! Ordered maps and sets on a sorted `Vec`: [`VecMap`] and [`VecSet`], the subset of the
//! `BTreeMap`/`BTreeSet` API the engine and the web app use, with the same iteration order
//! (ascending by key) and the same `Debug`, `PartialEq`/`Ord`, `Hash` and serde forms.
//!
//! Why: in the wasm bundle every distinct `BTreeMap<K, V>` instantiates the B-tree's node
//! code again (insert with node splits, removal with `do_merge`/`bulk_steal_*`, drop,
//! clone: several KB raw per key/value type, BENCHMARKS.md "Bundle size"). A sorted `Vec`
//! needs a binary search and `Vec::insert`/`Vec::remove` (a `memmove`) per type.
//!
//! Costs: lookup O(log n); insert and remove O(n) (a shift), except an insert past the
//! largest key, which is an amortised O(1) push, so building from keys in ascending order
//! (ids handed out in increasing order, listings already sorted) is O(n). Use these only
//! for maps that stay small or fill in order; the large ones on hot paths (the IOVA tree,
//! the page tables' walks, anything with up to 1,000,000 live entries) stay `BTreeMap`.
//!
//! Nothing here instantiates a sort per type: `FromIterator` takes keys that already ascend
//! as they are and otherwise sorts through [`crate::sort::sort_by`] (one stable sort on
//! indices for the whole bundle); `Extend` inserts one by one. A later value for a key
//! already present replaces the earlier one (the key stays the first), as in `BTreeMap`.
use serde::{Serialize, Serializer};
use std::borrow::Borrow;
use std::fmt;
use std::ops::{Bound, RangeBounds};

/// An ordered map on a sorted `Vec<(K, V)>` (see the module documentation).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct VecMap<K, V> {
    entries: Vec<(K, V)>,
}

/// An ordered set on a sorted `Vec<T>` (see the module documentation).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct VecSet<T> {
    items: Vec<T>,
}

/// The slice positions `range` covers in `keys` sorted ascending, or `None` for a range
/// whose start is past its end (`BTreeMap::range` panics there; this yields nothing).
fn span<T, Q: Ord + ?Sized>(
    keys: &[T],
    key: impl Fn(&T) -> &Q,
    range: &impl RangeBounds<Q>,
) -> (usize, usize) {
    // The first position whose key is not below the bound (`Included`), or is above it
    // (`Excluded`).
    let start = match range.start_bound() {
        Bound::Unbounded => 0,
        Bound::Included(b) => keys.partition_point(|x| key(x) < b),
        Bound::Excluded(b) => keys.partition_point(|x| key(x) <= b),
    };
    let end = match range.end_bound() {
        Bound::Unbounded => keys.len(),
        Bound::Included(b) => keys.partition_point(|x| key(x) <= b),
        Bound::Excluded(b) => keys.partition_point(|x| key(x) < b),
    };
    (start, end.max(start))
}

impl<K, V> VecMap<K, V> {
    /// An empty map (no allocation).
    pub const fn new() -> Self {
        VecMap {
            entries: Vec::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// The entries in key order.
    pub fn iter(&self) -> Iter<'_, K, V> {
        Iter(self.entries.iter())
    }

    /// The entries in key order, values mutable.
    pub fn iter_mut(&mut self) -> IterMut<'_, K, V> {
        IterMut(self.entries.iter_mut())
    }

    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &K> + ExactSizeIterator + Clone {
        self.entries.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl DoubleEndedIterator<Item = &V> + ExactSizeIterator + Clone {
        self.entries.iter().map(|(_, v)| v)
    }

    pub fn values_mut(&mut self) -> impl DoubleEndedIterator<Item = &mut V> + ExactSizeIterator {
        self.entries.iter_mut().map(|(_, v)| v)
    }

    pub fn into_keys(self) -> impl DoubleEndedIterator<Item = K> + ExactSizeIterator {
        self.entries.into_iter().map(|(k, _)| k)
    }

    pub fn into_values(self) -> impl DoubleEndedIterator<Item = V> + ExactSizeIterator {
        self.entries.into_iter().map(|(_, v)| v)
    }

    pub fn first_key_value(&self) -> Option<(&K, &V)> {
        self.entries.first().map(|(k, v)| (k, v))
    }

    pub fn last_key_value(&self) -> Option<(&K, &V)> {
        self.entries.last().map(|(k, v)| (k, v))
    }

    pub fn pop_first(&mut self) -> Option<(K, V)> {
        if self.entries.is_empty() {
            None
        } else {
            Some(self.entries.remove(0))
        }
    }

    pub fn pop_last(&mut self) -> Option<(K, V)> {
        self.entries.pop()
    }

    /// Keeps the entries for which `f` is true, in order.
    pub fn retain(&mut self, mut f: impl FnMut(&K, &mut V) -> bool) {
        self.entries.retain_mut(|(k, v)| f(k, v));
    }
}

impl<K: Ord, V> VecMap<K, V> {
    /// `Ok(position)` of `key`, or `Err(where it would go)`.
    fn find<Q>(&self, key: &Q) -> Result<usize, usize>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.entries.binary_search_by(|(k, _)| k.borrow().cmp(key))
    }

    pub fn get<Q>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        let i = self.find(key).ok()?;
        self.entries.get(i).map(|(_, v)| v)
    }

    pub fn get_key_value<Q>(&self, key: &Q) -> Option<(&K, &V)>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        let i = self.find(key).ok()?;
        self.entries.get(i).map(|(k, v)| (k, v))
    }

    pub fn get_mut<Q>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        let i = self.find(key).ok()?;
        self.entries.get_mut(i).map(|(_, v)| v)
    }

    pub fn contains_key<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.find(key).is_ok()
    }

    /// Inserts or replaces `key`'s value, returning the old one (the key kept is the first,
    /// as in `BTreeMap::insert`). A key above every other one is a push.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        if self.entries.last().is_none_or(|(k, _)| *k < key) {
            self.entries.push((key, value));
            return None;
        }
        match self.find(&key) {
            Ok(i) => self
                .entries
                .get_mut(i)
                .map(|(_, v)| std::mem::replace(v, value)),
            Err(i) => {
                self.entries.insert(i, (key, value));
                None
            }
        }
    }

    pub fn remove<Q>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.remove_entry(key).map(|(_, v)| v)
    }

    pub fn remove_entry<Q>(&mut self, key: &Q) -> Option<(K, V)>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        let i = self.find(key).ok()?;
        Some(self.entries.remove(i))
    }

    /// The entry of `key`, to read, insert or update in place.
    pub fn entry(&mut self, key: K) -> Entry<'_, K, V> {
        match self.find(&key) {
            Ok(at) => Entry::Occupied(OccupiedEntry { map: self, at }),
            Err(at) => Entry::Vacant(VacantEntry { map: self, at, key }),
        }
    }

    /// The entries whose keys are in `range`, in order (none if its start is past its end).
    pub fn range<Q, R>(&self, range: R) -> Iter<'_, K, V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
        R: RangeBounds<Q>,
    {
        let (a, b) = span(&self.entries, |(k, _)| k.borrow(), &range);
        Iter(self.entries.get(a..b).unwrap_or_default().iter())
    }
}

impl<K, V> Default for VecMap<K, V> {
    fn default() -> Self {
        VecMap::new()
    }
}

impl<K: fmt::Debug, V: fmt::Debug> fmt::Debug for VecMap<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

/// Serialised as a map, like `BTreeMap`.
impl<K: Serialize, V: Serialize> Serialize for VecMap<K, V> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.iter())
    }
}

impl<K: Ord, V> VecMap<K, V> {
    /// The map of `pairs` in any order, as `collect()` into a `BTreeMap` gives it (the
    /// first key and the last value of equal keys): O(n) if the keys ascend, else
    /// O(n log n) through [`crate::sort::sort_by`] (the one shared stable sort).
    pub fn from_pairs(mut pairs: Vec<(K, V)>) -> Self {
        if !pairs.is_sorted_by(|a, b| a.0 < b.0) {
            crate::sort::sort_by(&mut pairs, |a, b| a.0.cmp(&b.0));
            let mut entries: Vec<(K, V)> = Vec::with_capacity(pairs.len());
            for (k, v) in pairs {
                match entries.last_mut() {
                    Some(last) if last.0 == k => last.1 = v,
                    _ => entries.push((k, v)),
                }
            }
            pairs = entries;
        }
        VecMap { entries: pairs }
    }
}

impl<K: Ord, V> FromIterator<(K, V)> for VecMap<K, V> {
    /// [`VecMap::from_pairs`]: a later value for the same key wins.
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        VecMap::from_pairs(iter.into_iter().collect())
    }
}

impl<K: Ord, V> Extend<(K, V)> for VecMap<K, V> {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, iter: I) {
        for (k, v) in iter {
            self.insert(k, v);
        }
    }
}

impl<K: Ord, V, const N: usize> From<[(K, V); N]> for VecMap<K, V> {
    fn from(a: [(K, V); N]) -> Self {
        a.into_iter().collect()
    }
}

impl<K, V> IntoIterator for VecMap<K, V> {
    type Item = (K, V);
    type IntoIter = std::vec::IntoIter<(K, V)>;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

impl<'a, K, V> IntoIterator for &'a VecMap<K, V> {
    type Item = (&'a K, &'a V);
    type IntoIter = Iter<'a, K, V>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<'a, K, V> IntoIterator for &'a mut VecMap<K, V> {
    type Item = (&'a K, &'a mut V);
    type IntoIter = IterMut<'a, K, V>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter_mut()
    }
}

/// [`VecMap::iter`] and [`VecMap::range`].
#[derive(Clone, Debug)]
pub struct Iter<'a, K, V>(std::slice::Iter<'a, (K, V)>);

impl<'a, K, V> Iterator for Iter<'a, K, V> {
    type Item = (&'a K, &'a V);
    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(|(k, v)| (k, v))
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl<K, V> DoubleEndedIterator for Iter<'_, K, V> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.0.next_back().map(|(k, v)| (k, v))
    }
}

impl<K, V> ExactSizeIterator for Iter<'_, K, V> {}

/// [`VecMap::iter_mut`].
#[derive(Debug)]
pub struct IterMut<'a, K, V>(std::slice::IterMut<'a, (K, V)>);

impl<'a, K, V> Iterator for IterMut<'a, K, V> {
    type Item = (&'a K, &'a mut V);
    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(|(k, v)| (&*k, v))
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl<K, V> DoubleEndedIterator for IterMut<'_, K, V> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.0.next_back().map(|(k, v)| (&*k, v))
    }
}

impl<K, V> ExactSizeIterator for IterMut<'_, K, V> {}

/// [`VecMap::entry`]: a key present or absent.
pub enum Entry<'a, K, V> {
    Occupied(OccupiedEntry<'a, K, V>),
    Vacant(VacantEntry<'a, K, V>),
}

/// A key present in the map.
pub struct OccupiedEntry<'a, K, V> {
    map: &'a mut VecMap<K, V>,
    at: usize,
}

/// A key absent from the map, with where it goes.
pub struct VacantEntry<'a, K, V> {
    map: &'a mut VecMap<K, V>,
    at: usize,
    key: K,
}

/// The entry at `at`, a position [`VecMap::find`] returned as `Ok`: always in bounds (a
/// `get_mut` would need a fallback for the impossible `None` that the borrow checker
/// cannot express while the map is borrowed for the result).
#[allow(clippy::indexing_slicing)]
fn slot<K, V>(entries: &mut [(K, V)], at: usize) -> &mut (K, V) {
    &mut entries[at]
}

impl<'a, K, V> Entry<'a, K, V> {
    pub fn or_insert(self, default: V) -> &'a mut V {
        self.or_insert_with(|| default)
    }

    pub fn or_insert_with(self, f: impl FnOnce() -> V) -> &'a mut V {
        match self {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(e) => e.insert(f()),
        }
    }

    pub fn or_default(self) -> &'a mut V
    where
        V: Default,
    {
        self.or_insert_with(V::default)
    }

    pub fn and_modify(mut self, f: impl FnOnce(&mut V)) -> Self {
        if let Entry::Occupied(e) = &mut self {
            f(e.get_mut());
        }
        self
    }
}

impl<'a, K, V> OccupiedEntry<'a, K, V> {
    pub fn key(&mut self) -> &K {
        &slot(&mut self.map.entries, self.at).0
    }

    pub fn get(&mut self) -> &V {
        &slot(&mut self.map.entries, self.at).1
    }

    pub fn get_mut(&mut self) -> &mut V {
        &mut slot(&mut self.map.entries, self.at).1
    }

    pub fn into_mut(self) -> &'a mut V {
        &mut slot(&mut self.map.entries, self.at).1
    }

    /// Replaces the value, returning the old one.
    pub fn insert(&mut self, value: V) -> V {
        std::mem::replace(self.get_mut(), value)
    }

    /// Removes the entry, returning its value.
    pub fn remove(self) -> V {
        self.map.entries.remove(self.at).1
    }
}

impl<'a, K, V> VacantEntry<'a, K, V> {
    pub fn key(&self) -> &K {
        &self.key
    }

    /// Inserts the key with `value` where it belongs in the order.
    pub fn insert(self, value: V) -> &'a mut V {
        &mut self.map.entries.insert_mut(self.at, (self.key, value)).1
    }
}

impl<T> VecSet<T> {
    /// An empty set (no allocation).
    pub const fn new() -> Self {
        VecSet { items: Vec::new() }
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn clear(&mut self) {
        self.items.clear();
    }

    /// The items in order.
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.items.iter()
    }

    /// The items in order, as a slice.
    pub fn as_slice(&self) -> &[T] {
        &self.items
    }

    pub fn first(&self) -> Option<&T> {
        self.items.first()
    }

    pub fn last(&self) -> Option<&T> {
        self.items.last()
    }

    pub fn pop_first(&mut self) -> Option<T> {
        if self.items.is_empty() {
            None
        } else {
            Some(self.items.remove(0))
        }
    }

    pub fn pop_last(&mut self) -> Option<T> {
        self.items.pop()
    }

    /// Keeps the items for which `f` is true, in order.
    pub fn retain(&mut self, f: impl FnMut(&T) -> bool) {
        self.items.retain(f);
    }
}

impl<T: Ord> VecSet<T> {
    fn find<Q>(&self, x: &Q) -> Result<usize, usize>
    where
        T: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.items.binary_search_by(|y| y.borrow().cmp(x))
    }

    pub fn contains<Q>(&self, x: &Q) -> bool
    where
        T: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.find(x).is_ok()
    }

    pub fn get<Q>(&self, x: &Q) -> Option<&T>
    where
        T: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.items.get(self.find(x).ok()?)
    }

    /// Adds `x` unless an equal item is there (which is kept): true if added.
    pub fn insert(&mut self, x: T) -> bool {
        if self.items.last().is_none_or(|y| *y < x) {
            self.items.push(x);
            return true;
        }
        match self.find(&x) {
            Ok(_) => false,
            Err(i) => {
                self.items.insert(i, x);
                true
            }
        }
    }

    /// Removes the item equal to `x`: true if there was one.
    pub fn remove<Q>(&mut self, x: &Q) -> bool
    where
        T: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.take(x).is_some()
    }

    pub fn take<Q>(&mut self, x: &Q) -> Option<T>
    where
        T: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        let i = self.find(x).ok()?;
        Some(self.items.remove(i))
    }

    /// The items in `range`, in order (none if its start is past its end).
    pub fn range<Q, R>(&self, range: R) -> std::slice::Iter<'_, T>
    where
        T: Borrow<Q>,
        Q: Ord + ?Sized,
        R: RangeBounds<Q>,
    {
        let (a, b) = span(&self.items, |x| x.borrow(), &range);
        self.items.get(a..b).unwrap_or_default().iter()
    }

    /// Every item of `self` is in `other`.
    pub fn is_subset(&self, other: &VecSet<T>) -> bool {
        self.items.iter().all(|x| other.contains(x))
    }

    /// The items also in `other`, in order.
    pub fn intersection<'a>(&'a self, other: &'a VecSet<T>) -> impl Iterator<Item = &'a T> + 'a {
        self.items.iter().filter(move |x| other.contains(*x))
    }

    /// The items not in `other`, in order.
    pub fn difference<'a>(&'a self, other: &'a VecSet<T>) -> impl Iterator<Item = &'a T> + 'a {
        self.items.iter().filter(move |x| !other.contains(*x))
    }
}

impl<T> Default for VecSet<T> {
    fn default() -> Self {
        VecSet::new()
    }
}

impl<T: fmt::Debug> fmt::Debug for VecSet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

/// Serialised as a sequence, like `BTreeSet`.
impl<T: Serialize> Serialize for VecSet<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<T: Ord> VecSet<T> {
    /// The set of `items` in any order, as `collect()` into a `BTreeSet` gives it (the
    /// first of equal items): O(n) if they ascend, else O(n log n) through
    /// [`crate::sort::sort_by`] (the one shared stable sort).
    pub fn from_items(mut items: Vec<T>) -> Self {
        if !items.is_sorted_by(|a, b| a < b) {
            crate::sort::sort_by(&mut items, T::cmp);
            items.dedup();
        }
        VecSet { items }
    }
}

impl<T: Ord> FromIterator<T> for VecSet<T> {
    /// [`VecSet::from_items`]: the first of equal items is kept.
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        VecSet::from_items(iter.into_iter().collect())
    }
}

impl<T: Ord> Extend<T> for VecSet<T> {
    fn extend<I: IntoIterator<Item = T>>(&mut self, iter: I) {
        for x in iter {
            self.insert(x);
        }
    }
}

impl<T: Ord, const N: usize> From<[T; N]> for VecSet<T> {
    fn from(a: [T; N]) -> Self {
        a.into_iter().collect()
    }
}

impl<T> IntoIterator for VecSet<T> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

impl<'a, T> IntoIterator for &'a VecSet<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeMap, BTreeSet};

    #[test]
    fn a_map_keeps_key_order_and_the_btreemap_api() {
        let mut m: VecMap<String, u32> = VecMap::new();
        assert_eq!(m.insert("b".into(), 1), None);
        assert_eq!(m.insert("a".into(), 2), None);
        assert_eq!(m.insert("c".into(), 3), None);
        assert_eq!(m.insert("b".into(), 4), Some(1));
        assert_eq!(
            m.keys().map(String::as_str).collect::<Vec<_>>(),
            ["a", "b", "c"]
        );
        assert_eq!(m.get("b"), Some(&4));
        assert!(m.contains_key("a") && !m.contains_key("d"));
        *m.entry("d".into()).or_default() += 5;
        *m.entry("a".into()).or_insert(0) += 10;
        assert_eq!(m.values().copied().collect::<Vec<_>>(), [12, 4, 3, 5]);
        assert_eq!(
            m.range::<str, _>((Bound::Included("b"), Bound::Excluded("d")))
                .map(|(_, v)| *v)
                .collect::<Vec<_>>(),
            [4, 3]
        );
        assert_eq!(m.remove("a"), Some(12));
        assert_eq!(m.remove("a"), None);
        assert_eq!(m.first_key_value(), Some((&"b".to_string(), &4)));
        assert_eq!(m.last_key_value(), Some((&"d".to_string(), &5)));
        m.retain(|_, v| *v != 3);
        assert_eq!(format!("{m:?}"), r#"{"b": 4, "d": 5}"#);
        assert_eq!(serde_json::to_string(&m).unwrap(), r#"{"b":4,"d":5}"#);
        let s: VecSet<u8> = [3, 1, 3, 2].into_iter().collect();
        assert_eq!(format!("{s:?}"), "{1, 2, 3}");
        assert_eq!(serde_json::to_string(&s).unwrap(), "[1,2,3]");
    }

    #[test]
    fn debug_and_order_are_the_btree_ones() {
        let pairs = [(5u8, 'x'), (1, 'y'), (5, 'z')];
        let v: VecMap<u8, char> = pairs.into_iter().collect();
        let b: BTreeMap<u8, char> = pairs.into_iter().collect();
        assert_eq!(format!("{v:?}"), format!("{b:?}"));
        let a: VecSet<u8> = VecSet::from([1, 2]);
        let c: VecSet<u8> = VecSet::from([1, 3]);
        let (ba, bc) = (BTreeSet::from([1u8, 2]), BTreeSet::from([1u8, 3]));
        assert_eq!(a.cmp(&c), ba.cmp(&bc));
        assert_eq!(VecSet::<u8>::new().cmp(&a), BTreeSet::new().cmp(&ba));
    }

    #[test]
    fn a_backwards_range_is_empty() {
        let m: VecMap<u32, ()> = (0..10).map(|k| (k, ())).collect();
        #[allow(clippy::reversed_empty_ranges)]
        let r = m.range(7..3);
        assert_eq!(r.count(), 0);
        let s: VecSet<u32> = (0..10).collect();
        assert_eq!(s.range(5..=5).copied().collect::<Vec<_>>(), [5]);
        assert_eq!(s.range((Bound::Excluded(5), Bound::Excluded(6))).count(), 0);
    }

    // A model check: the same random operations on a VecMap/VecSet and on the standard
    // library's BTreeMap/BTreeSet (the oracle) give the same answers and contents.
    #[cfg(not(target_arch = "wasm32"))]
    mod model {
        use super::*;
        use proptest::prelude::*;

        #[derive(Clone, Debug)]
        enum Op {
            Insert(u8, u16),
            Remove(u8),
            Get(u8),
            Entry(u8, u16),
            Range(u8, u8, bool),
            PopFirst,
            PopLast,
            Retain(u16),
        }

        fn op() -> impl Strategy<Value = Op> {
            prop_oneof![
                4 => (any::<u8>(), any::<u16>()).prop_map(|(k, v)| Op::Insert(k, v)),
                2 => any::<u8>().prop_map(Op::Remove),
                1 => any::<u8>().prop_map(Op::Get),
                2 => (any::<u8>(), any::<u16>()).prop_map(|(k, v)| Op::Entry(k, v)),
                1 => (any::<u8>(), any::<u8>(), any::<bool>()).prop_map(|(a, b, i)| Op::Range(a, b, i)),
                1 => Just(Op::PopFirst),
                1 => Just(Op::PopLast),
                1 => any::<u16>().prop_map(Op::Retain),
            ]
        }

        proptest! {
            #[test]
            fn the_map_answers_as_btreemap(ops in proptest::collection::vec(op(), 0..200)) {
                let mut v: VecMap<u8, u16> = VecMap::new();
                let mut b: BTreeMap<u8, u16> = BTreeMap::new();
                for op in ops {
                    match op {
                        Op::Insert(k, x) => prop_assert_eq!(v.insert(k, x), b.insert(k, x)),
                        Op::Remove(k) => prop_assert_eq!(v.remove(&k), b.remove(&k)),
                        Op::Get(k) => {
                            prop_assert_eq!(v.get(&k), b.get(&k));
                            prop_assert_eq!(v.contains_key(&k), b.contains_key(&k));
                        }
                        Op::Entry(k, x) => {
                            let a = *v.entry(k).and_modify(|y| *y ^= x).or_insert(x);
                            let c = *b.entry(k).and_modify(|y| *y ^= x).or_insert(x);
                            prop_assert_eq!(a, c);
                        }
                        Op::Range(lo, hi, incl) => {
                            let (lo, hi) = (lo.min(hi), lo.max(hi));
                            if incl {
                                prop_assert!(v.range(lo..=hi).eq(b.range(lo..=hi)));
                            } else {
                                prop_assert!(v.range(lo..hi).eq(b.range(lo..hi)));
                            }
                            prop_assert!(v.range(lo..).rev().eq(b.range(lo..).rev()));
                        }
                        Op::PopFirst => prop_assert_eq!(v.pop_first(), b.pop_first()),
                        Op::PopLast => prop_assert_eq!(v.pop_last(), b.pop_last()),
                        Op::Retain(m) => {
                            v.retain(|k, x| (u16::from(*k) ^ *x) & m != 0);
                            b.retain(|k, x| (u16::from(*k) ^ *x) & m != 0);
                        }
                    }
                    prop_assert_eq!(v.len(), b.len());
                    prop_assert!(v.iter().eq(b.iter()));
                    prop_assert_eq!(v.first_key_value(), b.first_key_value());
                    prop_assert_eq!(v.last_key_value(), b.last_key_value());
                }
                prop_assert_eq!(format!("{v:?}"), format!("{b:?}"));
                let c: VecMap<u8, u16> = b.clone().into_iter().rev().collect();
                prop_assert_eq!(&c, &v);
                prop_assert!(v.into_iter().eq(b));
            }

            #[test]
            fn the_set_answers_as_btreeset(
                ops in proptest::collection::vec((any::<bool>(), any::<u8>()), 0..200),
                other in proptest::collection::vec(any::<u8>(), 0..50),
            ) {
                let mut v: VecSet<u8> = VecSet::new();
                let mut b: BTreeSet<u8> = BTreeSet::new();
                for (add, x) in ops {
                    if add {
                        prop_assert_eq!(v.insert(x), b.insert(x));
                    } else {
                        prop_assert_eq!(v.remove(&x), b.remove(&x));
                    }
                    prop_assert!(v.iter().eq(b.iter()));
                    prop_assert_eq!(v.contains(&x), b.contains(&x));
                }
                let vo: VecSet<u8> = other.iter().copied().collect();
                let bo: BTreeSet<u8> = other.iter().copied().collect();
                prop_assert!(vo.iter().eq(bo.iter()));
                prop_assert_eq!(v.is_subset(&vo), b.is_subset(&bo));
                prop_assert!(v.intersection(&vo).eq(b.intersection(&bo)));
                prop_assert!(v.difference(&vo).eq(b.difference(&bo)));
                prop_assert_eq!(v.cmp(&vo), b.cmp(&bo));
                prop_assert_eq!(v == vo, b == bo);
                prop_assert_eq!(v.first(), b.first());
                prop_assert_eq!(v.last(), b.last());
                prop_assert!(v.range(10..100).eq(b.range(10..100)));
            }
        }
    }
}
