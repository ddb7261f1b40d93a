//! Short training runs on a committed fixture of 2,000 real UNSW-NB15 rows.

use flow_features::{
    FitOptions, FlowRecord, PreprocessingDescription, Preprocessor, Split, read_flows,
};
use lstm_detector::{
    Backend, CategoryTraining, Detector, LabeledRows, ModelManifest, NetworkConfig, TrainedModel,
    TrainingConfig, train,
};

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/flows_train_2k.parquet"
);

struct Data {
    preprocessor: Preprocessor,
    train: LabeledRows,
    validation: LabeledRows,
    /// The fixture's categories, most frequent first, when asked for.
    categories: Option<Vec<String>>,
}

fn data() -> Data {
    data_with(false)
}

fn data_with(categories: bool) -> Data {
    let rows = read_flows(FIXTURE).unwrap();
    let labels: Vec<u8> = rows.iter().map(|r| r.label.unwrap()).collect();
    let names = categories.then(|| {
        let mut counts = std::collections::BTreeMap::<String, usize>::new();
        for row in &rows {
            *counts.entry(row.attack_cat.clone().unwrap()).or_default() += 1;
        }
        let mut names: Vec<(String, usize)> = counts.into_iter().collect();
        names.sort_by_key(|(_, count)| std::cmp::Reverse(*count));
        names.into_iter().map(|(name, _)| name).collect::<Vec<_>>()
    });
    let index = |r: usize| -> u8 {
        let names = names.as_ref().unwrap();
        let name = rows[r].attack_cat.as_ref().unwrap();
        names.iter().position(|n| n == name).unwrap() as u8
    };
    let split = Split::stratified(&labels, 0.3, 42);
    let flows: Vec<FlowRecord> = split.train.iter().map(|&r| rows[r].flow.clone()).collect();
    let description = PreprocessingDescription::fit(&flows, &FitOptions::default()).unwrap();
    let preprocessor = Preprocessor::new(description).unwrap();
    let rows_of = |indices: &[usize]| LabeledRows {
        rows: preprocessor
            .encode(
                &indices
                    .iter()
                    .map(|&r| rows[r].flow.clone())
                    .collect::<Vec<_>>(),
            )
            .unwrap(),
        labels: indices.iter().map(|&r| labels[r]).collect(),
        categories: names
            .as_ref()
            .map(|_| indices.iter().map(|&r| index(r)).collect()),
        sequence_length: 10,
    };
    Data {
        train: rows_of(&split.train),
        validation: rows_of(&split.test),
        preprocessor,
        categories: names,
    }
}

fn small_config(seed: u64) -> TrainingConfig {
    TrainingConfig::new()
        .with_network(
            NetworkConfig::new()
                .with_hidden_sizes(vec![16])
                .with_head_sizes(vec![32])
                .with_category_head_sizes(vec![32])
                .with_category_members(1),
        )
        .with_epochs(4)
        .with_batch_size(64)
        .with_patience(4)
        .with_seed(seed)
}

fn run(data: &Data, config: &TrainingConfig) -> TrainedModel {
    let cardinalities: Vec<_> = (0..data.preprocessor.columns())
        .map(|c| data.preprocessor.cardinality(c))
        .collect();
    let mut architecture = config.network.architecture(&cardinalities);
    architecture.categories = data.categories.clone();
    train(config, architecture, &data.train, &data.validation, &mut ()).unwrap()
}

#[test]
fn a_short_run_lowers_the_loss_and_repeats_exactly_for_a_seed() {
    let data = data();
    let first = run(&data, &small_config(3));
    let history = &first.history;
    assert_eq!(history.len(), 4);
    assert!(
        history[3].train_loss < history[0].train_loss * 0.8,
        "{history:#?}"
    );
    assert!(history[3].validation_loss < history[0].validation_loss);
    // Far better than predicting the majority class (55 % attacks in the fixture).
    assert!(history[3].validation_accuracy > 0.75, "{history:#?}");
    assert!(history[3].validation_roc_auc > 0.85, "{history:#?}");

    let again = run(&data, &small_config(3));
    let losses = |m: &TrainedModel| -> Vec<(f64, f64)> {
        m.history
            .iter()
            .map(|r| (r.train_loss, r.validation_loss))
            .collect()
    };
    assert_eq!(losses(&first), losses(&again));
    assert_ne!(losses(&first), losses(&run(&data, &small_config(4))));
}

/// The attack probabilities of `model` on the validation windows.
fn probabilities(data: &Data, model: TrainedModel) -> Vec<f32> {
    detector(data, model)
        .predict_sliding(&data.validation.rows, 256)
        .unwrap()
        .iter()
        .map(|p| p.probability)
        .collect()
}

fn detector(data: &Data, trained: TrainedModel) -> Detector {
    let manifest = ModelManifest {
        id: "fixture".into(),
        description: String::new(),
        architecture: trained.architecture.clone(),
        threshold: 0.5,
    };
    Detector::from_parts(
        trained.model,
        data.preprocessor.clone(),
        manifest,
        Backend::default().device(),
    )
    .unwrap()
}

#[test]
fn a_frozen_category_head_leaves_every_verdict_as_the_detector_alone_gives_it() {
    let config = small_config(5).with_epochs(2).with_category_epochs(3);
    let alone = probabilities(&data(), run(&data(), &config));
    let data = data_with(true);
    let mut config = config;
    config.network = config.network.with_category_members(2);
    let trained = run(&data, &config);
    assert_eq!(trained.best_category_epochs.len(), 2);
    assert!(
        trained
            .history
            .iter()
            .all(|r| r.validation_category_loss.is_none())
    );
    let calibration = trained.category_calibration.unwrap();
    assert!(
        (0.0..=1.0).contains(&calibration.tilt_removed),
        "{calibration:?}"
    );
    assert!(calibration.temperature > 0.0, "{calibration:?}");
    // Better than always naming the most frequent category.
    let truth = data.validation.window_categories().unwrap();
    let majority = truth.iter().filter(|&&c| c == 0).count() as f64 / truth.len() as f64;
    let accuracy = trained.category_history.last().unwrap().validation_accuracy;
    assert!(accuracy > majority + 0.1, "{accuracy} vs {majority}");
    assert_eq!(probabilities(&data, trained), alone);
}

#[test]
fn a_trained_model_scores_the_same_after_a_round_trip_through_its_directory() {
    let data = data_with(true);
    // Joint training: the category loss moves the shared layers too.
    let config = small_config(5)
        .with_epochs(2)
        .with_category_training(CategoryTraining::Joint);
    let trained = run(&data, &config);
    assert!(trained.category_history.is_empty() && trained.category_calibration.is_none());
    let names = data.categories.as_ref().unwrap();
    let truth = data.validation.window_categories().unwrap();
    let majority = truth.iter().filter(|&&c| c == 0).count() as f64 / truth.len() as f64;
    let accuracy = trained.history[1].validation_category_accuracy.unwrap();
    assert!(accuracy > majority + 0.1, "{accuracy} vs {majority}");
    let architecture = trained.architecture.clone();
    let detector = detector(&data, trained);
    let dir = tempfile::tempdir().unwrap();
    detector.write_dir(dir.path()).unwrap();
    let reloaded = Detector::from_dir(dir.path()).unwrap();
    let score = |d: &Detector| -> Vec<f32> {
        d.predict_sliding(&data.validation.rows, 256)
            .unwrap()
            .iter()
            .map(|p| p.probability)
            .collect()
    };
    assert_eq!(score(&detector), score(&reloaded));
    assert_eq!(reloaded.manifest().architecture, architecture);
    assert_eq!(reloaded.categories(), Some(names.as_slice()));
    // The fast forward's category probabilities are Burn's, and every verdict names one.
    let windows = lstm_detector::WindowBatch::sliding(&data.validation.rows, 10);
    let fast = reloaded.category_probabilities(&windows).unwrap().unwrap();
    let burn = lstm_detector::compat::burn_category_probabilities(&reloaded, &windows)
        .unwrap()
        .unwrap();
    assert_eq!(fast.len(), windows.len() * names.len());
    let largest = fast
        .iter()
        .zip(&burn)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f32::max);
    assert!(largest < 1e-5, "{largest}");
    let verdicts = reloaded.predict_batch(&windows).unwrap();
    for (verdict, row) in verdicts.iter().zip(fast.chunks_exact(names.len())) {
        assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-5);
        let category = verdict.category.as_ref().unwrap();
        // The category is on the verdict's side; the top 3 are the most likely of all.
        assert_eq!(category.is_normal(), !verdict.is_attack(), "{verdict:?}");
        assert_eq!(category.top.len(), 3);
        assert!((0.0..=category.top[0].probability).contains(&category.probability));
        assert!(
            category
                .top
                .windows(2)
                .all(|w| w[0].probability >= w[1].probability)
        );
    }
}
