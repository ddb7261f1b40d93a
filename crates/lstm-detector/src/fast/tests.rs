//! The fast forward against Burn's, on the portable kernels.

use flow_features::read_flows;

use crate::Detector;

/// The portable path (SSE2, no FMA) runs only on CPUs without AVX2 in normal use: here it
/// runs on every machine, against Burn, on both shipped models and real rows (attack and,
/// where the model has one, category probabilities).
#[test]
fn the_portable_path_scores_as_burn_on_every_machine() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let flows: Vec<_> = read_flows(format!(
        "{root}/crates/lstm-detector/tests/fixtures/flows_train_2k.parquet"
    ))
    .unwrap()
    .into_iter()
    .take(200)
    .map(|row| row.flow)
    .collect();
    for name in ["unsw-nb15-lstm", "unsw-nb15-seed"] {
        let detector = Detector::from_dir(format!("{root}/models/{name}")).unwrap();
        let steps = detector.sequence_length();
        let matrix = detector.preprocessor().encode(&flows).unwrap();
        let windows = crate::WindowBatch::sliding(&matrix, steps);
        let network = detector.fast_network();
        let width = network.out_width();
        let mut out = vec![0.0; windows.len() * width];
        network.forward_with::<false>(windows.values(), steps, &mut out);
        let portable: Vec<f32> = out.iter().step_by(width).copied().collect();
        let largest = |a: &[f32], b: &[f32]| {
            assert_eq!(a.len(), b.len());
            a.iter()
                .zip(b)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f32::max)
        };
        let burn = crate::compat::burn_probabilities(&detector, &windows).unwrap();
        let difference = largest(&portable, &burn);
        assert!(difference < 1e-5, "{name}: {difference}");
        if let Some(burn) = crate::compat::burn_category_probabilities(&detector, &windows).unwrap()
        {
            let categories: Vec<f32> = out
                .chunks_exact(width)
                .flat_map(|row| row[1..].to_vec())
                .collect();
            let difference = largest(&categories, &burn);
            assert!(difference < 1e-5, "{name} categories: {difference}");
        }
        assert!(portable.iter().any(|&p| p > 0.5) && portable.iter().any(|&p| p < 0.5));
    }
}
