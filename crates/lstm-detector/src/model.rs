//! The network: stacked LSTMs over the flows of a window and a sigmoid output.
//!
//! Two shapes share one type. The original Keras model reads every column as a number:
//! `LSTM(20, return_sequences) → LSTM(20) → Dropout(0.3) → Dense(1, sigmoid)`. Trained models
//! embed their code columns (categories, quantile bins) and add a ReLU head that reads the last
//! hidden state beside the newest flow's own features (a skip connection: the verdict is about
//! that flow).

use burn::config::Config;
use burn::module::Module;
use burn::nn::{
    Dropout, DropoutConfig, Embedding, EmbeddingConfig, Linear, LinearConfig, Lstm, LstmConfig,
};
use burn::tensor::activation::{relu, sigmoid};
use burn::tensor::{Device, Int, Tensor, TensorData};

/// Architecture of an [`LstmDetector`]. The original Keras model is the default.
#[derive(Config, Debug, PartialEq)]
pub struct LstmDetectorConfig {
    /// Input columns per flow.
    #[config(default = 34)]
    pub input_size: usize,
    /// Hidden size of each stacked LSTM layer, first to last.
    #[config(default = "vec![20, 20]")]
    pub hidden_sizes: Vec<usize>,
    /// Dropout before the output layer (training only).
    #[config(default = 0.3)]
    pub dropout: f64,
    /// Columns holding codes, read through a learned embedding. `None`: every column is a
    /// number (the original).
    pub embedding: Option<EmbeddingLayout>,
    /// Widths of the ReLU layers reading `[last hidden state, newest flow's features]` before
    /// the output, first to last. `None`: the output reads the last hidden state alone (the
    /// original).
    pub head_sizes: Option<Vec<usize>>,
}

/// Which input columns are codes, and how they are embedded.
#[derive(Config, Debug, PartialEq)]
pub struct EmbeddingLayout {
    /// Indices of the code columns.
    pub columns: Vec<usize>,
    /// Number of codes of each of those columns.
    pub cardinalities: Vec<usize>,
    /// Embedding width, the same for every column.
    #[config(default = 4)]
    pub dim: usize,
}

impl LstmDetectorConfig {
    /// Features per flow the first LSTM reads: numeric columns plus embedded codes.
    pub fn flow_features(&self) -> usize {
        match &self.embedding {
            None => self.input_size,
            Some(e) => self.input_size - e.columns.len() + e.columns.len() * e.dim,
        }
    }

    /// Builds the network with freshly initialized weights.
    pub fn init(&self, device: &Device) -> LstmDetector {
        let flow_features = self.flow_features();
        let mut d_input = flow_features;
        let layers = self
            .hidden_sizes
            .iter()
            .map(|&d_hidden| {
                let layer = LstmConfig::new(d_input, d_hidden, true).init(device);
                d_input = d_hidden;
                layer
            })
            .collect();
        let (embedding, layout) = match &self.embedding {
            None => (None, ColumnLayout::default()),
            Some(e) => {
                let table_size = e.cardinalities.iter().sum();
                let table = EmbeddingConfig::new(table_size, e.dim).init(device);
                (Some(table), ColumnLayout::new(self.input_size, e))
            }
        };
        let mut head = Vec::new();
        if let Some(sizes) = &self.head_sizes {
            // The head reads the newest flow beside the LSTM's last hidden state.
            d_input += flow_features;
            for &width in sizes {
                head.push(LinearConfig::new(d_input, width).init(device));
                d_input = width;
            }
        }
        LstmDetector {
            embedding,
            layers,
            dropout: DropoutConfig::new(self.dropout).init(),
            head,
            output: LinearConfig::new(d_input, 1).init(device),
            layout,
        }
    }
}

/// Where the numeric and code columns sit, and each code column's offset in the shared table.
#[derive(Debug, Clone, Default)]
pub(crate) struct ColumnLayout {
    pub(crate) numeric: Vec<i64>,
    pub(crate) codes: Vec<i64>,
    pub(crate) offsets: Vec<i64>,
    pub(crate) cardinalities: Vec<usize>,
}

impl ColumnLayout {
    fn new(input_size: usize, embedding: &EmbeddingLayout) -> Self {
        let numeric = (0..input_size)
            .filter(|c| !embedding.columns.contains(c))
            .map(|c| c as i64)
            .collect();
        let offsets = embedding
            .cardinalities
            .iter()
            .scan(0, |next, &n| {
                let offset = *next;
                *next += n as i64;
                Some(offset)
            })
            .collect();
        Self {
            numeric,
            codes: embedding.columns.iter().map(|&c| c as i64).collect(),
            offsets,
            cardinalities: embedding.cardinalities.clone(),
        }
    }
}

/// Stacked LSTM classifier of flow windows.
///
/// Parameter paths: `embedding.weight` (trained models), `layers.{i}.{input,forget,output,cell}_gate.{input,hidden}_transform.{weight,bias}`,
/// `head.{i}.{weight,bias}` (trained models) and `output.{weight,bias}`.
#[derive(Module, Debug)]
pub struct LstmDetector {
    /// One table for every code column (each column owns a contiguous block of rows).
    pub embedding: Option<Embedding>,
    /// Stacked LSTM layers; each feeds its full output sequence to the next.
    pub layers: Vec<Lstm>,
    /// Dropout before each head layer and the output.
    pub dropout: Dropout,
    /// ReLU layers over the last hidden state and the newest flow's features (trained models).
    pub head: Vec<Linear>,
    /// Linear map to one logit.
    pub output: Linear,
    #[module(skip)]
    layout: ColumnLayout,
}

impl LstmDetector {
    /// Probability of attack for each window.
    ///
    /// Shapes: `[batch_size, seq_length, input_size] -> [batch_size, 1]`.
    pub fn forward(&self, windows: Tensor<3>) -> Tensor<2> {
        sigmoid(self.logits(windows))
    }

    /// Logit (pre-sigmoid score) for each window, for training with a stable loss.
    ///
    /// Shapes: `[batch_size, seq_length, input_size] -> [batch_size, 1]`.
    pub fn logits(&self, windows: Tensor<3>) -> Tensor<2> {
        let flows = self.flow_features(windows);
        let [batch, steps, width] = flows.dims();
        let newest = (!self.head.is_empty())
            .then(|| flows.clone().slice([0..batch, steps - 1..steps, 0..width]));
        let mut sequence = flows;
        let mut last_hidden = None;
        for layer in &self.layers {
            let (outputs, state) = layer.forward(sequence, None);
            sequence = outputs;
            last_hidden = Some(state.hidden);
        }
        let last_hidden = last_hidden.expect("an LstmDetector has at least one layer");
        let mut features = match newest {
            Some(newest) => Tensor::cat(vec![last_hidden, newest.reshape([batch, width])], 1),
            None => last_hidden,
        };
        for layer in &self.head {
            features = relu(layer.forward(self.dropout.forward(features)));
        }
        self.output.forward(self.dropout.forward(features))
    }

    /// Where the numeric and code columns sit.
    pub(crate) fn layout(&self) -> &ColumnLayout {
        &self.layout
    }

    /// Per-flow features the first LSTM reads: numeric columns, then the embedded codes.
    fn flow_features(&self, windows: Tensor<3>) -> Tensor<3> {
        let Some(table) = &self.embedding else {
            return windows;
        };
        let [batch, steps, _] = windows.dims();
        let device = windows.device();
        let index = |values: &[i64]| {
            Tensor::<1, Int>::from_data(TensorData::new(values.to_vec(), [values.len()]), &device)
        };
        let n_codes = self.layout.codes.len();
        let numeric = windows.clone().select(2, index(&self.layout.numeric));
        let offsets = index(&self.layout.offsets).reshape([1, 1, n_codes]);
        let codes = windows.select(2, index(&self.layout.codes)).int() + offsets;
        let embedded = table
            .forward(codes.reshape([batch, steps * n_codes]))
            .reshape([batch, steps, n_codes * table.weight.dims()[1]]);
        Tensor::cat(vec![numeric, embedded], 2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_model_reads_numbers_and_codes() {
        let device = Device::flex();
        let config = LstmDetectorConfig::new()
            .with_input_size(3)
            .with_hidden_sizes(vec![5])
            .with_head_sizes(Some(vec![6, 4]))
            .with_embedding(Some(
                EmbeddingLayout::new(vec![1, 2], vec![4, 3]).with_dim(2),
            ));
        assert_eq!(config.flow_features(), 1 + 2 * 2);
        let model = config.init(&device);
        // Two windows of two flows: [number, code < 4, code < 3].
        let windows = Tensor::<3>::from_data(
            TensorData::new(
                vec![
                    0.5f32, 3.0, 2.0, -1.0, 0.0, 1.0, 2.0, 1.0, 0.0, 0.1, 2.0, 2.0,
                ],
                [2, 2, 3],
            ),
            &device,
        );
        let p = model
            .forward(windows)
            .into_data()
            .try_to_vec::<f32>()
            .unwrap();
        assert_eq!(p.len(), 2);
        assert!(p.iter().all(|p| (0.0..=1.0).contains(p)));
        assert_ne!(p[0], p[1]);
    }

    #[test]
    fn manifests_without_the_new_fields_still_parse() {
        let json = r#"{"input_size": 34, "hidden_sizes": [20, 20], "dropout": 0.3}"#;
        let config: LstmDetectorConfig = serde_json::from_str(json).unwrap();
        assert_eq!(config, LstmDetectorConfig::new());
    }
}
