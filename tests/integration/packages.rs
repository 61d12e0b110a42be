//! `package check` and `package list` (SPEC §7) on hand-made holdings whose
//! allocation is worked out by hand, and on the shipped fixtures.

use serde_json::Value;

use crate::util::{Work, export, fixtures, with_fixtures};

/// Two tank types at two depots, ammunition lots, and items that must not
/// count: NMC, no notice, an expired lot.
fn hand_made() -> Work {
    let w = Work::new();
    let f = w.write(
        "holdings.csv",
        export(&[
            // Two X at 24 h (DEU), two Y at 48 h (NLD), at depot A.
            "DEP-A,2026-11-01,TANK-X,MBT,,X-1,1,FMC,DEU,24,,,",
            "DEP-A,2026-11-01,TANK-X,MBT,,X-2,1,PMC,DEU,24,,,",
            "DEP-A,2026-11-01,TANK-Y,MBT,,Y-1,1,FMC,NLD,48,,,",
            "DEP-A,2026-11-01,TANK-Y,MBT,,Y-2,1,FMC,NLD,48,,,",
            // Not mission capable, or without a notice: never issued.
            "DEP-A,2026-11-01,TANK-X,MBT,,X-3,1,NMCM,DEU,24,,,",
            "DEP-A,2026-11-01,TANK-X,MBT,,X-4,1,NMCS,DEU,24,,,",
            "DEP-A,2026-11-01,TANK-X,MBT,,X-5,1,FMC,DEU,,,,",
            // One more X at depot B, only at 96 h.
            "DEP-B,2026-11-01,TANK-X,MBT,,X-6,1,FMC,DEU,96,,,",
            // Rounds: 100 good at 24 h, 50 in a lot expired before the
            // snapshot (still FMC on paper), 30 NMCS.
            "DEP-A,2026-11-01,ROUND-1,AMMO,,,100,FMC,DEU,24,L1,2027-01-01,",
            "DEP-A,2026-11-01,ROUND-1,AMMO,,,50,FMC,DEU,24,L2,2026-10-01,",
            "DEP-A,2026-11-01,ROUND-1,AMMO,,,30,NMCS,DEU,24,L3,2028-01-01,",
        ]),
    );
    w.import(&f).ok();
    w
}

fn check(w: &Work, package: &str, extra: &[&str]) -> Value {
    let p = w.write("package.toml", package);
    let mut args = vec!["package", "check", p.to_str().unwrap()];
    args.extend(extra);
    w.json(&args)
}

fn line<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["line"] == name)
        .unwrap_or_else(|| panic!("no line {name} in {report:#}"))
}

/// (depot, type, owner, status, quantity, notice) of a line's sources,
/// sorted.
fn sources(line: &Value) -> Vec<(String, String, String, String, i64, i64)> {
    let mut s: Vec<_> = line["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["depot"].as_str().unwrap().to_string(),
                s["type"].as_str().unwrap().to_string(),
                s["owner"].as_str().unwrap_or("").to_string(),
                s["status"].as_str().unwrap().to_string(),
                s["quantity"].as_i64().unwrap(),
                s["notice_hours"].as_i64().unwrap(),
            )
        })
        .collect();
    s.sort();
    s
}

/// A source as `sources` lists it.
fn src(
    depot: &str,
    ty: &str,
    owner: &str,
    status: &str,
    quantity: i64,
    notice: i64,
) -> (String, String, String, String, i64, i64) {
    (
        depot.into(),
        ty.into(),
        owner.into(),
        status.into(),
        quantity,
        notice,
    )
}

const COMPETING: &str = r#"
name = "competing lines"
within = "72h"

[[line]]
name = "flexible"
types = ["TANK-X", "TANK-Y"]
quantity = 2

[[line]]
name = "x only"
types = ["TANK-X"]
quantity = 2
"#;

#[test]
fn lines_that_share_a_type_are_filled_where_a_greedy_pass_fails() {
    // In file order, "flexible" would take its preferred X (both units at
    // 24 h) and leave "x only" empty. The optimal allocation gives it Y.
    let w = hand_made();
    let r = check(&w, COMPETING, &[]);
    assert_eq!(
        sources(line(&r, "flexible")),
        vec![src("DEP-A", "TANK-Y", "NLD", "FMC", 2, 48)]
    );
    assert_eq!(
        sources(line(&r, "x only")),
        vec![
            src("DEP-A", "TANK-X", "DEU", "FMC", 1, 24),
            src("DEP-A", "TANK-X", "DEU", "PMC", 1, 24),
        ]
    );
    let t = &r["total"];
    assert_eq!(t["needed"], 4);
    assert_eq!(t["allocated"], 4);
    assert_eq!(t["shortfall"], 0);
    assert_eq!(t["fill_rate"], 1.0);
    assert_eq!(t["complete"], true);
    assert_eq!(t["lines"], 2);
    assert_eq!(t["lines_complete"], 2);
    assert_eq!(t["limiting_line"], Value::Null);
    assert_eq!(t["best_fill_hours"], 48);
    assert_eq!(t["ready_within_hours"], 48);
    assert_eq!(t["complete_hours"], 48);
    assert_eq!(t["depots_exact"], true);
    // Who must release what: items per nation.
    assert_eq!(
        t["release"],
        serde_json::json!([
            {"owner": "DEU", "items": 2, "rounds": 0},
            {"owner": "NLD", "items": 2, "rounds": 0},
        ])
    );
    assert_eq!(
        t["data_as_of"],
        serde_json::json!({"oldest": "2026-11-01", "newest": "2026-11-01",
                           "depots": [{"depot": "DEP-A", "as_of": "2026-11-01"}]})
    );
    assert_eq!(line(&r, "flexible")["notice_hours"], 48);
}

#[test]
fn the_window_decides_and_the_ready_time_moves() {
    let w = hand_made();
    let package = r#"
name = "three tanks"
[[line]]
name = "tanks"
types = ["TANK-X"]
quantity = 3
"#;
    // Within 24 h only the two X at DEP-A (X-5 has no notice, X-3/X-4 NMC).
    let r = check(&w, package, &["--within", "24h"]);
    let l = line(&r, "tanks");
    assert_eq!(
        (l["allocated"].as_i64(), l["shortfall"].as_i64()),
        (Some(2), Some(1))
    );
    assert!((r["total"]["fill_rate"].as_f64().unwrap() - 2.0 / 3.0).abs() < 1e-9);
    assert_eq!(r["total"]["complete"], false);
    // Not complete: never shown as ready; the best fill is at 24 h, and
    // the package completes only at 96 h, beyond the window.
    assert_eq!(r["total"]["ready_within_hours"], Value::Null);
    assert_eq!(r["total"]["best_fill_hours"], 24);
    assert_eq!(r["total"]["complete_hours"], 96);
    assert_eq!(r["total"]["limiting_line"], "tanks");
    // Why short: two NMC, one without a notice, one beyond the window.
    for (k, v) in [
        ("short_nmc", 2),
        ("short_expired", 0),
        ("short_no_notice", 1),
        ("short_beyond_window", 1),
        ("short_elsewhere", 0),
        ("short_not_held", 0),
    ] {
        assert_eq!(l[k], v, "{k}: {l:#}");
    }
    // Within 4 days the X at DEP-B joins, at 96 h.
    let r = check(&w, package, &["--within", "4d"]);
    assert_eq!(r["total"]["complete"], true);
    assert_eq!(r["total"]["ready_within_hours"], 96);
    assert_eq!(r["total"]["within_hours"], 96);
    // A window of a week: still ready at 96 h, not at the window.
    let r = check(&w, package, &["--within", "168h"]);
    assert_eq!(r["total"]["ready_within_hours"], 96);
    assert_eq!(line(&r, "tanks")["notice_hours"], 96);
    // Nothing within 12 h: no ready time at all.
    let r = check(&w, package, &["--within", "12"]);
    assert_eq!(r["total"]["allocated"], 0);
    assert_eq!(r["total"]["ready_within_hours"], Value::Null);
    assert_eq!(r["total"]["best_fill_hours"], Value::Null);
    assert_eq!(r["total"]["complete_hours"], 96);
    assert_eq!(r["total"]["fill_rate"], 0.0);
}

#[test]
fn per_lines_count_rounds_per_weapon_and_expired_or_nmc_lots_do_not_count() {
    let w = hand_made();
    let package = r#"
name = "tanks with rounds"
within = "48h"
[[line]]
name = "rounds"
category = "AMMO"
types = ["ROUND-1"]
per = "tanks"
each = 40
[[line]]
name = "tanks"
category = "MBT"
types = ["TANK-X", "TANK-Y"]
quantity = 3
"#;
    let r = check(&w, package, &[]);
    let rounds = line(&r, "rounds");
    assert_eq!(rounds["needed"], 120);
    // 100 of lot L1; L2 expired and L3 NMCS never count, and say so.
    assert_eq!(rounds["allocated"], 100);
    assert_eq!(rounds["shortfall"], 20);
    assert_eq!(rounds["short_expired"], 50);
    assert_eq!(rounds["short_nmc"], 30);
    assert_eq!(rounds["short_not_held"], 0);
    // Three tanks from two types at one depot: FMC before PMC, so X-1 and
    // both Y, never the PMC X-2.
    assert_eq!(
        sources(line(&r, "tanks")),
        vec![
            src("DEP-A", "TANK-X", "DEU", "FMC", 1, 24),
            src("DEP-A", "TANK-Y", "NLD", "FMC", 2, 48),
        ]
    );
    // The package is as ready as its weakest line.
    assert!((r["total"]["fill_rate"].as_f64().unwrap() - 100.0 / 120.0).abs() < 1e-9);
    assert_eq!(r["total"]["needed"], 123);
    assert_eq!(r["total"]["allocated"], 103);
}

#[test]
fn owner_depot_and_date_filters() {
    let w = hand_made();
    // A week later DEP-A lost both Y.
    let later = w.write(
        "later.csv",
        export(&[
            "DEP-A,2026-11-08,TANK-X,MBT,,X-1,1,FMC,DEU,24,,,",
            "DEP-A,2026-11-08,TANK-X,MBT,,X-2,1,PMC,DEU,24,,,",
        ]),
    );
    w.import(&later).ok();
    let package = r#"
name = "any tank"
within = "7d"
[[line]]
name = "tanks"
types = ["TANK-Y", "TANK-X"]
quantity = 10
"#;
    let now = check(&w, package, &[]);
    assert_eq!(now["total"]["allocated"], 3); // X-1, X-2 at A, X-6 at B
    let before = check(&w, package, &["--as-of", "2026-11-01"]);
    assert_eq!(before["total"]["allocated"], 5);
    // National release: only the Netherlands' Y.
    let nld = check(&w, package, &["--as-of", "2026-11-01", "--owner", "nld"]);
    assert_eq!(
        sources(line(&nld, "tanks")),
        vec![src("DEP-A", "TANK-Y", "NLD", "FMC", 2, 48)]
    );
    let b = check(&w, package, &["--depot", "DEP-B"]);
    assert_eq!(
        sources(line(&b, "tanks")),
        vec![src("DEP-B", "TANK-X", "DEU", "FMC", 1, 96)]
    );
    // DEP-A lost: only DEP-B's tank.
    let without = check(&w, package, &["--without", "DEP-A"]);
    assert_eq!(without["total"]["allocated"], 1);
    // Codes the database does not know are refused, not answered with 0.
    let p = w.write("p.toml", package);
    for (option, code) in [
        ("--without", "DEP-C"),
        ("--depot", "DEP-Q"),
        ("--owner", "FRA"),
    ] {
        let r = w
            .run(["package", "check", p.to_str().unwrap(), option, code])
            .code(65);
        assert!(
            r.stdout.is_empty() && r.stderr.contains(code),
            "{}",
            r.stderr
        );
    }
}

#[test]
fn fail_below_is_for_monitoring() {
    let w = hand_made();
    let p = w.write(
        "p.toml",
        COMPETING.replace("quantity = 2\n\n[[line]]", "quantity = 3\n\n[[line]]"),
    );
    let path = p.to_str().unwrap();
    // 3 + 2 needed, 4 held: "flexible" gets 2 of 3 (67 %).
    w.run(["package", "check", path, "--fail-below", "60"]).ok();
    let r = w
        .run(["package", "check", path, "--fail-below", "80%"])
        .code(1);
    assert!(
        r.stderr.contains("competing lines at 66.7 %"),
        "{}",
        r.stderr
    );
    assert!(
        r.stdout
            .contains("at most 66.7 % within 72 h: short 1 × flexible; complete at 96 h"),
        "{}",
        r.stdout
    );
    w.run(["package", "check", path, "--fail-below", "eighty"])
        .code(2);
}

#[test]
fn every_error_path() {
    let w = hand_made();
    // Malformed TOML: FILE:LINE, exit 65.
    let bad = w.write(
        "bad.toml",
        "name = \"x\"\n[[line]]\nname = \"a\"\ntypes = [\"TANK-X\"\nquantity = 1\n",
    );
    let r = w.run(["package", "check", bad.to_str().unwrap()]).code(65);
    assert!(r.stderr.contains("bad.toml:5:"), "{}", r.stderr);
    // A bad value, on its own line.
    let bad = w.write(
        "zero.toml",
        "name = \"x\"\n[[line]]\nname = \"a\"\ntypes = [\"TANK-X\"]\nquantity = 0\n",
    );
    let r = w.run(["package", "check", bad.to_str().unwrap()]).code(65);
    assert!(
        r.stderr.contains("zero.toml:5: line \"a\": quantity 0"),
        "{}",
        r.stderr
    );
    // A category guard that a listed type breaks: the type's line.
    let guard = w.write(
        "guard.toml",
        "[[line]]\nname = \"rounds\"\ncategory = \"AMMO\"\ntypes = [\n  \"ROUND-1\",\n  \"TANK-X\",\n]\nquantity = 5\n",
    );
    let r = w
        .run(["package", "check", guard.to_str().unwrap()])
        .code(65);
    assert!(
        r.stderr
            .contains("guard.toml:6: line \"rounds\": type TANK-X is of category MBT, not AMMO"),
        "{}",
        r.stderr
    );
    // An unknown type is a warning: it may be held nowhere yet.
    let unknown = w.write(
        "unknown.toml",
        "[[line]]\nname = \"a\"\ntypes = [\"TANK-X\", \"HOWITZER-9\"]\nquantity = 1\n",
    );
    let r = w.run(["package", "check", unknown.to_str().unwrap()]).ok();
    assert!(
        r.stderr
            .contains("unknown.toml:3: line \"a\": type HOWITZER-9 is not in the database"),
        "{}",
        r.stderr
    );
    // One a small edit from a known type is a typo: refused, with the
    // type meant, unless it is said to be a type held nowhere yet.
    let typo = w.write(
        "typo.toml",
        "[[line]]\nname = \"a\"\ntypes = [\n  \"TANK-X\",\n  \"TNAK-Y\",\n]\nquantity = 1\n",
    );
    let r = w.run(["package", "check", typo.to_str().unwrap()]).code(65);
    assert!(
        r.stderr.contains(
            "typo.toml:5: line \"a\": type TNAK-Y is not in the database; did you mean TANK-Y?"
        ),
        "{}",
        r.stderr
    );
    w.run([
        "package",
        "check",
        typo.to_str().unwrap(),
        "--allow-unknown-types",
    ])
    .ok();
    // A folder is a list's job.
    let r = w
        .run(["package", "check", w.dir.path().to_str().unwrap()])
        .code(2);
    assert!(r.stderr.contains("stockpile package list"), "{}", r.stderr);
    // Missing package file, missing database, bad options.
    w.run(["package", "check", "nowhere.toml"]).code(66);
    let fresh = Work::new();
    let p = fresh.write("p.toml", COMPETING);
    fresh
        .run(["package", "check", p.to_str().unwrap()])
        .code(66);
    assert!(!fresh.db().exists(), "a reading command created a database");
    let p = w.write("p.toml", COMPETING);
    w.run(["package", "check", p.to_str().unwrap(), "--within", "soon"])
        .code(2);
    w.run(["package", "check", p.to_str().unwrap(), "--owner", "XXX"])
        .code(2);
}

#[test]
fn list_shows_worst_first_and_names_a_broken_file() {
    let w = hand_made();
    let dir = w.path("packages");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("a-full.toml"), "name = \"full\"\nwithin = \"24h\"\n[[line]]\nname = \"x\"\ntypes = [\"TANK-X\"]\nquantity = 2\n").unwrap();
    std::fs::write(dir.join("b-half.toml"), "name = \"half\"\nwithin = \"24h\"\n[[line]]\nname = \"x\"\ntypes = [\"TANK-X\"]\nquantity = 4\n").unwrap();
    std::fs::write(dir.join("c-late.toml"), "name = \"late\"\nwithin = \"4d\"\n[[line]]\nname = \"x\"\ntypes = [\"TANK-X\"]\nquantity = 3\n").unwrap();
    std::fs::write(dir.join("notes.txt"), "not a package").unwrap();
    let r = w.json(&["package", "list", dir.to_str().unwrap()]);
    let names: Vec<&str> = r["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["package"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["half", "late", "full"]);
    assert_eq!(r["rows"][1]["ready_within_hours"], 96);
    assert_eq!(r["rows"][2]["ready_within_hours"], 24);

    std::fs::write(
        dir.join("d-broken.toml"),
        "name = \"broken\"\n[[line]]\nname = 3\n",
    )
    .unwrap();
    let r = w
        .run(["package", "list", dir.to_str().unwrap(), "--format", "json"])
        .code(65);
    assert!(r.stderr.contains("d-broken.toml:3:"), "{}", r.stderr);
    assert_eq!(
        r.json()["rows"].as_array().unwrap().len(),
        3,
        "the others are still listed"
    );
}

#[test]
fn csv_has_a_row_per_source() {
    let w = hand_made();
    let p = w.write(
        "p.toml",
        COMPETING.replace("quantity = 2\n\n[[line]]", "quantity = 3\n\n[[line]]"),
    );
    let r = w
        .run(["package", "check", p.to_str().unwrap(), "--format", "csv"])
        .ok();
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(
        lines[0],
        "package,line,needed,allocated,shortfall,fill_rate,notice_hours,depot,type,owner,status,quantity,source_notice_hours"
    );
    assert_eq!(lines.len(), 1 + 3, "{}", r.stdout);
    assert!(
        lines.contains(&"competing lines,x only,2,2,0,1,24,DEP-A,TANK-X,DEU,PMC,1,24"),
        "{}",
        r.stdout
    );
}

#[test]
fn shipped_packages_complete_short_and_complete_only_later() {
    let w = with_fixtures();
    let dir = fixtures().join("packages");
    let check = |name: &str, extra: &[&str]| {
        let p = dir.join(name);
        let mut args = vec!["package", "check", p.to_str().unwrap()];
        args.extend(extra);
        w.json(&args)
    };
    let spearhead = check("spearhead-company-team.toml", &[]);
    assert_eq!(spearhead["total"]["complete"], true);
    assert_eq!(spearhead["total"]["ready_within_hours"], 48);
    assert_eq!(line(&spearhead, "120 mm tank rounds")["needed"], 420);

    let bg = check("mechanised-battlegroup.toml", &[]);
    assert_eq!(bg["total"]["complete"], true);
    assert_eq!(bg["total"]["ready_within_hours"], 72);
    let bg48 = check("mechanised-battlegroup.toml", &["--within", "48h"]);
    assert_eq!(bg48["total"]["complete"], false);
    assert_eq!(
        line(&bg48, "155 mm self-propelled howitzers")["shortfall"],
        6
    );

    let brigade = check("armoured-brigade-set.toml", &[]);
    assert_eq!(brigade["total"]["complete"], false);
    assert_eq!(
        line(&brigade, "Infantry fighting vehicles")["shortfall"],
        68
    );

    // The table: lines with sources beneath, a verdict, and no row wider
    // than the terminal at 80 or 120 columns.
    for width in ["80", "120"] {
        let p = dir.join("armoured-brigade-set.toml");
        let mut cmd = assert_cmd::Command::cargo_bin("stockpile").unwrap();
        let out = cmd
            .env("COLUMNS", width)
            .env("NO_COLOR", "1")
            .args([
                "--db",
                w.db_arg().to_str().unwrap(),
                "package",
                "check",
                p.to_str().unwrap(),
            ])
            .output()
            .unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        let limit: usize = width.parse().unwrap();
        for l in text.lines() {
            assert!(
                l.chars().count() <= limit,
                "wider than {width}: {l:?}\n{text}"
            );
        }
        assert!(text.contains("   NO-TRD-01 M1A2-SEPV3 "), "{text}");
        assert!(
            text.contains("at most 47.7 % within 168 h: short 68 × Infantry fighting vehicles"),
            "{text}"
        );
        // No total that adds tanks to rounds: the lines, counted.
        assert!(
            text.contains("5 of 6 lines complete; limiting: Infantry fighting vehicles 62 of 130"),
            "{text}"
        );
        assert!(!text.contains("TOTAL"), "{text}");
    }
}

const X_ONLY: &str = r#"
name = "first"
within = "72h"
[[line]]
name = "x only"
types = ["TANK-X"]
quantity = 2
"#;

const ANY_TANK: &str = r#"
name = "second"
within = "72h"
[[line]]
name = "any tank"
types = ["TANK-X", "TANK-Y"]
quantity = 3
"#;

#[test]
fn several_packages_draw_by_priority_or_separately() {
    let w = hand_made();
    let a = w.write("a.toml", X_ONLY);
    let b = w.write("b.toml", ANY_TANK);
    let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());
    // The first takes both X within 72 h; the second gets only the two Y:
    // the rest of its shortfall was drawn by the package before it.
    let r = w.json(&["package", "check", a, b]);
    let packages = r["packages"].as_array().unwrap();
    assert_eq!(packages.len(), 2);
    assert_eq!(packages[0]["package"], "first");
    assert_eq!(packages[0]["total"]["complete"], true);
    let second = line(&packages[1], "any tank");
    assert_eq!(second["allocated"], 2);
    assert_eq!(
        sources(second),
        vec![src("DEP-A", "TANK-Y", "NLD", "FMC", 2, 48)]
    );
    assert_eq!(second["short_elsewhere"], 2);
    assert_eq!(second["short_beyond_window"], 1);
    assert_eq!(packages[1]["total"]["complete_hours"], 96);
    // Each against the whole stockpile: the second is complete too, FMC
    // first (X-1, never the PMC X-2).
    let r = w.json(&["package", "check", a, b, "--separately"]);
    let second = line(&r["packages"][1], "any tank");
    assert_eq!(
        sources(second),
        vec![
            src("DEP-A", "TANK-X", "DEU", "FMC", 1, 24),
            src("DEP-A", "TANK-Y", "NLD", "FMC", 2, 48),
        ]
    );
    // A table per file, the later ones saying what they drew on.
    let t = w.run(["package", "check", a, b]).ok().stdout;
    assert!(t.contains("first — window 72 h"), "{t}");
    assert!(t.contains("from what the packages before it left"), "{t}");
}

#[test]
fn items_are_the_hand_receipt() {
    let w = hand_made();
    let package = r#"
name = "tanks and rounds"
within = "24h"
[[line]]
name = "tanks"
types = ["TANK-X"]
quantity = 2
[[line]]
name = "rounds"
types = ["ROUND-1"]
quantity = 80
"#;
    let r = check(&w, package, &["--items"]);
    let items = |l: &str| -> Vec<Value> {
        line(&r, l)["sources"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|s| s["items"].as_array().unwrap().clone())
            .collect()
    };
    assert_eq!(
        items("tanks"),
        vec![
            serde_json::json!({"serial": "X-1", "lot": null, "quantity": 1}),
            serde_json::json!({"serial": "X-2", "lot": null, "quantity": 1}),
        ]
    );
    // Rounds from the one good lot (L2 expired, L3 NMCS).
    assert_eq!(
        items("rounds"),
        vec![serde_json::json!({"serial": null, "lot": "L1", "quantity": 80})]
    );
    assert_eq!(
        r["total"]["release"],
        serde_json::json!([{"owner": "DEU", "items": 2, "rounds": 80}])
    );
    let p = w.write("p.toml", package);
    let t = w
        .run(["package", "check", p.to_str().unwrap(), "--items"])
        .ok()
        .stdout;
    assert!(t.contains("X-2") && t.contains("L1"), "{t}");
    let csv = w
        .run([
            "package",
            "check",
            p.to_str().unwrap(),
            "--items",
            "--format",
            "csv",
        ])
        .ok()
        .stdout;
    assert!(
        csv.contains("tanks and rounds,tanks,2,2,0,1,24,DEP-A,TANK-X,DEU,PMC,1,24,X-2,"),
        "{csv}"
    );
}

#[test]
fn a_lot_must_not_expire_before_the_day_of_issue() {
    // Today is 2026-12-06 (util::TODAY). Lot SOON expires on 2026-12-07:
    // good for a package issued within 24 h (on the 7th), expired for one
    // issued within 48 h (on the 8th).
    let w = Work::new();
    w.import(&w.write(
        "lots.csv",
        export(&[
            "D-1,2026-12-01,120MM,AMMO,,,100,FMC,DEU,24,SOON,2026-12-07,",
            "D-1,2026-12-01,120MM,AMMO,,,50,FMC,DEU,24,LATER,2030-01-01,",
        ]),
    ))
    .ok();
    let package =
        "name = \"rounds\"\n[[line]]\nname = \"rounds\"\ntypes = [\"120MM\"]\nquantity = 150\n";
    let r = check(&w, package, &["--within", "24h"]);
    assert_eq!(r["total"]["complete"], true);
    let r = check(&w, package, &["--within", "48h"]);
    let l = line(&r, "rounds");
    assert_eq!(l["allocated"], 50);
    assert_eq!(l["short_expired"], 100);
    assert_eq!(r["total"]["complete_hours"], Value::Null);
    // Today it is not expired: the report counts it serviceable.
    let report = w.json(&["report"]);
    assert_eq!(report["total"]["ammo_serviceable"], 150);
}

#[test]
fn the_verdict_says_what_it_stands_on() {
    let w = with_fixtures();
    let p = fixtures().join("packages/spearhead-company-team.toml");
    let r = w.run(["package", "check", p.to_str().unwrap(), "--format", "json"]);
    let r = r.ok();
    // One depot can issue all of it, with the preferred IFV: one release,
    // one convoy.
    let v = r.json();
    assert_eq!(
        v["total"]["data_as_of"]["depots"],
        serde_json::json!([{"depot": "LT-RUK-01", "as_of": "2026-11-01"}])
    );
    assert_eq!(
        sources(line(&v, "Infantry fighting vehicles")),
        vec![src("LT-RUK-01", "PUMA", "DEU", "FMC", 4, 48)]
    );
    // 35 days before today's date: said, on stderr and in JSON.
    assert_eq!(v["total"]["stale_days"], 35);
    assert!(
        r.stderr
            .contains("stands on data 35 days old (LT-RUK-01 as of 2026-11-01)"),
        "{}",
        r.stderr
    );
    // On the snapshots' own date it is fresh.
    let fresh = w.run([
        "package",
        "check",
        p.to_str().unwrap(),
        "--as-of",
        "2026-11-02",
    ]);
    assert!(!fresh.ok().stderr.contains("days old"));
    // A date before every snapshot is refused, never answered with 0 %.
    w.run([
        "package",
        "check",
        p.to_str().unwrap(),
        "--as-of",
        "2026-01-01",
    ])
    .code(65);
}
