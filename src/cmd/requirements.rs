//! `stockpile requirements import FILE`: authorised levels per depot × type.

use std::collections::HashMap;
use std::path::Path;

use super::Context;
use crate::db::{self, Access};
use crate::error::{Error, ImportError, Result, RowError, RowErrors};
use crate::import::columns::normalize;
use crate::import::dialect;
use crate::import::store::{self, Registry};
use crate::import::{csv_error, open_csv, os_user};
use crate::model::{DepotCode, TypeCode};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Col {
    Depot,
    Type,
    Required,
}

fn column(name: &str) -> Option<Col> {
    match normalize(name).as_str() {
        "depot" | "depot_code" | "site" => Some(Col::Depot),
        "type" | "model" | "equipment_type" => Some(Col::Type),
        "required" | "required_quantity" | "authorised" | "authorized" | "quantity" | "qty" => {
            Some(Col::Required)
        }
        _ => None,
    }
}

pub fn run(path: &Path, ctx: &mut Context) -> Result<()> {
    let file = path.display().to_string();
    let probe = dialect::probe(path, None, None, None).map_err(|e| e.into_error(path, &file))?;
    let (mut reader, counts) = open_csv(path, &probe.dialect).map_err(|source| Error::NoInput {
        path: path.to_path_buf(),
        source,
    })?;
    let header = reader
        .headers()
        .map_err(|e| csv_error(&file, &counts, &e))?
        .clone();
    let mut index = [None; 3];
    for (i, name) in header.iter().enumerate() {
        if let Some(c) = column(name) {
            if index[c as usize].is_some() {
                return Err(ImportError::Header {
                    file,
                    line: 1,
                    message: format!("column \"{name}\" appears twice"),
                }
                .into());
            }
            index[c as usize] = Some(i);
        }
    }
    let (Some(di), Some(ti), Some(ri)) = (index[0], index[1], index[2]) else {
        return Err(ImportError::Header {
            file,
            line: 1,
            message: format!(
                "a requirements file needs the columns depot, type and required; the header read was: {}",
                header.iter().collect::<Vec<_>>().join(" | ")
            ),
        }
        .into());
    };

    let mut rows: Vec<(DepotCode, TypeCode, i64)> = Vec::new();
    let mut seen: HashMap<(DepotCode, TypeCode), u64> = HashMap::new();
    let mut errors = Vec::new();
    let mut error_rows = 0;
    let mut record = csv::StringRecord::new();
    while reader
        .read_record(&mut record)
        .map_err(|e| csv_error(&file, &counts, &e))?
    {
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let line = record.position().map_or(0, |p| counts.line_at(p.byte()));
        let mut row_errors = Vec::new();
        let mut err = |column: &str, message: String| {
            row_errors.push(RowError {
                line,
                column: column.into(),
                message,
            })
        };
        let depot = DepotCode::parse(record.get(di).unwrap_or(""))
            .map_err(|m| err("depot", m))
            .ok();
        let type_code = TypeCode::parse(record.get(ti).unwrap_or(""))
            .map_err(|m| err("type", m))
            .ok();
        let text = record.get(ri).unwrap_or("").trim();
        let required = match text.parse::<i64>() {
            Ok(n)
                if (0..=1_000_000_000).contains(&n) && text.bytes().all(|b| b.is_ascii_digit()) =>
            {
                Some(n)
            }
            _ => {
                err(
                    "required",
                    format!(
                        "\"{text}\" is not a required quantity (expected a whole number 0–1000000000)"
                    ),
                );
                None
            }
        };
        if let (Some(d), Some(t), Some(r)) = (depot, type_code, required) {
            match seen.get(&(d.clone(), t.clone())) {
                Some(first) => err(
                    "type",
                    format!("{d} × {t} is already given on line {first}"),
                ),
                None => {
                    seen.insert((d.clone(), t.clone()), line);
                    rows.push((d, t, r));
                }
            }
        }
        if !row_errors.is_empty() {
            error_rows += 1;
            if errors.len() < RowErrors::SHOWN {
                errors.extend(row_errors);
            }
        }
    }
    if !errors.is_empty() {
        return Err(ImportError::Rows(RowErrors {
            file,
            errors,
            total: error_rows,
        })
        .into());
    }

    let conn = db::open(&ctx.db, Access::Write)?;
    let earlier = store::ledger_entry_for(&conn, &probe.sha256)?;
    if let Some(id) = earlier {
        if !ctx.quiet {
            writeln!(
                ctx.out,
                "{file}: already imported (ledger entry {id}, same SHA-256); nothing changed"
            )?;
        }
        return Ok(());
    }
    let tx = conn.begin_write()?;
    let imported_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let ledger_id = store::open_ledger_entry(&tx, &file, &probe.sha256, &imported_at, &os_user())?;
    let mut registry = Registry::load(&tx)?;
    for (depot, type_code, required) in &rows {
        let (depot_id, w1) = registry.depot_id(&tx, depot, ledger_id)?;
        let (type_id, w2) = registry.type_id(&tx, type_code, None, None, ledger_id)?;
        for w in [w1, w2].into_iter().flatten() {
            ctx.warn(&format!("{file}: {w}"));
        }
        tx.execute(
            "INSERT INTO requirement (depot_id, type_id, required) VALUES (?1, ?2, ?3)
             ON CONFLICT (depot_id, type_id) DO UPDATE SET required = excluded.required",
            &[&depot_id, &type_id, required],
        )?;
    }
    let content = serde_json::json!({
        "registry": crate::content::registry_digest(&tx)?,
        "requirements_digest": crate::content::requirements_digest(&tx)?,
        "requirements": rows.len(),
        "new_depots": registry.new_depots,
        "new_types": registry.new_types,
    })
    .to_string();
    store::seal_ledger_entry(&tx, ledger_id, &content)?;
    tx.commit()?;
    if !ctx.quiet {
        writeln!(
            ctx.out,
            "{file}: {} requirements loaded (ledger entry {ledger_id})",
            rows.len()
        )?;
        if !registry.new_depots.is_empty() {
            writeln!(ctx.out, "  new depots: {}", registry.new_depots.join(", "))?;
        }
        if !registry.new_types.is_empty() {
            writeln!(ctx.out, "  new types: {}", registry.new_types.join(", "))?;
        }
    }
    Ok(())
}
