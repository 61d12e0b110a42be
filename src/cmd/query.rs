//! `stockpile query SQL`: read-only SQL. On the SQLite file it is refused at
//! three levels: the file is opened read-only, `query_only` is on, and an
//! authorizer allows only reading (no ATTACH, no writes, no pragma
//! assignments). On a server it runs in a `READ ONLY` transaction that is
//! never committed.

use rusqlite::hooks::{AuthAction, AuthContext, Authorization};
use rusqlite::types::ValueRef;

use super::Context;
use crate::db::{self, Access};
use crate::error::{Error, Result};
use crate::output::{Report, Value, render};

fn authorize(ctx: AuthContext<'_>) -> Authorization {
    match ctx.action {
        AuthAction::Select
        | AuthAction::Read { .. }
        | AuthAction::Function { .. }
        | AuthAction::Recursive => Authorization::Allow,
        AuthAction::Pragma {
            pragma_value: None, ..
        } => Authorization::Allow,
        _ => Authorization::Deny,
    }
}

/// The most memory SQLite may take for one query: a statement that would
/// take more (`randomblob(1e9)`, a runaway recursive CTE) fails instead of
/// exhausting the machine.
const HEAP_LIMIT: i64 = 512 << 20;

pub fn run(args: &crate::cli::QueryArgs, ctx: &mut Context) -> Result<()> {
    if args.timeout == 0 {
        return Err(Error::Usage(
            "--timeout: give a number of seconds above 0".into(),
        ));
    }
    let mut db = db::open(&ctx.db, Access::ReadOnly)?;
    let timeout = std::time::Duration::from_secs(args.timeout);
    let report = match db.postgres() {
        Some(pg) => on_server(pg, &args.sql, timeout)?,
        None => on_file(db.sqlite_mut()?.expect("not a server"), &args.sql, timeout)?,
    };
    render(&report, ctx.format, &ctx.style, ctx.out)?;
    Ok(())
}

fn stopped(timeout: std::time::Duration) -> Error {
    Error::Query(format!(
        "query: stopped after {} s (--timeout SECONDS allows longer; a query over the views current_holdings or current_readiness is faster than one over holding_version)",
        timeout.as_secs()
    ))
}

fn on_server(pg: &db::postgres::Pg, sql: &str, timeout: std::time::Duration) -> Result<Report> {
    if sql.trim().trim_end_matches(';').trim().is_empty() {
        return Err(Error::Query("query: the SQL is empty".into()));
    }
    let mut rows = Vec::new();
    let names = pg.user_query(sql, timeout, |names, r| {
        let mut row = Vec::with_capacity(names.len());
        for (i, name) in names.iter().enumerate() {
            row.push(
                match r.try_get::<_, db::Value>(i).map_err(|e| {
                    Error::Query(format!(
                        "query: column {}: {}",
                        name,
                        std::error::Error::source(&e).map_or(e.to_string(), |s| s.to_string())
                    ))
                })? {
                    db::Value::Null => Value::Null,
                    db::Value::Int(v) => Value::Int(v),
                    db::Value::Real(v) => Value::Real(v),
                    db::Value::Text(t) => Value::Text(t.to_string()),
                },
            );
        }
        rows.push(row);
        Ok(())
    });
    let names = names.map_err(|e| match e {
        Error::Query(m) if m.contains("relation") && m.contains("does not exist") => {
            Error::Query(format!("{m}; {TABLES}"))
        }
        Error::Query(m) if m.contains("statement timeout") => stopped(timeout),
        e => e,
    })?;
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut report = Report::new(&names, 0);
    // The user chose every column: none is hidden (names are cut instead).
    report.essential = (0..names.len()).collect();
    report.shortenable = (0..names.len()).collect();
    report.rows = rows;
    Ok(report)
}

/// What a mistyped table name is answered with: the views made for other
/// tools first, then the tables behind them.
const TABLES: &str = "the views for other tools are current_holdings, current_readiness and required_levels; the tables are depot, equipment_type, snapshot, holding_version, import_ledger, requirement, readiness_current, readiness_notice, readiness_expiry, readiness_owner, readiness_owner_notice, readiness_depot_owner, readiness_depot_owner_notice and attention_day";

fn on_file(
    conn: &mut rusqlite::Connection,
    sql: &str,
    timeout: std::time::Duration,
) -> Result<Report> {
    // Set before the authorizer, which refuses pragma assignments. The
    // limit is the process's; this process runs this one query.
    conn.pragma_update(None, "hard_heap_limit", HEAP_LIMIT)?;
    let deadline = std::time::Instant::now() + timeout;
    conn.progress_handler(10_000, Some(move || std::time::Instant::now() > deadline))?;
    conn.authorizer(Some(authorize))?;
    let refuse = |e: rusqlite::Error| -> Error {
        match e {
            rusqlite::Error::SqliteFailure(f, _)
                if f.code == rusqlite::ErrorCode::OperationInterrupted =>
            {
                stopped(timeout)
            }
            rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::OutOfMemory => {
                Error::Query(format!(
                    "query: stopped: it needs more than {} MB of memory",
                    HEAP_LIMIT >> 20
                ))
            }
            rusqlite::Error::MultipleStatement => {
                Error::Query("query: give one statement at a time".into())
            }
            rusqlite::Error::Empty => Error::Query("query: the SQL is empty".into()),
            rusqlite::Error::SqliteFailure(f, Some(m))
                if f.code == rusqlite::ErrorCode::AuthorizationForStatementDenied =>
            {
                Error::Query(format!(
                    "query: refused: {m} (stockpile query only reads; it never changes the database)"
                ))
            }
            rusqlite::Error::SqliteFailure(f, m)
                if matches!(f.code, rusqlite::ErrorCode::ReadOnly) =>
            {
                Error::Query(format!(
                    "query: refused: {} (stockpile query only reads; it never changes the database)",
                    m.unwrap_or_default()
                ))
            }
            rusqlite::Error::SqliteFailure(_, Some(m)) if m.starts_with("no such table") => {
                Error::Query(format!("query: {m}; {TABLES}"))
            }
            rusqlite::Error::SqliteFailure(_, Some(m)) => Error::Query(format!("query: {m}")),
            other => Error::Query(format!("query: {other}")),
        }
    };
    let mut stmt = conn.prepare(sql).map_err(refuse)?;
    if !stmt.readonly() {
        return Err(Error::Query(
            "query: refused: the statement would write (stockpile query only reads; it never changes the database)".into(),
        ));
    }
    let columns: Vec<String> = stmt.column_names().map(|c| c.to_string()).collect();
    let names: Vec<&str> = columns.iter().map(String::as_str).collect();
    let mut report = Report::new(&names, 0);
    report.essential = (0..names.len()).collect();
    report.shortenable = (0..names.len()).collect();
    let n = columns.len();
    let mut rows = stmt.query([]).map_err(refuse)?;
    while let Some(r) = rows.next().map_err(refuse)? {
        let mut row = Vec::with_capacity(n);
        for i in 0..n {
            row.push(match r.get_ref(i)? {
                ValueRef::Null => Value::Null,
                ValueRef::Integer(v) => Value::Int(v),
                ValueRef::Real(v) => Value::Real(v),
                ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
                ValueRef::Blob(b) => Value::Text(format!("x'{}'", hex::encode(b))),
            });
        }
        report.rows.push(row);
    }
    Ok(report)
}
