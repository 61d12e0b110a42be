//! `stockpile depots` and `stockpile types`: the reference lists, each with
//! its current equipment on hand and MC rate, and its rounds beside them.

use std::collections::HashMap;

use super::Context;
use crate::db::Db;
use crate::error::Result;
use crate::output::{Report, Value, render};
use crate::readiness::{Figures, Key, summarize};
use crate::state::{self, Filters, Notice};

/// Each depot's (or type's) current figures, judged today.
fn current(
    conn: &Db,
    key: Key,
    today: chrono::NaiveDate,
    rules: crate::policy::Rules,
) -> Result<HashMap<String, Figures>> {
    let facts = state::facts(
        conn,
        &[key],
        &Filters::default(),
        None,
        today,
        Notice::Ignored,
    )?;
    let (groups, _) = summarize(&facts, None, &[key], rules);
    Ok(groups
        .into_iter()
        .filter_map(|g| g.keys.into_iter().next().flatten().map(|k| (k, g.figures)))
        .collect())
}

/// On hand, MC rate, rounds and their serviceable rate: equipment and
/// ammunition apart.
fn held(f: Option<&Figures>) -> [Value; 4] {
    let f = f.cloned().unwrap_or_default();
    let count = |n: i64| {
        if n > 0 {
            Value::Int(n)
        } else {
            Value::Absent(n)
        }
    };
    [
        count(f.on_hand()),
        f.mc_rate().map_or(Value::Null, Value::Rate),
        count(f.ammo_on_hand()),
        f.ammo_rate().map_or(Value::Null, Value::Rate),
    ]
}

pub fn depots(ctx: &mut Context) -> Result<()> {
    let (conn, today) = super::open_question(ctx, &Filters::default(), None)?;
    let policy = super::policy(ctx, &conn)?;
    let figures = current(&conn, Key::Depot, today, policy.policy.rules())?;
    let sql = "SELECT d.code,
                (SELECT count(*) FROM snapshot s WHERE s.depot_id = d.id),
                (SELECT min(as_of) FROM snapshot s WHERE s.depot_id = d.id),
                (SELECT max(as_of) FROM snapshot s WHERE s.depot_id = d.id)
         FROM depot d ORDER BY d.code";
    let mut report = Report::new(
        &[
            "depot",
            "snapshots",
            "first_as_of",
            "latest_as_of",
            "on_hand",
            "mc_rate",
            "ammo_on_hand",
            "ammo_rate",
        ],
        1,
    );
    report.optional = vec![7, 6, 2, 1];
    report.essential = vec![3, 4, 5];
    report.meta = super::meta(today, &policy);
    report.rows = conn.rows(sql, &[], |r| {
        let code: String = r.get(0)?;
        let mut row = vec![
            Value::Text(code.clone()),
            Value::Int(r.get(1)?),
            Value::from(r.get::<Option<String>>(2)?),
            Value::from(r.get::<Option<String>>(3)?),
        ];
        row.extend(held(figures.get(&code)));
        Ok(row)
    })?;
    caption(ctx, &conn, today, "Depots")?;
    render(&report, ctx.format, &ctx.style, ctx.out)?;
    if ctx.format == crate::output::Format::Table {
        // The answer: how many, and whose data is oldest (the figure a
        // brief stands on least firmly).
        let mut latest: Vec<(String, String)> = report
            .rows
            .iter()
            .filter_map(|r| match (&r[0], &r[3]) {
                (Value::Text(d), Value::Text(latest)) => Some((latest.clone(), d.clone())),
                _ => None,
            })
            .collect();
        latest.sort();
        let age = |date: &str| {
            chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d")
                .map(|d| (today - d).num_days())
                .unwrap_or(0)
        };
        let depots = count(report.rows.len(), "depot");
        let text = match (latest.first(), latest.last()) {
            (Some((first, _)), Some((last, _))) if first == last => format!(
                "{depots} · every latest snapshot of {first} ({} days old)",
                age(first)
            ),
            (Some((first, depot)), _) => format!(
                "{depots} · the oldest data: {depot}, latest snapshot {first} ({} days old)",
                age(first)
            ),
            _ => depots,
        };
        crate::caption::print(ctx.out, &text, ctx.style.width)?;
    }
    Ok(())
}

/// "1 depot", "7 depots".
fn count(n: usize, what: &str) -> String {
    format!(
        "{} {what}{}",
        crate::output::group_thousands(n as i64),
        if n == 1 { "" } else { "s" }
    )
}

/// What a reference table stands on, above it as on every table: the date
/// its figures are judged on and the data's age.
fn caption(ctx: &mut Context, conn: &Db, today: chrono::NaiveDate, what: &str) -> Result<()> {
    if ctx.format != crate::output::Format::Table {
        return Ok(());
    }
    let age = crate::caption::DataAge::load(conn, &Filters::default(), None)?;
    let text = format!(
        "{what} on {} · {}",
        crate::model::iso(today),
        age.text(today)
    );
    crate::caption::print(ctx.out, &text, ctx.style.width)?;
    Ok(())
}

pub fn types(ctx: &mut Context) -> Result<()> {
    let (conn, today) = super::open_question(ctx, &Filters::default(), None)?;
    let policy = super::policy(ctx, &conn)?;
    let figures = current(&conn, Key::Type, today, policy.policy.rules())?;
    // The depots holding each type counted in one pass: the aggregates are
    // keyed by depot first, so a count per type would scan them per type.
    let sql = "SELECT t.code, t.category, t.nsn, coalesce(h.depots, 0)
         FROM equipment_type t
         LEFT JOIN (SELECT type_id, count(*) AS depots FROM readiness_current
                    WHERE fmc + pmc + nmcm + nmcs + ammo_fmc + ammo_pmc + ammo_nmcm + ammo_nmcs
                          + ammo_susp > 0
                    GROUP BY type_id) h ON h.type_id = t.id
         ORDER BY t.code";
    let mut report = Report::new(
        &[
            "type",
            "category",
            "nsn",
            "depots",
            "on_hand",
            "mc_rate",
            "ammo_on_hand",
            "ammo_rate",
        ],
        1,
    );
    report.optional = vec![7, 2, 3];
    report.essential = vec![4, 5, 6];
    report.meta = super::meta(today, &policy);
    report.rows = conn.rows(sql, &[], |r| {
        let code: String = r.get(0)?;
        let mut row = vec![
            Value::Text(code.clone()),
            Value::from(r.get::<Option<String>>(1)?),
            Value::from(r.get::<Option<String>>(2)?),
            Value::Int(r.get(3)?),
        ];
        row.extend(held(figures.get(&code)));
        Ok(row)
    })?;
    caption(ctx, &conn, today, "Equipment types")?;
    render(&report, ctx.format, &ctx.style, ctx.out)?;
    if ctx.format == crate::output::Format::Table {
        // The answer: how many types, how many held anywhere today.
        let held = report
            .rows
            .iter()
            .filter(|r| matches!(r[3], Value::Int(n) if n > 0))
            .count();
        let text = format!(
            "{} known · {} held by some depot today",
            count(report.rows.len(), "type"),
            crate::output::group_thousands(held as i64)
        );
        crate::caption::print(ctx.out, &text, ctx.style.width)?;
    }
    Ok(())
}
