//! Narrating incidents with a language model, off the capture path.
//!
//! A capture must never wait for a model: [`Narrator::offer`] hands an incident to one
//! background thread and returns at once. One incident waits at most; one offered while
//! another waits, or sooner than the minimum interval after the last narration began, is
//! counted as skipped and keeps its grounded report only.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TryRecvError, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use llm_explainer::{
    Checks, Explainer, GenerationSettings, Language, Report, explanation_messages,
};
use serde_json::Value;

use crate::{Error, IncidentEvent, Result, ecs};

/// A narration written, checked and ready to emit.
#[derive(Clone, Debug, PartialEq)]
pub struct Narration {
    /// The incident's id.
    pub incident: String,
    /// The text returned: the model's if it passed every check, else the report's summary.
    pub text: String,
    /// `model` or `report`.
    pub source: &'static str,
    /// The checks the model's text failed (empty when it is returned).
    pub failed_checks: Vec<String>,
    /// The ECS document carrying it.
    pub document: Value,
    /// Time the model took.
    pub elapsed: Duration,
}

/// Counts of the narrator's work.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NarrationCounts {
    /// Incidents narrated (model text or report fallback).
    pub narrated: u64,
    /// Incidents not narrated: the queue was full or the rate limit applied.
    pub skipped: u64,
    /// Narrations that failed (the model errored; the incident keeps its report).
    pub failed: u64,
}

#[derive(Debug, Default)]
struct Counters {
    narrated: AtomicU64,
    skipped: AtomicU64,
    failed: AtomicU64,
}

/// A rate-limited background narrator of incidents.
pub struct Narrator {
    queue: Option<SyncSender<IncidentEvent>>,
    done: Receiver<Narration>,
    counters: Arc<Counters>,
    min_interval: Duration,
    last_accepted: Mutex<Option<Instant>>,
    worker: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Narrator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Narrator")
            .field("min_interval", &self.min_interval)
            .field("counts", &self.counts())
            .finish_non_exhaustive()
    }
}

impl Narrator {
    /// Starts the narrating thread over `explainer`, at most one narration begun per
    /// `min_interval`.
    pub fn start(
        explainer: Arc<dyn Explainer>,
        settings: GenerationSettings,
        language: Language,
        min_interval: Duration,
    ) -> Result<Self> {
        let (queue, incoming) = mpsc::sync_channel::<IncidentEvent>(1);
        let (finished, done) = mpsc::channel();
        let counters = Arc::new(Counters::default());
        let worker_counters = Arc::clone(&counters);
        let worker = std::thread::Builder::new()
            .name("narrator".into())
            .spawn(move || {
                for event in incoming {
                    match narrate(explainer.as_ref(), &settings, language, &event) {
                        Ok(narration) => {
                            worker_counters.narrated.fetch_add(1, Ordering::Relaxed);
                            if finished.send(narration).is_err() {
                                return;
                            }
                        }
                        Err(error) => {
                            worker_counters.failed.fetch_add(1, Ordering::Relaxed);
                            tracing::warn!(%error, "narration failed");
                        }
                    }
                }
            })
            .map_err(Error::Thread)?;
        Ok(Self {
            queue: Some(queue),
            done,
            counters,
            min_interval,
            last_accepted: Mutex::new(None),
            worker: Some(worker),
        })
    }

    /// Offers an incident (one with evidence); returns at once whether it was accepted.
    pub fn offer(&self, event: &IncidentEvent) -> bool {
        let Some(queue) = &self.queue else {
            return false;
        };
        if event.incident().evidence.is_none() {
            return false;
        }
        let mut last = self.last_accepted.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        let too_soon = last.is_some_and(|t| now.duration_since(t) < self.min_interval);
        let accepted = !too_soon
            && match queue.try_send(event.clone()) {
                Ok(()) => true,
                Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => false,
            };
        if accepted {
            *last = Some(now);
        } else {
            self.counters.skipped.fetch_add(1, Ordering::Relaxed);
        }
        accepted
    }

    /// Narrations finished since the last call, without waiting.
    pub fn ready(&self) -> Vec<Narration> {
        let mut ready = Vec::new();
        loop {
            match self.done.try_recv() {
                Ok(narration) => ready.push(narration),
                Err(TryRecvError::Empty | TryRecvError::Disconnected) => return ready,
            }
        }
    }

    /// Waits for the narrations accepted so far, then stops the thread.
    pub fn finish(mut self) -> Vec<Narration> {
        self.queue = None;
        if let Some(worker) = self.worker.take() {
            // A panicking model thread loses its narrations, not the capture.
            let _ = worker.join();
        }
        self.ready()
    }

    /// What the narrator did so far.
    pub fn counts(&self) -> NarrationCounts {
        NarrationCounts {
            narrated: self.counters.narrated.load(Ordering::Relaxed),
            skipped: self.counters.skipped.load(Ordering::Relaxed),
            failed: self.counters.failed.load(Ordering::Relaxed),
        }
    }
}

impl Drop for Narrator {
    fn drop(&mut self) {
        self.queue = None;
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
}

/// Narrates one incident's peak window and checks the text against the evidence.
fn narrate(
    explainer: &dyn Explainer,
    settings: &GenerationSettings,
    language: Language,
    event: &IncidentEvent,
) -> Result<Narration> {
    let incident = event.incident();
    let started = Instant::now();
    // `offer` accepts incidents with evidence only; the report is the answer otherwise.
    let Some(evidence) = incident.evidence.as_ref() else {
        return Err(Error::Unexplained(incident.id.clone()));
    };
    let prompt = explanation_messages(evidence, language);
    let done = explainer.generate(prompt.clone(), settings)?.wait()?;
    let checks = Checks::run(evidence, &prompt, &done.text, done.finish_reason);
    let report = Report::new(evidence, language);
    let (text, source) = checks.choose(&done.text, &report);
    let failed_checks: Vec<String> = checks.failed.iter().map(|c| c.as_str().into()).collect();
    Ok(Narration {
        incident: incident.id.clone(),
        text: text.to_owned(),
        source: source.as_str(),
        document: ecs::narration(event, text, source.as_str(), &failed_checks),
        failed_checks,
        elapsed: started.elapsed(),
    })
}
