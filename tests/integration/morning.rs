//! The morning brief (SPEC §8): `changes`, `watch` and `trace` on exports
//! designed so that every figure is known in advance.

use std::path::Path;

use serde_json::{Value, json};

use crate::util::{Work, export};

/// Week 1 and week 2 of depot AA-1, BB-1 (which receives a tank from AA-1)
/// and CC-1 (one snapshot only). Every change kind happens exactly once
/// (a notice twice: one longer, one shorter).
fn two_weeks() -> Work {
    let w = Work::new();
    let week1 = w.write(
        "week1.csv",
        export(&[
            "AA-1,2026-11-01,T-1,MBT,,S-NMC,1,FMC,DEU,24,,,",
            "AA-1,2026-11-01,T-1,MBT,,S-RTS,1,NMCS,DEU,24,,,",
            "AA-1,2026-11-01,T-1,MBT,,S-MOVE,1,FMC,DEU,24,,,",
            "AA-1,2026-11-01,T-1,MBT,,S-GONE,1,FMC,DEU,24,,,",
            "AA-1,2026-11-01,T-1,MBT,,S-SAME,1,FMC,DEU,24,,,",
            "AA-1,2026-11-01,T-1,MBT,,S-PMC,1,FMC,DEU,24,,,",
            "AA-1,2026-11-01,T-1,MBT,,S-SLOW,1,FMC,DEU,24,,,",
            "AA-1,2026-11-01,R-1,AMMO,,,100,FMC,DEU,24,L1,2030-01-01,",
            "AA-1,2026-11-01,R-1,AMMO,,,60,FMC,DEU,24,L-EXP,2026-11-05,",
            "AA-1,2026-11-01,R-1,AMMO,,,20,FMC,DEU,72,L-NOTICE,2030-01-01,",
            "AA-1,2026-11-01,R-1,AMMO,,,50,FMC,DEU,24,L-OLD,2030-01-01,",
            "AA-1,2026-11-01,R-1,AMMO,,,40,FMC,DEU,24,L-SAME,2030-01-01,",
            "BB-1,2026-11-01,T-2,MBT,,B-1,1,FMC,NLD,24,,,",
            "CC-1,2026-11-08,T-2,MBT,,C-1,1,FMC,NLD,24,,,",
        ]),
    );
    w.import(&week1).ok();
    let week2 = w.write(
        "week2.csv",
        export(&[
            "AA-1,2026-11-08,T-1,MBT,,S-NMC,1,NMCM,DEU,24,,,",
            "AA-1,2026-11-08,T-1,MBT,,S-RTS,1,FMC,DEU,24,,,",
            "AA-1,2026-11-08,T-1,MBT,,S-SAME,1,FMC,DEU,24,,,",
            "AA-1,2026-11-08,T-1,MBT,,S-PMC,1,PMC,DEU,24,,,",
            "AA-1,2026-11-08,T-1,MBT,,S-NEW,1,FMC,DEU,24,,,",
            // Still FMC, but at five days' notice instead of one.
            "AA-1,2026-11-08,T-1,MBT,,S-SLOW,1,FMC,DEU,120,,,",
            "AA-1,2026-11-08,R-1,AMMO,,,80,FMC,DEU,24,L1,2030-01-01,",
            // The same line both weeks: it expired in between.
            "AA-1,2026-11-08,R-1,AMMO,,,60,FMC,DEU,24,L-EXP,2026-11-05,",
            "AA-1,2026-11-08,R-1,AMMO,,,20,FMC,DEU,48,L-NOTICE,2030-01-01,",
            "AA-1,2026-11-08,R-1,AMMO,,,40,FMC,DEU,24,L-SAME,2030-01-01,",
            "AA-1,2026-11-08,R-1,AMMO,,,30,FMC,DEU,24,L-NEW,2030-01-01,",
            "BB-1,2026-11-08,T-2,MBT,,B-1,1,FMC,NLD,24,,,",
            "BB-1,2026-11-08,T-1,MBT,,S-MOVE,1,FMC,DEU,24,,,",
        ]),
    );
    w.import(&week2).ok();
    w
}

fn depot<'a>(report: &'a Value, code: &str) -> &'a Value {
    report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["depot"] == code)
        .unwrap_or_else(|| panic!("no {code} in {report:#}"))
}

#[test]
fn a_designed_week_gives_each_change_kind_exactly_once() {
    let w = two_weeks();
    let items = w.json(&["changes", "--items"]);
    let got: Vec<Value> = items["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            json!([
                r["depot"],
                r["serial"],
                r["lot"],
                r["change"],
                r["from"],
                r["to"]
            ])
        })
        .collect();
    let expected = vec![
        json!(["AA-1", "S-NMC", null, "became_nmc", "FMC", "NMCM"]),
        json!(["AA-1", null, "L-EXP", "expired", "FMC", "expired"]),
        json!(["AA-1", "S-RTS", null, "returned_to_mc", "NMCS", "FMC"]),
        json!(["AA-1", null, "L-NOTICE", "notice", 72, 48]),
        json!(["AA-1", "S-SLOW", null, "notice", 24, 120]),
        json!(["AA-1", "S-MOVE", null, "moved_out", "AA-1", "BB-1"]),
        json!(["BB-1", "S-MOVE", null, "moved_in", "AA-1", "BB-1"]),
        json!(["AA-1", null, "L-NEW", "arrived", null, 30]),
        json!(["AA-1", "S-NEW", null, "arrived", null, "FMC"]),
        json!(["AA-1", null, "L-OLD", "departed", 50, null]),
        json!(["AA-1", "S-GONE", null, "departed", "FMC", null]),
        json!(["AA-1", null, "L1", "quantity", 100, 80]),
        json!(["AA-1", "S-PMC", null, "status", "FMC", "PMC"]),
    ];
    assert_eq!(got, expected, "{items:#}");
    // The serial no depot reports any more is flagged; the unchanged tank
    // and lot never appear.
    let gone = items["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["serial"] == "S-GONE")
        .unwrap();
    assert!(gone["note"].as_str().unwrap().contains("possibly lost"));
    for r in items["rows"].as_array().unwrap() {
        assert!(
            r["serial"] != "S-SAME" && r["lot"] != "L-SAME" && r["serial"] != "B-1",
            "an unchanged item is listed: {r}"
        );
    }

    let expired = items["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["lot"] == "L-EXP")
        .unwrap();
    assert_eq!(expired["note"], "expired on 2026-11-05");

    let summary = w.json(&["changes"]);
    let aa = depot(&summary, "AA-1");
    // Equipment items: 7 on hand, 6 MC → 6 on hand, 5 MC (S-RTS back,
    // S-NMC down, S-MOVE and S-GONE gone, S-NEW new, PMC still MC).
    // Rounds apart: 270 → 230 on hand; serviceable 270 → 170, the 60 of
    // L-EXP having expired on 2026-11-05.
    let expected = json!({
        "depot": "AA-1", "from_as_of": "2026-11-01", "to_as_of": "2026-11-08",
        "on_hand_change": -1, "mc_change": -1,
        "mc_rate_from": 6.0 / 7.0, "mc_rate_to": 5.0 / 6.0,
        "became_nmc": 1, "returned_to_mc": 1, "notice_longer": 1, "arrived": 1, "departed": 1,
        "moved_in": 0, "moved_out": 1,
        "ammo_change": -40, "ammo_serviceable_change": -100,
    });
    for (k, v) in expected.as_object().unwrap() {
        match v.as_f64() {
            Some(x) if v.is_f64() => {
                assert!((aa[k].as_f64().unwrap() - x).abs() < 1e-9, "{k}: {aa:#}")
            }
            _ => assert_eq!(&aa[k], v, "{k}: {aa:#}"),
        }
    }
    assert_eq!(depot(&summary, "BB-1")["moved_in"], 1);
    assert_eq!(depot(&summary, "BB-1")["on_hand_change"], 1);
    // One snapshot only: listed with nothing to compare, and said so.
    let cc = depot(&summary, "CC-1");
    assert_eq!(cc["from_as_of"], Value::Null);
    assert_eq!(cc["became_nmc"], Value::Null);
    let r = w.run(["changes"]).ok();
    assert!(
        r.stderr
            .contains("CC-1: one snapshot only (2026-11-08): nothing to compare"),
        "{}",
        r.stderr
    );
}

#[test]
fn changes_windows_and_filters() {
    let w = two_weeks();
    // On the first date nothing has a snapshot before it.
    let first = w.json(&["changes", "--as-of", "2026-11-01"]);
    assert_eq!(depot(&first, "AA-1")["from_as_of"], Value::Null);
    assert!(
        first["rows"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["depot"] != "CC-1")
    );
    // --since names the older side explicitly.
    let since = w.json(&["changes", "--since", "2026-11-01", "--depot", "AA-1"]);
    assert_eq!(since["rows"].as_array().unwrap().len(), 1);
    assert_eq!(depot(&since, "AA-1")["became_nmc"], 1);
    // Item filters.
    let ammo = w.json(&["changes", "--items", "--category", "AMMO"]);
    assert_eq!(ammo["rows"].as_array().unwrap().len(), 5);
    let moves = w.json(&["changes", "--items", "--depot", "BB-1"]);
    assert_eq!(moves["rows"].as_array().unwrap().len(), 1);
    assert_eq!(moves["rows"][0]["change"], "moved_in");
    // The summary compares whole depots: an item filter there is refused.
    let r = w.run(["changes", "--type", "T-1"]).code(2);
    assert!(r.stderr.contains("--items"), "{}", r.stderr);
}

#[test]
fn watch_lists_what_needs_attention_on_hand_made_dates() {
    let w = Work::new();
    let f = w.write(
        "watch.csv",
        "depot,as_of,type,category,serial,quantity,status,lot,expires,last_inspected\n\
         WW-1,2026-11-15,R-1,AMMO,,100,FMC,E-PAST,2026-10-15,2026-11-01\n\
         WW-1,2026-11-15,R-1,AMMO,,60,FMC,E-SOON,2026-12-01,2026-11-01\n\
         WW-1,2026-11-15,R-1,AMMO,,40,FMC,E-LATER,2027-06-01,2026-11-01\n\
         WW-1,2026-11-15,T-1,MBT,I-OLD,1,FMC,,,2026-03-01\n\
         WW-1,2026-11-15,T-1,MBT,I-FRESH,1,FMC,,,2026-10-01\n\
         WW-1,2026-11-15,T-1,MBT,I-NEVER,1,FMC,,,\n\
         OLD-1,2026-10-01,T-1,MBT,O-1,1,FMC,,,2026-09-01\n",
    );
    w.import(&f).ok();
    let r = w.json(&["watch", "--items", "--today", "2026-11-20"]);
    let got: Vec<Value> = r["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            json!([
                r["kind"],
                r["depot"],
                r["serial"],
                r["lot"],
                r["date"],
                r["days"]
            ])
        })
        .collect();
    assert_eq!(
        got,
        vec![
            json!(["stale_depot", "OLD-1", null, null, "2026-10-01", 50]),
            json!(["expired", "WW-1", null, "E-PAST", "2026-10-15", 36]),
            json!(["expiring", "WW-1", null, "E-SOON", "2026-12-01", 11]),
            json!(["inspection_overdue", "WW-1", "I-NEVER", null, null, null]),
            json!([
                "inspection_overdue",
                "WW-1",
                "I-OLD",
                null,
                "2026-03-01",
                259
            ]),
        ],
        "{r:#}"
    );
    // Windows move what is listed.
    let r = w.json(&[
        "watch",
        "--items",
        "--today",
        "2026-11-20",
        "--expiring",
        "365d",
        "--inspection",
        "30d",
        "--stale",
        "60d",
    ]);
    let kinds: Vec<&str> = r["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        // I-FRESH is now overdue too (45 days > 30); OLD-1 (50 days) is no
        // longer stale, and its O-1 (30 days) not overdue.
        [
            "expired",
            "expiring",
            "expiring",
            "inspection_overdue",
            "inspection_overdue",
            "inspection_overdue"
        ],
        "{r:#}"
    );
    // For cron: exit 1 when anything is listed, 0 when nothing is.
    w.run(["watch", "--today", "2026-11-20", "--fail-on-any"])
        .code(1);
    w.run([
        "watch",
        "--today",
        "2026-10-02",
        "--depot",
        "OLD-1",
        "--fail-on-any",
    ])
    .ok();
    w.run(["watch", "--today", "2026-11-20", "--stale", "soon"])
        .code(2);
    // A plain number of days is days: these windows are counted in days.
    let days = |window: &str| {
        w.json(&[
            "watch",
            "--items",
            "--today",
            "2026-11-20",
            "--expiring",
            window,
        ])["rows"]
            .clone()
    };
    assert_eq!(days("30"), days("30d"));
    assert_ne!(days("30"), days("300d"));
}

#[test]
fn trace_follows_a_line_through_replace_and_a_late_snapshot() {
    let w = Work::new();
    // Week 2 first: S-1 on line 2, S-2 on line 3.
    let week2 = w.write(
        "week2.csv",
        export(&[
            "TR-1,2026-11-08,T-1,MBT,,S-1,1,FMC,DEU,24,,,",
            "TR-1,2026-11-08,T-1,MBT,,S-2,1,FMC,DEU,24,,,",
        ]),
    );
    w.import(&week2).ok();
    // A corrected week 2 replaces it: S-2 is now NMCM, S-1 moved to line 3.
    let fixed = w.write(
        "week2-fixed.csv",
        export(&[
            "TR-1,2026-11-08,T-1,MBT,,S-2,1,NMCM,DEU,24,,,",
            "TR-1,2026-11-08,T-1,MBT,,S-1,1,FMC,DEU,24,,,",
        ]),
    );
    w.run(["import".as_ref(), "--replace".as_ref(), fixed.as_os_str()])
        .ok();
    let t = w.json(&["trace", "--depot", "TR-1", "--type", "T-1"]);
    let rows = t["rows"].as_array().unwrap();
    let s1 = rows.iter().find(|r| r["serial"] == "S-1").unwrap();
    let s2 = rows.iter().find(|r| r["serial"] == "S-2").unwrap();
    assert_eq!(
        (
            s1["file"].as_str().unwrap().ends_with("week2-fixed.csv"),
            s1["line"].as_u64()
        ),
        (true, Some(3)),
        "{t:#}"
    );
    assert_eq!(
        (s2["line"].as_u64(), s2["ledger_entry"].as_u64()),
        (Some(2), Some(2)),
        "{t:#}"
    );
    assert_eq!(t["total"]["on_hand"], 2);

    // A late week-1 export, S-1 on its line 4: S-1 now begins there, and
    // the week-2 snapshot confirms it.
    let week1 = w.write(
        "week1.csv",
        export(&[
            "TR-1,2026-11-01,T-1,MBT,,S-0,1,FMC,DEU,24,,,",
            "TR-1,2026-11-01,T-1,MBT,,S-2,1,FMC,DEU,24,,,",
            "TR-1,2026-11-01,T-1,MBT,,S-1,1,FMC,DEU,24,,,",
        ]),
    );
    w.import(&week1).ok();
    let t = w.json(&[
        "trace", "--depot", "TR-1", "--type", "T-1", "--serial", "S-1",
    ]);
    let s1 = &t["rows"][0];
    assert!(s1["file"].as_str().unwrap().ends_with("week1.csv"), "{t:#}");
    assert_eq!(s1["line"], 4);
    assert_eq!(s1["ledger_entry"], 3);
    assert_eq!(s1["since"], "2026-11-01");
    assert_eq!(
        s1["confirmed_by"],
        json!([{"as_of": "2026-11-08", "ledger_entry": 2, "file": w.path("week2-fixed.csv").to_str().unwrap()}])
    );
    // On the late date the same line is behind the figure, unconfirmed yet.
    let t = w.json(&[
        "trace",
        "--depot",
        "TR-1",
        "--type",
        "T-1",
        "--as-of",
        "2026-11-01",
    ]);
    assert_eq!(t["total"]["as_of"], "2026-11-01");
    assert_eq!(t["rows"].as_array().unwrap().len(), 3);
    let s1 = t["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["serial"] == "S-1")
        .unwrap();
    assert_eq!(
        (
            s1["line"].as_u64(),
            s1["confirmed_by"].as_array().unwrap().len()
        ),
        (Some(4), 0)
    );
    // S-2 changed between the dates: each date has its own line.
    let s2 = t["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["serial"] == "S-2")
        .unwrap();
    assert_eq!(
        (s2["line"].as_u64(), s2["ledger_entry"].as_u64()),
        (Some(3), Some(3))
    );
    // Every stored line is within its file, as check verifies.
    w.run(["check"]).ok();

    // Names the database does not know, and a date before any snapshot,
    // are refused as data (65), with the nearest known code.
    let r = w
        .run(["trace", "--depot", "TR-01", "--type", "T-1"])
        .code(65);
    assert!(r.stderr.contains("did you mean TR-1?"), "{}", r.stderr);
    w.run(["trace", "--depot", "TR-1", "--type", "NOPE"])
        .code(65);
    w.run([
        "trace",
        "--depot",
        "TR-1",
        "--type",
        "T-1",
        "--as-of",
        "2026-01-01",
    ])
    .code(65);
}

#[test]
fn check_names_a_line_number_edited_behind_its_back() {
    let w = two_weeks();
    w.run(["check"]).ok();
    w.sql("UPDATE holding_version SET source_line = 999 WHERE serial = 'S-NEW'");
    let r = w.run(["check"]).code(65);
    assert!(
        r.stdout.contains("provenance") && r.stdout.contains("but its records end on line 14"),
        "{}",
        r.stdout
    );
    w.sql("UPDATE holding_version SET source_line = NULL WHERE serial = 'S-NEW'");
    let r = w.run(["check", "--format", "csv"]).code(65);
    assert!(
        r.stdout.contains("have lost their line number"),
        "{}",
        r.stdout
    );
}

#[test]
fn a_version_1_database_is_upgraded_on_open() {
    crate::file_only!();
    let w = two_weeks();
    // Turn the database back into what version 1 wrote: no line numbers, no
    // MC totals on snapshots, no index on the versions' start.
    let conn = rusqlite::Connection::open(w.db()).unwrap();
    back_to_version_3(&conn);
    back_to_version_2(&conn);
    conn.execute_batch(
        "DROP INDEX holding_version_by_depot_start;
         DROP VIEW current_readiness;
         DROP VIEW required_levels;
         DROP TABLE readiness_notice;
         DROP TABLE readiness_current;
         CREATE TABLE readiness_current (depot_id INTEGER, type_id INTEGER, owner TEXT,
             state TEXT, notice_hours INTEGER, quantity INTEGER);
         ALTER TABLE holding_version DROP COLUMN source_line;
         ALTER TABLE snapshot DROP COLUMN mc;
         PRAGMA user_version = 1;",
    )
    .unwrap();
    drop(conn);
    let before = w.json(&["report"]);
    let conn = rusqlite::Connection::open(w.db()).unwrap();
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, stockpile::db::SCHEMA_VERSION);
    drop(conn);
    // The MC totals were rebuilt from the holdings; old lines have no number.
    let aa = depot(&w.json(&["changes"]), "AA-1").clone();
    assert_eq!(
        (aa["mc_change"].as_i64(), aa["on_hand_change"].as_i64()),
        (Some(-1), Some(-1))
    );
    assert_eq!(aa["ammo_serviceable_change"], -100);
    let t = w.json(&[
        "trace", "--depot", "AA-1", "--type", "T-1", "--serial", "S-NMC",
    ]);
    assert_eq!(t["rows"][0]["line"], Value::Null);
    assert_eq!(w.json(&["report"]), before);
    // These entries were written with line numbers (the ledger says up to
    // which line), so check names the loss; entries of a true version 1
    // database record no last line and are accepted without numbers.
    let r = w.run(["check"]).code(65);
    assert!(
        r.stdout.contains("have lost their line number"),
        "{}",
        r.stdout
    );
}

/// Every table and view says in its own text what it holds (SQLite keeps
/// a statement's comments in the schema, where `.schema` and Datasette
/// show them); the table a newcomer would sum says why it cannot be; a
/// file of version 4 gains the view's comment when it is opened.
#[test]
fn every_table_and_view_explains_itself() {
    crate::file_only!();
    let w = crate::util::with_fixtures();
    let conn = rusqlite::Connection::open(w.db()).unwrap();
    let objects: Vec<(String, String)> = conn
        .prepare(
            "SELECT name, sql FROM sqlite_schema WHERE type IN ('table', 'view') ORDER BY name",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(objects.len(), 17, "{objects:?}");
    for (name, sql) in &objects {
        let body = &sql[sql.find(['(', '\n']).unwrap()..];
        assert!(body.contains("-- "), "{name} says nothing of itself: {sql}");
    }
    let history = &objects
        .iter()
        .find(|(n, _)| n == "holding_version")
        .unwrap()
        .1;
    assert!(history.contains("HISTORY") && history.contains("current_holdings"));
    // Why: the history sums to more than is held; the view sums to what
    // the report says is held, items and rounds apart.
    let sum = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
    let items = sum("SELECT sum(quantity) FROM current_holdings WHERE lot IS NULL");
    let rounds = sum("SELECT sum(quantity) FROM current_holdings WHERE lot IS NOT NULL");
    let report = w.json(&["report"]);
    assert_eq!(items, report["total"]["on_hand"].as_i64().unwrap());
    assert_eq!(rounds, report["total"]["ammo_on_hand"].as_i64().unwrap());
    assert!(sum("SELECT sum(quantity) FROM holding_version") > items + rounds);
    // A file of version 4 (its view as migration 4 made it) is upgraded.
    let v4 = conn
        .query_row(
            "SELECT sql FROM sqlite_schema WHERE name = 'current_holdings'",
            [],
            |r| r.get::<_, String>(0),
        )
        .unwrap();
    let at = v4.find("SELECT").unwrap() + "SELECT".len();
    let end = v4.find("d.code").unwrap();
    let uncommented = format!("{} {}", &v4[..at], &v4[end..]);
    conn.execute_batch(&format!(
        "DROP VIEW current_holdings; {uncommented}; {BEFORE_8} {BEFORE_7} ALTER TABLE depot DROP COLUMN provenance; PRAGMA user_version = 4;"
    ))
    .unwrap();
    drop(conn);
    w.run(["report"]).ok();
    let conn = rusqlite::Connection::open(w.db()).unwrap();
    let (version, sql): (i64, String) = conn
        .query_row(
            "SELECT (SELECT user_version FROM pragma_user_version), sql FROM sqlite_schema WHERE name = 'current_holdings'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(version, stockpile::db::SCHEMA_VERSION);
    assert!(sql.contains("Today's holdings"), "{sql}");
}

/// Undoes migration 8 of schema.sql: no sums of what needs attention.
const BEFORE_8: &str = "DROP TABLE attention_day;
     ALTER TABLE readiness_expiry DROP COLUMN lots;";

/// Undoes migration 7 of schema.sql: no figures kept by owner.
const BEFORE_7: &str = "DROP TABLE readiness_owner;
     DROP TABLE readiness_owner_notice;
     DROP TABLE readiness_depot_owner;
     DROP TABLE readiness_depot_owner_notice;
     ALTER TABLE readiness_expiry DROP COLUMN owner;";

/// A database version 6 wrote (before the figures by owner were kept)
/// gives the same figures by owner once opened, now from the sums the
/// migration counted, and `check` finds them equal to the holdings.
#[test]
fn a_version_6_database_is_upgraded_to_figures_by_owner() {
    crate::file_only!();
    let w = two_weeks();
    let figures = || {
        [
            w.json(&["report", "--by", "owner,type"]),
            w.json(&["report", "--owner", "NLD"]),
            w.json(&["report", "--by", "depot,owner"]),
            w.json(&["deployable", "--within", "24h", "--by", "owner"]),
        ]
    };
    let fresh = figures();
    let conn = rusqlite::Connection::open(w.db()).unwrap();
    conn.execute_batch(&format!("{BEFORE_8} {BEFORE_7} PRAGMA user_version = 6;"))
        .unwrap();
    drop(conn);
    assert_eq!(figures(), fresh);
    let conn = rusqlite::Connection::open(w.db()).unwrap();
    let (version, rows): (i64, i64) = conn
        .query_row(
            "SELECT (SELECT user_version FROM pragma_user_version),
                    (SELECT count(*) FROM readiness_owner)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(version, stockpile::db::SCHEMA_VERSION);
    assert!(rows > 0);
    drop(conn);
    w.run(["check"]).ok();
}

/// Undoes migrations 7, 6 and 4 of schema.sql on a database this build
/// made: no figures by owner, kept provenance sums, condition codes, test
/// dates, suspended rounds nor priority issue.
fn back_to_version_3(conn: &rusqlite::Connection) {
    conn.execute_batch(&format!(
        "{BEFORE_8}
         {BEFORE_7}
         ALTER TABLE depot DROP COLUMN provenance;
         DROP VIEW current_readiness;
         DROP VIEW current_holdings;
         DROP INDEX readiness_notice_by_depot;
         ALTER TABLE readiness_notice DROP COLUMN priority;
         ALTER TABLE readiness_expiry DROP COLUMN priority;
         ALTER TABLE readiness_current DROP COLUMN ammo_susp;
         ALTER TABLE holding_version DROP COLUMN condition_code;
         ALTER TABLE holding_version DROP COLUMN next_test;
         ALTER TABLE snapshot DROP COLUMN ammo_suspended;
         CREATE INDEX readiness_notice_by_depot ON readiness_notice(depot_id, type_id,
             notice_hours, fmc, pmc, ammo_fmc, ammo_pmc);
         CREATE VIEW current_holdings AS SELECT h.quantity AS quantity
             FROM holding_version h WHERE h.valid_to IS NULL;
         CREATE VIEW current_readiness AS SELECT r.fmc AS fmc FROM readiness_current r;
         PRAGMA user_version = 3;"
    ))
    .unwrap();
}

/// A database version 3 wrote (before condition codes) gives the same
/// figures once opened, and its views name the new columns.
#[test]
fn a_version_3_database_is_upgraded_to_condition_codes() {
    crate::file_only!();
    let w = two_weeks();
    upgrades_to_the_same_figures(&w, back_to_version_3);
    let conn = rusqlite::Connection::open(w.db()).unwrap();
    let suspended: i64 = conn
        .query_row(
            "SELECT count(ammo_suspended) FROM current_readiness",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(suspended > 0);
    drop(conn);
    w.run(["check"]).ok();
}

/// Turns the database back with `back`, opens it, and asserts the same
/// figures as before and the current schema version.
fn upgrades_to_the_same_figures(w: &Work, back: impl Fn(&rusqlite::Connection)) {
    let figures = || {
        (
            w.json(&["report", "--by", "depot,type"]),
            w.json(&["changes"]),
            w.json(&["deployable", "--within", "24h"]),
        )
    };
    let fresh = figures();
    let conn = rusqlite::Connection::open(w.db()).unwrap();
    back(&conn);
    drop(conn);
    assert_eq!(figures(), fresh);
    let conn = rusqlite::Connection::open(w.db()).unwrap();
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, stockpile::db::SCHEMA_VERSION);
}

/// Undoes migration 3 of schema.sql on a database this build made: the
/// aggregates and views as version 2 kept them (lots under their status,
/// `expired` judged on the snapshot's date, rounds summed with items).
fn back_to_version_2(conn: &rusqlite::Connection) {
    conn.execute_batch(
        "DROP VIEW current_readiness;
         DROP VIEW current_holdings;
         DROP TABLE readiness_expiry;
         DROP TABLE readiness_notice;
         DROP TABLE readiness_current;
         CREATE TABLE readiness_current (depot_id INTEGER NOT NULL, type_id INTEGER NOT NULL,
             fmc INTEGER NOT NULL, pmc INTEGER NOT NULL, nmcm INTEGER NOT NULL,
             nmcs INTEGER NOT NULL, expired INTEGER NOT NULL,
             PRIMARY KEY (depot_id, type_id)) WITHOUT ROWID;
         CREATE TABLE readiness_notice (depot_id INTEGER NOT NULL, type_id INTEGER NOT NULL,
             notice_hours INTEGER, fmc INTEGER NOT NULL, pmc INTEGER NOT NULL);
         INSERT INTO readiness_current SELECT depot_id, type_id, 1, 0, 0, 0, 0
             FROM holding_version WHERE valid_to IS NULL GROUP BY depot_id, type_id;
         ALTER TABLE snapshot DROP COLUMN on_hand;
         ALTER TABLE snapshot DROP COLUMN ammo_on_hand;
         ALTER TABLE snapshot DROP COLUMN ammo_serviceable;
         UPDATE snapshot SET mc = quantity;
         CREATE VIEW current_holdings AS SELECT h.quantity AS quantity
             FROM holding_version h WHERE h.valid_to IS NULL;
         CREATE VIEW current_readiness AS SELECT r.fmc AS fmc FROM readiness_current r;
         PRAGMA user_version = 2;",
    )
    .unwrap();
}

/// A database version 2 wrote (rounds summed with items, lots expired as
/// of their snapshot's date) gives the figures of SPEC §4 once opened: the
/// aggregates and each snapshot's figures are rebuilt from the holdings.
#[test]
fn a_version_2_database_is_upgraded_to_rounds_apart() {
    crate::file_only!();
    let w = two_weeks();
    upgrades_to_the_same_figures(&w, |conn| {
        back_to_version_3(conn);
        back_to_version_2(conn);
    });
    w.run(["check"]).ok();
}

/// A package of T-1 tanks: six within 48 h in week 1; in week 2 one of
/// them (S-SLOW) went to five days' notice, and the rest give five — so
/// the package slipped from complete at 24 h to 5 of 6, complete at 120 h.
#[test]
fn changes_names_the_packages_that_slipped_and_why() {
    let w = two_weeks();
    let dir = w.path("packages");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(
        dir.join("company.toml"),
        "name = \"T-1 company\"\nwithin = \"48h\"\n[[line]]\nname = \"tanks\"\ntypes = [\"T-1\"]\nquantity = 6\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("steady.toml"),
        "name = \"steady\"\nwithin = \"48h\"\n[[line]]\nname = \"tanks\"\ntypes = [\"T-2\"]\nquantity = 1\n",
    )
    .unwrap();
    let r = w.json(&["changes", "--packages", dir.to_str().unwrap()]);
    let slips = r["packages"].as_array().unwrap();
    assert_eq!(slips.len(), 1, "only the package that changed: {r:#}");
    let s = &slips[0];
    assert_eq!(s["package"], "T-1 company");
    assert_eq!(s["worse"], true);
    assert_eq!(
        (
            &s["from"]["fill_rate"],
            &s["from"]["ready_within_hours"],
            &s["from"]["complete_hours"]
        ),
        (&json!(1.0), &json!(24), &json!(24))
    );
    assert_eq!(
        (&s["to"]["ready_within_hours"], &s["to"]["complete_hours"]),
        (&Value::Null, &json!(120))
    );
    assert!((s["to"]["fill_rate"].as_f64().unwrap() - 5.0 / 6.0).abs() < 1e-9);
    assert_eq!(
        s["lines"],
        json!([{"line": "tanks", "needed": 6, "allocated_from": 6, "allocated_to": 5,
                "notice_hours_from": 24, "notice_hours_to": 24}])
    );
    let t = w
        .run(["changes", "--packages", dir.to_str().unwrap()])
        .ok()
        .stdout;
    assert!(t.contains("T-1 company: tanks 6 → 5 of 6"), "{t}");
}

/// `watch` at a morning brief: one row per depot and kind with how many,
/// and the worst case — the oldest expiry past, the soonest to come —
/// kinds in their order of urgency, the total of items; `--items` the rows.
#[test]
fn watch_sums_each_depot_and_kind_worst_first() {
    let w = crate::util::with_fixtures();
    let items = w.json(&["watch", "--items"]);
    let summary = w.json(&["watch"]);
    let rows = items["rows"].as_array().unwrap();
    let groups = summary["rows"].as_array().unwrap();
    assert_eq!(summary["total"]["items"], rows.len());
    for g in groups {
        let mine: Vec<&serde_json::Value> = rows
            .iter()
            .filter(|r| r["kind"] == g["kind"] && r["depot"] == g["depot"])
            .collect();
        assert_eq!(g["items"], mine.len(), "{g}");
        let days: Vec<i64> = mine.iter().filter_map(|r| r["days"].as_i64()).collect();
        let worst = if g["kind"] == "expiring" {
            days.iter().min()
        } else {
            days.iter().max()
        };
        assert_eq!(g["worst_days"].as_i64(), worst.copied(), "{g}");
        let q: i64 = mine.iter().filter_map(|r| r["quantity"].as_i64()).sum();
        if mine.iter().any(|r| r["quantity"].is_i64()) {
            assert_eq!(g["quantity"], q, "{g}");
        }
    }
    // Kinds in order of urgency; within a kind, the worst first.
    let order = [
        "stale_depot",
        "suspended",
        "expired",
        "expiring",
        "test_overdue",
        "inspection_overdue",
    ];
    let rank = |g: &serde_json::Value| order.iter().position(|k| g["kind"] == *k).unwrap();
    for pair in groups.windows(2) {
        assert!(rank(&pair[0]) <= rank(&pair[1]), "{pair:?}");
        if rank(&pair[0]) == rank(&pair[1]) {
            let (a, b) = (
                pair[0]["worst_days"].as_i64(),
                pair[1]["worst_days"].as_i64(),
            );
            if pair[0]["kind"] == "expiring" {
                assert!(a <= b, "{pair:?}");
            } else {
                assert!(a >= b, "{pair:?}");
            }
        }
    }
    let table = w.run(["watch"]).ok().stdout;
    assert!(
        table.contains("--items lists each lot, serial and depot"),
        "{table}"
    );
}

#[test]
fn watch_on_a_day_before_a_depots_latest_snapshot_reads_the_one_then_in_force() {
    let w = Work::new();
    let f = w.write(
        "two.csv",
        "depot,as_of,type,category,serial,quantity,status,lot,expires,last_inspected\n\
         WW-1,2026-11-01,R-1,AMMO,,100,FMC,E-A,2026-10-20,2026-11-01\n\
         WW-1,2026-11-01,T-1,MBT,S-1,1,FMC,,,\n\
         WW-1,2026-11-25,R-1,AMMO,,50,FMC,E-B,2026-11-10,2026-11-20\n\
         WW-1,2026-11-25,T-1,MBT,S-1,1,FMC,,,\n",
    );
    w.import(&f).ok();
    let listed = |today: &str| -> Vec<Value> {
        w.json(&["watch", "--items", "--today", today])["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| json!([r["kind"], r["serial"], r["lot"], r["days"]]))
            .collect()
    };
    // On the 20th the export of the 1st is in force (19 days old): E-A,
    // not yet E-B.
    assert_eq!(
        listed("2026-11-20"),
        vec![
            json!(["stale_depot", null, null, 19]),
            json!(["expired", null, "E-A", 31]),
            json!(["inspection_overdue", "S-1", null, null]),
        ]
    );
    assert_eq!(
        listed("2026-11-30"),
        vec![
            json!(["expired", null, "E-B", 20]),
            json!(["inspection_overdue", "S-1", null, null]),
        ]
    );
}

/// A question about some depots reads only theirs (through each one's
/// index), and answers for them what the question about every depot does:
/// `watch` (on the current state and on a day before a depot's latest
/// snapshot) and `changes`, rows and summaries; a serial moved to another
/// depot is still matched as a move.
#[test]
fn a_question_about_some_depots_answers_for_them_what_the_whole_does() {
    let rows = |v: Value| v["rows"].as_array().unwrap().clone();
    let of = |all: &[Value], depots: &[&str]| -> Vec<Value> {
        all.iter()
            .filter(|r| depots.iter().any(|d| r["depot"] == *d))
            .cloned()
            .collect()
    };
    let w = crate::util::with_fixtures();
    let depots: Vec<String> = rows(w.json(&["depots"]))
        .iter()
        .map(|d| d["depot"].as_str().unwrap().to_string())
        .collect();
    assert!(depots.len() >= 5, "{depots:?}");
    let questions: [&[&str]; 5] = [
        &["watch", "--items"],
        &["watch"],
        &["watch", "--items", "--today", "2026-10-15"],
        &["changes", "--items"],
        &["changes"],
    ];
    for question in questions {
        let whole = rows(w.json(question));
        let mut seen = 0;
        for some in [vec![depots[0].as_str()], vec![&depots[1], &depots[3]]] {
            let list = some.join(",");
            let mut asked: Vec<&str> = question.to_vec();
            asked.extend(["--depot", &list]);
            let part = rows(w.json(&asked));
            assert_eq!(part, of(&whole, &some), "{asked:?}");
            seen += part.len();
        }
        assert!(seen > 0, "{question:?} found nothing to compare");
    }
    // Every change kind, lots that expired unchanged among them.
    let w = two_weeks();
    for question in [&["changes", "--items"][..], &["changes"]] {
        let whole = rows(w.json(question));
        for depot in ["AA-1", "BB-1"] {
            let mut asked: Vec<&str> = question.to_vec();
            asked.extend(["--depot", depot]);
            assert_eq!(rows(w.json(&asked)), of(&whole, &[depot]), "{asked:?}");
        }
    }
    let moved = |depot: &str| -> Vec<Value> {
        rows(w.json(&["changes", "--items", "--depot", depot]))
            .into_iter()
            .filter(|r| r["serial"] == "S-MOVE")
            .map(|r| r["change"].clone())
            .collect()
    };
    assert_eq!(moved("AA-1"), vec![json!("moved_out")]);
    assert_eq!(moved("BB-1"), vec![json!("moved_in")]);
}

/// What `watch` says by depot and kind, and what its `--items` rows add up
/// to on the same day and windows, each as sorted rows of (kind, depot,
/// items, quantity, worst date, worst days): the worst is the soonest
/// expiry for lots expiring, the oldest for everything else.
fn watch_both_ways(w: &Work, args: &[&str]) -> (Vec<String>, Vec<String>) {
    let mut question = vec!["watch"];
    question.extend_from_slice(args);
    let summary: Vec<String> = w.json(&question)["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            json!([
                g["kind"],
                g["depot"],
                g["items"],
                g["quantity"],
                g["worst_date"],
                g["worst_days"]
            ])
            .to_string()
        })
        .collect();
    question.push("--items");
    let mut groups: std::collections::BTreeMap<(String, String), Vec<Value>> =
        std::collections::BTreeMap::new();
    for r in w.json(&question)["rows"].as_array().unwrap() {
        let key = (r["kind"].to_string(), r["depot"].to_string());
        groups.entry(key).or_default().push(r.clone());
    }
    let mut added: Vec<String> = groups
        .values()
        .map(|rows| {
            let g = &rows[0];
            let quantity: Option<i64> = rows
                .iter()
                .filter_map(|r| r["quantity"].as_i64())
                .reduce(|a, b| a + b);
            let dated = rows.iter().filter(|r| r["days"].is_i64());
            let worst = if g["kind"] == "expiring" {
                dated.min_by_key(|r| r["days"].as_i64())
            } else {
                dated.max_by_key(|r| r["days"].as_i64())
            };
            json!([
                g["kind"],
                g["depot"],
                rows.len(),
                quantity,
                worst.map(|r| r["date"].clone()),
                worst.map(|r| r["days"].clone())
            ])
            .to_string()
        })
        .collect();
    added.sort();
    let mut summary = summary;
    summary.sort();
    (summary, added)
}

/// `watch` by depot and kind reads the sums kept at import (lots' expiry
/// days from their type's sums, the rest by depot, kind and day) and
/// judges them on its own date and windows: on every day and window tried
/// it says what its item rows add up to — after a week counted by
/// difference, a snapshot replaced, lots of one key gone and come (a
/// type's only change: one lot of 50 rounds become two of 30 and 20),
/// suspended codes, a serial that expires, a test due, dates of year 0000
/// (day -365 from year 1) — and while a suspension notice is in force
/// (which it reads from the versions).
/// Tampering with the sums shows in `watch` (so they are what it read)
/// and in `check`.
#[test]
fn watch_by_depot_from_the_sums_kept_at_import_adds_up_its_items() {
    let w = Work::new();
    let header = "depot,as_of,nsn,type,category,serial,quantity,status,lot,expires,last_inspected,condition_code,next_test\n";
    let week1 = w.write(
        "week1.csv",
        format!(
            "{header}\
             AA-1,2026-11-01,1305-12-345-6789,R-1,AMMO,,100,FMC,L-PAST,2026-10-15,2026-06-01,,\n\
             AA-1,2026-11-01,1305-12-345-6789,R-1,AMMO,,50,FMC,L-PAST2,2026-10-15,2026-06-01,,\n\
             AA-1,2026-11-01,1315-12-345-6789,R-3,AMMO,,50,FMC,M-1,2026-10-20,2026-10-01,,\n\
             AA-1,2026-11-01,1305-12-345-6789,R-1,AMMO,,60,PMC,L-SOON,2026-12-20,2026-10-01,,\n\
             AA-1,2026-11-01,1305-12-345-6789,R-1,AMMO,,40,FMC,L-LATER,2028-01-01,2026-10-01,,\n\
             AA-1,2026-11-01,1305-12-345-6789,R-1,AMMO,,30,,L-SUSP,2026-10-01,2026-06-01,K,\n\
             AA-1,2026-11-01,1310-12-345-6789,R-2,AMMO,,25,FMC,L-TEST,2029-01-01,2026-11-01,A,2026-11-20\n\
             AA-1,2026-11-01,,T-1,MBT,S-OLD,1,FMC,,,2026-03-01,,\n\
             AA-1,2026-11-01,,T-1,MBT,S-ZERO,1,FMC,,,0000-01-01,,\n\
             AA-1,2026-11-01,1305-12-345-6789,R-1,AMMO,,5,FMC,L-ZERO,0000-03-01,2026-10-01,,\n\
             AA-1,2026-11-01,,T-1,MBT,S-NEVER,1,FMC,,,,,\n\
             AA-1,2026-11-01,,T-1,MBT,S-J,1,,,,2026-10-01,J,\n\
             AA-1,2026-11-01,,T-1,MBT,S-EXP,1,PMC,,2026-11-10,2026-10-20,,\n\
             BB-1,2026-11-01,,T-2,MBT,B-1,1,FMC,,,2026-01-10,,\n\
             BB-1,2026-11-01,1305-12-345-6789,R-1,AMMO,,10,FMC,B-L,2026-11-30,2026-10-01,,\n\
             CC-1,2026-09-01,,T-2,MBT,C-1,1,FMC,,,2026-08-01,,\n"
        ),
    );
    w.import(&week1).ok();
    let week2 = w.write(
        "week2.csv",
        format!(
            "{header}\
             AA-1,2026-11-08,1305-12-345-6789,R-1,AMMO,,100,FMC,L-PAST,2026-10-15,2026-06-01,,\n\
             AA-1,2026-11-08,1305-12-345-6789,R-1,AMMO,,30,FMC,L-NEW2,2026-10-15,2026-06-01,,\n\
             AA-1,2026-11-08,1305-12-345-6789,R-1,AMMO,,20,FMC,L-NEW3,2026-10-15,2026-06-01,,\n\
             AA-1,2026-11-08,1315-12-345-6789,R-3,AMMO,,30,FMC,M-2,2026-10-20,2026-10-01,,\n\
             AA-1,2026-11-08,1315-12-345-6789,R-3,AMMO,,20,FMC,M-3,2026-10-20,2026-10-01,,\n\
             AA-1,2026-11-08,1305-12-345-6789,R-1,AMMO,,60,NMCM,L-SOON,2026-12-20,2026-10-01,,\n\
             AA-1,2026-11-08,1305-12-345-6789,R-1,AMMO,,40,FMC,L-LATER,2026-12-01,2026-10-01,,\n\
             AA-1,2026-11-08,1305-12-345-6789,R-1,AMMO,,30,,L-SUSP,2026-10-01,2026-06-01,K,\n\
             AA-1,2026-11-08,1310-12-345-6789,R-2,AMMO,,25,FMC,L-TEST,2029-01-01,2026-11-01,A,2026-11-20\n\
             AA-1,2026-11-08,,T-1,MBT,S-OLD,1,FMC,,,2026-03-01,,\n\
             AA-1,2026-11-08,,T-1,MBT,S-ZERO,1,FMC,,,0000-01-01,,\n\
             AA-1,2026-11-08,1305-12-345-6789,R-1,AMMO,,5,FMC,L-ZERO,0000-03-01,2026-10-01,,\n\
             AA-1,2026-11-08,,T-1,MBT,S-NEVER,1,FMC,,,2026-11-05,,\n\
             AA-1,2026-11-08,,T-1,MBT,S-K,1,,,,,J,\n\
             AA-1,2026-11-08,,T-1,MBT,S-EXP,1,PMC,,2026-11-10,2026-10-20,,\n"
        ),
    );
    w.import(&week2).ok();
    let replaced = w.write(
        "bb-again.csv",
        format!(
            "{header}\
             BB-1,2026-11-01,,T-2,MBT,B-1,1,FMC,,,2026-11-01,,\n\
             BB-1,2026-11-01,,T-2,MBT,B-2,1,FMC,,,,,\n\
             BB-1,2026-11-01,1305-12-345-6789,R-1,AMMO,,20,FMC,B-L,2026-11-30,2026-10-01,,\n"
        ),
    );
    w.run([Path::new("import"), Path::new("--replace"), &replaced])
        .ok();
    let days = ["2026-11-08", "2026-11-21", "2026-12-07", "2027-01-01"];
    let windows: [&[&str]; 3] = [
        &[],
        &["--expiring", "30d", "--inspection", "90d"],
        &["--expiring", "0d", "--inspection", "0d"],
    ];
    let every_way = || {
        for day in days {
            for window in windows {
                let mut args = vec!["--today", day];
                args.extend_from_slice(window);
                let (summary, added) = watch_both_ways(&w, &args);
                assert_eq!(summary, added, "watch {args:?}");
            }
        }
    };
    every_way();
    let kinds: Vec<Value> = w.json(&["watch", "--today", "2026-11-21"])["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["kind"].clone())
        .collect();
    for kind in [
        "stale_depot",
        "suspended",
        "expired",
        "expiring",
        "test_overdue",
        "inspection_overdue",
    ] {
        assert!(kinds.contains(&json!(kind)), "{kind} in {kinds:?}");
    }
    // A notice in force from 2026-11-21: the days after it are answered
    // from the versions, the one before from the sums, alike.
    w.run([
        "suspend",
        "--nsn",
        "1305-12-345-6789",
        "--lot",
        "L-LATER",
        "--from",
        "2026-11-21",
        "--reason",
        "test",
    ])
    .ok();
    every_way();
    // The sums are what it read: a day's inspections counted once more
    // show in its count (on a day no notice is in force), and `check`
    // finds them apart from the holdings.
    w.sql("UPDATE attention_day SET items = items + 1 WHERE kind = 'inspected'");
    let (summary, added) = watch_both_ways(&w, &["--today", "2026-11-08"]);
    assert_ne!(summary, added);
    let r = w.run(["check"]).code(65);
    assert!(
        r.stdout.contains("AA-1: readiness figures differ"),
        "{}",
        r.stdout
    );
}

/// A database version 7 wrote (before the sums of what needs attention)
/// gains them when it is opened: `watch` says by depot and kind what it
/// said before, now from the sums (a lot's expiry with its count of lots),
/// and `check` finds them equal to the holdings.
#[test]
fn a_version_7_database_is_upgraded_to_sums_of_what_needs_attention() {
    crate::file_only!();
    let w = crate::util::with_fixtures();
    let questions: [&[&str]; 3] = [
        &["watch", "--today", "2026-11-29"],
        &[
            "watch",
            "--today",
            "2027-03-01",
            "--expiring",
            "30d",
            "--inspection",
            "20d",
        ],
        &["watch", "--items", "--today", "2026-11-29"],
    ];
    let answers = || questions.iter().map(|q| w.json(q)).collect::<Vec<_>>();
    let fresh = answers();
    let conn = rusqlite::Connection::open(w.db()).unwrap();
    conn.execute_batch(&format!("{BEFORE_8} PRAGMA user_version = 7;"))
        .unwrap();
    drop(conn);
    assert_eq!(answers(), fresh);
    let conn = rusqlite::Connection::open(w.db()).unwrap();
    let (version, days, lots, lot_lines): (i64, i64, i64, i64) = conn
        .query_row(
            "SELECT (SELECT user_version FROM pragma_user_version),
                    (SELECT count(*) FROM attention_day WHERE kind = 'inspected'),
                    (SELECT sum(lots) FROM readiness_expiry),
                    (SELECT count(*) FROM holding_version WHERE valid_to IS NULL
                        AND lot IS NOT NULL AND expires IS NOT NULL
                        AND coalesce(condition_code NOT IN ('J', 'K', 'L', 'M', 'N'), 1))",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    assert_eq!(version, stockpile::db::SCHEMA_VERSION);
    assert!(days > 0);
    assert_eq!(lots, lot_lines);
    drop(conn);
    w.run(["check"]).ok();
}
