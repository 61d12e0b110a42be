//! Workbooks out (SPEC §9): any command's figures as one sheet a staff
//! officer can filter — typed cells (numbers as numbers, dates as dates,
//! codes as text so leading zeros survive), a bold frozen header with an
//! autofilter, sensible widths, and the levels coloured as on a terminal.

use std::path::Path;

use rust_xlsxwriter::{Color, ExcelDateTime, Format, Workbook, Worksheet, XlsxError};

use crate::error::Error;
use crate::output::{Report, Value};

/// Columns whose ISO text is written as a date cell.
fn is_date_column(name: &str) -> bool {
    matches!(
        name,
        "as_of"
            | "from_as_of"
            | "to_as_of"
            | "expires"
            | "last_inspected"
            | "next_test"
            | "date"
            | "since"
            | "first_as_of"
            | "latest_as_of"
    )
}

fn level_color(level: u8) -> Color {
    match level {
        1 => Color::RGB(0x1A7F37),
        2 => Color::RGB(0x9A6700),
        3 => Color::RGB(0xBC4C00),
        _ => Color::RGB(0xCF222E),
    }
}

fn iso_date(text: &str) -> Option<ExcelDateTime> {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (y, m, d) = (
        text[..4].parse().ok()?,
        text[5..7].parse().ok()?,
        text[8..].parse().ok()?,
    );
    ExcelDateTime::from_ymd(y, m, d).ok()
}

/// Writes `report` as sheet `sheet` of a new workbook at `path`.
pub fn write(path: &Path, sheet: &str, report: &Report) -> Result<(), Error> {
    let io = |e: XlsxError| Error::Io {
        path: path.to_path_buf(),
        source: std::io::Error::other(e.to_string()),
    };
    let mut book = Workbook::new();
    let ws = book.add_worksheet();
    fill(ws, sheet, report).map_err(io)?;
    book.save(path).map_err(io)
}

fn fill(ws: &mut Worksheet, sheet: &str, report: &Report) -> Result<(), XlsxError> {
    ws.set_name(sheet)?;
    let header = Format::new().set_bold();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let rate = Format::new().set_num_format("0.0%");
    let bold = Format::new().set_bold();
    let mut widths: Vec<usize> = report.columns.iter().map(|c| c.len() + 2).collect();
    for (c, name) in report.columns.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, name, &header)?;
    }
    let rows = report.rows.iter().map(|r| (r, false));
    let total = report.total.iter().map(|r| (r, true));
    let mut last_row = 0u32;
    for (i, (row, is_total)) in rows.chain(total).enumerate() {
        let r = i as u32 + 1;
        last_row = r;
        for (c, value) in row.iter().enumerate() {
            let col = c as u16;
            let name = report.columns[c].as_str();
            let width = match value {
                Value::Null | Value::Blank if is_total && c == 0 => {
                    ws.write_string_with_format(r, col, "TOTAL", &bold)?;
                    5
                }
                Value::Null | Value::Blank => 0,
                Value::Int(n) | Value::Shortfall(n) | Value::Delta(n) | Value::Absent(n) => {
                    ws.write_number(r, col, *n as f64)?;
                    n.to_string().len()
                }
                Value::Real(x) => {
                    ws.write_number(r, col, *x)?;
                    8
                }
                Value::Rate(x) | Value::RateBar(x) => {
                    ws.write_number_with_format(r, col, *x, &rate)?;
                    7
                }
                Value::Bool(b) => {
                    ws.write_boolean(r, col, *b)?;
                    5
                }
                Value::Text(t) | Value::Code(t) => {
                    match iso_date(t).filter(|_| is_date_column(name)) {
                        Some(d) => ws.write_datetime_with_format(r, col, d, &date)?,
                        None => ws.write_string(r, col, t)?,
                    };
                    t.chars().count()
                }
                // The overall level is a number a sheet can sort, filter
                // and compare (`=MAX(…)`); R and S levels keep their letter.
                Value::Level(l) => {
                    let f = Format::new().set_font_color(level_color(*l)).set_bold();
                    ws.write_number_with_format(r, col, f64::from(*l), &f)?;
                    2
                }
                Value::RLevel(l) | Value::SLevel(l) => {
                    let text = match value {
                        Value::RLevel(_) => format!("R{l}"),
                        _ => format!("S{l}"),
                    };
                    let f = Format::new().set_font_color(level_color(*l)).set_bold();
                    ws.write_string_with_format(r, col, &text, &f)?;
                    2
                }
            };
            widths[c] = widths[c].max(width + 2);
        }
    }
    for (c, w) in widths.iter().enumerate() {
        ws.set_column_width(c as u16, (*w).min(60) as f64)?;
    }
    ws.set_freeze_panes(1, 0)?;
    if !report.columns.is_empty() {
        ws.autofilter(0, 0, last_row, report.columns.len() as u16 - 1)?;
    }
    Ok(())
}
