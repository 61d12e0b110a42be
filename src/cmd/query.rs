//! `stockpile query SQL`: read-only SQL, refused at three levels: the file
//! is opened read-only, `query_only` is on, and an authorizer allows only
//! reading (no ATTACH, no writes, no pragma assignments).

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

pub fn run(args: &crate::cli::QueryArgs, ctx: &mut Context) -> Result<()> {
    let mut conn = db::open(&ctx.db, Access::ReadOnly)?;
    conn.authorizer(Some(authorize))?;
    let refuse = |e: rusqlite::Error| -> Error {
        match e {
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
            rusqlite::Error::SqliteFailure(_, Some(m)) => Error::Query(format!("query: {m}")),
            other => Error::Query(format!("query: {other}")),
        }
    };
    let mut stmt = conn.prepare(&args.sql).map_err(refuse)?;
    if !stmt.readonly() {
        return Err(Error::Query(
            "query: refused: the statement would write (stockpile query only reads; it never changes the database)".into(),
        ));
    }
    let columns: Vec<String> = stmt.column_names().map(|c| c.to_string()).collect();
    let names: Vec<&str> = columns.iter().map(String::as_str).collect();
    let mut report = Report::new(&names, 0);
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
    render(&report, ctx.format, &ctx.style, ctx.out)?;
    Ok(())
}
