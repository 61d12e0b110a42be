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

/// Limits on what a workbook may make the reader hold, far above any depot
/// export (SPEC §9's largest is a million rows of some fifteen columns),
/// far below what would exhaust a headquarters laptop: a hostile or broken
/// file is refused before it is unpacked, never allowed to abort the
/// import. Bounded here because calamine allocates a sheet's whole
/// rectangle and every shared string as it opens them.
const MAX_PART_BYTES: u64 = 1 << 30;
const MAX_TOTAL_BYTES: u64 = 3 << 30;
/// Unpacked over packed, for parts big enough to matter: spreadsheet XML
/// packs some 5–20 times; a zip bomb thousands of times.
const MAX_RATIO: u64 = 100;
const RATIO_FROM_BYTES: u64 = 64 << 20;
/// Columns a row may reach: a depot export has about fifteen.
pub const MAX_COLUMNS: u32 = 1024;

/// The name of column `col` (0-based) as a spreadsheet shows it: A, Z, AA …
fn column_name(mut col: u32) -> String {
    let mut name = Vec::new();
    loop {
        name.push(b'A' + (col % 26) as u8);
        if col < 26 {
            break;
        }
        col = col / 26 - 1;
    }
    name.reverse();
    String::from_utf8(name).unwrap_or_default()
}

/// Refuses an archive (xlsx, xlsm, ods …) whose parts declare more than
/// the limits, before anything is unpacked.
fn check_archive(path: &Path) -> Result<(), String> {
    let Ok(file) = std::fs::File::open(path) else {
        return Ok(()); // the reader says why
    };
    let Ok(mut zip) = zip::ZipArchive::new(std::io::BufReader::new(file)) else {
        return Ok(()); // not a zip: .xls, or not a workbook at all
    };
    let mut total: u64 = 0;
    for i in 0..zip.len() {
        let Ok(part) = zip.by_index_raw(i) else {
            continue;
        };
        let (size, packed) = (part.size(), part.compressed_size().max(1));
        let name = part.name().map(|n| n.to_string()).unwrap_or_default();
        let mb = |b: u64| b >> 20;
        if size > MAX_PART_BYTES {
            return Err(format!(
                "its part {name} unpacks to {} MB, more than the {} MB stockpile reads from one part; split the sheet into several files, or save it as CSV",
                mb(size),
                mb(MAX_PART_BYTES)
            ));
        }
        if size > RATIO_FROM_BYTES && size / packed > MAX_RATIO {
            return Err(format!(
                "its part {name} unpacks {}-fold ({} MB from {} MB): no spreadsheet packs like that; the file is damaged or built to exhaust memory",
                size / packed,
                mb(size),
                mb(packed)
            ));
        }
        total = total.saturating_add(size);
    }
    if total > MAX_TOTAL_BYTES {
        return Err(format!(
            "it unpacks to {} MB in all, more than the {} MB stockpile reads from one workbook; split it, or save the sheet as CSV",
            total >> 20,
            MAX_TOTAL_BYTES >> 20
        ));
    }
    Ok(())
}

/// An xlsx sheet read cell by cell: only the cells present are held, so a
/// stray cell at XFD1048576 costs nothing (calamine's range would hold the
/// whole rectangle to it) and is refused by name when past the columns
/// an export can have.
fn stream_xlsx<RS: std::io::Read + std::io::Seek>(
    book: &mut calamine::Xlsx<RS>,
    name: &str,
) -> Result<Vec<(u64, Vec<Data>)>, String> {
    let mut cells = book
        .worksheet_cells_reader(name)
        .map_err(|e| format!("sheet \"{name}\" cannot be read: {e}"))?;
    let mut rows: std::collections::BTreeMap<u32, Vec<(u32, Data)>> = Default::default();
    let (mut first_col, mut last_col) = (u32::MAX, 0);
    while let Some(cell) = cells
        .next_cell()
        .map_err(|e| format!("sheet \"{name}\" cannot be read: {e}"))?
    {
        let (row, col) = cell.get_position();
        let value: Data = cell.get_value().clone().into();
        if value == Data::Empty {
            continue;
        }
        if col >= MAX_COLUMNS {
            return Err(format!(
                "sheet \"{name}\" has a value in cell {}{} (column {}), past the {MAX_COLUMNS} columns a depot export can have; delete what is there, or save the sheet as CSV",
                column_name(col),
                row + 1,
                col + 1
            ));
        }
        first_col = first_col.min(col);
        last_col = last_col.max(col);
        rows.entry(row).or_default().push((col, value));
    }
    Ok(rows
        .into_iter()
        .map(|(row, cells)| {
            // Every row as wide as the sheet, as a range reads it.
            let mut dense = vec![Data::Empty; (last_col + 1 - first_col) as usize];
            for (c, v) in cells {
                dense[(c - first_col) as usize] = v;
            }
            (u64::from(row) + 1, dense)
        })
        .collect())
}

/// Reads sheet `name` (the first sheet when None).
pub fn read(path: &Path, name: Option<&str>) -> Result<Sheet, String> {
    // The spreadsheet readers index what a damaged file declares (a
    // mutated .xls made calamine slice past its buffer): a panic there is a
    // damaged file, refused like any other, never a crash.
    quiet_panics();
    READING.set(true);
    let read = std::panic::catch_unwind(|| read_unguarded(path, name));
    READING.set(false);
    read.unwrap_or_else(|_| {
        Err("is damaged: the spreadsheet reader could not make sense of its structure (save it again from the spreadsheet program, or export it as CSV)".into())
    })
}

thread_local! {
    /// Set while this thread reads a workbook: its panics are refusals.
    static READING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// A panic hook that stays silent for panics inside a workbook reader and
/// hands every other to the hook before it.
fn quiet_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let before = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !READING.get() {
                before(info);
            }
        }));
    });
}

fn read_unguarded(path: &Path, name: Option<&str>) -> Result<Sheet, String> {
    check_archive(path)?;
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
    let rows = match &mut book {
        calamine::Sheets::Xlsx(xlsx) => stream_xlsx(xlsx, &name)?,
        other => {
            let range = other
                .worksheet_range(&name)
                .map_err(|e| format!("sheet \"{name}\" cannot be read: {e}"))?;
            let first_row = range.start().map_or(0, |(row, _)| row);
            range
                .rows()
                .enumerate()
                .map(|(i, cells)| (u64::from(first_row) + i as u64 + 1, cells.to_vec()))
                .collect()
        }
    };
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
    fn column_names_as_a_spreadsheet_shows_them() {
        assert_eq!(column_name(0), "A");
        assert_eq!(column_name(25), "Z");
        assert_eq!(column_name(26), "AA");
        assert_eq!(column_name(16383), "XFD");
    }

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
