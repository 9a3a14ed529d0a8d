//! Mirrors the asyncio documentation's "Chain coroutines" example: `print_sum` awaits the
//! coroutine `compute` inline (no task is created for it), and `compute` sleeps for one tick.
//!
//! ```python
//! async def compute(x, y):
//!     print("Compute %s + %s ..." % (x, y))
//!     await asyncio.sleep(1.0)
//!     return x + y
//!
//! async def print_sum(x, y):
//!     result = await compute(x, y)
//!     print("%s + %s = %s" % (x, y, result))
//!
//! loop = asyncio.get_event_loop()
//! loop.run_until_complete(print_sum(1, 2))
//! loop.close()
//! ```
//!
//! Output: `Compute 1 + 2 ...` then, one virtual tick later, `1 + 2 = 3`.

use aiosim::{EventLoop, Exception, RunError, sleep};

async fn compute(x: i64, y: i64) -> Result<i64, Exception> {
    println!("Compute {x} + {y} ...");
    sleep(1).await?;
    Ok(x + y)
}

async fn print_sum(x: i64, y: i64) -> Result<(), Exception> {
    let result = compute(x, y).await?;
    println!("{x} + {y} = {result}");
    Ok(())
}

fn main() -> Result<(), RunError> {
    let event_loop = EventLoop::new();
    event_loop.run_until_complete(print_sum(1, 2))?;
    event_loop.close();
    Ok(())
}
