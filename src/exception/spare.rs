//! Spare exception objects, so that a cancellation costs no allocation.
//!
//! Every cancelled await makes a new `CancelledError`, and the body that catches it usually
//! drops it at once: an allocation and a free per cancellation, more than the rest of the
//! cancel costs. Instead, an exception dropped as the last reference to its object empties the
//! object and keeps it here (up to [`MAX_SPARE`] per thread), and the next exception built
//! takes one back. A kept object is referenced from nowhere else, so reusing it cannot make
//! two live exceptions the same object.

use std::cell::RefCell;
use std::rc::Rc;

use super::ExcObject;

/// How many emptied objects a thread keeps.
const MAX_SPARE: usize = 64;

thread_local! {
    static SPARE: RefCell<Vec<Rc<ExcObject>>> = const { RefCell::new(Vec::new()) };
}

/// Keeps `object`, the only reference to an emptied object, for reuse (if there is room, and
/// unless the thread is exiting). Called while the last reference is being dropped: the
/// object is kept through a second reference, and the first one goes away after.
pub(super) fn keep(object: &Rc<ExcObject>) {
    let _ = SPARE.try_with(|spare| {
        if let Ok(mut spare) = spare.try_borrow_mut()
            && spare.len() < MAX_SPARE
        {
            spare.push(Rc::clone(object));
        }
    });
}

/// `object` in a kept allocation, or in a new one.
pub(super) fn object(object: ExcObject) -> Rc<ExcObject> {
    let kept = SPARE
        .try_with(|spare| spare.try_borrow_mut().ok().and_then(|mut s| s.pop()))
        .ok()
        .flatten();
    match kept {
        Some(mut rc) => {
            let slot = Rc::get_mut(&mut rc).expect("a kept object is referenced only here");
            *slot = object;
            rc
        }
        None => Rc::new(object),
    }
}
