//! The network: stacked LSTMs over the flows of a window and a sigmoid output.
//!
//! Two shapes share one type. The original Keras model reads every column as a number:
//! `LSTM(20, return_sequences) → LSTM(20) → Dropout(0.3) → Dense(1, sigmoid)`. Trained models
//! embed their code columns (categories, quantile bins) and add a ReLU head that reads the last
//! hidden state beside the newest flow's own features (a skip connection: the verdict is about
//! that flow). A trained model may also have a [`CategoryHead`]: a softmax over the attack
//! categories (UNSW-NB15's `attack_cat`) with its own layers over what the shared head reads.

use burn::config::Config;
use burn::module::Module;
use burn::nn::{
    Dropout, DropoutConfig, Embedding, EmbeddingConfig, Initializer, Linear, LinearConfig, Lstm,
    LstmConfig,
};
use burn::tensor::activation::{relu, sigmoid};
use burn::tensor::{Device, Int, Tensor, TensorData};

use crate::category_head::{CategoryHead, CategoryMember};

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
    /// Names of the categories the category head scores, in output order (e.g. `Normal`,
    /// `Generic`, `Exploits`, …). `None`: no category head (the original).
    pub categories: Option<Vec<String>>,
    /// Widths of the category head's own ReLU layers, first to last; they read what the shared
    /// head reads. `None`: its output layer reads that directly.
    pub category_head_sizes: Option<Vec<usize>>,
    /// Members of the category head, their logits averaged. `None`: one.
    pub category_members: Option<usize>,
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

    /// Builds the network with freshly initialized weights (Burn's default initializers,
    /// drawn from the backend's random stream: seed it with `device.seed(…)` first).
    pub fn init(&self, device: &Device) -> LstmDetector {
        self.build(device, None)
    }

    /// Builds the network with zero weights, to be overwritten by a load: Burn's CPU backend
    /// keeps one process-wide random stream, and a load must not draw from it (a training
    /// running beside it would lose its reproducibility).
    pub(crate) fn init_for_load(&self, device: &Device) -> LstmDetector {
        self.build(device, Some(Initializer::Zeros))
    }

    /// The same architecture without a category head.
    pub fn without_categories(&self) -> Self {
        Self {
            categories: None,
            category_head_sizes: None,
            category_members: None,
            ..self.clone()
        }
    }

    /// What the shared head (and the category head) read per window: the last hidden state,
    /// and with a head the newest flow's features.
    fn trunk_width(&self) -> usize {
        let hidden = self.hidden_sizes.last().copied().unwrap_or(0);
        match self.head_sizes {
            Some(_) => hidden + self.flow_features(),
            None => hidden,
        }
    }

    /// A freshly initialized member of the category head (`None` without categories), drawn
    /// from the backend's random stream.
    pub fn init_category_member(&self, device: &Device) -> Option<CategoryMember> {
        self.build_category_member(device, &None)
    }

    fn build_category_head(
        &self,
        device: &Device,
        initializer: &Option<Initializer>,
    ) -> Option<CategoryHead> {
        let members = (0..self.category_members.unwrap_or(1).max(1))
            .map(|_| self.build_category_member(device, initializer))
            .collect::<Option<_>>()?;
        Some(CategoryHead { members })
    }

    fn build_category_member(
        &self,
        device: &Device,
        initializer: &Option<Initializer>,
    ) -> Option<CategoryMember> {
        let names = self.categories.as_ref()?;
        let mut d_input = self.trunk_width();
        let mut linear = |d_output| {
            let config = LinearConfig::new(d_input, d_output);
            d_input = d_output;
            match initializer {
                Some(i) => config.with_initializer(i.clone()),
                None => config,
            }
            .init(device)
        };
        let layers = self
            .category_head_sizes
            .iter()
            .flatten()
            .map(|&width| linear(width))
            .collect();
        Some(CategoryMember {
            layers,
            output: linear(names.len()),
        })
    }

    /// `initializer`: `None` for each layer's default.
    fn build(&self, device: &Device, initializer: Option<Initializer>) -> LstmDetector {
        let lstm = |d_input, d_hidden| {
            let config = LstmConfig::new(d_input, d_hidden, true);
            match &initializer {
                Some(i) => config.with_initializer(i.clone()),
                None => config,
            }
            .init(device)
        };
        let linear = |d_input, d_output| {
            let config = LinearConfig::new(d_input, d_output);
            match &initializer {
                Some(i) => config.with_initializer(i.clone()),
                None => config,
            }
            .init(device)
        };
        let flow_features = self.flow_features();
        let mut d_input = flow_features;
        let layers = self
            .hidden_sizes
            .iter()
            .map(|&d_hidden| {
                let layer = lstm(d_input, d_hidden);
                d_input = d_hidden;
                layer
            })
            .collect();
        let (embedding, layout) = match &self.embedding {
            None => (None, ColumnLayout::default()),
            Some(e) => {
                let table_size = e.cardinalities.iter().sum();
                let config = EmbeddingConfig::new(table_size, e.dim);
                let table = match &initializer {
                    Some(i) => config.with_initializer(i.clone()),
                    None => config,
                }
                .init(device);
                (Some(table), ColumnLayout::new(self.input_size, e))
            }
        };
        let mut head = Vec::new();
        if let Some(sizes) = &self.head_sizes {
            // The head reads the newest flow beside the LSTM's last hidden state.
            d_input += flow_features;
            for &width in sizes {
                head.push(linear(d_input, width));
                d_input = width;
            }
        }
        // Drawn after every layer of the attack path, so that path starts from the same
        // weights with or without a category head.
        let output = linear(d_input, 1);
        LstmDetector {
            embedding,
            layers,
            dropout: DropoutConfig::new(self.dropout).init(),
            head,
            output,
            category: self.build_category_head(device, &initializer),
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
/// `head.{i}.{weight,bias}` (trained models), `output.{weight,bias}` and
/// `category.members.{m}.{layers.{i},output}.{weight,bias}` (models with a category head).
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
    /// Softmax over the attack categories, reading what `head` reads.
    pub category: Option<CategoryHead>,
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
        self.output
            .forward(self.dropout.forward(self.features(windows)))
    }

    /// The attack logit and, with a category head, the category logits, from one pass.
    ///
    /// Shapes: `[batch_size, seq_length, input_size] -> ([batch_size, 1], [batch_size,
    /// categories])`.
    pub fn outputs(&self, windows: Tensor<3>) -> (Tensor<2>, Option<Tensor<2>>) {
        let trunk = self.trunk(windows);
        let category = self
            .category
            .as_ref()
            .map(|head| head.logits(trunk.clone(), &self.dropout));
        let features = self.head_features(trunk);
        (
            self.output.forward(self.dropout.forward(features)),
            category,
        )
    }

    /// Category probabilities (softmax) of each window; `None` without a category head.
    ///
    /// Shapes: `[batch_size, seq_length, input_size] -> [batch_size, categories]`.
    pub fn category_probabilities(&self, windows: Tensor<3>) -> Option<Tensor<2>> {
        let head = self.category.as_ref()?;
        Some(head.probabilities(self.trunk(windows), &self.dropout))
    }

    /// What the output layer reads: the head's last activations (the last hidden state
    /// alone for the original).
    fn features(&self, windows: Tensor<3>) -> Tensor<2> {
        self.head_features(self.trunk(windows))
    }

    /// The shared head over the trunk.
    fn head_features(&self, trunk: Tensor<2>) -> Tensor<2> {
        let mut features = trunk;
        for layer in &self.head {
            features = relu(layer.forward(self.dropout.forward(features)));
        }
        features
    }

    /// What the heads read: the last hidden state, beside the newest flow's features when the
    /// network has a head. Shapes: `[batch, steps, input_size] -> [batch, width]`.
    pub fn trunk(&self, windows: Tensor<3>) -> Tensor<2> {
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
        match newest {
            Some(newest) => Tensor::cat(vec![last_hidden, newest.reshape([batch, width])], 1),
            None => last_hidden,
        }
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
mod tests;
