//! The server's resident memory over the run, sampled from `/proc/<pid>/status`, and whether it
//! stayed flat after warm-up.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::server::rss_mb;

/// Gross growth only: allocator arenas, the SQLite page cache and connection buffers settle at
/// their own pace, so a modest rise is normal; a leak over a few minutes of this load shows as
/// a multiple. Both limits must be exceeded, so a small server doubling by a few MB passes.
const FAIL_RATIO: f64 = 2.0;
const FAIL_ABOVE_MB: f64 = 32.0;

pub struct Sampler {
    stop: oneshot::Sender<()>,
    task: JoinHandle<Vec<(f64, f64)>>,
}

impl Sampler {
    pub fn start(pid: u32, every: Duration) -> Sampler {
        let (stop, mut stopped) = oneshot::channel();
        let task = tokio::spawn(async move {
            let start = Instant::now();
            let mut samples = Vec::new();
            let mut tick = tokio::time::interval(every);
            loop {
                tokio::select! {
                    _ = tick.tick() => {
                        let mb = rss_mb(pid);
                        if mb.is_finite() {
                            samples.push((start.elapsed().as_secs_f64(), mb));
                        }
                    }
                    _ = &mut stopped => break,
                }
            }
            samples.push((start.elapsed().as_secs_f64(), rss_mb(pid)));
            samples.retain(|(_, mb)| mb.is_finite());
            samples
        });
        Sampler { stop, task }
    }

    pub async fn finish(self) -> Series {
        let _ = self.stop.send(());
        Series {
            samples: self.task.await.unwrap_or_default(),
        }
    }
}

pub struct Series {
    /// (seconds since the start, MB)
    pub samples: Vec<(f64, f64)>,
}

pub struct Verdict {
    pub warm_up_secs: f64,
    /// Median RSS in the fifth of the run right after warm-up.
    pub baseline_mb: f64,
    /// Mean RSS over the last third of the run.
    pub final_mb: f64,
    pub peak_mb: f64,
    /// Least-squares slope after warm-up.
    pub mb_per_min: f64,
    pub failed: bool,
}

impl Series {
    /// Warm-up is the first fifth of the run (at least 5 s): users are still arriving and
    /// every pool, cache and arena is filling.
    pub fn verdict(&self) -> Option<Verdict> {
        let end = self.samples.last()?.0;
        let warm_up_secs = (end * 0.2).max(5.0).min(end);
        let window: Vec<f64> = self
            .samples
            .iter()
            .filter(|(t, _)| *t >= warm_up_secs && *t <= warm_up_secs + end * 0.2)
            .map(|(_, mb)| *mb)
            .collect();
        let baseline_mb = median(window)?;
        let last: Vec<f64> = self
            .samples
            .iter()
            .filter(|(t, _)| *t >= end * 2.0 / 3.0)
            .map(|(_, mb)| *mb)
            .collect();
        let final_mb = last.iter().sum::<f64>() / last.len().max(1) as f64;
        let after: Vec<(f64, f64)> = self
            .samples
            .iter()
            .copied()
            .filter(|(t, _)| *t >= warm_up_secs)
            .collect();
        let peak_mb = self.samples.iter().map(|(_, mb)| *mb).fold(0.0, f64::max);
        Some(Verdict {
            warm_up_secs,
            baseline_mb,
            final_mb,
            peak_mb,
            mb_per_min: slope(&after) * 60.0,
            failed: final_mb > baseline_mb * FAIL_RATIO && final_mb - baseline_mb > FAIL_ABOVE_MB,
        })
    }

    /// `t:MB` pairs, ten to a line.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for (i, (t, mb)) in self.samples.iter().enumerate() {
            let sep = if i % 10 == 0 { "\n    " } else { "  " };
            let _ = write!(out, "{sep}{t:>4.0}s {mb:.1}");
        }
        out
    }
}

impl Verdict {
    pub fn sentence(&self) -> String {
        let growth = (self.final_mb / self.baseline_mb - 1.0) * 100.0;
        format!(
            "{:.1} MB after {:.0} s of warm-up, {:.1} MB over the last third ({growth:+.0} %), peak {:.1} MB, slope {:+.2} MB/min after warm-up: {}",
            self.baseline_mb,
            self.warm_up_secs,
            self.final_mb,
            self.peak_mb,
            self.mb_per_min,
            if self.failed {
                "GREW (more than 2x and 32 MB)"
            } else if growth.abs() < 10.0 {
                "flat"
            } else {
                "moved, within bounds"
            }
        )
    }
}

fn median(mut values: Vec<f64>) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    Some(values[values.len() / 2])
}

fn slope(points: &[(f64, f64)]) -> f64 {
    let n = points.len() as f64;
    if n < 2.0 {
        return 0.0;
    }
    let (mt, mm) = points
        .iter()
        .fold((0.0, 0.0), |(a, b), (t, m)| (a + t / n, b + m / n));
    let (num, den) = points.iter().fold((0.0, 0.0), |(num, den), (t, m)| {
        (num + (t - mt) * (m - mm), den + (t - mt) * (t - mt))
    });
    if den == 0.0 {
        0.0
    } else {
        num / den
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(f: impl Fn(f64) -> f64) -> Series {
        Series {
            samples: (0..=60)
                .map(|i| (i as f64 * 5.0, f(i as f64 * 5.0)))
                .collect(),
        }
    }

    #[test]
    fn a_plateau_after_warm_up_is_flat() {
        let v = series(|t| if t < 30.0 { 20.0 + t } else { 50.0 })
            .verdict()
            .unwrap();
        assert!(!v.failed);
        assert!((v.final_mb - 50.0).abs() < 1e-9);
        assert!(v.mb_per_min.abs() < 1e-9);
    }

    #[test]
    fn steady_growth_to_a_multiple_fails() {
        let v = series(|t| 40.0 + t).verdict().unwrap();
        assert!(v.failed, "{}", v.sentence());
        assert!(v.mb_per_min > 59.0);
    }

    #[test]
    fn doubling_a_small_footprint_by_a_few_megabytes_passes() {
        let v = series(|t| if t < 100.0 { 10.0 } else { 25.0 })
            .verdict()
            .unwrap();
        assert!(!v.failed);
    }
}
