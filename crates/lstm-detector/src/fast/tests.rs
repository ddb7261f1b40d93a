//! Every compiled path of the fast forward against Burn's.

use flow_features::read_flows;

use super::kernels::Portable;
use super::{Arrangement, FastNetwork};
use crate::Detector;

/// The forward passes this CPU can run, by name: the portable one (SSE2, no FMA) runs only on
/// CPUs without AVX2 in normal use, and AVX2 only on CPUs without AVX-512; here each runs
/// wherever the CPU has its features.
fn paths() -> Vec<(&'static str, ForwardPath)> {
    let mut paths: Vec<(&'static str, ForwardPath)> = vec![("portable", |network, a, b, c, d| {
        network.forward_with::<Portable>(a, b, c, d)
    })];
    #[cfg(target_arch = "x86_64")]
    {
        if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
            // SAFETY: the CPU has the features, checked just above.
            paths.push(("avx2", |network, a, b, c, d| unsafe {
                network.forward_avx2(a, b, c, d)
            }));
        }
        if is_x86_feature_detected!("avx512f")
            && is_x86_feature_detected!("avx2")
            && is_x86_feature_detected!("fma")
        {
            // SAFETY: as above.
            paths.push(("avx512", |network, a, b, c, d| unsafe {
                network.forward_avx512(a, b, c, d)
            }));
        }
    }
    paths
}

type ForwardPath = fn(&FastNetwork, &[f32], usize, Arrangement, &mut [f32]);

/// Each path, on both shipped models and real rows, scores as Burn does (attack and, where
/// the model has one, category probabilities), and its sliding arrangement (each flow
/// projected once) gives exactly what the windows stored apart give.
#[test]
fn every_path_scores_as_burn_on_every_machine() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let flows: Vec<_> = read_flows(format!(
        "{root}/crates/lstm-detector/tests/fixtures/flows_train_2k.parquet"
    ))
    .unwrap()
    .into_iter()
    .take(200)
    .map(|row| row.flow)
    .collect();
    let largest = |a: &[f32], b: &[f32]| {
        assert_eq!(a.len(), b.len());
        a.iter()
            .zip(b)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max)
    };
    for name in ["unsw-nb15-lstm", "unsw-nb15-seed"] {
        let detector = Detector::from_dir(format!("{root}/models/{name}")).unwrap();
        let steps = detector.sequence_length();
        let matrix = detector.preprocessor().encode(&flows).unwrap();
        let windows = crate::WindowBatch::sliding(&matrix, steps);
        let burn = crate::compat::burn_probabilities(&detector, &windows).unwrap();
        let burn_categories =
            crate::compat::burn_category_probabilities(&detector, &windows).unwrap();
        let network = detector.fast_network();
        let width = network.out_width();
        for (path, forward) in paths() {
            let mut out = vec![0.0; windows.len() * width];
            forward(
                network,
                windows.values(),
                steps,
                Arrangement::Separate,
                &mut out,
            );
            let probabilities: Vec<f32> = out.iter().step_by(width).copied().collect();
            let difference = largest(&probabilities, &burn);
            assert!(difference < 1e-5, "{name}, {path}: {difference}");
            if let Some(burn) = &burn_categories {
                let categories: Vec<f32> = out
                    .chunks_exact(width)
                    .flat_map(|row| row[1..].to_vec())
                    .collect();
                let difference = largest(&categories, burn);
                assert!(difference < 1e-5, "{name}, {path} categories: {difference}");
            }
            assert!(
                probabilities.iter().any(|&p| p > 0.5) && probabilities.iter().any(|&p| p < 0.5)
            );
            let mut sliding = vec![0.0; out.len()];
            forward(
                network,
                matrix.values(),
                steps,
                Arrangement::Sliding,
                &mut sliding,
            );
            assert_eq!(sliding, out, "{name}, {path}: sliding");
        }
    }
}
