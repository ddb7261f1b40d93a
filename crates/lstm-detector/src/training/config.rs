//! What a training run is told: the network's shape and the optimization's settings, nested
//! as Burn's own examples nest a model's config in the training's.

use burn::config::Config;

use crate::error::{Error, Result};
use crate::model::{EmbeddingLayout, LstmDetectorConfig};

/// The shape of the network [`train`](crate::train) builds. The data decides the rest of the
/// architecture: how many input columns, which are codes and how many codes each has (see
/// [`architecture`](Self::architecture)).
#[derive(Config, Debug, PartialEq)]
pub struct NetworkConfig {
    /// Hidden size of each stacked LSTM layer.
    #[config(default = "vec![64]")]
    pub hidden_sizes: Vec<usize>,
    /// Widths of the ReLU head layers over `[last hidden state, newest flow]`; empty for none.
    #[config(default = "vec![256, 128]")]
    pub head_sizes: Vec<usize>,
    /// Embedding width of every code column.
    #[config(default = 4)]
    pub embedding_dim: usize,
    /// Dropout before the head and the output.
    #[config(default = 0.4)]
    pub dropout: f64,
    /// Train a category head beside the attack output when the rows carry categories.
    #[config(default = true)]
    pub category_head: bool,
    /// Widths of the category head's own ReLU layers over `[last hidden state, newest flow]`.
    #[config(default = "vec![256, 128]")]
    pub category_head_sizes: Vec<usize>,
    /// Members of the category head, trained apart and averaged (frozen training).
    #[config(default = 3)]
    pub category_members: usize,
}

impl NetworkConfig {
    /// The architecture for `cardinalities.len()` input columns, embedding the columns with a
    /// cardinality (see [`flow_features::Preprocessor::cardinality`]).
    ///
    /// ```
    /// let shape = lstm_detector::NetworkConfig::new();
    /// let architecture = shape.architecture(&[None, Some(3), None]);
    /// assert_eq!(architecture.input_size, 3);
    /// assert_eq!(architecture.embedding.unwrap().columns, [1]);
    /// ```
    pub fn architecture(&self, cardinalities: &[Option<usize>]) -> LstmDetectorConfig {
        let (columns, sizes): (Vec<usize>, Vec<usize>) = cardinalities
            .iter()
            .enumerate()
            .filter_map(|(column, size)| size.map(|size| (column, size)))
            .unzip();
        let embedding = (!columns.is_empty())
            .then(|| EmbeddingLayout::new(columns, sizes).with_dim(self.embedding_dim));
        LstmDetectorConfig::new()
            .with_input_size(cardinalities.len())
            .with_hidden_sizes(self.hidden_sizes.clone())
            .with_dropout(self.dropout)
            .with_embedding(embedding)
            .with_head_sizes((!self.head_sizes.is_empty()).then(|| self.head_sizes.clone()))
            .with_category_head_sizes(
                (!self.category_head_sizes.is_empty()).then(|| self.category_head_sizes.clone()),
            )
            .with_category_members((self.category_members > 1).then_some(self.category_members))
    }

    fn check(&self) -> Result<()> {
        let width = 1..=MAX_WIDTH;
        if self.hidden_sizes.is_empty() || !self.hidden_sizes.iter().all(|w| width.contains(w)) {
            return fail(format!(
                "hidden_sizes must list 1 or more widths of 1 to {MAX_WIDTH}, got {:?}",
                self.hidden_sizes
            ));
        }
        for (name, sizes) in [
            ("head_sizes", &self.head_sizes),
            ("category_head_sizes", &self.category_head_sizes),
        ] {
            if !sizes.iter().all(|w| width.contains(w)) {
                return fail(format!(
                    "{name} must be widths of 1 to {MAX_WIDTH}, got {sizes:?}"
                ));
            }
        }
        if !(1..=MAX_MEMBERS).contains(&self.category_members) {
            return fail(format!(
                "category_members must be 1 to {MAX_MEMBERS}, got {}",
                self.category_members
            ));
        }
        if !(1..=MAX_EMBEDDING_DIM).contains(&self.embedding_dim) {
            return fail(format!(
                "embedding_dim must be 1 to {MAX_EMBEDDING_DIM}, got {}",
                self.embedding_dim
            ));
        }
        if !(0.0..1.0).contains(&self.dropout) {
            return fail(format!("dropout must be in [0, 1), got {}", self.dropout));
        }
        Ok(())
    }
}

/// How [`train`](crate::train) fits a category head.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CategoryTraining {
    /// First the detector alone, then the category head on its frozen trunk, with its own
    /// early stopping: the attack output is exactly the detector's without a head.
    Frozen,
    /// One network and one loss (the attack output's plus the weighted category loss): the
    /// category gradients also move the shared LSTM and embeddings.
    Joint,
}

/// Hyper-parameters of [`train`](crate::train). The defaults are the shipped model's.
#[derive(Config, Debug, PartialEq)]
pub struct TrainingConfig {
    /// The network's shape.
    #[config(default = "NetworkConfig::new()")]
    pub network: NetworkConfig,
    /// Most passes over the training windows.
    #[config(default = 20)]
    pub epochs: usize,
    /// Windows per gradient step.
    #[config(default = 512)]
    pub batch_size: usize,
    /// Peak learning rate, decayed to 0 along a cosine over all steps.
    #[config(default = 3e-3)]
    pub learning_rate: f64,
    /// AdamW's decoupled weight decay.
    #[config(default = 1e-2)]
    pub weight_decay: f64,
    /// Seed of the weights, dropout masks and batch order.
    #[config(default = 42)]
    pub seed: u64,
    /// Stop after this many epochs without a lower validation loss; the best epoch's weights
    /// are kept.
    #[config(default = 5)]
    pub patience: usize,
    /// How the category head is trained beside the attack output.
    #[config(default = "CategoryTraining::Frozen")]
    pub category_training: CategoryTraining,
    /// Most passes of the category head's own stage (frozen training; each is a small
    /// fraction of a detector epoch).
    #[config(default = 40)]
    pub category_epochs: usize,
    /// The category stage's `patience` (its validation loss is noisier: smaller windows of
    /// rare categories).
    #[config(default = 10)]
    pub category_patience: usize,
    /// Dropout before each layer of the category head in its own stage (frozen training;
    /// joint training uses the network's).
    #[config(default = 0.15)]
    pub category_dropout: f64,
    /// Weight of the category head's cross-entropy beside the attack output's (joint
    /// training only).
    #[config(default = 1.0)]
    pub category_loss_weight: f64,
    /// Each category's weight in that cross-entropy is `(windows / (categories · its
    /// windows))^power`: 0 weighs every window alike, 1 every category alike (rare attack
    /// kinds would otherwise hardly move the head).
    #[config(default = 0.5)]
    pub category_weight_power: f64,
}

impl TrainingConfig {
    /// Checks every hyper-parameter is in a range training can run with (a configuration file
    /// is user input: a dropout of 1.5 or a width of 0 must be an error, not a panic in Burn).
    ///
    /// ```
    /// use lstm_detector::{NetworkConfig, TrainingConfig};
    /// let config = TrainingConfig::new().with_network(NetworkConfig::new().with_dropout(1.5));
    /// assert_eq!(
    ///     config.check().unwrap_err().to_string(),
    ///     "training: dropout must be in [0, 1), got 1.5"
    /// );
    /// ```
    pub fn check(&self) -> Result<()> {
        self.network.check()?;
        if self.epochs == 0 || self.category_epochs == 0 || self.batch_size == 0 {
            return fail("batch_size, epochs and category_epochs must be positive".into());
        }
        if !(0.0..1.0).contains(&self.category_dropout) {
            return fail(format!(
                "category_dropout must be in [0, 1), got {}",
                self.category_dropout
            ));
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return fail(format!(
                "learning_rate must be a finite number above 0, got {}",
                self.learning_rate
            ));
        }
        if !(self.weight_decay.is_finite() && self.weight_decay >= 0.0) {
            return fail(format!(
                "weight_decay must be a finite number of 0 or more, got {}",
                self.weight_decay
            ));
        }
        if !(0.0..=100.0).contains(&self.category_loss_weight) {
            return fail(format!(
                "category_loss_weight must be in [0, 100], got {}",
                self.category_loss_weight
            ));
        }
        if !(0.0..=2.0).contains(&self.category_weight_power) {
            return fail(format!(
                "category_weight_power must be in [0, 2], got {}",
                self.category_weight_power
            ));
        }
        Ok(())
    }
}

fn fail(message: String) -> Result<()> {
    Err(Error::Training(message))
}

/// Widest LSTM or head layer [`TrainingConfig::check`] accepts.
const MAX_WIDTH: usize = 4096;
/// Most category head members [`TrainingConfig::check`] accepts.
const MAX_MEMBERS: usize = 32;
/// Widest embedding [`TrainingConfig::check`] accepts.
const MAX_EMBEDDING_DIM: usize = 256;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_out_of_range_are_errors() {
        let config = TrainingConfig::new();
        let network = NetworkConfig::new();
        for bad in [
            config
                .clone()
                .with_network(network.clone().with_hidden_sizes(vec![])),
            config
                .clone()
                .with_network(network.clone().with_head_sizes(vec![0])),
            config
                .clone()
                .with_network(network.clone().with_embedding_dim(0)),
            config.clone().with_learning_rate(f64::NAN),
            config.clone().with_weight_decay(-1.0),
            config.clone().with_batch_size(0),
            config.clone().with_category_loss_weight(f64::NAN),
            config.clone().with_category_weight_power(-1.0),
        ] {
            assert!(bad.check().is_err(), "{bad:?}");
        }
        assert!(config.check().is_ok());
    }

    #[test]
    fn the_json_form_nests_the_network() {
        let json = serde_json::to_value(TrainingConfig::new()).unwrap();
        assert_eq!(json["network"]["hidden_sizes"], serde_json::json!([64]));
        assert_eq!(json["epochs"], 20);
        let back: TrainingConfig = serde_json::from_value(json).unwrap();
        assert_eq!(back, TrainingConfig::new());
    }
}
