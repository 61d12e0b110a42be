//! Trust: read-only query, tamper-evident ledger and check, safe export,
//! private database files, clear errors on foreign or newer databases.

use rusqlite::Connection;

use crate::util::{Work, export, fixtures, with_fixtures};

#[test]
fn query_reads_in_every_format() {
    let w = with_fixtures();
    let sql = "SELECT depot, count(*) AS lines, sum(quantity) AS quantity FROM current_holdings GROUP BY depot ORDER BY depot";
    let j = w.json(&["query", sql]);
    assert_eq!(j["rows"][0]["depot"], "DE-AUG-01");
    assert!(j["rows"][0]["lines"].as_i64().unwrap() > 100);
    let c = w.run(["query", "--format", "csv", sql]).ok();
    assert!(
        c.stdout.starts_with("depot,lines,quantity\nDE-AUG-01,"),
        "{}",
        c.stdout
    );
    let t = w.run(["query", sql]).ok();
    assert!(t.stdout.contains("DE-AUG-01"), "{}", t.stdout);
}

#[test]
fn query_never_writes() {
    let w = with_fixtures();
    let before = w.state();
    let attached = w.path("other.db");
    for sql in [
        "DELETE FROM holding_version".to_string(),
        "DROP TABLE depot".to_string(),
        "UPDATE depot SET code = 'X'".to_string(),
        "INSERT INTO depot (code) VALUES ('X')".to_string(),
        format!("ATTACH DATABASE '{}' AS other", attached.display()),
        "PRAGMA user_version = 99".to_string(),
        "PRAGMA journal_mode = DELETE".to_string(),
        "VACUUM".to_string(),
        "SELECT 1; DELETE FROM depot".to_string(),
        "CREATE TABLE t (x)".to_string(),
        "CREATE TEMP TABLE t (x)".to_string(),
        "BEGIN IMMEDIATE".to_string(),
        format!("VACUUM INTO '{}'", attached.display()),
    ] {
        let r = w.run(["query", &sql]).code(2);
        assert!(r.stderr.contains("query:"), "{sql}: {}", r.stderr);
    }
    assert_eq!(w.state(), before);
    assert!(!attached.exists(), "no statement may create a file");
    w.run(["check"]).ok();
}

#[test]
fn check_passes_on_an_honest_database() {
    let w = with_fixtures();
    let r = w.run(["check"]).ok();
    assert!(r.stdout.contains("chain intact"), "{}", r.stdout);
    let j = w.json(&["check"]);
    assert!(
        j["rows"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["result"] == "ok")
    );
}

/// A `query --format json` cell as the text the ledger hashed.
fn as_text(cell: &serde_json::Value) -> String {
    match cell {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn tamper(w: &Work, sql: &str) {
    w.sql(sql);
}

#[test]
fn check_detects_an_edited_holding() {
    let w = with_fixtures();
    tamper(
        &w,
        "UPDATE holding_version SET status = 'FMC' WHERE id = (SELECT min(id) FROM holding_version WHERE status = 'NMCM' AND valid_to IS NULL)",
    );
    let r = w.run(["check"]).code(65);
    assert!(
        r.stdout.contains("holdings were edited outside stockpile"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("imported from"),
        "names the file: {}",
        r.stdout
    );
    assert!(
        r.stdout.contains("readiness figures differ"),
        "{}",
        r.stdout
    );
}

#[test]
fn check_detects_added_and_deleted_holdings() {
    let w = with_fixtures();
    tamper(
        &w,
        "DELETE FROM holding_version WHERE id = (SELECT max(id) FROM holding_version)",
    );
    let r = w.run(["check"]).code(65);
    assert!(r.stdout.contains("lines stored"), "{}", r.stdout);
}

#[test]
fn check_detects_a_deleted_or_reordered_ledger_entry() {
    let w = with_fixtures();
    tamper(
        &w,
        "PRAGMA foreign_keys = OFF; DELETE FROM import_ledger WHERE id = 3",
    );
    let r = w.run(["check"]).code(65);
    assert!(r.stdout.contains("entry 4"), "{}", r.stdout);
    // The versions and snapshots that entry recorded now refer to nothing
    // (found on the file by SQLite's own check, on its own connection).
    assert!(r.stdout.contains("foreign keys"), "{}", r.stdout);
    assert!(
        r.stdout.contains("deleted, inserted or reordered"),
        "{}",
        r.stdout
    );

    let w = with_fixtures();
    tamper(
        &w,
        "PRAGMA foreign_keys = OFF;
         UPDATE import_ledger SET id = -1 WHERE id = 2;
         UPDATE import_ledger SET id = 2 WHERE id = 3;
         UPDATE import_ledger SET id = 3 WHERE id = -1;",
    );
    let r = w.run(["check"]).code(65);
    assert!(r.stdout.contains("FAILED"), "{}", r.stdout);
    assert!(r.stdout.contains("ledger"), "{}", r.stdout);

    let w = with_fixtures();
    tamper(
        &w,
        "UPDATE import_ledger SET os_user = 'someone-else' WHERE id = 5",
    );
    let r = w.run(["check"]).code(65);
    assert!(r.stdout.contains("entry 5"), "{}", r.stdout);
    assert!(
        r.stdout.contains("altered after it was written"),
        "{}",
        r.stdout
    );
}

#[test]
fn export_raw_then_import_reproduces_every_report() {
    let w = with_fixtures();
    let csv = w.run(["export", "--raw"]).ok().stdout;
    let copy = Work::new();
    copy.import(&copy.write("all.csv", &csv)).ok();
    copy.run([
        "requirements",
        "import",
        fixtures().join("requirements.csv").to_str().unwrap(),
    ])
    .ok();
    for by in [
        "depot",
        "type",
        "category",
        "owner",
        "depot,type,category,owner",
    ] {
        assert_eq!(
            copy.json(&["report", "--by", by]),
            w.json(&["report", "--by", by]),
            "--by {by}"
        );
    }
    assert_eq!(
        copy.json(&["deployable", "--within", "48h"]),
        w.json(&["deployable", "--within", "48h"])
    );
    assert_eq!(copy.json(&["types"]), w.json(&["types"]));
    let past = w
        .run(["export", "--raw", "--as-of", "2026-10-15"])
        .ok()
        .stdout;
    assert!(past.lines().count() > 1);
}

#[test]
fn export_neutralises_formulas_unless_raw() {
    let w = Work::new();
    w.import(&w.write(
        "f.csv",
        export(&[
            "A-1,2026-11-01,T,OTHER,,=HYPERLINK(\"x\"),1,FMC,FRA,1,,,@SUM(A1)",
            "A-1,2026-11-01,T,OTHER,,+1,1,FMC,FRA,1,,,-2",
        ]),
    ))
    .ok();
    let safe = w.run(["export"]).ok().stdout;
    assert!(safe.contains("'=HYPERLINK"), "{safe}");
    assert!(safe.contains("'@SUM(A1)"), "{safe}");
    assert!(safe.contains(",'+1,"), "{safe}");
    assert!(safe.contains(",'-2"), "{safe}");
    let raw = w.run(["export", "--raw"]).ok().stdout;
    assert!(raw.contains("\"=HYPERLINK(\"\"x\"\")\""), "{raw}");
    assert!(!raw.contains('\''), "{raw}");
}

#[cfg(unix)]
#[test]
fn the_database_is_private_to_its_owner() {
    crate::file_only!();
    use std::os::unix::fs::PermissionsExt;
    let w = with_fixtures();
    let mode = std::fs::metadata(w.db()).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn foreign_newer_and_missing_databases_are_refused_clearly() {
    crate::file_only!();
    let w = Work::new();
    let r = w.run(["report"]).code(66);
    assert!(r.stderr.contains("no such database"), "{}", r.stderr);
    assert!(!w.db().exists(), "a read must not create the database");

    std::fs::write(w.db(), b"this is not a database at all, just text....................................................................").unwrap();
    let r = w.run(["report"]).code(65);
    assert!(
        r.stderr.contains("not a stockpile database"),
        "{}",
        r.stderr
    );
    std::fs::remove_file(w.db()).unwrap();

    Connection::open(w.db())
        .unwrap()
        .execute_batch("CREATE TABLE x (y)")
        .unwrap();
    let r = w
        .import(&w.write(
            "a.csv",
            export(&["A-1,2026-11-01,T,OTHER,,,1,FMC,FRA,1,,,"]),
        ))
        .code(65);
    assert!(
        r.stderr.contains("not a stockpile database"),
        "{}",
        r.stderr
    );
    std::fs::remove_file(w.db()).unwrap();

    w.import(&w.path("a.csv")).ok();
    Connection::open(w.db())
        .unwrap()
        .execute_batch("PRAGMA user_version = 99")
        .unwrap();
    let r = w.run(["report"]).code(65);
    assert!(
        r.stderr.contains("newer than this stockpile understands"),
        "{}",
        r.stderr
    );
}

#[test]
fn an_unwritable_database_path_is_a_clear_error() {
    let w = Work::new();
    let f = w.write(
        "a.csv",
        export(&["A-1,2026-11-01,T,OTHER,,,1,FMC,FRA,1,,,"]),
    );
    for db in [
        w.path("no/such/folder/s.db"),
        std::path::PathBuf::from("/proc/stockpile-test.db"),
    ] {
        let out = assert_cmd::Command::cargo_bin("stockpile")
            .unwrap()
            .arg("--db")
            .arg(&db)
            .args(["import", f.to_str().unwrap()])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(74), "{}: {stderr}", db.display());
        assert!(
            stderr.starts_with("error: ") && stderr.contains("cannot create the database"),
            "{stderr}"
        );
        assert!(!stderr.contains("panicked"));
    }
}

#[test]
fn check_detects_edited_aggregates_alone() {
    let w = with_fixtures();
    tamper(
        &w,
        "UPDATE readiness_notice SET fmc = fmc + 1
         WHERE (depot_id, type_id) = (SELECT depot_id, type_id FROM readiness_notice
                                      ORDER BY depot_id DESC, type_id DESC LIMIT 1)",
    );
    let r = w.run(["check"]).code(65);
    assert!(
        r.stdout.contains("readiness figures differ"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("snapshot's digest"), "{}", r.stdout);
}

/// A refused first import used to delete the database it had made, under
/// a good import that had opened it meanwhile: "imported", exit 0, and
/// lost. Now nothing is removed, and every import that says it imported
/// is there afterwards.
#[test]
fn a_refused_first_import_racing_a_good_one_loses_nothing() {
    let rows: Vec<String> = (0..999)
        .map(|i| format!("DE-AUG-01,2026-11-01,LEOPARD-2A6,MBT,,L-{i},1,FMC,DEU,24,,,"))
        .collect();
    let refs: Vec<&str> = rows.iter().map(String::as_str).collect();
    let good_text = export(&refs);
    let bad_text = export(&["DE-AUG-01,2026-11-02,LEOPARD-2A6,MBT,,L-1,1,BROKEN,DEU,24,,,"]);
    for round in 0..20 {
        let w = Work::new();
        let good = w.write("good.csv", &good_text);
        let bad = w.write("bad.csv", &bad_text);
        let a = w.spawn(&["import", bad.to_str().unwrap()]);
        let b = w.spawn(&["import", good.to_str().unwrap()]);
        let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
        assert_eq!(
            a.status.code(),
            Some(65),
            "round {round}: {}",
            String::from_utf8_lossy(&a.stderr)
        );
        if b.status.code() == Some(0) {
            let r = w.json(&["report"]);
            assert_eq!(
                r["total"]["on_hand"], 999,
                "round {round}: said imported, then lost"
            );
        } else {
            // Only a busy database may refuse it, and then it says so.
            assert_eq!(
                b.status.code(),
                Some(75),
                "round {round}: {}",
                String::from_utf8_lossy(&b.stderr)
            );
        }
    }
}

/// `query` is bounded: a runaway statement stops at `--timeout` (default
/// 30 s), and on the file one that wants more than 512 MB stops too —
/// exit 2, with the reason.
#[test]
fn query_stops_a_runaway_statement() {
    let w = with_fixtures();
    let r = w
        .run([
            "query",
            "--timeout",
            "1",
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c",
        ])
        .code(2);
    assert!(
        r.stderr.contains("query: stopped after 1 s"),
        "{}",
        r.stderr
    );
    if !crate::pg::on_postgres() {
        let r = w
            .run(["query", "SELECT length(randomblob(1000000000))"])
            .code(2);
        assert!(r.stderr.contains("more than 512 MB"), "{}", r.stderr);
    }
    w.run(["query", "SELECT count(*) FROM depot"]).ok();
}

/// Edits to what is not a holding but changes figures all the same: a
/// type's category (it moves tanks between the rows of `report --by
/// category`), its NSN, a depot's code, a required quantity.
#[test]
fn check_detects_edits_to_the_registry_and_the_requirements() {
    for (sql, says) in [
        (
            "UPDATE equipment_type SET category = 'AMMO' WHERE code = 'LEOPARD-2A6'",
            "the depots and types (codes, categories, NSNs) differ",
        ),
        (
            "UPDATE equipment_type SET nsn = '2350-12-345-0000' WHERE code = 'PUMA'",
            "the depots and types (codes, categories, NSNs) differ",
        ),
        (
            "UPDATE requirement SET required = required + 5 WHERE depot_id = (SELECT min(depot_id) FROM requirement)",
            "the requirements differ from what ledger entry 12",
        ),
        (
            "DELETE FROM requirement WHERE depot_id = (SELECT max(depot_id) FROM requirement)",
            "the requirements differ",
        ),
    ] {
        let w = with_fixtures();
        let ok = w.run(["check"]).ok().stdout;
        assert!(
            ok.contains("depots and types as imported; requirements as imported"),
            "{ok}"
        );
        tamper(&w, sql);
        let r = w.run(["check"]).code(65);
        assert!(r.stdout.contains(says), "{sql}: {}", r.stdout);
    }
}

/// A holding added after every snapshot of its depot, with the aggregates
/// bumped to match (+50 FMC): it is in no snapshot's digest yet counts in
/// the current state, so `check` looks for versions no snapshot holds.
#[test]
fn check_detects_a_version_dated_past_every_snapshot() {
    let w = with_fixtures();
    tamper(
        &w,
        "INSERT INTO holding_version (depot_id, content_hash, type_id, status, quantity, valid_from, opened_by)
         SELECT depot_id, 42, type_id, 'FMC', 50, '2026-11-20', 1 FROM holding_version
         WHERE id = (SELECT min(id) FROM holding_version WHERE valid_to IS NULL AND lot IS NULL);
         UPDATE readiness_current SET fmc = fmc + 50
         WHERE (depot_id, type_id) = (SELECT depot_id, type_id FROM holding_version
                                      WHERE id = (SELECT max(id) FROM holding_version))",
    );
    let r = w.run(["check"]).code(65);
    assert!(
        r.stdout
            .contains("1 holding version belongs to no snapshot of its depot")
            && r.stdout.contains("from 2026-11-20"),
        "{}",
        r.stdout
    );
}

/// The chain cannot show its last entry deleted together with what it
/// wrote; the head noted apart from the database can: `check` and `backup`
/// print it, `check --expect` proves it is still there.
#[test]
fn a_noted_ledger_head_proves_the_tail_is_still_there() {
    let w = with_fixtures();
    let anchor = |args: &[&str]| -> (i32, String) {
        let mut all = vec!["check", "--format", "json"];
        all.extend(args);
        let r = w.run(&all);
        let j: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        let row = j["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["check"] == "anchor")
            .cloned()
            .unwrap();
        (r.code, row["detail"].as_str().unwrap().to_string())
    };
    let (code, detail) = anchor(&[]);
    assert_eq!(code, 0);
    let head = detail
        .strip_prefix("ledger head ")
        .and_then(|d| d.split(':').next())
        .unwrap()
        .to_string();
    assert_eq!(head.len(), 16, "{detail}");
    // (A server is backed up with its own tools.)
    if !crate::pg::on_postgres() {
        let backup = w.path("copy.db");
        let r = w.run(["backup", backup.to_str().unwrap()]).ok();
        assert!(r.stderr.contains(&format!("head {head}")), "{}", r.stderr);
    }
    // Later imports: the noted entry is still there.
    let more = w.write(
        "more.csv",
        crate::util::export(&["ZZ-1,2026-11-02,T-9,MBT,,S-1,1,FMC,DEU,24,,,"]),
    );
    w.import(&more).ok();
    let (code, detail) = anchor(&["--expect", &head]);
    assert_eq!(code, 0, "{detail}");
    assert!(detail.contains("1 entries since"), "{detail}");
    // The last entries deleted with all they wrote: the chain is intact,
    // every other check passes, and only the noted head tells.
    w.sql(
        "DELETE FROM holding_version WHERE opened_by >= 12;
         DELETE FROM snapshot WHERE ledger_id >= 12;
         DELETE FROM readiness_current WHERE depot_id IN (SELECT id FROM depot WHERE first_seen >= 12);
         DELETE FROM readiness_notice WHERE depot_id IN (SELECT id FROM depot WHERE first_seen >= 12);
         DELETE FROM readiness_expiry WHERE depot_id IN (SELECT id FROM depot WHERE first_seen >= 12);
         DELETE FROM readiness_depot_owner WHERE depot_id IN (SELECT id FROM depot WHERE first_seen >= 12);
         DELETE FROM readiness_depot_owner_notice WHERE depot_id IN (SELECT id FROM depot WHERE first_seen >= 12);
         DELETE FROM attention_day WHERE depot_id IN (SELECT id FROM depot WHERE first_seen >= 12);
         DELETE FROM depot WHERE first_seen >= 12;
         DELETE FROM readiness_owner WHERE type_id IN (SELECT id FROM equipment_type WHERE first_seen >= 12);
         DELETE FROM readiness_owner_notice WHERE type_id IN (SELECT id FROM equipment_type WHERE first_seen >= 12);
         DELETE FROM equipment_type WHERE first_seen >= 12;
         DELETE FROM requirement;
         DELETE FROM import_ledger WHERE id >= 12;",
    );
    let (code, _) = anchor(&[]);
    assert_eq!(code, 0, "the tail's deletion is invisible to the chain");
    let (code, detail) = anchor(&["--expect", &head]);
    assert_eq!(code, 65, "{detail}");
    assert!(
        detail.contains(&format!("no ledger entry has the expected hash {head}")),
        "{detail}"
    );
    // A malformed head is a usage error.
    w.run(["check", "--expect", "xyz"]).code(2);
}

/// `trace` names a holding's file and line from `opened_by` and
/// `source_line`: a version repointed to another import, or given the line
/// of another holding, is found (`trace` would name the wrong place).
#[test]
fn check_detects_a_holding_repointed_to_another_file_or_line() {
    let w = with_fixtures();
    w.run(["check"]).ok();
    // Repointed to another depot's file.
    tamper(
        &w,
        "UPDATE holding_version SET opened_by =
             (SELECT min(s.ledger_id) FROM snapshot s WHERE s.depot_id <> holding_version.depot_id)
         WHERE id = (SELECT max(id) FROM holding_version)",
    );
    let r = w.run(["check"]).code(65);
    assert!(
        r.stdout.contains("1 holding version(s) of")
            && r.stdout.contains("which recorded no snapshot of"),
        "{}",
        r.stdout
    );
    let w = with_fixtures();
    // Given the line of another holding of the same file.
    tamper(
        &w,
        "UPDATE holding_version SET source_line =
             (SELECT min(h.source_line) FROM holding_version h WHERE h.opened_by = holding_version.opened_by)
         WHERE id = (SELECT max(id) FROM holding_version)",
    );
    let r = w.run(["check"]).code(65);
    assert!(
        r.stdout.contains("different holdings name line"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("which holds one"), "{}", r.stdout);

    // Moved to a number no holding uses: in a second week's file, the line
    // above the first one that changed (an unchanged line, whose holding
    // names the first week's file). Only the sealed sum can see it.
    let w = with_fixtures();
    let moved = "(SELECT min(h.source_line) - 1 FROM holding_version h WHERE h.opened_by = holding_version.opened_by)";
    let target = "(SELECT max(id) FROM holding_version)";
    let unused = w.json(&[
        "query",
        &format!(
            "SELECT count(*) AS n, min(v.source_line) AS line FROM holding_version h, holding_version v
             WHERE v.id = {target} AND h.opened_by = v.opened_by
               AND h.source_line = (SELECT min(source_line) - 1 FROM holding_version WHERE opened_by = v.opened_by)"
        ),
    ]);
    assert_eq!(
        unused["rows"][0]["n"], 0,
        "the number taken is used by no holding of that file: {unused}"
    );
    tamper(
        &w,
        &format!("UPDATE holding_version SET source_line = {moved} WHERE id = {target}"),
    );
    let r = w.run(["check"]).code(65);
    assert!(
        r.stdout.contains("no longer name the files and lines that")
            && r.stdout
                .contains("a line number or file was edited outside stockpile"),
        "{}",
        r.stdout
    );
    assert!(
        !r.stdout.contains("different holdings name line"),
        "{}",
        r.stdout
    );

    // The copy of the sum a depot keeps for its next import, altered.
    let w = with_fixtures();
    tamper(
        &w,
        "UPDATE depot SET provenance = '0123456789abcdef0123456789abcdef'
         WHERE id = (SELECT min(id) FROM depot)",
    );
    let r = w.run(["check"]).code(65);
    assert!(
        r.stdout
            .contains("the provenance sum it keeps for the next import was altered"),
        "{}",
        r.stdout
    );
}

/// A database made before schema 6 keeps no provenance sums: the next
/// import of a depot counts its sum afresh, late and replaced snapshots
/// included, and `check` passes with every depot sealed.
#[test]
fn a_depot_without_a_kept_provenance_sum_is_counted_at_its_next_import() {
    let w = with_fixtures();
    tamper(&w, "UPDATE depot SET provenance = NULL");
    let r = w.run(["check"]).ok();
    assert!(
        r.stdout.contains("as 7 depots' last imports sealed"),
        "{}",
        r.stdout
    );
    // A newer snapshot only adds: the sum it adds to is counted first.
    let newer = w.write(
        "newer.csv",
        "depot,as_of,type,category,status,quantity,serial\n\
         FR-MOU-01,2026-12-31,LEOPARD-2A6,MBT,FMC,1,NEW-1\n",
    );
    w.run(["import", newer.to_str().unwrap()]).ok();
    w.run(["check"]).ok();
    // A late snapshot (before the depot's first) rewrites its history.
    let depot = "DE-AUG-01";
    let csv = "depot,as_of,type,category,status,quantity,serial\n\
               DE-AUG-01,2026-09-01,LEOPARD-2A6,MBT,FMC,1,LATE-1\n";
    let late = w.write("late.csv", csv);
    w.run(["import", late.to_str().unwrap()]).ok();
    w.run(["check"]).ok();
    // Its newest snapshot replaced, and a newer one added, in one file.
    let latest = w.json(&["depots"]);
    let as_of = latest["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["depot"] == depot)
        .map(|r| r["latest_as_of"].as_str().unwrap().to_string())
        .unwrap();
    let csv = format!(
        "depot,as_of,type,category,status,quantity,serial\n\
         {depot},{as_of},LEOPARD-2A6,MBT,FMC,1,LATE-1\n\
         {depot},2026-12-31,LEOPARD-2A6,MBT,PMC,1,LATE-1\n"
    );
    let both = w.write("both.csv", csv);
    w.run(["import", "--replace", both.to_str().unwrap()]).ok();
    let kept = w.json(&[
        "query",
        &format!("SELECT provenance FROM depot WHERE code = '{depot}'"),
    ]);
    let kept = kept["rows"][0]["provenance"].as_str().unwrap_or_default();
    assert_eq!(kept.len(), 32, "{kept}");
    let r = w.run(["check"]).ok();
    assert!(
        r.stdout.contains("as 7 depots' last imports sealed"),
        "{}",
        r.stdout
    );
}

/// A site that keeps a ledger key outside the database (`STOCKPILE_LEDGER_KEY`)
/// seals every entry with it: a writer of the database without the key can
/// no longer recompute a chain `check` accepts.
#[test]
fn a_ledger_key_seals_the_chain_against_a_writer_without_it() {
    use std::os::unix::fs::PermissionsExt;
    let w = Work::new();
    let key = w.write("ledger.key", [7u8; 32]);
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    let key = key.to_str().unwrap().to_string();
    let with_key = [("STOCKPILE_LEDGER_KEY", key.as_str())];
    let exports = fixtures().join("exports");
    w.run_with(&with_key, ["import", exports.to_str().unwrap()])
        .ok();
    let r = w.run_with(&with_key, ["check"]).ok();
    assert!(
        r.stdout
            .contains("11 entries, chain intact (11 sealed with the ledger key)"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("ledger head hmac-"), "{}", r.stdout);
    // Without the key the seals cannot be verified: check says so.
    let r = w.run(["check"]).code(65);
    assert!(
        r.stdout
            .contains("11 entries are sealed with the site's ledger key: set STOCKPILE_LEDGER_KEY"),
        "{}",
        r.stdout
    );
    // Another key is not the site's.
    let other = w.write("other.key", [8u8; 32]);
    std::fs::set_permissions(&other, std::fs::Permissions::from_mode(0o600)).unwrap();
    let r = w
        .run_with(
            &[("STOCKPILE_LEDGER_KEY", other.to_str().unwrap())],
            ["check"],
        )
        .code(65);
    assert!(
        r.stdout.contains("or sealed with another key"),
        "{}",
        r.stdout
    );

    // A writer without the key edits the last entry and recomputes its hash
    // the unkeyed way, as the chain alone would accept.
    let rows = w.json(&[
        "query",
        "SELECT id, file_name, file_sha256, imported_at, os_user, content, prev_hash FROM import_ledger ORDER BY id DESC LIMIT 1",
    ]);
    let row = &rows["rows"][0];
    let field = |k: &str| as_text(&row[k]);
    let hash = stockpile::content::ledger_entry_hash(
        &field("prev_hash"),
        &[
            &field("id"),
            &field("file_name"),
            &field("file_sha256"),
            &field("imported_at"),
            "mallory",
            &field("content"),
        ],
    );
    w.sql(&format!(
        "UPDATE import_ledger SET os_user = 'mallory', entry_hash = '{hash}' WHERE id = {}",
        field("id")
    ));
    let r = w.run_with(&with_key, ["check"]).code(65);
    assert!(
        r.stdout
            .contains("1 entries from entry 11 on were written without the ledger key"),
        "{}",
        r.stdout
    );
    // A key others may read is refused, as a private key is.
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let r = w.run_with(&with_key, ["check"]).code(2);
    assert!(r.stderr.contains("chmod 600"), "{}", r.stderr);
    let before = w.state();
    let next = w.write(
        "next.csv",
        export(&["DE-AUG-01,2026-11-09,LEOPARD-2A6,MBT,,L-9,1,FMC,DEU,24,,,"]),
    );
    let r = w.run_with(&with_key, ["import", next.to_str().unwrap()]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(w.state(), before);
}

/// A ledger written before schema 6 sealed no provenance sums: `check`
/// says how many depots are not sealed yet, and a depot's next import
/// seals it.
#[test]
fn a_ledger_from_before_schema_6_is_sealed_depot_by_depot() {
    let w = with_fixtures();
    // The ledger as schema 5 wrote it: no sums in its entries (the chain
    // recomputed, as that build would have written it), none kept.
    let rows = w.json(&[
        "query",
        "SELECT id, file_name, file_sha256, imported_at, os_user, content FROM import_ledger ORDER BY id",
    ]);
    let mut prev = stockpile::content::GENESIS.to_string();
    let mut sql = String::from("UPDATE depot SET provenance = NULL;");
    for row in rows["rows"].as_array().unwrap() {
        let field = |k: &str| as_text(&row[k]);
        let mut content: serde_json::Value = serde_json::from_str(&field("content")).unwrap();
        if let Some(c) = content.as_object_mut() {
            c.remove("provenance");
        }
        let content = content.to_string();
        let hash = stockpile::content::ledger_entry_hash(
            &prev,
            &[
                &field("id"),
                &field("file_name"),
                &field("file_sha256"),
                &field("imported_at"),
                &field("os_user"),
                &content,
            ],
        );
        sql.push_str(&format!(
            "UPDATE import_ledger SET content = '{}', prev_hash = '{prev}', entry_hash = '{hash}' WHERE id = {};",
            content.replace('\'', "''"),
            field("id")
        ));
        prev = hash;
    }
    w.sql(&sql);
    let r = w.run(["check"]).ok();
    assert!(
        r.stdout
            .contains("none sealed yet (7 depots not imported since schema 6)"),
        "{}",
        r.stdout
    );
    let next = w.write(
        "next.csv",
        export(&["DE-AUG-01,2026-11-09,LEOPARD-2A6,MBT,,L-9,1,FMC,DEU,24,,,"]),
    );
    w.run(["import", next.to_str().unwrap()]).ok();
    let r = w.run(["check"]).ok();
    assert!(
        r.stdout.contains(
            "as 1 depots' last imports sealed (6 not imported since schema 6: not sealed yet)"
        ),
        "{}",
        r.stdout
    );
    // Sealed from then on: its lines moved behind its back are found.
    tamper(
        &w,
        "UPDATE holding_version SET source_line = source_line + 1
         WHERE id = (SELECT max(id) FROM holding_version
                     WHERE depot_id = (SELECT id FROM depot WHERE code = 'DE-AUG-01'))",
    );
    let r = w.run(["check"]).code(65);
    assert!(
        r.stdout
            .contains("DE-AUG-01: its holding versions no longer name"),
        "{}",
        r.stdout
    );
}
