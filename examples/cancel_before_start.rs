//! Mirrors asyncio's `Task.cancel()` on a task that has not started: the task is created on a
//! loop that is not running yet, cancelled, and then `run_until_complete` raises
//! `CancelledError`. The coroutine is thrown into before its first step, so its body never runs.
//!
//! ```python
//! async def body():
//!     print("body ran")  # never printed
//!
//! loop = asyncio.new_event_loop()
//! task = loop.create_task(body())
//! task.cancel()
//! try:
//!     loop.run_until_complete(task)
//! except asyncio.CancelledError:
//!     print("run_until_complete: CancelledError")
//! print("cancelled:", task.cancelled())
//! loop.close()
//! ```
//!
//! Output: `run_until_complete: CancelledError` then `cancelled: True`.

use aiosim::{EventLoop, RunError};

fn main() -> Result<(), RunError> {
    let event_loop = EventLoop::new();
    let task = event_loop.create_task(async {
        println!("body ran"); // never printed
        Ok(())
    });
    task.cancel();
    match event_loop.run_until_done(task) {
        Err(RunError::Raised(e)) if e.is_cancelled() => {
            println!("run_until_complete: CancelledError")
        }
        other => other?,
    }
    println!("cancelled: {}", python_bool(task.cancelled()));
    event_loop.close();
    Ok(())
}

/// Python's spelling of a `bool`.
fn python_bool(b: bool) -> &'static str {
    if b { "True" } else { "False" }
}
