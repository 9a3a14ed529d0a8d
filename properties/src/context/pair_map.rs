//! Tables keyed by a (task, path) pair of names, looked up from two `&str`.

use std::sync::Arc;

use rustc_hash::FxHashMap;

/// Values keyed by a (task, path) pair of names, found from two `&str` without allocating or
/// touching a reference count. One table for all pairs, so that a run's maps grow once rather
/// than once per task.
#[derive(Debug)]
pub struct PairMap<V> {
    map: FxHashMap<(Arc<str>, Arc<str>), V>,
}

/// A (task, path) pair of names, stored or borrowed: what [`PairMap`] looks up by. A stored
/// pair lends itself as one, and both hash and compare as their two names.
trait NamePair {
    fn names(&self) -> (&str, &str);
}

impl NamePair for (Arc<str>, Arc<str>) {
    fn names(&self) -> (&str, &str) {
        (&self.0, &self.1)
    }
}

impl NamePair for (&str, &str) {
    fn names(&self) -> (&str, &str) {
        (self.0, self.1)
    }
}

impl<'a> std::borrow::Borrow<dyn NamePair + 'a> for (Arc<str>, Arc<str>) {
    fn borrow(&self) -> &(dyn NamePair + 'a) {
        self
    }
}

/// Hashes as the stored tuple does (each name in turn), which the map requires.
impl std::hash::Hash for dyn NamePair + '_ {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        let (task, at) = self.names();
        task.hash(state);
        at.hash(state);
    }
}

impl PartialEq for dyn NamePair + '_ {
    fn eq(&self, other: &Self) -> bool {
        self.names() == other.names()
    }
}

impl Eq for dyn NamePair + '_ {}

impl<V> Default for PairMap<V> {
    fn default() -> PairMap<V> {
        PairMap::with_capacity(0)
    }
}

impl<V> PairMap<V> {
    /// An empty map with room for `n` pairs (a run's maps are sized from what the run did,
    /// so that they do not grow step by step).
    pub fn with_capacity(n: usize) -> PairMap<V> {
        PairMap {
            map: FxHashMap::with_capacity_and_hasher(n, Default::default()),
        }
    }

    /// The value of (`task`, `at`).
    pub fn get(&self, task: &str, at: &str) -> Option<&V> {
        self.map.get(&(task, at) as &dyn NamePair)
    }

    /// Sets the value of (`task`, `at`), returning the one it replaces.
    pub fn insert(&mut self, task: Arc<str>, at: Arc<str>, value: V) -> Option<V> {
        self.map.insert((task, at), value)
    }

    /// The value of (`task`, `at`), made from `V::default()` first if there is none. The
    /// names are cloned only when they are new.
    pub fn get_or_default(&mut self, task: &Arc<str>, at: &Arc<str>) -> &mut V
    where
        V: Default,
    {
        let key = (&**task, &**at);
        if !self.map.contains_key(&key as &dyn NamePair) {
            self.map.insert((task.clone(), at.clone()), V::default());
        }
        self.map
            .get_mut(&key as &dyn NamePair)
            .expect("inserted above")
    }

    /// Removes the value of (`task`, `at`) and returns it.
    pub fn remove(&mut self, task: &str, at: &str) -> Option<V> {
        self.map.remove(&(task, at) as &dyn NamePair)
    }
}
