//! PNG charts of an evaluation: the ROC curve and the training-loss curve (plotters, with an
//! embedded font so that no system font is needed).

use std::path::Path;
use std::sync::Once;

use anyhow::anyhow;
use lstm_detector::{EpochReport, RocPoint};
use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};

const FONT: &[u8] = include_bytes!("../assets/DejaVuSansMono.ttf");
const SIZE: (u32, u32) = (800, 600);

fn register() -> anyhow::Result<()> {
    static REGISTER: Once = Once::new();
    let mut result = Ok(());
    REGISTER.call_once(|| {
        result = register_font("sans-serif", FontStyle::Normal, FONT)
            .map_err(|_| anyhow!("the embedded font is not a valid TrueType font"));
    });
    result
}

fn plot_error<E: std::fmt::Debug>(error: E) -> anyhow::Error {
    anyhow!("drawing a chart: {error:?}")
}

/// Draws ROC curves (one per labelled series) with the chance diagonal.
pub fn roc_png(path: &Path, curves: &[(String, &[RocPoint])]) -> anyhow::Result<()> {
    register()?;
    let root = BitMapBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(plot_error)?;
    let mut chart = ChartBuilder::on(&root)
        .caption("ROC curve, test windows", ("sans-serif", 26))
        .margin(16)
        .x_label_area_size(48)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..1.0, 0.0..1.0)
        .map_err(plot_error)?;
    chart
        .configure_mesh()
        .x_desc("false positive rate")
        .y_desc("true positive rate")
        .label_style(("sans-serif", 16))
        .draw()
        .map_err(plot_error)?;
    chart
        .draw_series(LineSeries::new(
            [(0.0, 0.0), (1.0, 1.0)],
            BLACK.mix(0.3).stroke_width(1),
        ))
        .map_err(plot_error)?;
    for (i, (label, curve)) in curves.iter().enumerate() {
        let color = Palette99::pick(i).to_rgba();
        chart
            .draw_series(LineSeries::new(
                curve
                    .iter()
                    .map(|p| (p.false_positive_rate, p.true_positive_rate)),
                color.stroke_width(2),
            ))
            .map_err(plot_error)?
            .label(label.as_str())
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], color.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .label_font(("sans-serif", 16))
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK.mix(0.4))
        .draw()
        .map_err(plot_error)?;
    root.present().map_err(plot_error)?;
    Ok(())
}

/// Draws training and validation loss per epoch, marking the kept epoch.
pub fn loss_png(path: &Path, history: &[EpochReport], best_epoch: usize) -> anyhow::Result<()> {
    register()?;
    let root = BitMapBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(plot_error)?;
    let top = history
        .iter()
        .map(|r| r.train_loss.max(r.validation_loss))
        .fold(0.0, f64::max)
        * 1.05;
    let epochs = history.len().max(1) as f64;
    let mut chart = ChartBuilder::on(&root)
        .caption("Training loss (binary cross-entropy)", ("sans-serif", 26))
        .margin(16)
        .x_label_area_size(48)
        .y_label_area_size(70)
        .build_cartesian_2d(0.5..epochs + 0.5, 0.0..top.max(1e-3))
        .map_err(plot_error)?;
    chart
        .configure_mesh()
        .x_desc("epoch")
        .y_desc("loss")
        .x_labels(history.len().clamp(2, 20))
        .x_label_formatter(&|x| format!("{x:.0}"))
        .label_style(("sans-serif", 16))
        .draw()
        .map_err(plot_error)?;
    type Series = (&'static str, RGBColor, fn(&EpochReport) -> f64);
    let series: [Series; 2] = [
        ("train", BLUE, |r| r.train_loss),
        ("validation", RED, |r| r.validation_loss),
    ];
    for (label, color, value) in series {
        let points: Vec<(f64, f64)> = history.iter().map(|r| (r.epoch as f64, value(r))).collect();
        chart
            .draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))
            .map_err(plot_error)?
            .label(label)
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], color.stroke_width(2)));
        chart
            .draw_series(
                points
                    .into_iter()
                    .map(|p| Circle::new(p, 3, color.filled())),
            )
            .map_err(plot_error)?;
    }
    let best = best_epoch as f64;
    chart
        .draw_series(LineSeries::new(
            [(best, 0.0), (best, top)],
            BLACK.mix(0.4).stroke_width(1),
        ))
        .map_err(plot_error)?
        .label(format!("kept: epoch {best_epoch}"))
        .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], BLACK.mix(0.4)));
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .label_font(("sans-serif", 16))
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK.mix(0.4))
        .draw()
        .map_err(plot_error)?;
    root.present().map_err(plot_error)?;
    Ok(())
}
