//! `stockpile changes`: what changed between two snapshots of each depot.

use super::{Context, as_of, filters};
use crate::changes::{Change, Comparison, Side, Window, compare};
use crate::cli::ChangesArgs;
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
        judged: None,
        rules: Default::default(),
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
    let (conn, judged) = super::open_question(ctx, &filters, window.as_of)?;
    let policy = super::policy(ctx, &conn)?;
    let window = Window {
        judged: Some(judged),
        rules: policy.policy.rules(),
        ..window
    };
    crate::known::check_date(&conn, "--since", window.since)?;
    let comparison = compare(&conn, window, &filters.depots)?;
    let slips = match &args.packages {
        Some(dir) => package_slips(ctx, &conn, dir, window, judged, true)?,
        None => Vec::new(),
    };
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
    let item_wanted = |i: &crate::changes::Item| {
        wanted(&i.depot)
            && (filters.types.is_empty() || filters.types.contains(&i.type_code))
            && (filters.categories.is_empty()
                || i.category
                    .as_ref()
                    .is_some_and(|c| filters.categories.contains(c)))
            && (filters.owners.is_empty()
                || i.owner.as_ref().is_some_and(|o| filters.owners.contains(o)))
    };
    let caption = caption(&comparison, window, judged, &filters, &item_wanted);
    let mut report = if args.items {
        items_report(&comparison, item_wanted)
    } else {
        summary_report(&comparison, wanted)
    };
    if let Some(path) = &args.xlsx {
        return super::write_xlsx(ctx, path, "changes", &report);
    }
    report.meta.push(("policy".into(), policy.json()));
    if args.packages.is_some() {
        report.meta.push(("packages".into(), slips_json(&slips)));
    }
    // In a table the notes follow it, one per item, rather than widen
    // every row by a column most rows leave empty.
    let mut notes = Vec::new();
    if args.items && ctx.format == Format::Table {
        for row in &mut report.rows {
            if let Some(Value::Text(note)) = row.pop() {
                // The serial, or the lot.
                let which = match (&row[2], &row[3]) {
                    (Value::Text(s), _) | (_, Value::Text(s)) => s.clone(),
                    _ => String::new(),
                };
                notes.push(format!(
                    "{} {} {which}: {note}",
                    row_text(&row[0]),
                    row_text(&row[1])
                ));
            }
        }
        report.columns.pop();
        report.optional.retain(|&c| c < report.columns.len());
        report.shortenable.clear();
    }
    if ctx.format == Format::Table {
        crate::caption::print(ctx.out, &caption, ctx.style.width)?;
    }
    render(&report, ctx.format, &ctx.style, ctx.out)?;
    let width = ctx.style.width.map_or(usize::MAX, usize::from);
    for note in notes {
        for line in wrap_words(&note, width) {
            writeln!(ctx.out, "{line}")?;
        }
    }
    if args.packages.is_some() && ctx.format == Format::Table {
        writeln!(ctx.out)?;
        if slips.is_empty() {
            writeln!(ctx.out, "No package's fill or times changed.")?;
        } else {
            render(&slips_table(&slips), Format::Table, &ctx.style, ctx.out)?;
            for s in &slips {
                let text = format!("{}: {}", s.to.name, s.because());
                for line in wrap_words(&text, width) {
                    writeln!(ctx.out, "{line}")?;
                }
            }
        }
    }
    if ctx.format == Format::Table {
        crate::caption::print(ctx.out, &policy.line(), ctx.style.width)?;
    }
    Ok(())
}

/// Every package of `dir` checked on each depot's snapshot before and on
/// the one compared with it: those whose fill or times changed.
pub fn package_slips(
    ctx: &mut Context,
    conn: &crate::db::Db,
    dir: &std::path::Path,
    window: Window,
    today: chrono::NaiveDate,
    warn: bool,
) -> Result<Vec<crate::package::Slip>> {
    use crate::package::Options;
    use crate::state::On;
    let mut to = Options::new(today);
    to.as_of = window.as_of;
    to.rules = window.rules;
    let on = On::Previous {
        as_of: window.as_of,
        since: window.since,
    };
    let mut from = Options::new(today);
    from.rules = window.rules;
    from.on = Some(on);
    from.as_of = crate::package::state_date(conn, on)?;
    let (before, failed) = super::package::evaluate_dir(conn, dir, &from)?;
    if let Some(e) = failed.into_iter().next() {
        return Err(e);
    }
    let (after, _) = super::package::evaluate_dir(conn, dir, &to)?;
    if warn {
        for w in after.iter().flat_map(|e| &e.warnings) {
            ctx.warn(w);
        }
    }
    Ok(crate::package::slips(&before, &after))
}

fn hours(h: Option<u32>) -> Value {
    h.map_or(Value::Null, |n| Value::Int(n.into()))
}

/// One row per package that changed, worse first.
fn slips_table(slips: &[crate::package::Slip]) -> Report {
    let mut report = Report::new(
        &[
            "package",
            "fill_from",
            "fill_to",
            "ready_from",
            "ready_to",
            "complete_hours_from",
            "complete_hours_to",
        ],
        1,
    );
    report.shortenable = vec![0];
    report.optional = vec![5, 6];
    for s in slips {
        report.rows.push(vec![
            Value::Text(s.to.name.clone()),
            Value::Rate(s.from.fill_rate()),
            Value::Rate(s.to.fill_rate()),
            hours(s.from.ready_within_hours()),
            hours(s.to.ready_within_hours()),
            hours(s.from.complete_hours),
            hours(s.to.complete_hours),
        ]);
    }
    report
}

fn slips_json(slips: &[crate::package::Slip]) -> serde_json::Value {
    use serde_json::json;
    let side = |e: &crate::package::Evaluation| {
        json!({
            "date": iso(e.date),
            "fill_rate": e.fill_rate(),
            "complete": e.complete(),
            "best_fill_hours": e.best_fill_hours,
            "ready_within_hours": e.ready_within_hours(),
            "complete_hours": e.complete_hours,
        })
    };
    slips
        .iter()
        .map(|s| {
            json!({
                "package": s.to.name,
                "file": s.to.file,
                "worse": s.worse(),
                "from": side(&s.from),
                "to": side(&s.to),
                "lines": s.lines.iter().map(|&l| {
                    let (a, b) = (&s.from.lines[l], &s.to.lines[l]);
                    json!({
                        "line": b.name,
                        "needed": b.needed,
                        "allocated_from": a.allocated,
                        "allocated_to": b.allocated,
                        "notice_hours_from": a.notice_hours(),
                        "notice_hours_to": b.notice_hours(),
                    })
                }).collect::<Vec<_>>(),
            })
        })
        .collect()
}

/// What the comparison is, and how many changes of each kind it found.
fn caption(
    c: &Comparison,
    window: Window,
    judged: chrono::NaiveDate,
    filters: &crate::state::Filters,
    wanted: &dyn Fn(&crate::changes::Item) -> bool,
) -> String {
    let compared = c
        .depots
        .iter()
        .filter(|d| d.from.is_some())
        .filter(|d| filters.depots.is_empty() || filters.depots.contains(&d.depot))
        .count();
    let what = match window.since {
        Some(since) => format!(
            "each depot's latest snapshot against its latest on or before {}",
            iso(since)
        ),
        None => "each depot's latest snapshot against the one before".into(),
    };
    let mut kinds: std::collections::BTreeMap<Change, usize> = Default::default();
    for i in c.items.iter().filter(|i| wanted(i)) {
        *kinds.entry(i.change).or_insert(0) += 1;
    }
    let counts = if kinds.is_empty() {
        "nothing changed".to_string()
    } else {
        kinds
            .iter()
            .map(|(k, n)| format!("{n} {}", k.as_str()))
            .collect::<Vec<_>>()
            .join(" · ")
    };
    crate::caption::with_filters(
        format!(
            "Changes on {}: {what}, {compared} depot{} compared · {counts}",
            iso(judged),
            if compared == 1 { "" } else { "s" }
        ),
        filters,
    )
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
        "became_nmc",
        "returned_to_mc",
        "notice_longer",
    ];
    columns.extend(COUNTED[2..].iter().map(|c| c.as_str()));
    columns.extend([
        "ammo_change",
        "ammo_serviceable_change",
        "ammo_suspended_change",
    ]);
    let mut report = Report::new(&columns, 1);
    // On a narrow terminal the rounds give way first, then the older
    // side's figures, then the rates; the counts of what happened to
    // equipment stay longest.
    report.optional = vec![16, 14, 15, 1, 5, 6, 12, 13, 10, 11];
    // How on hand and MC moved, and how many became NMC, always show.
    report.essential = vec![2, 3, 4];
    // Equipment items: on hand, MC, then the counts; rounds: on hand,
    // serviceable.
    let mut total = [0i64; 12];
    for d in c.depots.iter().filter(|d| wanted(&d.depot)) {
        let mut row = vec![
            Value::Text(d.depot.clone()),
            d.from
                .as_ref()
                .map_or(Value::Null, |f| Value::Text(iso(f.as_of))),
            Value::Text(iso(d.to.as_of)),
        ];
        let Some(f) = &d.from else {
            row.extend(std::iter::repeat_n(Value::Null, columns.len() - 3));
            report.rows.push(row);
            continue;
        };
        let counts = [
            d.to.on_hand - f.on_hand,
            d.to.mc - f.mc,
            d.count(Change::BecameNmc),
            d.count(Change::ReturnedToMc),
            d.notice_longer,
            d.count(Change::Arrived),
            d.count(Change::Departed),
            d.count(Change::MovedIn),
            d.count(Change::MovedOut),
            d.to.ammo_on_hand - f.ammo_on_hand,
            d.to.ammo_serviceable - f.ammo_serviceable,
            d.to.ammo_suspended - f.ammo_suspended,
        ];
        for (t, n) in total.iter_mut().zip(counts) {
            *t += n;
        }
        row.extend([
            Value::Delta(counts[0]),
            Value::Delta(counts[1]),
            rate(f.mc, f.on_hand),
            rate(d.to.mc, d.to.on_hand),
        ]);
        row.extend(counts[2..9].iter().map(|&n| Value::Int(n)));
        row.extend(counts[9..].iter().map(|&n| Value::Delta(n)));
        report.rows.push(row);
    }
    let mut t = vec![Value::Null, Value::Null, Value::Null];
    t.extend([
        Value::Delta(total[0]),
        Value::Delta(total[1]),
        Value::Null,
        Value::Null,
    ]);
    t.extend(total[2..9].iter().map(|&n| Value::Int(n)));
    t.extend(total[9..].iter().map(|&n| Value::Delta(n)));
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
    // What changed on which item answers; only the note may give way.
    report.optional = vec![7];
    report.shortenable = vec![7];
    report.essential = vec![0, 1, 2, 3, 4, 5, 6];
    report.either = Some((2, 3, "serial_or_lot".into()));
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
