//! The ingest progress bar: bytes read and rows stored per second on a
//! terminal; nothing at all when stderr is a pipe or a file.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use borderscope_ingest::Progress;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

pub struct Bar {
    bar: ProgressBar,
    rows: AtomicU64,
    started: Instant,
}

impl Bar {
    pub fn new(quiet: bool) -> Self {
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
        if quiet || !std::io::stderr().is_terminal() {
            bar.set_draw_target(ProgressDrawTarget::hidden());
        }
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} ({bytes_per_sec}) {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        Bar {
            bar,
            rows: AtomicU64::new(0),
            started: Instant::now(),
        }
    }
}

impl Progress for Bar {
    fn start(&self, total_bytes: u64) {
        self.bar.set_length(total_bytes);
    }

    fn bytes(&self, n: u64) {
        self.bar.inc(n);
    }

    fn rows(&self, n: u64) {
        let rows = self.rows.fetch_add(n, Ordering::Relaxed) + n;
        let secs = self.started.elapsed().as_secs_f64().max(1e-3);
        self.bar
            .set_message(format!("{rows} rows, {:.0} rows/s", rows as f64 / secs));
    }

    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
