//! PNG charts of an evaluation: the ROC curve, the training-loss curve and the category
//! confusion heatmap (plotters, with an embedded font so that no system font is needed).

use std::path::Path;
use std::sync::Once;

use anyhow::anyhow;
use lstm_detector::{CategoryEvaluation, EpochReport, RocPoint};
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

/// Draws the category confusion matrix as a heatmap: each row (actual category) shaded by the
/// share of its windows in each predicted category, with the counts written in the cells.
pub fn confusion_png(path: &Path, title: &str, e: &CategoryEvaluation) -> anyhow::Result<()> {
    use plotters::coord::ranged1d::SegmentValue;
    use plotters::style::text_anchor::{HPos, Pos, VPos};

    register()?;
    let n = e.categories.len();
    let root = BitMapBackend::new(path, (900, 960)).into_drawing_area();
    root.fill(&WHITE).map_err(plot_error)?;
    let names: Vec<&str> = e.categories.iter().map(|c| c.name.as_str()).collect();
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 24))
        .margin(16)
        .x_label_area_size(190)
        .y_label_area_size(140)
        // An integer range holds both ends: `0..n - 1` is n segments.
        .build_cartesian_2d((0..n - 1).into_segmented(), (0..n - 1).into_segmented())
        .map_err(plot_error)?;
    // Row 0 (the first category) at the top.
    let label = |value: &SegmentValue<usize>, flip: bool| match value {
        SegmentValue::CenterOf(i) if *i < n => {
            let name = names[if flip { n - 1 - i } else { *i }];
            // Rotated labels are centred on their tick: as many spaces before the name (a
            // monospaced font) put it all below the axis.
            match flip {
                true => name.to_owned(),
                false => format!("{:width$}{name}", "", width = name.chars().count()),
            }
        }
        _ => String::new(),
    };
    chart
        .configure_mesh()
        .disable_mesh()
        .x_labels(n + 1)
        .y_labels(n + 1)
        .x_label_formatter(&|v| label(v, false))
        .y_label_formatter(&|v| label(v, true))
        .x_desc("predicted")
        .y_desc("actual")
        .x_label_style(
            ("sans-serif", 15)
                .into_font()
                .transform(FontTransform::Rotate90),
        )
        .y_label_style(("sans-serif", 15))
        // Else the axis titles take the x labels' style, rotated with them.
        .axis_desc_style(("sans-serif", 16))
        .draw()
        .map_err(plot_error)?;
    let centered = Pos::new(HPos::Center, VPos::Center);
    for (actual, row) in e.confusion.iter().enumerate() {
        let total: usize = row.iter().sum();
        let y = n - 1 - actual;
        for (predicted, &count) in row.iter().enumerate() {
            let share = if total > 0 {
                count as f64 / total as f64
            } else {
                0.0
            };
            let fill = RGBColor(
                (255.0 - 215.0 * share) as u8,
                (255.0 - 150.0 * share) as u8,
                255 - (40.0 * share) as u8,
            );
            let cell = [
                (SegmentValue::Exact(predicted), SegmentValue::Exact(y)),
                (
                    SegmentValue::Exact(predicted + 1),
                    SegmentValue::Exact(y + 1),
                ),
            ];
            chart
                .draw_series(std::iter::once(Rectangle::new(cell, fill.filled())))
                .map_err(plot_error)?;
            let color = if share > 0.55 { WHITE } else { BLACK };
            let style = ("sans-serif", 15).into_font().color(&color).pos(centered);
            chart
                .draw_series(std::iter::once(Text::new(
                    count.to_string(),
                    (SegmentValue::CenterOf(predicted), SegmentValue::CenterOf(y)),
                    style,
                )))
                .map_err(plot_error)?;
        }
    }
    root.present().map_err(plot_error)?;
    Ok(())
}
