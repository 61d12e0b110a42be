//! `stockpile package check FILE` and `stockpile package list DIR`: can the
//! stockpile issue this force within the window, from where, and what is
//! missing (SPEC §7).

use std::path::{Path, PathBuf};

use serde_json::{Value as Json, json};

use super::{Context, as_of, filters};
use crate::cli::{Filter, PackageArgs, PackageCheckArgs, PackageListArgs, Selection};
use crate::db::{self, Access};
use crate::error::{Error, Result};
use crate::model::{MAX_NOTICE_HOURS, parse_hours};
use crate::output::{Format, Report, Value, render, wrap_words};
use crate::package::{self, Evaluation, Options, file};

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
    let limit = args.fail_below.as_deref().map(parse_percent).transpose()?;
    let options = Options {
        within: args
            .within
            .as_deref()
            .map(|w| {
                parse_hours(w, MAX_NOTICE_HOURS).map_err(|m| Error::Usage(format!("--within: {m}")))
            })
            .transpose()?,
        as_of: as_of(&selection)?,
        today: super::today()?,
        depots: checked.depots,
        owners: checked.owners,
    };
    Ok((options, limit))
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

pub fn check(args: &PackageCheckArgs, ctx: &mut Context) -> Result<()> {
    let (opts, limit) = options(&args.options)?;
    let package = file::load(&args.file)?;
    let conn = db::open(&ctx.db, Access::Read)?;
    let evaluation = package::evaluate(&conn, &package, &opts)?;
    for w in &evaluation.warnings {
        ctx.warn(w);
    }
    if let Some(path) = &args.xlsx {
        super::write_xlsx(ctx, path, "allocation", &check_csv(&evaluation))?;
        return threshold(std::slice::from_ref(&evaluation), limit);
    }
    match ctx.format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut *ctx.out, &check_json(&evaluation))
                .map_err(std::io::Error::from)?;
            writeln!(ctx.out)?;
        }
        Format::Csv => render(&check_csv(&evaluation), Format::Csv, &ctx.style, ctx.out)?,
        Format::Table => {
            writeln!(
                ctx.out,
                "{} — window {} h{}",
                evaluation.name,
                evaluation.within_hours,
                opts.as_of
                    .map_or(String::new(), |d| format!(", state on {d}"))
            )?;
            render(
                &check_table(&evaluation),
                Format::Table,
                &ctx.style,
                ctx.out,
            )?;
            print_wrapped(ctx, &evaluation.verdict())?;
        }
    }
    threshold(std::slice::from_ref(&evaluation), limit)
}

fn check_json(e: &Evaluation) -> Json {
    let rows: Vec<Json> = e
        .lines
        .iter()
        .map(|l| {
            json!({
                "line": l.name,
                "needed": l.needed,
                "allocated": l.allocated,
                "shortfall": l.shortfall(),
                "fill_rate": l.fill_rate(),
                "notice_hours": l.notice_hours(),
                "sources": l.sources.iter().map(|s| json!({
                    "depot": s.depot,
                    "type": s.type_code,
                    "quantity": s.quantity,
                    "notice_hours": s.notice_hours,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "rows": rows,
        "total": {
            "package": e.name,
            "within_hours": e.within_hours,
            "needed": e.needed(),
            "allocated": e.allocated(),
            "shortfall": e.needed() - e.allocated(),
            "fill_rate": e.fill_rate(),
            "complete": e.complete(),
            "ready_within_hours": e.ready_within_hours,
        }
    })
}

/// One CSV row per source (a line without any has one row with the source
/// cells empty), so that a spreadsheet can filter by depot.
fn check_csv(e: &Evaluation) -> Report {
    let mut report = Report::new(
        &[
            "line",
            "needed",
            "allocated",
            "shortfall",
            "fill_rate",
            "notice_hours",
            "depot",
            "type",
            "quantity",
            "source_notice_hours",
        ],
        1,
    );
    for l in &e.lines {
        let line = [
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
            row.extend([Value::Null, Value::Null, Value::Null, Value::Null]);
            report.rows.push(row);
        }
        for s in &l.sources {
            let mut row = line.to_vec();
            row.extend([
                Value::Text(s.depot.clone()),
                Value::Text(s.type_code.clone()),
                Value::Int(s.quantity),
                Value::Int(s.notice_hours.into()),
            ]);
            report.rows.push(row);
        }
    }
    report
}

/// Each line, then its sources indented beneath it.
fn check_table(e: &Evaluation) -> Report {
    let mut report = Report::new(
        &[
            "line",
            "needed",
            "allocated",
            "shortfall",
            "fill",
            "notice h",
        ],
        1,
    );
    report.shortenable = vec![0];
    for l in &e.lines {
        report.rows.push(vec![
            Value::Text(l.name.clone()),
            Value::Int(l.needed),
            Value::Int(l.allocated),
            Value::Shortfall(l.shortfall()),
            Value::Rate(l.fill_rate()),
            l.notice_hours()
                .map_or(Value::Null, |n| Value::Int(n.into())),
        ]);
        for s in &l.sources {
            report.rows.push(vec![
                Value::Text(format!("  {} {}", s.depot, s.type_code)),
                Value::Blank,
                Value::Int(s.quantity),
                Value::Blank,
                Value::Blank,
                Value::Int(s.notice_hours.into()),
            ]);
        }
    }
    report.total = Some(vec![
        Value::Null,
        Value::Int(e.needed()),
        Value::Int(e.allocated()),
        Value::Shortfall(e.needed() - e.allocated()),
        Value::Rate(e.fill_rate()),
        e.ready_within_hours
            .map_or(Value::Null, |n| Value::Int(n.into())),
    ]);
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

/// Every package of a folder evaluated, worst first: lowest fill, then
/// latest ready time (none at all is the latest). A malformed file is
/// reported and the others still evaluated.
pub fn evaluate_dir(
    conn: &crate::db::Db,
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
                let late = |e: &Evaluation| e.ready_within_hours.map_or(u32::MAX, |h| h);
                late(b).cmp(&late(a))
            })
            .then_with(|| a.name.cmp(&b.name))
    });
    Ok((evaluations, failed))
}

pub fn list(args: &PackageListArgs, ctx: &mut Context) -> Result<()> {
    let (opts, limit) = options(&args.options)?;
    let conn = db::open(&ctx.db, Access::Read)?;
    let (evaluations, failed) = evaluate_dir(&conn, &args.dir, &opts)?;
    for e in &evaluations {
        for w in &e.warnings {
            ctx.warn(w);
        }
    }
    let mut report = Report::new(
        &[
            "package",
            "file",
            "lines",
            "needed",
            "allocated",
            "fill_rate",
            "complete",
            "ready_within_hours",
            "within_hours",
        ],
        1,
    );
    // The file name gives way first on a narrow terminal, then the totals.
    report.optional = vec![1, 3, 4, 2, 8];
    report.shortenable = vec![0];
    for e in &evaluations {
        let file_name = Path::new(&e.file)
            .file_name()
            .map_or(e.file.clone(), |n| n.to_string_lossy().into_owned());
        report.rows.push(vec![
            Value::Text(e.name.clone()),
            Value::Text(file_name),
            Value::Int(e.lines.len() as i64),
            Value::Int(e.needed()),
            Value::Int(e.allocated()),
            Value::RateBar(e.fill_rate()),
            Value::Text(if e.complete() { "yes" } else { "no" }.into()),
            e.ready_within_hours
                .map_or(Value::Null, |n| Value::Int(n.into())),
            Value::Int(e.within_hours.into()),
        ]);
    }
    render(&report, ctx.format, &ctx.style, ctx.out)?;
    if ctx.format == Format::Table {
        for e in &evaluations {
            print_wrapped(ctx, &format!("{}: {}", e.name, e.verdict()))?;
        }
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
