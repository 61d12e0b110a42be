//! `report --html FILE`: one self-contained page for a readiness brief —
//! inline CSS and SVG, no scripts, no network, readable when printed.

use std::fmt::Write as _;

use crate::output::{group_thousands as n, signed};
use crate::readiness::{Deployable, Figures, Group};

/// What can move within one window: (label, per category, total).
pub type Window = (String, Vec<(Option<String>, Deployable)>, Deployable);

/// Everything the page shows, gathered by the report command.
pub struct Brief {
    /// "current state" or "state on 2026-10-01".
    pub as_of: String,
    pub generated: String,
    pub total: Figures,
    pub by_depot: Vec<Group>,
    /// Groups keyed (depot, category).
    pub by_depot_category: Vec<Group>,
    pub deployable: Vec<Window>,
    /// Groups keyed (depot, type) holding expired lots.
    pub expired: Vec<Group>,
    /// Groups keyed (depot, type) holding suspended lots (by condition
    /// code or a force-wide suspension).
    pub suspended: Vec<Group>,
    /// The ten worst depot × type pairs.
    pub worst: Vec<Group>,
    /// Force packages checked (`--packages DIR`), worst first.
    pub packages: Vec<crate::package::Evaluation>,
    /// Packages whose fill or times changed since each depot's previous
    /// snapshot.
    pub slips: Vec<crate::package::Slip>,
    /// Each depot's latest snapshot against the one before.
    pub changes: crate::changes::Comparison,
    /// What needs attention, one row per depot × kind.
    pub attention: Vec<crate::attention::DepotKind>,
    pub today: String,
    /// Depots and destinations at their positions (`--movement FILE`).
    pub map: Option<crate::map::Map>,
    /// The readiness policy the figures were judged by (SPEC §13).
    pub policy: crate::policy::InForce,
    /// The period MC rate of the last three calendar months (the last to
    /// the brief's date), oldest first: (month, days counted, item-days).
    pub rates: Vec<(String, i64, crate::trend::ItemDays)>,
    /// The MC rate on each snapshot date, and how many depots had reported
    /// by then: (date, rate, depots).
    pub trend: Vec<(String, Option<f64>, usize)>,
}

/// How many rows of each list the page shows (the full lists are a
/// command away: `changes --items`, `watch`).
const LISTED: usize = 10;

fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn pct(rate: Option<f64>) -> String {
    rate.map_or("–".into(), |r| format!("{:.1}%", r * 100.0))
}

fn level_class(level: Option<u8>) -> &'static str {
    match level {
        Some(1) => "l1",
        Some(2) => "l2",
        Some(3) => "l3",
        Some(_) => "l4",
        None => "",
    }
}

fn key(g: &Group, i: usize) -> String {
    g.keys
        .get(i)
        .cloned()
        .flatten()
        .unwrap_or_else(|| "(none)".into())
}

fn figures_row(out: &mut String, keys: &[String], f: &Figures) {
    out.push_str(if keys.first().is_some_and(|k| k == "TOTAL") {
        "<tr class=\"total\">"
    } else {
        "<tr>"
    });
    for k in keys {
        let _ = write!(out, "<th scope=\"row\">{}</th>", esc(k));
    }
    let level = f.level();
    let count = |q: i64, held: bool| if held { n(q) } else { "–".into() };
    let (items, rounds) = (f.on_hand() > 0, f.ammo_on_hand() > 0);
    let _ = write!(
        out,
        "<td>{}</td><td>{}</td><td>{}</td><td class=\"{}\">{}</td><td>{}</td><td>{}</td><td class=\"{}\">{}</td><td class=\"lvl {}\">{}</td><td class=\"ammo\">{}</td><td class=\"ammo\">{}</td><td class=\"ammo\">{}</td><td class=\"ammo\">{}</td></tr>",
        count(f.on_hand(), items),
        count(f.mc(), items),
        pct(f.mc_rate()),
        level_class(f.r_level()),
        f.r_level().map_or("–".into(), |l| format!("R{l}")),
        f.required.map_or("–".into(), n),
        pct(f.fill_rate()),
        level_class(f.s_level()),
        f.s_level().map_or("–".into(), |l| format!("S{l}")),
        level_class(level),
        level.map_or("–".into(), |l| l.to_string()),
        count(f.ammo_on_hand(), rounds),
        count(f.ammo_expired, rounds),
        count(f.ammo_suspended, rounds),
        pct(f.ammo_rate()),
    );
}

/// Depot × type groups with some of their rounds in one state (`rounds`),
/// against all they hold.
fn lots_table(
    out: &mut String,
    id: &str,
    label: &str,
    groups: &[Group],
    rounds: fn(&Figures) -> i64,
) {
    let _ = write!(
        out,
        "<table id=\"{id}\"><thead><tr><th>depot</th><th>type</th><th>{label}</th><th>of rounds held</th></tr></thead><tbody>"
    );
    // The most rounds first when the list is cut short.
    let mut listed: Vec<&Group> = groups.iter().collect();
    if listed.len() > LISTED {
        listed.sort_by_key(|g| std::cmp::Reverse(rounds(&g.figures)));
        listed.truncate(LISTED);
    }
    for g in &listed {
        let _ = write!(
            out,
            "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&key(g, 0)),
            esc(&key(g, 1)),
            n(rounds(&g.figures)),
            n(g.figures.ammo_on_hand())
        );
    }
    out.push_str("</tbody></table>");
    more(
        out,
        groups.len() - listed.len(),
        "depot × type pairs, with fewer rounds",
        "stockpile watch --items",
    );
}

/// Groups keyed by depot and a second key (`second` names it), with their
/// figures.
fn pairs_table(out: &mut String, id: &str, second: &str, groups: &[Group]) {
    let _ = write!(
        out,
        "<table id=\"{id}\"><thead><tr><th>depot</th><th>{second}</th>{HEAD}</tr></thead><tbody>"
    );
    for g in groups {
        figures_row(out, &[key(g, 0), key(g, 1)], &g.figures);
    }
    out.push_str("</tbody></table>");
}

/// Equipment (items) first, then ammunition (rounds) beside it, never in it.
const HEAD: &str = "<th>on hand</th><th>mc</th><th>mc rate</th><th>R</th><th>required</th><th>fill</th><th>S</th><th>level</th><th class=\"ammo\">rounds</th><th class=\"ammo\">expired</th><th class=\"ammo\">suspended</th><th class=\"ammo\">serviceable</th>";

/// A horizontal bar per depot: MC rate, coloured by R-level, with the 60,
/// 70 and 90 % thresholds drawn.
/// One bar of a chart: label, rate 0–1, CSS level class, value text.
struct Bar {
    label: String,
    rate: f64,
    class: &'static str,
    value: String,
}

/// A horizontal bar chart in inline SVG, with dashed lines at `ticks` %.
fn bar_chart(aria: &str, bars: &[Bar], label_w: usize, value_w: usize, ticks: &[usize]) -> String {
    let row_h = 22;
    let bar_w = 480;
    let axis = if ticks.is_empty() { 8 } else { 30 };
    let height = row_h * bars.len() + axis;
    let mut svg = format!(
        "<svg role=\"img\" aria-label=\"{}\" viewBox=\"0 0 {} {height}\" width=\"100%\">",
        esc(aria),
        label_w + bar_w + value_w
    );
    for &t in ticks {
        let x = label_w + bar_w * t / 100;
        let _ = write!(
            svg,
            "<line x1=\"{x}\" y1=\"0\" x2=\"{x}\" y2=\"{}\" class=\"th\"/><text x=\"{x}\" y=\"{}\" class=\"tick\">{t}%</text>",
            height - 18,
            height - 4
        );
    }
    // About 7 units a character at 12 px: a longer label is cut, and
    // named in full in its tooltip.
    let most = (label_w / 7).max(8);
    for (i, b) in bars.iter().enumerate() {
        let y = i * row_h;
        let label = match short_label(&b.label, most) {
            cut if cut != b.label => format!("{}<title>{}</title>", esc(&cut), esc(&b.label)),
            _ => esc(&b.label),
        };
        let w = (b.rate.clamp(0.0, 1.0) * bar_w as f64).round() as usize;
        let _ = write!(
            svg,
            "<text x=\"{}\" y=\"{}\" class=\"lab\">{}</text><rect x=\"{label_w}\" y=\"{}\" width=\"{w}\" height=\"{}\" class=\"bar {}\"/><text x=\"{}\" y=\"{}\" class=\"val\">{}</text>",
            label_w - 6,
            y + 15,
            label,
            y + 3,
            row_h - 6,
            b.class,
            label_w + w + 6,
            y + 15,
            esc(&b.value)
        );
    }
    svg.push_str("</svg>");
    svg
}

fn chart(groups: &[&Group], ticks: &[usize]) -> String {
    let bars: Vec<Bar> = groups
        .iter()
        .map(|g| Bar {
            label: key(g, 0),
            rate: g.figures.mc_rate().unwrap_or(0.0),
            class: level_class(g.figures.r_level()),
            value: pct(g.figures.mc_rate()),
        })
        .collect();
    bar_chart("MC rate by depot", &bars, 130, 70, ticks)
}

/// Depots at the lowest level first, then the lowest MC rate: where a
/// commander looks first.
fn worst_first(groups: &[Group]) -> Vec<&Group> {
    let mut sorted: Vec<&Group> = groups.iter().collect();
    sorted.sort_by(|a, b| {
        let rank = |g: &Group| g.figures.level().unwrap_or(0);
        rank(b)
            .cmp(&rank(a))
            .then(
                a.figures
                    .mc_rate()
                    .unwrap_or(1.0)
                    .total_cmp(&b.figures.mc_rate().unwrap_or(1.0)),
            )
            .then_with(|| key(a, 0).cmp(&key(b, 0)))
    });
    sorted
}

/// "… and N more …: COMMAND" under a list cut short.
fn more(out: &mut String, left: usize, what: &str, command: &str) {
    if left > 0 {
        let _ = write!(
            out,
            "<p class=\"more\">… and {} more {}: <code>{}</code> lists them all.</p>",
            n(left as i64),
            esc(what),
            esc(command)
        );
    }
}

/// Every depot's MC rate as a dot on one axis (dots of the same half
/// per cent stacked), coloured by R-level, the thresholds drawn: a force
/// of hundreds of depots in one strip, each named in its tooltip.
fn dot_plot(groups: &[Group], ticks: &[usize]) -> String {
    let (left, width, r) = (30usize, 600usize, 2usize);
    // Half a per cent a column; each depot's place in its column's stack.
    let mut stacks = [0usize; 201];
    let placed: Vec<(&Group, f64, usize, usize)> = groups
        .iter()
        .filter_map(|g| {
            let rate = g.figures.mc_rate()?;
            let bin = (rate.clamp(0.0, 1.0) * 200.0).floor() as usize;
            stacks[bin] += 1;
            Some((g, rate, bin, stacks[bin] - 1))
        })
        .collect();
    let tallest = stacks.iter().copied().max().unwrap_or(1).max(1);
    let base = tallest * 2 * r + 6;
    let height = base + 22;
    let mut svg = format!(
        "<svg role=\"img\" aria-label=\"MC rate of each of {} depots\" viewBox=\"0 0 {} {height}\" width=\"100%\" id=\"dots\">",
        groups.len(),
        left + width + 40
    );
    for &t in ticks.iter().chain(&[0, 100]) {
        let x = left + width * t / 100 + r;
        let _ = write!(
            svg,
            "<line x1=\"{x}\" y1=\"0\" x2=\"{x}\" y2=\"{base}\" class=\"th\"/><text x=\"{x}\" y=\"{}\" class=\"tick\">{t}%</text>",
            base + 16
        );
    }
    for (g, rate, bin, level) in placed {
        let _ = write!(
            svg,
            "<circle cx=\"{}\" cy=\"{}\" r=\"{r}\" class=\"bar {}\"><title>{} {}</title></circle>",
            left + width * bin / 200 + r,
            base - r - level * 2 * r,
            level_class(g.figures.r_level()),
            esc(&key(g, 0)),
            pct_text(rate)
        );
    }
    svg.push_str("</svg>");
    svg
}

/// The MC rate on each snapshot date as a line, the R-level thresholds
/// drawn; a date on which not every depot had reported yet is a hollow
/// point (its rate stands on fewer depots), each named in its tooltip.
fn trend_line(points: &[(String, Option<f64>, usize)], ticks: &[usize]) -> String {
    let (left, width, height, top) = (40usize, 600usize, 80usize, 8usize);
    let most = points.iter().map(|p| p.2).max().unwrap_or(0);
    // The axis from the lowest threshold (or rate) down to the next 10 %.
    let low = points
        .iter()
        .filter_map(|p| p.1)
        .map(|r| r * 100.0)
        .chain(ticks.iter().map(|&t| t as f64))
        .fold(100.0, f64::min);
    let floor = ((low / 10.0).floor() * 10.0).max(0.0);
    let y = |pct: f64| top + ((100.0 - pct) / (100.0 - floor) * height as f64).round() as usize;
    let x = |i: usize| left + width * i / (points.len() - 1).max(1);
    let mut svg = format!(
        "<svg role=\"img\" aria-label=\"MC rate on each of {} snapshot dates\" viewBox=\"0 0 {} {}\" width=\"100%\" id=\"trend\">",
        points.len(),
        left + width + 40,
        top + height + 24
    );
    let mut lines: Vec<f64> = ticks
        .iter()
        .map(|&t| t as f64)
        .chain([floor, 100.0])
        .collect();
    lines.sort_by(f64::total_cmp);
    lines.dedup();
    for t in lines {
        let _ = write!(
            svg,
            "<line x1=\"{left}\" y1=\"{0}\" x2=\"{1}\" y2=\"{0}\" class=\"th\"/><text x=\"{2}\" y=\"{3}\" class=\"lab\">{t}%</text>",
            y(t),
            left + width,
            left - 4,
            y(t) + 4
        );
    }
    let path: Vec<String> = points
        .iter()
        .enumerate()
        .filter_map(|(i, p)| p.1.map(|r| format!("{},{}", x(i), y(r * 100.0))))
        .collect();
    let _ = write!(
        svg,
        "<polyline points=\"{}\" class=\"step\"/>",
        path.join(" ")
    );
    for (i, (day, rate, depots)) in points.iter().enumerate() {
        let Some(r) = rate else { continue };
        let _ = write!(
            svg,
            "<circle cx=\"{}\" cy=\"{}\" r=\"3\" class=\"{}\"><title>{} · {} · {} of {} depots reported</title></circle>",
            x(i),
            y(r * 100.0),
            if *depots < most {
                "partial"
            } else {
                "step-point"
            },
            esc(day),
            pct_text(*r),
            depots,
            most
        );
    }
    for i in [0, points.len() - 1] {
        let _ = write!(
            svg,
            "<text x=\"{}\" y=\"{}\" class=\"tick\">{}</text>",
            x(i),
            top + height + 18,
            esc(&points[i].0)
        );
    }
    svg.push_str("</svg>");
    if points.iter().any(|p| p.2 < most) {
        svg.push_str("<p class=\"more\">Hollow points: dates on which not every depot had reported yet; their rate stands on fewer depots.</p>");
    }
    svg
}

fn pct_text(rate: f64) -> String {
    format!("{:.1}%", rate * 100.0)
}

/// The lowest depots against every category: MC rate of the items (the
/// serviceable share of the rounds for ammunition), coloured by level —
/// where readiness is poor, and of what, on one screen.
fn heat_map(out: &mut String, depots: &[&Group], by_depot_category: &[Group]) {
    let mut categories: Vec<String> = by_depot_category.iter().map(|g| key(g, 1)).collect();
    categories.sort();
    categories.dedup();
    let _ = write!(
        out,
        "<section><h2>The {} lowest depots by category</h2><table id=\"heat\"><thead><tr><th>depot</th>",
        depots.len()
    );
    for c in &categories {
        let _ = write!(out, "<th>{}</th>", esc(c));
    }
    out.push_str("</tr></thead><tbody>");
    for d in depots {
        let depot = key(d, 0);
        let _ = write!(out, "<tr><th scope=\"row\">{}</th>", esc(&depot));
        for c in &categories {
            let cell = by_depot_category
                .iter()
                .find(|g| key(g, 0) == depot && &key(g, 1) == c);
            match cell {
                Some(g) if g.figures.mc_rate().is_some() => {
                    let _ = write!(
                        out,
                        "<td class=\"h {}\">{}</td>",
                        level_class(g.figures.r_level()),
                        pct(g.figures.mc_rate())
                    );
                }
                Some(g) if g.figures.ammo_rate().is_some() => {
                    let _ = write!(out, "<td class=\"h\">{}</td>", pct(g.figures.ammo_rate()));
                }
                _ => out.push_str("<td class=\"h\">–</td>"),
            }
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table><p>Items' MC rate, coloured by R-level; for ammunition the serviceable share of the rounds. <code>stockpile report --by depot,category</code> lists every depot.</p></section>\n");
}

/// A label cut to `most` characters with an ellipsis, so a long name
/// does not run off the chart (the list beneath names it in full).
fn short_label(text: &str, most: usize) -> String {
    if text.chars().count() <= most {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(most - 1).collect();
    cut.push('…');
    cut
}

/// Each package's fill as a bar, worst first, with its ready time.
fn package_chart(packages: &[crate::package::Evaluation]) -> String {
    let bars: Vec<Bar> = packages
        .iter()
        .map(|p| {
            let fill = p.fill_rate();
            let ready = match (p.ready_within_hours(), p.complete_hours, &p.destination) {
                (Some(h), _, None) => format!("ready in {h} h"),
                (Some(h), _, Some(d)) => format!("closes on {d} in {h} h"),
                (None, Some(h), None) => {
                    format!("short within {} h, complete at {h} h", p.within_hours)
                }
                (None, Some(h), Some(d)) => {
                    format!("short within {} h, closes on {d} at {h} h", p.within_hours)
                }
                (None, None, _) => format!("short within {} h", p.within_hours),
            };
            Bar {
                label: p.name.clone(),
                rate: fill,
                class: match fill {
                    _ if p.complete() => "l1",
                    f if f >= 0.8 => "l2",
                    f if f >= 0.65 => "l3",
                    _ => "l4",
                },
                value: format!("{} · {ready}", pct(Some(fill))),
            }
        })
        .collect();
    bar_chart("Package fill", &bars, 230, 190, &[])
}

/// A package's fill against hours (SPEC §11's time-phased view): each
/// phase's best, held until the next, with the window and the closure
/// marked. Fill is the weakest line's, as everywhere.
fn closure_chart(p: &crate::package::Evaluation) -> String {
    let fill = |lines: &[i64]| p.fill_of(lines).clamp(0.0, 1.0);
    let mut points: Vec<(u32, f64)> = p.phases.iter().map(|(h, l)| (*h, fill(l))).collect();
    // The closure is a point of the curve too: complete from then on.
    if let Some(c) = p.complete_hours {
        points.push((c, 1.0));
        points.sort_by_key(|q| q.0);
        points.dedup_by_key(|q| q.0);
    }
    if points.is_empty() {
        return String::new();
    }
    let last = points.last().map_or(0, |q| q.0);
    let end = last.max(p.within_hours).max(p.complete_hours.unwrap_or(0)) as f64 * 1.08;
    let (left, top, w, h) = (44.0, 10.0, 600.0, 150.0);
    let x = |hours: f64| left + w * hours / end;
    let y = |rate: f64| top + h * (1.0 - rate);
    let mut svg = format!(
        "<svg role=\"img\" aria-label=\"{} closure\" viewBox=\"0 0 {} {}\" width=\"100%\" class=\"closure\">",
        esc(&p.name),
        left + w + 80.0,
        top + h + 34.0
    );
    for t in [0.0, 0.5, 1.0] {
        let _ = write!(
            svg,
            "<line x1=\"{left}\" y1=\"{y0:.1}\" x2=\"{x1:.1}\" y2=\"{y0:.1}\" class=\"grid\"/><text x=\"{lx}\" y=\"{ly:.1}\" class=\"lab\">{pc:.0}%</text>",
            y0 = y(t),
            x1 = left + w,
            lx = left - 6.0,
            ly = y(t) + 4.0,
            pc = t * 100.0
        );
    }
    // The step: flat from each time to the next, then up (or down, when a
    // lot expires in between).
    let mut d = String::new();
    for (i, &(hours, rate)) in points.iter().enumerate() {
        let (px, py) = (x(hours as f64), y(rate));
        if i == 0 {
            let _ = write!(d, "M{px:.1},{py:.1}");
        } else {
            let _ = write!(d, "H{px:.1}V{py:.1}");
        }
    }
    let _ = write!(d, "H{:.1}", left + w);
    let _ = write!(svg, "<path d=\"{d}\" class=\"step\"/>");
    // Hour labels under the axis, none crowding the one before or the
    // closure's own mark.
    let mut labelled: Vec<f64> = p.complete_hours.map(|c| x(c as f64)).into_iter().collect();
    for &(hours, rate) in &points {
        let px = x(hours as f64);
        let crowded = labelled.iter().any(|&q| (q - px).abs() < 22.0);
        if !crowded {
            labelled.push(px);
        }
        let _ = write!(
            svg,
            "<circle cx=\"{px:.1}\" cy=\"{:.1}\" r=\"3\" class=\"step-point\"><title>{hours} h: {}</title></circle>",
            y(rate),
            pct(Some(rate)),
        );
        if !crowded {
            let _ = write!(
                svg,
                "<text x=\"{px:.1}\" y=\"{}\" class=\"tick\">{hours}</text>",
                top + h + 14.0
            );
        }
    }
    // The window's label at the top, the closure's below it (they may
    // stand close together), each hour under the axis.
    let mark = |svg: &mut String, hours: u32, class: &str, label: &str, row: f64| {
        let mx = x(hours as f64);
        let _ = write!(
            svg,
            "<line x1=\"{mx:.1}\" y1=\"{top}\" x2=\"{mx:.1}\" y2=\"{}\" class=\"{class}\"/><text x=\"{:.1}\" y=\"{}\" class=\"mark\">{}</text>",
            top + h,
            mx + 3.0,
            top + 10.0 + row * 14.0,
            esc(label)
        );
    };
    mark(
        &mut svg,
        p.within_hours,
        "window",
        &format!("window {} h", p.within_hours),
        0.0,
    );
    if let Some(c) = p.complete_hours {
        let what = if p.destination.is_some() {
            "closes"
        } else {
            "complete"
        };
        mark(&mut svg, c, "closes", &format!("{what} {c} h"), 1.0);
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{}\" class=\"tick\">{c}</text>",
            x(c as f64),
            top + h + 14.0
        );
    }
    let _ = write!(
        svg,
        "<text x=\"{}\" y=\"{}\" class=\"tick\">hours after the order to move</text></svg>",
        left + w / 2.0,
        top + h + 30.0
    );
    svg
}

/// What can move of one category within one window: items of items, and
/// rounds of rounds, never summed.
fn deployable_cell(within: &Deployable, all: &Deployable) -> String {
    let mut parts = Vec::new();
    if all.mc > 0 {
        parts.push(format!(
            "{} <small>of {}</small>",
            n(within.deployable),
            n(all.mc)
        ));
    }
    if all.ammo_serviceable > 0 {
        parts.push(format!(
            "{} <small>of {} rounds</small>",
            n(within.ammo_deployable),
            n(all.ammo_serviceable)
        ));
    }
    if parts.is_empty() {
        "–".into()
    } else {
        parts.join("<br>")
    }
}

fn rate(mc: i64, on_hand: i64) -> String {
    pct((on_hand > 0).then(|| mc as f64 / on_hand as f64))
}

/// A capped list of items with a heading: depot, type, serial or lot, and
/// a detail.
fn item_list(out: &mut String, id: &str, title: &str, items: &[(String, String, String, String)]) {
    if items.is_empty() {
        return;
    }
    let _ = write!(
        out,
        "<h3>{title} ({})</h3><table id=\"{id}\"><thead><tr><th>depot</th><th>type</th><th>serial or lot</th><th>what</th></tr></thead><tbody>",
        items.len()
    );
    for (depot, ty, what, detail) in items.iter().take(LISTED) {
        let _ = write!(
            out,
            "<tr><th scope=\"row\">{}</th><td class=\"t\">{}</td><td class=\"t\">{}</td><td class=\"t\">{}</td></tr>",
            esc(depot),
            esc(ty),
            esc(what),
            esc(detail)
        );
    }
    out.push_str("</tbody></table>");
    if items.len() > LISTED {
        let _ = write!(
            out,
            "<p>… and {} more: <code>stockpile changes --items</code></p>",
            items.len() - LISTED
        );
    }
}

/// What a commander reads first: serials no depot reports any more, moves
/// between depots, packages that slipped; then per depot Δ on hand, Δ MC
/// and the MC rate on both dates, and the items that went down since.
fn since_last_snapshot(
    out: &mut String,
    c: &crate::changes::Comparison,
    slips: &[crate::package::Slip],
) {
    use crate::changes::Change;
    out.push_str("<section><h2>Since the last snapshot</h2>");
    let lost: Vec<_> = c
        .items
        .iter()
        .filter(|i| i.change == Change::Departed && i.note.is_some())
        .map(|i| {
            (
                i.depot.clone(),
                i.type_code.clone(),
                i.serial.clone().unwrap_or_default(),
                "reported by no depot since: possibly lost or miscounted".to_string(),
            )
        })
        .collect();
    item_list(out, "lost", "Serials no depot reports any more", &lost);
    let moved: Vec<_> = c
        .items
        .iter()
        .filter(|i| i.change == Change::MovedOut)
        .map(|i| {
            let to = match &i.to {
                Some(crate::changes::Side::Text(t)) => t.clone(),
                _ => String::new(),
            };
            (
                i.depot.clone(),
                i.type_code.clone(),
                i.serial.clone().unwrap_or_default(),
                format!("moved to {to}"),
            )
        })
        .collect();
    item_list(out, "moved", "Moved between depots", &moved);
    if !slips.is_empty() {
        let _ = write!(
            out,
            "<h3>Packages that changed ({})</h3><ul id=\"slipped\">",
            slips.len()
        );
        for s in slips {
            let _ = write!(
                out,
                "<li{}><b>{}</b>: {} → {} · {}</li>",
                if s.worse() { " class=\"l4\"" } else { "" },
                esc(&s.to.name),
                esc(&s.from.verdict()),
                esc(&s.to.verdict()),
                esc(&s.because())
            );
        }
        out.push_str("</ul>");
    }
    out.push_str("<table id=\"changes\"><thead><tr><th>depot</th><th>from</th><th>to</th><th>Δ on hand</th><th>Δ MC</th><th>MC rate</th><th>newly NMC</th><th>back in service</th><th class=\"ammo\">Δ rounds</th><th class=\"ammo\">Δ serviceable</th></tr></thead><tbody>");
    // At a force's scale, the depots whose MC moved most, down first.
    let mut depots: Vec<&crate::changes::DepotChange> = c.depots.iter().collect();
    if depots.len() > LISTED {
        depots.sort_by_key(|d| d.from.as_ref().map_or(i64::MAX, |f| d.to.mc - f.mc));
        depots.truncate(LISTED);
    }
    for d in &depots {
        let _ = write!(out, "<tr><th scope=\"row\">{}</th>", esc(&d.depot));
        match &d.from {
            Some(f) => {
                let _ = write!(
                    out,
                    "<td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{} → {}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    crate::model::iso(f.as_of),
                    crate::model::iso(d.to.as_of),
                    signed(d.to.on_hand - f.on_hand),
                    signed(d.to.mc - f.mc),
                    rate(f.mc, f.on_hand),
                    rate(d.to.mc, d.to.on_hand),
                    d.count(Change::BecameNmc),
                    d.count(Change::ReturnedToMc),
                    signed(d.to.ammo_on_hand - f.ammo_on_hand),
                    signed(d.to.ammo_serviceable - f.ammo_serviceable)
                );
            }
            None => {
                let _ = write!(
                    out,
                    "<td>–</td><td>{}</td><td colspan=\"8\">one snapshot only: nothing to compare</td></tr>",
                    crate::model::iso(d.to.as_of)
                );
            }
        }
    }
    out.push_str("</tbody></table>");
    more(
        out,
        c.depots.len() - depots.len(),
        "depots, whose MC moved less",
        "stockpile changes",
    );
    let down: Vec<&crate::changes::Item> = c
        .items
        .iter()
        .filter(|i| i.change == Change::BecameNmc)
        .collect();
    if down.is_empty() {
        out.push_str("<p>Nothing became not mission capable.</p>");
    } else {
        let _ = write!(
            out,
            "<h3>Newly not mission capable ({})</h3><table id=\"became-nmc\"><thead><tr><th>depot</th><th>type</th><th>serial or lot</th><th>was</th><th>now</th></tr></thead><tbody>",
            down.len()
        );
        let side = |s: &Option<crate::changes::Side>| match s {
            Some(crate::changes::Side::Text(t)) => esc(t),
            Some(crate::changes::Side::Quantity(q)) => n(*q),
            None => "–".into(),
        };
        for i in down.iter().take(LISTED) {
            let _ = write!(
                out,
                "<tr><th scope=\"row\">{}</th><td class=\"t\">{}</td><td class=\"t\">{}</td><td class=\"t\">{}</td><td class=\"t\">{}</td></tr>",
                esc(&i.depot),
                esc(&i.type_code),
                esc(i.serial.as_deref().or(i.lot.as_deref()).unwrap_or("–")),
                side(&i.from),
                side(&i.to)
            );
        }
        out.push_str("</tbody></table>");
        if down.len() > LISTED {
            let _ = write!(
                out,
                "<p>… and {} more: <code>stockpile changes --items</code></p>",
                down.len() - LISTED
            );
        }
    }
    out.push_str("</section>\n");
}

/// Stale depots, expired and expiring lots, overdue inspections.
fn attention(out: &mut String, groups: &[crate::attention::DepotKind], today: &str) {
    use crate::attention::Kind;
    let _ = write!(
        out,
        "<section><h2>Needs attention</h2><p>Judged on {}.</p>",
        esc(today)
    );
    if groups.is_empty() {
        out.push_str("<p>Nothing needs attention.</p></section>\n");
        return;
    }
    for (kind, title, date_label, days_label) in [
        (
            Kind::StaleDepot,
            "Depots not reporting",
            "latest snapshot",
            "days since",
        ),
        (
            Kind::Suspended,
            "Suspended lots (condition code or force-wide suspension)",
            "since",
            "days",
        ),
        (Kind::Expired, "Expired lots", "expired", "days past"),
        (Kind::Expiring, "Lots expiring soon", "expires", "days left"),
        (
            Kind::TestOverdue,
            "Surveillance tests overdue",
            "test due",
            "days past",
        ),
        (
            Kind::InspectionOverdue,
            "Inspections overdue",
            "last inspected",
            "days since",
        ),
    ] {
        // One row per depot, worst first, as `watch` prints them: a force
        // of 200 depots reads on one page.
        let list: Vec<&crate::attention::DepotKind> =
            groups.iter().filter(|g| g.kind == kind).collect();
        if list.is_empty() {
            continue;
        }
        let items: i64 = list.iter().map(|g| g.items).sum();
        let _ = write!(
            out,
            "<h3>{title} ({})</h3><table id=\"{}\"><thead><tr><th>depot</th><th>items</th><th>quantity</th><th>{date_label} (worst)</th><th>{days_label}</th></tr></thead><tbody>",
            n(items),
            kind.as_str()
        );
        for g in list.iter().take(LISTED) {
            let _ = write!(
                out,
                "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&g.depot),
                n(g.items),
                g.quantity.map_or("–".into(), n),
                g.worst
                    .map_or("never".into(), |(d, _)| crate::model::iso(d)),
                g.worst.map_or("–".into(), |(_, d)| d.to_string())
            );
        }
        out.push_str("</tbody></table>");
        if list.len() > LISTED {
            let _ = write!(
                out,
                "<p>… and {} more depots: <code>stockpile watch</code></p>",
                list.len() - LISTED
            );
        }
    }
    out.push_str("<p>Every lot, serial and depot: <code>stockpile watch --items</code>.</p>");
    out.push_str("</section>\n");
}

pub fn render(b: &Brief) -> String {
    let mut out = String::with_capacity(64 * 1024);
    let t = &b.total;
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>Stockpile readiness — {as_of}</title>\n<style>{CSS}</style></head><body>\n\
         <header><h1>Stockpile readiness</h1><p>{as_of} · generated {generated} by stockpile</p></header>\n\
         <section class=\"headline\">\
         <div class=\"card lvl {lc}\"><span>overall level</span><b id=\"level\">{level}</b></div>\
         <div class=\"card {rc}\"><span>MC rate</span><b id=\"mc-rate\">{mc_rate}</b><small>{r}</small></div>\
         <div class=\"card {sc}\"><span>fill</span><b id=\"fill-rate\">{fill}</b><small>{s}</small></div>\
         <div class=\"card\"><span>equipment on hand</span><b id=\"on-hand\">{on_hand}</b><small>mission capable <span id=\"mc\">{mc}</span></small></div>\
         <div class=\"card\"><span>ammunition, rounds</span><b id=\"ammo-on-hand\">{ammo}</b><small>serviceable <span id=\"ammo-serviceable\">{serviceable}</span> · expired <span id=\"expired\">{expired}</span> · suspended <span id=\"ammo-suspended\">{suspended}</span></small></div>\
         {period}\
         </section>\n",
        as_of = esc(&b.as_of),
        generated = esc(&b.generated),
        CSS = CSS,
        lc = level_class(t.level()),
        level = t.level().map_or("–".into(), |l| l.to_string()),
        rc = level_class(t.r_level()),
        mc_rate = pct(t.mc_rate()),
        r = t.r_level().map_or(String::new(), |l| format!("R{l}")),
        sc = level_class(t.s_level()),
        fill = pct(t.fill_rate()),
        s = t
            .s_level()
            .map_or("no requirements loaded".into(), |l| format!("S{l}")),
        on_hand = n(t.on_hand()),
        mc = n(t.mc()),
        ammo = n(t.ammo_on_hand()),
        serviceable = n(t.ammo_serviceable),
        expired = n(t.ammo_expired),
        suspended = n(t.ammo_suspended),
        period = period_card(b),
    );

    if let Some(map) = &b.map {
        let dests: Vec<&str> = map.destinations.iter().map(|d| d.code.as_str()).collect();
        let title = if dests.is_empty() {
            "Depots".to_string()
        } else {
            format!("Depots and the way to {}", dests.join(", "))
        };
        let _ = writeln!(
            out,
            "<section id=\"map\"><h2>{}</h2>{}{}</section>",
            esc(&title),
            crate::map::svg(map),
            crate::map::legend(map)
        );
    }

    let ticks = b.policy.policy.r_levels.map(usize::from);
    let worst = worst_first(&b.by_depot);
    out.push_str("<section><h2>MC rate by depot</h2>");
    if b.by_depot.len() > LISTED {
        // A force's depots: every one as a dot on one axis, then the
        // lowest by name.
        // (The lowest are named in the table below.)
        out.push_str(&dot_plot(&b.by_depot, &ticks));
    } else {
        out.push_str(&chart(&worst, &ticks));
    }
    out.push_str("</section>\n");

    if b.trend.len() > 1 {
        out.push_str("<section><h2>MC rate over time</h2>");
        out.push_str(&trend_line(&b.trend, &ticks));
        out.push_str("</section>\n");
    }

    let _ = write!(
        out,
        "<section><h2>Readiness by depot</h2><table id=\"by-depot\"><thead><tr><th>depot</th>{HEAD}</tr></thead><tbody>"
    );
    let listed = &worst[..worst.len().min(LISTED)];
    for g in listed {
        figures_row(&mut out, &[key(g, 0)], &g.figures);
    }
    figures_row(&mut out, &["TOTAL".into()], t);
    out.push_str("</tbody></table>");
    more(
        &mut out,
        b.by_depot.len() - listed.len(),
        "depots, at a better level or MC rate",
        "stockpile report",
    );
    out.push_str("</section>\n");

    since_last_snapshot(&mut out, &b.changes, &b.slips);
    attention(&mut out, &b.attention, &b.today);

    if !b.packages.is_empty() {
        out.push_str("<section><h2>Force packages</h2>");
        out.push_str(&package_chart(&b.packages));
        out.push_str("<ul id=\"packages\">");
        for p in &b.packages {
            let _ = write!(
                out,
                "<li><b>{}</b>: {}</li>",
                esc(&p.name),
                esc(&p.verdict())
            );
        }
        out.push_str("</ul>");
        for p in b.packages.iter().filter(|p| !p.phases.is_empty()) {
            let by = match &p.destination {
                Some(d) => format!("arrived at {d}"),
                None => "issued at the gates".into(),
            };
            let _ = write!(
                out,
                "<h3>{}: fill {by} (its weakest line), by hour</h3>{}",
                esc(&p.name),
                closure_chart(p)
            );
        }
        out.push_str("</section>\n");
    }

    if b.by_depot.len() > LISTED {
        heat_map(&mut out, &worst[..LISTED], &b.by_depot_category);
    } else {
        out.push_str("<section class=\"page\"><h2>By depot and category</h2>");
        pairs_table(
            &mut out,
            "by-depot-category",
            "category",
            &b.by_depot_category,
        );
        out.push_str("</section>\n");
    }

    out.push_str(
        "<section><h2>Deployable</h2><table id=\"deployable\"><thead><tr><th>category</th>",
    );
    for (label, _, _) in &b.deployable {
        let _ = write!(out, "<th>{}</th>", esc(label));
    }
    out.push_str("</tr></thead><tbody>");
    if let Some((_, first, _)) = b.deployable.first() {
        for (i, (category, d)) in first.iter().enumerate() {
            let _ = write!(
                out,
                "<tr><th scope=\"row\">{}</th>",
                esc(category.as_deref().unwrap_or("(none)"))
            );
            for (_, rows, _) in &b.deployable {
                let v = rows.get(i).map_or(Deployable::default(), |r| r.1);
                let _ = write!(out, "<td>{}</td>", deployable_cell(&v, d));
            }
            out.push_str("</tr>");
        }
        out.push_str("<tr class=\"total\"><th scope=\"row\">TOTAL</th>");
        for (_, _, total) in &b.deployable {
            let _ = write!(out, "<td>{}</td>", deployable_cell(total, total));
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table></section>\n");

    out.push_str("<section><h2>Expired ammunition</h2>");
    if b.expired.is_empty() {
        out.push_str("<p>No expired lots.</p>");
    } else {
        lots_table(&mut out, "expired", "rounds expired", &b.expired, |f| {
            f.ammo_expired
        });
    }
    out.push_str("</section>\n");

    if !b.suspended.is_empty() {
        out.push_str("<section><h2>Suspended ammunition</h2>");
        lots_table(
            &mut out,
            "suspended-lots",
            "rounds suspended",
            &b.suspended,
            |f| f.ammo_suspended,
        );
        out.push_str("<p>By the depots' condition codes J–N and the force-wide suspensions in force (<code>stockpile suspensions</code>).</p></section>\n");
    }

    out.push_str("<section><h2>Worst ten depot × type pairs</h2><p>The lowest level first, then the most items not mission capable.</p>");
    pairs_table(&mut out, "worst", "type", &b.worst);
    out.push_str("</section>\n");
    let p = &b.policy.policy;
    let _ = write!(
        out,
        "<footer><p>Levels: R1 MC rate ≥ {} %, R2 ≥ {} %, R3 ≥ {} %, R4 below · S1 fill ≥ {} %, S2 ≥ {} %, S3 ≥ {} %, S4 below · overall: the worse of the two.</p><p id=\"policy\">{}</p></footer>\n</body></html>\n",
        p.r_levels[0],
        p.r_levels[1],
        p.r_levels[2],
        p.s_levels[0],
        p.s_levels[1],
        p.s_levels[2],
        esc(&b.policy.line())
    );
    out
}

/// The period MC rate of the last three months beside today's: what the
/// monthly readiness report gives (item-days mission capable over
/// item-days possessed, SPEC §13), so a day's figure is read against the
/// month's.
fn period_card(b: &Brief) -> String {
    let shown: Vec<String> = b
        .rates
        .iter()
        .filter(|(_, _, d)| d.possessed > 0)
        .map(|(month, days, d)| {
            let rate = crate::readiness::ratio(d.mc, d.possessed);
            format!(
                "{month}{}: <span class=\"{}\">{}</span>",
                if *days < 28 {
                    format!(" ({days} d)")
                } else {
                    String::new()
                },
                level_class(crate::readiness::level(
                    d.mc,
                    d.possessed,
                    b.policy.policy.r_levels
                )),
                pct(rate)
            )
        })
        .collect();
    if shown.is_empty() {
        return String::new();
    }
    format!(
        "<div class=\"card\" id=\"period-rates\"><span>MC rate by month</span><small>{}</small></div>",
        shown.join("<br>")
    )
}

const CSS: &str = "\
body{font:14px/1.4 system-ui,-apple-system,'Segoe UI',sans-serif;color:#1b1f24;margin:2rem auto;max-width:1000px;padding:0 1rem}\
h1{margin:0;font-size:1.6rem}h3{font-size:1rem;margin:1rem 0 .3rem}h2{font-size:1.15rem;margin:1.6rem 0 .5rem;border-bottom:1px solid #ccd;padding-bottom:.2rem}\
header p{color:#555;margin:.2rem 0 1rem}\
.headline{display:flex;gap:.8rem;flex-wrap:wrap}.card{border:1px solid #ccd;border-radius:6px;padding:.6rem 1rem;min-width:150px}\
.card>span{display:block;color:#555;font-size:.8rem;text-transform:uppercase}.card b{font-size:1.6rem}.card small{display:block;color:#555}\
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}th,td{padding:.25rem .5rem;border-bottom:1px solid #e3e6ea;text-align:right}\
th:first-child,thead th,th[scope=row],td.t{text-align:left}thead th{background:#f3f5f7}tr.total th,tr.total td{font-weight:600;border-top:2px solid #8c959f}\
.l1{color:#1a7f37}.l2{color:#9a6700}.l3{color:#bc4c00}.l4{color:#cf222e}.lvl{font-weight:700}\
.bar.l1{fill:#2da44e}.bar.l2{fill:#d4a72c}.bar.l3{fill:#e16f24}.bar.l4{fill:#cf222e}.bar{fill:#8c959f}\
.lab{text-anchor:end;font-size:12px}.val{font-size:12px}.tick{font-size:10px;text-anchor:middle;fill:#555}.th{stroke:#999;stroke-dasharray:3 3}\
.sea{fill:#eef3f8}.land{fill:#fbfbf8;stroke:#9aa5b1;stroke-width:.6;stroke-linejoin:round}\
.pin{fill:#8c959f;fill-opacity:.85;stroke:#fff;stroke-width:1.2}.pin.l1{fill:#2da44e}.pin.l2{fill:#d4a72c}.pin.l3{fill:#e16f24}.pin.l4{fill:#cf222e}\
.name{font-size:12px;paint-order:stroke;stroke:#fff;stroke-width:3px}.dest{fill:#1b1f24}.dest-name{font-weight:700}\
.leg{stroke:#6e8bb0;stroke-width:1.4;fill:none}.leg.estimate{stroke-dasharray:6 4}.leg.used{stroke:#1f4e8c;stroke-width:3}.hours{font-size:11px;fill:#1f4e8c;paint-order:stroke;stroke:#fff;stroke-width:3px}.legend{color:#555;font-size:.85rem}.legend svg{vertical-align:middle}\
.partial{fill:#fff;stroke:#1f4e8c;stroke-width:1.5}.grid{stroke:#e3e6ea}.step{fill:none;stroke:#1f4e8c;stroke-width:2.2}.step-point{fill:#1f4e8c}.window{stroke:#9a6700;stroke-dasharray:4 3}.closes{stroke:#1a7f37}.mark{font-size:11px;fill:#333}\
th[scope=row],#changes td{white-space:nowrap}td.h{text-align:center}td.h.l1{background:#dafbe1;color:#1a7f37}td.h.l2{background:#fff8c5;color:#7d4e00}td.h.l3{background:#fff1e5;color:#bc4c00}td.h.l4{background:#ffebe9;color:#cf222e}.more{color:#555;font-size:.9rem}\
footer{margin-top:2rem;color:#555;font-size:.85rem}\
@media (max-width:700px){body{margin:1rem auto}table{display:block;overflow-x:auto;white-space:nowrap}svg{max-width:100%;height:auto}}\
@page{margin:10mm}\
@media print{body{margin:0;max-width:none;font-size:10px;line-height:1.3}h2{margin:1rem 0 .3rem}th,td{padding:.1rem .4rem}.page{break-before:page}tr,svg,.headline,ul{break-inside:avoid}thead{display:table-header-group}h2,h3{break-after:avoid}}";
