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

use super::{ExcObject, ExcType};
use crate::core::set_without_drop;

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
    match take() {
        Some(mut kept) => {
            fill(emptied(&mut kept), object);
            kept
        }
        None => Rc::new(object),
    }
}

/// A `CancelledError` with the constructor argument `msg`, in a kept allocation or a new one.
/// A kept object already is an empty `CancelledError`, so only the message is written.
#[inline]
pub(super) fn cancelled(msg: Option<Rc<str>>) -> Rc<ExcObject> {
    match take() {
        Some(mut kept) => {
            set_without_drop(&mut emptied(&mut kept).msg, msg);
            kept
        }
        None => Rc::new(ExcObject {
            ty: ExcType::Cancelled,
            msg,
            members: Vec::new(),
            cause: None,
        }),
    }
}

/// A kept object, if the thread has one.
#[inline(always)]
fn take() -> Option<Rc<ExcObject>> {
    SPARE
        .try_with(|spare| spare.try_borrow_mut().ok().and_then(|mut s| s.pop()))
        .ok()
        .flatten()
}

/// The object inside a kept allocation, which [`keep`] received emptied: an empty
/// `CancelledError` that owns nothing but perhaps the capacity of its member list.
#[inline(always)]
fn emptied(kept: &mut Rc<ExcObject>) -> &mut ExcObject {
    let object = Rc::get_mut(kept).expect("a kept object is referenced only here");
    debug_assert!(
        object.ty == ExcType::Cancelled
            && object.msg.is_none()
            && object.members.is_empty()
            && object.cause.is_none(),
        "a kept object was emptied"
    );
    object
}

/// Writes `object` into the emptied `kept`: its fields are written over without being
/// dropped, and its member list is replaced only by one that has members.
#[inline(always)]
fn fill(kept: &mut ExcObject, object: ExcObject) {
    let ExcObject {
        ty,
        msg,
        members,
        cause,
    } = object;
    set_without_drop(&mut kept.ty, ty);
    set_without_drop(&mut kept.msg, msg);
    set_without_drop(&mut kept.cause, cause);
    if !members.is_empty() {
        kept.members = members;
    }
}
