//! `stockpile export`: holdings as canonical CSV (or JSON), streamed, such
//! that importing the export into an empty database reproduces every report.

use std::io::Write;

use serde_json::{Map, Value as Json};

use super::{Context, as_of, filters};
use crate::cli::ExportArgs;
use crate::error::{Error, Result};
use crate::import::columns::Column;
use crate::model::iso;
use crate::output::{Format, Report, Value};

/// Rows of one worksheet, less its header.
const XLSX_MAX_ROWS: usize = 1_048_575;

/// OWASP's CSV-injection guidance: a cell a spreadsheet would run as a
/// formula gets a leading apostrophe.
fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

pub fn run(args: &ExportArgs, ctx: &mut Context) -> Result<()> {
    if ctx.format_given && ctx.format == Format::Table {
        return Err(Error::Usage(
            "export writes holdings for import, as CSV (the default) or --format json; a table would not re-import (see stockpile report)".into(),
        ));
    }
    let json = ctx.format == Format::Json;
    let xlsx = args.xlsx.is_some();
    let filters = filters(&args.selection.filter)?;
    let date = as_of(&args.selection)?;
    let (conn, _) = super::open_question(ctx, &filters, date)?;
    // Each depot's snapshot in force on the date (or its latest), and the
    // versions live on that snapshot's date.
    let sql = "WITH effective AS (
             SELECT depot_id, max(as_of) AS as_of FROM snapshot
             WHERE CAST(?1 AS TEXT) IS NULL OR as_of <= ?1 GROUP BY depot_id
         )
         SELECT d.code, e.as_of, t.code, h.status, h.quantity, h.serial, t.nsn, t.category,
                h.owner, h.notice_hours, h.lot, h.expires, h.last_inspected, h.remarks,
                h.condition_code, h.next_test
         FROM effective e
         JOIN holding_version h ON h.depot_id = e.depot_id
              AND h.valid_from <= e.as_of AND (h.valid_to IS NULL OR h.valid_to > e.as_of)
         JOIN depot d ON d.id = h.depot_id
         JOIN equipment_type t ON t.id = h.type_id
         ORDER BY d.code, t.code, h.serial NULLS FIRST, h.lot NULLS FIRST, h.id";
    let mut sink = if xlsx {
        Sink::Xlsx(Box::new(Report::new(&Column::ALL.map(Column::name), 0)))
    } else if json {
        write!(ctx.out, "{{\"rows\": [")?;
        Sink::Json(&mut *ctx.out, 0, 0)
    } else {
        let mut w = csv::Writer::from_writer(&mut *ctx.out);
        w.write_record(Column::ALL.map(Column::name))
            .map_err(crate::output::csv_io)?;
        Sink::Csv(Box::new(w))
    };
    let mut cells: Vec<String> = Vec::with_capacity(Column::ALL.len());
    conn.try_each(sql, &[&date.map(iso)], |r| -> Result<()> {
        let depot: String = r.get(0)?;
        let type_code: String = r.get(2)?;
        let category: Option<String> = r.get(7)?;
        let owner: Option<String> = r.get(8)?;
        if !filters.depots.is_empty() && !filters.depots.contains(&depot)
            || !filters.types.is_empty() && !filters.types.contains(&type_code)
            || !filters.categories.is_empty()
                && !category
                    .as_ref()
                    .is_some_and(|c| filters.categories.contains(c))
            || !filters.owners.is_empty()
                && !owner.as_ref().is_some_and(|o| filters.owners.contains(o))
        {
            return Ok(());
        }
        cells.clear();
        cells.push(depot);
        cells.push(r.get(1)?);
        cells.push(type_code);
        cells.push(r.get(3)?);
        cells.push(r.get::<i64>(4)?.to_string());
        cells.push(r.get::<Option<String>>(5)?.unwrap_or_default());
        cells.push(r.get::<Option<String>>(6)?.unwrap_or_default());
        cells.push(category.unwrap_or_default());
        cells.push(owner.unwrap_or_default());
        cells.push(
            r.get::<Option<i64>>(9)?
                .map(|n| n.to_string())
                .unwrap_or_default(),
        );
        for i in 10..16 {
            cells.push(r.get::<Option<String>>(i)?.unwrap_or_default());
        }
        match &mut sink {
            Sink::Xlsx(report) => {
                if report.rows.len() >= XLSX_MAX_ROWS {
                    return Err(Error::Usage(format!(
                        "more than {XLSX_MAX_ROWS} holding lines: a sheet holds no more; export CSV, or narrow with --depot or --type"
                    )));
                }
                report.rows.push(
                    Column::ALL
                        .iter()
                        .zip(&cells)
                        .map(|(column, cell)| match column {
                            _ if cell.is_empty() => Value::Null,
                            Column::Quantity | Column::NoticeHours => {
                                cell.parse().map_or(Value::Null, Value::Int)
                            }
                            _ => Value::Text(cell.clone()),
                        })
                        .collect(),
                );
            }
            Sink::Csv(w) if args.raw => w.write_record(&cells).map_err(crate::output::csv_io)?,
            Sink::Csv(w) => w
                .write_record(cells.iter().map(|c| neutralise(c).into_owned()))
                .map_err(crate::output::csv_io)?,
            Sink::Json(out, lines, quantity) => {
                // Typed as the contract reads them: numbers as numbers,
                // absent values as null; no formula guard (no spreadsheet).
                let mut row = Map::new();
                for (column, cell) in Column::ALL.iter().zip(&cells) {
                    let value = match column {
                        _ if cell.is_empty() => Json::Null,
                        Column::Quantity | Column::NoticeHours => {
                            cell.parse::<i64>().map_or(Json::Null, Json::from)
                        }
                        _ => Json::from(cell.as_str()),
                    };
                    row.insert(column.name().to_string(), value);
                }
                out.write_all(if *lines == 0 { b"\n  " } else { b",\n  " })?;
                serde_json::to_writer(&mut **out, &row).map_err(std::io::Error::from)?;
                *lines += 1;
                *quantity += cells[4].parse::<i64>().unwrap_or(0);
            }
        }
        Ok(())
    })?;
    match sink {
        Sink::Xlsx(report) => {
            let path = args.xlsx.as_ref().expect("xlsx sink");
            crate::xlsx::write(path, "holdings", &report)?;
            if !ctx.quiet {
                writeln!(
                    ctx.err,
                    "wrote {} holding lines to {}",
                    report.rows.len(),
                    path.display()
                )?;
            }
        }
        Sink::Csv(mut w) => w.flush()?,
        Sink::Json(out, lines, quantity) => writeln!(
            out,
            "\n], \"total\": {{\"lines\": {lines}, \"on_hand\": {quantity}}}}}"
        )?,
    }
    Ok(())
}

/// Where the rows go: a CSV writer, or JSON written row by row (lines and
/// quantity counted for the total) so that a million holdings stream.
enum Sink<'a, 'b> {
    Xlsx(Box<Report>),
    Csv(Box<csv::Writer<&'a mut (dyn Write + 'b)>>),
    Json(&'a mut (dyn Write + 'b), u64, i64),
}

#[cfg(test)]
mod tests {
    use super::neutralise;

    #[test]
    fn formulas_are_neutralised() {
        assert_eq!(neutralise("=1+1"), "'=1+1");
        assert_eq!(neutralise("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(neutralise("-2"), "'-2");
        assert_eq!(neutralise("PL-POW-01"), "PL-POW-01");
    }
}
