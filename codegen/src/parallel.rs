//! One helper: map a slice on every core, keeping the order.
//!
//! The generator's work splits into independent pieces (a file to parse, a module to
//! format), so plain scoped threads taking the next piece from a shared counter are enough;
//! no thread pool and no dependency.

use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicUsize, Ordering};

/// How many threads to use for `jobs` pieces of work: one per core, never more than there
/// are pieces, at least one.
pub fn threads_for(jobs: usize) -> usize {
    std::thread::available_parallelism()
        .map_or(1, NonZeroUsize::get)
        .min(jobs)
        .max(1)
}

/// A worker thread panicked (a bug in the generator, or in a dependency).
#[derive(Debug, PartialEq, Eq)]
pub struct Panicked;

/// `f` applied to each item, in item order, by `threads` threads. Each thread takes the next
/// item as it finishes one, so one large item does not hold the others back. With one thread
/// (or one item) no thread is started.
pub fn map<T, R, F>(items: &[T], threads: usize, f: F) -> Result<Vec<R>, Panicked>
where
    T: Sync,
    R: Send,
    F: Fn(&T) -> R + Sync,
{
    if threads <= 1 || items.len() <= 1 {
        return Ok(items.iter().map(f).collect());
    }
    let next = AtomicUsize::new(0);
    let worker = || {
        let mut done: Vec<(usize, R)> = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(item) = items.get(i) else {
                return done;
            };
            done.push((i, f(item)));
        }
    };
    let batches: Vec<std::thread::Result<Vec<(usize, R)>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads).map(|_| scope.spawn(worker)).collect();
        handles.into_iter().map(|h| h.join()).collect()
    });
    let mut slots: Vec<Option<R>> = std::iter::repeat_with(|| None).take(items.len()).collect();
    for batch in batches {
        for (i, r) in batch.map_err(|_| Panicked)? {
            if let Some(slot) = slots.get_mut(i) {
                *slot = Some(r);
            }
        }
    }
    // Every index below `items.len()` was taken by exactly one thread, which filled it.
    slots.into_iter().map(|r| r.ok_or(Panicked)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_order_whatever_the_thread_count() {
        let items: Vec<u32> = (0..100).collect();
        let expected: Vec<u64> = items.iter().map(|&i| u64::from(i) * 3).collect();
        for threads in [0, 1, 2, 3, 7, 200] {
            assert_eq!(
                map(&items, threads, |&i| u64::from(i) * 3),
                Ok(expected.clone()),
                "{threads} threads"
            );
        }
        assert_eq!(map(&[] as &[u32], 4, |&i| i), Ok(Vec::new()));
    }

    #[test]
    fn a_panicking_worker_is_an_error_not_a_panic() {
        let items: Vec<u32> = (0..10).collect();
        let result = map(&items, 2, |&i| {
            assert!(i != 7, "item 7");
            i
        });
        assert_eq!(result, Err(Panicked));
    }

    #[test]
    fn thread_count_is_bounded_by_the_work() {
        assert_eq!(threads_for(0), 1);
        assert_eq!(threads_for(1), 1);
        assert!(threads_for(1000) >= 1);
    }
}
