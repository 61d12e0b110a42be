//! `stockpile report`: the readiness table.

use super::{Context, as_of, filters};
use crate::cli::ReportArgs;
use crate::db::{self, Access};
use crate::error::{Error, Result};
use crate::output::{Report, Value, render};
use crate::readiness::{Figures, Key, Level, summarize};
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
        f.mc_rate().map_or(Value::Null, Value::Rate),
        opt_level(f.r_level(), Value::RLevel),
        f.required.map_or(Value::Null, Value::Int),
        f.fill_rate().map_or(Value::Null, Value::Rate),
        opt_level(f.s_level(), Value::SLevel),
        opt_level(f.level(), Value::Level),
    ]
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

pub fn run(args: &ReportArgs, ctx: &mut Context) -> Result<()> {
    let by = Key::parse_list(&args.by).map_err(|m| Error::Usage(format!("--by: {m}")))?;
    let filters = filters(&args.selection)?;
    let date = as_of(&args.selection)?;
    let threshold = args.fail_below.as_deref().map(parse_level).transpose()?;
    let conn = db::open(&ctx.db, Access::Read)?;
    let facts = state::facts(&conn, &by, &filters, date, false)?;
    let reqs = state::applicable_requirements(&conn, &filters, by.contains(&Key::Owner), date)?;
    let (groups, total) = summarize(&facts, reqs.as_ref().map(|(r, p)| (r.as_slice(), p)), &by);

    let mut columns: Vec<&str> = by.iter().map(|k| k.name()).collect();
    columns.extend(FIGURES);
    let mut report = Report::new(&columns, by.len());
    for g in &groups {
        let mut row: Vec<Value> = g.keys.iter().cloned().map(Value::from).collect();
        row.extend(figure_values(&g.figures));
        report.rows.push(row);
    }
    let mut total_row = vec![Value::Null; by.len()];
    total_row.extend(figure_values(&total));
    report.total = Some(total_row);
    render(&report, ctx.format, &ctx.style, ctx.out)?;

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
