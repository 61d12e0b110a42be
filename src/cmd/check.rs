//! `stockpile check`: SQLite's own integrity and foreign-key checks (a
//! server enforces its constraints itself), the ledger chain, every snapshot's digest recomputed from the stored
//! holdings, and the readiness aggregates recomputed from the current ones.

use std::collections::{BTreeMap, HashMap};

use crate::db::Db;

use super::Context;
use crate::content::{
    GENESIS, KEYED, LineContent, Provenance, keys_from_hashes, ledger_entry_hash, seal_hash,
    snapshot_digest,
};
use crate::db::{self, Access};
use crate::error::{DbError, Error, Result};
use crate::output::{Report, Value, group_thousands, render};

/// One finding: which check, and what is wrong (or what was verified).
struct Finding {
    check: &'static str,
    ok: bool,
    detail: String,
}

pub fn run(args: &crate::cli::CheckArgs, ctx: &mut Context) -> Result<()> {
    let expect = match &args.expect {
        Some(h) => {
            let h = h.trim().to_ascii_lowercase();
            if h.len() < 12 || h.len() > 64 || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(Error::Usage(format!(
                    "--expect: {h:?} is not a ledger head (12 to 64 hex digits, as check or backup printed it)"
                )));
            }
            Some(h)
        }
        None => None,
    };
    let conn = db::open(&ctx.db, Access::Read)?;
    // The storage's own checks run on a second connection, on the other
    // core, while stockpile's own rules are checked here (at 1M holdings
    // each takes ~1.5 s).
    let storage = db::check_storage(&ctx.db);
    conn.for_scans()?;
    let mut findings = verify(&conn, storage)?;
    findings.push(anchor(&conn, expect.as_deref())?);
    let problems = findings.iter().filter(|f| !f.ok).count();
    let mut report = Report::new(&["check", "result", "detail"], 0);
    // A narrow terminal cuts the detail short rather than hide it.
    report.shortenable = vec![2];
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

/// How many hex digits of the head a person notes: 64 bits, beyond any
/// search for another chain through the same prefix.
pub const HEAD_DIGITS: usize = 16;

/// A ledger hash as a person notes it: its first [`HEAD_DIGITS`] digits
/// (after the mark of a keyed entry, which is kept).
pub fn short_head(hash: &str) -> &str {
    let mark = if hash.starts_with(KEYED) {
        KEYED.len()
    } else {
        0
    };
    &hash[..hash.len().min(mark + HEAD_DIGITS)]
}

/// The ledger's head, to note outside the database; with `--expect`, that
/// an entry noted earlier is still in the chain (the chain alone cannot
/// show its tail deleted together with what the tail wrote).
fn anchor(conn: &Db, expect: Option<&str>) -> Result<Finding> {
    let hashes: Vec<(i64, String)> = conn.rows(
        "SELECT id, entry_hash FROM import_ledger ORDER BY id",
        &[],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let head = hashes.last().map_or("", |(_, h)| h.as_str());
    let short = short_head(head);
    let Some(expect) = expect else {
        return Ok(Finding {
            check: "anchor",
            ok: true,
            detail: format!(
                "ledger head {short}: note it apart from the database; check --expect {short} proves later that no entry up to it was removed"
            ),
        });
    };
    Ok(
        match hashes.iter().position(|(_, h)| h.starts_with(expect)) {
            Some(i) => Finding {
                check: "anchor",
                ok: true,
                detail: format!(
                    "entry {} has the expected hash {expect}; {} entries since; head {short}",
                    hashes[i].0,
                    group_thousands((hashes.len() - 1 - i) as i64)
                ),
            },
            None => Finding {
                check: "anchor",
                ok: false,
                detail: format!(
                    "no ledger entry has the expected hash {expect}: the entries from it on were deleted or rewritten (head now {short})"
                ),
            },
        },
    )
}

fn verify(conn: &Db, storage: db::StorageCheck) -> Result<Vec<Finding>> {
    let mut findings = Vec::new();
    let mut fail = |check, detail: String| {
        findings.push(Finding {
            check,
            ok: false,
            detail,
        })
    };

    let (ledger, keyed) = check_ledger(conn, &mut fail)?;
    let snapshots = check_snapshots(conn, &ledger, &mut fail)?;
    let depots = check_aggregates(conn, &mut fail)?;
    let mut sums = HashMap::new();
    let traced = check_provenance(conn, &ledger, &mut sums, &mut fail)?;
    let sealed = check_sealed_provenance(conn, &ledger, sums, &mut fail)?;
    let registry = check_registry(conn, &mut fail)?;
    let problems = storage
        .join()
        .map_err(|_| DbError::Internal("the storage check's thread failed".into()))??;
    // The storage's own findings first, as they explain the others.
    let mine = std::mem::take(&mut findings);
    findings = problems
        .into_iter()
        .map(|(check, detail)| Finding {
            check,
            ok: false,
            detail,
        })
        .chain(mine)
        .collect();

    if findings.is_empty() {
        findings.push(Finding {
            check: "integrity",
            ok: true,
            detail: conn.storage_checked().into(),
        });
        findings.push(Finding {
            check: "ledger",
            ok: true,
            detail: format!(
                "{} entries, chain intact{}",
                group_thousands(ledger.len() as i64),
                match keyed {
                    0 => String::new(),
                    k => format!(
                        " ({} sealed with the ledger key)",
                        group_thousands(k as i64)
                    ),
                }
            ),
        });
        findings.push(Finding {
            check: "snapshots",
            ok: true,
            detail: format!(
                "{} snapshot digests match their holdings and ledger entries",
                group_thousands(snapshots as i64)
            ),
        });
        findings.push(Finding {
            check: "aggregates",
            ok: true,
            detail: format!(
                "readiness of {depots} depots, and by owner nation, matches their current holdings"
            ),
        });
        findings.push(Finding {
            check: "registry",
            ok: true,
            detail: registry,
        });
        findings.push(Finding {
            check: "provenance",
            ok: true,
            detail: if traced.1 > 0 {
                format!(
                    "{} holding versions name a line of the file that recorded them; {} were stored before line numbers were kept",
                    group_thousands(traced.0 as i64),
                    group_thousands(traced.1 as i64)
                )
            } else {
                format!(
                    "{} holding versions name a line of the file that recorded them",
                    group_thousands(traced.0 as i64)
                )
            } + &match sealed {
                (n, 0) => format!(", as {n} depots' last imports sealed"),
                (0, unsealed) => format!(
                    "; none sealed yet ({unsealed} depots not imported since schema 6)"
                ),
                (n, unsealed) => format!(
                    ", as {n} depots' last imports sealed ({unsealed} not imported since schema 6: not sealed yet)"
                ),
            },
        });
    }
    Ok(findings)
}

/// Each depot's provenance sum (content.rs, `Provenance`) recounted from
/// every version and compared with what its last import sealed in the
/// ledger, and with the copy the depot keeps for the next import: a line
/// number or file changed behind stockpile's back, even to a number no
/// other holding uses, no longer adds up. Returns the depots that match,
/// and those with versions that no import has sealed yet.
fn check_sealed_provenance(
    conn: &Db,
    ledger: &Ledger,
    mut sums: HashMap<i64, Provenance>,
    fail: &mut impl FnMut(&'static str, String),
) -> Result<(usize, usize)> {
    // The last entry that sealed each depot's sum.
    let mut last: HashMap<&str, (i64, &Entry, &str)> = HashMap::new();
    for (&id, e) in ledger {
        for (code, sum) in &e.provenance {
            last.insert(code.as_str(), (id, e, sum.as_str()));
        }
    }
    let depots: Vec<(i64, String, Option<String>)> = conn.rows(
        "SELECT id, code, provenance FROM depot ORDER BY code",
        &[],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    let (mut matching, mut unsealed) = (0, 0);
    for (id, code, kept) in depots {
        let counted = sums.remove(&id).unwrap_or_default().to_hex();
        match last.get(code.as_str()) {
            Some(&(entry, e, sealed)) if sealed != counted => fail(
                "provenance",
                format!(
                    "{code}: its holding versions no longer name the files and lines that {} (ledger entry {entry}) left them with: a line number or file was edited outside stockpile (stockpile trace shows what they name now)",
                    e.file
                ),
            ),
            Some(_) => matching += 1,
            None if kept.is_some() => fail(
                "provenance",
                format!(
                    "{code}: a provenance sum is kept but no ledger entry sealed one: edited outside stockpile"
                ),
            ),
            None => unsealed += 1,
        }
        if let Some(kept) = kept
            && kept != counted
            && last
                .get(code.as_str())
                .is_some_and(|&(_, _, sealed)| sealed == counted)
        {
            fail(
                "provenance",
                format!("{code}: the provenance sum it keeps for the next import was altered"),
            );
        }
    }
    Ok((matching, unsealed))
}

/// The type registry (codes, categories, NSNs, depot codes) and the
/// requirements against the digests the last import and the last
/// `requirements import` recorded of them: a category or NSN, or a
/// required quantity, changed behind stockpile's back changes figures and
/// is named here. Entries written before the digests were kept leave the
/// tables unchecked, and the detail says so.
fn check_registry(conn: &Db, fail: &mut impl FnMut(&'static str, String)) -> Result<String> {
    let entries: Vec<(i64, String)> = conn.rows(
        "SELECT id, content FROM import_ledger ORDER BY id",
        &[],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let last = |key: &str| -> Option<(i64, String)> {
        entries.iter().rev().find_map(|(id, content)| {
            let v: serde_json::Value = serde_json::from_str(content).ok()?;
            v.get(key)?.as_str().map(|d| (*id, d.to_string()))
        })
    };
    let mut said = Vec::new();
    match last("registry") {
        Some((id, digest)) if digest != crate::content::registry_digest(conn)? => fail(
            "registry",
            format!(
                "the depots and types (codes, categories, NSNs) differ from what ledger entry {id} recorded: changed outside stockpile"
            ),
        ),
        Some(_) => said.push("depots and types as imported"),
        None => said.push("depots and types: not recorded by an import yet"),
    }
    let any_requirements: i64 = conn.value("SELECT count(*) FROM requirement", &[])?;
    match last("requirements_digest") {
        Some((id, digest)) if digest != crate::content::requirements_digest(conn)? => fail(
            "registry",
            format!(
                "the requirements differ from what ledger entry {id} (requirements import) recorded: changed outside stockpile"
            ),
        ),
        Some(_) => said.push("requirements as imported"),
        None if any_requirements > 0 => {
            said.push("requirements: loaded before they were recorded, not verified")
        }
        None => {}
    }
    Ok(said.join("; "))
}

/// What a ledger entry recorded.
struct Entry {
    file: String,
    /// Snapshot digests by (depot, as_of).
    digests: HashMap<(String, String), String>,
    /// The line where the file's last imported record starts (entries
    /// written since provenance is kept).
    last_line: Option<i64>,
    /// The provenance sum of each depot it imported, after it (entries
    /// written since schema 6).
    provenance: HashMap<String, String>,
}

/// Ledger entries by id.
type Ledger = BTreeMap<i64, Entry>;

fn check_ledger(conn: &Db, fail: &mut impl FnMut(&'static str, String)) -> Result<(Ledger, usize)> {
    let entries: Vec<(i64, Vec<String>, String, String)> = conn.rows(
        "SELECT id, file_name, file_sha256, imported_at, os_user, content, prev_hash, entry_hash
         FROM import_ledger ORDER BY id",
        &[],
        |r| {
            Ok((
                r.get(0)?,
                (1..6).map(|i| r.get(i)).collect::<crate::db::Result<_>>()?,
                r.get(6)?,
                r.get(7)?,
            ))
        },
    )?;
    let key = crate::content::ledger_key().map_err(DbError::LedgerKey)?;
    let mut expected_prev = GENESIS.to_string();
    let mut ledger = Ledger::new();
    // Entries sealed with the site's key; those that need it where it is not
    // given; unkeyed ones written after a keyed one (the first of them).
    let (mut keyed, mut unverified) = (0usize, 0usize);
    let mut unkeyed_after: Option<(i64, usize)> = None;
    for (id, fields, prev, hash) in entries {
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
        let sealed = hash.starts_with(KEYED);
        let expected = match (sealed, key) {
            (false, _) => Some(ledger_entry_hash(&prev, &parts)),
            (true, Some(k)) => Some(seal_hash(&prev, &parts, Some(k))),
            (true, None) => None,
        };
        match expected {
            Some(e) if e != hash => fail(
                "ledger",
                if sealed {
                    format!(
                        "entry {id} ({file}) was altered after it was written, or sealed with another key"
                    )
                } else {
                    format!("entry {id} ({file}) was altered after it was written")
                },
            ),
            None => unverified += 1,
            _ => {}
        }
        if sealed {
            keyed += 1;
        } else if keyed > 0 {
            unkeyed_after.get_or_insert((id, 0)).1 += 1;
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
        let content = serde_json::from_str::<serde_json::Value>(&fields[4]).ok();
        let last_line = content.as_ref().and_then(|c| c["last_line"].as_i64());
        let provenance = content
            .as_ref()
            .and_then(|c| c["provenance"].as_object())
            .into_iter()
            .flatten()
            .filter_map(|(d, p)| Some((d.clone(), p.as_str()?.to_string())))
            .collect();
        ledger.insert(
            id,
            Entry {
                file: file.clone(),
                digests,
                last_line,
                provenance,
            },
        );
    }
    if unverified > 0 {
        fail(
            "ledger",
            format!(
                "{unverified} entries are sealed with the site's ledger key: set STOCKPILE_LEDGER_KEY to its file to verify them"
            ),
        );
    }
    if key.is_some() {
        if let Some((first, n)) = unkeyed_after {
            fail(
                "ledger",
                format!(
                    "{n} entries from entry {first} on were written without the ledger key, after entries sealed with it: by another program, or a copy of stockpile without the key"
                ),
            );
        } else if keyed == 0 && !ledger.is_empty() {
            fail(
                "ledger",
                "the ledger key is set, but no entry is sealed with it: the chain was written, or rewritten, without it".into(),
            );
        }
    }
    Ok((ledger, keyed))
}

/// One snapshot as stored, and what its lines add up to when read back.
struct Snap {
    depot_id: i64,
    depot: String,
    as_of: String,
    ledger_id: i64,
    digest: String,
    line_count: i64,
    quantity: i64,
    /// Its recorded figures: equipment on hand and MC, rounds on hand and
    /// serviceable on its date, and rounds under a suspended code.
    recorded: [i64; 5],
    /// Stored line keys, and the content hashes recomputed from the columns.
    stored: Vec<i64>,
    hashes: Vec<u64>,
    /// What its lines add up to: the quantity column, and the figures.
    counted_quantity: i64,
    counted: [i64; 5],
}

/// Snapshot memberships held in memory at once (16 bytes each): the table
/// is read in as many sequential passes as it takes to stay within it.
const BATCH: i64 = 2_000_000;

fn check_snapshots(
    conn: &Db,
    ledger: &Ledger,
    fail: &mut impl FnMut(&'static str, String),
) -> Result<usize> {
    let snapshots: Vec<Snap> = conn.rows(
        "SELECT s.depot_id, d.code, s.as_of, s.ledger_id, s.digest, s.line_count, s.quantity,
                coalesce(s.mc, -1), s.on_hand, s.ammo_on_hand, s.ammo_serviceable,
                s.ammo_suspended
         FROM snapshot s JOIN depot d ON d.id = s.depot_id ORDER BY d.code, s.as_of",
        &[],
        |r| {
            Ok(Snap {
                depot_id: r.get(0)?,
                depot: r.get(1)?,
                as_of: r.get(2)?,
                ledger_id: r.get(3)?,
                digest: r.get(4)?,
                line_count: r.get(5)?,
                quantity: r.get(6)?,
                recorded: [r.get(8)?, r.get(7)?, r.get(9)?, r.get(10)?, r.get(11)?],
                stored: Vec::new(),
                hashes: Vec::new(),
                counted_quantity: 0,
                counted: [0; 5],
            })
        },
    )?;
    let count = snapshots.len();
    let types = codes(conn, "SELECT id, code FROM equipment_type")?;

    // Depots in batches whose snapshots' lines fit the budget; one
    // sequential pass over the table per batch (reading a depot through its
    // index instead would visit most pages of a table whose depots arrived
    // interleaved, once per depot).
    let mut batches: Vec<Vec<Snap>> = Vec::new();
    let mut size = i64::MAX;
    let mut last_depot = None;
    for snap in snapshots {
        let new_depot = last_depot != Some(snap.depot_id);
        if new_depot && size.saturating_add(snap.line_count) > BATCH {
            batches.push(Vec::new());
            size = 0;
        }
        last_depot = Some(snap.depot_id);
        size += snap.line_count;
        batches.last_mut().expect("pushed above").push(snap);
    }
    let mut buf = Vec::new();
    // Versions that belong to no snapshot of their depot: every version
    // stockpile stores begins on a snapshot's date. One dated after every
    // snapshot is in no digest, yet counts in the current state.
    let mut orphans: (usize, Option<(String, String)>) = (0, None);
    for mut batch in batches {
        // Each depot's snapshots, by date, as positions in the batch.
        let mut by_depot: HashMap<i64, Vec<usize>> = HashMap::new();
        for (i, s) in batch.iter_mut().enumerate() {
            by_depot.entry(s.depot_id).or_default().push(i);
            // Room for the lines it should have, allocated once: vectors
            // that double as they grow would hold up to twice the batch.
            let lines = usize::try_from(s.line_count).unwrap_or(0);
            s.stored.reserve_exact(lines);
            s.hashes.reserve_exact(lines);
        }
        conn.each(
            "SELECT depot_id, content_hash, type_id, status, quantity, serial, owner, notice_hours,
                    lot, expires, last_inspected, remarks, valid_from, valid_to, condition_code,
                    next_test
             FROM holding_version",
            &[],
            |r| {
                let Some(mine) = by_depot.get(&r.get::<i64>(0)?) else {
                    return Ok(());
                };
                let from: String = r.get(12)?;
                let to: Option<String> = r.get(13)?;
                let live: Vec<usize> = mine
                    .iter()
                    .copied()
                    .filter(|&i| {
                        let d = batch[i].as_of.as_str();
                        from.as_str() <= d && to.as_deref().is_none_or(|t| t > d)
                    })
                    .collect();
                if live.is_empty() {
                    orphans.0 += 1;
                    if orphans.1.is_none() {
                        orphans.1 = Some((batch[mine[0]].depot.clone(), from));
                    }
                    return Ok(());
                }
                let strings: Vec<Option<String>> = [3, 5, 6, 8, 9, 10, 11, 14, 15]
                    .iter()
                    .map(|&i| r.get::<Option<String>>(i))
                    .collect::<crate::db::Result<_>>()?;
                let type_code = types.get(&r.get::<i64>(2)?).map_or("", String::as_str);
                let quantity: i64 = r.get(4)?;
                let content = LineContent {
                    type_code,
                    status: strings[0].as_deref().unwrap_or(""),
                    quantity: quantity as u32,
                    serial: strings[1].as_deref(),
                    owner: strings[2].as_deref(),
                    notice_hours: r.get::<Option<i64>>(7)?.map(|n| n as u32),
                    lot: strings[3].as_deref(),
                    expires: strings[4].as_deref(),
                    last_inspected: strings[5].as_deref(),
                    remarks: strings[6].as_deref(),
                    condition: strings[7].as_deref(),
                    next_test: strings[8].as_deref(),
                };
                let hash = content.hash(&mut buf);
                let stored: i64 = r.get(1)?;
                let suspended = content
                    .condition
                    .and_then(|c| crate::model::ConditionCode::parse(c).ok())
                    .is_some_and(crate::model::ConditionCode::is_suspended);
                let status_mc = matches!(content.status, "FMC" | "PMC") && !suspended;
                let lot = content.lot.is_some();
                for i in live {
                    let snap = &mut batch[i];
                    snap.stored.push(stored);
                    snap.hashes.push(hash);
                    snap.counted_quantity += quantity;
                    // Rounds serviceable on the snapshot's own date.
                    let expired = content.expires.is_some_and(|e| e < snap.as_of.as_str());
                    let k = if lot { 2 } else { 0 };
                    snap.counted[k] += quantity;
                    if status_mc && !(lot && expired) {
                        snap.counted[k + 1] += quantity;
                    }
                    if lot && suspended {
                        snap.counted[4] += quantity;
                    }
                }
                Ok(())
            },
        )?;
        for snap in batch {
            verify_snapshot(snap, ledger, fail);
        }
    }
    if let (n, Some((depot, from))) = orphans {
        fail(
            "snapshots",
            format!(
                "{} to no snapshot of its depot (the first: {depot}, from {from}): stockpile stores none such, so it was added outside stockpile",
                if n == 1 {
                    "1 holding version belongs".to_string()
                } else {
                    format!("{} holding versions belong", group_thousands(n as i64))
                }
            ),
        );
    }
    Ok(count)
}

fn verify_snapshot(snap: Snap, ledger: &Ledger, fail: &mut impl FnMut(&'static str, String)) {
    let Snap {
        depot,
        as_of,
        ledger_id,
        digest,
        line_count,
        quantity,
        recorded,
        mut stored,
        hashes,
        counted_quantity,
        counted,
        ..
    } = snap;
    let file = ledger
        .get(&ledger_id)
        .map_or("(missing ledger entry)", |l| l.file.as_str());
    let place = format!("{depot} as of {as_of} (imported from {file}, ledger entry {ledger_id})");
    match ledger
        .get(&ledger_id)
        .and_then(|l| l.digests.get(&(depot.clone(), as_of.clone())))
    {
        Some(recorded) if *recorded == digest => {}
        Some(_) => fail(
            "snapshots",
            format!("{place}: digest differs from the one its ledger entry recorded"),
        ),
        None => fail(
            "snapshots",
            format!("{place}: its ledger entry does not record this snapshot"),
        ),
    }
    if stored.len() as i64 != line_count {
        fail(
            "snapshots",
            format!(
                "{place}: {} lines stored, {line_count} imported (lines were added or deleted outside stockpile)",
                stored.len()
            ),
        );
    }
    if counted_quantity != quantity || recorded != counted {
        let figures = |q: i64, f: [i64; 5]| {
            format!(
                "quantity {q}, on hand {}, MC {}, rounds {}, serviceable {}, suspended {}",
                f[0], f[1], f[2], f[3], f[4]
            )
        };
        fail(
            "snapshots",
            format!(
                "{place}: its recorded totals ({}) differ from its holdings ({})",
                figures(quantity, recorded),
                figures(counted_quantity, counted)
            ),
        );
    }
    let mut recomputed = keys_from_hashes(hashes);
    if snapshot_digest(&mut recomputed) != digest {
        fail(
            "snapshots",
            format!(
                "{place}: the stored holdings no longer match the snapshot's digest (holdings were edited outside stockpile)"
            ),
        );
    } else if snapshot_digest(&mut stored) != digest {
        fail(
            "snapshots",
            format!("{place}: stored content hashes were altered"),
        );
    }
}

/// Codes by id, from a query of (id, code).
fn codes(conn: &Db, sql: &str) -> Result<HashMap<i64, String>> {
    Ok(conn
        .rows(sql, &[], |r| Ok((r.get(0)?, r.get(1)?)))?
        .into_iter()
        .collect())
}

/// Every version names the line of its file (`source_line`), within the
/// lines its ledger entry recorded; versions stored before provenance was
/// kept (entries without `last_line`) may have none.
fn check_provenance(
    conn: &Db,
    ledger: &Ledger,
    sums: &mut HashMap<i64, Provenance>,
    fail: &mut impl FnMut(&'static str, String),
) -> Result<(i64, i64)> {
    // One pass, grouped by depot, entry and line (the depot leads, as in
    // the table's index); summed per entry here, and per depot into its
    // provenance sum (`sums`).
    // Each line of a file is one holding's content: versions that name the
    // same line (a stretch split by a snapshot that arrived late) hold that
    // same content, so a line shared by two contents (`shared`) was edited.
    // A number no holding uses, within the file's lines, is found by the
    // depot's sum alone (check_sealed_provenance).
    type Counts = (i64, i64, i64, i64, Option<i64>, Option<i64>, Option<i64>);
    let mut pairs: HashMap<(i64, i64), Counts> = HashMap::new();
    conn.each(
        "SELECT depot_id, opened_by, source_line, count(*), min(content_hash), max(content_hash)
         FROM holding_version GROUP BY depot_id, opened_by, source_line",
        &[],
        |r| {
            let (depot, entry, line): (i64, i64, Option<i64>) = (r.get(0)?, r.get(1)?, r.get(2)?);
            let (n, low, high): (i64, i64, i64) = (r.get(3)?, r.get(4)?, r.get(5)?);
            sums.entry(depot)
                .or_default()
                .add_times(low, entry, line, n as u64);
            let shared = (low != high).then_some(line).flatten();
            let p = pairs
                .entry((depot, entry))
                .or_insert((depot, entry, 0, 0, None, None, None));
            p.2 += n;
            p.3 += if line.is_some() { n } else { 0 };
            p.4 = match (p.4, line) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            p.5 = p.5.max(line);
            p.6 = p.6.max(shared);
            Ok(())
        },
    )?;
    let mut pairs: Vec<Counts> = pairs.into_values().collect();
    pairs.sort_unstable();
    let depots = codes(conn, "SELECT id, code FROM depot")?;
    let mut groups: BTreeMap<i64, (i64, i64, Option<i64>, Option<i64>)> = BTreeMap::new();
    for &(depot, entry, versions, with_line, min, max, shared) in &pairs {
        if let (Some(line), Some(e)) = (shared, ledger.get(&entry)) {
            fail(
                "provenance",
                format!(
                    "different holdings name line {line} of {} (ledger entry {entry}), which holds one: a line number was edited outside stockpile",
                    e.file
                ),
            );
        }
        let g = groups.entry(entry).or_insert((0, 0, None, None));
        g.0 += versions;
        g.1 += with_line;
        g.2 = match (g.2, min) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        g.3 = g.3.max(max); // None is below every line
        // A version is opened by an import that recorded a snapshot of its
        // depot: one repointed to another depot's file makes `trace` name
        // the wrong one. (Not necessarily the snapshot of its first day: a
        // late or replaced snapshot's unchanged stretch keeps the file that
        // first held it.)
        let code = depots.get(&depot).map_or("?", String::as_str);
        if let Some(e) = ledger.get(&entry)
            && e.last_line.is_some()
            && !e.digests.keys().any(|(d, _)| d == code)
        {
            fail(
                "provenance",
                format!(
                    "{versions} holding version(s) of {code} name {} (ledger entry {entry}), which recorded no snapshot of {code}: edited outside stockpile",
                    e.file
                ),
            );
        }
    }
    let (mut traced, mut older) = (0, 0);
    for (entry, (versions, with_line, min, max)) in groups {
        traced += with_line;
        let Some(e) = ledger.get(&entry) else {
            continue; // a missing entry is the foreign-key check's finding
        };
        let Some(last) = e.last_line else {
            older += versions - with_line;
            continue;
        };
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
    Ok((traced, older))
}

fn check_aggregates(conn: &Db, fail: &mut impl FnMut(&'static str, String)) -> Result<usize> {
    // A fingerprint per depot, Σ hash(type, expiry, state, notice, owner)
    // × quantity (wrapping) over the aggregates' figures and over the
    // current holdings: equal exactly when every figure sums the same (but
    // for a 64-bit collision). One sequential pass over each table, one
    // number per depot in memory. The force-wide sums by owner count under
    // depot id 0, which no depot has.
    fn fingerprint(
        sums: &mut HashMap<i64, u64>,
        depot: i64,
        key: (i64, Option<&str>, &str, Option<i64>, Option<&str>),
        quantity: i64,
    ) {
        // The key's fields in fixed-width or length-prefixed form: hashed
        // without formatting a string per holding.
        let mut bytes = [0u8; 64];
        let mut n = 0;
        let mut put = |b: &[u8]| {
            let take = b.len().min(bytes.len() - n);
            bytes[n..n + take].copy_from_slice(&b[..take]);
            n += take;
        };
        put(&key.0.to_le_bytes());
        let owner = key.1.unwrap_or("");
        put(&[owner.len() as u8]);
        put(owner.as_bytes());
        put(&[key.2.len() as u8]);
        put(key.2.as_bytes());
        match key.3 {
            Some(h) => put(&h.to_le_bytes()),
            None => put(&[0xff]),
        }
        let owner = key.4.unwrap_or("");
        put(&[owner.len() as u8]);
        put(owner.as_bytes());
        let h = xxhash_rust::xxh3::xxh3_64(&bytes[..n]);
        let e = sums.entry(depot).or_insert(0);
        *e = e.wrapping_add(h.wrapping_mul(quantity as u64));
    }
    let depots: Vec<(i64, String)> = conn.rows(
        "SELECT d.id, d.code FROM depot d ORDER BY d.code",
        &[],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let mut kept = HashMap::new();
    // By [`crate::model::bucket`].
    const STATES: [&str; 9] = [
        "FMC",
        "PMC",
        "NMCM",
        "NMCS",
        "lot FMC",
        "lot PMC",
        "lot NMCM",
        "lot NMCS",
        "lot suspended",
    ];
    // By the index of STATES: FMC, PMC, then lot FMC and lot PMC.
    const NOTICE_STATES: [&str; 6] = [
        "notice FMC",
        "notice PMC",
        "",
        "",
        "notice lot FMC",
        "notice lot PMC",
    ];
    // Every table's rows as (depot, type, owner, figures): the force-wide
    // sums by owner count under depot 0, each depot's split by owner under
    // type 0 (no depot or type has that id).
    for sql in [
        "SELECT depot_id, type_id, NULL, fmc, pmc, nmcm, nmcs, ammo_fmc, ammo_pmc, ammo_nmcm,
                ammo_nmcs, ammo_susp
         FROM readiness_current",
        "SELECT 0, type_id, owner, fmc, pmc, nmcm, nmcs, ammo_fmc, ammo_pmc, ammo_nmcm,
                ammo_nmcs, ammo_susp
         FROM readiness_owner",
        "SELECT depot_id, 0, owner, fmc, pmc, nmcm, nmcs, ammo_fmc, ammo_pmc, ammo_nmcm,
                ammo_nmcs, ammo_susp
         FROM readiness_depot_owner",
    ] {
        conn.each(sql, &[], |r| {
            let owner: Option<String> = r.get(2)?;
            for (i, state) in STATES.iter().enumerate() {
                let key = (r.get(1)?, None, *state, None, owner.as_deref());
                fingerprint(&mut kept, r.get(0)?, key, r.get(3 + i)?);
            }
            Ok(())
        })?;
    }
    // And with their notice: (depot, type, owner, notice, figures).
    for sql in [
        "SELECT depot_id, type_id, NULL, notice_hours, fmc, pmc, ammo_fmc, ammo_pmc
         FROM readiness_notice",
        "SELECT 0, type_id, owner, notice_hours, fmc, pmc, ammo_fmc, ammo_pmc
         FROM readiness_owner_notice",
        "SELECT depot_id, 0, owner, notice_hours, fmc, pmc, ammo_fmc, ammo_pmc
         FROM readiness_depot_owner_notice",
    ] {
        conn.each(sql, &[], |r| {
            let owner: Option<String> = r.get(2)?;
            for (i, state) in [0, 1, 4, 5].iter().map(|&i| NOTICE_STATES[i]).enumerate() {
                let key = (r.get(1)?, None, state, r.get(3)?, owner.as_deref());
                fingerprint(&mut kept, r.get(0)?, key, r.get(4 + i)?);
            }
            Ok(())
        })?;
    }
    conn.each(
        "SELECT depot_id, type_id, expires, status, notice_hours, quantity, owner, lots
         FROM readiness_expiry",
        &[],
        |r| {
            let (expires, status): (String, String) = (r.get(2)?, r.get(3)?);
            let owner: Option<String> = r.get(6)?;
            // Rounds under the status, lot lines under "lots <status>".
            let lots = format!("lots {status}");
            for (state, figure) in [(status.as_str(), r.get(5)?), (lots.as_str(), r.get(7)?)] {
                fingerprint(
                    &mut kept,
                    r.get(0)?,
                    (
                        r.get(1)?,
                        Some(&expires),
                        state,
                        r.get(4)?,
                        owner.as_deref(),
                    ),
                    figure,
                );
            }
            Ok(())
        },
    )?;
    // What needs attention, by depot, kind and day: items and quantity
    // under type -1 (no type has that id).
    use crate::import::store::{EXPIRES, INSPECTED, SUSPENDED, TEST_DUE, UNINSPECTED};
    let labels: Vec<[String; 2]> = crate::import::store::ATTENTION_KINDS
        .iter()
        .map(|k| {
            [
                format!("attention {k} items"),
                format!("attention {k} quantity"),
            ]
        })
        .collect();
    conn.each(
        "SELECT depot_id, kind, day, items, quantity FROM attention_day",
        &[],
        |r| {
            let kind: String = r.get(1)?;
            let day: Option<String> = r.get(2)?;
            let Some(i) = crate::import::store::attention_kind(&kind) else {
                fail(
                    "aggregates",
                    format!("attention_day has a row of kind {kind:?}"),
                );
                return Ok(());
            };
            for (state, figure) in [(&labels[i][0], r.get(3)?), (&labels[i][1], r.get(4)?)] {
                fingerprint(
                    &mut kept,
                    r.get(0)?,
                    (-1, day.as_deref(), state, None, None),
                    figure,
                );
            }
            Ok(())
        },
    )?;
    let mut current = HashMap::new();
    conn.each(
        "SELECT depot_id, type_id, status, CASE WHEN lot IS NULL THEN 0 ELSE 1 END, expires,
                notice_hours, quantity, condition_code, owner,
                CASE WHEN serial IS NULL THEN 0 ELSE 1 END, last_inspected, next_test
         FROM holding_version NOT INDEXED WHERE valid_to IS NULL",
        &[],
        |r| {
            let depot: i64 = r.get(0)?;
            let status: String = r.get(2)?;
            let lot = r.get::<i64>(3)? != 0;
            let (type_id, quantity): (i64, i64) = (r.get(1)?, r.get(6)?);
            let notice: Option<i64> = r.get(5)?;
            let Ok(parsed) = crate::model::Status::parse(&status) else {
                fail(
                    "aggregates",
                    format!("a current holding has status {status:?}"),
                );
                return Ok(());
            };
            let condition = r
                .get::<Option<String>>(7)?
                .and_then(|c| crate::model::ConditionCode::parse(&c).ok());
            let owner: Option<String> = r.get(8)?;
            let owner = owner.as_deref();
            let mut attention = |kind: u32, day: Option<String>| {
                let [items, rounds] = &labels[kind as usize];
                for (state, figure) in [(items, 1), (rounds, quantity)] {
                    fingerprint(
                        &mut current,
                        depot,
                        (-1, day.as_deref(), state, None, None),
                        figure,
                    );
                }
            };
            if condition.is_some_and(crate::model::ConditionCode::is_suspended) {
                attention(SUSPENDED, None);
            } else {
                let (expires, inspected, due): (Option<String>, Option<String>, Option<String>) =
                    (r.get(4)?, r.get(10)?, r.get(11)?);
                // A lot's expiry is in readiness_expiry.
                if expires.is_some() && !lot {
                    attention(EXPIRES, expires);
                }
                match inspected {
                    Some(day) => attention(INSPECTED, Some(day)),
                    None if r.get::<i64>(9)? != 0 => attention(UNINSPECTED, None),
                    None => {}
                }
                if due.is_some() {
                    attention(TEST_DUE, due);
                }
            }
            let i = crate::model::bucket(parsed, lot, condition);
            // By depot and type; by owner and type force-wide; by depot
            // and owner, all types as type 0.
            for (at, ty, whose) in [
                (depot, type_id, None),
                (0, type_id, owner),
                (depot, 0, owner),
            ] {
                fingerprint(
                    &mut current,
                    at,
                    (ty, None, STATES[i], None, whose),
                    quantity,
                );
                if let Some(notice_state) = NOTICE_STATES.get(i).filter(|s| !s.is_empty()) {
                    fingerprint(
                        &mut current,
                        at,
                        (ty, None, notice_state, notice, whose),
                        quantity,
                    );
                }
            }
            if let (true, Some(expires), false) = (lot, r.get::<Option<String>>(4)?, i == 8) {
                let lots = format!("lots {status}");
                for (state, figure) in [(status.as_str(), quantity), (lots.as_str(), 1)] {
                    fingerprint(
                        &mut current,
                        depot,
                        (type_id, Some(&expires), state, notice, owner),
                        figure,
                    );
                }
            }
            Ok(())
        },
    )?;
    for (id, code) in &depots {
        if kept.get(id).copied().unwrap_or(0) != current.get(id).copied().unwrap_or(0) {
            fail(
                "aggregates",
                format!("{code}: readiness figures differ from its current holdings"),
            );
        }
    }
    if kept.get(&0).copied().unwrap_or(0) != current.get(&0).copied().unwrap_or(0) {
        fail(
            "aggregates",
            "the figures by owner nation (readiness_owner, readiness_owner_notice) differ from the current holdings".into(),
        );
    }
    Ok(depots.len())
}
