//! Spreadsheets in and out (SPEC §9): the same holdings as CSV, xlsx, ods
//! and xls give the same figures; date cells are dates whatever their
//! display; damaged codes are refused at their row; `--xlsx` writes typed
//! workbooks that import back to the same reports.

use std::path::Path;

use calamine::{Data, Reader};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
use serde_json::Value;

use crate::util::{Work, fixtures, samples};

fn import(w: &Work, file: &Path, extra: &[&str]) -> crate::util::Run {
    let mut args: Vec<&std::ffi::OsStr> = vec!["import".as_ref()];
    args.extend(extra.iter().map(|a| std::ffi::OsStr::new(*a)));
    args.push(file.as_os_str());
    w.run(args)
}

#[test]
fn the_same_holdings_as_csv_xlsx_ods_and_xls_give_the_same_figures() {
    let dir = fixtures().join("workbooks");
    let mut reports: Vec<(String, Value, String)> = Vec::new();
    for file in [
        "no-set-01.csv",
        "no-set-01.xlsx",
        "no-set-01.ods",
        "no-set-01.xls",
    ] {
        let w = Work::new();
        let r = import(&w, &dir.join(file), &[]).ok();
        if file.ends_with(".xlsx") {
            assert!(r.stdout.contains("(xlsx, sheet no-set-01)"), "{}", r.stdout);
        }
        let export = w.run(["export", "--raw"]).ok().stdout;
        reports.push((
            file.into(),
            w.json(&["report", "--by", "depot,type,owner"]),
            export,
        ));
    }
    for (file, report, export) in &reports[1..] {
        assert_eq!(report, &reports[0].1, "{file}");
        assert_eq!(
            export, &reports[0].2,
            "{file}: serials with leading zeros kept as text"
        );
    }
    assert!(reports[0].2.contains(",000001,"), "{}", reports[0].2);
}

#[test]
fn the_spreadsheet_samples_give_their_documented_figures() {
    let Some(dir) = samples() else { return };
    for file in [
        "calc-workbook.xlsx",
        "calc-workbook.xls",
        "calc-workbook-fr.xlsx",
        "calc-workbook-fr.ods",
    ] {
        let w = Work::new();
        import(&w, &dir.join(file), &[]).ok();
        crate::util::assert_sample_figures(&w, file);
    }
}

/// A workbook written as a depot clerk would: date cells in three display
/// formats, one date column holding bare Excel serial numbers, serials
/// typed as text with leading zeros.
fn clerk_workbook(path: &Path, damaged_row: Option<u32>) {
    let mut book = Workbook::new();
    let ws = book.add_worksheet();
    ws.set_name("Bestand").unwrap();
    for (c, h) in [
        "depot",
        "as_of",
        "type",
        "serial",
        "status",
        "notice_hours",
        "expires",
        "last_inspected",
    ]
    .iter()
    .enumerate()
    {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    let day = ExcelDateTime::from_ymd(2026, 11, 1).unwrap();
    let formats = [
        Format::new().set_num_format("dd/mm/yyyy"),
        Format::new().set_num_format("mmm d, yyyy"),
        Format::new().set_num_format("yyyy-mm-dd"),
    ];
    for r in 1..=6u32 {
        ws.write_string(r, 0, "WB-1").unwrap();
        ws.write_datetime_with_format(r, 1, &day, &formats[r as usize % 3])
            .unwrap();
        ws.write_string(r, 2, "T-1").unwrap();
        if damaged_row == Some(r + 1) {
            ws.write_number(r, 3, 12345678901234567.0).unwrap();
        } else {
            ws.write_string(r, 3, format!("00{r}")).unwrap();
        }
        ws.write_string(r, 4, "FMC").unwrap();
        ws.write_number(r, 5, 48.0).unwrap();
        ws.write_datetime_with_format(
            r,
            6,
            ExcelDateTime::from_ymd(2030, 1, 15).unwrap(),
            &formats[(r as usize + 1) % 3],
        )
        .unwrap();
        // 46296 is 2026-10-01 as Excel counts days: a date cell that lost
        // its format.
        ws.write_number(r, 7, 46296.0).unwrap();
    }
    book.save(path).unwrap();
}

#[test]
fn date_cells_are_dates_whatever_their_display_format() {
    let w = Work::new();
    let path = w.path("clerk.xlsx");
    clerk_workbook(&path, None);
    import(&w, &path, &[]).ok();
    let e = w.json(&["export"]);
    let rows = e["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 6);
    for r in rows {
        assert_eq!(r["as_of"], "2026-11-01");
        assert_eq!(r["expires"], "2030-01-15");
        assert_eq!(r["last_inspected"], "2026-10-01");
        assert_eq!(r["notice_hours"], 48);
        assert!(r["serial"].as_str().unwrap().starts_with("00"), "{r}");
    }
    // The sheet is named in every place a row is named.
    let t = w.json(&[
        "trace", "--depot", "WB-1", "--type", "T-1", "--serial", "003",
    ]);
    assert!(
        t["rows"][0]["file"]
            .as_str()
            .unwrap()
            .ends_with("clerk.xlsx[Bestand]")
    );
    assert_eq!(t["rows"][0]["line"], 4);
}

#[test]
fn a_workbook_whose_codes_a_spreadsheet_damaged_is_refused_at_its_row() {
    let w = Work::new();
    let path = w.path("damaged.xlsx");
    clerk_workbook(&path, Some(5));
    let r = import(&w, &path, &[]).code(65);
    assert!(
        r.stderr.contains("damaged.xlsx[Bestand]:5: serial: \"1.23456789012346E+16\" is a number in scientific notation"),
        "{}",
        r.stderr
    );
    assert_eq!(w.state(), "(nothing imported)");
    // A sheet that does not exist is named with the ones that do.
    let r = import(&w, &path, &["--sheet", "Holdings"]).code(65);
    assert!(
        r.stderr
            .contains("has no sheet \"Holdings\" (its sheets: Bestand)"),
        "{}",
        r.stderr
    );
    clerk_workbook(&path, None);
    import(&w, &path, &["--sheet", "bestand"]).ok();
}

#[test]
fn xlsx_out_is_typed_and_imports_back_to_every_report() {
    let w = crate::util::with_fixtures();
    let book = w.path("holdings.xlsx");
    w.run(["export".as_ref(), "--xlsx".as_ref(), book.as_os_str()])
        .ok();
    // Typed cells: numbers, dates, codes as text.
    let mut wb = calamine::open_workbook_auto(&book).unwrap();
    let range = wb.worksheet_range("holdings").unwrap();
    let header: Vec<String> = range
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let row = range.rows().nth(1).unwrap();
    assert!(
        matches!(row[col("quantity")], Data::Float(_)),
        "{:?}",
        row[col("quantity")]
    );
    assert!(
        matches!(row[col("as_of")], Data::DateTime(_)),
        "{:?}",
        row[col("as_of")]
    );
    assert!(
        matches!(row[col("nsn")], Data::String(_)),
        "{:?}",
        row[col("nsn")]
    );

    let again = Work::new();
    import(&again, &book, &[]).ok();
    let req = fixtures().join("requirements.csv");
    again
        .run(["requirements".as_ref(), "import".as_ref(), req.as_os_str()])
        .ok();
    for args in [
        vec!["report"],
        vec!["report", "--by", "depot,type,owner"],
        vec!["deployable", "--within", "48h", "--by", "depot,category"],
        vec!["types"],
    ] {
        assert_eq!(again.json(&args), w.json(&args), "{args:?}");
    }

    // report --xlsx: the figures, rates and the overall level as numbers,
    // the R and S levels as their labels.
    let out = w.path("readiness.xlsx");
    w.run([
        "report".as_ref(),
        "--by".as_ref(),
        "depot".as_ref(),
        "--xlsx".as_ref(),
        out.as_os_str(),
    ])
    .ok();
    let mut wb = calamine::open_workbook_auto(&out).unwrap();
    let range = wb.worksheet_range("readiness").unwrap();
    let rows: Vec<&[Data]> = range.rows().collect();
    let report = w.json(&["report", "--by", "depot"]);
    assert_eq!(
        rows.len(),
        report["rows"].as_array().unwrap().len() + 2,
        "header, rows, total"
    );
    assert_eq!(rows.last().unwrap()[0], Data::String("TOTAL".into()));
    let header: Vec<String> = rows[0].iter().map(|c| c.to_string()).collect();
    let rate = header.iter().position(|h| h == "mc_rate").unwrap();
    assert!(matches!(rows[1][rate], Data::Float(f) if f > 0.0 && f <= 1.0));
    let level = header.iter().position(|h| h == "level").unwrap();
    let r_level = header.iter().position(|h| h == "r_level").unwrap();
    for (row, json) in rows[1..].iter().zip(report["rows"].as_array().unwrap()) {
        assert_eq!(
            row[level],
            Data::Float(json["level"].as_f64().unwrap()),
            "{json}"
        );
        assert_eq!(
            row[r_level],
            Data::String(json["r_level"].as_str().unwrap().into())
        );
    }

    // changes and package check write workbooks too.
    let pkg = fixtures().join("packages/spearhead-company-team.toml");
    let alloc = w.path("alloc.xlsx");
    w.run([
        "package".as_ref(),
        "check".as_ref(),
        pkg.as_os_str(),
        "--xlsx".as_ref(),
        alloc.as_os_str(),
    ])
    .ok();
    assert!(
        calamine::open_workbook_auto(&alloc)
            .unwrap()
            .worksheet_range("allocation")
            .is_ok()
    );
    let ch = w.path("changes.xlsx");
    w.run([
        "changes".as_ref(),
        "--items".as_ref(),
        "--xlsx".as_ref(),
        ch.as_os_str(),
    ])
    .ok();
    assert!(
        calamine::open_workbook_auto(&ch)
            .unwrap()
            .worksheet_range("changes")
            .is_ok()
    );
}
