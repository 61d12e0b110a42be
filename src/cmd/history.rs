//! `stockpile history`: readiness on every snapshot date.

use super::report::{FIGURES, figure_values, optional_figures};
use super::{Context, as_of, filters};
use crate::cli::HistoryArgs;
use crate::db::{self, Access};
use crate::error::{Error, Result};
use crate::model::iso;
use crate::output::{Report, Value, render};
use crate::readiness::{Key, summarize};
use crate::state;

pub fn run(args: &HistoryArgs, ctx: &mut Context) -> Result<()> {
    let by = Key::parse_list(&args.by).map_err(|m| Error::Usage(format!("--by: {m}")))?;
    let filters = filters(&args.selection.filter)?;
    let until = as_of(&args.selection)?;
    let conn = db::open(&ctx.db, Access::Read)?;
    let mut columns = vec!["as_of"];
    columns.extend(by.iter().map(|k| k.name()));
    columns.extend(FIGURES);
    let mut report = Report::new(&columns, by.len() + 1);
    report.optional = optional_figures(by.len() + 1);
    for date in state::snapshot_dates(&conn, until)? {
        let facts = state::facts(&conn, &by, &filters, Some(date), state::Notice::Ignored)?;
        let reqs =
            state::applicable_requirements(&conn, &filters, by.contains(&Key::Owner), Some(date))?;
        let (groups, total) = summarize(&facts, reqs.as_ref().map(|(r, p)| (r.as_slice(), p)), &by);
        if by.is_empty() {
            if facts.is_empty() {
                continue;
            }
            let mut row = vec![Value::Text(iso(date))];
            row.extend(figure_values(&total));
            report.rows.push(row);
            continue;
        }
        for g in groups.into_iter().filter(|g| g.figures.on_hand > 0) {
            let mut row = vec![Value::Text(iso(date))];
            row.extend(g.keys.into_iter().map(Value::from));
            row.extend(figure_values(&g.figures));
            report.rows.push(row);
        }
    }
    render(&report, ctx.format, &ctx.style, ctx.out)?;
    Ok(())
}
