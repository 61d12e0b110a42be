//! A next week's import counts only what changed (new lines in, closed
//! versions out, added to the stored aggregates): the database it leaves
//! must be the one counting every line gives (`STOCKPILE_RECOUNT`), table
//! by table, and `check` must pass on it.

use proptest::prelude::*;

use crate::util::{Lcg, TODAY, Work, export_with};

const HEADER: &str = "depot,as_of,type,category,serial,quantity,status,owner,notice_hours,lot,expires,condition_code,remarks,last_inspected,next_test";

/// One line of a depot's export, as it stands this week.
#[derive(Clone)]
struct Line {
    type_code: &'static str,
    serial: Option<String>,
    quantity: u32,
    status: &'static str,
    notice: &'static str,
    lot: Option<String>,
    expires: String,
    code: &'static str,
    remark: &'static str,
    owner: &'static str,
    /// What `watch` judges a line by (`attention_day`).
    inspected: &'static str,
    next_test: &'static str,
}

fn random_line(rng: &mut Lcg, i: usize) -> Line {
    let ammo = rng.next(3) == 0;
    let status = rng.pick(&["FMC", "FMC", "PMC", "NMCM", "NMCS"]);
    // A code, when given, agrees with the status (or stands alone).
    let code = match (ammo, status, rng.next(4)) {
        (true, _, 0) => "J",
        (true, "FMC" | "PMC", 1) => "C",
        (true, "FMC" | "PMC", 2) => "A",
        (true, "NMCM" | "NMCS", 1) => "D",
        // Equipment under a suspended code counts as NMCS.
        (false, _, 0) => "K",
        _ => "",
    };
    Line {
        type_code: if ammo {
            rng.pick(&["SHELL-A", "SHELL-B"])
        } else {
            rng.pick(&["TANK-A", "TANK-B", "IFV-A", "NEWTYPE"])
        },
        serial: (!ammo).then(|| format!("V{i}")),
        quantity: if ammo { 1 + rng.next(400) as u32 } else { 1 },
        status: if code == "J" && rng.next(2) == 0 {
            ""
        } else {
            status
        },
        notice: rng.pick(&["", "6", "24", "48", "72"]),
        lot: ammo.then(|| format!("L{}", rng.next(3))),
        // Some lots expire between the weeks, some never have a date.
        expires: if ammo && rng.next(3) > 0 {
            format!("2026-10-{:02}", 1 + rng.next(28))
        } else {
            String::new()
        },
        code,
        remark: rng.pick(&["", "", "track", "radio"]),
        owner: rng.pick(&["POL", "POL", "DEU", ""]),
        inspected: rng.pick(&["", "2026-03-01", "2026-05-01", "2026-09-15", "2026-09-15"]),
        next_test: if ammo {
            rng.pick(&["", "", "2026-10-10", "2026-12-01"])
        } else {
            ""
        },
    }
}

fn row(depot: &str, date: &str, l: &Line) -> String {
    let category = if l.lot.is_some() { "AMMO" } else { "MBT" };
    format!(
        "{depot},{date},{},{category},{},{},{},{},{},{},{},{},{},{},{}",
        l.type_code,
        l.serial.as_deref().unwrap_or(""),
        l.quantity,
        l.status,
        l.owner,
        l.notice,
        l.lot.as_deref().unwrap_or(""),
        l.expires,
        l.code,
        l.remark,
        l.inspected,
        l.next_test
    )
}

/// Weekly exports of three depots, one file a week holding all of them,
/// rows interleaved: each week lines change, leave, come back and repeat
/// identically; a type appears late and another empties out.
fn random_weeks(seed: u64) -> Vec<String> {
    let mut rng = Lcg(seed);
    let depots = ["D-1", "D-2", "D-3"];
    let mut state: Vec<Vec<Option<Line>>> = depots
        .iter()
        .map(|_| (0..10).map(|i| Some(random_line(&mut rng, i))).collect())
        .collect();
    let mut files = Vec::new();
    for week in 0..5u64 {
        let date = format!("2026-10-{:02}", 1 + week * 6);
        let mut rows = Vec::new();
        for (d, lines) in state.iter_mut().enumerate() {
            if week > 0 {
                for _ in 0..rng.next(5) {
                    let i = rng.next(lines.len() as u64) as usize;
                    lines[i] = match rng.next(4) {
                        0 => None,
                        _ => Some(random_line(&mut rng, i)),
                    };
                }
                // The last week, one depot holds no TANK-A at all.
                if week == 4 && d == 0 {
                    for l in lines.iter_mut() {
                        if l.as_ref().is_some_and(|l| l.type_code == "TANK-A") {
                            *l = None;
                        }
                    }
                }
            }
            for l in lines.iter().flatten() {
                rows.push((rng.next(1000), row(depots[d], &date, l)));
                // Identical ammunition lines repeat now and then.
                if l.lot.is_some() && rng.next(4) == 0 {
                    rows.push((rng.next(1000), row(depots[d], &date, l)));
                }
            }
        }
        rows.sort();
        let rows: Vec<&str> = rows.iter().map(|(_, r)| r.as_str()).collect();
        files.push(export_with(HEADER, &rows));
    }
    files
}

/// The tables an import writes, row by row, leaving out the ledger's
/// times and hashes (two runs differ in them); read through `query`, so
/// that the test holds on a server too.
fn content(w: &Work) -> String {
    let mut out = String::new();
    for (table, order) in [
        ("snapshot", "id"),
        ("holding_version", "id"),
        ("readiness_current", "depot_id, type_id"),
        (
            "readiness_notice",
            "depot_id, type_id, notice_hours, priority",
        ),
        (
            "readiness_expiry",
            "depot_id, type_id, notice_hours, expires, status, priority, owner",
        ),
        ("readiness_owner", "type_id, owner"),
        ("attention_day", "depot_id, kind, day"),
        ("readiness_depot_owner", "depot_id, owner"),
        (
            "readiness_depot_owner_notice",
            "depot_id, owner, notice_hours, priority",
        ),
        (
            "readiness_owner_notice",
            "type_id, owner, notice_hours, priority",
        ),
        ("equipment_type", "id"),
    ] {
        let sql = format!("SELECT * FROM {table} ORDER BY {order}");
        out.push_str(&w.run(["query", "--format", "csv", &sql]).ok().stdout);
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 10, .. ProptestConfig::default() })]

    #[test]
    fn counting_what_changed_gives_the_database_counting_every_line_gives(seed in any::<u64>()) {
        let (changes, every) = (Work::new(), Work::new());
        for (week, text) in random_weeks(seed).iter().enumerate() {
            let name = format!("week-{week}.csv");
            changes.import(&changes.write(&name, text)).ok();
            every
                .run_with(
                    &[("STOCKPILE_RECOUNT", "1")],
                    ["import", every.write(&name, text).to_str().unwrap()],
                )
                .ok();
            let (a, b) = (content(&changes), content(&every));
            prop_assert!(a == b, "seed {seed}, week {week}:\n{}", first_difference(&a, &b));
            // The figures by owner, read from those sums, are the ones
            // the versions give (a date reads them).
            for args in [
                &["report", "--by", "owner,category"][..],
                &["deployable", "--within", "48h", "--by", "owner,type"],
                &["report", "--owner", "DEU", "--by", "type"],
                &["report", "--by", "depot,owner"],
                &["deployable", "--within", "24h", "--owner", "DEU", "--by", "depot"],
            ] {
                let dated: Vec<&str> = args.iter().copied().chain(["--as-of", TODAY]).collect();
                prop_assert_eq!(
                    changes.json(args),
                    changes.json(&dated),
                    "seed {}, week {}: {:?}",
                    seed,
                    week,
                    args
                );
            }
            // A depot filter reads that depot's versions through its
            // index: the rows a pass over all of them gives for it.
            let date = format!("2026-10-{:02}", 1 + week * 6);
            for as_of in [TODAY, date.as_str()] {
                let all = changes.json(&["report", "--by", "depot,type,owner", "--as-of", as_of]);
                let one = changes.json(&[
                    "report", "--by", "depot,type,owner", "--depot", "D-2", "--as-of", as_of,
                ]);
                let of_d2: Vec<&serde_json::Value> = all["rows"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|r| r["depot"] == "D-2")
                    .collect();
                let rows: Vec<&serde_json::Value> = one["rows"].as_array().unwrap().iter().collect();
                prop_assert!(!rows.is_empty());
                prop_assert_eq!(rows, of_d2, "seed {}, week {}, as of {}", seed, week, as_of);
            }
        }
        changes.run(["check"]).ok();
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 8, .. ProptestConfig::default() })]

    /// `history` sweeps the aggregates and only the versions that changed
    /// (see trend.rs); `report --as-of` reads every version on the date.
    /// Weeks arrive in any order (a late week splits versions already
    /// stored), lots expire between them, codes suspend some.
    #[test]
    fn history_from_the_aggregates_is_the_report_on_each_date(seed in any::<u64>()) {
        let w = Work::new();
        let mut weeks: Vec<(u64, String)> = random_weeks(seed)
            .into_iter()
            .enumerate()
            .map(|(i, text)| (Lcg(seed ^ i as u64).next(100), text))
            .collect();
        weeks.sort();
        for (i, (_, text)) in weeks.iter().enumerate() {
            w.import(&w.write(&format!("week-{i}.csv"), text)).ok();
        }
        for by in ["depot,type", "category", "depot", "owner", "depot,owner", "owner,type"] {
            crate::snapshots::history_is_the_report_on_each_date(&w, by);
        }
    }
}

fn first_difference(a: &str, b: &str) -> String {
    for (x, y) in a.lines().zip(b.lines()) {
        if x != y {
            return format!("counted by difference: {x}\ncounted whole:         {y}");
        }
    }
    format!("{} lines against {}", a.lines().count(), b.lines().count())
}
