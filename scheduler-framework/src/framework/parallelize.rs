//! `Parallelizer`: runs per-node work on a fixed thread pool in chunks, as kube-scheduler's `parallelize`.

/// Below this much work (nodes × plugins) a phase runs on the calling thread: waking
/// pool threads costs more than it saves. `scheduler-perf` (5000 nodes, 500 of them
/// filtered and scored per pod, about 2500 units per phase) is faster on the calling
/// thread on 2 cores, where the binding side needs the other core.
pub const DEFAULT_MIN_PARALLEL_WORK: usize = 4096;

/// A thread pool for filtering and scoring nodes in parallel.
pub struct Parallelizer {
    pool: Option<rayon::ThreadPool>,
    threads: usize,
    min_parallel_work: usize,
}

/// Errors from creating the pool.
#[derive(Debug, thiserror::Error)]
#[error("building the scheduler thread pool: {0}")]
pub struct ParallelizerError(#[from] rayon::ThreadPoolBuildError);

impl Parallelizer {
    /// A pool of `threads` threads (1 runs everything on the calling thread).
    pub fn new(threads: usize) -> Result<Self, ParallelizerError> {
        let threads = threads.max(1);
        let pool = if threads > 1 {
            Some(
                rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .thread_name(|i| format!("scheduler-worker-{i}"))
                    .build()?,
            )
        } else {
            None
        };
        Ok(Parallelizer { pool, threads, min_parallel_work: DEFAULT_MIN_PARALLEL_WORK })
    }

    /// Runs on the calling thread only.
    pub fn sequential() -> Self {
        Parallelizer { pool: None, threads: 1, min_parallel_work: DEFAULT_MIN_PARALLEL_WORK }
    }

    /// The number of threads.
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Kube's chunk size: `sqrt(n)`, at most `n / threads + 1`, at least 1.
    pub fn chunk_size(&self, n: usize) -> usize {
        let s = (n as f64).sqrt() as usize;
        s.min(n / self.threads + 1).max(1)
    }

    /// Sets the least work (items × cost per item) run in parallel (0: always).
    pub fn with_min_parallel_work(mut self, work: usize) -> Self {
        self.min_parallel_work = work;
        self
    }

    fn parallel(&self, n: usize, work: usize) -> Option<&rayon::ThreadPool> {
        self.pool.as_ref().filter(|_| n > 1 && work >= self.min_parallel_work)
    }

    /// Calls `f(i)` for every `i` in `0..n`, in parallel.
    pub fn for_each<F: Fn(usize) + Sync + Send>(&self, n: usize, f: F) {
        self.for_each_work(n, n, f)
    }

    /// As [`for_each`](Self::for_each), parallel only when `work` reaches the threshold.
    pub fn for_each_work<F: Fn(usize) + Sync + Send>(&self, n: usize, work: usize, f: F) {
        use rayon::prelude::*;
        match self.parallel(n, work) {
            Some(pool) => {
                let chunk = self.chunk_size(n);
                pool.install(|| (0..n).into_par_iter().with_min_len(chunk).for_each(f));
            }
            _ => (0..n).for_each(f),
        }
    }

    /// Maps `0..n` through `f` in parallel, keeping the order.
    pub fn map<T: Send, F: Fn(usize) -> T + Sync + Send>(&self, n: usize, f: F) -> Vec<T> {
        self.map_work(n, n, f)
    }

    /// As [`map`](Self::map), parallel only when `work` reaches the threshold.
    pub fn map_work<T: Send, F: Fn(usize) -> T + Sync + Send>(
        &self,
        n: usize,
        work: usize,
        f: F,
    ) -> Vec<T> {
        use rayon::prelude::*;
        match self.parallel(n, work) {
            Some(pool) => {
                let chunk = self.chunk_size(n);
                pool.install(|| (0..n).into_par_iter().with_min_len(chunk).map(f).collect())
            }
            _ => (0..n).map(f).collect(),
        }
    }
}

impl std::fmt::Debug for Parallelizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Parallelizer").field("threads", &self.threads).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn visits_every_index_once() {
        for threads in [1, 3] {
            let p = Parallelizer::new(threads).expect("pool").with_min_parallel_work(0);
            let sum = AtomicUsize::new(0);
            p.for_each(100, |i| {
                sum.fetch_add(i, Ordering::Relaxed);
            });
            assert_eq!(sum.load(Ordering::Relaxed), (0..100).sum::<usize>());
            assert_eq!(p.map(5, |i| i * 2), vec![0, 2, 4, 6, 8]);
        }
        assert_eq!(Parallelizer::new(2).expect("pool").chunk_size(10_000), 100);
    }
}
