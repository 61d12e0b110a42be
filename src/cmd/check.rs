//! `stockpile check`: SQLite's own integrity and foreign-key checks, the
//! ledger chain, every snapshot's digest recomputed from the stored
//! holdings, and the readiness aggregates recomputed from the current ones.

use std::collections::{BTreeMap, HashMap};

use rusqlite::Connection;

use super::Context;
use crate::content::{GENESIS, LineContent, keys_from_hashes, ledger_entry_hash, snapshot_digest};
use crate::db::{self, Access};
use crate::error::{Error, Result};
use crate::output::{Report, Value, render};

/// One finding: which check, and what is wrong (or what was verified).
struct Finding {
    check: &'static str,
    ok: bool,
    detail: String,
}

pub fn run(ctx: &mut Context) -> Result<()> {
    let conn = db::open(&ctx.db, Access::Read)?;
    let findings = verify(&conn)?;
    let problems = findings.iter().filter(|f| !f.ok).count();
    let mut report = Report::new(&["check", "result", "detail"], 0);
    for f in &findings {
        report.rows.push(vec![
            Value::Text(f.check.into()),
            Value::Text(if f.ok { "ok" } else { "FAILED" }.into()),
            Value::Text(f.detail.clone()),
        ]);
    }
    render(&report, ctx.format, &ctx.style, ctx.out)?;
    if problems > 0 {
        return Err(Error::CheckFailed(problems));
    }
    Ok(())
}

fn verify(conn: &Connection) -> Result<Vec<Finding>> {
    let mut findings = Vec::new();
    let mut fail = |check, detail: String| {
        findings.push(Finding {
            check,
            ok: false,
            detail,
        })
    };

    let integrity: Vec<String> = conn
        .prepare("PRAGMA integrity_check")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    if integrity != ["ok"] {
        for line in integrity {
            fail("integrity", line);
        }
    }
    let mut stmt = conn.prepare("PRAGMA foreign_key_check")?;
    let fk = stmt.query_map([], |r| {
        Ok(format!(
            "{} row {} refers to a missing {} row",
            r.get::<_, String>(0)?,
            r.get::<_, Option<i64>>(1)?.unwrap_or(0),
            r.get::<_, String>(2)?
        ))
    })?;
    for problem in fk.take(100) {
        fail("foreign keys", problem?);
    }

    let ledger = check_ledger(conn, &mut fail)?;
    let snapshots = check_snapshots(conn, &ledger, &mut fail)?;
    let depots = check_aggregates(conn, &mut fail)?;
    let traced = check_provenance(conn, &ledger, &mut fail)?;

    if findings.is_empty() {
        findings.push(Finding {
            check: "integrity",
            ok: true,
            detail: "SQLite integrity_check and foreign_key_check: ok".into(),
        });
        findings.push(Finding {
            check: "ledger",
            ok: true,
            detail: format!("{} entries, chain intact", ledger.len()),
        });
        findings.push(Finding {
            check: "snapshots",
            ok: true,
            detail: format!("{snapshots} snapshot digests match their holdings and ledger entries"),
        });
        findings.push(Finding {
            check: "aggregates",
            ok: true,
            detail: format!("readiness of {depots} depots matches their current holdings"),
        });
        findings.push(Finding {
            check: "provenance",
            ok: true,
            detail: format!("{traced} holding versions name a line of the file that recorded them"),
        });
    }
    Ok(findings)
}

/// What a ledger entry recorded.
struct Entry {
    file: String,
    /// Snapshot digests by (depot, as_of).
    digests: HashMap<(String, String), String>,
    /// The line where the file's last imported record starts (entries
    /// written since provenance is kept).
    last_line: Option<i64>,
}

/// Ledger entries by id.
type Ledger = BTreeMap<i64, Entry>;

fn check_ledger(conn: &Connection, fail: &mut impl FnMut(&'static str, String)) -> Result<Ledger> {
    let mut stmt = conn.prepare(
        "SELECT id, file_name, file_sha256, imported_at, os_user, content, prev_hash, entry_hash
         FROM import_ledger ORDER BY id",
    )?;
    let mut rows = stmt.query([])?;
    let mut expected_prev = GENESIS.to_string();
    let mut ledger = Ledger::new();
    while let Some(r) = rows.next()? {
        let id: i64 = r.get(0)?;
        let fields: Vec<String> = (1..6).map(|i| r.get(i)).collect::<rusqlite::Result<_>>()?;
        let prev: String = r.get(6)?;
        let hash: String = r.get(7)?;
        let file = &fields[0];
        if prev != expected_prev {
            fail(
                "ledger",
                format!(
                    "entry {id} ({file}) does not follow the entry before it: an entry was deleted, inserted or reordered"
                ),
            );
        }
        let id_text = id.to_string();
        let mut parts: Vec<&str> = vec![&id_text];
        parts.extend(fields.iter().map(String::as_str));
        if ledger_entry_hash(&prev, &parts) != hash {
            fail(
                "ledger",
                format!("entry {id} ({file}) was altered after it was written"),
            );
        }
        expected_prev = hash;
        let mut digests = HashMap::new();
        if let Ok(content) = serde_json::from_str::<serde_json::Value>(&fields[4]) {
            for s in content["snapshots"].as_array().into_iter().flatten() {
                if let (Some(d), Some(a), Some(g)) = (
                    s["depot"].as_str(),
                    s["as_of"].as_str(),
                    s["digest"].as_str(),
                ) {
                    digests.insert((d.to_string(), a.to_string()), g.to_string());
                }
            }
        }
        let last_line = serde_json::from_str::<serde_json::Value>(&fields[4])
            .ok()
            .and_then(|c| c["last_line"].as_i64());
        ledger.insert(
            id,
            Entry {
                file: file.clone(),
                digests,
                last_line,
            },
        );
    }
    Ok(ledger)
}

fn check_snapshots(
    conn: &Connection,
    ledger: &Ledger,
    fail: &mut impl FnMut(&'static str, String),
) -> Result<usize> {
    let mut stmt = conn.prepare(
        "SELECT s.depot_id, d.code, s.as_of, s.ledger_id, s.digest, s.line_count, s.quantity, s.mc
         FROM snapshot s JOIN depot d ON d.id = s.depot_id ORDER BY d.code, s.as_of",
    )?;
    type Row = (i64, String, String, i64, String, i64, i64, Option<i64>);
    let snapshots: Vec<Row> = stmt
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
            ))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut lines = conn.prepare(
        "SELECT h.content_hash, t.code, h.status, h.quantity, h.serial, h.owner, h.notice_hours,
                h.lot, h.expires, h.last_inspected, h.remarks
         FROM holding_version h JOIN equipment_type t ON t.id = h.type_id
         WHERE h.depot_id = ?1 AND h.valid_from <= ?2 AND (h.valid_to IS NULL OR h.valid_to > ?2)",
    )?;
    let mut buf = Vec::new();
    for (depot_id, depot, as_of, ledger_id, digest, line_count, quantity, mc) in &snapshots {
        let file = ledger
            .get(ledger_id)
            .map_or("(missing ledger entry)", |l| l.file.as_str());
        let place =
            format!("{depot} as of {as_of} (imported from {file}, ledger entry {ledger_id})");
        match ledger
            .get(ledger_id)
            .and_then(|l| l.digests.get(&(depot.clone(), as_of.clone())))
        {
            Some(recorded) if recorded == digest => {}
            Some(_) => fail(
                "snapshots",
                format!("{place}: digest differs from the one its ledger entry recorded"),
            ),
            None => fail(
                "snapshots",
                format!("{place}: its ledger entry does not record this snapshot"),
            ),
        }
        let mut stored = Vec::new();
        let mut hashes = Vec::new();
        let (mut on_hand, mut mission_capable) = (0i64, 0i64);
        let mut rows = lines.query(rusqlite::params![depot_id, as_of])?;
        while let Some(r) = rows.next()? {
            stored.push(r.get::<_, i64>(0)?);
            let q: i64 = r.get(3)?;
            on_hand += q;
            let status: String = r.get(2)?;
            let expired = r
                .get::<_, Option<String>>(8)?
                .is_some_and(|e| e.as_str() < as_of.as_str());
            if (status == "FMC" || status == "PMC") && !expired {
                mission_capable += q;
            }
            let strings: Vec<Option<String>> = [1, 2, 4, 5, 7, 8, 9, 10]
                .iter()
                .map(|&i| r.get::<_, Option<String>>(i))
                .collect::<rusqlite::Result<_>>()?;
            let content = LineContent {
                type_code: strings[0].as_deref().unwrap_or(""),
                status: strings[1].as_deref().unwrap_or(""),
                quantity: r.get::<_, i64>(3)? as u32,
                serial: strings[2].as_deref(),
                owner: strings[3].as_deref(),
                notice_hours: r.get::<_, Option<i64>>(6)?.map(|n| n as u32),
                lot: strings[4].as_deref(),
                expires: strings[5].as_deref(),
                last_inspected: strings[6].as_deref(),
                remarks: strings[7].as_deref(),
            };
            hashes.push(content.hash(&mut buf));
        }
        if stored.len() as i64 != *line_count {
            fail(
                "snapshots",
                format!(
                    "{place}: {} lines stored, {line_count} imported (lines were added or deleted outside stockpile)",
                    stored.len()
                ),
            );
        }
        if on_hand != *quantity || mc.is_some_and(|mc| mc != mission_capable) {
            fail(
                "snapshots",
                format!(
                    "{place}: its recorded totals (on hand {quantity}, MC {}) differ from its holdings (on hand {on_hand}, MC {mission_capable})",
                    mc.map_or("–".into(), |m| m.to_string())
                ),
            );
        }
        let mut recomputed = keys_from_hashes(hashes);
        if snapshot_digest(&mut recomputed) != *digest {
            fail(
                "snapshots",
                format!(
                    "{place}: the stored holdings no longer match the snapshot's digest (holdings were edited outside stockpile)"
                ),
            );
        } else if snapshot_digest(&mut stored) != *digest {
            fail(
                "snapshots",
                format!("{place}: stored content hashes were altered"),
            );
        }
    }
    Ok(snapshots.len())
}

/// Every version names the line of its file (`source_line`), within the
/// lines its ledger entry recorded; versions stored before provenance was
/// kept (entries without `last_line`) may have none.
fn check_provenance(
    conn: &Connection,
    ledger: &Ledger,
    fail: &mut impl FnMut(&'static str, String),
) -> Result<i64> {
    let mut stmt = conn.prepare(
        "SELECT opened_by, count(*), count(source_line), min(source_line), max(source_line)
         FROM holding_version GROUP BY opened_by",
    )?;
    let mut rows = stmt.query([])?;
    let mut traced = 0;
    while let Some(r) = rows.next()? {
        let (entry, versions, with_line): (i64, i64, i64) = (r.get(0)?, r.get(1)?, r.get(2)?);
        let (min, max): (Option<i64>, Option<i64>) = (r.get(3)?, r.get(4)?);
        traced += with_line;
        let Some(e) = ledger.get(&entry) else {
            continue; // a missing entry is the foreign-key check's finding
        };
        let Some(last) = e.last_line else { continue };
        if with_line < versions {
            fail(
                "provenance",
                format!(
                    "{} holding versions recorded by {} (ledger entry {entry}) have lost their line number",
                    versions - with_line,
                    e.file
                ),
            );
        }
        if min.is_some_and(|m| m < 1) || max.is_some_and(|m| m > last) {
            fail(
                "provenance",
                format!(
                    "holding versions recorded by {} (ledger entry {entry}) name lines {}–{}, but its records end on line {last}",
                    e.file,
                    min.unwrap_or(0),
                    max.unwrap_or(0)
                ),
            );
        }
    }
    Ok(traced)
}

type Aggregate = BTreeMap<(i64, i64, Option<String>, String, Option<i64>), i64>;

fn check_aggregates(
    conn: &Connection,
    fail: &mut impl FnMut(&'static str, String),
) -> Result<usize> {
    let load = |sql: &str| -> rusqlite::Result<Aggregate> {
        let mut stmt = conn.prepare(sql)?;
        let rows = stmt.query_map([], |r| {
            Ok((
                (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?),
                r.get::<_, i64>(5)?,
            ))
        })?;
        let mut map = Aggregate::new();
        for row in rows {
            let (k, q) = row?;
            *map.entry(k).or_insert(0) += q;
        }
        Ok(map)
    };
    let stored = load(
        "SELECT depot_id, type_id, owner, state, notice_hours, quantity FROM readiness_current",
    )?;
    let recomputed = load(
        "SELECT h.depot_id, h.type_id, h.owner,
                CASE WHEN h.expires IS NOT NULL AND h.expires < l.as_of THEN 'EXPIRED' ELSE h.status END,
                h.notice_hours, h.quantity
         FROM holding_version h
         JOIN (SELECT depot_id, max(as_of) AS as_of FROM snapshot GROUP BY depot_id) l ON l.depot_id = h.depot_id
         WHERE h.valid_to IS NULL",
    )?;
    let depots: HashMap<i64, String> = conn
        .prepare("SELECT id, code FROM depot")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    // A key whose sum differs in either direction names its depot once.
    let bad: std::collections::BTreeSet<String> = stored
        .iter()
        .filter(|(k, q)| recomputed.get(*k) != Some(*q))
        .chain(
            recomputed
                .iter()
                .filter(|(k, q)| stored.get(*k) != Some(*q)),
        )
        .map(|(k, _)| {
            depots
                .get(&k.0)
                .cloned()
                .unwrap_or_else(|| format!("depot #{}", k.0))
        })
        .collect();
    for depot in &bad {
        fail(
            "aggregates",
            format!("{depot}: readiness figures differ from its current holdings"),
        );
    }
    Ok(depots.len())
}
