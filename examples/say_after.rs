//! Mirrors the asyncio documentation's `say_after` examples ("Coroutines and Tasks"): awaiting
//! two coroutines one after the other takes 1 + 2 = 3 ticks; wrapping them in tasks first
//! runs them concurrently and takes 2. The virtual clock (`loop.time()`) stands in for
//! `time.strftime('%X')`; each `asyncio.run` starts a fresh loop at time 0.
//!
//! ```python
//! async def say_after(delay, what):
//!     await asyncio.sleep(delay)
//!     print(what)
//!
//! async def main():                       # sequential
//!     print(f"started at {time.strftime('%X')}")
//!     await say_after(1, 'hello')
//!     await say_after(2, 'world')
//!     print(f"finished at {time.strftime('%X')}")
//!
//! async def main():                       # concurrent
//!     task1 = asyncio.create_task(say_after(1, 'hello'))
//!     task2 = asyncio.create_task(say_after(2, 'world'))
//!     print(f"started at {time.strftime('%X')}")
//!     # Wait until both tasks are completed (should take around 2 seconds.)
//!     await task1
//!     await task2
//!     print(f"finished at {time.strftime('%X')}")
//! ```
//!
//! Output: `started at 0`, `hello`, `world`, `finished at 3`, then the same for the
//! concurrent version but `finished at 2`.

use aiosim::{Exception, RunError, create_task, run, sleep, time};

async fn say_after(delay: u64, what: &str) -> Result<(), Exception> {
    sleep(delay).await?;
    println!("{what}");
    Ok(())
}

async fn sequential() -> Result<(), Exception> {
    println!("started at {}", time());
    say_after(1, "hello").await?;
    say_after(2, "world").await?;
    println!("finished at {}", time());
    Ok(())
}

async fn concurrent() -> Result<(), Exception> {
    let task1 = create_task(say_after(1, "hello"));
    let task2 = create_task(say_after(2, "world"));
    println!("started at {}", time());
    // Wait until both tasks are completed (should take 2 ticks).
    task1.await?;
    task2.await?;
    println!("finished at {}", time());
    Ok(())
}

fn main() -> Result<(), RunError> {
    run(sequential())?;
    run(concurrent())
}
