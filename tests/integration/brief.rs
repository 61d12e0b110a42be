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
    assert!(html.matches("<tr").count() > 20);
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
