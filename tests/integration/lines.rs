//! Line numbers as a text editor shows them, whatever the line ends: in
//! errors, in the rejects file, and in the provenance `trace` shows.

use proptest::prelude::*;

use crate::util::Work;

/// One data row: valid or not, its remark one or more lines long.
#[derive(Debug, Clone)]
struct Row {
    bad: bool,
    remark_lines: usize,
    blank_lines_before: usize,
}

fn write_file(rows: &[Row], end: &str) -> (String, Vec<u64>, Vec<u64>) {
    let mut text = format!("depot,as_of,type,status,serial,remarks{end}");
    let mut line = 2u64;
    let (mut bad, mut good) = (Vec::new(), Vec::new());
    for (i, r) in rows.iter().enumerate() {
        for _ in 0..r.blank_lines_before {
            text.push_str(end);
            line += 1;
        }
        if r.bad {
            bad.push(line)
        } else {
            good.push(line)
        }
        let remark: Vec<String> = (0..r.remark_lines).map(|k| format!("part {k}")).collect();
        let status = if r.bad { "BROKEN" } else { "FMC" };
        text.push_str(&format!(
            "LN-1,2026-11-01,T-1,{status},S-{i},\"{}\"{end}",
            remark.join(end)
        ));
        line += r.remark_lines.max(1) as u64;
    }
    (text, bad, good)
}

fn reported_lines(stderr: &str) -> Vec<u64> {
    stderr
        .lines()
        .filter_map(|l| l.split_once("data.csv:").map(|(_, rest)| rest))
        .filter_map(|l| l.split(':').next()?.parse().ok())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    #[test]
    fn errors_and_rejects_name_the_line_an_editor_shows(
        rows in proptest::collection::vec(
            (any::<bool>(), 1usize..4, 0usize..3).prop_map(|(bad, remark_lines, blank_lines_before)| Row { bad, remark_lines, blank_lines_before }),
            1..8,
        ),
        end in prop_oneof![Just("\n"), Just("\r\n"), Just("\r")],
    ) {
        let w = Work::new();
        let (text, bad, _) = write_file(&rows, end);
        let f = w.write("data.csv", &text);
        let r = w.run(["import".as_ref(), "--dry-run".as_ref(), f.as_os_str()]);
        if bad.is_empty() {
            prop_assert_eq!(r.code, 0, "{}", r.stderr);
        } else {
            prop_assert_eq!(r.code, 65);
            prop_assert_eq!(reported_lines(&r.stderr), bad.clone(), "{:?}", text);
            let rejects = w.path("rejects.csv");
            let r = w.run([
                "import".as_ref(), "--dry-run".as_ref(), "--skip-invalid".as_ref(),
                "--rejects".as_ref(), rejects.as_os_str(), f.as_os_str(),
            ]);
            prop_assert_eq!(r.code, 0, "{}", r.stderr);
            let written = std::fs::read_to_string(&rejects).unwrap();
            let lines: Vec<u64> = written
                .lines()
                .skip(1)
                .filter_map(|l| l.split(',').next()?.parse().ok())
                .collect();
            prop_assert_eq!(lines, bad);
        }
    }
}

#[test]
fn trace_names_the_line_where_a_multi_line_record_starts() {
    for end in ["\n", "\r\n", "\r"] {
        let w = Work::new();
        let rows = [
            Row {
                bad: false,
                remark_lines: 3,
                blank_lines_before: 0,
            },
            Row {
                bad: false,
                remark_lines: 1,
                blank_lines_before: 2,
            },
            Row {
                bad: false,
                remark_lines: 2,
                blank_lines_before: 0,
            },
        ];
        let (text, _, good) = write_file(&rows, end);
        assert_eq!(good, [2, 7, 8]);
        let f = w.write("data.csv", &text);
        w.import(&f).ok();
        let t = w.json(&["trace", "--depot", "LN-1", "--type", "T-1"]);
        let lines: Vec<(String, u64)> = t["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["serial"].as_str().unwrap().to_string(),
                    r["line"].as_u64().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            lines,
            [("S-0".into(), 2), ("S-1".into(), 7), ("S-2".into(), 8)],
            "line ends {end:?}"
        );
    }
}
