//! `stockpile deployable --within DURATION`

use super::{Context, as_of, filters};
use crate::cli::DeployableArgs;
use crate::error::{Error, Result};
use crate::model::{MAX_NOTICE_HOURS, parse_hours};
use crate::output::{Report, Value, group_thousands, render};
use crate::readiness::{Deployable, Key, deployable};
use crate::state;

pub fn run(args: &DeployableArgs, ctx: &mut Context) -> Result<()> {
    let within = parse_hours(&args.within, MAX_NOTICE_HOURS)
        .map_err(|m| Error::Usage(format!("--within: {m}")))?;
    let by = Key::parse_list(&args.by).map_err(|m| Error::Usage(format!("--by: {m}")))?;
    let filters = filters(&args.selection.filter)?;
    let date = as_of(&args.selection)?;
    let (conn, judged) = super::open_question(ctx, &filters, date)?;
    let policy = super::policy(ctx, &conn)?;
    let facts = state::facts(
        &conn,
        &by,
        &filters,
        date,
        judged,
        state::Notice::Within(within),
    )?;
    let (groups, total) = deployable(&facts, within, policy.policy.rules());
    let mut columns: Vec<&str> = by.iter().map(|k| k.name()).collect();
    columns.extend(["mc", "deployable", "ammo_deployable"]);
    let mut report = Report::new(&columns, by.len());
    report.meta = super::meta(judged, &policy);
    // Items and rounds apart: a row of rounds alone shows – for items.
    let values = |d: &Deployable| {
        let items = d.mc > 0;
        let rounds = d.ammo_serviceable > 0;
        let count = |n: i64, held: bool| {
            if held {
                Value::Int(n)
            } else {
                Value::Absent(n)
            }
        };
        [
            count(d.mc, items),
            count(d.deployable, items),
            count(d.ammo_deployable, rounds),
        ]
    };
    for (keys, d) in groups {
        let mut row: Vec<Value> = keys.into_iter().map(Value::from).collect();
        row.extend(values(&d));
        report.rows.push(row);
    }
    let mut total_row = vec![Value::Null; by.len()];
    total_row.extend(values(&total));
    report.total = Some(total_row);
    if ctx.format != crate::output::Format::Table {
        render(&report, ctx.format, &ctx.style, ctx.out)?;
        return Ok(());
    }
    let age = crate::caption::DataAge::load(&conn, &filters, date)?;
    let what = format!("Deployable within {within} h");
    let w = ctx.style.width;
    crate::caption::print(
        ctx.out,
        &crate::caption::line(&what, judged, &age, &filters),
        w,
    )?;
    render(&report, ctx.format, &ctx.style, ctx.out)?;
    let share = if total.mc > 0 {
        format!(
            " ({:.1} %)",
            total.deployable as f64 * 100.0 / total.mc as f64
        )
    } else {
        String::new()
    };
    let verdict = format!(
        "{} of {} mission-capable items can move within {within} h{share}; {} of {} serviceable rounds",
        group_thousands(total.deployable),
        group_thousands(total.mc),
        group_thousands(total.ammo_deployable),
        group_thousands(total.ammo_serviceable)
    );
    crate::caption::print(ctx.out, &verdict, w)?;
    crate::caption::print(ctx.out, &policy.line(), w)?;
    Ok(())
}
