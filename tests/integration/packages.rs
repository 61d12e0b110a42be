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

/// (depot, type, quantity, notice) of a line's sources, sorted.
fn sources(line: &Value) -> Vec<(String, String, i64, i64)> {
    let mut s: Vec<_> = line["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["depot"].as_str().unwrap().to_string(),
                s["type"].as_str().unwrap().to_string(),
                s["quantity"].as_i64().unwrap(),
                s["notice_hours"].as_i64().unwrap(),
            )
        })
        .collect();
    s.sort();
    s
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
        vec![("DEP-A".into(), "TANK-Y".into(), 2, 48)]
    );
    assert_eq!(
        sources(line(&r, "x only")),
        vec![("DEP-A".into(), "TANK-X".into(), 2, 24)]
    );
    let t = &r["total"];
    assert_eq!(t["needed"], 4);
    assert_eq!(t["allocated"], 4);
    assert_eq!(t["shortfall"], 0);
    assert_eq!(t["fill_rate"], 1.0);
    assert_eq!(t["complete"], true);
    assert_eq!(t["ready_within_hours"], 48);
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
    assert_eq!(r["total"]["ready_within_hours"], 24);
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
    // 100 of lot L1; L2 expired and L3 NMCS never count.
    assert_eq!(rounds["allocated"], 100);
    assert_eq!(rounds["shortfall"], 20);
    assert_eq!(line(&r, "tanks")["allocated"], 3);
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
        vec![("DEP-A".into(), "TANK-Y".into(), 2, 48)]
    );
    let b = check(&w, package, &["--depot", "DEP-B"]);
    assert_eq!(
        sources(line(&b, "tanks")),
        vec![("DEP-B".into(), "TANK-X".into(), 1, 96)]
    );
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
            .contains("at most 66.7 % within 72 h: short 1 × flexible"),
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
        "[[line]]\nname = \"a\"\ntypes = [\"TANK-X\", \"TANK-Z\"]\nquantity = 1\n",
    );
    let r = w.run(["package", "check", unknown.to_str().unwrap()]).ok();
    assert!(
        r.stderr
            .contains("unknown.toml:3: line \"a\": type TANK-Z is not in the database"),
        "{}",
        r.stderr
    );
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
        "line,needed,allocated,shortfall,fill_rate,notice_hours,depot,type,quantity,source_notice_hours"
    );
    assert_eq!(lines.len(), 1 + 2, "{}", r.stdout);
    assert!(
        lines.contains(&"x only,2,2,0,1,24,DEP-A,TANK-X,2,24"),
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
        assert!(text.contains("   NO-TRD-01 M1A2-SEPV3"), "{text}");
        assert!(
            text.contains("at most 47.7 % within 168 h: short 68 × Infantry fighting vehicles"),
            "{text}"
        );
    }
}
