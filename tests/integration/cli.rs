//! The command line: global options anywhere, help that teaches, output
//! formats, exit codes, completions.

use crate::util::{Work, export};

fn small() -> Work {
    let w = Work::new();
    w.import(&w.write(
        "a.csv",
        export(&[
            "A-1,2026-11-01,T,OTHER,,,3,FMC,FRA,1,,,",
            "B-1,2026-11-01,T,OTHER,,,1,NMCM,FRA,1,,,",
        ]),
    ))
    .ok();
    w
}

#[test]
fn global_options_stand_before_or_after_the_command() {
    let w = small();
    let after = w.run(["report", "--format", "json"]).ok().stdout;
    let before = w.run(["--format", "json", "report"]).ok().stdout;
    assert_eq!(after, before);
    let r = w
        .run(["report", "--quiet", "--format", "csv", "--color", "never"])
        .ok();
    assert!(r.stdout.starts_with("depot,on_hand,fmc"), "{}", r.stdout);
}

#[test]
fn the_database_path_comes_from_the_environment_too() {
    let w = small();
    let mut cmd = assert_cmd::Command::cargo_bin("stockpile").unwrap();
    let out = cmd
        .env("STOCKPILE_DB", w.db_arg())
        .args(["report", "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["total"]["on_hand"], 4);
}

#[test]
fn table_csv_and_json_carry_the_same_figures() {
    let w = small();
    let table = w.run(["report"]).ok().stdout;
    assert!(table.contains("TOTAL"), "{table}");
    assert!(table.contains("75.0%"), "rates as percentages: {table}");
    let csv = w.run(["report", "--format", "csv"]).ok().stdout;
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "depot,on_hand,fmc,pmc,nmcm,nmcs,mc,mc_rate,r_level,required,fill_rate,s_level,level,\
         ammo_on_hand,ammo_serviceable,ammo_unserviceable,ammo_expired,ammo_suspended,ammo_rate,ammo_required,\
         ammo_fill_rate"
    );
    assert_eq!(
        lines.next().unwrap(),
        "A-1,3,3,0,0,0,3,1,R1,,,,1,0,0,0,0,0,,,"
    );
    assert_eq!(
        lines.next().unwrap(),
        "B-1,1,0,0,1,0,0,0,R4,,,,4,0,0,0,0,0,,,"
    );
    assert_eq!(lines.next(), None, "csv has no totals row");
    let json = w.json(&["report"]);
    assert_eq!(json["total"]["mc_rate"], 0.75);
    assert!(json["total"]["required"].is_null());
}

#[test]
fn usage_errors_exit_2_and_missing_inputs_66() {
    let w = small();
    w.run(["report", "--by", "colour"]).code(2);
    w.run(["report", "--category", "TANKS"]).code(2);
    w.run(["report", "--as-of", "yesterday"]).code(2);
    w.run(["deployable"]).code(2);
    w.run(["deployable", "--within", "soon"]).code(2);
    w.run(["nonsense"]).code(2);
    w.run(["import"]).code(2);
    w.run(["requirements", "import", "missing.csv"]).code(66);
}

#[test]
fn help_teaches_with_examples() {
    let w = Work::new();
    let r = w.run(["--help"]).ok();
    assert!(r.stdout.contains("Workflow:"), "{}", r.stdout);
    for cmd in [
        "import",
        "report",
        "deployable",
        "history",
        "export",
        "query",
        "completions",
        "depots",
        "types",
        "check",
        "manpage",
    ] {
        let r = w.run([cmd, "--help"]).ok();
        assert!(
            r.stdout.contains("Example"),
            "{cmd} --help has no example: {}",
            r.stdout
        );
    }
    let r = w.run(Vec::<&str>::new());
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("Workflow:") || r.stdout.contains("Workflow:"));
}

#[test]
fn completions_for_each_shell() {
    let w = Work::new();
    for shell in ["bash", "zsh", "fish"] {
        let r = w.run(["completions", shell]).ok();
        assert!(r.stdout.contains("deployable"), "{shell}");
    }
    w.run(["completions", "tcsh"]).code(2);
    // Files are offered where a file is asked for, and only there: a date,
    // a window, an NSN or a depot code is typed, not picked from the folder.
    let zsh = w.run(["completions", "zsh"]).ok().stdout;
    for line in zsh.lines() {
        let option = line
            .trim_start()
            .trim_start_matches('\'')
            .split('=')
            .next()
            .unwrap_or("");
        let files = line.contains(":_files");
        match option {
            "--as-of" | "--within" | "--since" | "--today" | "--nsn" | "--lot" | "--reason"
            | "--expiring" | "--stale" | "--policy" | "--depot" | "--type" | "--by" => {
                assert!(!files, "{option} offers files: {line}")
            }
            "--rejects" | "--map" | "--html" | "--xlsx" | "--movement" => {
                assert!(files, "{option} offers no files: {line}")
            }
            _ => {}
        }
    }
}

#[test]
fn a_closed_pipe_is_not_an_error() {
    use std::io::Read;
    use std::process::{Command, Stdio};
    let w = small();
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("stockpile"))
        .args(["--db", w.db_arg().to_str().unwrap(), "query", "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200000) SELECT i FROM n"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 16];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    let status = child.wait().unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(status.success(), "exit {status:?}: {err}");
    assert!(!err.contains("panicked"), "{err}");
}

fn wide() -> Work {
    let w = Work::new();
    w.run([
        "import",
        crate::util::fixtures().join("exports").to_str().unwrap(),
    ])
    .ok();
    w
}

fn run_width(w: &Work, columns: &str, args: &[&str]) -> String {
    let mut cmd = assert_cmd::Command::cargo_bin("stockpile").unwrap();
    let out = cmd
        .env("COLUMNS", columns)
        .env("NO_COLOR", "1")
        .arg("--db")
        .arg(w.db_arg())
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn tables_fit_80_and_120_columns() {
    let w = wide();
    let narrow = run_width(&w, "80", &["report"]);
    assert!(narrow.lines().all(|l| l.chars().count() <= 80), "{narrow}");
    assert!(
        narrow.contains("PL-POW-01") && narrow.contains("TOTAL") && narrow.contains("level"),
        "{narrow}"
    );
    assert!(
        !narrow.contains(" fmc "),
        "the status breakdown gives way first: {narrow}"
    );
    let medium = run_width(&w, "120", &["report", "--by", "category"]);
    assert!(medium.lines().all(|l| l.chars().count() <= 120), "{medium}");
    let full = run_width(&w, "200", &["report"]);
    assert!(full.contains(" fmc ") && full.contains("█"), "{full}");
    assert!(!full.contains('\u{1b}'), "no colour when NO_COLOR is set");
}

#[test]
fn colour_can_be_forced_and_is_never_in_csv() {
    let w = wide();
    let r = w.run(["report", "--color", "always"]).ok();
    assert!(
        r.stdout.contains("\u{1b}["),
        "levels are coloured: {}",
        r.stdout
    );
    let r = w
        .run(["report", "--color", "always", "--format", "csv"])
        .ok();
    assert!(!r.stdout.contains('\u{1b}'));
    let r = w.run(["report"]).ok();
    assert!(!r.stdout.contains('\u{1b}'), "piped output is plain");
}

#[test]
fn the_manual_page_renders() {
    let w = Work::new();
    let r = w.run(["manpage"]).ok();
    assert!(
        r.stdout.starts_with(".ie") || r.stdout.contains(".TH stockpile 1"),
        "{}",
        &r.stdout[..200.min(r.stdout.len())]
    );
    assert!(r.stdout.contains("deployable"));
}

#[test]
fn import_summaries_are_machine_readable() {
    let w = Work::new();
    let f = w.write(
        "a.csv",
        export(&[
            "A-1,2026-11-01,T,OTHER,,,3,FMC,FRA,1,,,",
            "A-1,2026-11-01,T,OTHER,,,1,NMCM,FRA,1,,,",
        ]),
    );
    let j = w
        .run(["import", "--format", "json", f.to_str().unwrap()])
        .ok()
        .json();
    assert_eq!(j["rows"][0]["rows_imported"], 2);
    assert_eq!(j["rows"][0]["encoding"], "UTF-8");
    assert_eq!(j["rows"][0]["snapshots"][0]["outcome"], "created");
    assert_eq!(j["total"]["rows_read"], 2);
    let g = w.write(
        "b.csv",
        export(&["B-1,2026-11-01,T,OTHER,,,1,FMC,FRA,1,,,"]),
    );
    let c = w
        .run(["import", "--format", "csv", g.to_str().unwrap()])
        .ok();
    let mut lines = c.stdout.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("file,encoding,delimiter,rows_read,rows_imported")
    );
    assert!(
        lines.next().unwrap().contains(",1,1,0,1,0,0,0,"),
        "{}",
        c.stdout
    );
}

#[test]
fn every_table_command_fits_80_and_120_columns_without_wrapping() {
    let w = crate::util::with_fixtures();
    let packages = crate::util::fixtures().join("packages");
    let brigade = packages.join("armoured-brigade-set.toml");
    let commands: Vec<Vec<&str>> = vec![
        vec!["report"],
        vec!["report", "--by", "depot,type"],
        vec!["report", "--by", "depot,category,owner"],
        vec!["history"],
        vec!["history", "--by", "depot,category"],
        vec!["deployable", "--within", "48h", "--by", "depot,type,owner"],
        vec!["depots"],
        vec!["types"],
        vec!["check"],
        vec!["package", "check", brigade.to_str().unwrap()],
        vec!["package", "list", packages.to_str().unwrap()],
        vec!["changes"],
        vec!["changes", "--items"],
        vec!["watch", "--today", "2026-11-29"],
        vec!["trace", "--depot", "DE-AUG-01", "--type", "LEOPARD-2A6"],
    ];
    for width in ["80", "120"] {
        let limit: usize = width.parse().unwrap();
        for args in &commands {
            let text = run_width(&w, width, args);
            for line in text.lines() {
                assert!(
                    line.chars().count() <= limit,
                    "{args:?} at {width}: {line:?}\n{text}"
                );
            }
            // A wrapped cell would add a line: the table has exactly one
            // line per CSV row, plus its header, rule and TOTAL.
            // (Tables with a line above them or notes below are checked for
            // width only.)
            if !["package", "check", "trace"].contains(&args[0]) && !args.contains(&"--items") {
                let mut csv_args = args.clone();
                csv_args.extend(["--format", "csv"]);
                let csv_rows = run_width(&w, width, &csv_args).lines().count() - 1;
                // The table's lines: a caption above and a verdict below
                // start at the margin, table lines with a space or the rule.
                let table: Vec<&str> = text
                    .lines()
                    .filter(|l| l.starts_with(' ') || l.starts_with('─'))
                    .collect();
                let totals = table.iter().filter(|l| l.starts_with(" TOTAL")).count();
                assert_eq!(
                    table.len() - 2 - totals,
                    csv_rows,
                    "{args:?} at {width}: rows wrapped\n{text}"
                );
            }
        }
    }
}

#[test]
fn wide_and_invisible_characters_are_measured_as_drawn() {
    use unicode_width::UnicodeWidthStr;
    let w = crate::util::with_fixtures();
    // CJK takes two columns of a terminal; a zero-width space is drawn as
    // its code (8 columns), an escape as its picture.
    // The characters themselves in the literals: the same SQL on both
    // backends.
    let sql = "SELECT '東京東京東京東京東京東京東京東京東京東京' AS name, 12345 AS n, 'abc' AS other \
               UNION ALL SELECT 'a\u{200B}b\u{1b}cdefghijklmnopqrstuvwxyz', 7, 'zz'";
    for width in [30usize, 40, 80] {
        let text = run_width(&w, &width.to_string(), &["query", sql]);
        for line in text.lines() {
            assert!(line.width() <= width, "at {width}: {line:?}\n{text}");
        }
        assert!(text.contains("12,345"), "{text}");
    }
    // Cut on a character, never inside one, and only as far as needed.
    let text = run_width(&w, "30", &["query", sql]);
    assert!(text.contains(" 東京東京…"), "{text}");
    let text = run_width(&w, "80", &["query", sql]);
    assert!(
        text.contains("東京東京東京東京東京東京東京東京東京東京"),
        "{text}"
    );
    assert!(text.contains("a<U+200B>b␛cdef"), "{text}");
}

/// Runs a command in a real pseudo-terminal of `columns` columns (util-linux
/// `script`), so that the width comes from the terminal, not `COLUMNS`.
fn in_terminal(w: &Work, columns: u16, args: &str) -> String {
    let bin = assert_cmd::cargo::cargo_bin("stockpile");
    let out = std::process::Command::new("script")
        .args(["-qec"])
        .arg(format!(
            "stty cols {columns} rows 50; '{}' --db '{}' {args}",
            bin.display(),
            w.db_arg().to_string_lossy()
        ))
        .arg("/dev/null")
        .env_remove("COLUMNS")
        .env_remove("NO_COLOR")
        .output()
        .expect("util-linux script runs");
    let raw = String::from_utf8_lossy(&out.stdout).into_owned();
    // Colour is on in a terminal: strip the escape sequences to measure.
    let mut text = String::new();
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else if c != '\r' {
            text.push(c);
        }
    }
    text
}

#[test]
fn tables_fit_a_real_terminal_of_80_and_120_columns() {
    let w = crate::util::with_fixtures();
    let brigade = crate::util::fixtures().join("packages/armoured-brigade-set.toml");
    let package = format!("package check '{}'", brigade.display());
    for columns in [80u16, 120] {
        for args in [
            "report --by depot,type",
            "history --by depot",
            "deployable --within 48h --by depot,type,owner",
            "changes --items",
            "watch --today 2026-11-29",
            package.as_str(),
        ] {
            let text = in_terminal(&w, columns, args);
            assert!(text.lines().count() > 3, "{args}: {text}");
            for line in text.lines() {
                assert!(
                    line.chars().count() <= usize::from(columns),
                    "{args} at {columns}: {line:?}"
                );
            }
        }
    }
}

/// `--color always` wins over NO_COLOR (tables and the error label), a
/// pipe gets no colour by default, `COLUMNS=0` means "unknown" rather than
/// one character, and no table line ends in spaces.
#[test]
fn colour_width_and_trailing_spaces() {
    let w = crate::util::with_fixtures();
    let coloured = w
        .run_with(&[("NO_COLOR", "1")], ["report", "--color", "always"])
        .ok();
    assert!(coloured.stdout.contains("\u{1b}["), "{}", coloured.stdout);
    let plain = w.run(["report"]).ok();
    assert!(!plain.stdout.contains('\u{1b}'));
    let err = w
        .run_with(
            &[("NO_COLOR", "1")],
            ["report", "--depot", "NOPE-01", "--color", "always"],
        )
        .code(65);
    assert!(
        err.stderr.starts_with("\u{1b}[1;31merror\u{1b}[0m: "),
        "{}",
        err.stderr
    );
    let err = w.run(["report", "--depot", "NOPE-01"]).code(65);
    assert!(err.stderr.starts_with("error: "), "{}", err.stderr);
    let zero = w.run_with(&[("COLUMNS", "0")], ["report"]).ok();
    assert_eq!(
        zero.stdout, plain.stdout,
        "COLUMNS=0 is no limit, as a pipe has"
    );
    for args in [
        vec!["report"],
        vec!["report", "--by", "depot,type"],
        vec!["deployable", "--within", "48h"],
        vec!["history"],
        vec!["changes", "--items"],
        vec!["watch"],
        vec!["depots"],
        vec!["types"],
    ] {
        for columns in ["80", "120"] {
            let r = w.run_with(&[("COLUMNS", columns)], &args).ok();
            for line in r.stdout.lines() {
                assert!(
                    !line.ends_with(' '),
                    "{args:?} at {columns}: trailing spaces in {line:?}"
                );
                assert!(
                    line.chars().count() <= columns.parse().unwrap(),
                    "{args:?} at {columns}: {line:?} is wider"
                );
            }
        }
    }
}

/// Every table says what it shows above it — the date, the data's age,
/// the filters — and answers in one line below it; CSV and JSON stay data.
#[test]
fn tables_carry_a_caption_and_a_verdict() {
    let w = crate::util::with_fixtures();
    let first = |args: &[&str]| w.run(args).ok().stdout.lines().next().unwrap().to_string();
    // The verdict, above the line naming the readiness policy (SPEC §13).
    let last = |args: &[&str]| {
        let out = w.run(args).ok().stdout;
        let lines: Vec<&str> = out.lines().collect();
        assert!(
            lines
                .last()
                .unwrap()
                .starts_with("Policy: SPEC §4 defaults"),
            "{args:?}: {out}"
        );
        lines[lines.len() - 2].to_string()
    };
    assert_eq!(
        first(&["report"]),
        "Readiness on 2026-12-06 · 7 depots, data as of 2026-11-01 (35 days old)"
    );
    assert!(last(&["report"]).starts_with("Overall level 2 (R2 · S2) · at level 3: "));
    assert_eq!(
        first(&[
            "report",
            "--as-of",
            "2026-10-15",
            "--depot",
            "PL-POW-01",
            "--category",
            "MBT"
        ]),
        "Readiness on 2026-10-15 · 1 depot, data as of 2026-10-01 (14 days old) · depot PL-POW-01 · category MBT"
    );
    assert!(
        first(&["deployable", "--within", "48h"])
            .starts_with("Deployable within 48 h on 2026-12-06 · 7 depots")
    );
    assert!(
        last(&["deployable", "--within", "48h"])
            .contains("mission-capable items can move within 48 h")
    );
    let history = w.run(["history"]).ok().stdout;
    assert!(
        history
            .starts_with("Readiness on each snapshot date, 2 dates from 2026-10-01 to 2026-11-01")
    );
    assert!(
        history.contains("Not every depot had reported by 2026-10-01 (4 of 7)"),
        "{history}"
    );
    let h = w.json(&["history"]);
    assert_eq!(h["rows"][0]["depots"], 4);
    assert_eq!(h["rows"][1]["depots"], 7);
    let rows = w
        .run(["watch", "--items", "--format", "csv"])
        .ok()
        .stdout
        .lines()
        .count()
        - 1;
    assert!(
        first(&["watch"]).starts_with(&format!("Needs attention on 2026-12-06: {rows} items — "))
    );
    let changes = first(&["changes"]);
    assert!(
        changes.starts_with("Changes on 2026-12-06: each depot's latest snapshot against the one before, 4 depots compared · "),
        "{changes}"
    );
    for args in [
        ["report", "--format", "csv"],
        ["history", "--format", "csv"],
    ] {
        assert!(first(&args).starts_with("depot,") || first(&args).starts_with("as_of,"));
    }
}

/// A mistyped table in `query` is answered with the views and tables.
#[test]
fn a_missing_table_in_query_lists_the_views() {
    let w = crate::util::with_fixtures();
    let r = w.run(["query", "SELECT * FROM current_holding"]).code(2);
    assert!(
        r.stderr.contains(
            "the views for other tools are current_holdings, current_readiness and required_levels"
        ),
        "{}",
        r.stderr
    );
    let check = w.run(["check"]).ok();
    assert!(
        check.stdout.contains("1,513 holding versions"),
        "{}",
        check.stdout
    );
}

/// Completions never offer file names for a grouping or a filter, and the
/// global options stand under their own heading in every command's help.
#[test]
fn completions_and_help_name_what_they_complete() {
    let w = Work::new();
    let script = w.run(["completions", "bash"]).ok().stdout;
    let lines: Vec<&str> = script.lines().collect();
    let mut seen = 0;
    for (i, line) in lines.iter().enumerate() {
        if ["--by)", "--category)", "--owner)"].contains(&line.trim()) {
            seen += 1;
            assert!(
                !lines[i + 1].contains("compgen -f"),
                "{} completes file names",
                line.trim()
            );
        }
    }
    assert!(seen >= 5, "the options were found in the script ({seen})");
    let help = w.run(["report", "--help"]).ok().stdout;
    let global = help
        .find("Global options:")
        .expect("a heading of their own");
    assert!(help[global..].contains("--db <PATH|URL>"));
    assert!(!help[..global].contains("--db"));
    assert!(help.contains("--type <TYPE>"));
}

/// `manpage --dir` writes every page the main page refers to.
#[test]
fn every_manual_page_the_main_page_names_is_written() {
    let w = Work::new();
    let dir = w.path("man");
    std::fs::create_dir(&dir).unwrap();
    w.run(["manpage", "--dir", dir.to_str().unwrap()]).ok();
    let main = std::fs::read_to_string(dir.join("stockpile.1")).unwrap();
    let named: Vec<String> = main
        .split("stockpile\\-")
        .skip(1)
        .filter_map(|rest| {
            rest.split_once("(1)")
                .map(|(name, _)| name.replace("\\-", "-"))
        })
        .filter(|name| !name.contains(' '))
        .collect();
    assert!(named.len() >= 18, "{named:?}");
    for name in &named {
        assert!(
            dir.join(format!("stockpile-{name}.1")).exists(),
            "stockpile-{name}(1) is named but not written"
        );
    }
    assert!(dir.join("stockpile-package-check.1").exists());
    assert_eq!(w.run(["manpage"]).ok().stdout, main);
    // What a manual page must say beyond --help: the exit status (every
    // code, as the reference lists them), the environment, the examples.
    let reference = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/reference.md"),
    )
    .unwrap();
    assert!(main.contains(".SH \"EXIT STATUS\""), "{main}");
    for (code, _) in stockpile::manual::EXIT_STATUS {
        assert!(
            main.contains(&format!("\\fB{code}\\fR")),
            "exit {code} not in the page"
        );
        assert!(
            reference.contains(&format!("\n| {code} |")),
            "exit {code} not in docs/reference.md"
        );
    }
    for (name, _) in stockpile::manual::ENVIRONMENT {
        let first = name.split(',').next().unwrap();
        assert!(
            reference.contains(first),
            "{first} not in docs/reference.md"
        );
    }
    assert!(main.contains(".SH \"ENVIRONMENT\"") && main.contains("STOCKPILE_DB"));
    let report = std::fs::read_to_string(dir.join("stockpile-report.1")).unwrap();
    assert!(
        report.contains(".SH \"EXAMPLES\"") && report.contains("\\-\\-fail\\-below 2"),
        "{report}"
    );
    assert!(!report.contains("EXTRA"));
}

/// The header of a table: the line above its rule.
fn header_of(text: &str) -> &str {
    let lines: Vec<&str> = text.lines().collect();
    let rule = lines
        .iter()
        .position(|l| l.starts_with('─'))
        .unwrap_or_else(|| panic!("no table in {text}"));
    lines[rule - 1]
}

/// Every table command, at 80 and 120 columns, on data as wide as a
/// force's: the columns that answer its question are always there (names
/// are cut, columns drawn closer, the rest hidden and named), and no line
/// is wider than the terminal.
#[test]
fn the_columns_that_answer_never_hide_at_80_or_120() {
    let w = crate::util::force_scale();
    let brigade = crate::util::fixtures().join("packages/armoured-brigade-set.toml");
    let cases: Vec<(Vec<&str>, Vec<&str>)> = vec![
        (vec!["report"], vec!["depot", "on hand", "mc rate", "level"]),
        (
            vec!["report", "--by", "depot,type"],
            vec!["depot", "type", "on hand", "mc rate", "level"],
        ),
        (
            vec!["history"],
            vec!["as of", "on hand", "mc rate", "level"],
        ),
        (
            vec!["deployable", "--within", "48h", "--by", "depot,type"],
            vec!["depot", "type", "mc", "deployable"],
        ),
        (
            vec!["changes"],
            vec!["depot", "on hand change", "mc change", "became nmc"],
        ),
        (
            vec!["changes", "--items"],
            vec!["depot", "type", "serial", "change", "from", "to"],
        ),
        (
            vec!["watch", "--today", "2026-12-06"],
            vec!["kind", "depot", "items", "worst date", "worst days"],
        ),
        (
            vec!["watch", "--items", "--today", "2026-12-06"],
            vec!["kind", "depot", "type", "serial", "days"],
        ),
        (
            vec!["depots"],
            vec!["depot", "latest as of", "on hand", "mc rate"],
        ),
        (vec!["types"], vec!["type", "depots", "on hand", "mc rate"]),
        (
            vec![
                "query",
                "SELECT depot, type, serial, lot, status, owner, notice_hours, expires, remarks FROM current_holdings",
            ],
            // remarks is empty on every row: left out, and said so.
            vec![
                "depot",
                "type",
                "serial",
                "lot",
                "status",
                "owner",
                "notice hours",
                "expires",
                "nothing to show in remarks",
            ],
        ),
        (
            vec!["package", "check", brigade.to_str().unwrap()],
            vec!["line", "needed", "allocated", "short", "fill"],
        ),
    ];
    // Shell words for the command line `script` runs.
    let quoted = |args: &[&str]| -> String {
        args.iter()
            .map(|a| format!("'{}'", a.replace('\'', "'\\''")))
            .collect::<Vec<_>>()
            .join(" ")
    };
    for columns in [80u16, 120] {
        for (args, keys) in &cases {
            // In a real pseudo-terminal of that size: the width comes from
            // the terminal, as it does for a user.
            let text = in_terminal(&w, columns, &quoted(args));
            let header = header_of(&text);
            for key in keys {
                let said = key.starts_with("nothing") && text.replace('\n', " ").contains(key);
                assert!(
                    said || header.contains(key),
                    "{args:?} at {columns}: {key:?} is not shown\n{text}"
                );
            }
            for line in text.lines() {
                assert!(
                    line.chars().count() <= usize::from(columns),
                    "{args:?} at {columns}: {line:?}\n{text}"
                );
            }
            // Every table but query's and a package's (which opens with
            // its own verdict) says above it what it stands on.
            if !["query", "package"].contains(&args[0]) {
                let caption = text.lines().next().unwrap_or_default();
                assert!(
                    caption.contains("2026-") && !caption.contains('─') && caption != header,
                    "{args:?} at {columns}: no caption\n{text}"
                );
            }
        }
    }
    // The import summary keeps each file's result.
    let again = Work::new();
    let dir = again.path("exports");
    std::fs::create_dir(&dir).unwrap();
    for name in ["week0.csv", "week1.csv"] {
        std::fs::copy(
            w.path(name),
            dir.join(format!("a-very-long-export-file-name-of-{name}")),
        )
        .unwrap();
    }
    let r = again
        .run_with(&[("COLUMNS", "80")], ["import", dir.to_str().unwrap()])
        .ok();
    let header = header_of(&r.stdout);
    for key in ["file", "rows", "imported", "rejected", "result"] {
        assert!(header.contains(key), "import at 80: {key:?}\n{}", r.stdout);
    }
}
