//! Maps keyed by a task or future name, found by hashing and visited in name order.

use std::sync::{Arc, OnceLock};

use rustc_hash::FxHashMap;

/// Values keyed by a name: a lookup hashes the name (no string comparisons along a tree
/// path), and the values are visited in the order of their names, as a `BTreeMap` keyed by
/// the names would visit them.
#[derive(Debug)]
pub struct NameMap<V> {
    /// Every name with its value, in the order the names were first inserted.
    slots: Vec<(Arc<str>, V)>,
    /// The slot of each name.
    slot_of: FxHashMap<Arc<str>, usize>,
    /// The slots, sorted by name: sorted once when the map is first visited in order after
    /// a name was added, so that building a map of `n` names costs O(n log n).
    order: OnceLock<Vec<usize>>,
}

impl<V> Default for NameMap<V> {
    fn default() -> NameMap<V> {
        NameMap {
            slots: Vec::new(),
            slot_of: FxHashMap::default(),
            order: OnceLock::new(),
        }
    }
}

impl<V> NameMap<V> {
    /// The value of `name`.
    pub fn get(&self, name: &str) -> Option<&V> {
        self.slot_of.get(name).map(|&s| &self.slots[s].1)
    }

    /// The value of `name`, to change it.
    pub fn get_mut(&mut self, name: &str) -> Option<&mut V> {
        self.slot_of.get(name).map(|&s| &mut self.slots[s].1)
    }

    /// The value of `name`, made by `make` first if there is none. The name is cloned only
    /// when it is new.
    pub fn get_or_insert_with(&mut self, name: &Arc<str>, make: impl FnOnce() -> V) -> &mut V {
        let slot = match self.slot_of.get(&**name) {
            Some(&s) => s,
            None => self.insert_new(name.clone(), make()),
        };
        &mut self.slots[slot].1
    }

    /// Adds a name that has no value yet, and returns its slot.
    fn insert_new(&mut self, name: Arc<str>, value: V) -> usize {
        let slot = self.slots.len();
        self.order.take();
        self.slot_of.insert(name.clone(), slot);
        self.slots.push((name, value));
        slot
    }

    /// Every name with its value, in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&Arc<str>, &V)> {
        let order = self.order.get_or_init(|| {
            let mut order: Vec<usize> = (0..self.slots.len()).collect();
            order.sort_unstable_by(|&a, &b| self.slots[a].0.cmp(&self.slots[b].0));
            order
        });
        order.iter().map(|&s| {
            let (name, value) = &self.slots[s];
            (name, value)
        })
    }

    /// Every name, in order.
    pub fn keys(&self) -> impl Iterator<Item = &Arc<str>> {
        self.iter().map(|(name, _)| name)
    }

    /// Every value, in the order of the names.
    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.iter().map(|(_, value)| value)
    }

    /// Every value, to change it (in no particular order).
    pub fn values_mut_unordered(&mut self) -> impl Iterator<Item = &mut V> {
        self.slots.iter_mut().map(|(_, value)| value)
    }
}
