//! `stockpile changes`: what changed between two snapshots of each depot.

use super::{Context, as_of, filters};
use crate::changes::{Change, Comparison, Side, Window, compare};
use crate::cli::ChangesArgs;
use crate::db::{self, Access};
use crate::error::{Error, Result};
use crate::model::{iso, parse_date};
use crate::output::{Format, Report, Value, rate, render, wrap_words};

/// The item kinds counted in the summary, in its column order.
const COUNTED: [Change; 6] = [
    Change::BecameNmc,
    Change::ReturnedToMc,
    Change::Arrived,
    Change::Departed,
    Change::MovedIn,
    Change::MovedOut,
];

pub fn run(args: &ChangesArgs, ctx: &mut Context) -> Result<()> {
    let filters = filters(&args.selection.filter)?;
    let window = Window {
        since: args
            .since
            .as_deref()
            .map(|d| parse_date(d, None).map_err(|m| Error::Usage(format!("--since: {m}"))))
            .transpose()?,
        as_of: as_of(&args.selection)?,
    };
    if !args.items
        && (!filters.types.is_empty()
            || !filters.categories.is_empty()
            || !filters.owners.is_empty())
    {
        return Err(Error::Usage(
            "--type, --category and --owner select items: use them with --items (the summary compares whole depots)"
                .into(),
        ));
    }
    let conn = db::open(&ctx.db, Access::Read)?;
    let comparison = compare(&conn, window)?;
    let wanted =
        |depot: &str| filters.depots.is_empty() || filters.depots.iter().any(|d| d == depot);
    for d in comparison
        .depots
        .iter()
        .filter(|d| d.from.is_none() && wanted(&d.depot))
    {
        let why = match window.since {
            Some(since) => format!(
                "no snapshot on or before {} older than {}",
                iso(since),
                iso(d.to.as_of)
            ),
            None => format!("one snapshot only ({})", iso(d.to.as_of)),
        };
        ctx.warn(&format!("{}: {why}: nothing to compare", d.depot));
    }
    let mut report = if args.items {
        items_report(&comparison, |i| {
            wanted(&i.depot)
                && (filters.types.is_empty() || filters.types.contains(&i.type_code))
                && (filters.categories.is_empty()
                    || i.category
                        .as_ref()
                        .is_some_and(|c| filters.categories.contains(c)))
                && (filters.owners.is_empty()
                    || i.owner.as_ref().is_some_and(|o| filters.owners.contains(o)))
        })
    } else {
        summary_report(&comparison, wanted)
    };
    if let Some(path) = &args.xlsx {
        return super::write_xlsx(ctx, path, "changes", &report);
    }
    // In a table the notes follow it, one per item, rather than widen
    // every row by a column most rows leave empty.
    let mut notes = Vec::new();
    if args.items && ctx.format == Format::Table {
        for row in &mut report.rows {
            if let Some(Value::Text(note)) = row.pop() {
                let serial = match &row[2] {
                    Value::Text(s) => s.clone(),
                    _ => String::new(),
                };
                notes.push(format!(
                    "{} {} {serial}: {note}",
                    row_text(&row[0]),
                    row_text(&row[1])
                ));
            }
        }
        report.columns.pop();
        report.optional.retain(|&c| c < report.columns.len());
        report.shortenable.clear();
    }
    render(&report, ctx.format, &ctx.style, ctx.out)?;
    for note in notes {
        for line in wrap_words(&note, ctx.style.width.map_or(usize::MAX, usize::from)) {
            writeln!(ctx.out, "{line}")?;
        }
    }
    Ok(())
}

fn row_text(v: &Value) -> String {
    match v {
        Value::Text(t) => t.clone(),
        _ => String::new(),
    }
}

fn summary_report(c: &Comparison, wanted: impl Fn(&str) -> bool) -> Report {
    let mut columns = vec![
        "depot",
        "from_as_of",
        "to_as_of",
        "on_hand_change",
        "mc_change",
        "mc_rate_from",
        "mc_rate_to",
    ];
    columns.extend(COUNTED.map(Change::as_str));
    let mut report = Report::new(&columns, 1);
    // On a narrow terminal the older side's figures give way first, then
    // the rates; the counts of what happened stay longest.
    report.optional = vec![1, 5, 6, 11, 12, 9, 10];
    let mut total = [0i64; 8];
    for d in c.depots.iter().filter(|d| wanted(&d.depot)) {
        let mut row = vec![
            Value::Text(d.depot.clone()),
            d.from
                .as_ref()
                .map_or(Value::Null, |f| Value::Text(iso(f.as_of))),
            Value::Text(iso(d.to.as_of)),
        ];
        match &d.from {
            Some(f) => {
                let (on_hand, mc) = (d.to.quantity - f.quantity, d.to.mc - f.mc);
                total[0] += on_hand;
                total[1] += mc;
                row.extend([
                    Value::Delta(on_hand),
                    Value::Delta(mc),
                    rate(f.mc, f.quantity),
                    rate(d.to.mc, d.to.quantity),
                ]);
                for (i, kind) in COUNTED.iter().enumerate() {
                    let n = d.count(*kind);
                    total[2 + i] += n;
                    row.push(Value::Int(n));
                }
            }
            None => row.extend(std::iter::repeat_n(Value::Null, 4 + COUNTED.len())),
        }
        report.rows.push(row);
    }
    let mut t = vec![Value::Null, Value::Null, Value::Null];
    t.extend([
        Value::Delta(total[0]),
        Value::Delta(total[1]),
        Value::Null,
        Value::Null,
    ]);
    t.extend(total[2..].iter().map(|&n| Value::Int(n)));
    report.total = Some(t);
    report
}

fn side(s: &Option<Side>) -> Value {
    match s {
        None => Value::Null,
        Some(Side::Text(t)) => Value::Text(t.clone()),
        Some(Side::Quantity(q)) => Value::Int(*q),
    }
}

fn items_report(c: &Comparison, wanted: impl Fn(&crate::changes::Item) -> bool) -> Report {
    let mut report = Report::new(
        &[
            "depot", "type", "serial", "lot", "change", "from", "to", "note",
        ],
        0,
    );
    report.optional = vec![7];
    report.shortenable = vec![7];
    for i in c.items.iter().filter(|i| wanted(i)) {
        report.rows.push(vec![
            Value::Text(i.depot.clone()),
            Value::Text(i.type_code.clone()),
            Value::from(i.serial.clone()),
            Value::from(i.lot.clone()),
            Value::Text(i.change.as_str().into()),
            side(&i.from),
            side(&i.to),
            Value::from(i.note.clone()),
        ]);
    }
    report
}
