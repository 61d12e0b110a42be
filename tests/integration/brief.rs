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
    let report = w.json(&["report"]);
    let total = &report["total"];
    assert!(
        html.contains(&format!("<b id=\"on-hand\">{}</b>", total["on_hand"])),
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
            total["ammo_on_hand"]
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
    let watch = w.json(&["watch", "--today", crate::util::TODAY]);
    for kind in ["stale_depot", "expired", "expiring", "inspection_overdue"] {
        let n = watch["rows"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["kind"] == kind)
            .count();
        assert_eq!(html.contains(&format!("id=\"{kind}\"")), n > 0, "{kind}");
    }
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
    w.run(["report", "--html", page.to_str().unwrap()]).ok();
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
        dom.contains(&format!("<b id=\"on-hand\">{}</b>", total["on_hand"])),
        "the browser rendered the figures"
    );
    assert!(dom.contains("<svg"), "the chart survived parsing");
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
