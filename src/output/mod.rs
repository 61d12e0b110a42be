//! Renders every command's figures as a table for people, CSV or JSON
//! (SPEC §5). Commands build a [`Report`]; nothing else formats output.

use std::io::{self, Write};

use crossterm::style::Color;
use serde_json::{Map, Value as Json};

use draw::{Align, Cell};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

mod draw;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Csv,
    Json,
}

/// How a table looks on this terminal.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub color: bool,
    pub width: Option<u16>,
}

/// Whether to colour a stream under `--color auto`: a terminal that is not
/// `TERM=dumb`, and no `NO_COLOR` (https://no-color.org).
pub fn auto_color(tty: bool) -> bool {
    color_for(
        tty,
        std::env::var_os("NO_COLOR").as_deref(),
        std::env::var("TERM").ok().as_deref(),
    )
}

fn color_for(tty: bool, no_color: Option<&std::ffi::OsStr>, term: Option<&str>) -> bool {
    tty && no_color.is_none_or(|v| v.is_empty()) && term != Some("dumb")
}

/// `error:` or `warning:` as cargo prints them: bold red, bold yellow.
pub fn label(word: &str, color: bool) -> String {
    match (color, word) {
        (true, "error") => "\x1b[1;31merror\x1b[0m:".into(),
        (true, "warning") => "\x1b[1;33mwarning\x1b[0m:".into(),
        _ => format!("{word}:"),
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    /// Any other number, shown as it is.
    Real(f64),
    /// A fraction 0–1, shown as a percentage in tables.
    Rate(f64),
    /// A rate that tables also draw as a bar, so weak rows show at a glance.
    RateBar(f64),
    Text(String),
    RLevel(u8),
    SLevel(u8),
    Level(u8),
    /// A quantity missing: red on a colour terminal when above zero.
    Shortfall(i64),
    /// A change: shown with its sign in tables (+3, −5, 0).
    Delta(i64),
    /// Nothing to show here (a source row under its line); null in JSON.
    Blank,
    /// A count of a kind the row holds none of (equipment figures of a row
    /// of rounds alone): 0 in CSV and JSON, – in a table.
    Absent(i64),
    /// Yes or no: a boolean to a program.
    Bool(bool),
    /// Text a table never cuts short (depot and type codes in a column of
    /// names).
    Code(String),
}

impl From<Option<String>> for Value {
    fn from(v: Option<String>) -> Self {
        v.map_or(Value::Null, Value::Text)
    }
}

impl Value {
    fn json(&self) -> Json {
        match self {
            Value::Null => Json::Null,
            Value::Int(i) => Json::from(*i),
            Value::Real(r) => serde_json::Number::from_f64(*r).map_or(Json::Null, Json::Number),
            Value::Rate(r) | Value::RateBar(r) => {
                serde_json::Number::from_f64(*r).map_or(Json::Null, Json::Number)
            }
            Value::Text(s) | Value::Code(s) => Json::from(s.as_str()),
            Value::RLevel(l) => Json::from(format!("R{l}")),
            Value::SLevel(l) => Json::from(format!("S{l}")),
            Value::Level(l) => Json::from(*l),
            Value::Shortfall(n) | Value::Delta(n) | Value::Absent(n) => Json::from(*n),
            Value::Blank => Json::Null,
            Value::Bool(b) => Json::Bool(*b),
        }
    }

    fn plain(&self) -> String {
        match self {
            Value::Null | Value::Blank => String::new(),
            Value::Int(i) | Value::Shortfall(i) | Value::Delta(i) | Value::Absent(i) => {
                i.to_string()
            }
            Value::Real(r) => r.to_string(),
            Value::Rate(r) | Value::RateBar(r) => format!("{}", round(*r, 6)),
            Value::Text(s) | Value::Code(s) => s.clone(),
            Value::RLevel(l) => format!("R{l}"),
            Value::SLevel(l) => format!("S{l}"),
            Value::Level(l) => l.to_string(),
            Value::Bool(b) => b.to_string(),
        }
    }

    fn cell(&self, style: &Style) -> Cell<'_> {
        // Four hues that read on dark and light backgrounds alike (the
        // bright yellow of old vanished on white), and the level is always
        // printed as text too.
        let level_color = |l: u8| match l {
            1 => Color::DarkGreen,
            2 => Color::DarkCyan,
            3 => Color::DarkYellow,
            _ => Color::Red,
        };
        let number = |text: String| Cell::new(text, Align::Right);
        match self {
            Value::Null | Value::Absent(_) => Cell::new("–", Align::Right),
            Value::Int(i) => number(group_thousands(*i)),
            Value::Shortfall(i) => {
                number(group_thousands(*i)).colored((style.color && *i > 0).then_some(Color::Red))
            }
            Value::Blank => Cell::new("", Align::Left),
            Value::Delta(i) => number(signed(*i)),
            Value::Real(r) => number(r.to_string()),
            Value::Rate(r) => number(format!("{:.1}%", r * 100.0)),
            Value::RateBar(r) => {
                Cell::new(format!("{:>6.1}% {}", r * 100.0, bar(*r, 8)), Align::Left)
            }
            Value::Text(s) | Value::Code(s) => Cell::new(visible(s, false), Align::Left),
            Value::Bool(b) => Cell::new(if *b { "yes" } else { "no" }, Align::Left),
            Value::RLevel(l) | Value::SLevel(l) | Value::Level(l) => {
                Cell::new(self.plain(), Align::Center).colored(style.color.then(|| level_color(*l)))
            }
        }
    }
}

/// Text safe to print on a terminal: control characters (which could carry
/// escape sequences from an export into the operator's terminal) shown as
/// their Unicode pictures (ESC as ␛), tabs as spaces, and line breaks as ↵
/// unless `keep_newlines`.
pub fn visible(text: &str, keep_newlines: bool) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(|c| c.is_control() || is_format(c)) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' if keep_newlines => out.push('\n'),
            '\n' | '\r' => out.push('↵'),
            '\t' => out.push(' '),
            c if (c as u32) < 0x20 => out.push(char::from_u32(0x2400 + c as u32).unwrap_or('?')),
            '\u{7f}' => out.push('␡'),
            c if c.is_control() => out.push('�'),
            // Shown as what it is, never obeyed: a table must read as stored.
            c if is_format(c) => out.push_str(&format!("<U+{:04X}>", u32::from(c))),
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Invisible characters that change how text around them displays:
/// bidirectional marks, embeddings, overrides and isolates, and zero-width
/// characters (from a database written before they were refused, or by
/// another program).
fn is_format(c: char) -> bool {
    matches!(
        c,
        '\u{200B}'..='\u{200D}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}'
    )
}

/// A bar of `width` cells in eighth blocks: 0.925 of 8 → "███████▍".
fn bar(rate: f64, width: usize) -> String {
    const PARTS: [char; 8] = [' ', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];
    let eighths = (rate.clamp(0.0, 1.0) * (width * 8) as f64).round() as usize;
    let mut s: String = "█".repeat(eighths / 8);
    if !eighths.is_multiple_of(8) {
        s.push(PARTS[eighths % 8]);
    }
    format!("{s:<width$}")
}

fn round(x: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (x * f).round() / f
}

/// `part` of `whole` as a rate, absent (null, –) when there is no whole.
pub fn rate(part: i64, whole: i64) -> Value {
    if whole > 0 {
        Value::Rate(part as f64 / whole as f64)
    } else {
        Value::Null
    }
}

/// +1,234 or −5 (a true minus sign), 0 bare.
pub fn signed(n: i64) -> String {
    match n {
        0 => "0".into(),
        n if n > 0 => format!("+{}", group_thousands(n)),
        n => format!("−{}", group_thousands(-n)),
    }
}

pub fn group_thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Rows of figures under named columns; the first `keys` columns are the
/// group keys, left out of the totals.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub columns: Vec<String>,
    pub keys: usize,
    pub rows: Vec<Vec<Value>>,
    pub total: Option<Vec<Value>>,
    /// Columns a table may leave out, first to last, when the terminal is
    /// too narrow for all of them (CSV and JSON always carry every column).
    pub optional: Vec<usize>,
    /// Text columns a table may cut short with `…` when they are still too
    /// wide (free-text names; codes are never cut).
    pub shortenable: Vec<usize>,
    /// Optional columns that give way together (a status breakdown read
    /// without one of its parts would mislead).
    pub together: Vec<Vec<usize>>,
    /// Columns that answer the command's question: never hidden (the group
    /// keys never are either). When they alone are too wide, names are cut
    /// and the columns drawn closer first.
    pub essential: Vec<usize>,
    /// Two columns of which a row fills at most one (a serial or a lot): on
    /// a terminal too narrow for both, one column of this name shows
    /// whichever the row has.
    pub either: Option<(usize, usize, String)>,
    /// Fields of the JSON object beside `rows` and `total`, first: what the
    /// figures stand on (`date`, …).
    pub meta: Vec<(String, Json)>,
}

impl Report {
    pub fn new(columns: &[&str], keys: usize) -> Report {
        Report {
            columns: columns.iter().map(|c| c.to_string()).collect(),
            keys,
            ..Report::default()
        }
    }

    /// The report with columns `a` and `b` shown as one column, `name`.
    fn merged(&self, a: usize, b: usize, name: &str) -> Report {
        let merge = |row: &[Value]| -> Vec<Value> {
            let mut row = row.to_vec();
            let other = row.remove(b);
            let at = if a > b { a - 1 } else { a };
            row[at] = match (&row[at], other) {
                (Value::Null | Value::Blank, other) => other,
                (_, Value::Null | Value::Blank) => row[at].clone(),
                (first, other) => Value::Text(format!("{} {}", first.plain(), other.plain())),
            };
            row
        };
        let index = |i: &usize| match (*i).cmp(&b) {
            std::cmp::Ordering::Less => Some(*i),
            std::cmp::Ordering::Equal => None,
            std::cmp::Ordering::Greater => Some(i - 1),
        };
        let mut columns = self.columns.clone();
        columns.remove(b);
        columns[if a > b { a - 1 } else { a }] = name.to_string();
        Report {
            columns,
            keys: self.keys,
            rows: self.rows.iter().map(|r| merge(r)).collect(),
            total: self.total.as_ref().map(|t| merge(t)),
            optional: self.optional.iter().filter_map(index).collect(),
            shortenable: self.shortenable.iter().filter_map(index).collect(),
            together: self
                .together
                .iter()
                .map(|g| g.iter().filter_map(index).collect())
                .collect(),
            essential: self.essential.iter().filter_map(index).collect(),
            either: None,
            meta: self.meta.clone(),
        }
    }
}

pub fn render(
    report: &Report,
    format: Format,
    style: &Style,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        Format::Json => render_json(report, out),
        Format::Csv => render_csv(report, out),
        Format::Table => render_table(report, style, out),
    }
}

fn render_json(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    use serde::ser::{SerializeMap, Serializer as _};
    // Each row turned into JSON as it is written, not all of them first: a
    // report by depot, type and owner of 405,731 rows took 2.2 GB that way.
    // A repeated column name keeps its first place and its last value, as
    // an object built key by key would.
    let mut names: Vec<&String> = report.columns.iter().collect();
    names.sort_unstable();
    if names.windows(2).any(|w| w[0] == w[1]) {
        return render_json_whole(report, out);
    }
    let rows = JsonRows(report);
    let total = report.total.as_ref().map(|t| JsonRow {
        columns: &report.columns,
        values: t,
        skip: report.keys,
    });
    let mut ser = serde_json::Serializer::pretty(&mut *out);
    let mut doc = ser
        .serialize_map(Some(report.meta.len() + 2))
        .map_err(io::Error::from)?;
    for (name, value) in &report.meta {
        doc.serialize_entry(name, value).map_err(io::Error::from)?;
    }
    doc.serialize_entry("rows", &rows)
        .map_err(io::Error::from)?;
    doc.serialize_entry("total", &total)
        .map_err(io::Error::from)?;
    doc.end().map_err(io::Error::from)?;
    writeln!(out)
}

/// A report's rows as a JSON array, each row an object.
struct JsonRows<'a>(&'a Report);

impl serde::Serialize for JsonRows<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.rows.iter().map(|values| JsonRow {
            columns: &self.0.columns,
            values,
            skip: 0,
        }))
    }
}

/// One row as a JSON object: its columns' names and values, from `skip` on.
struct JsonRow<'a> {
    columns: &'a [String],
    values: &'a [Value],
    skip: usize,
}

impl serde::Serialize for JsonRow<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(
            self.columns
                .iter()
                .zip(self.values)
                .skip(self.skip)
                .map(|(name, value)| (name, value.json())),
        )
    }
}

/// The report built whole as one JSON value, then written.
fn render_json_whole(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let object = |values: &[Value], skip: usize| -> Json {
        let mut map = Map::new();
        for (name, value) in report.columns.iter().zip(values).skip(skip) {
            map.insert(name.clone(), value.json());
        }
        Json::Object(map)
    };
    let rows: Vec<Json> = report.rows.iter().map(|r| object(r, 0)).collect();
    let total = report
        .total
        .as_ref()
        .map_or(Json::Null, |t| object(t, report.keys));
    let mut doc = Map::new();
    for (name, value) in &report.meta {
        doc.insert(name.clone(), value.clone());
    }
    doc.insert("rows".into(), Json::Array(rows));
    doc.insert("total".into(), total);
    serde_json::to_writer_pretty(&mut *out, &Json::Object(doc))?;
    writeln!(out)
}

/// A CSV writer's error as the I/O error beneath it, so that a closed pipe
/// stays recognisable as one.
pub fn csv_io(e: csv::Error) -> io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => io::Error::other(format!("{other:?}")),
    }
}

fn render_csv(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(&report.columns).map_err(csv_io)?;
    for row in &report.rows {
        w.write_record(row.iter().map(Value::plain))
            .map_err(csv_io)?;
    }
    w.flush()
}

/// Space between columns: a padding on each side and a border; drawn
/// closer, when a table must fit a narrow terminal, one padding less (the
/// first column keeping its left padding, so that table lines start with
/// a space); flush, as a last resort before a row would wrap, not even that.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Spacing {
    Normal,
    Close,
    Flush,
}

impl Spacing {
    fn gap(self) -> usize {
        match self {
            Spacing::Normal => 3,
            Spacing::Close | Spacing::Flush => 2,
        }
    }

    /// Besides the columns' widths: the border, and the first column's
    /// left padding when drawn closer.
    fn margin(self) -> usize {
        match self {
            Spacing::Close => 2,
            Spacing::Normal | Spacing::Flush => 1,
        }
    }

    fn width(self, report: &Report, columns: impl Iterator<Item = usize>) -> usize {
        columns
            .map(|i| column_width_gap(report, i, self.gap()))
            .sum::<usize>()
            + self.margin()
    }
}

/// Width of column `i` as printed: its widest cell or header, plus the
/// space `gap` its padding and border take.
fn column_width_gap(report: &Report, i: usize, gap: usize) -> usize {
    let rows = report.rows.iter().chain(report.total.iter());
    let content = rows
        .filter_map(|r| r.get(i))
        .map(|v| match v {
            Value::RateBar(_) => 15,
            Value::Int(n) | Value::Shortfall(n) => group_thousands(*n).len(),
            Value::Absent(_) => 1,
            Value::Rate(_) => 6,
            // As drawn: control characters shown as pictures, and wide
            // characters (CJK, emoji) taking two columns of a terminal.
            Value::Text(t) | Value::Code(t) => visible(t, false).width(),
            other => other.plain().width(),
        })
        .max()
        .unwrap_or(0);
    let header = report.columns[i].width();
    content.max(header) + gap
}

/// Whether a column shows nothing (`–` or blank) on every row and the total.
fn is_empty_column(report: &Report, i: usize) -> bool {
    report.rows.iter().chain(report.total.iter()).all(|r| {
        matches!(
            r.get(i),
            None | Some(Value::Null | Value::Absent(_) | Value::Blank)
        )
    })
}

/// The columns that fit `width`: when all do not, those with nothing to
/// show go first, then optional ones, in order, until the natural width of
/// the rest fits. Returns the columns kept and the empty ones left out.
fn visible_columns(report: &Report, width: Option<u16>) -> (Vec<usize>, Vec<usize>) {
    let all: Vec<usize> = (0..report.columns.len()).collect();
    let Some(width) = width else {
        return (all, Vec::new());
    };
    let natural = |shown: &[usize]| Spacing::Normal.width(report, shown.iter().copied());
    if natural(&all) <= usize::from(width) {
        return (all, Vec::new());
    }
    let empty: Vec<usize> = (report.keys..report.columns.len())
        .filter(|&i| is_empty_column(report, i))
        .collect();
    let mut shown: Vec<usize> = all.into_iter().filter(|i| !empty.contains(i)).collect();
    for drop in &report.optional {
        if natural(&shown) <= usize::from(width) {
            break;
        }
        match report.together.iter().find(|g| g.contains(drop)) {
            Some(group) => shown.retain(|i| !group.contains(i)),
            None => shown.retain(|i| i != drop),
        }
    }
    (shown, empty)
}

/// Words in lines of at most `width` characters (a longer word stands alone).
pub fn wrap_words(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        if !line.is_empty() && line.width() + 1 + word.width() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// None when the report is wider than `width`, else the spare columns.
fn fits(report: &Report, width: u16, spacing: Spacing) -> Option<usize> {
    usize::from(width).checked_sub(spacing.width(report, 0..report.columns.len()))
}

/// When the columns left still do not fit, the widest text column is cut
/// short with `…` (never wrapped: a cell split over two lines reads as two
/// rows). Names are cut rather than figures, which are never altered.
fn shorten_text(report: &mut Report, width: u16, spacing: Spacing) {
    let gap = spacing.gap();
    const SHORTEST: usize = 8;
    loop {
        let widths: Vec<usize> = (0..report.columns.len())
            .map(|i| column_width_gap(report, i, gap))
            .collect();
        let total: usize = widths.iter().sum::<usize>() + spacing.margin();
        let Some(excess) = total.checked_sub(usize::from(width)).filter(|&e| e > 0) else {
            return;
        };
        let widest = report
            .shortenable
            .iter()
            .copied()
            .map(|i| (widths[i] - gap, i))
            .filter(|&(w, i)| w > SHORTEST.max(report.columns[i].width()))
            .max();
        let Some((content, i)) = widest else { return };
        let header = report.columns[i].width();
        let limit = content.saturating_sub(excess).max(SHORTEST).max(header);
        let mut cut_any = false;
        for row in report.rows.iter_mut().chain(report.total.iter_mut()) {
            if let Some(Value::Text(t)) = row.get_mut(i) {
                let shown = visible(t, false);
                if shown.width() > limit {
                    *t = format!("{}…", cut_to_width(&shown, limit - 1).trim_end());
                    cut_any = true;
                }
            }
        }
        // Only codes are that wide: nothing more to cut here.
        if !cut_any {
            report.shortenable.retain(|&c| c != i);
        }
    }
}

/// The longest start of `text` that takes at most `width` columns.
fn cut_to_width(text: &str, width: usize) -> &str {
    let mut taken = 0;
    for (at, c) in text.char_indices() {
        taken += c.width().unwrap_or(0);
        if taken > width {
            return &text[..at];
        }
    }
    text
}

/// Draws `report`'s rows as they are, in `spacing`.
fn draw_rows(
    report: &Report,
    spacing: Spacing,
    style: &Style,
    out: &mut dyn Write,
) -> io::Result<()> {
    let header: Vec<String> = report.columns.iter().map(|c| c.replace('_', " ")).collect();
    let padding: Vec<(usize, usize)> = (0..header.len())
        .map(|i| match spacing {
            Spacing::Normal => (1, 1),
            _ => (usize::from(i == 0 && spacing == Spacing::Close), 1),
        })
        .collect();
    let rows = report.rows.len();
    draw::draw(
        out,
        &header,
        &padding,
        rows + usize::from(report.total.is_some()),
        |r| match report.rows.get(r) {
            Some(row) => row.iter().map(|v| v.cell(style)).collect(),
            None => report
                .total
                .iter()
                .flatten()
                .enumerate()
                .map(|(i, v)| match i {
                    i if i < report.keys => {
                        Cell::new(if i == 0 { "TOTAL" } else { "" }, Align::Left)
                    }
                    _ => v.cell(style),
                })
                .collect(),
        },
    )
}

fn render_table(report: &Report, style: &Style, out: &mut dyn Write) -> io::Result<()> {
    if report.rows.is_empty() {
        return writeln!(out, "(no rows)");
    }
    if let (Some(width), Some((a, b, name))) = (style.width, &report.either)
        && fits(report, width, Spacing::Normal).is_none()
    {
        return render_table(&report.merged(*a, *b, name), style, out);
    }
    // A table that fits as it is (or goes to a file or a pipe) is drawn
    // from the report itself: a copy of 400,000 rows cost 350 MB.
    if style
        .width
        .is_none_or(|w| fits(report, w, Spacing::Normal).is_some())
    {
        return draw_rows(report, Spacing::Normal, style, out);
    }
    let (mut shown, empty) = visible_columns(report, style.width);
    let pick = |shown: &[usize]| Report {
        columns: shown.iter().map(|&i| report.columns[i].clone()).collect(),
        keys: shown.iter().filter(|&&i| i < report.keys).count(),
        rows: report
            .rows
            .iter()
            .map(|r| shown.iter().map(|&i| r[i].clone()).collect())
            .collect(),
        total: report
            .total
            .as_ref()
            .map(|t| shown.iter().map(|&i| t[i].clone()).collect()),
        optional: Vec::new(),
        shortenable: (0..shown.len())
            .filter(|&k| report.shortenable.contains(&shown[k]))
            .collect(),
        together: Vec::new(),
        essential: Vec::new(),
        either: None,
        meta: Vec::new(),
    };
    let mut spacing = Spacing::Normal;
    if let Some(w) = style.width {
        // Columns drawn closer keep some that gave way: the last to go
        // come back first, while they fit.
        let dropped: Vec<usize> = report
            .optional
            .iter()
            .rev()
            .copied()
            .filter(|i| !shown.contains(i) && !empty.contains(i))
            .collect();
        let close = |cols: &[usize]| Spacing::Close.width(report, cols.iter().copied());
        for i in dropped {
            if shown.contains(&i) {
                continue;
            }
            let group = match report.together.iter().find(|g| g.contains(&i)) {
                Some(g) => g.clone(),
                None => vec![i],
            };
            let mut wider = shown.clone();
            wider.extend(group.iter().filter(|c| !shown.contains(c)));
            wider.sort_unstable();
            if close(&wider) > usize::from(w) {
                break;
            }
            shown = wider;
            spacing = Spacing::Close;
        }
    }
    let mut narrowed = pick(&shown);
    if let Some(w) = style.width {
        shorten_text(&mut narrowed, w, spacing);
        if fits(&narrowed, w, spacing).is_none() {
            // Closer columns before any column that answers goes.
            spacing = Spacing::Close;
            shorten_text(&mut narrowed, w, spacing);
        }
        // Last resort, so that no row ever wraps: figures from the right,
        // never the group keys nor the columns that answer the question;
        // then flush columns; when those alone are too wide, the terminal
        // wraps them.
        while fits(&narrowed, w, spacing).is_none() {
            let Some(at) = shown
                .iter()
                .rposition(|&i| i >= report.keys && !report.essential.contains(&i))
            else {
                spacing = Spacing::Flush;
                shorten_text(&mut narrowed, w, spacing);
                break;
            };
            shown.remove(at);
            narrowed = pick(&shown);
            shorten_text(&mut narrowed, w, spacing);
        }
    }
    let hidden: Vec<String> = (0..report.columns.len())
        .filter(|i| !shown.contains(i) && !empty.contains(i))
        .map(|i| report.columns[i].replace('_', " "))
        .collect();
    let empty: Vec<String> = empty
        .iter()
        .map(|&i| report.columns[i].replace('_', " "))
        .collect();
    draw_rows(&narrowed, spacing, style, out)?;
    let mut left_out = Vec::new();
    if !hidden.is_empty() {
        left_out.push(format!(
            "{} hidden to fit {} columns: {}",
            if hidden.len() == 1 {
                "1 column"
            } else {
                "columns"
            },
            style.width.unwrap_or(0),
            hidden.join(", ")
        ));
    }
    if !empty.is_empty() {
        left_out.push(format!("nothing to show in {}", empty.join(", ")));
    }
    if !left_out.is_empty() {
        let note = format!(
            "({}; --format csv or a wider terminal shows {})",
            left_out.join("; "),
            if hidden.len() + empty.len() == 1 {
                "it"
            } else {
                "them"
            }
        );
        for line in wrap_words(&note, usize::from(style.width.unwrap_or(80))) {
            writeln!(out, "{line}")?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_never_reach_the_terminal() {
        assert_eq!(visible("plain", false), "plain");
        assert_eq!(visible("a\u{1b}[31mred", false), "a␛[31mred");
        assert_eq!(visible("two\r\nlines\tx", false), "two↵lines x");
        assert_eq!(visible("two\nlines", true), "two\nlines");
        assert_eq!(visible("c1\u{9b}31m", true), "c1�31m");
        assert_eq!(visible("ok \u{202E}exe.fdp", false), "ok <U+202E>exe.fdp");
        assert_eq!(visible("DE\u{200B}-1", false), "DE<U+200B>-1");
        // Marks that Arabic and Hebrew text carries stay as they are.
        assert_eq!(visible("שלום\u{200F}", false), "שלום\u{200F}");
    }

    #[test]
    fn colour_only_on_a_terminal_that_wants_it() {
        use std::ffi::OsStr;
        assert!(color_for(true, None, Some("xterm-256color")));
        assert!(color_for(true, Some(OsStr::new("")), None));
        assert!(!color_for(false, None, Some("xterm")));
        assert!(!color_for(true, Some(OsStr::new("1")), Some("xterm")));
        assert!(!color_for(true, None, Some("dumb")));
    }

    #[test]
    fn thousands() {
        assert_eq!(group_thousands(0), "0");
        assert_eq!(group_thousands(2598), "2,598");
        assert_eq!(group_thousands(1000000), "1,000,000");
    }

    #[test]
    fn json_shape() {
        let mut r = Report::new(&["depot", "on_hand", "mc_rate", "r_level"], 1);
        r.rows.push(vec![
            Value::Text("A".into()),
            Value::Int(3),
            Value::Rate(0.5),
            Value::RLevel(4),
        ]);
        r.total = Some(vec![
            Value::Null,
            Value::Int(3),
            Value::Rate(0.5),
            Value::RLevel(4),
        ]);
        let mut buf = Vec::new();
        render(
            &r,
            Format::Json,
            &Style {
                color: false,
                width: None,
            },
            &mut buf,
        )
        .unwrap();
        let v: Json = serde_json::from_slice(&buf).unwrap();
        assert_eq!(v["rows"][0]["depot"], "A");
        assert_eq!(v["rows"][0]["mc_rate"], 0.5);
        assert_eq!(v["total"]["r_level"], "R4");
        assert!(v["total"].get("depot").is_none());
    }

    #[test]
    fn json_written_row_by_row_is_the_json_built_whole() {
        let bytes = |r: &Report, whole: bool| {
            let mut buf = Vec::new();
            if whole {
                render_json_whole(r, &mut buf).unwrap();
            } else {
                render_json(r, &mut buf).unwrap();
            }
            String::from_utf8(buf).unwrap()
        };
        let row = |depot: &str, n: i64| {
            vec![
                Value::Text(depot.into()),
                Value::Int(n),
                Value::Null,
                Value::Rate(0.25),
                Value::Delta(-n),
                Value::Absent(0),
                Value::Bool(n > 0),
                Value::Code("M1A2".into()),
                Value::Blank,
                Value::RateBar(0.9),
                Value::Real(1.5),
                Value::Level(2),
            ]
        };
        let columns = [
            "depot", "on_hand", "owner", "mc_rate", "change", "fill", "ok", "type", "note", "bar",
            "real", "level",
        ];
        let mut r = Report::new(&columns, 1);
        // No rows and no total: an empty array and a null.
        assert_eq!(bytes(&r, false), bytes(&r, true));
        r.meta = vec![
            ("date".into(), Json::from("2026-12-07")),
            (
                "policy".into(),
                serde_json::json!({"r_levels": [90, 70], "name": null}),
            ),
        ];
        r.rows = vec![row("DE-AUG-01", 3), row("PL-\"Ż\"\n", 0)];
        r.total = Some(row("", 3));
        let streamed = bytes(&r, false);
        assert_eq!(streamed, bytes(&r, true));
        assert!(streamed.contains("\"rows\": [\n    {\n      \"depot\": \"DE-AUG-01\""));
        // Only the key columns: a total of no fields is an empty object.
        let mut keys_only = Report::new(&["depot"], 1);
        keys_only.rows = vec![vec![Value::Text("A".into())]];
        keys_only.total = Some(vec![Value::Null]);
        assert_eq!(bytes(&keys_only, false), bytes(&keys_only, true));
        assert!(bytes(&keys_only, false).contains("\"total\": {}"));
        // A column named twice keeps its first place and its last value.
        let mut twice = Report::new(&["depot", "n", "depot"], 1);
        twice.rows = vec![vec![
            Value::Text("A".into()),
            Value::Int(1),
            Value::Text("B".into()),
        ]];
        let v: Json = serde_json::from_str(&bytes(&twice, false)).unwrap();
        assert_eq!(v["rows"][0]["depot"], "B");
    }
}
