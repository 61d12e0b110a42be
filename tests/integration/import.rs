//! `stockpile import`: validation, atomicity, options, summaries.

use crate::util::{Work, export, row};

const GOOD: &str = "PL-POW-01,2026-11-01,K2-BLACK-PANTHER,MBT,,K2-0001,1,FMC,POL,24,,,";

/// One invalid value per case: the column named in the message, and a part
/// of the message that says what was expected.
const INVALID: &[(&str, &str, &str)] = &[
    (
        "PL POW,2026-11-01,K2,MBT,,S1,1,FMC,POL,24,,,",
        "depot",
        "is not a depot code",
    ),
    (
        "PL-POW-01,2026-13-01,K2,MBT,,S1,1,FMC,POL,24,,,",
        "as_of",
        "is not an ISO date",
    ),
    (
        "PL-POW-01,01.11.2026,K2,MBT,,S1,1,FMC,POL,24,,,",
        "as_of",
        "never guessed",
    ),
    (
        "PL-POW-01,2026-11-01,,MBT,,S1,1,FMC,POL,24,,,",
        "type",
        "is empty",
    ),
    (
        "PL-POW-01,2026-11-01,K2 PANTHER,MBT,,S1,1,FMC,POL,24,,,",
        "type",
        "is not a type code",
    ),
    (
        "PL-POW-01,2026-11-01,K2,MBT,,S1,1,FMCC,POL,24,,,",
        "status",
        "\"FMCC\" is not a readiness status (expected FMC, PMC, NMCM or NMCS)",
    ),
    (
        "PL-POW-01,2026-11-01,K2,MBT,,S1,1,,POL,24,,,",
        "status",
        "is empty",
    ),
    (
        "PL-POW-01,2026-11-01,K2,MBT,,,0,FMC,POL,24,,,",
        "quantity",
        "from 1 to 1000000000",
    ),
    (
        "PL-POW-01,2026-11-01,K2,MBT,,,1000000001,FMC,POL,24,,,",
        "quantity",
        "from 1 to 1000000000",
    ),
    (
        "PL-POW-01,2026-11-01,K2,MBT,,,2.5,FMC,POL,24,,,",
        "quantity",
        "is not a quantity",
    ),
    (
        "PL-POW-01,2026-11-01,K2,MBT,,,-1,FMC,POL,24,,,",
        "quantity",
        "is not a quantity",
    ),
    (
        "PL-POW-01,2026-11-01,K2,MBT,,S9,2,FMC,POL,24,,,",
        "quantity",
        "quantity must be 1",
    ),
    (
        "PL-POW-01,2026-11-01,K2,MBT,123,S1,1,FMC,POL,24,,,",
        "nsn",
        "is not an NSN",
    ),
    (
        "PL-POW-01,2026-11-01,K2,TANK,,S1,1,FMC,POL,24,,,",
        "category",
        "is not a category",
    ),
    (
        "PL-POW-01,2026-11-01,K2,MBT,,S1,1,FMC,XXX,24,,,",
        "owner",
        "ISO 3166-1 alpha-3",
    ),
    (
        "PL-POW-01,2026-11-01,K2,MBT,,S1,1,FMC,PL,24,,,",
        "owner",
        "ISO 3166-1 alpha-3",
    ),
    (
        "PL-POW-01,2026-11-01,K2,MBT,,S1,1,FMC,POL,8761,,,",
        "notice_hours",
        "0–8760",
    ),
    (
        "PL-POW-01,2026-11-01,K2,MBT,,S1,1,FMC,POL,soon,,,",
        "notice_hours",
        "is not a number of hours",
    ),
    (
        "PL-POW-01,2026-11-01,AMMO-X,AMMO,,,5,FMC,POL,24,L1,31.12.2026,",
        "expires",
        "is not an ISO date",
    ),
    (
        "PL-POW-01,2026-11-01,K2,MBT,,S1,1,FMC,POL,24,,,,extra",
        "(row)",
        "has 14 fields, the header has 13",
    ),
];

#[test]
fn every_validation_rule_names_file_line_column_and_leaves_the_db_unchanged() {
    let w = Work::new();
    w.import(&w.write("base.csv", export(&[GOOD]))).ok();
    let before = w.state();
    for (i, (line, column, message)) in INVALID.iter().enumerate() {
        let name = format!("bad{i}.csv");
        let f = w.write(
            &name,
            export(&[GOOD.replace("K2-0001", "K2-0002").as_str(), line]),
        );
        let r = w.import(&f).code(65);
        let expected = format!("{}:3: {column}: ", f.display());
        assert!(
            r.stderr.contains(&expected),
            "case {i}: expected {expected:?} in:\n{}",
            r.stderr
        );
        assert!(
            r.stderr.contains(message),
            "case {i}: expected {message:?} in:\n{}",
            r.stderr
        );
        assert!(
            r.stderr.contains("nothing from this file was imported"),
            "{}",
            r.stderr
        );
        assert_eq!(w.state(), before, "case {i} changed the database");
    }
}

#[test]
fn every_invalid_row_is_reported_not_just_the_first() {
    let w = Work::new();
    let f = w.write(
        "many.csv",
        export(&[
            "PL-POW-01,2026-11-01,K2,MBT,,S1,1,BAD,POL,24,,,\"a remark\nover two lines\"",
            GOOD,
            "PL-POW-01,2026-11-01,K2,MBT,,S3,1,FMC,ZZZ,24,,,",
            "PL-POW-01,2026-11-01,K2,MBT,,S4,7,FMC,POL,24,,,",
        ]),
    );
    let r = w.import(&f).code(65);
    let file = f.display().to_string();
    // The first data row spans lines 2-3, so the next rows are on 4, 5, 6.
    assert!(
        r.stderr.contains(&format!("{file}:2: status:")),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains(&format!("{file}:5: owner:")),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains(&format!("{file}:6: quantity:")),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("3 invalid rows"), "{}", r.stderr);
    assert_eq!(
        w.state(),
        "(nothing imported)",
        "a refused first import leaves nothing imported"
    );
    let r = w.run(["report", "--format", "json"]).code(66);
    assert!(r.stderr.contains("nothing imported yet"), "{}", r.stderr);
    assert_eq!(r.stdout.len(), 0, "nothing imported");
}

#[test]
fn at_most_fifty_errors_are_shown_then_a_count() {
    let w = Work::new();
    let bad: Vec<String> = (0..120)
        .map(|i| format!("PL-POW-01,2026-11-01,K2,MBT,,S{i},1,WRONG,POL,24,,,"))
        .collect();
    let refs: Vec<&str> = bad.iter().map(String::as_str).collect();
    let r = w.import(&w.write("bad.csv", export(&refs))).code(65);
    assert_eq!(r.stderr.matches(": status: ").count(), 50, "{}", r.stderr);
    assert!(r.stderr.contains("70 more invalid rows"), "{}", r.stderr);
    assert!(r.stderr.contains("120 invalid rows"), "{}", r.stderr);
}

#[test]
fn duplicate_serial_in_a_snapshot_and_type_conflicts_are_invalid() {
    let w = Work::new();
    let f = w.write(
        "dup.csv",
        export(&[
            "PL-POW-01,2026-11-01,K2,MBT,2350-42-110-2001,S1,1,FMC,POL,24,,,",
            "PL-POW-01,2026-11-01,K2,MBT,2350-42-110-2002,S2,1,FMC,POL,24,,,",
            "PL-POW-01,2026-11-01,K2,IFV,,S3,1,FMC,POL,24,,,",
            "PL-POW-01,2026-11-01,K2,MBT,,S1,1,PMC,POL,24,,,",
        ]),
    );
    let r = w.import(&f).code(65);
    assert!(
        r.stderr
            .contains(":3: nsn: \"2350-42-110-2002\" differs from NSN 2350-42-110-2001"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains(":4: category: \"IFV\" differs from category MBT"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains(":5: serial: \"S1\" is already held by line 2"),
        "{}",
        r.stderr
    );
    assert_eq!(
        w.state(),
        "(nothing imported)",
        "a refused first import leaves nothing imported"
    );
}

#[test]
fn skip_invalid_imports_the_rest_and_writes_rejects() {
    let w = Work::new();
    let f = w.write(
        "mixed.csv",
        export(&[
            GOOD,
            "PL-POW-01,2026-11-01,K2,MBT,,S2,1,READY,POL,24,,,",
            "PL-POW-01,2026-11-01,K2,MBT,,S3,1,PMC,POL,24,,,",
        ]),
    );
    let rejects = w.path("rejects.csv");
    let r = w
        .run([
            "import".as_ref(),
            "--skip-invalid".as_ref(),
            "--rejects".as_ref(),
            rejects.as_os_str(),
            f.as_os_str(),
        ])
        .ok();
    assert!(
        r.stdout.contains("3 rows read, 2 imported, 1 rejected"),
        "{}",
        r.stdout
    );
    let text = std::fs::read_to_string(&rejects).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "line,column,reason,depot,as_of,type,category,nsn,serial,quantity,status,owner,notice_hours,lot,expires,remarks"
    );
    let rejected = lines.next().unwrap();
    assert!(
        rejected.starts_with("3,status,\"\"\"READY\"\" is not a readiness status"),
        "{rejected}"
    );
    assert!(
        rejected.ends_with("PL-POW-01,2026-11-01,K2,MBT,,S2,1,READY,POL,24,,,"),
        "{rejected}"
    );
    assert_eq!(lines.next(), None);
    let report = w.json(&["report"]);
    assert_eq!(report["total"]["on_hand"], 2);
}

#[test]
fn dry_run_validates_and_writes_nothing() {
    let w = Work::new();
    let f = w.write("a.csv", export(&[GOOD]));
    let r = w
        .run(["import".as_ref(), "--dry-run".as_ref(), f.as_os_str()])
        .ok();
    assert!(r.stdout.contains("1 would import"), "{}", r.stdout);
    assert!(
        r.stdout.contains("dry run: nothing written"),
        "{}",
        r.stdout
    );
    assert!(!w.db().exists(), "a dry run must not create the database");
    w.import(&f).ok();
    let before = w.state();
    let g = w.write(
        "b.csv",
        export(&[GOOD.replace("2026-11-01", "2026-12-01").as_str()]),
    );
    w.run(["import".as_ref(), "--dry-run".as_ref(), g.as_os_str()])
        .ok();
    assert_eq!(w.state(), before);
    let bad = w.write(
        "c.csv",
        export(&["PL-POW-01,2026-12-01,K2,MBT,,S1,1,NOPE,POL,24,,,"]),
    );
    w.run(["import".as_ref(), "--dry-run".as_ref(), bad.as_os_str()])
        .code(65);
}

#[test]
fn depot_and_as_of_options_fill_missing_columns_and_check_present_ones() {
    let w = Work::new();
    let f = w.write("nodepot.csv", "type,status,serial\nK2,FMC,S1\nK2,nmcs,S2\n");
    w.import(&f).code(65);
    let r = w
        .run([
            "import",
            "--depot",
            "pl-pow-01",
            "--as-of",
            "2026-11-01",
            f.to_str().unwrap(),
        ])
        .ok();
    assert!(r.stdout.contains("PL-POW-01 2026-11-01"), "{}", r.stdout);
    let g = w.write("other.csv", export(&[GOOD]));
    let r = w
        .run(["import", "--depot", "DE-AUG-01", g.to_str().unwrap()])
        .code(65);
    assert!(
        r.stderr.contains("differs from --depot DE-AUG-01"),
        "{}",
        r.stderr
    );
}

#[test]
fn header_problems_are_named() {
    let w = Work::new();
    let f = w.write("h.csv", "depot,as_of,type,stauts\nA,2026-01-01,T,FMC\n");
    let r = w.import(&f).code(65);
    assert!(
        r.stderr.contains(":1: missing required column(s): status"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("did you mean \"status\""), "{}", r.stderr);
    let f = w.write(
        "d.csv",
        "depot,site,as_of,type,status\nA,A,2026-01-01,T,FMC\n",
    );
    let r = w.import(&f).code(65);
    assert!(r.stderr.contains("repeats"), "{}", r.stderr);
    // A column that looks like a stockpile column is refused (its data
    // would be lost); one that resembles nothing is warned about.
    let f = w.write(
        "u.csv",
        "depot,as_of,type,status,serail,colour\nA,2026-01-01,T,FMC,x,red\n",
    );
    let r = w.import(&f).code(65);
    assert!(
        r.stderr
            .contains("u.csv:1: \"serail\" looks like serial but is not read as it"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("--ignore-column \"serail\""),
        "{}",
        r.stderr
    );
    assert_eq!(w.state(), "(nothing imported)", "nothing written");
    let r = w
        .run([
            "import".as_ref(),
            "--ignore-column".as_ref(),
            "Serail".as_ref(),
            f.as_os_str(),
        ])
        .ok();
    assert!(
        r.stderr.contains("unknown column \"colour\" ignored"),
        "{}",
        r.stderr
    );
}

#[test]
fn plain_named_columns_are_read_as_what_they_are() {
    let w = Work::new();
    let f = w.write(
        "plain.csv",
        "Depot,As of,Type,Category,Serial No.,Lot No,Qty.,Status,Notice (h),Expiry date,Last Inspection,Owner nation\n\
         PL-1,2026-11-01,K2,MBT,K2-0001,,1,FMC,24,,2026-10-01,POL\n\
         PL-1,2026-11-01,120MM,AMMO,,L-7,50,FMC,48,2028-01-01,2026-10-01,POL\n",
    );
    w.import(&f).ok();
    let d = w.json(&["deployable", "--within", "48h"]);
    assert_eq!(
        (&d["total"]["deployable"], &d["total"]["ammo_deployable"]),
        (&1.into(), &50.into()),
        "{d:#}"
    );
    let t = w.json(&["trace", "--depot", "PL-1", "--type", "K2"]);
    assert_eq!(t["rows"][0]["serial"], "K2-0001");
    let t = w.json(&["trace", "--depot", "PL-1", "--type", "120MM"]);
    assert_eq!(t["rows"][0]["lot"], "L-7");
}

#[test]
fn summary_lists_new_depots_types_and_near_miss_warnings() {
    let w = Work::new();
    let r = w.import(&w.write("a.csv", export(&[GOOD]))).ok();
    assert!(
        r.stdout.contains("new depots (1): PL-POW-01"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("new types (1): K2-BLACK-PANTHER"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("rows/s"), "{}", r.stdout);
    let r = w
        .import(&w.write(
            "b.csv",
            export(&[
                "PL-POW-1,2026-11-01,K2-BLACK-PANTHER,MBT,,K2-0009,1,FMC,POL,24,,,",
                "PL-POW-02,2026-11-01,K2-BLACK-PANTHER,MBT,,K2-0010,1,FMC,POL,24,,,",
            ]),
        ))
        .ok();
    assert!(
        r.stderr
            .contains("new depot PL-POW-1 looks like the known depot PL-POW-01"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("PL-POW-02 looks like"), "{}", r.stderr);
    let r = w
        .import(&w.write(
            "c.csv",
            export(&["DE-AUG-01,2026-11-01,K2BLACKPANTHER,MBT,,Z1,1,FMC,DEU,24,,,"]),
        ))
        .ok();
    assert!(
        r.stderr
            .contains("new type K2BLACKPANTHER looks like the known type K2-BLACK-PANTHER"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_serial_at_two_depots_on_one_date_is_warned_about() {
    let w = Work::new();
    w.import(&w.write("a.csv", export(&[GOOD]))).ok();
    let r = w
        .import(&w.write(
            "b.csv",
            export(&["DE-AUG-01,2026-11-01,K2-BLACK-PANTHER,MBT,,K2-0001,1,FMC,POL,24,,,"]),
        ))
        .ok();
    assert!(
        r.stderr
            .contains("serial K2-0001 of DE-AUG-01 as of 2026-11-01 is also held by PL-POW-01"),
        "{}",
        r.stderr
    );
    let r = w
        .import(&w.write(
            "c.csv",
            export(&["NO-TRD-01,2026-10-01,K2-BLACK-PANTHER,MBT,,K2-0001,1,FMC,POL,24,,,"]),
        ))
        .ok();
    assert!(
        !r.stderr.contains("also held"),
        "PL-POW-01 held nothing on 2026-10-01: {}",
        r.stderr
    );
}

#[test]
fn directories_import_every_csv_sorted_and_failures_do_not_stop_the_rest() {
    let w = Work::new();
    std::fs::create_dir(w.path("in")).unwrap();
    w.write(
        "in/b.csv",
        export(&["B-1,2026-11-01,T,OTHER,,,1,FMC,FRA,1,,,"]),
    );
    w.write(
        "in/a.csv",
        export(&["A-1,2026-11-01,T,OTHER,,,1,BAD,FRA,1,,,"]),
    );
    w.write("in/c.txt", "not a csv");
    let r = w.run(["import", w.path("in").to_str().unwrap()]).code(65);
    assert!(r.stderr.contains("a.csv:2: status"), "{}", r.stderr);
    assert!(
        r.stderr.contains("1 of 2 files were not imported"),
        "{}",
        r.stderr
    );
    let report = w.json(&["report"]);
    assert_eq!(row(&report, "depot", "B-1")["on_hand"], 1);
    w.run(["import", w.path("missing.csv").to_str().unwrap()])
        .code(66);
    std::fs::create_dir(w.path("empty")).unwrap();
    w.run(["import", w.path("empty").to_str().unwrap()])
        .code(66);
}

#[test]
fn fixtures_import_cleanly_with_their_requirements() {
    let w = Work::new();
    let r = w
        .run([
            "import",
            crate::util::fixtures().join("exports").to_str().unwrap(),
        ])
        .ok();
    assert!(!r.stderr.contains("error"), "{}", r.stderr);
    let req = crate::util::fixtures().join("requirements.csv");
    w.run(["requirements", "import", req.to_str().unwrap()])
        .ok();
    let report = w.json(&["report"]);
    let rows = report["rows"].as_array().unwrap();
    assert!(rows.len() >= 6);
    let cats = w.json(&["report", "--by", "category"]);
    assert_eq!(
        cats["rows"].as_array().unwrap().len(),
        12,
        "every category is covered"
    );
    let owners = w.json(&["report", "--by", "owner"]);
    assert!(owners["rows"].as_array().unwrap().len() >= 6);
    assert!(report["total"]["ammo_expired"].as_i64().unwrap() > 0);
    assert!(report["total"]["required"].as_i64().unwrap() > 0);
    let history = w.json(&["history"]);
    assert_eq!(
        history["rows"].as_array().unwrap().len(),
        2,
        "two snapshot dates"
    );
}

#[test]
fn many_warnings_are_grouped_and_quiet_prints_only_errors() {
    let w = Work::new();
    let extra: Vec<String> = (0..40).map(|i| format!("extra{i}")).collect();
    let header = format!("depot,as_of,type,status,{}", extra.join(","));
    let row = format!("A-1,2026-11-01,T,FMC,{}", vec!["x"; 40].join(","));
    let f = w.write("wide.csv", format!("{header}\n{row}\n"));
    let r = w.import(&f).ok();
    assert!(
        r.stderr
            .contains("40 unknown column warnings, the first 5:"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("… and 35 more"), "{}", r.stderr);
    assert!(r.stderr.lines().count() < 10, "{}", r.stderr);
    let g = w.write(
        "quiet.csv",
        format!("{header}\n{}\n", row.replace("A-1", "B-1")),
    );
    let r = w.run(["import", "--quiet", g.to_str().unwrap()]).ok();
    assert_eq!((r.stdout.as_str(), r.stderr.as_str()), ("", ""));
    let bad = w.write(
        "bad.csv",
        "depot,as_of,type,status\nC-1,2026-11-01,T,NOPE\n",
    );
    let r = w.run(["import", "--quiet", bad.to_str().unwrap()]).code(65);
    assert!(
        r.stderr.contains("status"),
        "errors still print: {}",
        r.stderr
    );
}

#[test]
fn several_files_end_with_one_table() {
    let w = Work::new();
    std::fs::create_dir(w.path("in")).unwrap();
    w.write(
        "in/a.csv",
        export(&["A-1,2026-11-01,T,OTHER,,,1,FMC,FRA,1,,,"]),
    );
    w.write(
        "in/b.csv",
        export(&[
            "B-1,2026-11-01,T,OTHER,,,1,FMC,FRA,1,,,",
            "B-1,2026-11-01,T,OTHER,,,2,PMC,FRA,1,,,",
        ]),
    );
    let r = w.run(["import", w.path("in").to_str().unwrap()]).ok();
    let table: Vec<&str> = r
        .stdout
        .lines()
        .filter(|l| l.contains("a.csv") || l.contains("TOTAL"))
        .collect();
    assert!(
        table
            .iter()
            .any(|l| l.contains("TOTAL") && l.contains("all ok")),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("rows per s"), "{}", r.stdout);
}

#[test]
fn spreadsheet_habits_are_understood_without_guessing() {
    let w = Work::new();
    let f = w.write(
        "sheet.csv",
        "depot,as_of,type,status,quantity,serial,nsn,owner,notice_hours,lot,expires\n\
         A-1,2026-11-01T00:00:00,SHELL,FMC,24.0,N/A,-,n/a,48.0,L1,2027-01-01 00:00\n\
         A-1,2026-11-01T00:00:00,TANK,PMC,1,T-1,none,FRA,-,,\n",
    );
    w.import(&f).ok();
    let r = w.json(&["deployable", "--within", "48h", "--by", "type"]);
    assert_eq!(row(&r, "type", "SHELL")["ammo_deployable"], 24);
    assert_eq!(
        row(&r, "type", "TANK")["deployable"],
        0,
        "no notice: never deployable"
    );
    // A placeholder never stands in for a required value or a quantity.
    let g = w.write(
        "bad.csv",
        "depot,as_of,type,status,quantity\nA-1,2026-11-02,SHELL,N/A,-\n",
    );
    let e = w.import(&g).code(65);
    assert!(
        e.stderr
            .contains("status: \"N/A\" is not a readiness status"),
        "{}",
        e.stderr
    );
    assert!(
        e.stderr.contains("quantity: \"-\" is not a quantity"),
        "{}",
        e.stderr
    );
    let h = w.write(
        "time.csv",
        "depot,as_of,type,status\nA-1,2026-11-02 13:30,SHELL,FMC\n",
    );
    w.import(&h).code(65);
}
