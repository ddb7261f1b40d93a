//! Where `anomaly watch` writes its ECS documents: JSON lines to standard output or a file, or
//! each document POSTed to an HTTP endpoint by a background thread, so a slow collector never
//! holds the capture back (a full queue drops documents, counted and reported).

use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, SyncSender, TrySendError};
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::Context;
use serde_json::Value;

/// Documents waiting for the HTTP poster, at most.
const POST_QUEUE: usize = 4_096;

/// Counts of what reached the output.
#[derive(Clone, Copy, Debug, Default)]
pub struct OutputCounts {
    pub written: u64,
    /// Documents the HTTP endpoint did not take (queue full, refused or unreachable).
    pub lost: u64,
}

/// An ECS JSON-lines output.
pub enum EcsOutput {
    Lines(Box<dyn Write>, u64),
    Post(Poster),
}

impl EcsOutput {
    /// `post` wins over `out`; neither is standard output.
    pub fn open(out: Option<&Path>, post: Option<&str>) -> anyhow::Result<Self> {
        if let Some(url) = post {
            return Ok(EcsOutput::Post(Poster::start(url)?));
        }
        Ok(EcsOutput::Lines(crate::output::open(out)?, 0))
    }

    /// Writes one document (a line, or a POST queued).
    pub fn send(&mut self, document: &Value) -> anyhow::Result<()> {
        match self {
            EcsOutput::Lines(out, written) => {
                serde_json::to_writer(&mut *out, document)?;
                out.write_all(b"\n")?;
                *written += 1;
            }
            EcsOutput::Post(poster) => poster.send(document),
        }
        Ok(())
    }

    /// Makes what was written visible to a reader (a live tail).
    pub fn flush(&mut self) -> anyhow::Result<()> {
        if let EcsOutput::Lines(out, _) = self {
            out.flush()?;
        }
        Ok(())
    }

    /// Flushes, waits for queued POSTs, and returns the counts.
    pub fn finish(self) -> anyhow::Result<OutputCounts> {
        match self {
            EcsOutput::Lines(mut out, written) => {
                out.flush()?;
                Ok(OutputCounts { written, lost: 0 })
            }
            EcsOutput::Post(poster) => Ok(poster.finish()),
        }
    }
}

/// POSTs each document as `application/json` from its own thread.
pub struct Poster {
    queue: Option<SyncSender<String>>,
    worker: Option<JoinHandle<()>>,
    posted: Arc<AtomicU64>,
    lost: Arc<AtomicU64>,
}

impl Poster {
    fn start(url: &str) -> anyhow::Result<Self> {
        anyhow::ensure!(
            url.starts_with("http://") || url.starts_with("https://"),
            "--post {url}: expected an http:// or https:// URL"
        );
        let (queue, incoming) = mpsc::sync_channel::<String>(POST_QUEUE);
        let posted = Arc::new(AtomicU64::new(0));
        let lost = Arc::new(AtomicU64::new(0));
        let (worker_posted, worker_lost) = (posted.clone(), lost.clone());
        let url = url.to_owned();
        let worker = std::thread::Builder::new()
            .name("ecs-post".into())
            .spawn(move || {
                let agent: ureq::Agent = ureq::Agent::config_builder()
                    .timeout_global(Some(Duration::from_secs(10)))
                    .build()
                    .into();
                let mut warned = false;
                for body in incoming {
                    let sent = agent
                        .post(&url)
                        .header("Content-Type", "application/json")
                        .send(body.as_str());
                    match sent {
                        Ok(_) => worker_posted.fetch_add(1, Ordering::Relaxed),
                        Err(error) => {
                            if !warned {
                                eprintln!("posting to {url} failed: {error} (counting the rest)");
                                warned = true;
                            }
                            worker_lost.fetch_add(1, Ordering::Relaxed)
                        }
                    };
                }
            })
            .context("starting the HTTP poster")?;
        Ok(Self {
            queue: Some(queue),
            worker: Some(worker),
            posted,
            lost,
        })
    }

    fn send(&self, document: &Value) {
        let Some(queue) = &self.queue else { return };
        match queue.try_send(document.to_string()) {
            Ok(()) => {}
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                self.lost.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    fn finish(mut self) -> OutputCounts {
        self.queue = None;
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
        OutputCounts {
            written: self.posted.load(Ordering::Relaxed),
            lost: self.lost.load(Ordering::Relaxed),
        }
    }
}
