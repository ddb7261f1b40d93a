//! `--config` files and model cards' `training` object: JSON over the shipped defaults, key by
//! key, refusing keys no setting has.

use anyhow::bail;
use lstm_detector::TrainingConfig;

/// A training configuration from JSON text; see [`training_config`].
pub(super) fn parse_config(text: &str) -> anyhow::Result<TrainingConfig> {
    training_config(serde_json::from_str(text)?)
}

/// A training configuration from its JSON form: keys left out keep the shipped model's value,
/// the network's settings may also sit at the top level (cards written before they were
/// nested under `network`), and keys it does not know are refused (they would otherwise be
/// dropped silently, training with settings the user did not ask for).
pub(crate) fn training_config(mut given: serde_json::Value) -> anyhow::Result<TrainingConfig> {
    if let Some(object) = given.as_object_mut() {
        for key in ["hidden_sizes", "head_sizes", "embedding_dim", "dropout"] {
            if let Some(value) = object.remove(key) {
                let network = object
                    .entry("network")
                    .or_insert_with(|| serde_json::json!({}));
                if let Some(network) = network.as_object_mut() {
                    network.entry(key).or_insert(value);
                }
            }
        }
    }
    let mut config = serde_json::to_value(TrainingConfig::new())?;
    let mut unknown = Vec::new();
    overlay(&mut config, &given, "", &mut unknown);
    if !unknown.is_empty() {
        bail!("unknown keys {}", unknown.join(", "));
    }
    Ok(serde_json::from_value(config)?)
}

/// Writes the values of `given` over `config`, key by key at any depth; the paths of keys
/// `config` lacks go to `unknown`.
fn overlay(
    config: &mut serde_json::Value,
    given: &serde_json::Value,
    at: &str,
    unknown: &mut Vec<String>,
) {
    match (config.as_object_mut(), given.as_object()) {
        (Some(config), Some(given)) => {
            for (key, value) in given {
                let path = format!("{at}{key}");
                match config.get_mut(key) {
                    Some(slot) => overlay(slot, value, &format!("{path}."), unknown),
                    None => unknown.push(path),
                }
            }
        }
        _ => *config = given.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configs_are_read_nested_and_unknown_keys_refused() {
        let card = include_str!("../../../../../models/unsw-nb15-lstm/card.json");
        let card: serde_json::Value = serde_json::from_str(card).unwrap();
        let shipped = parse_config(&card["training"].to_string()).unwrap();
        assert_eq!(shipped, TrainingConfig::new());
        let partial = parse_config(r#"{"network": {"hidden_sizes": [8]}}"#).unwrap();
        assert_eq!(partial.network.hidden_sizes, [8]);
        assert_eq!(
            partial.network.head_sizes,
            TrainingConfig::new().network.head_sizes
        );
        let wrong_type = parse_config(r#"{"epochs": "many"}"#)
            .unwrap_err()
            .to_string();
        assert!(wrong_type.contains("invalid type"), "{wrong_type}");
        let unknown = parse_config(r#"{"hidden": [8], "network": {"drop": 1}}"#);
        let message = unknown.unwrap_err().to_string();
        assert!(message.contains("hidden, network.drop"), "{message}");
        // The layout of cards written before the network's settings were nested (and before
        // the category head had any).
        let mut flat = card["training"].clone();
        let network = flat.as_object_mut().unwrap().remove("network").unwrap();
        for key in ["hidden_sizes", "head_sizes", "embedding_dim", "dropout"] {
            flat[key] = network[key].clone();
        }
        assert!(flat.get("hidden_sizes").is_some());
        assert_eq!(training_config(flat).unwrap(), TrainingConfig::new());
    }
}
