//! The network: stacked LSTMs, dropout and a sigmoid output, as the original Keras model.

use burn::config::Config;
use burn::module::Module;
use burn::nn::{Dropout, DropoutConfig, Linear, LinearConfig, Lstm, LstmConfig};
use burn::tensor::activation::sigmoid;
use burn::tensor::{Device, Tensor};

/// Architecture of an [`LstmDetector`]. The original Keras model is the default:
/// `LSTM(20, return_sequences) → LSTM(20) → Dropout(0.3) → Dense(1, sigmoid)` over 34 features.
#[derive(Config, Debug, PartialEq)]
pub struct LstmDetectorConfig {
    /// Features per flow.
    #[config(default = 34)]
    pub input_size: usize,
    /// Hidden size of each stacked LSTM layer, first to last.
    #[config(default = "vec![20, 20]")]
    pub hidden_sizes: Vec<usize>,
    /// Dropout before the output layer (training only).
    #[config(default = 0.3)]
    pub dropout: f64,
}

impl LstmDetectorConfig {
    /// Builds the network with freshly initialized weights.
    pub fn init(&self, device: &Device) -> LstmDetector {
        let mut d_input = self.input_size;
        let layers = self
            .hidden_sizes
            .iter()
            .map(|&d_hidden| {
                let layer = LstmConfig::new(d_input, d_hidden, true).init(device);
                d_input = d_hidden;
                layer
            })
            .collect();
        LstmDetector {
            layers,
            dropout: DropoutConfig::new(self.dropout).init(),
            output: LinearConfig::new(d_input, 1).init(device),
        }
    }
}

/// Stacked LSTM classifier of flow windows.
///
/// Parameter paths: `layers.{i}.{input,forget,output,cell}_gate.{input,hidden}_transform.{weight,bias}`
/// and `output.{weight,bias}`.
#[derive(Module, Debug)]
pub struct LstmDetector {
    /// Stacked LSTM layers; each feeds its full output sequence to the next.
    pub layers: Vec<Lstm>,
    /// Dropout on the last hidden state.
    pub dropout: Dropout,
    /// Linear map from the last hidden state to one logit.
    pub output: Linear,
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
        let mut sequence = windows;
        let mut last_hidden = None;
        for layer in &self.layers {
            let (outputs, state) = layer.forward(sequence, None);
            sequence = outputs;
            last_hidden = Some(state.hidden);
        }
        let last_hidden = last_hidden.expect("an LstmDetector has at least one layer");
        self.output.forward(self.dropout.forward(last_hidden))
    }
}
