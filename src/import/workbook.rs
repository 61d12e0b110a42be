//! Spreadsheets as exports (SPEC §9): `.xlsx`, `.xlsm`, `.xls`, `.ods`
//! (and `.xlsb`) read with calamine, one sheet, each row turned into the
//! text a careful clerk would have typed, so that the same validator reads
//! it: dates as ISO dates whatever their display format, whole numbers
//! without `.0`, text cells as typed (leading zeros kept).

use std::path::Path;

use calamine::{Data, Reader};
use chrono::{Duration, NaiveDate};

/// The extensions read as workbooks.
const EXTENSIONS: [&str; 5] = ["xlsx", "xlsm", "xls", "ods", "xlsb"];

pub fn is_workbook(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| EXTENSIONS.iter().any(|x| e.eq_ignore_ascii_case(x)))
}

/// One sheet's non-empty rows, each with its row number as the spreadsheet
/// shows it.
pub struct Sheet {
    pub name: String,
    /// `xlsx`, `ods` …: how the summary names the file's kind.
    pub format: String,
    pub rows: Vec<(u64, Vec<Data>)>,
}

/// Reads sheet `name` (the first sheet when None).
pub fn read(path: &Path, name: Option<&str>) -> Result<Sheet, String> {
    let mut book = calamine::open_workbook_auto(path)
        .map_err(|e| format!("cannot be read as a workbook: {e}"))?;
    let names = book.sheet_names();
    let name = match name {
        Some(n) => names
            .iter()
            .find(|s| s.as_str() == n || s.eq_ignore_ascii_case(n))
            .cloned()
            .ok_or_else(|| format!("has no sheet \"{n}\" (its sheets: {})", names.join(", ")))?,
        None => names
            .first()
            .cloned()
            .ok_or_else(|| "has no sheets".to_string())?,
    };
    let range = book
        .worksheet_range(&name)
        .map_err(|e| format!("sheet \"{name}\" cannot be read: {e}"))?;
    let first_row = range.start().map_or(0, |(row, _)| row);
    let rows = range
        .rows()
        .enumerate()
        .map(|(i, cells)| (u64::from(first_row) + i as u64 + 1, cells.to_vec()))
        .collect();
    Ok(Sheet {
        name,
        format: path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("workbook")
            .to_ascii_lowercase(),
        rows,
    })
}

/// The text of a cell. In a date column a number is an Excel serial date
/// (a date cell that lost its format) and is read as that date.
pub fn cell_text(cell: &Data, date_column: bool) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        Data::Int(i) if date_column => serial_date(*i as f64).unwrap_or_else(|| i.to_string()),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if date_column => serial_date(*f).unwrap_or_else(|| number(*f)),
        Data::Float(f) => number(*f),
        Data::DateTime(dt) if dt.is_datetime() => match dt.as_datetime() {
            Some(t) if t.time() == chrono::NaiveTime::MIN => t.date().to_string(),
            Some(t) => t.format("%Y-%m-%d %H:%M:%S").to_string(),
            None => number(dt.as_f64()),
        },
        Data::DateTime(dt) => number(dt.as_f64()),
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => e.to_string(),
    }
}

/// A number as a spreadsheet shows it: whole numbers without decimals, and
/// a number past 15 significant digits — a long code the spreadsheet took
/// for a number and rounded — the way it displays it, `1.23456789012346E+16`,
/// which the validator refuses in code columns.
fn number(f: f64) -> String {
    if f.fract() != 0.0 || !f.is_finite() {
        return f.to_string();
    }
    if f.abs() < 1e15 {
        return format!("{}", f as i64);
    }
    let exponent = f.abs().log10().floor() as i32;
    let mantissa = f / 10f64.powi(exponent);
    let digits = format!("{mantissa:.14}");
    let digits = digits.trim_end_matches('0').trim_end_matches('.');
    format!("{digits}E+{exponent:02}")
}

/// Excel's serial day number (1900 date system: day 0 is 1899-12-30, which
/// absorbs Lotus's leap-year bug for every date after February 1900).
fn serial_date(f: f64) -> Option<String> {
    if !(1.0..=2_958_465.0).contains(&f) || f.fract() != 0.0 {
        return None;
    }
    let epoch = NaiveDate::from_ymd_opt(1899, 12, 30)?;
    epoch
        .checked_add_signed(Duration::days(f as i64))
        .map(|d| d.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_read_as_typed() {
        assert_eq!(cell_text(&Data::Float(48.0), false), "48");
        assert_eq!(cell_text(&Data::Float(48.5), false), "48.5");
        assert_eq!(cell_text(&Data::String("000123".into()), false), "000123");
        assert_eq!(
            cell_text(&Data::Float(12345678901234567.0), false),
            "1.23456789012346E+16"
        );
        assert_eq!(cell_text(&Data::Float(46327.0), true), "2026-11-01");
        assert_eq!(cell_text(&Data::Int(46327), true), "2026-11-01");
        assert_eq!(cell_text(&Data::Float(46327.0), false), "46327");
        assert_eq!(
            cell_text(&Data::DateTimeIso("2026-11-01".into()), false),
            "2026-11-01"
        );
    }
}
