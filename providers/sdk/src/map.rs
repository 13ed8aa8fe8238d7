//! The map inside `Value::Map`: keys kept sorted in one vector. Objects in configurations and
//! cloud state are small (a handful of keys), and a `BTreeMap` spends a ~600-byte node on each
//! of them; at 10,000 resources, with several copies of each value alive during a plan, that
//! was most of the memory and much of the time. The API follows `BTreeMap<String, Value>`, so
//! code reads the same; lookups are a binary search.

use crate::value::Value;
use std::collections::BTreeMap;
use std::fmt;

/// String keys in sorted order, each with its value.
#[derive(Clone, PartialEq, Default)]
pub struct Map {
    entries: Vec<(String, Value)>,
}

impl Map {
    pub fn new() -> Self {
        Map::default()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn find(&self, key: &str) -> Result<usize, usize> {
        self.entries.binary_search_by(|(k, _)| k.as_str().cmp(key))
    }

    pub fn get<Q: AsRef<str> + ?Sized>(&self, key: &Q) -> Option<&Value> {
        self.find(key.as_ref()).ok().map(|i| &self.entries[i].1)
    }

    pub fn get_mut<Q: AsRef<str> + ?Sized>(&mut self, key: &Q) -> Option<&mut Value> {
        self.find(key.as_ref()).ok().map(|i| &mut self.entries[i].1)
    }

    pub fn contains_key<Q: AsRef<str> + ?Sized>(&self, key: &Q) -> bool {
        self.find(key.as_ref()).is_ok()
    }

    /// Sets `key`, returning the value it replaced.
    pub fn insert(&mut self, key: String, value: Value) -> Option<Value> {
        match self.find(&key) {
            Ok(i) => Some(std::mem::replace(&mut self.entries[i].1, value)),
            Err(i) => {
                self.entries.insert(i, (key, value));
                None
            }
        }
    }

    pub fn remove<Q: AsRef<str> + ?Sized>(&mut self, key: &Q) -> Option<Value> {
        self.find(key.as_ref())
            .ok()
            .map(|i| self.entries.remove(i).1)
    }

    pub fn entry(&mut self, key: String) -> Entry<'_> {
        match self.find(&key) {
            Ok(i) => Entry::Occupied(OccupiedEntry {
                map: self,
                index: i,
            }),
            Err(i) => Entry::Vacant(VacantEntry {
                map: self,
                index: i,
                key,
            }),
        }
    }

    pub fn iter(&self) -> Iter<'_> {
        Iter(self.entries.iter())
    }

    pub fn iter_mut(&mut self) -> impl DoubleEndedIterator<Item = (&String, &mut Value)> {
        self.entries.iter_mut().map(|(k, v)| (&*k, v))
    }

    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &String> + ExactSizeIterator {
        self.entries.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl DoubleEndedIterator<Item = &Value> + ExactSizeIterator {
        self.entries.iter().map(|(_, v)| v)
    }

    pub fn values_mut(&mut self) -> impl DoubleEndedIterator<Item = &mut Value> {
        self.entries.iter_mut().map(|(_, v)| v)
    }

    pub fn into_keys(self) -> impl DoubleEndedIterator<Item = String> {
        self.entries.into_iter().map(|(k, _)| k)
    }

    pub fn into_values(self) -> impl DoubleEndedIterator<Item = Value> {
        self.entries.into_iter().map(|(_, v)| v)
    }

    pub fn retain(&mut self, mut keep: impl FnMut(&String, &mut Value) -> bool) {
        self.entries.retain_mut(|(k, v)| keep(k, v));
    }
}

impl fmt::Debug for Map {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

/// Later pairs win over earlier ones with the same key, as with `BTreeMap`.
impl FromIterator<(String, Value)> for Map {
    fn from_iter<I: IntoIterator<Item = (String, Value)>>(iter: I) -> Self {
        let mut entries: Vec<(String, Value)> = iter.into_iter().collect();
        if !entries.windows(2).all(|w| w[0].0 < w[1].0) {
            // Stable: equal keys keep their order, and the last of each run is kept.
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            let mut out: Vec<(String, Value)> = Vec::with_capacity(entries.len());
            for e in entries {
                match out.last_mut() {
                    Some(last) if last.0 == e.0 => *last = e,
                    _ => out.push(e),
                }
            }
            entries = out;
        }
        Map { entries }
    }
}

impl<'a> FromIterator<(&'a str, Value)> for Map {
    fn from_iter<I: IntoIterator<Item = (&'a str, Value)>>(iter: I) -> Self {
        iter.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
    }
}

impl From<BTreeMap<String, Value>> for Map {
    fn from(m: BTreeMap<String, Value>) -> Self {
        // Already sorted and unique.
        Map {
            entries: m.into_iter().collect(),
        }
    }
}

impl Extend<(String, Value)> for Map {
    fn extend<I: IntoIterator<Item = (String, Value)>>(&mut self, iter: I) {
        for (k, v) in iter {
            self.insert(k, v);
        }
    }
}

impl IntoIterator for Map {
    type Item = (String, Value);
    type IntoIter = std::vec::IntoIter<(String, Value)>;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

impl<'a> IntoIterator for &'a Map {
    type Item = (&'a String, &'a Value);
    type IntoIter = Iter<'a>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<Q: AsRef<str> + ?Sized> std::ops::Index<&Q> for Map {
    type Output = Value;
    fn index(&self, key: &Q) -> &Value {
        self.get(key).expect("no entry with that key in the map")
    }
}

/// Iterator over `(&key, &value)` in key order.
#[derive(Clone)]
pub struct Iter<'a>(std::slice::Iter<'a, (String, Value)>);

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a String, &'a Value);
    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(|(k, v)| (k, v))
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.0.next_back().map(|(k, v)| (k, v))
    }
}

impl ExactSizeIterator for Iter<'_> {}

/// A place in a map for one key, as `BTreeMap::entry` gives.
pub enum Entry<'a> {
    Occupied(OccupiedEntry<'a>),
    Vacant(VacantEntry<'a>),
}

pub struct OccupiedEntry<'a> {
    map: &'a mut Map,
    index: usize,
}

pub struct VacantEntry<'a> {
    map: &'a mut Map,
    index: usize,
    key: String,
}

impl<'a> Entry<'a> {
    pub fn or_insert(self, default: Value) -> &'a mut Value {
        self.or_insert_with(|| default)
    }

    pub fn or_insert_with(self, default: impl FnOnce() -> Value) -> &'a mut Value {
        match self {
            Entry::Occupied(o) => o.into_mut(),
            Entry::Vacant(v) => v.insert(default()),
        }
    }

    pub fn or_default(self) -> &'a mut Value {
        self.or_insert_with(Value::default)
    }

    pub fn and_modify(self, f: impl FnOnce(&mut Value)) -> Self {
        match self {
            Entry::Occupied(mut o) => {
                f(o.get_mut());
                Entry::Occupied(o)
            }
            v => v,
        }
    }
}

impl<'a> OccupiedEntry<'a> {
    pub fn key(&self) -> &String {
        &self.map.entries[self.index].0
    }
    pub fn get(&self) -> &Value {
        &self.map.entries[self.index].1
    }
    pub fn get_mut(&mut self) -> &mut Value {
        &mut self.map.entries[self.index].1
    }
    pub fn into_mut(self) -> &'a mut Value {
        &mut self.map.entries[self.index].1
    }
    pub fn insert(&mut self, v: Value) -> Value {
        std::mem::replace(self.get_mut(), v)
    }
}

impl<'a> VacantEntry<'a> {
    pub fn key(&self) -> &String {
        &self.key
    }
    pub fn insert(self, v: Value) -> &'a mut Value {
        self.map.entries.insert(self.index, (self.key, v));
        &mut self.map.entries[self.index].1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behaves_like_a_btree_map() {
        let mut m = Map::new();
        let mut b = BTreeMap::new();
        for (i, k) in ["d", "b", "a", "c", "b", "e", "a"].iter().enumerate() {
            let v = Value::Number(i as f64);
            assert_eq!(
                m.insert(k.to_string(), v.clone()),
                b.insert(k.to_string(), v)
            );
        }
        assert_eq!(m.remove("c"), b.remove("c"));
        assert_eq!(m.remove("zz"), b.remove("zz"));
        *m.entry("f".into()).or_insert(Value::Null) = Value::Bool(true);
        *b.entry("f".to_string()).or_insert(Value::Null) = Value::Bool(true);
        let pairs: Vec<_> = m.iter().collect();
        let expected: Vec<_> = b.iter().collect();
        assert_eq!(pairs, expected);
        assert_eq!(Map::from(b.clone()), m);
        // Collecting keeps the last value of a repeated key.
        let c: Map = vec![
            ("z".to_string(), Value::Null),
            ("a".to_string(), Value::Number(1.0)),
            ("a".to_string(), Value::Number(2.0)),
        ]
        .into_iter()
        .collect();
        assert_eq!(c.get("a"), Some(&Value::Number(2.0)));
        assert_eq!(c.keys().collect::<Vec<_>>(), ["a", "z"]);
    }
}
