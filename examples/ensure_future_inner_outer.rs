//! Mirrors the classic `asyncio.ensure_future` pattern: an outer coroutine schedules an inner
//! one as a task (for a coroutine, `ensure_future` is `create_task`), goes on until it awaits
//! the task, and gets its result. Each line carries the virtual time where Python would show
//! the wall clock.
//!
//! ```python
//! async def inner():
//!     print(f"{loop.time():.0f} inner: started")
//!     await asyncio.sleep(1)
//!     print(f"{loop.time():.0f} inner: done")
//!     return "inner result"
//!
//! async def outer():
//!     print(f"{loop.time():.0f} outer: scheduling inner")
//!     task = asyncio.ensure_future(inner())
//!     print(f"{loop.time():.0f} outer: awaiting inner")
//!     result = await task
//!     print(f"{loop.time():.0f} outer: got {result!r}")
//!
//! asyncio.run(outer())
//! ```
//!
//! Output:
//! ```text
//! 0 outer: scheduling inner
//! 0 outer: awaiting inner
//! 0 inner: started
//! 1 inner: done
//! 1 outer: got 'inner result'
//! ```

use aiosim::{Exception, RunError, create_task, run, sleep, time};

async fn inner() -> Result<&'static str, Exception> {
    println!("{} inner: started", time());
    sleep(1).await?;
    println!("{} inner: done", time());
    Ok("inner result")
}

async fn outer() -> Result<(), Exception> {
    println!("{} outer: scheduling inner", time());
    let task = create_task(inner());
    println!("{} outer: awaiting inner", time());
    let result = task.await?;
    println!("{} outer: got '{result}'", time());
    Ok(())
}

fn main() -> Result<(), RunError> {
    run(outer())
}
