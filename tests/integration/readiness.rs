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

#[test]
fn report_by_depot_matches_hand_computation() {
    let w = hand_made();
    let r = w.json(&["report"]);
    assert_eq!(r["rows"].as_array().unwrap().len(), 2);
    let one = row(&r, "depot", "TST-01");
    assert_eq!(
        one.as_object().unwrap().len(),
        14,
        "depot + 13 figures: {one:#}"
    );
    assert_figures(
        one,
        json!({
            "depot": "TST-01", "on_hand": 184, "fmc": 102, "pmc": 1, "nmcm": 1, "nmcs": 30,
            "expired": 50, "mc": 103, "mc_rate": 103.0 / 184.0, "r_level": "R4",
            "required": 155, "fill_rate": 154.0 / 155.0, "s_level": "S1", "level": 4,
        }),
    );
    assert_figures(
        row(&r, "depot", "TST-02"),
        json!({
            "on_hand": 3, "fmc": 2, "pmc": 0, "nmcm": 0, "nmcs": 1, "expired": 0, "mc": 2,
            "mc_rate": 2.0 / 3.0, "r_level": "R3", "required": 6, "fill_rate": 2.0 / 6.0,
            "s_level": "S4", "level": 4,
        }),
    );
    assert_figures(
        &r["total"],
        json!({
            "on_hand": 187, "fmc": 104, "pmc": 1, "nmcm": 1, "nmcs": 31, "expired": 50, "mc": 105,
            "mc_rate": 105.0 / 187.0, "r_level": "R4", "required": 161, "fill_rate": 156.0 / 161.0,
            "s_level": "S1", "level": 4,
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
            "on_hand": 7, "fmc": 4, "pmc": 1, "nmcm": 1, "nmcs": 1, "expired": 0, "mc": 5,
            "mc_rate": 5.0 / 7.0, "r_level": "R2", "required": 7, "fill_rate": 6.0 / 7.0,
            "s_level": "S2", "level": 2,
        }),
    );
    assert_figures(
        row(&r, "type", "M109A7"),
        json!({
            "on_hand": 0, "mc": 0, "mc_rate": null, "r_level": null, "required": 4,
            "fill_rate": 0.0, "s_level": "S4", "level": 4,
        }),
    );
    assert_figures(
        row(&r, "type", "155MM-HE-M795"),
        json!({
            "on_hand": 180, "fmc": 100, "nmcs": 30, "expired": 50, "mc": 100, "r_level": "R4",
            "required": 150, "fill_rate": 1.0, "s_level": "S1", "level": 4,
        }),
    );
}

#[test]
fn grouping_by_owner_drops_requirements() {
    let w = hand_made();
    let r = w.json(&["report", "--by", "owner"]);
    assert_figures(
        row(&r, "owner", "USA"),
        json!({"on_hand": 180, "required": null, "s_level": null, "level": 4}),
    );
    assert_figures(row(&r, "owner", "NLD"), json!({"on_hand": 3, "level": 3}));
    let r = w.json(&["report", "--by", "depot,category"]);
    // TST-01 MBT, TST-01 AMMO, TST-02 MBT, and TST-02's required M109A7,
    // whose category no export has named yet.
    assert_eq!(r["rows"].as_array().unwrap().len(), 4);
    assert_figures(
        row(&r, "category", "AMMO"),
        json!({"depot": "TST-01", "on_hand": 180}),
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
    assert_figures(&r["total"], json!({"on_hand": 180, "required": 150}));
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
fn deployable_counts_mc_items_within_the_window() {
    let w = hand_made();
    let r = w.json(&["deployable", "--within", "24h"]);
    assert_figures(
        row(&r, "type", "LEOPARD-2A6"),
        json!({"mc": 5, "deployable": 2}),
    );
    assert_figures(
        row(&r, "type", "155MM-HE-M795"),
        json!({"mc": 100, "deployable": 0}),
    );
    let r = w.json(&["deployable", "--within", "2d"]);
    assert_figures(
        row(&r, "type", "155MM-HE-M795"),
        json!({"mc": 100, "deployable": 100}),
    );
    assert_figures(&r["total"], json!({"mc": 105, "deployable": 102}));
    let r = w.json(&["deployable", "--within", "72", "--by", "depot"]);
    assert_figures(
        row(&r, "depot", "TST-01"),
        json!({"mc": 103, "deployable": 103}),
    );
    assert_figures(
        row(&r, "depot", "TST-02"),
        json!({"mc": 2, "deployable": 0}),
    );
}

#[test]
fn fail_below_exits_1_only_when_a_group_is_worse() {
    let w = hand_made();
    w.run(["report", "--fail-below", "4"]).ok();
    let r = w.run(["report", "--fail-below", "3"]).code(1);
    assert!(r.stderr.contains("TST-01 at level 4"), "{}", r.stderr);
    assert!(!r.stdout.is_empty(), "the table is still printed");
    w.run(["report", "--fail-below", "9"]).code(2);
}

#[test]
fn depots_and_types_lists() {
    let w = hand_made();
    let d = w.json(&["depots"]);
    assert_figures(
        row(&d, "depot", "TST-01"),
        json!({"snapshots": 1, "latest_as_of": "2026-11-01", "on_hand": 184, "mc_rate": 103.0 / 184.0}),
    );
    let t = w.json(&["types"]);
    assert_figures(
        row(&t, "type", "LEOPARD-2A6"),
        json!({"category": "MBT", "nsn": "2350-12-345-6781", "depots": 2, "on_hand": 7}),
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
