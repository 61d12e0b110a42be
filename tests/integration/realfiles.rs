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
    assert_eq!(w.state(), "(nothing imported)");
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
    w.sql(if crate::pg::on_postgres() {
        "UPDATE holding_version SET remarks = 'x' || chr(27) || '[2J'"
    } else {
        "UPDATE holding_version SET remarks = 'x' || char(27) || '[2J'"
    });
    let r = w
        .run(["query", "SELECT serial, remarks FROM current_holdings"])
        .ok();
    assert!(!r.stdout.contains('\u{1b}'), "{:?}", r.stdout);
    assert!(r.stdout.contains("x␛[2J"), "{}", r.stdout);
}

#[test]
fn backup_is_a_private_consistent_database_that_check_accepts() {
    crate::file_only!();
    let w = crate::util::with_fixtures();
    let copy = w.path("backup.db");
    let r = w.run(["backup".as_ref(), copy.as_os_str()]).ok();
    assert!(r.stderr.contains("ledger entries"), "{}", r.stderr);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&copy).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    let at = |db: &std::path::Path, args: &[&str]| {
        let mut cmd = assert_cmd::Command::cargo_bin("stockpile").unwrap();
        let out = cmd.arg("--db").arg(db).args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    at(&copy, &["check"]);
    for args in [
        vec!["report", "--format", "json"],
        vec!["history", "--format", "json"],
        vec!["export", "--raw"],
        vec![
            "query",
            "SELECT count(*) FROM import_ledger",
            "--format",
            "csv",
        ],
    ] {
        assert_eq!(at(&copy, &args), at(&w.db(), &args), "{args:?}");
    }
    // An existing file is never overwritten by accident.
    let r = w.run(["backup".as_ref(), copy.as_os_str()]).code(2);
    assert!(r.stderr.contains("--force"), "{}", r.stderr);
    w.run(["backup".as_ref(), "--force".as_ref(), copy.as_os_str()])
        .ok();
    w.run(["backup".as_ref(), w.db().as_os_str()]).code(2);
}

#[test]
fn a_database_rebuilt_from_a_dump_is_refused_with_the_fix() {
    crate::file_only!();
    let w = crate::util::with_fixtures();
    let before = w.json(&["report"]);
    // What the sqlite3 shell's .dump does not keep.
    let conn = rusqlite::Connection::open(w.db()).unwrap();
    conn.execute_batch("PRAGMA application_id = 0; PRAGMA user_version = 0;")
        .unwrap();
    drop(conn);
    let r = w.run(["report"]).code(65);
    assert!(r.stderr.contains(".dump"), "{}", r.stderr);
    let fix = r
        .stderr
        .lines()
        .find(|l| l.trim_start().starts_with("sqlite3 "))
        .expect("the fix is printed");
    let pragmas = fix.split('\'').nth(1).unwrap();
    assert!(
        pragmas.contains("PRAGMA application_id = 1398033232"),
        "{fix}"
    );
    let conn = rusqlite::Connection::open(w.db()).unwrap();
    conn.execute_batch(pragmas).unwrap();
    drop(conn);
    w.run(["check"]).ok();
    assert_eq!(w.json(&["report"]), before);
}

/// Runs the binary as a user who cannot write `dir` (root bypasses file
/// permissions, so as root the command runs as `nobody`).
fn as_reader(dir: &std::path::Path, args: &[&str]) -> crate::util::Run {
    let mut bin = assert_cmd::cargo::cargo_bin("stockpile");
    let root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
    let mut cmd = if root {
        // A copy beside the data, since the build's own folder may be
        // closed to other users.
        let copy = dir.parent().expect("work dir").join("stockpile-reader");
        if !copy.exists() {
            std::fs::copy(&bin, &copy).expect("copy the binary");
        }
        bin = copy;
        let mut c = std::process::Command::new("runuser");
        c.args(["-u", "nobody", "--"]).arg(&bin);
        c
    } else {
        std::process::Command::new(&bin)
    };
    cmd.current_dir(dir)
        .env("NO_COLOR", "1")
        .env("STOCKPILE_TODAY", crate::util::TODAY)
        .args(args);
    cmd.output().expect("runs").into()
}

#[test]
fn every_reading_command_works_on_a_read_only_folder() {
    crate::file_only!();
    use std::os::unix::fs::PermissionsExt;
    let w = crate::util::with_fixtures();
    let shelf = w.path("shelf");
    std::fs::create_dir(&shelf).unwrap();
    w.run(["backup".as_ref(), shelf.join("s.db").as_os_str()])
        .ok();
    let expected = w.json(&["report", "--by", "depot,type"]);
    // A folder and a file no one but root may write, as on a DVD.
    std::fs::set_permissions(w.dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(shelf.join("s.db"), std::fs::Permissions::from_mode(0o444)).unwrap();
    std::fs::set_permissions(&shelf, std::fs::Permissions::from_mode(0o555)).unwrap();
    let db = shelf.join("s.db");
    let db = db.to_str().unwrap();
    let r = as_reader(
        &shelf,
        &[
            "--db",
            db,
            "report",
            "--by",
            "depot,type",
            "--format",
            "json",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json(), expected);
    assert!(r.stderr.contains("cannot be written here"), "{}", r.stderr);
    for args in [
        vec!["history"],
        vec!["deployable", "--within", "48h"],
        vec!["depots"],
        vec!["types"],
        vec!["export"],
        vec!["check"],
        vec!["changes"],
        vec!["watch", "--today", "2026-11-05"],
        vec!["trace", "--depot", "DE-AUG-01", "--type", "LEOPARD-2A6"],
        vec!["query", "SELECT count(*) FROM current_holdings"],
    ] {
        let mut all = vec!["--db", db];
        all.extend(&args);
        let r = as_reader(&shelf, &all);
        assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
    }
    // Writing is refused with the reason, and nothing changes.
    let f = crate::util::fixtures().join("exports/no-trd-01_2026-11-01.csv");
    let r = as_reader(&shelf, &["--db", db, "import", f.to_str().unwrap()]);
    assert_eq!(r.code, 74, "{}", r.stderr);
    assert!(r.stderr.contains("read-only"), "{}", r.stderr);
    // Changes still waiting in a -wal cannot be read without merging them.
    std::fs::set_permissions(&shelf, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(shelf.join("s.db-wal"), b"pending").unwrap();
    std::fs::set_permissions(&shelf, std::fs::Permissions::from_mode(0o555)).unwrap();
    let r = as_reader(&shelf, &["--db", db, "report"]);
    assert_eq!(r.code, 74, "{}", r.stderr);
    assert!(
        r.stderr.contains("copy both files to a writable folder"),
        "{}",
        r.stderr
    );
    std::fs::set_permissions(&shelf, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn excel_sep_lines_and_title_lines_above_the_header() {
    let w = Work::new();
    let f = w.write(
        "sep.csv",
        "sep=;\r\ndepot;as_of;type;status;quantity\r\nSP-1;2026-11-01;T-1;FMC;3\r\nSP-1;2026-11-01;T-1;BAD;1\r\n",
    );
    let r = w.import(&f).code(65);
    assert!(
        r.stderr.contains("sep.csv:4: status: \"BAD\""),
        "{}",
        r.stderr
    );
    let f = w.write(
        "sep.csv",
        "\"sep=;\"\ndepot;as_of;type;status;quantity\nSP-1;2026-11-01;T-1;FMC;3\n",
    );
    w.import(&f).ok();
    assert_eq!(w.json(&["report"])["total"]["on_hand"], 3);

    let f = w.write(
        "title.csv",
        "Holdings of SP-2\nprinted 2026-11-02\n\ndepot,as_of,type,status,quantity\nSP-2,2026-11-01,T-1,FMC,4\n",
    );
    let r = w.import(&f).code(65);
    assert!(
        r.stderr.contains("title.csv:1: missing required column(s)"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("give --header-row 4"), "{}", r.stderr);
    w.run([
        "import".as_ref(),
        "--header-row".as_ref(),
        "4".as_ref(),
        f.as_os_str(),
    ])
    .ok();
    assert_eq!(w.json(&["report"])["total"]["on_hand"], 7);
}

#[test]
fn the_database_names_the_safe_path_for_other_tools() {
    crate::file_only!();
    let w = crate::util::with_fixtures();
    let sum = |sql: &str| -> i64 {
        let r = w.json(&["query", sql]);
        r["rows"][0]
            .as_object()
            .unwrap()
            .values()
            .next()
            .unwrap()
            .as_i64()
            .unwrap()
    };
    let on_hand = w.json(&["report"])["total"]["on_hand"].as_i64().unwrap();
    let rounds = w.json(&["report"])["total"]["ammo_on_hand"]
        .as_i64()
        .unwrap();
    // Items and rounds apart in the views as in the report.
    assert_eq!(
        sum("SELECT sum(quantity) FROM current_holdings WHERE lot IS NULL"),
        on_hand
    );
    assert_eq!(
        sum("SELECT sum(quantity) FROM current_holdings WHERE lot IS NOT NULL"),
        rounds
    );
    assert_eq!(sum("SELECT sum(on_hand) FROM current_readiness"), on_hand);
    assert_eq!(
        sum("SELECT sum(ammo_on_hand) FROM current_readiness"),
        rounds
    );
    // The view judges today, as the report does on the same day.
    let today = w
        .run_with(&[("STOCKPILE_TODAY", "")], ["report", "--format", "json"])
        .ok()
        .json();
    assert_eq!(
        sum("SELECT sum(ammo_expired) FROM current_readiness"),
        today["total"]["ammo_expired"].as_i64().unwrap()
    );
    let total = &w.json(&["report"])["total"];
    assert_eq!(
        sum("SELECT sum(required) FROM required_levels WHERE coalesce(category, '') <> 'AMMO'"),
        total["required"].as_i64().unwrap()
    );
    assert_eq!(
        sum("SELECT sum(required) FROM required_levels WHERE category = 'AMMO'"),
        total["ammo_required"].as_i64().unwrap()
    );
    // The views explain themselves where SQLite keeps the schema.
    let r = w.json(&[
        "query",
        "SELECT sql FROM sqlite_schema WHERE name = 'current_readiness'",
    ]);
    assert!(
        r["rows"][0]["sql"]
            .as_str()
            .unwrap()
            .contains("never add one kind to the other")
    );
}
