//! `stockpile depots` and `stockpile types`: the reference lists, each with
//! its current on-hand quantity and MC rate.

use super::Context;
use crate::db::{self, Access};
use crate::error::Result;
use crate::output::{Report, Value, rate, render};

pub fn depots(ctx: &mut Context) -> Result<()> {
    let conn = db::open(&ctx.db, Access::Read)?;
    let sql =
        "SELECT d.code,
                (SELECT count(*) FROM snapshot s WHERE s.depot_id = d.id),
                (SELECT min(as_of) FROM snapshot s WHERE s.depot_id = d.id),
                (SELECT max(as_of) FROM snapshot s WHERE s.depot_id = d.id),
                coalesce((SELECT sum(fmc + pmc + nmcm + nmcs + expired) FROM readiness_current r
                          WHERE r.depot_id = d.id), 0),
                coalesce((SELECT sum(fmc + pmc) FROM readiness_current r WHERE r.depot_id = d.id), 0)
         FROM depot d ORDER BY d.code";
    let mut report = Report::new(
        &[
            "depot",
            "snapshots",
            "first_as_of",
            "latest_as_of",
            "on_hand",
            "mc_rate",
        ],
        1,
    );
    report.rows = conn.rows(sql, &[], |r| {
        let (on_hand, mc): (i64, i64) = (r.get(4)?, r.get(5)?);
        Ok(vec![
            Value::Text(r.get(0)?),
            Value::Int(r.get(1)?),
            Value::from(r.get::<Option<String>>(2)?),
            Value::from(r.get::<Option<String>>(3)?),
            Value::Int(on_hand),
            rate(mc, on_hand),
        ])
    })?;
    render(&report, ctx.format, &ctx.style, ctx.out)?;
    Ok(())
}

pub fn types(ctx: &mut Context) -> Result<()> {
    let conn = db::open(&ctx.db, Access::Read)?;
    let sql = "SELECT t.code, t.category, t.nsn,
                (SELECT count(*) FROM readiness_current r WHERE r.type_id = t.id
                   AND fmc + pmc + nmcm + nmcs + expired > 0),
                coalesce((SELECT sum(fmc + pmc + nmcm + nmcs + expired) FROM readiness_current r
                          WHERE r.type_id = t.id), 0),
                coalesce((SELECT sum(fmc + pmc) FROM readiness_current r WHERE r.type_id = t.id), 0)
         FROM equipment_type t ORDER BY t.code";
    let mut report = Report::new(
        &["type", "category", "nsn", "depots", "on_hand", "mc_rate"],
        1,
    );
    report.rows = conn.rows(sql, &[], |r| {
        let (on_hand, mc): (i64, i64) = (r.get(4)?, r.get(5)?);
        Ok(vec![
            Value::Text(r.get(0)?),
            Value::from(r.get::<Option<String>>(1)?),
            Value::from(r.get::<Option<String>>(2)?),
            Value::Int(r.get(3)?),
            Value::Int(on_hand),
            rate(mc, on_hand),
        ])
    })?;
    render(&report, ctx.format, &ctx.style, ctx.out)?;
    Ok(())
}
