//! The readiness brief (`report --html`), rendered in headless Chromium when
//! one is installed (`.ci/run` installs Debian's chromium).

use std::process::Command;

use crate::util::with_fixtures;

fn chromium() -> Option<String> {
    ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|b| {
            Command::new("which")
                .arg(b)
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .map(String::from)
}

#[test]
fn the_brief_is_one_self_contained_page_with_the_reports_figures() {
    let w = with_fixtures();
    let page = w.path("brief.html");
    let r = w.run(["report", "--html", page.to_str().unwrap()]).ok();
    assert!(
        r.stderr.contains("wrote the readiness brief"),
        "{}",
        r.stderr
    );
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(
        !html.contains("http://") && !html.contains("https://") && !html.contains("<script"),
        "no network, no scripts"
    );
    assert!(html.contains("<svg"), "inline chart");
    // It says what it stands on, reads on a phone, and groups thousands.
    assert!(html.contains(
        "<p>Latest snapshots on 2026-12-06 · 7 depots, data as of 2026-11-01 (35 days old) · generated"
    ));
    assert!(
        html.contains("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
    );
    assert!(html.contains("overflow-x:auto"));
    let report = w.json(&["report"]);
    let total = &report["total"];
    assert!(
        html.contains(&format!(
            "<b id=\"on-hand\">{}</b>",
            group(total["on_hand"].as_i64().unwrap())
        )),
        "total on hand"
    );
    let rate = total["mc_rate"].as_f64().unwrap() * 100.0;
    assert!(
        html.contains(&format!("<b id=\"mc-rate\">{rate:.1}%</b>")),
        "total MC rate"
    );
    for row in report["rows"].as_array().unwrap() {
        assert!(html.contains(&format!(">{}</th>", row["depot"].as_str().unwrap())));
    }
    for window in ["within 24 h", "within 72 h", "within 7 days"] {
        assert!(html.contains(window), "{window}");
    }
    assert!(html.contains("id=\"expired\""), "expired ammunition table");
    // Rounds stand beside equipment, never in it.
    assert!(
        html.contains(&format!(
            "<b id=\"ammo-on-hand\">{}</b>",
            group(total["ammo_on_hand"].as_i64().unwrap())
        )),
        "total rounds"
    );
    assert!(html.matches("<tr").count() > 20);

    // Since the last snapshot: the same counts as `changes`.
    let changes = w.json(&["changes"]);
    for d in changes["rows"].as_array().unwrap() {
        let depot = d["depot"].as_str().unwrap();
        let row = html
            .split("id=\"changes\"")
            .nth(1)
            .and_then(|t| t.split(&format!(">{depot}</th>")).nth(1))
            .and_then(|t| t.split("</tr>").next())
            .unwrap_or_else(|| panic!("no changes row for {depot}"));
        let signed = |v: &serde_json::Value| match v.as_i64().unwrap() {
            0 => "0".to_string(),
            n if n > 0 => format!("+{n}"),
            n => format!("−{}", -n),
        };
        match d["became_nmc"].as_i64() {
            Some(n) => assert!(
                row.ends_with(&format!(
                    "<td>{n}</td><td>{}</td><td>{}</td><td>{}</td>",
                    d["returned_to_mc"],
                    signed(&d["ammo_change"]),
                    signed(&d["ammo_serviceable_change"])
                )),
                "{depot}: {row}"
            ),
            None => assert!(row.contains("nothing to compare"), "{depot}: {row}"),
        }
    }
    // Needs attention: the lists `watch` gives on the same day.
    let watch = w.json(&["watch", "--items", "--today", crate::util::TODAY]);
    for kind in ["stale_depot", "expired", "expiring", "inspection_overdue"] {
        let n = watch["rows"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["kind"] == kind)
            .count();
        assert_eq!(html.contains(&format!("id=\"{kind}\"")), n > 0, "{kind}");
    }
    // One row per depot and kind, as `watch` sums them: the expired lots'
    // table has a row for each depot holding one, worst first.
    let summary = w.json(&["watch", "--today", crate::util::TODAY]);
    let expired: Vec<&str> = summary["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["kind"] == "expired")
        .map(|r| r["depot"].as_str().unwrap())
        .collect();
    let at = html.find("<table id=\"expired\">").unwrap();
    let table = &html[at..at + html[at..].find("</table>").unwrap()];
    let shown: Vec<&str> = table
        .split("<th scope=\"row\">")
        .skip(1)
        .map(|r| &r[..r.find('<').unwrap()])
        .collect();
    assert_eq!(shown, expired);
}

#[test]
fn the_brief_shows_each_package_worst_first() {
    let w = with_fixtures();
    let page = w.path("brief.html");
    let packages = crate::util::fixtures().join("packages");
    w.run([
        "report",
        "--html",
        page.to_str().unwrap(),
        "--packages",
        packages.to_str().unwrap(),
    ])
    .ok();
    let html = std::fs::read_to_string(&page).unwrap();
    let section = html
        .split("<h2>Force packages</h2>")
        .nth(1)
        .expect("package section");
    let order: Vec<usize> = [
        "Spearhead company team, to the assembly area east<",
        "Armoured brigade set<",
        "Mechanised battlegroup<",
        "Spearhead company team<",
    ]
    .iter()
    .map(|p| section.find(p).unwrap_or_else(|| panic!("{p} missing")))
    .collect();
    assert!(
        order.windows(2).all(|w| w[0] < w[1]),
        "worst first: {order:?}"
    );
    assert!(section.contains("47.7% · short within 168 h"), "{section}");
    assert!(section.contains("100.0% · ready in 48 h"));
}

#[test]
fn the_brief_loads_in_a_browser() {
    let Some(browser) = chromium() else {
        eprintln!(
            "skipped: no chromium found (install Debian's chromium package to run this test)"
        );
        return;
    };
    let w = with_fixtures();
    let page = w.path("brief.html");
    let fixtures = crate::util::fixtures();
    w.run([
        "report",
        "--html",
        page.to_str().unwrap(),
        "--packages",
        fixtures.join("packages").to_str().unwrap(),
        "--movement",
        fixtures.join("movement.toml").to_str().unwrap(),
    ])
    .ok();
    let profile = w.path("chromium-profile");
    let out = Command::new(&browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            &format!("--user-data-dir={}", profile.display()),
            "--dump-dom",
            &format!("file://{}", page.display()),
        ])
        .output()
        .expect("chromium runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dom = String::from_utf8_lossy(&out.stdout);
    let total = &w.json(&["report"])["total"];
    assert!(
        dom.contains(&format!(
            "<b id=\"on-hand\">{}</b>",
            group(total["on_hand"].as_i64().unwrap())
        )),
        "the browser rendered the figures"
    );
    assert!(dom.contains("<svg"), "the chart survived parsing");
    assert!(
        dom.contains("class=\"land\"") && dom.contains("class=\"step\""),
        "the map and the closure charts survived parsing"
    );
}

/// The brief's "Since the last snapshot" opens with what a commander reads
/// first: serials no depot reports any more, moves, packages that slipped.
#[test]
fn the_brief_opens_the_changes_with_losses_moves_and_slipped_packages() {
    let w = crate::util::Work::new();
    w.import(&w.write(
        "w1.csv",
        crate::util::export(&[
            "AA-1,2026-11-01,T-1,MBT,,S-GONE,1,FMC,DEU,24,,,",
            "AA-1,2026-11-01,T-1,MBT,,S-MOVE,1,FMC,DEU,24,,,",
            "AA-1,2026-11-01,T-1,MBT,,S-SLOW,1,FMC,DEU,24,,,",
            "BB-1,2026-11-01,T-2,MBT,,B-1,1,FMC,DEU,24,,,",
        ]),
    ))
    .ok();
    w.import(&w.write(
        "w2.csv",
        crate::util::export(&[
            "AA-1,2026-11-08,T-1,MBT,,S-SLOW,1,FMC,DEU,120,,,",
            "BB-1,2026-11-08,T-2,MBT,,B-1,1,FMC,DEU,24,,,",
            "BB-1,2026-11-08,T-1,MBT,,S-MOVE,1,FMC,DEU,24,,,",
        ]),
    ))
    .ok();
    let dir = w.path("packages");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(
        dir.join("p.toml"),
        "name = \"tank platoon\"\nwithin = \"48h\"\n[[line]]\nname = \"tanks\"\ntypes = [\"T-1\"]\nquantity = 3\n",
    )
    .unwrap();
    let page = w.path("brief.html");
    w.run([
        "report",
        "--html",
        page.to_str().unwrap(),
        "--packages",
        dir.to_str().unwrap(),
    ])
    .ok();
    let html = std::fs::read_to_string(&page).unwrap();
    let since = html
        .split("<h2>Since the last snapshot</h2>")
        .nth(1)
        .expect("the section");
    let at = |needle: &str| {
        since
            .find(needle)
            .unwrap_or_else(|| panic!("{needle} missing: {since}"))
    };
    let (lost, moved, slipped, table) = (
        at("id=\"lost\""),
        at("id=\"moved\""),
        at("id=\"slipped\""),
        at("id=\"changes\""),
    );
    assert!(lost < moved && moved < slipped && slipped < table);
    assert!(since.contains(">S-GONE<"), "{since}");
    assert!(since.contains("moved to BB-1"), "{since}");
    assert!(
        since.contains(
            "tank platoon</b>: complete within 24 h (window 48 h) → at most 33.3 % within 48 h"
        ),
        "{since}"
    );
}

/// The brief with a movement file: every placed depot on the map with the
/// figures `report` gives it, the destination, the legs the plans travel
/// (route or estimate as `package check` says), and each package's closure
/// as steps at the hours `--phases` gives.
#[test]
fn the_brief_maps_the_depots_and_charts_each_packages_closure() {
    let w = with_fixtures();
    let fixtures = crate::util::fixtures();
    let (packages, movement) = (fixtures.join("packages"), fixtures.join("movement.toml"));
    let page = w.path("brief.html");
    w.run([
        "report",
        "--html",
        page.to_str().unwrap(),
        "--packages",
        packages.to_str().unwrap(),
        "--movement",
        movement.to_str().unwrap(),
        "--to",
        "AA-EAST",
    ])
    .ok();
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(!html.contains("http://") && !html.contains("<script"));
    let map = html
        .split("<section id=\"map\">")
        .nth(1)
        .and_then(|s| s.split("</section>").next())
        .expect("the map section");
    assert!(
        map.contains("<h2>Depots and the way to AA-EAST</h2>"),
        "{map}"
    );
    assert!(map.contains("class=\"land\""), "country outlines");
    for row in w.json(&["report"])["rows"].as_array().unwrap() {
        let tip = format!(
            "<title>{}: {} items, {} rounds, level {}</title>",
            row["depot"].as_str().unwrap(),
            group(row["on_hand"].as_i64().unwrap()),
            group(row["ammo_on_hand"].as_i64().unwrap()),
            row["level"]
        );
        assert!(map.contains(&tip), "{tip}");
    }
    assert!(map.contains("<title>Assembly area east (Rzeszów–Jasionka)</title>"));

    // Every depot's way to AA-EAST: solid for the file's known routes,
    // dashed for estimates, bold where a package draws on it within its
    // window — as `package check` says.
    let used: Vec<String> = std::fs::read_dir(&packages)
        .unwrap()
        .map(|f| f.unwrap().path())
        .flat_map(|f| {
            let v = w.json(&[
                "package",
                "check",
                f.to_str().unwrap(),
                "--to",
                "AA-EAST",
                "--movement",
                movement.to_str().unwrap(),
            ]);
            v["rows"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|l| l["sources"].as_array().unwrap().clone())
                .map(|s| s["depot"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(!used.is_empty());
    for row in w.json(&["report"])["rows"].as_array().unwrap() {
        let depot = row["depot"].as_str().unwrap();
        let kind = if ["NO-TRD-01", "FR-MOU-01"].contains(&depot) {
            "route"
        } else {
            "estimate"
        };
        let bold = if used.iter().any(|u| u == depot) {
            " used"
        } else {
            ""
        };
        assert!(
            map.contains(&format!(
                "class=\"leg {kind}{bold}\"><title>{depot} → AA-EAST:"
            )),
            "{depot}: {kind}{bold}"
        );
    }
    assert!(map.contains("<title>NO-TRD-01 → AA-EAST: 70 h by sea + rail (route)</title>"));

    let file = packages.join("spearhead-to-assembly-area.toml");
    let check = w.json(&["package", "check", file.to_str().unwrap(), "--phases"]);
    // The closure chart: a point per phase at the fill `package check`
    // gives, the window and the closure marked.
    let name = check["package"].as_str().unwrap();
    let chart = html
        .split(&format!("<h3>{name}: fill arrived at AA-EAST"))
        .nth(1)
        .and_then(|s| s.split("</svg>").next())
        .expect("the spearhead's closure chart");
    for p in check["phases"].as_array().unwrap() {
        let point = format!(
            "<title>{} h: {:.1}%</title>",
            p["hours"],
            p["fill_rate"].as_f64().unwrap() * 100.0
        );
        assert!(chart.contains(&point), "{point}: {chart}");
    }
    let closes = check["total"]["closure_hours"].as_i64().unwrap();
    assert!(
        chart.contains(&format!(">closes {closes} h</text>")),
        "{chart}"
    );
    assert!(chart.contains(&format!(
        ">window {} h</text>",
        check["total"]["within_hours"]
    )));
}

fn group(n: i64) -> String {
    let digits = n.abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// A depot the movement file does not place is named beneath the map, not
/// dropped; a destination the file does not name is refused with the
/// nearest; --movement without --html is a usage error.
#[test]
fn the_map_names_what_it_cannot_place_and_refuses_an_unknown_destination() {
    let w = with_fixtures();
    let movement = w.write(
        "m.toml",
        "[depot.DE-AUG-01]\nat = [51.91, 8.73]\n\n[destination.AA-EAST]\nname = \"East\"\nat = [50.11, 22.02]\n",
    );
    let page = w.path("brief.html");
    w.run([
        "report",
        "--html",
        page.to_str().unwrap(),
        "--movement",
        movement.to_str().unwrap(),
    ])
    .ok();
    let html = std::fs::read_to_string(&page).unwrap();
    let depots: Vec<String> = w.json(&["report"])["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["depot"].as_str().unwrap().to_string())
        .filter(|d| d != "DE-AUG-01")
        .collect();
    assert!(
        html.contains(&format!(
            "Not on the map (no position in the movement file): {}",
            depots.join(", ")
        )),
        "{html}"
    );
    assert!(html.contains("<title>DE-AUG-01: "));
    // With no package, the file's destinations are drawn.
    assert!(html.contains("<h2>Depots and the way to AA-EAST</h2>"));

    let packages = crate::util::fixtures().join("packages");
    let r = w
        .run([
            "report",
            "--html",
            page.to_str().unwrap(),
            "--packages",
            packages.to_str().unwrap(),
            "--movement",
            movement.to_str().unwrap(),
            "--to",
            "AA-EST",
        ])
        .code(65);
    assert!(r.stderr.contains("AA-EAST"), "{}", r.stderr);
    let r = w
        .run(["report", "--movement", movement.to_str().unwrap()])
        .code(2);
    assert!(r.stderr.contains("--html"), "{}", r.stderr);
}

/// At a force's scale the brief stays a brief: every depot a dot, the ten
/// lowest named (lowest level, then MC rate), a heat map of those by
/// category, each list its ten worst and a count of the rest.
#[test]
fn at_a_forces_scale_the_brief_stays_short() {
    let w = crate::util::force_scale();
    let out = w.path("brief.html");
    w.run_with(
        &[("STOCKPILE_TODAY", "2026-12-06")],
        ["report", "--html", out.to_str().unwrap()],
    )
    .ok();
    let html = std::fs::read_to_string(&out).unwrap();
    assert!(html.len() < 100_000, "{} bytes", html.len());
    let dots = html
        .split("id=\"dots\"")
        .nth(1)
        .unwrap()
        .split("</svg>")
        .next()
        .unwrap();
    assert_eq!(dots.matches("<circle").count(), 60, "one dot per depot");
    // The MC rate over time: one point per snapshot date, the later lower
    // (a tank in four went down).
    let trend = html
        .split("id=\"trend\"")
        .nth(1)
        .unwrap()
        .split("</svg>")
        .next()
        .unwrap();
    let points: Vec<&str> = trend
        .split("<title>")
        .skip(1)
        .map(|t| t.split('<').next().unwrap())
        .collect();
    assert_eq!(points.len(), 2, "{points:?}");
    assert!(
        points[0].starts_with("2026-11-22 · 100.0%") && points[1].starts_with("2026-11-29 · 80.0%"),
        "{points:?}"
    );
    let table = |id: &str| -> Vec<String> {
        let body = html
            .split(&format!("id=\"{id}\""))
            .nth(1)
            .unwrap_or_else(|| panic!("no table {id}"))
            .split("</table>")
            .next()
            .unwrap();
        body.split("<th scope=\"row\">")
            .skip(1)
            .map(|r| r.split('<').next().unwrap().to_string())
            .collect()
    };
    let by_depot = table("by-depot");
    assert_eq!(by_depot.len(), 11, "ten depots and the total: {by_depot:?}");
    assert_eq!(by_depot.last().unwrap(), "TOTAL");
    assert!(html.contains("… and 50 more depots"));
    // The ten are the lowest: none of the 50 left out is lower.
    let report = w.json(&["report", "--by", "depot"]);
    let rate = |depot: &str| {
        crate::util::row(&report, "depot", depot)["mc_rate"]
            .as_f64()
            .unwrap()
    };
    let highest_listed = by_depot[..10].iter().map(|d| rate(d)).fold(0.0, f64::max);
    for r in report["rows"].as_array().unwrap() {
        let depot = r["depot"].as_str().unwrap();
        if !by_depot.iter().any(|d| d == depot) {
            assert!(
                rate(depot) >= highest_listed,
                "{depot} is lower than a depot listed"
            );
        }
    }
    assert_eq!(
        table("heat"),
        by_depot[..10].to_vec(),
        "the heat map's depots"
    );
    assert!(!html.contains("id=\"by-depot-category\""));
    assert!(table("changes").len() <= 10);
}
