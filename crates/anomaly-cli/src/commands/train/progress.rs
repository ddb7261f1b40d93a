//! What `anomaly train` shows while it runs: a bar over each epoch's batches and a line per
//! finished epoch, of the detector and of each category member.

use indicatif::{ProgressBar, ProgressStyle};
use lstm_detector::{CategoryEpochReport, EpochReport, TrainingObserver};

/// A progress bar over the batches of each epoch, and one line per finished epoch.
pub(super) struct Progress {
    bar: ProgressBar,
}

impl Progress {
    pub(super) fn new() -> anyhow::Result<Self> {
        let bar = ProgressBar::new(0).with_style(ProgressStyle::with_template(
            "epoch {prefix} [{bar:30}] {pos}/{len} batches, loss {msg}, {elapsed}",
        )?);
        Ok(Self { bar })
    }
    /// Removes the bar once training is over.
    pub(super) fn finish(&self) {
        self.bar.finish_and_clear();
    }

    /// Prints a line above the bar.
    fn line(&self, line: String) {
        // A hidden bar (no terminal) drops its printed lines.
        if self.bar.is_hidden() {
            eprintln!("{line}");
        } else {
            self.bar.println(line);
        }
    }
}

impl TrainingObserver for Progress {
    fn batch(&mut self, epoch: usize, done: usize, total: usize, loss: f64) {
        if done == 1 {
            self.bar.reset();
            self.bar.set_length(total as u64);
            // The category head's own stage counts its epochs from 1 again.
            self.bar.set_prefix(format!("{epoch}"));
        }
        self.bar.set_position(done as u64);
        self.bar.set_message(format!("{loss:.4}"));
    }

    fn epoch(&mut self, r: &EpochReport) {
        let line = format!(
            "epoch {:>2}: train loss {:.4}, validation loss {:.4}, accuracy {:.4}, ROC AUC \
             {:.4}, lr {:.2e}, {:.1} s",
            r.epoch,
            r.train_loss,
            r.validation_loss,
            r.validation_accuracy,
            r.validation_roc_auc,
            r.learning_rate,
            r.seconds
        );
        self.line(line);
    }

    fn category_epoch(&mut self, r: &CategoryEpochReport) {
        self.line(format!(
            "category member {} epoch {:>2}: train loss {:.4}, validation loss {:.4}, accuracy \
             {:.4}, lr {:.2e}, {:.1} s",
            r.member,
            r.epoch,
            r.train_loss,
            r.validation_loss,
            r.validation_accuracy,
            r.learning_rate,
            r.seconds
        ));
    }
}
