//! `stockpile report`: the readiness table.

use super::{Context, as_of, filters};
use crate::cli::ReportArgs;
use crate::db::{self, Access};
use crate::error::{Error, Result};
use crate::html;
use crate::output::{Report, Value, render};
use crate::readiness::{self, Figures, Group, Key, Level, summarize};
use crate::state;

/// The figure names of SPEC §4, in the order every report prints them.
pub const FIGURES: [&str; 13] = [
    "on_hand",
    "fmc",
    "pmc",
    "nmcm",
    "nmcs",
    "expired",
    "mc",
    "mc_rate",
    "r_level",
    "required",
    "fill_rate",
    "s_level",
    "level",
];

pub fn figure_values(f: &Figures) -> Vec<Value> {
    let opt_level = |l: Option<Level>, v: fn(u8) -> Value| l.map_or(Value::Null, v);
    vec![
        Value::Int(f.on_hand),
        Value::Int(f.fmc),
        Value::Int(f.pmc),
        Value::Int(f.nmcm),
        Value::Int(f.nmcs),
        Value::Int(f.expired),
        Value::Int(f.mc()),
        f.mc_rate().map_or(Value::Null, Value::RateBar),
        opt_level(f.r_level(), Value::RLevel),
        f.required.map_or(Value::Null, Value::Int),
        f.fill_rate().map_or(Value::Null, Value::Rate),
        opt_level(f.s_level(), Value::SLevel),
        opt_level(f.level(), Value::Level),
    ]
}

/// On a narrow terminal the status breakdown goes first, then the rest of
/// the detail, then the R- and S-levels and the fill rate; on hand, the MC
/// rate and the overall level always stay.
pub fn optional_figures(keys: usize) -> Vec<usize> {
    [1, 2, 3, 4, 5, 6, 9, 8, 11, 10]
        .iter()
        .map(|i| keys + i)
        .collect()
}

pub fn parse_level(text: &str) -> Result<Level> {
    let digits = text
        .trim()
        .trim_start_matches(['R', 'S', 'r', 's', 'L', 'l']);
    match digits.parse::<u8>() {
        Ok(l @ 1..=4) => Ok(l),
        _ => Err(Error::Usage(format!(
            "--fail-below: \"{text}\" is not a level (expected 1, 2, 3 or 4)"
        ))),
    }
}

/// Everything the one-page brief shows, from the same figures as the tables.
fn brief(
    conn: &crate::db::Db,
    filters: &state::Filters,
    date: Option<chrono::NaiveDate>,
) -> Result<html::Brief> {
    let summary = |by: &[Key], with_reqs: bool| -> Result<(Vec<Group>, Figures)> {
        let facts = state::facts(conn, by, filters, date, state::Notice::Ignored)?;
        let reqs = if with_reqs {
            state::applicable_requirements(conn, filters, by.contains(&Key::Owner), date)?
        } else {
            None
        };
        Ok(summarize(
            &facts,
            reqs.as_ref().map(|(r, p)| (r.as_slice(), p)),
            by,
        ))
    };
    // The day the attention list is judged by: the date asked for, or today.
    let today = date.unwrap_or_else(|| chrono::Local::now().date_naive());
    let mut changes = crate::changes::compare(
        conn,
        crate::changes::Window {
            since: None,
            as_of: date,
        },
    )?;
    let shown =
        |depot: &str| filters.depots.is_empty() || filters.depots.iter().any(|d| d == depot);
    changes.depots.retain(|d| shown(&d.depot));
    changes.items.retain(|i| shown(&i.depot));
    let (by_depot, total) = summary(&[Key::Depot], true)?;
    let (by_depot_category, _) = summary(&[Key::Depot, Key::Category], true)?;
    let (pairs, _) = summary(&[Key::Depot, Key::Type], true)?;
    let mut expired: Vec<Group> = summary(&[Key::Depot, Key::Type], false)?
        .0
        .into_iter()
        .filter(|g| g.figures.expired > 0)
        .collect();
    expired.sort_by_key(|g| std::cmp::Reverse(g.figures.expired));
    let mut worst = pairs;
    worst.sort_by(|a, b| {
        let rate = |g: &Group| g.figures.mc_rate().or(g.figures.fill_rate()).unwrap_or(0.0);
        b.figures
            .level()
            .cmp(&a.figures.level())
            .then(rate(a).total_cmp(&rate(b)))
    });
    worst.truncate(10);
    let deployable = [
        ("within 24 h", 24),
        ("within 72 h", 72),
        ("within 7 days", 168),
    ]
    .into_iter()
    .map(|(label, hours)| -> Result<_> {
        let facts = state::facts(
            conn,
            &[Key::Category],
            filters,
            date,
            state::Notice::Within(hours),
        )?;
        let (groups, total) = readiness::deployable(&facts, hours);
        let rows = groups
            .into_iter()
            .map(|(k, d)| (k.into_iter().next().flatten(), d))
            .collect();
        Ok((label.to_string(), rows, total))
    })
    .collect::<Result<Vec<_>>>()?;
    Ok(html::Brief {
        as_of: date.map_or("current state".into(), |d| {
            format!("state on {}", crate::model::iso(d))
        }),
        generated: chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
        total,
        by_depot,
        by_depot_category,
        deployable,
        expired,
        worst,
        packages: Vec::new(),
        changes,
        attention: crate::attention::watch(
            conn,
            filters,
            crate::attention::Limits::default_windows(today),
        )?,
        today: crate::model::iso(today),
    })
}

pub fn run(args: &ReportArgs, ctx: &mut Context) -> Result<()> {
    let by = Key::parse_list(&args.by).map_err(|m| Error::Usage(format!("--by: {m}")))?;
    let filters = filters(&args.selection.filter)?;
    let date = as_of(&args.selection)?;
    let threshold = args.fail_below.as_deref().map(parse_level).transpose()?;
    let conn = db::open(&ctx.db, Access::Read)?;
    if let Some(path) = &args.html {
        let mut brief = brief(&conn, &filters, date)?;
        if let Some(dir) = &args.packages {
            let options = crate::package::Options {
                as_of: date,
                ..Default::default()
            };
            let (evaluations, failed) = super::package::evaluate_dir(&conn, dir, &options)?;
            if let Some(e) = failed.into_iter().next() {
                return Err(e);
            }
            for w in evaluations.iter().flat_map(|e| &e.warnings) {
                ctx.warn(w);
            }
            brief.packages = evaluations;
        }
        let page = html::render(&brief);
        std::fs::write(path, page).map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })?;
        if !ctx.quiet {
            writeln!(ctx.err, "wrote the readiness brief to {}", path.display())?;
        }
        return Ok(());
    }
    let facts = state::facts(&conn, &by, &filters, date, state::Notice::Ignored)?;
    let reqs = state::applicable_requirements(&conn, &filters, by.contains(&Key::Owner), date)?;
    let (groups, total) = summarize(&facts, reqs.as_ref().map(|(r, p)| (r.as_slice(), p)), &by);

    let mut columns: Vec<&str> = by.iter().map(|k| k.name()).collect();
    columns.extend(FIGURES);
    let mut report = Report::new(&columns, by.len());
    report.optional = optional_figures(by.len());
    for g in &groups {
        let mut row: Vec<Value> = g.keys.iter().cloned().map(Value::from).collect();
        row.extend(figure_values(&g.figures));
        report.rows.push(row);
    }
    let mut total_row = vec![Value::Null; by.len()];
    total_row.extend(figure_values(&total));
    report.total = Some(total_row);
    match &args.xlsx {
        Some(path) => super::write_xlsx(ctx, path, "readiness", &report)?,
        None => render(&report, ctx.format, &ctx.style, ctx.out)?,
    }

    if let Some(limit) = threshold {
        let worse: Vec<String> = groups
            .iter()
            .filter(|g| g.figures.level().is_some_and(|l| l > limit))
            .map(|g| {
                let name: Vec<&str> = g
                    .keys
                    .iter()
                    .map(|k| k.as_deref().unwrap_or("(none)"))
                    .collect();
                let label = if name.is_empty() {
                    "total".to_string()
                } else {
                    name.join(" / ")
                };
                format!("{label} at level {}", g.figures.level().unwrap_or(4))
            })
            .collect();
        if !worse.is_empty() {
            return Err(Error::Threshold(format!(
                "{} group(s) worse than level {limit}: {}",
                worse.len(),
                worse.join(", ")
            )));
        }
    }
    Ok(())
}
