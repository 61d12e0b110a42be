//! `stockpile watch`: what needs attention, one row per depot and kind (per
//! lot, serial and depot with `--items`).

use super::{Context, filters};
use crate::attention::{Attention, DepotKind, Kind, Limits, watch};
use crate::cli::WatchArgs;
use crate::error::{Error, Result};
use crate::model::{iso, parse_date, parse_hours};
use crate::output::{Report, Value, render};

/// A window in whole days: `90d`, `90` (days: these windows are counted in
/// days), or hours that make whole days (`48h`).
fn days(flag: &str, text: &str) -> Result<i64> {
    let usage = |m: String| Error::Usage(format!("{flag}: {m}"));
    if let Ok(n) = text.trim().parse::<u32>()
        && n <= 100 * 366
    {
        return Ok(i64::from(n));
    }
    let hours = parse_hours(text, 100 * 366 * 24).map_err(usage)?;
    if hours % 24 != 0 {
        return Err(usage(format!(
            "\"{text}\" is not a whole number of days (expected e.g. 90d, or 48h)"
        )));
    }
    Ok(i64::from(hours / 24))
}

/// Every row found: one per lot, serial or depot.
fn items_report(rows: &[Attention]) -> Report {
    let mut report = Report::new(
        &[
            "kind", "depot", "type", "serial", "lot", "quantity", "date", "days", "note",
        ],
        0,
    );
    // Which item, of what kind, how urgent: these stay; the note, the date
    // (its days stay) and the quantity give way, in that order.
    report.optional = vec![8, 6, 5];
    report.shortenable = vec![8];
    report.essential = vec![0, 1, 2, 3, 4, 7];
    report.either = Some((3, 4, "serial_or_lot".into()));
    for a in rows {
        report.rows.push(vec![
            Value::Text(a.kind.as_str().into()),
            Value::Text(a.depot.clone()),
            Value::from(a.type_code.clone()),
            Value::from(a.serial.clone()),
            Value::from(a.lot.clone()),
            a.quantity.map_or(Value::Null, Value::Int),
            a.date.map_or(Value::Null, |d| Value::Text(iso(d))),
            a.days.map_or(Value::Null, Value::Int),
            Value::from(a.note.clone()),
        ]);
    }
    report
}

/// One row per depot × kind, as a morning brief reads it: how many, how
/// much, and the worst case — the soonest expiry for lots expiring, the
/// oldest for everything overdue — kinds in their order of urgency, the
/// worst depot first within each.
fn summary_report(groups: &[DepotKind]) -> Report {
    let mut report = Report::new(
        &[
            "kind",
            "depot",
            "items",
            "quantity",
            "worst_date",
            "worst_days",
        ],
        2,
    );
    report.optional = vec![3];
    report.essential = vec![2, 4, 5];
    let mut items = 0;
    for g in groups {
        items += g.items;
        report.rows.push(vec![
            Value::Text(g.kind.as_str().into()),
            Value::Text(g.depot.clone()),
            Value::Int(g.items),
            g.quantity.map_or(Value::Null, Value::Int),
            g.worst.map_or(Value::Null, |(d, _)| Value::Text(iso(d))),
            g.worst.map_or(Value::Null, |(_, days)| Value::Int(days)),
        ]);
    }
    // No total quantity: rows count rounds of lots and items of serials,
    // which are never summed.
    report.total = Some(vec![
        Value::Null,
        Value::Null,
        Value::Int(items),
        Value::Null,
        Value::Null,
        Value::Null,
    ]);
    report
}

pub fn run(args: &WatchArgs, ctx: &mut Context) -> Result<()> {
    let filters = filters(&args.filter)?;
    let today = match &args.today {
        Some(t) => parse_date(t, None).map_err(|m| Error::Usage(format!("--today: {m}")))?,
        None => super::today()?,
    };
    let expiring = days("--expiring", &args.expiring)?;
    let inspection = days("--inspection", &args.inspection)?;
    let stale = args
        .stale
        .as_deref()
        .map(|s| days("--stale", s))
        .transpose()?;
    let (conn, _) = super::open_question(ctx, &filters, None)?;
    let policy = super::policy(ctx, &conn)?;
    let limits = Limits {
        today,
        expiring,
        inspection,
        stale: stale.unwrap_or(i64::from(policy.policy.stale_days)),
    };
    // How many of each kind, in their order, and in all.
    let mut kinds: Vec<(Kind, usize)> = Vec::new();
    let mut count = |kind: Kind, n: usize| match kinds.iter_mut().find(|(k, _)| *k == kind) {
        Some((_, m)) => *m += n,
        None => kinds.push((kind, n)),
    };
    let mut report = if args.items {
        let mut rows = watch(&conn, &filters, limits)?;
        crate::attention::in_order(&mut rows);
        rows.iter().for_each(|a| count(a.kind, 1));
        items_report(&rows)
    } else {
        let groups = crate::attention::summary(&conn, &filters, limits)?;
        groups.iter().for_each(|g| count(g.kind, g.items as usize));
        summary_report(&groups)
    };
    kinds.sort_unstable_by_key(|&(k, _)| k);
    let found: usize = kinds.iter().map(|(_, n)| n).sum();
    report.meta = vec![("date".into(), serde_json::Value::from(iso(today)))];
    if ctx.format == crate::output::Format::Table {
        let counts = kinds
            .iter()
            .map(|(k, n)| {
                format!(
                    "{} {}",
                    crate::output::group_thousands(*n as i64),
                    k.as_str()
                )
            })
            .collect::<Vec<_>>()
            .join(" · ");
        let caption = crate::caption::with_filters(
            format!(
                "Needs attention on {}: {}",
                iso(today),
                if found == 0 {
                    "nothing".to_string()
                } else {
                    format!(
                        "{} item{} — {counts}",
                        crate::output::group_thousands(found as i64),
                        if found == 1 { "" } else { "s" }
                    )
                }
            ),
            &filters,
        );
        crate::caption::print(ctx.out, &caption, ctx.style.width)?;
    }
    render(&report, ctx.format, &ctx.style, ctx.out)?;
    if ctx.format == crate::output::Format::Table && !args.items && found > 0 {
        crate::caption::print(
            ctx.out,
            "One row per depot and kind, worst first: the oldest overdue, the soonest expiry. --items lists each lot, serial and depot.",
            ctx.style.width,
        )?;
    }
    if args.fail_on_any && found > 0 {
        return Err(Error::Threshold(format!(
            "{} item(s) need attention as of {}",
            found,
            iso(today)
        )));
    }
    Ok(())
}
