//! `stockpile history`: readiness on every snapshot date.

use super::report::{
    FIGURES, essential_figures, figure_values, optional_figures, status_breakdown,
};
use super::{Context, as_of, filters};
use crate::cli::HistoryArgs;
use crate::error::{Error, Result};
use crate::model::iso;
use crate::output::{Report, Value, render};
use crate::readiness::{Key, PairOnHand, summarize};
use crate::{state, trend};

pub fn run(args: &HistoryArgs, ctx: &mut Context) -> Result<()> {
    let by = Key::parse_list(&args.by).map_err(|m| Error::Usage(format!("--by: {m}")))?;
    let filters = filters(&args.selection.filter)?;
    let until = as_of(&args.selection)?;
    let (conn, judged) = super::open_question(ctx, &filters, until)?;
    let policy = super::policy(ctx, &conn)?;
    // `depots`: how many had reported by the date. A date on which fewer
    // had than later sums fewer depots, and says so.
    let mut columns = vec!["as_of", "depots"];
    columns.extend(by.iter().map(|k| k.name()));
    columns.extend(FIGURES);
    let keys = by.len() + 2;
    let mut report = Report::new(&columns, keys);
    report.optional = optional_figures(keys);
    report.together = status_breakdown(keys);
    report.essential = essential_figures(keys);
    report.meta = super::meta(judged, &policy);
    let mut partial: Vec<(chrono::NaiveDate, usize)> = Vec::new();
    let mut most = 0;

    let dates = state::snapshot_dates(&conn, until)?;
    // Every date from one pass over the holdings (and a second for the
    // depot × type on-hand quantities, when requirements apply).
    let facts = trend::facts_on_dates(&conn, &by, &filters, &dates)?;
    let by_owner = by.contains(&Key::Owner) || !filters.owners.is_empty();
    let requirements = if by_owner {
        Vec::new()
    } else {
        state::requirements(&conn, &filters)?
    };
    let pairs: Vec<PairOnHand> = if requirements.is_empty() {
        Vec::new()
    } else {
        trend::facts_on_dates(&conn, &[Key::Depot, Key::Type], &filters, &dates)?
            .iter()
            .map(|facts| state::pairs_of(facts))
            .collect()
    };
    for (i, date) in dates.iter().enumerate() {
        let reporting = state::reporting_depots(&conn, Some(*date))?;
        let counted = reporting
            .iter()
            .filter(|d| filters.depots.is_empty() || filters.depots.contains(d))
            .count();
        most = most.max(counted);
        partial.push((*date, counted));
        let depots = Value::Int(counted as i64);
        let reqs: Vec<_> = requirements
            .iter()
            .filter(|r| reporting.contains(&r.depot))
            .cloned()
            .collect();
        let applicable = (!reqs.is_empty()).then(|| (reqs.as_slice(), &pairs[i]));
        let (groups, total) = summarize(&facts[i], applicable, &by, policy.policy.rules());
        if by.is_empty() {
            if facts[i].is_empty() {
                continue;
            }
            let mut row = vec![Value::Text(iso(*date)), depots];
            row.extend(figure_values(&total));
            report.rows.push(row);
            continue;
        }
        for g in groups.into_iter().filter(|g| !g.figures.is_empty()) {
            let mut row = vec![Value::Text(iso(*date)), depots.clone()];
            row.extend(g.keys.into_iter().map(Value::from));
            row.extend(figure_values(&g.figures));
            report.rows.push(row);
        }
    }
    if ctx.format != crate::output::Format::Table {
        render(&report, ctx.format, &ctx.style, ctx.out)?;
        return Ok(());
    }
    let range = match (dates.first(), dates.last()) {
        (Some(a), Some(b)) => format!("{} to {}", iso(*a), iso(*b)),
        _ => "no dates".into(),
    };
    let caption = crate::caption::with_filters(
        format!(
            "Readiness on each snapshot date, {} dates from {range}, each judged on its own date",
            dates.len()
        ),
        &filters,
    );
    crate::caption::print(ctx.out, &caption, ctx.style.width)?;
    render(&report, ctx.format, &ctx.style, ctx.out)?;
    let fewer: Vec<String> = partial
        .iter()
        .filter(|(_, n)| *n < most)
        .map(|(d, n)| format!("{} ({n} of {most})", iso(*d)))
        .collect();
    if !fewer.is_empty() {
        let text = format!(
            "Not every depot had reported by {}: those dates sum only the depots that had (the depots column), so a jump in on hand there is depots arriving, not stock.",
            fewer.join(", ")
        );
        crate::caption::print(ctx.out, &text, ctx.style.width)?;
    }
    crate::caption::print(ctx.out, &policy.line(), ctx.style.width)?;
    Ok(())
}
