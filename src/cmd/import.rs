//! `stockpile import PATH...`

use std::io::Write;
use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressStyle};

use super::Context;
use crate::cli::ImportArgs;
use crate::db::{self, Access};
use crate::error::{Error, Result};
use crate::import::columns::normalize;
use crate::import::dialect::{parse_delimiter, parse_encoding};
use crate::import::profile::Profile;
use crate::import::store::Outcome;
use crate::import::{FileSummary, ImportOptions, WarningGroup, import_file};
use crate::model::{DepotCode, check_date_format, parse_date};
use crate::output::Format;

pub fn run(args: &ImportArgs, ctx: &mut Context) -> Result<()> {
    let opts = options(args)?;
    let files = expand(&args.paths)?;
    let new_file = ctx.db.is_new_file();
    let conn = if args.dry_run && new_file {
        db::open_scratch()?
    } else {
        db::open(&ctx.db, Access::Write)?
    };
    let mut summaries = Vec::new();
    let mut failed: Vec<u8> = Vec::new();
    for file in &files {
        let bar = ctx.progress.then(|| progress_bar(file));
        let result = import_file(&conn, file, &opts, bar.as_ref());
        if let Some(b) = bar {
            b.finish_and_clear();
        }
        match result {
            Ok(summary) => {
                for group in &summary.warnings {
                    print_warnings(group, ctx);
                }
                if !ctx.quiet && ctx.format == Format::Table {
                    print_summary(&summary, ctx.out)?;
                }
                summaries.push(summary);
            }
            Err(e) if files.len() > 1 => {
                let _ = writeln!(
                    ctx.err,
                    "error: {}",
                    crate::output::visible(&e.to_string(), true)
                );
                failed.push(e.exit_code());
            }
            Err(e) => return Err(e),
        }
    }
    if !ctx.quiet && ctx.format != Format::Table {
        print_machine(&summaries, ctx)?;
    }
    if !ctx.quiet && ctx.format == Format::Table && files.len() > 1 {
        print_table(&summaries, files.len() - summaries.len(), ctx)?;
    }
    match failed.first() {
        Some(&code) => Err(Error::SomeFilesFailed {
            count: failed.len(),
            files: files.len(),
            code,
        }),
        None => Ok(()),
    }
}

fn options(args: &ImportArgs) -> Result<ImportOptions> {
    let usage = Error::Usage;
    if let Some(f) = &args.date_format {
        check_date_format(f).map_err(|m| usage(format!("--date-format: {m}")))?;
    }
    Ok(ImportOptions {
        depot: args
            .depot
            .as_deref()
            .map(|d| DepotCode::parse(d).map_err(|m| usage(format!("--depot: {m}"))))
            .transpose()?,
        as_of: args
            .as_of
            .as_deref()
            .map(|d| parse_date(d, None).map_err(|m| usage(format!("--as-of: {m}"))))
            .transpose()?,
        dry_run: args.dry_run,
        skip_invalid: args.skip_invalid,
        rejects: args.rejects.clone(),
        replace: args.replace,
        delimiter: args
            .delimiter
            .as_deref()
            .map(|d| parse_delimiter(d).map_err(|m| usage(format!("--delimiter: {m}"))))
            .transpose()?,
        encoding: args
            .encoding
            .as_deref()
            .map(|e| parse_encoding(e).map_err(|m| usage(format!("--encoding: {m}"))))
            .transpose()?,
        date_format: args.date_format.clone(),
        profile: args.map.as_deref().map(Profile::load).transpose()?,
        ignore_columns: args.ignore_column.iter().map(|c| normalize(c)).collect(),
        sheet: args.sheet.clone(),
        header_row: match args.header_row {
            Some(0) => return Err(usage("--header-row: lines count from 1".into())),
            n => n,
        },
    })
}

/// Files as given; a directory means every `*.csv` and workbook in it,
/// sorted by name.
fn expand(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in paths {
        let meta = std::fs::metadata(path).map_err(|source| Error::NoInput {
            path: path.clone(),
            source,
        })?;
        if meta.is_dir() {
            let entries = std::fs::read_dir(path).map_err(|source| Error::NoInput {
                path: path.clone(),
                source,
            })?;
            let mut found: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.is_file()
                        && (p.extension().is_some_and(|x| x.eq_ignore_ascii_case("csv"))
                            || crate::import::workbook::is_workbook(p))
                })
                .collect();
            if found.is_empty() {
                return Err(Error::NoInput {
                    path: path.clone(),
                    source: std::io::Error::new(
                        std::io::ErrorKind::NotFound,
                        "no *.csv files in this directory",
                    ),
                });
            }
            found.sort();
            files.extend(found);
        } else {
            files.push(path.clone());
        }
    }
    Ok(files)
}

/// The bar fills the terminal's width, however narrow (the counters keep
/// their room, the bar and the name give way), and starts empty: its
/// length is the file's size from the start, not 0 (which draws full).
fn progress_bar(file: &Path) -> ProgressBar {
    let size = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
    let bar = ProgressBar::new(size);
    bar.set_style(
        ProgressStyle::with_template(
            "{msg} [{wide_bar}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    let name = file.file_name().map_or_else(
        || file.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    bar.set_message(elide_middle(&name, 28));
    bar
}

/// A long name kept to `max` characters, its start and end (where dates
/// and extensions are) kept.
fn elide_middle(name: &str, max: usize) -> String {
    let chars: Vec<char> = name.chars().collect();
    if chars.len() <= max {
        return name.to_string();
    }
    let head = (max - 1) / 2;
    let tail = max - 1 - head;
    let mut out: String = chars[..head].iter().collect();
    out.push('…');
    out.extend(&chars[chars.len() - tail..]);
    out
}

fn print_summary(s: &FileSummary, out: &mut dyn Write) -> Result<()> {
    use crate::output::group_thousands as n;
    if let Some(id) = s.already_imported {
        writeln!(
            out,
            "{}: already imported (ledger entry {id}, same SHA-256); nothing changed",
            s.file
        )?;
        return Ok(());
    }
    let verb = if s.dry_run {
        "would import"
    } else {
        "imported"
    };
    writeln!(
        out,
        "{}: {} rows read, {} {verb}, {} rejected ({}, {})",
        s.file,
        n(s.rows_read as i64),
        n(s.rows_imported as i64),
        n(s.rows_rejected as i64),
        s.encoding,
        s.delimiter
    )?;
    let mut parts = Vec::new();
    for (outcome, label) in [
        (Outcome::Created, "created"),
        (
            Outcome::History,
            "added as history (older than the depot's latest)",
        ),
        (Outcome::Replaced, "replaced"),
        (Outcome::Unchanged, "unchanged (already stored)"),
    ] {
        let list: Vec<String> = s
            .snapshots
            .iter()
            .filter(|x| x.outcome == outcome)
            .map(|x| format!("{} {}", x.depot, x.as_of))
            .collect();
        if !list.is_empty() {
            parts.push(format!("{} {label} ({})", list.len(), shorten(&list, 8)));
        }
    }
    if !parts.is_empty() {
        writeln!(out, "  snapshots: {}", parts.join("; "))?;
    }
    for (label, codes) in [("new depots", &s.new_depots), ("new types", &s.new_types)] {
        if !codes.is_empty() {
            writeln!(out, "  {label} ({}): {}", codes.len(), shorten(codes, 20))?;
        }
    }
    let status = if s.dry_run {
        "dry run: nothing written".to_string()
    } else if !s.changed {
        "nothing changed".to_string()
    } else {
        format!("ledger entry {}", s.ledger_id.unwrap_or(0))
    };
    writeln!(
        out,
        "  {} warnings; {} ms, {} rows/s; {status}",
        n(s.warning_count() as i64),
        n(s.elapsed_ms as i64),
        n(s.rows_per_sec as i64)
    )?;
    Ok(())
}

/// One line per file and a total, after the per-file details.
fn print_table(summaries: &[FileSummary], failed: usize, ctx: &mut Context) -> Result<()> {
    use crate::output::{Report, Value, render};
    let mut report = Report::new(
        &[
            "file",
            "rows",
            "imported",
            "rejected",
            "snapshots",
            "new_depots",
            "new_types",
            "warnings",
            "rows_per_s",
            "result",
        ],
        1,
    );
    // Whether each file went in, and how many of its rows: never hidden.
    report.essential = vec![1, 2, 3, 9];
    report.optional = vec![8, 7, 6, 5, 4];
    report.shortenable = vec![0];
    let mut total = [0i64; 7];
    for s in summaries {
        let snapshots = s
            .snapshots
            .iter()
            .filter(|x| x.outcome != Outcome::Unchanged)
            .count();
        let figures = [
            s.rows_read as i64,
            s.rows_imported as i64,
            s.rows_rejected as i64,
            snapshots as i64,
            s.new_depots.len() as i64,
            s.new_types.len() as i64,
            s.warning_count() as i64,
        ];
        for (t, f) in total.iter_mut().zip(figures) {
            *t += f;
        }
        let result = if s.already_imported.is_some() {
            "already imported"
        } else if s.dry_run {
            "dry run"
        } else if s.changed {
            "imported"
        } else {
            "unchanged"
        };
        let name = std::path::Path::new(&s.file)
            .file_name()
            .map_or(s.file.clone(), |n| n.to_string_lossy().into_owned());
        let mut row = vec![Value::Text(name)];
        row.extend(figures.map(Value::Int));
        row.extend([
            Value::Int(s.rows_per_sec as i64),
            Value::Text(result.into()),
        ]);
        report.rows.push(row);
    }
    let mut row = vec![Value::Null];
    row.extend(total.map(Value::Int));
    row.extend([
        Value::Null,
        Value::Text(if failed > 0 {
            format!("{failed} failed")
        } else {
            "all ok".into()
        }),
    ]);
    report.total = Some(row);
    render(&report, Format::Table, &ctx.style, ctx.out)?;
    Ok(())
}

/// One kind of warning: each of a few, or a count with examples.
fn print_warnings(group: &WarningGroup, ctx: &mut Context) {
    if group.count as usize <= group.examples.len() {
        for e in &group.examples {
            ctx.warn(e);
        }
        return;
    }
    ctx.warn(&format!(
        "{} {} warnings, the first {}:",
        group.count,
        group.kind.label(),
        group.examples.len()
    ));
    if !ctx.quiet {
        for e in &group.examples {
            let _ = writeln!(ctx.err, "  {}", crate::output::visible(e, true));
        }
        let _ = writeln!(
            ctx.err,
            "  … and {} more",
            group.count as usize - group.examples.len()
        );
    }
}

/// The first `n` codes, then how many more: a force-wide file may register
/// hundreds.
fn shorten(codes: &[String], n: usize) -> String {
    let shown: Vec<&str> = codes.iter().take(n).map(String::as_str).collect();
    match codes.len().saturating_sub(n) {
        0 => shown.join(", "),
        more => format!("{}, … {more} more", shown.join(", ")),
    }
}

fn print_machine(summaries: &[FileSummary], ctx: &mut Context) -> Result<()> {
    match ctx.format {
        Format::Json => {
            // The shape every command's JSON has: rows, then a total.
            let sum = |f: fn(&FileSummary) -> u64| summaries.iter().map(f).sum::<u64>();
            let total = serde_json::json!({
                "files": summaries.len(),
                "rows_read": sum(|s| s.rows_read),
                "rows_imported": sum(|s| s.rows_imported),
                "rows_rejected": sum(|s| s.rows_rejected),
                "warnings": sum(|s| s.warning_count()),
            });
            serde_json::to_writer_pretty(
                &mut *ctx.out,
                &serde_json::json!({ "rows": summaries, "total": total }),
            )
            .map_err(std::io::Error::from)?;
            writeln!(ctx.out)?;
        }
        _ => {
            let mut w = csv::Writer::from_writer(&mut *ctx.out);
            w.write_record([
                "file",
                "encoding",
                "delimiter",
                "rows_read",
                "rows_imported",
                "rows_rejected",
                "snapshots_created",
                "snapshots_history",
                "snapshots_replaced",
                "snapshots_unchanged",
                "new_depots",
                "new_types",
                "warnings",
                "elapsed_ms",
                "rows_per_sec",
                "changed",
            ])
            .map_err(crate::output::csv_io)?;
            for s in summaries {
                w.write_record([
                    s.file.clone(),
                    s.encoding.clone(),
                    s.delimiter.clone(),
                    s.rows_read.to_string(),
                    s.rows_imported.to_string(),
                    s.rows_rejected.to_string(),
                    s.count(Outcome::Created).to_string(),
                    s.count(Outcome::History).to_string(),
                    s.count(Outcome::Replaced).to_string(),
                    s.count(Outcome::Unchanged).to_string(),
                    s.new_depots.len().to_string(),
                    s.new_types.len().to_string(),
                    s.warning_count().to_string(),
                    s.elapsed_ms.to_string(),
                    s.rows_per_sec.to_string(),
                    s.changed.to_string(),
                ])
                .map_err(crate::output::csv_io)?;
            }
            w.flush()?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::elide_middle;

    #[test]
    fn long_file_names_keep_their_start_and_end() {
        assert_eq!(elide_middle("de-aug-01.csv", 28), "de-aug-01.csv");
        let long = "bundeswehr-depot-augustdorf-export-2026-11-29.csv";
        let short = elide_middle(long, 28);
        assert_eq!(short.chars().count(), 28);
        assert!(
            short.starts_with("bundeswehr-d") && short.ends_with("2026-11-29.csv"),
            "{short}"
        );
    }
}
