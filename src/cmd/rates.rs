//! `stockpile rates`: the period mission-capable rate of SPEC §13,
//! item-days mission capable over item-days possessed, for one period or
//! month by month.

use chrono::NaiveDate;

use super::{Context, filters};
use crate::cli::RatesArgs;
use crate::db::Db;
use crate::error::{Error, Result};
use crate::model::{iso, parse_date};
use crate::output::{Format, Report, Value, group_thousands, render};
use crate::readiness::{Key, level, ratio};
use crate::state::Filters;
use crate::trend::{self, ItemDays};

const FIGURES: [&str; 5] = [
    "days",
    "possessed_item_days",
    "mc_item_days",
    "mc_rate",
    "r_level",
];

fn date(flag: &str, text: &str) -> Result<NaiveDate> {
    parse_date(text, None).map_err(|m| Error::Usage(format!("{flag}: {m}")))
}

pub fn run(args: &RatesArgs, ctx: &mut Context) -> Result<()> {
    let by = Key::parse_list(&args.by).map_err(|m| Error::Usage(format!("--by: {m}")))?;
    let filters = filters(&args.filter)?;
    let today = super::today()?;
    let period = match (&args.from, &args.to) {
        (Some(f), Some(t)) => {
            let (from, to) = (date("--from", f)?, date("--to", t)?);
            if from > to {
                return Err(Error::Usage(format!(
                    "--from {} is after --to {}: the period runs from its first day to its last",
                    iso(from),
                    iso(to)
                )));
            }
            if to > today {
                return Err(Error::Usage(format!(
                    "--to {}: the period must end by today ({}); a period rate counts days that have passed",
                    iso(to),
                    iso(today)
                )));
            }
            Some((from, to))
        }
        _ => None,
    };
    let (conn, _) = super::open_question(ctx, &filters, None)?;
    crate::known::check_date(&conn, "--to", period.map(|p| p.1))?;
    let policy = super::policy(ctx, &conn)?;
    let periods = match period {
        Some(p) => vec![p],
        None => match first_snapshot(&conn)? {
            Some(first) => trend::months(first, today),
            None => Vec::new(),
        },
    };
    let days = trend::item_days(&conn, &by, &filters, &periods, policy.policy.rules())?;

    let r_levels = policy.policy.r_levels;
    let figures = |n_days: i64, d: &ItemDays| -> Vec<Value> {
        vec![
            Value::Int(n_days),
            Value::Int(d.possessed),
            Value::Int(d.mc),
            ratio(d.mc, d.possessed).map_or(Value::Null, Value::RateBar),
            level(d.mc, d.possessed, r_levels).map_or(Value::Null, Value::RLevel),
        ]
    };
    let monthly = args.monthly;
    let mut columns: Vec<&str> = Vec::new();
    if monthly {
        columns.extend(["month", "from", "to"]);
    }
    columns.extend(by.iter().map(|k| k.name()));
    columns.extend(FIGURES);
    let keys = columns.len() - FIGURES.len();
    let mut report = Report::new(&columns, keys);
    // The dates and the day count give way first; the rate and its level stay.
    report.optional = if monthly { vec![1, 2] } else { Vec::new() };
    report
        .optional
        .extend([keys + 1, keys + 2, keys].iter().copied());
    let mut total = ItemDays::default();
    let mut total_days = 0;
    for ((from, to), groups) in periods.iter().zip(&days) {
        let n_days = (*to - *from).num_days() + 1;
        total_days += n_days;
        let mut rows: Vec<&ItemDays> = groups.iter().collect();
        let whole;
        if by.is_empty() {
            // One row per period even when nothing was possessed: a month
            // with no data says so rather than vanish.
            whole = groups.first().cloned().unwrap_or_default();
            rows = vec![&whole];
        }
        for g in rows {
            total.possessed += g.possessed;
            total.mc += g.mc;
            let mut row: Vec<Value> = Vec::new();
            if monthly {
                row.extend([
                    Value::Text(from.format("%Y-%m").to_string()),
                    Value::Text(iso(*from)),
                    Value::Text(iso(*to)),
                ]);
            }
            row.extend(g.keys.iter().cloned().map(Value::from));
            row.extend(figures(n_days, g));
            report.rows.push(row);
        }
    }
    let mut total_row = vec![Value::Null; keys];
    total_row.extend(figures(total_days, &total));
    report.total = Some(total_row);
    let (first, last) = (periods.first().map(|p| p.0), periods.last().map(|p| p.1));
    report.meta = vec![
        ("from".into(), serde_json::json!(first.map(iso))),
        ("to".into(), serde_json::json!(last.map(iso))),
        ("policy".into(), policy.json()),
    ];
    if let Some(path) = &args.xlsx {
        return super::write_xlsx(ctx, path, "rates", &report);
    }
    if ctx.format != Format::Table {
        render(&report, ctx.format, &ctx.style, ctx.out)?;
        return Ok(());
    }
    let w = ctx.style.width;
    let span = match (first, last) {
        (Some(a), Some(b)) => format!("{} to {}", iso(a), iso(b)),
        _ => "no snapshot yet".into(),
    };
    let caption = crate::caption::with_filters(
        format!(
            "Period MC rate{}, {span}: item-days mission capable over item-days possessed, equipment only",
            if monthly { " by month" } else { "" }
        ),
        &filters,
    );
    crate::caption::print(ctx.out, &caption, w)?;
    render(&report, ctx.format, &ctx.style, ctx.out)?;
    let verdict = match ratio(total.mc, total.possessed) {
        Some(rate) => format!(
            "Over {total_days} days: {:.1} % mission capable ({}), {} of {} item-days",
            rate * 100.0,
            level(total.mc, total.possessed, r_levels).map_or("–".into(), |l| format!("R{l}")),
            group_thousands(total.mc),
            group_thousands(total.possessed)
        ),
        None => "No equipment was possessed in the period: no rate".into(),
    };
    crate::caption::print(ctx.out, &verdict, w)?;
    if let Some(from) = first {
        let late = late_depots(&conn, &filters, from)?;
        if !late.is_empty() {
            let shown: Vec<String> = late
                .iter()
                .take(6)
                .map(|(d, f)| format!("{d} ({})", iso(*f)))
                .collect();
            let more = late.len().saturating_sub(6);
            crate::caption::print(
                ctx.out,
                &format!(
                    "First reported more than a week into the period: {}{}; their days before it are not possessed, so they weigh less in the rate.",
                    shown.join(", "),
                    if more > 0 {
                        format!(" and {more} more")
                    } else {
                        String::new()
                    }
                ),
                w,
            )?;
        }
    }
    crate::caption::print(ctx.out, &policy.line(), w)?;
    Ok(())
}

fn first_snapshot(conn: &Db) -> Result<Option<NaiveDate>> {
    Ok(conn.value("SELECT min(as_of) FROM snapshot", &[])?)
}

/// Depots (under the filters) whose first snapshot falls more than a week
/// after the period's start (or after the first snapshot of all, when the
/// period starts before it): depots report on different days of a weekly
/// cycle, and those are not worth a note.
fn late_depots(conn: &Db, filters: &Filters, from: NaiveDate) -> Result<Vec<(String, NaiveDate)>> {
    let firsts: Vec<(String, NaiveDate)> = conn.rows(
        "SELECT d.code, min(s.as_of) FROM snapshot s JOIN depot d ON d.id = s.depot_id
         GROUP BY d.code ORDER BY d.code",
        &[],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let start = firsts
        .iter()
        .map(|(_, f)| *f)
        .min()
        .map_or(from, |f| f.max(from));
    let late = start + chrono::Duration::days(7);
    Ok(firsts
        .into_iter()
        .filter(|(d, first)| {
            *first > late && (filters.depots.is_empty() || filters.depots.contains(d))
        })
        .collect())
}
