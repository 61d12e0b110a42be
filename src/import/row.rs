//! One record → one validated holding line, or every reason it is invalid.

use chrono::NaiveDate;

use super::columns::{Column, ColumnMap};
use super::profile::Profile;
use crate::error::RowError;
use crate::model::{
    Category, ConditionCode, DepotCode, MAX_NOTICE_HOURS, Nation, Nsn, Status, TypeCode,
    parse_date, parse_hours,
};

pub const MAX_QUANTITY: u32 = 1_000_000_000;
const MAX_CODE_TEXT: usize = 64;
const MAX_REMARKS: usize = 4000;

/// A validated holding line with the snapshot it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holding {
    pub depot: DepotCode,
    pub as_of: NaiveDate,
    pub type_code: TypeCode,
    pub nsn: Option<Nsn>,
    pub category: Option<Category>,
    pub status: Status,
    pub quantity: u32,
    pub serial: Option<String>,
    pub owner: Option<Nation>,
    pub notice_hours: Option<u32>,
    pub lot: Option<String>,
    pub expires: Option<NaiveDate>,
    pub last_inspected: Option<NaiveDate>,
    pub remarks: Option<String>,
    /// The supply condition code (SPEC §12); `status` then agrees with it
    /// or, left empty, is the status it reads as.
    pub condition: Option<ConditionCode>,
    /// When the lot's next surveillance test is due.
    pub next_test: Option<NaiveDate>,
}

/// What applies to every row of one file.
#[derive(Debug, Clone, Default)]
pub struct RowRules<'a> {
    pub depot: Option<DepotCode>,
    pub as_of: Option<NaiveDate>,
    pub date_format: Option<&'a str>,
    pub profile: Option<&'a Profile>,
}

pub struct Validator<'a> {
    pub map: &'a ColumnMap,
    pub rules: RowRules<'a>,
}

/// True for a record that holds nothing (spreadsheets pad exports with
/// `;;;;` lines); such rows are skipped, not rejected.
pub fn is_blank(record: &csv::StringRecord) -> bool {
    record.iter().all(|f| f.trim().is_empty())
}

impl Validator<'_> {
    pub fn validate(
        &self,
        record: &csv::StringRecord,
        line: u64,
    ) -> Result<Holding, Vec<RowError>> {
        if record.len() != self.map.header.len() {
            return Err(vec![RowError {
                line,
                column: "(row)".into(),
                message: format!(
                    "has {} fields, the header has {} (check for a stray or missing delimiter, or an unclosed quote)",
                    record.len(),
                    self.map.header.len()
                ),
            }]);
        }
        let mut cells = Cells {
            validator: self,
            record,
            line,
            errors: Vec::new(),
        };
        let depot = cells.given_or_read(
            Column::Depot,
            self.rules.depot.clone(),
            "--depot",
            "a depot code",
            DepotCode::parse,
        );
        let as_of = cells.given_or_read(
            Column::AsOf,
            self.rules.as_of,
            "--as-of",
            "the snapshot date",
            |t| self.date(t),
        );
        let type_code = cells.required(Column::Type, "a type code", TypeCode::parse);
        let condition = cells.read(Column::ConditionCode, |t| {
            self.rules
                .profile
                .and_then(|p| p.condition_for(t))
                .map_or_else(|| ConditionCode::parse(t), Ok)
        });
        let coded = cells.text(Column::ConditionCode).is_some();
        let parse_status = |t: &str| {
            self.rules
                .profile
                .and_then(|p| p.status_for(t))
                .map_or_else(|| Status::parse(t), Ok)
        };
        // With a condition code the status may be left empty (it reads as
        // the code says); when both are given they must agree.
        let status = if coded && cells.text(Column::Status).is_none() {
            condition.map(ConditionCode::implied_status)
        } else {
            cells.required(Column::Status, "FMC, PMC, NMCM or NMCS", parse_status)
        };
        if let (Some(code), Some(status)) = (condition, status)
            && !code.agrees_with(status)
        {
            cells.fail(
                Column::ConditionCode,
                format!(
                    "{code} ({}) disagrees with the status {status}: a serviceable lot is FMC or PMC, an unserviceable one NMCM or NMCS (fix one of the two, or leave the status empty)",
                    match code.condition() {
                        crate::model::Condition::Serviceable => "serviceable",
                        _ => "unserviceable",
                    }
                ),
            );
        }
        let has_serial = cells.text(Column::Serial).is_some();
        let serial = cells.read(Column::Serial, |s| code_text(s).map(|()| s.to_string()));
        let quantity = cells
            .read(Column::Quantity, |t| {
                parse_quantity(t).and_then(|q| {
                    if has_serial && q != 1 {
                        Err(format!(
                            "is {q} but the row has a serial (a serialized item is one item: quantity must be 1)"
                        ))
                    } else {
                        Ok(q)
                    }
                })
            })
            .unwrap_or(1);
        let nsn = cells.read(Column::Nsn, |t| {
            not_scientific(t).and_then(|()| Nsn::parse(t))
        });
        let category = cells.read(Column::Category, Category::parse);
        let owner = cells.read(Column::Owner, Nation::parse);
        let notice_hours = cells.read(Column::NoticeHours, |t| parse_hours(t, MAX_NOTICE_HOURS));
        let lot = cells.read(Column::Lot, |l| code_text(l).map(|()| l.to_string()));
        let expires = cells.read(Column::Expires, |t| self.date(t));
        let last_inspected = cells.read(Column::LastInspected, |t| self.date(t));
        let next_test = cells.read(Column::NextTest, |t| self.date(t));
        let remarks = cells.read(Column::Remarks, |r| {
            free_text(r, MAX_REMARKS).map(|()| r.to_string())
        });

        if !cells.errors.is_empty() {
            if let Some(word) = totals_word(record) {
                return Err(vec![RowError {
                    line,
                    column: "(row)".into(),
                    message: format!(
                        "looks like a totals row (\"{word}\"), not a holding: remove it from the export (spreadsheets add one under the data)"
                    ),
                }]);
            }
            return Err(cells.errors);
        }
        match (depot, as_of, type_code, status) {
            (Some(depot), Some(as_of), Some(type_code), Some(status)) => Ok(Holding {
                depot,
                as_of,
                type_code,
                nsn,
                category,
                status,
                quantity,
                serial,
                owner,
                notice_hours,
                lot,
                expires,
                last_inspected,
                remarks,
                condition,
                next_test,
            }),
            _ => unreachable!("a missing required value is always reported as an error"),
        }
    }

    /// A date as this file writes them: ISO, or the `--date-format` or the
    /// profile's format.
    fn date(&self, text: &str) -> Result<NaiveDate, String> {
        let format = self
            .rules
            .date_format
            .or_else(|| self.rules.profile.and_then(|p| p.date_format.as_deref()));
        parse_date(text, format)
    }

    /// The column as the user wrote it, with the canonical name when they differ.
    fn column_label(&self, column: Column) -> String {
        match self.map.get(column).and_then(|i| self.map.header.get(i)) {
            Some(h) if super::columns::normalize(h) != column.name() => {
                format!("{} ({})", column.name(), h.trim())
            }
            _ => column.name().to_string(),
        }
    }
}

/// One record's cells as the validator reads them, and every error found,
/// each named by line and column.
struct Cells<'a> {
    validator: &'a Validator<'a>,
    record: &'a csv::StringRecord,
    line: u64,
    errors: Vec<RowError>,
}

impl<'a> Cells<'a> {
    /// The column's text, trimmed and without a formula guard; None when
    /// the column is absent, the cell empty or a placeholder.
    fn text(&self, c: Column) -> Option<&'a str> {
        self.validator
            .map
            .get(c)
            .and_then(|i| self.record.get(i))
            .map(|s| unneutralised(s.trim()))
            .filter(|s| !is_absent(c, s))
    }

    fn fail(&mut self, c: Column, message: String) {
        self.errors.push(RowError {
            line: self.line,
            column: self.validator.column_label(c),
            message,
        });
    }

    /// An optional column's value, read by `parse` when the cell holds one.
    fn read<T>(&mut self, c: Column, parse: impl FnOnce(&str) -> Result<T, String>) -> Option<T> {
        let text = self.text(c)?;
        parse(text).map_err(|m| self.fail(c, m)).ok()
    }

    /// A required column's value; an empty cell is an error.
    fn required<T>(
        &mut self,
        c: Column,
        expected: &str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        if self.text(c).is_none() {
            self.fail(c, format!("is empty (expected {expected})"));
            return None;
        }
        self.read(c, parse)
    }

    /// A column the command line may give for the whole file (`--depot`,
    /// `--as-of`): a row that disagrees with it is invalid, not overridden.
    fn given_or_read<T: PartialEq + std::fmt::Display>(
        &mut self,
        c: Column,
        given: Option<T>,
        option: &str,
        expected: &str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        match (self.text(c), given) {
            (Some(text), given) => self.read(c, |t| {
                parse(t).and_then(|v| match &given {
                    Some(g) if *g != v => Err(format!(
                        "\"{text}\" differs from {option} {g} (remove the option or fix the row)"
                    )),
                    _ => Ok(v),
                })
            }),
            (None, Some(g)) => Some(g),
            (None, None) => {
                self.fail(c, format!("is empty (expected {expected})"));
                None
            }
        }
    }
}

/// An empty cell, or a placeholder in an optional column.
fn is_absent(column: Column, text: &str) -> bool {
    text.is_empty() || (is_optional_code(column) && is_null_marker(text))
}

/// Optional columns whose cells exports fill with a placeholder when there
/// is nothing to say.
fn is_optional_code(c: Column) -> bool {
    matches!(
        c,
        Column::Serial
            | Column::Nsn
            | Column::Category
            | Column::Owner
            | Column::NoticeHours
            | Column::Lot
            | Column::Expires
            | Column::LastInspected
            | Column::ConditionCode
            | Column::NextTest
    )
}

/// `-`, `N/A`, `none`, `null`: "nothing here" in many national systems. Never
/// used for required columns or quantity, where it would hide a real gap.
fn is_null_marker(text: &str) -> bool {
    matches!(text, "-" | "–" | "—")
        || ["n/a", "na", "none", "null"]
            .iter()
            .any(|m| text.eq_ignore_ascii_case(m))
}

fn parse_quantity(raw: &str) -> Result<u32, String> {
    let text = crate::model::whole_number(raw);
    let ok = !text.is_empty() && text.len() <= 10 && text.bytes().all(|b| b.is_ascii_digit());
    match text.parse::<u32>() {
        Ok(q) if ok && (1..=MAX_QUANTITY).contains(&q) => Ok(q),
        _ => Err(format!(
            "\"{raw}\" is not a quantity (expected a whole number from 1 to 1000000000)"
        )),
    }
}

/// A cell as exported with a spreadsheet's formula guard removed: the `'`
/// that `export` (and OWASP's rule) puts before `=`, `+`, `-`, `@`, tab or
/// CR, so that an exported remark comes back as it was.
fn unneutralised(text: &str) -> &str {
    match text.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
        _ => text,
    }
}

/// A serial or lot: short, one line, and not a number a spreadsheet rewrote.
fn code_text(text: &str) -> Result<(), String> {
    not_scientific(text)?;
    if text.chars().count() > MAX_CODE_TEXT {
        return Err(format!("is longer than {MAX_CODE_TEXT} characters"));
    }
    if text.chars().any(char::is_control) {
        return Err("contains a control character (tab, line break or similar)".into());
    }
    if let Some(c) = text
        .chars()
        .find(|&c| is_bidi_control(c) || is_invisible(c))
    {
        return Err(format!(
            "contains the invisible character U+{:04X}: a code must read as it is stored",
            u32::from(c)
        ));
    }
    Ok(())
}

/// The bidirectional embedding, override and isolate controls: they make
/// text display in another order than it is stored (`ok \u{202E}exe.fdp`
/// shows as `ok pdf.exe`). Arabic and Hebrew text needs none of them.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Zero-width characters: a code that holds one is not the code it shows.
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}')
}

/// `1.23456789012346E+16`: a long number a spreadsheet displayed (and saved)
/// in scientific notation. The code's last digits are gone; nothing can
/// recover them, so the row is refused rather than stored wrong.
fn not_scientific(text: &str) -> Result<(), String> {
    let Some((mantissa, exponent)) = text.split_once(['e', 'E']) else {
        return Ok(());
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once(['.', ',']) {
        Some((int, frac)) => digits(int) && digits(frac),
        None => digits(mantissa),
    };
    let exponent_ok = exponent.strip_prefix(['+', '-']).is_some_and(digits);
    if mantissa_ok && exponent_ok {
        return Err(format!(
            "\"{text}\" is a number in scientific notation: a spreadsheet rewrote this code and its digits are lost (format the column as text in the spreadsheet and export again)"
        ));
    }
    Ok(())
}

fn free_text(text: &str, max: usize) -> Result<(), String> {
    if text.chars().count() > max {
        return Err(format!("is longer than {max} characters"));
    }
    // Tab and line ends are text; any other control character could carry
    // a terminal escape sequence into every table that shows the remark.
    if let Some((at, c)) = text
        .chars()
        .enumerate()
        .find(|(_, c)| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
    {
        return Err(format!(
            "contains the control character U+{:04X} at character {} (only tab and line breaks are allowed in text)",
            u32::from(c),
            at + 1
        ));
    }
    if let Some((at, c)) = text.chars().enumerate().find(|(_, c)| is_bidi_control(*c)) {
        return Err(format!(
            "contains the bidirectional control U+{:04X} at character {}: it makes text display in another order than it is stored",
            u32::from(c),
            at + 1
        ));
    }
    Ok(())
}

/// The word that marks a totals row a spreadsheet added under the data, when
/// a cell of the record is one.
fn totals_word(record: &csv::StringRecord) -> Option<String> {
    const WORDS: [&str; 11] = [
        "total",
        "totals",
        "grand total",
        "subtotal",
        "sum",
        "gesamt",
        "summe",
        "total général",
        "razem",
        "suma",
        "totaal",
    ];
    record
        .iter()
        .map(str::trim)
        .find(|cell| {
            let lower = cell.to_lowercase();
            let word = lower.trim_end_matches([':', '.']);
            WORDS.contains(&word)
        })
        .map(str::to_string)
}
