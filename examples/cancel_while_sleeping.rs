//! Mirrors the asyncio documentation's `Task.cancel()` example: a task sleeping for an hour is
//! cancelled after one tick; it catches `CancelledError` at its `sleep`, prints, cleans up in
//! its `finally`, and re-raises, so `main` sees it cancelled.
//!
//! ```python
//! async def cancel_me():
//!     print('cancel_me(): before sleep')
//!     try:
//!         # Wait for 1 hour
//!         await asyncio.sleep(3600)
//!     except asyncio.CancelledError:
//!         print('cancel_me(): cancel sleep')
//!         raise
//!     finally:
//!         print('cancel_me(): after sleep')
//!
//! async def main():
//!     # Create a "cancel_me" Task
//!     task = asyncio.create_task(cancel_me())
//!     # Wait for 1 second
//!     await asyncio.sleep(1)
//!     task.cancel()
//!     try:
//!         await task
//!     except asyncio.CancelledError:
//!         print("main(): cancel_me is cancelled now")
//!
//! asyncio.run(main())
//! ```
//!
//! Output (the documentation's "Expected output"):
//! ```text
//! cancel_me(): before sleep
//! cancel_me(): cancel sleep
//! cancel_me(): after sleep
//! main(): cancel_me is cancelled now
//! ```

use aiosim::{Exception, RunError, create_task, run, sleep};

async fn cancel_me() -> Result<(), Exception> {
    println!("cancel_me(): before sleep");
    // Wait for 1 hour.
    let slept = sleep(3600).await;
    if let Err(e) = &slept
        && e.is_cancelled()
    {
        println!("cancel_me(): cancel sleep");
    }
    println!("cancel_me(): after sleep"); // the `finally` clause
    slept // re-raises the CancelledError
}

fn main() -> Result<(), RunError> {
    run(async {
        // Create a "cancel_me" Task.
        let task = create_task(cancel_me());
        // Wait for 1 tick.
        sleep(1).await?;
        task.cancel();
        match task.await {
            Err(e) if e.is_cancelled() => println!("main(): cancel_me is cancelled now"),
            other => other?,
        }
        Ok(())
    })
}
