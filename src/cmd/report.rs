//! `stockpile report`: the readiness table.

use super::{Context, as_of, filters};
use crate::cli::ReportArgs;
use crate::error::{Error, Result};
use crate::html;
use crate::output::{Report, Value, render};
use crate::readiness::{self, Figures, Group, Key, Level, summarize};
use crate::state;
use chrono::Datelike;

/// The figure names of SPEC §4, in the order every report prints them:
/// equipment, then ammunition beside it.
pub const FIGURES: [&str; 20] = [
    "on_hand",
    "fmc",
    "pmc",
    "nmcm",
    "nmcs",
    "mc",
    "mc_rate",
    "r_level",
    "required",
    "fill_rate",
    "s_level",
    "level",
    "ammo_on_hand",
    "ammo_serviceable",
    "ammo_unserviceable",
    "ammo_expired",
    "ammo_suspended",
    "ammo_rate",
    "ammo_required",
    "ammo_fill_rate",
];

pub fn figure_values(f: &Figures) -> Vec<Value> {
    let opt_level = |l: Option<Level>, v: fn(u8) -> Value| l.map_or(Value::Null, v);
    // A row without equipment (or without rounds) shows – for that kind's
    // counts in a table, and 0 to a program.
    let count = |n: i64, held: bool| {
        if held {
            Value::Int(n)
        } else {
            Value::Absent(n)
        }
    };
    let (items, rounds) = (f.on_hand() > 0, f.ammo_on_hand() > 0);
    vec![
        count(f.on_hand(), items),
        count(f.fmc, items),
        count(f.pmc, items),
        count(f.nmcm, items),
        count(f.nmcs, items),
        count(f.mc(), items),
        f.mc_rate().map_or(Value::Null, Value::RateBar),
        opt_level(f.r_level(), Value::RLevel),
        f.required.map_or(Value::Null, Value::Int),
        f.fill_rate().map_or(Value::Null, Value::Rate),
        opt_level(f.s_level(), Value::SLevel),
        opt_level(f.level(), Value::Level),
        count(f.ammo_on_hand(), rounds),
        count(f.ammo_serviceable, rounds),
        count(f.ammo_unserviceable, rounds),
        count(f.ammo_expired, rounds),
        count(f.ammo_suspended, rounds),
        f.ammo_rate().map_or(Value::Null, Value::Rate),
        f.ammo_required.map_or(Value::Null, Value::Int),
        f.ammo_fill_rate().map_or(Value::Null, Value::Rate),
    ]
}

/// On a narrow terminal the ammunition detail goes first, then the
/// equipment's status breakdown, then the rest of the detail (the rounds'
/// rate last of it), then the fill rate, the S-level and the R-level; on
/// hand, the MC rate and the overall level always stay.
pub fn optional_figures(keys: usize) -> Vec<usize> {
    [18, 16, 14, 15, 19, 13, 12, 1, 2, 3, 4, 5, 8, 17, 9, 10, 7]
        .iter()
        .map(|i| keys + i)
        .collect()
}

/// What a readiness table answers, never hidden: on hand, the MC rate and
/// the overall level.
pub fn essential_figures(keys: usize) -> Vec<usize> {
    [0, 6, 11].iter().map(|i| keys + i).collect()
}

/// The equipment's FMC, PMC, NMCM and NMCS columns: they give way together.
pub fn status_breakdown(keys: usize) -> Vec<Vec<usize>> {
    vec![(1..=4).map(|i| keys + i).collect()]
}

/// What a table's JSON says it stands on: the date its figures are about.
pub fn date_meta(judged: chrono::NaiveDate) -> Vec<(String, serde_json::Value)> {
    vec![(
        "date".into(),
        serde_json::Value::from(crate::model::iso(judged)),
    )]
}

/// The one-line answer under the table: the overall level, and the
/// groups at levels 4 and 3 by name.
fn verdict(groups: &[Group], total: &Figures, by: &[Key]) -> String {
    let mut out = match total.level() {
        Some(l) => format!(
            "Overall level {l} ({} · {})",
            total
                .r_level()
                .map_or("no equipment".into(), |r| format!("R{r}")),
            total
                .s_level()
                .map_or("no requirements".into(), |s| format!("S{s}"))
        ),
        None => "No level: no equipment and no requirements".to_string(),
    };
    if by.is_empty() {
        return out;
    }
    for level in [4, 3] {
        let names: Vec<String> = groups
            .iter()
            .filter(|g| g.figures.level() == Some(level))
            .map(|g| {
                g.keys
                    .iter()
                    .map(|k| k.as_deref().unwrap_or("(none)"))
                    .collect::<Vec<_>>()
                    .join(" / ")
            })
            .collect();
        if names.is_empty() {
            continue;
        }
        let shown = match names.len() {
            0..=6 => names.join(", "),
            n => format!("{} and {} more", names[..5].join(", "), n - 5),
        };
        out.push_str(&format!(" · at level {level}: {shown}"));
    }
    out
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
    judged: chrono::NaiveDate,
    policy: &crate::policy::InForce,
) -> Result<html::Brief> {
    let rules = policy.policy.rules();
    let summary = |by: &[Key], with_reqs: bool| -> Result<(Vec<Group>, Figures)> {
        let facts = state::facts(conn, by, filters, date, judged, state::Notice::Ignored)?;
        let reqs = if with_reqs {
            state::applicable_requirements(conn, filters, by.contains(&Key::Owner), date, judged)?
        } else {
            None
        };
        Ok(summarize(
            &facts,
            reqs.as_ref().map(|(r, p)| (r.as_slice(), p)),
            by,
            rules,
        ))
    };
    // The day the attention list is judged by: the date asked for, or today.
    let today = judged;
    let mut changes = crate::changes::compare(
        conn,
        crate::changes::Window {
            since: None,
            as_of: date,
            judged: Some(judged),
            rules,
        },
        &filters.depots,
    )?;
    let shown =
        |depot: &str| filters.depots.is_empty() || filters.depots.iter().any(|d| d == depot);
    changes.depots.retain(|d| shown(&d.depot));
    changes.items.retain(|i| shown(&i.depot));
    let (by_depot, total) = summary(&[Key::Depot], true)?;
    let (by_depot_category, _) = summary(&[Key::Depot, Key::Category], true)?;
    // The pairs' rounds expired and suspended, read from the same sums:
    // requirements add no rounds.
    let (pairs, _) = summary(&[Key::Depot, Key::Type], true)?;
    let lots = |held: fn(&Figures) -> i64| -> Vec<Group> {
        pairs
            .iter()
            .filter(|g| held(&g.figures) > 0)
            .cloned()
            .collect()
    };
    let mut expired = lots(|f| f.ammo_expired);
    expired.sort_by_key(|g| std::cmp::Reverse(g.figures.ammo_expired));
    let mut suspended = lots(|f| f.ammo_suspended);
    suspended.sort_by_key(|g| std::cmp::Reverse(g.figures.ammo_suspended));
    // The lowest level first; within it the most items not mission
    // capable (at a force's scale many pairs of one item sit at 0 %: the
    // pairs that hurt are those with the most down), then the lowest rate.
    let mut worst = pairs;
    worst.sort_by(|a, b| {
        let rate = |g: &Group| g.figures.mc_rate().or(g.figures.fill_rate()).unwrap_or(0.0);
        let down = |g: &Group| g.figures.on_hand() - g.figures.mc();
        b.figures
            .level()
            .cmp(&a.figures.level())
            .then(down(b).cmp(&down(a)))
            .then(rate(a).total_cmp(&rate(b)))
    });
    worst.truncate(10);
    // Every notice read once, for the three windows.
    let by_notice = state::facts(
        conn,
        &[Key::Category],
        filters,
        date,
        judged,
        state::Notice::Exact,
    )?;
    let deployable = [
        ("within 24 h", 24),
        ("within 72 h", 72),
        ("within 7 days", 168),
    ]
    .into_iter()
    .map(|(label, hours)| {
        let (groups, total) = readiness::deployable(&by_notice, hours, rules);
        let rows = groups
            .into_iter()
            .map(|(k, d)| (k.into_iter().next().flatten(), d))
            .collect();
        (label.to_string(), rows, total)
    })
    .collect();
    let age = crate::caption::DataAge::load(conn, filters, date)?;
    // The last three months' period MC rate, to the brief's date.
    let start = judged
        .with_day(1)
        .and_then(|d| d.checked_sub_months(chrono::Months::new(2)))
        .unwrap_or(judged);
    let months = crate::trend::months(start, judged);
    let rates = crate::trend::item_days(conn, &[], filters, &months, rules)?
        .into_iter()
        .zip(&months)
        .map(|(mut days, (from, to))| {
            (
                from.format("%Y-%m").to_string(),
                (*to - *from).num_days() + 1,
                days.pop().unwrap_or_default(),
            )
        })
        .collect();
    // The MC rate on every snapshot date to the brief's, and how many
    // depots had reported by then (a date on which fewer had sums fewer).
    let dates = state::snapshot_dates(conn, Some(judged))?;
    let trend = crate::trend::facts_on_dates(conn, &[], filters, &dates)?
        .iter()
        .zip(&dates)
        .map(|(facts, day)| {
            let (_, total) = summarize(facts, None, &[], rules);
            let depots = state::reporting_depots(conn, Some(*day))?
                .iter()
                .filter(|d| filters.depots.is_empty() || filters.depots.contains(d))
                .count();
            Ok((crate::model::iso(*day), total.mc_rate(), depots))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(html::Brief {
        // What the page stands on, as every table's caption says it.
        as_of: crate::caption::with_filters(
            format!(
                "{} on {} · {}",
                if date.is_some() {
                    "State"
                } else {
                    "Latest snapshots"
                },
                crate::model::iso(judged),
                age.text(judged)
            ),
            filters,
        ),
        generated: chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
        total,
        by_depot,
        by_depot_category,
        deployable,
        expired,
        suspended,
        worst,
        packages: Vec::new(),
        slips: Vec::new(),
        changes,
        attention: crate::attention::summary(
            conn,
            filters,
            crate::attention::Limits {
                stale: i64::from(policy.policy.stale_days),
                ..crate::attention::Limits::default_windows(today)
            },
        )?,
        today: crate::model::iso(today),
        map: None,
        policy: policy.clone(),
        rates,
        trend,
    })
}

/// The brief's map: every depot with a position, sized and coloured by
/// its figures; the destinations the packages close on (all of the file's
/// when none does), and the legs their plans travel.
fn map(movement: &crate::package::movement::Movement, brief: &html::Brief) -> crate::map::Map {
    let mut out = crate::map::Map {
        source: movement.file.clone(),
        ..Default::default()
    };
    for g in &brief.by_depot {
        let code = key_text(g);
        match movement.depots.get(&code).and_then(|p| p.at) {
            Some(at) => out.depots.push(crate::map::Pin {
                code,
                at,
                on_hand: g.figures.on_hand(),
                rounds: g.figures.ammo_on_hand(),
                level: g.figures.level(),
                name: None,
            }),
            None => out.unplaced.push(code),
        }
    }
    let mut used: Vec<&str> = brief
        .packages
        .iter()
        .filter_map(|p| p.destination.as_deref())
        .collect();
    if used.is_empty() {
        used = movement.destinations.keys().map(String::as_str).collect();
    }
    for (code, d) in &movement.destinations {
        if used.contains(&code.as_str()) {
            out.destinations.push(crate::map::Pin {
                code: code.clone(),
                at: d.at,
                on_hand: 0,
                rounds: 0,
                level: None,
                name: Some(d.name.clone()),
            });
        }
    }
    // Every placed depot's way to each destination drawn (a planner sees
    // the far ones too), marked where a package draws on it.
    for dest in &out.destinations {
        for depot in &out.depots {
            let Ok(Some(leg)) = movement.leg(&depot.code, &dest.code) else {
                continue;
            };
            let used = brief.packages.iter().any(|p| {
                p.destination.as_deref() == Some(dest.code.as_str())
                    && p.lines
                        .iter()
                        .flat_map(|l| &l.sources)
                        .any(|s| s.depot == depot.code)
            });
            out.legs.push(crate::map::Leg {
                from: depot.code.clone(),
                to: dest.code.clone(),
                hours: leg.hours,
                kind: leg.kind,
                by: leg.by,
                used,
            });
        }
    }
    out
}

fn key_text(g: &Group) -> String {
    g.keys
        .first()
        .cloned()
        .flatten()
        .unwrap_or_else(|| "(none)".into())
}

pub fn run(args: &ReportArgs, ctx: &mut Context) -> Result<()> {
    let by = Key::parse_list(&args.by).map_err(|m| Error::Usage(format!("--by: {m}")))?;
    let filters = filters(&args.selection.filter)?;
    let date = as_of(&args.selection)?;
    let threshold = args.fail_below.as_deref().map(parse_level).transpose()?;
    let (conn, judged) = super::open_question(ctx, &filters, date)?;
    let policy = super::policy(ctx, &conn)?;
    if let Some(path) = &args.html {
        let mut brief = brief(&conn, &filters, date, judged, &policy)?;
        let movement = args
            .movement
            .as_deref()
            .map(crate::package::movement::load)
            .transpose()?;
        if let (Some(m), Some(dest)) = (&movement, &args.to) {
            m.check_destination(dest)?;
        }
        if let Some(dir) = &args.packages {
            let mut options = crate::package::Options::new(judged);
            options.as_of = date;
            options.to = args.to.clone();
            options.movement = args.movement.clone();
            options.phases = crate::package::DEFAULT_PHASES.to_vec();
            options.rules = policy.policy.rules();
            options.stale_days = i64::from(policy.policy.stale_days);
            let (evaluations, failed) = super::package::evaluate_dir(&conn, dir, &options)?;
            if let Some(e) = failed.into_iter().next() {
                return Err(e);
            }
            for w in evaluations.iter().flat_map(|e| &e.warnings) {
                ctx.warn(w);
            }
            brief.packages = evaluations;
            let window = crate::changes::Window {
                since: None,
                as_of: date,
                judged: Some(judged),
                rules: policy.policy.rules(),
            };
            brief.slips = super::changes::package_slips(ctx, &conn, dir, window, judged, false)?;
        }
        if let Some(m) = &movement {
            brief.map = Some(map(m, &brief));
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
    let facts = state::facts(&conn, &by, &filters, date, judged, state::Notice::Ignored)?;
    let reqs =
        state::applicable_requirements(&conn, &filters, by.contains(&Key::Owner), date, judged)?;
    let (groups, total) = summarize(
        &facts,
        reqs.as_ref().map(|(r, p)| (r.as_slice(), p)),
        &by,
        policy.policy.rules(),
    );

    let mut columns: Vec<&str> = by.iter().map(|k| k.name()).collect();
    columns.extend(FIGURES);
    let mut report = Report::new(&columns, by.len());
    report.optional = optional_figures(by.len());
    report.together = status_breakdown(by.len());
    report.essential = essential_figures(by.len());
    report.meta = super::meta(judged, &policy);
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
        None if ctx.format == crate::output::Format::Table => {
            let age = crate::caption::DataAge::load(&conn, &filters, date)?;
            let w = ctx.style.width;
            let caption = crate::caption::line("Readiness", judged, &age, &filters);
            crate::caption::print(ctx.out, &caption, w)?;
            render(&report, ctx.format, &ctx.style, ctx.out)?;
            crate::caption::print(ctx.out, &verdict(&groups, &total, &by), w)?;
            crate::caption::print(ctx.out, &policy.line(), w)?;
        }
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
