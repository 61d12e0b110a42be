//! Closure at a destination (SPEC §11): hand-made depots whose arrival
//! times are worked out by hand, and the movement file's errors.

use serde_json::{Value, json};

use crate::util::{Work, export};

/// A-1 hands over one tank an hour (24 a day) and its route takes 10 h;
/// B-1 has no limit and an estimated leg of one degree of longitude at the
/// equator: 111.19 km × 1.3 ÷ 40 km/h = 3.614 h. C-1 is not in the movement
/// file.
const MOVEMENT: &str = "[depot.A-1]\nissue_per_day = 24\n\n[depot.B-1]\nat = [0.0, 0.0]\n\n[destination.D]\nname = \"Drop zone\"\nat = [0.0, 1.0]\n\n[[route]]\nfrom = \"A-1\"\nto = \"D\"\nhours = 10\nby = \"rail\"\n";

fn setup() -> Work {
    let w = Work::new();
    w.import(&w.write(
        "h.csv",
        export(&[
            // Five tanks at 12 h: handed over at 13, 14, 15, 16 and 17 h,
            // arriving at 23, 24, 25, 26 and 27 h.
            "A-1,2026-12-01,T,MBT,,A1,1,FMC,DEU,12,,,",
            "A-1,2026-12-01,T,MBT,,A2,1,FMC,DEU,12,,,",
            "A-1,2026-12-01,T,MBT,,A3,1,FMC,DEU,12,,,",
            "A-1,2026-12-01,T,MBT,,A4,1,FMC,DEU,12,,,",
            "A-1,2026-12-01,T,MBT,,A5,1,FMC,DEU,12,,,",
            // Rounds in bulk at 6 h: not rate-limited, arriving at 16 h.
            "A-1,2026-12-01,R,AMMO,,,100,FMC,DEU,6,L1,2030-01-01,",
            // Three tanks at 24 h, all arriving at 27.6 h.
            "B-1,2026-12-01,T,MBT,,B1,1,FMC,NLD,24,,,",
            "B-1,2026-12-01,T,MBT,,B2,1,FMC,NLD,24,,,",
            "B-1,2026-12-01,T,MBT,,B3,1,FMC,NLD,24,,,",
            // No place in the movement file: it cannot send anything there.
            "C-1,2026-12-01,T,MBT,,C1,1,FMC,POL,1,,,",
        ]),
    ))
    .ok();
    w.write("movement.toml", MOVEMENT);
    w
}

const PACKAGE: &str = "name = \"platoon\"\nwithin = \"30h\"\n[[line]]\nname = \"tanks\"\ntypes = [\"T\"]\nquantity = 6\n[[line]]\nname = \"rounds\"\ntypes = [\"R\"]\nquantity = 100\n";

fn check(w: &Work, extra: &[&str]) -> crate::util::Run {
    let p = w.write("p.toml", PACKAGE);
    let m = w.path("movement.toml");
    let mut args = vec![
        "package",
        "check",
        p.to_str().unwrap(),
        "--to",
        "D",
        "--movement",
        m.to_str().unwrap(),
        "--format",
        "json",
    ];
    args.extend(extra);
    w.run(&args)
}

fn line<'a>(r: &'a Value, name: &str) -> &'a Value {
    r["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["line"] == name)
        .unwrap()
}

#[test]
fn a_package_closes_when_its_last_item_arrives() {
    let w = setup();
    let r = check(&w, &[]).ok();
    let v = r.json();
    let t = &v["total"];
    // By 28 h: the five from A-1 (the last at 27 h) and B-1's three (27.6
    // h, rounded up to 28): six of eight arrive — complete at 28 h.
    assert_eq!(t["destination"], "D");
    assert_eq!(t["complete"], true);
    assert_eq!(t["best_fill_hours"], 28);
    assert_eq!(t["ready_within_hours"], 28);
    assert_eq!(t["closure_hours"], 28);
    assert!(t.get("complete_hours").is_none());
    let tanks = line(&v, "tanks");
    assert_eq!(tanks["arrival_hours"], 28);
    let sources: Vec<Value> = tanks["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            json!([
                s["depot"],
                s["quantity"],
                s["leaves_hours"],
                s["arrives_hours"],
                s["leg_hours"],
                s["leg"]
            ])
        })
        .collect();
    // Fewest depots: both are needed (five at A-1 are not six). From A-1
    // the ones that arrive in time.
    let total: i64 = sources.iter().map(|s| s[1].as_i64().unwrap()).sum();
    assert_eq!(total, 6);
    for s in &sources {
        match s[0].as_str().unwrap() {
            "A-1" => assert_eq!((&s[4], &s[5]), (&json!(10), &json!("route"))),
            "B-1" => assert_eq!(
                (&s[2], &s[3], &s[4], &s[5]),
                (&json!(24), &json!(28), &json!(4), &json!("estimate"))
            ),
            other => panic!("drawn from {other}"),
        }
    }
    // The rounds: bulk, at their notice, 6 + 10 h.
    assert_eq!(line(&v, "rounds")["arrival_hours"], 16);
    // C-1, unplaced, is named once.
    assert_eq!(
        r.stderr
            .matches("C-1 holds what the package needs but has no place in")
            .count(),
        1,
        "{}",
        r.stderr
    );
}

#[test]
fn the_window_counts_what_has_arrived() {
    let w = setup();
    // Within 27 h B-1's tanks (27.6 h) have not arrived: A-1's five only.
    let v = check(&w, &["--within", "27h"]).ok().json();
    assert_eq!(line(&v, "tanks")["allocated"], 5);
    assert_eq!(v["total"]["ready_within_hours"], Value::Null);
    assert_eq!(v["total"]["best_fill_hours"], 27);
    assert_eq!(v["total"]["closure_hours"], 28);
    // Three at B-1 in time at the gate, too late at D; and C-1's one,
    // which has no way there at all.
    assert_eq!(line(&v, "tanks")["short_arrives_late"], 4);
    // Within 25 h: three from A-1 (23, 24, 25 h), none from B-1.
    let v = check(&w, &["--within", "25h"]).ok().json();
    assert_eq!(line(&v, "tanks")["allocated"], 3);
    // At the gate, without a destination, 24 h is enough for all eight.
    let p = w.path("p.toml");
    let gate = w.json(&["package", "check", p.to_str().unwrap(), "--within", "24h"]);
    assert_eq!(gate["total"]["complete"], true);
}

#[test]
fn phases_show_what_has_arrived_by_each_time() {
    let w = setup();
    let v = check(&w, &["--phases", "12,24,27,48"]).ok().json();
    let arrived: Vec<(i64, i64, i64)> = v["phases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["hours"].as_i64().unwrap(),
                p["lines"][0]["arrived"].as_i64().unwrap(),
                p["lines"][1]["arrived"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        arrived,
        [(12, 0, 0), (24, 2, 100), (27, 5, 100), (48, 6, 100)]
    );
    // The default set, in a table.
    let p = w.path("p.toml");
    let m = w.path("movement.toml");
    let t = w
        .run([
            "package",
            "check",
            p.to_str().unwrap(),
            "--to",
            "D",
            "--movement",
            m.to_str().unwrap(),
            "--phases",
        ])
        .ok()
        .stdout;
    assert!(t.contains("168 h") && t.contains("tanks (of 6)"), "{t}");
}

#[test]
fn resilience_names_single_points_and_pairs() {
    let w = setup();
    let p = w.write("p.toml", PACKAGE);
    let m = w.path("movement.toml");
    let args = |extra: &[&'static str]| {
        let mut a = vec![
            "package".to_string(),
            "resilience".into(),
            p.to_str().unwrap().into(),
            "--to".into(),
            "D".into(),
            "--movement".into(),
            m.to_str().unwrap().into(),
            "--format".into(),
            "json".into(),
        ];
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    let v = w.run(args(&[])).ok().json();
    let rows: Vec<(String, f64, bool, Value, bool)> = v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["lost"].as_str().unwrap().to_string(),
                r["fill_rate"].as_f64().unwrap(),
                r["complete"].as_bool().unwrap(),
                r["closure_hours"].clone(),
                r["single_point"].as_bool().unwrap(),
            )
        })
        .collect();
    // Today complete at 28 h; without B-1 five tanks (5 of 6); without
    // A-1 three tanks and no rounds at all (the weakest line: 0 %) — both
    // single points, worst first. C-1 cannot reach D: its loss costs
    // nothing.
    assert_eq!(
        rows,
        vec![
            ("none".into(), 1.0, true, json!(28), false),
            ("A-1".into(), 0.0, false, Value::Null, true),
            ("B-1".into(), 5.0 / 6.0, false, Value::Null, true),
            ("C-1".into(), 1.0, true, json!(28), false),
        ]
    );
    let v = w.run(args(&["--pairs"])).ok().json();
    assert_eq!(v["rows"].as_array().unwrap().len(), 1 + 3 + 3);
    let both = v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["lost"] == "A-1+B-1")
        .unwrap();
    assert_eq!(both["fill_rate"], 0.0);
    assert_eq!(both["single_point"], true);
    let r = w.run(args(&["--fail-on-single-point"])).code(1);
    assert!(r.stderr.contains("single point"), "{}", r.stderr);
}

#[test]
fn the_package_file_may_name_its_destination_and_movement() {
    let w = setup();
    let dir = w.path("packages");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(
        dir.join("p.toml"),
        format!("to = \"d\"\nmovement = \"../movement.toml\"\n{PACKAGE}"),
    )
    .unwrap();
    let v = w.json(&["package", "check", dir.join("p.toml").to_str().unwrap()]);
    assert_eq!(v["total"]["closure_hours"], 28);
    let t = w
        .run(["package", "check", dir.join("p.toml").to_str().unwrap()])
        .ok()
        .stdout;
    assert!(t.contains("closes on D within 28 h (window 30 h)"), "{t}");
}

#[test]
fn every_movement_error_is_named() {
    let w = setup();
    let p = w.write("p.toml", PACKAGE);
    let run = |movement: &str, to: &str| {
        let m = w.write("m.toml", movement);
        w.run([
            "package",
            "check",
            p.to_str().unwrap(),
            "--to",
            to,
            "--movement",
            m.to_str().unwrap(),
        ])
    };
    // An unknown destination: the nearest name suggested.
    let r = run(MOVEMENT, "DD").code(65);
    assert!(
        r.stderr.contains("--to: DD is not a destination of")
            && r.stderr.contains("did you mean D?"),
        "{}",
        r.stderr
    );
    for (text, expected) in [
        (
            "[depot.A-1]\nat = [95, 2]\n[destination.D]\nat = [1, 2]\n",
            "m.toml:2: at:",
        ),
        (
            "[depot.A-1]\nissue_per_day = \"fast\"\n[destination.D]\nat = [1, 2]\n",
            "m.toml:2:",
        ),
        (
            "[destination.D]\nat = [1, 2]\n[[route]]\nfrom = \"A-1\"\nto = \"E\"\nhours = 3\n",
            "m.toml:5: route to: E is not a destination",
        ),
        (
            "[destination.D]\nat = [1, 2]\n[[route]]\nfrom = \"A-1\"\nto = \"D\"\nhours = -1\n",
            "m.toml:6: route hours",
        ),
        ("[destination.D]\nat = [1, 2]\nspeed = 3\n", "m.toml:3:"),
        (
            "[defaults]\nroad_kmh = 0\n[destination.D]\nat = [1, 2]\n",
            "m.toml:2: road_kmh",
        ),
        // A-1 is placed nowhere and has no route: its leg cannot be timed.
        (
            "[depot.A-1]\nissue_per_day = 5\n[depot.B-1]\nat = [0, 0]\n[destination.D]\nat = [0, 1]\n",
            "m.toml:1: depot A-1 has no position",
        ),
    ] {
        let r = run(text, "D").code(65);
        assert!(r.stderr.contains(expected), "{text:?}: {}", r.stderr);
    }
    // A destination needs a movement file.
    let r = w
        .run(["package", "check", p.to_str().unwrap(), "--to", "D"])
        .code(2);
    assert!(r.stderr.contains("needs a movement file"), "{}", r.stderr);
}
