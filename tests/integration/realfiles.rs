//! What real files and real clients bring: spreadsheet damage, formula
//! guards, totals rows, control characters, JSON export, first-run edges.

use serde_json::Value;

use crate::util::{Work, export};

#[test]
fn codes_a_spreadsheet_turned_into_scientific_notation_are_refused() {
    let w = Work::new();
    let f = w.write(
        "damaged.csv",
        export(&[
            "SC-1,2026-11-01,T-1,MBT,,1.23456789012346E+16,1,FMC,DEU,24,,,",
            "SC-1,2026-11-01,R-1,AMMO,2.35012E+12,,5,FMC,DEU,24,4.4E+05,,",
            "SC-1,2026-11-01,T-1,MBT,,KEEP-12E45,1,FMC,DEU,24,,,",
        ]),
    );
    let r = w.import(&f).code(65);
    assert!(
        r.stderr.contains(
            "damaged.csv:2: serial: \"1.23456789012346E+16\" is a number in scientific notation"
        ),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("damaged.csv:3: nsn: \"2.35012E+12\" is a number in scientific notation"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("damaged.csv:3: lot: \"4.4E+05\""),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("format the column as text"),
        "{}",
        r.stderr
    );
    assert!(
        !r.stderr.contains(":4:"),
        "a code that merely holds an E is fine: {}",
        r.stderr
    );
    assert_eq!(w.state(), "(no database)");
}

#[test]
fn a_serial_that_comes_back_without_its_leading_zeros_is_warned_about() {
    let w = Work::new();
    let week1 = w.write(
        "w1.csv",
        export(&["LZ-1,2026-11-01,T-1,MBT,,000123,1,FMC,DEU,24,,,"]),
    );
    w.import(&week1).ok();
    let week2 = w.write(
        "w2.csv",
        export(&["LZ-1,2026-11-08,T-1,MBT,,123,1,FMC,DEU,24,,,"]),
    );
    let r = w.import(&week2).ok();
    assert!(
        r.stderr
            .contains("w2.csv:2: serial: \"123\" was \"000123\" in LZ-1's earlier snapshot"),
        "{}",
        r.stderr
    );
}

#[test]
fn the_formula_guard_of_an_export_is_removed_on_import() {
    let w = Work::new();
    let f = w.write(
        "guarded.csv",
        export(&[
            "FG-1,2026-11-01,T-1,MBT,,S-1,1,FMC,DEU,24,,,=HYPERLINK(\"x\")",
            "FG-1,2026-11-01,T-1,MBT,,S-2,1,FMC,DEU,24,,,-3 degrees in hangar",
            "FG-1,2026-11-01,T-1,MBT,,S-3,1,FMC,DEU,24,,,'quoted on purpose'",
        ]),
    );
    w.import(&f).ok();
    let exported = w.run(["export"]).ok().stdout;
    assert!(exported.contains(",\"'=HYPERLINK"), "{exported}");
    assert!(exported.contains(",'-3 degrees"), "{exported}");
    let again = Work::new();
    let e = again.write("export.csv", &exported);
    again.import(&e).ok();
    let remarks = again.json(&[
        "query",
        "SELECT serial, remarks FROM current_holdings ORDER BY serial",
    ]);
    let got: Vec<&str> = remarks["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["remarks"].as_str().unwrap())
        .collect();
    assert_eq!(
        got,
        [
            "=HYPERLINK(\"x\")",
            "-3 degrees in hangar",
            "'quoted on purpose'"
        ]
    );
}

#[test]
fn export_writes_json_when_asked_and_refuses_a_table() {
    let w = Work::new();
    let f = w.write(
        "e.csv",
        export(&[
            "EJ-1,2026-11-01,T-1,MBT,,S-1,1,FMC,DEU,24,,,",
            "EJ-1,2026-11-01,R-1,AMMO,,,40,NMCS,DEU,,L-1,2030-01-01,",
        ]),
    );
    w.import(&f).ok();
    let j = w.json(&["export"]);
    let rows = j["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    let lot = rows.iter().find(|r| r["lot"] == "L-1").unwrap();
    assert_eq!(lot["quantity"], 40);
    assert_eq!(lot["notice_hours"], Value::Null);
    assert_eq!(lot["serial"], Value::Null);
    assert_eq!(j["total"]["on_hand"], 41);
    let r = w.run(["export", "--format", "table"]).code(2);
    assert!(
        r.stderr.contains("CSV (the default) or --format json"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_totals_row_is_called_what_it_is() {
    let w = Work::new();
    let f = w.write(
        "totals.csv",
        "depot,as_of,type,status,quantity\nTT-1,2026-11-01,T-1,FMC,3\nTOTAL,,,,3\n",
    );
    let r = w.import(&f).code(65);
    assert!(
        r.stderr
            .contains("totals.csv:3: (row): looks like a totals row (\"TOTAL\"), not a holding"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("is empty"), "{}", r.stderr);
}

#[test]
fn control_characters_are_refused_on_import_and_never_printed_raw() {
    let w = Work::new();
    let f = w.write(
        "escape.csv",
        export(&["CE-1,2026-11-01,T-1,MBT,,S-1,1,FMC,DEU,24,,,\"red \u{1b}[31malert\""]),
    );
    let r = w.import(&f).code(65);
    assert!(
        r.stderr.contains(
            "escape.csv:2: remarks: contains the control character U+001B at character 5"
        ),
        "{}",
        r.stderr
    );
    // Tab and line breaks are text.
    let ok = w.write(
        "ok.csv",
        export(&["CE-1,2026-11-01,T-1,MBT,,S-1,1,FMC,DEU,24,,,\"col\tumn\nnext line\""]),
    );
    w.import(&ok).ok();
    // A database edited behind stockpile's back still never sends an escape
    // sequence to the terminal.
    let conn = rusqlite::Connection::open(w.db()).unwrap();
    conn.execute(
        "UPDATE holding_version SET remarks = 'x' || char(27) || '[2J'",
        [],
    )
    .unwrap();
    drop(conn);
    let r = w
        .run(["query", "SELECT serial, remarks FROM current_holdings"])
        .ok();
    assert!(!r.stdout.contains('\u{1b}'), "{:?}", r.stdout);
    assert!(r.stdout.contains("x␛[2J"), "{}", r.stdout);
}
