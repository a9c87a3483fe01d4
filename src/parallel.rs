//! Blocking work on one thread per core, for items that are independent
//! and mostly system calls (the local store's reads; its walk shares its
//! own way, `store::walk`). Results always come back in the order of the
//! items, so output never depends on scheduling.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Threads to use: one per core, up to a few (the heaviest work is system
/// calls on one file system, where more threads only queue).
pub fn cores() -> usize {
    // asked once: on Linux the answer is read from cgroup files
    static CORES: OnceLock<usize> = OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get().min(8)))
}

/// Runs `work` on every item on up to `threads` threads (the caller's
/// included), each taking the next item when it is done with one, so that
/// a slow item never holds up a whole share. Results come back in the order
/// of the items.
pub fn on_threads<I, R>(items: &[I], threads: usize, work: impl Fn(&I) -> R + Sync) -> Vec<R>
where
    I: Sync,
    R: Send,
{
    let threads = threads.min(items.len());
    if threads <= 1 {
        return items.iter().map(work).collect();
    }
    let next = AtomicUsize::new(0);
    let worker = || {
        let mut mine = Vec::new();
        loop {
            let index = next.fetch_add(1, Ordering::Relaxed);
            let Some(item) = items.get(index) else {
                return mine;
            };
            mine.push((index, work(item)));
        }
    };
    let mut done: Vec<(usize, R)> = std::thread::scope(|scope| {
        // a thread that cannot be started leaves its items to the others
        let helpers: Vec<_> = (1..threads)
            .filter_map(|_| std::thread::Builder::new().spawn_scoped(scope, worker).ok())
            .collect();
        let mut done = worker();
        for helper in helpers {
            match helper.join() {
                Ok(theirs) => done.extend(theirs),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        done
    });
    done.sort_unstable_by_key(|(index, _)| *index);
    done.into_iter().map(|(_, result)| result).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_keep_the_order_of_the_items() {
        let items: Vec<u64> = (0..1000).collect();
        let squares = on_threads(&items, 4, |n| n * n);
        assert_eq!(squares, items.iter().map(|n| n * n).collect::<Vec<_>>());
        assert_eq!(on_threads(&items[..1], 4, |n| n + 1), vec![1]);
        assert!(on_threads(&[] as &[u64], 4, |n| *n).is_empty());
    }

    #[test]
    fn every_thread_takes_work() {
        let items: Vec<u64> = (0..64).collect();
        let seen = on_threads(&items, 2, |_| {
            std::thread::sleep(std::time::Duration::from_millis(1));
            std::thread::current().id()
        });
        let mut threads = seen.clone();
        threads.sort_by_key(|id| format!("{id:?}"));
        threads.dedup();
        assert_eq!(threads.len(), 2, "{seen:?}");
    }
}
