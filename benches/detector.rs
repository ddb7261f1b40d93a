//! Detector benchmarks, for the default trained model and the original's: request parsing +
//! encoding, one window, occlusion attribution, and batch throughput.
//!
//! ```sh
//! cargo bench -p lstm-detector --bench detector
//! cargo bench -p lstm-detector --bench detector --features ndarray   # + Burn's NdArray backend
//! ```

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use flow_features::parse_window_request;
use lstm_detector::{Detector, WindowBatch, compat};

const MODELS: [&str; 2] = ["unsw-nb15-lstm", "unsw-nb15-seed"];
const SAMPLE: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../flow-features/tests/fixtures/sample_request.json"
));

fn model_dir(model: &str) -> String {
    format!("{}/../../models/{model}", env!("CARGO_MANIFEST_DIR"))
}

fn benches(c: &mut Criterion) {
    for model in MODELS {
        bench_model(c, model, &Detector::from_dir(model_dir(model)).unwrap());
    }
}

fn bench_model(c: &mut Criterion, model: &str, detector: &Detector) {
    let body: serde_json::Value = serde_json::from_str(SAMPLE).unwrap();

    c.bench_function(&format!("parse_validate_encode_window/{model}"), |b| {
        b.iter(|| {
            let flows = parse_window_request(black_box(&body), 10).unwrap();
            detector.preprocessor().window(&flows).unwrap()
        })
    });

    let flows = parse_window_request(&body, 10).unwrap();
    let window = detector.preprocessor().window(&flows).unwrap();
    let one = WindowBatch::from_values(window.values().to_vec(), 10, window.columns()).unwrap();
    c.bench_function(&format!("detector_one_window/{model}"), |b| {
        b.iter(|| detector.probabilities(black_box(&one)).unwrap())
    });

    // What /analyze adds before the LLM starts: 1 + 10 + 34 windows encoded and scored at once.
    c.bench_function(&format!("detector_attribution/{model}"), |b| {
        b.iter(|| detector.attribute(black_box(&flows)).unwrap())
    });

    // The hand-written forward (`probabilities`, what everything uses) and Burn's module
    // (`compat::burn_probabilities`, the reference) on the same windows; with the `ndarray`
    // feature, Burn's module on its deprecated NdArray backend too (flex vs ndarray).
    type Forward = fn(&Detector, &WindowBatch) -> lstm_detector::Result<Vec<f32>>;
    #[allow(unused_mut)]
    let mut paths: Vec<(&str, &Detector, Forward)> = vec![
        ("detector_batch", detector, Detector::probabilities),
        ("burn_batch", detector, compat::burn_probabilities),
    ];
    #[cfg(feature = "ndarray")]
    let ndarray = {
        let files = lstm_detector::ModelFiles::read_dir(model_dir(model)).unwrap();
        Detector::load(&files, lstm_detector::Backend::NdArray).unwrap()
    };
    #[cfg(feature = "ndarray")]
    paths.push(("burn_ndarray_batch", &ndarray, compat::burn_probabilities));
    for (name, detector, forward) in paths {
        let mut group = c.benchmark_group(format!("{name}/{model}"));
        for batch in [1usize, 64, 1024] {
            let values = window.values().iter().copied().cycle();
            let values = values.take(batch * window.values().len()).collect();
            let windows = WindowBatch::from_values(values, 10, window.columns()).unwrap();
            group.throughput(Throughput::Elements(batch as u64));
            group.bench_with_input(BenchmarkId::from_parameter(batch), &windows, |b, w| {
                b.iter(|| forward(detector, black_box(w)).unwrap())
            });
        }
        group.finish();
    }
}

criterion_group!(detector, benches);
criterion_main!(detector);
