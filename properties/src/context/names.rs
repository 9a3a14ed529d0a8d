//! Maps keyed by a task or future name, found by hashing and visited in name order.

use std::sync::Arc;

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
    /// The slots, sorted by name.
    order: Vec<usize>,
}

impl<V> Default for NameMap<V> {
    fn default() -> NameMap<V> {
        NameMap {
            slots: Vec::new(),
            slot_of: FxHashMap::default(),
            order: Vec::new(),
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
        let rank = self.order.partition_point(|&s| *self.slots[s].0 < *name);
        self.order.insert(rank, slot);
        self.slot_of.insert(name.clone(), slot);
        self.slots.push((name, value));
        slot
    }

    /// Every name with its value, in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&Arc<str>, &V)> {
        self.order.iter().map(|&s| {
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
