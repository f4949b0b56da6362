//! `--plot PATH`: the runner's results as an SVG bar chart (plotters' SVG
//! backend; no font files needed, the text is SVG `<text>`).
//!
//! One panel per case (dense, sparse): a bar of ns/event per strategy on a
//! log scale, each memo strategy above its hand-written twin, labelled with
//! its figure. With `--threads N`, a last panel shows each dense strategy's
//! throughput on N threads over one (above 1 scales, below 1 collapses).

use std::path::Path;

use plotters::coord::ranged1d::SegmentValue;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::common::cli::BoxError;
use crate::results::Row;

const MEMO: RGBColor = RGBColor(0x2b, 0x6c, 0xb0);
const HAND: RGBColor = RGBColor(0xe0, 0x8a, 0x1e);
const NAIVE: RGBColor = RGBColor(0x88, 0x88, 0x88);
/// Height of one bar's row, and of a panel's title and axis.
const ROW: u32 = 26;
const FRAME: u32 = 70;
const WIDTH: u32 = 1000;

/// Writes the chart of `rows` to `path`; `threads` > 1 adds the scaling panel.
pub fn write_svg(path: &Path, rows: &[Row], threads: usize) -> Result<(), BoxError> {
    let case = |name: &str, threads: usize| -> Vec<&Row> {
        ordered(
            rows.iter()
                .filter(|r| r.case == name && r.threads == threads)
                .collect(),
        )
    };
    let dense = case("dense", 1);
    let sparse = case("sparse", 1);
    let scaled = if threads > 1 {
        case("dense", threads)
    } else {
        Vec::new()
    };
    let heights: Vec<u32> = [&dense, &sparse, &scaled]
        .iter()
        .filter(|rows| !rows.is_empty())
        .map(|rows| FRAME + ROW * u32::try_from(rows.len()).unwrap_or(0))
        .collect();
    let root = SVGBackend::new(path, (WIDTH, heights.iter().sum::<u32>())).into_drawing_area();
    root.fill(&WHITE)?;
    let mut rest = root;
    let mut panels = Vec::new();
    for &height in &heights {
        let (panel, below) = rest.split_vertically(height);
        panels.push(panel);
        rest = below;
    }
    let mut panels = panels.into_iter();
    if let Some(panel) = panels.next() {
        times(
            &panel,
            &dense,
            "dense: 400 inputs, all seen — ns per event, log scale (blue: memo, orange: hand-written twin, grey: no cache; tables built before timing)",
        )?;
    }
    if let Some(panel) = panels.next() {
        times(
            &panel,
            &sparse,
            "sparse: a 2,000 × 2,000 domain, the same 400 inputs seen — ns per event, log scale (a table's build counted)",
        )?;
    }
    if let Some(panel) = panels.next() {
        scaling(&panel, &scaled, threads)?;
    }
    Ok(())
}

/// Naive first, then each memo strategy followed by its hand-written twin,
/// then the other hand-written strategies.
fn ordered(rows: Vec<&Row>) -> Vec<&Row> {
    let mut out: Vec<&Row> = Vec::with_capacity(rows.len());
    let naive = rows.iter().filter(|r| r.strategy == crate::dense::NAIVE);
    for row in naive.chain(rows.iter().filter(|r| is_memo(r))) {
        if !out.iter().any(|o| o.strategy == row.strategy) {
            out.push(row);
        }
        let twin = row
            .twin
            .and_then(|twin| rows.iter().find(|r| r.strategy == twin));
        if let Some(twin) = twin {
            if !out.iter().any(|o| o.strategy == twin.strategy) {
                out.push(twin);
            }
        }
    }
    for row in rows {
        if !out.iter().any(|o| o.strategy == row.strategy) {
            out.push(row);
        }
    }
    out
}

fn is_memo(row: &Row) -> bool {
    row.strategy.starts_with("#[")
}

fn color(row: &Row) -> RGBColor {
    if row.strategy == crate::dense::NAIVE {
        NAIVE
    } else if is_memo(row) {
        MEMO
    } else {
        HAND
    }
}

fn label(row: &Row, i: usize) -> String {
    if is_memo(row) {
        format!("{i}. memo {}", row.strategy)
    } else if row.strategy == crate::dense::NAIVE {
        format!("{i}. {}", row.strategy)
    } else {
        format!(
            "{i}. hand-written: {}",
            row.strategy.trim_start_matches("hand ")
        )
    }
}

/// One case: a bar of ns/event per strategy, on a log scale.
fn times(
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    rows: &[&Row],
    title: &str,
) -> Result<(), BoxError> {
    let (lo, hi) = rows.iter().fold((f64::MAX, f64::MIN), |(lo, hi), r| {
        (lo.min(r.ns_per_event), hi.max(r.ns_per_event))
    });
    let lo = 10f64.powf((lo.max(0.01) / 2.0).log10().floor());
    let hi = 10f64.powf((hi * 4.0).log10().ceil());
    let n = i32::try_from(rows.len()).unwrap_or(0);
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 16))
        .margin(8)
        .margin_right(48)
        .x_label_area_size(24)
        .y_label_area_size(330)
        .build_cartesian_2d((lo..hi).log_scale(), (0..n).into_segmented())?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(rows.len() + 1)
        .y_label_formatter(&|y| row_label(rows, n, y))
        .x_label_formatter(&|x: &f64| format!("{x} ns"))
        .draw()?;
    for (at, row) in rows.iter().enumerate() {
        let value = row.ns_per_event.max(lo);
        bar(
            &mut chart,
            n,
            at,
            lo,
            value,
            color(row),
            format!(" {:.2}", row.ns_per_event),
        )?;
    }
    Ok(())
}

/// Throughput on `threads` threads over one, per dense strategy.
fn scaling(
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    rows: &[&Row],
    threads: usize,
) -> Result<(), BoxError> {
    let n = i32::try_from(rows.len()).unwrap_or(0);
    let top = rows
        .iter()
        .filter_map(|r| r.scaling_vs_one_thread)
        .fold(f64::from(u32::try_from(threads).unwrap_or(2)), f64::max)
        * 1.15;
    let mut chart = ChartBuilder::on(area)
        .caption(
            format!("{threads} threads ÷ 1 thread, throughput (above 1 scales, below 1 collapses)"),
            ("sans-serif", 16),
        )
        .margin(8)
        .margin_right(48)
        .x_label_area_size(24)
        .y_label_area_size(330)
        .build_cartesian_2d(0.0..top, (0..n).into_segmented())?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(rows.len() + 1)
        .y_label_formatter(&|y| row_label(rows, n, y))
        .x_label_formatter(&|x: &f64| format!("{x:.1}×"))
        .draw()?;
    for (at, row) in rows.iter().enumerate() {
        let ratio = row.scaling_vs_one_thread.unwrap_or(0.0);
        bar(
            &mut chart,
            n,
            at,
            0.0,
            ratio,
            color(row),
            format!(" {ratio:.2}×"),
        )?;
    }
    chart.draw_series(std::iter::once(PathElement::new(
        vec![(1.0, SegmentValue::Exact(0)), (1.0, SegmentValue::Last)],
        BLACK.stroke_width(1),
    )))?;
    Ok(())
}

/// The label of the row at segment `y` (rows are drawn top down).
fn row_label(rows: &[&Row], n: i32, y: &SegmentValue<i32>) -> String {
    match y {
        SegmentValue::CenterOf(i) => usize::try_from(n - 1 - *i)
            .ok()
            .and_then(|at| rows.get(at).map(|r| label(r, at + 1)))
            .unwrap_or_default(),
        _ => String::new(),
    }
}

type Chart<'a, X> = ChartContext<
    'a,
    SVGBackend<'a>,
    Cartesian2d<
        X,
        plotters::coord::ranged1d::SegmentedCoord<plotters::coord::types::RangedCoordi32>,
    >,
>;

/// Row `at`'s bar from `from` to `to`, with `text` at its end.
fn bar<X>(
    chart: &mut Chart<'_, X>,
    n: i32,
    at: usize,
    from: f64,
    to: f64,
    color: RGBColor,
    text: String,
) -> Result<(), BoxError>
where
    X: Ranged<ValueType = f64>,
{
    let y = n - 1 - i32::try_from(at).unwrap_or(0);
    let mut rect = Rectangle::new(
        [
            (from, SegmentValue::Exact(y)),
            (to, SegmentValue::Exact(y + 1)),
        ],
        color.filled(),
    );
    rect.set_margin(3, 3, 0, 0);
    chart.draw_series(std::iter::once(rect))?;
    let style =
        TextStyle::from(("sans-serif", 13).into_font()).pos(Pos::new(HPos::Left, VPos::Center));
    chart.draw_series(std::iter::once(Text::new(
        text,
        (to, SegmentValue::CenterOf(y)),
        style,
    )))?;
    Ok(())
}
