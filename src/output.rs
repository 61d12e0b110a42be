//! Renders every command's figures as a table for people, CSV or JSON
//! (SPEC §5). Commands build a [`Report`]; nothing else formats output.

use std::io::{self, Write};

use comfy_table::{Cell, CellAlignment, Color, ContentArrangement, LineStyle, Table, TableStyle};
use serde_json::{Map, Value as Json};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Csv,
    Json,
}

/// How a table looks on this terminal.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub color: bool,
    pub width: Option<u16>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    /// Any other number, shown as it is.
    Real(f64),
    /// A fraction 0–1, shown as a percentage in tables.
    Rate(f64),
    /// A rate that tables also draw as a bar, so weak rows show at a glance.
    RateBar(f64),
    Text(String),
    RLevel(u8),
    SLevel(u8),
    Level(u8),
}

impl From<Option<String>> for Value {
    fn from(v: Option<String>) -> Self {
        v.map_or(Value::Null, Value::Text)
    }
}

impl Value {
    fn json(&self) -> Json {
        match self {
            Value::Null => Json::Null,
            Value::Int(i) => Json::from(*i),
            Value::Real(r) => serde_json::Number::from_f64(*r).map_or(Json::Null, Json::Number),
            Value::Rate(r) | Value::RateBar(r) => {
                serde_json::Number::from_f64(*r).map_or(Json::Null, Json::Number)
            }
            Value::Text(s) => Json::from(s.as_str()),
            Value::RLevel(l) => Json::from(format!("R{l}")),
            Value::SLevel(l) => Json::from(format!("S{l}")),
            Value::Level(l) => Json::from(*l),
        }
    }

    fn plain(&self) -> String {
        match self {
            Value::Null => String::new(),
            Value::Int(i) => i.to_string(),
            Value::Real(r) => r.to_string(),
            Value::Rate(r) | Value::RateBar(r) => format!("{}", round(*r, 6)),
            Value::Text(s) => s.clone(),
            Value::RLevel(l) => format!("R{l}"),
            Value::SLevel(l) => format!("S{l}"),
            Value::Level(l) => l.to_string(),
        }
    }

    fn cell(&self, style: &Style) -> Cell {
        let level_color = |l: u8| match l {
            1 => Color::Green,
            2 => Color::Yellow,
            3 => Color::DarkYellow,
            _ => Color::Red,
        };
        match self {
            Value::Null => Cell::new("–").set_alignment(CellAlignment::Right),
            Value::Int(i) => Cell::new(group_thousands(*i)).set_alignment(CellAlignment::Right),
            Value::Real(r) => Cell::new(r).set_alignment(CellAlignment::Right),
            Value::Rate(r) => {
                Cell::new(format!("{:.1}%", r * 100.0)).set_alignment(CellAlignment::Right)
            }
            Value::RateBar(r) => Cell::new(format!("{:>6.1}% {}", r * 100.0, bar(*r, 8))),
            Value::Text(s) => Cell::new(s),
            Value::RLevel(l) | Value::SLevel(l) | Value::Level(l) => {
                let cell = Cell::new(self.plain()).set_alignment(CellAlignment::Center);
                if style.color {
                    cell.fg(level_color(*l))
                } else {
                    cell
                }
            }
        }
    }
}

/// A bar of `width` cells in eighth blocks: 0.925 of 8 → "███████▍".
fn bar(rate: f64, width: usize) -> String {
    const PARTS: [char; 8] = [' ', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];
    let eighths = (rate.clamp(0.0, 1.0) * (width * 8) as f64).round() as usize;
    let mut s: String = "█".repeat(eighths / 8);
    if !eighths.is_multiple_of(8) {
        s.push(PARTS[eighths % 8]);
    }
    format!("{s:<width$}")
}

fn round(x: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (x * f).round() / f
}

fn group_thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Rows of figures under named columns; the first `keys` columns are the
/// group keys, left out of the totals.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub columns: Vec<String>,
    pub keys: usize,
    pub rows: Vec<Vec<Value>>,
    pub total: Option<Vec<Value>>,
    /// Columns a table may leave out, first to last, when the terminal is
    /// too narrow for all of them (CSV and JSON always carry every column).
    pub optional: Vec<usize>,
}

impl Report {
    pub fn new(columns: &[&str], keys: usize) -> Report {
        Report {
            columns: columns.iter().map(|c| c.to_string()).collect(),
            keys,
            ..Report::default()
        }
    }
}

pub fn render(
    report: &Report,
    format: Format,
    style: &Style,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        Format::Json => render_json(report, out),
        Format::Csv => render_csv(report, out),
        Format::Table => render_table(report, style, out),
    }
}

fn render_json(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let object = |values: &[Value], skip: usize| -> Json {
        let mut map = Map::new();
        for (name, value) in report.columns.iter().zip(values).skip(skip) {
            map.insert(name.clone(), value.json());
        }
        Json::Object(map)
    };
    let rows: Vec<Json> = report.rows.iter().map(|r| object(r, 0)).collect();
    let total = report
        .total
        .as_ref()
        .map_or(Json::Null, |t| object(t, report.keys));
    let doc = serde_json::json!({ "rows": rows, "total": total });
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

/// A CSV writer's error as the I/O error beneath it, so that a closed pipe
/// stays recognisable as one.
pub fn csv_io(e: csv::Error) -> io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => io::Error::other(format!("{other:?}")),
    }
}

fn render_csv(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(&report.columns).map_err(csv_io)?;
    for row in &report.rows {
        w.write_record(row.iter().map(Value::plain))
            .map_err(csv_io)?;
    }
    w.flush()
}

/// The columns that fit `width`: optional ones are left out, in order,
/// until the natural width of the rest fits.
fn visible_columns(report: &Report, width: Option<u16>) -> Vec<usize> {
    let all: Vec<usize> = (0..report.columns.len()).collect();
    let Some(width) = width else { return all };
    let cell_width = |i: usize| -> usize {
        let rows = report.rows.iter().chain(report.total.iter());
        let content = rows
            .filter_map(|r| r.get(i))
            .map(|v| match v {
                Value::RateBar(_) => 15,
                Value::Int(n) => group_thousands(*n).len(),
                other => other.plain().chars().count(),
            })
            .max()
            .unwrap_or(0);
        let header = report.columns[i].chars().count();
        // Padding on both sides and the column's share of the borders.
        content.max(header) + 3
    };
    let mut shown = all;
    for drop in &report.optional {
        let total: usize = shown.iter().map(|&i| cell_width(i)).sum::<usize>() + 1;
        if total <= usize::from(width) {
            break;
        }
        shown.retain(|i| i != drop);
    }
    shown
}

fn render_table(report: &Report, style: &Style, out: &mut dyn Write) -> io::Result<()> {
    if report.rows.is_empty() {
        return writeln!(out, "(no rows)");
    }
    let shown = visible_columns(report, style.width);
    let pick = |row: &[Value]| -> Vec<Value> { shown.iter().map(|&i| row[i].clone()).collect() };
    let narrowed = Report {
        columns: shown.iter().map(|&i| report.columns[i].clone()).collect(),
        keys: shown.iter().filter(|&&i| i < report.keys).count(),
        rows: report.rows.iter().map(|r| pick(r)).collect(),
        total: report.total.as_ref().map(|t| pick(t)),
        optional: Vec::new(),
    };
    let report = &narrowed;
    let mut table = Table::new();
    // A rule under the header and nothing else: figures, not boxes.
    table.load_style(TableStyle::new().header_separator(LineStyle::none().fill('─').junction('─')));
    table.set_content_arrangement(ContentArrangement::Dynamic);
    if let Some(w) = style.width {
        table.set_width(w);
    }
    if style.color {
        table.enforce_styling();
    }
    table.set_header(
        report
            .columns
            .iter()
            .map(|c| Cell::new(c.replace('_', " "))),
    );
    for row in &report.rows {
        table.add_row(row.iter().map(|v| v.cell(style)));
    }
    if let Some(total) = &report.total {
        let mut cells: Vec<Cell> = Vec::with_capacity(total.len());
        for (i, v) in total.iter().enumerate() {
            if i < report.keys {
                cells.push(Cell::new(if i == 0 { "TOTAL" } else { "" }));
            } else {
                cells.push(v.cell(style));
            }
        }
        table.add_row(cells);
    }
    writeln!(out, "{table}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands() {
        assert_eq!(group_thousands(0), "0");
        assert_eq!(group_thousands(2598), "2,598");
        assert_eq!(group_thousands(1000000), "1,000,000");
    }

    #[test]
    fn json_shape() {
        let mut r = Report::new(&["depot", "on_hand", "mc_rate", "r_level"], 1);
        r.rows.push(vec![
            Value::Text("A".into()),
            Value::Int(3),
            Value::Rate(0.5),
            Value::RLevel(4),
        ]);
        r.total = Some(vec![
            Value::Null,
            Value::Int(3),
            Value::Rate(0.5),
            Value::RLevel(4),
        ]);
        let mut buf = Vec::new();
        render(
            &r,
            Format::Json,
            &Style {
                color: false,
                width: None,
            },
            &mut buf,
        )
        .unwrap();
        let v: Json = serde_json::from_slice(&buf).unwrap();
        assert_eq!(v["rows"][0]["depot"], "A");
        assert_eq!(v["rows"][0]["mc_rate"], 0.5);
        assert_eq!(v["total"]["r_level"], "R4");
        assert!(v["total"].get("depot").is_none());
    }
}
