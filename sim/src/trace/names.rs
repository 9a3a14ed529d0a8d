//! Sorted sets of names, as the trace writes them in `wait` results and the `finish` line.

use std::sync::Arc;

/// A set of names kept sorted by code point, each name once.
///
/// The trace lists names this way in a `wait` result (`done` / `pending`) and in the
/// `finish` line (`tasks_pending` / `futures_pending`). Building the set sorts and
/// deduplicates, so the writer can emit the names in stored order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct NameSet(Vec<Arc<str>>);

impl NameSet {
    /// The empty set.
    pub fn new() -> Self {
        Self(Vec::new())
    }

    /// The names in code point order.
    pub fn as_slice(&self) -> &[Arc<str>] {
        &self.0
    }

    /// Iterates over the names in code point order.
    pub fn iter(&self) -> std::slice::Iter<'_, Arc<str>> {
        self.0.iter()
    }

    /// How many names the set holds.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the set holds no name.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `name` is in the set.
    pub fn contains(&self, name: &str) -> bool {
        self.0.binary_search_by(|n| (**n).cmp(name)).is_ok()
    }
}

impl From<Vec<Arc<str>>> for NameSet {
    /// Sorts by code point (byte order of UTF-8 is code point order) and drops repeats.
    fn from(mut names: Vec<Arc<str>>) -> Self {
        names.sort_unstable();
        names.dedup();
        Self(names)
    }
}

impl<S: Into<Arc<str>>> FromIterator<S> for NameSet {
    fn from_iter<I: IntoIterator<Item = S>>(iter: I) -> Self {
        Self::from(iter.into_iter().map(Into::into).collect::<Vec<_>>())
    }
}

impl<'a> IntoIterator for &'a NameSet {
    type Item = &'a Arc<str>;
    type IntoIter = std::slice::Iter<'a, Arc<str>>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}
