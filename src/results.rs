//! Where finished futures keep their results: one column per result type, reused by the next
//! loop of the thread.
//!
//! A future's result has the type of its handle (`Future<T>`, `Task<T>`), erased in the
//! arena. Boxing each result would cost an allocation and a free per task; instead a result
//! is pushed onto the column of its type and the future's slot records where ([`Stored`]).
//! Columns are cleared, not freed, when the loop goes away, so after the first execution a
//! result costs no allocation at all.

use std::any::{Any, TypeId};

/// Where one result lives: its column and its row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Stored {
    column: u32,
    row: u32,
}

/// A column of results of one type. A row is `None` once its value has been discarded. Seen
/// as `Any` (a supertrait upcast, no call), it gives back its concrete `Vec<Option<T>>`.
trait Column: Any {
    /// Drops every value, keeping the capacity.
    fn clear(&mut self);
    /// Drops the value of one row now.
    fn discard(&mut self, row: usize);
}

impl<T: 'static> Column for Vec<Option<T>> {
    fn clear(&mut self) {
        Vec::clear(self);
    }

    fn discard(&mut self, row: usize) {
        self[row] = None;
    }
}

/// The results of one loop, by type.
#[derive(Default)]
pub(crate) struct Results {
    columns: Vec<(TypeId, Box<dyn Column>)>,
}

impl Results {
    /// An empty store (usable in a `const` context).
    pub(crate) const fn new() -> Results {
        Results {
            columns: Vec::new(),
        }
    }

    /// Stores `value` and says where.
    pub(crate) fn put<T: 'static>(&mut self, value: T) -> Stored {
        let id = TypeId::of::<T>();
        let column = match self.columns.iter().position(|(t, _)| *t == id) {
            Some(i) => i,
            None => {
                self.columns
                    .push((id, Box::new(Vec::<Option<T>>::new()) as Box<dyn Column>));
                self.columns.len() - 1
            }
        };
        let rows = self.rows_mut::<T>(column);
        rows.push(Some(value));
        Stored {
            column: column as u32,
            row: (rows.len() - 1) as u32,
        }
    }

    /// The rows of column `column`, if it holds values of type `T`.
    fn rows<T: 'static>(&self, column: u32) -> Option<&[Option<T>]> {
        let (_, column) = self.columns.get(column as usize)?;
        let column: &dyn Any = &**column;
        column.downcast_ref::<Vec<Option<T>>>().map(Vec::as_slice)
    }

    /// Drops the value stored at `at` now (a result that arrived too late to be kept).
    pub(crate) fn discard(&mut self, at: Stored) {
        self.columns[at.column as usize].1.discard(at.row as usize);
    }

    /// Drops every stored value, keeping every column's capacity.
    pub(crate) fn clear(&mut self) {
        for (_, column) in &mut self.columns {
            column.clear();
        }
    }

    fn rows_mut<T: 'static>(&mut self, column: usize) -> &mut Vec<Option<T>> {
        let column: &mut dyn Any = &mut *self.columns[column].1;
        column
            .downcast_mut::<Vec<Option<T>>>()
            .expect("a column holds one type")
    }
}

/// Reads values of type `T` one after another, finding their column's type once rather than
/// once per value (a `gather` reads all its children's results at the end).
pub(crate) struct Reader<'a, T> {
    results: &'a Results,
    /// The column read last, and its rows.
    last: Option<(u32, &'a [Option<T>])>,
}

impl<'a, T: 'static> Reader<'a, T> {
    /// A reader of `results`.
    pub(crate) fn new(results: &'a Results) -> Reader<'a, T> {
        Reader {
            results,
            last: None,
        }
    }

    /// The value stored at `at`, if it has type `T` and was not discarded.
    pub(crate) fn get(&mut self, at: Stored) -> Option<&'a T> {
        let rows = match self.last {
            Some((column, rows)) if column == at.column => rows,
            _ => {
                let rows = self.results.rows::<T>(at.column)?;
                self.last = Some((at.column, rows));
                rows
            }
        };
        rows.get(at.row as usize)?.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_of_several_types_come_back_from_their_own_columns() {
        let mut r = Results::new();
        let a = r.put(7u64);
        let b = r.put(String::from("x"));
        let c = r.put(9u64);
        assert_eq!(Reader::<u64>::new(&r).get(a), Some(&7));
        assert_eq!(
            Reader::<String>::new(&r).get(b).map(String::as_str),
            Some("x")
        );
        assert_eq!(Reader::<u64>::new(&r).get(c), Some(&9));
        assert_eq!(
            Reader::<String>::new(&r).get(a),
            None,
            "a row read with another type"
        );
    }

    #[test]
    fn a_reader_reads_across_columns_and_refuses_another_type() {
        let mut r = Results::new();
        let a = r.put(1u32);
        let b = r.put(String::from("y"));
        let c = r.put(3u32);
        let mut numbers = Reader::<u32>::new(&r);
        assert_eq!(numbers.get(a), Some(&1));
        assert_eq!(numbers.get(b), None, "a row of another type");
        assert_eq!(numbers.get(c), Some(&3));
        let mut strings = Reader::<String>::new(&r);
        assert_eq!(strings.get(b).map(String::as_str), Some("y"));
        assert_eq!(strings.get(c), None);
    }

    #[test]
    fn a_discarded_value_is_dropped_at_once_and_reads_as_absent() {
        let mut r = Results::new();
        let shared = std::rc::Rc::new(());
        let at = r.put(shared.clone());
        assert_eq!(std::rc::Rc::strong_count(&shared), 2);
        r.discard(at);
        assert_eq!(std::rc::Rc::strong_count(&shared), 1);
        assert!(Reader::<std::rc::Rc<()>>::new(&r).get(at).is_none());
    }

    #[test]
    fn clearing_drops_every_value() {
        let mut r = Results::new();
        let shared = std::rc::Rc::new(());
        r.put(shared.clone());
        r.put(shared.clone());
        r.clear();
        assert_eq!(std::rc::Rc::strong_count(&shared), 1);
    }
}
