//! Value parsers for numeric flags: every number a user types is range-checked by clap, with
//! the accepted range in its error, before any command runs.

/// A share strictly between 0 and 1 (`--test-fraction`, `--validation-fraction`).
pub fn fraction(text: &str) -> Result<f64, String> {
    let value: f64 = text.parse().map_err(|e| format!("{e}"))?;
    if value > 0.0 && value < 1.0 {
        Ok(value)
    } else {
        Err(format!("must be above 0 and below 1, got {value}"))
    }
}

/// A probability from 0 to 1 (`--threshold`).
pub fn probability(text: &str) -> Result<f32, String> {
    let value: f32 = text.parse().map_err(|e| format!("{e}"))?;
    if (0.0..=1.0).contains(&value) {
        Ok(value)
    } else {
        Err(format!("must be from 0 to 1, got {value}"))
    }
}

/// A finite number from `min` (included) to `max` (excluded unless `max_included`).
fn bounded(text: &str, min: f64, max: f64, max_included: bool) -> Result<f64, String> {
    let value: f64 = text.parse().map_err(|e| format!("{e}"))?;
    let below_max = value < max || (max_included && value == max);
    if value >= min && below_max {
        Ok(value)
    } else {
        let close = if max_included { ']' } else { ')' };
        Err(format!("must be in [{min}, {max}{close}, got {value}"))
    }
}

/// Dropout: [0, 1).
pub fn dropout(text: &str) -> Result<f64, String> {
    bounded(text, 0.0, 1.0, false)
}

/// Learning rate: above 0, at most 1.
pub fn learning_rate(text: &str) -> Result<f64, String> {
    let value = bounded(text, 0.0, 1.0, true)?;
    if value > 0.0 {
        Ok(value)
    } else {
        Err("must be above 0".into())
    }
}

/// Weight decay: [0, 1].
pub fn weight_decay(text: &str) -> Result<f64, String> {
    bounded(text, 0.0, 1.0, true)
}

/// Category loss weight: [0, 100] (as `TrainingConfig::check` accepts).
pub fn category_loss_weight(text: &str) -> Result<f64, String> {
    bounded(text, 0.0, 100.0, true)
}

/// Category weight power: [0, 2].
pub fn category_weight_power(text: &str) -> Result<f64, String> {
    bounded(text, 0.0, 2.0, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_refuse_what_the_commands_cannot_use() {
        assert_eq!(fraction("0.3"), Ok(0.3));
        for bad in ["1.5", "1", "0", "-0.1", "NaN", "inf", "x"] {
            assert!(fraction(bad).is_err(), "{bad}");
        }
        assert_eq!(
            fraction("1.5").unwrap_err(),
            "must be above 0 and below 1, got 1.5"
        );
        assert_eq!(probability("1"), Ok(1.0));
        assert!(probability("NaN").is_err() && probability("-0.5").is_err());
        assert_eq!(dropout("0.4"), Ok(0.4));
        assert_eq!(dropout("1").unwrap_err(), "must be in [0, 1), got 1");
        assert!(learning_rate("0").is_err() && learning_rate("NaN").is_err());
        assert_eq!(weight_decay("1"), Ok(1.0));
    }
}
