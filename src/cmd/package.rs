//! `stockpile package check FILE…` and `stockpile package list DIR`: can
//! the stockpile issue this force within the window, from where, whose,
//! how soon, and what is missing and why (SPEC §7).

use std::path::{Path, PathBuf};

use serde_json::{Value as Json, json};

use super::{Context, as_of, filters};
use crate::cli::{Filter, PackageArgs, PackageCheckArgs, PackageListArgs, Selection};
use crate::db::Db;
use crate::error::{Error, Result};
use crate::model::{MAX_NOTICE_HOURS, iso, parse_hours};
use crate::output::{Format, Report, Value, group_thousands, render, wrap_words};
use crate::package::{self, Evaluation, LineResult, Options, Shortfall, file};

/// The checked options, and the `--fail-below` threshold as a fraction.
fn options(args: &PackageArgs) -> Result<(Options, Option<f64>)> {
    let selection = Selection {
        filter: Filter {
            depot: args.depot.clone(),
            owner: args.owner.clone(),
            ..Filter::default()
        },
        as_of: args.as_of.clone(),
    };
    let checked = filters(&selection.filter)?;
    let without = filters(
        &Selection {
            filter: Filter {
                depot: args.without.clone(),
                ..Filter::default()
            },
            as_of: None,
        }
        .filter,
    )?
    .depots;
    let limit = args.fail_below.as_deref().map(parse_percent).transpose()?;
    let mut options = Options::new(super::today()?);
    options.within = args
        .within
        .as_deref()
        .map(|w| {
            parse_hours(w, MAX_NOTICE_HOURS).map_err(|m| Error::Usage(format!("--within: {m}")))
        })
        .transpose()?;
    options.as_of = as_of(&selection)?;
    options.depots = checked.depots;
    options.owners = checked.owners;
    options.without = without;
    options.allow_unknown_types = args.allow_unknown_types;
    options.to = args.to.as_ref().map(|t| t.trim().to_ascii_uppercase());
    options.movement = args.movement.clone();
    if let Ok(ms) = std::env::var("STOCKPILE_SEARCH_MS")
        && let Ok(ms) = ms.trim().parse()
    {
        options.search_time = std::time::Duration::from_millis(ms);
    }
    Ok((options, limit))
}

/// Opens the database and refuses codes and dates it cannot answer for;
/// with the readiness policy the packages are judged by (SPEC §13).
fn open(ctx: &Context, options: &mut Options) -> Result<(Db, crate::policy::InForce)> {
    let filters = crate::state::Filters {
        depots: options.depots.clone(),
        owners: options.owners.clone(),
        ..Default::default()
    };
    let (conn, _) = super::open_question(ctx, &filters, options.as_of)?;
    package::check_without(&conn, &options.without)?;
    let policy = super::policy(ctx, &conn)?;
    options.rules = policy.policy.rules();
    options.stale_days = i64::from(policy.policy.stale_days);
    Ok((conn, policy))
}

/// `80`, `80%` or `80 %`: a percentage 0–100.
fn parse_percent(text: &str) -> Result<f64> {
    let t = text.trim().trim_end_matches('%').trim();
    match t.parse::<f64>() {
        Ok(p) if (0.0..=100.0).contains(&p) => Ok(p / 100.0),
        _ => Err(Error::Usage(format!(
            "--fail-below: \"{text}\" is not a percentage (expected 0–100, e.g. 80)"
        ))),
    }
}

/// Exit 1 (for monitoring) when any package's fill is below the threshold.
fn threshold(evaluations: &[Evaluation], limit: Option<f64>) -> Result<()> {
    let Some(limit) = limit else { return Ok(()) };
    let below: Vec<String> = evaluations
        .iter()
        .filter(|e| e.fill_rate() + 1e-12 < limit)
        .map(|e| format!("{} at {:.1} %", e.name, e.fill_rate() * 100.0))
        .collect();
    if below.is_empty() {
        return Ok(());
    }
    Err(Error::Threshold(format!(
        "{} package(s) below {:.1} % fill: {}",
        below.len(),
        limit * 100.0,
        below.join(", ")
    )))
}

/// A package file's path, refused with a pointer when it is a folder.
fn load(path: &Path) -> Result<file::Package> {
    if path.is_dir() {
        return Err(Error::Usage(format!(
            "{}: is a folder; `stockpile package list {}` checks every package in it",
            path.display(),
            path.display()
        )));
    }
    file::load(path)
}

/// `12,24,48` (hours, or durations: `3d`): the times of the phased view.
fn parse_phases(text: &str) -> Result<Vec<u32>> {
    let mut phases = text
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            parse_hours(p, MAX_NOTICE_HOURS).map_err(|m| Error::Usage(format!("--phases: {m}")))
        })
        .collect::<Result<Vec<u32>>>()?;
    phases.sort_unstable();
    phases.dedup();
    if phases.is_empty() {
        return Err(Error::Usage(
            "--phases: no time (expected hours, e.g. 12,24,48,72)".into(),
        ));
    }
    Ok(phases)
}

pub fn check(args: &PackageCheckArgs, ctx: &mut Context) -> Result<()> {
    let (mut opts, limit) = options(&args.options)?;
    opts.separately = args.separately;
    if let Some(p) = &args.phases {
        opts.phases = parse_phases(p)?;
    }
    let packages = args
        .files
        .iter()
        .map(|f| load(f))
        .collect::<Result<Vec<_>>>()?;
    let (conn, policy) = open(ctx, &mut opts)?;
    let evaluations = package::evaluate_all(&conn, &packages, &opts)?;
    for e in &evaluations {
        for w in &e.warnings {
            ctx.warn(w);
        }
        if let Some(age) = e.stale() {
            ctx.warn(&stale_warning(e, age));
        }
    }
    let several = evaluations.len() > 1;
    if let Some(path) = &args.xlsx {
        super::write_xlsx(
            ctx,
            path,
            "allocation",
            &check_csv(&evaluations, args.items),
        )?;
        return threshold(&evaluations, limit);
    }
    match ctx.format {
        Format::Json => {
            let docs: Vec<Json> = evaluations
                .iter()
                .map(|e| check_json(e, args.items))
                .collect();
            let mut doc = if several {
                json!({ "packages": docs })
            } else {
                docs.into_iter().next().unwrap_or(Json::Null)
            };
            if let Some(map) = doc.as_object_mut() {
                map.insert("policy".into(), policy.json());
            }
            serde_json::to_writer_pretty(&mut *ctx.out, &doc).map_err(std::io::Error::from)?;
            writeln!(ctx.out)?;
        }
        Format::Csv => render(
            &check_csv(&evaluations, args.items),
            Format::Csv,
            &ctx.style,
            ctx.out,
        )?,
        Format::Table => {
            for (i, e) in evaluations.iter().enumerate() {
                if i > 0 {
                    writeln!(ctx.out)?;
                }
                print_table(ctx, e, several && !args.separately, args.items)?;
            }
            print_wrapped(ctx, &policy.line())?;
        }
    }
    threshold(&evaluations, limit)
}

fn stale_warning(e: &Evaluation, age: i64) -> String {
    let oldest: Vec<&str> = e
        .data_as_of
        .depots
        .iter()
        .filter(|(_, d)| Some(*d) == e.data_as_of.oldest)
        .map(|(depot, _)| depot.as_str())
        .collect();
    let named = match oldest.len() {
        0..=3 => oldest.join(", "),
        n => format!("{} and {} more", oldest[..3].join(", "), n - 3),
    };
    format!(
        "{}: stands on data {age} days old ({named} as of {}): ask for newer exports",
        e.name,
        e.data_as_of.oldest.map(iso).unwrap_or_default()
    )
}

/// The heading, the table of lines and sources, then the verdict lines.
fn print_table(ctx: &mut Context, e: &Evaluation, by_priority: bool, items: bool) -> Result<()> {
    let age = |d: chrono::NaiveDate| (e.date - d).num_days();
    let data = match (e.data_as_of.oldest, e.data_as_of.newest) {
        (Some(o), Some(n)) if o == n => format!("; data as of {} ({} days old)", iso(o), age(o)),
        (Some(o), Some(n)) => format!(
            "; data as of {} to {} ({} to {} days old)",
            iso(o),
            iso(n),
            age(n),
            age(o)
        ),
        _ => String::new(),
    };
    let at = e
        .destination
        .as_ref()
        .map_or(String::new(), |d| format!(" by arrival at {d}"));
    let heading = format!(
        "{} — window {} h{at}; figures on {}{data}{}",
        e.name,
        e.within_hours,
        iso(e.date),
        if by_priority {
            "; from what the packages before it left"
        } else {
            ""
        }
    );
    print_wrapped(ctx, &heading)?;
    render(&check_table(e), Format::Table, &ctx.style, ctx.out)?;
    if !e.phases.is_empty() {
        writeln!(ctx.out)?;
        render(&phases_table(e), Format::Table, &ctx.style, ctx.out)?;
    }
    for l in &e.lines {
        if let Some(s) = &l.short {
            print_wrapped(ctx, &short_text(l, s))?;
        }
    }
    print_wrapped(ctx, &e.lines_summary())?;
    print_wrapped(ctx, &e.verdict())?;
    let release: Vec<String> = e
        .release()
        .into_iter()
        .map(|r| {
            let mut parts = Vec::new();
            let count = |n: i64, one: &str, many: &str| {
                format!("{} {}", group_thousands(n), if n == 1 { one } else { many })
            };
            if r.items > 0 {
                parts.push(count(r.items, "item", "items"));
            }
            if r.rounds > 0 {
                parts.push(count(r.rounds, "round", "rounds"));
            }
            format!(
                "{} {}",
                r.owner.as_deref().unwrap_or("(owner not given)"),
                parts.join(" and ")
            )
        })
        .collect();
    if !release.is_empty() {
        print_wrapped(ctx, &format!("release: {}", release.join("; ")))?;
    }
    if !e.depots_exact {
        print_wrapped(
            ctx,
            "note: the fewest depots were not proven within the search's time: this is the best set found",
        )?;
    } else if !e.ties_exact {
        print_wrapped(
            ctx,
            "note: no fewer depots can issue this; among the many sets of as many, the fewest (line, depot) pairs and types per line were not proven: this is the best found",
        )?;
    }
    if items {
        writeln!(ctx.out)?;
        render(&items_table(e), Format::Table, &ctx.style, ctx.out)?;
    }
    Ok(())
}

fn short_json(s: &Option<Shortfall>) -> Json {
    match s {
        None => json!({}),
        Some(s) => json!({
            "short_nmc": s.nmc,
            "short_suspended": s.suspended,
            "short_expired": s.expired,
            "short_no_notice": s.no_notice,
            "short_beyond_window": s.beyond_window,
            "short_elsewhere": s.elsewhere,
            "short_arrives_late": s.arrives_late,
            "short_not_held": s.not_held,
        }),
    }
}

fn check_json(e: &Evaluation, items: bool) -> Json {
    let rows: Vec<Json> = e
        .lines
        .iter()
        .map(|l| {
            let mut row = json!({
                "line": l.name,
                "needed": l.needed,
                "allocated": l.allocated,
                "shortfall": l.shortfall(),
                "fill_rate": l.fill_rate(),
                "notice_hours": l.notice_hours(),
                "sources": l.sources.iter().map(|s| {
                    let mut source = json!({
                        "depot": s.depot,
                        "type": s.type_code,
                        "owner": s.owner,
                        "status": s.status.as_str(),
                        "quantity": s.quantity,
                        "notice_hours": s.notice_hours,
                    });
                    if items {
                        source["items"] = s.items.iter().map(|i| json!({
                            "serial": i.serial, "lot": i.lot, "quantity": i.quantity,
                        })).collect();
                    }
                    if let Some(w) = &s.way {
                        source["leaves_hours"] = json!(package::hours_up(w.leaves_hours));
                        source["arrives_hours"] = json!(package::hours_up(w.arrives_hours));
                        source["leg_hours"] = json!(package::hours_up(w.leg_hours));
                        source["leg"] = json!(w.leg.as_str());
                        source["by"] = json!(w.by);
                    }
                    source
                }).collect::<Vec<_>>(),
            });
            if let (Json::Object(row), Json::Object(short)) = (&mut row, short_json(&l.short)) {
                row.extend(short);
            }
            if e.destination.is_some() {
                row["arrival_hours"] = json!(l.arrival_hours());
            }
            row
        })
        .collect();
    let mut doc = json!({
        "package": e.name,
        "file": e.file,
        "date": iso(e.date),
        "rows": rows,
        "total": {
            "package": e.name,
            "within_hours": e.within_hours,
            "needed": e.needed(),
            "allocated": e.allocated(),
            "shortfall": e.needed() - e.allocated(),
            "fill_rate": e.fill_rate(),
            "complete": e.complete(),
            "lines": e.lines.len(),
            "lines_complete": e.lines_complete(),
            "limiting_line": e.limiting_line().map(|l| l.name.clone()),
            "best_fill_hours": e.best_fill_hours,
            "ready_within_hours": e.ready_within_hours(),
            "complete_hours": e.complete_hours,
            "depots_exact": e.depots_exact,
            "tie_breaks_exact": e.ties_exact,
            "release": e.release().iter().map(|r| json!({
                "owner": r.owner, "items": r.items, "rounds": r.rounds,
            })).collect::<Vec<_>>(),
            "data_as_of": {
                "oldest": e.data_as_of.oldest.map(iso),
                "newest": e.data_as_of.newest.map(iso),
                "depots": e.data_as_of.depots.iter().map(|(d, a)| json!({
                    "depot": d, "as_of": iso(*a),
                })).collect::<Vec<_>>(),
            },
            "stale_days": e.stale(),
        }
    });
    if let Some(dest) = &e.destination {
        // By arrival: when every line could be complete there.
        let total = &mut doc["total"];
        total["destination"] = json!(dest);
        total["closure_hours"] = json!(e.complete_hours);
        if let Json::Object(t) = total {
            t.shift_remove("complete_hours");
        }
    }
    if !e.phases.is_empty() {
        doc["phases"] = e
            .phases
            .iter()
            .map(|(h, lines)| {
                json!({
                    "hours": h,
                    "fill_rate": e.fill_of(lines),
                    "lines": e.lines.iter().zip(lines).map(|(l, &x)| json!({
                        "line": l.name, "needed": l.needed, "arrived": x,
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
    }
    doc
}

/// One CSV row per source (per item with `--items`; a line without any
/// has one row with the source cells empty), so that a spreadsheet can
/// filter by depot or owner.
fn check_csv(evaluations: &[Evaluation], items: bool) -> Report {
    let mut columns = vec![
        "package",
        "line",
        "needed",
        "allocated",
        "shortfall",
        "fill_rate",
        "notice_hours",
        "depot",
        "type",
        "owner",
        "status",
        "quantity",
        "source_notice_hours",
    ];
    if items {
        columns.extend(["serial", "lot"]);
    }
    let width = columns.len();
    let mut report = Report::new(&columns, 2);
    for e in evaluations {
        for l in &e.lines {
            let line = [
                Value::Text(e.name.clone()),
                Value::Text(l.name.clone()),
                Value::Int(l.needed),
                Value::Int(l.allocated),
                Value::Int(l.shortfall()),
                Value::Rate(l.fill_rate()),
                l.notice_hours()
                    .map_or(Value::Null, |n| Value::Int(n.into())),
            ];
            if l.sources.is_empty() {
                let mut row = line.to_vec();
                row.resize(width, Value::Null);
                report.rows.push(row);
            }
            for s in &l.sources {
                let source = [
                    Value::Text(s.depot.clone()),
                    Value::Text(s.type_code.clone()),
                    Value::from(s.owner.clone()),
                    Value::Text(s.status.as_str().into()),
                ];
                let picks: Vec<(i64, Option<String>, Option<String>)> = if items {
                    s.items
                        .iter()
                        .map(|i| (i.quantity, i.serial.clone(), i.lot.clone()))
                        .collect()
                } else {
                    vec![(s.quantity, None, None)]
                };
                for (quantity, serial, lot) in picks {
                    let mut row = line.to_vec();
                    row.extend(source.clone());
                    row.extend([Value::Int(quantity), Value::Int(s.notice_hours.into())]);
                    if items {
                        row.extend([Value::from(serial), Value::from(lot)]);
                    }
                    report.rows.push(row);
                }
            }
        }
    }
    report
}

/// Why a line is short, and what could close it, in words.
fn short_text(l: &LineResult, s: &Shortfall) -> String {
    let mut parts = Vec::new();
    for (n, what) in [
        (s.nmc, "not mission capable"),
        (s.suspended, "suspended"),
        (s.expired, "expired"),
        (s.no_notice, "with no notice set"),
        (s.beyond_window, "beyond the window"),
        (s.elsewhere, "drawn elsewhere"),
        (s.arrives_late, "arriving too late"),
        (s.not_held, "not held"),
    ] {
        if n > 0 {
            parts.push(format!("{} {what}", group_thousands(n)));
        }
    }
    format!(
        "{} short {}: {}",
        l.name,
        group_thousands(l.shortfall()),
        parts.join(", ")
    )
}

/// Each line, its sources indented beneath it, and why a short line is
/// short. No total row: the lines' units are of different things.
fn check_table(e: &Evaluation) -> Report {
    let mut columns = vec![
        "line",
        "needed",
        "allocated",
        "short",
        "fill",
        "notice h",
        "owner",
        "status",
    ];
    let moving = e.destination.is_some();
    if moving {
        columns.extend(["arrives h", "leaves h", "leg h", "leg"]);
    }
    let mut report = Report::new(&columns, 1);
    // Owner and status give way first (then the way's detail); a depot or
    // type code is never cut.
    report.optional = if moving {
        vec![7, 6, 11, 10, 9]
    } else {
        vec![7, 6]
    };
    report.shortenable = vec![0];
    report.essential = vec![1, 2, 3, 4];
    for l in &e.lines {
        push_line(&mut report, l, moving);
    }
    report
}

fn push_line(report: &mut Report, l: &LineResult, moving: bool) {
    let hours = |h: Option<u32>| h.map_or(Value::Null, |n| Value::Int(n.into()));
    let mut row = vec![
        Value::Text(l.name.clone()),
        Value::Int(l.needed),
        Value::Int(l.allocated),
        Value::Shortfall(l.shortfall()),
        Value::Rate(l.fill_rate()),
        hours(l.notice_hours()),
        Value::Blank,
        Value::Blank,
    ];
    if moving {
        row.extend([
            hours(l.arrival_hours()),
            Value::Blank,
            Value::Blank,
            Value::Blank,
        ]);
    }
    report.rows.push(row);
    for s in &l.sources {
        let mut row = vec![
            Value::Code(format!("  {} {}", s.depot, s.type_code)),
            Value::Blank,
            Value::Int(s.quantity),
            Value::Blank,
            Value::Blank,
            Value::Int(s.notice_hours.into()),
            Value::from(s.owner.clone()),
            Value::Text(s.status.as_str().into()),
        ];
        if moving {
            match &s.way {
                Some(w) => row.extend([
                    Value::Int(package::hours_up(w.arrives_hours).into()),
                    Value::Int(package::hours_up(w.leaves_hours).into()),
                    Value::Int(package::hours_up(w.leg_hours).into()),
                    Value::Text(w.leg.as_str().into()),
                ]),
                None => row.extend([Value::Blank, Value::Blank, Value::Blank, Value::Blank]),
            }
        }
        report.rows.push(row);
    }
}

/// The time-phased view: per line, how much can have arrived (or been
/// issued) by each time, and the package's fill.
fn phases_table(e: &Evaluation) -> Report {
    let mut columns = vec!["by".to_string()];
    columns.extend(e.phases.iter().map(|(h, _)| format!("{h} h")));
    let names: Vec<&str> = columns.iter().map(String::as_str).collect();
    let mut report = Report::new(&names, 1);
    report.shortenable = vec![0];
    for (l, line) in e.lines.iter().enumerate() {
        let mut row = vec![Value::Text(format!(
            "{} (of {})",
            line.name,
            group_thousands(line.needed)
        ))];
        row.extend(e.phases.iter().map(|(_, lines)| Value::Int(lines[l])));
        report.rows.push(row);
    }
    let mut fill = vec![Value::Text("package fill".into())];
    fill.extend(
        e.phases
            .iter()
            .map(|(_, lines)| Value::Rate(e.fill_of(lines))),
    );
    report.rows.push(fill);
    report
}

/// The hand receipt: every serial and lot to draw.
fn items_table(e: &Evaluation) -> Report {
    let mut report = Report::new(
        &[
            "line", "depot", "type", "owner", "serial", "lot", "quantity",
        ],
        0,
    );
    report.shortenable = vec![0];
    for l in &e.lines {
        for s in &l.sources {
            for i in &s.items {
                report.rows.push(vec![
                    Value::Text(l.name.clone()),
                    Value::Text(s.depot.clone()),
                    Value::Text(s.type_code.clone()),
                    Value::from(s.owner.clone()),
                    Value::from(i.serial.clone()),
                    Value::from(i.lot.clone()),
                    Value::Int(i.quantity),
                ]);
            }
        }
    }
    report
}

/// A verdict broken into lines that fit the terminal, so nothing wraps
/// mid-word.
fn print_wrapped(ctx: &mut Context, text: &str) -> Result<()> {
    match ctx.style.width {
        Some(w) => {
            for line in wrap_words(text, usize::from(w)) {
                writeln!(ctx.out, "{line}")?;
            }
        }
        None => writeln!(ctx.out, "{text}")?,
    }
    Ok(())
}

/// Every `*.toml` in `dir`, sorted by name.
pub fn package_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir).map_err(|source| Error::NoInput {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|source| Error::NoInput {
                path: dir.to_path_buf(),
                source,
            })?
            .path();
        if path.is_file()
            && path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("toml"))
        {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// Every package of a folder evaluated, each against the whole stockpile,
/// worst first: lowest fill, then latest complete time (never the latest).
/// A malformed file is reported and the others still evaluated.
pub fn evaluate_dir(
    conn: &Db,
    dir: &Path,
    opts: &Options,
) -> Result<(Vec<Evaluation>, Vec<Error>)> {
    let files = package_files(dir)?;
    if files.is_empty() {
        return Err(Error::NoInput {
            path: dir.to_path_buf(),
            source: std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "no package files (*.toml) in this folder",
            ),
        });
    }
    let mut evaluations = Vec::new();
    let mut failed = Vec::new();
    for path in files {
        match file::load(&path).and_then(|p| package::evaluate(conn, &p, opts)) {
            Ok(e) => evaluations.push(e),
            Err(e) => failed.push(e),
        }
    }
    evaluations.sort_by(|a, b| {
        a.fill_rate()
            .total_cmp(&b.fill_rate())
            .then_with(|| {
                let late = |e: &Evaluation| e.complete_hours.map_or(u32::MAX, |h| h);
                late(b).cmp(&late(a))
            })
            .then_with(|| a.name.cmp(&b.name))
    });
    Ok((evaluations, failed))
}

pub fn list(args: &PackageListArgs, ctx: &mut Context) -> Result<()> {
    let (mut opts, limit) = options(&args.options)?;
    let (conn, policy) = open(ctx, &mut opts)?;
    let (evaluations, failed) = evaluate_dir(&conn, &args.dir, &opts)?;
    for e in &evaluations {
        for w in &e.warnings {
            ctx.warn(w);
        }
        if let Some(age) = e.stale() {
            ctx.warn(&stale_warning(e, age));
        }
    }
    let mut report = Report::new(
        &[
            "package",
            "file",
            "lines",
            "lines_complete",
            "fill_rate",
            "complete",
            "best_fill_hours",
            "ready_within_hours",
            "complete_hours",
            "within_hours",
            "limiting_line",
        ],
        1,
    );
    // The file name gives way first on a narrow terminal, then the detail;
    // the package's name, fill and readiness stay.
    report.optional = vec![1, 10, 2, 6, 9, 3, 8];
    report.shortenable = vec![0, 10];
    report.essential = vec![4, 5, 7];
    for e in &evaluations {
        let file_name = Path::new(&e.file)
            .file_name()
            .map_or(e.file.clone(), |n| n.to_string_lossy().into_owned());
        let hours = |h: Option<u32>| h.map_or(Value::Null, |n| Value::Int(n.into()));
        report.rows.push(vec![
            Value::Text(e.name.clone()),
            Value::Text(file_name),
            Value::Int(e.lines.len() as i64),
            Value::Int(e.lines_complete() as i64),
            Value::RateBar(e.fill_rate()),
            Value::Bool(e.complete()),
            hours(e.best_fill_hours),
            hours(e.ready_within_hours()),
            hours(e.complete_hours),
            Value::Int(e.within_hours.into()),
            Value::from(e.limiting_line().map(|l| l.name.clone())),
        ]);
    }
    report.meta = vec![("policy".into(), policy.json())];
    render(&report, ctx.format, &ctx.style, ctx.out)?;
    if ctx.format == Format::Table {
        for e in &evaluations {
            print_wrapped(ctx, &format!("{}: {}", e.name, e.verdict()))?;
        }
        print_wrapped(ctx, &policy.line())?;
    }
    if !failed.is_empty() {
        let count = failed.len();
        for e in failed {
            writeln!(
                ctx.err,
                "error: {}",
                crate::output::visible(&e.to_string(), true)
            )?;
        }
        return Err(Error::Data(format!(
            "{count} of {} package files could not be checked",
            count + evaluations.len()
        )));
    }
    threshold(&evaluations, limit)
}

pub fn resilience(args: &crate::cli::PackageResilienceArgs, ctx: &mut Context) -> Result<()> {
    let (mut opts, _) = options(&args.options)?;
    let package = load(&args.file)?;
    let (conn, _) = open(ctx, &mut opts)?;
    let (losses, warnings) = package::resilience(&conn, &package, &opts, args.pairs)?;
    for w in &warnings {
        ctx.warn(w);
    }
    let today = &losses[0];
    let by_arrival = opts.to.is_some() || package.to.is_some();
    let hours_name = if by_arrival {
        "closure_hours"
    } else {
        "complete_hours"
    };
    let mut report = Report::new(
        &[
            "lost",
            "fill_rate",
            "fill_change",
            "complete",
            hours_name,
            "hours_change",
            "single_point",
        ],
        1,
    );
    report.optional = vec![5, 2];
    let hours = |h: Option<u32>| h.map_or(Value::Null, |n| Value::Int(n.into()));
    let mut single = Vec::new();
    for l in &losses {
        let point = today.complete && !l.complete;
        if point {
            single.push(l.lost.join("+"));
        }
        report.rows.push(vec![
            Value::Code(if l.lost.is_empty() {
                "none".into()
            } else {
                l.lost.join("+")
            }),
            Value::Rate(l.fill_rate),
            Value::Rate(round(l.fill_rate - today.fill_rate)),
            Value::Bool(l.complete),
            hours(l.complete_hours),
            match (l.complete_hours, today.complete_hours) {
                (Some(a), Some(b)) => Value::Delta(i64::from(a) - i64::from(b)),
                _ => Value::Null,
            },
            Value::Bool(point),
        ]);
    }
    render(&report, ctx.format, &ctx.style, ctx.out)?;
    if ctx.format == Format::Table {
        let verdict = if single.is_empty() {
            format!(
                "{}: no single {} whose loss leaves it incomplete",
                package.name,
                if args.pairs { "depot or pair" } else { "depot" }
            )
        } else {
            format!(
                "{}: single points of failure (complete today, not without): {} — disperse their stocks",
                package.name,
                single.join(", ")
            )
        };
        print_wrapped(ctx, &verdict)?;
    }
    if args.fail_on_single_point && !single.is_empty() {
        return Err(Error::Threshold(format!(
            "{} single point(s) of failure: {}",
            single.len(),
            single.join(", ")
        )));
    }
    Ok(())
}

/// A change of fill to six places, as CSV and JSON print rates.
fn round(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}
