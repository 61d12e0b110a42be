//! `stockpile deployable --within DURATION`

use super::{Context, as_of, filters};
use crate::cli::DeployableArgs;
use crate::db::{self, Access};
use crate::error::{Error, Result};
use crate::model::{MAX_NOTICE_HOURS, parse_hours};
use crate::output::{Report, Value, render};
use crate::readiness::{Key, deployable};
use crate::state;

pub fn run(args: &DeployableArgs, ctx: &mut Context) -> Result<()> {
    let within = parse_hours(&args.within, MAX_NOTICE_HOURS)
        .map_err(|m| Error::Usage(format!("--within: {m}")))?;
    let by = Key::parse_list(&args.by).map_err(|m| Error::Usage(format!("--by: {m}")))?;
    let filters = filters(&args.selection.filter)?;
    let date = as_of(&args.selection)?;
    let conn = db::open(&ctx.db, Access::Read)?;
    let facts = state::facts(&conn, &by, &filters, date, state::Notice::Within(within))?;
    let (groups, total) = deployable(&facts, within);
    let mut columns: Vec<&str> = by.iter().map(|k| k.name()).collect();
    columns.extend(["mc", "deployable"]);
    let mut report = Report::new(&columns, by.len());
    for (keys, d) in groups {
        let mut row: Vec<Value> = keys.into_iter().map(Value::from).collect();
        row.extend([Value::Int(d.mc), Value::Int(d.deployable)]);
        report.rows.push(row);
    }
    let mut total_row = vec![Value::Null; by.len()];
    total_row.extend([Value::Int(total.mc), Value::Int(total.deployable)]);
    report.total = Some(total_row);
    render(&report, ctx.format, &ctx.style, ctx.out)?;
    Ok(())
}
