//! Importing one depot export: bytes → decoded text → records → validated
//! holdings → snapshots, in one transaction per file (SPEC §2–3).

mod ahead;
pub mod columns;
pub mod dialect;
pub mod owners;
pub mod profile;
mod readings;
pub mod row;
pub mod serials;
pub mod store;
pub mod workbook;

use rustc_hash::FxHashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::db::Db;
use chrono::NaiveDate;
use encoding_rs::Encoding;
use indicatif::ProgressBar;
use serde::Serialize;

use crate::db;
use crate::error::{Error, ImportError, RowError, RowErrors};
use crate::model::DepotCode;
use columns::ColumnMap;
use dialect::Dialect;
use profile::Profile;
use row::{Holding, RowRules, Validator, is_blank};
use store::{Outcome, Registry, SnapshotRecord, SnapshotWriter};

/// Options of `stockpile import` that shape how a file is read and stored.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    pub depot: Option<DepotCode>,
    pub as_of: Option<NaiveDate>,
    pub dry_run: bool,
    pub skip_invalid: bool,
    pub rejects: Option<PathBuf>,
    pub replace: bool,
    pub delimiter: Option<u8>,
    pub encoding: Option<&'static Encoding>,
    pub date_format: Option<String>,
    pub profile: Option<Profile>,
    /// Normalised names of columns to leave out (`--ignore-column`).
    pub ignore_columns: Vec<String>,
    /// The line the header stands on, below title lines (`--header-row`).
    pub header_row: Option<u64>,
    /// The sheet of a workbook to read (the first when None).
    pub sheet: Option<String>,
}

/// The kinds of warning an import gives, so that a file with thousands of
/// them prints a count and a few examples per kind rather than a flood.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WarningKind {
    UnknownColumn,
    LikelyTypo,
    DoubleCount,
    RejectedRow,
    LostLeadingZeros,
}

impl WarningKind {
    pub fn label(self) -> &'static str {
        match self {
            WarningKind::UnknownColumn => "unknown column",
            WarningKind::LikelyTypo => "likely typo",
            WarningKind::DoubleCount => "possible double count",
            WarningKind::RejectedRow => "rejected row",
            WarningKind::LostLeadingZeros => "lost leading zeros",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct WarningGroup {
    pub kind: WarningKind,
    pub count: u64,
    /// The first few, in the order found.
    pub examples: Vec<String>,
}

/// Examples kept per kind of warning.
pub const WARNING_EXAMPLES: usize = 5;

/// What an import did, per file: the summary of SPEC §3.
#[derive(Debug, Clone, Serialize)]
pub struct FileSummary {
    pub file: String,
    pub encoding: String,
    pub delimiter: String,
    pub rows_read: u64,
    pub rows_imported: u64,
    pub rows_rejected: u64,
    pub snapshots: Vec<SnapshotRecord>,
    pub new_depots: Vec<String>,
    pub new_types: Vec<String>,
    pub warnings: Vec<WarningGroup>,
    pub elapsed_ms: u64,
    pub rows_per_sec: u64,
    /// The ledger entry of an earlier import of the byte-identical file.
    pub already_imported: Option<i64>,
    pub ledger_id: Option<i64>,
    pub dry_run: bool,
    pub changed: bool,
}

impl FileSummary {
    pub fn warning_count(&self) -> u64 {
        self.warnings.iter().map(|w| w.count).sum()
    }

    pub fn count(&self, outcome: Outcome) -> usize {
        self.snapshots
            .iter()
            .filter(|s| s.outcome == outcome)
            .count()
    }
}

/// Imports one file. The database is changed only if the whole file is valid
/// (or `--skip-invalid`), and only by one transaction.
pub fn import_file(
    conn: &Db,
    path: &Path,
    opts: &ImportOptions,
    progress: Option<&ProgressBar>,
) -> Result<FileSummary, Error> {
    let started = Instant::now();
    let mut file = path.display().to_string();
    let input = if workbook::is_workbook(path) {
        let (sha256, size) = dialect::digest(path).map_err(|source| Error::NoInput {
            path: path.to_path_buf(),
            source,
        })?;
        let sheet = workbook::read(path, opts.sheet.as_deref()).map_err(|message| {
            ImportError::Workbook {
                file: file.clone(),
                message,
            }
        })?;
        // Errors name the sheet: FILE[SHEET]:ROW.
        file = format!("{file}[{}]", sheet.name);
        Input::Workbook {
            sha256,
            size,
            sheet,
            header_row: opts.header_row,
        }
    } else {
        let profile = opts.profile.as_ref();
        let mut probe = dialect::probe(
            path,
            opts.delimiter.or(profile.and_then(|p| p.delimiter)),
            opts.encoding.or(profile.and_then(|p| p.encoding)),
            opts.header_row,
        )
        .map_err(|e| e.into_error(path, &file))?;
        match probe.ambiguity.take() {
            Some(ambiguity) => Input::Text(remembered(conn, path, &file, probe, ambiguity, opts)?),
            None => Input::Text(probe),
        }
    };
    if let Some(p) = progress {
        p.set_length(input.size());
    }

    let earlier = store::ledger_entry_for(conn, input.sha256())?;
    let (encoding, delimiter) = input.describe();
    let mut summary = FileSummary {
        file: file.clone(),
        encoding,
        delimiter,
        rows_read: 0,
        rows_imported: 0,
        rows_rejected: 0,
        snapshots: Vec::new(),
        new_depots: Vec::new(),
        new_types: Vec::new(),
        warnings: Vec::new(),
        elapsed_ms: 0,
        rows_per_sec: 0,
        already_imported: earlier,
        ledger_id: None,
        dry_run: opts.dry_run,
        changed: false,
    };
    if earlier.is_some() {
        // A byte-identical file changes nothing: say so without reading it.
        return Ok(summary);
    }

    let outcome = attempt(conn, path, &file, &input, opts, progress)?;
    summary.rows_read = outcome.rows_read;
    summary.rows_imported = outcome.rows_imported;
    summary.rows_rejected = outcome.rows_rejected;
    summary.snapshots = outcome.snapshots;
    summary.new_depots = outcome.new_depots;
    summary.new_types = outcome.new_types;
    summary.warnings = outcome.warnings;
    summary.ledger_id = outcome.ledger_id;
    summary.changed = outcome.changed;
    let elapsed = started.elapsed();
    summary.elapsed_ms = elapsed.as_millis() as u64;
    summary.rows_per_sec = (summary.rows_read as f64 / elapsed.as_secs_f64().max(1e-6)) as u64;
    Ok(summary)
}

#[derive(Default)]
struct Outcomes {
    rows_read: u64,
    rows_imported: u64,
    rows_rejected: u64,
    snapshots: Vec<SnapshotRecord>,
    new_depots: Vec<String>,
    new_types: Vec<String>,
    warnings: Vec<WarningGroup>,
    ledger_id: Option<i64>,
    changed: bool,
    /// The line where the last imported record starts: the ledger keeps
    /// it, so that `check` can tell whether a stored line number is possible.
    last_line: u64,
    /// The encoding a text file was read in: the depot's next ambiguous
    /// file is read the same way.
    encoding: Option<&'static str>,
}

/// One file in one transaction: read → validate → route to its snapshots →
/// check → seal the ledger entry (or roll everything back).
fn attempt(
    conn: &Db,
    path: &Path,
    file: &str,
    input: &Input,
    opts: &ImportOptions,
    progress: Option<&ProgressBar>,
) -> Result<Box<Outcomes>, Error> {
    let tx = conn.begin_import()?;
    let imported_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let ledger_id = store::open_ledger_entry(&tx, file, input.sha256(), &imported_at, &os_user())?;
    let mut records = Records::open(path, input).map_err(|source| Error::NoInput {
        path: path.to_path_buf(),
        source,
    })?;
    let (header, header_line, map) = map_header(&mut records, path, file, input, opts)?;
    let validator = Validator {
        map: &map,
        rules: RowRules {
            depot: opts.depot.clone(),
            as_of: opts.as_of,
            date_format: opts.date_format.as_deref(),
            profile: opts.profile.as_ref(),
        },
    };
    let rejects = match &opts.rejects {
        Some(p) if opts.skip_invalid => Some(RejectsWriter::create(p, &header)?),
        _ => None,
    };
    let mut run = Run {
        conn: &tx,
        file,
        ledger_id,
        replace: opts.replace,
        skip_invalid: opts.skip_invalid,
        registry: Registry::load(&tx)?,
        serials: serials::SerialBook::default(),
        writers: Vec::new(),
        lots: store::StoredLots::default(),
        owners: owners::OwnerRows::default(),
        open: FxHashMap::default(),
        deferred: 0,
        first_pass: true,
        out: Outcomes::default(),
        errors: Vec::new(),
        error_rows: 0,
        rejects,
    };
    run.warn_unknown_columns(&map, header_line);

    ahead::each_record(
        &mut records,
        file,
        input,
        &validator,
        progress,
        |line, record, holding| {
            run.out.rows_read += 1;
            match holding {
                Err(errors) => run.reject(std::mem::take(errors), record),
                Ok(h) => run.route(h, line, record),
            }
        },
    )?;
    records.finish(file)?;
    run.finish_all()?;
    if run.deferred > 0 {
        run.replay_deferred(&validator)?;
    }
    if let Some(p) = progress {
        p.set_position(input.size());
    }
    if run.errors.is_empty() {
        run.warn_double_counts()?;
    }
    let mut out = run.conclude()?;
    if let Input::Text(p) = input {
        out.encoding = Some(p.dialect.encoding.name());
    }
    if !out.changed || opts.dry_run {
        tx.rollback()?;
        return Ok(Box::new(out));
    }
    seal(tx, ledger_id, out)
}

/// The header record, the line it stands on, and where each column is; a
/// header that lacks required columns is refused with a hint when title
/// lines seem to stand above the real one.
fn map_header(
    records: &mut Records,
    path: &Path,
    file: &str,
    input: &Input,
    opts: &ImportOptions,
) -> Result<(csv::StringRecord, u64, ColumnMap), Error> {
    let (header, header_line) = records.header(file)?;
    let map = ColumnMap::from_header(
        header.iter(),
        opts.profile.as_ref(),
        &opts.ignore_columns,
        opts.depot.is_some(),
        opts.as_of.is_some(),
    )
    .map_err(|message| ImportError::Header {
        file: file.to_string(),
        line: header_line,
        message: match input.title_lines_hint(path) {
            Some(hint) if message.starts_with("missing required") => format!("{message}\n{hint}"),
            _ => message,
        },
    })?;
    records.dates_in(&map);
    Ok((header, header_line, map))
}

/// A file whose text reads as sense in several encodings is read in the one
/// its depot's last import was read in, if that is one of them; otherwise
/// the user is asked (never a guess).
fn remembered(
    conn: &Db,
    path: &Path,
    file: &str,
    probe: dialect::Probe,
    ambiguity: dialect::Ambiguity,
    opts: &ImportOptions,
) -> Result<dialect::Probe, Error> {
    let depot = match &opts.depot {
        Some(d) => Some(d.to_string()),
        None => first_depot(path, file, probe.clone(), opts),
    };
    let last = match &depot {
        Some(depot) => store::last_encoding(conn, depot)?,
        None => None,
    };
    match last {
        Some(enc) if ambiguity.encodings().any(|e| e == enc) => {
            let mut probe = dialect::probe(
                path,
                Some(probe.dialect.delimiter),
                Some(enc),
                opts.header_row,
            )
            .map_err(|e| e.into_error(path, file))?;
            probe.dialect.encoding_detected = true;
            Ok(probe)
        }
        _ => Err(ImportError::Encoding {
            file: file.to_string(),
            line: ambiguity.line,
            message: ambiguity.message(),
        }
        .into()),
    }
}

/// The depot of a file's first row (a code is ASCII, so any of the
/// candidate readings gives it).
fn first_depot(
    path: &Path,
    file: &str,
    probe: dialect::Probe,
    opts: &ImportOptions,
) -> Option<String> {
    let input = Input::Text(probe);
    let mut records = Records::open(path, &input).ok()?;
    let (_, _, map) = map_header(&mut records, path, file, &input, opts).ok()?;
    let column = map.get(columns::Column::Depot)?;
    let mut record = csv::StringRecord::new();
    while let Ok(Some(_)) = records.read(file, &mut record) {
        if !is_blank(&record) {
            return record.get(column).map(|d| d.trim().to_uppercase());
        }
    }
    None
}

/// Records the import in its ledger entry and commits.
fn seal(tx: db::Tx, ledger_id: i64, mut out: Outcomes) -> Result<Box<Outcomes>, Error> {
    let registry = crate::content::registry_digest(&tx)?;
    let provenance = store::seal_provenance(&tx, &out.snapshots, &out.new_depots)?;
    let content = serde_json::json!({
        "registry": registry,
        "snapshots": out.snapshots,
        "new_depots": out.new_depots,
        "new_types": out.new_types,
        "rows_read": out.rows_read,
        "rows_imported": out.rows_imported,
        "rows_rejected": out.rows_rejected,
        "last_line": out.last_line,
        "encoding": out.encoding,
        "provenance": provenance,
    })
    .to_string();
    store::seal_ledger_entry(&tx, ledger_id, &content)?;
    tx.commit()?;
    out.ledger_id = Some(ledger_id);
    Ok(Box::new(out))
}

/// State of one pass over a file.
struct Run<'a> {
    conn: &'a Db,
    file: &'a str,
    ledger_id: i64,
    replace: bool,
    skip_invalid: bool,
    registry: Registry,
    serials: serials::SerialBook,
    /// One writer per snapshot met in the file, all open at once, so that
    /// rows may come in any order (a force-wide export sorted by type):
    /// their diff state adds up to what one big depot's would be.
    writers: Vec<SnapshotWriter>,
    /// Stored lots with an expiry, for writers that count changes.
    lots: store::StoredLots,
    /// What the file's snapshots change in the owner figures.
    owners: owners::OwnerRows,
    /// The open writer of each depot.
    open: FxHashMap<DepotCode, usize>,
    /// Rows spilled because their depot's writer is open for another date.
    deferred: u64,
    /// Reading the file, not replaying spilled rows.
    first_pass: bool,
    out: Outcomes,
    errors: Vec<RowError>,
    error_rows: usize,
    rejects: Option<RejectsWriter>,
}

impl Run<'_> {
    fn reject(&mut self, errors: Vec<RowError>, record: &csv::StringRecord) -> Result<(), Error> {
        self.error_rows += 1;
        if self.skip_invalid {
            self.out.rows_rejected += 1;
            if let Some(r) = self.rejects.as_mut() {
                r.write(&errors, record)?;
            }
            for e in errors {
                self.warn(
                    WarningKind::RejectedRow,
                    format!(
                        "{}:{}: {}: {} (row rejected)",
                        self.file,
                        e.line,
                        e.column,
                        crate::error::elide(&e.message)
                    ),
                );
            }
        } else if self.errors.len() < RowErrors::SHOWN {
            self.errors.extend(errors);
        }
        Ok(())
    }

    fn warn(&mut self, kind: WarningKind, message: String) {
        let group = match self.out.warnings.iter_mut().position(|g| g.kind == kind) {
            Some(i) => &mut self.out.warnings[i],
            None => {
                self.out.warnings.push(WarningGroup {
                    kind,
                    count: 0,
                    examples: Vec::new(),
                });
                self.out.warnings.last_mut().expect("just pushed")
            }
        };
        group.count += 1;
        if group.examples.len() < WARNING_EXAMPLES {
            group.examples.push(message);
        }
    }

    /// Sends a valid row to its snapshot's writer, opening it on the
    /// snapshot's first row; a row of a depot whose writer is open for
    /// another date is spilled to be put after it.
    fn route(&mut self, h: &Holding, line: u64, record: &csv::StringRecord) -> Result<(), Error> {
        if let Err(e) = self.registry.check_type(h, line) {
            return self.reject(vec![e], record);
        }
        let w = match self.open.get(&h.depot) {
            Some(&i) if self.writers[i].as_of == h.as_of => i,
            Some(_) => return self.defer(h, line, record),
            None => {
                let conn = self.conn;
                let mut open = || -> Result<_, Error> {
                    let (depot_id, warning) =
                        self.registry.depot_id(conn, &h.depot, self.ledger_id)?;
                    let writer = SnapshotWriter::open(
                        conn,
                        depot_id,
                        h.depot.clone(),
                        h.as_of,
                        &mut self.lots,
                    )?;
                    Ok((writer, warning))
                };
                // On the first pass a depot's writer opens before any of its
                // rows is written, so its stored state can be read while
                // other depots' rows are; a replay follows writes it needs.
                let (writer, warning) = if self.first_pass {
                    conn.beside_bulk(open)?
                } else {
                    open()?
                };
                if let Some(w) = warning {
                    self.warn(
                        WarningKind::LikelyTypo,
                        format!("{}:{}: depot: {}", self.file, line, w),
                    );
                }
                self.writers.push(writer);
                self.open.insert(h.depot.clone(), self.writers.len() - 1);
                self.writers.len() - 1
            }
        };
        if let Some(serial) = &h.serial {
            let depot_id = self.writers[w].depot_id;
            match self
                .serials
                .record(serial, depot_id, h.depot.as_str(), h.as_of, line)
            {
                Err(e) => return self.reject(vec![e], record),
                Ok(Some(warning)) => self.warn(
                    WarningKind::DoubleCount,
                    format!("{}:{}", self.file, warning),
                ),
                Ok(None) => {}
            }
        }
        let (type_id, warning) = self.conn.beside_bulk(|| {
            self.registry.type_id(
                self.conn,
                &h.type_code,
                h.nsn.as_ref(),
                h.category,
                self.ledger_id,
            )
        })?;
        if let Some(warning) = warning {
            self.warn(
                WarningKind::LikelyTypo,
                format!("{}:{}: type: {}", self.file, line, warning),
            );
        }
        if let Some(before) = h
            .serial
            .as_deref()
            .and_then(|s| self.writers[w].lost_zeros(s))
        {
            let message = format!(
                "{}:{}: serial: \"{}\" was \"{before}\" in {}'s earlier snapshot: a spreadsheet may have dropped its leading zeros (format the column as text)",
                self.file,
                line,
                h.serial.as_deref().unwrap_or_default(),
                h.depot
            );
            self.warn(WarningKind::LostLeadingZeros, message);
        }
        self.writers[w].add(
            self.conn,
            h,
            type_id,
            self.ledger_id,
            line,
            &mut self.owners,
        )?;
        self.out.last_line = self.out.last_line.max(line);
        self.out.rows_imported += 1;
        Ok(())
    }

    fn defer(&mut self, h: &Holding, line: u64, record: &csv::StringRecord) -> Result<(), Error> {
        if self.deferred == 0 {
            self.conn.batch(
                "CREATE TEMP TABLE IF NOT EXISTS deferred_row (depot_id BIGINT, as_of TEXT, line BIGINT, fields TEXT);
                 DELETE FROM deferred_row;",
            )?;
        }
        self.deferred += 1;
        let depot_id = self.open.get(&h.depot).map(|&i| self.writers[i].depot_id);
        let conn = self.conn;
        conn.beside_bulk(|| {
            conn.execute(
                "INSERT INTO deferred_row VALUES (?1, ?2, ?3, ?4)",
                &[
                    &depot_id,
                    &crate::model::iso(h.as_of),
                    &line,
                    &serde_json::to_string(&record.iter().collect::<Vec<_>>())
                        .expect("strings serialize"),
                ],
            )
        })?;
        Ok(())
    }

    fn warn_unknown_columns(&mut self, map: &ColumnMap, header_line: u64) {
        let file = self.file;
        for (i, name) in map.unknown.iter().enumerate() {
            // Suggestions only for the few shown: a hostile header may have 100k.
            let suggestion = (i < WARNING_EXAMPLES)
                .then(|| columns::suggest(name))
                .flatten();
            self.warn(
                WarningKind::UnknownColumn,
                match suggestion {
                    Some(s) => format!(
                        "{file}:{header_line}: unknown column \"{name}\" ignored — did you mean \"{s}\"?"
                    ),
                    None => format!("{file}:{header_line}: unknown column \"{name}\" ignored"),
                },
            );
        }
    }

    /// Rows of a depot's second date in the file (rare: one export holding
    /// two snapshots of a depot, rows mixed): its snapshots are put one after
    /// the other, in date order, as the versioning rule needs; the rows come
    /// back from the spill, not from the file.
    fn replay_deferred(&mut self, validator: &Validator) -> Result<(), Error> {
        let conn = self.conn;
        self.first_pass = false;
        // Read a page at a time: the rows put between pages are written
        // through the same connection, which cannot run two statements at
        // once on a server.
        let mut after = (i64::MIN, String::new(), 0u64);
        loop {
            let page: Vec<(i64, String, u64, String)> = conn.rows(
                "SELECT depot_id, as_of, line, fields FROM deferred_row
                 WHERE (depot_id, as_of, line) > (?1, ?2, ?3)
                 ORDER BY depot_id, as_of, line LIMIT 4096",
                &[&after.0, &after.1, &after.2],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )?;
            let Some(last) = page.last() else { break };
            after = (last.0, last.1.clone(), last.2);
            for (_, _, line, fields) in page {
                self.replay(validator, line, &fields)?;
            }
        }
        self.finish_all()?;
        conn.batch("DELETE FROM deferred_row")?;
        Ok(())
    }

    fn replay(&mut self, validator: &Validator, line: u64, fields: &str) -> Result<(), Error> {
        {
            let fields: Vec<String> = serde_json::from_str(fields).expect("spilled by us");
            let record = csv::StringRecord::from(fields);
            match validator.validate(&record, line) {
                Err(errors) => self.reject(errors, &record)?,
                Ok(h) => {
                    // In date order now: a new date of the depot closes the last.
                    if let Some(&i) = self.open.get(&h.depot)
                        && self.writers[i].as_of != h.as_of
                    {
                        self.finish_all()?;
                    }
                    self.route(&h, line, &record)?;
                }
            }
        }
        Ok(())
    }

    /// Serials this file gives a depot that another depot holds on the
    /// same date, as stored.
    fn warn_double_counts(&mut self) -> Result<(), Error> {
        for (serial, depot_id, other, date) in self.serials.held_elsewhere(self.conn, 11)? {
            let depot = self
                .registry
                .depot_code(depot_id)
                .unwrap_or_default()
                .to_string();
            let message = format!(
                "{}: serial {serial} of {depot} as of {} is also held by {other} on that date (possible double count)",
                self.file,
                crate::model::iso(date)
            );
            self.warn(WarningKind::DoubleCount, message);
        }
        Ok(())
    }

    /// What the file did, or why it is refused: invalid rows, no rows at
    /// all, or a snapshot that conflicts with a stored one.
    fn conclude(self) -> Result<Outcomes, Error> {
        let Run {
            file,
            mut out,
            errors,
            error_rows,
            registry,
            rejects,
            ..
        } = self;
        if let Some(r) = rejects {
            r.close()?;
        }
        if !errors.is_empty() {
            return Err(ImportError::Rows(RowErrors {
                file: file.to_string(),
                errors,
                total: error_rows,
            })
            .into());
        }
        if out.rows_read == 0 {
            return Err(ImportError::Malformed {
                file: file.to_string(),
                line: 1,
                message: "no holding rows after the header: an empty export cannot say which depot holds nothing, so it is refused".into(),
            }
            .into());
        }
        if let Some(c) = out
            .snapshots
            .iter()
            .find(|s| s.outcome == Outcome::Conflict)
        {
            return Err(ImportError::Conflict {
                file: file.to_string(),
                depot: c.depot.clone(),
                as_of: c.as_of.clone(),
                existing: c.existing_file.clone().unwrap_or_default(),
            }
            .into());
        }
        out.new_depots = registry.new_depots;
        out.new_types = registry.new_types;
        out.changed = !out.new_depots.is_empty()
            || !out.new_types.is_empty()
            || out
                .snapshots
                .iter()
                .any(|s| s.outcome != Outcome::Unchanged);
        Ok(out)
    }

    /// Closes every open snapshot, in the order the file first named them.
    fn finish_all(&mut self) -> Result<(), Error> {
        self.open.clear();
        let mut aggregates = Vec::new();
        for writer in std::mem::take(&mut self.writers) {
            let (record, new) =
                writer.finish(self.conn, self.ledger_id, self.replace, &mut self.owners)?;
            self.out.snapshots.push(record);
            aggregates.extend(new);
        }
        store::write_aggregates(self.conn, &aggregates, &mut self.lots)?;
        std::mem::take(&mut self.owners).write(self.conn)?;
        Ok(())
    }
}

/// `--rejects FILE`: each rejected row with its line, columns and reasons,
/// followed by the row as it was read.
struct RejectsWriter {
    path: PathBuf,
    writer: csv::Writer<std::fs::File>,
}

impl RejectsWriter {
    fn create(path: &Path, header: &csv::StringRecord) -> Result<RejectsWriter, Error> {
        let io_err = |source| Error::Io {
            path: path.to_path_buf(),
            source,
        };
        let file = std::fs::File::create(path).map_err(io_err)?;
        let mut writer = csv::Writer::from_writer(file);
        let mut row = vec!["line", "column", "reason"];
        row.extend(header.iter());
        writer.write_record(&row).map_err(|e| io_err(e.into()))?;
        Ok(RejectsWriter {
            path: path.to_path_buf(),
            writer,
        })
    }

    fn write(&mut self, errors: &[RowError], record: &csv::StringRecord) -> Result<(), Error> {
        let line = errors.first().map_or(0, |e| e.line).to_string();
        let columns: Vec<&str> = errors.iter().map(|e| e.column.as_str()).collect();
        let reasons: Vec<std::borrow::Cow<'_, str>> = errors
            .iter()
            .map(|e| crate::error::elide(&e.message))
            .collect();
        let mut row = vec![line, columns.join(", "), reasons.join("; ")];
        row.extend(record.iter().map(str::to_string));
        self.writer.write_record(&row).map_err(|e| Error::Io {
            path: self.path.clone(),
            source: e.into(),
        })
    }

    fn close(mut self) -> Result<(), Error> {
        self.writer.flush().map_err(|source| Error::Io {
            path: self.path.clone(),
            source,
        })
    }
}

pub(crate) fn open_csv(
    path: &Path,
    dialect: &Dialect,
) -> io::Result<(csv::Reader<Box<dyn io::Read + Send>>, dialect::TextCounts)> {
    let (input, counts) = dialect::open_decoded(path, dialect)?;
    let reader = csv::ReaderBuilder::new()
        .delimiter(dialect.delimiter)
        .flexible(true)
        // No csv-level trimming: it copies every record; the validator trims
        // the fields it reads, without copying.
        .has_headers(true)
        .buffer_capacity(256 * 1024)
        .from_reader(input);
    Ok((reader, counts))
}

/// When the header is not where the file starts (a title and a blank line
/// above it, as reports printed from a spreadsheet have), the line where a
/// header seems to stand, as a hint to give `--header-row`.
fn title_lines_hint(path: &Path, dialect: &Dialect) -> Option<String> {
    let (input, counts) = dialect::open_decoded(path, dialect).ok()?;
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(dialect.delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(input);
    for (i, record) in reader.records().take(30).enumerate() {
        let record = record.ok()?;
        let known = record
            .iter()
            .filter(|f| columns::Column::from_name(&columns::normalize(f)).is_some())
            .count();
        let line = record.position().map_or(0, |p| counts.line_at(p.byte()));
        if known >= 3 && i > 0 {
            return Some(format!(
                "hint: line {line} looks like the header (it names {known} stockpile columns): give --header-row {line} to skip the lines above it"
            ));
        }
    }
    None
}

pub(crate) fn csv_error(file: &str, counts: &dialect::TextCounts, e: &csv::Error) -> Error {
    if let csv::ErrorKind::Io(io) = e.kind()
        && let Some(long) = io
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<dialect::LineTooLong>())
    {
        return ImportError::Malformed {
            file: file.to_string(),
            line: long.line,
            message: long.to_string(),
        }
        .into();
    }
    let line = e.position().map_or(0, |p| counts.line_at(p.byte()));
    let message = match e.kind() {
        csv::ErrorKind::Io(io) => format!("cannot read the file: {io}"),
        csv::ErrorKind::Utf8 { .. } => {
            "the text is not valid in the file's encoding (give --encoding)".to_string()
        }
        _ => format!("malformed CSV: {e}"),
    };
    ImportError::Malformed {
        file: file.to_string(),
        line,
        message,
    }
    .into()
}

/// What a file is read as: text in a dialect, or one sheet of a workbook.
pub enum Input {
    Text(dialect::Probe),
    Workbook {
        sha256: String,
        size: u64,
        sheet: workbook::Sheet,
        header_row: Option<u64>,
    },
}

impl Input {
    fn sha256(&self) -> &str {
        match self {
            Input::Text(p) => &p.sha256,
            Input::Workbook { sha256, .. } => sha256,
        }
    }

    fn size(&self) -> u64 {
        match self {
            Input::Text(p) => p.size,
            Input::Workbook { size, .. } => *size,
        }
    }

    /// How the summary names the reading: (encoding, delimiter) of text,
    /// (format, sheet) of a workbook.
    fn describe(&self) -> (String, String) {
        match self {
            Input::Text(p) => (
                p.dialect.encoding.name().to_string(),
                p.dialect.delimiter_name().to_string(),
            ),
            Input::Workbook { sheet, .. } => {
                (sheet.format.clone(), format!("sheet {}", sheet.name))
            }
        }
    }

    fn title_lines_hint(&self, path: &Path) -> Option<String> {
        match self {
            Input::Text(p) => title_lines_hint(path, &p.dialect),
            Input::Workbook { sheet, .. } => sheet
                .rows
                .iter()
                .skip(1)
                .take(30)
                .find(|(_, cells)| {
                    cells
                        .iter()
                        .filter(|c| {
                            columns::Column::from_name(&columns::normalize(
                                &workbook::cell_text(c, false),
                            ))
                            .is_some()
                        })
                        .count()
                        >= 3
                })
                .map(|(row, _)| {
                    format!("hint: row {row} looks like the header: give --header-row {row} to skip the rows above it")
                }),
        }
    }
}

/// The records of a file, with the line (or row) each starts on.
enum Records<'a> {
    Text {
        reader: csv::Reader<Box<dyn io::Read + Send>>,
        counts: dialect::TextCounts,
        /// The last record with a line break inside: where an unclosed
        /// quote would have opened.
        last_multiline: Option<u64>,
    },
    Sheet {
        rows: std::slice::Iter<'a, (u64, Vec<calamine::Data>)>,
        header_row: Option<u64>,
        /// Columns read as dates (a number there is an Excel serial date).
        dates: Vec<usize>,
    },
}

impl<'a> Records<'a> {
    fn open(path: &Path, input: &'a Input) -> io::Result<Records<'a>> {
        Ok(match input {
            Input::Text(p) => {
                let (reader, counts) = open_csv(path, &p.dialect)?;
                Records::Text {
                    reader,
                    counts,
                    last_multiline: None,
                }
            }
            Input::Workbook {
                sheet, header_row, ..
            } => Records::Sheet {
                rows: sheet.rows.iter(),
                header_row: *header_row,
                dates: Vec::new(),
            },
        })
    }

    /// The header record and the line it stands on.
    fn header(&mut self, file: &str) -> Result<(csv::StringRecord, u64), Error> {
        match self {
            Records::Text { reader, counts, .. } => {
                let header = reader
                    .headers()
                    .map_err(|e| csv_error(file, counts, &e))?
                    .clone();
                Ok((header, 1 + counts.lines_skipped()))
            }
            Records::Sheet {
                rows, header_row, ..
            } => {
                for (row, cells) in rows.by_ref() {
                    if header_row.is_some_and(|h| *row < h) {
                        continue;
                    }
                    let header = cells
                        .iter()
                        .map(|c| workbook::cell_text(c, false))
                        .collect();
                    return Ok((header, *row));
                }
                Err(ImportError::Workbook {
                    file: file.to_string(),
                    message: "the sheet is empty (expected a header row, then one row per holding)"
                        .into(),
                }
                .into())
            }
        }
    }

    fn dates_in(&mut self, map: &ColumnMap) {
        if let Records::Sheet { dates, .. } = self {
            *dates = [
                columns::Column::AsOf,
                columns::Column::Expires,
                columns::Column::LastInspected,
            ]
            .iter()
            .filter_map(|c| map.get(*c))
            .collect();
        }
    }

    /// The next record into `record`, and the line (row) it starts on.
    fn read(&mut self, file: &str, record: &mut csv::StringRecord) -> Result<Option<u64>, Error> {
        match self {
            Records::Text {
                reader,
                counts,
                last_multiline,
            } => match reader.read_record(record) {
                Ok(true) => {
                    let line = record.position().map_or(0, |p| counts.line_at(p.byte()));
                    *last_multiline = record.iter().any(|f| f.contains('\n')).then_some(line);
                    Ok(Some(line))
                }
                Ok(false) => Ok(None),
                Err(e) => Err(csv_error(file, counts, &e)),
            },
            Records::Sheet { rows, dates, .. } => Ok(rows.next().map(|(row, cells)| {
                record.clear();
                for (i, cell) in cells.iter().enumerate() {
                    record.push_field(&workbook::cell_text(cell, dates.contains(&i)));
                }
                *row
            })),
        }
    }

    /// How far the reading has come, in bytes of the file.
    fn position(&self, record: &csv::StringRecord, input: &Input) -> u64 {
        match (self, input) {
            (Records::Text { .. }, Input::Text(p)) => {
                scale_position(record.position().map_or(0, |p| p.byte()), &p.dialect)
            }
            _ => 0,
        }
    }

    /// A quote opened and never closed swallows the rest of a text file.
    fn finish(&self, file: &str) -> Result<(), Error> {
        if let Records::Text {
            counts,
            last_multiline: Some(line),
            ..
        } = self
            && counts.is_odd()
        {
            return Err(ImportError::Malformed {
                file: file.to_string(),
                line: *line,
                message: "a quoted field opened on this line is never closed: it runs to the end of the file and would swallow the rows after it".into(),
            }
            .into());
        }
        Ok(())
    }
}

fn scale_position(decoded_byte: u64, dialect: &Dialect) -> u64 {
    if dialect.encoding == encoding_rs::UTF_16LE || dialect.encoding == encoding_rs::UTF_16BE {
        decoded_byte * 2
    } else {
        decoded_byte
    }
}

pub(crate) fn os_user() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "unknown".to_string())
}
