//! Mirrors the asyncio documentation's first Task example ("Coroutines and Tasks",
//! *Awaitables: Tasks*), printing what the awaited task returns:
//!
//! ```python
//! async def nested():
//!     return 42
//!
//! async def main():
//!     # Schedule nested() to run soon concurrently with main().
//!     task = asyncio.create_task(nested())
//!     # "task" can now be used to cancel nested(), or can simply be awaited:
//!     print(await task)
//!
//! asyncio.run(main())
//! ```
//!
//! Output: `42`.

use aiosim::{Exception, RunError, create_task, run};

async fn nested() -> Result<u32, Exception> {
    Ok(42)
}

fn main() -> Result<(), RunError> {
    run(async {
        // Schedule nested() to run soon concurrently with main().
        let task = create_task(nested());
        // `task` can now be used to cancel nested(), or can simply be awaited:
        println!("{}", task.await?);
        Ok(())
    })
}
