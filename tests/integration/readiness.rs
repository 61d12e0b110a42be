//! Readiness figures computed by hand and compared field by field.

use serde_json::{Value, json};

use crate::util::{Work, export, row};

fn hand_made() -> Work {
    let w = Work::new();
    let f = w.write(
        "tst.csv",
        export(&[
            "TST-01,2026-11-01,LEOPARD-2A6,MBT,2350-12-345-6781,L-1,1,FMC,DEU,24,,,",
            "TST-01,2026-11-01,LEOPARD-2A6,MBT,,L-2,1,FMC,DEU,72,,,",
            "TST-01,2026-11-01,LEOPARD-2A6,MBT,,L-3,1,PMC,DEU,24,,,",
            "TST-01,2026-11-01,LEOPARD-2A6,MBT,,L-4,1,NMCM,DEU,24,,,",
            "TST-01,2026-11-01,155MM-HE-M795,AMMO,,,100,FMC,USA,48,A1,2027-01-01,",
            "TST-01,2026-11-01,155MM-HE-M795,AMMO,,,50,FMC,USA,48,A2,2026-10-01,\"expired, still FMC\"",
            "TST-01,2026-11-01,155MM-HE-M795,AMMO,,,30,NMCS,USA,48,A3,2028-05-01,",
            "TST-02,2026-11-01,LEOPARD-2A6,MBT,,L-5,1,FMC,NLD,,,,",
            "TST-02,2026-11-01,LEOPARD-2A6,MBT,,L-6,1,FMC,NLD,,,,",
            "TST-02,2026-11-01,LEOPARD-2A6,MBT,,L-7,1,NMCS,NLD,,,,",
        ]),
    );
    w.import(&f).ok();
    let r = w.write(
        "req.csv",
        "depot,type,required\nTST-01,LEOPARD-2A6,5\nTST-01,155MM-HE-M795,150\nTST-02,LEOPARD-2A6,2\nTST-02,M109A7,4\n",
    );
    w.run(["requirements".as_ref(), "import".as_ref(), r.as_os_str()])
        .ok();
    w
}

fn close(v: &Value, expected: f64) -> bool {
    v.as_f64().is_some_and(|x| (x - expected).abs() < 1e-9)
}

#[track_caller]
fn assert_figures(actual: &Value, expected: Value) {
    for (k, e) in expected.as_object().unwrap() {
        let a = &actual[k];
        let same = match e {
            Value::Number(n) if n.is_f64() => close(a, n.as_f64().unwrap()),
            _ => a == e,
        };
        assert!(same, "field {k}: expected {e}, got {a} in {actual:#}");
    }
}

// The hand-made stockpile, judged on 2026-12-06 (util::TODAY):
// TST-01 holds 4 tanks (2 FMC, 1 PMC, 1 NMCM) and 180 rounds of 155 mm in
// three lots: 100 FMC good to 2027, 50 FMC that expired on 2026-10-01,
// 30 NMCS. TST-02 holds 3 tanks (2 FMC, 1 NMCS) and is required to hold
// 4 M109A7 it has never reported. Tanks are items, rounds are rounds: the
// two are never summed (SPEC §4).

#[test]
fn report_by_depot_matches_hand_computation() {
    let w = hand_made();
    let r = w.json(&["report"]);
    assert_eq!(r["date"], "2026-12-06", "the date the figures are about");
    assert_eq!(r["rows"].as_array().unwrap().len(), 2);
    let one = row(&r, "depot", "TST-01");
    assert_eq!(
        one.as_object().unwrap().len(),
        21,
        "depot + 20 figures: {one:#}"
    );
    assert_figures(
        one,
        json!({
            "depot": "TST-01", "on_hand": 4, "fmc": 2, "pmc": 1, "nmcm": 1, "nmcs": 0,
            "mc": 3, "mc_rate": 0.75, "r_level": "R2",
            // 4 of 5 tanks required; the rounds have a requirement of their own.
            "required": 5, "fill_rate": 0.8, "s_level": "S2", "level": 2,
            "ammo_on_hand": 180, "ammo_serviceable": 100, "ammo_unserviceable": 30,
            "ammo_expired": 50, "ammo_rate": 100.0 / 180.0,
            "ammo_required": 150, "ammo_fill_rate": 1.0,
        }),
    );
    assert_figures(
        row(&r, "depot", "TST-02"),
        json!({
            "on_hand": 3, "fmc": 2, "pmc": 0, "nmcm": 0, "nmcs": 1, "mc": 2,
            "mc_rate": 2.0 / 3.0, "r_level": "R3", "required": 6, "fill_rate": 2.0 / 6.0,
            "s_level": "S4", "level": 4,
            "ammo_on_hand": 0, "ammo_rate": null, "ammo_required": null, "ammo_fill_rate": null,
        }),
    );
    assert_figures(
        &r["total"],
        json!({
            "on_hand": 7, "fmc": 4, "pmc": 1, "nmcm": 1, "nmcs": 1, "mc": 5,
            "mc_rate": 5.0 / 7.0, "r_level": "R2", "required": 11, "fill_rate": 6.0 / 11.0,
            "s_level": "S4", "level": 4,
            "ammo_on_hand": 180, "ammo_serviceable": 100, "ammo_unserviceable": 30,
            "ammo_expired": 50, "ammo_required": 150, "ammo_fill_rate": 1.0,
        }),
    );
    assert!(r["total"].get("depot").is_none());
}

#[test]
fn report_by_type_caps_fill_per_pair_and_shows_unheld_requirements() {
    let w = hand_made();
    let r = w.json(&["report", "--by", "type"]);
    assert_figures(
        row(&r, "type", "LEOPARD-2A6"),
        json!({
            "on_hand": 7, "fmc": 4, "pmc": 1, "nmcm": 1, "nmcs": 1, "mc": 5,
            "mc_rate": 5.0 / 7.0, "r_level": "R2", "required": 7, "fill_rate": 6.0 / 7.0,
            "s_level": "S2", "level": 2, "ammo_on_hand": 0,
        }),
    );
    assert_figures(
        row(&r, "type", "M109A7"),
        json!({
            "on_hand": 0, "mc": 0, "mc_rate": null, "r_level": null, "required": 4,
            "fill_rate": 0.0, "s_level": "S4", "level": 4,
        }),
    );
    // Rounds alone: no equipment level, their own rates.
    assert_figures(
        row(&r, "type", "155MM-HE-M795"),
        json!({
            "on_hand": 0, "mc": 0, "mc_rate": null, "r_level": null, "required": null,
            "level": null, "ammo_on_hand": 180, "ammo_serviceable": 100,
            "ammo_unserviceable": 30, "ammo_expired": 50, "ammo_rate": 100.0 / 180.0,
            "ammo_required": 150, "ammo_fill_rate": 1.0,
        }),
    );
    // A table shows – for a kind a row does not hold, a program 0.
    let csv = w.run(["report", "--by", "type", "--format", "csv"]).ok();
    assert!(
        csv.stdout
            .contains("155MM-HE-M795,0,0,0,0,0,0,,,,,,,180,100,30,50,"),
        "{}",
        csv.stdout
    );
    let table = w.run(["report", "--by", "type"]).ok();
    let line = table
        .stdout
        .lines()
        .find(|l| l.contains("155MM-HE-M795"))
        .unwrap();
    assert!(line.contains(" – "), "{line}");
}

#[test]
fn grouping_by_owner_drops_requirements() {
    let w = hand_made();
    let r = w.json(&["report", "--by", "owner"]);
    assert_figures(
        row(&r, "owner", "USA"),
        json!({"on_hand": 0, "ammo_on_hand": 180, "required": null, "s_level": null,
               "ammo_required": null, "level": null}),
    );
    assert_figures(row(&r, "owner", "NLD"), json!({"on_hand": 3, "level": 3}));
    let r = w.json(&["report", "--by", "depot,category"]);
    // TST-01 MBT, TST-01 AMMO, TST-02 MBT, and TST-02's required M109A7,
    // whose category no export has named yet.
    assert_eq!(r["rows"].as_array().unwrap().len(), 4);
    assert_figures(
        row(&r, "category", "AMMO"),
        json!({"depot": "TST-01", "on_hand": 0, "ammo_on_hand": 180, "ammo_expired": 50}),
    );
    let unknown = r["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["category"].is_null())
        .unwrap();
    assert_figures(
        unknown,
        json!({"depot": "TST-02", "on_hand": 0, "required": 4, "level": 4}),
    );
}

#[test]
fn filters_narrow_every_figure() {
    let w = hand_made();
    let r = w.json(&["report", "--by", "type", "--depot", "tst-02"]);
    assert_figures(
        &r["total"],
        json!({"on_hand": 3, "required": 6, "fill_rate": 2.0 / 6.0}),
    );
    let r = w.json(&["report", "--category", "AMMO"]);
    assert_figures(
        &r["total"],
        json!({"on_hand": 0, "ammo_on_hand": 180, "required": null, "ammo_required": 150}),
    );
    let r = w.json(&["report", "--owner", "DEU", "--owner", "NLD"]);
    assert_figures(&r["total"], json!({"on_hand": 7, "required": null}));
    let r = w.json(&[
        "report",
        "--type",
        "LEOPARD-2A6,155MM-HE-M795",
        "--by",
        "type",
    ]);
    assert_eq!(r["rows"].as_array().unwrap().len(), 2);
}

#[test]
fn a_mistyped_filter_or_a_date_before_every_snapshot_is_refused_never_answered() {
    let w = hand_made();
    for (args, expected) in [
        (&["report", "--depot", "TST-1"][..], "did you mean TST-01?"),
        (&["report", "--depot", "NOPE-01"][..], "matches no depot"),
        (
            &["deployable", "--within", "24h", "--type", "LEOPRAD-2A6"][..],
            "did you mean LEOPARD-2A6?",
        ),
        (
            &["history", "--owner", "FRA"][..],
            "FRA owns nothing in the database; nations that do: DEU, NLD, USA",
        ),
        (
            &["report", "--as-of", "2026-10-31"][..],
            "before the first snapshot (2026-11-01)",
        ),
        (&["export", "--depot", "TST-03"][..], "matches no depot"),
        (&["watch", "--depot", "TST-03"][..], "matches no depot"),
        (&["changes", "--depot", "TST-03"][..], "matches no depot"),
    ] {
        let r = w.run(args).code(65);
        assert!(r.stderr.contains(expected), "{args:?}: {}", r.stderr);
        assert!(
            r.stdout.is_empty(),
            "{args:?} printed figures: {}",
            r.stdout
        );
    }
    // Codes the database knows, in any case, are answered.
    w.run(["report", "--depot", "tst-01", "--owner", "usa"])
        .ok();
}

#[test]
fn a_lot_is_expired_from_its_date_on_whatever_its_snapshot_says() {
    // A lot good on its snapshot's date (2026-11-01) that expires on
    // 2026-11-20: serviceable on 2026-11-10, expired today (2026-12-06).
    let w = Work::new();
    w.import(&w.write(
        "e.csv",
        export(&[
            "E-1,2026-11-01,120MM-DM11,AMMO,,,400,FMC,DEU,24,X1,2026-11-20,",
            "E-1,2026-11-01,120MM-DM11,AMMO,,,100,FMC,DEU,24,X2,2030-01-01,",
            // Equipment never expires, whatever its expires column says.
            "E-1,2026-11-01,LEOPARD-2A6,MBT,,T1,1,FMC,DEU,24,,2026-11-02,",
        ]),
    ))
    .ok();
    let today = w.json(&["report"]);
    assert_figures(
        &today["total"],
        json!({"mc": 1, "ammo_serviceable": 100, "ammo_expired": 400}),
    );
    let before = w.json(&["report", "--as-of", "2026-11-10"]);
    assert_eq!(before["date"], "2026-11-10");
    assert_figures(
        &before["total"],
        json!({"mc": 1, "ammo_serviceable": 500, "ammo_expired": 0}),
    );
    // By owner (read from the holdings) and from the aggregates alike.
    let owner = w.json(&["report", "--by", "owner"]);
    assert_figures(
        row(&owner, "owner", "DEU"),
        json!({"ammo_serviceable": 100, "ammo_expired": 400}),
    );
    let d = w.json(&["deployable", "--within", "24h"]);
    assert_figures(
        &d["total"],
        json!({"mc": 1, "deployable": 1, "ammo_deployable": 100}),
    );
    // History judges each date on that date: the snapshot's own date.
    let h = w.json(&["history"]);
    assert_figures(
        &h["rows"][0],
        json!({"ammo_serviceable": 500, "ammo_expired": 0}),
    );
    // Tomorrow it is another figure: the day is STOCKPILE_TODAY's.
    let r = w
        .run_with(
            &[("STOCKPILE_TODAY", "2026-11-15")],
            ["report", "--format", "json"],
        )
        .ok()
        .json();
    assert_figures(&r["total"], json!({"ammo_serviceable": 500}));
}

#[test]
fn deployable_counts_mc_items_and_serviceable_rounds_within_the_window() {
    let w = hand_made();
    let r = w.json(&["deployable", "--within", "24h"]);
    assert_figures(
        row(&r, "type", "LEOPARD-2A6"),
        json!({"mc": 5, "deployable": 2, "ammo_deployable": 0}),
    );
    assert_figures(
        row(&r, "type", "155MM-HE-M795"),
        json!({"mc": 0, "deployable": 0, "ammo_deployable": 0}),
    );
    let r = w.json(&["deployable", "--within", "2d"]);
    assert_figures(
        row(&r, "type", "155MM-HE-M795"),
        json!({"mc": 0, "deployable": 0, "ammo_deployable": 100}),
    );
    // Tanks and rounds never in one sum.
    assert_figures(
        &r["total"],
        json!({"mc": 5, "deployable": 2, "ammo_deployable": 100}),
    );
    let r = w.json(&["deployable", "--within", "72", "--by", "depot"]);
    assert_figures(
        row(&r, "depot", "TST-01"),
        json!({"mc": 3, "deployable": 3, "ammo_deployable": 100}),
    );
    assert_figures(
        row(&r, "depot", "TST-02"),
        json!({"mc": 2, "deployable": 0, "ammo_deployable": 0}),
    );
}

#[test]
fn fail_below_exits_1_only_when_a_group_is_worse() {
    let w = hand_made();
    w.run(["report", "--fail-below", "4"]).ok();
    let r = w.run(["report", "--fail-below", "3"]).code(1);
    assert!(r.stderr.contains("TST-02 at level 4"), "{}", r.stderr);
    assert!(!r.stderr.contains("TST-01"), "{}", r.stderr);
    assert!(!r.stdout.is_empty(), "the table is still printed");
    w.run(["report", "--fail-below", "9"]).code(2);
}

#[test]
fn depots_and_types_lists() {
    let w = hand_made();
    let d = w.json(&["depots"]);
    assert_figures(
        row(&d, "depot", "TST-01"),
        json!({"snapshots": 1, "latest_as_of": "2026-11-01", "on_hand": 4, "mc_rate": 0.75,
               "ammo_on_hand": 180, "ammo_rate": 100.0 / 180.0}),
    );
    let t = w.json(&["types"]);
    assert_figures(
        row(&t, "type", "LEOPARD-2A6"),
        json!({"category": "MBT", "nsn": "2350-12-345-6781", "depots": 2, "on_hand": 7,
               "ammo_on_hand": 0}),
    );
    assert_figures(
        row(&t, "type", "155MM-HE-M795"),
        json!({"depots": 1, "on_hand": 0, "mc_rate": null, "ammo_on_hand": 180}),
    );
    assert_figures(
        row(&t, "type", "M109A7"),
        json!({"category": null, "on_hand": 0, "mc_rate": null}),
    );
}

/// A next week's export rewrites only the aggregate rows of the types that
/// changed: a type whose totals stay the same but whose items moved to
/// another notice, a type gone from the depot, a type new to it, and an
/// untouched type must all read as the holdings say.
#[test]
fn a_next_weeks_aggregates_follow_every_kind_of_change() {
    let w = Work::new();
    let week1 = w.write(
        "w1.csv",
        export(&[
            "D-1,2026-10-01,TANK,MBT,,V1,1,FMC,DEU,24,,,",
            "D-1,2026-10-01,TANK,MBT,,V2,1,FMC,DEU,48,,,",
            "D-1,2026-10-01,TRUCK,LOG,,T1,1,PMC,DEU,12,,,",
            "D-1,2026-10-01,GUN,SPH,,G1,1,FMC,DEU,6,,,",
        ]),
    );
    w.import(&week1).ok();
    let week2 = w.write(
        "w2.csv",
        export(&[
            // TANK: still 2 FMC, but both at 48 h now.
            "D-1,2026-10-08,TANK,MBT,,V1,1,FMC,DEU,48,,,",
            "D-1,2026-10-08,TANK,MBT,,V2,1,FMC,DEU,48,,,",
            // TRUCK gone, RADAR new, GUN unchanged.
            "D-1,2026-10-08,RADAR,AD,,R1,1,NMCM,DEU,,,,",
            "D-1,2026-10-08,GUN,SPH,,G1,1,FMC,DEU,6,,,",
        ]),
    );
    w.import(&week2).ok();
    let within = w.json(&["deployable", "--within", "24h", "--by", "type"]);
    assert_eq!(row(&within, "type", "TANK")["deployable"], 0, "{within}");
    assert_eq!(row(&within, "type", "GUN")["deployable"], 1, "{within}");
    let by_type = w.json(&["report", "--by", "type"]);
    let types: Vec<&str> = by_type["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["GUN", "RADAR", "TANK"], "{by_type}");
    assert_eq!(row(&by_type, "type", "RADAR")["nmcm"], 1, "{by_type}");
    assert_eq!(row(&by_type, "type", "TANK")["fmc"], 2, "{by_type}");
    w.run(["check"]).ok();
}
