//! Store requests side by side: at most N futures at a time on the runtime.
//! (The local mirror's blocking work goes to [`crate::parallel`] instead.)

use std::io::{IsTerminal, Write};
use std::sync::Arc;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// Runs `work` on every item, at most `concurrency` at a time; results come
/// back in no particular order. `progress` names what is counted on a TTY.
pub async fn bounded<I, T, F, Fut>(
    items: Vec<I>,
    concurrency: usize,
    progress: &str,
    work: F,
) -> Vec<T>
where
    I: Send + 'static,
    T: Send + 'static,
    F: Fn(I) -> Fut,
    Fut: std::future::Future<Output = T> + Send + 'static,
{
    let total = items.len();
    let show = total >= 20 && std::io::stderr().is_terminal();
    let limit = Arc::new(Semaphore::new(concurrency.max(1)));
    let mut tasks = JoinSet::new();
    for item in items {
        let limit = Arc::clone(&limit);
        let job = work(item);
        tasks.spawn(async move {
            let _permit = limit.acquire().await;
            job.await
        });
    }
    let mut done = Vec::with_capacity(total);
    while let Some(joined) = tasks.join_next().await {
        if let Ok(result) = joined {
            done.push(result);
        }
        if show {
            let _ = write!(std::io::stderr(), "\r{progress}: {}/{total}", done.len());
        }
    }
    if show {
        let _ = writeln!(std::io::stderr());
    }
    done
}
