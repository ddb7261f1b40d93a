//! Unit tests of the network: embedded columns, the heads, manifests of older models.

use burn::module::{ModuleMapper, Param};

use super::*;

/// Replaces every weight by a fixed pseudo-random pattern, so the test never depends on
/// the backend's random stream (process-wide, shared with every other test).
struct Pattern(u32);

impl ModuleMapper for Pattern {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        param.map(|tensor| {
            let shape = tensor.shape();
            let values = (0..shape.num_elements())
                .map(|_| {
                    // Weyl sequence of the golden ratio: spread over [-0.5, 0.5).
                    self.0 = self.0.wrapping_add(0x9E37_79B9);
                    self.0 as f32 / u32::MAX as f32 - 0.5
                })
                .collect::<Vec<f32>>();
            Tensor::from_data(TensorData::new(values, shape), &tensor.device())
        })
    }
}

fn window(values: [f32; 6], device: &Device) -> Tensor<3> {
    Tensor::from_data(TensorData::new(values.to_vec(), [1, 2, 3]), device)
}

fn scalars<const D: usize>(tensor: Tensor<D>) -> Vec<f32> {
    tensor.into_data().try_to_vec::<f32>().unwrap()
}

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
    let model = config.init_for_load(&device).map(&mut Pattern(7));
    let table = model.embedding.as_ref().unwrap().weight.val();
    let table = table.into_data().try_to_vec::<f32>().unwrap();
    let row = |r: usize| table[2 * r..2 * r + 2].to_vec();

    // Flows are [number, code < 4, code < 3]: the LSTM reads the number, then the first
    // column's row of the shared table, then the second column's (offset by 4).
    let base = [0.5, 3.0, 2.0, -1.0, 0.0, 1.0];
    let features = scalars(model.flow_features(window(base, &device)));
    let mut expected = vec![0.5];
    expected.extend(row(3));
    expected.extend(row(4 + 2));
    expected.push(-1.0);
    expected.extend(row(0));
    expected.extend(row(4 + 1));
    assert_eq!(features, expected);

    // The number and each code reach the probability.
    let p = |values| scalars(model.forward(window(values, &device)))[0];
    let reference = p(base);
    assert!((0.0..=1.0).contains(&reference));
    for changed in [
        [0.9, 3.0, 2.0, -1.0, 0.0, 1.0],
        [0.5, 1.0, 2.0, -1.0, 0.0, 1.0],
        [0.5, 3.0, 0.0, -1.0, 0.0, 1.0],
    ] {
        assert_ne!(p(changed), reference, "{changed:?}");
    }
}

#[test]
fn manifests_without_the_new_fields_still_parse() {
    let json = r#"{"input_size": 34, "hidden_sizes": [20, 20], "dropout": 0.3}"#;
    let config: LstmDetectorConfig = serde_json::from_str(json).unwrap();
    assert_eq!(config, LstmDetectorConfig::new());
}
