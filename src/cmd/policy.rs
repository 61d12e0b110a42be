//! `stockpile policy import FILE` and `stockpile policy show`: the
//! readiness policy of SPEC §13, recorded in the ledger and printed.

use std::path::Path;

use serde_json::json;

use super::Context;
use crate::db::{self, Access};
use crate::error::{Error, Result};
use crate::output::Format;
use crate::policy::{self, InForce, Policy};

pub fn import(path: &Path, ctx: &mut Context) -> Result<()> {
    if ctx.format_given && ctx.format == Format::Csv {
        return Err(Error::Usage(
            "policy import prints what it recorded as text or --format json".into(),
        ));
    }
    // Read and checked before the database is touched: a refused file
    // leaves it exactly as it was (and creates none).
    let text = crate::textfile::read(path)?;
    let file = path.display().to_string();
    let new = Policy::parse(&text, &file)?;
    let conn = db::open(&ctx.db, Access::Write)?;
    let before = policy::choose(&conn, policy::Choice::Latest)?;
    let id = policy::record(&conn, &new, &file, &text)?;
    let recorded = policy::choose(&conn, policy::Choice::Entry(id))?;
    if ctx.format == Format::Json {
        let mut doc = recorded.json();
        doc["replaces"] = json!(before.entry.as_ref().map(|e| e.id));
        serde_json::to_writer_pretty(&mut *ctx.out, &doc).map_err(std::io::Error::from)?;
        writeln!(ctx.out)?;
        return Ok(());
    }
    writeln!(
        ctx.out,
        "policy recorded as ledger entry {id}: {}",
        new.terms()
    )?;
    if new == before.policy {
        writeln!(
            ctx.out,
            "it is the same as the one in force before ({}): no figure changes",
            before
                .entry
                .as_ref()
                .map_or("SPEC §4's defaults".to_string(), |e| format!(
                    "ledger entry {}",
                    e.id
                ))
        )?;
    } else {
        writeln!(
            ctx.out,
            "reports judge by it from now on; --policy {} judges by the one before",
            before
                .entry
                .as_ref()
                .map_or("default".to_string(), |e| e.id.to_string())
        )?;
    }
    Ok(())
}

pub fn show(all: bool, ctx: &mut Context) -> Result<()> {
    if ctx.format_given && ctx.format == Format::Csv {
        return Err(Error::Usage(
            "policy show prints text or --format json".into(),
        ));
    }
    let conn = db::open(&ctx.db, Access::Read)?;
    let list: Vec<InForce> = if all {
        policy::all(&conn)?
    } else {
        vec![super::policy(ctx, &conn)?]
    };
    if ctx.format == Format::Json {
        let docs: Vec<serde_json::Value> = list.iter().map(describe_json).collect();
        let doc = if all {
            json!({ "policies": docs })
        } else {
            docs.into_iter().next().unwrap_or_default()
        };
        serde_json::to_writer_pretty(&mut *ctx.out, &doc).map_err(std::io::Error::from)?;
        writeln!(ctx.out)?;
        return Ok(());
    }
    if all && list.is_empty() {
        writeln!(
            ctx.out,
            "no policy recorded: reports judge by SPEC §4's defaults (stockpile policy import FILE records one)"
        )?;
        return Ok(());
    }
    for (i, p) in list.iter().enumerate() {
        if i > 0 {
            writeln!(ctx.out)?;
        }
        print(ctx, p)?;
    }
    Ok(())
}

fn print(ctx: &mut Context, p: &InForce) -> Result<()> {
    let q = &p.policy;
    match &p.entry {
        Some(e) => writeln!(
            ctx.out,
            "policy: ledger entry {}{}, recorded {} by {} from {}",
            e.id,
            q.name
                .as_deref()
                .map_or(String::new(), |n| format!(" \"{n}\"")),
            e.recorded_at,
            e.recorded_by,
            e.file
        )?,
        None => writeln!(
            ctx.out,
            "policy: SPEC §4 defaults (none recorded; stockpile policy import FILE records one)"
        )?,
    }
    let [r1, r2, r3] = q.r_levels;
    let [s1, s2, s3] = q.s_levels;
    writeln!(
        ctx.out,
        "  R-levels: R1 MC rate >= {r1} %, R2 >= {r2} %, R3 >= {r3} %, R4 below"
    )?;
    writeln!(
        ctx.out,
        "  S-levels: S1 fill >= {s1} %, S2 >= {s2} %, S3 >= {s3} %, S4 below"
    )?;
    writeln!(
        ctx.out,
        "  PMC: {}",
        if q.pmc_is_mission_capable {
            "mission capable (counts in mc, deployable and packages)"
        } else {
            "not mission capable (on hand, but outside mc, deployable and packages)"
        }
    )?;
    writeln!(
        ctx.out,
        "  stale after: {} days (watch --stale default, package data age)",
        q.stale_days
    )?;
    Ok(())
}

fn describe_json(p: &InForce) -> serde_json::Value {
    let mut doc = p.json();
    if let Some(e) = &p.entry {
        doc["recorded_by"] = json!(e.recorded_by);
        doc["file"] = json!(e.file);
        doc["toml"] = json!(e.source);
    }
    doc
}
