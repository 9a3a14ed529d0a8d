//! Task bodies' allocations, kept for the next task with a body of the same type.
//!
//! A task's body is a pinned box (`Body`): it cannot move once polled. Boxing every new body
//! and freeing it when its task finishes costs an allocator round trip per task, most of it in
//! the allocator's slow paths once more than a handful of same-sized blocks are in flight (a
//! fan-out of a hundred tasks). The box holds an `Option` of the body's future instead: when
//! the task finishes, the future is dropped in place (the box holds `None`, a "shell") and
//! the shell goes to a shelf for its future type; the next task with a body of that type moves
//! its future into a shell from the shelf. Nothing moves out of a pinned box, so all of it is
//! safe code.
//!
//! The pool lives with the thread's loop tables and outlasts each loop, as they do. It holds
//! at most [`MAX_SHELLS`] shells per type and [`MAX_SHELVES`] types; shells beyond that are
//! freed.

use std::any::TypeId;
use std::future::Future as StdFuture;

use crate::core::Body;
use crate::exception::Exception;

/// The most shells kept per body type.
pub(crate) const MAX_SHELLS: usize = 4096;

/// The most body types kept.
pub(crate) const MAX_SHELVES: usize = 64;

/// Empty body boxes by type of future.
#[derive(Default)]
pub(crate) struct BodyPool {
    shelves: Vec<Shelf>,
}

/// The shells for futures of one type.
struct Shelf {
    ty: TypeId,
    shells: Vec<Body>,
}

impl BodyPool {
    /// An empty pool (usable in constant initialisers).
    pub(crate) const fn new() -> BodyPool {
        BodyPool {
            shelves: Vec::new(),
        }
    }

    /// A body holding the future taken out of `fresh` (which must hold one): a shell from the
    /// pool when there is one of its type, a new box otherwise.
    pub(crate) fn body<T, F>(&mut self, fresh: &mut Option<F>) -> Body
    where
        T: 'static,
        F: StdFuture<Output = Result<T, Exception>> + 'static,
    {
        debug_assert!(fresh.is_some(), "a body is made from a future");
        let ty = TypeId::of::<F>();
        let shell = self
            .shelves
            .iter_mut()
            .find(|s| s.ty == ty)
            .and_then(|s| s.shells.pop());
        if let Some(mut shell) = shell {
            shell.as_mut().refill(fresh);
            if fresh.is_none() {
                return shell;
            }
        }
        Box::pin(fresh.take())
    }

    /// Keeps `body`, whose future was dropped ([`crate::core::ErasedBody::empty`]), for a
    /// later task.
    pub(crate) fn give(&mut self, body: Body) {
        debug_assert!(body.is_empty(), "only an emptied body is kept");
        let ty = body.future_type();
        let at = match self.shelves.iter().position(|s| s.ty == ty) {
            Some(at) => at,
            None if self.shelves.len() < MAX_SHELVES => {
                self.shelves.push(Shelf {
                    ty,
                    shells: Vec::new(),
                });
                self.shelves.len() - 1
            }
            None => return,
        };
        let shells = &mut self.shelves[at].shells;
        if shells.len() < MAX_SHELLS {
            shells.push(body);
        }
    }

    /// How many shells the pool holds.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.shelves.iter().map(|s| s.shells.len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::ErasedBody;

    async fn unit() -> Result<(), Exception> {
        Ok(())
    }

    async fn number(n: u32) -> Result<u32, Exception> {
        Ok(n)
    }

    fn address(body: &Body) -> *const () {
        std::ptr::from_ref::<dyn ErasedBody>(&**body).cast()
    }

    /// A shell given back is the box the next body of its type gets; another type gets a
    /// new box.
    #[test]
    fn a_body_of_the_same_type_reuses_the_shell() {
        let mut pool = BodyPool::new();
        let mut body = pool.body(&mut Some(number(1)));
        let first = address(&body);
        body.as_mut().empty();
        pool.give(body);
        assert_eq!(pool.len(), 1);
        let other = pool.body(&mut Some(unit()));
        assert_ne!(address(&other), first);
        assert_eq!(pool.len(), 1);
        let again = pool.body(&mut Some(number(2)));
        assert_eq!(address(&again), first);
        assert!(!again.is_empty());
        assert_eq!(pool.len(), 0);
    }

    /// Emptying a body drops its future at once (its captures' destructors run).
    #[test]
    fn emptying_drops_the_future() {
        let witness = std::rc::Rc::new(());
        let held = witness.clone();
        let mut pool = BodyPool::new();
        let mut body = pool.body(&mut Some(async move {
            let _held = held;
            Ok::<(), Exception>(())
        }));
        assert_eq!(std::rc::Rc::strong_count(&witness), 2);
        body.as_mut().empty();
        assert_eq!(std::rc::Rc::strong_count(&witness), 1);
        assert!(body.is_empty());
    }

    /// The pool keeps at most `MAX_SHELLS` shells of a type.
    #[test]
    fn a_shelf_is_bounded() {
        let mut pool = BodyPool::new();
        let bodies: Vec<Body> = (0..MAX_SHELLS + 5)
            .map(|n| pool.body(&mut Some(number(n as u32))))
            .collect();
        for mut body in bodies {
            body.as_mut().empty();
            pool.give(body);
        }
        assert_eq!(pool.len(), MAX_SHELLS);
    }
}
