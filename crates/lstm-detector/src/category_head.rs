//! The category head: a softmax over the attack categories (UNSW-NB15's `attack_cat`) beside
//! the attack output, with ReLU layers of its own.
//!
//! It reads what the shared head reads (`[last hidden state, newest flow]`), so the attack
//! output's path is the same network with or without it: the head can be trained on a frozen
//! detector (see [`CategoryTraining`](crate::CategoryTraining)) and leave every verdict as it
//! was. It may be an ensemble: members trained apart on the same input, their logits averaged
//! (steadier than one member on the rare categories).

use burn::module::Module;
use burn::nn::{Dropout, Linear};
use burn::tensor::Tensor;
use burn::tensor::activation::{relu, softmax};

/// One or more members, their category logits averaged.
///
/// Parameter paths: `members.{m}.layers.{i}.{weight,bias}`, `members.{m}.output.{weight,bias}`.
#[derive(Module, Debug)]
pub struct CategoryHead {
    /// The members (at least one).
    pub members: Vec<CategoryMember>,
}

/// ReLU layers and a linear map to one logit per category.
#[derive(Module, Debug)]
pub struct CategoryMember {
    /// ReLU layers, first to last (none: the output reads its input directly).
    pub layers: Vec<Linear>,
    /// Linear map to one logit per category.
    pub output: Linear,
}

impl CategoryMember {
    /// Category logits of `features` (`[batch, d_input] -> [batch, categories]`), with dropout
    /// before each layer while training.
    pub fn logits(&self, features: Tensor<2>, dropout: &Dropout) -> Tensor<2> {
        let mut features = features;
        for layer in &self.layers {
            features = relu(layer.forward(dropout.forward(features)));
        }
        self.output.forward(dropout.forward(features))
    }
}

impl CategoryHead {
    /// The members' mean category logits of `features` (`[batch, d_input] -> [batch,
    /// categories]`).
    pub fn logits(&self, features: Tensor<2>, dropout: &Dropout) -> Tensor<2> {
        let count = self.members.len();
        let mut members = self.members.iter();
        let first = members
            .next()
            .expect("a category head has at least one member")
            .logits(features.clone(), dropout);
        let sum = members.fold(first, |sum, member| {
            sum + member.logits(features.clone(), dropout)
        });
        if count == 1 { sum } else { sum / count as f32 }
    }

    /// Category probabilities (softmax of [`logits`](Self::logits)).
    pub fn probabilities(&self, features: Tensor<2>, dropout: &Dropout) -> Tensor<2> {
        softmax(self.logits(features, dropout), 1)
    }
}
