//! `stockpile suspend` and `stockpile suspensions`: force-wide ammunition
//! suspensions (SPEC §12), recorded in the ledger and listed.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde_json::json;

use super::Context;
use crate::cli::{SuspendArgs, SuspensionsArgs};
use crate::db::{self, Access, Db};
use crate::error::{Error, Result};
use crate::model::{Nsn, iso, parse_date};
use crate::output::{Format, Report, Value, group_thousands, render};
use crate::suspension::{self, Suspension};

fn date(flag: &str, text: Option<&str>) -> Result<NaiveDate> {
    match text {
        Some(t) => parse_date(t, None).map_err(|m| Error::Usage(format!("{flag}: {m}"))),
        None => super::today(),
    }
}

/// The rounds each depot holds now (its latest snapshot) of the lots a
/// suspension names: depot → lot → rounds.
fn held(conn: &Db, s: &Suspension) -> Result<BTreeMap<String, BTreeMap<String, i64>>> {
    let rows: Vec<(String, String, i64)> = conn.rows(
        "SELECT d.code, h.lot, sum(h.quantity)
         FROM holding_version h
         JOIN equipment_type t ON t.id = h.type_id
         JOIN depot d ON d.id = h.depot_id
         WHERE h.valid_to IS NULL AND h.lot IS NOT NULL AND t.nsn = ?1
         GROUP BY d.code, h.lot ORDER BY d.code, h.lot",
        &[&s.nsn],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    let mut out: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
    for (depot, lot, rounds) in rows.into_iter().filter(|(_, l, _)| s.covers_lot(l)) {
        out.entry(depot).or_default().insert(lot, rounds);
    }
    Ok(out)
}

/// The types registered under an NSN.
fn types_of(conn: &Db, nsn: &str) -> Result<Vec<String>> {
    Ok(conn.rows(
        "SELECT code FROM equipment_type WHERE nsn = ?1 ORDER BY code",
        &[&nsn],
        |r| r.get(0),
    )?)
}

pub fn run(args: &SuspendArgs, ctx: &mut Context) -> Result<()> {
    if ctx.format_given && ctx.format == Format::Csv {
        return Err(Error::Usage(
            "suspend prints what it recorded as text or --format json (stockpile suspensions --format csv lists them)".into(),
        ));
    }
    let from = date("--from", args.from.as_deref())?;
    let conn = db::open(&ctx.db, Access::Write)?;
    if let Some(id) = args.lift {
        let entry = suspension::lift(&conn, id, from)?;
        let s = suspension::all(&conn)?
            .into_iter()
            .find(|s| s.id == id)
            .ok_or_else(|| Error::Data(format!("suspension {id} vanished while lifted")))?;
        if ctx.format == Format::Json {
            let doc = json!({
                "lifted": id,
                "ledger_entry": entry,
                "nsn": s.nsn,
                "lots": s.lots,
                "from": iso(from),
            });
            serde_json::to_writer_pretty(&mut *ctx.out, &doc).map_err(std::io::Error::from)?;
            writeln!(ctx.out)?;
        } else {
            writeln!(
                ctx.out,
                "suspension {id} ({} {}) lifted from {} (ledger entry {entry}): its lots count as their depots report them again from that day",
                s.nsn,
                lots_text(&s.lots),
                iso(from)
            )?;
        }
        return Ok(());
    }
    let (Some(nsn), Some(reason)) = (args.nsn.as_deref(), args.reason.as_deref()) else {
        return Err(Error::Usage(
            "suspend needs --nsn NSN and --reason TEXT (or --lift ID)".into(),
        ));
    };
    let nsn = Nsn::parse(nsn).map_err(|m| Error::Usage(format!("--nsn: {m}")))?;
    let nsn_text = nsn.as_str().to_string();
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(Error::Usage(
            "--reason: say why (the notice's reference and cause): the brief and trace print it"
                .into(),
        ));
    }
    let mut lots: Vec<String> = Vec::new();
    for lot in &args.lots {
        let lot = lot.trim();
        if lot.is_empty() {
            return Err(Error::Usage("--lot: a lot number is empty".into()));
        }
        if !lots.iter().any(|l| l == lot) {
            lots.push(lot.to_string());
        }
    }
    let types = types_of(&conn, nsn.as_str())?;
    let id = suspension::record(&conn, &nsn, &lots, from, reason)?;
    let s = suspension::all(&conn)?
        .into_iter()
        .find(|s| s.id == id)
        .ok_or_else(|| Error::Data(format!("suspension {id} was not recorded")))?;
    let held = held(&conn, &s)?;
    // A notice may name what no depot holds yet (it applies when one is
    // imported), but a mistyped NSN or lot must not pass in silence.
    if types.is_empty() {
        ctx.warn(&format!(
            "no type in the database has NSN {nsn_text}: the suspension is recorded and applies to any lot of it imported later; check the NSN (stockpile types lists them)"
        ));
    }
    let found: Vec<&String> = held.values().flat_map(|l| l.keys()).collect();
    let missing: Vec<&str> = lots
        .iter()
        .filter(|l| !found.contains(l))
        .map(String::as_str)
        .collect();
    if !types.is_empty() && !missing.is_empty() {
        ctx.warn(&format!(
            "no depot holds lot {} of NSN {nsn_text} now: check the lot numbers (stockpile trace shows a type's lots)",
            missing.join(", ")
        ));
    }
    let rounds: i64 = held.values().flat_map(|l| l.values()).sum();
    let lot_count = held.values().map(BTreeMap::len).sum::<usize>();
    if ctx.format == Format::Json {
        let doc = json!({
            "suspension": id,
            "nsn": nsn.as_str(),
            "types": types,
            "lots": lots,
            "from": iso(from),
            "reason": reason,
            "held_now": {
                "rounds": rounds,
                "lots": lot_count,
                "depots": held.keys().collect::<Vec<_>>(),
            },
        });
        serde_json::to_writer_pretty(&mut *ctx.out, &doc).map_err(std::io::Error::from)?;
        writeln!(ctx.out)?;
    } else {
        writeln!(
            ctx.out,
            "suspension {id} recorded: NSN {nsn_text}{} {}, from {} — {reason}",
            if types.is_empty() {
                String::new()
            } else {
                format!(" ({})", types.join(", "))
            },
            lots_text(&lots),
            iso(from)
        )?;
        writeln!(
            ctx.out,
            "held now: {} rounds in {lot_count} lot{} at {} depot{}{}",
            group_thousands(rounds),
            if lot_count == 1 { "" } else { "s" },
            held.len(),
            if held.len() == 1 { "" } else { "s" },
            if held.is_empty() {
                String::new()
            } else {
                format!(" ({})", held.keys().cloned().collect::<Vec<_>>().join(", "))
            }
        )?;
        writeln!(
            ctx.out,
            "lift it with: stockpile suspend --lift {id} --from DATE"
        )?;
    }
    Ok(())
}

fn lots_text(lots: &[String]) -> String {
    match lots {
        [] => "every lot".into(),
        [one] => format!("lot {one}"),
        many => format!("lots {}", many.join(", ")),
    }
}

pub fn list(args: &SuspensionsArgs, ctx: &mut Context) -> Result<()> {
    let today = date("--today", args.today.as_deref())?;
    let conn = db::open(&ctx.db, Access::Read)?;
    let all = suspension::all(&conn)?;
    let mut report = Report::new(
        &[
            "suspension",
            "nsn",
            "lots",
            "from",
            "state",
            "reason",
            "rounds_held",
            "depots",
            "lifted_from",
            "types",
            "recorded_at",
            "recorded_by",
        ],
        1,
    );
    // What it stops and why stay; who recorded it, and when, go first.
    report.optional = vec![11, 10, 9, 7, 8, 6];
    report.shortenable = vec![2, 5, 7, 9];
    report.meta = super::report::date_meta(today);
    let mut in_force = 0;
    for s in &all {
        let state = if s.in_force(today) {
            in_force += 1;
            "in force"
        } else if s.from > today {
            "not yet begun"
        } else {
            "lifted"
        };
        let held = held(&conn, s)?;
        let rounds: i64 = held.values().flat_map(|l| l.values()).sum();
        report.rows.push(vec![
            Value::Int(s.id),
            Value::Text(s.nsn.clone()),
            Value::Text(if s.lots.is_empty() {
                "all".into()
            } else {
                s.lots.join(", ")
            }),
            Value::Text(iso(s.from)),
            Value::Text(state.into()),
            Value::Text(s.reason.clone()),
            Value::Int(rounds),
            Value::Text(held.keys().cloned().collect::<Vec<_>>().join(", ")),
            s.lifted.map_or(Value::Null, |(_, d)| Value::Text(iso(d))),
            Value::Text(types_of(&conn, &s.nsn)?.join(", ")),
            Value::Text(s.recorded_at.clone()),
            Value::Text(s.recorded_by.clone()),
        ]);
    }
    if ctx.format == Format::Table {
        writeln!(
            ctx.out,
            "Force-wide ammunition suspensions on {}: {} recorded, {in_force} in force",
            iso(today),
            all.len()
        )?;
    }
    render(&report, ctx.format, &ctx.style, ctx.out)?;
    Ok(())
}
