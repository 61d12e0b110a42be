//! `stockpile trace`: the export lines behind a depot × type figure.

use serde_json::json;

use super::Context;
use crate::cli::TraceArgs;
use crate::db::{self, Access};
use crate::error::{Error, Result};
use crate::model::{DepotCode, TypeCode, iso, parse_date};
use crate::output::{Format, Report, Value, group_thousands, render};
use crate::provenance::{Lookup, Source, trace};

pub fn run(args: &TraceArgs, ctx: &mut Context) -> Result<()> {
    let usage = |flag: &str, m: String| Error::Usage(format!("{flag}: {m}"));
    let depot = DepotCode::parse(&args.depot).map_err(|m| usage("--depot", m))?;
    let type_code = TypeCode::parse(&args.type_code).map_err(|m| usage("--type", m))?;
    let on = args
        .as_of
        .as_deref()
        .map(|d| parse_date(d, None).map_err(|m| usage("--as-of", m)))
        .transpose()?;
    let serial = args.serial.as_deref().map(str::trim);
    let conn = db::open(&ctx.db, Access::Read)?;
    let judged = match on {
        Some(d) => d,
        None => super::today()?,
    };
    let known = |what, option, code: &str, all: Vec<String>, list| {
        crate::known::check_codes(what, option, &[code.to_string()], &all, list)
    };
    known(
        "depot",
        "--depot",
        depot.as_str(),
        crate::known::depots(&conn)?,
        "depots",
    )?;
    known(
        "type",
        "--type",
        type_code.as_str(),
        crate::known::types(&conn)?,
        "types",
    )?;
    let found = match trace(
        &conn,
        depot.as_str(),
        type_code.as_str(),
        serial,
        on,
        judged,
    )? {
        Lookup::Found(t) => t,
        Lookup::NoDepot => {
            return Err(usage(
                "--depot",
                format!("no depot {depot} in the database (see stockpile depots)"),
            ));
        }
        Lookup::NoType => {
            return Err(usage(
                "--type",
                format!("no type {type_code} in the database (see stockpile types)"),
            ));
        }
        Lookup::NoSnapshot => {
            return Err(Error::Data(format!(
                "{depot} had not reported by {}: nothing to trace",
                on.map_or("then".into(), iso)
            )));
        }
    };
    let on_hand: i64 = found.sources.iter().map(|s| s.quantity).sum();
    if found.sources.is_empty() {
        ctx.warn(&format!(
            "{depot} holds no {type_code}{} in its snapshot of {}",
            serial.map_or(String::new(), |s| format!(" with serial {s}")),
            iso(found.as_of)
        ));
    }
    match ctx.format {
        Format::Json => {
            let rows: Vec<serde_json::Value> = found.sources.iter().map(source_json).collect();
            let doc = json!({
                "rows": rows,
                "total": {
                    "depot": depot.as_str(),
                    "type": type_code.as_str(),
                    "as_of": iso(found.as_of),
                    "lines": found.sources.len(),
                    "on_hand": on_hand,
                }
            });
            serde_json::to_writer_pretty(&mut *ctx.out, &doc).map_err(std::io::Error::from)?;
            writeln!(ctx.out)?;
        }
        format => {
            if format == Format::Table {
                writeln!(
                    ctx.out,
                    "{depot} × {type_code} in the snapshot of {}: {} on hand in {} lines",
                    iso(found.as_of),
                    group_thousands(on_hand),
                    found.sources.len()
                )?;
            }
            render(&table(&found.sources), format, &ctx.style, ctx.out)?;
        }
    }
    Ok(())
}

fn confirmations(s: &Source) -> String {
    s.confirmed_by
        .iter()
        .map(|c| format!("{} (entry {})", iso(c.as_of), c.ledger_entry))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Why a line counts as suspended, if it does: its code, the notices.
fn suspension(s: &Source) -> Option<String> {
    let code = s
        .condition_code
        .as_deref()
        .and_then(|c| crate::model::ConditionCode::parse(c).ok());
    let by: Vec<&crate::suspension::Suspension> = s.suspended_by.iter().collect();
    let why = crate::suspension::why(code, &by);
    (!why.is_empty()).then_some(why)
}

fn table(sources: &[Source]) -> Report {
    let mut report = Report::new(
        &[
            "serial",
            "lot",
            "status",
            "cc",
            "suspended",
            "quantity",
            "file",
            "line",
            "ledger_entry",
            "since",
            "confirmed_by",
            "imported_at",
            "os_user",
            "file_sha256",
        ],
        0,
    );
    // The digest and who imported go first, then the dates; the item, the
    // file and the line, which answer the question, stay.
    report.optional = vec![13, 12, 11, 10, 9, 8, 3];
    report.shortenable = vec![4, 6, 10];
    for s in sources {
        report.rows.push(vec![
            Value::from(s.serial.clone()),
            Value::from(s.lot.clone()),
            Value::Text(s.status.clone()),
            Value::from(s.condition_code.clone()),
            Value::from(suspension(s)),
            Value::Int(s.quantity),
            Value::Text(s.file.clone()),
            s.line.map_or(Value::Null, Value::Int),
            Value::Int(s.ledger_entry),
            Value::Text(iso(s.since)),
            Value::Text(confirmations(s)),
            Value::Text(s.imported_at.clone()),
            Value::Text(s.os_user.clone()),
            Value::Text(s.file_sha256.clone()),
        ]);
    }
    report
}

fn source_json(s: &Source) -> serde_json::Value {
    json!({
        "serial": s.serial,
        "lot": s.lot,
        "status": s.status,
        "quantity": s.quantity,
        "notice_hours": s.notice_hours,
        "expires": s.expires,
        "condition_code": s.condition_code,
        "next_test": s.next_test,
        "suspended": suspension(s).is_some(),
        "suspended_by": s.suspended_by.iter().map(|n| json!({
            "suspension": n.id,
            "nsn": n.nsn,
            "from": iso(n.from),
            "reason": n.reason,
        })).collect::<Vec<_>>(),
        "since": iso(s.since),
        "file": s.file,
        "line": s.line,
        "ledger_entry": s.ledger_entry,
        "file_sha256": s.file_sha256,
        "imported_at": s.imported_at,
        "os_user": s.os_user,
        "confirmed_by": s.confirmed_by.iter().map(|c| json!({
            "as_of": iso(c.as_of),
            "ledger_entry": c.ledger_entry,
            "file": c.file,
        })).collect::<Vec<_>>(),
    })
}
